/* db_measure.c: writes a run's measures, computed while it ran (world/run_measures.h), into
 * run_summary_data, host_summary and catchups of its private database.
 *
 * reports/measures.sql defines each measure as one query over the outcome tables;
 * tests/test_measures.c runs those queries on runs recorded at outcomes level and requires
 * exactly what was written here. */
#include "reports/db_internal.h"

static bool prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st, GError **err)
{
    if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK) {
        db__set_error(err, db, "writing the measures");
        return false;
    }
    return true;
}

static bool step_once(sqlite3 *db, sqlite3_stmt *st, GError **err)
{
    int rc = sqlite3_step(st);
    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    if (rc != SQLITE_DONE) {
        db__set_error(err, db, "writing the measures");
        return false;
    }
    return true;
}

static void bind_percentiles(sqlite3_stmt *st, int col, const struct measure_percentiles *p)
{
    if (!p->present)
        return; /* NULL */
    sqlite3_bind_int64(st, col, p->p50_ns);
    sqlite3_bind_int64(st, col + 1, p->p99_ns);
    sqlite3_bind_int64(st, col + 2, p->max_ns);
}

static bool write_summary(sqlite3 *db, const struct measure_model *m, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(db, "INSERT INTO run_summary_data (run_id, model, submitted, acked, failed, "
                     "unknown, delivered, lost, lost_in_transit, missed_while_down, duplicates, "
                     "redeliveries, order_disagreements, ack_p50_ns, ack_p99_ns, ack_max_ns, "
                     "delivery_p50_ns, delivery_p99_ns, delivery_max_ns, restarts, "
                     "catchup_max_ns, never_caught_up, unavailable_ns, leader_changes) VALUES "
                     "(1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, "
                     "?18, ?19, ?20, ?21, ?22, ?23, ?24)",
                 &st, err))
        return false;
    const int64_t counts[] = { m->submitted,       m->acked,      m->failed,
                               m->unknown,         m->delivered,  m->lost,
                               m->lost_in_transit, m->missed_while_down, m->duplicates,
                               m->redeliveries,    m->order_disagreements };
    sqlite3_bind_text(st, 2, model_get(m->model)->name, -1, SQLITE_STATIC);
    for (int i = 0; i < (int)G_N_ELEMENTS(counts); i++)
        sqlite3_bind_int64(st, 3 + i, counts[i]);
    bind_percentiles(st, 14, &m->ack);
    bind_percentiles(st, 17, &m->delivery);
    if (m->restarts_present) { /* other models have no history to catch up with: NULL */
        sqlite3_bind_int64(st, 20, m->restarts);
        sqlite3_bind_int64(st, 22, m->never_caught_up);
    }
    if (m->catchup_max_present)
        sqlite3_bind_int64(st, 21, m->catchup_max_ns);
    sqlite3_bind_int64(st, 23, m->unavailable_ns);
    if (m->leader_changes_present)
        sqlite3_bind_int64(st, 24, m->leader_changes);
    bool ok = step_once(db, st, err);
    sqlite3_finalize(st);
    return ok;
}

static bool write_hosts(sqlite3 *db, const struct measure_model *m, const char *const *names,
                        GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(db, "INSERT INTO host_summary (run_id, model, host, counted, delivered, lost, "
                     "lost_in_transit, missed_while_down) VALUES (1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                 &st, err))
        return false;
    bool ok = true;
    for (guint i = 0; ok && i < m->hosts->len; i++) {
        const struct measure_host *h = &g_array_index(m->hosts, struct measure_host, i);
        sqlite3_bind_text(st, 2, model_get(m->model)->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, names[h->host], -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 4, h->counted);
        sqlite3_bind_int64(st, 5, h->delivered);
        if (h->counted) { /* NULL when its losses do not count */
            sqlite3_bind_int64(st, 6, h->lost);
            sqlite3_bind_int64(st, 7, h->lost_in_transit);
            sqlite3_bind_int64(st, 8, h->missed_while_down);
        }
        ok = step_once(db, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

static bool write_catchups(sqlite3 *db, const struct measure_model *m,
                           const char *const *names, GError **err)
{
    sqlite3_stmt *st;
    if (!prepare(db, "INSERT INTO catchups (run_id, model, host, incarnation, started_ns, "
                     "caught_up_ns) VALUES (1, ?2, ?3, ?4, ?5, ?6)",
                 &st, err))
        return false;
    bool ok = true;
    for (guint i = 0; ok && i < m->catchups->len; i++) {
        const struct measure_catchup *c = &g_array_index(m->catchups, struct measure_catchup, i);
        sqlite3_bind_text(st, 2, model_get(m->model)->name, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 3, names[c->host], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 4, c->incarnation);
        sqlite3_bind_int64(st, 5, c->started_ns);
        if (c->caught_up_ns >= 0)
            sqlite3_bind_int64(st, 6, c->caught_up_ns);
        ok = step_once(db, st, err);
    }
    sqlite3_finalize(st);
    return ok;
}

bool db__write_measures(sqlite3 *db, const GArray *models, const char *const *host_names,
                        GError **err)
{
    bool ok = true;
    for (guint i = 0; ok && i < models->len; i++) {
        const struct measure_model *m = &g_array_index(models, struct measure_model, i);
        ok = write_hosts(db, m, host_names, err) && write_catchups(db, m, host_names, err) &&
             write_summary(db, m, err);
    }
    return ok;
}
