/*
 * The vector registers keep their whole value across a system call, whichever way it goes
 * under gramine-ts: native, answered by the stub, by the worker, or made from the stub's wait
 * gadget (poll, ppoll, select, pselect6, epoll_wait, epoll_pwait with a timeout). Each call is
 * made raw with distinct values in all sixteen ymm registers (their upper halves are what a
 * careless signal-frame rewrite loses).
 */
#define _GNU_SOURCE
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include "t.h"

static unsigned char before[16][32] __attribute__((aligned(32))), after[16][32] __attribute__((aligned(32)));

#define LOAD(i) "vmovdqu " #i "*32(%[b]), %%ymm" #i "\n\t"
#define STORE(i) "vmovdqu %%ymm" #i ", " #i "*32(%[a])\n\t"

/* The raw syscall `nr` with ymm0-15 loaded before it and stored after it. */
static long call_keeping_ymm(long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    register long r10 __asm__("r10") = a3, r8 __asm__("r8") = a4, r9 __asm__("r9") = a5;
    long ret;
    __asm__ volatile(LOAD(0) LOAD(1) LOAD(2) LOAD(3) LOAD(4) LOAD(5) LOAD(6) LOAD(7) LOAD(8) LOAD(9) LOAD(10)
                         LOAD(11) LOAD(12) LOAD(13) LOAD(14) LOAD(15) "syscall\n\t" STORE(0) STORE(1) STORE(2)
                             STORE(3) STORE(4) STORE(5) STORE(6) STORE(7) STORE(8) STORE(9) STORE(10) STORE(11)
                                 STORE(12) STORE(13) STORE(14) STORE(15)
                     : "=a"(ret)
                     : "a"(nr), "D"(a0), "S"(a1), "d"(a2), "r"(r10), "r"(r8), "r"(r9), [b] "r"(before), [a] "r"(after)
                     : "rcx", "r11", "memory", "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8",
                       "xmm9", "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15");
    return ret;
}

static void check(const char *label, long nr, long a0, long a1, long a2, long a3, long a4, long a5)
{
    for (int r = 0; r < 16; r++)
        for (int i = 0; i < 32; i++)
            before[r][i] = (unsigned char)(r * 32 + i + 1);
    memset(after, 0, sizeof(after));
    long ret = call_keeping_ymm(nr, a0, a1, a2, a3, a4, a5);
    int kept = !memcmp(before, after, sizeof(before));
    say("%s = %s, ymm0-15 %s", label, ret < 0 ? "error" : "ok", kept ? "kept" : "CHANGED");
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx")) {
        say("no AVX here: nothing to check");
        say("done");
        return 0;
    }
    int p[2];
    if (pipe(p) || write(p[1], "x", 1) != 1)
        return 1;
    struct pollfd pfd = {p[0], POLLIN, 0};
    struct timespec ts = {1, 0};
    struct timeval tv = {1, 0};
    fd_set set;
    FD_ZERO(&set);
    FD_SET(p[0], &set);
    sigset_t none;
    sigemptyset(&none);
    struct {
        sigset_t *ss;
        size_t len;
    } pselect_mask = {&none, 8};
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = p[0]}}, out;
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    char c;
    check("getpid", SYS_getpid, 0, 0, 0, 0, 0, 0);
    check("getppid", SYS_getppid, 0, 0, 0, 0, 0, 0);
    check("read of the pipe", SYS_read, p[0], (long)&c, 1, 0, 0, 0);
    if (write(p[1], "x", 1) != 1)
        return 1;
    check("poll", SYS_poll, (long)&pfd, 1, 1000, 0, 0, 0);
    check("ppoll with a mask", SYS_ppoll, (long)&pfd, 1, (long)&ts, (long)&none, 8, 0);
    FD_SET(p[0], &set);
    check("select", SYS_select, p[0] + 1, (long)&set, 0, 0, (long)&tv, 0);
    FD_SET(p[0], &set);
    check("pselect6 with a mask", SYS_pselect6, p[0] + 1, (long)&set, 0, 0, (long)&ts, (long)&pselect_mask);
    check("epoll_wait", SYS_epoll_wait, ep, (long)&out, 1, 1000, 0, 0);
    check("epoll_pwait with a mask", SYS_epoll_pwait, ep, (long)&out, 1, 1000, (long)&none, 8);
    say("done");
    return 0;
}
