/* trace.h: the model-neutral records a run produces, and the recorder interface they go
 * through.
 *
 * The simulator core and the protocol nodes emit these records without knowing where they
 * end up: the results database is one recorder, the invariant oracles and the determinism
 * digest are others. The simulator stamps time, host, incarnation and model on every record
 * a node emits, so a node never needs to know when it ran or which model it belongs to.
 *
 * Nothing here names a protocol. A model gives meaning to the small integers it puts in a
 * record (its states and phases, its drop causes, its own event types) and names them
 * through its descriptor in the assembly layer (world/model.h).
 *
 * Strings in records are borrowed for the duration of the record() call only. */
#ifndef SIM_TRACE_H
#define SIM_TRACE_H

#include "sim/zs.h"

/* Which model a record or message belongs to: the model's position in the assembly layer's
 * registry. The simulator copies it from the node that emitted the record and never reads
 * it. */
typedef uint8_t model_id;
#define MODEL_ID_NONE ((model_id)0xff)

/* A client message's identity, the same in every model: client number (1-based) and that
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

/* A log position's identifier in a replicated log (ZAB's zxid); TRACE_NO_LOG_ID for models
 * without one. */
#define TRACE_NO_LOG_ID ((int64_t)-1)

/* State 0 of every model with states: the host's process is down. */
#define TRACE_STATE_DOWN 0
/* Phase 0: none (the host is down, or the model has no phases). */
#define TRACE_PHASE_NONE 0

enum outcome {
    TRACE_OUTCOME_PENDING = 0,
    TRACE_OUTCOME_ACKED,
    TRACE_OUTCOME_REJECTED,
    TRACE_OUTCOME_TIMEOUT,
};

const char *outcome_name(enum outcome o);

enum fault_kind {
    TRACE_FAULT_CRASH = 0,
    TRACE_FAULT_POWER_OFF,
    TRACE_FAULT_RESTART,
    TRACE_FAULT_PARTITION,
    TRACE_FAULT_ISOLATE,
    TRACE_FAULT_HEAL,
    TRACE_FAULT_PAUSE,
    TRACE_FAULT_SLOW_LINK,
    TRACE_FAULT_SLOW_DISK,
    TRACE_FAULT_KIND_COUNT
};

const char *fault_kind_name(enum fault_kind k);

enum trace_kind {
    TRACE_STATE = 1,  /* a host's state, phase or epoch changed, in its model */
    TRACE_SUBMISSION, /* a client offered a message to a model */
    TRACE_OUTCOME,    /* a submission's outcome became known */
    TRACE_DELIVERY,   /* a host's subscriber received a message */
    TRACE_DROP,       /* a message missed a subscriber it was meant for */
    TRACE_FAULT,      /* the simulator applied a fault (model MODEL_ID_NONE) */
    TRACE_MESSAGE,    /* a network message arrived or was lost (optional log) */
    TRACE_EVENT,      /* a model's own event, typed by the model (ZAB: a proposal) */
    TRACE_LOST,       /* the network lost a message carrying a client message (always
                       * emitted; the assembly layer turns it into the model's TRACE_DROP
                       * or discards it) */
    TRACE_HOST_LIFE,  /* a host's machine started, stopped or restarted (assembly layer) */
    TRACE_CLIENT,     /* a client's connection to the model came up or went down */
    TRACE_HOLD,       /* a coordination recipe's client began or stopped believing it holds
                       * the lock (or leads) */
    TRACE_RESOURCE,   /* a protected resource accepted or refused a holder's write */
    TRACE_VIEW,       /* a registry recipe's observer began or stopped listing an instance */
    TRACE_KIND_COUNT
};

/* Network message disposition (table `messages`, lost_reason). */
enum msg_loss {
    TRACE_LOSS_NONE = 0,          /* arrived */
    TRACE_LOSS_PARTITION,         /* the path was cut while it was in flight */
    TRACE_LOSS_RECEIVER_DOWN,     /* the receiving process died or its machine stopped */
    TRACE_LOSS_SENDER_POWER_OFF,  /* it sat in the sender's buffers when the machine stopped */
    TRACE_LOSS_CONNECTION_CLOSED, /* the receiver had already closed the connection */
};

const char *msg_loss_name(enum msg_loss l);

/* Why a recipe client's belief began or ended (TRACE_HOLD reason). */
enum hold_reason {
    HOLD_ACQUIRED = 0, /* the recipe says it holds: lowest node, a won create, ... */
    HOLD_RELEASED,     /* it let go after `hold` */
    HOLD_SUSPENDED,    /* its connection was lost (ZooKeeper: Disconnected) */
    HOLD_EXPIRED,      /* its session expired, or it learnt it no longer holds */
    HOLD_REASON_COUNT
};

const char *hold_reason_name(enum hold_reason r);

struct trace_rec {
    enum trace_kind kind;
    model_id model;       /* stamped by the simulator for records nodes emit */
    sim_time t_ns;        /* stamped by the simulator */
    int32_t host;         /* host index (0-based), -1 when not host-bound; stamped */
    uint32_t incarnation; /* host incarnation; stamped */
    union {
        struct {
            uint8_t state; /* the model's; TRACE_STATE_DOWN = 0 */
            uint8_t phase; /* the model's; TRACE_PHASE_NONE = 0 */
            int64_t epoch;
        } state;
        struct {
            msg_id_t msg_id;
            uint32_t client; /* 1-based */
            int32_t host;    /* host the client was attached to, -1 when none */
        } submission;
        struct {
            msg_id_t msg_id;
            enum outcome outcome;
        } outcome;
        struct {
            uint64_t seq;  /* 1, 2, ... per host incarnation */
            msg_id_t msg_id;
            int64_t log_id; /* the log position delivered; TRACE_NO_LOG_ID when none */
            bool replayed;  /* stamped by the assembly layer from earlier incarnations */
        } delivery;
        struct {
            msg_id_t msg_id;
            uint8_t cause;     /* the model's drop cause */
            int32_t meant_for; /* host whose subscriber missed it, -1 when none */
            const char *detail; /* more on the cause (may be NULL) */
        } drop;
        struct {
            enum fault_kind kind;
            const char *target; /* resolved host names, comma separated */
            const char *detail;
        } fault;
        struct {
            const char *type;
            const char *src, *dst; /* node names */
            sim_time sent_ns;
            sim_time recv_ns; /* -1 when lost */
            enum msg_loss loss;
            msg_id_t msg_id;
        } message;
        struct {
            uint16_t type;   /* the model's event type */
            msg_id_t msg_id;
            int64_t a, b;    /* the model's fields (ZAB proposal: epoch, zxid) */
            bool flag;
        } event;
        struct {             /* host: the receiving machine's host, -1 for none */
            msg_id_t msg_id;
            uint8_t type;    /* the model's message type */
            enum msg_loss loss;
            int32_t from_host; /* the sending machine's host, -1 for none or unknown */
        } lost;
        struct {             /* host and incarnation: the machine's */
            bool up;         /* started (incarnation begins) or stopped */
            enum fault_kind cause; /* TRACE_FAULT_CRASH, _POWER_OFF or _RESTART; _RESTART
                                    * also for the start of the run */
        } life;
        struct {
            uint32_t client; /* 1-based */
            bool up;         /* operations can be issued (connected) or not */
            int32_t host;    /* the host connected to, -1 when down */
        } client;
        struct {
            uint8_t recipe;  /* index in the scenario's recipes */
            uint32_t client; /* 1-based */
            bool holding;    /* begins (true) or stops (false) believing it holds */
            uint8_t reason;  /* enum hold_reason */
            int64_t token;   /* the fencing token it writes with while it holds */
        } hold;
        struct {
            uint8_t recipe;
            uint32_t client; /* the writer, 1-based */
            int64_t token;
            bool accepted;   /* false: refused, its token older than one accepted */
        } resource;
        struct {
            uint8_t recipe;
            uint32_t observer; /* the client whose view changed, 1-based */
            uint32_t instance; /* the service instance (a client, 1-based) */
            bool listed;       /* now in its view (true) or gone from it */
        } view;
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
