// The LibOS view of one app process: identity, credentials, cwd and the host handles on it.
import type { AppProcess } from '../pal/app.js';
import type { Logger } from '../log.js';
import type { ExecPlan } from './exec.js';
import type { InstanceServices } from './instance.js';
import { AppMemory, PATH_MAX } from './memory.js';
import { host } from '../pal/host.js';
import { identityOf, type FileIdentity, type Vfs } from './fs/vfs.js';
import { Errno, SyscallError } from './errno.js';
import { SignalQueue } from './signals.js';
import type { LibosThread } from './thread.js';
import { DOORBELL_SIGNAL } from '../pal/channel-abi.js';

/** Children whose real uids a process keeps (reaped ones included, the oldest dropped first). */
const CHILD_UIDS_KEPT = 1024;

export interface Credentials {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  fsuid: number;
  fsgid: number;
  groups: number[];
}

export interface ProcessIdentity {
  readonly vpid: number;
  /** changes when the parent exits (re-parented to vpid 1) */
  ppid: number;
  /** kept by the leader; this copy follows its pgrp-changed notices */
  pgid: number;
  sid: number;
}

export interface ResourceLimit {
  cur: bigint;
  max: bigint;
}

export interface UtsNames {
  nodename: string | null;
  domainname: string | null;
}

/** The worker's affinity when it started, before any pinning: the instance's CPUs. */
const INSTANCE_CPUS = host.getAffinity();

export class LibosProcess {
  readonly mem: AppMemory;
  readonly signals: SignalQueue;
  /** the working directory: a worker O_PATH fd, so it stays the same directory when renamed */
  private cwdFd: number;
  umask = 0o022;
  /**
   * the host and domain names it set (sethostname, setdomainname), which it and the processes
   * it makes from then on see in uname; null: the instance's
   */
  utsNames: UtsNames = { nodename: null, domainname: null };
  /** First host fd reserved for the stub (the app's fd space ends below it). */
  reservedFdBase = 0;
  /** The app's view of RLIMIT_NOFILE (the host limit also covers the stub's reserved fds). */
  nofileLimit: ResourceLimit | null = null;
  /** an RLIMIT_NOFILE the process starts with (the manifest's sys.fds.limit), set at its HELLO */
  pendingNofile: { soft: number; hard: number | null } | null = null;
  /** an RLIMIT_STACK the process starts with (the manifest's sys.stack.size), set at its HELLO */
  pendingStack: number | null = null;
  /** the host's hard RLIMIT_NOFILE for the app process (room for the reserved fds), which it keeps */
  hostNofileMax: bigint | null = null;
  mainHostTid = 0;
  /** the main thread has exited while other threads run on */
  mainThreadExited = false;
  /** it may run on all of the instance's CPUs (not only its worker's): see spreadOverCpus */
  threadsSpread = false;
  /** requests its stub has sent the worker (for how often the process asks it) */
  requests = 0;
  /** its requests the worker is still answering (waiting on the leader, another process...) */
  requestsInFlight = 0;
  /** the threads but the main one (whose tid is the vpid), by virtual tid */
  readonly threads = new Map<number, LibosThread>();

  /**
   * Thread `vtid` exits on its own while the process runs on: its children pass to a live
   * thread (Linux's find_alive_thread: the main thread while it runs, else the oldest), and
   * are returned: their parent-death signals are due, as Linux sends one at each such change.
   */
  childrenOfExitingThread(vtid: number): number[] {
    const heir = !this.mainThreadExited && vtid !== this.id.vpid ? this.id.vpid : [...this.threads.keys()].find((t) => t !== vtid);
    const children: number[] = [];
    if (heir === undefined) return children;
    for (const [child, t] of this.parentThreadOf) {
      if (t !== vtid) continue;
      children.push(child);
      this.parentThreadOf.set(child, heir);
    }
    return children;
  }

  /** Is `tid` one of this process's threads (the main one included)? */
  hasThread(tid: number): boolean {
    return tid === this.id.vpid || this.threads.has(tid);
  }
  /** the program the next HELLO of a (re-)executed stub will get */
  pendingExec: ExecPlan | null = null;
  /** it has run a program of its own since its fork (its parent may no longer setpgid it) */
  execed = false;
  /** PR_SET_PDEATHSIG: sent to it when its parent exits (0: none); a fork's child starts without */
  pdeathSignal = 0;
  /**
   * child vpid -> the thread whose child it is (the one that forked it, or the live thread that
   * took it over when that one exited): PR_SET_PDEATHSIG is about the parent *thread*
   */
  readonly parentThreadOf = new Map<number, number>();
  /** a fresh process starts with default signal dispositions; fork and exec keep them */
  freshSignals = true;
  /**
   * The CPUs the app sees as its affinity: those of the instance, not the one its worker pins
   * it to (a trapped call's round trip is cheapest on one CPU, but nproc must not say 1).
   */
  cpuAffinity: Buffer = INSTANCE_CPUS;
  /** the CPU affinity the app gave its threads (sched_setaffinity), by tid */
  readonly threadAffinity = new Map<number, Buffer>();
  /** children granted to the stub whose host fork it has not reported yet */
  readonly forksInFlight = new Set<number>();
  /** the children the stub forked and has not reaped: vpid -> host pid (for its pid lookups) */
  readonly children = new Map<number, number>();
  /** the real uids of the children, kept a while after they are reaped (a SIGCHLD's si_uid) */
  private readonly childUids = new Map<number, number>();

  /** Child `vpid` has real uid `uid` (at its fork, or since its setuid). */
  noteChildUid(vpid: number, uid: number): void {
    this.childUids.delete(vpid);
    this.childUids.set(vpid, uid);
    if (this.childUids.size > CHILD_UIDS_KEPT) this.childUids.delete(this.childUids.keys().next().value!);
  }

  /** The real uid of child `vpid`, if known. */
  childUid(vpid: number): number | undefined {
    return this.childUids.get(vpid);
  }
  /** trace mode: where the names of the syscalls made go (inherited by children) */
  traceFile: string | null = null;
  /** --strace's file (inherited by children), or null */
  straceFile: string | null = null;
  /** the first process enters the instance's kernel boundary (false: measuring its cost, insecure) */
  sandbox = true;
  /**
   * the app process is host uid and gid APP_HOST_ID, not host root (a root instance's,
   * HELLO_APP_IDENTITY): the files of that identity are shown as the instance root's
   */
  appHostIdentity = false;
  /** the instance's first process, started in a terminal's foreground: it takes the terminal (HELLO_FOREGROUND) */
  takesTerminal = false;

  /** The working directory as a dirfd for host *at() calls. */
  get cwdDirFd(): number {
    return this.cwdFd;
  }

  /** Change the working directory to the directory `fd` (taken over by the process). */
  setCwd(fd: number): void {
    host.close(this.cwdFd);
    this.cwdFd = fd;
    this.cwdKnown = null;
  }

  /** the cwd's instance path as last found, and the file it named: right while it names it still */
  private cwdKnown: { path: string; id: FileIdentity } | null = null;

  /** the process's root (chroot): an instance path */
  rootPath = '/';
  /** the program being run, as an instance path (/proc/self/exe) */
  exePath = '';

  /** The working directory's instance path (a byte string); ENOENT once it has been removed. */
  cwdInstancePath(): string {
    const known = this.cwdKnown;
    // every relative path starts here: one stat instead of asking the kernel for the fd's name
    if (known && this.vfs.stillNames(known.path, known.id)) return known.path;
    const path = this.vfs.virtualPathOfHostFd(this.cwdFd);
    if (path === null || path.endsWith(' (deleted)')) {
      this.cwdKnown = null;
      throw new SyscallError(Errno.ENOENT, 'the working directory was removed');
    }
    this.cwdKnown = { path, id: identityOf(this.cwdFd) };
    return path;
  }

  /** The working directory's device and inode (the stub checks its host cwd against them). */
  cwdIdentity(): FileIdentity {
    return identityOf(this.cwdFd);
  }

  /**
   * Whether the stub resolves paths below the working directory itself (HELLO_CWD_BENEATH), and
   * the directory's instance path for it (absolute paths below it; empty when too long for the stub).
   */
  stubCwd(): { beneath: boolean; path: Buffer } {
    const none = { beneath: false, path: Buffer.alloc(0) };
    if (this.rootPath !== '/') return none;
    try {
      const cwd = this.cwdInstancePath();
      if (!this.vfs.stubResolvesBelow(cwd)) return none;
      const path = Buffer.from(cwd, 'latin1');
      return { beneath: true, path: path.length < PATH_MAX ? path : Buffer.alloc(0) };
    } catch {
      return none; // removed: the worker answers
    }
  }

  /**
   * The working directory as getcwd says it: below the process's root, or "(unreachable)"
   * before the instance path when it is outside that root.
   */
  cwdPath(): string {
    const path = this.cwdInstancePath();
    if (this.rootPath === '/') return path;
    if (path === this.rootPath) return '/';
    return path.startsWith(`${this.rootPath}/`) ? path.slice(this.rootPath.length) : `(unreachable)${path}`;
  }

  /** a pidfd of the parent's host process, until it has exited (then the parent is vpid 1) */
  private parentPidfd = -1;

  /** the parent's host pid, while parentPidfd is open */
  private parentHostPid = 0;

  /** Watch the parent (host process `hostPid`): the host re-parents us to vpid 1 when it exits. */
  watchParent(hostPid: number): void {
    this.parentPidfd = host.pidfdOpen(hostPid);
    this.parentHostPid = hostPid;
    if (this.parentPidfd < 0) this.id.ppid = 1; // gone already
  }

  /** The parent's vpid and host pid while that host process lives (the stub answers getppid with them), or null. */
  liveParent(): { ppid: number; hostPid: number } | null {
    const ppid = this.currentPpid();
    return this.parentPidfd >= 0 ? { ppid, hostPid: this.parentHostPid } : null;
  }

  /**
   * The parent's vpid. The leader says when it changes, but the host is quicker: once the
   * parent has exited we have been re-parented (before anyone could see it exit).
   */
  currentPpid(): number {
    if (this.parentPidfd >= 0 && host.readable(this.parentPidfd)) {
      host.close(this.parentPidfd);
      this.parentPidfd = -1;
      this.id.ppid = 1;
    }
    return this.id.ppid;
  }

  /** what parts of the LibOS keep for the process and free with it (its /dev/attestation files) */
  private readonly releasers: (() => void)[] = [];

  /** Have `free` called when the process is released. */
  releaseWith(free: () => void): void {
    this.releasers.push(free);
  }

  /** Release the host handles of the process. */
  release(): void {
    host.close(this.cwdFd);
    if (this.parentPidfd >= 0) host.close(this.parentPidfd);
    for (const free of this.releasers.splice(0)) free();
  }

  /** A worker host fd for the app's fd `appFd` (the same open file); EBADF if it has none. */
  hostFdFor(appFd: number): number {
    // the stub's reserved fds are not the app's
    if (appFd >>> 0 >= this.reservedFdBase) throw new SyscallError(Errno.EBADF, `fd ${appFd}`);
    const fd = this.app.takeFd(appFd);
    if (fd < 0) throw new SyscallError(-fd, `fd ${appFd}`);
    return fd;
  }

  /** Learn the host pid of a forked child (from the leader or its own first message). */
  attach(hostPid: number): void {
    if (this.app.hostPid >= 0) return;
    this.app.attach(hostPid);
    this.mainHostTid = hostPid;
    this.signals.setReady(true); // a forked child has its parent's doorbell handler
  }

  constructor(
    readonly id: ProcessIdentity,
    readonly creds: Credentials,
    readonly app: AppProcess,
    cwdFd: number,
    readonly log: Logger,
    readonly instance: InstanceServices,
    readonly vfs: Vfs,
  ) {
    this.mem = new AppMemory(app);
    // the process's signals are queued by the main thread (the host lets no other queue a user signal to its process)
    this.signals = new SignalQueue((tid) => {
      if (tid === null) {
        if (this.mainThreadExited || this.mainHostTid <= 0) app.kill(DOORBELL_SIGNAL);
        else app.killThread(this.mainHostTid, DOORBELL_SIGNAL);
      } else {
        const hostTid = tid === this.id.vpid ? this.mainHostTid : (this.threads.get(tid)?.hostTid ?? 0);
        if (hostTid > 0) app.killThread(hostTid, DOORBELL_SIGNAL);
      }
    });
    this.cwdFd = cwdFd;
  }
}
