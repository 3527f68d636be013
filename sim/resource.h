/* resource.h: the protected resource of the coordination recipes, as a node.
 *
 * A storage service that a lock holder (or a leader) writes to while it believes it holds
 * the lock. Every write carries the writer's fencing token (ZooKeeper: the czxid of its lock
 * node). With fencing on, the resource keeps the highest token it accepted and refuses any
 * write with a lower one, or with the same token from another writer (Kleppmann, "How to
 * do distributed locking", 2016; Chubby's sequencers); with fencing off it accepts every
 * write. Each write becomes a TRACE_RESOURCE record; what counts as a violation of mutual
 * exclusion is defined over those records (reports/schema.sql, recipe_summary), not here.
 * The resource names no protocol: any model's recipe clients dial it and send
 * writes. It keeps nothing on disk and lives on a machine of its own. */
#ifndef SIM_RESOURCE_H
#define SIM_RESOURCE_H

#include "sim/proto.h"

#define RESOURCE_PORT 7070

struct resource_config {
    uint8_t recipe; /* the scenario's recipe it protects */
    bool fencing;
};

/* Every message the resource receives is a write. Its type is the sender's model's (so the
 * message log names it in that model's vocabulary), and the resource does not read it. */
struct resource_msg {
    struct sim_msg hdr;
    uint32_t client;    /* the writer, 1-based */
    int64_t token;      /* its fencing token */
};

/* A write of client with token, of the sender model's message type, ready for proto_send. */
struct sim_msg *resource_write_new(uint8_t type, uint32_t client, int64_t token);

extern const struct proto_ops resource_ops;

#endif
