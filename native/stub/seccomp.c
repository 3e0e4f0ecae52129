/*
 * The seccomp filter: the data plane is allowed outright (so the kernel's action cache skips
 * the filter for it), the stub's own syscall sites are allowed by instruction pointer, memory
 * calls are allowed unless they could touch the stub's window, and everything else traps.
 */
#include <stddef.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <linux/mman.h>
#include <linux/prctl.h>
#include <linux/fcntl.h>
#include <asm-generic/errno-base.h>

#include "raw.h"
#include "abi.h"
#include "stub.h"

#define FD(i) (1u << (i))

/*
 * The data plane: run by the host kernel directly. `fds` marks the arguments that are fds: a
 * call naming one of the stub's reserved fds traps instead (the app gets EBADF, as if the fd
 * were not there). Calls without fd arguments are decided on their number alone, so the
 * kernel's action cache skips the filter for them.
 *
 * read and write are left unchecked on purpose: the cache makes them ~20 ns (8%) cheaper, the
 * hottest calls there are. An app that reads or writes a reserved fd it never opened cannot
 * hurt the channel: requests and replies carry sequence numbers, stray packets are dropped.
 */
static const struct native_syscall {
    unsigned short nr;
    unsigned short fds;
} native_syscalls[] = {
    /* I/O on host fds */
    {__NR_read, 0}, {__NR_write, 0}, {__NR_pread64, FD(0)}, {__NR_pwrite64, FD(0)},
    {__NR_readv, FD(0)}, {__NR_writev, FD(0)}, {__NR_preadv, FD(0)}, {__NR_pwritev, FD(0)},
    {__NR_preadv2, FD(0)}, {__NR_pwritev2, FD(0)}, {__NR_lseek, FD(0)},
    {__NR_sendfile, FD(0) | FD(1)}, {__NR_copy_file_range, FD(0) | FD(2)},
    {__NR_splice, FD(0) | FD(2)}, {__NR_tee, FD(0) | FD(1)}, {__NR_fadvise64, FD(0)},
    {__NR_readahead, FD(0)}, {__NR_syncfs, FD(0)}, {__NR_sync, 0},
    /* not fsync, fdatasync: the worker writes an encrypted file's plaintext copy back (they trap) */
    {__NR_sync_file_range, FD(0)}, {__NR_ftruncate, FD(0)}, {__NR_fallocate, FD(0)},
    {__NR_pipe, 0}, {__NR_pipe2, 0}, {__NR_eventfd, 0}, {__NR_eventfd2, 0},
    {__NR_memfd_create, 0}, {__NR_mq_timedsend, FD(0)}, {__NR_mq_timedreceive, FD(0)}, {__NR_mq_getsetattr, FD(0)},
    {__NR_inotify_init, 0}, {__NR_inotify_init1, 0}, {__NR_inotify_rm_watch, FD(0)},
    /* not fgetxattr, flistxattr: the worker's (a root instance's app process is not host root) */
    {__NR_fstatfs, FD(0)}, {__NR_close, FD(0)}, {__NR_fstat, FD(0)},
    /* file locks: the host keeps them (locks.c) */
    {__NR_flock, FD(0)},
    /* sockets: calls that name no address (those with one are sock_rules, below) */
    {__NR_shutdown, FD(0)}, {__NR_socket, 0}, {__NR_socketpair, 0}, {__NR_listen, FD(0)},
    /* polling (the waits themselves are below) */
    {__NR_epoll_create, 0}, {__NR_epoll_create1, 0}, {__NR_epoll_ctl, FD(0) | FD(2)}, {__NR_futex, 0},
    {__NR_get_robust_list, 0}, {__NR_set_robust_list, 0},
    /* memory without address arguments that could reach the stub */
    {__NR_brk, 0}, {__NR_msync, 0}, {__NR_mincore, 0}, {__NR_mlock, 0}, {__NR_munlock, 0},
    {__NR_mlockall, 0}, {__NR_munlockall, 0}, {__NR_mlock2, 0}, {__NR_membarrier, 0},
    {__NR_pkey_alloc, 0}, {__NR_pkey_free, 0}, {__NR_get_mempolicy, 0}, {__NR_set_mempolicy, 0},
    /* time, scheduling, randomness */
    {__NR_nanosleep, 0}, {__NR_clock_nanosleep, 0}, {__NR_clock_gettime, 0},
    {__NR_clock_getres, 0}, {__NR_gettimeofday, 0}, {__NR_time, 0}, {__NR_sched_yield, 0},
    {__NR_sched_get_priority_max, 0}, {__NR_sched_get_priority_min, 0},
    {__NR_getcpu, 0}, {__NR_getrandom, 0}, {__NR_getrusage, 0},
    {__NR_times, 0},
    /* timers and signal waits of the process itself: the host's are exactly Linux's */
    {__NR_alarm, 0}, {__NR_setitimer, 0}, {__NR_getitimer, 0},
    {__NR_timer_settime, 0}, {__NR_timer_gettime, 0}, {__NR_timer_getoverrun, 0},
    {__NR_timer_delete, 0}, {__NR_timerfd_create, 0}, {__NR_timerfd_settime, FD(0)},
    {__NR_timerfd_gettime, FD(0)}, {__NR_rt_sigpending, 0},
    /* per-thread kernel state the host keeps exactly as Linux */
    {__NR_rt_sigreturn, 0}, {__NR_sigaltstack, 0}, {__NR_arch_prctl, 0}, {__NR_exit_group, 0},
    /*
     * the kernel's continuation of a sleep or timed wait it interrupted without running a handler
     * (a stop and continue, a signal another thread took): it only resumes what was allowed
     */
    {__NR_restart_syscall, 0},
};

#define N_NATIVE (sizeof(native_syscalls) / sizeof(native_syscalls[0]))

struct mem_rule {
    unsigned short nr;
    unsigned char addr_arg, len_arg;
    unsigned int fixed_flag_arg; /* 0xff: none */
    unsigned int fixed_flag;
};

/* Memory calls that may name an address: they trap only when the range could reach the stub. */
static const struct mem_rule mem_rules[] = {
    {__NR_mmap, 0, 1, 3, MAP_FIXED},
    {__NR_munmap, 0, 1, 0xff, 0},
    {__NR_mprotect, 0, 1, 0xff, 0},
    {__NR_pkey_mprotect, 0, 1, 0xff, 0},
    {__NR_madvise, 0, 1, 0xff, 0},
    {__NR_mbind, 0, 1, 0xff, 0},
    {__NR_mremap, 0, 1, 3, MREMAP_FIXED},
};

/*
 * Waits a signal ends without restarting (pause, rt_sigsuspend, poll, ppoll, select, pselect6,
 * epoll_wait, epoll_pwait, epoll_pwait2) trap, so that the stub runs them where the doorbell can
 * restart them (signal_waits.c) -- except a poll or epoll wait with a timeout of 0, which cannot block.
 */
static const struct poll_rule {
    unsigned short nr;
    unsigned char timeout_arg;
    unsigned char epoll_fd; /* its fd argument is checked as a data call's */
} poll_rules[] = {
    {__NR_poll, 2, 0},
    {__NR_epoll_wait, 3, 1},
    {__NR_epoll_pwait, 3, 1},
};

/*
 * Socket calls that run natively unless they carry something the stub must translate: an
 * address (a non-NULL address argument: UNIX names are the instance's), or a socket option
 * that names a host process (SO_PEERCRED's pid; SO_PEERPIDFD and SO_PASSPIDFD, host pidfds).
 * Their fd argument (0) is checked as a data call's. bind, connect, getsockname, getpeername
 * and the msghdr calls (whose address is out of the filter's sight) always trap.
 */
static const struct sock_rule {
    unsigned short nr;
    unsigned char null_arg;     /* native only when this argument is NULL (0xff: no such rule) */
    unsigned short options[2];  /* SOL_SOCKET options (argument 2) that trap; 0: none */
} sock_rules[] = {
    {__NR_accept, 1, {0, 0}},
    {__NR_accept4, 1, {0, 0}},
    {__NR_recvfrom, 4, {0, 0}},
    {__NR_sendto, 4, {0, 0}},
    {__NR_getsockopt, 0xff, {17 /* SO_PEERCRED */, 77 /* SO_PEERPIDFD */}},
    {__NR_setsockopt, 0xff, {76 /* SO_PASSPIDFD */, 0}},
};

/*
 * ioctls run natively but these, which the worker makes or refuses (src/libos/sys/fs.ts,
 * IOCTLS_TRAPPED): TIOCSTI would type into a terminal shared with the world outside; the
 * attribute setters must not change a file of a read-only mount. The kernel reads the command
 * as 32 bits.
 */
static const unsigned int ioctl_trapped[] = {
    0x5412,     /* TIOCSTI */
    0x40086602, /* FS_IOC_SETFLAGS */
    0x40046602, /* FS_IOC32_SETFLAGS */
    0x401c5820, /* FS_IOC_FSSETXATTR */
};

/* ...and these, which the stub answers: a terminal's group and session, in the instance's ids (jobs.c) */
static const unsigned int ioctl_stub_answers[] = {0x540f /* TIOCGPGRP */, 0x5410 /* TIOCSPGRP */, 0x5429 /* TIOCGSID */};

int ioctl_traps(unsigned long cmd)
{
    for (unsigned i = 0; i < sizeof(ioctl_trapped) / sizeof(ioctl_trapped[0]); i++)
        if ((unsigned int)cmd == ioctl_trapped[i])
            return 1;
    return 0;
}

/*
 * fcntl commands that take or drop a file lock run natively (locks.c): the host keeps the
 * locks and their waits. The others trap: F_GETLK names a host pid, F_DUPFD must stay below the
 * reserved fds, F_SETOWN and friends name processes.
 */
static const unsigned int native_fcntl_commands[] = {F_SETLK, F_SETLKW, F_OFD_SETLK, F_OFD_SETLKW};

/* calls newer than the headers this is built with (x86-64 numbers) */
#define K_NR_fchmodat2 452
#define K_NR_setxattrat 463
#define K_NR_removexattrat 466
#define K_NR_file_setattr 469

/*
 * Calls the stub never makes, refused (EPERM) even from its own instruction pointer: a jump
 * there (the gadget: docs/security.md) must not make namespaces, read the user's keyrings or
 * the kernel's log, or reach the kernel's less-travelled interfaces. Nor may it reach what the
 * host user of the instance owns outside it, which neither Landlock nor the dropped capabilities
 * judge: the scheduling and I/O priority of the user's other host processes (the worker makes
 * these calls for the app's own), their pages, and the host's System V and POSIX IPC objects
 * (the instance's are the leader's). The Landlock domain and the dropped capabilities
 * (sandbox.c) deny the rest: signals and ptrace of other processes, files, privileges.
 */
static const unsigned short stub_never_calls[] = {
    __NR_unshare, __NR_setns, __NR_clone3, __NR_ptrace, __NR_keyctl, __NR_add_key, __NR_request_key,
    __NR_syslog, __NR_bpf, __NR_perf_event_open, __NR_userfaultfd, __NR_io_uring_setup,
    __NR_io_uring_enter, __NR_io_uring_register, __NR_kcmp, __NR_pidfd_getfd, __NR_open_by_handle_at,
    __NR_mount, __NR_umount2, __NR_pivot_root, __NR_chroot, __NR_open_tree, __NR_move_mount,
    __NR_fsopen, __NR_fsconfig, __NR_fsmount, __NR_fspick, __NR_mount_setattr, __NR_fanotify_init,
    __NR_kexec_load, __NR_kexec_file_load, __NR_init_module, __NR_finit_module, __NR_delete_module,
    __NR_setpriority, __NR_sched_setscheduler, __NR_sched_setparam, __NR_sched_setattr, __NR_ioprio_set,
    __NR_migrate_pages, __NR_move_pages, __NR_process_madvise,
    __NR_shmget, __NR_shmat, __NR_shmctl, __NR_shmdt, __NR_semget, __NR_semop, __NR_semtimedop,
    __NR_semctl, __NR_msgget, __NR_msgsnd, __NR_msgrcv, __NR_msgctl, __NR_mq_open, __NR_mq_unlink,
    /* a file's metadata, which Landlock does not judge: the host lets its owner change it */
    __NR_chmod, __NR_fchmod, __NR_fchmodat, K_NR_fchmodat2, __NR_chown, __NR_fchown, __NR_lchown,
    __NR_fchownat, __NR_setxattr, __NR_lsetxattr, __NR_fsetxattr, K_NR_setxattrat, __NR_removexattr,
    __NR_lremovexattr, __NR_fremovexattr, K_NR_removexattrat, K_NR_file_setattr, __NR_utime,
    __NR_utimes, __NR_utimensat, __NR_futimesat,
    /* the names Landlock judges (and, where there is no Landlock, no one else) */
    __NR_link, __NR_linkat, __NR_symlink, __NR_symlinkat, __NR_rename, __NR_renameat, __NR_renameat2,
    __NR_mkdir, __NR_mkdirat, __NR_mknod, __NR_mknodat, __NR_unlink, __NR_rmdir,
    __NR_truncate, __NR_inotify_add_watch, __NR_fanotify_mark, __NR_name_to_handle_at,
};
/*
 * ...and one it makes only under a Landlock domain, which allows it below the writable mounts
 * the stub unlinks in alone (paths.c), and nowhere else
 */
#define STUB_LANDLOCKED_CALL __NR_unlinkat
/* ...and calls it makes only on itself: pid 0 (the host's affinity or limits of another process are not the app's) */
static const unsigned short stub_calls_on_itself[] = {__NR_sched_setaffinity, __NR_prlimit64};
/* clone flags of new namespaces: the stub's clones (a fork, a thread) never have them */
#define CLONE_NEW_ANY 0x7e020000u /* NEWNS, NEWCGROUP, NEWUTS, NEWIPC, NEWUSER, NEWPID, NEWNET */
/*
 * nor does it type into a terminal (the worker refuses TIOCSTI): the app's stdin may be the
 * user's, opened outside the Landlock domain, which does not judge ioctls on such fds
 */
#define K_TIOCSTI 0x5412
/*
 * nor does it take a lease (the worker does, where the instance may change the file): a lease
 * on a file of a read-only mount would hold up the host's writers of it
 */
#define K_F_SETLEASE 1024

/* A tiny BPF assembler with forward labels. */
#define MAX_INSNS 1024
#define MAX_LABELS 512
#define NO_LABEL 0xffff

static struct sock_filter prog[MAX_INSNS];
static unsigned short jt_label[MAX_INSNS], jf_label[MAX_INSNS], ja_label[MAX_INSNS];
static unsigned short label_pos[MAX_LABELS];
static unsigned int len, n_labels;
static int overflow;

static unsigned short new_label(void)
{
    if (n_labels >= MAX_LABELS) {
        overflow = 1;
        return 0;
    }
    label_pos[n_labels] = NO_LABEL;
    return (unsigned short)n_labels++;
}

static void place(unsigned short label) { label_pos[label] = (unsigned short)len; }

static void emit(unsigned short code, unsigned int k, unsigned short jt, unsigned short jf)
{
    if (len >= MAX_INSNS) {
        overflow = 1;
        return;
    }
    prog[len] = (struct sock_filter){code, 0, 0, k};
    jt_label[len] = jt;
    jf_label[len] = jf;
    ja_label[len] = NO_LABEL;
    len++;
}

#define NEXT NO_LABEL
#define LD(off) emit(BPF_LD | BPF_W | BPF_ABS, (off), NEXT, NEXT)
#define RET(v) emit(BPF_RET | BPF_K, (v), NEXT, NEXT)
#define JEQ(k, t, f) emit(BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) emit(BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))
#define JSET(k, t, f) emit(BPF_JMP | BPF_JSET | BPF_K, (k), (t), (f))
#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

static void jump(unsigned short label)
{
    emit(BPF_JMP | BPF_JA, 0, NEXT, NEXT);
    ja_label[len - 1] = label;
}

/* Resolve labels into relative offsets; jumps only go forward. */
static int link_program(void)
{
    for (unsigned i = 0; i < len; i++) {
        unsigned short *l[3] = {&jt_label[i], &jf_label[i], &ja_label[i]};
        for (int j = 0; j < 3; j++) {
            if (*l[j] == NO_LABEL)
                continue;
            unsigned target = label_pos[*l[j]];
            if (target == NO_LABEL || target <= i)
                return -EINVAL;
            unsigned off = target - i - 1;
            if (j == 2)
                prog[i].k = off;
            else if (off > 255)
                return -E2BIG;
            else if (j == 0)
                prog[i].jt = (unsigned char)off;
            else
                prog[i].jf = (unsigned char)off;
        }
    }
    return 0;
}

static const struct native_syscall *sorted[N_NATIVE];

static void sort_native(void)
{
    for (unsigned i = 0; i < N_NATIVE; i++) {
        const struct native_syscall *x = &native_syscalls[i];
        unsigned j = i;
        for (; j > 0 && sorted[j - 1]->nr > x->nr; j--)
            sorted[j] = sorted[j - 1];
        sorted[j] = x;
    }
}

int is_native_syscall(long nr)
{
    for (unsigned i = 0; i < N_NATIVE; i++)
        if (native_syscalls[i].nr == nr)
            return 1;
    return 0;
}

int native_call_names_reserved_fd(long nr, const long *a)
{
    for (unsigned i = 0; i < N_NATIVE; i++) {
        if (native_syscalls[i].nr != nr)
            continue;
        for (int arg = 0; arg < 6; arg++)
            if ((native_syscalls[i].fds & FD(arg)) && is_reserved_fd(a[arg]))
                return 1;
        return 0;
    }
    return 0;
}

/* Labels of the blocks a native syscall jumps to, by its fd arguments. */
static unsigned short fd_class_label[64];
static unsigned short fd_classes[64];
static unsigned n_fd_classes;

static unsigned short class_label(unsigned short fds)
{
    for (unsigned i = 0; i < n_fd_classes; i++)
        if (fd_classes[i] == fds)
            return fd_class_label[i];
    fd_classes[n_fd_classes] = fds;
    fd_class_label[n_fd_classes] = new_label();
    return fd_class_label[n_fd_classes++];
}

/* Binary search over sorted[lo, hi): a native number jumps to its class; others to `other`. */
static void emit_tree(unsigned lo, unsigned hi, unsigned short other)
{
    if (hi - lo <= 4) {
        for (unsigned i = lo; i < hi; i++) {
            unsigned short skip = new_label();
            JEQ(sorted[i]->nr, NEXT, skip);
            jump(class_label(sorted[i]->fds));
            place(skip);
        }
        jump(other);
        return;
    }
    unsigned mid = lo + (hi - lo) / 2;
    unsigned short right = new_label();
    JGE(sorted[mid]->nr, right, NEXT);
    emit_tree(lo, mid, other);
    place(right);
    emit_tree(mid, hi, other);
}

/*
 * One memory rule: allow unless the call is fixed (MAP_FIXED, MREMAP_FIXED), the length is
 * 4 GiB or more, or the address lies in the stub's 4 GiB window or the one below it.
 */
/* Conditional jumps reach 255 instructions: far targets go through a local JA. */
struct near_exits {
    unsigned short yes, no;
};

static struct near_exits open_block(void) { return (struct near_exits){new_label(), new_label()}; }

static void close_block(struct near_exits e, unsigned short yes, unsigned short no)
{
    place(e.yes);
    jump(yes);
    place(e.no);
    jump(no);
}

/* Argument 0 is not a reserved fd: on to `yes`, else `no`. */
static void emit_fd_check(unsigned short yes, unsigned short no)
{
    LD(ARG_LO(0));
    JGE((unsigned)g_stub.reserved_fd_base, NEXT, yes);
    JGE(0x80000000u, yes, no); /* a negative fd is the kernel's to refuse */
}

static void emit_mem_rule(const struct mem_rule *r, unsigned short allow, unsigned short trap)
{
    unsigned short next = new_label();
    struct near_exits e = open_block(); /* yes: allow, no: trap */
    JEQ(r->nr, NEXT, next);
    if (r->fixed_flag_arg != 0xff) {
        LD(ARG_LO(r->fixed_flag_arg));
        /* a non-fixed mmap cannot clobber anything; a fixed mremap always traps */
        if (r->nr == __NR_mmap)
            JSET(r->fixed_flag, NEXT, e.yes);
        else
            JSET(r->fixed_flag, e.no, NEXT);
    }
    LD(ARG_HI(r->len_arg));
    JEQ(0, NEXT, e.no);
    LD(ARG_HI(r->addr_arg));
    JEQ(STUB_WINDOW_HI, e.no, NEXT);
    JEQ(STUB_WINDOW_HI - 1, e.no, e.yes);
    close_block(e, allow, trap);
    place(next);
    LD(offsetof(struct seccomp_data, nr));
}

/* A poll with a timeout of 0 runs natively (an epoll one unless it names a reserved fd). */
static void emit_poll_rule(const struct poll_rule *r, unsigned short allow, unsigned short trap)
{
    unsigned short next = new_label();
    struct near_exits e = open_block(); /* yes: allow, no: trap */
    JEQ(r->nr, NEXT, next);
    LD(ARG_LO(r->timeout_arg));
    JEQ(0, NEXT, e.no);
    if (r->epoll_fd)
        emit_fd_check(e.yes, e.no);
    else
        jump(e.yes);
    close_block(e, allow, trap);
    place(next);
    LD(offsetof(struct seccomp_data, nr));
}

/* A socket call runs natively unless its address or option is one the stub translates. */
static void emit_sock_rule(const struct sock_rule *r, unsigned short allow, unsigned short trap)
{
    unsigned short next = new_label();
    struct near_exits e = open_block(); /* yes: allow, no: trap */
    JEQ(r->nr, NEXT, next);
    if (r->null_arg != 0xff) {
        LD(ARG_LO(r->null_arg));
        JEQ(0, NEXT, e.no);
        LD(ARG_HI(r->null_arg));
        JEQ(0, NEXT, e.no);
    }
    if (r->options[0]) {
        unsigned short other = new_label();
        LD(ARG_LO(1));
        JEQ(K_SOL_SOCKET, NEXT, other);
        LD(ARG_LO(2));
        for (int i = 0; i < 2 && r->options[i]; i++)
            JEQ(r->options[i], e.no, NEXT);
        place(other);
    }
    emit_fd_check(e.yes, e.no);
    close_block(e, allow, trap);
    place(next);
    LD(offsetof(struct seccomp_data, nr));
}

/*
 * A call whose command (argument 1, which the kernel takes as an unsigned int) decides: with
 * `listed_native`, the listed commands run natively and the others trap (fcntl: the lock
 * commands); without it, the listed ones trap and the others run natively (ioctl:
 * ioctl_trapped). A native one still traps when its fd is one of the stub's.
 */
static void emit_command_rule(unsigned short nr, const unsigned int *commands, unsigned n, int listed_native,
                              unsigned short allow, unsigned short trap)
{
    unsigned short next = new_label(), native = new_label();
    struct near_exits e = open_block(); /* yes: allow, no: trap */
    JEQ(nr, NEXT, next);
    LD(ARG_LO(1));
    for (unsigned i = 0; i < n; i++)
        JEQ(commands[i], listed_native ? native : e.no, NEXT);
    if (listed_native)
        jump(e.no);
    place(native);
    emit_fd_check(e.yes, e.no);
    close_block(e, allow, trap);
    place(next);
    LD(offsetof(struct seccomp_data, nr));
}

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* Allow when the syscall instruction is the stub's own (its text), else go on to `no`. */
static void emit_stub_ip_check(unsigned short yes, unsigned short no)
{
    struct near_exits e = open_block();
    LD(offsetof(struct seccomp_data, instruction_pointer) + 4);
    JEQ(STUB_WINDOW_HI, NEXT, e.no);
    LD(offsetof(struct seccomp_data, instruction_pointer));
    JGE((uint32_t)(uintptr_t)__executable_start, NEXT, e.no);
    JGE((uint32_t)(uintptr_t)etext, e.no, e.yes);
    close_block(e, yes, no);
}

/*
 * A call from the stub's text: one of stub_never_calls, one of stub_calls_on_itself naming
 * another process, a clone making a namespace, a TIOCSTI or an F_SETLEASE, to `no`; else `yes`.
 */
static void emit_stub_refusals(unsigned short yes, unsigned short no, int landlocked)
{
    struct near_exits e = open_block();
    unsigned short not_clone = new_label(), not_ioctl = new_label(), not_fcntl = new_label(), on_itself = new_label();
    LD(offsetof(struct seccomp_data, nr));
    for (unsigned i = 0; i < COUNT(stub_never_calls); i++)
        JEQ(stub_never_calls[i], e.no, NEXT);
    if (!landlocked)
        JEQ(STUB_LANDLOCKED_CALL, e.no, NEXT);
    for (unsigned i = 0; i < COUNT(stub_calls_on_itself); i++)
        JEQ(stub_calls_on_itself[i], on_itself, NEXT);
    JEQ(__NR_clone, NEXT, not_clone);
    LD(ARG_LO(0));
    JSET(CLONE_NEW_ANY, e.no, e.yes);
    place(not_clone);
    JEQ(__NR_ioctl, NEXT, not_ioctl);
    LD(ARG_LO(1));
    JEQ(K_TIOCSTI, e.no, e.yes);
    place(not_ioctl);
    JEQ(__NR_fcntl, NEXT, not_fcntl);
    LD(ARG_LO(1));
    JEQ(K_F_SETLEASE, e.no, e.yes);
    place(not_fcntl);
    jump(e.yes);
    place(on_itself);
    LD(ARG_LO(0)); /* a pid_t: the kernel reads 32 bits */
    JEQ(0, e.yes, e.no);
    close_block(e, yes, no);
}

static long load_filter(unsigned long flags)
{
    if (overflow)
        return -E2BIG;
    long r = link_program();
    if (r)
        return r;
    struct sock_fprog fprog = {.len = (unsigned short)len, .filter = prog};
    /* SPEC_ALLOW: no speculative-store-bypass mitigation forced on the app for having a filter */
    r = raw3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_SPEC_ALLOW | flags, &fprog);
    return r > 0 ? -EAGAIN : r; /* TSYNC: a thread that could not take it (never: all have the same) */
}

/*
 * A second filter, stacked on the first once a process makes a signalfd that can carry a
 * siginfo naming a host process (signalfd.c): a read or readv of an fd in the signalfd slots
 * traps. Everything else passes this filter, so the kernel's cache still skips it for them.
 */
long install_signalfd_filter(void)
{
    len = n_labels = 0;
    overflow = 0;
    unsigned short allow = new_label(), trap = new_label(), check = new_label(), other = new_label();
    unsigned first = (unsigned)g_stub.reserved_fd_base - GTS_SIGNALFD_SLOTS;
    LD(offsetof(struct seccomp_data, arch));
    JEQ(AUDIT_ARCH_X86_64, NEXT, allow); /* the first filter deals with it */
    LD(offsetof(struct seccomp_data, nr));
    JEQ(__NR_read, check, NEXT);
    JEQ(__NR_readv, check, allow);
    place(check);
    emit_stub_ip_check(allow, other);
    place(other);
    LD(ARG_LO(0));
    JGE(first, NEXT, allow);
    JGE((unsigned)g_stub.reserved_fd_base, allow, trap);
    place(allow);
    RET(SECCOMP_RET_ALLOW);
    place(trap);
    RET(SECCOMP_RET_TRAP);
    return load_filter(SECCOMP_FILTER_FLAG_TSYNC); /* every thread of the process */
}

long install_seccomp_filter(int trace, int landlocked)
{
    uintptr_t text_lo = (uintptr_t)__executable_start, text_hi = (uintptr_t)etext;
    if ((text_lo >> 32) != STUB_WINDOW_HI || (text_hi >> 32) != STUB_WINDOW_HI)
        return -EINVAL;

    len = n_labels = n_fd_classes = 0;
    overflow = 0;
    unsigned short allow = new_label(), trap = new_label(), not_native = new_label();
    unsigned short reserved = new_label(), kill = new_label();

    struct near_exits e = open_block();
    unsigned short go_on = new_label();
    LD(offsetof(struct seccomp_data, arch));
    JEQ(AUDIT_ARCH_X86_64, NEXT, e.no);
    LD(offsetof(struct seccomp_data, nr));
    JGE(0x40000000, e.yes, go_on); /* x32 ABI: the handler says ENOSYS */
    close_block(e, trap, kill);
    place(go_on);
    if (trace) {
        /* a signal frame can only be unwound by the real thing */
        struct near_exits t = open_block();
        JEQ(__NR_rt_sigreturn, t.yes, t.no);
        close_block(t, allow, not_native);
    } else {
        sort_native();
        emit_tree(0, N_NATIVE, not_native);
        /* the fd checks, one block per combination of fd arguments */
        for (unsigned c = 0; c < n_fd_classes; c++) {
            place(fd_class_label[c]);
            for (int arg = 0; arg < 6; arg++) {
                if (!(fd_classes[c] & FD(arg)))
                    continue;
                unsigned short fine = new_label();
                LD(ARG_LO(arg));
                JGE((unsigned)g_stub.reserved_fd_base, NEXT, fine);
                JGE(0x80000000u, fine, NEXT);
                jump(reserved);
                place(fine);
            }
            jump(allow);
        }
    }
    /* Not data plane: the stub's own calls pass, memory calls unless they near the stub. */
    place(not_native);
    unsigned short not_stub = new_label(), stub_call = new_label(), refuse = new_label();
    emit_stub_ip_check(stub_call, not_stub);
    place(stub_call);
    emit_stub_refusals(allow, refuse, landlocked);
    place(not_stub);
    LD(offsetof(struct seccomp_data, nr));
    for (unsigned i = 0; !trace && i < sizeof(mem_rules) / sizeof(mem_rules[0]); i++)
        emit_mem_rule(&mem_rules[i], allow, trap);
    for (unsigned i = 0; !trace && i < sizeof(poll_rules) / sizeof(poll_rules[0]); i++)
        emit_poll_rule(&poll_rules[i], allow, trap);
    for (unsigned i = 0; !trace && i < sizeof(sock_rules) / sizeof(sock_rules[0]); i++)
        emit_sock_rule(&sock_rules[i], allow, trap);
    if (!trace) {
        unsigned int ioctl_traps_all[COUNT(ioctl_trapped) + COUNT(ioctl_stub_answers)];
        for (unsigned i = 0; i < COUNT(ioctl_trapped); i++)
            ioctl_traps_all[i] = ioctl_trapped[i];
        for (unsigned i = 0; i < COUNT(ioctl_stub_answers); i++)
            ioctl_traps_all[COUNT(ioctl_trapped) + i] = ioctl_stub_answers[i];
        emit_command_rule(__NR_ioctl, ioctl_traps_all, COUNT(ioctl_traps_all), 0, allow, trap);
    }
    if (!trace)
        emit_command_rule(__NR_fcntl, native_fcntl_commands, COUNT(native_fcntl_commands), 1, allow, trap);
    jump(trap);
    /* A data call on a reserved fd: the stub's own pass, the app's trap (EBADF). */
    place(reserved);
    emit_stub_ip_check(allow, trap);
    place(allow);
    RET(SECCOMP_RET_ALLOW);
    place(trap);
    RET(SECCOMP_RET_TRAP);
    place(kill);
    RET(SECCOMP_RET_KILL_PROCESS);
    place(refuse);
    RET(SECCOMP_RET_ERRNO | EPERM);
    long r = raw5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
    if (r < 0)
        return r;
    return load_filter(0);
}
