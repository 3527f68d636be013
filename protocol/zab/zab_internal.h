/* zab_internal.h: the ZAB server's state, shared by the files of protocol/zab/.
 *
 * One server is split the way ZooKeeper splits it: zab_server.c (lifecycle, recovery from
 * disk, role changes, delivery to the host's subscriber, client sessions), zab_logger.c (the
 * SyncRequestProcessor stage: queue -> append -> group fsync -> ack, and the epoch files),
 * zab_election.c (FastLeaderElection with QuorumCnxManager's connection rules),
 * zab_leader.c (Leader + one LearnerHandler per learner), zab_learner.c (Learner and
 * Follower), zab_msg.c (the wire messages). Not for use outside protocol/zab/. */
#ifndef PROTOCOL_ZAB_INTERNAL_H
#define PROTOCOL_ZAB_INTERNAL_H

#include "protocol/zab/zab.h"

/* ---- limits -------------------------------------------------------------------------------
 * Every queue that grows with input has one, and a stated behaviour at it. */

/* ZooKeeper's globalOutstandingLimit (zookeeper.globalOutstandingLimit, default 1000): a
 * server with this many of its own clients' writes in flight stops reading requests from
 * its clients until some complete. What they send meanwhile waits, unread, in `throttled`
 * (the socket's receive side), and is read in order as writes complete. */
#define ZAB_GLOBAL_OUTSTANDING_LIMIT 1000
/* Requests waiting unread at one server. Each client has at most ZAB_CLIENT_PENDING_MAX
 * requests out, so this is never reached with the scenario limits; reaching it is an
 * assertion failure, not a silent drop. */
#define ZAB_THROTTLED_MAX (1u << 22)
/* A leader's outstanding proposals (proposed, not committed). Every proposal answers a
 * request some server admitted under its own ZAB_GLOBAL_OUTSTANDING_LIMIT, so a leader
 * never holds more than n_servers of those limits; at this bound it stops proposing: the
 * request is dropped there and its client sees a timeout. */
#define ZAB_OUTSTANDING_PER_SERVER ZAB_GLOBAL_OUTSTANDING_LIMIT
/* What a learner holds while synchronizing: proposals not yet logged, proposals not yet
 * committed, and packets held while it persists at NEWLEADER. The leader sends at most two
 * packets (PROPOSAL, COMMIT) per outstanding proposal plus a ping per half tick, so these
 * stay below twice the leader's bound plus ZAB_LEARNER_SLACK; beyond, an assertion fails. */
#define ZAB_LEARNER_SLACK 4096
/* A client's writes queued while connecting plus those awaiting a response. At the limit
 * a new write is rejected at once (the application's back-pressure); ZooKeeper's own
 * clients queue without a limit. */
#define ZAB_CLIENT_PENDING_MAX 10000
/* Notifications a server sends itself during one input (FLE's self-addressed votes). */
#define ZAB_LOOPBACK_MAX 64

/* ---- wire messages (ZooKeeper's QuorumPacket types keep their names) ------------------- */

enum zab_msg_type {
    ZAB_MSG_NOTIFICATION = 1, /* FLE notification (election port) */
    ZAB_MSG_FOLLOWERINFO,
    ZAB_MSG_LEADERINFO,
    ZAB_MSG_ACKEPOCH,
    ZAB_MSG_DIFF,
    ZAB_MSG_TRUNC,
    ZAB_MSG_SNAP,
    ZAB_MSG_PROPOSAL,
    ZAB_MSG_COMMIT,
    ZAB_MSG_NEWLEADER,
    ZAB_MSG_UPTODATE,
    ZAB_MSG_ACK,
    ZAB_MSG_PING,
    ZAB_MSG_REQUEST,          /* learner forwards a client write to the leader */
    ZAB_MSG_CONNECT_REQ,      /* client -> server: open (or move) a session */
    ZAB_MSG_CONNECT_RESP,
    ZAB_MSG_WRITE_REQ,        /* client -> server */
    ZAB_MSG_WRITE_RESP,
    ZAB_MSG_CLIENT_PING,
    ZAB_MSG_CLIENT_PONG,
    ZAB_MSG_REVALIDATE,       /* learner <-> leader: is this client's session valid? */
    /* The data model's clients (zab_recipe.c), beside the workload's: */
    ZAB_MSG_SESSION_REQ,      /* ConnectRequest with a session: session (0: new), value =
                                 requested timeout, zxid = the client's last seen zxid */
    ZAB_MSG_SESSION_RESP,     /* session, value = negotiated timeout (0: expired) */
    ZAB_MSG_OP_REQ,           /* xid; a write in txn.op, or a read (read, watch, path) */
    ZAB_MSG_OP_RESP,          /* xid, err, zxid, stat, children, path (created name) */
    ZAB_MSG_WATCH_EVENT,      /* event on txn.op.path */
    ZAB_MSG_SET_WATCHES,      /* after a reconnect: zxid = last seen, watches */
    ZAB_MSG_RESOURCE_WRITE,   /* a recipe client to the protected resource (sim/resource.h) */
    ZAB_MSG_TYPE_COUNT
};

struct zab_vote {
    int64_t leader;
    int64_t zxid;
    int64_t election_epoch; /* the round (logicalclock) */
    int64_t peer_epoch;
    enum zab_server_state state; /* sender's state; LOOKING for votes built locally */
};

/* A read a data-model client asks for (ZAB_MSG_OP_REQ with no write). */
enum zab_read {
    ZAB_READ_NONE = 0,
    ZAB_READ_GET_DATA,
    ZAB_READ_EXISTS,
    ZAB_READ_GET_CHILDREN,
};

/* A watch a client holds, as SET_WATCHES lists it. */
struct zab_watch_spec {
    uint8_t kind;            /* enum zab_watch_kind */
    bool exists_call;        /* a data watch left by exists (fires on creation too) */
    char path[ZAB_PATH_MAX];
};

struct zab_msg {
    struct sim_msg hdr;
    int64_t zxid;
    int64_t value;          /* ACKEPOCH: currentEpoch or -1; FOLLOWERINFO: sid */
    uint32_t sid;           /* sender's server id where the packet carries it */
    struct zab_vote vote;   /* NOTIFICATION */
    struct zab_txn txn;     /* PROPOSAL, REQUEST of a workload write, WRITE_RESP */
    struct zab_msg_extra *extra; /* what only a few messages carry (owned; NULL: none) */
};

/* What SNAP and the data model's messages carry beyond struct zab_msg, kept apart so that
 * struct zab_msg, allocated for every PROPOSAL, ACK and COMMIT, stays within 120 bytes:
 * glibc's fast bins (a larger one costs the workload a tenth more time). */
struct zab_msg_extra {
    GArray *snapshot;       /* SNAP: struct zab_txn, the leader's whole state (owned) */
    struct zab_op op;       /* REQUEST of a data-model write; OP_REQ: the request;
                               OP_RESP, WATCH_EVENT: the path */
    int64_t session;        /* SESSION_*, REVALIDATE (absent: a workload client's) */
    struct zab_stat stat;   /* OP_RESP of GET_DATA / EXISTS */
    GPtrArray *children;    /* OP_RESP of GET_CHILDREN: names (owned) */
    GArray *touches;        /* PING from a learner: int64 session ids it saw (owned);
                               SET_WATCHES: struct zab_watch_spec (owned) */
    int32_t xid;            /* OP_*: the client's request number */
    int16_t err;            /* OP_RESP: enum zab_err; CONNECTIONLOSS never travels */
    uint8_t read;           /* OP_REQ: enum zab_read */
    uint8_t event;          /* WATCH_EVENT: enum zab_watch_event */
    bool watch;             /* OP_REQ: leave a watch */
    bool valid;             /* REVALIDATE answer */
};

struct zab_msg *zab__msg_new(enum zab_msg_type type, const struct zab_server_config *cfg);
/* A copy of m owning copies of everything m owns. */
struct zab_msg *zab__msg_copy(const struct zab_msg *m);
/* m's extra part, made (zeroed) on first use. */
struct zab_msg_extra *zab__msg_extra(struct zab_msg *m);
/* m's extra part to read: all zero when m carries none. */
const struct zab_msg_extra *zab__msg_extra_of(const struct zab_msg *m);

/* ---- connections ------------------------------------------------------------------------ */

enum zab_conn_kind {
    ZAB_CONN_ELECTION = 1, /* election channel to one peer */
    ZAB_CONN_TO_LEADER,    /* this learner's quorum connection */
    ZAB_CONN_LEARNER,      /* leader side: one learner (LearnerHandler) */
    ZAB_CONN_CLIENT,       /* a client session */
};

struct zab_conn {
    conn_id id;
    enum zab_conn_kind kind;
    uint32_t peer_sid;       /* election peer, or learner sid once FOLLOWERINFO arrived */
    bool session_open;       /* client: ConnectRequest answered */
    int64_t session;         /* a data-model client's session, 0 until it has one */
    int64_t timeout_ns;      /* its negotiated session timeout */
};

/* ---- election --------------------------------------------------------------------------- */

/* QuorumCnxManager's per-peer state: one connection, and a send queue of capacity one
 * (SEND_CAPACITY): only the newest notification waits for a connection. */
struct zab_peer_channel {
    conn_id conn;
    bool dialing;
    uint32_t dial_attempt;      /* tells a current dial from one we gave up on */
    sim_time dial_started;
    bool has_queue;             /* a send queue exists (we have sent to this peer) */
    bool queued;
    struct zab_vote queued_vote;
    bool has_last_sent;         /* lastMessageSent: resent on every new connection */
    struct zab_vote last_sent;
};

struct zab_election {
    int64_t logicalclock;
    struct zab_vote proposal;
    struct zab_vote *recvset;      /* by sid; state LOOKING marks "none" via have_recv */
    bool *have_recv;
    struct zab_vote *outofelection;
    bool *have_out;
    sim_time not_timeout;          /* notification wait, 200 ms doubling to 60 s */
    bool finalizing;               /* quorum reached: waiting finalizeWait for better votes */
    bool active;                   /* lookForLeader is running */
    GArray *loopback;              /* notifications to self, waiting to be processed */
};

/* ---- leader ----------------------------------------------------------------------------- */

enum lh_phase {
    ZAB_LH_WAIT_INFO = 1,   /* connected; waiting FOLLOWERINFO */
    ZAB_LH_WAIT_EPOCH,      /* waiting for the leader to fix the new epoch */
    ZAB_LH_WAIT_ACKEPOCH,   /* LEADERINFO sent */
    ZAB_LH_WAIT_ELECTION,   /* ACKEPOCH counted; waiting for a quorum of them */
    ZAB_LH_WAIT_NEWLEADER_ACK, /* sync packets and NEWLEADER sent */
    ZAB_LH_WAIT_STARTUP,    /* NEWLEADER acked; waiting for the leader to start serving */
    ZAB_LH_BROADCAST,       /* UPTODATE sent */
};

struct zab_learner_handler {
    uint32_t id;                 /* unique per leader: names its timer */
    conn_id conn;
    uint32_t sid;
    enum lh_phase phase;
    int64_t last_accepted_epoch;
    int64_t peer_current_epoch;  /* from ACKEPOCH, -1 when not an epoch ack */
    int64_t peer_last_zxid;
    int64_t tick_of_next_ack_deadline;
    sim_time last_heard;
    sim_time read_timeout;
    bool forwarding;             /* receives broadcast PROPOSAL/COMMIT */
    sim_time oldest_unacked_ns;  /* SyncLimitCheck: first proposal sent and not yet acked */
    int64_t oldest_unacked_zxid;
};

struct zab_proposal {
    struct zab_txn txn;
    uint64_t acks;           /* bit sid-1 */
    sim_time proposed_ns;
};

enum leader_stage {
    ZAB_LS_LOADING = 1,     /* zk.loadData() and its snapshot: learners are refused */
    ZAB_LS_EPOCH,           /* collecting FOLLOWERINFO (getEpochToPropose) */
    ZAB_LS_WRITING_ACCEPTED, /* acceptedEpoch fsync in flight (D1) */
    ZAB_LS_EPOCH_ACK,       /* collecting ACKEPOCH (waitForEpochAck) */
    ZAB_LS_WRITING_CURRENT, /* currentEpoch fsync in flight (D5) */
    ZAB_LS_NEWLEADER_ACK,   /* collecting NEWLEADER acks (waitForNewLeaderAck) */
    ZAB_LS_BROADCAST,
};

struct zab_leader {
    enum leader_stage stage;
    int64_t epoch;                 /* the epoch being established (-1 until fixed) */
    int64_t leader_current_epoch;  /* StateSummary at lead() start */
    int64_t leader_last_zxid;
    uint64_t connecting;           /* sids that sent FOLLOWERINFO (bit sid-1) */
    uint64_t electing;             /* sids whose ACKEPOCH counted */
    uint64_t newleader_acks;
    GPtrArray *handlers;           /* struct zab_learner_handler *, in accept order */
    uint32_t next_handler_id;
    GArray *outstanding;           /* struct zab_proposal, in zxid order */
    uint64_t applied;              /* txns[0, applied) are in the data tree (committedLog) */
    int64_t last_processed;        /* data tree's lastProcessedZxid */
    int64_t last_proposed;
    int64_t last_committed;
    int64_t tick;
    bool tick_skip;
    /* the data model, from establishment on */
    struct zab_tree *prepared;     /* the tree with every proposed txn: where requests are
                                      prepared (PrepRequestProcessor's outstandingChanges) */
    GArray *sessions;              /* struct zab_tracked_session, by id: the session tracker */
};

/* A session the leader tracks (SessionTrackerImpl + ExpiryQueue). */
struct zab_tracked_session {
    int64_t session;
    int64_t timeout_ns;
    sim_time expire_at;  /* the end of its expiry bucket: a multiple of tickTime */
    bool closing;        /* closeSession proposed */
};

/* ---- learner ---------------------------------------------------------------------------- */

enum learner_stage {
    ZAB_FS_CONNECTING = 1,   /* dialling the leader (up to 5 tries) */
    ZAB_FS_WAIT_LEADERINFO,  /* FOLLOWERINFO sent */
    ZAB_FS_WRITING_ACCEPTED, /* acceptedEpoch fsync before ACKEPOCH (D2) */
    ZAB_FS_SYNCING,          /* between ACKEPOCH and NEWLEADER */
    ZAB_FS_PERSISTING,       /* NEWLEADER: log fsync (D3) then currentEpoch (D4) in flight */
    ZAB_FS_WAIT_UPTODATE,    /* NEWLEADER acked */
    ZAB_FS_BROADCAST,
};

enum sync_mode { ZAB_SYNC_NONE = 0, ZAB_SYNC_DIFF, ZAB_SYNC_TRUNC, ZAB_SYNC_SNAP };

struct zab_learner {
    enum learner_stage stage;
    uint32_t leader_sid;
    conn_id conn;
    int connect_tries;
    sim_time connect_started;
    int64_t new_epoch;
    int64_t ackepoch_payload;   /* currentEpoch to report once acceptedEpoch is durable */
    enum sync_mode mode;
    GArray *snap_base;          /* SNAP: the leader's state, in memory until NEWLEADER */
    GArray *packets_not_logged; /* struct zab_txn: proposals received during sync */
    GArray *packets_committed;  /* int64 zxids committed while not yet applied */
    GArray *backlog;            /* struct zab_msg * held while persisting at NEWLEADER */
    GArray *pending_txns;       /* int64 zxids proposed in broadcast, not yet committed */
    uint64_t newleader_len;     /* history length when NEWLEADER was acked: committed at UPTODATE */
    bool epoch_before_log;      /* variants zk-4643, zk-4646: the log's fsync waits for
                                 * currentEpoch */
    int64_t last_ack_zxid;      /* the latest ACK sent in broadcast: they go in zxid order */
    sim_time last_heard;
    sim_time read_timeout;
    GArray *touched;            /* int64 sessions of local clients heard from since the last
                                   PING (LearnerSessionTracker's touch table), sorted */
};

/* ---- the server ------------------------------------------------------------------------- */

/* `count` records of the log file that sit between history entries at - 1 and at. */
struct zab_file_orphans {
    uint64_t at;
    uint64_t count;
};

struct zab_server {
    const struct zab_server_config *cfg;
    bool refused;               /* failed its startup sanity checks: stays out */
    /* durable state, as this process believes it is on disk */
    int64_t accepted_epoch;
    int64_t current_epoch;
    GArray *txns;               /* struct zab_txn: the history, in zxid order */
    uint64_t logged;            /* txns[0, logged) handed to the OS */
    /* struct zab_file_orphans, by position: records in the log file that are not in the
     * history (variants zk-2845 and zk-4712 only; always empty in the fixed code). One per
     * role that ended leaving some, merged when at the same place; a truncation at or
     * before one removes it. */
    GArray *file_orphans;
    /* logging pipeline (SyncRequestProcessor) */
    bool log_flushing;
    uint64_t log_batch_start, log_batch_end;
    uint32_t log_batch_role;
    /* delivery */
    uint64_t committed;         /* txns[0, committed) known committed */
    uint64_t delivered;         /* txns[0, delivered) given to this host's subscriber */
    /* role */
    enum zab_server_state state;
    enum zab_phase phase;
    uint32_t role;              /* bumped on every role change: stale timers are ignored */
    struct zab_vote current_vote;
    struct zab_election election;
    struct zab_leader *leader;
    struct zab_learner *learner;
    /* connections */
    GHashTable *conns;          /* conn_id -> struct zab_conn *; lookups only */
    struct zab_peer_channel *peers; /* by sid, [1, n_servers] */
    GHashTable *pending_writes; /* msg_id -> conn_id of the local client awaiting commit;
                                   at most ZAB_GLOBAL_OUTSTANDING_LIMIT */
    GQueue throttled;           /* struct zab_throttled *: requests read once below it */
    /* the data model (zab_data.c) */
    struct zab_tree *tree;      /* txns[0, delivered) applied */
    uint64_t delivered_msgs;    /* workload messages among txns[0, delivered): the seq of
                                   the subscriber's deliveries */
    GHashTable *session_conns;  /* session -> conn_id of a local data-model client */
    uint32_t sessions_made;     /* ids this incarnation handed out */
    GArray *fired;              /* struct zab_fired: scratch for zab_tree_apply */
};

/* A client's write request the server has not read yet (throttled). */
struct zab_throttled {
    conn_id conn;
    msg_id_t msg_id;
};

static inline uint64_t zab__outstanding_max(const struct zab_server *s)
{
    return (uint64_t)s->cfg->n_servers * ZAB_OUTSTANDING_PER_SERVER;
}

static inline uint64_t zab__learner_queue_max(const struct zab_server *s)
{
    return 2 * zab__outstanding_max(s) + ZAB_LEARNER_SLACK;
}

/* Token kinds (sim/proto.h proto_token): the generation is the server's role, the index a
 * sid or a learner handler id. */
enum zab_token_kind {
    ZAB_TOK_NOTIFY = 1,       /* FLE notification timeout */
    ZAB_TOK_FINALIZE,         /* FLE finalizeWait */
    ZAB_TOK_PEER_DIAL,        /* election connection attempt timeout (cnxTimeout), index sid */
    ZAB_TOK_LEADER_WAIT,      /* initLimit bound of the leader's current wait */
    ZAB_TOK_LEADER_TICK,      /* tickTime / 2 loop */
    ZAB_TOK_HANDLER_READ,     /* learner handler socket timeout, index sid */
    ZAB_TOK_LEARNER_CONNECT,  /* retry / timeout dialling the leader */
    ZAB_TOK_LEARNER_READ,     /* learner socket timeout */
    ZAB_TOK_DISK_LOG,         /* group fsync of the log */
    ZAB_TOK_DISK_ACCEPTED,    /* acceptedEpoch written */
    ZAB_TOK_DISK_CURRENT,     /* currentEpoch written */
    ZAB_TOK_DISK_SYNCLOG,     /* learner's NEWLEADER log fsync */
    ZAB_TOK_ELECTION_DIAL,    /* CONNECT token for an election dial, index sid */
    ZAB_TOK_LEADER_DIAL,      /* CONNECT token for the quorum dial */
    ZAB_TOK_LEADER_LOADED,    /* the new leader's database load and snapshot are done */
    ZAB_TOK_SESSION_EXPIRY,   /* the leader's next expiry bucket is due */
};

/* Quorum: a strict majority of the voting members. */
static inline bool zab__is_quorum(const struct zab_server *s, uint64_t members)
{
    return (uint32_t)__builtin_popcountll(members) * 2 > s->cfg->n_servers;
}
static inline uint64_t zab__bit(uint32_t sid)
{
    return 1ULL << (sid - 1);
}
static inline uint32_t zab__machine_of(const struct zab_server *s, uint32_t sid)
{
    return s->cfg->host_machines[sid - 1];
}
static inline int64_t zab__last_zxid(const struct zab_server *s)
{
    return s->txns->len ? g_array_index(s->txns, struct zab_txn, s->txns->len - 1).zxid : 0;
}
/* The operation of a data-model txn (zab.h's pool); NULL for a workload write. */
static inline const struct zab_op *zab__txn_op(const struct zab_server *s,
                                               const struct zab_txn *t)
{
    return zab_txn_is_data(t) ? zab_op_pool_get(s->cfg->ops, msg_id_seq(t->msg_id)) : NULL;
}

static inline const struct zab_txn *zab__txn_at(const struct zab_server *s, uint64_t i)
{
    return &g_array_index(s->txns, struct zab_txn, i);
}

/* zab_server.c */
void zab__set_state(struct zab_server *s, enum zab_server_state state, enum zab_phase phase,
                   int64_t epoch, struct proto_out *out);
void zab__become_looking(struct zab_server *s, const struct proto_env *env, struct proto_out *out);
void zab__deliver_committed(struct zab_server *s, struct proto_out *out);
void zab__truncate_history(struct zab_server *s, uint64_t keep, struct proto_out *out);
struct zab_conn *zab__conn_get(const struct zab_server *s, conn_id id);
struct zab_conn *zab__conn_add(struct zab_server *s, conn_id id, enum zab_conn_kind kind);
void zab__conn_drop(struct zab_server *s, conn_id id, bool close, struct proto_out *out);
void zab__close_clients(struct zab_server *s, struct proto_out *out);
bool zab__serving(const struct zab_server *s);
void zab__send(struct zab_server *s, conn_id conn, struct zab_msg *m, struct proto_out *out);

/* zab_logger.c */
void zab__log_enqueue(struct zab_server *s, const struct zab_txn *txn, struct proto_out *out);
void zab__log_step(struct zab_server *s, struct proto_out *out);
void zab__log_flush_all(struct zab_server *s, struct proto_out *out);
/* Variant zk-4712 at the end of a follower's role: queued proposals go to the log file but not
 * to the server's history (zab_logger.c). */
void zab__log_linger(struct zab_server *s, struct proto_out *out);
/* Variant zk-2845 at the end of a role: the history goes back to what was applied, the log
 * file keeps the rest (zab_logger.c). */
void zab__log_forget_unapplied(struct zab_server *s);
/* Cuts the log file after history entry keep - 1, orphans after it included. */
void zab__log_truncate(struct zab_server *s, uint64_t keep, struct proto_out *out);
/* Appends every txn not yet handed to the OS, outside the pipeline (learner sync). */
void zab__log_append_now(struct zab_server *s, struct proto_out *out);
void zab__log_on_synced(struct zab_server *s, uint64_t token, const struct proto_env *env,
                       struct proto_out *out);
void zab__write_accepted_epoch(struct zab_server *s, int64_t epoch, struct proto_out *out);
void zab__write_current_epoch(struct zab_server *s, int64_t epoch, struct proto_out *out);
void zab__recover(struct zab_server *s, const struct disk *disk);

/* zab_election.c */
void zab__election_init(struct zab_server *s);
void zab__election_free(struct zab_server *s);
void zab__election_start(struct zab_server *s, const struct proto_env *env, struct proto_out *out);
void zab__election_on_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                         const struct proto_env *env, struct proto_out *out);
void zab__election_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                           struct proto_out *out);
void zab__election_on_conn_up(struct zab_server *s, const struct proto_input *in,
                             const struct proto_env *env, struct proto_out *out);
void zab__election_on_conn_lost(struct zab_server *s, struct zab_conn *c, struct proto_out *out);
void zab__election_on_dial_failed(struct zab_server *s, uint32_t index);
void zab__election_drain_loopback(struct zab_server *s, const struct proto_env *env,
                                 struct proto_out *out);

/* zab_leader.c */
void zab__lead(struct zab_server *s, const struct proto_env *env, struct proto_out *out);
void zab__leader_free(struct zab_server *s);
void zab__leader_on_accept(struct zab_server *s, conn_id conn, const struct proto_env *env,
                          struct proto_out *out);
void zab__leader_on_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                       const struct proto_env *env, struct proto_out *out);
void zab__leader_on_conn_lost(struct zab_server *s, struct zab_conn *c,
                             const struct proto_env *env, struct proto_out *out);
void zab__leader_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                         struct proto_out *out);
void zab__leader_on_disk(struct zab_server *s, uint64_t token, const struct proto_env *env,
                        struct proto_out *out);
void zab__leader_self_ack(struct zab_server *s, int64_t zxid, const struct proto_env *env,
                         struct proto_out *out);
void zab__leader_propose(struct zab_server *s, msg_id_t msg_id, const struct proto_env *env,
                        struct proto_out *out);
/* Proposes txn (its zxid is set here); false when the leader cannot (not broadcasting, or
 * at its outstanding bound). */
bool zab__leader_propose_txn(struct zab_server *s, struct zab_txn *txn,
                             const struct proto_env *env, struct proto_out *out);

/* zab_sync.c: queues and sends the learner's synchronization (DIFF/TRUNC/SNAP, missing
 * committed proposals, then outstanding ones) and starts forwarding broadcast to it. */
void zab__sync_learner(struct zab_server *s, struct zab_learner_handler *h,
                      const struct proto_env *env, struct proto_out *out);

/* zab_learner.c */
void zab__follow(struct zab_server *s, uint32_t leader_sid, const struct proto_env *env,
                struct proto_out *out);
void zab__learner_free(struct zab_server *s);
void zab__learner_on_conn_up(struct zab_server *s, const struct proto_input *in,
                            const struct proto_env *env, struct proto_out *out);
void zab__learner_on_dial_failed(struct zab_server *s, uint64_t token, const struct proto_env *env,
                                struct proto_out *out);
void zab__learner_on_msg(struct zab_server *s, const struct zab_msg *m,
                        const struct proto_env *env, struct proto_out *out);
void zab__learner_on_conn_lost(struct zab_server *s, const struct proto_env *env,
                              struct proto_out *out);
void zab__learner_on_timer(struct zab_server *s, uint64_t token, const struct proto_env *env,
                          struct proto_out *out);
void zab__learner_on_disk(struct zab_server *s, uint64_t token, const struct proto_env *env,
                         struct proto_out *out);
void zab__learner_send_ack(struct zab_server *s, int64_t zxid, struct proto_out *out);
void zab__learner_forward(struct zab_server *s, msg_id_t msg_id, struct proto_out *out);
/* Asks the leader to revalidate the session of local client connection `client`. */
void zab__learner_revalidate(struct zab_server *s, conn_id client, struct proto_out *out);
/* zab_server.c: the leader answered a REVALIDATE for local client connection `client`. */
void zab__session_validated(struct zab_server *s, conn_id client, struct proto_out *out);

/* zab_data.c: ZooKeeper's data model on a server: sessions, znode operations, watches. */
/* A data-model client's message on a client connection (SESSION_REQ, OP_REQ, SET_WATCHES). */
void zab__data_on_client_msg(struct zab_server *s, struct zab_conn *c, const struct zab_msg *m,
                             const struct proto_env *env, struct proto_out *out);
/* Applies committed txn t to the tree: answers the local client that asked, fires watches. */
void zab__data_apply(struct zab_server *s, const struct zab_txn *t, struct proto_out *out);
/* The history was cut below what was applied: the tree is built again from the history. */
void zab__data_rebuild(struct zab_server *s);
/* A client connection closes: its watches go, its session stays (until it expires). */
void zab__data_conn_closed(struct zab_server *s, const struct zab_conn *c);
/* A client of this server was heard from: a learner notes the touch for its next PING. */
void zab__data_touch(struct zab_server *s, int64_t session, const struct proto_env *env);
/* The leader answered a REVALIDATE of a data-model session. */
void zab__data_session_revalidated(struct zab_server *s, conn_id client, int64_t session,
                                   bool valid, struct proto_out *out);
void zab__data_init(struct zab_server *s);
void zab__data_free(struct zab_server *s);

/* zab_sessions.c: the leader's session tracker and request preparation. */
void zab__sessions_start(struct zab_server *s, const struct proto_env *env,
                         struct proto_out *out);
void zab__sessions_free(struct zab_leader *l);
/* Touches session now (a request or ping reached the leader, or a learner's PING listed
 * it); false when the leader does not track it or is closing it (it has expired). */
bool zab__sessions_touch(struct zab_server *s, int64_t session, const struct proto_env *env);
void zab__sessions_on_timer(struct zab_server *s, const struct proto_env *env,
                            struct proto_out *out);
/* The closeSession of session is applied: the tracker forgets it. */
void zab__sessions_closed(struct zab_server *s, int64_t session);
/* Prepares request req (a data-model write) and proposes the resulting txn. */
void zab__leader_propose_op(struct zab_server *s, const struct zab_op *req,
                            const struct proto_env *env, struct proto_out *out);
/* A learner forwards a data-model request to the leader. */
void zab__learner_forward_op(struct zab_server *s, const struct zab_op *req,
                             struct proto_out *out);
/* Asks the leader whether a data-model session is still valid. */
void zab__learner_revalidate_session(struct zab_server *s, conn_id client, int64_t session,
                                     struct proto_out *out);

#endif
