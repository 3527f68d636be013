/* zs.h: project-wide basics shared by every module: the time type, assertions that stay
 * compiled in, and the error domain for GError.
 *
 * Simulated time is an int64_t count of nanoseconds from 0 (docs/architecture.md, "The
 * simulated world").
 * Nothing here reads a clock or allocates. */
#ifndef ZS_H
#define ZS_H

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

typedef int64_t sim_time;

#define SIM_NS ((sim_time)1)
#define SIM_US ((sim_time)1000)
#define SIM_MS ((sim_time)1000000)
#define SIM_S ((sim_time)1000000000)
#define SIM_TIME_NEVER INT64_MAX

/* ZS_ASSERT is never compiled out (unlike g_assert under G_DISABLE_ASSERT): a simulator
 * that keeps running past a broken invariant produces results nobody should trust. */
#define ZS_ASSERT(cond)                                                                    \
    do {                                                                                   \
        if (G_UNLIKELY(!(cond)))                                                           \
            zs_assert_failed(#cond, __FILE__, __LINE__, G_STRFUNC);                        \
    } while (0)

G_NORETURN void zs_assert_failed(const char *expr, const char *file, int line,
                                 const char *func);

/* Context printed with an assertion failure: which run was going on. */
void zs_assert_set_context(const char *scenario, uint64_t seed);
void zs_assert_set_time(sim_time now_ns, uint64_t event_seq);

#define ZS_ERROR (zs_error_quark())
GQuark zs_error_quark(void);

enum zs_error_code {
    ZS_ERROR_INPUT = 1,    /* bad scenario, bad argument: exit status 2 */
    ZS_ERROR_IO,           /* file or database problem */
    ZS_ERROR_INTERNAL,
};

#endif
