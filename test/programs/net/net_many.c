/*
 * Many connections: an epoll server over a thousand TCP connections from a forked client
 * (level-triggered, then edge-triggered and one-shot, with EPOLLEXCLUSIVE on the listener), an
 * epoll set shared across fork, and a server that forks a child per connection. argv[1] names
 * the part: "epoll", "shared", "fork".
 */
#include "../t.h"
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>

#define CONNECTIONS 1000

static int listener(struct sockaddr_in *a, int flags)
{
    int fd = socket(AF_INET, SOCK_STREAM | flags, 0);
    memset(a, 0, sizeof(*a));
    a->sin_family = AF_INET;
    a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(*a);
    if (fd < 0 || bind(fd, (struct sockaddr *)a, len) || listen(fd, 4096) || getsockname(fd, (struct sockaddr *)a, &len))
        die("listener");
    return fd;
}

static void raise_fd_limit(void)
{
    struct rlimit r;
    getrlimit(RLIMIT_NOFILE, &r);
    if (r.rlim_cur < 2 * CONNECTIONS + 100) {
        r.rlim_cur = r.rlim_max < 2 * CONNECTIONS + 100 ? r.rlim_max : 2 * CONNECTIONS + 100;
        if (setrlimit(RLIMIT_NOFILE, &r))
            die("setrlimit");
    }
}

/*
 * The client: `n` connections, each sends its number and waits for it doubled back; exits 0 if
 * every answer was right.
 */
static void client(const struct sockaddr_in *a, int n)
{
    static int fds[CONNECTIONS];
    for (int i = 0; i < n; i++) {
        fds[i] = socket(AF_INET, SOCK_STREAM, 0);
        if (fds[i] < 0 || connect(fds[i], (const struct sockaddr *)a, sizeof(*a)))
            _exit(2);
        char msg[16];
        int len = snprintf(msg, sizeof(msg), "%d\n", i);
        if (write(fds[i], msg, (size_t)len) != len)
            _exit(3);
    }
    int wrong = 0;
    for (int i = 0; i < n; i++) {
        char buf[16] = {0};
        ssize_t got = 0, r;
        while (got < (ssize_t)sizeof(buf) - 1 && (r = read(fds[i], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0) {
            got += r;
            if (buf[got - 1] == '\n')
                break;
        }
        wrong += atoi(buf) != 2 * i;
        close(fds[i]);
    }
    _exit(wrong ? 4 : 0);
}

static void answer(int fd)
{
    char buf[16] = {0};
    ssize_t r = read(fd, buf, sizeof(buf) - 1);
    if (r <= 0)
        die("read");
    char out[24];
    int len = snprintf(out, sizeof(out), "%d\n", 2 * atoi(buf));
    if (write(fd, out, (size_t)len) != len)
        die("write");
}

/* A thousand connections through one epoll set: `conn_events` for the accepted ones. */
static void epoll_server(const char *label, unsigned conn_events, unsigned listen_events)
{
    struct sockaddr_in a;
    int l = listener(&a, SOCK_NONBLOCK);
    int ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN | listen_events, .data.fd = l};
    if (epoll_ctl(ep, EPOLL_CTL_ADD, l, &ev))
        die("epoll_ctl listener");
    pid_t pid = fork();
    if (pid == 0)
        client(&a, CONNECTIONS);
    int accepted = 0, answered = 0, max_ready = 0;
    while (answered < CONNECTIONS) {
        struct epoll_event evs[64];
        int n = epoll_wait(ep, evs, 64, 10000);
        if (n <= 0)
            die("epoll_wait");
        if (n > max_ready)
            max_ready = n;
        for (int i = 0; i < n; i++) {
            if (evs[i].data.fd == l) {
                int c;
                /* edge-triggered or not, take every connection that is there */
                while ((c = accept4(l, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    accepted++;
                    struct epoll_event cev = {.events = EPOLLIN | conn_events, .data.fd = c};
                    if (epoll_ctl(ep, EPOLL_CTL_ADD, c, &cev))
                        die("epoll_ctl");
                }
                continue;
            }
            answer(evs[i].data.fd);
            epoll_ctl(ep, EPOLL_CTL_DEL, evs[i].data.fd, NULL);
            close(evs[i].data.fd);
            answered++;
        }
    }
    int st;
    waitpid(pid, &st, 0);
    say("%s: accepted %d, answered %d, more than one ready at once %d, client exit %d", label, accepted, answered,
        max_ready > 1, WEXITSTATUS(st));
    close(ep);
    close(l);
}

/* The parent's epoll set, inherited by a child: both see the same readiness of the same sockets. */
static void shared_epoll(void)
{
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sp))
        die("socketpair");
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = 42};
    epoll_ctl(ep, EPOLL_CTL_ADD, sp[0], &ev);
    pid_t pid = fork();
    if (pid == 0) {
        struct epoll_event got;
        int n = epoll_wait(ep, &got, 1, 10000);
        /* the child takes the data: the parent then sees nothing */
        char c;
        _exit(n == 1 && got.data.u64 == 42 && read(sp[0], &c, 1) == 1 ? 0 : 1);
    }
    T("parent writes", write(sp[1], "x", 1));
    int st;
    waitpid(pid, &st, 0);
    say("child saw it through the inherited epoll set: exit %d", WEXITSTATUS(st));
    struct epoll_event got;
    T("parent's epoll_wait after the child read it", epoll_wait(ep, &got, 1, 0));
    /* a change the child makes is the parent's too: it is one set */
    pid = fork();
    if (pid == 0) {
        struct epoll_event mod = {.events = EPOLLIN, .data.u64 = 7};
        _exit(epoll_ctl(ep, EPOLL_CTL_MOD, sp[0], &mod) ? 1 : 0);
    }
    waitpid(pid, &st, 0);
    T("parent writes again", write(sp[1], "y", 1));
    T("parent's epoll_wait", epoll_wait(ep, &got, 1, 1000));
    say("  data the child set = %llu", (unsigned long long)got.data.u64);
    close(ep);
}

/* A server that forks a child per connection; the children answer and exit, the parent reaps. */
static void forking_server(void)
{
    struct sockaddr_in a;
    int l = listener(&a, 0);
    const int n = 20;
    pid_t cl = fork();
    if (cl == 0)
        client(&a, n);
    int served = 0, reaped = 0, client_status = -1;
    /* the children, and the client once it is done: whichever a wait finds */
    for (;;) {
        int st;
        pid_t w;
        if (served < n) {
            int c = accept(l, NULL, NULL);
            if (c < 0)
                die("accept");
            pid_t child = fork();
            if (child == 0) {
                close(l);
                answer(c);
                _exit(0);
            }
            close(c);
            served++;
            w = waitpid(-1, &st, WNOHANG);
        } else if (reaped < n || client_status < 0) {
            w = waitpid(-1, &st, 0);
        } else {
            break;
        }
        if (w == cl)
            client_status = WEXITSTATUS(st);
        else if (w > 0)
            reaped++;
    }
    say("forking server: served %d, children reaped %d, client exit %d", served, reaped, client_status);
    close(l);
}

int main(int argc, char **argv)
{
    t_init();
    const char *part = argc > 1 ? argv[1] : "all";
    int all = !strcmp(part, "all");
    if (all || !strcmp(part, "epoll")) {
        raise_fd_limit();
        epoll_server("level-triggered", 0, 0);
        epoll_server("edge-triggered, exclusive listener", EPOLLET, EPOLLEXCLUSIVE);
        epoll_server("one-shot", EPOLLONESHOT, 0);
    }
    if (all || !strcmp(part, "shared"))
        shared_epoll();
    if (all || !strcmp(part, "fork"))
        forking_server();
    return 0;
}
