/* Test helper: wait until another process sleeps in a call (its /proc state says S), so that
 * a signal sent then interrupts that call. Polls every millisecond. */
#ifndef SLEEPING_H
#define SLEEPING_H

#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <time.h>

static void wait_sleeping(pid_t pid)
{
    char path[64], buf[512];
    snprintf(path, sizeof(path), "/proc/%d/stat", pid);
    for (;;) {
        FILE *f = fopen(path, "r");
        if (f) {
            size_t n = fread(buf, 1, sizeof(buf) - 1, f);
            fclose(f);
            buf[n] = 0;
            char *close_paren = strrchr(buf, ')');
            if (close_paren && close_paren[2] == 'S')
                return;
        }
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
}

#endif
