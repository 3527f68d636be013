/* real_nats.c: a real nats-server cluster (Debian's nats-server package) and the NATS C
 * client (libnats) driving it, for `zabsim conform`.
 *
 * What is recorded as model pubsub-real (docs/fidelity.md):
 *   - publishers: one NATS connection per client, its home server first and the others
 *     after it, with the scenario's reconnect wait and reconnect buffer. A publish that
 *     natsConnection_Publish accepted is acked (as the simulated publisher's Publish()
 *     returning nil), anything else rejected. Connected / disconnected callbacks are the
 *     client's up and down.
 *   - subscribers: one connection per host, to that host's server only (the cluster does not
 *     advertise other servers to clients: `no_advertise`), subscribed to the scenario's
 *     subject pattern (and queue group). Every message is a delivery; the subscriber is
 *     SUBSCRIBED while connected and DOWN while not.
 * The servers dial every configured route, as nats-server does. */
#include "tools/conform/conform.h"

#include <inttypes.h>
#include <nats/nats.h>
#include <string.h>

#include "protocol/pubsub/pubsub.h"

struct nats_pub {
    struct real_nats *n;
    uint32_t client; /* 1-based */
    natsConnection *nc;
    natsOptions *opts;
};

struct nats_sub {
    struct real_nats *n;
    uint32_t host;
    natsConnection *nc;
    natsOptions *opts;
    natsSubscription *sub;
    pthread_mutex_t lock;
    uint64_t seq;
    uint32_t incarnation; /* of the host when seq was last reset */
};

struct real_nats {
    struct real_env env;
    uint32_t n;
    struct real_proc servers[SCENARIO_MAX_HOSTS];
    struct nats_pub *pubs;
    struct nats_sub subs[SCENARIO_MAX_HOSTS];
    bool library_open;
};

static int client_port(const struct real_nats *n, uint32_t h)
{
    return n->env.port_base + 40 + (int)h;
}

static bool write_config(struct real_nats *n, uint32_t h, GError **err)
{
    const struct scenario *sc = n->env.sc;
    char *cfg = g_strdup_printf("%s/nats-%s.conf", n->env.dir, sc->host_names[h]);
    GString *text = g_string_new(NULL);
    g_string_append_printf(text,
                           "server_name: %s\nlisten: %s:%d\n"
                           "max_pending: %" PRIu64 "\n"
                           "cluster {\n  name: zabsim\n  listen: %s:%d\n"
                           "  no_advertise: true\n  routes: [\n",
                           sc->host_names[h], real_net_addr(n->env.net, h), client_port(n, h),
                           sc->pubsub.max_pending, real_net_addr(n->env.net, h),
                           n->env.port_base + 50 + (int)h);
    for (uint32_t i = 0; i < n->n; i++) {
        if (i != h)
            g_string_append_printf(text, "    nats-route://%s:%d\n",
                                   real_net_addr(n->env.net, i), n->env.port_base + 50 + (int)i);
    }
    g_string_append(text, "  ]\n}\n");
    bool ok = g_file_set_contents(cfg, text->str, (gssize)text->len, err);
    struct real_proc *p = &n->servers[h];
    p->name = g_strdup_printf("%s/nats-server", sc->host_names[h]);
    p->log_path = g_strdup_printf("%s/nats-%s.log", n->env.dir, sc->host_names[h]);
    p->netns_fd = real_net_ns_fd(n->env.net, h);
    const char *argv[] = { "nats-server", "-c", cfg, NULL };
    p->argv = g_strdupv((char **)argv);
    g_string_free(text, TRUE);
    g_free(cfg);
    return ok;
}

bool real_nats_start_server(struct real_nats *n, uint32_t h, GError **err)
{
    return real_proc_start(&n->servers[h], err);
}

void real_nats_kill_server(struct real_nats *n, uint32_t h)
{
    real_proc_kill(&n->servers[h]);
}

void real_nats_pause_server(struct real_nats *n, uint32_t h, bool pause)
{
    real_proc_pause(&n->servers[h], pause);
}

struct real_nats *real_nats_new(const struct real_env *env, GError **err)
{
    struct real_nats *n = g_new0(struct real_nats, 1);
    n->env = *env;
    n->n = env->sc->hosts;
    for (uint32_t h = 0; h < n->n; h++) {
        if (!write_config(n, h, err)) {
            real_nats_free(n);
            return NULL;
        }
    }
    if (nats_Open(-1) != NATS_OK) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "cannot initialise the NATS C client");
        real_nats_free(n);
        return NULL;
    }
    n->library_open = true;
    return n;
}

/* Ready when every server accepts a client connection. */
bool real_nats_wait_ready(struct real_nats *n, int timeout_ms, GError **err)
{
    uint32_t ready = 0;
    for (int waited = 0; waited < timeout_ms && ready < n->n; waited += 20) {
        ready = 0;
        for (uint32_t h = 0; h < n->n; h++) {
            char url[64];
            g_snprintf(url, sizeof url, "nats://%s:%d", real_net_addr(n->env.net, h),
                       client_port(n, h));
            natsConnection *nc = NULL;
            if (natsConnection_ConnectTo(&nc, url) == NATS_OK)
                ready++;
            natsConnection_Destroy(nc);
        }
        if (ready < n->n)
            g_usleep(20 * 1000);
    }
    if (ready == n->n)
        return true;
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                "nats-server did not accept connections within %d ms (logs: %s/nats-*.log)",
                timeout_ms, n->env.dir);
    return false;
}

static int32_t host_of_connection(const struct real_nats *n, natsConnection *nc)
{
    char url[128];
    if (natsConnection_GetConnectedUrl(nc, url, sizeof url) != NATS_OK)
        return -1;
    const char *colon = strrchr(url, ':');
    int port = colon ? atoi(colon + 1) : -1;
    for (uint32_t h = 0; h < n->n; h++) {
        if (client_port(n, h) == port)
            return (int32_t)h;
    }
    return -1;
}

static void pub_state(struct nats_pub *p, bool up)
{
    struct trace_rec r = { .kind = TRACE_CLIENT, .model = p->n->env.nats_model, .host = -1 };
    r.u.client.client = p->client;
    r.u.client.up = up;
    r.u.client.host = up ? host_of_connection(p->n, p->nc) : -1;
    real_log_add(p->n->env.log, &r);
}

static void pub_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    pub_state(closure, false);
}

static void pub_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    pub_state(closure, true);
}

static void sub_state(struct nats_sub *s, bool up)
{
    struct trace_rec r = { .kind = TRACE_STATE, .model = s->n->env.nats_model,
                           .host = (int32_t)s->host };
    r.u.state.state = up ? PS_STATE_SUBSCRIBED : PS_STATE_DOWN;
    real_log_add(s->n->env.log, &r);
}

static void sub_disconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    sub_state(closure, false);
}

static void sub_reconnected(natsConnection *nc, void *closure)
{
    (void)nc;
    sub_state(closure, true);
}

static void on_message(natsConnection *nc, natsSubscription *sub, natsMsg *msg, void *closure)
{
    (void)nc, (void)sub;
    struct nats_sub *s = closure;
    msg_id_t id = conform_parse_msg_id(natsMsg_GetData(msg), (size_t)natsMsg_GetDataLength(msg));
    natsMsg_Destroy(msg);
    if (id == MSG_ID_NONE)
        return;
    pthread_mutex_lock(&s->lock);
    /* The delivery sequence is per host incarnation, as a simulated subscriber's is. */
    uint32_t inc = s->n->env.log->incarnation[s->host];
    if (inc != s->incarnation) {
        s->incarnation = inc;
        s->seq = 0;
    }
    struct trace_rec r = { .kind = TRACE_DELIVERY, .model = s->n->env.nats_model,
                           .host = (int32_t)s->host };
    r.u.delivery.seq = ++s->seq;
    r.u.delivery.msg_id = id;
    r.u.delivery.log_id = TRACE_NO_LOG_ID;
    real_log_add(s->n->env.log, &r);
    pthread_mutex_unlock(&s->lock);
}

static natsOptions *options(const struct real_nats *n, const uint32_t *hosts, uint32_t count)
{
    const struct scenario *sc = n->env.sc;
    natsOptions *o = NULL;
    if (natsOptions_Create(&o) != NATS_OK)
        return NULL;
    char urls[SCENARIO_MAX_HOSTS][48];
    const char *list[SCENARIO_MAX_HOSTS];
    for (uint32_t i = 0; i < count; i++) {
        g_snprintf(urls[i], sizeof urls[i], "nats://%s:%d", real_net_addr(n->env.net, hosts[i]),
                   client_port(n, hosts[i]));
        list[i] = urls[i];
    }
    natsOptions_SetServers(o, list, (int)count);
    natsOptions_SetNoRandomize(o, true);
    natsOptions_SetIgnoreDiscoveredServers(o, true);
    natsOptions_SetReconnectWait(o, sc->pubsub.reconnect_wait / SIM_MS);
    natsOptions_SetReconnectBufSize(o, (int)MIN(sc->pubsub.reconnect_buffer, INT32_MAX));
    natsOptions_SetMaxReconnect(o, -1); /* keep trying for the whole run */
    natsOptions_SetTimeout(o, 2000);
    return o;
}

bool real_nats_connect_clients(struct real_nats *n, int timeout_ms, GError **err)
{
    (void)timeout_ms; /* each connect is bounded by the options' 2 s timeout */
    const struct scenario *sc = n->env.sc;
    uint32_t nc = sc->workload.clients;
    n->pubs = g_new0(struct nats_pub, MAX(nc, 1));
    for (uint32_t c = 0; c < nc; c++) {
        struct nats_pub *p = &n->pubs[c];
        *p = (struct nats_pub){ .n = n, .client = c + 1 };
        /* Home first, then the others in an order drawn per client, as the simulated
         * publisher's pool. */
        uint32_t hosts[SCENARIO_MAX_HOSTS], k = 0;
        hosts[k++] = sc->workload.attach[c];
        for (uint32_t h = 0; h < n->n; h++) {
            if (h != sc->workload.attach[c])
                hosts[k++] = h;
        }
        for (uint32_t i = k - 1; i > 1; i--) {
            n->env.rng_state = n->env.rng_state * 1103515245u + 12345u;
            uint32_t j = 1 + (n->env.rng_state >> 8) % i;
            uint32_t t = hosts[i];
            hosts[i] = hosts[j];
            hosts[j] = t;
        }
        p->opts = options(n, hosts, k);
        natsOptions_SetDisconnectedCB(p->opts, pub_disconnected, p);
        natsOptions_SetReconnectedCB(p->opts, pub_reconnected, p);
        /* On its home host's side of every cut, with the threads libnats starts for it
         * (reading, flushing, and a reconnection after its server's connection drops). A
         * reconnection after stale pings starts on libnats's own timer thread, outside;
         * conform refuses cuts long enough for that (CONFORM_MAX_CUT_NS). */
        real_net_enter(n->env.net, sc->workload.attach[c]);
        natsStatus s = natsConnection_Connect(&p->nc, p->opts);
        real_net_leave(n->env.net);
        if (s != NATS_OK) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "publisher c%u cannot connect: %s", c + 1,
                        natsStatus_GetText(s));
            return false;
        }
        pub_state(p, true);
    }
    for (uint32_t h = 0; h < n->n; h++) {
        struct nats_sub *s = &n->subs[h];
        *s = (struct nats_sub){ .n = n, .host = h, .incarnation = 1 };
        pthread_mutex_init(&s->lock, NULL);
        s->opts = options(n, &h, 1);
        natsOptions_SetDisconnectedCB(s->opts, sub_disconnected, s);
        natsOptions_SetReconnectedCB(s->opts, sub_reconnected, s);
        real_net_enter(n->env.net, h); /* the subscriber stands on its host's side */
        natsStatus st = natsConnection_Connect(&s->nc, s->opts);
        if (st == NATS_OK)
            st = sc->pubsub.queue_group
                     ? natsConnection_QueueSubscribe(&s->sub, s->nc, sc->pubsub.subscribe,
                                                     sc->pubsub.queue_group, on_message, s)
                     : natsConnection_Subscribe(&s->sub, s->nc, sc->pubsub.subscribe,
                                                on_message, s);
        real_net_leave(n->env.net);
        if (st == NATS_OK && sc->pubsub.sub_pending_msgs > 0)
            st = natsSubscription_SetPendingLimits(
                s->sub, (int)MIN(sc->pubsub.sub_pending_msgs, INT32_MAX), -1);
        if (st == NATS_OK)
            st = natsConnection_Flush(s->nc);
        if (st != NATS_OK) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "subscriber of %s cannot subscribe: %s",
                        sc->host_names[h], natsStatus_GetText(st));
            return false;
        }
        sub_state(s, true);
    }
    /* Interest must reach every server before the first publish counts as meant for all. */
    g_usleep(200 * 1000);
    return true;
}

void real_nats_publish(struct real_nats *n, uint32_t client, msg_id_t id)
{
    struct nats_pub *p = &n->pubs[client];
    struct trace_rec r = { .kind = TRACE_SUBMISSION, .model = n->env.nats_model, .host = -1 };
    r.u.submission.msg_id = id;
    r.u.submission.client = p->client;
    r.u.submission.host =
        natsConnection_Status(p->nc) == NATS_CONN_STATUS_CONNECTED ? host_of_connection(n, p->nc)
                                                                   : -1;
    real_log_add(n->env.log, &r);
    char payload[65536];
    size_t len = conform_payload(id, n->env.sc->workload.payload, payload, sizeof payload);
    natsStatus s = natsConnection_Publish(p->nc, n->env.sc->pubsub.subject, payload, (int)len);
    struct trace_rec o = { .kind = TRACE_OUTCOME, .model = n->env.nats_model, .host = -1 };
    o.u.outcome.msg_id = id;
    o.u.outcome.outcome = s == NATS_OK ? TRACE_OUTCOME_ACKED : TRACE_OUTCOME_REJECTED;
    real_log_add(n->env.log, &o);
}

void real_nats_free(struct real_nats *n)
{
    if (!n)
        return;
    if (n->pubs) {
        for (uint32_t c = 0; c < n->env.sc->workload.clients; c++) {
            natsConnection_Destroy(n->pubs[c].nc);
            natsOptions_Destroy(n->pubs[c].opts);
        }
    }
    for (uint32_t h = 0; h < n->n; h++) {
        struct nats_sub *s = &n->subs[h];
        if (s->n) {
            natsSubscription_Destroy(s->sub);
            natsConnection_Destroy(s->nc);
            natsOptions_Destroy(s->opts);
            pthread_mutex_destroy(&s->lock);
        }
    }
    for (uint32_t h = 0; h < n->n; h++) {
        real_proc_stop(&n->servers[h], 2000);
        real_proc_clear(&n->servers[h]);
    }
    if (n->library_open)
        nats_CloseAndWait(2000);
    g_free(n->pubs);
    g_free(n);
}
