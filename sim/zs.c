/* zs.c: the assertion handler and error quark declared in zs.h. */
#include "sim/zs.h"

#include <stdio.h>
#include <stdlib.h>

/* Per thread: `zabsim sweep --jobs` runs one simulation per worker thread. */
static _Thread_local const char *assert_scenario = "(none)";
static _Thread_local uint64_t assert_seed;
static _Thread_local sim_time assert_now_ns = -1;
static _Thread_local uint64_t assert_event_seq;

void zs_assert_set_context(const char *scenario, uint64_t seed)
{
    assert_scenario = scenario ? scenario : "(none)";
    assert_seed = seed;
}

void zs_assert_set_time(sim_time now_ns, uint64_t event_seq)
{
    assert_now_ns = now_ns;
    assert_event_seq = event_seq;
}

void zs_assert_failed(const char *expr, const char *file, int line, const char *func)
{
    fprintf(stderr,
            "zabsim: internal error: assertion '%s' failed at %s:%d (%s)\n"
            "zabsim: scenario %s, seed %" G_GUINT64_FORMAT ", simulated time %" G_GINT64_FORMAT
            " ns, event %" G_GUINT64_FORMAT "\n",
            expr, file, line, func, assert_scenario, assert_seed, assert_now_ns,
            assert_event_seq);
    abort();
}

GQuark zs_error_quark(void)
{
    return g_quark_from_static_string("zabsim-error-quark");
}
