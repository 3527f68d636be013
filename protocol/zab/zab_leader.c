/* zab_leader.c: the leader (ZooKeeper's Leader and one LearnerHandler per learner).
 *
 * Discovery: the new epoch is 1 + the largest acceptedEpoch of a quorum that includes the
 * leader (getEpochToPropose); it is fsynced as acceptedEpoch before any LEADERINFO leaves
 * (D1). A quorum of ACKEPOCH (waitForEpochAck) ends discovery; a learner ahead of the leader
 * is refused. currentEpoch is then fsynced (D5).
 * Synchronization: per learner, zab_sync.c chooses DIFF, TRUNC or SNAP and queues what the
 * learner lacks plus the outstanding proposals; then NEWLEADER. A quorum of NEWLEADER acks
 * establishes the leader (startZkServer): its whole history is committed, it starts
 * serving, and UPTODATE goes to every synced learner.
 * Broadcast: proposals go to every forwarding learner and to the leader's own log; a proposal
 * commits once a quorum (leader included) acked it and its predecessor is committed.
 * Each of the three waits is bounded by initLimit ticks; once broadcasting, the leader wakes
 * every tick/2, pings learners, and steps down when it cannot count a quorum of learners
 * heard from within syncLimit ticks. */
#include "protocol/zab/zab_internal.h"

#include <string.h>

static sim_time init_timeout(const struct zab_server *s)
{
    return s->cfg->tick * s->cfg->init_limit;
}

static sim_time sync_timeout(const struct zab_server *s)
{
    return s->cfg->tick * s->cfg->sync_limit;
}

static struct zab_learner_handler *handler_by_conn(struct zab_leader *l, conn_id conn, guint *index)
{
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->conn == conn) {
            if (index)
                *index = i;
            return h;
        }
    }
    return NULL;
}

static struct zab_learner_handler *handler_by_id(struct zab_leader *l, uint32_t id)
{
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->id == id)
            return h;
    }
    return NULL;
}

static void handler_send(struct zab_server *s, struct zab_learner_handler *h,
                         enum zab_msg_type type, int64_t zxid, struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(type, s->cfg);
    m->zxid = zxid;
    zab__send(s, h->conn, m, out);
}

/* Socket read timeout, re-armed lazily: the timer fires at the earliest possible expiry
 * and re-arms itself if the learner was heard from since. */
static void handler_arm_read(struct zab_server *s, struct zab_learner_handler *h,
                             const struct proto_env *env, struct proto_out *out)
{
    sim_time due = h->last_heard + h->read_timeout;
    proto_timer_set(out, proto_token(ZAB_TOK_HANDLER_READ, s->role, h->id),
                    MAX(0, due - env->now_ns));
}

/* The handler's thread ends: its socket is closed and it no longer counts. */
static void handler_remove(struct zab_server *s, struct zab_learner_handler *h,
                           struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    guint index;
    if (!handler_by_conn(l, h->conn, &index))
        return;
    proto_timer_cancel(out, proto_token(ZAB_TOK_HANDLER_READ, s->role, h->id));
    zab__conn_drop(s, h->conn, true, out);
    g_ptr_array_remove_index(l->handlers, index);
    g_free(h);
}

/* The leader's stages follow one another in order (zab_internal.h enum leader_stage). */
static void leader_advance(struct zab_leader *l, enum leader_stage to)
{
    ZS_ASSERT(to == l->stage + 1);
    l->stage = to;
}

/* A learner handler's phases, and which phase each may follow. */
static void handler_advance(struct zab_learner_handler *h, enum lh_phase to)
{
    static const unsigned from[] = {
        [ZAB_LH_WAIT_EPOCH] = 1u << ZAB_LH_WAIT_INFO,
        [ZAB_LH_WAIT_ACKEPOCH] = 1u << ZAB_LH_WAIT_INFO | 1u << ZAB_LH_WAIT_EPOCH,
        [ZAB_LH_WAIT_ELECTION] = 1u << ZAB_LH_WAIT_ACKEPOCH,
        [ZAB_LH_WAIT_NEWLEADER_ACK] = 1u << ZAB_LH_WAIT_ELECTION,
        [ZAB_LH_WAIT_STARTUP] = 1u << ZAB_LH_WAIT_NEWLEADER_ACK,
        [ZAB_LH_BROADCAST] = 1u << ZAB_LH_WAIT_NEWLEADER_ACK | 1u << ZAB_LH_WAIT_STARTUP,
    };
    ZS_ASSERT(to < G_N_ELEMENTS(from) && (from[to] >> h->phase) & 1);
    h->phase = to;
}

static void leader_arm_wait(struct zab_server *s, struct proto_out *out)
{
    proto_timer_set(out, proto_token(ZAB_TOK_LEADER_WAIT, s->role, 0), init_timeout(s));
}

/* ---- synchronization: zab_sync.c decides and queues; NEWLEADER closes it ---------------- */

static void sync_learner(struct zab_server *s, struct zab_learner_handler *h,
                         const struct proto_env *env, struct proto_out *out)
{
    ZS_ASSERT(h->phase == ZAB_LH_WAIT_ELECTION || h->phase == ZAB_LH_WAIT_ACKEPOCH);
    zab__sync_learner(s, h, env, out);
    handler_send(s, h, ZAB_MSG_NEWLEADER, zxid_make(s->leader->epoch, 0), out);
    handler_advance(h, ZAB_LH_WAIT_NEWLEADER_ACK);
}

/* ---- discovery ------------------------------------------------------------------------ */

static void send_leaderinfo(struct zab_server *s, struct zab_learner_handler *h,
                            struct proto_out *out)
{
    handler_send(s, h, ZAB_MSG_LEADERINFO, zxid_make(s->leader->epoch, 0), out);
    handler_advance(h, ZAB_LH_WAIT_ACKEPOCH);
}

/* getEpochToPropose: a learner (or the leader itself) reports its acceptedEpoch. */
static void epoch_to_propose(struct zab_server *s, uint32_t sid, int64_t last_accepted,
                             struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (l->stage != ZAB_LS_EPOCH)
        return;
    if (last_accepted >= l->epoch)
        l->epoch = last_accepted + 1;
    l->connecting |= zab__bit(sid);
    if ((l->connecting & zab__bit(s->cfg->sid)) && zab__is_quorum(s, l->connecting)) {
        leader_advance(l, ZAB_LS_WRITING_ACCEPTED);
        zab__write_accepted_epoch(s, l->epoch, out); /* D1: before any LEADERINFO */
    }
}

static bool more_recent(int64_t epoch_a, int64_t zxid_a, int64_t epoch_b, int64_t zxid_b)
{
    return epoch_a > epoch_b || (epoch_a == epoch_b && zxid_a > zxid_b);
}

static void begin_writing_current(struct zab_server *s, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    leader_advance(l, ZAB_LS_WRITING_CURRENT);
    zab__write_current_epoch(s, l->epoch, out); /* D5 */
}

/* waitForEpochAck. Returns false when the learner must be refused. */
static bool epoch_ack(struct zab_server *s, uint32_t sid, int64_t peer_epoch, int64_t peer_zxid,
                      struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (l->stage != ZAB_LS_EPOCH_ACK)
        return true; /* electionFinished */
    if (peer_epoch != -1) {
        if (more_recent(peer_epoch, peer_zxid, l->leader_current_epoch, l->leader_last_zxid))
            return false; /* "Follower is ahead of the leader" */
        if (peer_zxid != -1)
            l->electing |= zab__bit(sid);
    }
    if ((l->electing & zab__bit(s->cfg->sid)) && zab__is_quorum(s, l->electing))
        begin_writing_current(s, out);
    return true;
}

static void release_epoch_waiters(struct zab_server *s, const struct proto_env *env,
                                  struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->phase == ZAB_LH_WAIT_EPOCH)
            send_leaderinfo(s, h, out);
    }
}

static void release_election_waiters(struct zab_server *s, const struct proto_env *env,
                                     struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->phase == ZAB_LH_WAIT_ELECTION)
            sync_learner(s, h, env, out);
    }
}

/* ---- establishment -------------------------------------------------------------------- */

static void establish(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    leader_advance(l, ZAB_LS_BROADCAST);
    ZS_ASSERT(zab__is_quorum(s, l->newleader_acks)); /* only a quorum of NEWLEADER acks */
    proto_timer_cancel(out, proto_token(ZAB_TOK_LEADER_WAIT, s->role, 0));
    /* startZkServer: everything in the leader's history is committed now. */
    l->last_committed = zxid_make(l->epoch, 0);
    l->last_proposed = l->last_committed;
    l->last_processed = l->last_committed;
    l->applied = s->txns->len;
    s->committed = s->txns->len;
    s->current_vote.peer_epoch = l->epoch; /* updateElectionVote */
    zab__set_state(s, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, l->epoch, out);
    zab__deliver_committed(s, out);
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->phase == ZAB_LH_WAIT_STARTUP) {
            handler_send(s, h, ZAB_MSG_UPTODATE, -1, out);
            handler_advance(h, ZAB_LH_BROADCAST);
        }
    }
    l->tick_skip = true;
    proto_timer_set(out, proto_token(ZAB_TOK_LEADER_TICK, s->role, 0), s->cfg->tick / 2);
    zab__sessions_start(s, env, out);
}

/* waitForNewLeaderAck */
static void newleader_ack(struct zab_server *s, uint32_t sid, int64_t zxid,
                          const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (l->stage == ZAB_LS_BROADCAST || zxid != zxid_make(l->epoch, 0))
        return;
    if (!(l->newleader_acks & zab__bit(sid))) {
        struct trace_rec r = { .kind = TRACE_EVENT };
        r.u.event.type = ZAB_EVENT_NEWLEADER_ACK;
        r.u.event.a = l->epoch;
        r.u.event.b = sid;
        proto_trace(out, &r);
    }
    l->newleader_acks |= zab__bit(sid);
    if (l->stage == ZAB_LS_NEWLEADER_ACK && (l->newleader_acks & zab__bit(s->cfg->sid)) &&
        zab__is_quorum(s, l->newleader_acks))
        establish(s, env, out);
}

/* The database is loaded: the LearnerCnxAcceptor starts, and the leader counts itself in
 * getEpochToPropose; the initLimit bound of that wait starts now. */
static void start_accepting(struct zab_server *s, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    leader_advance(l, ZAB_LS_EPOCH);
    proto_listen(out, ZAB_PORT_QUORUM, true);
    leader_arm_wait(s, out);
    epoch_to_propose(s, s->cfg->sid, s->accepted_epoch, out);
}

void zab__lead(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    s->role++;
    struct zab_leader *l = g_new0(struct zab_leader, 1);
    s->leader = l;
    l->stage = ZAB_LS_LOADING;
    l->epoch = -1;
    l->handlers = g_ptr_array_new();
    l->outstanding = g_array_new(FALSE, FALSE, sizeof(struct zab_proposal));
    /* zk.loadData(): the whole log is in the data tree. */
    l->applied = s->txns->len;
    l->last_processed = zab__last_zxid(s);
    l->leader_current_epoch = s->current_epoch;
    l->leader_last_zxid = l->last_processed;
    zab__set_state(s, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, s->current_epoch, out);
    /* Leader.lead() loads the database and snapshots it before the LearnerCnxAcceptor
     * starts: until then the quorum port stays closed, and a follower that dials is refused
     * and retries after leaderConnectDelayDuringRetryMs (zab_learner.c). */
    sim_time load_ns = s->cfg->leader_load ? dist_sample(s->cfg->leader_load, env->rng) : 0;
    if (load_ns > 0)
        proto_timer_set(out, proto_token(ZAB_TOK_LEADER_LOADED, s->role, 0), load_ns);
    else
        start_accepting(s, out);
}

void zab__leader_free(struct zab_server *s)
{
    struct zab_leader *l = s->leader;
    for (guint i = 0; i < l->handlers->len; i++)
        g_free(g_ptr_array_index(l->handlers, i));
    g_ptr_array_free(l->handlers, TRUE);
    g_array_free(l->outstanding, TRUE);
    zab__sessions_free(l);
    g_free(l);
    s->leader = NULL;
}

void zab__leader_on_disk(struct zab_server *s, uint64_t token, const struct proto_env *env,
                        struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    switch (proto_token_kind(token)) {
    case ZAB_TOK_DISK_ACCEPTED:
        if (l->stage != ZAB_LS_WRITING_ACCEPTED)
            return;
        leader_advance(l, ZAB_LS_EPOCH_ACK);
        release_epoch_waiters(s, env, out);
        leader_arm_wait(s, out);
        /* The leader's own waitForEpochAck with its StateSummary. */
        epoch_ack(s, s->cfg->sid, l->leader_current_epoch, l->leader_last_zxid, out);
        if (l->stage >= ZAB_LS_WRITING_CURRENT)
            release_election_waiters(s, env, out);
        return;
    case ZAB_TOK_DISK_CURRENT:
        if (l->stage != ZAB_LS_WRITING_CURRENT)
            return;
        leader_advance(l, ZAB_LS_NEWLEADER_ACK);
        zab__set_state(s, ZAB_STATE_LEADING, ZAB_PHASE_SYNCHRONIZATION, l->epoch, out);
        leader_arm_wait(s, out);
        newleader_ack(s, s->cfg->sid, zxid_make(l->epoch, 0), env, out);
        return;
    default:
        return;
    }
}

/* ---- broadcast ------------------------------------------------------------------------ */

void zab__leader_propose(struct zab_server *s, msg_id_t msg_id, const struct proto_env *env,
                        struct proto_out *out)
{
    struct zab_txn txn = { .msg_id = msg_id };
    zab__leader_propose_txn(s, &txn, env, out);
}

bool zab__leader_propose_txn(struct zab_server *s, struct zab_txn *txn,
                             const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (!l || l->stage != ZAB_LS_BROADCAST)
        return false;
    if (l->outstanding->len >= zab__outstanding_max(s))
        return false; /* at the bound: not proposed; its client times out (zab_internal.h) */
    ZS_ASSERT(zxid_epoch(l->last_proposed + 1) == l->epoch); /* the counter never wraps */
    txn->zxid = l->last_proposed + 1;
    msg_id_t msg_id = txn->msg_id;
    struct zab_proposal p = { .txn = *txn, .proposed_ns = env->now_ns };
    l->last_proposed = p.txn.zxid;
    g_array_append_val(l->outstanding, p);
    struct trace_rec r = { .kind = TRACE_EVENT };
    r.u.event.type = ZAB_EVENT_PROPOSAL;
    r.u.event.a = l->epoch;
    r.u.event.b = p.txn.zxid;
    r.u.event.msg_id = zab_txn_record_id(txn);
    proto_trace(out, &r);
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (!h->forwarding)
            continue;
        struct zab_msg *m = zab__msg_new(ZAB_MSG_PROPOSAL, s->cfg);
        m->zxid = p.txn.zxid;
        m->txn = p.txn;
        m->hdr.msg_id = zab_txn_is_data(txn) ? MSG_ID_NONE : msg_id;
        zab__send(s, h->conn, m, out);
        if (h->oldest_unacked_ns == 0) {
            h->oldest_unacked_ns = env->now_ns;
            h->oldest_unacked_zxid = p.txn.zxid;
        }
    }
    zab__log_enqueue(s, &p.txn, out);
    return true;
}

static void commit_head(struct zab_server *s, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    ZS_ASSERT(l->stage == ZAB_LS_BROADCAST && l->outstanding->len > 0);
    struct zab_proposal p = g_array_index(l->outstanding, struct zab_proposal, 0);
    g_array_remove_index(l->outstanding, 0);
    ZS_ASSERT(zab__txn_at(s, l->applied)->zxid == p.txn.zxid);
    ZS_ASSERT(p.txn.zxid == l->last_committed + 1); /* commits in zxid order, none skipped */
    ZS_ASSERT(zab__is_quorum(s, p.acks));
    l->last_committed = p.txn.zxid;
    l->last_processed = p.txn.zxid;
    l->applied++;
    s->committed = l->applied;
    struct trace_rec r = { .kind = TRACE_EVENT };
    r.u.event.type = ZAB_EVENT_COMMIT;
    r.u.event.b = p.txn.zxid;
    proto_trace(out, &r);
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->forwarding)
            handler_send(s, h, ZAB_MSG_COMMIT, p.txn.zxid, out);
    }
    zab__deliver_committed(s, out);
}

/* processAck + tryToCommit */
static void process_ack(struct zab_server *s, uint32_t sid, int64_t zxid, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (zxid_counter(zxid) == 0 || l->outstanding->len == 0 || zxid <= l->last_committed)
        return;
    struct zab_proposal *head = &g_array_index(l->outstanding, struct zab_proposal, 0);
    int64_t index = zxid - head->txn.zxid;
    if (index < 0 || index >= (int64_t)l->outstanding->len)
        return; /* "Trying to commit future proposal" / unknown zxid */
    struct zab_proposal *p = &g_array_index(l->outstanding, struct zab_proposal, index);
    p->acks |= zab__bit(sid);
    if (index != 0)
        return; /* its predecessor is still outstanding: commits are in order */
    if (zab__is_quorum(s, p->acks))
        commit_head(s, out);
}

void zab__leader_self_ack(struct zab_server *s, int64_t zxid, const struct proto_env *env,
                         struct proto_out *out)
{
    if (s->leader && s->leader->stage == ZAB_LS_BROADCAST)
        process_ack(s, s->cfg->sid, zxid, out);
}

/* ---- learner handlers ----------------------------------------------------------------- */

void zab__leader_on_accept(struct zab_server *s, conn_id conn, const struct proto_env *env,
                          struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    struct zab_learner_handler *h = g_new0(struct zab_learner_handler, 1);
    h->id = ++l->next_handler_id;
    h->conn = conn;
    h->phase = ZAB_LH_WAIT_INFO;
    h->last_heard = env->now_ns;
    h->read_timeout = init_timeout(s); /* LearnerCnxAcceptor: soTimeout initLimit */
    h->tick_of_next_ack_deadline = l->tick + s->cfg->init_limit + s->cfg->sync_limit;
    g_ptr_array_add(l->handlers, h);
    zab__conn_add(s, conn, ZAB_CONN_LEARNER);
    handler_arm_read(s, h, env, out);
}

static void on_followerinfo(struct zab_server *s, struct zab_learner_handler *h,
                            const struct zab_msg *m, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    h->sid = m->sid;
    h->last_accepted_epoch = zxid_epoch(m->zxid);
    zab__conn_get(s, h->conn)->peer_sid = h->sid;
    epoch_to_propose(s, h->sid, h->last_accepted_epoch, out);
    if (l->stage >= ZAB_LS_EPOCH_ACK)
        send_leaderinfo(s, h, out);
    else
        handler_advance(h, ZAB_LH_WAIT_EPOCH);
}

static void on_ackepoch(struct zab_server *s, struct zab_learner_handler *h,
                        const struct zab_msg *m, const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    h->peer_current_epoch = m->value;
    h->peer_last_zxid = m->zxid;
    handler_advance(h, ZAB_LH_WAIT_ELECTION);
    if (!epoch_ack(s, h->sid, m->value, m->zxid, out)) {
        handler_remove(s, h, out);
        return;
    }
    if (l->stage >= ZAB_LS_WRITING_CURRENT)
        release_election_waiters(s, env, out);
}

static void on_newleader_ack(struct zab_server *s, struct zab_learner_handler *h,
                             const struct zab_msg *m, const struct proto_env *env,
                             struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (m->hdr.type != ZAB_MSG_ACK) {
        handler_remove(s, h, out); /* "Next packet was supposed to be an ACK" */
        return;
    }
    h->read_timeout = sync_timeout(s);
    newleader_ack(s, h->sid, m->zxid, env, out);
    if (l->stage != ZAB_LS_BROADCAST) {
        handler_advance(h, ZAB_LH_WAIT_STARTUP); /* waitForStartup */
        return;
    }
    handler_send(s, h, ZAB_MSG_UPTODATE, -1, out);
    handler_advance(h, ZAB_LH_BROADCAST);
}

static void on_broadcast_packet(struct zab_server *s, struct zab_learner_handler *h,
                                const struct zab_msg *m, const struct proto_env *env,
                                struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    h->tick_of_next_ack_deadline = l->tick + s->cfg->sync_limit;
    switch (m->hdr.type) {
    case ZAB_MSG_ACK:
        if (h->oldest_unacked_ns != 0 && m->zxid >= h->oldest_unacked_zxid) {
            /* SyncLimitCheck: the oldest outstanding proposal for this learner moves on. */
            h->oldest_unacked_ns = 0;
            for (guint i = 0; i < l->outstanding->len; i++) {
                struct zab_proposal *p = &g_array_index(l->outstanding, struct zab_proposal, i);
                if (p->txn.zxid > m->zxid) {
                    h->oldest_unacked_ns = env->now_ns;
                    h->oldest_unacked_zxid = p->txn.zxid;
                    break;
                }
            }
        }
        process_ack(s, h->sid, m->zxid, out);
        break;
    case ZAB_MSG_REQUEST:
        if (zab__msg_extra_of(m)->op.kind == ZAB_OP_MESSAGE) /* a workload write */
            zab__leader_propose(s, m->txn.msg_id, env, out);
        else
            zab__leader_propose_op(s, &m->extra->op, env, out);
        break;
    case ZAB_MSG_REVALIDATE: {
        /* A workload client's session (0) is not modelled and always valid; a data-model
         * session is valid while the tracker holds it, and the check touches it. */
        struct zab_msg *reply = zab__msg_new(ZAB_MSG_REVALIDATE, s->cfg);
        reply->value = m->value;
        int64_t session = zab__msg_extra_of(m)->session;
        if (session != 0) {
            struct zab_msg_extra *d = zab__msg_extra(reply);
            d->session = session;
            d->valid = zab__sessions_touch(s, session, env);
        }
        zab__send(s, h->conn, reply, out);
        break;
    }
    case ZAB_MSG_PING: {
        /* The learner's touch table: every session its clients were heard on. */
        const GArray *touched = zab__msg_extra_of(m)->touches;
        for (guint i = 0; touched && i < touched->len; i++)
            zab__sessions_touch(s, g_array_index(touched, int64_t, i), env);
        break;
    }
    default:
        break;
    }
}

void zab__leader_on_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                       const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    struct zab_learner_handler *h = l ? handler_by_conn(l, c->id, NULL) : NULL;
    if (!h)
        return;
    h->last_heard = env->now_ns;
    switch (h->phase) {
    case ZAB_LH_WAIT_INFO:
        if (m->hdr.type == ZAB_MSG_FOLLOWERINFO)
            on_followerinfo(s, h, m, out);
        else
            handler_remove(s, h, out);
        return;
    case ZAB_LH_WAIT_ACKEPOCH:
        if (m->hdr.type == ZAB_MSG_ACKEPOCH)
            on_ackepoch(s, h, m, env, out);
        else
            handler_remove(s, h, out);
        return;
    case ZAB_LH_WAIT_NEWLEADER_ACK:
        on_newleader_ack(s, h, m, env, out);
        return;
    case ZAB_LH_BROADCAST:
        on_broadcast_packet(s, h, m, env, out);
        return;
    default:
        return; /* the handler is blocked in a wait: the packet stays unread */
    }
}

void zab__leader_on_conn_lost(struct zab_server *s, struct zab_conn *c,
                             const struct proto_env *env, struct proto_out *out)
{
    struct zab_learner_handler *h = s->leader ? handler_by_conn(s->leader, c->id, NULL) : NULL;
    if (h)
        handler_remove(s, h, out);
    else
        zab__conn_drop(s, c->id, false, out);
}

/* ---- ticks ---------------------------------------------------------------------------- */

static bool handler_synced(const struct zab_leader *l, const struct zab_learner_handler *h)
{
    return h->sid != 0 && l->tick <= h->tick_of_next_ack_deadline;
}

static void ping_learners(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    for (guint i = 0; i < l->handlers->len;) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (h->phase < ZAB_LH_WAIT_NEWLEADER_ACK) {
            i++; /* the sending thread has not started */
            continue;
        }
        if (h->oldest_unacked_ns != 0 && env->now_ns - h->oldest_unacked_ns >= sync_timeout(s)) {
            handler_remove(s, h, out); /* "Closing connection to peer due to transaction timeout" */
            continue;
        }
        handler_send(s, h, ZAB_MSG_PING, l->last_proposed, out);
        i++;
    }
}

static void on_tick(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    if (!l->tick_skip)
        l->tick++;
    uint64_t synced = zab__bit(s->cfg->sid);
    for (guint i = 0; i < l->handlers->len; i++) {
        struct zab_learner_handler *h = g_ptr_array_index(l->handlers, i);
        if (handler_synced(l, h))
            synced |= zab__bit(h->sid);
    }
    if (!l->tick_skip && !zab__is_quorum(s, synced)) {
        /* "Not sufficient followers synced": the leader steps down. */
        zab__become_looking(s, env, out);
        return;
    }
    l->tick_skip = !l->tick_skip;
    ping_learners(s, env, out);
    proto_timer_set(out, proto_token(ZAB_TOK_LEADER_TICK, s->role, 0), s->cfg->tick / 2);
}

void zab__leader_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                         struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    switch (proto_token_kind(token)) {
    case ZAB_TOK_LEADER_WAIT:
        if (l->stage != ZAB_LS_BROADCAST)
            zab__become_looking(s, env, out); /* "Timeout while waiting for ... quorum" */
        return;
    case ZAB_TOK_LEADER_TICK:
        on_tick(s, env, out);
        return;
    case ZAB_TOK_LEADER_LOADED:
        if (l->stage == ZAB_LS_LOADING)
            start_accepting(s, out);
        return;
    case ZAB_TOK_SESSION_EXPIRY:
        if (l->stage == ZAB_LS_BROADCAST)
            zab__sessions_on_timer(s, env, out);
        return;
    case ZAB_TOK_HANDLER_READ: {
        struct zab_learner_handler *h = handler_by_id(l, proto_token_index(token));
        if (!h)
            return;
        if (env->now_ns - h->last_heard >= h->read_timeout)
            handler_remove(s, h, out); /* SocketTimeoutException */
        else
            handler_arm_read(s, h, env, out);
        return;
    }
    default:
        return;
    }
}
