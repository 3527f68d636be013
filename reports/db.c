/* db.c: opening results databases and running the embedded SQL scripts.
 *
 * Everything that reads a results database goes through db_open(), which refuses files that
 * are not zabsim databases or carry another schema version before anything is read or
 * written, and runs SQL files (schema, summary, checks, canned queries) with db_exec_rows().
 * Recording a run is reports/db_run.c, publishing it reports/db_commit.c. */
#include "reports/db_internal.h"

#include <inttypes.h>
#include <string.h>

/* Readers and appenders wait this long for a writer (another run being appended by `zabsim
 * sweep`, say) before giving up. */
#define DB_BUSY_TIMEOUT_MS (5 * 60 * 1000)

void db__set_error(GError **err, sqlite3 *db, const char *what)
{
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", what, sqlite3_errmsg(db));
}

static bool read_pragma(sqlite3 *db, const char *sql, int64_t *value)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *value = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return ok;
}

/* The file format check: application_id says the file is ours, user_version which schema. */
static bool check_format(sqlite3 *db, const char *path, GError **err)
{
    int64_t app_id = 0, version = 0;
    if (!read_pragma(db, "PRAGMA application_id", &app_id) ||
        !read_pragma(db, "PRAGMA user_version", &version)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: not a zabsim results database (%s)",
                    path, sqlite3_errmsg(db));
        return false;
    }
    if (app_id != DB_APPLICATION_ID) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                    "%s: not a zabsim results database (application_id %" PRId64 ")", path,
                    app_id);
        return false;
    }
    if (version != DB_SCHEMA_VERSION) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                    "%s: written by %s zabsim (schema version %" PRId64 "; this zabsim "
                    "reads version %d)",
                    path, version > DB_SCHEMA_VERSION ? "a newer" : "an older", version,
                    DB_SCHEMA_VERSION);
        return false;
    }
    return true;
}

sqlite3 *db_open(const char *path, bool writable, GError **err)
{
    /* SQLite would open a missing path as an empty database when creating is allowed and
     * report a bare "unable to open" otherwise; say what is wrong instead. */
    if (!g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: no such file", path);
        return NULL;
    }
    sqlite3 *db = NULL;
    int flags = writable ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: cannot open: %s", path,
                    db ? sqlite3_errmsg(db) : "out of memory");
        sqlite3_close(db);
        return NULL;
    }
    sqlite3_busy_timeout(db, DB_BUSY_TIMEOUT_MS);
    /* Readers (check, report) scan whole tables: map the file rather than copy it page by
     * page through read(), and keep more of it cached. */
    if (!writable)
        sqlite3_exec(db, "PRAGMA mmap_size = 1073741824; PRAGMA cache_size = -65536", NULL,
                     NULL, NULL);
    if (!check_format(db, path, err)) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Line (1-based) of the first character of the statement starting at stmt: its leading
 * whitespace and comments belong to the statement in SQLite's eyes but not in a reader's. */
static int statement_line(const char *sql, const char *stmt)
{
    const char *p = stmt;
    for (;;) {
        while (*p && g_ascii_isspace(*p))
            p++;
        if (p[0] == '-' && p[1] == '-') {
            p += strcspn(p, "\n");
            continue;
        }
        break;
    }
    int line = 1;
    for (const char *q = sql; q < p; q++)
        line += *q == '\n';
    return line;
}

bool db_exec_rows(sqlite3 *db, const char *name, const char *sql, int64_t run_id,
                  db_row_fn *row_fn, void *ctx, GError **err)
{
    const char *next = sql;
    while (*next) {
        const char *start = next;
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, start, -1, &st, &next) != SQLITE_OK) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s:%d: %s", name,
                        statement_line(sql, start), sqlite3_errmsg(db));
            return false;
        }
        if (!st) /* only comments or whitespace were left */
            break;
        int param = sqlite3_bind_parameter_index(st, ":run_id");
        if (param > 0)
            sqlite3_bind_int64(st, param, run_id);
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            if (row_fn && !row_fn(ctx, st, err)) {
                sqlite3_finalize(st);
                return false;
            }
        }
        if (rc != SQLITE_DONE) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s:%d: %s", name,
                        statement_line(sql, start), sqlite3_errmsg(db));
            sqlite3_finalize(st);
            return false;
        }
        sqlite3_finalize(st);
    }
    return true;
}

bool db_exec(sqlite3 *db, const char *name, const char *sql, int64_t run_id, GError **err)
{
    return db_exec_rows(db, name, sql, run_id, NULL, NULL, err);
}

const char *db_measures_sql(void)
{
    return embedded_measures_sql;
}
