/* fuzz_scenario.c: libFuzzer target for the scenario loader. Any bytes must give either a
 * scenario or a well-formed list of problems: never a crash, a leak, undefined behaviour or
 * a hang (AddressSanitizer and UBSan watch; libFuzzer's -timeout catches slow inputs).
 *
 * Build: cmake -DCMAKE_C_COMPILER=clang -DZABSIM_FUZZ=ON (add
 * -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,address,undefined so the loader itself is
 * coverage-instrumented, not only this file). Give the ignored fuzz/corpus-run first, since
 * libFuzzer adds the inputs it finds to the first directory it is given:
 *   mkdir -p ../fuzz/corpus-run
 *   ./fuzz_scenario -max_total_time=60 ../fuzz/corpus-run ../fuzz/corpus */
#include "world/scenario.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    GError *err = NULL;
    struct scenario *sc = scenario_parse("fuzz.yaml", (const char *)data, size, &err);
    /* Exactly one of the two outcomes, and a rejection always says where. */
    ZS_ASSERT((sc == NULL) == (err != NULL));
    if (err) {
        ZS_ASSERT(err->domain == ZS_ERROR && err->code == ZS_ERROR_INPUT);
        ZS_ASSERT(strncmp(err->message, "fuzz.yaml:", strlen("fuzz.yaml:")) == 0);
        g_error_free(err);
    }
    scenario_free(sc);
    return 0;
}
