/* recipe_table.h: the coordination recipes' measures as a text table, a column per recipe
 * headed by its backend model, under its kind and whether its resource fences, a row per
 * column of recipe_summary (world/summary_columns.h's recipe_columns). `zabsim run` prints it
 * under its summary and `zabsim report` beside its own, so the two cannot differ. */
#ifndef REPORTS_RECIPE_TABLE_H
#define REPORTS_RECIPE_TABLE_H

#include <glib.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>

/* Appends the table of run_id's recipes to out, then an empty line; nothing when the run has
 * none. models: the backends to show (bits by model id), 0 for all. Labels take
 * indent + 48 columns, the first line's being `title`. False, with nothing appended, when
 * the database cannot be read. */
bool recipe_table_render(sqlite3 *db, int64_t run_id, unsigned models, const char *title,
                         int indent, GString *out);

#endif
