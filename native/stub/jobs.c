/*
 * Job control: the instance's process groups and sessions on the host, so that a terminal's
 * signals (Ctrl-C, Ctrl-Z, a background read's SIGTTIN) reach the groups the app made. The
 * leader keeps the instance's groups (virtual ids); the stub makes each change on the host as
 * well (setpgid, setsid), and translates what a terminal's ioctls name: the foreground group
 * (TIOCGPGRP, TIOCSPGRP) and the session (TIOCGSID), which the host gives and takes in host ids.
 */
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"

#define K_TIOCGPGRP 0x540f
#define K_TIOCSPGRP 0x5410
#define K_TIOCGSID 0x5429
#define K_SIGTTOU 22
#define K_SIG_BLOCK 0
#define K_SIG_SETMASK 2

int is_job_ioctl(unsigned long cmd)
{
    unsigned int c = (unsigned int)cmd; /* the kernel reads the command as 32 bits */
    return c == K_TIOCGPGRP || c == K_TIOCSPGRP || c == K_TIOCGSID;
}

long host_pgrp(int vpgid)
{
    long host = worker_request(GTS_REQ_PID_LOOKUP, GTS_LOOKUP_HOST_OF_VPGID, vpgid, 0, 0, 0, 0, 0);
    return host > 0 ? host : -ESRCH;
}

long instance_pgrp(int host_pgid)
{
    long v = worker_request(GTS_REQ_PID_LOOKUP, GTS_LOOKUP_VPGID_OF_HOST, host_pgid, 0, 0, 0, 0, 0);
    return v > 0 ? v : 0;
}

/* A terminal's foreground group or session, as the instance names it (0: none of its own). */
long job_ioctl(const long *a)
{
    int fd = (int)a[0];
    unsigned int cmd = (unsigned int)a[1];
    int id;
    if (is_reserved_fd(fd))
        return -EBADF;
    if (cmd == K_TIOCSPGRP) {
        long r = copy_from_app(&id, (const void *)a[2], sizeof(id));
        if (r)
            return r;
        if (id < 0)
            return -EINVAL;
        long host = host_pgrp(id);
        if (host < 0)
            return host;
        int h = (int)host;
        return raw3(__NR_ioctl, fd, K_TIOCSPGRP, &h);
    }
    long r = raw3(__NR_ioctl, fd, cmd, &id);
    if (r < 0)
        return r;
    long v = cmd == K_TIOCGPGRP ? instance_pgrp(id) : worker_request(GTS_REQ_PID_LOOKUP, GTS_LOOKUP_VSID_OF_HOST, id, 0, 0, 0, 0, 0);
    id = v > 0 ? (int)v : 0;
    return copy_to_app((void *)a[2], &id, sizeof(id));
}

/*
 * setpgid and setsid, answered by the worker: the host's side after them, where the worker says
 * (a group that has no host member yet, a child that is no host child: nothing to do).
 */
long job_pgrp_call(long nr, const long *a, void *ip)
{
    struct gts_reply reply;
    struct gts_pgrp_reply host;
    call_worker(nr, a, ip, &reply, &host, sizeof(host), 0, 0);
    if (reply.ret >= 0 && (reply.flags & GTS_REPLY_PGRP) && reply.data_len == sizeof(host)) {
        if (host.host_pid < 0)
            raw0(__NR_setsid);
        else
            raw2(__NR_setpgid, host.host_pid, host.host_pgid);
    }
    return reply.ret;
}

/*
 * The instance's first process, started in the foreground of the terminal `fd`: a host group of
 * its own, given the terminal's foreground (with SIGTTOU held back: its group is a background
 * one until then). The leader gives the terminal back when the instance ends.
 */
void take_terminal(void)
{
    int fd = -1, pgrp;
    for (int i = 0; i < 3 && fd < 0; i++)
        if (raw3(__NR_ioctl, i, K_TIOCGPGRP, &pgrp) == 0)
            fd = i;
    if (fd < 0 || raw2(__NR_setpgid, 0, 0) < 0)
        return;
    unsigned long ttou = 1UL << (K_SIGTTOU - 1), old;
    raw4(__NR_rt_sigprocmask, K_SIG_BLOCK, &ttou, &old, 8);
    int self = host_pid();
    raw3(__NR_ioctl, fd, K_TIOCSPGRP, &self);
    raw4(__NR_rt_sigprocmask, K_SIG_SETMASK, &old, 0, 8);
}
