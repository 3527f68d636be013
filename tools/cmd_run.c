/* cmd_run.c: `zabsim run SCENARIO.yaml [--seed N] [--db FILE] [--model M,...]
 * [--record summary|outcomes|messages] [--check-determinism]`: one simulation, its results
 * database, and the side-by-side summary; with --check-determinism the seed runs again and
 * must match. */
#include "tools/cli.h"
#include "tools/cli_options.h"
#include "world/determinism.h"
#include "tools/run_one.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Checks run's own options; false (message printed) on a bad one. */
static bool read_run_options(struct cli_common *c, const char *seed_text, const char *log,
                             uint64_t *seed)
{
    /* --log messages: the older spelling of --record messages. */
    if (log && strcmp(log, "messages") != 0)
        return cli_fail(c, "--log takes 'messages', not '%s'", log);
    if (log && c->record && c->level != DB_RECORD_MESSAGES)
        return cli_fail(c, "--log messages and --record %s contradict each other; --record "
                           "messages keeps every network message", c->record);
    if (log)
        c->level = DB_RECORD_MESSAGES;
    *seed = c->sc->seed;
    GError *err = NULL;
    if (seed_text && !g_ascii_string_to_unsigned(seed_text, 10, 0, UINT64_MAX, seed, &err)) {
        cli_fail(c, "--seed: %s", err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

static int run_and_publish(struct run_request *rq, bool check_determinism)
{
    struct run_outcome outcome = { 0 };
    GError *err = NULL;
    int status = EXIT_BAD_INPUT;
    int64_t run_id = 0;
    struct determinism *det = check_determinism ? determinism_new() : NULL;
    if (det) {
        rq->observer = determinism_record;
        rq->observer_ctx = det;
    }
    if (!run_simulate(rq, &outcome, &err)) {
        fprintf(stderr, "zabsim run: %s\n", err->message);
        goto out;
    }
    fputs(outcome.summary->str, stdout);
    if (!run_publish(&outcome, &run_id, &err)) {
        fprintf(stderr, "zabsim run: %s\n", err->message);
        goto out;
    }
    printf("verdict: %s   (results: %s, run %" PRId64 ")\n", outcome.passed ? "PASS" : "FAIL",
           rq->db_path, run_id);
    status = outcome.passed ? EXIT_OK : EXIT_VIOLATION;
    if (det) {
        GString *report = g_string_new(NULL);
        if (!determinism_verify(det, rq->sc, rq->seed, rq->models,
                                rq->level == DB_RECORD_MESSAGES, report))
            status = EXIT_VIOLATION;
        fputs(report->str, stdout);
        g_string_free(report, TRUE);
    }
out:
    determinism_free(det);
    run_outcome_clear(&outcome);
    g_clear_error(&err);
    return status;
}

int cmd_run(int argc, char **argv)
{
    struct cli_common common = { .command = "run", .level = DB_RECORD_OUTCOMES };
    gchar *seed_text = NULL, *log = NULL;
    gboolean check_determinism = FALSE;
    GOptionEntry entries[8] = {
        { "seed", 's', 0, G_OPTION_ARG_STRING, &seed_text, "Seed (default: the scenario's)", "N" },
        { "log", 0, 0, G_OPTION_ARG_STRING, &log, "The same as --record messages", "messages" },
        { "check-determinism", 0, 0, G_OPTION_ARG_NONE, &check_determinism,
          "Run the seed a second time (writing nothing) and fail, showing the first event "
          "where they part, unless both runs are identical", NULL },
    };
    size_t n = 3;
    cli_common_entries(&common, entries, &n);
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml - run one simulation");
    g_option_context_set_summary(ctx,
        "Runs the scenario's models side by side under the same traffic and faults, writes\n"
        "every ordering and delivery outcome to the results database, and prints each\n"
        "model's summary and the invariant verdict.\n\n"
        "Exit status: 0 invariants hold and expect: is met; 1 they do not (or, with\n"
        "--check-determinism, the two runs differ); 2 bad input.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    int status = EXIT_BAD_INPUT;
    uint64_t seed = 0;
    if (cli_common_parse(&common, ctx, &argc, &argv) &&
        read_run_options(&common, seed_text, log, &seed)) {
        char *default_db = run_default_db_path(common.sc, seed);
        struct run_request rq = { .sc = common.sc, .seed = seed, .models = common.models,
                                  .level = common.level,
                                  .db_path = common.db_path ? common.db_path : default_db };
        status = run_and_publish(&rq, check_determinism);
        g_free(default_db);
    }
    cli_common_clear(&common);
    g_free(seed_text);
    g_free(log);
    g_option_context_free(ctx);
    return status;
}
