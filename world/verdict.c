/* verdict.c: one oracle per model of the run, fed every record (verdict.h). */
#include "world/verdict.h"

struct verdict_oracle {
    const struct oracle_ops *ops;
    void *state;
};

struct verdict {
    struct oracle_sink *sink;
    GArray *oracles; /* struct verdict_oracle, in registry order */
    bool finished;
};

struct verdict *verdict_new(unsigned models, uint32_t n_hosts, const char *const *host_names)
{
    struct verdict *v = g_new0(struct verdict, 1);
    v->sink = oracle_sink_new();
    v->oracles = g_array_new(FALSE, FALSE, sizeof(struct verdict_oracle));
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        if (!(models & (1u << id)) || !d->oracle)
            continue;
        oracle_declare(v->sink, d->name, d->oracle);
        struct oracle_env env = { .model = id, .model_name = d->name, .n_hosts = n_hosts,
                                  .host_names = host_names, .sink = v->sink };
        struct verdict_oracle o = { .ops = d->oracle, .state = d->oracle->create(&env) };
        g_array_append_val(v->oracles, o);
    }
    return v;
}

static void verdict_record(void *ctx, const struct trace_rec *r)
{
    struct verdict *v = ctx;
    if (v->finished)
        return;
    for (guint i = 0; i < v->oracles->len; i++) {
        struct verdict_oracle *o = &g_array_index(v->oracles, struct verdict_oracle, i);
        o->ops->observe(o->state, r);
    }
}

struct recorder verdict_recorder(struct verdict *v)
{
    return (struct recorder){ .record = verdict_record, .ctx = v };
}

void verdict_finish(struct verdict *v, struct oracle_result *res)
{
    ZS_ASSERT(!v->finished);
    v->finished = true;
    for (guint i = 0; i < v->oracles->len; i++) {
        struct verdict_oracle *o = &g_array_index(v->oracles, struct verdict_oracle, i);
        o->ops->finish(o->state);
    }
    oracle_sink_collect(v->sink, res);
}

void verdict_free(struct verdict *v)
{
    if (!v)
        return;
    for (guint i = 0; i < v->oracles->len; i++) {
        struct verdict_oracle *o = &g_array_index(v->oracles, struct verdict_oracle, i);
        o->ops->destroy(o->state);
    }
    g_array_free(v->oracles, TRUE);
    oracle_sink_free(v->sink);
    g_free(v);
}
