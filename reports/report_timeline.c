/* report_timeline.c: the two figures of the HTML report that span the whole run.
 *
 * Timeline: per host, one lane per model of the run. A model with states draws the host's
 * state as a band (a colour per state, its leader state darkest, pale while up but not yet
 * in its serving phase) with every new leader pinned and named; a model without draws the
 * host's subscriber: how densely messages arrived and, in red, the messages that were
 * dropped on the way to it. Throughput: deliveries per bucket for each model. Both carry the
 * faults as vertical markers.
 *
 * The data is aggregated in SQL into one bucket per four pixels (timeline) or per
 * 100 ms (throughput, widened to keep at most THROUGHPUT_BUCKETS), so the SVG size depends
 * on the picture, not on how many messages the run had. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define TOP 44.0       /* first host row: fault labels and leader labels above it */
#define LANE 19.0      /* per model, per host */
#define ROW_GAP 6.0    /* between hosts */
#define BAND_H 16.0
#define STRIP_H 10.0
#define FAULT_LABEL_Y 14.0
#define LEADER_LABEL_Y 31.0

#define TIMELINE_BUCKETS 240 /* delivery strips: a bucket is 4 pixels wide */
#define THROUGHPUT_BUCKETS 1000
#define THROUGHPUT_H 270

/* The run's models in lane order (registry order), and how many. */
static int run_lanes(const struct rep_run *run, int lane_of[REP_MODELS])
{
    int n = 0;
    for (int m = 0; m < model_count(); m++)
        lane_of[m] = run->has[m] ? n++ : -1;
    return MAX(n, 1);
}

static double host_y(const struct rep_run *run, int host)
{
    int lane_of[REP_MODELS];
    return TOP + (LANE * run_lanes(run, lane_of) + ROW_GAP) * host;
}

static double lane_y(const struct rep_run *run, int model, int host)
{
    int lane_of[REP_MODELS];
    run_lanes(run, lane_of);
    return host_y(run, host) + LANE * MAX(lane_of[model], 0);
}

static struct svg_scale run_scale(const struct rep_run *run)
{
    return svg_linear(0, (double)MAX(run->duration_ns, 1), REP_PLOT_X0, REP_PLOT_X1);
}

/* ---- timeline: state bands ------------------------------------------------------------- */

/* Pale: up, but in a phase before the model's serving phase other than its first one (ZAB:
 * discovery or synchronization, not election). */
static bool recovering(const struct rep_state_span *s)
{
    const struct model_desc *d = model_get((model_id)s->model);
    return s->state_index != TRACE_STATE_DOWN && d->serving_phase && *s->phase &&
           !rep__span_is_serving(s) && d->phase_name && d->phase_name(1) &&
           strcmp(s->phase, d->phase_name(1)) != 0;
}

/* The colour class of a state: its leader state "lead", else "s<index>". */
static void state_class(const struct rep_state_span *s, char *buf, size_t len)
{
    const struct model_desc *d = model_get((model_id)s->model);
    bool lead = d->leader_state && strcmp(s->state, d->leader_state) == 0;
    if (lead)
        g_snprintf(buf, len, "lead%s", recovering(s) ? " rec" : "");
    else
        g_snprintf(buf, len, "s%d%s", MIN(s->state_index, 7), recovering(s) ? " rec" : "");
}

static void draw_span(const struct rep_page *p, const struct svg_scale *x,
                      const struct rep_state_span *s)
{
    char cls[40], from[REP_TIME_LEN], to[REP_TIME_LEN];
    state_class(s, cls, sizeof cls);
    units_format_duration_short(s->start_ns, from, sizeof from);
    units_format_duration_short(s->end_ns, to, sizeof to);
    char *title = g_strdup_printf("%s %s %s%s%s, epoch %" PRId64 ", incarnation %" PRId64
                                  ": %s to %s",
                                  (const char *)g_ptr_array_index(p->run->host_names, s->host),
                                  rep__model_label(s->model), s->state, *s->phase ? " · " : "",
                                  s->phase, s->epoch, s->incarnation, from, to);
    double x0 = svg_at(x, (double)s->start_ns);
    svg_rect(p->out, x0, lane_y(p->run, s->model, s->host),
             MAX(svg_at(x, (double)s->end_ns) - x0, 0.6), BAND_H, cls, title);
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
        bool continues = prev && prev->host == s->host && prev->model == s->model &&
                         rep__span_is_leading(prev);
        if (rep__span_is_leading(s) && !continues)
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
        svg_line(p->out, at, LEADER_LABEL_Y + 3, at, lane_y(p->run, s->model, s->host),
                 "leader", label);
        if (at > label_end) {
            svg_text(p->out, at + 3, LEADER_LABEL_Y, "llabel", "start", label);
            label_end = at + 6.2 * (double)strlen(label) + 8;
        }
        g_free(label);
    }
    g_ptr_array_free(entries, TRUE);
}

/* ---- timeline: delivery strips ---------------------------------------------------------- */

/* Consecutive buckets of one host merged into one rectangle. */
struct strip_run {
    int host;
    int64_t first, last; /* buckets */
    int64_t count;
    int level;           /* density class d1..d4, or 0 for drops */
    GString *causes;     /* drops: the causes met, in order */
};

static void strip_flush(const struct rep_page *p, const struct svg_scale *x, int model,
                        int64_t bucket, struct strip_run *r)
{
    if (r->host < 0)
        return;
    const char *host = g_ptr_array_index(p->run->host_names, r->host);
    char from[REP_TIME_LEN], to[REP_TIME_LEN], cls[16];
    units_format_duration_short(r->first * bucket, from, sizeof from);
    units_format_duration_short((r->last + 1) * bucket, to, sizeof to);
    const char *label = rep__model_label(model);
    char *title = r->level
        ? g_strdup_printf("%s %s: %" PRId64 " deliveries, %s to %s", host, label, r->count, from,
                          to)
        : g_strdup_printf("%s %s: %" PRId64 " messages dropped (%s), %s to %s", host, label,
                          r->count, r->causes->str, from, to);
    if (r->level)
        g_snprintf(cls, sizeof cls, "%s d%d", rep__model_class(model), r->level);
    else
        g_strlcpy(cls, "drop", sizeof cls);
    double x0 = svg_at(x, (double)(r->first * bucket));
    double x1 = svg_at(x, (double)((r->last + 1) * bucket));
    svg_rect(p->out, x0, lane_y(p->run, model, r->host) + (BAND_H - STRIP_H) / 2,
             MAX(x1 - x0, 1.0), STRIP_H, cls, title);
    g_free(title);
    r->host = -1;
}

/* Rows (host, bucket, count, cause) in host and bucket order, merged into strip runs. For
 * deliveries (max > 0) a run is a stretch of equal density; for drops, of adjacent buckets. */
static bool draw_strips(const struct rep_page *p, const struct svg_scale *x, int model,
                        const char *sql, int64_t bucket, int64_t max, GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db, sql, p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":bucket", bucket);
    rep__bind_str(st, ":model", rep__model_name(model));
    struct strip_run r = { .host = -1, .causes = g_string_new(NULL) };
    while (sqlite3_step(st) == SQLITE_ROW) {
        int host = rep__host_index(p->run, rep__col_str(st, 0));
        int64_t b = sqlite3_column_int64(st, 1), n = sqlite3_column_int64(st, 2);
        int level = max > 0 ? (int)MIN(4, 1 + (4 * n - 1) / max) : 0;
        if (host < 0)
            continue;
        bool joins = r.host == host && (b == r.last || (b == r.last + 1 && r.level == level));
        if (!joins) {
            strip_flush(p, x, model, bucket, &r);
            GString *causes = g_string_truncate(r.causes, 0);
            r = (struct strip_run){ .host = host, .first = b, .level = level, .causes = causes };
        }
        const char *cause = rep__col_str(st, 3);
        if (*cause && !strstr(r.causes->str, cause))
            g_string_append_printf(r.causes, "%s%s", r.causes->len ? ", " : "", cause);
        r.last = b;
        r.count += n;
    }
    strip_flush(p, x, model, bucket, &r);
    g_string_free(r.causes, TRUE);
    return rep__done(p->db, st, err);
}

/* The delivery strip of a model without states. */
static bool draw_deliveries(const struct rep_page *p, const struct svg_scale *x, int model,
                            int64_t bucket, GError **err)
{
    int64_t max = 0;
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT max(n) FROM (SELECT count(*) AS n FROM deliveries "
                                   "WHERE run_id = :run_id AND model = :model "
                                   "GROUP BY host, delivered_ns / :bucket)",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":bucket", bucket);
    rep__bind_str(st, ":model", rep__model_name(model));
    if (sqlite3_step(st) == SQLITE_ROW)
        max = sqlite3_column_int64(st, 0);
    if (!rep__done(p->db, st, err))
        return false;
    return draw_strips(p, x, model,
                       "SELECT host, delivered_ns / :bucket AS b, count(*), '' FROM deliveries "
                       "WHERE run_id = :run_id AND model = :model "
                       "GROUP BY host, b ORDER BY host, b",
                       bucket, MAX(max, 1), err) &&
           draw_strips(p, x, model,
                       "SELECT host, t_ns / :bucket AS b, count(*), cause FROM drops "
                       "WHERE run_id = :run_id AND model = :model AND host IS NOT NULL "
                       "GROUP BY host, b, cause ORDER BY host, b, cause",
                       bucket, 0, err);
}

/* ---- timeline: the figure --------------------------------------------------------------- */

static void timeline_legend(const struct rep_page *p, double y)
{
    struct svg_legend_pos legend = { REP_PLOT_X0, y, REP_PLOT_X0, REP_PLOT_X1 };
    for (int m = 0; m < model_count(); m++) {
        const struct model_desc *d = model_get((model_id)m);
        if (!p->run->has[m])
            continue;
        if (!d->state_name) {
            char *what = g_strdup_printf("%s deliveries (darker: more)", d->title);
            char cls[16];
            g_snprintf(cls, sizeof cls, "%s d3", rep__model_class(m));
            svg_legend(p->out, &legend, cls, false, what);
            g_free(what);
            continue;
        }
        for (int i = 255; i >= 0; i--) { /* the leader state first, down last */
            const char *name = d->state_name((uint8_t)i);
            if (!name)
                continue;
            bool lead = d->leader_state && strcmp(name, d->leader_state) == 0;
            char cls[8], *what = g_strdup_printf("%s %s", d->title, name);
            g_snprintf(cls, sizeof cls, lead ? "lead" : "s%d", MIN(i, 7));
            svg_legend(p->out, &legend, cls, false, what);
            g_free(what);
        }
        if (d->serving_phase) {
            char *what = g_strdup_printf("pale: %s recovering, not yet in %s", d->title,
                                         d->serving_phase);
            svg_legend(p->out, &legend, "s2 rec", false, what);
            g_free(what);
        }
    }
    svg_legend(p->out, &legend, "drop", false, "drops");
}

static void lane_labels(const struct rep_page *p)
{
    for (guint h = 0; h < p->run->host_names->len; h++) {
        svg_text(p->out, REP_PLOT_X0 - 64, host_y(p->run, (int)h) + 13, "lane", "end",
                 g_ptr_array_index(p->run->host_names, h));
        for (int m = 0; m < model_count(); m++) {
            if (p->run->has[m])
                svg_text(p->out, REP_PLOT_X0 - 6, lane_y(p->run, m, (int)h) + 12, "sub", "end",
                         rep__model_label(m));
        }
    }
}

bool rep_fig_timeline(struct rep_page *p, GError **err)
{
    const struct rep_run *run = p->run;
    double axis_y = host_y(run, (int)run->host_names->len) + 2;
    struct svg_scale x = run_scale(run);
    int64_t bucket = MAX(1, (run->duration_ns + TIMELINE_BUCKETS - 1) / TIMELINE_BUCKETS);
    rep_section_open(p->out, "timeline", "Timeline: host states and deliveries, per model");
    g_string_append(p->out, "<figure>");
    svg_open(p->out, REP_W, (int)axis_y + 96, "each model's state and deliveries per host");
    lane_labels(p);
    for (guint i = 0; i < p->spans->len; i++)
        draw_span(p, &x, &g_array_index(p->spans, struct rep_state_span, i));
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m] && !model_get((model_id)m)->state_name &&
            !draw_deliveries(p, &x, m, bucket, err))
            return false;
    }
    draw_leaders(p, &x);
    rep_fault_markers(p, &x, FAULT_LABEL_Y + 3, axis_y, FAULT_LABEL_Y);
    svg_axis_x(p->out, &x, axis_y, axis_y, 12, rep_time_label);
    timeline_legend(p, axis_y + 44);
    svg_close(p->out);
    rep_caption(p->out,
                "Each host, one lane per model: a model with states shows the host's state "
                "(a pin marks each new leader); a model without shows the host's subscriber "
                "(how densely messages arrived, red where messages meant for it were "
                "dropped). Red dashed lines are the faults. Hover for details.");
    g_string_append(p->out, "</figure>\n");
    rep_section_close(p->out);
    return true;
}

/* ---- throughput ------------------------------------------------------------------------- */

static bool load_throughput(const struct rep_page *p, int64_t bucket, GArray *counts[REP_MODELS],
                            GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT model, delivered_ns / :bucket AS b, count(*) "
                                   "FROM deliveries WHERE run_id = :run_id AND replayed = 0 "
                                   "AND delivered_ns >= 0 GROUP BY model, b ORDER BY model, b",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":bucket", bucket);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        if (m < 0)
            continue;
        guint b = (guint)MIN(sqlite3_column_int64(st, 1), (int64_t)counts[m]->len - 1);
        g_array_index(counts[m], int64_t, b) += sqlite3_column_int64(st, 2);
    }
    return rep__done(p->db, st, err);
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
    for (int m = 0; m < model_count(); m++) {
        for (guint b = 0; b < counts[m]->len; b++)
            max = MAX(max, g_array_index(counts[m], int64_t, b));
    }
    struct svg_scale x = run_scale(p->run);
    struct svg_scale y = svg_linear(0, (double)max * 1.08, 210, 30);
    svg_open(p->out, REP_W, THROUGHPUT_H, "deliveries per time bucket, per model");
    svg_axis_y(p->out, &y, REP_PLOT_X0, REP_PLOT_X1, 5, count_label);
    svg_axis_x(p->out, &x, 210, 210, 12, rep_time_label);
    rep_fault_markers(p, &x, 30, 210, 24);
    struct svg_legend_pos legend = { REP_PLOT_X0, 256, REP_PLOT_X0, REP_PLOT_X1 };
    for (int m = 0; m < model_count(); m++) {
        if (!p->run->has[m])
            continue;
        char *what = g_strdup_printf("%s deliveries", rep__model_label(m));
        draw_steps(p->out, counts[m], bucket, &x, &y, rep__model_class(m));
        svg_legend(p->out, &legend, rep__model_class(m), true, what);
        g_free(what);
    }
    svg_text(p->out, 16, 20, "sub", "start", "deliveries per bucket, all hosts");
    svg_close(p->out);
}

bool rep_fig_throughput(struct rep_page *p, GError **err)
{
    int64_t bucket = throughput_bucket(p->run);
    guint n = (guint)(p->run->duration_ns / bucket + 1);
    GArray *counts[REP_MODELS];
    for (int m = 0; m < model_count(); m++) {
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
    for (int m = 0; m < model_count(); m++)
        g_array_free(counts[m], TRUE);
    return ok;
}
