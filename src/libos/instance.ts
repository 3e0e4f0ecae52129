// What the LibOS of one process needs from the rest of the instance (the leader and the other
// workers). The worker implements it over its connection to the leader.
import type { LibosProcess } from './process.js';
import type { AttestationOp, EncryptedOp, SysvOp } from '../ipc/protocol/messages.js';

/** Who a kill is for, as kill(2) names them (tgkill: a thread of process `vpid`). */
export type KillTarget = { kind: 'pid'; vpid: number; tid?: number } | { kind: 'pgid'; pgid: number } | { kind: 'all' };

export interface ForkedChild {
  vpid: number;
  channelFd: number;
  lifelineFd: number;
  /** the CPU the child runs on, beside its worker (null: anywhere) */
  cpu: number | null;
}

/** A standby the stub holds for its next fork: fds of the worker's, copies sent with a reply. */
export interface Prefetch {
  vpid: number;
  channelFd: number;
  lifelineFd: number;
  /** the CPU of the child's worker-to-be, which the child pins itself to if forked in a burst (null: none) */
  cpu: number | null;
}

export type PgrpOp = 'setpgid' | 'setsid' | 'getpgid' | 'getsid';
/** What a pid look-up translates: a process, or a terminal's process group or session (0: none of the instance's). */
export type PidLookup = 'host-of-vpid' | 'vpid-of-host' | 'host-of-vpgid' | 'vpgid-of-host' | 'vsid-of-host';

/** A running process of the instance, for /proc. */
export interface ProcessInfo {
  vpid: number;
  hostPid: number;
  ppid: number;
  pgid: number;
  sid: number;
}

/** A process of the instance seen as a socket peer: its vpid, real and effective ids. */
export interface PeerCreds {
  vpid: number;
  uid: number;
  euid: number;
  gid: number;
  egid: number;
}

export type { SysvOp } from '../ipc/protocol/messages.js';

/** One of the instance's keys: a file the leader holds (/dev/attestation/keys/NAME), reached by `path`. */
export interface KeyFile {
  name: string;
  path: string;
}

/** The leader's answer: a value, a host path (shm-attach), status records, semaphore values. */
export interface SysvAnswer {
  value: number;
  path: string;
  stats: Record<string, number>[];
  values: number[];
  /** a received message (msg-recv) */
  data: Buffer | null;
}

export interface InstanceServices {
  /** uname's nodename in the instance, or null: the host's */
  readonly hostname: string | null;
  /**
   * Process groups and sessions, kept by the leader; errors as SyscallErrors. `hostPgid`: for a
   * setpgid, the host group the target goes into (0 its own, -1 none: the leader's pgrp-reply).
   */
  pgrp(proc: LibosProcess, op: PgrpOp, pid: number, pgid: number): Promise<{ value: number; hostPgid: number }>;
  /** Send `sig` (0: just check) from `proc` to other processes; ESRCH/EPERM as SyscallErrors. */
  kill(proc: LibosProcess, target: KillTarget, sig: number, code: number, info?: Buffer): Promise<void>;
  /**
   * Create the child of a fork of `proc`: its vpid and the app ends of its channel and lifeline,
   * whose other ends its worker already holds (the child's state is on its way in the channel).
   */
  fork(proc: LibosProcess): Promise<ForkedChild>;
  /**
   * A standby for the stub to hold and fork into alone (its app ends, to be sent and then
   * closed; the worker keeps copies until the fork is told), if one is ready; null if not.
   */
  prefetch(proc: LibosProcess): Prefetch | null;
  /**
   * The stub forked into the standby it held, `vpid` (refused if it holds no such one): the
   * step that seals the process's state into the child's lifeline, which the caller takes next.
   */
  forkedLocally(proc: LibosProcess, vpid: number): () => void;
  /** The stub holds no prefetched standby (it says so, or a new image has none): it is the worker's again. */
  prefetchGone(proc: LibosProcess): void;
  /** Translate a vpid to its host pid (or back); 0 when there is no such process. */
  lookupPid(proc: LibosProcess, direction: PidLookup, id: number): Promise<number>;
  /** The real uid of child (or orphan) `vpid` of `proc`, as a SIGCHLD names it; -1 if unknown. */
  childUid(proc: LibosProcess, vpid: number): Promise<number>;
  /** Who host process `hostPid` is in the instance (a socket peer): its vpid and virtual ids, or null for none of its processes. */
  peerCreds(proc: LibosProcess, hostPid: number): Promise<PeerCreds | null>;
  /** The running processes of the instance whose host pid is known (a just-forked child may not be). */
  processList(proc: LibosProcess): Promise<ProcessInfo[]>;
  /** The host pids of the children of `proc` in process group `pgid`. */
  groupChildren(proc: LibosProcess, pgid: number): Promise<number[]>;
  /** `proc`, a forked child, has said it runs (as host process `proc.app.hostPid`). */
  running(proc: LibosProcess): void;
  /**
   * The user ids of `proc` changed (setuid & co.): the leader checks kill's permissions with
   * them, and its parent's worker has the new real uid when this resolves.
   */
  credsChanged(proc: LibosProcess): Promise<void>;
  /** The stub reaped child `vpid` of `proc`. */
  childReaped(proc: LibosProcess, vpid: number): void;
  /** A thread id for a new thread of `proc`, from the instance's pid space. */
  allocateTid(proc: LibosProcess): Promise<number>;
  /** A thread of `proc` exited: its tid is free again. */
  releaseTid(proc: LibosProcess, tid: number): void;
  /** An fd of the stub binary, for re-executing it on execve. */
  stubBinaryFd(): number;
  /**
   * The stub of `proc` forked: child `vpid` is host process `hostPid` (or -errno: it failed), as
   * the kernel says (`checked`), or only as the stub said (the kernel could not say: the child
   * is gone, or its parent is, already); `alone`: into the standby the stub held, unasked.
   */
  childStarted(proc: LibosProcess, vpid: number, hostPid: number, checked: boolean, alone: boolean): void;
  /** mq_open (the host path of the queue, to reopen) or mq_unlink (''), by the leader; errors as SyscallErrors. */
  posixMq(proc: LibosProcess, op: 'open' | 'unlink', name: string, flags: number, mode: number, attr: number[] | null): Promise<string>;
  /**
   * A path of the directory this worker has open as `fd` (one a walk opened) that is the same
   * in every process of the instance, for as long as it lasts: the leader holds it (bind of a
   * UNIX socket below it, sys/net.ts); errors as SyscallErrors.
   */
  socketDirectory(proc: LibosProcess, fd: number): Promise<string>;
  /** PR_SET_PDEATHSIG of `proc` (0: none): the leader sends it when the parent exits (resolves once it knows). */
  pdeathSignal(proc: LibosProcess, sig: number): Promise<void>;
  /** A thread of `proc` exited on its own: these children of it are due their parent-death signals. */
  parentThreadExited(proc: LibosProcess, children: number[]): void;
  /**
   * The leader's plaintext copy of file `rel` of the encrypted mount at `mount` (an
   * EncryptedOp: leader/encrypted-copies.ts): its path for every process, "" for none; errors
   * as SyscallErrors.
   */
  encryptedCopy(proc: LibosProcess, op: EncryptedOp, mount: string, rel: string, to: string, fd: number, writable?: boolean): Promise<string>;
  /** The instance's keys, as files the leader holds (a list fixed for the instance). */
  keyFiles(proc: LibosProcess): Promise<KeyFile[]>;
  /**
   * What /dev/attestation has the leader make with the platform secret: derived key `name`
   * ('key'), the instance's TARGETINFO, a REPORT or a quote of `data`; errors as SyscallErrors.
   */
  attestation(proc: LibosProcess, op: Exclude<AttestationOp, 'key-files'>, name: string, data: Buffer | null): Promise<Buffer>;
  /** A System V IPC call, made by the leader for `proc`; errors as SyscallErrors. */
  sysv(proc: LibosProcess, op: SysvOp, args: number[], data?: Buffer): Promise<SysvAnswer>;
  /** One the leader does not answer (shm-detach). */
  sysvTell(proc: LibosProcess, op: SysvOp, args: number[]): void;
  /** An id for a wait a sem-op, msg-send or msg-recv may need (the leader's sysv-wake names it). */
  sysvWaitId(): number;
  /** The call must wait: an eventfd (or -errno) that the wake makes readable, for the stub. */
  sysvWaitFd(proc: LibosProcess, waitId: number): number;
  /** The call needed no wait. */
  sysvWaitDone(proc: LibosProcess, waitId: number): void;
  /**
   * `proc` used what gramine-ts does not support: a syscall (by name) or a feature of one
   * (Unsupported's). The instance logs each once and reports them all when it ends.
   */
  unsupported(proc: LibosProcess, feature: string): void;
  /** Strace mode: write one line (straceLine's) to the strace file; null: not in strace mode. */
  strace: ((line: string) => void) | null;
  /** Append syscall names to the trace file, in trace mode. */
  trace: ((names: string[]) => void) | null;
}
