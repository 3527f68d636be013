/* net.c: TCP-like connections between nodes on simulated machines.
 *
 * A connection is reliable and FIFO while its path holds: each direction remembers the
 * latest arrival time it scheduled, and a new message never arrives before it. Data is lost
 * only when the connection breaks, and each end learns of a break the way a program would:
 *   - the peer closed it: FIN after the data already sent (PROTO_IN_CONN_DOWN);
 *   - the peer's process crashed: its OS resets the connection after the bytes it had
 *     already accepted, once the process's teardown is over (sim_model_lifetime)
 *     (CONN_DOWN, reset);
 *   - the peer's machine lost power: nothing at all, and what it had not yet sent is gone.
 *     The node must notice by its own timeouts. When the machine is back, an end that still
 *     holds the connection open gets a reset, as a real stack answers the next segment of a
 *     connection it no longer knows.
 * A partition loses nothing by itself: TCP retransmits. What either end sends while the path
 * is cut waits, in order, and arrives when the path is back, at the sender's next
 * retransmission (its timeout doubling from tcp_rto_min, 200 ms, or from 1 s for a SYN),
 * unless an end closed the connection meanwhile (its own timeouts: then what arrives finds
 * it closed) or the retransmissions ran out (tcp_retries2: about 15 minutes; the sender's
 * end is reset). Dialling a machine whose processes are down is refused (RST); dialling
 * across a cut or to a machine that is off gets no answer until the path is back. */
#include "sim/sim_internal.h"

#include <string.h>

#define DIAL_TIMEOUT (127 * SIM_S)
/* Linux's retransmission timeouts: the first for data on a fast path (tcp_rto_min), the first
 * for a SYN (TCP_TIMEOUT_INIT), the longest wait between two (TCP_RTO_MAX), and when
 * tcp_retries2 = 15 retransmissions of data have gone unanswered (0.2 s doubling, capped at
 * 120 s: 924.6 s), the bound on how long a cut connection holds what it was sent. */
#define TCP_RTO_MIN_NS (200 * SIM_MS)
#define TCP_RTO_SYN_NS (1 * SIM_S)
#define TCP_RTO_MAX_NS (120 * SIM_S)
#define TCP_GIVE_UP_NS (924600 * SIM_MS)

static struct net_conn *conn_get(const struct sim *s, conn_id id)
{
    if (id == CONN_NONE || id > s->conns->len)
        return NULL;
    return g_ptr_array_index(s->conns, id - 1);
}

/* The machine at the other end of connection `id` from `machine`, freed or not; -1 for an
 * id never handed out. */
static int64_t conn_peer_machine(const struct sim *s, conn_id id, uint32_t machine)
{
    if (id == CONN_NONE || id > s->conn_machines->len)
        return -1;
    const struct conn_machines *ends = &g_array_index(s->conn_machines, struct conn_machines,
                                                      id - 1);
    return ends->machine[0] == machine ? ends->machine[1] : ends->machine[0];
}

static int end_of(const struct net_conn *c, uint32_t node)
{
    if (c->node[0] == node)
        return 0;
    if (c->node[1] == node)
        return 1;
    return -1;
}

static void conn_free(struct net_conn *c)
{
    for (int d = 0; d < 2; d++) {
        if (c->wire[d])
            g_array_free(c->wire[d], TRUE);
        if (!c->held[d])
            continue;
        for (guint i = 0; i < c->held[d]->len; i++) {
            struct evq_event *ev = &g_array_index(c->held[d], struct evq_event, i);
            if (ev->kind == SIM_EV_NET_MSG)
                sim_msg_free(ev->p);
        }
        g_array_free(c->held[d], TRUE);
    }
    g_free(c);
}

static void conn_maybe_free(struct sim *s, struct net_conn *c)
{
    if (c->refs > 0 || c->open[0] || c->open[1] || c->in_cut_list || c->in_suspended_list)
        return;
    g_ptr_array_index(s->conns, c->id - 1) = NULL;
    conn_free(c);
}

/* evq_event.flags of network events. */
#define NET_FLAG_RESET 1     /* SIM_EV_NET_DOWN: by a reset, not an orderly close */
#define NET_FLAG_PROCESSED 2 /* already waited for the receiving node (sim_model_processing) */
#define NET_FLAG_ON_WIRE 4   /* its handle is in c->wire[from] until it arrives */

/* Whether an event of this kind crosses the wire (and so waits out a cut). */
static bool on_the_wire(uint16_t kind)
{
    return kind == SIM_EV_NET_MSG || kind == SIM_EV_NET_ACCEPT || kind == SIM_EV_NET_CONNECTED ||
           kind == SIM_EV_NET_REFUSED || kind == SIM_EV_NET_DOWN;
}

/* Keeps ev (travelling to end ev->aux, with its reference on c) until the path is back,
 * after what the direction already holds. */
static void hold(struct sim *s, struct net_conn *c, const struct evq_event *ev)
{
    int from = !(int)ev->aux;
    if (!c->held[from])
        c->held[from] = g_array_new(FALSE, FALSE, sizeof(struct evq_event));
    if (c->held[from]->len == 0) {
        c->held_since[from] = s->now;
        c->hold_number[from]++;
        c->give_up_armed[from] = false;
    }
    /* Data (or a FIN) that cannot get through is retransmitted until tcp_retries2 runs out;
     * a held handshake alone is bounded by the dial's own timeout. */
    if (!c->give_up_armed[from] && (ev->kind == SIM_EV_NET_MSG || ev->kind == SIM_EV_NET_DOWN)) {
        c->give_up_armed[from] = true;
        struct evq_event give_up = { .kind = SIM_EV_NET_GIVE_UP, .aux = (uint32_t)from,
                                     .target = c->node[from], .a = c->id,
                                     .b = c->hold_number[from] };
        c->refs++;
        sim__push(s, c->held_since[from] + TCP_GIVE_UP_NS, &give_up);
    }
    struct evq_event kept = *ev;
    kept.flags &= (uint16_t)~NET_FLAG_ON_WIRE;
    g_array_append_val(c->held[from], kept);
}

/* Puts a segment travelling from end `from` on the wire, arriving at t. */
static void send_on_wire(struct sim *s, struct net_conn *c, int from, sim_time t,
                         struct evq_event *ev)
{
    ev->flags |= NET_FLAG_ON_WIRE;
    evq_handle h = sim__push(s, t, ev);
    if (!c->wire[from])
        c->wire[from] = g_array_new(FALSE, FALSE, sizeof(evq_handle));
    g_array_append_val(c->wire[from], h);
}

/* The oldest segment travelling from end `from` arrived: it leaves the wire. */
static void arrived_from_wire(struct net_conn *c, int from)
{
    GArray *w = c->wire[from];
    ZS_ASSERT(w && c->wire_head[from] < w->len);
    c->wire_head[from]++;
    if (c->wire_head[from] == w->len) {
        g_array_set_size(w, 0);
        c->wire_head[from] = 0;
    } else if (c->wire_head[from] >= 1024 && c->wire_head[from] * 2 >= w->len) {
        g_array_remove_range(w, 0, c->wire_head[from]); /* keep it proportional to in flight */
        c->wire_head[from] = 0;
    }
}

/* The path broke: what travels from end `from` comes off the wire, in order, and waits. */
static void take_off_wire(struct sim *s, struct net_conn *c, int from)
{
    GArray *w = c->wire[from];
    for (guint i = w ? c->wire_head[from] : 0; w && i < w->len; i++) {
        struct evq_event ev;
        bool pending = evq_cancel(s->q, g_array_index(w, evq_handle, i), &ev);
        ZS_ASSERT(pending); /* on the wire means in the queue */
        hold(s, c, &ev);
    }
    if (w)
        g_array_set_size(w, 0);
    c->wire_head[from] = 0;
}

static void push_conn_event(struct sim *s, struct net_conn *c, sim_time t, uint16_t kind,
                            int end, uint16_t flags, void *p)
{
    struct evq_event ev = { .kind = kind, .target = c->node[end],
                            .incarnation = c->incarnation[end], .aux = (uint32_t)end,
                            .flags = flags, .a = c->id, .p = p };
    c->refs++;
    if (!on_the_wire(kind) || c->cut)
        sim__push(s, t, &ev);
    else if (c->suspended)
        hold(s, c, &ev);
    else
        send_on_wire(s, c, !end, t, &ev);
}

/* Arrival time for something travelling from end `from` that leaves `extra` late, after
 * everything already sent. */
static sim_time fifo_arrival_after(struct sim *s, struct net_conn *c, int from, sim_time extra)
{
    sim_time t =
        s->now + extra + sim__link_latency(s, c->machine[from], c->machine[!from], c->model);
    if (t < c->last_arrival[from])
        t = c->last_arrival[from];
    c->last_arrival[from] = t;
    return t;
}

static sim_time fifo_arrival(struct sim *s, struct net_conn *c, int from)
{
    return fifo_arrival_after(s, c, from, 0);
}

static void log_message(struct sim *s, const struct sim_msg *m, const struct net_conn *c,
                        int from, sim_time recv_ns, enum msg_loss loss)
{
    const struct sim_node *sender = sim__node(s, c->node[from]);
    struct trace_rec r = { .kind = TRACE_MESSAGE, .model = m->model, .host = -1 };
    r.u.message.type = sender->ops->msg_type_name ? sender->ops->msg_type_name(m->type) : "?";
    r.u.message.src = sim__machine(s, c->machine[from])->name;
    r.u.message.dst = sim__machine(s, c->machine[!from])->name;
    r.u.message.sent_ns = m->sent_ns;
    r.u.message.recv_ns = recv_ns;
    r.u.message.loss = loss;
    r.u.message.msg_id = m->msg_id;
    sim__trace(s, &r);
}

/* A message sent or received, for the watcher: `node` named its type; `end` is the end
 * where it happens (-1: a connection already gone, whose other end is unknown). */
static void watch_message(struct sim *s, enum sim_watch_kind kind, const struct sim_msg *m,
                          uint32_t node, const struct net_conn *c, int end)
{
    const struct sim_node *namer = sim__node(s, node);
    const char *type = namer->ops->msg_type_name ? namer->ops->msg_type_name(m->type) : "?";
    uint32_t machine = end >= 0 ? c->machine[end] : namer->machine;
    int64_t peer = end >= 0 ? (int64_t)c->machine[!end] : -1;
    sim__watch(s, kind, m->model, machine, peer, type);
}

static inline void trace_message(struct sim *s, const struct sim_msg *m, const struct net_conn *c,
                                 int from, sim_time recv_ns, enum msg_loss loss)
{
    if (loss == TRACE_LOSS_NONE) {
        s->stats.messages_delivered++;
    } else {
        s->stats.messages_lost++;
        sim__client_msg_lost(s, m, c->machine[from], c->machine[!from], loss);
    }
    if (s->cfg.log_messages)
        log_message(s, m, c, from, recv_ns, loss);
}

static void track_conn(struct sim *s, uint32_t machine, conn_id id)
{
    GArray *list = sim__machine(s, machine)->conns;
    /* Compact the list when it fills with dead connections, so crash handling stays
     * proportional to live connections. */
    if (list->len >= 64 && (list->len & (list->len - 1)) == 0) {
        guint kept = 0;
        for (guint i = 0; i < list->len; i++) {
            conn_id cid = g_array_index(list, conn_id, i);
            if (conn_get(s, cid))
                g_array_index(list, conn_id, kept++) = cid;
        }
        g_array_set_size(list, kept);
    }
    g_array_append_val(list, id);
}

static uint32_t listener_of(const struct sim *s, uint32_t machine, proto_port port)
{
    const struct sim_machine *m = sim__machine(s, machine);
    for (guint i = 0; i < m->nodes->len; i++) {
        uint32_t node = g_array_index(m->nodes, uint32_t, i);
        if (sim__has_port(sim__node(s, node), port))
            return node;
    }
    return UINT32_MAX;
}

/* The path is cut: everything on the wire comes off it (lost in the network, to be
 * retransmitted), and what is sent from now on waits too. */
static void suspend(struct sim *s, struct net_conn *c)
{
    c->suspended = true;
    take_off_wire(s, c, 0);
    take_off_wire(s, c, 1);
    if (!c->in_suspended_list) {
        c->in_suspended_list = true;
        g_ptr_array_add(s->suspended_conns, c);
    }
}

void net__connect(struct sim *s, uint32_t node, uint32_t machine, proto_port port,
                  uint64_t token)
{
    uint32_t acceptor = listener_of(s, machine, port);
    ZS_ASSERT(acceptor != UINT32_MAX); /* dialling a port nobody ever listens on is a bug */
    struct net_conn *c = g_new0(struct net_conn, 1);
    g_ptr_array_add(s->conns, c);
    c->id = s->conns->len;
    c->node[0] = node;
    c->model = sim__node(s, node)->model;
    c->node[1] = acceptor;
    c->machine[0] = sim__node(s, node)->machine;
    c->machine[1] = machine;
    struct conn_machines ends = { .machine = { c->machine[0], machine } };
    g_array_append_val(s->conn_machines, ends);
    c->incarnation[0] = sim__machine(s, c->machine[0])->incarnation;
    c->incarnation[1] = sim__machine(s, machine)->incarnation;
    c->port = port;
    c->token = token;
    c->open[0] = true;
    s->stats.connections++;
    track_conn(s, c->machine[0], c->id);
    track_conn(s, machine, c->id);
    /* connect() gives up after Linux's SYN retries (tcp_syn_retries = 6: 1+2+...+64 s).
     * Nodes usually time out sooner on their own; this bounds what an unanswered dial
     * holds on to. */
    push_conn_event(s, c, s->now + DIAL_TIMEOUT, SIM_EV_NET_DIAL_TIMEOUT, 0, 0, NULL);
    if (!sim__reachable(s, c->machine[0], machine))
        suspend(s, c); /* the SYN waits for the path, retransmitted as Linux does */
    push_conn_event(s, c, fifo_arrival(s, c, 0), SIM_EV_NET_ACCEPT, 1, 0, NULL);
}

static void on_dial_timeout(struct sim *s, struct net_conn *c)
{
    if (c->connected || !c->open[0])
        return;
    /* An acceptor that saw the SYN but whose answer never got back keeps its end, like any
     * end whose peer went silent, until it sends: the dialler's stack answers with a reset. */
    c->open[0] = false;
    c->answer_rst[0] = true;
    struct proto_input in = { .kind = PROTO_IN_CONN_FAILED, .conn = c->id, .token = c->token,
                              .peer_machine = c->machine[1], .port = c->port };
    sim__deliver(s, c->node[0], &in, NULL);
}

static void on_accept(struct sim *s, struct net_conn *c)
{
    struct sim_machine *m = sim__machine(s, c->machine[1]);
    if (c->cut || !c->open[0])
        return; /* the dialler gave up or the path broke: the SYN is moot */
    const struct sim_node *acceptor = sim__node(s, c->node[1]);
    if (!m->up || !acceptor->state || !sim__listening(acceptor, c->port)) {
        /* The machine answers for a dead process or a closed port: connection refused. */
        push_conn_event(s, c, fifo_arrival(s, c, 1), SIM_EV_NET_REFUSED, 0, 0, NULL);
        return;
    }
    c->incarnation[1] = m->incarnation;
    c->open[1] = true;
    c->accepted = true;
    /* The handshake completes in the kernel even if the acceptor is paused: the dialler is
     * told at once, the acceptor when it next runs. */
    push_conn_event(s, c, fifo_arrival(s, c, 1), SIM_EV_NET_CONNECTED, 0, 0, NULL);
    struct proto_input in = { .kind = PROTO_IN_CONN_UP, .conn = c->id, .incoming = true,
                              .peer_machine = c->machine[0], .port = c->port };
    sim__deliver(s, c->node[1], &in, NULL);
}

static void on_connected(struct sim *s, struct net_conn *c)
{
    if (!c->open[0])
        return;
    if (c->cut)
        return;
    c->connected = true;
    struct proto_input in = { .kind = PROTO_IN_CONN_UP, .conn = c->id, .token = c->token,
                              .peer_machine = c->machine[1], .port = c->port };
    sim__deliver(s, c->node[0], &in, NULL);
}

static void on_refused(struct sim *s, struct net_conn *c)
{
    if (!c->open[0])
        return;
    c->open[0] = false;
    struct proto_input in = { .kind = PROTO_IN_CONN_FAILED, .conn = c->id, .token = c->token,
                              .peer_machine = c->machine[1], .port = c->port };
    sim__deliver(s, c->node[0], &in, NULL);
}

void net__send(struct sim *s, uint32_t node, conn_id id, struct sim_msg *msg)
{
    struct net_conn *c = conn_get(s, id);
    int from = c ? end_of(c, node) : -1;
    msg->sent_ns = s->now;
    msg->model = sim__node(s, node)->model;
    s->stats.messages_sent++;
    if (s->watcher)
        watch_message(s, SIM_WATCH_SEND, msg, node, c, from);
    if (from < 0) {
        /* The connection is long gone (both ends closed, the sender not told yet, as a
         * paused process is not): the write fails locally, and the message was meant for
         * the connection's other machine. */
        uint32_t machine = sim__node(s, node)->machine;
        s->stats.messages_lost++;
        sim__client_msg_lost(s, msg, machine, conn_peer_machine(s, id, machine),
                             TRACE_LOSS_CONNECTION_CLOSED);
        sim_msg_free(msg);
        return;
    }
    if (!c->open[from] || (from == 0 && !c->connected) || (from == 1 && !c->accepted)) {
        /* Writing to a socket this node does not hold open: the write fails locally. */
        trace_message(s, msg, c, from, -1, TRACE_LOSS_CONNECTION_CLOSED);
        sim_msg_free(msg);
        return;
    }
    if (c->cut) {
        trace_message(s, msg, c, from, -1, c->cut_loss[from]);
        sim_msg_free(msg);
        return;
    }
    if (c->suspended) {
        push_conn_event(s, c, 0, SIM_EV_NET_MSG, !from, 0, msg); /* held */
        return;
    }
    /* Jitter adds to this message's latency before the FIFO rule: it changes how connections
     * interleave, never the order within one, and does not accumulate along a burst. */
    sim_time jitter = sim__send_jitter(s, c->machine[from], c->model);
    push_conn_event(s, c, fifo_arrival_after(s, c, from, jitter), SIM_EV_NET_MSG, !from, 0, msg);
}

static void on_msg(struct sim *s, struct net_conn *c, int to, struct sim_msg *msg)
{
    int from = !to;
    enum msg_loss loss = TRACE_LOSS_NONE;
    if (c->cut)
        loss = c->cut_loss[from];
    else if (!c->open[to])
        loss = c->closed_loss[to];
    if (loss != TRACE_LOSS_NONE) {
        trace_message(s, msg, c, from, -1, loss);
        sim_msg_free(msg);
        if (!c->cut && !c->open[to] && c->answer_rst[to] && c->open[from]) {
            /* A segment for a connection its end's stack gave up on silently. */
            c->answer_rst[to] = false;
            push_conn_event(s, c, fifo_arrival(s, c, to), SIM_EV_NET_DOWN, from, NET_FLAG_RESET,
                            NULL);
        }
        return;
    }
    trace_message(s, msg, c, from, s->now, TRACE_LOSS_NONE);
    if (s->watcher)
        watch_message(s, SIM_WATCH_RECEIVE, msg, c->node[from], c, to);
    struct proto_input in = { .kind = PROTO_IN_MSG, .conn = c->id };
    sim__deliver(s, c->node[to], &in, msg);
}

static void on_down(struct sim *s, struct net_conn *c, int end, bool reset)
{
    if (!c->open[end])
        return;
    c->open[end] = false;
    c->closed_loss[end] = TRACE_LOSS_CONNECTION_CLOSED;
    struct proto_input in = { .kind = PROTO_IN_CONN_DOWN, .conn = c->id, .reset = reset };
    sim__deliver(s, c->node[end], &in, NULL);
}

/* Drops what end `from` held: its messages are lost for `loss`. */
static void drop_held(struct sim *s, struct net_conn *c, int from, enum msg_loss loss)
{
    GArray *held = c->held[from];
    for (guint i = 0; held && i < held->len; i++) {
        struct evq_event *ev = &g_array_index(held, struct evq_event, i);
        if (ev->kind == SIM_EV_NET_MSG) {
            trace_message(s, ev->p, c, from, -1, loss);
            sim_msg_free(ev->p);
        }
        c->refs--;
    }
    if (held)
        g_array_set_size(held, 0);
    c->give_up_armed[from] = false;
}

/* Retransmissions ran out while the path stayed cut: what end `from` held is lost and its
 * node gets the error (ETIMEDOUT, as a reset). */
static void on_give_up(struct sim *s, struct net_conn *c, int from, uint64_t hold_number)
{
    if (!c->suspended || c->hold_number[from] != hold_number || !c->held[from] ||
        c->held[from]->len == 0)
        return;
    drop_held(s, c, from, TRACE_LOSS_PARTITION);
    if (c->open[from]) {
        c->open[from] = false;
        c->closed_loss[from] = TRACE_LOSS_CONNECTION_CLOSED;
        c->answer_rst[from] = true;
        struct proto_input in = { .kind = PROTO_IN_CONN_DOWN, .conn = c->id, .reset = true };
        sim__deliver(s, c->node[from], &in, NULL);
    }
}

void net__on_event(struct sim *s, const struct evq_event *ev)
{
    struct net_conn *c = conn_get(s, ev->a);
    ZS_ASSERT(c != NULL && c->refs > 0);
    int end = (int)ev->aux;
    if (ev->flags & NET_FLAG_ON_WIRE)
        arrived_from_wire(c, !end);
    /* A cut takes what travels off the wire at once (suspend), so nothing arrives across
     * one. */
    ZS_ASSERT(!(c->suspended && on_the_wire(ev->kind) && !(ev->flags & NET_FLAG_PROCESSED)));
    /* A message or a close that reached a node busy handling earlier messages waits for it
     * (sim_model_processing); it comes back once, marked handled. */
    if ((ev->kind == SIM_EV_NET_MSG || ev->kind == SIM_EV_NET_DOWN) &&
        !(ev->flags & NET_FLAG_PROCESSED)) {
        sim_time done = sim__processing_done(s, c->node[end], ev->kind == SIM_EV_NET_MSG);
        if (done > s->now) {
            struct evq_event again = *ev;
            again.flags = (uint16_t)((again.flags | NET_FLAG_PROCESSED) & ~NET_FLAG_ON_WIRE);
            sim__push(s, done, &again); /* keeps this event's reference on c */
            return;
        }
    }
    c->refs--;
    switch (ev->kind) {
    case SIM_EV_NET_ACCEPT:
        on_accept(s, c);
        break;
    case SIM_EV_NET_CONNECTED:
        on_connected(s, c);
        break;
    case SIM_EV_NET_REFUSED:
        on_refused(s, c);
        break;
    case SIM_EV_NET_MSG:
        on_msg(s, c, end, ev->p);
        break;
    case SIM_EV_NET_DOWN:
        on_down(s, c, end, (ev->flags & NET_FLAG_RESET) != 0);
        break;
    case SIM_EV_NET_DIAL_TIMEOUT:
        on_dial_timeout(s, c);
        break;
    case SIM_EV_NET_GIVE_UP:
        on_give_up(s, c, end, ev->b);
        break;
    default:
        ZS_ASSERT(!"not a network event");
    }
    conn_maybe_free(s, c);
}

void net__close(struct sim *s, uint32_t node, conn_id id)
{
    struct net_conn *c = conn_get(s, id);
    int end = c ? end_of(c, node) : -1;
    if (end < 0 || !c->open[end])
        return;
    c->open[end] = false;
    c->closed_loss[end] = TRACE_LOSS_CONNECTION_CLOSED;
    bool peer_knows = end == 0 ? c->accepted : true;
    if (!c->cut && c->open[!end] && peer_knows)
        push_conn_event(s, c, fifo_arrival(s, c, end), SIM_EV_NET_DOWN, !end, 0, NULL);
    conn_maybe_free(s, c);
}

/* The sender's next retransmission at or after now of what it first held at `since`: the
 * timeout starts at rto and doubles, each wait capped at TCP_RTO_MAX_NS. */
static sim_time next_retransmission(sim_time since, sim_time rto, sim_time now)
{
    sim_time t = since + rto;
    while (t < now) {
        rto = MIN(rto * 2, TCP_RTO_MAX_NS);
        t += rto;
    }
    return t;
}

/* Ends the suspension: what each direction held goes back on the wire, in order, arriving
 * after the sender's next retransmission. A reset sent by a process that died while the path
 * was cut (its first held segment) is not retransmitted: it reaches the peer as soon as the
 * path is back, as a real stack answers the peer's next segment with one. */
static void release_held(struct sim *s, struct net_conn *c)
{
    c->suspended = false;
    for (int from = 0; from < 2; from++) {
        GArray *held = c->held[from];
        if (!held || held->len == 0)
            continue;
        const struct evq_event *first = &g_array_index(held, struct evq_event, 0);
        bool handshake = first->kind == SIM_EV_NET_ACCEPT ||
                         first->kind == SIM_EV_NET_CONNECTED || first->kind == SIM_EV_NET_REFUSED;
        sim_time leave = s->now; /* a reset */
        if (!(first->kind == SIM_EV_NET_DOWN && (first->flags & NET_FLAG_RESET)))
            leave = next_retransmission(c->held_since[from],
                                        handshake ? TCP_RTO_SYN_NS : TCP_RTO_MIN_NS, s->now);
        for (guint i = 0; i < held->len; i++) {
            struct evq_event ev = g_array_index(held, struct evq_event, i);
            sim_time t = leave +
                         sim__link_latency(s, c->machine[from], c->machine[!from], c->model);
            if (t < c->last_arrival[from])
                t = c->last_arrival[from];
            c->last_arrival[from] = t;
            send_on_wire(s, c, from, t, &ev); /* keeps its reference on c */
        }
        g_array_set_size(held, 0);
        c->give_up_armed[from] = false;
    }
}

static void cut_conn(struct sim *s, struct net_conn *c, enum msg_loss loss_from0,
                     enum msg_loss loss_from1)
{
    c->cut = true;
    c->cut_loss[0] = loss_from0;
    c->cut_loss[1] = loss_from1;
    /* What waited for the path is lost with it. */
    c->suspended = false;
    drop_held(s, c, 0, loss_from0);
    drop_held(s, c, 1, loss_from1);
    if (!c->in_cut_list) {
        c->in_cut_list = true;
        g_ptr_array_add(s->cut_conns, c);
    }
}

void net__machine_down(struct sim *s, uint32_t machine, bool power_off)
{
    GArray *list = sim__machine(s, machine)->conns;
    for (guint i = 0; i < list->len; i++) {
        struct net_conn *c = conn_get(s, g_array_index(list, conn_id, i));
        if (!c)
            continue;
        for (int end = 0; end < 2; end++) {
            if (c->machine[end] != machine)
                continue;
            /* What this machine's stack held for a cut path is gone with its power, whether
             * or not its process still held the connection. */
            if (power_off && c->suspended)
                drop_held(s, c, end, TRACE_LOSS_SENDER_POWER_OFF);
            if (!c->open[end]) {
                c->answer_rst[end] = power_off; /* its stack forgot the connection too */
                continue;
            }
            bool peer_open = c->open[!end];
            c->open[end] = false;
            c->closed_loss[end] = TRACE_LOSS_RECEIVER_DOWN;
            if (power_off) {
                /* Bytes still in this machine's buffers vanish with it. */
                if (!c->cut)
                    cut_conn(s, c,
                             end == 0 ? TRACE_LOSS_SENDER_POWER_OFF : TRACE_LOSS_RECEIVER_DOWN,
                             end == 1 ? TRACE_LOSS_SENDER_POWER_OFF : TRACE_LOSS_RECEIVER_DOWN);
            } else if (!c->cut && peer_open && c->accepted) {
                /* The OS resets the connection after the bytes it already accepted, once
                 * the process's teardown closed it. */
                sim_time teardown =
                    sim__lane(s, machine, sim__node(s, c->node[end])->model)->teardown_ns;
                push_conn_event(s, c, fifo_arrival_after(s, c, end, teardown),
                                SIM_EV_NET_DOWN, !end, NET_FLAG_RESET, NULL);
            }
        }
        conn_maybe_free(s, c);
    }
}

void net__topology_changed(struct sim *s)
{
    /* Suspend every live connection whose path can no longer be crossed. */
    for (guint i = 0; i < s->conns->len; i++) {
        struct net_conn *c = g_ptr_array_index(s->conns, i);
        if (!c || c->cut || c->suspended || !(c->open[0] || c->open[1]))
            continue;
        if (!sim__reachable(s, c->machine[0], c->machine[1]))
            suspend(s, c);
    }
    /* Resume those whose path is back (and forget those that broke meanwhile). */
    guint held = 0;
    for (guint i = 0; i < s->suspended_conns->len; i++) {
        struct net_conn *c = g_ptr_array_index(s->suspended_conns, i);
        if (c->suspended && !sim__reachable(s, c->machine[0], c->machine[1])) {
            g_ptr_array_index(s->suspended_conns, held++) = c;
            continue;
        }
        if (c->suspended)
            release_held(s, c);
        c->in_suspended_list = false;
        conn_maybe_free(s, c);
    }
    g_ptr_array_set_size(s->suspended_conns, held);
    /* Reset the surviving ends of broken connections whose path is back. */
    guint kept = 0;
    for (guint i = 0; i < s->cut_conns->len; i++) {
        struct net_conn *c = g_ptr_array_index(s->cut_conns, i);
        bool restored = sim__reachable(s, c->machine[0], c->machine[1]);
        if (restored) {
            for (int end = 0; end < 2; end++) {
                if (c->open[end] && (end == 1 || c->connected))
                    push_conn_event(s, c,
                                    s->now + sim__link_latency(s, c->machine[!end],
                                                               c->machine[end], c->model),
                                    SIM_EV_NET_DOWN, end, NET_FLAG_RESET, NULL);
            }
            c->in_cut_list = false;
            conn_maybe_free(s, c);
        } else {
            g_ptr_array_index(s->cut_conns, kept++) = c;
        }
    }
    g_ptr_array_set_size(s->cut_conns, kept);
}

void net__free_all(struct sim *s)
{
    for (guint i = 0; i < s->conns->len; i++) {
        struct net_conn *c = g_ptr_array_index(s->conns, i);
        if (c)
            conn_free(c);
    }
    g_ptr_array_set_size(s->conns, 0);
    g_ptr_array_set_size(s->cut_conns, 0);
    g_ptr_array_set_size(s->suspended_conns, 0);
}
