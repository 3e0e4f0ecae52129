/*
 * File mappings and in-kernel copies: mmap MAP_SHARED (a store is seen by read(2) and a write(2)
 * by the mapping), MAP_PRIVATE (stores never reach the file), mappings of a grown file and of an
 * unlinked file, mmap permission errors, sendfile (to a file and to a pipe, with and without an
 * offset) and copy_file_range (whole, with offsets, error cases). argv[1]: an empty scratch
 * directory.
 */
#include "fs.h"
#include <sys/mman.h>
#include <sys/sendfile.h>

#define PAGE 4096

static int xopen(const char *path, int flags, mode_t mode)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
    if (fd < 0)
        die(path);
    return fd;
}

/* The result of mmap: "mapped" or the error (never the address). */
static void *do_mmap(const char *label, size_t len, int prot, int flags, int fd, off_t off)
{
    errno = 0;
    void *p = mmap(NULL, len, prot, flags, fd, off);
    if (p == MAP_FAILED)
        show(label, -1);
    else
        say("%s = mapped", label);
    return p;
}

static void show_mem(const char *label, const char *p, size_t n)
{
    printf("%s = \"", label);
    put_escaped(p, n);
    printf("\"\n");
}

static void shared(void)
{
    put_file("sh", "0123456789abcdef");
    int fd = xopen("sh", O_RDWR, 0);
    char *p = do_mmap("mmap(sh, PROT_READ|PROT_WRITE, MAP_SHARED)", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return;
    show_mem("mapping of sh", p, 16);
    memcpy(p + 2, "SHARED", 6);
    say("store SHARED at offset 2 = done");
    show_read("read(sh) after the store, before msync", fd, 32);
    T("msync(MS_SYNC)", msync(p, PAGE, MS_SYNC));
    show_file("content of sh after msync", "sh");
    T("pwrite(sh, WRITE, 10)", pwrite(fd, "WRITE", 5, 10));
    show_mem("mapping of sh after pwrite", p, 16);
    int fd2 = xopen("sh", O_RDONLY, 0);
    char *q = do_mmap("second MAP_SHARED mapping of sh (read-only fd)", PAGE, PROT_READ, MAP_SHARED, fd2, 0);
    if (q != MAP_FAILED) {
        p[0] = '#';
        show_mem("the second mapping sees a store to the first", q, 16);
        munmap(q, PAGE);
    }
    close(fd2);
    T("munmap(sh)", munmap(p, PAGE));
    close(fd);
    show_file("content of sh after munmap", "sh");
    do_stat("stat(sh): size unchanged", "sh");

    /* a mapping stays valid after close and after unlink */
    put_file("tmp", "mapped then unlinked");
    fd = xopen("tmp", O_RDWR, 0);
    p = do_mmap("mmap(tmp, MAP_SHARED)", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return;
    T("close(tmp fd) with the mapping", close(fd));
    T("unlink(tmp)", unlink("tmp"));
    show_mem("mapping of tmp after close and unlink", p, 20);
    munmap(p, PAGE);

    /* growing the file under a two-page mapping */
    put_file("grow", "page one");
    fd = xopen("grow", O_RDWR, 0);
    T("ftruncate(grow, 2 pages)", ftruncate(fd, 2 * PAGE));
    p = do_mmap("mmap(grow, 2 pages, MAP_SHARED)", 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p != MAP_FAILED) {
        memcpy(p + PAGE, "page two", 8);
        T("msync(grow)", msync(p, 2 * PAGE, MS_SYNC));
        munmap(p, 2 * PAGE);
    }
    char buf[16];
    T("pread(grow, 8, PAGE)", pread(fd, buf, 8, PAGE));
    show_mem("bytes at PAGE of grow", buf, 8);
    p = do_mmap("mmap(grow, offset PAGE)", PAGE, PROT_READ, MAP_SHARED, fd, PAGE);
    if (p != MAP_FAILED) {
        show_mem("mapping at offset PAGE", p, 8);
        munmap(p, PAGE);
    }
    do_mmap("mmap(grow, offset 100) unaligned", PAGE, PROT_READ, MAP_SHARED, fd, 100);
    close(fd);
}

static void private(void)
{
    put_file("pr", "private original");
    int fd = xopen("pr", O_RDWR, 0);
    char *p = do_mmap("mmap(pr, PROT_READ|PROT_WRITE, MAP_PRIVATE)", PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return;
    memcpy(p, "CHANGED", 7);
    show_mem("private mapping after a store", p, 16);
    T("msync(private)", msync(p, PAGE, MS_SYNC));
    show_read("read(pr): the store is not written back", fd, 32);
    char *q = do_mmap("another MAP_PRIVATE mapping of pr", PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    if (q != MAP_FAILED) {
        show_mem("it sees the file", q, 16);
        munmap(q, PAGE);
    }
    T("munmap(private)", munmap(p, PAGE));
    close(fd);
    show_file("content of pr", "pr");

    /* permissions */
    fd = xopen("pr", O_RDONLY, 0);
    p = do_mmap("mmap(O_RDONLY fd, PROT_WRITE, MAP_PRIVATE)", PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (p != MAP_FAILED) {
        p[0] = 'p';
        show_mem("private writable mapping of a read-only fd", p, 16);
        munmap(p, PAGE);
    }
    do_mmap("mmap(O_RDONLY fd, PROT_WRITE, MAP_SHARED)", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    fd = xopen("pr", O_WRONLY, 0);
    do_mmap("mmap(O_WRONLY fd, PROT_READ, MAP_SHARED)", PAGE, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    fd = xopen("pr", O_RDWR | O_APPEND, 0);
    do_mmap("mmap(O_APPEND fd, PROT_WRITE, MAP_SHARED)", PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    fd = xopen(".", O_RDONLY | O_DIRECTORY, 0);
    do_mmap("mmap(directory fd)", PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    fd = xopen("pr", O_PATH, 0);
    do_mmap("mmap(O_PATH fd)", PAGE, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    do_mmap("mmap(closed fd 99)", PAGE, PROT_READ, MAP_PRIVATE, 99, 0);
    put_file("empty", "");
    fd = xopen("empty", O_RDONLY, 0);
    do_mmap("mmap(empty file, length 0)", 0, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
}

static void make_big(const char *path, size_t n)
{
    int fd = xopen(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    char buf[8192];
    for (size_t off = 0; off < n;) {
        size_t k = n - off < sizeof(buf) ? n - off : sizeof(buf);
        for (size_t i = 0; i < k; i++)
            buf[i] = (char)('A' + ((off + i) * 7 + (off + i) / 251) % 26);
        if (write(fd, buf, k) != (ssize_t)k)
            die(path);
        off += k;
    }
    close(fd);
}

static void sendfiles(void)
{
    make_big("big", 200000);
    int in = xopen("big", O_RDONLY, 0);
    int out = xopen("sf-out", O_WRONLY | O_CREAT | O_EXCL, 0644);
    long total = 0;
    for (;;) {
        errno = 0;
        ssize_t n = sendfile(out, in, NULL, 65536);
        if (n < 0) {
            show("sendfile(big -> sf-out)", -1);
            break;
        }
        if (n == 0)
            break;
        total += n;
    }
    say("sendfile(big -> sf-out) in 64 KiB calls = %ld bytes", total);
    T("tell(big) after sendfile without offset", lseek(in, 0, SEEK_CUR));
    close(out);
    show_file("content of big", "big");
    show_file("content of sf-out", "sf-out");

    out = xopen("sf-part", O_WRONLY | O_CREAT | O_EXCL, 0644);
    off_t off = 100;
    T("lseek(big, 5, SEEK_SET)", lseek(in, 5, SEEK_SET));
    T("sendfile(big -> sf-part, offset 100, 26)", sendfile(out, in, &off, 26));
    say("offset after sendfile = %lld", (long long)off);
    T("tell(big) unchanged by sendfile with an offset", lseek(in, 0, SEEK_CUR));
    off = 199990;
    T("sendfile(offset 199990, 100) near the end", sendfile(out, in, &off, 100));
    say("offset after = %lld", (long long)off);
    T("sendfile(at EOF)", sendfile(out, in, &off, 100));
    close(out);
    show_file("content of sf-part", "sf-part");

    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    off = 0;
    T("sendfile(big -> pipe, offset 0, 10)", sendfile(p[1], in, &off, 10));
    show_read("read(pipe)", p[0], 100);
    T("sendfile(pipe -> file)", sendfile(in, p[0], NULL, 10));
    close(p[0]);
    close(p[1]);
    int wo = xopen("big", O_WRONLY, 0);
    out = xopen("sf-bad", O_WRONLY | O_CREAT, 0644);
    T("sendfile(from an O_WRONLY fd)", sendfile(out, wo, NULL, 10));
    int ro = xopen("sf-out", O_RDONLY, 0);
    T("sendfile(to an O_RDONLY fd)", sendfile(ro, in, NULL, 10));
    int ap = xopen("sf-bad", O_WRONLY | O_APPEND, 0);
    T("sendfile(to an O_APPEND fd)", sendfile(ap, in, NULL, 10));
    T("sendfile(closed fd 99)", sendfile(out, 99, NULL, 10));
    off = -1;
    T("sendfile(offset -1)", sendfile(out, in, &off, 10));
    close(ap);
    close(ro);
    close(out);
    close(wo);
    close(in);
}

static void copy_ranges(void)
{
    int in = xopen("big", O_RDONLY, 0);
    int out = xopen("cfr-out", O_WRONLY | O_CREAT | O_EXCL, 0644);
    long total = 0;
    for (;;) {
        errno = 0;
        ssize_t n = copy_file_range(in, NULL, out, NULL, 1 << 20, 0);
        if (n < 0) {
            show("copy_file_range(big -> cfr-out)", -1);
            break;
        }
        if (n == 0)
            break;
        total += n;
    }
    say("copy_file_range(big -> cfr-out) = %ld bytes", total);
    T("tell(big)", lseek(in, 0, SEEK_CUR));
    T("tell(cfr-out)", lseek(out, 0, SEEK_CUR));
    close(out);
    show_file("content of cfr-out", "cfr-out");

    put_file("cfr-part", "..........");
    out = xopen("cfr-part", O_WRONLY, 0);
    loff_t ioff = 26, ooff = 3;
    T("copy_file_range(big@26 -> cfr-part@3, 5)", copy_file_range(in, &ioff, out, &ooff, 5, 0));
    say("offsets after = in %lld out %lld", (long long)ioff, (long long)ooff);
    T("tell(cfr-part) unchanged", lseek(out, 0, SEEK_CUR));
    ooff = 20;
    ioff = 0;
    T("copy_file_range(-> past the end of cfr-part)", copy_file_range(in, &ioff, out, &ooff, 4, 0));
    ioff = 300000;
    T("copy_file_range(from past EOF)", copy_file_range(in, &ioff, out, NULL, 4, 0));
    T("copy_file_range(flags 1)", copy_file_range(in, NULL, out, NULL, 4, 1));
    close(out);
    show_file("content of cfr-part", "cfr-part");

    int same = xopen("cfr-out", O_RDWR, 0);
    ioff = 0;
    ooff = 10;
    T("copy_file_range(same file, overlapping)", copy_file_range(same, &ioff, same, &ooff, 100, 0));
    ooff = 200000;
    T("copy_file_range(same file, not overlapping)", copy_file_range(same, &ioff, same, &ooff, 100, 0));
    close(same);
    do_stat("stat(cfr-out)", "cfr-out");
    int ro = xopen("cfr-part", O_RDONLY, 0);
    T("copy_file_range(to an O_RDONLY fd)", copy_file_range(in, NULL, ro, NULL, 4, 0));
    int ap = xopen("cfr-part", O_WRONLY | O_APPEND, 0);
    T("copy_file_range(to an O_APPEND fd)", copy_file_range(in, NULL, ap, NULL, 4, 0));
    int dir = xopen(".", O_RDONLY | O_DIRECTORY, 0);
    T("copy_file_range(from a directory)", copy_file_range(dir, NULL, ap, NULL, 4, 0));
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    T("copy_file_range(to a pipe)", copy_file_range(in, NULL, p[1], NULL, 4, 0));
    close(p[0]);
    close(p[1]);
    close(dir);
    close(ap);
    close(ro);
    close(in);
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    shared();
    private();
    sendfiles();
    copy_ranges();
    list_path("entries of $S", ".");
    say("done");
    return 0;
}
