/*
 * Bad pointers in system call arguments: each call must fail with EFAULT (and never crash the
 * program or the LibOS). argv[1] is a scratch directory.
 */
#include "t.h"
#include <fcntl.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

/* volatile: the compiler must not see (and warn about) the bad pointer */
static void *volatile bad_ptr = (void *)1;
#define BAD (bad_ptr)

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2 || chdir(argv[1]) != 0)
        die("chdir scratch");
    struct stat st;
    char buf[256];
    int fd = open("file", O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0 || write(fd, "content\n", 8) != 8 || symlink("file", "link") != 0)
        die("setup");

    T("stat(BAD, &st)", stat(BAD, &st));
    T("stat(\"/\", BAD)", stat("/", BAD));
    T("lstat(BAD, &st)", lstat(BAD, &st));
    T("lstat(\"link\", BAD)", lstat("link", BAD));
    T("open(BAD, O_RDONLY)", open(BAD, O_RDONLY));
    T("openat(AT_FDCWD, BAD)", syscall(SYS_openat, AT_FDCWD, BAD, O_RDONLY, 0));
    T("creat(BAD)", creat(BAD, 0644));
    T("readlink(\"link\", BAD, 64)", readlink("link", BAD, 64));
    T("readlink(BAD, buf, 64)", readlink(BAD, buf, sizeof(buf)));
    T("getcwd(BAD, 4096)", syscall(SYS_getcwd, BAD, 4096));
    T("uname(BAD)", syscall(SYS_uname, BAD));
    T("fstat(fd, BAD)", syscall(SYS_fstat, fd, BAD));
    T("newfstatat(fd, \"\", BAD, AT_EMPTY_PATH)", syscall(SYS_newfstatat, fd, "", BAD, AT_EMPTY_PATH));
    T("newfstatat(AT_FDCWD, \"file\", BAD, 0)", syscall(SYS_newfstatat, AT_FDCWD, "file", BAD, 0));
    T("statx(AT_FDCWD, \"file\", 0, MASK, BAD)",
      syscall(SYS_statx, AT_FDCWD, "file", 0, 0x7ff, BAD));
    T("statx(AT_FDCWD, BAD, ...)", syscall(SYS_statx, AT_FDCWD, BAD, 0, 0x7ff, buf));
    T("statfs(\"/\", BAD)", syscall(SYS_statfs, "/", BAD));
    T("access(BAD, F_OK)", access(BAD, F_OK));
    T("faccessat2(AT_FDCWD, BAD)", syscall(SYS_faccessat2, AT_FDCWD, BAD, F_OK, 0));
    T("mkdir(BAD)", mkdir(BAD, 0755));
    T("rmdir(BAD)", rmdir(BAD));
    T("unlink(BAD)", unlink(BAD));
    T("rename(BAD, \"x\")", rename(BAD, "x"));
    T("rename(\"file\", BAD)", rename("file", BAD));
    T("link(\"file\", BAD)", link("file", BAD));
    T("symlink(BAD, \"x\")", symlink(BAD, "x"));
    T("chmod(BAD)", chmod(BAD, 0644));
    T("chown(BAD)", chown(BAD, 0, 0));
    T("truncate(BAD)", truncate(BAD, 0));
    T("chdir(BAD)", chdir(BAD));
    T("utimensat(AT_FDCWD, \"file\", BAD, 0)", syscall(SYS_utimensat, AT_FDCWD, "file", BAD, 0));
    T("getxattr(\"file\", BAD, buf, 64)", syscall(SYS_getxattr, "file", BAD, buf, 64));
    T("getrlimit(RLIMIT_NOFILE, BAD)", syscall(SYS_getrlimit, RLIMIT_NOFILE, BAD));
    T("setrlimit(RLIMIT_CORE, BAD)", syscall(SYS_setrlimit, RLIMIT_CORE, BAD));
    T("prlimit64(0, RLIMIT_CORE, BAD, NULL)", syscall(SYS_prlimit64, 0, RLIMIT_CORE, BAD, NULL));
    T("prlimit64(0, RLIMIT_CORE, NULL, BAD)", syscall(SYS_prlimit64, 0, RLIMIT_CORE, NULL, BAD));
    T("getresuid(BAD, ...)", syscall(SYS_getresuid, BAD, buf, buf + 8));
    T("getresgid(BAD, ...)", syscall(SYS_getresgid, BAD, buf, buf + 8));
    T("rt_sigaction(SIGUSR1, BAD, NULL, 8)", syscall(SYS_rt_sigaction, SIGUSR1, BAD, NULL, 8));
    T("rt_sigaction(SIGUSR1, NULL, BAD, 8)", syscall(SYS_rt_sigaction, SIGUSR1, NULL, BAD, 8));
    T("rt_sigaction(SIGSYS, NULL, BAD, 8)", syscall(SYS_rt_sigaction, SIGSYS, NULL, BAD, 8));
    T("rt_sigprocmask(SIG_BLOCK, BAD, NULL, 8)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, BAD, NULL, 8));
    T("rt_sigprocmask(SIG_BLOCK, NULL, BAD, 8)", syscall(SYS_rt_sigprocmask, SIG_BLOCK, NULL, BAD, 8));
    T("getdents64(dirfd, BAD, 4096)", ({
          int d = open(".", O_RDONLY | O_DIRECTORY);
          long r = syscall(SYS_getdents64, d, BAD, 4096);
          int e = errno;
          close(d);
          errno = e;
          r;
      }));
    T("pread(fd, BAD, 8, 0)", syscall(SYS_pread64, fd, BAD, 8, 0));
    T("write(1, BAD, 8)", syscall(SYS_write, 1, BAD, 8));
    T("pipe(BAD)", syscall(SYS_pipe, BAD));
    T("clock_gettime(CLOCK_MONOTONIC, BAD)", syscall(SYS_clock_gettime, CLOCK_MONOTONIC, BAD));

    /*
     * A path that runs off the end of a mapping: the string is not terminated before the next
     * (unmapped) page. And a path that ends exactly at the end of the mapping: valid.
     */
    long page = sysconf(_SC_PAGESIZE);
    char *two = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (two == MAP_FAILED || munmap(two + page, page) != 0)
        die("mmap");
    memset(two, 'a', page);
    T("stat(unterminated at end of mapping)", stat(two + page - 8, &st));
    memcpy(two + page - 5, "file", 5);
    T("stat(\"file\" ending at end of mapping)", stat(two + page - 5, &st));
    memcpy(two + page - 2, "/", 2);
    T("stat(\"/\" ending at end of mapping)", stat(two + page - 2, &st));
    /* a stat buffer that is valid for only part of its size */
    T("stat(\"file\", buffer crossing into unmapped page)", stat("file", (struct stat *)(two + page - 16)));
    say("done");
    return 0;
}
