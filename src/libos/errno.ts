// Linux errno values (x86-64) and the error type syscall handlers throw.

export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, EBUSY: 16, EEXIST: 17, EXDEV: 18,
  ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, ERANGE: 34,
  ENAMETOOLONG: 36, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40, ENOMSG: 42, EIDRM: 43, ENODATA: 61, EOVERFLOW: 75, EMSGSIZE: 90,
  ENOTSUP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, ENOBUFS: 105, ECONNREFUSED: 111,
} as const;

export type ErrnoName = keyof typeof Errno;

const NAMES: Record<number, string> = Object.fromEntries(
  Object.entries(Errno).map(([name, value]) => [value, name]),
);

export function errnoName(errno: number): string {
  return NAMES[Math.abs(errno)] ?? `errno ${Math.abs(errno)}`;
}

/**
 * Thrown by handlers and helpers; the dispatcher turns it into -errno for the app. It is an
 * answer, not a fault (ENOENT is what a PATH search is made of): no stack trace is taken, which
 * halves what a failing call costs.
 */
export class SyscallError extends Error {
  readonly errno: number;

  constructor(errno: number, context: string) {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    super(`${errnoName(errno)}: ${context}`);
    Error.stackTraceLimit = limit;
    this.errno = errno;
  }
}

/**
 * What gramine-ts does not support (yet) of a call it implements: an option, a flag, a kind of
 * object. The app gets `errno`; the instance counts `feature` (e.g. "prctl(PR_SET_MM)") and
 * names it in its report of unsupported calls.
 */
export class Unsupported extends SyscallError {
  constructor(errno: number, readonly feature: string) {
    super(errno, `unsupported: ${feature}`);
  }
}

/** A host result: a non-negative value, or a SyscallError carrying the host's errno. */
export function check(result: number, context: string): number {
  if (result < 0) throw new SyscallError(-result, context);
  return result;
}
