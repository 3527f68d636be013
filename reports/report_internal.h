/* report_internal.h: what the report modules (reports/report*.c) share and nothing else
 * should use: the run being reported, small query helpers, the ZAB state intervals, the
 * run_summary measures, the first delivery-order divergence, the sweep a run belongs to,
 * time formatting and atomic output files.
 *
 * Every query orders its rows completely, so each rendering is a pure function of the
 * database. Text that comes from the database is never trusted to be well formed: NULLs read
 * as "" and renderers escape what they print. */
#ifndef REPORTS_REPORT_INTERNAL_H
#define REPORTS_REPORT_INTERNAL_H

#include "reports/report.h"
#include "world/model.h"
#include "world/summary_columns.h"
#include "world/units.h"

/* ---- the run ---------------------------------------------------------------------------- */

/* Models are indexed by their registry id (world/model.h) everywhere in the report, so that
 * the report's layout never names one: every table column, plot line and legend entry is a
 * loop over the run's models, and a model's colour is the CSS class rep__model_class() of
 * its id on every figure. */
#define REP_MODELS MODELS_MAX

/* The model a column value names, or -1 for anything else. */
int rep__model_of(const char *name);
const char *rep__model_name(int m);  /* "zab" (the column value) */
const char *rep__model_label(int m); /* "ZAB" (for people) */
const char *rep__model_class(int m); /* "m0": its colour in every figure */
const char *rep__model_colour(int m); /* "#2563eb": that colour */
/* Whether the model promises one delivery order (it has invariants): reports show its order
 * as the one every host keeps, and its disagreements as violations. */
bool rep__model_ordered(int m);

/* Violations a report loads and shows (zabsim check lists them all). */
#define REP_VIOLATIONS_LOADED 20

struct rep_fault {
    sim_time t_ns;
    char *kind, *target, *detail; /* never NULL */
};

/* An invariant violation of the run, placed in time: the latest `..._ns=` of its evidence,
 * the moment its proof was complete. */
struct rep_violation {
    sim_time t_ns;                       /* -1 when the evidence names no time */
    char *label, *detail, *evidence;     /* "zab.agreement"; never NULL */
};

struct rep_run {
    int64_t run_id;
    char *scenario, *description, *scenario_path, *model, *verdict, *version; /* never NULL */
    uint64_t seed;
    sim_time duration_ns;
    bool has[REP_MODELS];      /* the run simulated this model (by registry id) */
    GPtrArray *host_names;     /* char *, in host_index order */
    GPtrArray *client_names;   /* char *, c1, c2, ... in number order */
    GArray *faults;            /* struct rep_fault, by time then recording order */
    GArray *violations;        /* struct rep_violation, the first REP_VIOLATIONS_LOADED */
    int64_t runs_of_scenario;  /* runs in the database with this scenario name (a sweep: > 1) */
    bool first_failure;        /* chosen by default as the sweep's first failing seed */
    bool per_message;          /* recorded at outcomes level or above: it has per-message rows */
};

/* What a report says in place of a section built from per-message rows, for a run recorded
 * at summary level (a sweep's passing seeds). */
#define REP_NOT_RECORDED "not recorded: the run was recorded at summary level (zabsim run " \
                         "--record outcomes keeps every submission, delivery and drop)"

/* Loads run `requested`; 0: the newest run or, when its scenario was swept and some seed
 * failed, the failing run with the lowest seed. Fails with ZS_ERROR_INPUT when there is no
 * such run. */
bool rep__run_load(sqlite3 *db, int64_t requested, struct rep_run *run, GError **err);
void rep__run_clear(struct rep_run *run);
/* Applies opts to a loaded run: keeps only the models it asks for (run->has) and checks
 * that a window given lies within the run; ZS_ERROR_INPUT when the run has none of those
 * models or the window reaches past its end. */
bool rep__run_check(struct rep_run *run, const struct rep_options *opts, GError **err);
/* Index of a host in run->host_names, or -1. */
int rep__host_index(const struct rep_run *run, const char *host);

/* ---- queries ---------------------------------------------------------------------------- */

/* Prepares sql and binds :run_id when the statement uses it. NULL with err on failure. */
sqlite3_stmt *rep__prepare(sqlite3 *db, const char *sql, int64_t run_id, GError **err);
/* Bind a named parameter if the statement uses it. */
void rep__bind_int(sqlite3_stmt *st, const char *name, int64_t value);
void rep__bind_str(sqlite3_stmt *st, const char *name, const char *value);
/* Finalizes st; false with err when its last step failed. */
bool rep__done(sqlite3 *db, sqlite3_stmt *st, GError **err);
/* A text column, "" when NULL. */
const char *rep__col_str(sqlite3_stmt *st, int col);

/* ---- host states as intervals ------------------------------------------------------------ */

struct rep_state_span {
    int model;                /* registry id */
    int host;                 /* index in run->host_names */
    int64_t incarnation, epoch;
    sim_time start_ns, end_ns; /* end: the host's next state row, or the end of the run */
    int state_index;          /* in the model's vocabulary; 0 is down */
    char state[16];           /* ZAB: DOWN, LOOKING, FOLLOWING, LEADING */
    char phase[24];           /* ZAB: ELECTION ... BROADCAST; "" when down */
};

/* The host_states rows of the run as intervals, by model, host, then time (rows naming
 * hosts or models the run does not list are skipped). */
bool rep__state_spans(sqlite3 *db, const struct rep_run *run, GArray **spans, GError **err);
/* True for a span of a leader serving: the model's leader state in its serving phase. */
bool rep__span_is_leading(const struct rep_state_span *s);
/* True for a span in the model's serving phase (or any up state without one). */
bool rep__span_is_serving(const struct rep_state_span *s);

/* ---- run_summary ------------------------------------------------------------------------ */

/* The measures are world/summary_columns.h's, in its order. */
#define REP_N_MEASURES SUMMARY_COLUMNS_COUNT

/* One run's run_summary rows; has[m][k] is false for NULL or for a model without a row. */
struct rep_summary {
    int64_t value[REP_MODELS][REP_N_MEASURES];
    bool has[REP_MODELS][REP_N_MEASURES];
};

bool rep__summary_load(sqlite3 *db, int64_t run_id, struct rep_summary *s, GError **err);
/* "model, submitted, acked, ...": the run_summary columns in summary_columns order, after
 * the model (static storage). */
const char *rep__summary_columns_sql(void);

/* Stores a row of run_summary read as rep__summary_columns_sql() from column col on. */
void rep__summary_add_row(struct rep_summary *s, sqlite3_stmt *st, int col);
/* "1234", "4.165957158s" (exact, as `zabsim run` prints), or "-" when absent. */
void rep__format_measure(const struct rep_summary *s, int m, int k, char *buf, size_t len);

/* ---- the runs of a sweep ---------------------------------------------------------------- */

struct rep_sweep_run {
    int64_t run_id;
    uint64_t seed;
    char *verdict;        /* "pass", "fail" or "" */
    char *reproduce;      /* `zabsim run PATH --seed N` */
    char *first_violation; /* "invariant: detail" of its first violation row, or "" */
    struct rep_summary summary;
};

/* Every run of run->scenario in run_id order (struct rep_sweep_run). */
bool rep__sweep_load(sqlite3 *db, const struct rep_run *run, GArray **runs, GError **err);
void rep__sweep_free(GArray *runs);

/* ---- the first delivery-order divergence ------------------------------------------------ */

/* How one host incarnation ordered the messages chosen to show a divergence. */
struct rep_order {
    char *label;       /* "h2#1" */
    GPtrArray *msgs;   /* char *, the chosen messages it delivered, in its order */
};

#define REP_ORDER_MSGS 8 /* messages shown around the first divergence */

/* A model that promises one order (rep__model_ordered): that order of the chosen messages,
 * and where its hosts disagree anyway. */
struct rep_ordered {
    int model;
    GPtrArray *order;      /* char *, the chosen messages it delivered, in its order */
    int64_t split_seq;     /* first seq where its hosts hold different messages, 0 if none */
    GPtrArray *split;      /* char *, "h1#1 c1:5" for each holder of that seq */
};

struct rep_divergence {
    /* Models without an order promise: whether their host incarnations disagree on the
     * order of some pair; the first one that does is shown in detail. */
    bool diverges[REP_MODELS];
    bool found;            /* some model diverged: the fields below describe the first */
    int model;             /* that model */
    sim_time t_ns;         /* when both orders had been delivered */
    char *first, *second;  /* in_order_at delivered first before second, reversed_at not */
    char *in_order_at, *reversed_at;
    GPtrArray *msgs;       /* char *, the chosen messages in in_order_at's order */
    GPtrArray *orders;     /* struct rep_order *, its host incarnations, by host */
    GPtrArray *ordered;    /* struct rep_ordered *, every ordered model of the run */
};

bool rep__divergence_load(sqlite3 *db, const struct rep_run *run, struct rep_divergence *d,
                         GError **err);
void rep__divergence_clear(struct rep_divergence *d);

/* ---- formatting and output -------------------------------------------------------------- */

#define REP_TIME_LEN 32

/* text itself, or when it is not valid UTF-8 a copy with the bad bytes replaced (kept in
 * *owned for the caller to g_free), so every output stays well formed. */
const char *rep__valid_utf8(const char *text, char **owned);

/* Opens path.tmp for writing. */
FILE *rep__output_open(const char *path, GError **err);
/* Closes f; when ok and every write succeeded renames path.tmp to path, else removes it. */
bool rep__output_close(FILE *f, const char *path, bool ok, GError **err);

#endif
