/* db_run.c: recording one run into its private database: db_run_create, the recorder that
 * turns trace records into rows (those its recording level keeps) while feeding every
 * record to the run's oracles and measures, db_run_finish (runs and hosts rows, measures,
 * violations, then the indexes) and db_run_abort. Publishing the finished file is
 * reports/db_commit.c.
 *
 * The private file belongs to this run alone and is thrown away on any failure, so it is
 * written without a journal or fsyncs, under an exclusive lock, in transactions of
 * DB_ROWS_PER_COMMIT rows, and its indexes are built only once the rows are in. A
 * recording error cannot be returned through the recorder interface; the first one is kept
 * and stops recording, and db_run_finish reports it. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "reports/check.h"
#include "reports/db_internal.h"

/* Rows per transaction while recording: commits are cheap without a journal, and bounded
 * transactions keep SQLite's dirty pages, hence memory, bounded. */
#define DB_ROWS_PER_COMMIT 50000
/* Names tried for the private file before giving up (stale files of crashed runs whose
 * process id came round again take some). */
#define DB_PRIVATE_NAME_ATTEMPTS 1000

static const char *const stmt_sql[DB_STMT_COUNT] = {
    [DB_INSERT_HOST_STATE] =
        "INSERT INTO host_states (run_id, trace_seq, model, t_ns, host, incarnation, state, "
        "phase, epoch) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [DB_INSERT_SUBMISSION] =
        "INSERT INTO submissions (run_id, trace_seq, model, msg_id, client, client_seq, host, "
        "submitted_ns, outcome) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, 'pending')",
    /* The row: the message's oldest pending submission (pending_rows). */
    [DB_UPDATE_OUTCOME] =
        "UPDATE submissions SET outcome = ?3, outcome_ns = ?4, outcome_seq = ?5 "
        "WHERE rowid = ?1",
    [DB_INSERT_DELIVERY] =
        "INSERT INTO deliveries (run_id, trace_seq, model, host, incarnation, seq, msg_id, zxid, "
        "replayed, delivered_ns) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [DB_INSERT_DROP] =
        "INSERT INTO drops (run_id, trace_seq, model, msg_id, host, t_ns, cause, detail) "
        "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [DB_INSERT_FAULT] =
        "INSERT INTO faults (run_id, trace_seq, t_ns, kind, target, detail) "
        "VALUES (1, ?1, ?2, ?3, ?4, ?5)",
    [DB_INSERT_MESSAGE] =
        "INSERT INTO messages (run_id, trace_seq, model, type, src, dst, sent_ns, recv_ns, "
        "lost_reason, msg_id) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    [DB_INSERT_LIFE] =
        "INSERT INTO host_lives (run_id, trace_seq, host, incarnation, started_ns) "
        "VALUES (1, ?1, ?2, ?3, ?4)",
    [DB_END_LIFE] =
        "UPDATE host_lives SET ended_ns = ?4, ended_seq = ?1, ended_by = ?5 "
        "WHERE run_id = 1 AND host = ?2 AND incarnation = ?3",
    [DB_INSERT_CLIENT_STATE] =
        "INSERT INTO client_states (run_id, trace_seq, model, t_ns, client, up, host) "
        "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)",
    [DB_INSERT_RECIPE_HOLD] =
        "INSERT INTO recipe_holds (run_id, trace_seq, model, recipe, t_ns, client, holding, "
        "reason, token) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [DB_INSERT_RESOURCE_WRITE] =
        "INSERT INTO resource_writes (run_id, trace_seq, model, recipe, t_ns, client, token, "
        "accepted) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [DB_INSERT_REGISTRY_VIEW] =
        "INSERT INTO registry_views (run_id, trace_seq, model, recipe, t_ns, observer, instance, "
        "listed) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7)",
};

/* ---- the private file ------------------------------------------------------------------ */

/* Deletes the private files beside target that runs killed before they could publish or
 * discard them left behind: TARGET.tmp-PID-N where no process PID exists any more. A file
 * of a live process (a run in progress, or a process that took the dead one's id) stays. */
static void remove_stale_private_files(const char *target)
{
    char *dir = g_path_get_dirname(target);
    char *base = g_path_get_basename(target);
    char *prefix = g_strconcat(base, ".tmp-", NULL);
    size_t prefix_len = strlen(prefix);
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *name; d && (name = g_dir_read_name(d));) {
        long pid = 0;
        int n = 0;
        char rest = 0;
        if (strncmp(name, prefix, prefix_len) != 0 ||
            sscanf(name + prefix_len, "%ld-%d%c", &pid, &n, &rest) != 2 || pid <= 0 ||
            pid == (long)getpid())
            continue;
        if (kill((pid_t)pid, 0) == 0 || errno != ESRCH)
            continue;
        char *path = g_build_filename(dir, name, NULL);
        g_unlink(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_free(prefix);
    g_free(base);
    g_free(dir);
}

/* Creates an unused file name beside target (O_EXCL, so two runs never share one), after
 * clearing away what killed runs left there. */
char *db__claim_private_path(const char *target, GError **err)
{
    static gint counter;
    remove_stale_private_files(target);
    for (int i = 0; i < DB_PRIVATE_NAME_ATTEMPTS; i++) {
        char *path = g_strdup_printf("%s.tmp-%ld-%d", target, (long)getpid(),
                                     g_atomic_int_add(&counter, 1));
        int fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL, 0666);
        if (fd >= 0) {
            close(fd);
            return path;
        }
        int e = errno;
        g_free(path);
        if (e != EEXIST) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: cannot create a file beside it: %s",
                        target, g_strerror(e));
            return NULL;
        }
    }
    g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: no free name for a private run file", target);
    return NULL;
}

const char *db_record_level_name(enum db_record_level level)
{
    static const char *const names[] = { "summary", "outcomes", "messages" };
    ZS_ASSERT((unsigned)level < G_N_ELEMENTS(names));
    return names[level];
}

bool db_record_level_parse(const char *text, enum db_record_level *level)
{
    for (enum db_record_level l = DB_RECORD_SUMMARY; l <= DB_RECORD_MESSAGES; l++) {
        if (g_strcmp0(text, db_record_level_name(l)) == 0) {
            *level = l;
            return true;
        }
    }
    return false;
}

/* Whether a statement's text, after blanks and -- comments, begins with prefix. */
static bool statement_starts_with(const char *sql, const char *prefix)
{
    for (;;) {
        while (g_ascii_isspace(*sql))
            sql++;
        if (sql[0] != '-' || sql[1] != '-')
            break;
        sql = strchr(sql, '\n');
        if (!sql)
            return false;
    }
    return g_ascii_strncasecmp(sql, prefix, strlen(prefix)) == 0;
}

/* Runs a schema script statement by statement; with indexes not NULL, its CREATE INDEX
 * statements are appended there instead, to run once the rows are in. */
static bool apply_schema(sqlite3 *db, const char *name, const char *sql, GString *indexes,
                         GError **err)
{
    for (const char *next = sql; *next;) {
        sqlite3_stmt *st = NULL;
        if (sqlite3_prepare_v2(db, next, -1, &st, &next) != SQLITE_OK) {
            db__set_error(err, db, name);
            return false;
        }
        if (!st) /* only comments or blanks were left */
            break;
        int rc = SQLITE_DONE;
        if (indexes && statement_starts_with(sqlite3_sql(st), "CREATE INDEX"))
            g_string_append_printf(indexes, "%s;\n", sqlite3_sql(st));
        else
            while ((rc = sqlite3_step(st)) == SQLITE_ROW)
                ;
        sqlite3_finalize(st);
        if (rc != SQLITE_DONE) {
            db__set_error(err, db, name);
            return false;
        }
    }
    return true;
}

bool db__create_schema(sqlite3 *db, GString *deferred_indexes, GError **err)
{
    if (!apply_schema(db, "schema.sql", embedded_schema_sql, deferred_indexes, err))
        return false;
    /* A model's own indexes are built at once: its record SQL may look its rows up (a ZAB
     * commit finds its proposal). */
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        if (d->schema_sql && !apply_schema(db, d->name, d->schema_sql, NULL, err))
            return false;
    }
    return true;
}

static bool prepare_events(struct db_run *r, GError **err)
{
    for (model_id id = 0; id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        ZS_ASSERT(d->n_events <= DB_MODEL_EVENTS_MAX);
        for (size_t t = 1; t < d->n_events; t++) {
            if (sqlite3_prepare_v3(r->db, d->events[t].record_sql, -1,
                                   SQLITE_PREPARE_PERSISTENT, &r->event_stmt[id][t],
                                   NULL) != SQLITE_OK) {
                db__set_error(err, r->db, d->events[t].name);
                return false;
            }
        }
    }
    return true;
}

/* An empty private database, schema applied and its deferred indexes set aside, made once
 * per process and then copied into each run's file: parsing the schema was a tenth of a
 * short run. Never freed; guarded for sweeps' worker threads. */
static GMutex template_lock;
static unsigned char *template_bytes;
static sqlite3_int64 template_len;
static char *template_indexes;

static bool private_template(GError **err)
{
    g_mutex_lock(&template_lock);
    bool ok = template_bytes != NULL;
    if (!ok) {
        sqlite3 *mem = NULL;
        GString *indexes = g_string_new(NULL);
        ok = sqlite3_open(":memory:", &mem) == SQLITE_OK &&
             db__create_schema(mem, indexes, err);
        if (ok) {
            template_bytes = sqlite3_serialize(mem, "main", &template_len, 0);
            ok = template_bytes != NULL;
            if (!ok)
                db__set_error(err, mem, "copying the empty schema");
        }
        if (ok)
            template_indexes = g_strdup(indexes->str);
        g_string_free(indexes, TRUE);
        sqlite3_close(mem);
    }
    g_mutex_unlock(&template_lock);
    return ok;
}

/* Writes the template into the (empty, claimed) private file. */
static bool write_template(const char *path, GError **err)
{
    if (!private_template(err))
        return false;
    int fd = g_open(path, O_WRONLY | O_TRUNC, 0);
    bool ok = fd >= 0;
    for (sqlite3_int64 done = 0; ok && done < template_len;) {
        ssize_t n = write(fd, template_bytes + done, (size_t)(template_len - done));
        if (n < 0 && errno == EINTR)
            continue;
        ok = n > 0;
        done += ok ? n : 0;
    }
    int e = errno;
    if (fd >= 0 && close(fd) != 0 && ok) {
        e = errno;
        ok = false;
    }
    if (!ok)
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: cannot write: %s", path, g_strerror(e));
    return ok;
}

/* The bound of a run's SQLite page cache and sorter memory, in KB (open_private). */
#define PRIVATE_CACHE_KB 4096

static bool open_private(struct db_run *r, GError **err)
{
    if (!write_template(r->private_path, err))
        return false;
    if (sqlite3_open_v2(r->private_path, &r->db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: cannot open: %s", r->private_path,
                    r->db ? sqlite3_errmsg(r->db) : "out of memory");
        return false;
    }
    /* No journal and no fsync: the file is discarded on failure, and db_commit.c syncs it
     * once before publishing. The page cache and the sorter that builds the indexes are
     * capped at PRIVATE_CACHE_KB, spilling to files beyond it, so that a long run's memory
     * does not grow with its rows: 4 MB was as fast as 64 MB on leader_crash and took the
     * 200,000-write run at outcomes level from 172 MB to 92 MB (bench/bench_scale.c). */
    static const char setup[] = "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                                "PRAGMA locking_mode = EXCLUSIVE; "
                                "PRAGMA cache_size = -" G_STRINGIFY(PRIVATE_CACHE_KB) "; "
                                "PRAGMA temp_store = FILE;";
    /* Indexes are built once the rows are in: cheaper than keeping them up to date. */
    r->deferred_indexes = g_string_new(template_indexes);
    if (!db_exec(r->db, "setup", setup, 0, err) || !db_exec(r->db, "begin", "BEGIN", 0, err))
        return false;
    for (int i = 0; i < DB_STMT_COUNT; i++) {
        if (sqlite3_prepare_v3(r->db, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT, &r->stmt[i],
                               NULL) != SQLITE_OK) {
            db__set_error(err, r->db, "preparing the recorder");
            return false;
        }
    }
    return prepare_events(r, err);
}

static void finalize_statements(struct db_run *r)
{
    for (int i = 0; i < DB_STMT_COUNT; i++) {
        sqlite3_finalize(r->stmt[i]);
        r->stmt[i] = NULL;
    }
    for (int m = 0; m < MODELS_MAX; m++) {
        for (int t = 0; t < DB_MODEL_EVENTS_MAX; t++) {
            sqlite3_finalize(r->event_stmt[m][t]);
            r->event_stmt[m][t] = NULL;
        }
    }
}

void db__run_discard(struct db_run *r)
{
    finalize_statements(r);
    if (r->db) {
        sqlite3_close(r->db);
        r->db = NULL;
    }
    if (r->private_path)
        g_unlink(r->private_path);
}

void db__run_free(struct db_run *r)
{
    verdict_free(r->verdict);
    run_measures_free(r->measures);
    if (r->deferred_indexes)
        g_string_free(r->deferred_indexes, TRUE);
    if (r->pending_rows)
        g_hash_table_destroy(r->pending_rows);
    if (r->by_invariant)
        g_array_free(r->by_invariant, TRUE);
    g_free(r->target_path);
    g_free(r->private_path);
    g_strfreev(r->host_names);
    g_clear_error(&r->record_error);
    g_free(r);
}

/* A message of a model, keying pending_rows. */
struct pending_key {
    msg_id_t msg_id;
    model_id model;
};

static guint pending_key_hash(gconstpointer p)
{
    const struct pending_key *k = p;
    uint64_t h = (uint64_t)k->msg_id * 0x9e3779b97f4a7c15ULL ^ k->model;
    return (guint)(h ^ (h >> 32));
}

static gboolean pending_key_equal(gconstpointer a, gconstpointer b)
{
    const struct pending_key *p = a, *q = b;
    return p->msg_id == q->msg_id && p->model == q->model;
}

static void free_rows(gpointer a)
{
    g_array_free(a, TRUE);
}

struct db_run *db_run_create(const char *target_path, const char *const *host_names,
                             uint32_t n_hosts, unsigned models, enum db_record_level level,
                             GError **err)
{
    ZS_ASSERT(models != 0 && (models & ~(model_all() | model_real_set())) == 0);
    /* Fail before the simulation runs, not after, when the target cannot take the run. */
    if (g_file_test(target_path, G_FILE_TEST_EXISTS)) {
        sqlite3 *target = db_open(target_path, true, err);
        if (!target)
            return NULL;
        sqlite3_close(target);
    }
    struct db_run *r = g_new0(struct db_run, 1);
    r->target_path = g_strdup(target_path);
    r->n_hosts = n_hosts;
    r->models = models;
    r->level = level;
    r->host_names = g_new0(char *, n_hosts + 1);
    for (uint32_t i = 0; i < n_hosts; i++)
        r->host_names[i] = g_strdup(host_names[i]);
    r->verdict = verdict_new(models, n_hosts, (const char *const *)r->host_names);
    r->measures = run_measures_new(models, n_hosts);
    r->pending_rows = g_hash_table_new_full(pending_key_hash, pending_key_equal, g_free,
                                            free_rows);
    r->by_invariant = g_array_new(FALSE, FALSE, sizeof(struct db_invariant_count));
    r->private_path = db__claim_private_path(target_path, err);
    if (!r->private_path || !open_private(r, err)) {
        db__run_discard(r);
        db__run_free(r);
        return NULL;
    }
    return r;
}

/* ---- the recorder ---------------------------------------------------------------------- */

static bool bind_host(struct db_run *r, sqlite3_stmt *st, int col, int32_t host, bool required,
                      GError **err)
{
    if (host < 0 && !required) {
        sqlite3_bind_null(st, col);
        return true;
    }
    if (host < 0 || (uint32_t)host >= r->n_hosts) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                    "trace record names host %d; the run has %u hosts", host, r->n_hosts);
        return false;
    }
    sqlite3_bind_text(st, col, r->host_names[host], -1, SQLITE_STATIC);
    return true;
}

static void bind_msg(sqlite3_stmt *st, int col, msg_id_t id)
{
    if (id == MSG_ID_NONE) {
        sqlite3_bind_null(st, col);
        return;
    }
    char buf[24];
    msg_id_format(id, buf, sizeof buf);
    sqlite3_bind_text(st, col, buf, -1, SQLITE_TRANSIENT);
}

/* A string that outlives the statement's next step: a model's or a fault kind's name. */
static void bind_static(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, col);
}

/* Strings in records are borrowed for the call only, hence SQLITE_TRANSIENT. */
static void bind_text(sqlite3_stmt *st, int col, const char *s)
{
    if (s)
        sqlite3_bind_text(st, col, s, -1, SQLITE_TRANSIENT);
    else
        sqlite3_bind_null(st, col);
}

/* The model of a record, which must be one of the run's. */
static const struct model_desc *record_model(struct db_run *r, const struct trace_rec *t,
                                             GError **err)
{
    if (t->model >= model_count() || !(r->models & (1u << t->model))) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                    "trace record of kind %d names model %u, which the run does not simulate",
                    (int)t->kind, t->model);
        return NULL;
    }
    return model_get(t->model);
}

static bool step(struct db_run *r, sqlite3_stmt *st, GError **err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, r->db, "recording the run");
        return false;
    }
    return true;
}

static bool record_state(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    const char *state = d->state_name ? d->state_name(t->u.state.state) : NULL;
    if (!state) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "%s records state %u, which it does not "
                    "name", d->name, t->u.state.state);
        return false;
    }
    sqlite3_stmt *st = r->stmt[DB_INSERT_HOST_STATE];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    sqlite3_bind_int64(st, 3, t->t_ns);
    if (!bind_host(r, st, 4, t->host, true, err))
        return false;
    sqlite3_bind_int64(st, 5, t->incarnation);
    bind_text(st, 6, state);
    bind_text(st, 7, d->phase_name ? d->phase_name(t->u.state.phase) : NULL);
    sqlite3_bind_int64(st, 8, t->u.state.epoch);
    return step(r, st, err);
}

static bool record_submission(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_SUBMISSION];
    char client[16];
    g_snprintf(client, sizeof client, "c%u", t->u.submission.client);
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    bind_msg(st, 3, t->u.submission.msg_id);
    bind_text(st, 4, client);
    sqlite3_bind_int64(st, 5, msg_id_seq(t->u.submission.msg_id));
    if (!bind_host(r, st, 6, t->u.submission.host, false, err))
        return false;
    sqlite3_bind_int64(st, 7, t->t_ns);
    if (!step(r, st, err))
        return false;
    struct pending_key key = { .msg_id = t->u.submission.msg_id, .model = t->model };
    GArray *rows = g_hash_table_lookup(r->pending_rows, &key);
    if (!rows) {
        rows = g_array_new(FALSE, FALSE, sizeof(int64_t));
        g_hash_table_insert(r->pending_rows, g_memdup2(&key, sizeof key), rows);
    }
    int64_t rowid = sqlite3_last_insert_rowid(r->db);
    g_array_append_val(rows, rowid);
    return true;
}

static bool record_outcome(struct db_run *r, const struct trace_rec *t, GError **err)
{
    if (t->u.outcome.outcome == TRACE_OUTCOME_PENDING) /* not definitive: nothing to record */
        return true;
    if (!record_model(r, t, err))
        return false;
    /* The first definitive outcome wins; a message offered twice gets outcomes in order;
     * one with no submission pending changes nothing. */
    struct pending_key key = { .msg_id = t->u.outcome.msg_id, .model = t->model };
    GArray *rows = g_hash_table_lookup(r->pending_rows, &key);
    if (!rows)
        return true;
    int64_t rowid = g_array_index(rows, int64_t, 0);
    g_array_remove_index(rows, 0);
    if (rows->len == 0)
        g_hash_table_remove(r->pending_rows, &key);
    sqlite3_stmt *st = r->stmt[DB_UPDATE_OUTCOME];
    sqlite3_bind_int64(st, 1, rowid);
    bind_text(st, 3, outcome_name(t->u.outcome.outcome));
    sqlite3_bind_int64(st, 4, t->t_ns);
    sqlite3_bind_int64(st, 5, r->trace_seq);
    return step(r, st, err);
}

static bool record_delivery(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_DELIVERY];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    if (!bind_host(r, st, 3, t->host, true, err))
        return false;
    sqlite3_bind_int64(st, 4, t->incarnation);
    sqlite3_bind_int64(st, 5, (int64_t)t->u.delivery.seq);
    bind_msg(st, 6, t->u.delivery.msg_id);
    if (t->u.delivery.log_id != TRACE_NO_LOG_ID)
        sqlite3_bind_int64(st, 7, t->u.delivery.log_id);
    else
        sqlite3_bind_null(st, 7);
    sqlite3_bind_int(st, 8, t->u.delivery.replayed);
    sqlite3_bind_int64(st, 9, t->t_ns);
    return step(r, st, err);
}

static bool record_drop(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    const char *cause = d->drop_cause_name ? d->drop_cause_name(t->u.drop.cause) : NULL;
    if (!cause) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "%s records drop cause %u, which it does "
                    "not name", d->name, t->u.drop.cause);
        return false;
    }
    sqlite3_stmt *st = r->stmt[DB_INSERT_DROP];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    bind_msg(st, 3, t->u.drop.msg_id);
    if (!bind_host(r, st, 4, t->u.drop.meant_for, false, err))
        return false;
    sqlite3_bind_int64(st, 5, t->t_ns);
    bind_text(st, 6, cause);
    bind_text(st, 7, t->u.drop.detail);
    return step(r, st, err);
}

static bool record_life(struct db_run *r, const struct trace_rec *t, GError **err)
{
    sqlite3_stmt *st = r->stmt[t->u.life.up ? DB_INSERT_LIFE : DB_END_LIFE];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    if (!bind_host(r, st, 2, t->host, true, err))
        return false;
    sqlite3_bind_int64(st, 3, t->incarnation);
    sqlite3_bind_int64(st, 4, t->t_ns);
    if (!t->u.life.up)
        bind_text(st, 5, fault_kind_name(t->u.life.cause));
    return step(r, st, err);
}

static bool record_client_state(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_CLIENT_STATE];
    char client[16];
    g_snprintf(client, sizeof client, "c%u", t->u.client.client);
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    sqlite3_bind_int64(st, 3, t->t_ns);
    bind_text(st, 4, client);
    sqlite3_bind_int(st, 5, t->u.client.up);
    return bind_host(r, st, 6, t->u.client.up ? t->u.client.host : -1, false, err) &&
           step(r, st, err);
}

static bool record_hold(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_RECIPE_HOLD];
    char client[16];
    g_snprintf(client, sizeof client, "c%u", t->u.hold.client);
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    sqlite3_bind_int(st, 3, t->u.hold.recipe);
    sqlite3_bind_int64(st, 4, t->t_ns);
    bind_text(st, 5, client);
    sqlite3_bind_int(st, 6, t->u.hold.holding);
    bind_static(st, 7, hold_reason_name((enum hold_reason)t->u.hold.reason));
    sqlite3_bind_int64(st, 8, t->u.hold.token);
    return step(r, st, err);
}

static bool record_resource_write(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_RESOURCE_WRITE];
    char client[16];
    g_snprintf(client, sizeof client, "c%u", t->u.resource.client);
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    sqlite3_bind_int(st, 3, t->u.resource.recipe);
    sqlite3_bind_int64(st, 4, t->t_ns);
    bind_text(st, 5, client);
    sqlite3_bind_int64(st, 6, t->u.resource.token);
    sqlite3_bind_int(st, 7, t->u.resource.accepted);
    return step(r, st, err);
}

static bool record_view(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_REGISTRY_VIEW];
    char observer[16], instance[16];
    g_snprintf(observer, sizeof observer, "c%u", t->u.view.observer);
    g_snprintf(instance, sizeof instance, "c%u", t->u.view.instance);
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    sqlite3_bind_int(st, 3, t->u.view.recipe);
    sqlite3_bind_int64(st, 4, t->t_ns);
    bind_text(st, 5, observer);
    bind_text(st, 6, instance);
    sqlite3_bind_int(st, 7, t->u.view.listed);
    return step(r, st, err);
}

static bool record_fault(struct db_run *r, const struct trace_rec *t, GError **err)
{
    sqlite3_stmt *st = r->stmt[DB_INSERT_FAULT];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    sqlite3_bind_int64(st, 2, t->t_ns);
    bind_text(st, 3, fault_kind_name(t->u.fault.kind));
    bind_text(st, 4, t->u.fault.target);
    bind_text(st, 5, t->u.fault.detail);
    return step(r, st, err);
}

static bool record_message(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    sqlite3_stmt *st = r->stmt[DB_INSERT_MESSAGE];
    sqlite3_bind_int64(st, 1, r->trace_seq);
    bind_static(st, 2, d->name);
    bind_text(st, 3, t->u.message.type);
    bind_text(st, 4, t->u.message.src);
    bind_text(st, 5, t->u.message.dst);
    sqlite3_bind_int64(st, 6, t->u.message.sent_ns);
    if (t->u.message.recv_ns == -1)
        sqlite3_bind_null(st, 7);
    else
        sqlite3_bind_int64(st, 7, t->u.message.recv_ns);
    bind_text(st, 8, msg_loss_name(t->u.message.loss));
    bind_msg(st, 9, t->u.message.msg_id);
    return step(r, st, err);
}

/* Binds the named parameters a model's record_sql may use (model.h). */
static bool bind_event(struct db_run *r, sqlite3_stmt *st, const struct trace_rec *t,
                       GError **err)
{
    int n = sqlite3_bind_parameter_count(st);
    for (int i = 1; i <= n; i++) {
        const char *name = sqlite3_bind_parameter_name(st, i);
        if (!name)
            continue;
        if (strcmp(name, ":run_id") == 0)
            sqlite3_bind_int64(st, i, DB_PRIVATE_RUN_ID);
        else if (strcmp(name, ":trace_seq") == 0)
            sqlite3_bind_int64(st, i, r->trace_seq);
        else if (strcmp(name, ":t_ns") == 0)
            sqlite3_bind_int64(st, i, t->t_ns);
        else if (strcmp(name, ":host") == 0) {
            if (!bind_host(r, st, i, t->host, false, err))
                return false;
        } else if (strcmp(name, ":incarnation") == 0)
            sqlite3_bind_int64(st, i, t->incarnation);
        else if (strcmp(name, ":msg_id") == 0)
            bind_msg(st, i, t->u.event.msg_id);
        else if (strcmp(name, ":a") == 0)
            sqlite3_bind_int64(st, i, t->u.event.a);
        else if (strcmp(name, ":b") == 0)
            sqlite3_bind_int64(st, i, t->u.event.b);
        else if (strcmp(name, ":flag") == 0)
            sqlite3_bind_int(st, i, t->u.event.flag);
        else {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "event SQL uses unknown parameter %s",
                        name);
            return false;
        }
    }
    return true;
}

static bool record_event(struct db_run *r, const struct trace_rec *t, GError **err)
{
    const struct model_desc *d = record_model(r, t, err);
    if (!d)
        return false;
    if (t->u.event.type == 0 || t->u.event.type >= d->n_events) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "%s records event type %u, which it does "
                    "not declare", d->name, t->u.event.type);
        return false;
    }
    sqlite3_stmt *st = r->event_stmt[t->model][t->u.event.type];
    return bind_event(r, st, t, err) && step(r, st, err);
}

static bool record_row(struct db_run *r, const struct trace_rec *t, GError **err)
{
    switch (t->kind) {
    case TRACE_STATE:
        return record_state(r, t, err);
    case TRACE_SUBMISSION:
        return record_submission(r, t, err);
    case TRACE_OUTCOME:
        return record_outcome(r, t, err);
    case TRACE_DELIVERY:
        return record_delivery(r, t, err);
    case TRACE_DROP:
        return record_drop(r, t, err);
    case TRACE_FAULT:
        return record_fault(r, t, err);
    case TRACE_MESSAGE:
        return record_message(r, t, err);
    case TRACE_EVENT:
        return record_event(r, t, err);
    case TRACE_HOST_LIFE:
        return record_life(r, t, err);
    case TRACE_CLIENT:
        return record_client_state(r, t, err);
    case TRACE_HOLD:
        return record_hold(r, t, err);
    case TRACE_RESOURCE:
        return record_resource_write(r, t, err);
    case TRACE_VIEW:
        return record_view(r, t, err);
    case TRACE_LOST: /* the assembly layer turns these into drops; nothing to keep */
        return true;
    case TRACE_KIND_COUNT:
        break;
    }
    g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "unknown trace record kind %d", (int)t->kind);
    return false;
}

/* The least level that keeps rows of a record kind. */
static enum db_record_level level_of(enum trace_kind kind)
{
    switch (kind) {
    case TRACE_SUBMISSION:
    case TRACE_OUTCOME:
    case TRACE_DELIVERY:
    case TRACE_DROP:
    case TRACE_EVENT:
        return DB_RECORD_OUTCOMES;
    case TRACE_MESSAGE:
        return DB_RECORD_MESSAGES;
    default:
        return DB_RECORD_SUMMARY;
    }
}

static void record(void *ctx, const struct trace_rec *t)
{
    struct db_run *r = ctx;
    if (r->record_error || r->closed)
        return;
    verdict_recorder(r->verdict).record(r->verdict, t);
    run_measures_record(r->measures, t);
    /* Positions count every record, kept or not, so they agree between levels. */
    bool keep = level_of(t->kind) <= r->level;
    bool ok = !keep || record_row(r, t, &r->record_error);
    r->trace_seq++;
    if (!ok || !keep)
        return;
    if (++r->rows_in_transaction >= DB_ROWS_PER_COMMIT) {
        r->rows_in_transaction = 0;
        db_exec(r->db, "commit", "COMMIT; BEGIN", 0, &r->record_error);
    }
}

struct recorder db_run_recorder(struct db_run *r)
{
    return (struct recorder){ .record = record, .ctx = r };
}

/* ---- finishing ------------------------------------------------------------------------- */

static bool insert_run(struct db_run *r, const struct db_run_meta *meta, GError **err)
{
    static const char sql[] =
        "INSERT INTO runs (run_id, scenario, description, scenario_path, scenario_text, seed, "
        "hosts, duration_ns, model, queue_group, zabsim_version, wall_ms, workload_start_ns, "
        "workload_stop_ns, record, variant) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
        "?11, ?12, ?13, ?14, ?15)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, r->db, "writing the runs row");
        return false;
    }
    char models[256];
    bind_text(st, 1, meta->scenario);
    bind_text(st, 2, meta->description);
    bind_text(st, 3, meta->scenario_path);
    bind_text(st, 4, meta->scenario_text);
    /* INTEGER is signed 64-bit: seeds above 2^63 - 1 are stored as their bit pattern. */
    sqlite3_bind_int64(st, 5, (int64_t)meta->seed);
    sqlite3_bind_int64(st, 6, meta->hosts);
    sqlite3_bind_int64(st, 7, meta->duration_ns);
    bind_text(st, 8, model_format_set(r->models, models, sizeof models));
    bind_text(st, 9, meta->queue_group);
    bind_text(st, 10, ZABSIM_VERSION);
    sqlite3_bind_int64(st, 11, meta->wall_ms);
    sqlite3_bind_int64(st, 12, MIN(meta->workload_start_ns, meta->duration_ns));
    sqlite3_bind_int64(st, 13, MIN(meta->workload_stop_ns, meta->duration_ns));
    bind_text(st, 14, db_record_level_name(r->level));
    bind_text(st, 15, meta->variant);
    bool ok = sqlite3_step(st) == SQLITE_DONE;
    if (!ok)
        db__set_error(err, r->db, "writing the runs row");
    sqlite3_finalize(st);
    return ok;
}

static bool insert_recipes(struct db_run *r, const struct db_run_meta *meta, GError **err)
{
    static const char sql[] =
        "INSERT INTO recipes (run_id, recipe, model, kind, clients, hold_ns, fencing) "
        "VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, r->db, "writing the recipes rows");
        return false;
    }
    bool ok = true;
    for (uint32_t i = 0; ok && i < meta->n_recipes; i++) {
        const struct db_recipe_meta *c = &meta->recipes[i];
        sqlite3_reset(st);
        sqlite3_bind_int(st, 1, (int)c->recipe);
        bind_text(st, 2, c->model);
        bind_text(st, 3, c->kind);
        sqlite3_bind_int(st, 4, (int)c->clients);
        sqlite3_bind_int64(st, 5, c->hold_ns);
        sqlite3_bind_int(st, 6, c->fencing);
        ok = sqlite3_step(st) == SQLITE_DONE;
    }
    if (!ok)
        db__set_error(err, r->db, "writing the recipes rows");
    sqlite3_finalize(st);
    return ok;
}

static bool insert_models(struct db_run *r, const struct db_run_meta *meta, GError **err)
{
    static const char sql[] =
        "INSERT INTO models (run_id, position, model, title, leader_state, serving_phase, "
        "has_oracle, one_receiver, replays_history) VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, r->db, "writing the models rows");
        return false;
    }
    bool ok = true;
    int position = 0;
    for (model_id id = 0; ok && id < model_count(); id++) {
        const struct model_desc *d = model_get(id);
        if (!(r->models & (1u << id)))
            continue;
        sqlite3_bind_int(st, 1, position++);
        bind_static(st, 2, d->name);
        bind_text(st, 3, d->title);
        bind_text(st, 4, d->leader_state);
        bind_text(st, 5, d->serving_phase);
        sqlite3_bind_int(st, 6, d->oracle != NULL);
        /* A queue group sends each message to one of the model's subscribers. */
        sqlite3_bind_int(st, 7, meta->queue_group && d->queue_groups);
        sqlite3_bind_int(st, 8, d->replays_history);
        ok = step(r, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

static bool insert_hosts(struct db_run *r, const struct db_host_end *hosts, GError **err)
{
    static const char sql[] =
        "INSERT INTO hosts (run_id, host_index, host, up_at_end, incarnation_at_end) "
        "VALUES (1, ?1, ?2, ?3, ?4)";
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(r->db, sql, -1, &st, NULL) != SQLITE_OK) {
        db__set_error(err, r->db, "writing the hosts rows");
        return false;
    }
    bool ok = true;
    for (uint32_t i = 0; ok && i < r->n_hosts; i++) {
        const struct db_host_end *h = &hosts[i];
        if (h->name && strcmp(h->name, r->host_names[i]) != 0) {
            g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL,
                        "host %u is %s, but its end state names %s", i, r->host_names[i],
                        h->name);
            ok = false;
            break;
        }
        sqlite3_bind_int64(st, 1, i);
        bind_text(st, 2, r->host_names[i]);
        sqlite3_bind_int(st, 3, h->up);
        sqlite3_bind_int64(st, 4, h->incarnation);
        ok = step(r, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

bool db__write_violations(sqlite3 *db, const struct oracle_result *res, GError **err)
{
    sqlite3_stmt *st = NULL;
    bool ok = sqlite3_prepare_v2(db,
                                 "INSERT INTO violations (run_id, model, invariant, detail, "
                                 "evidence) VALUES (1, ?1, ?2, ?3, ?4)",
                                 -1, &st, NULL) == SQLITE_OK;
    if (!ok)
        db__set_error(err, db, "writing violations");
    for (guint i = 0; ok && i < res->violations->len; i++) {
        const struct oracle_violation *v = g_ptr_array_index(res->violations, i);
        bind_text(st, 1, v->model);
        bind_text(st, 2, v->invariant);
        bind_text(st, 3, v->detail);
        bind_text(st, 4, v->evidence);
        ok = sqlite3_step(st) == SQLITE_DONE;
        sqlite3_reset(st);
        if (!ok)
            db__set_error(err, db, "writing violations");
    }
    sqlite3_finalize(st);
    return ok;
}

/* The count of one invariant of one model, or NULL when it has none. */
static struct db_invariant_count *invariant_count(const struct db_run *r, model_id model,
                                                  const char *invariant)
{
    for (guint k = 0; k < r->by_invariant->len; k++) {
        struct db_invariant_count *x =
            &g_array_index(r->by_invariant, struct db_invariant_count, k);
        if (x->model == model && strcmp(x->invariant, invariant) == 0)
            return x;
    }
    return NULL;
}

static bool record_violations(struct db_run *r, GError **err)
{
    struct oracle_result res;
    verdict_finish(r->verdict, &res);
    bool ok = db__write_violations(r->db, &res, err);
    r->violations = res.found;
    for (guint i = 0; i < res.violations->len; i++) {
        const struct oracle_violation *v = g_ptr_array_index(res.violations, i);
        int id = model_find(v->model);
        ZS_ASSERT(id >= 0);
        struct db_invariant_count *c = invariant_count(r, (model_id)id, v->invariant);
        if (!c) {
            struct db_invariant_count fresh = { .model = (model_id)id,
                                                .invariant = v->invariant };
            g_array_append_val(r->by_invariant, fresh);
            c = &g_array_index(r->by_invariant, struct db_invariant_count,
                               r->by_invariant->len - 1);
        }
        c->count += v->count;
    }
    oracle_result_clear(&res);
    return ok;
}

/* The measures computed while the run ran, written as rows. */
static bool record_measures(struct db_run *r, const struct db_run_meta *meta,
                            const struct db_host_end *hosts, GError **err)
{
    bool *up = g_new0(bool, MAX(r->n_hosts, 1));
    for (uint32_t i = 0; i < r->n_hosts; i++)
        up[i] = hosts[i].up;
    struct measure_end end = { .duration_ns = meta->duration_ns,
                               .workload_start_ns = MIN(meta->workload_start_ns,
                                                        meta->duration_ns),
                               .queue_group = meta->queue_group != NULL, .host_up = up };
    GArray *models = run_measures_finish(r->measures, &end);
    bool ok = db__write_measures(r->db, models, (const char *const *)r->host_names, err);
    run_measures_result_free(models);
    g_free(up);
    return ok;
}

bool db_run_finish(struct db_run *r, const struct db_run_meta *meta,
                   const struct db_host_end *hosts, GError **err)
{
    if (r->closed) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INTERNAL, "db_run_finish called twice");
        return false;
    }
    r->closed = true;
    finalize_statements(r);
    if (r->record_error) {
        g_propagate_prefixed_error(err, g_error_copy(r->record_error), "%s: ", r->target_path);
        return false;
    }
    ZS_ASSERT(meta->models == r->models);
    r->finished = insert_run(r, meta, err) && insert_models(r, meta, err) &&
                  insert_recipes(r, meta, err) &&
                  insert_hosts(r, hosts, err) && record_measures(r, meta, hosts, err) &&
                  record_violations(r, err) &&
                  db_exec(r->db, "indexes", r->deferred_indexes->str, 0, err) &&
                  db_exec(r->db, "commit", "COMMIT", 0, err);
    return r->finished;
}

int64_t db_run_violations(const struct db_run *r)
{
    return r->violations;
}

int64_t db_run_invariant_violations(const struct db_run *r, model_id model,
                                    const char *invariant)
{
    const struct db_invariant_count *c = invariant_count(r, model, invariant);
    return c ? c->count : 0;
}

int64_t db_run_model_violations(const struct db_run *r, model_id model)
{
    ZS_ASSERT(model < MODELS_MAX);
    int64_t n = 0;
    for (guint k = 0; k < r->by_invariant->len; k++) {
        const struct db_invariant_count *x =
            &g_array_index(r->by_invariant, struct db_invariant_count, k);
        n += x->model == model ? x->count : 0;
    }
    return n;
}

sqlite3 *db_run_handle(struct db_run *r)
{
    return r->db;
}

void db_run_abort(struct db_run *r)
{
    db__run_discard(r);
    db__run_free(r);
}
