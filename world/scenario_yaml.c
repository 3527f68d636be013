/* scenario_yaml.c: from scenario bytes to a tree of YAML nodes that remember where they were
 * written, and the list of problems every part of the loader reports into.
 *
 * Hostile input stops here: files that are not UTF-8 text, aliases (the billion-laughs
 * expansion never happens because aliases are rejected, not resolved), nesting deeper than
 * SCENARIO__MAX_DEPTH and extra documents. What the keys mean is not this file's business. */
#include "world/scenario_internal.h"

#include <string.h>
#include <yaml.h>

/* Longest text quoted back in a message, in characters. */
#define MAX_QUOTED_CHARS 40

/* ---- problems ----------------------------------------------------------------------------- */

static void problem_clear(gpointer p)
{
    g_free(((struct scenario__problem *)p)->message);
}

void scenario__diag_init(struct scenario__diag *d, const char *path)
{
    d->path = path;
    d->problems = g_array_new(FALSE, FALSE, sizeof(struct scenario__problem));
    g_array_set_clear_func(d->problems, problem_clear);
    d->n_dropped = 0;
    d->scratch = g_ptr_array_new_with_free_func(g_free);
}

void scenario__diag_clear(struct scenario__diag *d)
{
    g_array_unref(d->problems);
    g_ptr_array_unref(d->scratch);
    d->problems = NULL;
    d->scratch = NULL;
}

void scenario__report(struct scenario__diag *d, int line, int column, const char *fmt, ...)
{
    if (d->problems->len >= SCENARIO__MAX_PROBLEMS) {
        d->n_dropped++;
        return;
    }
    struct scenario__problem p = { .line = line, .column = column, .seq = d->problems->len };
    va_list ap;
    va_start(ap, fmt);
    p.message = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    g_array_append_val(d->problems, p);
}

static gint problem_cmp(gconstpointer pa, gconstpointer pb)
{
    const struct scenario__problem *a = pa, *b = pb;
    if (a->line != b->line)
        return a->line < b->line ? -1 : 1;
    if (a->column != b->column)
        return a->column < b->column ? -1 : 1;
    return a->seq < b->seq ? -1 : a->seq > b->seq;
}

char *scenario__diag_format(const struct scenario__diag *d)
{
    g_array_sort(d->problems, problem_cmp);
    GString *s = g_string_new(NULL);
    for (guint i = 0; i < d->problems->len; i++) {
        const struct scenario__problem *p =
            &g_array_index(d->problems, struct scenario__problem, i);
        if (i > 0)
            g_string_append_c(s, '\n');
        if (p->line > 0)
            g_string_append_printf(s, "%s:%d:%d: %s", d->path, p->line, p->column, p->message);
        else
            g_string_append_printf(s, "%s: %s", d->path, p->message);
    }
    if (d->n_dropped > 0)
        g_string_append_printf(s, "\n%s: %u more problems not shown", d->path, d->n_dropped);
    return g_string_free(s, FALSE);
}

const char *scenario__quote(struct scenario__diag *d, const char *text)
{
    GString *s = g_string_new(NULL);
    size_t chars = 0;
    /* Text reaching here is valid UTF-8 (scenario__read_yaml checked), so stepping by
     * characters is safe; only ASCII control characters need escaping. */
    for (const char *p = text; *p != '\0'; p = g_utf8_next_char(p)) {
        if (chars++ == MAX_QUOTED_CHARS) {
            g_string_append(s, "...");
            break;
        }
        unsigned char c = (unsigned char)*p;
        if (c < 0x20 || c == 0x7f)
            g_string_append_printf(s, "\\x%02X", c);
        else
            g_string_append_len(s, p, g_utf8_next_char(p) - p);
    }
    char *out = g_string_free(s, FALSE);
    g_ptr_array_add(d->scratch, out);
    return out;
}

/* ---- text checks -------------------------------------------------------------------------- */

/* The characters libyaml's reader accepts (YAML 1.1 "printable"). Checking them here lets
 * us name the bad character and its position instead of passing on a byte offset. */
static bool yaml_printable(gunichar c)
{
    return c == 0x09 || c == 0x0A || c == 0x0D || (c >= 0x20 && c <= 0x7E) || c == 0x85 ||
           (c >= 0xA0 && c <= 0xD7FF) || (c >= 0xE000 && c <= 0xFFFD) ||
           (c >= 0x10000 && c <= 0x10FFFF);
}

/* Line breaks as libyaml counts them: LF, CR, CR LF, NEL, LS, PS. */
static bool is_break(gunichar c, const char *next, const char *end)
{
    if (c == '\r')
        return !(next < end && *next == '\n'); /* CR LF counts once, at the LF */
    return c == '\n' || c == 0x85 || c == 0x2028 || c == 0x2029;
}

/* Reports the first byte that makes text unusable as YAML: NUL, invalid UTF-8 or a
 * control character. Binary files fail here, at a precise position. */
static bool check_text(struct scenario__diag *d, const char *text, size_t len)
{
    const char *p = text, *end = text + len;
    int line = 1, column = 1;
    while (p < end) {
        if (*p == '\0') {
            scenario__report(d, line, column, "NUL byte: a scenario is a text file");
            return false;
        }
        gunichar c = g_utf8_get_char_validated(p, end - p);
        if (c == (gunichar)-1 || c == (gunichar)-2) {
            scenario__report(d, line, column, "invalid UTF-8 (byte 0x%02X): a scenario is a "
                             "UTF-8 text file", (unsigned char)*p);
            return false;
        }
        if (!yaml_printable(c)) {
            scenario__report(d, line, column, "control character U+%04X is not allowed",
                             (unsigned)c);
            return false;
        }
        const char *next = g_utf8_next_char(p);
        if (is_break(c, next, end)) {
            line++;
            column = 1;
        } else if (c != '\r' && !(c == 0xFEFF && p == text)) {
            column++; /* a byte order mark at the start is not a column */
        }
        p = next;
    }
    return true;
}

/* ---- tree building ------------------------------------------------------------------------ */

struct builder {
    struct scenario__diag *diag;
    struct scenario__tree *tree;
    GPtrArray *open;    /* collections being filled, innermost last */
    int documents;      /* document starts seen */
    bool stop;          /* stop reading: the rest of the input is not needed */
    bool incomplete;    /* stopped inside the document: the tree is not usable */
    unsigned n_aliases; /* aliases seen; one problem, at the first, reports them all */
    const struct ynode *first_alias;
    const char *first_anchor;
};

/* libyaml marks are 0-based size_t; messages are 1-based int. */
static int one_based(size_t mark)
{
    return mark < (size_t)G_MAXINT ? (int)mark + 1 : G_MAXINT;
}

static void node_free(gpointer p)
{
    struct ynode *n = p;
    g_free(n->text);
    if (n->items)
        g_ptr_array_unref(n->items);
    g_free(n);
}

static struct ynode *add_node(struct builder *b, enum ynode_kind kind, const yaml_mark_t *m)
{
    struct ynode *n = g_new0(struct ynode, 1);
    n->kind = kind;
    n->line = one_based(m->line);
    n->column = one_based(m->column);
    if (kind == SCENARIO_YNODE_MAPPING || kind == SCENARIO_YNODE_SEQUENCE)
        n->items = g_ptr_array_new();
    g_ptr_array_add(b->tree->nodes, n);
    if (b->open->len > 0) {
        struct ynode *parent = g_ptr_array_index(b->open, b->open->len - 1);
        g_ptr_array_add(parent->items, n);
    } else if (!b->tree->root) {
        b->tree->root = n;
    }
    return n;
}

static void on_scalar(struct builder *b, const yaml_event_t *ev)
{
    const char *value = (const char *)ev->data.scalar.value;
    size_t len = ev->data.scalar.length;
    if (memchr(value, '\0', len)) {
        /* Only an escape ("\0" in double quotes) gets here: raw NULs failed check_text. */
        const struct ynode *n = add_node(b, SCENARIO_YNODE_INVALID, &ev->start_mark);
        scenario__report(b->diag, n->line, n->column, "strings must not contain NUL characters");
        return;
    }
    struct ynode *n = add_node(b, SCENARIO_YNODE_SCALAR, &ev->start_mark);
    n->text = g_strndup(value, len);
    n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
}

/* Reading stops at the first collection nested too deep: libyaml's scanner spends time
 * proportional to the nesting depth on every token, so reading on through a megabyte of
 * '[' would take hours. What was read so far is incomplete, so it is not validated. */
static void on_collection_start(struct builder *b, const yaml_event_t *ev,
                                enum ynode_kind kind)
{
    if (b->open->len >= SCENARIO__MAX_DEPTH) {
        scenario__report(b->diag, one_based(ev->start_mark.line),
                         one_based(ev->start_mark.column),
                         "nesting deeper than %d levels is not supported", SCENARIO__MAX_DEPTH);
        b->stop = b->incomplete = true;
        return;
    }
    g_ptr_array_add(b->open, add_node(b, kind, &ev->start_mark));
}

static void on_event(struct builder *b, const yaml_event_t *ev)
{
    switch (ev->type) {
    case YAML_DOCUMENT_START_EVENT:
        /* The first document is complete by now and is still validated. */
        if (++b->documents > 1) {
            scenario__report(b->diag, one_based(ev->start_mark.line),
                             one_based(ev->start_mark.column),
                             "a scenario file holds one YAML document; this starts another");
            b->stop = true;
        }
        break;
    case YAML_ALIAS_EVENT: {
        const struct ynode *n = add_node(b, SCENARIO_YNODE_INVALID, &ev->start_mark);
        if (b->n_aliases++ == 0) {
            b->first_alias = n;
            b->first_anchor = scenario__quote(b->diag, (const char *)ev->data.alias.anchor);
        }
        break;
    }
    case YAML_SCALAR_EVENT:
        on_scalar(b, ev);
        break;
    case YAML_SEQUENCE_START_EVENT:
        on_collection_start(b, ev, SCENARIO_YNODE_SEQUENCE);
        break;
    case YAML_MAPPING_START_EVENT:
        on_collection_start(b, ev, SCENARIO_YNODE_MAPPING);
        break;
    case YAML_SEQUENCE_END_EVENT:
    case YAML_MAPPING_END_EVENT:
        g_ptr_array_set_size(b->open, b->open->len - 1);
        break;
    default:
        break;
    }
}

/* libyaml's own account of a syntax error, at the position it gives. */
static void report_yaml_error(struct scenario__diag *d, const yaml_parser_t *parser)
{
    const char *problem = parser->problem ? parser->problem : "cannot parse";
    int line = one_based(parser->problem_mark.line);
    int column = one_based(parser->problem_mark.column);
    if (parser->error == YAML_MEMORY_ERROR) {
        scenario__report(d, 1, 1, "out of memory while parsing YAML");
    } else if (parser->error == YAML_READER_ERROR) {
        /* check_text() accepts only what the reader accepts, so this is not expected;
         * the reader gives a byte offset, not a position. */
        scenario__report(d, 1, 1, "invalid YAML input: %s (at byte %zu)", problem,
                         parser->problem_offset);
    } else if (parser->context) {
        scenario__report(d, line, column, "YAML syntax error: %s (%s at %d:%d)", problem,
                         parser->context, one_based(parser->context_mark.line),
                         one_based(parser->context_mark.column));
    } else {
        scenario__report(d, line, column, "YAML syntax error: %s", problem);
    }
}

/* Runs libyaml over text; returns false when the tree is incomplete (a syntax error, or
 * nesting too deep). */
static bool build_tree(struct builder *b, const char *text, size_t len)
{
    yaml_parser_t parser;
    bool ok = true, done = false;
    if (!yaml_parser_initialize(&parser)) {
        scenario__report(b->diag, 1, 1, "out of memory while parsing YAML");
        return false;
    }
    yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
    yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
    while (!done && !b->stop) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            report_yaml_error(b->diag, &parser);
            ok = false;
            break;
        }
        on_event(b, &ev);
        done = ev.type == YAML_STREAM_END_EVENT;
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    return ok && !b->incomplete;
}

bool scenario__read_yaml(struct scenario__diag *d, const char *text, size_t len,
                         struct scenario__tree *tree)
{
    tree->root = NULL;
    tree->nodes = g_ptr_array_new_with_free_func(node_free);
    if (!check_text(d, text, len))
        return false;
    struct builder b = { .diag = d, .tree = tree, .open = g_ptr_array_new() };
    bool ok = build_tree(&b, text, len);
    g_ptr_array_unref(b.open);
    /* Aliases are rejected, never expanded: that is what defuses "billion laughs". One
     * problem for all of them keeps such a file from burying every other message. */
    if (b.n_aliases == 1)
        scenario__report(d, b.first_alias->line, b.first_alias->column,
                         "aliases are not supported (*%s): write the value out",
                         b.first_anchor);
    else if (b.n_aliases > 1)
        scenario__report(d, b.first_alias->line, b.first_alias->column,
                         "aliases are not supported (*%s and %u more): write the values out",
                         b.first_anchor, b.n_aliases - 1);
    if (!ok)
        return false;
    const struct ynode *root = tree->root;
    if (!root || (root->kind == SCENARIO_YNODE_SCALAR && scenario__is_null(root))) {
        scenario__report(d, 1, 1, "empty scenario");
        return false;
    }
    if (root->kind == SCENARIO_YNODE_INVALID)
        return false;
    if (root->kind != SCENARIO_YNODE_MAPPING) {
        scenario__report(d, root->line, root->column, "the top level must be a mapping of keys "
                         "(name:, description:, duration:, ...), not %s",
                         scenario__kind_name(root));
        return false;
    }
    return true;
}

void scenario__tree_clear(struct scenario__tree *tree)
{
    if (tree->nodes)
        g_ptr_array_unref(tree->nodes);
    tree->nodes = NULL;
    tree->root = NULL;
}
