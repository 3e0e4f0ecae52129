/*
 * The app's blocking waits that a signal ends without restarting: pause, rt_sigsuspend, the
 * poll, select and epoll waits. Linux never wakes them for a signal that is blocked or
 * ignored, and ends them with EINTR after a handler. A signal from another process reaches the
 * app through the doorbell, itself a handler: had such a wait been made natively, the doorbell
 * would end it with EINTR and the call's number would be lost by then.
 *
 * So the SIGSYS handler runs them from a gadget in the stub's text, once the trap has returned
 * to the app's context and mask: the gadget's frame on the app's stack (below its red zone,
 * where the trap's xsave area was: see write_below_red_zone) keeps the call's number, its
 * deadline, and the app's argument registers. The doorbell, finding it ended one with EINTR,
 * restarts it (what is left of its time) unless a handler of the signals it raised is due, as
 * Linux would have done; one that rings before the call starts ends it only then.
 *
 * A call that takes a signal mask (ppoll, pselect6, epoll_pwait, epoll_pwait2, rt_sigsuspend)
 * waits with a copy of it without the stub's own signals. When the doorbell interrupts one, it
 * holds the raised signals back (blocks them in the context it returns to) and restarts the
 * call: the call's own mask decides, during the call, whether they end it. The gadget puts the
 * app's mask back once the call returns, and what was held back is delivered then.
 */
#include <stddef.h>
#include <asm-generic/errno.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

#define NS 1000000000L

struct wait_frame {
    unsigned long ret_to_app;
    unsigned long nr;
    long deadline_ns;      /* a relative timeout the kernel does not count down; 0: none */
    unsigned long regs[6]; /* rdi rsi rdx r10 r8 r9 as the app made the call */
    unsigned long masked;  /* the call waits with `mask` */
    unsigned long restore; /* the doorbell held signals back: put `app_mask` back after */
    unsigned long app_mask;
    unsigned long mask;
    struct {
        unsigned long set, size;
    } pselect_sigarg;     /* pselect6's sixth argument, pointing at `mask` */
    struct k_timespec ts; /* epoll_pwait2's timeout (counted down on a restart), or a poll's as ppoll's */
    unsigned long rax;    /* the call's result while the mask is put back */
};

/* the gadget's view of the frame */
#define FRAME_BYTES WAIT_FRAME_BYTES
#define FRAME_REGS 24
#define FRAME_RESTORE 80
#define FRAME_APP_MASK 88
#define FRAME_RAX 136
_Static_assert(sizeof(struct wait_frame) == FRAME_BYTES, "frame size");
_Static_assert(offsetof(struct wait_frame, regs) == FRAME_REGS, "regs");
_Static_assert(offsetof(struct wait_frame, restore) == FRAME_RESTORE, "restore");
_Static_assert(offsetof(struct wait_frame, app_mask) == FRAME_APP_MASK, "app_mask");
_Static_assert(offsetof(struct wait_frame, rax) == FRAME_RAX, "rax");
#define S_(x) #x
#define S(x) S_(x)
#define AT(off) S(off) "(%rsp)"

/*
 * syscall; if the doorbell held signals back, rt_sigprocmask(SIG_SETMASK, app_mask) (the call's
 * result kept aside); the app's argument registers back; return to the app with its rsp as it
 * was (the return address and the frame popped, and the red zone skipped).
 */
extern void wait_gadget(void) __attribute__((visibility("hidden")));
extern void wait_gadget_resume(void) __attribute__((visibility("hidden")));
extern void wait_gadget_end(void) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl wait_gadget, wait_gadget_resume, wait_gadget_end\n"
        "wait_gadget:\n\t"
        "syscall\n"
        "wait_gadget_resume:\n\t"
        "cmpq $0, " AT(FRAME_RESTORE) "\n\t"
        "je 1f\n\t"
        "mov %rax, " AT(FRAME_RAX) "\n\t"
        "mov $14, %eax\n\t" /* rt_sigprocmask */
        "mov $2, %edi\n\t"  /* SIG_SETMASK */
        "lea " AT(FRAME_APP_MASK) ", %rsi\n\t"
        "xor %edx, %edx\n\t"
        "mov $8, %r10d\n\t"
        "syscall\n\t"
        "mov " AT(FRAME_RAX) ", %rax\n"
        "1:\n\t"
        "mov " AT(FRAME_REGS) ", %rdi\n\t"
        "mov " AT(FRAME_REGS + 8) ", %rsi\n\t"
        "mov " AT(FRAME_REGS + 16) ", %rdx\n\t"
        "mov " AT(FRAME_REGS + 24) ", %r10\n\t"
        "mov " AT(FRAME_REGS + 32) ", %r8\n\t"
        "mov " AT(FRAME_REGS + 40) ", %r9\n\t"
        "ret $(" S(RED_ZONE) " + " S(FRAME_BYTES) " - 8)\n"
        "wait_gadget_end:\n");

/* Where each wait keeps its timeout and its mask (argument numbers; -1: none). */
struct wait_shape {
    long nr;
    signed char timeout_ms;   /* an int of milliseconds, negative for none */
    signed char timeout_ts;   /* a timespec the kernel does not count down */
    signed char mask, size;   /* a sigset and its size */
    signed char pselect_arg;  /* pselect6: a pointer to {sigset, size} */
    signed char epoll_fd;
};

static const struct wait_shape shapes[] = {
    {__NR_pause, -1, -1, -1, -1, -1, -1},
    {__NR_rt_sigsuspend, -1, -1, 0, 1, -1, -1},
    {__NR_poll, -1, -1, -1, -1, -1, -1}, /* one with a timeout is made as ppoll */
    {__NR_ppoll, -1, -1, 3, 4, -1, -1},
    {__NR_select, -1, -1, -1, -1, -1, -1},
    {__NR_pselect6, -1, -1, -1, -1, 5, -1},
    {__NR_epoll_wait, 3, -1, -1, -1, -1, 0},
    {__NR_epoll_pwait, 3, -1, 4, 5, -1, 0},
    {__NR_epoll_pwait2, -1, 3, 4, 5, -1, 0},
};

static const struct wait_shape *shape_of(long nr)
{
    for (unsigned i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++)
        if (shapes[i].nr == nr)
            return &shapes[i];
    return 0;
}

/* The app's mask argument, copied without the stub's signals into the frame: 1 if there is one. */
static long take_mask(struct wait_frame *f, unsigned long set, unsigned long size)
{
    if (!set || size != 8)
        return 0; /* none, or the kernel's EINVAL */
    long r = copy_from_app(&f->mask, (const void *)set, 8);
    if (r)
        return r;
    f->mask &= ~RESERVED_SIGNALS;
    note_app_mask(f->mask);
    f->masked = 1;
    return 1;
}

static unsigned long frame_address(const struct wait_frame *f, unsigned long sp, const void *field)
{
    return sp + (unsigned long)((const char *)field - (const char *)f);
}

/*
 * A wait whose answer is there already needs no gadget: asked once without waiting, a poll or
 * epoll wait that finds something ready (or fails) is answered at once. Only for the calls
 * without a mask or timespec, whose pointers the real call would read first (and refuse).
 * Returns 0 when the wait must be made.
 */
static long ready_without_waiting(long nr, const long *a)
{
    switch (nr) {
    case __NR_poll:
        return raw3(__NR_poll, a[0], a[1], 0);
    case __NR_epoll_wait:
        return raw4(__NR_epoll_wait, a[0], a[1], a[2], 0);
    case __NR_epoll_pwait:
        return a[4] ? 0 : raw4(__NR_epoll_wait, a[0], a[1], a[2], 0);
    default:
        return 0;
    }
}

long wait_answered_now(long nr, const long *a)
{
    const struct wait_shape *w = shape_of(nr);
    if (!w)
        return 0;
    if (w->epoll_fd >= 0 && is_reserved_fd(a[w->epoll_fd]))
        return -EBADF;
    return ready_without_waiting(nr, a);
}

/*
 * The frame of a wait that must wait, for an app whose stack pointer was `app_rsp` at a call
 * that returns to `ret_ip`: the frame (to be written at app_rsp - RED_ZONE - FRAME_BYTES) and the
 * arguments the gadget makes the call with. 0, or the call's error.
 */
static long prepare_wait(long nr, const long *a, unsigned long app_rsp, unsigned long ret_ip, struct wait_frame *f,
                         long args[6])
{
    const struct wait_shape *w = shape_of(nr);
    unsigned long sp = app_rsp - RED_ZONE - sizeof(*f);
    long got = 0;
    if (!w)
        return -ENOSYS;
    *f = (struct wait_frame){.ret_to_app = ret_ip, .nr = (unsigned long)nr};
    for (int i = 0; i < 6; i++)
        f->regs[i] = (unsigned long)(args[i] = a[i]);
    if (nr == __NR_rt_sigsuspend && a[1] != 8)
        return -EINVAL;
    if (w->mask >= 0) {
        got = take_mask(f, (unsigned long)a[w->mask], (unsigned long)a[w->size]);
        if (got > 0)
            args[w->mask] = (long)frame_address(f, sp, &f->mask);
    } else if (w->pselect_arg >= 0 && a[w->pselect_arg]) {
        long e = copy_from_app(&f->pselect_sigarg, (const void *)a[w->pselect_arg], sizeof(f->pselect_sigarg));
        if (e)
            return e;
        got = take_mask(f, f->pselect_sigarg.set, f->pselect_sigarg.size);
        if (got > 0) {
            f->pselect_sigarg.set = frame_address(f, sp, &f->mask);
            args[w->pselect_arg] = (long)frame_address(f, sp, &f->pselect_sigarg);
        }
    }
    if (got < 0)
        return got;
    if (nr == __NR_poll && (int)a[2] > 0) {
        /* as ppoll, whose timespec the kernel counts down itself: no clock read here */
        f->nr = __NR_ppoll;
        f->ts.tv_sec = (int)a[2] / 1000;
        f->ts.tv_nsec = (int)a[2] % 1000 * 1000000L;
        args[2] = (long)frame_address(f, sp, &f->ts);
        args[3] = 0; /* no mask */
        args[4] = 8;
    } else if (w->timeout_ms >= 0 && (int)a[w->timeout_ms] > 0) {
        f->deadline_ns = now_ns() + (int)a[w->timeout_ms] * 1000000L;
    }
    if (w->timeout_ts >= 0 && a[w->timeout_ts]) {
        long e = copy_from_app(&f->ts, (const void *)a[w->timeout_ts], sizeof(f->ts));
        if (e)
            return e;
        /* an invalid one is left to the kernel, which refuses it */
        if (f->ts.tv_sec >= 0 && f->ts.tv_nsec >= 0 && f->ts.tv_nsec < NS && (f->ts.tv_sec || f->ts.tv_nsec)) {
            f->deadline_ns = now_ns() + f->ts.tv_sec * NS + f->ts.tv_nsec;
            args[w->timeout_ts] = (long)frame_address(f, sp, &f->ts);
        }
    }
    return 0;
}

long stub_wait_call(long nr, const long *a, struct k_ucontext *uc)
{
    struct sigcontext *r = &uc->uc_mcontext;
    long ready = wait_answered_now(nr, a);
    if (ready)
        return ready;
    struct wait_frame f;
    long args[6];
    long e = prepare_wait(nr, a, r->rsp, r->rip, &f, args);
    unsigned long sp = r->rsp - RED_ZONE - sizeof(f);
    if (e || (e = write_below_red_zone(uc, (void *)sp, &f, sizeof(f))))
        return e;
    r->rdi = (unsigned long)args[0];
    r->rsi = (unsigned long)args[1];
    r->rdx = (unsigned long)args[2];
    r->r10 = (unsigned long)args[3];
    r->r8 = (unsigned long)args[4];
    r->r9 = (unsigned long)args[5];
    r->rsp = sp;
    r->rip = (unsigned long)wait_gadget;
    return (long)f.nr; /* lands in rax: the gadget's syscall number */
}

long direct_wait_call(long nr, const long *a, unsigned long app_rsp, unsigned long ret_ip, long args[6])
{
    struct wait_frame f;
    long e = prepare_wait(nr, a, app_rsp, ret_ip, &f, args);
    if (e)
        return e;
    /* below the red zone, where the trampoline left room: nothing of the stub's is there */
    memcpy((void *)(app_rsp - RED_ZONE - sizeof(f)), &f, sizeof(f));
    return (long)f.nr;
}

unsigned long wait_gadget_address(void) { return (unsigned long)wait_gadget; }

/* Give the restarted call what is left of its time. */
static void count_down(struct wait_frame *f, const struct wait_shape *w, struct k_ucontext *uc)
{
    if (!f->deadline_ns)
        return;
    long left = f->deadline_ns - now_ns();
    if (left < 0)
        left = 0;
    if (w->timeout_ms >= 0) {
        unsigned long ms = (unsigned long)((left + 999999) / 1000000);
        __u64 *regs[6] = {&uc->uc_mcontext.rdi, &uc->uc_mcontext.rsi, &uc->uc_mcontext.rdx,
                          &uc->uc_mcontext.r10, &uc->uc_mcontext.r8, &uc->uc_mcontext.r9};
        *regs[w->timeout_ms] = ms;
    } else {
        f->ts.tv_sec = left / NS;
        f->ts.tv_nsec = left % NS;
    }
}

/* Those of `raised` that the app ignores (SIG_IGN, or a default action of ignoring) */
static unsigned long ignored(unsigned long raised)
{
    const unsigned long ignored_by_default = SIGBIT(K_SIGCHLD) | SIGBIT(K_SIGCONT) | SIGBIT(23) | SIGBIT(28); /* and URG, WINCH */
    unsigned long out = 0;
    for (int s = 1; s <= 64; s++) {
        struct k_sigaction act;
        if (!(raised & SIGBIT(s)) || app_disposition(s, &act))
            continue;
        if ((unsigned long)act.handler == 1 || (!act.handler && (ignored_by_default & SIGBIT(s))))
            out |= SIGBIT(s);
    }
    return out;
}

int wait_gadget_doorbell(struct k_ucontext *uc, unsigned long raised)
{
    unsigned long ip = uc->uc_mcontext.rip;
    int ended = ip == (unsigned long)wait_gadget_resume;
    if (ip < (unsigned long)wait_gadget || ip >= (unsigned long)wait_gadget_end)
        return 0;
    if (ip > (unsigned long)wait_gadget_resume)
        return 1; /* the call is over: what was raised is delivered as after it (its mask put back first) */
    struct wait_frame f;
    void *sp = (void *)uc->uc_mcontext.rsp;
    const struct wait_shape *w;
    if (copy_from_app(&f, sp, sizeof(f)) || !(w = shape_of((long)f.nr)))
        return 1; /* not a frame of ours (the app jumped here): leave it be */
    if (f.masked) {
        /*
         * Held back, so that the call's own mask decides during the call. Not an ignored one:
         * unblocked, it is dropped before the call starts again, as Linux would not have queued it.
         */
        unsigned long hold = raised & ~uc->uc_sigmask & ~UNBLOCKABLE_SIGNALS;
        if (hold)
            hold &= ~ignored(hold);
        if (hold && !f.restore) {
            f.restore = 1;
            f.app_mask = uc->uc_sigmask;
        }
        uc->uc_sigmask |= hold;
    } else if (handlers_due(uc->uc_sigmask, raised)) {
        /*
         * A handler runs next: the call ends with EINTR, as it would have. So too when it has not
         * started (the doorbell rang as the trap returned, or as a restart began): to the app, it
         * is in the call.
         */
        if (!ended) {
            uc->uc_mcontext.rax = (unsigned long)-EINTR;
            uc->uc_mcontext.rip = (unsigned long)wait_gadget_resume;
        }
        return 1;
    }
    /*
     * Ended by the doorbell itself (or, in a window of a few instructions, by an app handler
     * that has just returned: restarted then, as if it had SA_RESTART).
     */
    if (ended && (long)uc->uc_mcontext.rax == -EINTR) {
        count_down(&f, w, uc);
        uc->uc_mcontext.rax = f.nr;
        uc->uc_mcontext.rip = (unsigned long)wait_gadget;
    }
    copy_to_app(sp, &f, sizeof(f));
    return 1;
}
