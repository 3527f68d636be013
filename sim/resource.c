/* resource.c: the protected resource (resource.h). */
#include "sim/resource.h"

struct resource {
    const struct resource_config *cfg;
    bool any_accepted;
    int64_t highest;         /* highest token accepted */
    uint32_t highest_client; /* who wrote with it */
};

struct sim_msg *resource_write_new(uint8_t type, uint32_t client, int64_t token)
{
    struct resource_msg *m = g_new0(struct resource_msg, 1);
    m->hdr.type = type;
    m->hdr.size_bytes = 64;
    m->client = client;
    m->token = token;
    return &m->hdr;
}

static void *resource_create(const void *config, const struct proto_env *env,
                             const struct disk *disk)
{
    (void)env, (void)disk;
    struct resource *r = g_new0(struct resource, 1);
    r->cfg = config;
    return r;
}

static void resource_destroy(void *state)
{
    g_free(state);
}

/* Kleppmann's rule: a token below the highest accepted is stale; an equal one is the same
 * holder's only if it came from the same writer (otherwise two holders share a token). */
static bool fenced_out(const struct resource *r, const struct resource_msg *w)
{
    if (!r->any_accepted)
        return false;
    return w->token < r->highest || (w->token == r->highest && w->client != r->highest_client);
}

static void resource_handle(void *state, const struct proto_env *env,
                            const struct proto_input *in, struct proto_out *out)
{
    (void)env;
    struct resource *r = state;
    if (in->kind != PROTO_IN_MSG)
        return;
    const struct resource_msg *w = (const struct resource_msg *)in->msg;
    bool accepted = !(r->cfg->fencing && fenced_out(r, w));
    if (accepted && (!r->any_accepted || w->token >= r->highest)) {
        r->any_accepted = true;
        r->highest = w->token;
        r->highest_client = w->client;
    }
    struct trace_rec rec = { .kind = TRACE_RESOURCE };
    rec.u.resource.recipe = r->cfg->recipe;
    rec.u.resource.client = w->client;
    rec.u.resource.token = w->token;
    rec.u.resource.accepted = accepted;
    proto_trace(out, &rec);
}

const struct proto_ops resource_ops = {
    .name = "resource",
    .create = resource_create,
    .destroy = resource_destroy,
    .handle = resource_handle,
    .msg_type_name = NULL,
};
