/* zab_vocab.c: names of the ZAB model's states, phases and bug variants, as the results
 * database, the reports and scenarios spell them (ZooKeeper's ServerState, the phases of the
 * ZAB paper, ZooKeeper's JIRA keys). */
#include "protocol/zab/zab.h"

#include <string.h>

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

const char *zab_variant_name(enum zab_variant v)
{
    static const char *const names[ZAB_VARIANT_COUNT] = {
        [ZAB_VARIANT_NONE] = "none",
        [ZAB_VARIANT_ZK_1154] = "zk-1154",
        [ZAB_VARIANT_ZK_2845] = "zk-2845",
        [ZAB_VARIANT_ZK_3911] = "zk-3911",
        [ZAB_VARIANT_ZK_4643] = "zk-4643",
        [ZAB_VARIANT_ZK_4646] = "zk-4646",
        [ZAB_VARIANT_ZK_4712] = "zk-4712",
    };
    return (unsigned)v < G_N_ELEMENTS(names) ? names[v] : NULL;
}

int zab_variant_find(const char *name)
{
    for (int v = 0; v < ZAB_VARIANT_COUNT; v++) {
        if (strcmp(zab_variant_name((enum zab_variant)v), name) == 0)
            return v;
    }
    return -1;
}
