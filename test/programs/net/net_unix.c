/*
 * UNIX domain sockets by path (in the directory argv[1]) and abstract: stream, datagram and
 * seqpacket between two processes, the names every call reports (getsockname, getpeername,
 * accept, recvfrom, recvmsg), bound clients, relative paths, a socket found through a symlink,
 * the socket file (stat, unlink), the errors of Linux (ENOENT, ECONNREFUSED, EADDRINUSE,
 * EINVAL), autobind, fd passing with SCM_RIGHTS, SO_PEERCRED and SCM_CREDENTIALS. argv[2]
 * names a part to run alone. A name that changes with the run (an autobind's, a pid) is printed
 * in a normalized form.
 */
#include "net.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>

static const char *dir;

/* A path address: `name` in the test directory, unless it starts with '/' or '.'. */
static socklen_t path_addr(struct sockaddr_un *a, const char *name)
{
    char p[sizeof(a->sun_path)];
    if (name[0] == '/' || name[0] == '.' || !dir)
        snprintf(p, sizeof(p), "%s", name);
    else
        snprintf(p, sizeof(p), "%s/%s", dir, name);
    return unix_path_addr(a, p);
}

/* A name as the kernel reported it: "path P", "abstract @N", or "unnamed" -- with its length. */
static void show_name(const char *label, long r, const struct sockaddr_un *a, socklen_t len)
{
    if (r < 0) {
        show(label, r);
        return;
    }
    size_t off = offsetof(struct sockaddr_un, sun_path);
    if (len <= off) {
        say("%s = unnamed (len %u)", label, len);
    } else if (a->sun_path[0] == 0) {
        say("%s = abstract @%.*s (len %u)", label, (int)(len - off - 1), a->sun_path + 1, len);
    } else {
        const char *p = a->sun_path;
        size_t dl = dir ? strlen(dir) : 0;
        /* the test directory differs between runs: shown as DIR */
        if (dir && !strncmp(p, dir, dl) && p[dl] == '/')
            say("%s = path DIR%s (len DIR+%zu)", label, p + dl, len - dl);
        else
            say("%s = path %s (len %u)", label, p, len);
    }
}

static void name_of(const char *label, int fd, int peer)
{
    struct sockaddr_un a;
    socklen_t len = sizeof(a);
    errno = 0;
    long r = peer ? getpeername(fd, (struct sockaddr *)&a, &len) : getsockname(fd, (struct sockaddr *)&a, &len);
    show_name(label, r, &a, len);
}

static void show_file(const char *label, const char *name)
{
    struct sockaddr_un a;
    path_addr(&a, name);
    struct stat st;
    errno = 0;
    struct statx stx;
    if (lstat(a.sun_path, &st))
        show(label, -1);
    else if (statx(AT_FDCWD, a.sun_path, AT_SYMLINK_NOFOLLOW, STATX_UID | STATX_GID, &stx))
        show("  statx", -1);
    else
        say("%s = %s mode 0%o owner %u:%u (statx %u:%u)", label, S_ISSOCK(st.st_mode) ? "socket" : "not a socket",
            st.st_mode & 07777, st.st_uid, st.st_gid, stx.stx_uid, stx.stx_gid);
}

static int bound(int type, const struct sockaddr_un *a, socklen_t len, const char *label)
{
    int fd = socket(AF_UNIX, type, 0);
    T(label, bind(fd, (const struct sockaddr *)a, len));
    return fd;
}

/* A stream or seqpacket server and client (the child) on address `a`. */
static void connection(int type, const char *what, const struct sockaddr_un *a, socklen_t alen, const char *client_name)
{
    say("%s", what);
    int l = bound(type, a, alen, "  bind");
    T("  listen", listen(l, 4));
    name_of("  listener getsockname", l, 0);
    int held;
    pid_t pid = fork_held(&held);
    if (pid == 0) {
        int c = socket(AF_UNIX, type, 0);
        if (client_name) {
            struct sockaddr_un me;
            socklen_t ml = path_addr(&me, client_name);
            T("  client bind", bind(c, (struct sockaddr *)&me, ml));
        }
        T("  client connect", connect(c, (const struct sockaddr *)a, alen));
        name_of("  client getsockname", c, 0);
        name_of("  client getpeername", c, 1);
        T("  client write", write(c, "first", 5));
        T("  client write", write(c, "second", 6));
        char buf[32];
        long n = read(c, buf, sizeof(buf));
        say("  client read = %.*s", (int)n, buf);
        exit(0);
    }
    struct sockaddr_un peer;
    socklen_t plen = sizeof(peer);
    errno = 0;
    long s = accept(l, (struct sockaddr *)&peer, &plen);
    show_name("  server accept peer", s, &peer, plen);
    name_of("  server getsockname", (int)s, 0);
    name_of("  server getpeername", (int)s, 1);
    char buf[32];
    long n = read((int)s, buf, sizeof(buf));
    /* a seqpacket keeps the boundaries: "first"; a stream may run them together */
    if (type == SOCK_SEQPACKET)
        say("  server read = %.*s", (int)n, buf);
    else
        say("  server read starts with first = %d", n >= 5 && !memcmp(buf, "first", 5));
    T("  server write", write((int)s, "reply", 5));
    say("  client exit = %d", reap(pid, held));
    close((int)s);
    close(l);
}

static void datagrams(const char *what, const struct sockaddr_un *a, socklen_t alen, const struct sockaddr_un *c, socklen_t clen)
{
    say("%s", what);
    int s = bound(SOCK_DGRAM, a, alen, "  server bind");
    name_of("  server getsockname", s, 0);
    int cl = c ? bound(SOCK_DGRAM, c, clen, "  client bind") : socket(AF_UNIX, SOCK_DGRAM, 0);
    T("  client sendto", sendto(cl, "ask", 3, 0, (const struct sockaddr *)a, alen));
    struct sockaddr_un from;
    socklen_t flen = sizeof(from);
    char buf[32];
    errno = 0;
    long n = recvfrom(s, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
    show_name("  server recvfrom", n, &from, flen);
    if (c) {
        T("  server sendto the sender", sendto(s, "told", 4, 0, (struct sockaddr *)&from, flen));
        flen = sizeof(from);
        n = recvfrom(cl, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
        show_name("  client recvfrom", n, &from, flen);
        say("  client got = %.*s", (int)n, buf);
        /* and through recvmsg */
        T("  client sendmsg", sendto(cl, "again", 5, 0, (const struct sockaddr *)a, alen));
        struct iovec iov = {buf, sizeof(buf)};
        struct msghdr m = {.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov, .msg_iovlen = 1};
        errno = 0;
        n = recvmsg(s, &m, 0);
        show_name("  server recvmsg", n, &from, m.msg_namelen);
    }
    T("  client connect", connect(cl, (const struct sockaddr *)a, alen));
    name_of("  client getpeername", cl, 1);
    T("  client send", send(cl, "connected", 9, 0));
    n = recv(s, buf, sizeof(buf), 0);
    say("  server recv = %.*s", (int)n, buf);
    close(cl);
    close(s);
}

static void by_path(void)
{
    struct sockaddr_un a, c;
    socklen_t alen = path_addr(&a, "stream.sock");
    connection(SOCK_STREAM, "stream by path, client unbound", &a, alen, NULL);
    show_file("  the socket file", "stream.sock");
    T("  unlink it", unlink(a.sun_path));
    show_file("  the socket file", "stream.sock");
    connection(SOCK_STREAM, "stream by path, client bound", &a, alen, "client.sock");
    unlink(a.sun_path);
    alen = path_addr(&a, "seq.sock");
    connection(SOCK_SEQPACKET, "seqpacket by path", &a, alen, NULL);
    alen = path_addr(&a, "dgram.sock");
    socklen_t clen = path_addr(&c, "dgram-client.sock");
    datagrams("datagrams by path, client bound", &a, alen, &c, clen);
    unlink(a.sun_path);
    datagrams("datagrams by path, client unbound", &a, alen, NULL, 0);

    /* relative to the working directory, and through a symlink */
    if (chdir(dir))
        die("chdir");
    alen = path_addr(&a, "./rel.sock");
    connection(SOCK_STREAM, "stream by a relative path", &a, alen, NULL);
    struct sockaddr_un bare = {AF_UNIX, "bare.sock"};
    int fd = bound(SOCK_STREAM, &bare, sizeof(bare), "bind a bare name");
    name_of("  getsockname", fd, 0);
    listen(fd, 1);
    T("symlink to it", symlink("bare.sock", "link.sock"));
    int c2 = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = path_addr(&a, "link.sock");
    T("connect through the symlink", connect(c2, (struct sockaddr *)&a, alen));
    name_of("  getpeername", c2, 1);
    close(c2);
    close(fd);
    if (chdir("/"))
        die("chdir /");
}

static void path_errors(void)
{
    struct sockaddr_un a;
    socklen_t alen;
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = path_addr(&a, "missing.sock");
    T("connect to a missing path", connect(fd, (struct sockaddr *)&a, alen));
    int f = open(a.sun_path, O_CREAT | O_WRONLY, 0644);
    close(f);
    T("connect to a regular file", connect(fd, (struct sockaddr *)&a, alen));
    T("bind over a regular file", bind(fd, (struct sockaddr *)&a, alen));
    unlink(a.sun_path);
    alen = path_addr(&a, "nodir/x.sock");
    T("bind in a missing directory", bind(fd, (struct sockaddr *)&a, alen));
    T("connect in a missing directory", connect(fd, (struct sockaddr *)&a, alen));
    alen = path_addr(&a, "lonely.sock");
    int b = bound(SOCK_STREAM, &a, alen, "bind, no listen");
    T("connect to a socket nobody listens on", connect(fd, (struct sockaddr *)&a, alen));
    T("bind the same path again", bind(fd, (struct sockaddr *)&a, alen));
    T("bind a socket twice", bind(b, (struct sockaddr *)&a, alen));
    close(b);
    int d = socket(AF_UNIX, SOCK_DGRAM, 0);
    alen = path_addr(&a, "dg.sock");
    int ds = bound(SOCK_DGRAM, &a, alen, "  dgram bind");
    T("connect a stream socket to it", connect(fd, (struct sockaddr *)&a, alen));
    T("sendto a missing path", sendto(d, "x", 1, 0, (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, "/nonexistent/gts.sock"}, sizeof(struct sockaddr_un)));
    close(ds);
    close(d);
    /* a name of 108 bytes without a NUL, in the test directory */
    if (chdir(dir))
        die("chdir");
    memset(&a, 'x', sizeof(a));
    a.sun_family = AF_UNIX;
    T("bind a name without a NUL, full length", bind(fd, (struct sockaddr *)&a, sizeof(a)));
    name_of("  getsockname", fd, 0);
    unlink(a.sun_path);
    if (chdir("/"))
        die("chdir /");
    T("bind with a length past sockaddr_un", bind(fd, (struct sockaddr *)&a, sizeof(a) + 4));
    T("bind an empty path", bind(fd, (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, ""}, 3));
    close(fd);
    T("mknod of a socket file", mknod("/nonexistent-dir/x", S_IFSOCK | 0600, 0));
    int ip = socket(AF_INET, SOCK_STREAM, 0);
    alen = path_addr(&a, "nodir/ip.sock");
    T("connect an IP socket to a UNIX path", connect(ip, (struct sockaddr *)&a, alen));
    T("bind an IP socket to a UNIX path", bind(ip, (struct sockaddr *)&a, alen));
    close(ip);
}

static void abstract(void)
{
    struct sockaddr_un a;
    socklen_t alen = abstract_addr(&a, "gts-test-abstract");
    connection(SOCK_STREAM, "stream, abstract name", &a, alen, NULL);
    alen = abstract_addr(&a, "gts-test-dgram");
    datagrams("datagrams, abstract name", &a, alen, NULL, 0);
    /* autobind: a name of five hex digits, which another socket can send to */
    int s = socket(AF_UNIX, SOCK_DGRAM, 0);
    T("autobind", bind(s, (struct sockaddr *)&(struct sockaddr_un){AF_UNIX, ""}, sizeof(sa_family_t)));
    struct sockaddr_un me;
    socklen_t mlen = sizeof(me);
    getsockname(s, (struct sockaddr *)&me, &mlen);
    int hex = mlen == 8 && me.sun_path[0] == 0;
    for (int i = 1; hex && i < 6; i++)
        hex = strchr("0123456789abcdef", me.sun_path[i]) != NULL;
    say("  autobind name: len %u, NUL and five hex digits %d", mlen, hex);
    int c = socket(AF_UNIX, SOCK_DGRAM, 0);
    T("  sendto the autobound name", sendto(c, "hi", 2, 0, (struct sockaddr *)&me, mlen));
    char buf[8];
    T("  recv", recv(s, buf, sizeof(buf), 0));
    close(c);
    close(s);
    int x = socket(AF_UNIX, SOCK_STREAM, 0);
    alen = abstract_addr(&a, "gts-test-nobody-listens-here");
    T("connect to an abstract name nobody has", connect(x, (struct sockaddr *)&a, alen));
    close(x);
}

/* SCM_RIGHTS between two processes: the child opens a file and passes the fd; the parent uses it. */
static void pass_fd(void)
{
    struct sockaddr_un a;
    socklen_t alen = path_addr(&a, "pass.sock");
    char file[256];
    snprintf(file, sizeof(file), "%s/passed.txt", dir);
    int f = open(file, O_CREAT | O_TRUNC | O_WRONLY, 0600);
    if (f < 0 || write(f, "the passed file\n", 16) != 16)
        die("passed.txt");
    close(f);
    int l = bound(SOCK_STREAM, &a, alen, "SCM_RIGHTS: bind");
    listen(l, 1);
    int held;
    pid_t pid = fork_held(&held);
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, alen))
            die("connect");
        int fds[2] = {open(file, O_RDONLY), open("/dev/null", O_WRONLY)};
        T("  child sendmsg with two fds", send_with_control(c, "F", SCM_RIGHTS, fds, sizeof(fds)));
        exit(0);
    }
    int s = accept(l, NULL, NULL);
    union {
        struct cmsghdr h;
        char buf[CMSG_SPACE(4 * sizeof(int))];
    } ctl;
    char byte;
    struct iovec iov = {&byte, 1};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
    T("  parent recvmsg", recvmsg(s, &m, MSG_CMSG_CLOEXEC));
    struct cmsghdr *h = CMSG_FIRSTHDR(&m);
    int fds[2] = {-1, -1};
    if (h && h->cmsg_type == SCM_RIGHTS)
        memcpy(fds, CMSG_DATA(h), sizeof(fds));
    say("  received %zu fds, flags %d", h ? (h->cmsg_len - CMSG_LEN(0)) / sizeof(int) : 0, m.msg_flags);
    char buf[64] = {0};
    T("  read the passed file", pread(fds[0], buf, sizeof(buf) - 1, 0));
    say("  it says = %s", buf);
    say("  cloexec = %d", (fcntl(fds[0], F_GETFD) & FD_CLOEXEC) != 0);
    struct stat st;
    fstat(fds[0], &st);
    say("  fstat size = %lld", (long long)st.st_size);
    char link[64], target[512] = {0};
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[0]);
    T("  readlink /proc/self/fd of it", readlink(link, target, sizeof(target) - 1) > 0);
    say("  names the file = %d", !strcmp(target, file));
    snprintf(link, sizeof(link), "/proc/self/fd/%d", fds[1]);
    memset(target, 0, sizeof(target));
    readlink(link, target, sizeof(target) - 1);
    say("  the second = %s", target);
    T("  write to it", write(fds[1], "x", 1));
    say("  child exit = %d", reap(pid, held));
    close(fds[0]);
    close(fds[1]);
    close(s);
    close(l);
}

/* SO_PEERCRED on both ends, and SCM_CREDENTIALS, explicit and the kernel's own. */
static void credentials(void)
{
    struct sockaddr_un a;
    socklen_t alen = path_addr(&a, "cred.sock");
    int l = bound(SOCK_STREAM, &a, alen, "credentials: bind");
    listen(l, 1);
    pid_t parent = getpid();
    int held;
    pid_t pid = fork_held(&held);
    if (pid == 0) {
        int c = socket(AF_UNIX, SOCK_STREAM, 0);
        if (connect(c, (struct sockaddr *)&a, alen))
            die("connect");
        struct ucred cr;
        socklen_t len = sizeof(cr);
        T("  child SO_PEERCRED", getsockopt(c, SOL_SOCKET, SO_PEERCRED, &cr, &len));
        say("  child: peer is its parent %d, uid %d, gid %d, len %u", cr.pid == parent, cr.uid == getuid(), cr.gid == getgid(), len);
        /* explicit credentials: its own pid and ids */
        struct ucred mine = {getpid(), getuid(), getgid()};
        T("  child sends its credentials", send_with_control(c, "C", SCM_CREDENTIALS, &mine, sizeof(mine)));
        mine.pid = getppid();
        T("  child sends its parent's pid as its own", send_with_control(c, "C", SCM_CREDENTIALS, &mine, sizeof(mine)));
        T("  child sends without credentials", write(c, "N", 1));
        exit(0);
    }
    int s = accept(l, NULL, NULL);
    int on = 1;
    T("  parent SO_PASSCRED", setsockopt(s, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
    struct ucred cr;
    socklen_t len = sizeof(cr);
    T("  parent SO_PEERCRED", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    say("  parent: peer is its child %d, uid %d, gid %d", cr.pid == pid, cr.uid == getuid(), cr.gid == getgid());
    len = 4;
    T("  SO_PEERCRED into 4 bytes", getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
    say("  length then = %u", len);
    for (int i = 0; i < 2; i++) {
        union {
            struct cmsghdr h;
            char buf[CMSG_SPACE(sizeof(struct ucred))];
        } ctl;
        char byte;
        struct iovec iov = {&byte, 1};
        struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = &ctl, .msg_controllen = sizeof(ctl)};
        T("  parent recvmsg", recvmsg(s, &m, 0));
        struct cmsghdr *h = CMSG_FIRSTHDR(&m);
        struct ucred got = {0, 0, 0};
        if (h && h->cmsg_type == SCM_CREDENTIALS)
            memcpy(&got, CMSG_DATA(h), sizeof(got));
        say("  message %c: credentials %d, from the child %d, uid %d, gid %d", byte, h != NULL, got.pid == pid,
            got.uid == getuid(), got.gid == getgid());
    }
    say("  child exit = %d", reap(pid, held));
    close(s);
    close(l);
    int sp[2];
    socketpair(AF_UNIX, SOCK_STREAM, 0, sp);
    len = sizeof(cr);
    T("socketpair SO_PEERCRED", getsockopt(sp[0], SOL_SOCKET, SO_PEERCRED, &cr, &len));
    say("  is this process %d", cr.pid == getpid());
    close(sp[0]);
    close(sp[1]);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2)
        die("usage: net_unix DIR [PART]");
    dir = argv[1];
    umask(022);
    const char *part = argc > 2 ? argv[2] : "all";
    int all = !strcmp(part, "all");
    if (all || !strcmp(part, "path"))
        by_path();
    if (all || !strcmp(part, "errors"))
        path_errors();
    if (all || !strcmp(part, "abstract"))
        abstract();
    if (all || !strcmp(part, "rights"))
        pass_fd();
    if (all || !strcmp(part, "creds"))
        credentials();
    return 0;
}
