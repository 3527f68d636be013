/* main.c: `zabsim COMMAND ...` dispatch, --version and the top-level --help. */
#include "tools/cli.h"

#include <glib.h>
#include <locale.h>
#include <stdio.h>
#include <string.h>

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    { "run", cmd_run, "run one simulation, write the results database, print the summary" },
    { "validate", cmd_validate, "check scenario files without running them" },
    { "check", cmd_check, "re-check every invariant from a results database" },
    { "sweep", cmd_sweep, "run a scenario over many seeds into one database" },
    { "explore", cmd_explore, "hunt for invariant violations: each seed draws its own faults" },
    { "shrink", cmd_shrink, "a smaller scenario that still breaks the same invariant" },
    { "report", cmd_report, "human report (text, HTML, trace JSON) from a results database" },
    { "conform", cmd_conform, "run a scenario on real ZooKeeper and nats-server, compare" },
    { "merge", cmd_merge, "combine results databases (shards of a sweep) into one" },
};

static void usage(FILE *out)
{
    fprintf(out, "Usage: zabsim COMMAND [OPTIONS...]\n\n"
                 "zabsim runs a ZooKeeper-style ZAB ensemble and a NATS-style pub/sub cluster\n"
                 "side by side under the same traffic and faults, and records every ordering\n"
                 "and delivery outcome in SQLite.\n\nCommands:\n");
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++)
        fprintf(out, "  %-9s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n`zabsim COMMAND --help` describes each command; `zabsim --version` prints the\n"
                 "version. Exit status: 0 ok, 1 violation or unmet expectation, 2 bad input.\n");
}

int main(int argc, char **argv)
{
    /* Numbers in output must not depend on the user's locale: a run is byte-for-byte
     * reproducible on any machine. */
    setlocale(LC_ALL, "C");
    if (argc < 2) {
        usage(stderr);
        return EXIT_BAD_INPUT;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("zabsim %s\n", ZABSIM_VERSION);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    for (size_t i = 0; i < G_N_ELEMENTS(commands); i++) {
        if (strcmp(argv[1], commands[i].name) != 0)
            continue;
        /* --help and option errors say "Usage: zabsim COMMAND ...". */
        char prgname[32];
        g_snprintf(prgname, sizeof prgname, "zabsim %s", commands[i].name);
        g_set_prgname(prgname);
        return commands[i].fn(argc - 1, argv + 1);
    }
    fprintf(stderr, "zabsim: unknown command '%s'\n\n", argv[1]);
    usage(stderr);
    return EXIT_BAD_INPUT;
}
