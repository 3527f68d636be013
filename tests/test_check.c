/* test_check.c: the ZAB invariants (protocol/zab/zab_oracle*.c), the one oracle that runs
 * online during a run, offline in `zabsim check`, and here. A correct history passes; each
 * broken history is reported under the invariant it breaks. Every history goes through all
 * three paths, which must find the same violations with the same evidence:
 *   - the oracle alone (world/verdict.h fed the records);
 *   - the run's path: the database recorder, which feeds the same oracle while it writes;
 *   - `zabsim check`'s path: the rows of that database replayed (reports/check.c). */
#include <glib/gstdio.h>
#include <string.h>

#include "protocol/jetstream/jetstream.h"
#include "protocol/zab/zab.h"
#include "reports/check.h"
#include "reports/db.h"
#include "tests/harness.h"
#include "world/verdict.h"

#define ZXID(epoch, counter) (((int64_t)(epoch) << 32) | (counter))
#define MSG(client, seq) msg_id_make(client, seq)

/* Host indices of the three-host histories. */
enum { H1, H2, H3, N_HOSTS };
static const char *const host_names[N_HOSTS] = { "h1", "h2", "h3" };

static model_id zab_id(void)
{
    return (model_id)model_find("zab");
}

static model_id ps_id(void)
{
    return (model_id)model_find("pubsub");
}

static unsigned both(void)
{
    return (1u << zab_id()) | (1u << ps_id());
}

/* ---- building histories ------------------------------------------------------------------ */

/* A history is a list of records, put in time order (stably: equal times keep the order they
 * were added in) before anything sees it, as a run's trace is. */
struct history {
    GArray *recs; /* struct trace_rec */
};

static void add(struct history *h, struct trace_rec r)
{
    g_array_append_val(h->recs, r);
}

static void state(struct history *h, sim_time t, int host, uint32_t inc,
                  enum zab_server_state st, enum zab_phase phase, int64_t epoch)
{
    add(h, (struct trace_rec){ .kind = TRACE_STATE, .model = zab_id(), .t_ns = t, .host = host,
                               .incarnation = inc, .u.state = { st, phase, epoch } });
}

static void submit(struct history *h, sim_time t, model_id model, msg_id_t m, int host)
{
    add(h, (struct trace_rec){ .kind = TRACE_SUBMISSION, .model = model, .t_ns = t, .host = -1,
                               .u.submission = { m, msg_id_client(m), host } });
}

static void outcome(struct history *h, sim_time t, model_id model, msg_id_t m, enum outcome o)
{
    add(h, (struct trace_rec){ .kind = TRACE_OUTCOME, .model = model, .t_ns = t, .host = -1,
                               .u.outcome = { m, o } });
}

static void zab_event(struct history *h, sim_time t, int host, enum zab_event type, msg_id_t m,
                      int64_t a, int64_t b, bool flag)
{
    add(h, (struct trace_rec){ .kind = TRACE_EVENT, .model = zab_id(), .t_ns = t, .host = host,
                               .incarnation = 1, .u.event = { type, m, a, b, flag } });
}

/* The leader at host counted the NEWLEADER ACK of the server on host by (id by + 1). */
static void newleader_ack(struct history *h, sim_time t, int host, int64_t epoch, int by)
{
    zab_event(h, t, host, ZAB_EVENT_NEWLEADER_ACK, MSG_ID_NONE, epoch, by + 1, false);
}

static void propose(struct history *h, sim_time t, int host, int64_t epoch, int64_t zxid,
                    msg_id_t m)
{
    zab_event(h, t, host, ZAB_EVENT_PROPOSAL, m, epoch, zxid, false);
}

static void commit(struct history *h, sim_time t, int host, int64_t zxid)
{
    zab_event(h, t, host, ZAB_EVENT_COMMIT, MSG_ID_NONE, 0, zxid, false);
}

static void truncate_entry(struct history *h, sim_time t, int host, int64_t zxid, msg_id_t m)
{
    zab_event(h, t, host, ZAB_EVENT_TRUNCATE, m, 0, zxid, true);
}

static void deliver(struct history *h, sim_time t, model_id model, int host, uint64_t seq,
                    msg_id_t m, int64_t zxid)
{
    add(h, (struct trace_rec){ .kind = TRACE_DELIVERY, .model = model, .t_ns = t, .host = host,
                               .incarnation = 1, .u.delivery = { seq, m, zxid, false } });
}

static void fault(struct history *h, sim_time t, enum fault_kind kind, const char *target)
{
    add(h, (struct trace_rec){ .kind = TRACE_FAULT, .model = MODEL_ID_NONE, .t_ns = t,
                               .host = -1, .u.fault = { kind, target, "test" } });
}

static int by_time(gconstpointer a, gconstpointer b)
{
    const struct trace_rec *x = a, *y = b;
    return x->t_ns < y->t_ns ? -1 : x->t_ns > y->t_ns;
}

static void replay(struct history *h, const struct recorder *rec)
{
    g_array_sort(h->recs, by_time); /* g_array_sort is stable */
    for (guint i = 0; i < h->recs->len; i++)
        rec->record(rec->ctx, &g_array_index(h->recs, struct trace_rec, i));
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
    EPOCH_FORGOTTEN,
    COMMITS_REORDERED,
    NEWLEADER_SHORT,
    VARIANT_COUNT
};

static const msg_id_t A = ((int64_t)1 << 32) | 1, B = ((int64_t)1 << 32) | 2,
                      C = ((int64_t)1 << 32) | 3, D = ((int64_t)1 << 32) | 4;

static void epoch_one(struct history *h, enum variant v)
{
    for (int host = H1; host < N_HOSTS; host++)
        state(h, 0, host, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 0);
    for (int host = H1; host < N_HOSTS; host++)
        newleader_ack(h, 9, H1, 1, host);
    state(h, 10, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    state(h, 10, H2, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    state(h, 10, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    const msg_id_t msgs[] = { A, B, C };
    for (int i = 0; i < 3; i++) {
        submit(h, 20 + i, zab_id(), msgs[i], H1);
        propose(h, 30 + i, H1, 1, ZXID(1, i + 1), msgs[i]);
        bool timed_out = (v == COUNTER_GAP && msgs[i] == B) ||
                         (v == DISAGREE_AT_ONE_SEQ && msgs[i] == C);
        if (timed_out) {
            outcome(h, 90, zab_id(), msgs[i], TRACE_OUTCOME_TIMEOUT);
            if (v == COUNTER_GAP)
                continue; /* b is never committed */
        }
        /* COMMITS_REORDERED: h1 commits b after c (every host still delivers a, b, c). */
        sim_time commit_t = v == COMMITS_REORDERED && msgs[i] == B ? 43 : 40 + i;
        commit(h, commit_t, H1, ZXID(1, i + 1));
        if (!timed_out)
            outcome(h, 45 + i, zab_id(), msgs[i], TRACE_OUTCOME_ACKED);
    }
}

/* Deliveries of epoch 1 at one host: a, b, c at seq 1..3 (or the variant's version). */
static void deliver_epoch_one(struct history *h, enum variant v, int host)
{
    sim_time t = 50 + 3 * host;
    if (v == COUNTER_GAP) {
        deliver(h, t, zab_id(), host, 1, A, ZXID(1, 1));
        deliver(h, t + 1, zab_id(), host, 2, C, ZXID(1, 3));
        return;
    }
    deliver(h, t, zab_id(), host, 1, A, ZXID(1, 1));
    deliver(h, t + 1, zab_id(), host, 2, B, ZXID(1, 2));
    if (v == DISAGREE_AT_ONE_SEQ && host == H3)
        return; /* h3 holds d (epoch 2) where the others hold c */
    if (v == EPOCH_BACKWARDS && host == H3) {
        /* d (epoch 2) before c (epoch 1) at h3 */
        deliver(h, 332, zab_id(), host, 3, D, ZXID(2, 1));
        deliver(h, 333, zab_id(), host, 4, C, ZXID(1, 3));
    } else if (v == LEADER_MISSING_TXN && host == H2)
        deliver(h, 315, zab_id(), host, 3, C, ZXID(1, 3)); /* after its first proposal */
    else
        deliver(h, t + 2, zab_id(), host, 3, C, ZXID(1, 3));
}

static void epoch_two_deliveries(struct history *h, enum variant v, msg_id_t d, int64_t zxid)
{
    if (v == EPOCH_BACKWARDS) {
        deliver(h, 330, zab_id(), H2, 4, d, zxid);
        return;
    }
    uint64_t seq = v == COUNTER_GAP ? 3 : 4;
    deliver(h, 330, zab_id(), H2, seq, d, zxid);
    if (v == DISAGREE_AT_ONE_SEQ)
        deliver(h, 331, zab_id(), H3, 3, d, zxid);
    else if (v != LOST_ACKED_WRITE)
        deliver(h, 331, zab_id(), H3, seq, d, zxid);
}

static void epoch_two(struct history *h, enum variant v)
{
    fault(h, 100, TRACE_FAULT_CRASH, "h1");
    state(h, 100, H1, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    if (v == TRUNCATED_COMMITTED) /* h1 removes c, committed at 42 */
        truncate_entry(h, 90, H1, ZXID(1, 3), C);
    state(h, 150, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, 2);
    newleader_ack(h, 199, H2, 2, H2);
    if (v != NEWLEADER_SHORT) /* h2 serves with its own acknowledgement alone */
        newleader_ack(h, 199, H2, 2, H3);
    state(h, 200, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
    state(h, 200, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    if (v == TWO_LEADERS) { /* each with a quorum's acknowledgements: h2 and h3 */
        newleader_ack(h, 209, H3, 2, H2);
        newleader_ack(h, 209, H3, 2, H3);
        state(h, 210, H3, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
        state(h, 220, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    }
    /* d, or in RETRIED_WRITE a client's second submission of a, committed again */
    msg_id_t d = v == RETRIED_WRITE ? A : D;
    int64_t zxid = ZXID(2, v == EPOCH_STARTS_LATE ? 2 : 1);
    submit(h, 300, zab_id(), d, H2);
    propose(h, 310, H2, 2, zxid, d);
    commit(h, 320, H2, zxid);
    outcome(h, 325, zab_id(), d, TRACE_OUTCOME_ACKED);
    if (v == ZXID_BACKWARDS) {
        propose(h, 340, H2, 2, ZXID(2, 3), MSG(2, 1));
        propose(h, 341, H2, 2, ZXID(2, 2), MSG(2, 2));
    }
    epoch_two_deliveries(h, v, d, zxid);
    if (v == NEVER_SUBMITTED) { /* proposed and committed, but no client offered it */
        propose(h, 350, H2, 2, ZXID(2, 2), MSG(9, 1));
        commit(h, 360, H2, ZXID(2, 2));
    }
    if (v == NEVER_PROPOSED || v == NEVER_SUBMITTED) {
        deliver(h, 400, zab_id(), H2, 5, MSG(9, 1), ZXID(2, 2));
        deliver(h, 401, zab_id(), H3, 5, MSG(9, 1), ZXID(2, 2));
    }
    /* h1 restarts with currentEpoch 1, as it must; in EPOCH_FORGOTTEN with 0, as if the
     * epoch it served in had never reached its disk. */
    state(h, 500, H1, 2, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, v == EPOCH_FORGOTTEN ? 0 : 1);
}

/* Pub/sub: every message acked; h2 gets b before a, h3 gets b twice, d reaches nobody. */
static void pubsub(struct history *h)
{
    const msg_id_t msgs[] = { A, B, C, D };
    for (int i = 0; i < 4; i++) {
        submit(h, 20 + i, ps_id(), msgs[i], H1);
        outcome(h, 21 + i, ps_id(), msgs[i], TRACE_OUTCOME_ACKED);
    }
    deliver(h, 60, ps_id(), H2, 1, B, TRACE_NO_LOG_ID);
    deliver(h, 61, ps_id(), H2, 2, A, TRACE_NO_LOG_ID);
    deliver(h, 60, ps_id(), H3, 1, A, TRACE_NO_LOG_ID);
    deliver(h, 61, ps_id(), H3, 2, B, TRACE_NO_LOG_ID);
    deliver(h, 62, ps_id(), H3, 3, B, TRACE_NO_LOG_ID);
}

static struct history *history_of(enum variant v)
{
    struct history *h = g_new0(struct history, 1);
    h->recs = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    epoch_one(h, v);
    for (int host = H1; host < N_HOSTS; host++)
        deliver_epoch_one(h, v, host);
    epoch_two(h, v);
    pubsub(h);
    return h;
}

static void history_free(struct history *h)
{
    g_array_free(h->recs, TRUE);
    g_free(h);
}

/* ---- the three paths --------------------------------------------------------------------- */

/* The oracle alone. */
static void oracle_path(struct history *h, unsigned models, struct oracle_result *res)
{
    struct verdict *v = verdict_new(models, N_HOSTS, host_names);
    struct recorder rec = verdict_recorder(v);
    replay(h, &rec);
    verdict_finish(v, res);
    verdict_free(v);
}

/* A recorded database: the run's path. */
struct recorded {
    char *dir, *path;
    struct db_run *run;
};

static const struct db_host_end end_states[N_HOSTS] = {
    { "h1", false, 1 },
    { "h2", true, 1 },
    { "h3", true, 1 },
};

static void record_history(struct recorded *r, struct history *h, const char *name,
                           unsigned models)
{
    GError *err = NULL;
    if (!r->dir) {
        r->dir = g_dir_make_tmp("zabsim-check-XXXXXX", &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r->dir);
        r->path = g_strdup_printf("%s/history.db", r->dir);
    }
    r->run = db_run_create(r->path, host_names, N_HOSTS, models, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r->run);
    struct recorder rec = db_run_recorder(r->run);
    replay(h, &rec);
    struct db_run_meta meta = { .scenario = name, .description = "test history", .seed = 1,
                                .hosts = N_HOSTS, .duration_ns = 1000, .models = models };
    CU_ASSERT_TRUE_FATAL(db_run_finish(r->run, &meta, end_states, &err));
}

/* Publishes the recorded run into r->path (a new file, or a new run of it). */
static void publish(struct recorded *r)
{
    GError *err = NULL;
    CU_ASSERT_TRUE(db_run_commit(r->run, db_run_violations(r->run) ? "fail" : "pass", NULL,
                                 &err));
    r->run = NULL;
}

static void recorded_close(struct recorded *r)
{
    if (r->run)
        db_run_abort(r->run);
    if (r->path)
        g_unlink(r->path);
    if (r->dir)
        g_rmdir(r->dir);
    g_free(r->path);
    g_free(r->dir);
}

/* The violations table of run 1 of db, as a result. */
static void stored_violations(sqlite3 *db, struct oracle_result *res)
{
    res->violations = g_ptr_array_new();
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT model, invariant, detail, evidence FROM violations "
                           "ORDER BY rowid", -1, &st, NULL);
    while (sqlite3_step(st) == SQLITE_ROW) {
        struct oracle_violation *v = g_new0(struct oracle_violation, 1);
        v->model = g_intern_string((const char *)sqlite3_column_text(st, 0));
        v->invariant = g_intern_string((const char *)sqlite3_column_text(st, 1));
        v->detail = g_strdup((const char *)sqlite3_column_text(st, 2));
        v->evidence = g_strdup((const char *)sqlite3_column_text(st, 3));
        g_ptr_array_add(res->violations, v);
    }
    sqlite3_finalize(st);
}

static void assert_same(const struct oracle_result *a, const struct oracle_result *b)
{
    CU_ASSERT_EQUAL_FATAL(a->violations->len, b->violations->len);
    for (guint i = 0; i < a->violations->len; i++) {
        const struct oracle_violation *x = g_ptr_array_index(a->violations, i);
        const struct oracle_violation *y = g_ptr_array_index(b->violations, i);
        CU_ASSERT_STRING_EQUAL(x->model, y->model);
        CU_ASSERT_STRING_EQUAL(x->invariant, y->invariant);
        CU_ASSERT_STRING_EQUAL(x->detail, y->detail);
        CU_ASSERT_STRING_EQUAL(x->evidence, y->evidence);
    }
}

/* "name,name,..." of the invariants a result reports, in report order. */
static char *names_of(const struct oracle_result *res)
{
    GString *names = g_string_new(NULL);
    for (guint i = 0; i < res->violations->len; i++) {
        const struct oracle_violation *v = g_ptr_array_index(res->violations, i);
        CU_ASSERT_TRUE(v->detail[0] != '\0');
        if (!strstr(v->detail, "more violations"))
            CU_ASSERT_TRUE(v->evidence[0] != '\0');
        const struct oracle_violation *prev =
            i ? g_ptr_array_index(res->violations, i - 1) : NULL;
        if (!prev || strcmp(v->invariant, prev->invariant) != 0)
            g_string_append_printf(names, "%s%s", names->len ? "," : "", v->invariant);
    }
    return g_string_free(names, FALSE);
}

static void free_stored(struct oracle_result *res)
{
    for (guint i = 0; i < res->violations->len; i++) {
        struct oracle_violation *v = g_ptr_array_index(res->violations, i);
        g_free(v->detail);
        g_free(v->evidence);
        g_free(v);
    }
    g_ptr_array_free(res->violations, TRUE);
}

/* Runs h, a history of the models in `models`, through all three paths; each must report
 * exactly `expect` (invariant names in report order), with identical violations and
 * evidence. */
static void expect_history_of(struct history *h, unsigned models, const char *expect)
{
    struct oracle_result alone, offline, stored;
    oracle_path(h, models, &alone);
    struct recorded r = { 0 };
    record_history(&r, h, "variant", models);
    sqlite3 *db = db_run_handle(r.run);
    GError *err = NULL;
    CU_ASSERT_TRUE_FATAL(check_run(db, 1, &offline, &err));
    stored_violations(db, &stored);
    char *names = names_of(&alone);
    CU_ASSERT_STRING_EQUAL(names, expect);
    if (strcmp(names, expect) != 0)
        fprintf(stderr, "\nexpected '%s', got '%s'\n", expect, names);
    assert_same(&alone, &offline);
    assert_same(&alone, &stored);
    CU_ASSERT_EQUAL(alone.found, offline.found);
    CU_ASSERT_EQUAL(db_run_violations(r.run), alone.found);
    g_free(names);
    free_stored(&stored);
    oracle_result_clear(&alone);
    oracle_result_clear(&offline);
    recorded_close(&r);
}

static void expect_history(struct history *h, const char *expect)
{
    expect_history_of(h, both(), expect);
}

static void expect_broken(enum variant v, const char *expect)
{
    struct history *h = history_of(v);
    expect_history(h, expect);
    history_free(h);
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

static void test_epoch_forgotten_after_restart_is_epochs_monotonic(void)
{
    expect_broken(EPOCH_FORGOTTEN, "epochs_monotonic");
}

static void test_delivery_never_proposed_is_integrity(void)
{
    expect_broken(NEVER_PROPOSED, "integrity");
}

/* b is never committed, c is: the leader skipped one (commit order), and every host's
 * deliveries skip it too (local primary order). */
static void test_counter_gap_is_local_primary_order(void)
{
    expect_broken(COUNTER_GAP, "local_primary_order,commit_order");
}

static void test_commits_out_of_zxid_order_is_commit_order(void)
{
    expect_broken(COMMITS_REORDERED, "commit_order");
}

static void test_serving_without_a_newleader_quorum_is_newleader_quorum(void)
{
    expect_broken(NEWLEADER_SHORT, "newleader_quorum");
}

/* An epoch going backwards cannot come alone: the epoch-2 leader had to deliver c before
 * it proposed d (or primary integrity breaks), so h3's c-after-d also puts the two at other
 * positions than the leader's history (agreement) and inverts them (total order). */
static void test_epoch_going_backwards_is_global_primary_order(void)
{
    expect_broken(EPOCH_BACKWARDS, "total_order,agreement,global_primary_order");
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

/* The epoch-2 leader commits counter 2 having never proposed counter 1. */
static void test_epoch_starting_after_counter_one_is_local_primary_order(void)
{
    expect_broken(EPOCH_STARTS_LATE, "local_primary_order,commit_order");
}

/* A delivery of a proposal that comes only later in the trace is not integrity: proposing
 * must come first. */
static void test_delivery_before_its_proposal_is_integrity(void)
{
    struct history *h = history_of(GOOD);
    deliver(h, 305, zab_id(), H3, 4, D, ZXID(2, 1)); /* proposed at 310 */
    struct oracle_result res;
    oracle_path(h, both(), &res);
    char *names = names_of(&res);
    CU_ASSERT_PTR_NOT_NULL(strstr(names, "integrity"));
    const struct oracle_violation *v = g_ptr_array_index(res.violations, 0);
    CU_ASSERT_STRING_EQUAL(v->detail, "h3#1 delivered c1:4 with zxid 0x200000001 at seq 4, "
                                      "but no leader had proposed that message with that zxid");
    g_free(names);
    oracle_result_clear(&res);
    history_free(h);
}

/* A write committed twice (a client's retry) is a duplicate delivery, not an ordering
 * violation: orders compare first deliveries. */
static void test_retried_write_committed_twice_breaks_nothing(void)
{
    expect_broken(RETRIED_WRITE, "");
    /* ... and the summary counts it once, as duplicates at h2 and h3, without reordering. */
    struct history *h = history_of(RETRIED_WRITE);
    struct recorded r = { 0 };
    record_history(&r, h, "retried", both());
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db_run_handle(r.run),
                       "SELECT duplicates, order_disagreements FROM run_summary "
                       "WHERE model = 'zab'",
                       -1, &st, NULL);
    CU_ASSERT_EQUAL_FATAL(sqlite3_step(st), SQLITE_ROW);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 0), 2);
    CU_ASSERT_EQUAL(sqlite3_column_int(st, 1), 0);
    sqlite3_finalize(st);
    recorded_close(&r);
    history_free(h);
}

/* Durability binds only hosts serving at the end: h1, back up but still electing, lacks d
 * and that is fine; once it serves, it is bound. */
static void test_host_not_serving_at_end_is_not_bound_by_durability(void)
{
    struct history *h = history_of(GOOD);
    add(h, (struct trace_rec){ .kind = TRACE_STATE, .model = zab_id(), .t_ns = 500, .host = H1,
                               .incarnation = 2,
                               .u.state = { ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 2 } });
    expect_history(h, "");
    add(h, (struct trace_rec){ .kind = TRACE_STATE, .model = zab_id(), .t_ns = 600, .host = H1,
                               .incarnation = 2,
                               .u.state = { ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2 } });
    expect_history(h, "durability"); /* its new incarnation delivered none of a, b, c, d */
    history_free(h);
}

/* A total-order inversion cannot come alone in ZAB: seq is a position in one history, so
 * two host incarnations that order a and b differently also disagree at those positions
 * (agreement). The history: epoch 1 (h1) commits a, b and h1, h2 deliver them; epoch 2 (h2,
 * after delivering epoch 1) re-proposes b then a, and h3, which missed epoch 1, delivers
 * them in that order. Everything else (zxids, proposals, epochs) is consistent. */
static void test_total_order_inversion_between_two_hosts(void)
{
    struct history h0 = { g_array_new(FALSE, FALSE, sizeof(struct trace_rec)) }, *h = &h0;
    for (int host = H1; host < N_HOSTS; host++)
        state(h, 0, host, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 0);
    for (int host = H1; host < N_HOSTS; host++)
        newleader_ack(h, 9, H1, 1, host);
    state(h, 10, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    submit(h, 20, zab_id(), A, H1);
    submit(h, 21, zab_id(), B, H1);
    propose(h, 30, H1, 1, ZXID(1, 1), A);
    propose(h, 31, H1, 1, ZXID(1, 2), B);
    commit(h, 40, H1, ZXID(1, 1));
    commit(h, 41, H1, ZXID(1, 2));
    outcome(h, 45, zab_id(), A, TRACE_OUTCOME_ACKED);
    outcome(h, 46, zab_id(), B, TRACE_OUTCOME_ACKED);
    for (int host = H1; host <= H2; host++) {
        deliver(h, 50, zab_id(), host, 1, A, ZXID(1, 1));
        deliver(h, 51, zab_id(), host, 2, B, ZXID(1, 2));
    }
    state(h, 100, H1, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    newleader_ack(h, 199, H2, 2, H2);
    newleader_ack(h, 199, H2, 2, H3);
    state(h, 200, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
    state(h, 200, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    propose(h, 300, H2, 2, ZXID(2, 1), B);
    propose(h, 301, H2, 2, ZXID(2, 2), A);
    deliver(h, 310, zab_id(), H3, 1, B, ZXID(2, 1));
    deliver(h, 311, zab_id(), H3, 2, A, ZXID(2, 2));
    expect_history(h, "total_order,agreement");

    /* The evidence names both orders: h3 b-then-a against the first deliveries, a-then-b. */
    struct oracle_result res;
    oracle_path(h, both(), &res);
    const struct oracle_violation *first = g_ptr_array_index(res.violations, 0);
    CU_ASSERT_STRING_EQUAL(first->detail,
                           "h3#1 delivered c1:1 (seq 2) after c1:2 (seq 1), but h1#1 delivered "
                           "c1:1 (seq 1) before h1#1 delivered c1:2 (seq 2)");
    CU_ASSERT_EQUAL(res.found, 2); /* the inversion, and h3's two disagreeing positions */
    const struct oracle_violation *second = g_ptr_array_index(res.violations, 1);
    CU_ASSERT_STRING_EQUAL(second->detail,
                           "h3#1 delivered c1:2 (zxid 0x200000001) at seq 1, where h1#1 had "
                           "delivered c1:1 (zxid 0x100000001) (2 positions of this "
                           "incarnation disagree)");
    oracle_result_clear(&res);
    g_array_free(h0.recs, TRUE);
}

/* More violations of one invariant than ORACLE_LISTED_MAX: all counted, the first ones
 * listed, then one line saying how many more. */
static void test_many_violations_are_counted_and_capped(void)
{
    struct history h0 = { g_array_new(FALSE, FALSE, sizeof(struct trace_rec)) }, *h = &h0;
    newleader_ack(h, 9, H2, 1, H2);
    newleader_ack(h, 9, H2, 1, H3);
    state(h, 10, H2, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    state(h, 10, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    const int n = ORACLE_LISTED_MAX + 50;
    for (int i = 1; i <= n; i++) {
        submit(h, 20 + i, zab_id(), MSG(1, i), H2);
        outcome(h, 1000 + i, zab_id(), MSG(1, i), TRACE_OUTCOME_ACKED);
    }
    struct oracle_result res;
    oracle_path(h, both(), &res);
    CU_ASSERT_EQUAL(res.found, n); /* one per write, naming both hosts that miss it */
    CU_ASSERT_EQUAL(res.violations->len, ORACLE_LISTED_MAX + 1);
    const struct oracle_violation *last =
        g_ptr_array_index(res.violations, res.violations->len - 1);
    CU_ASSERT_STRING_EQUAL(last->detail, "50 more violations of durability not listed");
    CU_ASSERT_EQUAL(last->count, 50);
    const struct oracle_violation *v0 = g_ptr_array_index(res.violations, 0);
    CU_ASSERT_STRING_EQUAL(v0->detail, "acked write c1:1 was never delivered by h2#1, h3#1, "
                                       "up and in BROADCAST at the end");
    oracle_result_clear(&res);
    expect_history(h, "durability"); /* and the database paths agree */
    g_array_free(h0.recs, TRUE);
}

/* The oracle ignores what is not its model's, and a model without invariants has none. */
static void test_pubsub_alone_has_no_invariants(void)
{
    struct history *h = history_of(LOST_ACKED_WRITE);
    struct oracle_result res;
    oracle_path(h, 1u << ps_id(), &res);
    CU_ASSERT_EQUAL(res.found, 0);
    CU_ASSERT_EQUAL(res.violations->len, 0);
    oracle_result_clear(&res);
    history_free(h);
}

/* ---- zabsim check ---------------------------------------------------------------------- */

struct cli_result {
    int status;
    char *out;
    char *err;
};

/* Runs the built zabsim with args; false when it could not run. */
static bool run_zabsim(const char *const *args, struct cli_result *res)
{
    res->status = test_zabsim(args, &res->out, &res->err);
    return res->status >= 0;
}

static void cli_result_clear(struct cli_result *res)
{
    g_free(res->out);
    g_free(res->err);
}

/* One database with a correct run (1) and a run with two leaders in epoch 2 (2). */
static void make_database(struct recorded *r)
{
    struct history *good = history_of(GOOD), *bad = history_of(TWO_LEADERS);
    record_history(r, good, "good", both());
    publish(r);
    record_history(r, bad, "two_leaders", both());
    publish(r);
    history_free(good);
    history_free(bad);
}

static void test_cli_check_reports_each_run(void)
{
    struct recorded r = { 0 };
    make_database(&r);
    struct cli_result res;
    if (!run_zabsim((const char *[]){ "check", r.path, NULL }, &res)) {
        recorded_close(&r);
        return;
    }
    CU_ASSERT_EQUAL(res.status, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "run 1 (good, seed 1): ok\n"));
    CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "run 2 (two_leaders, seed 1): 1 violation\n"
                                           "  zab.one_leader_per_epoch: epoch 2 has 2 leaders "
                                           "in BROADCAST: h2#1, h3#1\n"
                                           "    host_states model=zab t_ns=200 host=h2 "
                                           "incarnation=1 state=LEADING phase=BROADCAST "
                                           "epoch=2\n"
                                           "    host_states model=zab t_ns=210 host=h3"));
    cli_result_clear(&res);

    CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", "--run", "1", r.path, NULL }, &res));
    CU_ASSERT_EQUAL(res.status, 0);
    CU_ASSERT_STRING_EQUAL(res.out, "run 1 (good, seed 1): ok\n");
    cli_result_clear(&res);

    CU_ASSERT_TRUE(run_zabsim((const char *[]){ "check", "--run", "7", r.path, NULL }, &res));
    CU_ASSERT_EQUAL(res.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(res.err, "no run 7"));
    cli_result_clear(&res);
    recorded_close(&r);
}

/* README's own sequence: a run of both models, then `zabsim check` on its database. The
 * pub/sub states have no phase; check must replay them, not refuse them. */
static void test_cli_check_takes_a_run_of_both_models(void)
{
    char *dir = g_dir_make_tmp("zabsim-check-XXXXXX", NULL);
    char *path = g_build_filename(dir, "both.db", NULL);
    const char *run[] = { "run", test_source_path("scenarios/calm.yaml"), "--db", path, NULL };
    CU_ASSERT_EQUAL(test_zabsim(run, NULL, NULL), 0);
    char *out = NULL, *err = NULL;
    const char *check[] = { "check", path, NULL };
    CU_ASSERT_EQUAL(test_zabsim(check, &out, &err), 0);
    CU_ASSERT(out && strstr(out, "run 1 (calm, seed 1): ok") != NULL);
    if (err && *err)
        fprintf(stderr, "%s", err);
    g_free(out);
    g_free(err);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* The verdict and violations stored by the run are not evidence: wiping them changes
 * nothing. */
static void test_cli_check_does_not_trust_the_stored_verdict(void)
{
    struct recorded r = { 0 };
    make_database(&r);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(r.path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE runs SET verdict = 'pass'; DELETE FROM violations",
                                 NULL, NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    struct cli_result res;
    if (run_zabsim((const char *[]){ "check", r.path, NULL }, &res)) {
        CU_ASSERT_EQUAL(res.status, 1);
        CU_ASSERT_PTR_NOT_NULL(strstr(res.out, "one_leader_per_epoch"));
        cli_result_clear(&res);
    }
    recorded_close(&r);
}

/* A hand-edited table naming a host the run does not have is bad input, not a crash. */
static void test_cli_check_refuses_a_row_naming_an_unknown_host(void)
{
    struct recorded r = { 0 };
    make_database(&r);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_open(r.path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "UPDATE deliveries SET host = 'h9' WHERE rowid = 1", NULL,
                                 NULL, NULL),
                    SQLITE_OK);
    sqlite3_close(db);
    struct cli_result res;
    if (run_zabsim((const char *[]){ "check", "--run", "1", r.path, NULL }, &res)) {
        CU_ASSERT_EQUAL(res.status, 2);
        CU_ASSERT_PTR_NOT_NULL(strstr(res.err, "host 'h9'"));
        cli_result_clear(&res);
    }
    recorded_close(&r);
}

static void test_cli_check_rejects_unusable_files(void)
{
    char *dir = g_dir_make_tmp("zabsim-check-XXXXXX", NULL);
    char *path = g_strdup_printf("%s/garbage.db", dir);
    CU_ASSERT_TRUE(g_file_set_contents(path, "this is not a database\n", -1, NULL));
    char *missing = g_strdup_printf("%s/missing.db", dir);
    struct cli_result res;
    if (run_zabsim((const char *[]){ "check", path, NULL }, &res)) {
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
    g_unlink(path);
    g_rmdir(dir);
    g_free(missing);
    g_free(path);
    g_free(dir);
}


/* ---- the JetStream-style stream (protocol/jetstream/js_oracle.c) ------------------------ */

static model_id js_id(void)
{
    return (model_id)model_find("jetstream");
}

static void js_state(struct history *h, sim_time t, int host, uint32_t inc, enum js_state st)
{
    add(h, (struct trace_rec){ .kind = TRACE_STATE, .model = js_id(), .t_ns = t, .host = host,
                               .incarnation = inc, .u.state = { st, 0, 1 } });
}

static void js_event(struct history *h, sim_time t, int host, uint32_t inc, enum js_event type,
                     msg_id_t m, int64_t a)
{
    add(h, (struct trace_rec){ .kind = TRACE_EVENT, .model = js_id(), .t_ns = t, .host = host,
                               .incarnation = inc, .u.event = { type, m, a, 0, false } });
}

/* Three replicas; h1 leads; a, b, c are published, acknowledged and stored as 1, 2, 3 by
 * every replica. */
static struct history *js_history(void)
{
    struct history *h = g_new0(struct history, 1);
    h->recs = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    const msg_id_t msgs[] = { A, B, C };
    for (int host = H1; host < N_HOSTS; host++) {
        js_state(h, 0, host, 1, JS_STATE_FOLLOWER);
        js_event(h, 0, host, 1, JS_EVENT_RECOVERED, MSG_ID_NONE, 0);
    }
    js_state(h, 5, H1, 1, JS_STATE_LEADER);
    for (int i = 0; i < 3; i++) {
        submit(h, 10 + i, js_id(), msgs[i], H1);
        for (int host = H1; host < N_HOSTS; host++)
            js_event(h, 20 + i, host, 1, JS_EVENT_STORE, msgs[i], i + 1);
        outcome(h, 30 + i, js_id(), msgs[i], TRACE_OUTCOME_ACKED);
    }
    return h;
}

/* Every host loses power and comes back with a stream that ends at keep[host]. */
static void js_power_cycle(struct history *h, const uint64_t keep[N_HOSTS])
{
    for (int host = H1; host < N_HOSTS; host++) {
        js_state(h, 50, host, 1, JS_STATE_DOWN);
        js_state(h, 60, host, 2, JS_STATE_FOLLOWER);
        js_event(h, 60, host, 2, JS_EVENT_RECOVERED, MSG_ID_NONE, (int64_t)keep[host]);
    }
}

static void test_js_correct_history_passes(void)
{
    struct history *h = js_history();
    expect_history_of(h, 1u << js_id(), "");
    /* One replica that kept everything is enough. */
    js_power_cycle(h, (const uint64_t[N_HOSTS]){ 3, 1, 0 });
    expect_history_of(h, 1u << js_id(), "");
    history_free(h);
}

/* A power failure that every replica's stream lost b and c in: both were acknowledged. */
static void test_js_acked_message_no_replica_holds_is_acked_kept(void)
{
    struct history *h = js_history();
    js_power_cycle(h, (const uint64_t[N_HOSTS]){ 1, 1, 1 });
    expect_history_of(h, 1u << js_id(), "acked_kept");
    struct oracle_result res;
    oracle_path(h, 1u << js_id(), &res);
    CU_ASSERT_EQUAL(res.found, 2);
    oracle_result_clear(&res);
    history_free(h);
}

/* The only replica that kept c is down at the end: c counts as lost. */
static void test_js_message_held_only_by_a_down_replica_is_acked_kept(void)
{
    struct history *h = js_history();
    js_power_cycle(h, (const uint64_t[N_HOSTS]){ 3, 2, 2 });
    js_state(h, 70, H1, 2, JS_STATE_DOWN);
    expect_history_of(h, 1u << js_id(), "acked_kept");
    history_free(h);
}

/* h3 came back without 2 and 3, and the new leader gave 2 to another message: two
 * replicas' streams are no longer prefixes of one order. */
static void test_js_sequence_holding_two_messages_is_one_order(void)
{
    struct history *h = js_history();
    js_power_cycle(h, (const uint64_t[N_HOSTS]){ 3, 3, 1 });
    js_event(h, 80, H3, 2, JS_EVENT_STORE, D, 2);
    expect_history_of(h, 1u << js_id(), "one_order");
    history_free(h);
}

void test_register(void)
{
    TEST_SUITE("check",
               TEST(test_correct_history_passes_every_check),
               TEST(test_disagreement_at_one_seq_is_agreement),
               TEST(test_lost_acked_write_is_durability),
               TEST(test_two_leaders_in_one_epoch),
               TEST(test_zxid_going_backwards_is_zxid_monotonic),
               TEST(test_epoch_forgotten_after_restart_is_epochs_monotonic),
               TEST(test_commits_out_of_zxid_order_is_commit_order),
               TEST(test_serving_without_a_newleader_quorum_is_newleader_quorum),
               TEST(test_delivery_never_proposed_is_integrity),
               TEST(test_counter_gap_is_local_primary_order),
               TEST(test_epoch_going_backwards_is_global_primary_order),
               TEST(test_leader_missing_committed_txn_is_primary_integrity),
               TEST(test_truncated_committed_entry_is_committed_log_durability),
               TEST(test_delivery_never_submitted_is_integrity),
               TEST(test_epoch_starting_after_counter_one_is_local_primary_order),
               TEST(test_delivery_before_its_proposal_is_integrity),
               TEST(test_retried_write_committed_twice_breaks_nothing),
               TEST(test_host_not_serving_at_end_is_not_bound_by_durability),
               TEST(test_total_order_inversion_between_two_hosts),
               TEST(test_many_violations_are_counted_and_capped),
               TEST(test_pubsub_alone_has_no_invariants),
               TEST(test_js_correct_history_passes),
               TEST(test_js_acked_message_no_replica_holds_is_acked_kept),
               TEST(test_js_message_held_only_by_a_down_replica_is_acked_kept),
               TEST(test_js_sequence_holding_two_messages_is_one_order));
    TEST_SUITE("zabsim check",
               TEST(test_cli_check_reports_each_run),
               TEST(test_cli_check_takes_a_run_of_both_models),
               TEST(test_cli_check_does_not_trust_the_stored_verdict),
               TEST(test_cli_check_refuses_a_row_naming_an_unknown_host),
               TEST(test_cli_check_rejects_unusable_files));
}
