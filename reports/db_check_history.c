/* db_check_history.c: the invariants about what a host must hold, over the in-memory
 * sequences of reports/db_seq.c (docs/database.md, "Invariants"):
 *   primary_integrity  the leader of epoch e had delivered, when it first proposed in e,
 *                      every zxid of an earlier epoch that anyone delivered in the run;
 *   durability         every acked ZAB write is delivered in the final incarnation of every
 *                      host up and in phase BROADCAST at the end.
 * (That no committed entry is ever truncated, the other half of durability, is a query in
 * reports/checks.sql: committed_log_durability.) */
#include "reports/db_internal.h"

#include <inttypes.h>

/* ---- primary integrity ----------------------------------------------------------------- */

/* A zxid delivered somewhere in the run, with its first delivery (entry). */
struct delivered_zxid {
    int64_t zxid;
    size_t entry;
};

static int compare_delivered(gconstpointer a, gconstpointer b)
{
    const struct delivered_zxid *p = a, *q = b;
    if (p->zxid != q->zxid)
        return p->zxid < q->zxid ? -1 : 1;
    return p->entry < q->entry ? -1 : p->entry > q->entry;
}

/* Every distinct delivered zxid in ascending order, each with its first delivery. */
static GArray *delivered_zxids(const struct db_seqs *s)
{
    GArray *z = g_array_new(FALSE, FALSE, sizeof(struct delivered_zxid));
    for (guint i = 0; i < s->entries->len; i++) {
        const struct db_seq_entry *e = db_seq_at(s, i);
        if (e->zxid != DB_NO_ZXID) {
            struct delivered_zxid d = { e->zxid, i };
            g_array_append_val(z, d);
        }
    }
    g_array_sort(z, compare_delivered);
    guint kept = 0;
    for (guint i = 0; i < z->len; i++) {
        struct delivered_zxid *d = &g_array_index(z, struct delivered_zxid, i);
        if (kept == 0 || g_array_index(z, struct delivered_zxid, kept - 1).zxid != d->zxid)
            g_array_index(z, struct delivered_zxid, kept++) = *d;
    }
    g_array_set_size(z, kept);
    return z;
}

static guint find_zxid(const GArray *z, int64_t zxid)
{
    guint lo = 0, hi = z->len;
    while (lo < hi) { /* first index with zxid >= the key; the key is always present */
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(z, struct delivered_zxid, mid).zxid < zxid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* One epoch's leader incarnation and its first proposal in that epoch. */
struct epoch_leader {
    int64_t epoch;
    const char *leader;
    uint32_t incarnation;
    int64_t first_proposed_ns;
    int64_t proposal_row;
};

struct missing {
    int64_t count;
    guint first; /* index into the delivered zxids */
};

/* The earlier-epoch zxids that l's proposing incarnation had not delivered by its first
 * proposal. marks: scratch, one slot per delivered zxid; mark: unused in it so far. */
static struct missing find_missing(const struct db_seqs *s, const GArray *z, uint32_t *marks,
                                   uint32_t mark, const struct epoch_leader *l)
{
    const struct db_seq_span *span = db_seqs_find_span(s, l->leader, l->incarnation);
    for (size_t i = 0; span && i < span->count; i++) {
        const struct db_seq_entry *e = db_seq_at(s, span->first + i);
        if (e->zxid != DB_NO_ZXID && e->t_ns <= l->first_proposed_ns)
            marks[find_zxid(z, e->zxid)] = mark;
    }
    struct missing m = { 0, 0 };
    for (guint k = 0; k < z->len; k++) {
        if ((g_array_index(z, struct delivered_zxid, k).zxid >> 32) >= l->epoch)
            break; /* ascending zxids: every later one is of epoch >= l->epoch */
        if (marks[k] != mark && m.count++ == 0)
            m.first = k;
    }
    return m;
}

static bool report_missing(struct check_ctx *c, const struct db_seqs *s, const GArray *z,
                           const struct epoch_leader *l, struct missing m, GError **err)
{
    const struct delivered_zxid *d = &g_array_index(z, struct delivered_zxid, m.first);
    const struct db_seq_entry *e = db_seq_at(s, d->entry);
    const struct db_seq_span *holder = db_seqs_span_of(s, d->entry);
    char zx[24];
    GString *detail = g_string_new(NULL);
    g_string_printf(detail,
                    "epoch %" PRId64 " leader %s#%u first proposed at %" PRId64 " ns without "
                    "having delivered zxid %s (%s), which %s#%u delivered at seq %" PRId64,
                    l->epoch, l->leader, l->incarnation, l->first_proposed_ns,
                    db_zxid_text(d->zxid, zx, sizeof zx), db_seq_msg_name(s, e->msg),
                    holder->host, holder->incarnation, e->seq);
    if (m.count > 1)
        g_string_append_printf(detail, " (%" PRId64 " earlier-epoch zxids missing)", m.count);
    /* Evidence: the proposal, someone's delivery of the zxid, and the leader's own delivery
     * of it if it came too late. */
    GString *evidence = g_string_new(NULL);
    bool ok = check__evidence(c, DB_EVIDENCE_PROPOSAL, l->proposal_row, evidence, err) &&
              check__evidence(c, DB_EVIDENCE_DELIVERY, e->row_id, evidence, err);
    const struct db_seq_span *own = db_seqs_find_span(s, l->leader, l->incarnation);
    for (size_t i = 0; ok && own && i < own->count; i++) {
        const struct db_seq_entry *late = db_seq_at(s, own->first + i);
        if (late->zxid == d->zxid && late->row_id != e->row_id) {
            ok = check__evidence(c, DB_EVIDENCE_DELIVERY, late->row_id, evidence, err);
            break;
        }
    }
    if (!ok) {
        g_string_free(detail, TRUE);
        g_string_free(evidence, TRUE);
        return false;
    }
    check__list(c, CHECK_PRIMARY_INTEGRITY, g_string_free(detail, FALSE), evidence);
    return true;
}

bool check__primary_integrity(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    /* min() makes SQLite take rowid from the row holding the earliest proposal. */
    static const char sql[] =
        "SELECT epoch, leader, incarnation, min(proposed_ns), rowid FROM proposals "
        "WHERE run_id = ?1 GROUP BY epoch, leader, incarnation "
        "ORDER BY epoch, leader, incarnation";
    sqlite3 *db = check__db(c);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "reading proposals");
        return false;
    }
    sqlite3_bind_int64(st, 1, check__run_id(c));
    GArray *z = delivered_zxids(zab);
    uint32_t *marks = g_new0(uint32_t, z->len);
    uint32_t mark = 0;
    bool ok = true;
    int rc = SQLITE_DONE;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        struct epoch_leader l = {
            .epoch = sqlite3_column_int64(st, 0),
            .leader = sqlite3_column_type(st, 1) == SQLITE_NULL
                          ? ""
                          : (const char *)sqlite3_column_text(st, 1),
            .incarnation = (uint32_t)sqlite3_column_int64(st, 2),
            .first_proposed_ns = sqlite3_column_int64(st, 3),
            .proposal_row = sqlite3_column_int64(st, 4),
        };
        /* One mark per leader incarnation: far fewer than 2^32. */
        struct missing m = find_missing(zab, z, marks, ++mark, &l);
        if (m.count > 0 && check__count(c, CHECK_PRIMARY_INTEGRITY))
            ok = report_missing(c, zab, z, &l, m, err);
    }
    if (ok && rc != SQLITE_DONE) {
        db__set_error(err, db, "reading proposals");
        ok = false;
    }
    sqlite3_finalize(st);
    g_free(marks);
    g_array_free(z, TRUE);
    return ok;
}

/* ---- durability ------------------------------------------------------------------------ */

/* An acked message missing at some serving host. */
struct lost_write {
    int64_t acked_row;
    uint32_t msg;
};

static int compare_lost(gconstpointer a, gconstpointer b)
{
    const struct lost_write *p = a, *q = b;
    return p->acked_row < q->acked_row ? -1 : p->acked_row > q->acked_row;
}

static bool report_lost(struct check_ctx *c, const struct db_seqs *s,
                        const struct db_presence *p, const struct lost_write *w, GError **err)
{
    GString *hosts = g_string_new(NULL);
    GString *evidence = g_string_new(NULL);
    bool ok = check__evidence(c, DB_EVIDENCE_SUBMISSION, w->acked_row, evidence, err);
    for (guint k = 0; ok && k < p->hosts->len; k++) {
        const struct db_final_host *h = g_ptr_array_index(p->hosts, k);
        if (db_presence_has(p, w->msg, k))
            continue;
        g_string_append_printf(hosts, "%s%s#%u", hosts->len ? ", " : "", h->host,
                               h->incarnation);
        ok = check__evidence(c, DB_EVIDENCE_HOST, h->row_id, evidence, err);
    }
    if (!ok) {
        g_string_free(hosts, TRUE);
        g_string_free(evidence, TRUE);
        return false;
    }
    char *detail = g_strdup_printf("acked write %s was never delivered by %s, up and in "
                                   "BROADCAST at the end",
                                   db_seq_msg_name(s, w->msg), hosts->str);
    g_string_free(hosts, TRUE);
    check__list(c, CHECK_DURABILITY, detail, evidence);
    return true;
}

bool check__durability(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    struct db_presence p;
    db_presence_build(zab, true, &p);
    GArray *lost = g_array_new(FALSE, FALSE, sizeof(struct lost_write));
    for (uint32_t m = 0; m < zab->msg_names->len; m++) {
        int64_t acked_row = db_seq_msg(zab, m)->acked_row;
        bool missing = false;
        for (guint k = 0; acked_row != 0 && !missing && k < p.hosts->len; k++)
            missing = !db_presence_has(&p, m, k);
        if (missing) {
            struct lost_write w = { acked_row, m };
            g_array_append_val(lost, w);
        }
    }
    g_array_sort(lost, compare_lost); /* in submission order */
    bool ok = true;
    for (guint i = 0; ok && i < lost->len; i++) {
        if (check__count(c, CHECK_DURABILITY))
            ok = report_lost(c, zab, &p, &g_array_index(lost, struct lost_write, i), err);
    }
    g_array_free(lost, TRUE);
    db_presence_clear(&p);
    return ok;
}
