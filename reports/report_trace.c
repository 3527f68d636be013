/* report_trace.c: `zabsim report --trace FILE.json`: the run as Chrome/Perfetto trace-event
 * JSON, to scroll and zoom through in the Perfetto UI (ui.perfetto.dev) or chrome://tracing.
 *
 * Layout: one process per model ("ZAB ensemble", "pub/sub cluster"), one thread (track) per
 * host and per client in it. ZAB host states are complete ("X") slices on the host tracks;
 * every logged network message is a zero-length slice on the sender's track and one on the
 * receiver's, joined by a flow arrow ("s"/"f" with a unique id; a lost message has no
 * arrow and says why); deliveries and drops are instant ("i") events on the receiving
 * host's track, and faults global instants. Timestamps are microseconds with three
 * decimals, so every nanosecond survives.
 *
 * How the flows bind: Perfetto attaches "s" and "f" to the innermost slice open on their
 * track at their timestamp. Message slices have no duration, so they sort among the flow and
 * instant events of the same instant by file position, and each is written right before its
 * flow event; the state slices are longer and sort first.
 *
 * The whole run is exported unless --window narrows it; the file is streamed (a run with
 * 470 000 logged messages makes about 220 MB) through FILE.tmp. */
#include "reports/report_internal.h"

#include <inttypes.h>
#include <string.h>


struct tr_ctx {
    FILE *f;
    sqlite3 *db;
    const struct rep_run *run;
    struct rep_window w;
    GHashTable *tids; /* host or client name -> tid */
    int64_t flow_id;
    bool first;       /* no event written yet: no comma */
};

/* ---- JSON writing ----------------------------------------------------------------------- */

static void json_str(FILE *f, const char *text)
{
    char *owned;
    const char *p = rep__valid_utf8(text, &owned);
    fputc('"', f);
    for (; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20)
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
    g_free(owned);
}

/* Nanoseconds as microseconds with three decimals: exact, unlike a double. */
static void json_us(FILE *f, sim_time ns)
{
    uint64_t mag = ns < 0 ? (uint64_t)(-(ns + 1)) + 1 : (uint64_t)ns;
    fprintf(f, "%s%" PRIu64 ".%03u", ns < 0 ? "-" : "", mag / 1000, (unsigned)(mag % 1000));
}

/* Starts an event: the separator, then {"ph":PH,"pid":..,"tid":..,"ts":.. (pid 0: none). */
static void event(struct tr_ctx *c, char ph, int pid, int tid, sim_time ts)
{
    fputs(c->first ? "\n" : ",\n", c->f);
    c->first = false;
    fprintf(c->f, "{\"ph\":\"%c\"", ph);
    if (pid)
        fprintf(c->f, ",\"pid\":%d,\"tid\":%d", pid, tid);
    fputs(",\"ts\":", c->f);
    json_us(c->f, ts);
}

/* Writes ,"KEY":"VALUE" */
static void field(FILE *f, const char *key, const char *value)
{
    fprintf(f, ",\"%s\":", key);
    json_str(f, value);
}

/* ---- tracks ----------------------------------------------------------------------------- */

static void metadata(struct tr_ctx *c, int pid, int tid, const char *what, const char *name,
                     int sort_index)
{
    fputs(c->first ? "\n" : ",\n", c->f);
    c->first = false;
    fprintf(c->f, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"%s_name\",\"args\":{\"name\":",
            pid, tid, what);
    json_str(c->f, name);
    fprintf(c->f, "}},\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"%s_sort_index\","
                  "\"args\":{\"sort_index\":%d}}",
            pid, tid, what, sort_index);
}

/* Hosts get tids 1..H and clients H+1..H+C in every model's process. */
static void tracks(struct tr_ctx *c)
{
    GPtrArray *names = g_ptr_array_new(); /* by tid - 1 */
    const GPtrArray *lists[] = { c->run->host_names, c->run->client_names };
    for (size_t l = 0; l < G_N_ELEMENTS(lists); l++) {
        for (guint i = 0; i < lists[l]->len; i++) {
            const char *name = g_ptr_array_index(lists[l], i);
            if (g_hash_table_contains(c->tids, name))
                continue;
            g_ptr_array_add(names, (gpointer)name);
            g_hash_table_insert(c->tids, (gpointer)name, GINT_TO_POINTER(names->len));
        }
    }
    /* One process per model: pid = registry id + 1. */
    for (int m = 0; m < model_count(); m++) {
        if (!c->run->has[m])
            continue;
        metadata(c, m + 1, 0, "process", rep__model_label(m), m + 1);
        for (guint t = 0; t < names->len; t++)
            metadata(c, m + 1, (int)t + 1, "thread", g_ptr_array_index(names, t), (int)t + 1);
    }
    g_ptr_array_free(names, TRUE);
}

static int tid_of(const struct tr_ctx *c, const char *name)
{
    return GPOINTER_TO_INT(g_hash_table_lookup(c->tids, name));
}

/* ---- events ----------------------------------------------------------------------------- */

static void faults(struct tr_ctx *c)
{
    for (guint i = 0; i < c->run->faults->len; i++) {
        const struct rep_fault *ft = &g_array_index(c->run->faults, struct rep_fault, i);
        if (ft->t_ns < c->w.start_ns || ft->t_ns >= c->w.end_ns)
            continue;
        char *name = g_strdup_printf("%s %s", ft->kind, ft->target);
        event(c, 'i', 0, 0, ft->t_ns);
        fputs(",\"s\":\"g\",\"cat\":\"fault\"", c->f);
        field(c->f, "name", name);
        fputs(",\"args\":{", c->f);
        fputs("\"kind\":", c->f);
        json_str(c->f, ft->kind);
        field(c->f, "target", ft->target);
        field(c->f, "detail", ft->detail);
        fputs("}}", c->f);
        g_free(name);
    }
}

static bool states(struct tr_ctx *c, GError **err)
{
    GArray *spans;
    if (!rep__state_spans(c->db, c->run, &spans, err))
        return false;
    for (guint i = 0; i < spans->len; i++) {
        const struct rep_state_span *s = &g_array_index(spans, struct rep_state_span, i);
        sim_time from = MAX(s->start_ns, c->w.start_ns), to = MIN(s->end_ns, c->w.end_ns);
        if (from >= to)
            continue;
        char *name = g_strdup_printf("%s%s%s", s->state, *s->phase ? " · " : "", s->phase);
        event(c, 'X', s->model + 1, tid_of(c, g_ptr_array_index(c->run->host_names, s->host)),
              from);
        fputs(",\"dur\":", c->f);
        json_us(c->f, to - from);
        field(c->f, "name", name);
        fprintf(c->f, ",\"cat\":\"state\",\"args\":{\"epoch\":%" PRId64 ",\"incarnation\":%" PRId64
                      "}}",
                s->epoch, s->incarnation);
        g_free(name);
    }
    g_array_free(spans, TRUE);
    return true;
}

/* A zero-length slice for one end of a message, then its flow event. */
static void message_end(struct tr_ctx *c, int pid, int tid, sim_time t, const char *type,
                        const char *cat, const char *peer_key, const char *peer,
                        const char *msg_id, const char *lost, char flow)
{
    event(c, 'X', pid, tid, t);
    fputs(",\"dur\":0", c->f);
    field(c->f, "name", type);
    fprintf(c->f, ",\"cat\":\"%s\",\"args\":{\"%s\":", cat, peer_key);
    json_str(c->f, peer);
    if (*msg_id)
        field(c->f, "msg", msg_id);
    if (lost)
        field(c->f, "lost", lost);
    fputs("}}", c->f);
    if (flow) {
        event(c, flow, pid, tid, t);
        fprintf(c->f, ",\"id\":%" PRId64 ",\"cat\":\"%s\"%s", c->flow_id, cat,
                flow == 'f' ? ",\"bp\":\"e\"" : "");
        field(c->f, "name", type);
        fputc('}', c->f);
    }
}

/* A statement over the run restricted to the trace window (:t0, :t1), or NULL. */
static sqlite3_stmt *prepare_in_window(struct tr_ctx *c, const char *sql, GError **err)
{
    sqlite3_stmt *st = rep__prepare(c->db, sql, c->run->run_id, err);
    if (st) {
        rep__bind_int(st, ":t0", c->w.start_ns);
        rep__bind_int(st, ":t1", c->w.end_ns);
    }
    return st;
}

static bool messages(struct tr_ctx *c, GError **err)
{
    sqlite3_stmt *st = prepare_in_window(
        c,
        "SELECT model, type, src, dst, sent_ns, recv_ns, lost_reason, "
        "  msg_id FROM messages WHERE run_id = :run_id "
        "  AND sent_ns >= :t0 AND sent_ns < :t1 "
        "ORDER BY sent_ns, rowid",
        err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        const char *type = rep__col_str(st, 1), *src = rep__col_str(st, 2),
                   *dst = rep__col_str(st, 3);
        int pid = m + 1, from = tid_of(c, src), to = tid_of(c, dst);
        bool lost = sqlite3_column_type(st, 5) == SQLITE_NULL;
        if (m < 0 || !from || !to)
            continue;
        c->flow_id++;
        const char *cat = rep__model_name(m), *msg_id = rep__col_str(st, 7);
        message_end(c, pid, from, sqlite3_column_int64(st, 4), type, cat, "to", dst, msg_id,
                    lost ? rep__col_str(st, 6) : NULL, lost ? 0 : 's');
        if (!lost)
            message_end(c, pid, to, sqlite3_column_int64(st, 5), type, cat, "from", src,
                        msg_id, NULL, 'f');
    }
    return rep__done(c->db, st, err);
}

static bool deliveries(struct tr_ctx *c, GError **err)
{
    sqlite3_stmt *st = prepare_in_window(
        c,
        "SELECT model, host, incarnation, seq, msg_id, zxid, replayed, "
        "  delivered_ns FROM deliveries WHERE run_id = :run_id "
        "  AND delivered_ns >= :t0 AND delivered_ns < :t1 "
        "ORDER BY delivered_ns, rowid",
        err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        int tid = tid_of(c, rep__col_str(st, 1));
        if (m < 0 || !tid)
            continue;
        char *name = g_strdup_printf("deliver %s", rep__col_str(st, 4));
        event(c, 'i', m + 1, tid, sqlite3_column_int64(st, 7));
        fprintf(c->f, ",\"s\":\"t\",\"cat\":\"%s\"", rep__model_name(m));
        field(c->f, "name", name);
        fprintf(c->f, ",\"args\":{\"seq\":%" PRId64 ",\"incarnation\":%" PRId64
                      ",\"replayed\":%d",
                (int64_t)sqlite3_column_int64(st, 3), (int64_t)sqlite3_column_int64(st, 2),
                sqlite3_column_int(st, 6));
        if (sqlite3_column_type(st, 5) != SQLITE_NULL)
            fprintf(c->f, ",\"zxid\":%" PRId64, (int64_t)sqlite3_column_int64(st, 5));
        fputs("}}", c->f);
        g_free(name);
    }
    return rep__done(c->db, st, err);
}

static bool drops(struct tr_ctx *c, GError **err)
{
    sqlite3_stmt *st = prepare_in_window(
        c,
        "SELECT model, host, msg_id, cause, t_ns FROM drops "
        "WHERE run_id = :run_id AND t_ns >= :t0 AND t_ns < :t1 "
        "ORDER BY t_ns, rowid",
        err);
    if (!st)
        return false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        int m = rep__model_of(rep__col_str(st, 0));
        int tid = tid_of(c, rep__col_str(st, 1));
        if (m < 0)
            continue;
        char *name = g_strdup_printf("drop %s", rep__col_str(st, 2));
        /* a drop not bound to a host belongs to the model's process as a whole */
        event(c, 'i', m + 1, tid, sqlite3_column_int64(st, 4));
        fprintf(c->f, ",\"s\":\"%s\",\"cat\":\"%s\"", tid ? "t" : "p", rep__model_name(m));
        field(c->f, "name", name);
        fputs(",\"args\":{\"cause\":", c->f);
        json_str(c->f, rep__col_str(st, 3));
        fputs("}}", c->f);
        g_free(name);
    }
    return rep__done(c->db, st, err);
}

/* ---- the file --------------------------------------------------------------------------- */

static bool write_trace(struct tr_ctx *c, GError **err)
{
    fputs("{\"displayTimeUnit\":\"ns\",\"otherData\":{\"scenario\":", c->f);
    json_str(c->f, c->run->scenario);
    fprintf(c->f, ",\"seed\":\"%" PRIu64 "\",\"run\":%" PRId64 ",\"zabsim\":", c->run->seed,
            c->run->run_id);
    json_str(c->f, c->run->version);
    fputs("},\n\"traceEvents\":[", c->f);
    tracks(c);
    faults(c);
    bool ok = states(c, err) && messages(c, err) && deliveries(c, err) && drops(c, err);
    fputs("\n]}\n", c->f);
    return ok;
}

bool rep_trace(sqlite3 *db, const struct rep_options *opts, const char *path, GError **err)
{
    struct rep_run run;
    if (!rep__run_load(db, opts->run_id, &run, err) || !rep__run_check(&run, opts, err)) {
        rep__run_clear(&run);
        return false;
    }
    struct tr_ctx c = { .db = db, .run = &run, .first = true,
                        .w = opts->window_set ? opts->window
                                              : (struct rep_window){ 0, SIM_TIME_NEVER } };
    c.f = rep__output_open(path, err);
    bool ok = c.f != NULL;
    if (ok) {
        c.tids = g_hash_table_new(g_str_hash, g_str_equal);
        ok = write_trace(&c, err);
        ok = rep__output_close(c.f, path, ok, err) && ok;
        g_hash_table_destroy(c.tids);
    }
    rep__run_clear(&run);
    return ok;
}
