/*
 * fork and exec, host side. The worker decides (vpid, the child's worker and channel, the
 * program to run); the stub does what only the app process can: the host fork and execve.
 *
 * Every app process is created with CLONE_PARENT, so all of them are host children of the
 * worker of the instance's first process: that worker reaps them, and with PDEATHSIG they die
 * with it (and it with the leader) -- no host process outlives the instance.
 */
#include <asm-generic/errno.h>
#include <asm-generic/signal.h>
#include <linux/fcntl.h>
#include <linux/prctl.h>
#include <linux/sched.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

/*
 * dup3 into a reserved slot, which may lie above an RLIMIT_NOFILE the app lowered: the soft
 * limit is raised to the hard one for the moment of the dup.
 */
static long place_fd(int fd, int slot)
{
    struct k_rlimit old, raised;
    if (raw4(__NR_prlimit64, 0, 7 /* RLIMIT_NOFILE */, 0, &old) < 0)
        return -1;
    raised.cur = old.max;
    raised.max = old.max;
    if (old.cur <= (unsigned long)slot)
        raw4(__NR_prlimit64, 0, 7, &raised, 0);
    long r = raw3(__NR_dup3, fd, slot, 0);
    if (old.cur <= (unsigned long)slot)
        raw4(__NR_prlimit64, 0, 7, &old, 0);
    return r;
}

/* The new child's first words on its own channel: who it is on the host. */
static void announce_forked_child(void)
{
    struct gts_request req = {GTS_REQ_FORKED, (uint32_t)g_stub.main_host_tid, 0, {0}, 0, 0};
    struct gts_reply reply;
    req.args[0] = (uint64_t)raw0(__NR_getpid);
    channel_call(g_stub.main_channel_fd, &req, sizeof(req), &reply, 0, 0, 0, 0);
    if (reply.ret < 0)
        stub_die_killed();
}

/*
 * Tell the worker at once what became of the fork (the child's host pid, or -errno): a signal
 * may be on its way to the child before the child says a word.
 */
static void report_child(long host_pid, int child_vpid)
{
    struct gts_request started = {GTS_REQ_CHILD_STARTED, (uint32_t)raw0(__NR_gettid), 0, {0}, 0, 0};
    started.args[0] = (uint64_t)host_pid;
    started.args[1] = (uint64_t)child_vpid;
    channel_send(channel_for_current_thread(), &started, sizeof(started));
}

long stub_fork(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    /* clone(flags, newsp, parent_tid, child_tid, tls) on x86-64 */
    unsigned long flags = nr == __NR_clone ? (unsigned long)a[0] : SIGCHLD;
    if (nr == __NR_clone && (flags & CLONE_VM) && !(flags & CLONE_VFORK))
        return -ENOSYS; /* threads: not yet */
    if (nr == __NR_clone && (flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS)))
        return -EINVAL;

    struct gts_reply reply;
    int child_fd = -1;
    int nfds = call_worker(nr, a, ip, &reply, 0, 0, &child_fd, 1);
    if (reply.ret < 0) {
        if (nfds)
            raw1(__NR_close, child_fd);
        return reply.ret;
    }
    if (!(reply.flags & GTS_REPLY_FORK) || nfds != 1)
        return -EIO;
    int child_vpid = (int)reply.ret;

    long worker_pid = raw0(__NR_getppid);
    /* vfork is a fork here; the child gets its own copy of everything. */
    long pid = raw5(__NR_clone, CLONE_PARENT | SIGCHLD, 0, 0, 0, 0);
    if (pid < 0) {
        /* the child's worker sees its channel close; the leader lets the vpid go */
        raw1(__NR_close, child_fd);
        report_child(pid, child_vpid);
        return pid;
    }
    if (pid == 0) {
        g_stub.vpid = child_vpid;
        g_stub.main_host_tid = (int)raw0(__NR_gettid);
        if (place_fd(child_fd, g_stub.main_channel_fd) < 0)
            stub_die_killed();
        raw1(__NR_close, child_fd);
        raw5(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        if (raw0(__NR_getppid) != worker_pid)
            stub_die_killed(); /* the instance went away while we were being born */
        if (nr == __NR_clone && (flags & CLONE_CHILD_SETTID))
            copy_to_app((void *)a[3], &child_vpid, sizeof(child_vpid));
        if (nr == __NR_clone && (flags & CLONE_CHILD_CLEARTID))
            raw1(__NR_set_tid_address, a[3]);
        if (nr == __NR_clone && a[1])
            uc->uc_mcontext.rsp = (unsigned long)a[1]; /* the child runs on the stack it was given */
        announce_forked_child();
        return 0;
    }
    raw1(__NR_close, child_fd);
    report_child(pid, child_vpid);
    if (nr == __NR_clone && (flags & CLONE_PARENT_SETTID))
        copy_to_app((void *)a[2], &child_vpid, sizeof(child_vpid));
    return child_vpid;
}

#define EXEC_REPLY_MAX 8192
#define MAX_EXEC_ARGS (1 << 17)

long stub_execve(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
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

    /* The new image starts with the app's signal mask, not the handler's. */
    unsigned long all = ~0UL;
    raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &uc->uc_sigmask, 0, 8);
    long r = raw5(__NR_execveat, stub_fd, "", argv, envp, AT_EMPTY_PATH);
    raw4(__NR_rt_sigprocmask, 2, &all, 0, 8);
    raw1(__NR_close, stub_fd);
    return r;
}
