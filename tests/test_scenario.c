/* test_scenario.c: the scenario loader (sim/scenario.h) and `zabsim validate`.
 *
 * Valid files: every field lands in struct scenario, defaults fill the rest, faults are
 * sorted stably. Invalid files: every class of problem is reported at its exact LINE:COLUMN,
 * all problems of a file are reported in file order, and hostile input (aliases, deep
 * nesting, binary, random bytes) is rejected quickly without crashing. Finally the built
 * binary is run on a good and a bad file. */
#include "sim/rng.h"
#include "world/model.h"
#include "world/scenario.h"
#include "tests/harness.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

/* The required keys, so a test can add only what it is about, from line 4 on. */
#define BASE "name: t\ndescription: d\nduration: 20s\n"

static struct scenario *parse(const char *yaml, GError **err)
{
    return scenario_parse("t.yaml", yaml, strlen(yaml), err);
}

static struct scenario *parse_ok(const char *yaml)
{
    GError *err = NULL;
    struct scenario *sc = parse(yaml, &err);
    if (!sc) {
        fprintf(stderr, "\n  unexpected problems:\n%s\n", err->message);
        g_error_free(err);
    }
    CU_ASSERT_PTR_NOT_NULL(sc);
    return sc;
}

/* Checks that yaml is rejected with exactly the expected problems, in order. Each expected
 * entry is "LINE:COLUMN text": the message line must start with "t.yaml:LINE:COLUMN: " and
 * contain text. */
static void check_problems(int line, const char *yaml, size_t len, const char *const *expected)
{
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", yaml, len, &err);
    bool ok = sc == NULL && err && err->domain == ZS_ERROR && err->code == ZS_ERROR_INPUT;
    char **lines = g_strsplit(err ? err->message : "", "\n", -1);
    size_t n_expected = 0;
    while (expected[n_expected])
        n_expected++;
    ok = ok && g_strv_length(lines) == n_expected;
    for (size_t i = 0; ok && i < n_expected; i++) {
        const char *space = strchr(expected[i], ' ');
        char *prefix = g_strdup_printf("t.yaml:%.*s: ", (int)(space - expected[i]), expected[i]);
        ok = g_str_has_prefix(lines[i], prefix) && strstr(lines[i] + strlen(prefix), space + 1);
        g_free(prefix);
    }
    if (!ok) {
        fprintf(stderr, "\n  line %d: expected:\n", line);
        for (size_t i = 0; i < n_expected; i++)
            fprintf(stderr, "    %s\n", expected[i]);
        fprintf(stderr, "  got:\n    %s\n", err ? err->message : "(a valid scenario)");
    }
    CU_assertImplementation(ok ? CU_TRUE : CU_FALSE, (unsigned)line, "problems as expected",
                            __FILE__, "", CU_FALSE);
    g_strfreev(lines);
    g_clear_error(&err);
    scenario_free(sc);
}

#define EXPECT_PROBLEMS(yaml, ...)                                                         \
    check_problems(__LINE__, (yaml), strlen(yaml), (const char *const[]){ __VA_ARGS__, NULL })
#define EXPECT_PROBLEMS_LEN(yaml, len, ...)                                                \
    check_problems(__LINE__, (yaml), (len), (const char *const[]){ __VA_ARGS__, NULL })

/* ---- valid scenarios ----------------------------------------------------------------------- */

static const char full_yaml[] =
    "name: full_example\n"
    "description: >-\n"
    "  Every key given, extensions included.\n"
    "seed: 42\n"
    "duration: 1m\n"
    "hosts: [alpha, beta, gamma, delta]\n"
    "network:\n"
    "  latency: {dist: normal, mean: 1ms, stddev: 250us}\n"
    "disk:\n"
    "  fsync: {dist: exponential, mean: 3ms}\n"
    "zab:\n"
    "  tick: 100ms\n"
    "  init_limit: 7\n"
    "  sync_limit: 3\n"
    "  max_batch: 50\n"
    "  session_timeout: 1s\n"
    "pubsub:\n"
    "  subject: orders.created\n"
    "  subscribe: orders.>\n"
    "  queue_group: workers\n"
    "  reconnect_wait: 250ms\n"
    "  reconnect_buffer: 1.5KiB\n"
    "  max_pending: 32MiB\n"
    "  sub_pending_msgs: 1000\n"
    "  consume_rate: 2/ms\n"
    "workload:\n"
    "  clients: 5\n"
    "  rate: 12.5/s\n"
    "  start: 1s\n"
    "  stop: 50s\n"
    "  payload: 1KiB\n"
    "  attach: [delta, alpha, alpha, beta, gamma]\n"
    "faults:\n"
    "  - {at: 30s, heal: all}\n"
    "  - {at: 10s, crash: [alpha, gamma]}\n"
    "  - {at: 10s, power_off: follower}\n"
    "  - {at: 12s, restart: crashed}\n"
    "  - {at: 15s, partition: [[alpha], [beta, delta], [gamma]]}\n"
    "  - {at: 16s, isolate: beta}\n"
    "  - {at: 20s, pause: random, for: 500ms}\n"
    "  - {at: 21s, slow_link: {from: alpha, to: beta, latency: {dist: uniform, min: 10ms, "
    "max: 20ms}, for: 2s}}\n"
    "  - {at: 22s, slow_disk: {host: delta, fsync: 40ms, for: 1s}}\n"
    "  - at: 22s\n"
    "    crash: leader\n"
    "expect:\n"
    "  zab: {invariants: hold, lost: 0, delivery_p99_ns: {max: 50ms}}\n"
    "  pubsub: {delivered: {min: 10, max: 20000}, duplicates: 0, unavailable_ns: 1500}\n";

static const struct scenario_fault *fault_at(const struct scenario *sc, guint i)
{
    return &g_array_index(sc->faults, struct scenario_fault, i);
}

static const struct scenario_expect *expect_at(const struct scenario *sc, guint i)
{
    return &g_array_index(sc->expect, struct scenario_expect, i);
}

static void test_scenario_full_fills_every_field(void)
{
    struct scenario *sc = parse_ok(full_yaml);
    if (!sc)
        return;
    CU_ASSERT_STRING_EQUAL(sc->path, "t.yaml");
    CU_ASSERT_STRING_EQUAL(sc->text, full_yaml);
    CU_ASSERT_STRING_EQUAL(sc->name, "full_example");
    CU_ASSERT_STRING_EQUAL(sc->description, "Every key given, extensions included.");
    CU_ASSERT_EQUAL(sc->seed, 42);
    CU_ASSERT_EQUAL(sc->duration, 60 * SIM_S);
    CU_ASSERT_EQUAL(sc->hosts, 4);
    CU_ASSERT_STRING_EQUAL(sc->host_names[0], "alpha");
    CU_ASSERT_STRING_EQUAL(sc->host_names[3], "delta");
    CU_ASSERT_PTR_NULL(sc->host_names[4]);
    CU_ASSERT_EQUAL(scenario_host_index(sc, "gamma"), 2);
    CU_ASSERT_EQUAL(scenario_host_index(sc, "h1"), -1);
    CU_ASSERT_EQUAL(sc->latency.kind, DIST_NORMAL);
    CU_ASSERT_EQUAL(sc->latency.a, SIM_MS);
    CU_ASSERT_EQUAL(sc->latency.b, 250 * SIM_US);
    CU_ASSERT_EQUAL(sc->fsync.kind, DIST_EXPONENTIAL);
    CU_ASSERT_EQUAL(sc->fsync.a, 3 * SIM_MS);
    CU_ASSERT_EQUAL(sc->zab.tick, 100 * SIM_MS);
    CU_ASSERT_EQUAL(sc->zab.init_limit, 7);
    CU_ASSERT_EQUAL(sc->zab.sync_limit, 3);
    CU_ASSERT_EQUAL(sc->zab.max_batch, 50);
    CU_ASSERT_EQUAL(sc->zab.session_timeout, SIM_S);
    CU_ASSERT_STRING_EQUAL(sc->pubsub.subject, "orders.created");
    CU_ASSERT_STRING_EQUAL(sc->pubsub.subscribe, "orders.>");
    CU_ASSERT_STRING_EQUAL(sc->pubsub.queue_group, "workers");
    CU_ASSERT_EQUAL(sc->pubsub.reconnect_wait, 250 * SIM_MS);
    CU_ASSERT_EQUAL(sc->pubsub.reconnect_buffer, 1536);
    CU_ASSERT_EQUAL(sc->pubsub.max_pending, 32 * 1024 * 1024);
    CU_ASSERT_EQUAL(sc->pubsub.sub_pending_msgs, 1000);
    CU_ASSERT_DOUBLE_EQUAL(sc->pubsub.consume_rate, 2000.0, 0.0);
    CU_ASSERT_EQUAL(sc->workload.clients, 5);
    CU_ASSERT_DOUBLE_EQUAL(sc->workload.rate, 12.5, 0.0);
    CU_ASSERT_EQUAL(sc->workload.start, SIM_S);
    CU_ASSERT_EQUAL(sc->workload.stop, 50 * SIM_S);
    CU_ASSERT_EQUAL(sc->workload.payload, 1024);
    static const uint32_t attach[] = { 3, 0, 0, 1, 2 };
    for (int i = 0; i < 5; i++)
        CU_ASSERT_EQUAL(sc->workload.attach[i], attach[i]);
    scenario_free(sc);
}

static void test_scenario_faults_in_time_then_file_order(void)
{
    struct scenario *sc = parse_ok(full_yaml);
    if (!sc)
        return;
    static const enum fault_kind order[] = {
        TRACE_FAULT_CRASH,   TRACE_FAULT_POWER_OFF, TRACE_FAULT_RESTART,   TRACE_FAULT_PARTITION,
        TRACE_FAULT_ISOLATE, TRACE_FAULT_PAUSE,     TRACE_FAULT_SLOW_LINK, TRACE_FAULT_SLOW_DISK,
        TRACE_FAULT_CRASH,   TRACE_FAULT_HEAL,
    };
    CU_ASSERT_EQUAL_FATAL(sc->faults->len, G_N_ELEMENTS(order));
    for (guint i = 0; i < sc->faults->len; i++)
        CU_ASSERT_EQUAL(fault_at(sc, i)->kind, order[i]);

    const struct scenario_fault *f = fault_at(sc, 0); /* {at: 10s, crash: [alpha, gamma]} */
    CU_ASSERT_EQUAL(f->at, 10 * SIM_S);
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL(f->target.n_hosts, 2);
    CU_ASSERT_EQUAL(f->target.hosts[0], 0);
    CU_ASSERT_EQUAL(f->target.hosts[1], 2);
    CU_ASSERT_EQUAL(f->line, 35);
    CU_ASSERT_EQUAL(f->column, 5);
    CU_ASSERT_EQUAL(f->group[0], -1);
    CU_ASSERT_EQUAL(fault_at(sc, 1)->target.kind, SCENARIO_TARGET_FOLLOWER);
    CU_ASSERT_EQUAL(fault_at(sc, 2)->target.kind, SCENARIO_TARGET_CRASHED);

    f = fault_at(sc, 3); /* partition: [[alpha], [beta, delta], [gamma]] */
    CU_ASSERT_EQUAL(f->group[0], 0);
    CU_ASSERT_EQUAL(f->group[1], 1);
    CU_ASSERT_EQUAL(f->group[2], 2);
    CU_ASSERT_EQUAL(f->group[3], 1);
    CU_ASSERT_EQUAL(f->group[4], -1);

    f = fault_at(sc, 4); /* isolate: beta */
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL(f->target.n_hosts, 1);
    CU_ASSERT_EQUAL(f->target.hosts[0], 1);

    f = fault_at(sc, 5); /* pause: random, for: 500ms */
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_RANDOM);
    CU_ASSERT_EQUAL(f->duration, 500 * SIM_MS);

    f = fault_at(sc, 6); /* slow_link alpha -> beta, uniform 10..20ms, 2s */
    CU_ASSERT_EQUAL(f->link_from.kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL(f->link_from.hosts[0], 0);
    CU_ASSERT_EQUAL(f->link_to.hosts[0], 1);
    CU_ASSERT_EQUAL(f->delay.kind, DIST_UNIFORM);
    CU_ASSERT_EQUAL(f->delay.a, 10 * SIM_MS);
    CU_ASSERT_EQUAL(f->delay.b, 20 * SIM_MS);
    CU_ASSERT_EQUAL(f->duration, 2 * SIM_S);

    f = fault_at(sc, 7); /* slow_disk delta, fixed 40ms (shorthand), 1s */
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL(f->target.hosts[0], 3);
    CU_ASSERT_EQUAL(f->delay.kind, DIST_FIXED);
    CU_ASSERT_EQUAL(f->delay.a, 40 * SIM_MS);
    CU_ASSERT_EQUAL(f->duration, SIM_S);
    /* The block-style fault at 22s comes after the flow-style one at 22s: file order. */
    CU_ASSERT_EQUAL(fault_at(sc, 8)->target.kind, SCENARIO_TARGET_LEADER);
    CU_ASSERT_EQUAL(fault_at(sc, 8)->line, 43);
    CU_ASSERT_EQUAL(fault_at(sc, 9)->target.kind, SCENARIO_TARGET_ALL);
    CU_ASSERT_EQUAL(fault_at(sc, 9)->at, 30 * SIM_S);
    scenario_free(sc);
}

static void test_scenario_expect_entries(void)
{
    struct scenario *sc = parse_ok(full_yaml);
    if (!sc)
        return;
    static const struct {
        const char *model;
        const char *column;
        int64_t min, max;
    } want[] = {
        { "zab", "invariants", 0, 0 },
        { "zab", "lost", 0, 0 },
        { "zab", "delivery_p99_ns", INT64_MIN, 50 * SIM_MS },
        { "pubsub", "delivered", 10, 20000 },
        { "pubsub", "duplicates", 0, 0 },
        { "pubsub", "unavailable_ns", 1500, 1500 },
    };
    CU_ASSERT_EQUAL_FATAL(sc->expect->len, G_N_ELEMENTS(want));
    for (guint i = 0; i < sc->expect->len; i++) {
        const struct scenario_expect *e = expect_at(sc, i);
        CU_ASSERT_EQUAL(e->model, model_find(want[i].model));
        CU_ASSERT_STRING_EQUAL(e->column, want[i].column);
        CU_ASSERT_EQUAL(e->min, want[i].min);
        CU_ASSERT_EQUAL(e->max, want[i].max);
    }
    CU_ASSERT_EQUAL(expect_at(sc, 0)->line, 46);
    CU_ASSERT_EQUAL(expect_at(sc, 0)->column_no, 9);
    scenario_free(sc);
}

static void test_scenario_defaults(void)
{
    struct scenario d;
    scenario_defaults(&d);
    CU_ASSERT_EQUAL(d.seed, 1);
    CU_ASSERT_EQUAL(d.hosts, 3);
    CU_ASSERT_PTR_NULL(d.host_names[0]);
    CU_ASSERT_PTR_NULL(d.faults);

    struct scenario *sc = parse_ok(BASE);
    if (!sc)
        return;
    CU_ASSERT_EQUAL(sc->seed, 1);
    CU_ASSERT_EQUAL(sc->duration, 20 * SIM_S);
    CU_ASSERT_EQUAL(sc->hosts, 3);
    CU_ASSERT_STRING_EQUAL(sc->host_names[0], "h1");
    CU_ASSERT_STRING_EQUAL(sc->host_names[2], "h3");
    CU_ASSERT_EQUAL(scenario_host_index(sc, "h2"), 1);
    CU_ASSERT_EQUAL(sc->latency.kind, DIST_UNIFORM);
    CU_ASSERT_EQUAL(sc->latency.a, 500 * SIM_US);
    CU_ASSERT_EQUAL(sc->latency.b, 2 * SIM_MS);
    CU_ASSERT_EQUAL(sc->fsync.kind, DIST_FIXED);
    CU_ASSERT_EQUAL(sc->fsync.a, 2 * SIM_MS);
    CU_ASSERT_EQUAL(sc->zab.tick, 2 * SIM_S);
    CU_ASSERT_EQUAL(sc->zab.init_limit, 10);
    CU_ASSERT_EQUAL(sc->zab.sync_limit, 5);
    CU_ASSERT_EQUAL(sc->zab.max_batch, 1000);
    CU_ASSERT_EQUAL(sc->zab.session_timeout, 30 * SIM_S);
    CU_ASSERT_STRING_EQUAL(sc->pubsub.subject, "users.signup");
    CU_ASSERT_STRING_EQUAL(sc->pubsub.subscribe, "users.*");
    CU_ASSERT_PTR_NULL(sc->pubsub.queue_group);
    CU_ASSERT_FALSE(sc->pubsub.subscribers_apart);
    CU_ASSERT_EQUAL(sc->pubsub.socket_buffer, 4u << 20);
    CU_ASSERT_EQUAL(sc->pubsub.reconnect_wait, 2 * SIM_S);
    CU_ASSERT_EQUAL(sc->pubsub.reconnect_buffer, 8 * 1024 * 1024);
    CU_ASSERT_EQUAL(sc->pubsub.max_pending, 64 * 1024 * 1024);
    CU_ASSERT_EQUAL(sc->pubsub.sub_pending_msgs, 500000);
    CU_ASSERT_DOUBLE_EQUAL(sc->pubsub.consume_rate, 0.0, 0.0);
    CU_ASSERT_EQUAL(sc->workload.clients, 3);
    CU_ASSERT_DOUBLE_EQUAL(sc->workload.rate, 100.0, 0.0);
    CU_ASSERT_EQUAL(sc->workload.start, 0);
    CU_ASSERT_EQUAL(sc->workload.stop, 20 * SIM_S);
    CU_ASSERT_EQUAL(sc->workload.payload, 64);
    /* Client i attaches to host ((i-1) mod hosts)+1: 0-based, i mod hosts. */
    CU_ASSERT_EQUAL(sc->workload.attach[0], 0);
    CU_ASSERT_EQUAL(sc->workload.attach[2], 2);
    CU_ASSERT_EQUAL(sc->workload.attach[3], 0);
    CU_ASSERT_EQUAL(sc->faults->len, 0);
    CU_ASSERT_EQUAL(sc->expect->len, 0);
    scenario_free(sc);
}

static void test_scenario_small_forms_and_null_sections(void)
{
    /* Empty sections mean defaults; a plain duration is a fixed distribution; payload may
     * carry a unit; the default session timeout is negotiated into [2, 20] ticks. */
    struct scenario *sc = parse_ok(BASE "hosts: 1\nnetwork:\n  latency: 3ms\nzab:\n  tick: 10ms\n"
                                        "pubsub:\nworkload:\n  payload: 0.5KiB\n  clients: 0\n"
                                        "  rate: 0/s\nfaults:\nexpect:\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->latency.kind, DIST_FIXED);
        CU_ASSERT_EQUAL(sc->latency.a, 3 * SIM_MS);
        CU_ASSERT_EQUAL(sc->zab.session_timeout, 200 * SIM_MS);
        CU_ASSERT_EQUAL(sc->workload.payload, 512);
        CU_ASSERT_EQUAL(sc->workload.clients, 0);
        CU_ASSERT_STRING_EQUAL(sc->host_names[0], "h1");
        CU_ASSERT_EQUAL(sc->faults->len, 0);
    }
    scenario_free(sc);
    sc = parse_ok(BASE "zab: {tick: 20s}\nfaults:\n  - {at: 20s, heal: all}\n"
                       "pubsub: {subscribe: '>', subject: a}\nseed: 18446744073709551615\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->zab.session_timeout, 40 * SIM_S);
        CU_ASSERT_EQUAL(sc->faults->len, 1); /* a fault exactly at the end is allowed */
        CU_ASSERT_EQUAL(sc->seed, UINT64_MAX);
    }
    scenario_free(sc);
    scenario_free(NULL);
}

/* ---- problems, one class at a time --------------------------------------------------------- */

static void test_scenario_unknown_and_duplicate_keys(void)
{
    EXPECT_PROBLEMS(BASE "sed: 5\n", "4:1 unknown key 'sed'; did you mean 'seed'?");
    EXPECT_PROBLEMS(BASE "zab:\n  tik: 2s\n",
                    "5:3 unknown key 'tik' in zab; did you mean 'tick'? (valid keys: tick, "
                    "init_limit, sync_limit, max_batch, session_timeout, leader_load, startup, "
                    "teardown, client, processing, variant)");
    EXPECT_PROBLEMS(BASE "colour: red\n",
                    "4:1 unknown key 'colour' (valid keys: name, description, seed, duration");
    EXPECT_PROBLEMS(BASE "seed: 1\nseed: 2\n", "5:1 duplicate key 'seed' (first given at 4:1)");
    EXPECT_PROBLEMS(BASE "zab: {tick: 1s, tick: 2s}\n",
                    "4:17 duplicate key 'tick' in zab (first given at 4:7)");
    EXPECT_PROBLEMS(BASE "? [a]\n: 1\n", "4:3 keys must be plain words, not a list");
}

static void test_scenario_wrong_types(void)
{
    EXPECT_PROBLEMS(BASE "zab: 5\n",
                    "4:6 zab: expected a mapping (key: value, ...), not a single value");
    EXPECT_PROBLEMS(BASE "seed: {a: 1}\n", "4:7 seed: expected a whole number, not a mapping");
    EXPECT_PROBLEMS(BASE "seed: [1]\n", "4:7 seed: expected a whole number, not a list");
    EXPECT_PROBLEMS(BASE "zab:\n  init_limit: 1.5\n",
                    "5:15 zab.init_limit: expected a whole number, found '1.5'");
    EXPECT_PROBLEMS(BASE "faults: {at: 1s}\n", "4:9 faults: expected a list of faults");
    EXPECT_PROBLEMS("name: t\ndescription: [d]\nduration: 1s\n",
                    "2:14 description: expected a string, not a list");
    EXPECT_PROBLEMS(BASE "hosts: {a: 1}\n",
                    "4:8 hosts: expected a number of hosts or a list of names, not a mapping");
    EXPECT_PROBLEMS(BASE "seed:\n", "4:6 seed: missing value (expected a whole number)");
}

static void test_scenario_bad_numbers(void)
{
    EXPECT_PROBLEMS(BASE "seed: -3\n", "4:7 seed: must not be negative");
    EXPECT_PROBLEMS(BASE "seed: 18446744073709551616\n", "4:7 seed: too large");
    EXPECT_PROBLEMS(BASE "hosts: 65\n", "4:8 hosts: must be at most 64, found 65");
    EXPECT_PROBLEMS(BASE "hosts: 0\n", "4:8 hosts: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "workload:\n  clients: 1025\n",
                    "5:12 workload.clients: must be at most 1024, found 1025");
    EXPECT_PROBLEMS(BASE "zab:\n  init_limit: 0\n",
                    "5:15 zab.init_limit: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "pubsub:\n  sub_pending_msgs: 0\n",
                    "5:21 pubsub.sub_pending_msgs: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "pubsub:\n  socket_buffer: 0\n",
                    "5:18 pubsub.socket_buffer: must be greater than 0");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subscribers: elsewhere\n",
                    "5:16 pubsub.subscribers: 'elsewhere' is not on_host or apart");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subscriber_servers: some\n",
                    "5:23 pubsub.subscriber_servers: 'some' is not home or all");
}

/* Subscribers apart: machines s1..sN beside their hosts, and the socket buffer size. */
static void test_scenario_pubsub_placement_keys(void)
{
    struct scenario *sc = parse_ok(BASE "pubsub:\n  subscribers: apart\n  socket_buffer: 16KiB\n");
    if (!sc)
        return;
    CU_ASSERT_TRUE(sc->pubsub.subscribers_apart);
    CU_ASSERT_EQUAL(sc->pubsub.socket_buffer, 16u << 10);
    CU_ASSERT_FALSE(sc->pubsub.subscribers_fail_over); /* the default: its own broker only */
    scenario_free(sc);
    sc = parse_ok(BASE "pubsub:\n  subscriber_servers: all\n");
    if (sc)
        CU_ASSERT_TRUE(sc->pubsub.subscribers_fail_over);
    scenario_free(sc);
}

/* The process lifetimes and the network jitter: distributions with measured defaults. */
static void test_scenario_timing_keys(void)
{
    struct scenario *sc = parse_ok(BASE "network: {jitter: 0}\n"
                                        "zab: {leader_load: 0, startup: 1s, teardown: 20ms}\n"
                                        "pubsub: {startup: 5ms, teardown: 1ms}\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->jitter.kind, DIST_FIXED);
        CU_ASSERT_EQUAL(sc->jitter.a, 0);
        CU_ASSERT_EQUAL(sc->zab.leader_load.a, 0);
        CU_ASSERT_EQUAL(sc->zab.startup.a, SIM_S);
        CU_ASSERT_EQUAL(sc->zab.teardown.a, 20 * SIM_MS);
        CU_ASSERT_EQUAL(sc->pubsub.startup.a, 5 * SIM_MS);
        CU_ASSERT_EQUAL(sc->pubsub.teardown.a, SIM_MS);
    }
    scenario_free(sc);
    sc = parse_ok(BASE);
    if (sc) {
        CU_ASSERT_EQUAL(sc->jitter.kind, DIST_EXPONENTIAL);
        CU_ASSERT_EQUAL(sc->jitter.a, 100 * SIM_US);
        CU_ASSERT_EQUAL(sc->zab.leader_load.kind, DIST_UNIFORM);
        CU_ASSERT_EQUAL(sc->zab.startup.b, 2600 * SIM_MS);
        CU_ASSERT_EQUAL(sc->zab.teardown.b, 150 * SIM_MS);
        CU_ASSERT_EQUAL(sc->pubsub.teardown.a, 0);
    }
    scenario_free(sc);
    EXPECT_PROBLEMS(BASE "network: {jitter: fast}\n",
                    "4:19 network.jitter: invalid duration 'fast'");
}

/* `jetstream:` left out: nats-server's and nats.go's defaults, 3 replicas where there are 3
 * hosts and 1 below that (a file that names no replicas must still load with 1 or 2 hosts). */
static void test_scenario_jetstream_defaults(void)
{
    struct scenario *sc = parse_ok(BASE);
    if (!sc)
        return;
    CU_ASSERT_EQUAL(sc->jetstream.replicas, 3);
    CU_ASSERT_EQUAL(sc->jetstream.sync_interval, 2 * 60 * SIM_S);
    CU_ASSERT_FALSE(sc->jetstream.sync_always);
    CU_ASSERT_EQUAL(sc->jetstream.ack_wait, 30 * SIM_S);
    CU_ASSERT_EQUAL(sc->jetstream.max_deliver, -1);
    CU_ASSERT_EQUAL(sc->jetstream.max_ack_pending, 1000);
    CU_ASSERT_EQUAL(sc->jetstream.duplicate_window, 2 * 60 * SIM_S);
    CU_ASSERT_EQUAL(sc->jetstream.publish_timeout, 5 * SIM_S);
    CU_ASSERT_EQUAL(sc->jetstream.publish_attempts, 3);
    CU_ASSERT_EQUAL(sc->jetstream.reconnect_wait, 2 * SIM_S);
    CU_ASSERT_EQUAL(sc->jetstream.startup.kind, DIST_UNIFORM);
    CU_ASSERT_EQUAL(sc->jetstream.startup.a, 2 * SIM_MS);
    CU_ASSERT_EQUAL(sc->jetstream.startup.b, 8 * SIM_MS);
    CU_ASSERT_EQUAL(sc->jetstream.teardown.kind, DIST_FIXED);
    CU_ASSERT_EQUAL(sc->jetstream.teardown.a, 0);
    CU_ASSERT_EQUAL(sc->jetstream.processing.kind, DIST_FIXED);
    CU_ASSERT_EQUAL(sc->jetstream.processing.a, 0);
    scenario_free(sc);
    static const struct {
        const char *yaml;
        uint32_t replicas;
    } by_hosts[] = {
        { BASE "hosts: 1\n", 1 },
        { BASE "hosts: [a, b]\njetstream:\n", 1 },
        { BASE "hosts: 4\njetstream: {ack_wait: 1s}\n", 3 },
        { BASE "hosts: 7\n", 3 },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(by_hosts); i++) {
        sc = parse_ok(by_hosts[i].yaml);
        if (sc)
            CU_ASSERT_EQUAL(sc->jetstream.replicas, by_hosts[i].replicas);
        scenario_free(sc);
    }
    sc = scenario_new_default("t", 2, 0);
    CU_ASSERT_EQUAL(sc->jetstream.replicas, 1);
    scenario_free(sc);
}

/* Every `jetstream:` key lands in its field, and the words: `always`, `unlimited`. */
static void test_scenario_jetstream_keys(void)
{
    struct scenario *sc = parse_ok(BASE "hosts: 5\n"
                                        "jetstream:\n"
                                        "  replicas: 5\n"
                                        "  sync_interval: 10s\n"
                                        "  ack_wait: 1500ms\n"
                                        "  max_deliver: 4\n"
                                        "  max_ack_pending: 20\n"
                                        "  duplicate_window: 100ms\n"
                                        "  publish_timeout: 750ms\n"
                                        "  publish_attempts: 100\n"
                                        "  reconnect_wait: 0\n"
                                        "  startup: {dist: uniform, min: 1ms, max: 3ms}\n"
                                        "  teardown: 5ms\n"
                                        "  processing: {dist: exponential, mean: 20us}\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->jetstream.replicas, 5);
        CU_ASSERT_EQUAL(sc->jetstream.sync_interval, 10 * SIM_S);
        CU_ASSERT_FALSE(sc->jetstream.sync_always);
        CU_ASSERT_EQUAL(sc->jetstream.ack_wait, 1500 * SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.max_deliver, 4);
        CU_ASSERT_EQUAL(sc->jetstream.max_ack_pending, 20);
        CU_ASSERT_EQUAL(sc->jetstream.duplicate_window, 100 * SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.publish_timeout, 750 * SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.publish_attempts, 100);
        CU_ASSERT_EQUAL(sc->jetstream.reconnect_wait, 0);
        CU_ASSERT_EQUAL(sc->jetstream.startup.kind, DIST_UNIFORM);
        CU_ASSERT_EQUAL(sc->jetstream.startup.a, SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.startup.b, 3 * SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.teardown.kind, DIST_FIXED);
        CU_ASSERT_EQUAL(sc->jetstream.teardown.a, 5 * SIM_MS);
        CU_ASSERT_EQUAL(sc->jetstream.processing.kind, DIST_EXPONENTIAL);
        CU_ASSERT_EQUAL(sc->jetstream.processing.a, 20 * SIM_US);
    }
    scenario_free(sc);
    sc = parse_ok(BASE "hosts: 1\n"
                       "jetstream: {replicas: 1, sync_interval: always, max_deliver: unlimited}\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->jetstream.replicas, 1);
        CU_ASSERT_TRUE(sc->jetstream.sync_always);
        CU_ASSERT_EQUAL(sc->jetstream.sync_interval, 0);
        CU_ASSERT_EQUAL(sc->jetstream.max_deliver, -1);
    }
    scenario_free(sc);
    sc = parse_ok(BASE "jetstream: {replicas: 3, max_deliver: 1}\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->jetstream.replicas, 3);
        CU_ASSERT_EQUAL(sc->jetstream.max_deliver, 1);
        CU_ASSERT_EQUAL(sc->jetstream.sync_interval, 2 * 60 * SIM_S); /* untouched */
    }
    scenario_free(sc);
}

/* `models:` as a string and as a list, flow or block; left out it is 0 and the run takes the
 * default set, every simulated model but the opt-in ones (jetstream), which `all` includes. */
static void test_scenario_models(void)
{
    unsigned zab = 1u << model_find("zab"), pubsub = 1u << model_find("pubsub"),
             jetstream = 1u << model_find("jetstream");
    CU_ASSERT_TRUE(model_get((model_id)model_find("jetstream"))->opt_in);
    CU_ASSERT_EQUAL(model_default(), zab | pubsub);
    CU_ASSERT_EQUAL(model_all(), zab | pubsub | jetstream);
    char bad[64];
    CU_ASSERT_EQUAL(model_parse_set("all", bad, sizeof bad), model_all());
    struct scenario *sc = parse_ok(BASE);
    if (sc) {
        CU_ASSERT_EQUAL(sc->models, 0u);
        CU_ASSERT_EQUAL(scenario_default_models(sc), zab | pubsub);
    }
    scenario_free(sc);
    static const struct {
        const char *yaml;
        const char *set;
    } cases[] = {
        { BASE "models: zab\n", "zab" },
        { BASE "models: zab,jetstream\n", "zab,jetstream" },
        { BASE "models: \"jetstream, pubsub\"\n", "pubsub,jetstream" },
        { BASE "models: [jetstream, zab]\n", "zab,jetstream" },
        { BASE "models:\n  - pubsub\n  - jetstream\n", "pubsub,jetstream" },
        { BASE "models: all\n", "zab,pubsub,jetstream" },
        { BASE "models: [all]\n", "zab,pubsub,jetstream" },
    };
    for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
        sc = parse_ok(cases[i].yaml);
        if (!sc)
            continue;
        char set[128];
        CU_ASSERT_STRING_EQUAL(model_format_set(sc->models, set, sizeof set), cases[i].set);
        CU_ASSERT_EQUAL(scenario_default_models(sc), sc->models);
        scenario_free(sc);
    }
}

/* Unknown names and models recorded from real systems, each where it is written, with the
 * names a run can take. */
static void test_scenario_bad_models(void)
{
    EXPECT_PROBLEMS(BASE "models: zab,kafka\n",
                    "4:9 models: no model named 'kafka' (the models: zab|pubsub|jetstream|all)");
    EXPECT_PROBLEMS(BASE "models: [zab, zab-real]\n",
                    "4:15 models: zab-real is recorded from the real system by zabsim conform; "
                    "it cannot be simulated (the models: zab|pubsub|jetstream|all)");
    EXPECT_PROBLEMS(BASE "models: pubsub-real\n",
                    "4:9 models: pubsub-real is recorded from the real system");
    /* Every bad name of a list, in file order. */
    EXPECT_PROBLEMS(BASE "models:\n  - kafka\n  - pubsub\n  - pubsub-real\n",
                    "5:5 models: no model named 'kafka'", "7:5 models: pubsub-real is recorded");
    EXPECT_PROBLEMS(BASE "models: zab,,pubsub\n", "4:9 models: no model named ''");
    EXPECT_PROBLEMS(BASE "models: []\n", "4:9 models: the list is empty");
    EXPECT_PROBLEMS(BASE "models: {zab: 1}\n", "4:9 models: expected model names");
    EXPECT_PROBLEMS(BASE "models: [[zab]]\n", "4:10 models: expected a string, not a list");
    EXPECT_PROBLEMS(BASE "models:\n", "4:8 models: missing value");
    EXPECT_PROBLEMS(BASE "model: zab\n", "4:1 unknown key 'model'; did you mean 'models'?");
}

static void test_scenario_bad_durations_and_units(void)
{
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: 20\n",
                    "3:11 duration: invalid duration '20': missing unit");
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: 20x\n",
                    "3:11 duration: invalid duration '20x': unknown unit 'x'");
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: -5s\n",
                    "3:11 duration: invalid duration '-5s': must not be negative");
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: 99999999999999s\n",
                    "3:11 duration: invalid duration '99999999999999s': too large");
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: 1000000m\n",
                    "3:11 duration: '1000000m' is longer than a scenario may use");
    EXPECT_PROBLEMS("name: t\ndescription: d\nduration: 0s\n",
                    "3:11 duration: must be greater than 0");
    EXPECT_PROBLEMS(BASE "zab:\n  tick: 0.5ns\n",
                    "5:9 zab.tick: invalid duration '0.5ns': not a whole number of nanoseconds");
    EXPECT_PROBLEMS(BASE "pubsub:\n  reconnect_buffer: 8MB\n",
                    "5:21 pubsub.reconnect_buffer: invalid size '8MB': unknown unit 'MB'");
    EXPECT_PROBLEMS(BASE "workload:\n  rate: 200\n",
                    "5:9 workload.rate: invalid rate '200': missing unit");
    EXPECT_PROBLEMS(BASE "pubsub:\n  consume_rate: 0/s\n",
                    "5:17 pubsub.consume_rate: a subscriber that consumes nothing");
    EXPECT_PROBLEMS(BASE "zab:\n  session_timeout: 60s\n",
                    "5:20 zab.session_timeout: 60s is outside the 2 to 20 ticks ZooKeeper "
                    "grants (4s..40s)");
}

static void test_scenario_bad_distributions(void)
{
    EXPECT_PROBLEMS(BASE "network:\n  latency: {dist: uniform, min: 3ms, max: 2ms}\n",
                    "5:43 network.latency: max must not be below min");
    EXPECT_PROBLEMS(BASE "network:\n  latency: {dist: gamma, mean: 1ms}\n",
                    "5:19 network.latency.dist: unknown distribution 'gamma'");
    EXPECT_PROBLEMS(BASE "network:\n  latency: {min: 1ms}\n",
                    "5:12 network.latency: missing required key 'dist'");
    EXPECT_PROBLEMS(BASE "disk:\n  fsync: {dist: fixed, value: 1ms, mean: 2ms}\n",
                    "5:36 disk.fsync: 'mean' does not apply to a fixed distribution (it takes "
                    "value)");
    EXPECT_PROBLEMS(BASE "disk:\n  fsync: {dist: normal, mean: 1ms}\n",
                    "5:10 disk.fsync: a normal distribution needs 'stddev'");
    EXPECT_PROBLEMS(BASE "disk:\n  fsync: {dist: exponential, mean: 0ms}\n",
                    "5:36 disk.fsync.mean: must be greater than 0");
    EXPECT_PROBLEMS(BASE "disk:\n  fsync: [2ms]\n",
                    "5:10 disk.fsync: expected a distribution such as");
}

static void test_scenario_bad_hosts(void)
{
    EXPECT_PROBLEMS(BASE "hosts: [a, b, a]\n", "4:15 hosts: 'a' is listed twice (first at 4:9)");
    EXPECT_PROBLEMS(BASE "hosts: [a, Leader, follower]\n",
                    "4:12 hosts: 'Leader' is not a valid host name",
                    "4:20 hosts: 'follower' is reserved");
    EXPECT_PROBLEMS(BASE "hosts: []\n", "4:8 hosts: the list is empty");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: h9}\n",
                    "5:21 faults[0].crash: unknown host 'h9' (hosts are h1..h3)");
    EXPECT_PROBLEMS(BASE "hosts: 1\nfaults:\n  - {at: 1s, crash: h2}\n",
                    "6:21 faults[0].crash: unknown host 'h2' (hosts are h1)");
    EXPECT_PROBLEMS(BASE "hosts: [a, b]\nworkload:\n  clients: 2\n  attach: [a, c]\n",
                    "7:15 workload.attach: unknown host 'c' (hosts are a, b)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_disk: {host: crashed, fsync: 1s, for: 1s}}\n",
                    "5:32 faults[0].slow_disk.host: 'crashed' is not a target here (expected one "
                    "host name, leader, follower, random or event_host)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_link: {from: leader, to: leader, "
                         "latency: 5ms, for: 1s}}\n",
                    "5:44 faults[0].slow_link.to: the same host as from");
}

static void test_scenario_fault_after_duration(void)
{
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 21s, heal: all}\n",
                    "5:10 faults[0].at: after the end of the run (duration: 20s)");
    EXPECT_PROBLEMS(BASE "faults:\n  - heal: all\n    at: 20.000000001s\n",
                    "6:9 faults[0].at: after the end of the run (duration: 20s)");
}

static void test_scenario_malformed_partitions(void)
{
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: [[h1, h2], [h2]]}\n",
                    "5:25 faults[0].partition: leaves out h3; every host belongs to exactly one "
                    "group",
                    "5:37 faults[0].partition: 'h2' is named twice (first at 5:31)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: [[h1, h2, h3]]}\n",
                    "5:25 faults[0].partition: a partition needs at least 2 groups");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: [[h1, h2, h3], []]}\n",
                    "5:40 faults[0].partition: each group is a non-empty list of host names, "
                    "not an empty list");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: [[h1], [h2, h9]]}\n",
                    "5:25 faults[0].partition: leaves out h3",
                    "5:37 faults[0].partition: unknown host 'h9'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: h1}\n",
                    "5:25 faults[0].partition: expected a list of groups");
}

static void test_scenario_malformed_faults(void)
{
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s}\n", "5:5 faults[0]: no action (one of crash,");
    EXPECT_PROBLEMS(BASE "faults:\n  - {crash: h1}\n",
                    "5:5 faults[0]: missing required key 'at'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: h1, restart: h1}\n",
                    "5:25 faults[0]: a fault has one action; this one has 'crash' and 'restart'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, pause: h1}\n",
                    "5:5 faults[0]: pause needs 'for'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: h1, for: 2s}\n",
                    "5:25 faults[0]: only pause takes 'for' here");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, heal: h1}\n",
                    "5:20 faults[0].heal: the only value is 'all'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, restart: leader}\n",
                    "5:23 faults[0].restart: 'leader' is not a target here (expected a host or "
                    "client machine name, crashed, event_host or a list of names)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: crashed}\n",
                    "5:21 faults[0].crash: 'crashed' is not a target here");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, isolate: [h1]}\n",
                    "5:23 faults[0].isolate: expected one host or client machine name, leader, "
                    "follower, random, holder or event_host");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: [h1, h1]}\n",
                    "5:26 faults[0].crash: 'h1' is listed twice (first at 5:22)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_link: {from: h1, to: h1, latency: 5ms, "
                    "for: 1s}}\n",
                    "5:40 faults[0].slow_link.to: the same host as from");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_disk: {host: h1, for: 1s}}\n",
                    "5:25 faults[0].slow_disk: missing required key 'fsync'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, explode: h1}\n", "5:5 faults[0]: no action",
                    "5:14 unknown key 'explode' in faults[0] (valid keys: crash, power_off,");
}

/* ---- client machines and recipes ------------------------------------------------------- */

/* Runs with recipes over every simulated model allowed, for the duration of a test: no model
 * backs a recipe yet (model_desc.recipe_kinds), so without this every recipe is refused. */
static void allow_recipes(bool allow)
{
    for (model_id id = 0; id < model_count(); id++) {
        if (model_get(id)->build)
            model_set_recipe_kinds_for_test(id, allow ? (1u << RECIPE_KIND_COUNT) - 1
                                                      : model_get(id)->recipe_kinds);
    }
}

static void check_target(const struct scenario_target *t, uint32_t n_hosts,
                         const uint32_t *hosts, uint32_t n_clients, const uint32_t *clients)
{
    CU_ASSERT_EQUAL(t->kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL_FATAL(t->n_hosts, n_hosts);
    CU_ASSERT_EQUAL_FATAL(t->n_clients, n_clients);
    for (uint32_t i = 0; i < n_hosts; i++)
        CU_ASSERT_EQUAL(t->hosts[i], hosts[i]);
    for (uint32_t i = 0; i < n_clients; i++)
        CU_ASSERT_EQUAL(t->clients[i], clients[i]);
}

/* Client machines c1..cN as fault targets, alone and in lists beside hosts. */
static void test_scenario_client_targets(void)
{
    struct scenario *sc = parse_ok(BASE "workload: {clients: 2}\n"
                                   "faults:\n"
                                   "  - {at: 1s, pause: c2, for: 500ms}\n"
                                   "  - {at: 2s, crash: c1}\n"
                                   "  - {at: 3s, power_off: [h2, c2, h3, c1]}\n"
                                   "  - {at: 4s, restart: [c1, c2]}\n"
                                   "  - {at: 5s, isolate: c1}\n"
                                   "  - {at: 6s, restart: crashed}\n"
                                   "  - {at: 7s, crash: h1}\n");
    if (!sc)
        return;
    CU_ASSERT_EQUAL(scenario_client_machines(sc), 2);
    CU_ASSERT_EQUAL_FATAL(sc->faults->len, 7);
    check_target(&fault_at(sc, 0)->target, 0, NULL, 1, (const uint32_t[]){ 1 });
    CU_ASSERT_EQUAL(fault_at(sc, 0)->kind, TRACE_FAULT_PAUSE);
    CU_ASSERT_EQUAL(fault_at(sc, 0)->duration, 500 * SIM_MS);
    check_target(&fault_at(sc, 1)->target, 0, NULL, 1, (const uint32_t[]){ 0 });
    check_target(&fault_at(sc, 2)->target, 2, (const uint32_t[]){ 1, 2 }, 2,
                 (const uint32_t[]){ 1, 0 });
    check_target(&fault_at(sc, 3)->target, 0, NULL, 2, (const uint32_t[]){ 0, 1 });
    check_target(&fault_at(sc, 4)->target, 0, NULL, 1, (const uint32_t[]){ 0 });
    CU_ASSERT_EQUAL(fault_at(sc, 5)->target.kind, SCENARIO_TARGET_CRASHED);
    check_target(&fault_at(sc, 6)->target, 1, (const uint32_t[]){ 0 }, 0, NULL);
    scenario_free(sc);

    /* A recipe's clients add client machines; holder needs a recipe. */
    allow_recipes(true);
    sc = parse_ok(BASE "workload: {clients: 2}\n"
                  "recipe: {kind: lock, backend: zab, clients: 5}\n"
                  "faults:\n"
                  "  - {at: 1s, crash: c5}\n"
                  "  - {at: 2s, crash: holder}\n"
                  "  - {at: 3s, power_off: holder}\n"
                  "  - {at: 4s, pause: holder, for: 1s}\n"
                  "  - {at: 5s, isolate: holder}\n"
                  "  - {on: {event: fsync}, crash: holder}\n");
    allow_recipes(false);
    if (!sc)
        return;
    CU_ASSERT_EQUAL(scenario_client_machines(sc), 5);
    CU_ASSERT_EQUAL_FATAL(sc->faults->len, 6);
    check_target(&fault_at(sc, 0)->target, 0, NULL, 1, (const uint32_t[]){ 4 });
    for (guint i = 1; i < 6; i++)
        CU_ASSERT_EQUAL(fault_at(sc, i)->target.kind, SCENARIO_TARGET_HOLDER);
    scenario_free(sc);
}

static void test_scenario_bad_client_targets(void)
{
    EXPECT_PROBLEMS(BASE "workload: {clients: 2}\nfaults:\n  - {at: 1s, pause: c3, for: 1s}\n",
                    "6:21 faults[0].pause: unknown client machine 'c3' (client machines are "
                    "c1..c2: one per workload or recipe client)");
    EXPECT_PROBLEMS(BASE "workload: {clients: 1}\nfaults:\n  - {at: 1s, crash: [h1, c2]}\n",
                    "6:26 faults[0].crash: unknown client machine 'c2' (client machines are c1:");
    EXPECT_PROBLEMS(BASE "workload: {clients: 0}\nfaults:\n  - {at: 1s, crash: c1}\n",
                    "6:21 faults[0].crash: unknown client machine 'c1' (the scenario has none:");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: c99999999999}\n",
                    "5:21 faults[0].crash: unknown client machine 'c99999999999'");
    /* Not of the form cN: an unknown host. */
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: c01}\n",
                    "5:21 faults[0].crash: unknown host 'c01' (hosts are h1..h3)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: [c1, h2, c1]}\n",
                    "5:30 faults[0].crash: 'c1' is listed twice (first at 5:22)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: holder}\n",
                    "5:21 faults[0].crash: 'holder' is the client holding a recipe's lock or "
                    "leadership, and this scenario has no recipe:");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, restart: holder}\n",
                    "5:23 faults[0].restart: 'holder' cannot be restarted: a crashed holder "
                    "holds nothing");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, isolate: [c1]}\n",
                    "5:23 faults[0].isolate: expected one host or client machine name");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, partition: [[h1, c1], [h2, h3]]}\n",
                    "5:31 faults[0].partition: 'c1' is a client machine; a partition names "
                    "hosts");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_disk: {host: c1, fsync: 1s, for: 1s}}\n",
                    "5:32 faults[0].slow_disk.host: 'c1' is a client machine; expected one host "
                    "name, leader, follower, random or event_host");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, slow_link: {from: c1, to: h1, latency: 5ms, "
                         "for: 1s}}\n",
                    "5:32 faults[0].slow_link.from: 'c1' is a client machine");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync, host: [h1, c1]}, crash: h1}\n",
                    "5:36 faults[0].on.host: 'c1' is a client machine; expected a host name, a "
                    "list of host names, leader, follower or any");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync}, crash: holder}\n",
                    "5:33 faults[0].crash: 'holder' is the client holding");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync, host: holder}, crash: h1}\n",
                    "5:31 faults[0].on.host: 'holder' is not a target here");
    /* Hosts may not be named like client machines or holder. */
    EXPECT_PROBLEMS(BASE "hosts: [a, c1, holder, c0]\n",
                    "4:12 hosts: 'c1' is reserved: it names a client machine",
                    "4:16 hosts: 'holder' is reserved: fault targets use it");
    /* When the client machines are unknown (a bad count), references to them are not
     * checked: the count's problem is the one to fix. */
    EXPECT_PROBLEMS(BASE "workload: {clients: many}\nfaults:\n  - {at: 1s, crash: c9}\n",
                    "4:21 workload.clients: expected a whole number, found 'many'");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: kafka, clients: 9}\nfaults:\n"
                         "  - {at: 1s, crash: c9}\n",
                    "4:31 recipe.backend: 'kafka' is not a simulated model");
    /* At most 64 client machines in one list. */
    GString *yaml = g_string_new(BASE "workload: {clients: 65}\nfaults:\n  - {at: 1s, crash: [");
    for (int i = 1; i <= 65; i++)
        g_string_append_printf(yaml, "%sc%d", i > 1 ? ", " : "", i);
    g_string_append(yaml, "]}\n");
    char *col = g_strdup_printf("6:%d faults[0].crash: a list names at most 64 client machines",
                                (int)(strstr(yaml->str, "c65") - strstr(yaml->str, "  - {")) +
                                    1);
    EXPECT_PROBLEMS(yaml->str, col);
    g_free(col);
    g_string_free(yaml, TRUE);
}

static void test_scenario_recipes(void)
{
    CU_ASSERT_STRING_EQUAL(recipe_kind_name(RECIPE_LOCK), "lock");
    CU_ASSERT_STRING_EQUAL(recipe_kind_name(RECIPE_ELECTION), "election");
    CU_ASSERT_STRING_EQUAL(recipe_kind_name(RECIPE_REGISTRY), "registry");
    CU_ASSERT_STRING_EQUAL(recipe_kind_name(RECIPE_KIND_COUNT), "?");
    unsigned zab = 1u << model_find("zab"), pubsub = 1u << model_find("pubsub"),
             jetstream = 1u << model_find("jetstream");
    allow_recipes(true);
    /* One mapping, every key. */
    struct scenario *sc = parse_ok(BASE "workload: {clients: 2}\n"
                                   "recipe: {kind: lock, backend: zab, clients: 4, hold: 1.5s, "
                                   "fencing: true, work_every: 50ms}\n");
    if (sc) {
        CU_ASSERT_EQUAL_FATAL(sc->n_recipes, 1);
        const struct scenario_recipe *r = &sc->recipes[0];
        CU_ASSERT_EQUAL(r->kind, RECIPE_LOCK);
        CU_ASSERT_EQUAL(r->backend, model_find("zab"));
        CU_ASSERT_EQUAL(r->clients, 4);
        CU_ASSERT_EQUAL(r->hold, 1500 * SIM_MS);
        CU_ASSERT_EQUAL(r->work_every, 50 * SIM_MS);
        CU_ASSERT_TRUE(r->fencing);
        CU_ASSERT_EQUAL(r->line, 5);
        CU_ASSERT_EQUAL(r->column, 9);
        CU_ASSERT_EQUAL(scenario_client_machines(sc), 4);
        CU_ASSERT_EQUAL(scenario_default_models(sc), zab | pubsub);
    }
    scenario_free(sc);
    /* A list, in block style, with the defaults; an opt-in backend joins the default set,
     * and so does a backend that `models:` leaves out. */
    sc = parse_ok(BASE "models: pubsub\n"
                  "workload: {clients: 5}\n"
                  "recipe:\n"
                  "  - kind: election\n"
                  "    backend: jetstream\n"
                  "    hold: 0\n"
                  "  - {kind: registry, backend: zab, fencing: false}\n");
    if (sc) {
        CU_ASSERT_EQUAL_FATAL(sc->n_recipes, 2);
        CU_ASSERT_EQUAL(sc->recipes[0].kind, RECIPE_ELECTION);
        CU_ASSERT_EQUAL(sc->recipes[0].backend, model_find("jetstream"));
        CU_ASSERT_EQUAL(sc->recipes[0].clients, 3);
        CU_ASSERT_EQUAL(sc->recipes[0].hold, 0);
        CU_ASSERT_EQUAL(sc->recipes[0].work_every, 100 * SIM_MS);
        CU_ASSERT_FALSE(sc->recipes[0].fencing);
        CU_ASSERT_EQUAL(sc->recipes[0].line, 7);
        CU_ASSERT_EQUAL(sc->recipes[1].kind, RECIPE_REGISTRY);
        CU_ASSERT_EQUAL(sc->recipes[1].hold, 2 * SIM_S);
        /* Each recipe on machines of its own: c1..c3, then c4..c6. */
        CU_ASSERT_EQUAL(sc->recipes[0].first_client, 0);
        CU_ASSERT_EQUAL(sc->recipes[1].first_client, 3);
        CU_ASSERT_EQUAL(scenario_client_machines(sc), 6);
        CU_ASSERT_EQUAL(sc->models, pubsub);
        CU_ASSERT_EQUAL(scenario_default_models(sc), zab | pubsub | jetstream);
    }
    scenario_free(sc);
    /* Written without a value: no recipe. */
    sc = parse_ok(BASE "recipe:\n");
    if (sc) {
        CU_ASSERT_EQUAL(sc->n_recipes, 0);
        CU_ASSERT_EQUAL(scenario_client_machines(sc), 3);
    }
    scenario_free(sc);
    allow_recipes(false);
}

static void test_scenario_bad_recipes(void)
{
    /* A backend without the kind (made so for the test: every model may back them all). */
    model_set_recipe_kinds_for_test((model_id)model_find("zab"), 1u << RECIPE_LOCK);
    EXPECT_PROBLEMS(BASE "recipe: {kind: registry, backend: zab}\n",
                    "4:35 recipe.backend: backend \"zab\" has no registry recipe in this "
                    "version");
    /* pub/sub runs every kind: made to run locks only, it refuses an election. */
    model_set_recipe_kinds_for_test((model_id)model_find("pubsub"), 1u << RECIPE_LOCK);
    EXPECT_PROBLEMS(BASE "recipe: [{kind: election, backend: pubsub}]\n",
                    "4:36 recipe[0].backend: backend \"pubsub\" has no election recipe in this "
                    "version");
    allow_recipes(true);
    model_set_recipe_kinds_for_test((model_id)model_find("pubsub"), 1u << RECIPE_REGISTRY);
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: pubsub}\n",
                    "4:31 recipe.backend: backend \"pubsub\" has no lock recipe");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lok, backend: zab}\n",
                    "4:16 recipe.kind: 'lok' is not a recipe (expected lock, election or "
                    "registry)");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: kafka}\n",
                    "4:31 recipe.backend: 'kafka' is not a simulated model (the models: "
                    "zab,pubsub,jetstream)");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab-real}\n",
                    "4:31 recipe.backend: 'zab-real' is not a simulated model");
    EXPECT_PROBLEMS(BASE "recipe: {backend: zab}\n", "4:9 recipe: missing required key 'kind'");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock}\n",
                    "4:9 recipe: missing required key 'backend'");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, clients: 0}\n",
                    "4:45 recipe.clients: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, clients: 1025}\n",
                    "4:45 recipe.clients: must be at most 1024");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, hold: -1s}\n",
                    "4:42 recipe.hold: invalid duration '-1s'");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, work_every: 0}\n",
                    "4:48 recipe.work_every: must be greater than 0");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, fencing: maybe}\n",
                    "4:45 recipe.fencing: expected true or false, not 'maybe'");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, fencing: }\n",
                    "4:45 recipe.fencing: missing value (expected true or false)");
    EXPECT_PROBLEMS(BASE "recipe: {kind: lock, backend: zab, holds: 1s}\n",
                    "4:36 unknown key 'holds' in recipe; did you mean 'hold'? (valid keys: "
                    "kind, backend, clients, hold, work_every, fencing, start)");
    EXPECT_PROBLEMS(BASE "recipe: lock\n", "4:9 recipe: expected a mapping such as {kind: lock, "
                    "backend: zab}, or a list of them, not a single value");
    EXPECT_PROBLEMS(BASE "recipe: []\n", "4:9 recipe: the list is empty");
    EXPECT_PROBLEMS(BASE "recipe: [lock]\n",
                    "4:10 recipe[0]: expected a mapping such as {kind: lock, backend: zab}, not "
                    "a single value");
    /* Every bad recipe of a list, in file order. */
    EXPECT_PROBLEMS(BASE "recipe:\n  - {kind: lock, backend: zab}\n  - {kind: lock}\n"
                         "  - {kind: vote, backend: zab}\n",
                    "6:5 recipe[1]: missing required key 'backend'",
                    "7:12 recipe[2].kind: 'vote' is not a recipe");
    GString *yaml = g_string_new(BASE "recipe:\n");
    for (int i = 0; i < SCENARIO_MAX_RECIPES + 1; i++)
        g_string_append(yaml, "  - {kind: lock, backend: zab}\n");
    EXPECT_PROBLEMS(yaml->str, "13:5 recipe: at most 8 recipes");
    g_string_free(yaml, TRUE);
    allow_recipes(false);
}

/* Triggers (`on:`): what is read, and every mistake reported where it was made. */
static void test_scenario_triggered_faults(void)
{
    static const char yaml[] =
        BASE "faults:\n"
        "  - {at: 9s, restart: crashed}\n"
        "  - on: {event: send, type: NEWLEADER, host: leader, peer: [h2, h3], model: zab}\n"
        "    count: 2\n"
        "    after: 5ms\n"
        "    power_off: event_host\n"
        "  - {on: {event: state, state: LEADING, phase: BROADCAST}, crash: leader}\n"
        "  - {on: {event: fsync, host: h2}, slow_disk: {host: event_host, fsync: 9ms, "
        "for: 1s}}\n"
        "  - {at: 2s, crash: h1}\n";
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL_FATAL(sc->faults->len, 5);
    /* Timed faults first, by time; triggered ones after them, in file order. */
    CU_ASSERT_EQUAL(fault_at(sc, 0)->at, 2 * SIM_S);
    CU_ASSERT_EQUAL(fault_at(sc, 0)->on.event, TRIGGER_NONE);
    CU_ASSERT_EQUAL(fault_at(sc, 1)->at, 9 * SIM_S);
    const struct scenario_fault *f = fault_at(sc, 2);
    CU_ASSERT_EQUAL(f->at, SCENARIO_AT_TRIGGER);
    CU_ASSERT_EQUAL(f->on.event, TRIGGER_SEND);
    CU_ASSERT_STRING_EQUAL(f->on.type, "NEWLEADER");
    CU_ASSERT_EQUAL(f->on.host.kind, SCENARIO_TARGET_LEADER);
    CU_ASSERT_EQUAL(f->on.peer.kind, SCENARIO_TARGET_HOSTS);
    CU_ASSERT_EQUAL(f->on.peer.n_hosts, 2);
    CU_ASSERT_EQUAL(f->on.model, model_find("zab"));
    CU_ASSERT_EQUAL(f->on.count, 2);
    CU_ASSERT_EQUAL(f->on.after, 5 * SIM_MS);
    CU_ASSERT_EQUAL(f->kind, TRACE_FAULT_POWER_OFF);
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_EVENT_HOST);
    f = fault_at(sc, 3);
    CU_ASSERT_EQUAL(f->on.event, TRIGGER_STATE);
    CU_ASSERT_STRING_EQUAL(f->on.state, "LEADING");
    CU_ASSERT_STRING_EQUAL(f->on.phase, "BROADCAST");
    CU_ASSERT_EQUAL(f->on.host.kind, SCENARIO_TARGET_ALL); /* any host */
    CU_ASSERT_EQUAL(f->on.model, -1);
    CU_ASSERT_EQUAL(f->on.count, 1);
    CU_ASSERT_EQUAL(f->on.after, 0);
    f = fault_at(sc, 4);
    CU_ASSERT_EQUAL(f->on.event, TRIGGER_FSYNC);
    CU_ASSERT_EQUAL(f->on.host.n_hosts, 1);
    CU_ASSERT_EQUAL(f->target.kind, SCENARIO_TARGET_EVENT_HOST);
    scenario_free(sc);
}

static void test_scenario_malformed_triggers(void)
{
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, on: {event: deliver}, crash: h1}\n",
                    "5:14 faults[0]: a fault fires either at a time ('at') or on an event");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, count: 2, crash: h1}\n",
                    "5:14 faults[0]: 'count' belongs to a fault triggered by an event ('on')");
    EXPECT_PROBLEMS(BASE "faults:\n  - {at: 1s, crash: event_host}\n",
                    "5:21 faults[0].crash: event_host is the host whose event fired a "
                    "triggered fault; this fault has no 'on'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: explode}, crash: h1}\n",
                    "5:18 faults[0].on.event: expected one of state, send, receive, deliver, "
                    "append, write or fsync");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {host: h1}, crash: h1}\n",
                    "5:10 faults[0].on: missing required key 'event'");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: send, type: NEWLEADR}, crash: h1}\n",
                    "5:30 faults[0].on.type: 'NEWLEADR' is not a simulated model's message "
                    "type (known: NOTIFICATION, FOLLOWERINFO,");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: send, type: PUB, model: zab}, crash: h1}\n",
                    "5:30 faults[0].on.type: 'PUB' is not a zab message type (known: "
                    "NOTIFICATION, FOLLOWERINFO, LEADERINFO, ACKEPOCH, DIFF, TRUNC, SNAP, "
                    "PROPOSAL, COMMIT, NEWLEADER, UPTODATE, ACK, PING, REQUEST, CONNECT, "
                    "CONNECT_RESPONSE, CREATE, CREATE_RESPONSE, CLIENT_PING, CLIENT_PONG, "
                    "REVALIDATE, CONNECT_SESSION, CONNECT_SESSION_RESPONSE, REQUEST_OP, REPLY, "
                    "WATCHER_EVENT, SET_WATCHES, RESOURCE_WRITE)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: state}, crash: h1}\n",
                    "5:10 faults[0].on: a state event needs 'state', 'phase' or both");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: state, state: LEADNG}, crash: h1}\n",
                    "5:32 faults[0].on.state: 'LEADNG' is not a simulated model's state (known: "
                    "DOWN, LOOKING, FOLLOWING, LEADING, SUBSCRIBED, "); /* then jetstream's */
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: deliver, type: ACK}, crash: h1}\n",
                    "5:27 faults[0].on: 'type' does not apply to a deliver event");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync, host: random}, crash: h1}\n",
                    "5:31 faults[0].on.host: 'random' is not a target here (expected a host "
                    "name, a list of host names, leader, follower or any)");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync, model: kafka}, crash: h1}\n",
                    "5:32 faults[0].on.model: 'kafka' is not a simulated model");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync}, count: 0, crash: h1}\n",
                    "5:33 faults[0].count: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync}, after: soon, crash: h1}\n",
                    "5:33 faults[0].after: invalid duration 'soon'");
}

/* Known ZooKeeper bugs: zab.variant names one, and a bug scenario's expect: names the
 * invariant it breaks. */
static void test_scenario_variants_and_expected_violations(void)
{
    static const char yaml[] = BASE "zab: {variant: zk-4646}\n"
                                    "expect:\n  zab: {invariants: {violated: agreement}}\n";
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", yaml, strlen(yaml), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_STRING_EQUAL(scenario_variant(sc), "zk-4646");
    CU_ASSERT_EQUAL(sc->zab.file_variant, sc->zab.variant);
    CU_ASSERT_STRING_EQUAL(expect_at(sc, 0)->violated, "agreement");
    CU_ASSERT_EQUAL(expect_at(sc, 0)->min, 1);
    /* --variant switches it off or to another bug; the file's stays known. */
    CU_ASSERT(scenario_set_variant(sc, "none", NULL));
    CU_ASSERT_PTR_NULL(scenario_variant(sc));
    CU_ASSERT_NOT_EQUAL(sc->zab.file_variant, sc->zab.variant);
    CU_ASSERT_FALSE(scenario_set_variant(sc, "zk-9999", &err));
    CU_ASSERT_PTR_NOT_NULL(err &&
                           strstr(err->message, "known: none, zk-1154, zk-2845, zk-3911, zk-4643, "
                                  "zk-4646, zk-4712"));
    g_clear_error(&err);
    scenario_free(sc);

    EXPECT_PROBLEMS(BASE "zab: {variant: zk-1}\n",
                    "4:16 zab.variant: 'zk-1' is not a known variant (known: none, zk-1154, "
                    "zk-2845, zk-3911, zk-4643, zk-4646, zk-4712)");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {invariants: {violated: harmony}}\n",
                    "5:32 expect.zab.invariants.violated: 'harmony' is not one of zab's "
                    "invariants (integrity, total_order, agreement,");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {invariants: {broken: agreement}}\n",
                    "5:21 expect.zab.invariants: missing required key 'violated'",
                    "5:22 unknown key 'broken' in expect.zab.invariants (valid keys: violated)");
}

/* `explore:`: defaults from the workload, the knobs, and their mistakes; a trigger's
 * from/until window. */
static void test_scenario_explore_section(void)
{
    static const char plain[] = BASE "workload: {start: 2s, stop: 10s}\n";
    GError *err = NULL;
    struct scenario *sc = scenario_parse("t.yaml", plain, strlen(plain), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(sc->explore.max_faults, 4);
    CU_ASSERT_EQUAL(sc->explore.from, 2 * SIM_S);
    CU_ASSERT_EQUAL(sc->explore.to, 8 * SIM_S); /* 3/4 of the workload */
    CU_ASSERT_EQUAL(sc->explore.triggers, 30);
    CU_ASSERT(sc->explore.kinds & (1u << TRACE_FAULT_CRASH));
    CU_ASSERT_FALSE(sc->explore.kinds & (1u << TRACE_FAULT_RESTART));
    scenario_free(sc);
    static const char set[] = BASE "explore: {faults: [crash, partition], max_faults: 9, "
                                   "from: 1s, to: 5s, triggers: 0}\n"
                                   "faults:\n  - {on: {event: fsync, from: 1s, until: 2s}, "
                                   "crash: h1}\n";
    sc = scenario_parse("t.yaml", set, strlen(set), &err);
    CU_ASSERT_PTR_NOT_NULL_FATAL(sc);
    CU_ASSERT_EQUAL(sc->explore.kinds, (1u << TRACE_FAULT_CRASH) | (1u << TRACE_FAULT_PARTITION));
    CU_ASSERT_EQUAL(sc->explore.max_faults, 9);
    CU_ASSERT_EQUAL(sc->explore.to, 5 * SIM_S);
    CU_ASSERT_EQUAL(sc->explore.triggers, 0);
    CU_ASSERT_EQUAL(fault_at(sc, 0)->on.from, SIM_S);
    CU_ASSERT_EQUAL(fault_at(sc, 0)->on.until, 2 * SIM_S);
    scenario_free(sc);
    EXPECT_PROBLEMS(BASE "explore: {faults: [restart]}\n",
                    "4:20 explore.faults: expected crash, power_off, partition, isolate, pause, "
                    "slow_link or slow_disk");
    EXPECT_PROBLEMS(BASE "explore: {to: 30s}\n", "4:15 explore.to: after the end of the run");
    EXPECT_PROBLEMS(BASE "explore: {from: 5s, to: 3s}\n",
                    "4:25 explore: from must not be after to");
    EXPECT_PROBLEMS(BASE "explore: {max_faults: 0}\n", "4:23 explore.max_faults:");
    EXPECT_PROBLEMS(BASE "faults:\n  - {on: {event: fsync, from: 2s, until: 1s}, crash: h1}\n",
                    "5:42 faults[0].on.until: before from");
}

/* `jetstream:`'s own rules: replicas 1, 3 or 5 and no more than hosts, a positive sync
 * interval or `always`, NATS's 100ms minimum Duplicates window, at least one delivery. */
static void test_scenario_bad_jetstream(void)
{
    EXPECT_PROBLEMS(BASE "jetstream:\n  replicas: 2\n",
                    "5:13 jetstream.replicas: must be 1, 3 or 5 (a Raft group of an odd size, at "
                    "most 5 as NATS allows)");
    EXPECT_PROBLEMS(BASE "jetstream:\n  replicas: 0\n",
                    "5:13 jetstream.replicas: must be 1, 3 or 5");
    EXPECT_PROBLEMS(BASE "hosts: 3\njetstream:\n  replicas: 5\n",
                    "6:13 jetstream.replicas: 5 replicas need at least 5 hosts; the scenario "
                    "has 3");
    EXPECT_PROBLEMS(BASE "hosts: [a, b]\njetstream: {replicas: 3}\n",
                    "5:23 jetstream.replicas: 3 replicas need at least 3 hosts; the scenario "
                    "has 2");
    /* With the hosts wrong, only they are reported. */
    EXPECT_PROBLEMS(BASE "hosts: 0\njetstream: {replicas: 5}\n",
                    "4:8 hosts: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "jetstream:\n  sync_interval: 0\n",
                    "5:18 jetstream.sync_interval: must be greater than 0, or always");
    EXPECT_PROBLEMS(BASE "jetstream:\n  sync_interval: sometimes\n",
                    "5:18 jetstream.sync_interval: invalid duration 'sometimes'");
    EXPECT_PROBLEMS(BASE "jetstream:\n  duplicate_window: 50ms\n",
                    "5:21 jetstream.duplicate_window: must be at least 100ms, NATS's minimum");
    EXPECT_PROBLEMS(BASE "jetstream:\n  max_deliver: 0\n",
                    "5:16 jetstream.max_deliver: must be at least 1, or unlimited");
    EXPECT_PROBLEMS(BASE "jetstream:\n  max_deliver: -1\n",
                    "5:16 jetstream.max_deliver: must not be negative");
    EXPECT_PROBLEMS(BASE "jetstream:\n  ack_wait: 0\n",
                    "5:13 jetstream.ack_wait: must be greater than 0");
    EXPECT_PROBLEMS(BASE "jetstream:\n  publish_timeout: 0s\n",
                    "5:20 jetstream.publish_timeout: must be greater than 0");
    EXPECT_PROBLEMS(BASE "jetstream:\n  max_ack_pending: 0\n",
                    "5:20 jetstream.max_ack_pending: must be at least 1, found 0");
    EXPECT_PROBLEMS(BASE "jetstream:\n  publish_attempts: 101\n",
                    "5:21 jetstream.publish_attempts: must be at most 100, found 101");
    EXPECT_PROBLEMS(BASE "jetstream:\n  reconnect_wait: -1s\n",
                    "5:19 jetstream.reconnect_wait: invalid duration '-1s': must not be "
                    "negative");
    EXPECT_PROBLEMS(BASE "jetstream:\n  teardown: {dist: fixed}\n",
                    "5:13 jetstream.teardown: a fixed distribution needs 'value'");
    EXPECT_PROBLEMS(BASE "jetstream:\n  replica: 3\n",
                    "5:3 unknown key 'replica' in jetstream; did you mean 'replicas'?");
    EXPECT_PROBLEMS(BASE "jetstream: 3\n", "4:12 jetstream: expected a mapping");
    /* Every problem of the section, in file order. */
    EXPECT_PROBLEMS(BASE "jetstream:\n  max_deliver: 0\n  replicas: 4\n  sync_interval: 0\n",
                    "5:16 jetstream.max_deliver:", "6:13 jetstream.replicas:",
                    "7:18 jetstream.sync_interval:");
}

static void test_scenario_bad_subjects(void)
{
    EXPECT_PROBLEMS(BASE "pubsub:\n  subject: users.*\n",
                    "5:12 pubsub.subject: 'users.*' must be a literal subject");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subject: users..signup\n",
                    "5:12 pubsub.subject: 'users..signup' has an empty token");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subject: .users\n", "5:12 pubsub.subject: '.users' has an "
                    "empty token");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subject: 'users. signup'\n",
                    "5:12 pubsub.subject: 'users. signup' must not contain whitespace");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subscribe: users.>.x\n",
                    "5:14 pubsub.subscribe: 'users.>.x' may use '>' only as the last token");
    EXPECT_PROBLEMS(BASE "pubsub:\n  queue_group: 'a b'\n",
                    "5:16 pubsub.queue_group: 'a b' must not contain whitespace");
    EXPECT_PROBLEMS(BASE "pubsub:\n  queue_group: '*'\n",
                    "5:16 pubsub.queue_group: '*' must be a literal subject");
    EXPECT_PROBLEMS(BASE "pubsub:\n  queue_group: ''\n",
                    "5:16 pubsub.queue_group: '' must not be empty");
    struct scenario *sc = parse_ok(BASE "pubsub: {subject: 'a*.b>', subscribe: '*.*'}\n");
    scenario_free(sc);
}

static void test_scenario_bad_workload(void)
{
    EXPECT_PROBLEMS(BASE "workload:\n  rate: 0/s\n",
                    "5:9 workload.rate: must be greater than 0 when there are clients");
    EXPECT_PROBLEMS(BASE "workload:\n  rate: unlimited\n",
                    "5:9 workload.rate: clients need a finite rate");
    EXPECT_PROBLEMS(BASE "workload:\n  start: 5s\n  stop: 5s\n",
                    "5:10 workload.start (5s) must be before workload.stop (5s)");
    EXPECT_PROBLEMS(BASE "workload:\n  stop: 25s\n",
                    "5:9 workload.stop: after the end of the run (duration: 20s)");
    EXPECT_PROBLEMS(BASE "workload:\n  start: 20s\n",
                    "5:10 workload.start (20s) must be before workload.stop (20s, the run's "
                    "duration)");
    EXPECT_PROBLEMS(BASE "workload:\n  clients: 2\n  attach: [h1]\n",
                    "6:11 workload.attach: 1 entries for 2 clients (one host per client)");
    EXPECT_PROBLEMS(BASE "workload:\n  payload: 2MiB\n",
                    "5:12 workload.payload: at most 1048576 bytes");
}

static void test_scenario_bad_expect(void)
{
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {lsot: 0}\n",
                    "5:9 unknown key 'lsot' in expect.zab; did you mean 'lost'? (valid keys: "
                    "submitted, acked, failed, unknown, delivered, lost, lost_in_transit, "
                    "missed_while_down, duplicates, redeliveries, order_disagreements, "
                    "ack_p50_ns, ack_p99_ns, ack_max_ns, delivery_p50_ns, delivery_p99_ns, "
                    "delivery_max_ns, restarts, catchup_max_ns, never_caught_up, "
                    "unavailable_ns, leader_changes, acquisitions, writes_accepted, "
                    "writes_refused, exclusion_violations, overlap_ns, failover_ns, stale_ns, "
                    "invariants)");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {delivery_p99: 5ms}\n",
                    "5:9 unknown key 'delivery_p99' in expect.zab; did you mean "
                    "'delivery_p99_ns'?");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {latency_p99_ns: 5ms}\n",
                    "5:9 expect.zab.latency_p99_ns: this measure is now two: use "
                    "delivery_p99_ns (submission to delivery) or ack_p99_ns (to the client's "
                    "acknowledgement)");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {throughput: 5}\n",
                    "5:9 unknown key 'throughput' in expect.zab (valid keys: submitted,");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {invariants: broken}\n",
                    "5:21 expect.zab.invariants: expected 'hold' or {violated: INVARIANT}");
    EXPECT_PROBLEMS(BASE "expect:\n  pubsub: {lost: {min: 5, max: 1}}\n",
                    "5:32 expect.pubsub.lost: max must not be below min");
    EXPECT_PROBLEMS(BASE "expect:\n  pubsub: {lost: {}}\n",
                    "5:18 expect.pubsub.lost: give min, max or both");
    EXPECT_PROBLEMS(BASE "expect:\n  kafka: {lost: 0}\n",
                    "5:3 unknown key 'kafka' in expect (valid keys: zab, pubsub, jetstream)");
    EXPECT_PROBLEMS(BASE "expect:\n  zab: {lost: -1}\n",
                    "5:15 expect.zab.lost: must not be negative");
    EXPECT_PROBLEMS(BASE "expect:\n  pubsub: {invariants: hold}\n",
                    "5:12 expect.pubsub.invariants: pub/sub makes no ordering promises");
}

static void test_scenario_required_keys_and_name(void)
{
    EXPECT_PROBLEMS("seed: 1\n", "1:1 missing required key 'name'",
                    "1:1 missing required key 'description'",
                    "1:1 missing required key 'duration'");
    EXPECT_PROBLEMS("name: Bad Name\ndescription: d\nduration: 1s\n",
                    "1:7 name: 'Bad Name' may only use a-z, 0-9, _ and -");
    EXPECT_PROBLEMS("name: t\ndescription: '  '\nduration: 1s\n",
                    "2:14 description: must not be empty");
}

/* ---- hostile and broken input ---------------------------------------------------------------- */

static void test_scenario_empty_and_not_a_mapping(void)
{
    EXPECT_PROBLEMS("", "1:1 empty scenario");
    EXPECT_PROBLEMS("# just a comment\n\n", "1:1 empty scenario");
    EXPECT_PROBLEMS("---\n", "1:1 empty scenario");
    EXPECT_PROBLEMS("- a\n- b\n", "1:1 the top level must be a mapping of keys");
    EXPECT_PROBLEMS("\n  hello\n", "2:3 the top level must be a mapping of keys (name:, "
                    "description:, duration:, ...), not a single value");
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(parse("", &err));
    CU_ASSERT_STRING_EQUAL(err ? err->message : "", "t.yaml:1:1: empty scenario");
    g_clear_error(&err);
}

static void test_scenario_yaml_syntax_errors(void)
{
    EXPECT_PROBLEMS(BASE "seed: a: b\n",
                    "4:8 YAML syntax error: mapping values are not allowed in this context");
    EXPECT_PROBLEMS(BASE "hosts: [a, b\nseed: 1\n",
                    "5:5 YAML syntax error: did not find expected ',' or ']' (while parsing a "
                    "flow sequence at 4:8)");
    EXPECT_PROBLEMS("name: t\n\tdescription: d\n",
                    "2:1 YAML syntax error: found a tab character that violates indentation");
}

static void test_scenario_binary_input(void)
{
    static const char nul[] = "name: t\0x\n";
    EXPECT_PROBLEMS_LEN(nul, sizeof nul - 1, "1:8 NUL byte: a scenario is a text file");
    EXPECT_PROBLEMS("name: \xc3\x28\n", "1:7 invalid UTF-8 (byte 0xC3)");
    /* Columns count characters, as libyaml's do: the "é" is one. */
    EXPECT_PROBLEMS("name: t\ndescription: caf\xc3\xa9 \xff\n", "2:19 invalid UTF-8 (byte 0xFF)");
    EXPECT_PROBLEMS("name: \xed\xa0\x80\n", "1:7 invalid UTF-8 (byte 0xED)"); /* surrogate */
    EXPECT_PROBLEMS("name: \x1b[0m\n", "1:7 control character U+001B is not allowed");
    EXPECT_PROBLEMS("name: t\r\ndescription: \x7f\r\n", "2:14 control character U+007F");
    EXPECT_PROBLEMS(BASE "pubsub:\n  subject: \"a\\0b\"\n",
                    "5:12 strings must not contain NUL characters");
}

static void test_scenario_aliases_rejected(void)
{
    EXPECT_PROBLEMS(BASE "seed: &s 5\nhosts: *s\n",
                    "5:8 aliases are not supported (*s): write the value out");
    EXPECT_PROBLEMS(BASE "zab: &z {tick: 1s}\nhosts: [*z, *z]\n",
                    "5:9 aliases are not supported (*z and 1 more): write the values out");
}

static void test_scenario_deep_nesting_rejected(void)
{
    /* The top-level mapping is level 1, so 31 brackets reach level 32 and are accepted
     * by the tree; the 32nd bracket is level 33. */
    GString *ok32 = g_string_new(BASE "zab: ");
    for (int i = 0; i < 31; i++)
        g_string_append_c(ok32, '[');
    for (int i = 0; i < 31; i++)
        g_string_append_c(ok32, ']');
    EXPECT_PROBLEMS(ok32->str, "4:6 zab: expected a mapping");
    g_string_free(ok32, TRUE);

    GString *deep = g_string_new(BASE "zab: ");
    /* A megabyte of brackets: libyaml would take hours to scan it to the end. */
    for (int i = 0; i < SCENARIO_MAX_FILE_BYTES / 2 - 40; i++)
        g_string_append_c(deep, '[');
    for (int i = 0; i < SCENARIO_MAX_FILE_BYTES / 2 - 40; i++)
        g_string_append_c(deep, ']');
    /* Reading stops there: a partial tree would only add noise. */
    EXPECT_PROBLEMS(deep->str, "4:37 nesting deeper than 32 levels is not supported");
    g_string_free(deep, TRUE);
}

static void test_scenario_multiple_documents(void)
{
    EXPECT_PROBLEMS(BASE "---\nname: u\n---\nname: v\n",
                    "4:1 a scenario file holds one YAML document; this starts another");
    /* Problems in the first document are still reported. */
    EXPECT_PROBLEMS(BASE "seed: x\n---\n", "4:7 seed: expected a whole number, found 'x'",
                    "5:1 a scenario file holds one YAML document");
}

static void test_scenario_size_limit(void)
{
    size_t len = SCENARIO_MAX_FILE_BYTES + 1;
    char *big = g_malloc(len);
    memset(big, '#', len);
    EXPECT_PROBLEMS_LEN(big, len, "1:1 file is larger than 1 MiB");
    /* Exactly the limit is read (and is only a comment). */
    big[len - 2] = '\n';
    EXPECT_PROBLEMS_LEN(big, len - 1, "1:1 empty scenario");
    g_free(big);
}

/* ---- all problems at once -------------------------------------------------------------------- */

static void test_scenario_reports_every_problem_in_file_order(void)
{
    /* Sections are read in dependency order (faults before expect, hosts before faults),
     * whatever the file's order; the report is still in file order. */
    EXPECT_PROBLEMS("expect:\n  zab: {lost: x}\n"
                    "faults:\n  - {at: 30s, crash: h7}\n"
                    "hosts: 3\n"
                    "duration: 20s\n"
                    "name: Bad\n"
                    "zab: {tick: 1}\n",
                    "1:1 missing required key 'description'",
                    "2:15 expect.zab.lost: expected a whole number, found 'x'",
                    "4:10 faults[0].at: after the end of the run (duration: 20s)",
                    "4:22 faults[0].crash: unknown host 'h7'",
                    "7:7 name: 'Bad' may only use",
                    "8:13 zab.tick: invalid duration '1': missing unit");
}

static void test_scenario_problem_count_is_capped(void)
{
    GString *s = g_string_new(BASE);
    for (int i = 0; i < 150; i++)
        g_string_append_printf(s, "unknown_%d: 1\n", i);
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(parse(s->str, &err));
    char **lines = g_strsplit(err ? err->message : "", "\n", -1);
    CU_ASSERT_EQUAL(g_strv_length(lines), 101);
    CU_ASSERT_STRING_EQUAL(lines[100], "t.yaml: 50 more problems not shown");
    g_strfreev(lines);
    g_clear_error(&err);
    g_string_free(s, TRUE);
}

/* Every line of a rejection is "PATH:LINE:COLUMN: message" (or "PATH: message"). */
static bool well_formed(const char *path, const char *message)
{
    char **lines = g_strsplit(message, "\n", -1);
    bool ok = lines[0] != NULL;
    for (char **l = lines; ok && *l; l++) {
        ok = g_str_has_prefix(*l, path) && (*l)[strlen(path)] == ':';
        const char *p = *l + strlen(path) + 1;
        if (ok && g_ascii_isdigit(*p)) {
            int line = 0, column = 0, used = 0;
            ok = sscanf(p, "%d:%d: %n", &line, &column, &used) == 2 && used > 0 && line >= 1 &&
                 column >= 1 && p[used] != '\0';
        }
    }
    g_strfreev(lines);
    return ok;
}

static void test_scenario_bad_fixtures_all_rejected(void)
{
    const char *dir_path = test_source_path("tests/scenarios_bad");
    char *dir_copy = g_strdup(dir_path);
    GDir *dir = g_dir_open(dir_copy, 0, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(dir);
    int n = 0;
    for (const char *name; (name = g_dir_read_name(dir));) {
        if (!g_str_has_suffix(name, ".yaml"))
            continue;
        char *path = g_build_filename(dir_copy, name, NULL);
        GError *err = NULL;
        struct scenario *sc = scenario_load(path, &err);
        bool ok = !sc && err && well_formed(path, err->message);
        if (!ok)
            fprintf(stderr, "\n  %s: %s\n", name, err ? err->message : "accepted");
        CU_ASSERT(ok);
        scenario_free(sc);
        g_clear_error(&err);
        g_free(path);
        n++;
    }
    CU_ASSERT(n >= 10);
    g_dir_close(dir);
    g_free(dir_copy);
}

static void test_scenario_billion_laughs_rejected(void)
{
    /* Expanding it would build 10^9 nodes; rejecting aliases means never expanding. */
    char *path = g_strdup(test_source_path("tests/scenarios_bad/billion_laughs.yaml"));
    GError *err = NULL;
    struct scenario *sc = scenario_load(path, &err);
    CU_ASSERT_PTR_NULL(sc);
    CU_ASSERT_PTR_NOT_NULL_FATAL(err);
    char *want = g_strdup_printf("%s:6:8: aliases are not supported (*a and 79 more)", path);
    CU_ASSERT_PTR_NOT_NULL(strstr(err->message, want));
    g_free(want);
    g_clear_error(&err);
    g_free(path);
}

static void test_scenario_load_reads_files(void)
{
    GError *err = NULL;
    CU_ASSERT_PTR_NULL(scenario_load("/nonexistent/x.yaml", &err));
    CU_ASSERT_STRING_EQUAL(err ? err->message : "",
                           "/nonexistent/x.yaml: cannot read: No such file or directory");
    CU_ASSERT(err && err->code == ZS_ERROR_INPUT);
    g_clear_error(&err);
    CU_ASSERT_PTR_NULL(scenario_load("/", &err));
    CU_ASSERT(err && g_str_has_prefix(err->message, "/: cannot read: "));
    g_clear_error(&err);

    char *dir = g_dir_make_tmp("zabsim-scenario-XXXXXX", NULL);
    char *path = g_build_filename(dir, "full.yaml", NULL);
    CU_ASSERT_TRUE(g_file_set_contents(path, full_yaml, -1, NULL));
    struct scenario *sc = scenario_load(path, &err);
    CU_ASSERT_PTR_NOT_NULL(sc);
    if (sc) {
        CU_ASSERT_STRING_EQUAL(sc->path, path);
        CU_ASSERT_STRING_EQUAL(sc->text, full_yaml);
    }
    scenario_free(sc);
    g_unlink(path);
    g_rmdir(dir);
    g_free(path);
    g_free(dir);
}

/* ---- robustness ------------------------------------------------------------------------------ */

static void parse_must_not_crash(const char *text, size_t len)
{
    GError *err = NULL;
    struct scenario *sc = scenario_parse("r.yaml", text, len, &err);
    bool ok = sc ? err == NULL : err && well_formed("r.yaml", err->message);
    if (!ok)
        fprintf(stderr, "\n  bad outcome for %zu bytes: %s\n", len, err ? err->message : "");
    CU_ASSERT(ok);
    scenario_free(sc);
    g_clear_error(&err);
}

static void test_scenario_random_bytes_never_crash(void)
{
    struct rng r;
    rng_init(&r, 20240601, "test_scenario/random");
    char buf[512];
    for (int i = 0; i < 3000; i++) {
        size_t len = (size_t)rng_below(&r, sizeof buf);
        for (size_t j = 0; j < len; j++)
            buf[j] = (char)rng_below(&r, 256);
        parse_must_not_crash(buf, len);
    }
}

static void test_scenario_mutations_never_crash(void)
{
    /* Mutating a valid file reaches much deeper into the loader than random bytes do. */
    static const char alphabet[] = "[]{}:,-&*!|>'\"#\n .0123456789abhsm_\t";
    struct rng r;
    rng_init(&r, 20240602, "test_scenario/mutate");
    size_t len = sizeof full_yaml - 1;
    char *buf = g_malloc(len);
    for (int i = 0; i < 3000; i++) {
        memcpy(buf, full_yaml, len);
        int edits = 1 + (int)rng_below(&r, 4);
        for (int e = 0; e < edits; e++)
            buf[rng_below(&r, len)] = alphabet[rng_below(&r, sizeof alphabet - 1)];
        parse_must_not_crash(buf, len);
    }
    for (size_t cut = 0; cut < len; cut += 3)
        parse_must_not_crash(full_yaml, cut);
    g_free(buf);
}

/* ---- zabsim validate ------------------------------------------------------------------------- */

static int run_validate(const char *const *files, char **out, char **err)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, "validate");
    for (; *files; files++)
        g_ptr_array_add(argv, (gpointer)*files);
    g_ptr_array_add(argv, NULL);
    int status = test_zabsim((const char *const *)argv->pdata, out, err);
    g_ptr_array_free(argv, TRUE);
    return status;
}

static void test_scenario_validate_command(void)
{
    char *dir = g_dir_make_tmp("zabsim-validate-XXXXXX", NULL);
    char *good = g_build_filename(dir, "good.yaml", NULL);
    char *bad = g_strdup(test_source_path("tests/scenarios_bad/several_errors.yaml"));
    CU_ASSERT_TRUE_FATAL(g_file_set_contents(good, full_yaml, -1, NULL));
    char *out = NULL, *err = NULL;

    CU_ASSERT_EQUAL(run_validate((const char *[]){ good, NULL }, &out, &err), 0);
    char *want = g_strdup_printf("%s: ok\n", good);
    CU_ASSERT_STRING_EQUAL(out, want);
    CU_ASSERT_STRING_EQUAL(err, "");
    g_free(want);
    g_free(out);
    g_free(err);

    CU_ASSERT_EQUAL(run_validate((const char *[]){ good, bad, NULL }, &out, &err), 2);
    char **lines = g_strsplit(err, "\n", -1);
    bool nine = g_strv_length(lines) == 9; /* 8 problems and the final newline */
    CU_ASSERT_TRUE(nine);
    char *first = g_strdup_printf("%s:2:7: name: 'Several Errors' may only use", bad);
    char *last = g_strdup_printf("%s:15:37: faults[2].partition: 'h2' is named twice", bad);
    CU_ASSERT_TRUE(nine && g_str_has_prefix(lines[0], first));
    CU_ASSERT_TRUE(nine && g_str_has_prefix(lines[7], last));
    CU_ASSERT_TRUE(well_formed(bad, g_strchomp(err)));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, ": ok\n"));
    CU_ASSERT_PTR_NULL(strstr(out, bad));
    g_strfreev(lines);
    g_free(first);
    g_free(last);
    g_free(out);
    g_free(err);

    CU_ASSERT_EQUAL(run_validate((const char *[]){ NULL }, &out, &err), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(err, "no scenario file given"));
    g_free(out);
    g_free(err);
    CU_ASSERT_EQUAL(run_validate((const char *[]){ "--help", NULL }, &out, &err), 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "zabsim validate"));
    CU_ASSERT_PTR_NOT_NULL(strstr(out, "SCENARIO.yaml"));
    g_free(out);
    g_free(err);
    CU_ASSERT_EQUAL(run_validate((const char *[]){ "--bogus", NULL }, &out, &err), 2);
    g_free(out);
    g_free(err);

    g_unlink(good);
    g_rmdir(dir);
    g_free(good);
    g_free(bad);
    g_free(dir);
}

/* zabsim shrink's edits: a plain value or a flow-style collection is replaced in place
 * (comments and the rest of the line kept, a bracket inside quotes not counted), a
 * block-style value is refused, a flow-style fault's time becomes a trigger, and a fault is
 * dropped with its lines. */
static void test_scenario_text_edits(void)
{
    const char *text = "name: t\n"
                       "hosts: 5   # five\n"
                       "network:\n"
                       "  latency: {dist: uniform, min: 0.5ms, max: 2ms}  # wide\n"
                       "workload:\n"
                       "  clients: 3\n"
                       "zab: {variant: \"zk-}\"}\n"
                       "faults:\n"
                       "  - {at: 1s, crash: h1}\n"
                       "  - at: 2s\n"
                       "    restart: h1\n"
                       "expect:\n"
                       "  zab: {lost: 0}\n";
    GError *err = NULL;
    char *t = scenario_text_set(text, NULL, "hosts", "3", &err);
    CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "\nhosts: 3   # five\n"));
    g_free(t);
    t = scenario_text_set(text, "network", "latency", "{dist: fixed, value: 1ms}", &err);
    CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "  latency: {dist: fixed, value: 1ms}  # wide\n"));
    g_free(t);
    t = scenario_text_set(text, NULL, "zab", "{}", &err);
    CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "\nzab: {}\nfaults:"));
    g_free(t);
    CU_ASSERT_PTR_NULL(scenario_text_set(text, NULL, "workload", "{clients: 1}", &err));
    CU_ASSERT_PTR_NOT_NULL(err && strstr(err->message, "workload is not written as a plain "
                                                        "value or a flow-style collection"));
    g_clear_error(&err);
    t = scenario_text_fault_on(text, 9, 5, "on: {event: state, state: LEADING}, after: 5ms",
                               &err);
    CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "\n  - {on: {event: state, state: LEADING}, after: "
                                          "5ms, crash: h1}\n"));
    g_free(t);
    CU_ASSERT_PTR_NULL(scenario_text_fault_on(text, 10, 5, "on: {}", &err)); /* block style */
    g_clear_error(&err);
    CU_ASSERT_EQUAL(scenario_text_faults(text), 2);
    t = scenario_text_drop_fault(text, 1, &err);
    CU_ASSERT_PTR_NOT_NULL(t && strstr(t, "crash: h1}\nexpect:") && !strstr(t, "restart"));
    g_free(t);
}

void test_register(void)
{
    TEST_SUITE("scenario_valid", TEST(test_scenario_full_fills_every_field),
               TEST(test_scenario_faults_in_time_then_file_order),
               TEST(test_scenario_triggered_faults),
               TEST(test_scenario_expect_entries), TEST(test_scenario_defaults),
               TEST(test_scenario_small_forms_and_null_sections),
               TEST(test_scenario_load_reads_files), TEST(test_scenario_pubsub_placement_keys),
               TEST(test_scenario_timing_keys), TEST(test_scenario_jetstream_defaults),
               TEST(test_scenario_jetstream_keys), TEST(test_scenario_models),
               TEST(test_scenario_client_targets), TEST(test_scenario_recipes));
    TEST_SUITE("scenario_problems", TEST(test_scenario_unknown_and_duplicate_keys),
               TEST(test_scenario_wrong_types), TEST(test_scenario_bad_numbers),
               TEST(test_scenario_bad_durations_and_units),
               TEST(test_scenario_bad_distributions), TEST(test_scenario_bad_hosts),
               TEST(test_scenario_fault_after_duration),
               TEST(test_scenario_malformed_partitions), TEST(test_scenario_malformed_faults),
               TEST(test_scenario_malformed_triggers),
               TEST(test_scenario_bad_client_targets), TEST(test_scenario_bad_recipes),
               TEST(test_scenario_variants_and_expected_violations),
               TEST(test_scenario_explore_section), TEST(test_scenario_bad_jetstream),
               TEST(test_scenario_bad_models),
               TEST(test_scenario_bad_subjects), TEST(test_scenario_bad_workload),
               TEST(test_scenario_bad_expect), TEST(test_scenario_required_keys_and_name),
               TEST(test_scenario_reports_every_problem_in_file_order),
               TEST(test_scenario_problem_count_is_capped));
    TEST_SUITE("scenario_hostile", TEST(test_scenario_empty_and_not_a_mapping),
               TEST(test_scenario_yaml_syntax_errors), TEST(test_scenario_binary_input),
               TEST(test_scenario_aliases_rejected), TEST(test_scenario_deep_nesting_rejected),
               TEST(test_scenario_multiple_documents), TEST(test_scenario_size_limit),
               TEST(test_scenario_bad_fixtures_all_rejected),
               TEST(test_scenario_billion_laughs_rejected),
               TEST(test_scenario_random_bytes_never_crash),
               TEST(test_scenario_mutations_never_crash), TEST(test_scenario_text_edits));
    TEST_SUITE("scenario_cli", TEST(test_scenario_validate_command));
}
