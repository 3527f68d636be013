/* probe.h: a scriptable test node. Tests drive it with PROTO_IN_CLIENT_OP commands (dial,
 * send, close, timer, disk writes) and read back everything it observed, so the simulator
 * core can be tested without any real protocol. */
#ifndef TESTS_PROBE_H
#define TESTS_PROBE_H

#include "sim/proto.h"

/* The port probes listen on. */
#define PROBE_PORT 7000
#include "sim/sim.h"

enum probe_cmd_kind {
    PROBE_DIAL,      /* machine, port */
    PROBE_SEND,      /* conn, value */
    PROBE_CLOSE,     /* conn */
    PROBE_TIMER,     /* token, delay */
    PROBE_CANCEL,    /* token */
    PROBE_APPEND,    /* value appended to log file 0 */
    PROBE_SYNC,      /* fsync file 0, token */
    PROBE_EPOCH,     /* value put in blob file 1 */
    PROBE_SYNC_BLOB, /* fsync file 1, token */
};

struct probe_cmd {
    enum probe_cmd_kind kind;
    uint32_t machine;
    proto_port port;
    conn_id conn;
    int64_t value;
    uint64_t token;
    sim_time delay;
};

struct probe_event {
    enum proto_input_kind kind;
    sim_time t;
    conn_id conn;
    uint64_t token;
    int64_t value; /* MSG: payload value */
    bool reset;
    bool incoming;
};

struct probe_state {
    GArray *events;     /* struct probe_event */
    int64_t recovered;  /* log records found on the disk at create */
    int64_t recovered_epoch; /* blob value at create, -1 if none */
};

extern const struct proto_ops probe_ops;

/* Sends a command to the probe node through the simulator. */
void probe_do(struct sim *s, uint32_t node, struct probe_cmd cmd);
const struct probe_state *probe_state(const struct sim *s, uint32_t node);
/* Index of the n-th (0-based) event of `kind` in the probe's log, or -1. */
int probe_find(const struct probe_state *p, enum proto_input_kind kind, int n);
int probe_count(const struct probe_state *p, enum proto_input_kind kind);

#endif
