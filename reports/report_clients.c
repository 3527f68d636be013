/* report_clients.c: the clients' view in the HTML report, from the `operations` view and
 * the `client_states` table: a lane per client and model with each operation coloured by
 * its outcome (ok, fail, unknown) from invocation to completion and the stretches in which
 * the client was not connected shaded; then, per model, each operation's latency over the
 * time it was invoked, coloured the same way. Faults are marked on both.
 *
 * Lanes are drawn as LANE_BUCKETS columns: a column takes the worst outcome of the
 * operations that were open during it (unknown over fail over ok), so a run with millions
 * of operations still draws a few thousand rectangles; its tooltip counts them. The scatter
 * keeps every operation that did not complete ok and every k-th of the others, at most
 * POINTS_MAX in all, and says so. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define LANE_BUCKETS 480
#define LANE_H 16.0
#define LANES_TOP 30.0
#define POINTS_MAX 3000
#define SCATTER_H 190
#define SCATTER_TOP 22.0
#define SCATTER_BOTTOM 160.0

enum op_type { OP_NONE = 0, OP_OK, OP_FAIL, OP_UNKNOWN, OP_TYPES };

static const char *const op_class[OP_TYPES] = { "", "opok", "opfail", "opunk" };
static const char *const op_word[OP_TYPES] = { "", "ok", "fail", "unknown" };

static enum op_type op_type_of(const char *type)
{
    return strcmp(type, "ok") == 0 ? OP_OK : strcmp(type, "fail") == 0 ? OP_FAIL : OP_UNKNOWN;
}

/* One lane: a client of a model. */
struct lane {
    int model;
    char *client;
    uint8_t worst[LANE_BUCKETS];      /* enum op_type */
    uint32_t count[LANE_BUCKETS][OP_TYPES];
    GArray *down;                     /* struct rep_window: not connected */
};

static void lane_free(gpointer p)
{
    struct lane *l = p;
    g_free(l->client);
    g_array_free(l->down, TRUE);
    g_free(l);
}

static struct lane *lane_of(GPtrArray *lanes, int model, const char *client)
{
    for (guint i = 0; i < lanes->len; i++) {
        struct lane *l = g_ptr_array_index(lanes, i);
        if (l->model == model && strcmp(l->client, client) == 0)
            return l;
    }
    struct lane *l = g_new0(struct lane, 1);
    l->model = model;
    l->client = g_strdup(client);
    l->down = g_array_new(FALSE, FALSE, sizeof(struct rep_window));
    g_ptr_array_add(lanes, l);
    return l;
}

static int bucket_of(const struct rep_page *p, sim_time t)
{
    int64_t b = t * LANE_BUCKETS / MAX(p->run->duration_ns, 1);
    return (int)CLAMP(b, 0, LANE_BUCKETS - 1);
}

/* Every client of every model shown, in model then client-number order. */
static bool load_lanes(const struct rep_page *p, GPtrArray *lanes, GError **err)
{
    for (int m = 0; m < model_count(); m++) {
        for (guint c = 0; p->run->has[m] && c < p->run->client_names->len; c++)
            lane_of(lanes, m, g_ptr_array_index(p->run->client_names, c));
    }
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "SELECT model, client, invoke_ns, complete_ns, type "
                                   "FROM operations WHERE run_id = :run_id",
                                   p->run->run_id, err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        if (m < 0 || !p->run->has[m])
            continue;
        struct lane *l = lane_of(lanes, m, rep__col_str(st, 1));
        sim_time end = sqlite3_column_type(st, 3) == SQLITE_NULL ? p->run->duration_ns
                                                                 : sqlite3_column_int64(st, 3);
        enum op_type t = op_type_of(rep__col_str(st, 4));
        int b1 = bucket_of(p, end);
        for (int b = bucket_of(p, sqlite3_column_int64(st, 2)); b <= b1; b++) {
            l->worst[b] = (uint8_t)MAX(l->worst[b], t);
            l->count[b][t]++;
        }
    }
    if (!rep__done(p->db, st, err))
        return false;
    st = rep__prepare(p->db,
                      "SELECT model, client, t_ns, up FROM client_states WHERE run_id = :run_id "
                      "ORDER BY model, client, trace_seq",
                      p->run->run_id, err);
    if (!st)
        return false;
    /* A client is down from 0 to its first up row, and from each down row to the next up. */
    struct lane *cur = NULL;
    sim_time down_since = 0;
    bool down = true;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        if (m < 0 || !p->run->has[m])
            continue;
        struct lane *l = lane_of(lanes, m, rep__col_str(st, 1));
        if (l != cur) {
            if (cur && down)
                g_array_append_val(cur->down, ((struct rep_window){ down_since,
                                                                    p->run->duration_ns }));
            cur = l;
            down = true;
            down_since = 0;
        }
        sim_time t = sqlite3_column_int64(st, 2);
        bool up = sqlite3_column_int(st, 3) != 0;
        if (up && down) {
            if (t > down_since)
                g_array_append_val(l->down, ((struct rep_window){ down_since, t }));
            down = false;
        } else if (!up && !down) {
            down = true;
            down_since = t;
        }
    }
    if (cur && down)
        g_array_append_val(cur->down, ((struct rep_window){ down_since, p->run->duration_ns }));
    return rep__done(p->db, st, err);
}

static void draw_lane(const struct rep_page *p, const struct lane *l, const struct svg_scale *x,
                      double y)
{
    GString *out = p->out;
    char *name = g_strdup_printf("%s %s", rep__model_name(l->model), l->client);
    svg_text(out, REP_PLOT_X0 - 8, y + LANE_H / 2 + 4, "lane", "end", name);
    g_free(name);
    for (guint i = 0; i < l->down->len; i++) {
        const struct rep_window *d = &g_array_index(l->down, struct rep_window, i);
        char a[REP_TIME_LEN], b[REP_TIME_LEN];
        units_format_duration(d->start_ns, a, sizeof a);
        units_format_duration(d->end_ns, b, sizeof b);
        char *title = g_strdup_printf("%s not connected from %s to %s", l->client, a, b);
        double x0 = svg_at(x, (double)d->start_ns), x1 = svg_at(x, (double)d->end_ns);
        svg_rect(out, x0, y, MAX(x1 - x0, 1), LANE_H, "cdown", title);
        g_free(title);
    }
    double w = (REP_PLOT_X1 - REP_PLOT_X0) / LANE_BUCKETS;
    for (int b = 0; b < LANE_BUCKETS; b++) {
        if (l->worst[b] == OP_NONE)
            continue;
        int run = 1; /* neighbours with the same outcome and counts make one rectangle */
        while (b + run < LANE_BUCKETS && l->worst[b + run] == l->worst[b] &&
               memcmp(l->count[b + run], l->count[b], sizeof l->count[b]) == 0)
            run++;
        sim_time t0 = (sim_time)b * p->run->duration_ns / LANE_BUCKETS;
        char at[REP_TIME_LEN];
        units_format_duration(t0, at, sizeof at);
        char *title = g_strdup_printf("%s from %s: %u ok, %u fail, %u unknown open in each "
                                      "of these %d columns", l->client, at,
                                      l->count[b][OP_OK], l->count[b][OP_FAIL],
                                      l->count[b][OP_UNKNOWN], run);
        svg_rect(out, REP_PLOT_X0 + w * b, y + 3, w * run, LANE_H - 6, op_class[l->worst[b]],
                 title);
        g_free(title);
        b += run - 1;
    }
}

static void lanes_figure(const struct rep_page *p, GPtrArray *lanes)
{
    GString *out = p->out;
    double bottom = LANES_TOP + LANE_H * lanes->len;
    int height = (int)(bottom + 50);
    struct svg_scale x = svg_linear(0, (double)p->run->duration_ns, REP_PLOT_X0, REP_PLOT_X1);
    svg_open(out, REP_W, height, "client operations over time");
    svg_axis_x(out, &x, bottom + 4, LANES_TOP, 10, rep_time_label);
    for (guint i = 0; i < lanes->len; i++)
        draw_lane(p, g_ptr_array_index(lanes, i), &x, LANES_TOP + LANE_H * i);
    rep_fault_markers(p, &x, LANES_TOP - 4, bottom, 14);
    struct svg_legend_pos legend = { REP_PLOT_X0, bottom + 40, REP_PLOT_X0, REP_PLOT_X1 };
    svg_legend(out, &legend, op_class[OP_OK], false, "ok");
    svg_legend(out, &legend, op_class[OP_FAIL], false, "fail (refused)");
    svg_legend(out, &legend, op_class[OP_UNKNOWN], false, "unknown (timed out or no answer)");
    svg_legend(out, &legend, "cdown", false, "client not connected");
    svg_close(out);
}

/* ---- latency over time ------------------------------------------------------------------ */

struct op_point {
    sim_time invoke_ns, latency_ns; /* latency -1: no answer by the end */
    enum op_type type;
};

static bool load_points(const struct rep_page *p, int m, GArray *pts, int64_t *total,
                        GError **err)
{
    /* every operation that was not ok, and every k-th ok one, k chosen to fit POINTS_MAX */
    sqlite3_stmt *st = rep__prepare(p->db,
                                   "WITH o AS (SELECT invoke_ns, complete_ns, type, "
                                   "  row_number() OVER (ORDER BY invoke_ns, client, msg_id) "
                                   "  AS k FROM operations WHERE run_id = :run_id "
                                   "  AND model = :model), "
                                   "n AS (SELECT count(*) AS n, sum(type = 'ok') AS ok "
                                   "      FROM o) "
                                   "SELECT invoke_ns, complete_ns, type, n.n FROM o, n "
                                   "WHERE type != 'ok' OR k % max(1, (n.ok + :room - 1) / "
                                   ":room) = 0 ORDER BY invoke_ns, k",
                                   p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", rep__model_name(m));
    rep__bind_int(st, ":room", POINTS_MAX / 2);
    while (sqlite3_step(st) == SQLITE_ROW && pts->len < POINTS_MAX) {
        struct op_point pt = { .invoke_ns = sqlite3_column_int64(st, 0),
                               .type = op_type_of(rep__col_str(st, 2)) };
        pt.latency_ns = sqlite3_column_type(st, 1) == SQLITE_NULL
                            ? -1
                            : sqlite3_column_int64(st, 1) - pt.invoke_ns;
        *total = sqlite3_column_int64(st, 3);
        g_array_append_val(pts, pt);
    }
    return rep__done(p->db, st, err);
}

static void scatter(const struct rep_page *p, int m, const GArray *pts)
{
    GString *out = p->out;
    int64_t hi = 1000; /* 1 us at least */
    for (guint i = 0; i < pts->len; i++)
        hi = MAX(hi, g_array_index(pts, struct op_point, i).latency_ns);
    struct svg_scale x = svg_linear(0, (double)p->run->duration_ns, REP_PLOT_X0, REP_PLOT_X1);
    struct svg_scale y = svg_log(1000, (double)hi * 1.5, SCATTER_BOTTOM, SCATTER_TOP + 14);
    char *title = g_strdup_printf("%s operation latency over time", rep__model_label(m));
    svg_open(out, REP_W, SCATTER_H, title);
    g_free(title);
    svg_axis_y(out, &y, REP_PLOT_X0, REP_PLOT_X1, 4, rep_time_label);
    svg_axis_x(out, &x, SCATTER_BOTTOM, SCATTER_TOP, 10, rep_time_label);
    svg_textf(out, 8, 14, "lane", "start", "%s", rep__model_label(m));
    svg_text(out, REP_PLOT_X0 - 8, SCATTER_TOP + 4, "tick", "end", "no answer");
    rep_fault_markers(p, &x, SCATTER_TOP, SCATTER_BOTTOM, 0);
    for (guint i = 0; i < pts->len; i++) {
        const struct op_point *pt = &g_array_index(pts, struct op_point, i);
        char at[REP_TIME_LEN], took[REP_TIME_LEN];
        units_format_duration(pt->invoke_ns, at, sizeof at);
        if (pt->latency_ns >= 0)
            units_format_duration(pt->latency_ns, took, sizeof took);
        char *tip = g_strdup_printf("invoked at %s: %s%s%s", at, op_word[pt->type],
                                    pt->latency_ns >= 0 ? " after " : ", no answer by the end",
                                    pt->latency_ns >= 0 ? took : "");
        double cy = pt->latency_ns < 0 ? SCATTER_TOP + 4
                                       : svg_at(&y, (double)MAX(pt->latency_ns, 1000));
        svg_circle(out, svg_at(&x, (double)pt->invoke_ns), cy, 2.2, op_class[pt->type], tip);
        g_free(tip);
    }
    svg_close(out);
}

bool rep_fig_clients(struct rep_page *p, GError **err)
{
    GPtrArray *lanes = g_ptr_array_new_with_free_func(lane_free);
    bool ok = load_lanes(p, lanes, err);
    if (ok) {
        rep_section_open(p->out, "clients", "What the clients saw");
        g_string_append(p->out, "<figure>");
        lanes_figure(p, lanes);
        rep_caption(p->out, "A lane per client of each model, from the operations view "
                            "(Jepsen-style history): each operation is drawn from its "
                            "invocation to its completion in the colour of its outcome. The "
                            "run is cut into %d columns; a column takes the worst outcome of "
                            "the operations open during it (unknown, then fail, then ok) and "
                            "its tooltip counts them. Grey: the client was not connected, so "
                            "its operations waited, were buffered or refused.",
                    LANE_BUCKETS);
        g_string_append(p->out, "</figure>\n");
    }
    for (int m = 0; ok && m < model_count(); m++) {
        if (!p->run->has[m])
            continue;
        GArray *pts = g_array_new(FALSE, FALSE, sizeof(struct op_point));
        int64_t total = 0;
        ok = load_points(p, m, pts, &total, err);
        if (ok && pts->len > 0) {
            g_string_append(p->out, "<figure>");
            scatter(p, m, pts);
            rep_caption(p->out, "%s: each operation's latency (invocation to completion, "
                                "logarithmic) at the time it was invoked, coloured by outcome; "
                                "operations with no answer by the end sit on the top line. "
                                "%u of %" PRId64 " operations drawn: every one that did not "
                                "complete ok, and an even sample of the others.",
                        rep__model_label(m), pts->len, total);
            g_string_append(p->out, "</figure>\n");
        }
        g_array_free(pts, TRUE);
    }
    if (ok)
        rep_section_close(p->out);
    g_ptr_array_free(lanes, TRUE);
    return ok;
}
