/* js_stream.c: the stream on a replica and the consumers at its leader (stream.go,
 * consumer.go, jetstream_cluster.go; docs/jetstream-model.md, "The stream" and
 * "Consumers").
 *
 * Publish: the leader looks the message id up in its de-duplication table (ids of the last
 * duplicate_window): stored, the answer is a PubAck of the stored sequence marked
 * duplicate; proposed but not applied yet, error 409; otherwise it stages the id, gives the
 * message the next sequence and proposes it. Every replica applies committed entries in
 * order into its store (written at once, fsynced with the WAL: every sync_interval, or with
 * always before the PubAck), skipping a sequence its store already holds; the replica that
 * is leader when it applies answers the publish (the reply subject travels in the entry).
 *
 * Consumers: the leader delivers from its own store to each host's subscriber while it is
 * connected, in sequence order, at most max_ack_pending unacked; a message not acked
 * within ack_wait is delivered again, up to max_deliver times (then a drop, cause
 * max_deliver). An ack removes the message from the leader's pending set and is replicated
 * as an entry; every replica applies it to the consumer's ack state. A new leader starts
 * each consumer from its first unacked sequence: what the old leader had delivered and
 * not seen acked is delivered again.
 *
 * The bucket's server (cfg->kv) runs the same stream machinery with key-value entries,
 * which js_kv.c applies and answers; it has no consumers and no de-duplication. */
#include "protocol/jetstream/js_internal.h"

#include <string.h>

/* ---- store ------------------------------------------------------------------------------ */

static uint64_t store_last(const struct js_server *s)
{
    return s->kv ? js__kv_last_seq(s) : s->store->len;
}

static msg_id_t store_at(const struct js_server *s, uint64_t seq)
{
    return seq >= 1 && seq <= s->store->len ? g_array_index(s->store, msg_id_t, seq - 1)
                                            : MSG_ID_NONE;
}

static void consumer_init(struct js_consumer *c)
{
    c->acked = g_byte_array_new();
    c->pending = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, g_free);
    g_queue_init(&c->deadlines);
}

static void consumer_clear_leader_state(struct js_consumer *c)
{
    g_hash_table_remove_all(c->pending);
    g_queue_clear_full(&c->deadlines, g_free);
    c->next_seq = 0;
}

static void dedup_put(struct js_server *s, msg_id_t id, uint64_t seq, sim_time t_ns);

void js__stream_init(struct js_server *s, const struct disk *disk, sim_time now_ns)
{
    s->store = g_array_new(FALSE, TRUE, sizeof(msg_id_t));
    s->dedup = g_hash_table_new_full(g_int64_hash, g_int64_equal, NULL, g_free);
    g_queue_init(&s->dedup_order);
    s->pubacks = g_array_new(FALSE, FALSE, sizeof(struct js_entry));
    s->consumers = g_new0(struct js_consumer, s->cfg->n_hosts);
    s->consumer_active = g_new0(bool, s->cfg->n_hosts);
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++)
        consumer_init(&s->consumers[h]);
    if (s->cfg->kv) {
        js__kv_init(s, s->replica ? disk : NULL);
        return;
    }
    if (!disk || !s->replica)
        return;
    uint64_t n = disk_log_len(disk, js__file(s, JS_FILE_STORE));
    for (uint64_t i = 0; i < n; i++) {
        const struct js_stored *m = disk_log_record(disk, js__file(s, JS_FILE_STORE), i);
        if (m->seq > s->store->len)
            g_array_set_size(s->store, (guint)m->seq);
        g_array_index(s->store, msg_id_t, m->seq - 1) = m->msg_id;
        /* The ids of the window are rebuilt from the stored messages (rebuildDedupe). */
        if (m->t_ns + s->cfg->duplicate_window > now_ns)
            dedup_put(s, m->msg_id, m->seq, m->t_ns);
    }
}

void js__stream_free(struct js_server *s)
{
    g_array_free(s->store, TRUE);
    g_hash_table_destroy(s->dedup);
    g_queue_clear_full(&s->dedup_order, g_free);
    g_array_free(s->pubacks, TRUE);
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        struct js_consumer *c = &s->consumers[h];
        consumer_clear_leader_state(c);
        g_hash_table_destroy(c->pending);
        g_byte_array_free(c->acked, TRUE);
    }
    g_free(s->consumers);
    g_free(s->consumer_active);
    if (s->kv)
        js__kv_free(s);
}

/* ---- de-duplication --------------------------------------------------------------------- */

/* The id's entry, with the timestamp its window runs from; a later put of the same id
 * replaces it and queues a new expiry, and the older expiry then finds a newer entry and
 * leaves it. */
static void dedup_put(struct js_server *s, msg_id_t id, uint64_t seq, sim_time t_ns)
{
    struct js_dedup *val = g_new(struct js_dedup, 1);
    *val = (struct js_dedup){ .msg_id = id, .seq = seq, .t_ns = t_ns };
    g_hash_table_replace(s->dedup, &val->msg_id, val);
    struct js_dedup *d = g_new(struct js_dedup, 1);
    *d = *val;
    g_queue_push_tail(&s->dedup_order, d);
}

/* Forgets ids older than the window (stream.go purgeMsgIds). */
static void dedup_purge(struct js_server *s, sim_time now_ns)
{
    struct js_dedup *d;
    while ((d = g_queue_peek_head(&s->dedup_order)) &&
           d->t_ns + s->cfg->duplicate_window <= now_ns) {
        const struct js_dedup *cur = g_hash_table_lookup(s->dedup, &d->msg_id);
        if (cur && cur->t_ns == d->t_ns && cur->seq == d->seq)
            g_hash_table_remove(s->dedup, &d->msg_id);
        g_free(g_queue_pop_head(&s->dedup_order));
    }
}

/* ---- PubAcks ---------------------------------------------------------------------------- */

static void send_puback(struct js_server *s, uint32_t origin, msg_id_t id, uint32_t attempt,
                        uint64_t seq, enum js_status status, bool duplicate,
                        struct proto_out *out)
{
    struct js_msg *a = js_msg_new(JS_MSG_PUBACK, 0, 0);
    a->hdr.msg_id = id;
    a->client = msg_id_client(id);
    a->attempt = attempt;
    a->seq = seq;
    a->status = (uint16_t)status;
    a->flag = duplicate;
    if (status == JS_STATUS_OK) {
        struct trace_rec r = { .kind = TRACE_EVENT,
                               .u.event = { .type = JS_EVENT_PUBACK, .msg_id = id,
                                            .a = (int64_t)seq, .flag = duplicate } };
        proto_trace(out, &r);
    }
    if (origin == s->cfg->host) {
        js__puback_to_client(s, a, out);
        sim_msg_free(&a->hdr);
    } else {
        js__send_to_host(s, origin, a, out);
    }
}

void js__stream_answer(struct js_server *s, const struct js_entry *e, struct proto_out *out)
{
    if (e->kind == JS_ENTRY_KV)
        js__kv_answer_write(s, e, out);
    else
        send_puback(s, e->origin, e->msg_id, e->attempt, e->seq, JS_STATUS_OK, false, out);
}

void js__stream_on_store_synced(struct js_server *s, struct proto_out *out)
{
    ZS_ASSERT(s->store_syncing && s->pubacks_covered <= s->pubacks->len);
    s->store_syncing = false;
    for (guint i = 0; i < s->pubacks_covered; i++)
        js__stream_answer(s, &g_array_index(s->pubacks, struct js_entry, i), out);
    g_array_remove_range(s->pubacks, 0, s->pubacks_covered);
    s->pubacks_covered = 0;
    js__stream_flush(s, out);
}

void js__stream_on_periodic_sync(struct js_server *s, const struct proto_env *env,
                                 struct proto_out *out)
{
    (void)env;
    uint64_t token = proto_token(JS_TOKEN_PERIODIC_SYNC, 0, 0);
    proto_disk_sync(out, js__file(s, JS_FILE_WAL), token);
    proto_disk_sync(out, js__file(s, JS_FILE_STORE), token);
}

/* ---- apply ------------------------------------------------------------------------------ */

/* Grows a byte array to len bytes, the new ones zero. */
static void bytes_grow(GByteArray *a, uint64_t len)
{
    guint old = a->len;
    if (len <= old)
        return;
    g_byte_array_set_size(a, (guint)len);
    memset(a->data + old, 0, a->len - old);
}

static void consumer_ack_applied(struct js_consumer *c, uint64_t seq)
{
    bytes_grow(c->acked, seq);
    c->acked->data[seq - 1] = 1;
    while (c->ack_floor < c->acked->len && c->acked->data[c->ack_floor])
        c->ack_floor++;
}

static bool consumer_acked(const struct js_consumer *c, uint64_t seq)
{
    return seq <= c->acked->len && c->acked->data[seq - 1];
}

static void apply_msg(struct js_server *s, const struct js_entry *e, const struct proto_env *env,
                      struct proto_out *out)
{
    /* A sequence the store already holds is skipped (JC applyStreamMsgOp), even when the
     * store holds another message there: the replicas have forked, and the message this
     * store keeps is not in the stream the leader serves. */
    if (e->seq <= store_last(s)) {
        msg_id_t held = store_at(s, e->seq);
        if (held != MSG_ID_NONE && held != e->msg_id) {
            struct trace_rec r = { .kind = TRACE_DROP,
                                   .u.drop = { .msg_id = held,
                                               .cause = JS_DROP_STREAM_FORKED,
                                               .meant_for = -1 } };
            proto_trace(out, &r);
        }
        return;
    }
    g_array_set_size(s->store, (guint)e->seq);
    g_array_index(s->store, msg_id_t, e->seq - 1) = e->msg_id;
    struct js_stored rec = { .seq = e->seq, .msg_id = e->msg_id, .t_ns = e->t_ns };
    proto_disk_append(out, js__file(s, JS_FILE_STORE), &rec, sizeof rec);
    struct trace_rec r = { .kind = TRACE_EVENT,
                           .u.event = { .type = JS_EVENT_STORE, .msg_id = e->msg_id,
                                        .a = (int64_t)e->seq } };
    proto_trace(out, &r);
    dedup_put(s, e->msg_id, e->seq, e->t_ns);
    if (s->cfg->sync_always)
        s->store_dirty = true; /* fsynced once this batch of commits is applied */
    if (s->role != JS_ROLE_LEADER)
        return;
    if (!s->cfg->sync_always) {
        send_puback(s, e->origin, e->msg_id, e->attempt, e->seq, JS_STATUS_OK, false, out);
        return;
    }
    g_array_append_val(s->pubacks, *e); /* answered once the store is on disk */
}

static void store_sync(struct js_server *s, struct proto_out *out)
{
    s->store_syncing = true;
    s->store_dirty = false;
    s->pubacks_covered = s->pubacks->len;
    proto_disk_sync(out, js__file(s, JS_FILE_STORE),
                    proto_token(JS_TOKEN_STORE_SYNC, 0, 0));
}

void js__stream_flush(struct js_server *s, struct proto_out *out)
{
    if (s->store_dirty && !s->store_syncing)
        store_sync(s, out);
}

void js__stream_apply(struct js_server *s, const struct js_entry *e,
                      const struct proto_env *env, struct proto_out *out)
{
    if (e->kind == JS_ENTRY_MSG) {
        apply_msg(s, e, env, out);
    } else if (e->kind == JS_ENTRY_KV) {
        js__kv_apply(s, e, env, out);
    } else {
        ZS_ASSERT(e->kind == JS_ENTRY_ACK && e->consumer < s->cfg->n_hosts && e->seq >= 1);
        consumer_ack_applied(&s->consumers[e->consumer], e->seq);
    }
    if (s->serving)
        js__stream_pump(s, env, out);
}

/* ---- publish ---------------------------------------------------------------------------- */

void js__stream_publish(struct js_server *s, uint32_t origin, const struct js_msg *pub,
                        const struct proto_env *env, struct proto_out *out)
{
    ZS_ASSERT(s->serving);
    msg_id_t id = pub->hdr.msg_id;
    dedup_purge(s, env->now_ns);
    const struct js_dedup *known = g_hash_table_lookup(s->dedup, &id);
    if (known) {
        send_puback(s, origin, id, pub->attempt, known->seq,
                    known->seq ? JS_STATUS_OK : JS_STATUS_IN_PROCESS, known->seq != 0, out);
        return;
    }
    dedup_put(s, id, 0, env->now_ns);
    struct js_entry e = { .kind = JS_ENTRY_MSG, .seq = ++s->clseq, .msg_id = id,
                          .t_ns = env->now_ns, .origin = origin, .attempt = pub->attempt };
    js__raft_propose(s, &e, env, out);
}

/* ---- consumers (at the leader) ---------------------------------------------------------- */

static void arm_ack_wait(struct js_server *s, uint32_t host, const struct proto_env *env,
                         struct proto_out *out)
{
    const struct js_deadline *d = g_queue_peek_head(&s->consumers[host].deadlines);
    if (d)
        proto_timer_set(out, proto_token(JS_TOKEN_ACK_WAIT, 0, host),
                        MAX(d->deadline_ns - env->now_ns, 0) + SIM_MS /* ackWaitDelay */);
}

/* Marks seq pending at host's consumer with a fresh AckWait deadline. */
static void track_pending(struct js_server *s, uint32_t host, uint64_t seq, uint32_t count,
                          const struct proto_env *env, struct proto_out *out)
{
    struct js_consumer *c = &s->consumers[host];
    int64_t key_seq = (int64_t)seq;
    struct js_pending *p = g_hash_table_lookup(c->pending, &key_seq);
    if (!p) {
        int64_t *key = g_new(int64_t, 1);
        *key = (int64_t)seq;
        p = g_new0(struct js_pending, 1);
        g_hash_table_insert(c->pending, key, p);
    }
    p->count = count;
    p->deadline_ns = env->now_ns + s->cfg->ack_wait;
    struct js_deadline *d = g_new(struct js_deadline, 1);
    *d = (struct js_deadline){ .seq = seq, .deadline_ns = p->deadline_ns };
    bool first = g_queue_is_empty(&c->deadlines);
    g_queue_push_tail(&c->deadlines, d);
    if (first)
        arm_ack_wait(s, host, env, out);
}

static void deliver(struct js_server *s, uint32_t host, uint64_t seq, uint32_t count,
                    const struct proto_env *env, struct proto_out *out)
{
    track_pending(s, host, seq, count, env, out);
    struct js_msg *m = js_msg_new(JS_MSG_DELIVER, 0, s->cfg->payload_bytes);
    m->hdr.msg_id = store_at(s, seq);
    m->seq = seq;
    m->count = count;
    m->host = host;
    m->origin = s->cfg->host;
    if (host != s->cfg->host)
        js__send_to_host(s, host, m, out);
    else if (s->subscriber != CONN_NONE)
        proto_send(out, s->subscriber, &m->hdr);
    else
        sim_msg_free(&m->hdr);
}

void js__stream_pump(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    ZS_ASSERT(s->serving);
    if (s->kv)
        return; /* the bucket has no consumers */
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        struct js_consumer *c = &s->consumers[h];
        if (!js__consumer_reachable(s, h))
            continue;
        while (g_hash_table_size(c->pending) < s->cfg->max_ack_pending &&
               c->next_seq <= store_last(s)) {
            uint64_t seq = c->next_seq++;
            if (!consumer_acked(c, seq) && store_at(s, seq) != MSG_ID_NONE &&
                !g_hash_table_contains(c->pending, &seq))
                deliver(s, h, seq, 1, env, out);
        }
    }
}

void js__stream_start_serving(struct js_server *s, const struct proto_env *env,
                              struct proto_out *out)
{
    /* Staged ids and the projected sequence start again from the applied stream. */
    GHashTableIter it;
    gpointer key, val;
    g_hash_table_iter_init(&it, s->dedup);
    while (g_hash_table_iter_next(&it, &key, &val)) {
        if (((const struct js_dedup *)val)->seq == 0)
            g_hash_table_iter_remove(&it);
    }
    s->clseq = store_last(s);
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++) {
        struct js_consumer *c = &s->consumers[h];
        consumer_clear_leader_state(c);
        c->next_seq = c->ack_floor + 1;
    }
    if (s->kv)
        js__kv_serving_changed(s);
    js__stream_pump(s, env, out);
}

void js__stream_stop_serving(struct js_server *s)
{
    for (uint32_t h = 0; h < s->cfg->n_hosts; h++)
        consumer_clear_leader_state(&s->consumers[h]);
    /* PubAcks waiting for a store fsync are answered by nobody now. */
    g_array_set_size(s->pubacks, 0);
    s->pubacks_covered = 0;
    if (s->kv)
        js__kv_serving_changed(s);
}

void js__stream_on_ack(struct js_server *s, uint32_t host, uint64_t seq,
                       const struct proto_env *env, struct proto_out *out)
{
    if (!s->serving || host >= s->cfg->n_hosts)
        return;
    struct js_consumer *c = &s->consumers[host];
    if (!g_hash_table_remove(c->pending, &seq))
        return; /* not pending here: acked already, or delivered by another leader */
    struct js_entry e = { .kind = JS_ENTRY_ACK, .seq = seq, .consumer = host };
    js__raft_propose(s, &e, env, out);
    js__stream_pump(s, env, out);
}

void js__stream_on_ack_wait(struct js_server *s, uint32_t host, const struct proto_env *env,
                            struct proto_out *out)
{
    if (!s->serving)
        return;
    struct js_consumer *c = &s->consumers[host];
    struct js_deadline *d;
    while ((d = g_queue_peek_head(&c->deadlines)) && d->deadline_ns <= env->now_ns) {
        uint64_t seq = d->seq;
        sim_time deadline = d->deadline_ns;
        g_free(g_queue_pop_head(&c->deadlines));
        struct js_pending *p = g_hash_table_lookup(c->pending, &seq);
        if (!p || p->deadline_ns != deadline)
            continue; /* acked, or delivered again since */
        if (s->cfg->max_deliver >= 0 && p->count >= (uint64_t)s->cfg->max_deliver) {
            g_hash_table_remove(c->pending, &seq);
            struct trace_rec r = { .kind = TRACE_DROP,
                                   .u.drop = { .msg_id = store_at(s, seq),
                                               .cause = JS_DROP_MAX_DELIVER,
                                               .meant_for = (int32_t)host } };
            proto_trace(out, &r);
            continue;
        }
        uint32_t count = p->count + 1;
        if (js__consumer_reachable(s, host)) {
            struct trace_rec r = { .kind = TRACE_EVENT,
                                   .u.event = { .type = JS_EVENT_REDELIVERY,
                                                .msg_id = store_at(s, seq),
                                                .a = host, .b = count } };
            proto_trace(out, &r);
            deliver(s, host, seq, count, env, out);
        } else {
            /* No subscriber to deliver to: wait another ack_wait. */
            track_pending(s, host, seq, p->count, env, out);
        }
    }
    arm_ack_wait(s, host, env, out);
    js__stream_pump(s, env, out);
}
