/* db.h: the results database (docs/database.md).
 *
 * A run records into its own private SQLite file next to the target database; nothing
 * is visible in the target until db_run_commit(), which either renames the private file
 * into place (new database) or appends its rows under a fresh run_id in one transaction
 * (existing database). An interrupted run therefore never leaves a database that looks
 * whole. Rows are written through prepared statements inside large transactions.
 *
 * The schema is reports/schema.sql and the measures' definitions reports/measures.sql, both
 * embedded in the binary at build time; world/run_measures.c computes the measures while the
 * run runs and reports/db_measure.c writes them. */
#ifndef REPORTS_DB_H
#define REPORTS_DB_H

#include <sqlite3.h>

#include "sim/oracle.h"

/* What is known about a run besides its trace records. */
/* A recipe of the run whose backend model ran (table `recipes`). */
struct db_recipe_meta {
    uint32_t recipe;           /* position in the scenario's list */
    const char *model;         /* its backend */
    const char *kind;          /* "lock", "election", "registry" */
    uint32_t clients;
    sim_time hold_ns;
    bool fencing;
};

struct db_run_meta {
    const char *scenario;      /* name */
    const char *description;
    const char *scenario_path;
    const char *scenario_text; /* the whole YAML file */
    uint64_t seed;
    uint32_t hosts;
    sim_time duration_ns;
    sim_time workload_start_ns; /* clients offer messages from here ... */
    sim_time workload_stop_ns;  /* ... to here (at most duration_ns) */
    unsigned models;           /* the run's model set (bits by model id) */
    const char *queue_group;   /* pub/sub queue group, or NULL */
    const char *variant;       /* the ZooKeeper bug switched on, or NULL */
    int64_t wall_ms;
    const struct db_recipe_meta *recipes;
    uint32_t n_recipes;
};

/* State of a host when the run ended (table `hosts`). */
struct db_host_end {
    const char *name;
    bool up;                   /* processes running at the end */
    uint32_t incarnation;
};

/* reports/measures.sql: every measure's definition as a query (blocks headed "-- measure:"). */
const char *db_measures_sql(void);

/* Schema version (PRAGMA user_version) and file marker (PRAGMA application_id) of a results
 * database; reports/schema.sql sets both. */
#define DB_SCHEMA_VERSION 8
#define DB_APPLICATION_ID 0x7a616273 /* "zabs" */

/* Opens an existing results database, read-only unless writable. Fails (ZS_ERROR_IO, message
 * naming the path) when the file is missing or unreadable, is not a zabsim database, or has
 * another schema version. Close with sqlite3_close(). */
sqlite3 *db_open(const char *path, bool writable, GError **err);

/* Called for each row a statement of db_exec_rows() returns; returning false (with err set)
 * stops the script. */
typedef bool db_row_fn(void *ctx, sqlite3_stmt *row, GError **err);

/* Runs every statement of the SQL script in order, binding the parameter :run_id (in the
 * statements that use it) to run_id and handing each result row to row_fn (may be NULL).
 * name labels error messages ("checks.sql:42: no such column: x"). */
bool db_exec_rows(sqlite3 *db, const char *name, const char *sql, int64_t run_id,
                  db_row_fn *row_fn, void *ctx, GError **err);
bool db_exec(sqlite3 *db, const char *name, const char *sql, int64_t run_id, GError **err);

/* Puts every run of the input databases into out (created if missing), ordered by scenario
 * and seed and numbered after out's own runs; *merged gets how many. Refuses (nothing
 * written) inputs that are not zabsim databases, two scenario texts under one name, runs of
 * two zabsim versions, and a (scenario, seed, models) given twice. reports/db_merge.c. */
bool db_merge(const char *out, const char *const *inputs, size_t n_inputs, int64_t *merged,
              GError **err);

struct db_run;

/* How much of a run the database keeps (runs.record; docs/database.md, Recording levels).
 * Every level keeps the runs, models, hosts, host_lives, faults, host_states and
 * client_states rows, the measures and the violations with their evidence. */
enum db_record_level {
    DB_RECORD_SUMMARY = 0, /* nothing per message */
    DB_RECORD_OUTCOMES,    /* + submissions, deliveries, drops and the models' event rows */
    DB_RECORD_MESSAGES,    /* + every network message (table messages) */
};
/* "summary", "outcomes", "messages". */
const char *db_record_level_name(enum db_record_level level);
/* Parses a level name; false for anything else. */
bool db_record_level_parse(const char *text, enum db_record_level *level);

/* Creates the private database for one run of the given model set beside target_path (same
 * directory, so the final rename stays on one file system), recording at the given level.
 * host_names index the `host` columns. Fails early when target_path exists but cannot take
 * the run (not a zabsim database, other schema). */
struct db_run *db_run_create(const char *target_path, const char *const *host_names,
                             uint32_t n_hosts, unsigned models, enum db_record_level level,
                             GError **err);
/* The recorder to hand to the simulator: every trace record becomes rows, and goes to the
 * run's invariant oracles (world/verdict.h) as it is recorded. A record that cannot be
 * written (database error, host index outside host_names) stops recording; the error is
 * reported by db_run_finish. */
struct recorder db_run_recorder(struct db_run *r);
/* Writes the runs row (verdict still NULL), the models and hosts tables (hosts[i] describes
 * host i of host_names), the measures computed while the run ran, and ends the oracles'
 * trace: their violations go to the violations table. Returns false on a database or
 * recording error. Records arriving later are ignored. */
bool db_run_finish(struct db_run *r, const struct db_run_meta *meta,
                   const struct db_host_end *hosts, GError **err);
/* Number of invariant violations found by db_run_finish, including any beyond the rows the
 * violations table lists per invariant (ORACLE_LISTED_MAX). */
int64_t db_run_violations(const struct db_run *r);
/* The same, for the invariants of one model. */
int64_t db_run_model_violations(const struct db_run *r, model_id model);
/* ... of one of the model's invariants ("agreement"). */
int64_t db_run_invariant_violations(const struct db_run *r, model_id model,
                                    const char *invariant);
/* The private database, for reading the summary and expectations before commit. */
sqlite3 *db_run_handle(struct db_run *r);
/* Sets runs.verdict ("pass" or "fail"), then publishes the run into target_path: a new
 * target is the private file renamed into place; an existing one receives every row in one
 * transaction under run_id max + 1, and nothing at all on failure (a target that is not a
 * zabsim database, or has another schema version, is left untouched). On success *run_id (if
 * not NULL) is the run's id in the target. Needs db_run_finish first. Frees r and deletes the
 * private file either way. */
bool db_run_commit(struct db_run *r, const char *verdict, int64_t *run_id, GError **err);
/* Deletes the private database and frees r. */
void db_run_abort(struct db_run *r);

#endif
