/* calibration.h: how close the simulation comes to the real systems. A results database
 * that holds real runs (models zab-real and pubsub-real, written by `zabsim conform`) and
 * simulated runs of the same scenario gets a calibration table: for each measure of
 * reports/calibration.sql, the median over the simulated runs against the median over the
 * real ones, and whether they agree within a tight band (±20 %) and a wide one (±50 %).
 * docs/fidelity.md explains the measures and the bands. */
#ifndef REPORTS_CALIBRATION_H
#define REPORTS_CALIBRATION_H

#include <sqlite3.h>
#include <stdbool.h>

#include "sim/zs.h"

/* Agreement bands, as fractions of the real median. */
#define CALIBRATION_TIGHT_BAND 0.20
#define CALIBRATION_WIDE_BAND 0.50
/* Counts of messages also agree within this many: whether a message was in flight at the
 * instant of a kill is down to microseconds. */
#define CALIBRATION_COUNT_SLACK 2

struct calibration_outcome {
    int rows;         /* measures compared */
    int tight;        /* of which within the tight band */
    int outside_wide; /* on both sides, outside the wide band */
    int one_sided;    /* present on one side only, a qualitative difference: say, a new
                       * leader in the simulation and none in reality */
};

/* Appends the calibration tables of every scenario in db that has real runs (nothing when
 * there are none); markdown: a Markdown table instead of aligned text. */
bool calibration_render(sqlite3 *db, bool markdown, GString *out,
                        struct calibration_outcome *outcome, GError **err);

#endif
