/* js_client.c: the JetStream model's two applications (docs/jetstream-model.md,
 * "Clients").
 *
 * The publisher (one per client machine) publishes each workload message as a JetStream
 * publish: a request with the message id as Nats-Msg-Id, answered by a PubAck. A "no
 * responders" answer is retried by the library twice, 250 ms apart (nats.go
 * DefaultPubRetryWait, DefaultPubRetryAttempts); a time-out (publish_timeout) makes the
 * application try again at once with the same id, an error (no responders after the
 * library's retries, or 409 "in process") after 250 ms, up to publish_attempts tries. The
 * outcome is acked on a PubAck, rejected when every try was refused outright (503), and
 * timeout (unknown) when any try may have reached the stream. It connects to its home
 * host's server and, when that connection fails, to the next host's, waiting
 * reconnect_wait after a full pass over the servers; publishes made while disconnected
 * go out when it connects again.
 *
 * The subscriber (one per host) connects to its own host's server, consumes through its
 * durable consumer, records each message it receives (TRACE_DELIVERY, log_id = the
 * stream sequence) and acks it at once. */
#include "protocol/jetstream/js_link.h"

#define PUB_RETRY_WAIT_NS (250 * SIM_MS) /* nats.go DefaultPubRetryWait */
#define PUB_RETRY_ATTEMPTS 2u            /* nats.go DefaultPubRetryAttempts */
/* Publishes in flight at once (nats.go's async publish limit, 4000); beyond it a publish
 * is refused at once (rejected). */
#define PUB_INFLIGHT_MAX 4000u

/* Tokens after the link's (js_link.h). */
enum client_token {
    TOKEN_DIAL = JS_LINK_TOKEN_DIAL,
    TOKEN_RECONNECT = JS_LINK_TOKEN_RECONNECT,
    TOKEN_DIAL_TIMEOUT = JS_LINK_TOKEN_DIAL_TIMEOUT,
    TOKEN_TIMEOUT = JS_LINK_TOKEN_NEXT, /* timer: generation = attempt, index = message seq */
    TOKEN_RETRY_503,  /* timer: generation = attempt, index = message seq */
    TOKEN_NEXT_TRY,   /* timer: generation = attempt, index = message seq */
};

/* ---- the publisher ---------------------------------------------------------------------- */

struct attempt {
    msg_id_t msg_id;
    uint32_t attempt;     /* tries so far by the application, 1-based */
    uint32_t retries_503; /* the library's retries of this try */
    bool unknown;         /* some try may have reached the stream: it timed out after it
                             was sent, or an earlier one was in process */
    bool queued;          /* waiting for a connection */
    bool in_flight;       /* this try's latest send is unanswered: it may reach the stream */
};

struct js_publisher {
    const struct js_publisher_config *cfg;
    struct js_link link;
    GHashTable *inflight; /* message seq -> struct attempt */
    GQueue unsent;        /* message seqs waiting for a connection, in order */
};

static void *publisher_create(const void *config, const struct proto_env *env,
                              const struct disk *disk)
{
    (void)env;
    (void)disk;
    const struct js_publisher_config *cfg = config;
    struct js_publisher *p = g_new0(struct js_publisher, 1);
    p->cfg = cfg;
    p->link.server = cfg->home_host;
    p->inflight = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, g_free);
    g_queue_init(&p->unsent);
    return p;
}

static void publisher_destroy(void *state)
{
    struct js_publisher *p = state;
    g_hash_table_destroy(p->inflight);
    g_queue_clear(&p->unsent);
    g_free(p);
}

static void send_pub(struct js_publisher *p, uint32_t seq, struct attempt *a,
                     struct proto_out *out)
{
    if (!p->link.up) {
        if (!a->queued) {
            a->queued = true;
            g_queue_push_tail(&p->unsent, GUINT_TO_POINTER(seq));
        }
        return;
    }
    struct js_msg *m = js_msg_new(JS_MSG_PUB, 0, p->cfg->payload_bytes);
    m->hdr.msg_id = a->msg_id;
    m->client = p->cfg->client;
    m->attempt = a->attempt;
    a->in_flight = true;
    proto_send(out, p->link.conn, &m->hdr);
}

static void start_attempt(struct js_publisher *p, uint32_t seq, struct attempt *a,
                          struct proto_out *out)
{
    a->attempt++;
    a->retries_503 = 0;
    a->in_flight = false;
    proto_timer_set(out, proto_token(TOKEN_TIMEOUT, a->attempt, seq), p->cfg->publish_timeout);
    send_pub(p, seq, a, out);
}

static void finish(struct js_publisher *p, uint32_t seq, struct attempt *a,
                   enum outcome outcome, struct proto_out *out)
{
    proto_timer_cancel(out, proto_token(TOKEN_TIMEOUT, a->attempt, seq));
    proto_timer_cancel(out, proto_token(TOKEN_RETRY_503, a->attempt, seq));
    proto_timer_cancel(out, proto_token(TOKEN_NEXT_TRY, a->attempt, seq));
    proto_trace_outcome(out, a->msg_id, outcome);
    g_hash_table_remove(p->inflight, GUINT_TO_POINTER(seq)); /* a stays in unsent: skipped */
}

/* This try failed: another (after an error, once the library's retry wait has passed;
 * after a time-out at once), or the outcome. */
static void attempt_failed(struct js_publisher *p, uint32_t seq, struct attempt *a,
                           bool timed_out, struct proto_out *out)
{
    proto_timer_cancel(out, proto_token(TOKEN_TIMEOUT, a->attempt, seq));
    if (a->attempt < p->cfg->publish_attempts) {
        if (timed_out)
            start_attempt(p, seq, a, out);
        else
            proto_timer_set(out, proto_token(TOKEN_NEXT_TRY, a->attempt, seq),
                            PUB_RETRY_WAIT_NS);
        return;
    }
    finish(p, seq, a, a->unknown ? TRACE_OUTCOME_TIMEOUT : TRACE_OUTCOME_REJECTED, out);
}

static void on_publish_op(struct js_publisher *p, const struct js_publish_op *op,
                          struct proto_out *out)
{
    int32_t host = p->link.up ? (int32_t)p->link.server : -1;
    proto_trace_submission(out, op->msg_id, p->cfg->client, host);
    uint32_t seq = msg_id_seq(op->msg_id);
    if (g_hash_table_size(p->inflight) >= PUB_INFLIGHT_MAX) {
        proto_trace_outcome(out, op->msg_id, TRACE_OUTCOME_REJECTED);
        return;
    }
    struct attempt *a = g_new0(struct attempt, 1);
    a->msg_id = op->msg_id;
    g_hash_table_insert(p->inflight, GUINT_TO_POINTER(seq), a);
    start_attempt(p, seq, a, out);
}

static void on_puback(struct js_publisher *p, const struct js_msg *m, struct proto_out *out)
{
    uint32_t seq = msg_id_seq(m->hdr.msg_id);
    struct attempt *a = g_hash_table_lookup(p->inflight, GUINT_TO_POINTER(seq));
    if (!a || a->attempt != m->attempt)
        return; /* the reply to a try given up on: its inbox is gone */
    switch ((enum js_status)m->status) {
    case JS_STATUS_OK:
        finish(p, seq, a, TRACE_OUTCOME_ACKED, out);
        break;
    case JS_STATUS_NO_RESPONDERS:
        /* Nobody had the subject: this send did not reach the stream. */
        a->in_flight = false;
        if (a->retries_503 < PUB_RETRY_ATTEMPTS) {
            a->retries_503++;
            proto_timer_set(out, proto_token(TOKEN_RETRY_503, a->attempt, seq),
                            PUB_RETRY_WAIT_NS);
        } else {
            attempt_failed(p, seq, a, false, out);
        }
        break;
    case JS_STATUS_IN_PROCESS: /* an earlier try is being stored */
        a->unknown = true;
        attempt_failed(p, seq, a, false, out);
        break;
    case JS_STATUS_WRONG_LAST_SEQ:
    case JS_STATUS_NOT_FOUND:
        break; /* the bucket's answers: never to a publish */
    }
}

static void publisher_link_up(struct js_publisher *p, conn_id conn, struct proto_out *out)
{
    p->link.up = true;
    p->link.conn = conn;
    p->link.tried_in_pass = 0;
    proto_timer_cancel(out, proto_token(TOKEN_DIAL_TIMEOUT, 0, 0));
    proto_trace_client(out, p->cfg->client, true, (int32_t)p->link.server);
    while (!g_queue_is_empty(&p->unsent)) {
        uint32_t seq = GPOINTER_TO_UINT(g_queue_pop_head(&p->unsent));
        struct attempt *a = g_hash_table_lookup(p->inflight, GUINT_TO_POINTER(seq));
        if (a && a->queued) {
            a->queued = false;
            send_pub(p, seq, a, out);
        }
    }
}

static void publisher_link_lost(struct js_publisher *p, struct proto_out *out)
{
    bool was_up = p->link.up;
    proto_timer_cancel(out, proto_token(TOKEN_DIAL_TIMEOUT, 0, 0));
    if (was_up)
        proto_trace_client(out, p->cfg->client, false, -1);
    js_link_next(&p->link, p->cfg->n_hosts, p->cfg->reconnect_wait, p->cfg->host_machines,
                 JS_PORT_CLIENT, out);
}

static void publisher_handle(void *state, const struct proto_env *env,
                             const struct proto_input *in, struct proto_out *out)
{
    (void)env;
    struct js_publisher *p = state;
    bool up;
    switch (in->kind) {
    case PROTO_IN_START:
        js_link_dial(&p->link, p->cfg->host_machines, JS_PORT_CLIENT, out);
        break;
    case PROTO_IN_CONN_UP:
    case PROTO_IN_CONN_FAILED:
        if (!js_link_dial_answer(&p->link, in, &up)) {
            if (in->kind == PROTO_IN_CONN_UP)
                proto_close(out, in->conn);
        } else if (up) {
            publisher_link_up(p, in->conn, out);
        } else {
            publisher_link_lost(p, out);
        }
        break;
    case PROTO_IN_CONN_DOWN:
        if (p->link.up && in->conn == p->link.conn)
            publisher_link_lost(p, out);
        break;
    case PROTO_IN_MSG:
        on_puback(p, js_msg_from(in->msg), out);
        break;
    case PROTO_IN_TIMER: {
        uint32_t seq = proto_token_index(in->token);
        struct attempt *a;
        switch (proto_token_kind(in->token)) {
        case TOKEN_RECONNECT:
            js_link_dial(&p->link, p->cfg->host_machines, JS_PORT_CLIENT, out);
            break;
        case TOKEN_DIAL_TIMEOUT:
            if (p->link.dialing)
                publisher_link_lost(p, out);
            break;
        case TOKEN_TIMEOUT:
            a = g_hash_table_lookup(p->inflight, GUINT_TO_POINTER(seq));
            if (a && proto_token_of(in->token, a->attempt)) {
                a->unknown = a->unknown || a->in_flight;
                attempt_failed(p, seq, a, true, out);
            }
            break;
        case TOKEN_NEXT_TRY:
            a = g_hash_table_lookup(p->inflight, GUINT_TO_POINTER(seq));
            if (a && proto_token_of(in->token, a->attempt))
                start_attempt(p, seq, a, out);
            break;
        case TOKEN_RETRY_503:
            a = g_hash_table_lookup(p->inflight, GUINT_TO_POINTER(seq));
            if (a && proto_token_of(in->token, a->attempt))
                send_pub(p, seq, a, out);
            break;
        }
        break;
    }
    case PROTO_IN_CLIENT_OP:
        on_publish_op(p, in->op, out);
        break;
    case PROTO_IN_DISK_DONE:
        ZS_ASSERT(!"a publisher has no disk");
    }
}

const struct proto_ops js_publisher_ops = {
    .name = "js_publisher",
    .create = publisher_create,
    .destroy = publisher_destroy,
    .handle = publisher_handle,
    .msg_type_name = js_msg_type_name,
};

/* ---- the subscriber --------------------------------------------------------------------- */

struct js_subscriber {
    const struct js_subscriber_config *cfg;
    struct js_link link;
    uint64_t delivered; /* deliveries in this incarnation */
};

static void *subscriber_create(const void *config, const struct proto_env *env,
                               const struct disk *disk)
{
    (void)env;
    (void)disk;
    struct js_subscriber *s = g_new0(struct js_subscriber, 1);
    s->cfg = config;
    s->link.server = s->cfg->host;
    return s;
}

static void subscriber_destroy(void *state)
{
    g_free(state);
}

static void subscriber_dial(struct js_subscriber *s, struct proto_out *out)
{
    s->link.dialing = true;
    s->link.dial_generation++;
    proto_connect(out, s->cfg->machine, JS_PORT_CLIENT,
                  proto_token(TOKEN_DIAL, s->link.dial_generation, 0));
}

/* Its own host's server only: after a failure, again after reconnect_wait. */
static void subscriber_retry(struct js_subscriber *s, struct proto_out *out)
{
    s->link.up = false;
    s->link.dialing = false;
    s->link.conn = CONN_NONE;
    proto_timer_set(out, proto_token(TOKEN_RECONNECT, 0, 0), s->cfg->reconnect_wait);
}

static void on_deliver(struct js_subscriber *s, const struct js_msg *m, struct proto_out *out)
{
    struct trace_rec r = { .kind = TRACE_DELIVERY,
                           .u.delivery = { .seq = ++s->delivered, .msg_id = m->hdr.msg_id,
                                           .log_id = (int64_t)m->seq } };
    proto_trace(out, &r);
    struct js_msg *ack = js_msg_new(JS_MSG_ACK, 0, 0);
    ack->seq = m->seq;
    ack->host = s->cfg->host;
    proto_send(out, s->link.conn, &ack->hdr);
}

static void subscriber_handle(void *state, const struct proto_env *env,
                              const struct proto_input *in, struct proto_out *out)
{
    (void)env;
    struct js_subscriber *s = state;
    bool up;
    switch (in->kind) {
    case PROTO_IN_START:
        subscriber_dial(s, out);
        break;
    case PROTO_IN_CONN_UP:
    case PROTO_IN_CONN_FAILED:
        if (!js_link_dial_answer(&s->link, in, &up)) {
            if (in->kind == PROTO_IN_CONN_UP)
                proto_close(out, in->conn);
        } else if (up) {
            s->link.up = true;
            s->link.conn = in->conn;
            proto_send(out, in->conn, &js_msg_new(JS_MSG_SUB, 0, 0)->hdr);
        } else {
            subscriber_retry(s, out);
        }
        break;
    case PROTO_IN_CONN_DOWN:
        if (s->link.up && in->conn == s->link.conn)
            subscriber_retry(s, out);
        break;
    case PROTO_IN_MSG:
        on_deliver(s, js_msg_from(in->msg), out);
        break;
    case PROTO_IN_TIMER:
        if (proto_token_kind(in->token) == TOKEN_RECONNECT)
            subscriber_dial(s, out);
        break;
    case PROTO_IN_DISK_DONE:
    case PROTO_IN_CLIENT_OP:
        ZS_ASSERT(!"a subscriber has no disk and takes no operations");
    }
}

const struct proto_ops js_subscriber_ops = {
    .name = "js_subscriber",
    .create = subscriber_create,
    .destroy = subscriber_destroy,
    .handle = subscriber_handle,
    .msg_type_name = js_msg_type_name,
};
