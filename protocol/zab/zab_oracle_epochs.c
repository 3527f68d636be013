/* zab_oracle_epochs.c: the ZAB invariants about epochs, proposals and what must survive,
 * for the oracle of zab_oracle.c:
 *   one_leader_per_epoch      at most one host incarnation reaches LEADING + BROADCAST in an
 *                             epoch, and one host incarnation makes its proposals;
 *   zxid_monotonic            a leader incarnation's proposals have increasing zxids;
 *   primary_integrity         an epoch's proposer had delivered, when it first proposed,
 *                             every zxid of an earlier epoch that the canonical log holds,
 *                             by then or later;
 *   committed_log_durability  no server removes a log entry committed at or before then;
 *   durability                every acked write is delivered by the final incarnation of
 *                             every host that ends up and in BROADCAST. */
#include "protocol/zab/zab_oracle_internal.h"

#include <inttypes.h>
#include <string.h>

#define EPOCH(zxid) ((zxid) >> 32)
#define COUNTER(zxid) ((zxid) & 0xffffffff)
/* zxid counters are dense within an epoch; one far beyond the others is not tracked. */
#define ZAB_ORACLE_COUNTER_GAP_MAX (1u << 20)

static const char *host_name(const struct zab__oracle *o, uint32_t host)
{
    return host < o->env.n_hosts ? o->env.host_names[host] : "?";
}

/* ---- epochs ---------------------------------------------------------------------------- */

struct zab__epoch *zab__epoch_get(struct zab__oracle *o, int64_t epoch, bool create)
{
    guint lo = 0, hi = o->epochs->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(o->epochs, struct zab__epoch, mid).epoch < epoch)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < o->epochs->len && g_array_index(o->epochs, struct zab__epoch, lo).epoch == epoch)
        return &g_array_index(o->epochs, struct zab__epoch, lo);
    if (!create)
        return NULL;
    struct zab__epoch e = {
        .epoch = epoch,
        .leaders = g_array_new(FALSE, FALSE, sizeof(struct zab__epoch_member)),
        .proposers = g_array_new(FALSE, FALSE, sizeof(struct zab__epoch_member)),
        .proposals = g_array_new(FALSE, TRUE, sizeof(struct zab__proposal)),
    };
    g_array_insert_val(o->epochs, lo, e);
    return &g_array_index(o->epochs, struct zab__epoch, lo);
}

void zab__epochs_free(struct zab__oracle *o)
{
    for (guint i = 0; i < o->epochs->len; i++) {
        struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        g_array_free(e->leaders, TRUE);
        g_array_free(e->proposers, TRUE);
        g_array_free(e->proposals, TRUE);
    }
    g_array_free(o->epochs, TRUE);
}

static struct zab__epoch_member *find_member(GArray *members, uint32_t host,
                                             uint32_t incarnation)
{
    for (guint i = 0; i < members->len; i++) {
        struct zab__epoch_member *m = &g_array_index(members, struct zab__epoch_member, i);
        if (m->host == host && m->incarnation == incarnation)
            return m;
    }
    return NULL;
}

/* The proposal slot of zxid, or NULL (counter 0, or far beyond the epoch's others). */
static struct zab__proposal *proposal_slot(struct zab__oracle *o, int64_t zxid, bool create)
{
    int64_t counter = COUNTER(zxid);
    struct zab__epoch *e = zab__epoch_get(o, EPOCH(zxid), create);
    if (!e || counter == 0)
        return NULL;
    if ((guint)counter > e->proposals->len) {
        if (!create || (guint)counter - e->proposals->len > ZAB_ORACLE_COUNTER_GAP_MAX)
            return NULL;
        guint old = e->proposals->len;
        g_array_set_size(e->proposals, (guint)counter);
        for (guint i = old; i < e->proposals->len; i++)
            g_array_index(e->proposals, struct zab__proposal, i).committed_ns = -1;
    }
    return &g_array_index(e->proposals, struct zab__proposal, counter - 1);
}

static char *pair_key(int64_t zxid, msg_id_t msg_id)
{
    return g_strdup_printf("%" PRId64 "/%" PRId64, zxid, msg_id);
}

bool zab__is_data_txn(struct zab__oracle *o, int64_t zxid)
{
    const struct zab__proposal *p = proposal_slot(o, zxid, false);
    return p && p->msg_id == ZAB_DATA_TXN_MSG_ID;
}

bool zab__was_proposed(struct zab__oracle *o, int64_t zxid, msg_id_t msg_id)
{
    const struct zab__proposal *p = proposal_slot(o, zxid, false);
    if (!p || p->msg_id == MSG_ID_NONE)
        return false;
    if (p->msg_id == msg_id)
        return true;
    if (!p->other_msgs)
        return false;
    char *key = pair_key(zxid, msg_id);
    bool found = g_hash_table_contains(o->extra_proposals, key);
    g_free(key);
    return found;
}

void zab__on_newleader_ack(struct zab__oracle *o, const struct trace_rec *r)
{
    struct zab__host *h = &o->hosts[r->host];
    if (h->newleader_epoch != r->u.event.a) {
        h->newleader_epoch = r->u.event.a;
        h->newleader_acks = 0;
    }
    int64_t sid = r->u.event.b;
    if (sid >= 1 && sid <= (int64_t)o->env.n_hosts)
        h->newleader_acks |= UINT64_C(1) << (sid - 1);
}

/* Leader.lead(): a leader starts serving its epoch only once a quorum of servers, itself
 * included, acknowledged its NEWLEADER, i.e. took its history as theirs. */
static void check_newleader_quorum(struct zab__oracle *o, const struct trace_rec *r)
{
    const struct zab__host *h = &o->hosts[r->host];
    uint64_t acks = h->newleader_epoch == r->u.state.epoch ? h->newleader_acks : 0;
    uint32_t n = (uint32_t)__builtin_popcountll(acks);
    if (n * 2 > o->env.n_hosts || !zab__counting(o, ZAB_INV_NEWLEADER_QUORUM))
        return;
    GString *who = g_string_new(NULL);
    for (uint32_t i = 0; i < o->env.n_hosts; i++) {
        if (acks & (UINT64_C(1) << i))
            g_string_append_printf(who, "%s%s", who->len ? ", " : "", host_name(o, i));
    }
    char *detail = g_strdup_printf(
        "%s#%u started serving epoch %" PRId64 " at %" PRId64 " ns with %u of %u NEWLEADER "
        "acknowledgements (%s), fewer than a quorum",
        host_name(o, (uint32_t)r->host), r->incarnation, r->u.state.epoch, r->t_ns, n,
        o->env.n_hosts, who->len ? who->str : "none");
    g_string_free(who, TRUE);
    GString *evidence = g_string_new(NULL);
    zab__format_state(o, r, evidence);
    zab__report(o, ZAB_INV_NEWLEADER_QUORUM, detail, evidence);
}

void zab__on_state(struct zab__oracle *o, const struct trace_rec *r)
{
    if (r->u.state.state != ZAB_STATE_LEADING || r->u.state.phase != ZAB_PHASE_BROADCAST)
        return;
    struct zab__epoch *e = zab__epoch_get(o, r->u.state.epoch, true);
    if (find_member(e->leaders, (uint32_t)r->host, r->incarnation))
        return;
    check_newleader_quorum(o, r);
    struct zab__epoch_member m = { .host = (uint32_t)r->host, .incarnation = r->incarnation,
                                   .rec = *r };
    g_array_append_val(e->leaders, m);
}

/* ---- epochs never go back ------------------------------------------------------------- */

/* acceptedEpoch and currentEpoch are durable before a server acts on them (written and
 * fsynced), so a server never shows a smaller one than it showed before, whatever crash or
 * power-off came between. SYNCHRONIZATION records show the epoch being joined, not yet
 * currentEpoch, and are not compared. */
void zab__check_epochs_monotonic(struct zab__oracle *o, const struct trace_rec *r)
{
    enum zab_phase phase = (enum zab_phase)r->u.state.phase;
    if (r->u.state.state == ZAB_STATE_DOWN || (phase != ZAB_PHASE_DISCOVERY &&
                                               phase != ZAB_PHASE_ELECTION &&
                                               phase != ZAB_PHASE_BROADCAST))
        return;
    struct zab__epoch_marks *m = &o->marks[r->host];
    bool accepted = phase == ZAB_PHASE_DISCOVERY;
    bool *has = accepted ? &m->has_accepted : &m->has_current;
    struct trace_rec *seen = accepted ? &m->accepted : &m->current;
    if (*has && r->u.state.epoch < seen->u.state.epoch) {
        GString *evidence = g_string_new(NULL);
        zab__format_state(o, seen, evidence);
        zab__format_state(o, r, evidence);
        zab__report(o, ZAB_INV_EPOCHS_MONOTONIC,
                    g_strdup_printf("%s#%u shows %s %" PRId64 " after %s#%u showed %" PRId64,
                                    o->env.host_names[r->host], r->incarnation,
                                    accepted ? "acceptedEpoch" : "currentEpoch",
                                    r->u.state.epoch, o->env.host_names[seen->host],
                                    seen->incarnation, seen->u.state.epoch),
                    evidence);
        return;
    }
    *has = true;
    *seen = *r;
}

/* ---- primary integrity ------------------------------------------------------------------ */

static void count_missing(struct zab__oracle *o, struct zab__primary *p, uint32_t position)
{
    if (p->missing++ == 0) {
        o->proposers_missing++;
        p->first_missing = position;
    } else if (position < p->first_missing) {
        p->first_missing = position;
        p->has_late = false;
    }
}

static const struct zab__canon *canon_at(const struct zab__oracle *o, uint32_t position)
{
    return &g_array_index(o->canon, struct zab__canon, position - 1);
}

/* A new proposer of epoch e: what the canonical log already holds beyond its history. */
static void start_primary(struct zab__oracle *o, int64_t epoch, struct zab__epoch_member *m)
{
    m->primary.prefix = o->hosts[m->host].delivered;
    for (guint p = (guint)MIN(m->primary.prefix, (uint64_t)o->canon->len); p < o->canon->len;
         p++) {
        const struct zab__canon *c = canon_at(o, p + 1);
        if (c->filled && EPOCH(c->first.zxid) < epoch)
            count_missing(o, &m->primary, p + 1);
    }
}

void zab__on_canon_filled(struct zab__oracle *o, uint32_t position)
{
    int64_t filled_epoch = EPOCH(canon_at(o, position)->first.zxid);
    /* Only proposers of later epochs care; epochs are ascending, so walk from the end. */
    for (guint i = o->epochs->len; i-- > 0;) {
        struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        if (e->epoch <= filled_epoch)
            break;
        for (guint k = 0; k < e->proposers->len; k++) {
            struct zab__epoch_member *m = &g_array_index(e->proposers, struct zab__epoch_member, k);
            if (m->primary.prefix < position)
                count_missing(o, &m->primary, position);
        }
    }
}

void zab__note_leader_delivery(struct zab__oracle *o, const struct zab__seen_delivery *d)
{
    if (o->proposers_missing == 0)
        return;
    for (guint i = 0; i < o->epochs->len; i++) {
        struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        for (guint k = 0; k < e->proposers->len; k++) {
            struct zab__epoch_member *m = &g_array_index(e->proposers, struct zab__epoch_member, k);
            struct zab__primary *p = &m->primary;
            if (p->missing > 0 && !p->has_late && m->host == d->host &&
                m->incarnation == d->incarnation &&
                canon_at(o, p->first_missing)->first.zxid == d->zxid) {
                p->has_late = true;
                p->late = *d;
            }
        }
    }
}

static void report_primary(struct zab__oracle *o, const struct zab__epoch *e,
                           const struct zab__epoch_member *m)
{
    const struct zab__primary *p = &m->primary;
    const struct zab__seen_delivery *d = &canon_at(o, p->first_missing)->first;
    char zx[24], id[24];
    msg_id_format(d->msg_id, id, sizeof id);
    GString *detail = g_string_new(NULL);
    g_string_printf(detail,
                    "epoch %" PRId64 " leader %s#%u first proposed at %" PRId64 " ns without "
                    "having delivered zxid %s (%s), which %s#%u delivered at seq %" PRIu64,
                    e->epoch, host_name(o, m->host), m->incarnation, m->rec.t_ns,
                    zab__zxid_text(d->zxid, zx, sizeof zx), id, host_name(o, d->host),
                    d->incarnation, d->seq);
    if (p->missing > 1)
        g_string_append_printf(detail, " (%" PRId64 " earlier-epoch zxids missing)", p->missing);
    GString *evidence = g_string_new(NULL);
    zab__format_proposal(o, &m->rec, -1, evidence);
    zab__format_delivery(o, d, evidence);
    if (p->has_late)
        zab__format_delivery(o, &p->late, evidence);
    zab__report(o, ZAB_INV_PRIMARY_INTEGRITY, g_string_free(detail, FALSE), evidence);
}

/* ---- proposals and commits --------------------------------------------------------------- */

static void check_proposal_zxid(struct zab__oracle *o, const struct trace_rec *r)
{
    struct zab__host *h = &o->hosts[r->host];
    int64_t zxid = r->u.event.b;
    if (h->has_proposed && zxid <= h->last_proposed_zxid &&
        h->pending[ZAB_PENDING_PROPOSED_ZXID].count++ == 0) {
        char z[24], p[24];
        struct zab__pending *held = &h->pending[ZAB_PENDING_PROPOSED_ZXID];
        held->invariant = ZAB_INV_ZXID_MONOTONIC;
        held->detail = g_strdup_printf("leader %s#%u proposed zxid %s after %s",
                                       host_name(o, (uint32_t)r->host), r->incarnation,
                                       zab__zxid_text(zxid, z, sizeof z),
                                       zab__zxid_text(h->last_proposed_zxid, p, sizeof p));
        held->evidence = g_string_new(NULL);
        zab__format_proposal(o, &h->last_proposal, -1, held->evidence);
        zab__format_proposal(o, r, -1, held->evidence);
    }
    h->has_proposed = true;
    h->last_proposed_zxid = zxid;
    h->last_proposal = *r;
}

static void remember_proposal(struct zab__oracle *o, const struct trace_rec *r)
{
    struct zab__proposal *p = proposal_slot(o, r->u.event.b, true);
    if (!p)
        return;
    if (p->msg_id == MSG_ID_NONE) {
        *p = (struct zab__proposal){ .msg_id = r->u.event.msg_id, .proposed_ns = r->t_ns,
                                     .committed_ns = -1, .leader = (uint32_t)r->host,
                                     .incarnation = r->incarnation };
    } else if (p->msg_id != r->u.event.msg_id) {
        p->other_msgs = true;
        g_hash_table_add(o->extra_proposals, pair_key(r->u.event.b, r->u.event.msg_id));
    }
}

void zab__on_proposal(struct zab__oracle *o, const struct trace_rec *r)
{
    check_proposal_zxid(o, r);
    remember_proposal(o, r);
    struct zab__epoch *e = zab__epoch_get(o, r->u.event.a, true);
    if (find_member(e->proposers, (uint32_t)r->host, r->incarnation))
        return;
    struct zab__epoch_member m = { .host = (uint32_t)r->host, .incarnation = r->incarnation,
                                   .rec = *r };
    g_array_append_val(e->proposers, m);
    start_primary(o, e->epoch,
                  &g_array_index(e->proposers, struct zab__epoch_member, e->proposers->len - 1));
}

static struct trace_rec proposal_rec(const struct zab__proposal *p, int64_t zxid)
{
    struct trace_rec r = { .kind = TRACE_EVENT, .t_ns = p->proposed_ns,
                           .host = (int32_t)p->leader, .incarnation = p->incarnation };
    r.u.event = (typeof(r.u.event)){ .type = ZAB_EVENT_PROPOSAL, .msg_id = p->msg_id,
                                     .a = EPOCH(zxid), .b = zxid };
    return r;
}

static void report_removed(struct zab__oracle *o, const struct zab__proposal *p,
                           const struct trace_rec *trunc)
{
    if (!zab__counting(o, ZAB_INV_COMMITTED_LOG_DURABILITY))
        return;
    char zx[24], id[24];
    msg_id_format(trunc->u.event.msg_id, id, sizeof id);
    char *detail = g_strdup_printf(
        "%s#%u removed committed zxid %s (%s) from its log at %" PRId64 " ns; %s#%u had "
        "committed it at %" PRId64 " ns",
        host_name(o, (uint32_t)trunc->host), trunc->incarnation,
        zab__zxid_text(trunc->u.event.b, zx, sizeof zx), id, trunc->t_ns,
        host_name(o, p->leader), p->incarnation, p->committed_ns);
    struct trace_rec proposal = proposal_rec(p, trunc->u.event.b);
    GString *evidence = g_string_new(NULL);
    zab__format_proposal(o, &proposal, p->committed_ns, evidence);
    zab__format_truncation(o, trunc, evidence);
    oracle_list(o->env.sink, o->env.model_name,
                zab_oracle_invariants[ZAB_INV_COMMITTED_LOG_DURABILITY], detail, evidence);
}

/* A leader commits its epoch's proposals in zxid order, none skipped (Leader.tryToCommit):
 * when it commits one, the one before it in the epoch is committed already. */
static void check_commit_order(struct zab__oracle *o, const struct zab__proposal *p,
                               const struct trace_rec *r)
{
    int64_t zxid = r->u.event.b;
    if (COUNTER(zxid) <= 1)
        return;
    const struct zab__proposal *prev = proposal_slot(o, zxid - 1, false);
    bool prev_proposed = prev && prev->msg_id != MSG_ID_NONE;
    if ((prev_proposed && prev->committed_ns >= 0) || !zab__counting(o, ZAB_INV_COMMIT_ORDER))
        return;
    char zx[24], zp[24], id[24];
    msg_id_format(p->msg_id, id, sizeof id);
    char *detail = g_strdup_printf(
        "%s#%u committed zxid %s (%s) at %" PRId64 " ns before zxid %s, which %s",
        host_name(o, (uint32_t)r->host), r->incarnation, zab__zxid_text(zxid, zx, sizeof zx),
        id, r->t_ns, zab__zxid_text(zxid - 1, zp, sizeof zp),
        prev_proposed ? "was not committed" : "was never proposed");
    GString *evidence = g_string_new(NULL);
    if (prev_proposed) {
        struct trace_rec before = proposal_rec(prev, zxid - 1);
        zab__format_proposal(o, &before, prev->committed_ns, evidence);
    }
    struct trace_rec this = proposal_rec(p, zxid);
    zab__format_proposal(o, &this, r->t_ns, evidence);
    zab__report(o, ZAB_INV_COMMIT_ORDER, detail, evidence);
}

void zab__on_commit(struct zab__oracle *o, const struct trace_rec *r)
{
    struct zab__proposal *p = proposal_slot(o, r->u.event.b, false);
    if (!p || p->msg_id == MSG_ID_NONE || p->committed_ns >= 0)
        return;
    check_commit_order(o, p, r);
    p->committed_ns = r->t_ns;
    /* A removal at this same instant counts as a removal of a committed entry too. */
    for (guint i = 0; r->t_ns == o->recent_t_ns && i < o->recent_truncations->len; i++) {
        const struct trace_rec *t =
            &g_array_index(o->recent_truncations, struct zab__recent_truncation, i).rec;
        if (t->u.event.b == r->u.event.b && t->u.event.msg_id == p->msg_id)
            report_removed(o, p, t);
    }
}

void zab__on_truncation(struct zab__oracle *o, const struct trace_rec *r)
{
    if (r->t_ns != o->recent_t_ns) {
        g_array_set_size(o->recent_truncations, 0);
        o->recent_t_ns = r->t_ns;
    }
    struct zab__recent_truncation t = { .rec = *r };
    g_array_append_val(o->recent_truncations, t);
    const struct zab__proposal *p = proposal_slot(o, r->u.event.b, false);
    if (p && p->committed_ns >= 0 && p->committed_ns <= r->t_ns &&
        p->msg_id == r->u.event.msg_id)
        report_removed(o, p, r);
}

/* ---- the end --------------------------------------------------------------------------- */

static void report_members(struct zab__oracle *o, const struct zab__epoch *e,
                           const GArray *members, bool leaders)
{
    if (members->len < 2 || !zab__counting(o, ZAB_INV_ONE_LEADER_PER_EPOCH))
        return;
    GString *who = g_string_new(NULL), *evidence = g_string_new(NULL);
    for (guint i = 0; i < members->len; i++) {
        const struct zab__epoch_member *m = &g_array_index(members, struct zab__epoch_member, i);
        g_string_append_printf(who, "%s%s#%u", i ? ", " : "", host_name(o, m->host),
                               m->incarnation);
        if (m->rec.kind == TRACE_STATE)
            zab__format_state(o, &m->rec, evidence);
        else
            zab__format_proposal(o, &m->rec, -1, evidence);
    }
    char *detail = leaders ? g_strdup_printf("epoch %" PRId64 " has %u leaders in BROADCAST: %s",
                                             e->epoch, members->len, who->str)
                           : g_strdup_printf("epoch %" PRId64 " has proposals from %u leaders: %s",
                                             e->epoch, members->len, who->str);
    g_string_free(who, TRUE);
    oracle_list(o->env.sink, o->env.model_name,
                zab_oracle_invariants[ZAB_INV_ONE_LEADER_PER_EPOCH], detail, evidence);
}

void zab__finish_epochs(struct zab__oracle *o)
{
    for (guint i = 0; i < o->epochs->len; i++) {
        const struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        report_members(o, e, e->leaders, true);
    }
    for (guint i = 0; i < o->epochs->len; i++) {
        const struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        report_members(o, e, e->proposers, false);
    }
    for (guint i = 0; i < o->epochs->len; i++) {
        const struct zab__epoch *e = &g_array_index(o->epochs, struct zab__epoch, i);
        for (guint k = 0; k < e->proposers->len; k++) {
            const struct zab__epoch_member *m =
                &g_array_index(e->proposers, struct zab__epoch_member, k);
            if (m->primary.missing > 0)
                report_primary(o, e, m);
        }
    }
}

static bool serving(const struct zab__host *h)
{
    return h->has_state && h->state.u.state.state != ZAB_STATE_DOWN &&
           h->state.u.state.phase == ZAB_PHASE_BROADCAST;
}

static void report_lost(struct zab__oracle *o, msg_id_t id, uint64_t missing_hosts)
{
    if (!zab__counting(o, ZAB_INV_DURABILITY))
        return;
    char name[24];
    msg_id_format(id, name, sizeof name);
    GString *who = g_string_new(NULL), *evidence = g_string_new(NULL);
    g_string_printf(evidence, "submissions model=%s msg_id=%s outcome=acked", o->env.model_name,
                    name);
    for (uint32_t h = 0; h < o->env.n_hosts; h++) {
        if (!(missing_hosts & (UINT64_C(1) << h)))
            continue;
        g_string_append_printf(who, "%s%s#%u", who->len ? ", " : "", host_name(o, h),
                               o->hosts[h].incarnation);
        zab__format_state(o, &o->hosts[h].state, evidence);
    }
    char *detail = g_strdup_printf("acked write %s was never delivered by %s, up and in "
                                   "BROADCAST at the end", name, who->str);
    g_string_free(who, TRUE);
    oracle_list(o->env.sink, o->env.model_name, zab_oracle_invariants[ZAB_INV_DURABILITY], detail,
                evidence);
}

void zab__finish_durability(struct zab__oracle *o)
{
    uint64_t serving_hosts = 0;
    for (uint32_t h = 0; h < o->env.n_hosts; h++) {
        if (serving(&o->hosts[h]))
            serving_hosts |= UINT64_C(1) << h;
    }
    for (guint c = 0; c < o->clients->len; c++) {
        GArray *a = g_ptr_array_index(o->clients, c);
        for (guint i = 0; i < a->len; i++) {
            const struct zab__msg *m = &g_array_index(a, struct zab__msg, i);
            uint64_t missing = serving_hosts & ~m->delivered_by;
            if ((m->flags & ZAB_FACT_ACKED) && missing)
                report_lost(o, msg_id_make(c + 1, i + 1), missing);
        }
    }
}
