/* harness.c: main() for the CUnit test executables; see harness.h. */
#include "tests/harness.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>

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
