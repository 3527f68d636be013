/* conform_run.c: one real run of a scenario (conform.h): the servers, the workload at the
 * scenario's rate, the faults at the scenario's times, and what was observed.
 *
 * Time 0 of a real run is the moment both systems serve, every client is connected and
 * ZooKeeper has taken CONFORM_WARMUP_NS of writes: the servers' own start-up and warm-up
 * happen before it and are not compared (the simulated hosts start at
 * t = 0 and elect a leader in about a second; docs/fidelity.md). */
#include "tools/conform/conform.h"

#include "world/model.h"
#include "world/units.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Bounds on every wait of a real run. */
#define CONFORM_READY_MS 60000   /* servers up and a leader serving */
#define CONFORM_CONNECT_MS 30000 /* clients connected */
/* The JVM interprets before it compiles: a cold ZooKeeper answers writes in 0.5-1.5 s where
 * a warm one takes milliseconds. The ensemble takes writes this long before t = 0. */
#define CONFORM_WARMUP_NS (5 * SIM_S)
/* The real clients build each payload in a buffer of this size. */
#define CONFORM_MAX_PAYLOAD 65536
/* Longest cut between hosts a real run takes: libnats (PingInterval 2 min, MaxPingsOut 2)
 * finds a connection stale after 4 minutes without pongs, and reconnects from its timer
 * thread, which is not on any host's side of the cut (real_net.c). */
#define CONFORM_MAX_CUT_NS (240 * SIM_S)
/* Ports a run uses: port_base + 10 .. port_base + 59 (at most this many hosts). */
#define CONFORM_MAX_HOSTS 9
#define CONFORM_PORT_SPAN 60

msg_id_t conform_parse_msg_id(const char *data, size_t len)
{
    char buf[32];
    size_t n = MIN(len, sizeof buf - 1);
    if (!data || n == 0)
        return MSG_ID_NONE;
    memcpy(buf, data, n);
    buf[n] = '\0';
    unsigned client, seq;
    if (sscanf(buf, "c%u:%u", &client, &seq) != 2 || client == 0 || seq == 0)
        return MSG_ID_NONE;
    return msg_id_make(client, seq);
}

size_t conform_payload(msg_id_t id, uint32_t payload_bytes, char *buf, size_t len)
{
    char text[24];
    msg_id_format(id, text, sizeof text);
    size_t n = strlen(text);
    size_t want = MAX((size_t)payload_bytes, n + 1);
    want = MIN(want, len);
    memset(buf, '.', want);
    memcpy(buf, text, MIN(n, want));
    if (n < want)
        buf[n] = ' ';
    return want;
}

static bool on_path(const char *prog)
{
    char *p = g_find_program_in_path(prog);
    bool found = p != NULL;
    g_free(p);
    return found;
}

bool conform_tools_present(bool zab, bool nats, GError **err)
{
    GString *missing = g_string_new(NULL);
    if (zab && !on_path("java"))
        g_string_append(missing, " java (apt-get install default-jre-headless)");
    if (zab && !g_file_test("/usr/share/java/zookeeper.jar", G_FILE_TEST_EXISTS))
        g_string_append(missing, " /usr/share/java/zookeeper.jar (apt-get install zookeeper)");
    if (nats && !on_path("nats-server"))
        g_string_append(missing, " nats-server (apt-get install nats-server)");
    bool ok = missing->len == 0;
    if (!ok)
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT, "a real run needs what is missing here:%s",
                    missing->str);
    g_string_free(missing, TRUE);
    return ok;
}

char *conform_refusal(const struct scenario *sc)
{
    if (sc->hosts > CONFORM_MAX_HOSTS)
        return g_strdup_printf("%s: a real run takes at most %d hosts (this one has %u)",
                               sc->path, CONFORM_MAX_HOSTS, sc->hosts);
    if (sc->workload.payload > CONFORM_MAX_PAYLOAD)
        return g_strdup_printf("%s: a real run sends payloads of at most %d bytes (this one "
                               "asks for %u)",
                               sc->path, CONFORM_MAX_PAYLOAD, sc->workload.payload);
    if (sc->n_recipes > 0)
        return g_strdup_printf("%s:%d:%d: a real run has no coordination recipes (recipe:)",
                               sc->path, sc->recipes[0].line, sc->recipes[0].column);
    for (guint i = 0; i < sc->faults->len; i++) {
        const struct scenario_fault *f = &g_array_index(sc->faults, struct scenario_fault, i);
        const char *why = NULL;
        if (f->on.event != TRIGGER_NONE)
            return g_strdup_printf("%s:%d:%d: a real run cannot fire a fault on a protocol "
                                   "event ('on'): it does not see inside the servers",
                                   sc->path, f->line, f->column);
        if (f->target.n_clients > 0 || f->target.kind == SCENARIO_TARGET_HOLDER)
            return g_strdup_printf("%s:%d:%d: a real run faults servers only, not client "
                                   "machines", sc->path, f->line, f->column);
        switch (f->kind) {
        case TRACE_FAULT_CRASH:
        case TRACE_FAULT_RESTART:
        case TRACE_FAULT_PAUSE:
            break;
        case TRACE_FAULT_POWER_OFF:
            why = "a power failure loses what the disk had not synced; a process on this "
                  "machine cannot be made to lose its page cache";
            break;
        case TRACE_FAULT_PARTITION:
        case TRACE_FAULT_ISOLATE:
        case TRACE_FAULT_HEAL:
            break; /* in network namespaces (real_net.c) */
        case TRACE_FAULT_SLOW_LINK:
            why = "slowing one direction of one link needs a traffic-control delay on it, and "
                  "this kernel has no traffic-control filter actions to pick the link out";
            break;
        case TRACE_FAULT_SLOW_DISK:
            why = "slowing one server's disk needs a device-mapper delay target, which "
                  "zabsim conform does not set up";
            break;
        default:
            why = "this fault has no real counterpart";
            break;
        }
        if (!why && (f->kind == TRACE_FAULT_PARTITION || f->kind == TRACE_FAULT_ISOLATE)) {
            sim_time until = sc->duration;
            for (guint j = i + 1; j < sc->faults->len; j++) {
                const struct scenario_fault *g =
                    &g_array_index(sc->faults, struct scenario_fault, j);
                if (g->kind == TRACE_FAULT_HEAL) {
                    until = g->at;
                    break;
                }
            }
            if (until - f->at >= CONFORM_MAX_CUT_NS)
                why = "a cut of 4 minutes or more lets the NATS C client find its connection "
                      "stale and reconnect from its library's timer thread, which stands on "
                      "no host's side; conform takes shorter cuts";
        }
        if (why)
            return g_strdup_printf("%s:%d:%d: %s cannot be reproduced on real servers: %s",
                                   sc->path, f->line, f->column, fault_kind_name(f->kind), why);
    }
    return NULL;
}

/* A base port with every port of the run free on 127.0.0.1 (bound and released here; a
 * server starting later may still lose a race for it, and then fails to start with a
 * message in its log). */
static int pick_port_base(uint32_t run_number)
{
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = 20000 + (int)(((uint32_t)getpid() * 7u + run_number * 131u + (uint32_t)attempt * 977u) %
                                 400u) * 100;
        bool free_all = true;
        for (int p = base + 10; p < base + CONFORM_PORT_SPAN && free_all; p++) {
            int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)p) };
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            free_all = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            if (fd >= 0)
                close(fd);
        }
        if (free_all)
            return base;
    }
    return -1;
}

/* Whether sc cuts links: then every host runs in a network namespace of its own. */
static bool cuts_links(const struct scenario *sc)
{
    for (guint i = 0; i < sc->faults->len; i++) {
        enum fault_kind k = g_array_index(sc->faults, struct scenario_fault, i).kind;
        if (k == TRACE_FAULT_PARTITION || k == TRACE_FAULT_ISOLATE || k == TRACE_FAULT_HEAL)
            return true;
    }
    return false;
}

struct conform_world {
    const struct scenario *sc;
    struct real_log *log;
    struct real_net *net;
    struct real_zk *zk;
    struct real_nats *nats;
    bool up[SCENARIO_MAX_HOSTS];
    int64_t resume_at_ns[SCENARIO_MAX_HOSTS]; /* paused until; -1 when not paused */
    uint32_t rng;
};

static void host_life(struct conform_world *w, uint32_t h, bool up, enum fault_kind cause)
{
    struct trace_rec r = { .kind = TRACE_HOST_LIFE, .model = MODEL_ID_NONE, .host = (int32_t)h };
    r.incarnation = w->log->incarnation[h];
    r.u.life.up = up;
    r.u.life.cause = cause;
    real_log_add(w->log, &r);
}

static void record_fault(struct conform_world *w, enum fault_kind kind, const char *target,
                         const char *detail)
{
    struct trace_rec r = { .kind = TRACE_FAULT, .model = MODEL_ID_NONE, .host = -1 };
    r.u.fault.kind = kind;
    r.u.fault.target = target;
    r.u.fault.detail = detail;
    real_log_add(w->log, &r);
}

static bool start_host(struct conform_world *w, uint32_t h, GError **err)
{
    w->up[h] = true;
    w->resume_at_ns[h] = -1;
    if (w->zk && !real_zk_start_server(w->zk, h, err))
        return false;
    if (w->nats && !real_nats_start_server(w->nats, h, err))
        return false;
    return true;
}

/* The hosts a fault target names now; n = 0 when none. */
static uint32_t resolve(struct conform_world *w, const struct scenario_target *t, uint32_t *out)
{
    uint32_t n = 0;
    switch (t->kind) {
    case SCENARIO_TARGET_HOSTS:
        for (uint32_t i = 0; i < t->n_hosts; i++)
            out[n++] = t->hosts[i];
        break;
    case SCENARIO_TARGET_LEADER: {
        int h = w->zk ? real_zk_leader(w->zk) : -1;
        if (h >= 0)
            out[n++] = (uint32_t)h;
        break;
    }
    case SCENARIO_TARGET_FOLLOWER: {
        int h = w->zk ? real_zk_follower(w->zk) : -1;
        if (h >= 0)
            out[n++] = (uint32_t)h;
        break;
    }
    case SCENARIO_TARGET_RANDOM: {
        uint32_t up[SCENARIO_MAX_HOSTS], k = 0;
        for (uint32_t h = 0; h < w->sc->hosts; h++) {
            if (w->up[h])
                up[k++] = h;
        }
        if (k) {
            w->rng = w->rng * 1103515245u + 12345u;
            out[n++] = up[(w->rng >> 8) % k];
        }
        break;
    }
    case SCENARIO_TARGET_CRASHED:
        for (uint32_t h = 0; h < w->sc->hosts; h++) {
            if (!w->up[h])
                out[n++] = h;
        }
        break;
    case SCENARIO_TARGET_ALL:
    case SCENARIO_TARGET_EVENT_HOST: /* refused: conform_refusal */
    case SCENARIO_TARGET_HOLDER:
        break;
    }
    return n;
}

static bool apply_fault(struct conform_world *w, const struct scenario_fault *f, GError **err)
{
    uint32_t hosts[SCENARIO_MAX_HOSTS];
    uint32_t n = resolve(w, &f->target, hosts);
    GString *names = g_string_new(NULL);
    for (uint32_t i = 0; i < n; i++)
        g_string_append_printf(names, "%s%s", i ? "," : "", w->sc->host_names[hosts[i]]);
    bool ok = true;
    if (f->kind == TRACE_FAULT_PARTITION || f->kind == TRACE_FAULT_HEAL) {
        int group[SCENARIO_MAX_HOSTS] = { 0 };
        GString *sides = g_string_new(NULL);
        if (f->kind == TRACE_FAULT_PARTITION) {
            memcpy(group, f->group, sizeof group);
            scenario_describe_groups(w->sc, group, sides); /* "h1,h2 | h3" */
        }
        record_fault(w, f->kind, f->kind == TRACE_FAULT_HEAL ? "all" : sides->str, "");
        ok = real_net_set_sides(w->net, group, err);
        g_string_free(sides, TRUE);
    } else if (n == 0) {
        record_fault(w, f->kind, "", "no host matched the target");
    } else if (f->kind == TRACE_FAULT_CRASH) {
        record_fault(w, f->kind, names->str, "SIGKILL");
        for (uint32_t i = 0; i < n; i++) {
            uint32_t h = hosts[i];
            if (!w->up[h])
                continue;
            if (w->zk)
                real_zk_kill_server(w->zk, h);
            if (w->nats)
                real_nats_kill_server(w->nats, h);
            w->up[h] = false;
            host_life(w, h, false, TRACE_FAULT_CRASH);
        }
    } else if (f->kind == TRACE_FAULT_RESTART) {
        record_fault(w, f->kind, names->str, "relaunch");
        for (uint32_t i = 0; i < n && ok; i++) {
            uint32_t h = hosts[i];
            if (w->up[h])
                continue;
            pthread_mutex_lock(&w->log->lock);
            w->log->incarnation[h]++;
            pthread_mutex_unlock(&w->log->lock);
            host_life(w, h, true, TRACE_FAULT_RESTART);
            ok = start_host(w, h, err);
            if (ok && w->zk)
                real_zk_host_restarted(w->zk, h);
        }
    } else if (f->kind == TRACE_FAULT_ISOLATE) {
        int group[SCENARIO_MAX_HOSTS] = { 0 };
        group[hosts[0]] = 1;
        GString *sides = g_string_new(NULL);
        scenario_describe_groups(w->sc, group, sides);
        record_fault(w, f->kind, names->str, sides->str);
        ok = real_net_set_sides(w->net, group, err);
        g_string_free(sides, TRUE);
    } else if (f->kind == TRACE_FAULT_PAUSE) {
        char detail[64];
        char dur[32];
        units_format_duration_short(f->duration, dur, sizeof dur);
        g_snprintf(detail, sizeof detail, "SIGSTOP for %s", dur);
        record_fault(w, f->kind, names->str, detail);
        for (uint32_t i = 0; i < n; i++) {
            uint32_t h = hosts[i];
            if (!w->up[h])
                continue;
            if (w->zk)
                real_zk_pause_server(w->zk, h, true);
            if (w->nats)
                real_nats_pause_server(w->nats, h, true);
            w->resume_at_ns[h] = real_log_now(w->log) + f->duration;
        }
    }
    g_string_free(names, TRUE);
    return ok;
}

static void resume_due(struct conform_world *w, int64_t now)
{
    for (uint32_t h = 0; h < w->sc->hosts; h++) {
        if (w->resume_at_ns[h] < 0 || w->resume_at_ns[h] > now)
            continue;
        w->resume_at_ns[h] = -1;
        if (w->zk)
            real_zk_pause_server(w->zk, h, false);
        if (w->nats)
            real_nats_pause_server(w->nats, h, false);
    }
}

/* Moves t = 0 to now: what happened before (start-up) is stamped 0. */
static void rebase(struct real_log *log)
{
    pthread_mutex_lock(&log->lock);
    int64_t shift = real_log_now(log);
    log->t0_ns += shift;
    for (guint i = 0; i < log->recs->len; i++)
        g_array_index(log->recs, struct trace_rec, i).t_ns = 0;
    pthread_mutex_unlock(&log->lock);
}

static bool run_workload(struct conform_world *w, GError **err)
{
    const struct scenario *sc = w->sc;
    uint32_t nc = sc->workload.clients;
    int64_t *next_ns = g_new0(int64_t, MAX(nc, 1));
    uint32_t *seq = g_new0(uint32_t, MAX(nc, 1));
    int64_t interval = sc->workload.rate > 0 ? (int64_t)llround(1e9 / sc->workload.rate) : 0;
    for (uint32_t c = 0; c < nc; c++) {
        w->rng = w->rng * 1103515245u + 12345u;
        next_ns[c] = interval > 0 ? sc->workload.start + (int64_t)((w->rng >> 4) % (uint64_t)interval)
                                  : INT64_MAX;
    }
    guint fault = 0;
    bool ok = true;
    for (;;) {
        int64_t now = real_log_now(w->log);
        if (now >= sc->duration)
            break;
        resume_due(w, now);
        while (ok && fault < sc->faults->len &&
               g_array_index(sc->faults, struct scenario_fault, fault).at <= now)
            ok = apply_fault(w, &g_array_index(sc->faults, struct scenario_fault, fault++), err);
        if (!ok)
            break;
        int64_t wake = sc->duration;
        for (uint32_t c = 0; c < nc; c++) {
            while (next_ns[c] <= now && next_ns[c] < sc->workload.stop) {
                msg_id_t id = msg_id_make(c + 1, ++seq[c]);
                if (w->zk)
                    real_zk_write(w->zk, c, id);
                if (w->nats)
                    real_nats_publish(w->nats, c, id);
                next_ns[c] += interval;
            }
            if (next_ns[c] < sc->workload.stop)
                wake = MIN(wake, next_ns[c]);
        }
        if (fault < sc->faults->len)
            wake = MIN(wake, g_array_index(sc->faults, struct scenario_fault, fault).at);
        for (uint32_t h = 0; h < sc->hosts; h++) {
            if (w->resume_at_ns[h] >= 0)
                wake = MIN(wake, w->resume_at_ns[h]);
        }
        int64_t sleep_ns = MIN(wake - real_log_now(w->log), 5 * SIM_MS);
        if (sleep_ns > 0)
            g_usleep((gulong)(sleep_ns / 1000));
    }
    g_free(next_ns);
    g_free(seq);
    return ok;
}

bool conform_real_run(const struct scenario *sc, unsigned real_models, uint32_t run_number,
                      const char *work_dir, struct real_log *log, struct conform_host_end *ends,
                      int64_t *divergences, bool *started, GError **err)
{
    *started = false;
    int zab_id = -1, nats_id = -1;
    for (model_id id = 0; id < model_count(); id++) {
        if (!(real_models & (1u << id)))
            continue;
        const char *of = model_get(id)->real_of;
        if (of && strcmp(of, "zab") == 0)
            zab_id = id;
        else if (of && strcmp(of, "pubsub") == 0)
            nats_id = id;
    }
    int base = pick_port_base(run_number);
    if (base < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "no free range of %d ports on 127.0.0.1",
                    CONFORM_PORT_SPAN);
        return false;
    }
    struct real_net *net = cuts_links(sc) ? real_net_namespaces(sc->hosts, err)
                                          : real_net_loopback(sc->hosts);
    if (!net)
        return false;
    struct real_env env = { .sc = sc, .log = log, .dir = work_dir, .net = net, .port_base = base,
                            .zab_model = zab_id >= 0 ? (model_id)zab_id : MODEL_ID_NONE,
                            .nats_model = nats_id >= 0 ? (model_id)nats_id : MODEL_ID_NONE,
                            .rng_state = 2463534242u + run_number * 2654435761u };
    struct conform_world w = { .sc = sc, .log = log, .net = net,
                               .rng = env.rng_state ^ 0x9e3779b9u };
    bool ok = true;
    if (zab_id >= 0)
        ok = (w.zk = real_zk_new(&env, err)) != NULL;
    if (ok && nats_id >= 0)
        ok = (w.nats = real_nats_new(&env, err)) != NULL;
    for (uint32_t h = 0; ok && h < sc->hosts; h++) {
        host_life(&w, h, true, TRACE_FAULT_RESTART);
        ok = start_host(&w, h, err);
    }
    if (ok && w.zk)
        ok = real_zk_wait_ready(w.zk, CONFORM_READY_MS, err);
    if (ok && w.nats)
        ok = real_nats_wait_ready(w.nats, CONFORM_READY_MS, err);
    if (ok && w.zk)
        ok = real_zk_connect_clients(w.zk, CONFORM_CONNECT_MS, err);
    if (ok && w.nats)
        ok = real_nats_connect_clients(w.nats, CONFORM_CONNECT_MS, err);
    if (ok && w.zk)
        ok = real_zk_warm_up(w.zk, CONFORM_WARMUP_NS, err);
    *started = ok;
    if (ok) {
        rebase(log);
        ok = run_workload(&w, err);
    }
    for (uint32_t h = 0; h < sc->hosts; h++)
        ends[h] = (struct conform_host_end){ .up = w.up[h], .incarnation = log->incarnation[h] };
    *divergences = w.zk ? real_zk_divergences(w.zk) : 0;
    /* The run ends here: the clients' and servers' shutdown is not part of it. */
    real_log_close(log);
    real_zk_free(w.zk);
    real_nats_free(w.nats);
    real_net_free(net); /* after the servers in it have stopped */
    if (ok && log->overflowed) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO,
                    "the run observed more than %u records; shorten the scenario",
                    REAL_LOG_MAX_RECORDS);
        ok = false;
    }
    return ok;
}
