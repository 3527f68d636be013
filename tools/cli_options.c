/* cli_options.c: see cli_options.h. */
#include "tools/cli_options.h"

#include "world/model.h"
#include "world/world.h"

#include <stdarg.h>
#include <stdio.h>

void cli_common_entries(struct cli_common *c, GOptionEntry *entries, size_t *n)
{
    char names[96], set[96];
    g_snprintf(c->model_help, sizeof c->model_help, "Models to run, comma separated "
               "(default: the scenario's models:, else %s)",
               model_format_set(model_default(), set, sizeof set));
    entries[(*n)++] = (GOptionEntry){
        "db", 'd', 0, G_OPTION_ARG_FILENAME, &c->db_path,
        "Results database (default: derived from the scenario's name); an existing one gets "
        "the new runs", "FILE" };
    entries[(*n)++] = (GOptionEntry){ "model", 'm', 0, G_OPTION_ARG_STRING, &c->model,
                                      c->model_help, NULL };
    /* The registered names, e.g. "zab|pubsub|all", as the argument's description. */
    entries[*n - 1].arg_description = g_intern_string(model_names_usage(names, sizeof names));
    g_snprintf(c->record_help, sizeof c->record_help,
               "What the database keeps: summary (no per-message rows), outcomes (+ every "
               "submission, delivery and drop), messages (+ every network message); default %s",
               db_record_level_name(c->level));
    entries[(*n)++] = (GOptionEntry){ "record", 'r', 0, G_OPTION_ARG_STRING, &c->record,
                                      c->record_help, "summary|outcomes|messages" };
    entries[(*n)++] = (GOptionEntry){
        "variant", 0, 0, G_OPTION_ARG_STRING, &c->variant,
        "Switch a real ZooKeeper bug on (docs/bugs.md lists them) or off (none), whatever the "
        "scenario's zab.variant says", "NAME" };
    entries[*n] = (GOptionEntry){ NULL };
}

bool cli_fail(const struct cli_common *c, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "zabsim %s: %s\n", c->command, msg);
    g_free(msg);
    return false;
}

bool cli_common_parse(struct cli_common *c, GOptionContext *ctx, int *argc, char ***argv)
{
    GError *err = NULL;
    if (!g_option_context_parse(ctx, argc, argv, &err)) {
        cli_fail(c, "%s", err->message);
        g_error_free(err);
        return false;
    }
    if (*argc != 2)
        return cli_fail(c, "give exactly one scenario file (zabsim %s --help)", c->command);
    if (c->record && !db_record_level_parse(c->record, &c->level))
        return cli_fail(c, "--record %s: give summary, outcomes or messages", c->record);
    char bad[64], names[96];
    /* --model is checked before the scenario is read, as any other option; without it the
     * scenario's `models:` (or the default set) decides, known only once it is loaded. */
    c->models = c->model ? model_parse_set(c->model, bad, sizeof bad) : 0;
    if (c->model && !c->models)
        return cli_fail(c, "--model: no model named '%s' (the models: %s)",
                        *c->model ? bad : "", model_names_usage(names, sizeof names));
    for (model_id id = 0; id < model_count(); id++) {
        if ((c->models & (1u << id)) && !model_get(id)->build)
            return cli_fail(c, "--model: %s is recorded from the real system by zabsim conform; "
                            "it cannot be simulated (try --model %s)", model_get(id)->name,
                            model_get(id)->real_of);
    }
    c->sc = scenario_load((*argv)[1], &err);
    if (!c->sc) {
        fprintf(stderr, "%s\n", err->message); /* FILE:LINE:COLUMN: ..., one per line */
        g_error_free(err);
        return false;
    }
    if (!c->model)
        c->models = scenario_default_models(c->sc);
    if (c->variant && !scenario_set_variant(c->sc, c->variant, &err)) {
        cli_fail(c, "%s", err->message);
        g_error_free(err);
        return false;
    }
    if (!world_check_targets(c->sc, c->models, &err)) {
        cli_fail(c, "%s", err->message);
        g_error_free(err);
        return false;
    }
    return true;
}

void cli_common_clear(struct cli_common *c)
{
    scenario_free(c->sc);
    c->sc = NULL;
    g_free(c->db_path);
    g_free(c->model);
    g_free(c->record);
    g_free(c->variant);
    c->db_path = c->model = c->record = c->variant = NULL;
}
