/* model_zab.c: the ZAB model's descriptor (world/model.h): a ZooKeeper server on every host
 * (clientPort, quorum and election ports), a ZooKeeper client on every client machine, its
 * vocabulary, the tables its own records go to, leader and follower as fault targets, and
 * its oracle (protocol/zab/zab_oracle.c). */
#include "world/model.h"

#include "protocol/zab/zab.h"
#include "sim/resource.h"

/* One of the scenario's recipes run over ZooKeeper: its resource and its clients. */
struct zab_recipe_run {
    uint32_t recipe;                   /* index in sc->recipes */
    struct resource_config resource;
    struct zab_recipe_config *clients; /* by client */
    uint32_t *nodes;                   /* by client */
};

struct model_run {
    struct model_build b;
    struct zab_server_config *servers; /* by host */
    struct zab_op_pool *ops;           /* the servers' data-model operations */
    struct zab_client_config *clients; /* by client */
    uint32_t *server_nodes;            /* by host */
    uint32_t *client_nodes;            /* by client */
    struct zab_recipe_run *recipes;    /* the scenario's recipes over zab */
    uint32_t n_recipes;
};

static struct model_run *zab_build(const struct model_build *b)
{
    struct model_run *m = g_new0(struct model_run, 1);
    m->b = *b;
    m->servers = g_new0(struct zab_server_config, MAX(b->sc->hosts, 1));
    m->ops = zab_op_pool_new();
    m->clients = g_new0(struct zab_client_config, MAX(b->sc->workload.clients, 1));
    m->server_nodes = g_new0(uint32_t, MAX(b->sc->hosts, 1));
    m->client_nodes = g_new0(uint32_t, MAX(b->sc->workload.clients, 1));
    sim_model_lifetime(b->sim, b->id, &b->sc->zab.startup, &b->sc->zab.teardown);
    sim_model_processing(b->sim, b->id, &b->sc->zab.processing);
    return m;
}

static uint32_t zab_place_host(struct model_run *m, uint32_t h)
{
    const struct scenario *sc = m->b.sc;
    m->servers[h] = (struct zab_server_config){
        .sid = h + 1, .n_servers = sc->hosts, .host_machines = m->b.host_machines,
        .tick = sc->zab.tick, .init_limit = sc->zab.init_limit,
        .sync_limit = sc->zab.sync_limit, .max_batch = sc->zab.max_batch,
        .commit_log_count = ZAB_COMMIT_LOG_COUNT_DEFAULT,
        .snapshot_size_factor = ZAB_SNAPSHOT_SIZE_FACTOR_DEFAULT,
        .payload_bytes = sc->workload.payload, .leader_load = &sc->zab.leader_load,
        .variant = (enum zab_variant)sc->zab.variant, .ops = m->ops };
    char name[96];
    g_snprintf(name, sizeof name, "%s/zab", sc->host_names[h]);
    struct sim_node_spec spec = { .name = name, .model = m->b.id, .ops = &zab_server_ops,
                                  .config = &m->servers[h],
                                  .ports = { ZAB_PORT_CLIENT, ZAB_PORT_QUORUM,
                                             ZAB_PORT_ELECTION } };
    m->server_nodes[h] = sim_add_node(m->b.sim, m->b.host_machines[h], &spec);
    return m->server_nodes[h];
}

static uint32_t zab_place_client(struct model_run *m, uint32_t c)
{
    const struct scenario *sc = m->b.sc;
    m->clients[c] = (struct zab_client_config){
        .client = c + 1, .home_host = sc->workload.attach[c], .n_hosts = sc->hosts,
        .host_machines = m->b.host_machines, .session_timeout = sc->zab.session_timeout,
        .c_library = sc->zab.client_c,
        .payload_bytes = sc->workload.payload };
    char name[64];
    g_snprintf(name, sizeof name, "c%u/zk", c + 1);
    struct sim_node_spec spec = { .name = name, .model = m->b.id, .ops = &zab_client_ops,
                                  .config = &m->clients[c] };
    m->client_nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[c], &spec);
    return m->client_nodes[c];
}

static uint8_t zab_kind_of(enum recipe_kind k)
{
    switch (k) {
    case RECIPE_ELECTION:
        return ZAB_RECIPE_ELECTION;
    case RECIPE_REGISTRY:
        return ZAB_RECIPE_REGISTRY;
    default:
        return ZAB_RECIPE_LOCK;
    }
}

/* Each recipe over ZooKeeper: a recipe client on each of client machines c1..cN and, for a
 * lock or an election, the protected resource on a machine of its own, outside every
 * partition (a registry protects nothing). */
static void zab_place_recipes(struct model_run *m)
{
    const struct scenario *sc = m->b.sc;
    m->recipes = g_new0(struct zab_recipe_run, MAX(sc->n_recipes, 1));
    for (uint32_t i = 0; i < sc->n_recipes; i++) {
        const struct scenario_recipe *sr = &sc->recipes[i];
        if (sr->backend != m->b.id)
            continue;
        struct zab_recipe_run *rr = &m->recipes[m->n_recipes++];
        rr->recipe = i;
        char name[64];
        uint32_t machine = model_place_recipe_resource(&m->b, i, &rr->resource);
        rr->clients = g_new0(struct zab_recipe_config, sr->clients);
        rr->nodes = g_new0(uint32_t, sr->clients);
        for (uint32_t c = 0; c < sr->clients; c++) {
            uint32_t at = sr->first_client + c; /* its client machine's index */
            rr->clients[c] = (struct zab_recipe_config){
                .client = at + 1, .recipe = (uint8_t)i, .kind = zab_kind_of(sr->kind),
                .home_host = at % sc->hosts, .n_hosts = sc->hosts,
                .host_machines = m->b.host_machines, .resource_machine = machine,
                .session_timeout = sc->zab.session_timeout, .hold = sr->hold,
                .work_every = sr->work_every, .start = sr->start };
            g_snprintf(name, sizeof name, "c%u/zk-%s%u", at + 1, recipe_kind_name(sr->kind),
                       i + 1);
            struct sim_node_spec spec = { .name = name, .model = m->b.id,
                                          .ops = &zab_recipe_ops, .config = &rr->clients[c] };
            rr->nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[at], &spec);
        }
    }
}

static int zab_recipe_holder(struct model_run *m, uint32_t recipe)
{
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        if (m->recipes[i].recipe == recipe)
            return model_recipe_holder_of(&m->b, recipe, m->recipes[i].nodes,
                                          zab_recipe_holding);
    }
    return -1;
}

static void zab_offer(struct model_run *m, uint32_t client, msg_id_t msg_id)
{
    struct zab_write_op op = { .msg_id = msg_id };
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
    sim_node_input(m->b.sim, m->client_nodes[client], &in);
}

/* The server on host h, or NULL when its machine is down. */
static const void *server_of(const struct model_run *m, uint32_t h)
{
    if (!sim_machine_up(m->b.sim, m->b.host_machines[h]))
        return NULL;
    return sim_node_state(m->b.sim, m->server_nodes[h]);
}

/* The leader at this moment: the LEADING server with the newest epoch (an old leader that
 * has not noticed it lost its quorum may still say LEADING). -1 when there is none. */
static int current_leader(const struct model_run *m)
{
    int best = -1;
    int64_t best_epoch = -1;
    for (uint32_t h = 0; h < m->b.sc->hosts; h++) {
        const void *z = server_of(m, h);
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

static int random_follower(const struct model_run *m, struct rng *rng)
{
    uint32_t candidates[SCENARIO_MAX_HOSTS], n = 0;
    for (uint32_t h = 0; h < m->b.sc->hosts; h++) {
        const void *z = server_of(m, h);
        if (z && zab_server_state(z) == ZAB_STATE_FOLLOWING)
            candidates[n++] = h;
    }
    return n ? (int)candidates[rng_below(rng, n)] : -1;
}

static int zab_resolve(struct model_run *m, enum target_kind kind, struct rng *rng)
{
    ZS_ASSERT(kind == SCENARIO_TARGET_LEADER || kind == SCENARIO_TARGET_FOLLOWER);
    return kind == SCENARIO_TARGET_LEADER ? current_leader(m) : random_follower(m, rng);
}

static bool zab_holds(struct model_run *m, enum target_kind kind, uint32_t host)
{
    ZS_ASSERT(kind == SCENARIO_TARGET_LEADER || kind == SCENARIO_TARGET_FOLLOWER);
    if (kind == SCENARIO_TARGET_LEADER)
        return current_leader(m) == (int)host;
    const void *z = server_of(m, host);
    return z && zab_server_state(z) == ZAB_STATE_FOLLOWING;
}

static void zab_free(struct model_run *m)
{
    if (!m)
        return;
    g_free(m->servers);
    zab_op_pool_free(m->ops);
    g_free(m->clients);
    g_free(m->server_nodes);
    g_free(m->client_nodes);
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        g_free(m->recipes[i].clients);
        g_free(m->recipes[i].nodes);
    }
    g_free(m->recipes);
    g_free(m);
}

static const char *state_name(uint8_t state)
{
    return zab_state_name((enum zab_server_state)state);
}

static const char *phase_name(uint8_t phase)
{
    return zab_phase_name((enum zab_phase)phase);
}

/* The tables of the model's own records. trace_seq (and committed_seq) are the records'
 * positions in the run's trace: `zabsim check` replays them in that order. */
static const char schema_sql[] =
    "CREATE TABLE proposals (\n"
    "    run_id         INTEGER NOT NULL,\n"
    "    trace_seq      INTEGER NOT NULL,  -- position of the proposal in the run's trace\n"
    "    epoch          INTEGER NOT NULL,\n"
    "    zxid           INTEGER NOT NULL,  -- epoch << 32 | counter\n"
    "    leader         TEXT NOT NULL,\n"
    "    incarnation    INTEGER NOT NULL,  -- the leader's incarnation\n"
    "    msg_id         TEXT NOT NULL,\n"
    "    proposed_ns    INTEGER NOT NULL,\n"
    "    committed_ns   INTEGER,           -- first commit at the leader; NULL if never\n"
    "    committed_seq  INTEGER            -- position of that commit in the trace\n"
    ");\n"
    "CREATE INDEX proposals_by_zxid ON proposals (run_id, zxid, msg_id);\n"
    "-- One row per log entry a server removed (for committed-log durability).\n"
    "CREATE TABLE truncations (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    host         TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,\n"
    "    zxid         INTEGER NOT NULL,\n"
    "    msg_id       TEXT NOT NULL,\n"
    "    delivered    INTEGER NOT NULL CHECK (delivered IN (0, 1))  -- this incarnation had\n"
    "                                                               -- delivered it\n"
    ");\n"
    "-- One row per server whose ACK of NEWLEADER a leader counted (newleader_quorum).\n"
    "CREATE TABLE newleader_acks (\n"
    "    run_id       INTEGER NOT NULL,\n"
    "    trace_seq    INTEGER NOT NULL,\n"
    "    t_ns         INTEGER NOT NULL,\n"
    "    leader       TEXT NOT NULL,\n"
    "    incarnation  INTEGER NOT NULL,  -- the leader's incarnation\n"
    "    epoch        INTEGER NOT NULL,\n"
    "    server       INTEGER NOT NULL   -- the acknowledging server's id: hosts.host_index + 1\n"
    ");\n";

static const struct model_event zab_events[ZAB_EVENT_COUNT] = {
    [ZAB_EVENT_PROPOSAL] = {
        .name = "proposal",
        .record_sql = "INSERT INTO proposals (run_id, trace_seq, epoch, zxid, leader, "
                      "incarnation, msg_id, proposed_ns) VALUES (:run_id, :trace_seq, :a, :b, "
                      ":host, :incarnation, :msg_id, :t_ns)",
        .replay_sql = "SELECT trace_seq, proposed_ns, leader, incarnation, msg_id, epoch, "
                      "zxid, 0 FROM proposals WHERE run_id = :run_id",
    },
    /* A commit happens in the process that proposed: match its incarnation too. */
    [ZAB_EVENT_COMMIT] = {
        .name = "commit",
        .record_sql = "UPDATE proposals SET committed_ns = :t_ns, committed_seq = :trace_seq "
                      "WHERE committed_ns IS NULL AND rowid = (SELECT rowid FROM proposals "
                      "WHERE run_id = :run_id AND zxid = :b AND leader = :host AND "
                      "incarnation = :incarnation ORDER BY rowid DESC LIMIT 1)",
        .replay_sql = "SELECT committed_seq, committed_ns, leader, incarnation, NULL, 0, zxid, "
                      "0 FROM proposals WHERE run_id = :run_id AND committed_ns IS NOT NULL",
    },
    [ZAB_EVENT_TRUNCATE] = {
        .name = "truncation",
        .record_sql = "INSERT INTO truncations (run_id, trace_seq, t_ns, host, incarnation, "
                      "zxid, msg_id, delivered) VALUES (:run_id, :trace_seq, :t_ns, :host, "
                      ":incarnation, :b, :msg_id, :flag)",
        .replay_sql = "SELECT trace_seq, t_ns, host, incarnation, msg_id, 0, zxid, delivered "
                      "FROM truncations WHERE run_id = :run_id",
    },
    [ZAB_EVENT_NEWLEADER_ACK] = {
        .name = "newleader_ack",
        .record_sql = "INSERT INTO newleader_acks (run_id, trace_seq, t_ns, leader, incarnation, "
                      "epoch, server) VALUES (:run_id, :trace_seq, :t_ns, :host, :incarnation, "
                      ":a, :b)",
        .replay_sql = "SELECT trace_seq, t_ns, leader, incarnation, NULL, epoch, server, 0 "
                      "FROM newleader_acks WHERE run_id = :run_id",
    },
};

const struct model_desc zab_model = {
    .name = "zab",
    .title = "ZAB",
    .summary = "a ZooKeeper ensemble: election, discovery, synchronization, broadcast",
    .state_name = state_name,
    .msg_type_name = zab_msg_type_name,
    .phase_name = phase_name,
    .drop_cause_name = NULL,
    .events = zab_events,
    .n_events = ZAB_EVENT_COUNT,
    .schema_sql = schema_sql,
    .leader_state = "LEADING",
    .serving_phase = "BROADCAST",
    .queue_groups = false,
    .replays_history = true,
    .opt_in = false,
    .oracle = &zab_oracle_ops,
    .targets = (1u << SCENARIO_TARGET_LEADER) | (1u << SCENARIO_TARGET_FOLLOWER),
    .build = zab_build,
    .place_host = zab_place_host,
    .place_client = zab_place_client,
    .place_recipes = zab_place_recipes,
    .recipe_kinds = (1u << RECIPE_LOCK) | (1u << RECIPE_ELECTION) | (1u << RECIPE_REGISTRY),
    .recipe_holder = zab_recipe_holder,
    .offer = zab_offer,
    .resolve = zab_resolve,
    .holds = zab_holds,
    .lost_as_drop = NULL,
    .annotate = NULL,
    .free = zab_free,
};
