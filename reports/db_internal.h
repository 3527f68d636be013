/* db_internal.h: what the results-database modules (reports/db*.c, reports/check.c) share
 * and nothing outside reports/ should use: the private run state, the embedded SQL, error
 * helpers, and the in-memory messages and delivery sequences that the delivery-scale
 * measures work on. */
#ifndef REPORTS_DB_INTERNAL_H
#define REPORTS_DB_INTERNAL_H

#include "reports/check.h"
#include "reports/db.h"
#include "world/run_measures.h"
#include "world/verdict.h"

/* Generated from the reports/ SQL files by tools/embed.cmake. */
extern const char embedded_schema_sql[];
extern const char embedded_measures_sql[];
extern const char embedded_calibration_sql[];

/* The run_id of the only run in a private run database. */
#define DB_PRIVATE_RUN_ID 1

/* Statements the recorder keeps prepared, one per kind of row it writes. */
enum db_stmt {
    DB_INSERT_HOST_STATE = 0,
    DB_INSERT_SUBMISSION,
    DB_UPDATE_OUTCOME,
    DB_INSERT_DELIVERY,
    DB_INSERT_DROP,
    DB_INSERT_FAULT,
    DB_INSERT_MESSAGE,
    DB_INSERT_LIFE,
    DB_END_LIFE,
    DB_INSERT_CLIENT_STATE,
    DB_INSERT_RECIPE_HOLD,
    DB_INSERT_RESOURCE_WRITE,
    DB_INSERT_REGISTRY_VIEW,
    DB_STMT_COUNT
};

/* Most event types one model may declare (model_desc.n_events). */
#define DB_MODEL_EVENTS_MAX 16

/* Violations of one invariant of one model in a run. */
struct db_invariant_count {
    model_id model;
    const char *invariant; /* the oracle's (static) */
    int64_t count;
};

struct db_run {
    sqlite3 *db;          /* the private database; NULL once closed */
    char *target_path;
    char *private_path;
    char **host_names;    /* n_hosts names, NULL-terminated */
    uint32_t n_hosts;
    unsigned models;      /* the run's model set */
    sqlite3_stmt *stmt[DB_STMT_COUNT];
    sqlite3_stmt *event_stmt[MODELS_MAX][DB_MODEL_EVENTS_MAX]; /* models' record_sql */
    int64_t trace_seq;    /* records recorded so far: the next one's position */
    struct verdict *verdict; /* the run's oracles, fed every record */
    struct run_measures *measures; /* the run's measures, fed every record */
    enum db_record_level level;
    GString *deferred_indexes; /* CREATE INDEX statements, run by db_run_finish */
    GHashTable *pending_rows; /* (model, msg_id) -> GArray of int64 rowids of its submissions
                               * rows still pending, oldest first: where an outcome goes */
    uint32_t rows_in_transaction;
    GError *record_error; /* first failure while recording; db_run_finish reports it */
    int64_t violations;
    GArray *by_invariant;        /* struct db_invariant_count, as the oracles listed them */
    bool closed;          /* db_run_finish was called: later records are ignored */
    bool finished;        /* db_run_finish succeeded: the run may be committed */
};

/* A new file beside target for a private database, TARGET.tmp-PID-N (O_EXCL), after
 * deleting those of processes that no longer exist. */
char *db__claim_private_path(const char *target, GError **err);
/* fsync of a whole file, before it is published. */
bool db__sync_file(const char *path, GError **err);

enum db_publish_result {
    DB_PUBLISH_DONE,
    DB_PUBLISH_TARGET_EXISTS,
    DB_PUBLISH_FAILED,
};
/* Moves a finished private file to target if no target exists (never replacing one). */
enum db_publish_result db__publish_file(const char *private_path, const char *target_path,
                                        GError **err);
/* ATTACH path AS run. */
bool db__attach_run(sqlite3 *db, const char *path, GError **err);
/* The next free run_id of main.runs. */
bool db__next_run_id(sqlite3 *db, int64_t *run_id, GError **err);
/* Copies every table's rows of run from_run_id of the attached `run` into main under
 * run_id, in their original order. */
bool db__copy_run(sqlite3 *db, int64_t from_run_id, int64_t run_id, GError **err);

/* Applies schema.sql and every registered model's tables to a new database; with
 * deferred_indexes not NULL, schema.sql's CREATE INDEX statements go there instead (to be
 * run after the rows are written). */
bool db__create_schema(sqlite3 *db, GString *deferred_indexes, GError **err);
/* Writes res to the violations table of run 1 of a private database. */
bool db__write_violations(sqlite3 *db, const struct oracle_result *res, GError **err);

/* Sets err to "what: <SQLite's message>" (ZS_ERROR_IO). */
void db__set_error(GError **err, sqlite3 *db, const char *what);
/* Finalizes the prepared statements, closes the private database and deletes its file. */
void db__run_discard(struct db_run *r);
/* Frees r's memory (the database must be closed). */
void db__run_free(struct db_run *r);

/* ---- one model's delivery sequences, in memory ------------------------------------------
 *
 * The report's divergence section compares every host incarnation's delivery order with
 * every other's; over this structure, loaded once per model, instead of in SQL, where the
 * same question as correlated joins took half a minute on a million deliveries. A message is
 * a dense number, so per-message facts are array slots. */

struct db_seq_entry {
    int64_t t_ns;
    uint32_t msg;   /* message number */
};

/* One host incarnation's deliveries: entries [first, first + count), in seq order. */
struct db_seq_span {
    const char *host;
    uint32_t incarnation;
    size_t first, count;
};

struct db_seqs {
    const char *model;
    GArray *entries;      /* struct db_seq_entry, ordered by (host, incarnation, seq, rowid) */
    GArray *spans;        /* struct db_seq_span, in (host, incarnation) order */
    GPtrArray *msg_names; /* msg_id text by message number */
    GHashTable *ids;      /* msg_id text -> message number + 1 (lookups only) */
    GStringChunk *strings;
    /* Scratch for comparisons, one slot per message: pos[m] is the position of m's first
     * delivery in the span indexed last, valid when pos_mark[m] == pos_now; seen_mark[m] ==
     * seen_now marks messages already met in the span being walked. Marks with a generation
     * number make clearing the arrays free. */
    uint32_t *pos;
    uint32_t *pos_mark;
    uint32_t *seen_mark;
    uint32_t pos_now, seen_now;
};

static inline const struct db_seq_entry *db__seq_at(const struct db_seqs *s, size_t i)
{
    return &g_array_index(s->entries, struct db_seq_entry, i);
}

static inline const struct db_seq_span *db__seq_span_at(const struct db_seqs *s, size_t i)
{
    return &g_array_index(s->spans, struct db_seq_span, i);
}

static inline const char *db__seq_msg_name(const struct db_seqs *s, uint32_t msg)
{
    return g_ptr_array_index(s->msg_names, msg);
}

/* Loads the deliveries of one model of one run. */
bool db__seqs_load(sqlite3 *db, int64_t run_id, const char *model, struct db_seqs *s,
                  GError **err);
void db__seqs_clear(struct db_seqs *s);
/* The span holding entry i. */
const struct db_seq_span *db__seqs_span_of(const struct db_seqs *s, size_t i);

/* Two host incarnations x < y that deliver the same two messages in opposite orders (first
 * occurrences); the indices are entries. */
struct db_seq_inversion {
    size_t x, y;
    size_t x_first, x_second; /* in x: x_first before x_second */
    size_t y_first, y_second; /* in y: the same two messages, the other way round */
};

/* The first inversion of every pair of spans that has one, ordered by (x, y): walking x's
 * deliveries, the first message whose position in y is below the previous common one. */
GArray *db__seqs_inversions(struct db_seqs *s);

/* ---- the measures (db_measure.c) ------------------------------------------------------ */

/* Writes the measures of run 1 of a private database (struct measure_model, one per model,
 * from run_measures_finish) as its run_summary_data, host_summary and catchups rows. */
bool db__write_measures(sqlite3 *db, const GArray *models, const char *const *host_names,
                        GError **err);

#endif
