/*
 * open/openat/openat2/creat/close: every flag that changes what is opened or how, with success
 * and error cases. argv[1]: an empty scratch directory.
 */
#include "fs.h"
#include <linux/openat2.h>

/* "label = fd N cloexec C accmode A append P nonblock B path O", or the error. */
static void fd_flags(const char *label, int fd)
{
    if (fd < 0) {
        show(label, fd);
        return;
    }
    int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
    say("%s = fd %d cloexec %d accmode %d append %d nonblock %d path %d", label, fd, !!(fdfl & FD_CLOEXEC),
        fl & O_ACCMODE, !!(fl & O_APPEND), !!(fl & O_NONBLOCK), !!(fl & O_PATH));
}

static int sys_open(const char *path, int flags, mode_t mode)
{
    return (int)syscall(SYS_openat, AT_FDCWD, path, flags, mode);
}

static void creat_excl(void)
{
    int fd = sys_open("f", O_WRONLY | O_CREAT | O_EXCL, 0644);
    fd_flags("open(f, O_WRONLY|O_CREAT|O_EXCL)", fd);
    T("write(f, hello world)", write(fd, "hello world", 11));
    do_fstat("fstat(f)", fd);
    T("close(f)", close(fd));
    T("close(f) again", close(fd));
    T("close(-1)", close(-1));
    T("open(f, O_CREAT|O_EXCL) again", sys_open("f", O_WRONLY | O_CREAT | O_EXCL, 0644));
    T("open(f, O_CREAT) without O_EXCL", (fd = sys_open("f", O_RDONLY | O_CREAT, 0600)));
    do_fstat("fstat(f) keeps its mode and content", fd);
    close(fd);
    T("open(missing, O_RDONLY)", sys_open("missing", O_RDONLY, 0));
    T("open(nodir/x, O_CREAT)", sys_open("nodir/x", O_WRONLY | O_CREAT, 0644));
    T("open(f/x) through a file", sys_open("f/x", O_RDONLY, 0));
    T("open(f/) trailing slash on a file", sys_open("f/", O_RDONLY, 0));
    T("open(newfile/, O_CREAT) trailing slash", sys_open("newfile/", O_WRONLY | O_CREAT, 0644));
    T("open(\"\")", sys_open("", O_RDONLY, 0));

    T("symlink(target, dangling)", symlink("target", "dangling"));
    T("open(dangling, O_CREAT|O_EXCL)", sys_open("dangling", O_WRONLY | O_CREAT | O_EXCL, 0644));
    do_lstat("lstat(target) before", "target");
    T("open(dangling, O_CREAT) creates the target", (fd = sys_open("dangling", O_WRONLY | O_CREAT, 0640)));
    close(fd);
    do_lstat("lstat(target) after", "target");
    do_lstat("lstat(dangling) after", "dangling");

    T("creat(c, 0666)", (fd = (int)syscall(SYS_creat, "c", 0666)));
    fd_flags("creat(c) flags", fd);
    T("write(c)", write(fd, "cc", 2));
    close(fd);
    T("creat(c) again truncates", (fd = (int)syscall(SYS_creat, "c", 0600)));
    do_fstat("fstat(c)", fd);
    close(fd);
}

static void trunc_append(void)
{
    put_file("t", "0123456789");
    int fd = sys_open("t", O_WRONLY | O_TRUNC, 0);
    fd_flags("open(t, O_WRONLY|O_TRUNC)", fd);
    do_fstat("fstat(t) after O_TRUNC", fd);
    T("write(t, abc)", write(fd, "abc", 3));
    close(fd);
    show_file("content of t", "t");
    fd = sys_open("t", O_RDONLY | O_TRUNC, 0);
    fd_flags("open(t, O_RDONLY|O_TRUNC)", fd);
    do_fstat("fstat(t) after O_RDONLY|O_TRUNC", fd);
    close(fd);

    put_file("ap", "start;");
    fd = sys_open("ap", O_WRONLY | O_APPEND, 0);
    fd_flags("open(ap, O_WRONLY|O_APPEND)", fd);
    T("lseek(ap, 0, SEEK_CUR) at open", lseek(fd, 0, SEEK_CUR));
    T("lseek(ap, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    T("write(ap, one;) at the end anyway", write(fd, "one;", 4));
    T("lseek(ap, 0, SEEK_CUR) after write", lseek(fd, 0, SEEK_CUR));
    T("pwrite(ap, two;, 0) appends too", pwrite(fd, "two;", 4, 0));
    close(fd);
    show_file("content of ap", "ap");
    fd = sys_open("ap", O_RDWR, 0);
    T("fcntl(ap, F_SETFL, O_APPEND)", fcntl(fd, F_SETFL, O_APPEND));
    fd_flags("flags of ap after F_SETFL", fd);
    T("write(ap, three;)", write(fd, "three;", 6));
    close(fd);
    show_file("content of ap after F_SETFL", "ap");
}

static void directories(void)
{
    T("mkdir(d)", mkdir("d", 0755));
    int fd = sys_open("f", O_RDONLY | O_DIRECTORY, 0);
    fd_flags("open(f, O_DIRECTORY) on a file", fd);
    fd = sys_open("d", O_RDONLY | O_DIRECTORY, 0);
    fd_flags("open(d, O_DIRECTORY)", fd);
    close(fd);
    T("open(d, O_WRONLY)", sys_open("d", O_WRONLY, 0));
    T("open(d, O_RDWR)", sys_open("d", O_RDWR, 0));
    T("open(d, O_CREAT)", sys_open("d", O_RDONLY | O_CREAT, 0644));
    T("open(d, O_CREAT|O_EXCL)", sys_open("d", O_RDONLY | O_CREAT | O_EXCL, 0644));
    T("open(newdir, O_CREAT|O_DIRECTORY)", sys_open("newdir", O_RDONLY | O_CREAT | O_DIRECTORY, 0755));
    do_lstat("lstat(newdir)", "newdir");
    fd = sys_open("d", O_RDONLY, 0);
    fd_flags("open(d, O_RDONLY)", fd);
    char c;
    T("read(d)", read(fd, &c, 1));
    close(fd);
    T("symlink(d, dlink)", symlink("d", "dlink"));
    fd = sys_open("dlink", O_RDONLY | O_DIRECTORY, 0);
    fd_flags("open(dlink, O_DIRECTORY) follows", fd);
    close(fd);
    T("open(dlink, O_DIRECTORY|O_NOFOLLOW)", sys_open("dlink", O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0));
}

static void nofollow_path(void)
{
    T("symlink(f, flink)", symlink("f", "flink"));
    T("open(flink, O_NOFOLLOW)", sys_open("flink", O_RDONLY | O_NOFOLLOW, 0));
    T("open(flink, O_NOFOLLOW|O_CREAT)", sys_open("flink", O_WRONLY | O_NOFOLLOW | O_CREAT, 0644));
    int fd = sys_open("f", O_RDONLY | O_NOFOLLOW, 0);
    fd_flags("open(f, O_NOFOLLOW) on a file", fd);
    close(fd);
    T("symlink(d, dl2)", symlink("d", "dl2"));
    T("open(dl2/x, O_CREAT|O_NOFOLLOW) symlink not last", (fd = sys_open("dl2/x", O_WRONLY | O_CREAT | O_NOFOLLOW, 0644)));
    close(fd);
    do_lstat("lstat(d/x)", "d/x");

    fd = sys_open("f", O_PATH, 0);
    fd_flags("open(f, O_PATH)", fd);
    char buf[8];
    T("read(O_PATH fd)", read(fd, buf, sizeof(buf)));
    T("write(O_PATH fd)", write(fd, "x", 1));
    T("pread(O_PATH fd)", pread(fd, buf, 1, 0));
    T("fchmod(O_PATH fd)", fchmod(fd, 0600));
    T("ftruncate(O_PATH fd)", ftruncate(fd, 0));
    T("lseek(O_PATH fd)", lseek(fd, 0, SEEK_SET));
    do_fstat("fstat(O_PATH fd)", fd);
    do_fstatat("fstatat(O_PATH fd, \"\", AT_EMPTY_PATH)", fd, "", AT_EMPTY_PATH);
    int d2 = dup(fd);
    fd_flags("dup(O_PATH fd)", d2);
    close(d2);
    close(fd);

    fd = sys_open("flink", O_PATH | O_NOFOLLOW, 0);
    fd_flags("open(flink, O_PATH|O_NOFOLLOW)", fd);
    do_fstat("fstat(O_PATH|O_NOFOLLOW fd of a symlink)", fd);
    show_readlink("readlinkat(O_PATH link fd, \"\")", fd, "", 100);
    close(fd);

    int dfd = sys_open("d", O_PATH | O_DIRECTORY, 0);
    fd_flags("open(d, O_PATH|O_DIRECTORY)", dfd);
    fd = (int)syscall(SYS_openat, dfd, "x", O_RDONLY, 0);
    fd_flags("openat(O_PATH dir fd, x)", fd);
    close(fd);
    T("getdents64(O_PATH dir fd)", syscall(SYS_getdents64, dfd, buf, sizeof(buf)));
    T("fchdir(O_PATH dir fd)", fchdir(dfd));
    show_cwd("getcwd after fchdir(O_PATH fd)");
    T("chdir(..)", chdir(".."));
    close(dfd);
}

static void tmpfiles(void)
{
    int fd = sys_open(".", O_TMPFILE | O_RDWR, 0600);
    fd_flags("open(., O_TMPFILE|O_RDWR, 0600)", fd);
    T("write(tmpfile)", write(fd, "tmp data", 8));
    do_fstat("fstat(tmpfile)", fd);
    list_path("entries of . with a tmpfile open", ".");
    char proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    T("linkat(/proc/self/fd/N, linked, AT_SYMLINK_FOLLOW)",
      syscall(SYS_linkat, AT_FDCWD, proc, AT_FDCWD, "linked", AT_SYMLINK_FOLLOW));
    do_fstat("fstat(tmpfile) after linkat", fd);
    do_stat("stat(linked)", "linked");
    show_file("content of linked", "linked");
    close(fd);

    fd = sys_open(".", O_TMPFILE | O_WRONLY | O_EXCL, 0600);
    fd_flags("open(., O_TMPFILE|O_WRONLY|O_EXCL)", fd);
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    T("linkat(O_EXCL tmpfile, linked2)", syscall(SYS_linkat, AT_FDCWD, proc, AT_FDCWD, "linked2", AT_SYMLINK_FOLLOW));
    close(fd);
    T("open(., O_TMPFILE) without write access", sys_open(".", O_TMPFILE | O_RDONLY, 0600));
    T("open(f, O_TMPFILE) on a file", sys_open("f", O_TMPFILE | O_RDWR, 0600));
    T("open(missing, O_TMPFILE)", sys_open("missing", O_TMPFILE | O_RDWR, 0600));
    fd = sys_open("d", O_TMPFILE | O_RDWR, 0666);
    do_fstat("open(d, O_TMPFILE, 0666) under umask 022", fd);
    close(fd);
}

static void cloexec(void)
{
    int fd = sys_open("f", O_RDONLY | O_CLOEXEC, 0);
    T("fcntl(O_CLOEXEC fd, F_GETFD)", fcntl(fd, F_GETFD));
    int d = dup(fd);
    T("fcntl(dup of it, F_GETFD)", fcntl(d, F_GETFD));
    T("fcntl(F_SETFD, FD_CLOEXEC)", fcntl(d, F_SETFD, FD_CLOEXEC));
    T("fcntl(F_GETFD) after F_SETFD", fcntl(d, F_GETFD));
    T("fcntl(F_SETFD, 0)", fcntl(d, F_SETFD, 0));
    T("fcntl(F_GETFD) after clearing", fcntl(d, F_GETFD));
    close(d);
    T("dup3(fd, 20, O_CLOEXEC)", dup3(fd, 20, O_CLOEXEC));
    T("fcntl(20, F_GETFD)", fcntl(20, F_GETFD));
    T("fcntl(F_DUPFD_CLOEXEC, 30)", (d = fcntl(fd, F_DUPFD_CLOEXEC, 30)));
    T("fcntl(its F_GETFD)", fcntl(d, F_GETFD));
    close(d);
    close(20);
    close(fd);
    fd = sys_open("f", O_RDONLY, 0);
    T("fcntl(fd without O_CLOEXEC, F_GETFD)", fcntl(fd, F_GETFD));
    close(fd);
}

#ifdef SYS_openat2
static long do_openat2(int dirfd, const char *path, unsigned long long flags, unsigned long long resolve)
{
    struct open_how how = { .flags = flags, .mode = 0, .resolve = resolve };
    return syscall(SYS_openat2, dirfd, path, &how, sizeof(how));
}

/* openat2, then the content of what it opened. */
static void openat2_read(const char *label, int dirfd, const char *path, unsigned long long resolve)
{
    errno = 0;
    int fd = (int)do_openat2(dirfd, path, O_RDONLY | O_CLOEXEC, resolve);
    if (fd < 0) {
        show(label, fd);
        return;
    }
    show_read(label, fd, 100);
    close(fd);
}

static void openat2_tests(void)
{
    T("mkdir(jail)", mkdir("jail", 0755));
    T("mkdir(jail/sub)", mkdir("jail/sub", 0755));
    put_file("jail/inner", "inner");
    put_file("outer", "outer");
    T("symlink(/inner, jail/abs)", symlink("/inner", "jail/abs"));
    T("symlink(../outer, jail/up)", symlink("../outer", "jail/up"));
    T("symlink(../inner, jail/sub/in)", symlink("../inner", "jail/sub/in"));
    T("symlink(../../../../../../inner, jail/sub/far)", symlink("../../../../../../inner", "jail/sub/far"));
    int jail = sys_open("jail", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);

    openat2_read("openat2(jail, inner, 0)", jail, "inner", 0);
    openat2_read("openat2(jail, inner, RESOLVE_BENEATH)", jail, "inner", RESOLVE_BENEATH);
    openat2_read("openat2(jail, sub/../inner, RESOLVE_BENEATH)", jail, "sub/../inner", RESOLVE_BENEATH);
    openat2_read("openat2(jail, ../outer, RESOLVE_BENEATH)", jail, "../outer", RESOLVE_BENEATH);
    openat2_read("openat2(jail, ../outer, 0)", jail, "../outer", 0);
    openat2_read("openat2(jail, up, RESOLVE_BENEATH)", jail, "up", RESOLVE_BENEATH);
    openat2_read("openat2(jail, abs, RESOLVE_BENEATH)", jail, "abs", RESOLVE_BENEATH);
    openat2_read("openat2(jail, sub/in, RESOLVE_BENEATH)", jail, "sub/in", RESOLVE_BENEATH);
    openat2_read("openat2(jail, /inner, RESOLVE_BENEATH)", jail, "/inner", RESOLVE_BENEATH);
    openat2_read("openat2(jail, /inner, RESOLVE_IN_ROOT)", jail, "/inner", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, ../../inner, RESOLVE_IN_ROOT)", jail, "../../inner", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, abs, RESOLVE_IN_ROOT)", jail, "abs", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, up, RESOLVE_IN_ROOT)", jail, "up", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, sub/far, RESOLVE_IN_ROOT)", jail, "sub/far", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, ../outer, RESOLVE_IN_ROOT)", jail, "../outer", RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, sub/in, RESOLVE_NO_SYMLINKS)", jail, "sub/in", RESOLVE_NO_SYMLINKS);
    openat2_read("openat2(jail, inner, RESOLVE_NO_SYMLINKS)", jail, "inner", RESOLVE_NO_SYMLINKS);
    openat2_read("openat2(AT_FDCWD, outer, RESOLVE_BENEATH)", AT_FDCWD, "outer", RESOLVE_BENEATH);
    openat2_read("openat2(AT_FDCWD, jail/up, RESOLVE_BENEATH)", AT_FDCWD, "jail/up", RESOLVE_BENEATH);
    openat2_read("openat2(jail, inner, RESOLVE_BENEATH|RESOLVE_IN_ROOT)", jail, "inner",
                 RESOLVE_BENEATH | RESOLVE_IN_ROOT);
    openat2_read("openat2(jail, inner, unknown resolve bit)", jail, "inner", 0x10000);
    T("openat2(jail, inner, unknown flag bit)", do_openat2(jail, "inner", 1ULL << 40, 0));
    {
        struct open_how how = { .flags = O_RDONLY };
        T("openat2(jail, inner, size too small)", syscall(SYS_openat2, jail, "inner", &how, 8));
        how.mode = 0644;
        T("openat2(jail, inner, mode without O_CREAT)", syscall(SYS_openat2, jail, "inner", &how, sizeof(how)));
        how.flags = O_WRONLY | O_CREAT | O_EXCL;
        int fd;
        T("openat2(jail, made, O_CREAT|O_EXCL, 0644) ok",
          (fd = (int)syscall(SYS_openat2, jail, "made", &how, sizeof(how))) < 0 ? -1 : 0);
        close(fd);
        do_stat("stat(jail/made)", "jail/made");
    }
    close(jail);
}
#endif

static void umask_create(void)
{
    T("umask(027)", umask(027));
    int fd = sys_open("um", O_WRONLY | O_CREAT | O_EXCL, 0666);
    do_fstat("open(um, O_CREAT, 0666) under umask 027", fd);
    close(fd);
    T("umask(022)", umask(022));
    fd = sys_open("um2", O_WRONLY | O_CREAT | O_EXCL, 07777);
    do_fstat("open(um2, O_CREAT, 07777) under umask 022", fd);
    close(fd);
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    creat_excl();
    trunc_append();
    directories();
    nofollow_path();
    tmpfiles();
    cloexec();
#ifdef SYS_openat2
    openat2_tests();
#else
    say("openat2 = not in this libc");
#endif
    umask_create();
    list_path("entries of $S", ".");
    say("done");
    return 0;
}
