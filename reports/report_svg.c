/* report_svg.c: see report_svg.h. */
#include "reports/report_svg.h"

#include <math.h>
#include <stdarg.h>
#include <string.h>

#define SVG_MAX_TICKS 24

/* Legend labels are measured, not rendered: an 11 px sans-serif character is about this
 * wide on average. */
#define SVG_CHAR_W 6.2

void rep_escape(GString *out, const char *text)
{
    char *owned = NULL;
    if (!g_utf8_validate(text, -1, NULL))
        text = owned = g_utf8_make_valid(text, -1);
    for (const char *p = text; *p; p++) {
        switch (*p) {
        case '&': g_string_append(out, "&amp;"); break;
        case '<': g_string_append(out, "&lt;"); break;
        case '>': g_string_append(out, "&gt;"); break;
        case '"': g_string_append(out, "&quot;"); break;
        case '\'': g_string_append(out, "&#39;"); break;
        default: g_string_append_c(out, *p);
        }
    }
    g_free(owned);
}

void rep_escape_printf(GString *out, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    rep_escape(out, text);
    g_free(text);
}

/* ---- scales and ticks ------------------------------------------------------------------- */

struct svg_scale svg_linear(double d0, double d1, double r0, double r1)
{
    if (d1 <= d0) /* a degenerate domain still maps somewhere sensible */
        d1 = d0 + 1;
    return (struct svg_scale){ .d0 = d0, .d1 = d1, .r0 = r0, .r1 = r1 };
}

struct svg_scale svg_log(double d0, double d1, double r0, double r1)
{
    d0 = MAX(d0, 1e-300);
    if (d1 <= d0)
        d1 = d0 * 10;
    return (struct svg_scale){ .d0 = d0, .d1 = d1, .r0 = r0, .r1 = r1, .log = true };
}

double svg_at(const struct svg_scale *s, double v)
{
    v = CLAMP(v, s->d0, s->d1);
    double f = s->log ? log10(v / s->d0) / log10(s->d1 / s->d0) : (v - s->d0) / (s->d1 - s->d0);
    return s->r0 + f * (s->r1 - s->r0);
}

static int linear_ticks(double d0, double d1, int wanted, double *ticks)
{
    double raw = (d1 - d0) / MAX(wanted, 1);
    double mag = pow(10, floor(log10(raw)));
    double norm = raw / mag;
    double step = (norm < 1.5 ? 1 : norm < 3.5 ? 2 : norm < 7.5 ? 5 : 10) * mag;
    int n = 0;
    for (double v = ceil(d0 / step) * step; v <= d1 + step * 1e-9 && n < SVG_MAX_TICKS; v += step)
        ticks[n++] = fabs(v) < step * 1e-9 ? 0 : v;
    return n;
}

/* Powers of ten inside the domain; with few decades also their doubles and fives. */
static int log_ticks(double d0, double d1, double *ticks)
{
    static const double steps[] = { 1, 2, 5 };
    int first = (int)floor(log10(d0)), last = (int)ceil(log10(d1));
    size_t per_decade = last - first <= 2 ? 3 : 1;
    int n = 0;
    for (int e = first; e <= last; e++) {
        for (size_t i = 0; i < per_decade; i++) {
            double v = steps[i] * pow(10, e);
            if (v >= d0 * (1 - 1e-9) && v <= d1 * (1 + 1e-9) && n < SVG_MAX_TICKS)
                ticks[n++] = v;
        }
    }
    return n;
}

static int svg_ticks(const struct svg_scale *s, int wanted, double ticks[SVG_MAX_TICKS])
{
    return s->log ? log_ticks(s->d0, s->d1, ticks) : linear_ticks(s->d0, s->d1, wanted, ticks);
}

/* ---- elements --------------------------------------------------------------------------- */

void svg_open(GString *out, int width, int height, const char *title)
{
    g_string_append_printf(out,
                           "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 %d %d\" "
                           "width=\"%d\" height=\"%d\" role=\"img\"><title>",
                           width, height, width, height);
    rep_escape(out, title);
    g_string_append(out, "</title>\n");
}

void svg_close(GString *out)
{
    g_string_append(out, "</svg>\n");
}

static void close_element(GString *out, const char *tag, const char *title)
{
    if (!title) {
        g_string_append(out, "/>\n");
        return;
    }
    g_string_append(out, "><title>");
    rep_escape(out, title);
    g_string_append_printf(out, "</title></%s>\n", tag);
}

void svg_line(GString *out, double x1, double y1, double x2, double y2, const char *cls,
              const char *title)
{
    g_string_append_printf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" "
                                "class=\"%s\"",
                           x1, y1, x2, y2, cls);
    close_element(out, "line", title);
}

void svg_rect(GString *out, double x, double y, double w, double h, const char *cls,
              const char *title)
{
    g_string_append_printf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" "
                                "class=\"%s\"",
                           x, y, MAX(w, 0.0), MAX(h, 0.0), cls);
    close_element(out, "rect", title);
}

void svg_circle(GString *out, double cx, double cy, double r, const char *cls,
                const char *title)
{
    g_string_append_printf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%.1f\" class=\"%s\"", cx,
                           cy, r, cls);
    close_element(out, "circle", title);
}

void svg_text(GString *out, double x, double y, const char *cls, const char *anchor,
              const char *text)
{
    g_string_append_printf(out, "<text x=\"%.1f\" y=\"%.1f\" class=\"%s\" text-anchor=\"%s\">",
                           x, y, cls, anchor);
    rep_escape(out, text);
    g_string_append(out, "</text>\n");
}

void svg_textf(GString *out, double x, double y, const char *cls, const char *anchor,
               const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *text = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    svg_text(out, x, y, cls, anchor, text);
    g_free(text);
}

void svg_legend(GString *out, struct svg_legend_pos *pos, const char *cls, bool line,
                const char *label)
{
    double width = 23 + SVG_CHAR_W * (double)g_utf8_strlen(label, -1);
    if (pos->x > pos->x0 && pos->x + width > pos->x1) {
        pos->x = pos->x0;
        pos->y += 16;
    }
    if (line)
        svg_line(out, pos->x, pos->y - 4, pos->x + 18, pos->y - 4, cls, NULL);
    else
        svg_rect(out, pos->x, pos->y - 9, 18, 10, cls, NULL);
    svg_text(out, pos->x + 23, pos->y, "legend", "start", label);
    pos->x += width + 18;
}

/* ---- axes ------------------------------------------------------------------------------- */

void svg_axis_x(GString *out, const struct svg_scale *x, double y, double grid_top,
                int wanted, svg_label_fn *label)
{
    double ticks[SVG_MAX_TICKS];
    int n = svg_ticks(x, wanted, ticks);
    svg_line(out, x->r0, y, x->r1, y, "axis", NULL);
    for (int i = 0; i < n; i++) {
        double at = svg_at(x, ticks[i]);
        char buf[32];
        label(ticks[i], buf, sizeof buf);
        if (grid_top < y)
            svg_line(out, at, grid_top, at, y, "grid", NULL);
        svg_line(out, at, y, at, y + 4, "axis", NULL);
        svg_text(out, at, y + 16, "tick", "middle", buf);
    }
}

void svg_axis_y(GString *out, const struct svg_scale *y, double x, double grid_right,
                int wanted, svg_label_fn *label)
{
    double ticks[SVG_MAX_TICKS];
    int n = svg_ticks(y, wanted, ticks);
    svg_line(out, x, y->r0, x, y->r1, "axis", NULL);
    for (int i = 0; i < n; i++) {
        double at = svg_at(y, ticks[i]);
        char buf[32];
        label(ticks[i], buf, sizeof buf);
        if (grid_right > x)
            svg_line(out, x, at, grid_right, at, "grid", NULL);
        svg_line(out, x - 4, at, x, at, "axis", NULL);
        svg_text(out, x - 7, at + 4, "tick", "end", buf);
    }
}
