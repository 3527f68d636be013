/* triggers.h: faults that fire on protocol events (a scenario fault's `on:`,
 * docs/scenarios.md "Triggers").
 *
 * The world shows every event a trigger can wait for (state changes and deliveries from the
 * trace, messages and disk operations from the simulator's watcher); triggers counts the
 * ones each triggered fault's filters match and, on the count-th, says the fault is due,
 * with the host the event happened on and a line describing the event for the faults
 * table. Each trigger fires once. Events on clients' machines (no host) never match. */
#ifndef WORLD_TRIGGERS_H
#define WORLD_TRIGGERS_H

#include "world/scenario.h"

/* One event, as the world saw it. Names are borrowed for the call. */
struct trigger_seen {
    enum trigger_event event;
    model_id model;
    int32_t host;       /* where it happened; -1: a client's machine */
    int32_t peer;       /* send, receive: the other end's host, -1 for a client or none */
    const char *type;   /* send, receive: message type */
    const char *state;  /* state: the state and phase entered (NULL: none) */
    const char *phase;
    bool entered_state; /* state: the state differs from the host's previous one */
    bool entered_phase; /* state: the phase differs */
};

/* Whether host holds a symbolic role (leader, follower) in model now. */
typedef bool (*trigger_holds_fn)(void *ctx, model_id model, enum target_kind kind,
                                 uint32_t host);
/* The fault at index (of sc->faults) is due `after` from now; host is the event's. */
typedef void (*trigger_due_fn)(void *ctx, guint index, uint32_t host, sim_time after);

struct triggers;

/* NULL when sc has no triggered fault. */
struct triggers *triggers_new(const struct scenario *sc, trigger_holds_fn holds,
                              trigger_due_fn due, void *ctx);
void triggers_free(struct triggers *t);
/* Counts e against every trigger still waiting; calls due for those it completes. */
void triggers_observe(struct triggers *t, const struct trigger_seen *e, sim_time now_ns);
/* "on send ACK by h2 to h1 (the 1st) at 2.345678s": what fired fault index; NULL when it
 * has not fired. */
const char *triggers_fired_by(const struct triggers *t, guint index);
/* Whether some trigger waits for messages or disk operations: the world asks the simulator
 * to show them only then. */
bool triggers_watch_simulator(const struct triggers *t);

#endif
