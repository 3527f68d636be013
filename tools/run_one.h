/* run_one.h: one simulation from a scenario to a published run, shared by `zabsim run` and
 * `zabsim sweep`. run_simulate() runs the world into the run's private database, checks
 * the invariants and the scenario's expect: block, and renders the side-by-side summary;
 * run_publish() then puts the run into the target database. Nothing is visible in the
 * target before run_publish(), so a failed or interrupted run leaves it untouched. */
#ifndef TOOLS_RUN_ONE_H
#define TOOLS_RUN_ONE_H

#include "reports/db.h"
#include "world/scenario.h"
#include "world/world.h"

struct run_request {
    const struct scenario *sc;
    uint64_t seed;
    unsigned models;      /* model set: bits by model id (world/model.h) */
    enum db_record_level level; /* what the database keeps of the run */
    const char *db_path;  /* target database */
    sim_event_observer observer; /* sees every event of the run (NULL: none) */
    void *observer_ctx;
};

struct run_outcome {
    struct db_run *run;   /* the private database until published */
    int64_t violations;
    bool expectations_met;
    bool passed;          /* no violation and every expectation met */
    GString *summary;     /* the side-by-side table, invariants and expectations */
    int64_t wall_ms;
    uint64_t protocol_messages; /* network messages the simulation sent */
};

/* Runs rq into a private database next to rq->db_path. On failure (database error) returns
 * false with err set and leaves nothing behind. */
bool run_simulate(const struct run_request *rq, struct run_outcome *out, GError **err);
/* Publishes the run with verdict pass/fail; *run_id gets its id in the target. */
bool run_publish(struct run_outcome *out, int64_t *run_id, GError **err);
/* Frees the outcome, deleting the private database if it was not published. */
void run_outcome_clear(struct run_outcome *out);

/* One run_summary value of run 1 of a private run database: *present false for NULL or for
 * a model that did not run. */
int64_t run_summary_value(sqlite3 *db, const char *model, const char *column, bool *present);
/* A recipe_summary measure of model's recipes in the run (world/summary_columns.h). */
int64_t run_recipe_value(sqlite3 *db, const char *model, const char *column, bool *present);

/* "leader_crash-seed1.db" for a scenario and seed. */
char *run_default_db_path(const struct scenario *sc, uint64_t seed);

#endif
