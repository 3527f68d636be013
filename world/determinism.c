/* determinism.c: see determinism.h. */
#include "world/determinism.h"

#include "world/units.h"

#include <inttypes.h>
#include <string.h>

/* An event as a report shows it. */
struct det_event {
    bool seen;
    uint64_t index;
    sim_time t_ns;
    const char *kind;   /* static strings of sim.c */
    char machine[32];
};

struct determinism {
    GArray *digests;          /* uint64_t after each event, the first DETERMINISM_MAX_EVENTS */
    uint64_t events;
    uint64_t final_digest;
    /* while comparing (second run) or finding (third run): */
    const struct determinism *against;
    int64_t watch_index;      /* the event to capture, or -1 */
    struct det_event captured;
    int64_t parted_at;        /* first index whose digest differs, or -1 */
};

struct determinism *determinism_new(void)
{
    struct determinism *d = g_new0(struct determinism, 1);
    d->digests = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    d->watch_index = -1;
    d->parted_at = -1;
    return d;
}

void determinism_free(struct determinism *d)
{
    if (!d)
        return;
    g_array_free(d->digests, TRUE);
    g_free(d);
}

void determinism_record(void *ctx, const struct sim_event_note *note)
{
    struct determinism *d = ctx;
    d->events = note->index + 1;
    d->final_digest = note->digest;
    if (d->digests->len < DETERMINISM_MAX_EVENTS)
        g_array_append_val(d->digests, note->digest);
    if (d->against && d->parted_at < 0 && note->index < d->against->digests->len &&
        g_array_index(d->against->digests, uint64_t, note->index) != note->digest)
        d->parted_at = (int64_t)note->index;
    if (d->parted_at >= 0 && d->watch_index < 0)
        d->watch_index = d->parted_at;
    if ((int64_t)note->index == d->watch_index && !d->captured.seen) {
        d->captured = (struct det_event){ .seen = true, .index = note->index,
                                          .t_ns = note->t_ns, .kind = note->kind };
        g_strlcpy(d->captured.machine, note->machine ? note->machine : "-",
                  sizeof d->captured.machine);
    }
}

int64_t determinism_first_difference(const struct determinism *a, const struct determinism *b)
{
    guint n = MIN(a->digests->len, b->digests->len);
    for (guint i = 0; i < n; i++) {
        if (g_array_index(a->digests, uint64_t, i) != g_array_index(b->digests, uint64_t, i))
            return i;
    }
    if (a->events != b->events)
        return (int64_t)MIN(a->events, b->events); /* one run went on where the other ended */
    if (a->final_digest != b->final_digest)
        return (int64_t)n; /* beyond the digests kept */
    return -1;
}

/* Runs the world once, writing nothing, with d as its observer. */
static void replay(struct determinism *d, const struct scenario *sc, uint64_t seed,
                   unsigned models, bool log_messages)
{
    struct recorder none = { 0 };
    struct world *w = world_new(sc, seed, models, log_messages, &none);
    sim_set_event_observer(world_sim(w), determinism_record, d);
    world_run(w);
    world_free(w);
}

static void describe(const struct det_event *e, const char *which, GString *report)
{
    if (!e->seen) {
        g_string_append_printf(report, "  %s: had ended (no such event)\n", which);
        return;
    }
    char t[32];
    units_format_duration(e->t_ns, t, sizeof t);
    g_string_append_printf(report, "  %s: t=%s %s on %s\n", which, t, e->kind, e->machine);
}

bool determinism_verify(struct determinism *d, const struct scenario *sc, uint64_t seed,
                        unsigned models, bool log_messages, GString *report)
{
    struct determinism *second = determinism_new();
    second->against = d;
    replay(second, sc, seed, models, log_messages);
    int64_t at = determinism_first_difference(d, second);
    bool same = at < 0;
    if (same) {
        g_string_append_printf(report,
                               "determinism: seed %" PRIu64 " ran twice: %" PRIu64
                               " events, the same digest after each", seed, d->events);
        if (d->events > DETERMINISM_MAX_EVENTS)
            g_string_append_printf(report, " of the first %u, and at the end",
                                   DETERMINISM_MAX_EVENTS);
        g_string_append_c(report, '\n');
    } else {
        /* The second run captured its side at the first differing digest it saw; the first
         * run's side needs a third run that watches the same index. */
        struct determinism *third = determinism_new();
        third->watch_index = at;
        replay(third, sc, seed, models, log_messages);
        if (!second->captured.seen || (int64_t)second->captured.index != at) {
            second->captured = (struct det_event){ 0 };
            struct determinism *again = determinism_new();
            again->watch_index = at;
            determinism_free(second);
            second = again;
            replay(second, sc, seed, models, log_messages);
        }
        g_string_append_printf(report,
                               "determinism: FAILED: two runs of seed %" PRIu64
                               " part at event %" PRId64 " (%" PRIu64 " and %" PRIu64
                               " events in all)\n",
                               seed, at, d->events, second->events);
        describe(&third->captured, "first run ", report);
        describe(&second->captured, "second run", report);
        determinism_free(third);
    }
    determinism_free(second);
    return same;
}
