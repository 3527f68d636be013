/* db_check_order.c: the ordering invariants that look at every ZAB delivery, over the
 * in-memory sequences of reports/db_seq.c (docs/database.md, "Invariants"):
 *   integrity             each delivery names a message submitted to ZAB, and a leader
 *                         proposed exactly that (zxid, msg_id);
 *   total_order           two host incarnations deliver common messages in the same order;
 *   agreement             seq runs 1, 2, 3, ... in every host incarnation, and the same seq
 *                         carries the same msg_id and zxid everywhere;
 *   local_primary_order, global_primary_order, zxid_monotonic (deliveries): each step from
 *                         one delivered zxid to the next in a host incarnation.
 * Each reports through the collector of reports/check.c, in a fixed order. */
#include "reports/db_internal.h"

#include <inttypes.h>

#define EPOCH(zxid) ((zxid) >> 32)
#define COUNTER(zxid) ((zxid) & 0xffffffff)

/* ---- integrity ------------------------------------------------------------------------- */

/* A proposal, as (zxid, message number). */
struct proposed {
    int64_t zxid;
    uint32_t msg;
};

static int compare_proposed(gconstpointer a, gconstpointer b)
{
    const struct proposed *p = a, *q = b;
    if (p->zxid != q->zxid)
        return p->zxid < q->zxid ? -1 : 1;
    return p->msg < q->msg ? -1 : p->msg > q->msg;
}

/* Every proposal of a message the model knows (others cannot match a delivery), sorted. */
static GArray *load_proposed(struct check_ctx *c, const struct db_seqs *s, GError **err)
{
    sqlite3 *db = check__db(c);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT zxid, msg_id FROM proposals WHERE run_id = ?1", -1,
                           &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "reading proposals");
        return NULL;
    }
    sqlite3_bind_int64(st, 1, check__run_id(c));
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct proposed));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *msg_id = (const char *)sqlite3_column_text(st, 1);
        int64_t m = msg_id ? db_seqs_msg_number(s, msg_id) : -1;
        if (m >= 0) {
            struct proposed p = { sqlite3_column_int64(st, 0), (uint32_t)m };
            g_array_append_val(out, p);
        }
    }
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, db, "reading proposals");
        g_array_free(out, TRUE);
        return NULL;
    }
    g_array_sort(out, compare_proposed);
    return out;
}

static bool was_proposed(const GArray *proposed, int64_t zxid, uint32_t msg)
{
    struct proposed key = { zxid, msg };
    guint lo = 0, hi = proposed->len;
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        int cmp = compare_proposed(&g_array_index(proposed, struct proposed, mid), &key);
        if (cmp == 0)
            return true;
        if (cmp < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return false;
}

/* One offending (message, zxid): its first delivery and how many there were. */
struct unproposed {
    uint32_t msg;
    int64_t zxid;
    size_t first;      /* the entry with the lowest rowid */
    int64_t first_row;
    int64_t count;
    bool submitted, proposed;
};

static int compare_by_message(gconstpointer a, gconstpointer b)
{
    const struct unproposed *p = a, *q = b;
    if (p->msg != q->msg)
        return p->msg < q->msg ? -1 : 1;
    if (p->zxid != q->zxid)
        return p->zxid < q->zxid ? -1 : 1;
    return p->first_row < q->first_row ? -1 : p->first_row > q->first_row;
}

static int compare_by_first_row(gconstpointer a, gconstpointer b)
{
    const struct unproposed *p = a, *q = b;
    return p->first_row < q->first_row ? -1 : p->first_row > q->first_row;
}

/* The offending deliveries, one entry per (message, zxid), in recording order. */
static GArray *find_unproposed(const struct db_seqs *s, const GArray *proposed)
{
    GArray *bad = g_array_new(FALSE, FALSE, sizeof(struct unproposed));
    for (guint i = 0; i < s->entries->len; i++) {
        const struct db_seq_entry *e = db_seq_at(s, i);
        struct unproposed u = {
            .msg = e->msg, .zxid = e->zxid, .first = i, .first_row = e->row_id, .count = 1,
            .submitted = db_seq_msg(s, e->msg)->submitted_ns != DB_NOT_SUBMITTED,
            .proposed = e->zxid != DB_NO_ZXID && was_proposed(proposed, e->zxid, e->msg),
        };
        if (!u.submitted || !u.proposed)
            g_array_append_val(bad, u);
    }
    g_array_sort(bad, compare_by_message);
    guint kept = 0;
    for (guint i = 0; i < bad->len; i++) {
        struct unproposed *u = &g_array_index(bad, struct unproposed, i);
        struct unproposed *last = kept ? &g_array_index(bad, struct unproposed, kept - 1) : NULL;
        if (last && last->msg == u->msg && last->zxid == u->zxid)
            last->count++;
        else
            g_array_index(bad, struct unproposed, kept++) = *u;
    }
    g_array_set_size(bad, kept);
    g_array_sort(bad, compare_by_first_row);
    return bad;
}

static bool report_unproposed(struct check_ctx *c, const struct db_seqs *s,
                              const struct unproposed *u, GError **err)
{
    GString *evidence = g_string_new(NULL);
    bool ok = check__evidence(c, DB_EVIDENCE_DELIVERY, u->first_row, evidence, err);
    /* What, if anything, was proposed under that zxid. */
    sqlite3_stmt *st = NULL;
    if (ok && u->zxid != DB_NO_ZXID &&
        sqlite3_prepare_v2(check__db(c),
                           "SELECT rowid FROM proposals WHERE run_id = ?1 AND zxid = ?2 "
                           "ORDER BY rowid",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_int64(st, 1, check__run_id(c));
        sqlite3_bind_int64(st, 2, u->zxid);
        while (ok && sqlite3_step(st) == SQLITE_ROW)
            ok = check__evidence(c, DB_EVIDENCE_PROPOSAL, sqlite3_column_int64(st, 0),
                                 evidence, err);
    }
    sqlite3_finalize(st);
    if (!ok) {
        g_string_free(evidence, TRUE);
        return false;
    }
    const char *why = !u->submitted && !u->proposed ? "it was never submitted to zab nor proposed"
                      : !u->submitted               ? "it was never submitted to zab"
                      : u->zxid == DB_NO_ZXID ? "a ZAB delivery must carry the zxid it commits"
                                              : "no leader proposed that message with that zxid";
    const struct db_seq_entry *e = db_seq_at(s, u->first);
    const struct db_seq_span *span = db_seqs_span_of(s, u->first);
    char zx[24];
    GString *detail = g_string_new(NULL);
    g_string_printf(detail, "%s#%u delivered %s with zxid %s at seq %" PRId64 ", but %s",
                    span->host, span->incarnation, db_seq_msg_name(s, u->msg),
                    db_zxid_text(u->zxid, zx, sizeof zx), e->seq, why);
    if (u->count > 1)
        g_string_append_printf(detail, " (%" PRId64 " deliveries of it)", u->count);
    check__list(c, CHECK_INTEGRITY, g_string_free(detail, FALSE), evidence);
    return true;
}

bool check__integrity(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    GArray *proposed = load_proposed(c, zab, err);
    if (!proposed)
        return false;
    GArray *bad = find_unproposed(zab, proposed);
    bool ok = true;
    for (guint i = 0; ok && i < bad->len; i++) {
        if (check__count(c, CHECK_INTEGRITY))
            ok = report_unproposed(c, zab, &g_array_index(bad, struct unproposed, i), err);
    }
    g_array_free(bad, TRUE);
    g_array_free(proposed, TRUE);
    return ok;
}

/* ---- total order ----------------------------------------------------------------------- */

static bool report_inversion(struct check_ctx *c, const struct db_seqs *s,
                             const struct db_seq_inversion *inv, GError **err)
{
    const struct db_seq_span *x = db_seq_span_at(s, inv->x), *y = db_seq_span_at(s, inv->y);
    const struct db_seq_entry *xa = db_seq_at(s, inv->x_first), *xb = db_seq_at(s, inv->x_second);
    const struct db_seq_entry *ya = db_seq_at(s, inv->y_first), *yb = db_seq_at(s, inv->y_second);
    const char *a = db_seq_msg_name(s, xa->msg), *b = db_seq_msg_name(s, xb->msg);
    GString *evidence = g_string_new(NULL);
    const struct db_seq_entry *rows[] = { xa, xb, ya, yb };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        if (!check__evidence(c, DB_EVIDENCE_DELIVERY, rows[i]->row_id, evidence, err)) {
            g_string_free(evidence, TRUE);
            return false;
        }
    }
    char *detail = g_strdup_printf(
        "%s#%u delivered %s (seq %" PRId64 ") before %s (seq %" PRId64 "), but %s#%u delivered "
        "%s (seq %" PRId64 ") before %s (seq %" PRId64 ")",
        x->host, x->incarnation, a, xa->seq, b, xb->seq, y->host, y->incarnation, b, ya->seq,
        a, yb->seq);
    check__list(c, CHECK_TOTAL_ORDER, detail, evidence);
    return true;
}

bool check__total_order(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    GArray *inversions = db_seqs_inversions(zab);
    bool ok = true;
    for (guint i = 0; ok && i < inversions->len; i++) {
        if (check__count(c, CHECK_TOTAL_ORDER))
            ok = report_inversion(c, zab,
                                  &g_array_index(inversions, struct db_seq_inversion, i), err);
    }
    g_array_free(inversions, TRUE);
    return ok;
}

/* ---- agreement ------------------------------------------------------------------------- */

/* Appends the deliveries idx[0..n) to evidence. */
static bool deliveries_evidence(struct check_ctx *c, const struct db_seqs *s, const size_t *idx,
                                size_t n, GString *evidence, GError **err)
{
    for (size_t i = 0; i < n; i++) {
        if (!check__evidence(c, DB_EVIDENCE_DELIVERY, db_seq_at(s, idx[i])->row_id, evidence,
                             err))
            return false;
    }
    return true;
}

/* Part 1: in each span, seq runs 1, 2, 3, ...; the first break of each span is reported,
 * with the number of breaks in it. */
static bool check_numbering(struct check_ctx *c, const struct db_seqs *s, GError **err)
{
    for (guint x = 0; x < s->spans->len; x++) {
        const struct db_seq_span *span = db_seq_span_at(s, x);
        int64_t breaks = 0;
        size_t first = 0;
        for (size_t i = span->first; i < span->first + span->count; i++) {
            int64_t prev = i > span->first ? db_seq_at(s, i - 1)->seq : 0;
            if (db_seq_at(s, i)->seq != prev + 1 && breaks++ == 0)
                first = i;
        }
        if (breaks == 0 || !check__count(c, CHECK_AGREEMENT))
            continue;
        const struct db_seq_entry *e = db_seq_at(s, first);
        bool initial = first == span->first;
        int64_t prev = initial ? 0 : db_seq_at(s, first - 1)->seq;
        GString *detail = g_string_new(NULL);
        g_string_printf(detail, "%s#%u: ", span->host, span->incarnation);
        if (initial)
            g_string_append_printf(detail, "its first delivery has seq %" PRId64, e->seq);
        else if (e->seq == prev)
            g_string_append_printf(detail, "seq %" PRId64 " is delivered twice", e->seq);
        else
            g_string_append_printf(detail, "seq jumps from %" PRId64 " to %" PRId64, prev,
                                   e->seq);
        g_string_append(detail, "; a host incarnation's deliveries are numbered 1, 2, 3, ...");
        if (breaks > 1)
            g_string_append_printf(detail, " (%" PRId64 " breaks in this incarnation)", breaks);
        size_t rows[2] = { first - !initial, first };
        GString *evidence = g_string_new(NULL);
        if (!deliveries_evidence(c, s, rows + initial, 2 - initial, evidence, err)) {
            g_string_free(detail, TRUE);
            g_string_free(evidence, TRUE);
            return false;
        }
        check__list(c, CHECK_AGREEMENT, g_string_free(detail, FALSE), evidence);
    }
    return true;
}

/* A delivery's position, for sorting every delivery by (seq, span order). */
struct position {
    int64_t seq;
    size_t entry;
};

static int compare_position(const void *a, const void *b)
{
    const struct position *p = a, *q = b;
    if (p->seq != q->seq)
        return p->seq < q->seq ? -1 : 1;
    return p->entry < q->entry ? -1 : p->entry > q->entry;
}

/* "c1:3 (zxid 0x100000003) at h2#1, h3#1; c1:4 (zxid 0x200000001) at h1#1": who holds what
 * at one position (idx: its deliveries in span order). */
static void describe_position(const struct db_seqs *s, const size_t *idx, size_t n,
                              GString *out)
{
    bool *done = g_new0(bool, n);
    for (size_t i = 0; i < n; i++) {
        if (done[i])
            continue;
        const struct db_seq_entry *e = db_seq_at(s, idx[i]);
        char zx[24];
        g_string_append_printf(out, "%s%s (zxid %s) at ", i ? "; " : "",
                               db_seq_msg_name(s, e->msg), db_zxid_text(e->zxid, zx, sizeof zx));
        for (size_t j = i, listed = 0; j < n; j++) {
            const struct db_seq_entry *f = db_seq_at(s, idx[j]);
            if (done[j] || f->msg != e->msg || f->zxid != e->zxid)
                continue;
            const struct db_seq_span *span = db_seqs_span_of(s, idx[j]);
            g_string_append_printf(out, "%s%s#%u", listed++ ? ", " : "", span->host,
                                   span->incarnation);
            done[j] = true;
        }
    }
    g_free(done);
}

/* Reports one stretch of consecutive disagreeing positions, first_seq..last_seq, given the
 * deliveries at its first position. */
static bool report_stretch(struct check_ctx *c, const struct db_seqs *s, const size_t *idx,
                           size_t n, int64_t first_seq, int64_t last_seq, int64_t positions,
                           GError **err)
{
    GString *detail = g_string_new("host incarnations disagree at ");
    if (positions == 1)
        g_string_append_printf(detail, "seq %" PRId64, first_seq);
    else
        g_string_append_printf(detail, "%" PRId64 " consecutive positions, seq %" PRId64
                                       "..%" PRId64, positions, first_seq, last_seq);
    g_string_append_printf(detail, "; at seq %" PRId64 ": ", first_seq);
    describe_position(s, idx, n, detail);
    GString *evidence = g_string_new(NULL);
    if (!deliveries_evidence(c, s, idx, n, evidence, err)) {
        g_string_free(detail, TRUE);
        g_string_free(evidence, TRUE);
        return false;
    }
    check__list(c, CHECK_AGREEMENT, g_string_free(detail, FALSE), evidence);
    return true;
}

static bool position_differs(const struct db_seqs *s, const size_t *idx, size_t n)
{
    const struct db_seq_entry *canon = db_seq_at(s, idx[0]);
    for (size_t i = 1; i < n; i++) {
        const struct db_seq_entry *e = db_seq_at(s, idx[i]);
        if (e->msg != canon->msg || e->zxid != canon->zxid)
            return true;
    }
    return false;
}

/* Part 2: the same seq carries the same (msg_id, zxid) in every span. Deliveries sorted by
 * position; one report per stretch of consecutive disagreeing positions. */
static bool check_positions(struct check_ctx *c, const struct db_seqs *s, GError **err)
{
    size_t n = s->entries->len;
    if (n == 0)
        return true;
    struct position *pos = g_new(struct position, n);
    size_t *idx = g_new(size_t, n);
    for (size_t i = 0; i < n; i++)
        pos[i] = (struct position){ db_seq_at(s, i)->seq, i };
    qsort(pos, n, sizeof *pos, compare_position);
    for (size_t i = 0; i < n; i++)
        idx[i] = pos[i].entry;
    bool ok = true;
    size_t stretch_start = 0, stretch_len = 0; /* deliveries at the stretch's first seq */
    int64_t first_seq = 0, last_seq = 0, positions = 0;
    /* i == n is one more round that closes a stretch running to the last position. */
    for (size_t i = 0; ok && i <= n;) {
        size_t j = i;
        while (j < n && pos[j].seq == pos[i].seq)
            j++;
        bool differs = i < n && position_differs(s, idx + i, j - i);
        int64_t seq = i < n ? pos[i].seq : 0;
        if (positions > 0 && (!differs || seq != last_seq + 1)) { /* the stretch ended */
            if (check__count(c, CHECK_AGREEMENT))
                ok = report_stretch(c, s, idx + stretch_start, stretch_len, first_seq,
                                    last_seq, positions, err);
            positions = 0;
        }
        if (differs) {
            if (positions++ == 0) {
                stretch_start = i;
                stretch_len = j - i;
                first_seq = seq;
            }
            last_seq = seq;
        }
        i = i == n ? n + 1 : j;
    }
    g_free(idx);
    g_free(pos);
    return ok;
}

bool check__agreement(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    return check_numbering(c, zab, err) && check_positions(c, zab, err);
}

/* ---- zxid steps ------------------------------------------------------------------------ */

/* Which invariant a step from prev (NULL: none) to cur breaks, or -1. A step back across
 * epochs is global primary order, a step back or in place within one is zxid monotonicity,
 * a skipped counter (or an epoch not starting at counter 1) local primary order: each
 * faulty step is reported once, under the most specific name. */
static int classify_step(const struct db_seq_entry *prev, const struct db_seq_entry *cur)
{
    if (!prev)
        return COUNTER(cur->zxid) != 1 ? CHECK_LOCAL_PRIMARY_ORDER : -1;
    if (EPOCH(cur->zxid) < EPOCH(prev->zxid))
        return CHECK_GLOBAL_PRIMARY_ORDER;
    if (EPOCH(cur->zxid) > EPOCH(prev->zxid))
        return COUNTER(cur->zxid) != 1 ? CHECK_LOCAL_PRIMARY_ORDER : -1;
    if (cur->zxid <= prev->zxid)
        return CHECK_ZXID_MONOTONIC;
    return COUNTER(cur->zxid) > COUNTER(prev->zxid) + 1 ? CHECK_LOCAL_PRIMARY_ORDER : -1;
}

static char *describe_step(const struct db_seq_span *span, int inv,
                           const struct db_seq_entry *prev, const struct db_seq_entry *cur)
{
    char z[24], p[24];
    db_zxid_text(cur->zxid, z, sizeof z);
    if (prev)
        db_zxid_text(prev->zxid, p, sizeof p);
    if (inv == CHECK_GLOBAL_PRIMARY_ORDER)
        return g_strdup_printf("%s#%u: zxid %s (epoch %" PRId64 ") at seq %" PRId64
                               " follows %s (epoch %" PRId64 ")",
                               span->host, span->incarnation, z, EPOCH(cur->zxid), cur->seq, p,
                               EPOCH(prev->zxid));
    if (inv == CHECK_ZXID_MONOTONIC)
        return g_strdup_printf("%s#%u delivered zxid %s at seq %" PRId64 " after %s",
                               span->host, span->incarnation, z, cur->seq, p);
    if (!prev)
        return g_strdup_printf("%s#%u: first delivery is zxid %s at seq %" PRId64
                               "; a history starts at counter 1",
                               span->host, span->incarnation, z, cur->seq);
    if (EPOCH(cur->zxid) == EPOCH(prev->zxid))
        return g_strdup_printf("%s#%u: zxid %s at seq %" PRId64 " follows %s: epoch %" PRId64
                               " skips counter %" PRId64,
                               span->host, span->incarnation, z, cur->seq, p, EPOCH(cur->zxid),
                               COUNTER(prev->zxid) + 1);
    return g_strdup_printf("%s#%u: epoch %" PRId64 " starts at zxid %s (seq %" PRId64
                           ") instead of counter 1",
                           span->host, span->incarnation, EPOCH(cur->zxid), z, cur->seq);
}

/* The first faulty step of one kind in a span, and how many there were. */
struct step_fault {
    int64_t count;
    size_t prev, cur; /* entries; prev == cur when cur is the span's first zxid */
};

static bool report_step(struct check_ctx *c, const struct db_seqs *s,
                        const struct db_seq_span *span, int inv, const struct step_fault *f,
                        GError **err)
{
    const struct db_seq_entry *prev = f->prev == f->cur ? NULL : db_seq_at(s, f->prev);
    const struct db_seq_entry *cur = db_seq_at(s, f->cur);
    GString *detail = g_string_new(NULL);
    char *text = describe_step(span, inv, prev, cur);
    g_string_append(detail, text);
    g_free(text);
    if (f->count > 1)
        g_string_append_printf(detail, " (%" PRId64 " such steps in this incarnation)",
                               f->count);
    GString *evidence = g_string_new(NULL);
    bool ok = (!prev || check__evidence(c, DB_EVIDENCE_DELIVERY, prev->row_id, evidence, err)) &&
              check__evidence(c, DB_EVIDENCE_DELIVERY, cur->row_id, evidence, err);
    if (!ok) {
        g_string_free(detail, TRUE);
        g_string_free(evidence, TRUE);
        return false;
    }
    check__list(c, inv, g_string_free(detail, FALSE), evidence);
    return true;
}

bool check__zxid_steps(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    for (guint x = 0; x < zab->spans->len; x++) {
        const struct db_seq_span *span = db_seq_span_at(zab, x);
        struct step_fault faults[CHECK_INVARIANT_COUNT] = { { 0 } };
        const struct db_seq_entry *prev = NULL;
        size_t prev_i = 0;
        for (size_t i = span->first; i < span->first + span->count; i++) {
            const struct db_seq_entry *cur = db_seq_at(zab, i);
            if (cur->zxid == DB_NO_ZXID) /* integrity's finding, not a step */
                continue;
            int inv = classify_step(prev, cur);
            if (inv >= 0 && faults[inv].count++ == 0)
                faults[inv] = (struct step_fault){ 1, prev ? prev_i : i, i };
            prev = cur;
            prev_i = i;
        }
        static const int kinds[] = { CHECK_LOCAL_PRIMARY_ORDER, CHECK_GLOBAL_PRIMARY_ORDER,
                                     CHECK_ZXID_MONOTONIC };
        for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
            const struct step_fault *f = &faults[kinds[k]];
            if (f->count > 0 && check__count(c, kinds[k]) &&
                !report_step(c, zab, span, kinds[k], f, err))
                return false;
        }
    }
    return true;
}
