/*
 * fork and exec from a thread: the child of a fork made by a thread has that thread only (its
 * pid its own, its tid its pid), runs, makes threads of its own and execs; an exec made by a
 * thread ends the others and the program runs as the process, with the process's pid.
 */
#include "t.h"
#include <pthread.h>
#include <sys/wait.h>

static void *child_thread(void *arg)
{
    return (void *)((long)arg + 1);
}

static void *forker(void *arg)
{
    (void)arg;
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* the child: one thread, the caller; its tid is its pid */
        int ok = gettid() == getpid() && getppid() == parent;
        pthread_t t;
        void *r = 0;
        if (pthread_create(&t, NULL, child_thread, (void *)41L) == 0)
            pthread_join(t, &r);
        printf("forked child: tid is pid = %d, its own thread returned %ld\n", ok, (long)r);
        fflush(stdout);
        execl("/bin/echo", "echo", "exec from the forked child", (char *)NULL);
        _exit(127);
    }
    int status;
    waitpid(pid, &status, 0);
    return (void *)(long)(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
}

static void *sleeper(void *arg)
{
    (void)arg;
    for (;;)
        pause();
    return 0;
}

static void *execer(void *arg)
{
    (void)arg;
    execl("/bin/sh", "sh", "-c", "echo exec from a thread: pid is the old one = $(($$ == $0))", (char *)arg, (char *)NULL);
    return 0;
}

int main(int argc, char **argv)
{
    t_init();
    (void)argc;
    (void)argv;
    pthread_t t;
    void *r;
    pthread_create(&t, NULL, forker, NULL);
    pthread_join(t, &r);
    say("forked child exited with %ld", (long)r);

    /* exec from a thread while another thread sleeps in pause() */
    pthread_t s;
    pthread_create(&s, NULL, sleeper, NULL);
    char pid[16];
    snprintf(pid, sizeof(pid), "%d", getpid());
    pthread_create(&t, NULL, execer, pid);
    pthread_join(t, NULL);
    say("not reached");
    return 1;
}
