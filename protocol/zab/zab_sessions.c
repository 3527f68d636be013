/* zab_sessions.c: the leader's side of ZooKeeper's sessions and requests: the session
 * tracker (SessionTrackerImpl with its ExpiryQueue) and request preparation
 * (PrepRequestProcessor).
 *
 * Only the leader expires sessions. Its tracker keeps, per session, the end of the tick
 * bucket in which it expires: a touch at `now` moves it to ((now + timeout) / tick + 1) *
 * tick, and at each bucket's end the leader proposes a closeSession for every session in
 * it (the txn deletes the session's ephemerals when applied). Touches come from requests
 * and pings of the leader's own clients and from every learner's PING, which lists the
 * sessions its clients were heard on since the last one. A new leader tracks every
 * session of its committed tree afresh, each with a full timeout from its start: no session
 * expires while there is no leader. Requests are prepared against `prepared`, a tree that
 * already holds every proposed txn, so two creates in flight get consecutive sequence
 * numbers and a bad version is caught before the proposal (it becomes an error txn,
 * answered in zxid order like any other). */
#include "protocol/zab/zab_internal.h"

#include <string.h>

static sim_time bucket_end(const struct zab_server *s, sim_time now, int64_t timeout_ns)
{
    sim_time tick = s->cfg->tick;
    return ((now + timeout_ns) / tick + 1) * tick;
}

/* Position of session in the tracker (sorted by id), or where it would go. */
static guint find(const GArray *sessions, int64_t session, bool *found)
{
    guint lo = 0, hi = sessions->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int64_t id = g_array_index(sessions, struct zab_tracked_session, mid).session;
        if (id < session)
            lo = mid + 1;
        else
            hi = mid;
    }
    *found = lo < sessions->len &&
             g_array_index(sessions, struct zab_tracked_session, lo).session == session;
    return lo;
}

static void track(struct zab_server *s, int64_t session, int64_t timeout_ns, sim_time now)
{
    GArray *sessions = s->leader->sessions;
    bool found;
    guint at = find(sessions, session, &found);
    if (found)
        return;
    ZS_ASSERT(sessions->len < ZAB_TREE_MAX_SESSIONS);
    struct zab_tracked_session t = { .session = session, .timeout_ns = timeout_ns,
                                     .expire_at = bucket_end(s, now, timeout_ns) };
    g_array_insert_val(sessions, at, t);
}

/* The expiry timer waits for the earliest bucket end among sessions not closing. */
static void arm_expiry(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    const GArray *sessions = s->leader->sessions;
    sim_time next = -1;
    for (guint i = 0; i < sessions->len; i++) {
        const struct zab_tracked_session *t =
            &g_array_index(sessions, struct zab_tracked_session, i);
        if (!t->closing && (next < 0 || t->expire_at < next))
            next = t->expire_at;
    }
    uint64_t token = proto_token(ZAB_TOK_SESSION_EXPIRY, s->role, 0);
    if (next < 0)
        proto_timer_cancel(out, token);
    else
        proto_timer_set(out, token, MAX(next - env->now_ns, 0));
}

void zab__sessions_start(struct zab_server *s, const struct proto_env *env,
                         struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    ZS_ASSERT(l && !l->sessions && !l->prepared);
    /* Everything in the history is committed and applied at establishment. */
    ZS_ASSERT(s->delivered == s->txns->len);
    l->prepared = zab_tree_copy(s->tree);
    l->sessions = g_array_new(FALSE, FALSE, sizeof(struct zab_tracked_session));
    GArray *open = g_array_new(FALSE, FALSE, sizeof(struct zab_session_entry));
    zab_tree_sessions(s->tree, open);
    for (guint i = 0; i < open->len; i++) {
        const struct zab_session_entry *e = &g_array_index(open, struct zab_session_entry, i);
        track(s, e->session, e->timeout_ns, env->now_ns);
    }
    g_array_free(open, TRUE);
    arm_expiry(s, env, out);
}

void zab__sessions_free(struct zab_leader *l)
{
    if (l->prepared)
        zab_tree_free(l->prepared);
    if (l->sessions)
        g_array_free(l->sessions, TRUE);
    l->prepared = NULL;
    l->sessions = NULL;
}

bool zab__sessions_touch(struct zab_server *s, int64_t session, const struct proto_env *env)
{
    struct zab_leader *l = s->leader;
    if (!l || !l->sessions || session == 0)
        return false;
    bool found;
    guint at = find(l->sessions, session, &found);
    if (!found)
        return false;
    struct zab_tracked_session *t = &g_array_index(l->sessions, struct zab_tracked_session, at);
    if (t->closing)
        return false;
    /* ExpiryQueue.update: only ever later (a touch never brings the expiry forward). */
    t->expire_at = MAX(t->expire_at, bucket_end(s, env->now_ns, t->timeout_ns));
    return true;
}

void zab__sessions_closed(struct zab_server *s, int64_t session)
{
    struct zab_leader *l = s->leader;
    if (!l || !l->sessions)
        return;
    bool found;
    guint at = find(l->sessions, session, &found);
    if (found)
        g_array_remove_index(l->sessions, at);
}

void zab__sessions_on_timer(struct zab_server *s, const struct proto_env *env,
                            struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (!l->sessions)
        return;
    /* Expire in id order: the closeSessions' zxids do not depend on anything else. */
    for (guint i = 0; i < l->sessions->len; i++) {
        struct zab_tracked_session *t = &g_array_index(l->sessions, struct zab_tracked_session, i);
        if (t->closing || t->expire_at > env->now_ns)
            continue;
        struct zab_op close = { .kind = ZAB_OP_CLOSE_SESSION, .session = t->session };
        zab__leader_propose_op(s, &close, env, out);
        /* propose_op may have grown nothing: sessions is not resized by a close. */
        t = &g_array_index(l->sessions, struct zab_tracked_session, i);
        t->closing = true;
    }
    arm_expiry(s, env, out);
}

void zab__leader_propose_op(struct zab_server *s, const struct zab_op *req,
                            const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (!l || l->stage != ZAB_LS_BROADCAST || !l->prepared)
        return;
    struct zab_op op;
    memset(&op, 0, sizeof op);
    bool found = false;
    if (req->kind == ZAB_OP_CREATE_SESSION) {
        op = *req;
    } else if (req->kind == ZAB_OP_CLOSE_SESSION) {
        op = *req;
    } else {
        /* checkSession: a request of a session the tracker no longer holds (expired, or
         * closing) fails with SessionExpired, in zxid order like any error. */
        guint at = find(l->sessions, req->session, &found);
        if (!found || g_array_index(l->sessions, struct zab_tracked_session, at).closing) {
            op = *req;
            op.kind = ZAB_OP_ERROR;
            op.err = ZAB_ERR_SESSIONEXPIRED;
        } else {
            zab_tree_prep(l->prepared, req, &op);
        }
    }
    op.session = req->session;
    op.cxid = req->cxid;
    /* Pooled before the bound is checked: a refused proposal leaves an unused entry. */
    struct zab_txn txn = { .msg_id = msg_id_make(0, zab_op_pool_add(s->cfg->ops, &op)) };
    if (!zab__leader_propose_txn(s, &txn, env, out))
        return; /* at the bound: the client's request times out */
    if (op.kind == ZAB_OP_CREATE_SESSION)
        track(s, op.session, op.data, env->now_ns);
    /* The prepared tree moves on with the proposal; a txn that fails there is the same
     * error at apply, so its result here is not needed. */
    zab_tree_apply(l->prepared, txn.zxid, &op, NULL);
    if (op.kind == ZAB_OP_CREATE_SESSION)
        arm_expiry(s, env, out);
}
