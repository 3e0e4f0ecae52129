/*
 * File locks. Every app fd is a host fd and every file kind the instance has (host mounts, its
 * tmpfs, /dev/shm) is a host file the instance's processes share, so the host kernel keeps
 * flock, record and OFD locks itself: their owners, conflicts, deadlock detection, release at
 * close and exit. The seccomp filter lets flock and the fcntl lock commands that take a lock
 * run natively (seccomp.c); a blocking wait made so is interrupted by the doorbell as any
 * native call and ends or restarts as on Linux (trap.c, interrupt_as_linux).
 *
 * What traps is F_GETLK and F_OFD_GETLK, whose answer names the holder by its host pid: made
 * here, then given the holder's vpid, or 0 for a process outside the instance (as Linux says
 * for one outside the caller's pid namespace). In trace mode every lock command traps: a
 * blocking one is then made in the app's context, where signals reach it.
 */
#include <stddef.h>
#include <asm-generic/errno.h>
#include <linux/fcntl.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

/* struct flock of x86-64 */
struct k_flock {
    short l_type, l_whence;
    long l_start, l_len;
    int l_pid;
    int pad;
};

int is_fcntl_lock_command(long cmd)
{
    switch ((int)cmd) {
    case F_GETLK:
    case F_SETLK:
    case F_SETLKW:
    case F_OFD_GETLK:
    case F_OFD_SETLK:
    case F_OFD_SETLKW:
        return 1;
    default:
        return 0;
    }
}

long fcntl_lock(const long *a, struct k_ucontext *uc)
{
    int cmd = (int)a[1];
    if (cmd == F_SETLKW || cmd == F_OFD_SETLKW)
        return run_in_app_context(__NR_fcntl, uc); /* a wait signals must reach */
    long r = raw3(__NR_fcntl, (unsigned int)a[0], a[1], a[2]);
    if (r || (cmd != F_GETLK && cmd != F_OFD_GETLK))
        return r;
    struct k_flock fl;
    if (copy_from_app(&fl, (const void *)a[2], sizeof(fl)))
        return -EFAULT; /* never: the kernel has just written it */
    if (fl.l_type == F_UNLCK || fl.l_pid <= 0)
        return 0; /* no holder, or an OFD lock's -1 */
    long vpid = translate_pid(GTS_LOOKUP_VPID_OF_HOST, fl.l_pid);
    fl.l_pid = vpid > 0 ? (int)vpid : 0;
    return copy_to_app((void *)(a[2] + offsetof(struct k_flock, l_pid)), &fl.l_pid, sizeof(fl.l_pid));
}
