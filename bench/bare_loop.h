/* bare_loop.h: the yardstick of every benchmark under bench/: a minimal binary heap of
 * (time, seq) events running the relay workload of bench_core.c (5 hosts in a full mesh,
 * WINDOW messages in flight per host, each delivery forwarded to a random peer, latency
 * uniform 0.5-2 ms) with none of the simulator around it. Benchmarks print their
 * throughput as a ratio to this loop's, measured in the same process, because absolute
 * numbers on a shared machine mean little. */
#ifndef BENCH_BARE_LOOP_H
#define BENCH_BARE_LOOP_H

#include "sim/sim.h"

#define BARE_LOOP_HOSTS 5
#define BARE_LOOP_WINDOW 64

struct bench_result {
    double seconds;
    uint64_t events, messages;
    size_t pending_peak;
};

/* Monotonic wall-clock seconds: benchmarks only. */
double bench_now_s(void);
/* Runs the bare loop until total_messages have been delivered. */
struct bench_result bare_loop_run(uint64_t total_messages);

#endif
