/* cmd_check.c: `zabsim check DB...` re-derives every invariant from the tables of each run
 * (reports/check.c replays them through the models' oracles), never from runs.verdict or
 * the violations table, and prints either `run N (scenario, seed S): ok` or each violation
 * with the rows that prove it. A run recorded at summary level has no rows to replay: it is
 * reported as not re-checked, with what its own oracles found while it ran. */
#include <inttypes.h>
#include <stdio.h>

#include "reports/check.h"
#include "reports/db.h"
#include "tools/cli.h"

static void print_violations(const struct oracle_result *res)
{
    for (guint i = 0; i < res->violations->len; i++) {
        const struct oracle_violation *v = g_ptr_array_index(res->violations, i);
        printf("  %s.%s: %s\n", v->model, v->invariant, v->detail);
        char **lines = g_strsplit(v->evidence, "\n", -1);
        for (char **l = lines; *l; l++) {
            if (**l)
                printf("    %s\n", *l);
        }
        g_strfreev(lines);
    }
}

/* A summary-level run: what the run's own oracles found (its violations table). */
static int report_summary_run(sqlite3 *db, const char *path, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    int64_t found = -1;
    if (sqlite3_prepare_v2(db, "SELECT count(*) FROM violations WHERE run_id = ?1", -1, &st,
                           NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, run_id);
        if (sqlite3_step(st) == SQLITE_ROW)
            found = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    if (found < 0) {
        fprintf(stderr, "zabsim check: %s: run %" PRId64 ": %s\n", path, run_id,
                sqlite3_errmsg(db));
        return EXIT_BAD_INPUT;
    }
    printf("not re-checked: recorded at summary level, without the rows to replay; while it "
           "ran, its oracles found %s (zabsim run --record outcomes keeps the rows)\n",
           found ? "violations (table violations)" : "none");
    return found ? EXIT_VIOLATION : EXIT_OK;
}

/* Checks one run; returns its exit status. */
static int check_one_run(sqlite3 *db, const char *path, int64_t run_id, const char *scenario,
                         uint64_t seed, const char *record)
{
    struct oracle_result res;
    GError *err = NULL;
    if (g_strcmp0(record, "summary") == 0) {
        printf("run %" PRId64 " (%s, seed %" PRIu64 "): ", run_id, scenario, seed);
        return report_summary_run(db, path, run_id);
    }
    if (!check_run(db, run_id, &res, &err)) {
        fprintf(stderr, "zabsim check: %s: run %" PRId64 ": %s\n", path, run_id, err->message);
        g_error_free(err);
        return EXIT_BAD_INPUT;
    }
    printf("run %" PRId64 " (%s, seed %" PRIu64 "): ", run_id, scenario, seed);
    int status = EXIT_OK;
    if (res.found == 0) {
        printf("ok\n");
    } else {
        printf("%" PRId64 " violation%s\n", res.found, res.found == 1 ? "" : "s");
        print_violations(&res);
        status = EXIT_VIOLATION;
    }
    oracle_result_clear(&res);
    return status;
}

static int worse(int a, int b)
{
    /* An unusable database outranks a violation: the check could not be completed. */
    if (a == EXIT_BAD_INPUT || b == EXIT_BAD_INPUT)
        return EXIT_BAD_INPUT;
    return MAX(a, b);
}

/* Checks every run of one database, or only run `only` when it is not -1. */
static int check_database(const char *path, int64_t only)
{
    GError *err = NULL;
    sqlite3 *db = db_open(path, false, &err);
    if (!db) {
        fprintf(stderr, "zabsim check: %s\n", err->message);
        g_error_free(err);
        return EXIT_BAD_INPUT;
    }
    sqlite3_stmt *st = NULL;
    int status = EXIT_OK, rc = SQLITE_ERROR;
    bool seen = false;
    if (sqlite3_prepare_v2(db,
                           "SELECT run_id, scenario, seed, record FROM runs "
                           "WHERE ?1 = -1 OR run_id = ?1 ORDER BY run_id",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, only);
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
            seen = true;
            status = worse(status, check_one_run(db, path, sqlite3_column_int64(st, 0),
                                                 (const char *)sqlite3_column_text(st, 1),
                                                 (uint64_t)sqlite3_column_int64(st, 2),
                                                 (const char *)sqlite3_column_text(st, 3)));
        }
    }
    if (rc != SQLITE_DONE) {
        fprintf(stderr, "zabsim check: %s: %s\n", path, sqlite3_errmsg(db));
        status = EXIT_BAD_INPUT;
    } else if (only != -1 && !seen) {
        fprintf(stderr, "zabsim check: %s: no run %" PRId64 "\n", path, only);
        status = EXIT_BAD_INPUT;
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return status;
}

int cmd_check(int argc, char **argv)
{
    gint64 only = -1; /* every run */
    GOptionEntry entries[] = {
        { "run", 0, 0, G_OPTION_ARG_INT64, &only, "Check only the run with this run_id", "ID" },
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = g_option_context_new("DB... - re-check the invariants");
    g_option_context_set_summary(
        ctx, "Re-derives every invariant of each run's models (docs/database.md, Invariants) "
             "from the\ntables of each results database, replaying them through the same "
             "oracles the run used,\nwithout trusting the run's own verdict or violations "
             "table, and prints each violation\nwith the rows that prove it. A run recorded "
             "at summary level (zabsim sweep's default)\nhas no rows to replay: check says so "
             "and reports what the run's oracles found.");
    g_option_context_set_description(
        ctx, "Exit status: 0 every invariant holds, 1 a violation was found, 2 a database is "
             "unreadable,\nnot a zabsim database, or has no such run.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    if (!parsed || argc < 2 || (only != -1 && only < 1)) {
        fprintf(stderr, "zabsim check: %s\n",
                !parsed ? err->message : argc < 2 ? "no database given" : "--run must be >= 1");
        g_clear_error(&err);
        g_option_context_free(ctx);
        return EXIT_BAD_INPUT;
    }
    g_option_context_free(ctx);
    int status = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        if (argc > 2)
            printf("%s%s:\n", i > 1 ? "\n" : "", argv[i]);
        fflush(stdout);
        status = worse(status, check_database(argv[i], only));
    }
    return status;
}
