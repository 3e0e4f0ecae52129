/*
 * A SIGCHLD that names a child already reaped: two children exit together, the handler of the
 * first SIGCHLD reaps both (waitpid(-1, WNOHANG) until nothing is left, as servers do), and a
 * second SIGCHLD may follow for the one reaped already. Each SIGCHLD's si_pid must still be one
 * of the children (under gramine-ts its vpid), and nothing may hang. Repeated many times.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ROUNDS 300

static volatile sig_atomic_t reaped, bad_pid, signals;
static volatile pid_t kids[2];

static void on_chld(int sig, siginfo_t *info, void *uc)
{
    (void)sig;
    (void)uc;
    signals++;
    if (info->si_pid != kids[0] && info->si_pid != kids[1])
        bad_pid++;
    while (waitpid(-1, NULL, WNOHANG) > 0)
        reaped++;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    for (int r = 0; r < ROUNDS; r++) {
        sigprocmask(SIG_BLOCK, &chld, NULL);
        reaped = 0;
        for (int i = 0; i < 2; i++) {
            pid_t p = fork();
            if (p == 0)
                _exit(0);
            kids[i] = p;
        }
        while (reaped < 2)
            sigsuspend(&none);
        sigprocmask(SIG_UNBLOCK, &chld, NULL);
    }
    printf("rounds %d, children reaped in the handler, SIGCHLDs naming someone else: %d\n", ROUNDS, (int)bad_pid);
    printf("at least one SIGCHLD per round: %s\n", signals >= ROUNDS ? "yes" : "no");
    return 0;
}
