/* oracle.h: invariants as streaming checks over a run's trace.
 *
 * An oracle watches the records of one model in the order the run produced them and reports
 * every violation of the invariants it defines, each with a sentence naming what broke and
 * the records that prove it, formatted as the rows of the results database show them. Its
 * memory grows with hosts, epochs and the model's committed log, never with deliveries: it
 * keeps facts, not history.
 *
 * The same oracle runs online, as a recorder of the simulation; offline, in `zabsim check`,
 * fed the rows of a results database in their recorded order; and in the tests, fed
 * hand-made broken histories. That is the only definition of each invariant.
 *
 * Violations go to a sink that counts them all and keeps at most ORACLE_LISTED_MAX per
 * invariant, so a run broken at every delivery does not produce a million copies of one
 * story. */
#ifndef SIM_ORACLE_H
#define SIM_ORACLE_H

#include "sim/trace.h"

/* Violations listed per invariant; the rest are counted and summed up in one more entry. */
#define ORACLE_LISTED_MAX 100

struct oracle_violation {
    const char *model;     /* the model's name (static) */
    const char *invariant; /* the invariant's name (static) */
    char *detail;          /* one sentence naming hosts (host#incarnation), messages, zxids */
    char *evidence;        /* the rows that prove it, one per line ("table col=value ...") */
    int64_t count;         /* 1; N for the entry that sums up N violations not listed */
};

/* What an oracle found, in report order: model, then invariant, then the order found. */
struct oracle_result {
    GPtrArray *violations; /* struct oracle_violation *; owns them */
    int64_t found;         /* every violation, including those not listed */
};

void oracle_result_clear(struct oracle_result *r);

struct oracle_sink;

/* What an oracle is told when it is created. */
struct oracle_env {
    model_id model;                 /* records of other models are not its business */
    const char *model_name;
    uint32_t n_hosts;
    const char *const *host_names;  /* by host index */
    struct oracle_sink *sink;       /* where it reports */
};

struct oracle_ops {
    const char *const *invariants;  /* names, in report order */
    unsigned n_invariants;
    void *(*create)(const struct oracle_env *env);
    /* One record of the run, of any model, in trace order. */
    void (*observe)(void *state, const struct trace_rec *r);
    /* The trace has ended: report what only the end can show. */
    void (*finish)(void *state);
    void (*destroy)(void *state);
};

struct oracle_sink *oracle_sink_new(void);
void oracle_sink_free(struct oracle_sink *s);
/* Counts one violation of invariant (an entry of ops->invariants) of model; true when it is
 * to be listed, i.e. when the caller should build its detail and evidence for oracle_list. */
bool oracle_count(struct oracle_sink *s, const char *model, const char *invariant);
/* Lists a counted violation; takes detail and evidence. */
void oracle_list(struct oracle_sink *s, const char *model, const char *invariant,
                 char *detail, GString *evidence);
/* Moves everything found into res, ordered by the order in which each (model, invariant)
 * was declared with oracle_declare, each list followed by a "N more violations of X not
 * listed" entry when it was cut. The sink is empty afterwards. */
void oracle_sink_collect(struct oracle_sink *s, struct oracle_result *res);
/* Declares the invariants of a model up front, fixing the report order. */
void oracle_declare(struct oracle_sink *s, const char *model, const struct oracle_ops *ops);

#endif
