// Typed host system calls for the LibOS. Each returns the host's result or a negative errno;
// buffers are filled in place. This is the only way the LibOS reaches the host kernel.
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { addon, type FifoOpenHandle } from './addon.js';
export { fromByteString, isUtf8ByteString, toByteString } from './byte-strings.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, S_IFMT } from './linux-abi.js';

const HOST_NR = {
  read: 0, close: 3, lseek: 8, poll: 7, fcntl: 72, pread64: 17, kill: 62, tgkill: 234, rt_sigqueueinfo: 129, getpriority: 140, setpriority: 141, sched_setparam: 142,
  sched_getparam: 143, sched_setscheduler: 144, sched_getscheduler: 145, sched_rr_get_interval: 148, ioprio_set: 251, ioprio_get: 252, uname: 63, truncate: 76, ftruncate: 77, fsync: 74, fdatasync: 75, fchdir: 81, bind: 49,
  getpgrp: 111, rt_sigprocmask: 14, waitid: 247, statfs: 137, prctl: 157, getppid: 110, sched_setaffinity: 203, sched_getaffinity: 204, openat: 257, mkdirat: 258, fchownat: 260, newfstatat: 262,
  unlinkat: 263, linkat: 265, symlinkat: 266, readlinkat: 267, fchmodat: 268, utimensat: 280,
  prlimit64: 302, renameat2: 316, statx: 332, pidfd_open: 434, pidfd_getfd: 438,
  faccessat2: 439, openat2: 437, getdents64: 217, memfd_create: 319, eventfd2: 290, mq_open: 240, mq_unlink: 241, inotify_add_watch: 254, write: 1, pwrite64: 18, mknodat: 259,
  fsopen: 430, ioctl: 16, fchmod: 91, futex: 202, fchown: 93, getuid: 102, getgid: 104, fsconfig: 431, fsmount: 432, move_mount: 429, umask: 95, getxattr: 191, lgetxattr: 192, fgetxattr: 193, listxattr: 194, llistxattr: 195, flistxattr: 196,
  dup3: 292, recvfrom: 45,
} as const;

const sys = addon.syscall;

let pinnedCpu = -1;

/** A kernel CPU mask of CPU `cpu` alone. */
function cpuMask(cpu: number): Uint8Array {
  const mask = new Uint8Array(128);
  mask[cpu >> 3] = 1 << (cpu & 7);
  return mask;
}

export const host = {
  openat: (dirfd: number, path: string, flags: number, mode: number) =>
    sys(HOST_NR.openat, dirfd, path, flags, mode),
  close: (fd: number) => sys(HOST_NR.close, fd),
  lseek: (fd: number, offset: number, whence: number) => sys(HOST_NR.lseek, fd, offset, whence),
  /** openat2 with `resolve` flags (RESOLVE_*): the kernel confines the walk as told */
  openat2: (dirfd: number, path: string, flags: number, mode: number, resolve: number) => {
    const how = Buffer.alloc(24);
    how.writeBigUInt64LE(BigInt(flags), 0);
    how.writeBigUInt64LE(BigInt(mode), 8);
    how.writeBigUInt64LE(BigInt(resolve), 16);
    return sys(HOST_NR.openat2, dirfd, path, how, how.length);
  },
  getdents64: (fd: number, buf: Uint8Array) => sys(HOST_NR.getdents64, fd, buf, buf.byteLength),
  memfdCreate: (name: string, flags: number) => sys(HOST_NR.memfd_create, name, flags),
  /** A MAP_SHARED read-write mapping of `fd`'s first `length` bytes (unmapped when collected), or -errno. */
  mapShared: (fd: number, length: number) => addon.mapShared(fd, length),
  /** FUTEX_WAKE (shared, not private: other processes map the word) of up to `count` waiters on `word[0]`. */
  futexWake: (word: Int32Array, count: number) => sys(HOST_NR.futex, word, 1 /* FUTEX_WAKE */, count),
  pwrite: (fd: number, buf: Uint8Array, offset: number) =>
    sys(HOST_NR.pwrite64, fd, buf, buf.byteLength, offset),
  mknodat: (dirfd: number, path: string, mode: number, dev: number) => sys(HOST_NR.mknodat, dirfd, path, mode, dev),
  /**
   * A new, detached tmpfs (no mount point anywhere) of at most `size` bytes (null: the kernel's
   * default, half of the memory): an O_PATH fd of its root, or -errno.
   */
  detachedTmpfs: (size: number | null = null) => {
    const fs = sys(HOST_NR.fsopen, 'tmpfs', 1 /* FSOPEN_CLOEXEC */);
    if (fs < 0) return fs;
    let r = size === null ? 0 : sys(HOST_NR.fsconfig, fs, 1 /* FSCONFIG_SET_STRING */, 'size', String(size), 0);
    if (r === 0) r = sys(HOST_NR.fsconfig, fs, 6 /* FSCONFIG_CMD_CREATE */, null, null, 0);
    const mnt = r < 0 ? r : sys(HOST_NR.fsmount, fs, 1 /* FSMOUNT_CLOEXEC */, 0);
    sys(HOST_NR.close, fs);
    return mnt;
  },
  /** Mount the detached tree `mnt` on directory `name` of `dirfd` (a detached tree too may hold it). */
  moveMount: (mnt: number, dirfd: number, name: string) => sys(HOST_NR.move_mount, mnt, '', dirfd, name, 4 /* MOVE_MOUNT_F_EMPTY_PATH */),
  dupCloexec: (fd: number) => sys(HOST_NR.fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 0),
  /** `from` becomes `to` as well (dup3, not close-on-exec). */
  dup3: (from: number, to: number) => sys(HOST_NR.dup3, from, to, 0),
  read: (fd: number, buf: Uint8Array) => sys(HOST_NR.read, fd, buf, buf.byteLength),
  pread: (fd: number, buf: Uint8Array, offset: number) =>
    sys(HOST_NR.pread64, fd, buf, buf.byteLength, offset),
  fstatat: (dirfd: number, path: string, statBuf: Uint8Array, flags: number) =>
    sys(HOST_NR.newfstatat, dirfd, path, statBuf, flags),
  statx: (dirfd: number, path: string, flags: number, mask: number, statxBuf: Uint8Array) =>
    sys(HOST_NR.statx, dirfd, path, flags, mask, statxBuf),
  readlinkat: (dirfd: number, path: string, buf: Uint8Array) =>
    sys(HOST_NR.readlinkat, dirfd, path, buf, buf.byteLength),
  faccessat2: (dirfd: number, path: string, mode: number, flags: number) =>
    sys(HOST_NR.faccessat2, dirfd, path, mode, flags),
  mkdirat: (dirfd: number, path: string, mode: number) => sys(HOST_NR.mkdirat, dirfd, path, mode),
  unlinkat: (dirfd: number, path: string, flags: number) =>
    sys(HOST_NR.unlinkat, dirfd, path, flags),
  renameat2: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) =>
    sys(HOST_NR.renameat2, olddirfd, oldpath, newdirfd, newpath, flags),
  symlinkat: (target: string, dirfd: number, path: string) =>
    sys(HOST_NR.symlinkat, target, dirfd, path),
  linkat: (olddirfd: number, oldpath: string, newdirfd: number, newpath: string, flags: number) =>
    sys(HOST_NR.linkat, olddirfd, oldpath, newdirfd, newpath, flags),
  fchmodat: (dirfd: number, path: string, mode: number) => sys(HOST_NR.fchmodat, dirfd, path, mode),
  fchmod: (fd: number, mode: number) => sys(HOST_NR.fchmod, fd, mode),
  fchown: (fd: number, uid: number, gid: number) => sys(HOST_NR.fchown, fd, uid, gid),
  /** an ioctl whose argument is a buffer (read or written in place) */
  ioctl: (fd: number, cmd: number, arg: Uint8Array) => sys(HOST_NR.ioctl, fd, cmd, arg),
  getpgrp: () => sys(HOST_NR.getpgrp),
  /**
   * Has child `pid` stopped or continued since last asked (waitid WSTOPPED|WCONTINUED|WNOHANG,
   * which leaves its exit to whoever reaps it)? 'stopped', 'continued', or null.
   */
  stopChange: (pid: number): 'stopped' | 'continued' | null => {
    const info = Buffer.alloc(128);
    const P_PID = 1, WNOHANG = 1, WSTOPPED = 2, WCONTINUED = 8, CLD_STOPPED = 5, CLD_CONTINUED = 6;
    if (sys(HOST_NR.waitid, P_PID, pid, info, WSTOPPED | WCONTINUED | WNOHANG, null) < 0 || info.readInt32LE(16) !== pid) return null;
    const code = info.readInt32LE(8);
    return code === CLD_STOPPED ? 'stopped' : code === CLD_CONTINUED ? 'continued' : null;
  },
  /**
   * Reap child `pidfd`'s process if it has exited (waitid P_PIDFD, WEXITED|WNOHANG): its exit
   * code, or the number of the signal that killed it; null while it runs.
   */
  reapExited: (pidfd: number): { code: number | null; signal: number | null } | null => {
    const info = Buffer.alloc(128);
    const P_PIDFD = 3, WNOHANG = 1, WEXITED = 4, CLD_EXITED = 1;
    if (sys(HOST_NR.waitid, P_PIDFD, pidfd, info, WEXITED | WNOHANG, null) < 0 || info.readInt32LE(16) === 0) return null;
    const status = info.readInt32LE(24);
    return info.readInt32LE(8) === CLD_EXITED ? { code: status, signal: null } : { code: null, signal: status };
  },
  /** rt_sigprocmask of the calling thread: `set` and `old` are 8-byte masks (old may be null) */
  sigprocmask: (how: number, set: Uint8Array, old: Uint8Array | null) => sys(HOST_NR.rt_sigprocmask, how, set, old, 8),
  fchownat: (dirfd: number, path: string, uid: number, gid: number, flags: number) =>
    sys(HOST_NR.fchownat, dirfd, path, uid, gid, flags),
  utimensat: (dirfd: number, path: string | null, times: Uint8Array | null, flags: number) =>
    sys(HOST_NR.utimensat, dirfd, path, times, flags),
  truncate: (path: string, length: number) => sys(HOST_NR.truncate, path, length),
  ftruncate: (fd: number, length: number) => sys(HOST_NR.ftruncate, fd, length),
  fsync: (fd: number) => sys(HOST_NR.fsync, fd),
  fdatasync: (fd: number) => sys(HOST_NR.fdatasync, fd),
  eventfd: (initval: number, flags: number) => sys(HOST_NR.eventfd2, initval, flags),
  mqOpen: (name: string, flags: number, mode: number, attr: Uint8Array | null) => sys(HOST_NR.mq_open, name, flags, mode, attr),
  mqUnlink: (name: string) => sys(HOST_NR.mq_unlink, name),
  inotifyAddWatch: (fd: number, path: string, mask: number) => sys(HOST_NR.inotify_add_watch, fd, path, mask),
  write: (fd: number, buf: Uint8Array) => sys(HOST_NR.write, fd, buf, buf.byteLength),
  statfs: (path: string, buf: Uint8Array) => sys(HOST_NR.statfs, path, buf),
  uname: (buf: Uint8Array) => sys(HOST_NR.uname, buf),
  prlimit: (pid: number, resource: number, newLimit: Uint8Array | null, oldLimit: Uint8Array | null) =>
    sys(HOST_NR.prlimit64, pid, resource, newLimit, oldLimit),
  kill: (pid: number, sig: number) => sys(HOST_NR.kill, pid, sig),
  tgkill: (pid: number, tid: number, sig: number) => sys(HOST_NR.tgkill, pid, tid, sig),
  /** a signal with the siginfo given (the host takes only codes < 0 but SI_TKILL from another process) */
  sigqueueinfo: (pid: number, sig: number, info: Buffer) => sys(HOST_NR.rt_sigqueueinfo, pid, sig, info),
  /** This process's CPU affinity mask, as the kernel gives it (its size is the kernel's). */
  getAffinity: (): Buffer => {
    const mask = Buffer.alloc(128);
    const n = sys(HOST_NR.sched_getaffinity, 0, mask.length, mask);
    return n < 0 ? Buffer.alloc(0) : mask.subarray(0, n);
  },
  /** Pin this process (and the processes it spawns afterwards) to one CPU (a migration: costly). */
  pinToCpu: (cpu: number) => {
    if (cpu === pinnedCpu) return 0;
    const r = host.pinTaskToCpu(0, cpu);
    if (r === 0) pinnedCpu = cpu;
    return r;
  },
  /** The CPU this process was pinned to (pinToCpu), or -1. */
  pinnedCpu: () => pinnedCpu,
  /** Pin host thread `tid` (another process's: an app's; 0: this one) to one CPU. */
  pinTaskToCpu: (tid: number, cpu: number) => host.setAffinity(tid, cpuMask(cpu)),
  /** Scheduling of host thread `tid` (its nice value as the kernel's 20 - nice, its policy, its I/O priority). */
  getpriority: (tid: number) => sys(HOST_NR.getpriority, 0 /* PRIO_PROCESS */, tid),
  setpriority: (tid: number, nice: number) => sys(HOST_NR.setpriority, 0 /* PRIO_PROCESS */, tid, nice),
  schedGetscheduler: (tid: number) => sys(HOST_NR.sched_getscheduler, tid),
  schedSetscheduler: (tid: number, policy: number, param: Uint8Array) => sys(HOST_NR.sched_setscheduler, tid, policy, param),
  schedGetparam: (tid: number, param: Uint8Array) => sys(HOST_NR.sched_getparam, tid, param),
  schedSetparam: (tid: number, param: Uint8Array) => sys(HOST_NR.sched_setparam, tid, param),
  schedRrGetInterval: (tid: number, ts: Uint8Array) => sys(HOST_NR.sched_rr_get_interval, tid, ts),
  ioprioGet: (tid: number) => sys(HOST_NR.ioprio_get, 1 /* IOPRIO_WHO_PROCESS */, tid),
  ioprioSet: (tid: number, prio: number) => sys(HOST_NR.ioprio_set, 1 /* IOPRIO_WHO_PROCESS */, tid, prio),
  /** Set host thread `tid`'s CPU affinity to `mask` (a kernel CPU mask). */
  setAffinity: (tid: number, mask: Uint8Array) => sys(HOST_NR.sched_setaffinity, tid, mask.length, mask),
  /** This process dies with `sig` when its parent does (checked against a parent already gone). */
  dieWithParent: (sig: number, parentPid: number) => {
    const r = sys(HOST_NR.prctl, 1 /* PR_SET_PDEATHSIG */, sig);
    return r < 0 ? r : sys(HOST_NR.getppid) === parentPid ? 0 : -3 /* ESRCH */;
  },
  pidfdOpen: (pid: number) => sys(HOST_NR.pidfd_open, pid, 0),
  /**
   * The start of the next packet of a SOCK_SEQPACKET socket, copied into `buf` and left there:
   * its length (up to buf's), 0 at its end (the peer closed and nothing is left), -EAGAIN if none yet.
   */
  peekPacket: (fd: number, buf: Uint8Array): number =>
    sys(HOST_NR.recvfrom, fd, buf, buf.byteLength, 0x2 /* MSG_PEEK */ | 0x40 /* MSG_DONTWAIT */, null, null),
  /** Is `fd` readable now? (A pidfd is once its process has exited.) */
  readable: (fd: number): boolean => {
    const p = Buffer.alloc(8);
    p.writeInt32LE(fd, 0);
    p.writeInt16LE(1 /* POLLIN */, 4);
    return sys(HOST_NR.poll, p, 1, 0) > 0;
  },
  /** A copy, in this process, of the app's fd `fd` (EBADF if the app has none). */
  pidfdGetfd: (pidfd: number, fd: number) => sys(HOST_NR.pidfd_getfd, pidfd, fd, 0),
  umask: (mask: number) => sys(HOST_NR.umask, mask),
  fchdir: (fd: number) => sys(HOST_NR.fchdir, fd),
  /** one sendmsg of `bytes` with control messages `control` (as the kernel reads them), without waiting: bytes sent, or -errno */
  sendMessage: (fd: number, bytes: Uint8Array, control: Uint8Array, flags: number) => addon.sendMessage(fd, bytes, control, flags),
  /** bind(2) of socket `fd` to `address` (a struct sockaddr, all of it) */
  bind: (fd: number, address: Buffer) => sys(HOST_NR.bind, fd, address, address.length),
  /** this process's real ids on the host: the instance's, which its app processes have too */
  getuid: () => sys(HOST_NR.getuid),
  getgid: () => sys(HOST_NR.getgid),
  getxattr: (path: string, name: string, buf: Uint8Array, follow: boolean) =>
    sys(follow ? HOST_NR.getxattr : HOST_NR.lgetxattr, path, name, buf, buf.byteLength),
  listxattr: (path: string, buf: Uint8Array, follow: boolean) =>
    sys(follow ? HOST_NR.listxattr : HOST_NR.llistxattr, path, buf, buf.byteLength),
  fgetxattr: (fd: number, name: string, buf: Uint8Array) => sys(HOST_NR.fgetxattr, fd, name, buf, buf.byteLength),
  flistxattr: (fd: number, buf: Uint8Array) => sys(HOST_NR.flistxattr, fd, buf, buf.byteLength),
  // --- trusted files (src/libos/fs/trusted.ts)
  /** fcntl(F_SETLEASE): take (F_RDLCK, F_WRLCK) or drop (F_UNLCK) a lease; 0 or -errno. */
  setLease: (fd: number, type: number) => sys(HOST_NR.fcntl, fd, 1024 /* F_SETLEASE */, type),
  /** fcntl(F_SETOWN): process `pid` gets the fd's SIGIO and SIGURG (and a lease's break); 0 or -errno. */
  setOwner: (fd: number, pid: number) => sys(HOST_NR.fcntl, fd, 8 /* F_SETOWN */, pid),
  /** fcntl(F_ADD_SEALS) on a memfd made with MFD_ALLOW_SEALING. */
  addSeals: (fd: number, seals: number) => sys(HOST_NR.fcntl, fd, 1033 /* F_ADD_SEALS */, seals),
  /** fcntl(F_GET_SEALS): a memfd's seals, or -errno. */
  getSeals: (fd: number) => sys(HOST_NR.fcntl, fd, 1034 /* F_GET_SEALS */),
};

export type HostCalls = typeof host;


/** The entries of a host directory fd, name -> d_type, without "." and ".." (or -errno). */
export function readDirectory(fd: number): Map<string, number> | number {
  const out = new Map<string, number>();
  const buf = Buffer.alloc(32768);
  for (;;) {
    const n = host.getdents64(fd, buf);
    if (n <= 0) return n < 0 ? n : out;
    for (let off = 0; off < n;) {
      const reclen = buf.readUInt16LE(off + 16);
      const name = buf.toString('latin1', off + 19, buf.indexOf(0, off + 19));
      if (name !== '.' && name !== '..') out.set(name, buf[off + 18]!);
      off += reclen;
    }
  }
}

const statBuf = Buffer.alloc(144);

/**
 * The mode (st_mode: type and permission bits) of `name` in directory `dirfd` (a final symlink
 * not followed), or of the fd `dirfd` itself when `name` is ""; -errno if there is nothing.
 */
export function modeAt(dirfd: number, name: string): number {
  const r = host.fstatat(dirfd, name, statBuf, name === '' ? AT_EMPTY_PATH : AT_SYMLINK_NOFOLLOW);
  return r < 0 ? r : statBuf.readUInt32LE(24);
}

/** The file type bits (S_IFMT) of `name` in directory `dirfd`, as modeAt finds it; -errno if there is nothing. */
export function fileTypeAt(dirfd: number, name: string): number {
  const mode = modeAt(dirfd, name);
  return mode < 0 ? mode : mode & S_IFMT;
}

/** The file type bits (S_IFMT) of a worker host fd, or -errno. */
export function fileType(fd: number): number {
  return fileTypeAt(fd, '');
}

/** The size of what host fd `fd` is (st_size), or -errno. */
export function fileSize(fd: number): number {
  const r = host.fstatat(fd, '', statBuf, AT_EMPTY_PATH);
  return r < 0 ? r : Number(statBuf.readBigInt64LE(48));
}

/**
 * A host failure (-errno `negErrno`) as an Error whose code is the errno's name, for code that
 * takes Node's errors (the protected-file module): "`what`: ENAME".
 */
export function hostErrnoError(what: string, negErrno: number): NodeJS.ErrnoException {
  const code = Object.entries(constants.errno).find(([, value]) => value === -negErrno)?.[0] ?? `errno ${-negErrno}`;
  const e: NodeJS.ErrnoException = new Error(`${what}: ${code}`);
  e.code = code;
  e.errno = negErrno;
  return e;
}

/** The inode number of `fd` (a socket's is what /proc shows as socket:[N]), or -errno. */
export function inodeOf(fd: number): number {
  const r = host.fstatat(fd, '', statBuf, AT_EMPTY_PATH);
  return r < 0 ? r : Number(statBuf.readBigUInt64LE(8));
}

const PF_EXITING = 0x4;

/**
 * Host process `pid` as /proc/PID/stat shows it: its parent, and whether it is on its way out
 * (exiting: its fds may be closed already; or a zombie) -- or null if it is gone.
 */
export function processOf(pid: number): { ppid: number; exiting: boolean } | null {
  const f = hostStatFields(pid);
  return f && { ppid: Number(f[1]), exiting: f[0] === 'Z' || f[0] === 'X' || (Number(f[6]) & PF_EXITING) !== 0 };
}

const CAP_SYS_PTRACE = 19;

/**
 * Whether this process may act on a process of another host uid (CAP_SYS_PTRACE in its
 * effective set): read and write its memory, take its fds. Containers often lack it.
 */
export function mayTraceOtherUsers(): boolean {
  try {
    const line = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'latin1'));
    return line !== null && ((BigInt(`0x${line[1]}`) >> BigInt(CAP_SYS_PTRACE)) & 1n) === 1n;
  } catch {
    return false;
  }
}

/**
 * The fields of host process `pid`'s /proc/PID/stat after "pid (comm) " -- the name may hold
 * anything but the last ')' --, so that fields[0] is stat(5)'s field 3 (the state), fields[1]
 * the ppid, and so on; null if it is gone.
 */
export function hostStatFields(pid: number): string[] | null {
  // through the host calls, without an exception when it is gone (the usual case of a quick child)
  const fd = host.openat(AT_FDCWD, `/proc/${pid}/stat`, O_CLOEXEC, 0);
  if (fd < 0) return null;
  const n = host.read(fd, procStatBuf);
  host.close(fd);
  if (n <= 0 || n >= procStatBuf.length) return null;
  const stat = procStatBuf.toString('latin1', 0, n);
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** /proc/PID/stat: some 50 numbers and a name of at most 16 bytes */
const procStatBuf = Buffer.alloc(4096);

/**
 * A new open file of what worker fd `fd` is, with `flags` (as opening /proc/self/fd/N does:
 * its own offset and access mode), close-on-exec; or -errno.
 */
export function reopen(fd: number, flags: number): number {
  return host.openat(AT_FDCWD, `/proc/self/fd/${fd}`, flags | O_CLOEXEC, 0);
}

const linkBuf = Buffer.alloc(4096);

/** What a worker host fd names, as the kernel says (a byte string; " (deleted)" if removed). */
export function hostFdPath(fd: number): string {
  const buf = linkBuf;
  const n = host.readlinkat(AT_FDCWD, `/proc/self/fd/${fd}`, buf);
  if (n < 0) throw new Error(`readlink of fd ${fd}: errno ${-n}`);
  return buf.toString('latin1', 0, n);
}

/**
 * Calls `onExit` once, when host process `pid` has exited, as its pidfd says (whoever its
 * parent is, and whatever holds its sockets open). Null if there is no such process.
 */
export function watchProcessExit(pid: number, onExit: () => void): { stop(): void; exited(): boolean } | null {
  const pidfd = host.pidfdOpen(pid);
  if (pidfd < 0) return null;
  let watch: { stop(): void } | null = addon.watchReadableOnce(pidfd, () => {
    watch = null;
    host.close(pidfd);
    onExit();
  });
  return {
    stop: () => {
      if (!watch) return;
      watch.stop();
      watch = null;
      host.close(pidfd);
    },
    /** Has it exited, even if the callback has not run yet? */
    exited: () => !watch || host.readable(pidfd),
  };
}

/**
 * An open of a FIFO that may wait for its other end (a FIFO without it), made on a thread of
 * its own (native/addon/fifo-open.cc) while the worker's event loop goes on. Its eventfd becomes
 * readable when the open has returned. Given up (end), it ends as a signal ends an open:
 * this open alone returns, with EINTR; no other opener of the FIFO is woken.
 */
export class WaitingOpen {
  private constructor(private readonly handle: FifoOpenHandle) {}

  /** Opens the FIFO `pathFd` (O_PATH; the caller keeps it) with `flags`; `eventFd` is written to when it has returned. Or -errno. */
  static start(pathFd: number, flags: number, eventFd: number): WaitingOpen | number {
    const h = addon.fifoOpenStart(pathFd, flags, eventFd);
    return typeof h === 'number' ? h : new WaitingOpen(h);
  }

  /** The fd (close-on-exec) or -errno once the open has returned; null while it waits. */
  result(): number | null {
    return addon.fifoOpenResult(this.handle);
  }

  /** Given up: what it opened, if anything, is closed. */
  end(): void {
    addon.fifoOpenEnd(this.handle);
  }
}
