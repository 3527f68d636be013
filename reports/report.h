/* report.h: `zabsim report`, the human view of a results database (README.md, Commands).
 *
 * Three renderings of one run, all read-only and deterministic (the same database gives the
 * same bytes; nothing depends on the wall clock, the locale or the file's path):
 *   - text (report_text.c): scenario, faults, ZAB state changes, both models' summary, drops
 *     by cause, the first delivery-order divergence, and a per-seed table for sweeps;
 *   - HTML (report_html.c and the figure modules): one self-contained page with SVG charts;
 *   - trace (report_trace.c): Chrome/Perfetto trace-event JSON, one track per host and model.
 * The command line is tools/cmd_report.c; docs/report.md describes every figure. */
#ifndef REPORTS_REPORT_H
#define REPORTS_REPORT_H

#include <sqlite3.h>
#include <stdio.h>

#include "sim/zs.h"

/* A span of simulated time [start_ns, end_ns). */
struct rep_window {
    sim_time start_ns, end_ns;
};

struct rep_options {
    int64_t run_id;           /* the run to report; 0 means the newest */
    unsigned models;          /* the models to show (bits by model id); 0: all of the run's */
    bool window_set;          /* window was given (--window); else each output picks one */
    struct rep_window window; /* space-time diagram and trace: only this span */
};

/* Parses "START..END" (durations with ns/us/ms/s/m suffixes, START < END), e.g.
 * "2.9s..3.1s". On failure returns false with err (ZS_ERROR_INPUT) saying why. */
bool rep_parse_window(const char *text, struct rep_window *w, GError **err);

/* Each renderer resolves opts->run_id itself and fails with ZS_ERROR_INPUT when the run does
 * not exist (or the database holds none), with ZS_ERROR_IO on a database or file error, and
 * with ZS_ERROR_INPUT when the window lies outside the run or the run simulated none of
 * opts->models. */

/* Writes the text report to out. */
bool rep_text(sqlite3 *db, const struct rep_options *opts, FILE *out, GError **err);
/* Writes the HTML report to path (through path.tmp, renamed when complete). */
bool rep_html(sqlite3 *db, const struct rep_options *opts, const char *path, GError **err);
/* Writes the trace-event JSON to path (through path.tmp, renamed when complete). */
bool rep_trace(sqlite3 *db, const struct rep_options *opts, const char *path, GError **err);

#endif
