/* db_seq.c: one model's messages and delivery sequences in memory, loaded from a results
 * database (db_internal.h), and the first inversion of every pair of host incarnations (the
 * report's divergence section).
 *
 * The pairwise comparison indexes one host incarnation's sequence into an array (message ->
 * position of its first delivery) and walks every other sequence against it: O(P * N) for P
 * host incarnations and N deliveries, where SQL needs a join of every delivery against
 * every other host's. */
#include "reports/db_internal.h"

#include <string.h>

/* ---- loading --------------------------------------------------------------------------- */

/* Text of a column; "" for NULL, which the schema forbids in the columns read here but a
 * hand-edited file could still hold. */
static const char *column_text(sqlite3_stmt *st, int col)
{
    const char *text = (const char *)sqlite3_column_text(st, col);
    return text ? text : "";
}

static uint32_t intern_msg(struct db_seqs *s, const char *msg_id)
{
    gpointer found = g_hash_table_lookup(s->ids, msg_id);
    if (found)
        return GPOINTER_TO_UINT(found) - 1;
    char *name = g_string_chunk_insert(s->strings, msg_id);
    uint32_t m = s->msg_names->len;
    g_ptr_array_add(s->msg_names, name);
    g_hash_table_insert(s->ids, name, GUINT_TO_POINTER(m + 1));
    return m;
}

static void add_delivery(struct db_seqs *s, sqlite3_stmt *st)
{
    const char *host = column_text(st, 0);
    uint32_t incarnation = (uint32_t)sqlite3_column_int64(st, 1);
    struct db_seq_span *last =
        s->spans->len ? &g_array_index(s->spans, struct db_seq_span, s->spans->len - 1) : NULL;
    if (!last || last->incarnation != incarnation || strcmp(last->host, host) != 0) {
        struct db_seq_span span = { .host = g_string_chunk_insert_const(s->strings, host),
                                    .incarnation = incarnation,
                                    .first = s->entries->len };
        g_array_append_val(s->spans, span);
        last = &g_array_index(s->spans, struct db_seq_span, s->spans->len - 1);
    }
    struct db_seq_entry e = { .t_ns = sqlite3_column_int64(st, 3),
                              .msg = intern_msg(s, column_text(st, 2)) };
    g_array_append_val(s->entries, e);
    last->count++;
}

/* Runs sql (parameters ?1 run_id, ?2 model) and hands each row to add. */
static bool load_rows(sqlite3 *db, int64_t run_id, struct db_seqs *s, const char *sql,
                      void (*add)(struct db_seqs *, sqlite3_stmt *), GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "loading the run");
        return false;
    }
    sqlite3_bind_int64(st, 1, run_id);
    if (sqlite3_bind_parameter_count(st) >= 2)
        sqlite3_bind_text(st, 2, s->model, -1, SQLITE_STATIC);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
        add(s, st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, db, "loading the run");
        return false;
    }
    return true;
}

bool db__seqs_load(sqlite3 *db, int64_t run_id, const char *model, struct db_seqs *s,
                  GError **err)
{
    memset(s, 0, sizeof *s);
    s->model = model;
    s->entries = g_array_new(FALSE, FALSE, sizeof(struct db_seq_entry));
    s->spans = g_array_new(FALSE, FALSE, sizeof(struct db_seq_span));
    s->msg_names = g_ptr_array_new();
    s->ids = g_hash_table_new(g_str_hash, g_str_equal);
    s->strings = g_string_chunk_new(64 * 1024);
    /* The index on (run_id, model, host, incarnation, seq) yields this order without a
     * sort. */
    if (!load_rows(db, run_id, s,
                   "SELECT host, incarnation, msg_id, delivered_ns FROM deliveries "
                   "WHERE run_id = ?1 AND model = ?2 ORDER BY host, incarnation, seq, rowid",
                   add_delivery, err)) {
        db__seqs_clear(s);
        return false;
    }
    size_t n_msgs = s->msg_names->len;
    s->pos = g_new(uint32_t, n_msgs);
    s->pos_mark = g_new0(uint32_t, n_msgs);
    s->seen_mark = g_new0(uint32_t, n_msgs);
    return true;
}

void db__seqs_clear(struct db_seqs *s)
{
    if (s->entries)
        g_array_free(s->entries, TRUE);
    if (s->spans)
        g_array_free(s->spans, TRUE);
    if (s->msg_names)
        g_ptr_array_free(s->msg_names, TRUE);
    if (s->ids)
        g_hash_table_destroy(s->ids);
    if (s->strings)
        g_string_chunk_free(s->strings);
    g_free(s->pos);
    g_free(s->pos_mark);
    g_free(s->seen_mark);
    memset(s, 0, sizeof *s);
}

const struct db_seq_span *db__seqs_span_of(const struct db_seqs *s, size_t i)
{
    guint lo = 0, hi = s->spans->len;
    while (hi - lo > 1) { /* the last span starting at or before i */
        guint mid = lo + (hi - lo) / 2;
        if (db__seq_span_at(s, mid)->first <= i)
            lo = mid;
        else
            hi = mid;
    }
    return db__seq_span_at(s, lo);
}

/* ---- pairwise order -------------------------------------------------------------------- */

static uint32_t next_mark(uint32_t *now, uint32_t *marks, size_t n)
{
    if (++*now == 0) { /* wrapped: old marks could match again */
        memset(marks, 0, n * sizeof *marks);
        *now = 1;
    }
    return *now;
}

/* Indexes span y: afterwards pos[m] is the offset in y of m's first delivery, for every m
 * with pos_mark[m] == the returned mark. */
static uint32_t index_span(struct db_seqs *s, const struct db_seq_span *y)
{
    uint32_t mark = next_mark(&s->pos_now, s->pos_mark, s->msg_names->len);
    for (size_t i = 0; i < y->count; i++) {
        uint32_t m = db__seq_at(s, y->first + i)->msg;
        if (s->pos_mark[m] != mark) {
            s->pos_mark[m] = mark;
            s->pos[m] = (uint32_t)i;
        }
    }
    return mark;
}

/* Walks x's first occurrences against the indexed span: the first message whose position
 * there is below the previous common message's is an inversion (previous, this one). */
static bool first_inversion(struct db_seqs *s, const struct db_seq_span *x, uint32_t y_mark,
                            size_t *x_first, size_t *x_second)
{
    uint32_t seen = next_mark(&s->seen_now, s->seen_mark, s->msg_names->len);
    bool have_prev = false;
    uint32_t prev_pos = 0;
    size_t prev = 0;
    for (size_t i = x->first; i < x->first + x->count; i++) {
        uint32_t m = db__seq_at(s, i)->msg;
        if (s->seen_mark[m] == seen)
            continue;
        s->seen_mark[m] = seen;
        if (s->pos_mark[m] != y_mark)
            continue;
        if (have_prev && s->pos[m] < prev_pos) {
            *x_first = prev;
            *x_second = i;
            return true;
        }
        have_prev = true;
        prev_pos = s->pos[m];
        prev = i;
    }
    return false;
}

static int compare_inversions(gconstpointer a, gconstpointer b)
{
    const struct db_seq_inversion *p = a, *q = b;
    if (p->x != q->x)
        return p->x < q->x ? -1 : 1;
    return p->y < q->y ? -1 : p->y > q->y;
}

GArray *db__seqs_inversions(struct db_seqs *s)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct db_seq_inversion));
    for (size_t y = 1; y < s->spans->len; y++) {
        const struct db_seq_span *ys = db__seq_span_at(s, y);
        uint32_t mark = index_span(s, ys);
        for (size_t x = 0; x < y; x++) {
            struct db_seq_inversion inv = { .x = x, .y = y };
            if (!first_inversion(s, db__seq_span_at(s, x), mark, &inv.x_first, &inv.x_second))
                continue;
            /* In y the second message of the pair comes first. */
            inv.y_first = ys->first + s->pos[db__seq_at(s, inv.x_second)->msg];
            inv.y_second = ys->first + s->pos[db__seq_at(s, inv.x_first)->msg];
            g_array_append_val(out, inv);
        }
    }
    g_array_sort(out, compare_inversions);
    return out;
}
