/*
 * The process's own timers and signal waits: alarm, setitimer/getitimer with pause, a POSIX
 * timer caught by sigtimedwait, a timerfd, and sigpending. Every line is deterministic.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

static volatile sig_atomic_t alarms;
static void on_alarm(int s) { (void)s; alarms++; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_alarm;
    sigaction(SIGALRM, &sa, NULL);

    printf("alarm(0) with none pending = %u\n", alarm(0));
    unsigned first = alarm(100), left = alarm(0);
    printf("alarm(100) = %u, then alarm(0) left > 0: %d\n", first, left > 0);

    struct itimerval it = {{0, 0}, {0, 50000}}, cur;
    printf("setitimer(ITIMER_REAL, 50 ms) = %d\n", setitimer(ITIMER_REAL, &it, NULL));
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer: running %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);
    int r = pause();
    printf("pause = %d %s, handler ran %d\n", r, strerrorname_np(errno), (int)alarms);
    getitimer(ITIMER_REAL, &cur);
    printf("getitimer after: running %d\n", cur.it_value.tv_sec > 0 || cur.it_value.tv_usec > 0);

    sigset_t usr1;
    sigemptyset(&usr1);
    sigaddset(&usr1, SIGUSR1);
    sigprocmask(SIG_BLOCK, &usr1, NULL);
    struct sigevent ev;
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_SIGNAL;
    ev.sigev_signo = SIGUSR1;
    timer_t t;
    printf("timer_create = %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
    struct itimerspec ts = {{0, 0}, {0, 20000000}}, tcur;
    printf("timer_settime(20 ms) = %d\n", timer_settime(t, 0, &ts, NULL));
    timer_gettime(t, &tcur);
    printf("timer_gettime: armed %d\n", tcur.it_value.tv_sec > 0 || tcur.it_value.tv_nsec > 0);
    siginfo_t si;
    struct timespec limit = {5, 0};
    int sig = sigtimedwait(&usr1, &si, &limit);
    printf("sigtimedwait = %s, si_code SI_TIMER %d\n", sig == SIGUSR1 ? "SIGUSR1" : strerrorname_np(errno), si.si_code == SI_TIMER);
    printf("timer_getoverrun = %d\n", timer_getoverrun(t));
    printf("timer_delete = %d\n", timer_delete(t));

    /* a timer aimed at this thread (SIGEV_THREAD_ID), and one at a thread that is not ours */
    memset(&ev, 0, sizeof(ev));
    ev.sigev_notify = SIGEV_THREAD_ID;
    ev.sigev_signo = SIGUSR1;
    ev._sigev_un._tid = gettid();
    printf("timer_create(SIGEV_THREAD_ID, ourselves) = %d\n", timer_create(CLOCK_MONOTONIC, &ev, &t));
    printf("timer_settime(20 ms) = %d\n", timer_settime(t, 0, &ts, NULL));
    sig = sigtimedwait(&usr1, &si, &limit);
    printf("sigtimedwait = %s, si_code SI_TIMER %d\n", sig == SIGUSR1 ? "SIGUSR1" : strerrorname_np(errno), si.si_code == SI_TIMER);
    timer_delete(t);
    ev._sigev_un._tid = getppid() > 0 ? getppid() : 99999;
    int created = timer_create(CLOCK_MONOTONIC, &ev, &t);
    printf("timer_create(SIGEV_THREAD_ID, another process) = %d %s\n", created, created ? strerrorname_np(errno) : "");

    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
    printf("timerfd_create: %s\n", tfd >= 0 ? "ok" : strerrorname_np(errno));
    printf("timerfd_settime(10 ms) = %d\n", timerfd_settime(tfd, 0, &(struct itimerspec){{0, 0}, {0, 10000000}}, NULL));
    timerfd_gettime(tfd, &tcur);
    printf("timerfd_gettime: armed %d\n", tcur.it_value.tv_sec > 0 || tcur.it_value.tv_nsec > 0);
    uint64_t expirations = 0;
    ssize_t got = read(tfd, &expirations, 8);
    printf("read timerfd = %zd, expirations >= 1: %d\n", got, expirations >= 1);

    sigset_t usr2, pending;
    sigemptyset(&usr2);
    sigaddset(&usr2, SIGUSR2);
    sigprocmask(SIG_BLOCK, &usr2, NULL);
    raise(SIGUSR2);
    sigpending(&pending);
    printf("sigpending has SIGUSR2: %d\n", sigismember(&pending, SIGUSR2));
    return 0;
}
