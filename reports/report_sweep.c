/* report_sweep.c: the runs of a sweep (every run of the reported run's scenario in the
 * database): loading them with their summaries for the text report's per-seed table, and
 * the HTML report's view of them: min / median / max of each run_summary measure across
 * seeds, a strip plot with one dot per seed, and the failing runs with the command that
 * reproduces each.
 *
 * A strip shows at most MAX_DOTS seeds (failing runs always among them); the caption says
 * when seeds were left out. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define MAX_DOTS 400
#define STRIP_H 22.0
#define STRIP_X0 270.0
#define STRIP_X1 940.0
#define TOP 16.0

/* ---- loading ---------------------------------------------------------------------------- */

/* `zabsim run PATH --seed N`, quoting the path only when a shell would need it. */
static char *reproduce_command(const char *path, const char *scenario, uint64_t seed)
{
    char *fallback = g_strconcat(scenario, ".yaml", NULL);
    const char *p = *path ? path : fallback;
    bool plain = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                           "_-./+:@%,=") == strlen(p);
    char *quoted = plain ? g_strdup(p) : g_shell_quote(p);
    char *cmd = g_strdup_printf("zabsim run %s --seed %" PRIu64, quoted, seed);
    g_free(quoted);
    g_free(fallback);
    return cmd;
}

static bool load_runs(sqlite3 *db, const struct rep_run *run, GArray *runs, GHashTable *index,
                      GError **err)
{
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT r.run_id, r.seed, r.verdict, r.scenario_path, "
                                   "  (SELECT invariant || ': ' || detail FROM violations AS v "
                                   "   WHERE v.run_id = r.run_id ORDER BY v.rowid LIMIT 1) "
                                   "FROM runs AS r WHERE r.scenario = :scenario ORDER BY r.run_id",
                                   0, err);
    if (!st)
        return false;
    rep__bind_str(st, ":scenario", run->scenario);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct rep_sweep_run r = { .run_id = sqlite3_column_int64(st, 0),
                                   .seed = (uint64_t)sqlite3_column_int64(st, 1),
                                   .verdict = g_strdup(rep__col_str(st, 2)),
                                   .first_violation = g_strdup(rep__col_str(st, 4)) };
        r.reproduce = reproduce_command(rep__col_str(st, 3), run->scenario, r.seed);
        g_hash_table_insert(index, g_memdup2(&r.run_id, sizeof r.run_id),
                            GUINT_TO_POINTER(runs->len + 1));
        g_array_append_val(runs, r);
    }
    return rep__done(db, st, err);
}

static bool load_summaries(sqlite3 *db, const struct rep_run *run, GArray *runs,
                           GHashTable *index, GError **err)
{
    char *sql = g_strdup_printf("SELECT run_id, %s FROM run_summary WHERE run_id IN "
                                "(SELECT run_id FROM runs WHERE scenario = :scenario) "
                                "ORDER BY run_id, model",
                                rep__summary_columns_sql());
    sqlite3_stmt *st = rep__prepare(db, sql, 0, err);
    g_free(sql);
    if (!st)
        return false;
    rep__bind_str(st, ":scenario", run->scenario);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int64_t id = sqlite3_column_int64(st, 0);
        guint at = GPOINTER_TO_UINT(g_hash_table_lookup(index, &id));
        if (at)
            rep__summary_add_row(&g_array_index(runs, struct rep_sweep_run, at - 1).summary, st, 1);
    }
    return rep__done(db, st, err);
}

static void clear_sweep_run(gpointer p)
{
    struct rep_sweep_run *r = p;
    g_free(r->verdict);
    g_free(r->reproduce);
    g_free(r->first_violation);
}

bool rep__sweep_load(sqlite3 *db, const struct rep_run *run, GArray **runs, GError **err)
{
    *runs = g_array_new(FALSE, TRUE, sizeof(struct rep_sweep_run));
    g_array_set_clear_func(*runs, clear_sweep_run);
    GHashTable *index = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    bool ok = load_runs(db, run, *runs, index, err) &&
              load_summaries(db, run, *runs, index, err);
    g_hash_table_destroy(index);
    if (!ok) {
        rep__sweep_free(*runs);
        *runs = NULL;
    }
    return ok;
}

void rep__sweep_free(GArray *runs)
{
    if (runs)
        g_array_free(runs, TRUE);
}

/* ---- distributions ---------------------------------------------------------------------- */

static int compare_i64(gconstpointer a, gconstpointer b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

/* The values of measure k of model m over the runs that have it, sorted. */
static GArray *measure_values(const GArray *runs, int m, int k)
{
    GArray *v = g_array_new(FALSE, FALSE, sizeof(int64_t));
    for (guint i = 0; i < runs->len; i++) {
        const struct rep_sweep_run *r = &g_array_index(runs, struct rep_sweep_run, i);
        if (r->summary.has[m][k])
            g_array_append_val(v, r->summary.value[m][k]);
    }
    g_array_sort(v, compare_i64);
    return v;
}

static void format_value(int k, int64_t v, char *buf, size_t len)
{
    if (summary_columns[k].unit == SUMMARY_DURATION)
        units_format_duration_short(v, buf, len);
    else
        g_snprintf(buf, len, "%" PRId64, v);
}

/* "min / median / max" cells of one model's measure k, or "-" cells. */
static void distribution_cells(GString *out, const GArray *runs, int m, int k)
{
    GArray *v = measure_values(runs, m, k);
    for (int q = 0; q < 3; q++) {
        char cell[REP_TIME_LEN] = "-";
        if (v->len > 0)
            format_value(k, g_array_index(v, int64_t, q == 0 ? 0 : q == 1 ? (v->len - 1) / 2
                                                                          : v->len - 1),
                         cell, sizeof cell);
        g_string_append_printf(out, "<td>%s</td>", cell);
    }
    g_array_free(v, TRUE);
}

static void distribution_table(GString *out, const struct rep_run *run, const GArray *runs)
{
    g_string_append(out, "<table><tr><th rowspan=\"2\">measure</th>");
    for (int m = 0; m < model_count(); m++) {
        if (!run->has[m])
            continue;
        g_string_append(out, "<th colspan=\"3\">");
        rep_escape(out, rep__model_label(m));
        g_string_append(out, "</th>");
    }
    g_string_append(out, "</tr>\n<tr>");
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m])
            g_string_append(out, "<th>min</th><th>median</th><th>max</th>");
    }
    g_string_append(out, "</tr>\n");
    for (int k = 0; k < REP_N_MEASURES; k++) {
        g_string_append_printf(out, "<tr><td>%s</td>", summary_columns[k].label);
        for (int m = 0; m < model_count(); m++) {
            if (run->has[m])
                distribution_cells(out, runs, m, k);
        }
        g_string_append(out, "</tr>\n");
    }
    g_string_append(out, "</table>\n");
}

/* ---- the strip plot --------------------------------------------------------------------- */

static bool failed(const struct rep_sweep_run *r)
{
    return strcmp(r->verdict, "fail") == 0;
}

static void strip(GString *out, const GArray *runs, int m, int k, double y,
                  guint stride)
{
    GArray *v = measure_values(runs, m, k);
    int64_t lo = g_array_index(v, int64_t, 0), hi = g_array_index(v, int64_t, v->len - 1);
    char lo_text[REP_TIME_LEN], hi_text[REP_TIME_LEN];
    format_value(k, lo, lo_text, sizeof lo_text);
    format_value(k, hi, hi_text, sizeof hi_text);
    svg_textf(out, 8, y + 4, "legend", "start", "%s %s", rep__model_label(m),
              summary_columns[k].label);
    svg_text(out, STRIP_X0 - 10, y + 4, "tick", "end", lo_text);
    svg_text(out, STRIP_X1 + 10, y + 4, "tick", "start", hi_text);
    svg_line(out, STRIP_X0, y, STRIP_X1, y, "grid", NULL);
    struct svg_scale x = svg_linear((double)lo, (double)MAX(hi, lo + 1), STRIP_X0, STRIP_X1);
    for (guint i = 0; i < runs->len; i++) {
        const struct rep_sweep_run *r = &g_array_index(runs, struct rep_sweep_run, i);
        if (!r->summary.has[m][k] || (i % stride != 0 && !failed(r)))
            continue;
        char value[REP_TIME_LEN];
        format_value(k, r->summary.value[m][k], value, sizeof value);
        char *title = g_strdup_printf("seed %" PRIu64 " (run %" PRId64 "): %s%s", r->seed,
                                      r->run_id, value, failed(r) ? ", failed" : "");
        double cx = hi > lo ? svg_at(&x, (double)r->summary.value[m][k])
                            : (STRIP_X0 + STRIP_X1) / 2;
        /* a little deterministic vertical spread so that equal values stay countable */
        svg_circle(out, cx, y + (double)(i % 5) * 2 - 4, 3.5,
                   failed(r) ? "fail" : rep__model_class(m), title);
        g_free(title);
    }
    g_array_free(v, TRUE);
}

static bool measure_values_present(const GArray *runs, int m, int k)
{
    for (guint i = 0; i < runs->len; i++) {
        if (g_array_index(runs, struct rep_sweep_run, i).summary.has[m][k])
            return true;
    }
    return false;
}

static void strip_plot(GString *out, const GArray *runs, guint stride)
{
    int rows = 0;
    for (int k = 0; k < REP_N_MEASURES; k++) {
        for (int m = 0; m < model_count(); m++)
            rows += measure_values_present(runs, m, k);
    }
    svg_open(out, REP_W, (int)(TOP + STRIP_H * rows + 10), "each measure across seeds");
    int row = 0;
    for (int k = 0; k < REP_N_MEASURES; k++) {
        for (int m = 0; m < model_count(); m++) {
            if (measure_values_present(runs, m, k))
                strip(out, runs, m, k, TOP + STRIP_H * row++ + 6, stride);
        }
    }
    svg_close(out);
}

/* ---- the section ------------------------------------------------------------------------ */

static void failing_runs(GString *out, const GArray *runs)
{
    guint n_failed = 0;
    for (guint i = 0; i < runs->len; i++) {
        const struct rep_sweep_run *r = &g_array_index(runs, struct rep_sweep_run, i);
        if (!failed(r))
            continue;
        if (n_failed++ == 0)
            g_string_append(out, "<h3>Failing seeds</h3><table><tr><th>run</th><th>seed</th>"
                                 "<th class=\"l\">first violation</th>"
                                 "<th class=\"l\">reproduce</th></tr>\n");
        g_string_append_printf(out, "<tr><td>%" PRId64 "</td><td>%" PRIu64 "</td>"
                                    "<td class=\"l\">",
                               r->run_id, r->seed);
        rep_escape(out, *r->first_violation ? r->first_violation : "expect: not met");
        g_string_append(out, "</td><td class=\"l\"><code>");
        rep_escape(out, r->reproduce);
        g_string_append(out, "</code></td></tr>\n");
    }
    if (n_failed)
        g_string_append(out, "</table>\n");
    else
        g_string_append_printf(out, "<p>All %u runs passed.</p>\n", runs->len);
}

bool rep_fig_sweep(struct rep_page *p, GError **err)
{
    GArray *runs;
    if (!rep__sweep_load(p->db, p->run, &runs, err))
        return false;
    guint stride = (runs->len + MAX_DOTS - 1) / MAX_DOTS;
    guint n_failed = 0;
    for (guint i = 0; i < runs->len; i++)
        n_failed += failed(&g_array_index(runs, struct rep_sweep_run, i));
    char *heading = g_strdup_printf("Across %u seeds", runs->len);
    rep_section_open(p->out, "sweep", heading);
    g_free(heading);
    g_string_append(p->out, "<p>");
    rep_escape_printf(p->out, "The database holds %u runs of %s; %u failed. Failing seeds "
                              "first, each with the command that reproduces it; then each "
                              "measure over the seeds (run_summary; durations rounded).",
                      runs->len, p->run->scenario, n_failed);
    g_string_append(p->out, "</p>\n");
    failing_runs(p->out, runs);
    distribution_table(p->out, p->run, runs);
    g_string_append(p->out, "<figure>");
    strip_plot(p->out, runs, MAX(stride, 1));
    if (stride > 1)
        rep_caption(p->out, "One dot per seed (one seed in %u of %u, and every failing run); "
                            "red dots are failing runs. Each row has its own scale, from its "
                            "minimum (left) to its maximum (right).",
                    stride, runs->len);
    else
        rep_caption(p->out, "One dot per seed; red dots are failing runs. Each row has its own "
                            "scale, from its minimum (left) to its maximum (right).");
    g_string_append(p->out, "</figure>\n<p>");
    rep_escape_printf(p->out, "Below, one run in detail: run %" PRId64 ", seed %" PRIu64 " (%s; "
                              "choose another with zabsim report --run ID).",
                      p->run->run_id, p->run->seed,
                      p->run->first_failure ? "the failing run with the lowest seed"
                      : p->opts->run_id   ? "the run asked for"
                                          : "the newest run");
    g_string_append(p->out, "</p>\n");
    rep_section_close(p->out);
    rep__sweep_free(runs);
    return true;
}
