/* test_zab_client.c: the ZooKeeper client's reconnect timers, Java's (the default) against the
 * C library's (zab.client: c). After the leader's host is killed, every client loses its
 * connection (followers close their clients' connections when they stop serving); the C
 * client dials the next server at once, the Java client after a random 0-1 s (the CONNECT
 * goes out one TCP handshake after the dial). */
#include "harness.h"

#include "world/model.h"
#include "world/scenario.h"
#include "world/world.h"

#include <string.h>

#define N_CLIENTS 3

struct dials {
    sim_time down_ns[N_CLIENTS + 1];  /* first connection loss of each client after 3 s */
    sim_time redial_ns[N_CLIENTS + 1]; /* its first CONNECT sent after that */
    sim_time up_ns[N_CLIENTS + 1];    /* connected again */
    sim_time last_connect_ns[N_CLIENTS + 1];
    sim_time longest_wait_ns[N_CLIENTS + 1]; /* between two CONNECTs while disconnected */
};

static void capture(void *ctx, const struct trace_rec *r)
{
    struct dials *d = ctx;
    if (r->kind == TRACE_CLIENT && !r->u.client.up && r->t_ns >= 3 * SIM_S &&
        r->u.client.client <= N_CLIENTS && d->down_ns[r->u.client.client] < 0)
        d->down_ns[r->u.client.client] = r->t_ns;
    if (r->kind == TRACE_CLIENT && r->u.client.up && r->u.client.client <= N_CLIENTS &&
        d->down_ns[r->u.client.client] >= 0 && d->up_ns[r->u.client.client] < 0)
        d->up_ns[r->u.client.client] = r->t_ns;
    if (r->kind == TRACE_MESSAGE && strcmp(r->u.message.type, "CONNECT") == 0) {
        unsigned client;
        if (sscanf(r->u.message.src, "c%u/zk", &client) != 1 || client == 0 ||
            client > N_CLIENTS)
            return;
        if (d->down_ns[client] >= 0 && d->redial_ns[client] < 0 &&
            r->u.message.sent_ns >= d->down_ns[client])
            d->redial_ns[client] = r->u.message.sent_ns;
        if (d->down_ns[client] >= 0 && d->up_ns[client] < 0) {
            sim_time from = MAX(d->last_connect_ns[client], d->down_ns[client]);
            d->longest_wait_ns[client] =
                MAX(d->longest_wait_ns[client], r->u.message.sent_ns - from);
            d->last_connect_ns[client] = r->u.message.sent_ns;
        }
    }
}

static void run(const char *library, struct dials *d)
{
    char *yaml = g_strdup_printf("name: client_timers\ndescription: client timers\nduration: 8s\nhosts: 3\n"
                                 "zab: {client: %s}\n"
                                 "workload: {clients: %d, rate: 100/s}\n"
                                 "faults:\n  - {at: 3s, crash: leader}\n",
                                 library, N_CLIENTS);
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    for (int c = 0; c <= N_CLIENTS; c++) {
        d->down_ns[c] = d->redial_ns[c] = d->up_ns[c] = -1;
        d->last_connect_ns[c] = d->longest_wait_ns[c] = 0;
    }
    struct recorder rec = { .record = capture, .ctx = d };
    struct world *w = world_new(sc, 7, 1u << model_find("zab"), true, &rec);
    world_run(w);
    world_free(w);
    scenario_free(sc);
    g_free(yaml);
}

static void test_c_client_redials_at_once(void)
{
    struct dials d;
    run("c", &d);
    for (int c = 1; c <= N_CLIENTS; c++) {
        CU_ASSERT(d.down_ns[c] >= 0);
        CU_ASSERT(d.redial_ns[c] >= 0);
        /* At once: the CONNECT leaves one TCP handshake (a few ms here) after the loss. */
        CU_ASSERT(d.redial_ns[c] - d.down_ns[c] < 20 * SIM_MS);
    }
}

/* While no server serves, each C-client attempt fails at once and a failed pass would wait
 * 30 s / 60 = 500 ms; but every write the application makes (here every 10 ms) wakes the
 * I/O thread, which connects at once: attempts never pause longer than about a write's
 * interval plus a handshake, and a real C client under load fails its writes the whole way
 * through a failover (docs/fidelity.md). */
static void test_c_client_request_cuts_the_pass_delay_short(void)
{
    struct dials d;
    run("c", &d);
    for (int c = 1; c <= N_CLIENTS; c++) {
        CU_ASSERT(d.up_ns[c] > d.down_ns[c]);
        CU_ASSERT(d.longest_wait_ns[c] > 0);
        CU_ASSERT(d.longest_wait_ns[c] < 40 * SIM_MS);
    }
}

static void test_java_client_waits_a_random_second(void)
{
    struct dials d;
    run("java", &d);
    sim_time longest = 0;
    for (int c = 1; c <= N_CLIENTS; c++) {
        CU_ASSERT(d.down_ns[c] >= 0);
        CU_ASSERT(d.redial_ns[c] >= 0);
        longest = MAX(longest, d.redial_ns[c] - d.down_ns[c]);
    }
    /* Three draws of 0-1 s all below 50 ms: about one chance in ten thousand. */
    CU_ASSERT(longest > 50 * SIM_MS);
}

static void test_client_library_key_is_checked(void)
{
    const char *yaml = "name: t\nzab: {client: python}\n";
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    CU_ASSERT_PTR_NULL(sc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    CU_ASSERT(strstr(err->message, "zab.client: 'python' is not java or c") != NULL);
    g_clear_error(&err);
}

void test_register(void)
{
    TEST_SUITE("zab client timers", TEST(test_c_client_redials_at_once),
               TEST(test_c_client_request_cuts_the_pass_delay_short),
               TEST(test_java_client_waits_a_random_second),
               TEST(test_client_library_key_is_checked));
}
