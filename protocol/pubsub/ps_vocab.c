/* ps_vocab.c: names of the pub/sub model's states and drop causes, as the results database
 * spells them, and which host a message the network lost was meant for. */
#include "protocol/pubsub/pubsub.h"

#include "protocol/pubsub/ps_msg.h"

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
        [PS_DROP_LOST_IN_FLIGHT] = "lost_in_flight",
    };
    return (unsigned)c < G_N_ELEMENTS(names) ? names[c] : NULL;
}

const char *ps_state_name(uint8_t state)
{
    static const char *const names[PS_STATE_COUNT] = {
        [PS_STATE_DOWN] = "DOWN",
        [PS_STATE_SUBSCRIBED] = "SUBSCRIBED",
    };
    return state < G_N_ELEMENTS(names) ? names[state] : NULL;
}

bool ps_lost_message_meant_for(uint8_t msg_type, int32_t receiving_host, int32_t *meant_for,
                               const char **type_name)
{
    *type_name = ps_msg_type_name(msg_type);
    switch ((enum ps_msg_type)msg_type) {
    case PS_MSG_PUB:
        *meant_for = -1;
        return true;
    case PS_MSG_RMSG:
    case PS_MSG_MSG:
        *meant_for = receiving_host;
        return receiving_host >= 0;
    default:
        return false;
    }
}
