/*
 * The waits a signal ends without restarting (pause, sigsuspend, poll, ppoll, select, pselect,
 * epoll_wait, epoll_pwait, epoll_pwait2) and a signal from another process, sent while the
 * parent sleeps in one:
 *   blocked   -- the call goes on (ended by a pipe write, or a second signal for the pause-likes);
 *   ignored   -- the same;
 *   handler   -- EINTR, even with SA_RESTART;
 *   unblocks  -- the call's mask unblocks it: EINTR, the handler ran during the call;
 *   blocks    -- the call's mask blocks it: the call goes on, the handler runs after it;
 *   timeout   -- blocked, the call times out (0) no sooner than its timeout.
 * SIGUSR1 is the signal; SIGHUP (a handler, never blocked) ends the pause-likes; SIGUSR2 is
 * blocked only by the calls' masks, so a handler can tell whether it ran during the call.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "sleeping.h"

enum kind { PAUSE, SIGSUSPEND, POLL, PPOLL, SELECT, PSELECT, EPOLL_WAIT, EPOLL_PWAIT, EPOLL_PWAIT2, KINDS };
static const char *const names[KINDS] = {"pause", "sigsuspend", "poll", "ppoll", "select",
                                         "pselect", "epoll_wait", "epoll_pwait", "epoll_pwait2"};
static int has_mask(enum kind k) { return k == SIGSUSPEND || k == PPOLL || k == PSELECT || k == EPOLL_PWAIT || k == EPOLL_PWAIT2; }
static int has_fd(enum kind k) { return k != PAUSE && k != SIGSUSPEND; }

static volatile int usr1_hits, usr1_in_call, hup_hits;

static void on_usr1(int sig)
{
    (void)sig;
    sigset_t now;
    sigprocmask(SIG_BLOCK, NULL, &now);
    usr1_hits++;
    usr1_in_call = sigismember(&now, SIGUSR2);
}

static void on_hup(int sig) { (void)sig; hup_hits++; }

static void handle(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = fn;
    sa.sa_flags = flags;
    sigaction(sig, &sa, NULL);
}

/* The call of kind `k` on pipe end `fd` (epoll set `ep`), with `mask` if it takes one. */
static long call(enum kind k, int fd, int ep, const sigset_t *mask, int timeout_ms)
{
    struct timespec ts = {timeout_ms / 1000, (timeout_ms % 1000) * 1000000L};
    struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    struct pollfd pfd = {fd, POLLIN, 0};
    struct epoll_event ev;
    fd_set set;
    FD_ZERO(&set);
    FD_SET(fd, &set);
    switch (k) {
    case PAUSE:
        return pause();
    case SIGSUSPEND:
        return sigsuspend(mask);
    case POLL:
        return poll(&pfd, 1, timeout_ms);
    case PPOLL:
        return ppoll(&pfd, 1, timeout_ms < 0 ? NULL : &ts, mask);
    case SELECT:
        return select(fd + 1, &set, NULL, NULL, timeout_ms < 0 ? NULL : &tv);
    case PSELECT:
        return pselect(fd + 1, &set, NULL, NULL, timeout_ms < 0 ? NULL : &ts, mask);
    case EPOLL_WAIT:
        return epoll_wait(ep, &ev, 1, timeout_ms);
    case EPOLL_PWAIT:
        return epoll_pwait(ep, &ev, 1, timeout_ms, mask);
    case EPOLL_PWAIT2:
        return syscall(SYS_epoll_pwait2, ep, &ev, 1, timeout_ms < 0 ? NULL : &ts, mask, 8);
    default:
        return -1;
    }
}

/* A child that, once the parent sleeps, sends SIGUSR1, then (`end`) writes the pipe or sends SIGHUP. */
static pid_t signaller(int wfd, int end)
{
    pid_t parent = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        wait_sleeping(parent);
        kill(parent, SIGUSR1);
        if (end && wfd >= 0 && write(wfd, "x", 1) != 1)
            _exit(1);
        if (end && wfd < 0)
            kill(parent, SIGHUP);
        _exit(0);
    }
    return pid;
}

static long ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (t.tv_sec - t0->tv_sec) * 1000 + (t.tv_nsec - t0->tv_nsec) / 1000000;
}

static void one(enum kind k, const char *what, const sigset_t *normal, const sigset_t *in_call, int end, int timeout_ms)
{
    int p[2];
    if (pipe(p))
        return;
    int ep = epoll_create1(0);
    struct epoll_event ev = {.events = EPOLLIN, .data = {.fd = p[0]}};
    epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev);
    sigprocmask(SIG_SETMASK, normal, NULL);
    usr1_hits = usr1_in_call = hup_hits = 0;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t child = signaller(has_fd(k) ? p[1] : -1, end);
    errno = 0;
    long r = call(k, p[0], ep, in_call, timeout_ms);
    int e = errno;
    long ms = ms_since(&t0);
    printf("%s %s: %ld%s%s, SIGUSR1 handled %d (%s), SIGHUP %d", names[k], what, r, r < 0 ? " " : "",
           r < 0 ? strerrorname_np(e) : "", usr1_hits, usr1_in_call ? "in the call" : "after", hup_hits);
    if (timeout_ms > 0)
        printf(", no sooner than its timeout: %s", ms >= timeout_ms ? "yes" : "no");
    waitpid(child, NULL, 0);
    sigset_t pending;
    sigpending(&pending);
    printf(", SIGUSR1 pending after: %s\n", sigismember(&pending, SIGUSR1) ? "yes" : "no");
    /* a pending SIGUSR1 is dropped before the next case */
    handle(SIGUSR1, SIG_IGN, 0);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);
    close(p[0]);
    close(p[1]);
    close(ep);
}

int main(void)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    handle(SIGHUP, on_hup, 0);
    sigset_t none, usr1, usr2, usr12;
    sigemptyset(&none);
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    usr12 = usr1;
    sigaddset(&usr12, SIGUSR2);
    for (enum kind k = 0; k < KINDS; k++) {
        handle(SIGUSR1, on_usr1, 0);
        one(k, "blocked", &usr1, &usr12, 1, -1);
        handle(SIGUSR1, SIG_IGN, 0);
        one(k, "ignored", &none, &usr2, 1, -1);
        handle(SIGUSR1, on_usr1, SA_RESTART);
        one(k, "handler", &none, &usr2, 0, -1);
        if (has_mask(k)) {
            handle(SIGUSR1, on_usr1, 0);
            one(k, "unblocks", &usr1, &usr2, 0, -1);
            handle(SIGUSR1, on_usr1, 0);
            one(k, "blocks", &none, &usr12, 1, -1);
        }
        if (has_fd(k)) {
            handle(SIGUSR1, on_usr1, 0);
            one(k, "timeout", &usr1, &usr12, 0, 300);
        }
    }
    return 0;
}
