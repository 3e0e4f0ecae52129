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
#define MAX_FDS (2 + GTS_PATH_TABLE_MAX) /* a HELLO reply: the program, its interpreter, the mounts' roots */

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

void channel_take_owed(void)
{
    unsigned long owed = g_stub.prefetch_owed;
    if (!owed)
        return;
    g_stub.prefetch_owed = 0;
    for (;;) {
        struct gts_reply reply;
        struct gts_fork_reply placement = {-1, 0, -1};
        int fds[2];
        int nfds = channel_receive(g_stub.main_channel_fd, &reply, &placement, sizeof(placement), fds, 2);
        if (nfds < 0)
            worker_gone();
        if (reply.seq == owed) {
            prefetch_from_reply(&reply, &placement, fds, nfds, 0);
            return;
        }
        for (int i = 0; i < nfds; i++)
            raw1(__NR_close, fds[i]);
    }
}

long channel_call(int fd, const void *req, unsigned long req_len, struct gts_reply *reply,
                  void *data, unsigned long data_cap, int *fds, int max_fds)
{
    /* the main channel's replies come in order: one still owed is read first */
    if (fd == g_stub.main_channel_fd)
        channel_take_owed();
    struct gts_request *head = (struct gts_request *)req;
    head->seq = __atomic_add_fetch(&g_stub.seq, 1, __ATOMIC_RELAXED);
    channel_send(fd, req, req_len);
    for (;;) {
        int nfds = channel_receive(fd, reply, data, data_cap, fds, max_fds);
        if (nfds < 0)
            worker_gone();
        if (reply->seq == head->seq)
            return nfds;
        /* an answer to something the app wrote on the channel itself: drop it */
        for (int i = 0; i < nfds; i++)
            raw1(__NR_close, fds[i]);
    }
}
