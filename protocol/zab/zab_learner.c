/* zab_learner.c: a follower (ZooKeeper's Learner and Follower).
 *
 * Discovery: dial the elected leader (up to 5 tries, 100 ms apart, within initLimit ticks),
 * send FOLLOWERINFO with the acceptedEpoch, answer LEADERINFO with ACKEPOCH after fsyncing
 * the new acceptedEpoch (D2), or refuse a leader whose epoch is older.
 * Synchronization (Learner.syncWithLeader as fixed by ZOOKEEPER-3911/4643/4646/4785/4394;
 * variants switch the first three back on, docs/bugs.md):
 * DIFF keeps the history; TRUNC cuts the log back (durably, at once); SNAP loads the
 * leader's state in memory only. Proposals are queued; commits before NEWLEADER are applied
 * in memory in SNAP/TRUNC mode and remembered in DIFF mode. At NEWLEADER the committed txns
 * are appended and fsynced (D3), currentEpoch is fsynced (D4), and only then is NEWLEADER
 * acked; the channel is not read meanwhile. At UPTODATE the server starts serving: what it
 * synced is committed, queued proposals go through the logging pipeline (acked after
 * fsync) and remembered commits are applied in order.
 * Broadcast: PROPOSAL is logged and acked after fsync; COMMIT applies the head of the
 * pending queue; PING is answered. Silence for syncLimit ticks (initLimit before NEWLEADER)
 * or a broken connection sends the server back to LOOKING. */
#include "protocol/zab/zab_internal.h"

#include <string.h>

#define LEADER_CONNECT_TRIES 5
#define LEADER_CONNECT_DELAY (100 * SIM_MS) /* leaderConnectDelayDuringRetryMs */

/* The learner's stages, and which stage each may follow (zab_internal.h enum
 * learner_stage); a learner starts in ZAB_FS_CONNECTING. */
static void learner_advance(struct zab_learner *f, enum learner_stage to)
{
    static const unsigned from[] = {
        [ZAB_FS_WAIT_LEADERINFO] = 1u << ZAB_FS_CONNECTING,
        [ZAB_FS_WRITING_ACCEPTED] = 1u << ZAB_FS_WAIT_LEADERINFO,
        [ZAB_FS_SYNCING] = 1u << ZAB_FS_WAIT_LEADERINFO | 1u << ZAB_FS_WRITING_ACCEPTED,
        [ZAB_FS_PERSISTING] = 1u << ZAB_FS_SYNCING,
        [ZAB_FS_WAIT_UPTODATE] = 1u << ZAB_FS_PERSISTING,
        [ZAB_FS_BROADCAST] = 1u << ZAB_FS_WAIT_UPTODATE,
    };
    ZS_ASSERT(to < G_N_ELEMENTS(from) && (from[to] >> f->stage) & 1);
    f->stage = to;
}

static sim_time init_timeout(const struct zab_server *s)
{
    return s->cfg->tick * s->cfg->init_limit;
}

static void learner_send(struct zab_server *s, enum zab_msg_type type, int64_t zxid,
                         struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(type, s->cfg);
    m->zxid = zxid;
    zab__send(s, s->learner->conn, m, out);
}

static void arm_read(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    sim_time due = f->last_heard + f->read_timeout;
    proto_timer_set(out, proto_token(ZAB_TOK_LEARNER_READ, s->role, 0), MAX(0, due - env->now_ns));
}

static void dial_leader(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    f->connect_tries++;
    sim_time remaining = f->connect_started + init_timeout(s) - env->now_ns;
    proto_connect(out, zab__machine_of(s, f->leader_sid), ZAB_PORT_QUORUM,
                  proto_token(ZAB_TOK_LEADER_DIAL, s->role, (uint32_t)f->connect_tries));
    /* sockConnect timeout: min(connectTimeout, remaining) */
    proto_timer_set(out, proto_token(ZAB_TOK_LEARNER_CONNECT, s->role, (uint32_t)f->connect_tries),
                    MAX(0, remaining));
}

void zab__follow(struct zab_server *s, uint32_t leader_sid, const struct proto_env *env,
                struct proto_out *out)
{
    s->role++;
    struct zab_learner *f = g_new0(struct zab_learner, 1);
    s->learner = f;
    f->stage = ZAB_FS_CONNECTING;
    f->leader_sid = leader_sid;
    f->connect_started = env->now_ns;
    f->packets_not_logged = g_array_new(FALSE, FALSE, sizeof(struct zab_txn));
    f->packets_committed = g_array_new(FALSE, FALSE, sizeof(int64_t));
    f->pending_txns = g_array_new(FALSE, FALSE, sizeof(int64_t));
    f->backlog = g_array_new(FALSE, FALSE, sizeof(struct zab_msg *));
    f->touched = g_array_new(FALSE, FALSE, sizeof(int64_t));
    zab__set_state(s, ZAB_STATE_FOLLOWING, ZAB_PHASE_DISCOVERY, s->current_epoch, out);
    dial_leader(s, env, out);
}

void zab__learner_free(struct zab_server *s)
{
    struct zab_learner *f = s->learner;
    if (f->snap_base)
        g_array_free(f->snap_base, TRUE);
    for (guint i = 0; i < f->backlog->len; i++)
        sim_msg_free(&g_array_index(f->backlog, struct zab_msg *, i)->hdr);
    g_array_free(f->backlog, TRUE);
    g_array_free(f->packets_not_logged, TRUE);
    g_array_free(f->packets_committed, TRUE);
    g_array_free(f->pending_txns, TRUE);
    g_array_free(f->touched, TRUE);
    g_free(f);
    s->learner = NULL;
}

/* ---- connecting --------------------------------------------------------------------------- */

void zab__learner_on_conn_up(struct zab_server *s, const struct proto_input *in,
                            const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    bool current = f && proto_token_of(in->token, s->role) && f->stage == ZAB_FS_CONNECTING &&
                   proto_token_index(in->token) == (uint32_t)f->connect_tries;
    if (!current) {
        proto_close(out, in->conn); /* a dial from a role that has ended */
        return;
    }
    proto_timer_cancel(out,
                       proto_token(ZAB_TOK_LEARNER_CONNECT, s->role, (uint32_t)f->connect_tries));
    f->conn = in->conn;
    zab__conn_add(s, in->conn, ZAB_CONN_TO_LEADER)->peer_sid = f->leader_sid;
    learner_advance(f, ZAB_FS_WAIT_LEADERINFO);
    f->last_heard = env->now_ns;
    f->read_timeout = init_timeout(s);
    learner_send(s, ZAB_MSG_FOLLOWERINFO, zxid_make(s->accepted_epoch, 0), out);
    arm_read(s, env, out);
}

static void retry_or_give_up(struct zab_server *s, const struct proto_env *env,
                             struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    sim_time remaining = f->connect_started + init_timeout(s) - env->now_ns;
    if (f->connect_tries >= LEADER_CONNECT_TRIES || remaining <= LEADER_CONNECT_DELAY) {
        zab__become_looking(s, env, out); /* "connectToLeader exceeded on retries" */
        return;
    }
    /* Sleep leaderConnectDelayDuringRetryMs, then dial again (index 0 marks the sleep). */
    proto_timer_set(out, proto_token(ZAB_TOK_LEARNER_CONNECT, s->role, 0), LEADER_CONNECT_DELAY);
}

void zab__learner_on_dial_failed(struct zab_server *s, uint64_t token, const struct proto_env *env,
                                struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (f->stage != ZAB_FS_CONNECTING || proto_token_index(token) != (uint32_t)f->connect_tries)
        return; /* an earlier attempt we already gave up on */
    proto_timer_cancel(out,
                       proto_token(ZAB_TOK_LEARNER_CONNECT, s->role, (uint32_t)f->connect_tries));
    retry_or_give_up(s, env, out);
}

/* ---- discovery ---------------------------------------------------------------------------- */

static void send_ackepoch(struct zab_server *s, int64_t payload, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    struct zab_msg *m = zab__msg_new(ZAB_MSG_ACKEPOCH, s->cfg);
    m->zxid = zab__last_zxid(s); /* getLastLoggedZxid */
    m->value = payload;
    zab__send(s, f->conn, m, out);
    learner_advance(f, ZAB_FS_SYNCING);
    zab__set_state(s, ZAB_STATE_FOLLOWING, ZAB_PHASE_SYNCHRONIZATION, f->new_epoch, out);
}

static void on_leaderinfo(struct zab_server *s, const struct zab_msg *m,
                          const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    f->new_epoch = zxid_epoch(m->zxid);
    if (f->new_epoch > s->accepted_epoch) {
        learner_advance(f, ZAB_FS_WRITING_ACCEPTED);
        f->ackepoch_payload = s->current_epoch;
        zab__write_accepted_epoch(s, f->new_epoch, out); /* D2 */
    } else if (f->new_epoch == s->accepted_epoch) {
        /* Already acked this epoch: -1 says "not an epoch ack, but here is my zxid". */
        send_ackepoch(s, -1, out);
    } else {
        zab__become_looking(s, env, out); /* "Leaders epoch is less than accepted epoch" */
    }
}

/* ---- synchronization ---------------------------------------------------------------------- */

static uint64_t count_upto(const struct zab_server *s, int64_t zxid)
{
    uint64_t n = 0;
    while (n < s->txns->len && zab__txn_at(s, n)->zxid <= zxid)
        n++;
    return n;
}

/* SNAP: the leader's state replaces ours. Entries that differ are truncations. */
static void adopt_snapshot(struct zab_server *s, GArray *base, struct proto_out *out)
{
    uint64_t common = 0;
    while (common < s->txns->len && common < base->len &&
           zab__txn_at(s, common)->zxid == g_array_index(base, struct zab_txn, common).zxid)
        common++;
    zab__truncate_history(s, common, out);
    g_array_append_vals(s->txns, &g_array_index(base, struct zab_txn, common),
                        base->len - (guint)common);
}

/* COMMIT during sync before NEWLEADER: applied at once in SNAP/TRUNC mode, else remembered. */
static void sync_commit(struct zab_server *s, int64_t zxid)
{
    struct zab_learner *f = s->learner;
    if (f->mode == ZAB_SYNC_DIFF || f->packets_not_logged->len == 0 ||
        g_array_index(f->packets_not_logged, struct zab_txn, 0).zxid != zxid) {
        if (f->mode == ZAB_SYNC_DIFF)
            g_array_append_val(f->packets_committed, zxid);
        return; /* "Committing zxid but next pending txn is ..." */
    }
    struct zab_txn t = g_array_index(f->packets_not_logged, struct zab_txn, 0);
    g_array_remove_index(f->packets_not_logged, 0);
    if (f->mode == ZAB_SYNC_SNAP)
        g_array_append_val(f->snap_base, t);
    else
        g_array_append_val(s->txns, t); /* in memory; logged with the NEWLEADER snapshot */
}

static void ack_newleader(struct zab_server *s, const struct proto_env *env,
                          struct proto_out *out);

static void on_newleader(struct zab_server *s, const struct proto_env *env,
                         struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (f->mode == ZAB_SYNC_SNAP) {
        adopt_snapshot(s, f->snap_base, out);
        g_array_free(f->snap_base, TRUE);
        f->snap_base = NULL;
    }
    /* The committed txns, in order, then fsync, then currentEpoch, then the ACK. */
    for (guint i = 0; i < f->packets_committed->len; i++) {
        int64_t zxid = g_array_index(f->packets_committed, int64_t, i);
        if (f->packets_not_logged->len == 0 ||
            g_array_index(f->packets_not_logged, struct zab_txn, 0).zxid != zxid)
            continue;
        g_array_append_val(s->txns, g_array_index(f->packets_not_logged, struct zab_txn, 0));
        g_array_remove_index(f->packets_not_logged, 0);
    }
    g_array_set_size(f->packets_committed, 0);
    /* The variants live in the DIFF/TRUNC path: a SNAP sync is persisted as a snapshot,
     * synchronously, before anything else (Learner.syncWithLeader). */
    enum zab_variant variant = f->mode == ZAB_SYNC_SNAP ? ZAB_VARIANT_NONE : s->cfg->variant;
    if (variant == ZAB_VARIANT_ZK_3911) {
        /* ZOOKEEPER-3911: the synced txns stay in memory; only currentEpoch is made durable
         * before the ACK, and the txns reach the log after UPTODATE. */
        learner_advance(f, ZAB_FS_PERSISTING);
        zab__write_current_epoch(s, f->new_epoch, out);
        return;
    }
    zab__log_append_now(s, out);
    learner_advance(f, ZAB_FS_PERSISTING);
    switch (variant) {
    case ZAB_VARIANT_ZK_4643:
        /* ZOOKEEPER-4643: currentEpoch is made durable first and the txns after it, so a
         * crash in between restarts with the new epoch and the shorter log. */
        f->epoch_before_log = true;
        zab__write_current_epoch(s, f->new_epoch, out);
        return;
    case ZAB_VARIANT_ZK_4646:
        /* ZOOKEEPER-4646 (3.8.0's Learner): the txns go to the log thread's queue,
         * currentEpoch is written and fsynced, and NEWLEADER is acked then, while the log
         * thread's fsync is still to come. */
        f->epoch_before_log = true;
        zab__write_current_epoch(s, f->new_epoch, out);
        return;
    default:
        break;
    }
    proto_disk_sync(out, ZAB_FILE_LOG, proto_token(ZAB_TOK_DISK_SYNCLOG, s->role, 0)); /* D3 */
}

static void on_sync_packet(struct zab_server *s, const struct zab_msg *m,
                           const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    switch (m->hdr.type) {
    case ZAB_MSG_DIFF:
        f->mode = ZAB_SYNC_DIFF;
        break;
    case ZAB_MSG_TRUNC:
        f->mode = ZAB_SYNC_TRUNC;
        zab__truncate_history(s, count_upto(s, m->zxid), out);
        break;
    case ZAB_MSG_SNAP:
        f->mode = ZAB_SYNC_SNAP;
        if (f->snap_base)
            g_array_free(f->snap_base, TRUE);
        f->snap_base = g_array_new(FALSE, FALSE, sizeof(struct zab_txn));
        const GArray *snapshot = zab__msg_extra_of(m)->snapshot;
        if (snapshot)
            g_array_append_vals(f->snap_base, snapshot->data, snapshot->len);
        break;
    case ZAB_MSG_PROPOSAL:
        ZS_ASSERT(f->packets_not_logged->len < zab__learner_queue_max(s));
        g_array_append_val(f->packets_not_logged, m->txn);
        break;
    case ZAB_MSG_COMMIT:
        sync_commit(s, m->zxid);
        break;
    case ZAB_MSG_NEWLEADER:
        on_newleader(s, env, out);
        break;
    default:
        break;
    }
}

/* ---- broadcast ---------------------------------------------------------------------------- */

/* Applies the commit of the head of the pending queue (FollowerZooKeeperServer.commit). */
static void commit_pending(struct zab_server *s, int64_t zxid)
{
    struct zab_learner *f = s->learner;
    if (f->pending_txns->len == 0)
        return; /* "Committing zxid but no pending txns" */
    int64_t head = g_array_index(f->pending_txns, int64_t, 0);
    /* ZooKeeper exits the process on a mismatch (UNMATCHED_TXN_COMMIT); with FIFO channels
     * and in-order commits it cannot happen, so the model treats it as its own bug. */
    ZS_ASSERT(head == zxid);
    g_array_remove_index(f->pending_txns, 0);
    ZS_ASSERT(s->committed < s->txns->len && zab__txn_at(s, s->committed)->zxid == zxid);
    s->committed++;
}

static void on_uptodate(struct zab_server *s, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    learner_advance(f, ZAB_FS_BROADCAST);
    learner_send(s, ZAB_MSG_ACK, zxid_make(f->new_epoch, 0), out);
    f->last_ack_zxid = zxid_make(f->new_epoch, 0);
    s->current_vote.peer_epoch = f->new_epoch; /* updateElectionVote */
    zab__set_state(s, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, f->new_epoch, out);
    s->committed = MAX(s->committed, f->newleader_len);
    for (guint i = 0; i < f->packets_not_logged->len; i++) {
        struct zab_txn t = g_array_index(f->packets_not_logged, struct zab_txn, i);
        g_array_append_val(f->pending_txns, t.zxid);
        zab__log_enqueue(s, &t, out);
    }
    g_array_set_size(f->packets_not_logged, 0);
    for (guint i = 0; i < f->packets_committed->len; i++)
        commit_pending(s, g_array_index(f->packets_committed, int64_t, i));
    g_array_set_size(f->packets_committed, 0);
    zab__deliver_committed(s, out);
}

static void on_broadcast_packet(struct zab_server *s, const struct zab_msg *m,
                                struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    switch (m->hdr.type) {
    case ZAB_MSG_PROPOSAL:
        ZS_ASSERT(f->pending_txns->len < zab__learner_queue_max(s));
        g_array_append_val(f->pending_txns, m->txn.zxid);
        zab__log_enqueue(s, &m->txn, out);
        break;
    case ZAB_MSG_COMMIT:
        commit_pending(s, m->zxid);
        zab__deliver_committed(s, out);
        break;
    case ZAB_MSG_PING: {
        /* The reply carries the touch table, which starts afresh (LearnerSessionTracker). */
        struct zab_msg *reply = zab__msg_new(ZAB_MSG_PING, s->cfg);
        reply->zxid = m->zxid;
        if (f->touched->len > 0) {
            zab__msg_extra(reply)->touches = f->touched;
            reply->hdr.size_bytes += 12 * f->touched->len;
            f->touched = g_array_new(FALSE, FALSE, sizeof(int64_t));
        }
        zab__send(s, f->conn, reply, out);
        break;
    }
    case ZAB_MSG_REVALIDATE:
        if (zab__msg_extra_of(m)->session != 0)
            zab__data_session_revalidated(s, (conn_id)m->value, m->extra->session,
                                          m->extra->valid, out);
        else
            zab__session_validated(s, (conn_id)m->value, out);
        break;
    default:
        break;
    }
}

static void handle_packet(struct zab_server *s, const struct zab_msg *m,
                          const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    switch (f->stage) {
    case ZAB_FS_WAIT_LEADERINFO:
        if (m->hdr.type == ZAB_MSG_LEADERINFO)
            on_leaderinfo(s, m, env, out);
        else
            zab__become_looking(s, env, out);
        return;
    case ZAB_FS_SYNCING:
        on_sync_packet(s, m, env, out);
        return;
    case ZAB_FS_WAIT_UPTODATE:
        ZS_ASSERT(f->packets_not_logged->len + f->packets_committed->len <
                  zab__learner_queue_max(s));
        if (m->hdr.type == ZAB_MSG_PROPOSAL)
            g_array_append_val(f->packets_not_logged, m->txn);
        else if (m->hdr.type == ZAB_MSG_COMMIT)
            g_array_append_val(f->packets_committed, m->zxid);
        else if (m->hdr.type == ZAB_MSG_UPTODATE)
            on_uptodate(s, out);
        return;
    case ZAB_FS_BROADCAST:
        on_broadcast_packet(s, m, out);
        return;
    default:
        return;
    }
}

void zab__learner_on_msg(struct zab_server *s, const struct zab_msg *m, const struct proto_env *env,
                        struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f)
        return;
    f->last_heard = env->now_ns;
    if (f->stage == ZAB_FS_WRITING_ACCEPTED || f->stage == ZAB_FS_PERSISTING) {
        /* The quorum channel is not read while the server persists: keep it for later. */
        struct zab_msg *copy = zab__msg_copy(m);
        ZS_ASSERT(f->backlog->len < zab__learner_queue_max(s));
        g_array_append_val(f->backlog, copy);
        return;
    }
    handle_packet(s, m, env, out);
}

static void drain_backlog(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    uint32_t role = s->role;
    GArray *backlog = s->learner->backlog;
    s->learner->backlog = g_array_new(FALSE, FALSE, sizeof(struct zab_msg *));
    for (guint i = 0; i < backlog->len; i++) {
        struct zab_msg *m = g_array_index(backlog, struct zab_msg *, i);
        if (s->role == role && s->learner)
            handle_packet(s, m, env, out);
        sim_msg_free(&m->hdr);
    }
    g_array_free(backlog, TRUE);
}

/* NEWLEADER is acked: the learner waits for UPTODATE, reading the channel again. */
static void ack_newleader(struct zab_server *s, const struct proto_env *env,
                          struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    learner_send(s, ZAB_MSG_ACK, zxid_make(f->new_epoch, 0), out);
    learner_advance(f, ZAB_FS_WAIT_UPTODATE);
    f->newleader_len = s->txns->len;
    f->read_timeout = s->cfg->tick * s->cfg->sync_limit;
    arm_read(s, env, out);
}

void zab__learner_on_disk(struct zab_server *s, uint64_t token, const struct proto_env *env,
                         struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    switch (proto_token_kind(token)) {
    case ZAB_TOK_DISK_ACCEPTED:
        if (f->stage != ZAB_FS_WRITING_ACCEPTED)
            return;
        send_ackepoch(s, f->ackepoch_payload, out);
        drain_backlog(s, env, out);
        return;
    case ZAB_TOK_DISK_SYNCLOG:
        if (f->stage == ZAB_FS_PERSISTING && f->epoch_before_log) {
            ack_newleader(s, env, out); /* zk-4643: the txns last */
            drain_backlog(s, env, out);
        } else if (f->stage == ZAB_FS_PERSISTING) {
            zab__write_current_epoch(s, f->new_epoch, out); /* D4, after the txns (D3) */
        }
        return;
    case ZAB_TOK_DISK_CURRENT:
        if (f->stage != ZAB_FS_PERSISTING)
            return;
        if (f->epoch_before_log) {
            proto_disk_sync(out, ZAB_FILE_LOG, proto_token(ZAB_TOK_DISK_SYNCLOG, s->role, 0));
            if (s->cfg->variant != ZAB_VARIANT_ZK_4646)
                return; /* zk-4643: the ACK waits for the txns */
        }
        ack_newleader(s, env, out);
        drain_backlog(s, env, out);
        return;
    default:
        return;
    }
}

/* ---- failures and timers ------------------------------------------------------------------ */

void zab__learner_on_conn_lost(struct zab_server *s, const struct proto_env *env,
                              struct proto_out *out)
{
    zab__become_looking(s, env, out);
}

void zab__learner_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                          struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    switch (proto_token_kind(token)) {
    case ZAB_TOK_LEARNER_CONNECT:
        if (f->stage != ZAB_FS_CONNECTING)
            return;
        if (proto_token_index(token) == 0)
            dial_leader(s, env, out); /* the retry sleep is over */
        else if (proto_token_index(token) == (uint32_t)f->connect_tries)
            zab__become_looking(s, env, out); /* connect timed out with no answer */
        return;
    case ZAB_TOK_LEARNER_READ:
        if (f->stage == ZAB_FS_CONNECTING)
            return;
        if (env->now_ns - f->last_heard >= f->read_timeout)
            zab__become_looking(s, env, out); /* SocketTimeoutException */
        else
            arm_read(s, env, out);
        return;
    default:
        return;
    }
}

void zab__learner_send_ack(struct zab_server *s, int64_t zxid, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f || f->stage != ZAB_FS_BROADCAST)
        return;
    /* The log is written and fsynced in zxid order, so the ACKs go out in that order, and a
     * FIFO channel delivers them so: the leader may count on it. (With zk-3911 the
     * synchronized transactions reach the log after UPTODATE and are acknowledged behind
     * the new epoch's ACK, as they were in ZooKeeper.) */
    ZS_ASSERT(zxid > f->last_ack_zxid || s->cfg->variant == ZAB_VARIANT_ZK_3911);
    f->last_ack_zxid = zxid;
    learner_send(s, ZAB_MSG_ACK, zxid, out);
}

void zab__learner_forward(struct zab_server *s, msg_id_t msg_id, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f || f->stage != ZAB_FS_BROADCAST)
        return;
    struct zab_msg *m = zab__msg_new(ZAB_MSG_REQUEST, s->cfg);
    m->txn.msg_id = msg_id;
    m->hdr.msg_id = msg_id;
    zab__send(s, f->conn, m, out);
}

void zab__learner_forward_op(struct zab_server *s, const struct zab_op *req,
                             struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f || f->stage != ZAB_FS_BROADCAST)
        return;
    struct zab_msg *m = zab__msg_new(ZAB_MSG_REQUEST, s->cfg);
    zab__msg_extra(m)->op = *req;
    zab__send(s, f->conn, m, out);
}

void zab__learner_revalidate_session(struct zab_server *s, conn_id client, int64_t session,
                                     struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f || f->stage != ZAB_FS_BROADCAST)
        return;
    struct zab_msg *m = zab__msg_new(ZAB_MSG_REVALIDATE, s->cfg);
    m->value = (int64_t)client;
    zab__msg_extra(m)->session = session;
    zab__send(s, f->conn, m, out);
}

void zab__learner_revalidate(struct zab_server *s, conn_id client, struct proto_out *out)
{
    struct zab_learner *f = s->learner;
    if (!f || f->stage != ZAB_FS_BROADCAST)
        return;
    struct zab_msg *m = zab__msg_new(ZAB_MSG_REVALIDATE, s->cfg);
    m->value = (int64_t)client;
    zab__send(s, f->conn, m, out);
}
