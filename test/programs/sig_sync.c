/*
 * Synchronous signals are the host's own: a handler for SIGSEGV (a write through a null
 * pointer), SIGFPE (an integer division by zero), SIGILL (ud2) and SIGPIPE (a write to a pipe
 * nobody reads) runs with the kernel's siginfo, and the program goes on after a siglongjmp.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static sigjmp_buf back;
static siginfo_t seen;

static void on_fault(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    seen = *si;
    if (sig != SIGPIPE)
        siglongjmp(back, sig);
}

static void catch_on(int sig)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_fault;
    sa.sa_flags = SA_SIGINFO;
    sigaction(sig, &sa, NULL);
}

static volatile int zero;

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    catch_on(SIGSEGV);
    catch_on(SIGFPE);
    catch_on(SIGILL);
    catch_on(SIGPIPE);
    if (sigsetjmp(back, 1) == 0)
        *(volatile int *)8 = 1;
    printf("SIGSEGV: code %s, address %p\n", seen.si_code == SEGV_MAPERR ? "SEGV_MAPERR" : "other", seen.si_addr);
    if (sigsetjmp(back, 1) == 0) {
        volatile int q = 1 / zero;
        (void)q;
    }
    printf("SIGFPE: code %s\n", seen.si_code == FPE_INTDIV ? "FPE_INTDIV" : "other");
    if (sigsetjmp(back, 1) == 0)
        __builtin_trap();
    printf("SIGILL: code %s\n", seen.si_code == ILL_ILLOPN ? "ILL_ILLOPN" : "other");
    int p[2];
    if (pipe(p) == 0) {
        close(p[0]);
        memset(&seen, 0, sizeof(seen));
        long r = write(p[1], "x", 1);
        printf("SIGPIPE: write = %ld (%s), handler saw %s, code %s, from %s, uid %s\n", r,
               r < 0 ? strerrorname_np(errno) : "ok", seen.si_signo == SIGPIPE ? "SIGPIPE" : "nothing",
               seen.si_code == SI_USER ? "SI_USER" : "other", seen.si_pid == getpid() ? "itself" : "another",
               seen.si_uid == getuid() ? "ours" : "other");
    }
    /* still a working process: a trapped call and a fork */
    printf("getppid works: %d\n", getppid() >= 0);
    return 0;
}
