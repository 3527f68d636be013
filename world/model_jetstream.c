/* model_jetstream.c: the JetStream-style model's descriptor (world/model.h): a
 * nats-server with JetStream and a subscriber application on every host (the stream's R
 * replicas on the last R hosts), a publishing application on every client machine, its
 * vocabulary, the tables its own records go to, the stream leader as a fault target, and
 * its oracle (protocol/jetstream/js_oracle.c). With recipes over it, the key-value bucket's
 * server beside the stream's on every host, a protected resource per lock or election, and
 * the recipe clients on the recipe's client machines (c1..cN for the first recipe). */
#include "world/model.h"

#include "protocol/jetstream/jetstream.h"
#include "sim/resource.h"

/* One of the scenario's recipes run over the bucket: its resource and its clients. */
struct js_recipe_run {
    uint32_t recipe;                  /* index in sc->recipes */
    struct resource_config resource;
    struct js_recipe_config *clients; /* by client */
    uint32_t *nodes;                  /* by client */
};

/* The bucket's values are client names: a few bytes in each Raft entry. */
#define KV_VALUE_BYTES 16u

struct model_run {
    struct model_build b;
    struct js_server_config *servers;         /* by host */
    struct js_subscriber_config *subscribers; /* by host */
    struct js_publisher_config *publishers;   /* by client */
    uint32_t *server_nodes;                   /* by host */
    uint32_t *publisher_nodes;                /* by client */
    struct js_server_config *kv_servers;      /* by host; NULL without recipes over it */
    struct js_recipe_run *recipes;            /* the scenario's recipes over jetstream */
    uint32_t n_recipes;
};

static struct model_run *js_build(const struct model_build *b)
{
    struct model_run *m = g_new0(struct model_run, 1);
    m->b = *b;
    m->servers = g_new0(struct js_server_config, MAX(b->sc->hosts, 1));
    m->subscribers = g_new0(struct js_subscriber_config, MAX(b->sc->hosts, 1));
    m->publishers = g_new0(struct js_publisher_config, MAX(b->sc->workload.clients, 1));
    m->server_nodes = g_new0(uint32_t, MAX(b->sc->hosts, 1));
    m->publisher_nodes = g_new0(uint32_t, MAX(b->sc->workload.clients, 1));
    sim_model_lifetime(b->sim, b->id, &b->sc->jetstream.startup, &b->sc->jetstream.teardown);
    sim_model_processing(b->sim, b->id, &b->sc->jetstream.processing);
    return m;
}

static uint32_t js_place_host(struct model_run *m, uint32_t h)
{
    const struct scenario *sc = m->b.sc;
    uint32_t machine = m->b.host_machines[h];
    m->servers[h] = (struct js_server_config){
        .host = h, .n_hosts = sc->hosts, .host_machines = m->b.host_machines,
        .replicas = sc->jetstream.replicas, .sync_interval = sc->jetstream.sync_interval,
        .sync_always = sc->jetstream.sync_always, .ack_wait = sc->jetstream.ack_wait,
        .max_deliver = sc->jetstream.max_deliver,
        .max_ack_pending = sc->jetstream.max_ack_pending,
        .duplicate_window = sc->jetstream.duplicate_window,
        .payload_bytes = sc->workload.payload };
    char name[96];
    g_snprintf(name, sizeof name, "%s/jetstream", sc->host_names[h]);
    struct sim_node_spec server = { .name = name, .model = m->b.id, .ops = &js_server_ops,
                                    .config = &m->servers[h],
                                    .ports = { JS_PORT_CLIENT, JS_PORT_ROUTE } };
    m->server_nodes[h] = sim_add_node(m->b.sim, machine, &server);
    m->subscribers[h] = (struct js_subscriber_config){
        .host = h, .machine = machine, .reconnect_wait = sc->jetstream.reconnect_wait };
    g_snprintf(name, sizeof name, "%s/js-subscriber", sc->host_names[h]);
    struct sim_node_spec subscriber = { .name = name, .model = m->b.id,
                                        .ops = &js_subscriber_ops,
                                        .config = &m->subscribers[h] };
    return sim_add_node(m->b.sim, machine, &subscriber);
}

static uint32_t js_place_client(struct model_run *m, uint32_t c)
{
    const struct scenario *sc = m->b.sc;
    m->publishers[c] = (struct js_publisher_config){
        .client = c + 1, .home_host = sc->workload.attach[c], .n_hosts = sc->hosts,
        .host_machines = m->b.host_machines,
        .publish_timeout = sc->jetstream.publish_timeout,
        .publish_attempts = sc->jetstream.publish_attempts,
        .reconnect_wait = sc->jetstream.reconnect_wait,
        .payload_bytes = sc->workload.payload };
    char name[64];
    g_snprintf(name, sizeof name, "c%u/js", c + 1);
    struct sim_node_spec spec = { .name = name, .model = m->b.id, .ops = &js_publisher_ops,
                                  .config = &m->publishers[c] };
    m->publisher_nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[c], &spec);
    return m->publisher_nodes[c];
}

/* The bucket's server on each host, beside the stream's: the same replicas, its own Raft
 * group, routes and files. */
static void place_kv_servers(struct model_run *m)
{
    const struct scenario *sc = m->b.sc;
    m->kv_servers = g_new0(struct js_server_config, MAX(sc->hosts, 1));
    for (uint32_t h = 0; h < sc->hosts; h++) {
        m->kv_servers[h] = m->servers[h];
        m->kv_servers[h].kv = true;
        m->kv_servers[h].kv_ttl = sc->jetstream.kv_ttl;
        m->kv_servers[h].payload_bytes = KV_VALUE_BYTES;
        char name[96];
        g_snprintf(name, sizeof name, "%s/js-kv", sc->host_names[h]);
        struct sim_node_spec spec = { .name = name, .model = m->b.id, .ops = &js_server_ops,
                                      .config = &m->kv_servers[h],
                                      .ports = { JS_PORT_KV_CLIENT, JS_PORT_KV_ROUTE } };
        sim_add_node(m->b.sim, m->b.host_machines[h], &spec);
    }
}

static const uint8_t recipe_kind_of[RECIPE_KIND_COUNT] = {
    [RECIPE_LOCK] = JS_RECIPE_LOCK,
    [RECIPE_ELECTION] = JS_RECIPE_ELECTION,
    [RECIPE_REGISTRY] = JS_RECIPE_REGISTRY,
};

/* The recipes over the bucket: its servers once, then for each recipe its protected
 * resource (a lock's or an election's) on a machine of its own outside every partition, and
 * a recipe client on each of client machines c1..cN, home host (c - 1) mod hosts. */
static void js_place_recipes(struct model_run *m)
{
    const struct scenario *sc = m->b.sc;
    m->recipes = g_new0(struct js_recipe_run, MAX(sc->n_recipes, 1));
    for (uint32_t i = 0; i < sc->n_recipes; i++) {
        const struct scenario_recipe *sr = &sc->recipes[i];
        if (sr->backend != m->b.id)
            continue;
        if (!m->kv_servers)
            place_kv_servers(m);
        struct js_recipe_run *rr = &m->recipes[m->n_recipes++];
        rr->recipe = i;
        char name[64];
        uint32_t resource_machine = model_place_recipe_resource(&m->b, i, &rr->resource);
        rr->clients = g_new0(struct js_recipe_config, sr->clients);
        rr->nodes = g_new0(uint32_t, sr->clients);
        for (uint32_t c = 0; c < sr->clients; c++) {
            uint32_t at = sr->first_client + c; /* its client machine's index */
            rr->clients[c] = (struct js_recipe_config){
                .client = at + 1, .recipe = (uint8_t)i, .kind = recipe_kind_of[sr->kind],
                .first_client = sr->first_client, .clients = sr->clients,
                .home_host = at % sc->hosts, .n_hosts = sc->hosts,
                .host_machines = m->b.host_machines, .resource_machine = resource_machine,
                .request_timeout = sc->jetstream.publish_timeout,
                .reconnect_wait = sc->jetstream.reconnect_wait, .ttl = sc->jetstream.kv_ttl,
                .hold = sr->hold, .work_every = sr->work_every };
            g_snprintf(name, sizeof name, "c%u/js-%s%u", at + 1, recipe_kind_name(sr->kind),
                       i + 1);
            struct sim_node_spec spec = { .name = name, .model = m->b.id,
                                          .ops = &js_recipe_ops, .config = &rr->clients[c] };
            rr->nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[at], &spec);
        }
    }
}

static int js_recipe_holder(struct model_run *m, uint32_t recipe)
{
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        if (m->recipes[i].recipe == recipe)
            return model_recipe_holder_of(&m->b, recipe, m->recipes[i].nodes,
                                          js_recipe_holding);
    }
    return -1;
}

static void js_offer(struct model_run *m, uint32_t client, msg_id_t msg_id)
{
    struct js_publish_op op = { .msg_id = msg_id };
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
    sim_node_input(m->b.sim, m->publisher_nodes[client], &in);
}

static const char schema_sql[] =
    "-- One row per message a replica stored in its stream (applied from the Raft log).\n"
    "CREATE TABLE js_stored (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    host         TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,\n"
    "    seq          INTEGER NOT NULL,  -- stream sequence\n"
    "    msg_id       TEXT NOT NULL\n"
    ");\n"
    "-- One row per replica start: the stream its disk kept ends at last_seq.\n"
    "CREATE TABLE js_recoveries (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    host         TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,\n"
    "    last_seq     INTEGER NOT NULL\n"
    ");\n"
    "-- One row per PubAck the stream leader sent.\n"
    "CREATE TABLE js_pubacks (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    leader       TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,\n"
    "    msg_id       TEXT NOT NULL,\n"
    "    seq          INTEGER NOT NULL,\n"
    "    duplicate    INTEGER NOT NULL CHECK (duplicate IN (0, 1))\n"
    ");\n"
    "-- One row per redelivery by a consumer leader (AckWait expired without an ack).\n"
    "CREATE TABLE js_redeliveries (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    leader       TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,\n"
    "    msg_id       TEXT NOT NULL,\n"
    "    consumer     INTEGER NOT NULL,  -- the consumer's host: hosts.host_index\n"
    "    delivery     INTEGER NOT NULL   -- its delivery count: 2 for the first redelivery\n"
    ");\n";

static const struct model_event js_events[JS_EVENT_COUNT] = {
    [JS_EVENT_STORE] = {
        .name = "stored",
        .record_sql = "INSERT INTO js_stored (run_id, trace_seq, t_ns, host, incarnation, seq, "
                      "msg_id) VALUES (:run_id, :trace_seq, :t_ns, :host, :incarnation, :a, "
                      ":msg_id)",
        .replay_sql = "SELECT trace_seq, t_ns, host, incarnation, msg_id, seq, 0, 0 "
                      "FROM js_stored WHERE run_id = :run_id",
    },
    [JS_EVENT_RECOVERED] = {
        .name = "recovery",
        .record_sql = "INSERT INTO js_recoveries (run_id, trace_seq, t_ns, host, incarnation, "
                      "last_seq) VALUES (:run_id, :trace_seq, :t_ns, :host, :incarnation, :a)",
        .replay_sql = "SELECT trace_seq, t_ns, host, incarnation, NULL, last_seq, 0, 0 "
                      "FROM js_recoveries WHERE run_id = :run_id",
    },
    [JS_EVENT_PUBACK] = {
        .name = "puback",
        .record_sql = "INSERT INTO js_pubacks (run_id, trace_seq, t_ns, leader, incarnation, "
                      "msg_id, seq, duplicate) VALUES (:run_id, :trace_seq, :t_ns, :host, "
                      ":incarnation, :msg_id, :a, :flag)",
        .replay_sql = "SELECT trace_seq, t_ns, leader, incarnation, msg_id, seq, 0, duplicate "
                      "FROM js_pubacks WHERE run_id = :run_id",
    },
    [JS_EVENT_REDELIVERY] = {
        .name = "redelivery",
        .record_sql = "INSERT INTO js_redeliveries (run_id, trace_seq, t_ns, leader, "
                      "incarnation, msg_id, consumer, delivery) VALUES (:run_id, :trace_seq, "
                      ":t_ns, :host, :incarnation, :msg_id, :a, :b)",
        .replay_sql = "SELECT trace_seq, t_ns, leader, incarnation, msg_id, consumer, delivery, "
                      "0 FROM js_redeliveries WHERE run_id = :run_id",
    },
};

/* The server on host h, or NULL when its machine is down. */
static const void *server_of(const struct model_run *m, uint32_t h)
{
    if (!sim_machine_up(m->b.sim, m->b.host_machines[h]))
        return NULL;
    return sim_node_state(m->b.sim, m->server_nodes[h]);
}

static int js_resolve(struct model_run *m, enum target_kind kind, struct rng *rng)
{
    ZS_ASSERT(kind == SCENARIO_TARGET_LEADER);
    (void)rng;
    int best = -1;
    uint64_t best_term = 0;
    for (uint32_t h = 0; h < m->b.sc->hosts; h++) {
        const void *s = server_of(m, h);
        uint64_t term;
        if (s && js_server_leading(s, &term) && (best < 0 || term > best_term)) {
            best = (int)h;
            best_term = term;
        }
    }
    return best;
}

static bool js_holds(struct model_run *m, enum target_kind kind, uint32_t host)
{
    return js_resolve(m, kind, NULL) == (int)host;
}

/* A delivery the network lost missed the host it was going to (its consumer leader
 * delivers it again after AckWait, if it still leads). */
static bool js_lost_as_drop(struct model_run *m, const struct trace_rec *lost,
                            struct trace_rec *drop)
{
    (void)m;
    if (!js_msg_is_delivery(lost->u.lost.type) || lost->host < 0)
        return false;
    drop->u.drop.msg_id = lost->u.lost.msg_id;
    drop->u.drop.cause = JS_DROP_LOST_IN_FLIGHT;
    drop->u.drop.meant_for = lost->host;
    drop->u.drop.detail = msg_loss_name(lost->u.lost.loss);
    return true;
}

static void js_free(struct model_run *m)
{
    if (!m)
        return;
    g_free(m->servers);
    g_free(m->subscribers);
    g_free(m->publishers);
    g_free(m->server_nodes);
    g_free(m->publisher_nodes);
    g_free(m->kv_servers);
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        g_free(m->recipes[i].clients);
        g_free(m->recipes[i].nodes);
    }
    g_free(m->recipes);
    g_free(m);
}

const struct model_desc jetstream_model = {
    .name = "jetstream",
    .title = "JetStream",
    .summary = "a NATS JetStream-style stream: Raft-replicated, PubAck after a quorum "
               "commit, durable consumers",
    .state_name = js_state_name,
    .msg_type_name = js_msg_type_name,
    .phase_name = NULL,
    .drop_cause_name = js_drop_cause_name,
    .events = js_events,
    .n_events = JS_EVENT_COUNT,
    .schema_sql = schema_sql,
    .leader_state = "LEADER",
    .serving_phase = NULL,
    .queue_groups = false,
    .replays_history = false,
    .opt_in = true,
    .oracle = &js_oracle_ops,
    .targets = 1u << SCENARIO_TARGET_LEADER,
    .build = js_build,
    .place_host = js_place_host,
    .place_client = js_place_client,
    .place_recipes = js_place_recipes,
    .recipe_kinds = (1u << RECIPE_LOCK) | (1u << RECIPE_ELECTION) | (1u << RECIPE_REGISTRY),
    .recipe_holder = js_recipe_holder,
    .offer = js_offer,
    .resolve = js_resolve,
    .holds = js_holds,
    .lost_as_drop = js_lost_as_drop,
    .annotate = NULL,
    .free = js_free,
};
