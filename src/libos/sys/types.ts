// What a syscall handler is and what it may return.
import type { Prefetch } from '../instance.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';

/** A new fd for the app: a worker host fd that the stub receives (and the worker then closes). */
export interface NewFd {
  kind: 'fd';
  hostFd: number;
  cloexec: boolean;
}

/** A fork the worker granted: the stub forks and hands the child its channel and lifeline. */
export interface ForkGranted {
  kind: 'fork';
  childVpid: number;
  /** worker host fds of the child's ends of its channel and lifeline (passed to the stub, then closed) */
  childChannelFd: number;
  childLifelineFd: number;
  /** the CPU the child pins itself to (beside its worker), or null */
  childCpu: number | null;
  /** standbys for the stub's next forks, sent along (the worker keeps their fds) */
  prefetches: Prefetch[];
}

/** An exec the worker planned: the stub re-executes itself with this argv. */
export interface ExecPlanned {
  kind: 'exec';
  /** worker host fd of the stub binary (passed to the stub; kept by the worker) */
  stubFd: number;
  /** strings put before the app's argv[appArgvFrom...] (the `#!` interpreter chain) */
  argvPrefix: string[];
  appArgvFrom: number;
}

/** The working directory changed: the stub makes the app's host cwd follow (this fd, a copy, is sent and closed). */
export interface CwdChanged {
  kind: 'cwd';
  hostFd: number;
  /** the stub may resolve paths below it (REPLY_CWD_BENEATH) */
  beneath: boolean;
  /** with `beneath`: its instance path, sent along (absolute paths below it), or empty */
  path: Buffer;
}

/** connect (or send) to a UNIX path: the socket file, a worker O_PATH fd (sent to the stub, then closed). */
export interface SocketTarget {
  kind: 'socket-target';
  hostFd: number;
}

/**
 * semop made by the leader: its result, whether it must wait for the set's seq to change, and
 * maybe the set's memory for the stub to map (a worker host fd, sent and closed) with what the
 * caller may do with it.
 */
export interface SemAnswer {
  kind: 'sem';
  ret: number;
  wait: boolean;
  seq: number;
  blocked: number;
  map: { hostFd: number; gen: number; access: number; nsems: number } | null;
}

/**
 * setpgid or setsid made in the instance (`ret`): the stub makes the host's side, so that the
 * terminal's signals reach the groups the app made -- setsid() (hostPid -1), or
 * setpgid(hostPid, hostPgid) (hostPid 0: the caller; hostPgid 0: a group of the target's own).
 */
export interface HostPgrp {
  kind: 'host-pgrp';
  ret: number;
  hostPid: number;
  hostPgid: number;
}

/** Not yet: the stub waits on this eventfd (a worker host fd, sent and closed) and makes the call again. */
export interface WaitOn {
  kind: 'wait';
  hostFd: number;
}

/**
 * RLIMIT_NOFILE set in the instance: the stub sets the host's limit to this on its own process
 * (in a root instance the worker may not: the app is another host uid's), then returns 0.
 */
export interface HostNofile {
  kind: 'host-nofile';
  cur: bigint;
  max: bigint;
}

export type SyscallResult = number | NewFd | SemAnswer | ForkGranted | ExecPlanned | CwdChanged | SocketTarget | HostPgrp | WaitOn | HostNofile;

export type SyscallHandler = (
  proc: LibosProcess,
  a: SyscallArgs,
) => SyscallResult | Promise<SyscallResult>;
