/*
 * placement: asks its worker seldom, then often, as its stdin says, for a test that watches
 * from the host where the instance runs it (placement.test.ts).
 *
 *   placement        reads commands, a line each, from stdin, where it waits (no round trip
 *                    to the worker): "quiet" prints "quiet"; "busy" prints "busy" and makes
 *                    getppid calls (each a round trip under gramine-ts) until the next line
 *                    comes; "quit" exits 0; anything else (or EOF) exits 1.
 */
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

static int line(char *buf, size_t n)
{
    size_t i = 0;
    while (i + 1 < n) {
        char c;
        if (read(0, &c, 1) != 1)
            return -1;
        if (c == '\n')
            break;
        buf[i++] = c;
    }
    buf[i] = 0;
    return 0;
}

int main(void)
{
    char cmd[32];
    while (line(cmd, sizeof(cmd)) == 0) {
        if (strcmp(cmd, "quit") == 0)
            return 0;
        if (strcmp(cmd, "quiet") != 0 && strcmp(cmd, "busy") != 0)
            break;
        printf("%s\n", cmd);
        fflush(stdout);
        if (strcmp(cmd, "busy") != 0)
            continue;
        long calls = 0;
        struct pollfd in = {0, POLLIN, 0};
        for (;;) {
            syscall(SYS_getppid);
            if (++calls % 64 == 0 && poll(&in, 1, 0) > 0)
                break;
        }
    }
    return 1;
}
