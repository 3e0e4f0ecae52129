/*
 * System V IPC waits: semop, semtimedop, msgsnd, msgrcv. The leader makes such a call at once
 * or not at all; when it must wait, the worker's reply carries an eventfd the leader's next
 * change of the set or queue makes readable. The stub waits on it with the app's signal mask
 * (with_app_mask): a handler that runs ends the call with EINTR (Linux never restarts these),
 * semtimedop's timeout with EAGAIN; once woken -- or after a doorbell that ran no handler --
 * the whole call is made again.
 */
#include <asm-generic/errno.h>
#include <asm-generic/poll.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define NS 1000000000L

long sys_sysv_waitable(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    long deadline = 0;
    if (nr == __NR_semtimedop && a[3]) {
        struct k_timespec ts;
        long e = copy_from_app(&ts, (const void *)a[3], sizeof(ts));
        if (e)
            return e;
        if (ts.tv_sec < 0 || ts.tv_nsec < 0 || ts.tv_nsec >= NS)
            return -EINVAL;
        deadline = now_ns() + ts.tv_sec * NS + ts.tv_nsec;
    }
    struct stub_thread *self = current_thread();
    for (;;) {
        struct gts_reply reply;
        int fd = -1;
        int nfds = call_worker(nr, a, ip, &reply, 0, 0, &fd, 1);
        if (!(reply.flags & GTS_REPLY_FD))
            return (long)reply.ret;
        if (nfds != 1)
            return -ENOMEM;
        struct k_timespec left, *timeout = 0;
        if (deadline) {
            long rest = deadline - now_ns();
            if (rest < 0)
                rest = 0;
            left.tv_sec = rest / NS;
            left.tv_nsec = rest % NS;
            timeout = &left;
        }
        struct {
            int fd;
            short events, revents;
        } pfd = {fd, POLLIN, 0};
        long r = with_app_mask(uc, 1, __NR_ppoll, (long)&pfd, 1, (long)timeout, 0, 8, 0);
        raw1(__NR_close, fd);
        if (r == 0)
            return -EAGAIN; /* semtimedop's time is up */
        if (r == -EINTR && (!self->doorbell_rang || self->doorbell_due))
            return -EINTR; /* a handler ran */
        if (r < 0 && r != -EINTR)
            return r;
    }
}
