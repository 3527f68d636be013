/* report_run.c: the shared layer of the report modules (report_internal.h): loading the run
 * being reported, query helpers, ZAB state intervals, run_summary, time formatting and
 * output files that appear only when complete. It renders nothing itself. */
#include "reports/report_internal.h"


#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

int rep__model_of(const char *name)
{
    return model_find(name);
}

const char *rep__model_name(int m)
{
    return model_get((model_id)m)->name;
}

const char *rep__model_label(int m)
{
    return model_get((model_id)m)->title;
}

const char *rep__model_class(int m)
{
    static const char *const classes[REP_MODELS] = { "m0", "m1", "m2", "m3",
                                                     "m4", "m5", "m6", "m7" };
    ZS_ASSERT(m >= 0 && m < REP_MODELS);
    return classes[m];
}

const char *rep__model_colour(int m)
{
    static const char *const colours[REP_MODELS] = { "#2563eb", "#ea580c", "#16a34a",
                                                     "#9333ea", "#0891b2", "#be185d",
                                                     "#854d0e", "#475569" };
    ZS_ASSERT(m >= 0 && m < REP_MODELS);
    return colours[m];
}

bool rep__model_ordered(int m)
{
    return model_get((model_id)m)->oracle != NULL;
}

/* ---- queries ---------------------------------------------------------------------------- */

sqlite3_stmt *rep__prepare(sqlite3 *db, const char *sql, int64_t run_id, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "reading the database: %s", sqlite3_errmsg(db));
        sqlite3_finalize(st);
        return NULL;
    }
    rep__bind_int(st, ":run_id", run_id);
    return st;
}

void rep__bind_int(sqlite3_stmt *st, const char *name, int64_t value)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_int64(st, i, value);
}

void rep__bind_str(sqlite3_stmt *st, const char *name, const char *value)
{
    int i = sqlite3_bind_parameter_index(st, name);
    if (i > 0)
        sqlite3_bind_text(st, i, value, -1, SQLITE_TRANSIENT);
}

bool rep__done(sqlite3 *db, sqlite3_stmt *st, GError **err)
{
    /* sqlite3_finalize returns the error of the statement's last step, if it failed. */
    if (sqlite3_finalize(st) == SQLITE_OK)
        return true;
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "reading the database: %s", sqlite3_errmsg(db));
    return false;
}

const char *rep__col_str(sqlite3_stmt *st, int col)
{
    const unsigned char *text = sqlite3_column_text(st, col);
    return text ? (const char *)text : "";
}

/* ---- the run ---------------------------------------------------------------------------- */

static const char run_sql[] =
    "SELECT r.run_id, r.scenario, r.description, r.scenario_path, r.model, r.verdict, "
    "       r.zabsim_version, r.seed, r.duration_ns, "
    "       (SELECT count(*) FROM runs AS o WHERE o.scenario = r.scenario), r.record "
    "FROM runs AS r "
    "WHERE r.run_id = CASE :want WHEN 0 THEN "
    /* by default the newest run, or in a sweep its scenario's first failing seed */
    "  (SELECT coalesce((SELECT f.run_id FROM runs AS f WHERE f.scenario = n.scenario "
    "                    AND f.verdict = 'fail' ORDER BY f.seed, f.run_id LIMIT 1), "
    "                   n.run_id) "
    "   FROM runs AS n WHERE n.run_id = (SELECT max(run_id) FROM runs)) "
    "ELSE :want END";

static bool load_run_row(sqlite3 *db, int64_t requested, struct rep_run *run, GError **err)
{
    sqlite3_stmt *st = rep__prepare(db, run_sql, 0, err);
    if (!st)
        return false;
    rep__bind_int(st, ":want", requested);
    bool found = sqlite3_step(st) == SQLITE_ROW;
    if (found) {
        run->run_id = sqlite3_column_int64(st, 0);
        run->scenario = g_strdup(rep__col_str(st, 1));
        run->description = g_strdup(rep__col_str(st, 2));
        run->scenario_path = g_strdup(rep__col_str(st, 3));
        run->model = g_strdup(rep__col_str(st, 4));
        run->verdict = g_strdup(rep__col_str(st, 5));
        run->version = g_strdup(rep__col_str(st, 6));
        run->seed = (uint64_t)sqlite3_column_int64(st, 7); /* stored two's complement */
        run->duration_ns = MAX(sqlite3_column_int64(st, 8), 0);
        run->runs_of_scenario = sqlite3_column_int64(st, 9);
        run->per_message = strcmp(rep__col_str(st, 10), "summary") != 0;
        run->first_failure = requested == 0 && run->runs_of_scenario > 1 &&
                             strcmp(run->verdict, "fail") == 0;
    }
    if (!rep__done(db, st, err))
        return false;
    if (!found) {
        if (requested == 0)
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "the database holds no runs");
        else
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "no run %" PRId64, requested);
        return false;
    }
    /* runs.model lists the run's models ("zab,pubsub"); "both" is how version 1 wrote it. */
    char bad[64];
    unsigned set = model_parse_set(run->model, bad, sizeof bad);
    for (int m = 0; m < model_count(); m++)
        run->has[m] = (set >> m) & 1;
    return true;
}

/* Appends the first column of every row of sql to names. */
static bool load_names(sqlite3 *db, const char *sql, int64_t run_id, GPtrArray *names,
                       GError **err)
{
    sqlite3_stmt *st = rep__prepare(db, sql, run_id, err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(names, g_strdup(rep__col_str(st, 0)));
    return rep__done(db, st, err);
}

/* The hosts table lists every host in scenario order; a database without it still names its
 * hosts in host_states and deliveries. */
static bool load_hosts(sqlite3 *db, struct rep_run *run, GError **err)
{
    if (!load_names(db, "SELECT host FROM hosts WHERE run_id = :run_id ORDER BY host_index, host",
                    run->run_id, run->host_names, err))
        return false;
    if (run->host_names->len > 0)
        return true;
    return load_names(db,
                      "SELECT host FROM (SELECT host FROM host_states WHERE run_id = :run_id "
                      "UNION SELECT host FROM deliveries WHERE run_id = :run_id) "
                      "ORDER BY length(host), host",
                      run->run_id, run->host_names, err);
}

static bool load_faults(sqlite3 *db, struct rep_run *run, GError **err)
{
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT t_ns, kind, target, detail FROM faults "
                                   "WHERE run_id = :run_id ORDER BY t_ns, rowid",
                                   run->run_id, err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct rep_fault f = { .t_ns = sqlite3_column_int64(st, 0),
                               .kind = g_strdup(rep__col_str(st, 1)),
                               .target = g_strdup(rep__col_str(st, 2)),
                               .detail = g_strdup(rep__col_str(st, 3)) };
        g_array_append_val(run->faults, f);
    }
    return rep__done(db, st, err);
}

/* The latest time an evidence row names (any column ending in _ns), or -1. */
static sim_time evidence_time(const char *evidence)
{
    sim_time latest = -1;
    for (const char *p = strstr(evidence, "_ns="); p; p = strstr(p + 4, "_ns=")) {
        char *end;
        gint64 t = g_ascii_strtoll(p + 4, &end, 10);
        if (end != p + 4 && t > latest)
            latest = t;
    }
    return latest;
}

static bool load_violations(sqlite3 *db, struct rep_run *run, GError **err)
{
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT model || '.' || invariant, detail, evidence "
                                   "FROM violations WHERE run_id = :run_id ORDER BY rowid "
                                   "LIMIT :limit",
                                   run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":limit", REP_VIOLATIONS_LOADED);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct rep_violation v = { .label = g_strdup(rep__col_str(st, 0)),
                                   .detail = g_strdup(rep__col_str(st, 1)),
                                   .evidence = g_strdup(rep__col_str(st, 2)) };
        v.t_ns = evidence_time(v.evidence);
        g_array_append_val(run->violations, v);
    }
    return rep__done(db, st, err);
}

static void clear_violation(gpointer p)
{
    struct rep_violation *v = p;
    g_free(v->label);
    g_free(v->detail);
    g_free(v->evidence);
}

static void clear_fault(gpointer p)
{
    struct rep_fault *f = p;
    g_free(f->kind);
    g_free(f->target);
    g_free(f->detail);
}

bool rep__run_load(sqlite3 *db, int64_t requested, struct rep_run *run, GError **err)
{
    memset(run, 0, sizeof *run);
    run->host_names = g_ptr_array_new_with_free_func(g_free);
    run->client_names = g_ptr_array_new_with_free_func(g_free);
    run->faults = g_array_new(FALSE, FALSE, sizeof(struct rep_fault));
    g_array_set_clear_func(run->faults, clear_fault);
    run->violations = g_array_new(FALSE, FALSE, sizeof(struct rep_violation));
    g_array_set_clear_func(run->violations, clear_violation);
    return load_run_row(db, requested, run, err) && load_hosts(db, run, err) &&
           load_names(db,
                      "SELECT client FROM (SELECT client FROM submissions WHERE run_id = "
                      ":run_id UNION SELECT client FROM client_states WHERE run_id = :run_id) "
                      "ORDER BY length(client), client",
                      run->run_id, run->client_names, err) &&
           load_faults(db, run, err) && load_violations(db, run, err);
}

void rep__run_clear(struct rep_run *run)
{
    g_free(run->scenario);
    g_free(run->description);
    g_free(run->scenario_path);
    g_free(run->model);
    g_free(run->verdict);
    g_free(run->version);
    if (run->host_names)
        g_ptr_array_free(run->host_names, TRUE);
    if (run->client_names)
        g_ptr_array_free(run->client_names, TRUE);
    if (run->faults)
        g_array_free(run->faults, TRUE);
    if (run->violations)
        g_array_free(run->violations, TRUE);
    memset(run, 0, sizeof *run);
}

bool rep_parse_window(const char *text, struct rep_window *w, GError **err)
{
    const char *dots = strstr(text, "..");
    char *start = dots ? g_strndup(text, (gsize)(dots - text)) : NULL, *why = NULL;
    bool ok = dots && units_parse_duration(start, &w->start_ns, &why) &&
              units_parse_duration(dots + 2, &w->end_ns, &why);
    if (!ok)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--window '%s': %s", text,
                    why ? why : "expected START..END, e.g. 2.9s..3.1s");
    else if (w->start_ns >= w->end_ns)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--window '%s': START must be before END",
                    text);
    g_free(start);
    g_free(why);
    return ok && w->start_ns < w->end_ns;
}

/* Keeps only the models opts asks for; an error when the run has none of them. */
static bool select_models(struct rep_run *run, const struct rep_options *opts, GError **err)
{
    if (!opts->models)
        return true;
    bool any = false;
    for (int m = 0; m < REP_MODELS; m++) {
        run->has[m] = run->has[m] && (opts->models & (1u << m));
        any = any || run->has[m];
    }
    if (!any) {
        char want[128];
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--model %s: run %" PRId64 " simulated %s",
                    model_format_set(opts->models, want, sizeof want), run->run_id,
                    run->model);
        return false;
    }
    return true;
}

bool rep__run_check(struct rep_run *run, const struct rep_options *opts, GError **err)
{
    if (!select_models(run, opts, err))
        return false;
    if (!opts->window_set || opts->window.end_ns <= run->duration_ns)
        return true;
    char start[REP_TIME_LEN], end[REP_TIME_LEN], dur[REP_TIME_LEN];
    units_format_duration(opts->window.start_ns, start, sizeof start);
    units_format_duration(opts->window.end_ns, end, sizeof end);
    units_format_duration(run->duration_ns, dur, sizeof dur);
    if (opts->window.start_ns >= run->duration_ns)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--window starts at %s, after run %" PRId64
                    " ended (%s)", start, run->run_id, dur);
    else
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "--window ends at %s, after run %" PRId64
                    " ended (%s): give at most %s..%s", end, run->run_id, dur, start, dur);
    return false;
}

int rep__host_index(const struct rep_run *run, const char *host)
{
    for (guint i = 0; i < run->host_names->len; i++) {
        if (strcmp(g_ptr_array_index(run->host_names, i), host) == 0)
            return (int)i;
    }
    return -1;
}

/* ---- host states ------------------------------------------------------------------------ */

static int compare_spans(gconstpointer a, gconstpointer b)
{
    const struct rep_state_span *x = a, *y = b;
    if (x->model != y->model)
        return x->model < y->model ? -1 : 1;
    return x->host != y->host ? (x->host < y->host ? -1 : 1) : 0; /* stable: time kept */
}

bool rep__state_spans(sqlite3 *db, const struct rep_run *run, GArray **spans, GError **err)
{
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT model, host, t_ns, incarnation, state, phase, epoch, "
                                   "  lead(t_ns) OVER (PARTITION BY model, host "
                                   "                   ORDER BY t_ns, trace_seq) "
                                   "FROM host_states WHERE run_id = :run_id "
                                   "ORDER BY model, host, t_ns, trace_seq",
                                   run->run_id, err);
    if (!st)
        return false;
    *spans = g_array_new(FALSE, FALSE, sizeof(struct rep_state_span));
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct rep_state_span s = { .model = rep__model_of(rep__col_str(st, 0)),
                                    .host = rep__host_index(run, rep__col_str(st, 1)),
                                    .start_ns = sqlite3_column_int64(st, 2),
                                    .incarnation = sqlite3_column_int64(st, 3),
                                    .epoch = sqlite3_column_int64(st, 6) };
        if (s.host < 0 || s.model < 0 || !run->has[s.model] || !model_get(s.model)->state_name)
            continue;
        s.end_ns = sqlite3_column_type(st, 7) == SQLITE_NULL ? MAX(run->duration_ns, s.start_ns)
                                                              : sqlite3_column_int64(st, 7);
        g_strlcpy(s.state, rep__col_str(st, 4), sizeof s.state);
        g_strlcpy(s.phase, rep__col_str(st, 5), sizeof s.phase);
        const struct model_desc *d = model_get(s.model);
        for (int i = 0; i < 256 && d->state_name((uint8_t)i); i++) {
            if (strcmp(d->state_name((uint8_t)i), s.state) == 0)
                s.state_index = i;
        }
        g_array_append_val(*spans, s);
    }
    g_array_sort(*spans, compare_spans); /* g_array_sort is stable */
    if (rep__done(db, st, err))
        return true;
    g_array_free(*spans, TRUE);
    *spans = NULL;
    return false;
}

bool rep__span_is_leading(const struct rep_state_span *s)
{
    const struct model_desc *d = model_get((model_id)s->model);
    return d->leader_state && strcmp(s->state, d->leader_state) == 0 && rep__span_is_serving(s);
}

bool rep__span_is_serving(const struct rep_state_span *s)
{
    const struct model_desc *d = model_get((model_id)s->model);
    if (s->state_index == TRACE_STATE_DOWN)
        return false;
    return !d->serving_phase || strcmp(s->phase, d->serving_phase) == 0;
}

/* ---- run_summary ------------------------------------------------------------------------ */

const char *rep__summary_columns_sql(void)
{
    static char sql[1024];
    if (!sql[0]) {
        GString *cols = g_string_new("model");
        for (size_t k = 0; k < summary_columns_count; k++)
            g_string_append_printf(cols, ", %s", summary_columns[k].name);
        ZS_ASSERT(cols->len < sizeof sql);
        g_strlcpy(sql, cols->str, sizeof sql);
        g_string_free(cols, TRUE);
    }
    return sql;
}

void rep__summary_add_row(struct rep_summary *s, sqlite3_stmt *st, int col)
{
    int m = rep__model_of(rep__col_str(st, col));
    for (int k = 0; m >= 0 && k < REP_N_MEASURES; k++) {
        s->has[m][k] = sqlite3_column_type(st, col + 1 + k) != SQLITE_NULL;
        s->value[m][k] = sqlite3_column_int64(st, col + 1 + k);
    }
}

bool rep__summary_load(sqlite3 *db, int64_t run_id, struct rep_summary *s, GError **err)
{
    memset(s, 0, sizeof *s);
    char *sql = g_strdup_printf("SELECT %s FROM run_summary WHERE run_id = :run_id "
                                "ORDER BY model", rep__summary_columns_sql());
    sqlite3_stmt *st = rep__prepare(db, sql, run_id, err);
    g_free(sql);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW)
        rep__summary_add_row(s, st, 0);
    return rep__done(db, st, err);
}

void rep__format_measure(const struct rep_summary *s, int m, int k, char *buf, size_t len)
{
    summary_format_value(s->value[m][k], s->has[m][k], summary_columns[k].unit, buf, len);
}

/* ---- formatting and output -------------------------------------------------------------- */


const char *rep__valid_utf8(const char *text, char **owned)
{
    *owned = NULL;
    if (g_utf8_validate(text, -1, NULL))
        return text;
    *owned = g_utf8_make_valid(text, -1);
    return *owned;
}

FILE *rep__output_open(const char *path, GError **err)
{
    char *tmp = g_strconcat(path, ".tmp", NULL);
    FILE *f = fopen(tmp, "wb");
    if (!f)
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", tmp, g_strerror(errno));
    else
        setvbuf(f, NULL, _IOFBF, 1 << 20); /* traces run to hundreds of megabytes */
    g_free(tmp);
    return f;
}

bool rep__output_close(FILE *f, const char *path, bool ok, GError **err)
{
    char *tmp = g_strconcat(path, ".tmp", NULL);
    bool written = fflush(f) == 0 && !ferror(f);
    int saved = errno;
    written = (fclose(f) == 0) && written;
    if (ok && !written)
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", tmp, g_strerror(saved ? saved : EIO));
    if (ok && written && g_rename(tmp, path) != 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", path, g_strerror(errno));
        written = false;
    }
    if (!ok || !written)
        g_remove(tmp);
    g_free(tmp);
    return ok && written;
}
