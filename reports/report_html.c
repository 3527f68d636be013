/* report_html.c: `zabsim report --html`: one self-contained page (inline CSS and SVG, no
 * script, nothing fetched) that shows a run at a glance. This file builds the page around
 * the figures: style, header, the side-by-side summary, the fault list, the violations and
 * the helpers the figure modules share; each figure lives in its own report_*.c.
 *
 * The page is built in memory (the figures cap what they draw, so it stays at a few
 * hundred kilobytes) and written through path.tmp, renamed when complete. */
#include "reports/report_html.h"
#include "reports/calibration.h"

#include <inttypes.h>
#include <stdarg.h>
#include <string.h>

/* ZAB is blue and pub/sub orange everywhere; a ZAB host's state is a shade of blue while it
 * serves and amber while it looks for a leader; pale means not yet serving (discovery or
 * synchronization); red is a fault or a loss. */
static const char page_style[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',sans-serif;color:#1f2328;"
    "max-width:1140px;margin:24px auto;padding:0 16px}\n"
    "h1{font-size:24px;margin:0}h2{font-size:18px;margin:36px 0 6px;padding-bottom:4px;"
    "border-bottom:1px solid #d0d7de}\n"
    ".meta{color:#57606a;margin:4px 0}.desc{max-width:90ch}.note{color:#57606a}\n"
    "nav a{margin-right:14px}code{background:#f3f4f6;padding:1px 4px;border-radius:3px}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:6px 0}\n"
    "th,td{padding:3px 12px;border-bottom:1px solid #eaeef2;text-align:right}\n"
    "th:first-child,td:first-child,td.l{text-align:left}th{background:#f6f8fa}\n"
    "td.bad{color:#b91c1c;font-weight:600}td.good{color:#166534}td.why{color:#57606a;"
    "text-align:left;font-size:13px}\n"
    "figure{margin:8px 0}figcaption{color:#57606a;font-size:13px;max-width:110ch}\n"
    "svg{display:block;max-width:100%;height:auto}\n"
    "svg text{font:11px system-ui,-apple-system,'Segoe UI',sans-serif;fill:#1f2328}\n"
    "text.tick,text.sub{fill:#57606a;font-size:10px}text.lane{font-weight:600;font-size:12px}\n"
    "text.flabel{fill:#b91c1c}text.llabel{fill:#1e3a8a;font-weight:600}text.chip{fill:#fff;"
    "font-weight:600}text.note{fill:#57606a;font-style:italic;font-size:12px}\n"
    "line.axis{stroke:#8c959f}line.grid{stroke:#eaeef2}line.lanel{stroke:#d0d7de}\n"
    "line.fault{stroke:#dc2626;stroke-dasharray:4 3}line.leader{stroke:#1e3a8a;"
    "stroke-width:2}line.violation{stroke:#9d174d;stroke-width:2.5}\n"
    "div.violation{border-left:4px solid #9d174d;padding-left:10px;margin:8px 0}"
    "div.violation pre{font-size:12px;overflow-x:auto}\n"
    /* host states by index in the model's vocabulary (s0: down), its leader state "lead" */
    "rect.lead{fill:#1d4ed8}rect.s0{fill:#9ca3af}rect.s1{fill:#f59e0b}rect.s2{fill:#60a5fa}"
    "rect.s3{fill:#34d399}rect.s4{fill:#a78bfa}rect.s5{fill:#f472b6}rect.s6{fill:#2dd4bf}"
    "rect.s7{fill:#a3a3a3}rect.rec{fill-opacity:.38}rect.down{fill:#e5e7eb}\n"
    "rect.d1{fill-opacity:.22}rect.d2{fill-opacity:.45}rect.d3{fill-opacity:.7}"
    "rect.drop{fill:#b91c1c}\n"
    "line.arr{stroke-width:1.1;stroke-opacity:.75}\n"
    "line.lost{stroke-dasharray:3 2}.dash{stroke-dasharray:5 3}line.x{stroke:#b91c1c;"
    "stroke-width:2}\n"
    "line.link{stroke-width:2;stroke-opacity:.55}circle{fill-opacity:.7}"
    "circle.fail{fill:#dc2626;fill-opacity:1}p.bad{color:#b91c1c;font-weight:600}\n"
    /* one colour per message in the delivery-order figure: chips (c) and links (k) */
    "rect.c0{fill:#4e79a7}rect.c1{fill:#e15759}rect.c2{fill:#59a14f}rect.c3{fill:#b07aa1}"
    "rect.c4{fill:#9c755f}rect.c5{fill:#f28e2b}rect.c6{fill:#17becf}rect.c7{fill:#7f7f7f}\n"
    "line.k0{stroke:#4e79a7}line.k1{stroke:#e15759}line.k2{stroke:#59a14f}"
    "line.k3{stroke:#b07aa1}line.k4{stroke:#9c755f}line.k5{stroke:#f28e2b}"
    "line.k6{stroke:#17becf}line.k7{stroke:#7f7f7f}\n"
    /* operations by outcome, and a client that is not connected */
    ".opok{fill:#16a34a}.opfail{fill:#dc2626}.opunk{fill:#f59e0b}rect.cdown{fill:#d1d5db}"
    "circle.opok{fill-opacity:.45}circle.opfail,circle.opunk{fill-opacity:.9}"
    "td.sub{padding-left:28px}text.alabel{fill:#57606a;font-size:9px}\n";

/* One colour per model, by registry id, on every figure: lines, arrows, strips, dots. */
static void model_style(GString *out)
{
    for (int m = 0; m < model_count(); m++) {
        const char *c = rep__model_class(m), *colour = rep__model_colour(m);
        g_string_append_printf(out,
                               "line.%s,polyline.%s,path.%s{stroke:%s;fill:none;"
                               "stroke-width:1.6}rect.%s,circle.%s{fill:%s}"
                               "line.arr.%s{marker-end:url(#ah-%s)}\n",
                               c, c, c, colour, c, c, colour, c, c);
    }
}

/* ---- helpers for the figure modules ----------------------------------------------------- */

void rep_section_open(GString *out, const char *id, const char *heading)
{
    g_string_append_printf(out, "<section id=\"%s\"><h2>", id);
    rep_escape(out, heading);
    g_string_append(out, "</h2>\n");
}

void rep_section_close(GString *out)
{
    g_string_append(out, "</section>\n");
}

void rep_caption(GString *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_string_append(out, "<figcaption>");
    rep_escape(out, text);
    g_string_append(out, "</figcaption>\n");
    g_free(text);
}

void rep_time_label(double ns, char *buf, size_t len)
{
    units_format_duration_short((sim_time)ns, buf, len);
}

void rep_fault_markers(const struct rep_page *p, const struct svg_scale *x, double top,
                       double bottom, double label_y)
{
    rep_fault_markers_but(p, x, top, bottom, label_y, NULL, NULL);
}

void rep_fault_markers_but(const struct rep_page *p, const struct svg_scale *x, double top,
                           double bottom, double label_y, rep_fault_skip_fn *skip, void *ctx)
{
    double last_label_end = -1;
    for (guint i = 0; i < p->run->faults->len; i++) {
        const struct rep_fault *f = &g_array_index(p->run->faults, struct rep_fault, i);
        if ((double)f->t_ns < x->d0 || (double)f->t_ns > x->d1 || (skip && skip(f, ctx)))
            continue;
        double at = svg_at(x, (double)f->t_ns);
        char when[REP_TIME_LEN], *title;
        units_format_duration(f->t_ns, when, sizeof when);
        title = g_strdup_printf("%s: %s %s %s", when, f->kind, f->target, f->detail);
        svg_line(p->out, at, top, at, bottom, "fault", title);
        /* Labels of faults close together would overprint: the later one is left to the
         * marker's tooltip and the fault table. */
        if (label_y > 0 && at > last_label_end) {
            char *label = g_strdup_printf("%s %s", f->kind, f->target);
            svg_text(p->out, at + 3, label_y, "flabel", "start", label);
            last_label_end = at + 6.2 * (double)strlen(label) + 8;
            g_free(label);
        }
        g_free(title);
    }
    /* Violations, where their proof completes: the moment to look at. */
    for (guint i = 0; i < p->run->violations->len; i++) {
        const struct rep_violation *v =
            &g_array_index(p->run->violations, struct rep_violation, i);
        if (v->t_ns < 0 || (double)v->t_ns < x->d0 || (double)v->t_ns > x->d1)
            continue;
        char when[REP_TIME_LEN];
        units_format_duration(v->t_ns, when, sizeof when);
        char *title = g_strdup_printf("%s: violation of %s: %s", when, v->label, v->detail);
        double at = svg_at(x, (double)v->t_ns);
        svg_line(p->out, at, top, at, bottom, "violation", title);
        g_free(title);
    }
}

/* ---- the page --------------------------------------------------------------------------- */

static void page_header(const struct rep_page *p)
{
    GString *out = p->out;
    const struct rep_run *run = p->run;
    char dur[REP_TIME_LEN];
    units_format_duration(run->duration_ns, dur, sizeof dur);
    g_string_append(out, "<header><h1>");
    rep_escape_printf(out, "zabsim report: %s", run->scenario);
    g_string_append(out, "</h1>\n<p class=\"meta\">");
    rep_escape_printf(out,
                      "run %" PRId64 " · seed %" PRIu64 " · %u hosts · %u clients · %s "
                      "simulated · models %s · verdict %s · zabsim %s",
                      run->run_id, run->seed, run->host_names->len, run->client_names->len, dur,
                      run->model, *run->verdict ? run->verdict : "none", run->version);
    g_string_append(out, "</p>\n<p class=\"desc\">");
    rep_escape(out, run->description);
    g_string_append(out, "</p>\n<nav>");
    if (run->runs_of_scenario > 1)
        g_string_append(out, "<a href=\"#sweep\">Seeds</a>");
    if (run->violations->len > 0)
        g_string_append(out, "<a href=\"#violations\">Violations</a>");
    g_string_append(out, "<a href=\"#summary\">Summary</a><a href=\"#timeline\">Timeline</a>");
    if (p->recipes->len > 0)
        g_string_append(out, "<a href=\"#recipes\">Recipes</a>");
    g_string_append(out, "<a href=\"#clients\">Clients</a>"
                         "<a href=\"#spacetime\">Messages</a><a href=\"#order\">Order</a>"
                         "<a href=\"#latency\">Latency</a><a href=\"#throughput\">Throughput</a>"
                         "</nav></header>\n");
}

/* Counts that should be zero are flagged when they are not. */
static const char *cell_class(const struct rep_summary *s, int m, int k)
{
    if (!summary_columns[k].bad_if_any || !s->has[m][k])
        return "";
    return s->value[m][k] > 0 ? " class=\"bad\"" : " class=\"good\"";
}

static bool summary_table(struct rep_page *p, GError **err)
{
    struct rep_summary s;
    if (!rep__summary_load(p->db, p->run->run_id, &s, err))
        return false;
    GString *out = p->out;
    rep_section_open(out, "summary", "The models side by side");
    g_string_append(out, "<table><tr><th>measure (run_summary)</th>");
    for (int m = 0; m < model_count(); m++) {
        if (!p->run->has[m])
            continue;
        g_string_append(out, "<th>");
        rep_escape(out, rep__model_label(m));
        g_string_append(out, "</th>");
    }
    g_string_append(out, "<th class=\"l\">meaning</th></tr>\n");
    for (int k = 0; k < REP_N_MEASURES; k++) {
        g_string_append_printf(out, "<tr><td%s>%s</td>",
                               summary_columns[k].indent ? " class=\"sub\"" : "",
                               summary_columns[k].label);
        for (int m = 0; m < model_count(); m++) {
            char v[REP_TIME_LEN];
            if (!p->run->has[m])
                continue;
            rep__format_measure(&s, m, k, v, sizeof v);
            g_string_append_printf(out, "<td%s>%s</td>", cell_class(&s, m, k), v);
        }
        g_string_append_printf(out, "<td class=\"why\">%s</td></tr>\n", summary_columns[k].meaning);
    }
    g_string_append(out, "</table>\n");
    GString *absent = g_string_new(NULL);
    bool real_run = false;
    for (int m = 0; m < model_count(); m++)
        real_run = real_run || (p->run->has[m] && model_get((model_id)m)->real_of);
    for (int m = 0; m < model_count(); m++) {
        /* A simulated run names the simulated models it left out, a real run the real ones. */
        bool real = model_get((model_id)m)->real_of != NULL;
        if (!p->run->has[m] && real == real_run)
            g_string_append_printf(absent, "%s%s", absent->len ? ", " : "", rep__model_label(m));
    }
    if (absent->len) {
        g_string_append(out, "<p class=\"note\">");
        rep_escape_printf(out, real_run ? "Not run for real in this run: %s."
                                        : "Not simulated in this run: %s.", absent->str);
        g_string_append(out, "</p>\n");
    }
    g_string_free(absent, TRUE);
    rep_section_close(out);
    return true;
}

static void fault_table(GString *out, const struct rep_run *run)
{
    if (run->faults->len == 0) {
        g_string_append(out, "<p class=\"note\">No faults: the scenario runs undisturbed.</p>\n");
        return;
    }
    g_string_append(out, "<table><tr><th>time</th><th class=\"l\">fault</th>"
                         "<th class=\"l\">target</th><th class=\"l\">detail</th></tr>\n");
    for (guint i = 0; i < run->faults->len; i++) {
        const struct rep_fault *f = &g_array_index(run->faults, struct rep_fault, i);
        char when[REP_TIME_LEN];
        units_format_duration(f->t_ns, when, sizeof when);
        g_string_append_printf(out, "<tr><td class=\"l\">%s</td><td class=\"l\">", when);
        rep_escape(out, f->kind);
        g_string_append(out, "</td><td class=\"l\">");
        rep_escape(out, f->target);
        g_string_append(out, "</td><td class=\"l\">");
        rep_escape(out, f->detail);
        g_string_append(out, "</td></tr>\n");
    }
    g_string_append(out, "</table>\n");
}

/* A failing run opens on what failed: each violation with the rows that prove it, when its
 * proof completed (marked in red on every figure with a time axis), and how to see the
 * messages around it. */
static void violation_section(struct rep_page *p)
{
    const GArray *vs = p->run->violations;
    if (vs->len == 0)
        return;
    rep_section_open(p->out, "violations", "Invariant violations");
    g_string_append(p->out, "<p>What broke, the rows that prove it and when the proof was "
                            "complete (the red lines on the figures below). <code>zabsim "
                            "check</code> lists every violation; docs/database.md defines each "
                            "invariant.</p>\n");
    sim_time first = -1;
    for (guint i = 0; i < vs->len; i++) {
        const struct rep_violation *v = &g_array_index(vs, struct rep_violation, i);
        char when[REP_TIME_LEN] = "";
        if (v->t_ns >= 0)
            units_format_duration(v->t_ns, when, sizeof when);
        if (v->t_ns >= 0 && (first < 0 || v->t_ns < first))
            first = v->t_ns;
        g_string_append(p->out, "<div class=\"violation\"><p><b>");
        rep_escape(p->out, v->label);
        g_string_append(p->out, "</b>");
        if (*when)
            rep_escape_printf(p->out, " at %s", when);
        g_string_append(p->out, ": ");
        rep_escape(p->out, v->detail);
        g_string_append(p->out, "</p><pre>");
        rep_escape(p->out, v->evidence);
        g_string_append(p->out, "</pre></div>\n");
    }
    if (first >= 0) {
        char a[REP_TIME_LEN], b[REP_TIME_LEN];
        units_format_duration(MAX(first - 50 * SIM_MS, 0), a, sizeof a);
        units_format_duration(first + 50 * SIM_MS, b, sizeof b);
        g_string_append(p->out, "<p class=\"note\">");
        rep_escape_printf(p->out, "The space-time diagram below shows the messages from %s to "
                                  "%s, around the first, when the run recorded them (zabsim "
                                  "run --record messages; another span: --window A..B).",
                          a, b);
        g_string_append(p->out, "</p>\n");
    }
    rep_section_close(p->out);
}

static bool order_section(struct rep_page *p, GError **err)
{
    struct rep_divergence d;
    bool ok = rep__divergence_load(p->db, p->run, &d, err);
    if (ok)
        rep_fig_order(p, &d);
    rep__divergence_clear(&d);
    return ok;
}

/* When the database holds real runs (zabsim conform): the simulation against them. */
static bool calibration_section(struct rep_page *p, GError **err)
{
    GString *table = g_string_new(NULL);
    struct calibration_outcome o;
    bool ok = calibration_render(p->db, false, table, &o, err);
    if (ok && table->len > 0) {
        rep_section_open(p->out, "calibration", "Simulation against the real systems");
        g_string_append(p->out, "<pre>");
        rep_escape(p->out, table->str);
        g_string_append(p->out, "</pre>\n");
        rep_caption(p->out,
                    "Medians over the simulated seeds and over the real runs of each scenario "
                    "in this database (zabsim conform); %d of %d measures within ±20 %%, %d "
                    "outside ±50 %%, %d on one side only. docs/fidelity.md defines them.",
                    o.tight, o.rows, o.outside_wide, o.one_sided);
        rep_section_close(p->out);
    }
    g_string_free(table, TRUE);
    return ok;
}

static bool page_body(struct rep_page *p, GError **err)
{
    page_header(p);
    /* A sweep's page opens with the seeds: distributions and failing runs come first. */
    if (p->run->runs_of_scenario > 1 && !rep_fig_sweep(p, err))
        return false;
    violation_section(p);
    if (!summary_table(p, err))
        return false;
    if (!rep_fig_timeline(p, err))
        return false;
    fault_table(p->out, p->run);
    /* Recipes are recorded at every level: they need no per-message rows. */
    if (p->recipes->len > 0 && !rep_fig_recipes(p, err))
        return false;
    if (!p->run->per_message) {
        rep_section_open(p->out, "rows", "Per-message figures");
        g_string_append(p->out, "<p>Clients, the space-time diagram, delivery order, latency "
                                "and throughput: " REP_NOT_RECORDED ".</p>\n");
        rep_section_close(p->out);
        return calibration_section(p, err);
    }
    return rep_fig_clients(p, err) && rep_fig_spacetime(p, err) && order_section(p, err) &&
           rep_fig_latency(p, err) && rep_fig_throughput(p, err) && calibration_section(p, err);
}

static bool build_page(sqlite3 *db, const struct rep_run *run, const struct rep_options *opts,
                       GString *out, GError **err)
{
    struct rep_page p = { .out = out, .db = db, .run = run, .opts = opts };
    if (!rep__state_spans(db, run, &p.spans, err))
        return false;
    if (!rep_recipes_load(&p, err)) {
        g_array_free(p.spans, TRUE);
        return false;
    }
    g_string_append(out, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
                         "<meta name=\"viewport\" content=\"width=device-width\">\n<title>");
    rep_escape_printf(out, "zabsim report: %s, seed %" PRIu64, run->scenario, run->seed);
    g_string_append_printf(out, "</title>\n<style>\n%s", page_style);
    model_style(out);
    if (p.recipes->len > 0)
        rep_recipes_style(out);
    g_string_append(out, "</style></head>\n<body>\n");
    bool ok = page_body(&p, err);
    g_string_append_printf(out, "<footer class=\"note\"><p>zabsim %s · run %" PRId64
                                "</p></footer>\n</body></html>\n",
                           ZABSIM_VERSION, run->run_id);
    g_array_free(p.spans, TRUE);
    g_array_free(p.recipes, TRUE);
    return ok;
}

bool rep_html(sqlite3 *db, const struct rep_options *opts, const char *path, GError **err)
{
    struct rep_run run;
    bool ok = rep__run_load(db, opts->run_id, &run, err) && rep__run_check(&run, opts, err);
    GString *out = g_string_new(NULL);
    ok = ok && build_page(db, &run, opts, out, err);
    FILE *f = ok ? rep__output_open(path, err) : NULL;
    if (f) {
        fwrite(out->str, 1, out->len, f); /* a failure shows in ferror(), checked on close */
        ok = rep__output_close(f, path, true, err);
    }
    ok = ok && f;
    g_string_free(out, TRUE);
    rep__run_clear(&run);
    return ok;
}
