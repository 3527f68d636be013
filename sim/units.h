/* units.h: the value syntax of scenario files (CONTRACT.md section 2): durations with ns,
 * us, ms, s, m suffixes; sizes with B, KiB, MiB, GiB; rates N/s, N/ms or "unlimited".
 * Every parser rejects negative values, missing or unknown units, trailing garbage and
 * overflow, and says which in the error text. */
#ifndef SIM_UNITS_H
#define SIM_UNITS_H

#include "sim/zs.h"

/* "2.5ms" -> 2500000. Fractions are allowed down to whole nanoseconds. */
bool units_parse_duration(const char *text, sim_time *out, char **error);
/* "8MiB" -> 8388608. */
bool units_parse_size(const char *text, uint64_t *out, char **error);
/* "200/s" -> 200.0, "2/ms" -> 2000.0; "unlimited" -> 0.0. */
bool units_parse_rate(const char *text, double *out, char **error);
/* Formats ns for humans: "1.5s", "250ms", "12us", "7ns". */
void units_format_duration(sim_time ns, char *buf, size_t len);

#endif
