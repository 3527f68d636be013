/* test_report_browser.c: the HTML report renders in a real browser. A short run's page is
 * loaded from disk by headless Chromium, which must paint something substantial; a page with
 * a coordination recipe must parse into the elements the report wrote, so the recipe chart
 * reaches the screen whole (an unescaped text would swallow or add elements).
 *
 * Without /usr/bin/chromium the test exits 77, which ctest reports as skipped (never as
 * passed); with ZABSIM_REQUIRE_BROWSER set, as CI sets it after installing chromium, a
 * missing browser is a failure instead. */
#include "tests/harness.h"

#include <glib.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CHROMIUM "/usr/bin/chromium"
#define EXIT_SKIPPED 77 /* SKIP_RETURN_CODE in CMakeLists.txt */

static char *dir; /* this run's files; removed at exit */

static void remove_dir(void)
{
    char *rm[] = { "rm", "-rf", dir, NULL };
    g_spawn_sync(NULL, rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
    g_free(dir);
}

/* Skips the whole program (or fails, under ZABSIM_REQUIRE_BROWSER) without a browser. */
static bool browser_ready(void)
{
    if (!g_file_test(CHROMIUM, G_FILE_TEST_IS_EXECUTABLE)) {
        if (g_getenv("ZABSIM_REQUIRE_BROWSER")) {
            CU_FAIL(CHROMIUM " is missing but ZABSIM_REQUIRE_BROWSER is set");
            return false;
        }
        fprintf(stderr, "\n" CHROMIUM " not installed: rendering not checked (skipped)\n");
        exit(EXIT_SKIPPED);
    }
    if (!dir) {
        dir = g_dir_make_tmp("zabsim-browser-XXXXXX", NULL);
        atexit(remove_dir);
    }
    return dir != NULL;
}

/* Runs the scenario and writes its report to NAME.html in dir; the page's path or NULL. */
static char *report_of(const char *scenario, const char *name)
{
    char *db = g_strdup_printf("%s/%s.db", dir, name);
    char *html = g_strdup_printf("%s/%s.html", dir, name);
    const char *run[] = { "run", test_source_path(scenario), "--db", db, "--log", "messages",
                          NULL };
    int code = test_zabsim(run, NULL, NULL);
    CU_ASSERT(code == 0 || code == 1);
    const char *report[] = { "report", db, "--html", html, NULL };
    int reported = test_zabsim(report, NULL, NULL);
    CU_ASSERT_EQUAL(reported, 0);
    g_free(db);
    if (reported == 0)
        return html;
    g_free(html);
    return NULL;
}

/* Loads the page in headless Chromium with `action` (--screenshot=..., --dump-dom); its
 * standard output in *out when out is not NULL. */
static bool chromium(const char *html, const char *action, char **out)
{
    char *url = g_strconcat("file://", html, NULL);
    char *user = g_strdup_printf("--user-data-dir=%s/profile", dir);
    const char *argv[] = { CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                           "--disable-background-networking", "--disable-component-update",
                           "--disable-sync", "--no-first-run", user, action,
                           "--window-size=1400,3000", url, NULL };
    int status = -1;
    GSpawnFlags flags = G_SPAWN_STDERR_TO_DEV_NULL | (out ? 0 : G_SPAWN_STDOUT_TO_DEV_NULL);
    bool ran = g_spawn_sync(NULL, (char **)argv, NULL, flags, NULL, NULL, out, NULL, &status,
                            NULL);
    g_free(user);
    g_free(url);
    return ran && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

static void test_html_renders_in_a_headless_browser(void)
{
    if (!browser_ready())
        return;
    char *html = report_of("scenarios/three_node_one_failure.yaml", "render");
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    char *png = g_strdup_printf("%s/render.png", dir);
    char *shot = g_strconcat("--screenshot=", png, NULL);
    CU_ASSERT_TRUE(chromium(html, shot, NULL));
    GStatBuf st;
    CU_ASSERT_TRUE(g_stat(png, &st) == 0 && st.st_size > 10 * 1024);
    g_free(shot);
    g_free(png);
    g_free(html);
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
        n++;
    return n;
}

/* The recipes section of a page, or "". */
static char *recipes_section(const char *page)
{
    const char *start = strstr(page, "<section id=\"recipes\">");
    const char *end = start ? strstr(start, "</section>") : NULL;
    return end ? g_strndup(start, (gsize)(end - start)) : g_strdup("");
}

static void test_recipe_chart_parses_into_what_was_written(void)
{
    if (!browser_ready())
        return;
    char *html = report_of("tests/recipe_lock_zab.yaml", "recipe");
    CU_ASSERT_PTR_NOT_NULL_FATAL(html);
    char *written = NULL, *dom = NULL;
    CU_ASSERT_TRUE(g_file_get_contents(html, &written, NULL, NULL));
    CU_ASSERT_TRUE(chromium(html, "--dump-dom", &dom));
    char *a = recipes_section(written ? written : ""), *b = recipes_section(dom ? dom : "");
    static const char *const elements[] = { "<svg", "<rect", "<line", "<circle", "<text",
                                            "<title>", "<td" };
    CU_ASSERT(count(a, "<rect") > 10);
    for (size_t i = 0; i < G_N_ELEMENTS(elements); i++) {
        if (count(a, elements[i]) != count(b, elements[i]))
            fprintf(stderr, "\n%s: %d written, %d parsed\n", elements[i],
                    count(a, elements[i]), count(b, elements[i]));
        CU_ASSERT_EQUAL(count(a, elements[i]), count(b, elements[i]));
    }
    /* the violating write's dot and the red overlap made it into the document */
    CU_ASSERT(count(b, "class=\"wviol\"") >= 2);
    CU_ASSERT(count(b, "class=\"overlap\"") >= 2);
    g_free(a);
    g_free(b);
    g_free(dom);
    g_free(written);
    g_free(html);
}

void test_register(void)
{
    TEST_SUITE("report in a browser", TEST(test_html_renders_in_a_headless_browser),
               TEST(test_recipe_chart_parses_into_what_was_written));
}
