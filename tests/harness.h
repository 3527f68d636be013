/* harness.h: the shared main() of every test executable. Each tests/test_*.c defines
 * test_register(), which adds its suites to the CUnit registry; the harness runs them and
 * exits non-zero when any assertion failed. */
#ifndef TESTS_HARNESS_H
#define TESTS_HARNESS_H

#include <CUnit/Basic.h>

void test_register(void);

/* Adds a suite with the given tests (NULL-terminated pairs are clumsy; use the macro). */
struct test_case {
    const char *name;
    void (*fn)(void);
};
void test_add_suite(const char *suite, const struct test_case *cases, size_t n);
#define TEST_SUITE(name, ...)                                                              \
    do {                                                                                   \
        static const struct test_case cases_[] = { __VA_ARGS__ };                          \
        test_add_suite(name, cases_, sizeof cases_ / sizeof cases_[0]);                    \
    } while (0)
#define TEST(fn) { #fn, fn }

/* Runs the zabsim binary (ZABSIM_BIN, set by ctest) with argv (NULL-terminated, the
 * arguments after the program name). *out and *err (either may be NULL) receive its output
 * and must be freed. Returns its exit status; -1, with a CUnit failure, when it could not
 * run or did not exit. */
int test_zabsim(const char *const *argv, char **out, char **err);

/* Path of a file in the source tree (ZABSIM_SOURCE_DIR from ctest, else "."). Static buffer. */
const char *test_source_path(const char *relative);

/* Runs `zabsim run` (at summary level) on the scenario text, written as NAME.yaml to a
 * temporary directory of this process (removed at exit), and opens NAME.db read-only; NULL,
 * with a CUnit failure, when the run did not exit 0 or the database cannot be opened. The
 * caller closes it (sqlite3_close). */
struct sqlite3;
struct sqlite3 *test_run_scenario_db(const char *name, const char *yaml);
/* The same, recorded at `record` (summary, outcomes or messages). */
struct sqlite3 *test_run_scenario_db_at(const char *name, const char *yaml, const char *record);
/* The integer the query's first row and column hold; -1 for NULL or no row. A query that
 * does not compile is a CUnit failure. */
long long test_db_int(struct sqlite3 *db, const char *sql);

#endif
