// Path resolution for the app's path arguments. For now the instance has a single mount: the
// host root, passed through; the VFS with mounts and confinement replaces this module.
import { host } from '../../pal/host.js';
import type { LibosProcess } from '../process.js';
import { Errno, SyscallError } from '../errno.js';

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_SYMLINK_FOLLOW = 0x400;
export const AT_EMPTY_PATH = 0x1000;

/** A path the host can resolve: relative to `dirfd` (a worker host fd, or AT_FDCWD). */
export interface HostPath {
  dirfd: number;
  path: string;
}

const PROC_SELF = /^\/proc\/(self|thread-self)(?=\/|$)/;

/**
 * The host resolves paths in the worker, so /proc/self would be the worker: point it at the app
 * process instead (until /proc is the LibOS's own).
 */
function hostProcSelf(proc: LibosProcess, path: string): string {
  return path.replace(PROC_SELF, (_m, which: string) =>
    which === 'self' ? `/proc/${proc.app.hostPid}` : `/proc/${proc.app.hostPid}/task/${proc.mainHostTid}`);
}

/** A host path for calls that take no dirfd (truncate, statfs, xattrs). */
export function pathOnly(hp: HostPath): string {
  return hp.dirfd === AT_FDCWD ? hp.path : `/proc/self/fd/${hp.dirfd}/${hp.path}`;
}

/**
 * Resolve (dirfd, path) as the app named it, run `fn` on the host path, and release any host
 * fd taken for it. AT_EMPTY_PATH with "" names the dirfd itself.
 */
export function withHostPath<T>(
  proc: LibosProcess,
  dirfd: number,
  path: string,
  fn: (p: HostPath) => T,
  flags = 0,
): T {
  if (path === '' && !(flags & AT_EMPTY_PATH)) throw new SyscallError(Errno.ENOENT, 'empty path');
  if (path.startsWith('/')) return fn({ dirfd: AT_FDCWD, path: hostProcSelf(proc, path) });
  if (dirfd === AT_FDCWD) return fn({ dirfd: proc.cwdDirFd, path });
  const hostFd = proc.hostFdFor(dirfd);
  try {
    return fn({ dirfd: hostFd, path });
  } finally {
    host.close(hostFd);
  }
}
