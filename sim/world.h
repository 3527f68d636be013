/* world.h: a zabsim run assembled from a scenario: the hosts (each with a ZAB server, a
 * pub/sub broker and a subscriber application), the clients (each with a ZooKeeper client
 * and a NATS publisher on its own machine), the workload that offers every client message
 * to both models, and the fault schedule that hits both models at once.
 *
 * A client machine stands on its home host's side of every partition (think of it as the
 * application server next to that host), so a partition cuts a client off from the hosts
 * on the other side. Symbolic fault targets (leader, follower, random) are resolved when the
 * fault fires from the simulated state and the fault stream, and the resolved hosts are
 * recorded with the fault. */
#ifndef SIM_WORLD_H
#define SIM_WORLD_H

#include "sim/scenario.h"
#include "sim/sim.h"

enum world_models {
    WORLD_ZAB = 1 << 0,
    WORLD_PUBSUB = 1 << 1,
    WORLD_BOTH = WORLD_ZAB | WORLD_PUBSUB,
};

struct world_host_end {
    bool up;
    uint32_t incarnation;
    enum zab_server_state zab_state;
    enum zab_phase zab_phase;
};

struct world;

/* Builds the simulation for sc with the given seed. rec receives every trace record. The
 * scenario must outlive the world. */
struct world *world_new(const struct scenario *sc, uint64_t seed, unsigned models,
                        bool log_messages, const struct recorder *rec);
/* Runs until the scenario's duration. */
void world_run(struct world *w);
/* Fills ends[h] for every host with its state at the end of the run. */
void world_host_ends(const struct world *w, struct world_host_end *ends);
void world_free(struct world *w);

#endif
