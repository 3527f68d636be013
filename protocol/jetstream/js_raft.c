/* js_raft.c: the stream's Raft group as NATS runs it (raft.go; docs/jetstream-model.md,
 * "Raft").
 *
 * Elections: no pre-vote; a follower whose timer (uniform in [4 s, 9 s), redrawn at every
 * append entry and role change) fires raises its term and campaigns; its vote for itself is
 * on disk (tav.idx, fsynced) before its requests go out, as is every vote it grants. A vote
 * is granted to a candidate whose (last term, last index) is at least the voter's; a voter
 * that refuses because its own log is newer redraws its timer from [100 ms, 800 ms) so it
 * campaigns soon. A new group's preferred peer campaigns after 50 ms.
 *
 * Replication: the leader appends to its WAL (written to the page cache, and with
 * sync_interval: always fsynced) before it sends; a follower appends, fsyncs with always,
 * and answers with its last (term, index). The leader commits an index once a quorum holds
 * it, whatever the term of the entry (ns@2.12.1's rule, the release Jepsen tested), and
 * sends its commit index on the next append entry or heartbeat (every second when idle).
 * A follower behind the leader answers with its last (term, index) and the leader sends
 * from there; a follower whose entry at the leader's previous index has another term
 * drops its entries of that term and answers likewise. A new leader serves its stream only
 * after it applied every entry it held when elected. A leader that heard from less than a
 * quorum in the last 10 s steps down at its next 10-second check. */
#include "protocol/jetstream/js_internal.h"

/* An fsync of the WAL (sync_interval: always). */
static void wal_sync(struct js_server *s, struct proto_out *out)
{
    proto_disk_sync(out, js__file(s, JS_FILE_WAL), proto_token(JS_TOKEN_WAL_SYNC, 0, 0));
}

static const struct js_entry *entry_at(const struct js_server *s, uint64_t index)
{
    ZS_ASSERT(index >= 1 && index <= s->log->len);
    return &g_array_index(s->log, struct js_entry, index - 1);
}

uint64_t js__raft_last_index(const struct js_server *s)
{
    return s->log->len;
}

static uint64_t term_at(const struct js_server *s, uint64_t index)
{
    return index == 0 ? 0 : entry_at(s, index)->term;
}

static uint64_t last_term(const struct js_server *s)
{
    return term_at(s, js__raft_last_index(s));
}

void js__raft_init(struct js_server *s, const struct disk *disk)
{
    uint32_t n = s->cfg->n_hosts;
    s->log = g_array_new(FALSE, FALSE, sizeof(struct js_entry));
    s->match = g_new0(uint64_t, n);
    s->next = g_new0(uint64_t, n);
    s->last_sent_ns = g_new0(sim_time, n);
    s->last_heard_ns = g_new0(sim_time, n);
    s->voted_for = -1;
    s->leader = -1;
    if (!disk || !s->replica)
        return;
    size_t size = 0;
    const struct js_term_vote *tv = disk_blob_get(disk, js__file(s, JS_FILE_TERM_VOTE),
                                                  &size);
    if (tv && size == sizeof *tv) {
        s->term = tv->term;
        s->voted_for = tv->voted_for;
    }
    /* Replay stops at the first missing or non-contiguous entry (raft.go initRaftNode). */
    uint64_t records = disk_log_len(disk, js__file(s, JS_FILE_WAL));
    for (uint64_t i = 0; i < records; i++) {
        const struct js_entry *e = disk_log_record(disk, js__file(s, JS_FILE_WAL), i);
        if (e->index != s->log->len + 1)
            break;
        g_array_append_val(s->log, *e);
        s->commit = MAX(s->commit, MIN(e->commit, e->index));
    }
    /* After a crash the page cache kept records that were never fsynced: only the durable
     * part counts as synced (sync_interval: always answers and commits on it). */
    s->wal_synced = MIN(s->log->len,
                        disk_log_durable_len(disk, js__file(s, JS_FILE_WAL)));
}

void js__raft_free(struct js_server *s)
{
    g_array_free(s->log, TRUE);
    g_free(s->match);
    g_free(s->next);
    g_free(s->last_sent_ns);
    g_free(s->last_heard_ns);
}

static void arm_election(struct js_server *s, const struct proto_env *env, sim_time min_ns,
                         sim_time max_ns, struct proto_out *out)
{
    sim_time delay = min_ns + (sim_time)rng_below(env->rng, (uint64_t)(max_ns - min_ns));
    proto_timer_set(out, proto_token(JS_TOKEN_ELECTION, 0, 0), delay);
}

static void arm_election_default(struct js_server *s, const struct proto_env *env,
                                 struct proto_out *out)
{
    arm_election(s, env, JS_ELECTION_MIN_NS, JS_ELECTION_MAX_NS, out);
}

/* tav.idx is written and fsynced whenever term or vote changes; `waiting` runs after. */
static void persist_term_vote(struct js_server *s, uint32_t waiting, struct proto_out *out)
{
    struct js_term_vote tv = { .term = s->term, .voted_for = s->voted_for };
    proto_disk_put(out, js__file(s, JS_FILE_TERM_VOTE), &tv, sizeof tv);
    proto_disk_sync(out, js__file(s, JS_FILE_TERM_VOTE),
                    proto_token(JS_TOKEN_TERM_VOTE_SYNC, (uint32_t)s->term, waiting));
}

static void commit_to(struct js_server *s, uint64_t commit, const struct proto_env *env,
                      struct proto_out *out);

static void become_follower(struct js_server *s, uint64_t term, int32_t leader,
                            const struct proto_env *env, struct proto_out *out)
{
    bool was_leader = s->role == JS_ROLE_LEADER;
    bool was_serving = s->serving;
    if (term > s->term) {
        s->term = term;
        s->voted_for = -1;
        persist_term_vote(s, JS_TV_WAIT_NONE, out);
    }
    s->role = JS_ROLE_FOLLOWER;
    s->leader = leader;
    s->votes = 0;
    if (was_leader) {
        proto_timer_cancel(out, proto_token(JS_TOKEN_HEARTBEAT, 0, 0));
        proto_timer_cancel(out, proto_token(JS_TOKEN_LOST_QUORUM, 0, 0));
        /* ELECTED or LEADER: what it applied as leader is answered by nobody now. */
        s->serving = false;
        js__stream_stop_serving(s);
        if (was_serving)
            js__interest_changed(s, out);
    }
    arm_election_default(s, env, out);
    js__emit_state(s, out);
}

/* ---- the leader's side ------------------------------------------------------------------ */

static void send_append(struct js_server *s, uint32_t peer, const struct proto_env *env,
                        struct proto_out *out)
{
    /* With sync_interval: always the leader's own fsync precedes the broadcast. */
    uint64_t shippable = s->cfg->sync_always ? s->wal_synced : js__raft_last_index(s);
    uint64_t from = MAX(s->next[peer], 1);
    uint32_t n = from <= shippable ? (uint32_t)MIN(shippable - from + 1,
                                                   JS_MAX_ENTRIES_PER_APPEND)
                                   : 0;
    struct js_msg *m = js_msg_new(JS_MSG_APPEND, n, s->cfg->payload_bytes);
    m->term = s->term;
    m->commit = s->commit;
    m->prev_index = from - 1;
    m->prev_term = term_at(s, from - 1);
    for (uint32_t i = 0; i < n; i++)
        m->entries[i] = *entry_at(s, from + i);
    s->next[peer] = from + n;
    s->last_sent_ns[peer] = env->now_ns;
    js__send_to_host(s, peer, m, out);
}

/* Sends what each follower that is up to date has not had yet. */
static void replicate(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    uint64_t shippable = s->cfg->sync_always ? s->wal_synced : js__raft_last_index(s);
    for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++) {
        if (p != s->cfg->host && s->next[p] <= shippable && s->next[p] == s->match[p] + 1)
            send_append(s, p, env, out);
    }
}

static int cmp_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : x > y ? -1 : 0;
}

/* The highest index a quorum holds, counting every entry's acks whatever its term
 * (ns@2.12.1 trackResponse). */
static void leader_try_commit(struct js_server *s, const struct proto_env *env,
                              struct proto_out *out)
{
    uint64_t held[8];
    uint32_t n = 0;
    ZS_ASSERT(s->cfg->replicas <= G_N_ELEMENTS(held));
    s->match[s->cfg->host] = s->cfg->sync_always ? s->wal_synced : js__raft_last_index(s);
    for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++)
        held[n++] = s->match[p];
    qsort(held, n, sizeof held[0], cmp_desc);
    uint64_t commit = held[s->quorum - 1];
    if (commit > s->commit) {
        commit_to(s, commit, env, out);
        /* After a commit an idle leader tells the followers at once. */
        for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++) {
            if (p != s->cfg->host && s->next[p] > js__raft_last_index(s))
                send_append(s, p, env, out);
        }
    }
}

static void become_leader(struct js_server *s, const struct proto_env *env,
                          struct proto_out *out)
{
    ZS_ASSERT(s->role == JS_ROLE_CANDIDATE);
    s->role = JS_ROLE_LEADER;
    s->leader = (int32_t)s->cfg->host;
    s->serve_after = js__raft_last_index(s);
    for (uint32_t p = 0; p < s->cfg->n_hosts; p++) {
        s->next[p] = js__raft_last_index(s) + 1;
        s->match[p] = 0;
        s->last_heard_ns[p] = env->now_ns;
    }
    proto_timer_cancel(out, proto_token(JS_TOKEN_ELECTION, 0, 0));
    proto_timer_set(out, proto_token(JS_TOKEN_HEARTBEAT, 0, 0), JS_HEARTBEAT_NS);
    proto_timer_set(out, proto_token(JS_TOKEN_LOST_QUORUM, 0, 0), JS_LOST_QUORUM_NS);
    js__emit_state(s, out);
    /* No no-op entry (ns@2.12.1): a heartbeat, whose answers commit what it holds. */
    for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++) {
        if (p != s->cfg->host)
            send_append(s, p, env, out);
    }
    leader_try_commit(s, env, out);
    if (s->applied >= s->serve_after && !s->serving) {
        s->serving = true;
        js__stream_start_serving(s, env, out);
        js__interest_changed(s, out);
        js__emit_state(s, out);
    }
}

void js__raft_propose(struct js_server *s, struct js_entry *e, const struct proto_env *env,
                      struct proto_out *out)
{
    ZS_ASSERT(s->role == JS_ROLE_LEADER && s->serving);
    e->term = s->term;
    e->index = js__raft_last_index(s) + 1;
    e->commit = s->commit;
    g_array_append_val(s->log, *e);
    proto_disk_append(out, js__file(s, JS_FILE_WAL), e, sizeof *e);
    if (s->cfg->sync_always) {
        if (!s->wal_syncing) {
            s->wal_syncing = true;
            s->wal_sync_covers = js__raft_last_index(s);
            wal_sync(s, out);
        }
        return;
    }
    replicate(s, env, out);
    leader_try_commit(s, env, out);
}

static void on_append_resp(struct js_server *s, uint32_t from, const struct js_msg *m,
                           const struct proto_env *env, struct proto_out *out)
{
    if (m->term > s->term) {
        become_follower(s, m->term, -1, env, out);
        return;
    }
    if (s->role != JS_ROLE_LEADER)
        return;
    s->last_heard_ns[from] = env->now_ns;
    if (m->flag) {
        if (m->last_index > s->match[from] && m->last_index <= js__raft_last_index(s) &&
            term_at(s, m->last_index) == m->last_term)
            s->match[from] = m->last_index;
        if (s->next[from] <= s->match[from])
            s->next[from] = s->match[from] + 1;
        leader_try_commit(s, env, out);
        /* Catch-up: everything sent so far is answered and there is more. */
        if (s->next[from] == s->match[from] + 1 && s->next[from] <= js__raft_last_index(s))
            send_append(s, from, env, out);
        return;
    }
    /* Behind, or it dropped entries of another term: send from its last index, now. */
    s->next[from] = MIN(m->last_index, js__raft_last_index(s)) + 1;
    s->match[from] = MIN(s->match[from], m->last_index);
    send_append(s, from, env, out);
}

/* ---- the follower's side ---------------------------------------------------------------- */

static void send_append_resp(struct js_server *s, uint32_t to, bool success, uint64_t index,
                             struct proto_out *out)
{
    struct js_msg *r = js_msg_new(JS_MSG_APPEND_RESP, 0, 0);
    r->term = s->term;
    r->flag = success;
    r->last_index = index;
    r->last_term = term_at(s, index);
    js__send_to_host(s, to, r, out);
}

/* Removes entries from index on (the WAL too). Commit and applied come down with the log
 * (raft.go truncateWAL); the stream keeps what it applied, so entries applied again later
 * skip sequences it holds. An fsync in flight covers nothing now: the disk drops it. */
static void truncate_from(struct js_server *s, uint64_t index, struct proto_out *out)
{
    ZS_ASSERT(index >= 1);
    if (index > js__raft_last_index(s))
        return;
    g_array_set_size(s->log, (guint)(index - 1));
    proto_disk_truncate(out, js__file(s, JS_FILE_WAL), index - 1);
    s->commit = MIN(s->commit, index - 1);
    s->applied = MIN(s->applied, index - 1);
    s->wal_synced = MIN(s->wal_synced, index - 1);
    s->wal_sync_covers = 0;
}

static void follower_answer(struct js_server *s, uint32_t leader, struct proto_out *out)
{
    if (!s->cfg->sync_always) {
        send_append_resp(s, leader, true, js__raft_last_index(s), out);
        return;
    }
    if (!s->wal_syncing && s->wal_synced < js__raft_last_index(s)) {
        s->wal_syncing = true;
        s->wal_sync_covers = js__raft_last_index(s);
        wal_sync(s, out);
    } else if (!s->wal_syncing) {
        send_append_resp(s, leader, true, js__raft_last_index(s), out);
    }
}

static void on_append(struct js_server *s, uint32_t from, const struct js_msg *m,
                      const struct proto_env *env, struct proto_out *out)
{
    if (m->term < s->term) {
        /* Even a stale leader's append entry resets the timer (raft.go processAppendEntry). */
        if (s->role != JS_ROLE_LEADER)
            arm_election_default(s, env, out);
        send_append_resp(s, from, false, js__raft_last_index(s), out);
        return;
    }
    /* Every append entry from a current leader resets the election timer. */
    if (m->term > s->term || s->role != JS_ROLE_FOLLOWER || s->leader != (int32_t)from)
        become_follower(s, m->term, (int32_t)from, env, out);
    else
        arm_election_default(s, env, out);
    uint64_t last = js__raft_last_index(s);
    if (m->prev_index > last) { /* behind: catch up from our last entry */
        send_append_resp(s, from, false, last, out);
        return;
    }
    if (m->prev_index > 0 && term_at(s, m->prev_index) != m->prev_term) {
        /* Our entry there belongs to another leader's term: drop it and the entries of that
         * term before it, back to our commit index (what we know was committed stays unless
         * the conflict is inside it, as after a power loss). */
        uint64_t bad_term = term_at(s, m->prev_index), cut = m->prev_index;
        while (cut > s->commit + 1 && term_at(s, cut - 1) == bad_term)
            cut--;
        truncate_from(s, cut, out);
        send_append_resp(s, from, false, js__raft_last_index(s), out);
        return;
    }
    /* At or behind our tail with a matching entry: what follows it goes (raft.go
     * processAppendEntry truncates there even for a heartbeat). */
    truncate_from(s, m->prev_index + 1, out);
    uint64_t index = m->prev_index;
    for (uint32_t i = 0; i < m->n_entries; i++) {
        const struct js_entry *e = &m->entries[i];
        ZS_ASSERT(e->index == index + 1);
        index = e->index;
        struct js_entry copy = *e;
        copy.commit = MIN(m->commit, index);
        g_array_append_val(s->log, copy);
        proto_disk_append(out, js__file(s, JS_FILE_WAL), &copy, sizeof copy);
    }
    if (m->commit > s->commit)
        commit_to(s, MIN(m->commit, index), env, out);
    if (m->n_entries > 0 || !s->cfg->sync_always)
        follower_answer(s, from, out);
    else
        send_append_resp(s, from, true, MIN(s->wal_synced, index), out);
}

/* ---- elections -------------------------------------------------------------------------- */

static void campaign(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    ZS_ASSERT(s->replica);
    s->role = JS_ROLE_CANDIDATE;
    s->leader = -1;
    s->term++;
    s->voted_for = (int32_t)s->cfg->host;
    s->votes = UINT64_C(1) << s->cfg->host;
    s->answered = 0;
    s->empty_votes = 0;
    arm_election_default(s, env, out);
    js__emit_state(s, out);
    persist_term_vote(s, JS_TV_WAIT_CAMPAIGN, out);
}

static void send_vote_requests(struct js_server *s, const struct proto_env *env,
                               struct proto_out *out)
{
    if (s->quorum == 1) {
        become_leader(s, env, out);
        return;
    }
    for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++) {
        if (p == s->cfg->host)
            continue;
        struct js_msg *m = js_msg_new(JS_MSG_VOTE_REQ, 0, 0);
        m->term = s->term;
        m->last_term = last_term(s);
        m->last_index = js__raft_last_index(s);
        js__send_to_host(s, p, m, out);
    }
}

/* A vote says whether the voter's log is empty and it is not a brand-new member (one that
 * never saw a term): such a vote counts towards a win only once every peer answered
 * (2.12.0's empty-log protection, raft.go runAsCandidate). */
static void send_vote_resp(struct js_server *s, uint32_t to, bool granted,
                           struct proto_out *out)
{
    struct js_msg *r = js_msg_new(JS_MSG_VOTE_RESP, 0, 0);
    r->term = s->term;
    r->flag = granted;
    r->count = js__raft_last_index(s) == 0 && s->was_member;
    js__send_to_host(s, to, r, out);
}

static void on_vote_request(struct js_server *s, uint32_t from, const struct js_msg *m,
                            const struct proto_env *env, struct proto_out *out)
{
    s->was_member = s->was_member || s->term > 0;
    if (m->term > s->term)
        become_follower(s, m->term, -1, env, out);
    bool log_ok = m->last_term > last_term(s) ||
                  (m->last_term == last_term(s) && m->last_index >= js__raft_last_index(s));
    bool free_vote = s->voted_for < 0 || s->voted_for == (int32_t)from;
    if (m->term == s->term && free_vote && log_ok) {
        s->voted_for = (int32_t)from;
        arm_election_default(s, env, out);
        persist_term_vote(s, from, out); /* granted once tav.idx is on disk */
        return;
    }
    if (!log_ok && s->voted_for < 0 && s->role == JS_ROLE_FOLLOWER)
        arm_election(s, env, JS_CAMPAIGN_MIN_NS, JS_CAMPAIGN_MAX_NS, out);
    send_vote_resp(s, from, false, out);
}

static void on_vote_response(struct js_server *s, uint32_t from, const struct js_msg *m,
                             const struct proto_env *env, struct proto_out *out)
{
    if (m->term > s->term) {
        become_follower(s, m->term, -1, env, out);
        return;
    }
    if (s->role != JS_ROLE_CANDIDATE || m->term != s->term)
        return;
    uint64_t bit = UINT64_C(1) << from;
    s->answered |= bit;
    if (m->flag)
        s->votes |= bit;
    if (m->flag && m->count)
        s->empty_votes |= bit;
    uint32_t peers = s->cfg->replicas - 1;
    bool all_answered = (uint32_t)__builtin_popcountll(s->answered) == peers;
    uint64_t counted = all_answered ? s->votes : s->votes & ~s->empty_votes;
    if ((uint32_t)__builtin_popcountll(counted) >= s->quorum)
        become_leader(s, env, out);
}

/* ---- commit and apply ------------------------------------------------------------------- */

static void commit_to(struct js_server *s, uint64_t commit, const struct proto_env *env,
                      struct proto_out *out)
{
    ZS_ASSERT(commit <= js__raft_last_index(s));
    s->commit = MAX(s->commit, commit);
    while (s->applied < s->commit) {
        s->applied++;
        js__stream_apply(s, entry_at(s, s->applied), env, out);
    }
    js__stream_flush(s, out);
    if (s->role == JS_ROLE_LEADER && !s->serving && s->applied >= s->serve_after) {
        s->serving = true;
        js__stream_start_serving(s, env, out);
        js__interest_changed(s, out);
        js__emit_state(s, out);
    }
}

/* ---- inputs ----------------------------------------------------------------------------- */

void js__raft_start(struct js_server *s, const struct proto_env *env, struct proto_out *out)
{
    if (!s->replica)
        return;
    /* Re-apply what the WAL says was committed; the store skips what it already holds. */
    uint64_t commit = s->commit;
    s->commit = 0;
    commit_to(s, commit, env, out);
    bool preferred = env->incarnation == 1 && s->cfg->host == s->cfg->n_hosts - 1 &&
                     s->term == 0;
    if (preferred)
        arm_election(s, env, JS_PREFERRED_CAMPAIGN_NS, JS_PREFERRED_CAMPAIGN_NS + 1, out);
    else
        arm_election_default(s, env, out);
    if (s->cfg->sync_always && s->wal_synced < js__raft_last_index(s)) {
        /* What a crash left unsynced is fsynced before this replica relies on it. */
        s->wal_syncing = true;
        s->wal_sync_covers = js__raft_last_index(s);
        wal_sync(s, out);
    }
    if (!s->cfg->sync_always) {
        /* The file store's first sync at a random point in [T/2, T), then every T. */
        sim_time t = s->cfg->sync_interval;
        proto_timer_set(out, proto_token(JS_TOKEN_PERIODIC_SYNC, 0, 0),
                        t / 2 + (sim_time)rng_below(env->rng, (uint64_t)(t - t / 2)));
    }
}

void js__raft_on_msg(struct js_server *s, uint32_t from, const struct js_msg *m,
                     const struct proto_env *env, struct proto_out *out)
{
    if (!s->replica || !js__is_replica(s, from))
        return;
    switch ((enum js_msg_type)m->hdr.type) {
    case JS_MSG_VOTE_REQ:
        on_vote_request(s, from, m, env, out);
        break;
    case JS_MSG_VOTE_RESP:
        on_vote_response(s, from, m, env, out);
        break;
    case JS_MSG_APPEND:
        on_append(s, from, m, env, out);
        break;
    case JS_MSG_APPEND_RESP:
        on_append_resp(s, from, m, env, out);
        break;
    default:
        ZS_ASSERT(!"not a Raft message");
    }
}

void js__raft_on_timer(struct js_server *s, uint64_t token, const struct proto_env *env,
                       struct proto_out *out)
{
    switch (proto_token_kind(token)) {
    case JS_TOKEN_ELECTION:
        if (s->role != JS_ROLE_LEADER)
            campaign(s, env, out);
        break;
    case JS_TOKEN_HEARTBEAT:
        /* A pause holds back timers that fired: one may come after the role ended. */
        if (s->role != JS_ROLE_LEADER)
            break;
        for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++) {
            if (p != s->cfg->host && env->now_ns - s->last_sent_ns[p] >= JS_HEARTBEAT_NS)
                send_append(s, p, env, out);
        }
        proto_timer_set(out, token, JS_HEARTBEAT_NS);
        break;
    case JS_TOKEN_LOST_QUORUM: {
        if (s->role != JS_ROLE_LEADER)
            break;
        uint32_t heard = 1;
        for (uint32_t p = s->first_replica; p < s->cfg->n_hosts; p++)
            heard += p != s->cfg->host && env->now_ns - s->last_heard_ns[p] < JS_LOST_QUORUM_NS;
        if (heard < s->quorum)
            become_follower(s, s->term, -1, env, out);
        else
            proto_timer_set(out, token, JS_LOST_QUORUM_NS);
        break;
    }
    case JS_TOKEN_PERIODIC_SYNC:
        js__stream_on_periodic_sync(s, env, out);
        proto_timer_set(out, token, s->cfg->sync_interval);
        break;
    default:
        ZS_ASSERT(!"not a Raft timer");
    }
}

void js__raft_on_disk_done(struct js_server *s, uint64_t token, const struct proto_env *env,
                           struct proto_out *out)
{
    switch (proto_token_kind(token)) {
    case JS_TOKEN_TERM_VOTE_SYNC: {
        uint32_t waiting = proto_token_index(token);
        if (!proto_token_of(token, (uint32_t)s->term) || waiting == JS_TV_WAIT_NONE)
            break;
        if (waiting == JS_TV_WAIT_CAMPAIGN) {
            if (s->role == JS_ROLE_CANDIDATE)
                send_vote_requests(s, env, out);
        } else if (s->voted_for == (int32_t)waiting) {
            send_vote_resp(s, waiting, true, out);
        }
        break;
    }
    case JS_TOKEN_WAL_SYNC:
        ZS_ASSERT(s->wal_syncing);
        s->wal_syncing = false;
        s->wal_synced = MAX(s->wal_synced, MIN(s->wal_sync_covers, js__raft_last_index(s)));
        if (s->role == JS_ROLE_LEADER) {
            replicate(s, env, out);
            leader_try_commit(s, env, out);
        } else if (s->leader >= 0) {
            send_append_resp(s, (uint32_t)s->leader, true, s->wal_synced, out);
        }
        if (s->wal_synced < js__raft_last_index(s)) {
            s->wal_syncing = true;
            s->wal_sync_covers = js__raft_last_index(s);
            wal_sync(s, out);
        }
        break;
    case JS_TOKEN_STORE_SYNC:
        js__stream_on_store_synced(s, out);
        break;
    case JS_TOKEN_PERIODIC_SYNC:
        break;
    default:
        ZS_ASSERT(!"not a Raft fsync");
    }
}
