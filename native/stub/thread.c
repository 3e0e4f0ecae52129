/*
 * Threads: clone and clone3 with CLONE_VM|CLONE_THREAD. The worker grants the tid (from the
 * instance's pid space) and the thread's own channel; the stub makes the host thread. It starts
 * in the stub, on a stack in its block, points %gs at the block, and enters the app with
 * rt_sigreturn from a frame made of the parent's trap: every register as the parent had it but
 * rax (0) and the stack it was given, the parent's FPU state, the app's signal mask, and the
 * TLS (CLONE_SETTLS) the host set.
 *
 * Each thread's block (struct stub_thread) lies in the stub's window, where the app cannot map
 * over it; its channel is a host fd after the reserved ones, at the top of the fd space. A thread that exits closes its
 * channel (the worker forgets it) and gives its block back as its very last act.
 */
#include <asm-generic/errno.h>
#include <linux/mman.h>
#include <asm-generic/signal.h>
#include <linux/fcntl.h>
#include <linux/sched.h>

#include "abi.h"
#include "raw.h"
#include "stub.h"
#include "trap.h"
#include "util.h"

_Static_assert(sizeof(struct stub_thread) <= STUB_THREAD_BLOCK, "a thread's block holds its state");

#define K_ARCH_SET_GS 0x1001
#define K_MAP_FIXED_NOREPLACE 0x100000
#define K_SS_DISABLE 2

/* The main thread's block: in the image, set up before anything can trap. */
static struct stub_thread main_thread;

static struct stub_thread *block_of(int slot)
{
    return (struct stub_thread *)(STUB_THREAD_AREA + (unsigned long)slot * STUB_THREAD_BLOCK);
}

int overlaps_thread_blocks(unsigned long addr, unsigned long len)
{
    unsigned long end = addr + len, hi = STUB_THREAD_AREA + STUB_THREADS_MAX * STUB_THREAD_BLOCK;
    return end < addr || (addr < hi && end > STUB_THREAD_AREA);
}

static void set_thread_pointer(struct stub_thread *t)
{
    long r = raw2(__NR_arch_prctl, K_ARCH_SET_GS, t);
    if (r)
        stub_die("arch_prctl(ARCH_SET_GS)", r);
}

void thread_init_main(int host_tid)
{
    main_thread.self = &main_thread;
    main_thread.channel_fd = g_stub.main_channel_fd;
    main_thread.host_tid = host_tid;
    main_thread.vtid = g_stub.vpid;
    main_thread.slot = -1;
    set_thread_pointer(&main_thread);
}

/* A free block, mapped: its slot, or -EAGAIN. A block given back stays mapped for the next. */
static int take_block(void)
{
    for (int i = 0; i < g_stub.thread_slots; i++) {
        int free = 0;
        if (!__atomic_compare_exchange_n(&g_stub.thread_slot_used[i], &free, 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
            continue;
        long p = raw6(__NR_mmap, block_of(i), STUB_THREAD_BLOCK, PROT_READ | PROT_WRITE,
                      MAP_PRIVATE | MAP_ANONYMOUS | K_MAP_FIXED_NOREPLACE, -1, 0);
        if (p == (long)block_of(i) || p == -EEXIST)
            return i;
        __atomic_store_n(&g_stub.thread_slot_used[i], 0, __ATOMIC_RELEASE);
        return -EAGAIN;
    }
    return -EAGAIN;
}

static void give_back_block(int slot) { __atomic_store_n(&g_stub.thread_slot_used[slot], 0, __ATOMIC_RELEASE); }

/* The host tid of thread `vtid` of this process, or -ESRCH. */
long thread_host_tid(int vtid)
{
    if (vtid == current_thread()->vtid)
        return current_thread()->host_tid;
    if (vtid == main_thread.vtid)
        return main_thread.host_tid;
    for (int i = 0; i < STUB_THREADS_MAX; i++)
        if (__atomic_load_n(&g_stub.thread_slot_used[i], __ATOMIC_ACQUIRE) && block_of(i)->vtid == vtid && block_of(i)->host_tid > 0)
            return block_of(i)->host_tid;
    return -ESRCH;
}

/*
 * clone(flags, stack, parent_tid, child_tid, tls) on the host, the child starting on `stack`
 * with thread_start(block). Returns the child's host tid in the parent, or -errno.
 */
extern long thread_clone(unsigned long flags, void *stack, int *child_tid, unsigned long tls, struct stub_thread *t)
    __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl thread_clone\n"
        "thread_clone:\n\t"
        "mov %rdx, %r10\n\t" /* child_tid */
        "mov %r8, %r9\n\t"   /* the block: kept across the syscall, for the child */
        "mov %rcx, %r8\n\t"  /* tls */
        "xor %edx, %edx\n\t" /* parent_tid: written by the stub, with the virtual tid */
        "mov $56, %eax\n\t"  /* clone */
        "syscall\n\t"
        "test %rax, %rax\n\t"
        "jnz 1f\n\t"
        "xor %ebp, %ebp\n\t"
        "mov %r9, %rdi\n\t"
        "call thread_start\n\t"
        "hlt\n"
        "1:\n\t"
        "ret\n");

/* Into the app: the frame's registers, signal mask and FPU state, as a signal handler returns. */
extern __attribute__((noreturn)) void thread_enter_app(struct k_ucontext *uc) __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl thread_enter_app\n"
        "thread_enter_app:\n\t"
        "mov %rdi, %rsp\n\t" /* rt_sigreturn reads the frame from the stack, past its return address */
        "mov $15, %eax\n\t"
        "syscall\n\t"
        "hlt\n");

/* The new thread, on its block's stack, every signal blocked (as its parent in the trap). */
__attribute__((noreturn, used)) void thread_start(struct stub_thread *t)
{
    set_thread_pointer(t);
    t->host_tid = (int)raw0(__NR_gettid);
    if (t->start_child_tid)
        copy_to_app(t->start_child_tid, &t->vtid, sizeof(t->vtid));
    thread_enter_app(&t->start_frame.uc);
}

#define THREAD_FLAGS_NEEDED (CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD)
#define THREAD_FLAGS_KNOWN                                                                                   \
    (THREAD_FLAGS_NEEDED | CLONE_SYSVSEM | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |     \
     CLONE_CHILD_CLEARTID | CLONE_DETACHED | CSIGNAL)

struct clone_request {
    unsigned long flags, tls;
    unsigned long stack; /* its top; 0: the parent's */
    int *parent_tid, *child_tid;
};

/* clone3's struct clone_args (the first version's fields) */
struct k_clone_args {
    unsigned long flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

static long read_clone_request(long nr, const long *a, struct clone_request *c)
{
    if (nr == __NR_clone) {
        *c = (struct clone_request){(unsigned long)a[0], (unsigned long)a[4], (unsigned long)a[1], (int *)a[2], (int *)a[3]};
        return 0;
    }
    struct k_clone_args args = {0};
    if ((unsigned long)a[1] < sizeof(args) || (unsigned long)a[1] > 4096)
        return -EINVAL;
    long r = copy_from_app(&args, (const void *)a[0], sizeof(args));
    if (r)
        return r;
    if (args.exit_signal > 64 || (args.flags & CSIGNAL) || (args.stack && !args.stack_size))
        return -EINVAL;
    *c = (struct clone_request){args.flags | args.exit_signal, args.tls, args.stack ? args.stack + args.stack_size : 0,
                                (int *)args.parent_tid, (int *)args.child_tid};
    return 0;
}

/* The parent: the worker's tid and channel, the new thread's block and frame, the host clone. */
long stub_clone_thread(long nr, const long *a, void *ip, struct k_ucontext *uc)
{
    struct clone_request c;
    long r = read_clone_request(nr, a, &c);
    if (r)
        return r;
    if (!(c.flags & CLONE_THREAD)) {
        /* a process: fork (clone3 goes back to clone, as glibc does when the kernel lacks clone3) */
        if (nr == __NR_clone3)
            return -ENOSYS;
        return (c.flags & CLONE_VM) && !(c.flags & CLONE_VFORK) ? -EINVAL : STUB_CLONE_IS_FORK;
    }
    if ((c.flags & THREAD_FLAGS_NEEDED) != THREAD_FLAGS_NEEDED || (c.flags & ~(unsigned long)THREAD_FLAGS_KNOWN))
        return -EINVAL; /* a thread with its own files or fs, or namespaces: not supported */

    int slot = take_block();
    if (slot < 0)
        return slot;
    struct stub_thread *t = block_of(slot);
    struct gts_reply reply;
    int fd = -1;
    int nfds = call_worker(nr, a, ip, &reply, 0, 0, &fd, 1);
    if (reply.ret < 0 || !(reply.flags & GTS_REPLY_THREAD) || nfds != 1) {
        if (nfds)
            raw1(__NR_close, fd);
        give_back_block(slot);
        return reply.ret < 0 ? reply.ret : -EIO;
    }
    int vtid = (int)reply.ret;
    int channel = g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST + slot;
    r = place_fd(fd, channel, O_CLOEXEC); /* an exec ends the other threads, and their channels */
    raw1(__NR_close, fd);
    if (r < 0) {
        give_back_block(slot); /* the worker sees the channel close: the tid goes back */
        return -EAGAIN;
    }

    t->self = t;
    t->channel_fd = channel;
    t->host_tid = 0;
    t->vtid = vtid;
    t->slot = slot;
    t->seq = 0;
    t->doorbell_rang = t->doorbell_due = 0;
    t->start_child_tid = (c.flags & CLONE_CHILD_SETTID) ? c.child_tid : 0;
    struct k_ucontext *f = &t->start_frame.uc;
    memcpy(f, uc, sizeof(*f));
    f->uc_mcontext.rax = 0;
    if (c.stack)
        f->uc_mcontext.rsp = c.stack;
    f->uc_sigmask = app_sigmask(uc);
    f->uc_stack.ss_sp = 0;
    f->uc_stack.ss_flags = K_SS_DISABLE; /* a new thread has no alternate signal stack */
    f->uc_stack.ss_size = 0;
    r = keep_fpstate(f, t->fpstate);
    if (r >= 0 && (c.flags & CLONE_PARENT_SETTID))
        r = copy_to_app(c.parent_tid, &vtid, sizeof(vtid)); /* before the thread runs, as the kernel does */
    if (r < 0) {
        raw1(__NR_close, channel);
        give_back_block(slot);
        return r;
    }

    unsigned long host_flags = c.flags & ~(unsigned long)(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CSIGNAL);
    long new_tid = thread_clone(host_flags, t->start_stack + sizeof(t->start_stack),
                                 (c.flags & CLONE_CHILD_CLEARTID) ? c.child_tid : 0,
                                 (c.flags & CLONE_SETTLS) ? c.tls : 0, t);
    if (new_tid < 0) {
        raw1(__NR_close, channel);
        give_back_block(slot);
        return new_tid;
    }
    struct gts_request started = {GTS_REQ_THREAD_STARTED, (uint32_t)host_tid(), 0, {(uint64_t)new_tid, (uint64_t)vtid}, 0, 0};
    channel_send(channel_for_current_thread(), &started, sizeof(started));
    return vtid;
}

/* Give the block back and exit, touching nothing of the block after the store. */
extern __attribute__((noreturn)) void thread_release_and_exit(volatile int *slot_used, long status)
    __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl thread_release_and_exit\n"
        "thread_release_and_exit:\n\t"
        "movl $0, (%rdi)\n\t"
        "mov %rsi, %rdi\n\t"
        "mov $60, %eax\n\t" /* exit */
        "syscall\n\t"
        "hlt\n");

long stub_thread_exit(long status)
{
    struct stub_thread *t = current_thread();
    if (t->channel_fd != g_stub.main_channel_fd && t->slot >= 0) {
        raw1(__NR_close, t->channel_fd); /* the worker forgets the thread */
        thread_release_and_exit(&g_stub.thread_slot_used[t->slot], status);
    }
    /*
     * The main thread: the process (and its channel) lives on while other threads run. The
     * worker rings another thread's doorbell for the process's signals from now on.
     */
    struct gts_request exiting = {GTS_REQ_MAIN_THREAD_EXITS, (uint32_t)t->host_tid, 0, {0}, 0, 0};
    channel_send(t->channel_fd, &exiting, sizeof(exiting));
    return raw1(__NR_exit, status);
}

void thread_forked_child(int vpid, int host_tid)
{
    struct stub_thread *t = current_thread();
    /* the caller is the only thread: the others' blocks are free (the caller's stays its own) */
    for (int i = 0; i < STUB_THREADS_MAX; i++)
        if (i != t->slot)
            g_stub.thread_slot_used[i] = 0;
    raw3(__NR_close_range, g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST, ~0U, 0);
    t->channel_fd = g_stub.main_channel_fd;
    t->host_tid = host_tid;
    t->vtid = vpid;
    if (t != &main_thread) {
        main_thread.vtid = 0; /* not a thread of this process */
        main_thread.host_tid = 0;
    }
}

long sys_arch_prctl(const long *a)
{
    switch (a[0]) {
    case K_ARCH_SET_GS:
        return -EPERM; /* %gs is the stub's */
    case 0x1004: /* ARCH_GET_GS: the app's is 0 */
        return copy_to_app((void *)a[1], &(unsigned long){0}, sizeof(unsigned long));
    default:
        return raw2(__NR_arch_prctl, a[0], a[1]);
    }
}
