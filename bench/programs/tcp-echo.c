/*
 * tcp-echo: TCP over the loopback, a forked echo server and its client in one program.
 *
 *   tcp-echo rr ITERATIONS     request/response: a 64-byte message and its echo, ITERATIONS
 *                              times over one connection (TCP_NODELAY); ns per round trip
 *   tcp-echo stream MIB        one-way stream: MIB MiB written in 128 KiB writes, read by the
 *                              server to the end; MiB/s from the first write to the server's
 *                              count of every byte (it answers with one byte when done)
 *
 * One line of key=value pairs, e.g. "mode=rr iterations=20000 ns_per_rt=31234.5" or
 * "mode=stream mib=1024 ms=812.3 mibs=1260.5". Exit status 0, 1 if a call failed, 2 on bad usage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

#define MSG 64
#define CHUNK (128 * 1024)

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static void fail(const char *what)
{
    perror(what);
    exit(1);
}

/* An EAGAIN on a blocking socket (seen under gVisor's runsc) waits for the socket and goes on. */
static int again(int fd, ssize_t r, short events)
{
    if (r >= 0 || (errno != EAGAIN && errno != EINTR))
        return 0;
    struct pollfd p = {fd, events, 0};
    poll(&p, 1, -1);
    return 1;
}

static int read_full(int fd, char *buf, size_t n)
{
    for (size_t got = 0; got < n;) {
        ssize_t r = read(fd, buf + got, n - got);
        if (again(fd, r, POLLIN))
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

static int write_full(int fd, const char *buf, size_t n)
{
    for (size_t put = 0; put < n;) {
        ssize_t r = write(fd, buf + put, n - put);
        if (again(fd, r, POLLOUT))
            continue;
        if (r <= 0)
            return -1;
        put += (size_t)r;
    }
    return 0;
}

/* The server, in a child: echo (rr) or count to the end and say so (stream). */
static void serve(int l, int rr)
{
    int c = accept(l, NULL, NULL);
    if (c < 0)
        _exit(1);
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    static char buf[CHUNK];
    if (rr) {
        while (read_full(c, buf, MSG) == 0)
            if (write_full(c, buf, MSG))
                _exit(1);
        _exit(0);
    }
    ssize_t r;
    while ((r = read(c, buf, sizeof(buf))) > 0 || again(c, r, POLLIN)) {
    }
    _exit(r < 0 || write(c, "d", 1) != 1 ? 1 : 0);
}

int main(int argc, char **argv)
{
    if (argc != 3 || (strcmp(argv[1], "rr") && strcmp(argv[1], "stream"))) {
        fprintf(stderr, "usage: tcp-echo rr ITERATIONS | tcp-echo stream MIB\n");
        return 2;
    }
    int rr = !strcmp(argv[1], "rr");
    long n = parse_pos("tcp-echo", argv[2], rr ? "iterations" : "MiB");
    signal(SIGPIPE, SIG_IGN);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM, 0);
    if (l < 0 || bind(l, (struct sockaddr *)&a, len) || listen(l, 1) || getsockname(l, (struct sockaddr *)&a, &len))
        fail("listen");
    pid_t pid = fork();
    if (pid < 0)
        fail("fork");
    if (pid == 0)
        serve(l, rr);
    close(l);
    int c = socket(AF_INET, SOCK_STREAM, 0);
    if (c < 0 || connect(c, (struct sockaddr *)&a, sizeof(a)))
        fail("connect");
    int one = 1;
    setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    static char buf[CHUNK];
    memset(buf, 'x', sizeof(buf));
    double t0 = now_ms(), t1;
    if (rr) {
        for (long i = 0; i < n; i++)
            if (write_full(c, buf, MSG) || read_full(c, buf, MSG))
                fail("round trip");
        t1 = now_ms();
    } else {
        for (long i = 0; i < n * (1024 * 1024 / CHUNK); i++)
            if (write_full(c, buf, CHUNK))
                fail("write");
        shutdown(c, SHUT_WR);
        if (read_full(c, buf, 1))
            fail("the server's count");
        t1 = now_ms();
    }
    close(c);
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
        fail("server");
    if (rr)
        printf("mode=rr iterations=%ld ns_per_rt=%.1f\n", n, (t1 - t0) * 1e6 / (double)n);
    else
        printf("mode=stream mib=%ld ms=%.1f mibs=%.1f\n", n, t1 - t0, (double)n / ((t1 - t0) / 1e3));
    return 0;
}
