/* cmd_conform.c: `zabsim conform SCENARIO.yaml... [--runs N] [--seeds N] [--db FILE]
 * [--model zab,pubsub] [--gate wide|safety] [--keep DIR] [--update-doc FILE]`.
 *
 * Runs each scenario against the real systems (tools/conform/: ZooKeeper and nats-server on
 * 127.0.0.1) --runs times, recorded as the models zab-real and pubsub-real, and simulates it
 * over seeds 1..--seeds, all into one results database; then prints the calibration table
 * (reports/calibration.c). Exit status: 0 when every real run kept its safety (no
 * acknowledged write lost, replicas identical), no measure exists on one side only, and (with
 * --gate wide, the default) every measure lies within the wide band; 1 otherwise; 2 for bad
 * input or a machine that cannot run the real servers. */
#include "tools/cli.h"
#include "tools/run_one.h"

#include "reports/calibration.h"
#include "world/model.h"
#include "world/units.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#ifdef ZABSIM_HAVE_CONFORM
#include "tools/conform/conform.h"
#endif

/* Bounds on what one command asks of the machine. */
#define CONFORM_RUNS_MAX 100
#define CONFORM_SEEDS_MAX 10000
/* Starts of a real run's systems before its failure to come up is an error. */
#define CONFORM_START_ATTEMPTS 3

static int fail(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
static int fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char *msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    fprintf(stderr, "zabsim conform: %s\n", msg);
    g_free(msg);
    return EXIT_BAD_INPUT;
}

/* Replaces the text between the calibration markers of a Markdown file with table. */
static bool update_doc(const char *path, const char *table, GError **err)
{
    static const char begin[] = "<!-- calibration:begin -->";
    static const char end[] = "<!-- calibration:end -->";
    char *text = NULL;
    if (!g_file_get_contents(path, &text, NULL, err))
        return false;
    char *b = strstr(text, begin);
    char *e = b ? strstr(b, end) : NULL;
    if (!b || !e) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "%s: no %s ... %s markers to replace", path,
                    begin, end);
        g_free(text);
        return false;
    }
    *b = '\0';
    char *out = g_strdup_printf("%s%s\n%s\n%s", text, begin, table, e);
    bool ok = g_file_set_contents(path, out, -1, err);
    g_free(out);
    g_free(text);
    return ok;
}

#ifdef ZABSIM_HAVE_CONFORM

static void remove_tree(const char *path)
{
    GDir *d = g_dir_open(path, 0, NULL);
    if (d) {
        const char *name;
        while ((name = g_dir_read_name(d))) {
            char *p = g_build_filename(path, name, NULL);
            if (g_file_test(p, G_FILE_TEST_IS_DIR) && !g_file_test(p, G_FILE_TEST_IS_SYMLINK))
                remove_tree(p);
            else
                g_unlink(p);
            g_free(p);
        }
        g_dir_close(d);
    }
    g_rmdir(path);
}

/* Acknowledged writes that no host's subscriber ever read: in a model with a replicated
 * log, where every host's subscriber reads its server's whole log, such a write is gone
 * from every replica. (`lost` also counts a restarted host that had not caught up when the
 * run ended.) */
static int64_t acked_nowhere(sqlite3 *db, const char *model)
{
    sqlite3_stmt *st = NULL;
    int64_t n = -1;
    if (sqlite3_prepare_v2(db,
                           "SELECT count(DISTINCT s.msg_id) FROM submissions AS s WHERE "
                           "s.run_id = 1 AND s.model = ?1 AND s.outcome = 'acked' AND NOT "
                           "EXISTS (SELECT 1 FROM deliveries AS d WHERE d.run_id = 1 AND "
                           "d.model = ?1 AND d.msg_id = s.msg_id)",
                           -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW)
            n = sqlite3_column_int64(st, 0);
    }
    sqlite3_finalize(st);
    return n;
}

/* Records a real run's observations into the database; *safe: no acknowledged write lost
 * in a model with a log, replicas identical. */
static bool record_real_run(const struct scenario *sc, unsigned real_set, uint32_t number,
                            const char *db_path, struct real_log *log,
                            const struct conform_host_end *ends, int64_t divergences,
                            int64_t wall_ms, bool *safe, GString *line, GError **err)
{
    struct db_run *run = db_run_create(db_path, (const char *const *)sc->host_names, sc->hosts,
                                       real_set, DB_RECORD_OUTCOMES, err);
    if (!run)
        return false;
    struct recorder rec = db_run_recorder(run);
    for (guint i = 0; i < log->recs->len; i++)
        rec.record(rec.ctx, &g_array_index(log->recs, struct trace_rec, i));
    struct db_host_end hosts[SCENARIO_MAX_HOSTS];
    for (uint32_t h = 0; h < sc->hosts; h++)
        hosts[h] = (struct db_host_end){ .name = sc->host_names[h], .up = ends[h].up,
                                         .incarnation = ends[h].incarnation };
    char description[512];
    g_snprintf(description, sizeof description, "%s [real run %u on this machine]",
               sc->description ? sc->description : sc->name, number);
    struct db_run_meta meta = { .scenario = sc->name, .description = description,
                                .scenario_path = sc->path, .scenario_text = sc->text,
                                .seed = number, .hosts = sc->hosts, .duration_ns = sc->duration,
                                .workload_start_ns = sc->workload.start,
                                .workload_stop_ns = sc->workload.stop, .models = real_set,
                                .queue_group = sc->pubsub.queue_group,
                                .variant = scenario_variant(sc), .wall_ms = wall_ms };
    if (!db_run_finish(run, &meta, hosts, err)) {
        db_run_abort(run);
        return false;
    }
    sqlite3 *db = db_run_handle(run);
    *safe = divergences == 0;
    for (model_id id = 0; id < model_count(); id++) {
        if (!(real_set & (1u << id)))
            continue;
        const struct model_desc *m = model_get(id);
        bool p;
        int64_t acked = run_summary_value(db, m->name, "acked", &p);
        int64_t submitted = run_summary_value(db, m->name, "submitted", &p);
        int64_t lost = run_summary_value(db, m->name, "lost", &p);
        int64_t order = run_summary_value(db, m->name, "order_disagreements", &p);
        int64_t gone = m->replays_history ? acked_nowhere(db, m->name) : 0;
        g_string_append_printf(line, "  %s: %" PRId64 " of %" PRId64 " acked, %" PRId64
                               " lost, %" PRId64 " order disagreements", m->name, acked,
                               submitted, lost, order);
        if (gone > 0) {
            *safe = false; /* a replicated log lost an acknowledged write */
            g_string_append_printf(line, " (%" PRId64 " ACKNOWLEDGED WRITES ON NO REPLICA)", gone);
        }
        g_string_append_c(line, '\n');
    }
    if (divergences > 0)
        g_string_append_printf(line, "  replicas DIVERGED at %" PRId64 " log positions\n",
                               divergences);
    return db_run_commit(run, *safe ? "pass" : "fail", NULL, err);
}

/* Where run r keeps its configs, data and logs: under keep_dir, or a fresh temporary one. */
static char *real_run_dir(const struct scenario *sc, uint32_t r, const char *keep_dir,
                          GError **err)
{
    if (!keep_dir)
        return g_dir_make_tmp("zabsim-conform-XXXXXX", err);
    char *dir = g_strdup_printf("%s/%s-run%u", keep_dir, sc->name, r);
    remove_tree(dir);
    if (g_mkdir_with_parents(dir, 0755) != 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", dir, g_strerror(errno));
        g_free(dir);
        return NULL;
    }
    return dir;
}

/* One real run, started again with fresh systems when they failed to come up (a JVM slow
 * to join on a loaded machine): a run that never reached its workload observed nothing. */
static bool real_run(const struct scenario *sc, unsigned real_set, uint32_t r,
                     const char *db_path, const char *keep_dir, bool *all_safe, GError **err)
{
    for (uint32_t attempt = 1;; attempt++) {
        char *dir = real_run_dir(sc, r, keep_dir, err);
        if (!dir)
            return false;
        struct real_log log;
        real_log_init(&log);
        struct conform_host_end ends[SCENARIO_MAX_HOSTS];
        int64_t divergences = 0;
        bool workload_started = false;
        GError *local = NULL;
        gint64 started = g_get_monotonic_time();
        bool ok = conform_real_run(sc, real_set, r, dir, &log, ends, &divergences,
                                   &workload_started, &local);
        int64_t wall_ms = (g_get_monotonic_time() - started) / 1000;
        GString *line = g_string_new(NULL);
        bool safe = true;
        if (ok)
            ok = record_real_run(sc, real_set, r, db_path, &log, ends, divergences, wall_ms,
                                 &safe, line, &local);
        real_log_clear(&log);
        if (ok)
            fputs(line->str, stdout);
        g_string_free(line, TRUE);
        if (!ok && !local)
            local = g_error_new(ZS_ERROR, ZS_ERROR_IO, "the run failed without a reason");
        if (!ok && !workload_started && attempt < CONFORM_START_ATTEMPTS) {
            printf("  the systems did not come up (%s); starting them again (attempt %u of "
                   "%u)\n", local->message, attempt + 1, CONFORM_START_ATTEMPTS);
            fflush(stdout);
            g_error_free(local);
            remove_tree(dir);
            g_free(dir);
            continue;
        }
        *all_safe = *all_safe && safe;
        if (!ok) {
            /* Keep what the servers said: it is how a failed start is diagnosed. */
            g_propagate_prefixed_error(err, local, "real run %u (server logs kept in %s): ", r,
                                       dir);
            g_free(dir);
            return false;
        }
        if (!keep_dir)
            remove_tree(dir);
        g_free(dir);
        return true;
    }
}

static bool real_runs(const struct scenario *sc, unsigned real_set, uint32_t runs,
                      const char *db_path, const char *keep_dir, bool *all_safe, GError **err)
{
    for (uint32_t r = 1; r <= runs; r++) {
        printf("%s: real run %u of %u ...\n", sc->name, r, runs);
        fflush(stdout);
        if (!real_run(sc, real_set, r, db_path, keep_dir, all_safe, err))
            return false;
    }
    return true;
}

#endif /* ZABSIM_HAVE_CONFORM */

static bool simulated_runs(const struct scenario *sc, unsigned sim_set, uint32_t seeds,
                           const char *db_path, GError **err)
{
    printf("%s: simulating seeds 1..%u ...\n", sc->name, seeds);
    fflush(stdout);
    for (uint32_t s = 1; s <= seeds; s++) {
        struct run_request rq = { .sc = sc, .seed = s, .models = sim_set,
                                  .level = DB_RECORD_OUTCOMES, .db_path = db_path };
        struct run_outcome out = { 0 };
        bool ok = run_simulate(&rq, &out, err) && run_publish(&out, NULL, err);
        run_outcome_clear(&out);
        if (!ok)
            return false;
    }
    return true;
}

int cmd_conform(int argc, char **argv)
{
    gint runs = 3, seeds = 10;
    gchar *db_path = NULL, *model = NULL, *keep = NULL, *doc = NULL, *gate = NULL;
    GOptionEntry entries[] = {
        { "runs", 'n', 0, G_OPTION_ARG_INT, &runs, "Real runs per scenario (default 3)", "N" },
        { "seeds", 0, 0, G_OPTION_ARG_INT, &seeds,
          "Simulated runs per scenario: seeds 1..N (default 10)", "N" },
        { "db", 0, 0, G_OPTION_ARG_FILENAME, &db_path,
          "Results database (default: NAME-conform.db for the first scenario)", "FILE" },
        { "model", 0, 0, G_OPTION_ARG_STRING, &model,
          "Systems to run for real: zab (ZooKeeper), pubsub (nats-server) or both (default)",
          "zab,pubsub" },
        { "gate", 0, 0, G_OPTION_ARG_STRING, &gate,
          "What fails the command: 'wide' (default): safety lost, a qualitative difference or a "
          "measure outside +-50 %; 'safety': only safety lost or a qualitative difference",
          "wide|safety" },
        { "keep", 0, 0, G_OPTION_ARG_FILENAME, &keep,
          "Keep each real run's configs, data and server logs under DIR", "DIR" },
        { "update-doc", 0, 0, G_OPTION_ARG_FILENAME, &doc,
          "Also write the calibration table, as Markdown, between the calibration markers of "
          "FILE (docs/fidelity.md)", "FILE" },
        { NULL },
    };
    GOptionContext *ctx = g_option_context_new("SCENARIO.yaml... - compare the simulation "
                                               "with real ZooKeeper and nats-server");
    g_option_context_add_main_entries(ctx, entries, NULL);
    g_option_context_set_description(
        ctx, "Starts one ZooKeeper server and one nats-server per scenario host on 127.0.0.1,\n"
             "runs the scenario's workload and faults against them (crash = SIGKILL, restart =\n"
             "relaunch, pause = SIGSTOP/SIGCONT; partition, isolate and heal put each host in a\n"
             "network namespace of its own, which needs root) and records them as models\n"
             "zab-real and pubsub-real beside simulated runs of the same scenario.\n"
             "docs/fidelity.md.");
    GError *err = NULL;
    int status = EXIT_BAD_INPUT;
    GPtrArray *scenarios = g_ptr_array_new_with_free_func((GDestroyNotify)scenario_free);
    sqlite3 *db = NULL;
    if (!g_option_context_parse(ctx, &argc, &argv, &err)) {
        status = fail("%s", err->message);
        goto out;
    }
    if (argc < 2) {
        status = fail("give one or more scenario files (zabsim conform --help)");
        goto out;
    }
    if (runs < 1 || runs > CONFORM_RUNS_MAX || seeds < 1 || seeds > CONFORM_SEEDS_MAX) {
        status = fail("--runs takes 1 to %d and --seeds 1 to %d", CONFORM_RUNS_MAX,
                      CONFORM_SEEDS_MAX);
        goto out;
    }
    bool gate_wide = !gate || strcmp(gate, "wide") == 0;
    if (gate && !gate_wide && strcmp(gate, "safety") != 0) {
        status = fail("--gate takes 'wide' or 'safety', not '%s'", gate);
        goto out;
    }
    /* Only simulated models a real one is recorded for can be compared, so they are the
     * default and what `all` means here; any other (an opt-in model too) is refused rather
     * than simulated beside nothing to compare it with. */
    unsigned sim_set = 0, real_set = 0, comparable = 0;
    char bad[64];
    for (model_id id = 0; id < model_count(); id++) {
        int of = model_get(id)->real_of ? model_find(model_get(id)->real_of) : -1;
        if (of >= 0)
            comparable |= 1u << of;
    }
    sim_set = !model || strcmp(model, "all") == 0 ? comparable
                                                  : model_parse_set(model, bad, sizeof bad);
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *m = model_get(id);
        int of = m->real_of ? model_find(m->real_of) : -1;
        if (of >= 0 && (sim_set & (1u << of)))
            real_set |= 1u << id;
    }
    if (!sim_set || (sim_set & ~(comparable & model_all())) || !real_set) {
        status = fail("--model: give systems that have a real counterpart: zab, pubsub or "
                      "zab,pubsub");
        goto out;
    }
    for (int i = 1; i < argc; i++) {
        struct scenario *sc = scenario_load(argv[i], &err);
        if (!sc) {
            fprintf(stderr, "%s\n", err->message);
            goto out;
        }
        g_ptr_array_add(scenarios, sc);
        if (!sc->pubsub.subscribers_apart && (sim_set & (1u << model_find("pubsub"))))
            printf("note: %s: real subscribers are processes of their own, connected to their "
                   "host's server only (pubsub.subscribers: apart); the simulated ones of this "
                   "scenario die with their host (on_host), so pub/sub losses and restart "
                   "times will not compare\n",
                   sc->path);
        if (!world_check_targets(sc, sim_set, &err)) {
            status = fail("%s", err->message);
            goto out;
        }
    }
#ifdef ZABSIM_HAVE_CONFORM
    for (guint i = 0; i < scenarios->len; i++) {
        char *why = conform_refusal(g_ptr_array_index(scenarios, i));
        if (why) {
            status = fail("%s", why);
            g_free(why);
            goto out;
        }
    }
    if (!conform_tools_present(sim_set & (1u << model_find("zab")),
                               sim_set & (1u << model_find("pubsub")), &err)) {
        status = fail("%s", err->message);
        goto out;
    }
    if (!db_path)
        db_path = g_strdup_printf("%s-conform.db",
                                  ((struct scenario *)g_ptr_array_index(scenarios, 0))->name);
    bool all_safe = true;
    for (guint i = 0; i < scenarios->len; i++) {
        const struct scenario *sc = g_ptr_array_index(scenarios, i);
        if (!real_runs(sc, real_set, (uint32_t)runs, db_path, keep, &all_safe, &err) ||
            !simulated_runs(sc, sim_set, (uint32_t)seeds, db_path, &err)) {
            status = fail("%s", err->message);
            goto out;
        }
    }
    db = db_open(db_path, false, &err);
    GString *table = g_string_new(NULL);
    struct calibration_outcome o;
    if (!db || !calibration_render(db, false, table, &o, &err)) {
        g_string_free(table, TRUE);
        status = fail("%s", err->message);
        goto out;
    }
    fputs(table->str, stdout);
    g_string_truncate(table, 0);
    printf("\n%d measures: %d within ±20 %%, %d outside ±50 %%, %d on one side only; real runs "
           "%s\nresults: %s\n",
           o.rows, o.tight, o.outside_wide, o.one_sided,
           all_safe ? "kept their safety" : "LOST SAFETY", db_path);
    if (doc) {
        struct calibration_outcome o2;
        if (!calibration_render(db, true, table, &o2, &err) || !update_doc(doc, table->str, &err)) {
            g_string_free(table, TRUE);
            status = fail("%s", err->message);
            goto out;
        }
        printf("calibration table written to %s\n", doc);
    }
    g_string_free(table, TRUE);
    bool pass = all_safe && o.one_sided == 0 && (!gate_wide || o.outside_wide == 0);
    printf("verdict: %s (--gate %s)\n", pass ? "PASS" : "FAIL", gate_wide ? "wide" : "safety");
    status = pass ? EXIT_OK : EXIT_VIOLATION;
#else
    (void)simulated_runs;
    (void)update_doc;
    status = fail("this zabsim was built without the ZooKeeper and NATS C clients: install "
                  "libzookeeper-mt-dev and libnats-dev (apt-get) and build again");
#endif
out:
    if (db)
        sqlite3_close(db);
    g_clear_error(&err);
    g_ptr_array_free(scenarios, TRUE);
    g_option_context_free(ctx);
    g_free(db_path);
    g_free(model);
    g_free(keep);
    g_free(doc);
    g_free(gate);
    return status;
}
