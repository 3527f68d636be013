/* ps_route.c: the full mesh of routes between brokers (nats-server route.go;
 * docs/pubsub-model.md, "Routes").
 *
 * Every server lists every other in its routes, so both sides of a pair dial: at start-up,
 * and again after losing the route. When a second connection to the same peer comes up
 * (both dials succeeded), one is closed as a duplicate: both sides keep the one dialled by
 * the lower host index (nats-server compares server ids), so they agree without talking;
 * two connections dialled by the same side mean the older is dead, and the newer is kept.
 * When both sides dialled, what was learned over the closed duplicate stays: the peer's
 * interest does not depend on the connection that carries it, and the peer sends all of it
 * again on the one kept; when the same side dialled twice, the old interest is forgotten.
 * On route setup the dialler sends CONNECT with its host index, then both sides send
 * their whole local interest (RS+ per subject, queue groups with their weight); later
 * changes travel as single RS+/RS-. When a route closes, everything learned over it is
 * forgotten, and each side dials again after DEFAULT_ROUTE_RECONNECT (1 s) plus up to
 * 100 ms of jitter (reConnectToRoute for an explicit route); a dial that fails is retried
 * as often, each dial bounded by DEFAULT_ROUTE_DIAL (1 s) (const.go). Nobody redials a
 * peer it has a route to. A broker that (re)starts dials every peer at once, so a
 * restarted broker has its mesh back within a round trip.
 *
 * Nothing is replayed after a reconnect, and a half-open route keeps swallowing messages
 * until ping detection (ps_broker.c: every 30 s, closed after ping_max unanswered). */
#include "protocol/pubsub/ps_broker_internal.h"

#include <string.h>

#define ROUTE_DIAL_TIMEOUT_NS (1 * SIM_S)        /* const.go DEFAULT_ROUTE_DIAL */
#define ROUTE_RECONNECT_NS (1 * SIM_S)           /* const.go DEFAULT_ROUTE_CONNECT */
#define ROUTE_RECONNECT_JITTER_NS (100 * SIM_MS) /* docs/pubsub-model.md, Routes: up to 100 ms */

/* A dial token names the peer and the dial's generation. */
static uint64_t dial_token(uint64_t generation, uint32_t host)
{
    return proto_token(PS_TOKEN_ROUTE_DIAL, (uint32_t)generation, host);
}

void ps__routes_init(struct ps_broker *b)
{
    b->routes = g_new0(struct route, b->cfg->n_hosts);
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++)
        b->routes[h].interest = g_ptr_array_new_with_free_func((GDestroyNotify)ps_sub_free);
}

void ps__routes_free(struct ps_broker *b)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++)
        g_ptr_array_free(b->routes[h].interest, TRUE);
    g_free(b->routes);
}

static void route_dial(struct ps_broker *b, uint32_t host, struct proto_out *out)
{
    struct route *r = &b->routes[host];
    ZS_ASSERT(!r->dialing && r->state == PS_ROUTE_DOWN && host != b->cfg->host);
    r->dial_generation++;
    r->dialing = true;
    proto_connect(out, b->cfg->host_machines[host], PS_PORT_ROUTE,
                  dial_token(r->dial_generation, host));
    proto_timer_set(out, broker_timer(PS_TIMER_ROUTE_DIAL, host), ROUTE_DIAL_TIMEOUT_NS);
}

/* Dials host again after `base` plus up to 100 ms of jitter. */
static void route_retry_later(struct ps_broker *b, const struct proto_env *env, uint32_t host,
                              sim_time base, struct proto_out *out)
{
    sim_time delay = base + (sim_time)rng_below(env->rng, ROUTE_RECONNECT_JITTER_NS);
    proto_timer_set(out, broker_timer(PS_TIMER_ROUTE_RECONNECT, host), delay);
}

void ps__routes_start(struct ps_broker *b, struct proto_out *out)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++) {
        if (h != b->cfg->host)
            route_dial(b, h, out);
    }
}

static void send_interest(struct bconn *c, const struct interest *it, struct proto_out *out)
{
    struct ps_msg *m = it->count ? ps_msg_rs_plus(it->subject, it->queue, it->count)
                                 : ps_msg_rs_minus(it->subject, it->queue);
    proto_send(out, c->id, &m->hdr);
}

void ps__routes_advertise(struct ps_broker *b, const struct interest *it, struct proto_out *out)
{
    for (uint32_t h = 0; h < b->cfg->n_hosts; h++) {
        if (b->routes[h].state == PS_ROUTE_UP)
            send_interest(b->routes[h].conn, it, out);
    }
}

static void forget_interest(struct ps_broker *b, struct route *r)
{
    for (guint i = 0; i < r->interest->len; i++)
        ps_sublist_remove(b->sublist, g_ptr_array_index(r->interest, i));
    g_ptr_array_set_size(r->interest, 0);
}

/* Which host dialled a connection to `host`: us (ours) or the peer. */
static uint32_t dialler(const struct ps_broker *b, uint32_t host, bool ours)
{
    return ours ? b->cfg->host : host;
}

/* The route to host is (now) carried by c: send our whole interest, start pinging. */
static void route_up(struct ps_broker *b, uint32_t host, struct bconn *c, bool ours,
                     struct proto_out *out)
{
    struct route *r = &b->routes[host];
    c->kind = PS_BCONN_ROUTE;
    c->route_host = host;
    r->state = PS_ROUTE_UP;
    r->conn = c;
    r->conn_ours = ours;
    for (guint i = 0; i < b->interest->len; i++)
        send_interest(c, &g_array_index(b->interest, struct interest, i), out);
    ps__arm_ping(c, out);
}

/* A connection c to host is ready to carry the route (our dial was answered, or the peer's
 * CONNECT arrived on one we accepted). With no route yet it becomes the route; with one
 * already up, the duplicate rule decides which of the two is closed. */
static void route_offered(struct ps_broker *b, const struct proto_env *env, uint32_t host,
                          struct bconn *c, bool ours, struct proto_out *out)
{
    struct route *r = &b->routes[host];
    if (r->state != PS_ROUTE_UP) {
        route_up(b, host, c, ours, out);
        return;
    }
    uint32_t old_by = dialler(b, host, r->conn_ours), new_by = dialler(b, host, ours);
    bool keep_new = old_by == new_by || new_by < old_by;
    if (!keep_new) {
        ps__bconn_close(b, env, c, PS_DROP_CONNECTION_CLOSED, true, out);
        return;
    }
    struct bconn *old = r->conn;
    if (old_by == new_by) {
        /* The same side dialled again, so it lost the old connection: what it said there
         * may be stale (it may have restarted); only what it sends on the new one counts. */
        forget_interest(b, r);
    } else {
        /* Both sides dialled: the peer is the same live process, which sends all of its
         * interest again on the connection kept, so the interest moves with the route. */
        for (guint i = 0; i < r->interest->len; i++)
            ((struct ps_sub *)g_ptr_array_index(r->interest, i))->owner = c;
    }
    route_up(b, host, c, ours, out); /* before the close: the old one is no longer the route */
    ps__bconn_close(b, env, old, PS_DROP_CONNECTION_CLOSED, true, out);
}

void ps__route_dial_answered(struct ps_broker *b, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out)
{
    uint32_t host = proto_token_index(in->token);
    struct route *r = host < b->cfg->n_hosts ? &b->routes[host] : NULL;
    bool current = r && r->dialing && proto_token_of(in->token, r->dial_generation);
    if (in->kind == PROTO_IN_CONN_FAILED) {
        if (current) {
            r->dialing = false;
            proto_timer_cancel(out, broker_timer(PS_TIMER_ROUTE_DIAL, host));
            if (r->state != PS_ROUTE_UP)
                route_retry_later(b, env, host, ROUTE_RECONNECT_NS, out);
        }
        return;
    }
    if (!current) {
        proto_close(out, in->conn); /* a dial we already gave up on */
        return;
    }
    r->dialing = false;
    proto_timer_cancel(out, broker_timer(PS_TIMER_ROUTE_DIAL, host));
    struct bconn *c = ps__bconn_new(b, in->conn, PS_BCONN_ROUTE);
    c->route_host = host;
    proto_send(out, c->id, &ps_msg_connect_route(b->cfg->host)->hdr);
    route_offered(b, env, host, c, true, out);
}

/* CONNECT on an accepted route connection: the peer names itself. */
static void route_accepted(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                           uint32_t host, struct proto_out *out)
{
    if (host >= b->cfg->n_hosts || host == b->cfg->host) {
        ps__bconn_close(b, env, c, PS_DROP_CONNECTION_CLOSED, true, out);
        return;
    }
    route_offered(b, env, host, c, false, out);
}

static guint remote_find(const struct route *r, const char *subject, const char *queue)
{
    for (guint i = 0; i < r->interest->len; i++) {
        const struct ps_sub *sub = g_ptr_array_index(r->interest, i);
        if (strcmp(sub->subject, subject) == 0 && g_strcmp0(sub->queue, queue) == 0)
            return i;
    }
    return G_MAXUINT;
}

/* RS+: new remote interest, or a queue group's new weight. */
static void interest_learn(struct ps_broker *b, struct bconn *c, const struct ps_msg *m)
{
    struct route *r = &b->routes[c->route_host];
    uint32_t weight = m->queue ? MAX(m->weight, 1u) : 1;
    guint index = remote_find(r, m->subject, m->queue);
    if (index != G_MAXUINT) {
        ((struct ps_sub *)g_ptr_array_index(r->interest, index))->weight = weight;
        return;
    }
    struct ps_sub *sub = ps_sub_new(m->subject, m->queue, weight, 0, (int32_t)c->route_host, c);
    g_ptr_array_add(r->interest, sub);
    ps_sublist_insert(b->sublist, sub);
}

static void interest_forget(struct ps_broker *b, struct bconn *c, const struct ps_msg *m)
{
    struct route *r = &b->routes[c->route_host];
    guint index = remote_find(r, m->subject, m->queue);
    if (index == G_MAXUINT)
        return;
    ps_sublist_remove(b->sublist, g_ptr_array_index(r->interest, index));
    g_ptr_array_remove_index(r->interest, index); /* frees it */
}

void ps__route_msg(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                   const struct ps_msg *m, struct proto_out *out)
{
    if (c->kind == PS_BCONN_ROUTE_PENDING) {
        if (m->hdr.type == PS_MSG_CONNECT)
            route_accepted(b, env, c, m->host, out);
        return;
    }
    if (ps__handle_ping_pong(b, c, m, out))
        return;
    switch ((enum ps_msg_type)m->hdr.type) {
    case PS_MSG_RS_PLUS:
        interest_learn(b, c, m);
        break;
    case PS_MSG_RS_MINUS:
        interest_forget(b, c, m);
        break;
    case PS_MSG_RMSG:
        ps__deliver_routed(b, env, m, out);
        break;
    default:
        break;
    }
}

void ps__route_closed(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                      struct proto_out *out)
{
    uint32_t host = c->route_host;
    struct route *r = &b->routes[host];
    if (r->conn != c)
        return; /* a duplicate that was never, or is no longer, the route */
    forget_interest(b, r);
    r->conn = NULL;
    r->state = PS_ROUTE_DOWN;
    if (!r->dialing)
        route_retry_later(b, env, host, ROUTE_RECONNECT_NS, out); /* reConnectToRoute */
}

void ps__route_timer(struct ps_broker *b, const struct proto_env *env, enum broker_timer kind,
                     uint32_t host, struct proto_out *out)
{
    struct route *r = &b->routes[host];
    if (kind == PS_TIMER_ROUTE_DIAL && r->dialing) {
        r->dialing = false; /* its late answer, if any, will be stale */
        if (r->state != PS_ROUTE_UP)
            route_retry_later(b, env, host, ROUTE_RECONNECT_NS, out);
    } else if (kind == PS_TIMER_ROUTE_RECONNECT && r->state == PS_ROUTE_DOWN && !r->dialing) {
        route_dial(b, host, out);
    }
}
