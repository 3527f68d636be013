/* js_server.c: the JetStream-style server node: a route to every other host's server,
 * client connections (publishers and this host's subscriber), who has interest in what,
 * and recovery from the host's disk (docs/jetstream-model.md, "Servers").
 *
 * Routes: each server dials every other and sends on the connection it dialled; what it
 * receives comes on the connections the others dialled. A dial that fails or a route that
 * closes is dialled again after 1 s plus up to 100 ms. A new route from a peer means the
 * peer's process is new (it restarted), so this server's own route to it is dialled again.
 * Interest: the stream leader, once it serves, tells every server it has the stream's
 * subjects (as the subscription nats-server propagates over routes) and tells them again
 * when it stops; each server tells every other whether its host's subscriber is connected
 * to its durable consumer. A publish that reaches a server with no known stream leader
 * is answered "no responders" (503); otherwise it is forwarded to the leader, and is lost
 * when the leader is gone (the publisher times out). The bucket's server (cfg->kv) routes
 * key-value requests the same way (js_kv.c). */
#include "protocol/jetstream/js_internal.h"

/* What an accepted connection is, by its first message (conn_kinds values). */
enum conn_kind { CONN_ROUTE_FROM = 1, CONN_CLIENT, CONN_SUBSCRIBER };
#define KIND_HOST_SHIFT 8 /* CONN_ROUTE_FROM | host << KIND_HOST_SHIFT */

bool js__is_replica(const struct js_server *s, uint32_t host)
{
    return host >= s->first_replica && host < s->cfg->n_hosts;
}

bool js__consumer_reachable(const struct js_server *s, uint32_t host)
{
    return s->consumer_active[host] && (host == s->cfg->host || s->routes[host].out_up);
}

void js__send_to_host(struct js_server *s, uint32_t host, struct js_msg *m,
                      struct proto_out *out)
{
    ZS_ASSERT(host < s->cfg->n_hosts && host != s->cfg->host);
    const struct js_route *r = &s->routes[host];
    if (!r->out_up) {
        sim_msg_free(&m->hdr); /* no route: nothing to carry it */
        return;
    }
    proto_send(out, r->out, &m->hdr);
}

static void send_interest(struct js_server *s, uint32_t host, struct proto_out *out)
{
    struct js_msg *m = js_msg_new(JS_MSG_INTEREST, 0, 0);
    m->term = s->term;
    m->flag = s->serving;
    js__send_to_host(s, host, m, out);
}

static void send_active(struct js_server *s, uint32_t host, struct proto_out *out)
{
    struct js_msg *m = js_msg_new(JS_MSG_ACTIVE, 0, 0);
    m->host = s->cfg->host;
    m->flag = s->subscriber != CONN_NONE;
    js__send_to_host(s, host, m, out);
}

void js__interest_changed(struct js_server *s, struct proto_out *out)
{
    if (s->serving) {
        s->stream_leader = (int32_t)s->cfg->host;
        s->stream_leader_term = s->term;
    } else if (s->stream_leader == (int32_t)s->cfg->host) {
        s->stream_leader = -1;
    }
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        if (h != s->cfg->host)
            send_interest(s, h, out);
    }
}

static void subscriber_changed(struct js_server *s, const struct proto_env *env,
                               struct proto_out *out)
{
    s->consumer_active[s->cfg->host] = s->subscriber != CONN_NONE;
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        if (h != s->cfg->host)
            send_active(s, h, out);
    }
    if (s->serving)
        js__stream_pump(s, env, out);
}

void js__emit_state(struct js_server *s, struct proto_out *out)
{
    uint8_t state = JS_STATE_FOLLOWER;
    if (s->role == JS_ROLE_CANDIDATE)
        state = JS_STATE_CANDIDATE;
    else if (s->role == JS_ROLE_LEADER)
        state = s->serving ? JS_STATE_LEADER : JS_STATE_ELECTED;
    if (state == s->state && s->term == s->state_term && s->started)
        return;
    s->state = state;
    s->state_term = s->term;
    s->started = true;
    if (s->cfg->kv)
        return; /* host_states are the stream's: the bucket's roles stay unrecorded */
    struct trace_rec r = { .kind = TRACE_STATE,
                           .u.state = { .state = state, .epoch = (int64_t)s->term } };
    proto_trace(out, &r);
}

/* ---- routes ----------------------------------------------------------------------------- */

static void route_dial(struct js_server *s, uint32_t host, struct proto_out *out)
{
    struct js_route *r = &s->routes[host];
    ZS_ASSERT(!r->dialing && !r->out_up && host != s->cfg->host);
    r->dial_generation++;
    r->dialing = true;
    proto_port port = s->cfg->kv ? JS_PORT_KV_ROUTE : JS_PORT_ROUTE; /* the peer of its kind */
    proto_connect(out, s->cfg->host_machines[host], port,
                  proto_token(JS_TOKEN_ROUTE_DIAL, r->dial_generation, host));
    /* A dial to a machine that is off or cut off is never answered. */
    proto_timer_set(out, proto_token(JS_TOKEN_ROUTE_RETRY, 0, host), JS_ROUTE_DIAL_NS);
}

static void route_retry_later(struct js_server *s, uint32_t host, const struct proto_env *env,
                              struct proto_out *out)
{
    sim_time delay = JS_ROUTE_RECONNECT_NS +
                     (sim_time)rng_below(env->rng, JS_ROUTE_RECONNECT_JITTER_NS);
    proto_timer_set(out, proto_token(JS_TOKEN_ROUTE_RETRY, 0, host), delay);
}

/* Everything learned from host is gone with its route. */
static void forget_peer(struct js_server *s, uint32_t host)
{
    if (s->stream_leader == (int32_t)host)
        s->stream_leader = -1;
    s->consumer_active[host] = false;
}

static void route_out_lost(struct js_server *s, uint32_t host, const struct proto_env *env,
                           struct proto_out *out)
{
    struct js_route *r = &s->routes[host];
    r->out_up = false;
    r->out = CONN_NONE;
    forget_peer(s, host);
    route_retry_later(s, host, env, out);
}

static void on_route_up(struct js_server *s, uint32_t host, conn_id conn,
                        const struct proto_env *env, struct proto_out *out)
{
    struct js_route *r = &s->routes[host];
    r->dialing = false;
    proto_timer_cancel(out, proto_token(JS_TOKEN_ROUTE_RETRY, 0, host));
    r->out = conn;
    r->out_up = true;
    struct js_msg *hello = js_msg_new(JS_MSG_HELLO, 0, 0);
    hello->host = s->cfg->host;
    hello->seq = (uint64_t)s->started_ns;
    proto_send(out, conn, &hello->hdr);
    if (s->serving)
        send_interest(s, host, out);
    if (!s->cfg->kv) /* the bucket has no consumers, so no subscribers to tell of */
        send_active(s, host, out);
    if (s->serving)
        js__stream_pump(s, env, out);
}

/* ---- client connections ----------------------------------------------------------------- */

void js__puback_to_client(struct js_server *s, const struct js_msg *ack, struct proto_out *out)
{
    gpointer conn = g_hash_table_lookup(s->clients, GUINT_TO_POINTER(ack->client));
    if (!conn)
        return; /* the publisher is not here (any more): nobody waits on that inbox */
    struct js_msg *m = js_msg_new(JS_MSG_PUBACK, 0, 0);
    m->hdr.msg_id = ack->hdr.msg_id;
    m->client = ack->client;
    m->attempt = ack->attempt;
    m->seq = ack->seq;
    m->status = ack->status;
    m->flag = ack->flag;
    proto_send(out, (conn_id)(uintptr_t)conn, &m->hdr);
}

static void on_publish(struct js_server *s, const struct js_msg *pub,
                       const struct proto_env *env, struct proto_out *out)
{
    if (s->serving) {
        js__stream_publish(s, s->cfg->host, pub, env, out);
        return;
    }
    if (s->stream_leader >= 0 && s->stream_leader != (int32_t)s->cfg->host) {
        struct js_msg *f = js_msg_new(JS_MSG_FWD, 0, s->cfg->payload_bytes);
        f->hdr.msg_id = pub->hdr.msg_id;
        f->client = pub->client;
        f->attempt = pub->attempt;
        f->origin = s->cfg->host;
        js__send_to_host(s, (uint32_t)s->stream_leader, f, out);
        return;
    }
    struct js_msg a = { .hdr = { .type = JS_MSG_PUBACK, .msg_id = pub->hdr.msg_id },
                        .client = pub->client, .attempt = pub->attempt,
                        .status = JS_STATUS_NO_RESPONDERS };
    js__puback_to_client(s, &a, out);
}

static void on_client_msg(struct js_server *s, conn_id conn, const struct js_msg *m,
                          const struct proto_env *env, struct proto_out *out)
{
    switch ((enum js_msg_type)m->hdr.type) {
    case JS_MSG_PUB:
        g_hash_table_insert(s->conn_kinds, GSIZE_TO_POINTER(conn),
                            GUINT_TO_POINTER(CONN_CLIENT));
        g_hash_table_insert(s->clients, GUINT_TO_POINTER(m->client),
                            GSIZE_TO_POINTER(conn));
        on_publish(s, m, env, out);
        break;
    case JS_MSG_SUB:
        g_hash_table_insert(s->conn_kinds, GSIZE_TO_POINTER(conn),
                            GUINT_TO_POINTER(CONN_SUBSCRIBER));
        s->subscriber = conn;
        subscriber_changed(s, env, out);
        break;
    case JS_MSG_ACK:
        if (s->serving)
            js__stream_on_ack(s, m->host, m->seq, env, out);
        else if (s->stream_leader >= 0)
            js__send_to_host(s, (uint32_t)s->stream_leader,
                             (struct js_msg *)g_memdup2(m, sizeof *m), out);
        break;
    case JS_MSG_KV_REQ:
        /* A key-value client, known by its inbox: answers come back to this connection. */
        ZS_ASSERT(s->cfg->kv);
        g_hash_table_insert(s->conn_kinds, GSIZE_TO_POINTER(conn),
                            GUINT_TO_POINTER(CONN_CLIENT));
        g_hash_table_insert(s->clients, GUINT_TO_POINTER(m->client),
                            GSIZE_TO_POINTER(conn));
        js__kv_request(s, s->cfg->host, m, false, env, out);
        break;
    default:
        ZS_ASSERT(!"not a client message");
    }
}

/* ---- messages from other servers -------------------------------------------------------- */

static void on_route_msg(struct js_server *s, uint32_t from, const struct js_msg *m,
                         const struct proto_env *env, struct proto_out *out)
{
    switch ((enum js_msg_type)m->hdr.type) {
    case JS_MSG_VOTE_REQ:
    case JS_MSG_VOTE_RESP:
    case JS_MSG_APPEND:
    case JS_MSG_APPEND_RESP:
        js__raft_on_msg(s, from, m, env, out);
        break;
    case JS_MSG_INTEREST:
        if (m->flag && (s->stream_leader < 0 || m->term >= s->stream_leader_term)) {
            s->stream_leader = (int32_t)from;
            s->stream_leader_term = m->term;
        } else if (!m->flag && s->stream_leader == (int32_t)from) {
            s->stream_leader = -1;
        }
        break;
    case JS_MSG_ACTIVE:
        s->consumer_active[from] = m->flag;
        if (s->serving && m->flag)
            js__stream_pump(s, env, out);
        break;
    case JS_MSG_FWD:
        /* Interest moved on while it travelled: nobody here answers (a time-out). */
        if (s->serving)
            js__stream_publish(s, m->origin, m, env, out);
        break;
    case JS_MSG_PUBACK:
        js__puback_to_client(s, m, out);
        break;
    case JS_MSG_DELIVER:
        ZS_ASSERT(m->host == s->cfg->host);
        if (s->subscriber != CONN_NONE) {
            proto_send(out, s->subscriber, (struct sim_msg *)g_memdup2(m, sizeof *m));
        } else {
            struct trace_rec r = { .kind = TRACE_DROP,
                                   .u.drop = { .msg_id = m->hdr.msg_id,
                                               .cause = JS_DROP_NO_SUBSCRIBER,
                                               .meant_for = (int32_t)s->cfg->host } };
            proto_trace(out, &r);
        }
        break;
    case JS_MSG_ACK:
        if (s->serving)
            js__stream_on_ack(s, m->host, m->seq, env, out);
        break;
    case JS_MSG_KV_REQ:
        js__kv_request(s, m->origin, m, true, env, out);
        break;
    case JS_MSG_KV_RESP:
        js__kv_to_client(s, m, out);
        break;
    default:
        ZS_ASSERT(!"not a route message");
    }
}

/* ---- the node --------------------------------------------------------------------------- */

static void *server_create(const void *config, const struct proto_env *env,
                           const struct disk *disk)
{
    const struct js_server_config *cfg = config;
    ZS_ASSERT(cfg->replicas >= 1 && cfg->replicas <= cfg->n_hosts && cfg->replicas % 2 == 1);
    ZS_ASSERT(cfg->n_hosts <= 64);
    struct js_server *s = g_new0(struct js_server, 1);
    s->cfg = cfg;
    s->quorum = cfg->replicas / 2 + 1;
    s->first_replica = cfg->n_hosts - cfg->replicas;
    s->replica = js__is_replica(s, cfg->host);
    s->routes = g_new0(struct js_route, cfg->n_hosts);
    s->clients = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->conn_kinds = g_hash_table_new(g_direct_hash, g_direct_equal);
    s->stream_leader = -1;
    js__raft_init(s, disk);
    js__stream_init(s, disk, env->now_ns);
    return s;
}

static void server_destroy(void *state)
{
    struct js_server *s = state;
    js__stream_free(s);
    js__raft_free(s);
    g_hash_table_destroy(s->clients);
    g_hash_table_destroy(s->conn_kinds);
    g_free(s->routes);
    g_free(s);
}

static void on_start(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    s->started_ns = env->now_ns + 1; /* never 0: 0 means not known yet */
    js__emit_state(s, out);
    if (s->replica && s->cfg->kv) {
        js__kv_start(s, env, out);
    } else if (s->replica) {
        struct trace_rec r = { .kind = TRACE_EVENT,
                               .u.event = { .type = JS_EVENT_RECOVERED,
                                            .a = (int64_t)s->store->len } };
        proto_trace(out, &r);
    }
    js__raft_start(s, env, out);
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        if (h != s->cfg->host)
            route_dial(s, h, out);
    }
}

static void on_conn_up(struct js_server *s, const struct proto_input *in,
                       const struct proto_env *env, struct proto_out *out)
{
    if (!in->incoming) {
        ZS_ASSERT(proto_token_kind(in->token) == JS_TOKEN_ROUTE_DIAL);
        uint32_t host = proto_token_index(in->token);
        struct js_route *r = &s->routes[host];
        if (!r->dialing || !proto_token_of(in->token, r->dial_generation)) {
            proto_close(out, in->conn); /* a dial we gave up on */
            return;
        }
        on_route_up(s, host, in->conn, env, out);
    }
    /* Accepted connections say what they are with their first message. */
}

static void on_conn_gone(struct js_server *s, conn_id conn, const struct proto_env *env,
                         struct proto_out *out)
{
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        if (s->routes[h].out_up && s->routes[h].out == conn) {
            route_out_lost(s, h, env, out);
            return;
        }
    }
    uintptr_t kind = GPOINTER_TO_SIZE(g_hash_table_lookup(s->conn_kinds,
                                                          GSIZE_TO_POINTER(conn)));
    g_hash_table_remove(s->conn_kinds, GSIZE_TO_POINTER(conn));
    if ((kind & 0xff) == CONN_ROUTE_FROM) {
        uint32_t host = (uint32_t)(kind >> KIND_HOST_SHIFT);
        if (s->routes[host].in == conn) {
            s->routes[host].in = CONN_NONE;
            forget_peer(s, host);
        }
    } else if (kind == CONN_SUBSCRIBER && s->subscriber == conn) {
        s->subscriber = CONN_NONE;
        subscriber_changed(s, env, out);
    } else if (kind == CONN_CLIENT) {
        GHashTableIter it;
        gpointer key, val;
        g_hash_table_iter_init(&it, s->clients);
        while (g_hash_table_iter_next(&it, &key, &val)) {
            if ((conn_id)(uintptr_t)val == conn)
                g_hash_table_iter_remove(&it);
        }
    }
}

static void on_msg(struct js_server *s, const struct proto_input *in,
                   const struct proto_env *env, struct proto_out *out)
{
    const struct js_msg *m = js_msg_from(in->msg);
    if (m->hdr.type == JS_MSG_HELLO) {
        uint32_t host = m->host;
        ZS_ASSERT(host < s->cfg->n_hosts && host != s->cfg->host);
        struct js_route *r = &s->routes[host];
        if (r->in != CONN_NONE && r->in != in->conn) {
            g_hash_table_remove(s->conn_kinds, GSIZE_TO_POINTER(r->in));
            proto_close(out, r->in);
        }
        sim_time started_ns = (sim_time)m->seq;
        bool restarted = r->peer_started_ns != 0 && r->peer_started_ns != started_ns;
        r->peer_started_ns = started_ns;
        if (restarted) {
            /* The peer's process is new: our route to it went to the old one. */
            if (r->out_up) {
                proto_close(out, r->out);
                r->out_up = false;
                r->out = CONN_NONE;
                forget_peer(s, host);
                route_dial(s, host, out);
            }
        }
        r->in = in->conn;
        g_hash_table_insert(s->conn_kinds, GSIZE_TO_POINTER(in->conn),
                            GSIZE_TO_POINTER(CONN_ROUTE_FROM | (uintptr_t)host << KIND_HOST_SHIFT));
        return;
    }
    uintptr_t kind = GPOINTER_TO_SIZE(g_hash_table_lookup(s->conn_kinds,
                                                          GSIZE_TO_POINTER(in->conn)));
    if ((kind & 0xff) == CONN_ROUTE_FROM)
        on_route_msg(s, (uint32_t)(kind >> KIND_HOST_SHIFT), m, env, out);
    else
        on_client_msg(s, in->conn, m, env, out);
}

static void server_handle(void *state, const struct proto_env *env,
                          const struct proto_input *in, struct proto_out *out)
{
    struct js_server *s = state;
    switch (in->kind) {
    case PROTO_IN_START:
        on_start(s, env, out);
        break;
    case PROTO_IN_MSG:
        on_msg(s, in, env, out);
        break;
    case PROTO_IN_CONN_UP:
        on_conn_up(s, in, env, out);
        break;
    case PROTO_IN_CONN_FAILED: {
        uint32_t host = proto_token_index(in->token);
        struct js_route *r = &s->routes[host];
        if (r->dialing && proto_token_of(in->token, r->dial_generation)) {
            r->dialing = false;
            route_retry_later(s, host, env, out);
        }
        break;
    }
    case PROTO_IN_CONN_DOWN:
        on_conn_gone(s, in->conn, env, out);
        break;
    case PROTO_IN_TIMER:
        switch (proto_token_kind(in->token)) {
        case JS_TOKEN_ROUTE_RETRY: {
            uint32_t host = proto_token_index(in->token);
            s->routes[host].dialing = false; /* an unanswered dial is given up */
            if (!s->routes[host].out_up)
                route_dial(s, host, out);
            break;
        }
        case JS_TOKEN_ACK_WAIT:
            js__stream_on_ack_wait(s, proto_token_index(in->token), env, out);
            break;
        case JS_TOKEN_KV_AGE:
            js__kv_on_age_check(s, env, out);
            break;
        default:
            js__raft_on_timer(s, in->token, env, out);
        }
        break;
    case PROTO_IN_DISK_DONE:
        js__raft_on_disk_done(s, in->token, env, out);
        break;
    case PROTO_IN_CLIENT_OP:
        ZS_ASSERT(!"a server takes no client operations");
    }
}

bool js_server_leading(const void *server, uint64_t *term)
{
    const struct js_server *s = server;
    *term = s->term;
    return s->serving;
}

const struct proto_ops js_server_ops = {
    .name = "js_server",
    .create = server_create,
    .destroy = server_destroy,
    .handle = server_handle,
    .msg_type_name = js_msg_type_name,
};
