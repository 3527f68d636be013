/* evq.c: indexed binary heap over an event pool; see evq.h. */
#include "sim/evq.h"

#include <stdlib.h>
#include <string.h>

struct heap_entry {
    sim_time t;
    uint64_t seq;
    uint32_t slot;
};

struct pool_slot {
    struct evq_event ev;
    uint32_t heap_index; /* position in heap, or UINT32_MAX when free */
    uint32_t generation;
};

struct evq {
    struct heap_entry *heap;
    size_t heap_len, heap_cap;
    struct pool_slot *slots;
    uint32_t *free_slots;
    size_t slots_len, slots_cap, free_len;
    uint64_t next_seq;
    size_t peak;
};

#define NOT_IN_HEAP UINT32_MAX

struct evq *evq_new(void)
{
    struct evq *q = g_new0(struct evq, 1);
    q->next_seq = 1;
    return q;
}

void evq_free(struct evq *q)
{
    if (!q)
        return;
    g_free(q->heap);
    g_free(q->slots);
    g_free(q->free_slots);
    g_free(q);
}

static inline bool entry_less(const struct heap_entry *x, const struct heap_entry *y)
{
    return x->t < y->t || (x->t == y->t && x->seq < y->seq);
}

static inline void heap_set(struct evq *q, size_t i, struct heap_entry e)
{
    q->heap[i] = e;
    q->slots[e.slot].heap_index = (uint32_t)i;
}

static void sift_up(struct evq *q, size_t i)
{
    struct heap_entry e = q->heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!entry_less(&e, &q->heap[parent]))
            break;
        heap_set(q, i, q->heap[parent]);
        i = parent;
    }
    heap_set(q, i, e);
}

static void sift_down(struct evq *q, size_t i)
{
    struct heap_entry e = q->heap[i];
    size_t n = q->heap_len;
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= n)
            break;
        if (child + 1 < n && entry_less(&q->heap[child + 1], &q->heap[child]))
            child++;
        if (!entry_less(&q->heap[child], &e))
            break;
        heap_set(q, i, q->heap[child]);
        i = child;
    }
    heap_set(q, i, e);
}

static uint32_t slot_alloc(struct evq *q)
{
    if (q->free_len > 0)
        return q->free_slots[--q->free_len];
    if (q->slots_len == q->slots_cap) {
        q->slots_cap = q->slots_cap ? q->slots_cap * 2 : 1024;
        q->slots = g_renew(struct pool_slot, q->slots, q->slots_cap);
        q->free_slots = g_renew(uint32_t, q->free_slots, q->slots_cap);
    }
    ZS_ASSERT(q->slots_len < NOT_IN_HEAP);
    q->slots[q->slots_len].generation = 0;
    return (uint32_t)q->slots_len++;
}

static void slot_release(struct evq *q, uint32_t slot)
{
    q->slots[slot].heap_index = NOT_IN_HEAP;
    q->slots[slot].generation++;
    q->free_slots[q->free_len++] = slot;
}

evq_handle evq_push(struct evq *q, sim_time t, const struct evq_event *ev)
{
    uint32_t slot = slot_alloc(q);
    q->slots[slot].ev = *ev;
    if (q->heap_len == q->heap_cap) {
        q->heap_cap = q->heap_cap ? q->heap_cap * 2 : 1024;
        q->heap = g_renew(struct heap_entry, q->heap, q->heap_cap);
    }
    size_t i = q->heap_len++;
    heap_set(q, i, (struct heap_entry){ .t = t, .seq = q->next_seq++, .slot = slot });
    sift_up(q, i);
    if (q->heap_len > q->peak)
        q->peak = q->heap_len;
    /* Generation in the high half, slot + 1 in the low half, so 0 is never a handle. */
    return ((uint64_t)q->slots[slot].generation << 32) | ((uint64_t)slot + 1);
}

static void heap_remove_at(struct evq *q, size_t i)
{
    size_t last = --q->heap_len;
    if (i == last)
        return;
    heap_set(q, i, q->heap[last]);
    if (i > 0 && entry_less(&q->heap[i], &q->heap[(i - 1) / 2]))
        sift_up(q, i);
    else
        sift_down(q, i);
}

bool evq_cancel(struct evq *q, evq_handle h, struct evq_event *out)
{
    if (h == 0)
        return false;
    uint64_t slot_plus_one = h & 0xffffffffu;
    uint32_t generation = (uint32_t)(h >> 32);
    if (slot_plus_one == 0 || slot_plus_one > q->slots_len)
        return false;
    uint32_t slot = (uint32_t)(slot_plus_one - 1);
    struct pool_slot *s = &q->slots[slot];
    if (s->generation != generation || s->heap_index == NOT_IN_HEAP)
        return false;
    if (out)
        *out = s->ev;
    heap_remove_at(q, s->heap_index);
    slot_release(q, slot);
    return true;
}

bool evq_pop(struct evq *q, sim_time *t, uint64_t *seq, struct evq_event *out)
{
    if (q->heap_len == 0)
        return false;
    struct heap_entry top = q->heap[0];
    *t = top.t;
    if (seq)
        *seq = top.seq;
    *out = q->slots[top.slot].ev;
    heap_remove_at(q, 0);
    slot_release(q, top.slot);
    return true;
}

sim_time evq_peek_time(const struct evq *q)
{
    return q->heap_len ? q->heap[0].t : SIM_TIME_NEVER;
}

size_t evq_size(const struct evq *q)
{
    return q->heap_len;
}

size_t evq_peak(const struct evq *q)
{
    return q->peak;
}
