/*
 * Regular-file semantics an encrypted mount must keep (test/integration/encrypted.test.ts):
 * run on a directory of an encrypted mount and natively on a plain directory, the output is
 * the same.
 *   encrypted_files DIR          write, read back, seek, pwrite past the end (a hole of zeros),
 *                                truncate smaller and larger, rename, unlink, a forked child
 *                                reading and writing the parent's file, a MAP_SHARED mapping
 *                                written by one process and read by another
 *   encrypted_files DIR big MiB [write|read]  a sequential write of MiB MiB (fsync'ed), then a
 *                                read checking each byte (and an unlink); or one of the two
 *   encrypted_files FILE die     write "synced\n", fsync, write "unsynced\n", then SIGKILL itself
 *   encrypted_files FILE write   write "written at exit\n" and exit without fsync or close
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char path[4096];

static const char *at(const char *dir, const char *name)
{
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return path;
}

static void die(const char *what)
{
    printf("FAIL %s: %s\n", what, strerror(errno));
    exit(1);
}

static void show(const char *what, const char *buf, ssize_t n)
{
    printf("%s: %zd \"", what, n);
    for (ssize_t i = 0; i < n; i++)
        putchar(buf[i] ? buf[i] : '.');
    printf("\"\n");
}

static long size_of(const char *p)
{
    struct stat st;
    if (stat(p, &st) < 0)
        return -errno;
    return (long)st.st_size;
}

static void basics(const char *dir)
{
    char buf[64];
    int fd = open(at(dir, "f"), O_CREAT | O_RDWR | O_TRUNC, 0644);
    if (fd < 0)
        die("create f");
    if (write(fd, "hello world", 11) != 11)
        die("write");
    lseek(fd, 0, SEEK_SET);
    show("read back", buf, read(fd, buf, sizeof(buf)));
    lseek(fd, 6, SEEK_SET);
    show("after seek", buf, read(fd, buf, sizeof(buf)));
    if (pwrite(fd, "tail", 4, 20) != 4)
        die("pwrite");
    show("with a hole", buf, pread(fd, buf, sizeof(buf), 0));
    struct stat st;
    fstat(fd, &st);
    printf("fstat size %ld, stat size %ld\n", (long)st.st_size, size_of(at(dir, "f")));
    close(fd);

    if (truncate(at(dir, "f"), 5) < 0)
        die("truncate smaller");
    printf("truncated: %ld\n", size_of(at(dir, "f")));
    if (truncate(at(dir, "f"), 9000) < 0)
        die("truncate larger");
    printf("grown: %ld\n", size_of(at(dir, "f")));
    fd = open(at(dir, "f"), O_RDONLY);
    ssize_t n = pread(fd, buf, 8, 8990);
    show("end of the grown file", buf, n);
    show("start", buf, pread(fd, buf, 8, 0));
    close(fd);

    char to[4096];
    snprintf(to, sizeof(to), "%s/g", dir);
    if (rename(at(dir, "f"), to) < 0)
        die("rename");
    printf("old name: %ld, new name: %ld\n", size_of(at(dir, "f")), size_of(to));
    fd = open(to, O_RDONLY);
    show("renamed", buf, read(fd, buf, 5));
    close(fd);
    if (unlink(to) < 0)
        die("unlink");
    printf("unlinked: %ld\n", size_of(to));
}

static void across_processes(const char *dir)
{
    char buf[64];
    int fd = open(at(dir, "shared"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0)
        die("create shared");
    write(fd, "from the parent", 15);
    pid_t child = fork();
    if (child == 0) {
        int cfd = open(at(dir, "shared"), O_RDWR);
        show("child reads", buf, read(cfd, buf, sizeof(buf)));
        pwrite(cfd, "child", 5, 100);
        close(cfd);
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    show("parent reads", buf, pread(fd, buf, 5, 100));
    printf("size %ld\n", size_of(at(dir, "shared")));
    close(fd);

    fd = open(at(dir, "mapped"), O_CREAT | O_RDWR | O_TRUNC, 0600);
    if (fd < 0 || ftruncate(fd, 4096) < 0)
        die("create mapped");
    char *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (m == MAP_FAILED)
        die("mmap");
    memcpy(m + 10, "through the mapping", 19);
    child = fork();
    if (child == 0) {
        int cfd = open(at(dir, "mapped"), O_RDONLY);
        show("another process reads", buf, pread(cfd, buf, 19, 10));
        fflush(stdout);
        _exit(0);
    }
    waitpid(child, NULL, 0);
    munmap(m, 4096);
    close(fd);
}

/* `phase`: "write" (and fsync), "read" (check, then unlink), or both in this process */
static void big(const char *dir, long mib, const char *phase)
{
    static unsigned char chunk[1 << 20];
    if (strcmp(phase, "read")) {
        int fd = open(at(dir, "big"), O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (fd < 0)
            die("create big");
        for (long i = 0; i < mib; i++) {
            memset(chunk, (int)(i * 7 + 1), sizeof(chunk));
            if (write(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
                die("write big");
        }
        if (fsync(fd) < 0)
            die("fsync big");
        close(fd);
        printf("size %ld\n", size_of(at(dir, "big")));
    }
    if (!strcmp(phase, "write"))
        return;
    int fd = open(at(dir, "big"), O_RDONLY);
    for (long i = 0; i < mib; i++) {
        if (read(fd, chunk, sizeof(chunk)) != (ssize_t)sizeof(chunk))
            die("read big");
        for (size_t j = 0; j < sizeof(chunk); j++)
            if (chunk[j] != (unsigned char)(i * 7 + 1)) {
                printf("FAIL byte %ld\n", i * (long)sizeof(chunk) + (long)j);
                exit(1);
            }
    }
    if (read(fd, chunk, 1) != 0)
        die("big: more than written");
    close(fd);
    unlink(at(dir, "big"));
    printf("%ld MiB read back\n", mib);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    setvbuf(stdout, NULL, _IOLBF, 0);
    if (argc >= 3 && !strcmp(argv[2], "die")) {
        int fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "synced\n", 7) != 7 || fsync(fd) < 0)
            die("write and fsync");
        write(fd, "unsynced\n", 9);
        raise(SIGKILL);
    }
    if (argc >= 3 && !strcmp(argv[2], "write")) {
        int fd = open(argv[1], O_CREAT | O_WRONLY | O_TRUNC, 0600);
        if (fd < 0 || write(fd, "written at exit\n", 16) != 16)
            die("write");
        _exit(0);
    }
    if (argc >= 4 && !strcmp(argv[2], "big")) {
        big(argv[1], atol(argv[3]), argc >= 5 ? argv[4] : "both");
        return 0;
    }
    basics(argv[1]);
    across_processes(argv[1]);
    return 0;
}
