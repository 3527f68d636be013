/* js_link.h: a NATS client's connection to its servers, shared by the JetStream model's
 * applications (js_client.c's publisher, js_recipe.c's recipe clients).
 *
 * As nats.go does it, with the server list in host order from the client's home host: a
 * dial not answered within 2 s (nats.go DefaultTimeout) is given up; when a dial fails or
 * the connection closes, the next server is dialled at once, and only after a whole pass
 * over the servers failed does the client wait reconnect_wait. The three token kinds below
 * are the link's; a node using it numbers its own tokens after them. */
#ifndef PROTOCOL_JETSTREAM_JS_LINK_H
#define PROTOCOL_JETSTREAM_JS_LINK_H

#include "protocol/jetstream/js_msg.h"

#define JS_LINK_DIAL_TIMEOUT_NS (2 * SIM_S) /* nats.go DefaultTimeout */

enum js_link_token {
    JS_LINK_TOKEN_DIAL = 1,     /* dial: generation */
    JS_LINK_TOKEN_RECONNECT,    /* timer */
    JS_LINK_TOKEN_DIAL_TIMEOUT, /* timer */
    JS_LINK_TOKEN_NEXT          /* the first token kind of the node using the link */
};

struct js_link {
    conn_id conn;
    bool up, dialing;
    uint32_t dial_generation;
    uint32_t server;         /* host index dialled or connected to */
    uint32_t tried_in_pass;  /* servers tried since the last success */
};

static inline void js_link_dial(struct js_link *l, const uint32_t *host_machines,
                                proto_port port, struct proto_out *out)
{
    l->dial_generation++;
    l->dialing = true;
    proto_connect(out, host_machines[l->server], port,
                  proto_token(JS_LINK_TOKEN_DIAL, l->dial_generation, 0));
    proto_timer_set(out, proto_token(JS_LINK_TOKEN_DIAL_TIMEOUT, 0, 0),
                    JS_LINK_DIAL_TIMEOUT_NS);
}

/* The attempt failed or the connection ended: the next server, at once until a full pass
 * failed, then after reconnect_wait. */
static inline void js_link_next(struct js_link *l, uint32_t n_servers, sim_time reconnect_wait,
                                const uint32_t *host_machines, proto_port port,
                                struct proto_out *out)
{
    l->up = false;
    l->dialing = false;
    l->conn = CONN_NONE;
    l->server = (l->server + 1) % n_servers;
    if (++l->tried_in_pass >= n_servers) {
        l->tried_in_pass = 0;
        proto_timer_set(out, proto_token(JS_LINK_TOKEN_RECONNECT, 0, 0), reconnect_wait);
        return;
    }
    js_link_dial(l, host_machines, port, out);
}

/* Whether in is about the link's dial (true: *up says how it went). */
static inline bool js_link_dial_answer(struct js_link *l, const struct proto_input *in,
                                       bool *up)
{
    if (!l->dialing || proto_token_kind(in->token) != JS_LINK_TOKEN_DIAL ||
        !proto_token_of(in->token, l->dial_generation))
        return false;
    l->dialing = false;
    *up = in->kind == PROTO_IN_CONN_UP;
    return true;
}

#endif
