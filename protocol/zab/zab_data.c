/* zab_data.c: ZooKeeper's data model on one server: the sessions of its data-model clients,
 * their requests and the watches they leave (ZooKeeperServer, FinalRequestProcessor,
 * LearnerSessionTracker).
 *
 * A client opens a session with SESSION_REQ. A new session gets an id made by the server
 * that took the connection (its sid in the top byte, as SessionTrackerImpl does) and a
 * timeout clamped to [2, 20] ticks; the server submits a createSession and answers the
 * client when that txn is applied here. A client coming back with its session asks the
 * leader (REVALIDATE from a learner) and is told the session has expired when the leader no
 * longer tracks it. A client whose last seen zxid is ahead of this server's is refused: it
 * never goes back in time. Writes go to the leader (forwarded by a learner); when their txn
 * is applied here, the server answers its own client. Reads are answered at once from this
 * server's tree, possibly behind the leader's. Watches fire while txns are applied, before
 * the answer of the txn that fired them; after a reconnect the client re-registers its
 * watches with its last zxid (SET_WATCHES) and hears at once of what changed meanwhile. When
 * a closeSession is applied, whichever server holds that session's connection closes it.
 * Each data-model client has at most one request outstanding (zab_recipe.c), so per-session
 * order holds without CommitProcessor's queues. */
#include "protocol/zab/zab_internal.h"

#include <string.h>

void zab__data_init(struct zab_server *s)
{
    s->tree = zab_tree_new();
    s->session_conns = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    s->fired = g_array_new(FALSE, FALSE, sizeof(struct zab_fired));
}

void zab__data_free(struct zab_server *s)
{
    zab_tree_free(s->tree);
    g_hash_table_destroy(s->session_conns);
    g_array_free(s->fired, TRUE);
}

static int64_t last_applied_zxid(const struct zab_server *s)
{
    return s->delivered ? zab__txn_at(s, s->delivered - 1)->zxid : 0;
}

static conn_id conn_of_session(const struct zab_server *s, int64_t session)
{
    conn_id *c = session ? g_hash_table_lookup(s->session_conns, &session) : NULL;
    return c ? *c : CONN_NONE;
}

static void map_session(struct zab_server *s, int64_t session, conn_id conn)
{
    int64_t *key = g_new(int64_t, 1);
    conn_id *value = g_new(conn_id, 1);
    *key = session;
    *value = conn;
    g_hash_table_replace(s->session_conns, key, value);
}

void zab__data_conn_closed(struct zab_server *s, const struct zab_conn *c)
{
    if (c->kind != ZAB_CONN_CLIENT)
        return;
    zab_tree_forget_watcher(s->tree, c->id);
    if (c->session && conn_of_session(s, c->session) == c->id)
        g_hash_table_remove(s->session_conns, &c->session);
}

void zab__data_rebuild(struct zab_server *s)
{
    zab_tree_free(s->tree);
    s->tree = zab_tree_new();
    s->delivered_msgs = 0;
    for (uint64_t i = 0; i < s->delivered; i++) {
        const struct zab_txn *t = zab__txn_at(s, i);
        const struct zab_op *op = zab__txn_op(s, t);
        if (!op)
            s->delivered_msgs++;
        else
            zab_tree_apply(s->tree, t->zxid, op, NULL);
    }
}

static struct zab_msg *client_msg(const struct zab_server *s, enum zab_msg_type type)
{
    return zab__msg_new(type, s->cfg);
}

static void send_event(struct zab_server *s, conn_id conn, enum zab_watch_event event,
                       const char *path, int64_t zxid, struct proto_out *out)
{
    struct zab_msg *m = client_msg(s, ZAB_MSG_WATCH_EVENT);
    struct zab_msg_extra *d = zab__msg_extra(m);
    d->event = (uint8_t)event;
    m->zxid = zxid;
    g_strlcpy(d->op.path, path, sizeof d->op.path);
    zab__send(s, conn, m, out);
}

void zab__data_apply(struct zab_server *s, const struct zab_txn *t, struct proto_out *out)
{
    const struct zab_op *op = zab__txn_op(s, t);
    ZS_ASSERT(op);
    g_array_set_size(s->fired, 0);
    enum zab_err rc = zab_tree_apply(s->tree, t->zxid, op, s->fired);
    if (op->kind == ZAB_OP_CLOSE_SESSION && s->leader)
        zab__sessions_closed(s, op->session);
    for (guint i = 0; i < s->fired->len; i++) {
        const struct zab_fired *f = &g_array_index(s->fired, struct zab_fired, i);
        const struct zab_conn *c = zab__conn_get(s, f->watcher);
        if (c && c->kind == ZAB_CONN_CLIENT)
            send_event(s, c->id, f->event, f->path, t->zxid, out);
    }
    conn_id conn = conn_of_session(s, op->session);
    struct zab_conn *c = conn ? zab__conn_get(s, conn) : NULL;
    if (!c || c->session != op->session)
        return;
    switch (op->kind) {
    case ZAB_OP_CREATE_SESSION: {
        if (c->session_open)
            return;
        c->session_open = true;
        struct zab_msg *m = client_msg(s, ZAB_MSG_SESSION_RESP);
        zab__msg_extra(m)->session = op->session;
        m->value = op->data;
        m->zxid = t->zxid;
        zab__send(s, c->id, m, out);
        return;
    }
    case ZAB_OP_CLOSE_SESSION:
        /* closeSession closes the session's connection wherever it is. */
        zab__conn_drop(s, c->id, true, out);
        return;
    default: {
        if (!c->session_open)
            return;
        struct zab_msg *m = client_msg(s, ZAB_MSG_OP_RESP);
        struct zab_msg_extra *d = zab__msg_extra(m);
        d->xid = op->cxid;
        d->err = (int16_t)rc;
        m->zxid = t->zxid;
        g_strlcpy(d->op.path, op->path, sizeof d->op.path);
        zab__send(s, c->id, m, out);
        return;
    }
    }
}

void zab__data_touch(struct zab_server *s, int64_t session, const struct proto_env *env)
{
    if (session == 0)
        return;
    if (s->leader) {
        zab__sessions_touch(s, session, env);
        return;
    }
    if (!s->learner)
        return;
    /* The touch table, kept sorted: the PING lists it in id order. */
    GArray *touched = s->learner->touched;
    guint lo = 0, hi = touched->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(touched, int64_t, mid) < session)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < touched->len && g_array_index(touched, int64_t, lo) == session)
        return;
    ZS_ASSERT(touched->len < ZAB_TREE_MAX_SESSIONS);
    g_array_insert_val(touched, lo, session);
}

void zab__data_session_revalidated(struct zab_server *s, conn_id client, int64_t session,
                                   bool valid, struct proto_out *out)
{
    struct zab_conn *c = zab__conn_get(s, client);
    if (!c || c->kind != ZAB_CONN_CLIENT || c->session != session || c->session_open ||
        !zab__serving(s))
        return; /* the client left, or this server stopped serving, meanwhile */
    struct zab_msg *m = client_msg(s, ZAB_MSG_SESSION_RESP);
    zab__msg_extra(m)->session = session;
    m->zxid = last_applied_zxid(s);
    if (!valid) {
        /* "Session expired": a timeout of 0, then the connection is closed. */
        m->value = 0;
        zab__send(s, c->id, m, out);
        zab__conn_drop(s, c->id, true, out);
        return;
    }
    c->session_open = true;
    map_session(s, session, c->id);
    m->value = c->timeout_ns;
    zab__send(s, c->id, m, out);
}

static void submit(struct zab_server *s, const struct zab_op *op, const struct proto_env *env,
                   struct proto_out *out)
{
    if (s->state == ZAB_STATE_LEADING)
        zab__leader_propose_op(s, op, env, out);
    else
        zab__learner_forward_op(s, op, out);
}

static void on_session_req(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                           const struct proto_env *env, struct proto_out *out)
{
    /* processConnectRequest: a server behind the client refuses it, as one not serving. */
    if (!zab__serving(s) || m->zxid > last_applied_zxid(s) || c->session) {
        zab__conn_drop(s, c->id, true, out);
        return;
    }
    sim_time tick = s->cfg->tick;
    c->timeout_ns = CLAMP(m->value, 2 * tick, 20 * tick);
    int64_t session = zab__msg_extra_of(m)->session;
    if (session != 0) {
        c->session = session;
        if (s->state == ZAB_STATE_LEADING)
            zab__data_session_revalidated(s, c->id, c->session,
                                          zab__sessions_touch(s, c->session, env), out);
        else
            zab__learner_revalidate_session(s, c->id, c->session, out);
        return;
    }
    ZS_ASSERT(s->sessions_made < 0xffffffu);
    c->session = (int64_t)s->cfg->sid << 56 | (int64_t)(env->incarnation & 0xffffffu) << 32 |
                 ++s->sessions_made;
    map_session(s, c->session, c->id);
    struct zab_op op = { .kind = ZAB_OP_CREATE_SESSION, .session = c->session,
                         .data = c->timeout_ns };
    submit(s, &op, env, out);
}

static void answer_read(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                        struct proto_out *out)
{
    struct zab_msg *r = client_msg(s, ZAB_MSG_OP_RESP);
    const struct zab_msg_extra *q = zab__msg_extra_of(m);
    struct zab_msg_extra *d = zab__msg_extra(r);
    d->xid = q->xid;
    r->zxid = last_applied_zxid(s);
    const char *path = q->op.path;
    g_strlcpy(d->op.path, path, sizeof d->op.path);
    if (q->read == ZAB_READ_GET_CHILDREN) {
        d->children = g_ptr_array_new_with_free_func(g_free);
        d->err = (int16_t)zab_tree_children(s->tree, path, c->id, q->watch, d->children);
    } else {
        d->err = (int16_t)zab_tree_stat(s->tree, path, q->read == ZAB_READ_EXISTS, c->id,
                                        q->watch, &d->stat);
    }
    zab__send(s, c->id, r, out);
}

/* DataTree.setWatches: what changed since the client's last zxid fires now; the rest is
 * registered again. */
static void set_watches(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                        struct proto_out *out)
{
    int64_t since = m->zxid, now = last_applied_zxid(s);
    const GArray *specs = zab__msg_extra_of(m)->touches;
    for (guint i = 0; specs && i < specs->len; i++) {
        const struct zab_watch_spec *w = &g_array_index(specs, struct zab_watch_spec, i);
        struct zab_stat st;
        bool exists = zab_tree_stat(s->tree, w->path, true, 0, false, &st) == ZAB_OK;
        if (w->kind == ZAB_WATCH_CHILD) {
            if (!exists)
                send_event(s, c->id, ZAB_EVENT_NODE_DELETED, w->path, now, out);
            else if (st.pzxid > since)
                send_event(s, c->id, ZAB_EVENT_NODE_CHILDREN_CHANGED, w->path, now, out);
            else {
                GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
                zab_tree_children(s->tree, w->path, c->id, true, names);
                g_ptr_array_free(names, TRUE);
            }
        } else if (w->exists_call) {
            if (exists)
                send_event(s, c->id, ZAB_EVENT_NODE_CREATED, w->path, now, out);
            else
                zab_tree_stat(s->tree, w->path, true, c->id, true, &st);
        } else {
            if (!exists)
                send_event(s, c->id, ZAB_EVENT_NODE_DELETED, w->path, now, out);
            else if (st.mzxid > since)
                send_event(s, c->id, ZAB_EVENT_NODE_DATA_CHANGED, w->path, now, out);
            else
                zab_tree_stat(s->tree, w->path, false, c->id, true, &st);
        }
    }
}

void zab__data_on_client_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                             const struct proto_env *env, struct proto_out *out)
{
    if (m->hdr.type == ZAB_MSG_SESSION_REQ) {
        on_session_req(s, c, m, env, out);
        return;
    }
    if (!c->session_open || !zab__serving(s)) {
        zab__conn_drop(s, c->id, true, out);
        return;
    }
    zab__data_touch(s, c->session, env);
    if (m->hdr.type == ZAB_MSG_SET_WATCHES) {
        set_watches(s, c, m, out);
        return;
    }
    const struct zab_msg_extra *q = zab__msg_extra_of(m);
    if (q->read != ZAB_READ_NONE) {
        answer_read(s, c, m, out);
        return;
    }
    struct zab_op op = q->op;
    op.session = c->session;
    op.cxid = q->xid;
    submit(s, &op, env, out);
}
