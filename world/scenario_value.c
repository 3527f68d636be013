/* scenario_value.c: typed readers for the scenario loader: mappings with a fixed set of keys,
 * strings, whole numbers, durations, sizes, rates, distributions and host names. Each one
 * either produces a value or reports, at the node, what was expected and what was found.
 *
 * The unit syntax itself lives in units.c; this file adds the key path and the value to its
 * messages, and the scenario-wide limits. */
#include "world/scenario_internal.h"

#include "world/units.h"

#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 40
/* Unknown keys this close to a valid one (Levenshtein distance) get a suggestion. */
#define SUGGEST_DISTANCE 2
/* Longest key compared for a suggestion: longer ones are not typos of ours. */
#define SUGGEST_MAX_LEN 40

const char *scenario__path(char *buf, size_t len, const char *where, const char *key)
{
    snprintf(buf, len, "%s%s", where, key);
    return buf;
}

bool scenario__is_null(const struct ynode *n)
{
    if (n->kind != SCENARIO_YNODE_SCALAR || !n->plain)
        return false;
    const char *t = n->text;
    return t[0] == '\0' || strcmp(t, "~") == 0 || strcmp(t, "null") == 0 ||
           strcmp(t, "Null") == 0 || strcmp(t, "NULL") == 0;
}

const char *scenario__kind_name(const struct ynode *n)
{
    switch (n->kind) {
    case SCENARIO_YNODE_MAPPING:
        return "a mapping";
    case SCENARIO_YNODE_SEQUENCE:
        return "a list";
    case SCENARIO_YNODE_SCALAR:
        return "a single value";
    case SCENARIO_YNODE_INVALID:
        break;
    }
    return "an invalid value";
}

bool scenario__valid_name(const char *s)
{
    if (*s == '\0')
        return false;
    for (; *s; s++) {
        if (!(g_ascii_islower(*s) || g_ascii_isdigit(*s) || *s == '_' || *s == '-'))
            return false;
    }
    return true;
}

/* ---- mappings ----------------------------------------------------------------------------- */

static size_t edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t prev[SUGGEST_MAX_LEN + 1], cur[SUGGEST_MAX_LEN + 1];
    ZS_ASSERT(la <= SUGGEST_MAX_LEN && lb <= SUGGEST_MAX_LEN);
    for (size_t j = 0; j <= lb; j++)
        prev[j] = j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = i;
        for (size_t j = 1; j <= lb; j++) {
            size_t sub = prev[j - 1] + (a[i - 1] != b[j - 1]);
            cur[j] = MIN(sub, MIN(prev[j], cur[j - 1]) + 1);
        }
        memcpy(prev, cur, sizeof cur);
    }
    return prev[lb];
}

/* The valid name closest to key, if one is within SUGGEST_DISTANCE edits (of the name, or
 * of the name without its "_ns" unit suffix) and those edits change at most half of key
 * ("a" is not a typo of "zab"); the first wins ties. */
static const char *closest_name(const char *key, const char *const *names, size_t n)
{
    const char *best = NULL;
    size_t best_distance = SUGGEST_DISTANCE + 1, len = strlen(key);
    if (len > SUGGEST_MAX_LEN)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(key, names[i]);
        /* A duration's unit suffix is easy to forget: "ack_p99" means "ack_p99_ns". */
        if (g_str_has_suffix(names[i], "_ns")) {
            char *bare = g_strndup(names[i], strlen(names[i]) - 3);
            d = MIN(d, edit_distance(key, bare));
            g_free(bare);
        }
        if (d < best_distance && 2 * d <= len) {
            best = names[i];
            best_distance = d;
        }
    }
    return best;
}

static void report_unknown_key(struct scenario__ctx *c, const struct ynode *key,
                               const char *where, const char *const *names, size_t n)
{
    GString *valid = g_string_new(NULL);
    for (size_t i = 0; i < n; i++)
        g_string_append_printf(valid, "%s%s", i ? ", " : "", names[i]);
    const char *near = closest_name(key->text, names, n);
    const char *quoted = scenario__quote(c->diag, key->text);
    char in[96] = "";
    if (where)
        snprintf(in, sizeof in, " in %s", where);
    if (near)
        scenario__report_at(c, key, "unknown key '%s'%s; did you mean '%s'? (valid keys: %s)",
                            quoted, in, near, valid->str);
    else
        scenario__report_at(c, key, "unknown key '%s'%s (valid keys: %s)", quoted, in,
                            valid->str);
    g_string_free(valid, TRUE);
}

static void take_field(struct scenario__ctx *c, const struct ynode *key,
                       const struct ynode *value, const char *where, const char *const *names,
                       size_t n_names, size_t n_listed, struct scenario__field *out)
{
    if (key->kind == SCENARIO_YNODE_INVALID)
        return;
    if (key->kind != SCENARIO_YNODE_SCALAR) {
        scenario__report_at(c, key, "%s%skeys must be plain words, not %s", where ? where : "",
                            where ? ": " : "", scenario__kind_name(key));
        return;
    }
    for (size_t i = 0; i < n_names; i++) {
        if (strcmp(key->text, names[i]) != 0)
            continue;
        if (out[i].key) {
            scenario__report_at(c, key, "duplicate key '%s'%s%s (first given at %d:%d)",
                                names[i], where ? " in " : "", where ? where : "",
                                out[i].key->line, out[i].key->column);
            return;
        }
        out[i].key = key;
        out[i].value = value;
        return;
    }
    report_unknown_key(c, key, where, names, n_listed);
}

bool scenario__fields(struct scenario__ctx *c, const struct ynode *map, const char *where,
                      const char *const *names, size_t n_names, struct scenario__field *out)
{
    return scenario__fields_listed(c, map, where, names, n_names, n_names, out);
}

bool scenario__fields_listed(struct scenario__ctx *c, const struct ynode *map,
                             const char *where, const char *const *names, size_t n_names,
                             size_t n_listed, struct scenario__field *out)
{
    ZS_ASSERT(n_listed <= n_names);
    ZS_ASSERT(n_names <= MAX_FIELDS);
    for (size_t i = 0; i < n_names; i++)
        out[i] = (struct scenario__field){ NULL, NULL };
    if (!map || scenario__is_null(map))
        return true;
    if (map->kind == SCENARIO_YNODE_INVALID)
        return false;
    if (map->kind != SCENARIO_YNODE_MAPPING) {
        scenario__report_at(c, map, "%s: expected a mapping (key: value, ...), not %s",
                            where ? where : "top level", scenario__kind_name(map));
        return false;
    }
    for (guint i = 0; i + 1 < map->items->len; i += 2)
        take_field(c, g_ptr_array_index(map->items, i), g_ptr_array_index(map->items, i + 1),
                   where, names, n_names, n_listed, out);
    return true;
}

void scenario__missing(struct scenario__ctx *c, const struct ynode *map, const char *where,
                       const char *key)
{
    if (where)
        scenario__report_at(c, map, "%s: missing required key '%s'", where, key);
    else
        scenario__report_at(c, map, "missing required key '%s'", key);
}

/* ---- scalars ------------------------------------------------------------------------------ */

/* The text of a scalar node, or NULL after reporting why there is none. */
static const char *scalar_text(struct scenario__ctx *c, const struct ynode *n, const char *where,
                               const char *expected)
{
    if (n->kind == SCENARIO_YNODE_INVALID)
        return NULL;
    if (n->kind != SCENARIO_YNODE_SCALAR) {
        scenario__report_at(c, n, "%s: expected %s, not %s", where, expected,
                            scenario__kind_name(n));
        return NULL;
    }
    if (scenario__is_null(n)) {
        scenario__report_at(c, n, "%s: missing value (expected %s)", where, expected);
        return NULL;
    }
    return n->text;
}

bool scenario__string(struct scenario__ctx *c, const struct ynode *n, const char *where,
                      char **out)
{
    const char *text = scalar_text(c, n, where, "a string");
    if (!text)
        return false;
    *out = g_strdup(text);
    return true;
}

bool scenario__uint(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    uint64_t min, uint64_t max, uint64_t *out)
{
    const char *text = scalar_text(c, n, where, "a whole number");
    if (!text)
        return false;
    if (text[0] == '-' && g_ascii_isdigit(text[1])) {
        scenario__report_at(c, n, "%s: must not be negative", where);
        return false;
    }
    uint64_t v = 0;
    for (const char *p = text; *p; p++) {
        if (!g_ascii_isdigit(*p)) {
            scenario__report_at(c, n, "%s: expected a whole number, found '%s'", where,
                                scenario__quote(c->diag, text));
            return false;
        }
        unsigned digit = (unsigned)(*p - '0');
        if (v > (UINT64_MAX - digit) / 10) {
            scenario__report_at(c, n, "%s: too large (at most %" G_GUINT64_FORMAT ")", where,
                                max);
            return false;
        }
        v = v * 10 + digit;
    }
    if (v < min || v > max) {
        scenario__report_at(c, n, "%s: must be %s %" G_GUINT64_FORMAT ", found %" G_GUINT64_FORMAT,
                            where, v < min ? "at least" : "at most", v < min ? min : max, v);
        return false;
    }
    *out = v;
    return true;
}

bool scenario__duration(struct scenario__ctx *c, const struct ynode *n, const char *where,
                        sim_time min_ns, sim_time *out)
{
    const char *text = scalar_text(c, n, where, "a duration such as 2s or 0.5ms");
    if (!text)
        return false;
    char *error = NULL;
    sim_time v;
    if (!units_parse_duration(text, &v, &error)) {
        scenario__report_at(c, n, "%s: invalid duration '%s': %s", where,
                            scenario__quote(c->diag, text), error);
        g_free(error);
        return false;
    }
    if (v > SCENARIO_MAX_TIME_NS) {
        scenario__report_at(c, n, "%s: '%s' is longer than a scenario may use (at most 365 "
                            "days)", where, scenario__quote(c->diag, text));
        return false;
    }
    if (v < min_ns) {
        char limit[32];
        units_format_duration(min_ns, limit, sizeof limit);
        if (min_ns == 1)
            scenario__report_at(c, n, "%s: must be greater than 0", where);
        else
            scenario__report_at(c, n, "%s: must be at least %s", where, limit);
        return false;
    }
    *out = v;
    return true;
}

bool scenario__size(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    uint64_t *out)
{
    const char *text = scalar_text(c, n, where, "a size such as 8MiB");
    if (!text)
        return false;
    char *error = NULL;
    if (!units_parse_size(text, out, &error)) {
        scenario__report_at(c, n, "%s: invalid size '%s': %s", where,
                            scenario__quote(c->diag, text), error);
        g_free(error);
        return false;
    }
    return true;
}

bool scenario__rate(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    double *out)
{
    const char *text = scalar_text(c, n, where, "a rate such as 200/s");
    if (!text)
        return false;
    char *error = NULL;
    if (!units_parse_rate(text, out, &error)) {
        scenario__report_at(c, n, "%s: invalid rate '%s': %s", where,
                            scenario__quote(c->diag, text), error);
        g_free(error);
        return false;
    }
    return true;
}

/* ---- distributions ------------------------------------------------------------------------ */

enum dist_key { DK_DIST, DK_VALUE, DK_MIN, DK_MAX, DK_MEAN, DK_STDDEV, DK_COUNT };
static const char *const dist_keys[DK_COUNT] = { "dist", "value", "min", "max", "mean", "stddev" };
static const char *const dist_suffix[DK_COUNT] = { ".dist", ".value", ".min", ".max", ".mean",
                                                   ".stddev" };

static const struct dist_shape {
    const char *name;
    enum dist_kind kind;
    enum dist_key a, b; /* the parameters, in struct dist order; b == DK_DIST when none */
    const char *takes;
} dist_shapes[] = {
    { "fixed", DIST_FIXED, DK_VALUE, DK_DIST, "value" },
    { "uniform", DIST_UNIFORM, DK_MIN, DK_MAX, "min and max" },
    { "normal", DIST_NORMAL, DK_MEAN, DK_STDDEV, "mean and stddev" },
    { "exponential", DIST_EXPONENTIAL, DK_MEAN, DK_DIST, "mean" },
};

static const struct dist_shape *dist_shape(struct scenario__ctx *c, const struct ynode *n,
                                           const char *where)
{
    char path[160];
    const char *text = scalar_text(c, n, scenario__path(path, sizeof path, where, ".dist"),
                                   "fixed, uniform, normal or exponential");
    if (!text)
        return NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(dist_shapes); i++) {
        if (strcmp(text, dist_shapes[i].name) == 0)
            return &dist_shapes[i];
    }
    scenario__report_at(c, n, "%s: unknown distribution '%s' (fixed, uniform, normal or "
                        "exponential)", path, scenario__quote(c->diag, text));
    return NULL;
}

/* Reads one parameter of a distribution: present, a duration, and positive if need be. */
static bool dist_param(struct scenario__ctx *c, const struct ynode *map,
                       const struct scenario__field *f, enum dist_key k, const char *where,
                       const struct dist_shape *shape, sim_time *out)
{
    char path[160];
    if (!f[k].value) {
        scenario__report_at(c, map, "%s: a %s distribution needs '%s'", where, shape->name,
                            dist_keys[k]);
        return false;
    }
    /* An exponential with mean 0 is the constant 0: say so rather than sample it. */
    sim_time min_ns = shape->kind == DIST_EXPONENTIAL ? 1 : 0;
    scenario__path(path, sizeof path, where, dist_suffix[k]);
    return scenario__duration(c, f[k].value, path, min_ns, out);
}

bool scenario__dist(struct scenario__ctx *c, const struct ynode *n, const char *where,
                    struct dist *out)
{
    sim_time v;
    if (n->kind == SCENARIO_YNODE_SCALAR && !scenario__is_null(n)) {
        /* Extension: a plain duration is a fixed delay. */
        if (!scenario__duration(c, n, where, 0, &v))
            return false;
        *out = dist_fixed(v);
        return true;
    }
    if (n->kind != SCENARIO_YNODE_MAPPING) {
        if (n->kind != SCENARIO_YNODE_INVALID)
            scenario__report_at(c, n, "%s: expected a distribution such as {dist: uniform, "
                                "min: 1ms, max: 2ms}, not %s", where,
                                scenario__is_null(n) ? "nothing" : scenario__kind_name(n));
        return false;
    }
    struct scenario__field f[DK_COUNT];
    scenario__fields(c, n, where, dist_keys, DK_COUNT, f);
    if (!f[DK_DIST].value) {
        scenario__report_at(c, n, "%s: missing required key 'dist' (fixed, uniform, normal or "
                            "exponential)", where);
        return false;
    }
    const struct dist_shape *shape = dist_shape(c, f[DK_DIST].value, where);
    if (!shape)
        return false;
    bool ok = true;
    for (int k = DK_VALUE; k < DK_COUNT; k++) {
        if (f[k].key && k != (int)shape->a && k != (int)shape->b) {
            scenario__report_at(c, f[k].key, "%s: '%s' does not apply to a %s distribution "
                                "(it takes %s)", where, dist_keys[k], shape->name, shape->takes);
            ok = false;
        }
    }
    struct dist d = { .kind = shape->kind, .a = 0, .b = 0 };
    bool params_ok = dist_param(c, n, f, shape->a, where, shape, &d.a);
    if (shape->b != DK_DIST)
        params_ok &= dist_param(c, n, f, shape->b, where, shape, &d.b);
    if (params_ok && d.kind == DIST_UNIFORM && d.a > d.b) {
        scenario__report_at(c, f[DK_MAX].value, "%s: max must not be below min", where);
        params_ok = false;
    }
    if (ok && params_ok)
        *out = d;
    return ok && params_ok;
}

/* ---- hosts -------------------------------------------------------------------------------- */

bool scenario_hosts_generated(const struct scenario *sc)
{
    for (uint32_t i = 0; i < sc->hosts; i++) {
        char expect[16];
        snprintf(expect, sizeof expect, "h%u", i + 1);
        if (strcmp(sc->host_names[i], expect) != 0)
            return false;
    }
    return true;
}

/* "h1..h5" when the names are the generated ones, else "a, b, c". */
static const char *host_list(struct scenario__ctx *c)
{
    const struct scenario *sc = c->sc;
    bool generated = scenario_hosts_generated(sc);
    GString *s = g_string_new(NULL);
    if (generated && sc->hosts > 1)
        g_string_printf(s, "h1..h%u", sc->hosts);
    for (uint32_t i = 0; i < sc->hosts && !(generated && sc->hosts > 1); i++)
        g_string_append_printf(s, "%s%s", i ? ", " : "", sc->host_names[i]);
    char *out = g_string_free(s, FALSE);
    g_ptr_array_add(c->diag->scratch, out);
    return out;
}

int scenario__host(struct scenario__ctx *c, const struct ynode *n, const char *where)
{
    const char *text = scalar_text(c, n, where, "a host name");
    if (!text || !c->hosts_ok)
        return -1;
    int h = scenario_host_index(c->sc, text);
    if (h < 0)
        scenario__report_at(c, n, "%s: unknown host '%s' (hosts are %s)", where,
                            scenario__quote(c->diag, text), host_list(c));
    return h;
}
