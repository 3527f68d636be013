/* test_db.c: the results database (reports/db*.c, schema.sql, measures): recording a
 * hand-made run through the recorder, reading every table and the summary back exactly,
 * appending a second run, aborting, refusing files that are not zabsim databases, and
 * running every canned query in reports/queries/. */
#include <glib/gstdio.h>
#include <string.h>

#include "protocol/pubsub/pubsub.h"
#include "protocol/jetstream/jetstream.h"
#include "protocol/zab/zab.h"
#include "reports/db.h"
#include "tests/harness.h"
#include "world/model.h"

#define ZXID(epoch, counter) (((int64_t)(epoch) << 32) | (counter))
#define MSG(client, seq) msg_id_make(client, seq)

enum { H1, H2, H3, N_HOSTS };
static const char *const host_names[N_HOSTS] = { "h1", "h2", "h3" };

#define MODEL_ZAB ((model_id)model_find("zab"))
#define MODEL_PUBSUB ((model_id)model_find("pubsub"))
#define BOTH ((1u << MODEL_ZAB) | (1u << MODEL_PUBSUB))

/* ---- recording the synthetic run ------------------------------------------------------- */

static struct recorder rec;

static void emit(struct trace_rec r)
{
    rec.record(rec.ctx, &r);
}

static void state(sim_time t, int host, uint32_t inc, enum zab_server_state st,
                  enum zab_phase phase, int64_t epoch)
{
    emit((struct trace_rec){ .kind = TRACE_STATE, .model = MODEL_ZAB, .t_ns = t, .host = host,
                             .incarnation = inc, .u.state = { st, phase, epoch } });
}

/* Offers message m to both models at t from a client attached to host (-1: none). */
static void submit(sim_time t, model_id model, msg_id_t m, int host)
{
    emit((struct trace_rec){ .kind = TRACE_SUBMISSION, .model = model, .t_ns = t, .host = -1,
                             .u.submission = { m, msg_id_client(m), host } });
}

static void outcome(sim_time t, model_id model, msg_id_t m, enum outcome o)
{
    emit((struct trace_rec){ .kind = TRACE_OUTCOME, .model = model, .t_ns = t, .host = -1,
                             .u.outcome = { m, o } });
}

static void propose(sim_time t, int host, int64_t epoch, int64_t zxid, msg_id_t m)
{
    emit((struct trace_rec){ .kind = TRACE_EVENT, .model = MODEL_ZAB, .t_ns = t, .host = host,
                             .incarnation = 1,
                             .u.event = { ZAB_EVENT_PROPOSAL, m, epoch, zxid, false } });
}

/* The leader at host (its incarnation given) counted the NEWLEADER ACK of host by. */
static void newleader_acks(sim_time t, int host, uint32_t incarnation, int64_t epoch, int by1,
                           int by2)
{
    const int by[] = { by1, by2 };
    for (int i = 0; i < 2; i++)
        emit((struct trace_rec){ .kind = TRACE_EVENT, .model = MODEL_ZAB, .t_ns = t,
                                 .host = host, .incarnation = incarnation,
                                 .u.event = { ZAB_EVENT_NEWLEADER_ACK, MSG_ID_NONE, epoch,
                                              by[i] + 1, false } });
}

static void commit(sim_time t, int host, int64_t zxid)
{
    emit((struct trace_rec){ .kind = TRACE_EVENT, .model = MODEL_ZAB, .t_ns = t, .host = host,
                             .incarnation = 1,
                             .u.event = { ZAB_EVENT_COMMIT, MSG_ID_NONE, 0, zxid, false } });
}

static void deliver(sim_time t, model_id model, int host, uint32_t inc, uint64_t seq,
                    msg_id_t m, int64_t zxid, bool replayed)
{
    emit((struct trace_rec){ .kind = TRACE_DELIVERY, .model = model, .t_ns = t, .host = host,
                             .incarnation = inc, .u.delivery = { seq, m, zxid, replayed } });
}

static void drop(sim_time t, msg_id_t m, enum ps_drop_cause cause, int meant_for)
{
    emit((struct trace_rec){ .kind = TRACE_DROP, .model = MODEL_PUBSUB, .t_ns = t, .host = -1,
                             .u.drop = { m, (uint8_t)cause, meant_for, NULL } });
}

/* A host's machine starts (incarnation inc begins) or stops. */
static void life(sim_time t, int host, uint32_t inc, bool up, enum fault_kind cause)
{
    emit((struct trace_rec){ .kind = TRACE_HOST_LIFE, .model = MODEL_ID_NONE, .t_ns = t,
                             .host = host, .incarnation = inc, .u.life = { up, cause } });
}

/* The pub/sub subscriber of host subscribes (up) or loses its connection. */
static void receiver(sim_time t, int host, uint32_t inc, bool up)
{
    emit((struct trace_rec){ .kind = TRACE_STATE, .model = MODEL_PUBSUB, .t_ns = t,
                             .host = host, .incarnation = inc,
                             .u.state = { up ? PS_STATE_SUBSCRIBED : PS_STATE_DOWN,
                                          TRACE_PHASE_NONE, 0 } });
}

/* Client c of model can issue operations through host (up) or cannot. */
static void client(sim_time t, model_id model, uint32_t c, bool up, int host)
{
    emit((struct trace_rec){ .kind = TRACE_CLIENT, .model = model, .t_ns = t, .host = -1,
                             .u.client = { c, up, host } });
}

static void fault(sim_time t, enum fault_kind kind, const char *target, const char *detail)
{
    emit((struct trace_rec){ .kind = TRACE_FAULT, .model = MODEL_ID_NONE, .t_ns = t,
                             .host = -1, .u.fault = { kind, target, detail } });
}

static void message(model_id model, const char *type, const char *src, const char *dst,
                    sim_time sent, sim_time recv, enum msg_loss loss, msg_id_t m)
{
    emit((struct trace_rec){ .kind = TRACE_MESSAGE, .model = model,
                             .t_ns = recv < 0 ? sent : recv, .host = -1,
                             .u.message = { type, src, dst, sent, recv, loss, m } });
}

static const msg_id_t C1_1 = ((int64_t)1 << 32) | 1, C1_2 = ((int64_t)1 << 32) | 2,
                      C1_3 = ((int64_t)1 << 32) | 3, C2_1 = ((int64_t)2 << 32) | 1,
                      C2_2 = ((int64_t)2 << 32) | 2;

/* Epoch 1 under leader h1: four writes offered to both models, three committed. Pub/sub
 * reorders c1:1/c2:1 at h2, duplicates c1:2 there, and drops c2:2 at h2. */
static void record_epoch_one(void)
{
    for (int h = H1; h < N_HOSTS; h++)
        life(0, h, 1, true, TRACE_FAULT_RESTART);
    for (int h = H1; h < N_HOSTS; h++)
        state(0, h, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 0);
    client(5, MODEL_PUBSUB, 1, true, H1);
    client(6, MODEL_PUBSUB, 2, true, H2);
    for (int h = H1; h < N_HOSTS; h++)
        receiver(10, h, 1, true);
    state(100, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, 1);
    state(100, H2, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_DISCOVERY, 1);
    state(100, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_DISCOVERY, 1);
    newleader_acks(199, H1, 1, 1, H1, H2);
    state(200, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
    state(200, H2, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    state(200, H3, 1, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    client(250, MODEL_ZAB, 1, true, H1);
    client(260, MODEL_ZAB, 2, true, H2);
    const msg_id_t msgs[] = { C1_1, C2_1, C1_2, C2_2 };
    const int hosts[] = { H1, H2, H1, H2 };
    for (int i = 0; i < 4; i++) {
        if (msgs[i] == C2_2) /* the pub/sub client c2 has just lost its broker */
            client(325, MODEL_PUBSUB, 2, false, -1);
        submit(300 + 10 * i, MODEL_ZAB, msgs[i], hosts[i]);
        submit(300 + 10 * i, MODEL_PUBSUB, msgs[i], msgs[i] == C2_2 ? -1 : hosts[i]);
        outcome(301 + 10 * i, MODEL_PUBSUB, msgs[i], TRACE_OUTCOME_ACKED);
    }
    drop(335, C2_2, PS_DROP_PUBLISHER_DISCONNECTED, -1);
    client(400, MODEL_PUBSUB, 2, true, H2);
    for (int i = 0; i < 3; i++)
        propose(400 + 10 * i, H1, 1, ZXID(1, i + 1), msgs[i]);
    message(MODEL_ZAB, "PROPOSAL", "h1", "h2", 400, 401, TRACE_LOSS_NONE, C1_1);
    message(MODEL_ZAB, "PING", "h1", "h3", 450, 451, TRACE_LOSS_NONE, MSG_ID_NONE);
    for (int i = 0; i < 3; i++) {
        commit(500 + 10 * i, H1, ZXID(1, i + 1));
        outcome(505 + 10 * i, MODEL_ZAB, msgs[i], TRACE_OUTCOME_ACKED);
    }
    commit(600, H1, ZXID(1, 1));                  /* a second commit changes nothing */
    outcome(999, MODEL_ZAB, C1_1, TRACE_OUTCOME_TIMEOUT); /* nor does a second outcome */
    for (int i = 0; i < 3; i++) {
        deliver(530 + 10 * i, MODEL_ZAB, H1, 1, i + 1, msgs[i], ZXID(1, i + 1), false);
        if (i < 2)
            deliver(535 + 10 * i, MODEL_ZAB, H2, 1, i + 1, msgs[i], ZXID(1, i + 1), false);
        deliver(536 + 10 * i, MODEL_ZAB, H3, 1, i + 1, msgs[i], ZXID(1, i + 1), false);
    }
    for (int i = 0; i < 4; i++) {
        deliver(350 + 10 * i, MODEL_PUBSUB, H1, 1, i + 1, msgs[i], TRACE_NO_LOG_ID, false);
        deliver(351 + 10 * i, MODEL_PUBSUB, H3, 1, i + 1, msgs[i], TRACE_NO_LOG_ID, false);
    }
    deliver(352, MODEL_PUBSUB, H2, 1, 1, C2_1, TRACE_NO_LOG_ID, false);
    deliver(362, MODEL_PUBSUB, H2, 1, 2, C1_1, TRACE_NO_LOG_ID, false);
    deliver(372, MODEL_PUBSUB, H2, 1, 3, C1_2, TRACE_NO_LOG_ID, false);
    deliver(373, MODEL_PUBSUB, H2, 1, 4, C1_2, TRACE_NO_LOG_ID, false);
    drop(381, C2_2, PS_DROP_SLOW_CONSUMER, H2);
}

/* h2 crashes and comes back (replaying what it had), then leader h1 crashes after proposing
 * c2:2, which is never committed; h2 truncates it in epoch 2 under leader h3. */
static void record_crashes(void)
{
    fault(600, TRACE_FAULT_CRASH, "h2", "process crash");
    life(600, H2, 1, false, TRACE_FAULT_CRASH);
    state(600, H2, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    receiver(600, H2, 1, false);
    client(600, MODEL_ZAB, 2, false, -1);
    client(600, MODEL_PUBSUB, 2, false, -1);
    client(603, MODEL_PUBSUB, 2, true, H3);
    message(MODEL_PUBSUB, "MSG", "h1", "h2", 650, -1, TRACE_LOSS_RECEIVER_DOWN, C2_2);
    fault(700, TRACE_FAULT_RESTART, "h2", "restart");
    life(700, H2, 2, true, TRACE_FAULT_RESTART);
    state(700, H2, 2, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 1);
    receiver(720, H2, 2, true);
    state(750, H2, 2, ZAB_STATE_FOLLOWING, ZAB_PHASE_SYNCHRONIZATION, 1);
    state(800, H2, 2, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 1);
    deliver(810, MODEL_ZAB, H2, 2, 1, C1_1, ZXID(1, 1), true);
    deliver(811, MODEL_ZAB, H2, 2, 2, C2_1, ZXID(1, 2), true);
    deliver(812, MODEL_ZAB, H2, 2, 3, C1_2, ZXID(1, 3), false);
    client(820, MODEL_ZAB, 2, true, H2);
    propose(880, H1, 1, ZXID(1, 4), C2_2);
    fault(900, TRACE_FAULT_CRASH, "h1", "process crash");
    life(900, H1, 1, false, TRACE_FAULT_CRASH);
    state(900, H1, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 1);
    receiver(900, H1, 1, false);
    client(900, MODEL_ZAB, 1, false, -1);
    client(900, MODEL_PUBSUB, 1, false, -1);
    client(902, MODEL_PUBSUB, 1, true, H3);
    client(905, MODEL_ZAB, 2, false, -1); /* h2 lost its leader and closed its clients */
    outcome(950, MODEL_ZAB, C2_2, TRACE_OUTCOME_TIMEOUT);
    state(1000, H3, 1, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, 2);
    state(1000, H2, 2, ZAB_STATE_FOLLOWING, ZAB_PHASE_DISCOVERY, 2);
    emit((struct trace_rec){ .kind = TRACE_EVENT, .model = MODEL_ZAB, .t_ns = 1050, .host = H2,
                             .incarnation = 2,
                             .u.event = { ZAB_EVENT_TRUNCATE, C2_2, 0, ZXID(1, 4), false } });
    newleader_acks(1099, H3, 1, 2, H3, H2);
    state(1100, H3, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 2);
    state(1100, H2, 2, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 2);
    client(1120, MODEL_ZAB, 2, true, H2);
    client(1150, MODEL_ZAB, 1, true, H3);
}

/* Epoch 2 commits c1:3; then h2 and h3 lose power together and come back for epoch 3. */
static void record_epoch_two(void)
{
    submit(1200, MODEL_ZAB, C1_3, H3);
    submit(1200, MODEL_PUBSUB, C1_3, H3);
    outcome(1201, MODEL_PUBSUB, C1_3, TRACE_OUTCOME_ACKED);
    deliver(1202, MODEL_PUBSUB, H3, 1, 5, C1_3, TRACE_NO_LOG_ID, false);
    drop(1202, C1_3, PS_DROP_BROKER_DOWN, H1);
    deliver(1203, MODEL_PUBSUB, H2, 2, 1, C1_3, TRACE_NO_LOG_ID, false);
    propose(1210, H3, 2, ZXID(2, 1), C1_3);
    commit(1250, H3, ZXID(2, 1));
    outcome(1260, MODEL_ZAB, C1_3, TRACE_OUTCOME_ACKED);
    deliver(1270, MODEL_ZAB, H3, 1, 4, C1_3, ZXID(2, 1), false);
    deliver(1275, MODEL_ZAB, H2, 2, 4, C1_3, ZXID(2, 1), false);
    fault(1800, TRACE_FAULT_POWER_OFF, "h2,h3", "power off");
    life(1800, H2, 2, false, TRACE_FAULT_POWER_OFF);
    life(1800, H3, 1, false, TRACE_FAULT_POWER_OFF);
    state(1800, H2, 2, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 2);
    state(1800, H3, 1, ZAB_STATE_DOWN, ZAB_PHASE_NONE, 2);
    receiver(1800, H2, 2, false);
    receiver(1800, H3, 1, false);
    for (uint32_t c = 1; c <= 2; c++) {
        client(1800, MODEL_ZAB, c, false, -1);
        client(1800, MODEL_PUBSUB, c, false, -1);
    }
    fault(1900, TRACE_FAULT_RESTART, "h2,h3", "restart");
    life(1900, H2, 3, true, TRACE_FAULT_RESTART);
    life(1900, H3, 2, true, TRACE_FAULT_RESTART);
    state(1900, H2, 3, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 2);
    state(1900, H3, 2, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 2);
    client(1910, MODEL_PUBSUB, 1, true, H3);
    client(1912, MODEL_PUBSUB, 2, true, H2);
    receiver(1920, H2, 3, true);
    receiver(1920, H3, 2, true);
    newleader_acks(1949, H2, 3, 3, H2, H3);
    state(1950, H2, 3, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 3);
    state(1950, H3, 2, ZAB_STATE_FOLLOWING, ZAB_PHASE_BROADCAST, 3);
    client(1960, MODEL_ZAB, 1, true, H2);
    client(1960, MODEL_ZAB, 2, true, H2);
    const msg_id_t history[] = { C1_1, C2_1, C1_2, C1_3 };
    const int64_t zxids[] = { ZXID(1, 1), ZXID(1, 2), ZXID(1, 3), ZXID(2, 1) };
    for (int i = 0; i < 4; i++) {
        deliver(1960 + i, MODEL_ZAB, H2, 3, i + 1, history[i], zxids[i], true);
        deliver(1965 + i, MODEL_ZAB, H3, 2, i + 1, history[i], zxids[i], true);
    }
}

static const struct db_host_end synthetic_end[N_HOSTS] = {
    { "h1", false, 1 },
    { "h2", true, 3 },
    { "h3", true, 2 },
};

/* Records the synthetic run into path (a new file or an existing database) at the given
 * level and commits it with the given verdict and wall time; returns its run_id. */
static int64_t commit_synthetic_at(const char *path, const char *verdict, int64_t wall_ms,
                                   enum db_record_level level)
{
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, BOTH, level, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    record_epoch_one();
    record_crashes();
    record_epoch_two();
    struct db_run_meta meta = {
        .scenario = "synthetic", .description = "A small hand-made run",
        .scenario_path = "scenarios/synthetic.yaml", .scenario_text = "name: synthetic\n",
        .seed = 42, .hosts = N_HOSTS, .duration_ns = 2000, .workload_start_ns = 300,
        .workload_stop_ns = 1300, .models = BOTH, .queue_group = NULL, .wall_ms = wall_ms,
    };
    CU_ASSERT_TRUE_FATAL(db_run_finish(r, &meta, synthetic_end, &err));
    CU_ASSERT_EQUAL(db_run_violations(r), 0);
    int64_t run_id = 0;
    CU_ASSERT_TRUE_FATAL(db_run_commit(r, verdict, &run_id, &err));
    return run_id;
}

static int64_t commit_synthetic(const char *path, const char *verdict, int64_t wall_ms)
{
    return commit_synthetic_at(path, verdict, wall_ms, DB_RECORD_MESSAGES);
}

/* ---- reading back ---------------------------------------------------------------------- */

/* Every row of a query, columns joined by '|', rows by '\n', NULL as "NULL". */
static char *rows(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    CU_ASSERT_EQUAL_FATAL(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    GString *out = g_string_new(NULL);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
        if (out->len)
            g_string_append_c(out, '\n');
        for (int i = 0; i < sqlite3_column_count(st); i++) {
            const char *v = (const char *)sqlite3_column_text(st, i);
            g_string_append_printf(out, "%s%s", i ? "|" : "", v ? v : "NULL");
        }
    }
    CU_ASSERT_EQUAL(rc, SQLITE_DONE);
    sqlite3_finalize(st);
    return g_string_free(out, FALSE);
}

static void expect_rows(sqlite3 *db, const char *sql, const char *expect)
{
    char *got = rows(db, sql);
    CU_ASSERT_STRING_EQUAL(got, expect);
    if (strcmp(got, expect) != 0)
        fprintf(stderr, "\n%s\n  expected:\n%s\n  got:\n%s\n", sql, expect, got);
    g_free(got);
}

/* Every table's rows of one run, in insertion order, without the columns listed in skip
 * (comma separated, e.g. "run_id,wall_ms"). */
static char *dump_run(sqlite3 *db, int64_t run_id, const char *skip)
{
    char *tables = rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table' "
                            "AND name NOT LIKE 'sqlite%' ORDER BY name");
    char **names = g_strsplit(tables, "\n", -1);
    GString *out = g_string_new(NULL);
    for (char **t = names; *t; t++) {
        char *cols_sql = g_strdup_printf("SELECT name FROM pragma_table_info('%s') "
                                         "WHERE instr(',%s,', ',' || name || ',') = 0",
                                         *t, skip);
        char *cols = rows(db, cols_sql);
        g_strdelimit(cols, "\n", ',');
        char *sql = g_strdup_printf("SELECT %s FROM %s WHERE run_id = %" G_GINT64_FORMAT
                                    " ORDER BY rowid", cols, *t, run_id);
        char *content = rows(db, sql);
        g_string_append_printf(out, "[%s]\n%s\n", *t, content);
        g_free(content);
        g_free(sql);
        g_free(cols);
        g_free(cols_sql);
    }
    g_strfreev(names);
    g_free(tables);
    return g_string_free(out, FALSE);
}

static char *temp_dir(void)
{
    char *dir = g_dir_make_tmp("zabsim-db-XXXXXX", NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    return dir;
}

/* Removes dir and what is in it; asserts it held exactly `expect_files` files first. */
static void remove_dir(char *dir, int expect_files)
{
    GDir *d = g_dir_open(dir, 0, NULL);
    int n = 0;
    for (const char *name; (name = g_dir_read_name(d)); n++) {
        char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
        g_free(path);
    }
    g_dir_close(d);
    CU_ASSERT_EQUAL(n, expect_files);
    g_rmdir(dir);
    g_free(dir);
}

static sqlite3 *open_read_only(const char *path)
{
    GError *err = NULL;
    sqlite3 *db = db_open(path, false, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    return db;
}

/* ---- tests ----------------------------------------------------------------------------- */

static void test_db_records_run_tables(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    CU_ASSERT_EQUAL(commit_synthetic(path, "pass", 1234), 1);
    sqlite3 *db = open_read_only(path);
    expect_rows(db, "SELECT * FROM runs",
                "1|synthetic|A small hand-made run|scenarios/synthetic.yaml|name: synthetic\n"
                "|42|3|2000|zab,pubsub|NULL|300|1300|" ZABSIM_VERSION "|1234|messages|pass|NULL");
    expect_rows(db, "SELECT * FROM models ORDER BY position",
                "1|0|zab|ZAB|LEADING|BROADCAST|1|0|1\n"
                "1|1|pubsub|pub/sub|NULL|NULL|0|0|0");
    expect_rows(db, "SELECT * FROM hosts ORDER BY rowid",
                "1|0|h1|0|1\n"
                "1|1|h2|1|3\n"
                "1|2|h3|1|2");
    /* Each host's state at the end is its last host_states row. */
    expect_rows(db, "SELECT model, host, incarnation, state, phase FROM host_ends "
                    "ORDER BY host, model DESC",
                "zab|h1|1|DOWN|NULL\n"
                "pubsub|h1|1|DOWN|NULL\n"
                "zab|h2|3|LEADING|BROADCAST\n"
                "pubsub|h2|3|SUBSCRIBED|NULL\n"
                "zab|h3|2|FOLLOWING|BROADCAST\n"
                "pubsub|h3|2|SUBSCRIBED|NULL");
    /* One row per life of each machine, ended by the crash or power-off that stopped it. */
    expect_rows(db, "SELECT host, incarnation, started_ns, ended_ns, ended_by FROM host_lives "
                    "ORDER BY host, incarnation",
                "h1|1|0|900|crash\n"
                "h2|1|0|600|crash\n"
                "h2|2|700|1800|power_off\n"
                "h2|3|1900|NULL|NULL\n"
                "h3|1|0|1800|power_off\n"
                "h3|2|1900|NULL|NULL");
    expect_rows(db, "SELECT model, t_ns, client, up, host FROM client_states "
                    "WHERE client = 'c2' ORDER BY trace_seq",
                "pubsub|6|c2|1|h2\n"
                "zab|260|c2|1|h2\n"
                "pubsub|325|c2|0|NULL\n"
                "pubsub|400|c2|1|h2\n"
                "zab|600|c2|0|NULL\n"
                "pubsub|600|c2|0|NULL\n"
                "pubsub|603|c2|1|h3\n"
                "zab|820|c2|1|h2\n"
                "zab|905|c2|0|NULL\n"
                "zab|1120|c2|1|h2\n"
                "zab|1800|c2|0|NULL\n"
                "pubsub|1800|c2|0|NULL\n"
                "pubsub|1912|c2|1|h2\n"
                "zab|1960|c2|1|h2");
    /* trace_seq: the record's position in the trace, across tables. */
    expect_rows(db, "SELECT * FROM faults ORDER BY rowid",
                "1|70|600|crash|h2|process crash\n"
                "1|78|700|restart|h2|restart\n"
                "1|89|900|crash|h1|process crash\n"
                "1|118|1800|power_off|h2,h3|power off\n"
                "1|129|1900|restart|h2,h3|restart");
    expect_rows(db, "SELECT count(*) FROM host_states", "34");
    expect_rows(db, "SELECT * FROM host_states WHERE host = 'h2' ORDER BY rowid",
                "1|4|zab|0|h2|1|LOOKING|ELECTION|0\n"
                "1|9|pubsub|10|h2|1|SUBSCRIBED|NULL|0\n"
                "1|12|zab|100|h2|1|FOLLOWING|DISCOVERY|1\n"
                "1|17|zab|200|h2|1|FOLLOWING|BROADCAST|1\n"
                "1|72|zab|600|h2|1|DOWN|NULL|1\n"
                "1|73|pubsub|600|h2|1|DOWN|NULL|0\n"
                "1|80|zab|700|h2|2|LOOKING|ELECTION|1\n"
                "1|81|pubsub|720|h2|2|SUBSCRIBED|NULL|0\n"
                "1|82|zab|750|h2|2|FOLLOWING|SYNCHRONIZATION|1\n"
                "1|83|zab|800|h2|2|FOLLOWING|BROADCAST|1\n"
                "1|99|zab|1000|h2|2|FOLLOWING|DISCOVERY|2\n"
                "1|104|zab|1100|h2|2|FOLLOWING|BROADCAST|2\n"
                "1|121|zab|1800|h2|2|DOWN|NULL|2\n"
                "1|123|pubsub|1800|h2|2|DOWN|NULL|0\n"
                "1|132|zab|1900|h2|3|LOOKING|ELECTION|2\n"
                "1|136|pubsub|1920|h2|3|SUBSCRIBED|NULL|0\n"
                "1|140|zab|1950|h2|3|LEADING|BROADCAST|3");
    char *version = g_strdup_printf("%d|%d", DB_APPLICATION_ID, DB_SCHEMA_VERSION);
    expect_rows(db, "SELECT * FROM pragma_application_id, pragma_user_version", version);
    g_free(version);
    sqlite3_close(db);
    g_free(path);
    remove_dir(dir, 1); /* the database, and no private file left behind */
}

static void test_db_records_message_tables(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    commit_synthetic(path, "pass", 0);
    sqlite3 *db = open_read_only(path);
    /* First definitive outcome wins (with its own trace position); a client without a
     * host has host NULL. */
    expect_rows(db, "SELECT * FROM submissions ORDER BY rowid",
                "1|21|zab|c1:1|c1|1|h1|300|acked|505|42\n"
                "1|22|pubsub|c1:1|c1|1|h1|300|acked|301|23\n"
                "1|24|zab|c2:1|c2|1|h2|310|acked|515|44\n"
                "1|25|pubsub|c2:1|c2|1|h2|310|acked|311|26\n"
                "1|27|zab|c1:2|c1|2|h1|320|acked|525|46\n"
                "1|28|pubsub|c1:2|c1|2|h1|320|acked|321|29\n"
                "1|31|zab|c2:2|c2|2|h2|330|timeout|950|97\n"
                "1|32|pubsub|c2:2|c2|2|NULL|330|acked|331|33\n"
                "1|107|zab|c1:3|c1|3|h3|1200|acked|1260|115\n"
                "1|108|pubsub|c1:3|c1|3|h3|1200|acked|1201|109");
    /* The client's view of the same operations. */
    expect_rows(db, "SELECT model, client, msg_id, invoke_ns, complete_ns, type "
                    "FROM operations WHERE client = 'c2' ORDER BY model DESC, client_seq",
                "zab|c2|c2:1|310|515|ok\n"
                "zab|c2|c2:2|330|950|unknown\n"
                "pubsub|c2|c2:1|310|311|ok\n"
                "pubsub|c2|c2:2|330|331|ok");
    /* First commit only; the uncommitted proposal keeps committed_ns NULL. */
    expect_rows(db, "SELECT * FROM proposals ORDER BY rowid",
                "1|36|1|4294967297|h1|1|c1:1|400|500|41\n"
                "1|37|1|4294967298|h1|1|c2:1|410|510|43\n"
                "1|38|1|4294967299|h1|1|c1:2|420|520|45\n"
                "1|88|1|4294967300|h1|1|c2:2|880|NULL|NULL\n"
                "1|113|2|8589934593|h3|1|c1:3|1210|1250|114");
    expect_rows(db, "SELECT model, count(*), count(zxid), sum(replayed) FROM deliveries "
                    "GROUP BY model ORDER BY model",
                "pubsub|14|0|0\nzab|21|21|10");
    expect_rows(db, "SELECT * FROM deliveries WHERE host = 'h2' AND incarnation = 2 "
                    "ORDER BY model, seq",
                "1|112|pubsub|h2|2|1|c1:3|NULL|0|1203\n"
                "1|84|zab|h2|2|1|c1:1|4294967297|1|810\n"
                "1|85|zab|h2|2|2|c2:1|4294967298|1|811\n"
                "1|86|zab|h2|2|3|c1:2|4294967299|0|812\n"
                "1|117|zab|h2|2|4|c1:3|8589934593|0|1275");
    expect_rows(db, "SELECT * FROM drops ORDER BY rowid",
                "1|34|pubsub|c2:2|NULL|335|publisher_disconnected|NULL\n"
                "1|69|pubsub|c2:2|h2|381|slow_consumer|NULL\n"
                "1|111|pubsub|c1:3|h1|1202|broker_down|NULL");
    expect_rows(db, "SELECT * FROM messages ORDER BY rowid",
                "1|39|zab|PROPOSAL|h1|h2|400|401|NULL|c1:1\n"
                "1|40|zab|PING|h1|h3|450|451|NULL|NULL\n"
                "1|77|pubsub|MSG|h1|h2|650|NULL|receiver_down|c2:2");
    expect_rows(db, "SELECT * FROM truncations", "1|100|1050|h2|2|4294967300|c2:2|0");
    expect_rows(db, "SELECT count(*) FROM violations", "0");
    sqlite3_close(db);
    g_free(path);
    remove_dir(dir, 1);
}

/* The numbers, worked out by hand from the definitions in docs/database.md
 * (reports/measures.sql). The workload runs from 300; the run ends at 2000.
 * ZAB: 5 submitted, 4 acked, c2:2 timed out (unknown), 4 delivered. Counted hosts: h2 and
 * h3 (up and in BROADCAST at the end); between their incarnations they delivered all four:
 * nothing lost. Acks 205 x3 and 60: p50 = 2nd of 4 = 205, p99 = 4th = 205, max 205.
 * Deliveries by incarnations running at submission, not replayed: 230 x3 (h1), 235 x2
 * (h2#1), 236 x3 and 70 (h3#1), 75 (h2#2 delivering c1:3, submitted after its restart at
 * 700; its c1:2 at 812 was submitted before it): p50 = 5th of 10 = 230, p99 = 10th = 236.
 * Catch-ups: h2#2 (restart 700; c1:1, c2:1, c1:2 delivered before; its last at 812): 112;
 * h2#3 and h3#2 (1900; all four; last at 1963 and 1968): 63 and 68; max 112. Unavailable:
 * c2:2 failing [330, 950], c2 down [600, 820) and [905, 1120), c1 down [900, 1150): one
 * stretch [330, 1150) = 820; both down [1800, 1960) = 160; total 980. Leaders h1, h3, h2:
 * 2 changes. No redelivery: what h2#2, h2#3 and h3#2 got again were replays, and h2#2's c1:2
 * was h2's first.
 * pub/sub: 5 submitted and acked (Publish returned at once: every ack 1), 5 delivered.
 * Counted hosts h2 and h3: h2 never got c2:2, and its subscriber was up at 330: 1 lost in
 * transit. c1:2 twice at h2#1: 1 duplicate, and so 1 redelivery. {c1:1, c2:1} adjacent at
 * h1#1 and reversed at h2#1: 1 disagreement. Deliveries 2, 3, 42, 50 x4, 51 x4, 52, 53, 62:
 * p50 = 7th of 14 = 50, p99 = 14th = 62. No history to catch up with. Unavailable: c2 down
 * [325, 400) and [600, 603), c1 down [900, 902), both down [1800, 1912):
 * 75 + 3 + 2 + 112 = 192. */
static void test_db_summary_is_exact(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    commit_synthetic(path, "pass", 0);
    sqlite3 *db = open_read_only(path);
    expect_rows(db, "SELECT * FROM run_summary ORDER BY model DESC",
                "1|zab|5|4|0|1|4|0|0|0|0|0|0|205|205|205|230|236|236|3|112|0|980|2\n"
                "1|pubsub|5|5|0|0|5|1|1|0|1|1|1|1|1|1|50|62|62|NULL|NULL|NULL|192|NULL");
    expect_rows(db, "SELECT model, host, counted, delivered, lost, lost_in_transit, "
                    "missed_while_down FROM host_summary ORDER BY model DESC, host",
                "zab|h1|0|3|NULL|NULL|NULL\n"
                "zab|h2|1|4|0|0|0\n"
                "zab|h3|1|4|0|0|0\n"
                "pubsub|h1|0|4|NULL|NULL|NULL\n"
                "pubsub|h2|1|4|1|1|0\n"
                "pubsub|h3|1|5|0|0|0");
    expect_rows(db, "SELECT model, host, incarnation, started_ns, caught_up_ns FROM catchups "
                    "ORDER BY host, incarnation",
                "zab|h2|2|700|812\n"
                "zab|h2|3|1900|1963\n"
                "zab|h3|2|1900|1968");
    expect_rows(db, "SELECT model, msg_id, host, receiver_up, cause FROM losses",
                "pubsub|c2:2|h2|1|publisher_disconnected");
    sqlite3_close(db);
    g_free(path);
    remove_dir(dir, 1);
}

/* The same run at summary level: the same measures to the digit, states, lives and faults,
 * and not one per-message row. */
static void test_db_summary_level_keeps_measures_without_rows(void)
{
    char *dir = temp_dir();
    char *full = g_build_filename(dir, "full.db", NULL);
    char *lean = g_build_filename(dir, "lean.db", NULL);
    commit_synthetic(full, "pass", 0);
    commit_synthetic_at(lean, "pass", 0, DB_RECORD_SUMMARY);
    sqlite3 *a = open_read_only(full), *b = open_read_only(lean);
    const char *const same[] = { "run_summary", "host_summary", "catchups", "host_states",
                                 "host_lives", "faults", "client_states", "violations" };
    for (size_t i = 0; i < G_N_ELEMENTS(same); i++) {
        char *sql = g_strdup_printf("SELECT * FROM %s ORDER BY rowid", same[i]);
        char *want = rows(a, sql), *got = rows(b, sql);
        if (strcmp(want, got) != 0)
            fprintf(stderr, "\n%s differs at summary level:\n%s\n  outcomes:\n%s\n", same[i],
                    got, want);
        g_free(sql);
        CU_ASSERT_STRING_EQUAL(got, want);
        g_free(want);
        g_free(got);
    }
    expect_rows(b, "SELECT (SELECT count(*) FROM submissions) + (SELECT count(*) FROM "
                   "deliveries) + (SELECT count(*) FROM drops) + (SELECT count(*) FROM messages) "
                   "+ (SELECT count(*) FROM proposals) + (SELECT count(*) FROM truncations)",
                "0");
    expect_rows(b, "SELECT record FROM runs", "summary");
    expect_rows(a, "SELECT count(*) > 0 FROM messages", "1");
    sqlite3_close(a);
    sqlite3_close(b);
    g_free(full);
    g_free(lean);
    remove_dir(dir, 2);
}

/* A second run appends under run_id 2, leaves run 1's rows as they were, and differs from
 * the identical run 1 only in wall_ms (the documented promise). */
static void test_db_second_run_appends(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    CU_ASSERT_EQUAL(commit_synthetic(path, "pass", 10), 1);
    sqlite3 *db = open_read_only(path);
    char *before = dump_run(db, 1, "");
    sqlite3_close(db);

    CU_ASSERT_EQUAL(commit_synthetic(path, "pass", 20), 2);
    db = open_read_only(path);
    char *after = dump_run(db, 1, "");
    CU_ASSERT_STRING_EQUAL(after, before);
    char *first = dump_run(db, 1, "run_id,wall_ms");
    char *second = dump_run(db, 2, "run_id,wall_ms");
    CU_ASSERT_STRING_EQUAL(first, second);
    CU_ASSERT_TRUE(strstr(second, "c1:3") != NULL); /* the dump is not empty */
    expect_rows(db, "SELECT run_id, wall_ms FROM runs ORDER BY run_id", "1|10\n2|20");
    g_free(before);
    g_free(after);
    g_free(first);
    g_free(second);
    sqlite3_close(db);
    g_free(path);
    remove_dir(dir, 1);
}

static void test_db_abort_leaves_no_file(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    record_epoch_one();
    db_run_abort(r);
    CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    remove_dir(dir, 0);
}

/* A run's memory must not grow with its rows (exploration at scale, item 4): the recorder's
 * page cache and index sorter are bounded at 4 MB and spill to files beyond it. With
 * SQLite's defaults here (64 MB in memory) the 200,000-write run peaked at 172 MB. */
static void test_db_recorder_memory_is_bounded(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    expect_rows(db_run_handle(r), "PRAGMA cache_size", "-4096");
    expect_rows(db_run_handle(r), "PRAGMA temp_store", "1"); /* FILE */
    db_run_abort(r);
    g_free(path);
    remove_dir(dir, 0);
}

/* A target that is not a zabsim database is refused when the run starts and, should it
 * appear meanwhile, when it commits; either way the file is left exactly as it was. */
static void test_db_commit_into_non_database_fails_cleanly(void)
{
    static const char garbage[] = "not a database, just text\n";
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, garbage, -1, NULL));
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err));
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, "not a zabsim results database"));
    g_clear_error(&err);

    g_unlink(path);
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    record_epoch_one();
    struct db_run_meta meta = { .scenario = "synthetic", .hosts = N_HOSTS,
                                .duration_ns = 2000, .models = BOTH };
    CU_ASSERT_TRUE_FATAL(db_run_finish(r, &meta, synthetic_end, &err));
    CU_ASSERT_TRUE(g_file_set_contents(path, garbage, -1, NULL));
    CU_ASSERT_FALSE(db_run_commit(r, "pass", NULL, &err));
    CU_ASSERT_PTR_NOT_NULL(err);
    g_clear_error(&err);
    char *content = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(path, &content, NULL, NULL));
    CU_ASSERT_STRING_EQUAL(content, garbage);
    g_free(content);
    g_free(path);
    remove_dir(dir, 1);
}

/* SQLite files that are not ours, or from a newer zabsim, are refused by name. */
static void test_db_refuses_foreign_and_newer_databases(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "other.db", NULL);
    sqlite3 *db = NULL;
    CU_ASSERT_EQUAL(sqlite3_open(path, &db), SQLITE_OK);
    CU_ASSERT_EQUAL(sqlite3_exec(db, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
    sqlite3_close(db);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(db_open(path, false, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "not a zabsim results database"));
    g_clear_error(&err);

    CU_ASSERT_EQUAL(sqlite3_open(path, &db), SQLITE_OK);
    char *sql = g_strdup_printf("PRAGMA application_id = %d; PRAGMA user_version = %d",
                                DB_APPLICATION_ID, DB_SCHEMA_VERSION + 1);
    CU_ASSERT_EQUAL(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
    g_free(sql);
    sqlite3_close(db);
    CU_ASSERT_PTR_NULL(db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "newer zabsim"));
    g_clear_error(&err);
    g_free(path);
    remove_dir(dir, 1);
}

/* A record naming a host the run does not have stops recording; finish reports it. */
static void test_db_recording_error_is_reported_by_finish(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, BOTH, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    deliver(10, MODEL_ZAB, 7, 1, 1, C1_1, ZXID(1, 1), false);
    deliver(11, MODEL_ZAB, H1, 1, 1, C1_1, ZXID(1, 1), false);
    struct db_run_meta meta = { .scenario = "broken", .hosts = N_HOSTS, .duration_ns = 100,
                                .models = BOTH };
    CU_ASSERT_FALSE(db_run_finish(r, &meta, synthetic_end, &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "host 7"));
    g_clear_error(&err);
    CU_ASSERT_FALSE(db_run_commit(r, "pass", NULL, &err)); /* never publishes half a run */
    g_clear_error(&err);
    CU_ASSERT_FALSE(g_file_test(path, G_FILE_TEST_EXISTS));
    g_free(path);
    remove_dir(dir, 0);
}

/* Loss counts only the hosts the definition names: for ZAB those serving (in BROADCAST) at
 * the end, for pub/sub every host up; with a queue group, a pub/sub message is lost only if
 * delivered nowhere. A host's own repeat (a, b, a) is a duplicate, not an order
 * disagreement. */
static void test_db_loss_follows_the_definitions(void)
{
    static const struct db_host_end end[2] = { { "h1", true, 1 }, { "h2", true, 1 } };
    for (int queue_group = 0; queue_group <= 1; queue_group++) {
        char *dir = temp_dir();
        char *path = g_build_filename(dir, "results.db", NULL);
        GError *err = NULL;
        struct db_run *r = db_run_create(path, host_names, 2, BOTH, DB_RECORD_OUTCOMES, &err);
        CU_ASSERT_PTR_NOT_NULL_FATAL(r);
        rec = db_run_recorder(r);
        state(5, H1, 1, ZAB_STATE_LEADING, ZAB_PHASE_BROADCAST, 1);
        state(5, H2, 1, ZAB_STATE_LOOKING, ZAB_PHASE_ELECTION, 1);
        const msg_id_t msgs[] = { C1_1, C1_2 };
        const model_id models[] = { MODEL_ZAB, MODEL_PUBSUB };
        for (int i = 0; i < 2; i++) {
            for (int k = 0; k < 2; k++) {
                model_id model = models[k];
                submit(10 + i, model, msgs[i], H1);
                outcome(20 + i, model, msgs[i], TRACE_OUTCOME_ACKED);
            }
        }
        deliver(30, MODEL_ZAB, H1, 1, 1, C1_1, ZXID(1, 1), false);
        deliver(30, MODEL_PUBSUB, H1, 1, 1, C1_1, TRACE_NO_LOG_ID, false);
        deliver(31, MODEL_PUBSUB, H1, 1, 2, C1_2, TRACE_NO_LOG_ID, false);
        deliver(32, MODEL_PUBSUB, H1, 1, 3, C1_1, TRACE_NO_LOG_ID, false);
        struct db_run_meta meta = { .scenario = "loss", .hosts = 2, .duration_ns = 100,
                                    .models = BOTH, .queue_group = queue_group ? "q" : NULL };
        CU_ASSERT_TRUE_FATAL(db_run_finish(r, &meta, end, &err));
        /* ZAB: c1:2 never reached h1 (h2 is not serving); pub/sub: both messages miss h2,
         * or with a queue group both reached someone. */
        expect_rows(db_run_handle(r),
                    "SELECT model, lost, duplicates, order_disagreements FROM run_summary "
                    "ORDER BY model DESC",
                    queue_group ? "zab|1|0|0\npubsub|0|1|0" : "zab|1|0|0\npubsub|2|1|0");
        db_run_abort(r);
        g_free(path);
        remove_dir(dir, 0);
    }
}

/* The query of a "-- measure:" block of reports/measures.sql, for run 1. */
static char *measure_query(const char *header)
{
    char *mark = g_strdup_printf("-- measure: %s\n", header);
    const char *at = strstr(db_measures_sql(), mark);
    CU_ASSERT_PTR_NOT_NULL_FATAL(at);
    g_free(mark);
    while (g_str_has_prefix(at, "--"))
        at = strchr(at, '\n') + 1;
    const char *end = strstr(at, ";\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(end);
    GString *sql = g_string_new_len(at, end + 1 - at);
    g_string_replace(sql, ":run_id", "1", 0);
    return g_string_free(sql, FALSE);
}

/* A redelivery is a host getting a message again in any incarnation, replays aside. Pub/sub:
 * h1's subscriber gets c1:1, h1 restarts and gets it again: 1 redelivery, no duplicate. ZAB:
 * h2#2 replays c1:1, which h2#1 had: nothing; h1#2 replays c1:2, which h1#1 never had, then
 * gets it again unreplayed: a duplicate, but the first unreplayed delivery at h1, so no
 * redelivery. The C measure and the query of measures.sql say the same. */
static void test_db_redeliveries_span_incarnations(void)
{
    static const struct db_host_end end[2] = { { "h1", true, 2 }, { "h2", true, 2 } };
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, 2, BOTH, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    for (int h = H1; h <= H2; h++)
        life(0, h, 1, true, TRACE_FAULT_RESTART);
    deliver(10, MODEL_PUBSUB, H1, 1, 1, C1_1, TRACE_NO_LOG_ID, false);
    deliver(10, MODEL_ZAB, H2, 1, 1, C1_1, ZXID(1, 1), false);
    for (int h = H1; h <= H2; h++) {
        life(20, h, 1, false, TRACE_FAULT_CRASH);
        life(30, h, 2, true, TRACE_FAULT_RESTART);
    }
    deliver(40, MODEL_PUBSUB, H1, 2, 1, C1_1, TRACE_NO_LOG_ID, false);
    deliver(40, MODEL_ZAB, H2, 2, 1, C1_1, ZXID(1, 1), true);
    deliver(41, MODEL_ZAB, H1, 2, 2, C1_2, ZXID(1, 2), true);
    deliver(42, MODEL_ZAB, H1, 2, 3, C1_2, ZXID(1, 2), false);
    struct db_run_meta meta = { .scenario = "redeliveries", .hosts = 2, .duration_ns = 100,
                                .models = BOTH };
    CU_ASSERT_TRUE_FATAL(db_run_finish(r, &meta, end, &err));
    sqlite3 *db = db_run_handle(r);
    expect_rows(db, "SELECT model, duplicates, redeliveries FROM run_summary",
                "zab|1|0\npubsub|0|1");
    char *duplicates = measure_query("duplicates"), *redeliveries = measure_query("redeliveries");
    expect_rows(db, duplicates, "zab|1\npubsub|0");
    expect_rows(db, redeliveries, "zab|0\npubsub|1");
    g_free(duplicates);
    g_free(redeliveries);
    db_run_abort(r);
    g_free(path);
    remove_dir(dir, 0);
}

static bool count_row(void *ctx, sqlite3_stmt *row, GError **err)
{
    (*(int *)ctx)++;
    return true;
}

/* A small run of the JetStream-style model alone: h1 leads the stream, c1:1 and c2:1 are
 * stored by every replica and acknowledged, and h3's consumer gets c1:1 twice. */
static void commit_synthetic_jetstream(const char *path)
{
    model_id js = (model_id)model_find("jetstream");
    GError *err = NULL;
    struct db_run *r = db_run_create(path, host_names, N_HOSTS, 1u << js, DB_RECORD_OUTCOMES,
                                     &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(r);
    rec = db_run_recorder(r);
    for (int h = H1; h < N_HOSTS; h++) {
        emit((struct trace_rec){ .kind = TRACE_STATE, .model = js, .t_ns = 0, .host = h,
                                 .incarnation = 1, .u.state = { JS_STATE_FOLLOWER, 0, 0 } });
        emit((struct trace_rec){ .kind = TRACE_EVENT, .model = js, .t_ns = 0, .host = h,
                                 .incarnation = 1,
                                 .u.event = { JS_EVENT_RECOVERED, MSG_ID_NONE, 0, 0, false } });
    }
    emit((struct trace_rec){ .kind = TRACE_STATE, .model = js, .t_ns = 50, .host = H1,
                             .incarnation = 1, .u.state = { JS_STATE_LEADER, 0, 1 } });
    const msg_id_t msgs[] = { C1_1, C2_1 };
    for (int i = 0; i < 2; i++) {
        submit(300 + i, js, msgs[i], H1);
        for (int h = H1; h < N_HOSTS; h++)
            emit((struct trace_rec){ .kind = TRACE_EVENT, .model = js, .t_ns = 310 + i,
                                     .host = h, .incarnation = 1,
                                     .u.event = { JS_EVENT_STORE, msgs[i], i + 1, 0, false } });
        emit((struct trace_rec){ .kind = TRACE_EVENT, .model = js, .t_ns = 312 + i, .host = H1,
                                 .incarnation = 1,
                                 .u.event = { JS_EVENT_PUBACK, msgs[i], i + 1, 0, false } });
        outcome(320 + i, js, msgs[i], TRACE_OUTCOME_ACKED);
        for (int h = H1; h < N_HOSTS; h++)
            emit((struct trace_rec){ .kind = TRACE_DELIVERY, .model = js, .t_ns = 330 + i,
                                     .host = h, .incarnation = 1,
                                     .u.delivery = { (uint64_t)i + 1, msgs[i], i + 1, false } });
    }
    emit((struct trace_rec){ .kind = TRACE_EVENT, .model = js, .t_ns = 400, .host = H1,
                             .incarnation = 1,
                             .u.event = { JS_EVENT_REDELIVERY, C1_1, H3, 2, false } });
    emit((struct trace_rec){ .kind = TRACE_DELIVERY, .model = js, .t_ns = 401, .host = H3,
                             .incarnation = 1, .u.delivery = { 3, C1_1, 1, false } });
    struct db_run_meta meta = {
        .scenario = "synthetic_jetstream", .description = "A small hand-made stream",
        .scenario_path = "scenarios/synthetic_jetstream.yaml",
        .scenario_text = "name: synthetic_jetstream\n", .seed = 1, .hosts = N_HOSTS,
        .duration_ns = 2000, .workload_start_ns = 300, .workload_stop_ns = 1300,
        .models = 1u << js, .queue_group = NULL, .wall_ms = 0,
    };
    const struct db_host_end up[N_HOSTS] = { { "h1", true, 1 }, { "h2", true, 1 },
                                             { "h3", true, 1 } };
    CU_ASSERT_TRUE_FATAL(db_run_finish(r, &meta, up, &err));
    CU_ASSERT_EQUAL(db_run_violations(r), 0);
    CU_ASSERT_TRUE_FATAL(db_run_commit(r, "pass", NULL, &err));
}

/* Every canned query runs on a real database and finds something in the synthetic runs. */
static void test_db_canned_queries_run(void)
{
    char *dir = temp_dir();
    char *path = g_build_filename(dir, "results.db", NULL);
    commit_synthetic_jetstream(path); /* run 1: the queries that read the newest run read */
    commit_synthetic(path, "pass", 0); /* one of the two models' runs */
    commit_synthetic(path, "fail", 0);
    sqlite3 *db = open_read_only(path);
    const char *queries = test_source_path("reports/queries");
    GDir *d = g_dir_open(queries, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(d);
    GPtrArray *names = g_ptr_array_new_with_free_func(g_free);
    for (const char *name; (name = g_dir_read_name(d));) {
        if (g_str_has_suffix(name, ".sql"))
            g_ptr_array_add(names, g_strdup(name));
    }
    g_dir_close(d);
    CU_ASSERT_TRUE(names->len >= 5);
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        char *file = g_build_filename(queries, name, NULL);
        char *sql = NULL;
        CU_ASSERT_TRUE_FATAL(g_file_get_contents(file, &sql, NULL, NULL));
        GError *err = NULL;
        int n = 0;
        bool ok = db_exec_rows(db, name, sql, 0, count_row, &n, &err);
        CU_ASSERT_TRUE(ok);
        CU_ASSERT_TRUE(n > 0);
        if (!ok || n == 0)
            fprintf(stderr, "\n%s: %s\n", name, ok ? "no rows" : err->message);
        g_clear_error(&err);
        g_free(sql);
        g_free(file);
    }
    g_ptr_array_free(names, TRUE);
    sqlite3_close(db);
    g_free(path);
    remove_dir(dir, 1);
}

void test_register(void)
{
    TEST_SUITE("db",
               TEST(test_db_records_run_tables),
               TEST(test_db_records_message_tables),
               TEST(test_db_summary_is_exact),
               TEST(test_db_summary_level_keeps_measures_without_rows),
               TEST(test_db_second_run_appends),
               TEST(test_db_abort_leaves_no_file),
               TEST(test_db_recorder_memory_is_bounded),
               TEST(test_db_commit_into_non_database_fails_cleanly),
               TEST(test_db_refuses_foreign_and_newer_databases),
               TEST(test_db_recording_error_is_reported_by_finish),
               TEST(test_db_loss_follows_the_definitions),
               TEST(test_db_redeliveries_span_incarnations),
               TEST(test_db_canned_queries_run));
}
