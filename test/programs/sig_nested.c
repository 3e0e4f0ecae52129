/*
 * A SIGCHLD handler that takes a siginfo runs while another process floods this one with
 * SIGUSR1: each child's exit brings a SIGCHLD whose si_pid and si_uid must be right, and the
 * SIGUSR1s arrive while that SIGCHLD is being made ready for its handler. The process must
 * neither hang nor mistake one answer for another.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHILDREN 300

static volatile sig_atomic_t usr1, chld, wrong_pid, wrong_uid;
static volatile pid_t current_child;

static void on_usr1(int s) { (void)s; usr1++; }

static void on_chld(int s, siginfo_t *si, void *uc)
{
    (void)s, (void)uc;
    chld++;
    if (si->si_pid != current_child)
        wrong_pid++;
    if (si->si_uid != getuid())
        wrong_uid++;
}

int main(void)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_usr1;
    sa.sa_flags = SA_RESTART;
    sigaction(SIGUSR1, &sa, 0);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, 0);

    /* the pest: SIGUSR1 to its parent until the parent closes the pipe */
    int stop[2];
    if (pipe(stop))
        return 1;
    pid_t parent = getpid();
    pid_t pest = fork();
    if (pest == 0) {
        close(stop[1]);
        char c;
        for (;;) {
            kill(parent, SIGUSR1);
            struct timeval tv = {0, 0};
            fd_set set;
            FD_ZERO(&set);
            FD_SET(stop[0], &set);
            if (select(stop[0] + 1, &set, 0, 0, &tv) > 0 && read(stop[0], &c, 1) == 0)
                _exit(0);
        }
    }
    close(stop[0]);

    /* the pest's SIGCHLD would name it: only the short-lived children count from here */
    sigset_t block, old;
    sigemptyset(&block);
    sigaddset(&block, SIGCHLD);
    int reaped = 0;
    for (int i = 0; i < CHILDREN; i++) {
        sigprocmask(SIG_BLOCK, &block, &old);
        pid_t c = fork();
        if (c == 0)
            _exit(0);
        current_child = c;
        sigprocmask(SIG_SETMASK, &old, 0);
        int st;
        if (waitpid(c, &st, 0) == c && WIFEXITED(st))
            reaped++;
    }
    sigprocmask(SIG_BLOCK, &block, 0);
    close(stop[1]);
    int st;
    waitpid(pest, &st, 0);
    printf("children reaped %d, SIGCHLDs %s, naming another process %d, another uid %d, SIGUSR1 seen: %s\n",
           reaped, chld >= 1 ? "handled" : "missing", (int)wrong_pid, (int)wrong_uid, usr1 > 0 ? "yes" : "no");
    return 0;
}
