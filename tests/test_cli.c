/* test_cli.c: the command line says what is wrong, in every command: usage lines name
 * zabsim, sweep's argument errors explain themselves, a fault target that no selected model
 * can resolve is refused before anything runs, partitions print their groups, slow links and
 * disks take symbolic targets, report --window is honoured in text and refused past the end,
 * a misspelt expect: key gets a suggestion, and runs killed at random points leave the
 * database whole and no litter after the next run. Each check runs the real binary. */
#include "tests/harness.h"
#include "world/scenario.h"

#include <glib.h>
#include <inttypes.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

static char *dir;

static int setup(void)
{
    dir = g_dir_make_tmp("zabsim-cli-XXXXXX", NULL);
    return dir ? 0 : 1;
}

static int teardown(void)
{
    char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(dir);
    return 0;
}

static char *write_scenario(const char *name, const char *text)
{
    char *path = g_build_filename(dir, name, NULL);
    CU_ASSERT_FATAL(g_file_set_contents(path, text, -1, NULL));
    return path;
}

/* Runs zabsim; asserts its status; returns its stderr (to free). */
static char *expect_status(int want, const char *const *argv)
{
    char *out = NULL, *err = NULL;
    int status = test_zabsim(argv, &out, &err);
    if (status != want)
        fprintf(stderr, "\nzabsim %s ...: exit %d, wanted %d\n%s%s", argv[0], status, want,
                out ? out : "", err ? err : "");
    CU_ASSERT_EQUAL(status, want);
    g_free(out);
    return err ? err : g_strdup("");
}

static void expect_error(const char *const *argv, const char *message)
{
    char *err = expect_status(2, argv);
    if (!strstr(err, message))
        fprintf(stderr, "\nwanted \"%s\" in:\n%s", message, err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, message));
    g_free(err);
}

static void test_every_usage_line_names_zabsim(void)
{
    static const char *const commands[] = { "run", "validate", "check", "sweep", "report" };
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        const char *argv[] = { commands[i], "--help", NULL };
        char *out = NULL;
        CU_ASSERT_EQUAL(test_zabsim(argv, &out, NULL), 0);
        char *want = g_strdup_printf("Usage:\n  zabsim %s ", commands[i]);
        CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want));
        g_free(want);
        g_free(out);
        /* and an option error names the command */
        const char *bad[] = { commands[i], "--no-such-option", NULL };
        char *err = expect_status(2, bad);
        char *prefix = g_strdup_printf("zabsim %s: ", commands[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(err, prefix));
        g_free(prefix);
        g_free(err);
    }
}

/* zabsim conform refuses, before starting anything, what real servers cannot do here, and
 * the recorded-only models cannot be simulated. */
static void test_conform_refuses_what_it_cannot_run(void)
{
    const char *power[] = { "conform", test_source_path("scenarios/power_off_unsynced.yaml"),
                            NULL };
    expect_error(power, "power_off cannot be reproduced on real servers");
    char *tmp = g_dir_make_tmp("zabsim-cli-XXXXXX", NULL);
    /* Partitions run (in network namespaces); a slow link does not. */
    char *slow = g_build_filename(tmp, "slow.yaml", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(
        slow, "name: slow\ndescription: a slow link\nduration: 5s\nhosts: 3\nfaults:\n"
              "  - {at: 1s, partition: [[h1], [h2, h3]]}\n"
              "  - {at: 2s, slow_link: {from: h1, to: h2, latency: {dist: fixed, value: 5ms}, "
              "for: 1s}}\n", -1, NULL));
    const char *slow_link[] = { "conform", slow, NULL };
    expect_error(slow_link, "slow.yaml:7:5: slow_link cannot be reproduced on real servers");
    g_unlink(slow);
    g_free(slow);
    /* Cuts of 4 minutes or more let libnats reconnect from outside its host's side. */
    char *long_cut = g_build_filename(tmp, "long.yaml", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(long_cut, "name: long\ndescription: a long cut\n"
                                                 "duration: 300s\nhosts: 3\nfaults:\n"
                                                 "  - {at: 1s, isolate: h1}\n"
                                                 "  - {at: 250s, heal: all}\n", -1, NULL));
    const char *long_argv[] = { "conform", long_cut, NULL };
    expect_error(long_argv, "long.yaml:6:5: isolate cannot be reproduced on real servers: a cut "
                            "of 4 minutes or more");
    g_unlink(long_cut);
    g_free(long_cut);
    char *big = g_build_filename(tmp, "big.yaml", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(big, "name: big\ndescription: a large payload\n"
                                            "duration: 5s\nhosts: 3\n"
                                            "workload: {payload: 100000}\n", -1, NULL));
    const char *payload[] = { "conform", big, NULL };
    expect_error(payload, "a real run sends payloads of at most 65536 bytes (this one asks "
                          "for 100000)");
    g_unlink(big);
    g_rmdir(tmp);
    g_free(big);
    g_free(tmp);
    const char *none[] = { "conform", NULL };
    expect_error(none, "give one or more scenario files");
    const char *gate[] = { "conform", test_source_path("scenarios/conform_leader_crash.yaml"),
                           "--gate", "loose", NULL };
    expect_error(gate, "--gate takes 'wide' or 'safety', not 'loose'");
    const char *runs[] = { "conform", test_source_path("scenarios/conform_leader_crash.yaml"),
                           "--runs", "0", NULL };
    expect_error(runs, "--runs takes 1 to 100");
    const char *real[] = { "run", test_source_path("scenarios/calm.yaml"), "--model",
                           "zab-real", NULL };
    expect_error(real, "--model: zab-real is recorded from the real system by zabsim conform; "
                       "it cannot be simulated (try --model zab)");
}

static void test_sweep_argument_errors_say_what_is_wrong(void)
{
    const char *calm = test_source_path("scenarios/calm.yaml");
    static const struct {
        const char *seeds, *message;
    } cases[] = {
        { "5..1", "--seeds 5..1: the range is empty (5 is above 1); did you mean 1..5?" },
        { "1-5", "--seeds 1-5: write a range as A..B with two dots, such as 1..5" },
        { "abc", "--seeds abc: give a range A..B of whole numbers" },
        { "7", "--seeds 7: give a range A..B; for this one seed, --seeds 7..7" },
        { "1..x", "--seeds 1..x: both ends must be whole numbers" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        const char *argv[] = { "sweep", calm, "--seeds", cases[i].seeds, NULL };
        expect_error(argv, cases[i].message);
    }
    const char *no_seeds[] = { "sweep", calm, NULL };
    expect_error(no_seeds, "--seeds is required");
    const char *jobs[] = { "sweep", calm, "--seeds", "1..2", "--jobs", "0", NULL };
    expect_error(jobs, "--jobs 0: give the number of simulations to run in parallel, 1 to 256");
    const char *empty[] = { "sweep", calm, "--seeds", "1..2", "--shard", "3/4", NULL };
    expect_error(empty, "--shard 3/4: 4 shards of 2 seeds would leave some empty; use at most 2 "
                        "shards");
    const char *above[] = { "sweep", calm, "--seeds", "1..9", "--shard", "5/4", NULL };
    expect_error(above, "--shard 5/4: give I/N, this machine's shard I of N");
    const char *zero[] = { "sweep", calm, "--seeds", "1..9", "--shard", "0/4", NULL };
    expect_error(zero, "--shard 0/4: give I/N, this machine's shard I of N");
}

static void test_a_target_no_selected_model_resolves_is_refused(void)
{
    char *db = g_build_filename(dir, "refused.db", NULL);
    const char *argv[] = { "run", test_source_path("scenarios/leader_crash.yaml"), "--model",
                           "pubsub", "--db", db, NULL };
    /* zab first, then whichever other registered models have a leader */
    expect_error(argv, "the crash fault targets 'leader', which only zab ");
    expect_error(argv, "can resolve, and this run has only pubsub: add one with --model or "
                       "the scenario's models:, or name the host");
    CU_ASSERT_FALSE(g_file_test(db, G_FILE_TEST_EXISTS)); /* nothing ran */
    const char *sweep[] = { "sweep", test_source_path("scenarios/leader_crash.yaml"),
                            "--seeds", "1..2", "--model", "pubsub", "--db", db, NULL };
    expect_error(sweep, "which only zab ");
    g_free(db);
}

static const char faults_yaml[] =
    "name: cli_faults\n"
    "description: symbolic slow targets, a partition and a heal\n"
    "duration: 3s\n"
    "hosts: 3\n"
    "workload: {clients: 1, rate: 50/s, stop: 2s}\n"
    "faults:\n"
    "  - {at: 1s, slow_disk: {host: leader, fsync: 20ms, for: 500ms}}\n"
    "  - {at: 1100ms, slow_link: {from: leader, to: follower, latency: 5ms, for: 500ms}}\n"
    "  - {at: 1200ms, partition: [[h1], [h2, h3]]}\n"
    "  - {at: 1300ms, heal: all}\n";

/* One column of the faults rows, in time order, joined by '\n'. */
static char *fault_column(const char *db_path, const char *column)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    char *sql = g_strdup_printf("SELECT %s FROM faults ORDER BY t_ns", column);
    sqlite3_stmt *st = NULL;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    GString *out = g_string_new(NULL);
    while (sqlite3_step(st) == SQLITE_ROW)
        g_string_append_printf(out, "%s\n", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(db);
    g_free(sql);
    return g_string_free(out, FALSE);
}

static void test_faults_resolve_symbolic_hosts_and_show_groups(void)
{
    char *yaml = write_scenario("faults.yaml", faults_yaml);
    char *db = g_build_filename(dir, "faults.db", NULL);
    const char *run[] = { "run", yaml, "--db", db, NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(run, &out, NULL), 0);
    /* the text names the groups, never "all", for a partition */
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "partition h1 | h2,h3"));
    g_free(out);
    /* the leader at 1 s is the host whose states say LEADING then */
    sqlite3 *h = NULL;
    CU_ASSERT_FATAL(sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(h, "SELECT host FROM host_states WHERE model = 'zab' "
                                          "AND state = 'LEADING' AND t_ns < 1000000000 "
                                          "ORDER BY trace_seq DESC LIMIT 1",
                                       -1, &st, NULL) == SQLITE_OK);
    CU_ASSERT_FATAL(sqlite3_step(st) == SQLITE_ROW);
    char *leader = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    char *targets = fault_column(db, "target");
    char **rows = g_strsplit(targets, "\n", -1);
    CU_ASSERT_STRING_EQUAL(rows[0], leader);                /* slow_disk: leader */
    CU_ASSERT_TRUE(g_str_has_prefix(rows[1], leader));      /* slow_link: leader,follower */
    CU_ASSERT_EQUAL(strlen(rows[1]), 2 * strlen(leader) + 1);
    CU_ASSERT_STRING_EQUAL(rows[2], "h1 | h2,h3");
    CU_ASSERT_STRING_EQUAL(rows[3], "all");
    char *details = fault_column(db, "detail");
    CU_ASSERT_PTR_NOT_NULL(strstr(details, "fsync 20ms"));
    CU_ASSERT_PTR_NULL(strstr(details, "nothing done"));
    g_strfreev(rows);
    g_free(details);
    g_free(targets);
    g_free(leader);
    g_free(db);
    g_free(yaml);
}

static void test_report_window_is_honoured_in_text_and_checked(void)
{
    char *yaml = write_scenario("window.yaml", faults_yaml);
    char *db = g_build_filename(dir, "window.db", NULL);
    const char *run[] = { "run", yaml, "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run, NULL, NULL), 0);
    const char *narrow[] = { "report", db, "--window", "1150ms..1250ms", NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(narrow, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "from 1.15s to 1.25s (--window)"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "partition"));   /* at 1.2 s: inside */
    CU_ASSERT_PTR_NULL(out && strstr(out, "slow_disk"));       /* at 1 s: outside */
    g_free(out);
    const char *past[] = { "report", db, "--window", "1s..5s", NULL };
    expect_error(past, "--window ends at 5s, after run 1 ended (3s): give at most 1s..3s");
    const char *after[] = { "report", db, "--window", "4s..5s", "--html",
                            "/dev/null/never.html", NULL };
    expect_error(after, "--window starts at 4s, after run 1 ended (3s)");
    g_free(db);
    g_free(yaml);
}

static void test_misspelt_expect_keys_get_a_suggestion(void)
{
    char *yaml = write_scenario("expect.yaml", "name: e\ndescription: d\nduration: 2s\nhosts: 3\n"
                                               "expect:\n  zab: {ack_p99: 10ms, lsot: 0}\n");
    const char *argv[] = { "validate", yaml, NULL };
    char *err = expect_status(2, argv);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'ack_p99' in expect.zab; did you mean "
                                       "'ack_p99_ns'?"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "unknown key 'lsot' in expect.zab; did you mean "
                                       "'lost'?"));
    g_free(err);
    g_free(yaml);
}

/* Every table of a database as text, rows in run and recording order, wall_ms left out. */
static char *dump_without_wall_time(const char *db_path)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    GString *out = g_string_new(NULL);
    sqlite3_stmt *tables = NULL;
    sqlite3_prepare_v2(db, "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT "
                           "LIKE 'sqlite%' ORDER BY name", -1, &tables, NULL);
    while (sqlite3_step(tables) == SQLITE_ROW) {
        const char *table = (const char *)sqlite3_column_text(tables, 0);
        GString *cols = g_string_new(NULL);
        sqlite3_stmt *info = NULL;
        char *q = sqlite3_mprintf("SELECT name FROM pragma_table_info('%q')", table);
        sqlite3_prepare_v2(db, q, -1, &info, NULL);
        sqlite3_free(q);
        while (sqlite3_step(info) == SQLITE_ROW) {
            const char *col = (const char *)sqlite3_column_text(info, 0);
            if (strcmp(col, "wall_ms") != 0)
                g_string_append_printf(cols, "%s\"%s\"", cols->len ? ", " : "", col);
        }
        sqlite3_finalize(info);
        char *sql = sqlite3_mprintf("SELECT %s FROM \"%w\" ORDER BY run_id, rowid", cols->str,
                                    table);
        sqlite3_stmt *rows = NULL;
        CU_ASSERT_FATAL(sqlite3_prepare_v2(db, sql, -1, &rows, NULL) == SQLITE_OK);
        sqlite3_free(sql);
        g_string_append_printf(out, "== %s\n", table);
        while (sqlite3_step(rows) == SQLITE_ROW) {
            for (int c = 0; c < sqlite3_column_count(rows); c++) {
                const unsigned char *v = sqlite3_column_text(rows, c);
                g_string_append_printf(out, "%s%s", c ? "|" : "", v ? (const char *)v : "NULL");
            }
            g_string_append_c(out, '\n');
        }
        sqlite3_finalize(rows);
        g_string_free(cols, TRUE);
    }
    sqlite3_finalize(tables);
    sqlite3_close(db);
    return g_string_free(out, FALSE);
}

/* Four shards of a 40-seed sweep, merged, are the sweep itself, row for row (run ids
 * included, wall time left out); a merge that would take a seed twice, or two scenario
 * files under one name, or a file that is no results database, is refused and writes
 * nothing. */
static void test_shards_merged_equal_one_sweep(void)
{
    char *yaml = write_scenario("shards.yaml",
                                "name: shards\ndescription: a short run for sharding\n"
                                "duration: 3s\nhosts: 3\nworkload: {clients: 2, rate: 50/s}\n"
                                "faults:\n  - {at: 1s, crash: leader}\n"
                                "  - {at: 2s, restart: crashed}\n");
    char *whole = g_build_filename(dir, "whole.db", NULL);
    char *merged = g_build_filename(dir, "merged.db", NULL);
    char *shard_db[4];
    const char *sweep[] = { "sweep", yaml, "--seeds", "1..40", "--db", whole, NULL };
    CU_ASSERT_EQUAL(test_zabsim(sweep, NULL, NULL), 0);
    for (int i = 0; i < 4; i++) {
        char name[32], shard[8];
        g_snprintf(name, sizeof name, "shard%d.db", i + 1);
        g_snprintf(shard, sizeof shard, "%d/4", i + 1);
        shard_db[i] = g_build_filename(dir, name, NULL);
        const char *argv[] = { "sweep", yaml, "--seeds", "1..40", "--shard", shard,
                               "--db", shard_db[i], NULL };
        char *out = NULL;
        CU_ASSERT_EQUAL(test_zabsim(argv, &out, NULL), 0);
        CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "shards: 10 seeds (shard "));
        g_free(out);
    }
    /* Shards given in any order. */
    const char *merge[] = { "merge", merged, shard_db[2], shard_db[0], shard_db[3], shard_db[1],
                            NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(merge, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "40 runs from 4 databases merged into"));
    g_free(out);
    char *a = dump_without_wall_time(whole), *b = dump_without_wall_time(merged);
    CU_ASSERT_TRUE(strlen(a) > 10000);
    CU_ASSERT_STRING_EQUAL(a, b);
    g_free(b);

    /* Refusals leave the output as it was. */
    const char *twice[] = { "merge", merged, shard_db[1], NULL };
    char *err = expect_status(2, twice);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "seed 2 (zab,pubsub) is in"));
    CU_ASSERT_PTR_NOT_NULL(strstr(err, ": a seed once"));
    g_free(err);
    char *other_yaml = write_scenario("shards2.yaml",
                                      "name: shards\ndescription: another file, same name\n"
                                      "duration: 3s\nhosts: 3\n");
    char *other_db = g_build_filename(dir, "other.db", NULL);
    const char *run_other[] = { "run", other_yaml, "--seed", "41", "--db", other_db, NULL };
    test_zabsim(run_other, NULL, NULL);
    const char *texts[] = { "merge", merged, other_db, NULL };
    err = expect_status(2, texts);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "ran different scenario files under one name"));
    g_free(err);
    const char *foreign[] = { "merge", merged, yaml, NULL };
    err = expect_status(2, foreign);
    g_free(err);
    b = dump_without_wall_time(merged);
    CU_ASSERT_STRING_EQUAL(a, b);
    g_free(a);
    g_free(b);
    for (int i = 0; i < 4; i++)
        g_free(shard_db[i]);
    g_free(other_db);
    g_free(other_yaml);
    g_free(whole);
    g_free(merged);
    g_free(yaml);
}

/* The number a query on db returns (-1 on error). */
static int64_t query_count(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    int64_t n = -1;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        n = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(h);
    return n;
}

/* The first column of the first row of sql, or "" (to free). */
static char *query_text(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    char *text = NULL;
    sqlite3_stmt *st = NULL;
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        text = g_strdup((const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
    sqlite3_close(h);
    return text ? text : g_strdup("");
}

/* A sweep keeps no per-message row of a passing seed, runs each failing seed again at
 * outcomes level into the same database and says so; check tells the two apart. */
static void test_sweep_records_summary_and_reruns_failing_seeds(void)
{
    const char *base = "description: a short run\nduration: 2s\nhosts: 3\n"
                       "workload: {clients: 1, rate: 50/s}\n"
                       "faults:\n  - {at: 1s, crash: leader}\n";
    char *pass_text = g_strdup_printf("name: passes\n%s", base);
    char *fail_text = g_strdup_printf("name: fails\n%sexpect:\n  zab: {leader_changes: 0}\n",
                                      base);
    char *pass = write_scenario("passes.yaml", pass_text);
    char *fail = write_scenario("fails.yaml", fail_text);
    char *db = g_build_filename(dir, "levels.db", NULL);
    char *out = NULL;
    const char *sweep_pass[] = { "sweep", pass, "--seeds", "1..3", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(sweep_pass, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "(recorded at summary level)"));
    g_free(out);
    const char *sweep_fail[] = { "sweep", fail, "--seeds", "1..2", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(sweep_fail, &out, NULL), 1);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "each failing seed was run again at outcomes "
                                              "level"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "seed 1: FAIL (run again at outcomes level)"));
    g_free(out);
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM runs"), 5); /* one run per seed */
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM runs WHERE scenario = 'passes' AND "
                                    "record = 'summary' AND verdict = 'pass'"), 3);
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM runs WHERE scenario = 'fails' AND "
                                    "record = 'outcomes' AND verdict = 'fail'"), 2);
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM submissions AS s JOIN runs AS r "
                                    "USING (run_id) WHERE r.scenario = 'passes'"), 0);
    CU_ASSERT(query_count(db, "SELECT count(DISTINCT s.run_id) FROM deliveries AS s JOIN runs "
                              "AS r USING (run_id) WHERE r.scenario = 'fails'") == 2);
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM run_summary"), 10);
    const char *check[] = { "check", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(check, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "run 1 (passes, seed 1): not re-checked: recorded "
                                              "at summary level"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "run 4 (fails, seed 1): ok"));
    g_free(out);
    const char *bad_level[] = { "run", pass, "--record", "everything", NULL };
    expect_error(bad_level, "--record everything: give summary, outcomes or messages");
    const char *contradiction[] = { "run", pass, "--log", "messages", "--record", "summary",
                                    NULL };
    expect_error(contradiction, "--log messages and --record summary contradict each other");
    g_free(db);
    g_free(pass);
    g_free(fail);
    g_free(pass_text);
    g_free(fail_text);
}

/* zabsim explore draws faults on top of a scenario; every seed that breaks an invariant gets
 * its concrete scenario written, and `zabsim run` of that file is the same run: same text,
 * same violations. The fixed code breaks nothing under the same draws. */
static void test_explore_writes_failing_scenarios_that_run_reproduces(void)
{
    char *out_dir = g_build_filename(dir, "explored", NULL);
    CU_ASSERT_FATAL(g_mkdir(out_dir, 0700) == 0);
    char *db = g_build_filename(dir, "explore.db", NULL);
    const char *base = test_source_path("scenarios/bugs/zk-4646.yaml");
    const char *explore[] = { "explore", base, "--seeds", "1..6", "--model", "zab", "--out",
                              out_dir, "--db", db, NULL };
    char *out = NULL, *err = NULL;
    CU_ASSERT_EQUAL(test_zabsim(explore, &out, &err), 1);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "zk-4646: 6 seeds explored in"));
    int64_t failing = query_count(db, "SELECT count(*) FROM runs WHERE verdict = 'fail'");
    CU_ASSERT(failing >= 1);
    int64_t seed = query_count(db, "SELECT min(seed) FROM runs WHERE verdict = 'fail'");
    char *name = g_strdup_printf("zk-4646-seed%" PRId64 "-failing.yaml", seed);
    char *file = g_build_filename(out_dir, name, NULL);
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err, file));
    CU_ASSERT(g_file_test(file, G_FILE_TEST_EXISTS));
    g_free(out);
    g_free(err);
    /* The file is the run: no explore option needed. */
    char *again = g_build_filename(dir, "again.db", NULL);
    const char *run[] = { "run", file, "--model", "zab", "--db", again, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run, NULL, NULL), 0); /* the expected violation: met */
    char *sql = g_strdup_printf("SELECT count(*) FROM violations WHERE run_id = (SELECT run_id "
                                "FROM runs WHERE seed = %" PRId64 " AND verdict = 'fail')", seed);
    CU_ASSERT_EQUAL(query_count(again, "SELECT count(*) FROM violations"), query_count(db, sql));
    CU_ASSERT(query_count(again, "SELECT count(*) FROM violations") > 0);
    g_free(sql);
    sql = g_strdup_printf("SELECT scenario_text FROM runs WHERE seed = %" PRId64 " AND "
                          "verdict = 'fail'", seed);
    char *explored_text = query_text(db, sql);
    char *run_text = query_text(again, "SELECT scenario_text FROM runs");
    CU_ASSERT_STRING_EQUAL(explored_text, run_text);
    g_free(explored_text);
    g_free(run_text);
    g_free(sql);
    /* The same draws on the fixed code: nothing breaks. */
    const char *fixed[] = { "explore", base, "--seeds", "1..6", "--model", "zab", "--variant",
                            "none", "--out", out_dir, "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(fixed, NULL, NULL), 0);
    /* A faults list in flow style cannot take more items line by line. */
    char *flow = write_scenario("flow.yaml", "name: flow\ndescription: d\nduration: 2s\n"
                                             "faults: [{at: 1s, crash: h1}]\n");
    const char *refused[] = { "explore", flow, "--seeds", "1..2", "--db", db, NULL };
    expect_error(refused, "explore adds its faults to a block-style `faults:` list");
    g_free(flow);
    g_free(again);
    g_free(file);
    g_free(name);
    g_free(db);
    g_free(out_dir);
}

/* zabsim shrink keeps the invariant broken with fewer faults and a shorter run, and writes a
 * file that zabsim run still fails on; a scenario that breaks nothing is left alone. */
static void test_shrink_keeps_the_invariant_broken(void)
{
    char *small = g_build_filename(dir, "small.yaml", NULL);
    const char *shrink[] = { "shrink", test_source_path("scenarios/bugs/zk-4646.yaml"),
                             "--model", "zab", "--out", small, NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(shrink, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "agreement broken"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "before    7 faults"));
    g_free(out);
    GError *err = NULL;
    struct scenario *sc = scenario_load(small, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT(sc->faults->len < 7);
    CU_ASSERT(sc->duration < 20 * SIM_S);
    /* The file fires 3 faults on protocol events; the power-off at 1 s and the restart at
     * 8 s keep it failing as triggers too. */
    guint triggered = 0;
    for (guint i = 0; i < sc->faults->len; i++)
        triggered += g_array_index(sc->faults, struct scenario_fault, i).on.event != TRIGGER_NONE;
    CU_ASSERT(triggered >= 4);
    scenario_free(sc);
    char *db = g_build_filename(dir, "small.db", NULL);
    const char *run[] = { "run", small, "--model", "zab", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run, NULL, NULL), 0); /* expect: agreement violated, met */
    CU_ASSERT(query_count(db, "SELECT count(*) FROM violations WHERE invariant = 'agreement'")
              > 0);
    const char *fine[] = { "shrink", test_source_path("scenarios/bugs/zk-4646.yaml"), "--model",
                           "zab", "--variant", "none", "--out", small, NULL };
    CU_ASSERT_EQUAL(test_zabsim(fine, &out, NULL), 1);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "every invariant holds; nothing to shrink"));
    g_free(out);
    g_free(db);
    /* A random network latency becomes fixed at its mean when the bug survives that. */
    char *text = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(test_source_path("scenarios/bugs/zk-1154.yaml"), &text,
                                        NULL, NULL));
    char *wide = g_build_filename(dir, "wide.yaml", NULL);
    char *with_latency = g_strconcat(text, "network: {latency: {dist: uniform, min: 0.5ms, "
                                     "max: 2ms}}\n", NULL);
    CU_ASSERT(g_file_set_contents(wide, with_latency, -1, NULL));
    const char *widen[] = { "shrink", wide, "--model", "zab", "--out", small, NULL };
    CU_ASSERT_EQUAL(test_zabsim(widen, NULL, NULL), 0);
    sc = scenario_load(small, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(sc->latency.kind, DIST_FIXED);
    CU_ASSERT_EQUAL(sc->latency.a, 1250 * SIM_US);
    scenario_free(sc);
    g_free(with_latency);
    g_free(wide);
    g_free(text);
    g_free(small);
}

/* Which models a run takes: the scenario's `models:` when it has one, else the default set,
 * which leaves out the opt-in models (jetstream); --model overrides both. A failing seed's
 * reproduction names --model only when the sweep ran other than the scenario's own set. */
static void test_models_key_and_default_set(void)
{
    const char *base = "description: d\nduration: 2s\nhosts: 3\n"
                       "workload: {clients: 1, rate: 50/s}\n";
    char *plain_text = g_strdup_printf("name: plain\n%s", base);
    char *zab_text = g_strdup_printf("name: onlyzab\n%smodels: zab\nfaults:\n"
                                     "  - {at: 1s, crash: leader}\n"
                                     "expect:\n  zab: {leader_changes: 0}\n"
                                     "  pubsub: {lost: 0}\n", base);
    char *plain = write_scenario("plain.yaml", plain_text);
    char *only_zab = write_scenario("onlyzab.yaml", zab_text);
    char *db = g_build_filename(dir, "models.db", NULL);
    char *out = NULL;
    const char *run_plain[] = { "run", plain, "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run_plain, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "simulated  models zab,pubsub\n"));
    CU_ASSERT_PTR_NULL(out && strstr(out, "jetstream"));
    g_free(out);
    /* models: zab; the run fails its expect: (the crash changes the leader) */
    const char *run_zab[] = { "run", only_zab, "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run_zab, &out, NULL), 1);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "simulated  models zab\n"));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "expect pubsub.lost: skipped (not run: models "
                                              "zab)"));
    g_free(out);
    const char *run_override[] = { "run", plain, "--model", "pubsub", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run_override, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "simulated  models pubsub\n"));
    g_free(out);
    CU_ASSERT_EQUAL(query_count(db, "SELECT count(*) FROM runs WHERE model = 'zab'"), 1);
    /* The scenario's own set needs no --model to reproduce a seed; another set does. */
    const char *sweep_own[] = { "sweep", only_zab, "--seeds", "1..1", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(sweep_own, &out, NULL), 1);
    char *want = g_strdup_printf("zabsim run %s --seed 1\n", only_zab);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want));
    g_free(want);
    g_free(out);
    const char *sweep_other[] = { "sweep", only_zab, "--seeds", "1..1", "--model",
                                  "zab,pubsub", "--db", db, NULL };
    CU_ASSERT_EQUAL(test_zabsim(sweep_other, &out, NULL), 1);
    want = g_strdup_printf("zabsim run %s --seed 1 --model zab,pubsub\n", only_zab);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, want));
    g_free(want);
    g_free(out);
    /* A model recorded from a real system cannot be a scenario's either. */
    char *real = write_scenario("real.yaml", "name: real\ndescription: d\nduration: 2s\n"
                                             "models: [zab, zab-real]\n");
    const char *validate[] = { "validate", real, NULL };
    char *err = expect_status(2, validate);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "real.yaml:4:15: models: zab-real is recorded from the "
                                       "real system by zabsim conform"));
    g_free(err);
    g_free(real);
    g_free(db);
    g_free(plain);
    g_free(only_zab);
    g_free(plain_text);
    g_free(zab_text);
}

/* --check-determinism runs the seed again and says the two runs matched, event by event. */
static void test_run_checks_its_own_determinism(void)
{
    char *db = g_build_filename(dir, "det.db", NULL);
    const char *argv[] = { "run", test_source_path("scenarios/calm.yaml"), "--seed", "3",
                           "--db", db, "--check-determinism", NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(argv, &out, NULL), 0);
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, "determinism: seed 3 ran twice: "));
    CU_ASSERT_PTR_NOT_NULL(out && strstr(out, " events, the same digest after each\n"));
    g_free(out);
    g_free(db);
}

/* Runs in the database, checked whole: integrity, and every run's rows belong to a runs row. */
static int64_t whole_runs(const char *db_path)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    sqlite3_stmt *st = NULL;
    int64_t runs = -1;
    CU_ASSERT_FATAL(sqlite3_prepare_v2(db,
                                       "SELECT (SELECT count(*) FROM runs), "
                                       "(SELECT count(DISTINCT run_id) FROM submissions), "
                                       "(SELECT integrity_check FROM pragma_integrity_check)",
                                       -1, &st, NULL) == SQLITE_OK);
    if (sqlite3_step(st) == SQLITE_ROW) {
        runs = sqlite3_column_int64(st, 0);
        CU_ASSERT_EQUAL(sqlite3_column_int64(st, 1), runs);
        CU_ASSERT_STRING_EQUAL((const char *)sqlite3_column_text(st, 2), "ok");
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return runs;
}

/* Private files of runs beside db_path. */
static int private_files(const char *db_path)
{
    char *base = g_path_get_basename(db_path);
    char *prefix = g_strconcat(base, ".tmp-", NULL);
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    for (const char *name; d && (name = g_dir_read_name(d));)
        n += g_str_has_prefix(name, prefix);
    if (d)
        g_dir_close(d);
    g_free(prefix);
    g_free(base);
    return n;
}

/* kill -9 at random points of runs appending to a database: the database stays whole with
 * the runs it had (or one more, when a run finished first), the killed runs' private files
 * stay behind, and the next complete run removes them. */
static void test_killed_runs_leave_the_database_whole_and_no_litter(void)
{
    const char *bin = g_getenv("ZABSIM_BIN");
    CU_ASSERT_PTR_NOT_NULL_FATAL(bin);
    char *db = g_build_filename(dir, "killed.db", NULL);
    const char *scenario = test_source_path("scenarios/leader_crash.yaml");
    const char *first[] = { "run", scenario, "--seed", "1", "--db", db, NULL };
    test_zabsim(first, NULL, NULL);
    int64_t runs = whole_runs(db);
    CU_ASSERT_EQUAL_FATAL(runs, 1);
    GRand *rand = g_rand_new_with_seed(11);
    int litter_seen = 0;
    for (int k = 0; k < 6; k++) {
        char seed[16];
        g_snprintf(seed, sizeof seed, "%d", k + 2);
        const char *argv[] = { bin, "run", scenario, "--seed", seed, "--db", db, NULL };
        GPid pid;
        CU_ASSERT_FATAL(g_spawn_async(NULL, (char **)argv, NULL,
                                      G_SPAWN_DO_NOT_REAP_CHILD | G_SPAWN_STDOUT_TO_DEV_NULL |
                                          G_SPAWN_STDERR_TO_DEV_NULL,
                                      NULL, NULL, &pid, NULL));
        g_usleep((gulong)g_rand_int_range(rand, 50, 600) * 1000);
        kill(pid, SIGKILL);
        int status;
        waitpid(pid, &status, 0);
        g_spawn_close_pid(pid);
        int64_t now = whole_runs(db);
        CU_ASSERT(now == runs || now == runs + 1);
        runs = now;
        litter_seen = MAX(litter_seen, private_files(db));
    }
    g_rand_free(rand);
    /* Some kill hit a run while it recorded, or the test shows nothing. */
    CU_ASSERT(litter_seen > 0);
    const char *last[] = { "run", scenario, "--seed", "9", "--db", db, NULL };
    test_zabsim(last, NULL, NULL);
    CU_ASSERT_EQUAL(whole_runs(db), runs + 1);
    CU_ASSERT_EQUAL(private_files(db), 0);
    g_free(db);
}

/* The text up to the last line's " (results: ...)", which names where the database went. */
static char *without_results_path(const char *text)
{
    const char *at = strstr(text, " (results: ");
    return at ? g_strndup(text, (gsize)(at - text)) : g_strdup(text);
}

/* Every `$ ./build/zabsim run scenarios/NAME.yaml` block in README.md is what that command
 * prints today (up to where the database went): the numbers people quote stay true. */
static void test_readme_run_outputs_are_current(void)
{
    char *readme = NULL;
    CU_ASSERT_FATAL(g_file_get_contents(test_source_path("README.md"), &readme, NULL, NULL));
    const char *prompt = "$ ./build/zabsim run scenarios/";
    int blocks = 0;
    for (const char *p = strstr(readme, prompt); p; p = strstr(p + 1, prompt)) {
        const char *name = p + strlen(prompt), *eol = strchr(name, '\n');
        const char *end = eol ? strstr(eol, "```") : NULL;
        CU_ASSERT_PTR_NOT_NULL_FATAL(end);
        char *scenario = g_strdup_printf("scenarios/%.*s", (int)(eol - name), name);
        char *path = g_strdup(test_source_path(scenario));
        char *db = g_strdup_printf("%s/readme-%d.db", dir, blocks);
        char *out = NULL, *err = NULL;
        test_zabsim((const char *const[]){ "run", path, "--db", db, NULL }, &out, &err);
        char *want = g_strndup(eol + 1, (gsize)(end - eol - 1));
        char *want_cut = without_results_path(want), *got_cut = without_results_path(out);
        CU_ASSERT_STRING_EQUAL(got_cut, want_cut);
        if (strcmp(got_cut, want_cut) != 0)
            fprintf(stderr, "\nREADME.md's output of %s is out of date; it now prints:\n%s",
                    scenario, out);
        blocks++;
        g_free(want_cut);
        g_free(got_cut);
        g_free(want);
        g_free(out);
        g_free(err);
        g_free(db);
        g_free(path);
        g_free(scenario);
    }
    CU_ASSERT_TRUE(blocks >= 2); /* leader_crash, and the three models side by side */
    g_free(readme);
}

void test_register(void)
{
    CU_pSuite s = CU_add_suite("zabsim command line", setup, teardown);
    CU_add_test(s, "test_every_usage_line_names_zabsim", test_every_usage_line_names_zabsim);
    CU_add_test(s, "test_readme_run_outputs_are_current", test_readme_run_outputs_are_current);
    CU_add_test(s, "test_sweep_argument_errors_say_what_is_wrong",
                test_sweep_argument_errors_say_what_is_wrong);
    CU_add_test(s, "test_a_target_no_selected_model_resolves_is_refused",
                test_a_target_no_selected_model_resolves_is_refused);
    CU_add_test(s, "test_faults_resolve_symbolic_hosts_and_show_groups",
                test_faults_resolve_symbolic_hosts_and_show_groups);
    CU_add_test(s, "test_report_window_is_honoured_in_text_and_checked",
                test_report_window_is_honoured_in_text_and_checked);
    CU_add_test(s, "test_misspelt_expect_keys_get_a_suggestion",
                test_misspelt_expect_keys_get_a_suggestion);
    CU_add_test(s, "test_conform_refuses_what_it_cannot_run",
                test_conform_refuses_what_it_cannot_run);
    CU_add_test(s, "test_run_checks_its_own_determinism", test_run_checks_its_own_determinism);
    CU_add_test(s, "test_models_key_and_default_set", test_models_key_and_default_set);
    CU_add_test(s, "test_explore_writes_failing_scenarios_that_run_reproduces",
                test_explore_writes_failing_scenarios_that_run_reproduces);
    CU_add_test(s, "test_shrink_keeps_the_invariant_broken",
                test_shrink_keeps_the_invariant_broken);
    CU_add_test(s, "test_shards_merged_equal_one_sweep", test_shards_merged_equal_one_sweep);
    CU_add_test(s, "test_sweep_records_summary_and_reruns_failing_seeds",
                test_sweep_records_summary_and_reruns_failing_seeds);
    CU_add_test(s, "test_killed_runs_leave_the_database_whole_and_no_litter",
                test_killed_runs_leave_the_database_whole_and_no_litter);
}
