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
 */
#ifndef PROTOCOL_JETSTREAM_H
#define PROTOCOL_JETSTREAM_H

#include "sim/oracle.h"
#include "sim/proto.h"

/* Ports: nats-server's 4222 and 6222 moved up by 20, so that this model's server stands
 * beside the core pub/sub model's on the same machine (in NATS one server does both). */
#define JS_PORT_CLIENT 4242
#define JS_PORT_ROUTE 6242

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

/* Files of a server on its host's disk. */
enum js_disk_file {
    JS_FILE_WAL = 0,   /* the Raft log: struct js_entry records */
    JS_FILE_TERM_VOTE, /* tav.idx: struct js_term_vote */
    JS_FILE_STORE,     /* the stream's message store: struct js_stored records */
};

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
};

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

extern const struct proto_ops js_server_ops;
/* Whether the server (a js_server_ops state) is the stream leader serving the stream, and
 * its term. */
bool js_server_leading(const void *server, uint64_t *term);
extern const struct proto_ops js_subscriber_ops;
extern const struct proto_ops js_publisher_ops;

/* The stream's invariants over the trace (js_oracle.c; docs/jetstream-model.md). */
extern const struct oracle_ops js_oracle_ops;

#endif
