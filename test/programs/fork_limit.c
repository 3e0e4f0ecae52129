/* Forks children that wait on a pipe until fork fails or MAX children run, then lets them all
 * go and reaps them: prints how many forks succeeded and the errno of the one that failed.
 * Under RLIMIT_NPROC or a pids cgroup a fork fails with EAGAIN, natively and in an instance. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
    int max = argc > 1 ? atoi(argv[1]) : 64;
    int gate[2];
    if (pipe(gate) != 0) return 2;
    int forked = 0, err = 0;
    while (forked < max) {
        pid_t p = fork();
        if (p < 0) {
            err = errno;
            break;
        }
        if (p == 0) {
            char c;
            close(gate[1]);
            (void)!read(gate[0], &c, 1); /* until the parent closes its end */
            _exit(7);
        }
        forked++;
    }
    close(gate[1]);
    int reaped = 0, status;
    while (wait(&status) > 0)
        if (WIFEXITED(status) && WEXITSTATUS(status) == 7) reaped++;
    printf("forked %d, reaped %d, then %s\n", forked, reaped, err ? strerror(err) : "no failure");
    /* and a fork works again once they are gone */
    pid_t p = fork();
    if (p == 0) _exit(3);
    if (p < 0 || waitpid(p, &status, 0) != p || !WIFEXITED(status) || WEXITSTATUS(status) != 3) {
        printf("fork after: %s\n", p < 0 ? strerror(errno) : "bad status");
        return 1;
    }
    printf("fork after: ok\n");
    return 0;
}
