/* report_recipes.c: the coordination recipes of a run (docs/recipes.md) in the HTML report,
 * one figure per recipe under its line of settings and recipe_summary measures.
 *
 * A lock or an election is a Gantt chart: a row per client, a bar for each time it believed
 * it held (recipe_intervals, its token on the bar), red where two or more believed so at once
 * (recipe_overlaps, again as a strip under the rows), its writes to the protected resource as
 * ticks (accepted, refused, and in red the exclusion violations of recipe_violations), its
 * machine's deaths and pauses shaded and the faults on it drawn on its row. A registry is a
 * row per observer with a lane per instance: when the observer listed it (registry_intervals),
 * red while the instance was dead (registry_stale). The red comes from the views that
 * recipe_summary counts, so a chart cannot disagree with the measures above it.
 *
 * The picture's size does not grow with the run: bars of one lane closer than a pixel are
 * merged, writes are grouped per client into TICK_COLUMNS columns, and at most ROWS_MAX
 * clients (a registry: OBSERVERS_MAX by INSTANCES_MAX) are drawn, which the caption says. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define FAULT_LABEL_Y 14.0 /* labels of faults on no client machine of the recipe */
#define TOP 24.0
#define ROW_H 33.0         /* a client: fault labels, its bar, its write ticks */
#define BAR_Y 9.0          /* within the row */
#define BAR_H 14.0
#define TICK_H 6.0         /* under the bar */
#define STRIP_H 10.0       /* 2+ holders */
#define SUB_H 10.0         /* a registry instance's lane */
#define SUB_BAR_H 7.0
#define ROW_LABEL_H 9.0    /* above a registry row's lanes: fault labels */
#define LEGEND_H 56.0

#define ROWS_MAX 40
#define OBSERVERS_MAX 12
#define INSTANCES_MAX 12
#define TICK_COLUMNS 480
#define TOKEN_CHAR_W 5.2   /* a 9 px bold digit, to decide whether a token fits its bar */

/* Added to the page's style only when it has recipes, so that other pages keep their bytes.
 * Bars take their backend model's colour class, defined for every figure. */
static const char recipes_style[] =
    "h3{font-size:15px;margin:22px 0 2px}rect.overlap{fill:#dc2626;fill-opacity:.85}"
    "rect.mdown{fill:#e5e7eb}rect.stale{fill:#dc2626}text.tok{fill:#fff;font-size:9px;"
    "font-weight:600}\n"
    "line.wok{stroke:#15803d;stroke-width:1.2}line.wref{stroke:#d97706;stroke-width:2}"
    "line.wviol{stroke:#dc2626;stroke-width:2.5}circle.wref{fill:#d97706;fill-opacity:1}"
    "circle.wviol{fill:#dc2626;fill-opacity:1}\n"
    "line.rowfault{stroke:#dc2626;stroke-width:1.5;stroke-dasharray:3 2}\n";

/* One recipe of the run with its recipe_summary row. */
struct recipe {
    int64_t recipe; /* recipes.recipe: position in the scenario's list, from 0 */
    int model;      /* registry id of its backend */
    char *kind;
    int64_t clients, hold_ns;
    bool fencing;
    bool has[RECIPE_COLUMNS_COUNT]; /* false for NULL */
    int64_t value[RECIPE_COLUMNS_COUNT];
};

static void recipe_clear(gpointer data)
{
    struct recipe *r = data;
    g_free(r->kind);
}

void rep_recipes_style(GString *out)
{
    g_string_append(out, recipes_style);
}

bool rep_recipes_load(struct rep_page *p, GError **err)
{
    GString *sql = g_string_new("SELECT c.recipe, c.model, c.kind, c.clients, c.hold_ns, "
                                "c.fencing");
    for (size_t k = 0; k < recipe_columns_count; k++)
        g_string_append_printf(sql, ", s.%s", recipe_columns[k].name);
    g_string_append(sql, " FROM recipes AS c JOIN recipe_summary AS s ON s.run_id = c.run_id "
                         "AND s.model = c.model AND s.recipe = c.recipe "
                         "WHERE c.run_id = :run_id ORDER BY c.recipe, c.model");
    sqlite3_stmt *st = rep__prepare(p->db, sql->str, p->run->run_id, err);
    g_string_free(sql, TRUE);
    if (!st)
        return false;
    p->recipes = g_array_new(FALSE, FALSE, sizeof(struct recipe));
    g_array_set_clear_func(p->recipes, recipe_clear);
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 1));
        if (m < 0 || !p->run->has[m]) /* --model left its backend out */
            continue;
        struct recipe r = { .recipe = sqlite3_column_int64(st, 0), .model = m,
                            .kind = g_strdup(rep__col_str(st, 2)),
                            .clients = CLAMP(sqlite3_column_int64(st, 3), 0, 1 << 20),
                            .hold_ns = sqlite3_column_int64(st, 4),
                            .fencing = sqlite3_column_int(st, 5) != 0 };
        for (size_t k = 0; k < recipe_columns_count; k++) {
            r.has[k] = sqlite3_column_type(st, 6 + (int)k) != SQLITE_NULL;
            r.value[k] = sqlite3_column_int64(st, 6 + (int)k);
        }
        g_array_append_val(p->recipes, r);
    }
    if (rep__done(p->db, st, err))
        return true;
    g_array_free(p->recipes, TRUE);
    p->recipes = NULL;
    return false;
}

/* ---- clients and rows ------------------------------------------------------------------- */

/* The number of client "c<k>", or 0 for any other name. */
static int64_t client_number(const char *name)
{
    if (name[0] != 'c' || !g_ascii_isdigit(name[1]))
        return 0;
    char *end;
    int64_t k = g_ascii_strtoll(name + 1, &end, 10);
    return *end ? 0 : k;
}

/* Which clients get a row (or a lane), in number order. */
struct rows {
    int64_t clients;  /* the recipe's: c1..cN */
    int *row_of;      /* by client number 1..N: its row, or -1 when not drawn */
    GArray *numbers;  /* int64_t: the client number of each row */
};

static void rows_add(struct rows *rows, int64_t k)
{
    if (k >= 1 && k <= rows->clients && rows->row_of[k] < 0) {
        rows->row_of[k] = (int)rows->numbers->len;
        g_array_append_val(rows->numbers, k);
    }
}

/* Every client when there are at most max; otherwise the first max, by number, of those that
 * sql (one name per row, in number order) names: the ones with something to draw. */
static bool rows_choose(const struct rep_page *p, const struct recipe *r, const char *sql,
                        int max, struct rows *rows, GError **err)
{
    rows->clients = r->clients;
    rows->row_of = g_new(int, r->clients + 1);
    for (int64_t k = 0; k <= r->clients; k++)
        rows->row_of[k] = -1;
    rows->numbers = g_array_new(FALSE, FALSE, sizeof(int64_t));
    if (r->clients <= max) {
        for (int64_t k = 1; k <= r->clients; k++)
            rows_add(rows, k);
        return true;
    }
    sqlite3_stmt *st = rep__prepare(p->db, sql, p->run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", rep__model_name(r->model));
    rep__bind_int(st, ":recipe", r->recipe);
    while (sqlite3_step(st) == SQLITE_ROW && rows->numbers->len < (guint)max)
        rows_add(rows, client_number(rep__col_str(st, 0)));
    return rep__done(p->db, st, err);
}

static void rows_clear(struct rows *rows)
{
    g_free(rows->row_of);
    if (rows->numbers)
        g_array_free(rows->numbers, TRUE);
}

/* The row of a client name, or -1. */
static int row_of(const struct rows *rows, const char *name)
{
    int64_t k = client_number(name);
    return k >= 1 && k <= rows->clients ? rows->row_of[k] : -1;
}

/* Prepares sql for one recipe: :run_id, :model and :recipe bound. */
static sqlite3_stmt *recipe_query(const struct rep_page *p, const struct recipe *r,
                                  const char *sql, GError **err)
{
    sqlite3_stmt *st = rep__prepare(p->db, sql, p->run->run_id, err);
    if (st) {
        rep__bind_str(st, ":model", rep__model_name(r->model));
        rep__bind_int(st, ":recipe", r->recipe);
    }
    return st;
}

/* ---- spans on a lane -------------------------------------------------------------------- */

/* A stretch of time on one lane (a client's row, or an observer's lane for an instance). */
struct span {
    int lane;
    sim_time start, end;
    int64_t client;  /* holds: the client's number */
    int64_t token;   /* holds: the fencing token */
    int64_t holders; /* overlaps: how many believed they held */
    GString *names;  /* overlaps: who, "c1, c3" */
    const struct span *of; /* a bar's part in an overlap: that overlap */
};

static void span_clear(gpointer data)
{
    struct span *s = data;
    if (s->names)
        g_string_free(s->names, TRUE);
}

static GArray *spans_new(void)
{
    GArray *a = g_array_new(FALSE, FALSE, sizeof(struct span));
    g_array_set_clear_func(a, span_clear);
    return a;
}

static int compare_spans(gconstpointer a, gconstpointer b)
{
    const struct span *x = a, *y = b;
    if (x->lane != y->lane)
        return x->lane < y->lane ? -1 : 1;
    if (x->start != y->start)
        return x->start < y->start ? -1 : 1;
    return x->end < y->end ? -1 : x->end > y->end;
}

/* Spans of one lane that follow each other within `gap` ns, drawn as one rectangle. */
struct merged {
    const struct span *first;
    guint n;
    sim_time start, end;
};

/* Calls draw for each run of the n spans (sorted by lane and start) that lie within gap of
 * each other on one lane: a pixel's worth of gap is invisible, and merging keeps the figure's
 * size bounded by its width. */
typedef void merged_fn(const struct merged *m, void *ctx);

static void spans_merge(const struct span *spans, guint n, sim_time gap, merged_fn *draw,
                        void *ctx)
{
    struct merged m = { 0 };
    for (guint i = 0; i < n; i++) {
        const struct span *s = &spans[i];
        if (m.n > 0 && s->lane == m.first->lane && s->start - m.end <= gap) {
            m.n++;
            m.end = MAX(m.end, s->end);
            continue;
        }
        if (m.n > 0)
            draw(&m, ctx);
        m = (struct merged){ .first = s, .n = 1, .start = s->start, .end = s->end };
    }
    if (m.n > 0)
        draw(&m, ctx);
}

/* "10.01s to 16s (5.968s)", or for several merged spans "3 stretches from 10.01s to 16s,
 * 5.968s in all". */
static char *span_when(const struct merged *m)
{
    char from[REP_TIME_LEN], to[REP_TIME_LEN], length[REP_TIME_LEN];
    sim_time total = 0;
    for (guint i = 0; i < m->n; i++)
        total += m->first[i].end - m->first[i].start;
    units_format_duration_short(m->start, from, sizeof from);
    units_format_duration_short(m->end, to, sizeof to);
    units_format_duration_short(total, length, sizeof length);
    if (m->n == 1)
        return g_strdup_printf("%s to %s (%s)", from, to, length);
    return g_strdup_printf("%u stretches from %s to %s, %s in all", m->n, from, to, length);
}

/* ---- the figure's frame ----------------------------------------------------------------- */

/* What every recipe figure shares while it is drawn. */
struct chart {
    struct rep_page *p;
    const struct recipe *r;
    struct svg_scale x;
    sim_time px_ns;  /* simulated time per pixel */
    struct rows rows;
    double *row_y;   /* top of each row */
    double bottom;   /* below the last row (and the strip) */
};

static void chart_init(struct chart *c, struct rep_page *p, const struct recipe *r)
{
    *c = (struct chart){ .p = p, .r = r };
    c->x = svg_linear(0, (double)MAX(p->run->duration_ns, 1), REP_PLOT_X0, REP_PLOT_X1);
    c->px_ns = MAX(1, p->run->duration_ns / (sim_time)(REP_PLOT_X1 - REP_PLOT_X0));
}

static void chart_clear(struct chart *c)
{
    rows_clear(&c->rows);
    g_free(c->row_y);
}

static double at(const struct chart *c, sim_time t)
{
    return svg_at(&c->x, (double)t);
}

/* The rows a fault's target names among the chart's clients ("c2", "c1,c3"). */
static GArray *fault_rows(const struct chart *c, const struct rep_fault *f)
{
    GArray *rows = g_array_new(FALSE, FALSE, sizeof(int));
    char **names = g_strsplit_set(f->target, ", |", -1);
    for (char **n = names; *n; n++) {
        int row = row_of(&c->rows, *n);
        if (row >= 0)
            g_array_append_val(rows, row);
    }
    g_strfreev(names);
    return rows;
}

static bool on_a_row(const struct rep_fault *f, void *ctx)
{
    GArray *rows = fault_rows(ctx, f);
    bool on_row = rows->len > 0;
    g_array_free(rows, TRUE);
    return on_row;
}

/* Faults on a client machine of the recipe on that client's row, labelled there; the others
 * across the whole chart, as on every figure. */
static void draw_faults(const struct chart *c)
{
    GString *out = c->p->out;
    guint n_rows = c->rows.numbers->len;
    double *label_end = g_new(double, MAX(n_rows, 1));
    for (guint i = 0; i < n_rows; i++)
        label_end[i] = -1;
    for (guint i = 0; i < c->p->run->faults->len; i++) {
        const struct rep_fault *f = &g_array_index(c->p->run->faults, struct rep_fault, i);
        if ((double)f->t_ns < c->x.d0 || (double)f->t_ns > c->x.d1)
            continue;
        GArray *rows = fault_rows(c, f);
        char when[REP_TIME_LEN];
        units_format_duration(f->t_ns, when, sizeof when);
        char *title = g_strdup_printf("%s: %s %s %s", when, f->kind, f->target, f->detail);
        char *label = g_strdup_printf("%s %s", f->kind, f->target);
        double xf = at(c, f->t_ns);
        for (guint k = 0; k < rows->len; k++) {
            int row = g_array_index(rows, int, k);
            double y = c->row_y[row];
            svg_line(out, xf, y + 1, xf, c->row_y[row + 1] - 1, "rowfault", title);
            if (xf > label_end[row]) {
                svg_text(out, xf + 3, y + 8, "flabel", "start", label);
                label_end[row] = xf + 6.2 * (double)strlen(label) + 8;
            }
        }
        g_free(label);
        g_free(title);
        g_array_free(rows, TRUE);
    }
    g_free(label_end);
    rep_fault_markers_but(c->p, &c->x, FAULT_LABEL_Y + 3, c->bottom, FAULT_LABEL_Y, on_a_row,
                          (void *)c);
}

/* The length of a pause from its detail ("for 10s", after other details and "; "), or -1. */
static sim_time pause_length(const char *detail)
{
    const char *p = g_str_has_prefix(detail, "for ") ? detail : strstr(detail, "; for ");
    sim_time ns;
    if (!p)
        return -1;
    p = strstr(p, "for ") + 4;
    return units_parse_duration(p, &ns, NULL) ? ns : -1;
}

/* A client machine's dead or paused time, shaded on its row (or lane) from top, h tall. */
static void shade_down(const struct chart *c, double top, double h, sim_time start,
                       sim_time end, const char *name, const char *what)
{
    end = MIN(end, c->p->run->duration_ns);
    if (end <= start)
        return;
    char from[REP_TIME_LEN], to[REP_TIME_LEN];
    units_format_duration_short(start, from, sizeof from);
    units_format_duration_short(end, to, sizeof to);
    char *title = g_strdup_printf("%s's machine %s: %s to %s", name, what, from, to);
    double x0 = at(c, start);
    svg_rect(c->p->out, x0, top, MAX(at(c, end) - x0, 1.0), h, "mdown", title);
    g_free(title);
}

/* Calls shade(ctx, ...) for each time a client machine was down (client_deaths) or paused
 * (a pause fault naming it, for the time its detail gives). */
typedef void down_fn(void *ctx, const char *client, sim_time start, sim_time end,
                     const char *what);

static bool machines_down(const struct chart *c, down_fn *shade, void *ctx, GError **err)
{
    sqlite3_stmt *st = rep__prepare(c->p->db,
                                    "SELECT client, start_ns, end_ns FROM client_deaths "
                                    "WHERE run_id = :run_id "
                                    "ORDER BY length(client), client, start_ns, end_ns",
                                    c->p->run->run_id, err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW)
        shade(ctx, rep__col_str(st, 0), sqlite3_column_int64(st, 1),
              sqlite3_column_int64(st, 2), "down");
    if (!rep__done(c->p->db, st, err))
        return false;
    for (guint i = 0; i < c->p->run->faults->len; i++) {
        const struct rep_fault *f = &g_array_index(c->p->run->faults, struct rep_fault, i);
        sim_time length = strcmp(f->kind, "pause") == 0 ? pause_length(f->detail) : -1;
        if (length < 0)
            continue;
        char **names = g_strsplit_set(f->target, ", |", -1);
        for (char **n = names; *n; n++)
            shade(ctx, *n, f->t_ns, f->t_ns + length, "paused");
        g_strfreev(names);
    }
    return true;
}

static void row_labels(const struct chart *c, double dy)
{
    for (guint i = 0; i < c->rows.numbers->len; i++)
        svg_textf(c->p->out, REP_PLOT_X0 - 8, c->row_y[i] + dy, "lane", "end", "c%" PRId64,
                  g_array_index(c->rows.numbers, int64_t, i));
}

/* The text under a figure: what was left out when there were too many clients. */
static void rows_note(GString *note, const struct chart *c, const char *who)
{
    if ((int64_t)c->rows.numbers->len < c->r->clients)
        g_string_append_printf(note, " Only %u of the %" PRId64 " %s are drawn: the first by "
                               "number of those with something to show.",
                               c->rows.numbers->len, c->r->clients, who);
}

/* ---- a lock or an election -------------------------------------------------------------- */

static double bar_top(const struct chart *c, int row)
{
    return c->row_y[row] + BAR_Y;
}

static void hold_shade(void *ctx, const char *client, sim_time start, sim_time end,
                       const char *what)
{
    const struct chart *c = ctx;
    int row = row_of(&c->rows, client);
    if (row >= 0)
        shade_down(c, c->row_y[row] + 1, ROW_H - 2, start, end, client, what);
}

static void draw_hold(const struct merged *m, void *data)
{
    const struct chart *c = data;
    int64_t client = g_array_index(c->rows.numbers, int64_t, m->first->lane);
    char *when = span_when(m), *title;
    if (m->n > 1)
        title = g_strdup_printf("c%" PRId64 " believed it held, tokens %" PRId64 " to %" PRId64
                                ": %s", client, m->first->token, m->first[m->n - 1].token,
                                when);
    else
        title = g_strdup_printf("c%" PRId64 " believed it held, token %" PRId64 ": %s", client,
                                m->first->token, when);
    g_free(when);
    double x0 = at(c, m->start), w = MAX(at(c, m->end) - x0, 1.0);
    svg_rect(c->p->out, x0, bar_top(c, m->first->lane), w, BAR_H, rep__model_class(c->r->model),
             title);
    g_free(title);
}

/* A bar's token, drawn after the red of overlaps so that it shows on them too. */
static void draw_token(const struct merged *m, void *data)
{
    const struct chart *c = data;
    char token[24];
    g_snprintf(token, sizeof token, "%" PRId64, m->first->token);
    double x0 = at(c, m->start);
    if (m->n == 1 && at(c, m->end) - x0 >= TOKEN_CHAR_W * (double)strlen(token) + 6)
        svg_text(c->p->out, x0 + 3, bar_top(c, m->first->lane) + 10.5, "tok", "start", token);
}

static void draw_overlap_on_bar(const struct merged *m, void *data)
{
    const struct chart *c = data;
    char *when = span_when(m), *title;
    if (m->n > 1)
        title = g_strdup_printf("two or more believed they held: %s", when);
    else
        title = g_strdup_printf("%" PRId64 " believed they held at once (%s): %s",
                                m->first->of->holders, m->first->of->names->str, when);
    g_free(when);
    double x0 = at(c, m->start);
    svg_rect(c->p->out, x0, bar_top(c, m->first->lane), MAX(at(c, m->end) - x0, 1.0), BAR_H,
             "overlap", title);
    g_free(title);
}

static void draw_overlap_strip(const struct merged *m, void *data)
{
    const struct chart *c = data;
    char *when = span_when(m), *title;
    if (m->n > 1)
        title = g_strdup_printf("two or more believed holders: %s", when);
    else
        title = g_strdup_printf("%" PRId64 " believed holders (%s): %s", m->first->holders,
                                m->first->names->str, when);
    g_free(when);
    double x0 = at(c, m->start);
    svg_rect(c->p->out, x0, c->row_y[c->rows.numbers->len] + 4, MAX(at(c, m->end) - x0, 1.0),
             STRIP_H, "overlap", title);
    g_free(title);
}

/* The first span of sorted, disjoint spans that ends after t. */
static guint first_ending_after(const GArray *spans, sim_time t)
{
    guint lo = 0, hi = spans->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(spans, struct span, mid).end <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Who held in each overlap (names), and the part of each drawn bar inside one (on_bars). */
static void overlaps_on_bars(const GArray *holds, GArray *overlaps, GArray *on_bars)
{
    for (guint i = 0; i < holds->len; i++) {
        const struct span *h = &g_array_index(holds, struct span, i);
        for (guint k = first_ending_after(overlaps, h->start); k < overlaps->len; k++) {
            struct span *o = &g_array_index(overlaps, struct span, k);
            if (o->start >= h->end)
                break;
            /* a client believing twice at once is named once */
            char *name = g_strdup_printf("c%" PRId64, h->client);
            char *listed = g_strdup_printf(", %s, ", o->names->str);
            char *mark = g_strdup_printf(", %s, ", name);
            if (!strstr(listed, mark))
                g_string_append_printf(o->names, "%s%s", o->names->len ? ", " : "", name);
            g_free(mark);
            g_free(listed);
            g_free(name);
            if (h->lane < 0)
                continue;
            struct span part = { .lane = h->lane, .start = MAX(h->start, o->start),
                                 .end = MIN(h->end, o->end), .of = o };
            g_array_append_val(on_bars, part);
        }
    }
}

/* The intervals of the recipe (lane -1 for clients without a row) and its overlaps. */
static bool load_holds(const struct chart *c, GArray *holds, GArray *overlaps, GError **err)
{
    sqlite3_stmt *st = recipe_query(c->p, c->r,
                                    "SELECT client, token, start_ns, end_ns "
                                    "FROM recipe_intervals WHERE run_id = :run_id "
                                    "AND model = :model AND recipe = :recipe "
                                    "ORDER BY start_ns, length(client), client, end_ns, token",
                                    err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *client = rep__col_str(st, 0);
        struct span s = { .lane = row_of(&c->rows, client), .token = sqlite3_column_int64(st, 1),
                          .start = sqlite3_column_int64(st, 2),
                          .end = sqlite3_column_int64(st, 3),
                          .client = client_number(client) };
        g_array_append_val(holds, s);
    }
    if (!rep__done(c->p->db, st, err))
        return false;
    st = recipe_query(c->p, c->r,
                      "SELECT start_ns, end_ns, holders FROM recipe_overlaps "
                      "WHERE run_id = :run_id AND model = :model AND recipe = :recipe "
                      "ORDER BY start_ns",
                      err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct span s = { .start = sqlite3_column_int64(st, 0),
                          .end = sqlite3_column_int64(st, 1),
                          .holders = sqlite3_column_int64(st, 2), .names = g_string_new(NULL) };
        g_array_append_val(overlaps, s);
    }
    return rep__done(c->p->db, st, err);
}

static bool draw_holds(const struct chart *c, GError **err)
{
    GArray *holds = spans_new(), *overlaps = spans_new(), *on_bars = spans_new();
    bool ok = load_holds(c, holds, overlaps, err);
    if (ok) {
        overlaps_on_bars(holds, overlaps, on_bars);
        /* Bars by row: those of clients without a row sort first and are skipped. */
        g_array_sort(holds, compare_spans);
        guint first = 0;
        while (first < holds->len && g_array_index(holds, struct span, first).lane < 0)
            first++;
        const struct span *drawn = (const struct span *)(void *)holds->data + first;
        spans_merge(drawn, holds->len - first, c->px_ns, draw_hold, (void *)c);
        g_array_sort(on_bars, compare_spans);
        spans_merge((const struct span *)(void *)on_bars->data, on_bars->len, c->px_ns,
                    draw_overlap_on_bar, (void *)c);
        spans_merge(drawn, holds->len - first, c->px_ns, draw_token, (void *)c);
        /* the strip: the overlaps on one lane, below the rows */
        spans_merge((const struct span *)(void *)overlaps->data, overlaps->len, c->px_ns,
                    draw_overlap_strip, (void *)c);
    }
    g_array_free(on_bars, TRUE);
    g_array_free(overlaps, TRUE);
    g_array_free(holds, TRUE);
    return ok;
}

enum write_kind { WRITE_ACCEPTED, WRITE_REFUSED, WRITE_VIOLATION };

/* Each client's writes grouped into TICK_COLUMNS columns by kind, a tick per group; a
 * violation's tick is drawn last and tallest, across the bar, so that it is never hidden. */
static bool draw_writes(const struct chart *c, GError **err)
{
    sqlite3_stmt *st = recipe_query(c->p, c->r,
        "SELECT client, t_ns * :columns / :duration AS col, "
        "       CASE WHEN accepted = 0 THEN 1 "
        "            WHEN trace_seq IN (SELECT v.trace_seq FROM recipe_violations AS v "
        "                               WHERE v.run_id = :run_id AND v.model = :model "
        "                                 AND v.recipe = :recipe) THEN 2 "
        "            ELSE 0 END AS kind, "
        "       count(*), min(t_ns), max(t_ns), min(token), max(token) "
        "FROM resource_writes WHERE run_id = :run_id AND model = :model AND recipe = :recipe "
        "GROUP BY client, col, kind ORDER BY kind, length(client), client, col",
        err);
    if (!st)
        return false;
    rep__bind_int(st, ":columns", TICK_COLUMNS);
    rep__bind_int(st, ":duration", MAX(c->p->run->duration_ns, 1));
    static const char *const cls[] = { "wok", "wref", "wviol" };
    static const char *const what[] = { "accepted", "refused (fenced out)",
                                        "accepted: an exclusion violation, after the resource "
                                        "had taken a write from another client with a newer "
                                        "or the same token" };
    while (sqlite3_step(st) == SQLITE_ROW) {
        const char *client = rep__col_str(st, 0);
        int row = row_of(&c->rows, client);
        int kind = CLAMP(sqlite3_column_int(st, 2), WRITE_ACCEPTED, WRITE_VIOLATION);
        int64_t n = sqlite3_column_int64(st, 3), tok0 = sqlite3_column_int64(st, 6),
                tok1 = sqlite3_column_int64(st, 7);
        sim_time t0 = sqlite3_column_int64(st, 4), t1 = sqlite3_column_int64(st, 5);
        if (row < 0)
            continue;
        char from[REP_TIME_LEN], to[REP_TIME_LEN], *title, tokens[64];
        if (tok0 == tok1)
            g_snprintf(tokens, sizeof tokens, "token %" PRId64, tok0);
        else
            g_snprintf(tokens, sizeof tokens, "tokens %" PRId64 " to %" PRId64, tok0, tok1);
        if (n == 1) {
            units_format_duration(t0, from, sizeof from);
            title = g_strdup_printf("%s's write at %s with %s, %s", client, from, tokens,
                                    what[kind]);
        } else {
            units_format_duration_short(t0, from, sizeof from);
            units_format_duration_short(t1, to, sizeof to);
            title = g_strdup_printf("%s: %" PRId64 " writes from %s to %s with %s, %s", client,
                                    n, from, to, tokens, what[kind]);
        }
        double xw = at(c, t0), y = bar_top(c, row) + BAR_H;
        svg_line(c->p->out, xw, kind == WRITE_VIOLATION ? bar_top(c, row) - 3 : y, xw,
                 y + TICK_H, cls[kind], title);
        /* A dot marks the writes that matter, which a thin line alone would hide: a
         * violation's on top of the bar, a refused write's under its tick. */
        if (kind == WRITE_VIOLATION)
            svg_circle(c->p->out, xw, bar_top(c, row) - 4, 2.5, cls[kind], title);
        else if (kind == WRITE_REFUSED)
            svg_circle(c->p->out, xw, y + TICK_H + 3, 2.5, cls[kind], title);
        g_free(title);
    }
    return rep__done(c->p->db, st, err);
}

static void hold_legend(const struct chart *c, double y)
{
    struct svg_legend_pos legend = { REP_PLOT_X0, y, REP_PLOT_X0, REP_PLOT_X1 };
    GString *out = c->p->out;
    svg_legend(out, &legend, rep__model_class(c->r->model), false,
               "believed it held (its token on the bar)");
    svg_legend(out, &legend, "overlap", false, "two or more believed they held");
    svg_legend(out, &legend, "wok", true, "write accepted");
    svg_legend(out, &legend, "wref", true, "write refused (fenced out)");
    svg_legend(out, &legend, "wviol", true, "exclusion violation");
    svg_legend(out, &legend, "mdown", false, "client machine down or paused");
    svg_legend(out, &legend, "fault", true, "fault");
}

static bool hold_figure(struct chart *c, GError **err)
{
    if (!rows_choose(c->p, c->r,
                     "SELECT client FROM recipe_holds WHERE run_id = :run_id AND model = :model "
                     "AND recipe = :recipe UNION SELECT client FROM resource_writes "
                     "WHERE run_id = :run_id AND model = :model AND recipe = :recipe "
                     "ORDER BY length(client), client",
                     ROWS_MAX, &c->rows, err))
        return false;
    guint n = c->rows.numbers->len;
    c->row_y = g_new(double, n + 1);
    for (guint i = 0; i <= n; i++)
        c->row_y[i] = TOP + ROW_H * i;
    double strip_y = c->row_y[n] + 4, axis_y = strip_y + STRIP_H + 8;
    c->bottom = axis_y;
    GString *out = c->p->out;
    svg_open(out, REP_W, (int)(axis_y + 40 + LEGEND_H),
             "who believed they held, and their writes to the resource");
    row_labels(c, BAR_Y + 11);
    svg_text(out, REP_PLOT_X0 - 8, strip_y + 9, "sub", "end", "2+ holders");
    bool ok = machines_down(c, hold_shade, c, err) && draw_holds(c, err) &&
              draw_writes(c, err);
    draw_faults(c);
    svg_axis_x(out, &c->x, axis_y, axis_y, 12, rep_time_label);
    hold_legend(c, axis_y + 40);
    svg_close(out);
    GString *note = g_string_new(NULL);
    rows_note(note, c, "clients");
    rep_caption(out,
                "One row per client of the recipe: a bar for each time it believed it held "
                "(from recipe_intervals; its fencing token on the bar when it fits, always in "
                "the tooltip), red where two or more clients believed so at once, as in the "
                "strip below the rows (overlap_ns is its length). Under each bar, the client's "
                "writes as the resource received them: green accepted, amber refused, red and "
                "across the bar an exclusion violation (as exclusion_violations counts them). "
                "Writes less than %.1f px apart are one tick (its tooltip counts them). Grey: "
                "the client's machine was down or paused. Red dashed lines are faults, those "
                "on a client machine on its row.%s",
                (REP_PLOT_X1 - REP_PLOT_X0) / TICK_COLUMNS, note->str);
    g_string_free(note, TRUE);
    return ok;
}

/* ---- a registry ------------------------------------------------------------------------- */

/* An observer's row holds a lane per instance drawn. */
struct registry {
    struct chart *c;
    struct rows instances;
};

static double lane_top(const struct registry *g, int row, int instance)
{
    return g->c->row_y[row] + ROW_LABEL_H + SUB_H * instance;
}

/* An instance's machine down or paused: shaded on its lane in every observer's row, under
 * the listings, so that a listing of a dead instance shows against it. */
static void registry_shade(void *ctx, const char *client, sim_time start, sim_time end,
                           const char *what)
{
    const struct registry *g = ctx;
    int inst = row_of(&g->instances, client);
    for (guint row = 0; inst >= 0 && row < g->c->rows.numbers->len; row++)
        shade_down(g->c, lane_top(g, (int)row, inst), SUB_H, start, end, client, what);
}

struct listing_ctx {
    const struct registry *g;
    const char *cls;
    bool stale;
};

static void draw_listing(const struct merged *m, void *data)
{
    const struct listing_ctx *l = data;
    const struct registry *g = l->g;
    guint n_inst = g->instances.numbers->len;
    int row = m->first->lane / (int)n_inst, inst = m->first->lane % (int)n_inst;
    int64_t observer = g_array_index(g->c->rows.numbers, int64_t, row);
    int64_t instance = g_array_index(g->instances.numbers, int64_t, inst);
    char *when = span_when(m);
    char *title = g_strdup_printf("c%" PRId64 " listed c%" PRId64 "%s: %s", observer, instance,
                                  l->stale ? " while it was dead" : "", when);
    g_free(when);
    double x0 = at(g->c, m->start);
    svg_rect(g->c->p->out, x0, lane_top(g, row, inst) + (SUB_H - SUB_BAR_H) / 2,
             MAX(at(g->c, m->end) - x0, 1.0), SUB_BAR_H, l->cls, title);
    g_free(title);
}

/* sql gives (observer, instance, start_ns, end_ns): drawn on the observer's row, in the
 * instance's lane. */
static bool draw_listings(const struct registry *g, const char *sql, const char *cls,
                          bool stale, GError **err)
{
    sqlite3_stmt *st = recipe_query(g->c->p, g->c->r, sql, err);
    if (!st)
        return false;
    GArray *spans = spans_new();
    int n_inst = (int)g->instances.numbers->len;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int row = row_of(&g->c->rows, rep__col_str(st, 0));
        int inst = row_of(&g->instances, rep__col_str(st, 1));
        if (row < 0 || inst < 0)
            continue;
        struct span s = { .lane = row * n_inst + inst, .start = sqlite3_column_int64(st, 2),
                          .end = sqlite3_column_int64(st, 3) };
        g_array_append_val(spans, s);
    }
    bool ok = rep__done(g->c->p->db, st, err);
    if (ok) {
        g_array_sort(spans, compare_spans);
        struct listing_ctx l = { g, cls, stale };
        spans_merge((const struct span *)(void *)spans->data, spans->len, g->c->px_ns,
                    draw_listing, &l);
    }
    g_array_free(spans, TRUE);
    return ok;
}

static void registry_legend(const struct chart *c, double y)
{
    struct svg_legend_pos legend = { REP_PLOT_X0, y, REP_PLOT_X0, REP_PLOT_X1 };
    GString *out = c->p->out;
    svg_legend(out, &legend, rep__model_class(c->r->model), false,
               "the observer listed the instance");
    svg_legend(out, &legend, "stale", false, "listed while the instance was dead");
    svg_legend(out, &legend, "mdown", false, "the instance's machine down or paused");
    svg_legend(out, &legend, "fault", true, "fault");
}

static bool registry_figure(struct chart *c, GError **err)
{
    struct registry g = { .c = c };
    static const char observers_sql[] =
        "SELECT DISTINCT observer FROM registry_views WHERE run_id = :run_id "
        "AND model = :model AND recipe = :recipe ORDER BY length(observer), observer";
    static const char instances_sql[] =
        "SELECT DISTINCT instance FROM registry_views WHERE run_id = :run_id "
        "AND model = :model AND recipe = :recipe ORDER BY length(instance), instance";
    bool ok = rows_choose(c->p, c->r, observers_sql, OBSERVERS_MAX, &c->rows, err) &&
              rows_choose(c->p, c->r, instances_sql, INSTANCES_MAX, &g.instances, err);
    if (!ok) {
        rows_clear(&g.instances);
        return false;
    }
    guint n = c->rows.numbers->len, n_inst = g.instances.numbers->len;
    double row_h = ROW_LABEL_H + SUB_H * n_inst + 5;
    c->row_y = g_new(double, n + 1);
    for (guint i = 0; i <= n; i++)
        c->row_y[i] = TOP + row_h * i;
    double axis_y = c->row_y[n] + 6;
    c->bottom = axis_y;
    GString *out = c->p->out;
    svg_open(out, REP_W, (int)(axis_y + 40 + LEGEND_H),
             "which instances each observer listed, and when they were dead");
    for (guint i = 0; i < n; i++) {
        svg_textf(out, REP_PLOT_X0 - 40, lane_top(&g, (int)i, 0) + 9, "lane", "end",
                  "c%" PRId64, g_array_index(c->rows.numbers, int64_t, i));
        for (guint k = 0; k < n_inst; k++)
            svg_textf(out, REP_PLOT_X0 - 6, lane_top(&g, (int)i, (int)k) + 8, "alabel", "end",
                      "c%" PRId64, g_array_index(g.instances.numbers, int64_t, k));
    }
    ok = machines_down(c, registry_shade, &g, err) &&
         draw_listings(&g,
                       "SELECT observer, instance, start_ns, end_ns FROM registry_intervals "
                       "WHERE run_id = :run_id AND model = :model AND recipe = :recipe",
                       rep__model_class(c->r->model), false, err) &&
         draw_listings(&g,
                       "SELECT observer, instance, start_ns, end_ns FROM registry_stale "
                       "WHERE run_id = :run_id AND model = :model AND recipe = :recipe",
                       "stale", true, err);
    draw_faults(c);
    svg_axis_x(out, &c->x, axis_y, axis_y, 12, rep_time_label);
    registry_legend(c, axis_y + 40);
    svg_close(out);
    GString *note = g_string_new(NULL);
    rows_note(note, c, "observers");
    if ((int64_t)g.instances.numbers->len < c->r->clients)
        g_string_append_printf(note, " Only %u of the %" PRId64 " instances are drawn.",
                               g.instances.numbers->len, c->r->clients);
    rep_caption(out,
                "One row per observer, a lane per service instance: when the observer listed "
                "the instance as registered (registry_intervals), red while the instance's "
                "machine was dead (stale_ns is the red's total length). Red dashed lines are "
                "faults, those on a client machine on its row.%s",
                note->str);
    g_string_free(note, TRUE);
    rows_clear(&g.instances);
    return ok;
}

/* ---- the section ------------------------------------------------------------------------ */

static void recipe_line(GString *out, const struct recipe *r)
{
    char hold[REP_TIME_LEN];
    units_format_duration(r->hold_ns, hold, sizeof hold);
    g_string_append(out, "<p class=\"meta\">");
    rep_escape_printf(out, "kind %s · backend %s (%s) · %" PRId64 " client%s (c1..c%" PRId64
                           ") · hold %s%s · fencing %s",
                      r->kind, rep__model_name(r->model), rep__model_label(r->model),
                      r->clients, r->clients == 1 ? "" : "s", r->clients, hold,
                      r->hold_ns == 0 && strcmp(r->kind, "election") == 0
                          ? " (a leader never resigns)" : "",
                      r->fencing ? "on" : "off");
    g_string_append(out, "</p>\n");
}

/* recipe_summary's measures under the labels `zabsim run` prints, formatted as it does. */
static void measures_table(GString *out, const struct recipe *r)
{
    g_string_append(out, "<table><tr>");
    for (size_t k = 0; k < recipe_columns_count; k++) {
        g_string_append(out, "<th title=\"");
        rep_escape(out, recipe_columns[k].meaning);
        g_string_append(out, "\">");
        rep_escape(out, recipe_columns[k].label);
        g_string_append(out, "</th>");
    }
    g_string_append(out, "</tr>\n<tr>");
    for (size_t k = 0; k < recipe_columns_count; k++) {
        char v[REP_TIME_LEN];
        if (!r->has[k])
            g_strlcpy(v, "-", sizeof v);
        else if (recipe_columns[k].unit == SUMMARY_DURATION)
            units_format_duration_short(r->value[k], v, sizeof v);
        else
            g_snprintf(v, sizeof v, "%" PRId64, r->value[k]);
        const char *cls = !recipe_columns[k].bad_if_any || !r->has[k] ? ""
                          : r->value[k] > 0                        ? " class=\"bad\""
                                                                   : " class=\"good\"";
        g_string_append_printf(out, "<td%s>%s</td>", cls, v);
    }
    g_string_append(out, "</tr></table>\n");
}

bool rep_fig_recipes(struct rep_page *p, GError **err)
{
    GString *out = p->out;
    rep_section_open(out, "recipes", "Coordination recipes: who held what, when");
    g_string_append(out, "<p>Each recipe's clients as the run recorded them (docs/recipes.md): "
                         "what they believed, what the protected resource took, and the "
                         "recipe's measures as <code>zabsim run</code> prints them.</p>\n");
    bool ok = true;
    for (guint i = 0; ok && i < p->recipes->len; i++) {
        const struct recipe *r = &g_array_index(p->recipes, struct recipe, i);
        g_string_append_printf(out, "<h3 id=\"recipe-%" PRId64 "\">", r->recipe + 1);
        rep_escape_printf(out, "Recipe %" PRId64 ": %s over %s", r->recipe + 1, r->kind,
                          rep__model_label(r->model));
        g_string_append(out, "</h3>\n");
        recipe_line(out, r);
        measures_table(out, r);
        g_string_append(out, "<figure>");
        struct chart c;
        chart_init(&c, p, r);
        ok = strcmp(r->kind, "registry") == 0 ? registry_figure(&c, err)
                                              : hold_figure(&c, err);
        chart_clear(&c);
        g_string_append(out, "</figure>\n");
    }
    rep_section_close(out);
    return ok;
}
