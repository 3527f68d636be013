/* report_latency.c: the latency figure of the HTML report: cumulative distributions, on a
 * logarithmic time axis, of each model's delivery latency (delivered_ns minus the message's
 * first submitted_ns at hosts already up then, replays left out: the run_summary
 * definition) and of its clients' acknowledgement latency (outcome_ns - submitted_ns).
 *
 * SQL sorts the latencies and hands back about CURVE_POINTS of them (every k-th rank, plus
 * the first, the last and the nearest-rank p50 and p99), so a run with millions of
 * deliveries still draws a curve of a few hundred points. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define CURVE_POINTS 400
#define PLOT_TOP 24.0
#define PLOT_BOTTOM 262.0
#define LEGEND_Y 296.0 /* two lines of legend fit below */
#define HEIGHT 330

/* The rows of `lat` (one column ns), ranked and thinned. */
#define RANKED                                                                              \
    ", ranked AS (SELECT ns, row_number() OVER (ORDER BY ns) AS k, count(*) OVER () AS n "  \
    "             FROM lat WHERE ns IS NOT NULL) "                                          \
    "SELECT ns, k, n, k = (n * 50 + 99) / 100, k = (n * 99 + 99) / 100 FROM ranked "        \
    "WHERE k = 1 OR k = n OR k % ((n + :points - 1) / :points) = 0 "                        \
    "   OR k = (n * 50 + 99) / 100 OR k = (n * 99 + 99) / 100 ORDER BY k"

/* The run_summary definition of delivery latency (reports/measures.sql): not replays, by
 * host incarnations already running when the message was first submitted. */
static const char delivery_sql[] =
    "WITH sub AS (SELECT msg_id, min(submitted_ns) AS t FROM submissions "
    "             WHERE run_id = :run_id AND model = :model GROUP BY msg_id), "
    "lat AS (SELECT d.delivered_ns - s.t AS ns FROM deliveries AS d "
    "        JOIN sub AS s ON s.msg_id = d.msg_id "
    "        JOIN host_lives AS l ON l.run_id = d.run_id AND l.host = d.host "
    "         AND l.incarnation = d.incarnation "
    "        WHERE d.run_id = :run_id AND d.model = :model AND d.replayed = 0 "
    "          AND l.started_ns <= s.t)" RANKED;

/* Submission to the client's acknowledgement. */
static const char ack_sql[] =
    "WITH lat AS (SELECT outcome_ns - submitted_ns AS ns FROM submissions "
    "             WHERE run_id = :run_id AND model = :model AND outcome = 'acked')" RANKED;

struct cdf_point {
    int64_t ns, k;
};

struct cdf {
    char *label, *cls;
    GArray *points; /* struct cdf_point, by rank */
    int64_t n, p50, p99;
};

static bool load_cdf(const struct rep_page *p, const char *sql, const char *model,
                     struct cdf *c, GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db, sql, p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", model);
    rep__bind_int(st, ":points", CURVE_POINTS);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct cdf_point pt = { sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1) };
        c->n = sqlite3_column_int64(st, 2);
        if (sqlite3_column_int(st, 3))
            c->p50 = pt.ns;
        if (sqlite3_column_int(st, 4))
            c->p99 = pt.ns;
        g_array_append_val(c->points, pt);
    }
    return rep__done(p->db, st, err);
}

static void percent_label(double v, char *buf, size_t len)
{
    g_snprintf(buf, len, "%.0f%%", v * 100);
}

static void draw_cdf(GString *out, const struct cdf *c, const struct svg_scale *x,
                     const struct svg_scale *y)
{
    g_string_append_printf(out, "<polyline class=\"%s\" points=\"", c->cls);
    for (guint i = 0; i < c->points->len; i++) {
        const struct cdf_point *pt = &g_array_index(c->points, struct cdf_point, i);
        g_string_append_printf(out, "%.1f,%.1f ", svg_at(x, (double)MAX(pt->ns, 1)),
                               svg_at(y, (double)pt->k / (double)c->n));
    }
    g_string_append(out, "\"/>\n");
}

static void chart(GString *out, const struct cdf *curves, int n_curves)
{
    int64_t lo = INT64_MAX, hi = 1;
    for (int i = 0; i < n_curves; i++) {
        const GArray *pts = curves[i].points;
        if (pts->len == 0)
            continue;
        lo = MIN(lo, MAX(g_array_index(pts, struct cdf_point, 0).ns, 1));
        hi = MAX(hi, g_array_index(pts, struct cdf_point, pts->len - 1).ns);
    }
    struct svg_scale x = svg_log((double)lo, (double)hi, REP_PLOT_X0, REP_PLOT_X1);
    struct svg_scale y = svg_linear(0, 1, PLOT_BOTTOM, PLOT_TOP);
    svg_open(out, REP_W, HEIGHT, "latency distributions");
    svg_axis_y(out, &y, REP_PLOT_X0, REP_PLOT_X1, 5, percent_label);
    svg_axis_x(out, &x, PLOT_BOTTOM, PLOT_TOP, 8, rep_time_label);
    svg_text(out, 16, 14, "sub", "start", "share of messages at or below the latency");
    struct svg_legend_pos legend = { REP_PLOT_X0, LEGEND_Y, REP_PLOT_X0, REP_PLOT_X1 };
    for (int i = 0; i < n_curves; i++) {
        const struct cdf *c = &curves[i];
        if (c->points->len == 0)
            continue;
        draw_cdf(out, c, &x, &y);
        char p50[REP_TIME_LEN], p99[REP_TIME_LEN];
        units_format_duration_short(c->p50, p50, sizeof p50);
        units_format_duration_short(c->p99, p99, sizeof p99);
        char *label = g_strdup_printf("%s (n %" PRId64 ", p50 %s, p99 %s)", c->label, c->n, p50,
                                      p99);
        svg_legend(out, &legend, c->cls, true, label);
        g_free(label);
    }
    svg_close(out);
}

bool rep_fig_latency(struct rep_page *p, GError **err)
{
    /* Per model: delivery latency (solid) and the clients' acknowledgement latency (dashed). */
    struct cdf curves[2 * REP_MODELS] = { { 0 } };
    int n = 0;
    bool ok = true, any = false;
    for (int m = 0; m < model_count(); m++) {
        for (int ack = 0; p->run->has[m] && ack < 2; ack++) {
            struct cdf *c = &curves[n++];
            c->label = g_strdup_printf("%s %s", rep__model_label(m), ack ? "ack" : "delivery");
            c->cls = g_strdup_printf("%s%s", rep__model_class(m), ack ? " dash" : "");
            c->points = g_array_new(FALSE, FALSE, sizeof(struct cdf_point));
            if (ok)
                ok = load_cdf(p, ack ? ack_sql : delivery_sql, rep__model_name(m), c, err);
            any = any || c->points->len > 0;
        }
    }
    if (ok) {
        rep_section_open(p->out, "latency", "Latency distributions");
        g_string_append(p->out, "<figure>");
        if (any)
            chart(p->out, curves, n);
        if (any)
            rep_caption(p->out, "Cumulative distributions on a logarithmic time axis: delivery "
                                "latency is submission to delivery at a host that was up when "
                                "the message was submitted (a restarted host's catch-up is "
                                "its own measure), ack latency submission to the client's "
                                "acknowledgement. "
                                "Curves pass through at most %d sorted values each, always "
                                "including the median (p50) and p99.",
                        CURVE_POINTS);
        else
            rep_caption(p->out, "Nothing was delivered or acknowledged: no latencies to show.");
        g_string_append(p->out, "</figure>\n");
        rep_section_close(p->out);
    }
    for (int i = 0; i < n; i++) {
        g_array_free(curves[i].points, TRUE);
        g_free(curves[i].label);
        g_free(curves[i].cls);
    }
    return ok;
}
