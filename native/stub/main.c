/*
 * The stub: a freestanding program at a fixed address that becomes the app process. It asks
 * its worker what to run, maps the program (and its interpreter) itself, installs the SIGSYS
 * handler and the seccomp filter, and jumps to the program with a Linux-shaped initial stack.
 */
#include <asm-generic/resource.h>
#include <asm-generic/signal.h>
#include <linux/prctl.h>

#include "abi.h"
#include "loader.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

struct stub_state g_stub;

__asm__(".text\n"
        ".globl _start\n"
        "_start:\n\t"
        "xor %ebp, %ebp\n\t"
        "mov %rsp, %rdi\n\t"
        "and $-16, %rsp\n\t"
        "call stub_main\n\t"
        "hlt\n");

/* A spawned stub asks its worker how far up the instance's fds go (GTS_REQ_PLACE): 0 for the host's. */
static unsigned long instance_fd_top(void)
{
    struct gts_request req = {GTS_REQ_PLACE, 0, 0, {0}, 0, 0};
    struct gts_reply reply;
    int fd;
    if (channel_call(GTS_CHANNEL_FD_AT_SPAWN, &req, sizeof(req), &reply, 0, 0, &fd, 0) < 0)
        return 0;
    return reply.ret > 0 ? (unsigned long)reply.ret : 0;
}

/*
 * The reserved fds end at `top` (the threads' channels after them: an eighth of the fd space,
 * up to one per block); the app's own fds stay below them: the host's soft limit ends there, so
 * a call run natively gets EMFILE rather than a slot of the stub (place_fd reaches above it).
 * `lower_hard`: the hard limit becomes `top`, for every later image and child to find it.
 */
static void reserve_below(unsigned long top, struct k_rlimit *lim, int lower_hard)
{
    g_stub.thread_slots = (int)(top / 8 < STUB_THREADS_MAX ? top / 8 : STUB_THREADS_MAX);
    g_stub.reserved_fd_base = (int)(top - GTS_RESERVED_FDS - (unsigned long)g_stub.thread_slots);
    g_stub.main_channel_fd = g_stub.reserved_fd_base;
    int change = lower_hard;
    if (lower_hard)
        lim->max = top;
    if (lim->cur > (unsigned long)g_stub.reserved_fd_base) {
        lim->cur = (unsigned long)g_stub.reserved_fd_base;
        change = 1;
    }
    long r = change ? raw4(__NR_prlimit64, 0, RLIMIT_NOFILE, lim, 0) : 0;
    if (r < 0)
        stub_die("prlimit64(RLIMIT_NOFILE)", r);
}

/*
 * Move the channel from where the worker put it (fd 3) to the reserved top of the app's fd
 * space. After an exec it is already there: returns 1 for a re-executed stub. The top is the
 * hard limit's, which the app cannot move (the LibOS keeps the host's hard limit; an app that
 * lowers its soft limit has the host enforce it below the stub's fds): the same in every image.
 * A spawned stub lowers it to what its worker says first (GTS_REQ_PLACE).
 */
static int place_channel(void)
{
    struct k_rlimit lim;
    long r = raw4(__NR_prlimit64, 0, RLIMIT_NOFILE, 0, &lim);
    if (r < 0)
        stub_die("prlimit64(RLIMIT_NOFILE)", r);
    unsigned long top = lim.max > 65536 ? 65536 : lim.max;
    if (top < 32) /* 18 reserved, 4 threads' channels, a dozen for the app */
        stub_die("RLIMIT_NOFILE too small for the stub's reserved fds", -24);
    reserve_below(top, &lim, 0);
    if (raw2(__NR_fcntl, g_stub.reserved_fd_base, 1 /* F_GETFD */) >= 0)
        return 1;
    /* spawned: the instance says how far up its fds go, and the hard limit keeps it from here on */
    unsigned long want = instance_fd_top();
    if (want >= 32 && want < top)
        reserve_below(want, &lim, 1);
    r = place_fd(GTS_CHANNEL_FD_AT_SPAWN, g_stub.reserved_fd_base, 0); /* above a lower soft limit too */
    if (r < 0)
        stub_die("dup3(channel)", r);
    /*
     * The first process of an instance starts with stdin, stdout and stderr alone: whatever else
     * the user's shell left open (not close-on-exec) reached the launcher, the leader and the
     * worker, and is not the app's.
     */
    r = raw3(__NR_close_range, GTS_CHANNEL_FD_AT_SPAWN, (unsigned long)g_stub.reserved_fd_base - 1, 0);
    if (r < 0)
        stub_die("close_range(inherited fds)", r);
    return 0;
}

/*
 * A fresh process starts with default dispositions, as from a shell; the worker (Node) ignores
 * SIGPIPE and SIGXFSZ and that must not leak into the app.
 */
static void reset_signal_dispositions(void)
{
    struct {
        void *handler;
        unsigned long flags;
        void *restorer;
        unsigned long mask;
    } dfl = {0, 0, 0, 0};
    for (int sig = 1; sig <= 64; sig++)
        if (sig != SIGKILL && sig != SIGSTOP && sig != SIGSYS && sig != GTS_DOORBELL_SIGNAL)
            raw4(__NR_rt_sigaction, sig, &dfl, 0, 8);
}

static char hello_buf[STUB_HELLO_MAX];

/*
 * An image exec'd by the stub alone (local_exec.c) finds its HELLO reply in the local HELLO
 * slot, made by the image before it: the count of fds that came with it, or -1 (none there).
 */
static int take_local_hello(struct gts_reply *reply, int *fds, int max_fds)
{
    int slot = g_stub.reserved_fd_base + GTS_LOCAL_HELLO_SLOT;
    if (raw2(__NR_fcntl, slot, 1 /* F_GETFD */) < 0)
        return -1;
    int nfds = channel_receive(slot, reply, hello_buf, sizeof(hello_buf) - 1, fds, max_fds);
    raw1(__NR_close, slot);
    if (nfds < 0)
        stub_die("no HELLO reply left by the exec", -71);
    return nfds;
}

/*
 * Under memory pressure the OOM killer should take an app process, which the instance reports
 * as a death by SIGKILL, rather than the leader or a worker, which ends the whole instance: the
 * first process (and every one it forks, which inherit it) raises its own oom_score_adj above
 * theirs. Raising needs no privilege; an unwritable /proc leaves it as it was.
 */
static void prefer_for_oom_kill(void)
{
    long fd = raw4(__NR_openat, -100 /* AT_FDCWD */, "/proc/self/oom_score_adj", 02 /* O_RDWR */ | 02000000 /* O_CLOEXEC */, 0);
    if (fd < 0)
        return;
    char buf[16];
    long n = raw3(__NR_read, (int)fd, buf, sizeof(buf) - 1);
    long adj = 0, sign = 1;
    for (long i = 0; i < n; i++) {
        if (buf[i] == '-')
            sign = -1;
        else if (buf[i] >= '0' && buf[i] <= '9')
            adj = adj * 10 + (buf[i] - '0');
    }
    /* the worker's (and the leader's) value, which it inherited, plus 500: at most 1000 */
    adj = sign * adj + 500;
    if (adj > 1000)
        adj = 1000;
    char out[8];
    int len = 0;
    if (adj < 0) {
        out[len++] = '-';
        adj = -adj;
    }
    char digits[8];
    int nd = 0;
    do
        digits[nd++] = (char)('0' + adj % 10);
    while ((adj /= 10) > 0);
    while (nd > 0)
        out[len++] = digits[--nd];
    raw3(__NR_write, (int)fd, out, len);
    raw1(__NR_close, (int)fd);
}

__attribute__((noreturn, used)) void stub_main(uintptr_t *kernel_sp)
{
    long r;
    /*
     * Request seqs start at the monotonic clock's ns: every seq of an image is later than all of
     * the image before it (a reply to one of those may still come: dropped, never taken for one's own).
     */
    g_stub.seq = (unsigned long)now_ns();
    int reexec = place_channel();
    /*
     * A spawned first process dies with its worker, its host parent (no host process of the
     * instance outlives it); a forked one has its lifeline, and both keep theirs across exec.
     */
    if (!reexec) {
        raw5(__NR_prctl, PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
        prefer_for_oom_kill();
    }
    g_stub.host_pid = (int)raw0(__NR_getpid);
    thread_init_main(g_stub.host_pid); /* before anything can trap */
    /* before HELLO: from then on the worker may ring the doorbell */
    r = install_sigsys_handler();
    if (r)
        stub_die("rt_sigaction(SIGSYS)", r);
    /* the exec that made this image may have held the doorbell back (local_exec.c) */
    unsigned long doorbell = SIGBIT(GTS_DOORBELL_SIGNAL);
    raw4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &doorbell, 0, 8);

    struct gts_reply reply;
    int fds[STUB_HELLO_FDS]; /* the program's, its interpreter's, the tree's, a standby's, the mounts' roots */
    int nfds = reexec ? take_local_hello(&reply, fds, STUB_HELLO_FDS) : -1;
    int local = nfds >= 0;
    if (!local) {
        struct gts_request req = {GTS_REQ_HELLO, (uint32_t)host_tid(), 0, {0}, 0, 0};
        req.args[0] = (uint64_t)g_stub.reserved_fd_base;
        req.args[1] = GTS_ABI_VERSION;
        nfds = (int)channel_call(g_stub.main_channel_fd, &req, sizeof(req), &reply, hello_buf,
                                 sizeof(hello_buf) - 1, fds, STUB_HELLO_FDS);
    }
    if (reply.ret < 0)
        stub_die("worker refused to start the program", reply.ret);
    struct gts_hello_reply *hello = (struct gts_hello_reply *)hello_buf;
    if (reply.data_len < sizeof(*hello) || hello->abi_version != GTS_ABI_VERSION)
        stub_die("bad HELLO reply from worker", -71);
    int want = (hello->flags & GTS_HELLO_HAS_INTERP) ? 2 : 1;
    int tree = (!reexec && (hello->flags & GTS_HELLO_CHROOT)) ? want : -1; /* fds[tree], fds[tree + 1] */
    if (nfds < want + (tree >= 0 ? 2 : 0))
        stub_die("HELLO reply without the program's fds", -71);
    hello_buf[sizeof(hello_buf) - 1] = 0;
    const char *execfn = hello_buf + sizeof(*hello);
    unsigned long table_at = (sizeof(*hello) + (unsigned long)hello->execfn_len + hello->cwd_path_len + 7) & ~7UL;
    if (hello->execfn_len == 0 || table_at > reply.data_len)
        stub_die("bad HELLO reply from worker", -71);
    int skip = want + (tree >= 0 ? 2 : 0);
    int standby = -1; /* fds[standby], fds[standby + 1]: for the first fork (GTS_HELLO_PREFETCH) */
    if (hello->flags & GTS_HELLO_PREFETCH) {
        if (nfds < skip + 2)
            stub_die("HELLO reply without its standby's fds", -71);
        standby = skip;
        skip += 2;
    }
    paths_install(hello_buf + table_at, reply.data_len - table_at, fds + skip, nfds - skip);
    if (standby >= 0)
        prefetch_take(hello->prefetch_vpid, hello->prefetch_cpu, fds + standby);
    g_stub.vpid = hello->vpid;
    current_thread()->vtid = hello->vpid;
    memcpy(g_stub.abstract_prefix, hello->abstract_prefix, GTS_ABSTRACT_PREFIX_LEN);
    g_stub.trace = (hello->flags & GTS_HELLO_TRACE) != 0;
    g_stub.strace = (hello->flags & GTS_HELLO_STRACE) != 0;
    if (hello->flags & GTS_HELLO_RESET_SIGNALS)
        reset_signal_dispositions();
    /* as init of a PID namespace: the instance's orphans become vpid 1's children */
    if (hello->flags & GTS_HELLO_SUBREAPER) {
        r = raw2(__NR_prctl, PR_SET_CHILD_SUBREAPER, 1);
        if (r < 0)
            stub_die("prctl(PR_SET_CHILD_SUBREAPER)", r);
    }
    if (hello->flags & GTS_HELLO_FOREGROUND)
        take_terminal();
    uaccess_init(); /* after the dispositions are the app's */
    unsigned long blocked = 0;
    raw4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, 0, &blocked, 8);
    note_app_mask(blocked); /* the mask an exec keeps */

    struct loaded_elf prog, interp;
    r = load_elf(fds[0], &prog);
    if (r)
        stub_die("cannot load the program", r);
    if (want == 2) {
        r = load_elf(fds[1], &interp);
        if (r)
            stub_die("cannot load the program interpreter", r);
    }
    for (int i = 0; i < want; i++)
        raw1(__NR_close, fds[i]);

    /* an exec'd image keeps the boundary and the filter it had (same stub, same addresses) */
    if (!reexec) {
        if (tree >= 0)
            enter_instance_tree(fds[tree], fds[tree + 1]);
        long landlock = 0; /* the Landlock ABI of the domain entered, 0: none */
        if (!(hello->flags & GTS_HELLO_NO_SANDBOX))
            landlock = enter_sandbox((hello->flags & GTS_HELLO_APP_IDENTITY) != 0);
        r = install_seccomp_filter(g_stub.trace, landlock > 0);
        if (r)
            stub_die("seccomp filter", r);
    }
    g_stub.host_ids[0] = raw0(__NR_getuid);
    g_stub.host_ids[1] = raw0(__NR_geteuid);
    g_stub.host_ids[2] = raw0(__NR_getgid);
    g_stub.host_ids[3] = raw0(__NR_getegid);
    g_stub.app_identity = g_stub.host_ids[0] == GTS_APP_HOST_ID;
    /* relative paths are the stub's below the cwd the worker vouched for, if the host's is it */
    struct {
        unsigned long dev, ino;
        char rest[128];
    } cwd;
    int vouched = (hello->flags & GTS_HELLO_CWD_BENEATH) &&
                  raw4(__NR_newfstatat, -100 /* AT_FDCWD */, "", &cwd, 0x1000 /* AT_EMPTY_PATH */) == 0 &&
                  cwd.dev == hello->cwd_dev && cwd.ino == hello->cwd_ino;
    paths_move_cwd(-1, vouched, execfn + hello->execfn_len, hello->cwd_path_len);
    ids_install(hello->ids);
    /* the process's umask is its host one: what the stub creates gets the mode the LibOS's would */
    g_stub.umask = hello->umask & 0777;
    raw1(__NR_umask, g_stub.umask);
    if (hello->flags & GTS_HELLO_NOFILE)
        nofile_install(hello->nofile_cur, hello->nofile_max);
    g_stub.ppid = hello->ppid;
    g_stub.parent_host_pid = hello->parent_host_pid;
    if (local) {
        /* its worker hears of this image before anything else it says (channel.c), after its FORKED if untold */
        if (hello->flags & GTS_HELLO_FORK_UNTOLD)
            __atomic_store_n(&g_stub.fork_untold, 1, __ATOMIC_RELEASE);
        if (hello->flags & GTS_HELLO_UMASK_UNTOLD)
            __atomic_store_n(&g_stub.umask_untold, 1, __ATOMIC_RELEASE);
        g_stub.untold_execfn = execfn;
        g_stub.untold_execfn_len = hello->execfn_len - 1;
        __atomic_store_n(&g_stub.exec_untold, 1, __ATOMIC_RELEASE);
    }
    start_app(kernel_sp, &prog, want == 2 ? &interp : 0, execfn);
}
