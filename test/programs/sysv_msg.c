/*
 * System V message queues: typed messages, receive by type (exact, MSG_EXCEPT, lowest up to a
 * bound), MSG_NOERROR and E2BIG, IPC_NOWAIT, a receiver that waits for a sender in another
 * process, a wait ended by a signal, IPC_STAT and IPC_SET, IPC_RMID. Natively the queues are
 * the host's: each is private and removed before the end.
 */
#include "t.h"
#include <signal.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/wait.h>

struct message {
    long type;
    char text[64];
};

static int reap(pid_t pid)
{
    int st;
    if (waitpid(pid, &st, 0) != pid)
        die("waitpid");
    return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int send(int id, long type, const char *text, int flags)
{
    struct message m = {.type = type};
    strncpy(m.text, text, sizeof(m.text) - 1);
    return msgsnd(id, &m, strlen(text) + 1, flags);
}

static void receive(const char *label, int id, size_t size, long type, int flags)
{
    struct message m = {0};
    long n = T(label, msgrcv(id, &m, size, type, flags));
    if (n >= 0)
        say("%s: type %ld text %.*s", label, m.type, (int)n, m.text);
}

static void stat_of(const char *label, int id)
{
    struct msqid_ds ds;
    if (T(label, msgctl(id, IPC_STAT, &ds)) == 0)
        say("%s: qnum %lu cbytes %lu qbytes %lu mode %o lspid is me %d", label, (unsigned long)ds.msg_qnum,
            (unsigned long)ds.__msg_cbytes, (unsigned long)ds.msg_qbytes, ds.msg_perm.mode, ds.msg_lspid == getpid());
}

static void on_alarm(int sig)
{
    (void)sig;
}

int main(void)
{
    t_init();
    int id = msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    T("msgget", id >= 0);
    T("send type 0", send(id, 0, "x", 0));
    T("send 3 three", send(id, 3, "three", 0));
    T("send 1 one", send(id, 1, "one", 0));
    T("send 2 two", send(id, 2, "two", 0));
    T("send 1 uno", send(id, 1, "uno", 0));
    stat_of("stat four", id);
    receive("recv type 2", id, 64, 2, 0);
    receive("recv except 3", id, 64, 3, MSG_EXCEPT);
    receive("recv lowest up to 3", id, 64, -3, 0);
    receive("recv too small", id, 2, 0, 0);
    receive("recv MSG_NOERROR", id, 2, 0, MSG_NOERROR);
    receive("recv empty IPC_NOWAIT", id, 64, 0, IPC_NOWAIT);
    /* a receiver waits for a sender in another process */
    pid_t c = fork();
    if (c == 0) {
        struct message m;
        long n = msgrcv(id, &m, sizeof(m.text), 7, 0);
        if (n < 0)
            _exit(1);
        say("child received: type %ld text %s", m.type, m.text);
        _exit(send(id, 8, "reply", 0) ? 2 : 0);
    }
    int sent = send(id, 7, "hello child", 0);
    receive("recv the child's reply", id, 64, 8, 0); /* the child has printed its line by then */
    T("send 7 to the child", sent);
    T("child", reap(c));
    /* a full queue: IPC_NOWAIT says EAGAIN */
    struct msqid_ds ds;
    msgctl(id, IPC_STAT, &ds);
    ds.msg_qbytes = 10;
    T("IPC_SET qbytes 10", msgctl(id, IPC_SET, &ds));
    T("send fits", send(id, 1, "123456789", 0));
    T("send full IPC_NOWAIT", send(id, 1, "x", IPC_NOWAIT));
    stat_of("stat full", id);
    receive("recv", id, 64, 0, 0);
    /* a wait ended by a handler: EINTR, even with SA_RESTART */
    struct sigaction sa = {.sa_handler = on_alarm, .sa_flags = SA_RESTART};
    sigaction(SIGALRM, &sa, 0);
    alarm(1);
    receive("recv interrupted by SIGALRM", id, 64, 0, 0);
    T("send too big", msgsnd(id, &(struct message){.type = 1}, 9000, 0));
    T("IPC_RMID", msgctl(id, IPC_RMID, 0));
    T("send removed", send(id, 1, "x", 0));
    T("IPC_RMID again", msgctl(id, IPC_RMID, 0));
    say("done");
    return 0;
}
