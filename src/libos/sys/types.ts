// What a syscall handler is and what it may return.
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';

/** A new fd for the app: a worker host fd that the stub receives (and the worker then closes). */
export interface NewFd {
  hostFd: number;
  cloexec: boolean;
}

export type SyscallResult = number | NewFd;

export type SyscallHandler = (
  proc: LibosProcess,
  a: SyscallArgs,
) => SyscallResult | Promise<SyscallResult>;
