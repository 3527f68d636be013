/* model_real.c: the descriptors of the two models `zabsim conform` records from real
 * systems (tools/conform/): zab-real, a ZooKeeper ensemble, and pubsub-real, a nats-server
 * cluster. They speak the vocabulary of the simulated models they are compared with, so the
 * database, the measures and the report treat both alike; they have no build() (nothing is
 * simulated) and no oracle (a real run is checked by its measures: an acknowledged write
 * lost, replicas that diverge; docs/fidelity.md). */
#include "world/model.h"

#include "protocol/pubsub/pubsub.h"
#include "protocol/zab/zab.h"

static const char *zab_state(uint8_t state)
{
    return zab_state_name((enum zab_server_state)state);
}

static const char *zab_phase(uint8_t phase)
{
    return zab_phase_name((enum zab_phase)phase);
}

const struct model_desc zab_real_model = {
    .name = "zab-real",
    .title = "ZooKeeper (real)",
    .summary = "a real ZooKeeper ensemble on 127.0.0.1, recorded by zabsim conform",
    .state_name = zab_state,
    .phase_name = zab_phase,
    .leader_state = "LEADING",
    .serving_phase = "BROADCAST",
    .replays_history = true,
    .real_of = "zab",
};

static const char *ps_state(uint8_t state)
{
    return ps_state_name(state);
}

const struct model_desc pubsub_real_model = {
    .name = "pubsub-real",
    .title = "NATS (real)",
    .summary = "a real nats-server cluster on 127.0.0.1, recorded by zabsim conform",
    .state_name = ps_state,
    .queue_groups = true,
    .real_of = "pubsub",
};
