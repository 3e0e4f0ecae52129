/*
 * A flood of signals from another process (3000: SIGUSR1 handled with SA_RESTART, SIGHUP
 * ignored) while the process polls, selects and asks the worker, until a last SIGUSR2: the
 * process survives it, and its calls fail with nothing but EINTR.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/select.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t hits, done;
static void on_usr1(int s) { (void)s; hits++; }
static void on_usr2(int s) { (void)s; done = 1; }

/* One call of three kinds in turn: poll, select (both from the stub's wait gadget), getppid. */
static int one_call(long i, int fd)
{
    struct pollfd pfd = {fd, POLLIN, 0};
    fd_set set;
    struct timeval tv = {0, 5000};
    switch (i % 3) {
    case 0:
        return poll(&pfd, 1, 5);
    case 1:
        FD_ZERO(&set);
        FD_SET(fd, &set);
        return select(fd + 1, &set, NULL, NULL, &tv);
    default:
        return getppid() >= 0 ? 0 : -1; /* vpid 1 has parent 0, as a namespace init */
    }
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    signal(SIGHUP, SIG_IGN);
    int p[2];
    if (pipe(p))
        return 1;
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        for (int i = 0; i < 3000; i++)
            kill(parent, i % 3 == 0 ? SIGHUP : SIGUSR1);
        kill(parent, SIGUSR2);
        _exit(0);
    }
    long other_errors = 0;
    for (long i = 0; !done; i++)
        if (one_call(i, p[0]) < 0 && errno != EINTR)
            other_errors++;
    waitpid(child, NULL, 0);
    printf("done: SIGUSR1 handled: %s, errors other than EINTR: %ld\n", hits > 0 ? "yes" : "no", other_errors);
    return 0;
}
