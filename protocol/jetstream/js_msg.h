/* js_msg.h: the messages of the JetStream-style model, as simulated wire messages
 * (sim/proto.h struct sim_msg first), and the records of its files.
 *
 * Between servers (routes) travel NATS Raft's vote requests and responses, append entries
 * and their responses, the stream leader's interest in the stream's subjects (what makes
 * other servers forward publishes to it), each server's consumer interest, forwarded
 * publishes, PubAcks on their way back, consumer deliveries and acks. Between a client and
 * its server travel publishes, PubAcks, the subscriber's consumer subscription,
 * deliveries and acks. Sizes are what NATS's encodings take (raft.go: 42-byte append entry
 * header, 32-byte vote request, 25-byte response) plus the payload. */
#ifndef PROTOCOL_JETSTREAM_JS_MSG_H
#define PROTOCOL_JETSTREAM_JS_MSG_H

#include "protocol/jetstream/jetstream.h"

enum js_msg_type {
    JS_MSG_HELLO = 1,   /* route: the dialling server's host */
    JS_MSG_VOTE_REQ,    /* term, last_term, last_index */
    JS_MSG_VOTE_RESP,   /* term, flag = granted */
    JS_MSG_APPEND,      /* term, commit, prev_term, prev_index, entries */
    JS_MSG_APPEND_RESP, /* term, flag = success, last_term, last_index */
    JS_MSG_INTEREST,    /* the stream leader subscribed (flag) or unsubscribed: term */
    JS_MSG_ACTIVE,      /* host's consumer has a subscriber (flag) or not */
    JS_MSG_PUB,         /* client -> server: msg_id, attempt */
    JS_MSG_FWD,         /* server -> stream leader: a publish, origin = its server */
    JS_MSG_PUBACK,      /* leader -> origin server -> client: seq, status, flag = dup */
    JS_MSG_SUB,         /* subscriber -> its server: consume through its durable consumer */
    JS_MSG_DELIVER,     /* consumer leader -> subscriber: seq, count, origin = leader */
    JS_MSG_ACK,         /* subscriber -> consumer leader: seq, host = the consumer */
    /* The key-value bucket (js_kv.c): a client's request to its server and on to the
     * bucket's leader or a replica (kv_op: enum js_kv_req, key, expected with flag,
     * client = the requester's inbox, attempt = its request id, origin = the server it came
     * through), and the answer back the same way (status, seq = the revision, kv_op, value
     * and entries for a listing). */
    JS_MSG_KV_REQ,
    JS_MSG_KV_RESP,
    JS_MSG_RESOURCE_WRITE, /* a recipe holder -> the protected resource (sim/resource.h) */
    JS_MSG_TYPE_COUNT
};

/* PubAck status, as the client sees it. */
enum js_status {
    JS_STATUS_OK = 0,
    JS_STATUS_NO_RESPONDERS = 503, /* no server had interest in the subject */
    JS_STATUS_IN_PROCESS = 409,    /* duplicate message id is in process */
    JS_STATUS_WRONG_LAST_SEQ = 400, /* an expected last subject sequence did not hold, or
                                       another conditional write to the subject is in
                                       flight (NATS errors 10071, 10164) */
    JS_STATUS_NOT_FOUND = 404,     /* a get: no message for the subject */
};

enum js_entry_kind {
    JS_ENTRY_MSG = 1, /* a published message (JC streamMsgOp) */
    JS_ENTRY_ACK,     /* a consumer's ack (JC updateAcksOp) */
    JS_ENTRY_KV,      /* a message to a key of the key-value bucket (a put or a delete
                         marker), in the bucket's own stream */
};

/* What a key-value message is (its KV-Operation header). */
enum js_kv_op {
    JS_KV_OP_PUT = 1, /* a value */
    JS_KV_OP_DEL,     /* a delete marker (KV-Operation: DEL) */
};

/* What a client asks of the bucket (JS_MSG_KV_REQ kv_op). */
enum js_kv_req {
    JS_KV_REQ_PUT = 1, /* publish a value to the key; with flag, only if the key's last
                          sequence is `expected` (Create: 0, Update: the revision) */
    JS_KV_REQ_DEL,     /* publish a delete marker; with flag, likewise conditional */
    JS_KV_REQ_GET,     /* direct get of the key's last message, from a replica */
    JS_KV_REQ_KEYS,    /* the keys of a recipe (key = js_kv_key(recipe, 0)) whose last
                          message is a value: Keys() */
};

/* One Raft log entry; also the WAL record. */
struct js_entry {
    uint64_t term;
    uint64_t index;
    uint64_t commit;       /* the writer's commit index when written: restart re-applies
                              up to the highest one in the WAL */
    uint64_t seq;          /* MSG: the stream sequence the leader gave it; ACK: acked seq */
    msg_id_t msg_id;       /* MSG */
    sim_time t_ns;         /* MSG: when the leader proposed it (the message's timestamp) */
    uint32_t origin;       /* MSG: host of the server the publisher is on (the reply
                              subject: whoever leads at apply time answers there) */
    uint32_t attempt;      /* MSG: the publisher's attempt */
    uint32_t consumer;     /* ACK: the consumer's host */
    uint32_t key;          /* KV: the key (js_kv_key()) */
    uint32_t value;        /* KV: the value, a client number (0 in a delete marker) */
    uint32_t inbox;        /* KV: the requester's inbox (origin and attempt as for MSG:
                              its server and its request id) */
    uint8_t kind;          /* enum js_entry_kind */
    uint8_t kv_op;         /* KV: enum js_kv_op */
};

/* A message in a replica's store file. */
struct js_stored {
    uint64_t seq;
    msg_id_t msg_id;
    sim_time t_ns; /* the message's timestamp: a restart rebuilds de-duplication from it,
                      and the bucket's MaxAge counts from it */
    uint32_t key;  /* the bucket's store: the message's key, value and enum js_kv_op */
    uint32_t value;
    uint8_t kv_op;
};

/* tav.idx */
struct js_term_vote {
    uint64_t term;
    int32_t voted_for; /* host index, -1: none */
};

struct js_msg {
    struct sim_msg hdr;   /* hdr.msg_id: the client message carried, if any */
    uint64_t term;
    uint64_t commit;
    uint64_t prev_term, prev_index;
    uint64_t last_term, last_index;
    uint64_t seq;         /* PUBACK, DELIVER, ACK: stream sequence; HELLO: when the
                             dialler's process started */
    uint32_t host;        /* HELLO: dialler; ACK, ACTIVE: the consumer's host */
    uint32_t origin;      /* FWD: forwarding server; DELIVER: consumer leader */
    uint32_t client;      /* PUB, FWD, PUBACK: 1-based client */
    uint32_t attempt;     /* PUB, FWD, PUBACK */
    uint32_t count;       /* DELIVER: delivery count; VOTE_RESP: 1 for an empty-log vote */
    uint16_t status;      /* PUBACK, KV_RESP: enum js_status */
    bool flag;            /* KV_REQ: the write is conditional on `expected` */
    uint8_t kv_op;        /* KV_REQ: enum js_kv_req; KV_RESP to a get: enum js_kv_op */
    uint32_t key;         /* KV_REQ, KV_RESP */
    uint32_t value;       /* KV_RESP to a get: the value */
    uint64_t expected;    /* KV_REQ: Nats-Expected-Last-Subject-Sequence */
    uint32_t n_entries;   /* APPEND; KV_RESP to a listing: key, value, seq of each */
    struct js_entry entries[];
};

/* A new message of that type (entries: room for n_entries, uninitialised). */
struct js_msg *js_msg_new(enum js_msg_type type, uint32_t n_entries, uint32_t payload_bytes);
/* A copy of m, entries included (to pass a received message on). */
struct js_msg *js_msg_copy(const struct js_msg *m);

static inline const struct js_msg *js_msg_from(const struct sim_msg *m)
{
    ZS_ASSERT(m && m->type >= JS_MSG_HELLO && m->type < JS_MSG_TYPE_COUNT);
    return (const struct js_msg *)m;
}

#endif
