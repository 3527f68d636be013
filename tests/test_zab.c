/* test_zab.c: whole ZAB ensembles (world_new from a scenario built in code): elections, writes,
 * crashes, power-offs, partitions, and the ordering properties after each. Scripted
 * single-server phase tests live in test_zab_phases.c. */
#include "protocol/zab/zab.h"
#include "sim/sim.h"
#include "tests/harness.h"
#include "world/verdict.h"
#include "world/world.h"

#include <string.h>

#define MAX_HOSTS 7
#define MAX_CLIENTS 4

/* A ZAB-only world built by world_new() from a scenario made in code, whose every record
 * also goes to the ZAB oracle: the invariants checked here are the very ones a run checks. */
struct ensemble {
    struct scenario *sc;
    struct world *w;
    struct sim *s;
    struct verdict *verdict;
    uint32_t n, clients;
    uint32_t machines[MAX_HOSTS];
    uint32_t servers[MAX_HOSTS];
    guint delivered[MAX_HOSTS];     /* deliveries per host, every incarnation */
    GHashTable *outcomes;           /* msg_id -> outcome */
    GArray *proposals;              /* struct trace_rec */
    GArray *truncations;            /* struct trace_rec */
    uint32_t next_seq[MAX_CLIENTS];
    int32_t client_host[MAX_CLIENTS]; /* host of each client's latest submission */
    int leaders_established;
    GArray *states;                 /* struct trace_rec, every TRACE_STATE */
};

static model_id zab_model_id(void)
{
    return (model_id)model_find("zab");
}

static void ens_record(void *ctx, const struct trace_rec *r)
{
    struct ensemble *e = ctx;
    verdict_recorder(e->verdict).record(e->verdict, r);
    switch (r->kind) {
    case TRACE_DELIVERY:
        e->delivered[r->host]++;
        break;
    case TRACE_OUTCOME:
        g_hash_table_insert(e->outcomes, g_memdup2(&r->u.outcome.msg_id, sizeof(msg_id_t)),
                            GINT_TO_POINTER(r->u.outcome.outcome));
        break;
    case TRACE_SUBMISSION:
        e->client_host[r->u.submission.client - 1] = r->u.submission.host;
        break;
    case TRACE_EVENT:
        if (r->u.event.type == ZAB_EVENT_PROPOSAL)
            g_array_append_val(e->proposals, *r);
        if (r->u.event.type == ZAB_EVENT_TRUNCATE)
            g_array_append_val(e->truncations, *r);
        break;
    case TRACE_STATE:
        g_array_append_val(e->states, *r);
        if (r->u.state.state == ZAB_STATE_LEADING && r->u.state.phase == ZAB_PHASE_BROADCAST)
            e->leaders_established++;
        break;
    default:
        break;
    }
}

/* leader_load NULL: the scenario's default. */
static void ens_init_full(struct ensemble *e, uint32_t n, uint32_t clients, uint64_t seed,
                          struct dist fsync, const struct dist *leader_load)
{
    memset(e, 0, sizeof *e);
    e->n = n;
    e->clients = clients;
    e->outcomes = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    e->proposals = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    e->truncations = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    e->sc = scenario_new_default("zab_test", n, clients);
    e->sc->fsync = fsync;
    if (leader_load)
        e->sc->zab.leader_load = *leader_load;
    e->states = g_array_new(FALSE, FALSE, sizeof(struct trace_rec));
    e->verdict = verdict_new(1u << zab_model_id(), n, (const char *const *)e->sc->host_names);
    struct recorder rec = { ens_record, e };
    e->w = world_new(e->sc, seed, 1u << zab_model_id(), false, &rec);
    e->s = world_sim(e->w);
    for (uint32_t h = 0; h < n; h++) {
        e->machines[h] = world_host_machine(e->w, h);
        e->servers[h] = world_host_node(e->w, zab_model_id(), h);
    }
}

static void ens_init_fsync(struct ensemble *e, uint32_t n, uint32_t clients, uint64_t seed,
                           struct dist fsync)
{
    ens_init_full(e, n, clients, seed, fsync, NULL);
}

static void ens_init(struct ensemble *e, uint32_t n, uint32_t clients, uint64_t seed)
{
    ens_init_fsync(e, n, clients, seed, dist_fixed(2 * SIM_MS));
}

static void ens_free(struct ensemble *e)
{
    world_free(e->w);
    verdict_free(e->verdict);
    scenario_free(e->sc);
    g_hash_table_destroy(e->outcomes);
    g_array_free(e->proposals, TRUE);
    g_array_free(e->truncations, TRUE);
    g_array_free(e->states, TRUE);
}

/* When host h first entered (state, phase) at or after `from`; -1 if never. */
static sim_time state_time(struct ensemble *e, int32_t h, int state, int phase, sim_time from)
{
    for (guint i = 0; i < e->states->len; i++) {
        const struct trace_rec *r = &g_array_index(e->states, struct trace_rec, i);
        if (r->host == h && r->t_ns >= from && r->u.state.state == state &&
            r->u.state.phase == phase)
            return r->t_ns;
    }
    return -1;
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
    world_offer(e->w, zab_model_id(), client, msg_id_make(client + 1, ++e->next_seq[client]));
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

static int count_outcome(struct ensemble *e, enum outcome o)
{
    int n = 0;
    GHashTableIter it;
    gpointer k, v;
    g_hash_table_iter_init(&it, e->outcomes);
    while (g_hash_table_iter_next(&it, &k, &v))
        n += GPOINTER_TO_INT(v) == (int)o;
    return n;
}

/* Ends the trace and asserts that every ZAB invariant held: the oracle a run uses (agreement,
 * total order, primary order, durability, ...), not a copy of it. */
static void assert_invariants(struct ensemble *e)
{
    struct oracle_result res;
    verdict_finish(e->verdict, &res);
    for (guint i = 0; i < res.violations->len; i++) {
        const struct oracle_violation *v = g_ptr_array_index(res.violations, i);
        fprintf(stderr, "\n%s: %s\n%s\n", v->invariant, v->detail, v->evidence);
    }
    CU_ASSERT_EQUAL(res.found, 0);
    oracle_result_clear(&res);
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
    CU_ASSERT_EQUAL(count_outcome(&e, TRACE_OUTCOME_ACKED), 300);
    for (uint32_t h = 0; h < 3; h++)
        CU_ASSERT_EQUAL(e.delivered[h], 300);
    assert_invariants(&e);
    ens_free(&e);
}

/* Leader.lead() loads the database before the LearnerCnxAcceptor starts: a follower that
 * dials at once is refused, sleeps leaderConnectDelayDuringRetryMs (100 ms) between tries,
 * and gets in on the first try after the port opened. With a fixed 250 ms load, that is its
 * third retry, 300 ms after it decided; without the load it is in within a few round trips
 * (or one retry when it decided before the leader). */
static void test_leader_load_refuses_learners_until_loaded(void)
{
    for (int with_load = 0; with_load <= 1; with_load++) {
        struct dist load = dist_fixed(with_load ? 250 * SIM_MS : 0);
        struct ensemble e;
        ens_init_full(&e, 3, 0, 1, dist_fixed(2 * SIM_MS), &load);
        sim_run_until(e.s, 5 * SIM_S);
        int leader = leader_of(&e);
        CU_ASSERT_FATAL(leader >= 0);
        sim_time lead = state_time(&e, leader, ZAB_STATE_LEADING, ZAB_PHASE_DISCOVERY, 0);
        CU_ASSERT_FATAL(lead >= 0);
        for (int32_t h = 0; h < 3; h++) {
            if (h == leader)
                continue;
            sim_time decided = state_time(&e, h, ZAB_STATE_FOLLOWING, ZAB_PHASE_DISCOVERY, 0);
            sim_time synced =
                state_time(&e, h, ZAB_STATE_FOLLOWING, ZAB_PHASE_SYNCHRONIZATION, 0);
            CU_ASSERT_FATAL(decided >= 0 && synced > decided);
            if (with_load) {
                CU_ASSERT(synced >= lead + 250 * SIM_MS);
                CU_ASSERT(synced - decided >= 300 * SIM_MS);
                CU_ASSERT(synced - decided < 320 * SIM_MS);
            } else {
                CU_ASSERT(synced - decided < 120 * SIM_MS);
            }
        }
        assert_invariants(&e);
        ens_free(&e);
    }
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
        CU_ASSERT(count_outcome(&e, TRACE_OUTCOME_ACKED) > 600);
        assert_invariants(&e);
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
        CU_ASSERT(count_outcome(&e, TRACE_OUTCOME_ACKED) > 50);
        /* Everything goes dark at once: only fsynced state survives. */
        for (uint32_t h = 0; h < 3; h++)
            sim_power_off(e.s, e.machines[h]);
        for (uint32_t h = 0; h < 3; h++)
            sim_restart(e.s, e.machines[h]);
        sim_run_until(e.s, sim_now(e.s) + 20 * SIM_S);
        CU_ASSERT(leader_of(&e) >= 0);
        assert_invariants(&e);
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
        assert_invariants(&e);
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
    assert_invariants(&e);
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
               TEST(test_leader_load_refuses_learners_until_loaded),
               TEST(test_leader_crash_elects_new_leader_keeps_acked),
               TEST(test_power_off_quorum_loses_nothing_acked),
               TEST(test_isolated_leader_truncates_uncommitted),
               TEST(test_random_fault_schedules_keep_invariants));
}
