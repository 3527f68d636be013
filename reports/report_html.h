/* report_html.h: what the modules of the HTML report share. report_html.c builds the page
 * (style, header, tables) and calls one function per figure; each figure module appends a
 * <section> with its <svg> and a caption saying what is drawn and what was left out.
 *
 * Figures on a time axis share one layout (REP_W wide, plot from REP_PLOT_X0 to REP_PLOT_X1)
 * so that a reader can compare them by eye, and all mark the run's faults the same way
 * (rep_fault_markers). */
#ifndef REPORTS_REPORT_HTML_H
#define REPORTS_REPORT_HTML_H

#include "reports/report_internal.h"
#include "reports/report_svg.h"

#define REP_W 1100        /* width of every figure */
#define REP_PLOT_X0 120.0 /* left edge of the plot area: lane labels go left of it */
#define REP_PLOT_X1 1080.0

struct rep_page {
    GString *out;
    sqlite3 *db;
    const struct rep_run *run;
    const struct rep_options *opts;
    GArray *spans; /* struct rep_state_span of the run */
    GArray *recipes; /* the run's recipes shown (report_recipes.c), empty for most runs */
};

/* <section> with an id and a heading, and its end. */
void rep_section_open(GString *out, const char *id, const char *heading);
void rep_section_close(GString *out);
/* <figcaption> with the formatted text, escaped. */
void rep_caption(GString *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Vertical marks for the faults inside the x scale's domain (ns) from top to bottom; with
 * label_y > 0 each is named ("crash h5") at that height. */
void rep_fault_markers(const struct rep_page *p, const struct svg_scale *x, double top,
                       double bottom, double label_y);
/* The same, leaving out the faults for which skip(fault, ctx) is true: a figure that draws
 * those its own way. */
typedef bool rep_fault_skip_fn(const struct rep_fault *f, void *ctx);
void rep_fault_markers_but(const struct rep_page *p, const struct svg_scale *x, double top,
                           double bottom, double label_y, rep_fault_skip_fn *skip, void *ctx);
/* A time axis label: ns to "3.2s". */
void rep_time_label(double ns, char *buf, size_t len);

/* The figures, in page order. Each appends one <section>. */
bool rep_fig_timeline(struct rep_page *p, GError **err);
bool rep_fig_clients(struct rep_page *p, GError **err);
bool rep_fig_spacetime(struct rep_page *p, GError **err);
void rep_fig_order(struct rep_page *p, const struct rep_divergence *d);
bool rep_fig_latency(struct rep_page *p, GError **err);
bool rep_fig_throughput(struct rep_page *p, GError **err);
/* The coordination recipes: rep_recipes_load fills p->recipes with the run's recipes whose
 * backend is shown; only when it is not empty, the page adds rep_recipes_style's rules to its
 * style and rep_fig_recipes' section, so a run without recipes gets the page it always had. */
bool rep_recipes_load(struct rep_page *p, GError **err);
void rep_recipes_style(GString *out);
bool rep_fig_recipes(struct rep_page *p, GError **err);
/* Only for a database holding several runs of the scenario. */
bool rep_fig_sweep(struct rep_page *p, GError **err);

#endif
