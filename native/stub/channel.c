/* The stub's side of its channels to the worker: one SOCK_SEQPACKET socket per app thread. */
#include <stddef.h>
#include <asm-generic/errno-base.h>
#include <asm-generic/signal.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_MSG_CMSG_CLOEXEC 0x40000000
#define MAX_FDS STUB_HELLO_FDS /* a HELLO reply's */

/* A worker that dies takes its app with it, as a SIGKILL the parent can see. */
static __attribute__((noreturn)) void worker_gone(void) { stub_die_killed(); }

static void send_packet(int fd, const void *req, unsigned long req_len)
{
    long r;
    do
        r = raw6(__NR_sendto, fd, req, req_len, 0, 0, 0);
    while (r == -EINTR);
    if (r < 0)
        worker_gone();
}

/*
 * What an image has not told its worker yet goes first, once, with whichever of its sends on
 * the main channel comes first: a forked child's FORKED (who it is on the host; not said at
 * the fork, so that one that never asks anything -- it exits, or execs a program the stub
 * serves alone -- costs its parent's worker and the leader nothing more, who hold it
 * meanwhile), then an image the stub exec'd alone (local_exec.c), its EXECED.
 */
static void tell_once(int fd, volatile int *untold, uint32_t kind, uint64_t arg0, uint64_t arg1)
{
    if (fd != g_stub.main_channel_fd || !__atomic_exchange_n(untold, 0, __ATOMIC_ACQ_REL))
        return;
    struct gts_request req = {kind, (uint32_t)host_tid(), 0, {0}, 0, 0};
    req.args[0] = arg0;
    req.args[1] = arg1;
    send_packet(fd, &req, sizeof(req));
}

void channel_send(int fd, const void *req, unsigned long req_len)
{
    /* FORKED: its host pid, and where the kernel shows it holds the channel */
    tell_once(fd, &g_stub.fork_untold, GTS_REQ_FORKED, (uint64_t)host_pid(), (uint64_t)g_stub.main_channel_fd);
    /* EXECED: where its AT_EXECFN string is in the stub's memory, and its length (no NUL) */
    tell_once(fd, &g_stub.exec_untold, GTS_REQ_EXECED, (uint64_t)(unsigned long)g_stub.untold_execfn, g_stub.untold_execfn_len);
    /* UMASK: the one it set alone, before whatever it asks next (a file made, a fork's state sealed) */
    tell_once(fd, &g_stub.umask_untold, GTS_REQ_UMASK, g_stub.umask, 0);
    send_packet(fd, req, req_len);
}

/*
 * One packet from `fd`: a reply header, its payload into `data`, and the fds that came along
 * (up to `max_fds` kept, close-on-exec). The count of fds, or -1 if no whole header came.
 */
int channel_receive(int fd, struct gts_reply *reply, void *data, unsigned long data_cap, int *fds, int max_fds)
{
    union {
        struct k_cmsghdr h;
        char buf[sizeof(struct k_cmsghdr) + MAX_FDS * sizeof(int) + 8];
    } control;
    struct k_iovec iov[2] = {{reply, sizeof(*reply)}, {data, data_cap}};
    struct k_msghdr msg = {0};
    msg.iov = iov;
    msg.iovlen = data_cap ? 2 : 1;
    msg.control = &control;
    msg.controllen = sizeof(control);
    long r;
    do
        r = raw3(__NR_recvmsg, fd, &msg, K_MSG_CMSG_CLOEXEC);
    while (r == -EINTR);
    int nfds = 0;
    if (msg.controllen >= sizeof(struct k_cmsghdr) && control.h.level == K_SOL_SOCKET &&
        control.h.type == K_SCM_RIGHTS) {
        int *in = (int *)(control.buf + sizeof(struct k_cmsghdr));
        int n = (int)((control.h.len - sizeof(struct k_cmsghdr)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            if (r >= (long)sizeof(*reply) && nfds < max_fds)
                fds[nfds++] = in[i];
            else
                raw1(__NR_close, in[i]);
        }
    }
    return r < (long)sizeof(*reply) ? -1 : nfds;
}

#define K_MSG_PEEK 0x2
#define K_MSG_DONTWAIT 0x40

/*
 * The seq of the packet waiting at the head of the main channel (blocking, or not): 1, 0 for
 * none there (EAGAIN) or a packet too short to be a reply (the app's own writing).
 */
static int peek_seq(int nonblock, unsigned long *seq)
{
    struct gts_reply head;
    struct k_iovec iov = {&head, sizeof(head)};
    struct k_msghdr msg = {0};
    msg.iov = &iov;
    msg.iovlen = 1;
    long r;
    do
        r = raw3(__NR_recvmsg, g_stub.main_channel_fd, &msg, K_MSG_PEEK | (nonblock ? K_MSG_DONTWAIT : 0));
    while (r == -EINTR);
    if (r == -EAGAIN)
        return 0;
    if (r <= 0)
        worker_gone();
    *seq = head.seq;
    return r >= (long)sizeof(head);
}

/*
 * Those owed up to `seq` have come, or never will: the app took them off its channel (the
 * worker answers in order: a later reply has come).
 */
static void owed_until(unsigned long seq)
{
    int keep = 0;
    for (int i = 0; i < GTS_PREFETCH_MAX; i++)
        if (g_stub.prefetch_owed[i] > seq)
            g_stub.prefetch_owed[keep++] = g_stub.prefetch_owed[i];
    while (keep < GTS_PREFETCH_MAX)
        g_stub.prefetch_owed[keep++] = 0;
}

static int is_owed(unsigned long seq)
{
    for (int i = 0; i < GTS_PREFETCH_MAX; i++)
        if (seq && g_stub.prefetch_owed[i] == seq)
            return 1;
    return 0;
}

/* A reply to a FORKED_LOCALLY, if one is the packet at the head of the main channel: taken (1), or 0. */
static int take_owed_if_next(int nonblock)
{
    unsigned long seq;
    if (!g_stub.prefetch_owed[0] || !peek_seq(nonblock, &seq) || !is_owed(seq))
        return 0;
    struct gts_reply reply;
    struct gts_fork_reply placement = {.cpu = -1};
    int fds[2 * GTS_PREFETCH_MAX];
    int nfds = channel_receive(g_stub.main_channel_fd, &reply, &placement, sizeof(placement), fds, 2 * GTS_PREFETCH_MAX);
    if (nfds < 0)
        worker_gone();
    owed_until(seq);
    prefetch_from_reply(&reply, &placement, fds, nfds, 0);
    return 1;
}

void channel_send_owing(struct gts_request *req)
{
    req->seq = __atomic_add_fetch(&g_stub.seq, 1, __ATOMIC_RELAXED);
    channel_send(g_stub.main_channel_fd, req, sizeof(*req));
    for (int i = 0; i < GTS_PREFETCH_MAX; i++)
        if (!g_stub.prefetch_owed[i]) {
            g_stub.prefetch_owed[i] = req->seq;
            return;
        }
}

/*
 * Without waiting: the reply to FORKED_LOCALLY, if it has come. (Never waited for: the app may
 * read its channel itself and take it. A reply of the stub's own that comes after it says it
 * has come, or was taken: the worker answers in order.)
 */
void channel_take_owed(void)
{
    while (take_owed_if_next(1))
        ;
}

/*
 * A fork would use the prefetch that reply brings: wait for it, up to OWED_WAIT_NS. It comes
 * before anything else the worker says to this process (a forwarded fork's reply would come
 * after it), so waiting costs nothing -- unless the app took it off its channel, which the
 * bound covers.
 */
#define OWED_WAIT_NS 20000000L
void channel_await_owed(void)
{
    long deadline = now_ns() + OWED_WAIT_NS;
    while (g_stub.prefetch_owed[0] && !take_owed_if_next(1)) {
        long left = deadline - now_ns();
        if (left <= 0)
            return; /* not within the bound: the fork asks its worker */
        struct k_timespec wait = {left / 1000000000L, left % 1000000000L};
        struct k_pollfd p = {g_stub.main_channel_fd, 1 /* POLLIN */, 0};
        long r = raw5(__NR_ppoll, &p, 1, &wait, 0, 8);
        if (r < 0 && r != -EINTR)
            worker_gone();
        unsigned long seq;
        if (r > 0 && (!peek_seq(1, &seq) || !is_owed(seq)))
            return; /* something else ahead of it (the app's own writing answered): not this way */
    }
}

/* The worker's word that it has closed its copy of the fd its reply `seq` brought (GTS_REPLY_FD_HELD). */
static void await_released(int fd, uint64_t seq)
{
    for (;;) {
        struct gts_reply word;
        if (channel_receive(fd, &word, 0, 0, 0, 0) < 0)
            worker_gone();
        if (word.seq == seq && (word.flags & GTS_REPLY_RELEASED))
            return;
    }
}

long channel_call(int fd, const void *req, unsigned long req_len, struct gts_reply *reply,
                  void *data, unsigned long data_cap, int *fds, int max_fds)
{
    struct gts_request *head = (struct gts_request *)req;
    head->seq = __atomic_add_fetch(&g_stub.seq, 1, __ATOMIC_RELAXED);
    channel_send(fd, req, req_len);
    int main = fd == g_stub.main_channel_fd;
    for (;;) {
        /* one owed ahead of this reply comes first: taken with its own buffers */
        if (main && take_owed_if_next(0))
            continue;
        int nfds = channel_receive(fd, reply, data, data_cap, fds, max_fds);
        if (nfds < 0)
            worker_gone();
        if (reply->seq == head->seq) {
            if (main)
                owed_until(head->seq); /* (they came before this one, or the app took them) */
            if (reply->flags & GTS_REPLY_FD_HELD)
                await_released(fd, head->seq);
            return nfds;
        }
        /* an answer to something the app wrote on the channel itself: drop it */
        for (int i = 0; i < nfds; i++)
            raw1(__NR_close, fds[i]);
    }
}
