/* test_units.c: the scenario value syntax (sim/units.h): durations, sizes and rates, valid
 * and invalid, at the overflow edges, and the human duration format reading back exactly. */
#include "sim/rng.h"
#include "world/units.h"
#include "tests/harness.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

/* Reports a failed table row with the row's text, so the failure says which one. */
static void check_row(bool ok, const char *what, const char *text, const char *detail)
{
    char *msg = g_strdup_printf("%s '%s': %s", what, text, detail ? detail : "");
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, __LINE__, msg, __FILE__, "", CU_FALSE);
    if (!ok)
        fprintf(stderr, "\n  FAILED: %s\n", msg);
    g_free(msg);
}

/* ---- durations --------------------------------------------------------------------------- */

static void test_units_duration_valid(void)
{
    static const struct {
        const char *text;
        sim_time ns;
    } rows[] = {
        { "0", 0 },
        { "0.0", 0 },
        { "0s", 0 },
        { "1ns", 1 },
        { "1us", 1000 },
        { "1ms", 1000000 },
        { "1s", 1000000000 },
        { "1m", INT64_C(60000000000) },
        { "0.5ms", 500000 },
        { "1.50ms", 1500000 },
        { "2.5s", 2500000000 },
        { "1.5m", INT64_C(90000000000) },
        { "0.001us", 1 },
        { "0.000000001s", 1 },
        { "1.000000001s", 1000000001 },
        { "007s", 7000000000 },
        { "20s", 20000000000 },
        { "9223372036854775807ns", INT64_MAX },
        { "9223372036.854775807s", INT64_MAX },
        { "153722867m", INT64_C(153722867) * 60000000000 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        sim_time v = -1;
        char *error = NULL;
        bool ok = units_parse_duration(rows[i].text, &v, &error);
        check_row(ok && v == rows[i].ns, "duration", rows[i].text, error);
        g_free(error);
    }
}

static void test_units_duration_invalid(void)
{
    static const struct {
        const char *text;
        const char *message; /* a part of the expected error */
    } rows[] = {
        { "", "empty value" },
        { "20", "missing unit" },
        { "0.5", "missing unit" },
        { "99999999999999999999999", "missing unit" },
        { "-1s", "must not be negative" },
        { "-0s", "must not be negative" },
        { "+1s", "expected a number and a unit" },
        { "s", "expected a number and a unit" },
        { ".5s", "expected a number and a unit" },
        { "1.s", "digits after the decimal point" },
        { "5x", "unknown unit 'x' (use ns, us, ms, s or m)" },
        { "5msx", "unknown unit 'msx'" },
        { "1S", "unknown unit 'S'" },
        { "2h", "unknown unit 'h'" },
        { "1e3s", "unknown unit 'e'" },
        { "5 ms", "unexpected space after the number" },
        { "5ms ", "unexpected space after the unit" },
        { "5ms!", "unexpected '!' after the unit" },
        { "5ms\x01", "control character 0x01" },
        { "0.3ns", "not a whole number of nanoseconds" },
        { "0.0000000001s", "not a whole number of nanoseconds" },
        { "0.0000000000000000001s", "too many decimal places" },
        { "9223372036854775808ns", "too large" },
        { "9223372036.854775808s", "too large" },
        { "9223372037s", "too large" },
        { "153722868m", "too large" },
        { "123456789012345678901234567890s", "too large" },
        { "5aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "unknown unit 'aaaaaaaaaaaaaaaa...'" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        sim_time v = 12345;
        char *error = NULL;
        bool ok = units_parse_duration(rows[i].text, &v, &error);
        bool right = !ok && v == 12345 && error && strstr(error, rows[i].message);
        check_row(right, "duration", rows[i].text, error ? error : "accepted");
        g_free(error);
    }
    /* The error pointer is optional. */
    sim_time v;
    CU_ASSERT_FALSE(units_parse_duration("5x", &v, NULL));
}

/* ---- sizes ------------------------------------------------------------------------------- */

static void test_units_size_valid(void)
{
    static const struct {
        const char *text;
        uint64_t bytes;
    } rows[] = {
        { "0", 0 },
        { "0B", 0 },
        { "64B", 64 },
        { "1KiB", 1024 },
        { "1.5KiB", 1536 },
        { "8MiB", 8388608 },
        { "64MiB", 67108864 },
        { "1GiB", 1073741824 },
        { "0.5GiB", 536870912 },
        { "18446744073709551615B", UINT64_MAX },
        { "17179869183GiB", UINT64_C(17179869183) << 30 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        uint64_t v = 1;
        char *error = NULL;
        bool ok = units_parse_size(rows[i].text, &v, &error);
        check_row(ok && v == rows[i].bytes, "size", rows[i].text, error);
        g_free(error);
    }
}

static void test_units_size_invalid(void)
{
    static const struct {
        const char *text;
        const char *message;
    } rows[] = {
        { "64", "missing unit (use B, KiB, MiB or GiB" },
        { "8MB", "unknown unit 'MB' (use B, KiB, MiB or GiB; sizes are binary: did you mean "
                 "MiB?)" },
        { "8kb", "did you mean KiB?" },
        { "1G", "did you mean GiB?" },
        { "1b", "did you mean B?" },
        { "1bytes", "unknown unit 'bytes' (use B, KiB, MiB or GiB)" },
        { "-1B", "must not be negative" },
        { "1.5B", "not a whole number of bytes" },
        { "18446744073709551616B", "too large" },
        { "17179869184GiB", "too large" },
        { "8MiB8", "unexpected '8' after the unit" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        uint64_t v = 777;
        char *error = NULL;
        bool ok = units_parse_size(rows[i].text, &v, &error);
        bool right = !ok && v == 777 && error && strstr(error, rows[i].message);
        check_row(right, "size", rows[i].text, error ? error : "accepted");
        g_free(error);
    }
}

/* ---- rates ------------------------------------------------------------------------------- */

static void test_units_rate_valid(void)
{
    static const struct {
        const char *text;
        double per_s;
    } rows[] = {
        { "unlimited", 0.0 },
        { "0/s", 0.0 },
        { "200/s", 200.0 },
        { "2/ms", 2000.0 },
        { "0.5/s", 0.5 },
        { "12.5/s", 12.5 },
        { "1000000/ms", 1e9 },
        { "1000000000/s", 1e9 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        double v = -1.0;
        char *error = NULL;
        bool ok = units_parse_rate(rows[i].text, &v, &error);
        check_row(ok && v == rows[i].per_s, "rate", rows[i].text, error);
        g_free(error);
    }
}

static void test_units_rate_invalid(void)
{
    static const struct {
        const char *text;
        const char *message;
    } rows[] = {
        { "200", "missing unit" },
        { "200/", "missing unit after '/'" },
        { "200/m", "unknown unit 'm' (use /s or /ms)" },
        { "200/sec", "unknown unit 'sec'" },
        { "200 /s", "unexpected space after the number" },
        { "200/s ", "unexpected space after the unit" },
        { "-1/s", "must not be negative" },
        { "Unlimited", "expected a number" },
        { "1000001/ms", "too large" },
        { "1000000001/s", "too large" },
        { "99999999999999999999999999999999999999/s", "too large" },
        { "", "empty value" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        double v = 3.0;
        char *error = NULL;
        bool ok = units_parse_rate(rows[i].text, &v, &error);
        bool right = !ok && v == 3.0 && error && strstr(error, rows[i].message);
        check_row(right, "rate", rows[i].text, error ? error : "accepted");
        g_free(error);
    }
}

/* ---- formatting -------------------------------------------------------------------------- */

static void test_units_format_duration(void)
{
    static const struct {
        sim_time ns;
        const char *text;
    } rows[] = {
        { 0, "0s" },
        { 7, "7ns" },
        { 999, "999ns" },
        { 12000, "12us" },
        { 12500, "12.5us" },
        { 250000000, "250ms" },
        { 1500000000, "1.5s" },
        { 1000000001, "1.000000001s" },
        { INT64_C(90000000000), "90s" },
        { -1500000, "-1.5ms" },
        { INT64_MAX, "9223372036.854775807s" },
        { INT64_MIN, "-9223372036.854775808s" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(rows); i++) {
        char buf[32];
        units_format_duration(rows[i].ns, buf, sizeof buf);
        check_row(strcmp(buf, rows[i].text) == 0, "format", rows[i].text, buf);
    }
    /* A short buffer is cut, never overrun. */
    char small[4] = "xxx";
    units_format_duration(1500000000, small, sizeof small);
    CU_ASSERT_STRING_EQUAL(small, "1.5");
}

/* Whatever the value, its human form parses back to it exactly. */
static void test_units_format_reads_back(void)
{
    struct rng r;
    rng_init(&r, 7, "test_units");
    for (int i = 0; i < 20000; i++) {
        /* Spread over every magnitude, not just the huge values uniform draws give. */
        int bits = (int)rng_below(&r, 63);
        sim_time ns = (sim_time)(rng_next(&r) >> (63 - bits)) & INT64_MAX;
        char buf[32];
        units_format_duration(ns, buf, sizeof buf);
        sim_time back = -1;
        if (!units_parse_duration(buf, &back, NULL) || back != ns) {
            check_row(false, "read back", buf, "differs");
            break;
        }
    }
}

void test_register(void)
{
    TEST_SUITE("units", TEST(test_units_duration_valid), TEST(test_units_duration_invalid),
               TEST(test_units_size_valid), TEST(test_units_size_invalid),
               TEST(test_units_rate_valid), TEST(test_units_rate_invalid),
               TEST(test_units_format_duration), TEST(test_units_format_reads_back));
}
