// The system call table: one line per syscall -- where it is answered, its support status, and
// a note. `where` says who runs it:
//   native  the seccomp filter lets the host kernel run it directly (the data plane)
//   stub    trapped, answered inside the app process by the stub (native/stub/trap.c)
//   libos   trapped and forwarded to this worker, answered by the handler
// Anything not listed is ENOSYS, logged once. docs/syscalls.md is generated from this table.
import { NR, SYSCALL_NAMES } from './syscall-numbers.js';
import { fsHandlers } from './sys/fs.js';
import { identityHandlers } from './sys/identity.js';
import { infoHandlers } from './sys/info.js';
import { ipcHandlers } from './sys/ipc.js';
import { mqueueHandlers } from './sys/mqueue.js';
import { netHandlers } from './sys/net.js';
import { procHandlers } from './sys/proc.js';
import { schedHandlers } from './sys/sched.js';
import { signalHandlers } from './sys/signal.js';
import type { SyscallHandler } from './sys/types.js';

export type Where = 'native' | 'stub' | 'libos';
export type Status = 'supported' | 'partial' | 'unsupported';

export interface SyscallEntry {
  nr: number;
  name: string;
  where: Where;
  status: Status;
  note: string;
  handler?: SyscallHandler;
  /** a libos syscall the stub takes part in: a fast path it answers alone, or the host side of
   * what the worker decides (fork, exec) */
  alsoInStub?: true;
}

type Name = keyof typeof NR;
const handlers: Partial<Record<Name, SyscallHandler>> = {
  ...fsHandlers, ...identityHandlers, ...infoHandlers, ...ipcHandlers, ...mqueueHandlers, ...signalHandlers, ...procHandlers, ...netHandlers, ...schedHandlers,
};

function line(name: Name, where: Where, status: Status, note: string, alsoInStub = false): SyscallEntry {
  const handler = where === 'libos' ? handlers[name] : undefined;
  if (where === 'libos' && !handler) throw new Error(`syscall table: no handler for ${name}`);
  return {
    nr: NR[name], name, where, status, note, ...(handler ? { handler } : {}), ...(alsoInStub ? { alsoInStub } : {}),
  };
}

/** A wait a signal ends without restarting: run from the stub's gadget (native/stub/signal_waits.c). */
const signalWait = (what: string, zeroTimeoutNative = false) =>
  `${what}${zeroTimeoutNative ? ' (natively with a timeout of 0)' : ''}, from the stub's wait gadget: a signal from another ` +
  'process ends it only as on Linux (one blocked or ignored does not)';
const native = (name: Name, status: Status, note: string) => line(name, 'native', status, note);
const stub = (name: Name, status: Status, note: string) => line(name, 'stub', status, note);
const libos = (name: Name, status: Status, note: string) => line(name, 'libos', status, note);
const libosAndStub = (name: Name, status: Status, note: string) => line(name, 'libos', status, note, true);

const HOST_FD = 'on the host fd itself';
const ENCRYPTED_SYNC =
  'trapped: on an encrypted file (its plaintext copy) the leader writes the copy back to the host as a protected file; any other fd is synced on the worker\'s copy of it (the same open file)';
const READ_ONLY_AWARE = 'on the worker\'s copy of the host fd: EROFS for a file only read-only mounts hold, EPERM for the pseudo trees and the host\'s devices';
const SIGNALFD =
  'the host\'s, without the stub\'s signals; one that carries SIGCHLD or SIGCONT is put among the app\'s top fds, whose reads the stub makes, so the senders are vpids';
/** a path call: the VFS walks it (mounts, symlinks, confinement), the host works on what it found */
const VFS = 'VFS walk; the host on the file found';
/** opens of a FIFO that wait for the other end (src/libos/fs/fifo-opens.ts) */
const FIFO_WAIT = 'a FIFO\'s open that waits for its other end waits in the app (a handler ends it with EINTR, or restarts it with SA_RESTART)';
/** a socket call that names an address (native/stub/net.c) */
const SOCKET_ADDRESS = 'IP addresses the host\'s; UNIX ones the instance\'s (an abstract name with the instance\'s prefix on the host, a path by the VFS walk)';
const NATIVE_UNLESS_ADDRESS = `natively without an address; with one, made by the stub (${SOCKET_ADDRESS})`;
const REPORTS_NAME = 'the host\'s, made by the stub; a UNIX name reported as the app\'s (the instance\'s prefix off an abstract one, an instance path for a path)';
/** System V IPC (src/leader/sysv-*.ts) */
const SYSV = 'keys and ids private to the instance, kept by the leader; permissions by the virtual ids';
/** glibc's site of a call the stub answers alone becomes a direct call after its first trap (native/stub/patch.c) */
const DIRECT = 'after the first trap, at glibc\'s site, a direct call into the stub (no signal) in a one-thread process';
/** the stub's fast path (native/stub/paths.c) */
const STUB_STAT = `an absolute path inside one host mount with no symlink (but a last one to an entry of its own directory) or ".." (or a relative one below a working directory with no mount point under it) is stat-ed by the stub; ${DIRECT}`;
const STUB_ACCESS = `an absolute path inside one host mount (or a relative one below a working directory with no mount point under it) that is not there (ENOENT, ENOTDIR) is answered by the stub, and so is may read and run for the instance's root or the host user the process still is, and may write on a writable mount no file check applies to; ${DIRECT}`;
/** the stub's writes on a writable mount no file check applies to (native/stub/paths.c) */
const STUB_WRITE = 'a regular file on a writable mount no file check applies to is opened for writing, truncated or created (O_CREAT, O_EXCL, O_TRUNC, O_APPEND; no set-id or sticky bit) by the stub, as the app\'s host identity under the host\'s umask (the process\'s); what the host refuses it is the worker\'s';
const STUB_OPEN = `such a path opened for reading on a mount no file check applies to is opened by the stub (a regular file or a directory; with O_NONBLOCK, any file; not a directory with mount points in it; O_DIRECTORY is the worker's; a last symlink to a plain name or an absolute path is followed as the walk does); ${DIRECT}; ${STUB_WRITE}`;

const STUB_UNLINK = 'a name in a directory of a writable mount no file check applies to (an absolute path with no ".", ".." or "//", or one below a working directory the stub resolves in; not a mount point; no AT_REMOVEDIR) is unlinked by the stub, as the app\'s host identity; what the host refuses it is the worker\'s';

export const SYSCALL_TABLE: readonly SyscallEntry[] = [
  native('read', 'supported', `${HOST_FD} (a signalfd carrying SIGCHLD or SIGCONT: read by the stub, pids made virtual)`),
  native('write', 'supported', HOST_FD),
  libosAndStub('open', 'supported', `${VFS}; ${STUB_OPEN}; ${FIFO_WAIT}`),
  native('close', 'supported', `${HOST_FD}; the stub's reserved fds trap (EBADF)`),
  libosAndStub('stat', 'supported', `${VFS}; ${STUB_STAT}`),
  native('fstat', 'supported', `${HOST_FD}; the stub's reserved fds trap (EBADF)`),
  libosAndStub('lstat', 'supported', `${VFS}; ${STUB_STAT}`),
  stub('poll', 'supported', `${signalWait('host poll', true)}; one that finds an fd ready: ${DIRECT}`),
  native('lseek', 'supported', HOST_FD),
  stub('mmap', 'supported', 'native unless MAP_FIXED could reach the stub window'),
  stub('mprotect', 'supported', 'native unless the range could reach the stub window'),
  stub('munmap', 'supported', 'native unless the range could reach the stub window'),
  native('brk', 'supported', 'the host heap (it follows the stub image)'),
  stub('rt_sigaction', 'partial', `SIGSYS and signal 64 are the stub's: refused; others the host's, a siginfo handler of SIGCHLD, SIGCONT, SIGPIPE or SIGXFSZ through a trampoline that makes its pids and uids virtual; for a signal of neither kind nor a fault signal, ${DIRECT}`),
  stub('rt_sigprocmask', 'supported', `the stub's signals stay unblocked; ${DIRECT}`),
  stub('rt_sigsuspend', 'supported', signalWait('the real call with the mask without the stub\'s signals')),
  native('rt_sigreturn', 'supported', 'host signal frames'),
  libosAndStub('ioctl', 'partial', `${HOST_FD}, natively, but TIOCSTI (EPERM: it would type into a terminal outside the instance) and the attribute setters FS_IOC_SETFLAGS and FS_IOC_FSSETXATTR (EROFS on a file only read-only mounts hold), which the worker makes, and a terminal's TIOCGPGRP, TIOCSPGRP and TIOCGSID, which the stub makes in the instance's ids (0 for a group or session none of its processes is in)`),
  native('pread64', 'supported', HOST_FD),
  native('pwrite64', 'supported', HOST_FD),
  native('readv', 'supported', `${HOST_FD} (a signalfd carrying SIGCHLD or SIGCONT: read by the stub, pids made virtual)`),
  native('writev', 'supported', HOST_FD),
  libosAndStub('access', 'supported', `${VFS}; ${STUB_ACCESS}`),
  native('pipe', 'supported', 'host pipe'),
  stub('select', 'supported', signalWait('host select')),
  native('sched_yield', 'supported', 'host scheduler'),
  libos('getpriority', 'partial', 'PRIO_PROCESS: of the host thread the tid names (0: the caller, a pid: its main thread); PRIO_PGRP and PRIO_USER EINVAL'),
  libos('setpriority', 'partial', 'as getpriority; raising the priority needs virtual root (EACCES)'),
  libos('sched_setparam', 'supported', 'on the host thread the tid names; a real-time priority needs virtual root'),
  libos('sched_getparam', 'supported', 'of the host thread the tid names'),
  libos('sched_setscheduler', 'supported', 'on the host thread the tid names; a real-time policy needs virtual root'),
  libos('sched_getscheduler', 'supported', 'of the host thread the tid names'),
  native('sched_get_priority_max', 'supported', 'host'),
  native('sched_get_priority_min', 'supported', 'host'),
  libos('sched_rr_get_interval', 'supported', 'of the host thread the tid names'),
  libos('ioprio_get', 'partial', 'IOPRIO_WHO_PROCESS: of the host thread the tid names; the others EINVAL'),
  libos('ioprio_set', 'partial', 'as ioprio_get; the real-time class needs virtual root'),
  stub('mremap', 'supported', 'native unless the range could reach the stub window'),
  native('msync', 'supported', 'host mapping'),
  native('mincore', 'supported', 'host mapping'),
  stub('madvise', 'supported', 'native unless the range could reach the stub window'),
  stub('mbind', 'supported', 'native unless the range could reach the stub window (EFAULT there, as for memory not mapped)'),
  native('get_mempolicy', 'supported', 'host'),
  native('set_mempolicy', 'supported', 'host'),
  libos('shmget', 'supported', `${SYSV}; a segment is a host memfd the leader holds`),
  libosAndStub('shmat', 'supported', `${SYSV}; the stub maps the segment (host shared memory) and keeps the attachment for shmdt`),
  libos('shmctl', 'supported', `${SYSV}: IPC_STAT, IPC_SET, IPC_RMID (gone at the last detach), IPC_INFO, SHM_INFO, SHM_STAT, SHM_STAT_ANY; SHM_LOCK and SHM_UNLOCK pin nothing`),
  stub('dup', 'supported', `the stub refuses its reserved fds; ${DIRECT}`),
  stub('dup2', 'supported', `the stub refuses its reserved fds; ${DIRECT}`),
  native('nanosleep', 'supported', 'host clock'),
  native('alarm', 'supported', 'host timer of the app process'),
  native('setitimer', 'supported', 'host timers of the app process'),
  native('getitimer', 'supported', 'host timers of the app process'),
  stub('pause', 'supported', signalWait('host pause')),
  native('rt_sigpending', 'supported', 'host pending set (signals from other processes arrive through the doorbell)'),
  stub('rt_sigtimedwait', 'supported', 'the host\'s wait with the app\'s mask, waiting on through the doorbell, in the order the signals were sent; the siginfo virtual (a SIGCHLD names the child\'s vpid and uid)'),
  stub('signalfd', 'supported', SIGNALFD),
  libos('rt_sigqueueinfo', 'supported', 'the siginfo as given; to another process through the leader (si_code < 0, not SI_TKILL)'),
  stub('timer_create', 'supported', 'host POSIX timers; a SIGEV_THREAD_ID timer\'s tid (the app\'s) becomes the host tid'),
  native('timer_settime', 'supported', 'host POSIX timers'),
  native('timer_gettime', 'supported', 'host POSIX timers'),
  native('timer_getoverrun', 'supported', 'host POSIX timers'),
  native('timer_delete', 'supported', 'host POSIX timers'),
  native('timerfd_create', 'supported', 'host timerfd'),
  native('timerfd_settime', 'supported', HOST_FD),
  native('timerfd_gettime', 'supported', HOST_FD),
  stub('getpid', 'supported', `virtual pid, known to the stub; ${DIRECT}`),
  native('sendfile', 'supported', HOST_FD),
  native('socket', 'supported', 'a host socket'),
  libosAndStub('connect', 'supported', `the stub's with the app's signal mask (blocking, non-blocking, interrupted as on Linux); ${SOCKET_ADDRESS}: a path's socket file is found by the worker, the stub connects to it through /proc/self/fd`),
  stub('accept', 'supported', `natively without an address; with one, ${REPORTS_NAME}; on a socket other than a UNIX one, ${DIRECT}`),
  stub('sendto', 'supported', NATIVE_UNLESS_ADDRESS),
  stub('recvfrom', 'supported', `natively without an address; with one, ${REPORTS_NAME}; on a socket other than a UNIX one, ${DIRECT}`),
  libosAndStub('sendmsg', 'supported', `${NATIVE_UNLESS_ADDRESS.replace('natively without an address; with one, made', 'made')}; SCM_RIGHTS may not pass the stub's fds, SCM_CREDENTIALS are made the host's (those of another process or identity, which the unprivileged app process may not send, are sent by the worker for the instance's root)`),
  stub('recvmsg', 'supported', `${REPORTS_NAME}; SCM_CREDENTIALS name the sender's vpid and virtual ids`),
  native('shutdown', 'supported', HOST_FD),
  libosAndStub('bind', 'supported', `${SOCKET_ADDRESS}: a path gets its socket file from the worker's bind of the app's socket, at the app's own path when the host finds the same directory by it, else below the mount's root held by the leader (reported as the instance path); a netlink port id 0 becomes a random one (never the host pid); an IP port below 1024, which the app process may not bind, is bound by the worker for the instance's root`),
  native('listen', 'supported', HOST_FD),
  stub('getsockname', 'supported', REPORTS_NAME),
  stub('getpeername', 'supported', REPORTS_NAME),
  native('socketpair', 'supported', 'host socketpair'),
  stub('setsockopt', 'supported', 'natively, but SO_PASSPIDFD (host pidfds): ENOPROTOOPT, as a kernel without it'),
  stub('getsockopt', 'supported', 'natively, but SO_PEERCRED (the peer\'s vpid and virtual ids, pid 0 outside the instance) and SO_PEERPIDFD (ENOPROTOOPT: no host pidfd reaches the app)'),
  libosAndStub('clone', 'partial', 'processes (a fork; CLONE_VM|CLONE_VFORK as a fork too); threads made by the stub (CLONE_VM|CLONE_FS|CLONE_FILES|CLONE_SIGHAND|CLONE_THREAD, with SYSVSEM, SETTLS, PARENT_SETTID and CHILD_SETTID with the virtual tid, CHILD_CLEARTID), with a tid from the instance\'s pid space and a channel of their own; a thread without shared files or fs EINVAL'),
  stub('clone3', 'partial', 'threads as clone; a process ENOSYS (glibc then uses clone)'),
  libosAndStub('fork', 'supported', 'the leader allocates the vpid and a warm worker; the stub forks'),
  libosAndStub('vfork', 'partial', 'as fork (the parent does not wait for the child to exec)'),
  libosAndStub('execve', 'supported', 'ELF and #! resolved by the worker; the stub re-executes itself'),
  stub('exit', 'supported', 'a thread closes its channel and gives its stub block back, then exits on the host; the main thread leaves the process running while others do'),
  stub('wait4', 'supported', 'on the host (the app is its children\'s host parent): real rusage, stopped and continued; pids translated; a group wait sleeps until a member exits, stops or continues'),
  libos('uname', 'supported', 'the host\'s uname, with the instance\'s host name, or the names the process set'),
  libos('sethostname', 'partial', 'for the instance\'s root (EPERM otherwise): the process and those it makes from then on see the name (on Linux, all of its UTS namespace); the host\'s name is unchanged'),
  libos('setdomainname', 'partial', 'as sethostname, for uname\'s domainname'),
  libos('semget', 'supported', SYSV),
  libosAndStub('semop', 'supported', `${SYSV}; the values are in shared memory the leader made for the set, which the stub maps: it makes the semop itself (the set's lock, all or nothing) and waits on a futex with the app's signals open (a handler ends it with EINTR, the set's removal with EIDRM); the first on a set, SEM_UNDO (made when the process exits, kill -9 too) and more than 64 operations go to the leader`),
  libos('semctl', 'supported', `${SYSV}: GETVAL, SETVAL, GETALL, SETALL, GETPID (a vpid), GETNCNT, GETZCNT (the waiters the stubs count in the set's memory: one killed while it waits stays counted), IPC_STAT, IPC_SET, IPC_RMID (waiters get EIDRM), IPC_INFO, SEM_INFO, SEM_STAT, SEM_STAT_ANY; by the leader, which reads the set's memory as untrusted (clamped)`),
  libosAndStub('shmdt', 'supported', 'the stub unmaps an attachment it made (EINVAL for any other address) and tells the leader'),
  libos('msgget', 'supported', SYSV),
  libosAndStub('msgsnd', 'supported', `${SYSV}; the messages are the leader's; a wait as semop's (IPC_NOWAIT: EAGAIN)`),
  libosAndStub('msgrcv', 'supported', `${SYSV}; by type (0, a type, MSG_EXCEPT, the lowest up to -type), MSG_NOERROR, IPC_NOWAIT (ENOMSG); a wait as semop's; MSG_COPY ENOSYS`),
  libos('msgctl', 'supported', `${SYSV}: IPC_STAT, IPC_SET (msg_qbytes past the default needs root), IPC_RMID, IPC_INFO, MSG_INFO, MSG_STAT, MSG_STAT_ANY`),
  libosAndStub('fcntl', 'supported', 'the host fd\'s (reserved fds refused); the lock commands that take or drop a lock natively, the host keeping the locks; F_GETLK and F_OFD_GETLK name the holder by its vpid (0 outside the instance); F_SETOWN, F_GETOWN and their _EX forms take and give vpids, tids and process groups (the instance\'s groups are host groups too); F_SETLEASE is the worker\'s: EACCES on a file the instance may not change (a file of a read-only mount: its lease would hold up the host\'s writers)'),
  native('flock', 'supported', 'the host\'s, on the host fd: every file of the instance is a host file its processes share (a trusted file: the instance\'s one verified copy, which the leader keeps)'),
  libos('fsync', 'supported', ENCRYPTED_SYNC),
  libos('fdatasync', 'supported', ENCRYPTED_SYNC),
  native('sync', 'supported', 'the host\'s'),
  native('syncfs', 'supported', HOST_FD),
  libos('truncate', 'supported', `${VFS}; an encrypted file's plaintext copy is cut or grown, then written back`),
  native('ftruncate', 'supported', HOST_FD),
  libosAndStub('getcwd', 'supported', `the instance path of the cwd (below the process's root); the stub answers for a cwd on a host mount while its path still names it; ${DIRECT}`),
  libosAndStub('chdir', 'supported', 'virtual cwd; the stub moves its host cwd along and keeps the path (absolute paths below it)'),
  libosAndStub('fchdir', 'supported', 'virtual cwd from the fd; the stub as for chdir'),
  libos('rename', 'supported', `${VFS}; EXDEV across mounts`),
  libos('mkdir', 'supported', VFS),
  libos('rmdir', 'supported', VFS),
  libosAndStub('creat', 'supported', `${VFS}; ${STUB_WRITE}; ${FIFO_WAIT}`),
  libos('link', 'supported', VFS),
  libosAndStub('unlink', 'supported', `${VFS}; ${STUB_UNLINK}`),
  libos('symlink', 'supported', VFS),
  libosAndStub('readlink', 'supported', `${VFS}; the stub answers on a host mount (a link's text, or EINVAL for what is no symlink); ${DIRECT}`),
  libos('chmod', 'supported', VFS),
  libos('fchmod', 'supported', READ_ONLY_AWARE),
  libos('chown', 'supported', VFS),
  libos('fchown', 'supported', READ_ONLY_AWARE),
  libos('lchown', 'supported', VFS),
  libos('mknod', 'supported', `${VFS}; regular files and FIFOs (devices EPERM)`),
  libosAndStub('umask', 'supported', 'the app process\'s host umask, which applies to what the stub creates, and the LibOS\'s, which it applies to what the worker creates: in a process with one thread the stub sets it alone and tells it with the next word on its channel'),
  native('gettimeofday', 'supported', 'host clock (vDSO)'),
  libosAndStub('getrlimit', 'supported', 'RLIMIT_NOFILE excludes the stub\'s reserved fds (at most 3560 without a larger sys.fds.limit), the stub answers it as the worker said with the HELLO reply; the other limits are the host\'s, read by the stub'),
  native('getrusage', 'partial', 'host figures for the app process'),
  stub('sysinfo', 'partial', 'host memory and load; one process in the instance'),
  native('times', 'partial', 'host figures for the app process'),
  libosAndStub('getuid', 'supported', `virtual credentials; the stub keeps the answer until a set*id call; ${DIRECT}`),
  libosAndStub('getgid', 'supported', `virtual credentials; the stub keeps the answer until a set*id call; ${DIRECT}`),
  libosAndStub('geteuid', 'supported', `virtual credentials; the stub keeps the answer until a set*id call; ${DIRECT}`),
  libosAndStub('getegid', 'supported', `virtual credentials; the stub keeps the answer until a set*id call; ${DIRECT}`),
  libosAndStub('getppid', 'supported', 'virtual parent pid (0 for the first process); the stub answers it while the host names the parent it was forked by, or exec\'d under, as its parent'),
  libos('getpgrp', 'supported', 'process groups are the leader\'s'),
  libos('getgroups', 'supported', 'virtual credentials'),
  libosAndStub('setuid', 'supported', 'virtual credentials, Linux\'s rules (root: euid 0); the host process keeps the instance\'s; the stub drops the ids it keeps'),
  libosAndStub('setgid', 'supported', 'virtual credentials, Linux\'s rules; the stub drops the ids it keeps'),
  libosAndStub('setreuid', 'supported', 'virtual credentials, Linux\'s rules; the stub drops the ids it keeps'),
  libosAndStub('setregid', 'supported', 'virtual credentials, Linux\'s rules; the stub drops the ids it keeps'),
  libos('setgroups', 'supported', 'virtual credentials (root only)'),
  libosAndStub('setresuid', 'supported', 'virtual credentials, Linux\'s rules; the stub drops the ids it keeps (one that changes nothing the stub answers itself)'),
  libosAndStub('setresgid', 'supported', 'virtual credentials, Linux\'s rules; the stub drops the ids it keeps (one that changes nothing the stub answers itself)'),
  libos('getresuid', 'supported', 'virtual credentials'),
  libos('capget', 'supported', 'from the virtual ids: every capability for a uid of 0 (effective while the euid is 0), none otherwise'),
  libos('getresgid', 'supported', 'virtual credentials'),
  libos('getpgid', 'supported', 'any process of the instance, through the leader'),
  libos('getsid', 'supported', 'any process of the instance, through the leader'),
  libosAndStub('setfsuid', 'supported', 'virtual credentials; returns the old id; the stub drops the ids it keeps'),
  libosAndStub('setfsgid', 'supported', 'virtual credentials; returns the old id; the stub drops the ids it keeps'),
  libosAndStub('setpgid', 'supported', 'Linux\'s rules, through the leader (EACCES once the child has exec\'d); the stub then moves the host process alike, so that a terminal\'s signals reach the group'),
  libosAndStub('setsid', 'supported', 'a new session and group, through the leader, and on the host (the stub)'),
  native('sigaltstack', 'supported', 'host signal stacks'),
  libosAndStub('prctl', 'partial', 'thread-local options by the stub (names, dumpable, timer slack, THP, VMA names); PR_SET_PDEATHSIG and PR_GET_PDEATHSIG by the worker, the signal sent by the leader when the parent thread exits (the worker knows which thread forked each child, and passes its children to a live thread), or the parent process; others EINVAL'),
  libosAndStub('chroot', 'supported', 'the process\'s root inside the instance (root only); the stub drops its path table'),
  libos('statfs', 'supported', `${VFS}; pseudo trees report their own magic`),
  libos('getxattr', 'partial', `read-only; ${VFS}`),
  libos('lgetxattr', 'partial', `read-only; ${VFS}`),
  libos('fgetxattr', 'partial', 'the worker\'s, on its copy of the fd (a root instance\'s app process is not host root)'),
  libos('listxattr', 'partial', `read-only; ${VFS}`),
  libos('llistxattr', 'partial', `read-only; ${VFS}`),
  libos('flistxattr', 'partial', 'the worker\'s, on its copy of the fd (a root instance\'s app process is not host root)'),
  native('fstatfs', 'supported', HOST_FD),
  native('arch_prctl', 'supported', 'host FS and GS bases; the stub uses neither'),
  libosAndStub('setrlimit', 'supported', 'RLIMIT_NOFILE excludes the stub\'s reserved fds (the worker judges, the stub sets); the other limits are the host\'s, set by the stub'),
  stub('gettid', 'supported', `the virtual tid (the vpid for the main thread), known to the stub; ${DIRECT}`),
  native('readahead', 'supported', HOST_FD),
  libos('tkill', 'partial', 'a thread of this process directly (the doorbell of that host thread); the main thread of another through the leader; other processes\' other threads ESRCH'),
  native('time', 'supported', 'host clock (vDSO)'),
  native('futex', 'supported', 'host futexes (process-private and shared memory)'),
  libos('sched_getaffinity', 'supported', "a thread's or process's: the app's own choice, else the instance's CPUs (the worker's pinning is hidden)"),
  libos('sched_setaffinity', 'supported', 'on the host thread the tid names, within the instance\'s CPUs'),
  native('epoll_create', 'supported', 'host epoll'),
  stub('getdents64', 'supported', 'on the host directory fd'),
  stub('getdents', 'supported', 'on the host directory fd (the old record format)'),
  stub('set_tid_address', 'supported', 'host clear_child_tid; returns the virtual tid'),
  native('restart_syscall', 'supported', 'the host\'s: the kernel resumes a sleep or timed wait it interrupted without running a handler (a stop and continue)'),
  libosAndStub('semtimedop', 'supported', 'as semop; the timeout ends the stub\'s futex wait with EAGAIN'),
  native('fadvise64', 'supported', HOST_FD),
  native('clock_gettime', 'supported', 'host clock (vDSO)'),
  native('clock_getres', 'supported', 'host clock (vDSO)'),
  native('clock_nanosleep', 'supported', 'host clock'),
  native('exit_group', 'supported', 'the host reports the status to the worker'),
  stub('epoll_wait', 'supported', `${signalWait('host epoll', true)}; one that finds an event ready: ${DIRECT}`),
  native('epoll_ctl', 'supported', 'host epoll'),
  libos('tgkill', 'partial', 'as tkill'),
  libos('kill', 'supported', 'a pid, a group, all: through the leader, with a virtual siginfo and Linux\'s permission rules for the virtual uids'),
  libos('mq_open', 'supported', 'names private to the instance, kept by the leader; the app gets its own descriptor of a host queue the leader made and unlinked (nothing left on the host)'),
  libos('mq_unlink', 'supported', 'the instance\'s name; the queue lives on while open'),
  native('mq_timedsend', 'supported', HOST_FD),
  native('mq_timedreceive', 'supported', HOST_FD),
  stub('mq_notify', 'supported', 'the host\'s; SIGEV_SIGNAL registers the stub\'s doorbell with a marked value, and the doorbell raises the app\'s signal with SI_MESGQ, its value and the sender\'s vpid (si_uid: the process\'s real uid)'),
  native('mq_getsetattr', 'supported', HOST_FD),
  native('inotify_init', 'supported', 'host inotify'),
  libos('inotify_add_watch', 'supported', `${VFS}; the worker adds the watch to the app's inotify instance, so events name entries as the instance does`),
  native('inotify_rm_watch', 'supported', HOST_FD),
  libosAndStub('openat', 'supported', `${VFS}; ${STUB_OPEN}; ${FIFO_WAIT}`),
  libos('mkdirat', 'supported', VFS),
  libos('fchownat', 'supported', VFS),
  libos('futimesat', 'supported', VFS),
  libosAndStub('newfstatat', 'supported', `${VFS}; ${STUB_STAT}; AT_EMPTY_PATH with "" (fstat) by the stub`),
  libos('mknodat', 'supported', `${VFS}; regular files and FIFOs (devices EPERM)`),
  libosAndStub('unlinkat', 'supported', `${VFS}; ${STUB_UNLINK}`),
  libos('renameat', 'supported', VFS),
  libos('linkat', 'supported', VFS),
  libos('symlinkat', 'supported', VFS),
  libosAndStub('readlinkat', 'supported', `${VFS}; the stub as for readlink (AT_FDCWD)`),
  libos('fchmodat', 'supported', VFS),
  libosAndStub('faccessat', 'supported', `${VFS}; ${STUB_ACCESS}`),
  stub('pselect6', 'supported', signalWait('host pselect6 with the mask without the stub\'s signals')),
  stub('ppoll', 'supported', signalWait('host ppoll with the mask without the stub\'s signals')),
  native('set_robust_list', 'supported', 'host robust futex list'),
  native('get_robust_list', 'supported', 'host robust futex list'),
  native('splice', 'supported', HOST_FD),
  native('tee', 'supported', HOST_FD),
  native('sync_file_range', 'supported', HOST_FD),
  libos('utimensat', 'supported', VFS),
  stub('epoll_pwait', 'supported', `${signalWait('host epoll with the mask without the stub\'s signals', true)}; one without a mask that finds an event ready: ${DIRECT}`),
  native('eventfd', 'supported', 'host eventfd'),
  native('fallocate', 'supported', HOST_FD),
  stub('accept4', 'supported', `natively without an address; with one, ${REPORTS_NAME}; on a socket other than a UNIX one, ${DIRECT}`),
  stub('signalfd4', 'supported', SIGNALFD),
  native('eventfd2', 'supported', 'host eventfd'),
  native('epoll_create1', 'supported', 'host epoll'),
  stub('dup3', 'supported', `the stub refuses its reserved fds; ${DIRECT}`),
  native('pipe2', 'supported', 'host pipe'),
  native('inotify_init1', 'supported', 'host inotify'),
  native('preadv', 'supported', HOST_FD),
  native('pwritev', 'supported', HOST_FD),
  libos('rt_tgsigqueueinfo', 'partial', 'as rt_sigqueueinfo, to a thread of this process or the main thread of another'),
  stub('recvmmsg', 'supported', `the host's into the app's messages, each name and SCM_CREDENTIALS then made the app's (a name cut by a short buffer stays the host's)`),
  libosAndStub('prlimit64', 'partial', 'own process; RLIMIT_NOFILE excludes the stub\'s reserved fds (the worker judges, the stub sets); the other limits are the host\'s, read and set by the stub'),
  stub('sendmmsg', 'supported', 'a sendmsg per message, as the kernel\'s loop'),
  native('getcpu', 'supported', 'host (vDSO)'),
  libos('renameat2', 'supported', VFS),
  native('memfd_create', 'supported', 'a host memfd (its name as the app gave it: /proc/self/fd shows memfd:NAME)'),
  native('getrandom', 'supported', 'host randomness'),
  native('membarrier', 'supported', 'host'),
  native('copy_file_range', 'supported', HOST_FD),
  native('preadv2', 'supported', HOST_FD),
  native('pwritev2', 'supported', HOST_FD),
  stub('pkey_mprotect', 'supported', 'native unless the range could reach the stub window'),
  native('pkey_alloc', 'supported', 'host (the stub window stays key 0: pkey_mprotect keeps out of it)'),
  native('pkey_free', 'supported', 'host'),
  libosAndStub('statx', 'supported', `${VFS}; ${STUB_STAT}`),
  stub('rseq', 'supported', 'ENOSYS, as a kernel without rseq: libc falls back'),
  stub('close_range', 'supported', 'clamped below the stub\'s reserved fds'),
  libosAndStub('faccessat2', 'supported', `${VFS}; ${STUB_ACCESS}`),
  libosAndStub('openat2', 'supported', `${VFS}; RESOLVE_* walk restrictions by the same walk; ${FIFO_WAIT}`),
  libosAndStub('execveat', 'supported', 'dirfd, AT_EMPTY_PATH and AT_SYMLINK_NOFOLLOW'),
  stub('waitid', 'supported', 'on the host, as wait4; P_ALL, P_PID, P_PGID, P_PIDFD, all options; si_pid and si_uid virtual'),
  stub('epoll_pwait2', 'supported', signalWait('host epoll with the mask without the stub\'s signals')),
  native('mlock', 'supported', 'host'),
  native('munlock', 'supported', 'host'),
  native('mlockall', 'supported', 'host'),
  native('munlockall', 'supported', 'host'),
  native('mlock2', 'supported', 'host'),
];

export const SYSCALLS_BY_NR: ReadonlyMap<number, SyscallEntry> = new Map(SYSCALL_TABLE.map((e) => [e.nr, e]));

export function syscallName(nr: number): string {
  return SYSCALL_NAMES[nr] ?? `syscall_${nr}`;
}
