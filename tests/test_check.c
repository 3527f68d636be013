/* test_check.c: the ordering invariants (reports/check.c, reports/checks.sql) and `zabsim
 * check`. A correct history passes every check; each broken history, recorded through the
 * database recorder exactly as a run would be, must be reported under the invariant it
 * breaks and no other (one exception, explained at the total-order test). */
#include <glib/gstdio.h>
#include <string.h>

#include "reports/check.h"
#include "reports/db.h"
#include "tests/harness.h"

#define ZXID(epoch, counter) (((int64_t)(epoch) << 32) | (counter))
#define MSG(client, seq) msg_id_make(client, seq)

/* Host indices of the three-host histories. */
enum { H1, H2, H3, N_HOSTS };
static const char *const host_names[N_HOSTS] = { "h1", "h2", "h3" };

/* ---- recording histories ------------------------------------------------------------- */

struct history {
    char *dir;
    char *path;
    struct db_run *run;
    struct recorder rec;
};

static void history_open(struct history *h, const char *name)
{
    GError *err = NULL;
    h->dir = g_dir_make_tmp("zabsim-check-XXXXXX", &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->dir);
    h->path = g_strdup_printf("%s/%s.db", h->dir, name);
    h->run = db_run_create(h->path, host_names, N_HOSTS, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->run);
    h->rec = db_run_recorder(h->run);
}

static void emit(struct history *h, struct trace_rec r)
{
    h->rec.record(h->rec.ctx, &r);
}

static void state(struct history *h, sim_time t, int host, uint32_t inc,
                  enum zab_server_state st, enum zab_phase phase, int64_t epoch)
{
    emit(h, (struct trace_rec){ .kind = TRACE_HOST_STATE, .t_ns = t, .host = host,
                                .incarnation = inc,
                                .u.host_state = { st, phase, epoch } });
}

static void submit(struct history *h, sim_time t, enum sim_model model, msg_id_t m, int host)
{
    emit(h, (struct trace_rec){ .kind = TRACE_SUBMISSION, .t_ns = t, .host = -1,
                                .u.submission = { model, m, msg_id_client(m), host } });
}

static void outcome(struct history *h, sim_time t, enum sim_model model, msg_id_t m,
                    enum submission_outcome o)
{
    emit(h, (struct trace_rec){ .kind = TRACE_OUTCOME, .t_ns = t, .host = -1,
                                .u.outcome = { model, m, o } });
}

static void propose(struct history *h, sim_time t, int host, int64_t epoch, int64_t zxid,
                    msg_id_t m)
{
    emit(h, (struct trace_rec){ .kind = TRACE_PROPOSAL, .t_ns = t, .host = host,
                                .incarnation = 1, .u.proposal = { epoch, zxid, m } });
}

static void commit(struct history *h, sim_time t, int host, int64_t zxid)
{
    emit(h, (struct trace_rec){ .kind = TRACE_COMMIT, .t_ns = t, .host = host,
                                .incarnation = 1, .u.commit = { zxid } });
}

static void deliver(struct history *h, sim_time t, enum sim_model model, int host,
                    uint64_t seq, msg_id_t m, int64_t zxid)
{
    emit(h, (struct trace_rec){ .kind = TRACE_DELIVERY, .t_ns = t, .host = host,
                                .incarnation = 1,
                                .u.delivery = { model, seq, m, zxid, false } });
}

static void truncate_entry(struct history *h, sim_time t, int host, int64_t zxid, msg_id_t m)
{
    emit(h, (struct trace_rec){ .kind = TRACE_TRUNCATE, .t_ns = t, .host = host,
                                .incarnation = 1, .u.truncate = { zxid, m, true } });
}

static void fault(struct history *h, sim_time t, enum fault_kind kind, const char *target)
{
    emit(h, (struct trace_rec){ .kind = TRACE_FAULT, .t_ns = t, .host = -1,
                                .u.fault = { kind, target, "test" } });
}

/* h1 down; h2 leading and h3 following, both in BROADCAST. */
static const struct db_host_end end_states[N_HOSTS] = {
    { "h1", false, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE },
    { "h2", true, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST },
    { "h3", true, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST },
};

static void history_finish_with(struct history *h, const char *scenario,
                                const struct db_host_end *ends)
{
    struct db_run_meta meta = { .scenario = scenario, .description = "test history",
                                .seed = 1, .hosts = N_HOSTS, .duration_ns = 1000,
                                .model = "both" };
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(db_run_finish(h->run, &meta, ends, &err));
}

static void history_finish(struct history *h, const char *scenario)
{
    history_finish_with(h, scenario, end_states);
}

/* Commits the run to h->path (or into an existing database there). */
static void history_commit(struct history *h)
{
    GError *err = NULL;
    CU_ASSERT_TRUE(db_run_commit(h->run, db_run_violations(h->run) ? "fail" : "pass", NULL,
                                 &err));
    h->run = NULL;
}

static void history_close(struct history *h)
{
    if (h->run)
        db_run_abort(h->run);
    g_unlink(h->path);
    g_rmdir(h->dir);
    g_free(h->path);
    g_free(h->dir);
}

/* ---- the reference history and its broken variants ------------------------------------- */

/* Epoch 1: h1 leads and commits a, b, c; every host delivers them. h1 crashes; epoch 2: h2
 * leads and commits d, which h2 and h3 deliver. Pub/sub gets the same messages and loses,
 * duplicates and reorders some of them, which is reported but never a violation. */
enum variant {
    GOOD,
    DISAGREE_AT_ONE_SEQ,
    LOST_ACKED_WRITE,
    TWO_LEADERS,
    ZXID_BACKWARDS,
    NEVER_PROPOSED,
    COUNTER_GAP,
    EPOCH_BACKWARDS,
    LEADER_MISSING_TXN,
    TRUNCATED_COMMITTED,
    NEVER_SUBMITTED,
    EPOCH_STARTS_LATE,
    RETRIED_WRITE,
};

static const msg_id_t A = ((int64_t)1 << 32) | 1, B = ((int64_t)1 << 32) | 2,
                      C = ((int64_t)1 << 32) | 3, D = ((int64_t)1 << 32) | 4;

static void epoch_one(struct history *h, enum variant v)
{
    for (int host = H1; host < N_HOSTS; host++)
        state(h, 0, host, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 0);
    state(h, 10, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    state(h, 10, H2, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    state(h, 10, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    const msg_id_t msgs[] = { A, B, C };
    for (int i = 0; i < 3; i++) {
        submit(h, 20 + i, MODEL_ZAB, msgs[i], H1);
        propose(h, 30 + i, H1, 1, ZXID(1, i + 1), msgs[i]);
        if (v == COUNTER_GAP && msgs[i] == B) {
            outcome(h, 90, MODEL_ZAB, B, OUTCOME_TIMEOUT);
            continue;
        }
        commit(h, 40 + i, H1, ZXID(1, i + 1));
        outcome(h, 45 + i, MODEL_ZAB, msgs[i], OUTCOME_ACKED);
    }
}

/* Deliveries of epoch 1 at one host: a, b, c at seq 1..3 (or the variant's version). */
static void deliver_epoch_one(struct history *h, enum variant v, int host)
{
    sim_time t = 50 + 3 * host;
    if (v == COUNTER_GAP) {
        deliver(h, t, MODEL_ZAB, host, 1, A, ZXID(1, 1));
        deliver(h, t + 1, MODEL_ZAB, host, 2, C, ZXID(1, 3));
        return;
    }
    deliver(h, t, MODEL_ZAB, host, 1, A, ZXID(1, 1));
    deliver(h, t + 1, MODEL_ZAB, host, 2, B, ZXID(1, 2));
    if (v == DISAGREE_AT_ONE_SEQ && host == H1) /* h1 holds d where the others hold c */
        deliver(h, t + 2, MODEL_ZAB, host, 3, D, ZXID(2, 1));
    else if (v == EPOCH_BACKWARDS) {
        /* d (epoch 2) before c (epoch 1) at h2 and h3, while h1 stops after b; h2 delivers
         * before it proposes, so only the order breaks, not h2's knowledge of epoch 1 */
        if (host != H1) {
            deliver(h, t + 2, MODEL_ZAB, host, 3, D, ZXID(2, 1));
            deliver(h, t + 3, MODEL_ZAB, host, 4, C, ZXID(1, 3));
        }
    } else if (v == LEADER_MISSING_TXN && host == H2)
        deliver(h, 315, MODEL_ZAB, host, 3, C, ZXID(1, 3)); /* after its first proposal */
    else
        deliver(h, t + 2, MODEL_ZAB, host, 3, C, ZXID(1, 3));
}

static void epoch_two(struct history *h, enum variant v)
{
    fault(h, 100, FAULT_CRASH, "h1");
    state(h, 100, H1, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    if (v == TRUNCATED_COMMITTED) /* h1 removes c, committed at 42 */
        truncate_entry(h, 90, H1, ZXID(1, 3), C);
    state(h, 150, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, 2);
    state(h, 200, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
    state(h, 200, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    if (v == TWO_LEADERS) {
        state(h, 210, H3, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
        state(h, 220, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    }
    /* d, or in RETRIED_WRITE a client's second submission of a, committed again */
    msg_id_t d = v == RETRIED_WRITE ? A : D;
    int64_t zxid = ZXID(2, v == EPOCH_STARTS_LATE ? 2 : 1);
    submit(h, 300, MODEL_ZAB, d, H2);
    propose(h, 310, H2, 2, zxid, d);
    commit(h, 320, H2, zxid);
    outcome(h, 325, MODEL_ZAB, d, OUTCOME_ACKED);
    if (v == ZXID_BACKWARDS) {
        propose(h, 340, H2, 2, ZXID(2, 3), MSG(2, 1));
        propose(h, 341, H2, 2, ZXID(2, 2), MSG(2, 2));
    }
    if (v != EPOCH_BACKWARDS) {
        uint64_t seq = v == COUNTER_GAP ? 3 : 4;
        deliver(h, 330, MODEL_ZAB, H2, seq, d, zxid);
        if (v != LOST_ACKED_WRITE)
            deliver(h, 331, MODEL_ZAB, H3, seq, d, zxid);
    }
    if (v == NEVER_SUBMITTED) { /* proposed and committed, but no client offered it */
        propose(h, 350, H2, 2, ZXID(2, 2), MSG(9, 1));
        commit(h, 360, H2, ZXID(2, 2));
    }
    if (v == NEVER_PROPOSED || v == NEVER_SUBMITTED) {
        deliver(h, 400, MODEL_ZAB, H2, 5, MSG(9, 1), ZXID(2, 2));
        deliver(h, 401, MODEL_ZAB, H3, 5, MSG(9, 1), ZXID(2, 2));
    }
}

/* Pub/sub: every message acked; h2 gets b before a, h3 gets b twice, d reaches nobody. */
static void pubsub(struct history *h)
{
    const msg_id_t msgs[] = { A, B, C, D };
    for (int i = 0; i < 4; i++) {
        submit(h, 20 + i, MODEL_PUBSUB, msgs[i], H1);
        outcome(h, 21 + i, MODEL_PUBSUB, msgs[i], OUTCOME_ACKED);
    }
    deliver(h, 60, MODEL_PUBSUB, H2, 1, B, -1);
    deliver(h, 61, MODEL_PUBSUB, H2, 2, A, -1);
    deliver(h, 60, MODEL_PUBSUB, H3, 1, A, -1);
    deliver(h, 61, MODEL_PUBSUB, H3, 2, B, -1);
    deliver(h, 62, MODEL_PUBSUB, H3, 3, B, -1);
}

static void record_history(struct history *h, enum variant v)
{
    epoch_one(h, v);
    for (int host = H1; host < N_HOSTS; host++)
        deliver_epoch_one(h, v, host);
    epoch_two(h, v);
    pubsub(h);
}

/* The invariants a run breaks, as "name,name,..." in report order ("" when none). */
static char *broken_invariants(sqlite3 *db, int64_t run_id, int64_t *found)
{
    struct check_result res;
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(check_run(db, run_id, &res, &err));
    GString *names = g_string_new(NULL);
    for (guint i = 0; i < res.violations->len; i++) {
        const struct check_violation *v = g_ptr_array_index(res.violations, i);
        CU_ASSERT_TRUE(v->detail[0] != '\0');
        if (!strstr(v->detail, "more violations"))
            CU_ASSERT_TRUE(v->evidence[0] != '\0');
        if (i == 0 || strcmp(v->invariant, ((const struct check_violation *)g_ptr_array_index(
                                               res.violations, i - 1))
                                               ->invariant) != 0)
            g_string_append_printf(names, "%s%s", names->len ? "," : "", v->invariant);
    }
    if (found)
        *found = res.found;
    check_result_clear(&res);
    return g_string_free(names, FALSE);
}

/* Records variant v and asserts that exactly `expect` is reported, both by check_run and in
 * the violations table the run wrote. */
static void expect_broken(enum variant v, const char *expect)
{
    struct history h;
    history_open(&h, "variant");
    record_history(&h, v);
    history_finish(&h, "variant");
    sqlite3 *db = db_run_handle(h.run);
    int64_t found = 0;
    char *names = broken_invariants(db, 1, &found);
    CU_ASSERT_STRING_EQUAL(names, expect);
    CU_ASSERT_EQUAL(db_run_violations(h.run), found);
    if (strcmp(names, expect) != 0)
        fprintf(stderr, "\nvariant %d: expected '%s', got '%s'\n", v, expect, names);
    g_free(names);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT group_concat(DISTINCT invariant) FROM violations", -1, &st,
                       NULL);
    CU_ASSERT_EQUAL(sqlite3_step(st), SQLITE_ROW);
    const char *table = (const char *)sqlite3_column_text(st, 0);
    CU_ASSERT_STRING_EQUAL(table ? table : "", expect);
    sqlite3_finalize(st);
    history_close(&h);
}

static void test_correct_history_passes_every_check(void)
{
    expect_broken(GOOD, "");
}

static void test_disagreement_at_one_seq_is_agreement(void)
{
    expect_broken(DISAGREE_AT_ONE_SEQ, "agreement");
}

static void test_lost_acked_write_is_durability(void)
{
    expect_broken(LOST_ACKED_WRITE, "durability");
}

static void test_two_leaders_in_one_epoch(void)
{
    expect_broken(TWO_LEADERS, "one_leader_per_epoch");
}

static void test_zxid_going_backwards_is_zxid_monotonic(void)
{
    expect_broken(ZXID_BACKWARDS, "zxid_monotonic");
}

static void test_delivery_never_proposed_is_integrity(void)
{
    expect_broken(NEVER_PROPOSED, "integrity");
}

static void test_counter_gap_is_local_primary_order(void)
{
    expect_broken(COUNTER_GAP, "local_primary_order");
}

static void test_epoch_going_backwards_is_global_primary_order(void)
{
    expect_broken(EPOCH_BACKWARDS, "global_primary_order");
}

static void test_leader_missing_committed_txn_is_primary_integrity(void)
{
    expect_broken(LEADER_MISSING_TXN, "primary_integrity");
}

static void test_truncated_committed_entry_is_committed_log_durability(void)
{
    expect_broken(TRUNCATED_COMMITTED, "committed_log_durability");
}

static void test_delivery_never_submitted_is_integrity(void)
{
    expect_broken(NEVER_SUBMITTED, "integrity");
}

static void test_epoch_starting_after_counter_one_is_local_primary_order(void)
{
    expect_broken(EPOCH_STARTS_LATE, "local_primary_order");
}

/* A write committed twice (a client's retry) is a duplicate delivery, not an ordering
 * violation: orders compare first deliveries. */
static void test_retried_write_committed_twice_breaks_nothing(void)
{
    expect_broken(RETRIED_WRITE, "");
    /* ... and the summary counts it once, as duplicates at h2 and h3, without reordering. */
    struct history h;
    history_open(&h, "retried");
    record_history(&h, RETRIED_WRITE);
    history_finish(&h, "retried");
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db_run_handle(h.run),
                       "SELECT duplicates, order_disagreements FROM run_summary "
                       "WHERE model = 'zab'",
                       -1, &st, NULL);
    CU_ASSERT_EQUAL_FATAL(sqlite3_step(st), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), 2);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 1), 0);
    sqlite3_finalize(st);
    history_close(&h);
}

/* Durability binds only hosts serving at the end: h1, back up but still electing, lacks d
 * and that is fine. */
static void test_host_not_serving_at_end_is_not_bound_by_durability(void)
{
    static const struct db_host_end ends[N_HOSTS] = {
        { "h1", true, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION },
        { "h2", true, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST },
        { "h3", true, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST },
    };
    struct history h;
    history_open(&h, "electing");
    record_history(&h, GOOD);
    history_finish_with(&h, "electing", ends);
    char *names = broken_invariants(db_run_handle(h.run), 1, NULL);
    CU_ASSERT_STRING_EQUAL(names, "");
    g_free(names);
    history_close(&h);
}

/* A total-order inversion cannot come alone in ZAB: seq is a position in one history, so
 * two host incarnations that order a and b differently also disagree at those positions
 * (agreement). The history: epoch 1 (h1) commits a, b and h1, h2 deliver them; epoch 2 (h2,
 * after delivering epoch 1) re-proposes b then a, and h3, which missed epoch 1, delivers
 * them in that order. Everything else (zxids, proposals, epochs) is consistent. */
static void test_total_order_inversion_between_two_hosts(void)
{
    struct history h;
    history_open(&h, "inversion");
    for (int host = H1; host < N_HOSTS; host++)
        state(&h, 0, host, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 0);
    state(&h, 10, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    submit(&h, 20, MODEL_ZAB, A, H1);
    submit(&h, 21, MODEL_ZAB, B, H1);
    propose(&h, 30, H1, 1, ZXID(1, 1), A);
    propose(&h, 31, H1, 1, ZXID(1, 2), B);
    commit(&h, 40, H1, ZXID(1, 1));
    commit(&h, 41, H1, ZXID(1, 2));
    outcome(&h, 45, MODEL_ZAB, A, OUTCOME_ACKED);
    outcome(&h, 46, MODEL_ZAB, B, OUTCOME_ACKED);
    for (int host = H1; host <= H2; host++) {
        deliver(&h, 50, MODEL_ZAB, host, 1, A, ZXID(1, 1));
        deliver(&h, 51, MODEL_ZAB, host, 2, B, ZXID(1, 2));
    }
    state(&h, 100, H1, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    state(&h, 200, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
    state(&h, 200, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    propose(&h, 300, H2, 2, ZXID(2, 1), B);
    propose(&h, 301, H2, 2, ZXID(2, 2), A);
    deliver(&h, 310, MODEL_ZAB, H3, 1, B, ZXID(2, 1));
    deliver(&h, 311, MODEL_ZAB, H3, 2, A, ZXID(2, 2));
    history_finish(&h, "inversion");
    char *names = broken_invariants(db_run_handle(h.run), 1, NULL);
    CU_ASSERT_STRING_EQUAL(names, "total_order,agreement");
    g_free(names);

    /* The evidence names both orders: h1 a-then-b against h3 b-then-a. */
    struct check_result res;
    CU_ASSERT_TRUE_FATAL(check_run(db_run_handle(h.run), 1, &res, NULL));
    const struct check_violation *first = g_ptr_array_index(res.violations, 0);
    CU_ASSERT_STRING_EQUAL(first->detail,
                           "h1#1 delivered c1:1 (seq 1) before c1:2 (seq 2), but h3#1 "
                           "delivered c1:2 (seq 1) before c1:1 (seq 2)");
    CU_ASSERT_EQUAL(res.found, 3); /* h1-h3, h2-h3, and the agreement stretch */
    check_result_clear(&res);
    history_close(&h);
}

/* More violations of one invariant than CHECK_LISTED_MAX: all counted, the first ones
 * listed, then one line saying how many more. */
static void test_many_violations_are_counted_and_capped(void)
{
    struct history h;
    history_open(&h, "many");
    state(&h, 10, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    const int n = CHECK_LISTED_MAX + 50;
    for (int i = 1; i <= n; i++) {
        submit(&h, 20 + i, MODEL_ZAB, MSG(1, i), H2);
        outcome(&h, 1000 + i, MODEL_ZAB, MSG(1, i), OUTCOME_ACKED);
    }
    history_finish(&h, "many");
    struct check_result res;
    CU_ASSERT_TRUE_FATAL(check_run(db_run_handle(h.run), 1, &res, NULL));
    CU_ASSERT_EQUAL(res.found, n); /* one per write, naming both hosts that miss it */
    CU_ASSERT_EQUAL(res.violations->len, CHECK_LISTED_MAX + 1);
    const struct check_violation *last =
        g_ptr_array_index(res.violations, res.violations->len - 1);
    CU_ASSERT_STRING_EQUAL(last->detail, "50 more violations of durability not listed");
    const struct check_violation *v0 = g_ptr_array_index(res.violations, 0);
    CU_ASSERT_STRING_EQUAL(v0->detail, "acked write c1:1 was never delivered by h2#1, h3#1, "
                                       "up and in BROADCAST at the end");
    CU_ASSERT_EQUAL(db_run_violations(h.run), n);
    check_result_clear(&res);
    history_close(&h);
}

/* ---- zabsim check ---------------------------------------------------------------------- */

struct cli_result {
    int status;
    char *out;
    char *err;
};

/* Runs the built zabsim (ZABSIM_BIN, set by ctest) with args; false when it is not known. */
static bool run_zabsim(const char *const *args, struct cli_result *res)
{
    const char *bin = g_getenv("ZABSIM_BIN");
    if (!bin) {
        fprintf(stderr, "\nZABSIM_BIN not set (run through ctest): zabsim check not run\n");
        return false;
    }
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer)bin);
    for (const char *const *a = args; *a; a++)
        g_ptr_array_add(argv, (gpointer)*a);
    g_ptr_array_add(argv, NULL);
    int wait_status = 0;
    GError *err = NULL;
    gboolean spawned = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL,
                                    NULL, &res->out, &res->err, &wait_status, &err);
    g_ptr_array_free(argv, TRUE);
    CU_ASSERT_TRUE_FATAL(spawned);
    CU_ASSERT_TRUE(WIFEXITED(wait_status));
    res->status = WEXITSTATUS(wait_status);
    return true;
}

static void cli_result_clear(struct cli_result *res)
{
    g_free(res->out);
    g_free(res->err);
}

/* One database with a correct run (1) and a run with two leaders in epoch 2 (2). */
static void make_database(struct history *h)
{
    history_open(h, "runs");
    record_history(h, GOOD);
    history_finish(h, "good");
    history_commit(h);
    GError *err = NULL;
    h->run = db_run_create(h->path, host_names, N_HOSTS, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(h->run);
    h->rec = db_run_recorder(h->run);
    record_history(h, TWO_LEADERS);
    history_finish(h, "two_leaders");
    history_commit(h);
}

static void test_cli_check_reports_each_run(void)
{
    struct history h;
    make_database(&h);
    struct cli_result res;
    if (!run_zabsim((const char *[]){ "check", h.path, NULL }, &res)) {
        history_close(&h);
        return;
    }
    CU_ASSERT_EQUAL(res.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "run 1 (good, seed 1): ok\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "run 2 (two_leaders, seed 1): 1 violation\n"
                                           "  one_leader_per_epoch: epoch 2 has 2 leaders in "
                                           "BROADCAST: h2#1, h3#1\n"
                                           "    host_states t_ns=200 host=h2 incarnation=1 "
                                           "state=LEADING phase=BROADCAST epoch=2\n"
                                           "    host_states t_ns=210 host=h3"));
    cli_result_clear(&res);

    CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", "--run", "1", h.path, NULL }, &res));
    CU_ASSERT_EQUAL(res.status, 0);
    CU_ASSERT_STRING_EQUAL(res.out, "run 1 (good, seed 1): ok\n");
    cli_result_clear(&res);

    CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", "--run", "7", h.path, NULL }, &res));
    CU_ASSERT_EQUAL(res.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.err, "no run 7"));
    cli_result_clear(&res);
    history_close(&h);
}

/* The verdict and violations stored by the run are not evidence: wiping them changes
 * nothing. */
static void test_cli_check_does_not_trust_the_stored_verdict(void)
{
    struct history h;
    make_database(&h);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(h.path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE runs SET verdict = 'pass'; DELETE FROM violations",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    struct cli_result res;
    if (run_zabsim((const char *[]){ "check", h.path, NULL }, &res)) {
        CU_ASSERT_EQUAL(res.status, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "one_leader_per_epoch"));
        cli_result_clear(&res);
    }
    history_close(&h);
}

static void test_cli_check_rejects_unusable_files(void)
{
    struct history h;
    history_open(&h, "garbage");
    db_run_abort(h.run);
    h.run = NULL;
    CU_ASSERT_TRUE(g_file_set_contents(h.path, "this is not a database\n", -1, NULL));
    char *missing = g_strdup_printf("%s/missing.db", h.dir);
    struct cli_result res;
    if (run_zabsim((const char *[]){ "check", h.path, NULL }, &res)) {
        CU_ASSERT_EQUAL(res.status, 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(res.err, "not a zabsim results database"));
        cli_result_clear(&res);
        CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", missing, NULL }, &res));
        CU_ASSERT_EQUAL(res.status, 2);
        cli_result_clear(&res);
        CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", NULL }, &res));
        CU_ASSERT_EQUAL(res.status, 2);
        cli_result_clear(&res);
        CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", "--help", NULL }, &res));
        CU_ASSERT_EQUAL(res.status, 0);
        CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "--run"));
        cli_result_clear(&res);
    }
    g_free(missing);
    history_close(&h);
}

void test_register(void)
{
    TEST_SUITE("check",
               TEST(test_correct_history_passes_every_check),
               TEST(test_disagreement_at_one_seq_is_agreement),
               TEST(test_lost_acked_write_is_durability),
               TEST(test_two_leaders_in_one_epoch),
               TEST(test_zxid_going_backwards_is_zxid_monotonic),
               TEST(test_delivery_never_proposed_is_integrity),
               TEST(test_counter_gap_is_local_primary_order),
               TEST(test_epoch_going_backwards_is_global_primary_order),
               TEST(test_leader_missing_committed_txn_is_primary_integrity),
               TEST(test_truncated_committed_entry_is_committed_log_durability),
               TEST(test_delivery_never_submitted_is_integrity),
               TEST(test_epoch_starting_after_counter_one_is_local_primary_order),
               TEST(test_retried_write_committed_twice_breaks_nothing),
               TEST(test_host_not_serving_at_end_is_not_bound_by_durability),
               TEST(test_total_order_inversion_between_two_hosts),
               TEST(test_many_violations_are_counted_and_capped));
    TEST_SUITE("zabsim check",
               TEST(test_cli_check_reports_each_run),
               TEST(test_cli_check_does_not_trust_the_stored_verdict),
               TEST(test_cli_check_rejects_unusable_files));
}
