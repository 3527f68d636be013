/* trace.c: names for the enums in trace.h and the record digest. */
#include "sim/trace.h"

#include <stdio.h>
#include <string.h>

void msg_id_format(msg_id_t id, char *buf, size_t len)
{
    snprintf(buf, len, "c%u:%u", msg_id_client(id), msg_id_seq(id));
}

const char *outcome_name(enum outcome o)
{
    static const char *const names[] = { "pending", "acked", "rejected", "timeout" };
    return (unsigned)o < G_N_ELEMENTS(names) ? names[o] : "?";
}

const char *fault_kind_name(enum fault_kind k)
{
    static const char *const names[] = { "crash", "power_off", "restart", "partition", "isolate",
                                         "heal", "pause", "slow_link", "slow_disk" };
    return (unsigned)k < G_N_ELEMENTS(names) ? names[k] : "?";
}

const char *msg_loss_name(enum msg_loss l)
{
    static const char *const names[] = { NULL, "partition", "receiver_down", "sender_power_off",
                                         "connection_closed" };
    return (unsigned)l < G_N_ELEMENTS(names) ? names[l] : "?";
}

const char *hold_reason_name(enum hold_reason r)
{
    static const char *const names[] = { "acquired", "released", "suspended", "expired" };
    return (unsigned)r < G_N_ELEMENTS(names) ? names[r] : "?";
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    /* One round of a 64-bit multiply-xorshift; order-sensitive by construction. */
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 33);
}

static uint64_t mix_str(uint64_t h, const char *s)
{
    if (!s)
        return mix(h, 0x5a5a);
    for (; *s; s++)
        h = mix(h, (unsigned char)*s);
    return mix(h, 0xa5);
}

uint64_t trace_rec_digest(const struct trace_rec *r, uint64_t h)
{
    h = mix(h, (uint64_t)r->kind);
    h = mix(h, r->model);
    h = mix(h, (uint64_t)r->t_ns);
    h = mix(h, (uint64_t)(int64_t)r->host);
    h = mix(h, r->incarnation);
    switch (r->kind) {
    case TRACE_STATE:
        h = mix(h, r->u.state.state);
        h = mix(h, r->u.state.phase);
        return mix(h, (uint64_t)r->u.state.epoch);
    case TRACE_SUBMISSION:
        h = mix(h, (uint64_t)r->u.submission.msg_id);
        h = mix(h, r->u.submission.client);
        return mix(h, (uint64_t)(int64_t)r->u.submission.host);
    case TRACE_OUTCOME:
        h = mix(h, (uint64_t)r->u.outcome.msg_id);
        return mix(h, r->u.outcome.outcome);
    case TRACE_DELIVERY:
        h = mix(h, r->u.delivery.seq);
        h = mix(h, (uint64_t)r->u.delivery.msg_id);
        h = mix(h, (uint64_t)r->u.delivery.log_id);
        return mix(h, r->u.delivery.replayed);
    case TRACE_DROP:
        h = mix(h, (uint64_t)r->u.drop.msg_id);
        h = mix(h, r->u.drop.cause);
        h = mix_str(h, r->u.drop.detail);
        return mix(h, (uint64_t)(int64_t)r->u.drop.meant_for);
    case TRACE_FAULT:
        h = mix(h, r->u.fault.kind);
        h = mix_str(h, r->u.fault.target);
        return mix_str(h, r->u.fault.detail);
    case TRACE_MESSAGE:
        h = mix_str(h, r->u.message.type);
        h = mix_str(h, r->u.message.src);
        h = mix_str(h, r->u.message.dst);
        h = mix(h, (uint64_t)r->u.message.sent_ns);
        h = mix(h, (uint64_t)r->u.message.recv_ns);
        h = mix(h, r->u.message.loss);
        return mix(h, (uint64_t)r->u.message.msg_id);
    case TRACE_EVENT:
        h = mix(h, r->u.event.type);
        h = mix(h, (uint64_t)r->u.event.msg_id);
        h = mix(h, (uint64_t)r->u.event.a);
        h = mix(h, (uint64_t)r->u.event.b);
        return mix(h, r->u.event.flag);
    case TRACE_LOST:
        h = mix(h, (uint64_t)r->u.lost.msg_id);
        h = mix(h, r->u.lost.type);
        h = mix(h, r->u.lost.loss);
        return mix(h, (uint64_t)(int64_t)r->u.lost.from_host);
    case TRACE_HOST_LIFE:
        h = mix(h, r->u.life.up);
        return mix(h, r->u.life.cause);
    case TRACE_CLIENT:
        h = mix(h, r->u.client.client);
        h = mix(h, r->u.client.up);
        return mix(h, (uint64_t)(int64_t)r->u.client.host);
    case TRACE_HOLD:
        h = mix(h, r->u.hold.recipe);
        h = mix(h, r->u.hold.client);
        h = mix(h, r->u.hold.holding);
        h = mix(h, r->u.hold.reason);
        return mix(h, (uint64_t)r->u.hold.token);
    case TRACE_RESOURCE:
        h = mix(h, r->u.resource.recipe);
        h = mix(h, r->u.resource.client);
        h = mix(h, (uint64_t)r->u.resource.token);
        return mix(h, r->u.resource.accepted);
    case TRACE_VIEW:
        h = mix(h, r->u.view.recipe);
        h = mix(h, r->u.view.observer);
        h = mix(h, r->u.view.instance);
        return mix(h, r->u.view.listed);
    case TRACE_KIND_COUNT:
        break;
    }
    return h;
}
