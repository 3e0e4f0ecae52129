/*
 * A child that forks before it asks its worker anything (test/integration/held-forks.test.ts):
 * under gramine-ts the leader grants that fork, and the child's worker, found only when the
 * child first asks (getpgrp here), must know the grandchild as the child's own. The child:
 *   - forks a grandchild that waits on a pipe, then exits 7;
 *   - asks getpgrp (its worker from now on), lets the grandchild go, and waits for it with
 *     waitid: the siginfo names the grandchild's pid, its status and the child's uid;
 *   - forks a second grandchild (its worker grants that one), which exits 3.
 * One line per step, then "done".
 */
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

static int child(pid_t parent)
{
    int gate[2];
    if (pipe(gate))
        return 1;
    pid_t g = fork();
    if (g == 0) {
        char c;
        close(gate[1]);
        (void)!read(gate[0], &c, 1);
        _exit(7);
    }
    close(gate[0]);
    printf("a grandchild: %s\n", g > 0 ? "yes" : "no");
    printf("getppid is the parent: %s\n", getppid() == parent ? "yes" : "no");
    printf("getpgrp is the parent's: %s\n", getpgrp() == getpgid(parent) ? "yes" : "no");
    close(gate[1]);
    siginfo_t si = {0};
    if (waitid(P_PID, (id_t)g, &si, WEXITED))
        return 1;
    printf("waitid: pid %s, code %s, status %d, uid %s\n", si.si_pid == g ? "the grandchild's" : "another",
           si.si_code == CLD_EXITED ? "CLD_EXITED" : "other", si.si_status, si.si_uid == getuid() ? "ours" : "another");
    pid_t h = fork();
    if (h == 0)
        _exit(3);
    int status = 0;
    pid_t reaped = waitpid(h, &status, 0);
    printf("second grandchild: %s, status %d\n", reaped == h ? "reaped" : "lost", WEXITSTATUS(status));
    return 0;
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pid_t self = getpid();
    pid_t c = fork();
    if (c == 0)
        _exit(child(self));
    int status;
    if (waitpid(c, &status, 0) != c || !WIFEXITED(status))
        return 1;
    printf("child: status %d\ndone\n", WEXITSTATUS(status));
    return 0;
}
