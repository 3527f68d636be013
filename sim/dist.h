/* dist.h: delay distributions for link latency and fsync time (docs/scenarios.md:
 * fixed{value}, uniform{min,max}, normal{mean,stddev}, exponential{mean}).
 *
 * Samples are integer nanoseconds, never negative: the normal distribution is truncated at
 * 0 by redrawing, so its mean shifts up slightly when stddev is large against the mean. */
#ifndef SIM_DIST_H
#define SIM_DIST_H

#include "sim/rng.h"
#include "sim/zs.h"

enum dist_kind {
    DIST_FIXED,
    DIST_UNIFORM,
    DIST_NORMAL,
    DIST_EXPONENTIAL,
};

struct dist {
    enum dist_kind kind;
    sim_time a; /* fixed: value; uniform: min; normal: mean; exponential: mean */
    sim_time b; /* uniform: max; normal: stddev; otherwise unused */
};

static inline struct dist dist_fixed(sim_time value)
{
    return (struct dist){ .kind = DIST_FIXED, .a = value, .b = 0 };
}

sim_time dist_sample(const struct dist *d, struct rng *r);
/* "20ms" (fixed), "uniform 0.5ms..2ms", "normal mean 10ms stddev 2ms", "exponential mean
 * 5ms": for summaries and error messages. buf gets at most len. */
void dist_format(const struct dist *d, char *buf, size_t len);

#endif
