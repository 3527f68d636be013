/* check.c: runs every invariant check of one run and collects what they find.
 *
 * reports/checks.sql holds the checks over the small tables (proposals, host states,
 * truncations) and the TEMP views that format evidence rows; the checks that look at every
 * delivery are C (reports/db_check_order.c, reports/db_check_history.c) over the run's ZAB
 * sequences loaded once. All of them report to one collector, which counts everything,
 * lists at most CHECK_LISTED_MAX violations per invariant and orders the result by
 * invariant, each in the order its check produced them (every check orders its output). */
#include "reports/check.h"

#include <inttypes.h>
#include <string.h>

#include "reports/db_internal.h"

const char *const check_invariants[CHECK_INVARIANT_COUNT] = {
    [CHECK_INTEGRITY] = "integrity",
    [CHECK_TOTAL_ORDER] = "total_order",
    [CHECK_AGREEMENT] = "agreement",
    [CHECK_LOCAL_PRIMARY_ORDER] = "local_primary_order",
    [CHECK_GLOBAL_PRIMARY_ORDER] = "global_primary_order",
    [CHECK_PRIMARY_INTEGRITY] = "primary_integrity",
    [CHECK_DURABILITY] = "durability",
    [CHECK_COMMITTED_LOG_DURABILITY] = "committed_log_durability",
    [CHECK_ONE_LEADER_PER_EPOCH] = "one_leader_per_epoch",
    [CHECK_ZXID_MONOTONIC] = "zxid_monotonic",
};

/* The TEMP views of checks.sql that format each kind of evidence row. */
static const char *const evidence_views[DB_EVIDENCE_COUNT] = {
    [DB_EVIDENCE_DELIVERY] = "evidence_deliveries",
    [DB_EVIDENCE_PROPOSAL] = "evidence_proposals",
    [DB_EVIDENCE_SUBMISSION] = "evidence_submissions",
    [DB_EVIDENCE_HOST] = "evidence_hosts",
};

struct check_ctx {
    sqlite3 *db;
    int64_t run_id;
    GPtrArray *listed[CHECK_INVARIANT_COUNT];
    int64_t found[CHECK_INVARIANT_COUNT];
    sqlite3_stmt *evidence[DB_EVIDENCE_COUNT];
};

static void violation_free(gpointer p)
{
    struct check_violation *v = p;
    g_free(v->detail);
    g_free(v->evidence);
    g_free(v);
}

sqlite3 *check__db(const struct check_ctx *c)
{
    return c->db;
}

int64_t check__run_id(const struct check_ctx *c)
{
    return c->run_id;
}

bool check__count(struct check_ctx *c, enum check_invariant inv)
{
    return ++c->found[inv] <= CHECK_LISTED_MAX;
}

static struct check_violation *new_violation(enum check_invariant inv, char *detail,
                                             GString *evidence)
{
    struct check_violation *v = g_new(struct check_violation, 1);
    *v = (struct check_violation){ .invariant = check_invariants[inv],
                                   .detail = detail,
                                   .evidence = g_string_free(evidence, FALSE) };
    return v;
}

void check__list(struct check_ctx *c, enum check_invariant inv, char *detail,
                 GString *evidence)
{
    g_ptr_array_add(c->listed[inv], new_violation(inv, detail, evidence));
}

bool check__evidence(struct check_ctx *c, enum db_evidence table, int64_t row_id,
                     GString *out, GError **err)
{
    if (!c->evidence[table]) {
        char *sql = g_strdup_printf("SELECT text FROM %s WHERE row_id = ?1",
                                    evidence_views[table]);
        int rc = sqlite3_prepare_v2(c->db, sql, -1, &c->evidence[table], NULL);
        g_free(sql);
        if (rc != SQLITE_OK) {
            db__set_error(err, c->db, "formatting evidence");
            return false;
        }
    }
    sqlite3_stmt *st = c->evidence[table];
    sqlite3_bind_int64(st, 1, row_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW)
        g_string_append_printf(out, "%s%s", out->len ? "\n" : "", sqlite3_column_text(st, 0));
    sqlite3_reset(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        db__set_error(err, c->db, "formatting evidence");
        return false;
    }
    return true;
}

/* A row of a checks.sql query: (invariant, detail, evidence). */
static bool collect_sql_row(void *ctx, sqlite3_stmt *row, GError **err)
{
    struct check_ctx *c = ctx;
    const char *name = (const char *)sqlite3_column_text(row, 0);
    int inv = -1;
    for (int i = 0; name && sqlite3_column_count(row) == 3 && i < CHECK_INVARIANT_COUNT; i++) {
        if (strcmp(check_invariants[i], name) == 0)
            inv = i;
    }
    if (inv < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                    "checks.sql: a check returned a row that does not name an invariant");
        return false;
    }
    if (check__count(c, inv)) {
        const char *detail = (const char *)sqlite3_column_text(row, 1);
        const char *evidence = (const char *)sqlite3_column_text(row, 2);
        check__list(c, inv, g_strdup(detail ? detail : ""),
                    g_string_new(evidence ? evidence : ""));
    }
    return true;
}

/* Moves the listed violations into res in invariant order, each invariant's list followed
 * by a note of how many more were found. */
static void gather(struct check_ctx *c, struct check_result *res)
{
    for (int i = 0; i < CHECK_INVARIANT_COUNT; i++) {
        for (guint k = 0; k < c->listed[i]->len; k++)
            g_ptr_array_add(res->violations, g_ptr_array_index(c->listed[i], k));
        g_ptr_array_set_free_func(c->listed[i], NULL);
        if (c->found[i] > CHECK_LISTED_MAX) {
            char *detail = g_strdup_printf("%" PRId64 " more violations of %s not listed",
                                           c->found[i] - CHECK_LISTED_MAX, check_invariants[i]);
            g_ptr_array_add(res->violations, new_violation(i, detail, g_string_new(NULL)));
        }
        res->found += c->found[i];
    }
}

static bool run_checks(struct check_ctx *c, struct db_seqs *zab, GError **err)
{
    /* checks.sql first: it creates the evidence views the checks in C use. */
    return db_exec_rows(c->db, "checks.sql", embedded_checks_sql, c->run_id, collect_sql_row,
                        c, err) &&
           check__integrity(c, zab, err) && check__total_order(c, zab, err) &&
           check__agreement(c, zab, err) && check__zxid_steps(c, zab, err) &&
           check__primary_integrity(c, zab, err) && check__durability(c, zab, err);
}

bool check__run_seqs(sqlite3 *db, int64_t run_id, struct db_seqs *zab,
                     struct check_result *res, GError **err)
{
    struct check_ctx c = { .db = db, .run_id = run_id };
    for (int i = 0; i < CHECK_INVARIANT_COUNT; i++)
        c.listed[i] = g_ptr_array_new_with_free_func(violation_free);
    res->violations = g_ptr_array_new_with_free_func(violation_free);
    res->found = 0;
    bool ok = run_checks(&c, zab, err);
    if (ok)
        gather(&c, res);
    for (int i = 0; i < CHECK_INVARIANT_COUNT; i++)
        g_ptr_array_free(c.listed[i], TRUE);
    for (int i = 0; i < DB_EVIDENCE_COUNT; i++)
        sqlite3_finalize(c.evidence[i]);
    if (!ok)
        check_result_clear(res);
    return ok;
}

bool check_run(sqlite3 *db, int64_t run_id, struct check_result *res, GError **err)
{
    struct db_seqs zab;
    if (!db_seqs_load(db, run_id, "zab", &zab, err)) {
        res->violations = NULL;
        res->found = 0;
        return false;
    }
    bool ok = check__run_seqs(db, run_id, &zab, res, err);
    db_seqs_clear(&zab);
    return ok;
}

void check_result_clear(struct check_result *res)
{
    if (res->violations)
        g_ptr_array_free(res->violations, TRUE);
    res->violations = NULL;
    res->found = 0;
}
