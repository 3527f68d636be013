/* zab_oracle_internal.h: the state of the ZAB oracle (zab_oracle_ops), shared by its two
 * files: zab_oracle.c (records in, the host and message views, the per-delivery checks:
 * integrity, agreement, total order, primary order, zxid steps) and zab_oracle_epochs.c
 * (epochs and proposals: one leader per epoch, proposal zxids, primary integrity,
 * committed-log durability, and durability at the end).
 *
 * What it keeps, and why it is enough:
 *   - per host: its latest incarnation, state and last delivery, and the first violation of
 *     each per-incarnation kind with a count (reported when the incarnation ends);
 *   - per message (client, seq): the first canonical position it took, whether it was
 *     submitted and acked, and which hosts' current incarnations delivered it (a bit each);
 *   - per log position: the first delivery anyone made there (the canonical log, which
 *     every host's sequence must be a prefix of);
 *   - per epoch: its leaders, its proposers, and per zxid counter the proposal.
 * Nothing grows with deliveries or with hosts x history. */
#ifndef PROTOCOL_ZAB_ORACLE_INTERNAL_H
#define PROTOCOL_ZAB_ORACLE_INTERNAL_H

#include "protocol/zab/zab.h"

/* The invariants, in report order (zab_oracle_invariants[] names them). */
enum zab_invariant {
    ZAB_INV_INTEGRITY = 0,
    ZAB_INV_TOTAL_ORDER,
    ZAB_INV_AGREEMENT,
    ZAB_INV_LOCAL_PRIMARY_ORDER,
    ZAB_INV_GLOBAL_PRIMARY_ORDER,
    ZAB_INV_PRIMARY_INTEGRITY,
    ZAB_INV_DURABILITY,
    ZAB_INV_COMMITTED_LOG_DURABILITY,
    ZAB_INV_ONE_LEADER_PER_EPOCH,
    ZAB_INV_ZXID_MONOTONIC,
    ZAB_INV_EPOCHS_MONOTONIC,
    ZAB_INV_COMMIT_ORDER,
    ZAB_INV_NEWLEADER_QUORUM,
    ZAB_INV_COUNT
};

extern const char *const zab_oracle_invariants[ZAB_INV_COUNT];

/* A delivery, as much as evidence needs. */
struct zab__seen_delivery {
    sim_time t_ns;
    uint64_t seq;
    msg_id_t msg_id;
    int64_t zxid;
    uint32_t host;
    uint32_t incarnation;
    bool replayed;
};

/* The first violation of one kind in a host incarnation, held until the incarnation ends
 * so that its detail can say how many there were. */
struct zab__pending {
    int64_t count;
    enum zab_invariant invariant;
    char *detail;
    GString *evidence;
};

/* Per-incarnation kinds of violation held as pending. */
enum zab__pending_kind {
    ZAB_PENDING_NUMBERING = 0, /* agreement: seq not 1, 2, 3, ... */
    ZAB_PENDING_DISAGREE,      /* agreement: another entry than the canonical log's */
    ZAB_PENDING_ORDER,         /* total order */
    ZAB_PENDING_LOCAL,         /* local primary order */
    ZAB_PENDING_GLOBAL,        /* global primary order */
    ZAB_PENDING_DELIVERED_ZXID,/* zxid monotonic, deliveries */
    ZAB_PENDING_PROPOSED_ZXID, /* zxid monotonic, proposals */
    ZAB_PENDING_COUNT
};

struct zab__host {
    uint32_t incarnation;        /* latest seen; 0 before any record */
    bool has_state;
    struct trace_rec state;      /* latest TRACE_STATE */
    uint64_t delivered;          /* deliveries by this incarnation */
    struct zab__seen_delivery prev;         /* its latest delivery (valid when delivered) */
    bool has_last;
    struct zab__seen_delivery last;         /* its latest delivery with a zxid */
    bool has_max;
    struct zab__seen_delivery max_delivery; /* its delivery of the highest canonical position */
    uint32_t max_position;
    bool diverged;               /* some delivery disagreed with the canonical log */
    bool has_proposed;
    int64_t last_proposed_zxid;  /* this incarnation's latest proposal */
    struct trace_rec last_proposal;
    int64_t newleader_epoch;     /* the epoch of the NEWLEADER acks counted below */
    uint64_t newleader_acks;     /* bit sid - 1: this incarnation, leading, counted its ACK */
    struct zab__pending pending[ZAB_PENDING_COUNT];
};

/* What the oracle knows of one client message. */
struct zab__msg {
    uint32_t position; /* first canonical position it took (1-based); 0: none */
    uint8_t flags;     /* ZAB_MSG_* */
    uint64_t delivered_by; /* bit h: host h's current incarnation delivered it */
};
#define ZAB_FACT_SUBMITTED 1u
#define ZAB_FACT_ACKED 2u

/* One position of the canonical log: the first delivery made there. */
struct zab__canon {
    struct zab__seen_delivery first;
    bool filled; /* false: a hole left by a host whose seq jumped */
};

/* One proposal, by epoch and counter. */
struct zab__proposal {
    msg_id_t msg_id;       /* MSG_ID_NONE: no proposal of this zxid yet */
    sim_time proposed_ns;
    sim_time committed_ns; /* -1 until committed */
    uint32_t leader;       /* host */
    uint32_t incarnation;
    bool other_msgs;       /* another message was proposed under this zxid too */
};

/* Primary integrity of one of an epoch's proposers. */
struct zab__primary {
    uint64_t prefix;         /* deliveries it had made when it first proposed */
    int64_t missing;         /* earlier-epoch canonical positions beyond its prefix */
    uint32_t first_missing;  /* the lowest such position */
    bool has_late;
    struct zab__seen_delivery late; /* its own delivery of that zxid, after the fact */
};

/* A host incarnation that led or proposed in an epoch. */
struct zab__epoch_member {
    uint32_t host, incarnation;
    struct trace_rec rec;         /* the record that made it one (state or proposal) */
    struct zab__primary primary;  /* proposers only */
};

struct zab__epoch {
    int64_t epoch;
    GArray *leaders;   /* struct zab__epoch_member: LEADING + BROADCAST, in order */
    GArray *proposers; /* struct zab__epoch_member: first proposal of each, in order */
    GArray *proposals; /* struct zab__proposal by counter - 1 */
};

/* A truncation that happened at the current instant, waiting for a commit of the same
 * instant (a commit at or before the removal makes it a violation). */
struct zab__recent_truncation {
    struct trace_rec rec;
};

/* The highest epochs a server has shown, over all its incarnations (epochs_monotonic):
 * acceptedEpoch in DISCOVERY records, currentEpoch in ELECTION and BROADCAST ones. */
struct zab__epoch_marks {
    bool has_accepted, has_current;
    struct trace_rec accepted, current; /* the records that showed them */
};

struct zab__oracle {
    struct oracle_env env;
    struct zab__host *hosts;       /* by host index */
    struct zab__epoch_marks *marks; /* by host index, never reset */
    GPtrArray *clients;            /* GArray of struct zab__msg by seq - 1, by client */
    GArray *canon;                 /* struct zab__canon by position - 1 */
    GArray *epochs;                /* struct zab__epoch, ascending epoch */
    GArray *recent_truncations;    /* struct zab__recent_truncation, same t_ns */
    sim_time recent_t_ns;
    GHashTable *bad_pairs;         /* integrity: (zxid, msg) pairs already reported */
    GHashTable *extra_proposals;   /* "zxid/msg" of proposals reusing a zxid (broken runs) */
    uint32_t proposers_missing;    /* proposers with primary.missing > 0 */
};

/* zab_oracle.c: views and evidence shared with zab_oracle_epochs.c */
struct zab__msg *zab__msg_get(struct zab__oracle *o, msg_id_t id, bool create);
void zab__format_delivery(const struct zab__oracle *o, const struct zab__seen_delivery *d,
                          GString *out);
void zab__format_state(const struct zab__oracle *o, const struct trace_rec *r, GString *out);
void zab__format_proposal(const struct zab__oracle *o, const struct trace_rec *r,
                          sim_time committed_ns, GString *out);
void zab__format_truncation(const struct zab__oracle *o, const struct trace_rec *r,
                            GString *out);
const char *zab__zxid_text(int64_t zxid, char *buf, size_t len);
/* Reports a violation now (counted; listed when within the cap). */
void zab__report(struct zab__oracle *o, enum zab_invariant inv, char *detail,
                 GString *evidence);
bool zab__counting(struct zab__oracle *o, enum zab_invariant inv);

/* zab_oracle_epochs.c */
void zab__check_epochs_monotonic(struct zab__oracle *o, const struct trace_rec *r);
struct zab__epoch *zab__epoch_get(struct zab__oracle *o, int64_t epoch, bool create);
void zab__epochs_free(struct zab__oracle *o);
void zab__on_state(struct zab__oracle *o, const struct trace_rec *r);
void zab__on_newleader_ack(struct zab__oracle *o, const struct trace_rec *r);
void zab__on_proposal(struct zab__oracle *o, const struct trace_rec *r);
void zab__on_commit(struct zab__oracle *o, const struct trace_rec *r);
void zab__on_truncation(struct zab__oracle *o, const struct trace_rec *r);
/* A new canonical position was filled: primary integrity of later epochs' leaders. */
void zab__on_canon_filled(struct zab__oracle *o, uint32_t position);
/* host's incarnation delivered zxid: a late delivery for primary integrity's evidence. */
void zab__note_leader_delivery(struct zab__oracle *o, const struct zab__seen_delivery *d);
/* Whether (zxid, msg_id) was proposed before now. */
/* Whether zxid was proposed as a data-model txn (ZAB_DATA_TXN_MSG_ID): never delivered. */
bool zab__is_data_txn(struct zab__oracle *o, int64_t zxid);
bool zab__was_proposed(struct zab__oracle *o, int64_t zxid, msg_id_t msg_id);
void zab__finish_epochs(struct zab__oracle *o);
void zab__finish_durability(struct zab__oracle *o);

#endif
