/* zab_sync.c: synchronizing one learner with a new leader, as ZooKeeper's
 * LearnerHandler.syncFollower does: from the learner's last zxid against the leader's
 * committedLog (the last commit_log_count entries) and its transaction log (bounded by
 * snapshot_size_factor of the snapshot's size), choose DIFF (send what it lacks), TRUNC
 * (it holds proposals the leader never committed; cut them off first) or SNAP (send the
 * whole state), queue each committed proposal it lacks with its COMMIT, then the leader's
 * outstanding proposals (startForwarding). The leader sends NEWLEADER after this. */
#include "protocol/zab/zab_internal.h"

struct sync_queue {
    GPtrArray *packets; /* struct zab_msg * */
    bool need_op;
};

static void queue_op(struct zab_server *s, struct sync_queue *q, enum zab_msg_type type,
                     int64_t zxid)
{
    struct zab_msg *m = zab__msg_new(type, s->cfg);
    m->zxid = zxid;
    g_ptr_array_add(q->packets, m);
}

static void queue_proposal(struct zab_server *s, struct sync_queue *q, const struct zab_txn *t)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_PROPOSAL, s->cfg);
    m->zxid = t->zxid;
    m->txn = *t;
    m->hdr.msg_id = zab_txn_record_id(t);
    g_ptr_array_add(q->packets, m);
}

/* queueCommittedProposals over txns[lo, hi): DIFF or TRUNC first, then every committed
 * proposal the learner lacks with its COMMIT. Returns the last zxid queued (or peer's). */
static int64_t queue_committed(struct zab_server *s, struct sync_queue *q, uint64_t lo, uint64_t hi,
                               int64_t peer_last, bool has_max, int64_t max_zxid,
                               int64_t last_committed)
{
    bool peer_new_epoch = zxid_counter(peer_last) == 0;
    int64_t queued = peer_last;
    int64_t prev = -1;
    for (uint64_t i = lo; i < hi; i++) {
        const struct zab_txn *t = zab__txn_at(s, i);
        int64_t z = t->zxid;
        if (has_max && z > max_zxid)
            break;
        if (z < peer_last) {
            prev = z;
            continue;
        }
        if (q->need_op) {
            if (z == peer_last) {
                queue_op(s, q, ZAB_MSG_DIFF, last_committed);
                q->need_op = false;
                continue;
            }
            if (peer_new_epoch) {
                queue_op(s, q, ZAB_MSG_DIFF, last_committed);
                q->need_op = false;
            } else if (z > peer_last && s->cfg->variant == ZAB_VARIANT_ZK_1154) {
                /* ZOOKEEPER-1154 (3.3.3): a last zxid inside the committedLog's range was
                 * taken to be in it; the learner keeps the proposal this leader never saw. */
                queue_op(s, q, ZAB_MSG_DIFF, last_committed);
                q->need_op = false;
            } else if (z > peer_last) {
                /* The learner has proposals this leader never saw. A TRUNC may not cross
                 * an epoch boundary: fall back to a snapshot. */
                if (zxid_epoch(z) != zxid_epoch(peer_last))
                    return queued;
                queue_op(s, q, ZAB_MSG_TRUNC, prev);
                q->need_op = false;
            }
        }
        if (z <= queued)
            continue;
        queue_proposal(s, q, t);
        queue_op(s, q, ZAB_MSG_COMMIT, z);
        queued = z;
    }
    if (q->need_op && peer_new_epoch) {
        queue_op(s, q, ZAB_MSG_DIFF, last_committed);
        q->need_op = false;
    }
    return queued;
}

static uint64_t lower_bound(const struct zab_server *s, uint64_t hi, int64_t zxid)
{
    uint64_t lo = 0;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (zab__txn_at(s, mid)->zxid < zxid)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static void clear_queue(struct sync_queue *q)
{
    for (guint i = 0; i < q->packets->len; i++)
        sim_msg_free(g_ptr_array_index(q->packets, i));
    g_ptr_array_set_size(q->packets, 0);
}

/* Returns true when a snapshot is needed; fills q and returns the zxid forwarding starts at. */
static bool sync_decide(struct zab_server *s, int64_t peer_last, struct sync_queue *q,
                        int64_t *current)
{
    struct zab_leader *l = s->leader;
    bool peer_new_epoch = zxid_counter(peer_last) == 0;
    uint64_t applied = l->applied;
    uint64_t window = s->cfg->commit_log_count;
    uint64_t window_lo = applied > window ? applied - window : 0;
    int64_t max = applied ? zab__txn_at(s, applied - 1)->zxid : l->last_processed;
    int64_t min = applied ? zab__txn_at(s, window_lo)->zxid : l->last_processed;
    bool need_snap = true;
    *current = peer_last;
    if (l->last_processed == peer_last) {
        queue_op(s, q, ZAB_MSG_DIFF, peer_last);
        q->need_op = false;
        need_snap = false;
    } else if (peer_last > max && !peer_new_epoch) {
        queue_op(s, q, ZAB_MSG_TRUNC, max);
        *current = max;
        q->need_op = false;
        need_snap = false;
    } else if (max >= peer_last && min <= peer_last) {
        *current = queue_committed(s, q, window_lo, applied, peer_last, false, 0, max);
        need_snap = false;
    } else if (peer_last < min) {
        /* Txn-log sync, bounded by snapshotSizeFactor of the snapshot's size. */
        uint64_t from = lower_bound(s, applied, peer_last);
        double limit = s->cfg->snapshot_size_factor * (double)applied;
        if ((double)(applied - from) <= limit) {
            uint64_t lo = from > 0 ? from - 1 : 0;
            *current = queue_committed(s, q, lo, applied, peer_last, true, min, max);
            if (*current < min) {
                clear_queue(q);
                *current = peer_last;
                q->need_op = true;
            } else {
                *current = queue_committed(s, q, window_lo, applied, *current, false, 0, max);
                need_snap = false;
            }
        }
    }
    if (q->need_op && !need_snap)
        need_snap = true; /* "Unhandled scenario ... fall back to use snapshot" */
    return need_snap;
}

/* startForwarding: outstanding proposals newer than what was queued, then live traffic. */
static void start_forwarding(struct zab_server *s, struct zab_learner_handler *h,
                             struct sync_queue *q, int64_t last_seen, const struct proto_env *env)
{
    struct zab_leader *l = s->leader;
    for (guint i = 0; i < l->outstanding->len; i++) {
        struct zab_proposal *p = &g_array_index(l->outstanding, struct zab_proposal, i);
        if (p->txn.zxid <= last_seen)
            continue;
        queue_proposal(s, q, &p->txn);
        if (h->oldest_unacked_ns == 0) {
            h->oldest_unacked_ns = env->now_ns;
            h->oldest_unacked_zxid = p->txn.zxid;
        }
    }
    h->forwarding = true;
}

void zab__sync_learner(struct zab_server *s, struct zab_learner_handler *h,
                      const struct proto_env *env, struct proto_out *out)
{
    struct zab_leader *l = s->leader;
    struct sync_queue q = { .packets = g_ptr_array_new(), .need_op = true };
    int64_t current;
    bool need_snap = sync_decide(s, h->peer_last_zxid, &q, &current);
    if (need_snap) {
        clear_queue(&q);
        current = h->peer_last_zxid;
    }
    start_forwarding(s, h, &q, current, env);
    if (need_snap) {
        struct zab_msg *snap = zab__msg_new(ZAB_MSG_SNAP, s->cfg);
        snap->zxid = l->last_processed;
        GArray *snapshot = g_array_sized_new(FALSE, FALSE, sizeof(struct zab_txn),
                                             (guint)l->applied);
        g_array_append_vals(snapshot, s->txns->data, (guint)l->applied);
        zab__msg_extra(snap)->snapshot = snapshot;
        uint64_t bytes = l->applied * (s->cfg->payload_bytes + 32);
        snap->hdr.size_bytes += (uint32_t)MIN(bytes, UINT32_MAX / 2);
        zab__send(s, h->conn, snap, out);
    }
    for (guint i = 0; i < q.packets->len; i++)
        zab__send(s, h->conn, g_ptr_array_index(q.packets, i), out);
    g_ptr_array_free(q.packets, TRUE);
}
