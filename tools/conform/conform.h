/* conform.h: `zabsim conform`'s real-system side. One real run starts a ZooKeeper ensemble
 * and a nats-server cluster on 127.0.0.1, or with one network namespace per host when the
 * scenario cuts links (one server of each per scenario host), drives them with the
 * scenario's workload through the official C clients, applies the scenario's faults to the
 * server processes (crash = SIGKILL, restart = relaunch, pause = SIGSTOP/SIGCONT) and to the
 * links between hosts (partition, isolate, heal),
 * and records what it observes as the trace records a simulated run emits, for the models
 * zab-real and pubsub-real. docs/fidelity.md says what is observed and how.
 *
 * Everything here reads the wall clock: real runs are not reproducible, and say so. Every
 * wait is bounded, and every process started is stopped before conform_real_run returns
 * (and, through PR_SET_PDEATHSIG, when zabsim itself dies). */
#ifndef TOOLS_CONFORM_H
#define TOOLS_CONFORM_H

#include "sim/trace.h"
#include "world/scenario.h"

#include <pthread.h>
#include <sys/types.h>

/* ---- the record buffer: what a real run observed, in the order it was observed -------- */

/* Most records one real run may keep (a struct trace_rec each, under 100 bytes, plus the
 * strings of faults): a bound so a run far longer than any conformance scenario fails with a
 * message instead of eating memory. */
#define REAL_LOG_MAX_RECORDS (4u * 1000u * 1000u)

struct real_log {
    pthread_mutex_t lock;
    int64_t t0_ns;          /* CLOCK_MONOTONIC at the run's t = 0 */
    GArray *recs;           /* struct trace_rec, strings in `strings` */
    GStringChunk *strings;
    bool overflowed;        /* REAL_LOG_MAX_RECORDS reached: later records were dropped */
    bool closed;            /* the run is over: what the shutdown causes is not recorded */
    uint32_t incarnation[SCENARIO_MAX_HOSTS]; /* of each host, 1-based */
};

void real_log_init(struct real_log *log);
void real_log_clear(struct real_log *log);
/* Ends recording: records added later are ignored. */
void real_log_close(struct real_log *log);
/* Nanoseconds since t0 on CLOCK_MONOTONIC. */
int64_t real_log_now(const struct real_log *log);
/* Stamps r with the current time and (for host >= 0) the host's incarnation, copies its
 * strings, and appends it; thread-safe. */
void real_log_add(struct real_log *log, struct trace_rec *r);

/* ---- the network between the servers (real_net.c) --------------------------------------- */

/* Where each host's servers listen and the clients on its side run. On loopback every host
 * is 127.0.0.1 and no link can be cut. With namespaces each host has a network namespace
 * and an address of its own on a bridge, and links between hosts can be cut and healed;
 * zabsim's own thread stays outside and reaches every host. */
struct real_net;

struct real_net *real_net_loopback(uint32_t hosts);
/* Needs root and iproute2's ip; false with a message saying which is missing. */
struct real_net *real_net_namespaces(uint32_t hosts, GError **err);
bool real_net_isolated(const struct real_net *n);
const char *real_net_addr(const struct real_net *n, uint32_t host);
/* The host's namespace, for a server process to enter; -1 on loopback. */
int real_net_ns_fd(const struct real_net *n, uint32_t host);
/* From enter to leave, the calling thread's new sockets, and the threads it starts, are on
 * the host's side of every cut. No-ops on loopback. */
void real_net_enter(struct real_net *n, uint32_t host);
void real_net_leave(struct real_net *n);
/* Hosts talk only to hosts with the same group number: links between different groups are
 * cut, every other link works (all groups equal: healed). */
bool real_net_set_sides(struct real_net *n, const int *group, GError **err);
/* Deletes the namespaces and the bridge. */
void real_net_free(struct real_net *n);

/* ---- server processes ------------------------------------------------------------------- */

struct real_proc {
    char *name;        /* "h1/zookeeper" */
    char **argv;       /* NULL-terminated, owned */
    char *log_path;    /* stdout and stderr go here */
    int netns_fd;      /* the namespace it runs in, or -1 for zabsim's own; set before start */
    pid_t pid;         /* 0 when not running */
    bool paused;
};

bool real_proc_start(struct real_proc *p, GError **err);
/* SIGKILL and reap; no-op when not running. */
void real_proc_kill(struct real_proc *p);
/* SIGTERM, then SIGKILL if it has not exited within grace_ms; reaps it. */
void real_proc_stop(struct real_proc *p, int grace_ms);
void real_proc_pause(struct real_proc *p, bool pause);
void real_proc_clear(struct real_proc *p);

/* ---- one real run ----------------------------------------------------------------------- */

/* The two real systems and their client drivers; tools/conform/real_zk.c and real_nats.c. */
struct real_zk;
struct real_nats;

struct real_env {
    const struct scenario *sc;
    struct real_log *log;
    const char *dir;        /* working directory of this run: configs, data, logs */
    struct real_net *net;   /* the hosts' addresses and sides */
    int port_base;          /* first of the ports this run uses (see conform_run.c) */
    model_id zab_model;     /* MODEL_ID_NONE when that system does not run */
    model_id nats_model;
    uint32_t rng_state;     /* for client server lists; seeded from the run number */
};

/* ZooKeeper: servers on clientPort port_base + 10 + h, quorum port_base + 20 + h, election
 * port_base + 30 + h. */
struct real_zk *real_zk_new(const struct real_env *env, GError **err);
bool real_zk_start_server(struct real_zk *z, uint32_t host, GError **err);
void real_zk_kill_server(struct real_zk *z, uint32_t host);
void real_zk_pause_server(struct real_zk *z, uint32_t host, bool pause);
/* Waits (at most timeout_ms) until a leader serves and every up server serves clients;
 * false otherwise. */
bool real_zk_wait_ready(struct real_zk *z, int timeout_ms, GError **err);
/* Connects the clients and the host subscribers (at most timeout_ms). */
bool real_zk_connect_clients(struct real_zk *z, int timeout_ms, GError **err);
/* The host that leads now, by the latest poll, or -1. */
int real_zk_leader(struct real_zk *z);
/* A random following host, or -1. */
int real_zk_follower(struct real_zk *z);
void real_zk_write(struct real_zk *z, uint32_t client, msg_id_t id);
/* The host restarted: its subscriber reads the log again from the start, as a simulated
 * host's subscriber replays it. */
void real_zk_host_restarted(struct real_zk *z, uint32_t host);
/* Writes at the scenario's rate for duration_ns, outside the recorded log (znodes under
 * /warmup), so that the JVMs have compiled their hot paths before the clock starts. */
bool real_zk_warm_up(struct real_zk *z, int64_t duration_ns, GError **err);
/* Log positions at which two hosts' subscribers read different messages (replicas that
 * diverged); 0 when every replica holds the same log. */
int64_t real_zk_divergences(struct real_zk *z);
/* Closes clients, stops every server. */
void real_zk_free(struct real_zk *z);

/* nats-server: client port port_base + 40 + h, route port port_base + 50 + h. */
struct real_nats *real_nats_new(const struct real_env *env, GError **err);
bool real_nats_start_server(struct real_nats *n, uint32_t host, GError **err);
void real_nats_kill_server(struct real_nats *n, uint32_t host);
void real_nats_pause_server(struct real_nats *n, uint32_t host, bool pause);
bool real_nats_wait_ready(struct real_nats *n, int timeout_ms, GError **err);
bool real_nats_connect_clients(struct real_nats *n, int timeout_ms, GError **err);
void real_nats_publish(struct real_nats *n, uint32_t client, msg_id_t id);
void real_nats_free(struct real_nats *n);

/* Parses "c3:17" (at the start of a payload) back into a message id; MSG_ID_NONE if not. */
msg_id_t conform_parse_msg_id(const char *data, size_t len);
/* The payload of a workload message: its id, padded with '.' to the scenario's size. */
size_t conform_payload(msg_id_t id, uint32_t payload_bytes, char *buf, size_t len);

/* Whether this machine has what a real run needs (java and the ZooKeeper jar, nats-server);
 * false with a message naming what is missing and how to install it. */
bool conform_tools_present(bool zab, bool nats, GError **err);

/* One real run of sc: starts the systems, runs the workload and faults, stops everything.
 * The records go to log; ends[h] receive each host's state at the end. *started says
 * whether the workload began: a run that fails before it observed nothing, and may be
 * tried again. */
struct conform_host_end {
    bool up;
    uint32_t incarnation;
};
bool conform_real_run(const struct scenario *sc, unsigned real_models, uint32_t run_number,
                      const char *work_dir, struct real_log *log, struct conform_host_end *ends,
                      int64_t *divergences, bool *started, GError **err);

/* Why sc cannot be run for real here (a fault this machine cannot produce), or NULL. The
 * message names the fault's FILE:LINE:COLUMN. */
char *conform_refusal(const struct scenario *sc);

#endif
