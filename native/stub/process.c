/*
 * fork and exec, host side. The worker decides (vpid, the child's worker and channel, the
 * program to run); the stub does what only the app process can: the host fork and execve.
 *
 * A forked process is the host child of its parent app, as on Linux: the host keeps its zombie,
 * sends the parent SIGCHLD and answers its waits (see child_wait.c). It dies with its own worker
 * through its lifeline (GTS_LIFELINE_SLOT), and the workers die with the leader -- no host
 * process outlives the instance.
 */
#include <asm-generic/errno.h>
#include <asm-generic/signal.h>
#include <linux/fcntl.h>
#include <linux/poll.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

/*
 * dup3 `n` fds into reserved slots, which may lie above an RLIMIT_NOFILE the app lowered: the
 * soft limit is raised to the hard one for the moment of the dups. Returns the first error, or 0.
 */
long place_fds(int n, const int *fds, const int *slots, int flags)
{
    struct k_rlimit old, raised;
    if (raw4(__NR_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, &old) < 0)
        return -1;
    raised.cur = old.max;
    raised.max = old.max;
    int lift = 0;
    for (int i = 0; i < n; i++)
        lift |= old.cur <= (unsigned long)slots[i];
    if (lift)
        raw4(__NR_prlimit64, 0, 7, &raised, 0);
    long r = 0;
    for (int i = 0; i < n && r >= 0; i++)
        r = raw3(__NR_dup3, fds[i], slots[i], flags);
    if (lift)
        raw4(__NR_prlimit64, 0, 7, &old, 0);
    return r < 0 ? r : 0;
}

long place_fd(int fd, int slot, int flags)
{
    long r = place_fds(1, &fd, &slot, flags);
    return r < 0 ? r : slot;
}

/*
 * Arm the lifeline taken over from the fork: SIGKILL to this process when the worker's end
 * hangs up. If the worker is already gone, die now (the hang-up would not be signalled again).
 */
static void arm_lifeline(int fd)
{
    struct k_pollfd p = {fd, POLLIN, 0};
    if (raw3(__NR_fcntl, fd, F_SETOWN, g_stub.host_pid) < 0 ||
        raw3(__NR_fcntl, fd, 10 /* F_SETSIG */, SIGKILL) < 0 ||
        raw3(__NR_fcntl, fd, F_SETFL, FASYNC | O_NONBLOCK) < 0)
        stub_die_killed();
    if (raw3(__NR_poll, &p, 1, 0) != 0)
        stub_die_killed(); /* hung up, or (never) written to */
}

/*
 * Tell the worker at once what became of the fork (the child's host pid, or -errno): a signal
 * may be on its way to the child before the child says a word. A fork made alone (`local`)
 * is FORKED_LOCALLY, whose reply (the next prefetch, maybe) is owed from now on.
 */
static void report_child(int local, long host_pid, int child_vpid)
{
    struct gts_request req = {local ? GTS_REQ_FORKED_LOCALLY : GTS_REQ_CHILD_STARTED, (uint32_t)host_tid(), 0,
                              {(uint64_t)host_pid, (uint64_t)child_vpid}, 0, 0};
    if (local)
        channel_send_owing(&req); /* (the main channel: a fork made alone is the main thread's) */
    else
        channel_send(channel_for_current_thread(), &req, sizeof(req));
}

/*
 * Does the app's fd table (below its soft limit, which ends at the reserved fds) have room for
 * the `n` fds of a fork's reply? Natively a fork needs none: with a full table the soft limit
 * is lifted for the reply alone (stub_fork), and the fds land among the reserved ones.
 */
static int app_fd_room(int n)
{
    long fds[2 + 2 * GTS_PREFETCH_MAX];
    int got = 0;
    while (got < n && got < 2 + 2 * GTS_PREFETCH_MAX && (fds[got] = raw3(__NR_fcntl, 0, F_DUPFD_CLOEXEC, 0)) >= 0)
        got++;
    for (int i = 0; i < got; i++)
        raw1(__NR_close, (int)fds[i]);
    return got == n;
}

/*
 * The prefetched standbys: a fork reply brings up to GTS_PREFETCH_MAX when its request said the
 * stub could hold them (GTS_FORK_TAKES_PREFETCH), and the reply to a FORKED_LOCALLY may bring
 * one. The next fork of a process with one thread uses one alone, with no round trip to the
 * worker: the child is cloned at once and the worker told after (its reply, with the next
 * prefetch, is read when it has come: channel_take_owed). Their fds are close-on-exec: an exec'd image holds none, and its
 * worker, told of the exec, takes them back.
 */
_Static_assert(GTS_PREFETCH_LIFELINE_SLOT(GTS_PREFETCH_MAX - 1) < GTS_SIGNALFD_FILTER_SLOT, "the prefetch slots are free reserved ones");

void prefetch_take(int vpid, int cpu, const int *fds)
{
    int i = 0;
    while (i < GTS_PREFETCH_MAX && g_stub.prefetch[i].vpid)
        i++;
    int slots[2] = {g_stub.reserved_fd_base + GTS_PREFETCH_CHANNEL_SLOT(i), g_stub.reserved_fd_base + GTS_PREFETCH_LIFELINE_SLOT(i)};
    if (i < GTS_PREFETCH_MAX && place_fds(2, fds, slots, O_CLOEXEC) == 0) {
        g_stub.prefetch[i].vpid = vpid;
        g_stub.prefetch[i].cpu = cpu;
    } else if (i < GTS_PREFETCH_MAX) {
        raw1(__NR_close, slots[0]);
        raw1(__NR_close, slots[1]);
    }
    raw1(__NR_close, fds[0]);
    raw1(__NR_close, fds[1]);
}

void prefetch_from_reply(const struct gts_reply *reply, const struct gts_fork_reply *placement, const int *fds, int nfds, int first)
{
    int n = reply->ret >= 0 && (reply->flags & GTS_REPLY_FORK) && reply->data_len == sizeof(*placement) ? placement->prefetches : 0;
    if (n < 0 || n > GTS_PREFETCH_MAX || nfds != first + 2 * n)
        n = 0;
    for (int i = 0; i < n; i++)
        if (placement->prefetch[i].vpid > 0)
            prefetch_take(placement->prefetch[i].vpid, placement->prefetch[i].cpu, fds + first + 2 * i);
    for (int i = first + 2 * n; i < nfds; i++)
        raw1(__NR_close, fds[i]);
}

/* How many standbys the stub holds; the index of one in `*at` (-1: none). */
static int prefetch_held(int *at)
{
    int n = 0;
    *at = -1;
    for (int i = 0; i < GTS_PREFETCH_MAX; i++)
        if (g_stub.prefetch[i].vpid) {
            n++;
            *at = i;
        }
    return n;
}

/* May this fork go without the worker: one thread, on the main channel, no trace? */
static int forks_alone(void)
{
    return !g_stub.trace && !g_stub.strace && __atomic_load_n(&g_stub.threads_live, __ATOMIC_ACQUIRE) == 0 &&
           channel_for_current_thread() == g_stub.main_channel_fd;
}

/*
 * The worker grants the fork: the child's vpid (or -errno), its channel and lifeline in
 * `child_fds`, its CPU; a prefetched standby may come along.
 */
static long fork_granted(long nr, const long *a, void *ip, int alone, int *child_fds, int *cpu)
{
    struct gts_reply reply;
    int fds[2 + 2 * GTS_PREFETCH_MAX];
    struct gts_fork_reply placement = {.cpu = -1};
    /* (not while a FORKED_LOCALLY's reply, which may bring one, is still to come) */
    int at;
    int takes = alone && prefetch_held(&at) == 0 && !g_stub.prefetch_owed[0];
    long args[6] = {a[0], a[1], a[2], a[3], a[4], takes ? GTS_FORK_TAKES_PREFETCH : 0};
    int want = args[5] ? 2 + 2 * GTS_PREFETCH_MAX : 2;
    struct k_rlimit lim, lifted;
    int lift = !app_fd_room(want) && raw4(__NR_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, &lim) == 0;
    if (lift) {
        lifted = (struct k_rlimit){lim.max, lim.max};
        raw4(__NR_prlimit64, 0, 7, &lifted, 0);
    }
    int nfds = call_worker(nr, args, ip, &reply, &placement, sizeof(placement), fds, want);
    if (lift)
        raw4(__NR_prlimit64, 0, 7, &lim, 0);
    if (reply.ret < 0 || !(reply.flags & GTS_REPLY_FORK) || nfds < 2 || reply.data_len != sizeof(placement)) {
        for (int i = 0; i < nfds; i++)
            raw1(__NR_close, fds[i]);
        return reply.ret < 0 ? reply.ret : -EIO;
    }
    child_fds[0] = fds[0];
    child_fds[1] = fds[1];
    *cpu = placement.cpu;
    prefetch_from_reply(&reply, &placement, fds, nfds, 2);
    return reply.ret;
}

long stub_fork(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    /* clone(flags, newsp, parent_tid, child_tid, tls) on x86-64 */
    unsigned long flags = nr == __NR_clone ? (unsigned long)a[0] : SIGCHLD;
    if (nr == __NR_clone && (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS)))
        return -EINVAL;

    int alone = forks_alone();
    int at = -1;
    if (alone) {
        channel_take_owed(); /* what has come */
        if (prefetch_held(&at) == 0) {
            channel_await_owed();
            prefetch_held(&at);
        }
    }
    int child_fds[2]; /* its channel and its lifeline */
    int cpu = -1;
    int local = alone && at >= 0;
    int child_vpid = 0;
    if (local) {
        child_vpid = g_stub.prefetch[at].vpid;
        child_fds[0] = g_stub.reserved_fd_base + GTS_PREFETCH_CHANNEL_SLOT(at);
        child_fds[1] = g_stub.reserved_fd_base + GTS_PREFETCH_LIFELINE_SLOT(at);
        g_stub.prefetch[at].vpid = 0;
        /* as the worker pins a child it forks: beside its worker-to-be in a burst (GTS_PIN_AMONG) */
        if (__atomic_load_n(&g_stub.children_running, __ATOMIC_RELAXED) >= GTS_PIN_AMONG)
            cpu = g_stub.prefetch[at].cpu;
    } else {
        long granted = fork_granted(nr, a, ip, alone, child_fds, &cpu);
        if (granted < 0)
            return granted;
        child_vpid = (int)granted;
    }

    /* vfork is a fork here; the child gets its own copy of everything. */
    unsigned long exit_signal = nr == __NR_clone ? (flags & CSIGNAL) : SIGCHLD;
    long pid = raw5(__NR_clone, exit_signal, 0, 0, 0, 0);
    if (pid == 0) {
        g_stub.ppid = g_stub.vpid;
        g_stub.parent_host_pid = g_stub.host_pid;
        g_stub.vpid = child_vpid;
        g_stub.host_pid = (int)raw0(__NR_getpid);
        thread_forked_child(child_vpid, g_stub.host_pid);
        children_forget_all();
        /* its parent's standbys are not its own (the one the fork used is placed below) */
        for (int i = 0; i < GTS_PREFETCH_MAX; i++) {
            if (g_stub.prefetch[i].vpid) {
                raw1(__NR_close, g_stub.reserved_fd_base + GTS_PREFETCH_CHANNEL_SLOT(i));
                raw1(__NR_close, g_stub.reserved_fd_base + GTS_PREFETCH_LIFELINE_SLOT(i));
            }
            g_stub.prefetch[i].vpid = 0;
            g_stub.prefetch_owed[i] = 0;
        }
        g_stub.children_running = 0;
        int slots[2] = {g_stub.main_channel_fd, g_stub.reserved_fd_base + GTS_LIFELINE_SLOT};
        if (place_fds(2, child_fds, slots, 0) < 0)
            stub_die_killed();
        raw1(__NR_close, child_fds[0]);
        raw1(__NR_close, child_fds[1]);
        arm_lifeline(g_stub.reserved_fd_base + GTS_LIFELINE_SLOT);
        if (cpu >= 0 && cpu < 1024) {
            unsigned long mask[16] = {0};
            mask[cpu / 64] = 1UL << (cpu % 64);
            raw3(__NR_sched_setaffinity, 0, sizeof(mask), mask); /* beside its worker; best effort */
        }
        if (nr == __NR_clone && (flags & CLONE_CHILD_SETTID))
            copy_to_app((void *)a[3], &child_vpid, sizeof(child_vpid));
        if (nr == __NR_clone && (flags & CLONE_CHILD_CLEARTID))
            raw1(__NR_set_tid_address, a[3]);
        if (nr == __NR_clone && a[1])
            uc->uc_mcontext.rsp = (unsigned long)a[1]; /* the child runs on the stack it was given */
        /* who it is, with the first thing it says (channel.c): a child that asks nothing says nothing */
        __atomic_store_n(&g_stub.fork_untold, 1, __ATOMIC_RELEASE);
        return 0;
    }
    /* the child's worker sees its channel close if the fork failed, and lets the vpid go */
    raw1(__NR_close, child_fds[0]);
    raw1(__NR_close, child_fds[1]);
    report_child(local, pid, child_vpid);
    if (pid < 0)
        return pid;
    __atomic_add_fetch(&g_stub.children_running, 1, __ATOMIC_RELAXED);
    children_add(child_vpid, (int)pid);
    if (nr == __NR_clone && (flags & CLONE_PARENT_SETTID))
        copy_to_app((void *)a[2], &child_vpid, sizeof(child_vpid));
    return child_vpid;
}

#define EXEC_REPLY_MAX 8192
#define MAX_EXEC_ARGS (1 << 17)

long stub_execve(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    channel_take_owed(); /* (if it has come: the new image drops it otherwise, its seqs all later) */
    if (nr == __NR_execve) {
        long alone = exec_locally(a, uc);
        if (alone != PATH_FORWARD)
            return alone;
    }
    char data[EXEC_REPLY_MAX];
    struct gts_reply reply;
    int stub_fd = -1;
    if (g_stub.trace)
        flush_trace();
    int nfds = call_worker(nr, a, ip, &reply, data, sizeof(data) - 1, &stub_fd, 1);
    if (reply.ret < 0) {
        if (nfds)
            raw1(__NR_close, stub_fd);
        return reply.ret;
    }
    if (!(reply.flags & GTS_REPLY_EXEC) || nfds != 1 || reply.data_len < sizeof(struct gts_exec_reply))
        return -EIO;
    data[reply.data_len] = 0;

    /* execve(path, argv, envp) / execveat(dirfd, path, argv, envp, flags) */
    char *const *app_argv = (char *const *)(nr == __NR_execve ? a[1] : a[2]);
    char *const *envp = (char *const *)(nr == __NR_execve ? a[2] : a[3]);
    struct gts_exec_reply *er = (struct gts_exec_reply *)data;
    long app_argc = 0;
    while (app_argv && app_argv[app_argc] && app_argc < MAX_EXEC_ARGS)
        app_argc++;
    long from = er->app_argv_from < app_argc ? er->app_argv_from : app_argc;
    long argc = er->prefix_count + (app_argc - from);
    char *argv[argc + 1];
    char *s = data + sizeof(*er);
    for (unsigned i = 0; i < er->prefix_count; i++) {
        argv[i] = s;
        s += strlen(s) + 1;
        if (s > data + reply.data_len + 1)
            return -EIO;
    }
    for (long i = from; i < app_argc; i++)
        argv[er->prefix_count + (i - from)] = app_argv[i];
    argv[argc] = 0;

    /* an exec detaches every System V segment: the leader's counts follow */
    shm_detach_all(ip);
    /* The new image starts with the app's signal mask, not the handler's. */
    long r = with_app_mask(uc, 0, __NR_execveat, stub_fd, (long)"", (long)argv, (long)envp, AT_EMPTY_PATH, 0);
    raw1(__NR_close, stub_fd);
    return r;
}
