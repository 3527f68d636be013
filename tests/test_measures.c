/* test_measures.c: the measures mean what reports/measures.sql says, on real runs.
 *
 * Every scenario is swept over seeds 1..5 at outcomes level through the zabsim command; then
 * every query of measures.sql must return, for every run, exactly what the run wrote into
 * run_summary, host_summary and catchups (computed while it ran, world/run_measures.c);
 * docs/database.md must quote every query word for word; every loss of a message whose
 * receiver was up must have a drop row saying why; and the same seed recorded at summary
 * level must give the same measures while writing no per-message row. A scenario with a
 * queue group is added, since none of the shipped ones has one. */
#include "tests/harness.h"

#include "reports/db.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

struct block {
    char *header; /* "lost, lost_in_transit, missed_while_down" */
    char *query;
};

/* The "-- measure:" blocks of measures.sql. */
static GArray *measure_blocks(void)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct block));
    char **lines = g_strsplit(db_measures_sql(), "\n", -1);
    struct block *cur = NULL;
    GString *query = NULL;
    for (char **l = lines;; l++) {
        bool start = *l && g_str_has_prefix(*l, "-- measure: ");
        if (cur && (!*l || start)) {
            cur->query = g_strstrip(g_string_free(query, FALSE));
            cur = NULL;
        }
        if (!*l)
            break;
        if (start) {
            struct block b = { .header = g_strdup(*l + strlen("-- measure: ")) };
            g_array_append_val(out, b);
            cur = &g_array_index(out, struct block, out->len - 1);
            query = g_string_new(NULL);
        } else if (cur && !g_str_has_prefix(*l, "--")) {
            g_string_append_printf(query, "%s\n", *l);
        }
    }
    g_strfreev(lines);
    return out;
}

static void blocks_free(GArray *blocks)
{
    for (guint i = 0; i < blocks->len; i++) {
        g_free(g_array_index(blocks, struct block, i).header);
        g_free(g_array_index(blocks, struct block, i).query);
    }
    g_array_free(blocks, TRUE);
}

/* Every row of sql (with :run_id = run_id), one line each, columns separated by '|'. */
static char *rows_of_run(sqlite3 *db, const char *sql, int64_t run_id)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        char *e = g_strdup_printf("prepare failed: %s\n%s", sqlite3_errmsg(db), sql);
        return e;
    }
    int k = sqlite3_bind_parameter_index(st, ":run_id");
    if (k > 0)
        sqlite3_bind_int64(st, k, run_id);
    GString *out = g_string_new(NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        for (int c = 0; c < sqlite3_column_count(st); c++) {
            const char *v = (const char *)sqlite3_column_text(st, c);
            g_string_append_printf(out, "%s%s", c ? "|" : "", v ? v : "NULL");
        }
        g_string_append_c(out, '\n');
    }
    sqlite3_finalize(st);
    return g_string_free(out, FALSE);
}

static char *rows_of(sqlite3 *db, const char *sql)
{
    return rows_of_run(db, sql, 1);
}

/* What run :run_id wrote for a block: a table's rows, or run_summary's columns. */
static char *written_for(sqlite3 *db, const char *header, int64_t run_id)
{
    char *sql;
    if (strcmp(header, "catchups") == 0)
        sql = g_strdup("SELECT c.model, host, incarnation, started_ns, caught_up_ns "
                       "FROM catchups AS c JOIN models AS m ON m.run_id = c.run_id AND "
                       "m.model = c.model WHERE c.run_id = :run_id "
                       "ORDER BY m.position, host, incarnation");
    else if (strcmp(header, "host_summary") == 0)
        sql = g_strdup("SELECT s.model, s.host, counted, delivered, lost, lost_in_transit, "
                       "missed_while_down FROM host_summary AS s "
                       "JOIN models AS m ON m.run_id = s.run_id AND m.model = s.model "
                       "JOIN hosts AS h ON h.run_id = s.run_id AND h.host = s.host "
                       "WHERE s.run_id = :run_id ORDER BY m.position, h.host_index");
    else
        sql = g_strdup_printf("SELECT model, %s FROM run_summary WHERE run_id = :run_id",
                              header);
    char *rows = rows_of_run(db, sql, run_id);
    g_free(sql);
    return rows;
}

/* The scenarios the checks run on: every shipped one, and leader_crash with a queue group. */
static GPtrArray *scenario_paths(const char *dir)
{
    GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
    const char *scenarios = test_source_path("scenarios");
    GDir *d = g_dir_open(scenarios, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    const char *name;
    while ((name = g_dir_read_name(d))) {
        if (g_str_has_suffix(name, ".yaml"))
            g_ptr_array_add(paths, g_build_filename(scenarios, name, NULL));
    }
    g_dir_close(d);
    g_ptr_array_sort(paths, (GCompareFunc)g_strcmp0);
    char *text = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(test_source_path("scenarios/leader_crash.yaml"), &text,
                                        NULL, NULL));
    GString *grouped = g_string_new(text);
    g_string_replace(grouped, "name: leader_crash", "name: leader_crash_queue_group", 1);
    g_string_append(grouped, "pubsub:\n  queue_group: workers\n");
    char *path = g_build_filename(dir, "leader_crash_queue_group.yaml", NULL);
    CU_ASSERT_FATAL(g_file_set_contents(path, grouped->str, -1, NULL));
    g_ptr_array_add(paths, path);
    g_string_free(grouped, TRUE);
    g_free(text);
    return paths;
}

/* Seeds each scenario is swept over. */
#define SEEDS 5

static char *tmp_dir;
static GPtrArray *dbs;         /* per scenario: seeds 1..SEEDS at outcomes level */
static GPtrArray *summary_dbs; /* per scenario: seed 1 at summary level */

static int suite_init(void)
{
    tmp_dir = g_dir_make_tmp("zabsim-measures-XXXXXX", NULL);
    dbs = g_ptr_array_new_with_free_func(g_free);
    summary_dbs = g_ptr_array_new_with_free_func(g_free);
    return tmp_dir ? 0 : 1;
}

static void unlink_all(GPtrArray *paths)
{
    for (guint i = 0; i < paths->len; i++)
        g_unlink(g_ptr_array_index(paths, i));
    g_ptr_array_free(paths, TRUE);
}

static int suite_clean(void)
{
    unlink_all(dbs);
    unlink_all(summary_dbs);
    char *grouped = g_build_filename(tmp_dir, "leader_crash_queue_group.yaml", NULL);
    g_unlink(grouped);
    g_free(grouped);
    g_rmdir(tmp_dir);
    g_free(tmp_dir);
    return 0;
}

/* Runs zabsim; a run or sweep exits 0 (pass) or 1 (an expectation not met), both leaving a
 * database. */
static void run_zabsim(const char *const *argv, const char *db)
{
    char *err = NULL;
    int code = test_zabsim(argv, NULL, &err);
    if (code != 0 && code != 1)
        fprintf(stderr, "\nzabsim %s %s exited %d: %s\n", argv[0], argv[1], code,
                err ? err : "");
    CU_ASSERT(code == 0 || code == 1);
    g_free(err);
    CU_ASSERT(g_file_test(db, G_FILE_TEST_EXISTS));
}

static void test_every_scenario_runs(void)
{
    GPtrArray *paths = scenario_paths(tmp_dir);
    char seeds[16];
    g_snprintf(seeds, sizeof seeds, "1..%d", SEEDS);
    for (guint i = 0; i < paths->len; i++) {
        const char *path = g_ptr_array_index(paths, i);
        char *base = g_path_get_basename(path);
        char *db = g_strdup_printf("%s/%s.db", tmp_dir, base);
        char *summary_db = g_strdup_printf("%s/%s-summary.db", tmp_dir, base);
        const char *sweep[] = { "sweep", path, "--seeds", seeds, "--jobs", "2", "--record",
                                "outcomes", "--db", db, NULL };
        run_zabsim(sweep, db);
        const char *run[] = { "run", path, "--seed", "1", "--record", "summary", "--db",
                              summary_db, NULL };
        run_zabsim(run, summary_db);
        g_ptr_array_add(dbs, db);
        g_ptr_array_add(summary_dbs, summary_db);
        g_free(base);
    }
    g_ptr_array_free(paths, TRUE);
    CU_ASSERT(dbs->len >= 16);
}

/* What comparing one database found; computed on worker threads, asserted on the main one
 * (CUnit is not thread-safe). */
struct comparison {
    const char *path;
    GString *mismatches;
    int runs;
    int catchups;     /* runs with a restart of a host in a model that replays history */
    int empty_blocks; /* blocks other than catchups that returned no row */
};

static void compare_database(gpointer data, gpointer user)
{
    struct comparison *c = data;
    const GArray *blocks = user;
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(c->path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        g_string_append_printf(c->mismatches, "%s: cannot open\n", c->path);
        sqlite3_close(db);
        return;
    }
    char *n = rows_of(db, "SELECT count(*) FROM runs");
    c->runs = (int)g_ascii_strtoll(n, NULL, 10);
    g_free(n);
    for (int64_t run = 1; run <= c->runs; run++) {
        for (guint b = 0; b < blocks->len; b++) {
            const struct block *blk = &g_array_index(blocks, struct block, b);
            char *want = rows_of_run(db, blk->query, run);
            char *got = written_for(db, blk->header, run);
            if (strcmp(want, got) != 0)
                g_string_append_printf(c->mismatches, "%s, run %" G_GINT64_FORMAT
                                       ", measure %s:\nquery says\n%srun wrote\n%s",
                                       c->path, run, blk->header, want, got);
            if (strcmp(blk->header, "catchups") == 0)
                c->catchups += want[0] != '\0';
            else
                c->empty_blocks += want[0] == '\0'; /* one row per model at least */
            g_free(want);
            g_free(got);
        }
    }
    sqlite3_close(db);
}

static void test_every_query_returns_what_the_run_wrote(void)
{
    GArray *blocks = measure_blocks();
    CU_ASSERT(blocks->len >= 14);
    struct comparison *cs = g_new0(struct comparison, dbs->len);
    GThreadPool *pool = g_thread_pool_new(compare_database, blocks, 2, TRUE, NULL);
    for (guint i = 0; i < dbs->len; i++) {
        cs[i] = (struct comparison){ .path = g_ptr_array_index(dbs, i),
                                     .mismatches = g_string_new(NULL) };
        g_thread_pool_push(pool, &cs[i], NULL);
    }
    g_thread_pool_free(pool, FALSE, TRUE);
    int catchups = 0;
    for (guint i = 0; i < dbs->len; i++) {
        if (cs[i].mismatches->len)
            fprintf(stderr, "\n%s", cs[i].mismatches->str);
        CU_ASSERT_EQUAL(cs[i].mismatches->len, 0);
        CU_ASSERT_EQUAL(cs[i].runs, SEEDS);
        CU_ASSERT_EQUAL(cs[i].empty_blocks, 0);
        catchups += cs[i].catchups;
        g_string_free(cs[i].mismatches, TRUE);
    }
    g_free(cs);
    CU_ASSERT(catchups >= 3 * SEEDS);
    blocks_free(blocks);
}

/* The measures' tables of run run_id, whole. */
static char *measure_rows(sqlite3 *db, int64_t run_id)
{
    GString *all = g_string_new(NULL);
    const char *const tables[] = {
        "SELECT * FROM run_summary WHERE run_id = :run_id",
        "SELECT * FROM host_summary WHERE run_id = :run_id ORDER BY model, host",
        "SELECT * FROM catchups WHERE run_id = :run_id ORDER BY model, host, incarnation",
        "SELECT model, invariant, detail, evidence FROM violations WHERE run_id = :run_id "
        "ORDER BY rowid",
    };
    for (size_t i = 0; i < G_N_ELEMENTS(tables); i++) {
        char *rows = rows_of_run(db, tables[i], run_id);
        g_string_append(all, rows);
        g_free(rows);
    }
    return g_string_free(all, FALSE);
}

/* Recording less changes no measure, and summary level writes nothing per message. */
static void test_summary_level_gives_the_same_measures_without_rows(void)
{
    for (guint i = 0; i < summary_dbs->len; i++) {
        sqlite3 *full = NULL, *lean = NULL;
        CU_ASSERT_FATAL(sqlite3_open_v2(g_ptr_array_index(dbs, i), &full, SQLITE_OPEN_READONLY,
                                        NULL) == SQLITE_OK);
        CU_ASSERT_FATAL(sqlite3_open_v2(g_ptr_array_index(summary_dbs, i), &lean,
                                        SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
        char *want = measure_rows(full, 1), *got = measure_rows(lean, 1);
        if (strcmp(want, got) != 0)
            fprintf(stderr, "\n%s: summary level wrote\n%s\noutcomes level\n%s",
                    (const char *)g_ptr_array_index(summary_dbs, i), got, want);
        CU_ASSERT_STRING_EQUAL(want, got);
        CU_ASSERT(strstr(want, "|") != NULL);
        char *per_message = rows_of(lean, "SELECT (SELECT count(*) FROM submissions) + "
                                          "(SELECT count(*) FROM deliveries) + (SELECT count(*) "
                                          "FROM drops) + (SELECT count(*) FROM messages) + "
                                          "(SELECT count(*) FROM proposals)");
        CU_ASSERT_STRING_EQUAL(per_message, "0\n");
        char *levels = rows_of(lean, "SELECT record FROM runs");
        CU_ASSERT_STRING_EQUAL(levels, "summary\n");
        char *kept = rows_of(lean, "SELECT (SELECT count(*) FROM host_states) > 0 AND "
                                   "(SELECT count(*) FROM host_lives) > 0");
        CU_ASSERT_STRING_EQUAL(kept, "1\n");
        g_free(kept);
        g_free(levels);
        g_free(per_message);
        g_free(want);
        g_free(got);
        sqlite3_close(full);
        sqlite3_close(lean);
    }
}

static void test_docs_quote_every_query(void)
{
    char *doc = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(test_source_path("docs/database.md"), &doc, NULL, NULL));
    GArray *blocks = measure_blocks();
    for (guint b = 0; b < blocks->len; b++) {
        const struct block *blk = &g_array_index(blocks, struct block, b);
        if (!strstr(doc, blk->query))
            fprintf(stderr, "\ndocs/database.md does not quote the query of %s\n", blk->header);
        CU_ASSERT_PTR_NOT_NULL(strstr(doc, blk->query));
    }
    blocks_free(blocks);
    g_free(doc);
}

/* A message lost while its receiver was up went somewhere: a drop row says where. Losses
 * while the receiver was down need none (nothing was sent to a host that was not there),
 * though the model usually records one. */
static void test_every_loss_in_transit_has_a_drop_row(void)
{
    int64_t losses = 0;
    for (guint i = 0; i < dbs->len; i++) {
        sqlite3 *db = NULL;
        CU_ASSERT_FATAL(sqlite3_open_v2(g_ptr_array_index(dbs, i), &db, SQLITE_OPEN_READONLY,
                                        NULL) == SQLITE_OK);
        char *unexplained = rows_of(db, "SELECT model, msg_id, host FROM losses "
                                        "WHERE receiver_up = 1 AND cause IS NULL LIMIT 5");
        if (unexplained[0])
            fprintf(stderr, "\n%s: losses in transit without a drop row:\n%s",
                    (const char *)g_ptr_array_index(dbs, i), unexplained);
        CU_ASSERT_STRING_EQUAL(unexplained, "");
        /* And the summary's count of them is what the losses add up to, cause by cause. */
        char *by_cause = rows_of(db, "SELECT (SELECT sum(lost_in_transit) FROM run_summary) = "
                                     "(SELECT count(*) FROM losses WHERE receiver_up = 1 "
                                     "AND cause IS NOT NULL)");
        CU_ASSERT_STRING_EQUAL(by_cause, "1\n");
        char *n = rows_of(db, "SELECT count(*) FROM losses");
        losses += g_ascii_strtoll(n, NULL, 10);
        g_free(n);
        g_free(by_cause);
        g_free(unexplained);
        sqlite3_close(db);
    }
    CU_ASSERT(losses > 1000); /* the scenarios do lose messages: the check was exercised */
}

void test_register(void)
{
    CU_pSuite s = CU_add_suite("measures on real runs", suite_init, suite_clean);
    CU_add_test(s, "test_every_scenario_runs", test_every_scenario_runs);
    CU_add_test(s, "test_every_query_returns_what_the_run_wrote",
                test_every_query_returns_what_the_run_wrote);
    CU_add_test(s, "test_every_loss_in_transit_has_a_drop_row",
                test_every_loss_in_transit_has_a_drop_row);
    CU_add_test(s, "test_summary_level_gives_the_same_measures_without_rows",
                test_summary_level_gives_the_same_measures_without_rows);
    TEST_SUITE("measures documented", TEST(test_docs_quote_every_query));
}
