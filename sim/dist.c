/* dist.c: sampling the delay distributions declared in dist.h. */
#include "sim/dist.h"

#include <math.h>
#include <stdio.h>

sim_time dist_sample(const struct dist *d, struct rng *r)
{
    switch (d->kind) {
    case DIST_FIXED:
        return d->a;
    case DIST_UNIFORM:
        return rng_range(r, d->a, d->b);
    case DIST_NORMAL:
        /* Truncate at zero by redrawing; bounded so a mean far below zero cannot spin. */
        for (int i = 0; i < 64; i++) {
            double x = (double)d->a + (double)d->b * rng_normal(r);
            if (x >= 0.0)
                return (sim_time)llround(x);
        }
        return 0;
    case DIST_EXPONENTIAL:
        return (sim_time)llround(rng_exponential(r, (double)d->a));
    }
    ZS_ASSERT(!"unknown distribution kind");
    return 0;
}

static void format_ns(sim_time ns, char *buf, size_t len)
{
    if (ns % SIM_S == 0 && ns != 0)
        snprintf(buf, len, "%" G_GINT64_FORMAT "s", ns / SIM_S);
    else if (ns % SIM_MS == 0 && ns != 0)
        snprintf(buf, len, "%" G_GINT64_FORMAT "ms", ns / SIM_MS);
    else if (ns % SIM_US == 0 && ns != 0)
        snprintf(buf, len, "%" G_GINT64_FORMAT "us", ns / SIM_US);
    else
        snprintf(buf, len, "%" G_GINT64_FORMAT "ns", ns);
}

void dist_format(const struct dist *d, char *buf, size_t len)
{
    char a[32], b[32];
    format_ns(d->a, a, sizeof a);
    format_ns(d->b, b, sizeof b);
    switch (d->kind) {
    case DIST_FIXED:
        snprintf(buf, len, "%s", a);
        break;
    case DIST_UNIFORM:
        snprintf(buf, len, "uniform %s..%s", a, b);
        break;
    case DIST_NORMAL:
        snprintf(buf, len, "normal mean %s stddev %s", a, b);
        break;
    case DIST_EXPONENTIAL:
        snprintf(buf, len, "exponential mean %s", a);
        break;
    }
}
