/* run_measures.h: the summary measures of a run, computed while it runs.
 *
 * A recorder like the verdict: hand it every record of a run in trace order and, when the
 * run ends, the hosts' end states; it gives back every measure of run_summary, host_summary
 * and catchups. reports/measures.sql defines each measure as a query over the outcome
 * tables; this is the only code that computes them, and tests/test_measures.c proves, on
 * every scenario and several seeds, that it returns exactly what those queries return. So a
 * run recorded at summary level, which writes no per-message row, has the same summary as
 * the same run recorded with every row.
 *
 * Memory: a few bits per (host incarnation, message) and about 24 bytes per message, plus
 * each latency (4 bytes below 4.29 s) for the exact percentiles and one 8-byte run per
 * stretch of consecutive first deliveries of a host incarnation (a ZAB host delivering in
 * the common order is one stretch). It does not grow with network messages. */
#ifndef WORLD_RUN_MEASURES_H
#define WORLD_RUN_MEASURES_H

#include "world/model.h"

/* Percentile triple: nearest-rank p50, p99 and the maximum; present false when no value. */
struct measure_percentiles {
    bool present;
    int64_t p50_ns, p99_ns, max_ns;
};

/* A host's loss in one model (host_summary). */
struct measure_host {
    uint32_t host;           /* index */
    bool counted;            /* its losses count (then lost.. are set) */
    int64_t delivered;       /* distinct messages, every incarnation */
    int64_t lost, lost_in_transit, missed_while_down;
};

/* One restart in a model that replays its history (catchups). */
struct measure_catchup {
    uint32_t host;
    uint32_t incarnation;
    int64_t started_ns;
    int64_t caught_up_ns;    /* -1: never */
};

/* Every measure of one model (run_summary). Columns that are NULL for the model have their
 * *_present flag false. */
struct measure_model {
    model_id model;
    int64_t submitted, acked, failed, unknown, delivered;
    int64_t lost, lost_in_transit, missed_while_down;
    int64_t duplicates, redeliveries, order_disagreements;
    struct measure_percentiles ack, delivery;
    bool restarts_present;   /* the model replays its history */
    int64_t restarts, never_caught_up;
    bool catchup_max_present;
    int64_t catchup_max_ns;
    int64_t unavailable_ns;
    bool leader_changes_present;
    int64_t leader_changes;
    GArray *hosts;           /* struct measure_host, by host index */
    GArray *catchups;        /* struct measure_catchup, by host, then incarnation */
};

/* The end of a run, as the measures need it. */
struct measure_end {
    sim_time duration_ns;
    sim_time workload_start_ns;
    bool queue_group;        /* the scenario sets a pub/sub queue group */
    const bool *host_up;     /* by host index: its processes were running at the end */
};

struct run_measures;

struct run_measures *run_measures_new(unsigned models, uint32_t n_hosts);
/* One record of the run, of any model, in trace order. */
void run_measures_record(struct run_measures *m, const struct trace_rec *r);
/* Ends the run: out gets one struct measure_model per model of the run, in registry order
 * (free with run_measures_result_free). Records after this are ignored. */
GArray *run_measures_finish(struct run_measures *m, const struct measure_end *end);
void run_measures_result_free(GArray *result);
void run_measures_free(struct run_measures *m);

#endif
