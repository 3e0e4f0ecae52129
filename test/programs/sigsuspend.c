/*
 * sigsuspend waits with a given mask and returns EINTR after a handler ran: for a signal sent
 * by a child (kill), for SIGCHLD when a child exits, and with the old mask back afterwards.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t usr1, chld;
static void on_usr1(int s) { (void)s; usr1++; }
static void on_chld(int s) { (void)s; chld++; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigaction(SIGUSR1, &sa, NULL);
    sa.sa_handler = on_chld;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t block, empty, now;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGCHLD);
    sigprocmask(SIG_BLOCK, &block, NULL);
    sigemptyset(&empty);

    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGUSR1);
        _exit(0);
    }
    /* both signals come; loop as real programs do until both handlers ran */
    int calls = 0;
    while (!(usr1 && chld)) {
        int r = sigsuspend(&empty);
        calls++;
        if (r != -1 || errno != EINTR)
            printf("sigsuspend returned %d %s\n", r, strerrorname_np(errno));
    }
    printf("usr1 handler ran: %d, chld handler ran: %d, sigsuspend calls >= 1: %d\n", usr1 > 0, chld > 0, calls >= 1);
    sigprocmask(SIG_BLOCK, NULL, &now);
    printf("mask after: SIGUSR1 %d, SIGCHLD %d\n", sigismember(&now, SIGUSR1), sigismember(&now, SIGCHLD));
    int st = 0;
    int reaped = waitpid(child, &st, 0) == child;
    printf("child reaped: %d, exit %d\n", reaped, WEXITSTATUS(st));
    int r = syscall(130 /* rt_sigsuspend */, (void *)1, 8);
    printf("rt_sigsuspend(bad pointer) = %d %s\n", r, strerrorname_np(errno));
    r = syscall(130, &empty, 4);
    printf("rt_sigsuspend(size 4) = %d %s\n", r, strerrorname_np(errno));
    return 0;
}
