/* scenario_rewrite.c: a scenario file's text with another seed and more faults, for the
 * concrete scenarios `zabsim explore` draws (scenario.h, scenario_text_with). The file is
 * edited line by line, not re-serialized, so its comments, order and spelling survive and
 * the result reads like the file a person wrote. */
#include "world/scenario_internal.h"

#include <inttypes.h>
#include <limits.h>
#include <string.h>

/* The top-level key named `name`, and the first line of the next top-level key after it
 * (0 when it is the last). */
static const struct ynode *top_key(const struct ynode *root, const char *name, int *next_line)
{
    const struct ynode *key = NULL;
    for (guint i = 0; i + 1 < root->items->len; i += 2) {
        const struct ynode *k = g_ptr_array_index(root->items, i);
        if (k->kind == SCENARIO_YNODE_SCALAR && strcmp(k->text, name) == 0)
            key = k;
    }
    *next_line = 0;
    for (guint i = 0; key && i + 1 < root->items->len; i += 2) {
        const struct ynode *k = g_ptr_array_index(root->items, i);
        if (k->line > key->line && (*next_line == 0 || k->line < *next_line))
            *next_line = k->line;
    }
    return key;
}

/* The value of key in mapping map, or NULL. */
static const struct ynode *lookup(const struct ynode *map, const char *key)
{
    if (!map || map->kind != SCENARIO_YNODE_MAPPING)
        return NULL;
    for (guint i = 0; i + 1 < map->items->len; i += 2) {
        const struct ynode *k = g_ptr_array_index(map->items, i);
        if (k->kind == SCENARIO_YNODE_SCALAR && strcmp(k->text, key) == 0)
            return g_ptr_array_index(map->items, i + 1);
    }
    return NULL;
}

/* The tree of a scenario text whose top level is a mapping; false (with err) otherwise. */
static bool read_tree(const char *text, struct scenario__tree *tree, GError **err)
{
    struct scenario__diag diag;
    scenario__diag_init(&diag, "scenario");
    bool ok = scenario__read_yaml(&diag, text, strlen(text), tree) && tree->root &&
              tree->root->kind == SCENARIO_YNODE_MAPPING;
    if (!ok)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "the scenario text is not a YAML mapping");
    scenario__diag_clear(&diag);
    return ok;
}

/* Appends each line of items ("- {...}\n" lines) to out, indented by `indent` spaces. */
static void append_items(GString *out, const char *items, int indent)
{
    char **lines = g_strsplit(items, "\n", -1);
    for (char **l = lines; *l; l++) {
        if (**l)
            g_string_append_printf(out, "%*s%s\n", indent, "", *l);
    }
    g_strfreev(lines);
}

char *scenario_text_with(const struct scenario *sc, uint64_t seed, const char *faults,
                         GError **err)
{
    struct scenario__tree tree = { 0 };
    const char *path = sc->path ? sc->path : sc->name;
    char *result = NULL;
    if (!read_tree(sc->text, &tree, err))
        goto out;
    int seed_next, faults_next;
    const struct ynode *seed_key = top_key(tree.root, "seed", &seed_next);
    const struct ynode *faults_key = top_key(tree.root, "faults", &faults_next);
    const struct ynode *faults_value = lookup(tree.root, "faults");
    /* Where the new faults go: a block list gets them as its last items; no list, or an
     * empty one, a new one. A list written in flow style ([...]) cannot be extended by
     * lines, and a key not at the start of its line is not the top level. */
    bool block_list = faults_value && faults_value->kind == SCENARIO_YNODE_SEQUENCE &&
                      faults_value->items->len > 0 &&
                      ((const struct ynode *)g_ptr_array_index(faults_value->items, 0))->line >
                          faults_key->line;
    bool empty = faults_value && scenario__is_null(faults_value);
    if ((faults_key && (faults_key->column != 1 || (!block_list && !empty))) ||
        (seed_key && seed_key->column != 1)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "%s: explore adds its faults to a "
                    "block-style `faults:` list (one `- {...}` per line) at the top level of "
                    "a block-style file; rewrite the file that way", path);
        goto out;
    }
    int item_indent = 2;
    if (block_list)
        item_indent = ((const struct ynode *)g_ptr_array_index(faults_value->items, 0))->column -
                      3; /* "- " before the item */
    char **lines = g_strsplit(sc->text, "\n", -1);
    guint n_lines = g_strv_length(lines);
    if (n_lines > 0 && lines[n_lines - 1][0] == '\0')
        n_lines--; /* the text ended with a newline */
    GString *out = g_string_new(NULL);
    for (guint i = 0; i < n_lines; i++) {
        int line = (int)i + 1;
        if (faults_key && block_list && faults_next == line)
            append_items(out, faults, MAX(item_indent, 0));
        if (seed_key && line == seed_key->line) {
            g_string_append_printf(out, "seed: %" PRIu64 "\n", seed);
            continue;
        }
        if (faults_key && empty && line == faults_key->line) {
            g_string_append(out, "faults:\n");
            append_items(out, faults, 2);
            continue;
        }
        g_string_append_printf(out, "%s\n", lines[i]);
    }
    if (faults_key && block_list && faults_next == 0)
        append_items(out, faults, MAX(item_indent, 0));
    if (!seed_key)
        g_string_append_printf(out, "seed: %" PRIu64 "\n", seed);
    if (!faults_key) {
        g_string_append(out, "faults:\n");
        append_items(out, faults, 2);
    }
    g_strfreev(lines);
    result = g_string_free(out, FALSE);
out:
    scenario__tree_clear(&tree);
    return result;
}

/* ---- edits for shrinking ----------------------------------------------------------------- */

/* Byte offset of (line, column) in text, or -1. */
static gssize offset_of(const char *text, int line, int column)
{
    const char *p = text;
    for (int l = 1; l < line; l++) {
        p = strchr(p, '\n');
        if (!p)
            return -1;
        p++;
    }
    return (p - text) + column - 1;
}

/* The end of the flow-style collection (`{...}` or `[...]`) that starts at text[at], or -1.
 * Quoted scalars inside are skipped whole: a bracket in them does not count. */
static gssize flow_end(const char *text, gssize at)
{
    int depth = 0;
    char quote = 0;
    for (gssize i = at; text[i]; i++) {
        char c = text[i];
        if (quote) {
            if (c == quote)
                quote = 0;
        } else if (c == '"' || c == '\'') {
            quote = c;
        } else if (c == '{' || c == '[') {
            depth++;
        } else if ((c == '}' || c == ']') && --depth == 0) {
            return i + 1;
        }
    }
    return -1;
}

char *scenario_text_set(const char *text, const char *section, const char *key,
                        const char *value, GError **err)
{
    struct scenario__tree tree = { 0 };
    char *result = NULL;
    if (read_tree(text, &tree, err)) {
        const struct ynode *n = section ? lookup(lookup(tree.root, section), key)
                                        : lookup(tree.root, key);
        gssize at = n ? offset_of(text, n->line, n->column) : -1;
        gssize end = -1;
        /* Only a plain scalar's text is exactly its bytes in the file; a flow-style
         * collection runs to its closing bracket. */
        if (n && at >= 0 && n->kind == SCENARIO_YNODE_SCALAR && n->plain &&
            strncmp(text + at, n->text, strlen(n->text)) == 0)
            end = at + (gssize)strlen(n->text);
        else if (n && at >= 0 && n->kind != SCENARIO_YNODE_SCALAR &&
                 (text[at] == '{' || text[at] == '['))
            end = flow_end(text, at);
        if (end < 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                        "%s%s%s is not written as a plain value or a flow-style collection",
                        section ? section : "", section ? "." : "", key);
        } else {
            GString *s = g_string_new_len(text, at);
            g_string_append(s, value);
            g_string_append(s, text + end);
            result = g_string_free(s, FALSE);
        }
    }
    scenario__tree_clear(&tree);
    return result;
}

guint scenario_text_faults(const char *text)
{
    struct scenario__tree tree = { 0 };
    guint n = 0;
    if (read_tree(text, &tree, NULL)) {
        const struct ynode *faults = lookup(tree.root, "faults");
        if (faults && faults->kind == SCENARIO_YNODE_SEQUENCE)
            n = faults->items->len;
    }
    scenario__tree_clear(&tree);
    return n;
}

char *scenario_text_drop_fault(const char *text, guint index, GError **err)
{
    struct scenario__tree tree = { 0 };
    char *result = NULL;
    if (!read_tree(text, &tree, err))
        goto out;
    int next_line;
    const struct ynode *key = top_key(tree.root, "faults", &next_line);
    const struct ynode *faults = lookup(tree.root, "faults");
    if (!faults || faults->kind != SCENARIO_YNODE_SEQUENCE || index >= faults->items->len) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "no fault %u to drop", index);
        goto out;
    }
    const struct ynode *item = g_ptr_array_index(faults->items, index);
    const struct ynode *after = index + 1 < faults->items->len
                                    ? g_ptr_array_index(faults->items, index + 1) : NULL;
    /* A block list's item is its lines, up to the next item or the next top-level key. */
    int first = item->line, last = after ? after->line - 1 : next_line ? next_line - 1 : INT_MAX;
    if (item->line <= key->line || (after && after->line == item->line)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "faults are not a block-style list");
        goto out;
    }
    char **lines = g_strsplit(text, "\n", -1);
    GString *s = g_string_new(NULL);
    for (guint i = 0; lines[i]; i++) {
        int line = (int)i + 1;
        if (line >= first && line <= last)
            continue;
        g_string_append(s, lines[i]);
        if (lines[i + 1])
            g_string_append_c(s, '\n');
    }
    g_strfreev(lines);
    result = g_string_free(s, FALSE);
out:
    scenario__tree_clear(&tree);
    return result;
}

char *scenario_text_fault_on(const char *text, int line, int column, const char *on,
                             GError **err)
{
    struct scenario__tree tree = { 0 };
    char *result = NULL;
    if (!read_tree(text, &tree, err))
        goto out;
    const struct ynode *faults = lookup(tree.root, "faults");
    const struct ynode *item = NULL;
    for (guint i = 0; faults && faults->kind == SCENARIO_YNODE_SEQUENCE &&
                      i < faults->items->len; i++) {
        const struct ynode *n = g_ptr_array_index(faults->items, i);
        if (n->line == line && n->column == column)
            item = n;
    }
    gssize start = item ? offset_of(text, item->line, item->column) : -1;
    if (!item || item->kind != SCENARIO_YNODE_MAPPING || start < 0 || text[start] != '{') {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "no flow-style fault at %d:%d", line, column);
        goto out;
    }
    /* `at: T`, from its key to the end of its plain value, becomes on. */
    for (guint i = 0; i + 1 < item->items->len; i += 2) {
        const struct ynode *k = g_ptr_array_index(item->items, i);
        const struct ynode *v = g_ptr_array_index(item->items, i + 1);
        if (k->kind != SCENARIO_YNODE_SCALAR || strcmp(k->text, "at") != 0)
            continue;
        gssize from = offset_of(text, k->line, k->column);
        gssize at = offset_of(text, v->line, v->column);
        if (v->kind != SCENARIO_YNODE_SCALAR || !v->plain || from < 0 || at < 0 ||
            strncmp(text + at, v->text, strlen(v->text)) != 0)
            break;
        GString *s = g_string_new_len(text, from);
        g_string_append(s, on);
        g_string_append(s, text + at + strlen(v->text));
        result = g_string_free(s, FALSE);
        goto out;
    }
    g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "the fault at %d:%d has no plain `at:`", line,
                column);
out:
    scenario__tree_clear(&tree);
    return result;
}
