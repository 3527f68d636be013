/* ps_client.c: the NATS client connection life cycle; see ps_client.h.
 *
 * Constants are nats.go defaults (nats.go: DefaultTimeout, DefaultPingInterval,
 * DefaultMaxPingOut, DefaultMaxReconnect, DefaultReconnectJitter; docs/pubsub-model.md,
 * "Defaults used"). */
#include "protocol/pubsub/ps_client.h"

#define CONNECT_TIMEOUT_NS (2 * SIM_S)   /* nats.go DefaultTimeout */
#define PING_INTERVAL_NS (120 * SIM_S)   /* nats.go DefaultPingInterval */
#define MAX_PINGS_OUT 2                  /* nats.go DefaultMaxPingOut */
#define MAX_RECONNECT 60                 /* nats.go DefaultMaxReconnect, per server */
#define RECONNECT_JITTER_NS (100 * SIM_MS) /* nats.go DefaultReconnectJitter */
#define DELAYED_ACK_NS (40 * SIM_MS)     /* Linux TCP_DELACK_MIN */

/* Token kinds (sim/proto.h proto_token) of the client; owners use kinds above
 * PS_CLIENT_TOKEN_LAST. A dial's generation is dial_generation. */
enum client_token {
    TOKEN_CONNECT = 1, /* timer: the attempt in progress timed out */
    TOKEN_RECONNECT,   /* timer: ReconnectWait is over: dial */
    TOKEN_PING,        /* timer */
    TOKEN_ACK,         /* timer */
    TOKEN_DIAL,        /* the dial of the current attempt */
};
G_STATIC_ASSERT(TOKEN_DIAL == PS_CLIENT_TOKEN_LAST);

static uint64_t timer_token(enum client_token kind)
{
    return proto_token((uint8_t)kind, 0, 0);
}

static uint64_t dial_token(const struct ps_client *c)
{
    return proto_token(TOKEN_DIAL, c->dial_generation, 0);
}

/* The connection attempt's phases, and which phase each may follow: a dial (after the
 * previous attempt or connection is over: it holds no connection), the server's INFO, our
 * CONNECT + PING answered by PONG; back to IDLE whenever an attempt or connection ends. */
static void set_phase(struct ps_client *c, enum ps_client_phase to)
{
    static const unsigned from[] = {
        [PS_PHASE_IDLE] = ~0u,
        [PS_PHASE_DIALING] = ~0u,
        [PS_PHASE_AWAIT_INFO] = 1u << PS_PHASE_DIALING,
        [PS_PHASE_AWAIT_PONG] = 1u << PS_PHASE_AWAIT_INFO,
        [PS_PHASE_OPEN] = 1u << PS_PHASE_AWAIT_PONG,
    };
    ZS_ASSERT((unsigned)to < G_N_ELEMENTS(from) && (from[to] >> c->phase) & 1);
    ZS_ASSERT(to == PS_PHASE_DIALING ? c->conn == CONN_NONE : true);
    ZS_ASSERT(to == PS_PHASE_OPEN ? c->conn != CONN_NONE : true);
    c->phase = to;
}

static struct ps_client_server *current_server(struct ps_client *c)
{
    return &g_array_index(c->pool, struct ps_client_server, 0);
}

void ps_client_init(struct ps_client *c, const struct ps_client_hooks *hooks, void *owner,
                    sim_time reconnect_wait, uint64_t reconnect_buffer)
{
    *c = (struct ps_client){ .hooks = hooks, .owner = owner, .reconnect_wait = reconnect_wait,
                             .reconnect_buffer = reconnect_buffer,
                             .status = PS_CLIENT_CONNECTING, .phase = PS_PHASE_IDLE };
    c->pool = g_array_new(FALSE, FALSE, sizeof(struct ps_client_server));
    g_queue_init(&c->pending);
}

void ps_client_add_server(struct ps_client *c, uint32_t host, uint32_t machine)
{
    struct ps_client_server s = { .host = host, .machine = machine };
    g_array_append_val(c->pool, s);
}

void ps_client_destroy(struct ps_client *c)
{
    g_queue_clear_full(&c->pending, (GDestroyNotify)sim_msg_free);
    g_array_free(c->pool, TRUE);
}

/* One connection attempt at the current server. The first connect is not a reconnect
 * and does not count against MaxReconnect. */
static void attempt(struct ps_client *c, bool counts, struct proto_out *out)
{
    struct ps_client_server *s = current_server(c);
    if (counts)
        s->reconnects++;
    c->dial_generation++;
    set_phase(c, PS_PHASE_DIALING);
    proto_connect(out, s->machine, PS_PORT_CLIENT, dial_token(c));
    /* A dial nobody answers (partition, machine off) is only ended by this timeout. */
    proto_timer_set(out, timer_token(TOKEN_CONNECT), CONNECT_TIMEOUT_NS);
}

static void close_for_good(struct ps_client *c, struct proto_out *out)
{
    c->status = PS_CLIENT_CLOSED;
    set_phase(c, PS_PHASE_IDLE);
    struct ps_msg *pub;
    while ((pub = g_queue_pop_head(&c->pending))) {
        c->hooks->on_discard(c->owner, pub, out);
        sim_msg_free(&pub->hdr);
    }
    c->pending_bytes = 0;
}

/* nats.go selectNextServer + the doReconnect loop body: the current server goes to the
 * back of the pool (or out of it once it has used its attempts), then the next one is
 * dialled at once, or after ReconnectWait when it ends a pass over the pool. */
static void reconnect_step(struct ps_client *c, const struct proto_env *env,
                           struct proto_out *out)
{
    struct ps_client_server s = *current_server(c);
    g_array_remove_index(c->pool, 0);
    if (s.reconnects < MAX_RECONNECT)
        g_array_append_val(c->pool, s);
    if (c->pool->len == 0) {
        close_for_good(c, out);
        return;
    }
    if (c->pass_position + 1 < c->pool->len) {
        c->pass_position++;
        attempt(c, true, out);
        return;
    }
    c->pass_position = 0;
    set_phase(c, PS_PHASE_IDLE);
    sim_time jitter = (sim_time)rng_below(env->rng, RECONNECT_JITTER_NS);
    proto_timer_set(out, timer_token(TOKEN_RECONNECT), c->reconnect_wait + jitter);
}

/* Forgets the current connection, closing it first when the peer has not. */
static void drop_conn(struct ps_client *c, bool close, struct proto_out *out)
{
    if (close && c->conn != CONN_NONE)
        proto_close(out, c->conn);
    c->conn = CONN_NONE;
    c->ack_pending = false;
    proto_timer_cancel(out, timer_token(TOKEN_ACK));
}

/* The connection or the attempt in progress is gone (reset, refused, timed out, stale). */
static void connection_lost(struct ps_client *c, bool close, const struct proto_env *env,
                            struct proto_out *out)
{
    drop_conn(c, close, out);
    proto_timer_cancel(out, timer_token(TOKEN_CONNECT));
    if (c->status == PS_CLIENT_CONNECTED) {
        /* processOpErr: RECONNECTING with a fresh pending buffer, a new doReconnect. */
        c->status = PS_CLIENT_RECONNECTING;
        c->pass_position = 0;
        proto_timer_cancel(out, timer_token(TOKEN_PING));
        if (c->hooks->on_disconnected)
            c->hooks->on_disconnected(c->owner, out);
    }
    reconnect_step(c, env, out);
}

static void send_now(struct ps_client *c, struct ps_msg *m, struct proto_out *out)
{
    proto_send(out, c->conn, &m->hdr);
}

static void connected(struct ps_client *c, const struct proto_env *env, struct proto_out *out)
{
    proto_timer_cancel(out, timer_token(TOKEN_CONNECT));
    current_server(c)->reconnects = 0;
    ZS_ASSERT(c->status != PS_CLIENT_CLOSED); /* CLOSED is for good */
    c->status = PS_CLIENT_CONNECTED;
    set_phase(c, PS_PHASE_OPEN);
    c->pings_out = 0;
    if (c->hooks->on_connected)
        c->hooks->on_connected(c->owner, env, out);
    /* The reconnect buffer goes out in one write, after the subscriptions. */
    struct ps_msg *pub;
    while ((pub = g_queue_pop_head(&c->pending)))
        send_now(c, pub, out);
    c->pending_bytes = 0;
    proto_timer_set(out, timer_token(TOKEN_PING), PING_INTERVAL_NS);
}

static void on_receive(struct ps_client *c, const struct proto_env *env, const struct ps_msg *m,
                       struct proto_out *out)
{
    c->bytes_read += m->hdr.size_bytes;
    if (!c->ack_pending && c->bytes_read > c->bytes_acked) {
        c->ack_pending = true;
        proto_timer_set(out, timer_token(TOKEN_ACK), DELAYED_ACK_NS);
    }
    switch ((enum ps_msg_type)m->hdr.type) {
    case PS_MSG_INFO:
        if (c->phase == PS_PHASE_AWAIT_INFO) {
            send_now(c, ps_msg_connect_client(), out);
            send_now(c, ps_msg_ping(), out);
            set_phase(c, PS_PHASE_AWAIT_PONG);
        }
        break;
    case PS_MSG_PONG:
        if (c->phase == PS_PHASE_AWAIT_PONG)
            connected(c, env, out);
        else
            c->pings_out = 0;
        break;
    case PS_MSG_PING:
        send_now(c, ps_msg_pong(), out);
        break;
    case PS_MSG_MSG:
    case PS_MSG_HMSG:
        if (c->status == PS_CLIENT_CONNECTED && c->hooks->on_msg)
            c->hooks->on_msg(c->owner, env, m, out);
        break;
    default:
        break; /* nothing else is sent to clients */
    }
}

/* nats.go processPingTimer: a PING per interval; one more than MaxPingsOut unanswered
 * means the connection is stale. */
static void ping_timer(struct ps_client *c, const struct proto_env *env, struct proto_out *out)
{
    if (++c->pings_out > MAX_PINGS_OUT) {
        connection_lost(c, true, env, out);
        return;
    }
    send_now(c, ps_msg_ping(), out);
    proto_timer_set(out, timer_token(TOKEN_PING), PING_INTERVAL_NS);
}

static void ack_timer(struct ps_client *c, struct proto_out *out)
{
    c->ack_pending = false;
    if (c->conn == CONN_NONE || c->bytes_read == c->bytes_acked)
        return;
    send_now(c, ps_msg_ack(c->bytes_read), out);
    c->bytes_acked = c->bytes_read;
}

static void on_timer(struct ps_client *c, uint64_t token, const struct proto_env *env,
                     struct proto_out *out)
{
    switch ((enum client_token)proto_token_kind(token)) {
    case TOKEN_CONNECT:
        connection_lost(c, true, env, out);
        break;
    case TOKEN_RECONNECT:
        attempt(c, true, out);
        break;
    case TOKEN_PING:
        ping_timer(c, env, out);
        break;
    case TOKEN_ACK:
        ack_timer(c, out);
        break;
    case TOKEN_DIAL:
        ZS_ASSERT(!"a dial token is not a timer");
    }
}

static void on_conn_up(struct ps_client *c, const struct proto_input *in, struct proto_out *out)
{
    if (in->token != dial_token(c) || c->phase != PS_PHASE_DIALING) {
        proto_close(out, in->conn); /* an attempt already given up on */
        return;
    }
    c->conn = in->conn;
    set_phase(c, PS_PHASE_AWAIT_INFO);
    c->bytes_read = c->bytes_acked = 0;
}

void ps_client_start(struct ps_client *c, const struct proto_env *env, struct proto_out *out)
{
    attempt(c, false, out);
}

bool ps_client_handle(struct ps_client *c, const struct proto_env *env,
                      const struct proto_input *in, struct proto_out *out)
{
    switch (in->kind) {
    case PROTO_IN_CONN_UP:
        on_conn_up(c, in, out);
        return true;
    case PROTO_IN_CONN_FAILED:
        if (in->token == dial_token(c) && c->phase == PS_PHASE_DIALING)
            connection_lost(c, false, env, out);
        return true;
    case PROTO_IN_CONN_DOWN:
        if (in->conn == c->conn)
            connection_lost(c, false, env, out);
        return true;
    case PROTO_IN_MSG:
        if (in->conn == c->conn && ps_msg_from(in->msg))
            on_receive(c, env, ps_msg_from(in->msg), out);
        return true;
    case PROTO_IN_TIMER:
        if (proto_token_kind(in->token) == 0 || proto_token_kind(in->token) > PS_CLIENT_TOKEN_LAST)
            return false;
        on_timer(c, in->token, env, out);
        return true;
    default:
        return false;
    }
}

enum ps_publish_result ps_client_publish(struct ps_client *c, struct ps_msg *pub,
                                         struct proto_out *out)
{
    if (c->status == PS_CLIENT_CONNECTED) {
        send_now(c, pub, out);
        return PS_PUBLISH_SENT;
    }
    enum ps_publish_result result = PS_PUBLISH_CLOSED;
    if (c->status != PS_CLIENT_CLOSED) {
        result = PS_PUBLISH_BUFFER_FULL;
        if (c->pending_bytes + pub->hdr.size_bytes <= c->reconnect_buffer) {
            c->pending_bytes += pub->hdr.size_bytes;
            g_queue_push_tail(&c->pending, pub);
            return PS_PUBLISH_BUFFERED;
        }
    }
    sim_msg_free(&pub->hdr);
    return result;
}

void ps_client_send(struct ps_client *c, struct ps_msg *m, struct proto_out *out)
{
    ZS_ASSERT(c->phase == PS_PHASE_OPEN);
    send_now(c, m, out);
}

int32_t ps_client_connected_host(const struct ps_client *c)
{
    if (c->status != PS_CLIENT_CONNECTED)
        return -1;
    return (int32_t)g_array_index(c->pool, struct ps_client_server, 0).host;
}
