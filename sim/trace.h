/* trace.h: the typed records a run produces, and the recorder interface they go through.
 *
 * The simulator core and the protocol nodes emit these records without knowing where they
 * end up; the results database (reports/db.c) is one recorder, the determinism digest
 * another. The simulator stamps time, host and incarnation on records that nodes emit, so a
 * node never needs to know the time it ran at.
 *
 * Strings in records are borrowed for the duration of the record() call only. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include "sim/zs.h"

/* The two models compared by zabsim (CONTRACT.md section 4, column `model`). */
enum sim_model {
    MODEL_ZAB = 0,
    MODEL_PUBSUB = 1,
    MODEL_COUNT
};

const char *sim_model_name(enum sim_model m);

/* A client message's identity, the same in both models: client number (1-based) and that
 * client's sequence number (1-based). Printed as "c<client>:<seq>". */
typedef int64_t msg_id_t;
#define MSG_ID_NONE ((msg_id_t)0)
static inline msg_id_t msg_id_make(uint32_t client, uint32_t seq)
{
    return ((int64_t)client << 32) | seq;
}
static inline uint32_t msg_id_client(msg_id_t id)
{
    return (uint32_t)(id >> 32);
}
static inline uint32_t msg_id_seq(msg_id_t id)
{
    return (uint32_t)(id & 0xffffffffu);
}
/* Writes "c3:17" into buf (at least 24 bytes). */
void msg_id_format(msg_id_t id, char *buf, size_t len);

enum zab_server_state {
    ZAB_STATE_DOWN = 0,
    ZAB_STATE_LOOKING,
    ZAB_STATE_FOLLOWING,
    ZAB_STATE_LEADING,
};

enum zab_phase {
    ZAB_PHASE_NONE = 0, /* NULL in the database: the server is down */
    ZAB_PHASE_ELECTION,
    ZAB_PHASE_DISCOVERY,
    ZAB_PHASE_SYNCHRONIZATION,
    ZAB_PHASE_BROADCAST,
};

const char *zab_state_name(enum zab_server_state s);
const char *zab_phase_name(enum zab_phase p); /* NULL for ZAB_PHASE_NONE */

enum submission_outcome {
    OUTCOME_PENDING = 0,
    OUTCOME_ACKED,
    OUTCOME_REJECTED,
    OUTCOME_TIMEOUT,
};

const char *outcome_name(enum submission_outcome o);

/* Why a message did not reach a subscriber it was meant for (table `drops`). */
enum drop_cause {
    DROP_NO_INTEREST = 0,
    DROP_BROKER_DOWN,
    DROP_ROUTE_DOWN,
    DROP_CONNECTION_CLOSED,
    DROP_SLOW_CONSUMER,
    DROP_RECONNECT_BUFFER_FULL,
    DROP_PUBLISHER_DISCONNECTED,
    DROP_CAUSE_COUNT
};

const char *drop_cause_name(enum drop_cause c);

enum fault_kind {
    FAULT_CRASH = 0,
    FAULT_POWER_OFF,
    FAULT_RESTART,
    FAULT_PARTITION,
    FAULT_ISOLATE,
    FAULT_HEAL,
    FAULT_PAUSE,
    FAULT_SLOW_LINK,
    FAULT_SLOW_DISK,
    FAULT_KIND_COUNT
};

const char *fault_kind_name(enum fault_kind k);

enum trace_kind {
    TRACE_HOST_STATE = 1, /* ZAB server state or phase change */
    TRACE_SUBMISSION,     /* client offered a message to a model */
    TRACE_OUTCOME,        /* a submission's outcome became known */
    TRACE_PROPOSAL,       /* ZAB leader proposed a transaction */
    TRACE_COMMIT,         /* ZAB leader committed a transaction */
    TRACE_DELIVERY,       /* a host's subscriber received a message */
    TRACE_DROP,           /* a message missed a subscriber it was meant for */
    TRACE_FAULT,          /* the simulator applied a fault */
    TRACE_MESSAGE,        /* a network message arrived or was lost (optional log) */
    TRACE_TRUNCATE,       /* ZAB server removed a log entry (for durability checks) */
    TRACE_KIND_COUNT
};

/* Network message disposition (table `messages`, lost_reason). */
enum msg_loss {
    LOSS_NONE = 0,          /* arrived */
    LOSS_PARTITION,         /* the path was cut while it was in flight */
    LOSS_RECEIVER_DOWN,     /* the receiving process died or its machine stopped */
    LOSS_SENDER_POWER_OFF,  /* it sat in the sender's buffers when the machine stopped */
    LOSS_CONNECTION_CLOSED, /* the receiver had already closed the connection */
};

const char *msg_loss_name(enum msg_loss l);

struct trace_rec {
    enum trace_kind kind;
    sim_time t_ns;        /* stamped by the simulator */
    int32_t host;         /* host index (0-based), -1 when not host-bound; stamped */
    uint32_t incarnation; /* host incarnation; stamped */
    union {
        struct {
            enum zab_server_state state;
            enum zab_phase phase;
            int64_t epoch; /* acceptedEpoch in discovery, currentEpoch otherwise */
        } host_state;
        struct {
            enum sim_model model;
            msg_id_t msg_id;
            uint32_t client; /* 1-based */
            int32_t host;    /* host the client was attached to, -1 when none */
        } submission;
        struct {
            enum sim_model model;
            msg_id_t msg_id;
            enum submission_outcome outcome;
        } outcome;
        struct {
            int64_t epoch;
            int64_t zxid;
            msg_id_t msg_id;
        } proposal; /* leader = host */
        struct {
            int64_t zxid;
        } commit; /* at the leader = host */
        struct {
            enum sim_model model;
            uint64_t seq;
            msg_id_t msg_id;
            int64_t zxid;  /* -1 for pub/sub */
            bool replayed; /* filled in by the simulator from the host's earlier deliveries */
        } delivery;
        struct {
            enum sim_model model;
            msg_id_t msg_id;
            enum drop_cause cause;
            int32_t meant_for; /* host whose subscriber missed it */
        } drop;
        struct {
            enum fault_kind kind;
            const char *target; /* resolved host names, comma separated */
            const char *detail;
        } fault;
        struct {
            enum sim_model model;
            const char *type;
            const char *src, *dst; /* node names */
            sim_time sent_ns;
            sim_time recv_ns; /* -1 when lost */
            enum msg_loss loss;
            msg_id_t msg_id;
        } message;
        struct {
            int64_t zxid;     /* the removed log entry */
            msg_id_t msg_id;
            bool delivered;   /* this incarnation had delivered it to its subscriber */
        } truncate; /* one record per entry removed from a ZAB server's log */
    } u;
};

/* Where records go. record() must copy whatever it keeps. */
struct recorder {
    void (*record)(void *ctx, const struct trace_rec *r);
    void *ctx;
};

/* Stable 64-bit digest of a record's content (never of pointers), for determinism tests. */
uint64_t trace_rec_digest(const struct trace_rec *r, uint64_t running);

#endif
