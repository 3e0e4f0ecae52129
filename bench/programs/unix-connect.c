/*
 * unix-connect: the cost of a connect(2) to a UNIX socket by its path.
 *
 *   unix-connect DIR ITERATIONS
 *
 * DIR is an existing scratch directory. A forked server listens at DIR/bench.sock and accepts
 * and closes connections; the client makes ITERATIONS rounds of socket, connect to the path,
 * a one-byte read of the server's close (so the backlog never fills), close -- timed as a
 * whole. The socket file is removed at the end. One line of key=value pairs:
 *   mode=unix-connect iterations=N ns_per_connect=...
 * Exit status 0, 1 if a call failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static double now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: unix-connect DIR ITERATIONS\n");
        return 2;
    }
    long n = parse_pos("unix-connect", argv[2], "iterations");
    struct sockaddr_un a = {.sun_family = AF_UNIX};
    if ((size_t)snprintf(a.sun_path, sizeof(a.sun_path), "%s/bench.sock", argv[1]) >= sizeof(a.sun_path)) {
        fprintf(stderr, "unix-connect: %s: path too long\n", argv[1]);
        return 2;
    }
    int l = socket(AF_UNIX, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 128)) {
        perror("unix-connect: listen");
        return 1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        for (;;) {
            int c = accept(l, NULL, NULL);
            if (c < 0)
                _exit(1);
            close(c);
        }
    }
    close(l);
    int status = 0;
    double t0 = now_ns();
    for (long i = 0; i < n && !status; i++) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        char byte;
        if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)) || read(c, &byte, 1) != 0)
            status = 1;
        close(c);
    }
    double t1 = now_ns();
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    unlink(a.sun_path);
    if (status) {
        perror("unix-connect: connect");
        return 1;
    }
    printf("mode=unix-connect iterations=%ld ns_per_connect=%.1f\n", n, (t1 - t0) / (double)n);
    return 0;
}
