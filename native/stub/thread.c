/*
 * Threads: clone and clone3 with CLONE_VM|CLONE_THREAD. The worker grants the tid (from the
 * instance's pid space) and the thread's own channel; the stub makes the host thread. It starts
 * in the stub, on a stack in its block, enters itself in the table of threads by host tid, and
 * enters the app with rt_sigreturn from a frame made of the parent's trap: every register as
 * the parent had it but rax (0) and the stack it was given, the parent's FPU state, the app's
 * signal mask, and the TLS (CLONE_SETTLS) the host set.
 *
 * Each thread's block (struct stub_thread) lies in the stub's window, where the app cannot map
 * over it; its channel is a host fd after the reserved ones, at the top of the fd space. A
 * thread that exits says so on its channel (the worker forgets it) and gives its block back as
 * its very last act; the block keeps its channel for the next thread.
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

#define K_MAP_FIXED_NOREPLACE 0x100000
#define K_SS_DISABLE 2

/* The main thread's block: in the image, set up before anything can trap. */
struct stub_thread g_main_thread;

static struct stub_thread *block_of(int slot)
{
    return (struct stub_thread *)(STUB_THREAD_AREA + (unsigned long)slot * STUB_THREAD_BLOCK);
}

int overlaps_thread_blocks(unsigned long addr, unsigned long len)
{
    unsigned long end = addr + len, hi = STUB_THREAD_AREA + STUB_THREADS_MAX * STUB_THREAD_BLOCK;
    return end < addr || (addr < hi && end > STUB_THREAD_AREA);
}

void thread_init_main(int host_tid)
{
    g_main_thread.channel_fd = g_stub.main_channel_fd;
    g_main_thread.host_tid = host_tid;
    g_main_thread.vtid = g_stub.vpid;
    g_main_thread.slot = -1;
}

/*
 * The threads but the main one, by host tid: an open-addressing table of (tid << 32 | slot),
 * 0 for a free entry, a tid of -1 for one given back. Each thread enters itself as it starts
 * and leaves as it exits; any thread may look up at the same time.
 */
#define TID_TABLE 4096 /* a power of 2, well above STUB_THREADS_MAX */
#define TID_GONE 0xffffffffUL
static volatile unsigned long tid_table[TID_TABLE];

static unsigned tid_hash(int tid) { return ((unsigned)tid * 2654435761u) & (TID_TABLE - 1); }

static void tid_enter(int tid, int slot)
{
    unsigned long entry = (unsigned long)(unsigned)tid << 32 | (unsigned)slot;
    for (unsigned h = tid_hash(tid);; h = (h + 1) & (TID_TABLE - 1)) {
        unsigned long e = tid_table[h];
        if ((e == 0 || e >> 32 == TID_GONE) && __atomic_compare_exchange_n(&tid_table[h], &e, entry, 0, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            return;
    }
}

static volatile unsigned long *tid_entry(int tid)
{
    unsigned h = tid_hash(tid);
    for (unsigned n = 0; n < TID_TABLE; n++, h = (h + 1) & (TID_TABLE - 1)) {
        unsigned long e = __atomic_load_n(&tid_table[h], __ATOMIC_ACQUIRE);
        if (e == 0)
            return 0;
        if (e >> 32 == (unsigned)tid)
            return &tid_table[h];
    }
    return 0;
}

struct stub_thread *thread_lookup_self(void)
{
    int tid = (int)raw0(__NR_gettid);
    if (tid == g_stub.host_pid)
        return &g_main_thread;
    volatile unsigned long *e = tid_entry(tid);
    if (!e)
        stub_die("a thread the stub did not make", -3);
    return block_of((int)(*e & 0xffffffffUL));
}

/*
 * The state of a block (g_stub.thread_slot_used): free; a thread's; or free with its channel
 * still open, for the next thread (the worker keeps serving it: no channel to make).
 */
#define SLOT_FREE 0
#define SLOT_USED 1
#define SLOT_IDLE 2

static int claim_slot(int from_state)
{
    for (int i = 0; i < g_stub.thread_slots; i++) {
        int expected = from_state;
        if (__atomic_compare_exchange_n(&g_stub.thread_slot_used[i], &expected, SLOT_USED, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED)) {
            /* before its channel is placed: a fork's child closes the channels below the mark */
            int high = __atomic_load_n(&g_stub.thread_slots_high, __ATOMIC_RELAXED);
            while (high < i + 1 && !__atomic_compare_exchange_n(&g_stub.thread_slots_high, &high, i + 1, 0, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
                ;
            return i;
        }
    }
    return -1;
}

/* A block for a new thread, mapped: its slot (*idle: its channel is open), or -EAGAIN. */
static int take_block(int *idle)
{
    int i = claim_slot(SLOT_IDLE);
    *idle = i >= 0;
    if (i >= 0)
        return i;
    i = claim_slot(SLOT_FREE);
    if (i < 0)
        return -EAGAIN;
    /* a block given back stays mapped for the next thread */
    long p = raw6(__NR_mmap, block_of(i), STUB_THREAD_BLOCK, PROT_READ | PROT_WRITE,
                  MAP_PRIVATE | MAP_ANONYMOUS | K_MAP_FIXED_NOREPLACE, -1, 0);
    if (p == (long)block_of(i) || p == -EEXIST)
        return i;
    __atomic_store_n(&g_stub.thread_slot_used[i], SLOT_FREE, __ATOMIC_RELEASE);
    return -EAGAIN;
}

static void give_back_block(int slot, int state) { __atomic_store_n(&g_stub.thread_slot_used[slot], state, __ATOMIC_RELEASE); }

/* The worker hears that thread `vtid` of the channel in `slot` is gone (exited, or never made). */
static void thread_gone(int slot, int vtid)
{
    struct gts_request gone = {GTS_REQ_THREAD_EXITS, 0, 0, {(uint64_t)vtid}, 0, 0};
    channel_send(g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST + slot, &gone, sizeof(gone));
}

/* The host tid of thread `vtid` of this process, or -ESRCH. */
long thread_host_tid(int vtid)
{
    if (vtid == g_main_thread.vtid)
        return g_main_thread.host_tid;
    for (int i = 0; i < g_stub.thread_slots; i++)
        if (__atomic_load_n(&g_stub.thread_slot_used[i], __ATOMIC_ACQUIRE) == SLOT_USED && block_of(i)->vtid == vtid && block_of(i)->host_tid > 0)
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
    t->host_tid = (int)raw0(__NR_gettid);
    tid_enter(t->host_tid, t->slot);
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
long stub_clone_thread(long nr, const long *a, struct k_ucontext *uc)
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

    int idle;
    int slot = take_block(&idle);
    if (slot < 0)
        return slot;
    struct stub_thread *t = block_of(slot);
    int channel = g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST + slot;
    int fd = -1;
    long vtid = worker_request_fd(GTS_REQ_NEW_THREAD, slot, idle, &fd);
    if (vtid < 0 || (!idle && fd < 0)) {
        if (fd >= 0)
            raw1(__NR_close, fd);
        give_back_block(slot, idle ? SLOT_IDLE : SLOT_FREE);
        return vtid < 0 ? vtid : -EIO;
    }
    if (!idle) {
        r = place_fd(fd, channel, O_CLOEXEC); /* an exec ends the other threads, and their channels */
        raw1(__NR_close, fd);
        if (r < 0) {
            give_back_block(slot, SLOT_FREE); /* the worker sees the channel close: the tid goes back */
            return -EAGAIN;
        }
    }

    t->channel_fd = channel;
    t->host_tid = 0;
    t->vtid = (int)vtid;
    t->slot = slot;
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
        r = copy_to_app(c.parent_tid, &t->vtid, sizeof(t->vtid)); /* before the thread runs, as the kernel does */
    if (r < 0) {
        thread_gone(slot, (int)vtid);
        give_back_block(slot, SLOT_IDLE);
        return r;
    }

    unsigned long host_flags = c.flags & ~(unsigned long)(CLONE_PARENT_SETTID | CLONE_CHILD_SETTID | CLONE_DETACHED | CSIGNAL);
    /* from here on the threads look themselves up (the caller too, if it is the main thread) */
    __atomic_add_fetch(&g_stub.threads_live, 1, __ATOMIC_ACQ_REL);
    long new_tid = thread_clone(host_flags, t->start_stack + sizeof(t->start_stack),
                                 (c.flags & CLONE_CHILD_CLEARTID) ? c.child_tid : 0,
                                 (c.flags & CLONE_SETTLS) ? c.tls : 0, t);
    if (new_tid < 0) {
        __atomic_sub_fetch(&g_stub.threads_live, 1, __ATOMIC_ACQ_REL);
        thread_gone(slot, (int)vtid);
        give_back_block(slot, SLOT_IDLE);
        return new_tid;
    }
    struct gts_request started = {GTS_REQ_THREAD_STARTED, (uint32_t)host_tid(), 0, {(uint64_t)new_tid, (uint64_t)vtid}, 0, 0};
    channel_send(channel_for_current_thread(), &started, sizeof(started));
    return vtid;
}

/*
 * Give the block back and exit: the block idle (its channel open for the next thread), one
 * thread fewer, then the host exit -- nothing of the block touched after the first store.
 */
extern __attribute__((noreturn)) void thread_release_and_exit(volatile int *slot_used, volatile int *threads_live, long status)
    __attribute__((visibility("hidden")));
__asm__(".text\n"
        ".globl thread_release_and_exit\n"
        "thread_release_and_exit:\n\t"
        "movl $2, (%rdi)\n\t" /* SLOT_IDLE */
        "lock decl (%rsi)\n\t"
        "mov %rdx, %rdi\n\t"
        "mov $60, %eax\n\t" /* exit */
        "syscall\n\t"
        "hlt\n");

long stub_thread_exit(long status)
{
    struct stub_thread *t = current_thread();
    if (t != &g_main_thread) {
        thread_gone(t->slot, t->vtid); /* the worker forgets the thread, and keeps its channel */
        volatile unsigned long *e = tid_entry(t->host_tid);
        if (e)
            *e = TID_GONE << 32;
        thread_release_and_exit(&g_stub.thread_slot_used[t->slot], &g_stub.threads_live, status);
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
    /*
     * The caller is the only thread, the main one now: its state moves to the main thread's
     * block (a trap in progress may keep using what it had of its old one, still mapped), and
     * every other block is free.
     */
    if (t != &g_main_thread) {
        g_main_thread.doorbell_rang = t->doorbell_rang;
        g_main_thread.doorbell_due = t->doorbell_due;
    }
    /*
     * Only up to the highest slot ever claimed (none: no thread was ever made, and nothing is to
     * be cleared -- nor copied on write into the child's pages): close_range walks every fd
     * number of its range that the table has room for, and the table reaches far above the
     * reserved fds (~140 us a fork here for a range to ~0U).
     */
    int high = g_stub.thread_slots_high;
    if (high > 0) {
        for (int i = 0; i < high; i++)
            g_stub.thread_slot_used[i] = SLOT_FREE; /* and their channels closed, below */
        for (int i = 0; i < TID_TABLE; i++)
            tid_table[i] = 0;
        raw3(__NR_close_range, g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST,
             (unsigned long)(g_stub.reserved_fd_base + GTS_THREAD_CHANNEL_FIRST + high - 1), 0);
    }
    g_stub.threads_live = 0;
    g_stub.lock = 0; /* a thread that held it is not in the child */
    g_main_thread.channel_fd = g_stub.main_channel_fd;
    g_main_thread.host_tid = host_tid;
    g_main_thread.vtid = vpid;
    g_main_thread.slot = -1;
}
