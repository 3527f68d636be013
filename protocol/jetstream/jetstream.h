/* jetstream.h: a durable stream after NATS JetStream, as pure state machines (sim/proto.h).
 *
 * Three node kinds (docs/jetstream-model.md says what is modelled and what is simplified):
 *   - js_server_ops: a nats-server with JetStream on every host. It routes to every other
 *     host's server; R of them (the last R hosts) are the stream's replicas, a Raft group
 *     with NATS's timing (election timeout 4-9 s, heartbeats every second, a lost-quorum
 *     check every 10 s), a write-ahead log and a term/vote file on the host's disk, and a
 *     message store. The stream leader, once it has applied its log, takes publishes,
 *     de-duplicates them by message id, replicates them, and answers with a PubAck after the
 *     quorum commit and its own apply. It also leads the durable consumers: one per host,
 *     delivering every stored message to that host's subscriber, explicit acks, AckWait,
 *     redelivery, MaxDeliver, MaxAckPending. The file store fsyncs every sync_interval, or
 *     before each acknowledgement with sync_interval: always.
 *   - js_subscriber_ops: each host's application, consuming through its durable consumer:
 *     records TRACE_DELIVERY (log_id = stream sequence) and acks each message.
 *   - js_publisher_ops: the publishing application on each client machine: a JetStream
 *     publish (a request) per workload message with the message id as Nats-Msg-Id,
 *     retried on time-out or error with the same id; TRACE_SUBMISSION, TRACE_OUTCOME.
 *
 * With coordination recipes (docs/recipes.md), a key-value bucket as well: js_server_ops
 * with `kv` set is the server's second stream, the bucket's (its own Raft group on the same
 * R hosts, its own routes and files; js_kv.c), and js_recipe_ops a recipe client on a client
 * machine that takes a lock, leads, or registers itself through the bucket (js_recipe.c).
 */
#ifndef PROTOCOL_JETSTREAM_H
#define PROTOCOL_JETSTREAM_H

#include "sim/oracle.h"
#include "sim/proto.h"

/* Ports: nats-server's 4222 and 6222 moved up by 20, so that this model's server stands
 * beside the core pub/sub model's on the same machine (in NATS one server does both). */
#define JS_PORT_CLIENT 4242
#define JS_PORT_ROUTE 6242
/* The key-value bucket's server, beside the stream's on each host: one port higher. */
#define JS_PORT_KV_CLIENT 4243
#define JS_PORT_KV_ROUTE 6243

/* A host's state (TRACE_STATE state; epoch = its Raft term). A host that holds no replica
 * is always JS_STATE_FOLLOWER while up. */
enum js_state {
    JS_STATE_DOWN = TRACE_STATE_DOWN,
    JS_STATE_FOLLOWER,
    JS_STATE_CANDIDATE,
    JS_STATE_ELECTED, /* won its election; applying its log before it serves the stream */
    JS_STATE_LEADER,  /* the stream leader, serving publishes and consumers */
    JS_STATE_COUNT
};

/* The model's own records (TRACE_EVENT type), one table each in the results database. */
enum js_event {
    JS_EVENT_STORE = 1,  /* a replica stored a message in its stream: a = sequence, msg_id */
    JS_EVENT_RECOVERED,  /* a replica (re)started with the stream its disk kept: a = the
                            last sequence in it (what was after it is gone) */
    JS_EVENT_PUBACK,     /* the stream leader acknowledged a publish: a = sequence, flag =
                            a duplicate (the id was already stored) */
    JS_EVENT_REDELIVERY, /* the consumer leader delivered a message again: a = the
                            consumer's host index, b = its delivery count */
    JS_EVENT_COUNT
};

/* Why a stored message will not reach a consumer (TRACE_DROP cause). */
enum js_drop_cause {
    JS_DROP_MAX_DELIVER = 0, /* delivered MaxDeliver times, never acked */
    JS_DROP_NO_SUBSCRIBER,   /* a delivery reached the host's server after its subscriber
                                left (the consumer leader delivers it again after AckWait) */
    JS_DROP_LOST_IN_FLIGHT,  /* the network lost a delivery (likewise delivered again) */
    JS_DROP_STREAM_FORKED,   /* a replica found the leader's log giving this message's
                                sequence to another one: the stream consumers read from
                                no longer has it (recorded once per replica, for no host) */
    JS_DROP_CAUSE_COUNT
};

const char *js_state_name(uint8_t state);
const char *js_msg_type_name(uint8_t type);
const char *js_drop_cause_name(uint8_t cause);
/* Whether a network message of that type carries a stored message to a subscriber. */
bool js_msg_is_delivery(uint8_t type);

/* Files of a server on its host's disk. The bucket's server has the same three after the
 * stream's (JS_KV_FILE_BASE + each): both run on the model's disk of the host. */
enum js_disk_file {
    JS_FILE_WAL = 0,   /* the Raft log: struct js_entry records */
    JS_FILE_TERM_VOTE, /* tav.idx: struct js_term_vote */
    JS_FILE_STORE,     /* the stream's message store: struct js_stored records */
    JS_FILE_COUNT
};
#define JS_KV_FILE_BASE JS_FILE_COUNT

struct js_server_config {
    uint32_t host;                 /* host index */
    uint32_t n_hosts;
    const uint32_t *host_machines; /* by host index */
    uint32_t replicas;             /* R: the replicas are hosts n_hosts - R .. n_hosts - 1 */
    sim_time sync_interval;        /* periodic fsync of WAL and store; 0 with sync_always */
    bool sync_always;
    sim_time ack_wait;
    int64_t max_deliver;           /* -1: unlimited */
    uint32_t max_ack_pending;
    sim_time duplicate_window;
    uint32_t payload_bytes;
    /* The bucket's server (js_kv.c): its stream is the key-value bucket, with MaxAge kv_ttl
     * checked on each replica's own clock, one message kept per key, and no consumers. It
     * records no states and none of the stream's events: host_states and the js_* tables
     * stay the stream's. */
    bool kv;
    sim_time kv_ttl;
};

/* The bucket's key of a recipe: sub 0 is the lock's (or the election's) key, sub c the
 * registry entry of client c (`registry.c<c>`). */
static inline uint32_t js_kv_key(uint8_t recipe, uint32_t sub)
{
    return (uint32_t)recipe << 16 | (sub & 0xffffu);
}
static inline uint8_t js_kv_key_recipe(uint32_t key)
{
    return (uint8_t)(key >> 16);
}
static inline uint32_t js_kv_key_sub(uint32_t key)
{
    return key & 0xffffu;
}

struct js_subscriber_config {
    uint32_t host;
    uint32_t machine;              /* its host's machine */
    sim_time reconnect_wait;
};

struct js_publisher_config {
    uint32_t client;               /* 1-based */
    uint32_t home_host;
    uint32_t n_hosts;
    const uint32_t *host_machines;
    sim_time publish_timeout;
    uint32_t publish_attempts;
    sim_time reconnect_wait;
    uint32_t payload_bytes;
};

/* PROTO_IN_CLIENT_OP payload for a publisher. */
struct js_publish_op {
    msg_id_t msg_id;
};

/* What a recipe client does with the bucket (js_recipe.c). */
enum js_recipe_kind {
    JS_RECIPE_LOCK = 0, /* take the lock key, hold it `hold`, delete it, take it again */
    JS_RECIPE_ELECTION, /* the same key as a leadership, resigned after `hold` (0: never) */
    JS_RECIPE_REGISTRY, /* put its own key, and list every instance's */
};

struct js_recipe_config {
    uint32_t client;               /* 1-based */
    uint8_t recipe;                /* index in the scenario's recipes */
    uint8_t kind;                  /* enum js_recipe_kind */
    uint32_t first_client;         /* the recipe's clients are c<first_client + 1> .. */
    uint32_t clients;              /* .. c<first_client + clients>: what a registry lists */
    uint32_t home_host;
    uint32_t n_hosts;
    const uint32_t *host_machines; /* its servers: the bucket's, one per host */
    uint32_t resource_machine;     /* lock and election: the protected resource's */
    sim_time request_timeout;      /* each request's deadline (jetstream.publish_timeout) */
    sim_time reconnect_wait;
    sim_time ttl;                  /* the bucket's TTL (jetstream.kv_ttl) */
    sim_time hold;
    sim_time work_every;
};

extern const struct proto_ops js_server_ops;
/* Whether the server (a js_server_ops state) is the stream leader serving the stream, and
 * its term. */
bool js_server_leading(const void *server, uint64_t *term);
extern const struct proto_ops js_subscriber_ops;
extern const struct proto_ops js_publisher_ops;
extern const struct proto_ops js_recipe_ops;
/* Whether a recipe client (a js_recipe_ops state) believes it holds the lock or leads. */
bool js_recipe_holding(const void *recipe_client);

/* The stream's invariants over the trace (js_oracle.c; docs/jetstream-model.md). */
extern const struct oracle_ops js_oracle_ops;

#endif
