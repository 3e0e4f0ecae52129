/* Helpers shared by the benchmark programs: argument parsing and sorting of timings. */
#ifndef GRAMINE_TS_BENCH_H
#define GRAMINE_TS_BENCH_H

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* A positive integer argument, or exit 2 with a message naming `prog` and `what`. */
static inline long parse_pos(const char *prog, const char *s, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || *end || v <= 0) {
        fprintf(stderr, "%s: bad %s: %s\n", prog, what, s);
        exit(2);
    }
    return v;
}

#endif
