/* scenario_fault.c: the `faults:` schedule and the `expect:` block of a scenario file.
 *
 * Faults are checked against the hosts and the duration read before them, and stored in the
 * order they apply: by time, then by position in the file, faults triggered by protocol
 * events (`on:`, scenario_trigger.c) last. Targets name hosts and client machines (c1..cN,
 * scenario_client_machines()); symbolic ones (leader, follower, random, crashed, event_host,
 * holder) stay symbolic here, and the world resolves them when the fault fires. What a fault
 * does to the simulated world is not this file's business. */
#include "world/model.h"
#include "world/scenario_internal.h"
#include "world/summary_columns.h"

#include "world/units.h"

#include <stdio.h>
#include <string.h>

/* The action keys come first, in enum fault_kind order, so a key index is a fault kind. */
enum { FK_AT = TRACE_FAULT_KIND_COUNT, FK_FOR, FK_ON, FK_COUNT_KEY, FK_AFTER, FK_COUNT };
static const char *const fault_keys[FK_COUNT] = {
    [TRACE_FAULT_CRASH] = "crash",         [TRACE_FAULT_POWER_OFF] = "power_off",
    [TRACE_FAULT_RESTART] = "restart",     [TRACE_FAULT_PARTITION] = "partition",
    [TRACE_FAULT_ISOLATE] = "isolate",     [TRACE_FAULT_HEAL] = "heal",
    [TRACE_FAULT_PAUSE] = "pause",         [TRACE_FAULT_SLOW_LINK] = "slow_link",
    [TRACE_FAULT_SLOW_DISK] = "slow_disk", [FK_AT] = "at",
    [FK_FOR] = "for",                      [FK_ON] = "on",
    [FK_COUNT_KEY] = "count",              [FK_AFTER] = "after",
};

#define ACTION_LIST "crash, power_off, restart, partition, isolate, heal, pause, slow_link or " \
                    "slow_disk"

static const struct target_word {
    const char *word;
    enum target_kind kind;
    unsigned flag;
} target_words[] = {
    { "leader", SCENARIO_TARGET_LEADER, SCENARIO_ALLOW_LEADER },
    { "follower", SCENARIO_TARGET_FOLLOWER, SCENARIO_ALLOW_FOLLOWER },
    { "random", SCENARIO_TARGET_RANDOM, SCENARIO_ALLOW_RANDOM },
    { "crashed", SCENARIO_TARGET_CRASHED, SCENARIO_ALLOW_CRASHED },
    { "any", SCENARIO_TARGET_ALL, SCENARIO_ALLOW_ANY },
    { "event_host", SCENARIO_TARGET_EVENT_HOST, SCENARIO_ALLOW_EVENT_HOST },
    { "holder", SCENARIO_TARGET_HOLDER, SCENARIO_ALLOW_HOLDER },
};

#define SYMBOLIC (SCENARIO_ALLOW_LEADER | SCENARIO_ALLOW_FOLLOWER | SCENARIO_ALLOW_RANDOM | \
                  SCENARIO_ALLOW_EVENT_HOST)

/* Crash, power_off, pause and isolate act on client machines (c1..cN) too; restart too, but
 * not on `holder` (a crashed holder holds nothing). Slow links and slow disks are between
 * and on hosts only. */
static const struct scenario_target_rule host_targets = {
    SCENARIO_ALLOW_LIST | SYMBOLIC | SCENARIO_ALLOW_CLIENT | SCENARIO_ALLOW_HOLDER,
    "a host or client machine name, leader, follower, random, holder, event_host or a list "
    "of names"
};
static const struct scenario_target_rule restart_targets = {
    SCENARIO_ALLOW_LIST | SCENARIO_ALLOW_CRASHED | SCENARIO_ALLOW_EVENT_HOST |
        SCENARIO_ALLOW_CLIENT,
    "a host or client machine name, crashed, event_host or a list of names"
};
static const struct scenario_target_rule isolate_targets = {
    SYMBOLIC | SCENARIO_ALLOW_CLIENT | SCENARIO_ALLOW_HOLDER,
    "one host or client machine name, leader, follower, random, holder or event_host "
    "(partition cuts groups)"
};
static const struct scenario_target_rule one_host_targets = {
    SYMBOLIC, "one host name, leader, follower, random or event_host"
};

/* ---- targets -------------------------------------------------------------------------------- */

/* "c1..c3", "c1", or that there are none. */
static const char *client_list(struct scenario__ctx *c)
{
    uint32_t n = scenario_client_machines(c->sc);
    char *out = n == 0   ? g_strdup("the scenario has none")
                : n == 1 ? g_strdup("client machines are c1")
                         : g_strdup_printf("client machines are c1..c%u", n);
    g_ptr_array_add(c->diag->scratch, out);
    return out;
}

/* The host or client machine a scalar names: a host's index (*client false) or a client's
 * (*client true); false after reporting. Host names come first: a host may not be named
 * like a client machine. */
static bool read_machine(struct scenario__ctx *c, const struct ynode *n, const char *where,
                         const struct scenario_target_rule *rule, bool *client, uint32_t *index)
{
    *client = false;
    int number = -1;
    if (n->kind == SCENARIO_YNODE_SCALAR && !(c->hosts_ok &&
                                              scenario_host_index(c->sc, n->text) >= 0))
        number = scenario__client_number(n->text);
    if (number < 0) {
        int h = scenario__host(c, n, where);
        if (h < 0)
            return false;
        *index = (uint32_t)h;
        return true;
    }
    if (!(rule->allow & SCENARIO_ALLOW_CLIENT)) {
        scenario__report_at(c, n, "%s: '%s' is a client machine; expected %s", where, n->text,
                            rule->expected);
        return false;
    }
    if (!c->clients_ok)
        return false;
    if ((uint32_t)number >= scenario_client_machines(c->sc)) {
        scenario__report_at(c, n, "%s: unknown client machine '%s' (%s: one per workload or "
                            "recipe client)", where, scenario__quote(c->diag, n->text),
                            client_list(c));
        return false;
    }
    *client = true;
    *index = (uint32_t)number;
    return true;
}

static bool read_host_list(struct scenario__ctx *c, const struct ynode *n, const char *where,
                           const struct scenario_target_rule *rule, struct scenario_target *t)
{
    const struct ynode *seen[SCENARIO_MAX_HOSTS] = { 0 };
    const struct ynode **seen_clients = g_new0(const struct ynode *, SCENARIO_MAX_CLIENTS);
    bool ok = n->items->len > 0;
    if (!ok)
        scenario__report_at(c, n, "%s: the list of hosts is empty", where);
    for (guint i = 0; i < n->items->len; i++) {
        const struct ynode *item = g_ptr_array_index(n->items, i);
        bool client;
        uint32_t x;
        if (!read_machine(c, item, where, rule, &client, &x)) {
            ok = false;
        } else if (client ? seen_clients[x] != NULL : seen[x] != NULL) {
            const struct ynode *first = client ? seen_clients[x] : seen[x];
            scenario__report_at(c, item, "%s: '%s' is listed twice (first at %d:%d)", where,
                                item->text, first->line, first->column);
            ok = false;
        } else if (client && t->n_clients == SCENARIO_MAX_TARGET_CLIENTS) {
            scenario__report_at(c, item, "%s: a list names at most %d client machines", where,
                                SCENARIO_MAX_TARGET_CLIENTS);
            ok = false;
        } else if (client) {
            seen_clients[x] = item;
            t->clients[t->n_clients++] = x;
        } else {
            seen[x] = item;
            t->hosts[t->n_hosts++] = x;
        }
    }
    g_free(seen_clients);
    return ok;
}

bool scenario__target(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      const struct scenario_target_rule *rule, struct scenario_target *t)
{
    t->kind = SCENARIO_TARGET_HOSTS;
    t->n_hosts = 0;
    t->n_clients = 0;
    if (n->kind == SCENARIO_YNODE_SEQUENCE && (rule->allow & SCENARIO_ALLOW_LIST))
        return read_host_list(c, n, where, rule, t);
    if (n->kind != SCENARIO_YNODE_SCALAR || scenario__is_null(n)) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected %s, not %s", where, rule->expected,
                                scenario__is_null(n) ? "nothing" : scenario__kind_name(n));
        return false;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(target_words); i++) {
        if (strcmp(n->text, target_words[i].word) != 0)
            continue;
        if (!(rule->allow & target_words[i].flag)) {
            scenario__report_at(c, n, "%s: '%s' is not a target here (expected %s)", where,
                                n->text, rule->expected);
            return false;
        }
        if (target_words[i].kind == SCENARIO_TARGET_HOLDER && !c->recipes_given) {
            scenario__report_at(c, n, "%s: 'holder' is the client holding a recipe's lock or "
                                "leadership, and this scenario has no recipe:", where);
            return false;
        }
        t->kind = target_words[i].kind;
        return true;
    }
    bool client;
    uint32_t x;
    if (!read_machine(c, n, where, rule, &client, &x))
        return false;
    if (client)
        t->clients[t->n_clients++] = x;
    else
        t->hosts[t->n_hosts++] = x;
    return true;
}

/* ---- partition ------------------------------------------------------------------------------ */

/* One group of a partition: its hosts get number g; seen remembers where each host was
 * first named, across groups. */
static bool read_group(struct scenario__ctx *c, const struct ynode *group, int g,
                       const char *where, const struct ynode **seen, struct scenario_fault *f)
{
    if (group->kind != SCENARIO_YNODE_SEQUENCE || group->items->len == 0) {
        if (group->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, group,
                                "%s: each group is a non-empty list of host names, "
                                "not %s",
                                where,
                                group->kind == SCENARIO_YNODE_SEQUENCE
                                    ? "an empty list"
                                    : scenario__kind_name(group));
        return false;
    }
    bool ok = true;
    for (guint i = 0; i < group->items->len; i++) {
        const struct ynode *item = g_ptr_array_index(group->items, i);
        bool client = item->kind == SCENARIO_YNODE_SCALAR && c->hosts_ok &&
                      scenario_host_index(c->sc, item->text) < 0 &&
                      scenario__client_number(item->text) >= 0;
        int h = client ? -1 : scenario__host(c, item, where);
        if (client) {
            scenario__report_at(c, item, "%s: '%s' is a client machine; a partition names "
                                "hosts (a client machine stands on its home host's side)",
                                where, item->text);
            ok = false;
        } else if (h < 0) {
            ok = false;
        } else if (seen[h]) {
            scenario__report_at(c, item, "%s: '%s' is named twice (first at %d:%d); every "
                                "host belongs to exactly one group", where,
                                c->sc->host_names[h], seen[h]->line, seen[h]->column);
            ok = false;
        } else {
            seen[h] = item;
            f->group[h] = g;
        }
    }
    return ok;
}

static bool read_partition(struct scenario__ctx *c, const struct ynode *n, const char *where,
                           struct scenario_fault *f)
{
    if (n->kind != SCENARIO_YNODE_SEQUENCE) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected a list of groups such as [[h1, h2], [h3]], "
                                "not %s", where, scenario__kind_name(n));
        return false;
    }
    bool ok = n->items->len >= 2;
    if (!ok)
        scenario__report_at(c, n, "%s: a partition needs at least 2 groups", where);
    const struct ynode *seen[SCENARIO_MAX_HOSTS] = { 0 };
    for (guint g = 0; g < n->items->len && g < G_MAXINT; g++)
        ok &= read_group(c, g_ptr_array_index(n->items, g), (int)g, where, seen, f);
    if (!c->hosts_ok)
        return false;
    GString *missing = g_string_new(NULL);
    for (uint32_t h = 0; h < c->sc->hosts; h++) {
        if (!seen[h])
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "",
                                   c->sc->host_names[h]);
    }
    if (missing->len > 0) {
        scenario__report_at(c, n, "%s: leaves out %s; every host belongs to exactly one group",
                            where, missing->str);
        ok = false;
    }
    g_string_free(missing, TRUE);
    return ok;
}

/* ---- slow_link, slow_disk ------------------------------------------------------------------- */

static bool read_slow_link(struct scenario__ctx *c, const struct ynode *n, const char *where,
                           struct scenario_fault *f)
{
    static const char *const keys[] = { "from", "to", "latency", "for" };
    struct scenario__field k[4];
    char path[96];
    if (!scenario__fields(c, n, where, keys, 4, k) || n->kind != SCENARIO_YNODE_MAPPING) {
        if (scenario__is_null(n))
            scenario__report_at(c, n, "%s: expected {from, to, latency, for}", where);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < 4; i++) {
        if (!k[i].value) {
            scenario__missing(c, n, where, keys[i]);
            ok = false;
        }
    }
    if (!ok)
        return false;
    ok = scenario__target(c, k[0].value, scenario__path(path, sizeof path, where, ".from"),
                     &one_host_targets, &f->link_from);
    ok &= scenario__target(c, k[1].value, scenario__path(path, sizeof path, where, ".to"),
                      &one_host_targets, &f->link_to);
    if (ok && f->link_from.kind == f->link_to.kind &&
        (f->link_from.kind == SCENARIO_TARGET_LEADER ||
         (f->link_from.kind == SCENARIO_TARGET_HOSTS &&
          f->link_from.hosts[0] == f->link_to.hosts[0]))) {
        scenario__report_at(c, k[1].value, "%s.to: the same host as from; a link joins two "
                            "different hosts", where);
        ok = false;
    }
    scenario__path(path, sizeof path, where, ".latency");
    ok &= scenario__dist(c, k[2].value, path, &f->delay);
    scenario__path(path, sizeof path, where, ".for");
    ok &= scenario__duration(c, k[3].value, path, 1, &f->duration);
    return ok;
}

static bool read_slow_disk(struct scenario__ctx *c, const struct ynode *n, const char *where,
                           struct scenario_fault *f)
{
    static const char *const keys[] = { "host", "fsync", "for" };
    struct scenario__field k[3];
    char path[96];
    if (!scenario__fields(c, n, where, keys, 3, k) || n->kind != SCENARIO_YNODE_MAPPING) {
        if (scenario__is_null(n))
            scenario__report_at(c, n, "%s: expected {host, fsync, for}", where);
        return false;
    }
    bool ok = true;
    for (int i = 0; i < 3; i++) {
        if (!k[i].value) {
            scenario__missing(c, n, where, keys[i]);
            ok = false;
        }
    }
    if (!ok)
        return false;
    ok = scenario__target(c, k[0].value, scenario__path(path, sizeof path, where, ".host"),
                     &one_host_targets, &f->target);
    scenario__path(path, sizeof path, where, ".fsync");
    ok &= scenario__dist(c, k[1].value, path, &f->delay);
    scenario__path(path, sizeof path, where, ".for");
    ok &= scenario__duration(c, k[2].value, path, 1, &f->duration);
    return ok;
}

/* ---- one fault ------------------------------------------------------------------------------ */

static bool read_action(struct scenario__ctx *c, enum fault_kind kind, const struct ynode *n,
                        const char *where, struct scenario_fault *f)
{
    switch (kind) {
    case TRACE_FAULT_CRASH:
    case TRACE_FAULT_POWER_OFF:
    case TRACE_FAULT_PAUSE:
        return scenario__target(c, n, where, &host_targets, &f->target);
    case TRACE_FAULT_RESTART:
        if (n->kind == SCENARIO_YNODE_SCALAR && strcmp(n->text, "holder") == 0) {
            scenario__report_at(c, n, "%s: 'holder' cannot be restarted: a crashed holder "
                                "holds nothing; name its client machine (c1, c2, ...) or "
                                "restart crashed", where);
            return false;
        }
        return scenario__target(c, n, where, &restart_targets, &f->target);
    case TRACE_FAULT_ISOLATE:
        return scenario__target(c, n, where, &isolate_targets, &f->target);
    case TRACE_FAULT_HEAL:
        f->target.kind = SCENARIO_TARGET_ALL;
        if (n->kind == SCENARIO_YNODE_SCALAR && strcmp(n->text, "all") == 0)
            return true;
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: the only value is 'all'", where);
        return false;
    case TRACE_FAULT_PARTITION:
        return read_partition(c, n, where, f);
    case TRACE_FAULT_SLOW_LINK:
        return read_slow_link(c, n, where, f);
    case TRACE_FAULT_SLOW_DISK:
        return read_slow_disk(c, n, where, f);
    case TRACE_FAULT_KIND_COUNT:
        break;
    }
    ZS_ASSERT(!"unknown fault kind");
    return false;
}

/* The one action key of a fault, or -1 after reporting none or several. */
static int fault_action(struct scenario__ctx *c, const struct ynode *n, const char *where,
                        const struct scenario__field *f)
{
    int action = -1;
    for (int k = 0; k < TRACE_FAULT_KIND_COUNT; k++) {
        if (!f[k].key)
            continue;
        if (action < 0) {
            action = k;
            continue;
        }
        scenario__report_at(c, f[k].key, "%s: a fault has one action; this one has '%s' and '%s'",
                            where, fault_keys[action], fault_keys[k]);
        return -1;
    }
    if (action < 0)
        scenario__report_at(c, n, "%s: no action (one of " ACTION_LIST ")", where);
    return action;
}

/* `at` exists, is a duration, and is not after the end of the run. */
static bool fault_time(struct scenario__ctx *c, const struct ynode *n, const char *where,
                       const struct ynode *at, sim_time *out)
{
    char path[64], end[32];
    if (!at) {
        scenario__missing(c, n, where, "at");
        return false;
    }
    snprintf(path, sizeof path, "%s.at", where);
    if (!scenario__duration(c, at, path, 0, out))
        return false;
    if (c->duration_ok && *out > c->sc->duration) {
        units_format_duration(c->sc->duration, end, sizeof end);
        scenario__report_at(c, at, "%s: after the end of the run (duration: %s)", path, end);
        return false;
    }
    return true;
}

/* When the fault fires: `at` a time, or `on` an event (with `count` and `after`). */
static bool fault_when(struct scenario__ctx *c, const struct ynode *n, const char *where,
                       const struct scenario__field *f, struct scenario_fault *fault)
{
    char path[64];
    if (f[FK_ON].key && f[FK_AT].key) {
        scenario__report_at(c, f[FK_ON].key, "%s: a fault fires either at a time ('at') or "
                            "on an event ('on'), not both", where);
        return false;
    }
    if (!f[FK_ON].key) {
        const struct scenario__field *stray = f[FK_COUNT_KEY].key ? &f[FK_COUNT_KEY]
                                              : f[FK_AFTER].key ? &f[FK_AFTER] : NULL;
        if (stray) {
            scenario__report_at(c, stray->key, "%s: '%s' belongs to a fault triggered by an "
                                "event ('on')", where, stray->key->text);
            return false;
        }
        return fault_time(c, n, where, f[FK_AT].value, &fault->at);
    }
    fault->at = SCENARIO_AT_TRIGGER;
    fault->on.count = 1;
    bool ok = scenario__read_trigger(c, f[FK_ON].value,
                                     scenario__path(path, sizeof path, where, ".on"),
                                     &fault->on);
    if (f[FK_COUNT_KEY].value)
        ok &= scenario__uint(c, f[FK_COUNT_KEY].value,
                             scenario__path(path, sizeof path, where, ".count"), 1,
                             SCENARIO_TRIGGER_COUNT_MAX, &fault->on.count);
    if (f[FK_AFTER].value)
        ok &= scenario__duration(c, f[FK_AFTER].value,
                                 scenario__path(path, sizeof path, where, ".after"), 0,
                                 &fault->on.after);
    return ok;
}

static bool names_event_host(const struct scenario_fault *f)
{
    return f->target.kind == SCENARIO_TARGET_EVENT_HOST ||
           f->link_from.kind == SCENARIO_TARGET_EVENT_HOST ||
           f->link_to.kind == SCENARIO_TARGET_EVENT_HOST;
}

static void read_fault(struct scenario__ctx *c, const struct ynode *n, guint index)
{
    char where[32], path[64];
    struct scenario__field f[FK_COUNT];
    snprintf(where, sizeof where, "faults[%u]", index);
    if (!scenario__fields(c, n, where, fault_keys, FK_COUNT, f))
        return;
    struct scenario_fault fault = { .line = n->line, .column = n->column };
    for (int h = 0; h < SCENARIO_MAX_HOSTS; h++)
        fault.group[h] = -1;
    int action = fault_action(c, n, where, f);
    bool ok = fault_when(c, n, where, f, &fault) && action >= 0;
    snprintf(path, sizeof path, "%s.for", where);
    if (action == TRACE_FAULT_PAUSE && !f[FK_FOR].value) {
        scenario__report_at(c, n, "%s: pause needs 'for' (how long the process stalls)", where);
        ok = false;
    } else if (action == TRACE_FAULT_PAUSE) {
        ok &= scenario__duration(c, f[FK_FOR].value, path, 1, &fault.duration);
    } else if (f[FK_FOR].key && action >= 0) {
        scenario__report_at(c, f[FK_FOR].key, "%s: only pause takes 'for' here (slow_link and "
                            "slow_disk take it inside their mapping)", where);
        ok = false;
    }
    if (action < 0)
        return;
    fault.kind = (enum fault_kind)action;
    snprintf(path, sizeof path, "%s.%s", where, fault_keys[action]);
    ok &= read_action(c, fault.kind, f[action].value, path, &fault);
    if (ok && fault.on.event == TRIGGER_NONE && names_event_host(&fault)) {
        scenario__report_at(c, f[action].value, "%s: event_host is the host whose event "
                            "fired a triggered fault; this fault has no 'on'", path);
        ok = false;
    }
    if (ok)
        g_array_append_val(c->sc->faults, fault);
}

/* Time order; faults at the same time keep their order in the file. */
static gint fault_cmp(gconstpointer pa, gconstpointer pb)
{
    const struct scenario_fault *a = pa, *b = pb;
    if (a->at != b->at)
        return a->at < b->at ? -1 : 1;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return (a->column > b->column) - (a->column < b->column);
}

void scenario__read_faults(struct scenario__ctx *c, const struct ynode *n)
{
    if (!n || scenario__is_null(n) || n->kind == SCENARIO_YNODE_INVALID)
        return;
    if (n->kind != SCENARIO_YNODE_SEQUENCE) {
        scenario__report_at(c, n, "faults: expected a list of faults such as "
                            "- {at: 3s, crash: leader}, not %s", scenario__kind_name(n));
        return;
    }
    for (guint i = 0; i < n->items->len; i++)
        read_fault(c, g_ptr_array_index(n->items, i), i);
    g_array_sort(c->sc->faults, fault_cmp);
}

/* ---- expect --------------------------------------------------------------------------------- */

/* Every expect: key: the summary's columns (world/summary_columns.h), then invariants. */
#define EXPECT_KEYS_MAX 40

/* Keys of zabsim 0.1 whose measure was split in two: each gets a message naming both. */
static const struct {
    const char *old_name;
    const char *hint;
} renamed_keys[] = {
    { "latency_p50_ns", "delivery_p50_ns (submission to delivery) or ack_p50_ns (to the "
                        "client's acknowledgement)" },
    { "latency_p99_ns", "delivery_p99_ns (submission to delivery) or ack_p99_ns (to the "
                        "client's acknowledgement)" },
    { "latency_max_ns", "delivery_max_ns (submission to delivery) or ack_max_ns (to the "
                        "client's acknowledgement)" },
};

/* Fills keys with every key expect: accepts; returns how many, and in *n_listed how many of
 * them are current (the rest are renamed ones). */
static size_t expect_keys(const char **keys, size_t *n_listed)
{
    size_t n = 0;
    for (size_t i = 0; i < summary_columns_count; i++)
        keys[n++] = summary_columns[i].name;
    for (size_t i = 0; i < recipe_columns_count; i++)
        keys[n++] = recipe_columns[i].name;
    keys[n++] = "invariants";
    *n_listed = n;
    for (size_t i = 0; i < G_N_ELEMENTS(renamed_keys); i++)
        keys[n++] = renamed_keys[i].old_name;
    ZS_ASSERT(n <= EXPECT_KEYS_MAX);
    return n;
}

static const char *renamed_hint(const char *column)
{
    for (size_t i = 0; i < G_N_ELEMENTS(renamed_keys); i++) {
        if (strcmp(renamed_keys[i].old_name, column) == 0)
            return renamed_keys[i].hint;
    }
    return NULL;
}

/* A count, or for *_ns columns also a duration ("50ms"). */
static bool expect_number(struct scenario__ctx *c, const struct ynode *n, const char *where,
                          bool is_ns, int64_t *out)
{
    uint64_t v;
    sim_time t;
    bool digits = n->kind == SCENARIO_YNODE_SCALAR && n->text[0] != '\0' &&
                  strspn(n->text, "0123456789") == strlen(n->text);
    if (is_ns && !digits && n->kind == SCENARIO_YNODE_SCALAR && !scenario__is_null(n)) {
        if (!scenario__duration(c, n, where, 0, &t))
            return false;
        *out = t;
        return true;
    }
    if (!scenario__uint(c, n, where, 0, INT64_MAX, &v))
        return false;
    *out = (int64_t)v;
    return true;
}

static bool expect_range(struct scenario__ctx *c, const struct ynode *n, const char *where,
                         bool is_ns, struct scenario_expect *e)
{
    static const char *const keys[] = { "min", "max" };
    struct scenario__field f[2];
    char path[96];
    scenario__fields(c, n, where, keys, 2, f);
    if (!f[0].value && !f[1].value) {
        scenario__report_at(c, n, "%s: give min, max or both", where);
        return false;
    }
    bool ok = true;
    if (f[0].value) {
        scenario__path(path, sizeof path, where, ".min");
        ok &= expect_number(c, f[0].value, path, is_ns, &e->min);
    }
    if (f[1].value) {
        scenario__path(path, sizeof path, where, ".max");
        ok &= expect_number(c, f[1].value, path, is_ns, &e->max);
    }
    if (ok && e->min > e->max) {
        scenario__report_at(c, f[1].value, "%s: max must not be below min", where);
        ok = false;
    }
    return ok;
}

static bool is_duration(const char *column)
{
    const struct summary_column *col = summary_column_find(column);
    if (!col)
        col = recipe_column_find(column);
    return col && col->unit == SUMMARY_DURATION;
}

/* {violated: NAME}: a bug scenario's run breaks that invariant at least once. */
static bool expect_violated(struct scenario__ctx *c, const struct ynode *n, const char *where,
                            const struct model_desc *desc, struct scenario_expect *e)
{
    static const char *const keys[] = { "violated" };
    struct scenario__field k[1];
    char path[96];
    if (!scenario__fields(c, n, where, keys, 1, k))
        return false;
    if (!k[0].value) {
        scenario__missing(c, n, where, "violated");
        return false;
    }
    char *name = NULL;
    if (!scenario__string(c, k[0].value, scenario__path(path, sizeof path, where, ".violated"),
                          &name))
        return false;
    const struct oracle_ops *o = desc->oracle;
    GString *known = g_string_new(NULL);
    bool found = false;
    for (unsigned i = 0; i < o->n_invariants; i++) {
        found = found || strcmp(o->invariants[i], name) == 0;
        g_string_append_printf(known, "%s%s", i ? ", " : "", o->invariants[i]);
    }
    if (found) {
        e->violated = name;
        e->min = 1;
        e->max = INT64_MAX;
    } else {
        scenario__report_at(c, k[0].value, "%s: '%s' is not one of %s's invariants (%s)", path,
                            scenario__quote(c->diag, name), desc->name, known->str);
        g_free(name);
    }
    g_string_free(known, TRUE);
    return found;
}

static void read_expect_value(struct scenario__ctx *c, const struct scenario__field *f,
                              const char *column, model_id model)
{
    char where[64];
    const struct ynode *n = f->value;
    struct scenario_expect e = { .model = model, .min = INT64_MIN, .max = INT64_MAX,
                                 .line = f->key->line, .column_no = f->key->column };
    bool ok;
    const struct model_desc *desc = model_get(model);
    snprintf(where, sizeof where, "expect.%s.%s", desc->name, column);
    if (renamed_hint(column)) {
        scenario__report_at(c, f->key, "%s: this measure is now two: use %s", where,
                            renamed_hint(column));
        return;
    }
    if (strcmp(column, "invariants") == 0 && !desc->oracle) {
        /* A model without invariants would pass "hold" vacuously. */
        scenario__report_at(c, f->key, "%s: %s makes no ordering promises to check; "
                            "assert its measures instead (lost, duplicates, "
                            "order_disagreements, ...)", where, desc->title);
        return;
    }
    if (strcmp(column, "invariants") == 0 && n->kind == SCENARIO_YNODE_MAPPING) {
        ok = expect_violated(c, n, where, desc, &e);
    } else if (strcmp(column, "invariants") == 0) {
        ok = n->kind == SCENARIO_YNODE_SCALAR && strcmp(n->text, "hold") == 0;
        if (!ok && n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected 'hold' or {violated: INVARIANT}", where);
        e.min = e.max = 0; /* zero violations */
    } else if (n->kind == SCENARIO_YNODE_MAPPING) {
        ok = expect_range(c, n, where, is_duration(column), &e);
    } else if (n->kind == SCENARIO_YNODE_SEQUENCE) {
        scenario__report_at(c, n, "%s: expected a number or {min: N, max: N}, not a list", where);
        ok = false;
    } else {
        ok = expect_number(c, n, where, is_duration(column), &e.min);
        e.max = e.min;
    }
    if (!ok)
        return;
    e.column = g_strdup(column);
    g_array_append_val(c->sc->expect, e);
}

static gint expect_cmp(gconstpointer pa, gconstpointer pb)
{
    const struct scenario_expect *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    return (a->column_no > b->column_no) - (a->column_no < b->column_no);
}

void scenario__read_expect(struct scenario__ctx *c, const struct ynode *n)
{
    const char *names[MODELS_MAX];
    model_id ids[MODELS_MAX];
    struct scenario__field models[MODELS_MAX];
    const char *keys[EXPECT_KEYS_MAX];
    size_t n_listed;
    size_t n_keys = expect_keys(keys, &n_listed);
    struct scenario__field f[EXPECT_KEYS_MAX];
    char where[32];
    /* Only models a run simulates: the real ones are recorded by `zabsim conform`. */
    size_t n_models = 0;
    for (model_id m = 0; m < model_count(); m++) {
        if (model_all() & (1u << m)) {
            ids[n_models] = m;
            names[n_models++] = model_get(m)->name;
        }
    }
    if (!scenario__fields(c, n, "expect", names, n_models, models))
        return;
    for (size_t i = 0; i < n_models; i++) {
        if (!models[i].value)
            continue;
        snprintf(where, sizeof where, "expect.%s", names[i]);
        if (!scenario__fields_listed(c, models[i].value, where, keys, n_keys, n_listed, f))
            continue;
        for (size_t k = 0; k < n_keys; k++) {
            if (f[k].value)
                read_expect_value(c, &f[k], keys[k], ids[i]);
        }
    }
    g_array_sort(c->sc->expect, expect_cmp);
}
