/* ps_broker.c: the broker node (nats-server): client connections, local subscriptions and
 * their interest, the publish fan-out and the delivery of routed messages. The route mesh
 * itself lives in ps_route.c.
 *
 * Fan-out (client.go processMsgResults; docs/pubsub-model.md, "Publish path"): a PUB is matched
 * against the sublist once; every matching local plain subscription gets its own MSG; every route
 * with a matching plain entry gets ONE RMSG; every queue group gets one member, picked at random
 * with remote members weighted by their server's member count, and a remote pick travels as a
 * queue name in that route's RMSG. A routed message is delivered to local subscriptions only (the
 * one-hop rule) and, per listed queue, to one local member.
 *
 * Outbound buffers (client.go queueOutbound; docs/pubsub-model.md, "Outbound buffers"): bytes for a
 * client go straight to the socket while the connection has less than socket_buffer bytes unread
 * by the peer (the peer's PS_MSG_ACKs say how much it read); beyond that they wait in the broker's
 * own outbound queue, and when that queue exceeds max_pending the connection is closed as a slow
 * consumer and the queue is dropped. Routes have no such cap in NATS (only a write deadline), so
 * route bytes always go to the socket.
 *
 * Drops (TRACE_DROP) are recorded only where this broker knows: at the publishing broker,
 * one per host it does not serve (route down, or no known interest there; none when a
 * queue group took the message, since then it was meant for one member only); at a
 * broker whose outbound queue is dropped (connection closed or slow consumer); and at a
 * broker that receives a routed message no local subscription wants any more. Drops are
 * recorded for the workload's messages only: the recipes' messages carry no msg_id. */
#include "protocol/pubsub/ps_broker_internal.h"

#include <string.h>

#define PING_INTERVAL_NS (120 * SIM_S)      /* ping_interval, const.go DEFAULT_PING_INTERVAL */
#define ROUTE_PING_INTERVAL_NS (30 * SIM_S) /* route.go routeMaxPingInterval */
#define PING_MAX 2                          /* ping_max, const.go DEFAULT_PING_MAX_OUT */

static void record_drop(struct proto_out *out, msg_id_t id, enum ps_drop_cause cause,
                        uint32_t meant_for)
{
    struct trace_rec r = { .kind = TRACE_DROP };
    r.u.drop.msg_id = id;
    r.u.drop.cause = cause;
    r.u.drop.meant_for = (int32_t)meant_for;
    proto_trace(out, &r);
}

/* ---- connections ------------------------------------------------------------------------ */

static void bconn_free(gpointer p)
{
    struct bconn *c = p;
    if (c->subs)
        g_ptr_array_free(c->subs, TRUE);
    g_queue_clear_full(&c->outbound, (GDestroyNotify)sim_msg_free);
    g_free(c);
}

struct bconn *ps__bconn_new(struct ps_broker *b, conn_id id, enum bconn_kind kind)
{
    struct bconn *c = g_new0(struct bconn, 1);
    c->id = id;
    c->kind = kind;
    g_queue_init(&c->outbound);
    if (kind == PS_BCONN_CLIENT)
        c->subs = g_ptr_array_new_with_free_func((GDestroyNotify)ps_sub_free);
    g_hash_table_insert(b->conns, &c->id, c);
    return c;
}

static struct bconn *bconn_find(struct ps_broker *b, conn_id id)
{
    return g_hash_table_lookup(b->conns, &id);
}

void ps__arm_ping(struct bconn *c, struct proto_out *out)
{
    sim_time interval = c->kind == PS_BCONN_CLIENT ? PING_INTERVAL_NS : ROUTE_PING_INTERVAL_NS;
    proto_timer_set(out, broker_timer(PS_TIMER_CONN_PING, c->id), interval);
}

/* Bytes sent but not yet read by the client: what sits in the kernels on both ends. */
static uint64_t unread_bytes(const struct bconn *c)
{
    return c->bytes_sent - c->bytes_acked;
}

static bool socket_takes(const struct ps_broker *b, const struct bconn *c, uint32_t size)
{
    uint64_t unread = unread_bytes(c);
    return unread == 0 || unread + size <= b->socket_buffer;
}

/* queueOutbound: to the socket if it has room and nothing is queued ahead, else into the
 * outbound queue; a queue over max_pending marks a slow consumer. */
static void client_write(struct ps_broker *b, struct bconn *c, struct ps_msg *m,
                         struct proto_out *out)
{
    uint32_t size = m->hdr.size_bytes;
    if (g_queue_is_empty(&c->outbound) && socket_takes(b, c, size)) {
        c->bytes_sent += size;
        proto_send(out, c->id, &m->hdr);
        return;
    }
    g_queue_push_tail(&c->outbound, m);
    c->outbound_bytes += size;
    if (c->outbound_bytes > b->cfg->max_pending && !c->slow_consumer) {
        /* Closed once the current input is handled: a fan-out may still be walking this
         * connection's subscriptions. */
        c->slow_consumer = true;
        g_ptr_array_add(b->slow_consumers, c);
    }
}

/* The client read up to bytes_read: the socket has room again. */
static void client_ack(struct ps_broker *b, struct bconn *c, uint64_t bytes_read,
                       struct proto_out *out)
{
    c->bytes_acked = MAX(c->bytes_acked, bytes_read);
    struct ps_msg *m;
    while ((m = g_queue_peek_head(&c->outbound)) && socket_takes(b, c, m->hdr.size_bytes)) {
        g_queue_pop_head(&c->outbound);
        c->outbound_bytes -= m->hdr.size_bytes;
        c->bytes_sent += m->hdr.size_bytes;
        proto_send(out, c->id, &m->hdr);
    }
}

static void bconn_send(struct ps_broker *b, struct bconn *c, struct ps_msg *m,
                       struct proto_out *out)
{
    if (c->kind == PS_BCONN_CLIENT)
        client_write(b, c, m, out);
    else
        proto_send(out, c->id, &m->hdr);
}

/* ---- local interest --------------------------------------------------------------------- */

static guint interest_find(const struct ps_broker *b, const char *subject, const char *queue)
{
    for (guint i = 0; i < b->interest->len; i++) {
        const struct interest *it = &g_array_index(b->interest, struct interest, i);
        if (strcmp(it->subject, subject) == 0 && g_strcmp0(it->queue, queue) == 0)
            return i;
    }
    return G_MAXUINT;
}

/* RS+ on 0 -> 1 for a plain subject; for a queue group on every change (its weight). */
static void interest_add(struct ps_broker *b, const struct ps_sub *sub, struct proto_out *out)
{
    guint index = interest_find(b, sub->subject, sub->queue);
    if (index == G_MAXUINT) {
        struct interest fresh = { .subject = g_strdup(sub->subject),
                                  .queue = g_strdup(sub->queue) };
        g_array_append_val(b->interest, fresh);
        index = b->interest->len - 1;
    }
    struct interest *it = &g_array_index(b->interest, struct interest, index);
    it->count++;
    if (it->queue || it->count == 1)
        ps__routes_advertise(b, it, out);
}

/* RS- on 1 -> 0; a queue group's new weight otherwise. */
static void interest_remove(struct ps_broker *b, const struct ps_sub *sub, struct proto_out *out)
{
    guint index = interest_find(b, sub->subject, sub->queue);
    ZS_ASSERT(index != G_MAXUINT);
    struct interest *it = &g_array_index(b->interest, struct interest, index);
    it->count--;
    if (it->queue || it->count == 0)
        ps__routes_advertise(b, it, out);
    if (it->count == 0) {
        g_free(it->subject);
        g_free(it->queue);
        g_array_remove_index(b->interest, index);
    }
}

static void client_sub(struct ps_broker *b, struct bconn *c, const struct ps_msg *m,
                       struct proto_out *out)
{
    /* nats-server answers an invalid subject with -ERR and keeps the connection. */
    if (!ps_subject_valid(m->subject, true) || (m->queue && !ps_subject_valid(m->queue, false)))
        return;
    struct ps_sub *sub = ps_sub_new(m->subject, m->queue, 1, m->sid, -1, c);
    g_ptr_array_add(c->subs, sub);
    ps_sublist_insert(b->sublist, sub);
    interest_add(b, sub, out);
}

static void unsubscribe(struct ps_broker *b, struct bconn *c, guint index, struct proto_out *out)
{
    struct ps_sub *sub = g_ptr_array_index(c->subs, index);
    ps_sublist_remove(b->sublist, sub);
    interest_remove(b, sub, out);
    g_ptr_array_remove_index(c->subs, index); /* frees sub */
}

static void client_unsub(struct ps_broker *b, struct bconn *c, uint32_t sid,
                         struct proto_out *out)
{
    for (guint i = 0; i < c->subs->len; i++) {
        if (((struct ps_sub *)g_ptr_array_index(c->subs, i))->sid == sid) {
            unsubscribe(b, c, i, out);
            b->local_miss_cause = PS_DROP_NO_INTEREST;
            return;
        }
    }
}

/* closeConnection for a client: its outbound queue is lost, its subscriptions go. */
static void client_closed(struct ps_broker *b, struct bconn *c, enum ps_drop_cause cause,
                          struct proto_out *out)
{
    struct ps_msg *m;
    while ((m = g_queue_pop_head(&c->outbound))) {
        if (m->hdr.msg_id != MSG_ID_NONE)
            record_drop(out, m->hdr.msg_id, cause, b->cfg->host);
        sim_msg_free(&m->hdr);
    }
    c->outbound_bytes = 0;
    if (c->subs->len)
        b->local_miss_cause = cause;
    while (c->subs->len)
        unsubscribe(b, c, c->subs->len - 1, out);
}

void ps__bconn_close(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                     enum ps_drop_cause cause, bool close_socket, struct proto_out *out)
{
    proto_timer_cancel(out, broker_timer(PS_TIMER_CONN_PING, c->id));
    if (close_socket)
        proto_close(out, c->id);
    if (c->kind == PS_BCONN_CLIENT)
        client_closed(b, c, cause, out);
    else if (c->kind == PS_BCONN_ROUTE)
        ps__route_closed(b, env, c, out);
    g_hash_table_remove(b->conns, &c->id); /* frees c */
}

bool ps__handle_ping_pong(struct ps_broker *b, struct bconn *c, const struct ps_msg *m,
                          struct proto_out *out)
{
    if (m->hdr.type == PS_MSG_PING) {
        bconn_send(b, c, ps_msg_pong(), out);
        return true;
    }
    if (m->hdr.type == PS_MSG_PONG) {
        c->pings_out = 0;
        return true;
    }
    return false;
}

/* processPingTimer: routes always ping; for a client, traffic read within the interval
 * counts as a PONG and no PING is sent. One PING more than ping_max unanswered closes the
 * connection as stale. */
static void ping_timer(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                       struct proto_out *out)
{
    bool client = c->kind == PS_BCONN_CLIENT;
    if (client && env->now_ns - c->last_in_ns < PING_INTERVAL_NS) {
        c->pings_out = 0;
        ps__arm_ping(c, out);
        return;
    }
    if (c->pings_out + 1 > PING_MAX) {
        ps__bconn_close(b, env, c, PS_DROP_CONNECTION_CLOSED, true, out);
        return;
    }
    c->pings_out++;
    bconn_send(b, c, ps_msg_ping(), out);
    ps__arm_ping(c, out);
}

/* ---- fan-out ----------------------------------------------------------------------------- */

/* One member of g at random, remote entries weighted (processMsgResults); local_only: only
 * this server's members count (a routed copy tagged with the group). */
static const struct ps_sub *pick_member(struct rng *rng, const struct ps_match_group *g,
                                        bool local_only)
{
    uint64_t total = 0;
    for (guint i = 0; i < g->members->len; i++) {
        const struct ps_sub *sub = g_ptr_array_index(g->members, i);
        total += local_only ? (sub->route_host < 0) : sub->weight;
    }
    if (total == 0)
        return NULL;
    uint64_t r = rng_below(rng, total);
    for (guint i = 0;; i++) {
        const struct ps_sub *sub = g_ptr_array_index(g->members, i);
        uint64_t w = local_only ? (sub->route_host < 0) : sub->weight;
        if (r < w)
            return sub;
        r -= w;
    }
}

static void deliver_local(struct ps_broker *b, const struct ps_sub *sub, const struct ps_msg *m,
                          struct proto_out *out)
{
    client_write(b, sub->owner, ps_msg_msg_of(m, sub->sid), out);
}

static void fanout_reset(struct ps_broker *b)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++) {
        b->served[h] = false;
        b->route_plain[h] = false;
        g_ptr_array_set_size(b->route_queues[h], 0);
    }
}

/* One RMSG per peer with interest, carrying the queue groups it must serve. */
static void forward_to_routes(struct ps_broker *b, const struct ps_msg *pub,
                              struct proto_out *out)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++) {
        GPtrArray *queues = b->route_queues[h];
        if (!b->route_plain[h] && queues->len == 0)
            continue;
        ZS_ASSERT(b->routes[h].state == PS_ROUTE_UP);
        struct ps_msg *rmsg = ps_msg_rmsg_of(pub, (const char *const *)queues->pdata,
                                             queues->len);
        proto_send(out, b->routes[h].conn->id, &rmsg->hdr);
        b->served[h] = true;
    }
}

/* Every host this broker knowingly leaves out, with the reason it knows. */
static void record_unserved(struct ps_broker *b, msg_id_t id, struct proto_out *out)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++) {
        if (b->served[h])
            continue;
        enum ps_drop_cause cause = h == b->cfg->host               ? b->local_miss_cause
                                : b->routes[h].state == PS_ROUTE_UP ? PS_DROP_NO_INTEREST
                                                                 : PS_DROP_ROUTE_DOWN;
        record_drop(out, id, cause, h);
    }
}

/* A request nobody received: nats-server (processInboundClientMsg) answers the requester at
 * once with a 503 status on the reply subject, through the requester's own plain
 * subscription that matches it (its inbox), if it has one. nats.go asks for this (CONNECT's
 * no_responders) whenever the server supports headers, so every requester here gets it. */
static void no_responders(struct ps_broker *b, struct bconn *c, const struct ps_msg *pub,
                          struct proto_out *out)
{
    for (guint i = 0; i < c->subs->len; i++) {
        const struct ps_sub *sub = g_ptr_array_index(c->subs, i);
        if (!sub->queue && ps_subject_matches(sub->subject, pub->reply)) {
            client_write(b, c, ps_msg_no_responders(pub->reply, sub->sid, pub->subject), out);
            return;
        }
    }
}

static void publish(struct ps_broker *b, const struct proto_env *env, struct bconn *from,
                    const struct ps_msg *pub, struct proto_out *out)
{
    const struct ps_match *match = ps_sublist_match(b->sublist, pub->subject);
    uint32_t self = b->cfg->host;
    fanout_reset(b);
    for (guint i = 0; i < match->plain->len; i++) {
        const struct ps_sub *sub = g_ptr_array_index(match->plain, i);
        if (sub->route_host >= 0) {
            b->route_plain[sub->route_host] = true;
        } else {
            deliver_local(b, sub, pub, out);
            b->served[self] = true;
        }
    }
    for (guint i = 0; i < match->groups->len; i++) {
        const struct ps_match_group *g = &g_array_index(match->groups, struct ps_match_group, i);
        const struct ps_sub *sub = pick_member(env->rng, g, false);
        if (sub->route_host >= 0) {
            g_ptr_array_add(b->route_queues[sub->route_host], (gpointer)g->name);
        } else {
            deliver_local(b, sub, pub, out);
            b->served[self] = true;
        }
    }
    forward_to_routes(b, pub, out);
    /* Drops are the workload's: a recipe's message (no msg_id) is nobody's loss here. */
    if (match->groups->len == 0 && pub->hdr.msg_id != MSG_ID_NONE)
        record_unserved(b, pub->hdr.msg_id, out);
    if (pub->reply) {
        bool delivered = false;
        for (uint32_t h = 0; h < b->cfg->n_hosts; h++)
            delivered |= b->served[h];
        if (!delivered)
            no_responders(b, from, pub, out);
    }
}

static const struct ps_match_group *match_group_named(const struct ps_match *match,
                                                      const char *name)
{
    for (guint i = 0; i < match->groups->len; i++) {
        const struct ps_match_group *g = &g_array_index(match->groups, struct ps_match_group, i);
        if (strcmp(g->name, name) == 0)
            return g;
    }
    return NULL;
}

void ps__deliver_routed(struct ps_broker *b, const struct proto_env *env,
                        const struct ps_msg *rmsg, struct proto_out *out)
{
    const struct ps_match *match = ps_sublist_match(b->sublist, rmsg->subject);
    uint32_t handed = 0;
    for (guint i = 0; i < match->plain->len; i++) {
        const struct ps_sub *sub = g_ptr_array_index(match->plain, i);
        if (sub->route_host < 0) {
            deliver_local(b, sub, rmsg, out);
            handed++;
        }
    }
    const char *queue = rmsg->queue;
    for (uint32_t q = 0; q < rmsg->n_queues; q++, queue = ps_msg_next_queue(queue)) {
        const struct ps_match_group *g = match_group_named(match, queue);
        const struct ps_sub *sub = g ? pick_member(env->rng, g, true) : NULL;
        if (sub) {
            deliver_local(b, sub, rmsg, out);
            handed++;
        }
    }
    if (handed == 0 && rmsg->hdr.msg_id != MSG_ID_NONE)
        record_drop(out, rmsg->hdr.msg_id, b->local_miss_cause, b->cfg->host);
}

/* ---- the node ---------------------------------------------------------------------------- */

static void client_msg(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                       const struct ps_msg *m, struct proto_out *out)
{
    if (m->hdr.type != PS_MSG_ACK)
        c->last_in_ns = env->now_ns;
    if (ps__handle_ping_pong(b, c, m, out))
        return;
    switch ((enum ps_msg_type)m->hdr.type) {
    case PS_MSG_SUB:
        client_sub(b, c, m, out);
        break;
    case PS_MSG_UNSUB:
        client_unsub(b, c, m->sid, out);
        break;
    case PS_MSG_PUB:
        publish(b, env, c, m, out);
        break;
    case PS_MSG_ACK:
        client_ack(b, c, m->bytes_read, out);
        break;
    default:
        break; /* CONNECT: nothing to do with verbose and pedantic off */
    }
}

static void accept_conn(struct ps_broker *b, const struct proto_env *env,
                        const struct proto_input *in, struct proto_out *out)
{
    bool client = in->port == PS_PORT_CLIENT;
    struct bconn *c = ps__bconn_new(b, in->conn, client ? PS_BCONN_CLIENT : PS_BCONN_ROUTE_PENDING);
    c->last_in_ns = env->now_ns;
    if (client)
        client_write(b, c, ps_msg_info(), out);
    ps__arm_ping(c, out);
}

static void on_msg(struct ps_broker *b, const struct proto_env *env,
                   const struct proto_input *in, struct proto_out *out)
{
    struct bconn *c = bconn_find(b, in->conn);
    const struct ps_msg *m = ps_msg_from(in->msg);
    if (!c || !m)
        return;
    if (c->kind == PS_BCONN_CLIENT)
        client_msg(b, env, c, m, out);
    else
        ps__route_msg(b, env, c, m, out);
}

static void on_timer(struct ps_broker *b, const struct proto_env *env, uint64_t token,
                     struct proto_out *out)
{
    enum broker_timer kind = (enum broker_timer)proto_token_kind(token);
    uint64_t value = proto_token_index(token);
    if (kind != PS_TIMER_CONN_PING) {
        ps__route_timer(b, env, kind, (uint32_t)value, out);
        return;
    }
    struct bconn *c = bconn_find(b, value);
    if (c)
        ping_timer(b, env, c, out);
}

static void close_slow_consumers(struct ps_broker *b, const struct proto_env *env,
                                 struct proto_out *out)
{
    for (guint i = 0; i < b->slow_consumers->len; i++)
        ps__bconn_close(b, env, g_ptr_array_index(b->slow_consumers, i), PS_DROP_SLOW_CONSUMER,
                        true, out);
    g_ptr_array_set_size(b->slow_consumers, 0);
}

static void broker_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct ps_broker *b = state;
    struct bconn *c;
    switch (in->kind) {
    case PROTO_IN_START:
        ps__routes_start(b, out);
        break;
    case PROTO_IN_CONN_UP:
        if (in->incoming)
            accept_conn(b, env, in, out);
        else
            ps__route_dial_answered(b, env, in, out);
        break;
    case PROTO_IN_CONN_FAILED:
        ps__route_dial_answered(b, env, in, out);
        break;
    case PROTO_IN_CONN_DOWN:
        if ((c = bconn_find(b, in->conn)))
            ps__bconn_close(b, env, c, PS_DROP_CONNECTION_CLOSED, false, out);
        break;
    case PROTO_IN_MSG:
        on_msg(b, env, in, out);
        break;
    case PROTO_IN_TIMER:
        on_timer(b, env, in->token, out);
        break;
    default:
        break; /* no disk, no client operations */
    }
    close_slow_consumers(b, env, out);
}

static void *broker_create(const void *config, const struct proto_env *env,
                           const struct disk *disk)
{
    const struct ps_broker_config *cfg = config;
    ZS_ASSERT(cfg->host < cfg->n_hosts && cfg->n_hosts <= 256); /* host fits a dial token */
    struct ps_broker *b = g_new0(struct ps_broker, 1);
    b->cfg = cfg;
    b->socket_buffer = cfg->socket_buffer ? cfg->socket_buffer : PS_DEFAULT_SOCKET_BUFFER;
    b->sublist = ps_sublist_new();
    b->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, bconn_free);
    b->interest = g_array_new(FALSE, FALSE, sizeof(struct interest));
    b->local_miss_cause = PS_DROP_NO_INTEREST;
    b->slow_consumers = g_ptr_array_new();
    b->served = g_new0(bool, cfg->n_hosts);
    b->route_plain = g_new0(bool, cfg->n_hosts);
    b->route_queues = g_new(GPtrArray *, cfg->n_hosts);
    for (uint32_t h = 0; h < cfg->n_hosts; h++)
        b->route_queues[h] = g_ptr_array_new();
    ps__routes_init(b);
    return b;
}

static void broker_destroy(void *state)
{
    struct ps_broker *b = state;
    ps__routes_free(b);
    g_hash_table_destroy(b->conns);
    ps_sublist_free(b->sublist);
    for (guint i = 0; i < b->interest->len; i++) {
        struct interest *it = &g_array_index(b->interest, struct interest, i);
        g_free(it->subject);
        g_free(it->queue);
    }
    g_array_free(b->interest, TRUE);
    g_ptr_array_free(b->slow_consumers, TRUE);
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++)
        g_ptr_array_free(b->route_queues[h], TRUE);
    g_free(b->route_queues);
    g_free(b->route_plain);
    g_free(b->served);
    g_free(b);
}

const struct proto_ops ps_broker_ops = {
    .name = "pubsub-broker",
    .create = broker_create,
    .destroy = broker_destroy,
    .handle = broker_handle,
    .msg_type_name = ps_msg_type_name,
};
