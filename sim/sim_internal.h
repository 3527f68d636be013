/* sim_internal.h: the simulator's own data structures, shared by sim.c (machines, nodes,
 * event loop, effects) and net.c (connections). Not for protocol code. */
#ifndef SIM_SIM_INTERNAL_H
#define SIM_SIM_INTERNAL_H

#include "sim/evq.h"
#include "sim/sim.h"

enum sim_event_kind {
    SIM_EV_NET_MSG = 1, /* a = conn, aux = direction (0: from initiator), p = msg */
    SIM_EV_NET_ACCEPT,  /* SYN reached the acceptor: a = conn */
    SIM_EV_NET_CONNECTED, /* SYN-ACK reached the initiator: a = conn */
    SIM_EV_NET_REFUSED, /* RST answered the SYN: a = conn */
    SIM_EV_NET_DOWN,    /* FIN or RST reached one end: a = conn, aux = end, flags = reset */
    SIM_EV_NET_DIAL_TIMEOUT, /* connect() gives up: a = conn */
    SIM_EV_NET_GIVE_UP, /* retransmissions exhausted: a = conn, aux = sending end, b = hold */
    SIM_EV_TIMER,       /* target = node, a = token, b = timer generation */
    SIM_EV_DISK_DONE,   /* target = node, aux = machine, a = token, p = ticket */
    SIM_EV_CALL,        /* p = struct sim_call */
    SIM_EV_RESUME,      /* target = machine */
    SIM_EV_MODEL_START, /* target = machine, b = model: its start-up after a restart is over */
};

struct sim_call {
    sim_call_fn *fn;
    void *ctx;
    uint64_t arg;
};

struct node_timer {
    uint64_t token;
    uint64_t generation;
    evq_handle handle;
};

struct sim_node {
    char *name;
    uint32_t machine;
    model_id model;
    const struct proto_ops *ops;
    const void *config;
    proto_port ports[PROTO_NODE_PORTS_MAX]; /* 0 marks an unused slot */
    uint8_t listening; /* bit i: ports[i] is open now; all open when the node is created */
    void *state; /* NULL while the machine is down */
    GArray *timers; /* struct node_timer; few per node, so a linear scan beats hashing */
    uint64_t timer_generation;
    struct rng rng;
    /* Network input is handled one at a time (sim_model_processing): busy until then, in
     * the machine's incarnation busy_incarnation (a restarted process starts idle). */
    sim_time busy_until;
    uint32_t busy_incarnation;
};

/* An input that reached a paused machine and waits for it to resume. */
struct deferred_input {
    uint32_t node;
    struct proto_input in;
    struct sim_msg *msg; /* owned */
};

struct slow_override {
    uint32_t from, to; /* machines; for disks from == to == the host */
    struct dist d;
    sim_time until;
};

/* What a machine keeps for one model: its own random streams for link latency and fsync
 * time, and its own disk and fsync queue. One model's traffic or fsyncs therefore never
 * change another model's latencies, its disk contents or its fsync waits: the models share
 * the machines, the faults and the workload, and nothing else. */
struct machine_lane {
    struct rng net_rng;
    struct rng disk_rng;
    struct disk *disk;        /* NULL on a machine without disks */
    sim_time disk_busy_until; /* one device per model: fsyncs complete in turn */
    struct rng life_rng;      /* start-up and teardown draws (sim_model_lifetime) */
    struct rng jitter_rng;    /* send-time jitter of the messages this machine sends */
    struct rng proc_rng;      /* per-message processing times (sim_model_processing) */
    sim_time teardown_ns;     /* drawn when the machine's processes were last killed */
};

/* sim_model_lifetime's distributions of one model. */
struct model_lifetime {
    const struct dist *startup;
    const struct dist *teardown;
    const struct dist *processing; /* sim_model_processing: per network message */
};

/* Lanes per machine: one for every model_id value. */
#define SIM_LANES 256

struct sim_machine {
    char *name;
    int32_t trace_host; /* host index stamped on its nodes' records, -1 for none */
    bool up;      /* processes running */
    bool powered; /* machine on */
    bool paused;
    sim_time pause_until;
    uint32_t incarnation;
    int group;
    bool has_disk;     /* false for client machines */
    struct machine_lane *lanes[SIM_LANES]; /* by model; created on first use */
    GArray *deferred;  /* struct deferred_input, in arrival order */
    GArray *nodes;     /* uint32_t node indices */
    GArray *conns;     /* conn_id with an end here (may hold dead ones; compacted lazily) */
};

enum conn_end_state { NET_END_OPEN = 0, NET_END_CLOSED };

/* The two machines of a connection (0 = initiator's), by conn id: as many as s->conns. */
struct conn_machines {
    uint32_t machine[2];
};

struct net_conn {
    conn_id id;
    uint32_t node[2];    /* 0 = initiator, 1 = acceptor */
    uint32_t machine[2];
    uint32_t incarnation[2];
    model_id model;      /* the initiator's: a connection carries one model's messages */
    proto_port port;
    uint64_t token;      /* initiator's dial token */
    bool accepted;       /* acceptor has been told */
    bool connected;      /* initiator has been told */
    bool open[2];        /* end still usable by its node */
    enum msg_loss closed_loss[2]; /* why arrivals at a closed end are lost */
    bool cut;            /* the path broke: nothing more gets through */
    enum msg_loss cut_loss[2]; /* loss reason for messages travelling from end d */
    bool in_cut_list;
    /* The path is cut for now (a partition, a machine off) but both ends may still hold the
     * connection: what travels from end d waits in held[d], in the order it was sent, for
     * the path to come back, as TCP retransmits it (net.c). */
    bool suspended;
    bool in_suspended_list;
    GArray *held[2];          /* struct evq_event, each keeping its reference on the conn */
    sim_time held_since[2];   /* when held[d]'s first segment was held */
    uint64_t hold_number[2];  /* counts holds of direction d, to match its give-up event */
    bool give_up_armed[2];    /* a give-up event watches held[d] (it holds data) */
    /* What travels from end d now, in sending (= arrival) order: the queue handles, so a
     * cut can take it all back off the wire, in order. wire_head[d] is the oldest. */
    GArray *wire[2];          /* evq_handle */
    guint wire_head[2];
    bool answer_rst[2];       /* end d was closed by a timeout that told the peer nothing:
                               * the next segment reaching it is answered with a reset */
    sim_time last_arrival[2]; /* FIFO: latest scheduled arrival per direction */
    uint32_t refs;       /* pending events naming this connection */
};

struct sim {
    struct sim_config cfg;
    struct recorder rec;
    struct evq *q;
    sim_time now;
    uint64_t current_seq;
    GPtrArray *machines; /* struct sim_machine * */
    GPtrArray *nodes;    /* struct sim_node * */
    GPtrArray *conns;    /* struct net_conn * by id - 1; NULL once freed */
    GArray *conn_machines; /* struct conn_machines by id - 1, kept after the conn is freed:
                            * a write on a long-gone connection still names where it went */
    GPtrArray *cut_conns; /* broken connections whose open ends wait for the path back */
    GPtrArray *suspended_conns; /* connections whose path is cut for now */
    GArray *slow_links;  /* struct slow_override */
    GArray *slow_disks;
    struct model_lifetime lifetime[SIM_LANES]; /* by model */
    struct proto_out out;
    struct sim_stats stats;
    sim_event_observer observer; /* sim_set_event_observer */
    void *observer_ctx;
    sim_watcher watcher;         /* sim_set_watcher */
    void *watcher_ctx;
    uint64_t digest;
    bool started;
};

static inline struct sim_machine *sim__machine(const struct sim *s, uint32_t m)
{
    ZS_ASSERT(m < s->machines->len);
    return g_ptr_array_index(s->machines, m);
}

/* Tells the watcher, if any (sim_set_watcher). */
void sim__watch(struct sim *s, enum sim_watch_kind kind, model_id model, uint32_t machine,
                int64_t peer_machine, const char *type);

static inline struct sim_node *sim__node(const struct sim *s, uint32_t n)
{
    ZS_ASSERT(n < s->nodes->len);
    return g_ptr_array_index(s->nodes, n);
}

/* sim.c services used by net.c */
/* Whether node listens on port now. */
bool sim__listening(const struct sim_node *n, proto_port port);
/* Whether port is one of the node's ports at all. */
bool sim__has_port(const struct sim_node *n, proto_port port);
evq_handle sim__push(struct sim *s, sim_time t, const struct evq_event *ev);
/* Hands an input to a live node (or defers it while its machine is paused); takes msg. */
void sim__deliver(struct sim *s, uint32_t node, const struct proto_input *in,
                  struct sim_msg *msg);
void sim__trace(struct sim *s, struct trace_rec *r);
/* Records TRACE_LOST when msg carries a client message: the network lost it on its way from
 * machine `from` to machine `to` (either -1 when unknown). */
void sim__client_msg_lost(struct sim *s, const struct sim_msg *msg, int64_t from, int64_t to,
                          enum msg_loss loss);
bool sim__reachable(const struct sim *s, uint32_t a, uint32_t b);
/* The machine's lane of one model (created on first use). */
struct machine_lane *sim__lane(struct sim *s, uint32_t machine, model_id model);
/* One-way latency of a message of model from machine `from` to `to`, slow links included,
 * drawn from the sending machine's lane of that model. */
sim_time sim__link_latency(struct sim *s, uint32_t from, uint32_t to, model_id model);
/* Send-time jitter of one message of model sent by machine `from` (sim_config.jitter). */
sim_time sim__send_jitter(struct sim *s, uint32_t from, model_id model);
/* When node handles a network input that reached it now: after the inputs it is still busy
 * with, and, for a message (costs), after a draw of its model's processing time. Returns
 * s->now when the model has no processing time. */
sim_time sim__processing_done(struct sim *s, uint32_t node, bool costs);

/* net.c */
void net__connect(struct sim *s, uint32_t node, uint32_t machine, proto_port port,
                  uint64_t token);
void net__send(struct sim *s, uint32_t node, conn_id conn, struct sim_msg *msg);
void net__close(struct sim *s, uint32_t node, conn_id conn);
void net__on_event(struct sim *s, const struct evq_event *ev);
/* The processes on a machine died (power_off: the machine stopped too). */
void net__machine_down(struct sim *s, uint32_t machine, bool power_off);
/* Connectivity changed (partition, heal, power back): cut what broke, reset what healed. */
void net__topology_changed(struct sim *s);
void net__free_all(struct sim *s);

#endif
