/* check.c: `zabsim check`'s replay of one run's rows into its models' oracles (check.h).
 *
 * Each table that holds trace records is read by one cursor in trace order (rowid order is
 * insertion order, which is trace order; outcomes and a model's updates carry their own
 * trace position), every cursor yields the same normalized columns, and the cursors are
 * merged by trace_seq into one stream of records for world/verdict.c. */
#include "reports/check.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reports/db_internal.h"
#include "world/verdict.h"

/* Normalized columns every cursor returns. */
enum replay_col {
    COL_SEQ = 0, /* trace_seq */
    COL_MODEL,
    COL_T_NS,
    COL_HOST,    /* host name or NULL */
    COL_INCARNATION,
    COL_I1,
    COL_I2,
    COL_I3,
    COL_MSG_ID,  /* text or NULL */
    COL_S1,
    COL_S2,
};

/* What each cursor turns its rows into. */
enum replay_kind {
    REPLAY_STATE,      /* i1 epoch, s1 state, s2 phase */
    REPLAY_SUBMISSION, /* s1 attached host */
    REPLAY_OUTCOME,    /* s1 outcome */
    REPLAY_DELIVERY,   /* i1 seq, i2 zxid, i3 replayed */
    REPLAY_DROP,       /* s1 meant_for host, s2 cause */
    REPLAY_EVENT,      /* i1 a, i2 b, i3 flag; the cursor knows model and type */
};

/* The rows of run :run_id of a table, read in rowid order: a run's rows are contiguous (one
 * run is written, or copied, in one go), so the scan covers their rowid range instead of
 * going through an index and sorting. */
#define RUN_ROWS(table)                                                                    \
    " FROM " table " WHERE rowid BETWEEN (SELECT min(rowid) FROM " table                  \
    " WHERE run_id = :run_id) AND (SELECT max(rowid) FROM " table                          \
    " WHERE run_id = :run_id) AND +run_id = :run_id "

static const char *const base_sql[] = {
    [REPLAY_STATE] = "SELECT trace_seq, model, t_ns, host, incarnation, epoch, 0, 0, NULL, "
                     "state, phase" RUN_ROWS("host_states") "ORDER BY rowid",
    [REPLAY_SUBMISSION] = "SELECT trace_seq, model, submitted_ns, NULL, 0, 0, 0, 0, msg_id, "
                          "host, NULL" RUN_ROWS("submissions") "ORDER BY rowid",
    [REPLAY_OUTCOME] = "SELECT outcome_seq, model, outcome_ns, NULL, 0, 0, 0, 0, msg_id, "
                       "outcome, NULL" RUN_ROWS("submissions") "AND outcome_seq IS NOT NULL "
                       "ORDER BY outcome_seq",
    [REPLAY_DELIVERY] = "SELECT trace_seq, model, delivered_ns, host, incarnation, seq, "
                        "coalesce(zxid, -1), replayed, msg_id, NULL, NULL" RUN_ROWS("deliveries")
                        "ORDER BY rowid",
    [REPLAY_DROP] = "SELECT trace_seq, model, t_ns, NULL, 0, 0, 0, 0, msg_id, host, cause"
                    RUN_ROWS("drops") "ORDER BY rowid",
};

struct cursor {
    sqlite3_stmt *st;
    enum replay_kind kind;
    model_id model;   /* REPLAY_EVENT */
    uint16_t type;    /* REPLAY_EVENT */
    bool has_row;
    int64_t seq;
};

struct replay {
    sqlite3 *db;
    int64_t run_id;
    uint32_t n_hosts;
    char **host_names; /* NULL-terminated */
    unsigned models;
    GArray *cursors;   /* struct cursor */
};

/* ---- reading the run ------------------------------------------------------------------ */

static bool read_hosts(struct replay *rp, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rp->db, "SELECT host FROM hosts WHERE run_id = ?1 ORDER BY host_index",
                           -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, rp->db, "reading hosts");
        return false;
    }
    sqlite3_bind_int64(st, 1, rp->run_id);
    GPtrArray *names = g_ptr_array_new();
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        g_ptr_array_add(names, g_strdup(name ? name : ""));
    }
    sqlite3_finalize(st);
    rp->n_hosts = names->len;
    g_ptr_array_add(names, NULL);
    rp->host_names = (char **)g_ptr_array_free(names, FALSE);
    if (rc != SQLITE_DONE) {
        db__set_error(err, rp->db, "reading hosts");
        return false;
    }
    if (rp->n_hosts > 64) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "run %" PRId64 " has %u hosts; at most 64",
                    rp->run_id, rp->n_hosts);
        return false;
    }
    return true;
}

static bool read_models(struct replay *rp, GError **err)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(rp->db, "SELECT model FROM models WHERE run_id = ?1", -1, &st,
                           NULL) != SQLITE_OK) {
        db__set_error(err, rp->db, "reading models");
        return false;
    }
    sqlite3_bind_int64(st, 1, rp->run_id);
    int rc;
    bool ok = true;
    while (ok && (rc = sqlite3_step(st)) == SQLITE_ROW) {
        const char *name = (const char *)sqlite3_column_text(st, 0);
        int id = model_find(name);
        if (id < 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                        "run %" PRId64 " simulated model '%s', which this zabsim does not have",
                        rp->run_id, name ? name : "");
            ok = false;
        } else {
            rp->models |= 1u << id;
        }
    }
    if (ok && rc != SQLITE_DONE) {
        db__set_error(err, rp->db, "reading models");
        ok = false;
    }
    sqlite3_finalize(st);
    return ok;
}

static bool add_cursor(struct replay *rp, const char *sql, enum replay_kind kind,
                       model_id model, uint16_t type, GError **err)
{
    struct cursor c = { .kind = kind, .model = model, .type = type };
    if (sqlite3_prepare_v2(rp->db, sql, -1, &c.st, NULL) != SQLITE_OK) {
        db__set_error(err, rp->db, "reading the run's records");
        return false;
    }
    int param = sqlite3_bind_parameter_index(c.st, ":run_id");
    if (param > 0)
        sqlite3_bind_int64(c.st, param, rp->run_id);
    g_array_append_val(rp->cursors, c);
    return true;
}

/* A model's replay_sql, reshaped into the normalized columns. */
static bool add_event_cursor(struct replay *rp, model_id id, uint16_t type, GError **err)
{
    const struct model_event *e = &model_get(id)->events[type];
    char *sql = g_strdup_printf("WITH x (c0, c1, c2, c3, c4, c5, c6, c7) AS (%s) "
                                "SELECT c0, '%s', c1, c2, c3, c5, c6, c7, c4, NULL, NULL "
                                "FROM x ORDER BY c0",
                                e->replay_sql, model_get(id)->name);
    bool ok = add_cursor(rp, sql, REPLAY_EVENT, id, type, err);
    g_free(sql);
    return ok;
}

static bool open_cursors(struct replay *rp, GError **err)
{
    for (size_t k = 0; k < G_N_ELEMENTS(base_sql); k++) {
        if (!add_cursor(rp, base_sql[k], (enum replay_kind)k, 0, 0, err))
            return false;
    }
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        for (size_t t = 1; (rp->models & (1u << id)) && t < d->n_events; t++) {
            if (!add_event_cursor(rp, id, (uint16_t)t, err))
                return false;
        }
    }
    return true;
}

/* ---- rows into records ------------------------------------------------------------------ */

static const char *text(sqlite3_stmt *st, int col)
{
    return (const char *)sqlite3_column_text(st, col);
}

static bool host_index(const struct replay *rp, const char *name, bool required, int32_t *out,
                       GError **err)
{
    *out = -1;
    if (!name && !required)
        return true;
    for (uint32_t h = 0; name && h < rp->n_hosts; h++) {
        if (strcmp(rp->host_names[h], name) == 0) {
            *out = (int32_t)h;
            return true;
        }
    }
    g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "run %" PRId64 ": a row names host '%s', which "
                "is not in its hosts table", rp->run_id, name ? name : "NULL");
    return false;
}

/* Reads a whole decimal number of at most 32 bits at *s, advancing it. */
static bool parse_u32(const char **s, uint32_t *out)
{
    uint64_t v = 0;
    const char *p = *s;
    while (*p >= '0' && *p <= '9' && v <= UINT32_MAX)
        v = v * 10 + (uint64_t)(*p++ - '0');
    if (p == *s || v > UINT32_MAX)
        return false;
    *s = p;
    *out = (uint32_t)v;
    return true;
}

/* "c<client>:<seq>" (by hand: sscanf was a twentieth of a check). */
static bool parse_msg_id(const char *s, msg_id_t *out)
{
    *out = MSG_ID_NONE;
    if (!s)
        return true;
    uint32_t client = 0, seq = 0;
    if (*s++ != 'c' || !parse_u32(&s, &client) || *s++ != ':' || !parse_u32(&s, &seq) || *s)
        return false;
    *out = msg_id_make(client, seq);
    return true;
}

/* Index of name among a model's names (name_of(0..255)), or -1; NULL matches index 0 when
 * index 0 has no name (phase none), and is the only name of a model without that vocabulary
 * (name_of NULL: pub/sub has no phases). */
static int name_index(const char *(*name_of)(uint8_t), const char *name)
{
    if (!name_of)
        return name ? -1 : 0;
    for (int i = 0; i < 256; i++) {
        const char *n = name_of((uint8_t)i);
        if ((n && name && strcmp(n, name) == 0) || (!n && !name && i == 0))
            return i;
    }
    return -1;
}

static int outcome_index(const char *name)
{
    for (int o = TRACE_OUTCOME_PENDING; o <= TRACE_OUTCOME_TIMEOUT; o++) {
        if (name && strcmp(outcome_name((enum outcome)o), name) == 0)
            return o;
    }
    return -1;
}

static bool bad_value(const struct replay *rp, const char *what, const char *value, GError **err)
{
    g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "run %" PRId64 ": unknown %s '%s'", rp->run_id,
                what, value ? value : "NULL");
    return false;
}

static bool fill_kind(const struct replay *rp, const struct cursor *c, const struct model_desc *d,
                      struct trace_rec *r, GError **err)
{
    sqlite3_stmt *st = c->st;
    int v;
    switch (c->kind) {
    case REPLAY_STATE:
        r->kind = TRACE_STATE;
        r->u.state.epoch = sqlite3_column_int64(st, COL_I1);
        if ((v = name_index(d->state_name, text(st, COL_S1))) < 0)
            return bad_value(rp, "state", text(st, COL_S1), err);
        r->u.state.state = (uint8_t)v;
        if ((v = name_index(d->phase_name, text(st, COL_S2))) < 0)
            return bad_value(rp, "phase", text(st, COL_S2), err);
        r->u.state.phase = (uint8_t)v;
        return true;
    case REPLAY_SUBMISSION:
        r->kind = TRACE_SUBMISSION;
        r->u.submission.msg_id = r->u.event.msg_id;
        r->u.submission.client = msg_id_client(r->u.submission.msg_id);
        return host_index(rp, text(st, COL_S1), false, &r->u.submission.host, err);
    case REPLAY_OUTCOME:
        r->kind = TRACE_OUTCOME;
        r->u.outcome.msg_id = r->u.event.msg_id;
        if ((v = outcome_index(text(st, COL_S1))) < 0)
            return bad_value(rp, "outcome", text(st, COL_S1), err);
        r->u.outcome.outcome = (enum outcome)v;
        return true;
    case REPLAY_DELIVERY: {
        msg_id_t id = r->u.event.msg_id;
        r->kind = TRACE_DELIVERY;
        r->u.delivery = (typeof(r->u.delivery)){
            .seq = (uint64_t)sqlite3_column_int64(st, COL_I1), .msg_id = id,
            .log_id = sqlite3_column_int64(st, COL_I2),
            .replayed = sqlite3_column_int(st, COL_I3) != 0 };
        return true;
    }
    case REPLAY_DROP:
        r->kind = TRACE_DROP;
        r->u.drop.msg_id = r->u.event.msg_id;
        if ((v = name_index(d->drop_cause_name, text(st, COL_S2))) < 0)
            return bad_value(rp, "drop cause", text(st, COL_S2), err);
        r->u.drop.cause = (uint8_t)v;
        return host_index(rp, text(st, COL_S1), false, &r->u.drop.meant_for, err);
    case REPLAY_EVENT: {
        msg_id_t id = r->u.event.msg_id;
        r->kind = TRACE_EVENT;
        r->u.event = (typeof(r->u.event)){ .type = c->type, .msg_id = id,
                                           .a = sqlite3_column_int64(st, COL_I1),
                                           .b = sqlite3_column_int64(st, COL_I2),
                                           .flag = sqlite3_column_int(st, COL_I3) != 0 };
        return true;
    }
    }
    return false;
}

/* The record of c's current row. The msg_id is parsed into u.event.msg_id first and moved
 * to its kind's field by fill_kind. */
static bool to_record(const struct replay *rp, const struct cursor *c, struct trace_rec *r,
                      GError **err)
{
    sqlite3_stmt *st = c->st;
    memset(r, 0, sizeof *r);
    const char *model = text(st, COL_MODEL);
    int id = model_find(model);
    if (id < 0)
        return bad_value(rp, "model", model, err);
    r->model = (model_id)id;
    r->t_ns = sqlite3_column_int64(st, COL_T_NS);
    r->incarnation = (uint32_t)sqlite3_column_int64(st, COL_INCARNATION);
    if (!host_index(rp, text(st, COL_HOST), false, &r->host, err))
        return false;
    msg_id_t msg_id;
    if (!parse_msg_id(text(st, COL_MSG_ID), &msg_id))
        return bad_value(rp, "msg_id", text(st, COL_MSG_ID), err);
    r->u.event.msg_id = msg_id;
    return fill_kind(rp, c, model_get(r->model), r, err);
}

/* ---- the merge ----------------------------------------------------------------------------- */

static bool advance(struct replay *rp, struct cursor *c, GError **err)
{
    int rc = sqlite3_step(c->st);
    c->has_row = rc == SQLITE_ROW;
    if (c->has_row)
        c->seq = sqlite3_column_int64(c->st, COL_SEQ);
    else if (rc != SQLITE_DONE) {
        db__set_error(err, rp->db, "reading the run's records");
        return false;
    }
    return true;
}

static bool replay_all(struct replay *rp, struct recorder *rec, GError **err)
{
    for (guint i = 0; i < rp->cursors->len; i++) {
        if (!advance(rp, &g_array_index(rp->cursors, struct cursor, i), err))
            return false;
    }
    for (;;) {
        struct cursor *next = NULL;
        for (guint i = 0; i < rp->cursors->len; i++) { /* few cursors: a scan beats a heap */
            struct cursor *c = &g_array_index(rp->cursors, struct cursor, i);
            if (c->has_row && (!next || c->seq < next->seq))
                next = c;
        }
        if (!next)
            return true;
        struct trace_rec r;
        if (!to_record(rp, next, &r, err))
            return false;
        rec->record(rec->ctx, &r);
        if (!advance(rp, next, err))
            return false;
    }
}

static void replay_clear(struct replay *rp)
{
    for (guint i = 0; rp->cursors && i < rp->cursors->len; i++)
        sqlite3_finalize(g_array_index(rp->cursors, struct cursor, i).st);
    if (rp->cursors)
        g_array_free(rp->cursors, TRUE);
    g_strfreev(rp->host_names);
}

bool check_run(sqlite3 *db, int64_t run_id, struct oracle_result *res, GError **err)
{
    struct replay rp = { .db = db, .run_id = run_id,
                         .cursors = g_array_new(FALSE, FALSE, sizeof(struct cursor)) };
    res->violations = NULL;
    res->found = 0;
    bool ok = read_hosts(&rp, err) && read_models(&rp, err) && open_cursors(&rp, err);
    if (ok) {
        struct verdict *v = verdict_new(rp.models, rp.n_hosts, (const char *const *)rp.host_names);
        struct recorder rec = verdict_recorder(v);
        ok = replay_all(&rp, &rec, err);
        struct oracle_result found;
        verdict_finish(v, &found);
        verdict_free(v);
        if (ok)
            *res = found;
        else
            oracle_result_clear(&found);
    }
    replay_clear(&rp);
    return ok;
}
