/* world.h: a zabsim run assembled from a scenario: the hosts, the client machines, every
 * selected model's nodes on them (world/model.h), the workload that offers every client
 * message to every model, and the fault schedule that hits all of them at once.
 *
 * A client machine stands on its home host's side of every partition (think of it as the
 * application server next to that host), so a partition cuts a client off from the hosts
 * on the other side. There is one per workload client or recipe client, whichever are more
 * (scenario_client_machines()); faults may crash, power off, restart, pause or isolate one.
 * Symbolic fault targets (leader, follower, random) are resolved when the fault fires, by
 * the first selected model that can resolve them, from the simulated state and the fault
 * stream; `holder` by the first recipe's backend (model_desc.recipe_holder). The resolved
 * hosts and client machines are recorded with the fault.
 *
 * Every record passes through the world on its way to the caller's recorder: a model may
 * refine it (model_desc.annotate), and deliveries of models that replay their history after
 * a restart are marked `replayed` when an earlier incarnation of the host had delivered the
 * same message at the same position.
 *
 * world_new() is the one way to build a cluster: tests that want one without workload or
 * faults give a scenario with neither and drive the nodes themselves. */
#ifndef WORLD_WORLD_H
#define WORLD_WORLD_H

#include "sim/sim.h"
#include "world/model.h"
#include "world/scenario.h"

/* A host as the run ended (table `hosts`). */
struct world_host_end {
    bool up;              /* processes running */
    uint32_t incarnation;
};

struct world;

/* Whether every symbolic fault target of sc (leader, follower) can be resolved by some
 * model of the set; when not, err says which fault and which models could. */
bool world_check_targets(const struct scenario *sc, unsigned models, GError **err);

/* Builds the simulation for sc with the given seed and model set (bits by model id). rec
 * receives every trace record. The scenario must outlive the world. */
struct world *world_new(const struct scenario *sc, uint64_t seed, unsigned models,
                        bool log_messages, const struct recorder *rec);
/* Runs until the scenario's duration. */
void world_run(struct world *w);
/* Fills ends[h] for every host with its state at the end of the run. */
void world_host_ends(const struct world *w, struct world_host_end *ends);
void world_free(struct world *w);

/* For tests and tools that drive a world themselves. */
struct sim *world_sim(const struct world *w);
uint32_t world_host_machine(const struct world *w, uint32_t host);
/* Client machine c1..cN by index (0-based), beyond the workload's clients too. */
uint32_t world_client_machine(const struct world *w, uint32_t client);
/* The node a model placed on a host (the one that delivers to its subscriber) or for a
 * client; UINT32_MAX when the model is not in the run. */
uint32_t world_host_node(const struct world *w, model_id model, uint32_t host);
uint32_t world_client_node(const struct world *w, model_id model, uint32_t client);
/* Offers message msg_id of client (0-based) to one model now, as the workload does. */
void world_offer(struct world *w, model_id model, uint32_t client, msg_id_t msg_id);

#endif
