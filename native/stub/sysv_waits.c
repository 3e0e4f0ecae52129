/*
 * System V message queue waits: msgsnd, msgrcv (semaphores wait in sem.c). The leader makes
 * such a call at once or not at all; when it must wait, the worker's reply carries an eventfd
 * the leader's next change of the queue makes readable. The stub waits on it with the app's
 * signal mask (with_app_mask): a handler that runs ends the call with EINTR (Linux never
 * restarts these); once woken -- or after a doorbell that ran no handler -- the whole call is
 * made again.
 */
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

long sys_sysv_waitable(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    struct stub_thread *self = current_thread();
    for (;;) {
        struct gts_reply reply;
        int fd = -1;
        int nfds = call_worker(nr, a, ip, &reply, 0, 0, &fd, 1);
        if (!(reply.flags & GTS_REPLY_FD))
            return (long)reply.ret;
        if (nfds != 1)
            return -ENOMEM;
        long r = wait_readable(fd, uc, 1);
        if (r == -EINTR && (!self->doorbell_rang || self->doorbell_due))
            return -EINTR; /* a handler ran */
        if (r < 0 && r != -EINTR)
            return r;
    }
}
