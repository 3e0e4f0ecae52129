/*
 * setpgid of a child by its parent: allowed before the child execs, EACCES after (Linux's rule,
 * so that a shell and its job can both set the job's group without a race). The child tells
 * the parent it has exec'd by the close-on-exec end of a pipe closing; it then waits on another
 * pipe until the parent is done.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *res(int r) { return r < 0 ? strerrorname_np(errno) : "0"; }

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "hold") == 0) {
        /* the exec'd child: wait until the parent closes its end */
        char c;
        (void)!read(atoi(argv[2]), &c, 1);
        return 0;
    }
    setvbuf(stdout, NULL, _IONBF, 0);
    int hold[2], execd[2];
    if (pipe(hold))
        return 1;
    pid_t before = fork();
    if (before == 0) {
        char c;
        close(hold[1]);
        (void)!read(hold[0], &c, 1);
        _exit(0);
    }
    printf("setpgid(child, child) before it execs = %s\n", res(setpgid(before, before)));
    printf("its group is its own: %s\n", getpgid(before) == before ? "yes" : "no");
    if (pipe2(execd, O_CLOEXEC)) /* made now: only the second child holds its write end */
        return 1;
    pid_t after = fork();
    if (after == 0) {
        close(execd[0]);
        close(hold[1]);
        char fd[16];
        snprintf(fd, sizeof(fd), "%d", hold[0]);
        execl("/proc/self/exe", "pgrp_exec", "hold", fd, (char *)0);
        _exit(127);
    }
    close(execd[1]);
    char c;
    (void)!read(execd[0], &c, 1); /* EOF: the child has exec'd */
    printf("setpgid(child, child) after it exec'd = %s\n", res(setpgid(after, after)));
    printf("its group is still ours: %s\n", getpgid(after) == getpgrp() ? "yes" : "no");
    close(hold[1]);
    waitpid(before, NULL, 0);
    waitpid(after, NULL, 0);
    return 0;
}
