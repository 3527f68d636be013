/* zab_oracle.c: the ZAB invariants as one streaming oracle over the trace (sim/oracle.h).
 * This file takes the records in, keeps the host and message views, and checks each
 * delivery as it happens:
 *   integrity           it names a message submitted to ZAB, under a zxid some leader
 *                       proposed for that message before;
 *   agreement           a host incarnation's deliveries are numbered 1, 2, 3, ..., and the
 *                       entry at each position is the one the first delivery there had
 *                       (the canonical log every host's history must be a prefix of);
 *   total_order         a host incarnation delivers messages in the order of their first
 *                       canonical positions;
 *   local_primary_order, global_primary_order, zxid_monotonic (deliveries): each step from
 *                       one delivered zxid to the next.
 * zab_oracle_epochs.c has the rest. docs/database.md, "Invariants", states each one. */
#include "protocol/zab/zab_oracle_internal.h"

#include <inttypes.h>
#include <string.h>

#define EPOCH(zxid) ((zxid) >> 32)
#define COUNTER(zxid) ((zxid) & 0xffffffff)
/* Messages are numbered densely per client, so their facts live in arrays indexed by seq;
 * a seq this far beyond the array (a hand-edited database) goes to a hash table instead. */
#define ZAB_ORACLE_DENSE_GAP_MAX (1u << 20)
/* Clients a trace may name; beyond it an id is not a client message. */
#define ZAB_ORACLE_CLIENTS_MAX (1u << 16)

const char *const zab_oracle_invariants[ZAB_INV_COUNT] = {
    [ZAB_INV_INTEGRITY] = "integrity",
    [ZAB_INV_TOTAL_ORDER] = "total_order",
    [ZAB_INV_AGREEMENT] = "agreement",
    [ZAB_INV_LOCAL_PRIMARY_ORDER] = "local_primary_order",
    [ZAB_INV_GLOBAL_PRIMARY_ORDER] = "global_primary_order",
    [ZAB_INV_PRIMARY_INTEGRITY] = "primary_integrity",
    [ZAB_INV_DURABILITY] = "durability",
    [ZAB_INV_COMMITTED_LOG_DURABILITY] = "committed_log_durability",
    [ZAB_INV_ONE_LEADER_PER_EPOCH] = "one_leader_per_epoch",
    [ZAB_INV_ZXID_MONOTONIC] = "zxid_monotonic",
    [ZAB_INV_EPOCHS_MONOTONIC] = "epochs_monotonic",
    [ZAB_INV_COMMIT_ORDER] = "commit_order",
    [ZAB_INV_NEWLEADER_QUORUM] = "newleader_quorum",
};

/* What a held violation's count adds to its detail. */
static const char *const pending_suffix[ZAB_PENDING_COUNT] = {
    [ZAB_PENDING_NUMBERING] = "breaks in this incarnation",
    [ZAB_PENDING_DISAGREE] = "positions of this incarnation disagree",
    [ZAB_PENDING_ORDER] = "such inversions in this incarnation",
    [ZAB_PENDING_LOCAL] = "such steps in this incarnation",
    [ZAB_PENDING_GLOBAL] = "such steps in this incarnation",
    [ZAB_PENDING_DELIVERED_ZXID] = "such steps in this incarnation",
    [ZAB_PENDING_PROPOSED_ZXID] = "such proposals by this incarnation",
};

/* ---- reporting and evidence ------------------------------------------------------------ */

bool zab__counting(struct zab__oracle *o, enum zab_invariant inv)
{
    return oracle_count(o->env.sink, o->env.model_name, zab_oracle_invariants[inv]);
}

void zab__report(struct zab__oracle *o, enum zab_invariant inv, char *detail,
                 GString *evidence)
{
    if (zab__counting(o, inv))
        oracle_list(o->env.sink, o->env.model_name, zab_oracle_invariants[inv], detail,
                    evidence);
    else {
        g_free(detail);
        g_string_free(evidence, TRUE);
    }
}

const char *zab__zxid_text(int64_t zxid, char *buf, size_t len)
{
    if (zxid == TRACE_NO_LOG_ID)
        g_strlcpy(buf, "NULL", len);
    else
        g_snprintf(buf, len, "0x%" G_GINT64_MODIFIER "x", (uint64_t)zxid);
    return buf;
}

static const char *host_name(const struct zab__oracle *o, int64_t host)
{
    return host >= 0 && host < o->env.n_hosts ? o->env.host_names[host] : "?";
}

static void line(GString *out)
{
    if (out->len)
        g_string_append_c(out, '\n');
}

void zab__format_delivery(const struct zab__oracle *o, const struct zab__seen_delivery *d,
                          GString *out)
{
    char id[24], zx[24];
    msg_id_format(d->msg_id, id, sizeof id);
    line(out);
    g_string_append_printf(out,
                           "deliveries model=%s host=%s incarnation=%u seq=%" PRIu64
                           " msg_id=%s zxid=%s replayed=%d delivered_ns=%" PRId64,
                           o->env.model_name, host_name(o, d->host), d->incarnation, d->seq, id,
                           zab__zxid_text(d->zxid, zx, sizeof zx), d->replayed, d->t_ns);
}

void zab__format_state(const struct zab__oracle *o, const struct trace_rec *r, GString *out)
{
    const char *phase = zab_phase_name(r->u.state.phase);
    line(out);
    g_string_append_printf(out,
                           "host_states model=%s t_ns=%" PRId64 " host=%s incarnation=%u "
                           "state=%s phase=%s epoch=%" PRId64,
                           o->env.model_name, r->t_ns, host_name(o, r->host), r->incarnation,
                           zab_state_name(r->u.state.state), phase ? phase : "NULL",
                           r->u.state.epoch);
}

void zab__format_proposal(const struct zab__oracle *o, const struct trace_rec *r,
                          sim_time committed_ns, GString *out)
{
    char id[24];
    msg_id_format(r->u.event.msg_id, id, sizeof id);
    line(out);
    g_string_append_printf(out,
                           "proposals epoch=%" PRId64 " zxid=0x%" G_GINT64_MODIFIER "x leader=%s "
                           "incarnation=%u msg_id=%s proposed_ns=%" PRId64,
                           r->u.event.a, (uint64_t)r->u.event.b, host_name(o, r->host),
                           r->incarnation, id, r->t_ns);
    if (committed_ns >= 0)
        g_string_append_printf(out, " committed_ns=%" PRId64, committed_ns);
    else
        g_string_append(out, " committed_ns=NULL");
}

void zab__format_truncation(const struct zab__oracle *o, const struct trace_rec *r,
                            GString *out)
{
    char id[24];
    msg_id_format(r->u.event.msg_id, id, sizeof id);
    line(out);
    g_string_append_printf(out,
                           "truncations t_ns=%" PRId64 " host=%s incarnation=%u zxid=0x%"
                           G_GINT64_MODIFIER "x msg_id=%s delivered=%d",
                           r->t_ns, host_name(o, r->host), r->incarnation,
                           (uint64_t)r->u.event.b, id, r->u.event.flag);
}

/* ---- messages -------------------------------------------------------------------------- */

/* The facts of message id; NULL for an id no client can have made (client or seq 0) and, when
 * not creating, for one never seen. A seq more than ZAB_ORACLE_DENSE_GAP_MAX beyond its
 * client's others is treated as never seen: the simulator numbers densely, and a hand-edited
 * database must not make the oracle allocate gigabytes. */
struct zab__msg *zab__msg_get(struct zab__oracle *o, msg_id_t id, bool create)
{
    uint32_t client = msg_id_client(id), seq = msg_id_seq(id);
    if (client == 0 || seq == 0 || client > ZAB_ORACLE_CLIENTS_MAX)
        return NULL;
    while (create && o->clients->len < client)
        g_ptr_array_add(o->clients, g_array_new(FALSE, TRUE, sizeof(struct zab__msg)));
    if (client > o->clients->len)
        return NULL;
    GArray *a = g_ptr_array_index(o->clients, client - 1);
    if (seq > a->len) {
        if (!create || seq - a->len > ZAB_ORACLE_DENSE_GAP_MAX)
            return NULL;
        g_array_set_size(a, seq);
    }
    return &g_array_index(a, struct zab__msg, seq - 1);
}

/* ---- violations held per host incarnation ------------------------------------------------ */

/* Counts one violation of a held kind; true when it is the first of the incarnation, i.e.
 * when the caller should build its detail and evidence for hold(). */
static bool held(struct zab__host *h, enum zab__pending_kind kind)
{
    return h->pending[kind].count++ == 0;
}

static void hold(struct zab__host *h, enum zab__pending_kind kind, enum zab_invariant inv,
                 char *detail, GString *evidence)
{
    struct zab__pending *p = &h->pending[kind];
    ZS_ASSERT(p->count == 1 && p->detail == NULL);
    p->invariant = inv;
    p->detail = detail;
    p->evidence = evidence;
}

/* The incarnation ends (or the trace does): report what it held. */
static void release_pending(struct zab__oracle *o, struct zab__host *h)
{
    for (int k = 0; k < ZAB_PENDING_COUNT; k++) {
        struct zab__pending *p = &h->pending[k];
        if (p->count == 0)
            continue;
        ZS_ASSERT(p->detail != NULL);
        char *detail = p->count > 1 ? g_strdup_printf("%s (%" PRId64 " %s)", p->detail,
                                                      p->count, pending_suffix[k])
                                    : g_strdup(p->detail);
        zab__report(o, p->invariant, detail, p->evidence);
        g_free(p->detail);
        *p = (struct zab__pending){ 0 };
    }
}

/* Host h starts a new incarnation: its delivery views start empty. */
static void new_incarnation(struct zab__oracle *o, uint32_t h, uint32_t incarnation)
{
    struct zab__host *host = &o->hosts[h];
    release_pending(o, host);
    uint64_t keep = ~(UINT64_C(1) << h);
    for (guint c = 0; c < o->clients->len; c++) {
        GArray *a = g_ptr_array_index(o->clients, c);
        for (guint i = 0; i < a->len; i++)
            g_array_index(a, struct zab__msg, i).delivered_by &= keep;
    }
    struct trace_rec state = host->state;
    bool has_state = host->has_state;
    *host = (struct zab__host){ .incarnation = incarnation, .has_state = has_state,
                                .state = state };
}

/* ---- per-delivery checks ---------------------------------------------------------------- */

static void check_numbering(struct zab__oracle *o, struct zab__host *h,
                            const struct zab__seen_delivery *d,
                            const struct zab__seen_delivery *prev)
{
    uint64_t last = prev ? prev->seq : 0;
    if (d->seq == last + 1 || !held(h, ZAB_PENDING_NUMBERING))
        return;
    GString *detail = g_string_new(NULL);
    g_string_printf(detail, "%s#%u: ", host_name(o, d->host), d->incarnation);
    if (!prev)
        g_string_append_printf(detail, "its first delivery has seq %" PRIu64, d->seq);
    else if (d->seq == last)
        g_string_append_printf(detail, "seq %" PRIu64 " is delivered twice", d->seq);
    else
        g_string_append_printf(detail, "seq jumps from %" PRIu64 " to %" PRIu64, last, d->seq);
    g_string_append(detail, "; a host incarnation's deliveries are numbered 1, 2, 3, ...");
    GString *evidence = g_string_new(NULL);
    if (prev)
        zab__format_delivery(o, prev, evidence);
    zab__format_delivery(o, d, evidence);
    hold(h, ZAB_PENDING_NUMBERING, ZAB_INV_AGREEMENT, g_string_free(detail, FALSE), evidence);
}

static void check_integrity(struct zab__oracle *o, const struct zab__seen_delivery *d,
                            const struct zab__msg *m)
{
    bool submitted = m && (m->flags & ZAB_FACT_SUBMITTED);
    bool proposed = d->zxid != TRACE_NO_LOG_ID && zab__was_proposed(o, d->zxid, d->msg_id);
    if (submitted && proposed)
        return;
    char *key = g_strdup_printf("%" PRId64 "/%" PRId64, d->zxid, d->msg_id);
    if (g_hash_table_contains(o->bad_pairs, key)) { /* one report per (message, zxid) */
        g_free(key);
        return;
    }
    g_hash_table_add(o->bad_pairs, key);
    if (!zab__counting(o, ZAB_INV_INTEGRITY))
        return;
    const char *why = !submitted && !proposed ? "it was never submitted to zab nor proposed"
                      : !submitted            ? "it was never submitted to zab"
                      : d->zxid == TRACE_NO_LOG_ID
                          ? "a ZAB delivery must carry the zxid it commits"
                          : "no leader had proposed that message with that zxid";
    char id[24], zx[24];
    msg_id_format(d->msg_id, id, sizeof id);
    char *detail = g_strdup_printf("%s#%u delivered %s with zxid %s at seq %" PRIu64 ", but %s",
                                   host_name(o, d->host), d->incarnation, id,
                                   zab__zxid_text(d->zxid, zx, sizeof zx), d->seq, why);
    GString *evidence = g_string_new(NULL);
    zab__format_delivery(o, d, evidence);
    oracle_list(o->env.sink, o->env.model_name, zab_oracle_invariants[ZAB_INV_INTEGRITY], detail,
                evidence);
}

static struct zab__canon *canon_at(struct zab__oracle *o, uint64_t position)
{
    return &g_array_index(o->canon, struct zab__canon, position - 1);
}

/* The canonical log at d's position: fill it, or compare with it. */
static void check_canonical(struct zab__oracle *o, struct zab__host *h,
                            const struct zab__seen_delivery *d, struct zab__msg *m)
{
    if (d->seq == 0 || d->seq > G_MAXUINT32 ||
        (d->seq > o->canon->len && d->seq - o->canon->len > ZAB_ORACLE_DENSE_GAP_MAX))
        return; /* numbering already reported it; nothing to compare with */
    if (d->seq > o->canon->len)
        g_array_set_size(o->canon, (guint)d->seq);
    struct zab__canon *c = canon_at(o, d->seq);
    if (!c->filled) {
        c->filled = true;
        c->first = *d;
        if (m && m->position == 0)
            m->position = (uint32_t)d->seq;
        zab__on_canon_filled(o, (uint32_t)d->seq);
        return;
    }
    if (c->first.msg_id == d->msg_id && c->first.zxid == d->zxid)
        return;
    h->diverged = true;
    if (!held(h, ZAB_PENDING_DISAGREE))
        return;
    char a[24], b[24], za[24], zb[24];
    msg_id_format(d->msg_id, a, sizeof a);
    msg_id_format(c->first.msg_id, b, sizeof b);
    char *detail = g_strdup_printf(
        "%s#%u delivered %s (zxid %s) at seq %" PRIu64 ", where %s#%u had delivered %s (zxid %s)",
        host_name(o, d->host), d->incarnation, a, zab__zxid_text(d->zxid, za, sizeof za), d->seq,
        host_name(o, c->first.host), c->first.incarnation, b,
        zab__zxid_text(c->first.zxid, zb, sizeof zb));
    GString *evidence = g_string_new(NULL);
    zab__format_delivery(o, &c->first, evidence);
    zab__format_delivery(o, d, evidence);
    hold(h, ZAB_PENDING_DISAGREE, ZAB_INV_AGREEMENT, detail, evidence);
}

/* Total order against the canonical positions of the messages this incarnation delivers. */
static void check_order(struct zab__oracle *o, struct zab__host *h,
                        const struct zab__seen_delivery *d, struct zab__msg *m)
{
    uint64_t bit = UINT64_C(1) << d->host;
    if (!m || (m->delivered_by & bit))
        return; /* a repeat is a duplicate, not a reordering */
    m->delivered_by |= bit;
    if (m->position == 0)
        return; /* it never took a canonical position: agreement has it */
    if (!h->has_max || m->position > h->max_position) {
        h->has_max = true;
        h->max_position = m->position;
        h->max_delivery = *d;
        return;
    }
    if (!held(h, ZAB_PENDING_ORDER))
        return;
    const struct zab__seen_delivery *before = &h->max_delivery;
    const struct zab__canon *cb = canon_at(o, h->max_position), *cd = canon_at(o, m->position);
    char a[24], b[24];
    msg_id_format(d->msg_id, a, sizeof a);
    msg_id_format(before->msg_id, b, sizeof b);
    char *detail = g_strdup_printf(
        "%s#%u delivered %s (seq %" PRIu64 ") after %s (seq %" PRIu64 "), but %s#%u delivered "
        "%s (seq %" PRIu64 ") before %s#%u delivered %s (seq %" PRIu64 ")",
        host_name(o, d->host), d->incarnation, a, d->seq, b, before->seq,
        host_name(o, cd->first.host), cd->first.incarnation, a, cd->first.seq,
        host_name(o, cb->first.host), cb->first.incarnation, b, cb->first.seq);
    GString *evidence = g_string_new(NULL);
    zab__format_delivery(o, &cd->first, evidence);
    zab__format_delivery(o, &cb->first, evidence);
    zab__format_delivery(o, before, evidence);
    zab__format_delivery(o, d, evidence);
    hold(h, ZAB_PENDING_ORDER, ZAB_INV_TOTAL_ORDER, detail, evidence);
}

/* The kind of fault in the step prev -> cur of delivered zxids (prev NULL: cur is the
 * incarnation's first), or -1. A step is reported once, under its most specific name. */
/* The first counter from `from` on in epoch that is not a data-model txn: the subscriber
 * is handed workload messages only, so the next delivery may step over sessions and znode
 * operations (they were proposed, and never delivered). */
static int64_t next_message_counter(struct zab__oracle *o, int64_t epoch, int64_t from)
{
    int64_t c = from;
    while (zab__is_data_txn(o, (epoch << 32) | c))
        c++;
    return c;
}

static int classify_step(struct zab__oracle *o, const struct zab__seen_delivery *prev,
                         const struct zab__seen_delivery *cur)
{
    int64_t epoch = EPOCH(cur->zxid);
    if (!prev)
        return COUNTER(cur->zxid) != next_message_counter(o, epoch, 1) ? ZAB_PENDING_LOCAL
                                                                          : -1;
    if (EPOCH(cur->zxid) < EPOCH(prev->zxid))
        return ZAB_PENDING_GLOBAL;
    if (EPOCH(cur->zxid) > EPOCH(prev->zxid))
        return COUNTER(cur->zxid) != next_message_counter(o, epoch, 1) ? ZAB_PENDING_LOCAL
                                                                          : -1;
    if (cur->zxid <= prev->zxid)
        return ZAB_PENDING_DELIVERED_ZXID;
    return COUNTER(cur->zxid) > next_message_counter(o, epoch, COUNTER(prev->zxid) + 1)
               ? ZAB_PENDING_LOCAL
               : -1;
}

static char *describe_step(const struct zab__oracle *o, int kind,
                           const struct zab__seen_delivery *prev,
                           const struct zab__seen_delivery *cur)
{
    char z[24], p[24];
    const char *host = host_name(o, cur->host);
    zab__zxid_text(cur->zxid, z, sizeof z);
    if (prev)
        zab__zxid_text(prev->zxid, p, sizeof p);
    if (kind == ZAB_PENDING_GLOBAL)
        return g_strdup_printf("%s#%u: zxid %s (epoch %" PRId64 ") at seq %" PRIu64
                               " follows %s (epoch %" PRId64 ")",
                               host, cur->incarnation, z, EPOCH(cur->zxid), cur->seq, p,
                               EPOCH(prev->zxid));
    if (kind == ZAB_PENDING_DELIVERED_ZXID)
        return g_strdup_printf("%s#%u delivered zxid %s at seq %" PRIu64 " after %s", host,
                               cur->incarnation, z, cur->seq, p);
    if (!prev)
        return g_strdup_printf("%s#%u: first delivery is zxid %s at seq %" PRIu64
                               "; a history starts at counter 1",
                               host, cur->incarnation, z, cur->seq);
    if (EPOCH(cur->zxid) == EPOCH(prev->zxid))
        return g_strdup_printf("%s#%u: zxid %s at seq %" PRIu64 " follows %s: epoch %" PRId64
                               " skips counter %" PRId64,
                               host, cur->incarnation, z, cur->seq, p, EPOCH(cur->zxid),
                               COUNTER(prev->zxid) + 1);
    return g_strdup_printf("%s#%u: epoch %" PRId64 " starts at zxid %s (seq %" PRIu64
                           ") instead of counter 1",
                           host, cur->incarnation, EPOCH(cur->zxid), z, cur->seq);
}

static void check_step(struct zab__oracle *o, struct zab__host *h,
                       const struct zab__seen_delivery *d)
{
    if (d->zxid == TRACE_NO_LOG_ID) /* integrity's finding, not a step */
        return;
    const struct zab__seen_delivery *prev = h->has_last ? &h->last : NULL;
    int kind = classify_step(o, prev, d);
    if (kind >= 0 && held(h, (enum zab__pending_kind)kind)) {
        static const enum zab_invariant inv[ZAB_PENDING_COUNT] = {
            [ZAB_PENDING_LOCAL] = ZAB_INV_LOCAL_PRIMARY_ORDER,
            [ZAB_PENDING_GLOBAL] = ZAB_INV_GLOBAL_PRIMARY_ORDER,
            [ZAB_PENDING_DELIVERED_ZXID] = ZAB_INV_ZXID_MONOTONIC,
        };
        GString *evidence = g_string_new(NULL);
        if (prev)
            zab__format_delivery(o, prev, evidence);
        zab__format_delivery(o, d, evidence);
        hold(h, (enum zab__pending_kind)kind, inv[kind], describe_step(o, kind, prev, d),
             evidence);
    }
    h->has_last = true;
    h->last = *d;
}

static void on_delivery(struct zab__oracle *o, const struct trace_rec *r)
{
    struct zab__host *h = &o->hosts[r->host];
    struct zab__seen_delivery d = { .t_ns = r->t_ns, .seq = r->u.delivery.seq,
                                    .msg_id = r->u.delivery.msg_id,
                                    .zxid = r->u.delivery.log_id, .host = (uint32_t)r->host,
                                    .incarnation = r->incarnation,
                                    .replayed = r->u.delivery.replayed };
    struct zab__msg *m = zab__msg_get(o, d.msg_id, true);
    check_numbering(o, h, &d, h->delivered ? &h->prev : NULL);
    check_integrity(o, &d, m);
    check_canonical(o, h, &d, m);
    check_order(o, h, &d, m);
    check_step(o, h, &d);
    zab__note_leader_delivery(o, &d);
    h->delivered++;
    h->prev = d;
}

/* ---- the oracle ------------------------------------------------------------------------ */

static void *oracle_create(const struct oracle_env *env)
{
    struct zab__oracle *o = g_new0(struct zab__oracle, 1);
    ZS_ASSERT(env->n_hosts <= 64); /* delivered_by has a bit per host */
    o->env = *env;
    o->hosts = g_new0(struct zab__host, MAX(env->n_hosts, 1));
    o->marks = g_new0(struct zab__epoch_marks, MAX(env->n_hosts, 1));
    o->clients = g_ptr_array_new_with_free_func((GDestroyNotify)g_array_unref);
    o->canon = g_array_new(FALSE, TRUE, sizeof(struct zab__canon));
    o->epochs = g_array_new(FALSE, FALSE, sizeof(struct zab__epoch));
    o->recent_truncations = g_array_new(FALSE, FALSE, sizeof(struct zab__recent_truncation));
    o->bad_pairs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    o->extra_proposals = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    return o;
}

/* Host-bound records move the host's incarnation forward; false for a record naming a host
 * the run does not have (ignored: the recorder reports such records). */
static bool track_host(struct zab__oracle *o, const struct trace_rec *r)
{
    if (r->host < 0 || (uint32_t)r->host >= o->env.n_hosts)
        return false;
    struct zab__host *h = &o->hosts[r->host];
    if (r->incarnation > h->incarnation)
        new_incarnation(o, (uint32_t)r->host, r->incarnation);
    return true;
}

static void on_event(struct zab__oracle *o, const struct trace_rec *r)
{
    switch (r->u.event.type) {
    case ZAB_EVENT_PROPOSAL:
        zab__on_proposal(o, r);
        break;
    case ZAB_EVENT_COMMIT:
        zab__on_commit(o, r);
        break;
    case ZAB_EVENT_TRUNCATE:
        zab__on_truncation(o, r);
        break;
    case ZAB_EVENT_NEWLEADER_ACK:
        zab__on_newleader_ack(o, r);
        break;
    default:
        break;
    }
}

static void oracle_observe(void *state, const struct trace_rec *r)
{
    struct zab__oracle *o = state;
    if (r->model != o->env.model)
        return;
    switch (r->kind) {
    case TRACE_SUBMISSION: {
        struct zab__msg *m = zab__msg_get(o, r->u.submission.msg_id, true);
        if (m)
            m->flags |= ZAB_FACT_SUBMITTED;
        break;
    }
    case TRACE_OUTCOME: {
        struct zab__msg *m = zab__msg_get(o, r->u.outcome.msg_id, true);
        if (m && r->u.outcome.outcome == TRACE_OUTCOME_ACKED)
            m->flags |= ZAB_FACT_ACKED;
        break;
    }
    case TRACE_STATE:
        if (track_host(o, r)) {
            o->hosts[r->host].has_state = true;
            o->hosts[r->host].state = *r;
            zab__on_state(o, r);
            zab__check_epochs_monotonic(o, r);
        }
        break;
    case TRACE_DELIVERY:
        if (track_host(o, r))
            on_delivery(o, r);
        break;
    case TRACE_EVENT:
        if (track_host(o, r))
            on_event(o, r);
        break;
    default:
        break;
    }
}

static void oracle_finish(void *state)
{
    struct zab__oracle *o = state;
    zab__finish_durability(o);
    for (uint32_t h = 0; h < o->env.n_hosts; h++)
        release_pending(o, &o->hosts[h]);
    zab__finish_epochs(o);
}

static void oracle_destroy(void *state)
{
    struct zab__oracle *o = state;
    if (!o)
        return;
    for (uint32_t h = 0; h < o->env.n_hosts; h++) {
        for (int k = 0; k < ZAB_PENDING_COUNT; k++) {
            g_free(o->hosts[h].pending[k].detail);
            if (o->hosts[h].pending[k].evidence)
                g_string_free(o->hosts[h].pending[k].evidence, TRUE);
        }
    }
    zab__epochs_free(o);
    g_free(o->hosts);
    g_free(o->marks);
    g_ptr_array_free(o->clients, TRUE);
    g_array_free(o->canon, TRUE);
    g_array_free(o->recent_truncations, TRUE);
    g_hash_table_destroy(o->bad_pairs);
    g_hash_table_destroy(o->extra_proposals);
    g_free(o);
}

const struct oracle_ops zab_oracle_ops = {
    .invariants = zab_oracle_invariants,
    .n_invariants = ZAB_INV_COUNT,
    .create = oracle_create,
    .observe = oracle_observe,
    .finish = oracle_finish,
    .destroy = oracle_destroy,
};
