/*
 * Waiting for signals with sigtimedwait/sigwaitinfo: one from another process (kill, sigqueue)
 * and a child's SIGCHLD, each with its sender's pid and status; a timeout (EAGAIN); EINTR when
 * a handler of a signal not waited for runs. The child signals once the parent sleeps.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sleeping.h"

static void on_usr2(int sig) { (void)sig; }

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr2;
    sigaction(SIGUSR2, &sa, NULL);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    pid_t parent = getpid();

    pid_t child = fork();
    if (child == 0) {
        wait_sleeping(parent);
        union sigval v = {.sival_int = 9};
        sigqueue(parent, SIGUSR1, v); /* queued before the child's exit: taken first */
        _exit(5);
    }
    siginfo_t si;
    int r = sigwaitinfo(&set, &si);
    printf("sigwaitinfo: %s, code %d, from %s, value %d\n", r > 0 ? strsignal(r) : strerrorname_np(errno), si.si_code,
           si.si_pid == child ? "the child" : "someone else", si.si_value.sival_int);
    struct timespec t = {5, 0};
    r = sigtimedwait(&set, &si, &t);
    printf("sigtimedwait: %s, code %s, from %s, status %d\n", r > 0 ? strsignal(r) : strerrorname_np(errno),
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_pid == child ? "the child" : "someone else", si.si_status);
    waitpid(child, NULL, 0);

    struct timespec short_wait = {0, 100000000};
    r = sigtimedwait(&set, &si, &short_wait);
    printf("sigtimedwait for 0.1 s, nothing sent: %s\n", r > 0 ? strsignal(r) : strerrorname_np(errno));

    int hold[2];
    if (pipe(hold))
        return 1;
    child = fork();
    if (child == 0) {
        char c;
        close(hold[1]);
        wait_sleeping(parent);
        kill(parent, SIGUSR2); /* not waited for, and handled */
        (void)!read(hold[0], &c, 1); /* no SIGCHLD before the parent has its answer */
        _exit(0);
    }
    close(hold[0]);
    t.tv_sec = 5;
    r = sigtimedwait(&set, &si, &t);
    printf("sigtimedwait while a handled signal comes: %s\n", r > 0 ? strsignal(r) : strerrorname_np(errno));
    close(hold[1]);
    waitpid(child, NULL, 0);
    return 0;
}
