/* db_measure.c: every measure of a finished run, model by model, written to
 * run_summary_data, host_summary and catchups.
 *
 * reports/measures.sql defines each measure as one query; this file computes the same
 * numbers in C over the model's messages and deliveries loaded once (db_seq.c), because
 * those queries take minutes on runs with a million deliveries. tests/test_measures.c runs
 * both on real runs and requires equality, so the two cannot drift apart. */
#include "reports/db_internal.h"

#include <string.h>

/* A change of a per-host flag, at a trace position. */
struct flag_change {
    int64_t seq;
    bool on;
};

/* One life of a host's machine (table host_lives). */
struct life {
    uint32_t incarnation;
    int64_t started_ns;
    int64_t trace_seq;
};

struct host_facts {
    GArray *receiver; /* struct flag_change: its receiver up (state not DOWN), trace order */
    GArray *lives;    /* struct life, by incarnation - 1 */
};

/* What one model's measures need beyond its messages and deliveries. */
struct facts {
    sqlite3 *db;
    int64_t run_id;
    const char *model;
    int64_t duration_ns, workload_start_ns;
    bool one_receiver, replays_history, has_leader;
    char *leader_state, *serving_phase;
    struct db_seqs seqs;
    struct host_facts *hosts; /* by host_index (seqs.finals order) */
    GHashTable *host_index;   /* host name -> index + 1 (lookups only) */
    int64_t leader_entries;
};

struct interval {
    int64_t s, e;
};

struct summary {
    int64_t submitted, acked, failed, unknown, delivered;
    int64_t lost, lost_in_transit, missed_while_down;
    int64_t duplicates, order_disagreements;
    GArray *ack_ns, *delivery_ns; /* int64_t, sorted before use */
    int64_t restarts, never_caught_up, catchup_max_ns; /* catchup_max_ns -1: none */
    int64_t unavailable_ns;
};

/* ---- loading ------------------------------------------------------------------------- */

static bool prepare(struct facts *f, const char *sql, sqlite3_stmt **st, GError **err)
{
    if (sqlite3_prepare_v2(f->db, sql, -1, st, NULL) != SQLITE_OK) {
        db__set_error(err, f->db, "computing the measures");
        return false;
    }
    sqlite3_bind_int64(*st, 1, f->run_id);
    if (sqlite3_bind_parameter_count(*st) >= 2)
        sqlite3_bind_text(*st, 2, f->model, -1, SQLITE_STATIC);
    return true;
}

static bool finish(struct facts *f, sqlite3_stmt *st, int rc, GError **err)
{
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, f->db, "computing the measures");
        return false;
    }
    return true;
}

static char *column_dup(sqlite3_stmt *st, int col)
{
    return g_strdup((const char *)sqlite3_column_text(st, col));
}

static int host_of(const struct facts *f, const char *name)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(f->host_index, name)) - 1;
}

static bool load_run(struct facts *f, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT r.duration_ns, r.workload_start_ns, m.leader_state, "
                    "m.serving_phase, m.one_receiver, m.replays_history FROM runs AS r "
                    "JOIN models AS m ON m.run_id = r.run_id AND m.model = ?2 "
                    "WHERE r.run_id = ?1",
                 &st, err))
        return false;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        f->duration_ns = sqlite3_column_int64(st, 0);
        f->workload_start_ns = sqlite3_column_int64(st, 1);
        f->leader_state = column_dup(st, 2);
        f->serving_phase = column_dup(st, 3);
        f->has_leader = f->leader_state != NULL;
        f->one_receiver = sqlite3_column_int(st, 4) != 0;
        f->replays_history = sqlite3_column_int(st, 5) != 0;
        rc = SQLITE_DONE;
    } else if (rc == SQLITE_DONE) {
        rc = SQLITE_CORRUPT; /* no runs or models row */
    }
    return finish(f, st, rc, err);
}

/* Receiver changes and entries into leadership, from the model's host_states rows. */
static bool load_states(struct facts *f, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT host, trace_seq, state != 'DOWN', state IS ?3 AND phase IS ?4 "
                    "FROM host_states WHERE run_id = ?1 AND model = ?2 ORDER BY host, trace_seq",
                 &st, err))
        return false;
    sqlite3_bind_text(st, 3, f->leader_state, -1, SQLITE_STATIC);
    sqlite3_bind_text(st, 4, f->serving_phase, -1, SQLITE_STATIC);
    int rc, last_host = -1;
    bool leading = false;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int h = host_of(f, (const char *)sqlite3_column_text(st, 0));
        if (h < 0)
            continue; /* a host the hosts table does not list: nothing to count it for */
        if (h != last_host)
            leading = false;
        last_host = h;
        struct flag_change c = { .seq = sqlite3_column_int64(st, 1),
                                 .on = sqlite3_column_int(st, 2) != 0 };
        g_array_append_val(f->hosts[h].receiver, c);
        bool now_leading = f->has_leader && sqlite3_column_int(st, 3) != 0;
        f->leader_entries += now_leading && !leading;
        leading = now_leading;
    }
    return finish(f, st, rc, err);
}

static bool load_lives(struct facts *f, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT host, incarnation, started_ns, trace_seq FROM host_lives "
                    "WHERE run_id = ?1 ORDER BY host, incarnation",
                 &st, err))
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int h = host_of(f, (const char *)sqlite3_column_text(st, 0));
        if (h < 0)
            continue;
        struct life l = { .incarnation = (uint32_t)sqlite3_column_int64(st, 1),
                          .started_ns = sqlite3_column_int64(st, 2),
                          .trace_seq = sqlite3_column_int64(st, 3) };
        GArray *lives = f->hosts[h].lives;
        if (l.incarnation != lives->len + 1) {
            rc = SQLITE_CORRUPT; /* incarnations are 1, 2, ... with no gap */
            break;
        }
        g_array_append_val(lives, l);
    }
    return finish(f, st, rc, err);
}

static bool facts_load(struct facts *f, sqlite3 *db, int64_t run_id, const char *model,
                       GError **err)
{
    memset(f, 0, sizeof *f);
    f->db = db;
    f->run_id = run_id;
    f->model = model;
    f->host_index = g_hash_table_new(g_str_hash, g_str_equal);
    if (!db__seqs_load(db, run_id, model, &f->seqs, err))
        return false;
    guint n = f->seqs.finals->len;
    f->hosts = g_new0(struct host_facts, MAX(n, 1));
    for (guint i = 0; i < n; i++) {
        const struct db_final_host *h = &g_array_index(f->seqs.finals, struct db_final_host, i);
        g_hash_table_insert(f->host_index, (gpointer)h->host, GINT_TO_POINTER(i + 1));
        f->hosts[i].receiver = g_array_new(FALSE, FALSE, sizeof(struct flag_change));
        f->hosts[i].lives = g_array_new(FALSE, FALSE, sizeof(struct life));
    }
    return load_run(f, err) && load_states(f, err) && load_lives(f, err);
}

static void facts_clear(struct facts *f)
{
    for (guint i = 0; f->hosts && i < f->seqs.finals->len; i++) {
        g_array_free(f->hosts[i].receiver, TRUE);
        g_array_free(f->hosts[i].lives, TRUE);
    }
    g_free(f->hosts);
    if (f->seqs.entries)
        db__seqs_clear(&f->seqs);
    g_hash_table_destroy(f->host_index);
    g_free(f->leader_state);
    g_free(f->serving_phase);
}

/* ---- loss ---------------------------------------------------------------------------- */

/* Whether host h's receiver was up just before trace position seq. */
static bool receiver_up(const struct facts *f, int h, int64_t seq)
{
    const GArray *c = f->hosts[h].receiver;
    guint lo = 0, hi = c->len; /* the first change at or after seq */
    while (lo < hi) {
        guint mid = lo + (hi - lo) / 2;
        if (g_array_index(c, struct flag_change, mid).seq < seq)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo > 0 && g_array_index(c, struct flag_change, lo - 1).on;
}

struct host_loss {
    int64_t delivered, lost, in_transit;
};

/* Loss at host h: acked messages no incarnation of h delivered. */
static void host_loss(struct facts *f, int h, bool counted, struct host_loss *out)
{
    struct db_seqs *s = &f->seqs;
    const char *name = g_array_index(s->finals, struct db_final_host, h).host;
    uint32_t mark = db__seqs_next_seen(s);
    memset(out, 0, sizeof *out);
    for (guint x = 0; x < s->spans->len; x++) {
        const struct db_seq_span *span = db__seq_span_at(s, x);
        if (strcmp(span->host, name) != 0)
            continue;
        for (size_t i = span->first; i < span->first + span->count; i++) {
            uint32_t m = db__seq_at(s, i)->msg;
            out->delivered += s->seen_mark[m] != mark;
            s->seen_mark[m] = mark;
        }
    }
    for (uint32_t m = 0; counted && m < s->msg_names->len; m++) {
        const struct db_msg *msg = db__seq_msg(s, m);
        if (!msg->acked || s->seen_mark[m] == mark)
            continue;
        out->lost++;
        out->in_transit += receiver_up(f, h, msg->first_seq);
    }
}

/* In a model whose messages are each meant for one host: acked messages delivered nowhere,
 * in transit when some host's receiver was up. */
static void one_receiver_loss(struct facts *f, struct summary *sum)
{
    const struct db_seqs *s = &f->seqs;
    for (uint32_t m = s->n_delivered; m < s->msg_names->len; m++) {
        const struct db_msg *msg = db__seq_msg(s, m);
        if (!msg->acked)
            continue;
        bool up = false;
        for (guint h = 0; !up && h < s->finals->len; h++)
            up = receiver_up(f, (int)h, msg->first_seq);
        sum->lost++;
        sum->lost_in_transit += up;
    }
}

/* ---- latency and catch-up ------------------------------------------------------------ */

static const struct life *life_of(const struct facts *f, const char *host, uint32_t incarnation)
{
    int h = host_of(f, host);
    if (h < 0 || incarnation == 0 || incarnation > f->hosts[h].lives->len)
        return NULL;
    return &g_array_index(f->hosts[h].lives, struct life, incarnation - 1);
}

static bool load_ack_latencies(struct facts *f, GArray *out, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT outcome_ns - submitted_ns FROM submissions "
                    "WHERE run_id = ?1 AND model = ?2 AND outcome = 'acked'",
                 &st, err))
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t v = sqlite3_column_int64(st, 0);
        g_array_append_val(out, v);
    }
    return finish(f, st, rc, err);
}

/* Deliveries (not replays) by incarnations already running at the first submission. */
static void delivery_latencies(const struct facts *f, GArray *out)
{
    const struct db_seqs *s = &f->seqs;
    for (guint x = 0; x < s->spans->len; x++) {
        const struct db_seq_span *span = db__seq_span_at(s, x);
        const struct life *l = life_of(f, span->host, span->incarnation);
        for (size_t i = span->first; l && i < span->first + span->count; i++) {
            const struct db_seq_entry *e = db__seq_at(s, i);
            int64_t submitted = db__seq_msg(s, e->msg)->submitted_ns;
            if (e->replayed || submitted == DB_NOT_SUBMITTED || l->started_ns > submitted)
                continue;
            int64_t v = e->t_ns - submitted;
            g_array_append_val(out, v);
        }
    }
}

/* When incarnation `span` (NULL: it delivered nothing) had delivered every message
 * delivered anywhere before trace position since_seq; -1 when it never had. */
static int64_t caught_up_ns(struct facts *f, const struct db_seq_span *span, int64_t started_ns,
                            int64_t since_seq)
{
    struct db_seqs *s = &f->seqs;
    uint32_t mark = span ? db__seqs_index_span(s, span) : 0;
    int64_t at = started_ns;
    for (uint32_t m = 0; m < s->n_delivered; m++) {
        if (db__seq_msg(s, m)->first_delivery_seq >= since_seq)
            continue;
        if (!span || s->pos_mark[m] != mark)
            return -1;
        at = MAX(at, db__seq_at(s, span->first + s->pos[m])->t_ns);
    }
    return at;
}

struct catchup {
    const char *host;
    uint32_t incarnation;
    int64_t started_ns, caught_up_ns; /* -1: never */
};

static void catchups(struct facts *f, GArray *out)
{
    if (!f->replays_history)
        return;
    for (guint h = 0; h < f->seqs.finals->len; h++) {
        const char *host = g_array_index(f->seqs.finals, struct db_final_host, h).host;
        const GArray *lives = f->hosts[h].lives;
        for (guint i = 1; i < lives->len; i++) { /* every life but the first began a restart */
            const struct life *l = &g_array_index(lives, struct life, i);
            struct catchup c = { .host = host, .incarnation = l->incarnation,
                                 .started_ns = l->started_ns };
            c.caught_up_ns = caught_up_ns(f, db__seqs_find_span(&f->seqs, host, l->incarnation),
                                          l->started_ns, l->trace_seq);
            g_array_append_val(out, c);
        }
    }
}

/* ---- unavailability ------------------------------------------------------------------ */

static int compare_interval(gconstpointer a, gconstpointer b)
{
    const struct interval *p = a, *q = b;
    if (p->s != q->s)
        return p->s < q->s ? -1 : 1;
    return p->e < q->e ? -1 : p->e > q->e;
}

static void add_stretch(const struct facts *f, GArray *out, int64_t s, int64_t e)
{
    struct interval i = { .s = MAX(s, f->workload_start_ns), .e = MIN(e, f->duration_ns) };
    if (i.e > i.s)
        g_array_append_val(out, i);
}

/* Each client's down stretches: from 0 to its first connect, from each loss to the next
 * connect. Rows arrive ordered by client, then trace position. */
static bool client_stretches(struct facts *f, GArray *out, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT client, trace_seq, t_ns, up FROM client_states WHERE run_id = ?1 "
                    "AND model = ?2 UNION ALL SELECT DISTINCT client, NULL, NULL, NULL "
                    "FROM submissions WHERE run_id = ?1 AND model = ?2 ORDER BY 1, 2",
                 &st, err))
        return false;
    /* Per client: the row standing for its submissions (NULL trace_seq) first if any, then
     * its states in trace order. */
    char *client = NULL;
    bool down = true;
    int64_t down_since = 0;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *c = (const char *)sqlite3_column_text(st, 0);
        if (!client || strcmp(client, c) != 0) {
            if (client)
                add_stretch(f, out, down_since, down ? f->duration_ns : down_since);
            g_free(client);
            client = g_strdup(c);
            down = true;
            down_since = 0;
        }
        if (sqlite3_column_type(st, 1) == SQLITE_NULL)
            continue;
        int64_t t = sqlite3_column_int64(st, 2);
        bool up = sqlite3_column_int(st, 3) != 0;
        if (up && down) {
            add_stretch(f, out, down_since, t);
            down = false;
        } else if (!up && !down) {
            down = true;
            down_since = t;
        }
    }
    if (client)
        add_stretch(f, out, down_since, down ? f->duration_ns : down_since);
    g_free(client);
    return finish(f, st, rc, err);
}

static bool failing_operations(struct facts *f, GArray *out, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "SELECT submitted_ns, outcome_ns FROM submissions WHERE run_id = ?1 AND "
                    "model = ?2 AND outcome != 'acked'",
                 &st, err))
        return false;
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        int64_t end = sqlite3_column_type(st, 1) == SQLITE_NULL ? f->duration_ns
                                                                  : sqlite3_column_int64(st, 1);
        add_stretch(f, out, sqlite3_column_int64(st, 0), end);
    }
    return finish(f, st, rc, err);
}

static bool unavailable_ns(struct facts *f, int64_t *ns, GError **err)
{
    GArray *stretches = g_array_new(FALSE, FALSE, sizeof(struct interval));
    bool ok = client_stretches(f, stretches, err) && failing_operations(f, stretches, err);
    g_array_sort(stretches, compare_interval);
    *ns = 0;
    int64_t s = 0, e = -1; /* the island being merged; e < s: none yet */
    for (guint i = 0; i < stretches->len; i++) {
        const struct interval *x = &g_array_index(stretches, struct interval, i);
        if (x->s > e) {
            *ns += e > s ? e - s : 0;
            s = x->s;
            e = x->e;
        } else {
            e = MAX(e, x->e);
        }
    }
    *ns += e > s ? e - s : 0;
    g_array_free(stretches, TRUE);
    return ok;
}

/* ---- writing ------------------------------------------------------------------------- */

static int compare_i64(gconstpointer a, gconstpointer b)
{
    int64_t p = *(const int64_t *)a, q = *(const int64_t *)b;
    return p < q ? -1 : p > q;
}

/* Binds the nearest-rank p50, p99 (the value at rank ceil(p * n / 100)) and max of v to
 * columns col.., NULL for an empty v. */
static void bind_percentiles(sqlite3_stmt *st, int col, GArray *v)
{
    if (v->len == 0) {
        for (int i = 0; i < 3; i++)
            sqlite3_bind_null(st, col + i);
        return;
    }
    g_array_sort(v, compare_i64);
    int64_t n = v->len;
    sqlite3_bind_int64(st, col, g_array_index(v, int64_t, (n * 50 + 99) / 100 - 1));
    sqlite3_bind_int64(st, col + 1, g_array_index(v, int64_t, (n * 99 + 99) / 100 - 1));
    sqlite3_bind_int64(st, col + 2, g_array_index(v, int64_t, n - 1));
}

static bool step_once(struct facts *f, sqlite3_stmt *st, GError **err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, f->db, "writing the measures");
        return false;
    }
    return true;
}

static bool write_summary(struct facts *f, struct summary *m, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "INSERT INTO run_summary_data (run_id, model, submitted, acked, failed, "
                    "unknown, delivered, lost, lost_in_transit, missed_while_down, duplicates, "
                    "order_disagreements, ack_p50_ns, ack_p99_ns, ack_max_ns, delivery_p50_ns, "
                    "delivery_p99_ns, delivery_max_ns, restarts, catchup_max_ns, "
                    "never_caught_up, unavailable_ns, leader_changes) VALUES (?1, ?2, ?3, ?4, "
                    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, "
                    "?21, ?22, ?23)",
                 &st, err))
        return false;
    const int64_t counts[] = { m->submitted, m->acked,           m->failed,
                               m->unknown,   m->delivered,       m->lost,
                               m->lost_in_transit, m->missed_while_down, m->duplicates,
                               m->order_disagreements };
    for (int i = 0; i < (int)G_N_ELEMENTS(counts); i++)
        sqlite3_bind_int64(st, 3 + i, counts[i]);
    bind_percentiles(st, 13, m->ack_ns);
    bind_percentiles(st, 16, m->delivery_ns);
    if (f->replays_history) { /* other models have no history to catch up with: NULL */
        sqlite3_bind_int64(st, 19, m->restarts);
        sqlite3_bind_int64(st, 21, m->never_caught_up);
    }
    if (m->catchup_max_ns >= 0)
        sqlite3_bind_int64(st, 20, m->catchup_max_ns);
    sqlite3_bind_int64(st, 22, m->unavailable_ns);
    if (f->has_leader)
        sqlite3_bind_int64(st, 23, MAX(0, f->leader_entries - 1));
    bool ok = step_once(f, st, err);
    sqlite3_finalize(st);
    return ok;
}

/* host_summary rows, and the run's loss totals. */
static bool write_hosts(struct facts *f, struct summary *sum, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "INSERT INTO host_summary (run_id, model, host, counted, delivered, lost, "
                    "lost_in_transit, missed_while_down) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                 &st, err))
        return false;
    bool ok = true;
    for (guint h = 0; ok && h < f->seqs.finals->len; h++) {
        const struct db_final_host *fh = &g_array_index(f->seqs.finals, struct db_final_host, h);
        bool counted = fh->counted && !f->one_receiver;
        struct host_loss l;
        host_loss(f, (int)h, counted, &l);
        sqlite3_bind_text(st, 3, fh->host, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, counted);
        sqlite3_bind_int64(st, 5, l.delivered);
        if (counted) {
            sqlite3_bind_int64(st, 6, l.lost);
            sqlite3_bind_int64(st, 7, l.in_transit);
            sqlite3_bind_int64(st, 8, l.lost - l.in_transit);
            sum->lost += l.lost;
            sum->lost_in_transit += l.in_transit;
        } else {
            for (int c = 6; c <= 8; c++)
                sqlite3_bind_null(st, c);
        }
        ok = step_once(f, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

static bool write_catchups(struct facts *f, GArray *rows, struct summary *sum, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(f, "INSERT INTO catchups (run_id, model, host, incarnation, started_ns, "
                    "caught_up_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                 &st, err))
        return false;
    bool ok = true;
    sum->catchup_max_ns = -1;
    for (guint i = 0; ok && i < rows->len; i++) {
        const struct catchup *c = &g_array_index(rows, struct catchup, i);
        sqlite3_bind_text(st, 3, c->host, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, c->incarnation);
        sqlite3_bind_int64(st, 5, c->started_ns);
        if (c->caught_up_ns >= 0)
            sqlite3_bind_int64(st, 6, c->caught_up_ns);
        else
            sqlite3_bind_null(st, 6);
        sum->restarts++;
        if (c->caught_up_ns < 0)
            sum->never_caught_up++;
        else
            sum->catchup_max_ns = MAX(sum->catchup_max_ns, c->caught_up_ns - c->started_ns);
        ok = step_once(f, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

static bool measure_model(sqlite3 *db, int64_t run_id, const char *model, GError **err)
{
    struct facts f;
    struct summary sum = { 0 };
    sum.ack_ns = g_array_new(FALSE, FALSE, sizeof(int64_t));
    sum.delivery_ns = g_array_new(FALSE, FALSE, sizeof(int64_t));
    GArray *restarts = g_array_new(FALSE, FALSE, sizeof(struct catchup));
    bool ok = facts_load(&f, db, run_id, model, err);
    if (ok) {
        const struct db_seqs *s = &f.seqs;
        for (uint32_t i = 0; i < s->msg_names->len; i++) {
            const struct db_msg *m = db__seq_msg(s, i);
            if (m->submitted_ns == DB_NOT_SUBMITTED)
                continue;
            sum.submitted++;
            sum.acked += m->acked;
            sum.failed += !m->acked && m->rejected;
            sum.unknown += !m->acked && !m->rejected;
        }
        sum.delivered = s->n_delivered;
        sum.duplicates = db__seqs_duplicates(&f.seqs);
        sum.order_disagreements = db__seqs_order_disagreements(&f.seqs);
        delivery_latencies(&f, sum.delivery_ns);
        catchups(&f, restarts);
        ok = write_hosts(&f, &sum, err);
        if (ok && f.one_receiver)
            one_receiver_loss(&f, &sum);
        sum.missed_while_down = sum.lost - sum.lost_in_transit;
        ok = ok && load_ack_latencies(&f, sum.ack_ns, err) &&
             unavailable_ns(&f, &sum.unavailable_ns, err) &&
             write_catchups(&f, restarts, &sum, err) && write_summary(&f, &sum, err);
    }
    facts_clear(&f);
    g_array_free(sum.ack_ns, TRUE);
    g_array_free(sum.delivery_ns, TRUE);
    g_array_free(restarts, TRUE);
    return ok;
}

bool db__measure_run(sqlite3 *db, int64_t run_id, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, "SELECT model FROM models WHERE run_id = ?1 ORDER BY position",
                           -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "computing the measures");
        return false;
    }
    sqlite3_bind_int64(st, 1, run_id);
    GPtrArray *models = g_ptr_array_new_with_free_func(g_free);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        g_ptr_array_add(models, g_strdup((const char *)sqlite3_column_text(st, 0)));
    sqlite3_finalize(st);
    bool ok = rc == SQLITE_DONE;
    if (!ok)
        db__set_error(err, db, "computing the measures");
    for (guint i = 0; ok && i < models->len; i++)
        ok = measure_model(db, run_id, g_ptr_array_index(models, i), err);
    g_ptr_array_free(models, TRUE);
    return ok;
}
