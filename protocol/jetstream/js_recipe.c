/* js_recipe.c: a coordination recipe's client over the JetStream-style key-value bucket
 * (docs/recipes.md, "The recipes over the JetStream-style key-value bucket"): an application
 * and its nats.go client in one process on a client machine, so a pause stops both.
 *
 * The library part is nats.go's KeyValue over one connection to the bucket's servers (its
 * home host's first, reconnecting as the model's publishers do, js_link.h). Each operation
 * is a request with its own deadline (jetstream.publish_timeout, nats.go's default API
 * timeout); a write answered "no responders" is sent again twice, 250 ms apart, within that
 * deadline, as nats.go's Publish does. Create(key, value) is Update(key, value, 0); when
 * that fails, a get of the key, and if its last message is a delete marker, Update with the
 * marker's revision (jetstream/kv.go Create). Requests made while disconnected wait for the
 * connection; requests on a connection that broke run into their deadline.
 *
 * The application part, by kind:
 *   - lock and election (ripienaar's nats-kv-leader-elect): a candidate calls Create(key,
 *     client) every campaign interval; the winner holds, with the revision of its Create as
 *     fencing token, refreshes with Update(key, client, last revision) every 3/4 of the
 *     bucket's TTL, and stops holding at the first refresh that fails or times out. A holder
 *     writes to the protected resource every work_every. The lock is released after `hold`
 *     (an election's leader resigns after it, never with hold 0) with Delete(key, last
 *     revision), and the client rests a random 0..work_every before it campaigns again.
 *   - registry: the instance puts its entry registry.c<n> at once and every 3/4 of the TTL;
 *     as an observer it lists the recipe's keys (Keys()) every REGISTRY_LIST_EVERY_NS and
 *     records each instance entering or leaving its view (TRACE_VIEW). A crashed instance's
 *     entry stays listed until MaxAge removes it.
 * What the client believes is recorded as TRACE_HOLD. */
#include "protocol/jetstream/js_link.h"

#include "sim/resource.h"

/* A candidate's Create, this often (the campaign interval). ripienaar's library campaigns
 * at 3/4 of the TTL, or by a back-off it is given; a short interval lets a lock change hands
 * without waiting most of a TTL. */
#define CAMPAIGN_EVERY_NS (1 * SIM_S)
/* An observer lists the registry this often (P). */
#define REGISTRY_LIST_EVERY_NS (1 * SIM_S)
#define PUB_RETRY_WAIT_NS (250 * SIM_MS) /* nats.go DefaultPubRetryWait */
#define PUB_RETRY_ATTEMPTS 2u            /* nats.go DefaultPubRetryAttempts */
#define RESOURCE_REDIAL_NS (1 * SIM_S)   /* the resource's client library's retry */

enum recipe_token {
    RT_TIMEOUT = JS_LINK_TOKEN_NEXT, /* a request's deadline: generation = its id, index =
                                        its slot */
    RT_RETRY_503,  /* a write's resend after "no responders": likewise */
    RT_CAMPAIGN,   /* a candidate's next Create */
    RT_REFRESH,    /* a holder's next Update; an instance's next put */
    RT_WORK,       /* the holder's next write to the resource */
    RT_HOLD,       /* the holder lets go */
    RT_REST,       /* the rest after a release is over */
    RT_LIST,       /* an observer's next listing */
    RT_RES_DIAL,   /* the resource connection (a dial token) */
    RT_RES_REDIAL,
};

/* The client's requests, one in flight per slot: the application's writes (and a Create's
 * get), and a registry observer's listings beside its instance's puts. */
enum slot { SLOT_OP = 0, SLOT_LIST, SLOT_COUNT };

struct request {
    bool active;
    bool queued;          /* waiting for a connection */
    uint32_t id;          /* the answer names it */
    uint32_t retries_503; /* the library's resends of this write */
    uint8_t kv_op;        /* enum js_kv_req */
    bool conditional;
    uint64_t expected;
};

/* What the op slot's request is for. */
enum step {
    STEP_NONE = 0,
    STEP_CREATE,     /* Create: Update(key, client, 0) */
    STEP_CREATE_GET, /* Create: is the key's last message a delete marker? */
    STEP_CREATE_REV, /* Create: Update(key, client, the marker's revision) */
    STEP_REFRESH,    /* Update(key, client, last revision) */
    STEP_RELEASE,    /* Delete(key, last revision) */
    STEP_REGISTER,   /* registry: Put(registry.c<n>, client) */
};

enum phase {
    PH_CANDIDATE = 0, /* campaigns */
    PH_HOLDING,
    PH_RELEASING,     /* let go: its Delete is (or will be) on its way */
    PH_RESTING,       /* released: rests before campaigning again */
};

struct recipe {
    const struct js_recipe_config *cfg;
    struct js_link link;
    uint32_t next_id;
    struct request req[SLOT_COUNT];
    enum step step;
    enum phase phase;
    bool holding;
    bool refresh_due;   /* a refresh tick came while a request was in flight */
    int64_t token;      /* the revision of the Create that won */
    uint64_t last_rev;  /* the key's revision as its last write left it */
    bool *listed;       /* registry: by instance - first_client - 1, in this observer's view */
    conn_id res_conn;
    bool res_dialing;
};

static uint32_t inbox_of(const struct recipe *r)
{
    return js_kv_key(r->cfg->recipe, r->cfg->client);
}

static uint32_t key_of(const struct recipe *r)
{
    return js_kv_key(r->cfg->recipe, r->cfg->kind == JS_RECIPE_REGISTRY ? r->cfg->client : 0);
}

static sim_time refresh_every(const struct recipe *r)
{
    return MAX(r->cfg->ttl * 3 / 4, 1);
}

/* ---- requests --------------------------------------------------------------------------- */

static void request_send(struct recipe *r, enum slot slot, struct proto_out *out)
{
    struct request *q = &r->req[slot];
    if (!r->link.up) {
        q->queued = true;
        return;
    }
    q->queued = false;
    struct js_msg *m = js_msg_new(JS_MSG_KV_REQ, 0, 0);
    m->client = inbox_of(r);
    m->attempt = q->id;
    m->kv_op = q->kv_op;
    m->key = q->kv_op == JS_KV_REQ_KEYS ? js_kv_key(r->cfg->recipe, 0) : key_of(r);
    m->value = r->cfg->client;
    m->flag = q->conditional;
    m->expected = q->expected;
    proto_send(out, r->link.conn, &m->hdr);
}

static void request_start(struct recipe *r, enum slot slot, enum js_kv_req op,
                          bool conditional, uint64_t expected, struct proto_out *out)
{
    struct request *q = &r->req[slot];
    ZS_ASSERT(!q->active);
    *q = (struct request){ .active = true, .id = ++r->next_id, .kv_op = (uint8_t)op,
                           .conditional = conditional, .expected = expected };
    proto_timer_set(out, proto_token(RT_TIMEOUT, q->id, slot), r->cfg->request_timeout);
    request_send(r, slot, out);
}

static void request_end(struct recipe *r, enum slot slot, struct proto_out *out)
{
    struct request *q = &r->req[slot];
    proto_timer_cancel(out, proto_token(RT_TIMEOUT, q->id, slot));
    proto_timer_cancel(out, proto_token(RT_RETRY_503, q->id, slot));
    q->active = false;
    q->queued = false;
}

/* ---- the lock and the election ---------------------------------------------------------- */

static void note_hold(struct recipe *r, bool holding, enum hold_reason why,
                      struct proto_out *out)
{
    if (r->holding == holding)
        return;
    r->holding = holding;
    proto_trace_hold(out, r->cfg->recipe, r->cfg->client, holding, why, r->token);
}

static void send_to_resource(struct recipe *r, struct proto_out *out)
{
    if (r->res_conn != CONN_NONE)
        proto_send(out, r->res_conn,
                   resource_write_new(JS_MSG_RESOURCE_WRITE, r->cfg->client, r->token));
}

static void stop_holding(struct recipe *r, enum hold_reason why, struct proto_out *out)
{
    note_hold(r, false, why, out);
    r->refresh_due = false;
    proto_timer_cancel(out, proto_token(RT_WORK, 0, 0));
    proto_timer_cancel(out, proto_token(RT_HOLD, 0, 0));
    proto_timer_cancel(out, proto_token(RT_REFRESH, 0, 0));
}

static void create(struct recipe *r, struct proto_out *out)
{
    r->step = STEP_CREATE;
    request_start(r, SLOT_OP, JS_KV_REQ_PUT, true, 0, out);
}

static void refresh(struct recipe *r, struct proto_out *out)
{
    r->refresh_due = false;
    r->step = STEP_REFRESH;
    request_start(r, SLOT_OP, JS_KV_REQ_PUT, true, r->last_rev, out);
}

static void release(struct recipe *r, struct proto_out *out)
{
    r->step = STEP_RELEASE;
    request_start(r, SLOT_OP, JS_KV_REQ_DEL, true, r->last_rev, out);
}

static void won(struct recipe *r, uint64_t revision, struct proto_out *out)
{
    r->phase = PH_HOLDING;
    r->token = (int64_t)revision;
    r->last_rev = revision;
    note_hold(r, true, HOLD_ACQUIRED, out);
    send_to_resource(r, out);
    proto_timer_set(out, proto_token(RT_WORK, 0, 0), r->cfg->work_every);
    if (r->cfg->hold > 0)
        proto_timer_set(out, proto_token(RT_HOLD, 0, 0), r->cfg->hold);
    proto_timer_set(out, proto_token(RT_REFRESH, 0, 0), refresh_every(r));
}

/* Released (or the release failed): rest, then campaign again. */
static void rest(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->phase = PH_RESTING;
    sim_time think = (sim_time)rng_below(env->rng, (uint64_t)MAX(r->cfg->work_every, 1));
    proto_timer_set(out, proto_token(RT_REST, 0, 0), think);
}

/* The op slot's request ended: ok with its answer m, or failed (m NULL on a time-out). */
static void op_done(struct recipe *r, bool ok, const struct js_msg *m,
                    const struct proto_env *env, struct proto_out *out)
{
    enum step step = r->step;
    r->step = STEP_NONE;
    switch (step) {
    case STEP_CREATE:
        if (ok) {
            won(r, m->seq, out);
        } else {
            /* The key may hold a delete marker: a get tells, from a replica. */
            r->step = STEP_CREATE_GET;
            request_start(r, SLOT_OP, JS_KV_REQ_GET, false, 0, out);
        }
        return;
    case STEP_CREATE_GET:
        if (ok && m->kv_op == JS_KV_OP_DEL) {
            r->step = STEP_CREATE_REV;
            request_start(r, SLOT_OP, JS_KV_REQ_PUT, true, m->seq, out);
        }
        return; /* a value, or no answer: somebody holds it; campaign again later */
    case STEP_CREATE_REV:
        if (ok)
            won(r, m->seq, out);
        return;
    case STEP_REFRESH:
        if (ok)
            r->last_rev = m->seq;
        if (r->phase == PH_RELEASING) {
            release(r, out); /* `hold` ended while the refresh was on its way */
            return;
        }
        if (!ok) {
            stop_holding(r, HOLD_EXPIRED, out); /* ripienaar: leadership lost */
            r->phase = PH_CANDIDATE;
        } else if (r->refresh_due) {
            refresh(r, out);
        }
        return;
    case STEP_RELEASE:
        rest(r, env, out);
        return;
    case STEP_REGISTER:
    case STEP_NONE:
        return;
    }
}

/* ---- the registry ----------------------------------------------------------------------- */

static void note_view(struct recipe *r, uint32_t instance, bool listed, struct proto_out *out)
{
    proto_trace_view(out, r->cfg->recipe, r->cfg->client, instance, listed);
}

/* A listing came back: each instance that entered or left the view, in instance order. */
static void list_done(struct recipe *r, const struct js_msg *m, struct proto_out *out)
{
    uint32_t first = r->cfg->first_client;
    bool *now = g_new0(bool, r->cfg->clients);
    for (uint32_t i = 0; i < m->n_entries; i++) {
        uint32_t sub = js_kv_key_sub(m->entries[i].key);
        if (sub > first && sub <= first + r->cfg->clients)
            now[sub - first - 1] = true;
    }
    for (uint32_t c = 0; c < r->cfg->clients; c++) {
        if (now[c] != r->listed[c]) {
            r->listed[c] = now[c];
            note_view(r, first + c + 1, now[c], out);
        }
    }
    g_free(now);
}

static void request_done(struct recipe *r, enum slot slot, bool ok, const struct js_msg *m,
                         const struct proto_env *env, struct proto_out *out)
{
    request_end(r, slot, out);
    if (slot == SLOT_LIST) {
        if (ok)
            list_done(r, m, out);
        return; /* no answer: the view stays as it was */
    }
    op_done(r, ok, m, env, out);
}

static void on_answer(struct recipe *r, const struct js_msg *m, const struct proto_env *env,
                      struct proto_out *out)
{
    if (m->hdr.type != JS_MSG_KV_RESP)
        return;
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        struct request *q = &r->req[slot];
        if (!q->active || q->id != m->attempt)
            continue;
        bool write = q->kv_op == JS_KV_REQ_PUT || q->kv_op == JS_KV_REQ_DEL;
        if (m->status == JS_STATUS_NO_RESPONDERS && write &&
            q->retries_503 < PUB_RETRY_ATTEMPTS) {
            q->retries_503++;
            proto_timer_set(out, proto_token(RT_RETRY_503, q->id, (uint32_t)slot),
                            PUB_RETRY_WAIT_NS);
            return;
        }
        request_done(r, (enum slot)slot, m->status == JS_STATUS_OK, m, env, out);
        return;
    }
    /* The answer to a request given up on: its inbox is gone. */
}

/* ---- timers ----------------------------------------------------------------------------- */

static void on_request_timer(struct recipe *r, uint64_t token, const struct proto_env *env,
                             struct proto_out *out)
{
    uint32_t slot = proto_token_index(token);
    if (slot >= SLOT_COUNT)
        return;
    struct request *q = &r->req[slot];
    if (!q->active || !proto_token_of(token, q->id))
        return;
    if (proto_token_kind(token) == RT_RETRY_503)
        request_send(r, (enum slot)slot, out);
    else
        request_done(r, (enum slot)slot, false, NULL, env, out);
}

static void on_app_timer(struct recipe *r, enum recipe_token kind, const struct proto_env *env,
                         struct proto_out *out)
{
    bool idle = !r->req[SLOT_OP].active;
    switch (kind) {
    case RT_CAMPAIGN:
        proto_timer_set(out, proto_token(RT_CAMPAIGN, 0, 0), CAMPAIGN_EVERY_NS);
        if (r->phase == PH_CANDIDATE && idle)
            create(r, out);
        return;
    case RT_REFRESH:
        if (r->cfg->kind == JS_RECIPE_REGISTRY) {
            proto_timer_set(out, proto_token(RT_REFRESH, 0, 0), refresh_every(r));
            if (idle) {
                r->step = STEP_REGISTER;
                request_start(r, SLOT_OP, JS_KV_REQ_PUT, false, 0, out);
            }
            return;
        }
        if (!r->holding)
            return;
        proto_timer_set(out, proto_token(RT_REFRESH, 0, 0), refresh_every(r));
        if (idle)
            refresh(r, out);
        else
            r->refresh_due = true; /* a ticker's tick waits for the call in progress */
        return;
    case RT_WORK:
        if (!r->holding)
            return;
        send_to_resource(r, out);
        proto_timer_set(out, proto_token(RT_WORK, 0, 0), r->cfg->work_every);
        return;
    case RT_HOLD:
        if (!r->holding)
            return;
        stop_holding(r, HOLD_RELEASED, out);
        r->phase = PH_RELEASING;
        if (idle)
            release(r, out);
        return;
    case RT_REST:
        if (r->phase != PH_RESTING)
            return;
        r->phase = PH_CANDIDATE;
        if (idle)
            create(r, out);
        return;
    case RT_LIST:
        proto_timer_set(out, proto_token(RT_LIST, 0, 0), REGISTRY_LIST_EVERY_NS);
        if (!r->req[SLOT_LIST].active)
            request_start(r, SLOT_LIST, JS_KV_REQ_KEYS, false, 0, out);
        return;
    default:
        return;
    }
}

/* ---- connections ------------------------------------------------------------------------ */

static void link_up(struct recipe *r, conn_id conn, struct proto_out *out)
{
    r->link.up = true;
    r->link.conn = conn;
    r->link.tried_in_pass = 0;
    proto_timer_cancel(out, proto_token(JS_LINK_TOKEN_DIAL_TIMEOUT, 0, 0));
    for (int slot = 0; slot < SLOT_COUNT; slot++) {
        if (r->req[slot].active && r->req[slot].queued)
            request_send(r, (enum slot)slot, out);
    }
}

static void link_lost(struct recipe *r, struct proto_out *out)
{
    proto_timer_cancel(out, proto_token(JS_LINK_TOKEN_DIAL_TIMEOUT, 0, 0));
    js_link_next(&r->link, r->cfg->n_hosts, r->cfg->reconnect_wait, r->cfg->host_machines,
                 JS_PORT_KV_CLIENT, out);
}

static void dial_resource(struct recipe *r, struct proto_out *out)
{
    r->res_dialing = true;
    proto_connect(out, r->cfg->resource_machine, RESOURCE_PORT,
                  proto_token(RT_RES_DIAL, 0, 0));
}

static void on_start(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    js_link_dial(&r->link, r->cfg->host_machines, JS_PORT_KV_CLIENT, out);
    if (r->cfg->kind == JS_RECIPE_REGISTRY) {
        r->step = STEP_REGISTER; /* an instance registers as it starts */
        request_start(r, SLOT_OP, JS_KV_REQ_PUT, false, 0, out);
        proto_timer_set(out, proto_token(RT_REFRESH, 0, 0), refresh_every(r));
        proto_timer_set(out, proto_token(RT_LIST, 0, 0),
                        (sim_time)rng_below(env->rng, REGISTRY_LIST_EVERY_NS));
        return;
    }
    dial_resource(r, out);
    /* Candidates spread their first campaign over an interval (ripienaar's splay). */
    proto_timer_set(out, proto_token(RT_CAMPAIGN, 0, 0),
                    (sim_time)rng_below(env->rng, CAMPAIGN_EVERY_NS));
}

/* ---- node interface --------------------------------------------------------------------- */

static void *recipe_create(const void *config, const struct proto_env *env,
                           const struct disk *disk)
{
    (void)env;
    (void)disk;
    struct recipe *r = g_new0(struct recipe, 1);
    r->cfg = config;
    r->link.server = r->cfg->home_host;
    r->listed = g_new0(bool, MAX(r->cfg->clients, 1));
    return r;
}

static void recipe_destroy(void *state)
{
    struct recipe *r = state;
    g_free(r->listed);
    g_free(r);
}

static void recipe_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct recipe *r = state;
    bool up;
    switch (in->kind) {
    case PROTO_IN_START:
        on_start(r, env, out);
        return;
    case PROTO_IN_CONN_UP:
    case PROTO_IN_CONN_FAILED:
        if (proto_token_kind(in->token) == RT_RES_DIAL && r->res_dialing) {
            r->res_dialing = false;
            if (in->kind == PROTO_IN_CONN_UP)
                r->res_conn = in->conn;
            else
                proto_timer_set(out, proto_token(RT_RES_REDIAL, 0, 0), RESOURCE_REDIAL_NS);
        } else if (!js_link_dial_answer(&r->link, in, &up)) {
            if (in->kind == PROTO_IN_CONN_UP)
                proto_close(out, in->conn); /* a dial given up on */
        } else if (up) {
            link_up(r, in->conn, out);
        } else {
            link_lost(r, out);
        }
        return;
    case PROTO_IN_CONN_DOWN:
        if (in->conn == r->res_conn) {
            r->res_conn = CONN_NONE;
            proto_timer_set(out, proto_token(RT_RES_REDIAL, 0, 0), RESOURCE_REDIAL_NS);
        } else if (r->link.up && in->conn == r->link.conn) {
            link_lost(r, out);
        }
        return;
    case PROTO_IN_MSG:
        if (r->link.up && in->conn == r->link.conn)
            on_answer(r, js_msg_from(in->msg), env, out);
        return;
    case PROTO_IN_TIMER:
        switch (proto_token_kind(in->token)) {
        case JS_LINK_TOKEN_RECONNECT:
            js_link_dial(&r->link, r->cfg->host_machines, JS_PORT_KV_CLIENT, out);
            return;
        case JS_LINK_TOKEN_DIAL_TIMEOUT:
            if (r->link.dialing)
                link_lost(r, out);
            return;
        case RT_TIMEOUT:
        case RT_RETRY_503:
            on_request_timer(r, in->token, env, out);
            return;
        case RT_RES_REDIAL:
            if (r->res_conn == CONN_NONE && !r->res_dialing)
                dial_resource(r, out);
            return;
        default:
            on_app_timer(r, (enum recipe_token)proto_token_kind(in->token), env, out);
            return;
        }
    case PROTO_IN_CLIENT_OP:
    case PROTO_IN_DISK_DONE:
        return;
    }
}

bool js_recipe_holding(const void *recipe_client)
{
    const struct recipe *r = recipe_client;
    return r && r->holding;
}

const struct proto_ops js_recipe_ops = {
    .name = "js-recipe",
    .create = recipe_create,
    .destroy = recipe_destroy,
    .handle = recipe_handle,
    .msg_type_name = js_msg_type_name,
};
