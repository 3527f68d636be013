/* calibration.c: see calibration.h. The measures are the queries of calibration.sql, run on
 * every run of the database; this file only takes medians and compares them. */
#include "reports/calibration.h"

#include "reports/db.h"
#include "reports/db_internal.h"
#include "world/model.h"
#include "world/units.h"

#include <inttypes.h>
#include <math.h>
#include <string.h>

struct cal_measure {
    const char *name;
    const char *label;
    bool duration;
    bool nonzero_rule; /* agreement is "non-zero whenever the real one is" */
};

/* In the order of calibration.sql. */
static const struct cal_measure measures[] = {
    { "failover_ns", "leader crash -> new leader serving", true, false },
    { "notice_ns", "leader crash -> survivors notice", true, false },
    { "restart_serving_ns", "restart -> serving again", true, false },
    { "ack_gap_max_ns", "longest gap between a client's acks", true, false },
    { "not_acked", "writes not acknowledged", false, false },
    { "lost_worst_subscriber", "lost, worst subscriber", false, false },
    { "lost_other_subscribers", "lost, other subscribers", false, false },
    { "order_disagreements", "order disagreements", false, true },
};
#define N_MEASURES G_N_ELEMENTS(measures)

/* The query of each measure, cut out of calibration.sql. */
static char **measure_queries(GError **err)
{
    char **q = g_new0(char *, N_MEASURES + 1);
    const char *text = embedded_calibration_sql;
    for (size_t i = 0; i < N_MEASURES; i++) {
        char *head = g_strdup_printf("-- calibration: %s\n", measures[i].name);
        const char *at = strstr(text, head);
        g_free(head);
        if (!at) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                        "calibration.sql has no block for %s", measures[i].name);
            g_strfreev(q);
            return NULL;
        }
        const char *end = strstr(at + 1, "\n-- calibration: ");
        q[i] = end ? g_strndup(at, (gsize)(end - at)) : g_strdup(at);
    }
    return q;
}

/* Values of one (scenario, model, measure): int64 in a GArray, kept in a table by key. */
struct collect {
    GHashTable *values; /* "scenario\x1fmodel\x1fmeasure" -> GArray of int64_t */
    const char *scenario;
    size_t measure;
};

static GArray *values_of(GHashTable *t, const char *scenario, const char *model, size_t measure,
                         bool create)
{
    char *key = g_strdup_printf("%s\x1f%s\x1f%zu", scenario, model, measure);
    GArray *a = g_hash_table_lookup(t, key);
    if (!a && create) {
        a = g_array_new(FALSE, FALSE, sizeof(int64_t));
        g_hash_table_insert(t, key, a);
        key = NULL;
    }
    g_free(key);
    return a;
}

static bool collect_row(void *ctx, sqlite3_stmt *row, GError **err)
{
    (void)err;
    struct collect *c = ctx;
    if (sqlite3_column_type(row, 1) == SQLITE_NULL)
        return true;
    int64_t v = sqlite3_column_int64(row, 1);
    GArray *a = values_of(c->values, c->scenario, (const char *)sqlite3_column_text(row, 0),
                          c->measure, true);
    g_array_append_val(a, v);
    return true;
}

static int cmp_int64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* Lower median, min and max of a; false when empty. */
static bool stats(GArray *a, int64_t *median, int64_t *lo, int64_t *hi)
{
    if (!a || a->len == 0)
        return false;
    g_array_sort(a, cmp_int64);
    *median = g_array_index(a, int64_t, (a->len - 1) / 2);
    *lo = g_array_index(a, int64_t, 0);
    *hi = g_array_index(a, int64_t, a->len - 1);
    return true;
}

static void format_value(int64_t v, bool duration, char *buf, size_t len)
{
    if (duration)
        units_format_duration_short(v, buf, len);
    else
        g_snprintf(buf, len, "%" PRId64, v);
}

static void format_stats(GArray *a, bool duration, char *buf, size_t len)
{
    int64_t med, lo, hi;
    if (!stats(a, &med, &lo, &hi)) {
        g_strlcpy(buf, "-", len);
        return;
    }
    char m[32], l[32], h[32];
    format_value(med, duration, m, sizeof m);
    format_value(lo, duration, l, sizeof l);
    format_value(hi, duration, h, sizeof h);
    if (a->len == 1)
        g_snprintf(buf, len, "%s (1)", m);
    else
        g_snprintf(buf, len, "%s [%s-%s] (%u)", m, l, h, a->len);
}

/* Whether sim agrees with real within band (a fraction of the real median); the minima
 * decide the non-zero rule: every simulated run non-zero when every real one is. */
static bool within(const struct cal_measure *m, int64_t sim, int64_t real, int64_t sim_min,
                   int64_t real_min, double band)
{
    if (m->nonzero_rule)
        return real_min == 0 || sim_min > 0;
    double slack = band * fabs((double)real) + (m->duration ? 0 : CALIBRATION_COUNT_SLACK);
    return fabs((double)sim - (double)real) <= slack;
}

static void render_row(const struct cal_measure *m, GArray *sim, GArray *real, bool markdown,
                       GString *out, struct calibration_outcome *o)
{
    char s[96], r[96], ratio[32] = "-", tight[16], wide[16];
    format_stats(sim, m->duration, s, sizeof s);
    format_stats(real, m->duration, r, sizeof r);
    int64_t ms = 0, mr = 0, lo_s = 0, lo_r = 0, hi;
    bool has_s = stats(sim, &ms, &lo_s, &hi), has_r = stats(real, &mr, &lo_r, &hi);
    o->rows++;
    if (has_s && has_r) {
        if (mr != 0)
            g_snprintf(ratio, sizeof ratio, "%.2f", (double)ms / (double)mr);
        bool t = within(m, ms, mr, lo_s, lo_r, CALIBRATION_TIGHT_BAND);
        bool w = within(m, ms, mr, lo_s, lo_r, CALIBRATION_WIDE_BAND);
        g_strlcpy(tight, t ? "ok" : "off", sizeof tight);
        g_strlcpy(wide, w ? "ok" : "OFF", sizeof wide);
        o->tight += t;
        o->outside_wide += !w;
    } else {
        /* On one side only: a qualitative difference (say, no new leader). */
        g_strlcpy(tight, "off", sizeof tight);
        g_strlcpy(wide, "DIFFERS", sizeof wide);
        o->one_sided++;
    }
    if (markdown)
        g_string_append_printf(out, "| %s | %s | %s | %s | %s | %s |\n", m->label, s, r, ratio,
                               tight, wide);
    else
        g_string_append_printf(out, "  %-38s %-26s %-26s %6s %5s %7s\n", m->label, s, r, ratio,
                               tight, wide);
}

static void render_scenario(GHashTable *values, const char *scenario, bool markdown,
                            GString *out, struct calibration_outcome *o)
{
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *real = model_get(id);
        if (!real->real_of)
            continue;
        bool any = false;
        for (size_t i = 0; i < N_MEASURES && !any; i++)
            any = values_of(values, scenario, real->name, i, false) != NULL;
        if (!any)
            continue;
        if (markdown)
            g_string_append_printf(out,
                                   "\n**%s**: %s simulated vs %s\n\n"
                                   "| measure | simulated: median [min-max] (runs) | real | "
                                   "sim/real | ±20 %% | ±50 %% |\n|---|---|---|---|---|---|\n",
                                   scenario, real->real_of, real->name);
        else
            g_string_append_printf(out, "\ncalibration: %s, %s simulated vs %s\n  %-38s %-26s "
                                        "%-26s %6s %5s %7s\n",
                                   scenario, real->real_of, real->name, "measure",
                                   "simulated: median [range]", "real: median [range]",
                                   "ratio", "±20%", "±50%");
        for (size_t i = 0; i < N_MEASURES; i++) {
            GArray *sim = values_of(values, scenario, real->real_of, i, false);
            GArray *r = values_of(values, scenario, real->name, i, false);
            if (!sim && !r)
                continue;
            render_row(&measures[i], sim, r, markdown, out, o);
        }
    }
}

static void free_array(gpointer p)
{
    g_array_free(p, TRUE);
}

bool calibration_render(sqlite3 *db, bool markdown, GString *out,
                        struct calibration_outcome *outcome, GError **err)
{
    memset(outcome, 0, sizeof *outcome);
    char **queries = measure_queries(err);
    if (!queries)
        return false;
    GHashTable *values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, free_array);
    GPtrArray *scenarios = g_ptr_array_new_with_free_func(g_free);
    bool ok = true;
    /* Scenarios with real runs; then every run of those scenarios. */
    sqlite3_stmt *st = NULL;
    GString *real_names = g_string_new(NULL);
    for (model_id id = 0; id < model_count(); id++) {
        if (model_get(id)->real_of)
            g_string_append_printf(real_names, "%s'%s'", real_names->len ? "," : "",
                                   model_get(id)->name);
    }
    char *sql = g_strdup_printf("SELECT DISTINCT r.scenario FROM runs AS r JOIN models AS m "
                                "ON m.run_id = r.run_id WHERE m.model IN (%s) ORDER BY 1",
                                real_names->len ? real_names->str : "''");
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "calibration: %s", sqlite3_errmsg(db));
        ok = false;
    }
    while (ok && sqlite3_step(st) == SQLITE_ROW)
        g_ptr_array_add(scenarios, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    g_free(sql);
    g_string_free(real_names, TRUE);
    for (guint s = 0; ok && s < scenarios->len; s++) {
        const char *scenario = g_ptr_array_index(scenarios, s);
        st = NULL;
        GArray *runs = g_array_new(FALSE, FALSE, sizeof(int64_t));
        if (sqlite3_prepare_v2(db, "SELECT run_id FROM runs WHERE scenario = ?1 ORDER BY run_id",
                               -1, &st, NULL) == SQLITE_OK) {
            sqlite3_bind_text(st, 1, scenario, -1, SQLITE_STATIC);
            while (sqlite3_step(st) == SQLITE_ROW) {
                int64_t id = sqlite3_column_int64(st, 0);
                g_array_append_val(runs, id);
            }
        }
        sqlite3_finalize(st);
        for (guint r = 0; ok && r < runs->len; r++) {
            for (size_t i = 0; ok && i < N_MEASURES; i++) {
                struct collect c = { .values = values, .scenario = scenario, .measure = i };
                ok = db_exec_rows(db, "calibration.sql", queries[i],
                                  g_array_index(runs, int64_t, r), collect_row, &c, err);
            }
        }
        g_array_free(runs, TRUE);
        if (ok)
            render_scenario(values, scenario, markdown, out, outcome);
    }
    g_ptr_array_free(scenarios, TRUE);
    g_hash_table_destroy(values);
    g_strfreev(queries);
    return ok;
}
