/* scenario.h: a validated scenario (docs/scenarios.md), as loaded from YAML.
 *
 * scenario_load() parses with libyaml, checks every field, and either returns a complete
 * scenario or reports every problem it found as "FILE:LINE:COLUMN: message" (all of them,
 * not just the first). A loaded scenario is immutable; the run reads it, never changes it.
 * Defaults for omitted fields are documented in docs/scenarios.md and set by
 * scenario_defaults(). */
#ifndef WORLD_SCENARIO_H
#define WORLD_SCENARIO_H

#include "sim/dist.h"
#include "sim/trace.h"

#define SCENARIO_MAX_HOSTS 64
#define SCENARIO_MAX_CLIENTS 1024
/* Largest scenario file accepted: scenarios are short hand-written text. */
#define SCENARIO_MAX_FILE_BYTES (1024 * 1024)
/* Longest time any scenario value may give (duration, tick, delays, `for`): 365 days. Sums
 * of hundreds of such values still fit sim_time, so the simulator cannot overflow. */
#define SCENARIO_MAX_TIME_NS ((sim_time)365 * 24 * 3600 * SIM_S)
/* Longest `name`: it becomes part of the default database file name. */
#define SCENARIO_MAX_NAME 64
/* Largest `workload.payload`: ZooKeeper's jute.maxbuffer and NATS's max_payload both
 * default to about 1 MB, and real servers reject anything bigger. */
#define SCENARIO_MAX_PAYLOAD (1024 * 1024)

/* Most client machines one list target may name (`crash: [c1, c2]`). */
#define SCENARIO_MAX_TARGET_CLIENTS 64

/* Who a fault acts on. Symbolic targets are resolved when the fault fires. */
enum target_kind {
    SCENARIO_TARGET_HOSTS = 0,  /* the listed hosts and client machines */
    SCENARIO_TARGET_LEADER,     /* the ZAB leader at that moment */
    SCENARIO_TARGET_FOLLOWER,   /* a random ZAB follower at that moment */
    SCENARIO_TARGET_RANDOM,     /* a random host that is up */
    SCENARIO_TARGET_CRASHED,    /* every host that is down (restart only) */
    SCENARIO_TARGET_ALL,        /* heal: all; a trigger's host filter: any host */
    SCENARIO_TARGET_EVENT_HOST, /* a triggered fault: the host whose event fired it */
    SCENARIO_TARGET_HOLDER,     /* the client machines holding a recipe's lock or leadership
                                 * at that moment, one per recipe (model_desc.recipe_holder) */
};

struct scenario_target {
    enum target_kind kind;
    uint32_t n_hosts;
    uint32_t hosts[SCENARIO_MAX_HOSTS]; /* host indices (0-based) for SCENARIO_TARGET_HOSTS */
    /* SCENARIO_TARGET_HOSTS: the client machines listed too, by client index (0-based: c1 is
     * 0), in file order; a fault acts on the hosts first, then on these. */
    uint32_t n_clients;
    uint32_t clients[SCENARIO_MAX_TARGET_CLIENTS];
};

/* What a triggered fault waits for (docs/scenarios.md, "Triggers"). */
enum trigger_event {
    TRIGGER_NONE = 0, /* not triggered: the fault fires at `at` */
    TRIGGER_STATE,    /* a host's state or phase changed, in its model */
    TRIGGER_SEND,     /* a node on the host sent a network message */
    TRIGGER_RECEIVE,  /* a node on the host was handed a network message */
    TRIGGER_DELIVER,  /* the host delivered a client message to its subscriber */
    TRIGGER_APPEND,   /* a record was appended to a log file on the host's disk */
    TRIGGER_WRITE,    /* a small file on the host's disk was replaced (ZAB's epoch files) */
    TRIGGER_FSYNC,    /* an fsync on the host's disk completed */
    TRIGGER_EVENT_COUNT
};

/* Longest state, phase or message type name a trigger may name. */
#define SCENARIO_TRIGGER_NAME_MAX 32

struct scenario_trigger {
    enum trigger_event event;
    int model;                     /* registry id the event must come from; -1: any */
    struct scenario_target host;   /* where the event happens; SCENARIO_TARGET_ALL: any */
    struct scenario_target peer;   /* send, receive: the other end's host; ALL: any */
    char type[SCENARIO_TRIGGER_NAME_MAX];  /* send, receive: message type; "": any */
    char state[SCENARIO_TRIGGER_NAME_MAX]; /* state: the new state; "": any */
    char phase[SCENARIO_TRIGGER_NAME_MAX]; /* state: the new phase; "": any */
    sim_time from, until;          /* only events within [from, until] count (until
                                    * SCENARIO_AT_TRIGGER: no end) */
    uint64_t count;                /* fire on the count-th matching event (1-based) */
    sim_time after;                /* that long after it */
};

struct scenario_fault {
    sim_time at;                   /* SCENARIO_AT_TRIGGER for a triggered fault */
    struct scenario_trigger on;    /* on.event TRIGGER_NONE: a timed fault */
    enum fault_kind kind;
    struct scenario_target target; /* crash, power_off, restart, isolate, pause, heal,
                                    * slow_disk */
    sim_time duration;             /* pause, slow_link, slow_disk: `for` */
    /* partition: group[h] for every host, groups numbered from 0 in file order; -1 for
     * indices >= hosts and for every other kind of fault */
    int group[SCENARIO_MAX_HOSTS];
    /* slow_link: its two ends; slow_disk: its host (in `target`). Each one host or a
     * symbolic target, resolved when the fault fires. */
    struct scenario_target link_from, link_to;
    struct dist delay;           /* slow_link: latency; slow_disk: fsync */
    int line, column;            /* where the fault was written, for messages */
};

/* The `at` of a triggered fault: after every timed one, in file order. */
#define SCENARIO_AT_TRIGGER INT64_MAX

const char *trigger_event_name(enum trigger_event e);

/* A coordination recipe (`recipe:`): clients on client machines c1..cN that use a model
 * as a lock service, for leader election or as a registry. Only its settings live here;
 * the recipes themselves belong to the models that support them (model_desc.recipe_kinds). */
#define SCENARIO_MAX_RECIPES 8

enum recipe_kind { RECIPE_LOCK = 0, RECIPE_ELECTION, RECIPE_REGISTRY, RECIPE_KIND_COUNT };

struct scenario_recipe {
    enum recipe_kind kind;
    model_id backend;     /* registry id (world/model.h) of the model it runs over */
    uint32_t clients;     /* recipe clients; default 3 */
    uint32_t first_client; /* they run on client machines c(first_client + 1) ..
                              c(first_client + clients): each recipe after the one before */
    sim_time hold;        /* lock: how long a holder keeps it before releasing; election: a
                             leader resigns after hold (0: never); registry: unused. Default 2 s */
    sim_time work_every;  /* a holder writes to the protected resource this often; default
                             100 ms */
    bool fencing;         /* the resource checks fencing tokens; default false */
    sim_time start;       /* its clients start this late (extension; default 0): an
                             application started once the ensemble serves connects to its
                             own server first */
    int line, column;     /* where the recipe was written, for messages */
};

/* "lock", "election", "registry"; "?" outside the enum. */
const char *recipe_kind_name(enum recipe_kind kind);

/* One `expect:` entry: model, run_summary column (or "invariants"), and a range. */
struct scenario_expect {
    model_id model;    /* registry id (world/model.h) */
    char *column;      /* e.g. "lost", "acked", "invariants" */
    char *violated;    /* "invariants": {violated: NAME}, the invariant a bug scenario
                        * breaks (then min 1, max INT64_MAX); NULL: they hold (min = max = 0) */
    int64_t min, max;  /* exact value: min == max; INT64_MIN / INT64_MAX when open */
    int line, column_no;
};

struct scenario {
    char *path;        /* as given on the command line */
    char *text;        /* the whole file, for runs.scenario_text */
    char *name;
    char *description;
    uint64_t seed;
    sim_time duration;
    uint32_t hosts;
    char *host_names[SCENARIO_MAX_HOSTS];
    /* `models:`: the models a run takes when `--model` does not say (bits by registry id,
     * simulated models only); 0 when absent: model_default(). scenario_default_models()
     * resolves it. */
    unsigned models;

    struct dist latency; /* network.latency */
    struct dist jitter;  /* network.jitter: added to each message when sent (extension) */
    struct dist fsync;   /* disk.fsync */

    struct {
        sim_time tick;        /* tickTime */
        uint32_t init_limit;  /* ticks */
        uint32_t sync_limit;  /* ticks */
        uint32_t max_batch;   /* proposals per group fsync */
        sim_time session_timeout; /* client session timeout (extension) */
        bool client_c;        /* clients use the C library's reconnect timers, not Java's */
        struct dist leader_load;  /* a new leader's zk.loadData() + snapshot (extension) */
        struct dist startup;      /* restart -> the server process runs (extension) */
        struct dist teardown;     /* crash -> peers get their resets (extension) */
        struct dist processing;   /* per network message a process handles (extension) */
        int variant;              /* enum zab_variant: a real ZooKeeper bug switched on */
        int file_variant;         /* the variant the file names (`expect:` is written for it) */
    } zab;

    struct {
        char *subject;            /* clients publish here (literal) */
        char *subscribe;          /* each host's subscriber interest (may use wildcards) */
        char *queue_group;        /* extension: subscribers join this queue group; NULL = none */
        sim_time reconnect_wait;
        uint64_t reconnect_buffer;   /* bytes; 0 disables buffering */
        uint64_t max_pending;        /* bytes, server side, per client connection */
        uint64_t sub_pending_msgs;   /* client side, per subscription */
        double consume_rate;         /* messages per second per subscriber; 0 = unlimited */
        bool subscribers_apart;      /* each subscriber on a machine of its own beside its
                                        host (s1..sN), not on the host */
        uint64_t socket_buffer;      /* bytes a client connection holds in the kernel */
        bool subscribers_fail_over;  /* subscribers know every broker, not only their own
                                        (extension: subscriber_servers: all) */
        struct dist startup;         /* restart -> broker and subscriber run (extension) */
        struct dist teardown;        /* crash -> peers get their resets (extension) */
        struct dist processing;      /* per network message a process handles (extension) */
    } pubsub;

    /* `jetstream:` (docs/jetstream-model.md): the stream, its consumers and publishers. */
    struct {
        uint32_t replicas;         /* 1, 3 or 5, at most hosts; zabsim's default 3 */
        sim_time sync_interval;    /* file store fsync period (2 min); 0 with sync_always */
        bool sync_always;          /* sync_interval: always: fsync before acknowledging */
        sim_time ack_wait;         /* consumer AckWait (30 s) */
        int64_t max_deliver;       /* consumer MaxDeliver; -1: unlimited (the default) */
        uint32_t max_ack_pending;  /* consumer MaxAckPending (1000) */
        sim_time duplicate_window; /* stream Duplicates (2 min), at least 100 ms */
        sim_time publish_timeout;  /* a publish request's deadline (nats.go: 5 s) */
        uint32_t publish_attempts; /* the publishing application's tries per message (3) */
        sim_time reconnect_wait;   /* nats.go ReconnectWait (2 s) */
        struct dist startup;       /* restart -> server and subscriber run (extension) */
        struct dist teardown;      /* crash -> peers get their resets (extension) */
        struct dist processing;    /* per network message a process handles (extension) */
        sim_time kv_ttl;           /* the recipes' key-value bucket's TTL, its MaxAge (30 s) */
    } jetstream;

    struct {
        uint32_t clients;
        double rate;          /* messages per second per client */
        sim_time start, stop;
        uint32_t payload;     /* bytes */
        uint32_t attach[SCENARIO_MAX_CLIENTS]; /* host index each client starts on */
    } workload;

    /* `explore:` (docs/bug-hunting.md): what `zabsim explore` may draw on top of `faults`. */
    struct {
        unsigned kinds;        /* bit per enum fault_kind a seed may enable */
        uint32_t max_faults;   /* a seed draws 1..max_faults faults */
        sim_time from, to;     /* they fire within [from, to] */
        uint32_t triggers;     /* percent of them fired by a protocol event */
    } explore;

    /* `recipe:`: coordination recipes, in file order. */
    uint32_t n_recipes;
    struct scenario_recipe recipes[SCENARIO_MAX_RECIPES];

    GArray *faults; /* struct scenario_fault, in the order they apply (time, then file) */
    GArray *expect; /* struct scenario_expect */
};

/* How many client machines a run of sc has (c1..cN): the workload's clients or the most
 * clients any recipe has, whichever is more. Machines beyond workload.clients carry no
 * workload client; each stands on the side of host (index mod hosts). */
uint32_t scenario_client_machines(const struct scenario *sc);

/* Fills every field with its default (docs/scenarios.md lists them): seed 1, 3 hosts,
 * latency uniform 0.5ms..2ms, fsync fixed 2ms, ZooKeeper's sample zab settings, NATS
 * defaults for pubsub, 3 clients at 100/s with 64-byte payloads. Allocates nothing, so
 * every pointer is NULL (the loader adds host names h1..hN, subject "users.signup" and
 * subscribe "users.*"), duration is 0 and workload.stop is 0 (the loader makes it
 * duration). Overwrites sc without freeing what it held. */
void scenario_defaults(struct scenario *sc);

/* Loads and validates path. On failure returns NULL and sets err (domain ZS_ERROR, code
 * ZS_ERROR_INPUT) whose message holds every problem, one "FILE:LINE:COLUMN: message" per
 * line, sorted by position (1-based). An unreadable file gives one "FILE: cannot read:
 * reason" line; after 100 problems a last line counts the rest. Never aborts on bad input.
 * In a loaded scenario host_names[0..hosts) are set and faults and expect are non-NULL. */
struct scenario *scenario_load(const char *path, GError **err);
/* Same, from text already in memory (len bytes, need not be NUL-terminated, at most
 * SCENARIO_MAX_FILE_BYTES); display_path is used in messages. */
struct scenario *scenario_parse(const char *display_path, const char *text, size_t len,
                                GError **err);
/* A complete scenario built in code rather than read from a file, for tests and tools that
 * drive a world themselves: the defaults, `hosts` hosts named h1..hN, `clients` clients
 * attached round-robin, no workload (rate 0: the caller offers messages), no faults, no
 * expectations, and the longest duration allowed. Change fields before world_new(). */
struct scenario *scenario_new_default(const char *name, uint32_t hosts, uint32_t clients);
/* The ZooKeeper bug the scenario switches on (zab.variant), or NULL for none. */
const char *scenario_variant(const struct scenario *sc);
/* A variant's name ("zk-4646", "none"). */
const char *scenario_variant_name_of(int variant);
/* Switches a ZooKeeper bug on ("zk-4646") or off ("none") in a loaded scenario (`--variant`
 * overrides zab.variant); false with err (ZS_ERROR_INPUT) naming the known ones. */
bool scenario_set_variant(struct scenario *sc, const char *name, GError **err);
/* The scenario's file text with `seed: SEED` and the fault items of `faults` ("- {...}"
 * lines) added to its `faults:` list, a file `zabsim run` reproduces exactly; NULL with err
 * (ZS_ERROR_INPUT) when the file's layout cannot be edited line by line (a flow-style
 * faults list). Comments and the order of keys are kept. */
char *scenario_text_with(const struct scenario *sc, uint64_t seed, const char *faults,
                         GError **err);
/* Edits of a scenario's text for `zabsim shrink`, each NULL with err when the file does not
 * allow it. The value of a top-level key (section NULL) or of a key of a section, written
 * as a plain scalar or a flow-style collection (`{dist: uniform, ...}`), replaced by value: */
char *scenario_text_set(const char *text, const char *section, const char *key,
                        const char *value, GError **err);
/* The number of items of the top-level faults list (0: none). */
guint scenario_text_faults(const char *text);
/* The text without the index-th fault (file order) of a block-style faults list. */
char *scenario_text_drop_fault(const char *text, guint index, GError **err);
/* The text with the `at: T` of the flow-style fault written at line:column (struct
 * scenario_fault's line and column) replaced by on (`on: {...}, after: D`). */
char *scenario_text_fault_on(const char *text, int line, int column, const char *on,
                             GError **err);
/* Frees a loaded scenario; NULL is fine. */
void scenario_free(struct scenario *sc);

/* True when the hosts are h1..hN (`hosts: N`), not names of the file's own. */
bool scenario_hosts_generated(const struct scenario *sc);
/* Host index for a name ("h3" or a name from `hosts: [a, b]`), or -1. */
int scenario_host_index(const struct scenario *sc, const char *name);
/* Appends the sides of a partition, group[h] per host from 0: "h1,h2 | h3,h4,h5", as the
 * faults table records it. */
void scenario_describe_groups(const struct scenario *sc, const int *group, GString *out);

#endif
