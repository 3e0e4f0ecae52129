/*
 * fork-cost: the cost of creating a process, one iteration at a time.
 *
 *   fork-cost MODE [ITERATIONS]
 *
 * MODE is one of
 *   fork-exit  fork(); the child _exit(0)s at once; the parent waitpid()s for it
 *   fork-exec  fork(); the child execl()s /bin/true; the parent waitpid()s for it
 *   burst-N    N fork()s at once, each child execl()s /bin/true; the parent waitpid()s for all
 *              (N from 1 to 256): an iteration is the whole burst
 *
 * ITERATIONS iterations (default 200) are made after one warm-up iteration (timed apart, as
 * first_us: the process's first fork); each is
 * timed with clock_gettime(CLOCK_MONOTONIC), from just before fork() to just after waitpid()
 * returned. The output is one line of key=value pairs, e.g.
 *   mode=fork-exec iterations=200 median_us=412.3 min_us=380.1 p90_us=450.2 mean_us=420.0 first_us=500.1
 * where each *_us figure is a statistic of the per-iteration times, in microseconds.
 * Exit status 0 on success, 1 if a fork, exec or wait failed or a child did not exit with
 * status 0 (reported on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum mode { M_FORK_EXIT, M_FORK_EXEC };
#define BURST_MAX 256

static const char *const TRUE_PATH = "/bin/true";

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* One fork; returns the child's pid, or -1 after reporting what failed. */
static pid_t start_one(enum mode m)
{
    pid_t pid = fork();
    if (pid < 0) {
        fprintf(stderr, "fork-cost: fork: %s\n", strerror(errno));
        return -1;
    }
    if (pid == 0) {
        if (m == M_FORK_EXEC) {
            execl(TRUE_PATH, "true", (char *)NULL);
            /* only async-signal-safe calls between fork and _exit */
            static const char msg[] = "fork-cost: execl /bin/true failed\n";
            ssize_t ignored = write(2, msg, sizeof(msg) - 1);
            (void)ignored;
            _exit(127);
        }
        _exit(0);
    }
    return pid;
}

/* Wait for child `pid`; returns 0, or -1 after reporting what failed. */
static int wait_one(pid_t pid)
{
    int status;
    pid_t got;
    do
        got = waitpid(pid, &status, 0);
    while (got < 0 && errno == EINTR);
    if (got != pid) {
        fprintf(stderr, "fork-cost: waitpid(%d) returned %d: %s\n", (int)pid, (int)got,
                got < 0 ? strerror(errno) : "wrong pid");
        return -1;
    }
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        if (WIFSIGNALED(status))
            fprintf(stderr, "fork-cost: child killed by signal %d\n", WTERMSIG(status));
        else
            fprintf(stderr, "fork-cost: child exited with status %d (raw 0x%x)\n",
                    WIFEXITED(status) ? WEXITSTATUS(status) : -1, status);
        return -1;
    }
    return 0;
}

/* One iteration: `burst` forks (at once), then the waits for them all. */
static int run_once(enum mode m, int burst)
{
    pid_t pids[BURST_MAX];
    int started = 0, failed = 0;
    for (; started < burst; started++)
        if ((pids[started] = start_one(m)) < 0) {
            failed = 1;
            break;
        }
    for (int i = 0; i < started; i++)
        failed |= wait_one(pids[i]) != 0;
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 3) {
        fprintf(stderr, "usage: %s fork-exit|fork-exec|burst-N [ITERATIONS]\n", argv[0]);
        return 2;
    }
    enum mode m;
    int burst = 1;
    if (!strcmp(argv[1], "fork-exit"))
        m = M_FORK_EXIT;
    else if (!strcmp(argv[1], "fork-exec"))
        m = M_FORK_EXEC;
    else if (!strncmp(argv[1], "burst-", 6) && (burst = (int)parse_pos("fork-cost", argv[1] + 6, "burst size")) <= BURST_MAX)
        m = M_FORK_EXEC;
    else {
        fprintf(stderr, "fork-cost: unknown mode %s\n", argv[1]);
        return 2;
    }
    long iters = argc > 2 ? parse_pos("fork-cost", argv[2], "iteration count") : 200;

    double *per_iter = malloc(sizeof(double) * (size_t)iters);
    if (!per_iter) {
        fprintf(stderr, "fork-cost: out of memory\n");
        return 1;
    }
    /* nothing buffered in stdio may be duplicated into the children */
    fflush(NULL);

    /* a warm-up, not in the statistics: its time is first_us (a process's first fork) */
    double t_first = now_ns();
    if (run_once(m, burst))
        return 1;
    double first_us = (now_ns() - t_first) / 1e3;
    double sum = 0;
    for (long i = 0; i < iters; i++) {
        double t0 = now_ns();
        if (run_once(m, burst))
            return 1;
        per_iter[i] = (now_ns() - t0) / 1e3;
        sum += per_iter[i];
    }
    qsort(per_iter, (size_t)iters, sizeof(double), cmp_double);
    double median = iters % 2 ? per_iter[iters / 2]
                              : (per_iter[iters / 2 - 1] + per_iter[iters / 2]) / 2;
    long p90 = (iters * 9) / 10;
    if (p90 >= iters)
        p90 = iters - 1;
    printf("mode=%s iterations=%ld median_us=%.1f min_us=%.1f p90_us=%.1f mean_us=%.1f first_us=%.1f\n",
           argv[1], iters, median, per_iter[0], per_iter[p90], sum / (double)iters, first_us);
    fflush(stdout);
    return 0;
}
