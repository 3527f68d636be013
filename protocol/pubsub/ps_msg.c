/* ps_msg.c: construction and wire sizes of the pub/sub messages; see ps_msg.h.
 *
 * Sizes follow the NATS client and route protocols (nats-server client.go/route.go,
 * protocol docs): "PUB <subject> <#bytes>\r\n<payload>\r\n",
 * "MSG <subject> <sid> <#bytes>\r\n...", "RMSG $G <subject> [| <queue>...] <#bytes>\r\n...",
 * "RS+ $G <subject> [<queue> <weight>]\r\n". The single account is "$G", NATS' global
 * account. INFO and CONNECT carry JSON whose exact length varies by version; the constants
 * below are typical lengths seen from nats-server 2.x and nats.go. */
#include "protocol/pubsub/ps_msg.h"

#define CRLF 2
#define INFO_BYTES 300          /* INFO {"server_id":...,"max_payload":1048576,...} */
#define CLIENT_CONNECT_BYTES 170 /* CONNECT {"verbose":false,...,"lang":"go",...} */
#define ROUTE_CONNECT_BYTES 200  /* CONNECT {"echo":false,...,"cluster":...} */
#define ACCOUNT_FIELD 3          /* "$G " */

static const char *const type_names[PS_MSG_TYPE_COUNT] = {
    [PS_MSG_INFO] = "INFO",   [PS_MSG_CONNECT] = "CONNECT", [PS_MSG_PING] = "PING",
    [PS_MSG_PONG] = "PONG",   [PS_MSG_SUB] = "SUB",         [PS_MSG_UNSUB] = "UNSUB",
    [PS_MSG_PUB] = "PUB",     [PS_MSG_MSG] = "MSG",         [PS_MSG_RS_PLUS] = "RS+",
    [PS_MSG_RS_MINUS] = "RS-", [PS_MSG_RMSG] = "RMSG",      [PS_MSG_ACK] = "ACK",
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

struct ps_msg *ps_msg_pub(const char *subject, msg_id_t msg_id, uint32_t payload_bytes)
{
    struct ps_msg *m = msg_with_names(PS_MSG_PUB, subject, NULL);
    set_payload(m, msg_id, payload_bytes, strlen("PUB ") + strlen(subject) + 1);
    return m;
}

struct ps_msg *ps_msg_msg(const char *subject, uint32_t sid, msg_id_t msg_id,
                          uint32_t payload_bytes)
{
    struct ps_msg *m = msg_with_names(PS_MSG_MSG, subject, NULL);
    m->sid = sid;
    set_payload(m, msg_id, payload_bytes,
                strlen("MSG ") + strlen(subject) + 1 + decimal_digits(sid) + 1);
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

struct ps_msg *ps_msg_rmsg(const char *subject, msg_id_t msg_id, uint32_t payload_bytes,
                           const char *const *queues, uint32_t n_queues)
{
    size_t subject_len = strlen(subject), names_len = 0;
    for (uint32_t i = 0; i < n_queues; i++)
        names_len += strlen(queues[i]) + 1;
    struct ps_msg *m = msg_new(PS_MSG_RMSG, subject_len + 1 + names_len);
    memcpy(m->text, subject, subject_len + 1);
    m->subject = m->text;
    char *at = m->text + subject_len + 1;
    m->queue = n_queues ? at : NULL;
    m->n_queues = n_queues;
    for (uint32_t i = 0; i < n_queues; i++) {
        size_t len = strlen(queues[i]) + 1;
        memcpy(at, queues[i], len);
        at += len;
    }
    /* "| q1 q2 " after the subject when queues are listed: names_len counts a separator
     * per name already. */
    size_t line = strlen("RMSG ") + ACCOUNT_FIELD + subject_len + 1 +
                  (n_queues ? strlen("| ") + names_len : 0);
    set_payload(m, msg_id, payload_bytes, line);
    return m;
}

struct ps_msg *ps_msg_ack(uint64_t bytes_read)
{
    struct ps_msg *m = msg_fixed(PS_MSG_ACK, 0);
    m->bytes_read = bytes_read;
    return m;
}
