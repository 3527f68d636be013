/* run_measures.c: the summary measures, streaming (run_measures.h).
 *
 * Messages are numbered as they first appear; a message first delivered anywhere gets the
 * next rank, so "delivered anywhere before a restart" is "rank below the count at the
 * restart", and per-host-incarnation facts are bits indexed by rank. A host incarnation's
 * first deliveries are kept as runs of consecutive ranks: ZAB hosts deliver in one order,
 * which is the rank order, so each is one run however long the run is. */
#include "world/run_measures.h"

#include <string.h>

#define NO_RANK UINT32_MAX
#define NOT_SUBMITTED INT64_MIN

/* ---- small containers --------------------------------------------------------------- */

struct bitset {
    uint64_t *words;
    size_t n_words;
};

/* Sets bit i; returns whether it was set already. */
static bool bitset_test_and_set(struct bitset *b, uint32_t i)
{
    size_t w = i / 64;
    if (w >= b->n_words) {
        size_t n = MAX(w + 1, b->n_words * 2);
        b->words = g_renew(uint64_t, b->words, n);
        memset(b->words + b->n_words, 0, (n - b->n_words) * sizeof *b->words);
        b->n_words = n;
    }
    uint64_t bit = UINT64_C(1) << (i % 64);
    bool was = (b->words[w] & bit) != 0;
    b->words[w] |= bit;
    return was;
}

static bool bitset_test(const struct bitset *b, uint32_t i)
{
    size_t w = i / 64;
    return w < b->n_words && (b->words[w] & (UINT64_C(1) << (i % 64))) != 0;
}

/* Latencies for exact nearest-rank percentiles: most fit 32 bits (below 4.29 s), so they
 * take half the memory; every value in small is below every value in large. */
struct latencies {
    GArray *small; /* uint32_t */
    GArray *large; /* int64_t */
};

static void latencies_add(struct latencies *l, int64_t ns)
{
    if (ns >= 0 && ns <= UINT32_MAX) {
        uint32_t v = (uint32_t)ns;
        g_array_append_val(l->small, v);
    } else {
        g_array_append_val(l->large, ns);
    }
}

/* The k-th smallest (0-based) of v[0 .. n), rearranging v: Hoare's selection, linear on
 * average, where sorting a million latencies to read three of them was a tenth of a run. */
#define DEFINE_SELECT(name, type)                                                          \
    static type name(type *v, size_t n, size_t k)                                          \
    {                                                                                      \
        size_t lo = 0, hi = n - 1;                                                         \
        while (lo < hi) {                                                                  \
            type pivot = v[lo + (hi - lo) / 2];                                            \
            size_t i = lo, j = hi;                                                         \
            while (i <= j) {                                                               \
                while (v[i] < pivot)                                                       \
                    i++;                                                                   \
                while (v[j] > pivot)                                                       \
                    j--;                                                                   \
                if (i <= j) {                                                              \
                    type x = v[i];                                                         \
                    v[i] = v[j];                                                           \
                    v[j] = x;                                                              \
                    i++;                                                                   \
                    if (j == 0)                                                            \
                        break;                                                             \
                    j--;                                                                   \
                }                                                                          \
            }                                                                              \
            if (k <= j)                                                                    \
                hi = j;                                                                    \
            else if (k >= i)                                                               \
                lo = i;                                                                    \
            else                                                                           \
                return v[k];                                                               \
        }                                                                                  \
        return v[k];                                                                       \
    }
DEFINE_SELECT(select_u32, uint32_t)
DEFINE_SELECT(select_i64, int64_t)

/* The value at 1-based rank k of the values in order. */
static int64_t latencies_at(struct latencies *l, size_t k)
{
    if (k <= l->small->len)
        return select_u32((uint32_t *)(void *)l->small->data, l->small->len, k - 1);
    return select_i64((int64_t *)(void *)l->large->data, l->large->len,
                      k - 1 - l->small->len);
}

/* Nearest rank: the value at rank ceil(p * n / 100). */
static void latencies_percentiles(struct latencies *l, struct measure_percentiles *out)
{
    size_t n = l->small->len + l->large->len;
    out->present = n > 0;
    if (n == 0)
        return;
    out->p50_ns = latencies_at(l, (n * 50 + 99) / 100);
    out->p99_ns = latencies_at(l, (n * 99 + 99) / 100);
    out->max_ns = latencies_at(l, n);
}

struct interval {
    int64_t s, e;
};

/* ---- per model ----------------------------------------------------------------------- */

struct msg {
    int64_t first_sub_ns; /* NOT_SUBMITTED: never offered to the model */
    uint64_t up_mask;     /* hosts whose receiver was up just before its first submission */
    uint32_t rank;        /* order of its first delivery anywhere; NO_RANK: none yet */
    uint32_t subs;        /* submissions ... */
    uint32_t outcomes;    /* ... and how many of them have a definitive outcome */
    bool acked, rejected;
};

struct rank_run {
    uint32_t start, len;
};

/* One host incarnation's deliveries. */
struct span {
    uint32_t host, incarnation;
    struct bitset seen; /* ranks delivered */
    GArray *runs;       /* struct rank_run: first deliveries, in order */
    int32_t catchup;    /* index into catchups while catching up, else -1 */
    uint32_t need, have; /* catching up: ranks below need, and how many delivered */
};

struct host_track {
    bool leading;
    const char *phase;   /* of the latest state record (model's static name, or NULL) */
    struct bitset ever;  /* ranks delivered in any incarnation */
    int64_t ever_count;
    struct bitset fresh; /* ranks delivered in any incarnation, not as a replay */
    int32_t span;        /* current span, -1 before the first */
};

struct client_track {
    bool known, down;
    int64_t down_since_ns;
};

struct model_track {
    model_id id;
    const struct model_desc *d;
    GArray *msgs;            /* struct msg by message number */
    GPtrArray *by_client;    /* per client (1-based index - 1): GArray of uint32 number + 1 */
    GHashTable *extra_subs;  /* message number -> GArray of int64 times of submissions 2.. */
    uint32_t n_ranks;
    GArray *spans;           /* struct span */
    struct host_track *hosts;
    uint64_t receivers_up;   /* bit h: host h's receiver is up (its state is not DOWN) */
    GArray *clients;         /* struct client_track by client - 1 */
    GArray *stretches;       /* struct interval, unclipped: failed operations, clients down */
    struct latencies ack, delivery;
    int64_t duplicates, redeliveries, leader_entries;
    GArray *catchups;        /* struct measure_catchup, in the order restarts happened */
};

struct run_measures {
    unsigned models;
    uint32_t n_hosts;
    struct model_track *tracks[MODELS_MAX];
    GArray **lives;          /* per host: int64 started_ns by incarnation - 1 */
    bool finished;
};

static void latencies_init(struct latencies *l)
{
    l->small = g_array_new(FALSE, FALSE, sizeof(uint32_t));
    l->large = g_array_new(FALSE, FALSE, sizeof(int64_t));
}

static void latencies_clear(struct latencies *l)
{
    g_array_free(l->small, TRUE);
    g_array_free(l->large, TRUE);
}

static void free_array(gpointer a)
{
    g_array_free(a, TRUE);
}

static struct model_track *track_new(model_id id, uint32_t n_hosts)
{
    struct model_track *t = g_new0(struct model_track, 1);
    t->id = id;
    t->d = model_get(id);
    t->msgs = g_array_new(FALSE, FALSE, sizeof(struct msg));
    t->by_client = g_ptr_array_new_with_free_func(free_array);
    t->extra_subs = g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, free_array);
    t->spans = g_array_new(FALSE, FALSE, sizeof(struct span));
    t->hosts = g_new0(struct host_track, MAX(n_hosts, 1));
    for (uint32_t h = 0; h < n_hosts; h++)
        t->hosts[h].span = -1;
    t->clients = g_array_new(FALSE, TRUE, sizeof(struct client_track));
    t->stretches = g_array_new(FALSE, FALSE, sizeof(struct interval));
    latencies_init(&t->ack);
    latencies_init(&t->delivery);
    t->catchups = g_array_new(FALSE, FALSE, sizeof(struct measure_catchup));
    return t;
}

static void track_free(struct model_track *t, uint32_t n_hosts)
{
    g_array_free(t->msgs, TRUE);
    g_ptr_array_free(t->by_client, TRUE);
    g_hash_table_destroy(t->extra_subs);
    for (guint i = 0; i < t->spans->len; i++) {
        struct span *s = &g_array_index(t->spans, struct span, i);
        g_free(s->seen.words);
        g_array_free(s->runs, TRUE);
    }
    g_array_free(t->spans, TRUE);
    for (uint32_t h = 0; h < n_hosts; h++) {
        g_free(t->hosts[h].ever.words);
        g_free(t->hosts[h].fresh.words);
    }
    g_free(t->hosts);
    g_array_free(t->clients, TRUE);
    g_array_free(t->stretches, TRUE);
    latencies_clear(&t->ack);
    latencies_clear(&t->delivery);
    g_array_free(t->catchups, TRUE);
    g_free(t);
}

struct run_measures *run_measures_new(unsigned models, uint32_t n_hosts)
{
    ZS_ASSERT(n_hosts <= 64); /* receivers up at a submission are a 64-bit mask */
    struct run_measures *m = g_new0(struct run_measures, 1);
    m->models = models;
    m->n_hosts = n_hosts;
    for (model_id id = 0; id < model_count(); id++) {
        if (models & (1u << id))
            m->tracks[id] = track_new(id, n_hosts);
    }
    m->lives = g_new0(GArray *, MAX(n_hosts, 1));
    for (uint32_t h = 0; h < n_hosts; h++)
        m->lives[h] = g_array_new(FALSE, FALSE, sizeof(int64_t));
    return m;
}

void run_measures_free(struct run_measures *m)
{
    if (!m)
        return;
    for (int i = 0; i < MODELS_MAX; i++) {
        if (m->tracks[i])
            track_free(m->tracks[i], m->n_hosts);
    }
    for (uint32_t h = 0; h < m->n_hosts; h++)
        g_array_free(m->lives[h], TRUE);
    g_free(m->lives);
    g_free(m);
}

/* ---- recording ----------------------------------------------------------------------- */

static struct msg *msg_at(struct model_track *t, uint32_t n)
{
    return &g_array_index(t->msgs, struct msg, n);
}

/* The number of a message, given one when it first appears. */
static uint32_t msg_number(struct model_track *t, msg_id_t id)
{
    uint32_t client = msg_id_client(id), seq = msg_id_seq(id);
    while (t->by_client->len < client)
        g_ptr_array_add(t->by_client, g_array_new(FALSE, TRUE, sizeof(uint32_t)));
    GArray *slots = g_ptr_array_index(t->by_client, client - 1);
    if (slots->len < seq)
        g_array_set_size(slots, seq);
    uint32_t *slot = &g_array_index(slots, uint32_t, seq - 1);
    if (*slot == 0) {
        struct msg fresh = { .first_sub_ns = NOT_SUBMITTED, .rank = NO_RANK };
        g_array_append_val(t->msgs, fresh);
        *slot = t->msgs->len; /* number + 1 */
    }
    return *slot - 1;
}

static struct client_track *client_at(struct model_track *t, uint32_t client)
{
    ZS_ASSERT(client >= 1);
    if (t->clients->len < client)
        g_array_set_size(t->clients, client);
    struct client_track *c = &g_array_index(t->clients, struct client_track, client - 1);
    if (!c->known) {
        c->known = true;
        c->down = true; /* down from t = 0 to its first connect */
        c->down_since_ns = 0;
    }
    return c;
}

static void add_stretch(struct model_track *t, int64_t s, int64_t e)
{
    struct interval i = { .s = s, .e = e };
    g_array_append_val(t->stretches, i);
}

static void on_state(struct model_track *t, const struct trace_rec *r)
{
    struct host_track *h = &t->hosts[r->host];
    uint64_t bit = UINT64_C(1) << r->host;
    t->receivers_up = r->u.state.state != TRACE_STATE_DOWN ? t->receivers_up | bit
                                                           : t->receivers_up & ~bit;
    h->phase = t->d->phase_name ? t->d->phase_name(r->u.state.phase) : NULL;
    const char *state = t->d->state_name ? t->d->state_name(r->u.state.state) : NULL;
    bool leading = t->d->leader_state && g_strcmp0(state, t->d->leader_state) == 0 &&
                   g_strcmp0(h->phase, t->d->serving_phase) == 0;
    t->leader_entries += leading && !h->leading;
    h->leading = leading;
}

static void on_submission(struct model_track *t, const struct trace_rec *r)
{
    uint32_t n = msg_number(t, r->u.submission.msg_id);
    struct msg *m = msg_at(t, n);
    if (m->first_sub_ns == NOT_SUBMITTED) {
        m->first_sub_ns = r->t_ns;
        m->up_mask = t->receivers_up;
    } else {
        gpointer key = GUINT_TO_POINTER(n);
        GArray *more = g_hash_table_lookup(t->extra_subs, key);
        if (!more) {
            more = g_array_new(FALSE, FALSE, sizeof(int64_t));
            g_hash_table_insert(t->extra_subs, key, more);
        }
        int64_t ns = r->t_ns;
        g_array_append_val(more, ns);
    }
    m->subs++;
    client_at(t, r->u.submission.client);
}

/* When submission i (0-based) of message n was made. */
static int64_t submission_ns(struct model_track *t, uint32_t n, uint32_t i)
{
    if (i == 0)
        return msg_at(t, n)->first_sub_ns;
    GArray *more = g_hash_table_lookup(t->extra_subs, GUINT_TO_POINTER(n));
    ZS_ASSERT(more && i - 1 < more->len);
    return g_array_index(more, int64_t, i - 1);
}

/* A definitive outcome belongs to the message's earliest submission still pending; one
 * with none pending changes nothing (the outcomes column has no row to take it). */
static void on_outcome(struct model_track *t, const struct trace_rec *r)
{
    enum outcome o = r->u.outcome.outcome;
    if (o == TRACE_OUTCOME_PENDING)
        return;
    uint32_t n = msg_number(t, r->u.outcome.msg_id);
    struct msg *m = msg_at(t, n);
    if (m->outcomes >= m->subs)
        return;
    int64_t submitted = submission_ns(t, n, m->outcomes);
    m = msg_at(t, n);
    m->outcomes++;
    if (o == TRACE_OUTCOME_ACKED) {
        m->acked = true;
        latencies_add(&t->ack, r->t_ns - submitted);
    } else {
        m->rejected |= o == TRACE_OUTCOME_REJECTED;
        add_stretch(t, submitted, r->t_ns);
    }
}

static struct span *span_at(struct model_track *t, int32_t i)
{
    return &g_array_index(t->spans, struct span, i);
}

/* The span of host h's incarnation, opened when the incarnation changes. */
static struct span *current_span(struct model_track *t, uint32_t h, uint32_t incarnation)
{
    struct host_track *ht = &t->hosts[h];
    if (ht->span >= 0 && span_at(t, ht->span)->incarnation == incarnation)
        return span_at(t, ht->span);
    struct span s = { .host = h, .incarnation = incarnation, .catchup = -1,
                      .runs = g_array_new(FALSE, FALSE, sizeof(struct rank_run)) };
    g_array_append_val(t->spans, s);
    ht->span = (int32_t)t->spans->len - 1;
    return span_at(t, ht->span);
}

static void on_life(struct run_measures *rm, const struct trace_rec *r)
{
    GArray *lives = rm->lives[r->host];
    if (!r->u.life.up || r->incarnation != lives->len + 1) /* incarnations are 1, 2, ... */
        return;
    int64_t started = r->t_ns;
    g_array_append_val(lives, started);
    if (r->incarnation == 1)
        return;
    /* Every life but the first began a restart: in a model that replays its history, the
     * new incarnation catches up with every message delivered anywhere before now. */
    for (int i = 0; i < MODELS_MAX; i++) {
        struct model_track *t = rm->tracks[i];
        if (!t || !t->d->replays_history)
            continue;
        struct measure_catchup c = { .host = (uint32_t)r->host, .incarnation = r->incarnation,
                                     .started_ns = started,
                                     .caught_up_ns = t->n_ranks == 0 ? started : -1 };
        g_array_append_val(t->catchups, c);
        struct span *s = current_span(t, (uint32_t)r->host, r->incarnation);
        if (t->n_ranks > 0) {
            s->catchup = (int32_t)t->catchups->len - 1;
            s->need = t->n_ranks;
        }
    }
}

static void on_delivery(struct run_measures *rm, struct model_track *t,
                        const struct trace_rec *r)
{
    uint32_t h = (uint32_t)r->host;
    uint32_t n = msg_number(t, r->u.delivery.msg_id);
    struct msg *m = msg_at(t, n);
    if (m->rank == NO_RANK)
        m->rank = t->n_ranks++;
    uint32_t rank = m->rank;
    struct span *s = current_span(t, h, r->incarnation);
    if (bitset_test_and_set(&s->seen, rank)) {
        t->duplicates++;
    } else {
        struct rank_run *last =
            s->runs->len ? &g_array_index(s->runs, struct rank_run, s->runs->len - 1) : NULL;
        if (last && last->start + last->len == rank) {
            last->len++;
        } else {
            struct rank_run run = { .start = rank, .len = 1 };
            g_array_append_val(s->runs, run);
        }
        if (s->catchup >= 0 && rank < s->need && ++s->have == s->need) {
            struct measure_catchup *c =
                &g_array_index(t->catchups, struct measure_catchup, s->catchup);
            c->caught_up_ns = MAX(c->started_ns, r->t_ns);
            s->catchup = -1;
        }
    }
    struct host_track *ht = &t->hosts[h];
    ht->ever_count += !bitset_test_and_set(&ht->ever, rank);
    /* A replay is not a redelivery, nor does it make the next delivery one. */
    if (!r->u.delivery.replayed)
        t->redeliveries += bitset_test_and_set(&ht->fresh, rank);
    /* Delivery latency: not a replay, by an incarnation running since the submission. */
    GArray *lives = rm->lives[h];
    if (!r->u.delivery.replayed && m->first_sub_ns != NOT_SUBMITTED && r->incarnation >= 1 &&
        r->incarnation <= lives->len &&
        g_array_index(lives, int64_t, r->incarnation - 1) <= m->first_sub_ns)
        latencies_add(&t->delivery, r->t_ns - m->first_sub_ns);
}

static void on_client(struct model_track *t, const struct trace_rec *r)
{
    struct client_track *c = client_at(t, r->u.client.client);
    if (r->u.client.up && c->down) {
        add_stretch(t, c->down_since_ns, r->t_ns);
        c->down = false;
    } else if (!r->u.client.up && !c->down) {
        c->down = true;
        c->down_since_ns = r->t_ns;
    }
}

void run_measures_record(struct run_measures *rm, const struct trace_rec *r)
{
    bool host_bound = r->kind == TRACE_HOST_LIFE || r->kind == TRACE_STATE ||
                      r->kind == TRACE_DELIVERY;
    /* A record naming no host of the run is the recorder's error to report, not a fact. */
    if (rm->finished || (host_bound && (r->host < 0 || (uint32_t)r->host >= rm->n_hosts)))
        return;
    if (r->kind == TRACE_HOST_LIFE) {
        on_life(rm, r);
        return;
    }
    if (r->model >= MODELS_MAX || !rm->tracks[r->model])
        return;
    struct model_track *t = rm->tracks[r->model];
    switch (r->kind) {
    case TRACE_STATE:
        on_state(t, r);
        break;
    case TRACE_SUBMISSION:
        on_submission(t, r);
        break;
    case TRACE_OUTCOME:
        on_outcome(t, r);
        break;
    case TRACE_DELIVERY:
        on_delivery(rm, t, r);
        break;
    case TRACE_CLIENT:
        on_client(t, r);
        break;
    default:
        break;
    }
}

/* ---- the end: order ------------------------------------------------------------------ */

#define NOT_IN_SPAN UINT32_MAX

/* pos[rank] = the position of rank among span y's first deliveries, NOT_IN_SPAN when y never
 * delivered it; pos has n_ranks slots, all NOT_IN_SPAN on entry. */
static void index_span(const struct span *y, uint32_t *pos)
{
    uint32_t at = 0;
    for (guint i = 0; i < y->runs->len; i++) {
        const struct rank_run *r = &g_array_index(y->runs, struct rank_run, i);
        for (uint32_t k = 0; k < r->len; k++)
            pos[r->start + k] = at++;
    }
}

static void unindex_span(const struct span *y, uint32_t *pos)
{
    for (guint i = 0; i < y->runs->len; i++) {
        const struct rank_run *r = &g_array_index(y->runs, struct rank_run, i);
        for (uint32_t k = 0; k < r->len; k++)
            pos[r->start + k] = NOT_IN_SPAN;
    }
}

/* Adds {a, b} to pairs when the indexed span delivered both, b before a. */
static void check_pair(const uint32_t *pos, uint32_t a, uint32_t b, GArray *pairs)
{
    if (pos[a] != NOT_IN_SPAN && pos[b] != NOT_IN_SPAN && pos[b] < pos[a]) {
        uint64_t key = ((uint64_t)MIN(a, b) << 32) | MAX(a, b);
        g_array_append_val(pairs, key);
    }
}

/* Every pair adjacent among x's first deliveries that the indexed span delivered the other
 * way round. */
static void collect_reversed(const struct span *x, const uint32_t *pos, GArray *pairs)
{
    bool have_prev = false;
    uint32_t prev = 0;
    for (guint i = 0; i < x->runs->len; i++) {
        const struct rank_run *run = &g_array_index(x->runs, struct rank_run, i);
        if (have_prev)
            check_pair(pos, prev, run->start, pairs);
        for (uint32_t a = run->start; a + 1 < run->start + run->len; a++)
            check_pair(pos, a, a + 1, pairs);
        have_prev = true;
        prev = run->start + run->len - 1;
    }
}

static int compare_u64(gconstpointer a, gconstpointer b)
{
    uint64_t p = *(const uint64_t *)a, q = *(const uint64_t *)b;
    return p < q ? -1 : p > q;
}

static int64_t order_disagreements(const struct model_track *t)
{
    GArray *pairs = g_array_new(FALSE, FALSE, sizeof(uint64_t));
    uint32_t *pos = g_new(uint32_t, MAX(t->n_ranks, 1)); /* scratch: a message's position */
    memset(pos, 0xff, MAX(t->n_ranks, 1) * sizeof *pos);
    for (guint y = 0; y < t->spans->len; y++) {
        const struct span *ys = &g_array_index(t->spans, struct span, y);
        index_span(ys, pos);
        for (guint x = 0; x < t->spans->len; x++) {
            if (x != y)
                collect_reversed(&g_array_index(t->spans, struct span, x), pos, pairs);
        }
        unindex_span(ys, pos);
    }
    g_free(pos);
    g_array_sort(pairs, compare_u64);
    int64_t distinct = 0;
    for (guint i = 0; i < pairs->len; i++) {
        if (i == 0 || g_array_index(pairs, uint64_t, i) != g_array_index(pairs, uint64_t, i - 1))
            distinct++;
    }
    g_array_free(pairs, TRUE);
    return distinct;
}

/* ---- the end: the rest --------------------------------------------------------------- */

static int compare_interval(gconstpointer a, gconstpointer b)
{
    const struct interval *p = a, *q = b;
    if (p->s != q->s)
        return p->s < q->s ? -1 : 1;
    return p->e < q->e ? -1 : p->e > q->e;
}

/* Length of the union of the stretches, each clipped to [workload start, end of run]. */
static int64_t unavailable_ns(struct model_track *t, const struct measure_end *end)
{
    GArray *v = t->stretches;
    for (guint c = 0; c < t->clients->len; c++) {
        const struct client_track *ct = &g_array_index(t->clients, struct client_track, c);
        if (ct->known && ct->down)
            add_stretch(t, ct->down_since_ns, end->duration_ns);
    }
    for (uint32_t n = 0; n < t->msgs->len; n++) { /* operations still pending at the end */
        const struct msg *m = msg_at(t, n);
        for (uint32_t i = m->outcomes; i < m->subs; i++)
            add_stretch(t, submission_ns(t, n, i), end->duration_ns);
    }
    guint kept = 0;
    for (guint i = 0; i < v->len; i++) {
        struct interval x = g_array_index(v, struct interval, i);
        x.s = MAX(x.s, end->workload_start_ns);
        x.e = MIN(x.e, end->duration_ns);
        if (x.e > x.s)
            g_array_index(v, struct interval, kept++) = x;
    }
    g_array_set_size(v, kept);
    g_array_sort(v, compare_interval);
    int64_t ns = 0, s = 0, e = -1; /* the island being merged; e < s: none yet */
    for (guint i = 0; i < v->len; i++) {
        const struct interval *x = &g_array_index(v, struct interval, i);
        if (x->s > e) {
            ns += e > s ? e - s : 0;
            s = x->s;
            e = x->e;
        } else {
            e = MAX(e, x->e);
        }
    }
    return ns + (e > s ? e - s : 0);
}

static void measure_loss(struct run_measures *rm, struct model_track *t,
                         const struct measure_end *end, struct measure_model *out)
{
    bool one_receiver = end->queue_group && t->d->queue_groups;
    for (uint32_t h = 0; h < rm->n_hosts; h++) {
        const struct host_track *ht = &t->hosts[h];
        struct measure_host mh = { .host = h, .delivered = ht->ever_count };
        mh.counted = !one_receiver && end->host_up[h] &&
                     (!t->d->serving_phase || g_strcmp0(ht->phase, t->d->serving_phase) == 0);
        for (uint32_t n = 0; mh.counted && n < t->msgs->len; n++) {
            const struct msg *m = msg_at(t, n);
            if (!m->acked || (m->rank != NO_RANK && bitset_test(&ht->ever, m->rank)))
                continue;
            mh.lost++;
            mh.lost_in_transit += (m->up_mask >> h) & 1;
        }
        mh.missed_while_down = mh.lost - mh.lost_in_transit;
        out->lost += mh.lost;
        out->lost_in_transit += mh.lost_in_transit;
        g_array_append_val(out->hosts, mh);
    }
    for (uint32_t n = 0; one_receiver && n < t->msgs->len; n++) {
        const struct msg *m = msg_at(t, n);
        if (!m->acked || m->rank != NO_RANK)
            continue;
        out->lost++;
        out->lost_in_transit += m->up_mask != 0; /* some host's receiver was up */
    }
    out->missed_while_down = out->lost - out->lost_in_transit;
}

static int compare_catchup(gconstpointer a, gconstpointer b)
{
    const struct measure_catchup *p = a, *q = b;
    if (p->host != q->host)
        return p->host < q->host ? -1 : 1;
    return p->incarnation < q->incarnation ? -1 : p->incarnation > q->incarnation;
}

static void measure_model(struct run_measures *rm, struct model_track *t,
                          const struct measure_end *end, struct measure_model *out)
{
    memset(out, 0, sizeof *out);
    out->model = t->id;
    out->hosts = g_array_new(FALSE, FALSE, sizeof(struct measure_host));
    out->catchups = g_array_new(FALSE, FALSE, sizeof(struct measure_catchup));
    for (uint32_t n = 0; n < t->msgs->len; n++) {
        const struct msg *m = msg_at(t, n);
        if (m->first_sub_ns == NOT_SUBMITTED)
            continue;
        out->submitted++;
        out->acked += m->acked;
        out->failed += !m->acked && m->rejected;
        out->unknown += !m->acked && !m->rejected;
    }
    out->delivered = t->n_ranks;
    out->duplicates = t->duplicates;
    out->redeliveries = t->redeliveries;
    out->order_disagreements = order_disagreements(t);
    latencies_percentiles(&t->ack, &out->ack);
    latencies_percentiles(&t->delivery, &out->delivery);
    measure_loss(rm, t, end, out);
    out->restarts_present = t->d->replays_history;
    g_array_append_vals(out->catchups, t->catchups->data, t->catchups->len);
    g_array_sort(out->catchups, compare_catchup);
    for (guint i = 0; i < out->catchups->len; i++) {
        const struct measure_catchup *c = &g_array_index(out->catchups, struct measure_catchup, i);
        out->restarts++;
        if (c->caught_up_ns < 0) {
            out->never_caught_up++;
        } else {
            int64_t took = c->caught_up_ns - c->started_ns;
            out->catchup_max_ns = out->catchup_max_present ? MAX(out->catchup_max_ns, took)
                                                           : took;
            out->catchup_max_present = true;
        }
    }
    out->unavailable_ns = unavailable_ns(t, end);
    out->leader_changes_present = t->d->leader_state != NULL;
    out->leader_changes = MAX(0, t->leader_entries - 1);
}

GArray *run_measures_finish(struct run_measures *rm, const struct measure_end *end)
{
    ZS_ASSERT(!rm->finished);
    rm->finished = true;
    GArray *out = g_array_new(FALSE, FALSE, sizeof(struct measure_model));
    for (int i = 0; i < MODELS_MAX; i++) {
        if (!rm->tracks[i])
            continue;
        struct measure_model mm;
        measure_model(rm, rm->tracks[i], end, &mm);
        g_array_append_val(out, mm);
    }
    return out;
}

void run_measures_result_free(GArray *result)
{
    if (!result)
        return;
    for (guint i = 0; i < result->len; i++) {
        struct measure_model *mm = &g_array_index(result, struct measure_model, i);
        g_array_free(mm->hosts, TRUE);
        g_array_free(mm->catchups, TRUE);
    }
    g_array_free(result, TRUE);
}
