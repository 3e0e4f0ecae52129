/*
 * UNIX sockets and the instance's walls.
 *
 *   net_escape attempts ROOT SCRATCH ABSTRACT
 *       Every spelling we know of a socket outside the instance: SCRATCH/outside/secret.sock (a
 *       stream socket that answers with the secret) and SCRATCH/outside/dgram.sock (a datagram
 *       socket that counts what it gets) reached by their host paths, "..", planted symlinks,
 *       /proc/self/root and /proc/self/cwd, a relative path (datagrams by sendto, sendmsg and
 *       sendmmsg); binds that would make socket files
 *       outside; and an abstract name (ABSTRACT) the host listens on. One line per attempt:
 *       "name: ERRNAME" or "name: reached=<answer>" / "name: sent" / "name: bound". ROOT is how
 *       the program spells the instance's root: "/" under gramine-ts, the host path of
 *       SCRATCH/root natively (the control, where each attempt is a real way out). The root
 *       holds: abs-sock -> SCRATCH/outside/secret.sock, rel-sock -> ../outside/secret.sock,
 *       updir -> .., hostdir -> SCRATCH.
 *
 *   net_escape bind-race DIR TARGET N
 *       N binds of DIR/a/sI.sock (each socket closed, its file left), while a child keeps swapping DIR/a between a directory and a symlink to TARGET
 *       (a host path outside the instance: inside it names nothing). One line: "bind-race: B
 *       bound, R refused". Natively (the control) the binds that find the symlink make their
 *       files in TARGET; under gramine-ts none may.
 *
 *   net_escape serve DIR NAME
 *       Listen at the abstract name NAME, at /private/s.sock (a tmpfs of the instance) and at
 *       DIR/shared.sock (a host directory); a child of the same instance connects to each (one
 *       line each); print "ready", then answer "A" to every connection until stdin ends.
 *
 *   net_escape probe DIR NAME
 *       Connect to those three, one line each.
 *
 *   net_escape sink PATH
 *       (run natively by the test) Receive datagrams at PATH until stdin ends; print how many.
 *
 *   net_escape answer WHERE TEXT
 *       (run natively by the test) Listen at WHERE (a path, or @NAME for an abstract name),
 *       print "ready", and send TEXT and a newline to each connection until stdin ends.
 */
#include "net.h"
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/stat.h>

static const char *ROOT, *SCR;

/* `p` (absolute) under ROOT; strings of their own (a test program: never freed) */
static const char *R(const char *p)
{
    char *b;
    if (asprintf(&b, "%s%s", strcmp(ROOT, "/") ? ROOT : "", p) < 0)
        die("asprintf");
    return b;
}

static const char *cat(const char *a, const char *b)
{
    char *r;
    if (asprintf(&r, "%s%s", a, b) < 0)
        die("asprintf");
    return r;
}

/* Connect to `a`; on success read the first line the other side sends. */
static void try_connect(const char *name, const struct sockaddr_un *a, socklen_t len)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (connect(fd, (const struct sockaddr *)a, len)) {
        printf("%s: %s\n", name, ename(errno));
        close(fd);
        return;
    }
    char buf[128] = {0};
    struct pollfd p = {fd, POLLIN, 0};
    ssize_t n = poll(&p, 1, 5000) == 1 ? read(fd, buf, sizeof(buf) - 1) : -1;
    char *nl = n > 0 ? strchr(buf, '\n') : NULL;
    if (nl)
        *nl = 0;
    printf("%s: reached=%s\n", name, n > 0 ? buf : "(nothing)");
    close(fd);
}

static void connect_path(const char *name, const char *p)
{
    struct sockaddr_un a;
    try_connect(name, &a, unix_path_addr(&a, p));
}

/* A datagram to path `p` by `how`: sendto, sendmsg or sendmmsg, each with the address. */
static void send_path(const char *how, const char *name, const char *p)
{
    struct sockaddr_un a;
    socklen_t len = unix_path_addr(&a, p);
    int fd = socket(AF_UNIX, SOCK_DGRAM, 0);
    struct iovec iov = {"escaped", 7};
    struct mmsghdr mm = {.msg_hdr = {.msg_name = &a, .msg_namelen = len, .msg_iov = &iov, .msg_iovlen = 1}};
    long r = !strcmp(how, "sendto")    ? sendto(fd, "escaped", 7, 0, (struct sockaddr *)&a, len)
             : !strcmp(how, "sendmsg") ? sendmsg(fd, &mm.msg_hdr, 0)
                                       : sendmmsg(fd, &mm, 1, 0) == 1 ? 0 : -1;
    if (r < 0)
        printf("%s-%s: %s\n", how, name, ename(errno));
    else
        printf("%s-%s: sent\n", how, name);
    close(fd);
}

static void bind_path(const char *name, const char *p)
{
    struct sockaddr_un a;
    socklen_t len = unix_path_addr(&a, p);
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (bind(fd, (struct sockaddr *)&a, len))
        printf("%s: %s\n", name, ename(errno));
    else
        printf("%s: bound\n", name);
    close(fd);
}

/* the swapper of bind_race: DIR/a a directory, then a symlink to TARGET, and again, until killed */
static void swap_forever(const char *dir, const char *target)
{
    const char *a = cat(dir, "/a"), *parked = cat(dir, "/a.dir");
    for (;;) {
        if (rename(a, parked) || symlink(target, a) || unlink(a) || rename(parked, a))
            die("swap");
    }
}

static void bind_race(const char *dir, const char *target, int rounds)
{
    if (mkdir(cat(dir, "/a"), 0755))
        die("mkdir");
    pid_t pid = fork();
    if (pid == 0)
        swap_forever(dir, target);
    int bound = 0, refused = 0;
    for (int i = 0; i < rounds; i++) {
        char p[64];
        snprintf(p, sizeof(p), "/a/s%d.sock", i);
        struct sockaddr_un a;
        socklen_t len = unix_path_addr(&a, cat(dir, p));
        int fd = socket(AF_UNIX, SOCK_STREAM, 0);
        if (bind(fd, (struct sockaddr *)&a, len) == 0)
            bound++;
        else
            refused++;
        close(fd);
    }
    kill(pid, SIGKILL);
    waitpid(pid, NULL, 0);
    printf("bind-race: %d bound, %d refused\n", bound, refused);
}

static void attempts(const char *abstract)
{
    const char *secret = cat(SCR, "/outside/secret.sock");
    const char *dgram = cat(SCR, "/outside/dgram.sock");
    const struct {
        const char *name, *stream, *dgram;
    } ways[] = {
        {"host-path", secret, dgram},
        {"dotdot", R("/../outside/secret.sock"), R("/../outside/dgram.sock")},
        {"dotdots-to-host-path", R(cat("/../../../../../../../..", secret)), R(cat("/../../../../../../../..", dgram))},
        {"abs-symlink", R("/abs-sock"), NULL},
        {"rel-symlink", R("/rel-sock"), NULL},
        {"updir-symlink", R("/updir/outside/secret.sock"), R("/updir/outside/dgram.sock")},
        {"hostdir-symlink", R("/hostdir/outside/secret.sock"), R("/hostdir/outside/dgram.sock")},
        {"proc-root-dotdot", "/proc/self/root/../outside/secret.sock", "/proc/self/root/../outside/dgram.sock"},
        {"proc-root-host-path", cat("/proc/self/root", secret), cat("/proc/self/root", dgram)},
        {"proc-cwd-dotdot", "/proc/self/cwd/../outside/secret.sock", "/proc/self/cwd/../outside/dgram.sock"},
        {"relative-dotdot", "../outside/secret.sock", "../outside/dgram.sock"},
    };
    if (chdir(ROOT))
        die("chdir");
    for (unsigned i = 0; i < sizeof(ways) / sizeof(ways[0]); i++) {
        connect_path(cat("connect-", ways[i].name), ways[i].stream);
        for (const char *const *how = (const char *const[]){"sendto", "sendmsg", "sendmmsg", NULL}; ways[i].dgram && *how; how++)
            send_path(*how, ways[i].name, ways[i].dgram);
    }
    bind_path("bind-dotdot", R("/../outside/created-1.sock"));
    bind_path("bind-updir-symlink", R("/updir/outside/created-2.sock"));
    bind_path("bind-hostdir-symlink", R("/hostdir/outside/created-3.sock"));
    bind_path("bind-proc-root-dotdot", "/proc/self/root/../outside/created-4.sock");
    bind_path("bind-host-path", cat(SCR, "/outside/created-5.sock"));
    struct sockaddr_un a;
    try_connect("connect-abstract-of-the-host", &a, abstract_addr(&a, abstract));
    /* a control: a socket inside the instance is reachable */
    bind_path("bind-inside", R("/inside.sock"));
}

/* serve: listen at the three names, check them from a child, then answer until stdin ends */
static void serve(const char *dir, const char *name)
{
    struct sockaddr_un a[3];
    socklen_t len[3] = {abstract_addr(&a[0], name), unix_path_addr(&a[1], "/private/s.sock"),
                        unix_path_addr(&a[2], cat(dir, "/shared.sock"))};
    const char *what[3] = {"abstract", "private", "shared"};
    struct pollfd p[4];
    for (int i = 0; i < 3; i++) {
        p[i].fd = socket(AF_UNIX, SOCK_STREAM, 0);
        p[i].events = POLLIN;
        if (bind(p[i].fd, (struct sockaddr *)&a[i], len[i]) || listen(p[i].fd, 8))
            die(what[i]);
    }
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        for (int i = 0; i < 3; i++)
            try_connect(cat("same instance: ", what[i]), &a[i], len[i]);
        exit(0);
    }
    /* the child's three connections first, then until stdin ends */
    p[3] = (struct pollfd){0, POLLIN, 0};
    int served = 0;
    for (;;) {
        if (served == 3) {
            waitpid(pid, NULL, 0);
            printf("ready\n");
            fflush(stdout);
            served++;
        }
        if (poll(p, 4, -1) <= 0)
            die("poll");
        if (p[3].revents) {
            char c;
            if (read(0, &c, 1) <= 0)
                break;
        }
        for (int i = 0; i < 3; i++) {
            if (!p[i].revents)
                continue;
            int c = accept(p[i].fd, NULL, NULL);
            if (c >= 0) {
                if (write(c, "A\n", 2) != 2)
                    die("write");
                close(c);
                served++;
            }
        }
    }
    unlink(cat(dir, "/shared.sock"));
}

static void probe(const char *dir, const char *name)
{
    struct sockaddr_un a;
    try_connect("abstract", &a, abstract_addr(&a, name));
    try_connect("private", &a, unix_path_addr(&a, "/private/s.sock"));
    try_connect("shared", &a, unix_path_addr(&a, cat(dir, "/shared.sock")));
}

static void answer(const char *where, const char *text)
{
    struct sockaddr_un a;
    socklen_t len = where[0] == '@' ? abstract_addr(&a, where + 1) : unix_path_addr(&a, where);
    struct pollfd p[2] = {{socket(AF_UNIX, SOCK_STREAM, 0), POLLIN, 0}, {0, POLLIN, 0}};
    signal(SIGPIPE, SIG_IGN); /* a client gone before its answer */
    if (bind(p[0].fd, (struct sockaddr *)&a, len) || listen(p[0].fd, 8))
        die("listen");
    printf("ready\n");
    for (;;) {
        if (poll(p, 2, -1) <= 0)
            die("poll");
        if (p[0].revents) {
            int c = accept(p[0].fd, NULL, NULL);
            if (c >= 0)
                dprintf(c, "%s\n", text); /* one write: the client may close once it has read */
            close(c);
        } else if (p[1].revents) {
            char c;
            if (read(0, &c, 1) <= 0)
                break;
        }
    }
}

static void sink(const char *path)
{
    struct sockaddr_un a;
    socklen_t len = unix_path_addr(&a, path);
    struct pollfd p[2] = {{socket(AF_UNIX, SOCK_DGRAM, 0), POLLIN, 0}, {0, POLLIN, 0}};
    unlink(path); /* a sink of an earlier run */
    if (bind(p[0].fd, (struct sockaddr *)&a, len))
        die("bind");
    printf("ready\n");
    int got = 0;
    for (;;) {
        if (poll(p, 2, -1) <= 0)
            die("poll");
        if (p[0].revents) {
            char buf[64];
            if (recv(p[0].fd, buf, sizeof(buf), 0) > 0)
                got++;
        } else if (p[1].revents) {
            char c;
            if (read(0, &c, 1) <= 0)
                break;
        }
    }
    printf("datagrams %d\n", got);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 5 && !strcmp(argv[1], "attempts")) {
        ROOT = argv[2];
        SCR = argv[3];
        attempts(argv[4]);
    } else if (argc == 5 && !strcmp(argv[1], "bind-race")) {
        bind_race(argv[2], argv[3], atoi(argv[4]));
    } else if (argc == 4 && !strcmp(argv[1], "serve")) {
        serve(argv[2], argv[3]);
    } else if (argc == 4 && !strcmp(argv[1], "probe")) {
        probe(argv[2], argv[3]);
    } else if (argc == 3 && !strcmp(argv[1], "sink")) {
        sink(argv[2]);
    } else if (argc == 4 && !strcmp(argv[1], "answer")) {
        answer(argv[2], argv[3]);
    } else {
        die("usage: net_escape attempts ROOT SCRATCH ABSTRACT | bind-race DIR TARGET N | serve DIR NAME | probe DIR NAME | sink PATH | answer WHERE TEXT");
    }
    return 0;
}
