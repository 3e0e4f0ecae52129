/*
 * mq_notify with SIGEV_SIGNAL: the signal comes once, when a message arrives on the empty
 * queue, with si_code SI_MESGQ, the sender's pid and uid and the registered value; a second
 * registration is EBUSY (another process) or replaces; removed, none comes. A sigwaitinfo and
 * a handler each take one. The queue's name is made per run.
 */
#include "t.h"
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/wait.h>

static volatile sig_atomic_t handled_code, handled_value;

static void on_usr2(int sig, siginfo_t *si, void *uc)
{
    (void)sig, (void)uc;
    handled_code = si->si_code;
    handled_value = si->si_value.sival_int;
}

int main(void)
{
    t_init();
    char name[64];
    snprintf(name, sizeof(name), "/gts-mq-signal-%d", getpid());
    mqd_t q = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &(struct mq_attr){.mq_maxmsg = 4, .mq_msgsize = 16});
    T("mq_open", q >= 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    sigprocmask(SIG_BLOCK, &set, 0);
    struct sigevent ev = {.sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGUSR1, .sigev_value.sival_int = 42};
    T("mq_notify SIGEV_SIGNAL", mq_notify(q, &ev));
    T("mq_notify bad signal", mq_notify(q, &(struct sigevent){.sigev_notify = SIGEV_SIGNAL, .sigev_signo = 65}));
    pid_t c = fork();
    if (c == 0) {
        /* another process may not register while the parent is */
        int busy = mq_notify(q, &ev) == -1 && errno == EBUSY;
        _exit(busy && mq_send(q, "hi", 2, 0) == 0 ? 0 : 1);
    }
    siginfo_t si;
    T("sigwaitinfo", sigwaitinfo(&set, &si));
    int st;
    T("child", waitpid(c, &st, 0) == c && WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    say("si_code SI_MESGQ %d, si_pid is the child %d, si_uid is mine %d, value %d", si.si_code == SI_MESGQ, si.si_pid == c,
        si.si_uid == getuid(), si.si_value.sival_int);
    char buf[16];
    T("mq_receive", mq_receive(q, buf, sizeof(buf), 0));
    /* once only: the next message brings no signal */
    T("mq_send", mq_send(q, "again", 5, 0));
    T("pending after the second", sigtimedwait(&set, &si, &(struct timespec){0, 0}));
    T("mq_receive", mq_receive(q, buf, sizeof(buf), 0));

    /* a handler, registered and then removed: no signal; registered again: the handler's */
    struct sigaction sa = {.sa_sigaction = on_usr2, .sa_flags = SA_SIGINFO};
    sigaction(SIGUSR2, &sa, 0);
    ev.sigev_signo = SIGUSR2;
    ev.sigev_value.sival_int = 7;
    T("mq_notify SIGUSR2", mq_notify(q, &ev));
    T("mq_notify remove", mq_notify(q, 0));
    T("mq_send", mq_send(q, "x", 1, 0));
    say("handled after removal: %d", (int)handled_code);
    T("mq_receive", mq_receive(q, buf, sizeof(buf), 0));
    T("mq_notify SIGUSR2 again", mq_notify(q, &ev));
    T("mq_send", mq_send(q, "y", 1, 0));
    say("handled: SI_MESGQ %d value %d", handled_code == SI_MESGQ, (int)handled_value);
    T("mq_unlink", mq_unlink(name));
    return 0;
}
