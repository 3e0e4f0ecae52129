/*
 * Processes: fork, vfork, clone (as fork), execve, execveat, wait4, waitid, and what a child
 * inherits. Only the parent prints, and only once the child it talks about is reaped (children
 * report through pipes or their exit status), so the output is deterministic. Pids are printed
 * as relations. argv[1] is a scratch directory.
 */
#include "t.h"
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>

extern char **environ;

static const char *S;
/* volatile: the compiler must not see (and warn about) the bad pointer */
static char **volatile bad_argv = (char **)1;
static volatile sig_atomic_t sigchld_count;
static volatile int sigchld_code, sigchld_pid;

static void on_sigchld(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    sigchld_count++;
    sigchld_code = si->si_code;
    sigchld_pid = si->si_pid;
}

static void show_status(const char *label, int st)
{
    if (WIFEXITED(st))
        say("%s: exited %d", label, WEXITSTATUS(st));
    else if (WIFSIGNALED(st))
        say("%s: killed by signal %d", label, WTERMSIG(st));
    else
        say("%s: status 0x%x", label, st);
}

/* wait4 for `pid`, printing whether it returned that pid and the status. */
static void reap(const char *label, pid_t pid)
{
    int st = 0;
    errno = 0;
    long r = syscall(SYS_wait4, pid, &st, 0, NULL);
    if (r < 0) {
        show(label, r);
        return;
    }
    char l[128];
    snprintf(l, sizeof(l), "%s (wait4 returned the child: %s)", label, r == pid ? "yes" : "no");
    show_status(l, st);
}

/* Read everything from fd until EOF. */
static size_t slurp(int fd, char *buf, size_t cap)
{
    size_t n = 0;
    for (;;) {
        ssize_t r = read(fd, buf + n, cap - 1 - n);
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    buf[n] = 0;
    return n;
}

static void basics(void)
{
    pid_t me = getpid();
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    long child = syscall(SYS_fork);
    if (child == 0) {
        char msg[128];
        int n = snprintf(msg, sizeof(msg), "child: pid differs %s, getppid is the parent %s, fork returned 0",
                         getpid() != me ? "yes" : "no", getppid() == me ? "yes" : "no");
        write(p[1], msg, (size_t)n);
        _exit(3);
    }
    say("fork() in the parent returned a pid: %s", child > 0 ? "yes" : ename(errno));
    close(p[1]);
    char buf[256];
    slurp(p[0], buf, sizeof(buf));
    close(p[0]);
    say("%s", buf);
    reap("fork child", (pid_t)child);
    T("wait4(-1) with no children", syscall(SYS_wait4, -1, NULL, 0, NULL));
    T("wait4(4000000)", syscall(SYS_wait4, 4000000, NULL, 0, NULL));
    T("wait4(-1, bad options)", syscall(SYS_wait4, -1, NULL, 0x40000000, NULL));

    /* vfork: the child only execs or exits */
    pid_t v = vfork();
    if (v == 0)
        _exit(4);
    reap("vfork child", v);
    v = vfork();
    if (v == 0) {
        char *args[] = {"true", NULL};
        execve("/bin/true", args, environ);
        _exit(127);
    }
    reap("vfork + execve(/bin/true)", v);

    /* clone with only an exit signal: a fork */
    long c = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);
    if (c == 0)
        _exit(5);
    reap("clone(SIGCHLD) child", (pid_t)c);
}

static pid_t spawn_exec(const char *path, char **argv, int out_fd)
{
    pid_t pid = (pid_t)syscall(SYS_fork);
    if (pid == 0) {
        if (out_fd >= 0) {
            dup2(out_fd, 1);
            close(out_fd);
        }
        syscall(SYS_execve, path, argv, environ);
        int e = errno;
        /* report the exec failure through the exit status */
        _exit(e == ENOENT ? 127 : e == EACCES ? 126 : e == EFAULT ? 125 : e == E2BIG ? 124 : 120);
    }
    return pid;
}

static void exec(void)
{
    char *sh_args[] = {"sh", "-c", "echo \"exec'd as $0 with $1\"; exit 6", "zero", "one", NULL};
    reap("execve(/bin/sh -c ...)", spawn_exec("/bin/sh", sh_args, -1));
    char *true_args[] = {"true", NULL};
    reap("execve(missing) (127: ENOENT)", spawn_exec("/nonexistent/program", true_args, -1));
    int fd = open("plain", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    write(fd, "#!/bin/sh\necho no\n", 18);
    close(fd);
    reap("execve(non-executable file) (126: EACCES)", spawn_exec("plain", true_args, -1));
    reap("execve(directory) (126: EACCES)", spawn_exec("/usr", true_args, -1));
    reap("execve(bad path pointer) (125: EFAULT)", spawn_exec((const char *)1, true_args, -1));
    reap("execve(bad argv pointer) (125: EFAULT)", spawn_exec("/bin/true", bad_argv, -1));
    fd = open("script", O_WRONLY | O_CREAT | O_TRUNC, 0755);
    const char *script = "#!/bin/sh\necho \"script $0 $*\"\nexit 8\n";
    write(fd, script, strlen(script));
    close(fd);
    char *script_args[] = {"ignored-argv0", "x", "y", NULL};
    reap("execve(relative #! script)", spawn_exec("script", script_args, -1));
    pid_t pid = (pid_t)syscall(SYS_fork);
    if (pid == 0) {
        char *args[] = {"sh", "-c", "exit 9", NULL};
        syscall(SYS_execveat, AT_FDCWD, "/bin/sh", args, environ, 0);
        _exit(120);
    }
    reap("execveat(AT_FDCWD, /bin/sh)", pid);
    T("execveat(bad flags)", syscall(SYS_execveat, AT_FDCWD, "/bin/true", true_args, environ, 0x1));

    /* an exec'd program's output, its environment, cwd and umask come from the parent */
    int p[2];
    pipe(p);
    setenv("GTS_CHILD_VAR", "inherited", 1);
    umask(027);
    char *env_args[] = {"sh", "-c", "echo \"$GTS_CHILD_VAR\"; pwd; umask", NULL};
    pid = spawn_exec("/bin/sh", env_args, p[1]);
    close(p[1]);
    char buf[4096];
    slurp(p[0], buf, sizeof(buf));
    close(p[0]);
    reap("child with env, cwd and umask", pid);
    char expected[4096];
    snprintf(expected, sizeof(expected), "inherited\n%s\n0027\n", S);
    say("child saw the parent's env, cwd and umask: %s", strcmp(buf, expected) == 0 ? "yes" : buf);
    umask(022);

    /* fds: inherited across exec unless close-on-exec */
    int keep[2], drop[2];
    pipe(keep);
    pipe2(drop, O_CLOEXEC);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "echo kept >&%d; { echo dropped >&%d; } 2>/dev/null; exit 0", keep[1], drop[1]);
    char *fd_args[] = {"sh", "-c", cmd, NULL};
    pid = spawn_exec("/bin/sh", fd_args, -1);
    close(keep[1]);
    close(drop[1]);
    char k[64], d[64];
    slurp(keep[0], k, sizeof(k));
    slurp(drop[0], d, sizeof(d));
    reap("child writing to inherited fds", pid);
    say("through the inherited fd: \"%s\", through the close-on-exec fd: \"%s\"", strtok(k, "\n") ? k : "", d);
    close(keep[0]);
    close(drop[0]);
}

static void waiting(void)
{
    /* SIGCHLD: delivered by the time wait returns the child */
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_sigchld;
    sa.sa_flags = SA_SIGINFO | SA_RESTART;
    sigaction(SIGCHLD, &sa, NULL);
    /* WNOHANG on a running child, then the real wait */
    int go[2];
    pipe(go);
    pid_t pid = (pid_t)syscall(SYS_fork);
    if (pid == 0) {
        char c;
        close(go[1]);
        read(go[0], &c, 1);
        _exit(c);
    }
    close(go[0]);
    T("wait4(child, WNOHANG) while it runs", syscall(SYS_wait4, pid, NULL, WNOHANG, NULL));
    siginfo_t si;
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, child, WEXITED|WNOHANG) while it runs", syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOHANG, NULL));
    say("si_pid after WNOHANG = %d", si.si_pid);
    write(go[1], "\x0b", 1);
    close(go[1]);
    memset(&si, 0, sizeof(si));
    T("waitid(P_PID, child, WEXITED|WNOWAIT)", syscall(SYS_waitid, P_PID, pid, &si, WEXITED | WNOWAIT, NULL));
    say("waitid: si_pid is the child %s, si_code %s, si_status %d", si.si_pid == pid ? "yes" : "no",
        si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status);
    memset(&si, 0, sizeof(si));
    T("waitid(P_ALL, WEXITED)", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL));
    say("waitid: si_pid is the child %s, si_status %d", si.si_pid == pid ? "yes" : "no", si.si_status);
    say("SIGCHLD for a child's exit: received %s, si_code %s, si_pid is the child %s", sigchld_count == 1 ? "once" : "not once",
        sigchld_code == CLD_EXITED ? "CLD_EXITED" : "other", sigchld_pid == pid ? "yes" : "no");
    T("waitid(P_ALL, WEXITED) again", syscall(SYS_waitid, P_ALL, 0, &si, WEXITED, NULL));
    T("waitid(P_PID, bad options)", syscall(SYS_waitid, P_PID, pid, &si, 0, NULL));
    T("waitid(99, ...)", syscall(SYS_waitid, 99, 0, &si, WEXITED, NULL));

    /* a child killed by a signal; SIGCHLD tells the parent */
    sigchld_count = 0;
    int hold[2];
    pipe(hold);
    pid = (pid_t)syscall(SYS_fork);
    if (pid == 0) {
        char c;
        close(hold[1]);
        read(hold[0], &c, 1);
        _exit(0);
    }
    close(hold[0]);
    T("kill(child, SIGTERM)", syscall(SYS_kill, pid, SIGTERM));
    /* the child ends either way: killed, or at EOF on its pipe if the signal did not reach it */
    close(hold[1]);
    reap("child killed with SIGTERM", pid);
    say("SIGCHLD: received %s, si_code %s, si_pid is the child %s", sigchld_count >= 1 ? "yes" : "no",
        sigchld_code == CLD_KILLED ? "CLD_KILLED" : "other", sigchld_pid == pid ? "yes" : "no");
    T("kill(reaped child, 0)", syscall(SYS_kill, pid, 0));

    /* three children, reaped in any order */
    int sum = 0, reaped = 0;
    for (int i = 1; i <= 3; i++)
        if (syscall(SYS_fork) == 0)
            _exit(i * 10);
    for (;;) {
        int st;
        long r = syscall(SYS_wait4, -1, &st, 0, NULL);
        if (r < 0)
            break;
        reaped++;
        sum += WEXITSTATUS(st);
    }
    say("three children: reaped %d, statuses add up to %d, then %s", reaped, sum, ename(errno));

}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || chdir(argv[1]) != 0)
        die("chdir scratch");
    S = argv[1];
    basics();
    exec();
    waiting();
    say("done");
    return 0;
}
