/*
 * File locks between processes: POSIX record locks (three processes on byte ranges, F_GETLK
 * naming the holder, EDEADLK, release at close and exit), OFD locks, lockf, flock (shared,
 * exclusive, upgrade and downgrade across fork as one open file description) and lock waits a
 * signal ends or a handler with SA_RESTART does not. The order of every step is fixed by pipes,
 * so the output is the same on every run. Usage: locks DIR
 */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>

static char path[4096];

/* A pipe to order two processes: one writes a byte, the other reads it. */
struct gate {
    int fd[2];
};

static void gate_open(struct gate *g)
{
    if (pipe(g->fd))
        die("pipe");
}

static void gate_pass(struct gate *g)
{
    if (write(g->fd[1], "x", 1) != 1)
        die("gate write");
}

static void gate_wait(struct gate *g)
{
    char c;
    if (read(g->fd[0], &c, 1) != 1)
        die("gate read");
}

static int open_file(void)
{
    int fd = open(path, O_RDWR | O_CREAT, 0644);
    if (fd < 0)
        die("open");
    return fd;
}

static int setlk(int fd, int cmd, short type, off_t start, off_t len)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    return fcntl(fd, cmd, &fl);
}

/* F_GETLK (or F_OFD_GETLK) of a range: the conflicting lock, its holder compared with `who`. */
static void getlk(const char *label, int fd, int cmd, short type, off_t start, off_t len, pid_t who)
{
    struct flock fl = {.l_type = type, .l_whence = SEEK_SET, .l_start = start, .l_len = len};
    fl.l_pid = cmd == F_GETLK ? 12345 : 0; /* F_OFD_GETLK refuses any other */
    if (T(label, fcntl(fd, cmd, &fl)) < 0)
        return;
    const char *t = fl.l_type == F_UNLCK ? "UNLCK" : fl.l_type == F_RDLCK ? "RDLCK" : "WRLCK";
    if (fl.l_type == F_UNLCK)
        say("%s: %s", label, t);
    else
        say("%s: %s start %ld len %ld pid %s", label, t, (long)fl.l_start, (long)fl.l_len,
            fl.l_pid == who ? "holder" : fl.l_pid == -1 ? "-1" : "other");
}

static int reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

/* A child that takes a lock on [start, start+len), says so, and holds it until told. */
static pid_t holder(short type, off_t start, off_t len, struct gate *locked, struct gate *release)
{
    pid_t pid = fork();
    if (pid < 0)
        die("fork");
    if (pid == 0) {
        int fd = open_file();
        if (setlk(fd, F_SETLK, type, start, len))
            _exit(1);
        gate_pass(locked);
        gate_wait(release);
        _exit(0);
    }
    return pid;
}

static void record_locks(void)
{
    struct gate a_locked, a_release, b_locked, b_release, c_done;
    gate_open(&a_locked);
    gate_open(&a_release);
    gate_open(&b_locked);
    gate_open(&b_release);
    gate_open(&c_done);
    int fd = open_file();
    pid_t a = holder(F_WRLCK, 0, 10, &a_locked, &a_release);
    pid_t b = holder(F_RDLCK, 20, 10, &b_locked, &b_release);
    gate_wait(&a_locked);
    gate_wait(&b_locked);
    getlk("getlk write [0,5) held by A", fd, F_GETLK, F_WRLCK, 0, 5, a);
    getlk("getlk write [25,26) held by B", fd, F_GETLK, F_WRLCK, 25, 1, b);
    getlk("getlk read [25,26) shared with B", fd, F_GETLK, F_RDLCK, 25, 1, b);
    getlk("getlk write [10,20) free", fd, F_GETLK, F_WRLCK, 10, 10, 0);
    T("setlk write [5,6) against A", setlk(fd, F_SETLK, F_WRLCK, 5, 1));
    T("setlk read [20,21) beside B", setlk(fd, F_SETLK, F_RDLCK, 20, 1));
    T("setlk write [10,20) free", setlk(fd, F_SETLK, F_WRLCK, 10, 10));
    /* a third process waits for A's range; it gets it once A has exited */
    pid_t c = fork();
    if (c < 0)
        die("fork");
    if (c == 0) {
        int cfd = open_file();
        int r = setlk(cfd, F_SETLKW, F_WRLCK, 0, 10);
        gate_pass(&c_done);
        _exit(r == 0 ? 0 : 1);
    }
    gate_pass(&a_release);
    T("A exits", reap(a));
    gate_wait(&c_done);
    T("C waited and locked A's range", reap(c));
    getlk("getlk write [0,5) after C exited", fd, F_GETLK, F_WRLCK, 0, 5, c);
    /* closing any fd of the file drops the process's locks */
    int other = open_file();
    close(other);
    pid_t d = fork();
    if (d == 0) {
        int dfd = open_file();
        getlk("child: getlk write [10,20) after parent closed another fd", dfd, F_GETLK, F_WRLCK, 10, 10, getppid());
        _exit(0);
    }
    reap(d);
    T("setlk write [10,20) again", setlk(fd, F_SETLK, F_WRLCK, 10, 10));
    d = fork();
    if (d == 0) {
        int dfd = open_file();
        getlk("child: getlk write [12,13) held by parent", dfd, F_GETLK, F_WRLCK, 12, 1, getppid());
        _exit(0);
    }
    reap(d);
    gate_pass(&b_release);
    T("B exits", reap(b));
    close(fd);
}

/* Two processes each hold a byte and wait for the other's: exactly one gets EDEADLK. */
static void deadlock(void)
{
    struct gate ready[2], go[2], result;
    gate_open(&result);
    pid_t kids[2];
    for (int i = 0; i < 2; i++) {
        gate_open(&ready[i]);
        gate_open(&go[i]);
        kids[i] = fork();
        if (kids[i] < 0)
            die("fork");
        if (kids[i] == 0) {
            int fd = open_file();
            if (setlk(fd, F_SETLK, F_WRLCK, 100 + i, 1))
                _exit(2);
            gate_pass(&ready[i]);
            gate_wait(&go[i]);
            int r = setlk(fd, F_SETLKW, F_WRLCK, 100 + !i, 1);
            char c = r == 0 ? 'L' : errno == EDEADLK ? 'D' : 'E';
            if (write(result.fd[1], &c, 1) != 1)
                _exit(3);
            _exit(0); /* the one that got EDEADLK lets go; the other then gets its byte */
        }
    }
    gate_wait(&ready[0]);
    gate_wait(&ready[1]);
    gate_pass(&go[0]);
    gate_pass(&go[1]);
    char got[2];
    for (int i = 0; i < 2; i++)
        if (read(result.fd[0], &got[i], 1) != 1)
            die("result");
    say("deadlock: first %c then %c", got[0], got[1]);
    T("deadlock child 0", reap(kids[0]));
    T("deadlock child 1", reap(kids[1]));
}

static void ofd_locks(void)
{
    int fd1 = open_file(), fd2 = open_file();
    T("ofd setlk write fd1", setlk(fd1, F_OFD_SETLK, F_WRLCK, 200, 10));
    T("ofd setlk write fd2 (same process, other description)", setlk(fd2, F_OFD_SETLK, F_WRLCK, 205, 1));
    getlk("ofd getlk fd2", fd2, F_OFD_GETLK, F_WRLCK, 200, 1, 0);
    T("posix setlk write fd2 against ofd", setlk(fd2, F_SETLK, F_WRLCK, 200, 1));
    int dup1 = dup(fd1);
    T("ofd setlk via dup (same description)", setlk(dup1, F_OFD_SETLK, F_RDLCK, 200, 10));
    pid_t c = fork();
    if (c == 0) {
        /* the child shares fd1's description: the lock is its own */
        T("child: ofd setlk write on inherited fd", setlk(fd1, F_OFD_SETLK, F_WRLCK, 200, 10));
        getlk("child: posix getlk sees the ofd lock", fd2, F_GETLK, F_WRLCK, 200, 1, 0);
        _exit(0);
    }
    reap(c);
    close(dup1);
    getlk("ofd lock stays while fd1 is open", fd2, F_OFD_GETLK, F_WRLCK, 200, 1, 0);
    close(fd1);
    getlk("ofd lock gone with the last fd", fd2, F_OFD_GETLK, F_WRLCK, 200, 1, 0);
    T("ofd setlk with l_pid set", ({
          struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 1, .l_pid = 1};
          fcntl(fd2, F_OFD_SETLK, &fl);
      }));
    close(fd2);
}

static void lockf_calls(void)
{
    int fd = open_file();
    lseek(fd, 300, SEEK_SET);
    T("lockf F_LOCK 10", lockf(fd, F_LOCK, 10));
    pid_t c = fork();
    if (c == 0) {
        int cfd = open_file();
        lseek(cfd, 305, SEEK_SET);
        T("child: lockf F_TEST", lockf(cfd, F_TEST, 1));
        T("child: lockf F_TLOCK", lockf(cfd, F_TLOCK, 1));
        lseek(cfd, 310, SEEK_SET);
        T("child: lockf F_TLOCK beyond", lockf(cfd, F_TLOCK, 1));
        T("child: lockf F_TEST own lock", lockf(cfd, F_TEST, 1));
        _exit(0);
    }
    reap(c);
    T("lockf F_ULOCK", lockf(fd, F_ULOCK, 10));
    close(fd);
}

static void flocks(void)
{
    struct gate step[6];
    for (int i = 0; i < 6; i++)
        gate_open(&step[i]);
    int fd = open_file(), other = open_file();
    T("flock SH", flock(fd, LOCK_SH));
    T("flock SH|NB other description", flock(other, LOCK_SH | LOCK_NB));
    T("flock EX|NB other description", flock(other, LOCK_EX | LOCK_NB));
    T("flock UN other", flock(other, LOCK_UN));
    pid_t c = fork();
    if (c == 0) {
        /* the same open file description: the child converts the parent's lock */
        T("child: flock EX (upgrade of the shared description)", flock(fd, LOCK_EX | LOCK_NB));
        gate_pass(&step[0]);
        gate_wait(&step[1]);
        T("child: flock SH (downgrade)", flock(fd, LOCK_SH));
        gate_pass(&step[2]);
        gate_wait(&step[3]);
        T("child: flock UN", flock(fd, LOCK_UN));
        gate_pass(&step[4]);
        _exit(0);
    }
    gate_wait(&step[0]);
    T("flock SH|NB while EX", flock(other, LOCK_SH | LOCK_NB));
    gate_pass(&step[1]);
    gate_wait(&step[2]);
    T("flock SH|NB after downgrade", flock(other, LOCK_SH | LOCK_NB));
    T("flock EX|NB after downgrade", flock(other, LOCK_EX | LOCK_NB));
    gate_pass(&step[3]);
    gate_wait(&step[4]);
    T("flock EX|NB on other, still shared by it", flock(other, LOCK_EX | LOCK_NB));
    T("flock UN other", flock(other, LOCK_UN));
    T("flock EX|NB on other, after the child's UN", flock(other, LOCK_EX | LOCK_NB));
    reap(c);
    T("flock bad op", flock(fd, 0));
    T("flock bad fd", flock(-1, LOCK_SH));
    T("flock closed fd", flock(1000, LOCK_SH));
    close(fd);
    close(other);
}

static volatile sig_atomic_t handled;
static void on_signal(int sig)
{
    (void)sig;
    handled++;
}

/*
 * A lock wait and a signal: SIGALRM without SA_RESTART ends it with EINTR; SIGUSR1 from another
 * process with SA_RESTART does not (the wait goes on until the lock is let go).
 */
static void lock_wait_signals(void)
{
    struct gate locked, release, waiting, got;
    gate_open(&locked);
    gate_open(&release);
    gate_open(&waiting);
    gate_open(&got);
    pid_t a = holder(F_WRLCK, 400, 1, &locked, &release);
    gate_wait(&locked);
    int fd = open_file();
    struct sigaction sa = {.sa_handler = on_signal};
    sigaction(SIGALRM, &sa, 0);
    alarm(1);
    T("setlkw interrupted by SIGALRM", setlk(fd, F_SETLKW, F_WRLCK, 400, 1));
    T("handler ran", handled);
    int lfd = open_file();
    flock(lfd, LOCK_SH);
    pid_t f = fork();
    if (f == 0) {
        int ffd = open_file();
        alarm(1);
        _exit(flock(ffd, LOCK_EX) == -1 && errno == EINTR ? 0 : 1);
    }
    T("flock EX in a child, interrupted by SIGALRM: EINTR", reap(f));
    close(lfd);
    pid_t b = fork();
    if (b == 0) {
        sigset_t block, old;
        sigemptyset(&block);
        sigaddset(&block, SIGUSR1);
        struct sigaction r = {.sa_handler = on_signal, .sa_flags = SA_RESTART};
        handled = 0;
        sigaction(SIGUSR1, &r, 0);
        int bfd = open_file();
        gate_pass(&waiting);
        int res = setlk(bfd, F_SETLKW, F_WRLCK, 400, 1);
        sigprocmask(SIG_BLOCK, &block, &old);
        while (!handled)
            sigsuspend(&old);
        _exit(res == 0 ? 0 : 10 + errno);
    }
    gate_wait(&waiting);
    kill(b, SIGUSR1);
    gate_pass(&release);
    reap(a);
    T("setlkw with SA_RESTART handler: locked after the holder left", reap(b));
    close(fd);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc != 2)
        return 2;
    snprintf(path, sizeof(path), "%s/lockfile", argv[1]);
    record_locks();
    deadlock();
    ofd_locks();
    lockf_calls();
    flocks();
    lock_wait_signals();
    say("done");
    return 0;
}
