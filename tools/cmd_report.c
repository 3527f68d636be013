/* cmd_report.c: `zabsim report DB [--run ID] [--html FILE] [--trace FILE.json]
 * [--window START..END] [--model M,...]`: the human view of a results database
 * (reports/report.h). Without --html or --trace it prints the text report; with them it
 * writes those files instead. */
#include "reports/db.h"
#include "reports/report.h"
#include "tools/cli.h"
#include "world/model.h"

#include <stdio.h>

static int fail(GError *err)
{
    fprintf(stderr, "zabsim report: %s\n", err->message);
    g_error_free(err);
    return EXIT_BAD_INPUT;
}

/* Runs the renderers the options ask for on the open database. */
static int render(sqlite3 *db, const struct rep_options *opts, const char *html,
                  const char *trace)
{
    GError *err = NULL;
    if (!html && !trace && !rep_text(db, opts, stdout, &err))
        return fail(err);
    if (html && !rep_html(db, opts, html, &err))
        return fail(err);
    if (trace && !rep_trace(db, opts, trace, &err))
        return fail(err);
    return EXIT_OK;
}

static GOptionContext *options(GOptionEntry *entries)
{
    GOptionContext *ctx = g_option_context_new("DB - report a run of a results database");
    g_option_context_set_summary(
        ctx, "Prints a run's report: scenario, faults, each model's state changes, the\n"
             "models' summary side by side, the recipes' measures, drops by cause, the\n"
             "first delivery-order divergence and, for a sweep, one line per seed. --html\n"
             "writes one self-contained page with figures instead; --trace writes\n"
             "Chrome/Perfetto trace-event JSON (open it at ui.perfetto.dev).");
    g_option_context_set_description(
        ctx, "Times in --window take ns, us, ms, s or m: --window 2.9s..3.1s. It chooses the\n"
             "span of the HTML space-time diagram (default: from the first fault until the\n"
             "next leader serves), of the trace (default: the whole run) and of the faults\n"
             "and state changes the text lists (default: the whole run).\n\n"
             "Exit status: 0 written; 2 unreadable or non-zabsim database, unknown run,\n"
             "bad option or window, or an output file that cannot be written.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    return ctx;
}

int cmd_report(int argc, char **argv)
{
    gint64 run_id = -1; /* the newest */
    gchar *html = NULL, *trace = NULL, *window = NULL, *model = NULL;
    char bad[64], names[96];
    GOptionEntry entries[] = {
        { "run", 'r', 0, G_OPTION_ARG_INT64, &run_id, "Run to report (default: the newest)",
          "ID" },
        { "html", 0, 0, G_OPTION_ARG_FILENAME, &html, "Write the HTML report to FILE", "FILE" },
        { "trace", 0, 0, G_OPTION_ARG_FILENAME, &trace, "Write trace-event JSON to FILE",
          "FILE.json" },
        { "window", 'w', 0, G_OPTION_ARG_STRING, &window,
          "Span of simulated time for the space-time diagram, the trace and the text's "
          "faults and state changes", "START..END" },
        { "model", 'm', 0, G_OPTION_ARG_STRING, &model, "Show only these models, comma "
          "separated (default: every model of the run)", "M,..." },
        G_OPTION_ENTRY_NULL,
    };
    GOptionContext *ctx = options(entries);
    GError *err = NULL;
    struct rep_options opts = { 0 };
    int status = EXIT_BAD_INPUT;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        status = fail(err);
    } else if (argc != 2) {
        fprintf(stderr, "zabsim report: give exactly one database (zabsim report --help)\n");
    } else if (run_id != -1 && run_id < 1) {
        fprintf(stderr, "zabsim report: --run must be >= 1\n");
    } else if (window && !rep_parse_window(window, &opts.window, &err)) {
        status = fail(err);
    } else if (model && !(opts.models = model_parse_set(model, bad, sizeof bad))) {
        fprintf(stderr, "zabsim report: --model: no model named '%s' (the models: %s)\n", bad,
                model_names_usage(names, sizeof names));
    } else {
        sqlite3 *db = db_open(argv[1], false, &err);
        opts.run_id = run_id == -1 ? 0 : run_id;
        opts.window_set = window != NULL;
        status = db ? render(db, &opts, html, trace) : fail(err);
        sqlite3_close(db);
    }
    g_free(html);
    g_free(trace);
    g_free(window);
    g_free(model);
    g_option_context_free(ctx);
    return status;
}
