/* ps_vocab.c: names of the pub/sub model's drop causes, as the results database spells
 * them. */
#include "protocol/pubsub/pubsub.h"

const char *ps_drop_cause_name(enum ps_drop_cause c)
{
    static const char *const names[PS_DROP_CAUSE_COUNT] = {
        [PS_DROP_NO_INTEREST] = "no_interest",
        [PS_DROP_BROKER_DOWN] = "broker_down",
        [PS_DROP_ROUTE_DOWN] = "route_down",
        [PS_DROP_CONNECTION_CLOSED] = "connection_closed",
        [PS_DROP_SLOW_CONSUMER] = "slow_consumer",
        [PS_DROP_RECONNECT_BUFFER_FULL] = "reconnect_buffer_full",
        [PS_DROP_PUBLISHER_DISCONNECTED] = "publisher_disconnected",
    };
    return (unsigned)c < G_N_ELEMENTS(names) ? names[c] : NULL;
}
