/* models.c: the registry of models (model.h). Adding a model is one descriptor in its own
 * file and one line in `registry` below. */
#include "world/model.h"

#include <string.h>

extern const struct model_desc zab_model;
extern const struct model_desc pubsub_model;
extern const struct model_desc jetstream_model;
extern const struct model_desc zab_real_model;
extern const struct model_desc pubsub_real_model;

/* Registration order is the order of columns in summaries and of sections in reports. */
static const struct model_desc *const registry[] = {
    &zab_model,
    &pubsub_model,
    &jetstream_model,
    &zab_real_model,
    &pubsub_real_model,
};

G_STATIC_ASSERT(G_N_ELEMENTS(registry) <= MODELS_MAX);

model_id model_count(void)
{
    return (model_id)G_N_ELEMENTS(registry);
}

const struct model_desc *model_get(model_id id)
{
    ZS_ASSERT(id < G_N_ELEMENTS(registry));
    return registry[id];
}

int model_find(const char *name)
{
    for (size_t i = 0; name && i < G_N_ELEMENTS(registry); i++) {
        if (strcmp(registry[i]->name, name) == 0)
            return (int)i;
    }
    return -1;
}

unsigned model_all(void)
{
    unsigned set = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++) {
        if (registry[i]->build)
            set |= 1u << i;
    }
    return set;
}

unsigned model_default(void)
{
    unsigned set = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++) {
        if (registry[i]->build && !registry[i]->opt_in)
            set |= 1u << i;
    }
    return set;
}

unsigned scenario_default_models(const struct scenario *sc)
{
    unsigned set = sc->models ? sc->models : model_default();
    /* A recipe runs over its backend: the scenario asks for that model by naming it. */
    for (uint32_t i = 0; i < sc->n_recipes && i < SCENARIO_MAX_RECIPES; i++)
        set |= 1u << sc->recipes[i].backend;
    return set;
}

/* Tests' overrides of descriptors' recipe_kinds (recipe_kinds_set: which are overridden). */
static unsigned recipe_kinds_override[MODELS_MAX];
static unsigned recipe_kinds_set;

unsigned model_recipe_kinds(model_id id)
{
    ZS_ASSERT(id < G_N_ELEMENTS(registry));
    return (recipe_kinds_set & (1u << id)) ? recipe_kinds_override[id]
                                           : registry[id]->recipe_kinds;
}

void model_set_recipe_kinds_for_test(model_id id, unsigned kinds)
{
    ZS_ASSERT(id < G_N_ELEMENTS(registry));
    recipe_kinds_override[id] = kinds;
    recipe_kinds_set |= 1u << id;
}

unsigned model_real_set(void)
{
    unsigned set = 0;
    for (size_t i = 0; i < G_N_ELEMENTS(registry); i++) {
        if (registry[i]->real_of)
            set |= 1u << i;
    }
    return set;
}

unsigned model_parse_set(const char *text, char *bad, size_t bad_len)
{
    if (bad_len)
        bad[0] = '\0';
    if (!text || !*text)
        return 0;
    if (strcmp(text, "all") == 0)
        return model_all();
    /* "both" predates plug-in models: it meant the two original ones. */
    if (strcmp(text, "both") == 0)
        return (1u << model_find("zab")) | (1u << model_find("pubsub"));
    unsigned set = 0;
    gchar **names = g_strsplit(text, ",", -1);
    for (gchar **n = names; *n; n++) {
        int id = model_find(*n);
        if (id < 0) {
            g_strlcpy(bad, *n, bad_len);
            set = 0;
            break;
        }
        set |= 1u << id;
    }
    g_strfreev(names);
    return set;
}

const char *model_format_set(unsigned set, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (model_id i = 0; i < model_count(); i++) {
        if (!(set & (1u << i)))
            continue;
        used += (size_t)g_snprintf(buf + MIN(used, len), len - MIN(used, len), "%s%s",
                                   used ? "," : "", registry[i]->name);
    }
    return buf;
}

const char *model_names_usage(char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    for (model_id i = 0; i < model_count(); i++) {
        if (registry[i]->build) /* the models a run can simulate */
            used += (size_t)g_snprintf(buf + MIN(used, len), len - MIN(used, len), "%s|",
                                       registry[i]->name);
    }
    g_strlcpy(buf + MIN(used, len), "all", len - MIN(used, len));
    return buf;
}

const char *model_word(const struct model_desc *d, enum model_vocab v, unsigned code)
{
    const char *(*name)(uint8_t) = v == MODEL_STATES   ? d->state_name
                                   : v == MODEL_PHASES ? d->phase_name
                                                       : d->msg_type_name;
    const char *word = name && code <= UINT8_MAX ? name((uint8_t)code) : NULL;
    return word && strcmp(word, "?") != 0 ? word : NULL;
}
