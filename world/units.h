/* units.h: the value syntax of scenario files (docs/scenarios.md): durations with ns,
 * us, ms, s, m suffixes; sizes with B, KiB, MiB, GiB; rates N/s, N/ms or "unlimited".
 * Every parser rejects negative values, missing or unknown units, trailing garbage and
 * overflow, and says which in the error text.
 *
 * Numbers are decimal: digits, optionally a fraction ("0.5ms", "1.5KiB"), no sign, no
 * exponent, no spaces. Durations and sizes are exact: the value must come out as a whole
 * number of nanoseconds or bytes. A plain "0" needs no unit for durations and sizes.
 *
 * On failure a parser leaves *out unchanged and, when error is not NULL, stores a newly
 * allocated message (free with g_free) that describes the problem without repeating the
 * text, so a caller can prefix it with the key and the value. */
#ifndef WORLD_UNITS_H
#define WORLD_UNITS_H

#include "sim/zs.h"

/* The fastest rate accepted: one message per simulated nanosecond. */
#define UNITS_RATE_MAX_PER_S 1e9

/* "2.5ms" -> 2500000. Fractions are allowed down to whole nanoseconds. */
bool units_parse_duration(const char *text, sim_time *out, char **error);
/* "8MiB" -> 8388608. */
bool units_parse_size(const char *text, uint64_t *out, char **error);
/* "200/s" -> 200.0, "2/ms" -> 2000.0; "unlimited" -> 0.0. At most UNITS_RATE_MAX_PER_S. */
bool units_parse_rate(const char *text, double *out, char **error);
/* Formats ns for humans: "1.5s", "250ms", "12us", "7ns", "0s". Exact (as many decimals as
 * needed), so units_parse_duration() reads every result back to the same value. buf gets
 * at most len bytes; 32 always suffice. */
void units_format_duration(sim_time ns, char *buf, size_t len);
/* For people, not parsers: about three significant digits ("444ms", "8.53ms", "4.17s"). */
void units_format_duration_short(sim_time ns, char *buf, size_t len);

#endif
