/* ps_publisher.c: a publishing client c1..cM: a NATS client (ps_client.c) that publishes
 * each workload message on one subject and reports what nats.go's Publish() would return.
 *
 * Its server list is every host, its home host first and the others shuffled (nats.go
 * randomizes the pool unless NoRandomize; the home host stands for the URL the application
 * lists first). Records per message: TRACE_SUBMISSION (host = the server it is connected
 * to, -1 while not connected), then TRACE_OUTCOME acked when Publish() returned nil (sent,
 * or kept in the reconnect buffer) or rejected with a TRACE_DROP naming why. Bytes written
 * to a connection that then breaks are lost without a word, as with nats.go (docs/pubsub-model.md,
 * "Client connections"). */
#include "protocol/pubsub/ps_client.h"

struct ps_publisher {
    const struct ps_publisher_config *cfg;
    struct ps_client client;
};

static void record_drop(msg_id_t id, enum ps_drop_cause cause, struct proto_out *out)
{
    struct trace_rec r = { .kind = TRACE_DROP };
    r.u.drop.msg_id = id;
    r.u.drop.cause = cause;
    r.u.drop.meant_for = -1; /* every subscriber misses it */
    proto_trace(out, &r);
}

/* Buffered publishes thrown away when the client gives up reconnecting (nats.go closes the
 * connection for good): they had been acknowledged to the application. */
static void on_discard(void *owner, const struct ps_msg *pub, struct proto_out *out)
{
    record_drop(pub->hdr.msg_id, PS_DROP_PUBLISHER_DISCONNECTED, out);
}

/* While not connected, publishes are only buffered or refused: the client's operations are
 * not being served (TRACE_CLIENT). */
static void on_connected(void *owner, const struct proto_env *env, struct proto_out *out)
{
    struct ps_publisher *p = owner;
    proto_trace_client(out, p->cfg->client, true, ps_client_connected_host(&p->client));
}

static void on_disconnected(void *owner, struct proto_out *out)
{
    struct ps_publisher *p = owner;
    proto_trace_client(out, p->cfg->client, false, -1);
}

static const struct ps_client_hooks publisher_hooks = {
    .on_connected = on_connected,
    .on_disconnected = on_disconnected,
    .on_discard = on_discard,
};

static void publish(struct ps_publisher *p, const struct ps_publish_op *op, struct proto_out *out)
{
    proto_trace_submission(out, op->msg_id, p->cfg->client,
                           ps_client_connected_host(&p->client));
    struct ps_msg *pub = ps_msg_pub(p->cfg->subject, op->msg_id, op->payload_bytes);
    switch (ps_client_publish(&p->client, pub, out)) {
    case PS_PUBLISH_SENT:
    case PS_PUBLISH_BUFFERED:
        proto_trace_outcome(out, op->msg_id, TRACE_OUTCOME_ACKED);
        break;
    case PS_PUBLISH_BUFFER_FULL:
        proto_trace_outcome(out, op->msg_id, TRACE_OUTCOME_REJECTED);
        record_drop(op->msg_id, PS_DROP_RECONNECT_BUFFER_FULL, out);
        break;
    case PS_PUBLISH_CLOSED:
        proto_trace_outcome(out, op->msg_id, TRACE_OUTCOME_REJECTED);
        record_drop(op->msg_id, PS_DROP_PUBLISHER_DISCONNECTED, out);
        break;
    }
}

/* Home host first, then the others in an order drawn from the node's stream. */
static void build_pool(struct ps_publisher *p, const struct proto_env *env)
{
    const struct ps_publisher_config *cfg = p->cfg;
    uint32_t *order = g_new(uint32_t, cfg->n_hosts);
    rng_order_first(env->rng, cfg->home_host, cfg->n_hosts, order);
    for (uint32_t i = 0; i < cfg->n_hosts; i++)
        ps_client_add_server(&p->client, order[i], cfg->host_machines[order[i]]);
    g_free(order);
}

static void *publisher_create(const void *config, const struct proto_env *env,
                              const struct disk *disk)
{
    const struct ps_publisher_config *cfg = config;
    ZS_ASSERT(ps_subject_valid(cfg->subject, false));
    ZS_ASSERT(cfg->home_host < cfg->n_hosts);
    struct ps_publisher *p = g_new0(struct ps_publisher, 1);
    p->cfg = cfg;
    ps_client_init(&p->client, &publisher_hooks, p, cfg->reconnect_wait,
                   cfg->reconnect_buffer);
    build_pool(p, env);
    return p;
}

static void publisher_destroy(void *state)
{
    struct ps_publisher *p = state;
    ps_client_destroy(&p->client);
    g_free(p);
}

static void publisher_handle(void *state, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out)
{
    struct ps_publisher *p = state;
    if (in->kind == PROTO_IN_START)
        ps_client_start(&p->client, env, out);
    else if (in->kind == PROTO_IN_CLIENT_OP)
        publish(p, in->op, out);
    else
        ps_client_handle(&p->client, env, in, out);
}

const struct proto_ops ps_publisher_ops = {
    .name = "pubsub-publisher",
    .create = publisher_create,
    .destroy = publisher_destroy,
    .handle = publisher_handle,
    .msg_type_name = ps_msg_type_name,
};
