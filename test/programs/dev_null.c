/*
 * Opens of /dev/null as a program makes them (the stub opens it itself when the instance's is
 * the host's): each open's result and errno, what the open file is (access mode, O_APPEND,
 * close-on-exec, a character device 1:3, /proc/self/fd's name for it, no terminal), and what
 * reads and writes do. With a directory argument, after chroot() to it: /dev/null is the new
 * root's (none there: ENOENT).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

static void try_open(const char *what, const char *path, int flags)
{
    errno = 0;
    int fd = open(path, flags, 0644);
    printf("%s: %s\n", what, fd >= 0 ? "ok" : strerror(errno));
    if (fd < 0)
        return;
    int fl = fcntl(fd, F_GETFL), fdfl = fcntl(fd, F_GETFD);
    char link[64] = {0}, proc[64];
    snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
    if (readlink(proc, link, sizeof(link) - 1) < 0)
        snprintf(link, sizeof(link), "(%s)", strerror(errno));
    struct stat st;
    fstat(fd, &st);
    errno = 0;
    int tty = isatty(fd);
    int tty_errno = errno;
    char buf[8];
    errno = 0;
    ssize_t r = read(fd, buf, sizeof(buf));
    int read_errno = errno;
    errno = 0;
    ssize_t w = write(fd, "abc", 3);
    int write_errno = errno;
    printf("  accmode %d append %d cloexec %d chr %d rdev %u:%u link %s isatty %d (%s) read %zd (%s) write %zd (%s)\n",
           fl & O_ACCMODE, !!(fl & O_APPEND), !!(fdfl & FD_CLOEXEC), S_ISCHR(st.st_mode), major(st.st_rdev),
           minor(st.st_rdev), link, tty, strerror(tty_errno), r, strerror(read_errno), w, strerror(write_errno));
    close(fd);
}

int main(int argc, char **argv)
{
    if (argc > 1 && chroot(argv[1]) != 0) {
        perror("chroot");
        return 1;
    }
    try_open("O_WRONLY|O_CREAT|O_TRUNC", "/dev/null", O_WRONLY | O_CREAT | O_TRUNC);
    try_open("O_RDONLY|O_NOFOLLOW|O_CLOEXEC", "/dev/null", O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    try_open("O_RDWR|O_APPEND|O_NONBLOCK", "/dev/null", O_RDWR | O_APPEND | O_NONBLOCK);
    try_open("O_WRONLY|O_CREAT|O_EXCL", "/dev/null", O_WRONLY | O_CREAT | O_EXCL);
    try_open("O_RDONLY|O_DIRECTORY", "/dev/null", O_RDONLY | O_DIRECTORY);
    try_open("below it", "/dev/null/x", O_RDONLY);
    try_open("by another name", "/dev/../dev/null", O_WRONLY);
    return 0;
}
