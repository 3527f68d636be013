/* ps_route.c: the full mesh of routes between brokers (nats-server route.go;
 * docs/pubsub-model.md, "Routes").
 *
 * Every pair of brokers shares one route. To have exactly one without a duplicate-route
 * race, the broker with the lower host index dials and the higher one accepts; a second
 * route from the same peer replaces the first (the peer only redials after losing it, so
 * the old one is dead), which is what NATS' duplicate-route check ends up keeping.
 * On route setup the dialler sends CONNECT with its host index, then both sides send
 * their whole local interest (RS+ per subject, queue groups with their weight); later
 * changes travel as single RS+/RS-. When a route closes, everything learned over it is
 * forgotten, and the dialler tries again every DEFAULT_ROUTE_CONNECT (1 s) plus up to
 * 100 ms of jitter, each dial bounded by DEFAULT_ROUTE_DIAL (1 s) (const.go).
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

static bool we_dial(const struct ps_broker *b, uint32_t host)
{
    return b->cfg->host < host;
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
    r->dial_generation++;
    ZS_ASSERT(r->state == PS_ROUTE_DOWN && we_dial(b, host)); /* only the dialler dials */
    r->state = PS_ROUTE_DIALING;
    proto_connect(out, b->cfg->host_machines[host], PS_PORT_ROUTE,
                  dial_token(r->dial_generation, host));
    proto_timer_set(out, broker_timer(PS_TIMER_ROUTE_DIAL, host), ROUTE_DIAL_TIMEOUT_NS);
}

static void route_retry_later(struct ps_broker *b, const struct proto_env *env, uint32_t host,
                              struct proto_out *out)
{
    b->routes[host].state = PS_ROUTE_DOWN;
    sim_time delay = ROUTE_RECONNECT_NS + (sim_time)rng_below(env->rng, ROUTE_RECONNECT_JITTER_NS);
    proto_timer_set(out, broker_timer(PS_TIMER_ROUTE_RECONNECT, host), delay);
}

void ps__routes_start(struct ps_broker *b, struct proto_out *out)
{
    for (uint32_t h = b->cfg->host + 1; h < b->cfg->n_hosts; h++)
        route_dial(b, h, out);
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

/* The route to host is established on c: send our whole interest, start pinging. */
static void route_up(struct ps_broker *b, uint32_t host, struct bconn *c, struct proto_out *out)
{
    struct route *r = &b->routes[host];
    c->kind = PS_BCONN_ROUTE;
    c->route_host = host;
    ZS_ASSERT(r->state != PS_ROUTE_UP); /* one route per pair */
    r->state = PS_ROUTE_UP;
    r->conn = c;
    for (guint i = 0; i < b->interest->len; i++)
        send_interest(c, &g_array_index(b->interest, struct interest, i), out);
    ps__arm_ping(c, out);
}

void ps__route_dial_answered(struct ps_broker *b, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out)
{
    uint32_t host = proto_token_index(in->token);
    struct route *r = host < b->cfg->n_hosts ? &b->routes[host] : NULL;
    bool current =
        r && r->state == PS_ROUTE_DIALING && proto_token_of(in->token, r->dial_generation);
    if (in->kind == PROTO_IN_CONN_FAILED) {
        if (current) {
            proto_timer_cancel(out, broker_timer(PS_TIMER_ROUTE_DIAL, host));
            route_retry_later(b, env, host, out);
        }
        return;
    }
    if (!current) {
        proto_close(out, in->conn); /* a dial we already gave up on */
        return;
    }
    proto_timer_cancel(out, broker_timer(PS_TIMER_ROUTE_DIAL, host));
    struct bconn *c = ps__bconn_new(b, in->conn, PS_BCONN_ROUTE);
    proto_send(out, c->id, &ps_msg_connect_route(b->cfg->host)->hdr);
    route_up(b, host, c, out);
}

/* CONNECT on an accepted route connection: the peer names itself. */
static void route_accepted(struct ps_broker *b, const struct proto_env *env, struct bconn *c,
                           uint32_t host, struct proto_out *out)
{
    if (host >= b->cfg->n_hosts || host == b->cfg->host) {
        ps__bconn_close(b, env, c, PS_DROP_CONNECTION_CLOSED, true, out);
        return;
    }
    struct route *r = &b->routes[host];
    if (r->state == PS_ROUTE_UP)
        ps__bconn_close(b, env, r->conn, PS_DROP_CONNECTION_CLOSED, true, out);
    route_up(b, host, c, out);
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
        return;
    for (guint i = 0; i < r->interest->len; i++)
        ps_sublist_remove(b->sublist, g_ptr_array_index(r->interest, i));
    g_ptr_array_set_size(r->interest, 0);
    r->conn = NULL;
    r->state = PS_ROUTE_DOWN;
    if (we_dial(b, host))
        route_retry_later(b, env, host, out);
}

void ps__route_timer(struct ps_broker *b, const struct proto_env *env, enum broker_timer kind,
                     uint32_t host, struct proto_out *out)
{
    struct route *r = &b->routes[host];
    if (kind == PS_TIMER_ROUTE_DIAL && r->state == PS_ROUTE_DIALING)
        route_retry_later(b, env, host, out); /* its late answer, if any, will be stale */
    else if (kind == PS_TIMER_ROUTE_RECONNECT && r->state == PS_ROUTE_DOWN)
        route_dial(b, host, out);
}
