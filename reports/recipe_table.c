/* recipe_table.c: see recipe_table.h. */
#include "reports/recipe_table.h"

#include "world/model.h"
#include "world/summary_columns.h"

#include <string.h>

#define LABEL_WIDTH 48
#define VALUE_WIDTH 12

struct recipe_column {
    int recipe;
    char *model, *kind;
    bool fencing;
};

static bool model_shown(unsigned models, const char *name)
{
    if (models == 0)
        return true;
    for (model_id id = 0; id < model_count(); id++) {
        if (strcmp(model_get(id)->name, name) == 0)
            return (models & (1u << id)) != 0;
    }
    return false;
}

static void clear_column(gpointer p)
{
    struct recipe_column *c = p;
    g_free(c->model);
    g_free(c->kind);
}

/* The recipes of the run that are shown, in recipe order; NULL when unreadable. */
static GArray *load_recipes(sqlite3 *db, int64_t run_id, unsigned models)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT recipe, model, kind, fencing FROM recipe_summary "
                           "WHERE run_id = ?1 ORDER BY recipe",
                           -1, &st, NULL) != SQLITE_OK)
        return NULL;
    sqlite3_bind_int64(st, 1, run_id);
    GArray *cols = g_array_new(FALSE, FALSE, sizeof(struct recipe_column));
    g_array_set_clear_func(cols, clear_column);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *model = (const char *)sqlite3_column_text(st, 1);
        if (!model_shown(models, model ? model : ""))
            continue;
        const char *kind = (const char *)sqlite3_column_text(st, 2);
        struct recipe_column c = { .recipe = sqlite3_column_int(st, 0),
                                   .model = g_strdup(model ? model : "?"),
                                   .kind = g_strdup(kind ? kind : "?"),
                                   .fencing = sqlite3_column_int(st, 3) != 0 };
        g_array_append_val(cols, c);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        g_array_free(cols, TRUE);
        return NULL;
    }
    return cols;
}

static void label(GString *out, int indent, const char *text)
{
    g_string_append_printf(out, "%*s%-*s", indent, "", LABEL_WIDTH, text);
}

/* The table of cols into out; false when a measure cannot be read. */
static bool render(sqlite3 *db, int64_t run_id, const GArray *cols, const char *title,
                   int indent, GString *out)
{
    g_string_append_printf(out, "%-*s", indent + LABEL_WIDTH, title);
    for (guint k = 0; k < cols->len; k++)
        g_string_append_printf(out, " %*s", VALUE_WIDTH,
                               g_array_index(cols, struct recipe_column, k).model);
    g_string_append_c(out, '\n');
    label(out, indent, "kind");
    for (guint k = 0; k < cols->len; k++)
        g_string_append_printf(out, " %*s", VALUE_WIDTH,
                               g_array_index(cols, struct recipe_column, k).kind);
    g_string_append_c(out, '\n');
    label(out, indent, "fencing");
    for (guint k = 0; k < cols->len; k++)
        g_string_append_printf(out, " %*s", VALUE_WIDTH,
                               g_array_index(cols, struct recipe_column, k).fencing ? "on"
                                                                                   : "off");
    g_string_append_c(out, '\n');
    bool ok = true;
    for (size_t i = 0; i < recipe_columns_count && ok; i++) {
        const struct summary_column *c = &recipe_columns[i];
        char text[LABEL_WIDTH + 1];
        g_snprintf(text, sizeof text, "%s%s", c->indent ? "  " : "", c->label);
        label(out, indent, text);
        char *sql = g_strdup_printf("SELECT %s FROM recipe_summary WHERE run_id = ?1 AND "
                                    "recipe = ?2", c->name);
        sqlite3_stmt *st = NULL;
        ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
        g_free(sql);
        for (guint k = 0; ok && k < cols->len; k++) {
            sqlite3_reset(st);
            sqlite3_bind_int64(st, 1, run_id);
            sqlite3_bind_int(st, 2, g_array_index(cols, struct recipe_column, k).recipe);
            int rc = sqlite3_step(st);
            bool present = rc == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL;
            ok = rc == SQLITE_ROW || rc == SQLITE_DONE;
            char value[32];
            summary_format_value(present ? sqlite3_column_int64(st, 0) : 0, present, c->unit,
                                 value, sizeof value);
            g_string_append_printf(out, " %*s", VALUE_WIDTH, value);
        }
        sqlite3_finalize(st);
        g_string_append_c(out, '\n');
    }
    g_string_append_c(out, '\n');
    return ok;
}

bool recipe_table_render(sqlite3 *db, int64_t run_id, unsigned models, const char *title,
                         int indent, GString *out)
{
    GArray *cols = load_recipes(db, run_id, models);
    if (!cols)
        return false;
    GString *table = g_string_new(NULL);
    bool ok = cols->len == 0 || render(db, run_id, cols, title, indent, table);
    if (ok)
        g_string_append_len(out, table->str, (gssize)table->len);
    g_string_free(table, TRUE);
    g_array_free(cols, TRUE);
    return ok;
}
