/* ps_msg.c: construction and wire sizes of the pub/sub messages; see ps_msg.h.
 *
 * Sizes follow the NATS client and route protocols (nats-server client.go/route.go,
 * protocol docs): "PUB <subject> [<reply>] <#bytes>\r\n<payload>\r\n",
 * "MSG <subject> <sid> [<reply>] <#bytes>\r\n...",
 * "RMSG $G <subject> [+ <reply>] [| <queue>...] <#bytes>\r\n...",
 * "RS+ $G <subject> [<queue> <weight>]\r\n",
 * "HMSG <reply> <sid> <#header> <#total>\r\nNATS/1.0 503\r\nNats-Subject: <subject>\r\n\r\n\r\n".
 * The single account is "$G", NATS' global account. INFO and CONNECT carry JSON whose exact
 * length varies by version; the constants below are typical lengths seen from nats-server 2.x
 * and nats.go. A message without a reply subject has exactly the size it had before replies
 * existed in the model. */
#include "protocol/pubsub/ps_msg.h"

#define CRLF 2
#define INFO_BYTES 300          /* INFO {"server_id":...,"max_payload":1048576,...} */
#define CLIENT_CONNECT_BYTES 170 /* CONNECT {"verbose":false,...,"lang":"go",...} */
#define ROUTE_CONNECT_BYTES 200  /* CONNECT {"echo":false,...,"cluster":...} */
#define ACCOUNT_FIELD 3          /* "$G " */
/* The no-responders header "NATS/1.0 503\r\nNats-Subject: <subject>\r\n\r\n" without its
 * subject, as nats-server counts it (client.go, processInboundClientMsg). */
#define NO_RESPONDERS_HEADER 32

static const char *const type_names[PS_MSG_TYPE_COUNT] = {
    [PS_MSG_INFO] = "INFO",   [PS_MSG_CONNECT] = "CONNECT", [PS_MSG_PING] = "PING",
    [PS_MSG_PONG] = "PONG",   [PS_MSG_SUB] = "SUB",         [PS_MSG_UNSUB] = "UNSUB",
    [PS_MSG_PUB] = "PUB",     [PS_MSG_MSG] = "MSG",         [PS_MSG_RS_PLUS] = "RS+",
    [PS_MSG_RS_MINUS] = "RS-", [PS_MSG_RMSG] = "RMSG",      [PS_MSG_ACK] = "ACK",
    [PS_MSG_HMSG] = "HMSG",   [PS_MSG_RESOURCE_WRITE] = "RESOURCE_WRITE",
};

const char *ps_msg_type_name(uint8_t type)
{
    return type < PS_MSG_TYPE_COUNT && type_names[type] ? type_names[type] : "?";
}

static uint32_t decimal_digits(uint64_t n)
{
    uint32_t d = 1;
    while (n >= 10) {
        n /= 10;
        d++;
    }
    return d;
}

/* A message with room for `text_len` bytes of strings after it. */
static struct ps_msg *msg_new(enum ps_msg_type type, size_t text_len)
{
    struct ps_msg *m = g_malloc0(sizeof *m + text_len);
    m->hdr.type = (uint8_t)type;
    m->hdr.msg_id = MSG_ID_NONE;
    return m;
}

/* A message holding a copy of subject and, if not NULL, queue. */
static struct ps_msg *msg_with_names(enum ps_msg_type type, const char *subject,
                                     const char *queue)
{
    size_t subject_len = strlen(subject), queue_len = queue ? strlen(queue) : 0;
    struct ps_msg *m = msg_new(type, subject_len + 1 + (queue ? queue_len + 1 : 0));
    memcpy(m->text, subject, subject_len + 1);
    m->subject = m->text;
    if (queue) {
        memcpy(m->text + subject_len + 1, queue, queue_len + 1);
        m->queue = m->text + subject_len + 1;
    }
    return m;
}

static struct ps_msg *msg_fixed(enum ps_msg_type type, uint32_t size)
{
    struct ps_msg *m = msg_new(type, 0);
    m->hdr.size_bytes = size;
    return m;
}

struct ps_msg *ps_msg_info(void)
{
    return msg_fixed(PS_MSG_INFO, INFO_BYTES);
}

struct ps_msg *ps_msg_connect_client(void)
{
    return msg_fixed(PS_MSG_CONNECT, CLIENT_CONNECT_BYTES);
}

struct ps_msg *ps_msg_connect_route(uint32_t host)
{
    struct ps_msg *m = msg_fixed(PS_MSG_CONNECT, ROUTE_CONNECT_BYTES);
    m->host = host;
    return m;
}

struct ps_msg *ps_msg_ping(void)
{
    return msg_fixed(PS_MSG_PING, (uint32_t)strlen("PING") + CRLF);
}

struct ps_msg *ps_msg_pong(void)
{
    return msg_fixed(PS_MSG_PONG, (uint32_t)strlen("PONG") + CRLF);
}

struct ps_msg *ps_msg_sub(const char *subject, const char *queue, uint32_t sid)
{
    struct ps_msg *m = msg_with_names(PS_MSG_SUB, subject, queue);
    m->sid = sid;
    size_t size = strlen("SUB ") + strlen(subject) + 1 + (queue ? strlen(queue) + 1 : 0) +
                  decimal_digits(sid) + CRLF;
    m->hdr.size_bytes = (uint32_t)size;
    return m;
}

struct ps_msg *ps_msg_unsub(uint32_t sid)
{
    struct ps_msg *m = msg_fixed(PS_MSG_UNSUB, (uint32_t)strlen("UNSUB ") +
                                                   decimal_digits(sid) + CRLF);
    m->sid = sid;
    return m;
}

static void set_payload(struct ps_msg *m, msg_id_t msg_id, uint32_t payload_bytes,
                        size_t line_bytes)
{
    m->hdr.msg_id = msg_id;
    m->payload_bytes = payload_bytes;
    m->hdr.size_bytes = (uint32_t)(line_bytes + decimal_digits(payload_bytes) + CRLF +
                                   payload_bytes + CRLF);
}

/* Copies str (and its NUL) to m's text at *at; returns the copy. */
static const char *put_text(struct ps_msg *m, size_t *at, const char *str)
{
    size_t len = strlen(str) + 1;
    char *to = m->text + *at;
    memcpy(to, str, len);
    *at += len;
    return to;
}

/* Bytes a reply subject adds to a PUB, MSG or RMSG line: the subject and a space. */
static size_t reply_field(const char *reply)
{
    return reply ? strlen(reply) + 1 : 0;
}

/* A PUB or MSG carrying subject, an optional reply subject and an optional body. */
static struct ps_msg *addressed_new(enum ps_msg_type type, const char *subject,
                                    const char *reply, const struct ps_body *body)
{
    size_t at = 0;
    struct ps_msg *m = msg_new(type, strlen(subject) + 1 + reply_field(reply));
    m->subject = put_text(m, &at, subject);
    if (reply)
        m->reply = put_text(m, &at, reply);
    if (body)
        m->body = *body;
    return m;
}

static struct ps_msg *pub_new(const char *subject, const char *reply, msg_id_t msg_id,
                              const struct ps_body *body, uint32_t payload_bytes)
{
    struct ps_msg *m = addressed_new(PS_MSG_PUB, subject, reply, body);
    set_payload(m, msg_id, payload_bytes,
                strlen("PUB ") + strlen(subject) + 1 + reply_field(reply));
    return m;
}

struct ps_msg *ps_msg_pub(const char *subject, msg_id_t msg_id, uint32_t payload_bytes)
{
    return pub_new(subject, NULL, msg_id, NULL, payload_bytes);
}

struct ps_msg *ps_msg_pub_body(const char *subject, const char *reply,
                               const struct ps_body *body, uint32_t payload_bytes)
{
    return pub_new(subject, reply, MSG_ID_NONE, body, payload_bytes);
}

static struct ps_msg *msg_msg_new(const char *subject, const char *reply, uint32_t sid,
                                  msg_id_t msg_id, const struct ps_body *body,
                                  uint32_t payload_bytes)
{
    struct ps_msg *m = addressed_new(PS_MSG_MSG, subject, reply, body);
    m->sid = sid;
    set_payload(m, msg_id, payload_bytes,
                strlen("MSG ") + strlen(subject) + 1 + decimal_digits(sid) + 1 +
                    reply_field(reply));
    return m;
}

struct ps_msg *ps_msg_msg(const char *subject, uint32_t sid, msg_id_t msg_id,
                          uint32_t payload_bytes)
{
    return msg_msg_new(subject, NULL, sid, msg_id, NULL, payload_bytes);
}

struct ps_msg *ps_msg_msg_of(const struct ps_msg *src, uint32_t sid)
{
    return msg_msg_new(src->subject, src->reply, sid, src->hdr.msg_id, &src->body,
                       src->payload_bytes);
}

struct ps_msg *ps_msg_no_responders(const char *reply, uint32_t sid, const char *subject)
{
    size_t at = 0;
    struct ps_msg *m = msg_new(PS_MSG_HMSG, strlen(reply) + 1);
    m->subject = put_text(m, &at, reply);
    m->sid = sid;
    m->status = 503;
    uint32_t header = NO_RESPONDERS_HEADER + (uint32_t)strlen(subject);
    m->hdr.size_bytes = (uint32_t)(strlen("HMSG ") + strlen(reply) + 1 + decimal_digits(sid) +
                                   1 + 2 * decimal_digits(header) + 1 + CRLF + header + CRLF);
    return m;
}

struct ps_msg *ps_msg_rs_plus(const char *subject, const char *queue, uint32_t weight)
{
    struct ps_msg *m = msg_with_names(PS_MSG_RS_PLUS, subject, queue);
    m->weight = weight;
    size_t size = strlen("RS+ ") + ACCOUNT_FIELD + strlen(subject) +
                  (queue ? 1 + strlen(queue) + 1 + decimal_digits(weight) : 0) + CRLF;
    m->hdr.size_bytes = (uint32_t)size;
    return m;
}

struct ps_msg *ps_msg_rs_minus(const char *subject, const char *queue)
{
    struct ps_msg *m = msg_with_names(PS_MSG_RS_MINUS, subject, queue);
    size_t size = strlen("RS- ") + ACCOUNT_FIELD + strlen(subject) +
                  (queue ? 1 + strlen(queue) : 0) + CRLF;
    m->hdr.size_bytes = (uint32_t)size;
    return m;
}

static struct ps_msg *rmsg_new(const char *subject, const char *reply, msg_id_t msg_id,
                               const struct ps_body *body, uint32_t payload_bytes,
                               const char *const *queues, uint32_t n_queues)
{
    size_t subject_len = strlen(subject), names_len = 0;
    for (uint32_t i = 0; i < n_queues; i++)
        names_len += strlen(queues[i]) + 1;
    struct ps_msg *m = msg_new(PS_MSG_RMSG, subject_len + 1 + names_len + reply_field(reply));
    size_t at = 0;
    m->subject = put_text(m, &at, subject);
    m->queue = n_queues ? m->text + at : NULL;
    m->n_queues = n_queues;
    for (uint32_t i = 0; i < n_queues; i++)
        put_text(m, &at, queues[i]);
    if (reply)
        m->reply = put_text(m, &at, reply);
    if (body)
        m->body = *body;
    /* "| q1 q2 " after the subject when queues are listed: names_len counts a separator
     * per name already. With a reply, "+ <reply> " takes the place of "| ". */
    size_t line = strlen("RMSG ") + ACCOUNT_FIELD + subject_len + 1 +
                  (n_queues ? strlen("| ") + names_len : 0) + reply_field(reply);
    set_payload(m, msg_id, payload_bytes, line);
    return m;
}

struct ps_msg *ps_msg_rmsg(const char *subject, msg_id_t msg_id, uint32_t payload_bytes,
                           const char *const *queues, uint32_t n_queues)
{
    return rmsg_new(subject, NULL, msg_id, NULL, payload_bytes, queues, n_queues);
}

struct ps_msg *ps_msg_rmsg_of(const struct ps_msg *pub, const char *const *queues,
                              uint32_t n_queues)
{
    return rmsg_new(pub->subject, pub->reply, pub->hdr.msg_id, &pub->body,
                    pub->payload_bytes, queues, n_queues);
}

struct ps_msg *ps_msg_ack(uint64_t bytes_read)
{
    struct ps_msg *m = msg_fixed(PS_MSG_ACK, 0);
    m->bytes_read = bytes_read;
    return m;
}
