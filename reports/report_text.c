/* report_text.c: `zabsim report DB`, the plain-text report of one run: what was simulated,
 * the faults, the state changes of each model with states on one (wrapped) line per host,
 * every model's run_summary side by side, the recipes' measures (reports/recipe_table.c, as
 * `zabsim run` prints them), drops by cause, the first delivery-order divergence, and, for
 * a database holding several runs of the scenario, one line per seed.
 *
 * Meant for a terminal and for diffs: no colour, lines within TEXT_WIDTH where the data
 * allows, nothing that changes between two reports of the same database. */
#include "reports/calibration.h"
#include "reports/recipe_table.h"
#include "reports/report_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#define TEXT_WIDTH 100
#define MAX_SEGMENTS 24 /* state changes listed per host */

/* Appends words to out, wrapping before TEXT_WIDTH; continuation lines get `indent` spaces.
 * col is the current column and is updated. */
static void wrap(GString *out, const char *words, int indent, int *col)
{
    char **parts = g_strsplit_set(words, " \n\t", -1);
    for (char **w = parts; *w; w++) {
        int len = (int)g_utf8_strlen(*w, -1);
        if (len == 0)
            continue;
        if (*col > indent && *col + 1 + len > TEXT_WIDTH) {
            g_string_append_printf(out, "\n%*s", indent, "");
            *col = indent;
        } else if (*col > indent) {
            g_string_append_c(out, ' ');
            (*col)++;
        }
        g_string_append(out, *w);
        *col += len;
    }
    g_strfreev(parts);
}

/* ---- header, faults, states ------------------------------------------------------------- */

static void header(GString *out, const struct rep_run *run)
{
    char dur[REP_TIME_LEN];
    units_format_duration(run->duration_ns, dur, sizeof dur);
    g_string_append_printf(out, "zabsim report: run %" PRId64 ", scenario %s (%s)\n",
                           run->run_id, run->scenario,
                           *run->scenario_path ? run->scenario_path : "path not recorded");
    g_string_append_printf(out, "seed %" PRIu64 ", %u hosts, %u clients, %s simulated, "
                                "models %s, verdict %s, zabsim %s\n  ",
                           run->seed, run->host_names->len, run->client_names->len, dur,
                           run->model, *run->verdict ? run->verdict : "none", run->version);
    int col = 2;
    wrap(out, run->description, 2, &col);
    g_string_append(out, "\n\n");
}

/* The span the text lists faults and state changes in: --window, else the whole run. */
static struct rep_window text_window(const struct rep_options *opts)
{
    return opts->window_set ? opts->window : (struct rep_window){ 0, SIM_TIME_NEVER };
}

static bool in_window(const struct rep_window *w, sim_time t)
{
    return t >= w->start_ns && t < w->end_ns;
}

static void faults(GString *out, const struct rep_run *run, const struct rep_window *w)
{
    guint shown = 0;
    for (guint i = 0; i < run->faults->len; i++)
        shown += in_window(w, g_array_index(run->faults, struct rep_fault, i).t_ns);
    if (shown == 0)
        g_string_append(out, "faults: none\n\n");
    else
        g_string_append(out, "faults\n");
    for (guint i = 0; i < run->faults->len; i++) {
        const struct rep_fault *f = &g_array_index(run->faults, struct rep_fault, i);
        if (!in_window(w, f->t_ns))
            continue;
        char at[REP_TIME_LEN];
        units_format_duration(f->t_ns, at, sizeof at);
        g_string_append_printf(out, "  %-14s %-10s %s%s%s\n", at, f->kind, f->target,
                               *f->detail ? "  " : "", f->detail);
    }
    if (shown > 0)
        g_string_append_c(out, '\n');
}

static void free_phrase(gpointer p)
{
    g_string_free(p, TRUE);
}

/* One host's state changes in one model as phrases: "T STATE" for each new state or
 * incarnation, with ", serving eN at T" where the host reached the model's serving phase. */
static GPtrArray *state_phrases(const GArray *spans, int model, int host,
                                const struct rep_window *w)
{
    GPtrArray *phrases = g_ptr_array_new_with_free_func(free_phrase);
    const struct rep_state_span *seg = NULL;
    bool serving = false;
    for (guint i = 0; i < spans->len; i++) {
        const struct rep_state_span *s = &g_array_index(spans, struct rep_state_span, i);
        if (s->host != host || s->model != model || !in_window(w, s->start_ns))
            continue;
        char at[REP_TIME_LEN];
        units_format_duration_short(s->start_ns, at, sizeof at);
        if (!seg || strcmp(seg->state, s->state) != 0 || seg->incarnation != s->incarnation) {
            GString *phrase = g_string_new(NULL);
            g_string_printf(phrase, "%s %s%s", at, s->state,
                            seg && seg->incarnation != s->incarnation ? " (restarted)" : "");
            g_ptr_array_add(phrases, phrase);
            seg = s;
            serving = false;
        }
        if (!serving && *s->phase && rep__span_is_serving(s)) {
            GString *phrase = g_ptr_array_index(phrases, phrases->len - 1);
            g_string_append_printf(phrase, ", serving e%" PRId64, s->epoch);
            if (s != seg)
                g_string_append_printf(phrase, " at %s", at);
            serving = true;
        }
    }
    return phrases;
}

static void host_states(GString *out, const struct rep_run *run, const GArray *spans,
                        int model, int host, const struct rep_window *w)
{
    const char *name = g_ptr_array_index(run->host_names, host);
    GPtrArray *phrases = state_phrases(spans, model, host, w);
    guint shown = MIN(phrases->len, MAX_SEGMENTS);
    g_string_append_printf(out, "  %-4s", name);
    int col = 2 + MAX(4, (int)g_utf8_strlen(name, -1));
    for (guint i = 0; i < shown; i++) {
        GString *phrase = g_ptr_array_index(phrases, i);
        if (i + 1 < phrases->len)
            g_string_append_c(phrase, ';');
        wrap(out, phrase->str, 6, &col);
    }
    if (phrases->len > shown) {
        char *more = g_strdup_printf("... %u more", phrases->len - shown);
        wrap(out, more, 6, &col);
        g_free(more);
    }
    if (phrases->len == 0)
        wrap(out, "no state recorded", 6, &col);
    g_string_append_c(out, '\n');
    g_ptr_array_free(phrases, TRUE);
}

static bool states(GString *out, sqlite3 *db, const struct rep_run *run,
                   const struct rep_window *w, GError **err)
{
    GArray *spans;
    if (!rep__state_spans(db, run, &spans, err))
        return false;
    for (int m = 0; m < model_count(); m++) {
        const struct model_desc *d = model_get(m);
        if (!run->has[m] || !d->state_name)
            continue;
        g_string_append_printf(out, "%s host states (time and state", d->name);
        if (d->serving_phase)
            g_string_append_printf(out, "; \"serving eN\" once the host reaches phase %s in "
                                        "epoch N", d->serving_phase);
        g_string_append(out, ")\n");
        for (guint h = 0; h < run->host_names->len; h++)
            host_states(out, run, spans, m, (int)h, w);
        g_string_append_c(out, '\n');
    }
    g_array_free(spans, TRUE);
    return true;
}

/* ---- the models side by side ------------------------------------------------------------- */

static bool summary(GString *out, sqlite3 *db, const struct rep_run *run, GError **err)
{
    struct rep_summary s;
    if (!rep__summary_load(db, run->run_id, &s, err))
        return false;
    g_string_append_printf(out, "%-50s", "the models (run_summary)");
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m])
            g_string_append_printf(out, " %12s", rep__model_name(m));
    }
    g_string_append_c(out, '\n');
    for (int k = 0; k < REP_N_MEASURES; k++) {
        g_string_append_printf(out, "  %s%-*s", summary_columns[k].indent ? "  " : "",
                               summary_columns[k].indent ? 46 : 48, summary_columns[k].label);
        for (int m = 0; m < model_count(); m++) {
            char v[REP_TIME_LEN];
            if (!run->has[m])
                continue;
            rep__format_measure(&s, m, k, v, sizeof v);
            g_string_append_printf(out, " %12s", v);
        }
        g_string_append_c(out, '\n');
    }
    g_string_append_c(out, '\n');
    return true;
}

/* The recipes' measures, as `zabsim run` prints them, for the models shown. */
static bool recipes(GString *out, sqlite3 *db, const struct rep_run *run, GError **err)
{
    unsigned models = 0;
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m])
            models |= 1u << m;
    }
    if (models == 0 ||
        recipe_table_render(db, run->run_id, models, "the recipes (recipe_summary)", 2, out))
        return true;
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "reading the recipes: %s", sqlite3_errmsg(db));
    return false;
}

static bool drops(GString *out, sqlite3 *db, const struct rep_run *run, GError **err)
{
    if (!run->per_message) {
        g_string_append(out, "drops by cause and the first delivery-order divergence: "
                             REP_NOT_RECORDED "\n\n");
        return true;
    }
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT model, cause, count(*), count(DISTINCT msg_id), "
                                   "  min(t_ns), max(t_ns) FROM drops WHERE run_id = :run_id "
                                   "GROUP BY model, cause ORDER BY model DESC, 3 DESC, cause",
                                   run->run_id, err);
    if (!st)
        return false;
    bool any = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        if (!any)
            g_string_append_printf(out, "drops by cause (messages that missed a subscriber they "
                                        "were meant for)\n  %-7s %-24s %8s %9s %12s %12s\n",
                                   "model", "cause", "drops", "messages", "first", "last");
        any = true;
        char first[REP_TIME_LEN], last[REP_TIME_LEN];
        units_format_duration_short(sqlite3_column_int64(st, 4), first, sizeof first);
        units_format_duration_short(sqlite3_column_int64(st, 5), last, sizeof last);
        g_string_append_printf(out, "  %-7s %-24s %8" PRId64 " %9" PRId64 " %12s %12s\n",
                               rep__col_str(st, 0), rep__col_str(st, 1),
                               (int64_t)sqlite3_column_int64(st, 2),
                               (int64_t)sqlite3_column_int64(st, 3), first, last);
    }
    if (!any)
        g_string_append(out, "drops by cause: none\n");
    g_string_append_c(out, '\n');
    return rep__done(db, st, err);
}

/* "  LABEL  m1 m2 ...", wrapped. */
static void order_line(GString *out, const char *label, const GPtrArray *msgs)
{
    g_string_append_printf(out, "    %-8s", label);
    int col = 4 + MAX(8, (int)g_utf8_strlen(label, -1));
    for (guint i = 0; i < msgs->len; i++)
        wrap(out, g_ptr_array_index(msgs, i), 13, &col);
    g_string_append_c(out, '\n');
}

/* A model that promises one order: that order of the chosen messages, or its split. */
static void ordered_model(GString *out, const struct rep_divergence *d,
                          const struct rep_ordered *o)
{
    const char *name = rep__model_name(o->model);
    if (o->split_seq > 0) {
        g_string_append_printf(out, "  %s: position %" PRId64 " holds different messages "
                                    "(agreement violated):\n", name, o->split_seq);
        for (guint i = 0; i < o->split->len; i++)
            g_string_append_printf(out, "    %s\n", (const char *)g_ptr_array_index(o->split, i));
    } else if (d->found) {
        g_string_append_printf(out, "  %s, one order at every host:\n", name);
        order_line(out, "all", o->order);
        GPtrArray *never = g_ptr_array_new();
        for (guint i = 0; i < d->msgs->len; i++) {
            char *msg = g_ptr_array_index(d->msgs, i);
            if (!g_ptr_array_find_with_equal_func(o->order, msg, g_str_equal, NULL))
                g_ptr_array_add(never, msg);
        }
        if (never->len)
            order_line(out, "never", never);
        g_ptr_array_free(never, TRUE);
    } else {
        g_string_append_printf(out, "  %s: every host delivered the same message at every "
                                    "position\n", name);
    }
}

static bool divergence(GString *out, sqlite3 *db, const struct rep_run *run, GError **err)
{
    if (!run->per_message)
        return true; /* said with the drops */
    struct rep_divergence d;
    if (!rep__divergence_load(db, run, &d, err))
        return false;
    g_string_append(out, "first delivery-order divergence\n");
    if (d.found) {
        char at[REP_TIME_LEN];
        units_format_duration_short(d.t_ns, at, sizeof at);
        char *what = g_strdup_printf("%s: by %s %s had received %s before %s, %s the "
                                     "other way round; each host incarnation's order:",
                                     rep__model_label(d.model), at, d.in_order_at, d.first,
                                     d.second, d.reversed_at);
        int col = 2;
        g_string_append(out, "  ");
        wrap(out, what, 4, &col);
        g_string_append_c(out, '\n');
        g_free(what);
        for (guint i = 0; i < d.orders->len; i++) {
            const struct rep_order *o = g_ptr_array_index(d.orders, i);
            order_line(out, o->label, o->msgs);
        }
    }
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m] && !rep__model_ordered(m) && !d.diverges[m])
            g_string_append_printf(out, "  %s: every host incarnation delivered shared messages "
                                        "in the same order\n", rep__model_label(m));
        else if (run->has[m] && !rep__model_ordered(m) && (!d.found || m != d.model))
            g_string_append_printf(out, "  %s: its host incarnations disagree on some order "
                                        "too\n", rep__model_label(m));
    }
    for (guint i = 0; i < d.ordered->len; i++)
        ordered_model(out, &d, g_ptr_array_index(d.ordered, i));
    g_string_append_c(out, '\n');
    rep__divergence_clear(&d);
    return true;
}

/* ---- the seeds of a sweep --------------------------------------------------------------- */

/* The measures of the per-seed table, for every model of the run: lost, order
 * disagreements and the clients' p99 ack latency; unavailability and leader changes for a
 * model with a leader. */
static const char *const seed_columns[] = { "lost", "order_disagreements", "ack_p99_ns",
                                            "unavailable_ns", "leader_changes" };
static const char *const seed_headings[] = { "lost", "order", "ack p99", "unav.", "leaders" };

static bool seed_column_shown(const struct rep_run *run, int m, size_t c)
{
    return run->has[m] && (c < 3 || model_get((model_id)m)->leader_state != NULL);
}

static void seed_row(GString *out, const struct rep_run *run, const struct rep_sweep_run *r)
{
    g_string_append_printf(out, "  %5" PRId64 " %10" PRIu64 " %-7s", r->run_id, r->seed,
                           *r->verdict ? r->verdict : "-");
    for (int m = 0; m < model_count(); m++) {
        for (size_t c = 0; c < G_N_ELEMENTS(seed_columns); c++) {
            char v[REP_TIME_LEN];
            if (!seed_column_shown(run, m, c))
                continue;
            rep__format_measure(&r->summary, m, summary_column_index(seed_columns[c]), v, sizeof v);
            g_string_append_printf(out, " %10s", v);
        }
    }
    g_string_append_c(out, '\n');
}

static bool seeds(GString *out, sqlite3 *db, const struct rep_run *run, GError **err)
{
    if (run->runs_of_scenario < 2)
        return true;
    GArray *runs;
    if (!rep__sweep_load(db, run, &runs, err))
        return false;
    g_string_append_printf(out, "runs of %s in this database\n  %5s %10s %-7s", run->scenario,
                           "run", "seed", "verdict");
    for (int m = 0; m < model_count(); m++) {
        for (size_t c = 0; c < G_N_ELEMENTS(seed_columns); c++) {
            char heading[32];
            g_snprintf(heading, sizeof heading, "%.3s %s", rep__model_name(m), seed_headings[c]);
            if (seed_column_shown(run, m, c))
                g_string_append_printf(out, " %10s", heading);
        }
    }
    g_string_append_c(out, '\n');
    for (guint i = 0; i < runs->len; i++)
        seed_row(out, run, &g_array_index(runs, struct rep_sweep_run, i));
    for (guint i = 0; i < runs->len; i++) {
        const struct rep_sweep_run *r = &g_array_index(runs, struct rep_sweep_run, i);
        if (strcmp(r->verdict, "fail") == 0)
            g_string_append_printf(out, "  failed: run %" PRId64 ": %s\n", r->run_id,
                                   r->reproduce);
    }
    rep__sweep_free(runs);
    return true;
}

/* When the database holds real runs (zabsim conform): the simulation against them. */
static bool calibration(GString *out, sqlite3 *db, GError **err)
{
    GString *table = g_string_new(NULL);
    struct calibration_outcome o;
    bool ok = calibration_render(db, false, table, &o, err);
    if (ok && table->len > 0)
        g_string_append_printf(out, "\nsimulation against the real systems (zabsim conform; "
                                    "docs/fidelity.md):%s\n  %d of %d measures within ±20 %%, "
                                    "%d outside ±50 %%, %d on one side only\n",
                               table->str, o.tight, o.rows, o.outside_wide, o.one_sided);
    g_string_free(table, TRUE);
    return ok;
}

/* A failing run opens on what failed: each violation, when its proof completed, and the
 * rows that prove it. */
static void violations(GString *out, const struct rep_run *run)
{
    if (run->violations->len == 0)
        return;
    g_string_append(out, "invariant violations (zabsim check lists them all)\n");
    for (guint i = 0; i < run->violations->len; i++) {
        const struct rep_violation *v = &g_array_index(run->violations, struct rep_violation, i);
        char when[REP_TIME_LEN] = "?";
        if (v->t_ns >= 0)
            units_format_duration(v->t_ns, when, sizeof when);
        g_string_append_printf(out, "  %s at %s: %s\n", v->label, when, v->detail);
        char **rows = g_strsplit(v->evidence, "\n", -1);
        for (char **r = rows; *r; r++) {
            if (**r)
                g_string_append_printf(out, "      %s\n", *r);
        }
        g_strfreev(rows);
    }
    g_string_append_c(out, '\n');
}

bool rep_text(sqlite3 *db, const struct rep_options *opts, FILE *out, GError **err)
{
    struct rep_run run;
    GString *text = g_string_new(NULL);
    bool ok = rep__run_load(db, opts->run_id, &run, err) && rep__run_check(&run, opts, err);
    struct rep_window w = text_window(opts);
    if (ok) {
        header(text, &run);
        if (opts->window_set) {
            char a[REP_TIME_LEN], b[REP_TIME_LEN];
            units_format_duration(w.start_ns, a, sizeof a);
            units_format_duration(w.end_ns, b, sizeof b);
            g_string_append_printf(text, "faults and state changes from %s to %s (--window); "
                                         "the measures are the whole run's\n\n", a, b);
        }
        violations(text, &run);
        faults(text, &run, &w);
        ok = states(text, db, &run, &w, err) && summary(text, db, &run, err) &&
             recipes(text, db, &run, err) && drops(text, db, &run, err) &&
             divergence(text, db, &run, err) && seeds(text, db, &run, err) &&
             calibration(text, db, err);
    }
    if (ok && (fwrite(text->str, 1, text->len, out) != text->len || fflush(out) != 0)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "writing the report: %s", g_strerror(errno));
        ok = false;
    }
    g_string_free(text, TRUE);
    rep__run_clear(&run);
    return ok;
}
