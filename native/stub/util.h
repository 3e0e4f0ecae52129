#ifndef GRAMINE_TS_UTIL_H
#define GRAMINE_TS_UTIL_H

#include <stddef.h>

void *memcpy(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
void *memmove(void *dst, const void *src, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);

/* Write a message to stderr and exit the process group with status 127 (as a failed exec). */
__attribute__((noreturn)) void stub_die(const char *what, long err);

/* Die of SIGKILL, as the parent should see it when the worker (or the instance) is gone. */
__attribute__((noreturn)) void stub_die_killed(void);

/* `v` in decimal, NUL-terminated at `end` (21 bytes before it are enough): where it starts */
char *format_decimal(unsigned long v, char *end);

/*
 * A lock for what threads of the app share in the stub (a futex: 0 free, 1 taken, 2 taken with
 * waiters). Held only inside the SIGSYS handler, where no handler of ours can interrupt it.
 */
void stub_lock(volatile int *lock);
void stub_unlock(volatile int *lock);

/* CLOCK_MONOTONIC in nanoseconds */
long now_ns(void);

#endif
