/*
 * stat-storm: the cost of stat(2) on many files of one directory.
 *
 *   stat-storm DIR [FILES [ROUNDS]]
 *
 * DIR is an existing, empty scratch directory. Setup (not timed): FILES empty files (default
 * 10000) are created in it, DIR/f00000 ... Then one untimed round stat()s every file (warm-up),
 * and ROUNDS rounds (default 5) each stat() every file once, by its absolute path, in creation
 * order; each round is timed with clock_gettime(CLOCK_MONOTONIC). Finally the files are removed
 * (not timed), leaving DIR empty. The output is one line of key=value pairs, e.g.
 *   mode=stat files=10000 rounds=5 median_ns=812.3 min_ns=790.1 max_ns=850.2 mean_ns=820.0
 * where each *_ns figure is a statistic of the rounds' times divided by FILES (ns per stat).
 * Exit status 0 on success, 1 if a call failed (reported on stderr), 2 on bad usage.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static char **paths;
static long nfiles;

/* One round: stat() every file; returns 0, or -1 after reporting the failed call. */
static int round_once(void)
{
    struct stat st;
    for (long i = 0; i < nfiles; i++) {
        if (stat(paths[i], &st) != 0) {
            fprintf(stderr, "stat-storm: stat %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
        if (!S_ISREG(st.st_mode) || st.st_size != 0) {
            fprintf(stderr, "stat-storm: stat %s: not an empty regular file\n", paths[i]);
            return -1;
        }
    }
    return 0;
}

static void cleanup(void)
{
    for (long i = 0; i < nfiles; i++)
        if (paths[i])
            unlink(paths[i]);
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: %s DIR [FILES [ROUNDS]]\n", argv[0]);
        return 2;
    }
    const char *dir = argv[1];
    nfiles = argc > 2 ? parse_pos(argv[0], argv[2], "file count") : 10000;
    long rounds = argc > 3 ? parse_pos(argv[0], argv[3], "round count") : 5;
    paths = calloc((size_t)nfiles, sizeof(char *));
    double *times = calloc((size_t)rounds, sizeof(double));
    if (!paths || !times) {
        fprintf(stderr, "stat-storm: out of memory\n");
        return 1;
    }

    /* setup */
    for (long i = 0; i < nfiles; i++) {
        if (asprintf(&paths[i], "%s/f%05ld", dir, i) < 0) {
            fprintf(stderr, "stat-storm: out of memory\n");
            cleanup();
            return 1;
        }
        int fd = open(paths[i], O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd < 0) {
            fprintf(stderr, "stat-storm: create %s: %s\n", paths[i], strerror(errno));
            free(paths[i]);
            paths[i] = NULL;
            cleanup();
            return 1;
        }
        close(fd);
    }

    /* warm-up, then the timed rounds */
    int failed = round_once();
    for (long r = 0; r < rounds && !failed; r++) {
        double t0 = now_ns();
        failed = round_once();
        times[r] = (now_ns() - t0) / (double)nfiles;
    }
    cleanup();
    if (failed)
        return 1;

    double sum = 0;
    for (long r = 0; r < rounds; r++)
        sum += times[r];
    qsort(times, (size_t)rounds, sizeof(double), cmp_double);
    double median = rounds % 2 ? times[rounds / 2] : (times[rounds / 2 - 1] + times[rounds / 2]) / 2;
    printf("mode=stat files=%ld rounds=%ld median_ns=%.1f min_ns=%.1f max_ns=%.1f mean_ns=%.1f\n", nfiles, rounds,
           median, times[0], times[rounds - 1], sum / (double)rounds);
    return 0;
}
