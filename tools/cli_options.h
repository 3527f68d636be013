/* cli_options.h: what `zabsim run`, `sweep` and `explore` parse alike: the scenario
 * argument, --db, --model, --record and --variant, and the error line every option problem
 * becomes. One helper, so the commands cannot drift in how they read the same option. */
#ifndef TOOLS_CLI_OPTIONS_H
#define TOOLS_CLI_OPTIONS_H

#include "reports/db.h"
#include "world/scenario.h"

/* Options both commands take. Strings are GOption's (freed by cli_common_clear). */
struct cli_common {
    const char *command;  /* "run": for messages ("zabsim run: ...") */
    gchar *db_path;
    gchar *model;
    unsigned models;      /* --model, else scenario_default_models(): bits by model id */
    gchar *record;
    gchar *variant;       /* --variant: overrides the scenario's zab.variant */
    enum db_record_level level; /* parsed --record; set it to the command's default first */
    char record_help[160];
    struct scenario *sc;  /* the loaded scenario */
    char model_help[128];
};

/* Appends the --db, --model, --record and --variant entries to entries (room for 4 more plus
 * the terminator). */
void cli_common_entries(struct cli_common *c, GOptionEntry *entries, size_t *n);
/* Parses argv with ctx (whose entries came from cli_common_entries), requires exactly one
 * scenario file, checks --model and --record, loads the scenario and sets models. Prints
 * "zabsim CMD: problem" (or the scenario's problems) and returns false on any problem: exit
 * status 2. */
bool cli_common_parse(struct cli_common *c, GOptionContext *ctx, int *argc, char ***argv);
/* Prints "zabsim CMD: message" on stderr and returns false, for the command's own checks. */
bool cli_fail(const struct cli_common *c, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
void cli_common_clear(struct cli_common *c);

#endif
