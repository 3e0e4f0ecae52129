/*
 * Opens that write, create or truncate, creat, unlink and access(W_OK) in directory DIR, which
 * anyone may write (test/integration/stub-writes.test.ts): under gramine-ts, on a writable
 * mount, the stub makes them itself (native/stub/paths.c). One line per step: what Linux says,
 * and the file's mode, size and owner where it matters, the same natively and under gramine-ts.
 *
 *   stub_writes DIR
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static char dir[1024];

static const char *in(const char *name)
{
    static char p[4][2048];
    static int n;
    char *out = p[n++ % 4];
    snprintf(out, sizeof(p[0]), "%s/%s", dir, name);
    return out;
}

static const char *err(long r)
{
    return r < 0 ? strerrorname_np(errno) : "ok";
}

/* the result of an open, and then what the file is: mode, size, owner */
static void opened(const char *step, int fd, const char *name)
{
    struct stat st;
    if (fd < 0) {
        printf("%s: %s\n", step, err(fd));
        return;
    }
    close(fd);
    if (stat(in(name), &st)) {
        printf("%s: ok, then stat %s\n", step, err(-1));
        return;
    }
    printf("%s: ok mode=%o size=%lld owner=%u:%u\n", step, st.st_mode & 07777, (long long)st.st_size, st.st_uid, st.st_gid);
}

static void put(const char *step, int fd, const char *text, const char *name)
{
    if (fd >= 0 && *text && write(fd, text, strlen(text)) != (ssize_t)strlen(text))
        printf("%s: short write\n", step);
    opened(step, fd, name);
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    snprintf(dir, sizeof(dir), "%s", argv[1]);
    umask(022);
    put("create-excl", open(in("a"), O_WRONLY | O_CREAT | O_EXCL, 0666), "hello", "a");
    opened("create-excl-again", open(in("a"), O_WRONLY | O_CREAT | O_EXCL, 0666), "a");
    put("append", open(in("a"), O_WRONLY | O_APPEND), " world", "a");
    put("create-existing", open(in("a"), O_WRONLY | O_CREAT, 0600), "HE", "a");
    put("truncate", open(in("a"), O_RDWR | O_TRUNC), "x", "a");
    put("read-only-truncate", open(in("a"), O_RDONLY | O_TRUNC), "", "a");
    put("creat", creat(in("b"), 0640), "b", "b");
    umask(077);
    opened("create-umask-077", open(in("c"), O_WRONLY | O_CREAT, 0666), "c");
    umask(022);
    opened("create-setgid-bit", open(in("g"), O_WRONLY | O_CREAT | O_EXCL, 02755), "g");
    opened("create-in-missing-dir", open(in("missing/x"), O_WRONLY | O_CREAT, 0644), "missing/x");
    opened("create-below-a-file", open(in("a/x"), O_WRONLY | O_CREAT, 0644), "a/x");
    opened("write-missing", open(in("nothere"), O_WRONLY), "nothere");
    opened("write-directory", open(dir, O_WRONLY), ".");
    /* a symlink to a name not there: O_CREAT makes its target, O_EXCL refuses the link */
    symlink(in("target"), in("link"));
    opened("create-through-dangling-symlink", open(in("link"), O_WRONLY | O_CREAT, 0644), "target");
    opened("create-excl-on-symlink", open(in("link"), O_WRONLY | O_CREAT | O_EXCL, 0644), "link");
    opened("write-nofollow-symlink", open(in("link"), O_WRONLY | O_NOFOLLOW), "link");
    /* a FIFO: without a reader, ENXIO; with one, the writer's bytes reach it (no stray open ends them) */
    mkfifo(in("fifo"), 0666);
    opened("fifo-nonblock-no-reader", open(in("fifo"), O_WRONLY | O_NONBLOCK), "fifo");
    fflush(stdout);
    pid_t reader = fork();
    if (reader == 0) {
        char buf[64] = {0};
        int fd = open(in("fifo"), O_RDONLY);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
        printf("fifo-reader: read %zd \"%s\"\n", n, n > 0 ? buf : "");
        fflush(stdout);
        _exit(0);
    }
    int fd = open(in("fifo"), O_WRONLY | O_TRUNC);
    if (fd >= 0) {
        (void)!write(fd, "through", 7);
        close(fd);
    }
    waitpid(reader, 0, 0);
    printf("fifo-writer: %s\n", err(fd));
    printf("access-dir-w: %s\n", err(access(dir, W_OK)));
    printf("access-file-rw: %s\n", err(access(in("b"), R_OK | W_OK)));
    printf("access-file-x: %s\n", err(access(in("b"), X_OK)));
    printf("access-missing-w: %s\n", err(access(in("nothere"), W_OK)));
    printf("unlink: %s\n", err(unlink(in("a"))));
    printf("unlink-again: %s\n", err(unlink(in("a"))));
    printf("unlink-in-missing-dir: %s\n", err(unlink(in("missing/x"))));
    mkdir(in("sub"), 0755);
    printf("unlink-directory: %s\n", err(unlink(in("sub"))));
    printf("unlinkat-removedir: %s\n", err(unlinkat(AT_FDCWD, in("sub"), AT_REMOVEDIR)));
    printf("unlink-symlink: %s\n", err(unlink(in("link"))));
    printf("exists-target-after: %s\n", err(access(in("target"), F_OK)));
    /* relative to the working directory */
    if (chdir(dir) == 0) {
        opened("relative-create", open("rel", O_RDWR | O_CREAT | O_TRUNC, 0644), "rel");
        printf("relative-unlink: %s\n", err(unlinkat(AT_FDCWD, "rel", 0)));
        printf("relative-unlink-dotdot: %s\n", err(unlink("../nothere-gts")));
    }
    return 0;
}
