/* test_zab_phases.c: one ZAB server driven by exact, scripted inputs (no simulator, no
 * randomness), asserting what it emits: vote updates, the epoch choice and its fsync before
 * LEADERINFO, DIFF vs TRUNC vs SNAP, in-order commits, no ACK before the log fsync, and the
 * step-down when the quorum goes silent. */
#include "protocol/zab/zab_internal.h"
#include "tests/harness.h"

#include <string.h>

#define N 3

struct script {
    struct zab_server_config cfg;
    uint32_t machines[N];
    void *server;
    struct proto_out out;
    struct rng rng;
    sim_time now;
    struct disk *disk;
};

static void script_init(struct script *t, uint32_t sid, struct disk *disk)
{
    memset(t, 0, sizeof *t);
    for (uint32_t i = 0; i < N; i++)
        t->machines[i] = i;
    t->cfg = (struct zab_server_config){ .sid = sid, .n_servers = N, .host_machines = t->machines,
                                         .tick = 2 * SIM_S, .init_limit = 10, .sync_limit = 5,
                                         .max_batch = 1000, .commit_log_count = 500,
                                         .snapshot_size_factor = 0.33, .payload_bytes = 64 };
    rng_init(&t->rng, 1, "script");
    proto_out_init(&t->out);
    t->disk = disk;
    struct proto_env env = { .self_node = sid - 1, .self_machine = sid - 1, .rng = &t->rng };
    t->server = zab_server_ops.create(&t->cfg, &env, disk);
}

static void script_free(struct script *t)
{
    zab_server_ops.destroy(t->server);
    proto_out_destroy(&t->out);
}

static struct zab_server *srv(struct script *t)
{
    return t->server;
}

/* Feeds one input; the effects stay in t->out until the next feed. */
static void feed(struct script *t, struct proto_input in)
{
    proto_out_clear(&t->out);
    struct proto_env env = { .now_ns = t->now, .self_node = t->cfg.sid - 1,
                             .self_machine = t->cfg.sid - 1, .rng = &t->rng };
    zab_server_ops.handle(t->server, &env, &in, &t->out);
}

static void feed_msg(struct script *t, conn_id conn, struct zab_msg *m, uint32_t from_sid)
{
    m->sid = from_sid;
    feed(t, (struct proto_input){ .kind = PROTO_IN_MSG, .conn = conn, .msg = &m->hdr });
    sim_msg_free(&m->hdr);
}

static struct zab_msg *msg(enum zab_msg_type type, int64_t zxid)
{
    struct zab_msg *m = zab__msg_new(type, NULL);
    m->zxid = zxid;
    return m;
}

/* The n-th sent message of a type (optionally on one connection), or NULL. */
static const struct zab_msg *sent(struct script *t, enum zab_msg_type type, conn_id conn, int n)
{
    for (guint i = 0; i < proto_out_len(&t->out); i++) {
        const struct proto_effect *e = proto_out_at(&t->out, i);
        if (e->kind != PROTO_EFFECT_SEND || e->msg->type != type || (conn && e->conn != conn))
            continue;
        if (n-- == 0)
            return (const struct zab_msg *)e->msg;
    }
    return NULL;
}

static int count_sent(struct script *t, enum zab_msg_type type)
{
    int n = 0;
    while (sent(t, type, 0, n))
        n++;
    return n;
}

/* Token of the first effect of `kind` whose token is of `token_kind`, or 0. */
static uint64_t effect_token(struct script *t, enum proto_effect_kind kind, enum zab_token_kind tk)
{
    for (guint i = 0; i < proto_out_len(&t->out); i++) {
        const struct proto_effect *e = proto_out_at(&t->out, i);
        if (e->kind == kind && proto_token_kind(e->token) == tk)
            return e->token;
    }
    return 0;
}

static int effect_index(struct script *t, enum proto_effect_kind kind, int from)
{
    for (guint i = (guint)from; i < proto_out_len(&t->out); i++) {
        if (proto_out_at(&t->out, i)->kind == kind)
            return (int)i;
    }
    return -1;
}

static struct zab_msg *notification(int64_t leader, int64_t zxid, int64_t round, int64_t peer_epoch,
                                    enum zab_server_state state)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_NOTIFICATION, NULL);
    m->vote = (struct zab_vote){ leader, zxid, round, peer_epoch, state };
    return m;
}

/* Opens the election channel from a larger peer (which owns the connection). */
static conn_id election_conn(struct script *t, uint32_t peer_sid, conn_id id)
{
    feed(t, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = id, .incoming = true,
                                  .peer_machine = peer_sid - 1, .port = ZAB_PORT_ELECTION });
    return id;
}

/* ---- election ---------------------------------------------------------------------------- */

static void test_fle_adopts_better_vote_and_rebroadcasts(void)
{
    struct script t;
    script_init(&t, 1, NULL);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_START });
    conn_id c3 = election_conn(&t, 3, 30);
    /* sid 3 proposes itself with a longer history: sid 1 adopts it and tells everyone. */
    feed_msg(&t, c3, notification(3, zxid_make(1, 5), 1, 1, ZAB_STATE_LOOKING), 3);
    const struct zab_msg *m = sent(&t, ZAB_MSG_NOTIFICATION, c3, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(m);
    CU_ASSERT_EQUAL(m->vote.leader, 3);
    CU_ASSERT_EQUAL(m->vote.zxid, zxid_make(1, 5));
    CU_ASSERT_EQUAL(srv(&t)->election.proposal.leader, 3);
    /* A worse vote from the same round changes nothing and is not answered. */
    feed_msg(&t, c3, notification(2, 0, 1, 0, ZAB_STATE_LOOKING), 3);
    CU_ASSERT_EQUAL(count_sent(&t, ZAB_MSG_NOTIFICATION), 0);
    CU_ASSERT_EQUAL(srv(&t)->election.proposal.leader, 3);
    script_free(&t);
}

static void test_fle_peer_epoch_beats_longer_log(void)
{
    struct script t;
    script_init(&t, 1, NULL);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_START });
    conn_id c2 = election_conn(&t, 2, 20), c3 = election_conn(&t, 3, 30);
    feed_msg(&t, c3, notification(3, zxid_make(1, 9), 1, 1, ZAB_STATE_LOOKING), 3);
    CU_ASSERT_EQUAL(srv(&t)->election.proposal.leader, 3);
    /* sid 2 joined epoch 2 with a shorter log: currentEpoch ranks before zxid. */
    feed_msg(&t, c2, notification(2, zxid_make(2, 0), 1, 2, ZAB_STATE_LOOKING), 2);
    CU_ASSERT_EQUAL(srv(&t)->election.proposal.leader, 2);
    CU_ASSERT_EQUAL(srv(&t)->election.proposal.peer_epoch, 2);
    script_free(&t);
}

static void test_fle_decides_after_finalize_wait_only(void)
{
    struct script t;
    script_init(&t, 1, NULL);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_START });
    conn_id c3 = election_conn(&t, 3, 30);
    feed_msg(&t, c3, notification(3, 0, 1, 0, ZAB_STATE_LOOKING), 3);
    /* Our own re-broadcast comes back through the loopback: {1, 3} is a quorum for 3. */
    CU_ASSERT_TRUE(srv(&t)->election.finalizing);
    uint64_t finalize = effect_token(&t, PROTO_EFFECT_TIMER_SET, ZAB_TOK_FINALIZE);
    CU_ASSERT_NOT_EQUAL_FATAL(finalize, 0);
    CU_ASSERT_EQUAL(srv(&t)->state, ZAB_STATE_LOOKING);
    t.now += 200 * SIM_MS;
    feed(&t, (struct proto_input){ .kind = PROTO_IN_TIMER, .token = finalize });
    CU_ASSERT_EQUAL(srv(&t)->state, ZAB_STATE_FOLLOWING);
    CU_ASSERT_EQUAL(srv(&t)->phase, ZAB_PHASE_DISCOVERY);
    int dial = effect_index(&t, PROTO_EFFECT_CONNECT, 0);
    CU_ASSERT_FATAL(dial >= 0);
    CU_ASSERT_EQUAL(proto_out_at(&t.out, (guint)dial)->port, ZAB_PORT_QUORUM);
    CU_ASSERT_EQUAL(proto_out_at(&t.out, (guint)dial)->machine, 2);
    script_free(&t);
}

/* ---- leader: discovery and synchronization ------------------------------------------------ */

/* A log of `count` txns of `epoch`; the server joined `current_epoch` (>= epoch). */
static void put_log_joined(struct disk *d, int64_t epoch, int count, int64_t current_epoch)
{
    for (int i = 1; i <= count; i++) {
        struct zab_txn txn = { .zxid = zxid_make(epoch, i), .msg_id = msg_id_make(1, (uint32_t)i) };
        disk_log_append(d, ZAB_FILE_LOG, &txn, sizeof txn);
    }
    disk_blob_put(d, ZAB_FILE_CURRENT_EPOCH, &current_epoch, sizeof current_epoch);
    disk_blob_put(d, ZAB_FILE_ACCEPTED_EPOCH, &current_epoch, sizeof current_epoch);
}

static void put_log(struct disk *d, int64_t epoch, int count)
{
    put_log_joined(d, epoch, count, epoch);
}

/* Makes sid 3 (history given by disk) the leader of a 3-server ensemble. */
static void make_leader(struct script *t, struct disk *disk)
{
    script_init(t, 3, disk);
    feed(t, (struct proto_input){ .kind = PROTO_IN_START });
    struct zab_msg *n1 = notification(3, zab__last_zxid(srv(t)), 1, srv(t)->current_epoch,
                                      ZAB_STATE_LOOKING);
    /* sid 3 is the larger end: it dialled sid 1; the connection comes up. */
    uint64_t dial = effect_token(t, PROTO_EFFECT_CONNECT, ZAB_TOK_ELECTION_DIAL);
    for (guint i = 0; i < proto_out_len(&t->out); i++) {
        const struct proto_effect *e = proto_out_at(&t->out, i);
        if (e->kind == PROTO_EFFECT_CONNECT && e->machine == 0)
            dial = e->token;
    }
    feed(t, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = 10, .token = dial,
                                  .peer_machine = 0, .port = ZAB_PORT_ELECTION });
    feed_msg(t, 10, n1, 1);
    uint64_t finalize = effect_token(t, PROTO_EFFECT_TIMER_SET, ZAB_TOK_FINALIZE);
    CU_ASSERT_NOT_EQUAL_FATAL(finalize, 0);
    feed(t, (struct proto_input){ .kind = PROTO_IN_TIMER, .token = finalize });
    CU_ASSERT_EQUAL_FATAL(srv(t)->state, ZAB_STATE_LEADING);
}

static conn_id learner_joins(struct script *t, conn_id conn, uint32_t sid, int64_t accepted_epoch)
{
    feed(t, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = conn, .incoming = true,
                                  .peer_machine = sid - 1, .port = ZAB_PORT_QUORUM });
    feed_msg(t, conn, msg(ZAB_MSG_FOLLOWERINFO, zxid_make(accepted_epoch, 0)), sid);
    return conn;
}

static void test_leader_picks_epoch_and_fsyncs_it_before_leaderinfo(void)
{
    struct disk *d = disk_new();
    put_log(d, 4, 3);
    struct script t;
    make_leader(&t, d);
    learner_joins(&t, 101, 1, 7);
    /* Quorum {3, 1}: epoch = 1 + max(4, 7). It is written and fsynced, nothing sent yet. */
    CU_ASSERT_EQUAL(srv(&t)->leader->epoch, 8);
    CU_ASSERT(effect_index(&t, PROTO_EFFECT_DISK_PUT, 0) >= 0);
    uint64_t synced = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_ACCEPTED);
    CU_ASSERT_NOT_EQUAL_FATAL(synced, 0);
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_LEADERINFO, 0, 0));
    t.now += 2 * SIM_MS;
    feed(&t, (struct proto_input){ .kind = PROTO_IN_DISK_DONE, .token = synced });
    const struct zab_msg *info = sent(&t, ZAB_MSG_LEADERINFO, 101, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(info);
    CU_ASSERT_EQUAL(info->zxid, zxid_make(8, 0));
    script_free(&t);
    disk_free(d);
}

/* Runs discovery with learner sid 1 (reporting peer_zxid) and returns the messages the
 * leader sent it for synchronization, in order, as types. */
static GArray *sync_with(int64_t leader_epoch, int leader_count, int64_t leader_joined,
                         int64_t peer_zxid, int64_t peer_epoch, int64_t *op_zxid)
{
    struct disk *d = disk_new();
    put_log_joined(d, leader_epoch, leader_count, leader_joined);
    struct script t;
    make_leader(&t, d);
    learner_joins(&t, 101, 1, peer_epoch);
    feed(&t, (struct proto_input){
                 .kind = PROTO_IN_DISK_DONE,
                 .token = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_ACCEPTED) });
    struct zab_msg *ack = msg(ZAB_MSG_ACKEPOCH, peer_zxid);
    ack->value = peer_epoch;
    feed_msg(&t, 101, ack, 1);
    GArray *types = g_array_new(FALSE, FALSE, sizeof(int));
    for (guint i = 0; i < proto_out_len(&t.out); i++) {
        const struct proto_effect *e = proto_out_at(&t.out, i);
        if (e->kind != PROTO_EFFECT_SEND || e->conn != 101)
            continue;
        int type = e->msg->type;
        if (types->len == 0)
            *op_zxid = ((const struct zab_msg *)e->msg)->zxid;
        g_array_append_val(types, type);
    }
    script_free(&t);
    disk_free(d);
    return types;
}

static int type_at(GArray *types, guint i)
{
    return i < types->len ? g_array_index(types, int, i) : -1;
}

static void test_sync_diff_when_learner_is_current(void)
{
    int64_t op;
    GArray *types = sync_with(2, 5, 2, zxid_make(2, 5), 2, &op);
    CU_ASSERT_EQUAL(type_at(types, 0), ZAB_MSG_DIFF);
    CU_ASSERT_EQUAL(type_at(types, 1), ZAB_MSG_NEWLEADER);
    CU_ASSERT_EQUAL(types->len, 2);
    g_array_free(types, TRUE);
}

static void test_sync_diff_sends_missing_committed_with_commits(void)
{
    int64_t op;
    GArray *types = sync_with(2, 5, 2, zxid_make(2, 3), 2, &op);
    CU_ASSERT_EQUAL(type_at(types, 0), ZAB_MSG_DIFF);
    CU_ASSERT_EQUAL(op, zxid_make(2, 5));
    CU_ASSERT_EQUAL(type_at(types, 1), ZAB_MSG_PROPOSAL);
    CU_ASSERT_EQUAL(type_at(types, 2), ZAB_MSG_COMMIT);
    CU_ASSERT_EQUAL(type_at(types, 3), ZAB_MSG_PROPOSAL);
    CU_ASSERT_EQUAL(type_at(types, 4), ZAB_MSG_COMMIT);
    CU_ASSERT_EQUAL(type_at(types, 5), ZAB_MSG_NEWLEADER);
    g_array_free(types, TRUE);
}

static void test_sync_trunc_when_learner_is_ahead(void)
{
    int64_t op;
    /* The learner logged (2,6..8) that never reached the leader, which has since joined
     * epoch 3 with a quorum that did not have them. */
    GArray *types = sync_with(2, 5, 3, zxid_make(2, 8), 2, &op);
    CU_ASSERT_EQUAL(type_at(types, 0), ZAB_MSG_TRUNC);
    CU_ASSERT_EQUAL(op, zxid_make(2, 5));
    CU_ASSERT_EQUAL(type_at(types, 1), ZAB_MSG_NEWLEADER);
    g_array_free(types, TRUE);
}

static void test_sync_snap_when_trunc_would_cross_epochs(void)
{
    /* The learner's (1, 9) is not in the leader's log and the next entry is of epoch 2. */
    struct disk *d = disk_new();
    for (int i = 1; i <= 3; i++) {
        struct zab_txn txn = { .zxid = zxid_make(1, i), .msg_id = msg_id_make(1, (uint32_t)i) };
        disk_log_append(d, ZAB_FILE_LOG, &txn, sizeof txn);
    }
    for (int i = 1; i <= 3; i++) {
        struct zab_txn txn = { .zxid = zxid_make(2, i), .msg_id = msg_id_make(2, (uint32_t)i) };
        disk_log_append(d, ZAB_FILE_LOG, &txn, sizeof txn);
    }
    int64_t e = 2;
    disk_blob_put(d, ZAB_FILE_CURRENT_EPOCH, &e, sizeof e);
    disk_blob_put(d, ZAB_FILE_ACCEPTED_EPOCH, &e, sizeof e);
    struct script t;
    make_leader(&t, d);
    learner_joins(&t, 101, 1, 1);
    feed(&t, (struct proto_input){
                 .kind = PROTO_IN_DISK_DONE,
                 .token = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_ACCEPTED) });
    struct zab_msg *ack = msg(ZAB_MSG_ACKEPOCH, zxid_make(1, 9));
    ack->value = 1;
    feed_msg(&t, 101, ack, 1);
    const struct zab_msg *snap = sent(&t, ZAB_MSG_SNAP, 101, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(snap);
    CU_ASSERT_PTR_NOT_NULL_FATAL(zab__msg_extra_of(snap)->snapshot);
    CU_ASSERT_EQUAL(zab__msg_extra_of(snap)->snapshot->len, 6);
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_TRUNC, 101, 0));
    CU_ASSERT_PTR_NOT_NULL(sent(&t, ZAB_MSG_NEWLEADER, 101, 0));
    script_free(&t);
    disk_free(d);
}

static void test_leader_refuses_learner_ahead_of_it(void)
{
    int64_t op = 0;
    /* The learner joined epoch 3; the leader only has epoch 2: "Follower is ahead". */
    GArray *types = sync_with(2, 5, 2, zxid_make(3, 1), 3, &op);
    CU_ASSERT_EQUAL(types->len, 0);
    g_array_free(types, TRUE);
}

/* ---- broadcast ---------------------------------------------------------------------------- */

/* Takes the leader through to BROADCAST with learner sid 1 on conn 101. */
static void establish(struct script *t, struct disk *d)
{
    make_leader(t, d);
    learner_joins(t, 101, 1, 0);
    feed(t, (struct proto_input){
                .kind = PROTO_IN_DISK_DONE,
                .token = effect_token(t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_ACCEPTED)});
    struct zab_msg *ack = msg(ZAB_MSG_ACKEPOCH, 0);
    ack->value = 0;
    feed_msg(t, 101, ack, 1);
    uint64_t current = effect_token(t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_CURRENT);
    CU_ASSERT_NOT_EQUAL_FATAL(current, 0);
    feed(t, (struct proto_input){ .kind = PROTO_IN_DISK_DONE, .token = current });
    CU_ASSERT_EQUAL(srv(t)->phase, ZAB_PHASE_SYNCHRONIZATION);
    feed_msg(t, 101, msg(ZAB_MSG_ACK, zxid_make(srv(t)->leader->epoch, 0)), 1);
    CU_ASSERT_EQUAL_FATAL(srv(t)->phase, ZAB_PHASE_BROADCAST);
    CU_ASSERT_PTR_NOT_NULL(sent(t, ZAB_MSG_UPTODATE, 101, 0));
}

static void client_write(struct script *t, conn_id conn, uint32_t seq)
{
    struct zab_msg *w = zab__msg_new(ZAB_MSG_WRITE_REQ, NULL);
    w->txn.msg_id = msg_id_make(1, seq);
    feed_msg(t, conn, w, 0);
}

static void test_commits_only_in_zxid_order_with_quorum(void)
{
    struct disk *d = disk_new();
    struct script t;
    establish(&t, d);
    int64_t epoch = srv(&t)->leader->epoch;
    feed(&t, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = 500, .incoming = true,
                                   .port = ZAB_PORT_CLIENT });
    feed_msg(&t, 500, zab__msg_new(ZAB_MSG_CONNECT_REQ, NULL), 0);
    client_write(&t, 500, 1);
    CU_ASSERT_PTR_NOT_NULL(sent(&t, ZAB_MSG_PROPOSAL, 101, 0));
    uint64_t own_fsync = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_LOG);
    CU_ASSERT_NOT_EQUAL_FATAL(own_fsync, 0);
    client_write(&t, 500, 2);
    /* The learner acks the second proposal first (as a model checker would try): nothing
     * commits, since the first is still outstanding. */
    feed_msg(&t, 101, msg(ZAB_MSG_ACK, zxid_make(epoch, 2)), 1);
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_COMMIT, 0, 0));
    /* One ack of 3 is not a quorum: the leader's own ack waits for its own fsync. */
    feed_msg(&t, 101, msg(ZAB_MSG_ACK, zxid_make(epoch, 1)), 1);
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_COMMIT, 0, 0));
    feed(&t, (struct proto_input){ .kind = PROTO_IN_DISK_DONE, .token = own_fsync });
    const struct zab_msg *c = sent(&t, ZAB_MSG_COMMIT, 101, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->zxid, zxid_make(epoch, 1));
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_COMMIT, 101, 1)); /* the second is not yet self-acked */
    CU_ASSERT_PTR_NOT_NULL(sent(&t, ZAB_MSG_WRITE_RESP, 500, 0));
    feed(&t,
         (struct proto_input){.kind = PROTO_IN_DISK_DONE,
                              .token = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_LOG)});
    c = sent(&t, ZAB_MSG_COMMIT, 101, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(c);
    CU_ASSERT_EQUAL(c->zxid, zxid_make(epoch, 2));
    script_free(&t);
    disk_free(d);
}

static void test_leader_steps_down_when_quorum_is_silent(void)
{
    struct disk *d = disk_new();
    struct script t;
    establish(&t, d);
    /* The learner acks UPTODATE, then falls silent: once syncLimit ticks pass without a
     * packet it no longer counts, {leader} is no quorum, and the leader steps down. */
    feed_msg(&t, 101, msg(ZAB_MSG_ACK, zxid_make(srv(&t)->leader->epoch, 0)), 1);
    for (int i = 0; i < 40 && srv(&t)->state == ZAB_STATE_LEADING; i++) {
        t.now += SIM_S; /* tickTime / 2 */
        feed(&t, (struct proto_input){.kind = PROTO_IN_TIMER,
                                      .token = proto_token(ZAB_TOK_LEADER_TICK, srv(&t)->role, 0)});
    }
    CU_ASSERT_EQUAL(srv(&t)->state, ZAB_STATE_LOOKING);
    CU_ASSERT(t.now > 10 * SIM_S && t.now <= 14 * SIM_S);
    script_free(&t);
    disk_free(d);
}

/* ---- learner ------------------------------------------------------------------------------ */

/* Takes sid 1 through to BROADCAST as a follower of sid 3 on conn 77. */
static void follow(struct script *t)
{
    script_init(t, 1, NULL);
    feed(t, (struct proto_input){ .kind = PROTO_IN_START });
    conn_id c3 = election_conn(t, 3, 30);
    feed_msg(t, c3, notification(3, 0, 1, 0, ZAB_STATE_LOOKING), 3);
    feed(t,
         (struct proto_input){.kind = PROTO_IN_TIMER,
                              .token = effect_token(t, PROTO_EFFECT_TIMER_SET, ZAB_TOK_FINALIZE)});
    uint64_t dial = effect_token(t, PROTO_EFFECT_CONNECT, ZAB_TOK_LEADER_DIAL);
    feed(t, (struct proto_input){.kind = PROTO_IN_CONN_UP,
                                 .conn = 77,
                                 .token = dial,
                                 .peer_machine = 2,
                                 .port = ZAB_PORT_QUORUM});
    CU_ASSERT_PTR_NOT_NULL(sent(t, ZAB_MSG_FOLLOWERINFO, 77, 0));
    feed_msg(t, 77, msg(ZAB_MSG_LEADERINFO, zxid_make(1, 0)), 3);
    CU_ASSERT_PTR_NULL(sent(t, ZAB_MSG_ACKEPOCH, 77, 0)); /* D2: acceptedEpoch first */
    feed(t, (struct proto_input){
                .kind = PROTO_IN_DISK_DONE,
                .token = effect_token(t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_ACCEPTED)});
    CU_ASSERT_PTR_NOT_NULL(sent(t, ZAB_MSG_ACKEPOCH, 77, 0));
    feed_msg(t, 77, msg(ZAB_MSG_DIFF, 0), 3);
    feed_msg(t, 77, msg(ZAB_MSG_NEWLEADER, zxid_make(1, 0)), 3);
    uint64_t log_sync = effect_token(t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_SYNCLOG);
    CU_ASSERT_NOT_EQUAL_FATAL(log_sync, 0);
    feed(t, (struct proto_input){.kind = PROTO_IN_DISK_DONE, .token = log_sync});
    CU_ASSERT_PTR_NULL(sent(t, ZAB_MSG_ACK, 77, 0)); /* D4: currentEpoch before the ACK */
    feed(t, (struct proto_input){
                .kind = PROTO_IN_DISK_DONE,
                .token = effect_token(t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_CURRENT)});
    const struct zab_msg *ack = sent(t, ZAB_MSG_ACK, 77, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
    CU_ASSERT_EQUAL(ack->zxid, zxid_make(1, 0));
    CU_ASSERT_EQUAL(srv(t)->current_epoch, 1);
    feed_msg(t, 77, msg(ZAB_MSG_UPTODATE, -1), 3);
    CU_ASSERT_EQUAL_FATAL(srv(t)->phase, ZAB_PHASE_BROADCAST);
}

static struct zab_msg *proposal(int64_t zxid, uint32_t seq)
{
    struct zab_msg *m = msg(ZAB_MSG_PROPOSAL, zxid);
    m->txn = (struct zab_txn){ .zxid = zxid, .msg_id = msg_id_make(2, seq) };
    return m;
}

static void test_follower_acks_only_after_fsync(void)
{
    struct script t;
    follow(&t);
    feed_msg(&t, 77, proposal(zxid_make(1, 1), 1), 3);
    CU_ASSERT(effect_index(&t, PROTO_EFFECT_DISK_APPEND, 0) >= 0);
    uint64_t batch = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_LOG);
    CU_ASSERT_NOT_EQUAL_FATAL(batch, 0);
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_ACK, 77, 0));
    /* Two more arrive while the fsync is in flight: they wait, unwritten. */
    feed_msg(&t, 77, proposal(zxid_make(1, 2), 2), 3);
    CU_ASSERT_EQUAL(effect_index(&t, PROTO_EFFECT_DISK_APPEND, 0), -1);
    feed_msg(&t, 77, proposal(zxid_make(1, 3), 3), 3);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_DISK_DONE, .token = batch });
    const struct zab_msg *ack = sent(&t, ZAB_MSG_ACK, 77, 0);
    CU_ASSERT_PTR_NOT_NULL_FATAL(ack);
    CU_ASSERT_EQUAL(ack->zxid, zxid_make(1, 1));
    CU_ASSERT_PTR_NULL(sent(&t, ZAB_MSG_ACK, 77, 1));
    /* The next batch (group commit) holds both waiting proposals and one fsync. */
    int first = effect_index(&t, PROTO_EFFECT_DISK_APPEND, 0);
    CU_ASSERT(first >= 0 && effect_index(&t, PROTO_EFFECT_DISK_APPEND, first + 1) >= 0);
    uint64_t next = effect_token(&t, PROTO_EFFECT_DISK_SYNC, ZAB_TOK_DISK_LOG);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_DISK_DONE, .token = next });
    CU_ASSERT_EQUAL(count_sent(&t, ZAB_MSG_ACK), 2);
    script_free(&t);
}

static void test_follower_delivers_on_commit_in_order(void)
{
    struct script t;
    follow(&t);
    feed_msg(&t, 77, proposal(zxid_make(1, 1), 1), 3);
    feed_msg(&t, 77, proposal(zxid_make(1, 2), 2), 3);
    feed_msg(&t, 77, msg(ZAB_MSG_COMMIT, zxid_make(1, 1)), 3);
    CU_ASSERT_EQUAL(srv(&t)->delivered, 1);
    int i = effect_index(&t, PROTO_EFFECT_TRACE, 0);
    CU_ASSERT_FATAL(i >= 0);
    const struct trace_rec *r = proto_out_trace(&t.out, proto_out_at(&t.out, (guint)i));
    CU_ASSERT_EQUAL(r->kind, TRACE_DELIVERY);
    CU_ASSERT_EQUAL(r->u.delivery.seq, 1);
    CU_ASSERT_EQUAL(r->u.delivery.log_id, zxid_make(1, 1));
    script_free(&t);
}

static void test_follower_refuses_older_epoch(void)
{
    struct disk *d = disk_new();
    put_log(d, 5, 2);
    struct script t;
    script_init(&t, 1, d);
    feed(&t, (struct proto_input){ .kind = PROTO_IN_START });
    conn_id c3 = election_conn(&t, 3, 30);
    feed_msg(&t, c3, notification(3, zxid_make(5, 9), 1, 5, ZAB_STATE_LOOKING), 3);
    feed(&t,
         (struct proto_input){.kind = PROTO_IN_TIMER,
                              .token = effect_token(&t, PROTO_EFFECT_TIMER_SET, ZAB_TOK_FINALIZE)});
    feed(&t,
         (struct proto_input){.kind = PROTO_IN_CONN_UP,
                              .conn = 77,
                              .token = effect_token(&t, PROTO_EFFECT_CONNECT, ZAB_TOK_LEADER_DIAL),
                              .peer_machine = 2,
                              .port = ZAB_PORT_QUORUM});
    CU_ASSERT_EQUAL(sent(&t, ZAB_MSG_FOLLOWERINFO, 77, 0)->zxid, zxid_make(5, 0));
    feed_msg(&t, 77, msg(ZAB_MSG_LEADERINFO, zxid_make(4, 0)), 3);
    CU_ASSERT_EQUAL(srv(&t)->state, ZAB_STATE_LOOKING);
    CU_ASSERT_EQUAL(srv(&t)->accepted_epoch, 5);
    script_free(&t);
    disk_free(d);
}

void test_register(void)
{
    TEST_SUITE("zab-election", TEST(test_fle_adopts_better_vote_and_rebroadcasts),
               TEST(test_fle_peer_epoch_beats_longer_log),
               TEST(test_fle_decides_after_finalize_wait_only));
    TEST_SUITE("zab-discovery-sync", TEST(test_leader_picks_epoch_and_fsyncs_it_before_leaderinfo),
               TEST(test_sync_diff_when_learner_is_current),
               TEST(test_sync_diff_sends_missing_committed_with_commits),
               TEST(test_sync_trunc_when_learner_is_ahead),
               TEST(test_sync_snap_when_trunc_would_cross_epochs),
               TEST(test_leader_refuses_learner_ahead_of_it));
    TEST_SUITE("zab-broadcast", TEST(test_commits_only_in_zxid_order_with_quorum),
               TEST(test_leader_steps_down_when_quorum_is_silent),
               TEST(test_follower_acks_only_after_fsync),
               TEST(test_follower_delivers_on_commit_in_order),
               TEST(test_follower_refuses_older_epoch));
}
