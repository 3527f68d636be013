/* rng.c: xoshiro256** streams seeded by splitmix64; see rng.h for why. */
#include "sim/rng.h"

#include <glib.h>
#include <math.h>
#include <string.h>

uint64_t rng_splitmix64(uint64_t *state)
{
    uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* FNV-1a over the label, so the label, not its address or length, picks the stream. */
static uint64_t label_hash(const char *label)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (const unsigned char *p = (const unsigned char *)label; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ULL;
    }
    return h;
}

static void seed_from(struct rng *r, uint64_t mixed)
{
    uint64_t sm = mixed;
    for (int i = 0; i < 4; i++)
        r->s[i] = rng_splitmix64(&sm);
    /* xoshiro's only bad state is all zeros; splitmix64 cannot produce four zeros in a row
     * from one state, but keep the guard explicit. */
    if ((r->s[0] | r->s[1] | r->s[2] | r->s[3]) == 0)
        r->s[0] = 1;
}

void rng_init(struct rng *r, uint64_t seed, const char *label)
{
    uint64_t sm = seed;
    uint64_t base = rng_splitmix64(&sm);
    seed_from(r, base ^ label_hash(label));
}

void rng_init_indexed(struct rng *r, uint64_t seed, const char *prefix, uint64_t index)
{
    uint64_t sm = seed;
    uint64_t base = rng_splitmix64(&sm);
    uint64_t ix = index + 1;
    seed_from(r, base ^ label_hash(prefix) ^ rng_splitmix64(&ix));
}

static inline uint64_t rotl(uint64_t x, int k)
{
    return (x << k) | (x >> (64 - k));
}

uint64_t rng_next(struct rng *r)
{
    uint64_t *s = r->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9;
    uint64_t t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

uint64_t rng_below(struct rng *r, uint64_t bound)
{
    /* Lemire's multiply-and-reject: unbiased and usually one multiplication. */
    uint64_t x = rng_next(r);
    __uint128_t m = (__uint128_t)x * bound;
    uint64_t low = (uint64_t)m;
    if (low < bound) {
        uint64_t threshold = -bound % bound;
        while (low < threshold) {
            x = rng_next(r);
            m = (__uint128_t)x * bound;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}

int64_t rng_range(struct rng *r, int64_t lo, int64_t hi)
{
    uint64_t span = (uint64_t)hi - (uint64_t)lo;
    if (span == UINT64_MAX)
        return (int64_t)rng_next(r);
    return (int64_t)((uint64_t)lo + rng_below(r, span + 1));
}

double rng_unit(struct rng *r)
{
    return (double)(rng_next(r) >> 11) * 0x1.0p-53;
}

double rng_normal(struct rng *r)
{
    double u1 = 1.0 - rng_unit(r); /* (0, 1]: log is finite */
    double u2 = rng_unit(r);
    return sqrt(-2.0 * log(u1)) * cos(2.0 * G_PI * u2);
}

double rng_exponential(struct rng *r, double mean)
{
    return -mean * log(1.0 - rng_unit(r));
}

void rng_order_first(struct rng *r, uint32_t first, uint32_t n, uint32_t *out)
{
    ZS_ASSERT(first < n);
    out[0] = first;
    uint32_t k = 1;
    for (uint32_t v = 0; v < n; v++) {
        if (v != first)
            out[k++] = v;
    }
    for (uint32_t i = n - 1; i > 1; i--) {
        uint32_t j = 1 + (uint32_t)rng_below(r, i);
        uint32_t t = out[i];
        out[i] = out[j];
        out[j] = t;
    }
}
