/*
 * PR_SET_PDEATHSIG is about the parent *thread*: a child forked by a thread gets its signal
 * when that thread exits, though the process runs on (and stays its parent); a child forked by
 * the main thread gets nothing then. Each child reports by its exit status.
 */
#include "t.h"
#include <pthread.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>

static int ready[2];

/* A child that asks for SIGUSR1 at its parent's death, says so, and waits for it (exit 0) or for SIGALRM (exit 1). */
static pid_t child(void)
{
    pid_t parent = getpid();
    pid_t c = fork();
    if (c == 0) {
        sigset_t set;
        sigemptyset(&set);
        sigaddset(&set, SIGUSR1);
        sigaddset(&set, SIGALRM);
        sigprocmask(SIG_BLOCK, &set, 0);
        if (prctl(PR_SET_PDEATHSIG, SIGUSR1) || getppid() != parent)
            _exit(3);
        alarm(2);
        if (write(ready[1], "r", 1) != 1)
            _exit(4);
        int sig = 0;
        sigwait(&set, &sig);
        _exit(sig == SIGUSR1 ? 0 : 1);
    }
    return c;
}

static void *forker(void *arg)
{
    *(pid_t *)arg = child();
    char r;
    if (read(ready[0], &r, 1) != 1)
        die("read");
    return 0; /* the thread exits: its child's parent thread is gone */
}

static const char *status(pid_t c)
{
    int st;
    if (waitpid(c, &st, 0) != c)
        return "not my child";
    if (!WIFEXITED(st))
        return "killed";
    return WEXITSTATUS(st) == 0 ? "got SIGUSR1" : WEXITSTATUS(st) == 1 ? "nothing" : "failed";
}

int main(void)
{
    t_init();
    if (pipe(ready))
        die("pipe");
    pid_t mine = child();
    char r;
    if (read(ready[0], &r, 1) != 1)
        die("read");
    pid_t theirs = 0;
    pthread_t t;
    if (pthread_create(&t, 0, forker, &theirs) || pthread_join(t, 0))
        die("thread");
    say("the thread's child: %s", status(theirs));
    say("the main thread's child: %s", status(mine));
    return 0;
}
