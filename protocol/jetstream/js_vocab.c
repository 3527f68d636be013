/* js_vocab.c: the JetStream-style model's names for its states, message types and drop
 * causes, and its message constructor. */
#include "protocol/jetstream/js_msg.h"

const char *js_state_name(uint8_t state)
{
    static const char *const names[JS_STATE_COUNT] = {
        [JS_STATE_DOWN] = "DOWN",       [JS_STATE_FOLLOWER] = "FOLLOWER",
        [JS_STATE_CANDIDATE] = "CANDIDATE", [JS_STATE_ELECTED] = "ELECTED",
        [JS_STATE_LEADER] = "LEADER",
    };
    return state < JS_STATE_COUNT ? names[state] : NULL;
}

const char *js_msg_type_name(uint8_t type)
{
    static const char *const names[JS_MSG_TYPE_COUNT] = {
        [JS_MSG_HELLO] = "HELLO",         [JS_MSG_VOTE_REQ] = "VOTE_REQ",
        [JS_MSG_VOTE_RESP] = "VOTE_RESP", [JS_MSG_APPEND] = "APPEND",
        [JS_MSG_APPEND_RESP] = "APPEND_RESP", [JS_MSG_INTEREST] = "INTEREST",
        [JS_MSG_ACTIVE] = "ACTIVE",       [JS_MSG_PUB] = "PUB",
        [JS_MSG_FWD] = "FWD",             [JS_MSG_PUBACK] = "PUBACK",
        [JS_MSG_SUB] = "SUB",             [JS_MSG_DELIVER] = "DELIVER",
        [JS_MSG_ACK] = "ACK",             [JS_MSG_KV_REQ] = "KV_REQ",
        [JS_MSG_KV_RESP] = "KV_RESP",     [JS_MSG_RESOURCE_WRITE] = "RESOURCE_WRITE",
    };
    return type >= 1 && type < JS_MSG_TYPE_COUNT ? names[type] : "?";
}

const char *js_drop_cause_name(uint8_t cause)
{
    static const char *const names[JS_DROP_CAUSE_COUNT] = {
        [JS_DROP_MAX_DELIVER] = "max_deliver",
        [JS_DROP_NO_SUBSCRIBER] = "no_subscriber",
        [JS_DROP_LOST_IN_FLIGHT] = "lost_in_flight",
        [JS_DROP_STREAM_FORKED] = "stream_forked",
    };
    return cause < JS_DROP_CAUSE_COUNT ? names[cause] : NULL;
}

bool js_msg_is_delivery(uint8_t type)
{
    return type == JS_MSG_DELIVER;
}

/* Wire sizes: raft.go's encodings (append entry header 42 bytes plus per entry 4 + 1 +
 * data; vote request 32; responses 25 and 17) and a NATS protocol line of about 64 bytes
 * around a client's request or reply. */
#define WIRE_LINE 64u
#define WIRE_AE_HEADER 42u
#define WIRE_AE_ENTRY_OVERHEAD 5u
#define WIRE_ENTRY_HEADER 32u /* an entry's own fields: sequence, ids, timestamps */
/* A key-value request: the subject ($KV.<bucket>.<key>), the KV-Operation and expected
 * sequence headers and a small value; an answer: the PubAck's JSON, or a message's headers.
 * A listing's answer carries one subject and its metadata per key. */
#define WIRE_KV_REQ 48u
#define WIRE_KV_RESP 48u
#define WIRE_KV_LIST_ENTRY 40u

struct js_msg *js_msg_new(enum js_msg_type type, uint32_t n_entries, uint32_t payload_bytes)
{
    ZS_ASSERT(type >= JS_MSG_HELLO && type < JS_MSG_TYPE_COUNT);
    ZS_ASSERT(type == JS_MSG_APPEND || type == JS_MSG_KV_RESP || n_entries == 0);
    struct js_msg *m = g_malloc0(sizeof *m + n_entries * sizeof(struct js_entry));
    m->hdr.type = (uint8_t)type;
    m->n_entries = n_entries;
    uint32_t size = WIRE_LINE;
    switch (type) {
    case JS_MSG_VOTE_REQ:
        size += 32;
        break;
    case JS_MSG_VOTE_RESP:
        size += 17;
        break;
    case JS_MSG_APPEND_RESP:
        size += 25;
        break;
    case JS_MSG_APPEND:
        size += WIRE_AE_HEADER +
                n_entries * (WIRE_AE_ENTRY_OVERHEAD + WIRE_ENTRY_HEADER + payload_bytes);
        break;
    case JS_MSG_PUB:
    case JS_MSG_FWD:
    case JS_MSG_DELIVER:
        size += payload_bytes;
        break;
    case JS_MSG_KV_REQ:
        size += WIRE_KV_REQ;
        break;
    case JS_MSG_KV_RESP:
        size += WIRE_KV_RESP + n_entries * WIRE_KV_LIST_ENTRY;
        break;
    default:
        break;
    }
    m->hdr.size_bytes = size;
    return m;
}

struct js_msg *js_msg_copy(const struct js_msg *m)
{
    return g_memdup2(m, sizeof *m + m->n_entries * sizeof(struct js_entry));
}
