// What can be done to any place of the tree, host or pseudo: open it, stat it, read a link,
// check access. The syscall handlers (sys/fs.ts) parse arguments and call these.
import { fileTypeAt, host } from '../../pal/host.js';
import { check, Errno, SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { WaitOn } from '../sys/types.js';
import { openFifoWaiting } from './fifo-opens.js';
import { isEncrypted, openEncrypted, statEncrypted } from './encrypted/files.js';
import { atLocation, onLocation, openHost } from './host-fs.js';
import type { PseudoNode } from './pseudo/node.js';
import { openPseudo } from './pseudo/open.js';
import { encodeStat, encodeStatx, inodeOf, type StatFields } from './stat.js';
import type { Awaitable } from './pseudo/node.js';
import { resolve, type HostLocation, type Location, type PseudoLocation, type WalkContext } from './walk.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_STATX_SYNC_TYPE, AT_SYMLINK_NOFOLLOW, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_PATH, O_RDWR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG } from '../../pal/linux-abi.js';

const W_OK = 2;
const X_OK = 1;

/** Do `fn` with the location, whether the walk finished at once or had to wait. */
export function andThen<T, R>(v: Awaitable<T>, fn: (t: T) => Awaitable<R>): Awaitable<R> {
  return v instanceof Promise ? v.then(fn) : fn(v);
}

function missing(loc: PseudoLocation, what: string): never {
  throw new SyscallError(Errno.ENOENT, `${what} ${loc.vpath}`);
}

/** Open a location for the app: a worker host fd. */
export function openLocation(proc: LibosProcess, loc: Location, flags: number, mode: number, callerTid: number): Awaitable<number | WaitOn> {
  if (loc.kind === 'host') {
    if (isEncrypted(loc)) return openEncrypted(proc, loc, flags, mode);
    if (!(flags & (O_NONBLOCK | O_PATH)) && (flags & O_ACCMODE) !== O_RDWR && atLocation(loc, fileTypeAt) === S_IFIFO) return openFifo(proc, loc, flags, mode, callerTid);
    return openHost(proc, loc, flags, mode);
  }
  if (!loc.node) {
    if (flags & O_CREAT) throw new SyscallError(Errno.EACCES, `create ${loc.vpath}`);
    missing(loc, 'open');
  }
  if (loc.node.kind === 'symlink' && !loc.follow) throw new SyscallError(Errno.ELOOP, `open ${loc.vpath}: a symbolic link`);
  return openPseudo(proc, loc.node, loc.vpath, flags);
}

/**
 * A FIFO opened to wait for its other end: opened here without waiting (O_PATH, beneath the
 * mount, as any open), then for real through that fd on a thread of its own, so that the worker
 * (its signals, its other threads' calls) goes on while the app waits, as it would natively;
 * the app waits where a signal ends its wait (fifo-opens.ts).
 */
function openFifo(proc: LibosProcess, loc: HostLocation, flags: number, mode: number, callerTid: number): number | WaitOn {
  // what a read-only mount refuses, it refuses as for any file (EROFS before a wait)
  const pathFd = openHost(proc, loc, O_PATH | (flags & O_NOFOLLOW), mode);
  try {
    if (fileTypeAt(pathFd, '') !== S_IFIFO) throw new SyscallError(Errno.EAGAIN, `open ${loc.vpath}: changed under the open`);
    if (loc.mount.readOnly && (flags & O_ACCMODE) !== 0) throw new SyscallError(Errno.EROFS, `open ${loc.vpath}: read-only mount`);
  } catch (e) {
    host.close(pathFd);
    throw e;
  }
  return openFifoWaiting(proc, callerTid, `${loc.vpath} ${flags}`, pathFd, flags & ~(O_CREAT | O_NOFOLLOW));
}

/** An O_PATH fd of the directory at instance path `path` of a host mount (a working directory). */
export function openDirectory(ctx: WalkContext, path: string): number {
  const loc = resolve(ctx, AT_FDCWD, path, { follow: true });
  if (loc instanceof Promise || loc.kind !== 'host') {
    if (loc instanceof Promise) loc.catch(() => undefined);
    throw new SyscallError(Errno.EACCES, `${path}: not a directory of a host mount`);
  }
  return openHostDirectory(loc, 'open');
}

/** An O_PATH fd of the directory at a host location (ENOTDIR if it is none). */
export function openHostDirectory(loc: HostLocation, what: string): number {
  if (loc.mount.flat && loc.name !== '.') throw new SyscallError(Errno.EACCES, `${what} ${loc.vpath}: a sub-directory of a shared-memory mount`);
  return onLocation(loc, what, (d, n) => host.openat(d, n, O_PATH | O_DIRECTORY | O_CLOEXEC, 0));
}

/** Device numbers the synthesized trees show (as anonymous devices do: major 0). */
const PSEUDO_DEV = { proc: 0x16n, dev: 0x05n, sys: 0x17n } as const;

async function pseudoStatFields(proc: LibosProcess, loc: PseudoLocation, node: PseudoNode): Promise<StatFields> {
  const base = {
    dev: PSEUDO_DEV[loc.mount.type], ino: inodeOf(loc.vpath), uid: 0, gid: 0, blksize: 1024,
    time: Math.floor(Date.now() / 1000),
  };
  switch (node.kind) {
    case 'dir':
      return { ...base, mode: S_IFDIR | (node.mode ?? 0o555), nlink: 2, size: 0 };
    case 'file':
      return { ...base, mode: S_IFREG | (node.mode ?? 0o444), nlink: 1, size: 0 };
    case 'symlink':
      // /proc's links have no size, as on Linux
      return { ...base, mode: S_IFLNK | 0o777, nlink: 1, size: loc.mount.type === 'proc' ? 0 : (await node.target(proc)).length };
    case 'host':
      throw new Error('unreachable: host nodes are stat-ed on the host');
  }
}

/**
 * stat (`statx` false) or statx of a location into a new buffer. The walk has already followed
 * a final symlink when asked to; a magic link followed is its object's stat.
 */
export function statLocation(
  proc: LibosProcess, loc: Location, statx: { flags: number; mask: number } | null,
): Awaitable<Buffer> {
  const buf = Buffer.alloc(statx ? 256 : 144);
  const onHost = (dirfd: number, name: string, flags: number) =>
    statx ? host.statx(dirfd, name, flags | (statx.flags & AT_STATX_SYNC_TYPE), statx.mask, buf) : host.fstatat(dirfd, name, buf, flags);
  if (loc.kind === 'host') {
    atLocation(loc, (d, n) => check(onHost(d, n, AT_SYMLINK_NOFOLLOW), `stat ${loc.vpath}`));
    return isEncrypted(loc) ? statEncrypted(proc, loc, buf, statx !== null) : buf;
  }
  const node = loc.node ?? missing(loc, 'stat');
  if (node.kind === 'host') {
    check(onHost(-100, node.hostPath, 0), `stat ${loc.vpath}`);
    return buf;
  }
  if (node.kind === 'symlink' && node.openObject && loc.follow) {
    return andThen(node.openObject(proc), (fd) => {
      try {
        check(onHost(fd, '', AT_EMPTY_PATH), `stat ${loc.vpath}`);
        return buf;
      } finally {
        host.close(fd);
      }
    });
  }
  return pseudoStatFields(proc, loc, node).then((f) => (statx ? encodeStatx(f) : encodeStat(f)));
}

/** readlink of a location: the link's target, or EINVAL for anything else. */
export function readlinkLocation(proc: LibosProcess, loc: Location, buf: Buffer): Awaitable<string> {
  if (loc.kind === 'host') {
    const n = atLocation(loc, (d, name) => check(host.readlinkat(d, name, buf), `readlink ${loc.vpath}`));
    return buf.toString('latin1', 0, n);
  }
  const node = loc.node ?? missing(loc, 'readlink');
  if (node.kind !== 'symlink') throw new SyscallError(Errno.EINVAL, `readlink ${loc.vpath}: not a symbolic link`);
  return node.target(proc);
}

/** access/faccessat2: the host's answer for host files (EROFS for writing a read-only mount). */
export function accessLocation(loc: Location, mode: number, flags: number): number {
  if (loc.kind === 'host') {
    const r = atLocation(loc, (d, n) => host.faccessat2(d, n, mode, (flags & ~AT_SYMLINK_NOFOLLOW) | AT_SYMLINK_NOFOLLOW));
    check(r, `access ${loc.vpath}`);
    if (mode & W_OK && loc.mount.readOnly) throw new SyscallError(Errno.EROFS, `access ${loc.vpath}: read-only mount`);
    return 0;
  }
  const node = loc.node ?? missing(loc, 'access');
  if (node.kind === 'host') return check(host.faccessat2(-100, node.hostPath, mode, 0), `access ${loc.vpath}`);
  const bits = node.kind === 'dir' ? (node.mode ?? 0o555) : node.kind === 'file' ? (node.mode ?? 0o444) : 0o777;
  // as for root: read and write by the owner's bits, execute if anyone may
  if ((mode & W_OK && !(bits & 0o200)) || (mode & X_OK && !(bits & 0o111)))
    throw new SyscallError(Errno.EACCES, `access ${loc.vpath}`);
  return 0;
}

