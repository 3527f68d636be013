/* model_recipes.c: what every model's descriptor does alike for the scenario's coordination
 * recipes (world/model.h): the protected resource of a lock or an election, and which of a
 * recipe's clients holds it now. The recipe clients themselves are each model's own. */
#include "world/model.h"

#include "sim/resource.h"

uint32_t model_place_recipe_resource(const struct model_build *b, uint32_t recipe,
                                     struct resource_config *cfg)
{
    const struct scenario_recipe *sr = &b->sc->recipes[recipe];
    ZS_ASSERT(recipe < b->sc->n_recipes && sr->backend == b->id);
    if (sr->kind == RECIPE_REGISTRY)
        return 0; /* a registry protects nothing */
    *cfg = (struct resource_config){ .recipe = (uint8_t)recipe, .fencing = sr->fencing };
    char name[64];
    g_snprintf(name, sizeof name, "resource%u", recipe + 1);
    uint32_t machine = b->add_machine_everywhere(b->world, name);
    g_snprintf(name, sizeof name, "resource%u/%s", recipe + 1, model_get(b->id)->name);
    struct sim_node_spec spec = { .name = name, .model = b->id, .ops = &resource_ops,
                                  .config = cfg, .ports = { RESOURCE_PORT } };
    sim_add_node(b->sim, machine, &spec);
    return machine;
}

int model_recipe_holder_of(const struct model_build *b, uint32_t recipe, const uint32_t *nodes,
                           bool (*holding)(const void *node))
{
    const struct scenario_recipe *sr = &b->sc->recipes[recipe];
    for (uint32_t c = 0; c < sr->clients; c++) {
        uint32_t at = sr->first_client + c;
        if (sim_machine_up(b->sim, b->client_machines[at]) &&
            holding(sim_node_state(b->sim, nodes[c])))
            return (int)at;
    }
    return -1;
}
