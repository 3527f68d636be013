/* check.h: the invariants of one run of a results database, re-derived from its tables.
 *
 * `zabsim check` never trusts a database's own verdict or violations table: it reads the
 * rows each model's oracle needs (host_states, submissions, deliveries, the model's own
 * tables, ...) back into trace records, in the order the run recorded them (trace_seq), and
 * feeds them to the same oracles that watched the run (world/verdict.h). A run and its
 * database therefore always agree, and the invariants have one definition. */
#ifndef REPORTS_CHECK_H
#define REPORTS_CHECK_H

#include <sqlite3.h>

#include "sim/oracle.h"

/* Checks every invariant of the models of run run_id of db (any zabsim database: a private
 * run file or a published one). On success res holds the violations (none when the run is
 * correct); on a database error (or a table naming a host or model the run does not have)
 * returns false with err set and res empty. */
bool check_run(sqlite3 *db, int64_t run_id, struct oracle_result *res, GError **err);

#endif
