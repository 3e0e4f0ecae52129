/*
 * A race aimed at the stub's direct opens and stats (native/stub/patch.c, paths.c):
 *   direct_race DIR ROUNDS HOST_DEV HOST_INO [relative|below-cwd]
 * One process keeps replacing DIR/x, a file of the instance, with a symlink to /etc/hostname
 * and back, while this one opens and stats DIR/x from glibc's patched sites. Under a jail whose
 * tree has no /etc, the symlink names nothing (ENOENT); followed on the host, it would reach
 * the host's /etc/hostname (device HOST_DEV, inode HOST_INO). Prints what the opens and stats found.
 * The opens start once the swapper has swapped once (a pipe says so): its worker may still be
 * booting when it is forked.
 * With "relative", the opens and stats name it "x", from DIR as the working directory. With
 * "below-cwd", DIR/x by its absolute name from DIR, whose parent is made of mode 0700: a root
 * instance's app identity cannot come from the root, the stub resolves the path from DIR.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "race.h"

#define INSIDE "inside\n"

static void swapper(const void *arg, int ready)
{
    const char *dir = arg;
    char x[4096], f[4096], l[4096];
    snprintf(x, sizeof(x), "%s/x", dir);
    snprintf(f, sizeof(f), "%s/f", dir);
    snprintf(l, sizeof(l), "%s/l", dir);
    for (;;) {
        int fd = open(f, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd < 0 || write(fd, INSIDE, strlen(INSIDE)) < 0)
            _exit(1);
        close(fd);
        rename(f, x);
        unlink(l);
        if (symlink("/etc/hostname", l) == 0)
            rename(l, x);
        race_ready(&ready);
    }
}

int main(int argc, char **argv)
{
    const char *how = argc == 6 ? argv[5] : "";
    if (argc != 5 && !(argc == 6 && (!strcmp(how, "relative") || !strcmp(how, "below-cwd"))))
        return 2;
    const char *dir = argv[1];
    long rounds = atol(argv[2]);
    unsigned long host_dev = strtoul(argv[3], 0, 10), host_ino = strtoul(argv[4], 0, 10);
    char x[4096];
    snprintf(x, sizeof(x), "%s/x", dir);
    if (!strcmp(how, "below-cwd")) {
        char parent[4096];
        snprintf(parent, sizeof(parent), "%s", dir);
        char *slash = strrchr(parent, '/');
        if (!slash || slash == parent)
            return 2;
        *slash = 0;
        mkdir(parent, 0700);
        if (chmod(parent, 0700))
            return 3;
    }
    mkdir(dir, 0755);
    pid_t child = race_start(swapper, dir);
    if (child < 0)
        return 3;
    if (*how) {
        if (chdir(dir))
            return 3;
        if (!strcmp(how, "relative"))
            strcpy(x, "x");
    }
    long inside = 0, missing = 0, escaped = 0;
    for (long i = 0; i < rounds; i++) {
        struct stat st;
        int fd = open(x, O_RDONLY);
        if (fd >= 0) {
            char buf[64] = {0};
            ssize_t n = read(fd, buf, sizeof(buf) - 1);
            if (n == (ssize_t)strlen(INSIDE) && !strcmp(buf, INSIDE))
                inside++;
            else if (n > 0)
                escaped++;
            close(fd);
        } else {
            missing++;
        }
        if (stat(x, &st) == 0 && st.st_dev == host_dev && st.st_ino == host_ino)
            escaped++;
    }
    kill(child, SIGKILL);
    waitpid(child, 0, 0);
    printf("read the instance's file: %s\nfound the symlink's target missing: %s\nreached the host's file: %ld\n",
           inside ? "yes" : "no", missing ? "yes" : "no", escaped);
    return 0;
}
