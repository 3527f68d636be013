/* real_zk.c: a real ZooKeeper ensemble (Debian's zookeeper package, QuorumPeerMain on the
 * JVM) and the ZooKeeper C client (libzookeeper_mt) driving it, for `zabsim conform`.
 *
 * What is recorded as model zab-real, and how (docs/fidelity.md):
 *   - host states: a poller asks every running server `srvr` (a four-letter word) every
 *     REAL_ZK_POLL_MS. "Mode: leader" is LEADING in BROADCAST, "Mode: follower" FOLLOWING in
 *     BROADCAST, an up server that is not serving requests (election, discovery or
 *     synchronization: `srvr` cannot tell them apart) LOOKING in ELECTION; a killed server is
 *     DOWN at the moment of the kill. A paused server keeps its last state.
 *   - writes: each workload message is a create of a PERSISTENT_SEQUENTIAL znode
 *     /zabsim/m-NNNNNNNNNN holding the message id; ok is acked, connection loss or operation
 *     timeout is timeout (outcome unknown), anything else rejected.
 *   - deliveries: each host has a subscriber, a client connected to that host's server only,
 *     that reads /zabsim/m-0000000000, m-0000000001, ... in order (a window of reads in
 *     flight, an exists watch on the next one when it is not there yet). A sequential node's
 *     number is its parent's child-creation count, so the numbers are the log order of the
 *     writes; the zxid recorded is the node's czxid. After a restart the subscriber reads the
 *     log again from the start, like a simulated host replaying its log. */
#include "tools/conform/conform.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#define THREADED /* the synchronous calls of libzookeeper_mt */
#include <zookeeper/zookeeper.h>

#include "protocol/zab/zab.h"

#define REAL_ZK_POLL_MS 5
#define REAL_ZK_POLL_TIMEOUT_MS 200
/* Reads a subscriber keeps in flight. */
#define REAL_ZK_READ_WINDOW 64
/* Log positions whose message is remembered for the divergence check. */
#define REAL_ZK_LOG_MAX (2u * 1000u * 1000u)

struct zk_sub {
    struct real_zk *z;
    uint32_t host;
    zhandle_t *zh;
    pthread_mutex_t lock;
    uint64_t gen;         /* reads of older generations are ignored */
    int64_t next;         /* the position to deliver next */
    int64_t issued;       /* positions below this have a read in flight or are done */
    bool waiting;         /* for a watch or a reconnect, no reads in flight */
    int64_t window;       /* reads in flight at most: doubles while they find nodes, back to
                           * 1 when one does not, so that a subscriber that keeps up costs
                           * one read per write instead of a window of misses */
    int64_t replay_below; /* positions this host delivered in an earlier incarnation */
    uint64_t seq;         /* deliveries in this incarnation */
    bool restart_pending; /* host restarted: start again from 0 */
};

struct zk_read {
    struct zk_sub *sub;
    uint64_t gen;
    int64_t pos;
};

struct zk_client {
    struct real_zk *z;
    uint32_t client;      /* 1-based */
    zhandle_t *zh;
    bool connected;
};

struct real_zk {
    struct real_env env;
    uint32_t n;
    struct real_proc servers[SCENARIO_MAX_HOSTS];
    char *connect_all;    /* every server, for the clients */
    FILE *client_log;

    pthread_mutex_t state_lock;
    uint8_t state[SCENARIO_MAX_HOSTS];
    uint8_t phase[SCENARIO_MAX_HOSTS];
    int64_t epoch[SCENARIO_MAX_HOSTS];
    bool up[SCENARIO_MAX_HOSTS];   /* process running (not killed) */
    bool paused[SCENARIO_MAX_HOSTS];
    pthread_t poller;
    bool poller_running;
    volatile int stop_poller;

    struct zk_client *clients;
    struct zk_sub subs[SCENARIO_MAX_HOSTS];

    pthread_mutex_t log_lock;      /* the positions' messages, for divergence */
    GArray *positions;             /* msg_id_t by position; MSG_ID_NONE unknown */
    int64_t divergences;
};

static int client_port(const struct real_zk *z, uint32_t h)
{
    return z->env.port_base + 10 + (int)h;
}

/* ---- servers ------------------------------------------------------------------------- */

static bool write_config(struct real_zk *z, uint32_t h, GError **err)
{
    const struct scenario *sc = z->env.sc;
    char *data = g_strdup_printf("%s/zk-%s", z->env.dir, sc->host_names[h]);
    char *myid = g_strdup_printf("%s/myid", data);
    char *cfg = g_strdup_printf("%s/zk-%s.cfg", z->env.dir, sc->host_names[h]);
    GString *text = g_string_new(NULL);
    g_string_append_printf(text,
                           "tickTime=%" PRId64 "\ninitLimit=%u\nsyncLimit=%u\n"
                           "dataDir=%s\nclientPort=%d\nclientPortAddress=%s\n"
                           "admin.enableServer=false\n4lw.commands.whitelist=srvr\n"
                           "maxClientCnxns=0\n",
                           sc->zab.tick / SIM_MS, sc->zab.init_limit, sc->zab.sync_limit, data,
                           client_port(z, h), real_net_addr(z->env.net, h));
    for (uint32_t i = 0; i < z->n; i++)
        g_string_append_printf(text, "server.%u=%s:%d:%d\n", i + 1, real_net_addr(z->env.net, i),
                               z->env.port_base + 20 + (int)i, z->env.port_base + 30 + (int)i);
    char id[16];
    g_snprintf(id, sizeof id, "%u\n", h + 1);
    bool ok = g_mkdir_with_parents(data, 0755) == 0 &&
              g_file_set_contents(myid, id, -1, err) &&
              g_file_set_contents(cfg, text->str, (gssize)text->len, err);
    if (!ok && err && !*err)
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", data, g_strerror(errno));
    struct real_proc *p = &z->servers[h];
    p->name = g_strdup_printf("%s/zookeeper", sc->host_names[h]);
    p->log_path = g_strdup_printf("%s/zk-%s.log", z->env.dir, sc->host_names[h]);
    p->netns_fd = real_net_ns_fd(z->env.net, h);
    /* Debian's launcher, without its service wrapper: the JVM runs QuorumPeerMain. The
     * heap is kept small because three servers share a small machine with the clients. */
    const char *argv[] = { "java", "-Xms64m", "-Xmx256m", "-XX:+UseSerialGC",
                           "-Dzookeeper.jmx.log4j.disable=true",
                           "-cp", "/usr/share/java/zookeeper.jar:/usr/share/java/slf4j-simple.jar",
                           "org.apache.zookeeper.server.quorum.QuorumPeerMain", cfg, NULL };
    p->argv = g_strdupv((char **)argv);
    g_string_free(text, TRUE);
    g_free(data);
    g_free(myid);
    g_free(cfg);
    return ok;
}

static void emit_state(struct real_zk *z, uint32_t h, uint8_t state, uint8_t phase,
                       int64_t epoch)
{
    struct trace_rec r = { .kind = TRACE_STATE, .model = z->env.zab_model, .host = (int32_t)h };
    r.u.state.state = state;
    r.u.state.phase = phase;
    r.u.state.epoch = epoch;
    real_log_add(z->env.log, &r);
}

/* Records a state when it differs from the host's last one. Call with state_lock held. */
static void set_state(struct real_zk *z, uint32_t h, uint8_t state, uint8_t phase, int64_t epoch)
{
    if (z->state[h] == state && z->phase[h] == phase && z->epoch[h] == epoch)
        return;
    z->state[h] = state;
    z->phase[h] = phase;
    z->epoch[h] = epoch;
    emit_state(z, h, state, phase, epoch);
}

bool real_zk_start_server(struct real_zk *z, uint32_t h, GError **err)
{
    pthread_mutex_lock(&z->state_lock);
    z->up[h] = true;
    z->paused[h] = false;
    pthread_mutex_unlock(&z->state_lock);
    return real_proc_start(&z->servers[h], err);
}

void real_zk_kill_server(struct real_zk *z, uint32_t h)
{
    /* DOWN at the kill, not when the JVM has been reaped (tens of ms later). */
    pthread_mutex_lock(&z->state_lock);
    z->up[h] = false;
    set_state(z, h, ZAB_STATE_DOWN, ZAB_PHASE_NONE, z->epoch[h]);
    pthread_mutex_unlock(&z->state_lock);
    real_proc_kill(&z->servers[h]);
}

void real_zk_pause_server(struct real_zk *z, uint32_t h, bool pause)
{
    real_proc_pause(&z->servers[h], pause);
    pthread_mutex_lock(&z->state_lock);
    z->paused[h] = pause;
    pthread_mutex_unlock(&z->state_lock);
}

/* One `srvr` exchange with a bounded wait; the reply in buf, or false. */
static bool ask_srvr(const char *addr, int port, char *buf, size_t len)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
    if (inet_pton(AF_INET, addr, &a.sin_addr) != 1)
        return false;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return false;
    bool ok = false;
    size_t got = 0;
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS)
        goto out;
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    if (poll(&p, 1, REAL_ZK_POLL_TIMEOUT_MS) != 1 || (p.revents & (POLLERR | POLLHUP)))
        goto out;
    if (write(fd, "srvr", 4) != 4)
        goto out;
    for (;;) {
        p = (struct pollfd){ .fd = fd, .events = POLLIN };
        if (poll(&p, 1, REAL_ZK_POLL_TIMEOUT_MS) != 1)
            goto out;
        ssize_t r = read(fd, buf + got, len - 1 - got);
        if (r < 0)
            goto out;
        if (r == 0)
            break;
        got += (size_t)r;
        if (got >= len - 1)
            break;
    }
    ok = got > 0;
out:
    buf[got] = '\0';
    close(fd);
    return ok;
}

static void poll_server(struct real_zk *z, uint32_t h)
{
    pthread_mutex_lock(&z->state_lock);
    bool ask = z->up[h] && !z->paused[h];
    pthread_mutex_unlock(&z->state_lock);
    if (!ask)
        return;
    char reply[1024];
    /* No answer (a JVM still starting, or one too busy to answer within the poll's bound)
     * says nothing: the last state stands. */
    if (!ask_srvr(real_net_addr(z->env.net, h), client_port(z, h), reply, sizeof reply))
        return;
    uint8_t state = ZAB_STATE_LOOKING, phase = ZAB_PHASE_ELECTION;
    int64_t epoch = -1;
    const char *mode = strstr(reply, "Mode: ");
    if (mode && strncmp(mode + 6, "leader", 6) == 0)
        state = ZAB_STATE_LEADING, phase = ZAB_PHASE_BROADCAST;
    else if (mode && strncmp(mode + 6, "follower", 8) == 0)
        state = ZAB_STATE_FOLLOWING, phase = ZAB_PHASE_BROADCAST;
    const char *zxid = strstr(reply, "Zxid: 0x");
    if (zxid)
        epoch = (int64_t)(g_ascii_strtoull(zxid + 8, NULL, 16) >> 32);
    pthread_mutex_lock(&z->state_lock);
    /* The process may have been killed or paused while we asked: that decides. */
    if (z->up[h] && !z->paused[h])
        set_state(z, h, state, phase, epoch >= 0 ? epoch : z->epoch[h]);
    pthread_mutex_unlock(&z->state_lock);
}

static void *poller_main(void *arg)
{
    struct real_zk *z = arg;
    while (!z->stop_poller) {
        for (uint32_t h = 0; h < z->n; h++)
            poll_server(z, h);
        g_usleep(REAL_ZK_POLL_MS * 1000);
    }
    return NULL;
}

static int leader_now(struct real_zk *z)
{
    int leader = -1;
    pthread_mutex_lock(&z->state_lock);
    for (uint32_t h = 0; h < z->n; h++) {
        if (z->up[h] && z->state[h] == ZAB_STATE_LEADING && z->phase[h] == ZAB_PHASE_BROADCAST)
            leader = (int)h;
    }
    pthread_mutex_unlock(&z->state_lock);
    return leader;
}

int real_zk_leader(struct real_zk *z)
{
    return leader_now(z);
}

int real_zk_follower(struct real_zk *z)
{
    uint32_t candidates[SCENARIO_MAX_HOSTS], k = 0;
    pthread_mutex_lock(&z->state_lock);
    for (uint32_t h = 0; h < z->n; h++) {
        if (z->up[h] && z->state[h] == ZAB_STATE_FOLLOWING)
            candidates[k++] = h;
    }
    pthread_mutex_unlock(&z->state_lock);
    if (k == 0)
        return -1;
    z->env.rng_state = z->env.rng_state * 1103515245u + 12345u;
    return (int)candidates[(z->env.rng_state >> 8) % k];
}

/* Up servers not serving clients yet (neither leader nor follower in BROADCAST). */
static uint32_t servers_not_serving(struct real_zk *z)
{
    uint32_t waiting = 0;
    pthread_mutex_lock(&z->state_lock);
    for (uint32_t h = 0; h < z->n; h++)
        waiting += z->up[h] && z->phase[h] != ZAB_PHASE_BROADCAST;
    pthread_mutex_unlock(&z->state_lock);
    return waiting;
}

/* Every host's subscriber talks to its own server only, and a server still joining the
 * ensemble refuses sessions: a leader alone is not enough to connect the clients. */
bool real_zk_wait_ready(struct real_zk *z, int timeout_ms, GError **err)
{
    for (int waited = 0; waited < timeout_ms; waited += 20) {
        if (leader_now(z) >= 0 && servers_not_serving(z) == 0)
            return true;
        g_usleep(20 * 1000);
    }
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                "ZooKeeper was not serving on every server within %d ms (leader: %s; server "
                "logs: %s/zk-*.log)", timeout_ms, leader_now(z) >= 0 ? "yes" : "none",
                z->env.dir);
    return false;
}

/* ---- subscribers ---------------------------------------------------------------------- */

static void sub_read_more(struct zk_sub *s);

static void note_position(struct real_zk *z, int64_t pos, msg_id_t id)
{
    if (pos < 0 || pos >= (int64_t)REAL_ZK_LOG_MAX)
        return;
    pthread_mutex_lock(&z->log_lock);
    if ((guint)pos >= z->positions->len)
        g_array_set_size(z->positions, (guint)pos + 1);
    msg_id_t *slot = &g_array_index(z->positions, msg_id_t, pos);
    if (*slot == MSG_ID_NONE)
        *slot = id;
    else if (*slot != id)
        z->divergences++;
    pthread_mutex_unlock(&z->log_lock);
}

static void deliver(struct zk_sub *s, int64_t pos, const char *value, int len, int64_t czxid)
{
    struct real_zk *z = s->z;
    msg_id_t id = conform_parse_msg_id(value, len > 0 ? (size_t)len : 0);
    if (id == MSG_ID_NONE)
        return;
    note_position(z, pos, id);
    struct trace_rec r = { .kind = TRACE_DELIVERY, .model = z->env.zab_model,
                           .host = (int32_t)s->host };
    r.u.delivery.seq = ++s->seq;
    r.u.delivery.msg_id = id;
    r.u.delivery.log_id = czxid;
    r.u.delivery.replayed = pos < s->replay_below;
    real_log_add(z->env.log, &r);
}

static void path_of(int64_t pos, char *buf, size_t len)
{
    g_snprintf(buf, len, "/zabsim/m-%010" PRId64, pos);
}

/* Something the subscriber waited for happened (the node exists, the session is back). */
static void sub_resume(struct zk_sub *s)
{
    pthread_mutex_lock(&s->lock);
    if (s->waiting) {
        s->waiting = false;
        sub_read_more(s);
    }
    pthread_mutex_unlock(&s->lock);
}

static void node_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)zh, (void)state, (void)path;
    if (type == ZOO_CREATED_EVENT || type == ZOO_CHANGED_EVENT)
        sub_resume(ctx);
}

static void exists_done(int rc, const struct Stat *stat, const void *data)
{
    (void)stat;
    struct zk_read *rd = (struct zk_read *)data;
    struct zk_sub *s = rd->sub;
    pthread_mutex_lock(&s->lock);
    if (rd->gen == s->gen && rc == ZOK && s->waiting) {
        s->waiting = false; /* created between the read and the watch */
        sub_read_more(s);
    }
    /* ZNONODE: the watch will fire; a connection loss: the reconnect resumes. */
    pthread_mutex_unlock(&s->lock);
    g_free(rd);
}

/* Stops reading until something changes: every read in flight is now stale. */
static void sub_wait(struct zk_sub *s)
{
    s->gen++;
    s->issued = s->next;
    s->waiting = true;
}

static void read_done(int rc, const char *value, int len, const struct Stat *stat,
                      const void *data)
{
    struct zk_read *rd = (struct zk_read *)data;
    struct zk_sub *s = rd->sub;
    pthread_mutex_lock(&s->lock);
    if (rd->gen != s->gen) {
        /* stale */
    } else if (rc == ZOK && rd->pos == s->next) {
        deliver(s, rd->pos, value, len, stat ? stat->czxid : TRACE_NO_LOG_ID);
        s->next++;
        s->window = MIN(s->window * 2, REAL_ZK_READ_WINDOW);
        sub_read_more(s);
    } else if (rc == ZNONODE) {
        sub_wait(s);
        s->window = 1;
        struct zk_read *ex = g_new(struct zk_read, 1);
        *ex = (struct zk_read){ .sub = s, .gen = s->gen, .pos = s->next };
        char path[64];
        path_of(s->next, path, sizeof path);
        if (zoo_awexists(s->zh, path, node_watcher, s, exists_done, ex) != ZOK)
            g_free(ex);
    } else {
        sub_wait(s); /* connection lost: the session watcher resumes on reconnect */
    }
    pthread_mutex_unlock(&s->lock);
    g_free(rd);
}

/* Issues reads up to the window. Called with s->lock held. */
static void sub_read_more(struct zk_sub *s)
{
    if (s->restart_pending) {
        s->restart_pending = false;
        s->gen++;
        s->next = s->issued = 0;
        s->seq = 0;
        s->window = REAL_ZK_READ_WINDOW; /* the whole log is there to read again */
    }
    while (!s->waiting && s->issued < s->next + MAX(s->window, 1)) {
        struct zk_read *rd = g_new(struct zk_read, 1);
        *rd = (struct zk_read){ .sub = s, .gen = s->gen, .pos = s->issued };
        char path[64];
        path_of(s->issued, path, sizeof path);
        if (zoo_awget(s->zh, path, NULL, NULL, read_done, rd) != ZOK) {
            g_free(rd);
            sub_wait(s);
            break;
        }
        s->issued++;
    }
}

static void sub_session_watcher(zhandle_t *zh, int type, int state, const char *path,
                                void *ctx)
{
    (void)zh, (void)path;
    if (type == ZOO_SESSION_EVENT && state == ZOO_CONNECTED_STATE)
        sub_resume(ctx);
}

void real_zk_host_restarted(struct real_zk *z, uint32_t h)
{
    struct zk_sub *s = &z->subs[h];
    pthread_mutex_lock(&s->lock);
    s->replay_below = MAX(s->replay_below, s->next);
    s->restart_pending = true;
    s->gen++;
    s->issued = s->next;
    s->waiting = true; /* resumes when the session reconnects to the new process */
    pthread_mutex_unlock(&s->lock);
}

/* ---- writing clients ----------------------------------------------------------------------- */

static int32_t host_of_server(const struct real_zk *z, const char *server)
{
    const char *colon = server ? strrchr(server, ':') : NULL;
    if (!colon)
        return -1;
    int port = atoi(colon + 1);
    for (uint32_t h = 0; h < z->n; h++) {
        if (client_port(z, h) == port)
            return (int32_t)h;
    }
    return -1;
}

static void client_watcher(zhandle_t *zh, int type, int state, const char *path, void *ctx)
{
    (void)path;
    struct zk_client *c = ctx;
    if (type != ZOO_SESSION_EVENT)
        return;
    bool up = state == ZOO_CONNECTED_STATE;
    if (up == c->connected)
        return;
    c->connected = up;
    struct trace_rec r = { .kind = TRACE_CLIENT, .model = c->z->env.zab_model, .host = -1 };
    r.u.client.client = c->client;
    r.u.client.up = up;
    r.u.client.host = up ? host_of_server(c->z, zoo_get_current_server(zh)) : -1;
    real_log_add(c->z->env.log, &r);
}

static void outcome(struct real_zk *z, msg_id_t id, enum outcome o)
{
    struct trace_rec r = { .kind = TRACE_OUTCOME, .model = z->env.zab_model, .host = -1 };
    r.u.outcome.msg_id = id;
    r.u.outcome.outcome = o;
    real_log_add(z->env.log, &r);
}

struct zk_write {
    struct real_zk *z;
    msg_id_t id;
};

static void write_done(int rc, const char *value, const void *data)
{
    (void)value;
    struct zk_write *w = (struct zk_write *)data;
    enum outcome o = rc == ZOK                                        ? TRACE_OUTCOME_ACKED
                     : rc == ZCONNECTIONLOSS || rc == ZOPERATIONTIMEOUT ? TRACE_OUTCOME_TIMEOUT
                                                                      : TRACE_OUTCOME_REJECTED;
    outcome(w->z, w->id, o);
    g_free(w);
}

void real_zk_write(struct real_zk *z, uint32_t client, msg_id_t id)
{
    struct zk_client *c = &z->clients[client];
    struct trace_rec r = { .kind = TRACE_SUBMISSION, .model = z->env.zab_model, .host = -1 };
    r.u.submission.msg_id = id;
    r.u.submission.client = c->client;
    r.u.submission.host =
        c->connected ? host_of_server(z, zoo_get_current_server(c->zh)) : -1;
    real_log_add(z->env.log, &r);
    char payload[SCENARIO_MAX_PAYLOAD > 65536 ? 65536 : SCENARIO_MAX_PAYLOAD];
    size_t len = conform_payload(id, z->env.sc->workload.payload, payload, sizeof payload);
    struct zk_write *w = g_new(struct zk_write, 1);
    *w = (struct zk_write){ .z = z, .id = id };
    if (zoo_acreate(c->zh, "/zabsim/m-", payload, (int)len, &ZOO_OPEN_ACL_UNSAFE,
                    ZOO_PERSISTENT_SEQUENTIAL, write_done, w) != ZOK) {
        g_free(w);
        outcome(z, id, TRACE_OUTCOME_REJECTED);
    }
}

/* ---- set-up and tear-down ----------------------------------------------------------------- */

struct real_zk *real_zk_new(const struct real_env *env, GError **err)
{
    struct real_zk *z = g_new0(struct real_zk, 1);
    z->env = *env;
    z->n = env->sc->hosts;
    pthread_mutex_init(&z->state_lock, NULL);
    pthread_mutex_init(&z->log_lock, NULL);
    z->positions = g_array_new(FALSE, TRUE, sizeof(msg_id_t));
    GString *all = g_string_new(NULL);
    for (uint32_t h = 0; h < z->n; h++) {
        z->state[h] = ZAB_STATE_DOWN;
        g_string_append_printf(all, "%s%s:%d", h ? "," : "", real_net_addr(env->net, h),
                               client_port(z, h));
        if (!write_config(z, h, err)) {
            g_string_free(all, TRUE);
            real_zk_free(z);
            return NULL;
        }
    }
    z->connect_all = g_string_free(all, FALSE);
    char *log_path = g_strdup_printf("%s/zk-clients.log", env->dir);
    z->client_log = fopen(log_path, "w");
    g_free(log_path);
    if (z->client_log)
        zoo_set_log_stream(z->client_log);
    zoo_set_debug_level(ZOO_LOG_LEVEL_WARN);
    z->stop_poller = 0;
    if (pthread_create(&z->poller, NULL, poller_main, z) == 0)
        z->poller_running = true;
    return z;
}

/* Waits until every handle in hs is connected, at most timeout_ms. */
static bool wait_connected(zhandle_t **hs, size_t n, int timeout_ms)
{
    for (int waited = 0; waited < timeout_ms; waited += 10) {
        size_t up = 0;
        for (size_t i = 0; i < n; i++)
            up += hs[i] && zoo_state(hs[i]) == ZOO_CONNECTED_STATE;
        if (up == n)
            return true;
        g_usleep(10 * 1000);
    }
    return false;
}

bool real_zk_connect_clients(struct real_zk *z, int timeout_ms, GError **err)
{
    const struct scenario *sc = z->env.sc;
    int session_ms = (int)(sc->zab.session_timeout / SIM_MS);
    uint32_t nc = sc->workload.clients;
    zhandle_t *hs[SCENARIO_MAX_CLIENTS + SCENARIO_MAX_HOSTS + 1];
    size_t k = 0;
    /* The parent znode, from a short-lived session. */
    zhandle_t *setup = zookeeper_init(z->connect_all, NULL, session_ms, NULL, NULL, 0);
    hs[0] = setup;
    if (!setup || !wait_connected(hs, 1, timeout_ms)) {
        if (setup)
            zookeeper_close(setup);
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "cannot connect to ZooKeeper at %s",
                    z->connect_all);
        return false;
    }
    int rc = zoo_create(setup, "/zabsim", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    zookeeper_close(setup);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "cannot create /zabsim: %s", zerror(rc));
        return false;
    }
    z->clients = g_new0(struct zk_client, MAX(nc, 1));
    for (uint32_t c = 0; c < nc; c++) {
        struct zk_client *cl = &z->clients[c];
        *cl = (struct zk_client){ .z = z, .client = c + 1 };
        /* The client's home server first, as the application lists it; the C client
         * shuffles its list anyway, as the simulated client's does. */
        uint32_t home = sc->workload.attach[c];
        GString *list = g_string_new(NULL);
        g_string_append_printf(list, "%s:%d", real_net_addr(z->env.net, home),
                               client_port(z, home));
        for (uint32_t h = 0; h < z->n; h++) {
            if (h != home)
                g_string_append_printf(list, ",%s:%d", real_net_addr(z->env.net, h),
                                       client_port(z, h));
        }
        /* The client's I/O thread, which makes every connection, starts inside: the client
         * stands on its home host's side of every cut. */
        real_net_enter(z->env.net, home);
        cl->zh = zookeeper_init(list->str, client_watcher, session_ms, NULL, cl, 0);
        real_net_leave(z->env.net);
        g_string_free(list, TRUE);
        hs[k++] = cl->zh;
    }
    for (uint32_t h = 0; h < z->n; h++) {
        struct zk_sub *s = &z->subs[h];
        pthread_mutex_init(&s->lock, NULL);
        s->z = z;
        s->host = h;
        s->waiting = true;
        char only[32];
        g_snprintf(only, sizeof only, "%s:%d", real_net_addr(z->env.net, h), client_port(z, h));
        real_net_enter(z->env.net, h);
        s->zh = zookeeper_init(only, sub_session_watcher, session_ms, NULL, s, 0);
        real_net_leave(z->env.net);
        hs[k++] = s->zh;
    }
    if (!wait_connected(hs, k, timeout_ms)) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                    "ZooKeeper clients did not connect within %d ms", timeout_ms);
        return false;
    }
    return true;
}

static void warmup_done(int rc, const char *value, const void *data)
{
    (void)rc, (void)value;
    g_atomic_int_dec_and_test((gint *)data);
}

bool real_zk_warm_up(struct real_zk *z, int64_t duration_ns, GError **err)
{
    const struct scenario *sc = z->env.sc;
    uint32_t nc = sc->workload.clients;
    if (nc == 0 || sc->workload.rate <= 0 || duration_ns <= 0)
        return true;
    int rc = zoo_create(z->clients[0].zh, "/warmup", "", 0, &ZOO_OPEN_ACL_UNSAFE, 0, NULL, 0);
    if (rc != ZOK && rc != ZNODEEXISTS) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "cannot create /warmup: %s", zerror(rc));
        return false;
    }
    gint pending = 0;
    int64_t interval_us = (int64_t)(1e6 / sc->workload.rate);
    char payload[65536];
    size_t len = conform_payload(msg_id_make(1, 1), sc->workload.payload, payload,
                                 sizeof payload);
    for (int64_t t_us = 0; t_us < duration_ns / 1000; t_us += interval_us) {
        for (uint32_t c = 0; c < nc; c++) {
            g_atomic_int_inc(&pending);
            if (zoo_acreate(z->clients[c].zh, "/warmup/w-", payload, (int)len,
                            &ZOO_OPEN_ACL_UNSAFE, ZOO_PERSISTENT_SEQUENTIAL, warmup_done,
                            &pending) != ZOK)
                g_atomic_int_dec_and_test(&pending);
        }
        g_usleep((gulong)interval_us);
    }
    /* Let the last of them finish (bounded). */
    for (int waited = 0; g_atomic_int_get(&pending) > 0 && waited < 10000; waited += 10)
        g_usleep(10 * 1000);
    return true;
}

int64_t real_zk_divergences(struct real_zk *z)
{
    pthread_mutex_lock(&z->log_lock);
    int64_t d = z->divergences;
    pthread_mutex_unlock(&z->log_lock);
    return d;
}

void real_zk_free(struct real_zk *z)
{
    if (!z)
        return;
    if (z->clients) {
        for (uint32_t c = 0; c < z->env.sc->workload.clients; c++) {
            if (z->clients[c].zh)
                zookeeper_close(z->clients[c].zh);
        }
    }
    for (uint32_t h = 0; h < z->n; h++) {
        if (z->subs[h].zh) {
            zookeeper_close(z->subs[h].zh);
            pthread_mutex_destroy(&z->subs[h].lock);
        }
    }
    if (z->poller_running) {
        z->stop_poller = 1;
        pthread_join(z->poller, NULL);
    }
    for (uint32_t h = 0; h < z->n; h++) {
        real_proc_stop(&z->servers[h], 2000);
        real_proc_clear(&z->servers[h]);
    }
    if (z->client_log) {
        zoo_set_log_stream(NULL);
        fclose(z->client_log);
    }
    g_array_free(z->positions, TRUE);
    pthread_mutex_destroy(&z->state_lock);
    pthread_mutex_destroy(&z->log_lock);
    g_free(z->connect_all);
    g_free(z->clients);
    g_free(z);
}
