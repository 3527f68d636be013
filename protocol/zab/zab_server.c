/* zab_server.c: a ZAB server node: lifecycle, recovery, role changes, delivery to the host's
 * subscriber, and client sessions. The phases themselves live in zab_election.c,
 * zab_leader.c and zab_learner.c; this file routes inputs to them.
 *
 * Delivery: the host's subscriber receives the committed history from the first
 * transaction, in zxid order, once the server knows what is committed (a leader once a
 * quorum acked NEWLEADER, a learner at UPTODATE), and then each commit as it happens.
 * seq is the position in the history, so every correct server delivers the same msg_id at
 * the same seq. */
#include "protocol/zab/zab_internal.h"

#include <string.h>

/* ---- small shared services -------------------------------------------------------------- */

void zab__set_state(struct zab_server *s, enum zab_server_state state, enum zab_phase phase,
                   int64_t epoch, struct proto_out *out)
{
    /* LOOKING goes with ELECTION only; FOLLOWING and LEADING with the three phases after. */
    ZS_ASSERT(state != ZAB_STATE_DOWN && phase != ZAB_PHASE_NONE);
    ZS_ASSERT((state == ZAB_STATE_LOOKING) == (phase == ZAB_PHASE_ELECTION));
    bool changed = s->state != state || s->phase != phase;
    s->state = state;
    s->phase = phase;
    if (!changed)
        return;
    struct trace_rec r = { .kind = TRACE_STATE };
    r.u.state.state = (uint8_t)state;
    r.u.state.phase = (uint8_t)phase;
    r.u.state.epoch = epoch;
    proto_trace(out, &r);
}

bool zab__serving(const struct zab_server *s)
{
    return s->phase == ZAB_PHASE_BROADCAST &&
           (s->state == ZAB_STATE_LEADING || s->state == ZAB_STATE_FOLLOWING);
}

void zab__send(struct zab_server *s, conn_id conn, struct zab_msg *m, struct proto_out *out)
{
    m->sid = s->cfg->sid;
    proto_send(out, conn, &m->hdr);
}

struct zab_conn *zab__conn_get(const struct zab_server *s, conn_id id)
{
    return g_hash_table_lookup(s->conns, &id);
}

struct zab_conn *zab__conn_add(struct zab_server *s, conn_id id, enum zab_conn_kind kind)
{
    struct zab_conn *c = g_new0(struct zab_conn, 1);
    c->id = id;
    c->kind = kind;
    g_hash_table_insert(s->conns, &c->id, c);
    return c;
}

void zab__conn_drop(struct zab_server *s, conn_id id, bool close, struct proto_out *out)
{
    if (close)
        proto_close(out, id);
    const struct zab_conn *c = zab__conn_get(s, id);
    if (c)
        zab__data_conn_closed(s, c);
    g_hash_table_remove(s->conns, &id);
}

static gint compare_conn_ids(gconstpointer a, gconstpointer b)
{
    conn_id x = **(const conn_id *const *)a, y = **(const conn_id *const *)b;
    return x < y ? -1 : x > y;
}

/* Connections of one kind in id order: closing them in hash order would make the order of
 * the resulting events depend on the hash table. */
static GPtrArray *conns_of_kind(struct zab_server *s, enum zab_conn_kind kind)
{
    GPtrArray *list = g_ptr_array_new();
    GHashTableIter it;
    gpointer key, value;
    g_hash_table_iter_init(&it, s->conns);
    while (g_hash_table_iter_next(&it, &key, &value)) {
        if (((struct zab_conn *)value)->kind == kind)
            g_ptr_array_add(list, key);
    }
    g_ptr_array_sort(list, compare_conn_ids);
    return list;
}

void zab__close_clients(struct zab_server *s, struct proto_out *out)
{
    /* A server that stops serving shuts its ZooKeeperServer down, closing every client
     * connection: clients see CONNECTIONLOSS and move to another server. */
    GPtrArray *list = conns_of_kind(s, ZAB_CONN_CLIENT);
    for (guint i = 0; i < list->len; i++)
        zab__conn_drop(s, *(conn_id *)g_ptr_array_index(list, i), true, out);
    g_ptr_array_free(list, TRUE);
    g_hash_table_remove_all(s->pending_writes);
    g_queue_clear_full(&s->throttled, g_free);
}

void zab__deliver_committed(struct zab_server *s, struct proto_out *out)
{
    while (s->delivered < s->committed) {
        const struct zab_txn *t = zab__txn_at(s, s->delivered);
        s->delivered++;
        if (zab_txn_is_data(t)) {
            /* The data model's txns go to the tree, not to the host's subscriber. */
            zab__data_apply(s, t, out);
            continue;
        }
        s->delivered_msgs++;
        struct trace_rec r = { .kind = TRACE_DELIVERY };
        r.u.delivery.seq = s->delivered_msgs;
        r.u.delivery.msg_id = t->msg_id;
        r.u.delivery.log_id = t->zxid;
        proto_trace(out, &r);
        gpointer conn;
        if (g_hash_table_lookup_extended(s->pending_writes, &t->msg_id, NULL, &conn)) {
            conn_id id = *(conn_id *)conn;
            if (zab__conn_get(s, id)) {
                struct zab_msg *m = zab__msg_new(ZAB_MSG_WRITE_RESP, s->cfg);
                m->zxid = t->zxid;
                m->txn = *t;
                m->hdr.msg_id = t->msg_id;
                zab__send(s, id, m, out);
            }
            g_hash_table_remove(s->pending_writes, &t->msg_id);
        }
    }
}

void zab__truncate_history(struct zab_server *s, uint64_t keep, struct proto_out *out)
{
    bool applied_cut = keep < s->delivered;
    for (uint64_t i = keep; i < s->txns->len; i++) {
        if (zab_txn_is_data(zab__txn_at(s, i)))
            continue; /* the truncation table lists workload messages only */
        struct trace_rec r = { .kind = TRACE_EVENT };
        r.u.event.type = ZAB_EVENT_TRUNCATE;
        r.u.event.b = zab__txn_at(s, i)->zxid;
        r.u.event.msg_id = zab__txn_at(s, i)->msg_id;
        r.u.event.flag = i < s->delivered;
        proto_trace(out, &r);
    }
    zab__log_truncate(s, keep, out); /* orphans after the last entry too (variants) */
    if (keep < s->txns->len)
        g_array_set_size(s->txns, (guint)keep);
    s->logged = MIN(s->logged, keep);
    s->committed = MIN(s->committed, keep);
    s->delivered = MIN(s->delivered, keep);
    if (applied_cut)
        zab__data_rebuild(s); /* ZooKeeper reloads its database after a truncation */
}

/* ---- role changes ----------------------------------------------------------------------- */

static void end_role(struct zab_server *s, struct proto_out *out)
{
    if (s->leader)
        zab__leader_free(s);
    if (s->learner)
        zab__learner_free(s);
    GPtrArray *quorum = conns_of_kind(s, ZAB_CONN_LEARNER);
    for (guint i = 0; i < quorum->len; i++)
        zab__conn_drop(s, *(conn_id *)g_ptr_array_index(quorum, i), true, out);
    g_ptr_array_free(quorum, TRUE);
    GPtrArray *to_leader = conns_of_kind(s, ZAB_CONN_TO_LEADER);
    for (guint i = 0; i < to_leader->len; i++)
        zab__conn_drop(s, *(conn_id *)g_ptr_array_index(to_leader, i), true, out);
    g_ptr_array_free(to_leader, TRUE);
    zab__close_clients(s, out);
    if (s->cfg->variant == ZAB_VARIANT_ZK_4712 && s->state == ZAB_STATE_FOLLOWING) {
        zab__log_linger(s, out);
    } else {
        zab__log_flush_all(s, out);
        if (s->cfg->variant == ZAB_VARIANT_ZK_2845 &&
            (s->state == ZAB_STATE_FOLLOWING || s->state == ZAB_STATE_LEADING))
            zab__log_forget_unapplied(s);
    }
    proto_listen(out, ZAB_PORT_QUORUM, false);
    s->role++;
}

void zab__become_looking(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    end_role(s, out);
    zab__set_state(s, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, s->current_epoch, out);
    zab__election_start(s, env, out);
}

/* ---- client sessions (server side) ------------------------------------------------------ */

static void on_client_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                          const struct proto_env *env, struct proto_out *out)
{
    switch (m->hdr.type) {
    case ZAB_MSG_SESSION_REQ:
    case ZAB_MSG_OP_REQ:
    case ZAB_MSG_SET_WATCHES:
        zab__data_on_client_msg(s, c, m, env, out);
        return;
    case ZAB_MSG_CONNECT_REQ:
        if (!zab__serving(s)) {
            /* "ZooKeeperServer not running": the connection is closed at once. */
            zab__conn_drop(s, c->id, true, out);
            return;
        }
        if (s->state == ZAB_STATE_LEADING) {
            zab__session_validated(s, c->id, out);
            return;
        }
        /* A learner owns no sessions: it asks the leader (Learner.validateSession) and
         * answers the client only when the leader does. A learner cut off from its leader
         * leaves the client waiting until its connect timeout. */
        zab__learner_revalidate(s, c->id, out);
        return;
    case ZAB_MSG_WRITE_REQ: {
        if (!c->session_open || !zab__serving(s)) {
            zab__conn_drop(s, c->id, true, out);
            return;
        }
        /* Read in order: behind what waits unread, or parked when at the limit. */
        struct zab_throttled *t = g_new(struct zab_throttled, 1);
        *t = (struct zab_throttled){ .conn = c->id, .msg_id = m->txn.msg_id };
        ZS_ASSERT(s->throttled.length < ZAB_THROTTLED_MAX);
        g_queue_push_tail(&s->throttled, t);
        return;
    }
    case ZAB_MSG_CLIENT_PING:
        if (c->session_open)
            zab__data_touch(s, c->session, env);
        zab__send(s, c->id, zab__msg_new(ZAB_MSG_CLIENT_PONG, s->cfg), out);
        return;
    default:
        return;
    }
}

void zab__session_validated(struct zab_server *s, conn_id client, struct proto_out *out)
{
    struct zab_conn *c = zab__conn_get(s, client);
    if (!c || c->kind != ZAB_CONN_CLIENT || c->session_open || !zab__serving(s))
        return; /* the client left, or this server stopped serving, meanwhile */
    c->session_open = true;
    zab__send(s, c->id, zab__msg_new(ZAB_MSG_CONNECT_RESP, s->cfg), out);
}

/* Reads waiting write requests while the server has room under its outstanding limit:
 * each becomes a pending write and goes to the leader (or is proposed by it). Requests of
 * clients that have gone since are discarded, as a closed socket's unread data is. */
static void read_client_writes(struct zab_server *s, const struct proto_env *env,
                               struct proto_out *out)
{
    while (s->throttled.length > 0 &&
           g_hash_table_size(s->pending_writes) < ZAB_GLOBAL_OUTSTANDING_LIMIT) {
        struct zab_throttled *t = g_queue_pop_head(&s->throttled);
        if (zab__conn_get(s, t->conn) && zab__serving(s)) {
            msg_id_t *key = g_new(msg_id_t, 1);
            conn_id *value = g_new(conn_id, 1);
            *key = t->msg_id;
            *value = t->conn;
            g_hash_table_replace(s->pending_writes, key, value);
            if (s->state == ZAB_STATE_LEADING)
                zab__leader_propose(s, t->msg_id, env, out);
            else
                zab__learner_forward(s, t->msg_id, out);
        }
        g_free(t);
    }
    ZS_ASSERT(g_hash_table_size(s->pending_writes) <= ZAB_GLOBAL_OUTSTANDING_LIMIT);
}

/* ---- node interface --------------------------------------------------------------------- */

static void *server_create(const void *config, const struct proto_env *env, const struct disk *disk)
{
    struct zab_server *s = g_new0(struct zab_server, 1);
    s->cfg = config;
    s->txns = g_array_new(FALSE, FALSE, sizeof(struct zab_txn));
    s->file_orphans = g_array_new(FALSE, FALSE, sizeof(struct zab_file_orphans));
    s->conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    s->pending_writes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    s->peers = g_new0(struct zab_peer_channel, s->cfg->n_servers + 1);
    s->state = ZAB_STATE_DOWN;
    zab__data_init(s);
    zab__recover(s, disk);
    zab__election_init(s);
    return s;
}

static void server_destroy(void *state)
{
    struct zab_server *s = state;
    if (s->leader)
        zab__leader_free(s);
    if (s->learner)
        zab__learner_free(s);
    zab__election_free(s);
    zab__data_free(s);
    g_array_free(s->txns, TRUE);
    g_array_free(s->file_orphans, TRUE);
    g_hash_table_destroy(s->conns);
    g_hash_table_destroy(s->pending_writes);
    g_queue_clear_full(&s->throttled, g_free);
    g_free(s->peers);
    g_free(s);
}

static void on_conn_up(struct zab_server *s, const struct proto_input *in,
                       const struct proto_env *env, struct proto_out *out)
{
    if (!in->incoming) {
        if (proto_token_kind(in->token) == ZAB_TOK_ELECTION_DIAL)
            zab__election_on_conn_up(s, in, env, out);
        else
            zab__learner_on_conn_up(s, in, env, out);
        return;
    }
    switch (in->port) {
    case ZAB_PORT_ELECTION:
        zab__election_on_conn_up(s, in, env, out);
        break;
    case ZAB_PORT_QUORUM:
        if (s->state == ZAB_STATE_LEADING && s->leader)
            zab__leader_on_accept(s, in->conn, env, out);
        else
            proto_close(out, in->conn); /* only a leader runs the learner acceptor */
        break;
    case ZAB_PORT_CLIENT:
        zab__conn_add(s, in->conn, ZAB_CONN_CLIENT);
        break;
    default:
        proto_close(out, in->conn);
    }
}

static void on_conn_down(struct zab_server *s, conn_id id, const struct proto_env *env,
                         struct proto_out *out)
{
    struct zab_conn *c = zab__conn_get(s, id);
    if (!c)
        return;
    switch (c->kind) {
    case ZAB_CONN_ELECTION:
        zab__election_on_conn_lost(s, c, out);
        break;
    case ZAB_CONN_LEARNER:
        zab__leader_on_conn_lost(s, c, env, out);
        break;
    case ZAB_CONN_TO_LEADER:
        zab__learner_on_conn_lost(s, env, out);
        break;
    case ZAB_CONN_CLIENT:
        zab__conn_drop(s, id, false, out);
        break;
    }
}

static void on_msg(struct zab_server *s, const struct proto_input *in, const struct proto_env *env,
                   struct proto_out *out)
{
    struct zab_conn *c = zab__conn_get(s, in->conn);
    const struct zab_msg *m = (const struct zab_msg *)in->msg;
    if (!c)
        return; /* a connection this server already dropped */
    switch (c->kind) {
    case ZAB_CONN_ELECTION:
        zab__election_on_msg(s, c, m, env, out);
        break;
    case ZAB_CONN_LEARNER:
        zab__leader_on_msg(s, c, m, env, out);
        break;
    case ZAB_CONN_TO_LEADER:
        zab__learner_on_msg(s, m, env, out);
        break;
    case ZAB_CONN_CLIENT:
        on_client_msg(s, c, m, env, out);
        break;
    }
}

static void on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                     struct proto_out *out)
{
    switch (proto_token_kind(token)) {
    case ZAB_TOK_NOTIFY:
    case ZAB_TOK_FINALIZE:
    case ZAB_TOK_PEER_DIAL:
        zab__election_on_timer(s, token, env, out);
        break;
    case ZAB_TOK_LEADER_WAIT:
    case ZAB_TOK_LEADER_TICK:
    case ZAB_TOK_LEADER_LOADED:
    case ZAB_TOK_SESSION_EXPIRY:
    case ZAB_TOK_HANDLER_READ:
        if (proto_token_of(token, s->role) && s->leader)
            zab__leader_on_timer(s, token, env, out);
        break;
    case ZAB_TOK_LEARNER_CONNECT:
    case ZAB_TOK_LEARNER_READ:
        if (proto_token_of(token, s->role) && s->learner)
            zab__learner_on_timer(s, token, env, out);
        break;
    default:
        break;
    }
}

static void on_disk_done(struct zab_server *s, uint64_t token, const struct proto_env *env,
                         struct proto_out *out)
{
    if (proto_token_kind(token) == ZAB_TOK_DISK_LOG) {
        zab__log_on_synced(s, token, env, out);
        return;
    }
    if (!proto_token_of(token, s->role))
        return; /* written for a role that has ended: durable, but nobody waits */
    if (s->leader)
        zab__leader_on_disk(s, token, env, out);
    else if (s->learner)
        zab__learner_on_disk(s, token, env, out);
}

static void server_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct zab_server *s = state;
    if (s->refused) {
        if (in->kind == PROTO_IN_CONN_UP && in->incoming)
            proto_close(out, in->conn);
        return;
    }
    switch (in->kind) {
    case PROTO_IN_START:
        zab__become_looking(s, env, out);
        break;
    case PROTO_IN_MSG:
        on_msg(s, in, env, out);
        break;
    case PROTO_IN_CONN_UP:
        on_conn_up(s, in, env, out);
        break;
    case PROTO_IN_CONN_FAILED:
        if (proto_token_kind(in->token) == ZAB_TOK_ELECTION_DIAL)
            zab__election_on_dial_failed(s, proto_token_index(in->token));
        else if (proto_token_of(in->token, s->role) && s->learner)
            zab__learner_on_dial_failed(s, in->token, env, out);
        break;
    case PROTO_IN_CONN_DOWN:
        on_conn_down(s, in->conn, env, out);
        break;
    case PROTO_IN_TIMER:
        on_timer(s, in->token, env, out);
        break;
    case PROTO_IN_DISK_DONE:
        on_disk_done(s, in->token, env, out);
        break;
    case PROTO_IN_CLIENT_OP:
        break;
    }
    zab__election_drain_loopback(s, env, out);
    read_client_writes(s, env, out);
}

const struct proto_ops zab_server_ops = {
    .name = "zab-server",
    .create = server_create,
    .destroy = server_destroy,
    .handle = server_handle,
    .msg_type_name = zab_msg_type_name,
};

/* ---- read-only views -------------------------------------------------------------------- */

enum zab_server_state zab_server_state(const void *server)
{
    const struct zab_server *s = server;
    return s && !s->refused ? s->state : ZAB_STATE_DOWN;
}

enum zab_phase zab_server_phase(const void *server)
{
    const struct zab_server *s = server;
    return s && !s->refused ? s->phase : ZAB_PHASE_NONE;
}

int64_t zab_server_current_epoch(const void *server)
{
    return ((const struct zab_server *)server)->current_epoch;
}
