/*
 * Path and directory system calls (the LibOS's file-system handlers), each called the raw way,
 * with success and error cases. argv[1] is an empty scratch directory (a canonical path); paths
 * under it are printed as "$S/...". Optional argv[2] picks a scenario other than "main".
 */
#include "t.h"
#include <dirent.h>
#include <fcntl.h>
#include <linux/stat.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/xattr.h>
#include <time.h>

static const char *S;

/* "label = mode 0100644 size 5 nlink 1", or the error. */
static void show_stat(const char *label, long r, const struct stat *st)
{
    if (r != 0) {
        show(label, r);
        return;
    }
    if (S_ISDIR(st->st_mode))
        say("%s = mode 0%o nlink %lu", label, st->st_mode, (unsigned long)st->st_nlink);
    else
        say("%s = mode 0%o size %lld nlink %lu", label, st->st_mode, (long long)st->st_size,
            (unsigned long)st->st_nlink);
}

static void do_stat(const char *label, const char *path)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_stat, path, &st);
    show_stat(label, r, &st);
}

static void do_lstat(const char *label, const char *path)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_lstat, path, &st);
    show_stat(label, r, &st);
}

static void do_fstatat(const char *label, int dirfd, const char *path, int flags)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_newfstatat, dirfd, path, &st, flags);
    show_stat(label, r, &st);
}

static void do_fstat(const char *label, int fd)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_fstat, fd, &st);
    show_stat(label, r, &st);
}

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
    say("%s = basic %s mode 0%o size %llu nlink %u", label,
        (sx.stx_mask & STATX_BASIC_STATS) == STATX_BASIC_STATS ? "yes" : "no", sx.stx_mode,
        (unsigned long long)sx.stx_size, sx.stx_nlink);
}

static void do_times(const char *label, const char *path, int flags)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_newfstatat, AT_FDCWD, path, &st, flags);
    if (r != 0) {
        show(label, r);
        return;
    }
    say("%s = atime %lld.%09ld mtime %lld.%09ld", label, (long long)st.st_atim.tv_sec,
        st.st_atim.tv_nsec, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec);
}

/* The working directory, with the scratch prefix replaced by $S. */
static void show_cwd(const char *label)
{
    char buf[4096];
    errno = 0;
    long r = syscall(SYS_getcwd, buf, sizeof(buf));
    if (r < 0) {
        show(label, r);
        return;
    }
    size_t n = strlen(S);
    if (strncmp(buf, S, n) == 0 && (buf[n] == 0 || buf[n] == '/'))
        say("%s = %ld $S%s", label, r, buf + n);
    else
        say("%s = %ld %s", label, r, buf);
}

static void do_readlink(const char *label, int dirfd, const char *path, size_t size)
{
    char buf[256];
    memset(buf, 0, sizeof(buf));
    errno = 0;
    long r = syscall(SYS_readlinkat, dirfd, path, buf, size);
    if (r < 0)
        show(label, r);
    else
        say("%s = %ld \"%.*s\"", label, r, (int)r, buf);
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the record of the old getdents: its type is the record's last byte */
struct old_dirent {
    unsigned long d_ino, d_off;
    unsigned short d_reclen;
    char d_name[];
};

/* getdents64 (or the old getdents) of an open directory: the entries, sorted, with their d_type. */
static void list_entries(const char *label, int fd, int old)
{
    char buf[4096];
    char *names[64];
    int n = 0;
    for (;;) {
        errno = 0;
        long r = syscall(old ? SYS_getdents : SYS_getdents64, fd, buf, sizeof(buf));
        if (r < 0) {
            show(label, r);
            return;
        }
        if (r == 0)
            break;
        for (long off = 0; off < r;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            struct old_dirent *o = (struct old_dirent *)(buf + off);
            const char *name = old ? o->d_name : d->d_name;
            unsigned short reclen = old ? o->d_reclen : d->d_reclen;
            int type = old ? buf[off + reclen - 1] : d->d_type;
            char *e = malloc(1200);
            size_t k = 0;
            for (const unsigned char *c = (const unsigned char *)name; *c; c++)
                k += (size_t)(*c > 0x20 && *c < 0x7f && *c != '\\' ? snprintf(e + k, 1200 - k, "%c", *c)
                                                                  : snprintf(e + k, 1200 - k, "\\x%02x", *c));
            snprintf(e + k, 1200 - k, ":%d", type);
            if (n < 64)
                names[n++] = e;
            off += reclen;
        }
    }
    qsort(names, (size_t)n, sizeof(names[0]), compare_names);
    printf("%s =", label);
    for (int i = 0; i < n; i++) {
        printf(" %s", names[i]);
        free(names[i]);
    }
    printf("\n");
}

static void list_dir(const char *label, int fd)
{
    list_entries(label, fd, 0);
}

static void list_path(const char *label, const char *path)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        show(label, fd);
        return;
    }
    list_dir(label, fd);
    close(fd);
}

static void write_file(const char *path, const char *content)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, content, strlen(content)) != (ssize_t)strlen(content))
        die(path);
    close(fd);
}

static void read_file(const char *label, const char *path)
{
    char buf[128];
    int fd = (int)syscall(SYS_open, path, O_RDONLY, 0);
    if (fd < 0) {
        show(label, fd);
        return;
    }
    ssize_t n = read(fd, buf, sizeof(buf));
    close(fd);
    say("%s = \"%.*s\"", label, (int)(n > 0 ? n : 0), buf);
}

static void fd_flags(const char *label, int fd)
{
    if (fd < 0) {
        show(label, fd);
        return;
    }
    int fdfl = fcntl(fd, F_GETFD), fl = fcntl(fd, F_GETFL);
    say("%s = fd %d cloexec %d accmode %d append %d nonblock %d", label, fd, !!(fdfl & FD_CLOEXEC),
        fl & O_ACCMODE, !!(fl & O_APPEND), !!(fl & O_NONBLOCK));
}

static void scenario_main(void)
{
    T("umask(022)", syscall(SYS_umask, 022));
    T("umask(022) again", syscall(SYS_umask, 022));

    /* open, openat, creat */
    int fd = (int)syscall(SYS_open, "a", O_WRONLY | O_CREAT | O_EXCL, 0666);
    fd_flags("open(a, O_WRONLY|O_CREAT|O_EXCL, 0666)", fd);
    T("write(a)", write(fd, "hello", 5));
    do_fstat("fstat(a)", fd);
    T("close(a)", close(fd));
    T("open(a, O_CREAT|O_EXCL) again", syscall(SYS_open, "a", O_WRONLY | O_CREAT | O_EXCL, 0666));
    T("open(missing, O_RDONLY)", syscall(SYS_open, "missing", O_RDONLY));
    T("open(missing/x, O_CREAT)", syscall(SYS_open, "missing/x", O_WRONLY | O_CREAT, 0644));
    T("open(a/x, O_RDONLY) through a file", syscall(SYS_open, "a/x", O_RDONLY));
    T("open(a, O_DIRECTORY)", syscall(SYS_open, "a", O_RDONLY | O_DIRECTORY));
    T("open(., O_WRONLY)", syscall(SYS_open, ".", O_WRONLY));
    T("open(\"\", O_RDONLY)", syscall(SYS_open, "", O_RDONLY));
    T("open(a, O_RDONLY, bad flags ignored)", (fd = (int)syscall(SYS_open, "a", O_RDONLY | 0x4000000, 0)));
    close(fd);
    fd = (int)syscall(SYS_open, "a", O_RDWR | O_APPEND | O_CLOEXEC | O_NONBLOCK);
    fd_flags("open(a, O_RDWR|O_APPEND|O_CLOEXEC|O_NONBLOCK)", fd);
    T("write(a) appends", write(fd, "!", 1));
    close(fd);
    read_file("content of a", "a");
    fd = (int)syscall(SYS_open, "a", O_RDWR | O_TRUNC);
    fd_flags("open(a, O_RDWR|O_TRUNC)", fd);
    do_fstat("fstat(a) after O_TRUNC", fd);
    T("write(a)", write(fd, "hello", 5));
    close(fd);
    fd = (int)syscall(SYS_open, "exec", O_WRONLY | O_CREAT, 07777);
    do_fstat("open(exec, O_CREAT, 07777) mode under umask", fd);
    close(fd);
    T("umask(077)", syscall(SYS_umask, 077));
    fd = (int)syscall(SYS_creat, "private", 0666);
    fd_flags("creat(private, 0666)", fd);
    do_fstat("fstat(private) under umask 077", fd);
    T("write(private)", write(fd, "secret", 6));
    close(fd);
    T("umask(022) returns 077", syscall(SYS_umask, 022));
    fd = (int)syscall(SYS_creat, "private", 0600);
    do_fstat("creat(private) truncates", fd);
    close(fd);
    T("creat(missing/x)", syscall(SYS_creat, "missing/x", 0644));

    T("mkdir(d, 0755)", syscall(SYS_mkdir, "d", 0755));
    T("mkdir(d) again", syscall(SYS_mkdir, "d", 0755));
    T("mkdir(missing/x)", syscall(SYS_mkdir, "missing/x", 0755));
    T("mkdir(a/x) through a file", syscall(SYS_mkdir, "a/x", 0755));
    T("mkdir(sticky, 07777)", syscall(SYS_mkdir, "sticky", 07777));
    do_stat("stat(sticky)", "sticky");
    int dfd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    fd_flags("openat(AT_FDCWD, d, O_DIRECTORY)", dfd);
    T("mkdirat(d, sub, 0700)", syscall(SYS_mkdirat, dfd, "sub", 0700));
    T("mkdirat(d, sub) again", syscall(SYS_mkdirat, dfd, "sub", 0700));
    T("mkdirat(99, sub)", syscall(SYS_mkdirat, 99, "sub", 0700));
    fd = (int)syscall(SYS_openat, dfd, "f", O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
    fd_flags("openat(d, f, O_CREAT|O_EXCL|O_CLOEXEC, 0640)", fd);
    T("write(d/f)", write(fd, "in d\n", 5));
    close(fd);
    T("openat(d, f, O_CREAT|O_EXCL) again", syscall(SYS_openat, dfd, "f", O_RDWR | O_CREAT | O_EXCL, 0640));
    T("openat(closed fd 99, f)", syscall(SYS_openat, 99, "f", O_RDONLY));
    int afd = (int)syscall(SYS_openat, AT_FDCWD, "a", O_RDONLY);
    T("openat(file fd, f)", syscall(SYS_openat, afd, "f", O_RDONLY));
    T("openat(file fd, absolute path)", (fd = (int)syscall(SYS_openat, afd, S, O_RDONLY | O_DIRECTORY)) >= 0);
    close(fd);
    do_fstatat("newfstatat(d, f)", dfd, "f", 0);
    do_fstatat("newfstatat(d, sub)", dfd, "sub", 0);
    do_fstatat("newfstatat(d, \"\", AT_EMPTY_PATH)", dfd, "", AT_EMPTY_PATH);
    do_fstatat("newfstatat(AT_FDCWD, \"\", AT_EMPTY_PATH)", AT_FDCWD, "", AT_EMPTY_PATH);
    {
        /* the same, with the dirfd sign-extended to 64 bits (as glibc passes it) */
        struct stat st;
        errno = 0;
        long r = syscall(SYS_newfstatat, (long)AT_FDCWD, "", &st, AT_EMPTY_PATH);
        show_stat("newfstatat((long)AT_FDCWD, \"\", AT_EMPTY_PATH)", r, &st);
    }
    do_fstatat("newfstatat(d, \"\", 0)", dfd, "", 0);
    do_fstatat("newfstatat(file fd, x)", afd, "x", 0);
    do_fstatat("newfstatat(99, f)", 99, "f", 0);
    do_fstatat("newfstatat(d, missing)", dfd, "missing", 0);
    fd = (int)syscall(SYS_openat, dfd, "sub", O_PATH | O_DIRECTORY);
    fd_flags("openat(d, sub, O_PATH|O_DIRECTORY)", fd);
    do_fstatat("newfstatat(O_PATH fd, \"\", AT_EMPTY_PATH)", fd, "", AT_EMPTY_PATH);
    close(fd);
    fd = (int)syscall(SYS_openat, dfd, ".", O_TMPFILE | O_RDWR, 0600);
    do_fstat("openat(d, ., O_TMPFILE|O_RDWR, 0600)", fd);
    close(fd);

    /* stat family */
    do_stat("stat(a)", "a");
    do_stat("stat(d)", "d");
    do_stat("stat(.)", ".");
    do_stat("stat(missing)", "missing");
    do_stat("stat(a/)", "a/");
    do_stat("stat(a/x)", "a/x");
    do_stat("stat(\"\")", "");
    T("symlink(a, la)", syscall(SYS_symlink, "a", "la"));
    T("symlink(a, la) again", syscall(SYS_symlink, "a", "la"));
    T("symlink(nowhere, dangling)", syscall(SYS_symlink, "nowhere", "dangling"));
    T("symlink(\"\", empty)", syscall(SYS_symlink, "", "empty"));
    T("symlinkat(../a, d, la)", syscall(SYS_symlinkat, "../a", dfd, "la"));
    T("symlinkat(x, d, la) again", syscall(SYS_symlinkat, "x", dfd, "la"));
    T("symlinkat(x, 99, la)", syscall(SYS_symlinkat, "x", 99, "la"));
    T("symlink(loop2, loop1)", syscall(SYS_symlink, "loop2", "loop1"));
    T("symlink(loop1, loop2)", syscall(SYS_symlink, "loop1", "loop2"));
    do_stat("stat(la)", "la");
    do_lstat("lstat(la)", "la");
    do_lstat("lstat(a)", "a");
    do_lstat("lstat(missing)", "missing");
    do_stat("stat(dangling)", "dangling");
    do_lstat("lstat(dangling)", "dangling");
    do_stat("stat(loop1)", "loop1");
    do_fstatat("newfstatat(d, la)", dfd, "la", 0);
    do_fstatat("newfstatat(d, la, AT_SYMLINK_NOFOLLOW)", dfd, "la", AT_SYMLINK_NOFOLLOW);
    do_fstatat("newfstatat(AT_FDCWD, a, bad flags)", AT_FDCWD, "a", 0x8000000);
    T("open(la, O_NOFOLLOW)", syscall(SYS_open, "la", O_RDONLY | O_NOFOLLOW));
    T("open(loop1)", syscall(SYS_open, "loop1", O_RDONLY));
    fd = (int)syscall(SYS_open, "dangling", O_WRONLY | O_CREAT, 0644);
    fd_flags("open(dangling, O_CREAT) creates the target", fd);
    close(fd);
    do_stat("stat(nowhere)", "nowhere");
    do_statx("statx(AT_FDCWD, a)", AT_FDCWD, "a", 0, STATX_BASIC_STATS);
    do_statx("statx(AT_FDCWD, la)", AT_FDCWD, "la", 0, STATX_BASIC_STATS);
    do_statx("statx(AT_FDCWD, la, AT_SYMLINK_NOFOLLOW)", AT_FDCWD, "la", AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS);
    do_statx("statx(d, f)", dfd, "f", 0, STATX_BASIC_STATS);
    do_statx("statx(d, \"\", AT_EMPTY_PATH)", dfd, "", AT_EMPTY_PATH, STATX_BASIC_STATS);
    do_statx("statx(AT_FDCWD, missing)", AT_FDCWD, "missing", 0, STATX_BASIC_STATS);
    do_statx("statx(AT_FDCWD, a, reserved mask bit)", AT_FDCWD, "a", 0, 0x80000000u);
    do_statx("statx(AT_FDCWD, a, bad sync flags)", AT_FDCWD, "a", AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC,
             STATX_BASIC_STATS);
    do_statx("statx(99, a)", 99, "a", 0, STATX_BASIC_STATS);

    /* access family */
    T("access(a, F_OK)", syscall(SYS_access, "a", F_OK));
    T("access(a, R_OK|W_OK)", syscall(SYS_access, "a", R_OK | W_OK));
    T("access(missing, F_OK)", syscall(SYS_access, "missing", F_OK));
    T("access(a, 8)", syscall(SYS_access, "a", 8));
    T("access(a/x, F_OK)", syscall(SYS_access, "a/x", F_OK));
    T("faccessat(d, f, R_OK)", syscall(SYS_faccessat, dfd, "f", R_OK));
    T("faccessat(d, missing, R_OK)", syscall(SYS_faccessat, dfd, "missing", R_OK));
    T("faccessat(99, f, R_OK)", syscall(SYS_faccessat, 99, "f", R_OK));
    T("faccessat2(d, la, F_OK, AT_SYMLINK_NOFOLLOW)", syscall(SYS_faccessat2, dfd, "la", F_OK, AT_SYMLINK_NOFOLLOW));
    T("faccessat2(AT_FDCWD, dangling, F_OK, AT_SYMLINK_NOFOLLOW)",
      syscall(SYS_faccessat2, AT_FDCWD, "dangling", F_OK, AT_SYMLINK_NOFOLLOW));
    T("faccessat2(AT_FDCWD, a, R_OK, AT_EACCESS)", syscall(SYS_faccessat2, AT_FDCWD, "a", R_OK, AT_EACCESS));
    T("faccessat2(d, \"\", X_OK, AT_EMPTY_PATH)", syscall(SYS_faccessat2, dfd, "", X_OK, AT_EMPTY_PATH));
    T("faccessat2(AT_FDCWD, a, F_OK, bad flags)", syscall(SYS_faccessat2, AT_FDCWD, "a", F_OK, 0x1));

    /* readlink */
    do_readlink("readlink(la)", AT_FDCWD, "la", 256);
    T("readlink(la, size 0)", syscall(SYS_readlink, "la", (char[4]){0}, 0));
    do_readlink("readlinkat(AT_FDCWD, la, size 1)", AT_FDCWD, "la", 1);
    do_readlink("readlinkat(d, la)", dfd, "la", 256);
    do_readlink("readlinkat(AT_FDCWD, a) not a link", AT_FDCWD, "a", 256);
    do_readlink("readlinkat(AT_FDCWD, missing)", AT_FDCWD, "missing", 256);
    do_readlink("readlinkat(AT_FDCWD, empty)", AT_FDCWD, "empty", 256);
    do_readlink("readlinkat(99, la)", 99, "la", 256);
    {
        char buf[256];
        errno = 0;
        long r = syscall(SYS_readlink, "dangling", buf, sizeof(buf));
        if (r < 0)
            show("readlink(dangling)", r);
        else
            say("readlink(dangling) = %ld \"%.*s\"", r, (int)r, buf);
    }
    fd = (int)syscall(SYS_openat, AT_FDCWD, "la", O_PATH | O_NOFOLLOW);
    do_readlink("readlinkat(O_PATH fd of la, \"\")", fd, "", 256);
    close(fd);

    /* chmod, chown, truncate, utimensat */
    T("chmod(a, 0600)", syscall(SYS_chmod, "a", 0600));
    do_stat("stat(a) after chmod", "a");
    T("chmod(la, 0640) follows", syscall(SYS_chmod, "la", 0640));
    do_stat("stat(a) after chmod(la)", "a");
    T("chmod(missing)", syscall(SYS_chmod, "missing", 0600));
    T("fchmodat(d, f, 04751)", syscall(SYS_fchmodat, dfd, "f", 04751));
    do_fstatat("newfstatat(d, f) after fchmodat", dfd, "f", 0);
    T("fchmodat(d, missing, 0600)", syscall(SYS_fchmodat, dfd, "missing", 0600));
    T("fchmodat(99, f, 0600)", syscall(SYS_fchmodat, 99, "f", 0600));
    T("chown(a, -1, -1)", syscall(SYS_chown, "a", -1, -1));
    T("chown(a, getuid(), getgid())", syscall(SYS_chown, "a", getuid(), getgid()));
    T("chown(missing)", syscall(SYS_chown, "missing", -1, -1));
    T("lchown(la, getuid(), -1)", syscall(SYS_lchown, "la", getuid(), -1));
    T("lchown(dangling, -1, getgid())", syscall(SYS_lchown, "dangling", -1, getgid()));
    T("fchownat(d, f, -1, -1, 0)", syscall(SYS_fchownat, dfd, "f", -1, -1, 0));
    T("fchownat(d, la, getuid(), getgid(), AT_SYMLINK_NOFOLLOW)",
      syscall(SYS_fchownat, dfd, "la", getuid(), getgid(), AT_SYMLINK_NOFOLLOW));
    T("fchownat(d, missing)", syscall(SYS_fchownat, dfd, "missing", -1, -1, 0));
    T("fchownat(d, f, bad flags)", syscall(SYS_fchownat, dfd, "f", -1, -1, 0x2));
    /* a change of owner (to nobody) is up to the host: EPERM unless privileged, as natively */
    T("chown(a, 65534, 65534)", syscall(SYS_chown, "a", 65534, 65534));
    do_stat("stat(a) after chown attempt", "a");
    T("truncate(a, 3)", syscall(SYS_truncate, "a", 3));
    read_file("content of a after truncate", "a");
    T("truncate(a, 10000)", syscall(SYS_truncate, "a", 10000));
    do_stat("stat(a) after truncate", "a");
    T("truncate(a, -1)", syscall(SYS_truncate, "a", (long)-1));
    T("truncate(d)", syscall(SYS_truncate, "d", 0));
    T("truncate(missing)", syscall(SYS_truncate, "missing", 0));
    T("truncate(a) back to 5", syscall(SYS_truncate, "a", 5));
    struct timespec ts[2] = {{1000000000, 123456789}, {1234567890, 987654321}};
    T("utimensat(AT_FDCWD, a, times, 0)", syscall(SYS_utimensat, AT_FDCWD, "a", ts, 0));
    do_times("times of a", "a", 0);
    struct timespec omit[2] = {{0, UTIME_OMIT}, {2000000000, 5}};
    T("utimensat(AT_FDCWD, a, {OMIT, t}, 0)", syscall(SYS_utimensat, AT_FDCWD, "a", omit, 0));
    do_times("times of a after UTIME_OMIT", "a", 0);
    T("utimensat(d, f, times, 0)", syscall(SYS_utimensat, dfd, "f", ts, 0));
    do_times("times of d/f", "d/f", 0);
    T("utimensat(AT_FDCWD, la, times, AT_SYMLINK_NOFOLLOW)",
      syscall(SYS_utimensat, AT_FDCWD, "la", ts, AT_SYMLINK_NOFOLLOW));
    do_times("times of la (the link)", "la", AT_SYMLINK_NOFOLLOW);
    fd = (int)syscall(SYS_open, "private", O_WRONLY);
    T("utimensat(fd, NULL, times, 0) (futimens)", syscall(SYS_utimensat, fd, NULL, ts, 0));
    do_times("times of private", "private", 0);
    T("utimensat(fd, NULL, NULL, 0) (futimens to now)", syscall(SYS_utimensat, fd, NULL, NULL, 0));
    T("utimensat(fd, NULL, times, AT_SYMLINK_NOFOLLOW)",
      syscall(SYS_utimensat, fd, NULL, ts, AT_SYMLINK_NOFOLLOW));
    close(fd);
    T("utimensat(AT_FDCWD, a, NULL, 0) (to now)", syscall(SYS_utimensat, AT_FDCWD, "a", NULL, 0));
    struct timespec bad[2] = {{0, 1000000000}, {0, 0}};
    T("utimensat(AT_FDCWD, a, bad nsec, 0)", syscall(SYS_utimensat, AT_FDCWD, "a", bad, 0));
    T("utimensat(AT_FDCWD, missing, times, 0)", syscall(SYS_utimensat, AT_FDCWD, "missing", ts, 0));
    T("utimensat(AT_FDCWD, a, times, bad flags)", syscall(SYS_utimensat, AT_FDCWD, "a", ts, 0x4));
    T("utimensat(99, NULL, times, 0)", syscall(SYS_utimensat, 99, NULL, ts, 0));
    T("utimensat(AT_FDCWD, NULL, times, 0)", syscall(SYS_utimensat, AT_FDCWD, NULL, ts, 0));

    /* link, rename */
    T("link(a, hard)", syscall(SYS_link, "a", "hard"));
    do_stat("stat(a) after link", "a");
    T("link(a, hard) again", syscall(SYS_link, "a", "hard"));
    T("link(missing, x)", syscall(SYS_link, "missing", "x"));
    T("link(d, dlink)", syscall(SYS_link, "d", "dlink"));
    T("link(a, missing/x)", syscall(SYS_link, "a", "missing/x"));
    T("linkat(AT_FDCWD, la, d, hard2, 0)", syscall(SYS_linkat, AT_FDCWD, "la", dfd, "hard2", 0));
    do_fstatat("newfstatat(d, hard2, AT_SYMLINK_NOFOLLOW)", dfd, "hard2", AT_SYMLINK_NOFOLLOW);
    T("linkat(AT_FDCWD, la, d, hard3, AT_SYMLINK_FOLLOW)",
      syscall(SYS_linkat, AT_FDCWD, "la", dfd, "hard3", AT_SYMLINK_FOLLOW));
    do_fstatat("newfstatat(d, hard3, AT_SYMLINK_NOFOLLOW)", dfd, "hard3", AT_SYMLINK_NOFOLLOW);
    T("linkat(d, f, AT_FDCWD, f2, bad flags)", syscall(SYS_linkat, dfd, "f", AT_FDCWD, "f2", 0x1));
    T("linkat(99, f, AT_FDCWD, f2, 0)", syscall(SYS_linkat, 99, "f", AT_FDCWD, "f2", 0));
    fd = (int)syscall(SYS_openat, AT_FDCWD, "private", O_RDONLY);
    T("linkat(fd, \"\", AT_FDCWD, private2, AT_EMPTY_PATH)",
      syscall(SYS_linkat, fd, "", AT_FDCWD, "private2", AT_EMPTY_PATH));
    do_lstat("lstat(private2)", "private2");
    close(fd);

    T("rename(hard, renamed)", syscall(SYS_rename, "hard", "renamed"));
    T("rename(hard, renamed) again", syscall(SYS_rename, "hard", "renamed"));
    T("rename(renamed, renamed)", syscall(SYS_rename, "renamed", "renamed"));
    T("rename(renamed, d) file onto dir", syscall(SYS_rename, "renamed", "d"));
    T("rename(sticky, a) dir onto file", syscall(SYS_rename, "sticky", "a"));
    T("rename(sticky, d) onto non-empty dir", syscall(SYS_rename, "sticky", "d"));
    T("rename(d, d/sub/x) into itself", syscall(SYS_rename, "d", "d/sub/x"));
    T("rename(renamed, missing/x)", syscall(SYS_rename, "renamed", "missing/x"));
    T("rename(renamed, private) replaces", syscall(SYS_rename, "renamed", "private"));
    read_file("content of private", "private");
    T("renameat(d, f, AT_FDCWD, f-moved)", syscall(SYS_renameat, dfd, "f", AT_FDCWD, "f-moved"));
    T("renameat(d, f, AT_FDCWD, f-moved) again", syscall(SYS_renameat, dfd, "f", AT_FDCWD, "f-moved"));
    T("renameat(99, f, AT_FDCWD, x)", syscall(SYS_renameat, 99, "f", AT_FDCWD, "x"));
    write_file("one", "1");
    write_file("two", "22");
    T("renameat2(one, two, RENAME_NOREPLACE)",
      syscall(SYS_renameat2, AT_FDCWD, "one", AT_FDCWD, "two", RENAME_NOREPLACE));
    T("renameat2(one, three, RENAME_NOREPLACE)",
      syscall(SYS_renameat2, AT_FDCWD, "one", AT_FDCWD, "three", RENAME_NOREPLACE));
    T("renameat2(three, two, RENAME_EXCHANGE)",
      syscall(SYS_renameat2, AT_FDCWD, "three", AT_FDCWD, "two", RENAME_EXCHANGE));
    read_file("content of two", "two");
    read_file("content of three", "three");
    T("renameat2(three, missing, RENAME_EXCHANGE)",
      syscall(SYS_renameat2, AT_FDCWD, "three", AT_FDCWD, "missing", RENAME_EXCHANGE));
    T("renameat2(three, two, NOREPLACE|EXCHANGE)",
      syscall(SYS_renameat2, AT_FDCWD, "three", AT_FDCWD, "two", RENAME_NOREPLACE | RENAME_EXCHANGE));
    T("renameat2(three, two, 0x80)", syscall(SYS_renameat2, AT_FDCWD, "three", AT_FDCWD, "two", 0x80));

    /* unlink, rmdir */
    T("unlink(three)", syscall(SYS_unlink, "three"));
    T("unlink(three) again", syscall(SYS_unlink, "three"));
    T("unlink(d)", syscall(SYS_unlink, "d"));
    T("unlink(a/x)", syscall(SYS_unlink, "a/x"));
    T("unlink(dangling) removes the link", syscall(SYS_unlink, "dangling"));
    do_lstat("lstat(dangling) after unlink", "dangling");
    do_stat("stat(nowhere) stays", "nowhere");
    T("rmdir(d) not empty", syscall(SYS_rmdir, "d"));
    T("rmdir(a) not a dir", syscall(SYS_rmdir, "a"));
    T("rmdir(missing)", syscall(SYS_rmdir, "missing"));
    T("rmdir(.)", syscall(SYS_rmdir, "."));
    T("rmdir(sticky)", syscall(SYS_rmdir, "sticky"));
    T("unlinkat(d, la, 0)", syscall(SYS_unlinkat, dfd, "la", 0));
    T("unlinkat(d, sub, 0) a dir", syscall(SYS_unlinkat, dfd, "sub", 0));
    T("unlinkat(d, sub, AT_REMOVEDIR)", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
    T("unlinkat(d, sub, AT_REMOVEDIR) again", syscall(SYS_unlinkat, dfd, "sub", AT_REMOVEDIR));
    T("unlinkat(d, hard2, bad flags)", syscall(SYS_unlinkat, dfd, "hard2", 0x1));
    T("unlinkat(99, x, 0)", syscall(SYS_unlinkat, 99, "x", 0));
    T("unlinkat(file fd, x, 0)", syscall(SYS_unlinkat, afd, "x", 0));

    /* directories: getdents64 and the old getdents */
    list_dir("getdents64(d)", dfd);
    fd = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
    list_entries("getdents(d)", fd, 1);
    close(fd);
    T("getdents(99)", syscall(SYS_getdents, 99, (char[1024]){0}, 1024));
    list_path("getdents64($S)", ".");
    T("getdents64(file fd)", syscall(SYS_getdents64, afd, (char[1024]){0}, 1024));
    T("getdents64(99)", syscall(SYS_getdents64, 99, (char[1024]){0}, 1024));
    T("getdents64(d, tiny buffer)", ({
          int d2 = (int)syscall(SYS_openat, AT_FDCWD, "d", O_RDONLY | O_DIRECTORY);
          long r = syscall(SYS_getdents64, d2, (char[8]){0}, 8);
          int e = errno;
          close(d2);
          errno = e;
          r;
      }));
    fd = (int)syscall(SYS_openat, AT_FDCWD, "/usr", O_RDONLY | O_DIRECTORY);
    list_dir("getdents64(/usr)", fd);
    close(fd);

    /* statfs */
    struct statfs sf;
    errno = 0;
    if (syscall(SYS_statfs, ".", &sf) == 0)
        say("statfs(.) = type 0x%lx bsize %ld namelen %ld", (unsigned long)sf.f_type, (long)sf.f_bsize,
            (long)sf.f_namelen);
    else
        show("statfs(.)", -1);
    errno = 0;
    if (syscall(SYS_statfs, "/proc", &sf) == 0)
        say("statfs(/proc) = type 0x%lx", (unsigned long)sf.f_type);
    else
        show("statfs(/proc)", -1);
    T("statfs(missing)", syscall(SYS_statfs, "missing", &sf));

    /* long names */
    char name[300];
    memset(name, 'n', 256);
    name[256] = 0;
    T("open(256-byte name, O_CREAT)", syscall(SYS_open, name, O_WRONLY | O_CREAT, 0644));
    name[255] = 0;
    T("open(255-byte name, O_CREAT) ok", (fd = (int)syscall(SYS_open, name, O_WRONLY | O_CREAT, 0644)) >= 0);
    close(fd);
    T("unlink(255-byte name)", syscall(SYS_unlink, name));
    static char longpath[5000];
    for (int i = 0; i < 4094; i += 2)
        memcpy(longpath + i, "./", 2);
    longpath[4094] = 'a';
    longpath[4095] = 0;
    do_stat("stat(4095-byte path)", longpath);
    longpath[4095] = 'a';
    longpath[4096] = 0;
    do_stat("stat(4096-byte path)", longpath);

    close(dfd);
    close(afd);
}

/* chdir, fchdir and getcwd, and relative paths that follow the working directory. */
static void scenario_cwd(void)
{
    show_cwd("getcwd");
    T("mkdir(d)", syscall(SYS_mkdir, "d", 0755));
    T("mkdir(d/sub)", syscall(SYS_mkdir, "d/sub", 0755));
    write_file("file", "top");
    write_file("d/sub/file", "deep");
    T("symlink(d/sub, lsub)", syscall(SYS_symlink, "d/sub", "lsub"));
    T("chdir(d)", syscall(SYS_chdir, "d"));
    show_cwd("getcwd after chdir(d)");
    read_file("read sub/file", "sub/file");
    read_file("read ../file", "../file");
    T("chdir(sub/../..)", syscall(SYS_chdir, "sub/../.."));
    show_cwd("getcwd after chdir(sub/../..)");
    T("chdir(lsub) through a symlink", syscall(SYS_chdir, "lsub"));
    show_cwd("getcwd after chdir(lsub)");
    read_file("read file in lsub", "file");
    T("chdir(missing)", syscall(SYS_chdir, "missing"));
    T("chdir(file) not a dir", syscall(SYS_chdir, "file"));
    T("chdir(\"\")", syscall(SYS_chdir, ""));
    show_cwd("getcwd after failed chdirs");
    T("chdir(S)", syscall(SYS_chdir, S));
    int dfd = (int)syscall(SYS_open, "d", O_RDONLY | O_DIRECTORY);
    int pfd = (int)syscall(SYS_open, "d/sub", O_PATH | O_DIRECTORY);
    int ffd = (int)syscall(SYS_open, "file", O_RDONLY);
    T("fchdir(d)", syscall(SYS_fchdir, dfd));
    show_cwd("getcwd after fchdir(d)");
    T("fchdir(O_PATH fd of d/sub)", syscall(SYS_fchdir, pfd));
    show_cwd("getcwd after fchdir(d/sub)");
    T("fchdir(file fd)", syscall(SYS_fchdir, ffd));
    T("fchdir(99)", syscall(SYS_fchdir, 99));
    T("fchdir(-1)", syscall(SYS_fchdir, -1));
    show_cwd("getcwd after failed fchdirs");
    T("chdir(/)", syscall(SYS_chdir, "/"));
    show_cwd("getcwd after chdir(/)");
    T("chdir(..) at /", syscall(SYS_chdir, ".."));
    show_cwd("getcwd after chdir(..) at /");
    T("fchdir(d) again", syscall(SYS_fchdir, dfd));
    show_cwd("getcwd after fchdir(d)");
    char buf[4096];
    long need = syscall(SYS_getcwd, buf, sizeof(buf));
    T("getcwd(exact size)", syscall(SYS_getcwd, buf, need));
    T("getcwd(size - 1)", syscall(SYS_getcwd, buf, need - 1));
    T("getcwd(size 0)", syscall(SYS_getcwd, buf, 0));
    T("getcwd(NULL, 0)", syscall(SYS_getcwd, NULL, 0));
    /* glibc's getcwd with a NULL buffer allocates */
    char *g = getcwd(NULL, 0);
    say("glibc getcwd(NULL, 0) = %s", g && strcmp(g, buf) == 0 ? "same" : "different");
    free(g);
    close(dfd);
    close(pfd);
    close(ffd);
}

/*
 * The working directory is the directory, not its name: renamed or removed, it stays the
 * process's working directory.
 */
static void scenario_cwd_moved(void)
{
    T("mkdir(old)", syscall(SYS_mkdir, "old", 0755));
    T("chdir(old)", syscall(SYS_chdir, "old"));
    write_file("before", "b");
    T("rename($S/old, $S/new)", syscall(SYS_rename, "../old", "../new"));
    show_cwd("getcwd after the rename");
    write_file("after", "a");
    list_path("getdents64($S/new)", "../new");
    do_stat("stat(before)", "before");
    T("unlink(before)", syscall(SYS_unlink, "before"));
    T("unlink(after)", syscall(SYS_unlink, "after"));
    T("rmdir($S/new)", syscall(SYS_rmdir, "../new"));
    show_cwd("getcwd after the rmdir");
    T("open(x, O_CREAT) in a removed directory", syscall(SYS_open, "x", O_WRONLY | O_CREAT, 0644));
    do_stat("stat(.)", ".");
}

/* File names are bytes, not text: names that are not UTF-8. */
static void scenario_names(void)
{
    const char *names[] = {"caf\xc3\xa9", "latin1-caf\xe9", "bytes-\xff\xfe\x80", "nl\nname", "sp ace"};
    for (unsigned i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        char label[64];
        snprintf(label, sizeof(label), "name %u: ", i);
        size_t l = strlen(label);
        int fd = (int)syscall(SYS_open, names[i], O_WRONLY | O_CREAT | O_EXCL, 0644);
        strcpy(label + l, "open(O_CREAT)");
        T(label, fd >= 0 ? 0 : -1);
        if (fd >= 0) {
            T("write", write(fd, names[i], strlen(names[i])));
            close(fd);
        }
        strcpy(label + l, "stat");
        do_stat(label, names[i]);
        strcpy(label + l, "access");
        T(label, syscall(SYS_access, names[i], R_OK));
        char dir[32];
        snprintf(dir, sizeof(dir), "dir%u", i);
        T("mkdir", syscall(SYS_mkdir, dir, 0755));
        char to[128];
        snprintf(to, sizeof(to), "%s/%s", dir, names[i]);
        strcpy(label + l, "rename into dir");
        T(label, syscall(SYS_rename, names[i], to));
        strcpy(label + l, "symlink to it");
        T(label, syscall(SYS_symlink, to, names[i]));
        char buf[128];
        label[l] = 0;
        errno = 0;
        long r = syscall(SYS_readlink, names[i], buf, sizeof(buf));
        if (r < 0)
            show("readlink", r);
        else
            say("%sreadlink = %ld, %s", label, r,
                r == (long)strlen(to) && memcmp(buf, to, (size_t)r) == 0 ? "the target as given" : "another target");
    }
    list_path("getdents64(.)", ".");
}

int main(int argc, char **argv)
{
    t_init();
    if (argc < 2)
        return 2;
    S = argv[1];
    const char *scenario = argc > 2 ? argv[2] : "main";
    T("chdir(S)", syscall(SYS_chdir, S));
    if (strcmp(scenario, "main") == 0)
        scenario_main();
    else if (strcmp(scenario, "cwd") == 0)
        scenario_cwd();
    else if (strcmp(scenario, "cwd-moved") == 0)
        scenario_cwd_moved();
    else if (strcmp(scenario, "names") == 0)
        scenario_names();
    else
        return 2;
    say("done");
    return 0;
}
