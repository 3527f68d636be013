/* sim.h: the deterministic discrete-event simulator core.
 *
 * A simulation holds machines (hosts and client machines), protocol nodes running on them
 * (see protocol/proto.h), one event queue ordered by (time, insertion sequence), the
 * TCP-like network between machines (net.c) and a disk per host (disk.h). It owns time,
 * randomness, the network and the disks; nodes only see inputs and return effects.
 *
 * Faults act on machines: a process crash (every node on the machine dies; what it handed
 * to the OS survives: disk writes stay, bytes already sent still arrive, peers get a reset,
 * after the model's teardown delay),
 * a power-off (unsynced disk writes and bytes in the machine's buffers are lost, peers hear
 * nothing), a restart (nodes rebuilt from the disk alone, incarnation + 1, after the model's
 * start-up delay), a pause (events
 * for the machine wait until it resumes, in order; nothing is lost), partitions (connections
 * across the cut break silently; new connections cannot form), slow links and slow disks.
 *
 * Everything random is drawn from streams derived from the seed; nothing depends on the
 * wall clock, on pointer values or on hash-table iteration order. */
#ifndef SIM_SIM_H
#define SIM_SIM_H

#include "sim/proto.h"
#include "sim/dist.h"
#include "sim/trace.h"

struct sim_config {
    uint64_t seed;
    struct dist latency;  /* one-way latency between two machines */
    /* Added to every message's delay when it is sent (scheduling, wakeups, queueing in the
     * stack), on loopback too; never reorders one connection, which stays FIFO. Zero-valued
     * (the struct's zero is fixed 0): none, and no draws. */
    struct dist jitter;
    struct dist fsync;    /* fsync duration of every disk */
    sim_time loopback_ns; /* latency between nodes on one machine */
    bool log_messages;    /* emit TRACE_MESSAGE for every network message */
};

struct sim_stats {
    uint64_t events;
    uint64_t messages_sent;
    uint64_t messages_delivered;
    uint64_t messages_lost;
    uint64_t connections;
    uint64_t fsyncs;
    size_t events_pending_peak;
};

struct sim;

struct sim *sim_new(const struct sim_config *cfg, const struct recorder *rec);
/* Destroys every node and frees everything, including messages still in flight. */
void sim_free(struct sim *s);

/* Topology, before sim_start. Machines and nodes are numbered from 0 in creation order.
 * trace_host is the host index stamped on the records of the machine's nodes (-1 for a
 * machine that is not one of the run's hosts, such as a client's). */
uint32_t sim_add_machine(struct sim *s, const char *name, bool has_disk, int32_t trace_host);

/* A node to place on a machine. */
struct sim_node_spec {
    const char *name;          /* for the message log ("h1/zab") */
    model_id model;            /* stamped on the node's records and messages */
    const struct proto_ops *ops;
    const void *config;        /* borrowed for the simulation's lifetime */
    proto_port ports[PROTO_NODE_PORTS_MAX]; /* ports it listens on; 0 ends the list */
};
uint32_t sim_add_node(struct sim *s, uint32_t machine, const struct sim_node_spec *spec);
/* Process lifetime costs of one model's processes, both optional (NULL: none), borrowed for
 * the simulation's lifetime; before sim_start. startup: after a restart of a machine, the
 * model's nodes on it are created and started this much later, together, in node order (a
 * JVM starting and loading its data); until then their ports refuse dials. The nodes of
 * sim_start are up at time 0. teardown: when a machine's processes are killed (sim_crash),
 * the peers of the model's nodes there get their resets this much later (an exiting
 * process's sockets close only when its teardown completes); a power-off resets nothing.
 * One draw per machine and event, from a stream of that machine and model. */
void sim_model_lifetime(struct sim *s, model_id model, const struct dist *startup,
                        const struct dist *teardown);
/* Each node of model handles its network input one message at a time, each message taking a
 * draw of per_message (its handling cost): a message that arrives while the node is busy
 * with earlier ones waits for them, and a connection's close waits behind the messages that
 * arrived before it. Order per node is kept. NULL or a fixed 0 (the default): instant.
 * Draws come from a stream of the node's machine and model. Call before sim_start. */
void sim_model_processing(struct sim *s, model_id model, const struct dist *per_message);
/* Creates every node (incarnation 1) and delivers PROTO_IN_START to each, in node order. */
void sim_start(struct sim *s);

/* Runs one event. Returns false when nothing is left. */
bool sim_step(struct sim *s);
/* Runs every event at or before `end`, then sets the time to `end`. */
void sim_run_until(struct sim *s, sim_time end);
sim_time sim_now(const struct sim *s);

/* World-level scheduling: fn(s, ctx, arg) runs at time t as an ordinary event. */
typedef void sim_call_fn(struct sim *s, void *ctx, uint64_t arg);
void sim_at(struct sim *s, sim_time t, sim_call_fn *fn, void *ctx, uint64_t arg);
/* Hands an input to a node now (used for client operations). Returns false, doing nothing,
 * when the node's machine is down or paused: a stopped process issues no work. */
bool sim_node_input(struct sim *s, uint32_t node, const struct proto_input *in);
/* Records a world-level trace record (faults, states of crashed hosts), stamped with the
 * current time; the caller sets its model, host and incarnation. */
void sim_record(struct sim *s, struct trace_rec *r);

/* Faults. Each returns false when it does not apply (crashing a machine that is down,
 * restarting one that is up) and changes nothing then. */
bool sim_crash(struct sim *s, uint32_t machine);
bool sim_power_off(struct sim *s, uint32_t machine);
bool sim_restart(struct sim *s, uint32_t machine);
bool sim_pause(struct sim *s, uint32_t machine, sim_time duration);
/* group[m] for every machine; machines in different groups cannot reach each other, except
 * that a machine in SIM_GROUP_EVERYWHERE reaches every machine (a service that stands
 * outside the partitions, such as a recipe's protected resource). All zeros heals. */
#define SIM_GROUP_EVERYWHERE (-1)
void sim_set_groups(struct sim *s, const int *group);
void sim_slow_link(struct sim *s, uint32_t from, uint32_t to, const struct dist *d,
                   sim_time until);
void sim_slow_disk(struct sim *s, uint32_t machine, const struct dist *d, sim_time until);

/* Queries. */
bool sim_machine_up(const struct sim *s, uint32_t machine);      /* processes running */
uint32_t sim_machine_incarnation(const struct sim *s, uint32_t machine);
/* A node's protocol state, for read-only observation by tests; NULL when down. */
const void *sim_node_state(const struct sim *s, uint32_t node);
const struct sim_stats *sim_get_stats(const struct sim *s);
/* Digest over every trace record and every event processed: equal digests mean equal runs. */
uint64_t sim_digest(const struct sim *s);

/* One processed event, as an observer sees it: enough to say where two runs of one seed
 * part (tools/determinism.c). */
struct sim_event_note {
    uint64_t index;       /* from 0, in processing order */
    sim_time t_ns;
    const char *kind;     /* "network message", "timer", ... */
    const char *machine;  /* where it happened; NULL for a scheduled call */
    uint64_t digest;      /* sim_digest after it: every event and record so far */
};
typedef void (*sim_event_observer)(void *ctx, const struct sim_event_note *note);
/* Calls fn after every event is handled (NULL: none). */
void sim_set_event_observer(struct sim *s, sim_event_observer fn, void *ctx);

/* What a watcher sees that no trace record carries (faults triggered by protocol events,
 * world/triggers.h): a node handing a message to the network, the network handing one to a
 * node, and a node's disk operations. Host indices are the machines' (-1: a client's). */
enum sim_watch_kind {
    SIM_WATCH_SEND = 0, /* a node sent a message (whatever then became of it) */
    SIM_WATCH_RECEIVE,  /* a message reached its node, which handles it now */
    SIM_WATCH_APPEND,   /* a record appended to a log file */
    SIM_WATCH_WRITE,    /* a small file replaced */
    SIM_WATCH_FSYNC,    /* an fsync completed (the process that asked may be gone) */
};
struct sim_watch_note {
    enum sim_watch_kind kind;
    model_id model;
    int32_t host;      /* where it happened */
    int32_t peer_host; /* send, receive: the other end's host */
    const char *type;  /* send, receive: the message type, as the model names it */
};
typedef void (*sim_watcher)(void *ctx, const struct sim_watch_note *note);
/* Calls fn on each of those as it happens, in the middle of handling an event: fn may
 * schedule calls (sim_at) but must not change machines or the network (NULL: none). */
void sim_set_watcher(struct sim *s, sim_watcher fn, void *ctx);

#endif
