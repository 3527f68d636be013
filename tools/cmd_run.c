/* cmd_run.c: `zabsim run SCENARIO.yaml [--seed N] [--db FILE] [--model zab|pubsub|both]
 * [--log messages]`: one simulation, its results database, and the side-by-side summary. */
#include "tools/cli.h"
#include "tools/run_one.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

int cmd_run(int argc, char **argv)
{
    gchar *seed_text = NULL, *db_path = NULL, *model = NULL, *log = NULL;
    GOptionEntry entries[] = {
        { "seed", 's', 0, G_OPTION_ARG_STRING, &seed_text, "Seed (default: the scenario's)", "N" },
        { "db", 'd', 0, G_OPTION_ARG_FILENAME, &db_path,
          "Results database (default: NAME-seedN.db here); an existing one gets a new run",
          "FILE" },
        { "model", 'm', 0, G_OPTION_ARG_STRING, &model, "Models to run (default: both)",
          "zab|pubsub|both" },
        { "log", 0, 0, G_OPTION_ARG_STRING, &log, "Also record every network message", "messages" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml - run one simulation");
    g_option_context_set_summary(ctx,
        "Runs the scenario's ZAB ensemble and pub/sub cluster side by side, writes every\n"
        "ordering and delivery outcome to the results database, and prints both models'\n"
        "summary and the invariant verdict.\n\n"
        "Exit status: 0 invariants hold and expect: is met; 1 they do not; 2 bad input.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    int status = EXIT_BAD_INPUT;
    struct scenario *sc = NULL;
    struct run_outcome outcome = { 0 };
    char *default_db = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        fprintf(stderr, "zabsim run: %s\n", err->message);
        goto out;
    }
    if (argc != 2) {
        fprintf(stderr, "zabsim run: give exactly one scenario file (zabsim run --help)\n");
        goto out;
    }
    unsigned models = run_parse_models(model ? model : "both");
    if (!models) {
        fprintf(stderr, "zabsim run: --model must be zab, pubsub or both, not '%s'\n", model);
        goto out;
    }
    if (log && strcmp(log, "messages") != 0) {
        fprintf(stderr, "zabsim run: --log takes 'messages', not '%s'\n", log);
        goto out;
    }
    uint64_t seed = 0;
    if (seed_text && !g_ascii_string_to_unsigned(seed_text, 10, 0, UINT64_MAX, &seed, &err)) {
        fprintf(stderr, "zabsim run: --seed: %s\n", err->message);
        goto out;
    }
    sc = scenario_load(argv[1], &err);
    if (!sc) {
        fprintf(stderr, "%s\n", err->message);
        goto out;
    }
    if (!seed_text)
        seed = sc->seed;
    default_db = run_default_db_path(sc, seed);
    struct run_request rq = { .sc = sc, .seed = seed, .models = models,
                              .log_messages = log != NULL,
                              .db_path = db_path ? db_path : default_db };
    if (!run_simulate(&rq, &outcome, &err)) {
        fprintf(stderr, "zabsim run: %s\n", err->message);
        goto out;
    }
    int64_t run_id = 0;
    fputs(outcome.summary->str, stdout);
    if (!run_publish(&outcome, &run_id, &err)) {
        fprintf(stderr, "zabsim run: %s\n", err->message);
        goto out;
    }
    printf("verdict: %s   (results: %s, run %" PRId64 ")\n", outcome.passed ? "PASS" : "FAIL",
           rq.db_path, run_id);
    status = outcome.passed ? EXIT_OK : EXIT_VIOLATION;
out:
    run_outcome_clear(&outcome);
    scenario_free(sc);
    g_free(default_db);
    g_clear_error(&err);
    g_free(seed_text);
    g_free(db_path);
    g_free(model);
    g_free(log);
    g_option_context_free(ctx);
    return status;
}
