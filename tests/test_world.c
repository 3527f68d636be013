/* test_world.c: whole runs assembled from scenario text (both models, one fault schedule):
 * what the comparison exists for (two publishers' messages arrive in different orders at
 * different pub/sub subscribers, in one order everywhere under ZAB), that a run is a pure
 * function of scenario and seed (and that the determinism check sees where two runs part),
 * that symbolic fault targets resolve from the state, that faults on client machines stop,
 * cut and kill those clients alone, and that faults triggered by protocol events fire at
 * those events. */
#include "protocol/zab/zab.h"
#include "world/determinism.h"
#include "world/verdict.h"
#include "world/scenario.h"
#include "world/world.h"
#include "tests/harness.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#define HOSTS 5

#define ZAB ((model_id)model_find("zab"))
#define PUBSUB ((model_id)model_find("pubsub"))

struct capture {
    GArray *order[MODELS_MAX][HOSTS]; /* msg_id_t by delivery, last incarnation only */
    uint64_t digest;
    uint64_t model_digest[MODELS_MAX]; /* over each model's records only */
    GString *faults;
};

static void capture_record(void *ctx, const struct trace_rec *r)
{
    struct capture *c = ctx;
    c->digest = trace_rec_digest(r, c->digest);
    if (r->model < MODELS_MAX)
        c->model_digest[r->model] = trace_rec_digest(r, c->model_digest[r->model]);
    if (r->kind == TRACE_DELIVERY && r->host < HOSTS && !r->u.delivery.replayed)
        g_array_append_val(c->order[r->model][r->host], r->u.delivery.msg_id);
    if (r->kind == TRACE_FAULT)
        g_string_append_printf(c->faults, "%s %s;", fault_kind_name(r->u.fault.kind),
                               r->u.fault.target);
}

static struct scenario *parse(const char *yaml)
{
    GError *err = NULL;
    struct scenario *sc = scenario_parse("test.yaml", yaml, strlen(yaml), &err);
    if (!sc)
        fprintf(stderr, "%s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    return sc;
}

static void run_models(const struct scenario *sc, uint64_t seed, unsigned models,
                       struct capture *c)
{
    memset(c, 0, sizeof *c);
    for (int m = 0; m < MODELS_MAX; m++)
        for (int h = 0; h < HOSTS; h++)
            c->order[m][h] = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
    c->faults = g_string_new(NULL);
    struct recorder rec = { capture_record, c };
    struct world *w = world_new(sc, seed, models, false, &rec);
    world_run(w);
    world_free(w);
}

static void run(const struct scenario *sc, uint64_t seed, struct capture *c)
{
    run_models(sc, seed, model_all(), c);
}

static void capture_free(struct capture *c)
{
    for (int m = 0; m < MODELS_MAX; m++)
        for (int h = 0; h < HOSTS; h++)
            g_array_free(c->order[m][h], TRUE);
    g_string_free(c->faults, TRUE);
}

/* Position of each message in a host's order, for pairwise comparison. */
static GHashTable *positions(GArray *order)
{
    GHashTable *pos = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (guint i = 0; i < order->len; i++)
        g_hash_table_insert(pos, &g_array_index(order, msg_id_t, i), GUINT_TO_POINTER(i + 1));
    return pos;
}

/* Pairs of messages (from different publishers) that two hosts deliver in opposite order. */
static int cross_publisher_inversions(GArray *a, GArray *b)
{
    GHashTable *pb = positions(b);
    int inversions = 0;
    for (guint i = 0; i + 1 < a->len; i++) {
        msg_id_t x = g_array_index(a, msg_id_t, i), y = g_array_index(a, msg_id_t, i + 1);
        guint bx = GPOINTER_TO_UINT(g_hash_table_lookup(pb, &x));
        guint by = GPOINTER_TO_UINT(g_hash_table_lookup(pb, &y));
        if (bx && by && bx > by && msg_id_client(x) != msg_id_client(y))
            inversions++;
    }
    g_hash_table_destroy(pb);
    return inversions;
}

static const char *const two_publishers =
    "name: two_publishers\n"
    "description: two clients on different hosts, a partition in the middle\n"
    "duration: 12s\n"
    "hosts: 5\n"
    "network: {latency: {dist: exponential, mean: 1ms}}\n"
    "workload: {clients: 2, rate: 200/s, start: 1s, stop: 10s, attach: [h1, h5]}\n"
    "faults:\n"
    "  - {at: 4s, partition: [[h1, h2], [h3, h4, h5]]}\n"
    "  - {at: 6s, heal: all}\n";

static void test_pubsub_orders_differ_zab_agrees(void)
{
    struct scenario *sc = parse(two_publishers);
    struct capture c;
    run(sc, 3, &c);
    int pubsub_inversions = 0, zab_inversions = 0;
    for (int a = 0; a < HOSTS; a++) {
        for (int b = 0; b < HOSTS; b++) {
            if (a == b)
                continue;
            pubsub_inversions += cross_publisher_inversions(c.order[PUBSUB][a],
                                                            c.order[PUBSUB][b]);
            zab_inversions += cross_publisher_inversions(c.order[ZAB][a],
                                                         c.order[ZAB][b]);
        }
    }
    /* Same seed, same fault schedule: pub/sub subscribers disagree on the order of the two
     * publishers' messages; ZAB's never do. */
    CU_ASSERT(pubsub_inversions > 0);
    CU_ASSERT_EQUAL(zab_inversions, 0);
    /* And ZAB's hosts hold the very same sequence. */
    for (int h = 1; h < HOSTS; h++) {
        GArray *x = c.order[ZAB][0], *y = c.order[ZAB][h];
        guint n = MIN(x->len, y->len);
        CU_ASSERT(n > 1000);
        CU_ASSERT(memcmp(x->data, y->data, n * sizeof(msg_id_t)) == 0);
    }
    capture_free(&c);
    scenario_free(sc);
}

/* leader_crash's shape on a loopback-like network (fixed 100 us): with no send-time jitter
 * the publishers' random phases decide everything, and on most seeds every subscriber sees
 * one order; a real cluster never does. The default jitter (exponential, mean 100 us)
 * makes their orders differ on most seeds; jitter 0 leaves them as they were. */
static const char *const loopback_crash =
    "name: loopback_crash\n"
    "description: a broker crash on a loopback-like network\n"
    "duration: 6s\n"
    "hosts: 5\n"
    "network: {latency: 100us%s}\n"
    "workload: {clients: 3, rate: 200/s, stop: 5s}\n"
    "faults:\n"
    "  - {at: 2s, crash: h5}\n"
    "  - {at: 4s, restart: h5}\n";

static int seeds_with_pubsub_disagreements(const char *jitter)
{
    char *yaml = g_strdup_printf(loopback_crash, jitter);
    struct scenario *sc = parse(yaml);
    int seeds = 0;
    for (uint64_t seed = 1; seed <= 12; seed++) {
        struct capture c;
        run_models(sc, seed, 1u << PUBSUB, &c);
        int inversions = 0;
        for (int a = 0; a < HOSTS; a++)
            for (int b = a + 1; b < HOSTS; b++)
                inversions += cross_publisher_inversions(c.order[PUBSUB][a],
                                                         c.order[PUBSUB][b]);
        seeds += inversions > 0;
        capture_free(&c);
    }
    scenario_free(sc);
    g_free(yaml);
    return seeds;
}

static void test_send_jitter_makes_subscribers_disagree(void)
{
    int with = seeds_with_pubsub_disagreements("");
    int without = seeds_with_pubsub_disagreements(", jitter: 0");
    printf("\n    seeds of 12 with order disagreements: %d with jitter, %d without", with,
           without);
    CU_ASSERT(with >= 9);
    CU_ASSERT(without <= 3);
}

static void test_same_seed_same_run_other_seed_differs(void)
{
    struct scenario *sc = parse(two_publishers);
    struct capture a, b, d;
    run(sc, 7, &a);
    run(sc, 7, &b);
    run(sc, 8, &d);
    CU_ASSERT_EQUAL(a.digest, b.digest);
    CU_ASSERT_NOT_EQUAL(a.digest, d.digest);
    capture_free(&a);
    capture_free(&b);
    capture_free(&d);
    scenario_free(sc);
}

/* Records a run's digests event by event, as --check-determinism's first run does. */
static struct determinism *recorded(const struct scenario *sc, uint64_t seed)
{
    struct determinism *d = determinism_new();
    struct recorder none = { 0 };
    struct world *w = world_new(sc, seed, model_all(), false, &none);
    sim_set_event_observer(world_sim(w), determinism_record, d);
    world_run(w);
    world_free(w);
    return d;
}

/* The check passes a run against itself and catches one that differs: a "first run" that
 * was the same scenario with one more fault at 2 s, checked against the scenario, parts at
 * the fault's event, not before (seed 8 parts at once: the seed is in the digest), and the
 * report names the event on both sides (index, time, kind, machine). */
static void test_determinism_check_finds_where_two_runs_part(void)
{
    struct scenario *sc = parse(two_publishers);
    char *paused_text = g_strconcat(two_publishers, "  - {at: 2s, pause: h2, for: 100ms}\n", NULL);
    struct scenario *paused = parse(paused_text);
    struct determinism *a = recorded(sc, 7), *b = recorded(sc, 7), *other = recorded(paused, 7);
    struct determinism *seed8 = recorded(sc, 8);
    CU_ASSERT_EQUAL(determinism_first_difference(a, b), -1);
    CU_ASSERT_EQUAL(determinism_first_difference(a, seed8), 0);
    int64_t at = determinism_first_difference(a, other);
    CU_ASSERT(at > 1000); /* two seconds of identical events first */
    GString *report = g_string_new(NULL);
    CU_ASSERT_TRUE(determinism_verify(a, sc, 7, model_all(), false, report));
    CU_ASSERT_PTR_NOT_NULL(strstr(report->str, "the same digest after each"));
    g_string_truncate(report, 0);
    CU_ASSERT_FALSE(determinism_verify(other, sc, 7, model_all(), false, report));
    printf("\n%s", report->str);
    char want[96];
    g_snprintf(want, sizeof want, "part at event %" G_GINT64_FORMAT " (", at);
    CU_ASSERT_PTR_NOT_NULL(strstr(report->str, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(report->str, "first run : t="));
    CU_ASSERT_PTR_NOT_NULL(strstr(report->str, "second run: t="));
    CU_ASSERT_PTR_NULL(strstr(report->str, "had ended"));
    g_string_free(report, TRUE);
    determinism_free(a);
    determinism_free(b);
    determinism_free(other);
    determinism_free(seed8);
    scenario_free(paused);
    g_free(paused_text);
    scenario_free(sc);
}

/* Models share the machines, the faults and the workload, and nothing else: each has its
 * own random streams and disk per machine, so a model's records are the same whether it
 * runs alone or beside the others (a third model cannot move the first two's numbers). */
static void test_a_model_runs_the_same_alone_or_beside_others(void)
{
    struct scenario *sc = parse(two_publishers);
    for (model_id m = 0; m < model_count(); m++) {
        if (!(model_all() & (1u << m)))
            continue; /* recorded from real systems, never simulated */
        struct capture alone, all;
        run_models(sc, 5, 1u << m, &alone);
        run(sc, 5, &all);
        CU_ASSERT_EQUAL(alone.model_digest[m], all.model_digest[m]);
        CU_ASSERT_NOT_EQUAL(alone.model_digest[m], 0);
        capture_free(&alone);
        capture_free(&all);
    }
    scenario_free(sc);
}

static void test_symbolic_targets_resolve_when_fired(void)
{
    struct scenario *sc = parse("name: targets\n"
                                "description: leader and crashed resolve from the state\n"
                                "duration: 6s\n"
                                "hosts: 5\n"
                                "workload: {clients: 1, rate: 10/s}\n"
                                "faults:\n"
                                "  - {at: 2s, crash: leader}\n"
                                "  - {at: 3s, crash: leader}\n"
                                "  - {at: 4s, restart: crashed}\n");
    struct capture c;
    run(sc, 1, &c);
    /* FLE elects the highest sid first, then the highest survivor; both come back. */
    CU_ASSERT_STRING_EQUAL(c.faults->str, "crash h5;crash h4;restart h4,h5;");
    capture_free(&c);
    scenario_free(sc);
}

/* ---- faults on client machines ------------------------------------------------------- */

#define CLIENTS 4

/* Per client (0-based), the times of its submissions, acks and timeouts (zab only). */
struct client_capture {
    GArray *submitted[CLIENTS], *acked[CLIENTS], *timed_out[CLIENTS]; /* sim_time */
    GString *faults; /* "kind target: detail;" */
    int holder;      /* the recipe client (1-based) holding when a fault fired, 0: none */
    GString *holders_hit; /* that, for every fault: "c4;-;" */
};

static void client_record(void *ctx, const struct trace_rec *r)
{
    struct client_capture *c = ctx;
    if (r->kind == TRACE_FAULT) {
        g_string_append_printf(c->faults, "%s %s: %s;", fault_kind_name(r->u.fault.kind),
                               r->u.fault.target, r->u.fault.detail);
        if (c->holder)
            g_string_append_printf(c->holders_hit, "c%d;", c->holder);
        else
            g_string_append(c->holders_hit, "-;");
    }
    if (r->kind == TRACE_HOLD)
        c->holder = r->u.hold.holding ? (int)r->u.hold.client : 0;
    GArray **to = NULL;
    msg_id_t id = MSG_ID_NONE;
    if (r->kind == TRACE_SUBMISSION) {
        to = c->submitted;
        id = r->u.submission.msg_id;
    } else if (r->kind == TRACE_OUTCOME && r->u.outcome.outcome == TRACE_OUTCOME_ACKED) {
        to = c->acked;
        id = r->u.outcome.msg_id;
    } else if (r->kind == TRACE_OUTCOME && r->u.outcome.outcome == TRACE_OUTCOME_TIMEOUT) {
        to = c->timed_out;
        id = r->u.outcome.msg_id;
    }
    uint32_t client = msg_id_client(id);
    if (to && client >= 1 && client <= CLIENTS)
        g_array_append_val(to[client - 1], r->t_ns);
}

static void run_clients(const struct scenario *sc, struct client_capture *c)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < CLIENTS; i++) {
        c->submitted[i] = g_array_new(FALSE, FALSE, sizeof(sim_time));
        c->acked[i] = g_array_new(FALSE, FALSE, sizeof(sim_time));
        c->timed_out[i] = g_array_new(FALSE, FALSE, sizeof(sim_time));
    }
    c->faults = g_string_new(NULL);
    c->holders_hit = g_string_new(NULL);
    struct recorder rec = { client_record, c };
    struct world *w = world_new(sc, 1, 1u << ZAB, false, &rec);
    world_run(w);
    world_free(w);
}

static void client_capture_free(struct client_capture *c)
{
    for (int i = 0; i < CLIENTS; i++) {
        g_array_free(c->submitted[i], TRUE);
        g_array_free(c->acked[i], TRUE);
        g_array_free(c->timed_out[i], TRUE);
    }
    g_string_free(c->faults, TRUE);
    g_string_free(c->holders_hit, TRUE);
}

/* How many of times fall in [from, until). */
static guint count_within(const GArray *times, sim_time from, sim_time until)
{
    guint n = 0;
    for (guint i = 0; i < times->len; i++) {
        sim_time t = g_array_index(times, sim_time, i);
        n += t >= from && t < until;
    }
    return n;
}

/* A calm ZAB run whose client machines are hit one by one: c1 paused submits nothing while
 * paused and carries on after; c2 isolated hears nothing back, so its writes time out and
 * none is acknowledged until the heal; c3 crashed submits nothing more until its restart;
 * c1 powered off submits nothing more; the other clients go on meanwhile. */
static void test_faults_on_client_machines(void)
{
    struct scenario *sc = parse("name: client_faults\n"
                                "description: pause, isolate, crash and restart clients\n"
                                "duration: 10s\n"
                                "hosts: 3\n"
                                "zab: {tick: 100ms, startup: 10ms}\n"
                                "workload: {clients: 3, rate: 50/s, stop: 9s}\n"
                                "faults:\n"
                                "  - {at: 2s, pause: c1, for: 2s}\n"
                                "  - {at: 2s, isolate: c2}\n"
                                "  - {at: 5s, heal: all}\n"
                                "  - {at: 6s, crash: c3}\n"
                                "  - {at: 6.5s, power_off: c3}\n" /* crashed, still on */
                                "  - {at: 7s, restart: c3}\n"
                                "  - {at: 8s, power_off: c1}\n");
    struct client_capture c;
    run_clients(sc, &c);
    CU_ASSERT_STRING_EQUAL(c.faults->str,
                           "pause c1: for 2s;"
                           "isolate c2: c2 alone, cut from every host and every other client "
                           "machine;"
                           "heal all: ;"
                           "crash c3: ;"
                           "power_off c3: ;" /* a crashed machine still had power */
                           "restart c3: ;"
                           "power_off c1: ;");
    /* c1: nothing while paused, submissions before and after. */
    CU_ASSERT(count_within(c.submitted[0], 1 * SIM_S, 2 * SIM_S) > 20);
    CU_ASSERT_EQUAL(count_within(c.submitted[0], 2 * SIM_S, 4 * SIM_S), 0);
    CU_ASSERT(count_within(c.submitted[0], 4 * SIM_S, 5 * SIM_S) > 20);
    CU_ASSERT(count_within(c.submitted[0], 7 * SIM_S, 8 * SIM_S) > 20);
    CU_ASSERT_EQUAL(count_within(c.submitted[0], 8 * SIM_S, 10 * SIM_S), 0); /* off */
    /* c2: acknowledged before, not while cut off (a reply already on its way aside), its
     * pending writes time out (session timeout 2s: read timeout 1.33s), acknowledged again
     * after the heal. */
    CU_ASSERT(count_within(c.acked[1], 1 * SIM_S, 2 * SIM_S) > 20);
    CU_ASSERT_EQUAL(count_within(c.acked[1], 2 * SIM_S + 100 * SIM_MS, 5 * SIM_S), 0);
    CU_ASSERT(count_within(c.timed_out[1], 2 * SIM_S, 5 * SIM_S) > 0);
    CU_ASSERT(count_within(c.acked[1], 6 * SIM_S, 9 * SIM_S) > 20);
    /* c3: acknowledged all along until its crash; nothing submitted until its restart. */
    CU_ASSERT(count_within(c.acked[2], 2 * SIM_S + 100 * SIM_MS, 5 * SIM_S) > 50);
    CU_ASSERT(count_within(c.submitted[2], 5 * SIM_S, 6 * SIM_S) > 20);
    CU_ASSERT_EQUAL(count_within(c.submitted[2], 6 * SIM_S, 7 * SIM_S), 0);
    CU_ASSERT(count_within(c.submitted[2], 7 * SIM_S, 9 * SIM_S) > 20);
    CU_ASSERT(count_within(c.acked[2], 7 * SIM_S, 10 * SIM_S) > 20);
    /* c1 is not cut off by c2's isolation, nor c2 stalled by c1's pause. */
    CU_ASSERT(count_within(c.acked[0], 4 * SIM_S + 100 * SIM_MS, 5 * SIM_S) > 20);
    CU_ASSERT(count_within(c.submitted[1], 2 * SIM_S, 4 * SIM_S) > 50);
    client_capture_free(&c);
    scenario_free(sc);
}

/* A recipe's clients may outnumber the workload's: the extra client machine (c4) exists and
 * takes faults. `holder` names the client that holds the lock when the fault fires (the
 * recipe's own TRACE_HOLD records say who), and nobody before anyone holds it or once the
 * holder has crashed (its lock node stands until its session expires, so nobody else holds
 * it): then the fault does nothing and says so. */
static void test_recipe_client_machines_and_holder(void)
{
    struct scenario *sc = parse("name: holder\n"
                                "description: a lock recipe with four clients\n"
                                "duration: 4s\n"
                                "hosts: 3\n"
                                "models: pubsub\n"
                                "workload: {clients: 2, rate: 20/s}\n"
                                "recipe: {kind: lock, backend: zab, clients: 4}\n"
                                "faults:\n"
                                "  - {at: 1s, crash: holder}\n"
                                "  - {at: 1s, isolate: holder}\n"
                                "  - {at: 2s, pause: c4, for: 1s}\n"
                                "  - {at: 2s, isolate: c3}\n"
                                "  - {at: 3s, crash: [h1, c4]}\n"
                                "  - {at: 3.5s, restart: crashed}\n"
                                "  - {on: {event: state, state: LEADING}, pause: holder, "
                                "for: 1s}\n");
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(scenario_client_machines(sc), 4);
    /* The backend joins the models the scenario names. */
    CU_ASSERT_EQUAL(scenario_default_models(sc), (1u << ZAB) | (1u << PUBSUB));
    struct client_capture c;
    run_clients(sc, &c);
    /* The triggered one fires first, when the first leader is elected: nobody holds yet. */
    CU_ASSERT(g_str_has_prefix(c.faults->str,
                               "pause : on state LEADING/DISCOVERY by h3 (the 1st) at "));
    const char *timed = strstr(c.faults->str, "; no holder: nothing done;");
    CU_ASSERT_PTR_NOT_NULL_FATAL(timed);
    CU_ASSERT_STRING_EQUAL(timed + strlen("; no holder: nothing done;"),
                           "crash c4: ;"
                           "isolate : no holder: nothing done;"
                           "pause c4: c4 unchanged (already down); for 1s;"
                           "isolate c3: c3 alone, cut from every host and every other client "
                           "machine;"
                           "crash h1,c4: c4 unchanged (already down);"
                           "restart h1,c4: ;");
    /* c4 held the lock when `crash: holder` fired: the fault found the holder. */
    CU_ASSERT(g_str_has_prefix(c.holders_hit->str, "-;c4;"));
    client_capture_free(&c);
    scenario_free(sc);
}

/* ---- triggers ---------------------------------------------------------------------- */

/* What a trigger test reads from a run: faults with their times and details, and, in a run
 * with the message log, when each host sent each NEWLEADER, entered LEADING/BROADCAST and
 * delivered each message. */
struct trigger_capture {
    GString *faults;       /* "t kind target: detail\n" */
    GArray *newleader_ns;  /* sim_time of every NEWLEADER sent by h3, in order */
    GArray *h1_deliveries; /* sim_time of every delivery at h1 */
    sim_time broadcast_ns; /* first time a host entered LEADING/BROADCAST */
    int32_t broadcast_host;
};

static void trigger_record(void *ctx, const struct trace_rec *r)
{
    struct trigger_capture *c = ctx;
    if (r->kind == TRACE_FAULT)
        g_string_append_printf(c->faults, "%" PRId64 " %s %s: %s\n", r->t_ns,
                               fault_kind_name(r->u.fault.kind), r->u.fault.target,
                               r->u.fault.detail);
    if (r->model != ZAB)
        return;
    if (r->kind == TRACE_MESSAGE && strcmp(r->u.message.type, "NEWLEADER") == 0 &&
        strcmp(r->u.message.src, "h3") == 0)
        g_array_append_val(c->newleader_ns, r->u.message.sent_ns);
    if (r->kind == TRACE_DELIVERY && r->host == 0)
        g_array_append_val(c->h1_deliveries, r->t_ns);
    if (r->kind == TRACE_STATE && c->broadcast_host < 0 &&
        strcmp(model_get(ZAB)->state_name(r->u.state.state), "LEADING") == 0 &&
        g_strcmp0(model_get(ZAB)->phase_name(r->u.state.phase), "BROADCAST") == 0) {
        c->broadcast_ns = r->t_ns;
        c->broadcast_host = r->host;
    }
}

static void run_triggered(const char *faults, bool log_messages, struct trigger_capture *c)
{
    char *yaml = g_strdup_printf("name: triggers\n"
                                 "description: faults fired by protocol events\n"
                                 "duration: 3s\n"
                                 "hosts: 3\n"
                                 "workload: {clients: 1, rate: 50/s}\n"
                                 "%s", faults);
    struct scenario *sc = parse(yaml);
    *c = (struct trigger_capture){ .faults = g_string_new(NULL),
                                   .newleader_ns = g_array_new(FALSE, FALSE, sizeof(sim_time)),
                                   .h1_deliveries = g_array_new(FALSE, FALSE, sizeof(sim_time)),
                                   .broadcast_host = -1 };
    struct recorder rec = { trigger_record, c };
    struct world *w = world_new(sc, 1, 1u << ZAB, log_messages, &rec);
    world_run(w);
    world_free(w);
    scenario_free(sc);
    g_free(yaml);
}

static void trigger_capture_free(struct trigger_capture *c)
{
    g_string_free(c->faults, TRUE);
    g_array_free(c->newleader_ns, TRUE);
    g_array_free(c->h1_deliveries, TRUE);
}

/* A triggered fault fires on the count-th matching event, `after` later, at the host whose
 * event it was: the same instants a run without the fault shows for those events. */
static void test_triggers_fire_on_the_counted_event(void)
{
    struct trigger_capture base;
    run_triggered("", true, &base);
    CU_ASSERT_EQUAL_FATAL(base.faults->len, 0);
    CU_ASSERT_FATAL(base.newleader_ns->len >= 2); /* h3 leads and syncs h1 and h2 */
    CU_ASSERT_FATAL(base.h1_deliveries->len >= 10);
    CU_ASSERT_EQUAL_FATAL(base.broadcast_host, 2);
    sim_time second_newleader = g_array_index(base.newleader_ns, sim_time, 1);
    sim_time tenth_delivery = g_array_index(base.h1_deliveries, sim_time, 9);

    struct trigger_capture c;
    run_triggered("faults:\n"
                  "  - on: {event: send, type: NEWLEADER, host: leader}\n"
                  "    count: 2\n"
                  "    power_off: event_host\n", false, &c);
    char *want = g_strdup_printf("%" PRId64 " power_off h3: on send NEWLEADER by h3 to ",
                                 second_newleader);
    CU_ASSERT(g_str_has_prefix(c.faults->str, want));
    CU_ASSERT_PTR_NOT_NULL(strstr(c.faults->str, "(the 2nd)"));
    g_free(want);
    trigger_capture_free(&c);

    run_triggered("faults:\n"
                  "  - {on: {event: deliver, host: h1}, count: 10, after: 5ms, crash: h2}\n",
                  false, &c);
    want = g_strdup_printf("%" PRId64 " crash h2: on deliver by h1 (the 10th)",
                           tenth_delivery + 5 * SIM_MS);
    CU_ASSERT(g_str_has_prefix(c.faults->str, want));
    g_free(want);
    trigger_capture_free(&c);

    run_triggered("faults:\n"
                  "  - on: {event: state, state: LEADING, phase: BROADCAST}\n"
                  "    crash: event_host\n", false, &c);
    want = g_strdup_printf("%" PRId64 " crash h3: on state LEADING/BROADCAST by h3 (the 1st)",
                           base.broadcast_ns);
    CU_ASSERT(g_str_has_prefix(c.faults->str, want));
    g_free(want);
    trigger_capture_free(&c);
    trigger_capture_free(&base);
}

/* Filters that nothing matches leave the run alone: no SNAP in a healthy run, no NEWLEADER
 * sent by a follower, and a count beyond what happens. */
static void test_triggers_that_never_match_never_fire(void)
{
    struct trigger_capture c;
    run_triggered("faults:\n"
                  "  - {on: {event: send, type: SNAP}, crash: event_host}\n"
                  "  - {on: {event: send, type: NEWLEADER, host: follower}, crash: h1}\n"
                  "  - {on: {event: receive, type: NEWLEADER, peer: h1}, crash: h1}\n"
                  "  - {on: {event: state, state: LEADING}, count: 2, crash: h1}\n",
                  false, &c);
    CU_ASSERT_STRING_EQUAL(c.faults->str, "");
    trigger_capture_free(&c);
}

/* ---- known bugs ------------------------------------------------------------------------ */

/* Violations per invariant of a ZAB-only run of a bug scenario, with its variant switched on
 * or off: "agreement=3 durability=0 ...". */
static void run_bug(const char *file, bool variant_on, int64_t *agreement, int64_t *any)
{
    GError *err = NULL;
    struct scenario *sc = scenario_load(test_source_path(file), &err);
    if (!sc)
        fprintf(stderr, "%s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_PTR_NOT_NULL(scenario_variant(sc));
    if (!variant_on)
        CU_ASSERT(scenario_set_variant(sc, "none", NULL));
    struct verdict *v = verdict_new(1u << ZAB, sc->hosts, (const char *const *)sc->host_names);
    struct recorder rec = verdict_recorder(v);
    struct world *w = world_new(sc, sc->seed, 1u << ZAB, false, &rec);
    world_run(w);
    world_free(w);
    struct oracle_result res;
    verdict_finish(v, &res);
    *agreement = 0;
    *any = res.found;
    for (guint i = 0; i < res.violations->len; i++) {
        const struct oracle_violation *x = g_ptr_array_index(res.violations, i);
        if (strcmp(x->invariant, "agreement") == 0)
            *agreement += x->count;
    }
    oracle_result_clear(&res);
    verdict_free(v);
    scenario_free(sc);
}

/* Every variant has its scenario in scenarios/bugs/, which breaks agreement with the variant
 * switched on, at the seed the file gives, and breaks nothing with the fixed code: the
 * variant is the whole difference. */
static void test_bug_variants_break_agreement_and_the_fix_holds(void)
{
    for (int variant = ZAB_VARIANT_NONE + 1; variant < ZAB_VARIANT_COUNT; variant++) {
        char *file = g_strdup_printf("scenarios/bugs/%s.yaml",
                                     zab_variant_name((enum zab_variant)variant));
        int64_t agreement, any;
        run_bug(file, true, &agreement, &any);
        CU_ASSERT(agreement > 0);
        if (agreement == 0)
            fprintf(stderr, "%s: no agreement violation with the variant\n", file);
        run_bug(file, false, &agreement, &any);
        CU_ASSERT_EQUAL(any, 0);
        g_free(file);
    }
}

void test_register(void)
{
    TEST_SUITE("world", TEST(test_pubsub_orders_differ_zab_agrees),
               TEST(test_send_jitter_makes_subscribers_disagree),
               TEST(test_same_seed_same_run_other_seed_differs),
               TEST(test_determinism_check_finds_where_two_runs_part),
               TEST(test_a_model_runs_the_same_alone_or_beside_others),
               TEST(test_symbolic_targets_resolve_when_fired),
               TEST(test_faults_on_client_machines),
               TEST(test_recipe_client_machines_and_holder),
               TEST(test_triggers_fire_on_the_counted_event),
               TEST(test_triggers_that_never_match_never_fire),
               TEST(test_bug_variants_break_agreement_and_the_fix_holds));
}
