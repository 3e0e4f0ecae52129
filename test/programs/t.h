/*
 * Shared helpers of the C test programs: every check prints one line "label = result", where
 * result is the return value (or a normalized form of it) or "-1 ERRNAME". The same program is
 * run natively and under gramine-ts and the outputs are compared line by line.
 */
#ifndef GTS_TEST_T_H
#define GTS_TEST_T_H

#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static inline const char *ename(int e)
{
    const char *n = strerrorname_np(e);
    static char buf[32];
    if (n)
        return n;
    snprintf(buf, sizeof(buf), "errno%d", e);
    return buf;
}

/* Print "label = r" or "label = -1 ENAME" (errno read before anything else can change it). */
static inline long show(const char *label, long r)
{
    int e = errno;
    if (r == -1)
        printf("%s = -1 %s\n", label, ename(e));
    else
        printf("%s = %ld\n", label, r);
    errno = e;
    return r;
}

/* Evaluate an expression with errno cleared, then show it. */
#define T(label, expr) (errno = 0, show((label), (long)(expr)))

/* Print a free-form line. */
static inline void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static inline void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
}

/* Line-buffered stdout: a crash still leaves every line printed before it. */
static inline void t_init(void)
{
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline void die(const char *what)
{
    fprintf(stderr, "test program: %s: %s\n", what, strerror(errno));
    exit(99);
}

#endif
