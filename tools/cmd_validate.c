/* cmd_validate.c: `zabsim validate SCENARIO.yaml...` (README.md, Commands): loads every
 * file given with the same loader `zabsim run` uses, prints "FILE: ok" on stdout for each
 * valid one and every problem of the others on stderr. It runs nothing. */
#include "world/scenario.h"
#include "tools/cli.h"

#include <stdio.h>

int cmd_validate(int argc, char **argv)
{
    GError *err = NULL;
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml... - check scenario files");
    g_option_context_set_summary(ctx,
        "Checks scenario files without running them: YAML syntax, every key and value,\n"
        "host names, fault times and partitions. Every problem of every file is reported\n"
        "as FILE:LINE:COLUMN: message, so one pass fixes them all.");
    g_option_context_set_description(ctx,
        "Prints \"FILE: ok\" on stdout for each valid file and the problems on stderr.\n"
        "Exit status: 0 when every file is valid, 2 when any is not or none is given.\n"
        "The scenario format is described in docs/scenarios.md.");
    bool parsed = g_option_context_parse(ctx, &argc, &argv, &err);
    g_option_context_free(ctx);
    if (!parsed) {
        fprintf(stderr, "zabsim validate: %s\n", err->message);
        g_error_free(err);
        return EXIT_BAD_INPUT;
    }
    if (argc < 2) {
        fprintf(stderr, "zabsim validate: no scenario file given (see zabsim validate --help)\n");
        return EXIT_BAD_INPUT;
    }
    int status = EXIT_OK;
    for (int i = 1; i < argc; i++) {
        struct scenario *sc = scenario_load(argv[i], &err);
        if (sc) {
            printf("%s: ok\n", argv[i]);
            scenario_free(sc);
        } else {
            fprintf(stderr, "%s\n", err->message);
            g_clear_error(&err);
            status = EXIT_BAD_INPUT;
        }
    }
    return status;
}
