/* rng.h: seeded pseudo-random streams.
 *
 * Generator: xoshiro256** (Blackman and Vigna), seeded through splitmix64. It is our own
 * code, so a sequence depends on nothing but the seed: GLib's GRand changed its seeding
 * once and libc rand() differs between platforms. Streams are derived from the run seed and
 * a label ("net", "disk/h3", "node/7"), so each subsystem draws from its own sequence and an
 * extra draw in one place does not shift the outcomes of every other place.
 *
 * Not thread-safe per stream; every stream belongs to one simulation. */
#ifndef SIM_RNG_H
#define SIM_RNG_H

#include <stdint.h>

#include "sim/zs.h"

struct rng {
    uint64_t s[4];
};

/* Seeds a stream from the run seed and a label. The same pair always gives the same
 * stream; different labels give independent-looking streams. */
void rng_init(struct rng *r, uint64_t seed, const char *label);
/* Like rng_init with a label made of prefix and a number ("node/", 7). */
void rng_init_indexed(struct rng *r, uint64_t seed, const char *prefix, uint64_t index);

uint64_t rng_next(struct rng *r);
/* Uniform in [0, bound), bound > 0, without modulo bias. */
uint64_t rng_below(struct rng *r, uint64_t bound);
/* Uniform in [lo, hi], lo <= hi. */
int64_t rng_range(struct rng *r, int64_t lo, int64_t hi);
/* Uniform double in [0, 1). */
double rng_unit(struct rng *r);
/* Standard normal deviate (Box-Muller, one value per call so the stream stays simple). */
double rng_normal(struct rng *r);
/* Exponential deviate with the given mean. */
double rng_exponential(struct rng *r, double mean);

/* splitmix64 step, exposed for hashing labels and for tests. */
uint64_t rng_splitmix64(uint64_t *state);
/* out[0] = first, then every other value of 0 .. n-1 in an order drawn from r (Fisher-Yates):
 * a client's server list, its home host first (ZooKeeper's StaticHostProvider and nats.go
 * both shuffle the rest once). first < n. */
void rng_order_first(struct rng *r, uint32_t first, uint32_t n, uint32_t *out);

#endif
