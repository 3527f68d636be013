/* test_recipes_jetstream.c: the coordination recipes over the JetStream-style key-value
 * bucket (docs/recipes.md, "The recipes over the JetStream-style key-value bucket"). The
 * bucket alone, driven request by request: of two Creates of one key at the same instant
 * exactly one wins, Update and Delete are compare-and-set on the revision, Create goes
 * through a delete marker, and MaxAge empties a key. Then whole runs through `zabsim run`,
 * read back from the results database: a calm lock is exclusive, a holder paused past the
 * TTL writes after its successor unless the resource fences it out, a power failure of every
 * host before the bucket's fsync gives revisions (fencing tokens) out again, and a crashed
 * registry instance stays listed for about a TTL. */
#include "protocol/jetstream/js_msg.h"
#include "sim/sim.h"
#include "tests/harness.h"

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

/* Each test's runs, through the harness. */
#define run_scenario test_run_scenario_db
#define query test_db_int

/* ---- the bucket alone ------------------------------------------------------------------- */

#define KV_HOSTS 3
#define KV_TTL (4 * SIM_S)
#define KV_KEY 7u

/* A bare client of the bucket: dials its server at start, sends each request it is given,
 * keeps every answer. */
struct kv_client_cfg {
    uint32_t server_machine;
    uint32_t inbox;
};

struct kv_request {
    uint8_t kv_op; /* enum js_kv_req */
    bool conditional;
    uint64_t expected;
    uint32_t id;
};

struct kv_answer {
    uint32_t id;
    uint16_t status;
    uint64_t seq;
    uint8_t kv_op;
    uint32_t value;
};

struct kv_client {
    const struct kv_client_cfg *cfg;
    conn_id conn;
    GArray *answers; /* struct kv_answer */
};

static void *kv_client_create(const void *config, const struct proto_env *env,
                              const struct disk *disk)
{
    (void)env, (void)disk;
    struct kv_client *c = g_new0(struct kv_client, 1);
    c->cfg = config;
    c->answers = g_array_new(FALSE, TRUE, sizeof(struct kv_answer));
    return c;
}

static void kv_client_destroy(void *state)
{
    struct kv_client *c = state;
    g_array_free(c->answers, TRUE);
    g_free(c);
}

static void kv_client_handle(void *state, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out)
{
    (void)env;
    struct kv_client *c = state;
    switch (in->kind) {
    case PROTO_IN_START:
        proto_connect(out, c->cfg->server_machine, JS_PORT_KV_CLIENT, 1);
        return;
    case PROTO_IN_CONN_UP:
        c->conn = in->conn;
        return;
    case PROTO_IN_CLIENT_OP: {
        const struct kv_request *q = in->op;
        struct js_msg *m = js_msg_new(JS_MSG_KV_REQ, 0, 0);
        m->client = c->cfg->inbox;
        m->attempt = q->id;
        m->kv_op = q->kv_op;
        m->key = KV_KEY;
        m->value = c->cfg->inbox;
        m->flag = q->conditional;
        m->expected = q->expected;
        CU_ASSERT_FATAL(c->conn != CONN_NONE);
        proto_send(out, c->conn, &m->hdr);
        return;
    }
    case PROTO_IN_MSG: {
        const struct js_msg *m = js_msg_from(in->msg);
        struct kv_answer a = { .id = m->attempt, .status = m->status, .seq = m->seq,
                               .kv_op = m->kv_op, .value = m->value };
        g_array_append_val(c->answers, a);
        return;
    }
    default:
        return;
    }
}

static const struct proto_ops kv_client_ops = {
    .name = "kv-client",
    .create = kv_client_create,
    .destroy = kv_client_destroy,
    .handle = kv_client_handle,
    .msg_type_name = js_msg_type_name,
};

/* Three servers of the bucket (h3 its first leader) and two clients, both on h1's server,
 * so that their requests reach the leader forwarded, one after the other. */
struct kv_world {
    struct sim *sim;
    uint32_t hosts[KV_HOSTS];
    struct js_server_config servers[KV_HOSTS];
    uint32_t server_nodes[KV_HOSTS];
    struct kv_client_cfg clients[2];
    uint32_t client_nodes[2];
    uint32_t next_id;
};

static void kv_world_init(struct kv_world *w)
{
    memset(w, 0, sizeof *w);
    struct sim_config cfg = { .seed = 7, .latency = dist_fixed(500 * SIM_US),
                              .jitter = dist_fixed(0), .fsync = dist_fixed(2 * SIM_MS),
                              .loopback_ns = 10 * SIM_US };
    w->sim = sim_new(&cfg, NULL);
    for (uint32_t h = 0; h < KV_HOSTS; h++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%u", h + 1);
        w->hosts[h] = sim_add_machine(w->sim, name, true, (int32_t)h);
    }
    for (uint32_t h = 0; h < KV_HOSTS; h++) {
        char name[16];
        g_snprintf(name, sizeof name, "h%u/js-kv", h + 1);
        w->servers[h] = (struct js_server_config){
            .host = h, .n_hosts = KV_HOSTS, .host_machines = w->hosts, .replicas = KV_HOSTS,
            .sync_interval = 120 * SIM_S, .ack_wait = 30 * SIM_S, .max_deliver = -1,
            .max_ack_pending = 1000, .duplicate_window = 120 * SIM_S, .payload_bytes = 16,
            .kv = true, .kv_ttl = KV_TTL };
        struct sim_node_spec spec = { .name = name, .model = 0, .ops = &js_server_ops,
                                      .config = &w->servers[h],
                                      .ports = { JS_PORT_KV_CLIENT, JS_PORT_KV_ROUTE } };
        w->server_nodes[h] = sim_add_node(w->sim, w->hosts[h], &spec);
    }
    for (uint32_t c = 0; c < 2; c++) {
        char name[8];
        g_snprintf(name, sizeof name, "c%u", c + 1);
        uint32_t machine = sim_add_machine(w->sim, name, false, -1);
        w->clients[c] = (struct kv_client_cfg){ .server_machine = w->hosts[0],
                                                .inbox = c + 1 };
        struct sim_node_spec spec = { .name = name, .model = 0, .ops = &kv_client_ops,
                                      .config = &w->clients[c] };
        w->client_nodes[c] = sim_add_node(w->sim, machine, &spec);
    }
    sim_start(w->sim);
}

/* Client c sends a request now; returns its id. */
static uint32_t kv_send(struct kv_world *w, uint32_t c, enum js_kv_req op, bool conditional,
                        uint64_t expected)
{
    struct kv_request q = { .kv_op = (uint8_t)op, .conditional = conditional,
                            .expected = expected, .id = ++w->next_id };
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &q };
    CU_ASSERT_FATAL(sim_node_input(w->sim, w->client_nodes[c], &in));
    return q.id;
}

/* The answer to request id, which client c must have had. */
static struct kv_answer kv_answer(const struct kv_world *w, uint32_t c, uint32_t id)
{
    const struct kv_client *k = sim_node_state(w->sim, w->client_nodes[c]);
    for (guint i = 0; i < k->answers->len; i++) {
        struct kv_answer a = g_array_index(k->answers, struct kv_answer, i);
        if (a.id == id)
            return a;
    }
    CU_FAIL("no answer");
    return (struct kv_answer){ .status = UINT16_MAX };
}

/* One request, then time for its answer. */
static struct kv_answer kv_do(struct kv_world *w, uint32_t c, enum js_kv_req op,
                              bool conditional, uint64_t expected)
{
    uint32_t id = kv_send(w, c, op, conditional, expected);
    sim_run_until(w->sim, sim_now(w->sim) + 100 * SIM_MS);
    return kv_answer(w, c, id);
}

static void test_kv_compare_and_set(void)
{
    struct kv_world w;
    kv_world_init(&w);
    sim_run_until(w.sim, 2 * SIM_S);
    uint64_t term;
    CU_ASSERT_FATAL(js_server_leading(sim_node_state(w.sim, w.server_nodes[2]), &term));
    CU_ASSERT_FALSE(js_server_leading(sim_node_state(w.sim, w.server_nodes[0]), &term));

    /* Two Creates (expected last sequence 0) at the same instant: the second reaches the
     * leader while the first is in flight, not yet applied, and is refused. */
    uint32_t first = kv_send(&w, 0, JS_KV_REQ_PUT, true, 0);
    uint32_t second = kv_send(&w, 1, JS_KV_REQ_PUT, true, 0);
    sim_run_until(w.sim, sim_now(w.sim) + 100 * SIM_MS);
    struct kv_answer a = kv_answer(&w, 0, first), b = kv_answer(&w, 1, second);
    CU_ASSERT_EQUAL(a.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(a.seq, 1);
    CU_ASSERT_EQUAL(b.status, JS_STATUS_WRONG_LAST_SEQ);
    /* Applied now: a Create is refused by the store, a direct get shows the winner. */
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_PUT, true, 0).status, JS_STATUS_WRONG_LAST_SEQ);
    struct kv_answer got = kv_do(&w, 1, JS_KV_REQ_GET, false, 0);
    CU_ASSERT_EQUAL(got.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(got.seq, 1);
    CU_ASSERT_EQUAL(got.kv_op, JS_KV_OP_PUT);
    CU_ASSERT_EQUAL(got.value, 1); /* client 1's value */

    /* Update is compare-and-set on the revision. */
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_PUT, true, 5).status, JS_STATUS_WRONG_LAST_SEQ);
    struct kv_answer up = kv_do(&w, 0, JS_KV_REQ_PUT, true, 1);
    CU_ASSERT_EQUAL(up.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(up.seq, 2);
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_PUT, true, 1).status, JS_STATUS_WRONG_LAST_SEQ);

    /* Delete with the wrong revision fails; with the right one it leaves a delete marker,
     * which a Create must name: expected 0 is refused, the marker's revision wins. */
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_DEL, true, 1).status, JS_STATUS_WRONG_LAST_SEQ);
    struct kv_answer del = kv_do(&w, 0, JS_KV_REQ_DEL, true, 2);
    CU_ASSERT_EQUAL(del.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_PUT, true, 0).status, JS_STATUS_WRONG_LAST_SEQ);
    struct kv_answer marker = kv_do(&w, 1, JS_KV_REQ_GET, false, 0);
    CU_ASSERT_EQUAL(marker.kv_op, JS_KV_OP_DEL);
    CU_ASSERT_EQUAL(marker.seq, del.seq);
    struct kv_answer again = kv_do(&w, 1, JS_KV_REQ_PUT, true, marker.seq);
    CU_ASSERT_EQUAL(again.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(again.seq, del.seq + 1);

    /* MaxAge: a TTL without writes empties the key on every replica (each within 250 ms
     * of its own check), and a Create with expected 0 wins again. */
    sim_run_until(w.sim, sim_now(w.sim) + KV_TTL + 300 * SIM_MS);
    CU_ASSERT_EQUAL(kv_do(&w, 1, JS_KV_REQ_GET, false, 0).status, JS_STATUS_NOT_FOUND);
    struct kv_answer fresh = kv_do(&w, 1, JS_KV_REQ_PUT, true, 0);
    CU_ASSERT_EQUAL(fresh.status, JS_STATUS_OK);
    CU_ASSERT_EQUAL(fresh.seq, again.seq + 1); /* revisions keep growing */
    sim_free(w.sim);
}

/* ---- whole runs ------------------------------------------------------------------------- */

#define HEAD                                                                               \
    "description: a recipe test over the key-value bucket\n"                              \
    "seed: 1\n"                                                                            \
    "hosts: 3\n"                                                                           \
    "workload: {clients: 1, rate: 10/s}\n"

/* Three clients take turns for 20 s with no fault: never two holders, every write accepted,
 * revisions (tokens) growing with every acquisition; refreshes keep a long hold. */
static void test_calm_lock_is_exclusive(void)
{
    sqlite3 *db = run_scenario("calm", "name: calm\n" HEAD "duration: 20s\n"
                                       "jetstream: {kv_ttl: 2s}\n"
                                       "recipe: {kind: lock, backend: jetstream, "
                                       "clients: 3, hold: 3s}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT acquisitions FROM recipe_summary") >= 5);
    CU_ASSERT(query(db, "SELECT writes_accepted FROM recipe_summary") >= 150);
    /* Every hold ran its full 3 s: the refreshes at 1.5 s succeeded. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE reason = 'expired'"),
                    0);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds AS a JOIN recipe_holds AS b "
                              "ON b.trace_seq > a.trace_seq AND b.holding = 1 "
                              "WHERE a.holding = 1 AND b.token <= a.token"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT failover_ns FROM recipe_summary"), -1);
    sqlite3_close(db);
}

#define GC_PAUSE(fencing)                                                                   \
    "duration: 25s\n"                                                                      \
    "jetstream: {kv_ttl: 4s}\n"                                                            \
    "recipe: {kind: lock, backend: jetstream, clients: 3, hold: 2s, fencing: " fencing     \
    "}\n"                                                                                  \
    "faults:\n"                                                                            \
    "  - {at: 6s, pause: holder, for: 10s}\n"

/* Kleppmann's case over the bucket: the holder stops for 10 s with a 4 s TTL. Its key ages
 * out, another client's Create wins and writes; the paused one writes when it resumes. */
static void test_gc_pause_breaks_exclusion_unless_fenced(void)
{
    sqlite3 *db = run_scenario("gc", "name: gc\n" HEAD GC_PAUSE("false"));
    if (!db)
        return;
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 1);
    CU_ASSERT_EQUAL(query(db, "SELECT writes_refused FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 4000000000LL);
    /* The key aged out at most a TTL (and a 250 ms age check) after the holder's last
     * write to it, and a Create came within a campaign interval. */
    int64_t failover = query(db, "SELECT failover_ns FROM recipe_summary");
    CU_ASSERT(failover > 0 && failover <= 4000000000LL + 250000000LL + 1100000000LL);
    /* The paused holder learnt nothing before it resumed: it stopped at 16 s, after a
     * stale write. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE holding = 0 "
                              "AND t_ns = 16000000000"), 1);
    CU_ASSERT(query(db, "SELECT count(*) FROM resource_writes AS w JOIN recipe_holds AS h "
                        "ON h.client = w.client AND h.holding = 0 AND h.t_ns = 16000000000 "
                        "WHERE w.t_ns > 16000000000 AND w.t_ns < 16100000000") >= 1);
    sqlite3_close(db);

    db = run_scenario("gc_fenced", "name: gc_fenced\n" HEAD GC_PAUSE("true"));
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT exclusion_violations FROM recipe_summary"), 0);
    CU_ASSERT(query(db, "SELECT writes_refused FROM recipe_summary") >= 1);
    CU_ASSERT(query(db, "SELECT overlap_ns FROM recipe_summary") > 4000000000LL);
    sqlite3_close(db);
}

/* Every host loses power 15 s into the run, long before the bucket's first fsync (the
 * default 2 min sync_interval): each replica comes back with an empty store and WAL, so
 * every acquisition is forgotten and the revisions start again from 1. Later holders get
 * tokens earlier holders had: without fencing the resource takes their writes after
 * writes with higher tokens. */
static void test_power_loss_gives_tokens_out_again(void)
{
    /* No workload: the stream's own acknowledged messages are lost too, which is not what
     * this test is about (jetstream_power_loss is). */
    sqlite3 *db = run_scenario("power", "name: power\n"
                                        "description: a recipe test over the key-value bucket\n"
                                        "seed: 1\n"
                                        "hosts: 3\n"
                                        "workload: {clients: 0}\n"
                                        "duration: 40s\n"
                                        "jetstream: {kv_ttl: 4s}\n"
                                        "recipe: {kind: lock, backend: jetstream, "
                                        "clients: 3, hold: 2s}\n"
                                        "faults:\n"
                                        "  - {at: 15s, power_off: [h1, h2, h3]}\n"
                                        "  - {at: 17s, restart: [h1, h2, h3]}\n");
    if (!db)
        return;
    int64_t before = query(db, "SELECT max(token) FROM recipe_holds WHERE holding = 1 "
                               "AND t_ns < 15000000000");
    int64_t after = query(db, "SELECT min(token) FROM recipe_holds WHERE holding = 1 "
                              "AND t_ns > 15000000000");
    CU_ASSERT(before >= 5);
    CU_ASSERT(after >= 1 && after < before); /* the lost acquisitions' revisions again */
    /* Token reuse: an acquisition after the power failure with a token one before it had. */
    CU_ASSERT(query(db, "SELECT count(*) FROM recipe_holds AS a JOIN recipe_holds AS b "
                        "ON b.token = a.token AND b.trace_seq > a.trace_seq "
                        "WHERE a.holding = 1 AND b.holding = 1 AND a.t_ns < 15000000000 "
                        "AND b.t_ns > 15000000000") >= 1);
    CU_ASSERT(query(db, "SELECT exclusion_violations FROM recipe_summary") >= 1);
    sqlite3_close(db);
}

/* A registry of three instances, c2 crashed at 10 s: the others list it until its entry
 * ages out, between a quarter of a TTL (it put it at most 3/4 TTL before) and a TTL, an
 * age check and a listing interval after the crash. */
static void test_crashed_instance_stays_listed_about_a_ttl(void)
{
    sqlite3 *db = run_scenario("registry", "name: registry\n" HEAD "duration: 30s\n"
                                           "jetstream: {kv_ttl: 6s}\n"
                                           "recipe: {kind: registry, backend: jetstream, "
                                           "clients: 3}\n"
                                           "faults:\n  - {at: 10s, crash: c2}\n");
    if (!db)
        return;
    /* Every observer listed every instance early on. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 1 "
                              "AND t_ns < 3000000000"), 9);
    /* Only c2 left anyone's view, and only after its crash, from both live observers. */
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 0"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM registry_views WHERE listed = 0 "
                              "AND instance = 'c2' AND observer <> 'c2' "
                              "AND t_ns >= 11500000000 AND t_ns <= 17500000000"), 2);
    int64_t stale = query(db, "SELECT stale_ns FROM recipe_summary");
    CU_ASSERT(stale >= 2 * 1500000000LL && stale <= 2 * 7500000000LL);
    sqlite3_close(db);
}

/* An election with hold 0: the first leader leads until its machine crashes; then the key
 * ages out and another candidate leads. */
static void test_election_fails_over_after_the_ttl(void)
{
    sqlite3 *db = run_scenario("election", "name: election\n" HEAD "duration: 20s\n"
                                           "jetstream: {kv_ttl: 4s}\n"
                                           "recipe: {kind: election, backend: jetstream, "
                                           "clients: 3, hold: 0s}\n"
                                           "faults:\n  - {at: 8s, crash: holder}\n");
    if (!db)
        return;
    CU_ASSERT_EQUAL(query(db, "SELECT acquisitions FROM recipe_summary"), 2);
    CU_ASSERT_EQUAL(query(db, "SELECT count(*) FROM recipe_holds WHERE holding = 0"), 0);
    CU_ASSERT_EQUAL(query(db, "SELECT overlap_ns FROM recipe_summary"), 0);
    int64_t failover = query(db, "SELECT failover_ns FROM recipe_summary");
    CU_ASSERT(failover > 1000000000LL && failover <= 4000000000LL + 1500000000LL);
    sqlite3_close(db);
}

void test_register(void)
{
    TEST_SUITE("recipes_jetstream", TEST(test_kv_compare_and_set),
               TEST(test_calm_lock_is_exclusive),
               TEST(test_gc_pause_breaks_exclusion_unless_fenced),
               TEST(test_power_loss_gives_tokens_out_again),
               TEST(test_crashed_instance_stays_listed_about_a_ttl),
               TEST(test_election_fails_over_after_the_ttl));
}
