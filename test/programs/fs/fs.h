/*
 * Helpers of the file-system test programs (test/programs/fs/NAME.c), on top of ../t.h.
 *
 * Every program takes an empty scratch directory as argv[1] (a canonical path), chdirs into it
 * and works only inside it. Each operation prints one line "label = result"; results never show
 * addresses, inode or device numbers, times (except those the program set itself) or host pids,
 * and paths under the scratch directory are printed as "$S/...", so that a native run and a run
 * under gramine-ts (each with its own scratch directory) print the same lines.
 */
#ifndef GTS_TEST_FS_H
#define GTS_TEST_FS_H

#include "../t.h"
#include <dirent.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

static const char *S;

/* argv[1]: the scratch directory; the program runs in it with umask 022. */
static inline void fs_init(int argc, char **argv)
{
    t_init();
    if (argc < 2) {
        fprintf(stderr, "usage: %s SCRATCH_DIR\n", argv[0]);
        exit(2);
    }
    S = argv[1];
    if (chdir(S) != 0)
        die("chdir to the scratch directory");
    umask(022);
}

/* `p` with a leading scratch-dir prefix replaced by "$S" (a static buffer: one use per line). */
static inline const char *rel(const char *p)
{
    static char buf[2][4200];
    static int which;
    char *b = buf[which ^= 1];
    size_t n = strlen(S);
    if (strncmp(p, S, n) == 0 && (p[n] == 0 || p[n] == '/'))
        snprintf(b, sizeof(buf[0]), "$S%s", p + n);
    else
        snprintf(b, sizeof(buf[0]), "%s", p);
    return b;
}

static inline const char *ftype(mode_t m)
{
    switch (m & S_IFMT) {
    case S_IFREG: return "reg";
    case S_IFDIR: return "dir";
    case S_IFLNK: return "lnk";
    case S_IFIFO: return "fifo";
    case S_IFCHR: return "chr";
    case S_IFBLK: return "blk";
    case S_IFSOCK: return "sock";
    default: return "?";
    }
}

static inline const char *dtype(unsigned char t)
{
    switch (t) {
    case DT_REG: return "reg";
    case DT_DIR: return "dir";
    case DT_LNK: return "lnk";
    case DT_FIFO: return "fifo";
    case DT_CHR: return "chr";
    case DT_BLK: return "blk";
    case DT_SOCK: return "sock";
    case DT_UNKNOWN: return "unknown";
    default: return "?";
    }
}

/*
 * "label = reg 0644 size 5 nlink 1 blocks yes", or the error. Directories: no size (it depends
 * on the file system's layout of entries).
 */
static inline void show_st(const char *label, long r, const struct stat *st)
{
    if (r != 0) {
        show(label, r);
        return;
    }
    if (S_ISDIR(st->st_mode))
        say("%s = dir 0%o nlink %lu blocks %s", label, st->st_mode & 07777, (unsigned long)st->st_nlink,
            st->st_blocks > 0 ? "yes" : "no");
    else
        say("%s = %s 0%o size %lld nlink %lu blocks %s", label, ftype(st->st_mode), st->st_mode & 07777,
            (long long)st->st_size, (unsigned long)st->st_nlink, st->st_blocks > 0 ? "yes" : "no");
}

static inline void do_stat(const char *label, const char *path)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_stat, path, &st);
    show_st(label, r, &st);
}

static inline void do_lstat(const char *label, const char *path)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_lstat, path, &st);
    show_st(label, r, &st);
}

static inline void do_fstat(const char *label, int fd)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_fstat, fd, &st);
    show_st(label, r, &st);
}

static inline void do_fstatat(const char *label, int dirfd, const char *path, int flags)
{
    struct stat st;
    errno = 0;
    long r = syscall(SYS_newfstatat, dirfd, path, &st, flags);
    show_st(label, r, &st);
}

/* Bytes as text: printable ASCII as is, the rest (and \ and ") as \xNN. */
static inline void put_escaped(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c >= 0x20 && c < 0x7f && c != '\\' && c != '"')
            putchar(c);
        else
            printf("\\x%02x", c);
    }
}

/* FNV-1a, 64 bits: a digest of contents too long to print. */
static inline uint64_t fnv(const void *p, size_t n, uint64_t h)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) {
        h ^= b[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}
#define FNV_INIT 0xcbf29ce484222325ULL

/* "label = \"content\"" for up to 200 bytes read from fd's current offset, or the error. */
static inline void show_read(const char *label, int fd, size_t max)
{
    char buf[256];
    if (max > sizeof(buf))
        max = sizeof(buf);
    errno = 0;
    ssize_t n = read(fd, buf, max);
    if (n < 0) {
        show(label, -1);
        return;
    }
    printf("%s = %zd \"", label, n);
    put_escaped(buf, (size_t)n);
    printf("\"\n");
}

/* The whole content of `path` (up to 200 bytes shown; longer: its size and digest), or the error. */
static inline void show_file(const char *label, const char *path)
{
    errno = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_CLOEXEC, 0);
    if (fd < 0) {
        show(label, -1);
        return;
    }
    char buf[65536];
    size_t total = 0;
    uint64_t h = FNV_INIT;
    char head[201];
    size_t headn = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n < 0) {
            show(label, -1);
            close(fd);
            return;
        }
        if (n == 0)
            break;
        if (headn < 200) {
            size_t k = (size_t)n < 200 - headn ? (size_t)n : 200 - headn;
            memcpy(head + headn, buf, k);
            headn += k;
        }
        h = fnv(buf, (size_t)n, h);
        total += (size_t)n;
    }
    close(fd);
    if (total <= 200) {
        printf("%s = \"", label);
        put_escaped(head, headn);
        printf("\"\n");
    } else {
        say("%s = %zu bytes fnv %016llx", label, total, (unsigned long long)h);
    }
}

/* Create (or truncate) `path` with `content`, mode 0644; dies on failure (setup, not a test). */
static inline void put_file(const char *path, const char *content)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        die(path);
    size_t n = strlen(content);
    if (write(fd, content, n) != (ssize_t)n)
        die(path);
    close(fd);
}

static inline int compare_strs(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * getdents64 of an open directory with a `bufsize`-byte buffer: "label = N: name:type ...",
 * the entries sorted by name (all of them if `show_names`, else only the count, the first 3 and
 * the last 3).
 */
static inline void list_fd(const char *label, int fd, size_t bufsize, int show_names)
{
    char buf[8192];
    if (bufsize > sizeof(buf))
        bufsize = sizeof(buf);
    size_t cap = 64, n = 0;
    char **names = malloc(cap * sizeof(char *));
    for (;;) {
        errno = 0;
        long r = syscall(SYS_getdents64, fd, buf, bufsize);
        if (r < 0) {
            show(label, r);
            for (size_t i = 0; i < n; i++)
                free(names[i]);
            free(names);
            return;
        }
        if (r == 0)
            break;
        for (long off = 0; off < r;) {
            struct dirent64 *d = (struct dirent64 *)(buf + off);
            size_t len = strlen(d->d_name) + 16;
            char *e = malloc(len);
            snprintf(e, len, "%s:%s", d->d_name, dtype(d->d_type));
            if (n == cap)
                names = realloc(names, (cap *= 2) * sizeof(char *));
            names[n++] = e;
            off += d->d_reclen;
        }
    }
    qsort(names, n, sizeof(names[0]), compare_strs);
    printf("%s = %zu:", label, n);
    for (size_t i = 0; i < n; i++) {
        if (show_names || i < 3 || i + 3 >= n)
            printf(" %s", names[i]);
        else if (i == 3)
            printf(" ...");
        free(names[i]);
    }
    printf("\n");
    free(names);
}

static inline void list_path(const char *label, const char *path)
{
    errno = 0;
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) {
        show(label, -1);
        return;
    }
    list_fd(label, fd, 4096, 1);
    close(fd);
}

/* readlinkat: "label = N \"target\"" (targets under the scratch dir as $S/...), or the error. */
static inline void show_readlink(const char *label, int dirfd, const char *path, size_t size)
{
    char buf[4200];
    if (size > sizeof(buf) - 1)
        size = sizeof(buf) - 1;
    errno = 0;
    long r = syscall(SYS_readlinkat, dirfd, path, buf, size);
    if (r < 0) {
        show(label, r);
        return;
    }
    buf[r] = 0;
    /* the length of a target under the scratch dir is shown as $S+N (N: the part after $S) */
    size_t n = strlen(S);
    if (strncmp(buf, S, n) == 0 && (buf[n] == 0 || buf[n] == '/'))
        say("%s = $S+%ld \"%s\"", label, (long)r - (long)n, rel(buf));
    else
        say("%s = %ld \"%s\"", label, (long)r, rel(buf));
}

/* getcwd, under the scratch dir as $S/... */
static inline void show_cwd(const char *label)
{
    char buf[4200];
    errno = 0;
    long r = syscall(SYS_getcwd, buf, sizeof(buf));
    if (r < 0) {
        show(label, r);
        return;
    }
    say("%s = %s", label, rel(buf));
}

#endif
