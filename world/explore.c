/* explore.c: drawing a seed's fault schedule; see explore.h. */
#include "world/explore.h"

#include "sim/rng.h"
#include "world/model.h"
#include "world/units.h"

#include <string.h>

struct draw {
    const struct scenario *sc;
    struct rng rng;
    bool leader_role;      /* `leader` resolves in this run */
    bool follower_role;    /* `follower` resolves in this run */
    const struct model_desc *model; /* whose events triggers wait for */
    GString *out;
};

static bool coin(struct draw *d, uint32_t percent)
{
    return rng_below(&d->rng, 100) < percent;
}

static const char *some_host(struct draw *d)
{
    return d->sc->host_names[rng_below(&d->rng, d->sc->hosts)];
}

/* A target for a fault on one host: a host, or a role or random pick resolved when it
 * fires; event_host too when the fault is triggered. */
static const char *one_target(struct draw *d, bool triggered)
{
    uint64_t pick = rng_below(&d->rng, 6);
    if (triggered && pick < 2)
        return "event_host";
    if (d->leader_role && pick == 2)
        return "leader";
    if (d->follower_role && pick == 3)
        return "follower";
    if (pick == 4)
        return "random";
    return some_host(d);
}

static void append_duration(GString *s, sim_time ns)
{
    char buf[32];
    units_format_duration(ns, buf, sizeof buf);
    g_string_append(s, buf);
}

/* ms in [lo, hi], whole milliseconds: readable in the file. */
static sim_time draw_ms(struct draw *d, sim_time lo_ns, sim_time hi_ns)
{
    sim_time lo = lo_ns / SIM_MS, hi = MAX(hi_ns / SIM_MS, lo);
    return (lo + (sim_time)rng_below(&d->rng, (uint64_t)(hi - lo + 1))) * SIM_MS;
}

/* A name from one of the model's vocabularies (codes from `first`), or NULL when empty. */
static const char *some_name(struct draw *d, enum model_vocab v, unsigned first)
{
    const char *names[256];
    unsigned n = 0;
    for (unsigned code = first; code <= UINT8_MAX; code++) {
        const char *s = model_word(d->model, v, code);
        if (s)
            names[n++] = s;
    }
    return n ? names[rng_below(&d->rng, n)] : NULL;
}

/* `on: {...}, count: N, after: D, ` for a triggered fault. */
static void append_trigger(struct draw *d)
{
    static const char *const events[] = { "state", "send", "receive", "append", "write",
                                          "fsync" };
    GString *s = d->out;
    const char *event = events[rng_below(&d->rng, G_N_ELEMENTS(events))];
    const char *type = NULL, *state = NULL, *phase = NULL;
    if (strcmp(event, "send") == 0 || strcmp(event, "receive") == 0)
        type = some_name(d, MODEL_MESSAGES, 0);
    if (strcmp(event, "state") == 0) {
        if (coin(d, 50) && d->model->phase_name)
            phase = some_name(d, MODEL_PHASES, 1);
        else
            state = some_name(d, MODEL_STATES, 1); /* not DOWN */
        if (!state && !phase)
            event = "fsync";
    }
    g_string_append_printf(s, "on: {event: %s, model: %s", event, d->model->name);
    if (type)
        g_string_append_printf(s, ", type: %s", type);
    if (state)
        g_string_append_printf(s, ", state: %s", state);
    if (phase)
        g_string_append_printf(s, ", phase: %s", phase);
    uint64_t host = rng_below(&d->rng, 4);
    if (host == 1 && d->leader_role)
        g_string_append(s, ", host: leader");
    else if (host == 2 && d->follower_role)
        g_string_append(s, ", host: follower");
    else if (host == 3)
        g_string_append_printf(s, ", host: %s", some_host(d));
    /* Only events in the window count, so the fault fires before the heal and restarts at
     * its end, leaving the run time to recover. */
    g_string_append(s, ", from: ");
    append_duration(s, d->sc->explore.from);
    g_string_append(s, ", until: ");
    append_duration(s, MAX(d->sc->explore.to - 20 * SIM_MS, d->sc->explore.from));
    g_string_append_printf(s, "}, count: %u, after: ", (unsigned)(1 + rng_below(&d->rng, 3)));
    append_duration(s, coin(d, 50) ? 0 : draw_ms(d, SIM_MS, 20 * SIM_MS));
    g_string_append(s, ", ");
}

static void append_partition(struct draw *d)
{
    /* Two non-empty groups: a random non-empty proper subset and the rest. */
    uint32_t n = d->sc->hosts;
    uint64_t mask = 1 + rng_below(&d->rng, (UINT64_C(1) << MIN(n, 63)) - 2);
    GString *s = d->out;
    g_string_append(s, "partition: [");
    for (int side = 1; side >= 0; side--) {
        g_string_append_c(s, '[');
        bool first = true;
        for (uint32_t h = 0; h < n; h++) {
            bool in = h < 63 ? ((mask >> h) & 1) == (uint64_t)side : side == 0;
            if (!in)
                continue;
            g_string_append_printf(s, "%s%s", first ? "" : ", ", d->sc->host_names[h]);
            first = false;
        }
        g_string_append_printf(s, "]%s", side ? ", " : "");
    }
    g_string_append_c(s, ']');
}

/* One fault of kind k; returns whether it needs the restart (1) or heal (2) that follows. */
static unsigned append_fault(struct draw *d, enum fault_kind k, bool triggered)
{
    GString *s = d->out;
    const struct scenario *sc = d->sc;
    g_string_append(s, "- {");
    if (triggered) {
        append_trigger(d);
    } else {
        g_string_append(s, "at: ");
        append_duration(s, draw_ms(d, sc->explore.from, sc->explore.to));
        g_string_append(s, ", ");
    }
    unsigned needs = 0;
    switch (k) {
    case TRACE_FAULT_CRASH:
    case TRACE_FAULT_POWER_OFF:
        g_string_append_printf(s, "%s: %s", fault_kind_name(k), one_target(d, triggered));
        needs = 1;
        break;
    case TRACE_FAULT_PARTITION:
        append_partition(d);
        needs = 2;
        break;
    case TRACE_FAULT_ISOLATE:
        g_string_append_printf(s, "isolate: %s", one_target(d, triggered));
        needs = 2;
        break;
    case TRACE_FAULT_PAUSE:
        g_string_append_printf(s, "pause: %s, for: ", one_target(d, triggered));
        append_duration(s, draw_ms(d, 100 * SIM_MS, 3 * SIM_S));
        break;
    case TRACE_FAULT_SLOW_LINK: {
        uint32_t a = (uint32_t)rng_below(&d->rng, sc->hosts);
        uint32_t b = (a + 1 + (uint32_t)rng_below(&d->rng, sc->hosts - 1)) % sc->hosts;
        g_string_append_printf(s, "slow_link: {from: %s, to: %s, latency: ", sc->host_names[a],
                               sc->host_names[b]);
        append_duration(s, draw_ms(d, 20 * SIM_MS, 500 * SIM_MS));
        g_string_append(s, ", for: ");
        append_duration(s, draw_ms(d, 500 * SIM_MS, 5 * SIM_S));
        g_string_append_c(s, '}');
        break;
    }
    case TRACE_FAULT_SLOW_DISK:
        g_string_append_printf(s, "slow_disk: {host: %s, fsync: ", one_target(d, triggered));
        append_duration(s, draw_ms(d, 20 * SIM_MS, 500 * SIM_MS));
        g_string_append(s, ", for: ");
        append_duration(s, draw_ms(d, 500 * SIM_MS, 5 * SIM_S));
        g_string_append_c(s, '}');
        break;
    default:
        ZS_ASSERT(!"explore draws only the kinds of EXPLORE_KINDS");
    }
    g_string_append(s, "}\n");
    return needs;
}

char *explore_draw_faults(const struct scenario *sc, unsigned models, uint64_t seed)
{
    struct draw d = { .sc = sc, .out = g_string_new(NULL) };
    rng_init(&d.rng, seed, "explore");
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *m = model_get(id);
        if (!(models & (1u << id)))
            continue;
        d.leader_role = d.leader_role || (m->targets & (1u << SCENARIO_TARGET_LEADER));
        d.follower_role = d.follower_role || (m->targets & (1u << SCENARIO_TARGET_FOLLOWER));
        if (!d.model || (m->oracle && !d.model->oracle))
            d.model = m; /* triggers watch the model with invariants, if the run has one */
    }
    ZS_ASSERT(d.model != NULL && sc->hosts >= 1);
    /* Swarm: which kinds this seed uses at all, each with probability 1/2, at least one
     * (a link and a partition need two hosts). */
    unsigned usable = sc->explore.kinds;
    if (sc->hosts < 2)
        usable &= ~((1u << TRACE_FAULT_SLOW_LINK) | (1u << TRACE_FAULT_PARTITION));
    unsigned enabled = 0;
    while (usable && !enabled) {
        for (int k = 0; k < TRACE_FAULT_KIND_COUNT; k++) {
            if ((usable & (1u << k)) && coin(&d, 50))
                enabled |= 1u << k;
        }
    }
    enum fault_kind kinds[TRACE_FAULT_KIND_COUNT];
    uint32_t n_kinds = 0;
    for (int k = 0; k < TRACE_FAULT_KIND_COUNT; k++) {
        if (enabled & (1u << k))
            kinds[n_kinds++] = (enum fault_kind)k;
    }
    uint32_t count = n_kinds ? 1 + (uint32_t)rng_below(&d.rng, sc->explore.max_faults) : 0;
    unsigned needs = 0;
    for (uint32_t i = 0; i < count; i++) {
        enum fault_kind k = kinds[rng_below(&d.rng, n_kinds)];
        needs |= append_fault(&d, k, coin(&d, sc->explore.triggers));
    }
    if (needs & 2) {
        g_string_append(d.out, "- {at: ");
        append_duration(d.out, sc->explore.to);
        g_string_append(d.out, ", heal: all}\n");
    }
    if (needs & 1) {
        /* At the end of the window, and again halfway to the end of the run for hosts a
         * late trigger stopped. */
        sim_time again = sc->explore.to + (sc->duration - sc->explore.to) / 2;
        g_string_append(d.out, "- {at: ");
        append_duration(d.out, sc->explore.to);
        g_string_append(d.out, ", restart: crashed}\n- {at: ");
        append_duration(d.out, again / SIM_MS * SIM_MS);
        g_string_append(d.out, ", restart: crashed}\n");
    }
    return g_string_free(d.out, FALSE);
}

char *explore_scenario_text(const struct scenario *sc, unsigned models, uint64_t seed,
                            GError **err)
{
    char *faults = explore_draw_faults(sc, models, seed);
    char *text = scenario_text_with(sc, seed, faults, err);
    g_free(faults);
    return text;
}
