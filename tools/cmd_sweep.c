/* cmd_sweep.c: `zabsim sweep SCENARIO.yaml --seeds A..B [--shard I/N] [--jobs J] [--db FILE]
 * [--model M,...] [--record LEVEL] [--variant NAME]`, and `zabsim explore` (the same seeds,
 * each with a fault schedule of its own drawn on top of the scenario: world/explore.h).
 *
 * A sweep records at summary level unless told otherwise, and runs each failing seed again
 * at outcomes level, publishing that run instead, so every failure can be inspected row by
 * row in the same database while passing seeds cost no per-message rows.
 *
 * --shard I/N runs every N-th seed of the range, starting with the I-th (A+I-1, A+I-1+N, ...),
 * so that N machines share a sweep evenly and `zabsim merge` puts the shards together again
 * (docs/scale.md).
 *
 * Seeds run in parallel on a GThreadPool (each simulation stays on one thread), but runs
 * are published into the database strictly in seed order, so the database is the same for
 * any --jobs. Progress is a bar with an ETA on a terminal and one line per seed otherwise;
 * every failing seed is printed as the `zabsim run` command that reproduces it. This file
 * reads the wall clock for the ETA only. */
#include "tools/cli.h"
#include "tools/cli_options.h"
#include "tools/run_one.h"
#include "world/explore.h"
#include "world/world.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct seed_job {
    uint64_t seed;
    bool done;
    bool rerun;           /* it failed at summary level and was run again at outcomes */
    bool ok;              /* simulated without a database error */
    struct run_outcome outcome;
    GError *error;
    /* explore: the seed's concrete scenario, its file text and name */
    struct scenario *own_sc;
    char *text, *file;
};

struct sweep {
    const struct scenario *sc;
    unsigned models;
    enum db_record_level level;
    const char *db_path;
    struct seed_job *jobs;
    GMutex lock;
    GCond finished;
    /* explore: draw each seed's faults; write failing seeds' files into out_dir */
    bool explore;
    const char *variant; /* --variant, applied to each drawn scenario */
    const char *out_dir;
};

/* explore: the seed's scenario, drawn on top of sw->sc and read back from its own text, so
 * that the run is exactly what `zabsim run` of that text does. Judged by the invariants
 * alone: the base scenario's `expect:` was written for its own faults. */
static bool explore_scenario(struct sweep *sw, struct seed_job *job, GError **err)
{
    char *body = explore_scenario_text(sw->sc, sw->models, job->seed, err);
    if (!body)
        return false;
    job->file = g_strdup_printf("%s-seed%" PRIu64 "-failing.yaml", sw->sc->name, job->seed);
    job->text = g_strdup_printf("# Drawn by zabsim explore from %s, seed %" PRIu64 ": its faults "
                                "are the scenario's and those\n# explore added at the end of "
                                "faults:. `zabsim run %s` runs it again.\n%s",
                                sw->sc->path, job->seed, job->file, body);
    g_free(body);
    job->own_sc = scenario_parse(job->file, job->text, strlen(job->text), err);
    if (!job->own_sc || (sw->variant && !scenario_set_variant(job->own_sc, sw->variant, err)) ||
        !world_check_targets(job->own_sc, sw->models, err))
        return false;
    g_array_remove_range(job->own_sc->expect, 0, job->own_sc->expect->len);
    return true;
}

static void run_job(gpointer data, gpointer user)
{
    struct sweep *sw = user;
    struct seed_job *job = data;
    struct run_request rq = { .sc = sw->sc, .seed = job->seed, .models = sw->models,
                              .level = sw->level, .db_path = sw->db_path };
    GError *err = NULL;
    bool ok = !sw->explore || explore_scenario(sw, job, &err);
    if (sw->explore && ok)
        rq.sc = job->own_sc;
    ok = ok && run_simulate(&rq, &job->outcome, &err);
    if (ok && !job->outcome.passed && rq.level == DB_RECORD_SUMMARY) {
        /* The same seed gives the same run: again, keeping every row this time. */
        run_outcome_clear(&job->outcome);
        rq.level = DB_RECORD_OUTCOMES;
        job->rerun = true;
        ok = run_simulate(&rq, &job->outcome, &err);
        if (ok && job->outcome.passed) {
            g_set_error(&err, ZS_ERROR, ZS_ERROR_INTERNAL,
                        "failed at summary level but passed when run again at outcomes level: "
                        "the run is not deterministic (zabsim run --check-determinism)");
            ok = false;
        }
    }
    g_mutex_lock(&sw->lock);
    job->ok = ok;
    job->error = err;
    job->done = true;
    g_cond_broadcast(&sw->finished);
    g_mutex_unlock(&sw->lock);
}

/* Most seeds one sweep runs: beyond this a sweep is a typo more often than a plan. */
#define SWEEP_SEEDS_MAX 10000000

/* Parses --seeds A..B; on a mistake, says what is wrong and how to write it. */
static bool parse_seeds(const struct cli_common *c, const char *text, uint64_t *from,
                        uint64_t *to)
{
    if (!text)
        return cli_fail(c, "--seeds is required: give the seeds to run as a range, both ends "
                           "included, such as --seeds 1..100");
    const char *dots = strstr(text, "..");
    if (!dots) {
        uint64_t one;
        if (g_ascii_string_to_unsigned(text, 10, 0, UINT64_MAX, &one, NULL))
            return cli_fail(c, "--seeds %s: give a range A..B; for this one seed, --seeds "
                               "%s..%s (or zabsim run SCENARIO.yaml --seed %s)",
                            text, text, text, text);
        const char *dash = strchr(text, '-');
        if (dash && dash != text)
            return cli_fail(c, "--seeds %s: write a range as A..B with two dots, such as "
                               "%.*s..%s", text, (int)(dash - text), text, dash + 1);
        return cli_fail(c, "--seeds %s: give a range A..B of whole numbers, such as 1..100",
                        text);
    }
    char *a = g_strndup(text, (gsize)(dots - text));
    bool ok = g_ascii_string_to_unsigned(a, 10, 0, UINT64_MAX, from, NULL) &&
              g_ascii_string_to_unsigned(dots + 2, 10, 0, UINT64_MAX, to, NULL);
    g_free(a);
    if (!ok)
        return cli_fail(c, "--seeds %s: both ends must be whole numbers from 0 to %" PRIu64
                           ", such as 1..100", text, UINT64_MAX);
    if (*from > *to)
        return cli_fail(c, "--seeds %s: the range is empty (%" PRIu64 " is above %" PRIu64
                           "); did you mean %" PRIu64 "..%" PRIu64 "?",
                        text, *from, *to, *to, *from);
    if (*to - *from >= SWEEP_SEEDS_MAX)
        return cli_fail(c, "--seeds %s: at most %d seeds in one sweep", text, SWEEP_SEEDS_MAX);
    return true;
}

static void show_progress(bool tty, uint64_t done, uint64_t total, uint64_t failed,
                          gint64 started, const struct seed_job *last)
{
    if (!tty) {
        printf("seed %" PRIu64 ": %s%s\n", last->seed,
               !last->ok ? "error" : last->outcome.passed ? "pass" : "FAIL",
               last->rerun ? " (run again at outcomes level)" : "");
        fflush(stdout);
        return;
    }
    double elapsed = (double)(g_get_monotonic_time() - started) / 1e6;
    double eta = done ? elapsed / (double)done * (double)(total - done) : 0;
    int width = 30, filled = (int)((double)width * (double)done / (double)total);
    fprintf(stderr, "\r[%.*s%*s] %" PRIu64 "/%" PRIu64 "  %" PRIu64 " failing  ETA %.0fs   ",
            filled, "##############################", width - filled, "", done, total, failed,
            eta);
    if (done == total)
        fputc('\n', stderr);
    fflush(stderr);
}

/* explore: a failing seed's scenario file, written as soon as the seed is published, and
 * said at once (a long exploration shows its first failures while it goes on). */
static bool write_failing(struct sweep *sw, struct seed_job *job, bool tty, GString *failures)
{
    char *path = g_build_filename(sw->out_dir, job->file, NULL);
    GError *err = NULL;
    bool ok = g_file_set_contents(path, job->text, -1, &err);
    if (!ok) {
        fprintf(stderr, "%szabsim explore: %s\n", tty ? "\n" : "", err->message);
        g_error_free(err);
    } else {
        /* The drawn file keeps the scenario's `models:`: --model only when the run took
         * another set. */
        char set[128];
        const char *models = sw->models == scenario_default_models(job->own_sc)
                                 ? "" : model_format_set(sw->models, set, sizeof set);
        GString *cmd = g_string_new(NULL);
        g_string_printf(cmd, "zabsim run %s%s%s%s%s", path, *models ? " --model " : "", models,
                        sw->variant ? " --variant " : "", sw->variant ? sw->variant : "");
        fprintf(stderr, "%sseed %" PRIu64 ": %" PRId64 " invariant violation%s: %s\n",
                tty ? "\r" : "", job->seed, job->outcome.violations,
                job->outcome.violations == 1 ? "" : "s", cmd->str);
        g_string_append_printf(failures, "%s\n", cmd->str);
        g_string_free(cmd, TRUE);
    }
    g_free(path);
    return ok;
}

/* Publishes finished runs in seed order; returns the number of failing seeds, or -1 on a
 * database error. */
static int64_t publish_in_order(struct sweep *sw, uint64_t count, const char *scenario_arg,
                                GString *failures)
{
    bool tty = isatty(STDERR_FILENO);
    gint64 started = g_get_monotonic_time();
    int64_t failed = 0;
    for (uint64_t i = 0; i < count; i++) {
        struct seed_job *job = &sw->jobs[i];
        g_mutex_lock(&sw->lock);
        while (!job->done)
            g_cond_wait(&sw->finished, &sw->lock);
        g_mutex_unlock(&sw->lock);
        GError *err = job->error;
        if (job->ok && !run_publish(&job->outcome, NULL, &err))
            job->ok = false;
        if (!job->ok) {
            fprintf(stderr, "%szabsim sweep: seed %" PRIu64 ": %s\n", tty ? "\n" : "", job->seed,
                    err ? err->message : "failed");
            g_clear_error(&err);
            job->error = NULL;
            return -1;
        }
        if (!job->outcome.passed && sw->explore) {
            failed++;
            if (!write_failing(sw, job, tty, failures))
                return -1;
        } else if (!job->outcome.passed) {
            /* `zabsim run` of the scenario takes its default set by itself. */
            bool own = sw->models == scenario_default_models(sw->sc);
            char set[128];
            failed++;
            g_string_append_printf(failures, "zabsim run %s --seed %" PRIu64 "%s%s\n", scenario_arg,
                                   job->seed, own ? "" : " --model ",
                                   own ? "" : model_format_set(sw->models, set, sizeof set));
        }
        show_progress(tty, i + 1, count, (uint64_t)failed, started, job);
        run_outcome_clear(&job->outcome);
    }
    return failed;
}

/* Most shards a sweep is split into. */
#define SWEEP_SHARDS_MAX 100000

/* Parses --shard I/N (1 <= I <= N); a missing option is shard 1/1. */
static bool parse_shard(const struct cli_common *c, const char *text, uint64_t *index,
                        uint64_t *of)
{
    *index = *of = 1;
    if (!text)
        return true;
    char **parts = g_strsplit(text, "/", 3);
    bool ok = g_strv_length(parts) == 2 &&
              g_ascii_string_to_unsigned(parts[0], 10, 1, SWEEP_SHARDS_MAX, index, NULL) &&
              g_ascii_string_to_unsigned(parts[1], 10, 1, SWEEP_SHARDS_MAX, of, NULL) &&
              *index <= *of;
    g_strfreev(parts);
    if (!ok)
        return cli_fail(c, "--shard %s: give I/N, this machine's shard I of N, both from 1 to "
                           "%d with I <= N, such as --shard 2/4",
                        text, SWEEP_SHARDS_MAX);
    return true;
}

/* explore's additions to a sweep: NULL for a plain sweep. */
struct explore_opts {
    const char *variant;
    const char *out_dir;
};

static int sweep_run(const struct scenario *sc, const char *scenario_arg, uint64_t from,
                     uint64_t to, uint64_t shard, uint64_t shards, int jobs, unsigned models,
                     enum db_record_level level, const char *db_path,
                     const struct explore_opts *explore)
{
    /* Seeds from + shard - 1, then every shards-th one. */
    uint64_t span = to - from + 1;
    uint64_t count = span >= shard ? (span - shard) / shards + 1 : 0;
    struct sweep sw = { .sc = sc, .models = models, .level = level, .db_path = db_path,
                        .explore = explore != NULL,
                        .variant = explore ? explore->variant : NULL,
                        .out_dir = explore ? explore->out_dir : NULL };
    gint64 started = g_get_monotonic_time();
    sw.jobs = g_new0(struct seed_job, count);
    g_mutex_init(&sw.lock);
    g_cond_init(&sw.finished);
    GThreadPool *pool = g_thread_pool_new(run_job, &sw, jobs, TRUE, NULL);
    for (uint64_t i = 0; i < count; i++) {
        sw.jobs[i].seed = from + (shard - 1) + i * shards;
        g_thread_pool_push(pool, &sw.jobs[i], NULL);
    }
    GString *failures = g_string_new(NULL);
    int64_t failed = publish_in_order(&sw, count, scenario_arg, failures);
    g_thread_pool_free(pool, failed < 0, TRUE);
    int status;
    if (failed < 0) {
        status = EXIT_BAD_INPUT;
    } else {
        char of[64] = "";
        if (shards > 1)
            g_snprintf(of, sizeof of, " (shard %" PRIu64 "/%" PRIu64 " of %" PRIu64 "..%" PRIu64 ")",
                       shard, shards, from, to);
        double seconds = (double)(g_get_monotonic_time() - started) / 1e6;
        if (explore)
            printf("%s: %" PRIu64 " seeds explored%s in %.1f s (%.1f seeds/s), %" PRId64
                   " breaking invariants; results in %s (recorded at %s level)\n", sc->name,
                   count, of, seconds, seconds > 0 ? (double)count / seconds : 0.0, failed,
                   db_path, db_record_level_name(level));
        else
            printf("%s: %" PRIu64 " seeds%s, %" PRId64 " failing; results in %s (recorded at "
                   "%s level)\n", sc->name, count, of, failed, db_path,
                   db_record_level_name(level));
        if (failed > 0 && level == DB_RECORD_SUMMARY)
            printf("each failing seed was run again at outcomes level: its rows are in the "
                   "database (runs.record = 'outcomes')\n");
        if (failed > 0)
            printf("reproduce:\n%s", failures->str);
        status = failed ? EXIT_VIOLATION : EXIT_OK;
    }
    for (uint64_t i = 0; i < count; i++) {
        run_outcome_clear(&sw.jobs[i].outcome);
        g_clear_error(&sw.jobs[i].error);
        scenario_free(sw.jobs[i].own_sc);
        g_free(sw.jobs[i].text);
        g_free(sw.jobs[i].file);
    }
    g_string_free(failures, TRUE);
    g_mutex_clear(&sw.lock);
    g_cond_clear(&sw.finished);
    g_free(sw.jobs);
    return status;
}

int cmd_sweep(int argc, char **argv)
{
    struct cli_common common = { .command = "sweep", .level = DB_RECORD_SUMMARY };
    gchar *seeds = NULL, *shard_text = NULL;
    gint jobs = 1;
    GOptionEntry entries[9] = {
        { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds, "Seeds to run, inclusive (required)",
          "A..B" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Simulations run in parallel (default 1)", "J" },
        { "shard", 0, 0, G_OPTION_ARG_STRING, &shard_text,
          "Run only shard I of N of the seeds (every N-th, from the I-th); zabsim merge "
          "combines the shards", "I/N" },
    };
    size_t n = 3;
    cli_common_entries(&common, entries, &n);
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml - run a scenario over many seeds");
    g_option_context_set_summary(ctx,
        "Runs the scenario once per seed into one database (the same database for any --jobs)\n"
        "and prints every failing seed as the `zabsim run` command that reproduces it.\n"
        "At the default summary level a failing seed is run again at outcomes level, so its\n"
        "rows are in the database to inspect.\n\n"
        "Exit status: 0 every seed passed; 1 some failed; 2 bad input or database error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    int status = EXIT_BAD_INPUT;
    uint64_t from = 0, to = 0, shard = 1, shards = 1;
    if (!cli_common_parse(&common, ctx, &argc, &argv)) {
        /* reported */
    } else if (!parse_seeds(&common, seeds, &from, &to)) {
        /* reported */
    } else if (!parse_shard(&common, shard_text, &shard, &shards)) {
        /* reported */
    } else if (shards > to - from + 1) {
        cli_fail(&common, "--shard %s: %" PRIu64 " shards of %" PRIu64 " seeds would leave some "
                          "empty; use at most %" PRIu64 " shards",
                 shard_text, shards, to - from + 1, to - from + 1);
    } else if (jobs < 1 || jobs > 256) {
        cli_fail(&common, "--jobs %d: give the number of simulations to run in parallel, "
                          "1 to 256", jobs);
    } else {
        char *default_db =
            shards > 1 ? g_strdup_printf("%s-seeds%" PRIu64 "-%" PRIu64 "-shard%" PRIu64 "of%" PRIu64
                                         ".db", common.sc->name, from, to, shard, shards)
                       : g_strdup_printf("%s-seeds%" PRIu64 "-%" PRIu64 ".db", common.sc->name,
                                         from, to);
        /* What reproduces a failing seed: the scenario, and the variant when it was given. */
        char *reproduce = common.variant ? g_strdup_printf("%s --variant %s", argv[1],
                                                           common.variant)
                                         : g_strdup(argv[1]);
        status = sweep_run(common.sc, reproduce, from, to, shard, shards, jobs, common.models,
                           common.level, common.db_path ? common.db_path : default_db, NULL);
        g_free(reproduce);
        g_free(default_db);
    }
    cli_common_clear(&common);
    g_free(seeds);
    g_free(shard_text);
    g_option_context_free(ctx);
    return status;
}

int cmd_explore(int argc, char **argv)
{
    struct cli_common common = { .command = "explore", .level = DB_RECORD_SUMMARY };
    gchar *seeds = NULL, *out_dir = NULL;
    gint jobs = 1;
    GOptionEntry entries[8] = {
        { "seeds", 0, 0, G_OPTION_ARG_STRING, &seeds, "Seeds to explore, inclusive (required)",
          "A..B" },
        { "jobs", 'j', 0, G_OPTION_ARG_INT, &jobs, "Simulations run in parallel (default 1)", "J" },
        { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out_dir,
          "Where failing seeds' scenarios go (default: the current directory)", "DIR" },
    };
    size_t n = 3;
    cli_common_entries(&common, entries, &n);
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml - hunt for invariant violations");
    g_option_context_set_summary(ctx,
        "Runs the scenario once per seed, each seed with a fault schedule of its own drawn on\n"
        "top of the scenario's (swarm testing: which fault kinds, how many, when, where, and\n"
        "which fire on protocol events; the scenario's `explore:` section sets the knobs).\n"
        "A seed whose run breaks an invariant gets its concrete scenario written as\n"
        "NAME-seedN-failing.yaml, which `zabsim run` reproduces exactly. The scenario's\n"
        "`expect:` is not checked: the invariants decide.\n\n"
        "Exit status: 0 no seed broke an invariant; 1 some did; 2 bad input or database error.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    int status = EXIT_BAD_INPUT;
    uint64_t from = 0, to = 0;
    if (!cli_common_parse(&common, ctx, &argc, &argv)) {
        /* reported */
    } else if (!parse_seeds(&common, seeds, &from, &to)) {
        /* reported */
    } else if (jobs < 1 || jobs > 256) {
        cli_fail(&common, "--jobs %d: give the number of simulations to run in parallel, "
                          "1 to 256", jobs);
    } else if (out_dir && !g_file_test(out_dir, G_FILE_TEST_IS_DIR)) {
        cli_fail(&common, "--out %s: not a directory", out_dir);
    } else {
        char *default_db = g_strdup_printf("%s-explore-seeds%" PRIu64 "-%" PRIu64 ".db",
                                           common.sc->name, from, to);
        struct explore_opts opts = { .variant = common.variant,
                                     .out_dir = out_dir ? out_dir : "." };
        status = sweep_run(common.sc, argv[1], from, to, 1, 1, jobs, common.models,
                           common.level, common.db_path ? common.db_path : default_db, &opts);
        g_free(default_db);
    }
    cli_common_clear(&common);
    g_free(seeds);
    g_free(out_dir);
    g_option_context_free(ctx);
    return status;
}
