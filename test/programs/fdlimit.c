/*
 * The top of the fd space: RLIMIT_NOFILE as the app sees it, and fds at and above it. Under
 * gramine-ts the stub keeps 16 host fds at the top for itself; the app's RLIMIT_NOFILE ends
 * below them, so every fd at or above the limit must behave as natively: not open, and not
 * openable. The "NOFILE" line differs by design and is checked by the test; the rest is
 * compared with the native run.
 *
 * Scenario "lowered" (argv[1]): the program lowers its own RLIMIT_NOFILE and checks that the
 * new limit holds.
 */
#include "t.h"
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>

static void at_limit(void)
{
    struct rlimit l;
    if (syscall(SYS_getrlimit, RLIMIT_NOFILE, &l) != 0)
        die("getrlimit");
    say("NOFILE soft %llu hard %llu", (unsigned long long)l.rlim_cur, (unsigned long long)l.rlim_max);
    long L = (long)l.rlim_cur;
    struct stat st;
    char label[80];

    T("dup2(0, limit)", syscall(SYS_dup2, 0, L));
    T("dup2(0, limit + 1)", syscall(SYS_dup2, 0, L + 1));
    T("dup3(0, limit, 0)", syscall(SYS_dup3, 0, L, 0));
    T("dup3(0, limit, O_CLOEXEC)", syscall(SYS_dup3, 0, L, O_CLOEXEC));
    T("fcntl(0, F_DUPFD, limit)", syscall(SYS_fcntl, 0, F_DUPFD, L));
    T("fcntl(0, F_DUPFD_CLOEXEC, limit)", syscall(SYS_fcntl, 0, F_DUPFD_CLOEXEC, L));
    say("dup2(0, limit - 1) = %s", syscall(SYS_dup2, 0, L - 1) == L - 1 ? "limit - 1" : ename(errno));
    T("close(limit - 1)", syscall(SYS_close, L - 1));
    say("fcntl(0, F_DUPFD, limit - 1) = %s", syscall(SYS_fcntl, 0, F_DUPFD, L - 1) == L - 1 ? "limit - 1" : ename(errno));
    T("close(limit - 1)", syscall(SYS_close, L - 1));
    for (long fd = L; fd < L + 16; fd++) {
        snprintf(label, sizeof(label), "limit + %ld: close, fstat, fcntl(F_GETFD), dup", fd - L);
        errno = 0;
        long r1 = syscall(SYS_close, fd);
        int e1 = errno;
        long r2 = syscall(SYS_fstat, fd, &st);
        int e2 = errno;
        long r3 = syscall(SYS_fcntl, fd, F_GETFD);
        int e3 = errno;
        long r4 = syscall(SYS_dup, fd);
        int e4 = errno;
        say("%s = %ld %s, %ld %s, %ld %s, %ld %s", label, r1, ename(e1), r2, ename(e2), r3, ename(e3), r4, ename(e4));
    }
    T("getdents64(limit)", syscall(SYS_getdents64, L, (char[256]){0}, 256));
    T("newfstatat(limit, \"\", AT_EMPTY_PATH)", syscall(SYS_newfstatat, L, "", &st, AT_EMPTY_PATH));
    T("openat(limit, \"x\")", syscall(SYS_openat, L, "x", O_RDONLY));
    T("close_range(limit, limit + 15, 0)", syscall(SYS_close_range, L, L + 15, 0));
    T("close_range(3, ~0U, 0)", syscall(SYS_close_range, 3, ~0U, 0));
    /* the process still works after all that */
    T("getppid() >= 0", getppid() >= 0);
    int fd = (int)syscall(SYS_open, "/", O_RDONLY | O_DIRECTORY);
    say("open(/) = %d", fd);
    close(fd);
    /* the data plane on fds at the limit (these calls are not trapped) */
    T("lseek(limit, 0, SEEK_CUR)", lseek((int)L, 0, SEEK_CUR));
    T("ioctl(limit, FIONREAD)", ({
          int n;
          syscall(SYS_ioctl, L, FIONREAD, &n);
      }));
    T("fchmod(limit, 0600)", syscall(SYS_fchmod, L, 0600));
    T("getppid() >= 0", getppid() >= 0);
    /* fds are ints: the kernel ignores the upper 32 bits of the register */
    T("close(limit | 1 << 32)", syscall(SYS_close, (1L << 32) | L));
    T("dup2(0, limit | 1 << 32)", syscall(SYS_dup2, 0, (1L << 32) | L));
    T("fstat(limit | 1 << 32)", syscall(SYS_fstat, (1L << 32) | L, &st));
    T("getppid() >= 0", getppid() >= 0);
}

/* The limit the program sets is the limit it gets. */
static void lowered(void)
{
    struct rlimit l;
    syscall(SYS_getrlimit, RLIMIT_NOFILE, &l);
    struct rlimit low = {64, l.rlim_max};
    T("setrlimit(RLIMIT_NOFILE, 64)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &low));
    syscall(SYS_getrlimit, RLIMIT_NOFILE, &l);
    say("NOFILE soft now %llu", (unsigned long long)l.rlim_cur);
    T("dup2(0, 63)", syscall(SYS_dup2, 0, 63));
    T("dup2(0, 64)", syscall(SYS_dup2, 0, 64));
    T("fcntl(0, F_DUPFD, 64)", syscall(SYS_fcntl, 0, F_DUPFD, 64));
    int opened = 0, last_errno = 0;
    int fds[200];
    for (int i = 0; i < 200; i++) {
        fds[i] = (int)syscall(SYS_open, "/", O_RDONLY | O_DIRECTORY);
        if (fds[i] < 0) {
            last_errno = errno;
            break;
        }
        opened++;
    }
    say("opened %d fds before %s", opened, last_errno ? ename(last_errno) : "stopping at 200");
    for (int i = 0; i < opened; i++)
        close(fds[i]);
    struct rlimit back = {l.rlim_max, l.rlim_max};
    T("setrlimit(RLIMIT_NOFILE, back to the hard limit)", syscall(SYS_setrlimit, RLIMIT_NOFILE, &back));
    T("dup2(0, 64) now", syscall(SYS_dup2, 0, 64));
}

int main(int argc, char **argv)
{
    t_init();
    if (argc > 1 && strcmp(argv[1], "lowered") == 0)
        lowered();
    else
        at_limit();
    say("done");
    return 0;
}
