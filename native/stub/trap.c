/*
 * The SIGSYS handler: every trapped system call of the app lands here. Calls the stub can
 * decide alone are answered in place; the rest go to the worker over the thread's channel.
 */
#include <stddef.h>
#include <asm/sigcontext.h>
#include <asm-generic/errno.h>
#include <asm-generic/fcntl.h>
#include <asm-generic/poll.h>
#include <asm-generic/signal-defs.h>
#include <linux/fcntl.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define K_SA_RESTORER 0x04000000
#define K_SYS_SECCOMP 1

/*
 * The kernel put the trap's FPU and vector state (the xsave area) at the top of its signal
 * frame, right below the app's red zone: where a gadget's frame goes. Before one is written
 * there, that state moves to the stub's own buffer and the frame points at it, so sigreturn
 * restores all of it (an xsave area written over would be taken for FP/SSE alone, and the
 * upper halves of the vector registers lost). The SIGSYS handler never nests: one buffer.
 */
#define K_FP_XSTATE_MAGIC1 0x46505853u
#define K_FXSAVE_BYTES 512
#define K_SW_RESERVED_OFFSET 464
/* The size of the xsave area at `fp` (its software-reserved bytes say; 512 for a plain fxsave one). */
static unsigned long xsave_size(const char *fp)
{
    struct {
        unsigned int magic1, extended_size;
    } sw;
    memcpy(&sw, fp + K_SW_RESERVED_OFFSET, sizeof(sw));
    return sw.magic1 == K_FP_XSTATE_MAGIC1 ? sw.extended_size : K_FXSAVE_BYTES;
}

long keep_fpstate(struct k_ucontext *uc, char *fpstate_copy)
{
    const char *fp = (const char *)uc->uc_mcontext.fpstate;
    if (fp == fpstate_copy)
        return 1;
    if (!fp)
        return 0;
    unsigned long size = xsave_size(fp);
    if (size < K_FXSAVE_BYTES || size > sizeof(current_thread()->fpstate))
        return -ENOMEM;
    memcpy(fpstate_copy, fp, size);
    uc->uc_mcontext.fpstate = (void *)fpstate_copy;
    return 1;
}

long write_below_red_zone(struct k_ucontext *uc, void *at, const void *data, unsigned long n)
{
    struct stub_thread *self = current_thread();
    const char *fp = (const char *)uc->uc_mcontext.fpstate;
    if (fp && fp != self->fpstate) {
        /* where the kernel wrote this trap's xsave area, before it moves */
        self->trap_xsave = fp;
        self->trap_xsave_size = xsave_size(fp);
    }
    long r = keep_fpstate(uc, self->fpstate);
    if (r < 0)
        return r;
    /*
     * Where the xsave area was (and the alignment gap above it) the kernel wrote: mapped and
     * writable. Not so when the trap came on an alternate signal stack: then the app's stack
     * is written as any app memory.
     */
    const char *p = at;
    if (r && p >= self->trap_xsave && p + n <= self->trap_xsave + self->trap_xsave_size + 64) {
        memcpy(at, data, n);
        return 0;
    }
    return copy_to_app(at, data, n);
}

unsigned long app_sigmask(const struct k_ucontext *uc)
{
    return uc->uc_sigmask & ~RESERVED_SIGNALS;
}

/*
 * The wait itself: unless a handler the doorbell made due already ends it, the syscall. A
 * doorbell that rings between the check and the syscall instruction (`wait_check` ..
 * `wait_syscall`, with the call's eintr_due in rcx) is sent to `wait_eintr` by the doorbell
 * handler when it makes such a handler due: no window where a wait starts after its signal.
 */
extern char wait_check[], wait_syscall[], wait_eintr[];
static __attribute__((noinline)) long checked_wait(int eintr_due, long nr, long a, long b, long c, long d, long e, long f)
{
    struct stub_thread *self = current_thread();
    register long r10 __asm__("r10") = d, r8 __asm__("r8") = e, r9 __asm__("r9") = f;
    long ret;
    __asm__ volatile(".globl wait_check, wait_syscall, wait_eintr\n"
                     "wait_check:\n\t"
                     "test %%ecx, %%ecx\n\t"
                     "jz wait_syscall\n\t"
                     "cmp %%ecx, %[due]\n\t"
                     "jge wait_eintr\n"
                     "wait_syscall:\n\t"
                     "syscall\n\t"
                     "jmp 1f\n"
                     "wait_eintr:\n\t"
                     "mov $-4, %%rax\n" /* -EINTR */
                     "1:\n"
                     : "=a"(ret), "+c"(eintr_due)
                     : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9), [due] "m"(self->doorbell_due)
                     : "r11", "memory");
    return ret;
}

/* The doorbell made handlers due at `due`: a wait about to start that they end goes to EINTR. */
static void end_wait_about_to_start(struct k_ucontext *uc, int due)
{
    unsigned long ip = uc->uc_mcontext.rip;
    long eintr_due = (int)uc->uc_mcontext.rcx;
    if (ip >= (unsigned long)wait_check && ip <= (unsigned long)wait_syscall && eintr_due && due >= eintr_due)
        uc->uc_mcontext.rip = (unsigned long)wait_eintr;
}

long with_app_mask(const struct k_ucontext *uc, int eintr_due, long nr, long a, long b, long c, long d, long e, long f)
{
    unsigned long mask = app_sigmask(uc), all = STUB_HANDLER_MASK;
    struct stub_thread *self = current_thread();
    self->doorbell_rang = self->doorbell_due = 0;
    /* a doorbell held back while the stub worked rings here, before the call */
    raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
    long r = checked_wait(eintr_due, nr, a, b, c, d, e, f);
    raw4(__NR_rt_sigprocmask, 2, &all, 0, 8);
    return r;
}

static int beyond_app_fds(long arg)
{
    return (unsigned int)arg >= (unsigned int)g_stub.reserved_fd_base;
}

/* dup, dup2 and dup3 of the app's fds, to its fds: the stub's reserved ones are neither (EBADF) */
long dup_call(long nr, const long *a)
{
    if (is_reserved_fd(a[0]) || (nr != __NR_dup && beyond_app_fds(a[1])))
        return -EBADF;
    if (nr == __NR_dup)
        return raw1(__NR_dup, (unsigned int)a[0]);
    if (nr == __NR_dup2)
        return raw2(__NR_dup2, (unsigned int)a[0], (unsigned int)a[1]);
    return raw3(__NR_dup3, (unsigned int)a[0], (unsigned int)a[1], a[2]);
}

int overlaps_stub(unsigned long addr, unsigned long len)
{
    unsigned long lo = (unsigned long)__executable_start & ~4095UL;
    unsigned long hi = ((unsigned long)_end + 4095) & ~4095UL;
    unsigned long end = addr + len;
    return end < addr || (addr < hi && end > lo) || overlaps_thread_blocks(addr, len);
}

int call_worker(long nr, const long *a, void *ip, struct gts_reply *reply, void *data,
                unsigned long data_cap, int *fds, int max_fds)
{
    struct stub_thread *self = current_thread();
    struct gts_request req = {GTS_REQ_SYSCALL, (uint32_t)self->host_tid, (uint64_t)nr, {0}, (uint64_t)ip, 0};
    for (int i = 0; i < 6; i++)
        req.args[i] = (uint64_t)a[i];
    return (int)channel_call(self->channel_fd, &req, sizeof(req), reply, data, data_cap, fds, max_fds);
}

static long request(uint32_t kind, long a0, long a1, long a2, long a3, void *data, unsigned long cap, unsigned long *data_len, int *fd)
{
    struct stub_thread *self = current_thread();
    struct gts_request req = {kind, (uint32_t)self->host_tid, 0, {(uint64_t)a0, (uint64_t)a1, (uint64_t)a2, (uint64_t)a3}, 0, 0};
    struct gts_reply reply;
    int nfds = (int)channel_call(self->channel_fd, &req, sizeof(req), &reply, data, cap, fd, fd ? 1 : 0);
    if (fd && !nfds)
        *fd = -1;
    if (data_len)
        *data_len = reply.data_len;
    return reply.ret;
}

long worker_request(uint32_t kind, long a0, long a1, long a2, long a3, void *data, unsigned long cap, unsigned long *data_len)
{
    return request(kind, a0, a1, a2, a3, data, cap, data_len, 0);
}

long worker_request_fd(uint32_t kind, long a0, long a1, int *fd)
{
    return request(kind, a0, a1, 0, 0, 0, 0, 0, fd);
}

long wait_readable(int fd, const struct k_ucontext *uc, int eintr_due)
{
    struct {
        int fd;
        short events, revents;
    } pfd = {fd, POLLIN, 0};
    long r = with_app_mask(uc, eintr_due, __NR_ppoll, (long)&pfd, 1, 0, 0, 8, 0);
    raw1(__NR_close, fd);
    return r;
}

/*
 * What a worker's reply gives the app: its result, or the fd that came with it. `cwd_path`: where
 * the payload went, for a chdir's (the working directory's path), or 0.
 */
static long forwarded_result(const struct gts_reply *reply, int nfds, int fd, const char *cwd_path)
{
    if ((reply->flags & GTS_REPLY_CWD) && nfds == 1) {
        /*
         * the LibOS's cwd is the authority; the host's mirrors it for /proc of other processes,
         * and for the paths the stub resolves from it, once it has moved there
         */
        paths_move_cwd(fd, (reply->flags & GTS_REPLY_CWD_BENEATH) != 0, cwd_path,
                       cwd_path && reply->data_len < STUB_PATH_MAX ? reply->data_len : 0);
        raw1(__NR_close, fd);
        return reply->ret;
    }
    if (reply->flags & GTS_REPLY_FD) {
        if (nfds != 1)
            return -EMFILE; /* the kernel could not install it: no fd free below the limit */
        if (!(reply->flags & GTS_REPLY_FD_CLOEXEC))
            raw3(__NR_fcntl, fd, F_SETFD, 0);
        return fd;
    }
    if (nfds == 1)
        raw1(__NR_close, fd);
    return reply->ret;
}

static long forward(long nr, const long *a, void *ip)
{
    struct gts_reply reply;
    int fd = -1;
    int nfds = call_worker(nr, a, ip, &reply, 0, 0, &fd, 1);
    return forwarded_result(&reply, nfds, fd, 0);
}

long worker_call(long nr, const long *a, void *ip)
{
    return forward(nr, a, ip);
}

/* chdir, fchdir: the reply names the new working directory (GTS_REPLY_CWD_BENEATH) */
static long forward_chdir(long nr, const long *a, void *ip)
{
    struct gts_reply reply;
    int fd = -1;
    char *path = current_thread()->trap_paths.path;
    int nfds = call_worker(nr, a, ip, &reply, path, STUB_PATH_MAX, &fd, 1);
    return forwarded_result(&reply, nfds, fd, path);
}

/*
 * A call the worker may answer with "not yet" (GTS_REPLY_WAIT: an open of a FIFO waiting for
 * its other end, which the worker makes meanwhile): the stub waits on the eventfd that came
 * with it, with the app's mask, and makes the call again, answered with what the worker has
 * by then. A handler that runs ends the wait as Linux ends the open: with EINTR, or, for one
 * with SA_RESTART, the call is made again; given up, the worker is told (it undoes its open).
 */
static long forward_waitable(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    struct stub_thread *self = current_thread();
    for (;;) {
        struct gts_reply reply;
        int fd = -1;
        int nfds = call_worker(nr, a, ip, &reply, 0, 0, &fd, 1);
        if (!(reply.flags & GTS_REPLY_WAIT))
            return forwarded_result(&reply, nfds, fd, 0);
        if (nfds != 1)
            return -ENOMEM;
        long r = wait_readable(fd, uc, 1);
        if (r >= 0 || (r == -EINTR && self->doorbell_rang && self->doorbell_due < 2))
            continue; /* woken; or a doorbell that ran no handler, or only SA_RESTART ones */
        struct gts_request req = {GTS_REQ_ABANDON, (uint32_t)self->host_tid, (uint64_t)nr, {0}, (uint64_t)ip, 0};
        channel_send(channel_for_current_thread(), &req, sizeof(req));
        return r;
    }
}

/* The app's own disposition of SIGSYS (the host's is the stub's). */
static struct k_sigaction app_sigsys;

/* The app's new action (at a[1], if any) in *act, its mask without the reserved signals: 0 or -EFAULT. */
static long app_new_action(const long *a, struct k_sigaction *act)
{
    long r = a[1] ? copy_from_app(act, (const void *)a[1], sizeof(*act)) : 0;
    if (r || !a[1])
        return r;
    act->mask &= ~RESERVED_SIGNALS;
    note_app_mask(act->mask);
    return 0;
}

/*
 * rt_sigprocmask's new set (at a[1]) in *set, less what the app can never block; a set that
 * blocks is noted (note_app_mask): 0 or -EFAULT.
 */
static long app_new_set(const long *a, unsigned long *set)
{
    long r = copy_from_app(set, (const void *)a[1], sizeof(*set));
    if (r)
        return r;
    *set &= ~UNBLOCKABLE_SIGNALS;
    if (a[0] == 0 /* SIG_BLOCK */ || a[0] == 2 /* SIG_SETMASK */)
        note_app_mask(*set);
    return 0;
}

static long sys_rt_sigaction(const long *a)
{
    long sig = (int)a[0];
    if (sig == GTS_DOORBELL_SIGNAL) {
        /* reserved for the stub: the app sees it unset and cannot set it */
        struct k_sigaction dfl = {0};
        if (a[1])
            return -EINVAL;
        return a[2] ? copy_to_app((void *)a[2], &dfl, sizeof(dfl)) : 0;
    }
    if (sig == K_SIGSYS) {
        /* the host's SIGSYS is the stub's; the app's disposition is kept here (app_sigsys_signal) */
        struct k_sigaction old, act;
        if (a[3] != 8)
            return -EINVAL;
        long r = app_new_action(a, &act);
        if (r)
            return r;
        stub_lock(&g_stub.lock);
        old = app_sigsys;
        if (a[1])
            app_sigsys = act;
        stub_unlock(&g_stub.lock);
        return a[2] ? copy_to_app((void *)a[2], &old, sizeof(old)) : 0;
    }
    struct k_sigaction act = {0}, old = {0};
    long r = app_new_action(a, &act);
    if (r)
        return r;
    if (a[3] != 8 || !(has_virtual_siginfo(sig) || is_fault_signal(sig)))
        return raw4(__NR_rt_sigaction, sig, a[1] ? &act : 0, a[2], a[3]);
    r = is_fault_signal(sig) ? fault_sigaction((int)sig, a[1] ? &act : 0, a[2] ? &old : 0)
                             : wrapped_sigaction((int)sig, a[1] ? &act : 0, a[2] ? &old : 0);
    return r || !a[2] ? r : copy_to_app((void *)a[2], &old, sizeof(old));
}

/*
 * rt_sigaction at a patched site (patch.c), in the app's context: for a signal the stub keeps
 * nothing of (not SIGSYS nor the doorbell, no virtual siginfo, no fault signal: those trap,
 * PATH_FORWARD), the host's call as a trap makes it, the handler's mask without the reserved
 * signals. A shell resets a dozen dispositions in every child it forks.
 */
long direct_sigaction(const long *a)
{
    long sig = (int)a[0];
    if (a[3] != 8 || sig == GTS_DOORBELL_SIGNAL || sig == K_SIGSYS || has_virtual_siginfo(sig) || is_fault_signal(sig))
        return PATH_FORWARD;
    struct k_sigaction act;
    long r = app_new_action(a, &act);
    return r ? r : raw4(__NR_rt_sigaction, sig, a[1] ? &act : 0, a[2], 8);
}

/*
 * rt_sigprocmask at a patched site, in the app's context, whose mask is the app's own (a trap
 * changes the one its sigreturn restores): the host's call, the reserved signals (and SIGKILL,
 * SIGSTOP) left out of the set, as a trap does.
 */
long direct_sigprocmask(const long *a)
{
    unsigned long set;
    if (a[3] != 8)
        return -EINVAL;
    long r = a[1] ? app_new_set(a, &set) : 0;
    return r ? r : raw4(__NR_rt_sigprocmask, a[0], a[1] ? &set : 0, a[2], 8);
}

/*
 * Run the app's own syscall for real, from the stub's text and in the app's context (its
 * signal mask, so a blocking wait can be interrupted), then go back to the app: trace mode's
 * every call, and the lock waits (locks.c).
 *   stack: [ret to app] below the red zone; gadget: syscall; ret 128.
 */
extern void native_gadget(void) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl native_gadget\n"
        "native_gadget:\n\t"
        "syscall\n\t"
        "ret $128\n");

long run_in_app_context(long nr, struct k_ucontext *uc)
{
    unsigned long ret_to_app = uc->uc_mcontext.rip;
    unsigned long sp = uc->uc_mcontext.rsp - 128 - 8;
    long r = write_below_red_zone(uc, (void *)sp, &ret_to_app, sizeof(ret_to_app));
    if (r)
        return r;
    uc->uc_mcontext.rsp = sp;
    uc->uc_mcontext.rip = (unsigned long)native_gadget;
    return nr; /* lands in rax: the gadget's syscall number; the arguments are the app's */
}

/*
 * The app's signal mask while it is in here is the one the kernel saved in the SIGSYS frame
 * (the handler itself runs with everything blocked), and sigreturn restores it: so the mask is
 * read and changed there, not with a host rt_sigprocmask.
 */
static long sys_rt_sigprocmask(const long *a, struct k_ucontext *uc)
{
    unsigned long set = 0, old = app_sigmask(uc);
    if (a[3] != 8)
        return -EINVAL;
    if (a[1]) {
        long r = app_new_set(a, &set);
        if (r)
            return r;
        switch (a[0]) {
        case 0: /* SIG_BLOCK */
            uc->uc_sigmask |= set;
            break;
        case 1: /* SIG_UNBLOCK */
            uc->uc_sigmask &= ~set;
            break;
        case 2: /* SIG_SETMASK */
            uc->uc_sigmask = set;
            break;
        default:
            return -EINVAL;
        }
    }
    return a[2] ? copy_to_app((void *)a[2], &old, sizeof(old)) : 0;
}

void put_back_signal(int sig, const void *info)
{
    /* the main thread may queue a user signal to its process, where a signal taken most likely was */
    if (host_tid() == host_pid())
        raw3(__NR_rt_sigqueueinfo, host_pid(), sig, info);
    else
        raw4(__NR_rt_tgsigqueueinfo, host_pid(), host_tid(), sig, info);
}

/*
 * rt_sigtimedwait: the host's, made with the app's mask. A signal from another process comes
 * through the doorbell, whose handler ends the host wait with EINTR though the signal it raised
 * is one waited for (blocked): then wait again, for what is left of the time -- an EINTR is
 * the app's only when one of its handlers ran. The siginfo is the virtual one (siginfo.c).
 */
static long sys_rt_sigtimedwait(const long *a, struct k_ucontext *uc)
{
    unsigned long set;
    struct k_timespec left;
    long deadline = 0;
    if (a[3] != 8)
        return -EINVAL;
    long r = copy_from_app(&set, (const void *)a[0], sizeof(set));
    if (!r && a[2])
        r = copy_from_app(&left, (const void *)a[2], sizeof(left));
    if (r)
        return r;
    if (a[2]) {
        if (left.tv_sec < 0 || left.tv_nsec < 0 || left.tv_nsec >= 1000000000L)
            return -EINVAL;
        deadline = now_ns() + left.tv_sec * 1000000000L + left.tv_nsec;
    }
    set &= ~RESERVED_SIGNALS;
    char info[GTS_SIGINFO_SIZE];
    struct stub_thread *self = current_thread();
    for (;;) {
        r = with_app_mask(uc, 1, __NR_rt_sigtimedwait, (long)&set, (long)info, a[2] ? (long)&left : 0, 8, 0, 0);
        if (r > 0 && self->doorbell_rang) {
            /*
             * The doorbell rang as the wait returned: what it raised may have been sent before
             * the signal taken (whose sender's kill had returned). Put that one back and take
             * again, in Linux's order; or end with EINTR if one of its handlers ran.
             */
            put_back_signal(r, info);
            if (!self->doorbell_due)
                continue;
            r = -EINTR;
        }
        if (r != -EINTR || !self->doorbell_rang || self->doorbell_due)
            break;
        if (a[2]) {
            long rest = deadline - now_ns();
            if (rest < 0)
                rest = 0;
            left.tv_sec = rest / 1000000000L;
            left.tv_nsec = rest % 1000000000L;
        }
    }
    if (r > 0 && a[1]) {
        siginfo_to_virtual(info);
        long w = copy_to_app((void *)a[1], info, sizeof(info));
        if (w)
            return w;
    }
    return r;
}

/*
 * F_SETOWN and F_GETOWN (and their _EX forms) name who gets the fd's SIGIO and SIGURG: a vpid,
 * a thread's tid or a process group here, a host pid, tid or group on the host (the instance's
 * groups are the host's too: jobs.c).
 */
struct k_f_owner_ex {
    int type;
    int pid;
};
#define K_F_OWNER_PGRP 2

static long host_owner(int type, int id)
{
    if (id <= 0)
        return id == 0 ? 0 : -EINVAL;
    if (type == K_F_OWNER_PGRP)
        return host_pgrp(id);
    long host = type == F_OWNER_TID ? thread_host_tid(id) : id == g_stub.vpid ? host_pid() : translate_pid(GTS_LOOKUP_HOST_OF_VPID, id);
    if (host <= 0 && type == F_OWNER_TID)
        host = translate_pid(GTS_LOOKUP_HOST_OF_VPID, id); /* the main thread of another process */
    return host > 0 ? host : -ESRCH;
}

static long app_owner(int type, int host)
{
    if (host <= 0)
        return host;
    if (type == K_F_OWNER_PGRP)
        return instance_pgrp(host);
    if (type == F_OWNER_TID && host == host_tid())
        return current_thread()->vtid;
    if (host == host_pid())
        return g_stub.vpid;
    long v = translate_pid(GTS_LOOKUP_VPID_OF_HOST, host);
    return v > 0 ? v : 0;
}

static long fcntl_owner(const long *a)
{
    unsigned int fd = (unsigned int)a[0];
    struct k_f_owner_ex ex;
    long r;
    int id = (int)a[2];
    switch ((int)a[1]) {
    case F_SETOWN:
        /* a negative owner is a group, as Linux reads it (whose -INT_MIN would overflow) */
        if (id == -2147483647 - 1)
            return -EINVAL;
        r = id < 0 ? host_owner(K_F_OWNER_PGRP, -id) : host_owner(F_OWNER_PID, id);
        return r < 0 ? r : raw3(__NR_fcntl, fd, F_SETOWN, id < 0 ? -r : r);
    case F_GETOWN:
        /* asked as F_GETOWN_EX: a group's negative id could read as an errno */
        if ((r = raw3(__NR_fcntl, fd, F_GETOWN_EX, (long)&ex)) < 0)
            return r;
        r = app_owner(ex.type, ex.pid);
        return ex.type == K_F_OWNER_PGRP ? -r : r;
    case F_SETOWN_EX:
        if ((r = copy_from_app(&ex, (const void *)a[2], sizeof(ex))))
            return r;
        if (ex.type != F_OWNER_TID && ex.type != F_OWNER_PID && ex.type != K_F_OWNER_PGRP)
            return -EINVAL;
        if ((r = host_owner(ex.type, ex.pid)) < 0)
            return r;
        ex.pid = (int)r;
        return raw3(__NR_fcntl, fd, F_SETOWN_EX, (long)&ex);
    default: /* F_GETOWN_EX */
        if ((r = raw3(__NR_fcntl, fd, F_GETOWN_EX, (long)&ex)) < 0)
            return r;
        ex.pid = (int)app_owner(ex.type, ex.pid);
        return copy_to_app((void *)a[2], &ex, sizeof(ex));
    }
}

static long sys_fcntl(const long *a, void *ip, struct k_ucontext *uc)
{
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if (is_fcntl_lock_command(a[1]))
        return fcntl_lock(a, uc);
    if ((int)a[1] == F_SETOWN || (int)a[1] == F_GETOWN || (int)a[1] == F_SETOWN_EX || (int)a[1] == F_GETOWN_EX)
        return fcntl_owner(a);
    if (((int)a[1] == F_DUPFD || (int)a[1] == F_DUPFD_CLOEXEC) && beyond_app_fds(a[2]))
        return -EINVAL;
    if ((int)a[1] == F_SETLEASE)
        return forward(__NR_fcntl, a, ip); /* the worker's: not on a file the instance may not change */
    return raw3(__NR_fcntl, (unsigned int)a[0], a[1], a[2]);
}

static long sys_close_range(const long *a)
{
    unsigned long first = (unsigned int)a[0], last = (unsigned int)a[1];
    unsigned long top = (unsigned long)g_stub.reserved_fd_base - 1;
    if (first > last)
        return -EINVAL;
    if (last > top)
        last = top;
    if (first > last)
        return 0;
    return raw3(__NR_close_range, first, last, a[2]);
}

/* AT_EMPTY_PATH with "" is fstat on the fd: answer it here, it is on glibc's fstat path. */
static int is_empty_path_fstat(const long *a)
{
    char c;
    if (!(a[3] & AT_EMPTY_PATH) || (int)a[0] < 0)
        return 0; /* AT_FDCWD: the cwd is the worker's to know */
    return copy_from_app(&c, (const void *)a[1], 1) == 0 && c == 0;
}

/*
 * The stat family and opens for reading that the stub answers alone (fstat by an empty path;
 * a path inside one host mount, paths.c), with the scratch buffers of the caller (the trap's
 * or the direct calls'), or PATH_FORWARD: the worker must answer.
 */
long local_path_call(struct path_scratch *scratch, long nr, const long *a)
{
    switch (nr) {
    case __NR_newfstatat:
        if (is_empty_path_fstat(a)) {
            if (is_reserved_fd(a[0]))
                return -EBADF;
            /* fstat itself, which takes no path name, unless the flags are for the kernel to refuse */
            if (a[3] & ~(long)(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT))
                return raw4(__NR_newfstatat, (int)a[0], a[1], a[2], a[3]);
            long r = raw2(__NR_fstat, (int)a[0], a[2]);
            return r ? r : owner_as_instance_root((void *)a[2], 0);
        }
        __attribute__((fallthrough)); /* a path */
    case __NR_stat:
    case __NR_lstat:
    case __NR_statx:
        return paths_stat(scratch, nr, a);
    case __NR_open:
    case __NR_openat:
    case __NR_creat:
        return paths_open(scratch, nr, a);
    case __NR_unlink:
    case __NR_unlinkat:
        return paths_unlink(scratch, nr, a);
    case __NR_access:
    case __NR_faccessat:
    case __NR_faccessat2:
        return paths_access(scratch, nr, a);
    case __NR_readlink:
    case __NR_readlinkat:
        return paths_readlink(scratch, nr, a);
    case __NR_getcwd:
        return paths_getcwd(scratch, a);
    default:
        return PATH_FORWARD;
    }
}

/*
 * prctl: options that only touch the calling thread's own host state pass through. The stub's
 * parent-death signal is its own: the app's is the worker's to keep and the leader's to send
 * (its parent is a process of the instance). Seccomp state is the stub's; the rest is not
 * supported yet (the worker says EINVAL, and reports it).
 */
static long sys_prctl(const long *a, void *ip)
{
    switch (a[0]) {
    case 1: /* PR_SET_PDEATHSIG */
    case 2: /* PR_GET_PDEATHSIG */
        return forward(__NR_prctl, a, ip);
    case 3:  /* PR_GET_DUMPABLE */
    case 4:  /* PR_SET_DUMPABLE */
    case 7:  /* PR_GET_KEEPCAPS */
    case 8:  /* PR_SET_KEEPCAPS */
    case 15: /* PR_SET_NAME */
    case 16: /* PR_GET_NAME */
    case 23: /* PR_CAPBSET_READ */
    case 29: /* PR_SET_TIMERSLACK */
    case 30: /* PR_GET_TIMERSLACK */
    case 38: /* PR_SET_NO_NEW_PRIVS: it only takes privileges away, from the app process alone */
    case 39: /* PR_GET_NO_NEW_PRIVS */
    case 41: /* PR_SET_THP_DISABLE */
    case 42: /* PR_GET_THP_DISABLE */
    case 0x53564d41: /* PR_SET_VMA */
        return raw5(__NR_prctl, a[0], a[1], a[2], a[3], a[4]);
    default:
        return forward(__NR_prctl, a, ip); /* refused there, and counted if Linux has it */
    }
}

static long mem_call(long nr, const long *a)
{
    /* as if the stub's pages were not mapped at all */
    if (overlaps_stub((unsigned long)a[0], (unsigned long)a[1]))
        return (nr == __NR_munmap || nr == __NR_mremap) ? -EINVAL : nr == __NR_mbind ? -EFAULT : -ENOMEM;
    if (nr == __NR_mremap && (a[3] & 2 /* MREMAP_FIXED */) && overlaps_stub(a[4], a[2]))
        return -EINVAL;
    return raw_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/*
 * mq_notify: the host's; but SIGEV_SIGNAL's siginfo would name the sender by its host pid, so
 * the host is asked for the doorbell signal with a marked value instead, and the doorbell
 * raises the app's signal with the app's value and the sender's vpid (mq_notified). The
 * stub keeps what the app asked, one entry per queue descriptor, until the notification
 * comes (it is made once, as Linux's) or is taken away.
 */
#define K_SIGEV_SIGNAL 0
#define K_SI_MESGQ (-3)
#define MQ_NOTES 16
#define MQ_NOTE_MARK 0x67744d00UL /* "gtM": | the entry's index */
static struct mq_note {
    int fd, signo; /* signo 0: a free entry */
    unsigned long value;
} mq_notes[MQ_NOTES];

static void mq_note_clear(int fd)
{
    stub_lock(&g_stub.lock);
    for (int i = 0; i < MQ_NOTES; i++)
        if (mq_notes[i].signo && mq_notes[i].fd == fd)
            mq_notes[i].signo = 0;
    stub_unlock(&g_stub.lock);
}

static long sys_mq_notify(const long *a)
{
    if (is_reserved_fd(a[0]))
        return -EBADF;
    if (!a[1]) {
        long r = raw2(__NR_mq_notify, (int)a[0], 0);
        if (!r)
            mq_note_clear((int)a[0]);
        return r;
    }
    struct {
        unsigned long value;
        int signo, notify;
        int rest[12];
    } ev; /* struct sigevent: the host gets the stub's copy, which the app cannot change after the check */
    long r = copy_from_app(&ev, (const void *)a[1], sizeof(ev));
    if (r)
        return r;
    if (ev.notify != K_SIGEV_SIGNAL)
        return raw2(__NR_mq_notify, (int)a[0], &ev);
    if (ev.signo < 0 || ev.signo > 64 || (ev.signo && (RESERVED_SIGNALS & SIGBIT(ev.signo))))
        return -EINVAL;
    int slot = -1;
    stub_lock(&g_stub.lock);
    for (int i = 0; i < MQ_NOTES; i++)
        if (mq_notes[i].signo && mq_notes[i].fd == (int)a[0])
            slot = i; /* a stale one (the fd was closed): the host has no registration of it */
    for (int i = 0; i < MQ_NOTES && slot < 0; i++)
        if (!mq_notes[i].signo)
            slot = i;
    long attr[8];
    for (int i = 0; i < MQ_NOTES && slot < 0; i++)
        if (raw3(__NR_mq_getsetattr, mq_notes[i].fd, 0, attr) == -EBADF)
            slot = i; /* its queue descriptor was closed, and its registration with it */
    struct mq_note before = slot >= 0 ? mq_notes[slot] : (struct mq_note){0, 0, 0};
    if (slot >= 0)
        mq_notes[slot] = (struct mq_note){(int)a[0], ev.signo ? ev.signo : -1, ev.value};
    stub_unlock(&g_stub.lock);
    if (slot < 0)
        return -ENOMEM;
    ev.signo = GTS_DOORBELL_SIGNAL;
    ev.value = MQ_NOTE_MARK | (unsigned long)slot;
    r = raw2(__NR_mq_notify, (int)a[0], &ev);
    if (r) {
        stub_lock(&g_stub.lock);
        mq_notes[slot] = before; /* EBUSY: another's registration; EBADF */
        stub_unlock(&g_stub.lock);
    }
    return r;
}

/*
 * A doorbell that is a queue's notification: the app's signal raised on the process, as Linux
 * sends it. 0: not one; else the signals raised (as bits).
 */
static unsigned long mq_notified(const void *info)
{
    const struct {
        int si_signo, si_errno, si_code, pad;
        int si_pid;
        unsigned int si_uid;
        unsigned long si_value;
    } *si = (const void *)info;
    if (si->si_code != K_SI_MESGQ || (si->si_value & ~0xffUL) != MQ_NOTE_MARK || (si->si_value & 0xff) >= MQ_NOTES)
        return 0;
    unsigned long none_raised = SIGBIT(GTS_DOORBELL_SIGNAL); /* no app signal: a bit no handler of the app's has */
    struct mq_note note = {0, 0, 0};
    stub_lock(&g_stub.lock);
    note = mq_notes[si->si_value & 0xff];
    mq_notes[si->si_value & 0xff].signo = 0;
    stub_unlock(&g_stub.lock);
    if (note.signo <= 0)
        return none_raised;
    struct {
        int si_signo, si_errno, si_code, pad;
        int si_pid;
        unsigned int si_uid;
        unsigned long si_value;
        char rest[GTS_SIGINFO_SIZE - 32];
    } out = {note.signo, 0, K_SI_MESGQ, 0, 0, 0, note.value, {0}};
    long vpid = translate_pid(GTS_LOOKUP_VPID_OF_HOST, si->si_pid);
    out.si_pid = vpid > 0 ? (int)vpid : 0;
    const long none[6] = {0};
    struct gts_reply reply;
    call_worker(__NR_getuid, none, 0, &reply, 0, 0, 0, 0); /* the instance's processes share their host uid: its real uid */
    out.si_uid = reply.ret >= 0 ? (unsigned int)reply.ret : 0;
    raw3(__NR_rt_sigqueueinfo, host_pid(), note.signo, &out);
    return SIGBIT(note.signo);
}

/*
 * timer_create: the host's POSIX timers, but a SIGEV_THREAD_ID timer names its thread by the
 * app's tid (the vpid, for the main thread): the host gets the thread's host tid.
 */
#define K_SIGEV_THREAD_ID 4
static long sys_timer_create(const long *a)
{
    struct {
        unsigned long value;
        int signo, notify;
        int tid;
        int pad[11];
    } ev;
    if (!a[1])
        return raw3(__NR_timer_create, a[0], 0, a[2]);
    long r = copy_from_app(&ev, (const void *)a[1], sizeof(ev));
    if (r)
        return r;
    if (ev.notify & K_SIGEV_THREAD_ID) {
        long host = thread_host_tid(ev.tid);
        if (host < 0)
            return -EINVAL; /* not a thread of this process */
        ev.tid = (int)host;
    }
    return raw3(__NR_timer_create, a[0], &ev, a[2]);
}

/*
 * A data-plane call that trapped: it names a reserved fd (the app gets EBADF), or reads a
 * signalfd slot (signalfd.c); in trace mode, any: run as the app made it.
 */
static long native_trapped(long nr, const long *a, struct k_ucontext *uc)
{
    if (native_call_names_reserved_fd(nr, a))
        return -EBADF;
    if (nr == __NR_read || nr == __NR_readv) {
        long r = signalfd_slot_read(nr, a, uc);
        if (r != SLOT_NOT_SIGNALFD)
            return r;
    }
    return run_in_app_context(nr, uc);
}

static long handle(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    switch (nr) {
    case __NR_getpid:
        return g_stub.vpid;
    case __NR_getppid:
        /* the parent it was forked by (or exec'd under), while the host says it still is: else it was re-parented */
        if (g_stub.parent_host_pid > 0 && raw0(__NR_getppid) == g_stub.parent_host_pid)
            return g_stub.ppid;
        return forward(nr, a, ip);
    case __NR_getrlimit:
    case __NR_setrlimit:
    case __NR_prlimit64:
        return own_limit(nr, a, ip);
    case __NR_sysinfo:
        return stub_sysinfo(a);
    case __NR_umask:
        return stub_umask(a, ip);
    case __NR_gettid:
        return current_thread()->vtid;
    case __NR_set_tid_address:
        raw1(__NR_set_tid_address, a[0]);
        return current_thread()->vtid;
    case __NR_exit:
        return stub_thread_exit(a[0]);
    case __NR_rseq:
        return -ENOSYS; /* as a kernel built without rseq: glibc falls back */
    case __NR_dup:
    case __NR_dup2:
    case __NR_dup3:
        return dup_call(nr, a);
    case __NR_fcntl:
        return sys_fcntl(a, ip, uc);
    case __NR_mq_notify:
        return sys_mq_notify(a);
    case __NR_shmat:
        return sys_shmat(a, ip);
    case __NR_shmdt:
        return sys_shmdt(a, ip);
    case __NR_semop:
    case __NR_semtimedop:
        return sys_semop(nr, a, ip, uc);
    case __NR_msgsnd:
    case __NR_msgrcv:
        return sys_sysv_waitable(nr, a, ip, uc);
    case __NR_signalfd:
    case __NR_signalfd4:
        return sys_signalfd(nr, a);
    case __NR_rt_sigtimedwait:
        return sys_rt_sigtimedwait(a, uc);
    case __NR_close_range:
        return sys_close_range(a);
    case __NR_timer_create:
        return sys_timer_create(a);
    case __NR_newfstatat:
    case __NR_stat:
    case __NR_lstat:
    case __NR_statx:
    case __NR_open:
    case __NR_openat: {
        long r = local_path_call(&current_thread()->trap_paths, nr, a);
        return r == PATH_FORWARD ? forward_waitable(nr, a, ip, uc) : r;
    }
    case __NR_access:
    case __NR_faccessat:
    case __NR_faccessat2:
    case __NR_readlink:
    case __NR_readlinkat:
    case __NR_getcwd: {
        long r = local_path_call(&current_thread()->trap_paths, nr, a);
        return r == PATH_FORWARD ? forward(nr, a, ip) : r;
    }
    case __NR_creat: {
        long r = local_path_call(&current_thread()->trap_paths, nr, a);
        return r == PATH_FORWARD ? forward_waitable(nr, a, ip, uc) : r; /* a FIFO's open may wait */
    }
    case __NR_openat2:
        return forward_waitable(nr, a, ip, uc); /* a FIFO's open may wait */
    case __NR_unlink:
    case __NR_unlinkat: {
        long r = local_path_call(&current_thread()->trap_paths, nr, a);
        return r == PATH_FORWARD ? forward(nr, a, ip) : r;
    }
    case __NR_chroot: {
        /* the process's root moves: absolute paths are no longer the table's */
        long r = forward(nr, a, ip);
        if (r == 0)
            paths_drop();
        return r;
    }
    case __NR_ioctl:
        /* here for a command the worker makes (ioctl_traps), a reserved fd, or in trace mode */
        if (is_reserved_fd(a[0]))
            return -EBADF;
        if (is_job_ioctl((unsigned long)a[1]))
            return job_ioctl(a);
        return ioctl_traps((unsigned long)a[1]) ? forward(nr, a, ip) : run_in_app_context(nr, uc);
    case __NR_setpgid:
    case __NR_setsid:
        return job_pgrp_call(nr, a, ip);
    case __NR_getdents:
    case __NR_getdents64:
        return is_reserved_fd(a[0]) ? -EBADF : raw3(nr, (unsigned int)a[0], a[1], a[2]);
    case __NR_rt_sigaction:
        return sys_rt_sigaction(a);
    case __NR_prctl:
        return sys_prctl(a, ip);
    case __NR_clone:
    case __NR_clone3: {
        long r = stub_clone_thread(nr, a, uc);
        return r == STUB_CLONE_IS_FORK ? stub_fork(nr, a, ip, uc) : r;
    }
    case __NR_fork:
    case __NR_vfork:
        return stub_fork(nr, a, ip, uc);
    case __NR_execve:
    case __NR_execveat:
        return stub_execve(nr, a, ip, uc);
    case __NR_wait4:
        return stub_wait4(a, uc);
    case __NR_waitid:
        return stub_waitid(a, uc);
    case __NR_rt_sigprocmask:
        return sys_rt_sigprocmask(a, uc);
    case __NR_pause:
    case __NR_rt_sigsuspend:
    case __NR_poll:
    case __NR_ppoll:
    case __NR_select:
    case __NR_pselect6:
    case __NR_epoll_wait:
    case __NR_epoll_pwait:
    case __NR_epoll_pwait2:
        return stub_wait_call(nr, a, uc);
    case __NR_bind:
        return sys_bind(a);
    case __NR_connect:
        return sys_connect(a, uc);
    case __NR_getsockname:
    case __NR_getpeername:
        return sys_sockname(nr, a);
    case __NR_accept:
    case __NR_accept4:
        return sys_accept(nr, a, uc);
    case __NR_recvfrom:
        return sys_recvfrom(a, uc);
    case __NR_sendto:
        return sys_sendto(a, uc);
    case __NR_sendmsg:
        return sys_sendmsg(a, uc);
    case __NR_recvmsg:
        return sys_recvmsg(a, uc);
    case __NR_sendmmsg:
        return sys_sendmmsg(a, uc);
    case __NR_recvmmsg:
        return sys_recvmmsg(a, uc);
    case __NR_getsockopt:
        return sys_getsockopt(a);
    case __NR_setsockopt:
        return sys_setsockopt(a);
    case __NR_mmap:
    case __NR_munmap:
    case __NR_mprotect:
    case __NR_pkey_mprotect:
    case __NR_madvise:
    case __NR_mbind:
    case __NR_mremap:
        return mem_call(nr, a);
    case __NR_chdir:
    case __NR_fchdir:
        return forward_chdir(nr, a, ip);
    case __NR_getuid:
    case __NR_geteuid:
    case __NR_getgid:
    case __NR_getegid:
        return ids_get(nr, a, ip);
    case __NR_setuid:
    case __NR_setgid:
    case __NR_setreuid:
    case __NR_setregid:
    case __NR_setresuid:
    case __NR_setresgid:
    case __NR_setfsuid:
    case __NR_setfsgid:
        return ids_set(nr, a, ip);
    default:
        if (nr >= 0x40000000)
            return -ENOSYS; /* x32 ABI */
        if (is_native_syscall(nr))
            return native_trapped(nr, a, uc);
        return forward(nr, a, ip);
    }
}

void flush_trace(void)
{
    struct {
        struct gts_request req;
        unsigned char bitmap[GTS_TRACE_BITMAP_BYTES];
    } msg = {{GTS_REQ_TRACE, (uint32_t)host_tid(), 0, {0}, 0, 0}, {0}};
    struct gts_reply reply;
    memcpy(msg.bitmap, g_stub.traced, sizeof(msg.bitmap));
    channel_call(channel_for_current_thread(), &msg, sizeof(msg), &reply, 0, 0, 0, 0);
}

/*
 * Strace mode: tell the worker of a trapped call, and wait until it has written the line: it
 * reads the call's strings from app memory, which must still be there (and the process too).
 */
static void strace_record(int nr, const long *a, long ret, int returned)
{
    struct {
        struct gts_request req;
        struct gts_strace_result result;
    } msg = {{GTS_REQ_STRACE, (uint32_t)host_tid(), (uint64_t)nr, {0}, 0, 0}, {ret, (uint64_t)returned}};
    for (int i = 0; i < 6; i++)
        msg.req.args[i] = (uint64_t)a[i];
    struct gts_reply reply;
    channel_call(channel_for_current_thread(), &msg, sizeof(msg), &reply, 0, 0, 0, 0);
}

/* Trace mode: record the call, then run it as the normal (untraced) path would. */
static long handle_traced(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    if (nr >= 0 && nr < GTS_TRACE_BITMAP_BYTES * 8)
        __atomic_or_fetch(&g_stub.traced[nr / 8], (unsigned char)(1u << (nr % 8)), __ATOMIC_RELAXED); /* threads trace at once */
    if (nr == __NR_exit_group)
        flush_trace();
    if (is_native_syscall(nr))
        return native_trapped(nr, a, uc);
    return handle(nr, a, ip, uc);
}

/*
 * A SIGSYS that seccomp did not send (kill, raise): the app's. Ignored if it ignores it, its
 * handler run if it has one (in this frame), else it dies of it.
 */
static void app_sigsys_signal(struct k_siginfo_sys *info, struct k_ucontext *uc)
{
    if ((unsigned long)app_sigsys.handler == 1 /* SIG_IGN */)
        return;
    if (app_sigsys.handler) {
        /* with the mask the handler would have (the stub's signals open: its calls may trap) */
        unsigned long mask = app_sigmask(uc) | (app_sigsys.mask & ~RESERVED_SIGNALS), all = STUB_HANDLER_MASK;
        raw4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
        ((void (*)(int, void *, void *))app_sigsys.handler)(K_SIGSYS, info, uc);
        raw4(__NR_rt_sigprocmask, 2, &all, 0, 8);
        return;
    }
    struct k_sigaction dfl = {0};
    unsigned long unblock = SIGBIT(K_SIGSYS);
    raw4(__NR_rt_sigaction, K_SIGSYS, &dfl, 0, 8);
    raw2(__NR_kill, raw0(__NR_getpid), K_SIGSYS);
    raw4(__NR_rt_sigprocmask, 1 /* SIG_UNBLOCK */, &unblock, 0, 8);
}

static void sigsys_handler(int sig, struct k_siginfo_sys *info, struct k_ucontext *uc)
{
    (void)sig;
    uaccess_allow(uc);
    if (info->si_code != K_SYS_SECCOMP) {
        app_sigsys_signal(info, uc);
        return;
    }
    struct sigcontext *r = &uc->uc_mcontext;
    long a[6] = {(long)r->rdi, (long)r->rsi, (long)r->rdx, (long)r->r10, (long)r->r8, (long)r->r9};
    int nr = info->syscall;
    /* strace mode: a call that may not return is told before it, the others after */
    int told_before = g_stub.strace && (nr == __NR_exit || nr == __NR_exit_group || nr == __NR_execve || nr == __NR_execveat);
    if (told_before)
        strace_record(nr, a, 0, 0);
    long ret = g_stub.trace ? handle_traced(nr, a, info->call_addr, uc) : handle(nr, a, info->call_addr, uc);
    if (g_stub.strace && !told_before)
        strace_record(nr, a, ret, 1);
    r->rax = (unsigned long)ret;
    patch_site(nr, info->call_addr); /* the next call from there is direct, if it can be */
}

#define K_SA_RESTART 0x10000000
#define NR_RESTART_SYSCALL 219

/*
 * The doorbell is SA_RESTART, so a blocking call it interrupts is about to be restarted: the
 * kernel has put the interrupted context back on its `syscall` instruction (with rax the call's
 * number, or restart_syscall for a sleep). The app's own signals, raised here, are delivered
 * only after that, so the kernel cannot know what Linux would have done for them: end the call
 * with EINTR if one of them runs a handler without SA_RESTART, or any handler for a sleep (which
 * Linux never restarts after a handler). A context that was about to make the call anyway looks
 * the same; it would get an EINTR a little early, as for a signal that came just after it.
 */
/*
 * Will one of the signals `raised` run an app handler once the doorbell returns (unblocked in
 * `mask`, with a handler)? 0: none; 1: only SA_RESTART ones; 2: one without.
 */
int handlers_due(unsigned long mask, unsigned long raised)
{
    int due = 0;
    for (int s = 1; s <= 64; s++) {
        struct k_sigaction act;
        if (!(raised & SIGBIT(s)) || (mask & SIGBIT(s)) || app_disposition(s, &act))
            continue; /* blocked: it stays pending, and the call goes on */
        if ((unsigned long)act.handler <= 1)
            continue; /* no handler runs: ignored, or a default action that ends the process anyway */
        due = (act.flags & K_SA_RESTART) && due < 2 ? 1 : 2;
    }
    return due;
}

static void interrupt_as_linux(struct k_ucontext *uc, int due)
{
    unsigned char insn[2];
    unsigned long ip = uc->uc_mcontext.rip;
    if (!due || copy_from_app(insn, (const void *)ip, 2) || insn[0] != 0x0f || insn[1] != 0x05)
        return;
    long nr = (long)uc->uc_mcontext.rax;
    if (nr == __NR_rt_sigreturn || nr == __NR_exit || nr == __NR_exit_group)
        return; /* about to be made, and not one a signal can end: a handler's return, an exit */
    if (uc->uc_mcontext.rax == NR_RESTART_SYSCALL || due == 2) {
        uc->uc_mcontext.rax = (unsigned long)-EINTR;
        uc->uc_mcontext.rip = ip + 2;
    }
}

/*
 * The doorbell: the worker has queued signals for this thread (from another process, or the
 * LibOS: SIGCHLD). Fetch them and raise each on ourselves with its virtual siginfo; the host
 * then delivers them as Linux would once this handler returns. It never interrupts a request
 * on the channel: the SIGSYS handler blocks every signal.
 */
static void doorbell_handler(int sig, void *info, struct k_ucontext *uc)
{
    (void)sig;
    uaccess_allow(uc);
    struct stub_thread *self = current_thread();
    struct gts_signals_reply *head = (struct gts_signals_reply *)self->signal_infos;
    unsigned long got = 0;
    long tid = self->host_tid, pid = host_pid();
    unsigned long raised = mq_notified(info);
    if (!raised)
        worker_request(GTS_REQ_SIGNALS, 0, 0, 0, 0, self->signal_infos, sizeof(self->signal_infos), &got);
    unsigned long n = got < sizeof(*head) ? 0 : head->count;
    if (n > (got - sizeof(*head)) / GTS_SIGINFO_SIZE)
        n = 0; /* never: the worker sends what it counts */
    raised &= ~SIGBIT(GTS_DOORBELL_SIGNAL);
    for (unsigned long i = 0; i < n; i++) {
        char *si = self->signal_infos + sizeof(*head) + i * GTS_SIGINFO_SIZE;
        int s = *(int *)si;
        if (s >= 1 && s <= 64)
            raised |= SIGBIT(s);
        /*
         * One sent to this thread is its own. One sent to the process is the process's: the
         * host picks the thread that takes it (or keeps it pending for whichever unblocks or
         * waits for it first). Only the main thread may queue it so (the host refuses a user
         * signal a thread queues to its process), and the worker rings the main thread's
         * doorbell for them while it runs; once it has exited, whichever thread rings keeps them.
         */
        if (i >= head->for_thread && tid == pid)
            raw3(__NR_rt_sigqueueinfo, pid, s, si);
        else
            raw4(__NR_rt_tgsigqueueinfo, pid, tid, s, si);
    }
    if (wait_gadget_doorbell(uc, raised))
        return; /* a wait the gadget makes: restarted unless Linux would have ended it */
    int due = handlers_due(uc->uc_sigmask, raised);
    self->doorbell_rang = 1;
    if (due > self->doorbell_due)
        self->doorbell_due = due;
    end_wait_about_to_start(uc, due);
    interrupt_as_linux(uc, due);
}

__asm__(".text\n"
        ".globl sigsys_restorer\n"
        "sigsys_restorer:\n\t"
        "mov $15, %eax\n\t" /* rt_sigreturn */
        "syscall\n\t"
        "hlt\n");

long install_sigsys_handler(void)
{
    struct k_sigaction act = {
        .handler = (void *)sigsys_handler,
        /*
         * everything blocked while we talk to the worker: replies must not interleave; on the
         * app's alternate signal stack when it has one, as its own handlers (a goroutine's stack
         * is too small for a signal frame: Go gives each thread one to take signals on)
         */
        .flags = SA_SIGINFO | K_SA_RESTORER | SA_ONSTACK,
        .restorer = (void *)sigsys_restorer,
        .mask = STUB_HANDLER_MASK,
    };
    long r = raw4(__NR_rt_sigaction, K_SIGSYS, &act, 0, 8);
    if (r)
        return r;
    act.handler = (void *)doorbell_handler;
    act.flags |= SA_RESTART;
    return raw4(__NR_rt_sigaction, GTS_DOORBELL_SIGNAL, &act, 0, 8);
}
