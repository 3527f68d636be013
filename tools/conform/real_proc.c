#define _GNU_SOURCE /* setns */
/* real_proc.c: starting, signalling and stopping the real servers (conform.h). Each server
 * runs in its own process group with its output in a log file; PR_SET_PDEATHSIG kills it if
 * zabsim dies first, so no server outlives the command that started it. */
#include "tools/conform/conform.h"

#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

bool real_proc_start(struct real_proc *p, GError **err)
{
    ZS_ASSERT(p->pid == 0);
    int fd = open(p->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0) {
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "%s: %s", p->log_path, g_strerror(errno));
        return false;
    }
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid < 0) {
        close(fd);
        g_set_error(err, ZS_ERROR, ZS_ERROR_IO, "cannot start %s: fork: %s", p->name,
                    g_strerror(errno));
        return false;
    }
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127); /* the parent died before prctl took effect */
        setpgid(0, 0);
        if (p->netns_fd >= 0 && setns(p->netns_fd, CLONE_NEWNET) < 0) {
            dprintf(fd, "cannot enter the host's network namespace: %s\n", strerror(errno));
            _exit(127);
        }
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        int devnull = open("/dev/null", O_RDONLY);
        if (devnull >= 0)
            dup2(devnull, STDIN_FILENO);
        execvp(p->argv[0], p->argv);
        dprintf(STDERR_FILENO, "cannot execute %s: %s\n", p->argv[0], strerror(errno));
        _exit(127);
    }
    close(fd);
    p->pid = pid;
    p->paused = false;
    return true;
}

static void reap(struct real_proc *p)
{
    int status;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->pid = 0;
    p->paused = false;
}

void real_proc_kill(struct real_proc *p)
{
    if (p->pid <= 0)
        return;
    kill(p->pid, SIGKILL);
    reap(p);
}

void real_proc_stop(struct real_proc *p, int grace_ms)
{
    if (p->pid <= 0)
        return;
    if (p->paused)
        kill(p->pid, SIGCONT);
    kill(p->pid, SIGTERM);
    for (int waited = 0; waited < grace_ms; waited += 10) {
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            p->pid = 0;
            p->paused = false;
            return;
        }
        g_usleep(10 * 1000);
    }
    real_proc_kill(p);
}

void real_proc_pause(struct real_proc *p, bool pause)
{
    if (p->pid <= 0 || p->paused == pause)
        return;
    kill(p->pid, pause ? SIGSTOP : SIGCONT);
    p->paused = pause;
}

void real_proc_clear(struct real_proc *p)
{
    real_proc_kill(p);
    g_strfreev(p->argv);
    g_free(p->name);
    g_free(p->log_path);
    memset(p, 0, sizeof *p);
}
