/*
 * A seeded system-call fuzzer: `fuzz_syscalls SEED SECONDS [PATH...]`. For SECONDS it runs
 * children one after another, each making random system calls (number and arguments drawn
 * from SEED and the child's index) with edge-case arguments: 0, -1, huge values, bad and
 * good pointers, small fds, and the PATHs given (say, a canary directory of the host). A child
 * that kills itself (a signal, a wild munmap, a bad rlimit) is replaced by the next; one that
 * blocks is woken by its interval timer, and killed by the parent at the end of its time.
 * The parent prints one line: children run, calls made, children that died by a signal, and
 * exits 0. The same SEED gives the same calls.
 *
 * Left out: calls that end or replace the child at once and would only slow the run (exit,
 * execve, fork and clone: a fork bomb), that change the interval timer or SIGALRM that bound
 * every call, that would send signals to processes other than the child itself, and those
 * that act on the host machine as a whole if a bug let them through (reboot, kexec, modules,
 * swap, the clock, the kernel log): their refusal is tested elsewhere.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng;

static uint64_t next(void)
{
    /* xorshift64* */
    rng ^= rng >> 12;
    rng ^= rng << 25;
    rng ^= rng >> 27;
    return rng * 0x2545F4914F6CDD1DULL;
}

static const int excluded[] = {
    SYS_exit, SYS_exit_group, SYS_execve, SYS_execveat, SYS_fork, SYS_vfork, SYS_clone, SYS_clone3,
    SYS_rt_sigaction, SYS_rt_sigprocmask, SYS_rt_sigreturn, SYS_setitimer, SYS_alarm, SYS_sigaltstack,
    SYS_kill, SYS_tkill, SYS_tgkill, SYS_rt_sigqueueinfo, SYS_rt_tgsigqueueinfo, SYS_pidfd_send_signal,
    SYS_reboot, SYS_kexec_load, SYS_kexec_file_load, SYS_init_module, SYS_finit_module, SYS_delete_module,
    SYS_swapon, SYS_swapoff, SYS_settimeofday, SYS_clock_settime, SYS_adjtimex, SYS_clock_adjtime,
    SYS_syslog, SYS_acct, SYS_sethostname, SYS_setdomainname, SYS_iopl, SYS_ioperm, SYS_vhangup,
    SYS_quotactl, SYS_mount, SYS_umount2, SYS_pivot_root,
};

static int is_excluded(long nr)
{
    for (size_t i = 0; i < sizeof(excluded) / sizeof(excluded[0]); i++)
        if (excluded[i] == nr)
            return 1;
    return 0;
}

static char *paths[16];
static int npaths;
static char *buf; /* a few pages the child may scribble on */

static long arg(void)
{
    static const long edges[] = {0, 1, 2, 3, -1, -2, 4096, 0x7fffffff, -0x80000000L, 0x7fffffffffffffffL, 64, 1023, 1024, 65536};
    switch (next() % 8) {
    case 0: return edges[next() % (sizeof(edges) / sizeof(edges[0]))];
    case 1: return (long)(next() % 16); /* an fd, a flag, a small count */
    case 2: return (long)(buf + next() % 8192); /* a valid pointer */
    case 3: return (long)(buf + 3 * 4096 - next() % 64); /* the end of the mapping */
    case 4: return (long)(npaths ? paths[next() % npaths] : buf);
    case 5: return (long)(0x1000 + next() % 0x10000); /* unmapped */
    case 6: return (long)0xffffffff80000000UL; /* the kernel's */
    default: return (long)next();
    }
}

static void on_alarm(int sig)
{
    (void)sig;
}

static void child(uint64_t seed, long calls)
{
    rng = seed ? seed : 1;
    setpgid(0, 0); /* a kill(0) of its own reaches only itself */
    int null = open("/dev/null", O_RDWR);
    dup2(null, 0);
    dup2(null, 1);
    dup2(null, 2);
    /* every call that blocks is interrupted within 20 ms */
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);
    struct itimerval t = {{0, 20000}, {0, 20000}};
    setitimer(ITIMER_REAL, &t, NULL);
    for (long i = 0; i < calls; i++) {
        long nr;
        do
            nr = (long)(next() % 16 == 0 ? 424 + next() % 40 : next() % 336);
        while (is_excluded(nr));
        long a[6];
        for (int k = 0; k < 6; k++)
            a[k] = arg();
        /* a new fd keeps coming back as an argument: close what it opened now and then */
        syscall(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
        if (i % 64 == 63)
            for (int fd = 3; fd < 256; fd++)
                if (fd != null)
                    close(fd);
    }
    _exit(0);
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s SEED SECONDS [PATH...]\n", argv[0]);
        return 2;
    }
    uint64_t seed = strtoull(argv[1], NULL, 0);
    long seconds = atol(argv[2]);
    for (int i = 3; i < argc && npaths < 16; i++)
        paths[npaths++] = argv[i];
    buf = mmap(NULL, 3 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 3;
    struct sigaction sa = {0};
    sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR */
    sigaction(SIGALRM, &sa, NULL);
    struct timespec start, now;
    clock_gettime(CLOCK_MONOTONIC, &start);
    long children = 0, died = 0, calls = 0, by_signal[65] = {0};
    const long per_child = 2000;
    for (;;) {
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (now.tv_sec - start.tv_sec >= seconds)
            break;
        pid_t p = fork();
        if (p < 0) {
            fprintf(stderr, "fork: %s\n", strerror(errno));
            return 1;
        }
        if (p == 0)
            child(seed * 1000003ULL + (uint64_t)children, per_child);
        children++;
        calls += per_child;
        alarm(2); /* a child that stops answering is killed */
        int st;
        while (waitpid(p, &st, __WALL) < 0) {
            if (errno != EINTR) {
                fprintf(stderr, "waitpid: %s\n", strerror(errno));
                return 1;
            }
            kill(p, SIGKILL);
        }
        alarm(0);
        if (WIFSIGNALED(st)) {
            died++;
            by_signal[WTERMSIG(st) & 63]++;
        }
        /* what it left in its process group (nothing forks, but a clone slipped through would) */
        kill(-p, SIGKILL);
    }
    printf("seed %llu: %ld children, %ld calls, %ld died by a signal", (unsigned long long)seed, children, calls, died);
    for (int s = 1; s < 65; s++)
        if (by_signal[s])
            printf(" %s:%ld", sigabbrev_np(s) ? sigabbrev_np(s) : "?", by_signal[s]);
    printf("\n");
    return 0;
}
