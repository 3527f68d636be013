/* harness.c: main() for the CUnit test executables; see harness.h. */
#include "tests/harness.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

void test_add_suite(const char *suite, const struct test_case *cases, size_t n)
{
    CU_pSuite s = CU_add_suite(suite, NULL, NULL);
    if (!s) {
        fprintf(stderr, "cannot add suite %s: %s\n", suite, CU_get_error_msg());
        exit(2);
    }
    for (size_t i = 0; i < n; i++) {
        if (!CU_add_test(s, cases[i].name, cases[i].fn)) {
            fprintf(stderr, "cannot add test %s: %s\n", cases[i].name, CU_get_error_msg());
            exit(2);
        }
    }
}

const char *test_source_path(const char *relative)
{
    static char buf[4096];
    const char *root = g_getenv("ZABSIM_SOURCE_DIR");
    g_snprintf(buf, sizeof buf, "%s/%s", root ? root : ".", relative);
    return buf;
}

int test_zabsim(const char *const *argv, char **out, char **err)
{
    const char *bin = g_getenv("ZABSIM_BIN");
    if (out)
        *out = NULL;
    if (err)
        *err = NULL;
    if (!bin) {
        CU_FAIL("ZABSIM_BIN not set: run the tests through ctest");
        return -1;
    }
    GPtrArray *args = g_ptr_array_new();
    g_ptr_array_add(args, (gpointer)bin);
    for (const char *const *a = argv; *a; a++)
        g_ptr_array_add(args, (gpointer)*a);
    g_ptr_array_add(args, NULL);
    int wait_status = 0;
    GError *error = NULL;
    gboolean spawned = g_spawn_sync(NULL, (char **)args->pdata, NULL, G_SPAWN_DEFAULT, NULL,
                                    NULL, out, err, &wait_status, &error);
    g_ptr_array_free(args, TRUE);
    if (!spawned) {
        fprintf(stderr, "\ncannot run %s: %s\n", bin, error->message);
        g_error_free(error);
        CU_FAIL("zabsim could not be run");
        return -1;
    }
    if (!WIFEXITED(wait_status)) {
        CU_FAIL("zabsim did not exit normally");
        return -1;
    }
    return WEXITSTATUS(wait_status);
}

int main(int argc, char **argv)
{
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 2;
    test_register();
    CU_basic_set_mode(argc > 1 ? CU_BRM_VERBOSE : CU_BRM_NORMAL);
    CU_basic_run_tests();
    unsigned failed = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    unsigned run = CU_get_number_of_tests_run();
    CU_cleanup_registry();
    if (run == 0) {
        fprintf(stderr, "no test ran\n");
        return 1;
    }
    return failed ? 1 : 0;
}

static char *run_dir;

static void remove_run_dir(void)
{
    GDir *d = run_dir ? g_dir_open(run_dir, 0, NULL) : NULL;
    const char *name;
    while (d && (name = g_dir_read_name(d))) {
        char *path = g_build_filename(run_dir, name, NULL);
        g_unlink(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    if (run_dir)
        g_rmdir(run_dir);
    g_free(run_dir);
    run_dir = NULL;
}

sqlite3 *test_run_scenario_db(const char *name, const char *yaml)
{
    return test_run_scenario_db_at(name, yaml, "summary");
}

sqlite3 *test_run_scenario_db_at(const char *name, const char *yaml, const char *record)
{
    if (!run_dir) {
        run_dir = g_dir_make_tmp("zabsim-test-XXXXXX", NULL);
        CU_ASSERT_PTR_NOT_NULL_FATAL(run_dir);
        atexit(remove_run_dir);
    }
    char *yaml_path = g_strdup_printf("%s/%s.yaml", run_dir, name);
    char *db_path = g_strdup_printf("%s/%s.db", run_dir, name);
    g_unlink(db_path);
    CU_ASSERT_FATAL(g_file_set_contents(yaml_path, yaml, -1, NULL));
    const char *argv[] = { "run", yaml_path, "--db", db_path, "--record", record, NULL };
    char *out = NULL, *err = NULL;
    int status = test_zabsim(argv, &out, &err);
    if (status != 0)
        fprintf(stderr, "zabsim run %s: %d\n%s%s", name, status, out ? out : "",
                err ? err : "");
    CU_ASSERT_EQUAL(status, 0);
    g_free(out);
    g_free(err);
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        sqlite3_close(db);
        db = NULL;
    }
    g_free(yaml_path);
    g_free(db_path);
    CU_ASSERT_PTR_NOT_NULL(db);
    return db;
}

long long test_db_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    long long v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "%s: %s\n", sql, sqlite3_errmsg(db));
        CU_FAIL("query does not compile");
        return -1;
    }
    if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}
