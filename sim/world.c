/* world.c: assembling and driving a zabsim run; see world.h. */
#include "sim/world.h"

#include "sim/units.h"

#include "protocol/pubsub/pubsub.h"
#include "protocol/zab/zab.h"

#include <math.h>
#include <string.h>

struct world_client {
    uint32_t machine;
    uint32_t zab_node, ps_node;
    uint32_t next_seq;
    sim_time interval;
};

struct world {
    const struct scenario *sc;
    unsigned models;
    struct sim *sim;
    struct recorder user_rec;
    struct rng fault_rng, workload_rng;
    uint32_t *host_machines;
    uint32_t *zab_nodes, *broker_nodes, *subscriber_nodes;
    struct world_client *clients;
    struct zab_server_config *zab_cfgs;
    struct zab_client_config *zk_client_cfgs;
    struct ps_broker_config *broker_cfgs;
    struct ps_subscriber_config *subscriber_cfgs;
    struct ps_publisher_config *publisher_cfgs;
    int *groups; /* per machine */
};

/* Records pass through the world: a pub/sub drop blamed on a route whose far host is down
 * is a drop because that broker is down. */
static void world_record(void *ctx, const struct trace_rec *r)
{
    struct world *w = ctx;
    if (r->kind == TRACE_DROP && r->u.drop.cause == DROP_ROUTE_DOWN && r->u.drop.meant_for >= 0 &&
        !sim_machine_up(w->sim, w->host_machines[r->u.drop.meant_for])) {
        struct trace_rec copy = *r;
        copy.u.drop.cause = DROP_BROKER_DOWN;
        if (w->user_rec.record)
            w->user_rec.record(w->user_rec.ctx, &copy);
        return;
    }
    if (w->user_rec.record)
        w->user_rec.record(w->user_rec.ctx, r);
}

/* ---- building ------------------------------------------------------------------------ */

static void add_hosts(struct world *w)
{
    const struct scenario *sc = w->sc;
    uint32_t n = sc->hosts;
    for (uint32_t h = 0; h < n; h++)
        w->host_machines[h] = sim_add_machine(w->sim, sc->host_names[h], true);
    for (uint32_t h = 0; h < n; h++) {
        char name[96];
        if (w->models & WORLD_ZAB) {
            w->zab_cfgs[h] = (struct zab_server_config){
                .sid = h + 1, .n_servers = n, .host_machines = w->host_machines,
                .tick = sc->zab.tick, .init_limit = sc->zab.init_limit,
                .sync_limit = sc->zab.sync_limit, .max_batch = sc->zab.max_batch,
                .commit_log_count = 500, .snapshot_size_factor = 0.33,
                .payload_bytes = sc->workload.payload };
            g_snprintf(name, sizeof name, "%s/zab", sc->host_names[h]);
            w->zab_nodes[h] = sim_add_node(w->sim, w->host_machines[h], name, &zab_server_ops,
                                           &w->zab_cfgs[h],
                                           (1u << PORT_ZAB_CLIENT) | (1u << PORT_ZAB_QUORUM) |
                                               (1u << PORT_ZAB_ELECTION));
        }
        if (w->models & WORLD_PUBSUB) {
            w->broker_cfgs[h] = (struct ps_broker_config){
                .host = h, .n_hosts = n, .host_machines = w->host_machines,
                .max_pending = sc->pubsub.max_pending };
            g_snprintf(name, sizeof name, "%s/broker", sc->host_names[h]);
            w->broker_nodes[h] = sim_add_node(w->sim, w->host_machines[h], name, &ps_broker_ops,
                                              &w->broker_cfgs[h],
                                              (1u << PORT_PS_CLIENT) | (1u << PORT_PS_ROUTE));
            w->subscriber_cfgs[h] = (struct ps_subscriber_config){
                .host = h, .machine = w->host_machines[h], .subscribe = sc->pubsub.subscribe,
                .queue_group = sc->pubsub.queue_group,
                .sub_pending_msgs = sc->pubsub.sub_pending_msgs,
                .consume_rate = sc->pubsub.consume_rate,
                .reconnect_wait = sc->pubsub.reconnect_wait };
            g_snprintf(name, sizeof name, "%s/subscriber", sc->host_names[h]);
            w->subscriber_nodes[h] = sim_add_node(w->sim, w->host_machines[h], name,
                                                  &ps_subscriber_ops, &w->subscriber_cfgs[h], 0);
        }
    }
}

static void add_clients(struct world *w)
{
    const struct scenario *sc = w->sc;
    for (uint32_t i = 0; i < sc->workload.clients; i++) {
        struct world_client *c = &w->clients[i];
        uint32_t home = sc->workload.attach[i];
        char name[64];
        g_snprintf(name, sizeof name, "c%u", i + 1);
        c->machine = sim_add_machine(w->sim, name, false);
        w->groups[c->machine] = 0;
        if (w->models & WORLD_ZAB) {
            w->zk_client_cfgs[i] = (struct zab_client_config){
                .client = i + 1, .home_host = home, .n_hosts = sc->hosts,
                .host_machines = w->host_machines, .session_timeout = sc->zab.session_timeout,
                .payload_bytes = sc->workload.payload };
            g_snprintf(name, sizeof name, "c%u/zk", i + 1);
            c->zab_node = sim_add_node(w->sim, c->machine, name, &zab_client_ops,
                                       &w->zk_client_cfgs[i], 0);
        }
        if (w->models & WORLD_PUBSUB) {
            w->publisher_cfgs[i] = (struct ps_publisher_config){
                .client = i + 1, .home_host = home, .n_hosts = sc->hosts,
                .host_machines = w->host_machines, .subject = sc->pubsub.subject,
                .reconnect_wait = sc->pubsub.reconnect_wait,
                .reconnect_buffer = sc->pubsub.reconnect_buffer };
            g_snprintf(name, sizeof name, "c%u/nats", i + 1);
            c->ps_node = sim_add_node(w->sim, c->machine, name, &ps_publisher_ops,
                                      &w->publisher_cfgs[i], 0);
        }
        c->interval = sc->workload.rate > 0 ? (sim_time)llround(1e9 / sc->workload.rate) : 0;
    }
}

/* ---- workload ------------------------------------------------------------------------ */

static void workload_tick(struct sim *s, void *ctx, uint64_t index)
{
    struct world *w = ctx;
    struct world_client *c = &w->clients[index];
    msg_id_t id = msg_id_make((uint32_t)index + 1, ++c->next_seq);
    if (w->models & WORLD_ZAB) {
        struct zab_write_op op = { .msg_id = id };
        struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
        sim_node_input(s, c->zab_node, &in);
    }
    if (w->models & WORLD_PUBSUB) {
        struct ps_publish_op op = { .msg_id = id, .payload_bytes = w->sc->workload.payload };
        struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
        sim_node_input(s, c->ps_node, &in);
    }
    sim_time next = sim_now(s) + c->interval;
    if (next < w->sc->workload.stop)
        sim_at(s, next, workload_tick, w, index);
}

static void schedule_workload(struct world *w)
{
    for (uint32_t i = 0; i < w->sc->workload.clients; i++) {
        struct world_client *c = &w->clients[i];
        if (c->interval <= 0)
            continue;
        /* Clients do not tick in lockstep: each starts at a random phase of its interval. */
        sim_time first = w->sc->workload.start + (sim_time)rng_below(&w->workload_rng,
                                                                      (uint64_t)c->interval);
        if (first < w->sc->workload.stop)
            sim_at(w->sim, first, workload_tick, w, i);
    }
}

/* ---- faults -------------------------------------------------------------------------- */

static const void *zab_state_of(const struct world *w, uint32_t host)
{
    if (!(w->models & WORLD_ZAB) || !sim_machine_up(w->sim, w->host_machines[host]))
        return NULL;
    return sim_node_state(w->sim, w->zab_nodes[host]);
}

/* The leader at this moment: the LEADING server with the newest epoch (an old leader that
 * has not noticed it lost its quorum may still say LEADING). -1 when there is none. */
static int current_leader(const struct world *w)
{
    int best = -1;
    int64_t best_epoch = -1;
    for (uint32_t h = 0; h < w->sc->hosts; h++) {
        const void *z = zab_state_of(w, h);
        if (!z || zab_server_state(z) != ZAB_STATE_LEADING)
            continue;
        bool serving = zab_server_phase(z) == ZAB_PHASE_BROADCAST;
        int64_t epoch = serving ? zab_server_current_epoch(z) : -1;
        if (best < 0 || epoch > best_epoch) {
            best = (int)h;
            best_epoch = epoch;
        }
    }
    return best;
}

static int pick_random(struct world *w, bool (*eligible)(const struct world *, uint32_t))
{
    uint32_t candidates[SCENARIO_MAX_HOSTS], n = 0;
    for (uint32_t h = 0; h < w->sc->hosts; h++) {
        if (eligible(w, h))
            candidates[n++] = h;
    }
    return n ? (int)candidates[rng_below(&w->fault_rng, n)] : -1;
}

static bool is_follower(const struct world *w, uint32_t h)
{
    const void *z = zab_state_of(w, h);
    return z && zab_server_state(z) == ZAB_STATE_FOLLOWING;
}

static bool is_up(const struct world *w, uint32_t h)
{
    return sim_machine_up(w->sim, w->host_machines[h]);
}

static bool is_down(const struct world *w, uint32_t h)
{
    return !sim_machine_up(w->sim, w->host_machines[h]);
}

/* Resolves a target to host indices; returns how many. */
static uint32_t resolve(struct world *w, const struct scenario_target *t, uint32_t *hosts)
{
    int h = -1;
    switch (t->kind) {
    case TARGET_HOSTS:
        memcpy(hosts, t->hosts, t->n_hosts * sizeof *hosts);
        return t->n_hosts;
    case TARGET_LEADER:
        h = current_leader(w);
        break;
    case TARGET_FOLLOWER:
        h = pick_random(w, is_follower);
        break;
    case TARGET_RANDOM:
        h = pick_random(w, is_up);
        break;
    case TARGET_CRASHED: {
        uint32_t n = 0;
        for (uint32_t i = 0; i < w->sc->hosts; i++) {
            if (is_down(w, i))
                hosts[n++] = i;
        }
        return n;
    }
    case TARGET_ALL: {
        for (uint32_t i = 0; i < w->sc->hosts; i++)
            hosts[i] = i;
        return w->sc->hosts;
    }
    }
    if (h < 0)
        return 0;
    hosts[0] = (uint32_t)h;
    return 1;
}

static void record_down(struct world *w, uint32_t host)
{
    if (!(w->models & WORLD_ZAB))
        return;
    struct trace_rec r = { .kind = TRACE_HOST_STATE, .host = (int32_t)host,
                           .incarnation = sim_machine_incarnation(w->sim, w->host_machines[host]) };
    r.u.host_state.state = ZAB_STATE_DOWN;
    r.u.host_state.phase = ZAB_PHASE_NONE;
    r.u.host_state.epoch = -1;
    sim_record(w->sim, &r);
}

static void set_groups(struct world *w, const int *host_group)
{
    for (uint32_t h = 0; h < w->sc->hosts; h++)
        w->groups[w->host_machines[h]] = host_group[h];
    for (uint32_t i = 0; i < w->sc->workload.clients; i++)
        w->groups[w->clients[i].machine] = host_group[w->sc->workload.attach[i]];
    sim_set_groups(w->sim, w->groups);
}

static void names_of(const struct world *w, const uint32_t *hosts, uint32_t n, GString *out)
{
    for (uint32_t i = 0; i < n; i++)
        g_string_append_printf(out, "%s%s", i ? "," : "", w->sc->host_names[hosts[i]]);
}

static void describe_partition(const struct world *w, const int *group, GString *detail)
{
    int max_group = 0;
    for (uint32_t h = 0; h < w->sc->hosts; h++)
        max_group = MAX(max_group, group[h]);
    for (int g = 0; g <= max_group; g++) {
        g_string_append(detail, g ? " | " : "");
        bool first = true;
        for (uint32_t h = 0; h < w->sc->hosts; h++) {
            if (group[h] == g) {
                g_string_append_printf(detail, "%s%s", first ? "" : ",", w->sc->host_names[h]);
                first = false;
            }
        }
    }
}

/* Applies one fault to the resolved hosts; appends what happened to detail. */
static void apply_fault(struct world *w, const struct scenario_fault *f, const uint32_t *hosts,
                        uint32_t n, GString *detail)
{
    int group[SCENARIO_MAX_HOSTS] = { 0 };
    char buf[64];
    for (uint32_t i = 0; i < n; i++) {
        uint32_t m = w->host_machines[hosts[i]];
        bool applied = true;
        switch (f->kind) {
        case FAULT_CRASH:
            applied = sim_crash(w->sim, m);
            if (applied)
                record_down(w, hosts[i]);
            break;
        case FAULT_POWER_OFF:
            applied = sim_power_off(w->sim, m);
            if (applied)
                record_down(w, hosts[i]);
            break;
        case FAULT_RESTART:
            applied = sim_restart(w->sim, m);
            break;
        case FAULT_PAUSE:
            applied = sim_pause(w->sim, m, f->duration);
            break;
        default:
            break;
        }
        if (!applied)
            g_string_append_printf(detail, "%s%s unchanged (already %s)", detail->len ? "; " : "",
                                   w->sc->host_names[hosts[i]],
                                   f->kind == FAULT_RESTART ? "up" : "down");
    }
    switch (f->kind) {
    case FAULT_PARTITION:
        set_groups(w, f->group);
        describe_partition(w, f->group, detail);
        break;
    case FAULT_ISOLATE:
        for (uint32_t h = 0; h < w->sc->hosts; h++)
            group[h] = (n > 0 && h == hosts[0]) ? 1 : 0;
        set_groups(w, group);
        describe_partition(w, group, detail);
        break;
    case FAULT_HEAL:
        set_groups(w, group);
        break;
    case FAULT_PAUSE:
        units_format_duration(f->duration, buf, sizeof buf);
        g_string_append_printf(detail, "%sfor %s", detail->len ? "; " : "", buf);
        break;
    case FAULT_SLOW_LINK:
        sim_slow_link(w->sim, w->host_machines[f->link_from], w->host_machines[f->link_to],
                      &f->delay, sim_now(w->sim) + f->duration);
        dist_format(&f->delay, buf, sizeof buf);
        g_string_append_printf(detail, "%s->%s latency %s", w->sc->host_names[f->link_from],
                               w->sc->host_names[f->link_to], buf);
        break;
    case FAULT_SLOW_DISK:
        sim_slow_disk(w->sim, w->host_machines[f->disk_host], &f->delay,
                      sim_now(w->sim) + f->duration);
        dist_format(&f->delay, buf, sizeof buf);
        g_string_append_printf(detail, "fsync %s", buf);
        break;
    default:
        break;
    }
}

static void fire_fault(struct sim *s, void *ctx, uint64_t index)
{
    struct world *w = ctx;
    const struct scenario_fault *f = &g_array_index(w->sc->faults, struct scenario_fault, index);
    uint32_t hosts[SCENARIO_MAX_HOSTS];
    uint32_t n = 0;
    switch (f->kind) {
    case FAULT_PARTITION:
    case FAULT_HEAL:
    case FAULT_SLOW_LINK:
        break;
    case FAULT_SLOW_DISK:
        hosts[n++] = f->disk_host;
        break;
    default:
        n = resolve(w, &f->target, hosts);
    }
    GString *target = g_string_new(NULL), *detail = g_string_new(NULL);
    if (f->kind == FAULT_SLOW_LINK) {
        uint32_t ends[2] = { f->link_from, f->link_to };
        names_of(w, ends, 2, target);
    } else if (f->kind == FAULT_PARTITION || f->kind == FAULT_HEAL) {
        g_string_append(target, "all");
    } else {
        names_of(w, hosts, n, target);
    }
    if (n == 0 && f->kind != FAULT_PARTITION && f->kind != FAULT_HEAL && f->kind != FAULT_SLOW_LINK)
        g_string_append(detail, "no host matched the target: nothing done");
    else
        apply_fault(w, f, hosts, n, detail);
    struct trace_rec r = { .kind = TRACE_FAULT, .host = -1 };
    r.u.fault.kind = f->kind;
    r.u.fault.target = target->str;
    r.u.fault.detail = detail->str;
    sim_record(s, &r);
    g_string_free(target, TRUE);
    g_string_free(detail, TRUE);
}

/* ---- lifecycle ----------------------------------------------------------------------- */

struct world *world_new(const struct scenario *sc, uint64_t seed, unsigned models,
                        bool log_messages, const struct recorder *rec)
{
    struct world *w = g_new0(struct world, 1);
    w->sc = sc;
    w->models = models;
    if (rec)
        w->user_rec = *rec;
    rng_init(&w->fault_rng, seed, "faults");
    rng_init(&w->workload_rng, seed, "workload");
    struct sim_config cfg = { .seed = seed, .latency = sc->latency, .fsync = sc->fsync,
                              .loopback_ns = 20 * SIM_US, .log_messages = log_messages };
    struct recorder wrap = { .record = world_record, .ctx = w };
    w->sim = sim_new(&cfg, &wrap);
    uint32_t n = sc->hosts, m = sc->workload.clients;
    w->host_machines = g_new0(uint32_t, n);
    w->zab_nodes = g_new0(uint32_t, n);
    w->broker_nodes = g_new0(uint32_t, n);
    w->subscriber_nodes = g_new0(uint32_t, n);
    w->zab_cfgs = g_new0(struct zab_server_config, n);
    w->broker_cfgs = g_new0(struct ps_broker_config, n);
    w->subscriber_cfgs = g_new0(struct ps_subscriber_config, n);
    w->clients = g_new0(struct world_client, MAX(m, 1));
    w->zk_client_cfgs = g_new0(struct zab_client_config, MAX(m, 1));
    w->publisher_cfgs = g_new0(struct ps_publisher_config, MAX(m, 1));
    w->groups = g_new0(int, n + m);
    add_hosts(w);
    add_clients(w);
    sim_start(w->sim);
    schedule_workload(w);
    for (guint i = 0; i < sc->faults->len; i++)
        sim_at(w->sim, g_array_index(sc->faults, struct scenario_fault, i).at, fire_fault, w, i);
    return w;
}

void world_run(struct world *w)
{
    sim_run_until(w->sim, w->sc->duration);
}

void world_host_ends(const struct world *w, struct world_host_end *ends)
{
    for (uint32_t h = 0; h < w->sc->hosts; h++) {
        uint32_t m = w->host_machines[h];
        const void *z = zab_state_of(w, h);
        ends[h] = (struct world_host_end){
            .up = sim_machine_up(w->sim, m),
            .incarnation = sim_machine_incarnation(w->sim, m),
            .zab_state = z ? zab_server_state(z) : ZAB_STATE_DOWN,
            .zab_phase = z ? zab_server_phase(z) : ZAB_PHASE_NONE,
        };
    }
}

void world_free(struct world *w)
{
    if (!w)
        return;
    sim_free(w->sim);
    g_free(w->host_machines);
    g_free(w->zab_nodes);
    g_free(w->broker_nodes);
    g_free(w->subscriber_nodes);
    g_free(w->zab_cfgs);
    g_free(w->broker_cfgs);
    g_free(w->subscriber_cfgs);
    g_free(w->clients);
    g_free(w->zk_client_cfgs);
    g_free(w->publisher_cfgs);
    g_free(w->groups);
    g_free(w);
}
