#define _GNU_SOURCE /* setns */
/* real_net.c: the network between the real servers of one run (conform.h).
 *
 * Without link faults every host is 127.0.0.1. With them each host gets a network namespace
 * of its own (zabsim-PID-hN), joined to the others by a Linux bridge (zsbPID) on a private
 * /24, 10.213.K.0/24. The namespace holds that host's servers and the clients that stand on
 * its side (its home clients, its subscribers); zabsim's own observers (the state poll)
 * stay outside and reach every host through the bridge, so a partition never blinds them.
 *
 * A cut link is a silent one, as a real partition is: in each namespace the neighbour
 * (ARP) entry of every host on another side is pointed at a hardware address no interface
 * has, so frames to it are sent and never received; the kernel reports no error and TCP
 * retransmits until its own timeouts give up, as it would across a failed switch. Healing
 * points the entries back at the real addresses. Both are ioctls on a socket held in each
 * namespace: microseconds, no process started at the moment of the fault. (Traffic control
 * filters would do the same, but their action modules are not on every kernel here.) */
#include "tools/conform/conform.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

/* Subnet 10.213.K.0/24: the bridge is .1, host h is .(REAL_NET_HOST_BASE + h). */
#define REAL_NET_HOST_BASE 11
/* Bound on each `ip` command of the set-up (milliseconds are enough; a hung one is a bug). */
#define REAL_NET_IP_TIMEOUT_S 10

struct real_net {
    uint32_t hosts;
    bool namespaces;
    char addr[SCENARIO_MAX_HOSTS][16];
    /* with namespaces: */
    int subnet;                              /* K */
    char bridge[IFNAMSIZ];
    char ns_name[SCENARIO_MAX_HOSTS][32];
    char dev[SCENARIO_MAX_HOSTS][IFNAMSIZ];  /* the host's end of its veth pair */
    unsigned char mac[SCENARIO_MAX_HOSTS][6];
    bool ns_made[SCENARIO_MAX_HOSTS];
    bool bridge_made;
    int ns_fd[SCENARIO_MAX_HOSTS];           /* open /run/netns/NAME, -1 when none */
    int arp_fd[SCENARIO_MAX_HOSTS];          /* a socket inside the namespace, -1 when none */
    int self_fd;                             /* zabsim's own namespace */
    int group[SCENARIO_MAX_HOSTS];           /* side of each host; all 0 when healed */
};

static void host_mac(int subnet, uint32_t h, unsigned char mac[6])
{
    /* Locally administered (0x02), unique per run's subnet and host. */
    const unsigned char m[6] = { 0x02, 0x5a, 0x53, (unsigned char)subnet, 0x00,
                                 (unsigned char)(h + 1) };
    memcpy(mac, m, 6);
}

/* No interface has this address: frames sent to it are lost. */
static const unsigned char nowhere_mac[6] = { 0x02, 0x5a, 0x53, 0xff, 0xff, 0xff };

/* Runs `ip ARGS...`; on failure sets err with what ip printed. */
static bool run_ip(GError **err, const char *first, ...)
{
    GPtrArray *argv = g_ptr_array_new();
    g_ptr_array_add(argv, (gpointer) "timeout");
    g_ptr_array_add(argv, (gpointer) G_STRINGIFY(REAL_NET_IP_TIMEOUT_S));
    g_ptr_array_add(argv, (gpointer) "ip");
    va_list ap;
    va_start(ap, first);
    for (const char *a = first; a; a = va_arg(ap, const char *))
        g_ptr_array_add(argv, (gpointer)a);
    va_end(ap);
    g_ptr_array_add(argv, NULL);
    char *out = NULL, *errout = NULL;
    int status = 0;
    GError *spawn_err = NULL;
    bool ok = g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL,
                           &out, &errout, &status, &spawn_err) &&
              g_spawn_check_wait_status(status, NULL);
    if (!ok) {
        char *cmd = g_strjoinv(" ", (char **)argv->pdata + 2);
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "network namespaces: `%s` failed: %s", cmd,
                    spawn_err ? spawn_err->message
                              : (errout && *errout ? g_strchomp(errout) : "no message"));
        g_free(cmd);
    }
    g_clear_error(&spawn_err);
    g_free(out);
    g_free(errout);
    g_ptr_array_free(argv, TRUE);
    return ok;
}

/* Removes what an earlier zabsim that died without cleaning up left behind: namespaces and
 * bridges named after a process that no longer exists. */
static void remove_stale(void)
{
    DIR *d = opendir("/run/netns");
    for (struct dirent *e; d && (e = readdir(d));) {
        unsigned pid = 0;
        if (sscanf(e->d_name, "zabsim-%u-", &pid) == 1 && pid > 0 && kill((pid_t)pid, 0) < 0 &&
            errno == ESRCH)
            run_ip(NULL, "netns", "delete", e->d_name, NULL);
    }
    if (d)
        closedir(d);
    /* The bridges, and veth pairs a failed set-up left outside their namespace. */
    d = opendir("/sys/class/net");
    for (struct dirent *e; d && (e = readdir(d));) {
        unsigned pid = 0, host = 0;
        char rest = 0, side = 0;
        bool ours = sscanf(e->d_name, "zsb%u%c", &pid, &rest) == 1 ||
                    (sscanf(e->d_name, "zs%u%c%u%c", &pid, &side, &host, &rest) == 3 &&
                     (side == 'h' || side == 'p'));
        if (ours && pid > 0 && kill((pid_t)pid, 0) < 0 && errno == ESRCH)
            run_ip(NULL, "link", "delete", e->d_name, NULL);
    }
    if (d)
        closedir(d);
}

/* A K for 10.213.K.0/24 that no interface here uses yet. */
static int free_subnet(void)
{
    bool used[256] = { false };
    struct ifaddrs *ifs = NULL;
    if (getifaddrs(&ifs) == 0) {
        for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
            if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET)
                continue;
            uint32_t a = ntohl(((struct sockaddr_in *)i->ifa_addr)->sin_addr.s_addr);
            if ((a >> 16) == ((10u << 8) | 213u))
                used[(a >> 8) & 0xff] = true;
        }
        freeifaddrs(ifs);
    }
    for (int k = 0; k < 250; k++) {
        int candidate = (int)(((unsigned)getpid() + (unsigned)k) % 250u) + 1;
        if (!used[candidate])
            return candidate;
    }
    return -1;
}

/* Sets the neighbour entry for host `to` inside host `from`'s namespace. */
static bool set_neighbour(struct real_net *n, uint32_t from, uint32_t to, const unsigned char *mac,
                          GError **err)
{
    struct arpreq req;
    memset(&req, 0, sizeof req);
    struct sockaddr_in *pa = (struct sockaddr_in *)&req.arp_pa;
    pa->sin_family = AF_INET;
    inet_pton(AF_INET, n->addr[to], &pa->sin_addr);
    req.arp_ha.sa_family = ARPHRD_ETHER;
    memcpy(req.arp_ha.sa_data, mac, 6);
    req.arp_flags = ATF_COM | ATF_PERM;
    g_strlcpy(req.arp_dev, n->dev[from], sizeof req.arp_dev);
    if (ioctl(n->arp_fd[from], SIOCSARP, &req) < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "network namespaces: neighbour %s in %s: %s",
                    n->addr[to], n->ns_name[from], g_strerror(errno));
        return false;
    }
    return true;
}

/* Opens host h's namespace and a socket inside it. */
static bool open_namespace(struct real_net *n, uint32_t h, GError **err)
{
    char path[64];
    g_snprintf(path, sizeof path, "/run/netns/%s", n->ns_name[h]);
    n->ns_fd[h] = open(path, O_RDONLY | O_CLOEXEC);
    if (n->ns_fd[h] < 0 || setns(n->ns_fd[h], CLONE_NEWNET) < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "network namespaces: entering %s: %s", path,
                    g_strerror(errno));
        return false;
    }
    n->arp_fd[h] = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    int saved = errno;
    bool back = setns(n->self_fd, CLONE_NEWNET) == 0;
    ZS_ASSERT(back); /* zabsim's own namespace is always enterable */
    if (n->arp_fd[h] < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "network namespaces: a socket in %s: %s",
                    n->ns_name[h], g_strerror(saved));
        return false;
    }
    return true;
}

static bool make_host(struct real_net *n, uint32_t h, GError **err)
{
    pid_t pid = getpid();
    g_snprintf(n->ns_name[h], sizeof n->ns_name[h], "zabsim-%d-h%u", (int)pid, h + 1);
    g_snprintf(n->dev[h], sizeof n->dev[h], "zs%dh%u", (int)pid, h + 1);
    char peer[IFNAMSIZ], mac[18], cidr[24];
    g_snprintf(peer, sizeof peer, "zs%dp%u", (int)pid, h + 1);
    host_mac(n->subnet, h, n->mac[h]);
    g_snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", n->mac[h][0], n->mac[h][1],
               n->mac[h][2], n->mac[h][3], n->mac[h][4], n->mac[h][5]);
    g_snprintf(cidr, sizeof cidr, "%s/24", n->addr[h]);
    if (!run_ip(err, "netns", "add", n->ns_name[h], NULL))
        return false;
    n->ns_made[h] = true;
    if (!run_ip(err, "link", "add", n->dev[h], "address", mac, "type", "veth", "peer", "name",
                peer, NULL))
        return false;
    if (!run_ip(err, "link", "set", n->dev[h], "netns", n->ns_name[h], NULL)) {
        run_ip(NULL, "link", "delete", n->dev[h], NULL); /* still here: deletes the pair */
        return false;
    }
    return run_ip(err, "link", "set", peer, "master", n->bridge, "up", NULL) &&
           run_ip(err, "-n", n->ns_name[h], "addr", "add", cidr, "dev", n->dev[h], NULL) &&
           run_ip(err, "-n", n->ns_name[h], "link", "set", n->dev[h], "up", NULL) &&
           run_ip(err, "-n", n->ns_name[h], "link", "set", "lo", "up", NULL) &&
           open_namespace(n, h, err);
}

static struct real_net *net_alloc(uint32_t hosts)
{
    ZS_ASSERT(hosts <= SCENARIO_MAX_HOSTS);
    struct real_net *n = g_new0(struct real_net, 1);
    n->hosts = hosts;
    n->self_fd = -1;
    for (uint32_t h = 0; h < SCENARIO_MAX_HOSTS; h++)
        n->ns_fd[h] = n->arp_fd[h] = -1;
    return n;
}

struct real_net *real_net_loopback(uint32_t hosts)
{
    struct real_net *n = net_alloc(hosts);
    for (uint32_t h = 0; h < hosts; h++)
        g_strlcpy(n->addr[h], "127.0.0.1", sizeof n->addr[h]);
    return n;
}

struct real_net *real_net_namespaces(uint32_t hosts, GError **err)
{
    if (geteuid() != 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                    "cutting links between real servers puts each in a network namespace of "
                    "its own, which needs root here (this is uid %d)", (int)geteuid());
        return NULL;
    }
    char *ip = g_find_program_in_path("ip");
    g_free(ip);
    if (!ip) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                    "cutting links between real servers needs the ip command "
                    "(apt-get install iproute2)");
        return NULL;
    }
    remove_stale();
    struct real_net *n = net_alloc(hosts);
    n->namespaces = true;
    n->subnet = free_subnet();
    if (n->subnet < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "network namespaces: every 10.213.K.0/24 is in use");
        g_free(n);
        return NULL;
    }
    n->self_fd = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
    g_snprintf(n->bridge, sizeof n->bridge, "zsb%d", (int)getpid());
    for (uint32_t h = 0; h < hosts; h++)
        g_snprintf(n->addr[h], sizeof n->addr[h], "10.213.%d.%u", n->subnet,
                   REAL_NET_HOST_BASE + h);
    char cidr[24];
    g_snprintf(cidr, sizeof cidr, "10.213.%d.1/24", n->subnet);
    bool ok = n->self_fd >= 0;
    if (!ok)
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "/proc/self/ns/net: %s", g_strerror(errno));
    ok = ok && run_ip(err, "link", "add", n->bridge, "type", "bridge", NULL);
    n->bridge_made = ok;
    ok = ok && run_ip(err, "addr", "add", cidr, "dev", n->bridge, NULL) &&
         run_ip(err, "link", "set", n->bridge, "up", NULL);
    for (uint32_t h = 0; ok && h < hosts; h++)
        ok = make_host(n, h, err);
    /* Every host knows every other's hardware address from the start: no ARP exchange
     * after a heal, and a cut is one entry replaced. */
    for (uint32_t a = 0; ok && a < hosts; a++) {
        for (uint32_t b = 0; ok && b < hosts; b++) {
            if (a != b)
                ok = set_neighbour(n, a, b, n->mac[b], err);
        }
    }
    if (!ok) {
        real_net_free(n);
        return NULL;
    }
    return n;
}

bool real_net_isolated(const struct real_net *n)
{
    return n->namespaces;
}

const char *real_net_addr(const struct real_net *n, uint32_t h)
{
    ZS_ASSERT(h < n->hosts);
    return n->addr[h];
}

int real_net_ns_fd(const struct real_net *n, uint32_t h)
{
    ZS_ASSERT(h < n->hosts);
    return n->ns_fd[h];
}

void real_net_enter(struct real_net *n, uint32_t h)
{
    ZS_ASSERT(h < n->hosts);
    if (!n->namespaces)
        return;
    bool entered = setns(n->ns_fd[h], CLONE_NEWNET) == 0;
    ZS_ASSERT(entered); /* opened and entered once already by open_namespace */
}

void real_net_leave(struct real_net *n)
{
    if (!n->namespaces)
        return;
    bool back = setns(n->self_fd, CLONE_NEWNET) == 0;
    ZS_ASSERT(back);
}

bool real_net_set_sides(struct real_net *n, const int *group, GError **err)
{
    if (!n->namespaces) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_INPUT,
                    "links can only be cut between hosts in network namespaces");
        return false;
    }
    bool ok = true;
    for (uint32_t a = 0; a < n->hosts; a++) {
        for (uint32_t b = 0; b < n->hosts; b++) {
            bool was_cut = n->group[a] != n->group[b];
            bool cut = group[a] != group[b];
            if (a != b && cut != was_cut)
                ok = set_neighbour(n, a, b, cut ? nowhere_mac : n->mac[b], ok ? err : NULL) &&
                     ok;
        }
    }
    memcpy(n->group, group, sizeof(int) * n->hosts);
    return ok;
}

void real_net_free(struct real_net *n)
{
    if (!n)
        return;
    for (uint32_t h = 0; h < n->hosts; h++) {
        if (n->arp_fd[h] >= 0)
            close(n->arp_fd[h]);
        if (n->ns_fd[h] >= 0)
            close(n->ns_fd[h]);
        /* Deleting the namespace deletes its end of the veth pair, and with it the peer. */
        if (n->ns_made[h])
            run_ip(NULL, "netns", "delete", n->ns_name[h], NULL);
    }
    if (n->bridge_made)
        run_ip(NULL, "link", "delete", n->bridge, NULL);
    if (n->self_fd >= 0)
        close(n->self_fd);
    g_free(n);
}
