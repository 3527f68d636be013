/* sim.c: machines, nodes, the event loop and the application of node effects.
 * The network lives in net.c; see sim.h for the model. */
#include "sim/sim_internal.h"

#include <string.h>

struct sim *sim_new(const struct sim_config *cfg, const struct recorder *rec)
{
    struct sim *s = g_new0(struct sim, 1);
    s->cfg = *cfg;
    if (rec)
        s->rec = *rec;
    s->q = evq_new();
    s->machines = g_ptr_array_new();
    s->nodes = g_ptr_array_new();
    s->conns = g_ptr_array_new();
    s->conn_machines = g_array_new(FALSE, FALSE, sizeof(struct conn_machines));
    s->cut_conns = g_ptr_array_new();
    s->suspended_conns = g_ptr_array_new();
    s->slow_links = g_array_new(FALSE, FALSE, sizeof(struct slow_override));
    s->slow_disks = g_array_new(FALSE, FALSE, sizeof(struct slow_override));
    proto_out_init(&s->out);
    s->digest = 0x2545f4914f6cdd1dULL ^ cfg->seed;
    return s;
}

static void free_event_payload(const struct evq_event *ev)
{
    switch (ev->kind) {
    case SIM_EV_NET_MSG:
        sim_msg_free(ev->p);
        break;
    case SIM_EV_DISK_DONE:
        disk_sync_ticket_clear(ev->p);
        g_free(ev->p);
        break;
    case SIM_EV_CALL:
        g_free(ev->p);
        break;
    default:
        break;
    }
}

/* Forgets the inputs a paused machine was holding; with `lost` (the machine stopped, as
 * opposed to the run ending) the messages among them count as lost. */
static void clear_deferred(struct sim *s, uint32_t machine, bool lost)
{
    struct sim_machine *m = sim__machine(s, machine);
    for (guint i = 0; i < m->deferred->len; i++) {
        struct sim_msg *msg = g_array_index(m->deferred, struct deferred_input, i).msg;
        if (lost && msg)
            sim__client_msg_lost(s, msg, -1, machine, TRACE_LOSS_RECEIVER_DOWN);
        sim_msg_free(msg);
    }
    g_array_set_size(m->deferred, 0);
}

static void destroy_node_state(struct sim_node *n)
{
    if (n->state)
        n->ops->destroy(n->state);
    n->state = NULL;
    g_array_set_size(n->timers, 0);
}

void sim_free(struct sim *s)
{
    if (!s)
        return;
    struct evq_event ev;
    sim_time t;
    while (evq_pop(s->q, &t, NULL, &ev))
        free_event_payload(&ev);
    evq_free(s->q);
    for (guint i = 0; i < s->nodes->len; i++) {
        struct sim_node *n = sim__node(s, i);
        destroy_node_state(n);
        g_array_free(n->timers, TRUE);
        g_free(n->name);
        g_free(n);
    }
    for (guint i = 0; i < s->machines->len; i++) {
        struct sim_machine *m = sim__machine(s, i);
        clear_deferred(s, i, false);
        g_array_free(m->deferred, TRUE);
        g_array_free(m->nodes, TRUE);
        g_array_free(m->conns, TRUE);
        for (int l = 0; l < SIM_LANES; l++) {
            if (m->lanes[l])
                disk_free(m->lanes[l]->disk);
            g_free(m->lanes[l]);
        }
        g_free(m->name);
        g_free(m);
    }
    net__free_all(s);
    g_ptr_array_free(s->machines, TRUE);
    g_ptr_array_free(s->nodes, TRUE);
    g_ptr_array_free(s->conns, TRUE);
    g_array_free(s->conn_machines, TRUE);
    g_ptr_array_free(s->cut_conns, TRUE);
    g_ptr_array_free(s->suspended_conns, TRUE);
    g_array_free(s->slow_links, TRUE);
    g_array_free(s->slow_disks, TRUE);
    proto_out_destroy(&s->out);
    g_free(s);
}

uint32_t sim_add_machine(struct sim *s, const char *name, bool has_disk, int32_t trace_host)
{
    ZS_ASSERT(!s->started);
    ZS_ASSERT(trace_host >= -1);
    struct sim_machine *m = g_new0(struct sim_machine, 1);
    uint32_t index = s->machines->len;
    m->name = g_strdup(name);
    m->trace_host = trace_host;
    m->up = m->powered = true;
    m->incarnation = 1;
    m->has_disk = has_disk;
    m->deferred = g_array_new(FALSE, FALSE, sizeof(struct deferred_input));
    m->nodes = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    m->conns = g_array_new(FALSE, FALSE, sizeof(conn_id));
    g_ptr_array_add(s->machines, m);
    return index;
}

bool sim__has_port(const struct sim_node *n, proto_port port)
{
    for (int i = 0; i < PROTO_NODE_PORTS_MAX; i++) {
        if (n->ports[i] != 0 && n->ports[i] == port)
            return true;
    }
    return false;
}

bool sim__listening(const struct sim_node *n, proto_port port)
{
    for (int i = 0; i < PROTO_NODE_PORTS_MAX; i++) {
        if (n->ports[i] != 0 && n->ports[i] == port)
            return (n->listening >> i) & 1;
    }
    return false;
}

static void set_listening(struct sim_node *n, proto_port port, bool on)
{
    for (int i = 0; i < PROTO_NODE_PORTS_MAX; i++) {
        if (n->ports[i] != 0 && n->ports[i] == port) {
            n->listening = on ? n->listening | (1u << i) : n->listening & ~(1u << i);
            return;
        }
    }
    ZS_ASSERT(!on); /* a node opens only the ports it was registered with */
}

static uint8_t all_ports(const struct sim_node *n)
{
    uint8_t mask = 0;
    for (int i = 0; i < PROTO_NODE_PORTS_MAX; i++)
        mask |= (uint8_t)((n->ports[i] != 0) << i);
    return mask;
}

uint32_t sim_add_node(struct sim *s, uint32_t machine, const struct sim_node_spec *spec)
{
    ZS_ASSERT(!s->started);
    ZS_ASSERT(spec->ops != NULL);
    struct sim_machine *m = sim__machine(s, machine);
    struct sim_node *n = g_new0(struct sim_node, 1);
    uint32_t index = s->nodes->len;
    for (int p = 0; p < PROTO_NODE_PORTS_MAX && spec->ports[p] != 0; p++) {
        for (guint i = 0; i < m->nodes->len; i++) /* one listener per port per machine */
            ZS_ASSERT(!sim__has_port(sim__node(s, g_array_index(m->nodes, uint32_t, i)),
                                     spec->ports[p]));
        n->ports[p] = spec->ports[p];
    }
    for (guint i = 0; i < s->nodes->len; i++) /* names are unique: they name streams */
        ZS_ASSERT(strcmp(sim__node(s, i)->name, spec->name) != 0);
    n->name = g_strdup(spec->name);
    n->machine = machine;
    n->model = spec->model;
    n->ops = spec->ops;
    n->config = spec->config;
    n->timers = g_array_new(FALSE, FALSE, sizeof(struct node_timer));
    /* Named by the node's name, not its index: a node's stream is the same whichever other
     * nodes (other models') the run has. */
    char label[160];
    g_snprintf(label, sizeof label, "node/%s", spec->name);
    rng_init(&n->rng, s->cfg.seed, label);

    g_ptr_array_add(s->nodes, n);
    g_array_append_val(m->nodes, index);
    return index;
}

evq_handle sim__push(struct sim *s, sim_time t, const struct evq_event *ev)
{
    ZS_ASSERT(t >= s->now);
    return evq_push(s->q, t, ev);
}

void sim__trace(struct sim *s, struct trace_rec *r)
{
    r->t_ns = s->now;
    s->digest = trace_rec_digest(r, s->digest);
    if (s->rec.record)
        s->rec.record(s->rec.ctx, r);
}

void sim__client_msg_lost(struct sim *s, const struct sim_msg *msg, int64_t from, int64_t to,
                          enum msg_loss loss)
{
    if (msg->msg_id == MSG_ID_NONE)
        return;
    const struct sim_machine *dst = to >= 0 ? sim__machine(s, (uint32_t)to) : NULL;
    struct trace_rec r = { .kind = TRACE_LOST, .model = msg->model,
                           .host = dst ? dst->trace_host : -1,
                           .incarnation = dst ? dst->incarnation : 0 };
    r.u.lost.msg_id = msg->msg_id;
    r.u.lost.type = msg->type;
    r.u.lost.loss = loss;
    r.u.lost.from_host = from >= 0 ? sim__machine(s, (uint32_t)from)->trace_host : -1;
    sim__trace(s, &r);
}

void sim_record(struct sim *s, struct trace_rec *r)
{
    sim__trace(s, r);
}

bool sim__reachable(const struct sim *s, uint32_t a, uint32_t b)
{
    const struct sim_machine *ma = sim__machine(s, a), *mb = sim__machine(s, b);
    if (!ma->powered || !mb->powered)
        return false;
    return a == b || ma->group == mb->group || ma->group == SIM_GROUP_EVERYWHERE ||
           mb->group == SIM_GROUP_EVERYWHERE;
}

/* ---- effects --------------------------------------------------------------------------- */

static struct node_timer *find_timer(struct sim_node *n, uint64_t token, guint *index)
{
    for (guint i = 0; i < n->timers->len; i++) {
        struct node_timer *t = &g_array_index(n->timers, struct node_timer, i);
        if (t->token == token) {
            if (index)
                *index = i;
            return t;
        }
    }
    return NULL;
}

static void timer_cancel(struct sim *s, struct sim_node *n, uint64_t token)
{
    guint index;
    struct node_timer *t = find_timer(n, token, &index);
    if (!t)
        return;
    evq_cancel(s->q, t->handle, NULL);
    g_array_remove_index_fast(n->timers, index);
}

static void timer_set(struct sim *s, uint32_t node, uint64_t token, sim_time delay)
{
    struct sim_node *n = sim__node(s, node);
    struct sim_machine *m = sim__machine(s, n->machine);
    timer_cancel(s, n, token);
    struct node_timer t = { .token = token, .generation = ++n->timer_generation };
    struct evq_event ev = { .kind = SIM_EV_TIMER, .target = node, .incarnation = m->incarnation,
                            .a = token, .b = t.generation };
    t.handle = sim__push(s, s->now + delay, &ev);
    g_array_append_val(n->timers, t);
}

static const struct dist *active_override(GArray *list, uint32_t from, uint32_t to, sim_time now)
{
    /* The latest override wins: scan from the end, dropping expired ones. */
    for (guint i = list->len; i-- > 0;) {
        struct slow_override *o = &g_array_index(list, struct slow_override, i);
        if (o->until <= now) {
            g_array_remove_index(list, i);
            continue;
        }
        if (o->from == from && o->to == to)
            return &o->d;
    }
    return NULL;
}

struct machine_lane *sim__lane(struct sim *s, uint32_t machine, model_id model)
{
    struct sim_machine *m = sim__machine(s, machine);
    struct machine_lane *lane = m->lanes[model];
    if (lane)
        return lane;
    lane = g_new0(struct machine_lane, 1);
    char label[48];
    g_snprintf(label, sizeof label, "net/%u/%u", machine, model);
    rng_init(&lane->net_rng, s->cfg.seed, label);
    g_snprintf(label, sizeof label, "disk/%u/%u", machine, model);
    rng_init(&lane->disk_rng, s->cfg.seed, label);
    g_snprintf(label, sizeof label, "life/%u/%u", machine, model);
    rng_init(&lane->life_rng, s->cfg.seed, label);
    g_snprintf(label, sizeof label, "jitter/%u/%u", machine, model);
    rng_init(&lane->jitter_rng, s->cfg.seed, label);
    g_snprintf(label, sizeof label, "proc/%u/%u", machine, model);
    rng_init(&lane->proc_rng, s->cfg.seed, label);
    lane->disk = m->has_disk ? disk_new() : NULL;
    m->lanes[model] = lane;
    return lane;
}

static void disk_sync(struct sim *s, uint32_t node, uint16_t file, uint64_t token)
{
    struct sim_node *n = sim__node(s, node);
    struct sim_machine *m = sim__machine(s, n->machine);
    struct machine_lane *lane = sim__lane(s, n->machine, n->model);
    ZS_ASSERT(lane->disk != NULL);
    const struct dist *d = active_override(s->slow_disks, n->machine, n->machine, s->now);
    sim_time latency = dist_sample(d ? d : &s->cfg.fsync, &lane->disk_rng);
    /* One device per model: its fsyncs complete one after another. */
    sim_time start = MAX(s->now, lane->disk_busy_until);
    lane->disk_busy_until = start + latency;
    struct disk_sync_ticket *ticket = g_new(struct disk_sync_ticket, 1);
    *ticket = disk_sync_begin(lane->disk, file);
    struct evq_event ev = { .kind = SIM_EV_DISK_DONE, .target = node, .aux = n->machine,
                            .incarnation = m->incarnation, .a = token, .b = n->model,
                            .p = ticket };
    sim__push(s, lane->disk_busy_until, &ev);
}

static void apply_effects(struct sim *s, uint32_t node)
{
    struct sim_node *n = sim__node(s, node);
    struct sim_machine *m = sim__machine(s, n->machine);
    struct proto_out *o = &s->out;
    for (guint i = 0; i < proto_out_len(o); i++) {
        struct proto_effect *e = proto_out_at(o, i);
        switch (e->kind) {
        case PROTO_EFFECT_SEND:
            net__send(s, node, e->conn, e->msg);
            e->msg = NULL;
            break;
        case PROTO_EFFECT_CONNECT:
            net__connect(s, node, e->machine, e->port, e->token);
            break;
        case PROTO_EFFECT_CLOSE:
            net__close(s, node, e->conn);
            break;
        case PROTO_EFFECT_TIMER_SET:
            timer_set(s, node, e->token, e->delay_ns);
            break;
        case PROTO_EFFECT_TIMER_CANCEL:
            timer_cancel(s, n, e->token);
            break;
        case PROTO_EFFECT_DISK_APPEND:
            disk_log_append(sim__lane(s, n->machine, n->model)->disk, e->file,
                            proto_out_data(o, e), e->data_size);
            if (s->watcher)
                sim__watch(s, SIM_WATCH_APPEND, n->model, n->machine, -1, NULL);
            break;
        case PROTO_EFFECT_DISK_TRUNCATE:
            disk_log_truncate(sim__lane(s, n->machine, n->model)->disk, e->file, e->records);
            break;
        case PROTO_EFFECT_DISK_PUT:
            disk_blob_put(sim__lane(s, n->machine, n->model)->disk, e->file,
                          proto_out_data(o, e), e->data_size);
            if (s->watcher)
                sim__watch(s, SIM_WATCH_WRITE, n->model, n->machine, -1, NULL);
            break;
        case PROTO_EFFECT_DISK_SYNC:
            disk_sync(s, node, e->file, e->token);
            break;
        case PROTO_EFFECT_LISTEN:
            set_listening(n, e->port, e->on);
            break;
        case PROTO_EFFECT_TRACE: {
            struct trace_rec *r = proto_out_trace(o, e);
            r->model = n->model;
            r->host = m->trace_host;
            r->incarnation = m->incarnation;
            sim__trace(s, r);
            break;
        }
        }
    }
    /* Every effect has been consumed (sends took their messages): reset without the
     * clearing pass proto_out_clear would make over them. */
    o->effects->len = 0;
    o->traces->len = 0;
    o->arena->len = 0;
}

static struct proto_env node_env(struct sim *s, uint32_t node)
{
    struct sim_node *n = sim__node(s, node);
    return (struct proto_env){ .now_ns = s->now,
                               .self_node = node,
                               .self_machine = n->machine,
                               .incarnation = sim__machine(s, n->machine)->incarnation,
                               .rng = &n->rng };
}

static void run_node(struct sim *s, uint32_t node, const struct proto_input *in)
{
    struct sim_node *n = sim__node(s, node);
    ZS_ASSERT(n->state != NULL);
    struct proto_env env = node_env(s, node);
    n->ops->handle(n->state, &env, in, &s->out);
    apply_effects(s, node);
}

void sim__deliver(struct sim *s, uint32_t node, const struct proto_input *in, struct sim_msg *msg)
{
    struct sim_node *n = sim__node(s, node);
    struct sim_machine *m = sim__machine(s, n->machine);
    if (!m->up || !n->state) {
        if (msg)
            sim__client_msg_lost(s, msg, -1, n->machine, TRACE_LOSS_RECEIVER_DOWN);
        sim_msg_free(msg);
        return;
    }
    if (m->paused) {
        struct deferred_input d = { .node = node, .in = *in, .msg = msg };
        g_array_append_val(m->deferred, d);
        return;
    }
    struct proto_input copy = *in;
    copy.msg = msg;
    run_node(s, node, &copy);
    sim_msg_free(msg);
}

bool sim_node_input(struct sim *s, uint32_t node, const struct proto_input *in)
{
    struct sim_node *n = sim__node(s, node);
    struct sim_machine *m = sim__machine(s, n->machine);
    /* A paused or dead process issues no work: the input is dropped, not deferred (it
     * borrows the caller's op, which would not outlive the pause). */
    if (!m->up || m->paused || !n->state)
        return false;
    sim__deliver(s, node, in, NULL);
    return true;
}

static void create_node(struct sim *s, uint32_t node)
{
    struct sim_node *n = sim__node(s, node);
    struct proto_env env = node_env(s, node);
    n->listening = all_ports(n);
    n->state = n->ops->create(n->config, &env, sim__lane(s, n->machine, n->model)->disk);
}

/* Creates the nodes of the machine (of one model only, unless model is SIM_LANES), then
 * starts them, in node order. */
static void start_nodes(struct sim *s, uint32_t machine, unsigned model)
{
    struct sim_machine *m = sim__machine(s, machine);
    for (guint i = 0; i < m->nodes->len; i++) {
        uint32_t node = g_array_index(m->nodes, uint32_t, i);
        if (model == SIM_LANES || sim__node(s, node)->model == model)
            create_node(s, node);
    }
    for (guint i = 0; i < m->nodes->len; i++) {
        uint32_t node = g_array_index(m->nodes, uint32_t, i);
        struct proto_input in = { .kind = PROTO_IN_START };
        if (model == SIM_LANES || sim__node(s, node)->model == model)
            run_node(s, node, &in);
    }
}

/* After a restart: each model's nodes start at once or after that model's start-up. */
static void restart_nodes(struct sim *s, uint32_t machine)
{
    struct sim_machine *m = sim__machine(s, machine);
    bool seen[SIM_LANES] = { false };
    for (guint i = 0; i < m->nodes->len; i++) {
        model_id model = sim__node(s, g_array_index(m->nodes, uint32_t, i))->model;
        if (seen[model])
            continue;
        seen[model] = true;
        const struct dist *d = s->lifetime[model].startup;
        sim_time delay = d ? dist_sample(d, &sim__lane(s, machine, model)->life_rng) : 0;
        if (delay == 0) {
            start_nodes(s, machine, model);
            continue;
        }
        struct evq_event ev = { .kind = SIM_EV_MODEL_START, .target = machine,
                                .incarnation = m->incarnation, .b = model };
        sim__push(s, s->now + delay, &ev);
    }
}

static void on_model_start(struct sim *s, const struct evq_event *ev)
{
    struct sim_machine *m = sim__machine(s, ev->target);
    if (!m->up || m->incarnation != ev->incarnation)
        return; /* the machine died again before the processes were up */
    if (m->paused) {
        struct evq_event again = *ev; /* a stalled machine starts nothing */
        sim__push(s, m->pause_until, &again);
        return;
    }
    start_nodes(s, ev->target, (unsigned)ev->b);
}

void sim_model_lifetime(struct sim *s, model_id model, const struct dist *startup,
                        const struct dist *teardown)
{
    ZS_ASSERT(!s->started);
    s->lifetime[model].startup = startup;
    s->lifetime[model].teardown = teardown;
}

void sim_model_processing(struct sim *s, model_id model, const struct dist *per_message)
{
    ZS_ASSERT(!s->started);
    bool none = !per_message || (per_message->kind == DIST_FIXED && per_message->a == 0);
    s->lifetime[model].processing = none ? NULL : per_message;
}

sim_time sim__processing_done(struct sim *s, uint32_t node, bool costs)
{
    struct sim_node *n = sim__node(s, node);
    const struct dist *d = s->lifetime[n->model].processing;
    if (!d)
        return s->now;
    uint32_t incarnation = sim__machine(s, n->machine)->incarnation;
    sim_time start = n->busy_incarnation == incarnation ? MAX(n->busy_until, s->now) : s->now;
    if (costs)
        start += dist_sample(d, &sim__lane(s, n->machine, n->model)->proc_rng);
    n->busy_until = start;
    n->busy_incarnation = incarnation;
    return start;
}

void sim_start(struct sim *s)
{
    ZS_ASSERT(!s->started);
    s->started = true;
    for (guint i = 0; i < s->machines->len; i++)
        start_nodes(s, i, SIM_LANES);
}

/* ---- the loop -------------------------------------------------------------------------- */

static void on_timer(struct sim *s, const struct evq_event *ev)
{
    struct sim_node *n = sim__node(s, ev->target);
    guint index;
    struct node_timer *t = find_timer(n, ev->a, &index);
    if (!t || t->generation != ev->b)
        return; /* the node crashed and the timer died with it */
    g_array_remove_index_fast(n->timers, index);
    struct proto_input in = { .kind = PROTO_IN_TIMER, .token = ev->a };
    sim__deliver(s, ev->target, &in, NULL);
}

static void on_disk_done(struct sim *s, const struct evq_event *ev)
{
    struct sim_machine *m = sim__machine(s, ev->aux);
    struct disk_sync_ticket *ticket = ev->p;
    /* The kernel finishes the fsync even if the process that asked has died; a power loss
     * since it was issued voids it (the ticket knows). */
    disk_sync_complete(sim__lane(s, ev->aux, (model_id)ev->b)->disk, ticket);
    g_free(ticket);
    s->stats.fsyncs++;
    if (s->watcher)
        sim__watch(s, SIM_WATCH_FSYNC, (model_id)ev->b, ev->aux, -1, NULL);
    if (m->incarnation != ev->incarnation || !m->up)
        return;
    struct proto_input in = { .kind = PROTO_IN_DISK_DONE, .token = ev->a };
    sim__deliver(s, ev->target, &in, NULL);
}

static void on_resume(struct sim *s, const struct evq_event *ev)
{
    struct sim_machine *m = sim__machine(s, ev->target);
    if (!m->paused || m->incarnation != ev->incarnation)
        return;
    if (s->now < m->pause_until) {
        struct evq_event again = *ev;
        sim__push(s, m->pause_until, &again);
        return;
    }
    m->paused = false;
    /* Swap the list out first: a handler below may not fault machines, but it runs with
     * the machine live again, so nothing new can be appended to the list being drained. */
    GArray *pending = m->deferred;
    m->deferred = g_array_new(FALSE, FALSE, sizeof(struct deferred_input));
    for (guint i = 0; i < pending->len; i++) {
        struct deferred_input *d = &g_array_index(pending, struct deferred_input, i);
        sim__deliver(s, d->node, &d->in, d->msg);
    }
    g_array_free(pending, TRUE);
}

static void dispatch(struct sim *s, const struct evq_event *ev)
{
    switch (ev->kind) {
    case SIM_EV_NET_MSG:
    case SIM_EV_NET_ACCEPT:
    case SIM_EV_NET_CONNECTED:
    case SIM_EV_NET_REFUSED:
    case SIM_EV_NET_DOWN:
    case SIM_EV_NET_DIAL_TIMEOUT:
    case SIM_EV_NET_GIVE_UP:
        net__on_event(s, ev);
        break;
    case SIM_EV_TIMER: {
        struct sim_node *n = sim__node(s, ev->target);
        struct sim_machine *m = sim__machine(s, n->machine);
        if (m->up && m->incarnation == ev->incarnation)
            on_timer(s, ev);
        break;
    }
    case SIM_EV_DISK_DONE:
        on_disk_done(s, ev);
        break;
    case SIM_EV_CALL: {
        struct sim_call *c = ev->p;
        c->fn(s, c->ctx, c->arg);
        g_free(c);
        break;
    }
    case SIM_EV_RESUME:
        on_resume(s, ev);
        break;
    case SIM_EV_MODEL_START:
        on_model_start(s, ev);
        break;
    default:
        ZS_ASSERT(!"unknown event kind");
    }
}

/* What an event is called, and the machine it happened on, for sim_event_note. */
static void describe_event(const struct sim *s, const struct evq_event *ev, const char **kind,
                           const char **machine)
{
    static const char *const names[] = {
        [SIM_EV_NET_MSG] = "network message",   [SIM_EV_NET_ACCEPT] = "connection accepted",
        [SIM_EV_NET_CONNECTED] = "connected",   [SIM_EV_NET_REFUSED] = "connection refused",
        [SIM_EV_NET_DOWN] = "connection down", [SIM_EV_NET_DIAL_TIMEOUT] = "dial timeout",
        [SIM_EV_NET_GIVE_UP] = "retransmissions exhausted", [SIM_EV_TIMER] = "timer",
        [SIM_EV_DISK_DONE] = "disk done",       [SIM_EV_CALL] = "scheduled call",
        [SIM_EV_RESUME] = "machine resumed",   [SIM_EV_MODEL_START] = "processes started",
    };
    *kind = ev->kind < G_N_ELEMENTS(names) && names[ev->kind] ? names[ev->kind] : "?";
    uint32_t m = UINT32_MAX;
    switch (ev->kind) {
    case SIM_EV_CALL:
        break;
    case SIM_EV_RESUME:
    case SIM_EV_MODEL_START:
        m = ev->target;
        break;
    default: /* the others name a node */
        if (ev->target < s->nodes->len)
            m = sim__node(s, ev->target)->machine;
        break;
    }
    *machine = m < s->machines->len ? sim__machine(s, m)->name : NULL;
}

static void notify_observer(struct sim *s, const struct evq_event *ev)
{
    struct sim_event_note note = { .index = s->stats.events - 1, .t_ns = s->now,
                                   .digest = s->digest };
    describe_event(s, ev, &note.kind, &note.machine);
    s->observer(s->observer_ctx, &note);
}

bool sim_step(struct sim *s)
{
    struct evq_event ev;
    sim_time t;
    uint64_t seq;
    if (!evq_pop(s->q, &t, &seq, &ev))
        return false;
    ZS_ASSERT(t >= s->now);
    s->now = t;
    s->current_seq = seq;
    s->stats.events++;
    s->digest = (s->digest ^ ((uint64_t)t * 0x9e3779b97f4a7c15ULL) ^ ev.kind ^
                 ((uint64_t)ev.target << 16)) * 0xff51afd7ed558ccdULL;
    zs_assert_set_time(t, seq);
    dispatch(s, &ev);
    if (s->observer)
        notify_observer(s, &ev);
    return true;
}

void sim_set_watcher(struct sim *s, sim_watcher fn, void *ctx)
{
    s->watcher = fn;
    s->watcher_ctx = ctx;
}

void sim__watch(struct sim *s, enum sim_watch_kind kind, model_id model, uint32_t machine,
                int64_t peer_machine, const char *type)
{
    struct sim_watch_note note = {
        .kind = kind, .model = model, .host = sim__machine(s, machine)->trace_host,
        .peer_host = peer_machine >= 0 ? sim__machine(s, (uint32_t)peer_machine)->trace_host
                                       : -1,
        .type = type };
    s->watcher(s->watcher_ctx, &note);
}

void sim_set_event_observer(struct sim *s, sim_event_observer fn, void *ctx)
{
    s->observer = fn;
    s->observer_ctx = ctx;
}

void sim_run_until(struct sim *s, sim_time end)
{
    while (evq_peek_time(s->q) <= end) {
        if (!sim_step(s))
            break;
    }
    if (end > s->now)
        s->now = end;
}

sim_time sim_now(const struct sim *s)
{
    return s->now;
}

void sim_at(struct sim *s, sim_time t, sim_call_fn *fn, void *ctx, uint64_t arg)
{
    struct sim_call *c = g_new(struct sim_call, 1);
    *c = (struct sim_call){ .fn = fn, .ctx = ctx, .arg = arg };
    struct evq_event ev = { .kind = SIM_EV_CALL, .p = c };
    sim__push(s, MAX(t, s->now), &ev);
}

/* ---- faults ---------------------------------------------------------------------------- */

static void kill_processes(struct sim *s, uint32_t machine, bool power_off)
{
    struct sim_machine *m = sim__machine(s, machine);
    m->up = false;
    m->paused = false;
    clear_deferred(s, machine, true);
    for (guint i = 0; i < m->nodes->len; i++) {
        struct sim_node *n = sim__node(s, g_array_index(m->nodes, uint32_t, i));
        /* Pending timer events die with the incarnation check; only forget them here. */
        destroy_node_state(n);
    }
    /* A killed process's sockets close when its teardown completes; a machine that loses
     * power closes nothing. */
    bool drawn[SIM_LANES] = { false };
    for (guint i = 0; i < m->nodes->len; i++) {
        model_id model = sim__node(s, g_array_index(m->nodes, uint32_t, i))->model;
        const struct dist *d = s->lifetime[model].teardown;
        if (drawn[model] || power_off || !d)
            continue;
        drawn[model] = true;
        struct machine_lane *lane = sim__lane(s, machine, model);
        lane->teardown_ns = dist_sample(d, &lane->life_rng);
    }
    net__machine_down(s, machine, power_off);
}

bool sim_crash(struct sim *s, uint32_t machine)
{
    struct sim_machine *m = sim__machine(s, machine);
    if (!m->up)
        return false;
    kill_processes(s, machine, false);
    return true;
}

bool sim_power_off(struct sim *s, uint32_t machine)
{
    struct sim_machine *m = sim__machine(s, machine);
    if (!m->powered)
        return false;
    if (m->up)
        kill_processes(s, machine, true);
    else
        net__machine_down(s, machine, true);
    m->powered = false;
    for (int l = 0; l < SIM_LANES; l++) {
        if (m->lanes[l] && m->lanes[l]->disk)
            disk_power_loss(m->lanes[l]->disk);
        if (m->lanes[l])
            m->lanes[l]->disk_busy_until = s->now;
    }
    net__topology_changed(s);
    return true;
}

bool sim_restart(struct sim *s, uint32_t machine)
{
    struct sim_machine *m = sim__machine(s, machine);
    if (m->up)
        return false;
    bool was_off = !m->powered;
    m->powered = true;
    m->up = true;
    m->incarnation++;
    if (was_off)
        net__topology_changed(s);
    restart_nodes(s, machine);
    return true;
}

bool sim_pause(struct sim *s, uint32_t machine, sim_time duration)
{
    struct sim_machine *m = sim__machine(s, machine);
    if (!m->up)
        return false;
    sim_time until = s->now + duration;
    if (m->paused) {
        m->pause_until = MAX(m->pause_until, until);
        return true;
    }
    m->paused = true;
    m->pause_until = until;
    struct evq_event ev = {.kind = SIM_EV_RESUME, .target = machine, .incarnation = m->incarnation};
    sim__push(s, until, &ev);
    return true;
}

void sim_set_groups(struct sim *s, const int *group)
{
    for (guint i = 0; i < s->machines->len; i++)
        sim__machine(s, i)->group = group[i];
    net__topology_changed(s);
}

void sim_slow_link(struct sim *s, uint32_t from, uint32_t to, const struct dist *d, sim_time until)
{
    struct slow_override o = { .from = from, .to = to, .d = *d, .until = until };
    g_array_append_val(s->slow_links, o);
}

void sim_slow_disk(struct sim *s, uint32_t machine, const struct dist *d, sim_time until)
{
    struct slow_override o = { .from = machine, .to = machine, .d = *d, .until = until };
    g_array_append_val(s->slow_disks, o);
}

sim_time sim__link_latency(struct sim *s, uint32_t from, uint32_t to, model_id model)
{
    if (from == to)
        return s->cfg.loopback_ns;
    const struct dist *d = active_override(s->slow_links, from, to, s->now);
    return dist_sample(d ? d : &s->cfg.latency, &sim__lane(s, from, model)->net_rng);
}

sim_time sim__send_jitter(struct sim *s, uint32_t from, model_id model)
{
    if (s->cfg.jitter.kind == DIST_FIXED && s->cfg.jitter.a == 0)
        return 0;
    return dist_sample(&s->cfg.jitter, &sim__lane(s, from, model)->jitter_rng);
}

/* ---- queries --------------------------------------------------------------------------- */

bool sim_machine_up(const struct sim *s, uint32_t machine)
{
    return sim__machine(s, machine)->up;
}

uint32_t sim_machine_incarnation(const struct sim *s, uint32_t machine)
{
    return sim__machine(s, machine)->incarnation;
}

const void *sim_node_state(const struct sim *s, uint32_t node)
{
    return sim__node(s, node)->state;
}

const struct sim_stats *sim_get_stats(const struct sim *s)
{
    ((struct sim *)s)->stats.events_pending_peak = evq_peak(s->q);
    return &s->stats;
}

uint64_t sim_digest(const struct sim *s)
{
    return s->digest;
}
