/* probe.c: the scriptable test node of probe.h. */
#include "tests/probe.h"

#include "sim/sim.h"

#include <string.h>

struct probe_msg {
    struct sim_msg hdr;
    int64_t value;
};

static void *probe_create(const void *config, const struct proto_env *env, const struct disk *disk)
{
    struct probe_state *p = g_new0(struct probe_state, 1);
    p->events = g_array_new(FALSE, TRUE, sizeof(struct probe_event));
    p->recovered_epoch = -1;
    if (disk) {
        p->recovered = (int64_t)disk_log_len(disk, 0);
        size_t size;
        const void *blob = disk_blob_get(disk, 1, &size);
        if (blob && size == sizeof(int64_t))
            memcpy(&p->recovered_epoch, blob, sizeof(int64_t));
    }
    return p;
}

static void probe_destroy(void *state)
{
    struct probe_state *p = state;
    g_array_free(p->events, TRUE);
    g_free(p);
}

static void probe_run(const struct probe_cmd *c, struct proto_out *out)
{
    switch (c->kind) {
    case PROBE_DIAL:
        proto_connect(out, c->machine, c->port, c->token);
        break;
    case PROBE_SEND: {
        struct probe_msg *m = g_new0(struct probe_msg, 1);
        m->hdr.size_bytes = 16;
        m->value = c->value;
        proto_send(out, c->conn, &m->hdr);
        break;
    }
    case PROBE_CLOSE:
        proto_close(out, c->conn);
        break;
    case PROBE_TIMER:
        proto_timer_set(out, c->token, c->delay);
        break;
    case PROBE_CANCEL:
        proto_timer_cancel(out, c->token);
        break;
    case PROBE_APPEND:
        proto_disk_append(out, 0, &c->value, sizeof c->value);
        break;
    case PROBE_SYNC:
        proto_disk_sync(out, 0, c->token);
        break;
    case PROBE_EPOCH:
        proto_disk_put(out, 1, &c->value, sizeof c->value);
        break;
    case PROBE_SYNC_BLOB:
        proto_disk_sync(out, 1, c->token);
        break;
    }
}

static void probe_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                         struct proto_out *out)
{
    struct probe_state *p = state;
    if (in->kind == PROTO_IN_CLIENT_OP) {
        probe_run(in->op, out);
        return;
    }
    struct probe_event e = { .kind = in->kind, .t = env->now_ns, .conn = in->conn,
                             .token = in->token, .reset = in->reset, .incoming = in->incoming };
    if (in->kind == PROTO_IN_MSG)
        e.value = ((const struct probe_msg *)in->msg)->value;
    g_array_append_val(p->events, e);
}

static const char *probe_msg_name(uint8_t type)
{
    return "PROBE";
}

const struct proto_ops probe_ops = {
    .name = "probe",
    .create = probe_create,
    .destroy = probe_destroy,
    .handle = probe_handle,
    .msg_type_name = probe_msg_name,
};

void probe_do(struct sim *s, uint32_t node, struct probe_cmd cmd)
{
    struct proto_input in = { .kind = PROTO_IN_CLIENT_OP, .op = &cmd };
    sim_node_input(s, node, &in);
}

const struct probe_state *probe_state(const struct sim *s, uint32_t node)
{
    return sim_node_state(s, node);
}

int probe_find(const struct probe_state *p, enum proto_input_kind kind, int n)
{
    for (guint i = 0; i < p->events->len; i++) {
        if (g_array_index(p->events, struct probe_event, i).kind == kind && n-- == 0)
            return (int)i;
    }
    return -1;
}

int probe_count(const struct probe_state *p, enum proto_input_kind kind)
{
    int count = 0;
    for (guint i = 0; i < p->events->len; i++)
        count += g_array_index(p->events, struct probe_event, i).kind == kind;
    return count;
}
