/* run_one.c: see run_one.h. This is the only place besides main() that reads the wall
 * clock, for runs.wall_ms; nothing printed or compared depends on it. */
#include "tools/run_one.h"

#include "reports/recipe_table.h"

#include "world/summary_columns.h"
#include "world/units.h"

#include <inttypes.h>
#include <string.h>

char *run_default_db_path(const struct scenario *sc, uint64_t seed)
{
    return g_strdup_printf("%s-seed%" PRIu64 ".db", sc->name, seed);
}

/* ---- the summary table ---------------------------------------------------------------- */

/* The integer sql (a SELECT with ?1 = model) gives, freeing sql; *present false for none. */
static int64_t model_value(sqlite3 *db, char *sql, const char *model, bool *present)
{
    sqlite3_stmt *st = NULL;
    int64_t value = 0;
    *present = false;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK) {
        sqlite3_bind_text(st, 1, model, -1, SQLITE_STATIC);
        if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
            value = sqlite3_column_int64(st, 0);
            *present = true;
        }
    }
    sqlite3_finalize(st);
    g_free(sql);
    return value;
}

int64_t run_summary_value(sqlite3 *db, const char *model, const char *column, bool *present)
{
    return model_value(db,
                       g_strdup_printf("SELECT %s FROM run_summary WHERE run_id = 1 AND "
                                       "model = ?1", column),
                       model, present);
}

/* A recipe measure of model's recipes in the run: summed, or the longest for failover_ns;
 * absent when the model ran no recipe or none has a value. */
int64_t run_recipe_value(sqlite3 *db, const char *model, const char *column, bool *present)
{
    const char *agg = strcmp(column, "failover_ns") == 0 ? "max" : "sum";
    return model_value(db,
                       g_strdup_printf("SELECT %s(%s) FROM recipe_summary WHERE run_id = 1 "
                                       "AND model = ?1", agg, column),
                       model, present);
}

#define LABEL_WIDTH 48

/* One column per model of the run, in registry order. */
static void render_table(sqlite3 *db, unsigned models, GString *out)
{
    g_string_append_printf(out, "%-*s", LABEL_WIDTH, "");
    for (model_id id = 0; id < model_count(); id++) {
        if (models & (1u << id))
            g_string_append_printf(out, " %12s", model_get(id)->name);
    }
    g_string_append_c(out, '\n');
    for (size_t i = 0; i < summary_columns_count; i++) {
        const struct summary_column *c = &summary_columns[i];
        char label[LABEL_WIDTH + 1];
        g_snprintf(label, sizeof label, "%s%s", c->indent ? "  " : "", c->label);
        g_string_append_printf(out, "%-*s", LABEL_WIDTH, label);
        for (model_id id = 0; id < model_count(); id++) {
            if (!(models & (1u << id)))
                continue;
            char text[32];
            bool present;
            int64_t v = run_summary_value(db, model_get(id)->name, c->name, &present);
            summary_format_value(v, present, c->unit, text, sizeof text);
            g_string_append_printf(out, " %12s", text);
        }
        g_string_append_c(out, '\n');
    }
}

static void render_faults(sqlite3 *db, GString *out)
{
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT t_ns, kind, target, detail FROM faults WHERE run_id = 1 "
                           "ORDER BY t_ns, rowid",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    bool any = false;
    while (sqlite3_step(st) == SQLITE_ROW) {
        char at[32];
        units_format_duration(sqlite3_column_int64(st, 0), at, sizeof at);
        const char *detail = (const char *)sqlite3_column_text(st, 3);
        g_string_append_printf(out, "%s  %8s  %-9s %s%s%s\n", any ? "      " : "faults",
                               at, (const char *)sqlite3_column_text(st, 1),
                               (const char *)sqlite3_column_text(st, 2),
                               detail && *detail ? "  " : "", detail ? detail : "");
        any = true;
    }
    if (!any)
        g_string_append(out, "faults  none\n");
    sqlite3_finalize(st);
}

/* "invariants (zab): hold", naming the models of the run that have invariants. */
static void render_violations(sqlite3 *db, unsigned models, int64_t count, GString *out)
{
    char names[128];
    size_t used = 0;
    names[0] = '\0';
    for (model_id id = 0; id < model_count(); id++) {
        if ((models & (1u << id)) && model_get(id)->oracle)
            used += (size_t)g_snprintf(names + used, sizeof names - MIN(used, sizeof names),
                                       "%s%s", used ? ", " : "", model_get(id)->name);
    }
    if (used == 0)
        return;
    if (count == 0) {
        g_string_append_printf(out, "invariants (%s): hold\n", names);
        return;
    }
    g_string_append_printf(out, "invariants (%s): %" PRId64 " violation%s\n", names, count,
                           count == 1 ? "" : "s");
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(db,
                           "SELECT model, invariant, detail FROM violations WHERE run_id = 1 "
                           "ORDER BY rowid LIMIT 20",
                           -1, &st, NULL) != SQLITE_OK)
        return;
    while (sqlite3_step(st) == SQLITE_ROW)
        g_string_append_printf(out, "  %s.%s: %s\n", (const char *)sqlite3_column_text(st, 0),
                               (const char *)sqlite3_column_text(st, 1),
                               (const char *)sqlite3_column_text(st, 2));
    sqlite3_finalize(st);
    if (count > 20)
        g_string_append(out, "  ... (zabsim check DB prints them all)\n");
}

/* Checks the scenario's expect: block; appends one line per expectation. */
static bool check_expectations(sqlite3 *db, const struct run_request *rq,
                               const struct db_run *run, GString *out)
{
    bool all = true;
    if (rq->sc->zab.variant != rq->sc->zab.file_variant) {
        /* `expect:` describes the scenario as written; with another variant, only the
         * invariants judge the run. */
        g_string_append_printf(out, "expect: not checked (written for variant %s; this run "
                               "has %s): the invariants decide\n",
                               scenario_variant_name_of(rq->sc->zab.file_variant),
                               scenario_variant_name_of(rq->sc->zab.variant));
        return true;
    }
    for (guint i = 0; i < rq->sc->expect->len; i++) {
        const struct scenario_expect *x = &g_array_index(rq->sc->expect, struct scenario_expect, i);
        const char *model = model_get(x->model)->name;
        if (!(rq->models & (1u << x->model))) {
            char set[128];
            /* The run's set came from --model or from the scenario's `models:`. */
            g_string_append_printf(out, "expect %s.%s: skipped (not run: models %s)\n", model,
                                   x->column, model_format_set(rq->models, set, sizeof set));
            continue;
        }
        bool present = true;
        int64_t v;
        if (strcmp(x->column, "invariants") == 0 && x->violated)
            v = db_run_invariant_violations(run, x->model, x->violated);
        else if (strcmp(x->column, "invariants") == 0)
            v = db_run_model_violations(run, x->model); /* only models with invariants */
        else if (recipe_column_find(x->column))
            v = run_recipe_value(db, model, x->column, &present);
        else
            v = run_summary_value(db, model, x->column, &present);
        bool ok = present && v >= x->min && v <= x->max;
        all = all && ok;
        char want[64];
        if (x->min == x->max)
            g_snprintf(want, sizeof want, "= %" PRId64, x->min);
        else if (x->max == INT64_MAX)
            g_snprintf(want, sizeof want, ">= %" PRId64, x->min);
        else if (x->min == INT64_MIN)
            g_snprintf(want, sizeof want, "<= %" PRId64, x->max);
        else
            g_snprintf(want, sizeof want, "in [%" PRId64 ", %" PRId64 "]", x->min, x->max);
        char got[32];
        const struct summary_column *col = summary_column_find(x->column);
        if (!col)
            col = recipe_column_find(x->column);
        summary_format_value(v, present, col ? col->unit : SUMMARY_COUNT, got, sizeof got);
        if (strcmp(x->column, "invariants") == 0)
            g_snprintf(want, sizeof want, x->violated ? "violated: %s" : "hold",
                       x->violated);
        g_string_append_printf(out, "expect %s.%s %s: %s (got %s)\n", model, x->column, want,
                               ok ? "met" : "NOT MET", got);
    }
    return all;
}

/* Whether the run is a bug scenario's, with its variant: it expects an invariant broken. */
static bool expects_violation(const struct run_request *rq)
{
    if (rq->sc->zab.variant != rq->sc->zab.file_variant)
        return false;
    for (guint i = 0; i < rq->sc->expect->len; i++) {
        if (g_array_index(rq->sc->expect, struct scenario_expect, i).violated)
            return true;
    }
    return false;
}

/* ---- running -------------------------------------------------------------------------- */

static void to_db_hosts(const struct world_host_end *ends, const struct scenario *sc,
                        struct db_host_end *hosts)
{
    for (uint32_t h = 0; h < sc->hosts; h++)
        hosts[h] = (struct db_host_end){ .name = sc->host_names[h], .up = ends[h].up,
                                         .incarnation = ends[h].incarnation };
}

bool run_simulate(const struct run_request *rq, struct run_outcome *out, GError **err)
{
    const struct scenario *sc = rq->sc;
    memset(out, 0, sizeof *out);
    out->run = db_run_create(rq->db_path, (const char *const *)sc->host_names, sc->hosts,
                             rq->models, rq->level, err);
    if (!out->run)
        return false;
    zs_assert_set_context(sc->name, rq->seed);
    gint64 started = g_get_monotonic_time();
    struct recorder rec = db_run_recorder(out->run);
    struct world *w = world_new(sc, rq->seed, rq->models, rq->level == DB_RECORD_MESSAGES,
                                &rec);
    if (rq->observer)
        sim_set_event_observer(world_sim(w), rq->observer, rq->observer_ctx);
    world_run(w);
    struct world_host_end ends[SCENARIO_MAX_HOSTS];
    struct db_host_end hosts[SCENARIO_MAX_HOSTS];
    world_host_ends(w, ends);
    out->protocol_messages = sim_get_stats(world_sim(w))->messages_sent;
    world_free(w);
    to_db_hosts(ends, sc, hosts);
    out->wall_ms = (g_get_monotonic_time() - started) / 1000;
    struct db_recipe_meta recipes[SCENARIO_MAX_RECIPES];
    uint32_t n_recipes = 0;
    for (uint32_t i = 0; i < sc->n_recipes; i++) {
        const struct scenario_recipe *c = &sc->recipes[i];
        if (rq->models & (1u << c->backend))
            recipes[n_recipes++] = (struct db_recipe_meta){
                .recipe = i, .model = model_get(c->backend)->name,
                .kind = recipe_kind_name(c->kind), .clients = c->clients, .hold_ns = c->hold,
                .fencing = c->fencing };
    }
    struct db_run_meta meta = { .scenario = sc->name, .description = sc->description,
                                .scenario_path = sc->path, .scenario_text = sc->text,
                                .seed = rq->seed, .hosts = sc->hosts,
                                .duration_ns = sc->duration,
                                .workload_start_ns = sc->workload.start,
                                .workload_stop_ns = sc->workload.stop, .models = rq->models,
                                .queue_group = sc->pubsub.queue_group,
                                .variant = scenario_variant(sc), .wall_ms = out->wall_ms,
                                .recipes = recipes, .n_recipes = n_recipes };
    if (!db_run_finish(out->run, &meta, hosts, err)) {
        db_run_abort(out->run);
        out->run = NULL;
        return false;
    }
    sqlite3 *db = db_run_handle(out->run);
    out->violations = db_run_violations(out->run);
    out->summary = g_string_new(NULL);
    char dur[32], set[128];
    units_format_duration(sc->duration, dur, sizeof dur);
    g_string_append_printf(out->summary,
                           "zabsim %s  scenario %s  seed %" PRIu64 "  %u hosts  %u clients  "
                           "%s simulated  models %s%s%s\n",
                           ZABSIM_VERSION, sc->name, rq->seed, sc->hosts, sc->workload.clients,
                           dur, model_format_set(rq->models, set, sizeof set),
                           scenario_variant(sc) ? "  variant " : "",
                           scenario_variant(sc) ? scenario_variant(sc) : "");
    render_faults(db, out->summary);
    g_string_append_c(out->summary, '\n');
    render_table(db, rq->models, out->summary);
    g_string_append_c(out->summary, '\n');
    recipe_table_render(db, 1, 0, "recipes", 0, out->summary);
    render_violations(db, rq->models, out->violations, out->summary);
    out->expectations_met = check_expectations(db, rq, out->run, out->summary);
    /* A bug scenario expects violations (expect: invariants: {violated: NAME}): its
     * expectations are the verdict; elsewhere any violation fails the run. */
    out->passed = out->expectations_met && (out->violations == 0 || expects_violation(rq));
    return true;
}

bool run_publish(struct run_outcome *out, int64_t *run_id, GError **err)
{
    struct db_run *run = out->run;
    out->run = NULL;
    return db_run_commit(run, out->passed ? "pass" : "fail", run_id, err);
}

void run_outcome_clear(struct run_outcome *out)
{
    if (out->run)
        db_run_abort(out->run);
    out->run = NULL;
    if (out->summary)
        g_string_free(out->summary, TRUE);
    out->summary = NULL;
}
