/* report_diverge.c: the first delivery-order divergence of a run, for the text and HTML
 * reports (report_internal.h): for the first model without an order promise whose host
 * incarnations disagree, which of them received the first messages they disagree on in which
 * order, next to the single order each model with an order promise delivered them in.
 *
 * The disagreeing pair comes from the same in-memory comparison of delivery sequences that
 * computes run_summary.order_disagreements (reports/db_seq.c), so the report shows an
 * instance of what the summary counts. As a join of every delivery against every other
 * host's the search took 44 s on a 15 s run; walking the sequences takes milliseconds. */
#include "reports/db_internal.h"
#include "reports/report_internal.h"

#include <inttypes.h>
#include <string.h>

static void free_order(gpointer p)
{
    struct rep_order *o = p;
    g_free(o->label);
    g_ptr_array_free(o->msgs, TRUE);
    g_free(o);
}

static char *span_label(const struct db_seq_span *span)
{
    return g_strdup_printf("%s#%u", span->host, span->incarnation);
}

/* The inversion established first: when both host incarnations had delivered both messages
 * (ties keep the comparison's order, host by host). NULL when there is none. */
static const struct db_seq_inversion *first_inversion(const struct db_seqs *s, GArray *invs)
{
    const struct db_seq_inversion *best = NULL;
    sim_time best_t = 0;
    for (guint i = 0; i < invs->len; i++) {
        const struct db_seq_inversion *inv = &g_array_index(invs, struct db_seq_inversion, i);
        sim_time t = MAX(db__seq_at(s, inv->x_second)->t_ns, db__seq_at(s, inv->y_second)->t_ns);
        if (!best || t < best_t) {
            best = inv;
            best_t = t;
        }
    }
    return best;
}

static void choose_once(const struct db_seqs *s, size_t i, GHashTable *chosen, GPtrArray *msgs)
{
    uint32_t m = db__seq_at(s, i)->msg;
    if (g_hash_table_add(chosen, GUINT_TO_POINTER(m + 1)))
        g_ptr_array_add(msgs, g_strdup(db__seq_msg_name(s, m)));
}

/* The messages to show, in x's order: its deliveries from the pair's first message on, at
 * most REP_ORDER_MSGS, the pair's second message always among them. */
static void choose_messages(const struct db_seqs *s, const struct db_seq_inversion *inv,
                            GHashTable *chosen, GPtrArray *msgs)
{
    const struct db_seq_span *x = db__seqs_span_of(s, inv->x_first);
    for (size_t i = inv->x_first; i < inv->x_second && msgs->len < REP_ORDER_MSGS - 1; i++)
        choose_once(s, i, chosen, msgs);
    choose_once(s, inv->x_second, chosen, msgs);
    for (size_t i = inv->x_second + 1; i < x->first + x->count && msgs->len < REP_ORDER_MSGS; i++)
        choose_once(s, i, chosen, msgs);
}

/* Each host incarnation's order of the chosen messages (first deliveries only). */
static void collect_orders(const struct db_seqs *s, GHashTable *chosen, GPtrArray *orders)
{
    GHashTable *seen = g_hash_table_new(NULL, NULL);
    for (guint k = 0; k < s->spans->len; k++) {
        const struct db_seq_span *span = db__seq_span_at(s, k);
        struct rep_order *o = g_new0(struct rep_order, 1);
        o->msgs = g_ptr_array_new_with_free_func(g_free);
        g_hash_table_remove_all(seen);
        for (size_t i = span->first; i < span->first + span->count; i++) {
            gpointer key = GUINT_TO_POINTER(db__seq_at(s, i)->msg + 1);
            if (g_hash_table_contains(chosen, key) && g_hash_table_add(seen, key))
                g_ptr_array_add(o->msgs, g_strdup(db__seq_msg_name(s, db__seq_at(s, i)->msg)));
        }
        if (o->msgs->len == 0) {
            free_order(o);
            continue;
        }
        o->label = span_label(span);
        g_ptr_array_add(orders, o);
    }
    g_hash_table_destroy(seen);
}

/* Whether model m's host incarnations disagree; the first model that does is described. */
static bool load_unordered(sqlite3 *db, const struct rep_run *run, int m,
                           struct rep_divergence *d, GError **err)
{
    struct db_seqs s;
    if (!db__seqs_load(db, run->run_id, rep__model_name(m), &s, err))
        return false;
    GArray *invs = db__seqs_inversions(&s);
    const struct db_seq_inversion *inv = first_inversion(&s, invs);
    d->diverges[m] = inv != NULL;
    if (inv && !d->found) {
        d->found = true;
        d->model = m;
        d->t_ns = MAX(db__seq_at(&s, inv->x_second)->t_ns, db__seq_at(&s, inv->y_second)->t_ns);
        d->first = g_strdup(db__seq_msg_name(&s, db__seq_at(&s, inv->x_first)->msg));
        d->second = g_strdup(db__seq_msg_name(&s, db__seq_at(&s, inv->x_second)->msg));
        d->in_order_at = span_label(db__seq_span_at(&s, inv->x));
        d->reversed_at = span_label(db__seq_span_at(&s, inv->y));
        GHashTable *chosen = g_hash_table_new(NULL, NULL);
        choose_messages(&s, inv, chosen, d->msgs);
        collect_orders(&s, chosen, d->orders);
        g_hash_table_destroy(chosen);
    }
    g_array_free(invs, TRUE);
    db__seqs_clear(&s);
    return true;
}

/* The chosen messages in an ordered model's order: by the position (seq) that carries them,
 * which is the same at every host while its agreement invariant holds. */
static bool load_order(sqlite3 *db, const struct rep_run *run, const struct rep_divergence *d,
                       struct rep_ordered *o, GError **err)
{
    sqlite3_stmt *st = rep__prepare(db,
                                   "SELECT min(seq) FROM deliveries WHERE run_id = :run_id "
                                   "AND model = :model AND msg_id = :msg",
                                   run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", rep__model_name(o->model));
    int64_t seqs[REP_ORDER_MSGS];
    for (guint i = 0; i < d->msgs->len; i++) {
        sqlite3_reset(st);
        rep__bind_str(st, ":msg", g_ptr_array_index(d->msgs, i));
        seqs[i] = sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL
                      ? sqlite3_column_int64(st, 0) : -1;
    }
    if (!rep__done(db, st, err))
        return false;
    for (;;) { /* selection by smallest seq: eight messages at most */
        int best = -1;
        for (guint i = 0; i < d->msgs->len; i++) {
            if (seqs[i] >= 0 && (best < 0 || seqs[i] < seqs[best]))
                best = (int)i;
        }
        if (best < 0)
            return true;
        g_ptr_array_add(o->order, g_strdup(g_ptr_array_index(d->msgs, best)));
        seqs[best] = -1;
    }
}

/* The first seq at which an ordered model's host incarnations hold different messages (a
 * violation of agreement), with every holder of it. */
static bool load_split(sqlite3 *db, const struct rep_run *run, struct rep_ordered *o,
                       GError **err)
{
    sqlite3_stmt *st = rep__prepare(
        db,
        "WITH split AS (SELECT seq FROM deliveries WHERE run_id = :run_id AND model = :model "
        "               GROUP BY seq HAVING count(DISTINCT msg_id) > 1 ORDER BY seq LIMIT 1) "
        "SELECT d.seq, d.host || '#' || d.incarnation || ' ' || d.msg_id "
        "FROM deliveries AS d JOIN split AS s ON s.seq = d.seq "
        "WHERE d.run_id = :run_id AND d.model = :model ORDER BY d.host, d.incarnation, d.rowid",
        run->run_id, err);
    if (!st)
        return false;
    rep__bind_str(st, ":model", rep__model_name(o->model));
    while (sqlite3_step(st) == SQLITE_ROW) {
        o->split_seq = sqlite3_column_int64(st, 0);
        g_ptr_array_add(o->split, g_strdup(rep__col_str(st, 1)));
    }
    return rep__done(db, st, err);
}

static void free_ordered(gpointer p)
{
    struct rep_ordered *o = p;
    g_ptr_array_free(o->order, TRUE);
    g_ptr_array_free(o->split, TRUE);
    g_free(o);
}

bool rep__divergence_load(sqlite3 *db, const struct rep_run *run, struct rep_divergence *d,
                         GError **err)
{
    memset(d, 0, sizeof *d);
    d->model = -1;
    d->msgs = g_ptr_array_new_with_free_func(g_free);
    d->orders = g_ptr_array_new_with_free_func(free_order);
    d->ordered = g_ptr_array_new_with_free_func(free_ordered);
    for (int m = 0; m < model_count(); m++) {
        if (run->has[m] && !rep__model_ordered(m) && !load_unordered(db, run, m, d, err))
            return false;
    }
    for (int m = 0; m < model_count(); m++) {
        if (!run->has[m] || !rep__model_ordered(m))
            continue;
        struct rep_ordered *o = g_new0(struct rep_ordered, 1);
        o->model = m;
        o->order = g_ptr_array_new_with_free_func(g_free);
        o->split = g_ptr_array_new_with_free_func(g_free);
        g_ptr_array_add(d->ordered, o);
        if (!load_order(db, run, d, o, err) || !load_split(db, run, o, err))
            return false;
    }
    return true;
}

void rep__divergence_clear(struct rep_divergence *d)
{
    g_free(d->first);
    g_free(d->second);
    g_free(d->in_order_at);
    g_free(d->reversed_at);
    if (d->msgs) {
        g_ptr_array_free(d->msgs, TRUE);
        g_ptr_array_free(d->orders, TRUE);
        g_ptr_array_free(d->ordered, TRUE);
    }
    memset(d, 0, sizeof *d);
}
