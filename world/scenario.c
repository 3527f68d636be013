/* scenario.c: loading a scenario file (docs/scenarios.md): the public entry points, the
 * defaults, and the top-level keys and sections up to `workload:`. `recipe:` is read in
 * scenario_recipe.c, faults and `expect:` in scenario_fault.c, the YAML tree is built in
 * scenario_yaml.c, and the typed readers shared by all of them are in scenario_value.c.
 *
 * Sections are read in dependency order (hosts and duration before anything that refers to
 * them), whatever order the file uses; problems are sorted by position at the end. */
#include "world/scenario_internal.h"
#include "protocol/zab/zab.h"

#include "world/model.h"
#include "world/units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

enum top_key {
    TOP_NAME,
    TOP_DESCRIPTION,
    TOP_SEED,
    TOP_DURATION,
    TOP_HOSTS,
    TOP_NETWORK,
    TOP_DISK,
    TOP_ZAB,
    TOP_PUBSUB,
    TOP_JETSTREAM,
    TOP_WORKLOAD,
    TOP_FAULTS,
    TOP_EXPECT,
    TOP_EXPLORE,
    TOP_MODELS,
    TOP_RECIPE,
    TOP_COUNT
};

static const char *const top_keys[TOP_COUNT] = {
    "name", "description", "seed", "duration", "hosts", "network", "disk", "zab", "pubsub",
    "jetstream", "workload", "faults", "expect", "explore", "models", "recipe",
};

/* Words with a meaning in fault targets; a host with one of these names would be ambiguous,
 * and so would one named like a client machine (c1, c2, ...). */
static const char *const reserved_host_names[] = { "leader", "follower", "random", "crashed",
                                                   "all", "any", "event_host", "holder" };

/* ZooKeeper negotiates session timeouts into [2, 20] ticks (minSessionTimeout and
 * maxSessionTimeout default to 2 and 20 times tickTime, ZooKeeperServer.java). */
#define SESSION_MIN_TICKS 2
#define SESSION_MAX_TICKS 20
/* Upper bounds well past any real configuration; they catch typos and keep products of
 * limits and ticks far from overflow. */
#define MAX_LIMIT_TICKS 1000000
#define MAX_BATCH 1000000

/* ---- name, description, seed, duration, hosts ---------------------------------------------- */

static void read_name(struct scenario__ctx *c, const struct ynode *root, const struct ynode *n)
{
    char *name;
    if (!n) {
        scenario__missing(c, root, NULL, "name");
        return;
    }
    if (!scenario__string(c, n, "name", &name))
        return;
    if (!scenario__valid_name(name))
        scenario__report_at(c, n, "name: '%s' may only use a-z, 0-9, _ and -",
                            scenario__quote(c->diag, name));
    else if (strlen(name) > SCENARIO_MAX_NAME)
        scenario__report_at(c, n, "name: longer than %d characters", SCENARIO_MAX_NAME);
    c->sc->name = name;
}

static void read_description(struct scenario__ctx *c, const struct ynode *root,
                             const struct ynode *n)
{
    char *text;
    if (!n) {
        scenario__missing(c, root, NULL, "description");
        return;
    }
    if (!scenario__string(c, n, "description", &text))
        return;
    char *stripped = g_strstrip(g_strdup(text));
    if (stripped[0] == '\0')
        scenario__report_at(c, n, "description: must not be empty");
    g_free(stripped);
    c->sc->description = text;
}

static void read_duration(struct scenario__ctx *c, const struct ynode *root,
                          const struct ynode *n)
{
    if (!n)
        scenario__missing(c, root, NULL, "duration");
    else
        c->duration_ok = scenario__duration(c, n, "duration", 1, &c->sc->duration);
}

static void name_hosts(struct scenario *sc, uint32_t count)
{
    sc->hosts = count;
    for (uint32_t i = 0; i < count; i++)
        sc->host_names[i] = g_strdup_printf("h%u", i + 1);
}

static bool check_host_name(struct scenario__ctx *c, const struct ynode *list, guint i)
{
    const struct ynode *n = g_ptr_array_index(list->items, i);
    const char *name = c->sc->host_names[i];
    if (!scenario__valid_name(name)) {
        scenario__report_at(c, n, "hosts: '%s' is not a valid host name (use a-z, 0-9, _ "
                            "and -)", scenario__quote(c->diag, name));
        return false;
    }
    for (size_t r = 0; r < G_N_ELEMENTS(reserved_host_names); r++) {
        if (strcmp(name, reserved_host_names[r]) == 0) {
            scenario__report_at(c, n, "hosts: '%s' is reserved: fault targets use it", name);
            return false;
        }
    }
    if (scenario__client_number(name) >= 0) {
        scenario__report_at(c, n, "hosts: '%s' is reserved: it names a client machine", name);
        return false;
    }
    for (guint j = 0; j < i; j++) {
        const struct ynode *first = g_ptr_array_index(list->items, j);
        if (c->sc->host_names[j] && strcmp(name, c->sc->host_names[j]) == 0) {
            scenario__report_at(c, n, "hosts: '%s' is listed twice (first at %d:%d)",
                                scenario__quote(c->diag, name), first->line, first->column);
            return false;
        }
    }
    return true;
}

static bool read_host_names(struct scenario__ctx *c, const struct ynode *list)
{
    guint len = list->items->len;
    if (len == 0) {
        scenario__report_at(c, list, "hosts: the list is empty (at least 1 host)");
        return false;
    }
    if (len > SCENARIO_MAX_HOSTS) {
        const struct ynode *extra = g_ptr_array_index(list->items, SCENARIO_MAX_HOSTS);
        scenario__report_at(c, extra, "hosts: at most %d hosts", SCENARIO_MAX_HOSTS);
        return false;
    }
    bool ok = true;
    for (guint i = 0; i < len; i++) {
        const struct ynode *n = g_ptr_array_index(list->items, i);
        if (scenario__string(c, n, "hosts", &c->sc->host_names[i]))
            ok &= check_host_name(c, list, i);
        else
            ok = false;
    }
    c->sc->hosts = len;
    return ok;
}

static void read_hosts(struct scenario__ctx *c, const struct ynode *n)
{
    uint64_t count;
    if (!n) {
        name_hosts(c->sc, c->sc->hosts);
        c->hosts_ok = true;
    } else if (n->kind == SCENARIO_YNODE_SEQUENCE) {
        c->hosts_ok = read_host_names(c, n);
    } else if (n->kind == SCENARIO_YNODE_MAPPING) {
        scenario__report_at(c, n, "hosts: expected a number of hosts or a list of names, not "
                            "a mapping");
    } else if (scenario__uint(c, n, "hosts", 1, SCENARIO_MAX_HOSTS, &count)) {
        name_hosts(c->sc, (uint32_t)count);
        c->hosts_ok = true;
    }
}

/* ---- network, disk, zab --------------------------------------------------------------------- */

static void read_network_disk(struct scenario__ctx *c, const struct ynode *network,
                              const struct ynode *disk)
{
    static const char *const network_keys[] = { "latency", "jitter" };
    static const char *const disk_keys[] = { "fsync" };
    struct scenario__field f[2];
    if (scenario__fields(c, network, "network", network_keys, 2, f)) {
        if (f[0].value)
            scenario__dist(c, f[0].value, "network.latency", &c->sc->latency);
        if (f[1].value)
            scenario__dist(c, f[1].value, "network.jitter", &c->sc->jitter);
    }
    if (scenario__fields(c, disk, "disk", disk_keys, 1, f) && f[0].value)
        scenario__dist(c, f[0].value, "disk.fsync", &c->sc->fsync);
}

/* A number of ticks, such that ticks x tick stays within SCENARIO_MAX_TIME_NS. */
static void read_ticks(struct scenario__ctx *c, const struct ynode *n, const char *where,
                       bool tick_ok, uint32_t *out)
{
    uint64_t v;
    if (!n || !scenario__uint(c, n, where, 1, MAX_LIMIT_TICKS, &v))
        return;
    if (tick_ok && v > (uint64_t)(SCENARIO_MAX_TIME_NS / c->sc->zab.tick)) {
        scenario__report_at(c, n, "%s: %" G_GUINT64_FORMAT " ticks last longer than a "
                            "scenario may use", where, v);
        return;
    }
    *out = (uint32_t)v;
}

/* An explicit session timeout must be one ZooKeeper would grant unchanged; the default
 * (30s) is negotiated into the range the way the server would. */
static void read_session_timeout(struct scenario__ctx *c, const struct ynode *n, bool tick_ok)
{
    sim_time tick = c->sc->zab.tick, lo = SESSION_MIN_TICKS * tick, hi = SESSION_MAX_TICKS * tick;
    sim_time *st = &c->sc->zab.session_timeout;
    if (!n) {
        if (tick_ok)
            *st = CLAMP(*st, lo, hi);
        return;
    }
    sim_time v;
    if (!scenario__duration(c, n, "zab.session_timeout", 1, &v) || !tick_ok)
        return;
    if (v < lo || v > hi) {
        char vs[32], los[32], his[32];
        units_format_duration(v, vs, sizeof vs);
        units_format_duration(lo, los, sizeof los);
        units_format_duration(hi, his, sizeof his);
        scenario__report_at(c, n, "zab.session_timeout: %s is outside the %d to %d ticks "
                            "ZooKeeper grants (%s..%s)", vs, SESSION_MIN_TICKS,
                            SESSION_MAX_TICKS, los, his);
        return;
    }
    *st = v;
}

enum zab_key {
    ZAB_TICK,
    ZAB_INIT_LIMIT,
    ZAB_SYNC_LIMIT,
    ZAB_MAX_BATCH,
    ZAB_SESSION,
    ZAB_LEADER_LOAD,
    ZAB_STARTUP,
    ZAB_TEARDOWN,
    ZAB_CLIENT,
    ZAB_PROCESSING,
    ZAB_VARIANT,
    ZAB_COUNT
};
static const char *const zab_keys[ZAB_COUNT] = { "tick",        "init_limit",      "sync_limit",
                                                 "max_batch",   "session_timeout", "leader_load",
                                                 "startup",     "teardown",        "client",
                                                 "processing",  "variant" };


/* A key that takes one of two words: *flag becomes false for `off`, true for `on`. */
static void read_either(struct scenario__ctx *c, const struct ynode *n, const char *key,
                        const char *off, const char *on, bool *flag)
{
    char *s;
    if (!n || !scenario__string(c, n, key, &s))
        return;
    if (strcmp(s, off) == 0)
        *flag = false;
    else if (strcmp(s, on) == 0)
        *flag = true;
    else
        scenario__report_at(c, n, "%s: '%s' is not %s or %s", key, scenario__quote(c->diag, s),
                            off, on);
    g_free(s);
}

/* "none, zk-4643, ...": every variant's name. */
static char *variant_names(void)
{
    GString *names = g_string_new(NULL);
    for (int i = 0; i < ZAB_VARIANT_COUNT; i++)
        g_string_append_printf(names, "%s%s", i ? ", " : "",
                               zab_variant_name((enum zab_variant)i));
    return g_string_free(names, FALSE);
}

/* zab.variant: a real ZooKeeper bug switched back on (docs/bugs.md). */
static void read_variant(struct scenario__ctx *c, const struct ynode *n)
{
    char *s;
    if (!scenario__string(c, n, "zab.variant", &s))
        return;
    int v = zab_variant_find(s);
    if (v >= 0) {
        c->sc->zab.variant = c->sc->zab.file_variant = v;
    } else {
        char *names = variant_names();
        scenario__report_at(c, n, "zab.variant: '%s' is not a known variant (known: %s)",
                            scenario__quote(c->diag, s), names);
        g_free(names);
    }
    g_free(s);
}

const char *scenario_variant_name_of(int variant)
{
    const char *name = zab_variant_name((enum zab_variant)variant);
    ZS_ASSERT(name != NULL);
    return name;
}

const char *scenario_variant(const struct scenario *sc)
{
    return sc->zab.variant != ZAB_VARIANT_NONE ? zab_variant_name(sc->zab.variant) : NULL;
}

bool scenario_set_variant(struct scenario *sc, const char *name, GError **err)
{
    int v = zab_variant_find(name);
    if (v < 0) {
        char *names = variant_names();
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--variant %s: not a known variant "
                    "(known: %s)", name, names);
        g_free(names);
        return false;
    }
    sc->zab.variant = v;
    return true;
}

static void read_zab(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario__field f[ZAB_COUNT];
    struct scenario *sc = c->sc;
    if (!scenario__fields(c, n, "zab", zab_keys, ZAB_COUNT, f))
        return;
    bool tick_ok = true;
    if (f[ZAB_TICK].value)
        tick_ok = scenario__duration(c, f[ZAB_TICK].value, "zab.tick", 1, &sc->zab.tick);
    read_ticks(c, f[ZAB_INIT_LIMIT].value, "zab.init_limit", tick_ok, &sc->zab.init_limit);
    read_ticks(c, f[ZAB_SYNC_LIMIT].value, "zab.sync_limit", tick_ok, &sc->zab.sync_limit);
    uint64_t v;
    if (f[ZAB_MAX_BATCH].value &&
        scenario__uint(c, f[ZAB_MAX_BATCH].value, "zab.max_batch", 1, MAX_BATCH, &v))
        sc->zab.max_batch = (uint32_t)v;
    read_session_timeout(c, f[ZAB_SESSION].value, tick_ok);
    if (f[ZAB_LEADER_LOAD].value)
        scenario__dist(c, f[ZAB_LEADER_LOAD].value, "zab.leader_load", &sc->zab.leader_load);
    if (f[ZAB_STARTUP].value)
        scenario__dist(c, f[ZAB_STARTUP].value, "zab.startup", &sc->zab.startup);
    if (f[ZAB_TEARDOWN].value)
        scenario__dist(c, f[ZAB_TEARDOWN].value, "zab.teardown", &sc->zab.teardown);
    /* Which client library the clients use: their reconnect timers differ. */
    read_either(c, f[ZAB_CLIENT].value, "zab.client", "java", "c", &sc->zab.client_c);
    if (f[ZAB_PROCESSING].value)
        scenario__dist(c, f[ZAB_PROCESSING].value, "zab.processing", &sc->zab.processing);
    if (f[ZAB_VARIANT].value)
        read_variant(c, f[ZAB_VARIANT].value);
}

/* ---- pubsub --------------------------------------------------------------------------------- */

/* NATS subject syntax (nats-server server/sublist.go, IsValidSubject and
 * IsValidLiteralSubject): tokens separated by '.', none empty, no whitespace; '*' and '>'
 * are wildcards only as whole tokens, and '>' only as the last one. The pub/sub protocol has
 * its own matcher; this only keeps malformed subjects out of a run. Returns what is wrong,
 * or NULL. */
static const char *subject_problem(const char *s, bool wildcards)
{
    const char *token = s;
    if (*s == '\0')
        return "must not be empty";
    for (const char *p = s;; p++) {
        if (*p != '.' && *p != '\0') {
            if (g_ascii_isspace(*p))
                return "must not contain whitespace";
            continue;
        }
        size_t len = (size_t)(p - token);
        bool star = len == 1 && token[0] == '*', gt = len == 1 && token[0] == '>';
        if (len == 0)
            return "has an empty token (a dot at the start or end, or two dots in a row)";
        if ((star || gt) && !wildcards)
            return "must be a literal subject (wildcards * and > only belong in subscribe)";
        if (gt && *p != '\0')
            return "may use '>' only as the last token";
        if (*p == '\0')
            return NULL;
        token = p + 1;
    }
}

static void read_subject(struct scenario__ctx *c, const struct ynode *n, const char *where,
                         bool wildcards, char **out)
{
    char *s;
    if (!n || !scenario__string(c, n, where, &s))
        return;
    const char *problem = subject_problem(s, wildcards);
    if (problem)
        scenario__report_at(c, n, "%s: '%s' %s", where, scenario__quote(c->diag, s), problem);
    g_free(*out);
    *out = s;
}

static void read_consume_rate(struct scenario__ctx *c, const struct ynode *n)
{
    double v;
    if (!n || !scenario__rate(c, n, "pubsub.consume_rate", &v))
        return;
    if (v == 0.0 && strcmp(n->text, "unlimited") != 0) {
        scenario__report_at(c, n, "pubsub.consume_rate: a subscriber that consumes nothing "
                            "never empties its queue; write 'unlimited' for no limit");
        return;
    }
    c->sc->pubsub.consume_rate = v;
}

enum pubsub_key {
    PS_SUBJECT,
    PS_SUBSCRIBE,
    PS_QUEUE_GROUP,
    PS_RECONNECT_WAIT,
    PS_RECONNECT_BUFFER,
    PS_MAX_PENDING,
    PS_SUB_PENDING_MSGS,
    PS_CONSUME_RATE,
    PS_SUBSCRIBERS,
    PS_SOCKET_BUFFER,
    PS_STARTUP,
    PS_TEARDOWN,
    PS_PROCESSING,
    PS_SUBSCRIBER_SERVERS,
    PS_COUNT
};
static const char *const pubsub_keys[PS_COUNT] = {
    "subject", "subscribe", "queue_group", "reconnect_wait", "reconnect_buffer", "max_pending",
    "sub_pending_msgs", "consume_rate", "subscribers", "socket_buffer", "startup", "teardown",
    "processing", "subscriber_servers",
};



static void read_pubsub(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario__field f[PS_COUNT];
    struct scenario *sc = c->sc;
    if (!scenario__fields(c, n, "pubsub", pubsub_keys, PS_COUNT, f))
        return;
    read_subject(c, f[PS_SUBJECT].value, "pubsub.subject", false, &sc->pubsub.subject);
    read_subject(c, f[PS_SUBSCRIBE].value, "pubsub.subscribe", true, &sc->pubsub.subscribe);
    /* NATS queue names follow the literal subject syntax (the subscriber asserts it). */
    read_subject(c, f[PS_QUEUE_GROUP].value, "pubsub.queue_group", false,
                 &sc->pubsub.queue_group);
    if (f[PS_RECONNECT_WAIT].value)
        scenario__duration(c, f[PS_RECONNECT_WAIT].value, "pubsub.reconnect_wait", 0,
                           &sc->pubsub.reconnect_wait);
    if (f[PS_RECONNECT_BUFFER].value)
        scenario__size(c, f[PS_RECONNECT_BUFFER].value, "pubsub.reconnect_buffer",
                       &sc->pubsub.reconnect_buffer);
    uint64_t v;
    const struct ynode *max_pending = f[PS_MAX_PENDING].value;
    if (max_pending && scenario__size(c, max_pending, "pubsub.max_pending", &v)) {
        if (v == 0)
            scenario__report_at(c, max_pending, "pubsub.max_pending: must be greater than 0");
        else
            sc->pubsub.max_pending = v;
    }
    if (f[PS_SUB_PENDING_MSGS].value)
        scenario__uint(c, f[PS_SUB_PENDING_MSGS].value, "pubsub.sub_pending_msgs", 1,
                       UINT64_MAX, &sc->pubsub.sub_pending_msgs);
    read_consume_rate(c, f[PS_CONSUME_RATE].value);
    /* Where each host's subscriber runs (on the host or on a machine of its own), and which
     * brokers it knows (its own host's only, or all of them: a server list). */
    read_either(c, f[PS_SUBSCRIBERS].value, "pubsub.subscribers", "on_host", "apart",
                &sc->pubsub.subscribers_apart);
    read_either(c, f[PS_SUBSCRIBER_SERVERS].value, "pubsub.subscriber_servers", "home", "all",
                &sc->pubsub.subscribers_fail_over);
    const struct ynode *socket_buffer = f[PS_SOCKET_BUFFER].value;
    if (socket_buffer && scenario__size(c, socket_buffer, "pubsub.socket_buffer", &v)) {
        if (v == 0)
            scenario__report_at(c, socket_buffer, "pubsub.socket_buffer: must be greater "
                                "than 0");
        else
            sc->pubsub.socket_buffer = v;
    }
    if (f[PS_STARTUP].value)
        scenario__dist(c, f[PS_STARTUP].value, "pubsub.startup", &sc->pubsub.startup);
    if (f[PS_TEARDOWN].value)
        scenario__dist(c, f[PS_TEARDOWN].value, "pubsub.teardown", &sc->pubsub.teardown);
    if (f[PS_PROCESSING].value)
        scenario__dist(c, f[PS_PROCESSING].value, "pubsub.processing", &sc->pubsub.processing);
}

/* ---- jetstream ------------------------------------------------------------------------------ */

enum jetstream_key {
    JS_REPLICAS,
    JS_SYNC_INTERVAL,
    JS_ACK_WAIT,
    JS_MAX_DELIVER,
    JS_MAX_ACK_PENDING,
    JS_DUPLICATE_WINDOW,
    JS_PUBLISH_TIMEOUT,
    JS_PUBLISH_ATTEMPTS,
    JS_RECONNECT_WAIT,
    JS_STARTUP,
    JS_TEARDOWN,
    JS_PROCESSING,
    JS_KV_TTL,
    JS_COUNT
};
static const char *const jetstream_keys[JS_COUNT] = {
    "replicas", "sync_interval", "ack_wait", "max_deliver", "max_ack_pending",
    "duplicate_window", "publish_timeout", "publish_attempts", "reconnect_wait", "startup",
    "teardown", "processing", "kv_ttl",
};

/* nats-server refuses a Duplicates window below 100 ms (checkStreamCfg). */
#define JS_MIN_DUPLICATE_WINDOW (100 * SIM_MS)
/* Tries per message well past what an application would configure: catches typos. */
#define JS_MAX_PUBLISH_ATTEMPTS 100
/* nats-server refuses a MaxAge below 100 ms (checkStreamCfg); the bucket's TTL is one. */
#define JS_MIN_KV_TTL (100 * SIM_MS)

/* n is the scalar `word`: for the keys that take a word as well as a number (always, unlimited). */
static bool is_word(const struct ynode *n, const char *word)
{
    return n->kind == SCENARIO_YNODE_SCALAR && strcmp(n->text, word) == 0;
}

/* A stream's replicas form a Raft group, each on a server of its own, so there are never more
 * of them than hosts. NATS caps a stream at 5 replicas; it would take 2 and 4 as well, but an
 * even group survives no more failures than the odd one below it, so they are left out. */
static void read_replicas(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    uint64_t v;
    if (!scenario__uint(c, n, "jetstream.replicas", 0, UINT64_MAX, &v))
        return;
    if (v != 1 && v != 3 && v != 5)
        scenario__report_at(c, n, "jetstream.replicas: must be 1, 3 or 5 (a Raft group of an "
                            "odd size, at most 5 as NATS allows)");
    else if (c->hosts_ok && v > sc->hosts)
        scenario__report_at(c, n, "jetstream.replicas: %u replicas need at least %u hosts; "
                            "the scenario has %u", (unsigned)v, (unsigned)v, sc->hosts);
    else
        sc->jetstream.replicas = (uint32_t)v;
}

/* How often the file store fsyncs, or `always`: before each write is acknowledged
 * (nats-server's sync_interval: always). 0 would mean neither, so it is refused. */
static void read_sync_interval(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario *sc = c->sc;
    sim_time v;
    if (is_word(n, "always")) {
        sc->jetstream.sync_always = true;
        sc->jetstream.sync_interval = 0;
    } else if (scenario__duration(c, n, "jetstream.sync_interval", 0, &v)) {
        if (v == 0)
            scenario__report_at(c, n, "jetstream.sync_interval: must be greater than 0, or "
                                "always");
        else
            sc->jetstream.sync_interval = v;
    }
}

/* A number of deliveries, or `unlimited` (NATS's -1). NATS also reads 0 as unlimited; here
 * that has to be said in words, so that a 0 meant as "never redeliver" is not taken for it. */
static void read_max_deliver(struct scenario__ctx *c, const struct ynode *n)
{
    uint64_t v;
    if (is_word(n, "unlimited")) {
        c->sc->jetstream.max_deliver = -1;
    } else if (scenario__uint(c, n, "jetstream.max_deliver", 0, INT64_MAX, &v)) {
        if (v == 0)
            scenario__report_at(c, n, "jetstream.max_deliver: must be at least 1, or "
                                "unlimited");
        else
            c->sc->jetstream.max_deliver = (int64_t)v;
    }
}

static void read_duplicate_window(struct scenario__ctx *c, const struct ynode *n)
{
    sim_time v;
    if (!scenario__duration(c, n, "jetstream.duplicate_window", 0, &v))
        return;
    if (v < JS_MIN_DUPLICATE_WINDOW)
        scenario__report_at(c, n, "jetstream.duplicate_window: must be at least 100ms, NATS's "
                            "minimum");
    else
        c->sc->jetstream.duplicate_window = v;
}

/* The recipes' bucket's TTL. NATS's bucket default is none, which a lease cannot use, so a
 * TTL is required: at least MaxAge's minimum. */
static void read_kv_ttl(struct scenario__ctx *c, const struct ynode *n)
{
    sim_time v;
    if (!scenario__duration(c, n, "jetstream.kv_ttl", 0, &v))
        return;
    if (v < JS_MIN_KV_TTL)
        scenario__report_at(c, n, "jetstream.kv_ttl: must be at least 100ms, NATS's least "
                            "MaxAge");
    else
        c->sc->jetstream.kv_ttl = v;
}

static void read_jetstream(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario__field f[JS_COUNT];
    struct scenario *sc = c->sc;
    /* The default 3 replicas need 3 hosts; with fewer, a file that says nothing gets 1. */
    if (c->hosts_ok && sc->hosts < sc->jetstream.replicas)
        sc->jetstream.replicas = 1;
    if (!scenario__fields(c, n, "jetstream", jetstream_keys, JS_COUNT, f))
        return;
    if (f[JS_REPLICAS].value)
        read_replicas(c, f[JS_REPLICAS].value);
    if (f[JS_SYNC_INTERVAL].value)
        read_sync_interval(c, f[JS_SYNC_INTERVAL].value);
    if (f[JS_ACK_WAIT].value)
        scenario__duration(c, f[JS_ACK_WAIT].value, "jetstream.ack_wait", 1,
                           &sc->jetstream.ack_wait);
    if (f[JS_MAX_DELIVER].value)
        read_max_deliver(c, f[JS_MAX_DELIVER].value);
    uint64_t v;
    if (f[JS_MAX_ACK_PENDING].value &&
        scenario__uint(c, f[JS_MAX_ACK_PENDING].value, "jetstream.max_ack_pending", 1,
                       UINT32_MAX, &v))
        sc->jetstream.max_ack_pending = (uint32_t)v;
    if (f[JS_DUPLICATE_WINDOW].value)
        read_duplicate_window(c, f[JS_DUPLICATE_WINDOW].value);
    if (f[JS_PUBLISH_TIMEOUT].value)
        scenario__duration(c, f[JS_PUBLISH_TIMEOUT].value, "jetstream.publish_timeout", 1,
                           &sc->jetstream.publish_timeout);
    if (f[JS_PUBLISH_ATTEMPTS].value &&
        scenario__uint(c, f[JS_PUBLISH_ATTEMPTS].value, "jetstream.publish_attempts", 1,
                       JS_MAX_PUBLISH_ATTEMPTS, &v))
        sc->jetstream.publish_attempts = (uint32_t)v;
    if (f[JS_RECONNECT_WAIT].value)
        scenario__duration(c, f[JS_RECONNECT_WAIT].value, "jetstream.reconnect_wait", 0,
                           &sc->jetstream.reconnect_wait);
    if (f[JS_STARTUP].value)
        scenario__dist(c, f[JS_STARTUP].value, "jetstream.startup", &sc->jetstream.startup);
    if (f[JS_TEARDOWN].value)
        scenario__dist(c, f[JS_TEARDOWN].value, "jetstream.teardown", &sc->jetstream.teardown);
    if (f[JS_PROCESSING].value)
        scenario__dist(c, f[JS_PROCESSING].value, "jetstream.processing",
                       &sc->jetstream.processing);
    if (f[JS_KV_TTL].value)
        read_kv_ttl(c, f[JS_KV_TTL].value);
}

/* ---- workload ------------------------------------------------------------------------------- */

enum workload_key { WL_CLIENTS, WL_RATE, WL_START, WL_STOP, WL_PAYLOAD, WL_ATTACH, WL_COUNT };
static const char *const workload_keys[WL_COUNT] = { "clients", "rate", "start", "stop",
                                                     "payload", "attach" };

/* Bytes: a plain number as the contract writes it, or a size with a unit. */
static void read_payload(struct scenario__ctx *c, const struct ynode *n)
{
    uint64_t v;
    bool plain = n->kind == SCENARIO_YNODE_SCALAR && n->text[0] != '\0' &&
                 strspn(n->text, "0123456789") == strlen(n->text);
    if (plain ? !scenario__uint(c, n, "workload.payload", 0, UINT64_MAX, &v)
              : !scenario__size(c, n, "workload.payload", &v))
        return;
    if (v > SCENARIO_MAX_PAYLOAD) {
        scenario__report_at(c, n, "workload.payload: at most %d bytes (1MiB, the servers' "
                            "largest message)", SCENARIO_MAX_PAYLOAD);
        return;
    }
    c->sc->workload.payload = (uint32_t)v;
}

static void read_attach(struct scenario__ctx *c, const struct ynode *n, bool clients_ok)
{
    struct scenario *sc = c->sc;
    if (n->kind != SCENARIO_YNODE_SEQUENCE) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "workload.attach: expected a list of host names, one per "
                                "client, not %s", scenario__kind_name(n));
        return;
    }
    if (clients_ok && n->items->len != sc->workload.clients)
        scenario__report_at(c, n, "workload.attach: %u entries for %u clients (one host per "
                            "client)", n->items->len, sc->workload.clients);
    for (guint i = 0; i < n->items->len; i++) {
        int h = scenario__host(c, g_ptr_array_index(n->items, i), "workload.attach");
        if (h >= 0 && i < SCENARIO_MAX_CLIENTS)
            sc->workload.attach[i] = (uint32_t)h;
    }
}

static void read_rate(struct scenario__ctx *c, const struct ynode *n, bool clients_ok)
{
    double v;
    if (!scenario__rate(c, n, "workload.rate", &v))
        return;
    if (strcmp(n->text, "unlimited") == 0)
        scenario__report_at(c, n, "workload.rate: clients need a finite rate such as 200/s");
    else if (v == 0.0 && clients_ok && c->sc->workload.clients > 0)
        scenario__report_at(c, n, "workload.rate: must be greater than 0 when there are "
                            "clients");
    else
        c->sc->workload.rate = v;
}

/* start < stop <= duration, with stop defaulting to duration. */
static void check_workload_window(struct scenario__ctx *c, const struct scenario__field *f,
                                  bool start_ok, bool stop_ok)
{
    struct scenario *sc = c->sc;
    char a[32], b[32];
    if (!f[WL_STOP].value && c->duration_ok)
        sc->workload.stop = sc->duration;
    else if (!f[WL_STOP].value)
        stop_ok = false;
    if (stop_ok && f[WL_STOP].value && c->duration_ok && sc->workload.stop > sc->duration) {
        units_format_duration(sc->duration, b, sizeof b);
        scenario__report_at(c, f[WL_STOP].value, "workload.stop: after the end of the run "
                            "(duration: %s)", b);
    } else if (start_ok && stop_ok && sc->workload.start >= sc->workload.stop) {
        units_format_duration(sc->workload.start, a, sizeof a);
        units_format_duration(sc->workload.stop, b, sizeof b);
        /* Without both keys start is 0 and stop is duration, which is positive. */
        const struct ynode *at = f[WL_START].value ? f[WL_START].value : f[WL_STOP].value;
        ZS_ASSERT(at != NULL);
        scenario__report_at(c, at, "workload.start (%s) must be before workload.stop (%s%s)", a,
                            b, f[WL_STOP].value ? "" : ", the run's duration");
    }
}

static void read_workload(struct scenario__ctx *c, const struct ynode *n)
{
    struct scenario__field f[WL_COUNT];
    struct scenario *sc = c->sc;
    if (!scenario__fields(c, n, "workload", workload_keys, WL_COUNT, f))
        return;
    uint64_t clients;
    bool clients_ok = true;
    if (f[WL_CLIENTS].value) {
        clients_ok = scenario__uint(c, f[WL_CLIENTS].value, "workload.clients", 0,
                                    SCENARIO_MAX_CLIENTS, &clients);
        if (clients_ok)
            sc->workload.clients = (uint32_t)clients;
        else
            c->clients_ok = false; /* client machines c1..cN are unknown */
    }
    if (f[WL_RATE].value)
        read_rate(c, f[WL_RATE].value, clients_ok);
    bool start_ok = !f[WL_START].value ||
                    scenario__duration(c, f[WL_START].value, "workload.start", 0,
                                       &sc->workload.start);
    bool stop_ok = !f[WL_STOP].value ||
                   scenario__duration(c, f[WL_STOP].value, "workload.stop", 0,
                                      &sc->workload.stop);
    check_workload_window(c, f, start_ok, stop_ok);
    if (f[WL_PAYLOAD].value)
        read_payload(c, f[WL_PAYLOAD].value);
    if (c->hosts_ok) {
        for (uint32_t i = 0; i < SCENARIO_MAX_CLIENTS; i++)
            sc->workload.attach[i] = i % sc->hosts;
    }
    if (f[WL_ATTACH].value && !scenario__is_null(f[WL_ATTACH].value))
        read_attach(c, f[WL_ATTACH].value, clients_ok);
}

/* ---- explore -------------------------------------------------------------------------------- */

/* The fault kinds a seed of `zabsim explore` may draw: restart and heal follow the others
 * by themselves. */
#define EXPLORE_KINDS                                                                        \
    ((1u << TRACE_FAULT_CRASH) | (1u << TRACE_FAULT_POWER_OFF) | (1u << TRACE_FAULT_PARTITION) | \
     (1u << TRACE_FAULT_ISOLATE) | (1u << TRACE_FAULT_PAUSE) | (1u << TRACE_FAULT_SLOW_LINK) |    \
     (1u << TRACE_FAULT_SLOW_DISK))
#define EXPLORE_MAX_FAULTS 50

static void read_explore_kinds(struct scenario__ctx *c, const struct ynode *n)
{
    if (n->kind != SCENARIO_YNODE_SEQUENCE || n->items->len == 0) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "explore.faults: expected a non-empty list of fault "
                                "kinds such as [crash, partition]");
        return;
    }
    unsigned kinds = 0;
    for (guint i = 0; i < n->items->len; i++) {
        const struct ynode *item = g_ptr_array_index(n->items, i);
        int k = -1;
        for (int f = 0; item->kind == SCENARIO_YNODE_SCALAR && f < TRACE_FAULT_KIND_COUNT; f++) {
            if ((EXPLORE_KINDS & (1u << f)) && strcmp(item->text, fault_kind_name(f)) == 0)
                k = f;
        }
        if (k < 0)
            scenario__report_at(c, item, "explore.faults: expected crash, power_off, partition, "
                                "isolate, pause, slow_link or slow_disk (restarts and heals "
                                "follow by themselves)");
        else
            kinds |= 1u << k;
    }
    if (kinds)
        c->sc->explore.kinds = kinds;
}

static void read_explore(struct scenario__ctx *c, const struct ynode *n)
{
    static const char *const keys[] = { "faults", "max_faults", "from", "to", "triggers" };
    struct scenario__field f[5];
    struct scenario *sc = c->sc;
    /* Defaults: every kind, up to 4 faults, while the workload runs (its first 3/4), a third
     * of them triggered by events. */
    sc->explore.kinds = EXPLORE_KINDS;
    sc->explore.max_faults = 4;
    sc->explore.from = sc->workload.start;
    sc->explore.to = sc->workload.start + (sc->workload.stop - sc->workload.start) * 3 / 4;
    sc->explore.triggers = 30;
    if (!n || !scenario__fields(c, n, "explore", keys, 5, f))
        return;
    if (f[0].value)
        read_explore_kinds(c, f[0].value);
    uint64_t v;
    if (f[1].value && scenario__uint(c, f[1].value, "explore.max_faults", 1, EXPLORE_MAX_FAULTS,
                                     &v))
        sc->explore.max_faults = (uint32_t)v;
    if (f[2].value)
        scenario__duration(c, f[2].value, "explore.from", 0, &sc->explore.from);
    if (f[3].value)
        scenario__duration(c, f[3].value, "explore.to", 0, &sc->explore.to);
    if (f[4].value && scenario__uint(c, f[4].value, "explore.triggers", 0, 100, &v))
        sc->explore.triggers = (uint32_t)v;
    const struct ynode *at = f[3].value ? f[3].value : f[2].value ? f[2].value : n;
    if (c->duration_ok && sc->explore.to > sc->duration)
        scenario__report_at(c, at, "explore.to: after the end of the run");
    else if (sc->explore.from > sc->explore.to)
        scenario__report_at(c, at, "explore: from must not be after to");
}

/* ---- models ------------------------------------------------------------------------------- */

/* One name of `models:` at n (a list item, or the whole string): its set, or 0 after
 * reporting. Only simulated models: the real ones are recorded by `zabsim conform`. */
static unsigned model_named(struct scenario__ctx *c, const struct ynode *n, const char *name)
{
    char bad[64], names[128];
    unsigned set = model_parse_set(name, bad, sizeof bad);
    if (!set) {
        scenario__report_at(c, n, "models: no model named '%s' (the models: %s)",
                            scenario__quote(c->diag, name),
                            model_names_usage(names, sizeof names));
        return 0;
    }
    for (model_id id = 0; id < model_count(); id++) {
        if ((set & (1u << id)) && !model_get(id)->build) {
            scenario__report_at(c, n, "models: %s is recorded from the real system by zabsim "
                                "conform; it cannot be simulated (the models: %s)",
                                model_get(id)->name, model_names_usage(names, sizeof names));
            return 0;
        }
    }
    return set;
}

/* `models: zab,jetstream` or `models: [zab, jetstream]`: the run's models when `--model`
 * does not say, so that a scenario written for an opt-in model runs it by default. Every
 * name is checked, so one pass reports every bad one; any bad name leaves sc->models 0. */
static void read_models(struct scenario__ctx *c, const struct ynode *n)
{
    unsigned set = 0;
    bool ok = true;
    if (n->kind == SCENARIO_YNODE_SEQUENCE) {
        if (n->items->len == 0) {
            scenario__report_at(c, n, "models: the list is empty (name at least one model)");
            return;
        }
        for (guint i = 0; i < n->items->len; i++) {
            const struct ynode *item = g_ptr_array_index(n->items, i);
            char *name;
            unsigned one = 0;
            if (scenario__string(c, item, "models", &name)) {
                one = model_named(c, item, name);
                g_free(name);
            }
            ok = ok && one;
            set |= one;
        }
    } else if (n->kind == SCENARIO_YNODE_MAPPING) {
        scenario__report_at(c, n, "models: expected model names, as zab,jetstream or [zab, "
                            "jetstream], not a mapping");
        return;
    } else {
        char *text;
        if (!scenario__string(c, n, "models", &text))
            return;
        /* "zab, pubsub" as well as "zab,pubsub": YAML keeps the spaces in a plain scalar. */
        gchar **names = g_strsplit(text, ",", -1);
        for (gchar **name = names; *name; name++) {
            unsigned one = model_named(c, n, g_strstrip(*name));
            ok = ok && one;
            set |= one;
        }
        g_strfreev(names);
        g_free(text);
    }
    if (ok)
        c->sc->models = set;
}

/* ---- the whole file ------------------------------------------------------------------------- */

static void read_scenario(struct scenario__ctx *c, const struct ynode *root)
{
    struct scenario__field f[TOP_COUNT];
    scenario__fields(c, root, NULL, top_keys, TOP_COUNT, f);
    read_name(c, root, f[TOP_NAME].value);
    read_description(c, root, f[TOP_DESCRIPTION].value);
    if (f[TOP_SEED].value)
        scenario__uint(c, f[TOP_SEED].value, "seed", 0, UINT64_MAX, &c->sc->seed);
    read_duration(c, root, f[TOP_DURATION].value);
    read_hosts(c, f[TOP_HOSTS].value);
    read_network_disk(c, f[TOP_NETWORK].value, f[TOP_DISK].value);
    read_zab(c, f[TOP_ZAB].value);
    read_pubsub(c, f[TOP_PUBSUB].value);
    read_jetstream(c, f[TOP_JETSTREAM].value);
    read_workload(c, f[TOP_WORKLOAD].value);
    scenario__read_recipes(c, f[TOP_RECIPE].value);
    scenario__read_faults(c, f[TOP_FAULTS].value);
    scenario__read_expect(c, f[TOP_EXPECT].value);
    read_explore(c, f[TOP_EXPLORE].value);
    if (f[TOP_MODELS].value)
        read_models(c, f[TOP_MODELS].value);
}

static void expect_clear(gpointer p)
{
    g_free(((struct scenario_expect *)p)->column);
    g_free(((struct scenario_expect *)p)->violated);
}

static struct scenario *scenario_new(const char *path, const char *text, size_t len)
{
    struct scenario *sc = g_new0(struct scenario, 1);
    scenario_defaults(sc);
    sc->path = g_strdup(path);
    sc->text = g_strndup(text, len);
    sc->faults = g_array_new(FALSE, FALSE, sizeof(struct scenario_fault));
    sc->expect = g_array_new(FALSE, FALSE, sizeof(struct scenario_expect));
    g_array_set_clear_func(sc->expect, expect_clear);
    /* Defaults that own memory: scenario_defaults() allocates nothing. */
    sc->pubsub.subject = g_strdup("users.signup");
    sc->pubsub.subscribe = g_strdup("users.*");
    return sc;
}

void scenario_defaults(struct scenario *sc)
{
    memset(sc, 0, sizeof *sc);
    sc->seed = 1;
    sc->hosts = 3;
    sc->latency = (struct dist){ .kind = DIST_UNIFORM, .a = 500 * SIM_US, .b = 2 * SIM_MS };
    sc->fsync = dist_fixed(2 * SIM_MS);
    /* Small but not zero: publishers' messages interleave differently at different hosts,
     * as on a real machine, where no two subscribers ever saw the same order. */
    sc->jitter = (struct dist){ .kind = DIST_EXPONENTIAL, .a = 100 * SIM_US };
    /* ZooKeeper's conf/zoo_sample.cfg: tickTime=2000, initLimit=10, syncLimit=5; max_batch is
     * zookeeper.maxBatchSize (transactions per log flush, default 1000). The session timeout
     * is a client choice; 30s is a common one and within [2, 20] ticks of the default. */
    sc->zab.tick = 2 * SIM_S;
    sc->zab.init_limit = 10;
    sc->zab.sync_limit = 5;
    sc->zab.max_batch = 1000;
    sc->zab.session_timeout = 30 * SIM_S;
    /* A new leader's zk.loadData() and snapshot before it accepts learners. Chosen so that
     * "kill -> new leader serving" comes out near ZooKeeper 3.8.0's measured 511 ms
     * (docs/zab-model.md, "Measured against ZooKeeper"). */
    sc->zab.leader_load = (struct dist){ .kind = DIST_UNIFORM, .a = 100 * SIM_MS,
                                         .b = 200 * SIM_MS };
    /* nats.go defaults: ReconnectWait 2s, ReconnectBufSize 8MB, DefaultSubPendingMsgsLimit
     * 512*1024 (rounded to the contract's 500000); nats-server MAX_PENDING_SIZE 64MB. */
    sc->pubsub.reconnect_wait = 2 * SIM_S;
    sc->pubsub.reconnect_buffer = 8 * 1024 * 1024;
    sc->pubsub.max_pending = 64 * 1024 * 1024;
    sc->pubsub.sub_pending_msgs = 500000;
    sc->pubsub.consume_rate = 0.0;
    sc->pubsub.subscribers_apart = false;
    sc->pubsub.socket_buffer = 4 * 1024 * 1024;
    /* Process lifetimes, measured on a 2-core Debian 12 machine (docs/zab-model.md and
     * docs/pubsub-model.md, "Measured against ..."): a restarted ZooKeeper 3.8.0 served
     * 2.5 s after its restart (JVM start, loading its data), and its peers noticed its
     * SIGKILL 54-156 ms after it (process teardown). nats-server 2.9.10 starts in a few ms;
     * its teardown was not measured and a Go process exits at once, so none. */
    sc->zab.startup = (struct dist){ .kind = DIST_UNIFORM, .a = 2300 * SIM_MS,
                                     .b = 2600 * SIM_MS };
    sc->zab.teardown = (struct dist){ .kind = DIST_UNIFORM, .a = 50 * SIM_MS, .b = 150 * SIM_MS };
    sc->pubsub.startup = (struct dist){ .kind = DIST_UNIFORM, .a = 2 * SIM_MS, .b = 8 * SIM_MS };
    sc->pubsub.teardown = dist_fixed(0);
    sc->zab.processing = dist_fixed(0);
    sc->pubsub.processing = dist_fixed(0);
    /* JetStream: nats-server's defaults (file store defaultSyncInterval 2 min; consumer
     * AckWait 30 s, MaxDeliver -1 unlimited, MaxAckPending 1000; stream Duplicates window
     * 2 min, at least 100 ms) and nats.go's (request timeout 5 s, ReconnectWait 2 s). NATS's
     * own default is 1 replica; zabsim's is 3, since the comparison is with a replicated
     * ensemble of 3 (the loader lowers it to 1 below 3 hosts). The publishing application
     * tries each message 3 times. */
    sc->jetstream.replicas = 3;
    sc->jetstream.sync_interval = 2 * 60 * SIM_S;
    sc->jetstream.sync_always = false;
    sc->jetstream.ack_wait = 30 * SIM_S;
    sc->jetstream.max_deliver = -1;
    sc->jetstream.max_ack_pending = 1000;
    sc->jetstream.duplicate_window = 2 * 60 * SIM_S;
    sc->jetstream.publish_timeout = 5 * SIM_S;
    sc->jetstream.publish_attempts = 3;
    sc->jetstream.reconnect_wait = 2 * SIM_S;
    /* The same nats-server process as pubsub's, so the same lifetimes (measured above). */
    sc->jetstream.startup = (struct dist){ .kind = DIST_UNIFORM, .a = 2 * SIM_MS,
                                           .b = 8 * SIM_MS };
    sc->jetstream.teardown = dist_fixed(0);
    sc->jetstream.processing = dist_fixed(0);
    /* The recipes' bucket: NATS's has no TTL unless given one, and a lease needs one; 30 s
     * is the shortest ripienaar's leader election library accepts. */
    sc->jetstream.kv_ttl = 30 * SIM_S;
    sc->workload.clients = 3;
    sc->workload.rate = 100.0;
    sc->workload.payload = 64;
}

struct scenario *scenario_new_default(const char *name, uint32_t hosts, uint32_t clients)
{
    ZS_ASSERT(hosts >= 1 && hosts <= SCENARIO_MAX_HOSTS);
    ZS_ASSERT(clients <= SCENARIO_MAX_CLIENTS);
    struct scenario *sc = scenario_new(name, "", 0);
    sc->name = g_strdup(name);
    sc->description = g_strdup("built in code");
    sc->hosts = hosts;
    for (uint32_t h = 0; h < hosts; h++)
        sc->host_names[h] = g_strdup_printf("h%u", h + 1);
    if (hosts < sc->jetstream.replicas) /* as the loader does for a file that says nothing */
        sc->jetstream.replicas = 1;
    sc->duration = SCENARIO_MAX_TIME_NS;
    sc->workload.clients = clients;
    sc->workload.rate = 0.0;
    sc->workload.stop = sc->duration;
    for (uint32_t i = 0; i < SCENARIO_MAX_CLIENTS; i++)
        sc->workload.attach[i] = i % hosts;
    return sc;
}

struct scenario *scenario_parse(const char *display_path, const char *text, size_t len,
                                GError **err)
{
    struct scenario__diag diag;
    struct scenario *sc = NULL;
    scenario__diag_init(&diag, display_path ? display_path : "<scenario>");
    if (len > SCENARIO_MAX_FILE_BYTES) {
        scenario__report(&diag, 1, 1, "file is larger than 1 MiB (%d bytes); a scenario is a "
                         "short text file", SCENARIO_MAX_FILE_BYTES);
    } else {
        struct scenario__tree tree;
        if (scenario__read_yaml(&diag, text, len, &tree)) {
            sc = scenario_new(diag.path, text, len);
            struct scenario__ctx c = { .diag = &diag, .sc = sc, .clients_ok = true };
            read_scenario(&c, tree.root);
        }
        scenario__tree_clear(&tree);
        ZS_ASSERT(sc || diag.problems->len > 0);
    }
    if (diag.problems->len > 0) {
        char *message = scenario__diag_format(&diag);
        g_set_error_literal(err, ZS_ERROR, ZS_ERROR_INPUT, message);
        g_free(message);
        scenario_free(sc);
        sc = NULL;
    }
    scenario__diag_clear(&diag);
    return sc;
}

struct scenario *scenario_load(const char *path, GError **err)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "%s: cannot read: %s", path,
                    g_strerror(errno));
        return NULL;
    }
    /* One byte more than allowed is enough to know the file is too large, and a device or
     * a pipe that never ends cannot make us read forever. */
    char *buf = g_malloc(SCENARIO_MAX_FILE_BYTES + 1);
    size_t len = fread(buf, 1, SCENARIO_MAX_FILE_BYTES + 1, f);
    int read_errno = ferror(f) ? (errno ? errno : EIO) : 0;
    fclose(f);
    struct scenario *sc = NULL;
    if (read_errno)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "%s: cannot read: %s", path,
                    g_strerror(read_errno));
    else
        sc = scenario_parse(path, buf, len, err);
    g_free(buf);
    return sc;
}

void scenario_free(struct scenario *sc)
{
    if (!sc)
        return;
    g_free(sc->path);
    g_free(sc->text);
    g_free(sc->name);
    g_free(sc->description);
    for (int i = 0; i < SCENARIO_MAX_HOSTS; i++)
        g_free(sc->host_names[i]);
    g_free(sc->pubsub.subject);
    g_free(sc->pubsub.subscribe);
    g_free(sc->pubsub.queue_group);
    if (sc->faults)
        g_array_unref(sc->faults);
    if (sc->expect)
        g_array_unref(sc->expect);
    g_free(sc);
}

int scenario_host_index(const struct scenario *sc, const char *name)
{
    for (uint32_t i = 0; i < sc->hosts && i < SCENARIO_MAX_HOSTS; i++) {
        if (sc->host_names[i] && strcmp(sc->host_names[i], name) == 0)
            return (int)i;
    }
    return -1;
}

void scenario_describe_groups(const struct scenario *sc, const int *group, GString *out)
{
    int max_group = 0;
    for (uint32_t h = 0; h < sc->hosts; h++)
        max_group = MAX(max_group, group[h]);
    for (int g = 0; g <= max_group; g++) {
        g_string_append(out, g ? " | " : "");
        bool first = true;
        for (uint32_t h = 0; h < sc->hosts; h++) {
            if (group[h] == g) {
                g_string_append_printf(out, "%s%s", first ? "" : ",", sc->host_names[h]);
                first = false;
            }
        }
    }
}
