/* js_oracle.c: the stream's invariants over a run's trace (sim/oracle.h; listed in
 * docs/database.md and docs/jetstream-model.md):
 *
 *   acked_kept  every message whose publisher got a PubAck is, at the end of the run, in
 *               the stream of at least one replica that is up (what a replica holds comes
 *               from its stored records; a restart cuts it to what its disk kept);
 *   one_order   a stream sequence never holds two different messages: every replica's
 *               stream, at every moment, is a prefix of one total order.
 *
 * Memory: one message id per (replica, sequence) and per sequence, and one flag per
 * acknowledged message; nothing per delivery. */
#include "protocol/jetstream/js_msg.h"

#include <inttypes.h>

enum js_invariant { JS_INV_ACKED_KEPT, JS_INV_ONE_ORDER, JS_INV_COUNT };
static const char *const js_invariants[JS_INV_COUNT] = { "acked_kept", "one_order" };

struct first_store {
    msg_id_t msg_id;
    int32_t host;
    uint32_t incarnation;
    sim_time t_ns;
};

struct js_oracle {
    struct oracle_env env;
    GArray **held;      /* by host: msg_id_t by sequence - 1, what its stream holds now */
    bool *up;           /* by host */
    bool *replica;      /* by host: it recorded a recovery, so it holds a stream */
    GArray *order;      /* struct first_store by sequence - 1: the first message stored */
    GArray *acked;      /* msg_id_t, in the order their PubAcks reached publishers */
    GHashTable *seen_acked; /* msg_id -> 1 */
};

static void *oracle_create(const struct oracle_env *env)
{
    struct js_oracle *o = g_new0(struct js_oracle, 1);
    o->env = *env;
    o->held = g_new0(GArray *, env->n_hosts);
    o->up = g_new0(bool, env->n_hosts);
    o->replica = g_new0(bool, env->n_hosts);
    for (uint32_t h = 0; h < env->n_hosts; h++)
        o->held[h] = g_array_new(FALSE, TRUE, sizeof(msg_id_t));
    o->order = g_array_new(FALSE, TRUE, sizeof(struct first_store));
    o->acked = g_array_new(FALSE, FALSE, sizeof(msg_id_t));
    o->seen_acked = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);
    return o;
}

static void oracle_destroy(void *state)
{
    struct js_oracle *o = state;
    for (uint32_t h = 0; h < o->env.n_hosts; h++)
        g_array_free(o->held[h], TRUE);
    g_free(o->held);
    g_free(o->up);
    g_free(o->replica);
    g_array_free(o->order, TRUE);
    g_array_free(o->acked, TRUE);
    g_hash_table_destroy(o->seen_acked);
    g_free(o);
}

static const char *host_name(const struct js_oracle *o, int32_t host)
{
    return host >= 0 && (uint32_t)host < o->env.n_hosts ? o->env.host_names[host] : "?";
}

static void report(struct js_oracle *o, enum js_invariant inv, char *detail, GString *evidence)
{
    if (oracle_count(o->env.sink, o->env.model_name, js_invariants[inv])) {
        oracle_list(o->env.sink, o->env.model_name, js_invariants[inv], detail, evidence);
        return;
    }
    g_free(detail);
    g_string_free(evidence, TRUE);
}

static void format_store(const struct js_oracle *o, int32_t host, uint32_t incarnation,
                         sim_time t_ns, uint64_t seq, msg_id_t id, GString *out)
{
    char text[24];
    msg_id_format(id, text, sizeof text);
    if (out->len)
        g_string_append_c(out, '\n');
    g_string_append_printf(out,
                           "js_stored host=%s incarnation=%u t_ns=%" PRId64 " seq=%" PRIu64
                           " msg_id=%s",
                           host_name(o, host), incarnation, t_ns, seq, text);
}

static void on_store(struct js_oracle *o, const struct trace_rec *r)
{
    uint64_t seq = (uint64_t)r->u.event.a;
    msg_id_t id = r->u.event.msg_id;
    ZS_ASSERT(seq >= 1 && r->host >= 0 && (uint32_t)r->host < o->env.n_hosts);
    GArray *held = o->held[r->host];
    if (seq > held->len)
        g_array_set_size(held, (guint)seq);
    g_array_index(held, msg_id_t, seq - 1) = id;
    if (seq > o->order->len)
        g_array_set_size(o->order, (guint)seq);
    struct first_store *f = &g_array_index(o->order, struct first_store, seq - 1);
    if (f->msg_id == MSG_ID_NONE) {
        *f = (struct first_store){ .msg_id = id, .host = r->host,
                                   .incarnation = r->incarnation, .t_ns = r->t_ns };
        return;
    }
    if (f->msg_id == id)
        return;
    char a[24], b[24];
    msg_id_format(f->msg_id, a, sizeof a);
    msg_id_format(id, b, sizeof b);
    GString *evidence = g_string_new(NULL);
    format_store(o, f->host, f->incarnation, f->t_ns, seq, f->msg_id, evidence);
    format_store(o, r->host, r->incarnation, r->t_ns, seq, id, evidence);
    report(o, JS_INV_ONE_ORDER,
           g_strdup_printf("sequence %" PRIu64 " holds %s at %s#%u but %s at %s#%u", seq, a,
                           host_name(o, f->host), f->incarnation, b, host_name(o, r->host),
                           r->incarnation),
           evidence);
}

static void oracle_observe(void *state, const struct trace_rec *r)
{
    struct js_oracle *o = state;
    if (r->model != o->env.model)
        return;
    switch (r->kind) {
    case TRACE_STATE:
        if (r->host >= 0 && (uint32_t)r->host < o->env.n_hosts)
            o->up[r->host] = r->u.state.state != TRACE_STATE_DOWN;
        break;
    case TRACE_OUTCOME:
        if (r->u.outcome.outcome == TRACE_OUTCOME_ACKED &&
            !g_hash_table_contains(o->seen_acked, &r->u.outcome.msg_id)) {
            g_hash_table_add(o->seen_acked, g_memdup2(&r->u.outcome.msg_id, sizeof(msg_id_t)));
            g_array_append_val(o->acked, r->u.outcome.msg_id);
        }
        break;
    case TRACE_EVENT:
        if (r->u.event.type == JS_EVENT_STORE) {
            on_store(o, r);
        } else if (r->u.event.type == JS_EVENT_RECOVERED) {
            ZS_ASSERT(r->host >= 0 && (uint32_t)r->host < o->env.n_hosts);
            GArray *held = o->held[r->host];
            o->replica[r->host] = true;
            g_array_set_size(held, (guint)MIN((uint64_t)r->u.event.a, held->len));
        }
        break;
    default:
        break;
    }
}

static void oracle_finish(void *state)
{
    struct js_oracle *o = state;
    GHashTable *kept = g_hash_table_new(g_int64_hash, g_int64_equal);
    bool any_up = false;
    for (uint32_t h = 0; h < o->env.n_hosts; h++) {
        GArray *held = o->held[h];
        if (!o->up[h] || !o->replica[h])
            continue;
        any_up = true;
        for (guint i = 0; i < held->len; i++) {
            msg_id_t *id = &g_array_index(held, msg_id_t, i);
            if (*id != MSG_ID_NONE)
                g_hash_table_add(kept, id);
        }
    }
    for (guint i = 0; any_up && i < o->acked->len; i++) {
        msg_id_t id = g_array_index(o->acked, msg_id_t, i);
        if (g_hash_table_contains(kept, &id))
            continue;
        if (!oracle_count(o->env.sink, o->env.model_name, js_invariants[JS_INV_ACKED_KEPT]))
            continue;
        char text[24];
        msg_id_format(id, text, sizeof text);
        GString *evidence = g_string_new(NULL);
        g_string_append_printf(evidence, "submissions model=%s msg_id=%s outcome=acked",
                               o->env.model_name, text);
        oracle_list(o->env.sink, o->env.model_name, js_invariants[JS_INV_ACKED_KEPT],
                    g_strdup_printf("%s was acknowledged but no replica up at the end holds "
                                    "it",
                                    text),
                    evidence);
    }
    g_hash_table_destroy(kept);
}

const struct oracle_ops js_oracle_ops = {
    .invariants = js_invariants,
    .n_invariants = JS_INV_COUNT,
    .create = oracle_create,
    .observe = oracle_observe,
    .finish = oracle_finish,
    .destroy = oracle_destroy,
};
