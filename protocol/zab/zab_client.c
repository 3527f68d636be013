/* zab_client.c: a ZooKeeper client (ClientCnxn + StaticHostProvider), as a pure node;
 * with c_library, the reconnect timers of the C client (libzookeeper, zookeeper.c) instead.
 *
 * The client knows every server: its home server first, then the others in an order
 * shuffled once (StaticHostProvider shuffles its list). It opens a session with
 * ConnectRequest; a server that is not serving closes the connection at once. Writes made
 * while connected are sent at once; writes made while connecting wait in the outgoing queue.
 * When the connection breaks (closed by the server, reset, or no answer for readTimeout =
 * 2/3 of the session timeout), every request waiting for an answer and every queued one
 * fails with CONNECTIONLOSS: the application cannot know whether it took effect, so the
 * outcome is `timeout`. Reconnection waits a random 0-1 s (ClientCnxn.startConnect), each
 * attempt is bounded by sessionTimeout / servers, and a full pass over the list without
 * success adds the 1 s spin delay. The C client differs in exactly these timers: it tries the
 * next server at once, bounds an attempt by the read timeout, and after a full pass without
 * success waits recv_timeout / 60 (zookeeper_interest), a wait that the application's next
 * request cuts short (it wakes the I/O thread). Sessions are not modelled as transactions: moving a
 * session takes one round trip to the new server (see docs/zab-model.md). */
#include "protocol/zab/zab_internal.h"

#include <string.h>

#define RECONNECT_JITTER_MAX (1000 * SIM_MS) /* ClientCnxn: r.nextInt(1000) */
#define SPIN_DELAY (1000 * SIM_MS)           /* StaticHostProvider spinDelay */

enum client_timer {
    CT_DIAL = 1,      /* the connect of the current attempt */
    CT_RECONNECT,     /* the delay before the next attempt is over */
    CT_CONNECT,       /* the current attempt took too long */
    CT_PING,          /* idle for readTimeout / 2: send a ping */
    CT_READ,          /* nothing heard for readTimeout */
};

enum client_status { CS_IDLE, CS_WAITING, CS_DIALING, CS_HANDSHAKE, CS_CONNECTED };

struct zab_client {
    const struct zab_client_config *cfg;
    enum client_status status;
    uint32_t *order;           /* host indices: home first, then shuffled */
    uint32_t next_index;       /* position in order of the next attempt */
    uint32_t failed_in_pass;   /* attempts since the last success */
    uint32_t attempt;          /* names timers of the current attempt */
    bool ever_connected;
    conn_id conn;
    uint32_t host;             /* host of the current attempt / connection */
    sim_time last_heard, last_sent;
    GArray *queued;            /* msg_id_t: submitted while connecting */
    GArray *in_flight;         /* msg_id_t: sent, awaiting the response */
};

/* Timers and dials of the current attempt (sim/proto.h tokens; attempt = generation). */
static uint64_t client_token(struct zab_client *c, enum client_timer t)
{
    return proto_token((uint8_t)t, c->attempt, 0);
}

static sim_time read_timeout(const struct zab_client *c)
{
    return c->cfg->session_timeout * 2 / 3;
}

static void *client_create(const void *config, const struct proto_env *env, const struct disk *disk)
{
    struct zab_client *c = g_new0(struct zab_client, 1);
    c->cfg = config;
    c->order = g_new(uint32_t, c->cfg->n_hosts);
    rng_order_first(env->rng, c->cfg->home_host, c->cfg->n_hosts, c->order);
    c->queued = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
    c->in_flight = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
    return c;
}

static void client_destroy(void *state)
{
    struct zab_client *c = state;
    g_array_free(c->queued, TRUE);
    g_array_free(c->in_flight, TRUE);
    g_free(c->order);
    g_free(c);
}

static void send_write(struct zab_client *c, msg_id_t id, const struct proto_env *env,
                       struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_WRITE_REQ, NULL);
    m->hdr.size_bytes += c->cfg->payload_bytes;
    m->txn.msg_id = id;
    m->hdr.msg_id = id;
    proto_send(out, c->conn, &m->hdr);
    g_array_append_val(c->in_flight, id);
    c->last_sent = env->now_ns;
}

static void dial(struct zab_client *c, const struct proto_env *env, struct proto_out *out)
{
    c->attempt++;
    c->status = CS_DIALING;
    c->host = c->order[c->next_index];
    c->next_index = (c->next_index + 1) % c->cfg->n_hosts;
    proto_connect(out, c->cfg->host_machines[c->host], ZAB_PORT_CLIENT, client_token(c, CT_DIAL));
    /* Java: connectTimeout = sessionTimeout / number of servers; C: the read timeout. */
    proto_timer_set(out, client_token(c, CT_CONNECT),
                    c->cfg->c_library ? read_timeout(c)
                                      : c->cfg->session_timeout / c->cfg->n_hosts);
}

static void schedule_attempt(struct zab_client *c, const struct proto_env *env,
                             struct proto_out *out)
{
    c->attempt++;
    c->status = CS_WAITING;
    bool pass_failed = c->failed_in_pass > 0 && c->failed_in_pass % c->cfg->n_hosts == 0;
    sim_time delay;
    if (c->cfg->c_library) {
        /* No jitter; a full failed pass waits 1/60 of the session timeout. */
        delay = pass_failed ? c->cfg->session_timeout / 60 : 0;
    } else {
        delay = c->ever_connected || c->failed_in_pass > 0
                    ? (sim_time)rng_below(env->rng, RECONNECT_JITTER_MAX)
                    : 0;
        if (pass_failed)
            delay += SPIN_DELAY; /* tried every server: spin before the next pass */
    }
    proto_timer_set(out, client_token(c, CT_RECONNECT), delay);
}

/* ClientCnxn.cleanup: the connection is gone; everything pending fails. */
static void connection_lost(struct zab_client *c, bool close, const struct proto_env *env,
                            struct proto_out *out)
{
    if (close && c->conn != CONN_NONE)
        proto_close(out, c->conn);
    if (c->status != CS_CONNECTED)
        c->failed_in_pass++;
    else
        proto_trace_client(out, c->cfg->client, false, -1);
    c->conn = CONN_NONE;
    for (guint i = 0; i < c->in_flight->len; i++)
        proto_trace_outcome(out, g_array_index(c->in_flight, msg_id_t, i),
                            TRACE_OUTCOME_TIMEOUT);
    for (guint i = 0; i < c->queued->len; i++)
        proto_trace_outcome(out, g_array_index(c->queued, msg_id_t, i),
                            TRACE_OUTCOME_TIMEOUT);
    g_array_set_size(c->in_flight, 0);
    g_array_set_size(c->queued, 0);
    schedule_attempt(c, env, out);
}

static void arm_liveness(struct zab_client *c, const struct proto_env *env, struct proto_out *out)
{
    sim_time half = read_timeout(c) / 2;
    proto_timer_set(out, client_token(c, CT_PING), MAX(0, c->last_sent + half - env->now_ns));
    proto_timer_set(out, client_token(c, CT_READ),
                    MAX(0, c->last_heard + read_timeout(c) - env->now_ns));
}

static void on_connected(struct zab_client *c, const struct proto_env *env, struct proto_out *out)
{
    c->status = CS_CONNECTED;
    c->ever_connected = true;
    proto_trace_client(out, c->cfg->client, true, (int32_t)c->host);
    c->failed_in_pass = 0;
    proto_timer_cancel(out, client_token(c, CT_CONNECT));
    c->last_heard = c->last_sent = env->now_ns;
    for (guint i = 0; i < c->queued->len; i++)
        send_write(c, g_array_index(c->queued, msg_id_t, i), env, out);
    g_array_set_size(c->queued, 0);
    arm_liveness(c, env, out);
}

static void on_response(struct zab_client *c, const struct zab_msg *m, const struct proto_env *env,
                        struct proto_out *out)
{
    c->last_heard = env->now_ns;
    switch (m->hdr.type) {
    case ZAB_MSG_CONNECT_RESP:
        if (c->status == CS_HANDSHAKE)
            on_connected(c, env, out);
        return;
    case ZAB_MSG_WRITE_RESP:
        for (guint i = 0; i < c->in_flight->len; i++) {
            if (g_array_index(c->in_flight, msg_id_t, i) == m->txn.msg_id) {
                g_array_remove_index(c->in_flight, i);
                proto_trace_outcome(out, m->txn.msg_id, TRACE_OUTCOME_ACKED);
                return;
            }
        }
        return;
    default:
        return;
    }
}

static void on_write_op(struct zab_client *c, const struct zab_write_op *op,
                        const struct proto_env *env, struct proto_out *out)
{
    proto_trace_submission(out, op->msg_id, c->cfg->client,
                           c->status == CS_CONNECTED ? (int32_t)c->host : -1);
    if (c->queued->len + c->in_flight->len >= ZAB_CLIENT_PENDING_MAX) {
        proto_trace_outcome(out, op->msg_id, TRACE_OUTCOME_REJECTED); /* zab_internal.h */
        return;
    }
    if (c->status == CS_CONNECTED) {
        send_write(c, op->msg_id, env, out);
        return;
    }
    g_array_append_val(c->queued, op->msg_id);
    /* libzookeeper_mt wakes its I/O thread for every request (adaptor_send_queue), and the
     * thread's next zookeeper_interest connects at once (the delay flag was cleared when the
     * delay began): a failed pass's wait lasts only until the application's next request. */
    if (c->cfg->c_library && c->status == CS_WAITING)
        dial(c, env, out);
}

static void on_timer(struct zab_client *c, uint64_t token, const struct proto_env *env,
                     struct proto_out *out)
{
    if (!proto_token_of(token, c->attempt))
        return;
    switch ((enum client_timer)proto_token_kind(token)) {
    case CT_DIAL:
        return;
    case CT_RECONNECT:
        dial(c, env, out);
        return;
    case CT_CONNECT:
        if (c->status == CS_DIALING || c->status == CS_HANDSHAKE)
            connection_lost(c, true, env, out);
        return;
    case CT_PING:
    case CT_READ:
        if (c->status != CS_CONNECTED)
            return;
        if (env->now_ns - c->last_heard >= read_timeout(c)) {
            connection_lost(c, true, env, out); /* "have not heard from server" */
            return;
        }
        if (env->now_ns - c->last_sent >= read_timeout(c) / 2) {
            proto_send(out, c->conn, &zab__msg_new(ZAB_MSG_CLIENT_PING, NULL)->hdr);
            c->last_sent = env->now_ns;
        }
        arm_liveness(c, env, out);
        return;
    }
}

static void client_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct zab_client *c = state;
    switch (in->kind) {
    case PROTO_IN_START:
        dial(c, env, out);
        return;
    case PROTO_IN_CONN_UP:
        if (in->token != client_token(c, CT_DIAL) || c->status != CS_DIALING) {
            proto_close(out, in->conn);
            return;
        }
        c->conn = in->conn;
        c->status = CS_HANDSHAKE;
        proto_send(out, c->conn, &zab__msg_new(ZAB_MSG_CONNECT_REQ, NULL)->hdr);
        return;
    case PROTO_IN_CONN_FAILED:
        if (in->token == client_token(c, CT_DIAL) && c->status == CS_DIALING) {
            proto_timer_cancel(out, client_token(c, CT_CONNECT));
            connection_lost(c, false, env, out);
        }
        return;
    case PROTO_IN_CONN_DOWN:
        if (in->conn == c->conn)
            connection_lost(c, false, env, out);
        return;
    case PROTO_IN_MSG:
        if (in->conn == c->conn)
            on_response(c, (const struct zab_msg *)in->msg, env, out);
        return;
    case PROTO_IN_TIMER:
        on_timer(c, in->token, env, out);
        return;
    case PROTO_IN_CLIENT_OP:
        on_write_op(c, in->op, env, out);
        return;
    case PROTO_IN_DISK_DONE:
        return;
    }
}

const struct proto_ops zab_client_ops = {
    .name = "zab-client",
    .create = client_create,
    .destroy = client_destroy,
    .handle = client_handle,
    .msg_type_name = zab_msg_type_name,
};
