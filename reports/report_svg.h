/* report_svg.h: the small drawing layer every chart of the HTML report is made with:
 * escaping, linear and logarithmic scales, "nice" tick values, axes and SVG elements,
 * appended to a GString.
 *
 * Coordinates are SVG user units (the charts' viewBox is in pixels) printed with one
 * decimal; colours and line styles come from CSS classes defined once in the page
 * (report_html.c), so an element is a short tag. Every piece of text goes through
 * rep_escape(). Not here: anything that knows about runs, hosts or models. */
#ifndef REPORTS_REPORT_SVG_H
#define REPORTS_REPORT_SVG_H

#include <glib.h>
#include <stdbool.h>

/* Appends text escaped for HTML and SVG (&, <, >, ", '); invalid UTF-8 is replaced. */
void rep_escape(GString *out, const char *text);
/* Appends the formatted text, escaped. */
void rep_escape_printf(GString *out, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

/* Maps the domain [d0, d1] onto the range [r0, r1]; values outside are clamped. */
struct svg_scale {
    double d0, d1, r0, r1;
    bool log; /* logarithmic: the domain must be positive */
};

struct svg_scale svg_linear(double d0, double d1, double r0, double r1);
struct svg_scale svg_log(double d0, double d1, double r0, double r1);
double svg_at(const struct svg_scale *s, double v);

/* Formats an axis label for value v into buf. */
typedef void svg_label_fn(double v, char *buf, size_t len);

/* A horizontal axis at y: baseline, ticks below it and labels; grid lines up to grid_top
 * when grid_top < y. Ticks fall on multiples of 1, 2 or 5 x 10^k (on a log scale: powers of
 * ten, with their doubles and fives over few decades), about `wanted` of them. */
void svg_axis_x(GString *out, const struct svg_scale *x, double y, double grid_top,
                int wanted, svg_label_fn *label);
/* A vertical axis at x with labels to its left; grid lines to grid_right when > x. */
void svg_axis_y(GString *out, const struct svg_scale *y, double x, double grid_right,
                int wanted, svg_label_fn *label);

/* <svg> with a viewBox of width x height and an accessible title; svg_close ends it. */
void svg_open(GString *out, int width, int height, const char *title);
void svg_close(GString *out);

/* Elements; cls is a CSS class list, title (may be NULL) becomes a hover tooltip. */
void svg_line(GString *out, double x1, double y1, double x2, double y2, const char *cls,
              const char *title);
void svg_rect(GString *out, double x, double y, double w, double h, const char *cls,
              const char *title);
void svg_circle(GString *out, double cx, double cy, double r, const char *cls,
                const char *title);
/* Text anchored at (x, y): anchor is "start", "middle" or "end". */
void svg_text(GString *out, double x, double y, const char *cls, const char *anchor,
              const char *text);
void svg_textf(GString *out, double x, double y, const char *cls, const char *anchor,
               const char *fmt, ...) G_GNUC_PRINTF(6, 7);
/* Where the next legend entry goes: entries start at x0 and wrap onto a new line, 16 units
 * lower, where they would pass x1. */
struct svg_legend_pos {
    double x, y, x0, x1;
};

/* A legend entry: a swatch of class cls (a short line when line is true, else a box) and
 * its label. */
void svg_legend(GString *out, struct svg_legend_pos *pos, const char *cls, bool line,
                const char *label);

#endif
