/* zab_recipe.c: a coordination recipe's client over ZooKeeper: an application and its
 * ZooKeeper client library in one process on a client machine (so a pause stops both).
 *
 * The library is ClientCnxn with a session: it opens a session (SESSION_REQ with id 0),
 * keeps it alive with pings when idle for a third of the session timeout T, declares the
 * connection lost after 2T/3 without hearing from the server (Disconnected), reconnects
 * with the same session (a random 0-1 s delay, each attempt bounded by T / servers, a 1 s
 * spin after a failed pass over every server), re-registers its watches with its last zxid,
 * and reports Expired when a server says the session is gone or, as clients since 3.9.3 do
 * (ZOOKEEPER-4508), when nothing was heard for 4T/3. It has one request outstanding at a
 * time; a lost connection fails it with CONNECTIONLOSS.
 *
 * The application is Curator's InterProcessMutex (LeaderSelector, the election recipe, is
 * the same mutex held until the leader resigns): create an EPHEMERAL_SEQUENTIAL node under
 * /lock (or /election) with a protection prefix naming the client, list the children, hold
 * the lock when its node has the lowest sequence number, otherwise watch the node just
 * before it (getData with a watch) and list again when that goes. A holder writes to the
 * protected resource every work_every, with the czxid of its node as fencing token, and
 * releases (deletes its node) after hold. As Curator's documentation asks of a lock user, it
 * stops acting at Disconnected (SUSPENDED) and acts again only if its node survived the
 * reconnection; at Expired it starts over with a new session. What it believes is recorded
 * as TRACE_HOLD.
 *
 * The registry is curator-x-discovery's: each client registers itself as an ephemeral node
 * /registry/c<n> (on NodeExists, left by its previous session, it deletes and creates it
 * again so that watchers hear of it), again after every new session; and each keeps a
 * cache of the registered instances from getChildren with a watch, read again whenever the
 * watch fires or the connection comes back. Each change of its cache is a TRACE_VIEW. */
#include "protocol/zab/zab_internal.h"

#include "sim/resource.h"

#include <stdio.h>
#include <string.h>

#define RECONNECT_JITTER_MAX (1000 * SIM_MS) /* ClientCnxn: r.nextInt(1000) */
#define SPIN_DELAY (1000 * SIM_MS)           /* StaticHostProvider spinDelay */
#define RESOURCE_REDIAL (1000 * SIM_MS)      /* the resource's client library's retry */
/* Watches one client holds: the recipe leaves at most one at a time. */
#define RECIPE_WATCHES_MAX 8
/* CONNECTIONLOSS: what a request fails with when the connection goes (never on the wire). */
#define ERR_CONNECTIONLOSS (-4)

enum recipe_timer {
    RT_DIAL = 1,   /* connect of the current attempt (a dial token) */
    RT_RECONNECT,  /* the delay before the next attempt is over */
    RT_CONNECT,    /* the current attempt took too long */
    RT_PING,       /* idle for readTimeout / 2: ping */
    RT_READ,       /* nothing heard for readTimeout */
    RT_EXPIRE,     /* disconnected and nothing heard for 4T/3: Expired (3.9.3+) */
    RT_WORK,       /* the holder's next write to the resource */
    RT_HOLD,       /* the holder lets go */
    RT_RETRY,      /* the application tries to acquire again */
    RT_RES_DIAL,   /* the resource connection (a dial token) */
    RT_RES_REDIAL,
    RT_EVENT,      /* the event thread hands the application a state change */
    RT_START,      /* the application starts (recipe `start`) */
};

/* State changes the library has queued for the application (ClientCnxn's EventThread). */
enum app_event { EV_DISCONNECTED = 1, EV_EXPIRED };
#define APP_EVENTS_MAX 8

enum lib_status { LS_WAITING, LS_DIALING, LS_HANDSHAKE, LS_CONNECTED };

/* Where the recipe is. */
enum app_step {
    AS_START = 0,  /* needs a session */
    AS_MKDIR,      /* creating the lock's parent */
    AS_CREATE,     /* creating its node */
    AS_LIST,       /* listing the children */
    AS_WATCH,      /* getData on the predecessor, then waiting for its watch */
    AS_HOLD,       /* holds */
    AS_RELEASE,    /* deleting its node */
    AS_IDLE,       /* between holds */
};

struct recipe {
    const struct zab_recipe_config *cfg;
    /* the library */
    enum lib_status status;
    uint32_t *order;
    uint32_t next_index, failed_in_pass, attempt;
    bool ever_connected;
    conn_id conn;
    int64_t session;
    sim_time timeout;          /* negotiated; the requested one until then */
    int64_t last_zxid;
    sim_time last_heard, last_sent;
    int32_t next_xid;
    bool pending;              /* one request outstanding */
    int32_t pending_xid;
    uint8_t pending_read;      /* its enum zab_read, or ZAB_READ_NONE for a write */
    uint8_t pending_write;     /* its enum zab_op_kind for a write */
    GArray *watches;           /* struct zab_watch_spec */
    GArray *view;              /* registry: uint32 instances it lists, increasing */
    bool relist;               /* registry: the watch fired while a request was out */
    uint8_t events[APP_EVENTS_MAX]; /* enum app_event, oldest first */
    uint32_t n_events;
    /* the application */
    enum app_step step;
    uint32_t app_gen;          /* names the application's timers */
    char dir[16];
    char prefix[48];           /* protection prefix of its node's name */
    char node[ZAB_PATH_MAX];   /* its node's full path, "" when it has none */
    int64_t token;             /* czxid of its node */
    char watching[ZAB_PATH_MAX];
    bool holding;
    /* the protected resource */
    conn_id res_conn;
    bool res_dialing;
};

static uint64_t lib_token(const struct recipe *r, enum recipe_timer t)
{
    return proto_token((uint8_t)t, r->attempt, 0);
}

static uint64_t app_token(const struct recipe *r, enum recipe_timer t)
{
    return proto_token((uint8_t)t, r->app_gen, 0);
}

static sim_time read_timeout(const struct recipe *r)
{
    return r->timeout * 2 / 3;
}

/* ---- the application's side ----------------------------------------------------------- */

static void note_hold(struct recipe *r, bool holding, enum hold_reason why,
                      struct proto_out *out)
{
    if (r->holding == holding)
        return;
    r->holding = holding;
    proto_trace_hold(out, r->cfg->recipe, r->cfg->client, holding, why, r->token);
}

static void stop_holding(struct recipe *r, enum hold_reason why, struct proto_out *out)
{
    note_hold(r, false, why, out);
    proto_timer_cancel(out, app_token(r, RT_WORK));
    proto_timer_cancel(out, app_token(r, RT_HOLD));
}

static void send_request(struct recipe *r, struct zab_msg *m, const struct proto_env *env,
                         struct proto_out *out)
{
    ZS_ASSERT(r->status == LS_CONNECTED && !r->pending);
    r->pending = true;
    r->pending_xid = zab__msg_extra(m)->xid = ++r->next_xid;
    r->last_sent = env->now_ns;
    proto_send(out, r->conn, &m->hdr);
}

static void request_write(struct recipe *r, uint8_t kind, const char *path, uint8_t flags,
                          const struct proto_env *env, struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_OP_REQ, NULL);
    struct zab_op *op = &zab__msg_extra(m)->op;
    op->kind = kind;
    op->flags = flags;
    op->version = -1;
    op->data = r->cfg->client;
    g_strlcpy(op->path, path, sizeof op->path);
    r->pending_read = ZAB_READ_NONE;
    r->pending_write = kind;
    send_request(r, m, env, out);
}

static void request_read(struct recipe *r, enum zab_read read, const char *path, bool watch,
                         const struct proto_env *env, struct proto_out *out)
{
    struct zab_msg *m = zab__msg_new(ZAB_MSG_OP_REQ, NULL);
    struct zab_msg_extra *d = zab__msg_extra(m);
    d->read = (uint8_t)read;
    d->watch = watch;
    g_strlcpy(d->op.path, path, sizeof d->op.path);
    r->pending_read = (uint8_t)read;
    send_request(r, m, env, out);
}

static bool is_registry(const struct recipe *r)
{
    return r->cfg->kind == ZAB_RECIPE_REGISTRY;
}

/* The lock's queue, or the registry's members; the registry's cache (ServiceCache) leaves a
 * watch for their next change. */
static void list_children(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->step = AS_LIST;
    r->relist = false;
    request_read(r, ZAB_READ_GET_CHILDREN, r->dir, is_registry(r), env, out);
}

static void create_node(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    char path[ZAB_PATH_MAX];
    if (is_registry(r)) {
        g_snprintf(path, sizeof path, "%s/c%u", r->dir, r->cfg->client);
        r->step = AS_CREATE;
        request_write(r, ZAB_OP_CREATE, path, ZAB_CREATE_EPHEMERAL, env, out);
        return;
    }
    g_snprintf(path, sizeof path, "%s/%s", r->dir, r->prefix);
    r->step = AS_CREATE;
    request_write(r, ZAB_OP_CREATE, path, ZAB_CREATE_EPHEMERAL | ZAB_CREATE_SEQUENTIAL, env,
                  out);
}

static void send_to_resource(struct recipe *r, struct proto_out *out)
{
    if (r->res_conn != CONN_NONE)
        proto_send(out, r->res_conn,
                   resource_write_new(ZAB_MSG_RESOURCE_WRITE, r->cfg->client, r->token));
}

static void acquired(struct recipe *r, struct proto_out *out)
{
    r->step = AS_HOLD;
    note_hold(r, true, HOLD_ACQUIRED, out);
    send_to_resource(r, out);
    proto_timer_set(out, app_token(r, RT_WORK), r->cfg->work_every);
    if (r->cfg->hold > 0)
        proto_timer_set(out, app_token(r, RT_HOLD), r->cfg->hold);
}

static void go_idle(struct recipe *r, const struct proto_env *env, struct proto_out *out);
static void start_over(struct recipe *r, const struct proto_env *env, struct proto_out *out);

static gint compare_u32(gconstpointer a, gconstpointer b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static bool contains_u32(const GArray *sorted, uint32_t v)
{
    for (guint i = 0; i < sorted->len; i++) {
        if (g_array_index(sorted, uint32_t, i) == v)
            return true;
    }
    return false;
}

/* The sequence number: the last ten characters of a sequential node's name. */
static const char *sequence_of(const char *name)
{
    size_t n = strlen(name);
    return n >= 10 ? name + n - 10 : name;
}

static gint by_sequence(gconstpointer a, gconstpointer b)
{
    const char *x = *(const char *const *)a, *y = *(const char *const *)b;
    int c = strcmp(sequence_of(x), sequence_of(y));
    return c ? c : strcmp(x, y);
}

/* LockInternals.internalLockLoop, one turn: lowest holds; others watch their predecessor. */
static void on_children(struct recipe *r, GPtrArray *names, const struct proto_env *env,
                        struct proto_out *out)
{
    g_ptr_array_sort(names, by_sequence);
    const char *mine = r->node[0] ? strrchr(r->node, '/') + 1 : NULL;
    int at = -1;
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        /* A create whose reply was lost: the protection prefix finds the node. */
        if ((mine && strcmp(name, mine) == 0) ||
            (!mine && g_str_has_prefix(name, r->prefix))) {
            at = (int)i;
            break;
        }
    }
    if (at < 0) {
        r->node[0] = '\0';
        if (r->step == AS_RELEASE)
            go_idle(r, env, out); /* its node is gone already */
        else
            create_node(r, env, out);
        return;
    }
    if (!mine) {
        g_snprintf(r->node, sizeof r->node, "%s/%s", r->dir,
                   (const char *)g_ptr_array_index(names, at));
        r->token = 0; /* its czxid is unknown: a stat tells */
    }
    if (r->step == AS_RELEASE) {
        request_write(r, ZAB_OP_DELETE, r->node, 0, env, out);
        return;
    }
    if (at == 0) {
        if (r->token == 0) {
            request_read(r, ZAB_READ_EXISTS, r->node, false, env, out);
            return;
        }
        acquired(r, out);
        return;
    }
    g_snprintf(r->watching, sizeof r->watching, "%s/%s", r->dir,
               (const char *)g_ptr_array_index(names, at - 1));
    r->step = AS_WATCH;
    request_read(r, ZAB_READ_GET_DATA, r->watching, true, env, out);
}

/* Released: idle a moment (up to work_every), then queue for the lock again. */
static void go_idle(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->node[0] = '\0';
    r->token = 0;
    r->step = AS_IDLE;
    sim_time think = (sim_time)rng_below(env->rng, (uint64_t)MAX(r->cfg->work_every, 1));
    proto_timer_set(out, app_token(r, RT_RETRY), think);
}

static void start_over(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->node[0] = '\0';
    r->token = 0;
    r->step = AS_MKDIR;
    request_write(r, ZAB_OP_CREATE, r->dir, 0, env, out);
}

/* The registry's cache takes the children listed: a TRACE_VIEW for every instance that
 * left it, then for every one that joined, each in increasing instance order. */
static void update_view(struct recipe *r, const GPtrArray *names, struct proto_out *out)
{
    GArray *now = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    for (guint i = 0; i < names->len; i++) {
        const char *name = g_ptr_array_index(names, i);
        guint64 n = 0;
        if (name[0] == 'c' && g_ascii_string_to_unsigned(name + 1, 10, 1, UINT32_MAX, &n, NULL))
            g_array_append_val(now, n);
    }
    g_array_sort(now, compare_u32);
    for (int pass = 0; pass < 2; pass++) {
        const GArray *from = pass == 0 ? r->view : now, *to = pass == 0 ? now : r->view;
        for (guint i = 0; i < from->len; i++) {
            uint32_t id = g_array_index(from, uint32_t, i);
            if (!contains_u32(to, id))
                proto_trace_view(out, r->cfg->recipe, r->cfg->client, id, pass == 1);
        }
    }
    g_array_free(r->view, TRUE);
    r->view = now;
}

/* curator-x-discovery's steps: /registry, then its own node (again after deleting one left
 * by an earlier session), then the cache. */
static void on_registry_reply(struct recipe *r, const struct zab_msg *m, uint8_t read,
                              const struct proto_env *env, struct proto_out *out)
{
    enum zab_err err = (enum zab_err)zab__msg_extra_of(m)->err;
    if (read == ZAB_READ_GET_CHILDREN) {
        if (err == ZAB_OK)
            update_view(r, zab__msg_extra_of(m)->children, out);
        if (err != ZAB_OK || r->relist)
            list_children(r, env, out);
        else
            r->step = AS_IDLE;
        return;
    }
    switch (r->step) {
    case AS_MKDIR:
        create_node(r, env, out);
        return;
    case AS_CREATE:
        if (err == ZAB_ERR_NODEEXISTS) {
            char path[ZAB_PATH_MAX];
            g_snprintf(path, sizeof path, "%s/c%u", r->dir, r->cfg->client);
            r->step = AS_RELEASE;
            request_write(r, ZAB_OP_DELETE, path, 0, env, out);
        } else if (err == ZAB_OK) {
            list_children(r, env, out);
        } else {
            start_over(r, env, out);
        }
        return;
    case AS_RELEASE:
        create_node(r, env, out);
        return;
    default:
        return;
    }
}

/* The answer to the one outstanding request, by what it asked. */
static void on_reply(struct recipe *r, const struct zab_msg *m, uint8_t read, uint8_t write,
                     const struct proto_env *env, struct proto_out *out)
{
    if (is_registry(r)) {
        on_registry_reply(r, m, read, env, out);
        return;
    }
    enum zab_err err = (enum zab_err)zab__msg_extra_of(m)->err;
    switch (read) {
    case ZAB_READ_GET_CHILDREN:
        if (err == ZAB_OK)
            on_children(r, zab__msg_extra_of(m)->children, env, out);
        else
            start_over(r, env, out); /* the lock's parent is gone */
        return;
    case ZAB_READ_EXISTS: /* the stat of its own node, lowest of all */
        if (err == ZAB_OK) {
            r->token = zab__msg_extra_of(m)->stat.czxid;
            acquired(r, out);
        } else {
            list_children(r, env, out);
        }
        return;
    case ZAB_READ_GET_DATA: /* the predecessor, watched */
        if (err == ZAB_ERR_NONODE)
            list_children(r, env, out); /* gone already: look again at once */
        return;
    default:
        break;
    }
    if (write == ZAB_OP_DELETE) {
        go_idle(r, env, out); /* deleted, or gone already */
        return;
    }
    if (r->step == AS_MKDIR) {
        create_node(r, env, out); /* created, or there already */
        return;
    }
    if (err != ZAB_OK) {
        start_over(r, env, out);
        return;
    }
    g_strlcpy(r->node, zab__msg_extra_of(m)->op.path, sizeof r->node);
    r->token = m->zxid; /* the create's zxid is the node's czxid */
    list_children(r, env, out);
}

static void on_watch_event(struct recipe *r, const struct zab_msg *m, const struct proto_env *env,
                           struct proto_out *out)
{
    const char *path = zab__msg_extra_of(m)->op.path;
    if (is_registry(r)) {
        if (strcmp(path, r->dir) != 0)
            return;
        if (r->pending || r->status != LS_CONNECTED)
            r->relist = true; /* read again once the answer in flight is in */
        else
            list_children(r, env, out);
        return;
    }
    if (r->step == AS_WATCH && strcmp(path, r->watching) == 0 && !r->pending)
        list_children(r, env, out);
}

/* SyncConnected: a new session starts the recipe; the same session resumes it. */
static void app_connected(struct recipe *r, bool new_session, const struct proto_env *env,
                          struct proto_out *out)
{
    if (is_registry(r) && !new_session && r->step != AS_START) {
        /* The cache catches up after a reconnection; a registration cut short starts over. */
        if (r->step == AS_IDLE || r->step == AS_LIST)
            list_children(r, env, out);
        else
            start_over(r, env, out);
        return;
    }
    if (new_session || r->step == AS_START) {
        start_over(r, env, out);
        return;
    }
    switch (r->step) {
    case AS_IDLE:
        return;
    case AS_MKDIR:
        start_over(r, env, out);
        return;
    case AS_RELEASE:
        list_children(r, env, out);
        r->step = AS_RELEASE; /* delete its node if it still stands */
        return;
    default:
        list_children(r, env, out); /* does its node still stand, and is it lowest? */
        return;
    }
}

static void app_disconnected(struct recipe *r, struct proto_out *out)
{
    if (r->holding)
        stop_holding(r, HOLD_SUSPENDED, out);
}

static void app_expired(struct recipe *r, struct proto_out *out)
{
    if (r->holding)
        stop_holding(r, HOLD_EXPIRED, out);
    proto_timer_cancel(out, app_token(r, RT_RETRY));
    r->app_gen++;
    r->node[0] = '\0';
    r->token = 0;
    r->step = AS_START;
}

static void on_app_timer(struct recipe *r, uint64_t token, const struct proto_env *env,
                         struct proto_out *out)
{
    if (!proto_token_of(token, r->app_gen))
        return;
    switch ((enum recipe_timer)proto_token_kind(token)) {
    case RT_WORK:
        if (!r->holding)
            return;
        send_to_resource(r, out);
        proto_timer_set(out, app_token(r, RT_WORK), r->cfg->work_every);
        return;
    case RT_HOLD:
        if (!r->holding)
            return;
        stop_holding(r, HOLD_RELEASED, out);
        r->step = AS_RELEASE;
        if (r->status == LS_CONNECTED && !r->pending)
            request_write(r, ZAB_OP_DELETE, r->node, 0, env, out);
        return;
    case RT_RETRY:
        if (r->step == AS_IDLE && r->status == LS_CONNECTED && !r->pending)
            create_node(r, env, out);
        return;
    default:
        return;
    }
}

/* ---- the library's side --------------------------------------------------------------- */

/* The library does not call into the application: its event thread does, later. So an
 * application that was about to act (a timer that fired while the process was paused) acts
 * before it hears that the connection was lost, as a real one whose pause fell between its
 * check and its write does. */
static void queue_event(struct recipe *r, enum app_event ev, struct proto_out *out)
{
    ZS_ASSERT(r->n_events < APP_EVENTS_MAX);
    r->events[r->n_events++] = (uint8_t)ev;
    proto_timer_set(out, proto_token(RT_EVENT, 0, 0), 0);
}

static void deliver_events(struct recipe *r, struct proto_out *out)
{
    for (uint32_t i = 0; i < r->n_events; i++) {
        if (r->events[i] == EV_DISCONNECTED)
            app_disconnected(r, out);
        else
            app_expired(r, out);
    }
    r->n_events = 0;
}

static void dial(struct recipe *r, struct proto_out *out)
{
    r->attempt++;
    r->status = LS_DIALING;
    uint32_t host = r->order[r->next_index];
    r->next_index = (r->next_index + 1) % r->cfg->n_hosts;
    proto_connect(out, r->cfg->host_machines[host], ZAB_PORT_CLIENT, lib_token(r, RT_DIAL));
    proto_timer_set(out, lib_token(r, RT_CONNECT), r->timeout / r->cfg->n_hosts);
}

static void schedule_attempt(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->attempt++;
    r->status = LS_WAITING;
    bool pass_failed = r->failed_in_pass > 0 && r->failed_in_pass % r->cfg->n_hosts == 0;
    sim_time delay = r->ever_connected || r->failed_in_pass > 0
                         ? (sim_time)rng_below(env->rng, RECONNECT_JITTER_MAX)
                         : 0;
    if (pass_failed)
        delay += SPIN_DELAY;
    proto_timer_set(out, lib_token(r, RT_RECONNECT), delay);
}

/* A new handle: no session, no watches (Curator makes one after Expired). */
static void new_handle(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    r->session = 0;
    r->timeout = r->cfg->session_timeout;
    g_array_set_size(r->watches, 0);
    proto_timer_cancel(out, proto_token(RT_EXPIRE, 0, 0));
    schedule_attempt(r, env, out);
}

static void expired(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    if (r->conn != CONN_NONE)
        proto_close(out, r->conn);
    r->conn = CONN_NONE;
    r->pending = false;
    queue_event(r, EV_EXPIRED, out);
    new_handle(r, env, out);
}

/* ClientCnxn.cleanup: the connection is gone; the outstanding request fails. */
static void connection_lost(struct recipe *r, bool close, const struct proto_env *env,
                            struct proto_out *out)
{
    if (close && r->conn != CONN_NONE)
        proto_close(out, r->conn);
    bool was_connected = r->status == LS_CONNECTED;
    if (!was_connected)
        r->failed_in_pass++;
    else
        proto_trace_client(out, r->cfg->client, false, -1);
    r->conn = CONN_NONE;
    r->pending = false; /* CONNECTIONLOSS: the application looks again once reconnected */
    if (was_connected) {
        queue_event(r, EV_DISCONNECTED, out);
        if (r->session != 0) /* 4T/3 after the last word from a server: Expired */
            proto_timer_set(out, proto_token(RT_EXPIRE, 0, 0),
                            MAX(0, r->last_heard + r->timeout * 4 / 3 - env->now_ns));
    }
    schedule_attempt(r, env, out);
}

static void arm_liveness(struct recipe *r, const struct proto_env *env, struct proto_out *out)
{
    sim_time half = read_timeout(r) / 2;
    proto_timer_set(out, lib_token(r, RT_PING), MAX(0, r->last_sent + half - env->now_ns));
    proto_timer_set(out, lib_token(r, RT_READ),
                    MAX(0, r->last_heard + read_timeout(r) - env->now_ns));
}

static void on_session(struct recipe *r, const struct zab_msg *m, const struct proto_env *env,
                       struct proto_out *out)
{
    if (m->value == 0) {
        expired(r, env, out); /* "Session expired" from the server */
        return;
    }
    bool new_session = r->session != zab__msg_extra_of(m)->session;
    r->session = zab__msg_extra_of(m)->session;
    r->timeout = m->value;
    r->status = LS_CONNECTED;
    r->ever_connected = true;
    r->failed_in_pass = 0;
    proto_trace_client(out, r->cfg->client, true, -1);
    proto_timer_cancel(out, lib_token(r, RT_CONNECT));
    proto_timer_cancel(out, proto_token(RT_EXPIRE, 0, 0));
    r->last_heard = r->last_sent = env->now_ns;
    if (!new_session && r->watches->len > 0) {
        struct zab_msg *w = zab__msg_new(ZAB_MSG_SET_WATCHES, NULL);
        w->zxid = r->last_zxid;
        GArray *specs = g_array_new(FALSE, FALSE, sizeof(struct zab_watch_spec));
        g_array_append_vals(specs, r->watches->data, r->watches->len);
        zab__msg_extra(w)->touches = specs;
        g_array_set_size(r->watches, 0);
        proto_send(out, r->conn, &w->hdr);
    }
    arm_liveness(r, env, out);
    app_connected(r, new_session, env, out);
}

static void remember_watch(struct recipe *r, const struct zab_msg *req_reply, bool child)
{
    for (guint i = 0; i < r->watches->len; i++) {
        const struct zab_watch_spec *w = &g_array_index(r->watches, struct zab_watch_spec, i);
        if (w->kind == (child ? ZAB_WATCH_CHILD : ZAB_WATCH_DATA) &&
            strcmp(w->path, zab__msg_extra_of(req_reply)->op.path) == 0)
            return; /* the server keeps one watch per path and kind */
    }
    if (r->watches->len >= RECIPE_WATCHES_MAX)
        return; /* never reached: the recipe leaves one watch at a time */
    struct zab_watch_spec w = { .kind = child ? ZAB_WATCH_CHILD : ZAB_WATCH_DATA };
    g_strlcpy(w.path, zab__msg_extra_of(req_reply)->op.path, sizeof w.path);
    g_array_append_val(r->watches, w);
}

static void forget_watch(struct recipe *r, const char *path)
{
    for (guint i = r->watches->len; i-- > 0;) {
        if (strcmp(g_array_index(r->watches, struct zab_watch_spec, i).path, path) == 0)
            g_array_remove_index(r->watches, i);
    }
}

static void on_server_msg(struct recipe *r, const struct zab_msg *m, const struct proto_env *env,
                          struct proto_out *out)
{
    r->last_heard = env->now_ns;
    if (m->zxid > r->last_zxid && m->hdr.type != ZAB_MSG_CLIENT_PONG)
        r->last_zxid = m->zxid;
    switch (m->hdr.type) {
    case ZAB_MSG_SESSION_RESP:
        if (r->status == LS_HANDSHAKE)
            on_session(r, m, env, out);
        return;
    case ZAB_MSG_OP_RESP:
        if (!r->pending || zab__msg_extra_of(m)->xid != r->pending_xid)
            return;
        r->pending = false;
        if ((r->pending_read == ZAB_READ_GET_DATA || r->pending_read == ZAB_READ_GET_CHILDREN) &&
            zab__msg_extra_of(m)->err == ZAB_OK)
            remember_watch(r, m, r->pending_read == ZAB_READ_GET_CHILDREN);
        on_reply(r, m, r->pending_read, r->pending_write, env, out);
        return;
    case ZAB_MSG_WATCH_EVENT:
        forget_watch(r, zab__msg_extra_of(m)->op.path);
        on_watch_event(r, m, env, out);
        return;
    default:
        return;
    }
}

static void on_lib_timer(struct recipe *r, uint64_t token, const struct proto_env *env,
                         struct proto_out *out)
{
    enum recipe_timer kind = (enum recipe_timer)proto_token_kind(token);
    if (kind == RT_EXPIRE) {
        if (r->status != LS_CONNECTED && r->session != 0)
            expired(r, env, out); /* ZOOKEEPER-4508: the client declares it itself */
        return;
    }
    if (!proto_token_of(token, r->attempt))
        return;
    switch (kind) {
    case RT_RECONNECT:
        dial(r, out);
        return;
    case RT_CONNECT:
        if (r->status == LS_DIALING || r->status == LS_HANDSHAKE)
            connection_lost(r, true, env, out);
        return;
    case RT_PING:
    case RT_READ:
        if (r->status != LS_CONNECTED)
            return;
        if (env->now_ns - r->last_heard >= read_timeout(r)) {
            connection_lost(r, true, env, out); /* "have not heard from server" */
            return;
        }
        if (env->now_ns - r->last_sent >= read_timeout(r) / 2) {
            proto_send(out, r->conn, &zab__msg_new(ZAB_MSG_CLIENT_PING, NULL)->hdr);
            r->last_sent = env->now_ns;
        }
        arm_liveness(r, env, out);
        return;
    default:
        return;
    }
}

static void dial_resource(struct recipe *r, struct proto_out *out)
{
    r->res_dialing = true;
    proto_connect(out, r->cfg->resource_machine, RESOURCE_PORT, proto_token(RT_RES_DIAL, 0, 0));
}

/* ---- node interface ------------------------------------------------------------------- */

static void *recipe_create(const void *config, const struct proto_env *env,
                           const struct disk *disk)
{
    (void)disk;
    struct recipe *r = g_new0(struct recipe, 1);
    r->cfg = config;
    r->order = g_new(uint32_t, r->cfg->n_hosts);
    rng_order_first(env->rng, r->cfg->home_host, r->cfg->n_hosts, r->order);
    r->watches = g_array_new(FALSE, FALSE, sizeof(struct zab_watch_spec));
    r->timeout = r->cfg->session_timeout;
    static const char *const dirs[] = { "/lock", "/election", "/registry" };
    ZS_ASSERT(r->cfg->kind < G_N_ELEMENTS(dirs));
    g_strlcpy(r->dir, dirs[r->cfg->kind], sizeof r->dir);
    r->view = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    /* Curator's "_c_<uuid>-lock-"; the client and its incarnation stand for the uuid. */
    g_snprintf(r->prefix, sizeof r->prefix, "_c_%u.%u-lock-", r->cfg->client, env->incarnation);
    return r;
}

static void recipe_destroy(void *state)
{
    struct recipe *r = state;
    g_array_free(r->watches, TRUE);
    g_array_free(r->view, TRUE);
    g_free(r->order);
    g_free(r);
}

static void recipe_handle(void *state, const struct proto_env *env, const struct proto_input *in,
                          struct proto_out *out)
{
    struct recipe *r = state;
    switch (in->kind) {
    case PROTO_IN_START:
        /* At the first start only: a restarted machine's application starts at once. */
        if (env->incarnation <= 1 && r->cfg->start > 0) {
            proto_timer_set(out, proto_token(RT_START, 0, 0), r->cfg->start);
            return;
        }
        if (!is_registry(r))
            dial_resource(r, out);
        dial(r, out);
        return;
    case PROTO_IN_CONN_UP:
        if (in->token == proto_token(RT_RES_DIAL, 0, 0) && r->res_dialing) {
            r->res_dialing = false;
            r->res_conn = in->conn;
            return;
        }
        if (in->token != lib_token(r, RT_DIAL) || r->status != LS_DIALING) {
            proto_close(out, in->conn);
            return;
        }
        r->conn = in->conn;
        r->status = LS_HANDSHAKE;
        struct zab_msg *m = zab__msg_new(ZAB_MSG_SESSION_REQ, NULL);
        zab__msg_extra(m)->session = r->session;
        m->value = r->session ? r->timeout : r->cfg->session_timeout;
        m->zxid = r->last_zxid;
        proto_send(out, r->conn, &m->hdr);
        return;
    case PROTO_IN_CONN_FAILED:
        if (in->token == proto_token(RT_RES_DIAL, 0, 0)) {
            r->res_dialing = false;
            proto_timer_set(out, proto_token(RT_RES_REDIAL, 0, 0), RESOURCE_REDIAL);
            return;
        }
        if (in->token == lib_token(r, RT_DIAL) && r->status == LS_DIALING) {
            proto_timer_cancel(out, lib_token(r, RT_CONNECT));
            connection_lost(r, false, env, out);
        }
        return;
    case PROTO_IN_CONN_DOWN:
        if (in->conn == r->res_conn) {
            r->res_conn = CONN_NONE;
            proto_timer_set(out, proto_token(RT_RES_REDIAL, 0, 0), RESOURCE_REDIAL);
        } else if (in->conn == r->conn) {
            connection_lost(r, false, env, out);
        }
        return;
    case PROTO_IN_MSG:
        if (in->conn == r->conn)
            on_server_msg(r, (const struct zab_msg *)in->msg, env, out);
        return;
    case PROTO_IN_TIMER:
        switch ((enum recipe_timer)proto_token_kind(in->token)) {
        case RT_WORK:
        case RT_HOLD:
        case RT_RETRY:
            on_app_timer(r, in->token, env, out);
            return;
        case RT_RES_REDIAL:
            if (r->res_conn == CONN_NONE && !r->res_dialing)
                dial_resource(r, out);
            return;
        case RT_EVENT:
            deliver_events(r, out);
            return;
        case RT_START:
            if (!is_registry(r))
                dial_resource(r, out);
            dial(r, out);
            return;
        default:
            on_lib_timer(r, in->token, env, out);
            return;
        }
    case PROTO_IN_CLIENT_OP:
    case PROTO_IN_DISK_DONE:
        return;
    }
}

bool zab_recipe_holding(const void *recipe_client)
{
    const struct recipe *r = recipe_client;
    return r && r->holding;
}

const struct proto_ops zab_recipe_ops = {
    .name = "zab-recipe",
    .create = recipe_create,
    .destroy = recipe_destroy,
    .handle = recipe_handle,
    .msg_type_name = zab_msg_type_name,
};
