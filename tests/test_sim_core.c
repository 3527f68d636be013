/* test_sim_core.c: the simulation core: event order, timers, randomness, disks, the
 * TCP-like network under partitions, crashes, power-offs and pauses, and determinism. */
#include "sim/dist.h"
#include "sim/evq.h"
#include "sim/rng.h"
#include "sim/sim.h"
#include "tests/harness.h"
#include "tests/probe.h"

/* ---- event queue ----------------------------------------------------------------------- */

static void test_evq_orders_by_time_then_insertion(void)
{
    struct evq *q = evq_new();
    struct evq_event ev = { 0 };
    int64_t times[] = { 50, 10, 30, 10, 50, 10 };
    for (int i = 0; i < 6; i++) {
        ev.a = (uint64_t)i;
        evq_push(q, times[i], &ev);
    }
    uint64_t expect[] = { 1, 3, 5, 2, 0, 4 };
    for (int i = 0; i < 6; i++) {
        sim_time t;
        CU_ASSERT_TRUE(evq_pop(q, &t, NULL, &ev));
        CU_ASSERT_EQUAL(ev.a, expect[i]);
    }
    sim_time t;
    CU_ASSERT_FALSE(evq_pop(q, &t, NULL, &ev));
    evq_free(q);
}

static void test_evq_cancel_removes_only_that_event(void)
{
    struct evq *q = evq_new();
    struct evq_event ev = { 0 };
    evq_handle h[100];
    for (int i = 0; i < 100; i++) {
        ev.a = (uint64_t)i;
        h[i] = evq_push(q, (i * 37) % 11, &ev);
    }
    for (int i = 0; i < 100; i += 3)
        CU_ASSERT_TRUE(evq_cancel(q, h[i], NULL));
    CU_ASSERT_FALSE(evq_cancel(q, h[0], NULL)); /* already cancelled: stale */
    CU_ASSERT_EQUAL(evq_size(q), 66);
    sim_time last = -1, t;
    int popped = 0;
    while (evq_pop(q, &t, NULL, &ev)) {
        CU_ASSERT(t >= last);
        CU_ASSERT_NOT_EQUAL(ev.a % 3, 0);
        last = t;
        popped++;
    }
    CU_ASSERT_EQUAL(popped, 66);
    /* Handles of events that ran are stale too, even after their slot is reused. */
    evq_handle reused = evq_push(q, 5, &ev);
    CU_ASSERT_FALSE(evq_cancel(q, h[1], NULL));
    CU_ASSERT_TRUE(evq_cancel(q, reused, NULL));
    evq_free(q);
}

static void test_evq_memory_follows_events_in_flight(void)
{
    struct evq *q = evq_new();
    struct evq_event ev = { 0 };
    sim_time t = 0;
    for (int i = 0; i < 16; i++)
        evq_push(q, i, &ev);
    for (int i = 0; i < 100000; i++) {
        evq_pop(q, &t, NULL, &ev);
        evq_push(q, t + 16, &ev);
    }
    CU_ASSERT_EQUAL(evq_peak(q), 16);
    evq_free(q);
}

/* ---- randomness ------------------------------------------------------------------------ */

static void test_rng_streams_are_reproducible_and_independent(void)
{
    struct rng a, b, c;
    rng_init(&a, 42, "net");
    rng_init(&b, 42, "net");
    rng_init(&c, 42, "disk");
    int same_ac = 0;
    for (int i = 0; i < 1000; i++) {
        uint64_t x = rng_next(&a);
        CU_ASSERT_EQUAL(x, rng_next(&b));
        same_ac += x == rng_next(&c);
    }
    CU_ASSERT_EQUAL(same_ac, 0);
    struct rng d, e;
    rng_init_indexed(&d, 42, "node/", 1);
    rng_init_indexed(&e, 42, "node/", 2);
    CU_ASSERT_NOT_EQUAL(rng_next(&d), rng_next(&e));
    struct rng f;
    rng_init(&f, 43, "net");
    rng_init(&a, 42, "net");
    CU_ASSERT_NOT_EQUAL(rng_next(&a), rng_next(&f));
}

static void test_rng_below_and_range_stay_in_bounds(void)
{
    struct rng r;
    rng_init(&r, 7, "t");
    int hist[5] = { 0 };
    for (int i = 0; i < 50000; i++) {
        uint64_t x = rng_below(&r, 5);
        CU_ASSERT_FATAL(x < 5);
        hist[x]++;
        int64_t y = rng_range(&r, -3, 3);
        CU_ASSERT(y >= -3 && y <= 3);
    }
    for (int i = 0; i < 5; i++)
        CU_ASSERT(hist[i] > 9000 && hist[i] < 11000);
}

static void test_dist_samples_match_their_shape(void)
{
    struct rng r;
    rng_init(&r, 1, "d");
    struct dist u = { DIST_UNIFORM, 500 * SIM_US, 2 * SIM_MS };
    struct dist n = { DIST_NORMAL, 1 * SIM_MS, 5 * SIM_MS }; /* heavily truncated */
    struct dist e = { DIST_EXPONENTIAL, 1 * SIM_MS, 0 };
    double sum_e = 0;
    for (int i = 0; i < 20000; i++) {
        sim_time x = dist_sample(&u, &r);
        CU_ASSERT(x >= 500 * SIM_US && x <= 2 * SIM_MS);
        CU_ASSERT(dist_sample(&n, &r) >= 0);
        sum_e += (double)dist_sample(&e, &r);
    }
    double mean_e = sum_e / 20000;
    CU_ASSERT(mean_e > 0.95 * SIM_MS && mean_e < 1.05 * SIM_MS);
    struct dist f = dist_fixed(3 * SIM_MS);
    CU_ASSERT_EQUAL(dist_sample(&f, &r), 3 * SIM_MS);
}

/* ---- disk ------------------------------------------------------------------------------ */

static void test_disk_power_loss_keeps_only_synced(void)
{
    struct disk *d = disk_new();
    for (int64_t v = 1; v <= 3; v++)
        disk_log_append(d, 0, &v, sizeof v);
    struct disk_sync_ticket t = disk_sync_begin(d, 0);
    int64_t v4 = 4;
    disk_log_append(d, 0, &v4, sizeof v4); /* written after the fsync was issued */
    disk_sync_complete(d, &t);
    CU_ASSERT_EQUAL(disk_log_durable_len(d, 0), 3);
    CU_ASSERT_EQUAL(disk_log_len(d, 0), 4);
    int64_t e = 7;
    disk_blob_put(d, 1, &e, sizeof e);
    disk_power_loss(d);
    CU_ASSERT_EQUAL(disk_log_len(d, 0), 3);
    size_t size;
    CU_ASSERT_PTR_NULL(disk_blob_get(d, 1, &size)); /* never synced */
    disk_free(d);
}

static void test_disk_sync_voided_by_power_loss_and_truncation(void)
{
    struct disk *d = disk_new();
    int64_t v = 1;
    disk_log_append(d, 0, &v, sizeof v);
    struct disk_sync_ticket t = disk_sync_begin(d, 0);
    disk_power_loss(d);
    disk_sync_complete(d, &t); /* issued before the power loss: covers nothing now */
    CU_ASSERT_EQUAL(disk_log_len(d, 0), 0);
    for (v = 1; v <= 4; v++)
        disk_log_append(d, 0, &v, sizeof v);
    t = disk_sync_begin(d, 0);
    disk_log_truncate(d, 0, 2);
    disk_log_append(d, 0, &v, sizeof v);
    disk_sync_complete(d, &t); /* truncated since: does not vouch for the new record */
    CU_ASSERT_EQUAL(disk_log_durable_len(d, 0), 0);
    t = disk_sync_begin(d, 0);
    disk_sync_complete(d, &t);
    CU_ASSERT_EQUAL(disk_log_durable_len(d, 0), 3);
    CU_ASSERT_EQUAL(*(const int64_t *)disk_log_record(d, 0, 2), 5);
    disk_free(d);
}

/* ---- network and faults ---------------------------------------------------------------- */

struct world {
    struct sim *s;
    uint32_t m[3];
    uint32_t n[3];
};

/* startup and teardown (either NULL) go to sim_model_lifetime for the probes' model. */
static void world_init_full(struct world *w, uint64_t seed, struct dist latency,
                            struct dist jitter, const struct dist *startup,
                            const struct dist *teardown)
{
    struct sim_config cfg = { .seed = seed, .latency = latency, .jitter = jitter,
                              .fsync = dist_fixed(2 * SIM_MS), .loopback_ns = 10 * SIM_US };
    w->s = sim_new(&cfg, NULL);
    for (int i = 0; i < 3; i++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%d", i + 1);
        w->m[i] = sim_add_machine(w->s, name, true, (int32_t)i);
        struct sim_node_spec spec = { .name = name, .ops = &probe_ops,
                                      .ports = { PROBE_PORT } };
        w->n[i] = sim_add_node(w->s, w->m[i], &spec);
    }
    sim_model_lifetime(w->s, 0, startup, teardown);
    sim_start(w->s);
}

static void world_init_life(struct world *w, uint64_t seed, struct dist latency,
                            const struct dist *startup, const struct dist *teardown)
{
    world_init_full(w, seed, latency, dist_fixed(0), startup, teardown);
}

static void world_init(struct world *w, uint64_t seed, struct dist latency)
{
    world_init_life(w, seed, latency, NULL, NULL);
}

/* Dials from node a to machine b and runs until both ends know; returns the conn id. */
static conn_id world_connect(struct world *w, int a, int b)
{
    probe_do(w->s, w->n[a], (struct probe_cmd){ .kind = PROBE_DIAL, .machine = w->m[b],
                                                .port = PROBE_PORT, .token = 99 });
    sim_run_until(w->s, sim_now(w->s) + SIM_S);
    const struct probe_state *p = probe_state(w->s, w->n[a]);
    int i = probe_find(p, PROTO_IN_CONN_UP, probe_count(p, PROTO_IN_CONN_UP) - 1);
    CU_ASSERT_FATAL(i >= 0);
    return g_array_index(p->events, struct probe_event, i).conn;
}

static void send_values(struct world *w, int from, conn_id c, int64_t first, int count)
{
    for (int64_t v = first; v < first + count; v++)
        probe_do(w->s, w->n[from], (struct probe_cmd){ .kind = PROBE_SEND, .conn = c, .value = v });
}

static GArray *received_values(struct world *w, int node)
{
    GArray *out = g_array_new(FALSE, FALSE, sizeof(int64_t));
    const struct probe_state *p = probe_state(w->s, w->n[node]);
    for (guint i = 0; i < p->events->len; i++) {
        const struct probe_event *e = &g_array_index(p->events, struct probe_event, i);
        if (e->kind == PROTO_IN_MSG)
            g_array_append_val(out, e->value);
    }
    return out;
}

static void test_net_fifo_per_connection_under_random_latency(void)
{
    struct world w;
    world_init(&w, 3, (struct dist){ DIST_EXPONENTIAL, 5 * SIM_MS, 0 });
    conn_id c = world_connect(&w, 0, 1);
    for (int burst = 0; burst < 50; burst++) {
        send_values(&w, 0, c, burst * 20, 20);
        sim_run_until(w.s, sim_now(w.s) + SIM_US * (sim_time)(burst % 7));
    }
    sim_run_until(w.s, sim_now(w.s) + 10 * SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 1000);
    for (guint i = 0; i < got->len; i++)
        CU_ASSERT_EQUAL(g_array_index(got, int64_t, i), (int64_t)i);
    g_array_free(got, TRUE);
    sim_free(w.s);
}

/* Send-time jitter changes when messages arrive, never their order on one connection; two
 * connections' messages interleave differently with it. */
static void test_net_jitter_keeps_each_connection_fifo(void)
{
    struct world w;
    world_init_full(&w, 3, dist_fixed(100 * SIM_US),
                    (struct dist){ DIST_EXPONENTIAL, 100 * SIM_US, 0 }, NULL, NULL);
    conn_id c = world_connect(&w, 0, 1);
    conn_id c2 = world_connect(&w, 2, 1);
    for (int i = 0; i < 500; i++) {
        send_values(&w, 0, c, i, 1);
        send_values(&w, 2, c2, 10000 + i, 1);
        sim_run_until(w.s, sim_now(w.s) + 20 * SIM_US);
    }
    sim_run_until(w.s, sim_now(w.s) + 10 * SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 1000);
    int64_t next[2] = { 0, 10000 };
    guint at[2][500];
    for (guint i = 0; i < got->len; i++) {
        int64_t v = g_array_index(got, int64_t, i);
        int from = v >= 10000;
        CU_ASSERT_FATAL(v == next[from]);
        at[from][v - (from ? 10000 : 0)] = i;
        next[from] = v + 1;
    }
    /* Of each pair sent at the same instant, sometimes one arrives first, sometimes the
     * other. */
    int first[2] = { 0, 0 };
    for (int i = 0; i < 500; i++)
        first[at[1][i] < at[0][i]]++;
    CU_ASSERT(first[0] > 0 && first[1] > 0);
    g_array_free(got, TRUE);
    sim_free(w.s);
}

/* Per-message processing: messages that arrive together at one node are handled one after
 * the other, a processing time apart, from both connections in arrival order, and a close
 * waits behind the messages that arrived before it. */
static void test_net_processing_serialises_a_node(void)
{
    struct world w;
    struct sim_config cfg = { .seed = 5, .latency = dist_fixed(100 * SIM_US),
                              .jitter = dist_fixed(0), .fsync = dist_fixed(2 * SIM_MS),
                              .loopback_ns = 10 * SIM_US };
    w.s = sim_new(&cfg, NULL);
    for (int i = 0; i < 3; i++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%d", i + 1);
        w.m[i] = sim_add_machine(w.s, name, true, (int32_t)i);
        struct sim_node_spec spec = { .name = name, .ops = &probe_ops, .ports = { PROBE_PORT } };
        w.n[i] = sim_add_node(w.s, w.m[i], &spec);
    }
    struct dist cost = dist_fixed(1 * SIM_MS);
    sim_model_processing(w.s, 0, &cost);
    sim_start(w.s);
    conn_id c = world_connect(&w, 0, 1);
    conn_id c2 = world_connect(&w, 2, 1);
    sim_time sent = sim_now(w.s);
    send_values(&w, 0, c, 0, 5);
    send_values(&w, 2, c2, 100, 5);
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_CLOSE, .conn = c });
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[1]);
    sim_time last = -1;
    int msgs = 0;
    sim_time down_at = -1, last_of_c = -1;
    for (guint i = 0; i < p->events->len; i++) {
        const struct probe_event *e = &g_array_index(p->events, struct probe_event, i);
        if (e->kind == PROTO_IN_MSG && e->t >= sent && e->value < 100)
            last_of_c = e->t;
        if (e->kind == PROTO_IN_MSG && e->t >= sent) {
            if (last >= 0)
                CU_ASSERT(e->t - last >= 1 * SIM_MS); /* one at a time */
            last = e->t;
            msgs++;
        }
        if (e->kind == PROTO_IN_CONN_DOWN && e->conn == c)
            down_at = e->t;
    }
    CU_ASSERT_EQUAL(msgs, 10);
    /* Ten messages arrived within 0.1 ms and took 1 ms each. */
    CU_ASSERT(last - sent >= 10 * SIM_MS);
    /* The close came after c's five messages on the wire, and is seen after them. */
    CU_ASSERT(down_at > 0 && down_at >= last_of_c);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 10);
    g_array_free(got, TRUE);
    sim_free(w.s);
}

/* The time of node's k-th event of kind, or -1. */
static sim_time event_time(struct world *w, int node, int kind, int k)
{
    const struct probe_state *p = probe_state(w->s, w->n[node]);
    int i = probe_find(p, kind, k);
    return i < 0 ? -1 : g_array_index(p->events, struct probe_event, i).t;
}

/* A partition loses nothing by itself: what was on the wire and what is sent during it
 * waits, and arrives in order after the sender's next retransmission once the path is back
 * (200 ms doubling: 0.2, 0.6, 1.4, 3.0 s after the first segment waited). A dial across
 * the cut connects at its next SYN retransmission (1, 3, 7 s after the dial) after it. */
static void test_net_partition_holds_and_heal_delivers_at_retransmission(void)
{
    struct world w;
    world_init(&w, 4, dist_fixed(10 * SIM_MS));
    conn_id c = world_connect(&w, 0, 1);
    send_values(&w, 0, c, 0, 5);
    sim_run_until(w.s, sim_now(w.s) + 5 * SIM_MS); /* in flight: 10 ms latency */
    int groups[3] = { 0, 1, 1 };
    sim_set_groups(w.s, groups);
    sim_time first_held = sim_now(w.s); /* values 5..7 wait from here; 0..4 join them */
    send_values(&w, 0, c, 5, 3);         /* sent into the cut */
    send_values(&w, 1, c, 100, 2);                    /* and the other way */
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 0);
    g_array_free(got, TRUE);
    /* Nobody is told: a partition is silence. */
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_DOWN), 0);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 0);
    /* A new connection cannot form across the cut while it lasts. */
    sim_time dialled = sim_now(w.s);
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_DIAL, .machine = w.m[2],
                                              .port = PROBE_PORT, .token = 7 });
    sim_run_until(w.s, sim_now(w.s) + 500 * SIM_MS);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_UP), 1);
    /* Heal 1.5 s after the cut: everything arrives, in order, at the retransmission 3.0 s
     * after the first segment waited, plus the latency; the connection was never broken. */
    int healed[3] = { 0, 0, 0 };
    sim_set_groups(w.s, healed);
    sim_time heal = sim_now(w.s);
    CU_ASSERT(heal > first_held + 1400 * SIM_MS && heal < first_held + 3000 * SIM_MS);
    sim_run_until(w.s, sim_now(w.s) + 4 * SIM_S);
    got = received_values(&w, 1);
    CU_ASSERT_EQUAL_FATAL(got->len, 8);
    for (guint k = 0; k < got->len; k++)
        CU_ASSERT_EQUAL(g_array_index(got, int64_t, k), (int64_t)k);
    g_array_free(got, TRUE);
    CU_ASSERT_EQUAL(event_time(&w, 1, PROTO_IN_MSG, 0), first_held + 3000 * SIM_MS + 10 * SIM_MS);
    got = received_values(&w, 0);
    CU_ASSERT_EQUAL(got->len, 2);
    g_array_free(got, TRUE);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_DOWN), 0);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 0);
    /* The SYN sent into the cut went again 1 s after the dial, after the heal: it got
     * through, then the SYN-ACK. */
    CU_ASSERT(heal > dialled && heal < dialled + SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_UP), 2);
    CU_ASSERT_EQUAL(event_time(&w, 0, PROTO_IN_CONN_UP, 1), dialled + SIM_S + 20 * SIM_MS);
    sim_free(w.s);
}

/* h1 connected to h2, then cut off from h2 and h3 (10 ms links); returns the connection. */
static conn_id connect_then_cut_h1(struct world *w, uint64_t seed)
{
    world_init(w, seed, dist_fixed(10 * SIM_MS));
    conn_id c = world_connect(w, 0, 1);
    int groups[3] = { 0, 1, 1 };
    sim_set_groups(w->s, groups);
    return c;
}

static void heal_all(struct world *w)
{
    int healed[3] = { 0, 0, 0 };
    sim_set_groups(w->s, healed);
}

/* An end that closes during the cut (its own timeout) sends its FIN after its data; what
 * the other end sent into the cut arrives at a closed socket and is lost. */
static void test_net_close_during_partition_arrives_after_heal(void)
{
    struct world w;
    conn_id c = connect_then_cut_h1(&w, 8);
    send_values(&w, 0, c, 0, 2);
    send_values(&w, 1, c, 100, 2);
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_CLOSE, .conn = c });
    sim_run_until(w.s, sim_now(w.s) + 2 * SIM_S);
    heal_all(&w);
    sim_run_until(w.s, sim_now(w.s) + 5 * SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 2);
    g_array_free(got, TRUE);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 1);
    CU_ASSERT(event_time(&w, 1, PROTO_IN_CONN_DOWN, 0) >= event_time(&w, 1, PROTO_IN_MSG, 1));
    got = received_values(&w, 0);
    CU_ASSERT_EQUAL(got->len, 0); /* node 0 had closed */
    g_array_free(got, TRUE);
    sim_free(w.s);
}

/* A cut that outlasts tcp_retries2 (924.6 s of retransmissions) resets the sender's end and
 * loses what it held; the silent end, with nothing to send, is told nothing until it sends
 * after the heal: the stack that gave up answers with a reset. */
static void test_net_partition_longer_than_retries_resets_sender(void)
{
    struct world w;
    conn_id c = connect_then_cut_h1(&w, 9);
    sim_time cut = sim_now(w.s);
    send_values(&w, 0, c, 0, 3);
    sim_run_until(w.s, cut + 924 * SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_DOWN), 0);
    sim_run_until(w.s, cut + 926 * SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[0]), PROTO_IN_CONN_DOWN), 1);
    CU_ASSERT_EQUAL(event_time(&w, 0, PROTO_IN_CONN_DOWN, 0), cut + 924600 * SIM_MS);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 0);
    heal_all(&w);
    sim_run_until(w.s, sim_now(w.s) + 10 * SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 0);
    g_array_free(got, TRUE);
    send_values(&w, 1, c, 100, 1);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 1);
    got = received_values(&w, 0);
    CU_ASSERT_EQUAL(got->len, 0);
    g_array_free(got, TRUE);
    sim_free(w.s);
}

/* A cut shorter than the latency still keeps a connection in order: what was on the wire
 * when it came (one segment due during the cut, one after it) comes off it, and both
 * arrive, in order, after the first retransmission (200 ms after the cut). */
static void test_net_cut_shorter_than_latency_keeps_order(void)
{
    struct world w;
    world_init(&w, 10, dist_fixed(10 * SIM_MS));
    conn_id c = world_connect(&w, 0, 1);
    sim_time t0 = sim_now(w.s);
    send_values(&w, 0, c, 0, 1);
    sim_run_until(w.s, t0 + 3 * SIM_MS);
    send_values(&w, 0, c, 1, 1);
    sim_run_until(w.s, t0 + 8 * SIM_MS);
    int groups[3] = { 0, 1, 1 };
    sim_set_groups(w.s, groups); /* value 0 due at 10 ms, value 1 at 13 ms */
    sim_time cut = sim_now(w.s);
    sim_run_until(w.s, t0 + 11 * SIM_MS);
    heal_all(&w);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL_FATAL(got->len, 2);
    CU_ASSERT_EQUAL(g_array_index(got, int64_t, 0), 0);
    CU_ASSERT_EQUAL(g_array_index(got, int64_t, 1), 1);
    g_array_free(got, TRUE);
    CU_ASSERT_EQUAL(event_time(&w, 1, PROTO_IN_MSG, 0), cut + 200 * SIM_MS + 10 * SIM_MS);
    sim_free(w.s);
}

/* What a machine's stack held for a cut path is lost when the machine loses power, even
 * after its process closed the connection: neither the data nor the FIN arrives, and the
 * peer learns of it only when it sends (a reset from the stack that forgot it). */
static void test_net_power_off_loses_what_a_closed_end_held(void)
{
    struct world w;
    conn_id c = connect_then_cut_h1(&w, 11);
    send_values(&w, 0, c, 0, 2);
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_CLOSE, .conn = c });
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    sim_power_off(w.s, w.m[0]);
    heal_all(&w);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    sim_restart(w.s, w.m[0]);
    sim_run_until(w.s, sim_now(w.s) + 10 * SIM_S);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 0);
    g_array_free(got, TRUE);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 0);
    send_values(&w, 1, c, 100, 1);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_CONN_DOWN), 1);
    sim_free(w.s);
}

static void test_crash_resets_peers_after_data_already_sent(void)
{
    struct world w;
    world_init(&w, 5, dist_fixed(10 * SIM_MS));
    conn_id c = world_connect(&w, 0, 1);
    send_values(&w, 1, c, 0, 3); /* from node 1 towards node 0 */
    sim_crash(w.s, w.m[1]);      /* bytes are in the OS: they still arrive, then the reset */
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    GArray *got = received_values(&w, 0);
    CU_ASSERT_EQUAL(got->len, 3);
    g_array_free(got, TRUE);
    int down = probe_find(p, PROTO_IN_CONN_DOWN, 0);
    CU_ASSERT_FATAL(down >= 0);
    CU_ASSERT_TRUE(g_array_index(p->events, struct probe_event, down).reset);
    CU_ASSERT(down > probe_find(p, PROTO_IN_MSG, 2));
    /* Dialling the dead process is refused. */
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_DIAL, .machine = w.m[1],
                                              .port = PROBE_PORT, .token = 5 });
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_FAILED), 1);
    sim_free(w.s);
}

/* A killed process's sockets close when its teardown is over: the reset reaches the peer
 * that much later than the latency alone. A power-off still resets nothing. */
static void test_crash_reset_waits_for_process_teardown(void)
{
    struct dist teardown = dist_fixed(100 * SIM_MS);
    struct world w;
    world_init_life(&w, 5, dist_fixed(10 * SIM_MS), NULL, &teardown);
    conn_id c = world_connect(&w, 0, 1);
    conn_id c2 = world_connect(&w, 0, 2);
    sim_time crashed = sim_now(w.s);
    sim_crash(w.s, w.m[1]);
    sim_power_off(w.s, w.m[2]);
    sim_run_until(w.s, crashed + 109 * SIM_MS);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_DOWN), 0);
    sim_run_until(w.s, crashed + 10 * SIM_S);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_DOWN), 1); /* c only: c2 is silent */
    const struct probe_event *down =
        &g_array_index(p->events, struct probe_event, probe_find(p, PROTO_IN_CONN_DOWN, 0));
    CU_ASSERT_EQUAL(down->conn, c);
    CU_ASSERT_TRUE(down->reset);
    CU_ASSERT_EQUAL(down->t, crashed + 110 * SIM_MS);
    CU_ASSERT_NOT_EQUAL(c, c2);
    sim_free(w.s);
}

/* After a restart the processes start only after their start-up: until then their ports
 * refuse dials and they have no state. */
static void test_restart_waits_for_process_startup(void)
{
    struct dist startup = dist_fixed(500 * SIM_MS);
    struct world w;
    world_init_life(&w, 5, dist_fixed(10 * SIM_MS), &startup, NULL);
    CU_ASSERT_PTR_NOT_NULL(probe_state(w.s, w.n[1])); /* the first start is at once */
    sim_crash(w.s, w.m[1]);
    sim_run_until(w.s, SIM_S);
    sim_restart(w.s, w.m[1]);
    CU_ASSERT_TRUE(sim_machine_up(w.s, w.m[1]));
    CU_ASSERT_PTR_NULL(sim_node_state(w.s, w.n[1]));
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_DIAL, .machine = w.m[1],
                                              .port = PROBE_PORT, .token = 5 });
    sim_run_until(w.s, SIM_S + 499 * SIM_MS);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_FAILED), 1);
    CU_ASSERT_PTR_NULL(sim_node_state(w.s, w.n[1]));
    sim_run_until(w.s, SIM_S + 500 * SIM_MS);
    CU_ASSERT_PTR_NOT_NULL(sim_node_state(w.s, w.n[1]));
    int ups = probe_count(p, PROTO_IN_CONN_UP);
    world_connect(&w, 0, 1);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_UP), ups + 1);
    sim_free(w.s);
}

static void test_unanswered_dial_fails_after_syn_retries(void)
{
    struct world w;
    world_init(&w, 12, dist_fixed(SIM_MS));
    int groups[3] = { 0, 1, 0 };
    sim_set_groups(w.s, groups);
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_DIAL, .machine = w.m[1],
                                              .port = PROBE_PORT, .token = 4 });
    sim_run_until(w.s, 126 * SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_FAILED), 0); /* silence, for a long time */
    sim_run_until(w.s, 128 * SIM_S);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_FAILED), 1);
    CU_ASSERT_EQUAL(g_array_index(p->events, struct probe_event,
                                  probe_find(p, PROTO_IN_CONN_FAILED, 0)).token, 4);
    sim_free(w.s);
}

static void test_power_off_is_silent_and_loses_sender_buffers(void)
{
    struct world w;
    world_init(&w, 6, dist_fixed(10 * SIM_MS));
    conn_id c = world_connect(&w, 0, 1);
    send_values(&w, 1, c, 0, 3);
    sim_power_off(w.s, w.m[1]);
    sim_run_until(w.s, sim_now(w.s) + 10 * SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_MSG), 0);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_DOWN), 0);
    /* When the machine comes back, its kernel answers the stale connection with a reset. */
    sim_restart(w.s, w.m[1]);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_CONN_DOWN), 1);
    sim_free(w.s);
}

static void test_power_off_loses_unsynced_crash_keeps_both(void)
{
    struct world w;
    world_init(&w, 7, dist_fixed(SIM_MS));
    for (int round = 0; round < 2; round++) {
        bool power = round == 1;
        uint32_t m = w.m[round];
        uint32_t n = w.n[round];
        for (int64_t v = 1; v <= 3; v++)
            probe_do(w.s, n, (struct probe_cmd){ .kind = PROBE_APPEND, .value = v });
        probe_do(w.s, n, (struct probe_cmd){ .kind = PROBE_SYNC, .token = 1 });
        sim_run_until(w.s, sim_now(w.s) + SIM_S);
        CU_ASSERT_EQUAL(probe_count(probe_state(w.s, n), PROTO_IN_DISK_DONE), 1);
        probe_do(w.s, n, (struct probe_cmd){ .kind = PROBE_APPEND, .value = 4 });
        probe_do(w.s, n, (struct probe_cmd){ .kind = PROBE_EPOCH, .value = 9 });
        if (power)
            sim_power_off(w.s, m);
        else
            sim_crash(w.s, m);
        sim_restart(w.s, m);
        const struct probe_state *p = probe_state(w.s, n);
        CU_ASSERT_EQUAL(p->recovered, power ? 3 : 4);
        CU_ASSERT_EQUAL(p->recovered_epoch, power ? -1 : 9);
        CU_ASSERT_EQUAL(sim_machine_incarnation(w.s, m), 2);
    }
    sim_free(w.s);
}

static void test_fsync_in_flight_at_power_off_does_not_count(void)
{
    struct world w;
    world_init(&w, 8, dist_fixed(SIM_MS));
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_APPEND, .value = 1 });
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_SYNC, .token = 1 });
    sim_run_until(w.s, sim_now(w.s) + SIM_MS / 2); /* fsync takes 2 ms */
    sim_power_off(w.s, w.m[0]);
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    sim_restart(w.s, w.m[0]);
    CU_ASSERT_EQUAL(probe_state(w.s, w.n[0])->recovered, 0);
    sim_free(w.s);
}

static void test_pause_delays_everything_and_loses_nothing(void)
{
    struct world w;
    world_init(&w, 9, (struct dist){ DIST_UNIFORM, SIM_MS, 3 * SIM_MS });
    conn_id c = world_connect(&w, 0, 1);
    probe_do(w.s, w.n[1], (struct probe_cmd){ .kind = PROBE_TIMER, .token = 3, .delay = SIM_MS });
    sim_time paused_at = sim_now(w.s);
    sim_pause(w.s, w.m[1], 2 * SIM_S);
    send_values(&w, 0, c, 0, 100);
    sim_run_until(w.s, paused_at + SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_MSG), 0);
    sim_run_until(w.s, paused_at + 3 * SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[1]);
    GArray *got = received_values(&w, 1);
    CU_ASSERT_EQUAL(got->len, 100);
    for (guint i = 0; i < got->len; i++)
        CU_ASSERT_EQUAL(g_array_index(got, int64_t, i), (int64_t)i);
    g_array_free(got, TRUE);
    int timer = probe_find(p, PROTO_IN_TIMER, 0);
    CU_ASSERT_FATAL(timer >= 0);
    /* The timer was due during the pause: it fires late, at the resume, in arrival order. */
    CU_ASSERT_EQUAL(g_array_index(p->events, struct probe_event, timer).t, paused_at + 2 * SIM_S);
    CU_ASSERT(timer < probe_find(p, PROTO_IN_MSG, 0));
    sim_free(w.s);
}

static void test_timer_cancel_and_rearm(void)
{
    struct world w;
    world_init(&w, 10, dist_fixed(SIM_MS));
    probe_do(w.s, w.n[0],
             (struct probe_cmd){ .kind = PROBE_TIMER, .token = 1, .delay = 10 * SIM_MS });
    probe_do(w.s, w.n[0],
             (struct probe_cmd){ .kind = PROBE_TIMER, .token = 2, .delay = 10 * SIM_MS });
    probe_do(w.s, w.n[0], (struct probe_cmd){ .kind = PROBE_CANCEL, .token = 1 });
    probe_do(w.s, w.n[0],
             (struct probe_cmd){ .kind = PROBE_TIMER, .token = 2, .delay = 30 * SIM_MS });
    sim_run_until(w.s, SIM_S);
    const struct probe_state *p = probe_state(w.s, w.n[0]);
    CU_ASSERT_EQUAL(probe_count(p, PROTO_IN_TIMER), 1);
    int i = probe_find(p, PROTO_IN_TIMER, 0);
    CU_ASSERT_EQUAL(g_array_index(p->events, struct probe_event, i).token, 2);
    CU_ASSERT_EQUAL(g_array_index(p->events, struct probe_event, i).t, 30 * SIM_MS);
    /* A crash takes pending timers with it. */
    probe_do(w.s, w.n[1],
             (struct probe_cmd){ .kind = PROBE_TIMER, .token = 1, .delay = 10 * SIM_MS });
    sim_crash(w.s, w.m[1]);
    sim_restart(w.s, w.m[1]);
    sim_run_until(w.s, 2 * SIM_S);
    CU_ASSERT_EQUAL(probe_count(probe_state(w.s, w.n[1]), PROTO_IN_TIMER), 0);
    sim_free(w.s);
}

/* ---- determinism ------------------------------------------------------------------------ */

static uint64_t chaotic_run(uint64_t seed)
{
    struct world w;
    world_init(&w, seed, (struct dist){ DIST_NORMAL, 2 * SIM_MS, SIM_MS });
    conn_id c01 = world_connect(&w, 0, 1);
    conn_id c12 = world_connect(&w, 1, 2);
    for (int i = 0; i < 200; i++) {
        send_values(&w, 0, c01, i, 1);
        send_values(&w, 2, c12, i, 1);
        probe_do(w.s, w.n[1], (struct probe_cmd){ .kind = PROBE_APPEND, .value = i });
        if (i % 10 == 0)
            probe_do(w.s, w.n[1], (struct probe_cmd){ .kind = PROBE_SYNC, .token = (uint64_t)i });
        sim_run_until(w.s, sim_now(w.s) + SIM_MS / 2);
        if (i == 100)
            sim_pause(w.s, w.m[2], 5 * SIM_MS);
    }
    sim_run_until(w.s, sim_now(w.s) + SIM_S);
    uint64_t digest = sim_digest(w.s);
    const struct probe_state *p = probe_state(w.s, w.n[1]);
    for (guint i = 0; i < p->events->len; i++) {
        const struct probe_event *e = &g_array_index(p->events, struct probe_event, i);
        digest = digest * 31 + (uint64_t)e->t * 7 + (uint64_t)e->value + e->kind;
    }
    sim_free(w.s);
    return digest;
}

static void test_same_seed_same_trace_other_seed_differs(void)
{
    uint64_t a = chaotic_run(11), b = chaotic_run(11), c = chaotic_run(12);
    CU_ASSERT_EQUAL(a, b);
    CU_ASSERT_NOT_EQUAL(a, c);
}

void test_register(void)
{
    TEST_SUITE("evq", TEST(test_evq_orders_by_time_then_insertion),
               TEST(test_evq_cancel_removes_only_that_event),
               TEST(test_evq_memory_follows_events_in_flight));
    TEST_SUITE("rng", TEST(test_rng_streams_are_reproducible_and_independent),
               TEST(test_rng_below_and_range_stay_in_bounds),
               TEST(test_dist_samples_match_their_shape));
    TEST_SUITE("disk", TEST(test_disk_power_loss_keeps_only_synced),
               TEST(test_disk_sync_voided_by_power_loss_and_truncation));
    TEST_SUITE("net", TEST(test_net_fifo_per_connection_under_random_latency),
               TEST(test_net_processing_serialises_a_node), TEST(test_net_jitter_keeps_each_connection_fifo),
               TEST(test_net_partition_holds_and_heal_delivers_at_retransmission),
               TEST(test_net_close_during_partition_arrives_after_heal),
               TEST(test_net_partition_longer_than_retries_resets_sender),
               TEST(test_net_cut_shorter_than_latency_keeps_order),
               TEST(test_net_power_off_loses_what_a_closed_end_held),
               TEST(test_crash_resets_peers_after_data_already_sent),
               TEST(test_crash_reset_waits_for_process_teardown),
               TEST(test_restart_waits_for_process_startup),
               TEST(test_unanswered_dial_fails_after_syn_retries),
               TEST(test_power_off_is_silent_and_loses_sender_buffers));
    TEST_SUITE("faults", TEST(test_power_off_loses_unsynced_crash_keeps_both),
               TEST(test_fsync_in_flight_at_power_off_does_not_count),
               TEST(test_pause_delays_everything_and_loses_nothing),
               TEST(test_timer_cancel_and_rearm));
    TEST_SUITE("determinism", TEST(test_same_seed_same_trace_other_seed_differs));
}
