/* triggers.c: counting the events triggered faults wait for; see triggers.h. */
#include "world/triggers.h"

#include "world/model.h"
#include "world/units.h"

#include <inttypes.h>
#include <string.h>

struct waiting {
    guint index;                         /* of sc->faults */
    const struct scenario_trigger *on;
    uint64_t seen;                       /* matching events so far */
    char *fired_by;                      /* once fired */
};

struct triggers {
    const struct scenario *sc;
    trigger_holds_fn holds;
    trigger_due_fn due;
    void *ctx;
    GArray *waiting;                     /* struct waiting, in sc->faults order */
    unsigned watched;                    /* bit per enum trigger_event */
};

struct triggers *triggers_new(const struct scenario *sc, trigger_holds_fn holds,
                              trigger_due_fn due, void *ctx)
{
    GArray *waiting = g_array_new(FALSE, TRUE, sizeof(struct waiting));
    unsigned watched = 0;
    for (guint i = 0; i < sc->faults->len; i++) {
        const struct scenario_fault *f = &g_array_index(sc->faults, struct scenario_fault, i);
        if (f->on.event == TRIGGER_NONE)
            continue;
        ZS_ASSERT(f->on.event < TRIGGER_EVENT_COUNT && f->on.count >= 1);
        struct waiting w = { .index = i, .on = &f->on };
        g_array_append_val(waiting, w);
        watched |= 1u << f->on.event;
    }
    if (waiting->len == 0) {
        g_array_free(waiting, TRUE);
        return NULL;
    }
    struct triggers *t = g_new0(struct triggers, 1);
    *t = (struct triggers){ .sc = sc, .holds = holds, .due = due, .ctx = ctx,
                            .waiting = waiting, .watched = watched };
    return t;
}

void triggers_free(struct triggers *t)
{
    if (!t)
        return;
    for (guint i = 0; i < t->waiting->len; i++)
        g_free(g_array_index(t->waiting, struct waiting, i).fired_by);
    g_array_free(t->waiting, TRUE);
    g_free(t);
}

bool triggers_watch_simulator(const struct triggers *t)
{
    const unsigned simulator = (1u << TRIGGER_SEND) | (1u << TRIGGER_RECEIVE) |
                               (1u << TRIGGER_APPEND) | (1u << TRIGGER_WRITE) |
                               (1u << TRIGGER_FSYNC);
    return t && (t->watched & simulator) != 0;
}

/* Whether host (-1: none) passes a host filter, in the event's model. */
static bool host_matches(const struct triggers *t, const struct scenario_target *filter,
                         model_id model, int32_t host)
{
    switch (filter->kind) {
    case SCENARIO_TARGET_ALL:
        return true;
    case SCENARIO_TARGET_HOSTS:
        for (uint32_t i = 0; i < filter->n_hosts; i++) {
            if ((int32_t)filter->hosts[i] == host)
                return true;
        }
        return false;
    case SCENARIO_TARGET_LEADER:
    case SCENARIO_TARGET_FOLLOWER:
        return host >= 0 && t->holds(t->ctx, model, filter->kind, (uint32_t)host);
    default:
        ZS_ASSERT(!"a trigger's host filter is a list, leader, follower or any");
        return false;
    }
}

static bool matches(const struct triggers *t, const struct scenario_trigger *on,
                    const struct trigger_seen *e, sim_time now_ns)
{
    if (on->event != e->event || e->host < 0 || (on->model >= 0 && on->model != e->model) ||
        now_ns < on->from || now_ns > on->until)
        return false;
    switch (e->event) {
    case TRIGGER_SEND:
    case TRIGGER_RECEIVE:
        if (on->type[0] && (!e->type || strcmp(on->type, e->type) != 0))
            return false;
        if (!host_matches(t, &on->peer, e->model, e->peer))
            return false;
        break;
    case TRIGGER_STATE: {
        /* Entering: the host reaches a state and phase the filters name, from one they did
         * not (a change of epoch alone, or of the other half, is not entering). */
        bool state_ok = !on->state[0] || g_strcmp0(on->state, e->state) == 0;
        bool phase_ok = !on->phase[0] || g_strcmp0(on->phase, e->phase) == 0;
        bool entered = (on->state[0] && e->entered_state) || (on->phase[0] && e->entered_phase);
        if (!state_ok || !phase_ok || !entered)
            return false;
        break;
    }
    default:
        break;
    }
    return host_matches(t, &on->host, e->model, e->host);
}

static const char *ordinal_suffix(uint64_t n)
{
    if (n % 100 >= 11 && n % 100 <= 13)
        return "th";
    return n % 10 == 1 ? "st" : n % 10 == 2 ? "nd" : n % 10 == 3 ? "rd" : "th";
}

static char *describe(const struct triggers *t, const struct trigger_seen *e, uint64_t count,
                      sim_time now_ns)
{
    GString *s = g_string_new("on ");
    g_string_append(s, trigger_event_name(e->event));
    if (e->event == TRIGGER_STATE) {
        if (e->state)
            g_string_append_printf(s, " %s", e->state);
        if (e->phase)
            g_string_append_printf(s, "/%s", e->phase);
    }
    if ((e->event == TRIGGER_SEND || e->event == TRIGGER_RECEIVE) && e->type)
        g_string_append_printf(s, " %s", e->type);
    g_string_append_printf(s, " %s %s", e->event == TRIGGER_RECEIVE ? "at" : "by",
                           t->sc->host_names[e->host]);
    if (e->peer >= 0 && (e->event == TRIGGER_SEND || e->event == TRIGGER_RECEIVE))
        g_string_append_printf(s, " %s %s", e->event == TRIGGER_SEND ? "to" : "from",
                               t->sc->host_names[e->peer]);
    char when[32];
    units_format_duration(now_ns, when, sizeof when);
    g_string_append_printf(s, " (the %" PRIu64 "%s) at %s", count, ordinal_suffix(count),
                           when);
    return g_string_free(s, FALSE);
}

void triggers_observe(struct triggers *t, const struct trigger_seen *e, sim_time now_ns)
{
    if (!t || !(t->watched & (1u << e->event)))
        return;
    for (guint i = 0; i < t->waiting->len; i++) {
        struct waiting *w = &g_array_index(t->waiting, struct waiting, i);
        if (w->fired_by || !matches(t, w->on, e, now_ns))
            continue;
        if (++w->seen < w->on->count)
            continue;
        ZS_ASSERT(e->host >= 0 && (uint32_t)e->host < t->sc->hosts);
        w->fired_by = describe(t, e, w->seen, now_ns);
        t->due(t->ctx, w->index, (uint32_t)e->host, w->on->after);
    }
}

const char *triggers_fired_by(const struct triggers *t, guint index)
{
    for (guint i = 0; t && i < t->waiting->len; i++) {
        const struct waiting *w = &g_array_index(t->waiting, struct waiting, i);
        if (w->index == index)
            return w->fired_by;
    }
    return NULL;
}
