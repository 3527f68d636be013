/* ps_subscriber.c: the subscriber application on every host: a NATS client with one
 * asynchronous subscription (nats.go Subscribe / QueueSubscribe) on its own host's broker,
 * or, given a server list, on the first broker of the list it can reach.
 *
 * Messages the read loop receives go into the subscription's pending queue; the application
 * callback takes them one at a time at consume_rate. As in nats.go (processMsg, waitForMsgs) a
 * message counts as pending from arrival until its callback returns, and an arrival that would
 * make the count exceed the limit is dropped: tail drop, the connection stays up and the server
 * never knows (docs/pubsub-model.md, "Outbound buffers"). The queue survives reconnects; a
 * restarted host brings a fresh subscriber whose seq starts again at 1.
 *
 * Not modelled: the pending-bytes limit (64 MiB) next to the message limit, and the
 * once-per-episode ErrSlowConsumer callback (every dropped message is traced instead). */
#include "protocol/pubsub/ps_client.h"

#include <math.h>

/* The subscription id this client uses; it keeps it across reconnects, as nats.go does. */
#define SUBSCRIPTION_SID 1

enum subscriber_timer {
    TOKEN_CALLBACK_DONE = PS_CLIENT_TOKEN_LAST + 1, /* the application finished a message */
};

struct ps_subscriber {
    const struct ps_subscriber_config *cfg;
    struct ps_client client;
    sim_time callback_ns;   /* processing time per message; 0: unlimited rate */
    GArray *queue;          /* msg_id_t waiting for the callback, from queue_head on */
    guint queue_head;
    bool in_callback;       /* a message is being processed (it still counts as pending) */
    uint64_t delivered;     /* seq of the last TRACE_DELIVERY in this incarnation */
};

static guint queued(const struct ps_subscriber *s)
{
    return s->queue->len - s->queue_head;
}

static msg_id_t queue_pop(struct ps_subscriber *s)
{
    msg_id_t id = g_array_index(s->queue, msg_id_t, s->queue_head++);
    if (s->queue_head == s->queue->len) {
        g_array_set_size(s->queue, 0);
        s->queue_head = 0;
    } else if (s->queue_head >= 4096 && s->queue_head * 2 >= s->queue->len) {
        g_array_remove_range(s->queue, 0, s->queue_head); /* keep memory bounded */
        s->queue_head = 0;
    }
    return id;
}

/* Hands one message to the application callback. */
static void deliver(struct ps_subscriber *s, msg_id_t id, struct proto_out *out)
{
    struct trace_rec r = { .kind = TRACE_DELIVERY };
    r.u.delivery.seq = ++s->delivered;
    r.u.delivery.msg_id = id;
    r.u.delivery.log_id = TRACE_NO_LOG_ID;
    proto_trace(out, &r);
    if (s->callback_ns == 0)
        return; /* the callback returns at once */
    s->in_callback = true;
    proto_timer_set(out, proto_token(TOKEN_CALLBACK_DONE, 0, 0), s->callback_ns);
}

static void drop_slow(struct ps_subscriber *s, msg_id_t id, struct proto_out *out)
{
    struct trace_rec r = { .kind = TRACE_DROP };
    r.u.drop.msg_id = id;
    r.u.drop.cause = PS_DROP_SLOW_CONSUMER;
    r.u.drop.meant_for = (int32_t)s->cfg->host;
    proto_trace(out, &r);
}

static void on_msg(void *owner, const struct proto_env *env, const struct ps_msg *m,
                   struct proto_out *out)
{
    struct ps_subscriber *s = owner;
    /* A recipe's message (ps_recipe.c) under a subscription wide enough to cover it: not
     * part of the workload, whose deliveries and drops this application records. */
    if (m->hdr.msg_id == MSG_ID_NONE)
        return;
    uint64_t pending = queued(s) + (s->in_callback ? 1 : 0);
    if (pending + 1 > s->cfg->sub_pending_msgs) { /* the queue's bound: a tail drop */
        drop_slow(s, m->hdr.msg_id, out);
        return;
    }
    if (s->in_callback)
        g_array_append_val(s->queue, m->hdr.msg_id);
    else
        deliver(s, m->hdr.msg_id, out);
}

static void callback_done(struct ps_subscriber *s, struct proto_out *out)
{
    s->in_callback = false;
    if (queued(s))
        deliver(s, queue_pop(s), out);
}

/* The host's receiver state (TRACE_STATE): SUBSCRIBED from the moment the subscription is
 * sent on a connection until that connection is lost. */
static void record_state(uint8_t state, struct proto_out *out)
{
    struct trace_rec r = { .kind = TRACE_STATE };
    r.u.state.state = state;
    r.u.state.phase = TRACE_PHASE_NONE;
    r.u.state.epoch = 0;
    proto_trace(out, &r);
}

static void on_connected(void *owner, const struct proto_env *env, struct proto_out *out)
{
    struct ps_subscriber *s = owner;
    ps_client_send(&s->client, ps_msg_sub(s->cfg->subscribe, s->cfg->queue_group,
                                          SUBSCRIPTION_SID), out);
    record_state(PS_STATE_SUBSCRIBED, out);
}

static void on_disconnected(void *owner, struct proto_out *out)
{
    record_state(PS_STATE_DOWN, out);
}

static const struct ps_client_hooks subscriber_hooks = {
    .on_connected = on_connected,
    .on_disconnected = on_disconnected,
    .on_msg = on_msg,
};

static void *subscriber_create(const void *config, const struct proto_env *env,
                               const struct disk *disk)
{
    const struct ps_subscriber_config *cfg = config;
    ZS_ASSERT(ps_subject_valid(cfg->subscribe, true));
    ZS_ASSERT(!cfg->queue_group || ps_subject_valid(cfg->queue_group, false));
    ZS_ASSERT(cfg->consume_rate >= 0);
    ZS_ASSERT(cfg->sub_pending_msgs > 0); /* every queue has a bound */
    struct ps_subscriber *s = g_new0(struct ps_subscriber, 1);
    s->cfg = cfg;
    if (cfg->consume_rate > 0)
        s->callback_ns = MAX((sim_time)1, (sim_time)llround(1e9 / cfg->consume_rate));
    s->queue = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
    /* Reconnect buffer 0: a subscriber never publishes. */
    ps_client_init(&s->client, &subscriber_hooks, s, cfg->reconnect_wait, 0);
    if (!cfg->host_machines) {
        ps_client_add_server(&s->client, cfg->host, cfg->machine);
        return s;
    }
    /* A server list: when its broker goes, the client moves to the next (nats.go's pool,
     * walked by doReconnect) and subscribes there again. */
    ZS_ASSERT(cfg->host < cfg->n_hosts && cfg->host_machines[cfg->host] == cfg->machine);
    uint32_t *order = g_new(uint32_t, cfg->n_hosts);
    rng_order_first(env->rng, cfg->host, cfg->n_hosts, order);
    for (uint32_t i = 0; i < cfg->n_hosts; i++)
        ps_client_add_server(&s->client, order[i], cfg->host_machines[order[i]]);
    g_free(order);
    return s;
}

static void subscriber_destroy(void *state)
{
    struct ps_subscriber *s = state;
    ps_client_destroy(&s->client);
    g_array_free(s->queue, TRUE);
    g_free(s);
}

static void subscriber_handle(void *state, const struct proto_env *env,
                              const struct proto_input *in, struct proto_out *out)
{
    struct ps_subscriber *s = state;
    if (in->kind == PROTO_IN_START)
        ps_client_start(&s->client, env, out);
    else if (in->kind == PROTO_IN_TIMER && proto_token_kind(in->token) == TOKEN_CALLBACK_DONE)
        callback_done(s, out);
    else
        ps_client_handle(&s->client, env, in, out);
}

const struct proto_ops ps_subscriber_ops = {
    .name = "pubsub-subscriber",
    .create = subscriber_create,
    .destroy = subscriber_destroy,
    .handle = subscriber_handle,
    .msg_type_name = ps_msg_type_name,
};
