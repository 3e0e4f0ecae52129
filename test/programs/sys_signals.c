/*
 * Signals the program sends itself, dispositions and the signal mask (kill, tgkill, tkill,
 * rt_sigaction, rt_sigprocmask). Lines starting with "SIGSYS" differ between a native run and
 * gramine-ts by design (SIGSYS belongs to the stub); the test checks those one by one. Run
 * natively in a process group of its own (the group-directed kills stay inside it).
 *
 * Other scenarios (argv[1]): "die SIG" (kill itself with SIG at default disposition), "abort",
 * "segv", "sigpipe", "exit N", "exit-thread N".
 */
#include "t.h"
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>

static volatile sig_atomic_t hits[65];
static volatile int last_code, last_pid_is_self, last_uid;
static volatile int in_handler_usr1_blocked, in_handler_usr2_blocked, in_handler_on_altstack;
static char *altstack;

static void on_signal(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    hits[sig]++;
    last_code = si->si_code;
    last_pid_is_self = si->si_pid == getpid();
    last_uid = (int)si->si_uid;
    sigset_t cur;
    /* a trapped call from inside a handler: the mask is the handler's */
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8);
    in_handler_usr1_blocked = sigismember(&cur, SIGUSR1);
    in_handler_usr2_blocked = sigismember(&cur, SIGUSR2);
    char here;
    in_handler_on_altstack = altstack && &here >= altstack && &here < altstack + SIGSTKSZ;
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER:
        return "SI_USER";
    case SI_TKILL:
        return "SI_TKILL";
    case SI_QUEUE:
        return "SI_QUEUE";
    case SI_KERNEL:
        return "SI_KERNEL";
    default:
        return "other";
    }
}

static int install(int sig, int flags, const int *mask_sigs)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_signal;
    sa.sa_flags = SA_SIGINFO | flags;
    sigemptyset(&sa.sa_mask);
    for (; mask_sigs && *mask_sigs; mask_sigs++)
        sigaddset(&sa.sa_mask, *mask_sigs);
    return sigaction(sig, &sa, NULL);
}

static void report(const char *label, int sig)
{
    say("%s: handler ran %d times, si_code %s, si_pid is self %s, si_uid %d", label, hits[sig], code_name(last_code),
        last_pid_is_self ? "yes" : "no", last_uid);
}

static const char *disposition(int sig)
{
    struct sigaction old;
    if (syscall(SYS_rt_sigaction, sig, NULL, &old, 8) != 0)
        return ename(errno);
    if (old.sa_handler == SIG_DFL)
        return "SIG_DFL";
    if (old.sa_handler == SIG_IGN)
        return "SIG_IGN";
    return "handler";
}

static int blocked(int sig)
{
    sigset_t cur;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8);
    return sigismember(&cur, sig);
}

static void scenario_main(void)
{
    pid_t pid = getpid();
    pid_t tid = (pid_t)syscall(SYS_gettid);
    int own_group = getpgrp() == pid;

    /* every disposition starts at its default */
    int defaults = 1;
    for (int s = 1; s < 65; s++)
        if (s != SIGKILL && s != SIGSTOP && !(s >= 32 && s < SIGRTMIN) && strcmp(disposition(s), "SIG_DFL") != 0)
            defaults = 0, say("not default at start: signal %d = %s", s, disposition(s));
    say("all dispositions default at start: %s", defaults ? "yes" : "no");
    sigset_t start;
    syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &start, 8);
    say("mask empty at start: %s", sigisemptyset(&start) ? "yes" : "no");

    const int usr2[] = {SIGUSR2, 0};
    T("sigaction(SIGUSR1, handler, mask SIGUSR2)", install(SIGUSR1, 0, usr2));
    say("disposition(SIGUSR1) = %s", disposition(SIGUSR1));
    T("kill(getpid(), SIGUSR1)", syscall(SYS_kill, pid, SIGUSR1));
    report("after kill", SIGUSR1);
    say("in the handler: SIGUSR1 blocked %d, SIGUSR2 blocked %d", in_handler_usr1_blocked, in_handler_usr2_blocked);
    say("after the handler: SIGUSR1 blocked %d, SIGUSR2 blocked %d", blocked(SIGUSR1), blocked(SIGUSR2));
    T("tgkill(getpid(), gettid(), SIGUSR1)", syscall(SYS_tgkill, pid, tid, SIGUSR1));
    report("after tgkill", SIGUSR1);
    T("tkill(gettid(), SIGUSR1)", syscall(SYS_tkill, tid, SIGUSR1));
    report("after tkill", SIGUSR1);
    T("raise(SIGUSR1)", raise(SIGUSR1));
    report("after raise", SIGUSR1);
    if (own_group) {
        T("kill(0, SIGUSR1)", syscall(SYS_kill, 0, SIGUSR1));
        report("after kill(0)", SIGUSR1);
        /* -1 is "every process", never group 1: a pid 1 (as under gramine-ts) names its group by 0 */
        pid_t group = getpgrp() == 1 ? 0 : -getpgrp();
        T("kill(-getpgrp() or 0 for group 1, SIGUSR1)", syscall(SYS_kill, group, SIGUSR1));
        report("after kill(-pgrp)", SIGUSR1);
    } else {
        say("not in a process group of its own: group kills skipped");
    }

    T("kill(getpid(), 0)", syscall(SYS_kill, pid, 0));
    T("kill(4000000, 0)", syscall(SYS_kill, 4000000, 0));
    T("kill(4000000, SIGUSR1)", syscall(SYS_kill, 4000000, SIGUSR1));
    T("kill(getpid(), 65)", syscall(SYS_kill, pid, 65));
    T("kill(getpid(), -1)", syscall(SYS_kill, pid, -1));
    T("tgkill(getpid(), gettid(), 0)", syscall(SYS_tgkill, pid, tid, 0));
    T("tgkill(getpid(), 4000000, 0)", syscall(SYS_tgkill, pid, 4000000, 0));
    T("tgkill(4000000, gettid(), 0)", syscall(SYS_tgkill, 4000000, tid, 0));
    T("tgkill(0, gettid(), 0)", syscall(SYS_tgkill, 0, tid, 0));
    T("tgkill(-1, gettid(), 0)", syscall(SYS_tgkill, -1, tid, 0));
    T("tgkill(getpid(), 0, 0)", syscall(SYS_tgkill, pid, 0, 0));
    T("tgkill(getpid(), -5, 0)", syscall(SYS_tgkill, pid, -5, 0));
    T("tgkill(getpid(), gettid(), 65)", syscall(SYS_tgkill, pid, tid, 65));
    T("tkill(gettid(), 0)", syscall(SYS_tkill, tid, 0));
    T("tkill(0, 0)", syscall(SYS_tkill, 0, 0));
    T("tkill(-1, 0)", syscall(SYS_tkill, -1, 0));
    T("tkill(4000000, 0)", syscall(SYS_tkill, 4000000, 0));
    T("tkill(gettid(), 65)", syscall(SYS_tkill, tid, 65));

    /* the signal mask */
    sigset_t set, old;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    int before = hits[SIGUSR1];
    T("rt_sigprocmask(SIG_BLOCK, {SIGUSR1})", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8));
    say("SIGUSR1 was blocked: %d", sigismember(&old, SIGUSR1));
    T("kill(getpid(), SIGUSR1) while blocked", syscall(SYS_kill, pid, SIGUSR1));
    say("handler ran while blocked: %s", hits[SIGUSR1] != before ? "yes" : "no");
    say("SIGUSR1 blocked: %d", blocked(SIGUSR1));
    T("rt_sigprocmask(SIG_UNBLOCK, {SIGUSR1})", syscall(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, NULL, 8));
    say("handler ran on unblock: %s", hits[SIGUSR1] == before + 1 ? "yes" : "no");
    sigemptyset(&set);
    sigaddset(&set, SIGUSR2);
    sigaddset(&set, SIGKILL);
    sigaddset(&set, SIGSTOP);
    T("rt_sigprocmask(SIG_SETMASK, {SIGUSR2, SIGKILL, SIGSTOP})", syscall(SYS_rt_sigprocmask, SIG_SETMASK, &set, &old, 8));
    say("blocked now: SIGUSR2 %d SIGKILL %d SIGSTOP %d SIGUSR1 %d", blocked(SIGUSR2), blocked(SIGKILL), blocked(SIGSTOP),
        blocked(SIGUSR1));
    T("rt_sigprocmask(99, set)", syscall(SYS_rt_sigprocmask, 99, &set, NULL, 8));
    T("rt_sigprocmask(99, NULL)", syscall(SYS_rt_sigprocmask, 99, NULL, &old, 8));
    T("rt_sigprocmask(SIG_BLOCK, set, NULL, 4)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4));
    T("sigprocmask(SIG_SETMASK, empty)", ({
          sigemptyset(&set);
          sigprocmask(SIG_SETMASK, &set, NULL);
      }));

    /* real-time signals queue: two sent while blocked are both delivered */
    int rt = SIGRTMIN + 1;
    install(rt, 0, NULL);
    sigemptyset(&set);
    sigaddset(&set, rt);
    sigprocmask(SIG_BLOCK, &set, NULL);
    syscall(SYS_kill, pid, rt);
    syscall(SYS_kill, pid, rt);
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    say("SIGRTMIN+1 sent twice while blocked, delivered %d times", hits[rt]);

    /* dispositions */
    T("sigaction(SIGUSR2, SIG_IGN)", ({
          struct sigaction ign = {.sa_handler = SIG_IGN};
          sigaction(SIGUSR2, &ign, NULL);
      }));
    T("kill(getpid(), SIGUSR2) ignored", syscall(SYS_kill, pid, SIGUSR2));
    say("disposition(SIGUSR2) = %s", disposition(SIGUSR2));
    T("sigaction(SIGUSR2, handler, SA_RESETHAND)", install(SIGUSR2, SA_RESETHAND, NULL));
    T("kill(getpid(), SIGUSR2)", syscall(SYS_kill, pid, SIGUSR2));
    say("SIGUSR2 handler ran %d times; disposition now %s", hits[SIGUSR2], disposition(SIGUSR2));
    T("sigaction(SIGKILL, handler)", install(SIGKILL, 0, NULL));
    T("sigaction(SIGSTOP, SIG_IGN)", ({
          struct sigaction ign = {.sa_handler = SIG_IGN};
          sigaction(SIGSTOP, &ign, NULL);
      }));
    struct sigaction act;
    memset(&act, 0, sizeof(act));
    act.sa_handler = SIG_IGN;
    T("rt_sigaction(0)", syscall(SYS_rt_sigaction, 0, &act, NULL, 8));
    T("rt_sigaction(65)", syscall(SYS_rt_sigaction, 65, &act, NULL, 8));
    T("rt_sigaction(SIGUSR1, act, NULL, 4)", syscall(SYS_rt_sigaction, SIGUSR1, &act, NULL, 4));
    T("rt_sigaction(SIGUSR1, NULL, NULL, 8)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, NULL, 8));

    /* a handler on an alternate stack */
    altstack = malloc(SIGSTKSZ);
    stack_t ss = {.ss_sp = altstack, .ss_size = SIGSTKSZ, .ss_flags = 0};
    T("sigaltstack", sigaltstack(&ss, NULL));
    T("sigaction(SIGURG, handler, SA_ONSTACK)", install(SIGURG, SA_ONSTACK, NULL));
    T("kill(getpid(), SIGURG)", syscall(SYS_kill, pid, SIGURG));
    say("SIGURG handler ran %d times, on the alternate stack: %s", hits[SIGURG], in_handler_on_altstack ? "yes" : "no");

    /* the host's SIGSYS is the stub's under gramine-ts; the app's disposition is its own */
    say("SIGSYS disposition at start = %s", disposition(SIGSYS));
    errno = 0;
    show("SIGSYS sigaction(SIGSYS, handler)", install(SIGSYS, 0, NULL));
    say("disposition of SIGSYS now = %s", disposition(SIGSYS));
    T("kill(getpid(), SIGSYS)", syscall(SYS_kill, pid, SIGSYS));
    report("a SIGSYS sent to itself", SIGSYS);
    errno = 0;
    show("SIGSYS sigaction(SIGSYS, SIG_IGN)", ({
             struct sigaction ign = {.sa_handler = SIG_IGN};
             sigaction(SIGSYS, &ign, NULL);
         }));
    say("disposition of SIGSYS now = %s", disposition(SIGSYS));
    T("kill(getpid(), SIGSYS), ignored", syscall(SYS_kill, pid, SIGSYS));
    sigemptyset(&set);
    sigaddset(&set, SIGSYS);
    T("sigprocmask(SIG_BLOCK, {SIGSYS})", sigprocmask(SIG_BLOCK, &set, NULL));
    say("SIGSYS blocked after sigprocmask: %d", blocked(SIGSYS));
    sigprocmask(SIG_UNBLOCK, &set, NULL);
    /* everything still works: trapped calls need SIGSYS */
    T("getppid() >= 0", getppid() >= 0);
}

int main(int argc, char **argv)
{
    t_init();
    const char *scenario = argc > 1 ? argv[1] : "main";
    struct rlimit nocore = {0, 0};
    if (strcmp(scenario, "main") == 0) {
        scenario_main();
        say("done");
        return 0;
    }
    /* no core files from the deaths below */
    setrlimit(RLIMIT_CORE, &nocore);
    if (strcmp(scenario, "die") == 0 && argc > 2) {
        int sig = atoi(argv[2]);
        say("disposition = %s", disposition(sig));
        kill(getpid(), sig);
        say("still alive after kill");
        return 0;
    }
    if (strcmp(scenario, "abort") == 0)
        abort();
    if (strcmp(scenario, "segv") == 0) {
        *(volatile int *)8 = 1;
        return 0;
    }
    if (strcmp(scenario, "sigpipe") == 0) {
        int p[2];
        if (pipe(p) != 0)
            die("pipe");
        close(p[0]);
        say("disposition(SIGPIPE) = %s", disposition(SIGPIPE));
        write(p[1], "x", 1);
        say("still alive after write: %s", ename(errno));
        return 0;
    }
    if (strcmp(scenario, "exit-thread") == 0 && argc > 2) {
        /* exit (not exit_group) of the only thread ends the process with its status */
        say("exiting the thread");
        syscall(SYS_exit, atoi(argv[2]));
        return 99;
    }
    if (strcmp(scenario, "exit") == 0 && argc > 2) {
        say("exiting");
        exit(atoi(argv[2]));
    }
    return 2;
}
