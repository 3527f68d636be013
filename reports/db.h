/* db.h: the results database (CONTRACT.md section 4).
 *
 * A run records into its own private SQLite file next to the target database; nothing
 * is visible in the target until db_run_commit(), which either renames the private file
 * into place (new database) or appends its rows under a fresh run_id in one transaction
 * (existing database). An interrupted run therefore never leaves a database that looks
 * whole. Rows are written through prepared statements inside large transactions.
 *
 * The schema is reports/schema.sql, the invariant queries reports/checks.sql and the
 * summary reports/summary.sql, all embedded in the binary at build time. */
#ifndef REPORTS_DB_H
#define REPORTS_DB_H

#include <sqlite3.h>

#include "sim/trace.h"

/* What is known about a run besides its trace records. */
struct db_run_meta {
    const char *scenario;      /* name */
    const char *description;
    const char *scenario_path;
    const char *scenario_text; /* the whole YAML file */
    uint64_t seed;
    uint32_t hosts;
    sim_time duration_ns;
    const char *model;         /* "zab", "pubsub" or "both" */
    const char *queue_group;   /* pub/sub queue group, or NULL */
    int64_t wall_ms;
};

/* State of a host when the run ended (table `hosts`). */
struct db_host_end {
    const char *name;
    bool up;                   /* processes running at the end */
    uint32_t incarnation;
    enum zab_server_state zab_state;
    enum zab_phase zab_phase;
};

struct db_run;

/* Creates the private database for one run beside target_path (same directory, so the
 * final rename stays on one file system). host_names index the `host` columns. */
struct db_run *db_run_create(const char *target_path, const char *const *host_names,
                             uint32_t n_hosts, GError **err);
/* The recorder to hand to the simulator: every trace record becomes rows. */
struct recorder db_run_recorder(struct db_run *r);
/* Writes the runs row (verdict still NULL), the hosts table, then computes the summary and
 * checks every invariant; returns false on a database error. */
bool db_run_finish(struct db_run *r, const struct db_run_meta *meta,
                   const struct db_host_end *hosts, GError **err);
/* Number of invariant violations found by db_run_finish. */
int64_t db_run_violations(const struct db_run *r);
/* The private database, for reading the summary and expectations before commit. */
sqlite3 *db_run_handle(struct db_run *r);
/* Sets runs.verdict ("pass" or "fail"), then publishes the run into target_path. On
 * success *run_id (if not NULL) is the run's id in the target. Frees r either way. */
bool db_run_commit(struct db_run *r, const char *verdict, int64_t *run_id, GError **err);
/* Deletes the private database and frees r. */
void db_run_abort(struct db_run *r);

#endif
