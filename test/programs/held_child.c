/*
 * Children that ask their worker nothing, or are signalled before they do
 * (test/integration/multiprocess.test.ts, "held children"):
 *   1. exits at once with status 5 (under gramine-ts no worker is ever handed it);
 *   2. blocks in a read of a pipe (a host call) and is signalled by its parent: its handler,
 *      inherited from the parent, says whether the signal came from the parent and exits 6;
 *   3. asks its process group (getpgrp: its worker's to say) and whether it is its parent's,
 *      and exits 7.
 * One line per child, in order, then "done".
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void on_usr1(int sig, siginfo_t *info, void *ctx)
{
    (void)ctx;
    char line[80];
    int n = snprintf(line, sizeof(line), "2: signal %d from the parent: %s, code %d\n", sig,
                     info->si_pid == getppid() ? "yes" : "no", info->si_code);
    (void)!write(1, line, (size_t)n);
    _exit(6);
}

static int status_of(pid_t pid)
{
    int status;
    if (waitpid(pid, &status, 0) != pid)
        return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t a = fork();
    if (a == 0)
        _exit(5);
    printf("1: status %d\n", status_of(a));

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_sigaction = on_usr1;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGUSR1, &sa, NULL);
    int gate[2], ready[2];
    if (pipe(gate) || pipe(ready))
        return 1;
    pid_t b = fork();
    if (b == 0) {
        char c;
        close(gate[1]);
        (void)!write(ready[1], "r", 1);
        (void)!read(gate[0], &c, 1); /* until signalled */
        _exit(1);
    }
    char c;
    (void)!read(ready[0], &c, 1);
    kill(b, SIGUSR1);
    printf("2: status %d\n", status_of(b));

    pid_t group = getpgrp();
    pid_t d = fork();
    if (d == 0) {
        printf("3: parent's group: %s\n", getpgrp() == group ? "yes" : "no");
        _exit(7);
    }
    printf("3: status %d\n", status_of(d));
    printf("done\n");
    return 0;
}
