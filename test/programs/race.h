/*
 * The second process of a race: forked, it runs a loop that keeps changing what the first one
 * works on, and says once, on a pipe, that it has made its first change. The race starts only
 * then: a forked child may wait for its worker to boot before its first call that needs one,
 * longer than all the rounds take.
 */
#ifndef GTS_TEST_RACE_H
#define GTS_TEST_RACE_H

#include <sys/types.h>
#include <unistd.h>

/* In the loop, after its first change (once; later calls do nothing). */
static inline void race_ready(int *ready)
{
    if (*ready < 0)
        return;
    (void)!write(*ready, "r", 1);
    close(*ready);
    *ready = -1;
}

/* Fork `loop(arg, ready)`, which never returns; its pid once it has called race_ready, or -1. */
static inline pid_t race_start(void (*loop)(const void *arg, int ready), const void *arg)
{
    int ready[2];
    if (pipe(ready))
        return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(ready[0]);
        loop(arg, ready[1]);
        _exit(1);
    }
    close(ready[1]);
    char c;
    ssize_t n = pid < 0 ? -1 : read(ready[0], &c, 1);
    close(ready[0]);
    return n == 1 ? pid : -1;
}

#endif
