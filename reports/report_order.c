/* report_order.c: the delivery-order figure of the HTML report. For the first messages on
 * whose order the hosts of a model without an order promise disagree (report_diverge.c),
 * one column per host incarnation lists them in the order it received them, each message a
 * chip of its own colour, and lines join a message's chips in neighbouring columns: where
 * lines cross, two hosts saw two messages in opposite orders. A last column per model with
 * an order promise gives that model's order, the one all its hosts have. Drawn only when
 * there is a divergence; at most MAX_COLUMNS host incarnations. */
#include "reports/report_html.h"

#include <inttypes.h>
#include <string.h>

#define MAX_COLUMNS 8
#define COL_W 116.0
#define CHIP_W 84.0
#define CHIP_H 20.0
#define ROW_H 28.0
#define TOP 36.0
#define LEFT 60.0

/* Position of msg in list, or -1. */
static int position(const GPtrArray *list, const char *msg)
{
    for (guint i = 0; i < list->len; i++) {
        if (strcmp(g_ptr_array_index(list, i), msg) == 0)
            return (int)i;
    }
    return -1;
}

/* x of column col; columns of ordered models stand a little apart. */
static double col_x(int col, bool ordered)
{
    return LEFT + COL_W * col + (ordered ? 40 : 0);
}

static void draw_column(GString *out, const struct rep_divergence *d, const GPtrArray *msgs,
                        int col, bool ordered, const char *label)
{
    double x = col_x(col, ordered);
    svg_text(out, x + CHIP_W / 2, TOP - 12, "lane", "middle", label);
    for (guint i = 0; i < msgs->len; i++) {
        const char *msg = g_ptr_array_index(msgs, i);
        char cls[8];
        g_snprintf(cls, sizeof cls, "c%d", position(d->msgs, msg) % 8);
        double y = TOP + ROW_H * i;
        char *title = g_strdup_printf("%s: %s is number %u", label, msg, i + 1);
        svg_rect(out, x, y, CHIP_W, CHIP_H, cls, title);
        svg_text(out, x + CHIP_W / 2, y + 14, "chip", "middle", msg);
        g_free(title);
    }
    GString *missing = g_string_new(NULL);
    for (guint i = 0; i < d->msgs->len; i++) {
        const char *msg = g_ptr_array_index(d->msgs, i);
        if (position(msgs, msg) < 0)
            g_string_append_printf(missing, "%s%s", missing->len ? ", " : "", msg);
    }
    if (missing->len) {
        double y = TOP + ROW_H * msgs->len + 12;
        svg_text(out, x + CHIP_W / 2, y, "sub", "middle", "never received:");
        svg_text(out, x + CHIP_W / 2, y + 13, "sub", "middle", missing->str);
    }
    g_string_free(missing, TRUE);
}

/* Lines joining each message's chips in two neighbouring columns. */
static void draw_links(GString *out, const struct rep_divergence *d, const GPtrArray *a,
                       const GPtrArray *b, int col)
{
    for (guint i = 0; i < a->len; i++) {
        int j = position(b, g_ptr_array_index(a, i));
        if (j < 0)
            continue;
        char cls[16];
        g_snprintf(cls, sizeof cls, "link k%d", position(d->msgs, g_ptr_array_index(a, i)) % 8);
        svg_line(out, col_x(col, false) + CHIP_W, TOP + ROW_H * i + CHIP_H / 2,
                 col_x(col + 1, false), TOP + ROW_H * j + CHIP_H / 2, cls, NULL);
    }
}

static void order_svg(GString *out, const struct rep_divergence *d)
{
    int cols = (int)MIN(d->orders->len, MAX_COLUMNS);
    double height = TOP + ROW_H * d->msgs->len + 40;
    double width = col_x(cols + (int)d->ordered->len - 1, true) + CHIP_W + 20;
    svg_open(out, (int)width, (int)height, "delivery order of the first diverging messages");
    svg_text(out, 8, TOP + 14, "sub", "start", "1st");
    svg_text(out, 8, TOP + ROW_H * (d->msgs->len - 1) + 14, "sub", "start", "later");
    for (int c = 0; c < cols; c++) {
        const struct rep_order *o = g_ptr_array_index(d->orders, c);
        draw_column(out, d, o->msgs, c, false, o->label);
        if (c + 1 < cols) {
            const struct rep_order *next = g_ptr_array_index(d->orders, c + 1);
            draw_links(out, d, o->msgs, next->msgs, c);
        }
    }
    for (guint i = 0; i < d->ordered->len; i++) {
        const struct rep_ordered *o = g_ptr_array_index(d->ordered, i);
        char *label = g_strdup_printf("%s (every host)", rep__model_label(o->model));
        draw_column(out, d, o->order, cols + (int)i, true, label);
        g_free(label);
    }
    svg_close(out);
}

static void split_note(GString *out, const struct rep_ordered *o)
{
    const char *title = rep__model_label(o->model);
    if (o->split_seq == 0) {
        g_string_append(out, "<p>");
        rep_escape_printf(out, "%s: every host delivered the same message at every position of "
                               "its history.", title);
        g_string_append(out, "</p>\n");
        return;
    }
    g_string_append(out, "<p class=\"bad\">");
    rep_escape_printf(out, "%s disagrees too (an agreement violation): position %" PRId64
                           " holds different messages:", title, o->split_seq);
    for (guint i = 0; i < o->split->len; i++) {
        g_string_append(out, i ? ", " : " ");
        rep_escape(out, g_ptr_array_index(o->split, i));
    }
    g_string_append(out, "</p>\n");
}

void rep_fig_order(struct rep_page *p, const struct rep_divergence *d)
{
    GString *out = p->out;
    rep_section_open(out, "order", "Delivery order: the first divergence");
    for (int m = 0; m < model_count(); m++) {
        if (!p->run->has[m] || rep__model_ordered(m) || d->diverges[m])
            continue;
        g_string_append(out, "<p>");
        rep_escape_printf(out, "%s: every host incarnation delivered the messages it shares "
                               "with another in the same order.", rep__model_label(m));
        g_string_append(out, "</p>\n");
    }
    for (guint i = 0; i < d->ordered->len; i++)
        split_note(out, g_ptr_array_index(d->ordered, i));
    if (d->found) {
        char at[REP_TIME_LEN];
        units_format_duration_short(d->t_ns, at, sizeof at);
        g_string_append(out, "<figure>");
        order_svg(out, d);
        rep_caption(out,
                    "By %s %s host %s had received %s before %s, and host %s the other way "
                    "round. Each column is one host incarnation (host#incarnation), top to "
                    "bottom in the order it received these messages; crossing lines are "
                    "disagreements.%s%s",
                    at, rep__model_label(d->model), d->in_order_at, d->first, d->second,
                    d->reversed_at,
                    d->orders->len > MAX_COLUMNS ? " Only the first host incarnations are "
                                                   "shown." : "",
                    d->ordered->len ? " The last columns are the order of the same messages in "
                                      "each model that promises one order, which all its hosts "
                                      "deliver." : "");
        g_string_append(out, "</figure>\n");
    }
    rep_section_close(out);
}
