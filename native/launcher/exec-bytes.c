/*
 * exec-bytes: starts a program with an argv and environment given as bytes. Node's spawn takes
 * JavaScript strings and encodes them as UTF-8, so an argument or variable that is not UTF-8
 * would reach the program changed. The worker spawns this instead, writes the vectors on fd 4
 * and closes it, and this execs the program with them exactly.
 *
 * usage: exec-bytes PROGRAM   (fd 4: u32 argc, u32 envc, then argc + envc NUL-terminated strings)
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define VECTORS_FD 4

static void fail(const char *what, int err)
{
    fprintf(stderr, "gramine-ts: exec-bytes: %s: %s\n", what, strerror(err));
    exit(127);
}

/* All of fd `fd` until end of file, NUL-terminated. */
static char *read_all(int fd, size_t *len)
{
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (;;) {
        if (!buf)
            fail("read vectors", ENOMEM);
        if (n == cap) {
            cap *= 2;
            buf = realloc(buf, cap);
            continue;
        }
        ssize_t r = read(fd, buf + n, cap - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0)
            fail("read vectors", errno);
        if (r == 0)
            break;
        n += (size_t)r;
    }
    *len = n;
    return buf;
}

/* `count` strings from *at (below end) into out[0..count), NULL-terminated. */
static void split(char **at, const char *end, uint32_t count, char **out)
{
    for (uint32_t i = 0; i < count; i++) {
        char *nul = memchr(*at, 0, (size_t)(end - *at));
        if (!nul)
            fail("vectors", EINVAL);
        out[i] = *at;
        *at = nul + 1;
    }
    out[count] = NULL;
}

int main(int argc, char **argv)
{
    if (argc != 2)
        fail("usage: exec-bytes PROGRAM", EINVAL);
    size_t len;
    char *buf = read_all(VECTORS_FD, &len);
    close(VECTORS_FD);
    uint32_t counts[2];
    if (len < sizeof(counts))
        fail("vectors", EINVAL);
    memcpy(counts, buf, sizeof(counts));
    /* each string takes at least its NUL: the counts cannot exceed the bytes */
    if (counts[0] > len || counts[1] > len)
        fail("vectors", EINVAL);
    char **app_argv = calloc((size_t)counts[0] + 1, sizeof(char *));
    char **app_envp = calloc((size_t)counts[1] + 1, sizeof(char *));
    if (!app_argv || !app_envp)
        fail("vectors", ENOMEM);
    char *at = buf + sizeof(counts);
    split(&at, buf + len, counts[0], app_argv);
    split(&at, buf + len, counts[1], app_envp);
    execve(argv[1], app_argv, app_envp);
    fail(argv[1], errno);
}
