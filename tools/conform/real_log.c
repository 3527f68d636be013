/* real_log.c: the record buffer of a real run (conform.h). Records are kept in memory in the
 * order they were observed and written to the results database only after the run, so that
 * SQLite never competes with the servers for the machine while they are being measured. */
#include "tools/conform/conform.h"

#include <string.h>
#include <time.h>

static int64_t monotonic_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

void real_log_init(struct real_log *log)
{
    memset(log, 0, sizeof *log);
    pthread_mutex_init(&log->lock, NULL);
    log->recs = g_array_new(FALSE, TRUE, sizeof(struct trace_rec));
    log->strings = g_string_chunk_new(4096);
    log->t0_ns = monotonic_ns();
    for (uint32_t h = 0; h < SCENARIO_MAX_HOSTS; h++)
        log->incarnation[h] = 1;
}

void real_log_close(struct real_log *log)
{
    pthread_mutex_lock(&log->lock);
    log->closed = true;
    pthread_mutex_unlock(&log->lock);
}

void real_log_clear(struct real_log *log)
{
    if (log->recs)
        g_array_free(log->recs, TRUE);
    if (log->strings)
        g_string_chunk_free(log->strings);
    log->recs = NULL;
    log->strings = NULL;
    pthread_mutex_destroy(&log->lock);
}

int64_t real_log_now(const struct real_log *log)
{
    return monotonic_ns() - log->t0_ns;
}

static const char *keep(struct real_log *log, const char *s)
{
    return s ? g_string_chunk_insert_const(log->strings, s) : NULL;
}

void real_log_add(struct real_log *log, struct trace_rec *r)
{
    pthread_mutex_lock(&log->lock);
    if (log->closed) {
        pthread_mutex_unlock(&log->lock);
        return;
    }
    /* Stamped under the lock: records are in time order and trace order alike. */
    r->t_ns = real_log_now(log);
    if (r->host >= 0 && r->host < SCENARIO_MAX_HOSTS && r->kind != TRACE_HOST_LIFE)
        r->incarnation = log->incarnation[r->host];
    if (log->recs->len >= REAL_LOG_MAX_RECORDS) {
        log->overflowed = true;
        pthread_mutex_unlock(&log->lock);
        return;
    }
    switch (r->kind) {
    case TRACE_FAULT:
        r->u.fault.target = keep(log, r->u.fault.target);
        r->u.fault.detail = keep(log, r->u.fault.detail);
        break;
    case TRACE_DROP:
        r->u.drop.detail = keep(log, r->u.drop.detail);
        break;
    default:
        break;
    }
    g_array_append_val(log->recs, *r);
    pthread_mutex_unlock(&log->lock);
}
