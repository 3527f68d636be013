/* zab.h: ZooKeeper's atomic broadcast (ZAB) as pure state machines (sim/proto.h).
 *
 * Two node kinds:
 *   - zab_server_ops: a member of the ensemble, one per host. It runs Fast Leader Election,
 *     then as leader or learner the discovery, synchronization and broadcast phases of
 *     ZooKeeper 3.9 (Leader, LearnerHandler, Learner, Follower), keeps its durable state on
 *     the host's disk (transaction log, acceptedEpoch, currentEpoch), acks a proposal only
 *     after its log fsync, and delivers committed transactions, in zxid order, to its host's
 *     subscriber (TRACE_DELIVERY). It serves clients on ZAB_PORT_CLIENT while in BROADCAST.
 *   - zab_client_ops: a ZooKeeper client (c1..cM) that knows every server, writes each
 *     workload message, and reconnects elsewhere when its server fails it, reporting the
 *     outcome a real client would (acked, or timeout for CONNECTIONLOSS).
 * docs/zab-model.md says what is modelled, from which ZooKeeper sources, and what is simplified. */
#ifndef PROTOCOL_ZAB_H
#define PROTOCOL_ZAB_H

#include "sim/dist.h"
#include "sim/oracle.h"
#include "sim/proto.h"
#include "protocol/zab/zab_tree.h"

/* ---- the model's vocabulary in trace records ------------------------------------------ */

/* Ports, as ZooKeeper's sample configuration numbers them. */
#define ZAB_PORT_CLIENT 2181   /* clientPort */
#define ZAB_PORT_QUORUM 2888   /* learner <-> leader */
#define ZAB_PORT_ELECTION 3888 /* fast leader election */

/* A server's state (TRACE_STATE state; 0 is TRACE_STATE_DOWN). */
enum zab_server_state {
    ZAB_STATE_DOWN = TRACE_STATE_DOWN,
    ZAB_STATE_LOOKING,
    ZAB_STATE_FOLLOWING,
    ZAB_STATE_LEADING,
    ZAB_STATE_COUNT
};

/* The phase of a server's current role (TRACE_STATE phase; 0 is TRACE_PHASE_NONE: down). */
enum zab_phase {
    ZAB_PHASE_NONE = TRACE_PHASE_NONE,
    ZAB_PHASE_ELECTION,
    ZAB_PHASE_DISCOVERY,
    ZAB_PHASE_SYNCHRONIZATION,
    ZAB_PHASE_BROADCAST,
    ZAB_PHASE_COUNT
};

/* The model's own records (TRACE_EVENT type), one table each in the results database. */
enum zab_event {
    ZAB_EVENT_PROPOSAL = 1, /* the leader (host) proposed: a = epoch, b = zxid, msg_id */
    ZAB_EVENT_COMMIT,       /* the leader (host) committed: b = zxid */
    ZAB_EVENT_TRUNCATE,     /* a server removed a log entry: b = zxid, msg_id, flag = this
                               incarnation had delivered it */
    ZAB_EVENT_NEWLEADER_ACK, /* the leader (host) counted an ACK of its NEWLEADER: a = epoch,
                                b = the acknowledging server's id (its host index + 1) */
    ZAB_EVENT_COUNT
};

/* "LOOKING", "BROADCAST", ...; NULL for ZAB_PHASE_NONE and out-of-range values. */
const char *zab_state_name(enum zab_server_state s);
const char *zab_phase_name(enum zab_phase p);
/* "PROPOSAL", "ACK", ...: the wire message types, as ZooKeeper names them; "?" otherwise. */
const char *zab_msg_type_name(uint8_t type);

/* Host disk files used by a ZAB server. */
enum zab_disk_file {
    ZAB_FILE_LOG = 0,            /* transaction log: struct zab_txn records */
    ZAB_FILE_ACCEPTED_EPOCH = 1, /* int64 */
    ZAB_FILE_CURRENT_EPOCH = 2,  /* int64 */
};

/* One transaction: the unit of the log and of a proposal, 16 bytes, written to disk as it
 * is. A workload write carries its msg_id. A session or znode transaction of the data
 * model carries msg_id_make(0, N), no client being numbered 0: its operation is the N-th of
 * the run's operation pool (below), which stands for the bytes ZooKeeper's txn carries, so
 * the workload's transactions, copied into every log, proposal and SNAP, stay small. */
struct zab_txn {
    int64_t zxid;
    msg_id_t msg_id;
};

static inline bool zab_txn_is_data(const struct zab_txn *t)
{
    return t->msg_id != MSG_ID_NONE && msg_id_client(t->msg_id) == 0;
}

/* The msg_id a data-model transaction shows in the model's PROPOSAL records, the proposals
 * table and message headers, "c0:1" (the oracle takes MSG_ID_NONE for "never proposed").
 * Such txns are never delivered. */
#define ZAB_DATA_TXN_MSG_ID msg_id_make(0, 1)

static inline msg_id_t zab_txn_record_id(const struct zab_txn *t)
{
    return zab_txn_is_data(t) ? ZAB_DATA_TXN_MSG_ID : t->msg_id;
}

/* The operations of a run's data-model transactions, shared by its servers (their config):
 * append-only, an operation never changes once added, and a server only looks up the id of
 * a transaction it received or made, so what a node knows still arrives by its inputs.
 * It grows with the data-model transactions the leaders propose (recipes only; never for
 * the workload); ids are 32-bit, asserted. */
struct zab_op_pool;
struct zab_op_pool *zab_op_pool_new(void);
void zab_op_pool_free(struct zab_op_pool *pool);
/* Adds a copy of op; returns its id (1, 2, ...): the seq of its txns' msg_id. */
uint32_t zab_op_pool_add(struct zab_op_pool *pool, const struct zab_op *op);
const struct zab_op *zab_op_pool_get(const struct zab_op_pool *pool, uint32_t id);

static inline int64_t zxid_make(int64_t epoch, int64_t counter)
{
    return (epoch << 32) | (counter & 0xffffffffLL);
}
static inline int64_t zxid_epoch(int64_t zxid)
{
    return zxid >> 32;
}
static inline int64_t zxid_counter(int64_t zxid)
{
    return zxid & 0xffffffffLL;
}

/* ZooKeeper's defaults: ZKDatabase.commitLogCount and the txn-log sync bound
 * (zookeeper.snapshotSizeFactor). */
#define ZAB_COMMIT_LOG_COUNT_DEFAULT 500
#define ZAB_SNAPSHOT_SIZE_FACTOR_DEFAULT 0.33

/* Real ZooKeeper bugs, each switched back on by the smallest change to the fixed code that
 * reproduces the original defect (docs/bugs.md). ZAB_VARIANT_NONE: the fixed code. */
enum zab_variant {
    ZAB_VARIANT_NONE = 0,
    ZAB_VARIANT_ZK_1154, /* DIFF sent to a learner holding a proposal the leader lacks */
    ZAB_VARIANT_ZK_2845, /* a server leaving a role advertises its last applied zxid */
    ZAB_VARIANT_ZK_3911, /* the synced txns logged only after UPTODATE */
    ZAB_VARIANT_ZK_4643, /* currentEpoch made durable before the synced txns */
    ZAB_VARIANT_ZK_4646, /* ACK(NEWLEADER) sent before the synced txns are fsynced */
    ZAB_VARIANT_ZK_4712, /* a follower's log thread outlives its role */
    ZAB_VARIANT_COUNT
};

/* "zk-4646"; "none" for ZAB_VARIANT_NONE; NULL out of range. */
const char *zab_variant_name(enum zab_variant v);
/* The variant of that name ("none" included), or -1. */
int zab_variant_find(const char *name);

struct zab_server_config {
    uint32_t sid;                  /* this server's id = host index + 1 */
    uint32_t n_servers;            /* ensemble size; server i (1-based) is on host i - 1 */
    const uint32_t *host_machines; /* machine of every host, by host index */
    sim_time tick;                 /* tickTime */
    uint32_t init_limit;           /* ticks */
    uint32_t sync_limit;           /* ticks */
    uint32_t max_batch;            /* proposals per group fsync */
    uint32_t commit_log_count;     /* committedLog window (ZooKeeper default 500) */
    double snapshot_size_factor;   /* txn-log sync bound (ZooKeeper default 0.33) */
    uint32_t payload_bytes;        /* per transaction, for wire sizes */
    /* How long a new leader takes to load its database and take a snapshot (Leader.lead():
     * zk.loadData() then takeSnapshot) before its LearnerCnxAcceptor starts; drawn from the
     * server's own stream each time it leads. NULL or fixed 0: the port opens at once. */
    const struct dist *leader_load;
    enum zab_variant variant;      /* a known bug switched on; NONE: the fixed code */
    struct zab_op_pool *ops;       /* the run's data-model operations (shared) */
};

struct zab_client_config {
    uint32_t client;               /* 1-based client number */
    uint32_t home_host;            /* host index it connects to first */
    uint32_t n_hosts;
    const uint32_t *host_machines;
    sim_time session_timeout;
    uint32_t payload_bytes;
    bool c_library;                /* the C client's reconnect timers instead of Java's */
};

/* PROTO_IN_CLIENT_OP payload for a ZAB client: write one workload message. */
struct zab_write_op {
    msg_id_t msg_id;
};

/* A coordination recipe's client (zab_recipe.c): an application on a client machine that
 * takes a lock (or leads) with ZooKeeper's recipe, through a session of its own, and
 * writes to the protected resource (sim/resource.h) while it believes it holds. */
enum zab_recipe_kind {
    ZAB_RECIPE_LOCK = 0,    /* Curator's InterProcessMutex */
    ZAB_RECIPE_ELECTION,    /* LeaderSelector: the mutex, held until the leader resigns */
    ZAB_RECIPE_REGISTRY,    /* curator-x-discovery: ephemeral instances, a watched cache */
};

struct zab_recipe_config {
    uint32_t client;               /* 1-based */
    uint8_t recipe;                /* index in the scenario's recipes */
    uint8_t kind;                  /* enum zab_recipe_kind */
    uint32_t home_host;            /* host index it connects to first */
    uint32_t n_hosts;
    const uint32_t *host_machines;
    uint32_t resource_machine;
    sim_time session_timeout;      /* requested; the server clamps it to [2, 20] ticks */
    sim_time hold;                 /* lock: held this long, then released; election: the
                                      leader resigns after it (0: never) */
    sim_time work_every;           /* a holder's writes to the resource */
    sim_time start;                /* the application starts this long after its process */
};

extern const struct proto_ops zab_server_ops;
extern const struct proto_ops zab_client_ops;
extern const struct proto_ops zab_recipe_ops;

/* Whether a recipe client believes it holds the lock (or leads) now. */
bool zab_recipe_holding(const void *recipe_client);

/* The ZAB invariants over the trace (zab_oracle.c; docs/database.md lists them). */
extern const struct oracle_ops zab_oracle_ops;

/* Read-only views of a live server, for the simulation world and for tests. */
enum zab_server_state zab_server_state(const void *server);
enum zab_phase zab_server_phase(const void *server);
int64_t zab_server_current_epoch(const void *server);

#endif
