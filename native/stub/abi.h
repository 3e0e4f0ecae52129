/*
 * The stub <-> worker channel ABI. Mirrored in src/pal/channel-abi.ts; change both together.
 * One SOCK_SEQPACKET message per request and per reply, little-endian, fixed layout.
 */
#ifndef GRAMINE_TS_ABI_H
#define GRAMINE_TS_ABI_H

#include <stdint.h>

#define GTS_ABI_VERSION 13

/* Request kinds (stub -> worker). */
#define GTS_REQ_HELLO   1 /* first message of a fresh stub image: "what do I run?" */
#define GTS_REQ_SYSCALL 2 /* a trapped system call the stub cannot answer alone */
#define GTS_REQ_TRACE   3 /* trace mode: the syscalls this process made (bitmap follows) */
#define GTS_REQ_FORKED  4 /* no reply: a forked child's first message on its channel, sent with the first thing it says (host pid, the channel's fd) */
#define GTS_REQ_SIGNALS 5 /* the doorbell rang: which signals are queued for this thread? */
#define GTS_REQ_CHILD_STARTED 6 /* no reply: fork child args[1] (vpid) is host pid args[0], or -errno */
#define GTS_REQ_PID_LOOKUP 7 /* translate args[1]: a vpid to its host pid (args[0] = 0) or back (1), or a child's uid (2) */
#define GTS_REQ_GROUP_CHILDREN 8 /* host pids of the children in group args[0] (int32s in the data) */
#define GTS_REQ_CHILD_REAPED 9 /* no reply: the stub reaped child args[0] (vpid) */
#define GTS_REQ_UNIX_NAME 10 /* a UNIX socket name the host gave (args[0]: the stub's copy, args[1]: its length): the app's, in the data */
#define GTS_REQ_UCRED 11 /* SCM_CREDENTIALS or SO_PEERCRED: args[0] a direction, args[1..3] pid, uid, gid; the other side's in the data */
#define GTS_REQ_THREAD_STARTED 12 /* no reply: thread args[1] (vtid) is host tid args[0] (the parent says) */
#define GTS_REQ_MAIN_THREAD_EXITS 13 /* no reply: the main thread exits, the others run on */
/*
 * clone of a thread: a tid for the thread of block args[0], whose channel is open (args[1] 1:
 * the worker serves it already) or comes with the reply (args[1] 0); ret = the tid
 */
#define GTS_REQ_NEW_THREAD 14
#define GTS_REQ_THREAD_EXITS 15 /* no reply, on the thread's channel: thread args[0] is gone; the channel stays for the next */
/* strace mode: the app made trapped call `nr` with `args`; a struct gts_strace_result follows; the reply says the line is written */
#define GTS_REQ_STRACE 16
/* no reply: the call this thread was told to wait for (GTS_REPLY_WAIT) is given up (a handler ended it) */
#define GTS_REQ_ABANDON 17
/*
 * No reply: this image was exec'd by the stub alone (native/stub/local_exec.c), which its worker
 * has not heard of; sent before anything else the image says to the worker. args[0], args[1]:
 * where its AT_EXECFN string is in the stub's memory, and its length (no NUL).
 */
#define GTS_REQ_EXECED 18
/*
 * The stub forked alone into the standby it was given ahead (a fork reply's prefetch): child
 * args[1] (vpid) is host pid args[0], or -errno. The worker seals the process's state into the
 * child's lifeline and replies as to a fork: ret 0, a struct gts_fork_reply, and the next
 * prefetch with it if one is ready. The stub never waits for that reply (the app could read it
 * off the channel first): it takes it when it has come, ahead of the reply to its next request
 * on the main channel (the seq says which it is), or at its next fork or exec.
 */
#define GTS_REQ_FORKED_LOCALLY 19
/*
 * The first thing a spawned stub (the instance's first process) asks, on its channel at fd 3
 * before it places it: ret = how far up the instance's fds go (the stub lowers its hard
 * RLIMIT_NOFILE to that, which every later image and child keeps: its reserved fds, and with
 * them the app's fd table, end there), or 0 for the host's. A table that reaches far up makes
 * every fork copy it.
 */
#define GTS_REQ_PLACE 20
/*
 * No reply: the process's umask is now args[0], which the stub set itself (a process with one
 * thread answers umask alone); sent on the main channel before anything else it says next,
 * after a FORKED and an EXECED
 */
#define GTS_REQ_UMASK 21
/*
 * A fork request's args[5] (no fork-family call has a sixth argument; the stub sets it, 0 or
 * this): the stub holds no prefetched standby, awaits none, and can take them (one thread, no
 * trace); the worker's count of what it holds starts again from none.
 */
#define GTS_FORK_TAKES_PREFETCH 1

#define GTS_LOOKUP_HOST_OF_VPID 0
#define GTS_LOOKUP_VPID_OF_HOST 1
#define GTS_LOOKUP_UID_OF_VPID 2 /* the real uid of child args[1] (a SIGCHLD's si_uid) */
#define GTS_LOOKUP_HOST_OF_VPGID 3 /* the host group of the instance's process group args[1] (0: none) */
#define GTS_LOOKUP_VPGID_OF_HOST 4 /* the instance's process group of host group args[1] (0: none of its own) */
#define GTS_LOOKUP_VSID_OF_HOST 5  /* the instance's session of host session args[1] (0: none of its own) */
#define GTS_GROUP_CHILDREN_MAX 64

/*
 * GTS_REQ_UCRED's directions: what the app sends becomes the host's; what the host reports of
 * a message's sender (real ids) or of a peer (SO_PEERCRED: effective ids) becomes the app's
 */
#define GTS_UCRED_TO_HOST 0
#define GTS_UCRED_SENT 1
#define GTS_UCRED_PEER 2

/* The doorbell: the worker rings it (a reserved host signal) when it has queued signals. */
#define GTS_DOORBELL_SIGNAL 64
#define GTS_SIGINFO_SIZE 128
#define GTS_SIGNALS_MAX 31 /* siginfos in one reply to GTS_REQ_SIGNALS (with its header, 4 KiB) */

/*
 * Payload of the reply to GTS_REQ_SIGNALS: `count` siginfos follow; the first `for_thread` were
 * sent to the calling thread (tgkill), the others to the process (the worker rings the main
 * thread for those, which queues them to the process: the host picks the thread).
 */
struct gts_signals_reply {
    uint32_t count;
    uint32_t for_thread;
};
/* si_value of a SIGCONT the worker sends for a kill (SI_USER), or + 1 for a tkill (SI_TKILL) */
#define GTS_SIGCONT_MARK 0x67747343u /* "gtsC" */

#define GTS_TRACE_BITMAP_BYTES 64 /* one bit per syscall number below 512 */

/* After a GTS_REQ_STRACE: the call's result, or none yet (told before a call that may not return: exit, execve) */
struct gts_strace_result {
    int64_t ret;
    uint64_t returned; /* 1: ret is the result; 0: told before the call */
};

struct gts_request {
    uint32_t kind;
    uint32_t host_tid; /* host tid of the calling thread */
    uint64_t nr;
    uint64_t args[6];
    uint64_t ip; /* address after the trapped syscall instruction */
    uint64_t seq; /* echoed in the reply: a stray packet on the channel cannot pass for one */
};

/* Reply flags (worker -> stub). */
#define GTS_REPLY_FD         0x1 /* one fd rides along (SCM_RIGHTS); the result is its number */
#define GTS_REPLY_FD_CLOEXEC 0x2 /* ...and the app asked for O_CLOEXEC on it */
#define GTS_REPLY_FORK       0x4 /* fork granted: ret = child vpid; fds: the child's channel, lifeline */
#define GTS_REPLY_EXEC       0x8 /* exec planned: the fd is the stub binary; data = gts_exec_reply */
#define GTS_REPLY_CWD        0x10 /* the fd is the new working directory: the host's follows it */
#define GTS_REPLY_TARGET     0x40 /* connect, sendto: the fd is the socket file (O_PATH), reached as /proc/self/fd/N */
#define GTS_REPLY_SEM        0x80 /* semop, semtimedop: data = gts_sem_reply; an fd (GTS_REPLY_FD) may be the set's memory */
#define GTS_REPLY_PGRP       0x100 /* setpgid, setsid: data = gts_pgrp_reply, the host's side for the stub to make */
/* not yet: the fd is an eventfd to wait on (with the app's mask) before the call is made again */
#define GTS_REPLY_WAIT       0x200
/*
 * setrlimit, prlimit64 of RLIMIT_NOFILE: data = the host's limit (cur, max: u64 each) for the
 * stub to set on its own process (the worker may not: another host uid's, GTS_APP_HOST_ID)
 */
#define GTS_REPLY_RLIMIT     0x400
/*
 * with GTS_REPLY_CWD: the new working directory is one the stub resolves relative paths below
 * (GTS_HELLO_CWD_BENEATH); data = its instance path (no NUL), if shorter than a path may be
 */
#define GTS_REPLY_CWD_BENEATH 0x800
/*
 * with GTS_REPLY_FD: the worker still holds the fd it sent; a packet of GTS_REPLY_RELEASED with
 * the same seq follows once it has closed its copy, and the stub waits for it before the app
 * has the fd. So the app's close is the file's last, as natively: a FIFO's other end sees its
 * writer go then, not when a worker the host preempted gets to its close.
 */
#define GTS_REPLY_FD_HELD    0x1000
#define GTS_REPLY_RELEASED   0x2000

struct gts_reply {
    int64_t ret; /* syscall result, or -errno */
    uint32_t flags;
    uint32_t data_len; /* bytes of payload after this header */
    uint64_t seq;      /* the request's */
};

/* Payload of the reply to HELLO; the program (and its interpreter) ride along as fds. */
#define GTS_HELLO_HAS_INTERP 0x1
#define GTS_HELLO_TRACE      0x2 /* trace mode: trap every syscall, report which were made */
#define GTS_HELLO_RESET_SIGNALS 0x4 /* a fresh process: all signal dispositions to SIG_DFL */
#define GTS_HELLO_SUBREAPER 0x8 /* vpid 1: orphans of the instance become its host children */
#define GTS_HELLO_STRACE 0x10 /* strace mode: each trapped call is told to the worker (GTS_REQ_STRACE) */
/*
 * The first image of an instance's first process enters the instance's kernel boundary
 * (sandbox.c) before the app runs, and every other app process inherits it -- unless the
 * worker says this (GRAMINE_TS_INSECURE_NO_SANDBOX in the leader's environment, for measuring
 * the boundary's cost only).
 */
#define GTS_HELLO_NO_SANDBOX 0x20
/*
 * vpid 1 started in the foreground of the terminal the instance runs on: it takes a host process
 * group of its own and the terminal's foreground (the leader gives the terminal back at the end)
 */
#define GTS_HELLO_FOREGROUND 0x40
/*
 * the first process of a root instance: two more fds follow the program's (and its
 * interpreter's) -- the root of the instance's file tree (native/launcher/instance-tree.c) and
 * the working directory in it -- and the process makes them its root and working directory
 * before it enters the kernel boundary; its children and exec'd images keep them
 */
#define GTS_HELLO_CHROOT 0x80
/*
 * the first process of a root instance: in the kernel boundary, it drops host root for an
 * identity of its own, GTS_APP_HOST_ID as its uid and gid (no supplementary groups), which no
 * host account has; its children and exec'd images keep it. The worker, host root, still acts
 * on it (it holds CAP_SYS_PTRACE, or it does not say this).
 */
#define GTS_HELLO_APP_IDENTITY 0x100
/*
 * the working directory lies in a mount the stub resolves paths in and opens files of (the
 * path table's, GTS_PATH_STUB_OPENS), and no mount point of the instance lies below it: a
 * relative path (AT_FDCWD) without ".." resolved beneath it, through no symlink, names what the
 * walk would find. Cleared by a chroot; a chdir's reply says it again (GTS_REPLY_CWD_BENEATH).
 */
#define GTS_HELLO_CWD_BENEATH 0x200
/*
 * set by the stub alone, in the HELLO it makes for its own exec (local_exec.c): the process is a
 * forked child that has not said FORKED yet, which the new image says first, as the old would have
 */
#define GTS_HELLO_FORK_UNTOLD 0x400
/*
 * A standby for the image's first fork rides along (its channel and lifeline, after the
 * program's fds and the tree's, before the mounts' roots; prefetch_vpid, prefetch_cpu): the
 * image forks into it alone (GTS_REQ_FORKED_LOCALLY), as into one a fork reply brought.
 */
#define GTS_HELLO_PREFETCH 0x800
/*
 * nofile_cur and nofile_max are the process's RLIMIT_NOFILE as the LibOS has it (without the
 * stub's reserved fds), which the stub answers a get of with until a set, itself the worker's
 */
#define GTS_HELLO_NOFILE 0x1000
/*
 * set by the stub alone, in the HELLO it makes for its own exec (local_exec.c): the umask the
 * reply has is one the worker has not heard of yet (GTS_REQ_UMASK), which the new image says
 */
#define GTS_HELLO_UMASK_UNTOLD 0x2000
#define GTS_APP_HOST_ID 2147418112 /* 0x7fff0000 */

/*
 * Abstract UNIX socket names are the instance's: the host's carry this prefix (after the NUL),
 * different in each instance, which the stub adds to what the app binds or connects to and
 * takes off what it reports.
 */
#define GTS_ABSTRACT_PREFIX_LEN 8

struct gts_hello_reply {
    uint32_t abi_version;
    uint32_t flags;
    int32_t vpid;
    uint32_t execfn_len; /* AT_EXECFN string (NUL included) follows */
    char abstract_prefix[GTS_ABSTRACT_PREFIX_LEN];
    /* the working directory the LibOS has (GTS_HELLO_CWD_BENEATH holds only if the host's is it) */
    uint64_t cwd_dev, cwd_ino;
    uint32_t cwd_path_len; /* with GTS_HELLO_CWD_BENEATH: its instance path (no NUL) follows AT_EXECFN, or 0 */
    /* the process's umask: the stub makes it its host one, so that what it creates has the mode the LibOS's would */
    uint32_t umask;
    /* the process's virtual uid, euid, gid and egid, which the stub answers get[e]uid and get[e]gid with */
    uint32_t ids[4];
    int32_t prefetch_vpid, prefetch_cpu; /* with GTS_HELLO_PREFETCH */
    uint64_t nofile_cur, nofile_max; /* with GTS_HELLO_NOFILE */
    /*
     * the parent's vpid and host pid, while that host process lives (parent_host_pid 0: not
     * said): the stub answers getppid with it while the host says that process is its parent
     */
    int32_t ppid, parent_host_pid;
};

/*
 * After the execfn string and the cwd path (at the next multiple of 8 of the payload), the path table: the
 * instance's mounts, longest-prefix matched by the stub for the stat family on absolute paths.
 * Each entry is this header and the mount point (prefix_len bytes and a NUL), padded to 8
 * bytes; its flags say what the stub may do there alone. A mount the stub resolves paths in
 * has GTS_PATH_ROOT_FD: an O_PATH fd of its root rides along with the reply, after the
 * program's, in table order (a path would not do: the worker's and the leader's fds are out
 * of the app's reach under its Landlock domain). Either the whole table or nothing: a missing
 * mount would send its paths to another.
 */
struct gts_path_entry {
    uint16_t prefix_len;
    uint16_t zero;
    uint32_t flags;
};
/* a mount no file check applies to: the stub opens its files for reading itself */
#define GTS_PATH_STUB_OPENS 0x1
/*
 * not a mount: a directory with mount points in it, which the worker opens (it lists them); up
 * to GTS_PATH_TABLE_MAX such entries besides the mounts
 */
#define GTS_PATH_MOUNT_PARENT 0x2
/* the mount's root comes as an fd with the reply (the stub resolves paths below it) */
#define GTS_PATH_ROOT_FD 0x4
/*
 * not a mount: a symlink at the top of a read-only mount to a directory of the same mount
 * ("/lib" -> "usr/lib" on a usr-merged root), whose paths the stub resolves as the target's
 * below that mount's root; the prefix is the link's path, a NUL, then the target (relative, no
 * ".."), the whole in prefix_len
 */
#define GTS_PATH_ALIAS 0x8
/*
 * not a mount: a host device the instance has at this path as itself (/dev/null), whose O_PATH
 * fd rides along like a root; the stub opens it anew (through that fd) for an open of the path
 */
#define GTS_PATH_DEVICE 0x10
/*
 * a writable mount no file check applies to (with GTS_PATH_STUB_OPENS): the stub also opens its
 * regular files for writing, creates them and unlinks them itself, as the process's host
 * identity, under its Landlock domain's write rights there (sandbox.c)
 */
#define GTS_PATH_STUB_WRITES 0x20
#define GTS_PATH_TABLE_MAX 16
#define GTS_PATH_PREFIX_MAX 255

/*
 * A forked child is pinned beside its worker-to-be (the fork reply's cpu, a prefetch's) only when
 * its parent has at least this many other children running: a burst is spread over the CPUs, but
 * a pipeline's pair is left where the host starts it. A process that pins itself to another CPU
 * waits until that CPU runs it: on a VM whose other vCPU idles, milliseconds.
 */
#define GTS_PIN_AMONG 2

/* Payload of a fork reply. */
#define GTS_PREFETCH_MAX 2 /* standbys a stub holds at most: a pipeline's two forks go alone */
struct gts_fork_reply {
    int32_t cpu; /* the CPU the child shares with its worker, or -1 */
    /*
     * standbys for the stub's next forks that ride along, after the child's fds, two each (a
     * channel, a lifeline): the stub holds them and forks into them alone (GTS_REQ_FORKED_LOCALLY)
     */
    int32_t prefetches;
    struct {
        int32_t vpid;
        int32_t cpu; /* of its worker-to-be: its child pins itself there if its parent has others running */
    } prefetch[GTS_PREFETCH_MAX];
};

/*
 * Payload of an exec reply: the new argv is `prefix_count` strings from here (NUL-terminated,
 * back to back) followed by the app's own argv from index `app_argv_from` on. envp is the app's.
 */
struct gts_exec_reply {
    uint32_t prefix_count;
    uint32_t app_argv_from;
};

/*
 * A System V semaphore set's values live in host shared memory (a memfd the leader made), so
 * that a semop is the stub's own work: it takes the set's lock, makes all of its operations or
 * none, and waits on `seq` (a futex) for the set to change. The leader keeps ids, permissions,
 * SEM_UNDO and semctl; it reads this memory as untrusted (the app can write it). The memory is
 * a struct gts_sem_set and `nsems` struct gts_sem after it.
 */
struct gts_sem_set {
    uint32_t lock;    /* 0: free; else the holder's vpid (GTS_SEM_LEADER: the leader's), | GTS_SEM_LOCK_WAITED */
    uint32_t seq;     /* bumped at every change of the values (or removal): waiters sleep on it */
    uint32_t removed; /* IPC_RMID: a waiter gets EIDRM */
    uint32_t gen;     /* bumped at IPC_SET: mappings the stubs hold ask the worker again */
    uint32_t waiters; /* threads asleep on seq: whoever changes the set wakes them if any */
    uint32_t pad;
    int64_t otime;    /* the last semop's time (seconds) */
};
struct gts_sem {
    int32_t value;
    int32_t pid;  /* vpid of the last operation */
    uint32_t ncnt, zcnt; /* threads waiting for it to grow, to be zero */
};
#define GTS_SEM_LEADER 0x3fffffff
#define GTS_SEM_LOCK_WAITED 0x80000000u

/*
 * Payload of a GTS_REPLY_PGRP reply: setsid() on the host (host_pid -1), or setpgid(host_pid,
 * host_pgid) (host_pid 0: the caller; host_pgid 0: a group of the target's own).
 */
struct gts_pgrp_reply {
    int32_t host_pid;
    int32_t host_pgid;
};

/* Payload of a GTS_REPLY_SEM reply. */
struct gts_sem_reply {
    uint32_t wait;    /* 1: the semop waits for seq to change, then is tried again */
    uint32_t seq;     /* the set's seq when it was tried */
    uint32_t blocked; /* the operation that could not be made (its semaphore's ncnt or zcnt) */
    uint32_t gen;     /* with an fd: the set's gen, and what the caller may do (GTS_SEM_MAY_*) */
    uint32_t access;
    uint32_t nsems;
};
#define GTS_SEM_MAY_READ 0x1
#define GTS_SEM_MAY_ALTER 0x2
/* semop's args[5] from the stub: it holds no mapping of the set and wants one */
#define GTS_SEM_WANT_MAP 1

/*
 * The stub's window: 4 GiB of the app's address space that hold the stub's image (linked at its
 * start: native/stub/Makefile) and its thread blocks, where the app maps nothing (the filter and
 * the stub refuse it) and which /proc/[pid]/maps does not show.
 */
#define GTS_STUB_WINDOW 0x5f0000000000UL
#define GTS_STUB_WINDOW_SIZE 0x100000000UL

/* Host fds reserved for the stub sit at the top of the fd space the app may use. */
#define GTS_RESERVED_FDS 24
#define GTS_CHANNEL_FD_AT_SPAWN 3
/*
 * The lifeline of a forked process: a socket whose peer only its worker holds. It is set to
 * send SIGKILL to the process (O_ASYNC, F_SETSIG) when it hangs up, i.e. when the worker dies.
 */
#define GTS_LIFELINE_SLOT (GTS_RESERVED_FDS - 1)
/* the roots of the path table's mounts (one slot each, from here on) */
#define GTS_PATH_SLOT_FIRST 1
/*
 * Across an exec the stub makes alone (local_exec.c): a socket holding the new image's HELLO
 * reply and its fds, which that image reads in place of asking its worker.
 */
#define GTS_LOCAL_HELLO_SLOT (GTS_PATH_SLOT_FIRST + GTS_PATH_TABLE_MAX)
/* prefetched standby i's channel and lifeline (close-on-exec: an exec'd image has none) */
#define GTS_PREFETCH_CHANNEL_SLOT(i) (GTS_LOCAL_HELLO_SLOT + 1 + 2 * (i))
#define GTS_PREFETCH_LIFELINE_SLOT(i) (GTS_LOCAL_HELLO_SLOT + 2 + 2 * (i))
/* held (an eventfd) once the process has the signalfd filter, which outlives exec as this does */
#define GTS_SIGNALFD_FILTER_SLOT (GTS_RESERVED_FDS - 2)
/* the channels of the threads but the main one: from the end of the reserved fds on (up to the fd limit), one slot each */
#define GTS_THREAD_CHANNEL_FIRST GTS_RESERVED_FDS
/* at most so many (an eighth of the fd space below that) */
#define GTS_THREAD_CHANNELS_MAX 1024
/* the app's fds just below the reserved ones where the stub puts signalfds that need it to read them */
#define GTS_SIGNALFD_SLOTS 8

#endif
