/* bench_scale.c: what exploring many seeds costs (issue: exploration at scale), each figure
 * next to its target and as a ratio to the bare event loop (bench/bare_loop.h) measured in
 * the same process.
 *
 *   1. the 200,000-write workload (bench/scenarios/steady_200k.yaml, ZAB only) at summary
 *      level: protocol messages per second (target 3 M/s);
 *   2. leader_crash at summary level, seeds 1..N published into one database as a sweep
 *      does: seeds per core-hour with both models (target 50,000) and ZAB only (100,000),
 *      and the database's size per seed (target 20 KB);
 *   3. `zabsim check`'s replay of leader_crash runs recorded at outcomes level: deliveries
 *      re-checked per second (target 1 M/s);
 *   4. what outcomes level costs: leader_crash's seeds at outcomes against summary level
 *      (target at most 2x the time);
 *   5. memory that follows what is in flight: the peak RSS of the 200,000-write run against
 *      the 40,000-write run (bench/scenarios/steady_40k.yaml), each a `zabsim run` of its
 *      own, at summary level (target at most 1.1x) and at outcomes level (1.5x).
 *
 * Usage: zabsim_bench_scale SOURCE_DIR [SEEDS]; the zabsim binary is looked for next to
 * this one. A benchmark, not a test: it reads the wall
 * clock, and its absolute numbers depend on the machine; the ratios are what compare. */
#include "bench/bare_loop.h"
#include "reports/check.h"
#include "tools/run_one.h"
#include "world/model.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static double bare_messages_per_s;

static struct scenario *load(const char *dir, const char *path)
{
    char *full = g_build_filename(dir, path, NULL);
    GError *err = NULL;
    struct scenario *sc = scenario_load(full, &err);
    if (!sc) {
        fprintf(stderr, "%s\n", err->message);
        exit(2);
    }
    g_free(full);
    return sc;
}

/* Runs seeds first.. first + n - 1 of sc into db at level; returns wall seconds and adds
 * the protocol messages sent to *messages. */
static double run_seeds(const struct scenario *sc, unsigned models, enum db_record_level level,
                        uint64_t first, uint64_t n, const char *db, uint64_t *messages)
{
    double t0 = bench_now_s();
    for (uint64_t seed = first; seed < first + n; seed++) {
        struct run_request rq = { .sc = sc, .seed = seed, .models = models, .level = level,
                                  .db_path = db };
        struct run_outcome out;
        GError *err = NULL;
        if (!run_simulate(&rq, &out, &err) || !run_publish(&out, NULL, &err)) {
            fprintf(stderr, "seed %" PRIu64 ": %s\n", seed, err->message);
            exit(2);
        }
        *messages += out.protocol_messages;
        run_outcome_clear(&out);
    }
    return bench_now_s() - t0;
}

/* One figure against its target; ratio < 0: not a throughput, no ratio to the bare loop. */
static void verdict_line(const char *what, double got, double target, bool at_most,
                         const char *unit, double ratio)
{
    bool met = at_most ? got <= target : got >= target;
    printf("%-44s %12.0f %-12s target %s %.0f: %s", what, got, unit, at_most ? "<=" : ">=",
           target, met ? "met" : "NOT MET");
    if (ratio >= 0)
        printf("   (ratio to bare loop %.4f)", ratio);
    putchar('\n');
}

static void steady_workload(const char *dir, const char *tmp)
{
    struct scenario *sc = load(dir, "bench/scenarios/steady_200k.yaml");
    char *db = g_build_filename(tmp, "steady.db", NULL);
    uint64_t messages = 0;
    double s = run_seeds(sc, 1u << model_find("zab"), DB_RECORD_SUMMARY, 1, 1, db, &messages);
    double rate = (double)messages / s;
    printf("200,000 writes at summary level: %" PRIu64 " protocol messages in %.2f s\n",
           messages, s);
    verdict_line("  protocol messages per second", rate, 3e6, false, "msg/s",
                 rate / bare_messages_per_s);
    g_unlink(db);
    g_free(db);
    scenario_free(sc);
}

static long file_size(const char *path)
{
    struct stat st;
    return g_stat(path, &st) == 0 ? (long)st.st_size : 0;
}

static void leader_crash_seeds(const char *dir, const char *tmp, uint64_t seeds)
{
    struct scenario *sc = load(dir, "scenarios/leader_crash.yaml");
    const struct {
        const char *label;
        unsigned models;
        double target;
    } sets[] = { { "both models", scenario_default_models(sc), 50000 },
                 { "ZAB only", 1u << model_find("zab"), 100000 } };
    for (size_t i = 0; i < G_N_ELEMENTS(sets); i++) {
        char *db = g_build_filename(tmp, "sweep.db", NULL);
        uint64_t messages = 0;
        double s = run_seeds(sc, sets[i].models, DB_RECORD_SUMMARY, 1, seeds, db, &messages);
        printf("leader_crash at summary level, %s: %" PRIu64 " seeds in %.2f s, %.1f KB of "
               "database per seed\n", sets[i].label, seeds, s,
               (double)file_size(db) / 1024.0 / (double)seeds);
        char what[64];
        g_snprintf(what, sizeof what, "  seeds per core-hour (%s)", sets[i].label);
        verdict_line(what, 3600.0 * (double)seeds / s, sets[i].target, false, "seeds/h",
                     (double)messages / s / bare_messages_per_s);
        if (i == 0)
            verdict_line("  database per seed (both models)",
                         (double)file_size(db) / 1024.0 / (double)seeds, 20, true, "KB", -1);
        g_unlink(db);
        g_free(db);
    }
    scenario_free(sc);
}

static void check_replay(const char *dir, const char *tmp)
{
    struct scenario *sc = load(dir, "scenarios/leader_crash.yaml");
    char *db = g_build_filename(tmp, "outcomes.db", NULL);
    uint64_t messages = 0, runs = 4;
    run_seeds(sc, scenario_default_models(sc), DB_RECORD_OUTCOMES, 1, runs, db, &messages);
    GError *err = NULL;
    sqlite3 *h = db_open(db, false, &err);
    sqlite3_stmt *st = NULL;
    int64_t deliveries = 0;
    if (h && sqlite3_prepare_v2(h, "SELECT count(*) FROM deliveries", -1, &st, NULL) ==
                 SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        deliveries = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    double t0 = bench_now_s();
    for (int64_t run = 1; h && run <= (int64_t)runs; run++) {
        struct oracle_result res;
        if (!check_run(h, run, &res, &err)) {
            fprintf(stderr, "check: %s\n", err->message);
            exit(2);
        }
        oracle_result_clear(&res);
    }
    double s = bench_now_s() - t0;
    sqlite3_close(h);
    printf("zabsim check of %" PRIu64 " leader_crash runs: %" PRId64 " deliveries in %.2f s\n",
           runs, deliveries, s);
    verdict_line("  deliveries re-checked per second", (double)deliveries / s, 1e6, false,
                 "deliv/s", (double)deliveries / s / bare_messages_per_s);
    g_unlink(db);
    g_free(db);
    scenario_free(sc);
}

static void outcomes_cost(const char *dir, const char *tmp, uint64_t seeds)
{
    struct scenario *sc = load(dir, "scenarios/leader_crash.yaml");
    char *db = g_build_filename(tmp, "cost.db", NULL);
    uint64_t messages = 0;
    double at[2] = { 0, 0 };
    const enum db_record_level levels[2] = { DB_RECORD_SUMMARY, DB_RECORD_OUTCOMES };
    /* Each seed into a new database, as `zabsim run` writes one. */
    for (uint64_t seed = 1; seed <= seeds; seed++) {
        for (int i = 0; i < 2; i++) {
            at[i] += run_seeds(sc, scenario_default_models(sc), levels[i], seed, 1, db, &messages);
            g_unlink(db);
        }
    }
    printf("leader_crash, both models, %" PRIu64 " seeds, each into a new database: %.2f s at "
           "summary level, %.2f s at outcomes level\n", seeds, at[0], at[1]);
    verdict_line("  outcomes / summary time (x100)", 100.0 * at[1] / at[0], 200, true, "%", -1);
    g_free(db);
    scenario_free(sc);
}

/* Peak resident memory of `zabsim run SCENARIO --model zab --record LEVEL`, in KB, from the
 * kernel's account of the child (wait4), so that this process's own pages do not count. */
static long peak_rss_kb(const char *zabsim, const char *dir, const char *scenario,
                        const char *level, const char *tmp)
{
    char *path = g_build_filename(dir, scenario, NULL);
    char *db = g_build_filename(tmp, "rss.db", NULL);
    char *argv[] = { (char *)zabsim, "run", path, "--model", "zab", "--record", (char *)level,
                     "--db", db, NULL };
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    pid_t pid;
    long kb = -1;
    if (posix_spawn(&pid, zabsim, &fa, NULL, argv, environ) == 0) {
        int status;
        struct rusage ru;
        if (wait4(pid, &status, 0, &ru) == pid && WIFEXITED(status) &&
            WEXITSTATUS(status) == 0)
            kb = ru.ru_maxrss;
    }
    posix_spawn_file_actions_destroy(&fa);
    if (kb < 0) {
        fprintf(stderr, "%s run %s failed\n", zabsim, path);
        exit(2);
    }
    g_unlink(db);
    g_free(db);
    g_free(path);
    return kb;
}

static void memory_in_flight(const char *zabsim, const char *dir, const char *tmp)
{
    const struct {
        const char *level;
        double target;
    } levels[] = { { "summary", 110 }, { "outcomes", 150 } };
    for (size_t i = 0; i < G_N_ELEMENTS(levels); i++) {
        long small = peak_rss_kb(zabsim, dir, "bench/scenarios/steady_40k.yaml",
                                 levels[i].level, tmp);
        long large = peak_rss_kb(zabsim, dir, "bench/scenarios/steady_200k.yaml",
                                 levels[i].level, tmp);
        printf("peak RSS at %s level: %ld KB for 40,000 writes, %ld KB for 200,000 "
               "(%.0f bytes per extra write)\n", levels[i].level, small, large,
               1024.0 * (double)(large - small) / 160000.0);
        char what[64];
        g_snprintf(what, sizeof what, "  200k / 40k peak RSS at %s (x100)", levels[i].level);
        verdict_line(what, 100.0 * (double)large / (double)small, levels[i].target, true, "%",
                     -1);
    }
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: zabsim_bench_scale SOURCE_DIR [SEEDS]\n");
        return 2;
    }
    const char *dir = argv[1];
    uint64_t seeds = argc > 2 ? strtoull(argv[2], NULL, 10) : 50;
    char *tmp = g_dir_make_tmp("zabsim-bench-XXXXXX", NULL);
    /* First, while this process is small: a child's peak counts its parent's pages until
     * the exec. */
    char *bin_dir = g_path_get_dirname(argv[0]);
    char *zabsim = g_build_filename(bin_dir, "zabsim", NULL);
    memory_in_flight(zabsim, dir, tmp);
    g_free(zabsim);
    g_free(bin_dir);
    putchar('\n');
    struct bench_result bare = { 0 };
    for (int i = 0; i < 3; i++) { /* the best of three: the least disturbed by others */
        struct bench_result r = bare_loop_run(1000000);
        if (bare.seconds == 0 || r.seconds < bare.seconds)
            bare = r;
    }
    bare_messages_per_s = (double)bare.messages / bare.seconds;
    printf("bare loop: %.0f messages/s (the yardstick of every ratio below)\n\n",
           bare_messages_per_s);
    steady_workload(dir, tmp);
    leader_crash_seeds(dir, tmp, seeds);
    check_replay(dir, tmp);
    outcomes_cost(dir, tmp, seeds);
    g_rmdir(tmp);
    g_free(tmp);
    return 0;
}
