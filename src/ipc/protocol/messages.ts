// Messages between the leader and its workers. Versioned; each has a schema that every received
// message is checked against, and a one-line rendering for --leader-log.
import { object, ProtocolError, t, type Check } from './schema.js';

export const PROTOCOL_VERSION = 1;

/**
 * Standby children a process holds at once: three, so that its stub holds two for its next
 * forks (PREFETCH_MAX: a pipeline's pair) while the leader makes the one after (a child that
 * ends at once would otherwise be forked again before its replacement came). The leader holds
 * one only, with a worker set aside, near the host's limits (Leader.onStandbyRequest).
 */
export const STANDBYS_PER_PROCESS = 3;
/**
 * Standby children a process may hold once a fork of its has found none ready: it forks faster
 * than offers come one after another (a burst of forks), and each of its forks would wait for
 * the round trip to the leader.
 */
export const STANDBYS_IN_A_BURST = 8;

const v = t.literal(PROTOCOL_VERSION);

/** The System V IPC operations the leader makes (sysv-request). */
export const SYSV_OPS = [
  'shm-get', 'shm-attach', 'shm-detach', 'shm-stat', 'shm-set', 'shm-remove', 'shm-list',
  'sem-get', 'sem-op', 'sem-ctl', 'sem-list',
  'msg-get', 'msg-send', 'msg-recv', 'msg-ctl', 'msg-list',
] as const;
export type SysvOp = (typeof SYSV_OPS)[number];
/** What /dev/attestation asks the leader for (attestation-request). */
export const ATTESTATION_OPS = ['key-files', 'key', 'target-info', 'report', 'quote'] as const;
export type AttestationOp = (typeof ATTESTATION_OPS)[number];
/** What a worker asks of the leader's plaintext copies of encrypted files (encrypted-request). */
export const ENCRYPTED_OPS = ['find', 'open', 'offer', 'sync', 'rename', 'remove'] as const;
export type EncryptedOp = (typeof ENCRYPTED_OPS)[number];
/** sysv-reply's value for a msg-send or msg-recv that must wait for a sysv-wake */
export const SYSV_WAIT = 1;

const schemas = {
  /** worker -> leader: booted (or done with its last process) and ready for a process */
  'worker-ready': object({
    type: t.literal('worker-ready'), v, workerPid: t.int,
    /** the process it served is gone; null the first time, or after the first process */
    gone: t.nullable(object({ vpid: t.int, ran: t.bool })),
  }),
  /**
   * leader -> worker, once before anything else: the instance's file-system view (the mounts the
   * manifest describes, the scratch tmpfs, the file checks), the same for every process
   */
  'instance-config': object({
    type: t.literal('instance-config'), v,
    mounts: t.array(object({
      type: t.oneOf(['chroot', 'tmpfs', 'proc', 'dev', 'sys'] as const), path: t.str,
      /** chroot: the host directory; tmpfs: the directory in the scratch tmpfs */
      source: t.str, readOnly: t.bool,
      /** a mount of one file: its name in the directory `source` ("" for a directory mount) */
      file: t.str,
      /** why nothing below the mount point may be opened, or "" */
      refusal: t.str,
      /** the refusal is the instance's policy (a host directory no mount shows), not a feature it lacks */
      hidden: t.bool,
      /** an empty directory made up for a mount point whose parent is not in the tree */
      synthesized: t.bool,
      /** its files only: no sub-directory may be entered or made (an untrusted_shm mount) */
      flat: t.bool,
      /**
       * an encrypted mount (a chroot mount of protected files): the name of its key
       * (/dev/attestation/keys/NAME) and the host path its files' bound names start with (the
       * manifest's uri without "file:"); null for any other mount
       */
      encrypted: t.nullable(object({ keyName: t.str, boundRoot: t.str })),
      /**
       * a host path of the mount's root that is the same in every process (an fd the leader
       * holds; "" for a pseudo tree): UNIX sockets are bound below it when the app's own path
       * would not reach the same directory on the host
       */
      socketRoot: t.str,
    })),
    scratchPath: t.str,
    /**
     * the root of the file tree the app processes are rooted in (an fd the leader holds:
     * src/pal/instance-tree.ts), below which the workers open the host mounts' roots; null:
     * none (not root, or the boundary left out), the host's tree
     */
    instanceTree: t.nullable(t.str),
    /** the instance's prefix of abstract UNIX socket names on the host (see native/stub/net.c) */
    abstractPrefix: t.str,
    /** the workers' log level (for what the file checks log) */
    logLevel: t.str,
    /** loader.log_file: the workers log there (appended), or null: to stderr */
    logFile: t.nullable(t.str),
    /** uname's nodename (a manifest's "localhost"), or null: the host's */
    hostname: t.nullable(t.str),
    /** sys.stack.size: the first process's RLIMIT_STACK (its children inherit it), or null */
    stackSize: t.nullable(t.int),
    /** where an ELF interpreter the instance lacks is looked for by its file name */
    interpreterDirs: t.array(t.str),
    /** the directories of the first process's PATH */
    pathDirs: t.array(t.str),
    /** the terminals the instance was started on (host /dev/pts/N of the leader's stdio): its /dev/pts */
    terminals: t.array(t.str),
    /** sys.disallow_subprocesses: a fork fails with EAGAIN */
    disallowSubprocesses: t.bool,
    /** sys.fds.limit: the first process's RLIMIT_NOFILE (its children inherit it), or null */
    fdsLimit: t.nullable(object({ soft: t.int, hard: t.nullable(t.int) })),
    /** what each opened file is checked against (FileCheckConfig), or null: no checks */
    fileChecks: t.nullable(object({
      enabled: t.bool, policy: t.oneOf(['strict', 'allow_all_but_log'] as const),
      trusted: t.array(object({ path: t.str, sha256: t.str, size: t.nullable(t.int) })), allowed: t.array(t.str),
    })),
  }),
  /** leader -> worker: become the first process of the instance */
  'start-process': object({
    type: t.literal('start-process'), v, vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int,
    /** argv and env: byte strings (one char per byte) */
    filename: t.str, argv: t.array(t.str), env: t.record(t.str), cwd: t.str,
    uid: t.int, gid: t.int, groups: t.array(t.int), umask: t.int, logLevel: t.str,
    /** development aid: append the names of the syscalls the app made to this file */
    traceFile: t.nullable(t.str),
    /** --strace: write a line for each trapped call of every process to this file */
    straceFile: t.nullable(t.str),
    /**
     * false only with GRAMINE_TS_INSECURE_NO_SANDBOX=1 in the leader's environment: the app
     * processes run without the instance's kernel boundary (for measuring its cost; insecure)
     */
    sandbox: t.bool,
    /**
     * the instance runs in the foreground of a terminal (the leader's group is its foreground
     * group): the process takes a host group of its own and the terminal's foreground
     */
    foreground: t.bool,
    /** the CPU the worker and its app share (a round trip between CPUs costs 3-5x), or null */
    cpu: t.nullable(t.int),
  }),
  /** worker -> leader: the program could not be started (exec failure before any app code ran) */
  'start-failed': object({ type: t.literal('start-failed'), v, vpid: t.int, errno: t.int, message: t.str }),
  /** worker -> leader: the first process ended, as its host parent saw it */
  'process-exited': object({
    type: t.literal('process-exited'), v, vpid: t.int, code: t.nullable(t.int), signal: t.nullable(t.int),
  }),
  /**
   * worker -> leader: process `vpid` wants a standby child, so that its next fork needs
   * no round trip to the leader. `urgent`: a fork waits for it now (else it is a spare for a
   * later fork: it takes a worker that comes free, and no Node is started for it). `holds`: how
   * many the process may hold now (STANDBYS_PER_PROCESS, or up to STANDBYS_IN_A_BURST).
   */
  'standby-request': object({ type: t.literal('standby-request'), v, vpid: t.int, urgent: t.bool, holds: t.int }),
  /**
   * leader -> parent's worker: your next child is `vpid`; take the app ends of its channel and
   * lifeline (fds of the leader, which holds the child until it first asks something) and seal
   * your checkpoint for it with `key` (hex)
   */
  'standby-offer': object({
    type: t.literal('standby-offer'), v, parentVpid: t.int, vpid: t.int, stubFd: t.int,
    lifelineFd: t.int, key: t.str,
    /** the CPU the child and its worker share, or null */
    cpu: t.nullable(t.int),
    /**
     * no worker is set aside for it (the host's limits leave room to spare): the parent's stub
     * may hold it for a fork it makes alone. One with a worker set aside (near a limit) stays
     * the worker's: the leader makes no more for a fork that waits while its stub held them.
     */
    lazy: t.bool,
  }),
  /**
   * leader -> a free worker: serve child `vpid`, which has asked something (or is signalled).
   * Take the worker ends of its channel and lifeline and its cwd (fds of the leader), open the
   * sealed checkpoint with `key`; its ids in the process tree are these now (the checkpoint's
   * are its parent's at the fork). `hostPid`/`hostTid`: who it is on the host, if known.
   */
  'adopt': object({
    type: t.literal('adopt'), v, vpid: t.int, ppid: t.int, pgid: t.int, sid: t.int, key: t.str, sealed: t.bytes,
    channelFd: t.int, lifelineFd: t.int, cwdFd: t.int, appEndInode: t.int, hostPid: t.int, hostTid: t.int,
    cpu: t.nullable(t.int),
    /** the children the leader forked for it while it was held, not reaped: host pid (0: its stub has not told yet) */
    children: t.array(object({ vpid: t.int, hostPid: t.int })),
    /**
     * an exec its stub made alone while it was held (`own`), or one its parent had made before
     * the leader forked it: where the new image's AT_EXECFN is in the stub's memory (EXECED), or null
     */
    execed: t.nullable(object({ addr: t.int, len: t.int, hostTid: t.int, own: t.bool })),
    /** a umask its stub set alone while it was held (UMASK), or null: the state's */
    umask: t.nullable(t.int),
  }),
  /** worker -> leader: it has taken child `vpid`'s fds (the leader closes its copies), or could not */
  'adopted': object({ type: t.literal('adopted'), v, vpid: t.int, ok: t.bool }),
  /**
   * leader -> parent's worker: no standby child can be had (a new worker could not start: the
   * host's process limits); the fork waiting for one fails with EAGAIN, as a host fork would
   */
  'standby-refused': object({ type: t.literal('standby-refused'), v, parentVpid: t.int }),
  /**
   * parent's worker -> leader: the stub forked child `vpid` as host process `hostPid` (or -errno),
   * as the kernel says (`checked`), or as the stub said only: the leader checks that this process
   * holds the child's channel at `channelFd`
   */
  'forked': object({
    type: t.literal('forked'), v, parentVpid: t.int, vpid: t.int, hostPid: t.int, checked: t.bool, channelFd: t.int,
    /** the stub forked alone, into the standby it held (its worker heard of it only after) */
    alone: t.bool,
    /** and the parent wants a standby child for its next fork (as a standby-request, not urgent) */
    spare: t.bool,
  }),
  /** child's worker -> leader: its child runs, as host process `hostPid` (the child's FORKED, read after its adoption) */
  'standby-taken': object({ type: t.literal('standby-taken'), v, vpid: t.int, hostPid: t.int }),
  /** parent's worker -> leader: child `vpid` has been reaped by its parent (or by vpid 1) */
  'reaped': object({ type: t.literal('reaped'), v, vpid: t.int }),
  /** worker -> leader: thread ids for process `vpid`, from the instance's pid space (a few at a time) */
  'tids-request': object({ type: t.literal('tids-request'), v, reqId: t.int, vpid: t.int, count: t.int }),
  'tids-reply': object({ type: t.literal('tids-reply'), v, reqId: t.int, tids: t.array(t.int) }),
  /** worker -> leader: threads of process `vpid` that have exited: their tids are free */
  'tids-released': object({ type: t.literal('tids-released'), v, vpid: t.int, tids: t.array(t.int) }),
  /** worker -> leader: translate a vpid to its host pid or back (a child the worker does not know) */
  'pid-lookup': object({
    type: t.literal('pid-lookup'), v, reqId: t.int,
    /**
     * uid-of-vpid: the real uid of a process (a SIGCHLD's si_uid, for a child the worker does not
     * know); host-of-vpgid, vpgid-of-host, vsid-of-host: a process group or session, as a
     * terminal's ioctls name them (leader/host-groups.ts)
     */
    direction: t.oneOf(['host-of-vpid', 'vpid-of-host', 'uid-of-vpid', 'host-of-vpgid', 'vpgid-of-host', 'vsid-of-host'] as const),
    id: t.int,
  }),
  /** leader -> worker: the translation, 0 when there is none (-1 for a uid) */
  'pid-lookup-reply': object({ type: t.literal('pid-lookup-reply'), v, reqId: t.int, value: t.int }),
  /** worker -> leader: the host pids of the children of `parent` in process group `pgid` */
  'group-children': object({ type: t.literal('group-children'), v, reqId: t.int, parent: t.int, pgid: t.int }),
  'group-children-reply': object({
    type: t.literal('group-children-reply'), v, reqId: t.int, hostPids: t.array(t.int),
  }),
  /**
   * worker -> leader: its process runs as host process `hostPid` (the first process: a forked
   * child's host pid comes with `forked` or `standby-taken`)
   */
  'host-pid': object({ type: t.literal('host-pid'), v, vpid: t.int, hostPid: t.int }),
  /** worker -> leader: the process's user ids changed (setuid & co.): who it may signal, and be signalled by */
  'creds-changed': object({
    type: t.literal('creds-changed'), v, reqId: t.int, vpid: t.int, uid: t.int, euid: t.int, suid: t.int,
    gid: t.int, egid: t.int,
  }),
  /** leader -> worker: the change is known, to the parent's worker too (its SIGCHLDs name the real uid) */
  'creds-reply': object({ type: t.literal('creds-reply'), v, reqId: t.int }),
  /** leader -> worker: child `child` of process `vpid` has real uid `uid` now; answer `applied` */
  'child-creds': object({ type: t.literal('child-creds'), v, vpid: t.int, child: t.int, uid: t.int, ackId: t.int }),
  /** worker -> leader: who host process `hostPid` is in the instance (a socket peer's credentials) */
  'peer-creds': object({ type: t.literal('peer-creds'), v, reqId: t.int, hostPid: t.int }),
  /** leader -> worker: its vpid (0: not a process of the instance) and virtual ids */
  'peer-creds-reply': object({
    type: t.literal('peer-creds-reply'), v, reqId: t.int, vpid: t.int, uid: t.int, euid: t.int, gid: t.int, egid: t.int,
  }),
  /** worker -> leader: the running processes of the instance (for /proc) */
  'process-list': object({ type: t.literal('process-list'), v, reqId: t.int }),
  /** leader -> worker: each running process whose host pid is known */
  'process-list-reply': object({
    type: t.literal('process-list-reply'), v, reqId: t.int,
    processes: t.array(object({ vpid: t.int, hostPid: t.int, ppid: t.int, pgid: t.int, sid: t.int })),
  }),
  /** worker -> leader: `sender` sends `sig` (0: existence check) to a pid, a group, or all */
  'kill-request': object({
    type: t.literal('kill-request'), v, reqId: t.int, sender: t.int, target: t.oneOf(['pid', 'pgid', 'all'] as const),
    id: t.int, sig: t.int, code: t.int,
    /** rt_sigqueueinfo: the siginfo the sender gave (hex), delivered as given */
    info: t.nullable(t.str),
    /** tgkill: the thread of process `id` it is for (null: the process) */
    tid: t.nullable(t.int),
  }),
  'kill-reply': object({ type: t.literal('kill-reply'), v, reqId: t.int, errno: t.int }),
  /**
   * leader -> worker: queue this signal for process `vpid` (siginfo fields, virtual); with an
   * `ackId`, answer `applied` once it is pending on the host process
   */
  'signal': object({
    type: t.literal('signal'), v, vpid: t.int, signo: t.int, code: t.int, pid: t.int, uid: t.int,
    status: t.nullable(t.int), ackId: t.nullable(t.int),
    /** the target's host pid, for a forked child whose worker may not have heard from it yet */
    hostPid: t.nullable(t.int),
    /** the whole siginfo (hex) when the sender gave one (rt_sigqueueinfo) */
    info: t.nullable(t.str),
    /** the thread it is for (tgkill), or null for the process */
    tid: t.nullable(t.int),
  }),
  /** worker -> leader: it has done what the message with `ackId` asked (queued a signal, changed a group) */
  'applied': object({
    type: t.literal('applied'), v, ackId: t.int,
    /** the change was not made: a setpgid by the parent of a child that has exec'd (EACCES) */
    refused: t.bool,
  }),
  /** worker -> leader: process groups and sessions (setpgid, setsid, getpgid, getsid) */
  'pgrp-request': object({
    type: t.literal('pgrp-request'), v, reqId: t.int, caller: t.int,
    op: t.oneOf(['setpgid', 'setsid', 'getpgid', 'getsid'] as const), pid: t.int, pgid: t.int,
  }),
  /**
   * leader -> worker: the result, and for a setpgid the host group the target goes into: 0 one
   * of its own, the group's (its members' on the host), or -1 none (no change, or not known)
   */
  'pgrp-reply': object({ type: t.literal('pgrp-reply'), v, reqId: t.int, value: t.int, errno: t.int, hostPgid: t.int }),
  /** leader -> worker: process `vpid` is now in group `pgid` of session `sid` */
  'pgrp-changed': object({
    type: t.literal('pgrp-changed'), v, vpid: t.int, pgid: t.int, sid: t.int,
    /** answer `applied` with it (the caller of setpgid waits until the target knows) */
    ackId: t.nullable(t.int),
    /** its parent's setpgid: refused if the process has exec'd since its fork, as Linux's EACCES */
    byParent: t.bool,
  }),
  /**
   * worker -> leader: a System V IPC call of process `caller` (its effective ids say what it
   * may do): shm-get [key, size, flags], shm-attach [id, readOnly], shm-detach [id] (no reply),
   * shm-stat [id, any], shm-set [id, uid, gid, mode], shm-remove [id], shm-list []; sem-get
   * [key, nsems, flags], sem-op [id, wantMap (1: the set's
   * memory too), then num op flg of each operation], sem-ctl [id,
   * num, cmd, values...], sem-list []; msg-get [key, flags], msg-send [id, waitId, type, flags]
   * with the message in `data`, msg-recv [id, waitId, maxSize, type, flags], msg-ctl [id, cmd,
   * values...], msg-list []
   */
  'sysv-request': object({
    type: t.literal('sysv-request'), v, reqId: t.int, caller: t.int, euid: t.int, egid: t.int,
    op: t.oneOf(SYSV_OPS),
    args: t.array(t.int),
    data: t.nullable(t.bytes),
  }),
  /**
   * leader -> worker: the result (-errno; msg-send, msg-recv: 1 for "wait for sysv-wake"), with
   * what the call reports: a segment's host path (shm-attach); for sem-op, values [wait, seq,
   * blocked] (wait 1: until the set's seq moves on) and, if asked, [gen, access, nsems] with the
   * host path of the set's memory; status records
   * (shm-stat, shm-list, sem-ctl and msg-ctl IPC_STAT: struct *id64_ds's fields by name);
   * semaphore values (sem-ctl GETALL) or a received message's type (msg-recv) and its `data`
   */
  'sysv-reply': object({
    type: t.literal('sysv-reply'), v, reqId: t.int, value: t.int, path: t.str, stats: t.array(t.record(t.int)),
    values: t.array(t.int),
    data: t.nullable(t.bytes),
  }),
  /**
   * worker -> leader: mq_open (flags and mode as the app gave them, the umask applied; `attr`:
   * [maxmsg, msgsize] for a new queue, null for the defaults) or mq_unlink of process `caller`
   */
  'mq-request': object({
    type: t.literal('mq-request'), v, reqId: t.int, caller: t.int, euid: t.int, egid: t.int,
    op: t.oneOf(['open', 'unlink'] as const), name: t.str, flags: t.int, mode: t.int, attr: t.nullable(t.array(t.int)),
  }),
  /** leader -> worker: the result (-errno), and for an open the host path of the queue to reopen */
  'mq-reply': object({ type: t.literal('mq-reply'), v, reqId: t.int, value: t.int, path: t.str }),
  /** leader -> worker: the semaphore set or queue a call of `waitId` waited on has changed: try again */
  'sysv-wake': object({ type: t.literal('sysv-wake'), v, waitId: t.int }),
  /**
   * worker -> leader: process `vpid` wants `sig` when its parent exits (PR_SET_PDEATHSIG; 0:
   * nothing); answered once known, so that a parent that exits after the prctl sends it
   */
  'pdeath-signal': object({ type: t.literal('pdeath-signal'), v, reqId: t.int, vpid: t.int, sig: t.int }),
  'pdeath-signal-reply': object({ type: t.literal('pdeath-signal-reply'), v, reqId: t.int }),
  /**
   * worker -> leader: what its processes used that gramine-ts does not support (a syscall's
   * name, or a feature such as "prctl(PR_SET_MM)"), with how often since the last report
   */
  'unsupported': object({ type: t.literal('unsupported'), v, vpid: t.int, counts: t.record(t.int) }),
  /**
   * worker -> leader: the instance's first process, which took the terminal's foreground, was
   * stopped (Ctrl-Z) or continued by someone else: the instance stops as a whole, as a job of
   * the shell that started it (leader/terminal.ts)
   */
  'first-process-stopped': object({ type: t.literal('first-process-stopped'), v, stopped: t.bool }),
  /**
   * worker -> leader: the thread of process `vpid` that was the parent of `children` exited
   * while the process runs on: those that asked for one get their parent-death signal
   */
  'parent-thread-exited': object({ type: t.literal('parent-thread-exited'), v, vpid: t.int, children: t.array(t.int) }),
  /**
   * worker -> leader: the worker's fd `fd` is its verified copy of trusted file `path` (`size`
   * bytes, a host path as a byte string): for the leader to keep as the instance's, under
   * `name` (libos/fs/trusted.ts)
   */
  'trusted-copy': object({ type: t.literal('trusted-copy'), v, name: t.str, path: t.str, fd: t.int, size: t.int }),
  /**
   * worker -> leader: hold the directory the worker has open as its fd `fd` (a walk opened it)
   * for the instance, to bind a UNIX socket in; the reply's path names it in every process
   * (/proc/<leader>/fd/<n>), or `errno` says why not
   */
  'socket-directory': object({ type: t.literal('socket-directory'), v, reqId: t.int, fd: t.int }),
  'socket-directory-reply': object({ type: t.literal('socket-directory-reply'), v, reqId: t.int, path: t.str, errno: t.int }),
  /**
   * worker -> leader: what /dev/attestation needs of the instance (libos/fs/dev/attestation.ts;
   * leader/attestation.ts answers): 'key-files' the instance's keys (keys/NAME), files the leader
   * holds; 'key' the derived key `name` (_sgx_mrenclave, _sgx_mrsigner, _sgx_report_key);
   * 'target-info' the instance's TARGETINFO; 'report' a REPORT of `data` = the TARGETINFO of its
   * target (512 bytes) || report data (64); 'quote' a quote of `data` = report data (64)
   */
  'attestation-request': object({
    type: t.literal('attestation-request'), v, reqId: t.int, op: t.oneOf(ATTESTATION_OPS), name: t.str, data: t.nullable(t.bytes),
  }),
  /** leader -> worker: the bytes asked for, or `errno`; for 'key-files', each key's name and the host path of its file */
  'attestation-reply': object({
    type: t.literal('attestation-reply'), v, reqId: t.int, errno: t.int, data: t.nullable(t.bytes),
    keyFiles: t.array(object({ name: t.str, path: t.str })),
  }),
  /**
   * worker -> leader, about the plaintext copy of file `rel` of the encrypted mount at `mount`
   * (leader/encrypted-copies.ts): 'find' the path of the copy if the leader holds one; 'open'
   * the same, and the worker's process is now one that opened it (written back when it ends);
   * 'offer' hold the worker's fd `fd` as the copy (unless another came first: the reply names
   * the one held); 'sync' write back the copy the worker's fd `fd` is (fsync); 'rename' the
   * file is now `to` (re-bound: written back under its new name); 'remove' it was unlinked
   */
  'encrypted-request': object({
    type: t.literal('encrypted-request'), v, reqId: t.int, op: t.oneOf(ENCRYPTED_OPS), mount: t.str, rel: t.str, to: t.str, fd: t.int,
    /** 'open', 'offer': the app's open may change the copy (for writing, or O_TRUNC) */
    writable: t.bool,
  }),
  /** leader -> worker: the copy's path for every process (/proc/<leader>/fd/N; "" for none), or `errno` */
  'encrypted-reply': object({ type: t.literal('encrypted-reply'), v, reqId: t.int, errno: t.int, path: t.str }),
  /** leader -> worker: the process's parent exited; it now belongs to `ppid` */
  'reparent': object({ type: t.literal('reparent'), v, vpid: t.int, ppid: t.int }),
} as const;

type Schemas = typeof schemas;
export type MessageType = keyof Schemas;
export type Message<K extends MessageType = MessageType> = K extends MessageType
  ? Schemas[K] extends Check<infer T> ? T : never
  : never;

/** Check a decoded value against its message schema; throws ProtocolError naming the field. */
export function validateMessage(value: unknown): Message {
  if (typeof value !== 'object' || value === null) throw new ProtocolError('message is not a map');
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !(type in schemas)) throw new ProtocolError(`unknown message type ${String(type)}`);
  return schemas[type as MessageType](value, '') as Message;
}

const MAX_RENDER = 240;

/** One readable line: the type and its fields, long values cut. */
export function describeMessage(msg: Message): string {
  const fields = Object.entries(msg)
    .filter(([k]) => k !== 'type' && k !== 'v')
    .map(([k, val]) => {
      let s = k === 'env' && typeof val === 'object' && val !== null ? `{${Object.keys(val).length} vars}` : render(val);
      if (s.length > MAX_RENDER) s = `${s.slice(0, MAX_RENDER)}…`;
      return `${k}=${s}`;
    });
  return `${msg.type.toUpperCase().replace(/-/g, '_')} ${fields.join(' ')}`;
}

/** A field's value on one line: arrays as [a b], objects as {k=v k=v}, bytes by their count. */
function render(val: unknown): string {
  if (Array.isArray(val)) return `[${val.map(render).join(' ')}]`;
  if (Buffer.isBuffer(val) || val instanceof Uint8Array) return `<${val.length} bytes>`;
  if (typeof val === 'object' && val !== null) return `{${Object.entries(val).map(([k, v]) => `${k}=${render(v)}`).join(' ')}}`;
  return typeof val === 'string' && (val === '' || /\s/.test(val)) ? JSON.stringify(val) : String(val);
}
