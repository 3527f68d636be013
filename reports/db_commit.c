/* db_commit.c: publishing a finished run into its target database (db_run_commit).
 *
 * A new target is the private file itself, moved into place in one step once its verdict is
 * set and its content is on disk. An existing target receives the run in one transaction:
 * ATTACH the private file, take the next run_id, copy every table with run_id remapped,
 * COMMIT. Readers of the target therefore see a run completely or not at all, and a target
 * that is not a zabsim database, or has another schema version, is never written. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "reports/db_internal.h"

static bool set_verdict(struct db_run *r, const char *verdict, GError **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(r->db, "UPDATE runs SET verdict = ?1 WHERE run_id = 1", -1,
                                 &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, verdict, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        db__set_error(err, r->db, "setting the verdict");
    sqlite3_finalize(st);
    return ok;
}

bool db__sync_file(const char *path, GError **err)
{
    int fd = g_open(path, O_RDONLY, 0);
    if (fd < 0 || fsync(fd) != 0) {
        int e = errno;
        if (fd >= 0)
            close(fd);
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", path, g_strerror(e));
        return false;
    }
    close(fd);
    return true;
}

static bool close_private(struct db_run *r, GError **err)
{
    if (sqlite3_close(r->db) != SQLITE_OK) {
        db__set_error(err, r->db, "closing the run database");
        return false;
    }
    r->db = NULL;
    return true;
}

enum db_publish_result db__publish_file(const char *private_path, const char *target_path,
                                        GError **err)
{
    /* link() refuses to replace an existing file, unlike rename(): two runs that both found
     * no target cannot overwrite each other's results. */
    if (link(private_path, target_path) == 0) {
        g_unlink(private_path);
        return DB_PUBLISH_DONE;
    }
    if (errno == EEXIST)
        return DB_PUBLISH_TARGET_EXISTS;
    /* File systems without hard links: rename, after checking (narrowly racy) that it
     * replaces nothing. */
    if (g_file_test(target_path, G_FILE_TEST_EXISTS))
        return DB_PUBLISH_TARGET_EXISTS;
    if (g_rename(private_path, target_path) == 0)
        return DB_PUBLISH_DONE;
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: cannot move the results into place: %s",
                target_path, g_strerror(errno));
    return DB_PUBLISH_FAILED;
}

bool db__attach_run(sqlite3 *db, const char *path, GError **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "ATTACH DATABASE ?1 AS run", -1, &st, NULL) == SQLITE_OK;
    if (ok) {
        sqlite3_bind_text(st, 1, path, -1, SQLITE_STATIC);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        db__set_error(err, db, "attaching the run");
    sqlite3_finalize(st);
    return ok;
}

/* Column list of a table of the attached run database, run_id left out, each name quoted
 * and preceded by ", ". */
static bool run_table_columns(sqlite3 *db, const char *table, GString *cols, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT name FROM pragma_table_info(?1, 'run') ORDER BY cid",
                           -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "reading the run's tables");
        return false;
    }
    sqlite3_bind_text(st, 1, table, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        if (g_strcmp0(name, "run_id") == 0)
            continue;
        char *quoted = sqlite3_mprintf(", \"%w\"", name);
        g_string_append(cols, quoted);
        sqlite3_free(quoted);
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, db, "reading the run's tables");
        return false;
    }
    return true;
}

/* INSERT INTO main.<table> SELECT ... FROM run.<table> of one run, rows in their original
 * order, under a new run_id. */
static bool copy_table(sqlite3 *db, const char *table, int64_t from_run_id, int64_t run_id,
                       GError **err)
{
    GString *cols = g_string_new(NULL);
    if (!run_table_columns(db, table, cols, err)) {
        g_string_free(cols, TRUE);
        return false;
    }
    char *sql = sqlite3_mprintf("INSERT INTO main.\"%w\" (run_id%s) SELECT ?1%s "
                                "FROM run.\"%w\" WHERE run_id = ?2 ORDER BY rowid",
                                table, cols->str, cols->str, table);
    g_string_free(cols, TRUE);
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK;
    sqlite3_free(sql);
    if (ok) {
        sqlite3_bind_int64(st, 1, run_id);
        sqlite3_bind_int64(st, 2, from_run_id);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        db__set_error(err, db, table);
    sqlite3_finalize(st);
    return ok;
}

bool db__copy_run(sqlite3 *db, int64_t from_run_id, int64_t run_id, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT name FROM run.sqlite_schema WHERE type = 'table' "
                           "AND name NOT LIKE 'sqlite%' ORDER BY name",
                           -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "reading the run's tables");
        return false;
    }
    bool ok = true;
    int rc;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW)
        ok = copy_table(db, (const char *)sqlite3_column_text(st, 0), from_run_id, run_id,
                        err);
    if (ok && rc != SQLITE_DONE) {
        db__set_error(err, db, "reading the run's tables");
        ok = false;
    }
    sqlite3_finalize(st);
    return ok;
}

bool db__next_run_id(sqlite3 *db, int64_t *run_id, GError **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db, "SELECT coalesce(max(run_id), 0) + 1 FROM main.runs", -1,
                                 &st, NULL) == SQLITE_OK &&
              sqlite3_step(st) == SQLITE_ROW;
    if (ok)
        *run_id = sqlite3_column_int64(st, 0);
    else
        db__set_error(err, db, "choosing a run_id");
    sqlite3_finalize(st);
    return ok;
}

/* Appends the private file's run to an existing target in one transaction. */
static bool append_run(struct db_run *r, int64_t *run_id, GError **err)
{
    sqlite3 *db = db_open(r->target_path, true, err);
    if (!db)
        return false;
    int64_t id = 0;
    bool attached = db__attach_run(db, r->private_path, err);
    /* IMMEDIATE: take the write lock before reading max(run_id), so that concurrent
     * appenders cannot pick the same id. */
    bool in_transaction = attached && db_exec(db, "append", "BEGIN IMMEDIATE", 0, err);
    bool ok = in_transaction && db__next_run_id(db, &id, err) &&
              db__copy_run(db, DB_PRIVATE_RUN_ID, id, err) &&
              db_exec(db, "append", "COMMIT", 0, err);
    if (!ok && in_transaction)
        db_exec(db, "append", "ROLLBACK", 0, NULL);
    if (attached)
        db_exec(db, "append", "DETACH DATABASE run", 0, NULL);
    sqlite3_close(db);
    if (!ok) {
        g_prefix_error(err, "%s: run not added: ", r->target_path);
        return false;
    }
    if (run_id)
        *run_id = id;
    return true;
}

bool db_run_commit(struct db_run *r, const char *verdict, int64_t *run_id, GError **err)
{
    bool ok = false;
    if (!r->finished) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                    "db_run_commit needs a successful db_run_finish first");
    } else if (set_verdict(r, verdict, err) && close_private(r, err)) {
        /* The private file was written without fsyncs: it must be durable before it can
         * become the target. Appended to an existing target (every seed of a sweep but the
         * first), it is only read, and the target's own transaction makes the copy durable. */
        bool exists = g_file_test(r->target_path, G_FILE_TEST_EXISTS);
        enum db_publish_result published = DB_PUBLISH_TARGET_EXISTS;
        if (!exists)
            published = db__sync_file(r->private_path, err)
                            ? db__publish_file(r->private_path, r->target_path, err)
                            : DB_PUBLISH_FAILED;
        switch (published) {
        case DB_PUBLISH_DONE:
            ok = true;
            if (run_id)
                *run_id = DB_PRIVATE_RUN_ID;
            break;
        case DB_PUBLISH_TARGET_EXISTS:
            ok = append_run(r, run_id, err);
            break;
        case DB_PUBLISH_FAILED:
            break;
        }
    }
    db__run_discard(r);
    db__run_free(r);
    return ok;
}
