/*
 * What a parent sees of its children beyond their exit: a child stopped and continued
 * (WUNTRACED, WCONTINUED, and the SIGCHLDs with CLD_STOPPED/CLD_CONTINUED and the child's pid),
 * a wait for the process group woken by a member's stop and continue, the CPU time a child
 * used (rusage from wait4), and SA_NOCLDWAIT (children reaped by the system: wait4 finds none).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t codes[8], pids_ok[8], n;
static pid_t expected;

static void on_chld(int s, siginfo_t *si, void *uc)
{
    (void)s;
    (void)uc;
    if (n < 8) {
        codes[n] = si->si_code;
        pids_ok[n] = si->si_pid == expected;
        n++;
    }
}

static const char *code_name(int c)
{
    switch (c) {
    case CLD_EXITED: return "CLD_EXITED";
    case CLD_KILLED: return "CLD_KILLED";
    case CLD_STOPPED: return "CLD_STOPPED";
    case CLD_CONTINUED: return "CLD_CONTINUED";
    default: return "other";
    }
}

static void describe(const char *what, pid_t r, pid_t child, int st)
{
    if (r < 0) {
        printf("%s = -1 %s\n", what, strerrorname_np(errno));
        return;
    }
    printf("%s: the child %s, ", what, r == child ? "yes" : "no");
    if (WIFSTOPPED(st)) printf("stopped by %d\n", WSTOPSIG(st));
    else if (WIFCONTINUED(st)) printf("continued\n");
    else if (WIFEXITED(st)) printf("exited %d\n", WEXITSTATUS(st));
    else printf("killed by %d\n", WTERMSIG(st));
}

/* A child that stops itself at once, then waits to be killed. */
static pid_t stopped_child(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        raise(SIGSTOP);
        for (;;)
            pause();
    }
    return pid;
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);

    /* SIGCHLD blocked but for one sigsuspend after each change: one SIGCHLD each, in order */
    sigset_t chld, none;
    sigemptyset(&chld);
    sigaddset(&chld, SIGCHLD);
    sigemptyset(&none);
    sigprocmask(SIG_BLOCK, &chld, NULL);
    int st;
    pid_t r;
    pid_t child = fork();
    if (child == 0) {
        for (;;)
            pause();
    }
    expected = child;
    kill(child, SIGSTOP);
    sigsuspend(&none);
    r = waitpid(child, &st, WUNTRACED);
    describe("waitpid(WUNTRACED) after SIGSTOP", r, child, st);
    kill(child, SIGCONT);
    sigsuspend(&none);
    r = waitpid(child, &st, WCONTINUED);
    describe("waitpid(WCONTINUED) after SIGCONT", r, child, st);
    kill(child, SIGTERM);
    sigsuspend(&none);
    r = waitpid(child, &st, 0);
    describe("waitpid after SIGTERM", r, child, st);
    for (int i = 0; i < n; i++)
        printf("SIGCHLD %d: %s, si_pid is the child %s\n", i, code_name(codes[i]), pids_ok[i] ? "yes" : "no");
    sigprocmask(SIG_UNBLOCK, &chld, NULL);

    /* a wait for our process group (waitpid(0)) sees a member stop and continue */
    child = stopped_child();
    r = waitpid(0, &st, WUNTRACED);
    describe("waitpid(0, WUNTRACED) as a member stops", r, child, st);
    kill(child, SIGCONT);
    r = waitpid(0, &st, WCONTINUED);
    describe("waitpid(0, WCONTINUED) after SIGCONT", r, child, st);
    kill(child, SIGTERM);
    r = waitpid(0, &st, 0);
    describe("waitpid(0) after SIGTERM", r, child, st);

    /* the same with SA_NOCLDSTOP: no SIGCHLD for the stop, the wait still sees it */
    n = 0;
    sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NOCLDSTOP;
    sigaction(SIGCHLD, &sa, NULL);
    child = stopped_child();
    r = waitpid(0, &st, WUNTRACED);
    describe("waitpid(0, WUNTRACED) with SA_NOCLDSTOP", r, child, st);
    kill(child, SIGKILL);
    r = waitpid(0, &st, 0);
    describe("waitpid(0) after SIGKILL", r, child, st);
    printf("SIGCHLDs with SA_NOCLDSTOP: %d, %s\n", n, n == 1 && codes[0] == CLD_KILLED ? "the kill only" : "not as expected");

    /* a child that burns about 0.2 s of CPU: wait4 reports it */
    child = fork();
    if (child == 0) {
        struct timespec t0, t;
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t0);
        do
            clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
        while ((t.tv_sec - t0.tv_sec) * 1000000000L + (t.tv_nsec - t0.tv_nsec) < 200000000L);
        _exit(0);
    }
    struct rusage ru;
    memset(&ru, 0, sizeof(ru));
    r = wait4(child, &st, 0, &ru);
    long cpu_ms = (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 + (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
    printf("wait4 with rusage: the child %s, CPU time at least 150 ms: %s\n", r == child ? "yes" : "no", cpu_ms >= 150 ? "yes" : "no");

    /* SA_NOCLDWAIT: the children are reaped as they exit; wait blocks until all are gone, then ECHILD */
    sa.sa_flags = SA_NOCLDWAIT;
    sa.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &sa, NULL);
    for (int i = 0; i < 3; i++)
        if (fork() == 0)
            _exit(i);
    r = wait(&st);
    printf("wait with SA_NOCLDWAIT = %d %s\n", r, r < 0 ? strerrorname_np(errno) : "");
    printf("done\n");
    return 0;
}
