/*
 * The siginfo a handler gets for a signal from another process: kill (SI_USER), sigqueue with a
 * value (SI_QUEUE), rt_tgsigqueueinfo, a SIGCONT (kill); pids shown relative to the processes involved, so that
 * native and gramine-ts runs print the same. A kernel si_code cannot be forged to another
 * process (EPERM), but can to oneself.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t got;
static siginfo_t last;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    last = *si;
    got++;
}

static const char *code_name(int code)
{
    switch (code) {
    case SI_USER: return "SI_USER";
    case SI_QUEUE: return "SI_QUEUE";
    case SI_TKILL: return "SI_TKILL";
    default: return "other";
    }
}

/* Wait (blocked in sigsuspend) for `n` signals in all. */
static void await_signals(int n, const sigset_t *during)
{
    while (got < n)
        sigsuspend(during);
}

static char report[1024];

/* What the handler saw, kept until the child is gone (its lines come first, as natively). */
static void show(const char *what, pid_t child)
{
    size_t used = strlen(report);
    snprintf(report + used, sizeof(report) - used, "%s: signo %s, code %s, from %s, uid %s, value %d\n", what, strsignal(last.si_signo), code_name(last.si_code),
           last.si_pid == child ? "the child" : last.si_pid == getpid() ? "itself" : "someone else",
           last.si_uid == getuid() ? "ours" : "other", last.si_code == SI_QUEUE || last.si_code < 0 ? last.si_value.sival_int : 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    sigaction(SIGUSR2, &sa, NULL);
    sigaction(SIGRTMIN, &sa, NULL);
    sigaction(SIGCONT, &sa, NULL);
    sigset_t block, during;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigaddset(&block, SIGUSR2);
    sigaddset(&block, SIGRTMIN);
    sigaddset(&block, SIGCONT);
    sigprocmask(SIG_BLOCK, &block, &during);

    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        kill(parent, SIGUSR1);
        union sigval v = {.sival_int = 42};
        sigqueue(parent, SIGUSR2, v);
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        si.si_code = SI_USER; /* a kernel code: not for another process */
        si.si_pid = getpid();
        si.si_uid = getuid();
        printf("child: rt_sigqueueinfo(parent, SI_USER) = %s\n",
               syscall(SYS_rt_sigqueueinfo, parent, SIGRTMIN, &si) == 0 ? "0" : strerrorname_np(errno));
        si.si_code = SI_TKILL;
        printf("child: rt_sigqueueinfo(parent, SI_TKILL) = %s\n",
               syscall(SYS_rt_sigqueueinfo, parent, SIGRTMIN, &si) == 0 ? "0" : strerrorname_np(errno));
        si.si_code = SI_QUEUE;
        si.si_value.sival_int = 7;
        printf("child: rt_tgsigqueueinfo(parent, parent, SI_QUEUE) = %s\n",
               syscall(SYS_rt_tgsigqueueinfo, parent, parent, SIGRTMIN, &si) == 0 ? "0" : strerrorname_np(errno));
        printf("child: rt_sigqueueinfo(no such pid) = %s\n",
               syscall(SYS_rt_sigqueueinfo, 99999, SIGRTMIN, &si) == 0 ? "0" : strerrorname_np(errno));
        kill(parent, SIGCONT);
        _exit(0);
    }
    /* one at a time, in the order the child sent them: each waits its turn blocked */
    sigset_t only;
    const int sigs[] = {SIGUSR1, SIGUSR2, SIGRTMIN, SIGCONT};
    const char *const whats[] = {"kill", "sigqueue", "rt_tgsigqueueinfo", "kill(SIGCONT)"};
    for (int i = 1; i <= 4; i++) {
        only = block;
        sigdelset(&only, sigs[i - 1]);
        await_signals(i, &only);
        show(whats[i - 1], child);
    }
    int status;
    waitpid(child, &status, 0);
    fputs(report, stdout);
    report[0] = 0;
    /* to itself, a kernel code may be given */
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    si.si_code = SI_USER;
    si.si_pid = getpid();
    si.si_uid = getuid();
    printf("self: rt_sigqueueinfo(SI_USER) = %s\n", syscall(SYS_rt_sigqueueinfo, getpid(), SIGUSR1, &si) == 0 ? "0" : strerrorname_np(errno));
    only = block;
    sigdelset(&only, SIGUSR1);
    await_signals(5, &only);
    show("self", child);
    fputs(report, stdout);
    return 0;
}
