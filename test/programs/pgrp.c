/*
 * Process groups and sessions across processes: setpgid on a child, getpgid of another
 * process, setpgid to a group that does not exist, setsid in a group leader and in a child.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *err(int r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

int main(void)
{
    int p[2];
    pipe(p);
    pid_t child = fork();
    if (child == 0) {
        char c;
        close(p[1]);
        read(p[0], &c, 1);
        printf("child: own group %d, own session %d\n", getpgrp() == getpid(), getsid(0) == getpid());
        printf("child: setsid as a group leader: %s\n", err(setsid()));
        fflush(stdout);
        _exit(0);
    }
    close(p[0]);
    printf("setpgid(child, child): %s\n", err(setpgid(child, child)));
    printf("getpgid(child) is the child: %d\n", getpgid(child) == child);
    printf("getsid(child) is ours: %d\n", getsid(child) == getsid(0));
    printf("setpgid(child, missing group): %s\n", err(setpgid(child, 4000000)));
    printf("setpgid(not a child): %s\n", err(setpgid(4000000, 0)));
    printf("getpgid(missing): %s\n", err(getpgid(4000000)));
    fflush(stdout);
    write(p[1], "x", 1);
    waitpid(child, NULL, 0);
    pid_t c2 = fork();
    if (c2 == 0) {
        pid_t s = setsid();
        printf("child 2: setsid = own pid %d, session %d, group %d\n", s == getpid(), getsid(0) == getpid(), getpgrp() == getpid());
        fflush(stdout);
        _exit(0);
    }
    waitpid(c2, NULL, 0);
    return 0;
}
