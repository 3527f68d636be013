/* test_recipes.c: the coordination recipes over ZooKeeper (docs/recipes.md), run end to end
 * through `zabsim run` and read back from the results database: mutual exclusion without
 * faults, a holder paused past its session (a violation without fencing, refused writes with
 * it), a crashed holder's lock freed by session expiry within ZooKeeper's bounds, a holder
 * whose server crashes keeping its session and its lock, an election's one leader, a
 * registry listing a crashed instance until its session expires, and the recipe_summary
 * view's measures on hand-made histories. */
#include "tests/harness.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* reports/schema.sql, as embedded in the library. */
extern const char embedded_schema_sql[];

/* Each test's runs, through the harness. */
#define run_scenario test_run_scenario_db
#define query test_db_int

#define HEAD                                                                               \
    "description: a recipe test\n"                                                        \
    "seed: 1\n"                                                                            \
    "hosts: 3\n"                                                                           \
    "zab: {session_timeout: 4s}\n"                                                         \
    "workload: {clients: 1, rate: 10/s, stop: 8s}\n"

/* Three clients take turns for 20 s with no fault: never two holders, every write accepted
 * in token order, every client gets the lock. */
static void test_lock_without_faults_is_exclusive_and_fair(void)
{
    sqlite3 *db = run_scenario("calm", "name: calm\n" HEAD "duration: 20s\n"
                                       "recipe: {kind: lock, backend: zab, clients: 3, "
                                       "hold: 1s}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT acquisitions FROM recipe_summary") >= 15);
    CU_ASSERT(query(db, "SELECT writes_accepted FROM recipe_summary") >= 150);
    CU_ASSERT_EQUAL(query(db, "SELECT count(DISTINCT client) FROM recipe_holds"), 3);
    /* Tokens (czxids) grow with every acquisition. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds AS a JOIN recipe_holds AS b "
                              "ON b.trace_seq > a.trace_seq AND b.holding = 1 "
                              "WHERE a.holding = 1 AND b.token <= a.token "
                              "AND b.client <> a.client"), 0);
    /* No fault hit a holder. */
    CU_ASSERT_EQUAL(query(db, "SELECT failover_ns FROM recipe_summary"), -1);
    sqlite3_close(db);
}

#define GC_PAUSE(fencing)                                                                   \
    "duration: 25s\n"                                                                      \
    "recipe: {kind: lock, backend: zab, clients: 3, hold: 2s, fencing: " fencing "}\n"     \
    "faults:\n"                                                                            \
    "  - {at: 6s, pause: holder, for: 10s}\n"

/* Kleppmann's case: the holder stops for 10 s with a 4 s session. Its session expires, the
 * next client takes the lock and writes; the paused one writes when it resumes. */
static void test_gc_pause_breaks_exclusion_unless_fenced(void)
{
    sqlite3 *db = run_scenario("gc", "name: gc\n" HEAD GC_PAUSE("false"));
    if (!db)
        return;
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 1);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 0);
    /* Both believed they held it for seconds: the paused one until it noticed. */
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 4000000000LL);
    /* The lock passed on between T and T + tick (+ a commit and a watch) after the pause. */
    int64_t failover = query(db, "SELECT failover_ns FROM recipe_summary");
    CU_ASSERT(failover >= 4000000000LL * 2 / 3 && failover <= 6500000000LL);
    /* The paused holder stopped believing only when it resumed (its hold was over, or it
     * heard its connection was gone), after its stale write. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE holding = 0 "
                              "AND t_ns = 16000000000"), 1);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM resource_writes AS w JOIN recipe_holds "
                              "AS h ON h.client = w.client AND h.holding = 0 "
                              "AND h.t_ns = 16000000000 WHERE w.t_ns > 16000000000 "
                              "AND w.t_ns < 16100000000"), 1);
    sqlite3_close(db);

    db = run_scenario("gc_fenced", "name: gc_fenced\n" HEAD GC_PAUSE("true"));
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT writes_refused FROM recipe_summary") >= 1);
    /* Fencing changes what the resource takes, not what clients believe. */
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 4000000000LL);
    sqlite3_close(db);
}

/* Two recipes side by side: `pause: holder` stops the holder of each (distinct machines, or
 * one machine holding both), so both hand their lock over. */
static void test_holder_names_every_recipes_holder(void)
{
    sqlite3 *db = run_scenario("two", "name: two\n" HEAD "duration: 25s\n"
                                      "recipe:\n"
                                      "  - {kind: lock, backend: zab, clients: 3, hold: 2s}\n"
                                      "  - {kind: election, backend: zab, clients: 3, "
                                      "hold: 0s, fencing: true}\n"
                                      "faults:\n  - {at: 6s, pause: holder, for: 10s}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_summary"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_summary "
                              "WHERE failover_ns IS NOT NULL"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary "
                              "WHERE kind = 'election'"), 0);
    sqlite3_close(db);
}

/* A crashed holder's lock node stands until the leader expires its session: the next client
 * holds it between 2T/3 (the holder's last ping) and T + one tick (the expiry bucket) after
 * the crash, plus a commit and a watch. */
static void test_crashed_holder_frees_the_lock_at_session_expiry(void)
{
    sqlite3 *db = run_scenario("crash", "name: crash\n" HEAD "duration: 20s\n"
                                        "recipe: {kind: lock, backend: zab, clients: 3, "
                                        "hold: 30s}\n"
                                        "faults:\n  - {at: 5s, crash: holder}\n");
    if (!db)
        return;
    int64_t failover = query(db, "SELECT failover_ns FROM recipe_summary");
    CU_ASSERT(failover >= 4000000000LL * 2 / 3);
    CU_ASSERT(failover <= 4000000000LL + 2000000000LL + 500000000LL);
    /* Exactly one handover: the holder keeps it 30 s otherwise. */
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 0);
    sqlite3_close(db);
}

/* The holder's server crashes: the client reconnects elsewhere within its session, which the
 * leader still tracks, so its node stands; it stops acting while disconnected and acts
 * again, with the same token, once it sees its node is still first. Nobody else holds. */
static void test_holder_keeps_its_session_across_a_server_crash(void)
{
    /* c1 starts on h1; with one client it holds from the start. */
    sqlite3 *db = run_scenario("server_crash", "name: server_crash\n" HEAD "duration: 15s\n"
                                               "recipe: {kind: lock, backend: zab, "
                                               "clients: 1, hold: 60s}\n"
                                               "faults:\n  - {at: 5s, crash: h1}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE reason = 'suspended'"),
                    1);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE reason = 'expired'"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT count(DISTINCT token) FROM recipe_holds"), 1);
    /* Back within the 2T/3 read timeout plus a reconnection. */
    CU_ASSERT(query(db, "SELECT max(t_ns) FROM recipe_holds WHERE holding = 1") <
              5000000000LL + 5000000000LL);
    sqlite3_close(db);
}

/* An election with hold 0: the first leader leads for the whole calm run. */
static void test_election_keeps_one_leader(void)
{
    sqlite3 *db = run_scenario("election", "name: election\n" HEAD "duration: 10s\n"
                                           "recipe: {kind: election, backend: zab, "
                                           "clients: 3, hold: 0s}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), 1);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE holding = 0"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipes WHERE kind = 'election'"), 1);
    sqlite3_close(db);
}

/* The registry: a crashed instance's ephemeral node stands until its session expires, so
 * the two other observers list it, dead, for between 2T/3 and T + one tick (plus a commit
 * and a watch) each; restarted, it registers again and every observer lists it. */
static void test_registry_lists_a_crashed_instance_until_its_session_expires(void)
{
    sqlite3 *db = run_scenario("registry", "name: registry\n" HEAD "duration: 20s\n"
                                           "recipe: {kind: registry, backend: zab, "
                                           "clients: 3}\n"
                                           "faults:\n  - {at: 5s, crash: c2}\n"
                                           "  - {at: 12s, restart: c2}\n");
    if (!db)
        return;
    int64_t stale = query(db, "SELECT stale_ns FROM recipe_summary");
    CU_ASSERT(stale >= 2 * (4000000000LL * 2 / 3));
    CU_ASSERT(stale <= 2 * (4000000000LL + 2000000000LL + 500000000LL));
    /* Every observer lists every instance at the end, c2 included (itself too). */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_intervals "
                              "WHERE end_ns = 20000000000"), 9);
    /* No lock measures for a registry. */
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), -1);
    sqlite3_close(db);
}

/* ---- the measures on hand-made histories ---------------------------------------------- */

static void exec(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "%s\n", msg);
        CU_FAIL("statement failed");
    }
    sqlite3_free(msg);
}

/* An empty results database with one run of 10 s and one lock recipe over zab. */
static sqlite3 *history(void)
{
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open(":memory:", &db) == SQLITE_OK);
    exec(db, embedded_schema_sql);
    exec(db, "INSERT INTO runs (run_id, scenario, seed, hosts, duration_ns, model, "
             "zabsim_version, workload_start_ns, workload_stop_ns, record) "
             "VALUES (1, 'h', 1, 3, 10000000000, 'zab', 'test', 0, 0, 'summary');"
             "INSERT INTO recipes VALUES (1, 0, 'zab', 'lock', 2, 0, 0);");
    return db;
}

/* Two holders whose beliefs overlap 2 s, and writes that interleave: c1 (token 10) writes
 * after c2 (token 20) did. The crash of c2 ends its belief. */
static void test_summary_on_a_broken_history(void)
{
    sqlite3 *db = history();
    exec(db, "INSERT INTO recipe_holds VALUES"
             " (1, 1, 'zab', 0, 1000000000, 'c1', 1, 'acquired', 10),"
             " (1, 3, 'zab', 0, 3000000000, 'c2', 1, 'acquired', 20),"
             " (1, 6, 'zab', 0, 5000000000, 'c1', 0, 'suspended', 10);"
             "INSERT INTO faults VALUES (1, 2, 2000000000, 'pause', 'c1', 'for 3s'),"
             " (1, 7, 6000000000, 'crash', 'c2', '');"
             "INSERT INTO resource_writes VALUES"
             " (1, 0, 'zab', 0, 1100000000, 'c1', 10, 1),"
             " (1, 4, 'zab', 0, 3100000000, 'c2', 20, 1),"
             " (1, 5, 'zab', 0, 4900000000, 'c1', 10, 1),"
             " (1, 8, 'zab', 0, 5500000000, 'c2', 20, 1);");
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 1);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 2000000000LL);
    /* c1 held when paused at 2 s; c2's first accepted write came at 3.1 s. */
    CU_ASSERT_EQUAL(query(db, "SELECT failover_ns FROM recipe_summary"), 1100000000LL);
    CU_ASSERT_EQUAL(query(db, "SELECT end_ns FROM recipe_intervals WHERE client = 'c2'"),
                    6000000000LL);
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT stale_ns FROM recipe_summary"), -1); /* a lock */
    sqlite3_close(db);
}

/* Back-to-back holders (one releases at the instant the next acquires) do not overlap; a
 * refused stale write is no violation, and the same token from another client is one. */
static void test_summary_on_a_clean_history(void)
{
    sqlite3 *db = history();
    exec(db, "INSERT INTO recipe_holds VALUES"
             " (1, 1, 'zab', 0, 1000000000, 'c1', 1, 'acquired', 10),"
             " (1, 2, 'zab', 0, 2000000000, 'c1', 0, 'released', 10),"
             " (1, 3, 'zab', 0, 2000000000, 'c2', 1, 'acquired', 20);"
             "INSERT INTO resource_writes VALUES"
             " (1, 4, 'zab', 0, 2100000000, 'c2', 20, 1),"
             " (1, 5, 'zab', 0, 2200000000, 'c1', 10, 0);");
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 1);
    /* c2 holds until the end of the run. */
    CU_ASSERT_EQUAL(query(db, "SELECT end_ns FROM recipe_intervals WHERE client = 'c2'"),
                    10000000000LL);
    exec(db, "INSERT INTO resource_writes VALUES (1, 6, 'zab', 0, 2300000000, 'c3', 20, 1);");
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 1);
    sqlite3_close(db);
}

/* An observer lists an instance through the instance's death (3 s of it stale), then stops
 * at its own crash: an observer that is gone lists nothing. */
static void test_stale_on_a_hand_made_registry(void)
{
    sqlite3 *db = history();
    exec(db, "UPDATE recipes SET kind = 'registry';"
             "INSERT INTO registry_views VALUES"
             " (1, 1, 'zab', 0, 1000000000, 'c1', 'c2', 1),"
             " (1, 3, 'zab', 0, 5000000000, 'c1', 'c2', 0),"
             " (1, 4, 'zab', 0, 1000000000, 'c3', 'c2', 1);"
             "INSERT INTO faults VALUES (1, 2, 2000000000, 'crash', 'c2', ''),"
             " (1, 5, 6000000000, 'crash', 'c3', ''),"
             " (1, 6, 8000000000, 'restart', 'c2,c3', '');");
    /* c1: 2 s..5 s; c3: 2 s..6 s (its own crash). */
    CU_ASSERT_EQUAL(query(db, "SELECT stale_ns FROM recipe_summary"), 7000000000LL);
    CU_ASSERT_EQUAL(query(db, "SELECT end_ns FROM client_deaths WHERE client = 'c2'"),
                    8000000000LL);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), -1);
    sqlite3_close(db);
}

void test_register(void)
{
    TEST_SUITE("recipes", TEST(test_lock_without_faults_is_exclusive_and_fair),
               TEST(test_gc_pause_breaks_exclusion_unless_fenced),
               TEST(test_crashed_holder_frees_the_lock_at_session_expiry),
               TEST(test_holder_keeps_its_session_across_a_server_crash),
               TEST(test_election_keeps_one_leader),
               TEST(test_holder_names_every_recipes_holder),
               TEST(test_registry_lists_a_crashed_instance_until_its_session_expires),
               TEST(test_stale_on_a_hand_made_registry),
               TEST(test_summary_on_a_broken_history),
               TEST(test_summary_on_a_clean_history));
}
