/* proto.h: the seam between the simulator and every protocol node.
 *
 * A node (a ZAB server, a pub/sub broker, a client, a subscriber application) is a pure
 * state machine. The simulator calls node->ops->handle(state, env, input, out) with exactly
 * one input: a message that arrived on a connection, a connection event, a timer, a
 * completed fsync, or a client operation. The node changes its own state and appends
 * effects to `out`: messages to send, connections to open or close, timers to set or
 * cancel, disk writes and fsyncs, and trace records. It never reads a clock (env->now_ns is
 * the time), never draws randomness of its own (env->rng is its stream), never performs
 * I/O and never calls into the simulator. The same state and input give the same effects.
 *
 * The simulator applies the effects in the order they were appended, after handle returns.
 * Nothing is made durable by appending to the disk: a node that must persist before it
 * sends (ZAB's ack-after-fsync) emits the writes and a sync, waits for PROTO_IN_DISK_DONE
 * with its token, and only then emits the send.
 *
 * Connections behave like TCP (docs/architecture.md, "The simulated world"): reliable and FIFO
 * while open. A node learns of a break only the way a program would: PROTO_IN_CONN_DOWN when the
 * peer closed or reset it, nothing at all when the peer's machine stopped or a partition cut the
 * path (it must time out and close the connection itself). Messages are owned by the node that
 * allocated them until passed to proto_send; a received message is borrowed for the duration of
 * handle().
 *
 * On a crash the simulator calls destroy() and, on restart, create() again with a
 * read-only view of the host's disk: recovery code runs on every restart. */
#ifndef SIM_PROTO_H
#define SIM_PROTO_H

#include "sim/disk.h"
#include "sim/rng.h"
#include "sim/trace.h"
#include "sim/zs.h"

typedef uint64_t conn_id;
#define CONN_NONE ((conn_id)0)

/* A port number on a machine. Models choose their own (ZooKeeper's 2181, NATS's 4222, ...);
 * a machine has at most one listener per port. */
typedef uint16_t proto_port;
/* Ports one node may listen on. */
#define PROTO_NODE_PORTS_MAX 4

/* Every message on the simulated network starts with this header. Protocols embed it as
 * the first member of their own message structs and allocate with g_malloc/g_new. */
struct sim_msg {
    model_id model;      /* stamped by the simulator from the sending node */
    uint8_t type;        /* protocol's message type, named by ops->msg_type_name */
    uint16_t flags;
    uint32_t size_bytes; /* simulated wire size, for buffers and the message log */
    msg_id_t msg_id;     /* client message it carries, or MSG_ID_NONE */
    sim_time sent_ns;    /* stamped by the network */
    void (*free_fn)(struct sim_msg *m); /* NULL: g_free(m) */
};

void sim_msg_free(struct sim_msg *m);

enum proto_input_kind {
    PROTO_IN_START = 1,   /* the node was (re)created; set initial timers, dial peers */
    PROTO_IN_MSG,         /* msg arrived on conn */
    PROTO_IN_CONN_UP,     /* conn established: our dial (token) or an incoming accept */
    PROTO_IN_CONN_FAILED, /* our dial (token) was refused: nothing listens there */
    PROTO_IN_CONN_DOWN,   /* the peer closed or reset conn */
    PROTO_IN_TIMER,       /* timer token fired */
    PROTO_IN_DISK_DONE,   /* fsync token completed */
    PROTO_IN_CLIENT_OP,   /* operation from the workload driver (client nodes) */
};

struct proto_input {
    enum proto_input_kind kind;
    conn_id conn;
    uint64_t token;        /* CONN_UP (dialled), CONN_FAILED, TIMER, DISK_DONE */
    bool incoming;         /* CONN_UP: accepted rather than dialled */
    uint32_t peer_machine; /* CONN_UP, CONN_FAILED */
    proto_port port;       /* CONN_UP: the port involved */
    bool reset;            /* CONN_DOWN: reset (crash) rather than orderly close */
    const struct sim_msg *msg;
    const void *op;        /* CLIENT_OP: protocol-defined */
};

/* What a node may look at besides its own state. */
struct proto_env {
    sim_time now_ns;
    uint32_t self_node;
    uint32_t self_machine;
    uint32_t incarnation;
    struct rng *rng;
};

enum proto_effect_kind {
    PROTO_EFFECT_SEND = 1,
    PROTO_EFFECT_CONNECT,
    PROTO_EFFECT_CLOSE,
    PROTO_EFFECT_TIMER_SET,
    PROTO_EFFECT_TIMER_CANCEL,
    PROTO_EFFECT_DISK_APPEND,
    PROTO_EFFECT_DISK_TRUNCATE,
    PROTO_EFFECT_DISK_PUT,
    PROTO_EFFECT_DISK_SYNC,
    PROTO_EFFECT_TRACE,
    PROTO_EFFECT_LISTEN,
};

struct proto_effect {
    enum proto_effect_kind kind;
    conn_id conn;          /* SEND, CLOSE */
    struct sim_msg *msg;   /* SEND: ownership passes with the effect */
    uint64_t token;        /* CONNECT, TIMER_*, DISK_SYNC */
    sim_time delay_ns;     /* TIMER_SET */
    uint32_t machine;      /* CONNECT */
    proto_port port;       /* CONNECT, LISTEN */
    bool on;               /* LISTEN */
    uint16_t file;         /* DISK_* */
    uint64_t records;      /* DISK_TRUNCATE */
    size_t data_offset;    /* DISK_APPEND, DISK_PUT: bytes in the outbox arena;
                              TRACE: index in the outbox's trace records */
    size_t data_size;
};

/* The effects of one handle() call. Reused between calls; effects are applied in order.
 * Trace records live beside the effects so that the common effect (a send) stays small:
 * this array is written on the simulator's hottest path. */
struct proto_out {
    GArray *effects;   /* struct proto_effect */
    GArray *traces;    /* struct trace_rec, for PROTO_EFFECT_TRACE */
    GByteArray *arena; /* copies of disk data */
};

void proto_out_init(struct proto_out *o);
void proto_out_clear(struct proto_out *o); /* frees unsent messages */
void proto_out_destroy(struct proto_out *o);
static inline guint proto_out_len(const struct proto_out *o)
{
    return o->effects->len;
}
static inline struct proto_effect *proto_out_at(const struct proto_out *o, guint i)
{
    return &g_array_index(o->effects, struct proto_effect, i);
}
static inline const void *proto_out_data(const struct proto_out *o, const struct proto_effect *e)
{
    return o->arena->data + e->data_offset;
}
static inline struct trace_rec *proto_out_trace(const struct proto_out *o,
                                                const struct proto_effect *e)
{
    return &g_array_index(o->traces, struct trace_rec, e->data_offset);
}

/* Tokens: the 64-bit names a node gives its timers, dials and fsyncs, which come back with
 * PROTO_IN_TIMER, PROTO_IN_CONN_UP / CONN_FAILED and PROTO_IN_DISK_DONE. Every model encodes
 * them the same way: a kind (what the token is for, 8 bits), a generation (the role,
 * attempt or dial it belongs to, so that answers to an older one are recognised as stale;
 * kept modulo 2^24) and an index (a peer, a connection, a host: 32 bits). */
#define PROTO_TOKEN_GENERATION_MASK 0xffffffu

static inline uint64_t proto_token(uint8_t kind, uint32_t generation, uint32_t index)
{
    return (uint64_t)kind << 56 | (uint64_t)(generation & PROTO_TOKEN_GENERATION_MASK) << 32 |
           index;
}
static inline uint8_t proto_token_kind(uint64_t token)
{
    return (uint8_t)(token >> 56);
}
static inline uint32_t proto_token_index(uint64_t token)
{
    return (uint32_t)token;
}
/* Whether token belongs to this generation (compared modulo 2^24). */
static inline bool proto_token_of(uint64_t token, uint32_t generation)
{
    return ((token >> 32) & PROTO_TOKEN_GENERATION_MASK) ==
           (generation & PROTO_TOKEN_GENERATION_MASK);
}

/* Effect constructors: all a node ever calls. */
void proto_send(struct proto_out *o, conn_id conn, struct sim_msg *msg);
void proto_connect(struct proto_out *o, uint32_t machine, proto_port port, uint64_t token);
void proto_close(struct proto_out *o, conn_id conn);
/* Arms timer `token` to fire after delay_ns, replacing a pending timer with that token. */
void proto_timer_set(struct proto_out *o, uint64_t token, sim_time delay_ns);
void proto_timer_cancel(struct proto_out *o, uint64_t token);
void proto_disk_append(struct proto_out *o, uint16_t file, const void *record, size_t size);
void proto_disk_truncate(struct proto_out *o, uint16_t file, uint64_t records);
void proto_disk_put(struct proto_out *o, uint16_t file, const void *data, size_t size);
/* fsync of one file; PROTO_IN_DISK_DONE with `token` follows once it is durable. */
void proto_disk_sync(struct proto_out *o, uint16_t file, uint64_t token);
/* Trace record; time, host and incarnation are stamped by the simulator. */
void proto_trace(struct proto_out *o, const struct trace_rec *rec);
/* The two records every client node emits: a message offered to its model (host = the host
 * it is connected to, -1 when none) and, later, that offer's outcome. */
void proto_trace_submission(struct proto_out *o, msg_id_t msg_id, uint32_t client,
                            int32_t host);
void proto_trace_outcome(struct proto_out *o, msg_id_t msg_id, enum outcome outcome);
/* Client `client` (1-based) can issue operations again, through host (up), or no longer. */
void proto_trace_client(struct proto_out *o, uint32_t client, bool up, int32_t host);
/* The records of a coordination recipe's clients (every backend's): client began or stopped
 * believing it holds recipe's lock (or leads), writing with token; observer's registry view
 * began or stopped listing instance. */
void proto_trace_hold(struct proto_out *o, uint8_t recipe, uint32_t client, bool holding,
                      enum hold_reason why, int64_t token);
void proto_trace_view(struct proto_out *o, uint8_t recipe, uint32_t observer, uint32_t instance,
                      bool listed);
/* Opens or closes one of the node's ports. A (re)created node listens on every port it was
 * registered with; a dial to a closed port is refused (PROTO_IN_CONN_FAILED). */
void proto_listen(struct proto_out *o, proto_port port, bool on);

struct proto_ops {
    const char *name;
    /* Builds the node's state. disk is the host's disk as it survived (read-only) or NULL
     * for nodes without storage. config is borrowed for the node's lifetime. */
    void *(*create)(const void *config, const struct proto_env *env, const struct disk *disk);
    void (*destroy)(void *state);
    void (*handle)(void *state, const struct proto_env *env, const struct proto_input *in,
                   struct proto_out *out);
    /* Name of a message type of this protocol, for the message log. */
    const char *(*msg_type_name)(uint8_t type);
};

#endif
