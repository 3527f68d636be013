/* scenario_internal.h: what the files of the scenario loader share, and nothing else
 * includes: the YAML node tree with source positions (scenario_yaml.c), the list of problems
 * found, and the typed readers that turn nodes into values or problems (scenario_value.c).
 * scenario.c reads the top level and the sections, scenario_fault.c the faults and `expect:`.
 *
 * Every reader reports what is wrong with a node and returns false, leaving its output
 * untouched; callers continue with the next key, so one pass finds every problem. */
#ifndef WORLD_SCENARIO_INTERNAL_H
#define WORLD_SCENARIO_INTERNAL_H

#include "world/scenario.h"

/* Deeper nesting than any valid scenario needs (at most 5 levels) by a wide margin. */
#define SCENARIO__MAX_DEPTH 32
/* Problems kept for the message; a file with more is garbage, the first ones say so. */
#define SCENARIO__MAX_PROBLEMS 100

enum ynode_kind {
    SCENARIO_YNODE_SCALAR,
    SCENARIO_YNODE_MAPPING,
    SCENARIO_YNODE_SEQUENCE,
    SCENARIO_YNODE_INVALID, /* an alias or a string with NUL, already reported: readers skip it */
};

struct ynode {
    enum ynode_kind kind;
    int line, column; /* 1-based, where the node starts */
    char *text;       /* scalar: the value (never contains NUL) */
    bool plain;       /* scalar written without quotes: only these can mean null */
    GPtrArray *items; /* sequence: the items; mapping: key, value, key, value, ... */
};

/* The tree of one YAML document; nodes owns every node. */
struct scenario__tree {
    struct ynode *root;
    GPtrArray *nodes;
};

/* Problems found so far, and scratch strings that live as long as the problems do. */
struct scenario__diag {
    const char *path;   /* file name as shown in messages */
    GArray *problems;   /* struct scenario__problem */
    unsigned n_dropped; /* problems beyond SCENARIO__MAX_PROBLEMS */
    GPtrArray *scratch; /* strings returned by scenario__quote() */
};

struct scenario__problem {
    int line, column; /* 0 when the problem concerns the whole file */
    unsigned seq;     /* report order, to keep the sort stable */
    char *message;
};

/* State while reading one scenario. */
struct scenario__ctx {
    struct scenario__diag *diag;
    struct scenario *sc;
    bool hosts_ok;    /* host names are known, so host references can be checked */
    bool duration_ok; /* sc->duration is valid, so times can be compared with it */
    /* workload.clients and every recipe's clients are valid, so references to client
     * machines (c1..cN, scenario_client_machines()) can be checked */
    bool clients_ok;
    bool recipes_given; /* the file has a `recipe:` (valid or not): `holder` may be named */
};

/* A key of a mapping and its value, as found by scenario__fields(); NULLs when absent. */
struct scenario__field {
    const struct ynode *key;
    const struct ynode *value;
};

/* ---- scenario_yaml.c ------------------------------------------------------------------ */

void scenario__diag_init(struct scenario__diag *d, const char *path);
void scenario__diag_clear(struct scenario__diag *d);
void scenario__report(struct scenario__diag *d, int line, int column, const char *fmt, ...)
    G_GNUC_PRINTF(4, 5);
/* All problems, sorted by position, one "FILE:LINE:COLUMN: message" per line. */
char *scenario__diag_format(const struct scenario__diag *d);
/* text, made safe to quote in a message: control characters escaped, long text cut short.
 * The string belongs to d. */
const char *scenario__quote(struct scenario__diag *d, const char *text);

/* Builds the tree of text (len bytes, need not be NUL-terminated). Returns false when there
 * is no usable tree (empty, binary or not YAML, top level not a mapping); every problem is
 * reported to d either way. Free the tree with scenario__tree_clear(). */
bool scenario__read_yaml(struct scenario__diag *d, const char *text, size_t len,
                         struct scenario__tree *tree);
void scenario__tree_clear(struct scenario__tree *tree);

/* ---- scenario_value.c ----------------------------------------------------------------- */

#define scenario__report_at(c, node, ...)                                                  \
    scenario__report((c)->diag, (node)->line, (node)->column, __VA_ARGS__)

/* A plain empty, "~" or "null" scalar: the key was written without a value. */
bool scenario__is_null(const struct ynode *n);
/* "a mapping", "a list", "a string" */
const char *scenario__kind_name(const struct ynode *n);

/* Splits a mapping into the allowed keys; reports unknown keys (with the closest valid one),
 * duplicates and non-scalar keys. A null node counts as an empty mapping. Returns false
 * when map is not a mapping. At most 40 keys. */
bool scenario__fields(struct scenario__ctx *c, const struct ynode *map, const char *where,
                      const char *const *names, size_t n_names, struct scenario__field *out);
/* The same, where only the first n_listed names are offered to the user: the others are
 * accepted so that the caller can explain them (keys renamed since an earlier version). */
bool scenario__fields_listed(struct scenario__ctx *c, const struct ynode *map,
                             const char *where, const char *const *names, size_t n_names,
                             size_t n_listed, struct scenario__field *out);
/* Reports "WHERE: missing required key 'KEY'" at the mapping. */
void scenario__missing(struct scenario__ctx *c, const struct ynode *map, const char *where,
                       const char *key);

bool scenario__string(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      char **out);
bool scenario__uint(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    uint64_t min, uint64_t max, uint64_t *out);
/* A duration in [min_ns, SCENARIO_MAX_TIME_NS]. */
bool scenario__duration(struct scenario__ctx *c, const struct ynode *n, const char *where,
                        sim_time min_ns, sim_time *out);
bool scenario__size(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    uint64_t *out);
bool scenario__rate(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    double *out);
/* {dist: fixed, value}, uniform{min, max}, normal{mean, stddev}, exponential{mean}, or a
 * plain duration as shorthand for fixed. */
bool scenario__dist(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    struct dist *out);
/* Index of the host named by n, or -1 (reported, unless hosts are unknown). */
int scenario__host(struct scenario__ctx *c, const struct ynode *n, const char *where);
/* where followed by suffix (".tick") in buf, for messages about nested keys; cut short
 * rather than overflow. Returns buf. */
const char *scenario__path(char *buf, size_t len, const char *where, const char *suffix);
/* [a-z0-9_-]+ */
bool scenario__valid_name(const char *s);

/* ---- scenario_fault.c ----------------------------------------------------------------- */

/* Which targets a place accepts (flags), and how to say so in a message. */
enum {
    SCENARIO_ALLOW_LIST = 1u << 0,
    SCENARIO_ALLOW_LEADER = 1u << 1,
    SCENARIO_ALLOW_FOLLOWER = 1u << 2,
    SCENARIO_ALLOW_RANDOM = 1u << 3,
    SCENARIO_ALLOW_CRASHED = 1u << 4,
    SCENARIO_ALLOW_ANY = 1u << 5,
    SCENARIO_ALLOW_EVENT_HOST = 1u << 6,
    SCENARIO_ALLOW_CLIENT = 1u << 7, /* a client machine's name (c1..cN), in a list too */
    SCENARIO_ALLOW_HOLDER = 1u << 8,
};
struct scenario_target_rule {
    unsigned allow;
    const char *expected;
};
/* A host name, a list of them, or a word the rule allows (leader, any, ...); client machine
 * names (c2) too where the rule allows them. */
bool scenario__target(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      const struct scenario_target_rule *rule, struct scenario_target *t);

void scenario__read_faults(struct scenario__ctx *c, const struct ynode *n);
void scenario__read_expect(struct scenario__ctx *c, const struct ynode *n);

/* ---- scenario_recipe.c ---------------------------------------------------------------- */

/* The client machine name ("c2": 1), or -1 when name is not of the form cN (N from 1, no
 * leading zero); N may exceed the scenario's client machines (up to INT_MAX). */
int scenario__client_number(const char *name);
/* `recipe:`: one mapping or a list of them, into sc->recipes. Reads before the faults, which
 * may name the recipes' client machines and `holder`. */
void scenario__read_recipes(struct scenario__ctx *c, const struct ynode *n);

/* ---- scenario_trigger.c --------------------------------------------------------------- */

/* Largest `count` of a trigger. */
#define SCENARIO_TRIGGER_COUNT_MAX 1000000000u
/* Reads an `on:` mapping into t (count and after are the fault's keys, read by the caller). */
bool scenario__read_trigger(struct scenario__ctx *c, const struct ynode *n, const char *where,
                            struct scenario_trigger *t);

#endif
