/* The stub's side of its channels to the worker: one SOCK_SEQPACKET socket per app thread. */
#include <stddef.h>
#include <asm-generic/errno-base.h>
#include <asm-generic/signal.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "util.h"

#define K_MSG_CMSG_CLOEXEC 0x40000000
#define MAX_FDS (2 + GTS_PATH_TABLE_MAX) /* a HELLO reply: the program, its interpreter, the mounts' roots */

/* A worker that dies takes its app with it, as a SIGKILL the parent can see. */
static __attribute__((noreturn)) void worker_gone(void) { stub_die_killed(); }

void channel_send(int fd, const void *req, unsigned long req_len)
{
    long r;
    do
        r = raw6(__NR_sendto, fd, req, req_len, 0, 0, 0);
    while (r == -EINTR);
    if (r < 0)
        worker_gone();
}

static void drop_fds(struct k_cmsghdr *h, unsigned long controllen)
{
    if (controllen < sizeof(*h) || h->level != K_SOL_SOCKET || h->type != K_SCM_RIGHTS)
        return;
    int *fds = (int *)((char *)h + sizeof(*h));
    for (unsigned long i = 0; i < (h->len - sizeof(*h)) / sizeof(int); i++)
        raw1(__NR_close, fds[i]);
}

long channel_call(int fd, const void *req, unsigned long req_len, struct gts_reply *reply,
                  void *data, unsigned long data_cap, int *fds, int max_fds)
{
    long r;
    struct gts_request *head = (struct gts_request *)req;
    head->seq = __atomic_add_fetch(&g_stub.seq, 1, __ATOMIC_RELAXED);
    channel_send(fd, req, req_len);

    union {
        struct k_cmsghdr h;
        char buf[sizeof(struct k_cmsghdr) + MAX_FDS * sizeof(int) + 8];
    } control;
    struct k_iovec iov[2];
    struct k_msghdr msg;
    for (;;) {
        iov[0] = (struct k_iovec){reply, sizeof(*reply)};
        iov[1] = (struct k_iovec){data, data_cap};
        msg = (struct k_msghdr){0};
        msg.iov = iov;
        msg.iovlen = data_cap ? 2 : 1;
        msg.control = &control;
        msg.controllen = sizeof(control);
        do
            r = raw3(__NR_recvmsg, fd, &msg, K_MSG_CMSG_CLOEXEC);
        while (r == -EINTR);
        if (r < (long)sizeof(*reply))
            worker_gone();
        if (reply->seq == head->seq)
            break;
        /* an answer to something the app wrote on the channel itself: drop it */
        drop_fds(&control.h, msg.controllen);
    }

    int nfds = 0;
    if (msg.controllen >= sizeof(struct k_cmsghdr) && control.h.level == K_SOL_SOCKET &&
        control.h.type == K_SCM_RIGHTS) {
        int *in = (int *)(control.buf + sizeof(struct k_cmsghdr));
        int n = (int)((control.h.len - sizeof(struct k_cmsghdr)) / sizeof(int));
        for (int i = 0; i < n; i++) {
            if (nfds < max_fds)
                fds[nfds++] = in[i];
            else
                raw1(__NR_close, in[i]);
        }
    }
    return nfds;
}
