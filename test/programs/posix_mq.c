/*
 * POSIX message queues: mq_open (create, exclusive, missing, bad names), priorities, a reader in
 * another process, attributes, O_NONBLOCK, mq_notify with SIGEV_NONE, mq_unlink (the queue
 * lives on while open). Natively the queues are the host's: named after the pid, unlinked.
 */
#include "t.h"
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <sys/wait.h>
int main(void)
{
    t_init();
    char name[64];
    snprintf(name, sizeof(name), "/gts-mq-%d", getpid());
    struct mq_attr attr = {.mq_maxmsg = 4, .mq_msgsize = 64};
    mqd_t q = mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr);
    T("mq_open create", q >= 0);
    T("mq_open O_EXCL again", mq_open(name, O_CREAT | O_EXCL | O_RDWR, 0600, &attr));
    T("mq_open missing", mq_open("/gts-mq-no-such", O_RDONLY));
    T("mq_open bad name", mq_open("/a/b", O_RDONLY));
    T("mq_send prio 1", mq_send(q, "low", 4, 1));
    T("mq_send prio 5", mq_send(q, "high", 5, 5));
    struct mq_attr got;
    T("mq_getattr", mq_getattr(q, &got));
    say("maxmsg %ld msgsize %ld curmsgs %ld", got.mq_maxmsg, got.mq_msgsize, got.mq_curmsgs);
    pid_t c = fork();
    if (c == 0) {
        mqd_t r = mq_open(name, O_RDONLY);
        char buf[64];
        unsigned prio;
        for (int i = 0; i < 3; i++) {
            ssize_t n = mq_receive(r, buf, sizeof(buf), &prio);
            if (n < 0)
                _exit(1);
            say("child received \"%s\" prio %u", buf, prio);
        }
        _exit(0);
    }
    T("child", ({ int st; mqd_t w = mq_open(name, O_WRONLY); mq_send(w, "third", 6, 0); waitpid(c, &st, 0); WEXITSTATUS(st); }));
    char small[8];
    T("mq_receive too small buffer", mq_receive(q, small, sizeof(small), 0));
    struct mq_attr nb = {.mq_flags = O_NONBLOCK};
    mq_setattr(q, &nb, 0);
    char buf[64];
    T("mq_receive empty O_NONBLOCK", mq_receive(q, buf, sizeof(buf), 0));
    struct sigevent ev = {.sigev_notify = SIGEV_NONE};
    T("mq_notify SIGEV_NONE", mq_notify(q, &ev));
    T("mq_notify again", mq_notify(q, &ev));
    T("mq_notify remove", mq_notify(q, 0));
    T("mq_unlink", mq_unlink(name));
    T("mq_unlink again", mq_unlink(name));
    T("mq_open after unlink", mq_open(name, O_RDONLY));
    T("send on the unlinked queue", mq_send(q, "still", 6, 0));
    say("done");
    return 0;
}
