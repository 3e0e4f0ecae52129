/*
 * syscall-cost: the per-call cost of one kind of system call.
 *
 *   syscall-cost MODE [ITERATIONS [BATCH]]
 *
 * MODE is one of
 *   getppid   raw syscall(SYS_getppid): under gramine-ts, trapped and answered by the worker
 *   stubcall  raw syscall(SYS_getpid): under gramine-ts, trapped and answered by the stub
 *   direct    getpid(3), glibc's wrapper: under gramine-ts, its site patched after the first
 *             trap, a direct call into the stub (native/stub/patch.c)
 *   read      read(2) of 4 KiB from /dev/zero: under gramine-ts, run natively by the host
 *   poll      poll(2) of one ready fd (/dev/zero) with a timeout of 1 ms: under gramine-ts,
 *             a wait a signal can end, answered by a direct call as it finds the fd ready
 *
 * ITERATIONS calls (default 100000) are made in batches of BATCH calls (default 1000); each
 * batch is timed with clock_gettime(CLOCK_MONOTONIC). One untimed batch warms up first.
 * The output is one line of key=value pairs, e.g.
 *   mode=getppid batches=100 batch=1000 median_ns=812.3 min_ns=790.1 p90_ns=850.2 mean_ns=820.0
 * where each *_ns figure is a batch statistic divided by the batch size (ns per call).
 * Exit status 0 on success, 1 if a call failed (the failing call is reported on stderr), 2 on
 * bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

enum mode { M_GETPPID, M_STUBCALL, M_DIRECT, M_READ, M_POLL };

static char buf[4096];
static int zero_fd = -1;

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

/* Runs one batch; returns 0, or -1 after reporting a failed call. */
static int run_batch(enum mode m, long n)
{
    long r = 0;
    switch (m) {
    case M_GETPPID:
        for (long i = 0; i < n; i++)
            r |= syscall(SYS_getppid);
        break;
    case M_STUBCALL:
        for (long i = 0; i < n; i++)
            r |= syscall(SYS_getpid);
        break;
    case M_DIRECT:
        for (long i = 0; i < n; i++)
            r |= getpid();
        break;
    case M_READ:
        for (long i = 0; i < n; i++) {
            ssize_t got = read(zero_fd, buf, sizeof(buf));
            if (got != (ssize_t)sizeof(buf)) {
                fprintf(stderr, "syscall-cost: read /dev/zero returned %zd (%s)\n", got,
                        got < 0 ? strerror(errno) : "short read");
                return -1;
            }
        }
        break;
    case M_POLL:
        for (long i = 0; i < n; i++) {
            struct pollfd p = {zero_fd, POLLIN, 0};
            if (poll(&p, 1, 1) != 1) {
                fprintf(stderr, "syscall-cost: poll of /dev/zero: %s\n", strerror(errno));
                return -1;
            }
        }
        break;
    }
    if (r < 0) {
        fprintf(stderr, "syscall-cost: call failed: %s\n", strerror(errno));
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s getppid|stubcall|direct|read|poll [ITERATIONS [BATCH]]\n", argv[0]);
        return 2;
    }
    enum mode m;
    if (!strcmp(argv[1], "getppid"))
        m = M_GETPPID;
    else if (!strcmp(argv[1], "stubcall"))
        m = M_STUBCALL;
    else if (!strcmp(argv[1], "direct"))
        m = M_DIRECT;
    else if (!strcmp(argv[1], "read"))
        m = M_READ;
    else if (!strcmp(argv[1], "poll"))
        m = M_POLL;
    else {
        fprintf(stderr, "syscall-cost: unknown mode %s\n", argv[1]);
        return 2;
    }
    long iters = argc > 2 ? parse_pos("syscall-cost", argv[2], "iteration count") : 100000;
    long batch = argc > 3 ? parse_pos("syscall-cost", argv[3], "batch size") : 1000;
    if (batch > iters)
        batch = iters;
    long nbatches = iters / batch;

    if (m == M_READ || m == M_POLL) {
        zero_fd = open("/dev/zero", O_RDONLY);
        if (zero_fd < 0) {
            fprintf(stderr, "syscall-cost: open /dev/zero: %s\n", strerror(errno));
            return 1;
        }
    }
    double *per_call = malloc(sizeof(double) * (size_t)nbatches);
    if (!per_call) {
        fprintf(stderr, "syscall-cost: out of memory\n");
        return 1;
    }

    if (run_batch(m, batch)) /* warm-up, untimed */
        return 1;
    double sum = 0;
    for (long b = 0; b < nbatches; b++) {
        double t0 = now_ns();
        if (run_batch(m, batch))
            return 1;
        per_call[b] = (now_ns() - t0) / (double)batch;
        sum += per_call[b];
    }
    qsort(per_call, (size_t)nbatches, sizeof(double), cmp_double);
    double median = nbatches % 2 ? per_call[nbatches / 2]
                                 : (per_call[nbatches / 2 - 1] + per_call[nbatches / 2]) / 2;
    long p90 = (nbatches * 9) / 10;
    if (p90 >= nbatches)
        p90 = nbatches - 1;
    printf("mode=%s batches=%ld batch=%ld median_ns=%.1f min_ns=%.1f p90_ns=%.1f mean_ns=%.1f\n",
           argv[1], nbatches, batch, median, per_call[0], per_call[p90], sum / (double)nbatches);
    fflush(stdout);
    return 0;
}
