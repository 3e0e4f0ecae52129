/* The SIGSYS handler's view of the app: its saved context, its memory, its worker. */
#ifndef GRAMINE_TS_TRAP_H
#define GRAMINE_TS_TRAP_H

#include <asm/sigcontext.h>

#include "abi.h"

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask;
};

struct k_ucontext {
    unsigned long uc_flags;
    void *uc_link;
    struct {
        void *ss_sp;
        int ss_flags;
        unsigned long ss_size;
    } uc_stack;
    struct sigcontext uc_mcontext;
    unsigned long uc_sigmask;
};

struct k_timespec {
    long tv_sec, tv_nsec;
};

struct k_siginfo_sys {
    int si_signo, si_errno, si_code, pad;
    void *call_addr;
    int syscall;
    unsigned int arch;
};

/* uaccess.c: copy to or from app memory without faulting the stub: -EFAULT for a bad pointer. */
long copy_from_app(void *dst, const void *src, unsigned long n);
/* Do faults in the stub's copies come back as EFAULT (the host's SIGSEGV and SIGBUS are the stub's)? */
int uaccess_recovers_faults(void);
/* patch.c: direct calls; patch the site of a trapped call (`call_addr`: after its syscall instruction) */
void patch_site(long nr, const void *call_addr);
long copy_to_app(void *dst, const void *src, unsigned long n);
/* The same through the kernel (process_vm_writev), which writes only where the app may: no fault, no forced write. */
long kernel_copy_to_app(void *dst, const void *src, unsigned long n);
/* A NUL-terminated string of at most `max` bytes (NUL included): its length, -EFAULT, or -ERANGE if longer. */
long copy_string_from_app(char *dst, const char *src, unsigned long max);
/* Take over SIGSEGV and SIGBUS where the app leaves them at their default (a fresh image). */
void uaccess_init(void);
/* The stub's handlers run with SIGSEGV and SIGBUS open (uaccess.c): open them if the app had them blocked. */
void uaccess_allow(const struct k_ucontext *uc);
int is_fault_signal(long sig);
/* The app's rt_sigaction of SIGSEGV or SIGBUS. */
long fault_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old);
/* The disposition of `sig` as the app set it (rt_sigaction's old action). */
long app_disposition(int sig, struct k_sigaction *act);
/* rt_sigaction and rt_sigprocmask at a patched site (patch.c): the answer, or PATH_FORWARD (trap.c) */
long direct_sigaction(const long *a);
long direct_sigprocmask(const long *a);
/* dup, dup2 and dup3, trapped or at a patched site (the stub's reserved fds are neither source nor target) */
long dup_call(long nr, const long *a);
/* What the stub's handlers block: everything but the faults a copy of app memory recovers from. */
#define STUB_HANDLER_MASK (~(SIGBIT(7) | SIGBIT(11)))
/* trap.c: rt_sigreturn, the restorer of the stub's handlers */
extern void sigsys_restorer(void) __attribute__((visibility("hidden")));

/*
 * Write a gadget's frame right below the app's red zone (`at`, up to 512 bytes under it), where
 * the trap's FPU/vector state was: that state moves to the stub's buffer first.
 */
long write_below_red_zone(struct k_ucontext *uc, void *at, const void *data, unsigned long n);

/*
 * Move the trap's FPU/vector state (the xsave area the frame points to) to `copy` (16 KiB,
 * 64-byte aligned) and point the frame there: 1, or 0 if it has none, or -ENOMEM if too big.
 */
long keep_fpstate(struct k_ucontext *uc, char *copy);

/* dup3 `fd` into reserved slot `slot` (with dup3's `flags`), even above the app's RLIMIT_NOFILE */
long place_fd(int fd, int slot, int flags);
long place_fds(int n, const int *fds, const int *slots, int flags);

/* The app's signal mask as the trap saved it, without the stub's own signals. */
unsigned long app_sigmask(const struct k_ucontext *uc);
/*
 * A host call made with the app's signal mask (the handler runs with everything blocked): its
 * handlers run during a blocking call, and SA_RESTART decides, as on Linux. A doorbell that
 * rings before the call starts (as the mask is set, or at its instruction) ends it with EINTR
 * when a handler it made due is one Linux would end it for: `eintr_due` 2, one without
 * SA_RESTART; 1, any; 0, never (a call that does not wait, WNOHANG).
 */
long with_app_mask(const struct k_ucontext *uc, int eintr_due, long nr, long a, long b, long c, long d, long e, long f);
/* Wait until the eventfd `fd` is readable (with the app's mask, as with_app_mask), then close it. */
long wait_readable(int fd, const struct k_ucontext *uc, int eintr_due);

/* Queue again a signal the app's wait took but must not have yet: where it came from, as near as the host lets */
void put_back_signal(int sig, const void *info);

/* Will one of the signals `raised` run an app handler, unblocked in `mask`? 0: no; 1: all SA_RESTART; 2: yes */
int handlers_due(unsigned long mask, unsigned long raised);

/*
 * A request of `kind` to the worker with up to four arguments; its result (the reply's data in
 * `data`, its length in *data_len if asked).
 */
long worker_request(uint32_t kind, long a0, long a1, long a2, long a3, void *data, unsigned long cap, unsigned long *data_len);
/* A request of `kind` with two arguments whose reply may carry one fd (in *fd, else -1). */
long worker_request_fd(uint32_t kind, long a0, long a1, int *fd);

/* Send the trapped call to the worker; returns the number of fds received with the reply. */
int call_worker(long nr, const long *a, void *ip, struct gts_reply *reply, void *data,
                unsigned long data_cap, int *fds, int max_fds);

/* process.c: the host side of fork and exec, as the worker decided */
long stub_fork(long nr, const long *a, void *ip, struct k_ucontext *uc);
struct gts_reply;
struct gts_fork_reply;
/* Hold standby `vpid` (its channel and lifeline in `fds`, which are closed) for the next fork. */
void prefetch_take(int vpid, int cpu, const int *fds);
/* A fork reply's fds from `first` on: the prefetched standby it brings, held; or closed. */
void prefetch_from_reply(const struct gts_reply *reply, const struct gts_fork_reply *placement, const int *fds, int nfds, int first);
long stub_execve(long nr, const long *a, void *ip, struct k_ucontext *uc);

/* child_wait.c: waits for children run on the host (the app is its children's host parent), pids translated */
long stub_wait4(const long *a, struct k_ucontext *uc);
long stub_waitid(const long *a, struct k_ucontext *uc);
/* the children the stub knows (a cache of the worker's table: an exec'd image starts empty) */
void children_add(int vpid, int host_pid);
void children_forget_all(void);
/* translate a vpid to its host pid (GTS_LOOKUP_HOST_OF_VPID) or back: the cache, else the worker */
long translate_pid(int direction, int id);
/* the real uid of child `vpid` (the worker's, never cached: it may change), or -errno */
long child_uid(int vpid);

/* siginfo.c: SIGCHLD's child and SIGCONT's sender as the app must see them */
void siginfo_to_virtual(void *info);
void signalfd_record_to_virtual(void *record);
int has_virtual_siginfo(long sig);
/* rt_sigaction of those: a handler taking a siginfo is called through a trampoline that fixes it */
long wrapped_sigaction(int sig, const struct k_sigaction *act, struct k_sigaction *old);

/* signal_waits.c: pause, rt_sigsuspend, the poll, select and epoll waits, run from the stub's gadget */
#define RED_ZONE 128
#define WAIT_FRAME_BYTES 144 /* the gadget's frame, on the app's stack below its red zone */
long stub_wait_call(long nr, const long *a, struct k_ucontext *uc);
/*
 * The same from a direct call (patch.c) that must wait: the gadget's frame is written below the
 * app's red zone (app_rsp its stack pointer at the call, ret_ip where the call returns to), and
 * `args` are what the gadget makes the call with. The gadget's call number, or an error.
 */
long direct_wait_call(long nr, const long *a, unsigned long app_rsp, unsigned long ret_ip, long args[6]);
unsigned long wait_gadget_address(void);
/* A wait answered without waiting (something ready, or an error), or 0: it must wait. */
long wait_answered_now(long nr, const long *a);
/* the doorbell interrupted the gadget: restart its call unless Linux would have ended it (1: it was the gadget's) */
int wait_gadget_doorbell(struct k_ucontext *uc, unsigned long raised);

/* signalfd.c: signalfd and signalfd4; reads of the signalfds that carry SIGCHLD or SIGCONT */
long sys_signalfd(long nr, const long *a);
#define SLOT_NOT_SIGNALFD (-4097L) /* not an errno: the read is the app's own, to run as it is */
long signalfd_slot_read(long nr, const long *a, struct k_ucontext *uc);

/* locks.c: the fcntl lock commands that trap (F_GETLK's holder made a vpid; the blocking ones in the app's context) */
int is_fcntl_lock_command(long cmd);
long fcntl_lock(const long *a, struct k_ucontext *uc);
/* Make the app's own trapped call for real, from the stub's text in the app's context (its mask: signals reach a wait). */
long run_in_app_context(long nr, struct k_ucontext *uc);

/* jobs.c: process groups and sessions on the host, and a terminal's ioctls that name them */
int is_job_ioctl(unsigned long cmd);
long job_ioctl(const long *a);
long job_pgrp_call(long nr, const long *a, void *ip);
void take_terminal(void);
/* the host group of the instance's group `vpgid` (-ESRCH: none), and the instance's of a host one (0: none) */
long host_pgrp(int vpgid);
long instance_pgrp(int host_pgid);

/* shm.c: System V shared memory mapped by the stub (the leader keeps the segments) */
long sys_shmat(const long *a, void *ip);
long sys_shmdt(const long *a, void *ip);
void shm_detach_all(void *ip);
int shm_attached_any(void);
/* could [addr, addr + len) touch the stub's image or thread blocks? */
int overlaps_stub(unsigned long addr, unsigned long len);

/* sysv_waits.c: msgsnd, msgrcv, waiting with the app's signals open when the leader says wait */
long sys_sysv_waitable(long nr, const long *a, void *ip, struct k_ucontext *uc);
/* sem.c: semop, semtimedop on the set's shared memory, the worker's for the rest */
long sys_semop(long nr, const long *a, void *ip, struct k_ucontext *uc);

/* net.c: the socket calls that carry an address or a peer's identity */
long sys_bind(const long *a);
long sys_connect(const long *a, struct k_ucontext *uc);
long sys_sockname(long nr, const long *a);
long sys_accept(long nr, const long *a, struct k_ucontext *uc);
long sys_recvfrom(const long *a, struct k_ucontext *uc);
/* accept, accept4, recvfrom on a socket that is not a UNIX one, as made; else PATH_FORWARD */
long socket_call_without_names(long nr, const long *a);
long sys_sendto(const long *a, struct k_ucontext *uc);
long sys_sendmsg(const long *a, struct k_ucontext *uc);
long sys_recvmsg(const long *a, struct k_ucontext *uc);
long sys_sendmmsg(const long *a, struct k_ucontext *uc);
long sys_recvmmsg(const long *a, struct k_ucontext *uc);
long sys_getsockopt(const long *a);
long sys_setsockopt(const long *a);

/* trap.c: the call made by the worker, as a trapped call the stub cannot answer is */
long worker_call(long nr, const long *a, void *ip);
/* ids.c: get[e]uid, get[e]gid from what the worker said last; the set*id calls, which change them */
long ids_get(long nr, const long *a, void *ip);
long ids_set(long nr, const long *a, void *ip);
/* the ids a HELLO reply gave (uid, euid, gid, egid); one of them kept (getuid's, ...), or -1 */
void ids_install(const uint32_t ids_given[4]);
long ids_known(long nr);
/* are the process's ids (all four known) its host ones? (an instance not run as root, no set*id since) */
int ids_are_host_ids(void);

/* paths.c: the stat family answered by the stub when the host can resolve the path alone */
#define PATH_FORWARD (-4096L) /* not an errno: the worker must answer */
void paths_install(const char *data, unsigned long len, const int *roots, int n_roots);
/* mount `i` of the table: the fd of its root (-1: none), its flags and instance path; -2 past the end */
int paths_root(unsigned int i, unsigned int *flags, const char **prefix);
struct path_scratch;
long paths_open_program(struct path_scratch *scratch, const char *path);
/* a process of a non-root instance whose ids are still the host user's, whom the kernel judges as the worker's walk would */
int runs_as_host_user(void);
int paths_for_exec(const char **table, unsigned long *len, int *roots, int max);
unsigned long paths_cwd(char *out, unsigned long cap);
/* local_exec.c: an execve the stub makes alone (no return), or PATH_FORWARD, or the answer */
long exec_locally(const long *a, const struct k_ucontext *uc);
void paths_drop(void);
/*
 * The working directory moved to host directory `fd` (-1: the host's is already there); the
 * worker vouched for it (`vouched`: GTS_HELLO_CWD_BENEATH, GTS_REPLY_CWD_BENEATH) and named it
 * `path` (`len` bytes, no NUL; 0: not named). The fchdir's result.
 */
long paths_move_cwd(int fd, int vouched, const char *path, unsigned long len);
/*
 * Path scratch buffers, too big for the app's stack (which may be a small alternate one): the
 * trap's set and the direct calls' (patch.c), which a trap can interrupt, live apart.
 */
long paths_stat(struct path_scratch *scratch, long nr, const long *a);
long paths_getcwd(struct path_scratch *scratch, const long *a);
/* a stat result in app memory: the app processes' own host identity shown as the instance's root's */
long owner_as_instance_root(void *buf, int statx);
long paths_open(struct path_scratch *scratch, long nr, const long *a);
long paths_unlink(struct path_scratch *scratch, long nr, const long *a);
/* umask: the worker's, and then the host's (what the stub creates takes it from there) */
long stub_umask(const long *a, void *ip);
/* limits.c: getrlimit, setrlimit, prlimit64 of the process itself; sysinfo */
long own_limit(long nr, const long *a, void *ip);
long stub_sysinfo(const long *a);
/* RLIMIT_NOFILE as the LibOS has it, from a HELLO reply (GTS_HELLO_NOFILE); nofile_known: 1 and it, or 0 */
void nofile_install(unsigned long cur, unsigned long max);
int nofile_known(unsigned long *cur, unsigned long *max);
long paths_access(struct path_scratch *scratch, long nr, const long *a);
long paths_readlink(struct path_scratch *scratch, long nr, const long *a);
/* trap.c: what of the stat family and the opens the stub answers alone, or PATH_FORWARD */
long local_path_call(struct path_scratch *scratch, long nr, const long *a);

#define SIGBIT(s) (1UL << ((s) - 1))
#define K_SIGBUS 7
#define K_SIGSEGV 11
#define K_SIGSYS 31
#define K_SIGCHLD 17
#define K_SIGCONT 18
/* a SIGCHLD's si_code */
#define K_CLD_EXITED 1
#define K_CLD_DUMPED 3
#define K_CLD_STOPPED 5
#define K_CLD_CONTINUED 6
/* signalfd4's flags */
#define K_SFD_NONBLOCK 04000
#define K_SFD_CLOEXEC 02000000
/* the stub's own signals: never blocked, never the app's */
#define RESERVED_SIGNALS (SIGBIT(K_SIGSYS) | SIGBIT(GTS_DOORBELL_SIGNAL))
/* what an app's signal mask never holds: the stub's signals, SIGKILL and SIGSTOP */
#define UNBLOCKABLE_SIGNALS (RESERVED_SIGNALS | SIGBIT(9) | SIGBIT(19))

#endif
