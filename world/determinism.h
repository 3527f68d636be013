/* determinism.h: `zabsim run --check-determinism`. One scenario and seed must process the
 * same events in the same order with the same records, run after run: the simulator keeps
 * a digest over every event and record (sim_digest). The first run keeps the digest after
 * each event; a second run, writing nothing, compares as it goes and notes the first event
 * where the two part; only then a third run finds what the first one did at that index, so
 * both sides can be shown (index, simulated time, kind of event, machine), as FoundationDB's
 * simulator does. */
#ifndef WORLD_DETERMINISM_H
#define WORLD_DETERMINISM_H

#include "world/scenario.h"
#include "world/world.h"

/* Digests kept per run, 8 bytes each (512 MB): past it only the event count and the final
 * digest are compared, and the report says so. */
#define DETERMINISM_MAX_EVENTS (64u * 1000u * 1000u)

struct determinism;

struct determinism *determinism_new(void);
void determinism_free(struct determinism *d);
/* The observer of the first run (sim_set_event_observer; ctx = the struct determinism). */
void determinism_record(void *ctx, const struct sim_event_note *note);
/* Runs the same world again, and compares. true when both runs processed the same events
 * with the same digests; report gets a line either way (several when they part). */
bool determinism_verify(struct determinism *d, const struct scenario *sc, uint64_t seed,
                        unsigned models, bool log_messages, GString *report);

/* Compares two recorded runs directly; the index of the first event where they part, or
 * -1 when they are the same (for tests, and used by determinism_verify). */
int64_t determinism_first_difference(const struct determinism *a, const struct determinism *b);

#endif
