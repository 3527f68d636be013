/* test_real_net.c: the network namespaces `zabsim conform` puts real servers in
 * (tools/conform/real_net.c): a cut link is silent in both directions for connections old
 * and new, zabsim's own namespace still reaches every host, a heal delivers what waited,
 * and nothing is left behind. Needs root: skipped (77) without it, unless
 * ZABSIM_REQUIRE_NETNS=1 (as CI sets), which makes a missing capability a failure. */
#define _GNU_SOURCE
#include "tools/conform/conform.h"

#include <CUnit/Basic.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define TEST_PORT 7411

static struct sockaddr_in addr_of(const struct real_net *n, uint32_t h)
{
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(TEST_PORT) };
    inet_pton(AF_INET, real_net_addr(n, h), &a.sin_addr);
    return a;
}

/* A TCP socket made on host h's side (-1: zabsim's own namespace). */
static int socket_on(struct real_net *n, int h)
{
    if (h >= 0)
        real_net_enter(n, (uint32_t)h);
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (h >= 0)
        real_net_leave(n);
    return fd;
}

/* Whether a connection from side `from` to host `to` completes within wait_ms. */
static bool connects(struct real_net *n, int from, uint32_t to, int wait_ms, int *out_fd)
{
    int fd = socket_on(n, from);
    struct sockaddr_in a = addr_of(n, to);
    if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0 && errno != EINPROGRESS) {
        close(fd);
        return false;
    }
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    int err = -1;
    socklen_t len = sizeof err;
    bool ok = poll(&p, 1, wait_ms) == 1 &&
              getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
    if (ok && out_fd)
        *out_fd = fd;
    else
        close(fd);
    return ok;
}

static int accept_within(int listener, int wait_ms)
{
    struct pollfd p = { .fd = listener, .events = POLLIN };
    if (poll(&p, 1, wait_ms) != 1)
        return -1;
    return accept4(listener, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
}

static bool reads_byte(int fd, char want, int wait_ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char got = 0;
    return poll(&p, 1, wait_ms) == 1 && read(fd, &got, 1) == 1 && got == want;
}

static void test_loopback_has_no_links_to_cut(void)
{
    struct real_net *n = real_net_loopback(3);
    CU_ASSERT_STRING_EQUAL(real_net_addr(n, 2), "127.0.0.1");
    CU_ASSERT_EQUAL(real_net_ns_fd(n, 0), -1);
    CU_ASSERT_FALSE(real_net_isolated(n));
    int groups[3] = { 0, 1, 1 };
    GError *err = NULL;
    CU_ASSERT_FALSE(real_net_set_sides(n, groups, &err));
    CU_ASSERT_PTR_NOT_NULL(err);
    g_clear_error(&err);
    real_net_free(n);
}

static void test_cut_is_silent_and_heal_delivers(void)
{
    GError *err = NULL;
    struct real_net *n = real_net_namespaces(3, &err);
    if (!n)
        fprintf(stderr, "\n%s\n", err->message);
    CU_ASSERT_PTR_NOT_NULL_FATAL(n);
    CU_ASSERT_TRUE(real_net_isolated(n));
    CU_ASSERT_STRING_NOT_EQUAL(real_net_addr(n, 0), real_net_addr(n, 1));
    char ns_path[64];
    g_snprintf(ns_path, sizeof ns_path, "/run/netns/zabsim-%d-h2", (int)getpid());
    CU_ASSERT_TRUE(g_file_test(ns_path, G_FILE_TEST_EXISTS));

    /* From here on a failed check still ends in real_net_free (no _FATAL): a failed test
     * must not leave namespaces behind. */
    int old = -1, old_peer = -1;
    /* A server on h2, listening inside h2's namespace. */
    int listener = socket_on(n, 1);
    int one = 1;
    setsockopt(listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in a = addr_of(n, 1);
    bool ok = bind(listener, (struct sockaddr *)&a, sizeof a) == 0 && listen(listener, 8) == 0;
    CU_ASSERT_TRUE(ok);
    /* h1's side reaches it; so does zabsim's own namespace. */
    ok = ok && connects(n, 0, 1, 2000, &old);
    CU_ASSERT_TRUE(ok);
    old_peer = ok ? accept_within(listener, 2000) : -1;
    ok = old_peer >= 0;
    CU_ASSERT_TRUE(ok);
    if (!ok)
        goto out;
    CU_ASSERT_EQUAL(write(old, "a", 1), 1);
    CU_ASSERT_TRUE(reads_byte(old_peer, 'a', 2000));

    /* h1 | h2, h3: silence both ways, for the old connection and for new ones. */
    int groups[3] = { 0, 1, 1 };
    ok = real_net_set_sides(n, groups, &err);
    CU_ASSERT_TRUE(ok);
    if (!ok)
        goto out;
    CU_ASSERT_EQUAL(write(old, "b", 1), 1); /* the kernel takes it: no error */
    CU_ASSERT_FALSE(reads_byte(old_peer, 'b', 600));
    CU_ASSERT_FALSE(connects(n, 0, 1, 600, NULL));
    CU_ASSERT_TRUE(connects(n, 2, 1, 2000, NULL)); /* h3 is on h2's side */
    CU_ASSERT_TRUE(connects(n, -1, 1, 2000, NULL)); /* the observer is outside */
    for (int fd; (fd = accept_within(listener, 100)) >= 0;)
        close(fd);

    /* Heal: what waited arrives (TCP retransmits it), new connections form again. */
    int healed[3] = { 0, 0, 0 };
    CU_ASSERT_TRUE(real_net_set_sides(n, healed, &err));
    CU_ASSERT_TRUE(reads_byte(old_peer, 'b', 5000));
    CU_ASSERT_TRUE(connects(n, 0, 1, 2000, NULL));

out:
    if (old >= 0)
        close(old);
    if (old_peer >= 0)
        close(old_peer);
    close(listener);
    g_clear_error(&err);
    real_net_free(n);
    CU_ASSERT_FALSE(g_file_test(ns_path, G_FILE_TEST_EXISTS));
}

int main(void)
{
    bool required = g_strcmp0(g_getenv("ZABSIM_REQUIRE_NETNS"), "1") == 0;
    if (geteuid() != 0 && !required) {
        fprintf(stderr, "test_real_net: skipped: network namespaces need root "
                        "(ZABSIM_REQUIRE_NETNS=1 makes this a failure)\n");
        return 77;
    }
    if (CU_initialize_registry() != CUE_SUCCESS)
        return 1;
    CU_pSuite s = CU_add_suite("real_net", NULL, NULL);
    CU_add_test(s, "test_loopback_has_no_links_to_cut", test_loopback_has_no_links_to_cut);
    CU_add_test(s, "test_cut_is_silent_and_heal_delivers", test_cut_is_silent_and_heal_delivers);
    CU_basic_set_mode(CU_BRM_VERBOSE);
    CU_basic_run_tests();
    unsigned failures = CU_get_number_of_failures() + CU_get_number_of_tests_failed();
    CU_cleanup_registry();
    return failures ? 1 : 0;
}
