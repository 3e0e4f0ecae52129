/*
 * Host and domain names (sethostname, setdomainname, uname): set by root, seen by the process
 * and by those it makes afterwards (a forked child, an exec'd program), refused to others
 * (EPERM), checked as Linux checks them. Run natively in a UTS namespace of its own
 * (`unshare -u`), so the host's name does not change; under gramine-ts as is.
 *
 *   uts          the checks, one line each
 *   uts show     (exec'd by the checks) print uname's nodename and domainname
 */
#include "t.h"
#include <sys/utsname.h>
#include <sys/wait.h>

static void show_names(const char *who)
{
    struct utsname u;
    T("uname", uname(&u));
    say("%s: nodename %s, domainname %s", who, u.nodename, u.domainname);
}

int main(int argc, char **argv)
{
    t_init();
    if (argc == 2 && !strcmp(argv[1], "show")) {
        show_names("exec'd");
        return 0;
    }
    T("sethostname(gts-uts-test)", sethostname("gts-uts-test", 12));
    T("setdomainname(example.org)", setdomainname("example.org", 11));
    show_names("itself");
    char got[65] = {0};
    T("gethostname", gethostname(got, sizeof(got)));
    say("gethostname: %s", got);
    /* not NUL-terminated: the length decides */
    T("sethostname(abcdef, 3)", sethostname("abcdef", 3));
    show_names("after 3 bytes");
    char longest[65];
    memset(longest, 'h', 64);
    longest[64] = 0;
    T("sethostname(64 bytes)", sethostname(longest, 64));
    show_names("64 bytes");
    T("sethostname(65 bytes)", sethostname(longest, 65));
    T("sethostname(-1)", syscall(SYS_sethostname, "x", -1));
    T("sethostname(bad pointer)", syscall(SYS_sethostname, (char *)8, 4));
    T("setdomainname(65 bytes)", setdomainname(longest, 65));
    T("sethostname(gts-uts-child)", sethostname("gts-uts-child", 13));
    pid_t pid = fork();
    if (pid == 0) {
        show_names("forked child");
        /* an unprivileged process may not */
        T("setresuid(1000)", syscall(SYS_setresuid, 1000, 1000, 1000));
        T("sethostname(as uid 1000)", sethostname("nope", 4));
        T("setdomainname(as uid 1000)", setdomainname("nope", 4));
        show_names("forked child, after");
        execl("/proc/self/exe", argv[0], "show", (char *)0);
        _exit(127);
    }
    int st;
    waitpid(pid, &st, 0);
    say("child exit status %d", WEXITSTATUS(st));
    show_names("itself, at the end");
    say("done");
    return 0;
}
