/* cmd_shrink.c: `zabsim shrink FAILING.yaml [--seed N] [--model M,...] [--variant NAME]
 * [--invariant NAME] [--out FILE]`: a smaller scenario that still breaks the same invariant.
 *
 * Greedy, in the spirit of delta debugging: each step edits the file's text (so the result
 * is a file a person can read, comments kept), runs the candidate without a database, and
 * keeps the edit when the invariant is still broken. Steps, repeated until none helps: drop
 * each fault in turn (last first), cut the duration by a quarter, one client instead of
 * several, half the rate, one host fewer (down to three), the network's and the disk's
 * random distributions fixed at their means; then each timed fault fired by the state
 * change before it instead. A candidate the loader refuses (a fault after the new end, a
 * fault naming a host that went) is simply not taken. Prints the size before
 * and after (faults, events simulated, messages sent) and writes the result. */
#include "tools/cli.h"

#include "world/model.h"
#include "world/units.h"
#include "world/verdict.h"
#include "world/world.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Most candidate runs one shrink tries: each is a whole simulation. */
#define SHRINK_TRIES_MAX 2000

struct shrink {
    uint64_t seed;
    unsigned models;
    const char *variant;
    const char *invariant; /* the one that must stay broken */
    int tries;
};

struct trial {
    bool broken;           /* the invariant was violated */
    int64_t violations;    /* of that invariant */
    uint64_t events, messages;
    guint faults;
    sim_time duration, workload_stop; /* what the candidate's file says, for the next edit */
    uint32_t clients;
    double rate;
    uint32_t hosts;
    bool hosts_numbered; /* `hosts: N` (h1..hN), not a list of names */
    struct dist dists[3]; /* network.latency, network.jitter, disk.fsync */
    GArray *states;       /* struct trace_rec: the run's state changes, for triggers */
};

/* Passes every record on to the verdict and keeps the state changes. */
struct tee {
    struct recorder verdict;
    GArray *states;
};

static void tee_record(void *ctx, const struct trace_rec *r)
{
    struct tee *t = ctx;
    if (r->kind == TRACE_STATE && r->host >= 0)
        g_array_append_val(t->states, *r);
    t->verdict.record(t->verdict.ctx, r);
}

/* The distributions shrink makes fixed, in struct trial's dists[] order. */
static const char *const dist_keys[3][2] = {
    { "network", "latency" }, { "network", "jitter" }, { "disk", "fsync" },
};

/* Runs text; false when the loader or the run's checks refuse it. */
static bool try_text(struct shrink *k, const char *text, struct trial *out, GError **err)
{
    k->tries++;
    struct scenario *sc = scenario_parse("candidate", text, strlen(text), err);
    if (!sc)
        return false;
    if ((k->variant && !scenario_set_variant(sc, k->variant, err)) ||
        !world_check_targets(sc, k->models, err)) {
        scenario_free(sc);
        return false;
    }
    struct verdict *v = verdict_new(k->models, sc->hosts, (const char *const *)sc->host_names);
    struct tee tee = { .verdict = verdict_recorder(v),
                       .states = g_array_new(FALSE, FALSE, sizeof(struct trace_rec)) };
    struct recorder rec = { .record = tee_record, .ctx = &tee };
    struct world *w = world_new(sc, k->seed, k->models, false, &rec);
    world_run(w);
    const struct sim_stats *st = sim_get_stats(world_sim(w));
    *out = (struct trial){ .events = st->events, .messages = st->messages_sent,
                           .faults = sc->faults->len, .duration = sc->duration,
                           .workload_stop = sc->workload.stop,
                           .clients = sc->workload.clients, .rate = sc->workload.rate,
                           .hosts = sc->hosts, .hosts_numbered = scenario_hosts_generated(sc),
                           .dists = { sc->latency, sc->jitter, sc->fsync },
                           .states = tee.states };
    world_free(w);
    struct oracle_result res;
    verdict_finish(v, &res);
    for (guint i = 0; i < res.violations->len; i++) {
        const struct oracle_violation *x = g_ptr_array_index(res.violations, i);
        if (!k->invariant)
            k->invariant = x->invariant; /* the first one broken: static */
        if (strcmp(x->invariant, k->invariant) == 0)
            out->violations += x->count;
    }
    out->broken = out->violations > 0;
    oracle_result_clear(&res);
    verdict_free(v);
    scenario_free(sc);
    return true;
}

/* Takes candidate (owned) instead of *text when it still breaks the invariant. */
static bool keep_if_broken(struct shrink *k, char **text, char *candidate, struct trial *best)
{
    struct trial t = { 0 };
    GError *err = NULL;
    bool keep = candidate && k->tries < SHRINK_TRIES_MAX && try_text(k, candidate, &t, &err) &&
                t.broken;
    g_clear_error(&err);
    if (!keep) {
        if (t.states)
            g_array_free(t.states, TRUE);
        g_free(candidate);
        return false;
    }
    g_free(*text);
    *text = candidate;
    g_array_free(best->states, TRUE);
    *best = t;
    return true;
}

static bool drop_faults(struct shrink *k, char **text, struct trial *best)
{
    bool any = false;
    for (guint i = scenario_text_faults(*text); i-- > 0;)
        any |= keep_if_broken(k, text, scenario_text_drop_fault(*text, i, NULL), best);
    return any;
}

/* A quarter shorter; a workload that stopped later now stops at the end. */
static bool shorter(struct shrink *k, char **text, struct trial *best)
{
    char buf[32];
    sim_time d = best->duration / 4 * 3 / SIM_MS * SIM_MS;
    if (d <= 0)
        return false;
    units_format_duration(d, buf, sizeof buf);
    char *candidate = scenario_text_set(*text, NULL, "duration", buf, NULL);
    if (candidate && best->workload_stop > d) {
        char *stopped = scenario_text_set(candidate, "workload", "stop", buf, NULL);
        if (stopped) {
            g_free(candidate);
            candidate = stopped;
        }
    }
    return keep_if_broken(k, text, candidate, best);
}

static bool fewer_clients(struct shrink *k, char **text, struct trial *best)
{
    return best->clients > 1 &&
           keep_if_broken(k, text, scenario_text_set(*text, "workload", "clients", "1", NULL),
                          best);
}

static bool slower(struct shrink *k, char **text, struct trial *best)
{
    double rate = best->rate / 2;
    if (rate < 1)
        return false;
    char buf[32];
    g_snprintf(buf, sizeof buf, "%.0f/s", rate);
    return keep_if_broken(k, text, scenario_text_set(*text, "workload", "rate", buf, NULL),
                          best);
}

/* One host fewer, down to three; refused by the loader while a fault names the last. */
static bool fewer_hosts(struct shrink *k, char **text, struct trial *best)
{
    if (best->hosts <= 3 || !best->hosts_numbered)
        return false;
    char buf[16];
    g_snprintf(buf, sizeof buf, "%u", best->hosts - 1);
    return keep_if_broken(k, text, scenario_text_set(*text, NULL, "hosts", buf, NULL), best);
}

/* Each random distribution of the network and the disk made fixed at its mean. */
static bool fixed_dists(struct shrink *k, char **text, struct trial *best)
{
    bool any = false;
    for (size_t i = 0; i < G_N_ELEMENTS(dist_keys); i++) {
        const struct dist *d = &best->dists[i];
        sim_time mean = d->kind == DIST_UNIFORM ? d->a + (d->b - d->a) / 2 : d->a;
        if (d->kind == DIST_FIXED)
            continue;
        char value[32], buf[64];
        units_format_duration(mean, value, sizeof value);
        g_snprintf(buf, sizeof buf, "{dist: fixed, value: %s}", value);
        any |= keep_if_broken(k, text,
                              scenario_text_set(*text, dist_keys[i][0], dist_keys[i][1], buf,
                                                NULL),
                              best);
    }
    return any;
}

/* The trigger that fires at: the last state change before it (after the start) of
 * any host, counted as a trigger counts entering that state and phase on that host, with
 * the rest of the wait as `after`. False when there is none to anchor to. */
static bool trigger_for(const GArray *states, sim_time at, GString *on)
{
    const struct trace_rec *anchor = NULL;
    for (guint i = 0; i < states->len; i++) {
        const struct trace_rec *r = &g_array_index(states, struct trace_rec, i);
        if (r->t_ns >= at)
            break; /* not the fault's own doing, nor what came at the same instant */
        if (r->t_ns > 0)
            anchor = r;
    }
    const struct model_desc *d = anchor ? model_get(anchor->model) : NULL;
    const char *state = d && d->state_name ? d->state_name(anchor->u.state.state) : NULL;
    const char *phase = d && d->phase_name ? d->phase_name(anchor->u.state.phase) : NULL;
    if (!state)
        return false;
    uint64_t count = 0;
    const struct trace_rec *prev = NULL; /* the host's record before r, in this model */
    for (const struct trace_rec *r = &g_array_index(states, struct trace_rec, 0); r <= anchor;
         r++) {
        if (r->model != anchor->model || r->host != anchor->host)
            continue;
        bool same = r->u.state.state == anchor->u.state.state &&
                    r->u.state.phase == anchor->u.state.phase;
        bool entered = !prev || prev->u.state.state != r->u.state.state ||
                       prev->u.state.phase != r->u.state.phase;
        count += same && entered;
        prev = r;
    }
    char after[32];
    units_format_duration(at - anchor->t_ns, after, sizeof after);
    g_string_printf(on, "on: {event: state, model: %s, host: h%d, state: %s", d->name,
                    anchor->host + 1, state);
    if (phase)
        g_string_append_printf(on, ", phase: %s", phase);
    g_string_append_printf(on, "}, count: %" PRIu64 ", after: %s", count, after);
    return count > 0;
}

/* Each timed fault fired by the protocol event it followed instead, where that keeps the
 * invariant broken: a scenario that says "100 ms after h3 starts leading" keeps failing
 * when timings move, one that says "at 3.1 s" may not. */
static bool times_to_triggers(struct shrink *k, char **text, struct trial *best)
{
    struct scenario *sc = scenario_parse("candidate", *text, strlen(*text), NULL);
    if (!sc)
        return false;
    bool any = false;
    GString *on = g_string_new(NULL);
    for (guint i = 0; i < sc->faults->len; i++) {
        const struct scenario_fault *f = &g_array_index(sc->faults, struct scenario_fault, i);
        if (f->on.event != TRIGGER_NONE || !best->hosts_numbered ||
            !trigger_for(best->states, f->at, on))
            continue; /* already triggered; hosts named otherwise than h1..hN; no anchor */
        any |= keep_if_broken(k, text,
                              scenario_text_fault_on(*text, f->line, f->column, on->str, NULL),
                              best);
    }
    g_string_free(on, TRUE);
    scenario_free(sc);
    return any;
}

static void print_size(const char *what, const struct trial *t)
{
    char d[32];
    units_format_duration(t->duration, d, sizeof d);
    printf("%-7s %3u faults  %s simulated  %10" PRIu64 " events  %9" PRIu64 " messages  "
           "%" PRId64 " violations\n", what, t->faults, d, t->events, t->messages, t->violations);
}

int cmd_shrink(int argc, char **argv)
{
    gchar *seed_text = NULL, *model = NULL, *variant = NULL, *invariant = NULL, *out = NULL;
    GOptionEntry entries[] = {
        { "seed", 's', 0, G_OPTION_ARG_STRING, &seed_text, "Seed (default: the file's)", "N" },
        { "model", 'm', 0, G_OPTION_ARG_STRING, &model,
          "Models to run (default: as zabsim run: the file's models:, else the default set)",
          "M,..." },
        { "variant", 0, 0, G_OPTION_ARG_STRING, &variant,
          "A ZooKeeper bug on (or none), as the failing run had it", "NAME" },
        { "invariant", 0, 0, G_OPTION_ARG_STRING, &invariant,
          "The invariant that must stay broken (default: the first one the run breaks)",
          "NAME" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
          "Where the smaller scenario goes (default: NAME-shrunk.yaml here)", "FILE" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("FAILING.yaml - a smaller scenario that still "
                                               "breaks the same invariant");
    g_option_context_set_summary(ctx,
        "Drops faults, shortens the run, lowers the clients, the rate and the hosts, and\n"
        "fixes random latencies at their means, then turns times into triggers, one edit at\n"
        "a time, keeping each edit that leaves the invariant broken; prints the size before\n"
        "and after and writes the smaller scenario.\n\n"
        "Exit status: 0 written; 1 the scenario breaks no invariant; 2 bad input.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    int status = EXIT_BAD_INPUT;
    struct scenario *sc = NULL;
    char *text = NULL;
    struct shrink k = { 0 };
    char bad[64];
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "zabsim shrink: %s\n", err->message);
    } else if (argc != 2) {
        fprintf(stderr, "zabsim shrink: give exactly one scenario file (zabsim shrink --help)\n");
    } else if (model && !(k.models = model_parse_set(model, bad, sizeof bad))) {
        fprintf(stderr, "zabsim shrink: --model: no model named '%s'\n", bad);
    } else if (k.models & ~model_all()) {
        model_id real = 0;
        while (!(k.models & ~model_all() & (1u << real)))
            real++;
        fprintf(stderr, "zabsim shrink: --model: %s is recorded from the real system by zabsim "
                "conform; it cannot be simulated (try --model %s)\n", model_get(real)->name,
                model_get(real)->real_of);
    } else if (!(sc = scenario_load(argv[1], &err))) {
        fprintf(stderr, "%s\n", err->message);
    } else {
        /* As `zabsim run` of the file: its `models:`, else the default set. Every candidate
         * keeps the file's `models:`, so the written result runs the same set. */
        if (!model)
            k.models = scenario_default_models(sc);
        k.seed = sc->seed;
        k.invariant = invariant;
        k.variant = variant;
        if (seed_text && !g_ascii_string_to_unsigned(seed_text, 10, 0, UINT64_MAX, &k.seed,
                                                     NULL)) {
            fprintf(stderr, "zabsim shrink: --seed %s: give a whole number\n", seed_text);
            goto done;
        }
        text = g_strdup(sc->text);
        struct trial first;
        if (!try_text(&k, text, &first, &err)) {
            fprintf(stderr, "zabsim shrink: %s\n", err->message);
            goto done;
        }
        if (!first.broken) {
            printf("%s, seed %" PRIu64 ": %s; nothing to shrink\n", argv[1], k.seed,
                   invariant ? "that invariant holds" : "every invariant holds");
            g_array_free(first.states, TRUE);
            status = EXIT_VIOLATION;
            goto done;
        }
        struct trial best = first;
        first.states = NULL; /* best's now */
        bool progress = true;
        while (progress && k.tries < SHRINK_TRIES_MAX) {
            progress = drop_faults(&k, &text, &best);
            while (shorter(&k, &text, &best))
                progress = true;
            progress |= fewer_clients(&k, &text, &best);
            while (slower(&k, &text, &best))
                progress = true;
            while (fewer_hosts(&k, &text, &best))
                progress = true;
            progress |= fixed_dists(&k, &text, &best);
        }
        times_to_triggers(&k, &text, &best);
        char *path = out ? g_strdup(out) : g_strdup_printf("%s-shrunk.yaml", sc->name);
        char *file = g_strdup_printf("# Shrunk by zabsim shrink from %s (seed %" PRIu64 "): "
                                     "%s still broken.\n%s", argv[1], k.seed, k.invariant, text);
        if (!g_file_set_contents(path, file, -1, &err)) {
            fprintf(stderr, "zabsim shrink: %s\n", err->message);
        } else {
            printf("%s, seed %" PRIu64 ": %s broken; %d runs tried\n", argv[1], k.seed,
                   k.invariant, k.tries);
            print_size("before", &first);
            print_size("after", &best);
            printf("written: %s (zabsim run %s --seed %" PRIu64 "%s%s%s%s)\n", path, path,
                   k.seed, model ? " --model " : "", model ? model : "",
                   variant ? " --variant " : "", variant ? variant : "");
            status = EXIT_OK;
        }
        g_free(file);
        g_free(path);
        g_array_free(best.states, TRUE);
    }
done:
    g_clear_error(&err);
    g_free(text);
    scenario_free(sc);
    g_free(seed_text);
    g_free(model);
    g_free(variant);
    g_free(invariant);
    g_free(out);
    g_option_context_free(ctx);
    return status;
}
