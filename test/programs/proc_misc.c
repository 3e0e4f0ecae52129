/*
 * memfd_create (the fd a memfd, /proc/self/fd naming it memfd:NAME), the old eventfd syscall,
 * and PR_SET_PDEATHSIG: a grandchild told of its parent's exit by the signal it asked for.
 */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int report[2];

static void on_parent_death(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    char line[64];
    int n = snprintf(line, sizeof(line), "signal %d, code %d", sig, si->si_code);
    if (write(report[1], line, (size_t)n) != n)
        _exit(3);
    _exit(0);
}

static void pdeathsig(void)
{
    int ready[2];
    if (pipe(report) || pipe(ready))
        die("pipe");
    int sig = -1;
    T("PR_GET_PDEATHSIG", prctl(PR_GET_PDEATHSIG, &sig));
    T("  value", sig);
    T("PR_SET_PDEATHSIG 99", prctl(PR_SET_PDEATHSIG, 99));
    pid_t parent = fork();
    if (parent == 0) {
        pid_t child = fork();
        if (child == 0) {
            struct sigaction sa = {.sa_sigaction = on_parent_death, .sa_flags = SA_SIGINFO};
            sigaction(SIGUSR1, &sa, 0);
            if (prctl(PR_SET_PDEATHSIG, SIGUSR1))
                _exit(4);
            int got = 0;
            prctl(PR_GET_PDEATHSIG, &got);
            if (got != SIGUSR1 || write(ready[1], "r", 1) != 1)
                _exit(5);
            for (;;)
                pause();
        }
        char c;
        if (read(ready[0], &c, 1) != 1)
            _exit(6);
        _exit(0); /* the child gets SIGUSR1 */
    }
    close(report[1]);
    char line[64] = {0};
    T("parent exited", ({
          int st;
          waitpid(parent, &st, 0);
          WEXITSTATUS(st);
      }));
    T("grandchild reported", read(report[0], line, sizeof(line) - 1) > 0);
    say("grandchild got %s", line);
    pid_t c = fork();
    if (c == 0) {
        int v = -1;
        prctl(PR_GET_PDEATHSIG, &v);
        _exit(v);
    }
    prctl(PR_SET_PDEATHSIG, SIGTERM);
    T("a fork's child starts without one", ({
          int st;
          waitpid(c, &st, 0);
          WEXITSTATUS(st);
      }));
    prctl(PR_SET_PDEATHSIG, 0);
}

int main(void)
{
    t_init();
    int fd = memfd_create("gts-test-memfd", MFD_CLOEXEC);
    T("memfd_create", fd >= 0);
    T("write", write(fd, "hello", 5));
    char buf[64] = {0};
    T("pread", pread(fd, buf, sizeof(buf), 0));
    say("read back: %s", buf);
    char link[64], target[128] = {0};
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
    T("readlink", readlink(link, target, sizeof(target) - 1) > 0);
    say("fd names: %s", target);
    T("fcntl F_GETFD cloexec", fcntl(fd, F_GETFD));
    T("memfd_create bad flags", memfd_create("x", 0x1000));
    int efd = syscall(SYS_eventfd, 3);
    T("eventfd (old syscall)", efd >= 0);
    unsigned long long v = 0;
    T("eventfd read", read(efd, &v, sizeof(v)));
    T("  value", (long)v);
    pdeathsig();
    say("done");
    return 0;
}
