/* js_internal.h: the JetStream-style server's state, shared by its files:
 *   js_server.c  the node: routes, client connections, interest, dispatch, recovery
 *   js_raft.c    the stream's Raft group: elections, replication, commit, the WAL
 *   js_stream.c  the stream: publishes, de-duplication, apply, PubAcks, consumers
 *   js_kv.c      the key-value bucket, when the server is the bucket's (cfg->kv) */
#ifndef PROTOCOL_JETSTREAM_JS_INTERNAL_H
#define PROTOCOL_JETSTREAM_JS_INTERNAL_H

#include "protocol/jetstream/js_msg.h"

/* NATS Raft's timing (raft.go constants). */
#define JS_ELECTION_MIN_NS (4 * SIM_S)      /* minElectionTimeoutDefault */
#define JS_ELECTION_MAX_NS (9 * SIM_S)      /* maxElectionTimeoutDefault */
#define JS_CAMPAIGN_MIN_NS (100 * SIM_MS)   /* minCampaignTimeoutDefault */
#define JS_CAMPAIGN_MAX_NS (800 * SIM_MS)   /* maxCampaignTimeoutDefault */
#define JS_PREFERRED_CAMPAIGN_NS (50 * SIM_MS) /* a new group's preferred first leader */
#define JS_HEARTBEAT_NS (1 * SIM_S)         /* hbIntervalDefault */
#define JS_LOST_QUORUM_NS (10 * SIM_S)      /* lostQuorumInterval(Default) */
/* Entries per append entry when catching a follower up (ns@2.12.1 maxEntries 512). */
#define JS_MAX_ENTRIES_PER_APPEND 512u
/* Route redial: 1 s plus up to 100 ms (nats-server reConnectToRoute). */
#define JS_ROUTE_RECONNECT_NS (1 * SIM_S)
#define JS_ROUTE_DIAL_NS (1 * SIM_S) /* DEFAULT_ROUTE_DIAL */
#define JS_ROUTE_RECONNECT_JITTER_NS (100 * SIM_MS)

/* Token kinds (sim/proto.h proto_token). */
enum js_token {
    JS_TOKEN_ELECTION = 1,   /* timer: election timeout (generation: the timer's) */
    JS_TOKEN_HEARTBEAT,      /* timer: leader tick */
    JS_TOKEN_LOST_QUORUM,    /* timer: leader's quorum check */
    JS_TOKEN_PERIODIC_SYNC,  /* timer and fsync: the file store's sync_interval */
    JS_TOKEN_ROUTE_DIAL,     /* dial: index = host, generation = dial */
    JS_TOKEN_ROUTE_RETRY,    /* timer: index = host */
    JS_TOKEN_ACK_WAIT,       /* timer: index = consumer host */
    JS_TOKEN_TERM_VOTE_SYNC, /* fsync of tav.idx: generation = term, index = what waits */
    JS_TOKEN_WAL_SYNC,       /* fsync of the WAL (sync_interval: always) */
    JS_TOKEN_STORE_SYNC,     /* fsync of the store before PubAcks (always) */
    JS_TOKEN_KV_AGE,         /* timer: the bucket's MaxAge check */
};

/* What waits for a tav.idx fsync (the token's index). */
#define JS_TV_WAIT_NONE 0xffffffffu
#define JS_TV_WAIT_CAMPAIGN 0xfffffffeu /* otherwise: grant the vote to host index */

enum js_role { JS_ROLE_FOLLOWER, JS_ROLE_CANDIDATE, JS_ROLE_LEADER };

struct js_route {
    conn_id out;          /* the connection this server dialled: what it sends on */
    bool out_up;
    bool dialing;
    uint32_t dial_generation;
    conn_id in;           /* the peer's dial, accepted */
    sim_time peer_started_ns; /* when the peer's process started (its HELLO), 0: unknown */
};

/* A delivered, unacknowledged message at the consumer leader. */
struct js_pending {
    sim_time deadline_ns;
    uint32_t count;       /* deliveries so far */
};

struct js_deadline {
    uint64_t seq;
    sim_time deadline_ns;
};

/* A durable consumer: one per host, delivering every stored message to its subscriber. */
struct js_consumer {
    GByteArray *acked;    /* by sequence - 1: an applied ack (replicated state) */
    uint64_t ack_floor;   /* every sequence up to it is acked */
    /* Leader-only state, rebuilt when this server starts leading. */
    bool active;          /* its subscriber is connected (learned from its server) */
    uint64_t next_seq;    /* next sequence to deliver for the first time */
    GHashTable *pending;  /* seq -> struct js_pending; at most max_ack_pending */
    GQueue deadlines;     /* struct js_deadline, in deadline order (stale ones skipped) */
};

struct js_server {
    const struct js_server_config *cfg;
    uint32_t quorum;        /* R / 2 + 1 */
    uint32_t first_replica; /* host index of the first replica */
    bool replica;
    sim_time started_ns;     /* this process's start, plus 1 (told to peers in HELLO) */

    struct js_route *routes; /* by host */
    GHashTable *clients;     /* client number -> conn_id (publishers) */
    GHashTable *conn_kinds;  /* incoming conn_id -> what it is (see js_server.c) */
    conn_id subscriber;      /* this host's subscriber's connection, or CONN_NONE */
    int32_t stream_leader;   /* host whose server has interest in the stream, or -1 */
    uint64_t stream_leader_term;

    /* Raft (replicas only). Durable: term and vote (tav.idx), the log (the WAL). */
    uint64_t term;
    int32_t voted_for;
    GArray *log;             /* struct js_entry; index i + 1 at position i */
    uint64_t commit, applied;
    enum js_role role;
    int32_t leader;          /* host index of the leader this server follows, or -1 */
    uint64_t votes;          /* candidate: bit per host that granted */
    uint64_t empty_votes;    /* candidate: of those, voters with an empty log */
    uint64_t answered;       /* candidate: bit per peer that answered */
    bool was_member;         /* this process saw a term before (not a brand-new member) */
    uint64_t *match, *next;  /* leader: by host */
    sim_time *last_sent_ns, *last_heard_ns; /* leader: by host */
    uint64_t serve_after;    /* leader: serves once it applied this index */
    bool serving;
    uint64_t wal_synced;     /* always: WAL durable up to this index */
    bool wal_syncing;
    uint64_t wal_sync_covers;
    uint8_t state;           /* last TRACE_STATE state emitted, and its term */
    uint64_t state_term;
    bool started;            /* the first state was emitted */

    /* The stream (replicas). */
    GArray *store;           /* msg_id_t by sequence - 1; MSG_ID_NONE for a gap */
    GHashTable *dedup;       /* msg_id -> struct js_dedup (seq 0: proposed, not applied yet) */
    GQueue dedup_order;      /* struct js_dedup copies, oldest first: when each expires */
    uint64_t clseq;          /* leader: the last sequence proposed */
    GArray *pubacks;         /* always: struct js_entry applied, PubAck after the store
                                fsync */
    bool store_syncing;
    bool store_dirty;        /* always: stored since the last store fsync was issued */
    guint pubacks_covered;   /* PubAcks the store fsync in flight covers */
    struct js_consumer *consumers; /* by host */
    bool *consumer_active;   /* by host: its server says its subscriber is connected */

    struct js_kv *kv;        /* the bucket's server (cfg->kv): its store's keys; NULL for
                                the stream's */
};

/* A file of this server on the host's disk: the bucket's server has its own. */
static inline uint16_t js__file(const struct js_server *s, enum js_disk_file f)
{
    return (uint16_t)((s->cfg->kv ? JS_KV_FILE_BASE : 0) + f);
}

struct js_dedup {
    msg_id_t msg_id;
    uint64_t seq;
    sim_time t_ns;
};

/* js_server.c */
void js__send_to_host(struct js_server *s, uint32_t host, struct js_msg *m,
                      struct proto_out *out);
void js__broadcast(struct js_server *s, enum js_msg_type type, bool flag,
                   struct proto_out *out);
void js__emit_state(struct js_server *s, struct proto_out *out);
bool js__is_replica(const struct js_server *s, uint32_t host);
/* Host's consumer has a subscriber and a route from here carries deliveries to it. */
bool js__consumer_reachable(const struct js_server *s, uint32_t host);
/* The stream leader took or gave up the stream's subjects. */
void js__interest_changed(struct js_server *s, struct proto_out *out);
/* Hands a PubAck to the publisher's connection on this server (drops it if gone). */
void js__puback_to_client(struct js_server *s, const struct js_msg *ack,
                          struct proto_out *out);

/* js_raft.c */
void js__raft_init(struct js_server *s, const struct disk *disk);
void js__raft_free(struct js_server *s);
void js__raft_start(struct js_server *s, const struct proto_env *env, struct proto_out *out);
void js__raft_on_msg(struct js_server *s, uint32_t from, const struct js_msg *m,
                     const struct proto_env *env, struct proto_out *out);
void js__raft_on_timer(struct js_server *s, uint64_t token, const struct proto_env *env,
                       struct proto_out *out);
void js__raft_on_disk_done(struct js_server *s, uint64_t token, const struct proto_env *env,
                           struct proto_out *out);
/* The leader appends an entry (term and index filled in) and replicates it. */
void js__raft_propose(struct js_server *s, struct js_entry *e, const struct proto_env *env,
                      struct proto_out *out);
uint64_t js__raft_last_index(const struct js_server *s);

/* js_stream.c */
void js__stream_init(struct js_server *s, const struct disk *disk, sim_time now_ns);
/* sync_interval: always: fsyncs the store once a batch of commits is applied. */
void js__stream_flush(struct js_server *s, struct proto_out *out);
void js__stream_free(struct js_server *s);
void js__stream_apply(struct js_server *s, const struct js_entry *e,
                      const struct proto_env *env, struct proto_out *out);
void js__stream_start_serving(struct js_server *s, const struct proto_env *env,
                              struct proto_out *out);
void js__stream_stop_serving(struct js_server *s);
void js__stream_publish(struct js_server *s, uint32_t origin, const struct js_msg *pub,
                        const struct proto_env *env, struct proto_out *out);
void js__stream_on_ack(struct js_server *s, uint32_t consumer, uint64_t seq,
                       const struct proto_env *env, struct proto_out *out);
void js__stream_pump(struct js_server *s, const struct proto_env *env, struct proto_out *out);
void js__stream_on_ack_wait(struct js_server *s, uint32_t consumer,
                            const struct proto_env *env, struct proto_out *out);
void js__stream_on_store_synced(struct js_server *s, struct proto_out *out);
void js__stream_on_periodic_sync(struct js_server *s, const struct proto_env *env,
                                 struct proto_out *out);
/* Answers an applied write of the stream (a PubAck, or a key-value write's answer). */
void js__stream_answer(struct js_server *s, const struct js_entry *e, struct proto_out *out);

/* js_kv.c: the bucket's store on a replica, and its leader's admission of writes */
void js__kv_init(struct js_server *s, const struct disk *disk);
void js__kv_free(struct js_server *s);
/* The replica (re)started: MaxAge removes what aged while it was down. */
void js__kv_start(struct js_server *s, const struct proto_env *env, struct proto_out *out);
/* The highest sequence in the bucket's store. */
uint64_t js__kv_last_seq(const struct js_server *s);
void js__kv_apply(struct js_server *s, const struct js_entry *e, const struct proto_env *env,
                  struct proto_out *out);
/* A request from a client connected here (origin: this host) or forwarded (from another). */
void js__kv_request(struct js_server *s, uint32_t origin, const struct js_msg *req,
                    bool forwarded, const struct proto_env *env, struct proto_out *out);
/* The answer to an applied write, to its requester's server. */
void js__kv_answer_write(struct js_server *s, const struct js_entry *e, struct proto_out *out);
/* An answer that reached the requester's server: to the requester's connection. */
void js__kv_to_client(struct js_server *s, const struct js_msg *resp, struct proto_out *out);
void js__kv_on_age_check(struct js_server *s, const struct proto_env *env,
                         struct proto_out *out);
/* The leader starts or stops serving: conditional writes in flight are its own memory. */
void js__kv_serving_changed(struct js_server *s);

#endif
