/* ps_recipe.c: a coordination recipe's client over core pub/sub: an application and its NATS
 * client (ps_client.c) in one process on a client machine, so a pause stops both.
 *
 * Core NATS keeps no state, so there is nothing to hold a lock in: what people build on it is
 * a protocol of messages and timeouts, and these are the three usual ones, with the ways they
 * break left in (docs/recipes.md, "The recipes over core pub/sub"):
 *   - election, a heartbeat leader: every client listens on recipe.<n>.election; the leader
 *     publishes (client, term) every H; a follower that hears no heartbeat for k x H takes over
 *     with the highest term it heard + 1; a leader that hears a higher term, or its own term
 *     from a lower client number, steps down; a leader resigns after `hold` (if > 0) and then
 *     keeps quiet for k x H before it listens for silence again;
 *   - lock, ask then take: a client wanting the lock publishes a request on recipe.<n>.lock;
 *     the holder, the only client subscribed to that subject, answers "held" with its token;
 *     an answer sends the asker back to wait (uniform in [0, work_every)) and ask again; no
 *     answer within ASK_WAIT, or a 503 no-responders status from its broker, and the asker
 *     takes the lock with the highest token it ever heard + 1, holds it for `hold`, releases
 *     it and waits before asking again;
 *   - registry, periodic announcements: every client announces itself on
 *     recipe.<n>.registry every P and lists every instance it hears (itself too: NATS echoes
 *     a client's messages to its own subscriptions) until k x P of silence.
 * <n> is the recipe's position in the scenario, from 1. A lock holder or a leader writes to
 * the protected resource (sim/resource.h) every work_every, with its token (the term, for
 * an election). What it believes is recorded as TRACE_HOLD, a registry's view as TRACE_VIEW.
 *
 * None of the three looks at the connection: like the applications this stands for, they
 * believe what their timers and the messages they received tell them. The application starts
 * when the client first connects (nats.Connect returns).
 *
 * Bounds: a registry observer's table has one entry per instance of the recipe (its
 * `clients`); the only queue that grows is the NATS client's reconnect buffer, bounded by
 * pubsub.reconnect_buffer bytes, where a publish that does not fit fails: a heartbeat or an
 * announcement is lost, an ask is tried again after a random wait. */
#include "protocol/pubsub/ps_client.h"

#include "sim/resource.h"

#include <stdio.h>
#include <string.h>

#define HEARTBEAT_INTERVAL (1 * SIM_S)  /* H: the election leader's heartbeat period */
#define HEARTBEAT_MISSES 3              /* k: heartbeats missed before a follower takes over */
#define ANNOUNCE_INTERVAL (1 * SIM_S)   /* P: a registry client's announcement period */
#define ANNOUNCE_MISSES 3               /* k: announcements missed before an entry goes */
#define ASK_WAIT (250 * SIM_MS)         /* the lock's request timeout */
#define RESOURCE_REDIAL (1000 * SIM_MS) /* the resource's client library's retry */
/* Bytes of an application payload: a small JSON object such as {"client":2,"term":7}. */
#define RECIPE_PAYLOAD_BYTES 32

#define ELECTION_SILENCE (HEARTBEAT_MISSES * HEARTBEAT_INTERVAL)
#define REGISTRY_SILENCE (ANNOUNCE_MISSES * ANNOUNCE_INTERVAL)

/* Token kinds above the NATS client's. */
enum recipe_token {
    RT_RES_DIAL = PS_CLIENT_TOKEN_LAST + 1, /* the resource connection's dial */
    RT_RES_REDIAL,
    RT_WORK,      /* the holder's next write (generation: the holding) */
    RT_HOLD,      /* lock: release; election: resign (generation: the holding) */
    RT_HEARTBEAT, /* election: the leader's next heartbeat (generation: the holding) */
    RT_SILENCE,   /* election: time to see whether k x H passed without a heartbeat */
    RT_QUIET,     /* election: a resigned leader's quiet time is over */
    RT_THINK,     /* lock: ask (again) */
    RT_ASK_WAIT,  /* lock: nobody answered (generation: the ask) */
    RT_ANNOUNCE,  /* registry: announce again */
    RT_EXPIRE,    /* registry: time to see whether an instance fell silent (index: it) */
};

/* Subscription ids, one per subject the client may subscribe to. */
enum recipe_sid { SID_INBOX = 1, SID_LOCK, SID_ELECTION, SID_REGISTRY };

/* What a recipe message says (ps_body.kind). */
enum body_kind { BODY_HEARTBEAT = 1, BODY_ASK, BODY_HELD, BODY_ANNOUNCE };

enum lock_step { LOCK_THINKING, LOCK_ASKING, LOCK_HOLDING };

#define SUBJECT_MAX 64

struct ps_recipe {
    const struct ps_recipe_config *cfg;
    struct ps_client client;
    bool started;              /* the application runs: it has been connected once */
    char subject[SUBJECT_MAX]; /* recipe.<n>.lock, .election or .registry */
    /* the protected resource */
    conn_id res_conn;
    bool res_dialing;
    /* what it believes (lock, election) */
    bool holding;
    int64_t token;             /* its fencing token while it holds: the term, for a leader */
    uint32_t hold_gen;         /* names the timers of one holding */
    /* election */
    int64_t highest_term;      /* the highest term it has heard or taken */
    sim_time last_heard;       /* the last heartbeat of another client (or the silence's
                                * start) */
    bool quiet;                /* resigned, not yet competing */
    /* lock */
    enum lock_step step;
    uint32_t ask;              /* the current ask's number */
    int64_t highest_token;     /* the highest token it has heard or taken */
    char inbox[SUBJECT_MAX];   /* _INBOX.recipe<n>-c<client>-<incarnation> */
    char reply[SUBJECT_MAX];   /* the current ask's reply subject: <inbox>.<ask> */
    /* registry: one entry per instance c1..c<clients>, the observer's bounded table */
    bool *listed;
    sim_time *heard;
};

static uint64_t hold_token(const struct ps_recipe *r, enum recipe_token kind)
{
    return proto_token((uint8_t)kind, r->hold_gen, 0);
}

static uint64_t plain_token(enum recipe_token kind, uint32_t index)
{
    return proto_token((uint8_t)kind, 0, index);
}

static bool connected(const struct ps_recipe *r)
{
    return r->client.status == PS_CLIENT_CONNECTED;
}

/* Publishes an application message; false when Publish() failed at once (no connection to
 * write to and no room in the reconnect buffer, or the client closed for good). */
static bool publish(struct ps_recipe *r, const char *subject, const char *reply,
                    enum body_kind kind, int64_t value, struct proto_out *out)
{
    struct ps_body body = { .kind = (uint8_t)kind, .client = r->cfg->client, .value = value };
    struct ps_msg *pub = ps_msg_pub_body(subject, reply, &body, RECIPE_PAYLOAD_BYTES);
    enum ps_publish_result res = ps_client_publish(&r->client, pub, out);
    return res == PS_PUBLISH_SENT || res == PS_PUBLISH_BUFFERED;
}

/* ---- holding and the resource --------------------------------------------------------- */

static void note_hold(struct ps_recipe *r, bool holding, enum hold_reason why,
                      struct proto_out *out)
{
    if (r->holding == holding)
        return;
    r->holding = holding;
    proto_trace_hold(out, r->cfg->recipe, r->cfg->client, holding, why, r->token);
}

static void write_resource(struct ps_recipe *r, struct proto_out *out)
{
    if (r->res_conn != CONN_NONE)
        proto_send(out, r->res_conn,
                   resource_write_new(PS_MSG_RESOURCE_WRITE, r->cfg->client, r->token));
}

/* It believes it holds, with token: writes at once and every work_every, and lets go after
 * hold (never with hold 0). */
static void begin_holding(struct ps_recipe *r, int64_t token, struct proto_out *out)
{
    r->hold_gen++;
    r->token = token;
    note_hold(r, true, HOLD_ACQUIRED, out);
    write_resource(r, out);
    proto_timer_set(out, hold_token(r, RT_WORK), r->cfg->work_every);
    if (r->cfg->hold > 0)
        proto_timer_set(out, hold_token(r, RT_HOLD), r->cfg->hold);
}

static void stop_holding(struct ps_recipe *r, enum hold_reason why, struct proto_out *out)
{
    note_hold(r, false, why, out);
    proto_timer_cancel(out, hold_token(r, RT_WORK));
    proto_timer_cancel(out, hold_token(r, RT_HOLD));
    proto_timer_cancel(out, hold_token(r, RT_HEARTBEAT));
}

static void dial_resource(struct ps_recipe *r, struct proto_out *out)
{
    r->res_dialing = true;
    proto_connect(out, r->cfg->resource_machine, RESOURCE_PORT, plain_token(RT_RES_DIAL, 0));
}

/* ---- election: a heartbeat leader ------------------------------------------------------ */

static void heartbeat(struct ps_recipe *r, struct proto_out *out)
{
    publish(r, r->subject, NULL, BODY_HEARTBEAT, r->token, out);
    proto_timer_set(out, hold_token(r, RT_HEARTBEAT), HEARTBEAT_INTERVAL);
}

/* A follower counts silence from now. */
static void election_listen(struct ps_recipe *r, const struct proto_env *env,
                            struct proto_out *out)
{
    r->last_heard = env->now_ns;
    proto_timer_set(out, plain_token(RT_SILENCE, 0), ELECTION_SILENCE);
}

static void election_take_over(struct ps_recipe *r, struct proto_out *out)
{
    r->highest_term++;
    begin_holding(r, r->highest_term, out);
    heartbeat(r, out);
}

/* The silence timer is a check, not a verdict: heartbeats heard since it was armed (or while
 * the process was paused with it due) only move it on. */
static void election_silence(struct ps_recipe *r, const struct proto_env *env,
                             struct proto_out *out)
{
    if (r->holding || r->quiet)
        return;
    sim_time due = r->last_heard + ELECTION_SILENCE;
    if (env->now_ns < due) {
        proto_timer_set(out, plain_token(RT_SILENCE, 0), due - env->now_ns);
        return;
    }
    election_take_over(r, out);
}

static void election_heard(struct ps_recipe *r, const struct ps_body *b,
                           const struct proto_env *env, struct proto_out *out)
{
    if (b->client == r->cfg->client)
        return; /* its own heartbeat, echoed */
    r->highest_term = MAX(r->highest_term, b->value);
    if (r->holding) {
        bool beaten = b->value > r->token || (b->value == r->token && b->client < r->cfg->client);
        if (!beaten)
            return; /* the other one steps down when it hears this leader */
        stop_holding(r, HOLD_EXPIRED, out);
        election_listen(r, env, out);
        return;
    }
    r->last_heard = env->now_ns;
}

/* After `hold` the leader resigns, keeps quiet for k x H, then counts silence afresh. */
static void election_resign(struct ps_recipe *r, struct proto_out *out)
{
    stop_holding(r, HOLD_RELEASED, out);
    r->quiet = true;
    proto_timer_set(out, plain_token(RT_QUIET, 0), ELECTION_SILENCE);
}

/* ---- lock: ask, then take ------------------------------------------------------------- */

static sim_time random_wait(const struct ps_recipe *r, const struct proto_env *env)
{
    return (sim_time)rng_below(env->rng, (uint64_t)MAX(r->cfg->work_every, 1));
}

static void lock_think(struct ps_recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->step = LOCK_THINKING;
    proto_timer_set(out, plain_token(RT_THINK, 0), random_wait(r, env));
}

/* nats.go Request with a timeout of ASK_WAIT: a new reply subject under the client's inbox
 * each time, whose first answer ends the request. */
static void lock_ask(struct ps_recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->ask++;
    g_snprintf(r->reply, sizeof r->reply, "%s.%u", r->inbox, r->ask);
    if (!publish(r, r->subject, r->reply, BODY_ASK, 0, out)) {
        lock_think(r, env, out); /* an error other than a time-out: try again later */
        return;
    }
    r->step = LOCK_ASKING;
    proto_timer_set(out, proto_token(RT_ASK_WAIT, r->ask, 0), ASK_WAIT);
}

static void lock_take(struct ps_recipe *r, struct proto_out *out)
{
    proto_timer_cancel(out, proto_token(RT_ASK_WAIT, r->ask, 0));
    r->step = LOCK_HOLDING;
    r->highest_token++;
    begin_holding(r, r->highest_token, out);
    /* From now on it answers asks: it is the one listening on the lock's subject. */
    if (connected(r))
        ps_client_send(&r->client, ps_msg_sub(r->subject, NULL, SID_LOCK), out);
}

static void lock_release(struct ps_recipe *r, const struct proto_env *env,
                         struct proto_out *out)
{
    stop_holding(r, HOLD_RELEASED, out);
    if (connected(r))
        ps_client_send(&r->client, ps_msg_unsub(SID_LOCK), out);
    lock_think(r, env, out);
}

/* An answer on its inbox: "held" from a holder, or 503 from its broker (nobody listens on
 * the lock's subject there). Only the first answer to the current ask counts. */
static void lock_answer(struct ps_recipe *r, const struct ps_msg *m, const struct proto_env *env,
                        struct proto_out *out)
{
    if (r->step != LOCK_ASKING || strcmp(m->subject, r->reply) != 0)
        return; /* an earlier ask's, or a second answer: that request is over */
    if (m->hdr.type == PS_MSG_HMSG) {
        lock_take(r, out); /* ErrNoResponders */
        return;
    }
    if (m->body.kind != BODY_HELD)
        return;
    proto_timer_cancel(out, proto_token(RT_ASK_WAIT, r->ask, 0));
    r->highest_token = MAX(r->highest_token, m->body.value);
    lock_think(r, env, out);
}

static void lock_asked(struct ps_recipe *r, const struct ps_msg *m, struct proto_out *out)
{
    if (r->step == LOCK_HOLDING && m->reply && m->body.kind == BODY_ASK)
        publish(r, m->reply, NULL, BODY_HELD, r->token, out);
}

/* ---- registry: periodic announcements -------------------------------------------------- */

/* The slot of instance c<instance> in the observer's table, or -1 when it is not one of the
 * recipe's clients. */
static int slot_of(const struct ps_recipe *r, uint32_t instance)
{
    if (instance <= r->cfg->first_client || instance > r->cfg->first_client + r->cfg->clients)
        return -1;
    return (int)(instance - r->cfg->first_client - 1);
}

static void note_view(struct ps_recipe *r, uint32_t instance, bool listed, struct proto_out *out)
{
    r->listed[slot_of(r, instance)] = listed;
    proto_trace_view(out, r->cfg->recipe, r->cfg->client, instance, listed);
}

static void announce(struct ps_recipe *r, struct proto_out *out)
{
    publish(r, r->subject, NULL, BODY_ANNOUNCE, 0, out);
    proto_timer_set(out, plain_token(RT_ANNOUNCE, 0), ANNOUNCE_INTERVAL);
}

static void registry_heard(struct ps_recipe *r, const struct ps_body *b,
                           const struct proto_env *env, struct proto_out *out)
{
    uint32_t instance = b->client;
    int slot = slot_of(r, instance);
    if (slot < 0)
        return;
    r->heard[slot] = env->now_ns;
    if (r->listed[slot])
        return;
    note_view(r, instance, true, out);
    proto_timer_set(out, plain_token(RT_EXPIRE, instance), REGISTRY_SILENCE);
}

/* Like the election's silence timer, a check that announcements heard since only move on. */
static void registry_expire(struct ps_recipe *r, uint32_t instance, const struct proto_env *env,
                            struct proto_out *out)
{
    int slot = slot_of(r, instance);
    if (slot < 0 || !r->listed[slot])
        return;
    sim_time due = r->heard[slot] + REGISTRY_SILENCE;
    if (env->now_ns < due) {
        proto_timer_set(out, plain_token(RT_EXPIRE, instance), due - env->now_ns);
        return;
    }
    note_view(r, instance, false, out);
}

/* ---- the NATS client's hooks ------------------------------------------------------------ */

static void app_start(struct ps_recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->started = true;
    switch (r->cfg->kind) {
    case PS_RECIPE_ELECTION:
        election_listen(r, env, out);
        return;
    case PS_RECIPE_LOCK:
        lock_think(r, env, out);
        return;
    case PS_RECIPE_REGISTRY:
        announce(r, out);
        return;
    }
}

/* Connected, first time or again: (re)subscribe to what the application listens on, as
 * nats.go resends its subscriptions after a reconnect. */
static void on_connected(void *owner, const struct proto_env *env, struct proto_out *out)
{
    struct ps_recipe *r = owner;
    switch (r->cfg->kind) {
    case PS_RECIPE_ELECTION:
        ps_client_send(&r->client, ps_msg_sub(r->subject, NULL, SID_ELECTION), out);
        break;
    case PS_RECIPE_LOCK: {
        char inbox[SUBJECT_MAX + 2];
        g_snprintf(inbox, sizeof inbox, "%s.*", r->inbox);
        ps_client_send(&r->client, ps_msg_sub(inbox, NULL, SID_INBOX), out);
        if (r->step == LOCK_HOLDING)
            ps_client_send(&r->client, ps_msg_sub(r->subject, NULL, SID_LOCK), out);
        break;
    }
    case PS_RECIPE_REGISTRY:
        ps_client_send(&r->client, ps_msg_sub(r->subject, NULL, SID_REGISTRY), out);
        break;
    }
    if (!r->started)
        app_start(r, env, out);
}

static void on_msg(void *owner, const struct proto_env *env, const struct ps_msg *m,
                   struct proto_out *out)
{
    struct ps_recipe *r = owner;
    if (!r->started)
        return;
    switch ((enum recipe_sid)m->sid) {
    case SID_INBOX:
        if (r->cfg->kind == PS_RECIPE_LOCK)
            lock_answer(r, m, env, out);
        return;
    case SID_LOCK:
        if (r->cfg->kind == PS_RECIPE_LOCK)
            lock_asked(r, m, out);
        return;
    case SID_ELECTION:
        if (r->cfg->kind == PS_RECIPE_ELECTION && m->body.kind == BODY_HEARTBEAT)
            election_heard(r, &m->body, env, out);
        return;
    case SID_REGISTRY:
        if (r->cfg->kind == PS_RECIPE_REGISTRY && m->body.kind == BODY_ANNOUNCE)
            registry_heard(r, &m->body, env, out);
        return;
    }
}

static const struct ps_client_hooks recipe_hooks = {
    .on_connected = on_connected,
    .on_msg = on_msg,
};

/* ---- timers ------------------------------------------------------------------------------ */

static void on_timer(struct ps_recipe *r, uint64_t token, const struct proto_env *env,
                     struct proto_out *out)
{
    enum recipe_token kind = (enum recipe_token)proto_token_kind(token);
    bool this_holding = proto_token_of(token, r->hold_gen) && r->holding;
    switch (kind) {
    case RT_RES_REDIAL:
        if (r->res_conn == CONN_NONE && !r->res_dialing)
            dial_resource(r, out);
        return;
    case RT_WORK:
        if (this_holding) {
            write_resource(r, out);
            proto_timer_set(out, hold_token(r, RT_WORK), r->cfg->work_every);
        }
        return;
    case RT_HOLD:
        if (this_holding && r->cfg->kind == PS_RECIPE_LOCK)
            lock_release(r, env, out);
        else if (this_holding)
            election_resign(r, out);
        return;
    case RT_HEARTBEAT:
        if (this_holding)
            heartbeat(r, out);
        return;
    case RT_SILENCE:
        election_silence(r, env, out);
        return;
    case RT_QUIET:
        if (r->quiet) {
            r->quiet = false;
            election_listen(r, env, out);
        }
        return;
    case RT_THINK:
        if (r->step == LOCK_THINKING)
            lock_ask(r, env, out);
        return;
    case RT_ASK_WAIT:
        if (r->step == LOCK_ASKING && proto_token_of(token, r->ask))
            lock_take(r, out); /* ErrTimeout: nobody said it is held */
        return;
    case RT_ANNOUNCE:
        announce(r, out);
        return;
    case RT_EXPIRE:
        registry_expire(r, proto_token_index(token), env, out);
        return;
    case RT_RES_DIAL:
        return; /* a dial token, never a timer */
    }
}

/* ---- node interface ------------------------------------------------------------------- */

static void *recipe_create(const void *config, const struct proto_env *env,
                           const struct disk *disk)
{
    (void)disk;
    const struct ps_recipe_config *cfg = config;
    ZS_ASSERT(cfg->home_host < cfg->n_hosts && cfg->client > cfg->first_client &&
              cfg->client <= cfg->first_client + cfg->clients);
    struct ps_recipe *r = g_new0(struct ps_recipe, 1);
    r->cfg = cfg;
    static const char *const words[] = { [PS_RECIPE_LOCK] = "lock",
                                         [PS_RECIPE_ELECTION] = "election",
                                         [PS_RECIPE_REGISTRY] = "registry" };
    g_snprintf(r->subject, sizeof r->subject, "recipe.%u.%s", cfg->recipe + 1u,
               words[cfg->kind]);
    /* nats.go's inbox prefix is a random NUID; the client and its incarnation stand for it. */
    g_snprintf(r->inbox, sizeof r->inbox, "_INBOX.recipe%u-c%u-%u", cfg->recipe + 1u,
               cfg->client, env->incarnation);
    if (cfg->kind == PS_RECIPE_REGISTRY) {
        r->listed = g_new0(bool, cfg->clients);
        r->heard = g_new0(sim_time, cfg->clients);
    }
    ps_client_init(&r->client, &recipe_hooks, r, cfg->reconnect_wait, cfg->reconnect_buffer);
    /* Home host first, the others in an order drawn from the node's stream (the publishers'
     * pool rule). */
    uint32_t *order = g_new(uint32_t, cfg->n_hosts);
    rng_order_first(env->rng, cfg->home_host, cfg->n_hosts, order);
    for (uint32_t i = 0; i < cfg->n_hosts; i++)
        ps_client_add_server(&r->client, order[i], cfg->host_machines[order[i]]);
    g_free(order);
    return r;
}

static void recipe_destroy(void *state)
{
    struct ps_recipe *r = state;
    ps_client_destroy(&r->client);
    g_free(r->listed);
    g_free(r->heard);
    g_free(r);
}

/* The resource connection's inputs; false for anything else. */
static bool resource_input(struct ps_recipe *r, const struct proto_input *in,
                           struct proto_out *out)
{
    uint64_t dial = plain_token(RT_RES_DIAL, 0);
    switch (in->kind) {
    case PROTO_IN_CONN_UP:
        if (in->token != dial || in->incoming)
            return false;
        if (!r->res_dialing) {
            proto_close(out, in->conn);
            return true;
        }
        r->res_dialing = false;
        r->res_conn = in->conn;
        return true;
    case PROTO_IN_CONN_FAILED:
        if (in->token != dial)
            return false;
        r->res_dialing = false;
        proto_timer_set(out, plain_token(RT_RES_REDIAL, 0), RESOURCE_REDIAL);
        return true;
    case PROTO_IN_CONN_DOWN:
        if (r->res_conn == CONN_NONE || in->conn != r->res_conn)
            return false;
        r->res_conn = CONN_NONE;
        proto_timer_set(out, plain_token(RT_RES_REDIAL, 0), RESOURCE_REDIAL);
        return true;
    case PROTO_IN_MSG:
        return r->res_conn != CONN_NONE && in->conn == r->res_conn; /* it never answers */
    default:
        return false;
    }
}

static void recipe_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct ps_recipe *r = state;
    if (in->kind == PROTO_IN_START) {
        if (r->cfg->kind != PS_RECIPE_REGISTRY)
            dial_resource(r, out);
        ps_client_start(&r->client, env, out);
        return;
    }
    if (resource_input(r, in, out))
        return;
    if (in->kind == PROTO_IN_TIMER && proto_token_kind(in->token) > PS_CLIENT_TOKEN_LAST) {
        on_timer(r, in->token, env, out);
        return;
    }
    ps_client_handle(&r->client, env, in, out);
}

bool ps_recipe_holding(const void *recipe_client)
{
    const struct ps_recipe *r = recipe_client;
    return r && r->holding;
}

const struct proto_ops ps_recipe_ops = {
    .name = "pubsub-recipe",
    .create = recipe_create,
    .destroy = recipe_destroy,
    .handle = recipe_handle,
    .msg_type_name = ps_msg_type_name,
};
