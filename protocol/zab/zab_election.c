/* zab_election.c: Fast Leader Election (ZooKeeper's FastLeaderElection) over the election
 * channels of QuorumCnxManager.
 *
 * Votes are ordered by (peerEpoch, zxid, sid). A LOOKING server sends its proposal to every
 * voter, adopts better proposals, and decides once a quorum of the current round agrees and
 * finalizeWait (200 ms) passes with no better vote. Servers already FOLLOWING or LEADING
 * answer LOOKING peers with their current vote, which is how a restarted server finds an
 * established leader (checkLeader stops it following a leader that is gone). With nothing
 * to read, a server resends (or redials) with a back-off from 200 ms to 60 s.
 *
 * Connections follow QuorumCnxManager: one per pair, owned by the larger sid (a dial from
 * the smaller sid is only a knock: both ends drop it and the larger sid dials back); the
 * send queue to each peer holds only the newest notification; a new connection resends the
 * last message sent; dials time out after cnxTimeout (5 s). */
#include "protocol/zab/zab_internal.h"

#include <string.h>

#define FINALIZE_WAIT (200 * SIM_MS)        /* FastLeaderElection.finalizeWait */
#define MIN_NOTIFICATION (200 * SIM_MS)     /* minNotificationInterval */
#define MAX_NOTIFICATION (60000 * SIM_MS)   /* maxNotificationInterval */
#define CNX_TIMEOUT (5000 * SIM_MS)         /* QuorumCnxManager cnxTO */

struct loopback_notification {
    uint32_t sid;
    struct zab_vote vote;
};

void zab__election_init(struct zab_server *s)
{
    uint32_t n = s->cfg->n_servers + 1;
    struct zab_election *e = &s->election;
    e->recvset = g_new0(struct zab_vote, n);
    e->have_recv = g_new0(bool, n);
    e->outofelection = g_new0(struct zab_vote, n);
    e->have_out = g_new0(bool, n);
    e->loopback = g_array_new(FALSE, FALSE, sizeof(struct loopback_notification));
    /* lastMessageSent per peer lives in the channel; see peer_send. */
}

void zab__election_free(struct zab_server *s)
{
    struct zab_election *e = &s->election;
    g_free(e->recvset);
    g_free(e->have_recv);
    g_free(e->outofelection);
    g_free(e->have_out);
    g_array_free(e->loopback, TRUE);
}

/* FastLeaderElection.totalOrderPredicate: is (id, zxid, epoch) better than the current? */
static bool vote_better(int64_t id, int64_t zxid, int64_t epoch, const struct zab_vote *cur)
{
    return epoch > cur->peer_epoch ||
           (epoch == cur->peer_epoch &&
            (zxid > cur->zxid || (zxid == cur->zxid && id > cur->leader)));
}

/* Vote.equals: full comparison when either side is LOOKING, else (leader, peerEpoch). */
static bool vote_equal(const struct zab_vote *a, const struct zab_vote *b)
{
    if (a->state == ZAB_STATE_LOOKING || b->state == ZAB_STATE_LOOKING)
        return a->leader == b->leader && a->zxid == b->zxid &&
               a->election_epoch == b->election_epoch && a->peer_epoch == b->peer_epoch;
    return a->leader == b->leader && a->peer_epoch == b->peer_epoch;
}

static bool has_quorum_for(const struct zab_server *s, const struct zab_vote *votes,
                           const bool *have, const struct zab_vote *target)
{
    uint64_t members = 0;
    for (uint32_t sid = 1; sid <= s->cfg->n_servers; sid++) {
        if (have[sid] && vote_equal(&votes[sid], target))
            members |= zab__bit(sid);
    }
    return zab__is_quorum(s, members);
}

/* ---- QuorumCnxManager ------------------------------------------------------------------- */

static void channel_send_now(struct zab_server *s, uint32_t sid, const struct zab_vote *v,
                             struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_NOTIFICATION, s->cfg);
    m->vote = *v;
    zab__send(s, s->peers[sid].conn, m, out);
}

static void connect_one(struct zab_server *s, uint32_t sid, const struct proto_env *env,
                        struct proto_out *out)
{
    struct zab_peer_channel *ch = &s->peers[sid];
    if (ch->conn != CONN_NONE || ch->dialing)
        return;
    ch->dialing = true;
    ch->dial_started = env->now_ns;
    ch->dial_attempt++;
    uint32_t index = sid | ((ch->dial_attempt & 0xffffu) << 8);
    proto_connect(out, zab__machine_of(s, sid), ZAB_PORT_ELECTION,
                  proto_token(ZAB_TOK_ELECTION_DIAL, 0, index));
    proto_timer_set(out, proto_token(ZAB_TOK_PEER_DIAL, 0, index), CNX_TIMEOUT);
}

static void peer_send(struct zab_server *s, uint32_t sid, const struct zab_vote *v,
                      const struct proto_env *env, struct proto_out *out)
{
    if (sid == s->cfg->sid) {
        struct loopback_notification n = { .sid = sid, .vote = *v };
        ZS_ASSERT(s->election.loopback->len < ZAB_LOOPBACK_MAX);
        g_array_append_val(s->election.loopback, n);
        return;
    }
    struct zab_peer_channel *ch = &s->peers[sid];
    ch->has_queue = true;
    ch->last_sent = *v;
    ch->has_last_sent = true;
    if (ch->conn != CONN_NONE) {
        channel_send_now(s, sid, v, out);
        return;
    }
    /* SEND_CAPACITY is one: a newer notification replaces the queued one. */
    ch->queued = true;
    ch->queued_vote = *v;
    connect_one(s, sid, env, out);
}

static void channel_adopt(struct zab_server *s, uint32_t sid, conn_id conn, struct proto_out *out)
{
    struct zab_peer_channel *ch = &s->peers[sid];
    if (ch->conn != CONN_NONE && ch->conn != conn)
        zab__conn_drop(s, ch->conn, true, out); /* the newer connection wins */
    ch->conn = conn;
    ch->dialing = false;
    zab__conn_add(s, conn, ZAB_CONN_ELECTION)->peer_sid = sid;
    if (ch->queued) {
        ch->queued = false;
        channel_send_now(s, sid, &ch->queued_vote, out);
    } else if (ch->has_last_sent) {
        channel_send_now(s, sid, &ch->last_sent, out);
    }
}

static uint32_t sid_of_machine(const struct zab_server *s, uint32_t machine)
{
    for (uint32_t sid = 1; sid <= s->cfg->n_servers; sid++) {
        if (zab__machine_of(s, sid) == machine)
            return sid;
    }
    return 0;
}

void zab__election_on_conn_up(struct zab_server *s, const struct proto_input *in,
                             const struct proto_env *env, struct proto_out *out)
{
    uint32_t self = s->cfg->sid;
    if (in->incoming) {
        uint32_t sid = sid_of_machine(s, in->peer_machine);
        if (sid == 0 || sid < self) {
            /* receiveConnection: a smaller sid's connection is dropped; dial it back. */
            proto_close(out, in->conn);
            if (sid != 0)
                connect_one(s, sid, env, out);
            return;
        }
        channel_adopt(s, sid, in->conn, out);
        return;
    }
    uint32_t index = proto_token_index(in->token);
    uint32_t sid = index & 0xffu;
    struct zab_peer_channel *ch = &s->peers[sid];
    bool current = ch->dialing && (ch->dial_attempt & 0xffffu) == (index >> 8);
    if (!current || sid > self) {
        /* A dial we gave up on, or a knock at a larger sid, which will dial us back. */
        proto_close(out, in->conn);
        if (current)
            ch->dialing = false;
        return;
    }
    channel_adopt(s, sid, in->conn, out);
}

void zab__election_on_dial_failed(struct zab_server *s, uint32_t index)
{
    struct zab_peer_channel *ch = &s->peers[index & 0xffu];
    if ((ch->dial_attempt & 0xffffu) == (index >> 8))
        ch->dialing = false;
}

void zab__election_on_conn_lost(struct zab_server *s, struct zab_conn *c, struct proto_out *out)
{
    struct zab_peer_channel *ch = &s->peers[c->peer_sid];
    if (ch->conn == c->id)
        ch->conn = CONN_NONE;
    zab__conn_drop(s, c->id, false, out);
}

/* QuorumCnxManager.haveDelivered: true when any peer's send queue is empty. */
static bool have_delivered(const struct zab_server *s)
{
    for (uint32_t sid = 1; sid <= s->cfg->n_servers; sid++) {
        const struct zab_peer_channel *ch = &s->peers[sid];
        if (sid != s->cfg->sid && ch->has_queue && !ch->queued)
            return true;
    }
    return false;
}

static void connect_all(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    for (uint32_t sid = 1; sid <= s->cfg->n_servers; sid++) {
        if (sid != s->cfg->sid)
            connect_one(s, sid, env, out);
    }
}

/* ---- lookForLeader ---------------------------------------------------------------------- */

static struct zab_vote init_vote(const struct zab_server *s)
{
    return (struct zab_vote){ .leader = s->cfg->sid, .zxid = zab__last_zxid(s),
                              .peer_epoch = s->current_epoch, .state = ZAB_STATE_LOOKING };
}

static void send_notifications(struct zab_server *s, const struct proto_env *env,
                               struct proto_out *out)
{
    struct zab_election *e = &s->election;
    struct zab_vote v = e->proposal;
    v.election_epoch = e->logicalclock;
    v.state = ZAB_STATE_LOOKING;
    for (uint32_t sid = 1; sid <= s->cfg->n_servers; sid++)
        peer_send(s, sid, &v, env, out);
}

static void arm_notify(struct zab_server *s, struct proto_out *out)
{
    proto_timer_set(out, proto_token(ZAB_TOK_NOTIFY, s->role, 0), s->election.not_timeout);
}

void zab__election_start(struct zab_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct zab_election *e = &s->election;
    uint32_t n = s->cfg->n_servers + 1;
    e->active = true;
    e->finalizing = false;
    e->logicalclock++;
    e->proposal = init_vote(s);
    memset(e->have_recv, 0, n * sizeof(bool));
    memset(e->have_out, 0, n * sizeof(bool));
    e->not_timeout = MIN_NOTIFICATION;
    send_notifications(s, env, out);
    arm_notify(s, out);
}

static void decide(struct zab_server *s, int64_t leader, const struct zab_vote *end,
                   const struct proto_env *env, struct proto_out *out)
{
    struct zab_election *e = &s->election;
    e->active = false;
    e->finalizing = false;
    g_array_set_size(e->loopback, 0); /* leaveInstance clears the receive queue */
    s->current_vote = *end;
    s->current_vote.leader = leader;
    if ((uint32_t)leader == s->cfg->sid)
        zab__lead(s, env, out);
    else
        zab__follow(s, (uint32_t)leader, env, out);
}

/* checkLeader: never follow a leader we have not heard claim LEADING, and only lead
 * ourselves in the round that elected us. */
static bool check_leader(const struct zab_server *s, const struct zab_vote *votes, const bool *have,
                         int64_t leader, int64_t election_epoch)
{
    if (leader < 1 || leader > (int64_t)s->cfg->n_servers)
        return false;
    if ((uint32_t)leader != s->cfg->sid)
        return have[leader] && votes[leader].state == ZAB_STATE_LEADING;
    return s->election.logicalclock == election_epoch;
}

static void on_looking_notification(struct zab_server *s, uint32_t sid, const struct zab_vote *n,
                                    const struct proto_env *env, struct proto_out *out)
{
    struct zab_election *e = &s->election;
    if (n->election_epoch > e->logicalclock) {
        e->logicalclock = n->election_epoch;
        memset(e->have_recv, 0, (s->cfg->n_servers + 1) * sizeof(bool));
        struct zab_vote mine = init_vote(s);
        if (vote_better(n->leader, n->zxid, n->peer_epoch, &mine))
            e->proposal = (struct zab_vote){ .leader = n->leader, .zxid = n->zxid,
                                             .peer_epoch = n->peer_epoch };
        else
            e->proposal = mine;
        send_notifications(s, env, out);
    } else if (n->election_epoch < e->logicalclock) {
        return;
    } else if (vote_better(n->leader, n->zxid, n->peer_epoch, &e->proposal)) {
        e->proposal = (struct zab_vote){ .leader = n->leader, .zxid = n->zxid,
                                         .peer_epoch = n->peer_epoch };
        send_notifications(s, env, out);
    }
    e->recvset[sid] = *n;
    e->recvset[sid].state = ZAB_STATE_LOOKING;
    e->have_recv[sid] = true;
    struct zab_vote target = e->proposal;
    target.election_epoch = e->logicalclock;
    target.state = ZAB_STATE_LOOKING;
    if (has_quorum_for(s, e->recvset, e->have_recv, &target)) {
        e->finalizing = true;
        proto_timer_cancel(out, proto_token(ZAB_TOK_NOTIFY, s->role, 0));
        proto_timer_set(out, proto_token(ZAB_TOK_FINALIZE, s->role, 0), FINALIZE_WAIT);
    }
}

static void on_established_notification(struct zab_server *s, uint32_t sid,
                                        const struct zab_vote *n, const struct proto_env *env,
                                        struct proto_out *out)
{
    struct zab_election *e = &s->election;
    struct zab_vote end = { .leader = n->leader, .zxid = n->zxid,
                            .election_epoch = n->election_epoch, .peer_epoch = n->peer_epoch,
                            .state = ZAB_STATE_LOOKING };
    if (n->election_epoch == e->logicalclock) {
        e->recvset[sid] = *n;
        e->have_recv[sid] = true;
        if (has_quorum_for(s, e->recvset, e->have_recv, n) &&
            check_leader(s, e->recvset, e->have_recv, n->leader, n->election_epoch)) {
            decide(s, n->leader, &end, env, out);
            return;
        }
    }
    /* Before joining an established ensemble, a quorum must follow the same leader. */
    e->outofelection[sid] = *n;
    e->have_out[sid] = true;
    if (has_quorum_for(s, e->outofelection, e->have_out, n) &&
        check_leader(s, e->outofelection, e->have_out, n->leader, n->election_epoch)) {
        e->logicalclock = n->election_epoch;
        decide(s, n->leader, &end, env, out);
    }
}

/* One notification taken from the receive queue by lookForLeader. */
static void process_notification(struct zab_server *s, uint32_t sid, const struct zab_vote *n,
                                 const struct proto_env *env, struct proto_out *out)
{
    struct zab_election *e = &s->election;
    if (e->finalizing) {
        if (!vote_better(n->leader, n->zxid, n->peer_epoch, &e->proposal)) {
            /* Consumed and discarded; the finalize wait starts over. */
            proto_timer_set(out, proto_token(ZAB_TOK_FINALIZE, s->role, 0), FINALIZE_WAIT);
            return;
        }
        e->finalizing = false; /* a better vote: back to the main loop with it */
        proto_timer_cancel(out, proto_token(ZAB_TOK_FINALIZE, s->role, 0));
    }
    arm_notify(s, out); /* every poll that returns restarts the wait */
    switch (n->state) {
    case ZAB_STATE_LOOKING:
        on_looking_notification(s, sid, n, env, out);
        break;
    case ZAB_STATE_FOLLOWING:
    case ZAB_STATE_LEADING:
        on_established_notification(s, sid, n, env, out);
        break;
    default:
        break;
    }
}

/* WorkerReceiver: what happens to every notification before the main loop sees it. */
static void receive_notification(struct zab_server *s, uint32_t sid, const struct zab_vote *n,
                                 const struct proto_env *env, struct proto_out *out)
{
    struct zab_election *e = &s->election;
    if (!e->active) {
        if (n->state == ZAB_STATE_LOOKING && sid != s->cfg->sid) {
            struct zab_vote reply = s->current_vote;
            reply.state = s->state;
            peer_send(s, sid, &reply, env, out);
        }
        return;
    }
    if (n->state == ZAB_STATE_LOOKING && n->election_epoch < e->logicalclock &&
        sid != s->cfg->sid) {
        struct zab_vote reply = e->proposal;
        reply.election_epoch = e->logicalclock;
        reply.state = ZAB_STATE_LOOKING;
        peer_send(s, sid, &reply, env, out);
    }
    process_notification(s, sid, n, env, out);
}

void zab__election_on_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                         const struct proto_env *env, struct proto_out *out)
{
    if (m->hdr.type == ZAB_MSG_NOTIFICATION)
        receive_notification(s, c->peer_sid, &m->vote, env, out);
}

void zab__election_drain_loopback(struct zab_server *s, const struct proto_env *env,
                                 struct proto_out *out)
{
    struct zab_election *e = &s->election;
    /* Handling one notification may queue another to ourselves; take them in order. */
    for (guint i = 0; i < e->loopback->len; i++) {
        struct loopback_notification n =
            g_array_index(e->loopback, struct loopback_notification, i);
        receive_notification(s, n.sid, &n.vote, env, out);
    }
    g_array_set_size(e->loopback, 0);
}

void zab__election_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                           struct proto_out *out)
{
    struct zab_election *e = &s->election;
    switch (proto_token_kind(token)) {
    case ZAB_TOK_NOTIFY:
        if (!e->active || e->finalizing || !proto_token_of(token, s->role))
            return;
        if (have_delivered(s))
            send_notifications(s, env, out);
        else
            connect_all(s, env, out);
        e->not_timeout = MIN(e->not_timeout * 2, MAX_NOTIFICATION);
        arm_notify(s, out);
        return;
    case ZAB_TOK_FINALIZE: {
        if (!e->active || !e->finalizing || !proto_token_of(token, s->role))
            return;
        struct zab_vote end = e->proposal;
        end.election_epoch = e->logicalclock;
        end.state = ZAB_STATE_LOOKING;
        decide(s, e->proposal.leader, &end, env, out);
        return;
    }
    case ZAB_TOK_PEER_DIAL: {
        uint32_t index = proto_token_index(token);
        struct zab_peer_channel *ch = &s->peers[index & 0xffu];
        if (ch->dialing && (ch->dial_attempt & 0xffffu) == (index >> 8))
            ch->dialing = false; /* cnxTimeout: the next send dials again */
        return;
    }
    default:
        return;
    }
}
