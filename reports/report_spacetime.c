/* report_spacetime.c: the space-time (Lamport) diagram of the HTML report. Clients and hosts
 * are horizontal lanes, time runs left to right, and each network message of the run's
 * message log is an arrow from its sender's lane at the send time to its receiver's lane at
 * the receive time; a lost message stops short of its receiver with a red cross, and says
 * why on hover. ZAB arrows are blue, pub/sub arrows orange.
 *
 * Only a window of the run is drawn: --window, else the span the data says matters: in a
 * run that broke an invariant, 100 ms around the moment the first violation's proof
 * completed; else from just before the first fault to just after the moment the next
 * leader reached its serving phase (ZAB: LEADING in BROADCAST), else 100 ms from just before
 * the first fault, else the first 100 ms of traffic. At most MAX_ARROWS are drawn per
 * model: lost messages first (up to half the budget), then every k-th delivered one; the
 * caption says how many were drawn out of how many, and when at most LABEL_ARROWS are drawn
 * each arrow is labelled with its message type. Messages a host sends to itself (a broker
 * to its own subscriber) have no arrow to draw and are counted apart. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define MAX_ARROWS 300
#define LABEL_ARROWS 60 /* at most this many arrows drawn: each gets its type as a label */
#define DEFAULT_WINDOW (100 * SIM_MS)
#define BEFORE_FAULT (10 * SIM_MS) /* the default window starts this long before the fault */
#define TOP 40.0
#define LANE 26.0
#define LOST_REACH 0.7 /* a lost arrow ends this far (0..1) on its way to the receiver */

struct st_ctx {
    struct rep_page *p;
    struct rep_window w;
    struct svg_scale x;
    GHashTable *lanes; /* name -> lane number + 1 */
    sim_time lost_len[REP_MODELS]; /* how far right a lost arrow reaches */
    bool labels;       /* few arrows: name each one's message type */
    char why[160];     /* how the default window was chosen; "" for --window */
};

/* One model's messages in the window, between lanes. */
struct st_counts {
    int64_t all, local, delivered, lost;
    int64_t stride_delivered, stride_lost, drawn_delivered, drawn_lost;
};

static double lane_y(int lane)
{
    return TOP + LANE * lane + LANE / 2;
}

/* ---- the window ------------------------------------------------------------------------- */

/* The first moment after t at which a host of a shown model with a leader entered the
 * leader's state in the serving phase; *host gets its name. -1 when none did. */
static bool next_leader(const struct rep_page *p, sim_time t, sim_time *at, char *host,
                        size_t host_len, GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT s.t_ns, s.host, s.model FROM host_states AS s "
                                   "JOIN models AS m ON m.run_id = s.run_id AND "
                                   "  m.model = s.model "
                                   "WHERE s.run_id = :run_id AND s.t_ns > :t AND "
                                   "  s.state = m.leader_state AND s.phase IS m.serving_phase "
                                   "ORDER BY s.trace_seq",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":t", t);
    *at = -1;
    while (*at < 0 && sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 2));
        if (m < 0 || !p->run->has[m])
            continue;
        *at = sqlite3_column_int64(st, 0);
        g_strlcpy(host, rep__col_str(st, 1), host_len);
    }
    return rep__done(p->db, st, err);
}

static bool default_window(struct st_ctx *c, GError **err)
{
    const struct rep_page *p = c->p;
    const struct rep_run *run = p->run;
    struct rep_window *w = &c->w;
    sim_time violated = -1;
    for (guint i = 0; i < run->violations->len; i++) {
        sim_time t = g_array_index(run->violations, struct rep_violation, i).t_ns;
        if (t >= 0 && (violated < 0 || t < violated))
            violated = t;
    }
    if (violated >= 0) {
        char at[REP_TIME_LEN];
        w->start_ns = MAX(violated - DEFAULT_WINDOW / 2, 0);
        w->end_ns = MIN(w->start_ns + DEFAULT_WINDOW, run->duration_ns);
        units_format_duration_short(violated, at, sizeof at);
        g_snprintf(c->why, sizeof c->why, "around the first invariant violation (at %s)", at);
        return true;
    }
    if (run->faults->len > 0) {
        const struct rep_fault *f = &g_array_index(run->faults, struct rep_fault, 0);
        char host[64], at[REP_TIME_LEN], led[REP_TIME_LEN];
        sim_time leading;
        if (!next_leader(p, f->t_ns, &leading, host, sizeof host, err))
            return false;
        w->start_ns = MAX(f->t_ns - BEFORE_FAULT, 0);
        units_format_duration_short(f->t_ns, at, sizeof at);
        if (leading > 0) {
            w->end_ns = MIN(leading + BEFORE_FAULT, run->duration_ns);
            units_format_duration_short(leading, led, sizeof led);
            g_snprintf(c->why, sizeof c->why, "from the first fault (%s %s at %s) until %s "
                       "led in its serving phase (at %s)", f->kind, f->target, at, host, led);
        } else {
            w->end_ns = MIN(w->start_ns + DEFAULT_WINDOW, run->duration_ns);
            g_snprintf(c->why, sizeof c->why, "from the first fault (%s %s at %s); no "
                       "leader changed after it", f->kind, f->target, at);
        }
        return true;
    }
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT min(sent_ns) FROM messages WHERE run_id = :run_id",
                                   run->run_id, err);
    if (!st)
        return false;
    w->start_ns = sqlite3_step(st) == SQLITE_ROW ? MAX(sqlite3_column_int64(st, 0), 0) : 0;
    if (!rep__done(p->db, st, err))
        return false;
    w->end_ns = w->start_ns + DEFAULT_WINDOW;
    g_strlcpy(c->why, "the first traffic; the run has no faults", sizeof c->why);
    return true;
}

/* ---- counting and sampling -------------------------------------------------------------- */

static bool count_messages(struct st_ctx *c, struct st_counts counts[REP_MODELS], GError **err)
{
    sqlite3_stmt *st = rep__prepare(c->p->db,
                                   "SELECT model, count(*), sum(src = dst), "
                                   "  sum(src != dst AND recv_ns IS NULL) FROM messages "
                                   "WHERE run_id = :run_id AND sent_ns >= :t0 AND sent_ns < :t1 "
                                   "GROUP BY model ORDER BY model",
                                   c->p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":t0", c->w.start_ns);
    rep__bind_int(st, ":t1", c->w.end_ns);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        if (m < 0 || !c->p->run->has[m])
            continue;
        struct st_counts *n = &counts[m];
        n->all = sqlite3_column_int64(st, 1);
        n->local = sqlite3_column_int64(st, 2);
        n->lost = sqlite3_column_int64(st, 3);
        n->delivered = n->all - n->local - n->lost;
    }
    return rep__done(c->p->db, st, err);
}

static int64_t ceil_div(int64_t a, int64_t b)
{
    return b > 0 ? (a + b - 1) / b : 0;
}

/* Lost messages are the point of the figure, so they get up to half the budget. */
static void plan_sampling(struct st_counts *n)
{
    int64_t lost_budget = MIN(n->lost, MAX_ARROWS / 2);
    n->stride_lost = MAX(1, ceil_div(n->lost, lost_budget));
    n->drawn_lost = ceil_div(n->lost, n->stride_lost);
    int64_t budget = MAX_ARROWS - n->drawn_lost;
    n->stride_delivered = MAX(1, ceil_div(n->delivered, budget));
    n->drawn_delivered = ceil_div(n->delivered, n->stride_delivered);
}

/* ---- drawing ---------------------------------------------------------------------------- */

static void draw_message(struct st_ctx *c, int m, sqlite3_stmt *st)
{
    gpointer src = g_hash_table_lookup(c->lanes, rep__col_str(st, 1));
    gpointer dst = g_hash_table_lookup(c->lanes, rep__col_str(st, 2));
    if (!src || !dst)
        return;
    double y0 = lane_y(GPOINTER_TO_INT(src) - 1), y1 = lane_y(GPOINTER_TO_INT(dst) - 1);
    sim_time sent = sqlite3_column_int64(st, 3);
    bool lost = sqlite3_column_type(st, 4) == SQLITE_NULL;
    char at[REP_TIME_LEN], line_cls[24];
    units_format_duration(sent, at, sizeof at);
    const char *msg = rep__col_str(st, 6);
    char *title = g_strdup_printf("%s %s %s→%s%s%s sent %s%s%s", rep__model_label(m),
                                  rep__col_str(st, 0), rep__col_str(st, 1), rep__col_str(st, 2),
                                  *msg ? " carrying " : "", msg, at, lost ? ", lost: " : "",
                                  lost ? rep__col_str(st, 5) : "");
    double x0 = svg_at(&c->x, (double)sent);
    if (!lost) {
        double x1 = svg_at(&c->x, (double)sqlite3_column_int64(st, 4));
        g_snprintf(line_cls, sizeof line_cls, "%s arr", rep__model_class(m));
        svg_line(c->p->out, x0, y0, x1, y1, line_cls, title);
        if (c->labels)
            svg_text(c->p->out, (x0 + x1) / 2 + 2, (y0 + y1) / 2 - 2, "alabel", "start",
                     rep__col_str(st, 0));
    } else {
        double x1 = x0 + (svg_at(&c->x, (double)(sent + c->lost_len[m])) - x0) * LOST_REACH;
        double ye = y0 + (y1 - y0) * LOST_REACH;
        g_snprintf(line_cls, sizeof line_cls, "%s lost", rep__model_class(m));
        svg_line(c->p->out, x0, y0, x1, ye, line_cls, title);
        svg_line(c->p->out, x1 - 4, ye - 4, x1 + 4, ye + 4, "x", NULL);
        svg_line(c->p->out, x1 - 4, ye + 4, x1 + 4, ye - 4, "x", NULL);
        if (c->labels)
            svg_text(c->p->out, x1 + 6, ye + 3, "alabel", "start", rep__col_str(st, 0));
    }
    g_free(title);
}

static bool draw_model(struct st_ctx *c, int m, bool lost, int64_t stride,
                       GError **err)
{
    sqlite3_stmt *st = rep__prepare(
        c->p->db,
        "SELECT type, src, dst, sent_ns, recv_ns, lost_reason, msg_id FROM ("
        "  SELECT *, row_number() OVER (ORDER BY sent_ns, rowid) AS k FROM messages"
        "  WHERE run_id = :run_id AND model = :model AND sent_ns >= :t0 AND sent_ns < :t1"
        "    AND src != dst AND (recv_ns IS NULL) = :lost) "
        "WHERE (k - 1) % :stride = 0 ORDER BY k",
        c->p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", rep__model_name(m));
    rep__bind_int(st, ":t0", c->w.start_ns);
    rep__bind_int(st, ":t1", c->w.end_ns);
    rep__bind_int(st, ":lost", lost);
    rep__bind_int(st, ":stride", stride);
    while (sqlite3_step(st) == SQLITE_ROW)
        draw_message(c, m, st);
    return rep__done(c->p->db, st, err);
}

/* Lost arrows reach as far as the model's median delivered message in the window travels,
 * so that they look like messages that were on their way. */
static bool measure_reach(struct st_ctx *c, GError **err)
{
    sqlite3_stmt *st = rep__prepare(
        c->p->db,
        "SELECT model, recv_ns - sent_ns AS ns, row_number() OVER (PARTITION BY model "
        "  ORDER BY recv_ns - sent_ns), count(*) OVER (PARTITION BY model) FROM messages "
        "WHERE run_id = :run_id AND sent_ns >= :t0 AND sent_ns < :t1 AND src != dst "
        "  AND recv_ns IS NOT NULL ORDER BY model, ns",
        c->p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_int(st, ":t0", c->w.start_ns);
    rep__bind_int(st, ":t1", c->w.end_ns);
    for (int m = 0; m < model_count(); m++)
        c->lost_len[m] = MAX((c->w.end_ns - c->w.start_ns) / 100, 1);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        if (m >= 0 && sqlite3_column_int64(st, 2) == (sqlite3_column_int64(st, 3) + 1) / 2)
            c->lost_len[m] = MAX(sqlite3_column_int64(st, 1), 1);
    }
    return rep__done(c->p->db, st, err);
}

static void add_lane(struct st_ctx *c, const char *name, int *lane)
{
    if (!g_hash_table_contains(c->lanes, name)) {
        g_hash_table_insert(c->lanes, (gpointer)name, GINT_TO_POINTER(*lane + 1));
        svg_text(c->p->out, REP_PLOT_X0 - 10, lane_y(*lane) + 4, "lane", "end", name);
        svg_line(c->p->out, REP_PLOT_X0, lane_y(*lane), REP_PLOT_X1, lane_y(*lane), "lanel", NULL);
        ++*lane;
    }
}

/* Grey on a host's lane while its server was down. */
static void draw_down(struct st_ctx *c)
{
    for (guint i = 0; i < c->p->spans->len; i++) {
        const struct rep_state_span *s = &g_array_index(c->p->spans, struct rep_state_span, i);
        const char *host = g_ptr_array_index(c->p->run->host_names, s->host);
        gpointer lane = g_hash_table_lookup(c->lanes, host);
        if (s->state_index != TRACE_STATE_DOWN || !lane || s->end_ns <= c->w.start_ns ||
            s->start_ns >= c->w.end_ns)
            continue;
        double x0 = svg_at(&c->x, (double)s->start_ns), x1 = svg_at(&c->x, (double)s->end_ns);
        svg_rect(c->p->out, x0, lane_y(GPOINTER_TO_INT(lane) - 1) - 7, x1 - x0, 14, "down",
                 "server down");
    }
}

static double frame(struct st_ctx *c)
{
    GString *out = c->p->out;
    int lanes = 0;
    for (guint i = 0; i < c->p->run->client_names->len; i++)
        add_lane(c, g_ptr_array_index(c->p->run->client_names, i), &lanes);
    for (guint i = 0; i < c->p->run->host_names->len; i++)
        add_lane(c, g_ptr_array_index(c->p->run->host_names, i), &lanes);
    double bottom = TOP + LANE * lanes;
    draw_down(c);
    rep_fault_markers(c->p, &c->x, 18, bottom, 14);
    svg_axis_x(out, &c->x, bottom + 4, bottom + 4, 10, rep_time_label);
    g_string_append(out, "<defs>");
    for (int m = 0; m < model_count(); m++) /* an arrowhead in each model's colour */
        g_string_append_printf(out, "<marker id=\"ah-%s\" viewBox=\"0 0 8 8\" refX=\"8\" "
                                    "refY=\"4\" markerWidth=\"5\" markerHeight=\"5\" "
                                    "orient=\"auto\"><path d=\"M0,0L8,4L0,8z\" "
                                    "fill=\"%s\"/></marker>",
                               rep__model_class(m), rep__model_colour(m));
    g_string_append_printf(out, "<clipPath id=\"clip-st\"><rect x=\"%.1f\" y=\"0\" "
                                "width=\"%.1f\" height=\"%.1f\"/></clipPath></defs>\n",
                           REP_PLOT_X0, REP_PLOT_X1 - REP_PLOT_X0, bottom + 4);
    struct svg_legend_pos legend = { REP_PLOT_X0, bottom + 44, REP_PLOT_X0, REP_PLOT_X1 };
    for (int m = 0; m < model_count(); m++) {
        if (!c->p->run->has[m])
            continue;
        char *what = g_strdup_printf("%s message", rep__model_label(m));
        svg_legend(out, &legend, rep__model_class(m), true, what);
        g_free(what);
    }
    svg_legend(out, &legend, "lost", true, "lost (cross; hover for the reason)");
    svg_legend(out, &legend, "down", false, "host down");
    return bottom;
}

/* ---- the figure ------------------------------------------------------------------------- */

static void caption(struct st_ctx *c, const struct st_counts n[REP_MODELS])
{
    char from[REP_TIME_LEN], to[REP_TIME_LEN];
    units_format_duration_short(c->w.start_ns, from, sizeof from);
    units_format_duration_short(c->w.end_ns, to, sizeof to);
    GString *text = g_string_new(NULL);
    if (c->p->opts->window_set)
        g_string_append_printf(text, "Messages sent from %s to %s (--window).", from, to);
    else
        g_string_append_printf(text, "Messages sent from %s to %s: %s (choose another span "
                               "with --window START..END).", from, to, c->why);
    if (c->labels)
        g_string_append(text, " Few arrows: each is labelled with its message type.");
    for (int m = 0; m < model_count(); m++) {
        if (!c->p->run->has[m])
            continue;
        g_string_append_printf(text, " %s: showing %" PRId64 " of %" PRId64 " messages between "
                               "lanes (%" PRId64 " of %" PRId64 " lost ones",
                               rep__model_label(m), n[m].drawn_delivered + n[m].drawn_lost,
                               n[m].delivered + n[m].lost, n[m].drawn_lost, n[m].lost);
        if (n[m].stride_delivered > 1)
            g_string_append_printf(text, ", one in %" PRId64 " delivered ones",
                                   n[m].stride_delivered);
        g_string_append_printf(text, "); %" PRId64 " within one host not drawn.", n[m].local);
    }
    rep_caption(c->p->out, "%s", text->str);
    g_string_free(text, TRUE);
}

static bool diagram(struct st_ctx *c, GError **err)
{
    struct st_counts n[REP_MODELS] = { { 0 } };
    if (!count_messages(c, n, err) || !measure_reach(c, err))
        return false;
    int lanes = (int)(c->p->run->client_names->len + c->p->run->host_names->len);
    g_string_append(c->p->out, "<figure>");
    svg_open(c->p->out, REP_W, (int)(TOP + LANE * lanes + 72), "space-time diagram of messages");
    frame(c);
    g_string_append(c->p->out, "<g clip-path=\"url(#clip-st)\">\n");
    int64_t drawn = 0;
    for (int m = 0; m < model_count(); m++) {
        plan_sampling(&n[m]);
        drawn += n[m].drawn_delivered + n[m].drawn_lost;
    }
    c->labels = drawn <= LABEL_ARROWS;
    for (int m = 0; m < model_count(); m++) {
        if (!c->p->run->has[m])
            continue;
        if (!draw_model(c, m, false, n[m].stride_delivered, err) ||
            !draw_model(c, m, true, n[m].stride_lost, err))
            return false;
    }
    g_string_append(c->p->out, "</g>\n");
    svg_close(c->p->out);
    caption(c, n);
    g_string_append(c->p->out, "</figure>\n");
    return true;
}

static bool has_message_log(const struct rep_page *p, bool *has, GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT EXISTS (SELECT 1 FROM messages WHERE run_id = :run_id)",
                                   p->run->run_id, err);
    if (!st)
        return false;
    *has = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0);
    return rep__done(p->db, st, err);
}

static void no_log_note(const struct rep_page *p)
{
    g_string_append(p->out, "<p class=\"note\">This run has no message log, so there are no "
                            "messages to draw. Run it again with one:<br><code>");
    rep_escape_printf(p->out, "zabsim run %s --seed %" PRIu64 " --record messages",
                      *p->run->scenario_path ? p->run->scenario_path : "SCENARIO.yaml",
                      p->run->seed);
    g_string_append(p->out, "</code></p>\n");
}

bool rep_fig_spacetime(struct rep_page *p, GError **err)
{
    bool has_log = false;
    if (!has_message_log(p, &has_log, err))
        return false;
    rep_section_open(p->out, "spacetime", "Messages in space and time");
    if (!has_log) {
        no_log_note(p);
        rep_section_close(p->out);
        return true;
    }
    struct st_ctx c = { .p = p, .w = p->opts->window };
    if (!p->opts->window_set && !default_window(&c, err))
        return false;
    c.x = svg_linear((double)c.w.start_ns, (double)c.w.end_ns, REP_PLOT_X0, REP_PLOT_X1);
    c.lanes = g_hash_table_new(g_str_hash, g_str_equal);
    bool ok = diagram(&c, err);
    g_hash_table_destroy(c.lanes);
    rep_section_close(p->out);
    return ok;
}
