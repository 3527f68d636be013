/* zab_msg.c: ZAB wire messages: names and sizes. Sizes follow ZooKeeper's encodings
 * (QuorumPacket: int type + long zxid + data; a notification is 40 bytes of fields plus the
 * config string) plus a TCP/IP header, so the message log shows realistic bytes. */
#include "protocol/zab/zab_internal.h"

#define WIRE_OVERHEAD 52 /* TCP/IP headers + jute length prefix */

const char *zab_msg_type_name(uint8_t type)
{
    static const char *const names[ZAB_MSG_TYPE_COUNT] = {
        [ZAB_MSG_NOTIFICATION] = "NOTIFICATION", [ZAB_MSG_FOLLOWERINFO] = "FOLLOWERINFO",
        [ZAB_MSG_LEADERINFO] = "LEADERINFO",     [ZAB_MSG_ACKEPOCH] = "ACKEPOCH",
        [ZAB_MSG_DIFF] = "DIFF",                 [ZAB_MSG_TRUNC] = "TRUNC",
        [ZAB_MSG_SNAP] = "SNAP",                 [ZAB_MSG_PROPOSAL] = "PROPOSAL",
        [ZAB_MSG_COMMIT] = "COMMIT",             [ZAB_MSG_NEWLEADER] = "NEWLEADER",
        [ZAB_MSG_UPTODATE] = "UPTODATE",         [ZAB_MSG_ACK] = "ACK",
        [ZAB_MSG_PING] = "PING",                 [ZAB_MSG_REQUEST] = "REQUEST",
        [ZAB_MSG_CONNECT_REQ] = "CONNECT",       [ZAB_MSG_CONNECT_RESP] = "CONNECT_RESPONSE",
        [ZAB_MSG_WRITE_REQ] = "CREATE",          [ZAB_MSG_WRITE_RESP] = "CREATE_RESPONSE",
        [ZAB_MSG_CLIENT_PING] = "CLIENT_PING",   [ZAB_MSG_CLIENT_PONG] = "CLIENT_PONG",
        [ZAB_MSG_REVALIDATE] = "REVALIDATE",
        [ZAB_MSG_SESSION_REQ] = "CONNECT_SESSION",
        [ZAB_MSG_SESSION_RESP] = "CONNECT_SESSION_RESPONSE",
        [ZAB_MSG_OP_REQ] = "REQUEST_OP",         [ZAB_MSG_OP_RESP] = "REPLY",
        [ZAB_MSG_WATCH_EVENT] = "WATCHER_EVENT", [ZAB_MSG_SET_WATCHES] = "SET_WATCHES",
        [ZAB_MSG_RESOURCE_WRITE] = "RESOURCE_WRITE",
    };
    return type < ZAB_MSG_TYPE_COUNT && names[type] ? names[type] : "?";
}

static void zab_msg_free(struct sim_msg *m)
{
    struct zab_msg *z = (struct zab_msg *)m;
    if (z->extra) {
        if (z->extra->snapshot)
            g_array_free(z->extra->snapshot, TRUE);
        if (z->extra->children)
            g_ptr_array_free(z->extra->children, TRUE);
        if (z->extra->touches)
            g_array_free(z->extra->touches, TRUE);
        g_free(z->extra);
    }
    g_free(z);
}

static uint32_t wire_size(enum zab_msg_type type, uint32_t payload)
{
    switch (type) {
    case ZAB_MSG_NOTIFICATION:
        return WIRE_OVERHEAD + 40 + 64; /* fields + quorum config text */
    case ZAB_MSG_PROPOSAL:
    case ZAB_MSG_REQUEST:
    case ZAB_MSG_WRITE_REQ:
        return WIRE_OVERHEAD + 12 + 40 + payload; /* txn header + create txn */
    case ZAB_MSG_CONNECT_REQ:
    case ZAB_MSG_CONNECT_RESP:
    case ZAB_MSG_SESSION_REQ:
    case ZAB_MSG_SESSION_RESP:
        return WIRE_OVERHEAD + 48;
    case ZAB_MSG_OP_REQ:
    case ZAB_MSG_OP_RESP:
    case ZAB_MSG_WATCH_EVENT:
        return WIRE_OVERHEAD + 16 + 68 + ZAB_PATH_MAX; /* header + stat + path */
    default:
        return WIRE_OVERHEAD + 12;
    }
}

struct zab_msg *zab__msg_new(enum zab_msg_type type, const struct zab_server_config *cfg)
{
    struct zab_msg *m = g_new0(struct zab_msg, 1);
    m->hdr.type = (uint8_t)type;
    m->hdr.size_bytes = wire_size(type, cfg ? cfg->payload_bytes : 64);
    m->hdr.free_fn = zab_msg_free;
    return m;
}

static gpointer copy_name(gconstpointer name, gpointer unused)
{
    (void)unused;
    return g_strdup(name);
}

struct zab_msg *zab__msg_copy(const struct zab_msg *m)
{
    struct zab_msg *copy = g_new(struct zab_msg, 1);
    *copy = *m;
    if (!m->extra)
        return copy;
    const struct zab_msg_extra *x = m->extra;
    struct zab_msg_extra *y = g_new(struct zab_msg_extra, 1);
    *y = *x;
    y->snapshot = x->snapshot ? g_array_copy(x->snapshot) : NULL;
    y->children = x->children ? g_ptr_array_copy(x->children, copy_name, NULL) : NULL;
    y->touches = x->touches ? g_array_copy(x->touches) : NULL;
    copy->extra = y;
    return copy;
}

struct zab_msg_extra *zab__msg_extra(struct zab_msg *m)
{
    if (!m->extra)
        m->extra = g_new0(struct zab_msg_extra, 1);
    return m->extra;
}

const struct zab_msg_extra *zab__msg_extra_of(const struct zab_msg *m)
{
    static const struct zab_msg_extra none;
    return m->extra ? m->extra : &none;
}
