/*
 * IP sockets on the loopback: a TCP echo server and client over IPv4 and IPv6 (a forked
 * client), accept with and without an address, non-blocking connect, connects refused and
 * interrupted by signals (the process's own alarm, and a signal from another process), UDP
 * request/response with recvfrom/sendto, connected UDP, sendmmsg/recvmmsg, socket options,
 * and the errors of bind, connect, getpeername and shutdown. Ports are ephemeral: the output
 * names none.
 */
#include "net.h"
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "../sleeping.h"

typedef union {
    struct sockaddr sa;
    struct sockaddr_in in;
    struct sockaddr_in6 in6;
    struct sockaddr_storage ss;
} addr_t;

static socklen_t loopback(int family, addr_t *a, int port)
{
    memset(a, 0, sizeof(*a));
    if (family == AF_INET) {
        a->in.sin_family = AF_INET;
        a->in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a->in.sin_port = htons(port);
        return sizeof(a->in);
    }
    a->in6.sin6_family = AF_INET6;
    a->in6.sin6_addr = in6addr_loopback;
    a->in6.sin6_port = htons(port);
    return sizeof(a->in6);
}

static int port_of(const addr_t *a) { return ntohs(a->sa.sa_family == AF_INET ? a->in.sin_port : a->in6.sin6_port); }

/* "family ADDR len N port nonzero|zero", from what the kernel reported */
static void show_addr(const char *label, long r, const addr_t *a, socklen_t len)
{
    if (r < 0) {
        show(label, r);
        return;
    }
    char text[INET6_ADDRSTRLEN] = "?";
    if (a->sa.sa_family == AF_INET)
        inet_ntop(AF_INET, &a->in.sin_addr, text, sizeof(text));
    else if (a->sa.sa_family == AF_INET6)
        inet_ntop(AF_INET6, &a->in6.sin6_addr, text, sizeof(text));
    say("%s = family %d %s len %u port %s", label, a->sa.sa_family, text, len, port_of(a) ? "set" : "zero");
}

static void name_of(const char *label, int fd, int peer)
{
    addr_t a;
    socklen_t len = sizeof(a);
    errno = 0;
    long r = peer ? getpeername(fd, &a.sa, &len) : getsockname(fd, &a.sa, &len);
    show_addr(label, r, &a, len);
}

static int listener(int family, int type, addr_t *bound)
{
    int fd = socket(family, type, 0);
    if (fd < 0)
        die("socket");
    socklen_t len = loopback(family, bound, 0);
    if (bind(fd, &bound->sa, len) || (type == SOCK_STREAM && listen(fd, 16)))
        die("bind/listen");
    len = sizeof(*bound);
    if (getsockname(fd, &bound->sa, &len))
        die("getsockname");
    return fd;
}

static void read_all(int fd, char *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, buf + got, n - got);
        if (r <= 0)
            die("read");
        got += (size_t)r;
    }
}

/* The client side of the echo, in a child: its own lines prefixed, then it exits. */
static void echo_client(int family, const addr_t *server, int bind_first)
{
    char label[64];
    int c = socket(family, SOCK_STREAM, 0);
    if (bind_first) {
        addr_t me;
        socklen_t len = loopback(family, &me, 0);
        T("  client bind", bind(c, &me.sa, len));
    }
    socklen_t len = family == AF_INET ? sizeof(server->in) : sizeof(server->in6);
    T("  client connect", connect(c, &server->sa, len));
    name_of("  client getsockname", c, 0);
    name_of("  client getpeername", c, 1);
    for (int i = 0; i < 3; i++) {
        char msg[32], back[32];
        int n = snprintf(msg, sizeof(msg), "ping %d over %d", i, family);
        if (write(c, msg, (size_t)n) != n)
            die("write");
        read_all(c, back, (size_t)n);
        snprintf(label, sizeof(label), "  client echo %d", i);
        say("%s = %.*s", label, n, back);
    }
    T("  client shutdown(SHUT_WR)", shutdown(c, SHUT_WR));
    char end;
    T("  client reads EOF", read(c, &end, 1));
    close(c);
}

/* One echo over `family`: the server accepts (with an address, or without), the child is the client. */
static void tcp_echo(int family, int with_address, int client_binds)
{
    addr_t server;
    int l = listener(family, SOCK_STREAM, &server);
    say("tcp over %d, accept %s an address, client %s", family, with_address ? "with" : "without",
        client_binds ? "bound first" : "unbound");
    name_of("  listener getsockname", l, 0);
    int held;
    pid_t pid = fork_held(&held);
    if (pid == 0) {
        echo_client(family, &server, client_binds);
        exit(0);
    }
    addr_t peer;
    socklen_t len = sizeof(peer);
    errno = 0;
    int s = with_address ? accept4(l, &peer.sa, &len, SOCK_CLOEXEC) : accept(l, NULL, NULL);
    if (with_address)
        show_addr("  server accept4 peer", s, &peer, len);
    else
        T("  server accept (no address) ok", s >= 0);
    if (s < 0)
        die("accept");
    say("  server fd cloexec = %d", (fcntl(s, F_GETFD) & FD_CLOEXEC) != 0);
    name_of("  server getpeername", s, 1);
    char buf[64];
    ssize_t n;
    while ((n = read(s, buf, sizeof(buf))) > 0)
        if (write(s, buf, (size_t)n) != n)
            die("write");
    close(s);
    close(l);
    say("  client exit = %d", reap(pid, held));
}

static void nonblocking_connect(void)
{
    addr_t server;
    int l = listener(AF_INET, SOCK_STREAM, &server);
    int c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    int r = connect(c, &server.sa, sizeof(server.in));
    say("non-blocking connect = %s", r == 0 ? "done" : errno == EINPROGRESS ? "EINPROGRESS" : ename(errno));
    struct pollfd p = {c, POLLOUT, 0};
    T("  poll for writable", poll(&p, 1, 5000));
    int err = -1;
    socklen_t len = sizeof(err);
    T("  getsockopt SO_ERROR", getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
    say("  SO_ERROR = %d", err);
    T("  connect again", connect(c, &server.sa, sizeof(server.in)));
    T("  accept", accept(l, NULL, NULL) >= 0);
    close(c);
    close(l);
}

static void refused(void)
{
    addr_t gone;
    int l = listener(AF_INET, SOCK_STREAM, &gone);
    close(l); /* its port is free again: nothing listens there */
    int c = socket(AF_INET, SOCK_STREAM, 0);
    T("connect to a closed port", connect(c, &gone.sa, sizeof(gone.in)));
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    errno = 0;
    int r = connect(c, &gone.sa, sizeof(gone.in));
    if (r < 0 && errno == EINPROGRESS) {
        struct pollfd p = {c, POLLOUT, 0};
        poll(&p, 1, 5000);
        int err = 0;
        socklen_t len = sizeof(err);
        getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len);
        say("non-blocking connect to a closed port: SO_ERROR = %s", ename(err));
    } else {
        show("non-blocking connect to a closed port", r);
    }
    close(c);
}

static volatile int alarms;
static void on_signal(int sig) { (void)sig; alarms++; }

/*
 * A listener whose accept queue is full: a blocking connect to it waits (its SYNs dropped)
 * until a signal ends it. With a backlog of 0 the queue holds one connection: once the filler's
 * connect is done, it is full.
 */
static int full_listener(addr_t *server, int *filler)
{
    int l = socket(AF_INET, SOCK_STREAM, 0);
    socklen_t len = loopback(AF_INET, server, 0);
    if (bind(l, &server->sa, len) || listen(l, 0))
        die("listen 0");
    len = sizeof(*server);
    getsockname(l, &server->sa, &len);
    *filler = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    connect(*filler, &server->sa, sizeof(server->in));
    struct pollfd p = {*filler, POLLOUT, 0};
    if (poll(&p, 1, 10000) != 1)
        die("the filler's connect");
    return l;
}

static void interrupted_connect(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGALRM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    addr_t server;
    int filler;
    int l = full_listener(&server, &filler);

    int c = socket(AF_INET, SOCK_STREAM, 0);
    alarms = 0;
    alarm(1);
    T("blocking connect to a full queue, own alarm (no SA_RESTART)", connect(c, &server.sa, sizeof(server.in)));
    say("  handler ran = %d", alarms);
    close(c);

    c = socket(AF_INET, SOCK_STREAM, 0);
    alarms = 0;
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {
        wait_sleeping(parent);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    T("blocking connect to a full queue, SIGUSR1 from another process", connect(c, &server.sa, sizeof(server.in)));
    say("  handler ran = %d", alarms);
    waitpid(pid, NULL, 0);
    close(c);
    close(filler);
    close(l);
}

static void udp(int family)
{
    addr_t server;
    int s = listener(family, SOCK_DGRAM, &server);
    int c = socket(family, SOCK_DGRAM, 0);
    socklen_t slen = family == AF_INET ? sizeof(server.in) : sizeof(server.in6);
    say("udp over %d", family);
    T("  sendto server", sendto(c, "question", 8, 0, &server.sa, slen));
    char buf[64];
    addr_t from;
    socklen_t flen = sizeof(from);
    errno = 0;
    long n = recvfrom(s, buf, sizeof(buf), 0, &from.sa, &flen);
    show_addr("  server recvfrom", n, &from, flen);
    say("  server got = %.*s", (int)n, buf);
    T("  server sendto the sender", sendto(s, "answer", 6, 0, &from.sa, flen));
    flen = sizeof(from);
    n = recvfrom(c, buf, sizeof(buf), 0, &from.sa, &flen);
    show_addr("  client recvfrom", n, &from, flen);
    say("  client got = %.*s", (int)n, buf);
    /* a short address buffer: cut, with the whole length reported */
    T("  sendto again", sendto(c, "x", 1, 0, &server.sa, slen));
    flen = 4;
    n = recvfrom(s, buf, sizeof(buf), 0, &from.sa, &flen);
    say("  recvfrom into 4 bytes: n %ld len %u", n, flen);
    T("  recvfrom with a bad address pointer", (sendto(c, "y", 1, 0, &server.sa, slen),
                                                recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)8, &flen)));
    /* connected */
    T("  client connect", connect(c, &server.sa, slen));
    name_of("  client getpeername", c, 1);
    T("  send", send(c, "connected", 9, 0));
    n = recv(s, buf, sizeof(buf), 0);
    say("  server recv = %.*s", (int)n, buf);

    /* several at once */
    struct mmsghdr out[3], in[3];
    struct iovec oiov[3], iiov[3];
    char bufs[3][16];
    addr_t names[3];
    const char *words[3] = {"one", "three", "seven"};
    memset(out, 0, sizeof(out));
    memset(in, 0, sizeof(in));
    for (int i = 0; i < 3; i++) {
        oiov[i] = (struct iovec){(void *)words[i], strlen(words[i])};
        out[i].msg_hdr.msg_iov = &oiov[i];
        out[i].msg_hdr.msg_iovlen = 1;
        iiov[i] = (struct iovec){bufs[i], sizeof(bufs[i])};
        in[i].msg_hdr.msg_iov = &iiov[i];
        in[i].msg_hdr.msg_iovlen = 1;
        in[i].msg_hdr.msg_name = &names[i];
        in[i].msg_hdr.msg_namelen = sizeof(names[i]);
    }
    T("  sendmmsg", sendmmsg(c, out, 3, 0));
    say("  sent lengths = %u %u %u", out[0].msg_len, out[1].msg_len, out[2].msg_len);
    T("  recvmmsg", recvmmsg(s, in, 3, MSG_WAITFORONE, NULL));
    for (int i = 0; i < 3; i++)
        show_addr("  recvmmsg name", in[i].msg_len, &names[i], in[i].msg_hdr.msg_namelen);
    say("  received = %.*s %.*s %.*s", (int)in[0].msg_len, bufs[0], (int)in[1].msg_len, bufs[1], (int)in[2].msg_len, bufs[2]);

    /* recvmsg and sendmsg with an address */
    struct msghdr m;
    struct iovec iov = {(void *)"via msg", 7};
    memset(&m, 0, sizeof(m));
    m.msg_name = &server;
    m.msg_namelen = slen;
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    int c2 = socket(family, SOCK_DGRAM, 0);
    T("  sendmsg with an address", sendmsg(c2, &m, 0));
    addr_t who;
    memset(&m, 0, sizeof(m));
    iov = (struct iovec){buf, sizeof(buf)};
    m.msg_name = &who;
    m.msg_namelen = sizeof(who);
    m.msg_iov = &iov;
    m.msg_iovlen = 1;
    errno = 0;
    n = recvmsg(s, &m, 0);
    show_addr("  recvmsg name", n, &who, m.msg_namelen);
    say("  recvmsg got = %.*s flags %d", (int)n, buf, m.msg_flags);
    close(c2);
    close(c);
    close(s);
}

static void options(void)
{
    int fd = socket(AF_INET6, SOCK_STREAM, 0);
    int v = 1;
    socklen_t len = sizeof(v);
    T("setsockopt SO_REUSEADDR", setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, sizeof(v)));
    T("setsockopt SO_KEEPALIVE", setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, sizeof(v)));
    T("setsockopt TCP_NODELAY", setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, sizeof(v)));
    T("setsockopt IPV6_V6ONLY", setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &v, sizeof(v)));
    struct linger lg = {1, 5};
    T("setsockopt SO_LINGER", setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
    T("setsockopt SO_REUSEPORT", setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &v, sizeof(v)));
    T("setsockopt TCP_CORK", setsockopt(fd, IPPROTO_TCP, TCP_CORK, &v, sizeof(v)));
    T("setsockopt IPV6_RECVERR", setsockopt(fd, IPPROTO_IPV6, IPV6_RECVERR, &v, sizeof(v)));
    int secs = 30;
    T("setsockopt TCP_KEEPIDLE", setsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &secs, sizeof(secs)));
    T("setsockopt TCP_KEEPINTVL", setsockopt(fd, IPPROTO_TCP, TCP_KEEPINTVL, &secs, sizeof(secs)));
    T("setsockopt TCP_KEEPCNT", setsockopt(fd, IPPROTO_TCP, TCP_KEEPCNT, &(int){4}, sizeof(int)));
    T("setsockopt TCP_USER_TIMEOUT", setsockopt(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &(int){5000}, sizeof(int)));
    T("setsockopt SO_SNDBUF", setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){65536}, sizeof(int)));
    struct timeval tv = {2, 500000};
    T("setsockopt SO_RCVTIMEO", setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
    T("setsockopt SO_SNDTIMEO", setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
    const struct {
        const char *name;
        int level, opt;
    } opts[] = {
        {"SO_REUSEADDR", SOL_SOCKET, SO_REUSEADDR}, {"SO_KEEPALIVE", SOL_SOCKET, SO_KEEPALIVE},
        {"TCP_NODELAY", IPPROTO_TCP, TCP_NODELAY}, {"IPV6_V6ONLY", IPPROTO_IPV6, IPV6_V6ONLY},
        {"SO_TYPE", SOL_SOCKET, SO_TYPE}, {"SO_DOMAIN", SOL_SOCKET, SO_DOMAIN},
        {"SO_PROTOCOL", SOL_SOCKET, SO_PROTOCOL}, {"SO_ACCEPTCONN", SOL_SOCKET, SO_ACCEPTCONN},
        {"SO_ERROR", SOL_SOCKET, SO_ERROR}, {"SO_REUSEPORT", SOL_SOCKET, SO_REUSEPORT},
        {"TCP_CORK", IPPROTO_TCP, TCP_CORK}, {"IPV6_RECVERR", IPPROTO_IPV6, IPV6_RECVERR},
        {"TCP_KEEPIDLE", IPPROTO_TCP, TCP_KEEPIDLE}, {"TCP_KEEPINTVL", IPPROTO_TCP, TCP_KEEPINTVL},
        {"TCP_KEEPCNT", IPPROTO_TCP, TCP_KEEPCNT}, {"TCP_USER_TIMEOUT", IPPROTO_TCP, TCP_USER_TIMEOUT},
    };
    for (unsigned i = 0; i < sizeof(opts) / sizeof(opts[0]); i++) {
        v = -1;
        len = sizeof(v);
        errno = 0;
        long r = getsockopt(fd, opts[i].level, opts[i].opt, &v, &len);
        if (r)
            show(opts[i].name, r);
        else
            say("getsockopt %s = %d (len %u)", opts[i].name, v, len);
    }
    len = sizeof(lg);
    T("getsockopt SO_LINGER", getsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, &len));
    say("  linger = %d %d", lg.l_onoff, lg.l_linger);
    len = sizeof(tv);
    T("getsockopt SO_RCVTIMEO", getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, &len));
    say("  timeout = %ld.%06ld", (long)tv.tv_sec, (long)tv.tv_usec);
    len = sizeof(v);
    T("getsockopt SO_RCVBUF > 0", getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len) == 0 && v > 0);
    T("getsockopt SO_SNDBUF > 0", getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len) == 0 && v > 0);
    int u = socket(AF_INET, SOCK_DGRAM, 0);
    T("setsockopt SO_BROADCAST (udp)", setsockopt(u, SOL_SOCKET, SO_BROADCAST, &(int){1}, sizeof(int)));
    T("setsockopt IP_RECVERR (udp)", setsockopt(u, IPPROTO_IP, IP_RECVERR, &(int){1}, sizeof(int)));
    v = 0;
    len = sizeof(v);
    getsockopt(u, SOL_SOCKET, SO_BROADCAST, &v, &len);
    say("getsockopt SO_BROADCAST = %d", v);
    close(u);
    T("getsockopt of an unknown option", getsockopt(fd, SOL_SOCKET, 12345, &v, &len));
    close(fd);
}

/* The flags of send and recv: MSG_PEEK, MSG_TRUNC, MSG_DONTWAIT, MSG_NOSIGNAL, MSG_MORE; select and poll. */
static void message_flags(void)
{
    addr_t a;
    int u = listener(AF_INET, SOCK_DGRAM, &a);
    int c = socket(AF_INET, SOCK_DGRAM, 0);
    char buf[8];
    T("udp sendto", sendto(c, "0123456789", 10, 0, &a.sa, sizeof(a.in)));
    fd_set rd;
    FD_ZERO(&rd);
    FD_SET(u, &rd);
    struct timeval tv = {5, 0};
    T("select for the datagram", select(u + 1, &rd, NULL, NULL, &tv));
    say("  readable = %d", FD_ISSET(u, &rd) != 0);
    T("recv MSG_PEEK", recv(u, buf, 4, MSG_PEEK));
    T("recv MSG_TRUNC (whole length, 4 bytes copied)", recv(u, buf, 4, MSG_TRUNC));
    say("  copied = %.4s", buf);
    T("recv MSG_DONTWAIT with nothing there", recv(u, buf, 4, MSG_DONTWAIT));
    struct pollfd p = {u, POLLIN, 0};
    T("poll with nothing there", poll(&p, 1, 10));
    close(c);
    close(u);

    int l = listener(AF_INET, SOCK_STREAM, &a);
    int s = socket(AF_INET, SOCK_STREAM, 0);
    if (connect(s, &a.sa, sizeof(a.in)))
        die("connect");
    int srv = accept(l, NULL, NULL);
    T("send MSG_MORE", send(s, "ab", 2, MSG_MORE));
    T("send", send(s, "cd", 2, 0));
    p = (struct pollfd){srv, POLLIN, 0};
    T("poll for the data", poll(&p, 1, 5000));
    char got[8] = {0};
    int n = 0;
    while (n < 4) {
        ssize_t r = recv(srv, got + n, sizeof(got) - 1 - (size_t)n, 0);
        if (r <= 0)
            break;
        n += (int)r;
    }
    say("  received = %s", got);
    close(srv);
    /* the peer is gone: its FIN is there; the first send draws its RST (on the loopback, before
     * the send returns), the second gets EPIPE, with no SIGPIPE under MSG_NOSIGNAL */
    p = (struct pollfd){s, POLLRDHUP, 0};
    T("poll for the peer's close", poll(&p, 1, 5000));
    send(s, "x", 1, MSG_NOSIGNAL);
    T("send MSG_NOSIGNAL to a closed peer", send(s, "x", 1, MSG_NOSIGNAL));
    close(s);
    close(l);
}

static void errors(void)
{
    addr_t a, b;
    int l = listener(AF_INET, SOCK_STREAM, &a);
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    T("bind to a port in use", bind(fd, &a.sa, sizeof(a.in)));
    loopback(AF_INET, &b, 0);
    T("bind", bind(fd, &b.sa, sizeof(b.in)));
    T("bind twice", bind(fd, &b.sa, sizeof(b.in)));
    close(fd);
    fd = socket(AF_INET, SOCK_STREAM, 0);
    inet_pton(AF_INET, "192.0.2.1", &b.in.sin_addr);
    T("bind to an address not here", bind(fd, &b.sa, sizeof(b.in)));
    T("bind with a short address", bind(fd, &b.sa, 4));
    T("bind with a bad pointer", bind(fd, (struct sockaddr *)8, sizeof(b.in)));
    T("connect with a bad pointer", connect(fd, (struct sockaddr *)8, sizeof(b.in)));
    T("bind with a huge length", bind(fd, &b.sa, 4096));
    T("getpeername unconnected", getpeername(fd, &b.sa, &(socklen_t){sizeof(b)}));
    T("shutdown unconnected", shutdown(fd, SHUT_RDWR));
    T("getsockname with a bad length pointer", getsockname(fd, &b.sa, (socklen_t *)8));
    int p[2];
    if (pipe(p))
        die("pipe");
    T("getsockname of a pipe", getsockname(p[0], &b.sa, &(socklen_t){sizeof(b)}));
    T("connect on a pipe", connect(p[0], &a.sa, sizeof(a.in)));
    T("accept on a pipe", accept(p[0], &b.sa, &(socklen_t){sizeof(b)}));
    T("getsockname of a closed fd", getsockname(999, &b.sa, &(socklen_t){sizeof(b)}));
    T("accept on a socket not listening", accept(fd, &b.sa, &(socklen_t){sizeof(b)}));
    close(fd);
    close(l);
}

int main(int argc, char **argv)
{
    t_init();
    const char *what = argc > 1 ? argv[1] : "all";
    int all = !strcmp(what, "all");
    if (all || !strcmp(what, "tcp")) {
        tcp_echo(AF_INET, 1, 0);
        tcp_echo(AF_INET, 0, 1);
        tcp_echo(AF_INET6, 1, 1);
        tcp_echo(AF_INET6, 0, 0);
        nonblocking_connect();
        refused();
    }
    if (all || !strcmp(what, "signals"))
        interrupted_connect();
    if (all || !strcmp(what, "udp")) {
        udp(AF_INET);
        udp(AF_INET6);
    }
    if (all || !strcmp(what, "options")) {
        options();
        message_flags();
        errors();
    }
    return 0;
}
