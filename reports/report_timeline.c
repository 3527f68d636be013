/* report_timeline.c: the two figures of the HTML report that span the whole run.
 *
 * Timeline: per host, its ZAB server's state as a band (DOWN, LOOKING, FOLLOWING, LEADING;
 * pale while in discovery or synchronization) with every new leader pinned and named, and
 * beneath it the host's pub/sub subscriber: how densely messages arrived and, in red, the
 * messages that were dropped on the way to it. Throughput: deliveries per bucket for each
 * model. Both carry the faults as vertical markers.
 *
 * The data is aggregated in SQL into one bucket per four pixels (timeline) or per
 * 100 ms (throughput, widened to keep at most THROUGHPUT_BUCKETS), so the SVG size depends
 * on the picture, not on how many messages the run had. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define TOP 44.0       /* first host row: fault labels and leader labels above it */
#define ROW 38.0       /* per host: ZAB band, pub/sub strip, gap */
#define BAND_H 16.0
#define STRIP_Y 19.0   /* pub/sub strip, below the band */
#define STRIP_H 10.0
#define FAULT_LABEL_Y 14.0
#define LEADER_LABEL_Y 31.0

#define TIMELINE_BUCKETS 240 /* pub/sub strips: a bucket is 4 pixels wide */
#define THROUGHPUT_BUCKETS 1000
#define THROUGHPUT_H 270

static double host_y(int host)
{
    return TOP + ROW * host;
}

static struct svg_scale run_scale(const struct rep_run *run)
{
    return svg_linear(0, (double)MAX(run->duration_ns, 1), REP_PLOT_X0, REP_PLOT_X1);
}

/* ---- timeline: ZAB bands ---------------------------------------------------------------- */

static void draw_span(const struct rep_page *p, const struct svg_scale *x,
                      const struct rep_state_span *s)
{
    bool serving_or_idle = strcmp(s->phase, "BROADCAST") == 0 || strcmp(s->state, "DOWN") == 0 ||
                           strcmp(s->state, "LOOKING") == 0;
    char cls[40], from[REP_TIME_LEN], to[REP_TIME_LEN];
    g_snprintf(cls, sizeof cls, "s-%s%s", s->state, serving_or_idle ? "" : " rec");
    units_format_duration_short(s->start_ns, from, sizeof from);
    units_format_duration_short(s->end_ns, to, sizeof to);
    char *title = g_strdup_printf("%s %s%s%s, epoch %" PRId64 ", incarnation %" PRId64
                                  ": %s to %s",
                                  (const char *)g_ptr_array_index(p->run->host_names, s->host),
                                  s->state, *s->phase ? " · " : "", s->phase, s->epoch,
                                  s->incarnation, from, to);
    double x0 = svg_at(x, (double)s->start_ns);
    svg_rect(p->out, x0, host_y(s->host), MAX(svg_at(x, (double)s->end_ns) - x0, 0.6), BAND_H,
             cls, title);
    g_free(title);
}

static int compare_start(gconstpointer a, gconstpointer b)
{
    const struct rep_state_span *x = *(const struct rep_state_span *const *)a;
    const struct rep_state_span *y = *(const struct rep_state_span *const *)b;
    return x->start_ns < y->start_ns ? -1 : x->start_ns > y->start_ns;
}

/* The spans in which a host starts to serve as leader, by time. */
static GPtrArray *leader_entries(const GArray *spans)
{
    GPtrArray *entries = g_ptr_array_new();
    for (guint i = 0; i < spans->len; i++) {
        const struct rep_state_span *s = &g_array_index(spans, struct rep_state_span, i);
        const struct rep_state_span *prev =
            i > 0 ? &g_array_index(spans, struct rep_state_span, i - 1) : NULL;
        if (rep_span_is_leading(s) && !(prev && prev->host == s->host && rep_span_is_leading(prev)))
            g_ptr_array_add(entries, (gpointer)s);
    }
    g_ptr_array_sort(entries, compare_start); /* stable: hosts in order at equal times */
    return entries;
}

/* A pin from the label row to each host that became leader, at the instant it started to
 * serve; labels that would overprint the previous one are left to the tooltip. */
static void draw_leaders(const struct rep_page *p, const struct svg_scale *x)
{
    GPtrArray *entries = leader_entries(p->spans);
    double label_end = -1;
    for (guint i = 0; i < entries->len; i++) {
        const struct rep_state_span *s = g_ptr_array_index(entries, i);
        const char *host = g_ptr_array_index(p->run->host_names, s->host);
        char *label = g_strdup_printf("%s leads e%" PRId64, host, s->epoch);
        double at = svg_at(x, (double)s->start_ns);
        svg_line(p->out, at, LEADER_LABEL_Y + 3, at, host_y(s->host), "leader", label);
        if (at > label_end) {
            svg_text(p->out, at + 3, LEADER_LABEL_Y, "llabel", "start", label);
            label_end = at + 6.2 * (double)strlen(label) + 8;
        }
        g_free(label);
    }
    g_ptr_array_free(entries, TRUE);
}

/* ---- timeline: pub/sub strips ----------------------------------------------------------- */

/* Consecutive buckets of one host merged into one rectangle. */
struct strip_run {
    int host;
    int64_t first, last; /* buckets */
    int64_t count;
    int level;           /* density class d1..d4, or 0 for drops */
    GString *causes;     /* drops: the causes met, in order */
};

static void strip_flush(const struct rep_page *p, const struct svg_scale *x, int64_t bucket,
                        struct strip_run *r)
{
    if (r->host < 0)
        return;
    const char *host = g_ptr_array_index(p->run->host_names, r->host);
    char from[REP_TIME_LEN], to[REP_TIME_LEN], cls[8];
    units_format_duration_short(r->first * bucket, from, sizeof from);
    units_format_duration_short((r->last + 1) * bucket, to, sizeof to);
    char *title = r->level
        ? g_strdup_printf("%s pub/sub: %" PRId64 " deliveries, %s to %s", host, r->count, from, to)
        : g_strdup_printf("%s pub/sub: %" PRId64 " messages dropped (%s), %s to %s", host,
                          r->count, r->causes->str, from, to);
    g_snprintf(cls, sizeof cls, r->level ? "d%d" : "drop", r->level);
    double x0 = svg_at(x, (double)(r->first * bucket));
    double x1 = svg_at(x, (double)((r->last + 1) * bucket));
    svg_rect(p->out, x0, host_y(r->host) + STRIP_Y, MAX(x1 - x0, 1.0), STRIP_H, cls, title);
    g_free(title);
    r->host = -1;
}

/* Rows (host, bucket, count, cause) in host and bucket order, merged into strip runs. For
 * deliveries (max > 0) a run is a stretch of equal density; for drops, of adjacent buckets. */
static bool draw_strips(const struct rep_page *p, const struct svg_scale *x, const char *sql,
                        int64_t bucket, int64_t max, GError **err)
{
    sqlite3_stmt *st = rep_prepare(p->db, sql, p->run->run_id, err);
    if (!st)
        return false;
    rep_bind_int(st, ":bucket", bucket);
    struct strip_run r = { .host = -1, .causes = g_string_new(NULL) };
    while (sqlite3_step(st) == SQLITE_ROW) {
        int host = rep_host_index(p->run, rep_col_str(st, 0));
        int64_t b = sqlite3_column_int64(st, 1), n = sqlite3_column_int64(st, 2);
        int level = max > 0 ? (int)MIN(4, 1 + (4 * n - 1) / max) : 0;
        if (host < 0)
            continue;
        bool joins = r.host == host && (b == r.last || (b == r.last + 1 && r.level == level));
        if (!joins) {
            strip_flush(p, x, bucket, &r);
            GString *causes = g_string_truncate(r.causes, 0);
            r = (struct strip_run){ .host = host, .first = b, .level = level, .causes = causes };
        }
        const char *cause = rep_col_str(st, 3);
        if (*cause && !strstr(r.causes->str, cause))
            g_string_append_printf(r.causes, "%s%s", r.causes->len ? ", " : "", cause);
        r.last = b;
        r.count += n;
    }
    strip_flush(p, x, bucket, &r);
    g_string_free(r.causes, TRUE);
    return rep_done(p->db, st, err);
}

static bool draw_pubsub(const struct rep_page *p, const struct svg_scale *x, int64_t bucket,
                        GError **err)
{
    int64_t max = 0;
    sqlite3_stmt *st = rep_prepare(p->db,
                                   "SELECT max(n) FROM (SELECT count(*) AS n FROM deliveries "
                                   "WHERE run_id = :run_id AND model = 'pubsub' "
                                   "GROUP BY host, delivered_ns / :bucket)",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep_bind_int(st, ":bucket", bucket);
    if (sqlite3_step(st) == SQLITE_ROW)
        max = sqlite3_column_int64(st, 0);
    if (!rep_done(p->db, st, err))
        return false;
    return draw_strips(p, x,
                       "SELECT host, delivered_ns / :bucket AS b, count(*), '' FROM deliveries "
                       "WHERE run_id = :run_id AND model = 'pubsub' "
                       "GROUP BY host, b ORDER BY host, b",
                       bucket, MAX(max, 1), err) &&
           draw_strips(p, x,
                       "SELECT host, t_ns / :bucket AS b, count(*), cause FROM drops "
                       "WHERE run_id = :run_id AND model = 'pubsub' AND host IS NOT NULL "
                       "GROUP BY host, b, cause ORDER BY host, b, cause",
                       bucket, 0, err);
}

/* ---- timeline: the figure --------------------------------------------------------------- */

static void timeline_legend(GString *out, double y)
{
    struct svg_legend_pos legend = { REP_PLOT_X0, y, REP_PLOT_X0, REP_PLOT_X1 };
    svg_legend(out, &legend, "s-LEADING", false, "leading");
    svg_legend(out, &legend, "s-FOLLOWING", false, "following");
    svg_legend(out, &legend, "s-FOLLOWING rec", false, "pale: discovery or synchronization");
    svg_legend(out, &legend, "s-LOOKING", false, "looking (election)");
    svg_legend(out, &legend, "s-DOWN", false, "down");
    svg_legend(out, &legend, "d3", false, "pub/sub deliveries (darker: more)");
    svg_legend(out, &legend, "drop", false, "pub/sub drops");
}

static void lane_labels(const struct rep_page *p)
{
    for (guint h = 0; h < p->run->host_names->len; h++) {
        double y = host_y((int)h);
        svg_text(p->out, REP_PLOT_X0 - 52, y + 17, "lane", "end",
                 g_ptr_array_index(p->run->host_names, h));
        svg_text(p->out, REP_PLOT_X0 - 6, y + 12, "sub", "end", "ZAB");
        svg_text(p->out, REP_PLOT_X0 - 6, y + STRIP_Y + 9, "sub", "end", "pub/sub");
    }
}

bool rep_fig_timeline(struct rep_page *p, GError **err)
{
    const struct rep_run *run = p->run;
    double axis_y = host_y((int)run->host_names->len) + 2;
    struct svg_scale x = run_scale(run);
    int64_t bucket = MAX(1, (run->duration_ns + TIMELINE_BUCKETS - 1) / TIMELINE_BUCKETS);
    rep_section_open(p->out, "timeline", "Timeline: ZAB host states and pub/sub deliveries");
    g_string_append(p->out, "<figure>");
    svg_open(p->out, REP_W, (int)axis_y + 72, "ZAB state and pub/sub deliveries per host");
    lane_labels(p);
    for (guint i = 0; i < p->spans->len; i++)
        draw_span(p, &x, &g_array_index(p->spans, struct rep_state_span, i));
    if (run->has[REP_PUBSUB] && !draw_pubsub(p, &x, bucket, err))
        return false;
    draw_leaders(p, &x);
    rep_fault_markers(p, &x, FAULT_LABEL_Y + 3, axis_y, FAULT_LABEL_Y);
    svg_axis_x(p->out, &x, axis_y, axis_y, 12, rep_time_label);
    timeline_legend(p->out, axis_y + 44);
    svg_close(p->out);
    rep_caption(p->out,
                "Each host's ZAB server over the run (upper band; a pin marks each new leader) "
                "and its pub/sub subscriber (lower strip: how densely messages arrived, red "
                "where messages meant for it were dropped). Red dashed lines are the faults. "
                "Hover for details.%s",
                run->has[REP_PUBSUB] ? "" : " pub/sub was not simulated in this run.");
    g_string_append(p->out, "</figure>\n");
    rep_section_close(p->out);
    return true;
}

/* ---- throughput ------------------------------------------------------------------------- */

static bool load_throughput(const struct rep_page *p, int64_t bucket, GArray *counts[REP_MODELS],
                            GError **err)
{
    sqlite3_stmt *st = rep_prepare(p->db,
                                   "SELECT model, delivered_ns / :bucket AS b, count(*) "
                                   "FROM deliveries WHERE run_id = :run_id AND replayed = 0 "
                                   "AND delivered_ns >= 0 GROUP BY model, b ORDER BY model, b",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep_bind_int(st, ":bucket", bucket);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep_model_of(rep_col_str(st, 0));
        if (m < 0)
            continue;
        guint b = (guint)MIN(sqlite3_column_int64(st, 1), (int64_t)counts[m]->len - 1);
        g_array_index(counts[m], int64_t, b) += sqlite3_column_int64(st, 2);
    }
    return rep_done(p->db, st, err);
}

static void count_label(double v, char *buf, size_t len)
{
    g_snprintf(buf, len, "%.0f", v);
}

/* A step line through the buckets. */
static void draw_steps(GString *out, const GArray *counts, int64_t bucket,
                       const struct svg_scale *x, const struct svg_scale *y, const char *cls)
{
    g_string_append_printf(out, "<polyline class=\"%s\" points=\"", cls);
    for (guint b = 0; b < counts->len; b++) {
        double v = (double)g_array_index(counts, int64_t, b);
        g_string_append_printf(out, "%.1f,%.1f %.1f,%.1f ", svg_at(x, (double)b * bucket),
                               svg_at(y, v), svg_at(x, (double)(b + 1) * bucket), svg_at(y, v));
    }
    g_string_append(out, "\"/>\n");
}

static int64_t throughput_bucket(const struct rep_run *run)
{
    int64_t bucket = 100 * SIM_MS;
    int64_t needed = run->duration_ns / THROUGHPUT_BUCKETS + 1;
    return needed > bucket ? (needed + bucket - 1) / bucket * bucket : bucket;
}

static void throughput_chart(struct rep_page *p, GArray *counts[REP_MODELS], int64_t bucket)
{
    int64_t max = 1;
    for (int m = 0; m < REP_MODELS; m++) {
        for (guint b = 0; b < counts[m]->len; b++)
            max = MAX(max, g_array_index(counts[m], int64_t, b));
    }
    struct svg_scale x = run_scale(p->run);
    struct svg_scale y = svg_linear(0, (double)max * 1.08, 210, 30);
    svg_open(p->out, REP_W, THROUGHPUT_H, "deliveries per time bucket, per model");
    svg_axis_y(p->out, &y, REP_PLOT_X0, REP_PLOT_X1, 5, count_label);
    svg_axis_x(p->out, &x, 210, 210, 12, rep_time_label);
    rep_fault_markers(p, &x, 30, 210, 24);
    const char *cls[REP_MODELS] = { "zab", "ps" };
    for (int m = 0; m < REP_MODELS; m++) {
        if (p->run->has[m])
            draw_steps(p->out, counts[m], bucket, &x, &y, cls[m]);
    }
    struct svg_legend_pos legend = { REP_PLOT_X0, 256, REP_PLOT_X0, REP_PLOT_X1 };
    svg_legend(p->out, &legend, "zab", true, "ZAB deliveries");
    svg_legend(p->out, &legend, "ps", true, "pub/sub deliveries");
    svg_text(p->out, 16, 20, "sub", "start", "deliveries per bucket, all hosts");
    svg_close(p->out);
}

bool rep_fig_throughput(struct rep_page *p, GError **err)
{
    int64_t bucket = throughput_bucket(p->run);
    guint n = (guint)(p->run->duration_ns / bucket + 1);
    GArray *counts[REP_MODELS];
    for (int m = 0; m < REP_MODELS; m++) {
        counts[m] = g_array_new(FALSE, TRUE, sizeof(int64_t));
        g_array_set_size(counts[m], n);
    }
    bool ok = load_throughput(p, bucket, counts, err);
    if (ok) {
        char width[REP_TIME_LEN];
        units_format_duration_short(bucket, width, sizeof width);
        rep_section_open(p->out, "throughput", "Throughput over time");
        g_string_append(p->out, "<figure>");
        throughput_chart(p, counts, bucket);
        rep_caption(p->out,
                    "Deliveries per %s bucket, summed over every host's subscriber (replays of "
                    "messages a host had already delivered left out). Red dashed lines are "
                    "the faults.",
                    width);
        g_string_append(p->out, "</figure>\n");
        rep_section_close(p->out);
    }
    for (int m = 0; m < REP_MODELS; m++)
        g_array_free(counts[m], TRUE);
    return ok;
}
