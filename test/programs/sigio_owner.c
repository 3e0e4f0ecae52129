/*
 * F_SETOWN / F_GETOWN and their _EX forms name the process (or thread) that gets an fd's SIGIO:
 * the program's own pid and tid, as it knows them, and its process group (every process of the
 * group gets it); SIGIO arrives with the fd in its siginfo.
 */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/socket.h>
#include <limits.h>
#include <sys/wait.h>
#include <time.h>

static void got_sigio(const char *label, int fd)
{
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    struct timespec wait = {10, 0};
    siginfo_t si;
    int sig = sigtimedwait(&set, &si, &wait);
    printf("%s: %s, si_code %d, si_fd is the socket: %s\n", label, sig == SIGIO ? "SIGIO" : "nothing", sig == SIGIO ? si.si_code : -1,
           sig == SIGIO && si.si_fd == fd ? "yes" : "no");
}

int main(void)
{
    t_init();
    int s[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, s) != 0)
        die("socketpair");
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGIO);
    sigprocmask(SIG_BLOCK, &set, NULL);

    T("F_GETOWN before", fcntl(s[0], F_GETOWN));
    T("F_SETOWN(getpid())", fcntl(s[0], F_SETOWN, getpid()));
    say("F_GETOWN == getpid(): %s", fcntl(s[0], F_GETOWN) == getpid() ? "yes" : "no");
    T("F_SETSIG(SIGIO)", fcntl(s[0], F_SETSIG, SIGIO));
    T("F_SETFL(O_ASYNC|O_NONBLOCK)", fcntl(s[0], F_SETFL, O_ASYNC | O_NONBLOCK));
    T("write", write(s[1], "x", 1));
    got_sigio("owner pid", s[0]);
    char c;
    T("read", read(s[0], &c, 1));

    struct f_owner_ex ex = {F_OWNER_TID, (pid_t)syscall(SYS_gettid)};
    T("F_SETOWN_EX(F_OWNER_TID, gettid())", fcntl(s[0], F_SETOWN_EX, &ex));
    ex.type = -1;
    ex.pid = 0;
    T("F_GETOWN_EX", fcntl(s[0], F_GETOWN_EX, &ex));
    say("F_GETOWN_EX: type F_OWNER_TID %s, pid == gettid(): %s", ex.type == F_OWNER_TID ? "yes" : "no",
        ex.pid == syscall(SYS_gettid) ? "yes" : "no");
    T("write", write(s[1], "y", 1));
    got_sigio("owner tid", s[0]);

    /* a process group: its own (every process of it gets SIGIO, a forked child too) */
    T("read", read(s[0], &c, 1));
    /* (a session leader, as vpid 1 of an instance is, leads its group already) */
    say("a group of its own: %s", setpgid(0, 0) == 0 || getpgrp() == getpid() ? "yes" : "no");
    T("F_SETOWN(-getpgrp())", fcntl(s[0], F_SETOWN, -getpgrp()));
    say("F_GETOWN == -getpgrp(): %s", fcntl(s[0], F_GETOWN) == -getpgrp() ? "yes" : "no");
    ex.type = -1;
    T("F_GETOWN_EX", fcntl(s[0], F_GETOWN_EX, &ex));
    say("F_GETOWN_EX: type F_OWNER_PGRP %s, pid == getpgrp(): %s", ex.type == F_OWNER_PGRP ? "yes" : "no",
        ex.pid == getpgrp() ? "yes" : "no");
    int ready[2];
    if (pipe(ready))
        die("pipe");
    pid_t child = fork();
    if (child == 0) {
        close(ready[0]);
        if (write(ready[1], "r", 1) != 1)
            _exit(3);
        struct timespec wait = {10, 0};
        siginfo_t si;
        _exit(sigtimedwait(&set, &si, &wait) == SIGIO && si.si_fd == s[0] ? 0 : 1);
    }
    close(ready[1]);
    T("child ready", read(ready[0], &c, 1));
    T("write", write(s[1], "z", 1));
    got_sigio("owner group", s[0]);
    int status = -1;
    waitpid(child, &status, 0);
    say("the child in the group got SIGIO: %s", WIFEXITED(status) && WEXITSTATUS(status) == 0 ? "yes" : "no");
    T("read", read(s[0], &c, 1));
    ex.type = F_OWNER_PGRP;
    ex.pid = getpgrp();
    T("F_SETOWN_EX(F_OWNER_PGRP, getpgrp())", fcntl(s[0], F_SETOWN_EX, &ex));
    T("write", write(s[1], "w", 1));
    got_sigio("owner group (_EX)", s[0]);
    T("F_SETOWN(no such group)", fcntl(s[0], F_SETOWN, -99999999));
    T("F_SETOWN(INT_MIN)", fcntl(s[0], F_SETOWN, INT_MIN));

    T("F_SETOWN(no such pid)", fcntl(s[0], F_SETOWN, 99999999));
    ex.type = 77;
    T("F_SETOWN_EX(bad type)", fcntl(s[0], F_SETOWN_EX, &ex));
    T("F_SETOWN(0)", fcntl(s[0], F_SETOWN, 0));
    T("F_GETOWN after 0", fcntl(s[0], F_GETOWN));
    return 0;
}
