/* model_pubsub.c: the core pub/sub model's descriptor (world/model.h): a NATS-style broker
 * and a subscriber application on every host, a publishing NATS client on every client
 * machine, its drop causes, and the one drop it refines: a message blamed on a route whose
 * far host is down missed that host because its broker is down. Core pub/sub promises no
 * ordering or durability, so it has no oracle: its losses and reorderings are measures. It
 * runs the three coordination recipes as people build them on core NATS (ps_recipe.c):
 * their clients on client machines c1..cN, a lock's or an election's protected resource on a
 * machine of its own. */
#include "world/model.h"

#include "protocol/pubsub/pubsub.h"
#include "sim/resource.h"

/* One of the scenario's recipes run over pub/sub: its resource (none for a registry) and its
 * clients. */
struct ps_recipe_run {
    uint32_t recipe;                  /* index in sc->recipes */
    struct resource_config resource;
    struct ps_recipe_config *clients; /* by client */
    uint32_t *nodes;                  /* by client */
};

struct model_run {
    struct model_build b;
    struct ps_broker_config *brokers;         /* by host */
    struct ps_subscriber_config *subscribers; /* by host */
    struct ps_publisher_config *publishers;   /* by client */
    uint32_t *publisher_nodes;                /* by client */
    struct ps_recipe_run *recipes;            /* the scenario's recipes over pub/sub */
    uint32_t n_recipes;
    char lost_detail[48];                     /* detail of the latest lost_in_flight drop */
};

static struct model_run *ps_build(const struct model_build *b)
{
    struct model_run *m = g_new0(struct model_run, 1);
    m->b = *b;
    m->brokers = g_new0(struct ps_broker_config, MAX(b->sc->hosts, 1));
    m->subscribers = g_new0(struct ps_subscriber_config, MAX(b->sc->hosts, 1));
    m->publishers = g_new0(struct ps_publisher_config, MAX(b->sc->workload.clients, 1));
    m->publisher_nodes = g_new0(uint32_t, MAX(b->sc->workload.clients, 1));
    sim_model_lifetime(b->sim, b->id, &b->sc->pubsub.startup, &b->sc->pubsub.teardown);
    sim_model_processing(b->sim, b->id, &b->sc->pubsub.processing);
    return m;
}

static uint32_t ps_place_host(struct model_run *m, uint32_t h)
{
    const struct scenario *sc = m->b.sc;
    uint32_t machine = m->b.host_machines[h];
    m->brokers[h] = (struct ps_broker_config){ .host = h, .n_hosts = sc->hosts,
                                               .host_machines = m->b.host_machines,
                                               .max_pending = sc->pubsub.max_pending,
                                               .socket_buffer = sc->pubsub.socket_buffer };
    char name[96];
    g_snprintf(name, sizeof name, "%s/broker", sc->host_names[h]);
    struct sim_node_spec broker = { .name = name, .model = m->b.id, .ops = &ps_broker_ops,
                                    .config = &m->brokers[h],
                                    .ports = { PS_PORT_CLIENT, PS_PORT_ROUTE } };
    sim_add_node(m->b.sim, machine, &broker);
    m->subscribers[h] = (struct ps_subscriber_config){
        .host = h, .machine = machine, .subscribe = sc->pubsub.subscribe,
        .queue_group = sc->pubsub.queue_group, .sub_pending_msgs = sc->pubsub.sub_pending_msgs,
        .consume_rate = sc->pubsub.consume_rate, .reconnect_wait = sc->pubsub.reconnect_wait,
        .host_machines = sc->pubsub.subscribers_fail_over ? m->b.host_machines : NULL,
        .n_hosts = sc->hosts };
    uint32_t where = machine;
    if (sc->pubsub.subscribers_apart) {
        g_snprintf(name, sizeof name, "s%u", h + 1);
        where = m->b.add_machine_beside(m->b.world, h, name);
    }
    g_snprintf(name, sizeof name, "%s/subscriber", sc->host_names[h]);
    struct sim_node_spec subscriber = { .name = name, .model = m->b.id,
                                        .ops = &ps_subscriber_ops,
                                        .config = &m->subscribers[h] };
    return sim_add_node(m->b.sim, where, &subscriber);
}

static uint32_t ps_place_client(struct model_run *m, uint32_t c)
{
    const struct scenario *sc = m->b.sc;
    m->publishers[c] = (struct ps_publisher_config){
        .client = c + 1, .home_host = sc->workload.attach[c], .n_hosts = sc->hosts,
        .host_machines = m->b.host_machines, .subject = sc->pubsub.subject,
        .reconnect_wait = sc->pubsub.reconnect_wait,
        .reconnect_buffer = sc->pubsub.reconnect_buffer };
    char name[64];
    g_snprintf(name, sizeof name, "c%u/nats", c + 1);
    struct sim_node_spec spec = { .name = name, .model = m->b.id, .ops = &ps_publisher_ops,
                                  .config = &m->publishers[c] };
    m->publisher_nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[c], &spec);
    return m->publisher_nodes[c];
}

static enum ps_recipe_kind recipe_kind(enum recipe_kind kind)
{
    switch (kind) {
    case RECIPE_LOCK:
        return PS_RECIPE_LOCK;
    case RECIPE_ELECTION:
        return PS_RECIPE_ELECTION;
    default:
        ZS_ASSERT(kind == RECIPE_REGISTRY);
        return PS_RECIPE_REGISTRY;
    }
}

/* Each recipe over pub/sub: a lock's or an election's protected resource on a machine of its
 * own, outside every partition, and a recipe client on each of its client machines (c1..cN
 * for the first recipe, the next recipe's after), whose home host is the workload's default
 * for that machine, ((i - 1) mod hosts) + 1. */
static void ps_place_recipes(struct model_run *m)
{
    const struct scenario *sc = m->b.sc;
    m->recipes = g_new0(struct ps_recipe_run, MAX(sc->n_recipes, 1));
    for (uint32_t i = 0; i < sc->n_recipes; i++) {
        const struct scenario_recipe *sr = &sc->recipes[i];
        if (sr->backend != m->b.id)
            continue;
        struct ps_recipe_run *rr = &m->recipes[m->n_recipes++];
        rr->recipe = i;
        char name[64];
        uint32_t machine = model_place_recipe_resource(&m->b, i, &rr->resource);
        rr->clients = g_new0(struct ps_recipe_config, sr->clients);
        rr->nodes = g_new0(uint32_t, sr->clients);
        for (uint32_t c = 0; c < sr->clients; c++) {
            uint32_t at = sr->first_client + c; /* its client machine's index */
            rr->clients[c] = (struct ps_recipe_config){
                .client = at + 1, .recipe = (uint8_t)i, .kind = recipe_kind(sr->kind),
                .first_client = sr->first_client, .clients = sr->clients,
                .home_host = at % sc->hosts, .n_hosts = sc->hosts,
                .host_machines = m->b.host_machines, .resource_machine = machine,
                .reconnect_wait = sc->pubsub.reconnect_wait,
                .reconnect_buffer = sc->pubsub.reconnect_buffer, .hold = sr->hold,
                .work_every = sr->work_every };
            g_snprintf(name, sizeof name, "c%u/nats-%s%u", at + 1, recipe_kind_name(sr->kind),
                       i + 1);
            struct sim_node_spec spec = { .name = name, .model = m->b.id,
                                          .ops = &ps_recipe_ops, .config = &rr->clients[c] };
            rr->nodes[c] = sim_add_node(m->b.sim, m->b.client_machines[at], &spec);
        }
    }
}

/* The lowest client that believes it holds the lock or leads (-1: none, and always for a
 * registry): with core pub/sub several may. */
static int ps_recipe_holder(struct model_run *m, uint32_t recipe)
{
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        if (m->recipes[i].recipe == recipe)
            return model_recipe_holder_of(&m->b, recipe, m->recipes[i].nodes,
                                          ps_recipe_holding);
    }
    return -1;
}

static void ps_offer(struct model_run *m, uint32_t client, msg_id_t msg_id)
{
    struct ps_publish_op op = { .msg_id = msg_id, .payload_bytes = m->b.sc->workload.payload };
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
    sim_node_input(m->b.sim, m->publisher_nodes[client], &in);
}

/* A broker only sees that its route to a host is down; when that host itself is down, the
 * message missed it because its broker is down. */
static void ps_annotate(struct model_run *m, struct trace_rec *r)
{
    if (r->kind != TRACE_DROP || r->u.drop.cause != PS_DROP_ROUTE_DOWN ||
        r->u.drop.meant_for < 0)
        return;
    ZS_ASSERT((uint32_t)r->u.drop.meant_for < m->b.sc->hosts);
    if (!sim_machine_up(m->b.sim, m->b.host_machines[r->u.drop.meant_for]))
        r->u.drop.cause = PS_DROP_BROKER_DOWN;
}

/* A PUB, RMSG or MSG the network lost is a message some subscriber missed. */
static bool ps_lost_as_drop(struct model_run *m, const struct trace_rec *lost,
                            struct trace_rec *drop)
{
    int32_t meant_for;
    const char *type;
    if (!ps_lost_message_meant_for(lost->u.lost.type, lost->host, &meant_for, &type))
        return false;
    g_snprintf(m->lost_detail, sizeof m->lost_detail, "%s %s", type ? type : "?",
               msg_loss_name(lost->u.lost.loss));
    drop->u.drop.msg_id = lost->u.lost.msg_id;
    drop->u.drop.cause = PS_DROP_LOST_IN_FLIGHT;
    drop->u.drop.meant_for = meant_for;
    drop->u.drop.detail = m->lost_detail;
    return true;
}

static void ps_free(struct model_run *m)
{
    if (!m)
        return;
    g_free(m->brokers);
    g_free(m->subscribers);
    g_free(m->publishers);
    g_free(m->publisher_nodes);
    for (uint32_t i = 0; i < m->n_recipes; i++) {
        g_free(m->recipes[i].clients);
        g_free(m->recipes[i].nodes);
    }
    g_free(m->recipes);
    g_free(m);
}

static const char *drop_cause_name(uint8_t cause)
{
    return ps_drop_cause_name((enum ps_drop_cause)cause);
}

const struct model_desc pubsub_model = {
    .name = "pubsub",
    .title = "pub/sub",
    .summary = "a NATS-style core pub/sub cluster: at-most-once, no ordering across hosts",
    .state_name = ps_state_name,
    .msg_type_name = ps_msg_type_name,
    .phase_name = NULL,
    .drop_cause_name = drop_cause_name,
    .events = NULL,
    .n_events = 0,
    .schema_sql = NULL,
    .leader_state = NULL,
    .serving_phase = NULL,
    .queue_groups = true,
    .replays_history = false,
    .opt_in = false,
    .oracle = NULL,
    .targets = 0,
    .build = ps_build,
    .place_host = ps_place_host,
    .place_client = ps_place_client,
    .place_recipes = ps_place_recipes,
    .recipe_kinds = (1u << RECIPE_LOCK) | (1u << RECIPE_ELECTION) | (1u << RECIPE_REGISTRY),
    .recipe_holder = ps_recipe_holder,
    .offer = ps_offer,
    .resolve = NULL,
    .lost_as_drop = ps_lost_as_drop,
    .annotate = ps_annotate,
    .free = ps_free,
};
