/*
 * Floods of requests the app writes on its own channel (test/integration/forged-channel.test.ts),
 * taking whatever answers have come between two writes, so that answers never fill the channel:
 *
 *   forge_lookups                 600 pid look-ups for host processes that will never be the
 *                                 instance's; only a bounded number (256) may wait at the
 *                                 leader for a fork to be told of, the rest are answered at once
 *   forge_lookups opens FIFO      3000 opens of FIFO for reading, written without waiting for
 *                                 answers: none waits in the worker for a writer, each is
 *                                 answered at once ("not yet", with an eventfd the stub would
 *                                 wait on); then a child opens FIFO for writing
 *
 * One line: "answered: at least N", or "opens: N answered at once (W not yet, R refused, O
 * opened)".
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../../native/stub/abi.h"

#define LOOKUPS 600
#define MAY_WAIT 256
#define OPENS 3000
#define TAG 0x6666ULL
/* answers that may be on their way at once: the worker's sends must find room on the channel */
#define WINDOW 64

static int channel, answered, refused, opened, not_yet;

/* Take one answer off the channel (blocking), counting ours (and the EAGAINs among them). */
static int take_answer(void)
{
    char packet[256];
    /* (an fd that comes with it is dropped: a read takes no SCM_RIGHTS) */
    if (read(channel, packet, sizeof(packet)) <= 0)
        return -1;
    struct gts_reply reply;
    memcpy(&reply, packet, sizeof(reply));
    if ((reply.seq >> 48) == TAG) {
        answered++;
        refused += reply.ret == -EAGAIN;
        not_yet += (reply.flags & GTS_REPLY_WAIT) != 0;
        opened += reply.ret >= 0 && !(reply.flags & GTS_REPLY_WAIT);
    }
    return 0;
}

/*
 * Write one request, taking the answers that come meanwhile: the worker sends an answer only if
 * there is room for it (it never waits for a stub), so they must not pile up while the write
 * waits for room on the worker's side.
 */
static void put(struct gts_request *req, int i)
{
    /*
     * Taking what comes between writes is not enough on a loaded machine: the worker may read a
     * run of requests while this process waits to run, and answer them in one burst. Keeping at
     * most WINDOW answerable requests unanswered bounds the burst (the look-ups' first MAY_WAIT
     * are never answered; the opens' are all answered at once).
     */
    int unanswerable = req->kind == GTS_REQ_PID_LOOKUP ? MAY_WAIT : 0;
    while (i - answered >= unanswerable + WINDOW) {
        struct pollfd p = {channel, POLLIN, 0};
        if (poll(&p, 1, 20000) == 0) {
            printf("no answer for 20 s after %d requests, %d answered\n", i, answered);
            fflush(stdout);
            _exit(1);
        }
        if (take_answer() < 0)
            break;
    }
    req->seq = (TAG << 48) + (uint64_t)i;
    for (;;) {
        struct pollfd p = {channel, POLLIN | POLLOUT, 0};
        if (poll(&p, 1, -1) < 0)
            continue;
        if ((p.revents & POLLIN) && take_answer() == 0)
            continue;
        if (!(p.revents & POLLOUT))
            continue;
        /* room for it now (a write the stub's fd allows: not send, whose fd the filter checks) */
        if (write(channel, req, sizeof(*req)) == sizeof(*req))
            return;
        printf("write: %s\n", strerrorname_np(errno));
        fflush(stdout);
        _exit(1);
    }
}

static int lookups(void)
{
    for (int i = 0; i < LOOKUPS; i++) {
        struct gts_request req;
        memset(&req, 0, sizeof(req));
        req.kind = GTS_REQ_PID_LOOKUP;
        req.args[0] = GTS_LOOKUP_VPID_OF_HOST;
        req.args[1] = 0x3fff0000 + (uint64_t)i; /* above any host pid */
        put(&req, i);
    }
    while (answered < LOOKUPS - MAY_WAIT && take_answer() == 0)
        ;
    printf("answered: at least %d\n", answered);
    return 0;
}

static int opens(const char *fifo)
{
    if (mkfifo(fifo, 0600))
        return perror("mkfifo"), 1;
    /* the writer, made first: with the flood in flight, the process's own calls are refused too */
    int go[2];
    if (pipe(go))
        return perror("pipe"), 1;
    pid_t writer = fork();
    if (writer == 0) {
        char c;
        int fd = read(go[0], &c, 1) == 1 ? open(fifo, O_WRONLY) : -1;
        pause();
        _exit(fd < 0);
    }
    struct gts_request req;
    memset(&req, 0, sizeof(req));
    req.kind = GTS_REQ_SYSCALL;
    req.host_tid = (uint32_t)gettid();
    req.nr = SYS_openat;
    req.args[0] = (uint64_t)(long)AT_FDCWD;
    req.args[1] = (uint64_t)fifo;
    req.args[2] = O_RDONLY | O_CLOEXEC;
    for (int i = 0; i < OPENS; i++)
        put(&req, i);
    /* every one is answered without a writer */
    while (answered < OPENS && take_answer() == 0)
        ;
    int at_once = answered, waits = not_yet, refusals = refused;
    /* the writer comes, and is let go: the instance lives on */
    if (write(go[1], "w", 1) != 1)
        return perror("write"), 1;
    printf("opens: %d answered at once (%d not yet, %d refused, %d opened)\n", at_once, waits, refusals, opened);
    kill(writer, SIGKILL);
    waitpid(writer, NULL, 0);
    return 0;
}

int main(int argc, char **argv)
{
    struct rlimit rl;
    getrlimit(RLIMIT_NOFILE, &rl);
    channel = (int)rl.rlim_cur;
    if (argc == 3 && !strcmp(argv[1], "opens"))
        return opens(argv[2]);
    return lookups();
}
