/*
 * Execs aimed at the stub's own exec (native/stub/local_exec.c), which resolves a program's
 * path itself where it can:
 *   exec_paths say               prints "inside" (what every program of the instance here is)
 *   exec_paths try PATH...       for each PATH, a child execs it ("PATH say"), and the parent
 *                                waits: its output, or "PATH: <error>" when the exec fails
 *   exec_paths chroot DIR PATH   the same for PATH after chroot(DIR) and chdir("/")
 *   exec_paths race DIR OUTSIDE ROUNDS
 *                                one process keeps replacing DIR/x, a hard link of DIR/inside
 *                                (a copy of this program), with a symlink to OUTSIDE and back,
 *                                while this one execs DIR/x ROUNDS times: prints how many
 *                                execs ran this program and how many ran anything else
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "race.h"

#define QUIET_STATUS 42

static int try_exec(const char *path, int quiet)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        execl(path, path, quiet ? "quiet" : "say", (char *)NULL);
        if (!quiet)
            printf("%s: %s\n", path, strerror(errno));
        fflush(stdout);
        _exit(127);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

struct swap {
    const char *dir, *outside;
};

static void swapper(const void *arg, int ready)
{
    const char *dir = ((const struct swap *)arg)->dir, *outside = ((const struct swap *)arg)->outside;
    char x[4096], f[4096], l[4096], inside[4096];
    snprintf(x, sizeof(x), "%s/x", dir);
    snprintf(f, sizeof(f), "%s/f", dir);
    snprintf(l, sizeof(l), "%s/l", dir);
    snprintf(inside, sizeof(inside), "%s/inside", dir);
    for (;;) {
        unlink(f);
        if (link(inside, f) == 0)
            rename(f, x);
        unlink(l);
        if (symlink(outside, l) == 0)
            rename(l, x);
        race_ready(&ready);
    }
}

int main(int argc, char **argv)
{
    if (argc >= 2 && !strcmp(argv[1], "say")) {
        printf("inside\n");
        return 0;
    }
    if (argc >= 2 && !strcmp(argv[1], "quiet"))
        return QUIET_STATUS;
    if (argc >= 3 && !strcmp(argv[1], "try")) {
        for (int i = 2; i < argc; i++)
            try_exec(argv[i], 0);
        return 0;
    }
    if (argc == 4 && !strcmp(argv[1], "chroot")) {
        if (chroot(argv[2]) != 0 || chdir("/") != 0) {
            printf("chroot %s: %s\n", argv[2], strerror(errno));
            return 1;
        }
        try_exec(argv[3], 0);
        return 0;
    }
    if (argc == 5 && !strcmp(argv[1], "race")) {
        const char *dir = argv[2];
        long rounds = atol(argv[4]);
        struct swap what = {dir, argv[3]};
        pid_t swap = race_start(swapper, &what);
        if (swap < 0)
            return 1;
        char x[4096];
        snprintf(x, sizeof(x), "%s/x", dir);
        long ran_inside = 0, ran_other = 0;
        for (long i = 0; i < rounds; i++) {
            int s = try_exec(x, 1);
            if (s == QUIET_STATUS)
                ran_inside++;
            else if (s != 127)
                ran_other++;
        }
        kill(swap, SIGKILL);
        waitpid(swap, NULL, 0);
        printf("ran the instance's program: %s\nran another: %ld\n", ran_inside ? "yes" : "no", ran_other);
        return 0;
    }
    fprintf(stderr, "usage: exec_paths say | try PATH... | chroot DIR PATH | race DIR OUTSIDE ROUNDS\n");
    return 2;
}
