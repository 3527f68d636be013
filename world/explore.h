/* explore.h: the fault schedule `zabsim explore` draws for a seed, on top of a scenario's
 * own faults (docs/bug-hunting.md).
 *
 * Swarm testing (Groce et al., ISSTA 2012): a seed first decides which of the fault kinds
 * the scenario's `explore:` allows are enabled at all, each with probability 1/2 (at least
 * one), then how many faults to draw (1..max_faults), and for each its kind among the
 * enabled ones, its target, and whether it fires at a time in [from, to] or on a protocol
 * event (triggers percent of them). Every crash and power-off is followed by a restart of
 * the hosts still down at `to`, every partition and isolation by a heal at `to`, so the
 * system can recover and show whether it did.
 *
 * The result is text: the scenario file with the seed and the drawn faults written into it,
 * which `zabsim run` reproduces exactly with no explore option. The draw depends only on
 * the scenario and the seed (its own random stream, "explore"), never on the run. */
#ifndef WORLD_EXPLORE_H
#define WORLD_EXPLORE_H

#include "world/scenario.h"

/* The drawn faults as YAML list items ("- {at: 2.5s, crash: leader}\n" ...); models is the
 * run's model set (leader and follower targets only when one of them has a leader). */
char *explore_draw_faults(const struct scenario *sc, unsigned models, uint64_t seed);
/* The concrete scenario file of seed: sc's text with the seed and the drawn faults; NULL with
 * err when sc's file cannot be edited line by line (scenario_text_with). */
char *explore_scenario_text(const struct scenario *sc, unsigned models, uint64_t seed,
                            GError **err);

#endif
