/*
 * wait4 and waitid. A forked app process is the host child of its parent app, so the host
 * kernel keeps the zombies, the statuses, the rusage, stopped and continued children and
 * SA_NOCLDWAIT, and does the blocking; the stub only translates pids (vpid <-> host pid) with a
 * small cache of its children, asking the worker on a miss (an exec'd image, an orphan that the
 * host re-parented to vpid 1, the subreaper). A wait blocks with the app's own signal mask, so
 * the app's handlers run during it and SA_RESTART decides, as on Linux.
 */
#include <asm-generic/errno.h>
#include <linux/poll.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_WNOHANG 0x1
#define K_WUNTRACED 0x2 /* WSTOPPED for waitid */
#define K_WEXITED 0x4
#define K_WCONTINUED 0x8
#define K_WNOWAIT 0x01000000
#define K_WNOTHREAD 0x20000000
#define K_WALL 0x40000000
#define K_WCLONE 0x80000000
#define K_P_ALL 0
#define K_P_PID 1
#define K_P_PGID 2
#define K_P_PIDFD 3
#define K_SA_NOCLDSTOP 1
#define WAITID_SIGINFO_BYTES 28 /* signo, errno, code, pad, pid, uid, status: what waitid writes */

#define CHILDREN_CACHED 128

/*
 * vpid << 32 | host pid, each read and written whole: threads fork and wait at the same time
 * (two may take one slot; the loser's child is then looked up again, from the worker)
 */
static unsigned long children[CHILDREN_CACHED];
static unsigned children_next;

static int child_vpid(unsigned long e) { return (int)(e >> 32); }
static int child_host_pid(unsigned long e) { return (int)(e & 0xffffffffUL); }

void children_forget_all(void)
{
    memset(children, 0, sizeof(children));
    children_next = 0;
}

void children_add(int vpid, int host_pid)
{
    unsigned next = __atomic_load_n(&children_next, __ATOMIC_RELAXED) % CHILDREN_CACHED, slot = next;
    for (unsigned i = 0; i < CHILDREN_CACHED; i++) {
        unsigned long e = __atomic_load_n(&children[i], __ATOMIC_RELAXED);
        if (child_vpid(e) == vpid || child_host_pid(e) == host_pid || child_vpid(e) == 0) {
            slot = i;
            break;
        }
    }
    if (slot == next)
        __atomic_store_n(&children_next, (next + 1) % CHILDREN_CACHED, __ATOMIC_RELAXED);
    __atomic_store_n(&children[slot], (unsigned long)(unsigned)vpid << 32 | (unsigned)host_pid, __ATOMIC_RELAXED);
}

/* Translate one way or the other: the cache, else the worker (which knows every process). */
long translate_pid(int direction, int id)
{
    for (unsigned i = 0; i < CHILDREN_CACHED; i++) {
        unsigned long e = __atomic_load_n(&children[i], __ATOMIC_RELAXED);
        if (child_vpid(e) == 0)
            continue;
        if (direction == GTS_LOOKUP_HOST_OF_VPID && child_vpid(e) == id)
            return child_host_pid(e);
        if (direction == GTS_LOOKUP_VPID_OF_HOST && child_host_pid(e) == id)
            return child_vpid(e);
    }
    long r = worker_request(GTS_REQ_PID_LOOKUP, direction, id, 0, 0, 0, 0, 0);
    if (r > 0)
        children_add(direction == GTS_LOOKUP_HOST_OF_VPID ? id : (int)r,
                     direction == GTS_LOOKUP_HOST_OF_VPID ? (int)r : id);
    return r;
}

/*
 * The child `vpid` is reaped: the worker and the leader let it go. It stays in the cache, whose
 * slots new children take over: a SIGCHLD naming it may still be on its way (two children
 * exit, the first SIGCHLD's handler reaps both, the second SIGCHLD names one already gone).
 */
static void reaped(int vpid)
{
    if (__atomic_sub_fetch(&g_stub.children_running, 1, __ATOMIC_RELAXED) < 0)
        __atomic_store_n(&g_stub.children_running, 0, __ATOMIC_RELAXED); /* (one forked before an exec) */
    struct gts_request req = {GTS_REQ_CHILD_REAPED, (uint32_t)host_tid(), 0, {(uint64_t)vpid}, 0, 0};
    channel_send(channel_for_current_thread(), &req, sizeof(req));
}

/* One wait (wait4 or waitid) on host pid `host_pid` (-1: any child), as the app asked. */
struct wait_call {
    int is_waitid;
    int options;
    void *rusage;
    int status;                               /* wait4 */
    char info[128] __attribute__((aligned(8))); /* waitid */
};

static long host_wait(struct wait_call *w, int host_pid, int extra_options, const struct k_ucontext *uc)
{
    int options = w->options | extra_options;
    long nr = w->is_waitid ? __NR_waitid : __NR_wait4;
    long a[5] = {host_pid, (long)&w->status, options, (long)w->rusage, 0}; /* wait4's */
    if (w->is_waitid) {
        memset(w->info, 0, sizeof(w->info));
        a[0] = host_pid < 0 ? K_P_ALL : K_P_PID;
        a[1] = host_pid < 0 ? 0 : host_pid;
        a[2] = (long)w->info;
        a[3] = options;
        a[4] = (long)w->rusage;
    }
    /*
     * One that blocks waits with the app's mask: its handlers run, and EINTR unless SA_RESTART.
     * One that does not needs no handler run, and the stub's mask keeps a SIGCHLD that comes
     * meanwhile pending for a group wait's sleep (a handler run here would take it).
     */
    long r = (options & K_WNOHANG) ? raw5(nr, a[0], a[1], a[2], a[3], a[4])
                                   : with_app_mask(uc, 2, nr, a[0], a[1], a[2], a[3], a[4], 0);
    if (r < 0 || !w->is_waitid)
        return r;
    return *(int *)(w->info + 16); /* si_pid: 0 when WNOHANG found nothing */
}

/*
 * What wakes a group wait's sleep: a member's exit (its pidfd polls readable), or, when the
 * wait is for stops or continues too, a SIGCHLD (read from a signalfd). Armed before the
 * members are tried, so that a change just after a try still wakes the sleep: SIGCHLD stays
 * blocked in the stub, and SA_NOCLDSTOP is lifted already.
 */
struct group_alarm {
    struct k_pollfd polls[GTS_GROUP_CHILDREN_MAX + 1];
    int npolls;
    long sfd;
    int cleared; /* SA_NOCLDSTOP lifted: `app_act` is the app's action, `unstopped` ours */
    struct k_sigaction app_act, unstopped;
};

static void group_arm(struct group_alarm *a, const struct wait_call *w, const int *members, long n)
{
    a->npolls = 0;
    a->sfd = -1;
    a->cleared = 0;
    for (long i = 0; i < n && i < GTS_GROUP_CHILDREN_MAX; i++) {
        long fd = raw2(__NR_pidfd_open, members[i], 0);
        if (fd >= 0)
            a->polls[a->npolls++] = (struct k_pollfd){(int)fd, POLLIN, 0};
    }
    if (!(w->options & (K_WUNTRACED | K_WCONTINUED)))
        return;
    unsigned long chld = SIGBIT(K_SIGCHLD);
    a->sfd = raw4(__NR_signalfd4, -1, &chld, 8, K_SFD_NONBLOCK | K_SFD_CLOEXEC);
    if (a->sfd < 0)
        return;
    a->polls[a->npolls++] = (struct k_pollfd){(int)a->sfd, POLLIN, 0};
    /* SA_NOCLDSTOP: no SIGCHLD would come for a stop; the wait lifts it for itself */
    if (!raw4(__NR_rt_sigaction, K_SIGCHLD, 0, &a->app_act, 8) && (a->app_act.flags & K_SA_NOCLDSTOP)) {
        a->unstopped = a->app_act;
        a->unstopped.flags &= ~K_SA_NOCLDSTOP;
        a->cleared = !raw4(__NR_rt_sigaction, K_SIGCHLD, &a->unstopped, 0, 8);
    }
}

/* Sleep until the alarm rings, or a signal comes (its handler runs; the wait goes on, as with SA_RESTART). */
static void group_sleep(const struct group_alarm *a, const struct k_ucontext *uc)
{
    unsigned long mask = app_sigmask(uc) | (a->sfd >= 0 ? SIGBIT(K_SIGCHLD) : 0);
    raw5(__NR_ppoll, a->polls, a->npolls, 0, &mask, 8);
}

/*
 * The app's SIGCHLD action back, and a SIGCHLD that came taken into `held` (`*holding`) for the
 * stub to raise again when the wait ends, unless it is one the app asked not to have.
 */
static void group_disarm(struct group_alarm *a, char *held, int *holding)
{
    if (a->cleared) {
        struct k_sigaction now;
        /* unless one of the app's handlers set another meanwhile */
        if (!raw4(__NR_rt_sigaction, K_SIGCHLD, 0, &now, 8) && now.handler == a->unstopped.handler &&
            now.flags == a->unstopped.flags)
            raw4(__NR_rt_sigaction, K_SIGCHLD, &a->app_act, 0, 8);
    }
    unsigned long chld = SIGBIT(K_SIGCHLD);
    struct k_timespec zero = {0, 0};
    if (a->sfd >= 0 && raw4(__NR_rt_sigtimedwait, &chld, held, &zero, 8) == K_SIGCHLD) {
        int code = *(int *)(held + 8);
        if (!a->cleared || (code != K_CLD_STOPPED && code != K_CLD_CONTINUED))
            *holding = 1;
    }
    for (int i = 0; i < a->npolls; i++)
        raw1(__NR_close, a->polls[i].fd);
}

/* One pass over the children in the group: one to report (> 0), none yet (0), or -errno. */
static long group_try(struct wait_call *w, const int *members, long n, const struct k_ucontext *uc)
{
    int alive = 0;
    for (long i = 0; i < n && i < GTS_GROUP_CHILDREN_MAX; i++) {
        long r = host_wait(w, members[i], K_WNOHANG, uc);
        if (r > 0)
            return r;
        if (r == 0)
            alive++;
        else if (r != -ECHILD)
            return r;
    }
    return alive ? 0 : -ECHILD;
}

/*
 * A wait for a process group: the worker names the children in it; each is tried without
 * blocking, and between tries the stub sleeps until one of them may have changed.
 */
static long group_wait(struct wait_call *w, int pgid, const struct k_ucontext *uc)
{
    int members[GTS_GROUP_CHILDREN_MAX];
    char held[GTS_SIGINFO_SIZE];
    int holding = 0;
    long r;
    for (;;) {
        long n = worker_request(GTS_REQ_GROUP_CHILDREN, pgid, 0, 0, 0, members, sizeof(members), 0);
        if (n < 0 || (w->options & K_WNOHANG)) {
            r = n < 0 ? n : group_try(w, members, n, uc);
            break;
        }
        struct group_alarm alarm;
        group_arm(&alarm, w, members, n);
        r = group_try(w, members, n, uc);
        if (!r)
            group_sleep(&alarm, uc);
        group_disarm(&alarm, held, &holding);
        if (r)
            break;
    }
    if (holding)
        put_back_signal(K_SIGCHLD, held);
    return r;
}

long child_uid(int vpid)
{
    return worker_request(GTS_REQ_PID_LOOKUP, GTS_LOOKUP_UID_OF_VPID, vpid, 0, 0, 0, 0, 0);
}

/*
 * After a host wait returned child `host_pid`: its vpid (and, if `uid`, its real uid: -1 if
 * unknown), and a reaped child is let go.
 */
static long finish(int host_pid, int was_reaped, long *uid)
{
    long vpid = translate_pid(GTS_LOOKUP_VPID_OF_HOST, host_pid);
    if (vpid <= 0)
        return -ECHILD; /* not a process of the instance: cannot happen */
    if (uid)
        *uid = child_uid((int)vpid);
    if (was_reaped)
        reaped((int)vpid);
    return vpid;
}

enum wait_target { WAIT_ANY, WAIT_PID, WAIT_GROUP };

/* Wait for any child, child `id` (a vpid) or a child in group `id` (0: ours), as `w` says. */
static long wait_for(struct wait_call *w, enum wait_target target, int id, const struct k_ucontext *uc)
{
    if (target == WAIT_ANY)
        return host_wait(w, -1, 0, uc);
    if (target == WAIT_GROUP)
        return group_wait(w, id, uc);
    long h = translate_pid(GTS_LOOKUP_HOST_OF_VPID, id);
    if (h <= 0)
        return -ECHILD; /* no such process: certainly not a child */
    return host_wait(w, (int)h, 0, uc);
}

long stub_wait4(const long *a, struct k_ucontext *uc)
{
    int pid = (int)a[0];
    struct wait_call w = {0, (int)a[2], (void *)a[3], 0, {0}};
    if ((unsigned)w.options & ~(unsigned)(K_WNOHANG | K_WUNTRACED | K_WCONTINUED | K_WNOTHREAD | K_WALL | K_WCLONE))
        return -EINVAL;
    if (pid == (int)0x80000000)
        return -ESRCH;
    enum wait_target target = pid == -1 ? WAIT_ANY : pid > 0 ? WAIT_PID : WAIT_GROUP;
    long r = wait_for(&w, target, pid < 0 ? -pid : pid, uc);
    if (r <= 0)
        return r;
    int stopped_or_continued = (w.status & 0xff) == 0x7f || w.status == 0xffff;
    long vpid = finish((int)r, !stopped_or_continued, 0);
    if (vpid > 0 && a[1] && copy_to_app((void *)a[1], &w.status, sizeof(w.status)))
        return -EFAULT;
    return vpid;
}

long stub_waitid(const long *a, struct k_ucontext *uc)
{
    int idtype = (int)a[0], id = (int)a[1];
    struct wait_call w = {1, (int)a[3], (void *)a[4], 0, {0}};
    unsigned all = K_WNOHANG | K_WUNTRACED | K_WEXITED | K_WCONTINUED | K_WNOWAIT | K_WNOTHREAD | K_WALL | K_WCLONE;
    if (((unsigned)w.options & ~all) || !(w.options & (K_WUNTRACED | K_WEXITED | K_WCONTINUED)))
        return -EINVAL;
    if (idtype == K_P_PIDFD)
        return with_app_mask(uc, w.options & K_WNOHANG ? 0 : 2, __NR_waitid, idtype, id, a[2], w.options, a[4], 0);
    enum wait_target target;
    switch (idtype) {
    case K_P_ALL:
        target = WAIT_ANY;
        break;
    case K_P_PID:
        if (id <= 0)
            return -EINVAL;
        target = WAIT_PID;
        break;
    case K_P_PGID:
        if (id < 0)
            return -EINVAL;
        target = WAIT_GROUP;
        break;
    default:
        return -EINVAL;
    }
    long r = wait_for(&w, target, id, uc);
    if (r < 0)
        return r;
    if (r > 0) {
        int code = *(int *)(w.info + 8);
        int gone = code >= K_CLD_EXITED && code <= K_CLD_DUMPED && !(w.options & K_WNOWAIT);
        long uid = -1;
        long vpid = finish((int)r, gone, &uid);
        if (vpid < 0)
            return vpid;
        *(int *)(w.info + 16) = (int)vpid;
        if (uid >= 0)
            *(int *)(w.info + 20) = (int)uid; /* si_uid: the child's real uid */
    }
    if (a[2] && copy_to_app((void *)a[2], w.info, WAITID_SIGINFO_BYTES))
        return -EFAULT;
    return 0;
}
