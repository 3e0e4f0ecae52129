/*
 * Attacks on files the instance may only read (test/integration/escape-meta.test.ts):
 *   ro_meta meta FILE          metadata changes through an fd opened read-only, and by name:
 *                              one line per call, "name: ok" or "name: ERRNO"
 *   ro_meta race DIR TARGET N  N rounds of chmod and truncate of DIR/x while another process
 *                              keeps swapping DIR/x between a file and a symlink to TARGET
 *   ro_meta tiocsti            TIOCSTI on stdin: a character typed into the terminal, and
 *                              whether the terminal then has it to read
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include "race.h"

static void report(const char *name, int r)
{
    printf("%s: %s\n", name, r == 0 ? "ok" : strerrorname_np(errno));
}

static int meta(const char *file)
{
    int fd = open(file, O_RDONLY);
    if (fd < 0) {
        perror(file);
        return 1;
    }
    struct stat st;
    fstat(fd, &st);
    report("fchmod", fchmod(fd, 0777));
    report("fchown", fchown(fd, st.st_uid + 1, st.st_gid + 1));
    report("fchownat AT_EMPTY_PATH", fchownat(fd, "", st.st_uid + 1, st.st_gid + 1, AT_EMPTY_PATH));
    struct timespec old[2] = {{1, 0}, {1, 0}};
    report("futimens", futimens(fd, old));
    int flags = FS_APPEND_FL;
    report("FS_IOC_SETFLAGS", ioctl(fd, FS_IOC_SETFLAGS, &flags));
    struct fsxattr fsx;
    memset(&fsx, 0, sizeof(fsx));
    fsx.fsx_xflags = FS_XFLAG_APPEND;
    report("FS_IOC_FSSETXATTR", ioctl(fd, FS_IOC_FSSETXATTR, &fsx));
    report("chmod", chmod(file, 0777));
    report("truncate", truncate(file, 0));
    report("utimensat", utimensat(AT_FDCWD, file, old, 0));
    /* where the flags changed, they go back (an append-only file is a nuisance to remove) */
    fsx.fsx_xflags = 0;
    ioctl(fd, FS_IOC_FSSETXATTR, &fsx);
    flags = 0;
    ioctl(fd, FS_IOC_SETFLAGS, &flags);
    return 0;
}

/* another process (its calls are served beside the caller's, not after them) */
struct swap {
    const char *dir, *target;
};

static void swapper(const void *arg, int started)
{
    const char *swap_dir = ((const struct swap *)arg)->dir, *swap_target = ((const struct swap *)arg)->target;
    char x[4096], reg[4096], lnk[4096];
    snprintf(x, sizeof(x), "%s/x", swap_dir);
    snprintf(reg, sizeof(reg), "%s/reg", swap_dir);
    snprintf(lnk, sizeof(lnk), "%s/lnk", swap_dir);
    for (;;) {
        int fd = open(reg, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            write(fd, "data", 4);
            close(fd);
        }
        rename(reg, x);
        race_ready(&started);
        symlink(swap_target, lnk);
        rename(lnk, x);
    }
}

static int race(const char *dir, const char *target, int rounds)
{
    struct swap what = {dir, target};
    pid_t pid = race_start(swapper, &what);
    if (pid < 0)
        return 1;
    char x[4096];
    snprintf(x, sizeof(x), "%s/x", dir);
    int changed = 0, refused = 0;
    for (int i = 0; i < rounds; i++) {
        if (chmod(x, i & 1 ? 0600 : 0666) == 0)
            changed++;
        else
            refused++;
        if (truncate(x, 1) == 0)
            changed++;
        else
            refused++;
    }
    kill(pid, SIGKILL);
    waitpid(pid, 0, 0);
    printf("race: %d calls, some changed the file in %s: %s\n", changed + refused, dir, changed > 0 ? "yes" : "no");
    return 0;
}

static int tiocsti(void)
{
    /* no echo, no line editing: a character typed in is readable at once */
    struct termios tio;
    tcgetattr(0, &tio);
    tio.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
    tcsetattr(0, TCSANOW, &tio);
    char c = 'Z';
    report("TIOCSTI", ioctl(0, TIOCSTI, &c));
    /* the terminal takes typed input in on its own time (and script(1) may add its own): a bounded wait for it */
    struct pollfd p = {0, POLLIN, 0};
    int typed = 0;
    for (int waits = 0; !typed && waits < 20 && poll(&p, 1, 100) >= 0; waits++) {
        char got[16];
        ssize_t n = (p.revents & POLLIN) ? read(0, got, sizeof(got)) : 0;
        typed = n > 0 && memchr(got, 'Z', (size_t)n) != 0;
    }
    printf("typed into the terminal: %s\n", typed ? "yes" : "no");
    return 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, 0, _IONBF, 0);
    if (argc == 3 && !strcmp(argv[1], "meta"))
        return meta(argv[2]);
    if (argc == 5 && !strcmp(argv[1], "race"))
        return race(argv[2], argv[3], atoi(argv[4]));
    if (argc == 2 && !strcmp(argv[1], "tiocsti"))
        return tiocsti();
    fprintf(stderr, "usage: ro_meta meta FILE | race DIR TARGET N | tiocsti\n");
    return 2;
}
