/* oracle.c: the sink oracles report violations to (oracle.h). */
#include "sim/oracle.h"

#include <inttypes.h>
#include <string.h>

/* One invariant of one model: its count and the violations listed. */
struct tally {
    const char *model;
    const char *invariant;
    int64_t found;
    GPtrArray *listed; /* struct oracle_violation * */
};

struct oracle_sink {
    GArray *tallies; /* struct tally, in declaration order; few, so scanned */
};

static void violation_free(gpointer p)
{
    struct oracle_violation *v = p;
    g_free(v->detail);
    g_free(v->evidence);
    g_free(v);
}

void oracle_result_clear(struct oracle_result *r)
{
    if (r->violations)
        g_ptr_array_free(r->violations, TRUE);
    r->violations = NULL;
    r->found = 0;
}

struct oracle_sink *oracle_sink_new(void)
{
    struct oracle_sink *s = g_new0(struct oracle_sink, 1);
    s->tallies = g_array_new(FALSE, FALSE, sizeof(struct tally));
    return s;
}

void oracle_sink_free(struct oracle_sink *s)
{
    if (!s)
        return;
    for (guint i = 0; i < s->tallies->len; i++)
        g_ptr_array_free(g_array_index(s->tallies, struct tally, i).listed, TRUE);
    g_array_free(s->tallies, TRUE);
    g_free(s);
}

static struct tally *find_tally(struct oracle_sink *s, const char *model, const char *invariant)
{
    for (guint i = 0; i < s->tallies->len; i++) {
        struct tally *t = &g_array_index(s->tallies, struct tally, i);
        if (strcmp(t->model, model) == 0 && strcmp(t->invariant, invariant) == 0)
            return t;
    }
    return NULL;
}

static struct tally *add_tally(struct oracle_sink *s, const char *model, const char *invariant)
{
    struct tally t = { .model = model, .invariant = invariant,
                       .listed = g_ptr_array_new_with_free_func(violation_free) };
    g_array_append_val(s->tallies, t);
    return &g_array_index(s->tallies, struct tally, s->tallies->len - 1);
}

void oracle_declare(struct oracle_sink *s, const char *model, const struct oracle_ops *ops)
{
    for (unsigned i = 0; i < ops->n_invariants; i++) {
        if (!find_tally(s, model, ops->invariants[i]))
            add_tally(s, model, ops->invariants[i]);
    }
}

bool oracle_count(struct oracle_sink *s, const char *model, const char *invariant)
{
    struct tally *t = find_tally(s, model, invariant);
    ZS_ASSERT(t != NULL); /* an oracle reports only the invariants it declared */
    return ++t->found <= ORACLE_LISTED_MAX;
}

void oracle_list(struct oracle_sink *s, const char *model, const char *invariant,
                 char *detail, GString *evidence)
{
    struct tally *t = find_tally(s, model, invariant);
    ZS_ASSERT(t != NULL);
    ZS_ASSERT(t->listed->len < ORACLE_LISTED_MAX);
    struct oracle_violation *v = g_new(struct oracle_violation, 1);
    *v = (struct oracle_violation){ .model = t->model, .invariant = t->invariant,
                                    .detail = detail,
                                    .evidence = g_string_free(evidence, FALSE), .count = 1 };
    g_ptr_array_add(t->listed, v);
}

void oracle_sink_collect(struct oracle_sink *s, struct oracle_result *res)
{
    res->violations = g_ptr_array_new_with_free_func(violation_free);
    res->found = 0;
    for (guint i = 0; i < s->tallies->len; i++) {
        struct tally *t = &g_array_index(s->tallies, struct tally, i);
        for (guint k = 0; k < t->listed->len; k++)
            g_ptr_array_add(res->violations, g_ptr_array_index(t->listed, k));
        g_ptr_array_set_free_func(t->listed, NULL);
        g_ptr_array_set_size(t->listed, 0);
        g_ptr_array_set_free_func(t->listed, violation_free);
        if (t->found > ORACLE_LISTED_MAX) {
            struct oracle_violation *v = g_new(struct oracle_violation, 1);
            *v = (struct oracle_violation){
                .model = t->model, .invariant = t->invariant,
                .detail = g_strdup_printf("%" PRId64 " more violations of %s not listed",
                                          t->found - ORACLE_LISTED_MAX, t->invariant),
                .evidence = g_strdup(""), .count = t->found - ORACLE_LISTED_MAX };
            g_ptr_array_add(res->violations, v);
        }
        res->found += t->found;
        t->found = 0;
    }
}
