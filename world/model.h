/* model.h: a model as a plug-in. Each model (ZAB, core pub/sub, ...) registers one
 * descriptor in world/models.c; the world, the results database, the summary, `--model`,
 * `zabsim check` and the report iterate over the registered models and never name one.
 *
 * A descriptor says:
 *   - the model's vocabulary in trace records: names of its states, phases, drop causes and
 *     its own event types, and how each event type becomes rows of its own tables;
 *   - what it places on the hosts and client machines of a run, how it offers a workload
 *     message to its client nodes, how it resolves symbolic fault targets (`leader`,
 *     `follower`) from its state, and how it refines records it cannot attribute alone;
 *   - its invariants (an oracle over the trace, sim/oracle.h) and what its summary measures
 *     take as "serving" and "leader".
 * docs/architecture.md walks through adding a model. */
#ifndef WORLD_MODEL_H
#define WORLD_MODEL_H

#include "sim/oracle.h"
#include "sim/sim.h"
#include "world/scenario.h"

/* Most models a build can register (bits of a run's model set). */
#define MODELS_MAX 8

/* A model's own record type (TRACE_EVENT, u.event.type = its index in the descriptor's
 * events array) and how the results database keeps it. SQL statements use the named
 * parameters :run_id, :trace_seq, :t_ns, :host (name), :incarnation, :msg_id (text), :a, :b
 * and :flag; replay_sql returns the records back in the columns (trace_seq, t_ns, host,
 * incarnation, msg_id, a, b, flag), so `zabsim check` can feed them to the oracle again. */
struct model_event {
    const char *name;       /* "proposal" */
    const char *record_sql; /* INSERT (or UPDATE) of one record */
    const char *replay_sql; /* SELECT of every record of run :run_id */
};

/* What a model gets to build its part of one run. Arrays are indexed by host or client
 * index and live as long as the run. */
struct model_build {
    const struct scenario *sc;
    struct sim *sim;
    model_id id;
    const uint32_t *host_machines;
    const uint32_t *client_machines;
    /* Adds a machine (no disk) that stands beside host: on its side of every partition.
     * For a model whose processes may live off the hosts. */
    uint32_t (*add_machine_beside)(void *world, uint32_t host, const char *name);
    /* Adds a machine (no disk) that no partition cuts off: a service every side reaches. */
    uint32_t (*add_machine_everywhere)(void *world, const char *name);
    void *world;
};

/* The model's part of a running world, built by build() and freed by free(). */
struct model_run;

struct model_desc {
    const char *name;    /* "zab": the --model value, the `model` column, the expect: key */
    const char *title;   /* "ZAB": for people */
    const char *summary; /* one line: what the model is */

    /* Vocabulary. state_name is NULL for a model that records no states; every name
     * function returns NULL outside its range (and for phase 0, "none"). */
    const char *(*state_name)(uint8_t state);
    const char *(*phase_name)(uint8_t phase);
    const char *(*drop_cause_name)(uint8_t cause);
    /* Names its network message types (NULL or "?" for a type it has not), for triggers. */
    const char *(*msg_type_name)(uint8_t type);
    const struct model_event *events; /* indexed by event type; [0] unused */
    size_t n_events;
    const char *schema_sql;           /* CREATE TABLE of its event tables, or NULL */

    /* Measures. leader_state names the state of the host that leads (NULL: the model has
     * no leader, leader_changes is NULL); serving_phase the phase in which a host serves
     * (NULL: a host serves whenever it is up). A restarted host of a model that
     * replays_history delivers its log again; those deliveries are marked replayed. */
    const char *leader_state;
    const char *serving_phase;
    bool replays_history;
    /* Its subscribers join the scenario's queue group when one is set (runs.queue_group):
     * each message is then meant for one subscriber, not for every host. */
    bool queue_groups;

    /* Not in a run's default set (model_default()): it runs when `--model` names it (or
     * `all`), or when the scenario's `models:` does. For a model that is new or costly, so
     * that registering it changes no existing scenario's runs and slows no CI. */
    bool opt_in;

    /* A model recorded from a real system by `zabsim conform` (tools/conform/) rather than
     * simulated: the name of the simulated model it is compared with ("zab"), else NULL.
     * Such a model has no build() and is never part of a simulation's model set. */
    const char *real_of;

    /* Invariants over the trace; NULL for a model with none. */
    const struct oracle_ops *oracle;

    /* Symbolic fault targets it resolves: bit (1 << SCENARIO_TARGET_LEADER), (1 <<
     * SCENARIO_TARGET_FOLLOWER). */
    unsigned targets;

    /* Coordination recipes (`recipe:`) it can back: bit (1 << RECIPE_LOCK), ... A scenario
     * naming it as the backend of another kind is refused. Read it through
     * model_recipe_kinds(), which tests may override. */
    unsigned recipe_kinds;

    /* Builds the model's part of a run; then, before the simulation starts, the world asks
     * it to place its nodes host by host and client by client, every model in registry
     * order at each machine (node creation order names the nodes' random streams).
     * place_host returns the node that delivers to the host's subscriber, place_client the
     * client's node. */
    struct model_run *(*build)(const struct model_build *b);
    uint32_t (*place_host)(struct model_run *m, uint32_t host);
    uint32_t (*place_client)(struct model_run *m, uint32_t client);
    /* Places the nodes of the scenario's recipes whose backend is this model (their
     * clients on client machines c1..cN, their resources), after every host and client;
     * NULL for a model with no recipe (recipe_kinds 0). */
    void (*place_recipes)(struct model_run *m);
    /* Offers workload message msg_id of client (0-based) to the model's client node. */
    void (*offer)(struct model_run *m, uint32_t client, msg_id_t msg_id);
    /* The host a symbolic target names now, or -1 when none (rng: the fault stream, for a
     * random pick). Only for kinds in `targets`. */
    int (*resolve)(struct model_run *m, enum target_kind kind, struct rng *rng);
    /* Whether host holds the role a symbolic target names, now (a trigger's host filter).
     * Only for kinds in `targets`. */
    bool (*holds)(struct model_run *m, enum target_kind kind, uint32_t host);
    /* The network lost a message of the model carrying client message lost->u.lost.msg_id
     * (TRACE_LOST): fills *drop (kind, time, host and model already set) with the drop it
     * means, the host that missed it in u.drop.meant_for, and returns true; false when no
     * host missed it (a protocol that retransmits). NULL: never a drop. */
    bool (*lost_as_drop)(struct model_run *m, const struct trace_rec *lost,
                         struct trace_rec *drop);
    /* The client machine (0-based: c1 is 0; the recipe's run on first_client ..
     * first_client + clients - 1) holding recipe's lock or leadership now (recipe: an index
     * of sc->recipes whose backend is this model), or -1 when none does; the `holder` fault
     * target. NULL: the model never says, and such a fault does nothing. */
    int (*recipe_holder)(struct model_run *m, uint32_t recipe);
    /* Refines a record of the model before it is recorded (may be NULL). */
    void (*annotate)(struct model_run *m, struct trace_rec *r);
    void (*free)(struct model_run *m);
};

/* ---- what every model does alike for recipes (world/model_recipes.c) --------------------- */

struct resource_config;
/* Places the protected resource of b's recipe `recipe` (a lock or an election), a node of
 * b's model on a machine no partition cuts off, configured by cfg (which must live as long as
 * the run). Returns its machine; 0, and nothing placed, for a registry. */
uint32_t model_place_recipe_resource(const struct model_build *b, uint32_t recipe,
                                     struct resource_config *cfg);
/* The client machine (0-based) of the lowest of recipe's clients that is up and believes it
 * holds: holding() asks the client's node (nodes: by the recipe's client index); -1 when
 * none does. For model_desc.recipe_holder. */
int model_recipe_holder_of(const struct model_build *b, uint32_t recipe, const uint32_t *nodes,
                           bool (*holding)(const void *node));

/* ---- the registry (world/models.c) ------------------------------------------------------ */

/* Number of registered models; ids are 0 .. model_count() - 1 in registration order. */
model_id model_count(void);
const struct model_desc *model_get(model_id id);
/* The model of that name, or -1. */
int model_find(const char *name);
/* Every registered model that can be simulated (what `--model all` means). */
unsigned model_all(void);
/* Every simulated model without opt_in: the set a run takes when neither `--model` nor the
 * scenario's `models:` says. */
unsigned model_default(void);
/* The set a run of sc takes when `--model` does not say: the scenario's `models:`, else
 * model_default(). Whatever decides a run's models, or whether they are the default (a
 * printed command that must add `--model`), asks this. */
unsigned scenario_default_models(const struct scenario *sc);
/* The recipe kinds the model can back: its descriptor's recipe_kinds, unless a test set
 * them with model_set_recipe_kinds_for_test(). */
unsigned model_recipe_kinds(model_id id);
/* For tests only: makes model_recipe_kinds(id) return kinds (bits by enum recipe_kind), so
 * that a scenario with a recipe over a model that has none yet can be loaded. Give it the
 * descriptor's own recipe_kinds to undo. Not thread-safe; nothing but tests calls it. */
void model_set_recipe_kinds_for_test(model_id id, unsigned kinds);
/* The registered models recorded from real systems (model_desc.real_of set). */
unsigned model_real_set(void);
/* Parses "zab", "zab,pubsub", "all" or "both" (the two original models) into a set; 0 with
 * *bad set to the first unknown name (a pointer into text's copy, owned by the caller's
 * buffer) when a name is not registered. */
unsigned model_parse_set(const char *text, char *bad, size_t bad_len);
/* "zab,pubsub" in registration order, into buf. */
const char *model_format_set(unsigned set, char *buf, size_t len);
/* "zab|pubsub|all": the registered names, for usage lines, into buf. */
const char *model_names_usage(char *buf, size_t len);

/* A model's vocabularies, for what names them (triggers, explore). */
enum model_vocab { MODEL_STATES, MODEL_PHASES, MODEL_MESSAGES };
/* The name d gives code (0..255) in vocabulary v, or NULL when it gives none ("?" is none). */
const char *model_word(const struct model_desc *d, enum model_vocab v, unsigned code);

#endif
