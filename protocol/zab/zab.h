/* zab.h: ZooKeeper's atomic broadcast (ZAB) as pure state machines (protocol/proto.h).
 *
 * Two node kinds:
 *   - zab_server_ops: a member of the ensemble, one per host. It runs Fast Leader Election,
 *     then as leader or learner the discovery, synchronization and broadcast phases of
 *     ZooKeeper 3.9 (Leader, LearnerHandler, Learner, Follower), keeps its durable state on
 *     the host's disk (transaction log, acceptedEpoch, currentEpoch), acks a proposal only
 *     after its log fsync, and delivers committed transactions, in zxid order, to its host's
 *     subscriber (TRACE_DELIVERY). It serves clients on PORT_ZAB_CLIENT while in BROADCAST.
 *   - zab_client_ops: a ZooKeeper client (c1..cM) that knows every server, writes each
 *     workload message, and reconnects elsewhere when its server fails it, reporting the
 *     outcome a real client would (acked, or timeout for CONNECTIONLOSS).
 * ../shared/reference/ZAB.md is the reference; docs/zab-model.md says what is modelled. */
#ifndef PROTOCOL_ZAB_H
#define PROTOCOL_ZAB_H

#include "protocol/proto.h"

/* Host disk files used by a ZAB server. */
enum zab_disk_file {
    ZAB_FILE_LOG = 0,            /* transaction log: struct zab_txn records */
    ZAB_FILE_ACCEPTED_EPOCH = 1, /* int64 */
    ZAB_FILE_CURRENT_EPOCH = 2,  /* int64 */
};

/* One transaction: the unit of the log and of a proposal. */
struct zab_txn {
    int64_t zxid;
    msg_id_t msg_id;
};

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
};

struct zab_client_config {
    uint32_t client;               /* 1-based client number */
    uint32_t home_host;            /* host index it connects to first */
    uint32_t n_hosts;
    const uint32_t *host_machines;
    sim_time session_timeout;
    uint32_t payload_bytes;
};

/* PROTO_IN_CLIENT_OP payload for a ZAB client: write one workload message. */
struct zab_write_op {
    msg_id_t msg_id;
};

extern const struct proto_ops zab_server_ops;
extern const struct proto_ops zab_client_ops;

/* Read-only views of a live server, for the simulation world and for tests. */
enum zab_server_state zab_server_state(const void *server);
enum zab_phase zab_server_phase(const void *server);
int64_t zab_server_current_epoch(const void *server);

#endif
