/* scenario_recipe.c: the `recipe:` key of a scenario (docs/scenarios.md, "Recipes"):
 * coordination recipes (a lock, a leader election, a registry) whose clients run on client
 * machines c1..cN over one of the simulated models, and the names of those machines.
 *
 * Only the settings are read and checked here. A recipe runs over a model that says it can
 * back that kind (model_recipe_kinds()); a backend without the kind is refused, so a
 * scenario never asks for a recipe nobody runs. Recipes are read before the faults, which
 * may name the client machines (c2) and the recipe's holder (`holder`). */
#include "world/model.h"
#include "world/scenario_internal.h"

#include <limits.h>
#include <stdio.h>
#include <string.h>

static const char *const recipe_kind_names[RECIPE_KIND_COUNT] = {
    [RECIPE_LOCK] = "lock",
    [RECIPE_ELECTION] = "election",
    [RECIPE_REGISTRY] = "registry",
};

const char *recipe_kind_name(enum recipe_kind kind)
{
    return (unsigned)kind < RECIPE_KIND_COUNT ? recipe_kind_names[kind] : "?";
}

/* Defaults (docs/scenarios.md): 3 clients, a lock held (a leader leading) for 2 s, a write to
 * the protected resource every 100 ms, no fencing. */
#define RECIPE_DEFAULT_CLIENTS 3
#define RECIPE_DEFAULT_HOLD (2 * SIM_S)
#define RECIPE_DEFAULT_WORK_EVERY (100 * SIM_MS)

int scenario__client_number(const char *name)
{
    if (name[0] != 'c' || name[1] < '1' || name[1] > '9')
        return -1;
    long long n = 0;
    for (const char *p = name + 1; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        n = n * 10 + (*p - '0');
        if (n > INT_MAX)
            return INT_MAX; /* a name of the form, beyond any scenario's machines */
    }
    return (int)n - 1;
}

uint32_t scenario_client_machines(const struct scenario *sc)
{
    uint32_t recipes = 0;
    for (uint32_t i = 0; i < sc->n_recipes && i < SCENARIO_MAX_RECIPES; i++)
        recipes = MAX(recipes, sc->recipes[i].first_client + sc->recipes[i].clients);
    return MAX(sc->workload.clients, recipes);
}

enum recipe_key {
    RK_KIND, RK_BACKEND, RK_CLIENTS, RK_HOLD, RK_WORK_EVERY, RK_FENCING, RK_START, RK_COUNT
};
static const char *const recipe_keys[RK_COUNT] = {
    [RK_KIND] = "kind",   [RK_BACKEND] = "backend",       [RK_CLIENTS] = "clients",
    [RK_HOLD] = "hold",   [RK_WORK_EVERY] = "work_every", [RK_FENCING] = "fencing",
    [RK_START] = "start",
};

static bool read_kind(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      enum recipe_kind *out)
{
    if (scenario__is_null(n)) {
        scenario__report_at(c, n, "%s: missing value (expected lock, election or registry)",
                            where);
    } else if (n->kind == SCENARIO_YNODE_SCALAR) {
        for (int k = 0; k < RECIPE_KIND_COUNT; k++) {
            if (strcmp(n->text, recipe_kind_names[k]) == 0) {
                *out = (enum recipe_kind)k;
                return true;
            }
        }
        scenario__report_at(c, n, "%s: '%s' is not a recipe (expected lock, election or "
                            "registry)", where, scenario__quote(c->diag, n->text));
    } else if (n->kind != SCENARIO_YNODE_INVALID) {
        scenario__report_at(c, n, "%s: expected lock, election or registry, not %s", where,
                            scenario__kind_name(n));
    }
    return false;
}

/* A simulated model's name: the recipe's backend. */
static bool read_backend(struct scenario__ctx *c, const struct ynode *n, const char *where,
                         model_id *out)
{
    char *name = NULL, names[128];
    if (!scenario__string(c, n, where, &name))
        return false;
    int id = model_find(name);
    bool ok = id >= 0 && model_get((model_id)id)->build;
    if (!ok)
        scenario__report_at(c, n, "%s: '%s' is not a simulated model (the models: %s)", where,
                            scenario__quote(c->diag, name),
                            model_format_set(model_all(), names, sizeof names));
    g_free(name);
    if (ok)
        *out = (model_id)id;
    return ok;
}

/* true or false. */
static bool read_flag(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      bool *out)
{
    if (n->kind == SCENARIO_YNODE_SCALAR && (strcmp(n->text, "true") == 0 ||
                                             strcmp(n->text, "false") == 0)) {
        *out = strcmp(n->text, "true") == 0;
        return true;
    }
    if (scenario__is_null(n))
        scenario__report_at(c, n, "%s: missing value (expected true or false)", where);
    else if (n->kind != SCENARIO_YNODE_INVALID)
        scenario__report_at(c, n, "%s: expected true or false, not %s%s%s", where,
                            n->kind == SCENARIO_YNODE_SCALAR ? "'" : "",
                            n->kind == SCENARIO_YNODE_SCALAR
                                ? scenario__quote(c->diag, n->text)
                                : scenario__kind_name(n),
                            n->kind == SCENARIO_YNODE_SCALAR ? "'" : "");
    return false;
}

/* One recipe mapping; returns false when it is not valid (problems reported). */
static bool read_recipe(struct scenario__ctx *c, const struct ynode *n, const char *where,
                        struct scenario_recipe *r)
{
    struct scenario__field f[RK_COUNT];
    char path[64];
    *r = (struct scenario_recipe){ .clients = RECIPE_DEFAULT_CLIENTS,
                                   .hold = RECIPE_DEFAULT_HOLD,
                                   .work_every = RECIPE_DEFAULT_WORK_EVERY,
                                   .line = n->line, .column = n->column };
    if (n->kind != SCENARIO_YNODE_MAPPING) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected a mapping such as {kind: lock, backend: "
                                "zab}, not %s", where,
                                scenario__is_null(n) ? "nothing" : scenario__kind_name(n));
        return false;
    }
    if (!scenario__fields(c, n, where, recipe_keys, RK_COUNT, f))
        return false;
    bool ok = true, kind_ok = false, backend_ok = false;
    if (!f[RK_KIND].value) {
        scenario__missing(c, n, where, "kind");
        ok = false;
    } else {
        kind_ok = read_kind(c, f[RK_KIND].value, scenario__path(path, sizeof path, where,
                                                                ".kind"), &r->kind);
    }
    if (!f[RK_BACKEND].value) {
        scenario__missing(c, n, where, "backend");
        ok = false;
    } else {
        scenario__path(path, sizeof path, where, ".backend");
        backend_ok = read_backend(c, f[RK_BACKEND].value, path, &r->backend);
    }
    ok = ok && kind_ok && backend_ok;
    if (kind_ok && backend_ok && !(model_recipe_kinds(r->backend) & (1u << r->kind))) {
        scenario__report_at(c, f[RK_BACKEND].value, "%s: backend \"%s\" has no %s recipe in "
                            "this version", path, model_get(r->backend)->name,
                            recipe_kind_name(r->kind));
        ok = false;
    }
    uint64_t v;
    if (f[RK_CLIENTS].value) {
        if (scenario__uint(c, f[RK_CLIENTS].value,
                           scenario__path(path, sizeof path, where, ".clients"), 1,
                           SCENARIO_MAX_CLIENTS, &v)) {
            r->clients = (uint32_t)v;
        } else {
            ok = false;
            c->clients_ok = false; /* the client machines are unknown */
        }
    }
    if (f[RK_HOLD].value)
        ok &= scenario__duration(c, f[RK_HOLD].value,
                                 scenario__path(path, sizeof path, where, ".hold"), 0, &r->hold);
    if (f[RK_WORK_EVERY].value)
        ok &= scenario__duration(c, f[RK_WORK_EVERY].value,
                                 scenario__path(path, sizeof path, where, ".work_every"), 1,
                                 &r->work_every);
    if (f[RK_FENCING].value)
        ok &= read_flag(c, f[RK_FENCING].value,
                        scenario__path(path, sizeof path, where, ".fencing"), &r->fencing);
    if (f[RK_START].value)
        ok &= scenario__duration(c, f[RK_START].value,
                                 scenario__path(path, sizeof path, where, ".start"), 0,
                                 &r->start);
    return ok;
}

/* Keeps a valid recipe. An invalid one that would add client machines leaves their number
 * unknown: references to client machines are then not checked (they could all be noise). */
static void add_recipe(struct scenario__ctx *c, const struct ynode *n, const char *where)
{
    struct scenario_recipe r;
    struct scenario *sc = c->sc;
    ZS_ASSERT(sc->n_recipes < SCENARIO_MAX_RECIPES);
    bool ok = read_recipe(c, n, where, &r);
    /* Each recipe on machines of its own, after the previous recipe's: recipes side by side
     * are separate applications, and a fault on one's holder stops nothing of another's. */
    uint32_t first = 0;
    if (sc->n_recipes > 0)
        first = sc->recipes[sc->n_recipes - 1].first_client +
                sc->recipes[sc->n_recipes - 1].clients;
    if (ok && first + r.clients > SCENARIO_MAX_CLIENTS) {
        scenario__report_at(c, n, "%s: the recipes have more than %d clients in all", where,
                            SCENARIO_MAX_CLIENTS);
        ok = false;
    }
    r.first_client = first;
    if (ok)
        sc->recipes[sc->n_recipes++] = r;
    else if (c->clients_ok && first + r.clients > sc->workload.clients)
        c->clients_ok = false; /* its machines are not c1..cN of a valid scenario: unknown */
}

void scenario__read_recipes(struct scenario__ctx *c, const struct ynode *n)
{
    char where[32];
    if (!n || scenario__is_null(n) || n->kind == SCENARIO_YNODE_INVALID)
        return;
    c->recipes_given = true;
    if (n->kind == SCENARIO_YNODE_MAPPING) {
        add_recipe(c, n, "recipe");
        return;
    }
    if (n->kind != SCENARIO_YNODE_SEQUENCE) {
        scenario__report_at(c, n, "recipe: expected a mapping such as {kind: lock, backend: "
                            "zab}, or a list of them, not %s", scenario__kind_name(n));
        return;
    }
    if (n->items->len == 0) {
        scenario__report_at(c, n, "recipe: the list is empty (leave recipe out for none)");
        return;
    }
    for (guint i = 0; i < n->items->len; i++) {
        const struct ynode *item = g_ptr_array_index(n->items, i);
        if (i >= SCENARIO_MAX_RECIPES) {
            scenario__report_at(c, item, "recipe: at most %d recipes", SCENARIO_MAX_RECIPES);
            c->clients_ok = false;
            return;
        }
        snprintf(where, sizeof where, "recipe[%u]", i);
        add_recipe(c, item, where);
    }
}
