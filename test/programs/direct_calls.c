/*
 * Calls the stub answers at a patched site (native/stub/patch.c): the same answers as a trap
 * would give (the stat family, opens, waits, sockets, signal dispositions and masks), from a
 * loop, from signal handlers that interrupt one (on an alternate stack too),
 * with bad pointers, with SIGSEGV handled or blocked, from threads and from a forked child.
 * The line "site: " says whether glibc's newfstatat site and the open pattern's were patched
 * (under gramine-ts a jmp, natively the mov it was): checked by the test apart from the rest.
 */
#include "t.h"

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>

#define FILE_PATH "/etc/passwd"

static off_t expected_size;

/* one round of what a server does per request: open, fstat, stat, close; 1 if all as expected */
static int round_ok(void)
{
    struct stat a, b;
    int fd = open(FILE_PATH, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    int ok = fstat(fd, &a) == 0 && stat(FILE_PATH, &b) == 0 && a.st_size == expected_size &&
             a.st_ino == b.st_ino && a.st_dev == b.st_dev && S_ISREG(a.st_mode);
    ok &= fcntl(fd, F_GETFD) == FD_CLOEXEC;
    close(fd);
    return ok;
}

static int rounds_ok(int n)
{
    int ok = 1;
    for (int i = 0; i < n; i++)
        ok &= round_ok();
    return ok;
}

/* The first syscall instruction of glibc's fstatat64, and what the 5 bytes before it start with. */
static const char *stat_site(void)
{
    const unsigned char *f = (const unsigned char *)(void *)fstatat64;
    for (int i = 5; i < 96; i++)
        if (f[i] == 0x0f && f[i + 1] == 0x05)
            return f[i - 5] == 0xb8 ? "mov" : f[i - 5] == 0xe9 ? "jmp" : "other";
    return "none";
}

/* What glibc's function that is only `mov $nr, %eax; syscall` starts with. */
static const char *entry_site(const void *f)
{
    unsigned char first = *(const unsigned char *)f;
    return first == 0xb8 ? "mov" : first == 0xe9 ? "jmp" : "other";
}

static volatile sig_atomic_t handler_runs, handler_bad;

static void alarm_handler(int sig)
{
    (void)sig;
    int e = errno;
    handler_runs++;
    if (!round_ok())
        handler_bad++;
    errno = e;
}

static void quiet_handler(int sig) { (void)sig; }

static volatile sig_atomic_t usr2_taken;
static void usr2_handler(int sig) { (void)sig; usr2_taken++; }

/*
 * sigaction and sigprocmask at their patched sites, as a shell resets dispositions and masks
 * in every child: each call sees what the last one set, a blocked signal waits for its
 * unblocking, and an old set the kernel cannot write is EFAULT.
 */
/*
 * glibc's __open64_nocancel makes its openat as `mov $257, %eax; mov %rdi, %rsi; mov $-100, %edi;
 * syscall` (setlocale's opens): the same bytes here. pattern_open(path, flags) is that openat;
 * pattern_other(nr) reaches the `mov $-100, %edi` with another number in eax (code that jumps to
 * the move), which must stay that call. Both return what the kernel does (-errno).
 */
long pattern_open(const char *path, long flags);
long pattern_other(long nr);
extern const unsigned char pattern_site[];
__asm__(".text\n"
        "pattern_open:\n\t"
        "mov %esi, %edx\n\t"
        ".byte 0xb8, 0x01, 0x01, 0x00, 0x00\n\t" /* mov $257, %eax */
        ".byte 0x48, 0x89, 0xfe\n"                /* mov %rdi, %rsi */
        "pattern_site:\n\t"
        ".byte 0xbf, 0x9c, 0xff, 0xff, 0xff\n\t" /* mov $-100, %edi */
        "syscall\n\t"
        "ret\n"
        "pattern_other:\n\t"
        "mov %rdi, %rax\n\t"
        "jmp pattern_site\n");

/* The pattern's opens, patched after the first: the file, errors, and the other number left alone. */
static void open_pattern(void)
{
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        long fd = pattern_open(FILE_PATH, O_RDONLY | O_CLOEXEC);
        struct stat st;
        ok &= fd >= 0 && fstat((int)fd, &st) == 0 && st.st_size == expected_size && fcntl((int)fd, F_GETFD) == FD_CLOEXEC;
        if (fd >= 0)
            close((int)fd);
    }
    printf("open pattern: %s\n", ok ? "ok" : "WRONG");
    printf("open pattern missing: %s\n", pattern_open("/etc/no-such-file-here", O_RDONLY) == -ENOENT ? "ENOENT" : "WRONG");
    printf("open pattern bad pointer: %s\n", pattern_open((const char *)1, O_RDONLY) == -EFAULT ? "EFAULT" : "WRONG");
    int same = 1;
    for (int i = 0; i < 3; i++)
        same &= pattern_other(SYS_getpid) == getpid() && pattern_other(SYS_gettid) == gettid();
    printf("another number at the pattern: %s\n", same ? "that call" : "WRONG");
}

/* The ids, access, readlink and getcwd from patched sites: the same answers every time, and Linux's. */
static void lookups(void)
{
    uid_t uid = getuid(), euid = geteuid();
    gid_t gid = getgid(), egid = getegid();
    char cwd[4096], again[4096], link[256];
    if (!getcwd(cwd, sizeof(cwd)))
        strcpy(cwd, "(none)");
    int steady = 1;
    for (int i = 0; i < 1000; i++) {
        steady &= getuid() == uid && geteuid() == euid && getgid() == gid && getegid() == egid;
        steady &= access(FILE_PATH, R_OK) == 0 && getcwd(again, sizeof(again)) && strcmp(again, cwd) == 0;
        steady &= readlink("/bin", link, sizeof(link)) > 0;
    }
    printf("lookups in a loop: %s\n", steady ? "the same" : "WRONG");
    printf("ids: %u %u %u %u\n", (unsigned)uid, (unsigned)euid, (unsigned)gid, (unsigned)egid);
    printf("cwd: %s\n", cwd);
    ssize_t n = readlink("/bin", link, sizeof(link) - 1);
    link[n > 0 ? n : 0] = 0;
    printf("readlink /bin: %zd %s\n", n, link);
    errno = 0;
    show("access missing", access("/etc/no-such-file-here", F_OK));
    show("access bad pointer", access((const char *)1, F_OK));
    show("readlink not a link", readlink(FILE_PATH, link, sizeof(link)));
    char *volatile bad = (char *)1; /* (through a volatile: the compiler sees no buffer to check) */
    show("readlink bad buffer", readlink("/bin", bad, sizeof(link)));
}

/* dup, dup2 and dup3 from patched sites: the copies Linux makes, and its errors at the fd limit. */
static void dups(void)
{
    int ok = 1;
    for (int i = 0; i < 1000; i++) {
        int d = dup(1);
        ok &= d > 2 && dup2(d, 20) == 20 && dup3(20, 21, O_CLOEXEC) == 21;
        ok &= fcntl(20, F_GETFD) == 0 && fcntl(21, F_GETFD) == FD_CLOEXEC && dup2(21, 21) == 21;
        close(d);
        close(20);
        close(21);
    }
    printf("dups in a loop: %s\n", ok ? "ok" : "WRONG");
    struct rlimit lim;
    getrlimit(RLIMIT_NOFILE, &lim);
    errno = 0;
    show("dup2 to the fd limit", dup2(0, (int)lim.rlim_cur));
    show("dup3 to the fd limit", dup3(0, (int)lim.rlim_cur, 0));
    show("dup of a closed fd", dup((int)lim.rlim_cur - 1));
    show("dup3 onto itself", dup3(1, 1, 0));
    show("dup3 bad flags", dup3(1, 22, 1));
}

static void dispositions(void)
{
    struct sigaction sa = {0}, old;
    int ok = 1;
    for (int i = 0; i < 500; i++) {
        sa.sa_handler = (i & 1) ? quiet_handler : SIG_DFL;
        sigemptyset(&sa.sa_mask);
        sigaddset(&sa.sa_mask, SIGUSR1 + (i & 1));
        ok &= sigaction(SIGTERM, &sa, &old) == 0;
        if (i > 0)
            ok &= old.sa_handler == ((i & 1) ? SIG_DFL : quiet_handler) && sigismember(&old.sa_mask, SIGUSR1 + !(i & 1)) &&
                  !sigismember(&old.sa_mask, SIGUSR1 + (i & 1));
        sigset_t block, prev, now;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR2);
        ok &= sigprocmask(SIG_BLOCK, &block, &prev) == 0 && !sigismember(&prev, SIGUSR2);
        ok &= sigprocmask(SIG_SETMASK, &prev, &now) == 0 && sigismember(&now, SIGUSR2);
    }
    printf("sigaction and sigprocmask loop: %s\n", ok ? "ok" : "WRONG");
    sa.sa_handler = usr2_handler;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR2, &sa, 0);
    sigset_t usr2;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, 0);
    raise(SIGUSR2);
    int before = usr2_taken;
    sigprocmask(SIG_UNBLOCK, &usr2, 0);
    printf("a blocked signal: taken before unblocking %d, after %d\n", before, (int)usr2_taken);
    show("sigprocmask bad old set", sigprocmask(SIG_BLOCK, &usr2, (sigset_t *)8));
    show("sigaction bad signal", sigaction(0, &sa, 0));
    sa.sa_handler = SIG_DFL;
    sigaction(SIGTERM, &sa, 0);
    sigaction(SIGUSR2, &sa, 0);
}

/*
 * accept4 and recvfrom with an address: the host's call as made at their patched sites, for
 * IP sockets; errors, a short address buffer, and an interruption by another process's signal.
 */
static void sockets(void)
{
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in at = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof(at);
    if (l < 0 || bind(l, (struct sockaddr *)&at, sizeof(at)) || listen(l, 64) || getsockname(l, (struct sockaddr *)&at, &len))
        return;
    int ok = 1;
    for (int i = 0; i < 300; i++) {
        int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        struct sockaddr_in me, peer;
        socklen_t ml = sizeof(me), pl = sizeof(peer);
        connect(c, (struct sockaddr *)&at, sizeof(at));
        getsockname(c, (struct sockaddr *)&me, &ml);
        int s = accept4(l, (struct sockaddr *)&peer, &pl, SOCK_CLOEXEC);
        ok &= s >= 0 && pl == sizeof(peer) && peer.sin_port == me.sin_port && fcntl(s, F_GETFD) == FD_CLOEXEC;
        close(s);
        close(c);
    }
    printf("accept loop: %s\n", ok ? "ok" : "WRONG");
    int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect(c, (struct sockaddr *)&at, sizeof(at));
    char small[4];
    socklen_t small_len = sizeof(small);
    int s = accept4(l, (struct sockaddr *)small, &small_len, SOCK_CLOEXEC);
    printf("accept short buffer: %s, length %u\n", s >= 0 ? "ok" : "failed", (unsigned)small_len);
    close(s);
    close(c);
    c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    connect(c, (struct sockaddr *)&at, sizeof(at));
    socklen_t bad_len = sizeof(at);
    struct sockaddr *volatile bad = (struct sockaddr *)8;
    show("accept bad address", accept4(l, bad, &bad_len, SOCK_CLOEXEC));
    close(c);
    int p[2];
    pipe(p);
    show("accept not a socket", accept4(p[0], (struct sockaddr *)&at, &len, 0));

    /* nothing to accept; another process's signal, whose handler has no SA_RESTART, ends the wait */
    struct sigaction sa = {0};
    sa.sa_handler = quiet_handler;
    sigaction(SIGUSR1, &sa, 0);
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        usleep(100000);
        kill(parent, SIGUSR1);
        _exit(0);
    }
    struct sockaddr_in peer;
    socklen_t pl = sizeof(peer);
    show("accept interrupted", accept4(l, (struct sockaddr *)&peer, &pl, 0));
    waitpid(child, 0, 0);
    close(l);

    int u = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), v = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in ua = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)}, va = ua;
    socklen_t ul = sizeof(ua), vl = sizeof(va);
    bind(u, (struct sockaddr *)&ua, sizeof(ua));
    bind(v, (struct sockaddr *)&va, sizeof(va));
    getsockname(u, (struct sockaddr *)&ua, &ul);
    getsockname(v, (struct sockaddr *)&va, &vl);
    ok = 1;
    for (int i = 0; i < 300; i++) {
        char buf[16];
        struct sockaddr_in from;
        socklen_t fl = sizeof(from);
        sendto(v, "ping", 4, 0, (struct sockaddr *)&ua, sizeof(ua));
        ok &= recvfrom(u, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl) == 4 && from.sin_port == va.sin_port;
        sendto(v, "ping", 4, 0, (struct sockaddr *)&ua, sizeof(ua));
        ok &= recvfrom(u, buf, sizeof(buf), 0, 0, 0) == 4; /* the same site, without an address */
    }
    printf("recvfrom loop: %s\n", ok ? "ok" : "WRONG");
    close(u);
    close(v);
}

static sigjmp_buf jump_out;
static volatile sig_atomic_t jumps;

/* leaves whatever it interrupted (a direct call too) for good */
static void jumping_handler(int sig)
{
    (void)sig;
    jumps++;
    siglongjmp(jump_out, 1);
}

static void *thread_rounds(void *arg)
{
    (void)arg;
    return (void *)(long)rounds_ok(2000);
}

static void segv_handler(int sig) { (void)sig; }

static volatile sig_atomic_t usr1_runs;
static void usr1_handler(int sig) { (void)sig; usr1_runs++; }

/* Another process, after `ms`: sends `sig` (0: none), then writes a byte to `fd` (-1: none). */
static pid_t later(int ms, int sig, int fd)
{
    pid_t parent = getpid(), child = fork();
    if (child == 0) {
        usleep(ms * 1000);
        if (sig)
            kill(parent, sig);
        if (fd >= 0) {
            usleep(20000);
            if (write(fd, "w", 1) != 1)
                _exit(1);
        }
        _exit(0);
    }
    return child;
}

/*
 * Waits that must wait, at sites already patched: woken by another process's write; with a
 * signal the call's mask blocks (delivered once it returns); with an ignored signal (the wait
 * goes on to its timeout); the registers the compiler keeps live across them intact.
 */
static void waits_that_wait(int ep_idle, int idle[2])
{
    struct epoll_event out[4];
    char c;
    pid_t child = later(30, 0, idle[1]);
    show("epoll_wait woken", epoll_wait(ep_idle, out, 4, -1));
    waitpid(child, 0, 0);
    show("drained", read(idle[0], &c, 1));

    struct sigaction sa = {0};
    sa.sa_handler = usr1_handler;
    sigaction(SIGUSR1, &sa, 0);
    sigset_t block_usr1;
    sigemptyset(&block_usr1);
    sigaddset(&block_usr1, SIGUSR1);
    child = later(30, SIGUSR1, idle[1]);
    long r = epoll_pwait(ep_idle, out, 4, 5000, &block_usr1);
    printf("epoll_pwait with SIGUSR1 blocked: %ld, handler after it: %d\n", r, (int)usr1_runs);
    waitpid(child, 0, 0);
    show("drained", read(idle[0], &c, 1));

    sa.sa_handler = SIG_IGN;
    sigaction(SIGUSR2, &sa, 0);
    child = later(20, SIGUSR2, -1);
    struct timeval t0, t1;
    gettimeofday(&t0, 0);
    r = epoll_wait(ep_idle, out, 4, 150);
    gettimeofday(&t1, 0);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_usec - t0.tv_usec) / 1000;
    printf("epoll_wait with an ignored signal: %ld after %s\n", r, ms >= 145 && ms < 1000 ? "its timeout" : "WRONG");
    waitpid(child, 0, 0);

    /* values in the registers a call must keep, across many waits that wait */
    volatile long keep[8];
    long a = 0x1111, b = 0x2222, d = 0x3333, e = 0x4444, f = 0x5555, g = 0x6666;
    int ok = 1;
    for (int i = 0; i < 20; i++) {
        struct pollfd none = {.fd = idle[0], .events = POLLIN};
        ok &= poll(&none, 1, 1) == 0;
        a += i, b ^= i, d -= i, e += 2 * i, f ^= 3 * i, g -= 4 * i;
        ok &= epoll_wait(ep_idle, out, 4, 1) == 0;
    }
    keep[0] = a, keep[1] = b, keep[2] = d, keep[3] = e, keep[4] = f, keep[5] = g;
    printf("registers across waits: %s %lx %lx %lx %lx %lx %lx\n", ok ? "ok" : "WRONG", keep[0], keep[1], keep[2], keep[3],
           keep[4], keep[5]);
}

/*
 * Waits: one that finds something ready is answered at its patched site; one that must wait
 * waits (and ends by its timeout, or with EINTR for a handler), as from a trap.
 */
static void waits(void)
{
    int p[2], idle[2];
    if (pipe(p) || pipe(idle) || write(p[1], "x", 1) != 1)
        return;
    int ep = epoll_create1(EPOLL_CLOEXEC), ep_idle = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN}, out[4];
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    epoll_ctl(ep_idle, EPOLL_CTL_ADD, idle[0], &ev);
    struct pollfd ready = {.fd = p[0], .events = POLLIN}, none = {.fd = idle[0], .events = POLLIN};
    struct epoll_event *volatile bad_events = (struct epoll_event *)8;
    int ok = 1;
    for (int i = 0; i < 2000; i++) {
        ok &= epoll_wait(ep, out, 4, 1000) == 1 && out[0].events == EPOLLIN;
        ok &= epoll_pwait(ep, out, 4, 1000, 0) == 1;
        ok &= poll(&ready, 1, 1000) == 1 && ready.revents == POLLIN;
    }
    printf("ready waits: %s\n", ok ? "ok" : "WRONG");
    show("epoll_wait idle 20ms", epoll_wait(ep_idle, out, 4, 20));
    show("poll idle 20ms", poll(&none, 1, 20));
    show("epoll_wait bad buffer", epoll_wait(ep, bad_events, 4, 1000));
    show("epoll_wait bad fd", epoll_wait(-3, out, 4, 1000));
    struct sigaction sa = {0};
    sa.sa_handler = segv_handler; /* any handler, without SA_RESTART */
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 0}, {0, 20000}};
    setitimer(ITIMER_REAL, &it, 0);
    show("epoll_wait interrupted", epoll_wait(ep_idle, out, 4, -1));
    setitimer(ITIMER_REAL, &it, 0);
    show("poll interrupted", poll(&none, 1, -1));
    waits_that_wait(ep_idle, idle);
}

int main(void)
{
    struct stat st;
    setvbuf(stdout, 0, _IONBF, 0);
    if (stat(FILE_PATH, &st))
        return 1;
    expected_size = st.st_size;

    int loop = rounds_ok(2000);
    open_pattern();
    lookups();
    dups();
    printf("site: %s, open pattern's site: %s, getuid's: %s, access's: %s, dup3's: %s\n", stat_site(),
           pattern_site[0] == 0xbf ? "mov" : pattern_site[0] == 0xe9 ? "jmp" : "other",
           entry_site((void *)getuid), entry_site((void *)access), entry_site((void *)dup3));
    printf("loop: %s\n", loop ? "ok" : "WRONG");
    printf("pid: %s\n", getpid() == syscall(SYS_getpid) && gettid() == syscall(SYS_gettid) ? "same" : "differs");
    waits();
    sockets();
    dispositions();

    /* errors as the kernel gives them, from the patched sites */
    errno = 0;
    show("stat missing", stat("/etc/no-such-file-here", &st));
    show("stat missing dir", stat("/no-such-dir/x", &st));
    show("stat through a file", stat(FILE_PATH "/x", &st));
    show("open missing", open("/etc/no-such-file-here", O_RDONLY));
    show("stat bad pointer", stat((const char *)1, &st));
    show("stat bad buffer", stat(FILE_PATH, (struct stat *)1));
    show("open bad pointer", open((const char *)1, O_RDONLY));
    show("fstat bad fd", fstat(-5, &st));
    show("fstat closed fd", fstat(900, &st));
    show("open relative", (open("etc/passwd", O_RDONLY) >= 0 || errno == ENOENT) ? 0 : -1);

    /* a handler making the same calls interrupts them, many times, on the main stack */
    struct sigaction sa = {0};
    sa.sa_handler = alarm_handler;
    sigaction(SIGALRM, &sa, 0);
    struct itimerval it = {{0, 200}, {0, 200}};
    setitimer(ITIMER_REAL, &it, 0);
    loop = rounds_ok(20000);
    struct itimerval off = {{0, 0}, {0, 0}};
    setitimer(ITIMER_REAL, &off, 0);
    printf("interrupted loop: %s, handler: %s, handler ran: %s\n", loop ? "ok" : "WRONG",
           handler_bad ? "WRONG" : "ok", handler_runs > 0 ? "yes" : "no");

    /* and on a small alternate signal stack */
    stack_t ss = {.ss_sp = malloc(16384), .ss_size = 16384};
    sigaltstack(&ss, 0);
    sa.sa_flags = SA_ONSTACK;
    sigaction(SIGALRM, &sa, 0);
    handler_runs = handler_bad = 0;
    setitimer(ITIMER_REAL, &it, 0);
    loop = rounds_ok(5000);
    setitimer(ITIMER_REAL, &off, 0);
    printf("alternate stack: %s, handler: %s\n", loop ? "ok" : "WRONG", handler_bad ? "WRONG" : "ok");

    /* a handler that leaves with siglongjmp: the calls after it are as right */
    sa.sa_handler = jumping_handler;
    sa.sa_flags = 0;
    sigaction(SIGALRM, &sa, 0);
    int after_jumps = 1;
    sigsetjmp(jump_out, 1);
    if (jumps < 20) {
        setitimer(ITIMER_REAL, &it, 0);
        for (;;)
            round_ok();
    }
    setitimer(ITIMER_REAL, &off, 0);
    after_jumps = rounds_ok(2000);
    printf("after siglongjmp out of handlers: %s\n", after_jumps ? "ok" : "WRONG");

    /* a child forked after the sites were patched */
    pid_t child = fork();
    if (child == 0)
        _exit(rounds_ok(2000) ? 7 : 1);
    int status;
    waitpid(child, &status, 0);
    printf("forked child: %d\n", WEXITSTATUS(status));

    /* threads: the patched sites, run by several at once */
    pthread_t t[3];
    for (int i = 0; i < 3; i++)
        pthread_create(&t[i], 0, thread_rounds, 0);
    loop = rounds_ok(2000);
    long all = loop;
    for (int i = 0; i < 3; i++) {
        void *r;
        pthread_join(t[i], &r);
        all &= (long)r;
    }
    printf("threads: %s\n", all ? "ok" : "WRONG");

    /* the app's own SIGSEGV handler; then SIGSEGV blocked: bad pointers are still EFAULT */
    sa.sa_handler = segv_handler;
    sa.sa_flags = 0;
    sigaction(SIGSEGV, &sa, 0);
    printf("with SIGSEGV handled: %s\n", rounds_ok(500) ? "ok" : "WRONG");
    show("stat bad pointer (handled)", stat((const char *)1, &st));
    sa.sa_handler = SIG_DFL;
    sigaction(SIGSEGV, &sa, 0);
    sigset_t segv;
    sigemptyset(&segv);
    sigaddset(&segv, SIGSEGV);
    sigprocmask(SIG_BLOCK, &segv, 0);
    printf("with SIGSEGV blocked: %s\n", rounds_ok(500) ? "ok" : "WRONG");
    show("stat bad pointer (blocked)", stat((const char *)1, &st));
    return 0;
}
