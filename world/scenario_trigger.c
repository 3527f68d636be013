/* scenario_trigger.c: the `on:` of a fault that fires on a protocol event instead of at a
 * time (docs/scenarios.md, "Triggers"): which event, on which host, and the filters that
 * narrow it. State, phase and message type names are checked against the vocabularies of
 * the registered models, so a misspelt NEWLEADER is an error with the names that exist,
 * not a trigger that silently never fires. */
#include "world/model.h"
#include "world/scenario_internal.h"

#include <string.h>

static const char *const event_names[TRIGGER_EVENT_COUNT] = {
    [TRIGGER_STATE] = "state",     [TRIGGER_SEND] = "send",     [TRIGGER_RECEIVE] = "receive",
    [TRIGGER_DELIVER] = "deliver", [TRIGGER_APPEND] = "append", [TRIGGER_WRITE] = "write",
    [TRIGGER_FSYNC] = "fsync",
};

#define EVENT_LIST "state, send, receive, deliver, append, write or fsync"

const char *trigger_event_name(enum trigger_event e)
{
    return (unsigned)e < TRIGGER_EVENT_COUNT && event_names[e] ? event_names[e] : "?";
}

enum { TK_EVENT, TK_HOST, TK_PEER, TK_MODEL, TK_TYPE, TK_STATE, TK_PHASE, TK_FROM, TK_UNTIL,
       TK_COUNT };
static const char *const trigger_keys[TK_COUNT] = {
    [TK_EVENT] = "event", [TK_HOST] = "host",   [TK_PEER] = "peer",   [TK_MODEL] = "model",
    [TK_TYPE] = "type",   [TK_STATE] = "state", [TK_PHASE] = "phase", [TK_FROM] = "from",
    [TK_UNTIL] = "until",
};

static const struct scenario_target_rule host_filter = {
    SCENARIO_ALLOW_LIST | SCENARIO_ALLOW_LEADER | SCENARIO_ALLOW_FOLLOWER | SCENARIO_ALLOW_ANY,
    "a host name, a list of host names, leader, follower or any"
};

/* Whether model (or any simulated model, for -1) has the name; else lists the names it
 * could be into known. */
static bool in_vocabulary(int model, enum model_vocab v, const char *name, GString *known)
{
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        if ((model >= 0 && id != model) || d->real_of)
            continue;
        for (unsigned code = 0; code <= UINT8_MAX; code++) {
            const char *n = model_word(d, v, code);
            if (!n)
                continue;
            if (strcmp(n, name) == 0)
                return true;
            char *quoted = g_strdup_printf(" %s ", n);
            if (!strstr(known->str, quoted))
                g_string_append_printf(known, "%s ", n);
            g_free(quoted);
        }
    }
    return false;
}

/* A name the filter compares with: one of the model's (or of any model's) names. */
static bool read_name(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      int model, enum model_vocab v, const char *what, char *out)
{
    if (n->kind != SCENARIO_YNODE_SCALAR || scenario__is_null(n)) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected a %s name, not %s", where, what,
                                scenario__is_null(n) ? "nothing" : scenario__kind_name(n));
        return false;
    }
    GString *known = g_string_new(" ");
    bool ok = in_vocabulary(model, v, n->text, known);
    if (!ok) {
        g_strstrip(known->str);
        char **names = g_strsplit(known->str, " ", -1);
        char *listed = g_strjoinv(", ", names);
        g_string_assign(known, listed);
        g_free(listed);
        g_strfreev(names);
        scenario__report_at(c, n, "%s: '%s' is not a %s %s (known: %s)", where,
                            scenario__quote(c->diag, n->text), model >= 0 ?
                            model_get((model_id)model)->name : "simulated model's", what,
                            known->len ? known->str : "none");
    }
    g_string_free(known, TRUE);
    if (ok)
        g_strlcpy(out, n->text, SCENARIO_TRIGGER_NAME_MAX);
    return ok;
}

static bool read_event(struct scenario__ctx *c, const struct ynode *map, const char *where,
                       const struct ynode *n, enum trigger_event *out)
{
    char path[96];
    if (!n) {
        scenario__missing(c, map, where, "event");
        return false;
    }
    scenario__path(path, sizeof path, where, ".event");
    if (n->kind == SCENARIO_YNODE_SCALAR) {
        for (int e = 1; e < TRIGGER_EVENT_COUNT; e++) {
            if (strcmp(n->text, event_names[e]) == 0) {
                *out = (enum trigger_event)e;
                return true;
            }
        }
    }
    if (n->kind != SCENARIO_YNODE_INVALID)
        scenario__report_at(c, n, "%s: expected one of " EVENT_LIST, path);
    return false;
}

static bool read_model(struct scenario__ctx *c, const struct ynode *n, const char *where,
                       int *out)
{
    char *name = NULL;
    if (!scenario__string(c, n, where, &name))
        return false;
    int id = model_find(name);
    bool ok = id >= 0 && !model_get((model_id)id)->real_of;
    if (!ok)
        scenario__report_at(c, n, "%s: '%s' is not a simulated model", where,
                            scenario__quote(c->diag, name));
    g_free(name);
    if (ok)
        *out = id;
    return ok;
}

/* A key the event does not take. */
static bool refuse_key(struct scenario__ctx *c, const struct scenario__field *k,
                       const char *where, enum trigger_event e, const char *takes)
{
    if (!k->key)
        return true;
    scenario__report_at(c, k->key, "%s: '%s' does not apply to a %s event (%s)", where,
                        k->key->text, event_names[e], takes);
    return false;
}

bool scenario__read_trigger(struct scenario__ctx *c, const struct ynode *n, const char *where,
                            struct scenario_trigger *t)
{
    struct scenario__field k[TK_COUNT];
    char path[96];
    if (!scenario__fields(c, n, where, trigger_keys, TK_COUNT, k) ||
        n->kind != SCENARIO_YNODE_MAPPING) {
        if (scenario__is_null(n))
            scenario__report_at(c, n, "%s: expected a mapping such as {event: send, type: "
                                "NEWLEADER, host: leader}", where);
        return false;
    }
    t->model = -1;
    t->host.kind = SCENARIO_TARGET_ALL;
    t->peer.kind = SCENARIO_TARGET_ALL;
    t->from = 0;
    t->until = SCENARIO_AT_TRIGGER;
    if (!read_event(c, n, where, k[TK_EVENT].value, &t->event))
        return false;
    bool ok = true;
    if (k[TK_FROM].value)
        ok &= scenario__duration(c, k[TK_FROM].value,
                                 scenario__path(path, sizeof path, where, ".from"), 0, &t->from);
    if (k[TK_UNTIL].value &&
        scenario__duration(c, k[TK_UNTIL].value,
                           scenario__path(path, sizeof path, where, ".until"), 0, &t->until) &&
        t->until < t->from) {
        scenario__report_at(c, k[TK_UNTIL].value, "%s.until: before from", where);
        ok = false;
    }
    if (k[TK_MODEL].value)
        ok &= read_model(c, k[TK_MODEL].value,
                         scenario__path(path, sizeof path, where, ".model"), &t->model);
    if (k[TK_HOST].value)
        ok &= scenario__target(c, k[TK_HOST].value,
                               scenario__path(path, sizeof path, where, ".host"), &host_filter,
                               &t->host);
    bool message = t->event == TRIGGER_SEND || t->event == TRIGGER_RECEIVE;
    if (message) {
        if (k[TK_PEER].value)
            ok &= scenario__target(c, k[TK_PEER].value,
                                   scenario__path(path, sizeof path, where, ".peer"),
                                   &host_filter, &t->peer);
        if (k[TK_TYPE].value)
            ok &= read_name(c, k[TK_TYPE].value,
                            scenario__path(path, sizeof path, where, ".type"), t->model,
                            MODEL_MESSAGES, "message type", t->type);
    } else {
        ok &= refuse_key(c, &k[TK_PEER], where, t->event, "only send and receive have a peer");
        ok &= refuse_key(c, &k[TK_TYPE], where, t->event,
                         "only send and receive carry a message type");
    }
    if (t->event == TRIGGER_STATE) {
        if (!k[TK_STATE].value && !k[TK_PHASE].value) {
            scenario__report_at(c, n, "%s: a state event needs 'state', 'phase' or both (the "
                                "state or phase the host enters)", where);
            ok = false;
        }
        if (k[TK_STATE].value)
            ok &= read_name(c, k[TK_STATE].value,
                            scenario__path(path, sizeof path, where, ".state"), t->model,
                            MODEL_STATES, "state", t->state);
        if (k[TK_PHASE].value)
            ok &= read_name(c, k[TK_PHASE].value,
                            scenario__path(path, sizeof path, where, ".phase"), t->model,
                            MODEL_PHASES, "phase", t->phase);
    } else {
        ok &= refuse_key(c, &k[TK_STATE], where, t->event, "only state events have one");
        ok &= refuse_key(c, &k[TK_PHASE], where, t->event, "only state events have one");
    }
    return ok;
}
