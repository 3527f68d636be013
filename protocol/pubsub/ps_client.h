/* ps_client.h: the connection machinery of a NATS client (nats.go Conn), shared by the
 * subscriber application and the publishing client.
 *
 * It owns one connection to one broker at a time and runs nats.go's life cycle:
 *   - handshake: dial, INFO from the server, CONNECT + PING, and CONNECTED on the PONG,
 *     all within the connect timeout (nats.go DefaultTimeout, 2 s);
 *   - liveness: a PING every PingInterval (2 min); more than MaxPingsOut (2) unanswered
 *     means a stale connection;
 *   - reconnect (nats.go doReconnect): the server pool is walked in order, the server just
 *     lost going to the back; sleep ReconnectWait + jitter (< 100 ms) only
 *     before the last server of a pass; at most MaxReconnect (60) attempts per server, a
 *     success resets that server's count; an empty pool means CLOSED for good;
 *   - the reconnect buffer: publishes while not connected are kept, up to its size, and
 *     written after CONNECT and the owner's re-subscriptions; CLOSED discards them;
 *   - transport acknowledgements: the bytes the read loop consumed are acknowledged after
 *     Linux's delayed-ACK time (40 ms), which is how the broker learns what is unread.
 * The owner (subscriber or publisher node) forwards its inputs to ps_client_handle and
 * hears back through hooks. Nothing here records traces; the owner does. */
#ifndef PROTOCOL_PUBSUB_PS_CLIENT_H
#define PROTOCOL_PUBSUB_PS_CLIENT_H

#include "protocol/pubsub/ps_msg.h"

/* Token kinds (sim/proto.h proto_token) 1..PS_CLIENT_TOKEN_LAST belong to the client;
 * owners use larger ones. */
#define PS_CLIENT_TOKEN_LAST 5

enum ps_client_status {
    PS_CLIENT_CONNECTING,   /* first connect not done yet (RetryOnFailedConnect) */
    PS_CLIENT_CONNECTED,
    PS_CLIENT_RECONNECTING,
    PS_CLIENT_CLOSED,       /* every server exhausted MaxReconnect: no more attempts */
};

/* Where the current connection attempt stands while not CONNECTED. */
enum ps_client_phase {
    PS_PHASE_IDLE,       /* waiting to dial (ReconnectWait) or closed */
    PS_PHASE_DIALING,    /* SYN sent */
    PS_PHASE_AWAIT_INFO, /* TCP up, waiting for the server's INFO */
    PS_PHASE_AWAIT_PONG, /* CONNECT + PING sent */
    PS_PHASE_OPEN,       /* CONNECTED */
};

/* Hooks an owner does not need may be NULL (a publisher has no subscriptions, a
 * subscriber never publishes). */
struct ps_client_hooks {
    /* Connected (first time or again): send subscriptions now; the reconnect buffer is
     * written after this returns. */
    void (*on_connected)(void *owner, const struct proto_env *env, struct proto_out *out);
    /* The connection the client was CONNECTED on is gone; it reconnects from now on. */
    void (*on_disconnected)(void *owner, struct proto_out *out);
    /* A MSG (or an HMSG, a status) arrived on the connection. */
    void (*on_msg)(void *owner, const struct proto_env *env, const struct ps_msg *m,
                   struct proto_out *out);
    /* The client closed for good and discards this buffered publish. */
    void (*on_discard)(void *owner, const struct ps_msg *pub, struct proto_out *out);
};

struct ps_client_server {
    uint32_t host;
    uint32_t machine;
    uint32_t reconnects; /* failed attempts since the last success (MaxReconnect) */
};

struct ps_client {
    const struct ps_client_hooks *hooks;
    void *owner;
    sim_time reconnect_wait;
    uint64_t reconnect_buffer;  /* bytes; 0: publishing while disconnected fails */
    GArray *pool;               /* struct ps_client_server; [0] is the current server */
    enum ps_client_status status;
    enum ps_client_phase phase;
    conn_id conn;               /* CONN_NONE unless AWAIT_INFO..OPEN */
    uint32_t dial_generation;   /* of the latest dial; answers to older ones are stale */
    uint32_t pass_position;     /* nats.go doReconnect's i: servers tried in this pass */
    uint32_t pings_out;
    uint64_t bytes_read;        /* on the current connection */
    uint64_t bytes_acked;
    bool ack_pending;           /* the delayed-ACK timer is armed */
    GQueue pending;             /* struct ps_msg * PUBs in the reconnect buffer */
    uint64_t pending_bytes;
};

enum ps_publish_result {
    PS_PUBLISH_SENT,            /* written to the connection */
    PS_PUBLISH_BUFFERED,        /* kept in the reconnect buffer */
    PS_PUBLISH_BUFFER_FULL,     /* ErrReconnectBufExceeded */
    PS_PUBLISH_CLOSED,          /* ErrConnectionClosed */
};

void ps_client_init(struct ps_client *c, const struct ps_client_hooks *hooks, void *owner,
                    sim_time reconnect_wait, uint64_t reconnect_buffer);
/* Appends a server to the pool, in the order they will be tried. */
void ps_client_add_server(struct ps_client *c, uint32_t host, uint32_t machine);
void ps_client_destroy(struct ps_client *c);

/* Dials the first server of the pool (PROTO_IN_START). */
void ps_client_start(struct ps_client *c, const struct proto_env *env, struct proto_out *out);
/* Consumes the inputs that concern the client (its connection, dials and timers); returns
 * false for anything else, which the owner handles. */
bool ps_client_handle(struct ps_client *c, const struct proto_env *env,
                      const struct proto_input *in, struct proto_out *out);
/* Publishes pub (ownership passes) the way nats.go Publish does. */
enum ps_publish_result ps_client_publish(struct ps_client *c, struct ps_msg *pub,
                                         struct proto_out *out);
/* Writes a protocol message (SUB) on the open connection; only from on_connected or while
 * CONNECTED. */
void ps_client_send(struct ps_client *c, struct ps_msg *m, struct proto_out *out);
/* Host index of the server the client is CONNECTED to, or -1. */
int32_t ps_client_connected_host(const struct ps_client *c);

#endif
