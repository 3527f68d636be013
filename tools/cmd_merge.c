/* cmd_merge.c: `zabsim merge OUT.db IN.db...`: the runs of several results databases (the
 * shards of a sweep, sweeps run on other machines) in one, ordered by scenario and seed;
 * reports/db_merge.c says what is refused. */
#include <inttypes.h>
#include <stdio.h>

#include "reports/db.h"
#include "tools/cli.h"

int cmd_merge(int argc, char **argv)
{
    GOptionEntry entries[] = { G_OPTION_ENTRY_NULL };
    GOptionContext *ctx = g_option_context_new("OUT.db IN.db... - combine results databases");
    g_option_context_set_summary(
        ctx, "Puts every run of the IN databases into OUT (created when missing), ordered by\n"
             "scenario and seed and numbered after OUT's own runs: the shards of a sweep\n"
             "(zabsim sweep --shard I/N) merged into a new OUT give the database the whole\n"
             "sweep would have written. Refused, with nothing written: a file that is not a\n"
             "zabsim database, two scenario files under one scenario name, runs of two zabsim\n"
             "versions, and a seed given twice (same scenario and models).");
    g_option_context_set_description(
        ctx, "Exit status: 0 merged, 2 bad input (nothing written). docs/scale.md.");
    g_option_context_add_main_entries(ctx, entries, NULL);
    GError *err = NULL;
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    if (!parsed || argc < 3) {
        fprintf(stderr, "zabsim merge: %s\n",
                !parsed ? err->message : "give the output database and at least one input");
        g_clear_error(&err);
        return EXIT_BAD_INPUT;
    }
    int64_t merged = 0;
    if (!db_merge(argv[1], (const char *const *)argv + 2, (size_t)(argc - 2), &merged, &err)) {
        fprintf(stderr, "zabsim merge: %s\n", err->message);
        g_error_free(err);
        return EXIT_BAD_INPUT;
    }
    printf("%" PRId64 " run%s from %d database%s merged into %s\n", merged,
           merged == 1 ? "" : "s", argc - 2, argc == 3 ? "" : "s", argv[1]);
    return EXIT_OK;
}
