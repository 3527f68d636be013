/* proto.c: the outbox that protocol nodes fill; see proto.h. */
#include "sim/proto.h"

#include <string.h>

void sim_msg_free(struct sim_msg *m)
{
    if (!m)
        return;
    if (m->free_fn)
        m->free_fn(m);
    else
        g_free(m);
}

void proto_out_init(struct proto_out *o)
{
    o->effects = g_array_sized_new(FALSE, FALSE, sizeof(struct proto_effect), 16);
    o->traces = g_array_sized_new(FALSE, FALSE, sizeof(struct trace_rec), 4);
    o->arena = g_byte_array_new();
}

void proto_out_clear(struct proto_out *o)
{
    for (guint i = 0; i < o->effects->len; i++) {
        struct proto_effect *e = proto_out_at(o, i);
        if (e->kind == PROTO_EFFECT_SEND && e->msg)
            sim_msg_free(e->msg);
    }
    o->effects->len = 0; /* no destructor to run: skip g_array_set_size's bookkeeping */
    o->traces->len = 0;
    g_byte_array_set_size(o->arena, 0);
}

void proto_out_destroy(struct proto_out *o)
{
    if (!o->effects)
        return;
    proto_out_clear(o);
    g_array_free(o->effects, TRUE);
    g_array_free(o->traces, TRUE);
    g_byte_array_unref(o->arena);
    o->effects = NULL;
    o->arena = NULL;
}

static struct proto_effect *push(struct proto_out *o, enum proto_effect_kind kind)
{
    struct proto_effect blank = { .kind = kind };
    g_array_append_val(o->effects, blank);
    return proto_out_at(o, o->effects->len - 1);
}

static void copy_data(struct proto_out *o, struct proto_effect *e, const void *data, size_t size)
{
    e->data_offset = o->arena->len;
    e->data_size = size;
    if (size)
        g_byte_array_append(o->arena, data, (guint)size);
}

void proto_send(struct proto_out *o, conn_id conn, struct sim_msg *msg)
{
    ZS_ASSERT(msg != NULL);
    struct proto_effect *e = push(o, PROTO_EFFECT_SEND);
    e->conn = conn;
    e->msg = msg;
}

void proto_connect(struct proto_out *o, uint32_t machine, proto_port port, uint64_t token)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_CONNECT);
    e->machine = machine;
    e->port = port;
    e->token = token;
}

void proto_close(struct proto_out *o, conn_id conn)
{
    push(o, PROTO_EFFECT_CLOSE)->conn = conn;
}

void proto_timer_set(struct proto_out *o, uint64_t token, sim_time delay_ns)
{
    ZS_ASSERT(delay_ns >= 0);
    struct proto_effect *e = push(o, PROTO_EFFECT_TIMER_SET);
    e->token = token;
    e->delay_ns = delay_ns;
}

void proto_timer_cancel(struct proto_out *o, uint64_t token)
{
    push(o, PROTO_EFFECT_TIMER_CANCEL)->token = token;
}

void proto_disk_append(struct proto_out *o, uint16_t file, const void *record, size_t size)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_DISK_APPEND);
    e->file = file;
    copy_data(o, e, record, size);
}

void proto_disk_truncate(struct proto_out *o, uint16_t file, uint64_t records)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_DISK_TRUNCATE);
    e->file = file;
    e->records = records;
}

void proto_disk_put(struct proto_out *o, uint16_t file, const void *data, size_t size)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_DISK_PUT);
    e->file = file;
    copy_data(o, e, data, size);
}

void proto_disk_sync(struct proto_out *o, uint16_t file, uint64_t token)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_DISK_SYNC);
    e->file = file;
    e->token = token;
}

void proto_trace(struct proto_out *o, const struct trace_rec *rec)
{
    push(o, PROTO_EFFECT_TRACE)->data_offset = o->traces->len;
    g_array_append_val(o->traces, *rec);
}

void proto_trace_submission(struct proto_out *o, msg_id_t msg_id, uint32_t client, int32_t host)
{
    struct trace_rec r = { .kind = TRACE_SUBMISSION };
    r.u.submission.msg_id = msg_id;
    r.u.submission.client = client;
    r.u.submission.host = host;
    proto_trace(o, &r);
}

void proto_trace_outcome(struct proto_out *o, msg_id_t msg_id, enum outcome outcome)
{
    struct trace_rec r = { .kind = TRACE_OUTCOME };
    r.u.outcome.msg_id = msg_id;
    r.u.outcome.outcome = outcome;
    proto_trace(o, &r);
}

void proto_trace_client(struct proto_out *o, uint32_t client, bool up, int32_t host)
{
    struct trace_rec r = { .kind = TRACE_CLIENT };
    r.u.client.client = client;
    r.u.client.up = up;
    r.u.client.host = up ? host : -1;
    proto_trace(o, &r);
}

void proto_trace_hold(struct proto_out *o, uint8_t recipe, uint32_t client, bool holding,
                      enum hold_reason why, int64_t token)
{
    struct trace_rec r = { .kind = TRACE_HOLD };
    r.u.hold.recipe = recipe;
    r.u.hold.client = client;
    r.u.hold.holding = holding;
    r.u.hold.reason = (uint8_t)why;
    r.u.hold.token = token;
    proto_trace(o, &r);
}

void proto_trace_view(struct proto_out *o, uint8_t recipe, uint32_t observer, uint32_t instance,
                      bool listed)
{
    struct trace_rec r = { .kind = TRACE_VIEW };
    r.u.view.recipe = recipe;
    r.u.view.observer = observer;
    r.u.view.instance = instance;
    r.u.view.listed = listed;
    proto_trace(o, &r);
}

void proto_listen(struct proto_out *o, proto_port port, bool on)
{
    struct proto_effect *e = push(o, PROTO_EFFECT_LISTEN);
    e->port = port;
    e->on = on;
}
