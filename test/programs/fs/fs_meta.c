/*
 * Metadata: stat/lstat/fstat/newfstatat/statx of each file type, chmod/fchmod/fchmodat and the
 * umask, chown to oneself, access/faccessat/faccessat2, utimensat/futimens/utimes/futimesat (the
 * times the program sets itself), statfs/fstatfs, and mknod/mkfifo of FIFOs and regular files.
 * argv[1]: an empty scratch directory.
 */
#include "fs.h"
#include <sys/statfs.h>
#include <sys/time.h>
#include <time.h>

#ifndef SYS_faccessat2
#define SYS_faccessat2 439
#endif

static void do_statx(const char *label, int dirfd, const char *path, int flags, unsigned mask)
{
    struct statx sx;
    memset(&sx, 0, sizeof(sx));
    errno = 0;
    long r = syscall(SYS_statx, dirfd, path, flags, mask, &sx);
    if (r != 0) {
        show(label, r);
        return;
    }
    if (S_ISDIR(sx.stx_mode))
        say("%s = basic %s dir 0%o nlink %u blocks %s", label,
            (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no", sx.stx_mode & 07777,
            sx.stx_nlink, sx.stx_blocks > 0 ? "yes" : "no");
    else
        say("%s = basic %s %s 0%o size %llu nlink %u blocks %s", label,
            (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no", ftype(sx.stx_mode),
            sx.stx_mode & 07777, (unsigned long long)sx.stx_size, sx.stx_nlink, sx.stx_blocks > 0 ? "yes" : "no");
}

/* A time this program set: its seconds and nanoseconds; anything within a day of now: "now". */
static const char *set_time(const struct timespec *t)
{
    static char buf[2][64];
    static int k;
    char *b = buf[k ^= 1];
    if (llabs((long long)(t->tv_sec - time(NULL))) < 86400)
        snprintf(b, sizeof(buf[0]), "now");
    else
        snprintf(b, sizeof(buf[0]), "%lld.%09ld", (long long)t->tv_sec, t->tv_nsec);
    return b;
}

/* atime and mtime, as set by this program (never a time it did not set). */
static void show_times(const char *label, const char *path, int flags)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_newfstatat, AT_FDCWD, path, &st, flags);
    if (r != 0) {
        show(label, r);
        return;
    }
    say("%s = atime %s mtime %s", label, set_time(&st.st_atim), set_time(&st.st_mtim));
}

/* Whether a time is "now" (within a minute of time()), for UTIME_NOW. */
static void show_recent(const char *label, const char *path)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_stat, path, &st);
    if (r != 0) {
        show(label, r);
        return;
    }
    time_t now = time(NULL);
    say("%s = atime now %s mtime now %s", label, llabs((long long)(st.st_atim.tv_sec - now)) < 60 ? "yes" : "no",
        llabs((long long)(st.st_mtim.tv_sec - now)) < 60 ? "yes" : "no");
}

static void stats(void)
{
    put_file("f", "12345");
    T("mkdir(d)", mkdir("d", 0755));
    T("mkdir(d/sub)", mkdir("d/sub", 0700));
    T("symlink(f, l)", symlink("f", "l"));
    T("symlink(nowhere, dangling)", symlink("nowhere", "dangling"));
    T("mkfifo(p)", mkfifo("p", 0640));
    put_file("empty", "");

    do_stat("stat(f)", "f");
    do_stat("stat(empty)", "empty");
    do_stat("stat(d)", "d");
    do_stat("stat(d/sub)", "d/sub");
    do_stat("stat(l)", "l");
    do_stat("stat(p)", "p");
    do_stat("stat(.)", ".");
    do_stat("stat(d/..)", "d/..");
    do_stat("stat(dangling)", "dangling");
    do_stat("stat(missing)", "missing");
    do_stat("stat(f/)", "f/");
    do_stat("stat(d/)", "d/");
    do_stat("stat(f/x)", "f/x");
    do_stat("stat(\"\")", "");
    do_lstat("lstat(l)", "l");
    do_lstat("lstat(dangling)", "dangling");
    do_lstat("lstat(f)", "f");
    do_lstat("lstat(l/) follows", "l/");

    int fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_CLOEXEC);
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    do_fstat("fstat(f)", fd);
    do_fstat("fstat(d)", dfd);
    do_fstat("fstat(closed fd 99)", 99);
    do_fstatat("fstatat(d, sub)", dfd, "sub", 0);
    do_fstatat("fstatat(d, ../l)", dfd, "../l", 0);
    do_fstatat("fstatat(d, ../l, AT_SYMLINK_NOFOLLOW)", dfd, "../l", AT_SYMLINK_NOFOLLOW);
    do_fstatat("fstatat(f fd, \"\", AT_EMPTY_PATH)", fd, "", AT_EMPTY_PATH);
    do_fstatat("fstatat(f fd, x)", fd, "x", 0);
    do_fstatat("fstatat(d, missing)", dfd, "missing", 0);
    do_fstatat("fstatat(d, sub, bad flag)", dfd, "sub", 0x40000000);

    do_statx("statx(f)", AT_FDCWD, "f", 0, STATX_BASIC_STATS);
    do_statx("statx(d)", AT_FDCWD, "d", 0, STATX_BASIC_STATS);
    do_statx("statx(l)", AT_FDCWD, "l", 0, STATX_BASIC_STATS);
    do_statx("statx(l, AT_SYMLINK_NOFOLLOW)", AT_FDCWD, "l", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
    do_statx("statx(p)", AT_FDCWD, "p", 0, STATX_BASIC_STATS);
    do_statx("statx(f fd, \"\", AT_EMPTY_PATH)", fd, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
    do_statx("statx(d, sub)", dfd, "sub", 0, STATX_BASIC_STATS);
    do_statx("statx(f, mask STATX_SIZE)", AT_FDCWD, "f", 0, STATX_SIZE);
    do_statx("statx(f, AT_STATX_DONT_SYNC)", AT_FDCWD, "f", AT_STATX_DONT_SYNC, STATX_BASIC_STATS);
    do_statx("statx(missing)", AT_FDCWD, "missing", 0, STATX_BASIC_STATS);
    do_statx("statx(dangling)", AT_FDCWD, "dangling", 0, STATX_BASIC_STATS);
    do_statx("statx(f, reserved mask bit)", AT_FDCWD, "f", 0, 0x80000000u);
    do_statx("statx(f, bad flags)", AT_FDCWD, "f", 0x40000000, STATX_BASIC_STATS);
    close(fd);
    close(dfd);
}

static void modes(void)
{
    T("chmod(f, 0600)", chmod("f", 0600));
    do_stat("stat(f)", "f");
    T("chmod(f, 04755) setuid", chmod("f", 04755));
    do_stat("stat(f)", "f");
    T("chmod(f, 0177777) extra bits", chmod("f", 0177777));
    do_stat("stat(f)", "f");
    T("chmod(l, 0640) through the link", chmod("l", 0640));
    do_lstat("lstat(f)", "f");
    do_lstat("lstat(l)", "l");
    T("chmod(dangling, 0600)", chmod("dangling", 0600));
    T("chmod(missing, 0600)", chmod("missing", 0600));
    T("chmod(d, 01777) sticky", chmod("d", 01777));
    do_stat("stat(d)", "d");
    T("chmod(d, 0755)", chmod("d", 0755));
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_CLOEXEC);
    T("fchmod(f fd, 0444)", fchmod(fd, 0444));
    do_fstat("fstat(f)", fd);
    T("fchmod(closed fd 99, 0444)", fchmod(99, 0444));
    close(fd);
    T("fchmodat(AT_FDCWD, f, 0644)", syscall(SYS_fchmodat, AT_FDCWD, "f", 0644));
    do_stat("stat(f)", "f");
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    T("fchmodat(d, sub, 0750)", syscall(SYS_fchmodat, dfd, "sub", 0750));
    do_stat("stat(d/sub)", "d/sub");
    close(dfd);
    /* glibc's fchmodat(AT_SYMLINK_NOFOLLOW) (what tar uses): O_PATH open, chmod /proc/self/fd/N */
    T("fchmodat(f, 0640, AT_SYMLINK_NOFOLLOW) by glibc", fchmodat(AT_FDCWD, "f", 0640, AT_SYMLINK_NOFOLLOW));
    do_stat("stat(f)", "f");
    T("fchmodat(d/sub, 0700, AT_SYMLINK_NOFOLLOW) by glibc", fchmodat(AT_FDCWD, "d/sub", 0700, AT_SYMLINK_NOFOLLOW));
    do_stat("stat(d/sub)", "d/sub");
    T("fchmodat(l, 0600, AT_SYMLINK_NOFOLLOW) by glibc: a symlink", fchmodat(AT_FDCWD, "l", 0600, AT_SYMLINK_NOFOLLOW));
    fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_PATH | O_CLOEXEC);
    {
        char p[64];
        snprintf(p, sizeof(p), "/proc/self/fd/%d", fd);
        T("chmod(/proc/self/fd/N of an O_PATH fd of f, 0604)", chmod(p, 0604));
        do_stat("stat(f)", "f");
        T("chmod(f, 0644)", chmod("f", 0644));
    }
    close(fd);
    fd = (int)syscall(SYS_openat, AT_FDCWD, "p", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    T("fchmod(fifo fd, 0600)", fchmod(fd, 0600));
    do_stat("stat(p)", "p");
    close(fd);

    T("umask(077) returns 022", umask(077));
    put_file("u1", "");
    T("mkdir(ud, 0777) under 077", mkdir("ud", 0777));
    T("mkfifo(up, 0666) under 077", mkfifo("up", 0666));
    do_stat("stat(u1) created 0644 under 077", "u1");
    do_stat("stat(ud)", "ud");
    do_stat("stat(up)", "up");
    T("umask(0) returns 077", umask(0));
    T("mkdir(ud0, 0777) under 0", mkdir("ud0", 0777));
    do_stat("stat(ud0)", "ud0");
    T("chmod(ud0, 0777) is not masked", chmod("ud0", 0777));
    T("umask(0777777) keeps 0777", umask(0777777));
    T("umask(022) returns 0777", umask(022));

    T("chown(f, own uid, own gid)", chown("f", getuid(), getgid()));
    T("chown(f, -1, -1)", chown("f", (uid_t)-1, (gid_t)-1));
    T("lchown(l, -1, -1)", lchown("l", (uid_t)-1, (gid_t)-1));
    T("chown(missing, -1, -1)", chown("missing", (uid_t)-1, (gid_t)-1));
    fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_CLOEXEC);
    T("fchown(f fd, -1, own gid)", fchown(fd, (uid_t)-1, getgid()));
    close(fd);
    do_stat("stat(f) after chown to itself", "f");
}

static void accesses(void)
{
    T("chmod(f, 0600)", chmod("f", 0600));
    T("access(f, F_OK)", access("f", F_OK));
    T("access(f, R_OK|W_OK)", access("f", R_OK | W_OK));
    T("access(f, X_OK) of a 0600 file", access("f", X_OK));
    T("chmod(f, 0700)", chmod("f", 0700));
    T("access(f, X_OK) of a 0700 file", access("f", X_OK));
    T("access(d, X_OK)", access("d", X_OK));
    T("access(missing, F_OK)", access("missing", F_OK));
    T("access(f/x, F_OK)", access("f/x", F_OK));
    T("access(l, R_OK)", access("l", R_OK));
    T("access(dangling, F_OK)", access("dangling", F_OK));
    T("access(f, bad mode)", access("f", 0100));
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    T("faccessat(d, sub, R_OK)", syscall(SYS_faccessat, dfd, "sub", R_OK));
    T("faccessat(d, ../f, W_OK)", syscall(SYS_faccessat, dfd, "../f", W_OK));
    T("faccessat(d, nothing, F_OK)", syscall(SYS_faccessat, dfd, "nothing", F_OK));
    T("faccessat2(AT_FDCWD, dangling, F_OK, AT_SYMLINK_NOFOLLOW)",
      syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    T("faccessat2(AT_FDCWD, dangling, F_OK, 0)", syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, 0));
    T("faccessat2(AT_FDCWD, f, R_OK, AT_EACCESS)", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, AT_EACCESS));
    T("faccessat2(d fd, \"\", X_OK, AT_EMPTY_PATH)", syscall(SYS_faccessat2, dfd, "", X_OK, AT_EMPTY_PATH));
    T("faccessat2(AT_FDCWD, f, R_OK, bad flag)", syscall(SYS_faccessat2, AT_FDCWD, "f", R_OK, 0x40000000));
    close(dfd);
}

static void times(void)
{
    struct timespec ts[2] = { { 1000000000, 500000000 }, { 1234567890, 0 } };
    T("utimensat(f, {1000000000.5, 1234567890})", utimensat(AT_FDCWD, "f", ts, 0));
    show_times("times of f", "f", 0);
    struct timespec omit[2] = { { 0, UTIME_OMIT }, { 1500000000, 250 } };
    T("utimensat(f, {UTIME_OMIT, 1500000000.000000250})", utimensat(AT_FDCWD, "f", omit, 0));
    show_times("times of f", "f", 0);
    struct timespec lt[2] = { { 1100000000, 0 }, { 1200000000, 0 } };
    T("utimensat(l, AT_SYMLINK_NOFOLLOW)", utimensat(AT_FDCWD, "l", lt, AT_SYMLINK_NOFOLLOW));
    show_times("times of l (lstat)", "l", AT_SYMLINK_NOFOLLOW);
    show_times("times of f unchanged", "f", 0);
    struct timespec ft[2] = { { 1300000000, 0 }, { 1300000001, 0 } };
    T("utimensat(l) follows to f", utimensat(AT_FDCWD, "l", ft, 0));
    show_times("times of f", "f", 0);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_CLOEXEC);
    struct timespec t2[2] = { { 1400000000, 0 }, { 1400000002, 999999999 } };
    T("futimens(f fd)", futimens(fd, t2));
    show_times("times of f", "f", 0);
    T("utimensat(f fd, NULL path)", syscall(SYS_utimensat, fd, NULL, ft, 0));
    show_times("times of f", "f", 0);
    close(fd);
    struct timeval tv[2] = { { 1600000000, 1 }, { 1600000001, 2 } };
    T("utimes(f)", utimes("f", tv));
    show_times("times of f", "f", 0);
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    struct timeval tv2[2] = { { 1700000000, 0 }, { 1700000003, 0 } };
    T("futimesat(d, sub)", syscall(SYS_futimesat, dfd, "sub", tv2));
    show_times("times of d/sub", "d/sub", 0);
    close(dfd);
    struct timespec bad[2] = { { 0, 1000000000 }, { 0, 0 } };
    T("utimensat(f, nsec 1e9)", utimensat(AT_FDCWD, "f", bad, 0));
    T("utimensat(missing)", utimensat(AT_FDCWD, "missing", ts, 0));
    T("utimensat(f, bad flag)", utimensat(AT_FDCWD, "f", ts, 0x40000000));
    struct timespec now[2] = { { 0, UTIME_NOW }, { 0, UTIME_NOW } };
    T("utimensat(f, UTIME_NOW)", utimensat(AT_FDCWD, "f", now, 0));
    show_recent("times of f after UTIME_NOW", "f");
    T("utimensat(f, {1000000000.5, 1234567890}) again", utimensat(AT_FDCWD, "f", ts, 0));
    T("utimensat(f, NULL times)", utimensat(AT_FDCWD, "f", NULL, 0));
    show_recent("times of f after NULL times", "f");
    /* a write changes mtime */
    T("utimensat(f) to the past", utimensat(AT_FDCWD, "f", ts, 0));
    fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_WRONLY | O_APPEND | O_CLOEXEC);
    T("write(f)", write(fd, "!", 1));
    close(fd);
    show_recent("times of f after a write", "f");
}

static void fs_stats(void)
{
    struct statfs sf;
    errno = 0;
    long r = statfs(".", &sf);
    if (r != 0)
        show("statfs(.)", r);
    else
        say("statfs(.) = 0 f_type nonzero %s f_bsize nonzero %s namelen %ld", sf.f_type ? "yes" : "no",
            sf.f_bsize ? "yes" : "no", (long)sf.f_namelen);
    int fd = (int)syscall(SYS_openat, AT_FDCWD, "f", O_RDONLY | O_CLOEXEC);
    errno = 0;
    r = fstatfs(fd, &sf);
    if (r != 0)
        show("fstatfs(f fd)", r);
    else
        say("fstatfs(f fd) = 0 f_type nonzero %s f_bsize nonzero %s", sf.f_type ? "yes" : "no",
            sf.f_bsize ? "yes" : "no");
    close(fd);
    T("statfs(missing)", statfs("missing", &sf));
    T("fstatfs(closed fd 99)", fstatfs(99, &sf));
}

static void nodes(void)
{
    T("mknod(fifo, S_IFIFO|0644)", mknod("fifo", S_IFIFO | 0644, 0));
    do_stat("stat(fifo)", "fifo");
    T("mknod(fifo) again", mknod("fifo", S_IFIFO | 0644, 0));
    T("mkfifo(fifo) again", mkfifo("fifo", 0644));
    T("mknod(reg, S_IFREG|0600)", mknod("reg", S_IFREG | 0600, 0));
    do_stat("stat(reg)", "reg");
    T("mknod(reg0, 0600) no type: regular", mknod("reg0", 0600, 0));
    T("raw mknod(rawreg, S_IFREG|0640)", syscall(SYS_mknod, "rawreg", S_IFREG | 0640, 0));
    do_stat("stat(rawreg)", "rawreg");
    do_stat("stat(reg0)", "reg0");
    T("mknodat(d, fifo2, S_IFIFO|0600)",
      ({
          int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
          long r = syscall(SYS_mknodat, dfd, "fifo2", S_IFIFO | 0600, 0);
          close(dfd);
          r;
      }));
    do_stat("stat(d/fifo2)", "d/fifo2");
    T("mknod(missing/x, S_IFIFO)", mknod("missing/x", S_IFIFO | 0600, 0));
    T("mknod(bad, S_IFDIR)", mknod("bad", S_IFDIR | 0755, 0));
    T("mknod(bad, bad type)", mknod("bad", 0170000 | 0600, 0));
    int fd;
    T("open(fifo, O_WRONLY|O_NONBLOCK) without a reader",
      (fd = (int)syscall(SYS_openat, AT_FDCWD, "fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC)));
    int rd;
    T("open(fifo, O_RDONLY|O_NONBLOCK) ok",
      (rd = (int)syscall(SYS_openat, AT_FDCWD, "fifo", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ? -1 : 0);
    T("open(fifo, O_WRONLY|O_NONBLOCK) with a reader ok",
      (fd = (int)syscall(SYS_openat, AT_FDCWD, "fifo", O_WRONLY | O_NONBLOCK | O_CLOEXEC)) < 0 ? -1 : 0);
    T("write(fifo, through)", write(fd, "through", 7));
    show_read("read(fifo)", rd, 20);
    do_fstat("fstat(fifo fd)", rd);
    T("lseek(fifo fd)", lseek(rd, 0, SEEK_SET));
    close(fd);
    close(rd);
    T("open(fifo, O_RDWR) ok", (fd = (int)syscall(SYS_openat, AT_FDCWD, "fifo", O_RDWR | O_CLOEXEC)) < 0 ? -1 : 0);
    T("write(fifo, rw)", write(fd, "rw", 2));
    show_read("read(fifo)", fd, 20);
    close(fd);
    T("unlink(fifo)", unlink("fifo"));
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    stats();
    modes();
    accesses();
    times();
    fs_stats();
    nodes();
    list_path("entries of $S", ".");
    list_path("entries of $S/d", "d");
    say("done");
    return 0;
}
