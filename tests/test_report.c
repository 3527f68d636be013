/* test_report.c: `zabsim report` end to end. A small scenario (three hosts, a leader crash,
 * a partition, a restart; a description full of markup characters; an expectation that
 * always fails, so runs are verdict 'fail') is run by the real binary into three databases:
 * one run with the message log, two seeds of it (a sweep), and a ZAB-only run without the
 * log. Then the text, HTML and trace outputs are checked against the database they came
 * from, and bad inputs must exit 2. tests/test_report_browser.c renders the page. */
#include <glib/gstdio.h>
#include <inttypes.h>
#include <string.h>
#include <sys/wait.h>

#include "reports/db.h"
#include "world/summary_columns.h"
#include "world/units.h"
#include "tests/harness.h"

static const char scenario_yaml[] =
    "name: report_test\n"
    "description: >-\n"
    "  Three <hosts> & \"friends\": the leader crashes, a partition cuts h1 off, it heals,\n"
    "  the crashed host comes back.\n"
    "seed: 7\n"
    "duration: 3s\n"
    "hosts: 3\n"
    "network:\n"
    "  latency: {dist: uniform, min: 0.5ms, max: 2ms}\n"
    "disk:\n"
    "  fsync: {dist: fixed, value: 2ms}\n"
    /* The run lasts 3 s and its checks need ZAB deliveries to draw: with a leader that
     * loads its database first, the clients of these seeds connect only after the crash,
     * so this fixture keeps the leader that accepts followers at once. */
    "zab:\n"
    "  leader_load: 0\n"
    "workload:\n"
    "  clients: 2\n"
    "  rate: 100/s\n"
    "  start: 0s\n"
    "  stop: 2.5s\n"
    "  payload: 64\n"
    "faults:\n"
    "  - {at: 1s, crash: leader}\n"
    "  - {at: 1.5s, partition: [[h1], [h2, h3]]}\n"
    "  - {at: 2s, heal: all}\n"
    "  - {at: 2.2s, restart: crashed}\n"
    "expect:\n"
    "  zab: {submitted: 0}\n";

/* ---- fixtures --------------------------------------------------------------------------- */

static char *dir;          /* temporary directory of the fixtures */
static char *yaml_path;
static char *single_db;    /* one run, message log */
static char *sweep_db;     /* seeds 7 and 8, message log */
static char *zab_only_db;  /* --model zab, no message log */
static bool fixture_ok;
static char *recipe_db;    /* tests/recipe_lock_zab.yaml: a lock recipe over ZAB */
static char *recipe_out;   /* what zabsim run printed for it */

struct cli_result {
    int status;
    char *out, *err;
};

static void cli_clear(struct cli_result *r)
{
    g_free(r->out);
    g_free(r->err);
}

/* Runs zabsim with the NULL-terminated arguments. */
static bool zabsim(struct cli_result *r, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    r->status = test_zabsim((const char *const *)argv->pdata, &r->out, &r->err);
    g_ptr_array_free(argv, TRUE);
    return r->status >= 0;
}

/* A run that simulated: exit 0 or 1 (the expectation fails on purpose), never 2. */
static bool simulate(const char *db, const char *seed, const char *model, bool log)
{
    struct cli_result r;
    /* without the log the NULL in place of "--log" ends the arguments */
    bool ok = zabsim(&r, "run", yaml_path, "--db", db, "--seed", seed, "--model", model,
                     log ? "--log" : NULL, "messages", NULL) &&
              (r.status == 0 || r.status == 1);
    if (!ok)
        fprintf(stderr, "\nzabsim run failed (%d): %s\n", r.status, r.err ? r.err : "");
    cli_clear(&r);
    return ok;
}

static void remove_fixtures(void)
{
    const char *names[] = { single_db, sweep_db, zab_only_db, yaml_path, recipe_db };
    g_free(recipe_out);
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
        if (names[i])
            g_remove(names[i]);
        g_free((char *)names[i]);
    }
    GDir *d = g_dir_open(dir, 0, NULL);
    for (const char *f; d && (f = g_dir_read_name(d));) {
        char *path = g_build_filename(dir, f, NULL);
        g_remove(path);
        g_free(path);
    }
    if (d)
        g_dir_close(d);
    g_rmdir(dir);
    g_free(dir);
}

/* Builds the databases once; false (and every test fails) when zabsim is not available. */
static bool fixtures(void)
{
    static bool made;
    if (made)
        return fixture_ok;
    made = true;
    dir = g_dir_make_tmp("zabsim-report-XXXXXX", NULL);
    if (!dir)
        return false;
    atexit(remove_fixtures);
    yaml_path = g_build_filename(dir, "report_test.yaml", NULL);
    single_db = g_build_filename(dir, "single.db", NULL);
    sweep_db = g_build_filename(dir, "sweep.db", NULL);
    zab_only_db = g_build_filename(dir, "zab_only.db", NULL);
    fixture_ok = g_file_set_contents(yaml_path, scenario_yaml, -1, NULL) &&
                 simulate(single_db, "7", "both", true) && simulate(sweep_db, "7", "both", true) &&
                 simulate(sweep_db, "8", "both", true) &&
                 simulate(zab_only_db, "7", "zab", false);
    return fixture_ok;
}

static char *path_in_dir(const char *name)
{
    return g_build_filename(dir, name, NULL);
}

static char *read_file(const char *path)
{
    char *text = NULL;
    g_file_get_contents(path, &text, NULL, NULL);
    return text;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* ---- what the database says ------------------------------------------------------------- */

struct fault_row {
    char time[32], kind[32], target[64];
};

/* The faults of run 1 of db. */
static GArray *db_faults(const char *path)
{
    GArray *rows = g_array_new(FALSE, TRUE, sizeof(struct fault_row));
    sqlite3 *db = db_open(path, false, NULL);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT t_ns, kind, target FROM faults WHERE run_id = 1 "
                           "ORDER BY t_ns, rowid", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        struct fault_row f;
        units_format_duration(sqlite3_column_int64(st, 0), f.time, sizeof f.time);
        g_strlcpy(f.kind, (const char *)sqlite3_column_text(st, 1), sizeof f.kind);
        g_strlcpy(f.target, (const char *)sqlite3_column_text(st, 2), sizeof f.target);
        g_array_append_val(rows, f);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    return rows;
}

/* run_summary of run 1 as {label, zab, pubsub} strings, formatted as the report does. */
/* The report shows every summary column (world/summary_columns.h) with the database's
 * values, formatted as `zabsim run` prints them. */
struct summary_row {
    char value[2][32];
};

static struct summary_row summary_rows[SUMMARY_COLUMNS_COUNT];

static void load_summary(const char *path)
{
    sqlite3 *db = db_open(path, false, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(summary_rows); i++) {
        struct summary_row *r = &summary_rows[i];
        for (int m = 0; m < 2; m++) {
            char *sql = g_strdup_printf("SELECT %s FROM run_summary WHERE run_id = 1 AND "
                                        "model = '%s'", summary_columns[i].name,
                                        m ? "pubsub" : "zab");
            sqlite3_stmt *st = NULL;
            sqlite3_prepare_v2(db, sql, -1, &st, NULL);
            g_strlcpy(r->value[m], "-", sizeof r->value[m]);
            if (st && sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL) {
                int64_t v = sqlite3_column_int64(st, 0);
                if (summary_columns[i].unit == SUMMARY_DURATION)
                    units_format_duration_short(v, r->value[m], sizeof r->value[m]);
                else
                    g_snprintf(r->value[m], sizeof r->value[m], "%" PRId64, v);
            }
            sqlite3_finalize(st);
            g_free(sql);
        }
    }
    sqlite3_close(db);
}

static int64_t db_int(const char *path, const char *sql)
{
    sqlite3 *db = db_open(path, false, NULL);
    sqlite3_stmt *st = NULL;
    int64_t v = -1;
    if (db && sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK &&
        sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    sqlite3_close(db);
    return v;
}

/* How many (model, measure) pairs have a value in some run of the database. */
static int64_t measured_rows(const char *path)
{
    int64_t n = 0;
    for (size_t i = 0; i < summary_columns_count; i++) {
        char *sql = g_strdup_printf("SELECT count(DISTINCT model) FROM run_summary "
                                    "WHERE %s IS NOT NULL", summary_columns[i].name);
        n += db_int(path, sql);
        g_free(sql);
    }
    return n;
}

/* ---- text ------------------------------------------------------------------------------- */

/* The line of the text report that starts with "  LABEL " (after trimming), or NULL. */
static char *text_line(const char *text, const char *label)
{
    char **lines = g_strsplit(text, "\n", -1);
    char *found = NULL;
    for (char **l = lines; *l && !found; l++) {
        const char *t = *l;
        while (*t == ' ')
            t++;
        if (g_str_has_prefix(t, label) && t[strlen(label)] == ' ')
            found = g_strdup(t + strlen(label));
    }
    g_strfreev(lines);
    return found;
}

static void test_text_names_hosts_faults_and_summary(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    struct cli_result r;
    zabsim(&r, "report", single_db, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    for (int h = 1; h <= 3; h++) {
        char host[8];
        g_snprintf(host, sizeof host, "  h%d ", h);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, host)); /* its state-change line */
    }
    GArray *faults = db_faults(single_db);
    CU_ASSERT_EQUAL(faults->len, 4);
    for (guint i = 0; i < faults->len; i++) {
        const struct fault_row *f = &g_array_index(faults, struct fault_row, i);
        char *line = text_line(r.out, f->time);
        CU_ASSERT_PTR_NOT_NULL(line);
        CU_ASSERT_PTR_NOT_NULL(line && strstr(line, f->kind));
        CU_ASSERT_PTR_NOT_NULL(line && strstr(line, f->target));
        g_free(line);
    }
    g_array_free(faults, TRUE);
    load_summary(single_db);
    for (size_t i = 0; i < G_N_ELEMENTS(summary_rows); i++) {
        char *line = text_line(r.out, summary_columns[i].label);
        char **cells = line ? g_strsplit_set(g_strstrip(line), " ", -1) : NULL;
        guint n = cells ? g_strv_length(cells) : 0;
        CU_ASSERT_TRUE_FATAL(n >= 2);
        CU_ASSERT_STRING_EQUAL(cells[n - 1], summary_rows[i].value[1]); /* pubsub */
        CU_ASSERT_PTR_NOT_NULL(strstr(line, summary_rows[i].value[0]));  /* zab */
        g_strfreev(cells);
        g_free(line);
    }
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "drops by cause"));
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "first delivery-order divergence"));
    cli_clear(&r);
}

static void test_text_lists_every_seed_of_a_sweep(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    struct cli_result r;
    zabsim(&r, "report", sweep_db, "--run", "1", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.out, "runs of report_test in this database"));
    /* both runs failed their expectation: each with its reproduce command */
    for (int seed = 7; seed <= 8; seed++) {
        char *cmd = g_strdup_printf("zabsim run %s --seed %d", yaml_path, seed);
        CU_ASSERT_PTR_NOT_NULL(strstr(r.out, cmd));
        g_free(cmd);
    }
    cli_clear(&r);
}

/* ---- HTML ------------------------------------------------------------------------------- */

/* The text of <section id="ID"> ... </section>, or an empty string. */
static char *section(const char *html, const char *id)
{
    char *open = g_strdup_printf("<section id=\"%s\">", id);
    const char *start = strstr(html, open);
    const char *end = start ? strstr(start, "</section>") : NULL;
    g_free(open);
    return end ? g_strndup(start, (gsize)(end - start)) : g_strdup("");
}

static char *make_html(const char *db, const char *name)
{
    char *out = path_in_dir(name);
    struct cli_result r;
    zabsim(&r, "report", db, "--html", out, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    cli_clear(&r);
    char *html = read_file(out);
    g_free(out);
    return html ? html : g_strdup("");
}

static void check_figures_and_lanes(const char *html)
{
    const char *figures[] = { "timeline", "spacetime", "latency", "throughput" };
    for (size_t i = 0; i < G_N_ELEMENTS(figures); i++) {
        char *sec = section(html, figures[i]);
        CU_ASSERT_PTR_NOT_NULL(strstr(sec, "<svg"));
        g_free(sec);
    }
    if (db_int(single_db, "SELECT order_disagreements FROM run_summary "
                          "WHERE run_id = 1 AND model = 'pubsub'") > 0) {
        char *sec = section(html, "order");
        CU_ASSERT_PTR_NOT_NULL(strstr(sec, "<svg"));
        g_free(sec);
    }
    char *timeline = section(html, "timeline"), *spacetime = section(html, "spacetime");
    for (int h = 1; h <= 3; h++) {
        char lane[64];
        g_snprintf(lane, sizeof lane, "class=\"lane\" text-anchor=\"end\">h%d</text>", h);
        CU_ASSERT_EQUAL(count(timeline, lane), 1);
        CU_ASSERT_EQUAL(count(spacetime, lane), 1);
    }
    g_free(timeline);
    g_free(spacetime);
}

static void check_faults_and_summary(const char *html)
{
    GArray *faults = db_faults(single_db);
    for (guint i = 0; i < faults->len; i++) {
        const struct fault_row *f = &g_array_index(faults, struct fault_row, i);
        char *row = g_strdup_printf("<tr><td class=\"l\">%s</td><td class=\"l\">%s</td>"
                                    "<td class=\"l\">%s</td>", f->time, f->kind, f->target);
        CU_ASSERT_PTR_NOT_NULL(strstr(html, row));
        g_free(row);
    }
    g_array_free(faults, TRUE);
    load_summary(single_db);
    char *sec = section(html, "summary");
    GRegex *cls = g_regex_new(" class=\"(bad|good)\"", 0, 0, NULL);
    char *plain = g_regex_replace_literal(cls, sec, -1, 0, "", 0, NULL);
    for (size_t i = 0; i < G_N_ELEMENTS(summary_rows); i++) {
        char *row = g_strdup_printf("<tr><td%s>%s</td><td>%s</td><td>%s</td>",
                                    summary_columns[i].indent ? " class=\"sub\"" : "",
                                    summary_columns[i].label, summary_rows[i].value[0],
                                    summary_rows[i].value[1]);
        CU_ASSERT_PTR_NOT_NULL(strstr(plain, row));
        g_free(row);
    }
    g_regex_unref(cls);
    g_free(plain);
    g_free(sec);
}

static void test_html_has_figures_lanes_faults_and_summary(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(single_db, "single.html");
    check_figures_and_lanes(html);
    check_faults_and_summary(html);
    /* the description is user text: escaped, never markup */
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Three &lt;hosts&gt; &amp; &quot;friends&quot;"));
    CU_ASSERT_PTR_NULL(strstr(html, "<hosts>"));
    g_free(html);
}

/* A failing run's report opens on its violations: the rows that prove each, when, marked on
 * the figures; a run without violations has no such section. */
static void test_a_failing_run_opens_on_its_violations(void)
{
    CU_ASSERT_FATAL(fixtures());
    char *db = path_in_dir("bug.db");
    struct cli_result r;
    zabsim(&r, "run", test_source_path("scenarios/bugs/zk-4646.yaml"), "--model", "zab",
           "--record", "messages", "--db", db, NULL);
    CU_ASSERT_EQUAL(r.status, 0); /* its expected violation */
    cli_clear(&r);
    char *html = make_html(db, "bug.html");
    const char *violations = strstr(html, "<section id=\"violations\">");
    const char *summary = strstr(html, "<section id=\"summary\">");
    CU_ASSERT_PTR_NOT_NULL(violations);
    CU_ASSERT(violations && summary && violations < summary);
    char *v = section(html, "violations");
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "zab.agreement"));
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "deliveries model=zab host=")); /* the proof */
    CU_ASSERT_PTR_NOT_NULL(strstr(v, "around the first"));
    g_free(v);
    /* Marked on the timeline and on the space-time diagram. */
    char *timeline = section(html, "timeline"), *spacetime = section(html, "spacetime");
    CU_ASSERT_PTR_NOT_NULL(strstr(timeline, "class=\"violation\""));
    CU_ASSERT_PTR_NOT_NULL(strstr(spacetime, "class=\"violation\""));
    g_free(timeline);
    g_free(spacetime);
    zabsim(&r, "report", db, NULL);
    CU_ASSERT(r.out && g_str_has_prefix(strstr(r.out, "\n\n") ? strstr(r.out, "\n\n") + 2 : "",
                                        "invariant violations"));
    cli_clear(&r);
    char *clean = make_html(single_db, "clean.html");
    CU_ASSERT_PTR_NULL(strstr(clean, "<section id=\"violations\">"));
    g_free(clean);
    g_free(html);
    g_free(db);
}

static void test_html_is_self_contained(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(single_db, "self.html");
    int http = count(html, "http"), xmlns = count(html, "http://www.w3.org/2000/svg\"");
    CU_ASSERT_TRUE(http > 0);
    CU_ASSERT_EQUAL(http, xmlns); /* nothing but the SVG namespace */
    CU_ASSERT_PTR_NULL(strstr(html, "<script"));
    CU_ASSERT_PTR_NULL(strstr(html, "<link"));
    CU_ASSERT_PTR_NULL(strstr(html, "src="));
    CU_ASSERT_PTR_NULL(strstr(html, "@import"));
    g_free(html);
}

static void test_html_without_message_log_says_how_to_get_one(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(zab_only_db, "zab_only.html");
    char *sec = section(html, "spacetime");
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, "--record messages"));
    CU_ASSERT_PTR_NULL(strstr(sec, "<svg"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "Not simulated in this run: pub/sub, JetStream."));
    g_free(sec);
    g_free(html);
}

static void test_html_sweep_shows_seeds_and_failing_runs(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(sweep_db, "sweep.html");
    char *sec = section(html, "sweep");
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, "<svg"));
    /* a dot per seed and measure of each model that has a value */
    CU_ASSERT_EQUAL(count(sec, "<circle"), 2 * measured_rows(sweep_db));
    char *cmd = g_strdup_printf("<code>zabsim run %s --seed 8</code>", yaml_path);
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, cmd));
    g_free(cmd);
    g_free(sec);
    g_free(html);
}

static void test_window_chooses_the_space_time_span(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *out = path_in_dir("window.html");
    struct cli_result r;
    zabsim(&r, "report", single_db, "--html", out, "--window", "1s..1050ms", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    char *html = read_file(out);
    CU_ASSERT_PTR_NOT_NULL(html && strstr(html, "Messages sent from 1s to 1.05s (--window)."));
    g_free(html);
    g_free(out);
    cli_clear(&r);
}

/* ---- trace ------------------------------------------------------------------------------ */

/* A small JSON syntax check (the format has no validator in our dependencies): objects,
 * arrays, strings with escapes, numbers and literals, nothing after the value. */
static const char *json_value(const char *p, int depth);

static const char *json_ws(const char *p)
{
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    return p;
}

static const char *json_string(const char *p)
{
    if (*p != '"')
        return NULL;
    for (p++; *p && *p != '"'; p++) {
        if ((unsigned char)*p < 0x20)
            return NULL;
        if (*p == '\\' && !strchr("\"\\/bfnrtu", *++p))
            return NULL;
    }
    return *p == '"' ? p + 1 : NULL;
}

static const char *json_number(const char *p)
{
    const char *start = p;
    p += *p == '-';
    while (g_ascii_isdigit(*p))
        p++;
    if (*p == '.')
        for (p++; g_ascii_isdigit(*p); p++) {}
    if (*p == 'e' || *p == 'E') {
        p += 1 + (p[1] == '+' || p[1] == '-');
        while (g_ascii_isdigit(*p))
            p++;
    }
    return p > start && g_ascii_isdigit(p[-1]) ? p : NULL;
}

static const char *json_members(const char *p, char close, bool object, int depth)
{
    p = json_ws(p + 1);
    if (*p == close)
        return p + 1;
    for (;;) {
        if (object) {
            p = json_string(json_ws(p));
            if (!p || *(p = json_ws(p)) != ':')
                return NULL;
            p++;
        }
        if (!(p = json_value(p, depth + 1)))
            return NULL;
        p = json_ws(p);
        if (*p == close)
            return p + 1;
        if (*p++ != ',')
            return NULL;
    }
}

static const char *json_value(const char *p, int depth)
{
    p = json_ws(p);
    if (depth > 32)
        return NULL;
    if (*p == '{' || *p == '[')
        return json_members(p, *p == '{' ? '}' : ']', *p == '{', depth);
    if (*p == '"')
        return json_string(p);
    const char *literals[] = { "true", "false", "null" };
    for (size_t i = 0; i < G_N_ELEMENTS(literals); i++) {
        if (g_str_has_prefix(p, literals[i]))
            return p + strlen(literals[i]);
    }
    return json_number(p);
}

static bool json_valid(const char *text)
{
    const char *end = json_value(text, 0);
    return end && *json_ws(end) == '\0';
}

static char *make_trace(const char *db, const char *name)
{
    char *out = path_in_dir(name);
    struct cli_result r;
    zabsim(&r, "report", db, "--trace", out, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    cli_clear(&r);
    char *json = read_file(out);
    char *python = g_find_program_in_path("python3");
    if (json && python) { /* a real parser, where there is one */
        const char *argv[] = { "python3", "-c", "import json,sys; json.load(open(sys.argv[1]))",
                               out, NULL };
        int status = -1;
        CU_ASSERT_TRUE(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                                    NULL, NULL, &status, NULL));
        CU_ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    g_free(python);
    g_free(out);
    return json ? json : g_strdup("");
}

static void test_trace_is_json_with_tracks_flows_and_faults(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *json = make_trace(single_db, "single.json");
    CU_ASSERT_TRUE(json_valid(json));
    CU_ASSERT_TRUE(g_str_has_prefix(json, "{\"displayTimeUnit\":\"ns\""));
    for (int h = 1; h <= 3; h++) {
        char name[64];
        g_snprintf(name, sizeof name, "\"name\":\"thread_name\",\"args\":{\"name\":\"h%d\"}", h);
        CU_ASSERT_EQUAL(count(json, name), 2); /* a track in each model's process */
    }
    CU_ASSERT_EQUAL(count(json, "\"name\":\"process_name\""), 2);
    int starts = count(json, "{\"ph\":\"s\""), ends = count(json, "{\"ph\":\"f\"");
    CU_ASSERT_TRUE(starts > 0);
    CU_ASSERT_EQUAL(starts, ends);
    CU_ASSERT_EQUAL(count(json, ",\"s\":\"g\",\"cat\":\"fault\""), 4); /* one per fault */
    CU_ASSERT_PTR_NOT_NULL(strstr(json, "\"name\":\"crash h"));
    CU_ASSERT_TRUE(count(json, "\"name\":\"deliver c") > 0);
    CU_ASSERT_TRUE(count(json, "\"cat\":\"state\"") > 0);
    g_free(json);
}

static void test_trace_of_a_run_without_message_log(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *json = make_trace(zab_only_db, "zab_only.json");
    CU_ASSERT_TRUE(json_valid(json));
    CU_ASSERT_EQUAL(count(json, "{\"ph\":\"s\""), 0);
    CU_ASSERT_EQUAL(count(json, "\"name\":\"process_name\""), 1); /* ZAB only */
    CU_ASSERT_TRUE(count(json, "\"name\":\"deliver c") > 0);
    g_free(json);
}

/* ---- determinism, bad input, rendering -------------------------------------------------- */

static void test_same_database_gives_identical_bytes(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    struct cli_result a, b;
    zabsim(&a, "report", sweep_db, NULL);
    zabsim(&b, "report", sweep_db, NULL);
    CU_ASSERT_STRING_EQUAL(a.out, b.out);
    cli_clear(&a);
    cli_clear(&b);
    char *h1 = make_html(sweep_db, "a.html"), *h2 = make_html(sweep_db, "b.html");
    CU_ASSERT_STRING_EQUAL(h1, h2);
    char *t1 = make_trace(sweep_db, "a.json"), *t2 = make_trace(sweep_db, "b.json");
    CU_ASSERT_STRING_EQUAL(t1, t2);
    g_free(h1);
    g_free(h2);
    g_free(t1);
    g_free(t2);
}

static void expect_bad_input(const char *what, const char *a, const char *b, const char *c,
                             const char *d)
{
    struct cli_result r;
    zabsim(&r, "report", a, b, c, d, NULL);
    if (r.status != 2)
        fprintf(stderr, "\n%s: exit %d, wanted 2\n", what, r.status);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_TRUE(r.err && g_str_has_prefix(r.err, "zabsim report: "));
    cli_clear(&r);
}

static void test_bad_inputs_exit_2(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *text = path_in_dir("not-a-db.txt"), *plain = path_in_dir("plain.db");
    char *html = path_in_dir("never.html");
    g_file_set_contents(text, "hello\n", -1, NULL);
    sqlite3 *db = NULL;
    sqlite3_open(plain, &db);
    sqlite3_exec(db, "CREATE TABLE runs (run_id INTEGER)", NULL, NULL, NULL);
    sqlite3_close(db);
    expect_bad_input("missing file", "/nonexistent/zabsim.db", NULL, NULL, NULL);
    expect_bad_input("text file", text, NULL, NULL, NULL);
    expect_bad_input("foreign SQLite file", plain, NULL, NULL, NULL);
    expect_bad_input("unknown run", single_db, "--run", "99", NULL);
    expect_bad_input("run 0", single_db, "--run", "0", NULL);
    expect_bad_input("window without ..", single_db, "--window", "3s", NULL);
    expect_bad_input("window backwards", single_db, "--window", "2s..1s", NULL);
    expect_bad_input("window without unit", single_db, "--window", "1..2s", NULL);
    expect_bad_input("window after the run", single_db, "--window", "10s..11s", NULL);
    expect_bad_input("no database", NULL, NULL, NULL, NULL);
    expect_bad_input("unwritable html", single_db, "--html", "/nonexistent/dir/r.html", NULL);
    expect_bad_input("unwritable trace", single_db, "--trace", "/nonexistent/dir/r.json", NULL);
    expect_bad_input("bad window, html", single_db, "--html", html, "--window=2s..1s");
    CU_ASSERT_FALSE(g_file_test(html, G_FILE_TEST_EXISTS));
    g_free(text);
    g_free(plain);
    g_free(html);
}

static void test_html_clients_section_draws_each_client_by_outcome(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(single_db, "clients.html");
    char *sec = section(html, "clients");
    static const char *const models[] = { "zab", "pubsub" };
    for (int m = 0; m < 2; m++) {
        for (int c = 1; c <= 2; c++) {
            char lane[64];
            g_snprintf(lane, sizeof lane, "text-anchor=\"end\">%s c%d</text>", models[m], c);
            CU_ASSERT_EQUAL(count(sec, lane), 1);
        }
    }
    CU_ASSERT(count(sec, "class=\"opok\"") > 0);
    /* the leader crash leaves ZAB operations of unknown outcome, and they are drawn */
    int64_t unknown = db_int(single_db, "SELECT count(*) FROM operations WHERE model = 'zab' "
                                        "AND type = 'unknown'");
    CU_ASSERT(unknown > 0);
    CU_ASSERT(count(sec, "class=\"opunk\"") > 0);
    /* clients start unconnected: shaded */
    CU_ASSERT(count(sec, "class=\"cdown\"") >= 4);
    /* every fault marked on the lanes and on both scatters */
    CU_ASSERT_EQUAL(count(sec, "class=\"fault\""), 3 * 4);
    CU_ASSERT_EQUAL(count(sec, "<svg"), 3);
    g_free(sec);
    g_free(html);
}

static void test_space_time_default_window_follows_the_data(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(single_db, "st_default.html");
    char *sec = section(html, "spacetime");
    /* from just before the crash to just after the next leader served */
    int64_t led = db_int(single_db, "SELECT min(t_ns) FROM host_states WHERE model = 'zab' "
                                    "AND state = 'LEADING' AND phase = 'BROADCAST' "
                                    "AND t_ns > 1000000000");
    CU_ASSERT_FATAL(led > 1000000000);
    char end[32], at[32];
    units_format_duration_short(led + 10000000, end, sizeof end);
    units_format_duration_short(led, at, sizeof at);
    char *want = g_strdup_printf("Messages sent from 990ms to %s: from the first fault (crash ",
                                 end);
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, want));
    char *leader = g_strdup_printf("led in its serving phase (at %s)", at);
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, leader));
    CU_ASSERT_EQUAL(count(sec, "class=\"alabel\""), 0); /* many arrows: no labels */
    g_free(leader);
    g_free(want);
    g_free(sec);
    g_free(html);
    /* a narrow window draws few arrows, each labelled with its message type: 2 ms from when
     * the survivors noticed the crash (the crashed process's teardown comes first) */
    int64_t noticed = db_int(single_db, "SELECT min(t_ns) FROM host_states WHERE model = 'zab' "
                                        "AND state = 'LOOKING' AND t_ns > 1000000000");
    CU_ASSERT_FATAL(noticed > 1000000000);
    char *window = g_strdup_printf("%" G_GINT64_FORMAT "ns..%" G_GINT64_FORMAT "ns", noticed,
                                   noticed + 2000000);
    char *out = path_in_dir("st_narrow.html");
    struct cli_result r;
    zabsim(&r, "report", single_db, "--html", out, "--window", window, NULL);
    g_free(window);
    CU_ASSERT_EQUAL(r.status, 0);
    html = read_file(out);
    sec = section(html, "spacetime");
    int arrows = count(sec, " arr\"") + count(sec, " lost\"");
    CU_ASSERT(arrows > 0 && arrows <= 60);
    CU_ASSERT_EQUAL(count(sec, "class=\"alabel\""), arrows);
    g_free(sec);
    g_free(html);
    g_free(out);
    cli_clear(&r);
}

static void test_model_filter_shows_one_model(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *out = path_in_dir("pubsub_only.html");
    struct cli_result r;
    zabsim(&r, "report", single_db, "--html", out, "--model", "pubsub", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    char *html = read_file(out);
    CU_ASSERT_PTR_NULL(strstr(html, ">zab c1</text>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, ">pubsub c1</text>"));
    CU_ASSERT_PTR_NULL(strstr(html, "<th>ZAB</th>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<th>pub/sub</th>"));
    char *sec = section(html, "spacetime");
    CU_ASSERT_PTR_NULL(strstr(sec, "ZAB message"));
    CU_ASSERT_PTR_NOT_NULL(strstr(sec, "pub/sub message"));
    CU_ASSERT_EQUAL(count(sec, "class=\"m0 arr\""), 0); /* no ZAB arrow */
    g_free(sec);
    g_free(html);
    cli_clear(&r);
    zabsim(&r, "report", zab_only_db, "--model", "pubsub", NULL);
    CU_ASSERT_EQUAL(r.status, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(r.err, "--model pubsub: run 1 simulated zab"));
    cli_clear(&r);
    g_free(out);
}

static void test_sweep_page_opens_with_the_seeds(void)
{
    CU_ASSERT_TRUE_FATAL(fixtures());
    char *html = make_html(sweep_db, "sweep_order.html");
    const char *sweep = strstr(html, "<section id=\"sweep\">");
    const char *summary = strstr(html, "<section id=\"summary\">");
    CU_ASSERT_FATAL(sweep && summary);
    CU_ASSERT(sweep < summary);
    const char *failing = strstr(sweep, "Failing seeds"), *dist = strstr(sweep, "<th>min</th>");
    CU_ASSERT(failing && dist && failing < dist);
    /* both seeds failed: the page details the one with the lowest seed */
    CU_ASSERT_PTR_NOT_NULL(strstr(sweep, "Below, one run in detail: run 1, seed 7 (the failing "
                                         "run with the lowest seed"));
    g_free(html);
}


/* ---- coordination recipes --------------------------------------------------------------- */

/* tests/recipe_lock_zab.yaml run once into the fixtures' directory, its output kept. */
static bool recipe_fixture(void)
{
    static bool made, ok;
    if (made)
        return ok;
    made = true;
    if (!fixtures())
        return false;
    recipe_db = path_in_dir("lock.db");
    struct cli_result r;
    ok = zabsim(&r, "run", test_source_path("tests/recipe_lock_zab.yaml"), "--db", recipe_db,
                NULL) && r.status == 0;
    recipe_out = r.out;
    r.out = NULL;
    cli_clear(&r);
    return ok;
}

/* The part of html from recipe N's heading to the next one's (or the section's end). */
static char *recipe_part(const char *html, int n)
{
    char *sec = section(html, "recipes");
    char *open = g_strdup_printf("<h3 id=\"recipe-%d\">", n);
    const char *start = strstr(sec, open);
    const char *end = start ? strstr(start + 1, "<h3 ") : NULL;
    char *part = !start ? g_strdup("") : end ? g_strndup(start, (gsize)(end - start))
                                             : g_strdup(start);
    g_free(open);
    g_free(sec);
    return part;
}

/* The value `zabsim run` printed on the line of a recipe measure's label. */
static char *printed_measure(const struct summary_column *c)
{
    char *line = text_line(recipe_out ? recipe_out : "", c->label);
    char *value = line ? g_strdup(g_strstrip(line)) : g_strdup("(not printed)");
    g_free(line);
    return value;
}

/* Rows, bars and tokens, the red of the overlaps, the violating write, the pause. */
static void test_recipe_chart_shows_holders_overlap_violation_and_pause(void)
{
    CU_ASSERT_TRUE_FATAL(recipe_fixture());
    char *html = make_html(recipe_db, "lock.html");
    CU_ASSERT_PTR_NOT_NULL(strstr(html, "<a href=\"#recipes\">Recipes</a>"));
    char *part = recipe_part(html, 1);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "Recipe 1: lock over ZAB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "kind lock · backend zab (ZAB) · 3 clients (c1..c3) · "
                                        "hold 2s · fencing off"));
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "<svg"));
    /* a row per client c1..c3, and none more */
    for (int c = 1; c <= 4; c++) {
        char *lane = g_strdup_printf("class=\"lane\" text-anchor=\"end\">c%d</text>", c);
        CU_ASSERT_EQUAL(count(part, lane), c <= 3 ? 1 : 0);
        g_free(lane);
    }
    /* a bar per believed-holding interval (seconds apart: none merged), with its token */
    sqlite3 *db = db_open(recipe_db, false, NULL);
    CU_ASSERT_PTR_NOT_NULL_FATAL(db);
    sqlite3_stmt *st = NULL;
    sqlite3_prepare_v2(db, "SELECT client, token FROM recipe_intervals", -1, &st, NULL);
    int intervals = 0;
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char *bar = g_strdup_printf("class=\"m0\"><title>%s believed it held, token %" PRId64
                                    ": ", (const char *)sqlite3_column_text(st, 0),
                                    (int64_t)sqlite3_column_int64(st, 1));
        CU_ASSERT_PTR_NOT_NULL(strstr(part, bar));
        g_free(bar);
        intervals++;
    }
    sqlite3_finalize(st);
    CU_ASSERT(intervals >= 3);
    CU_ASSERT_EQUAL(count(part, "class=\"m0\"><title>"), intervals);
    /* red where two believed at once: on the bars and in the strip under the rows */
    CU_ASSERT(db_int(recipe_db, "SELECT overlap_ns FROM recipe_summary") > 0);
    CU_ASSERT(g_regex_match_simple("class=\"overlap\"><title>(two or more|[0-9]+) believed "
                                   "holders", part, 0, 0)); /* the strip */
    CU_ASSERT(g_regex_match_simple("class=\"overlap\"><title>(two or more|[0-9]+) believed "
                                   "they held", part, 0, 0)); /* on a bar */
    /* the violating write, in red, exactly as recipe_summary counts it */
    int64_t violations = db_int(recipe_db, "SELECT exclusion_violations FROM recipe_summary");
    CU_ASSERT_EQUAL(violations, 1);
    sqlite3_prepare_v2(db, "SELECT client, t_ns, token FROM recipe_violations", -1, &st, NULL);
    while (st && sqlite3_step(st) == SQLITE_ROW) {
        char at[32];
        units_format_duration(sqlite3_column_int64(st, 1), at, sizeof at);
        char *tick = g_strdup_printf("class=\"wviol\"><title>%s&#39;s write at %s with token "
                                     "%" PRId64 ", accepted: an exclusion violation",
                                     (const char *)sqlite3_column_text(st, 0), at,
                                     (int64_t)sqlite3_column_int64(st, 2));
        CU_ASSERT_PTR_NOT_NULL(strstr(part, tick));
        g_free(tick);
    }
    sqlite3_finalize(st);
    sqlite3_close(db);
    CU_ASSERT_EQUAL(count(part, "class=\"wviol\"><title>"), 2 * violations); /* line, dot */
    CU_ASSERT(count(part, "class=\"wok\"><title>") > 0);
    CU_ASSERT_EQUAL(count(part, "class=\"wref\"><title>"), 0); /* no fencing: none refused */
    /* the pause: a line with its kind and target on the paused client's row, its span shaded */
    GArray *faults = db_faults(recipe_db);
    CU_ASSERT_EQUAL_FATAL(faults->len, 1);
    const struct fault_row *f = &g_array_index(faults, struct fault_row, 0);
    CU_ASSERT_STRING_EQUAL(f->kind, "pause");
    char *line = g_strdup_printf("class=\"rowfault\"><title>%s: %s %s for 10s</title>", f->time,
                                 f->kind, f->target);
    char *label = g_strdup_printf("class=\"flabel\" text-anchor=\"start\">%s %s</text>", f->kind,
                                  f->target);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, line));
    CU_ASSERT_PTR_NOT_NULL(strstr(part, label));
    char *shade = g_strdup_printf("%s&#39;s machine paused: 6s to 16s", f->target);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, shade));
    g_free(shade);
    g_free(label);
    g_free(line);
    g_array_free(faults, TRUE);
    g_free(part);
    g_free(html);
}

/* The line above the chart: recipe_summary's measures under the labels `zabsim run` prints,
 * with the values it printed. */
static void test_recipe_measures_match_zabsim_run(void)
{
    CU_ASSERT_TRUE_FATAL(recipe_fixture());
    char *html = make_html(recipe_db, "lock_measures.html");
    char *part = recipe_part(html, 1);
    GRegex *cls = g_regex_new(" class=\"(bad|good)\"", 0, 0, NULL);
    char *plain = g_regex_replace_literal(cls, part, -1, 0, "", 0, NULL);
    GString *row = g_string_new("<tr>");
    for (size_t k = 0; k < recipe_columns_count; k++) {
        char *value = printed_measure(&recipe_columns[k]);
        g_string_append_printf(row, "<td>%s</td>", value);
        char *label = g_markup_escape_text(recipe_columns[k].label, -1);
        char *th = g_strdup_printf("\">%s</th>", label);
        g_free(label);
        CU_ASSERT_PTR_NOT_NULL(strstr(plain, th));
        g_free(th);
        g_free(value);
    }
    g_string_append(row, "</tr>");
    CU_ASSERT_PTR_NOT_NULL(strstr(plain, row->str));
    /* the one count that should be zero and is not, flagged */
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "<td class=\"bad\">1</td>"));
    g_string_free(row, TRUE);
    g_regex_unref(cls);
    g_free(plain);
    g_free(part);
    g_free(html);
}

/* The text report shows each recipe measure's line as `zabsim run` printed it (one renderer
 * serves both), and none when --model leaves the recipe's backend out or there is none. */
static void test_text_shows_the_recipes_as_zabsim_run_printed_them(void)
{
    CU_ASSERT_TRUE_FATAL(recipe_fixture());
    struct cli_result r;
    zabsim(&r, "report", recipe_db, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    const char *text = r.out ? r.out : "";
    CU_ASSERT_PTR_NOT_NULL(strstr(text, "\nthe recipes (recipe_summary) "));
    for (size_t k = 0; k < recipe_columns_count; k++) {
        char *printed = printed_measure(&recipe_columns[k]);
        char *line = text_line(text, recipe_columns[k].label);
        CU_ASSERT_PTR_NOT_NULL(line);
        CU_ASSERT_STRING_EQUAL(line ? g_strstrip(line) : "", printed);
        g_free(line);
        g_free(printed);
    }
    /* the run printed exclusion violations 1: a count that would be 0 were nothing shown */
    char *violations = text_line(text, "exclusion violations");
    CU_ASSERT_STRING_EQUAL(violations ? g_strstrip(violations) : "", "1");
    g_free(violations);
    cli_clear(&r);
    zabsim(&r, "report", recipe_db, "--model", "pubsub", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NULL(strstr(r.out ? r.out : "", "recipe_summary"));
    cli_clear(&r);
    zabsim(&r, "report", single_db, NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    CU_ASSERT_PTR_NULL(strstr(r.out ? r.out : "", "recipe_summary"));
    cli_clear(&r);
}

/* A run without recipes gets the page it always had; --model leaving a recipe's backend out
 * leaves the recipe out. */
static void test_no_recipe_section_without_recipes(void)
{
    CU_ASSERT_TRUE_FATAL(recipe_fixture());
    char *html = make_html(single_db, "no_recipes.html");
    CU_ASSERT_EQUAL(count(html, "recipe"), 0);
    CU_ASSERT_EQUAL(count(html, "Recipe"), 0);
    CU_ASSERT_PTR_NULL(strstr(html, "overlap"));
    g_free(html);
    char *out = path_in_dir("lock_pubsub.html");
    struct cli_result r;
    zabsim(&r, "report", recipe_db, "--html", out, "--model", "pubsub", NULL);
    CU_ASSERT_EQUAL(r.status, 0);
    cli_clear(&r);
    html = read_file(out);
    CU_ASSERT_PTR_NOT_NULL(html);
    CU_ASSERT_PTR_NULL(strstr(html ? html : "", "<section id=\"recipes\">"));
    CU_ASSERT_PTR_NULL(strstr(html ? html : "", "#recipes"));
    g_free(html);
    g_free(out);
}

static void exec_sql(sqlite3 *db, const char *sql)
{
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
        fprintf(stderr, "\n%s\n", msg);
    CU_ASSERT_PTR_NULL(msg);
    sqlite3_free(msg);
}

/* No backend has a registry yet: one is added by hand to the lock run's database. Three
 * clients list each other from about 1 s; c2 crashes at 8 s (a fault whose detail is full of
 * markup) and restarts at 12 s; c1 unlists it at 10 s and c3 at 11 s, so their listings were
 * stale for 2 s and 3 s. Trace positions follow the run's, as the views compare them. */
static char *registry_db(void)
{
    char *path = path_in_dir("registry.db"), *text = NULL;
    gsize len = 0;
    CU_ASSERT_FATAL(g_file_get_contents(recipe_db, &text, &len, NULL));
    CU_ASSERT_FATAL(g_file_set_contents(path, text, (gssize)len, NULL));
    g_free(text);
    sqlite3 *db = NULL;
    CU_ASSERT_FATAL(sqlite3_open(path, &db) == SQLITE_OK);
    exec_sql(db,
             "INSERT INTO recipes VALUES (1, 1, 'zab', 'registry', 3, 0, 0);"
             "CREATE TEMP TABLE v (t_ns INTEGER, observer TEXT, instance TEXT, listed INTEGER);"
             "INSERT INTO v VALUES (1000000000, 'c1', 'c1', 1), (1000000000, 'c1', 'c2', 1),"
             " (1000000000, 'c1', 'c3', 1), (1100000000, 'c2', 'c1', 1),"
             " (1100000000, 'c2', 'c2', 1), (1100000000, 'c2', 'c3', 1),"
             " (1200000000, 'c3', 'c1', 1), (1200000000, 'c3', 'c2', 1),"
             " (1200000000, 'c3', 'c3', 1), (10000000000, 'c1', 'c2', 0),"
             " (11000000000, 'c3', 'c2', 0), (12500000000, 'c1', 'c2', 1),"
             " (12500000000, 'c3', 'c2', 1), (13000000000, 'c2', 'c1', 1),"
             " (13000000000, 'c2', 'c2', 1), (13000000000, 'c2', 'c3', 1);"
             "INSERT INTO registry_views SELECT 1, (SELECT max(trace_seq) FROM resource_writes"
             " AS w WHERE w.t_ns <= v.t_ns), 'zab', 1, t_ns, observer, instance, listed FROM v;"
             "INSERT INTO faults SELECT 1, (SELECT max(trace_seq) FROM resource_writes AS w"
             " WHERE w.t_ns <= f.t), f.t, f.kind, 'c2', f.d FROM (SELECT 8000000000 AS t,"
             " 'crash' AS kind, '<gone> & \"back\"' AS d UNION ALL"
             " SELECT 12000000000, 'restart', '') AS f;");
    sqlite3_close(db);
    return path;
}

static void test_registry_chart_on_a_hand_made_database(void)
{
    CU_ASSERT_TRUE_FATAL(recipe_fixture());
    char *db = registry_db();
    CU_ASSERT_EQUAL(db_int(db, "SELECT stale_ns FROM recipe_summary WHERE recipe = 1"),
                    5000000000LL);
    char *html = make_html(db, "registry.html");
    char *part = recipe_part(html, 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "Recipe 2: registry over ZAB"));
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "<td>5s</td></tr></table>")); /* stale_ns, last */
    /* a row per observer, a lane per instance in each */
    for (int c = 1; c <= 3; c++) {
        char *row = g_strdup_printf("class=\"lane\" text-anchor=\"end\">c%d</text>", c);
        char *lane = g_strdup_printf("class=\"alabel\" text-anchor=\"end\">c%d</text>", c);
        CU_ASSERT_EQUAL(count(part, row), 1);
        CU_ASSERT_EQUAL(count(part, lane), 3);
        g_free(row);
        g_free(lane);
    }
    /* every listing (none close enough to merge), the stale parts in red */
    CU_ASSERT_EQUAL(count(part, "class=\"m0\"><title>"),
                    db_int(db, "SELECT count(*) FROM registry_intervals"));
    CU_ASSERT_EQUAL(count(part, "class=\"stale\"><title>"), 2);
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "class=\"stale\"><title>c1 listed c2 while it was dead: "
                                        "8s to 10s (2s)</title>"));
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "class=\"stale\"><title>c3 listed c2 while it was dead: "
                                        "8s to 11s (3s)</title>"));
    /* the crash on c2's row, its detail escaped; the dead instance's lanes shaded */
    CU_ASSERT_PTR_NOT_NULL(strstr(part, "class=\"rowfault\"><title>8s: crash c2 &lt;gone&gt; "
                                        "&amp; &quot;back&quot;</title>"));
    CU_ASSERT_PTR_NULL(strstr(html, "<gone>"));
    CU_ASSERT_EQUAL(count(part, "c2&#39;s machine down: 8s to 12s"), 3);
    /* the same database, the same bytes */
    char *again = make_html(db, "registry_again.html");
    CU_ASSERT_STRING_EQUAL(html, again);
    g_free(again);
    g_free(part);
    g_free(html);
    g_free(db);
}

void test_register(void)
{
    TEST_SUITE("zabsim report",
               TEST(test_text_names_hosts_faults_and_summary),
               TEST(test_text_lists_every_seed_of_a_sweep),
               TEST(test_html_has_figures_lanes_faults_and_summary),
               TEST(test_html_is_self_contained),
               TEST(test_html_without_message_log_says_how_to_get_one),
               TEST(test_html_sweep_shows_seeds_and_failing_runs),
               TEST(test_window_chooses_the_space_time_span),
               TEST(test_trace_is_json_with_tracks_flows_and_faults),
               TEST(test_trace_of_a_run_without_message_log),
               TEST(test_same_database_gives_identical_bytes),
               TEST(test_bad_inputs_exit_2),
               TEST(test_html_clients_section_draws_each_client_by_outcome),
               TEST(test_space_time_default_window_follows_the_data),
               TEST(test_model_filter_shows_one_model),
               TEST(test_sweep_page_opens_with_the_seeds),
               TEST(test_a_failing_run_opens_on_its_violations),
               TEST(test_recipe_chart_shows_holders_overlap_violation_and_pause),
               TEST(test_recipe_measures_match_zabsim_run),
               TEST(test_text_shows_the_recipes_as_zabsim_run_printed_them),
               TEST(test_no_recipe_section_without_recipes),
               TEST(test_registry_chart_on_a_hand_made_database));
}
