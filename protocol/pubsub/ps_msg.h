/* ps_msg.h: the NATS protocol messages exchanged by brokers and clients, as simulated wire
 * messages (sim/proto.h struct sim_msg first).
 *
 * size_bytes is what the real protocol line plus payload would take on the wire
 * ("PUB users.signup 64\r\n" + 64 bytes + "\r\n"), so buffer limits and the message log see
 * realistic sizes. Two message kinds are not NATS protocol: PS_MSG_ACK stands for the TCP
 * acknowledgements a client's kernel sends for bytes its read loop consumed; it carries no
 * protocol bytes and lets the broker know how much of a connection is still unread
 * (docs/pubsub-model.md, "Outbound buffers"); PS_MSG_RESOURCE_WRITE is a recipe client's
 * write to its protected resource (sim/resource.h), which never reaches a broker.
 *
 * The workload's messages are known by their msg_id alone. The coordination recipes'
 * messages (ps_recipe.c) carry no msg_id; what they say travels in `body`, which brokers copy
 * from PUB to RMSG and MSG without reading it, and a request names its reply subject. */
#ifndef PROTOCOL_PUBSUB_PS_MSG_H
#define PROTOCOL_PUBSUB_PS_MSG_H

#include "protocol/pubsub/pubsub.h"

#include <string.h>

enum ps_msg_type {
    PS_MSG_INFO = 1,  /* server -> client greeting */
    PS_MSG_CONNECT,   /* client -> server; route dialler -> acceptor (with its host) */
    PS_MSG_PING,
    PS_MSG_PONG,
    PS_MSG_SUB,       /* client -> server: subject, optional queue, sid */
    PS_MSG_UNSUB,     /* client -> server: sid */
    PS_MSG_PUB,       /* client -> server: subject, payload */
    PS_MSG_MSG,       /* server -> client: subject, sid, payload */
    PS_MSG_RS_PLUS,   /* route: interest in subject (queue with weight) */
    PS_MSG_RS_MINUS,  /* route: interest gone */
    PS_MSG_RMSG,      /* route: a message plus the queue groups the receiver must serve */
    PS_MSG_ACK,       /* transport: bytes of this connection read so far */
    PS_MSG_HMSG,      /* server -> client: a status message (503: no responders) */
    PS_MSG_RESOURCE_WRITE, /* a recipe client to its protected resource (not NATS) */
    PS_MSG_TYPE_COUNT
};

/* An application's payload as the recipes read it; brokers carry it without reading it.
 * All zero in the workload's messages. */
struct ps_body {
    uint8_t kind;    /* the application's own message kind */
    uint32_t client; /* its sender, 1-based */
    int64_t value;   /* a term, a fencing token, ... */
};

struct ps_msg {
    struct sim_msg hdr;     /* hdr.msg_id: the client message carried by PUB/MSG/RMSG */
    uint32_t payload_bytes; /* PUB, MSG, RMSG */
    uint32_t sid;           /* SUB, UNSUB, MSG */
    uint32_t weight;        /* RS+ for a queue group: the sender's member count */
    uint32_t host;          /* route CONNECT: the dialling broker's host index */
    uint32_t n_queues;      /* RMSG: how many names `queue` holds */
    uint64_t bytes_read;    /* ACK: cumulative bytes read on the connection */
    const char *subject;    /* points into text; NULL when the type has none */
    const char *queue;      /* SUB/RS+/RS-: queue group or NULL; RMSG: first of n_queues
                               NUL-separated names (ps_msg_next_queue) */
    const char *reply;      /* PUB, MSG, RMSG: the reply subject of a request, or NULL */
    uint16_t status;        /* HMSG: its status header (503) */
    struct ps_body body;    /* PUB, MSG, RMSG */
    char text[];
};

const char *ps_msg_type_name(uint8_t type);

/* Constructors; each returns a message the caller owns until proto_send. */
struct ps_msg *ps_msg_info(void);
struct ps_msg *ps_msg_connect_client(void);
struct ps_msg *ps_msg_connect_route(uint32_t host);
struct ps_msg *ps_msg_ping(void);
struct ps_msg *ps_msg_pong(void);
struct ps_msg *ps_msg_sub(const char *subject, const char *queue, uint32_t sid);
struct ps_msg *ps_msg_unsub(uint32_t sid);
struct ps_msg *ps_msg_pub(const char *subject, msg_id_t msg_id, uint32_t payload_bytes);
struct ps_msg *ps_msg_msg(const char *subject, uint32_t sid, msg_id_t msg_id,
                          uint32_t payload_bytes);
struct ps_msg *ps_msg_rs_plus(const char *subject, const char *queue, uint32_t weight);
struct ps_msg *ps_msg_rs_minus(const char *subject, const char *queue);
/* queues: n_queues names (borrowed) the receiving server must each serve once. */
struct ps_msg *ps_msg_rmsg(const char *subject, msg_id_t msg_id, uint32_t payload_bytes,
                           const char *const *queues, uint32_t n_queues);
struct ps_msg *ps_msg_ack(uint64_t bytes_read);

/* A PUB of an application message with no msg_id: body, and reply (NULL: none) for a
 * request. */
struct ps_msg *ps_msg_pub_body(const char *subject, const char *reply,
                               const struct ps_body *body, uint32_t payload_bytes);
/* The MSG a broker hands local subscription sid for src (a PUB or an RMSG): its subject,
 * reply, msg_id, payload and body. */
struct ps_msg *ps_msg_msg_of(const struct ps_msg *src, uint32_t sid);
/* The RMSG a broker forwards for pub, with the queue groups the peer must serve. */
struct ps_msg *ps_msg_rmsg_of(const struct ps_msg *pub, const char *const *queues,
                              uint32_t n_queues);
/* "HMSG <reply> <sid> ...NATS/1.0 503": no one received the request published on subject;
 * subject (of the HMSG) is the reply subject, as the requester's inbox sees it. */
struct ps_msg *ps_msg_no_responders(const char *reply, uint32_t sid, const char *subject);

/* The queue name after q in an RMSG's list. */
static inline const char *ps_msg_next_queue(const char *q)
{
    return q + strlen(q) + 1;
}

/* A received message as a pub/sub message (NULL for none). Only pub/sub nodes listen on the
 * pub/sub ports, so anything that arrives is one. */
static inline const struct ps_msg *ps_msg_from(const struct sim_msg *m)
{
    ZS_ASSERT(!m || (m->type >= PS_MSG_INFO && m->type < PS_MSG_TYPE_COUNT));
    return (const struct ps_msg *)m;
}

#endif
