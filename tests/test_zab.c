/* test_zab.c: whole ZAB ensembles over the simulator, without scenarios: elections, writes,
 * crashes, power-offs, partitions, and the ordering properties after each. Scripted
 * single-server phase tests live in test_zab_phases.c. */
#include "protocol/zab/zab.h"
#include "sim/sim.h"
#include "tests/harness.h"

#include <string.h>

#define MAX_HOSTS 7
#define MAX_CLIENTS 4

struct delivery {
    uint32_t incarnation;
    uint64_t seq;
    msg_id_t msg_id;
    int64_t zxid;
};

struct ensemble {
    struct sim *s;
    uint32_t n, clients;
    uint32_t machines[MAX_HOSTS];
    uint32_t servers[MAX_HOSTS];
    uint32_t client_nodes[MAX_CLIENTS];
    struct zab_server_config cfg[MAX_HOSTS];
    struct zab_client_config ccfg[MAX_CLIENTS];
    GArray *deliveries[MAX_HOSTS];  /* struct delivery */
    GHashTable *outcomes;           /* msg_id -> outcome */
    GArray *proposals;              /* struct trace_rec */
    GArray *truncations;            /* struct trace_rec */
    uint32_t next_seq[MAX_CLIENTS];
    int32_t client_host[MAX_CLIENTS]; /* host of each client's latest submission */
    int leaders_established;
};

static void ens_record(void *ctx, const struct trace_rec *r)
{
    struct ensemble *e = ctx;
    switch (r->kind) {
    case TRACE_DELIVERY: {
        struct delivery d = { r->incarnation, r->u.delivery.seq, r->u.delivery.msg_id,
                              r->u.delivery.zxid };
        g_array_append_val(e->deliveries[r->host], d);
        break;
    }
    case TRACE_OUTCOME:
        g_hash_table_insert(e->outcomes, g_memdup2(&r->u.outcome.msg_id, sizeof(msg_id_t)),
                            GINT_TO_POINTER(r->u.outcome.outcome));
        break;
    case TRACE_SUBMISSION:
        e->client_host[r->u.submission.client - 1] = r->u.submission.host;
        break;
    case TRACE_PROPOSAL:
        g_array_append_val(e->proposals, *r);
        break;
    case TRACE_TRUNCATE:
        g_array_append_val(e->truncations, *r);
        break;
    case TRACE_HOST_STATE:
        if (r->u.host_state.state == ZAB_STATE_LEADING &&
            r->u.host_state.phase == ZAB_PHASE_BROADCAST)
            e->leaders_established++;
        break;
    default:
        break;
    }
}

static void ens_init_fsync(struct ensemble *e, uint32_t n, uint32_t clients, uint64_t seed,
                           struct dist fsync)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    e->clients = clients;
    e->outcomes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    e->proposals = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    e->truncations = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    struct sim_config sc = { .seed = seed,
                             .latency = { DIST_UNIFORM, 500 * SIM_US, 2 * SIM_MS },
                             .fsync = fsync, .loopback_ns = 20 * SIM_US };
    struct recorder rec = { ens_record, e };
    e->s = sim_new(&sc, &rec);
    for (uint32_t h = 0; h < n; h++) {
        char name[8];
        g_snprintf(name, sizeof name, "h%u", h + 1);
        e->machines[h] = sim_add_machine(e->s, name, true);
        e->deliveries[h] = g_array_new(FALSE, FALSE, sizeof(struct delivery));
    }
    for (uint32_t h = 0; h < n; h++) {
        e->cfg[h] = (struct zab_server_config){ .sid = h + 1, .n_servers = n,
                                                .host_machines = e->machines, .tick = 2 * SIM_S,
                                                .init_limit = 10, .sync_limit = 5,
                                                .max_batch = 1000, .commit_log_count = 500,
                                                .snapshot_size_factor = 0.33, .payload_bytes = 64 };
        e->servers[h] = sim_add_node(e->s, e->machines[h], "zab", &zab_server_ops, &e->cfg[h],
                                     (1u << PORT_ZAB_CLIENT) | (1u << PORT_ZAB_QUORUM) |
                                         (1u << PORT_ZAB_ELECTION));
    }
    for (uint32_t c = 0; c < clients; c++) {
        char name[8];
        g_snprintf(name, sizeof name, "c%u", c + 1);
        uint32_t m = sim_add_machine(e->s, name, false);
        e->ccfg[c] = (struct zab_client_config){ .client = c + 1, .home_host = c % n,
                                                 .n_hosts = n, .host_machines = e->machines,
                                                 .session_timeout = 30 * SIM_S,
                                                 .payload_bytes = 64 };
        e->client_nodes[c] = sim_add_node(e->s, m, name, &zab_client_ops, &e->ccfg[c], 0);
    }
    sim_start(e->s);
}

static void ens_init(struct ensemble *e, uint32_t n, uint32_t clients, uint64_t seed)
{
    ens_init_fsync(e, n, clients, seed, dist_fixed(2 * SIM_MS));
}

static void ens_free(struct ensemble *e)
{
    sim_free(e->s);
    for (uint32_t h = 0; h < e->n; h++)
        g_array_free(e->deliveries[h], TRUE);
    g_hash_table_destroy(e->outcomes);
    g_array_free(e->proposals, TRUE);
    g_array_free(e->truncations, TRUE);
}

static const void *server(struct ensemble *e, uint32_t h)
{
    return sim_machine_up(e->s, e->machines[h]) ? sim_node_state(e->s, e->servers[h]) : NULL;
}

static int leader_of(struct ensemble *e)
{
    int found = -1;
    for (uint32_t h = 0; h < e->n; h++) {
        const void *z = server(e, h);
        if (z && zab_server_state(z) == ZAB_STATE_LEADING &&
            zab_server_phase(z) == ZAB_PHASE_BROADCAST)
            found = (int)h;
    }
    return found;
}

static void write_from(struct ensemble *e, uint32_t client)
{
    struct zab_write_op op = { .msg_id = msg_id_make(client + 1, ++e->next_seq[client]) };
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &op };
    sim_node_input(e->s, e->client_nodes[client], &in);
}

/* Every client writes `count` messages, `gap` apart, starting now. */
static void write_traffic(struct ensemble *e, int count, sim_time gap)
{
    for (int i = 0; i < count; i++) {
        for (uint32_t c = 0; c < e->clients; c++)
            write_from(e, c);
        sim_run_until(e->s, sim_now(e->s) + gap);
    }
}

static int count_outcome(struct ensemble *e, enum submission_outcome o)
{
    int n = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, e->outcomes);
    while (g_hash_table_iter_next(&it, &k, &v))
        n += GPOINTER_TO_INT(v) == (int)o;
    return n;
}

/* The ordering properties every run must have: the same seq carries the same message
 * everywhere, seqs are contiguous per incarnation, zxids strictly increase. */
static void assert_agreement(struct ensemble *e)
{
    GHashTable *at = g_hash_table_new(g_int64_hash, g_int64_equal);
    for (uint32_t h = 0; h < e->n; h++) {
        GArray *d = e->deliveries[h];
        for (guint i = 0; i < d->len; i++) {
            struct delivery *x = &g_array_index(d, struct delivery, i);
            if (i > 0) {
                struct delivery *p = &g_array_index(d, struct delivery, i - 1);
                if (p->incarnation == x->incarnation) {
                    CU_ASSERT_EQUAL(x->seq, p->seq + 1);
                    CU_ASSERT(x->zxid > p->zxid);
                } else {
                    CU_ASSERT_EQUAL(x->seq, 1);
                }
            } else {
                CU_ASSERT_EQUAL(x->seq, 1);
            }
            struct delivery *seen = g_hash_table_lookup(at, &x->seq);
            if (seen) {
                CU_ASSERT_EQUAL(seen->msg_id, x->msg_id);
                CU_ASSERT_EQUAL(seen->zxid, x->zxid);
            } else {
                g_hash_table_insert(at, &x->seq, x);
            }
        }
    }
    g_hash_table_destroy(at);
    for (guint i = 0; i < e->truncations->len; i++)
        CU_ASSERT_FALSE(g_array_index(e->truncations, struct trace_rec, i).u.truncate.delivered);
}

/* Every acked write is delivered by every server that is up and serving. */
static void assert_durability(struct ensemble *e)
{
    for (uint32_t h = 0; h < e->n; h++) {
        const void *z = server(e, h);
        if (!z || zab_server_phase(z) != ZAB_PHASE_BROADCAST)
            continue;
        uint32_t inc = sim_machine_incarnation(e->s, e->machines[h]);
        GHashTable *have = g_hash_table_new(g_int64_hash, g_int64_equal);
        GArray *d = e->deliveries[h];
        for (guint i = 0; i < d->len; i++) {
            struct delivery *x = &g_array_index(d, struct delivery, i);
            if (x->incarnation == inc)
                g_hash_table_add(have, &x->msg_id);
        }
        GHashTableIter it;
        gpointer k, v;
        g_hash_table_iter_init(&it, e->outcomes);
        while (g_hash_table_iter_next(&it, &k, &v)) {
            if (GPOINTER_TO_INT(v) == OUTCOME_ACKED && !g_hash_table_contains(have, k)) {
                CU_FAIL("acked write missing on a serving server");
                break;
            }
        }
        g_hash_table_destroy(have);
    }
}

static void test_three_servers_elect_and_commit(void)
{
    struct ensemble e;
    ens_init(&e, 3, 3, 1);
    sim_run_until(e.s, 5 * SIM_S);
    int leader = leader_of(&e);
    CU_ASSERT_FATAL(leader >= 0);
    /* FLE prefers the highest sid among equal histories. */
    CU_ASSERT_EQUAL(leader, 2);
    write_traffic(&e, 100, 10 * SIM_MS);
    sim_run_until(e.s, sim_now(e.s) + 2 * SIM_S);
    CU_ASSERT_EQUAL(count_outcome(&e, OUTCOME_ACKED), 300);
    for (uint32_t h = 0; h < 3; h++)
        CU_ASSERT_EQUAL(e.deliveries[h]->len, 300);
    assert_agreement(&e);
    ens_free(&e);
}

static void test_leader_crash_elects_new_leader_keeps_acked(void)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct ensemble e;
        ens_init(&e, 5, 3, seed);
        sim_run_until(e.s, 5 * SIM_S);
        int old = leader_of(&e);
        CU_ASSERT_FATAL(old >= 0);
        write_traffic(&e, 50, 5 * SIM_MS);
        sim_crash(e.s, e.machines[old]);
        write_traffic(&e, 200, 20 * SIM_MS);
        int now = leader_of(&e);
        CU_ASSERT(now >= 0 && now != old);
        sim_restart(e.s, e.machines[old]);
        write_traffic(&e, 100, 10 * SIM_MS);
        sim_run_until(e.s, sim_now(e.s) + 30 * SIM_S);
        CU_ASSERT(count_outcome(&e, OUTCOME_ACKED) > 600);
        assert_agreement(&e);
        assert_durability(&e);
        ens_free(&e);
    }
}

static void test_power_off_quorum_loses_nothing_acked(void)
{
    for (uint64_t seed = 1; seed <= 20; seed++) {
        struct ensemble e;
        /* fsync is much slower than a round trip: a server that acked before its fsync
         * completed would be caught by the blackout below. */
        ens_init_fsync(&e, 3, 2, seed, (struct dist){ DIST_UNIFORM, 20 * SIM_MS, 60 * SIM_MS });
        sim_run_until(e.s, 5 * SIM_S);
        write_traffic(&e, 100, 3 * SIM_MS);
        CU_ASSERT(count_outcome(&e, OUTCOME_ACKED) > 50);
        /* Everything goes dark at once: only fsynced state survives. */
        for (uint32_t h = 0; h < 3; h++)
            sim_power_off(e.s, e.machines[h]);
        for (uint32_t h = 0; h < 3; h++)
            sim_restart(e.s, e.machines[h]);
        sim_run_until(e.s, sim_now(e.s) + 20 * SIM_S);
        CU_ASSERT(leader_of(&e) >= 0);
        assert_agreement(&e);
        assert_durability(&e);
        ens_free(&e);
    }
}

static void test_isolated_leader_truncates_uncommitted(void)
{
    int exercised = 0;
    for (uint64_t seed = 1; seed <= 40 && exercised < 15; seed++) {
        struct ensemble e;
        ens_init(&e, 5, 3, seed);
        sim_run_until(e.s, 5 * SIM_S);
        int old = leader_of(&e);
        CU_ASSERT_FATAL(old >= 0);
        write_traffic(&e, 20, 5 * SIM_MS);
        int groups[MAX_HOSTS + MAX_CLIENTS] = { 0 };
        groups[e.machines[old]] = 1;
        /* Clients connected to the old leader stay on its side: their writes are proposed
         * there and can never commit. */
        int cut_off = 0;
        for (uint32_t c = 0; c < e.clients; c++) {
            groups[e.n + c] = e.client_host[c] == old ? 1 : 0;
            cut_off += groups[e.n + c];
        }
        if (cut_off == 0) {
            ens_free(&e); /* no client happened to be on the leader: nothing to truncate */
            continue;
        }
        exercised++;
        sim_set_groups(e.s, groups);
        guint proposals_before = e.proposals->len;
        write_traffic(&e, 300, 50 * SIM_MS);
        int now = leader_of(&e);
        CU_ASSERT(now >= 0 && now != old);
        int healed[MAX_HOSTS + MAX_CLIENTS] = { 0 };
        sim_set_groups(e.s, healed);
        write_traffic(&e, 100, 10 * SIM_MS);
        sim_run_until(e.s, sim_now(e.s) + 30 * SIM_S);
        const void *z = server(&e, (uint32_t)old);
        CU_ASSERT(z && zab_server_phase(z) == ZAB_PHASE_BROADCAST);
        /* The old leader proposed during the partition and had to truncate it all. */
        int stale = 0;
        for (guint i = proposals_before; i < e.proposals->len; i++)
            stale += g_array_index(e.proposals, struct trace_rec, i).host == old;
        CU_ASSERT(stale > 0);
        CU_ASSERT(e.truncations->len > 0);
        assert_agreement(&e);
        assert_durability(&e);
        ens_free(&e);
    }
    CU_ASSERT(exercised >= 15);
}

/* A dense random fault schedule (crashes, power-offs, restarts, partitions, pauses, leader
 * crashes every few hundred milliseconds under traffic), then everything healed and
 * restarted: the invariants hold throughout and the ensemble converges with every server
 * serving the same history. */
static void chaos_run(uint32_t n, uint64_t seed)
{
    struct ensemble e;
    ens_init(&e, n, 3, seed);
    struct rng r;
    rng_init(&r, seed, "chaos");
    sim_run_until(e.s, 3 * SIM_S);
    for (int step = 0; step < 40; step++) {
        uint32_t h = (uint32_t)rng_below(&r, n);
        int groups[MAX_HOSTS + MAX_CLIENTS] = { 0 };
        switch (rng_below(&r, 10)) {
        case 0:
            sim_crash(e.s, e.machines[h]);
            break;
        case 1:
            sim_power_off(e.s, e.machines[h]);
            break;
        case 2:
        case 3:
            sim_restart(e.s, e.machines[h]);
            break;
        case 4:
            for (uint32_t i = 0; i < n; i++)
                groups[i] = (int)rng_below(&r, 2);
            for (uint32_t c = 0; c < e.clients; c++)
                groups[n + c] = groups[c % n];
            sim_set_groups(e.s, groups);
            break;
        case 5:
            sim_set_groups(e.s, groups);
            break;
        case 6:
            sim_pause(e.s, e.machines[h], (sim_time)rng_below(&r, 15) * SIM_S);
            break;
        case 7: {
            int l = leader_of(&e);
            if (l >= 0)
                sim_crash(e.s, e.machines[l]);
            break;
        }
        default:
            break;
        }
        sim_time gap = (sim_time)(1 + rng_below(&r, 30)) * SIM_MS;
        write_traffic(&e, 20 + (int)rng_below(&r, 300), gap);
    }
    int healed[MAX_HOSTS + MAX_CLIENTS] = { 0 };
    sim_set_groups(e.s, healed);
    for (uint32_t h = 0; h < n; h++)
        sim_restart(e.s, e.machines[h]);
    write_traffic(&e, 50, 10 * SIM_MS);
    sim_run_until(e.s, sim_now(e.s) + 60 * SIM_S);
    CU_ASSERT(leader_of(&e) >= 0);
    for (uint32_t h = 0; h < n; h++) {
        const void *z = server(&e, h);
        CU_ASSERT(z && zab_server_phase(z) == ZAB_PHASE_BROADCAST);
    }
    assert_agreement(&e);
    assert_durability(&e);
    ens_free(&e);
}

static void test_random_fault_schedules_keep_invariants(void)
{
    for (uint64_t seed = 1; seed <= 15; seed++) {
        chaos_run(3, seed);
        chaos_run(5, seed);
        chaos_run(7, seed);
    }
}

void test_register(void)
{
    TEST_SUITE("zab-ensemble", TEST(test_three_servers_elect_and_commit),
               TEST(test_leader_crash_elects_new_leader_keeps_acked),
               TEST(test_power_off_quorum_loses_nothing_acked),
               TEST(test_isolated_leader_truncates_uncommitted),
               TEST(test_random_fault_schedules_keep_invariants));
}
