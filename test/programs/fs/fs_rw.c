/*
 * read/write/pread/pwrite/readv/writev, lseek (SEEK_SET/CUR/END/DATA/HOLE on a sparse file),
 * O_APPEND with two fds, shared and separate offsets, truncate/ftruncate, a copy by read/write,
 * fallocate, fadvise, and the fsync family. argv[1]: an empty scratch directory.
 */
#include "fs.h"
#include <sys/uio.h>

#define MiB (1024 * 1024)

static int xopen(const char *path, int flags, mode_t mode)
{
    int fd = (int)syscall(SYS_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
    if (fd < 0)
        die(path);
    return fd;
}

static void basic_io(void)
{
    int fd = xopen("a", O_RDWR | O_CREAT | O_EXCL, 0644);
    T("write(a, hello)", write(fd, "hello", 5));
    T("lseek(a, 0, SEEK_CUR) = tell", lseek(fd, 0, SEEK_CUR));
    show_read("read(a) at the end", fd, 10);
    T("lseek(a, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    show_read("read(a, 3)", fd, 3);
    T("tell after read(3)", lseek(fd, 0, SEEK_CUR));
    show_read("read(a, 10) the rest", fd, 10);
    show_read("read(a) at EOF", fd, 10);
    T("write(a, 0 bytes)", write(fd, "", 0));
    T("lseek(a, -2, SEEK_CUR)", lseek(fd, -2, SEEK_CUR));
    show_read("read(a) after SEEK_CUR -2", fd, 10);
    T("lseek(a, -1, SEEK_END)", lseek(fd, -1, SEEK_END));
    show_read("read(a) after SEEK_END -1", fd, 10);
    T("lseek(a, -10, SEEK_SET)", lseek(fd, -10, SEEK_SET));
    T("lseek(a, -10, SEEK_END)", lseek(fd, -10, SEEK_END));
    T("lseek(a, 0, 99) bad whence", lseek(fd, 0, 99));
    T("tell after the failed seeks", lseek(fd, 0, SEEK_CUR));
    T("lseek(a, 10, SEEK_END) past the end", lseek(fd, 10, SEEK_END));
    T("write(a, !) past the end", write(fd, "!", 1));
    T("pwrite(a, HE, 0)", pwrite(fd, "HE", 2, 0));
    T("tell after pwrite (unchanged)", lseek(fd, 0, SEEK_CUR));
    char buf[32];
    errno = 0;
    ssize_t n = pread(fd, buf, sizeof(buf), 3);
    if (n < 0)
        show("pread(a, 32, 3)", -1);
    else {
        printf("pread(a, 32, 3) = %zd \"", n);
        put_escaped(buf, (size_t)n);
        printf("\"\n");
    }
    T("pread(a, 1, -1)", pread(fd, buf, 1, -1));
    T("pwrite(a, x, -1)", pwrite(fd, "x", 1, -1));
    close(fd);
    show_file("content of a", "a");
    do_stat("stat(a)", "a");

    fd = xopen("v", O_RDWR | O_CREAT | O_EXCL, 0644);
    struct iovec wv[3] = { { "one ", 4 }, { "", 0 }, { "two three", 9 } };
    T("writev(v, 3 iovecs)", writev(fd, wv, 3));
    char b1[3], b2[5], b3[20];
    struct iovec rv[3] = { { b1, 3 }, { b2, 5 }, { b3, 20 } };
    T("lseek(v, 0, SEEK_SET)", lseek(fd, 0, SEEK_SET));
    errno = 0;
    n = readv(fd, rv, 3);
    if (n < 0)
        show("readv(v)", -1);
    else
        say("readv(v) = %zd \"%.3s\" \"%.5s\" \"%.*s\"", n, b1, b2, (int)(n > 8 ? n - 8 : 0), b3);
    T("pwritev(v, at 4)", pwritev(fd, wv, 1, 4));
    close(fd);
    show_file("content of v", "v");

    fd = xopen("a", O_RDONLY, 0);
    T("write(O_RDONLY fd)", write(fd, "x", 1));
    close(fd);
    fd = xopen("a", O_WRONLY, 0);
    T("read(O_WRONLY fd)", read(fd, buf, 1));
    close(fd);
    T("read(closed fd 99)", read(99, buf, 1));
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    T("lseek(pipe)", lseek(p[0], 0, SEEK_SET));
    close(p[0]);
    close(p[1]);
}

static void sparse(void)
{
    int fd = xopen("sparse", O_RDWR | O_CREAT | O_EXCL, 0644);
    T("pwrite(sparse, A, 1 MiB)", pwrite(fd, "A", 1, MiB));
    do_fstat("fstat(sparse)", fd);
    T("lseek(sparse, 0, SEEK_DATA)", lseek(fd, 0, SEEK_DATA));
    T("lseek(sparse, 0, SEEK_HOLE)", lseek(fd, 0, SEEK_HOLE));
    T("lseek(sparse, 1 MiB, SEEK_HOLE)", lseek(fd, MiB, SEEK_HOLE));
    T("lseek(sparse, 1 MiB + 1, SEEK_DATA) at EOF", lseek(fd, MiB + 1, SEEK_DATA));
    T("lseek(sparse, 5 MiB, SEEK_HOLE) past EOF", lseek(fd, 5 * MiB, SEEK_HOLE));
    T("lseek(sparse, -1, SEEK_DATA)", lseek(fd, -1, SEEK_DATA));
    T("pwrite(sparse, B, 0)", pwrite(fd, "B", 1, 0));
    T("pwrite(sparse, C, 3 MiB)", pwrite(fd, "C", 1, 3 * MiB));
    T("lseek(sparse, 0, SEEK_DATA)", lseek(fd, 0, SEEK_DATA));
    T("lseek(sparse, 0, SEEK_HOLE)", lseek(fd, 0, SEEK_HOLE));
    T("lseek(sparse, 8192, SEEK_DATA)", lseek(fd, 8192, SEEK_DATA));
    T("lseek(sparse, 1 MiB + 1, SEEK_DATA)", lseek(fd, MiB + 1, SEEK_DATA));
    T("lseek(sparse, 1 MiB + 1, SEEK_HOLE)", lseek(fd, MiB + 1, SEEK_HOLE));
    T("lseek(sparse, 3 MiB, SEEK_HOLE)", lseek(fd, 3 * MiB, SEEK_HOLE));
    T("tell", lseek(fd, 0, SEEK_CUR));
    char buf[4];
    errno = 0;
    ssize_t n = pread(fd, buf, 4, MiB - 2);
    if (n < 0)
        show("pread(sparse, 4, 1 MiB - 2)", -1);
    else {
        printf("pread(sparse, 4, 1 MiB - 2) = %zd \"", n);
        put_escaped(buf, (size_t)n);
        printf("\"\n");
    }
    close(fd);
    show_file("content of sparse", "sparse");
}

static void two_fds(void)
{
    put_file("log", "");
    int a = xopen("log", O_WRONLY | O_APPEND, 0);
    int b = xopen("log", O_WRONLY | O_APPEND, 0);
    T("write(log via fd a, a1)", write(a, "a1.", 3));
    T("write(log via fd b, b1)", write(b, "b1.", 3));
    T("write(log via fd a, a2)", write(a, "a2.", 3));
    T("tell(a)", lseek(a, 0, SEEK_CUR));
    T("tell(b)", lseek(b, 0, SEEK_CUR));
    T("write(log via fd b, b2)", write(b, "b2.", 3));
    int c = xopen("log", O_WRONLY, 0);
    T("write(log via fd c without O_APPEND, C)", write(c, "C", 1));
    T("write(log via fd a, a3)", write(a, "a3.", 3));
    close(a);
    close(b);
    close(c);
    show_file("content of log", "log");

    put_file("shared", "0123456789");
    int x = xopen("shared", O_RDWR, 0);
    int y = dup(x);
    int z = xopen("shared", O_RDWR, 0);
    char ch;
    T("read(x, 1)", read(x, &ch, 1));
    T("read(x, 1)", read(x, &ch, 1));
    T("tell(dup of x) shares the offset", lseek(y, 0, SEEK_CUR));
    T("tell(z) separate open", lseek(z, 0, SEEK_CUR));
    T("write(y, Y)", write(y, "Y", 1));
    T("tell(x)", lseek(x, 0, SEEK_CUR));
    T("write(z, Z)", write(z, "Z", 1));
    show_read("read(z) sees y's write", z, 3);
    close(x);
    close(y);
    close(z);
    show_file("content of shared", "shared");
}

static void truncation(void)
{
    put_file("tr", "0123456789");
    T("truncate(tr, 4)", truncate("tr", 4));
    show_file("content after truncate 4", "tr");
    T("truncate(tr, 8) grows with zeros", truncate("tr", 8));
    show_file("content after truncate 8", "tr");
    do_stat("stat(tr)", "tr");
    int fd = xopen("tr", O_RDWR, 0);
    T("lseek(tr, 0, SEEK_END)", lseek(fd, 0, SEEK_END));
    T("ftruncate(tr, 2)", ftruncate(fd, 2));
    T("tell after ftruncate (unchanged)", lseek(fd, 0, SEEK_CUR));
    T("write(tr, X) at offset 8", write(fd, "X", 1));
    close(fd);
    show_file("content after ftruncate 2 and a write at 8", "tr");
    T("ftruncate(tr, 3 MiB)", (fd = xopen("tr", O_RDWR, 0), ftruncate(fd, 3 * MiB)));
    do_fstat("fstat(tr) after growing to 3 MiB", fd);
    T("ftruncate(tr, 0)", ftruncate(fd, 0));
    do_fstat("fstat(tr) after ftruncate 0", fd);
    T("ftruncate(tr, -1)", ftruncate(fd, -1));
    close(fd);
    fd = xopen("tr", O_RDONLY, 0);
    T("ftruncate(O_RDONLY fd)", ftruncate(fd, 1));
    close(fd);
    T("truncate(tr, -1)", truncate("tr", -1));
    T("truncate(missing, 0)", truncate("missing", 0));
    T("mkdir(dir)", mkdir("dir", 0755));
    T("truncate(dir, 0)", truncate("dir", 0));
    T("truncate(tr/x, 0)", truncate("tr/x", 0));
    T("symlink(tr, trlink)", symlink("tr", "trlink"));
    T("truncate(trlink, 5) follows", truncate("trlink", 5));
    do_lstat("lstat(tr)", "tr");
    do_lstat("lstat(trlink)", "trlink");
}

static void copy(void)
{
    /* 300 KiB of a pattern, copied with read/write in 4000-byte chunks (not block-aligned) */
    int fd = xopen("src", O_WRONLY | O_CREAT | O_EXCL, 0644);
    static char block[300 * 1024];
    for (size_t i = 0; i < sizeof(block); i++)
        block[i] = (char)('a' + (i * 7 + i / 1000) % 26);
    T("write(src, 300 KiB)", write(fd, block, sizeof(block)));
    close(fd);
    int in = xopen("src", O_RDONLY, 0);
    int out = xopen("dst", O_WRONLY | O_CREAT | O_EXCL, 0600);
    char buf[4000];
    long total = 0, writes = 0;
    for (;;) {
        ssize_t n = read(in, buf, sizeof(buf));
        if (n < 0)
            die("read src");
        if (n == 0)
            break;
        ssize_t w = write(out, buf, (size_t)n);
        if (w != n)
            die("write dst");
        total += n;
        writes++;
    }
    say("copy src -> dst by read/write = %ld bytes in %ld writes", total, writes);
    close(in);
    close(out);
    show_file("content of src", "src");
    show_file("content of dst", "dst");
    do_stat("stat(dst)", "dst");
}

static void alloc_sync(void)
{
    int fd = xopen("fa", O_RDWR | O_CREAT | O_EXCL, 0644);
    T("fallocate(fa, 0, 0, 64 KiB)", fallocate(fd, 0, 0, 65536));
    do_fstat("fstat(fa)", fd);
    T("fallocate(fa, KEEP_SIZE, 64 KiB, 64 KiB)", fallocate(fd, FALLOC_FL_KEEP_SIZE, 65536, 65536));
    do_fstat("fstat(fa) after KEEP_SIZE", fd);
    T("pwrite(fa, data, 0)", pwrite(fd, "data", 4, 0));
    T("pwrite(fa, more, 32 KiB)", pwrite(fd, "more", 4, 32768));
    T("fallocate(fa, PUNCH_HOLE|KEEP_SIZE, 16 KiB, 32 KiB)",
      fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 16384, 32768));
    do_fstat("fstat(fa) after PUNCH_HOLE", fd);
    char b[4];
    T("pread(fa, 4, 32 KiB) after the punch: zeros", (pread(fd, b, 4, 32768) == 4 && !memcmp(b, "\0\0\0\0", 4)));
    T("lseek(fa, 0, SEEK_HOLE)", lseek(fd, 0, SEEK_HOLE));
    T("fallocate(fa, PUNCH_HOLE) without KEEP_SIZE", fallocate(fd, FALLOC_FL_PUNCH_HOLE, 0, 4096));
    T("fallocate(fa, 0, 0, 0)", fallocate(fd, 0, 0, 0));
    T("fallocate(fa, 0, -1, 10)", fallocate(fd, 0, -1, 10));
    T("posix_fadvise(fa, SEQUENTIAL)", syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_SEQUENTIAL));
    T("posix_fadvise(fa, DONTNEED)", syscall(SYS_fadvise64, fd, 0, 0, POSIX_FADV_DONTNEED));
    T("posix_fadvise(fa, bad advice)", syscall(SYS_fadvise64, fd, 0, 0, 99));
    T("fsync(fa)", fsync(fd));
    T("fdatasync(fa)", fdatasync(fd));
    T("syncfs(fa)", syncfs(fd));
    T("sync_file_range(fa)", sync_file_range(fd, 0, 0, SYNC_FILE_RANGE_WRITE));
    sync();
    say("sync() = returned");
    close(fd);
    fd = xopen("fa", O_RDONLY, 0);
    T("fallocate(O_RDONLY fd)", fallocate(fd, 0, 0, 10));
    T("fsync(O_RDONLY fd)", fsync(fd));
    close(fd);
    fd = xopen(".", O_RDONLY | O_DIRECTORY, 0);
    T("fsync(dir fd)", fsync(fd));
    T("fallocate(dir fd)", fallocate(fd, 0, 0, 10));
    close(fd);
    T("fsync(closed fd 99)", fsync(99));
    T("fdatasync(closed fd 99)", fdatasync(99));
    T("syncfs(closed fd 99)", syncfs(99));
    int p[2];
    if (pipe(p) != 0)
        die("pipe");
    T("fsync(pipe)", fsync(p[1]));
    T("fallocate(pipe)", fallocate(p[1], 0, 0, 10));
    close(p[0]);
    close(p[1]);
}

int main(int argc, char **argv)
{
    fs_init(argc, argv);
    basic_io();
    sparse();
    two_fds();
    truncation();
    copy();
    alloc_sync();
    list_path("entries of $S", ".");
    say("done");
    return 0;
}
