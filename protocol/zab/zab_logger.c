/* zab_logger.c: a ZAB server's durable state.
 *
 * The transaction log is written by a pipeline of its own, as ZooKeeper's
 * SyncRequestProcessor does: proposals wait in a queue while an fsync is in flight; when it
 * completes, everything queued (up to max_batch) is appended to the OS and one fsync covers
 * the batch; only then is each proposal acked (a follower's ACK, the leader's self-ack).
 * "Appended" (survives a process crash) and "fsynced" (survives a power-off) are separate
 * steps, which is where ZooKeeper's data-loss bugs live.
 *
 * acceptedEpoch and currentEpoch are small files replaced atomically and fsynced; callers
 * wait for PROTO_IN_DISK_DONE before acting on them (docs/zab-model.md, "Where durability
 * is required", D1-D6). */
#include "protocol/zab/zab_internal.h"

#include <string.h>

static int64_t read_epoch_file(const struct disk *disk, uint16_t file, bool *found)
{
    size_t size = 0;
    const void *blob = disk ? disk_blob_get(disk, file, &size) : NULL;
    int64_t value = 0;
    *found = blob && size == sizeof value;
    if (*found)
        memcpy(&value, blob, sizeof value);
    return value;
}

void zab__recover(struct zab_server *s, const struct disk *disk)
{
    uint64_t n = disk ? disk_log_len(disk, ZAB_FILE_LOG) : 0;
    g_array_set_size(s->txns, (guint)n);
    for (uint64_t i = 0; i < n; i++)
        memcpy(&g_array_index(s->txns, struct zab_txn, i), disk_log_record(disk, ZAB_FILE_LOG, i),
               sizeof(struct zab_txn));
    s->logged = n;
    /* Startup replays the whole log, committed or not (ZKDatabase.loadDataBase), so the
     * advertised zxid is the last logged one. Missing epoch files default to the epoch of
     * that zxid, as QuorumPeer.loadDataBase does. */
    int64_t epoch_of_zxid = zxid_epoch(zab__last_zxid(s));
    bool found_current, found_accepted;
    s->current_epoch = read_epoch_file(disk, ZAB_FILE_CURRENT_EPOCH, &found_current);
    if (!found_current)
        s->current_epoch = epoch_of_zxid;
    s->accepted_epoch = read_epoch_file(disk, ZAB_FILE_ACCEPTED_EPOCH, &found_accepted);
    if (!found_accepted)
        s->accepted_epoch = epoch_of_zxid;
    /* QuorumPeer refuses to start on these; so does the model. */
    if (epoch_of_zxid > s->current_epoch || s->accepted_epoch < s->current_epoch)
        s->refused = true;
}

static void append_range(struct zab_server *s, uint64_t end, struct proto_out *out)
{
    for (uint64_t i = s->logged; i < end; i++)
        proto_disk_append(out, ZAB_FILE_LOG, zab__txn_at(s, i), sizeof(struct zab_txn));
    s->logged = end;
}

void zab__log_append_now(struct zab_server *s, struct proto_out *out)
{
    append_range(s, s->txns->len, out);
}

void zab__log_step(struct zab_server *s, struct proto_out *out)
{
    if (s->log_flushing || s->logged >= s->txns->len)
        return;
    uint64_t start = s->logged;
    uint64_t end = MIN((uint64_t)s->txns->len, start + s->cfg->max_batch);
    ZS_ASSERT(start < end && end - start <= s->cfg->max_batch);
    append_range(s, end, out);
    s->log_flushing = true;
    s->log_batch_start = start;
    s->log_batch_end = end;
    s->log_batch_role = s->role;
    proto_disk_sync(out, ZAB_FILE_LOG, proto_token(ZAB_TOK_DISK_LOG, s->role, 0));
}

void zab__log_enqueue(struct zab_server *s, const struct zab_txn *txn, struct proto_out *out)
{
    ZS_ASSERT(txn->zxid > zab__last_zxid(s)); /* the log is in zxid order */
    g_array_append_val(s->txns, *txn);
    zab__log_step(s, out);
}

void zab__log_flush_all(struct zab_server *s, struct proto_out *out)
{
    /* Shutting a role down drains the sync thread's queue and flushes it before the
     * server advertises its last zxid (the ZOOKEEPER-4712 fix). Nobody is acked. */
    if (s->logged < s->txns->len) {
        append_range(s, s->txns->len, out);
        proto_disk_sync(out, ZAB_FILE_LOG, proto_token(ZAB_TOK_DISK_LOG, s->role, 1));
    }
    s->log_flushing = false;
}

/* Records [keep, len) of the history are in the log file: the history forgets them. */
static void orphan_tail(struct zab_server *s, uint64_t keep)
{
    uint64_t len = s->txns->len;
    ZS_ASSERT(keep >= s->committed && keep >= s->delivered);
    if (keep >= len)
        return;
    GArray *groups = s->file_orphans;
    struct zab_file_orphans *last =
        groups->len ? &g_array_index(groups, struct zab_file_orphans, groups->len - 1) : NULL;
    ZS_ASSERT(!last || last->at <= keep);
    if (last && last->at == keep) {
        last->count += len - keep;
    } else {
        struct zab_file_orphans o = { .at = keep, .count = len - keep };
        g_array_append_val(groups, o);
    }
    g_array_set_size(s->txns, (guint)keep);
    s->logged = MIN(s->logged, keep);
}

void zab__log_truncate(struct zab_server *s, uint64_t keep, struct proto_out *out)
{
    bool cut = s->logged > keep;
    uint64_t records = MIN(keep, s->logged);
    guint g = 0;
    for (; g < s->file_orphans->len; g++) {
        const struct zab_file_orphans *o = &g_array_index(s->file_orphans,
                                                          struct zab_file_orphans, g);
        if (o->at >= keep)
            break;
        records += o->count;
    }
    if (g < s->file_orphans->len) {
        cut = true;
        g_array_set_size(s->file_orphans, g);
    }
    if (cut)
        proto_disk_truncate(out, ZAB_FILE_LOG, records);
}

void zab__log_forget_unapplied(struct zab_server *s)
{
    /* ZOOKEEPER-2845 (3.4.10 to 3.4.11, 3.5.3): leaving a role no longer cleared the
     * in-memory database, and nothing replayed the log beyond what it had applied, so the
     * server's last zxid became its last applied one. Proposals it had logged but not seen
     * committed stay in its log file, behind the history it serves, until a restart. */
    ZS_ASSERT(!s->log_flushing && s->logged == s->txns->len);
    orphan_tail(s, s->committed);
}

void zab__log_linger(struct zab_server *s, struct proto_out *out)
{
    /* ZOOKEEPER-4712: the follower's sync processor is not shut down with its role. The
     * server goes on with what its log held (and what it applied), and advertises that;
     * the proposals still queued reach the log file afterwards, behind its back, where a
     * restart will replay them. */
    uint64_t kept = MAX(MAX(s->committed, s->delivered), s->logged);
    ZS_ASSERT(kept <= s->txns->len);
    append_range(s, kept, out);
    for (uint64_t i = kept; i < s->txns->len; i++)
        proto_disk_append(out, ZAB_FILE_LOG, zab__txn_at(s, i), sizeof(struct zab_txn));
    orphan_tail(s, kept);
    s->log_flushing = false;
}

void zab__log_on_synced(struct zab_server *s, uint64_t token, const struct proto_env *env,
                       struct proto_out *out)
{
    if (!proto_token_of(token, s->role) || proto_token_index(token) != 0 || !s->log_flushing)
        return; /* a previous role's fsync: the disk is durable, but nobody waits for it */
    ZS_ASSERT(s->log_batch_role == s->role);
    ZS_ASSERT(s->log_batch_start < s->log_batch_end && s->log_batch_end <= s->logged);
    s->log_flushing = false;
    for (uint64_t i = s->log_batch_start; i < s->log_batch_end && i < s->txns->len; i++) {
        int64_t zxid = zab__txn_at(s, i)->zxid;
        if (s->state == ZAB_STATE_LEADING)
            zab__leader_self_ack(s, zxid, env, out);
        else if (s->state == ZAB_STATE_FOLLOWING)
            zab__learner_send_ack(s, zxid, out);
    }
    zab__log_step(s, out);
}

static void write_epoch(struct zab_server *s, uint16_t file, enum zab_token_kind kind,
                        int64_t epoch, struct proto_out *out)
{
    proto_disk_put(out, file, &epoch, sizeof epoch);
    proto_disk_sync(out, file, proto_token(kind, s->role, 0));
}

void zab__write_accepted_epoch(struct zab_server *s, int64_t epoch, struct proto_out *out)
{
    s->accepted_epoch = epoch;
    write_epoch(s, ZAB_FILE_ACCEPTED_EPOCH, ZAB_TOK_DISK_ACCEPTED, epoch, out);
}

void zab__write_current_epoch(struct zab_server *s, int64_t epoch, struct proto_out *out)
{
    s->current_epoch = epoch;
    write_epoch(s, ZAB_FILE_CURRENT_EPOCH, ZAB_TOK_DISK_CURRENT, epoch, out);
}
