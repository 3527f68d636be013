/* verdict.h: the invariants of a run, checked by the oracles of its models (sim/oracle.h).
 *
 * A verdict is a recorder: hand it every record of a run in trace order, online (as one of
 * the simulation's recorders) or offline (`zabsim check` replays a results database), then
 * finish it for the violations found. The same oracles run either way, so a database and
 * the run that wrote it always agree. */
#ifndef WORLD_VERDICT_H
#define WORLD_VERDICT_H

#include "world/model.h"

struct verdict;

/* Oracles of every model in `models` (bits by model id) that has one, for hosts named
 * host_names[0 .. n_hosts). The names are borrowed until verdict_free. */
struct verdict *verdict_new(unsigned models, uint32_t n_hosts, const char *const *host_names);
struct recorder verdict_recorder(struct verdict *v);
/* Ends the trace and moves every violation into res (ordered by model, then invariant in
 * each model's order). Records after this are ignored. */
void verdict_finish(struct verdict *v, struct oracle_result *res);
void verdict_free(struct verdict *v);

#endif
