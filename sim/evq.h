/* evq.h: the event queue: a binary min-heap ordered by (time, insertion sequence).
 *
 * Equal times pop in insertion order (libuv's timer start_id idea), so a run never depends
 * on heap layout, and an event scheduled "now" by a handler runs after every event that was
 * already due at that instant. Events live in a pool indexed by slot; the heap holds the key
 * inline next to the slot so sift operations touch one cache line per level. Cancellation
 * removes the event from the heap at once, so memory follows the events in flight, not the
 * events ever scheduled.
 *
 * Handles are (slot, generation): a handle to an event that already ran or was cancelled is
 * recognised as stale and ignored. */
#ifndef SIM_EVQ_H
#define SIM_EVQ_H

#include "sim/zs.h"

/* What an event carries: the queue does not interpret it. */
struct evq_event {
    uint16_t kind;
    uint16_t flags;
    uint32_t target;      /* node or machine index, by kind */
    uint32_t incarnation; /* target incarnation the event was meant for */
    uint32_t aux;
    uint64_t a;
    uint64_t b;
    void *p;
};

typedef uint64_t evq_handle; /* 0 is never a valid handle */

struct evq;

struct evq *evq_new(void);
/* Frees the queue. Payload pointers left in pending events are not freed: drain first with
 * evq_pop if they own memory. */
void evq_free(struct evq *q);

/* Schedules ev at time t (>= the last popped time). Returns a handle for evq_cancel. */
evq_handle evq_push(struct evq *q, sim_time t, const struct evq_event *ev);
/* Removes a pending event; returns false (and does nothing) for a stale handle. When out is
 * not NULL the cancelled event is copied there so its payload can be released. */
bool evq_cancel(struct evq *q, evq_handle h, struct evq_event *out);
/* Pops the earliest event. Returns false when the queue is empty. */
bool evq_pop(struct evq *q, sim_time *t, uint64_t *seq, struct evq_event *out);
/* Time of the earliest event, or SIM_TIME_NEVER. */
sim_time evq_peek_time(const struct evq *q);
size_t evq_size(const struct evq *q);
/* High-water mark of pending events, for memory reports. */
size_t evq_peak(const struct evq *q);

#endif
