/* test_recipes_pubsub.c: the coordination recipes over core pub/sub (docs/recipes.md, "The
 * recipes over core pub/sub"), run end to end through `zabsim run` and read back from the
 * results database: how the lock granted by whoever answers first breaks without any fault
 * (two askers take it at once), two heartbeat leaders across a partition of the brokers and
 * the resource fencing the stale term out, a crashed instance listed by the registry's
 * observers until their k x P of silence, a paused lock holder that writes when it resumes;
 * and, in-process, that the three recipes side by side under faults give the same records on
 * every run and free what they allocate (this file runs under valgrind). */
#include "sim/trace.h"
#include "tests/harness.h"
#include "world/scenario.h"
#include "world/world.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* The recipes' constants (protocol/pubsub/ps_recipe.c), in nanoseconds. */
#define H 1000000000LL        /* election heartbeat period */
#define K 3                   /* missed heartbeats or announcements before giving up */
#define P 1000000000LL        /* registry announcement period */
#define ASK_WAIT 250000000LL  /* the lock's request timeout */
#define MS 1000000LL

/* Each test's runs, through the harness. */
#define run_scenario test_run_scenario_db
#define query test_db_int

#define HEAD                                                                               \
    "description: a recipe test\n"                                                        \
    "seed: 1\n"                                                                            \
    "hosts: 3\n"                                                                           \
    "workload: {clients: 1, rate: 10/s}\n"

/* Pairs of believed-holding intervals of two clients that overlap in time. */
#define OVERLAPPING_PAIRS                                                                  \
    "FROM recipe_intervals AS a JOIN recipe_intervals AS b ON a.client < b.client "        \
    "AND a.start_ns < b.end_ns AND b.start_ns < a.end_ns"

/* Three clients, no fault, hold 1 s. The lock changes hands all the time and every client
 * gets it, but two clients take it together at least once (seed 1: once, for 769 ms): an ask
 * crosses a release. It reaches the holder just after it let go, so nobody answers, and no
 * 503 comes either, since the asker's broker still knew the holder's interest when it
 * forwarded the ask; the asker takes the lock ASK_WAIT later, while the one who let go has
 * asked again meanwhile, been told 503 and taken it. Both took the highest token they had
 * heard + 1: the same token. */
static void test_lock_without_faults_lets_two_askers_take_it(void)
{
    sqlite3 *db = run_scenario("lock_calm", "name: lock_calm\n" HEAD "duration: 20s\n"
                                            "recipe: {kind: lock, backend: pubsub, clients: 3, "
                                            "hold: 1s}\n");
    if (!db)
        return;
    CU_ASSERT(query(db, "SELECT acquisitions FROM recipe_summary") >= 15);
    CU_ASSERT_EQUAL(query(db, "SELECT count(DISTINCT client) FROM recipe_holds"), 3);
    CU_ASSERT(query(db, "SELECT writes_accepted FROM recipe_summary") >= 150);
    /* Two holders at once, each for less than its hold... */
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 0);
    CU_ASSERT(query(db, "SELECT count(*) " OVERLAPPING_PAIRS) >= 1);
    CU_ASSERT(query(db, "SELECT max(min(a.end_ns, b.end_ns) - max(a.start_ns, b.start_ns)) "
                        OVERLAPPING_PAIRS) <= 1000 * MS);
    /* ...with the same token, which the resource took from both: their writes interleaved. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) " OVERLAPPING_PAIRS " AND a.token <> b.token"),
                    0);
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 1);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 0);
    /* The second taker of a pair asked an ASK_WAIT before it took: it got no answer. */
    CU_ASSERT(query(db, "SELECT min(max(a.start_ns, b.start_ns) - min(a.start_ns, b.start_ns)) "
                        OVERLAPPING_PAIRS) <= ASK_WAIT);
    /* Outside those pairs the tokens grow: each taker heard the previous holder's. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds AS a JOIN recipe_holds AS b "
                              "ON b.trace_seq > a.trace_seq AND b.holding = 1 "
                              "WHERE a.holding = 1 AND b.token < a.token"),
                    0);
    CU_ASSERT_EQUAL(query(db, "SELECT failover_ns FROM recipe_summary"), -1);
    sqlite3_close(db);
}

#define ELECTION_SPLIT(fencing)                                                             \
    "duration: 25s\n"                                                                      \
    "recipe: {kind: election, backend: pubsub, clients: 3, hold: 0s, fencing: " fencing    \
    "}\n"                                                                                  \
    "faults:\n"                                                                            \
    "  - {at: 6s, partition: [[h1], [h2, h3]]}\n"                                          \
    "  - {at: 16s, heal: all}\n"

/* c1 (on h1's side) leads when h1 is cut from h2 and h3. c2 and c3 hear no heartbeat for
 * k x H, both take term 2 and settle on c2 (the same term, the lower client) at once; c1
 * keeps leading with term 1 until c2's heartbeats reach it after the heal. Two leaders for
 * the whole partition: the resource, which every side reaches, refuses c1's term-1 writes
 * once c2's term 2 came; without fencing it takes both. */
static void test_election_split_by_a_partition_has_two_leaders(void)
{
    sqlite3 *db = run_scenario("split", "name: split\n" HEAD ELECTION_SPLIT("true"));
    if (!db)
        return;
    /* The start: all three time out together, all take term 1, two step down at once. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE token = 1 "
                              "AND holding = 1"), 3);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE token = 1 AND "
                              "holding = 0 AND reason = 'expired' AND t_ns < 3100000000"), 2);
    /* c2 takes over k x H after the last heartbeat it heard, before 6 s. */
    int64_t takeover = query(db, "SELECT min(t_ns) FROM recipe_holds WHERE token = 2");
    CU_ASSERT(takeover >= 6 * H && takeover <= 6 * H + K * H + 50 * MS);
    CU_ASSERT_EQUAL(query(db, "SELECT count(DISTINCT client) FROM recipe_intervals "
                              "WHERE start_ns < 12000000000 AND end_ns > 12000000000"), 2);
    /* c1 learns of term 2 only after the heal, and steps down. */
    int64_t stepped = query(db, "SELECT t_ns FROM recipe_holds WHERE client = 'c1' "
                                "AND holding = 0");
    CU_ASSERT(stepped > 16 * H);
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") >= 16 * H - takeover);
    /* Fencing: c1's stale term refused from c2's first write on, and nothing interleaved. */
    CU_ASSERT(query(db, "SELECT writes_refused FROM recipe_summary") >= 100);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM resource_writes WHERE client = 'c1' AND "
                              "accepted = 1 AND t_ns > (SELECT min(t_ns) FROM resource_writes "
                              "WHERE token = 2 AND accepted = 1)"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    sqlite3_close(db);

    db = run_scenario("split_unfenced", "name: split_unfenced\n" HEAD ELECTION_SPLIT("false"));
    if (!db)
        return;
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 50);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 5 * H);
    sqlite3_close(db);
}

/* c2 crashes at 8 s. Each live observer (c1, c3) lists it until k x P after the last
 * announcement it heard, so at most (k + 1) x P after the crash; c2's own view ends with it.
 * No observer drops anyone while nothing is wrong. */
static void test_registry_lists_a_crashed_client_until_its_silence(void)
{
    sqlite3 *db = run_scenario("registry", "name: registry\n" HEAD "duration: 20s\n"
                                           "recipe: {kind: registry, backend: pubsub, "
                                           "clients: 3}\n"
                                           "faults:\n  - {at: 8s, crash: c2}\n");
    if (!db)
        return;
    int64_t stale = query(db, "SELECT stale_ns FROM recipe_summary");
    CU_ASSERT(stale > 0);
    CU_ASSERT(stale <= 3 * (K + 1) * P);
    /* Every observer listed every instance, itself included (its announcements come back). */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM (SELECT DISTINCT observer, instance FROM "
                              "registry_views WHERE listed = 1)"), 9);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 0 "
                              "AND t_ns < 8000000000"), 0);
    /* c1 and c3 drop c2 between (k - 1) x P and k x P after the crash (its last
     * announcement came less than P before it), and drop nobody else. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 0"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 0 AND "
                              "instance = 'c2' AND observer IN ('c1', 'c3') AND "
                              "t_ns >= 8000000000 + 2000000000 AND "
                              "t_ns <= 8000000000 + 3000000000 + 50000000"), 2);
    CU_ASSERT(stale >= 2 * (K - 1) * P && stale <= 2 * (K * P + 50 * MS));
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), -1);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipes WHERE kind = 'registry' "
                              "AND model = 'pubsub'"), 1);
    sqlite3_close(db);
}

#define HOLDER_PAUSE(fencing)                                                               \
    "duration: 25s\n"                                                                      \
    "recipe: {kind: lock, backend: pubsub, clients: 3, hold: 2s, fencing: " fencing "}\n"  \
    "faults:\n"                                                                            \
    "  - {at: 6s, pause: holder, for: 10s}\n"

/* The holder stops for 10 s with the lock in hand. Its subscription stays at its broker, so
 * asks still reach "someone" (no 503) and go unanswered: the others take the lock an
 * ASK_WAIT after asking, within a think time and an ASK_WAIT of the pause. When the paused
 * holder resumes it writes first (its write timer came due during the pause), then lets go
 * (its hold is long over): a stale write, taken without fencing, refused with it. */
static void test_paused_holder_writes_when_it_resumes(void)
{
    sqlite3 *db = run_scenario("pause", "name: pause\n" HEAD HOLDER_PAUSE("false"));
    if (!db)
        return;
    int64_t failover = query(db, "SELECT failover_ns FROM recipe_summary");
    CU_ASSERT(failover >= 0 && failover <= 100 * MS + ASK_WAIT + 50 * MS);
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") >= 9 * H);
    /* The paused one stopped believing only when it resumed, and wrote just before. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE holding = 0 "
                              "AND reason = 'released' AND t_ns = 16000000000"), 1);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM resource_writes AS w JOIN recipe_holds "
                              "AS h ON h.client = w.client AND h.holding = 0 "
                              "AND h.t_ns = 16000000000 WHERE w.t_ns > 16000000000 "
                              "AND w.t_ns < 16100000000 AND w.accepted = 1"), 1);
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 1);
    sqlite3_close(db);

    db = run_scenario("pause_fenced", "name: pause_fenced\n" HEAD HOLDER_PAUSE("true"));
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM resource_writes AS w JOIN recipe_holds "
                              "AS h ON h.client = w.client AND h.holding = 0 "
                              "AND h.t_ns = 16000000000 WHERE w.t_ns > 16000000000 "
                              "AND w.t_ns < 16100000000 AND w.accepted = 0"), 1);
    /* Fencing changes what the resource takes, not what clients believe. */
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") >= 9 * H);
    sqlite3_close(db);
}

/* ---- in-process: determinism and memory ------------------------------------------------ */

struct tally {
    uint64_t digest;
    uint32_t holds, resources, views;
};

static void tally_record(void *ctx, const struct trace_rec *r)
{
    struct tally *t = ctx;
    t->digest = trace_rec_digest(r, t->digest);
    t->holds += r->kind == TRACE_HOLD;
    t->resources += r->kind == TRACE_RESOURCE;
    t->views += r->kind == TRACE_VIEW;
}

static void run_world(const struct scenario *sc, struct tally *t)
{
    memset(t, 0, sizeof *t);
    struct recorder rec = { tally_record, t };
    struct world *w = world_new(sc, 7, 1u << model_find("pubsub"), true, &rec);
    world_run(w);
    world_free(w);
}

/* The three recipes side by side under a partition, a holder's crash and its restart, a
 * pause: two runs of one seed give the same records (no hash order, randomness only from the
 * nodes' streams), and under valgrind nothing leaks. */
static void test_recipes_side_by_side_are_deterministic(void)
{
    const char *yaml = "name: side_by_side\n" HEAD "duration: 12s\n"
                       "recipe:\n"
                       "  - {kind: lock, backend: pubsub, clients: 4, hold: 500ms}\n"
                       "  - {kind: election, backend: pubsub, clients: 3, hold: 3s}\n"
                       "  - {kind: registry, backend: pubsub, clients: 4}\n"
                       "faults:\n"
                       "  - {at: 4s, partition: [[h1], [h2, h3]]}\n"
                       "  - {at: 5s, crash: holder}\n"
                       "  - {at: 6s, heal: all}\n"
                       "  - {at: 7s, restart: crashed}\n"
                       "  - {at: 8s, pause: c3, for: 2s}\n";
    GError *err = NULL;
    struct scenario *sc = scenario_parse("side_by_side.yaml", yaml, strlen(yaml), &err);
    if (!sc)
        fprintf(stderr, "%s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    struct tally a, b;
    run_world(sc, &a);
    run_world(sc, &b);
    CU_ASSERT_EQUAL(a.digest, b.digest);
    CU_ASSERT_EQUAL(a.holds, b.holds);
    CU_ASSERT(a.holds >= 10);
    CU_ASSERT(a.resources >= 100);
    CU_ASSERT(a.views >= 16);
    scenario_free(sc);
}

void test_register(void)
{
    TEST_SUITE("recipes_pubsub", TEST(test_lock_without_faults_lets_two_askers_take_it),
               TEST(test_election_split_by_a_partition_has_two_leaders),
               TEST(test_registry_lists_a_crashed_client_until_its_silence),
               TEST(test_paused_holder_writes_when_it_resumes),
               TEST(test_recipes_side_by_side_are_deterministic));
}
