/*
 * A forged fork (test/integration/forged-channel.test.ts): the app speaks the stub's protocol
 * on its own channel (the first fd past its RLIMIT_NOFILE), asks its worker for a fork as the
 * stub would, then says the child is host process argv[1] -- someone else's -- (first as a fork
 * the stub made alone, into a standby it does not hold, then as the granted one) and kills the
 * child's vpid. The host process must live on, and the instance too. With "later", argv[1] is no
 * process when it is named (as a child reaped already), and becomes one before the kill. With
 * "held", a forked child does it while the leader holds it (it has asked nothing but a fork),
 * so the leader answers: the grant, and the report it must not believe. With "flood", see flood().
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/stub/abi.h"

/* The reply to request `seq` on the channel (others are dropped): 0, or 1 if none came. */
static int answer(int channel, uint64_t seq, struct gts_reply *reply)
{
    for (;;) {
        char packet[256];
        if (read(channel, packet, sizeof(packet)) < (ssize_t)sizeof(*reply)) {
            printf("no answer: %s\n", strerrorname_np(errno));
            return 1;
        }
        memcpy(reply, packet, sizeof(*reply));
        if (reply->seq == seq)
            return 0;
    }
}

/* Ask for a fork on the channel, as the stub would; the child's vpid, or 0 if none was granted. */
static long ask_fork(int channel)
{
    struct gts_request req;
    memset(&req, 0, sizeof(req));
    req.kind = GTS_REQ_SYSCALL;
    req.nr = 57; /* fork */
    req.seq = 0x7777000000000001ULL;
    if (write(channel, &req, sizeof(req)) != sizeof(req)) {
        printf("no channel to write to: %s\n", strerrorname_np(errno));
        return 0;
    }
    /* the answer (a read drops the child's channel and lifeline that come with it) */
    struct gts_reply reply;
    if (answer(channel, req.seq, &reply))
        return 0;
    return reply.ret;
}

/* Say the child `vpid` is host process `victim` (no reply). */
static void report_child(int channel, long vpid, long victim)
{
    struct gts_request req;
    memset(&req, 0, sizeof(req));
    req.kind = GTS_REQ_CHILD_STARTED;
    req.args[0] = (uint64_t)victim;
    req.args[1] = (uint64_t)vpid;
    write(channel, &req, sizeof(req));
}

/* A held child: one real fork (its stub says who it is with it), then the forgery. */
static int held(int channel, long victim)
{
    pid_t child = fork();
    if (child == 0)
        _exit(0);
    int status;
    if (child < 0 || waitpid(child, &status, 0) != child)
        return 1;
    long vpid = ask_fork(channel);
    printf("the leader granted a held child a fork: %s\n", vpid > 0 ? "yes" : "no");
    fflush(stdout);
    if (vpid <= 0)
        return 1;
    report_child(channel, vpid, victim);
    kill((pid_t)vpid, SIGKILL);
    kill((pid_t)vpid, SIGTERM);
    return 0;
}

/*
 * "flood": a held child writes reports of reaped children on its channel without end (after a
 * real fork: its stub has said who it is); its parent kills it once it has begun. The leader
 * reads what a held child writes, and must go on serving the instance meanwhile (the kill).
 */
static int flood(int channel)
{
    int started[2];
    if (pipe(started))
        return 1;
    pid_t child = fork();
    if (child == 0) {
        pid_t g = fork();
        if (g == 0)
            _exit(0);
        waitpid(g, 0, 0);
        struct gts_request req;
        memset(&req, 0, sizeof(req));
        req.kind = GTS_REQ_CHILD_REAPED;
        for (unsigned long i = 0;; i++) {
            req.args[0] = 100000 + (i % 1000);
            if (write(channel, &req, sizeof(req)) != sizeof(req))
                _exit(1);
            if (i == 1000)
                (void)!write(started[1], "s", 1);
        }
    }
    char c;
    if (child < 0 || read(started[0], &c, 1) != 1)
        return 1;
    kill(child, SIGKILL);
    int status;
    if (waitpid(child, &status, 0) != child || !WIFSIGNALED(status))
        return 1;
    printf("the flooding child was killed\n");
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "flood")) {
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        return flood((int)rl.rlim_cur);
    }
    /* "later": the pid is no process yet; the kill waits for a line on stdin (the test makes a
       host process take that pid meanwhile) */
    int later = argc == 3 && !strcmp(argv[2], "later");
    int in_held = argc == 3 && !strcmp(argv[2], "held");
    if (argc != 2 && !later && !in_held)
        return 2;
    long victim = atol(argv[1]);
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    int channel = (int)rl.rlim_cur;

    if (in_held) {
        fflush(stdout);
        pid_t child = fork();
        if (child == 0)
            _exit(held(channel, victim));
        int status;
        if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status))
            return 1;
        printf("the instance lives on\n");
        return 0;
    }

    long vpid = ask_fork(channel);
    printf("the worker granted a fork: %s\n", vpid > 0 ? "yes" : "no");
    if (vpid <= 0)
        return 0;

    /* a fork made alone, into a standby the stub does not hold (it was granted none): refused */
    struct gts_request req;
    struct gts_reply reply;
    memset(&req, 0, sizeof(req));
    req.kind = GTS_REQ_FORKED_LOCALLY;
    req.args[0] = (uint64_t)victim;
    req.args[1] = (uint64_t)vpid;
    req.seq = 0x7777000000000002ULL;
    write(channel, &req, sizeof(req));
    if (answer(channel, req.seq, &reply))
        return 1;
    printf("a fork told as made alone, into a standby the stub does not hold: %s\n", reply.ret < 0 ? strerrorname_np((int)-reply.ret) : "taken");

    report_child(channel, vpid, victim);
    if (later) {
        printf("reported\n");
        fflush(stdout);
        char line[8];
        if (!fgets(line, sizeof(line), stdin))
            return 1;
    }
    /* the same channel, in order: the worker has heard of the "child" when this kill comes */
    kill((pid_t)vpid, SIGKILL);
    kill((pid_t)vpid, SIGTERM);
    printf("the instance lives on\n");
    return 0;
}
