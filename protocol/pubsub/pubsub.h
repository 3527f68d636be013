/* pubsub.h: a NATS-style core pub/sub cluster as pure state machines (sim/proto.h).
 *
 * Three node kinds, all at-most-once like core NATS (docs/pubsub-model.md):
 *   - the broker (nats-server) on every host: client connections, a subject trie of local
 *     subscriptions, a full mesh of routes to the other hosts' brokers with interest
 *     propagation (RS+/RS-), one-hop forwarding, per-connection outbound limits;
 *   - the subscriber application on every host: a NATS client connected to its own host's
 *     broker, with one subscription (and optional queue group), a pending limit and a
 *     processing rate; it records TRACE_DELIVERY (seq = arrival order per incarnation);
 *   - the publishing client c1..cM: a NATS client that publishes each workload message,
 *     reconnects to another host after reconnect_wait when its connection breaks, and
 *     buffers publishes while disconnected up to reconnect_buffer bytes. It records
 *     TRACE_SUBMISSION and TRACE_OUTCOME (acked when Publish() returned no error, rejected
 *     when the reconnect buffer was full or the client gave up reconnecting).
 * A fourth, the recipe client (ps_recipe.c), runs a coordination recipe built on core pub/sub
 * (docs/recipes.md, "The recipes over core pub/sub"): a heartbeat leader election, a lock
 * granted by whoever answers first, or a registry of periodic announcements.
 * Every message that knowingly misses a host's subscriber is recorded as TRACE_DROP.
 * docs/pubsub-model.md lists what is modelled, what is simplified, and the NATS defaults. */
#ifndef PROTOCOL_PUBSUB_H
#define PROTOCOL_PUBSUB_H

#include "sim/proto.h"

/* ---- the model's vocabulary in trace records ------------------------------------------ */

/* Ports, as nats-server numbers them by default. */
#define PS_PORT_CLIENT 4222 /* client connections */
#define PS_PORT_ROUTE 6222  /* cluster routes */

/* States of a host in this model (TRACE_STATE): its subscriber application's subscription.
 * The broker has no state a measure needs. */
enum ps_state {
    PS_STATE_DOWN = TRACE_STATE_DOWN, /* not subscribed: the host's receiver is down */
    PS_STATE_SUBSCRIBED,              /* connected to its broker, subscription sent */
    PS_STATE_COUNT
};

/* "DOWN", "SUBSCRIBED"; NULL out of range. */
const char *ps_state_name(uint8_t state);
/* "PUB", "MSG", "RS+", ...: the NATS protocol operations; "?" otherwise. */
const char *ps_msg_type_name(uint8_t type);

/* Why a message did not reach a subscriber it was meant for (TRACE_DROP cause). */
enum ps_drop_cause {
    PS_DROP_NO_INTEREST = 0,
    PS_DROP_BROKER_DOWN,
    PS_DROP_ROUTE_DOWN,
    PS_DROP_CONNECTION_CLOSED,
    PS_DROP_SLOW_CONSUMER,
    PS_DROP_RECONNECT_BUFFER_FULL,
    PS_DROP_PUBLISHER_DISCONNECTED,
    PS_DROP_LOST_IN_FLIGHT, /* the network lost it: a half-open route or connection, a
                             * cut link, a machine that stopped with it in its buffers */
    PS_DROP_CAUSE_COUNT
};

/* "no_interest", "route_down", ...; NULL out of range. */
const char *ps_drop_cause_name(enum ps_drop_cause c);

/* A network message of type msg_type was lost on its way to receiving_host (-1: a client
 * machine): whether it carried a client message to a subscriber, and for which host (*meant_for;
 * -1 for a PUB, which every host was to get). The message type's name goes to *type_name. */
bool ps_lost_message_meant_for(uint8_t msg_type, int32_t receiving_host, int32_t *meant_for,
                               const char **type_name);

/* Bytes a client connection holds in the kernel (send buffer plus the peer's receive
 * window) before the broker's own outbound buffer starts to grow: Linux's tcp_wmem
 * maximum (4 MiB). Only bytes beyond it count against max_pending. */
#define PS_DEFAULT_SOCKET_BUFFER (4u << 20)

struct ps_broker_config {
    uint32_t host;                  /* this broker's host index (0-based) */
    uint32_t n_hosts;
    const uint32_t *host_machines;  /* machine index of every host, by host index */
    uint64_t max_pending;           /* bytes pending per client connection before cut-off */
    uint64_t socket_buffer;         /* bytes in flight per client connection; 0: default */
};

struct ps_subscriber_config {
    uint32_t host;               /* host index; connects to this host's broker */
    uint32_t machine;            /* that host's machine */
    const char *subscribe;       /* subject pattern, NATS wildcard rules */
    const char *queue_group;     /* NULL for a plain subscription */
    uint64_t sub_pending_msgs;   /* client-side pending limit (tail drop beyond it); > 0 */
    double consume_rate;         /* messages/s the application processes; 0 = unlimited */
    sim_time reconnect_wait;     /* nats.go ReconnectWait (2 s) after a cut-off */
    /* NULL: its own host's broker only. Otherwise every host's machine (n_hosts of them):
     * its own first, the others in an order drawn once, as nats.go's server pool. */
    const uint32_t *host_machines;
    uint32_t n_hosts;
};

struct ps_publisher_config {
    uint32_t client;                /* 1-based client number */
    uint32_t home_host;             /* host index it connects to first */
    uint32_t n_hosts;
    const uint32_t *host_machines;
    const char *subject;            /* literal subject it publishes on */
    sim_time reconnect_wait;
    uint64_t reconnect_buffer;      /* bytes; 0 disables buffering */
};

/* The recipes a recipe client runs (the scenario's kinds, in the protocol's own words). */
enum ps_recipe_kind { PS_RECIPE_LOCK, PS_RECIPE_ELECTION, PS_RECIPE_REGISTRY };

struct ps_recipe_config {
    uint32_t client;                /* 1-based; c<client> */
    uint8_t recipe;                 /* index in the scenario's recipes (trace records) */
    enum ps_recipe_kind kind;
    uint32_t first_client;          /* the recipe's clients are c<first_client + 1> .. */
    uint32_t clients;               /* .. c<first_client + clients> */
    uint32_t home_host;             /* host index it connects to first */
    uint32_t n_hosts;
    const uint32_t *host_machines;
    uint32_t resource_machine;      /* the protected resource's (lock, election) */
    sim_time reconnect_wait;
    uint64_t reconnect_buffer;      /* bytes; 0 disables buffering */
    sim_time hold;                  /* lock: held this long; election: resign after (0: never) */
    sim_time work_every;            /* a holder's writes to the resource, and the lock's
                                     * random waits (uniform in [0, work_every)) */
};

/* PROTO_IN_CLIENT_OP payload for a publisher: publish one workload message. */
struct ps_publish_op {
    msg_id_t msg_id;
    uint32_t payload_bytes;
};

extern const struct proto_ops ps_broker_ops;
extern const struct proto_ops ps_subscriber_ops;
extern const struct proto_ops ps_publisher_ops;
extern const struct proto_ops ps_recipe_ops;

/* Whether a recipe client (a ps_recipe_ops node's state) believes it holds the lock or leads
 * now; false for NULL and for a registry's client. */
bool ps_recipe_holding(const void *recipe_client);

/* Subject rules of docs/pubsub-model.md, Subjects, for scenario validation and reports. */

/* A valid subject: non-empty tokens separated by '.', no whitespace; with allow_wildcards
 * a whole-token '*' anywhere and a whole-token '>' as the last token (subscriptions),
 * without it no wildcard token at all (publish subjects). */
bool ps_subject_valid(const char *subject, bool allow_wildcards);
/* Whether the literal subject matches the (valid) subscription pattern. */
bool ps_subject_matches(const char *pattern, const char *literal);

#endif
