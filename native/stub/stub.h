/* State shared by the stub's modules. Everything lives in the stub's own pages: no TLS. */
#ifndef GRAMINE_TS_STUB_H
#define GRAMINE_TS_STUB_H

#include <stdint.h>

#include "abi.h"
#include "raw.h"
#include "trap.h"

/* Linker-provided bounds of the stub image (fixed address, see Makefile). */
extern char __executable_start[], etext[], _end[] __attribute__((visibility("hidden")));

#define STUB_WINDOW_HI (GTS_STUB_WINDOW >> 32) /* high 32 bits of every stub address */
/* the blocks of the app's threads (struct stub_thread), in the stub's window: the app cannot map over them */
#define STUB_THREAD_AREA (GTS_STUB_WINDOW + GTS_STUB_WINDOW_SIZE / 2)
#define STUB_THREAD_BLOCK 0x40000UL /* 256 KiB each, mapped when a thread is born */
#define STUB_THREADS_MAX GTS_THREAD_CHANNELS_MAX
_Static_assert(STUB_BASE == GTS_STUB_WINDOW, "the Makefile links the stub at the start of its window");
_Static_assert(STUB_THREADS_MAX * STUB_THREAD_BLOCK <= GTS_STUB_WINDOW_SIZE / 2, "the thread blocks fit in the window");

struct stub_state {
    int vpid;               /* virtual pid of this process, from the worker */
    int host_pid;           /* the process's host pid (its main thread's host tid) */
    int reserved_fd_base;   /* first host fd reserved for the stub */
    int main_channel_fd;
    int trace;                                /* trace mode (GTS_HELLO_TRACE) */
    int strace;                               /* strace mode (GTS_HELLO_STRACE) */
    int app_identity;                         /* host uid GTS_APP_HOST_ID (GTS_HELLO_APP_IDENTITY) */
    long host_ids[4];                         /* the process's host uid, euid, gid, egid (they do not change) */
    volatile int cwd_beneath;                 /* relative paths resolve below the cwd (GTS_HELLO_CWD_BENEATH) */
    volatile int cwd_writes;                  /* ...which lies in a mount of GTS_PATH_STUB_WRITES */
    unsigned int umask;                       /* the process's, which is its host one too (GTS_HELLO_REPLY's) */
    /* the parent's vpid and host pid (0: not known): getppid's answer while the host names that parent */
    int ppid, parent_host_pid;
    char abstract_prefix[GTS_ABSTRACT_PREFIX_LEN]; /* the instance's, in its abstract socket names */
    unsigned char traced[64];                 /* trace mode: syscalls seen, one bit each */
    int thread_slots;       /* threads but the main one the process can have (their channels' fds) */
    volatile int thread_slots_high; /* one past the highest slot ever claimed: no thread channel lies beyond */
    /* a forked child that has said nothing yet: its FORKED goes first, with what it says first (channel.c) */
    volatile int fork_untold;
    /* this image was exec'd by the stub alone (local_exec.c): its worker hears of it first (channel.c) */
    volatile int exec_untold;
    /* the stub set the umask alone: its worker (or the leader, holding it) hears of it with its next word (channel.c) */
    volatile int umask_untold;
    const char *untold_execfn;
    unsigned long untold_execfn_len;
    volatile int threads_live; /* threads but the main one, made and not yet exited */
    /* process.c: the standbys the next forks may use alone (fds in the prefetch slots), vpid 0: none there */
    struct {
        int vpid;
        int cpu; /* its worker-to-be's CPU, or -1 */
    } prefetch[GTS_PREFETCH_MAX];
    volatile int children_running; /* forked and not reaped by a wait of the stub's (a burst: its children spread over the CPUs) */
    /* the seqs of the FORKED_LOCALLYs whose replies are still to be read (0: none), oldest first */
    unsigned long prefetch_owed[GTS_PREFETCH_MAX];
    unsigned long seq;      /* last request sequence number, on any channel */
    volatile int lock;      /* what the app's threads share in the stub: dispositions, signalfd slots */
    int faults_maybe_blocked; /* the app set a mask blocking SIGSEGV or SIGBUS (patch.c) */
    volatile int thread_slot_used[STUB_THREADS_MAX]; /* thread.c: which thread blocks are taken */
};

extern struct stub_state g_stub;

/*
 * A signal mask the app set or may run with (its own, a handler's, a wait's): once one blocks
 * SIGSEGV or SIGBUS, a fault in a direct call's copy could not be recovered (patch.c), so none
 * is made again.
 */
static inline void note_app_mask(unsigned long mask)
{
    if (mask & (SIGBIT(K_SIGSEGV) | SIGBIT(K_SIGBUS)))
        __atomic_store_n(&g_stub.faults_maybe_blocked, 1, __ATOMIC_RELAXED);
}

#define STUB_PATH_MAX 4096
#define STUB_CONTROL_MAX 16384 /* control data the stub reads (the kernel's optmem_max is larger) */
#define STUB_UIO_MAXIOV 1024
#define STUB_SIGNALFD_RECORDS 16
#define STUB_SIGNALFD_RECORD 128 /* struct signalfd_siginfo */

/*
 * The state of one app thread in the stub (thread.c says how a thread finds its own). Nothing a
 * trap of one thread uses lives where another thread's trap could use it at the same time:
 * scratch buffers too big for the app's stack are here, one set each.
 */
struct stub_thread {
    int channel_fd;             /* this thread's channel to the worker */
    int host_tid;
    int vtid;                   /* the tid the app sees (the vpid, for the main thread) */
    int slot;                   /* thread.c: index of this block, -1 for the main thread's */
    /* what the doorbell did during the last with_app_mask: it rang; the handlers it made due */
    volatile int doorbell_rang, doorbell_due;
    /* trap.c: the kernel's xsave area of a trap, moved aside before a gadget frame goes there */
    char fpstate[16384] __attribute__((aligned(64)));
    const char *trap_xsave;              /* where the kernel had put it, and its size */
    unsigned long trap_xsave_size;
    /* trap.c: the doorbell's signals (struct gts_signals_reply and its siginfos) */
    char signal_infos[8 + GTS_SIGNALS_MAX * GTS_SIGINFO_SIZE] __attribute__((aligned(8)));
    char signalfd_records[STUB_SIGNALFD_RECORDS * STUB_SIGNALFD_RECORD]; /* signalfd.c */
    struct path_scratch {
        char path[STUB_PATH_MAX], canon[STUB_PATH_MAX];
        char link[STUB_PATH_MAX]; /* open_following: the path being opened, then a symlink's target */
        int stub_opens; /* the path open_beneath resolved lies in a mount of GTS_PATH_STUB_OPENS */
        int stub_writes; /* ...of GTS_PATH_STUB_WRITES */
    } trap_paths, direct_paths;                                           /* paths.c */
    int direct_busy; /* patch.c: a direct call is running (one a signal interrupts traps instead) */
    unsigned long direct_frame; /* patch.c: where its frame is */
    unsigned char control[STUB_CONTROL_MAX];                              /* net.c */
    struct k_mmsghdr mmsg_before[STUB_UIO_MAXIOV], mmsg_after[STUB_UIO_MAXIOV]; /* net.c */
    /* thread.c: a new thread's first moments, until it is in the app with its registers */
    int *start_child_tid; /* CLONE_CHILD_SETTID: where the thread writes its tid */
    struct {
        void *pretcode; /* rt_sigreturn reads the frame from here on */
        struct k_ucontext uc;
        char info[128];
    } start_frame;
    char start_stack[4096] __attribute__((aligned(16)));
};

/* thread.c: the main thread's state, and the calling thread's when the process has others */
extern struct stub_thread g_main_thread;
struct stub_thread *thread_lookup_self(void);

/*
 * The calling thread's state. A process with one thread needs no look-up; one with others
 * asks the kernel which thread it is (a register of the stub's own, %gs, would cost every
 * context switch of every thread an MSR write on a CPU without FSGSBASE: twice the cost of a
 * futex ping-pong there).
 */
static inline struct stub_thread *current_thread(void)
{
    if (__atomic_load_n(&g_stub.threads_live, __ATOMIC_ACQUIRE) == 0)
        return &g_main_thread;
    return thread_lookup_self();
}

/* The calling thread's host tid, and the process's host pid: kept rather than asked of the kernel. */
static inline int host_tid(void) { return current_thread()->host_tid; }
static inline int host_pid(void) { return g_stub.host_pid; }

/*
 * An fd at or above the reserved base (not a negative one): the stub's, never the app's (fd
 * arguments are C ints: the low 32 bits count).
 */
static inline int is_reserved_fd(long arg)
{
    unsigned int fd = (unsigned int)arg;
    return fd >= (unsigned int)g_stub.reserved_fd_base && fd < 0x80000000u;
}

/* seccomp.c */
/* trace mode traps everything but rt_sigreturn, so that every syscall can be recorded */
long install_seccomp_filter(int trace, int landlocked);
/* stacked once a signalfd needs the stub to read it: reads of the signalfd slots trap */
long install_signalfd_filter(void);
int is_native_syscall(long nr);
/* a data-plane call that names one of the stub's reserved fds (the app gets EBADF) */
int native_call_names_reserved_fd(long nr, const long *a);
/* Is ioctl command `cmd` one the filter traps, for the worker to make or refuse? */
int ioctl_traps(unsigned long cmd);

/* sandbox.c: the kernel boundary of the instance's app processes, entered by its first one */
long enter_sandbox(int app_identity);
void enter_instance_tree(int root, int cwd);

/* channel.c */
struct gts_reply;
/* Send a request on the calling thread's channel and wait for the reply; -errno on failure. */
long channel_call(int fd, const void *req, unsigned long req_len, struct gts_reply *reply,
                  void *data, unsigned long data_cap, int *fds, int max_fds);
static inline int channel_for_current_thread(void) { return current_thread()->channel_fd; }
/* A message that gets no reply. */
void channel_send(int fd, const void *req, unsigned long req_len);
struct gts_request;
/* A request on the main channel whose reply is read when it has come (FORKED_LOCALLY's: channel_take_owed). */
void channel_send_owing(struct gts_request *req);
/* Take the reply to FORKED_LOCALLY the main channel still owes, if it has come (process.c takes its prefetch). */
void channel_take_owed(void);
/* The same, waiting for it a little (a fork would use what it brings). */
void channel_await_owed(void);
/* One reply-shaped packet and its fds (close-on-exec): the count of fds, or -1. */
int channel_receive(int fd, struct gts_reply *reply, void *data, unsigned long data_cap, int *fds, int max_fds);
/* A HELLO reply's fds at most: the program, its interpreter, the tree's root and cwd, a standby's two, the mounts' roots */
#define STUB_HELLO_FDS (6 + GTS_PATH_TABLE_MAX)
/* A HELLO reply's payload at most: the reply, AT_EXECFN, the cwd, the path table (main.c, local_exec.c) */
#define STUB_HELLO_MAX (4096 + 2 * STUB_PATH_MAX + 2 * GTS_PATH_TABLE_MAX * (64 + GTS_PATH_PREFIX_MAX + 8))

/* thread.c: threads (clone with CLONE_VM|CLONE_THREAD), their exit, and the blocks they use */
void thread_init_main(int host_tid);
/* clone, clone3: a thread; STUB_CLONE_IS_FORK for a process (clone), or -errno */
#define STUB_CLONE_IS_FORK (-4098L) /* not an errno */
long stub_clone_thread(long nr, const long *a, struct k_ucontext *uc);
/* the host tid of thread `vtid` of this process, or -ESRCH */
long thread_host_tid(int vtid);
long stub_thread_exit(long status);
/* a forked child: the caller is its only thread, now the main one, on `channel_fd` */
void thread_forked_child(int vpid, int host_tid);
/* is [addr, addr + len) in the stub's thread blocks? */
int overlaps_thread_blocks(unsigned long addr, unsigned long len);

/* trap.c */
long install_sigsys_handler(void);
/* trace mode: hand the bitmap of syscalls seen to the worker (before the process exits) */
void flush_trace(void);

#endif
