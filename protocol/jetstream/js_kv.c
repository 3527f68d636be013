/* js_kv.c: the key-value bucket on the bucket's server (cfg->kv; docs/jetstream-model.md,
 * "The key-value bucket").
 *
 * A bucket is a stream of its own: a Raft group on the same R hosts as the stream, whose
 * messages are puts and delete markers to keys ($KV.<bucket>.<key>). It keeps one message per
 * key (history 1, MaxMsgsPerSubject): a new message to a key removes the older one. MaxAge is
 * the bucket's TTL: each replica removes a message once its age passes the TTL, by its own
 * clock, checking when the oldest message is due but never more often than every 250 ms
 * (filestore.go resetAgeChk); removals are not replicated and not written (a restarted
 * replica removes what aged meanwhile as it recovers, expireMsgsOnRecover).
 *
 * Writes are publishes to the bucket's leader, which admits a conditional write
 * (Nats-Expected-Last-Subject-Sequence) against its applied store plus its proposals not
 * yet applied, and refuses a second conditional write to a key while one is in flight
 * (nats-server 2.11). Each write is a Raft entry; every replica applies it into its store,
 * and the replica leading when it applies answers with the message's sequence, its
 * revision, as a PubAck (after the store's fsync with sync_interval: always). A get is a
 * direct get: any replica answers from its own store, which may be behind. A listing of
 * keys (Keys(): an ordered consumer delivering the last message per key, deletes left out)
 * is answered by the leader from its store. */
#include "protocol/jetstream/js_internal.h"

/* The store's age check never fires more often than this (filestore.go resetAgeChk). */
#define KV_AGE_CHECK_MIN_NS (250 * SIM_MS)
/* Keys one listing answers: a recipe's lock key and an entry for each of at most 1024
 * clients. A listing never has more (the recipes write no other keys); were there more, the
 * rest would be left out of the answer. */
#define KV_LIST_MAX 1025u

/* A key's last message in this replica's store. */
struct kv_last {
    uint64_t seq;
    sim_time t_ns;  /* its timestamp: the leader's clock when it proposed it */
    uint32_t value;
    uint8_t op;     /* enum js_kv_op */
    bool live;      /* false: MaxAge removed it, and the key has no message */
};

/* The leader's writes to a key proposed and not applied yet. */
struct kv_flight {
    uint64_t last_seq; /* the latest one's sequence: the key's projected last sequence */
    uint64_t cond_seq; /* the conditional one's (at most one), 0: none */
};

/* Both trees are keyed by key and hold at most one node per key the recipes write: a
 * recipe's lock key and one registry entry per client, so they are bounded by the
 * scenario's recipes. Tree order keeps listings and age checks independent of hashing. */
struct js_kv {
    GTree *keys;       /* key -> struct kv_last */
    GTree *flight;     /* key -> struct kv_flight; the serving leader's only */
    uint64_t last_seq; /* the highest sequence in the store */
    bool age_armed;    /* the age check's timer is set */
};

static gint key_cmp(gconstpointer a, gconstpointer b, gpointer unused)
{
    (void)unused;
    guint x = GPOINTER_TO_UINT(a), y = GPOINTER_TO_UINT(b);
    return x < y ? -1 : x > y;
}

static struct kv_last *last_of(const struct js_kv *kv, uint32_t key)
{
    return g_tree_lookup(kv->keys, GUINT_TO_POINTER(key));
}

/* The key's message now: history 1 drops whatever it had before. */
static void put_last(struct js_kv *kv, uint32_t key, const struct kv_last *m)
{
    struct kv_last *l = last_of(kv, key);
    if (!l) {
        l = g_new(struct kv_last, 1);
        g_tree_insert(kv->keys, GUINT_TO_POINTER(key), l);
    }
    *l = *m;
}

void js__kv_init(struct js_server *s, const struct disk *disk)
{
    struct js_kv *kv = g_new0(struct js_kv, 1);
    kv->keys = g_tree_new_full(key_cmp, NULL, NULL, g_free);
    kv->flight = g_tree_new_full(key_cmp, NULL, NULL, g_free);
    s->kv = kv;
    if (!disk)
        return;
    /* The store file holds every message applied, in sequence order: the last one of each
     * key is the key's (its older ones were removed by history 1). */
    uint16_t file = js__file(s, JS_FILE_STORE);
    uint64_t n = disk_log_len(disk, file);
    for (uint64_t i = 0; i < n; i++) {
        const struct js_stored *r = disk_log_record(disk, file, i);
        kv->last_seq = MAX(kv->last_seq, r->seq);
        struct kv_last m = { .seq = r->seq, .t_ns = r->t_ns, .value = r->value,
                             .op = r->kv_op, .live = true };
        put_last(kv, r->key, &m);
    }
}

void js__kv_free(struct js_server *s)
{
    g_tree_destroy(s->kv->keys);
    g_tree_destroy(s->kv->flight);
    g_free(s->kv);
    s->kv = NULL;
}

uint64_t js__kv_last_seq(const struct js_server *s)
{
    return s->kv->last_seq;
}

/* ---- MaxAge ----------------------------------------------------------------------------- */

struct expiry {
    sim_time now_ns, ttl;
    sim_time next_ns; /* the earliest expiry of what stays, -1: nothing stays */
};

static gboolean expire_one(gpointer key, gpointer value, gpointer data)
{
    (void)key;
    struct kv_last *l = value;
    struct expiry *x = data;
    if (!l->live)
        return FALSE;
    sim_time due = l->t_ns + x->ttl;
    if (due <= x->now_ns)
        l->live = false;
    else if (x->next_ns < 0 || due < x->next_ns)
        x->next_ns = due;
    return FALSE;
}

static void arm_age_check(struct js_server *s, sim_time delay, struct proto_out *out)
{
    s->kv->age_armed = true;
    proto_timer_set(out, proto_token(JS_TOKEN_KV_AGE, 0, 0), delay);
}

/* Removes every message past its age and sets the next check: when the oldest left is due,
 * at most a TTL away and at least 250 ms (filestore.go expireMsgs, resetAgeChk). */
static void expire(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    struct expiry x = { .now_ns = env->now_ns, .ttl = s->cfg->kv_ttl, .next_ns = -1 };
    g_tree_foreach(s->kv->keys, expire_one, &x);
    s->kv->age_armed = false;
    if (x.next_ns >= 0)
        arm_age_check(s, MAX(MIN(s->cfg->kv_ttl, x.next_ns - env->now_ns),
                             KV_AGE_CHECK_MIN_NS), out);
}

void js__kv_start(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    expire(s, env, out);
}

void js__kv_on_age_check(struct js_server *s, const struct proto_env *env,
                         struct proto_out *out)
{
    expire(s, env, out);
}

/* ---- answers ---------------------------------------------------------------------------- */

/* An answer to a request of inbox (its request id attempt), about key. */
static struct js_msg *answer_new(uint32_t inbox, uint32_t attempt, uint32_t key,
                                 enum js_status status, uint32_t n_entries)
{
    struct js_msg *a = js_msg_new(JS_MSG_KV_RESP, n_entries, 0);
    a->client = inbox;
    a->attempt = attempt;
    a->key = key;
    a->status = (uint16_t)status;
    return a;
}

/* To the requester's server: this one, or over the route to the server it came through. */
static void answer_send(struct js_server *s, uint32_t origin, struct js_msg *a,
                        struct proto_out *out)
{
    if (origin == s->cfg->host) {
        js__kv_to_client(s, a, out);
        sim_msg_free(&a->hdr);
    } else {
        js__send_to_host(s, origin, a, out);
    }
}

static void refuse(struct js_server *s, uint32_t origin, const struct js_msg *req,
                   enum js_status status, struct proto_out *out)
{
    answer_send(s, origin, answer_new(req->client, req->attempt, req->key, status, 0), out);
}

void js__kv_to_client(struct js_server *s, const struct js_msg *resp, struct proto_out *out)
{
    gpointer conn = g_hash_table_lookup(s->clients, GUINT_TO_POINTER(resp->client));
    if (!conn)
        return; /* the requester is not here (any more): nobody waits on that inbox */
    proto_send(out, (conn_id)(uintptr_t)conn, &js_msg_copy(resp)->hdr);
}

void js__kv_answer_write(struct js_server *s, const struct js_entry *e, struct proto_out *out)
{
    struct js_msg *a = answer_new(e->inbox, e->attempt, e->key, JS_STATUS_OK, 0);
    a->seq = e->seq;
    answer_send(s, e->origin, a, out);
}

/* A direct get: the key's last message in this replica's store, whatever the leader has. */
static void answer_get(struct js_server *s, uint32_t origin, const struct js_msg *req,
                       struct proto_out *out)
{
    const struct kv_last *l = last_of(s->kv, req->key);
    if (!l || !l->live) {
        refuse(s, origin, req, JS_STATUS_NOT_FOUND, out);
        return;
    }
    struct js_msg *a = answer_new(req->client, req->attempt, req->key, JS_STATUS_OK, 0);
    a->seq = l->seq;
    a->kv_op = l->op;
    a->value = l->value;
    answer_send(s, origin, a, out);
}

/* A pass over the recipe's keys whose last message is a value, in key order: counting them
 * (found NULL), then copying them. */
struct listing {
    uint8_t recipe;
    struct js_entry *found;
    uint32_t n;
};

static gboolean list_one(gpointer key, gpointer value, gpointer data)
{
    uint32_t k = GPOINTER_TO_UINT(key);
    const struct kv_last *l = value;
    struct listing *ls = data;
    if (js_kv_key_recipe(k) < ls->recipe)
        return FALSE;
    if (js_kv_key_recipe(k) > ls->recipe || ls->n == KV_LIST_MAX)
        return TRUE; /* past the recipe's keys: done */
    if (!l->live || l->op != JS_KV_OP_PUT)
        return FALSE;
    if (ls->found)
        ls->found[ls->n] = (struct js_entry){ .key = k, .value = l->value, .seq = l->seq };
    ls->n++;
    return FALSE;
}

/* Keys(): the keys of the recipe whose last message is a value, in key order. */
static void answer_keys(struct js_server *s, uint32_t origin, const struct js_msg *req,
                        struct proto_out *out)
{
    struct listing ls = { .recipe = js_kv_key_recipe(req->key) };
    g_tree_foreach(s->kv->keys, list_one, &ls);
    struct js_msg *a = answer_new(req->client, req->attempt, req->key, JS_STATUS_OK, ls.n);
    ls.found = a->entries;
    ls.n = 0;
    g_tree_foreach(s->kv->keys, list_one, &ls);
    answer_send(s, origin, a, out);
}

/* ---- writes at the leader --------------------------------------------------------------- */

/* The key's last sequence as the leader sees it: its newest proposal not yet applied, else
 * its store's message (0: none, or removed by MaxAge). */
static uint64_t projected_last(const struct js_kv *kv, uint32_t key)
{
    const struct kv_flight *f = g_tree_lookup(kv->flight, GUINT_TO_POINTER(key));
    if (f)
        return f->last_seq;
    const struct kv_last *l = last_of(kv, key);
    return l && l->live ? l->seq : 0;
}

/* Admits a write, or refuses it (JC processClusteredInboundMsg's expected-sequence checks
 * before the proposal, as nats-server 2.11 makes them). */
static void admit_write(struct js_server *s, uint32_t origin, const struct js_msg *req,
                        const struct proto_env *env, struct proto_out *out)
{
    struct js_kv *kv = s->kv;
    struct kv_flight *f = g_tree_lookup(kv->flight, GUINT_TO_POINTER(req->key));
    if (req->flag && ((f && f->cond_seq) || projected_last(kv, req->key) != req->expected)) {
        refuse(s, origin, req, JS_STATUS_WRONG_LAST_SEQ, out);
        return;
    }
    struct js_entry e = { .kind = JS_ENTRY_KV, .seq = ++s->clseq, .t_ns = env->now_ns,
                          .key = req->key, .origin = origin, .attempt = req->attempt,
                          .inbox = req->client };
    e.kv_op = req->kv_op == JS_KV_REQ_DEL ? JS_KV_OP_DEL : JS_KV_OP_PUT;
    e.value = e.kv_op == JS_KV_OP_PUT ? req->value : 0;
    if (!f) {
        f = g_new0(struct kv_flight, 1);
        g_tree_insert(kv->flight, GUINT_TO_POINTER(req->key), f);
    }
    f->last_seq = e.seq;
    if (req->flag)
        f->cond_seq = e.seq;
    /* Last: with one replica the proposal commits and applies at once. */
    js__raft_propose(s, &e, env, out);
}

/* An applied write is no longer in flight. */
static void flight_applied(struct js_kv *kv, uint32_t key, uint64_t seq)
{
    struct kv_flight *f = g_tree_lookup(kv->flight, GUINT_TO_POINTER(key));
    if (!f)
        return;
    if (f->cond_seq && f->cond_seq <= seq)
        f->cond_seq = 0;
    if (f->last_seq <= seq)
        g_tree_remove(kv->flight, GUINT_TO_POINTER(key));
}

void js__kv_serving_changed(struct js_server *s)
{
    g_tree_remove_all(s->kv->flight);
}

/* A request is forwarded once, to the leader this server knows; with none, "no responders". */
static void forward(struct js_server *s, const struct js_msg *req, struct proto_out *out)
{
    if (s->stream_leader < 0 || s->stream_leader == (int32_t)s->cfg->host) {
        refuse(s, s->cfg->host, req, JS_STATUS_NO_RESPONDERS, out);
        return;
    }
    struct js_msg *f = js_msg_copy(req);
    f->origin = s->cfg->host;
    js__send_to_host(s, (uint32_t)s->stream_leader, f, out);
}

void js__kv_request(struct js_server *s, uint32_t origin, const struct js_msg *req,
                    bool forwarded, const struct proto_env *env, struct proto_out *out)
{
    ZS_ASSERT(s->cfg->kv && origin < s->cfg->n_hosts);
    if (req->kv_op == JS_KV_REQ_GET && s->replica) {
        answer_get(s, origin, req, out);
        return;
    }
    if (req->kv_op != JS_KV_REQ_GET && s->serving) {
        if (req->kv_op == JS_KV_REQ_KEYS)
            answer_keys(s, origin, req, out);
        else
            admit_write(s, origin, req, env, out);
        return;
    }
    /* Interest moved on while a forwarded request travelled: nobody answers (a time-out). */
    if (!forwarded)
        forward(s, req, out);
}

/* ---- apply (every replica) -------------------------------------------------------------- */

void js__kv_apply(struct js_server *s, const struct js_entry *e, const struct proto_env *env,
                  struct proto_out *out)
{
    (void)env;
    struct js_kv *kv = s->kv;
    flight_applied(kv, e->key, e->seq);
    /* A sequence the store holds already is skipped, as the stream's are: applied again
     * after a restart, or another message there after the replicas forked. */
    if (e->seq <= kv->last_seq)
        return;
    kv->last_seq = e->seq;
    struct js_stored rec = { .seq = e->seq, .t_ns = e->t_ns, .key = e->key, .value = e->value,
                             .kv_op = e->kv_op };
    proto_disk_append(out, js__file(s, JS_FILE_STORE), &rec, sizeof rec);
    struct kv_last m = { .seq = e->seq, .t_ns = e->t_ns, .value = e->value, .op = e->kv_op,
                         .live = true };
    put_last(kv, e->key, &m);
    /* The first message after an empty store starts the age check a TTL away
     * (filestore.go startAgeChk); otherwise one is set already. */
    if (!kv->age_armed)
        arm_age_check(s, s->cfg->kv_ttl, out);
    if (s->cfg->sync_always)
        s->store_dirty = true; /* fsynced once this batch of commits is applied */
    if (s->role != JS_ROLE_LEADER)
        return;
    if (s->cfg->sync_always)
        g_array_append_val(s->pubacks, *e); /* answered once the store is on disk */
    else
        js__kv_answer_write(s, e, out);
}
