/* bare_loop.c: see bare_loop.h. */
#include "bench/bare_loop.h"

#include <stdlib.h>
#include <time.h>

#define HOSTS BARE_LOOP_HOSTS
#define WINDOW BARE_LOOP_WINDOW

double bench_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bare_event {
    sim_time t;
    uint64_t seq;
    uint32_t from, to;
};

struct bare_heap {
    struct bare_event *v;
    size_t len, cap, peak;
};

static bool bare_less(const struct bare_event *a, const struct bare_event *b)
{
    return a->t < b->t || (a->t == b->t && a->seq < b->seq);
}

static void bare_push(struct bare_heap *h, struct bare_event e)
{
    if (h->len == h->cap) {
        h->cap = h->cap ? h->cap * 2 : 1024;
        h->v = realloc(h->v, h->cap * sizeof *h->v);
    }
    size_t i = h->len++;
    while (i > 0 && bare_less(&e, &h->v[(i - 1) / 2])) {
        h->v[i] = h->v[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->v[i] = e;
    if (h->len > h->peak)
        h->peak = h->len;
}

static struct bare_event bare_pop(struct bare_heap *h)
{
    struct bare_event top = h->v[0], last = h->v[--h->len];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->len)
            break;
        if (c + 1 < h->len && bare_less(&h->v[c + 1], &h->v[c]))
            c++;
        if (!bare_less(&h->v[c], &last))
            break;
        h->v[i] = h->v[c];
        i = c;
    }
    if (h->len)
        h->v[i] = last;
    return top;
}

struct bench_result bare_loop_run(uint64_t total_messages)
{
    struct bare_heap heap = { 0 };
    struct rng node_rng[HOSTS], net_rng[HOSTS];
    sim_time last_arrival[HOSTS][HOSTS] = { { 0 } };
    struct dist latency = { DIST_UNIFORM, 500 * SIM_US, 2 * SIM_MS };
    uint64_t seq = 0, delivered = 0, events = 0;
    sim_time now = 0;
    for (uint32_t h = 0; h < HOSTS; h++) {
        rng_init_indexed(&node_rng[h], 42, "node/", h);
        rng_init_indexed(&net_rng[h], 42, "net/", h);
    }
    double t0 = bench_now_s();
    for (uint32_t h = 0; h < HOSTS; h++) {
        for (int i = 0; i < WINDOW; i++) {
            uint32_t to;
            do
                to = (uint32_t)rng_below(&node_rng[h], HOSTS);
            while (to == h);
            sim_time t = MAX(now + dist_sample(&latency, &net_rng[h]), last_arrival[h][to]);
            last_arrival[h][to] = t;
            bare_push(&heap, (struct bare_event){ t, seq++, h, to });
        }
    }
    while (heap.len) {
        struct bare_event e = bare_pop(&heap);
        now = e.t;
        events++;
        if (++delivered >= total_messages)
            continue;
        uint32_t h = e.to, to;
        do
            to = (uint32_t)rng_below(&node_rng[h], HOSTS);
        while (to == h);
        sim_time t = MAX(now + dist_sample(&latency, &net_rng[h]), last_arrival[h][to]);
        last_arrival[h][to] = t;
        bare_push(&heap, (struct bare_event){ t, seq++, h, to });
    }
    struct bench_result r = { .seconds = bench_now_s() - t0, .events = events,
                              .messages = delivered,
                        .pending_peak = heap.peak };
    free(heap.v);
    return r;
}

