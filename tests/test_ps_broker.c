/* test_ps_broker.c: the broker state machine driven directly through ps_broker_ops with
 * hand-built inputs, asserting on the effects it emits: interest propagation (RS+/RS- on
 * SUB/UNSUB, queue weights), invalid subscriptions, fan-out with one RMSG per route, the
 * one-hop rule, drops by cause, a route from the same peer replacing the old one, and the
 * duplicate-route rule when both sides dial. */
#include "protocol/pubsub/ps_msg.h"
#include "protocol/pubsub/pubsub.h"
#include "tests/harness.h"

#include <string.h>

#define ROUTE_TO_0 20 /* conn ids the test hands out */
#define ROUTE_TO_2 30
#define CLIENT 11

struct bench {
    uint32_t machines[3];
    struct ps_broker_config cfg;
    struct rng rng;
    struct proto_env env;
    struct proto_out out;
    void *broker;
};

/* Broker h2 (index 1) of three: it accepts h1's route and dials h3's. */
static void bench_init(struct bench *b)
{
    memset(b, 0, sizeof *b);
    for (uint32_t i = 0; i < 3; i++)
        b->machines[i] = i;
    b->cfg = (struct ps_broker_config){ .host = 1, .n_hosts = 3, .host_machines = b->machines,
                                        .max_pending = 64u << 20 };
    rng_init(&b->rng, 1, "bench");
    b->env = (struct proto_env){ .now_ns = 0, .self_machine = 1, .rng = &b->rng };
    proto_out_init(&b->out);
    b->broker = ps_broker_ops.create(&b->cfg, &b->env, NULL);
}

static void bench_free(struct bench *b)
{
    ps_broker_ops.destroy(b->broker);
    proto_out_destroy(&b->out);
}

static void step(struct bench *b, struct proto_input in)
{
    proto_out_clear(&b->out);
    b->env.now_ns += SIM_MS;
    ps_broker_ops.handle(b->broker, &b->env, &in, &b->out);
}

static void receive(struct bench *b, conn_id conn, struct ps_msg *m)
{
    step(b, (struct proto_input){ .kind = PROTO_IN_MSG, .conn = conn, .msg = &m->hdr });
    sim_msg_free(&m->hdr);
}

/* Sends of `type` on conn in the last step. */
static int sent(const struct bench *b, conn_id conn, enum ps_msg_type type)
{
    int n = 0;
    for (guint i = 0; i < proto_out_len(&b->out); i++) {
        const struct proto_effect *e = proto_out_at(&b->out, i);
        n += e->kind == PROTO_EFFECT_SEND && e->conn == conn && e->msg->type == type;
    }
    return n;
}

static const struct ps_msg *first_sent(const struct bench *b, conn_id conn,
                                       enum ps_msg_type type)
{
    for (guint i = 0; i < proto_out_len(&b->out); i++) {
        const struct proto_effect *e = proto_out_at(&b->out, i);
        if (e->kind == PROTO_EFFECT_SEND && e->conn == conn && e->msg->type == type)
            return (const struct ps_msg *)e->msg;
    }
    return NULL;
}

static int effects_of(const struct bench *b, enum proto_effect_kind kind)
{
    int n = 0;
    for (guint i = 0; i < proto_out_len(&b->out); i++)
        n += proto_out_at(&b->out, i)->kind == kind;
    return n;
}

/* The connection the last step closed (the first, if several); CONN_NONE if none. */
static conn_id closed_conn(const struct bench *b)
{
    for (guint i = 0; i < proto_out_len(&b->out); i++) {
        const struct proto_effect *e = proto_out_at(&b->out, i);
        if (e->kind == PROTO_EFFECT_CLOSE)
            return e->conn;
    }
    return CONN_NONE;
}

/* Drops in the last step for meant_for with cause. */
static int drops(const struct bench *b, int32_t meant_for, enum ps_drop_cause cause)
{
    int n = 0;
    for (guint i = 0; i < proto_out_len(&b->out); i++) {
        const struct proto_effect *e = proto_out_at(&b->out, i);
        if (e->kind != PROTO_EFFECT_TRACE)
            continue;
        const struct trace_rec *r = proto_out_trace(&b->out, e);
        n += r->kind == TRACE_DROP && r->u.drop.meant_for == meant_for &&
             r->u.drop.cause == cause;
    }
    return n;
}

/* Starts the broker, brings up both routes and one client connection. */
static void bench_connect_all(struct bench *b)
{
    step(b, (struct proto_input){ .kind = PROTO_IN_START });
    /* Every route is configured on every server: it dials both peers. */
    CU_ASSERT_EQUAL(effects_of(b, PROTO_EFFECT_CONNECT), 2);
    uint64_t token_0 = 0, token_2 = 0;
    for (guint i = 0; i < proto_out_len(&b->out); i++) {
        const struct proto_effect *dial = proto_out_at(&b->out, i);
        if (dial->kind != PROTO_EFFECT_CONNECT)
            continue;
        CU_ASSERT_EQUAL(dial->port, PS_PORT_ROUTE);
        *(dial->machine == 0 ? &token_0 : &token_2) = dial->token;
    }
    CU_ASSERT(token_0 != 0 && token_2 != 0);
    /* h1 was not up yet: our dial to it is refused; it dials us when it starts. */
    step(b, (struct proto_input){ .kind = PROTO_IN_CONN_FAILED, .conn = 19, .token = token_0,
                                  .peer_machine = 0, .port = PS_PORT_ROUTE });
    step(b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = ROUTE_TO_2, .token = token_2,
                                  .peer_machine = 2, .port = PS_PORT_ROUTE });
    CU_ASSERT_EQUAL(first_sent(b, ROUTE_TO_2, PS_MSG_CONNECT)->host, 1);
    step(b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = ROUTE_TO_0, .incoming = true,
                                  .peer_machine = 0, .port = PS_PORT_ROUTE });
    receive(b, ROUTE_TO_0, ps_msg_connect_route(0));
    step(b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = CLIENT, .incoming = true,
                                  .peer_machine = 1, .port = PS_PORT_CLIENT });
    CU_ASSERT_EQUAL(sent(b, CLIENT, PS_MSG_INFO), 1);
}

static void test_ps_broker_interest_follows_sub_and_unsub(void)
{
    struct bench b;
    bench_init(&b);
    bench_connect_all(&b);
    receive(&b, CLIENT, ps_msg_sub("users.*", NULL, 1));
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_0, PS_MSG_RS_PLUS), 1);
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RS_PLUS), 1);
    receive(&b, CLIENT, ps_msg_sub("users.*", NULL, 2)); /* 1 -> 2: nothing new to say */
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_SEND), 0);
    receive(&b, CLIENT, ps_msg_sub("bad..subject", NULL, 3)); /* ignored, like -ERR */
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_SEND), 0);
    receive(&b, CLIENT, ps_msg_sub("users.*", "q", 4));
    receive(&b, CLIENT, ps_msg_sub("users.*", "q", 5)); /* queue weight goes to 2 */
    CU_ASSERT_EQUAL(first_sent(&b, ROUTE_TO_0, PS_MSG_RS_PLUS)->weight, 2);
    receive(&b, CLIENT, ps_msg_unsub(1));
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_SEND), 0);
    receive(&b, CLIENT, ps_msg_unsub(2)); /* 1 -> 0: RS- everywhere */
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_0, PS_MSG_RS_MINUS), 1);
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RS_MINUS), 1);
    receive(&b, CLIENT, ps_msg_unsub(4));
    CU_ASSERT_EQUAL(first_sent(&b, ROUTE_TO_2, PS_MSG_RS_PLUS)->weight, 1);
    receive(&b, CLIENT, ps_msg_unsub(5));
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RS_MINUS), 1);
    /* With nothing left, a publish reaches nobody and says so, per host. */
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 1), 64));
    CU_ASSERT_EQUAL(drops(&b, 1, PS_DROP_NO_INTEREST), 1);
    CU_ASSERT_EQUAL(drops(&b, 0, PS_DROP_NO_INTEREST), 1);
    CU_ASSERT_EQUAL(drops(&b, 2, PS_DROP_NO_INTEREST), 1);
    bench_free(&b);
}

static void test_ps_broker_fans_out_once_per_route_and_never_re_forwards(void)
{
    struct bench b;
    bench_init(&b);
    bench_connect_all(&b);
    receive(&b, ROUTE_TO_2, ps_msg_rs_plus("users.*", NULL, 0));
    receive(&b, ROUTE_TO_2, ps_msg_rs_plus("users.>", NULL, 0)); /* overlapping interest */
    receive(&b, CLIENT, ps_msg_sub("users.signup", NULL, 7));
    receive(&b, CLIENT, ps_msg_sub("*.signup", NULL, 8));
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 1), 64));
    CU_ASSERT_EQUAL(sent(&b, CLIENT, PS_MSG_MSG), 2);     /* one per local subscription */
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RMSG), 1); /* one per interested route */
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_0, PS_MSG_RMSG), 0);
    CU_ASSERT_EQUAL(drops(&b, 0, PS_DROP_NO_INTEREST), 1);   /* h1 has no interest */
    /* A routed message from h1 goes to local clients only, never on to h3. */
    receive(&b, ROUTE_TO_0, ps_msg_rmsg("users.signup", msg_id_make(2, 1), 64, NULL, 0));
    CU_ASSERT_EQUAL(sent(&b, CLIENT, PS_MSG_MSG), 2);
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RMSG), 0);
    /* Route down: the peer's interest is forgotten and the dialler retries later. */
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_DOWN, .conn = ROUTE_TO_2, .reset = true });
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_TIMER_SET), 1);
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 2), 64));
    CU_ASSERT_EQUAL(drops(&b, 2, PS_DROP_ROUTE_DOWN), 1);
    bench_free(&b);
}

static void test_ps_broker_queue_pick_serves_routed_group_locally(void)
{
    struct bench b;
    bench_init(&b);
    bench_connect_all(&b);
    receive(&b, CLIENT, ps_msg_sub("users.*", "q", 4));
    receive(&b, ROUTE_TO_2, ps_msg_rs_plus("users.*", "q", 3)); /* three members at h3 */
    int local = 0, remote = 0;
    for (uint32_t i = 1; i <= 400; i++) {
        receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, i), 64));
        local += sent(&b, CLIENT, PS_MSG_MSG);
        const struct ps_msg *rmsg = first_sent(&b, ROUTE_TO_2, PS_MSG_RMSG);
        if (rmsg) {
            remote++;
            CU_ASSERT_EQUAL(rmsg->n_queues, 1);
            CU_ASSERT_STRING_EQUAL(rmsg->queue, "q");
        }
        CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_TRACE), 0); /* a queue took it: no drops */
    }
    CU_ASSERT_EQUAL(local + remote, 400);
    CU_ASSERT(remote > 250 && remote < 350); /* weight 3 against 1 */
    /* A routed copy tagged with the group is served by one local member. */
    const char *queues[] = { "q" };
    receive(&b, ROUTE_TO_0, ps_msg_rmsg("users.signup", msg_id_make(2, 1), 64, queues, 1));
    CU_ASSERT_EQUAL(sent(&b, CLIENT, PS_MSG_MSG), 1);
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RMSG), 0);
    /* Tagged with a group nobody here belongs to: lost, and said so. */
    const char *other[] = { "nobody" };
    receive(&b, ROUTE_TO_0, ps_msg_rmsg("users.signup", msg_id_make(2, 2), 64, other, 1));
    CU_ASSERT_EQUAL(sent(&b, CLIENT, PS_MSG_MSG), 0);
    CU_ASSERT_EQUAL(drops(&b, 1, PS_DROP_NO_INTEREST), 1);
    bench_free(&b);
}

static void test_ps_broker_new_route_from_same_peer_replaces_old(void)
{
    struct bench b;
    bench_init(&b);
    bench_connect_all(&b);
    receive(&b, ROUTE_TO_0, ps_msg_rs_plus("users.*", NULL, 0));
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = 21, .incoming = true,
                                   .peer_machine = 0, .port = PS_PORT_ROUTE });
    receive(&b, 21, ps_msg_connect_route(0));
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_CLOSE), 1);
    CU_ASSERT_EQUAL(closed_conn(&b), ROUTE_TO_0);
    /* The old route's interest is gone; the old connection is not listened to. */
    receive(&b, ROUTE_TO_0, ps_msg_rs_plus("users.*", NULL, 0));
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 1), 64));
    CU_ASSERT_EQUAL(sent(&b, 21, PS_MSG_RMSG), 0);
    CU_ASSERT_EQUAL(drops(&b, 0, PS_DROP_NO_INTEREST), 1);
    receive(&b, 21, ps_msg_rs_plus("users.*", NULL, 0));
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 2), 64));
    CU_ASSERT_EQUAL(sent(&b, 21, PS_MSG_RMSG), 1);
    bench_free(&b);
}

/* Both sides dial: of two live connections to one peer, both keep the one dialled by the
 * lower host index, whichever came up first, and the peer's interest stays. */
static void test_ps_broker_duplicate_route_keeps_lower_dialler(void)
{
    struct bench b;
    bench_init(&b);
    bench_connect_all(&b); /* h1's route: accepted (ROUTE_TO_0); h3's: our dial (ROUTE_TO_2) */
    receive(&b, ROUTE_TO_2, ps_msg_rs_plus("users.*", NULL, 0));
    /* h3 (higher) dials us too: its connection is the duplicate, ours stays. */
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = 31, .incoming = true,
                                   .peer_machine = 2, .port = PS_PORT_ROUTE });
    receive(&b, 31, ps_msg_connect_route(2));
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_CLOSE), 1);
    CU_ASSERT_EQUAL(closed_conn(&b), 31);
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 1), 64));
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_2, PS_MSG_RMSG), 1);
    bench_free(&b);

    /* Our dial to h1 comes up first; then h1's (lower) dial arrives: we move to it, keep
     * what h1 told us, and tell h1 our interest on it. */
    bench_init(&b);
    step(&b, (struct proto_input){ .kind = PROTO_IN_START });
    uint64_t token_0 = 0;
    for (guint i = 0; i < proto_out_len(&b.out); i++) {
        const struct proto_effect *dial = proto_out_at(&b.out, i);
        if (dial->kind == PROTO_EFFECT_CONNECT && dial->machine == 0)
            token_0 = dial->token;
    }
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = 22, .token = token_0,
                                   .peer_machine = 0, .port = PS_PORT_ROUTE });
    CU_ASSERT_EQUAL(first_sent(&b, 22, PS_MSG_CONNECT)->host, 1);
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = CLIENT, .incoming = true,
                                   .peer_machine = 1, .port = PS_PORT_CLIENT });
    receive(&b, CLIENT, ps_msg_sub("users.*", NULL, 1));
    receive(&b, 22, ps_msg_rs_plus("users.*", NULL, 0));
    step(&b, (struct proto_input){ .kind = PROTO_IN_CONN_UP, .conn = ROUTE_TO_0, .incoming = true,
                                   .peer_machine = 0, .port = PS_PORT_ROUTE });
    receive(&b, ROUTE_TO_0, ps_msg_connect_route(0));
    CU_ASSERT_EQUAL(effects_of(&b, PROTO_EFFECT_CLOSE), 1);
    CU_ASSERT_EQUAL(closed_conn(&b), 22);
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_0, PS_MSG_RS_PLUS), 1);
    receive(&b, CLIENT, ps_msg_pub("users.signup", msg_id_make(1, 1), 64));
    CU_ASSERT_EQUAL(sent(&b, ROUTE_TO_0, PS_MSG_RMSG), 1); /* h1's interest was kept */
    CU_ASSERT_EQUAL(sent(&b, 22, PS_MSG_RMSG), 0);
    CU_ASSERT_EQUAL(drops(&b, 0, PS_DROP_NO_INTEREST), 0);
    bench_free(&b);
}

void test_register(void)
{
    TEST_SUITE("ps_broker", TEST(test_ps_broker_interest_follows_sub_and_unsub),
               TEST(test_ps_broker_fans_out_once_per_route_and_never_re_forwards),
               TEST(test_ps_broker_queue_pick_serves_routed_group_locally),
               TEST(test_ps_broker_new_route_from_same_peer_replaces_old),
               TEST(test_ps_broker_duplicate_route_keeps_lower_dialler));
}
