/*
 * fork and wait corner cases, one scenario per run: mp_fork SCENARIO.
 *
 * Only the parent prints, and only once what it reports on is settled (children report
 * through pipes or their exit status; stdout is flushed before every fork), so the output is
 * deterministic. Pids are printed as relations ("... is the child: yes"), except on lines
 * starting with "raw:", which differ natively (host pids, init's adoption) and under gramine-ts
 * (virtual pids, vpid 1 adopts orphans); the test checks those one by one.
 */
#include "t.h"
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>

static const char *yesno(int b)
{
    return b ? "yes" : "no";
}

static void describe_status(char *buf, size_t n, int st)
{
    if (WIFEXITED(st))
        snprintf(buf, n, "exited %d", WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        snprintf(buf, n, "killed by signal %d%s", WTERMSIG(st), WCOREDUMP(st) ? " (core dumped)" : "");
    else
        snprintf(buf, n, "status 0x%x", st);
}

/* wait4(pid, options): "label: returned the child yes, exited N" or "label = -1 ENAME". */
static long reap_opts(const char *label, pid_t pid, pid_t expected, int options)
{
    int st = 0;
    errno = 0;
    long r = syscall(SYS_wait4, pid, &st, options, NULL);
    if (r <= 0) {
        show(label, r);
        return r;
    }
    char s[64];
    describe_status(s, sizeof(s), st);
    say("%s: returned the child %s, %s", label, yesno(r == expected), s);
    return r;
}

static long reap(const char *label, pid_t pid)
{
    return reap_opts(label, pid, pid, 0);
}

static void read_full(int fd, void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (char *)buf + got, n - got);
        if (r <= 0)
            die("read_full");
        got += (size_t)r;
    }
}

static pid_t xfork(void)
{
    fflush(stdout);
    pid_t p = fork();
    if (p < 0)
        die("fork");
    return p;
}

static void show_siginfo(const char *label, const siginfo_t *si, pid_t expected)
{
    const char *code = si->si_code == CLD_EXITED   ? "CLD_EXITED"
                       : si->si_code == CLD_KILLED ? "CLD_KILLED"
                       : si->si_code == CLD_DUMPED ? "CLD_DUMPED"
                       : si->si_code == 0          ? "0"
                                                   : "other";
    say("%s: si_signo %s, si_code %s, si_pid is the child %s, si_uid is ours %s, si_status %d", label,
        si->si_signo == SIGCHLD ? "SIGCHLD" : si->si_signo == 0 ? "0" : "other", code, yesno(si->si_pid == expected),
        yesno(si->si_uid == getuid()), si->si_status);
}

/*
 * Double fork: the grandchild outlives the child. Once the child is reaped, the grandchild's
 * parent is no longer the child: init (natively) or vpid 1 (gramine-ts) -- which is this
 * process, so under gramine-ts it can wait for the grandchild too.
 */
static void doublefork(void)
{
    int report[2], go[2], ready[2];
    if (pipe(report) || pipe(go) || pipe(ready))
        die("pipe");
    pid_t me = getpid();
    pid_t c = xfork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0) {
            close(report[0]);
            close(go[1]);
            close(ready[0]);
            pid_t before = getppid();
            /* the child waits for this before it exits */
            write(ready[1], &before, sizeof(before));
            close(ready[1]);
            char ch;
            /* the parent says go once the child has exited and has been reaped */
            if (read(go[0], &ch, 1) != 1)
                _exit(98);
            pid_t r[2] = {getpid(), getppid()};
            write(report[1], r, sizeof(r));
            _exit(7);
        }
        close(ready[1]);
        pid_t before;
        read_full(ready[0], &before, sizeof(before));
        pid_t r[2] = {g, before};
        write(report[1], r, sizeof(r));
        _exit(0);
    }
    close(report[1]);
    close(go[0]);
    close(ready[0]);
    close(ready[1]);
    pid_t gb[2];
    read_full(report[0], gb, sizeof(gb));
    pid_t g = gb[0];
    reap("wait4(child)", c);
    write(go[1], "x", 1);
    close(go[1]);
    /* natively: not our child (ECHILD); under gramine-ts our child since the child's exit */
    int st = 0;
    errno = 0;
    long w = syscall(SYS_wait4, -1, &st, 0, NULL);
    pid_t r[2];
    read_full(report[0], r, sizeof(r));
    say("grandchild: its pid is what the child's fork returned %s", yesno(r[0] == g));
    say("grandchild: getppid() before its parent exited was the child %s", yesno(gb[1] == c));
    say("grandchild: getppid() after its parent exited and was reaped is still the child %s", yesno(r[1] == c));
    say("raw: grandchild getppid() after is this process %s", yesno(r[1] == me));
    say("raw: getpid %d, child %d, grandchild %d, grandchild getppid after %d", me, c, g, r[1]);
    if (w > 0) {
        char s[64];
        describe_status(s, sizeof(s), st);
        say("raw: wait4(-1) for the re-parented grandchild: returned the grandchild %s, %s", yesno(w == g), s);
    } else {
        say("raw: wait4(-1) for the re-parented grandchild = %ld %s", w, ename(errno));
    }
    T("wait4(-1) at the end", syscall(SYS_wait4, -1, NULL, 0, NULL));
}

/*
 * The grandchild exits first and its parent (the child) exits without reaping it: the zombie
 * grandchild goes to init (natively, which reaps it) or vpid 1 (gramine-ts: this process, which
 * can reap it at once, with its status).
 */
static void zombie_orphan(void)
{
    int report[2];
    if (pipe(report))
        die("pipe");
    pid_t c = xfork();
    if (c == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(9);
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        /* a zombie now, and left unreaped */
        long r = syscall(SYS_waitid, P_PID, g, &si, WEXITED | WNOWAIT, NULL);
        write(report[1], &g, sizeof(g));
        _exit(r == 0 && si.si_pid == g && si.si_status == 9 ? 0 : 1);
    }
    close(report[1]);
    pid_t g;
    read_full(report[0], &g, sizeof(g));
    reap("wait4(child) (0: it saw its child as a zombie with WNOWAIT)", c);
    int st = 0;
    errno = 0;
    long w = syscall(SYS_wait4, g, &st, WNOHANG, NULL);
    if (w > 0) {
        char s[64];
        describe_status(s, sizeof(s), st);
        say("raw: wait4(grandchild, WNOHANG) after the child was reaped: returned the grandchild %s, %s", yesno(w == g), s);
    } else {
        say("raw: wait4(grandchild, WNOHANG) after the child was reaped = %ld %s", w, ename(errno));
    }
    T("wait4(-1, WNOHANG) at the end", syscall(SYS_wait4, -1, NULL, WNOHANG, NULL));
}

/* wait for the process group: waitpid(0), waitpid(-pgid), waitid(P_PGID) with the inherited group. */
static void pgrp(void)
{
    pid_t pgid = getpgrp();
    say("raw: getpgrp %d, getpid %d", pgid, getpid());
    int ha[2], hb[2];
    if (pipe(ha) || pipe(hb))
        die("pipe");
    pid_t a = xfork();
    if (a == 0) {
        char ch;
        close(ha[1]);
        close(hb[1]);
        while (read(ha[0], &ch, 1) > 0) {
        }
        _exit(getpgrp() == pgid ? 21 : 50);
    }
    pid_t b = xfork();
    if (b == 0) {
        char ch;
        close(ha[1]);
        close(hb[1]);
        while (read(hb[0], &ch, 1) > 0) {
        }
        _exit(getpgrp() == pgid ? 22 : 50);
    }
    close(ha[0]);
    close(hb[0]);
    T("waitpid(-(a group with none of our children), WNOHANG)", waitpid(-(pgid + 7), NULL, WNOHANG));
    T("waitpid(0, WNOHANG) while both run", waitpid(0, NULL, WNOHANG));
    T("waitpid(-pgid, WNOHANG) while both run", waitpid(-pgid, NULL, WNOHANG));
    /* a ends (b still blocks on its pipe): the group waits return a */
    close(ha[1]);
    reap_opts("waitpid(0) after the first child ends", 0, a, 0);
    close(hb[1]);
    reap_opts("waitpid(-pgid) after the second child ends", -pgid, b, 0);
    T("waitpid(0) with no children left", waitpid(0, NULL, 0));
    T("waitpid(-pgid) with no children left", waitpid(-pgid, NULL, 0));

    siginfo_t si;
    pid_t c = xfork();
    if (c == 0)
        _exit(23);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PGID, pgid, WEXITED)", syscall(SYS_waitid, P_PGID, pgid, &si, WEXITED, NULL));
    show_siginfo("waitid(P_PGID, pgid)", &si, c);
    pid_t d = xfork();
    if (d == 0)
        _exit(24);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PGID, 0 (our group), WEXITED)", syscall(SYS_waitid, P_PGID, 0, &si, WEXITED, NULL));
    show_siginfo("waitid(P_PGID, 0)", &si, d);
    T("waitid(P_PGID, pgid) with no children left", syscall(SYS_waitid, P_PGID, pgid, &si, WEXITED, NULL));
}

/*
 * WNOHANG before and after a child exits. The child runs until told through a pipe; that it
 * has become a zombie is learnt with a blocking waitid(WNOWAIT), not from the pipe: a pipe's
 * EOF comes when the child closes its files, before it is a zombie, natively as well.
 */
static void wnohang(void)
{
    T("wait4(-1, WNOHANG) with no children", syscall(SYS_wait4, -1, NULL, WNOHANG, NULL));
    int go[2];
    if (pipe(go))
        die("pipe");
    pid_t c = xfork();
    if (c == 0) {
        char ch;
        close(go[1]);
        _exit(read(go[0], &ch, 1) == 1 ? ch : 97);
    }
    close(go[0]);
    int st = 12345;
    T("wait4(child, WNOHANG) while it runs", syscall(SYS_wait4, c, &st, WNOHANG, NULL));
    say("status left untouched by a WNOHANG that found nothing: %s", yesno(st == 12345));
    T("wait4(-1, WNOHANG) while it runs", syscall(SYS_wait4, -1, NULL, WNOHANG, NULL));
    T("wait4(0, WNOHANG) while it runs", syscall(SYS_wait4, 0, NULL, WNOHANG, NULL));
    siginfo_t si;
    memset(&si, 0x5a, sizeof(si));
    T("waitid(P_PID, child, WEXITED|WNOHANG) while it runs", syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOHANG, NULL));
    say("siginfo after a WNOHANG waitid that found nothing: si_signo %d, si_code %d, si_pid %d, si_status %d",
        si.si_signo, si.si_code, si.si_pid, si.si_status);
    memset(&si, 0x5a, sizeof(si));
    T("waitid(P_ALL, WEXITED|WNOHANG) while it runs", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOHANG, NULL));
    say("siginfo: si_signo %d, si_pid %d", si.si_signo, si.si_pid);
    write(go[1], "\x21", 1);
    close(go[1]);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, child, WEXITED|WNOWAIT) (blocks until it is a zombie)",
      syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOWAIT, NULL));
    show_siginfo("waitid WNOWAIT", &si, c);
    reap_opts("wait4(child, WNOHANG) once it exited", c, c, WNOHANG);
    T("wait4(child, WNOHANG) once reaped", syscall(SYS_wait4, c, NULL, WNOHANG, NULL));
    T("wait4(-1, WNOHANG) once reaped", syscall(SYS_wait4, -1, NULL, WNOHANG, NULL));
}

/* waitid with WNOWAIT leaves the child waitable: again, by another waitid, then by wait4. */
static void nowait(void)
{
    pid_t c = xfork();
    if (c == 0)
        _exit(42);
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, child, WEXITED|WNOWAIT)", syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOWAIT, NULL));
    show_siginfo("first WNOWAIT", &si, c);
    memset(&si, 0, sizeof(si));
    T("waitid(P_ALL, WEXITED|WNOWAIT) again", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED | WNOWAIT, NULL));
    show_siginfo("second WNOWAIT", &si, c);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PGID, 0, WEXITED|WNOWAIT|WNOHANG) again", syscall(SYS_waitid, P_PGID, 0, &si, WEXITED | WNOWAIT | WNOHANG, NULL));
    show_siginfo("third WNOWAIT", &si, c);
    reap("wait4(child) after the WNOWAITs", c);
    T("waitid(P_PID, child, WEXITED|WNOHANG) once reaped", syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOHANG, NULL));

    /* with two zombies, WNOWAIT on one leaves both; each wait4 by pid takes its own */
    pid_t d = xfork();
    if (d == 0)
        _exit(43);
    pid_t e = xfork();
    if (e == 0)
        _exit(44);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, second, WEXITED|WNOWAIT)", syscall(SYS_waitid, P_PID, e, &si, WEXITED | WNOWAIT, NULL));
    show_siginfo("WNOWAIT on the second", &si, e);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, first, WEXITED|WNOWAIT)", syscall(SYS_waitid, P_PID, d, &si, WEXITED | WNOWAIT, NULL));
    show_siginfo("WNOWAIT on the first", &si, d);
    reap("wait4(second)", e);
    reap("wait4(first)", d);
    T("wait4(-1) at the end", syscall(SYS_wait4, -1, NULL, 0, NULL));
}

/* How a child ends, as wait4's status and as waitid's siginfo. */
static void status(void)
{
    static const char *const what[] = {
        "exit(3)", "exit(259)", "_exit(0)", "abort()", "raise(SIGTERM)", "raise(SIGUSR1)", "kill(getpid(), SIGKILL)",
        "a NULL pointer write",
    };
    for (int i = 0; i < (int)(sizeof(what) / sizeof(what[0])); i++) {
        pid_t c = xfork();
        if (c == 0) {
            /* no core file, natively either */
            struct rlimit rl = {0, 0};
            setrlimit(RLIMIT_CORE, &rl);
            switch (i) {
            case 0:
                exit(3);
            case 1:
                exit(259);
            case 2:
                _exit(0);
            case 3:
                abort();
            case 4:
                raise(SIGTERM);
                break;
            case 5:
                raise(SIGUSR1);
                break;
            case 6:
                kill(getpid(), SIGKILL);
                break;
            case 7:
                *(volatile int *)0 = 1;
                break;
            }
            _exit(90);
        }
        siginfo_t si;
        memset(&si, 0, sizeof(si));
        if (syscall(SYS_waitid, P_PID, c, &si, WEXITED | WNOWAIT, NULL) != 0)
            die("waitid");
        char label[96];
        snprintf(label, sizeof(label), "%s: waitid", what[i]);
        show_siginfo(label, &si, c);
        int st = 0;
        if (syscall(SYS_wait4, c, &st, 0, NULL) != c)
            die("wait4");
        say("%s: wait4 status 0x%x: WIFEXITED %d WEXITSTATUS %d WIFSIGNALED %d WTERMSIG %d WCOREDUMP %d WIFSTOPPED %d",
            what[i], st, WIFEXITED(st) != 0, WEXITSTATUS(st), WIFSIGNALED(st) != 0, WIFSIGNALED(st) ? WTERMSIG(st) : 0,
            WCOREDUMP(st) != 0, WIFSTOPPED(st) != 0);
    }
}

/* vfork: the child execs /bin/echo (its output comes before the parent's next line), or exits. */
static void vfork_exec(void)
{
    say("before vfork");
    fflush(stdout);
    pid_t v = vfork();
    if (v == 0) {
        execl("/bin/echo", "echo", "echo from the vfork child:", "", "two  spaces", "last", (char *)NULL);
        _exit(127);
    }
    reap("vfork + exec /bin/echo", v);
    v = vfork();
    if (v == 0) {
        execl("/bin/sh", "sh", "-c", "echo \"sh from the vfork child: $0 $1\"; exit 12", "zero", "one", (char *)NULL);
        _exit(127);
    }
    reap("vfork + exec /bin/sh -c 'exit 12'", v);
    v = vfork();
    if (v == 0)
        _exit(5);
    reap("vfork + _exit(5)", v);
    v = vfork();
    if (v == 0) {
        execl("/nonexistent/echo", "echo", (char *)NULL);
        _exit(errno == ENOENT ? 127 : 126);
    }
    reap("vfork + exec of a missing program (127: ENOENT)", v);
}

/* Many children at once, reaped in whatever order: every pid once, each with its own status. */
static void many(void)
{
    enum { N = 16 };
    pid_t pids[N];
    for (int i = 0; i < N; i++) {
        pids[i] = xfork();
        if (pids[i] == 0)
            _exit(100 + i);
    }
    int distinct = 1;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < i; j++)
            if (pids[i] == pids[j])
                distinct = 0;
    say("%d children with distinct pids: %s", N, yesno(distinct));
    int seen[N] = {0}, ok = 1, reaped = 0;
    for (;;) {
        int st;
        long r = syscall(SYS_wait4, -1, &st, 0, NULL);
        if (r < 0)
            break;
        reaped++;
        int k = -1;
        for (int i = 0; i < N; i++)
            if (pids[i] == r)
                k = i;
        if (k < 0 || seen[k] || !WIFEXITED(st) || WEXITSTATUS(st) != 100 + k)
            ok = 0;
        else
            seen[k] = 1;
    }
    say("reaped %d, each pid once with its own status: %s, then %s", reaped, yesno(ok), ename(errno));
}

/* A chain of processes, each the parent of the next: statuses add up on the way back. */
static int chain_level(int depth)
{
    if (depth == 0)
        return 0;
    pid_t me = getpid();
    pid_t c = xfork();
    if (c == 0) {
        if (getppid() != me)
            _exit(200);
        _exit(chain_level(depth - 1));
    }
    int st;
    if (waitpid(c, &st, 0) != c || !WIFEXITED(st))
        return 201;
    return WEXITSTATUS(st) + 1;
}

static void chain(void)
{
    say("a chain of 6 processes returns %d", chain_level(6));
}

int main(int argc, char **argv)
{
    t_init();
    if (argc != 2) {
        fprintf(stderr, "usage: mp_fork SCENARIO\n");
        return 2;
    }
    const char *s = argv[1];
    if (!strcmp(s, "doublefork"))
        doublefork();
    else if (!strcmp(s, "zombie-orphan"))
        zombie_orphan();
    else if (!strcmp(s, "pgrp"))
        pgrp();
    else if (!strcmp(s, "wnohang"))
        wnohang();
    else if (!strcmp(s, "nowait"))
        nowait();
    else if (!strcmp(s, "status"))
        status();
    else if (!strcmp(s, "vfork"))
        vfork_exec();
    else if (!strcmp(s, "many"))
        many();
    else if (!strcmp(s, "chain"))
        chain();
    else {
        fprintf(stderr, "unknown scenario %s\n", s);
        return 2;
    }
    say("done");
    return 0;
}
