/* db_merge.c: `zabsim merge OUT.db IN.db...` (db.h): the runs of several results databases,
 * from shards of one sweep or from sweeps on other machines, in one database.
 *
 * Runs are taken in the order (scenario, seed, models, input, run_id) and numbered after
 * what OUT already holds, so the shards of a sweep merged into a new OUT give the database
 * the sweep would have written, run ids included. Refused before anything is written: an
 * input that is not a zabsim database of this schema, a scenario whose runs come from two
 * different scenario texts, runs from another zabsim version, and the same (scenario, seed,
 * models) twice. A new OUT is built in a private file and moved into place complete; an
 * existing one receives every run in one transaction. */
#include <glib/gstdio.h>
#include <string.h>

#include "reports/db_internal.h"

/* One run to merge. */
struct merge_run {
    guint input;        /* index into the inputs; G_MAXUINT: already in OUT */
    int64_t run_id;
    char *scenario, *scenario_text, *model, *version;
    int64_t seed;
};

static void merge_run_clear(struct merge_run *m)
{
    g_free(m->scenario);
    g_free(m->scenario_text);
    g_free(m->model);
    g_free(m->version);
}

static char *column_text(sqlite3_stmt *st, int col)
{
    const unsigned char *t = sqlite3_column_text(st, col);
    return g_strdup(t ? (const char *)t : "");
}

/* Appends the runs of the database at path (input index `input`) to runs. */
static bool list_runs(const char *path, guint input, GArray *runs, GError **err)
{
    sqlite3 *db = db_open(path, false, err);
    if (!db)
        return false;
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db,
                                 /* A run with a bug switched on is another run of the
                                  * seed: the variant is part of its models' key. */
                                 "SELECT run_id, scenario, scenario_text, seed, "
                                 "model || coalesce(' --variant ' || variant, ''), "
                                 "zabsim_version FROM runs ORDER BY run_id",
                                 -1, &st, NULL) == SQLITE_OK;
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct merge_run m = { .input = input, .run_id = sqlite3_column_int64(st, 0),
                               .scenario = column_text(st, 1),
                               .scenario_text = column_text(st, 2),
                               .seed = sqlite3_column_int64(st, 3), .model = column_text(st, 4),
                               .version = column_text(st, 5) };
        g_array_append_val(runs, m);
    }
    if (!ok || rc != SQLITE_DONE) {
        db__set_error(err, db, "reading its runs");
        g_prefix_error(err, "%s: ", path);
        ok = false;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return ok;
}

static gint by_scenario_seed(gconstpointer pa, gconstpointer pb)
{
    const struct merge_run *a = pa, *b = pb;
    int c = strcmp(a->scenario, b->scenario);
    if (c)
        return c;
    if (a->seed != b->seed)
        return a->seed < b->seed ? -1 : 1;
    if ((c = strcmp(a->model, b->model)))
        return c;
    if (a->input != b->input)
        return a->input < b->input ? -1 : 1;
    return a->run_id < b->run_id ? -1 : a->run_id > b->run_id;
}

static const char *where(const struct merge_run *m, const char *out, const char *const *inputs)
{
    return m->input == G_MAXUINT ? out : inputs[m->input];
}

/* The refusals: one text per scenario, one version, each (scenario, seed, models) once.
 * runs is sorted. */
static bool check_runs(const GArray *runs, const char *out, const char *const *inputs,
                       GError **err)
{
    for (guint i = 0; i < runs->len; i++) {
        const struct merge_run *m = &g_array_index(runs, struct merge_run, i);
        const struct merge_run *first = &g_array_index(runs, struct merge_run, 0);
        if (strcmp(m->version, first->version) != 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                        "%s run %" G_GINT64_FORMAT " comes from zabsim %s, %s run %"
                        G_GINT64_FORMAT " from zabsim %s: merge results of one version",
                        where(m, out, inputs), m->run_id, m->version,
                        where(first, out, inputs), first->run_id, first->version);
            return false;
        }
        if (i == 0)
            continue;
        const struct merge_run *p = &g_array_index(runs, struct merge_run, i - 1);
        if (strcmp(p->scenario, m->scenario) != 0)
            continue;
        if (strcmp(p->scenario_text, m->scenario_text) != 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                        "scenario %s: %s run %" G_GINT64_FORMAT " and %s run %" G_GINT64_FORMAT
                        " ran different scenario files under one name",
                        m->scenario, where(p, out, inputs), p->run_id, where(m, out, inputs),
                        m->run_id);
            return false;
        }
        if (p->seed == m->seed && strcmp(p->model, m->model) == 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                        "scenario %s seed %" G_GINT64_FORMAT " (%s) is in %s run %"
                        G_GINT64_FORMAT " and in %s run %" G_GINT64_FORMAT ": a seed once",
                        m->scenario, m->seed, m->model, where(p, out, inputs), p->run_id,
                        where(m, out, inputs), m->run_id);
            return false;
        }
    }
    return true;
}

/* Copies the inputs' runs into db, a new database, each under run id first_id + its place
 * in runs' order: one input at a time (SQLite attaches a few databases at once, not a
 * hundred shards), one transaction each. */
static bool stage_runs(sqlite3 *db, const GArray *runs, const char *const *inputs,
                       size_t n_inputs, int64_t first_id, int64_t *staged, GError **err)
{
    bool ok = true;
    for (size_t in = 0; ok && in < n_inputs; in++) {
        ok = db__attach_run(db, inputs[in], err);
        if (!ok)
            break;
        bool in_transaction = db_exec(db, "merge", "BEGIN", 0, err);
        ok = in_transaction;
        int64_t id = first_id;
        for (guint i = 0; ok && i < runs->len; i++) {
            const struct merge_run *m = &g_array_index(runs, struct merge_run, i);
            if (m->input == G_MAXUINT)
                continue; /* already in OUT */
            if (m->input == in) {
                ok = db__copy_run(db, m->run_id, id, err);
                *staged += ok;
            }
            id++;
        }
        ok = ok && db_exec(db, "merge", "COMMIT", 0, err);
        if (!ok && in_transaction)
            db_exec(db, "merge", "ROLLBACK", 0, NULL);
        db_exec(db, "merge", "DETACH DATABASE run", 0, NULL);
    }
    return ok;
}

/* Creates the private database beside out that the runs are staged in. */
static sqlite3 *create_stage(const char *out, char **private_path, GError **err)
{
    *private_path = db__claim_private_path(out, err);
    if (!*private_path)
        return NULL;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(*private_path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        db__set_error(err, db, "creating the merged database");
        sqlite3_close(db);
        return NULL;
    }
    /* Private until complete, and discarded on failure: no journal, no fsync but the one
     * before it is published. */
    if (!db_exec(db, "merge", "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF", 0, err) ||
        !db__create_schema(db, NULL, err)) {
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

/* Appends the staged runs to an existing out in one transaction, renumbered after what out
 * holds by then (another process may have appended a run meanwhile). */
static bool append_staged(const char *out, const char *private_path, int64_t first_id,
                          int64_t staged, GError **err)
{
    sqlite3 *db = db_open(out, true, err);
    if (!db)
        return false;
    bool attached = db__attach_run(db, private_path, err);
    bool in_transaction = attached && db_exec(db, "merge", "BEGIN IMMEDIATE", 0, err);
    int64_t next = 0;
    bool ok = in_transaction && db__next_run_id(db, &next, err);
    for (int64_t k = 0; ok && k < staged; k++)
        ok = db__copy_run(db, first_id + k, next + k, err);
    ok = ok && db_exec(db, "merge", "COMMIT", 0, err);
    if (!ok && in_transaction)
        db_exec(db, "merge", "ROLLBACK", 0, NULL);
    if (attached)
        db_exec(db, "merge", "DETACH DATABASE run", 0, NULL);
    sqlite3_close(db);
    return ok;
}

bool db_merge(const char *out, const char *const *inputs, size_t n_inputs, int64_t *merged,
              GError **err)
{
    *merged = 0;
    GArray *runs = g_array_new(FALSE, FALSE, sizeof(struct merge_run));
    g_array_set_clear_func(runs, (GDestroyNotify)merge_run_clear);
    bool out_exists = g_file_test(out, G_FILE_TEST_EXISTS);
    bool ok = !out_exists || list_runs(out, G_MAXUINT, runs, err);
    guint already = runs->len;
    for (size_t i = 0; ok && i < n_inputs; i++) {
        if (g_strcmp0(inputs[i], out) == 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "%s is both the output and an input",
                        out);
            ok = false;
        }
        ok = ok && list_runs(inputs[i], (guint)i, runs, err);
    }
    if (ok && runs->len > 0) {
        g_array_sort(runs, by_scenario_seed);
        ok = check_runs(runs, out, inputs, err);
    }
    char *private_path = NULL;
    sqlite3 *db = ok ? create_stage(out, &private_path, err) : NULL;
    ok = db != NULL;
    int64_t first_id = 1 + (int64_t)already, staged = 0;
    ok = ok && stage_runs(db, runs, inputs, n_inputs, first_id, &staged, err);
    if (db && sqlite3_close(db) != SQLITE_OK && ok) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "closing the merged database failed");
        ok = false;
    }
    if (ok && out_exists) {
        ok = append_staged(out, private_path, first_id, staged, err);
    } else if (ok) {
        enum db_publish_result r = db__sync_file(private_path, err)
                                       ? db__publish_file(private_path, out, err)
                                       : DB_PUBLISH_FAILED;
        if (r == DB_PUBLISH_TARGET_EXISTS)
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                        "%s appeared while the merge ran; nothing was written to it", out);
        ok = r == DB_PUBLISH_DONE;
    }
    if (private_path)
        g_unlink(private_path); /* gone already once published */
    *merged = ok ? staged : 0;
    g_free(private_path);
    g_array_free(runs, TRUE);
    return ok;
}
