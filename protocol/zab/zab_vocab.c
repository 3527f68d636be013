/* zab_vocab.c: names of the ZAB model's states and phases, as the results database and the
 * reports spell them (ZooKeeper's ServerState and the phases of the ZAB paper). */
#include "protocol/zab/zab.h"

const char *zab_state_name(enum zab_server_state s)
{
    static const char *const names[ZAB_STATE_COUNT] = { "DOWN", "LOOKING", "FOLLOWING",
                                                        "LEADING" };
    return (unsigned)s < G_N_ELEMENTS(names) ? names[s] : NULL;
}

const char *zab_phase_name(enum zab_phase p)
{
    static const char *const names[ZAB_PHASE_COUNT] = { NULL, "ELECTION", "DISCOVERY",
                                                        "SYNCHRONIZATION", "BROADCAST" };
    return (unsigned)p < G_N_ELEMENTS(names) ? names[p] : NULL;
}
