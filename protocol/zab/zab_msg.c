/* zab_msg.c: ZAB wire messages: names and sizes. Sizes follow ZooKeeper's encodings
 * (QuorumPacket: int type + long zxid + data; a notification is 40 bytes of fields plus the
 * config string) plus a TCP/IP header, so the message log shows realistic bytes. */
#include "protocol/zab/zab_internal.h"

#define WIRE_OVERHEAD 52 /* TCP/IP headers + jute length prefix */

const char *zab_msg_type_name(uint8_t type)
{
    static const char *const names[ZM_TYPE_COUNT] = {
        [ZM_NOTIFICATION] = "NOTIFICATION", [ZM_FOLLOWERINFO] = "FOLLOWERINFO",
        [ZM_LEADERINFO] = "LEADERINFO",     [ZM_ACKEPOCH] = "ACKEPOCH",
        [ZM_DIFF] = "DIFF",                 [ZM_TRUNC] = "TRUNC",
        [ZM_SNAP] = "SNAP",                 [ZM_PROPOSAL] = "PROPOSAL",
        [ZM_COMMIT] = "COMMIT",             [ZM_NEWLEADER] = "NEWLEADER",
        [ZM_UPTODATE] = "UPTODATE",         [ZM_ACK] = "ACK",
        [ZM_PING] = "PING",                 [ZM_REQUEST] = "REQUEST",
        [ZM_CONNECT_REQ] = "CONNECT",       [ZM_CONNECT_RESP] = "CONNECT_RESPONSE",
        [ZM_WRITE_REQ] = "CREATE",          [ZM_WRITE_RESP] = "CREATE_RESPONSE",
        [ZM_CLIENT_PING] = "CLIENT_PING",   [ZM_CLIENT_PONG] = "CLIENT_PONG",
        [ZM_REVALIDATE] = "REVALIDATE",
    };
    return type < ZM_TYPE_COUNT && names[type] ? names[type] : "?";
}

static void zab_msg_free(struct sim_msg *m)
{
    struct zab_msg *z = (struct zab_msg *)m;
    if (z->snapshot)
        g_array_free(z->snapshot, TRUE);
    g_free(z);
}

static uint32_t wire_size(enum zab_msg_type type, uint32_t payload)
{
    switch (type) {
    case ZM_NOTIFICATION:
        return WIRE_OVERHEAD + 40 + 64; /* fields + quorum config text */
    case ZM_PROPOSAL:
    case ZM_REQUEST:
    case ZM_WRITE_REQ:
        return WIRE_OVERHEAD + 12 + 40 + payload; /* txn header + create txn */
    case ZM_CONNECT_REQ:
    case ZM_CONNECT_RESP:
        return WIRE_OVERHEAD + 48;
    default:
        return WIRE_OVERHEAD + 12;
    }
}

struct zab_msg *zab_msg_new(enum zab_msg_type type, const struct zab_server_config *cfg)
{
    struct zab_msg *m = g_new0(struct zab_msg, 1);
    m->hdr.type = (uint8_t)type;
    m->hdr.size_bytes = wire_size(type, cfg ? cfg->payload_bytes : 64);
    m->hdr.free_fn = zab_msg_free;
    return m;
}
