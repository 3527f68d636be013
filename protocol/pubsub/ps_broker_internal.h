/* ps_broker_internal.h: the broker's state, shared by ps_broker.c (client connections,
 * fan-out, the node) and ps_route.c (the route mesh). Not for other modules. */
#ifndef PROTOCOL_PUBSUB_PS_BROKER_INTERNAL_H
#define PROTOCOL_PUBSUB_PS_BROKER_INTERNAL_H

#include "protocol/pubsub/ps_msg.h"
#include "protocol/pubsub/ps_sublist.h"

enum bconn_kind {
    PS_BCONN_CLIENT,        /* a client on PS_PORT_CLIENT */
    PS_BCONN_ROUTE_PENDING, /* accepted on PS_PORT_ROUTE, the peer's CONNECT not yet read */
    PS_BCONN_ROUTE,         /* an established route */
};

/* One connection of the broker. */
struct bconn {
    conn_id id;
    enum bconn_kind kind;
    uint32_t route_host;    /* PS_BCONN_ROUTE: the peer's host index */
    uint32_t pings_out;
    sim_time last_in_ns;    /* last protocol message read (clients are pinged when silent) */
    /* PS_BCONN_CLIENT only: */
    GPtrArray *subs;        /* struct ps_sub * (owned) */
    uint64_t bytes_sent;    /* handed to the socket */
    uint64_t bytes_acked;   /* read by the client (PS_MSG_ACK) */
    GQueue outbound;        /* struct ps_msg * waiting for socket space: NATS' c.out */
    uint64_t outbound_bytes;
    bool slow_consumer;     /* over max_pending: closed when the current input is done */
};

enum route_state {
    PS_ROUTE_DOWN, /* none; our dial is out or we wait for the reconnect timer */
    PS_ROUTE_UP,
};

/* The link to one peer broker, whichever side dialled it. Both sides dial (every route is
 * configured on every server), so two connections to one peer can exist for a moment; the
 * one dialled by the lower host index is kept (ps_route.c). */
struct route {
    enum route_state state;
    struct bconn *conn;       /* PS_ROUTE_UP */
    bool conn_ours;           /* PS_ROUTE_UP: conn is our dial, not the peer's */
    bool dialing;             /* our dial is out */
    uint32_t dial_generation; /* answers to older dials are stale */
    GPtrArray *interest;      /* struct ps_sub * (owned): the peer's RS+ set */
};

/* Local interest in one (subject, queue) pair: what RS+/RS- advertise. */
struct interest {
    char *subject;
    char *queue;
    uint32_t count; /* local subscriptions; a queue group's weight */
};

struct ps_broker {
    const struct ps_broker_config *cfg;
    uint64_t socket_buffer;
    struct ps_sublist *sublist; /* local subscriptions and every route's interest */
    GHashTable *conns;          /* conn_id -> struct bconn * (owned); lookup only */
    struct route *routes;       /* by host index; routes[cfg->host] is unused */
    GArray *interest;           /* struct interest, in first-subscribed order */
    /* Why the last local subscription went away: the cause recorded when a message for
     * this host finds no local subscriber. */
    enum ps_drop_cause local_miss_cause;
    GPtrArray *slow_consumers;  /* struct bconn * to close once the current input is done */
    /* Fan-out scratch, by host index. */
    bool *served;
    bool *route_plain;
    GPtrArray **route_queues;   /* const char * queue names for each peer */
};

/* Token kinds (sim/proto.h proto_token): timers name a connection or a host in the index;
 * a route dial names the host and the dial's generation. */
enum broker_timer {
    PS_TIMER_CONN_PING = 1,
    PS_TIMER_ROUTE_DIAL,      /* the route dial went unanswered */
    PS_TIMER_ROUTE_RECONNECT, /* time to dial the peer again */
    PS_TOKEN_ROUTE_DIAL,      /* the dial itself (CONN_UP / CONN_FAILED) */
};

static inline uint64_t broker_timer(enum broker_timer kind, uint64_t value)
{
    ZS_ASSERT(value <= UINT32_MAX); /* connection ids and host indices */
    return proto_token((uint8_t)kind, 0, (uint32_t)value);
}

/* ps_broker.c services used by ps_route.c */
struct bconn *ps__bconn_new(struct ps_broker *b, conn_id id, enum bconn_kind kind);
/* Closes a connection (closing the socket too when close_socket) and forgets it. */
void ps__bconn_close(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                     enum ps_drop_cause cause, bool close_socket, struct proto_out *out);
void ps__arm_ping(struct bconn *c, struct proto_out *out);
/* PING/PONG handling common to clients and routes; false if m is neither. */
bool ps__handle_ping_pong(struct ps_broker *b, struct bconn *c, const struct ps_msg *m,
                          struct proto_out *out);
void ps__deliver_routed(struct ps_broker *b, const struct proto_env *env,
                        const struct ps_msg *rmsg, struct proto_out *out);

/* ps_route.c */
void ps__routes_init(struct ps_broker *b);
void ps__routes_free(struct ps_broker *b);
void ps__routes_start(struct ps_broker *b, struct proto_out *out);
void ps__route_dial_answered(struct ps_broker *b, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out);
void ps__route_timer(struct ps_broker *b, const struct proto_env *env, enum broker_timer kind,
                     uint32_t host, struct proto_out *out);
void ps__route_msg(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                   const struct ps_msg *m, struct proto_out *out);
/* The route on c closed: forget the peer's interest, redial after the reconnect delay. */
void ps__route_closed(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                      struct proto_out *out);
/* Sends RS+ (count > 0) or RS- (count == 0) for i to every established route. */
void ps__routes_advertise(struct ps_broker *b, const struct interest *i, struct proto_out *out);

#endif
