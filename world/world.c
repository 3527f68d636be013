/* world.c: assembling and driving a zabsim run; see world.h. Nothing here names a model:
 * each selected model's descriptor builds and drives its own nodes. */
#include "world/world.h"

#include "world/triggers.h"
#include "world/units.h"

#include <math.h>
#include <string.h>

/* A model selected for the run. */
struct world_model {
    model_id id;
    const struct model_desc *desc;
    struct model_run *run;
    uint32_t *host_nodes;   /* by host */
    uint32_t *client_nodes; /* by client */
    /* Replay marking (desc->replays_history): per host, the message delivered at each seq by
     * its latest incarnation, and how much of that earlier incarnations delivered. */
    GArray **delivered;     /* by host: msg_id_t by seq - 1 */
    guint *earlier_len;     /* by host */
    uint32_t *incarnation;  /* by host: incarnation of its latest delivery */
    /* For triggers on states: each host's latest state and phase (UINT16_MAX: none yet). */
    uint16_t *last_state, *last_phase; /* by host */
};

struct world_client {
    uint32_t machine;
    uint32_t next_seq;
    sim_time interval_ns;
};

struct world {
    const struct scenario *sc;
    unsigned models;
    struct world_model *by_id[MODELS_MAX]; /* NULL for models not in the run */
    GArray *selected;                      /* struct world_model, in registry order */
    struct sim *sim;
    struct recorder user_rec;
    struct rng fault_rng, workload_rng;
    uint32_t *host_machines;
    uint32_t *client_machines;  /* c1..cN: scenario_client_machines() of them */
    uint32_t n_client_machines;
    struct world_client *clients; /* by workload client */
    GArray *beside;  /* int32_t host index of every machine, -1 for clients' */
    int *groups;     /* per machine, rebuilt by set_groups */
    struct triggers *triggers; /* NULL: no fault waits for an event */
    int32_t event_host;        /* while a triggered fault fires: its event's host, else -1 */
};

static struct world_model *selected_at(const struct world *w, guint i)
{
    return &g_array_index(w->selected, struct world_model, i);
}

/* ---- records on their way out ---------------------------------------------------------- */

static void mark_replay(struct world_model *wm, struct trace_rec *r)
{
    if (r->host < 0 || r->u.delivery.seq == 0)
        return;
    uint32_t h = (uint32_t)r->host;
    GArray *d = wm->delivered[h];
    if (r->incarnation != wm->incarnation[h]) {
        wm->incarnation[h] = r->incarnation;
        wm->earlier_len[h] = d->len;
    }
    uint64_t i = r->u.delivery.seq - 1;
    ZS_ASSERT(i < G_MAXUINT);
    r->u.delivery.replayed = i < wm->earlier_len[h] &&
                             g_array_index(d, msg_id_t, i) == r->u.delivery.msg_id;
    if (i >= d->len)
        g_array_set_size(d, (guint)i + 1);
    g_array_index(d, msg_id_t, i) = r->u.delivery.msg_id;
}

/* A model's record, refined by the model and marked as a replay where it is one. */
static void forward_model_record(struct world *w, struct world_model *wm,
                                 const struct trace_rec *r)
{
    struct trace_rec copy = *r;
    if (wm->desc->annotate)
        wm->desc->annotate(wm->run, &copy);
    if (wm->desc->replays_history && copy.kind == TRACE_DELIVERY)
        mark_replay(wm, &copy);
    if (w->user_rec.record)
        w->user_rec.record(w->user_rec.ctx, &copy);
}

/* State changes and deliveries, for the triggers that wait for them. */
static void observe_record(struct world *w, struct world_model *wm, const struct trace_rec *r)
{
    if (r->host < 0 || (uint32_t)r->host >= w->sc->hosts)
        return;
    struct trigger_seen e = { .model = wm->id, .host = r->host, .peer = -1 };
    if (r->kind == TRACE_STATE) {
        uint32_t h = (uint32_t)r->host;
        e.event = TRIGGER_STATE;
        e.state = wm->desc->state_name ? wm->desc->state_name(r->u.state.state) : NULL;
        e.phase = wm->desc->phase_name ? wm->desc->phase_name(r->u.state.phase) : NULL;
        e.entered_state = wm->last_state[h] != r->u.state.state;
        e.entered_phase = wm->last_phase[h] != r->u.state.phase;
        wm->last_state[h] = r->u.state.state;
        wm->last_phase[h] = r->u.state.phase;
    } else if (r->kind == TRACE_DELIVERY) {
        e.event = TRIGGER_DELIVER;
    } else {
        return;
    }
    triggers_observe(w->triggers, &e, sim_now(w->sim));
}

/* Messages and disk operations, from the simulator, for the triggers that wait for them. */
static void watch_sim(void *ctx, const struct sim_watch_note *note)
{
    struct world *w = ctx;
    static const enum trigger_event events[] = {
        [SIM_WATCH_SEND] = TRIGGER_SEND,     [SIM_WATCH_RECEIVE] = TRIGGER_RECEIVE,
        [SIM_WATCH_APPEND] = TRIGGER_APPEND, [SIM_WATCH_WRITE] = TRIGGER_WRITE,
        [SIM_WATCH_FSYNC] = TRIGGER_FSYNC,
    };
    ZS_ASSERT((size_t)note->kind < G_N_ELEMENTS(events));
    struct trigger_seen e = { .event = events[note->kind], .model = note->model,
                              .host = note->host, .peer = note->peer_host,
                              .type = note->type };
    triggers_observe(w->triggers, &e, sim_now(w->sim));
}

static void world_record(void *ctx, const struct trace_rec *r)
{
    struct world *w = ctx;
    struct world_model *wm = r->model < MODELS_MAX ? w->by_id[r->model] : NULL;
    if (r->kind == TRACE_LOST) {
        /* The network does not know what a lost message meant to the model: the model
         * says which host missed it, as a drop, or that nobody did. */
        struct trace_rec drop = { .kind = TRACE_DROP, .model = r->model, .t_ns = r->t_ns,
                                  .host = r->host, .incarnation = r->incarnation };
        if (wm && wm->desc->lost_as_drop && wm->desc->lost_as_drop(wm->run, r, &drop)) {
            ZS_ASSERT(drop.kind == TRACE_DROP);
            forward_model_record(w, wm, &drop);
        }
        return;
    }
    if (wm) {
        forward_model_record(w, wm, r);
        if (w->triggers)
            observe_record(w, wm, r);
        return;
    }
    if (w->user_rec.record)
        w->user_rec.record(w->user_rec.ctx, r);
}

/* ---- building ------------------------------------------------------------------------ */

static void add_machines(struct world *w)
{
    const struct scenario *sc = w->sc;
    for (uint32_t h = 0; h < sc->hosts; h++) {
        int32_t beside = (int32_t)h;
        w->host_machines[h] = sim_add_machine(w->sim, sc->host_names[h], true, (int32_t)h);
        g_array_append_val(w->beside, beside);
    }
    for (uint32_t c = 0; c < w->n_client_machines; c++) {
        char name[32];
        int32_t none = -1;
        g_snprintf(name, sizeof name, "c%u", c + 1);
        w->client_machines[c] = sim_add_machine(w->sim, name, false, -1);
        g_array_append_val(w->beside, none);
    }
}

/* beside[] of a machine outside every partition (a recipe's protected resource). */
#define BESIDE_EVERYWHERE (-2)

static uint32_t add_machine_everywhere(void *ctx, const char *name)
{
    struct world *w = ctx;
    int32_t everywhere = BESIDE_EVERYWHERE;
    uint32_t m = sim_add_machine(w->sim, name, false, -1);
    ZS_ASSERT(m == w->beside->len);
    g_array_append_val(w->beside, everywhere);
    return m;
}

static uint32_t add_machine_beside(void *ctx, uint32_t host, const char *name)
{
    struct world *w = ctx;
    ZS_ASSERT(host < w->sc->hosts);
    /* Its nodes' records are the host's: a subscriber apart still delivers for its host. */
    int32_t h = (int32_t)host;
    uint32_t m = sim_add_machine(w->sim, name, false, h);
    ZS_ASSERT(m == w->beside->len);
    g_array_append_val(w->beside, h);
    return m;
}

static void build_models(struct world *w)
{
    const struct scenario *sc = w->sc;
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        struct model_build b = { .sc = sc, .sim = w->sim, .id = wm->id,
                                 .host_machines = w->host_machines,
                                 .client_machines = w->client_machines,
                                 .add_machine_beside = add_machine_beside,
                                 .add_machine_everywhere = add_machine_everywhere, .world = w };
        wm->run = wm->desc->build(&b);
        wm->host_nodes = g_new(uint32_t, MAX(sc->hosts, 1));
        wm->client_nodes = g_new(uint32_t, MAX(sc->workload.clients, 1));
        wm->delivered = g_new0(GArray *, MAX(sc->hosts, 1));
        wm->earlier_len = g_new0(guint, MAX(sc->hosts, 1));
        wm->incarnation = g_new0(uint32_t, MAX(sc->hosts, 1));
        wm->last_state = g_new(uint16_t, MAX(sc->hosts, 1));
        wm->last_phase = g_new(uint16_t, MAX(sc->hosts, 1));
        for (uint32_t h = 0; h < sc->hosts; h++) {
            wm->delivered[h] = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
            wm->last_state[h] = wm->last_phase[h] = UINT16_MAX;
        }
    }
    /* Host by host, then client by client, every model at each: node creation order. */
    for (uint32_t h = 0; h < sc->hosts; h++) {
        for (guint i = 0; i < w->selected->len; i++) {
            struct world_model *wm = selected_at(w, i);
            wm->host_nodes[h] = wm->desc->place_host(wm->run, h);
        }
    }
    for (uint32_t c = 0; c < sc->workload.clients; c++) {
        for (guint i = 0; i < w->selected->len; i++) {
            struct world_model *wm = selected_at(w, i);
            wm->client_nodes[c] = wm->desc->place_client(wm->run, c);
        }
        double rate = sc->workload.rate;
        w->clients[c].machine = w->client_machines[c];
        w->clients[c].interval_ns = rate > 0 ? (sim_time)llround(1e9 / rate) : 0;
    }
    /* Last, so that a scenario without recipes creates the nodes it always did. */
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        if (wm->desc->place_recipes)
            wm->desc->place_recipes(wm->run);
    }
}

/* ---- workload ------------------------------------------------------------------------ */

static void workload_tick(struct sim *s, void *ctx, uint64_t index)
{
    struct world *w = ctx;
    struct world_client *c = &w->clients[index];
    msg_id_t id = msg_id_make((uint32_t)index + 1, ++c->next_seq);
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        wm->desc->offer(wm->run, (uint32_t)index, id);
    }
    sim_time next = sim_now(s) + c->interval_ns;
    if (next < w->sc->workload.stop)
        sim_at(s, next, workload_tick, w, index);
}

static void schedule_workload(struct world *w)
{
    for (uint32_t i = 0; i < w->sc->workload.clients; i++) {
        struct world_client *c = &w->clients[i];
        if (c->interval_ns <= 0)
            continue;
        /* Clients do not tick in lockstep: each starts at a random phase of its interval. */
        sim_time first = w->sc->workload.start +
                         (sim_time)rng_below(&w->workload_rng, (uint64_t)c->interval_ns);
        if (first < w->sc->workload.stop)
            sim_at(w->sim, first, workload_tick, w, i);
    }
}

/* ---- faults -------------------------------------------------------------------------- */

static bool host_up(const struct world *w, uint32_t h)
{
    return sim_machine_up(w->sim, w->host_machines[h]);
}

/* The first selected model that resolves this kind of target, or NULL. */
static struct world_model *resolver_of(const struct world *w, enum target_kind kind)
{
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        if (wm->desc->targets & (1u << kind))
            return wm;
    }
    return NULL;
}

/* A fault's targets, resolved: hosts, then client machines (client indices). */
struct resolved {
    uint32_t n_hosts, n_clients;
    uint32_t hosts[SCENARIO_MAX_HOSTS];
    uint32_t clients[SCENARIO_MAX_CLIENTS];
};

/* The client machines holding some recipe's lock or leadership now, each once, in recipe
 * order, into r: a recipe whose backend is not in the run or cannot say (recipe_holder NULL)
 * names nobody, nor does one nobody holds. Recipes side by side share client machines c1..cN,
 * so stopping one recipe's holder stops whatever the other recipes run on that machine. */
static void recipe_holders(const struct world *w, struct resolved *r)
{
    for (uint32_t i = 0; i < w->sc->n_recipes; i++) {
        model_id backend = w->sc->recipes[i].backend;
        struct world_model *wm = backend < MODELS_MAX ? w->by_id[backend] : NULL;
        if (!wm || !wm->desc->recipe_holder)
            continue;
        int c = wm->desc->recipe_holder(wm->run, i);
        const struct scenario_recipe *sr = &w->sc->recipes[i];
        ZS_ASSERT(c == -1 || (c >= (int)sr->first_client &&
                              c < (int)(sr->first_client + sr->clients)));
        bool seen = false;
        for (uint32_t k = 0; k < r->n_clients; k++)
            seen = seen || r->clients[k] == (uint32_t)c;
        if (c >= 0 && !seen)
            r->clients[r->n_clients++] = (uint32_t)c;
    }
}

/* Resolves a target to hosts and client machines, into *r. */
static void resolve(struct world *w, const struct scenario_target *t, struct resolved *r)
{
    uint32_t n = 0;
    r->n_hosts = r->n_clients = 0;
    switch (t->kind) {
    case SCENARIO_TARGET_HOSTS:
        memcpy(r->hosts, t->hosts, t->n_hosts * sizeof *r->hosts);
        memcpy(r->clients, t->clients, t->n_clients * sizeof *r->clients);
        r->n_hosts = t->n_hosts;
        r->n_clients = t->n_clients;
        return;
    case SCENARIO_TARGET_LEADER:
    case SCENARIO_TARGET_FOLLOWER: {
        struct world_model *wm = resolver_of(w, t->kind);
        int h = wm ? wm->desc->resolve(wm->run, t->kind, &w->fault_rng) : -1;
        if (h < 0)
            return;
        ZS_ASSERT((uint32_t)h < w->sc->hosts);
        r->hosts[r->n_hosts++] = (uint32_t)h;
        return;
    }
    case SCENARIO_TARGET_RANDOM: {
        uint32_t up[SCENARIO_MAX_HOSTS];
        for (uint32_t h = 0; h < w->sc->hosts; h++) {
            if (host_up(w, h))
                up[n++] = h;
        }
        if (n > 0)
            r->hosts[r->n_hosts++] = up[rng_below(&w->fault_rng, n)];
        return;
    }
    case SCENARIO_TARGET_CRASHED: /* hosts, then client machines */
        for (uint32_t h = 0; h < w->sc->hosts; h++) {
            if (!host_up(w, h))
                r->hosts[r->n_hosts++] = h;
        }
        for (uint32_t c = 0; c < w->n_client_machines; c++) {
            if (!sim_machine_up(w->sim, w->client_machines[c]))
                r->clients[r->n_clients++] = c;
        }
        return;
    case SCENARIO_TARGET_ALL:
        for (uint32_t h = 0; h < w->sc->hosts; h++)
            r->hosts[h] = h;
        r->n_hosts = w->sc->hosts;
        return;
    case SCENARIO_TARGET_EVENT_HOST:
        if (w->event_host >= 0)
            r->hosts[r->n_hosts++] = (uint32_t)w->event_host;
        return;
    case SCENARIO_TARGET_HOLDER:
        recipe_holders(w, r);
        return;
    }
}

/* The host's machine started (incarnation begins) or stopped. */
static void record_life(struct world *w, uint32_t host, bool up, enum fault_kind cause)
{
    struct trace_rec r = { .kind = TRACE_HOST_LIFE, .model = MODEL_ID_NONE,
                           .host = (int32_t)host,
                           .incarnation = sim_machine_incarnation(w->sim,
                                                                  w->host_machines[host]) };
    r.u.life.up = up;
    r.u.life.cause = cause;
    sim_record(w->sim, &r);
}

/* Every model with states records the host's processes as down. */
static void record_down(struct world *w, uint32_t host)
{
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        if (!wm->desc->state_name)
            continue;
        struct trace_rec r = { .kind = TRACE_STATE, .model = wm->id, .host = (int32_t)host,
                               .incarnation = sim_machine_incarnation(w->sim,
                                                                      w->host_machines[host]) };
        r.u.state.state = TRACE_STATE_DOWN;
        r.u.state.phase = TRACE_PHASE_NONE;
        r.u.state.epoch = -1;
        sim_record(w->sim, &r);
    }
}

/* The host whose side of a cut client machine c stands on: a workload client's attach host,
 * else (a machine only recipe clients use) c mod hosts, the workload's default attach. */
static uint32_t client_home(const struct world *w, uint32_t c)
{
    return c < w->sc->workload.clients ? w->sc->workload.attach[c] : c % w->sc->hosts;
}

/* Hosts and the machines beside them take their host's group; a client machine, its home
 * host's, except the isolated client machine (-1: none), alone in a group of its own. */
static void set_groups(struct world *w, const int *host_group, const uint32_t *isolated,
                       uint32_t n_isolated)
{
    g_free(w->groups);
    w->groups = g_new0(int, w->beside->len);
    int alone = 0;
    for (guint m = 0; m < w->beside->len; m++) {
        int32_t h = g_array_index(w->beside, int32_t, m);
        if (h >= 0)
            w->groups[m] = host_group[h];
        alone = MAX(alone, w->groups[m] + 1);
    }
    for (guint m = 0; m < w->beside->len; m++) {
        if (g_array_index(w->beside, int32_t, m) == BESIDE_EVERYWHERE)
            w->groups[m] = SIM_GROUP_EVERYWHERE;
    }
    for (uint32_t c = 0; c < w->n_client_machines; c++)
        w->groups[w->client_machines[c]] = host_group[client_home(w, c)];
    /* Each isolated client machine alone in a group of its own. */
    for (uint32_t i = 0; i < n_isolated; i++)
        w->groups[w->client_machines[isolated[i]]] = alone + (int)i;
    sim_set_groups(w->sim, w->groups);
}

/* "h1,h3,c2": the hosts, then the client machines. */
static void names_of(const struct world *w, const struct resolved *r, GString *out)
{
    for (uint32_t i = 0; i < r->n_hosts; i++)
        g_string_append_printf(out, "%s%s", out->len ? "," : "", w->sc->host_names[r->hosts[i]]);
    for (uint32_t i = 0; i < r->n_clients; i++)
        g_string_append_printf(out, "%sc%u", out->len ? "," : "", r->clients[i] + 1);
}

/* Applies a machine-level fault (crash, power_off, restart, pause) to a client machine:
 * its nodes die (a power-off: without a word to their peers), come back after a restart,
 * or stall. It has no disk, and no host's life changes. */
/* Applies a machine fault (crash, power_off, restart, pause) to machine m; false when the
 * machine already was so, which detail then says of `name`. */
static bool apply_machine_fault(struct world *w, const struct scenario_fault *f, uint32_t m,
                                const char *name, GString *detail)
{
    bool applied = true;
    switch (f->kind) {
    case TRACE_FAULT_CRASH:
        applied = sim_crash(w->sim, m);
        break;
    case TRACE_FAULT_POWER_OFF:
        applied = sim_power_off(w->sim, m);
        break;
    case TRACE_FAULT_RESTART:
        applied = sim_restart(w->sim, m);
        break;
    case TRACE_FAULT_PAUSE:
        applied = sim_pause(w->sim, m, f->duration);
        break;
    default:
        break;
    }
    if (!applied)
        g_string_append_printf(detail, "%s%s unchanged (already %s)", detail->len ? "; " : "",
                               name, f->kind == TRACE_FAULT_RESTART ? "up" : "down");
    return applied;
}

static void apply_to_client(struct world *w, const struct scenario_fault *f, uint32_t c,
                            GString *detail)
{
    char name[16];
    g_snprintf(name, sizeof name, "c%u", c + 1);
    apply_machine_fault(w, f, w->client_machines[c], name, detail);
}

/* Applies a host-level fault (crash, power_off, restart, pause) to each resolved host, with
 * the host's life records. */
static void apply_to_hosts(struct world *w, const struct scenario_fault *f,
                           const uint32_t *hosts, uint32_t n, GString *detail)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t h = hosts[i];
        if (!apply_machine_fault(w, f, w->host_machines[h], w->sc->host_names[h], detail))
            continue;
        if (f->kind == TRACE_FAULT_CRASH || f->kind == TRACE_FAULT_POWER_OFF) {
            record_life(w, h, false, f->kind);
            record_down(w, h);
        } else if (f->kind == TRACE_FAULT_RESTART) {
            record_life(w, h, true, f->kind);
        }
    }
}

/* Applies one fault to the resolved hosts and client machines; appends what happened to
 * detail. */
static void apply_fault(struct world *w, const struct scenario_fault *f,
                        const struct resolved *r, GString *detail)
{
    int group[SCENARIO_MAX_HOSTS] = { 0 };
    char buf[64];
    const uint32_t *hosts = r->hosts;
    uint32_t n = r->n_hosts;
    if (f->kind != TRACE_FAULT_ISOLATE) {
        apply_to_hosts(w, f, hosts, n, detail);
        for (uint32_t i = 0; i < r->n_clients; i++)
            apply_to_client(w, f, r->clients[i], detail);
    }
    switch (f->kind) {
    case TRACE_FAULT_PARTITION: /* the groups are the fault's target */
        set_groups(w, f->group, NULL, 0);
        break;
    case TRACE_FAULT_ISOLATE:
        if (r->n_clients > 0) { /* client machines, each against every other machine */
            ZS_ASSERT(n == 0);
            set_groups(w, group, r->clients, r->n_clients);
            for (uint32_t i = 0; i < r->n_clients; i++)
                g_string_append_printf(detail, "%sc%u", i ? ", " : "", r->clients[i] + 1);
            g_string_append(detail, r->n_clients == 1 ? " alone, cut from every host and every "
                                                        "other client machine"
                                                      : " each alone, cut from every host and "
                                                        "every other client machine");
            break;
        }
        for (uint32_t h = 0; h < w->sc->hosts; h++)
            group[h] = (n > 0 && h == hosts[0]) ? 1 : 0;
        set_groups(w, group, NULL, 0);
        scenario_describe_groups(w->sc, group, detail);
        break;
    case TRACE_FAULT_HEAL:
        set_groups(w, group, NULL, 0);
        break;
    case TRACE_FAULT_PAUSE:
        units_format_duration(f->duration, buf, sizeof buf);
        g_string_append_printf(detail, "%sfor %s", detail->len ? "; " : "", buf);
        break;
    case TRACE_FAULT_SLOW_LINK: /* hosts: from, to */
        ZS_ASSERT(n == 2 && hosts[0] != hosts[1]);
        sim_slow_link(w->sim, w->host_machines[hosts[0]], w->host_machines[hosts[1]],
                      &f->delay, sim_now(w->sim) + f->duration);
        dist_format(&f->delay, buf, sizeof buf);
        g_string_append_printf(detail, "%s->%s latency %s", w->sc->host_names[hosts[0]],
                               w->sc->host_names[hosts[1]], buf);
        break;
    case TRACE_FAULT_SLOW_DISK:
        ZS_ASSERT(n == 1);
        sim_slow_disk(w->sim, w->host_machines[hosts[0]], &f->delay,
                      sim_now(w->sim) + f->duration);
        dist_format(&f->delay, buf, sizeof buf);
        g_string_append_printf(detail, "fsync %s", buf);
        break;
    default:
        break;
    }
}

/* Fires the fault at (arg & 0xffffffff) of sc->faults; a triggered one carries its event's
 * host + 1 in the upper half. */
static void fire_fault(struct sim *s, void *ctx, uint64_t arg)
{
    struct world *w = ctx;
    guint index = (guint)(arg & 0xffffffffu);
    ZS_ASSERT(index < w->sc->faults->len);
    const struct scenario_fault *f = &g_array_index(w->sc->faults, struct scenario_fault, index);
    w->event_host = (int32_t)(arg >> 32) - 1;
    struct resolved *res = g_new0(struct resolved, 1);
    GString *target = g_string_new(NULL), *detail = g_string_new(NULL);

    switch (f->kind) {
    case TRACE_FAULT_PARTITION:
        scenario_describe_groups(w->sc, f->group, target); /* "h1,h2 | h3,h4,h5" */
        apply_fault(w, f, res, detail);
        break;
    case TRACE_FAULT_HEAL:
        g_string_append(target, "all");
        apply_fault(w, f, res, detail);
        break;
    case TRACE_FAULT_SLOW_LINK: { /* between hosts only (the loader sees to it) */
        struct resolved *to = g_new0(struct resolved, 1);
        resolve(w, &f->link_from, res);
        resolve(w, &f->link_to, to);
        bool ends = res->n_hosts == 1 && to->n_hosts == 1;
        ZS_ASSERT(res->n_clients == 0 && to->n_clients == 0);
        if (ends) {
            res->hosts[res->n_hosts++] = to->hosts[0];
            names_of(w, res, target);
        }
        if (!ends)
            g_string_append(detail, "no host matched an end of the link: nothing done");
        else if (res->hosts[0] == res->hosts[1])
            g_string_append(detail, "both ends are the same host: nothing done");
        else
            apply_fault(w, f, res, detail);
        g_free(to);
        break;
    }
    default:
        resolve(w, &f->target, res);
        names_of(w, res, target);
        if (res->n_hosts + res->n_clients > 0)
            apply_fault(w, f, res, detail);
        else if (f->target.kind == SCENARIO_TARGET_HOLDER)
            g_string_append(detail, "no holder: nothing done");
        else
            g_string_append(detail, "no host matched the target: nothing done");
    }
    g_free(res);
    const char *fired_by = triggers_fired_by(w->triggers, index);
    if (fired_by) { /* what fired it first: the report's timeline shows it */
        if (detail->len)
            g_string_prepend(detail, "; ");
        g_string_prepend(detail, fired_by);
    }
    struct trace_rec r = { .kind = TRACE_FAULT, .model = MODEL_ID_NONE, .host = -1 };
    r.u.fault.kind = f->kind;
    r.u.fault.target = target->str;
    r.u.fault.detail = detail->str;
    sim_record(s, &r);
    g_string_free(target, TRUE);
    g_string_free(detail, TRUE);
    w->event_host = -1;
}

static void trigger_due(void *ctx, guint index, uint32_t host, sim_time after)
{
    struct world *w = ctx;
    sim_at(w->sim, sim_now(w->sim) + after, fire_fault, w,
           (uint64_t)index | ((uint64_t)host + 1) << 32);
}

static bool trigger_holds(void *ctx, model_id model, enum target_kind kind, uint32_t host)
{
    struct world *w = ctx;
    struct world_model *wm = model < MODELS_MAX ? w->by_id[model] : NULL;
    return wm && (wm->desc->targets & (1u << kind)) && wm->desc->holds &&
           wm->desc->holds(wm->run, kind, host);
}

/* ---- lifecycle ----------------------------------------------------------------------- */

static const char *target_word(enum target_kind kind)
{
    return kind == SCENARIO_TARGET_LEADER ? "leader" : "follower";
}

/* A symbolic target only some models can resolve, in a run without any of them. */
static bool check_target(const struct scenario *sc, unsigned models,
                         const struct scenario_fault *f, const struct scenario_target *t,
                         GError **err)
{
    if (t->kind != SCENARIO_TARGET_LEADER && t->kind != SCENARIO_TARGET_FOLLOWER)
        return true;
    const char *can[MODELS_MAX];
    size_t n_can = 0;
    for (model_id id = 0; id < model_count(); id++) {
        if (!(model_get(id)->targets & (1u << t->kind)))
            continue;
        if (models & (1u << id))
            return true;
        can[n_can++] = model_get(id)->name;
    }
    GString *names = g_string_new(NULL); /* "zab", "zab or jetstream", "a, b or c" */
    for (size_t i = 0; i < n_can; i++)
        g_string_append_printf(names, "%s%s", i == 0 ? "" : i + 1 < n_can ? ", " : " or ",
                               can[i]);
    char set[128];
    /* The run's set came from --model or from the scenario's `models:`: either can add one. */
    g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                "%s:%d:%d: the %s fault targets '%s', which only %s can resolve, and this run "
                "has only %s: add one with --model or the scenario's models:, or name the host",
                sc->path ? sc->path : sc->name, f->line, f->column, fault_kind_name(f->kind),
                target_word(t->kind), n_can ? names->str : "no registered model",
                model_format_set(models, set, sizeof set));
    g_string_free(names, TRUE);
    return false;
}

bool world_check_targets(const struct scenario *sc, unsigned models, GError **err)
{
    for (guint i = 0; i < sc->faults->len; i++) {
        const struct scenario_fault *f = &g_array_index(sc->faults, struct scenario_fault, i);
        if (!check_target(sc, models, f, &f->target, err) ||
            !check_target(sc, models, f, &f->link_from, err) ||
            !check_target(sc, models, f, &f->link_to, err) ||
            (f->on.event != TRIGGER_NONE && (!check_target(sc, models, f, &f->on.host, err) ||
                                             !check_target(sc, models, f, &f->on.peer, err))))
            return false;
    }
    return true;
}

static void select_models(struct world *w, unsigned models)
{
    w->selected = g_array_new(FALSE, TRUE, sizeof(struct world_model));
    for (model_id id = 0; id < model_count(); id++) {
        if (!(models & (1u << id)))
            continue;
        struct world_model wm = { .id = id, .desc = model_get(id) };
        g_array_append_val(w->selected, wm);
    }
    for (guint i = 0; i < w->selected->len; i++)
        w->by_id[selected_at(w, i)->id] = selected_at(w, i);
}

struct world *world_new(const struct scenario *sc, uint64_t seed, unsigned models,
                        bool log_messages, const struct recorder *rec)
{
    ZS_ASSERT(models != 0 && (models & ~model_all()) == 0);
    struct world *w = g_new0(struct world, 1);
    w->sc = sc;
    w->models = models;
    if (rec)
        w->user_rec = *rec;
    rng_init(&w->fault_rng, seed, "faults");
    rng_init(&w->workload_rng, seed, "workload");
    struct sim_config cfg = { .seed = seed, .latency = sc->latency, .jitter = sc->jitter,
                              .fsync = sc->fsync,
                              .loopback_ns = 20 * SIM_US, .log_messages = log_messages };
    struct recorder wrap = { .record = world_record, .ctx = w };
    w->sim = sim_new(&cfg, &wrap);
    uint32_t n = sc->hosts, m = sc->workload.clients;
    w->n_client_machines = scenario_client_machines(sc);
    ZS_ASSERT(w->n_client_machines >= m && w->n_client_machines <= SCENARIO_MAX_CLIENTS);
    w->host_machines = g_new0(uint32_t, MAX(n, 1));
    w->client_machines = g_new0(uint32_t, MAX(w->n_client_machines, 1));
    w->clients = g_new0(struct world_client, MAX(m, 1));
    w->beside = g_array_new(FALSE, FALSE, sizeof(int32_t));
    select_models(w, models);
    add_machines(w);
    build_models(w);
    for (uint32_t h = 0; h < n; h++)
        record_life(w, h, true, TRACE_FAULT_RESTART);
    sim_start(w->sim);
    schedule_workload(w);
    w->event_host = -1;
    w->triggers = triggers_new(sc, trigger_holds, trigger_due, w);
    if (triggers_watch_simulator(w->triggers))
        sim_set_watcher(w->sim, watch_sim, w);
    for (guint i = 0; i < sc->faults->len; i++) {
        const struct scenario_fault *f = &g_array_index(sc->faults, struct scenario_fault, i);
        if (f->on.event == TRIGGER_NONE)
            sim_at(w->sim, f->at, fire_fault, w, i);
    }
    return w;
}

void world_run(struct world *w)
{
    sim_run_until(w->sim, w->sc->duration);
}

void world_host_ends(const struct world *w, struct world_host_end *ends)
{
    for (uint32_t h = 0; h < w->sc->hosts; h++) {
        uint32_t m = w->host_machines[h];
        ends[h] = (struct world_host_end){ .up = sim_machine_up(w->sim, m),
                                           .incarnation = sim_machine_incarnation(w->sim, m) };
    }
}

void world_free(struct world *w)
{
    if (!w)
        return;
    sim_free(w->sim);
    for (guint i = 0; i < w->selected->len; i++) {
        struct world_model *wm = selected_at(w, i);
        wm->desc->free(wm->run);
        for (uint32_t h = 0; h < w->sc->hosts; h++)
            g_array_free(wm->delivered[h], TRUE);
        g_free(wm->delivered);
        g_free(wm->earlier_len);
        g_free(wm->incarnation);
        g_free(wm->last_state);
        g_free(wm->last_phase);
        g_free(wm->host_nodes);
        g_free(wm->client_nodes);
    }
    g_array_free(w->selected, TRUE);
    g_free(w->host_machines);
    g_free(w->client_machines);
    g_free(w->clients);
    g_array_free(w->beside, TRUE);
    g_free(w->groups);
    triggers_free(w->triggers);
    g_free(w);
}

struct sim *world_sim(const struct world *w)
{
    return w->sim;
}

uint32_t world_host_machine(const struct world *w, uint32_t host)
{
    ZS_ASSERT(host < w->sc->hosts);
    return w->host_machines[host];
}

uint32_t world_client_machine(const struct world *w, uint32_t client)
{
    ZS_ASSERT(client < w->n_client_machines);
    return w->client_machines[client];
}

uint32_t world_host_node(const struct world *w, model_id model, uint32_t host)
{
    ZS_ASSERT(host < w->sc->hosts);
    const struct world_model *wm = model < MODELS_MAX ? w->by_id[model] : NULL;
    return wm ? wm->host_nodes[host] : UINT32_MAX;
}

uint32_t world_client_node(const struct world *w, model_id model, uint32_t client)
{
    ZS_ASSERT(client < w->sc->workload.clients);
    const struct world_model *wm = model < MODELS_MAX ? w->by_id[model] : NULL;
    return wm ? wm->client_nodes[client] : UINT32_MAX;
}

void world_offer(struct world *w, model_id model, uint32_t client, msg_id_t msg_id)
{
    struct world_model *wm = model < MODELS_MAX ? w->by_id[model] : NULL;
    ZS_ASSERT(wm != NULL);
    ZS_ASSERT(client < w->sc->workload.clients);
    wm->desc->offer(wm->run, client, msg_id);
}
