/*
 * A child that execs before it asks its worker anything, then forks
 * (test/integration/held-forks.test.ts): under gramine-ts its stub makes the exec alone and
 * the leader, which holds the child, grants the fork; the worker that takes the grandchild,
 * and later the child, must know what each runs: the program the child exec'd, not the one
 * it was forked from.
 *
 *   held_exec PROGRAM   forks a child that execs PROGRAM stage2 (PROGRAM: this program, another
 *                       build of it), waits for it; then "done"
 *   held_exec stage2    forks a grandchild that prints what it runs (/proc/self/exe, its
 *                       file name alone) and exits 5; prints its status, then what it runs itself
 */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *running(void)
{
    static char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
    exe[n > 0 ? n : 0] = 0;
    const char *base = strrchr(exe, '/');
    return base ? base + 1 : exe;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "stage2")) {
        pid_t g = fork();
        if (g == 0) {
            printf("grandchild runs %s\n", running());
            fflush(stdout);
            _exit(5);
        }
        int status = 0;
        waitpid(g, &status, 0);
        printf("grandchild: status %d\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
        printf("child runs %s\n", running());
        return 0;
    }
    if (argc < 2)
        return 2;
    fflush(stdout);
    pid_t c = fork();
    if (c == 0) {
        execl(argv[1], argv[1], "stage2", (char *)0);
        _exit(127);
    }
    int status = 0;
    waitpid(c, &status, 0);
    printf("child: status %d\ndone\n", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    return 0;
}
