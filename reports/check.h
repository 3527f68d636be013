/* check.h: the ZAB ordering invariants (CONTRACT.md section 5), re-derived from the tables of
 * one run of a results database.
 *
 * The same code serves the run (db_run_finish writes what it finds to `violations`) and
 * `zabsim check`, which never trusts a database's own verdict or violations table. The
 * invariants over proposals, host states and truncations are queries in reports/checks.sql;
 * those that look at every delivery are C over the in-memory sequences of reports/db_seq.c
 * (reports/db_check_order.c, reports/db_check_history.c). docs/database.md describes each.
 * Pub/sub deliveries are never checked. */
#ifndef REPORTS_CHECK_H
#define REPORTS_CHECK_H

#include <sqlite3.h>

#include "sim/zs.h"

/* The invariants, in the order they are reported; check_invariants[] holds their names as
 * they appear in violations.invariant. */
enum check_invariant {
    CHECK_INTEGRITY = 0,
    CHECK_TOTAL_ORDER,
    CHECK_AGREEMENT,
    CHECK_LOCAL_PRIMARY_ORDER,
    CHECK_GLOBAL_PRIMARY_ORDER,
    CHECK_PRIMARY_INTEGRITY,
    CHECK_DURABILITY,
    CHECK_COMMITTED_LOG_DURABILITY,
    CHECK_ONE_LEADER_PER_EPOCH,
    CHECK_ZXID_MONOTONIC,
    CHECK_INVARIANT_COUNT
};

extern const char *const check_invariants[CHECK_INVARIANT_COUNT];

/* At most this many violations of one invariant are listed per run; the rest are counted
 * and summed up in one more entry ("N more violations of X not listed"). A broken run can
 * break an invariant at every delivery, and a million copies of one story help nobody. */
#define CHECK_LISTED_MAX 100

struct check_violation {
    const char *invariant; /* one of check_invariants */
    char *detail;          /* one sentence naming hosts (host#incarnation), seq, msg, zxid */
    char *evidence;        /* the rows that prove it, one per line ("table col=value ...") */
};

struct check_result {
    GPtrArray *violations; /* struct check_violation *, in invariant order; owns them */
    int64_t found;         /* violations found, including those not listed */
};

/* Checks every invariant on run run_id of db (any zabsim database: a private run file or a
 * published one). On success res holds the violations (none when the run is correct); on a
 * database error returns false with err set and res empty. Creates TEMP views on db. */
bool check_run(sqlite3 *db, int64_t run_id, struct check_result *res, GError **err);
void check_result_clear(struct check_result *res);

#endif
