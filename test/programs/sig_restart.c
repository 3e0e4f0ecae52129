/*
 * A signal from another process interrupts a blocking call: with a handler lacking SA_RESTART
 * the call ends with EINTR, with SA_RESTART it goes on (a pipe read, wait4); a sleep ends with
 * EINTR and the time left either way; an ignored signal changes nothing; a sleep stopped and
 * continued goes on to its end (the kernel resumes it with restart_syscall). The child waits
 * until the parent sleeps in the call (its /proc state says S) before it signals.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sleeping.h"

static volatile int hits;
static void on_usr1(int sig) { (void)sig; hits++; }

static void install(int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sa.sa_flags = flags;
    sigaction(SIGUSR1, &sa, NULL);
}

/*
 * A child that signals the parent once it sleeps, then (after `then_ms`) writes a byte to `wfd`
 * (if >= 0) and exits with 7.
 */
static pid_t signaller(int wfd, int then_ms)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        wait_sleeping(parent);
        kill(parent, SIGUSR1);
        struct timespec t = {then_ms / 1000, (then_ms % 1000) * 1000000L};
        nanosleep(&t, NULL);
        if (wfd >= 0 && write(wfd, "x", 1) != 1)
            _exit(1);
        _exit(7);
    }
    return pid;
}

static const char *err(long r) { return r < 0 ? strerrorname_np(errno) : "ok"; }

static void pipe_read(const char *what, int flags)
{
    int p[2];
    if (pipe(p))
        return;
    install(flags);
    hits = 0;
    pid_t child = signaller(p[1], 100);
    char c;
    long r = read(p[0], &c, 1);
    printf("%s: read = %ld (%s), handler ran %d\n", what, r, err(r), hits);
    waitpid(child, NULL, 0);
    close(p[0]);
    close(p[1]);
}

static void wait_for(const char *what, int flags)
{
    install(flags);
    hits = 0;
    pid_t child = signaller(-1, 100);
    int status = 0;
    long r = wait4(child, &status, 0, NULL);
    printf("%s: wait4 = %s (%s), handler ran %d\n", what, r == child ? "the child" : r < 0 ? "-1" : "?", err(r), hits);
    if (r < 0) {
        r = wait4(child, &status, 0, NULL);
        printf("%s: wait4 again = %s, status %d\n", what, r == child ? "the child" : "?", WEXITSTATUS(status));
    } else {
        printf("%s: status %d\n", what, WEXITSTATUS(status));
    }
}

static void sleep_for(const char *what, int flags)
{
    install(flags);
    hits = 0;
    pid_t child = signaller(-1, 0);
    struct timespec req = {5, 0}, rem = {0, 0};
    long r = nanosleep(&req, &rem);
    printf("%s: nanosleep = %s, handler ran %d, time left in (3 s, 5 s]: %s\n", what, err(r), hits,
           rem.tv_sec >= 3 && rem.tv_sec <= 5 ? "yes" : "no");
    waitpid(child, NULL, 0);
}

/* SIGSTOP then SIGCONT while the parent sleeps: no handler runs, the sleep goes on to its end. */
static void stopped_sleep(void)
{
    pid_t parent = getpid();
    pid_t child = fork();
    if (child == 0) {
        wait_sleeping(parent);
        kill(parent, SIGSTOP);
        struct timespec t = {0, 50000000L};
        nanosleep(&t, NULL);
        kill(parent, SIGCONT);
        _exit(7);
    }
    struct timespec req = {0, 400000000L}, rem = {0, 0}, t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long r = nanosleep(&req, &rem);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    printf("stopped and continued: nanosleep = %s, slept its time: %s\n", err(r), ms >= 400 ? "yes" : "no");
    waitpid(child, NULL, 0);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    pipe_read("no SA_RESTART", 0);
    pipe_read("SA_RESTART", SA_RESTART);
    wait_for("no SA_RESTART", 0);
    wait_for("SA_RESTART", SA_RESTART);
    sleep_for("no SA_RESTART", 0);
    sleep_for("SA_RESTART", SA_RESTART);
    stopped_sleep();
    /* ignored: nothing happens to the call */
    signal(SIGUSR1, SIG_IGN);
    int p[2];
    if (pipe(p) == 0) {
        pid_t child = signaller(p[1], 100);
        char c;
        long r = read(p[0], &c, 1);
        printf("ignored: read = %ld (%s)\n", r, err(r));
        waitpid(child, NULL, 0);
    }
    return 0;
}
