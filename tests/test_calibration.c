/* test_calibration.c: the calibration table (reports/calibration.c, calibration.sql) without
 * real servers. A simulated run of the conformance scenario is recorded a second time as if
 * it were real (its records relabelled zab -> zab-real, pubsub -> pubsub-real): the table must
 * then find every measure equal. Broken "real" histories must be caught: a real ensemble that
 * elects no new leader after the crash differs qualitatively, and one whose restarted host
 * serves 6 s later (more than twice as long) is outside the wide band. */
#include "harness.h"

#include "reports/calibration.h"
#include "reports/db.h"
#include "protocol/zab/zab.h"
#include "world/model.h"
#include "world/scenario.h"
#include "world/world.h"

#include <glib/gstdio.h>
#include <string.h>

enum tamper {
    TAMPER_NONE,
    TAMPER_NO_NEW_LEADER,  /* drop every LEADING state after the crash */
    TAMPER_SLOW_RESTART,   /* the restarted host's states come 6 s later */
};

struct relabel {
    struct recorder inner;
    model_id from[2], to[2];
    enum tamper tamper;
    sim_time crash_ns, restart_ns;
    GArray *late; /* delayed records (TAMPER_SLOW_RESTART) */
};

static void relabel_record(void *ctx, const struct trace_rec *r)
{
    struct relabel *x = ctx;
    struct trace_rec copy = *r;
    for (int i = 0; i < 2; i++) {
        if (copy.model == x->from[i])
            copy.model = x->to[i];
    }
    /* A real run sees no protocol events (proposals, commits) and no drop causes: only
     * what its clients see. */
    if ((copy.kind == TRACE_EVENT || copy.kind == TRACE_DROP || copy.kind == TRACE_LOST) &&
        copy.model != r->model)
        return;
    if (x->tamper == TAMPER_NO_NEW_LEADER && copy.kind == TRACE_STATE &&
        copy.model == x->to[0] && copy.t_ns > x->crash_ns && copy.u.state.state == ZAB_STATE_LEADING)
        return;
    if (x->tamper == TAMPER_SLOW_RESTART && copy.kind == TRACE_STATE && copy.host == 2 &&
        copy.t_ns > x->restart_ns && copy.u.state.state != TRACE_STATE_DOWN) {
        copy.t_ns += 6 * SIM_S;
        g_array_append_val(x->late, copy);
        return;
    }
    /* Delayed records go in once their time has come, keeping the trace in time order. */
    while (x->late && x->late->len > 0 &&
           g_array_index(x->late, struct trace_rec, 0).t_ns <= copy.t_ns) {
        x->inner.record(x->inner.ctx, &g_array_index(x->late, struct trace_rec, 0));
        g_array_remove_index(x->late, 0);
    }
    x->inner.record(x->inner.ctx, &copy);
}

static void record_run(const struct scenario *sc, const char *path, bool as_real,
                       enum tamper tamper, uint64_t seed)
{
    int zab = model_find("zab"), ps = model_find("pubsub");
    int zab_real = model_find("zab-real"), ps_real = model_find("pubsub-real");
    CU_ASSERT_FATAL(zab >= 0 && ps >= 0 && zab_real >= 0 && ps_real >= 0);
    unsigned sim_set = (1u << zab) | (1u << ps);
    unsigned set = as_real ? (1u << zab_real) | (1u << ps_real) : sim_set;
    GError *err = NULL;
    struct db_run *run = db_run_create(path, (const char *const *)sc->host_names, sc->hosts,
                                       set, DB_RECORD_OUTCOMES, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(run);
    struct relabel x = { .inner = db_run_recorder(run),
                         .from = { (model_id)zab, (model_id)ps },
                         .to = { (model_id)(as_real ? zab_real : zab),
                                 (model_id)(as_real ? ps_real : ps) },
                         .tamper = tamper, .crash_ns = 3 * SIM_S, .restart_ns = 8 * SIM_S,
                         .late = g_array_new(FALSE, FALSE, sizeof(struct trace_rec)) };
    struct recorder rec = { .record = relabel_record, .ctx = &x };
    struct world *w = world_new(sc, seed, sim_set, false, &rec);
    world_run(w);
    struct world_host_end ends[SCENARIO_MAX_HOSTS];
    world_host_ends(w, ends);
    world_free(w);
    for (guint i = 0; i < x.late->len; i++) {
        struct trace_rec *r = &g_array_index(x.late, struct trace_rec, i);
        if (r->t_ns <= sc->duration)
            x.inner.record(x.inner.ctx, r);
    }
    g_array_free(x.late, TRUE);
    struct db_host_end hosts[SCENARIO_MAX_HOSTS];
    for (uint32_t h = 0; h < sc->hosts; h++)
        hosts[h] = (struct db_host_end){ .name = sc->host_names[h], .up = ends[h].up,
                                         .incarnation = ends[h].incarnation };
    struct db_run_meta meta = { .scenario = sc->name, .seed = seed, .hosts = sc->hosts,
                                .duration_ns = sc->duration,
                                .workload_start_ns = sc->workload.start,
                                .workload_stop_ns = sc->workload.stop, .models = set };
    if (!db_run_finish(run, &meta, hosts, &err))
        fprintf(stderr, "db_run_finish: %s\n", err->message);
    CU_ASSERT_PTR_NULL_FATAL(err);
    CU_ASSERT_TRUE_FATAL(db_run_commit(run, "pass", NULL, &err));
}

/* The table for a database of one simulated and one "real" run. */
static struct calibration_outcome table_for(enum tamper tamper, GString *text)
{
    GError *err = NULL;
    struct scenario *sc =
        scenario_load(test_source_path("scenarios/conform_leader_crash.yaml"), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    char *dir = g_dir_make_tmp("zabsim-cal-XXXXXX", NULL);
    char *path = g_build_filename(dir, "cal.db", NULL);
    record_run(sc, path, false, TAMPER_NONE, 1);
    record_run(sc, path, true, tamper, 1);
    sqlite3 *db = db_open(path, false, &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    struct calibration_outcome o;
    CU_ASSERT_TRUE(calibration_render(db, false, text, &o, &err));
    sqlite3_close(db);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
    scenario_free(sc);
    return o;
}

static void test_identical_runs_agree(void)
{
    GString *t = g_string_new(NULL);
    struct calibration_outcome o = table_for(TAMPER_NONE, t);
    /* Both tables, every measure with a value on both sides, all equal. */
    CU_ASSERT(strstr(t->str, "zab simulated vs zab-real") != NULL);
    CU_ASSERT(strstr(t->str, "pubsub simulated vs pubsub-real") != NULL);
    CU_ASSERT(strstr(t->str, "leader crash -> new leader serving") != NULL);
    CU_ASSERT(o.rows >= 10);
    CU_ASSERT_EQUAL(o.tight, o.rows);
    CU_ASSERT_EQUAL(o.outside_wide, 0);
    CU_ASSERT_EQUAL(o.one_sided, 0);
    if (o.tight != o.rows)
        fprintf(stderr, "%s\n", t->str);
    g_string_free(t, TRUE);
}

static void test_no_new_leader_differs(void)
{
    GString *t = g_string_new(NULL);
    struct calibration_outcome o = table_for(TAMPER_NO_NEW_LEADER, t);
    CU_ASSERT(o.one_sided >= 1);
    CU_ASSERT(strstr(t->str, "DIFFERS") != NULL);
    g_string_free(t, TRUE);
}

static void test_slow_restart_outside_wide_band(void)
{
    GString *t = g_string_new(NULL);
    struct calibration_outcome o = table_for(TAMPER_SLOW_RESTART, t);
    CU_ASSERT(o.outside_wide >= 1);
    CU_ASSERT_EQUAL(o.one_sided, 0);
    const char *row = strstr(t->str, "restart -> serving again");
    CU_ASSERT_PTR_NOT_NULL_FATAL(row);
    const char *eol = strchr(row, '\n');
    CU_ASSERT(g_strstr_len(row, eol - row, "OFF") != NULL);
    g_string_free(t, TRUE);
}

/* `zabsim report` shows the table when the database holds real runs, in text and HTML. */
static void test_report_shows_calibration(void)
{
    GError *err = NULL;
    struct scenario *sc =
        scenario_load(test_source_path("scenarios/conform_leader_crash.yaml"), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    char *dir = g_dir_make_tmp("zabsim-cal-XXXXXX", NULL);
    char *path = g_build_filename(dir, "cal.db", NULL);
    char *html = g_build_filename(dir, "cal.html", NULL);
    record_run(sc, path, false, TAMPER_NONE, 1);
    const char *only_sim[] = { "report", path, NULL };
    char *out = NULL;
    CU_ASSERT_EQUAL(test_zabsim(only_sim, &out, NULL), 0);
    CU_ASSERT(out && strstr(out, "simulation against the real systems") == NULL);
    g_free(out);
    record_run(sc, path, true, TAMPER_NONE, 1);
    const char *text[] = { "report", path, "--run", "2", NULL };
    CU_ASSERT_EQUAL(test_zabsim(text, &out, NULL), 0);
    CU_ASSERT(out && strstr(out, "simulation against the real systems") != NULL);
    CU_ASSERT(out && strstr(out, "zab simulated vs zab-real") != NULL);
    g_free(out);
    const char *page[] = { "report", path, "--html", html, NULL };
    CU_ASSERT_EQUAL(test_zabsim(page, NULL, NULL), 0);
    char *body = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(html, &body, NULL, NULL));
    CU_ASSERT(body && strstr(body, "<section id=\"calibration\">") != NULL);
    g_free(body);
    g_unlink(html);
    g_unlink(path);
    g_rmdir(dir);
    g_free(html);
    g_free(path);
    g_free(dir);
    scenario_free(sc);
}

/* The real models are recorded, never simulated. */
static void test_real_models_not_simulated(void)
{
    int zab_real = model_find("zab-real");
    CU_ASSERT(zab_real >= 0);
    CU_ASSERT_EQUAL(model_all() & (1u << zab_real), 0u);
    CU_ASSERT(model_real_set() & (1u << zab_real));
    CU_ASSERT_STRING_EQUAL(model_get((model_id)zab_real)->real_of, "zab");
}

void test_register(void)
{
    TEST_SUITE("calibration", TEST(test_identical_runs_agree), TEST(test_no_new_leader_differs),
               TEST(test_slow_restart_outside_wide_band), TEST(test_real_models_not_simulated),
               TEST(test_report_shows_calibration));
}
