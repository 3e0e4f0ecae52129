// What the LibOS of one process needs from the rest of the instance (the leader and the other
// workers). The worker implements it over its connection to the leader.
import type { LibosProcess } from './process.js';

export interface WaitResult {
  vpid: number;
  /** the status as wait4 encodes it */
  status: number;
  uid: number;
}

/** Which children a wait is for, as wait4/waitid name them. */
export type WaitTarget =
  | { kind: 'pid'; vpid: number }
  | { kind: 'pgid'; pgid: number }
  | { kind: 'any' };

export interface WaitOptions {
  /** return null instead of blocking when no child has changed state */
  noHang: boolean;
  /** leave the child waitable (waitid WNOWAIT) */
  noReap: boolean;
}

/** Who a kill is for, as kill(2) names them. */
export type KillTarget = { kind: 'pid'; vpid: number } | { kind: 'pgid'; pgid: number } | { kind: 'all' };

export type PgrpOp = 'setpgid' | 'setsid' | 'getpgid' | 'getsid';

export interface InstanceServices {
  /** Process groups and sessions, kept by the leader; errors as SyscallErrors. */
  pgrp(proc: LibosProcess, op: PgrpOp, pid: number, pgid: number): Promise<number>;
  /** Send `sig` (0: just check) from `proc` to other processes; ESRCH/EPERM as SyscallErrors. */
  kill(proc: LibosProcess, target: KillTarget, sig: number, code: number): Promise<void>;
  /**
   * Create the process for a fork of `proc`: the leader allocates its vpid and a worker, which
   * takes `childChannelWorkerFd` (an fd of this worker, owned by the instance from now on and
   * closed once taken) as its end of the child's channel.
   */
  fork(proc: LibosProcess, childChannelWorkerFd: number): Promise<number>;
  /** Wait for a child of `proc`; null when `noHang` and none is ready; ECHILD as a SyscallError. */
  wait(proc: LibosProcess, target: WaitTarget, options: WaitOptions): Promise<WaitResult | null>;
  /** An fd of the stub binary, for re-executing it on execve. */
  stubBinaryFd(): number;
  /** The stub of `proc` forked: child `vpid` is host process `hostPid`. */
  childStarted(vpid: number, hostPid: number): void;
  /** Append syscall names to the trace file, in trace mode. */
  trace: ((names: string[]) => void) | null;
}
