// Operations on a place of a host mount (chroot or tmpfs): the host does the work on the
// directory the walk reached, one component at a time, and the LibOS adds what the mount says
// (read-only) and what the manifest says of the file (trusted, allowed).
import { fileType, fileTypeAt, host } from '../../pal/host.js';
import { hostEntries, openStandIn } from './pseudo/open.js';
import { openMountDirectory } from './dentry-cache.js';
import { check, Errno, SyscallError } from '../errno.js';
import type { Vfs } from './vfs.js';
import type { HostLocation } from './walk.js';
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_EXCL, O_LARGEFILE, O_NOFOLLOW, O_PATH, O_TMPFILE, O_TRUNC, S_IFDIR, S_IFREG } from '../../pal/linux-abi.js';


/** flags with which the checked read-only fd is what the app asked for */
const PLAIN_READ_FLAGS = O_CLOEXEC | O_NOFOLLOW | O_CREAT | O_EXCL | O_LARGEFILE;

const SEEK_SET = 0;

/**
 * Run `fn` on the location's directory (a worker host fd) and name. The directory is opened
 * inside the mount's root with no symlink allowed on the way: the walk has already checked
 * each component, so a symlink here means the tree changed under us (ELOOP, never an escape).
 */
export function atLocation<T>(loc: HostLocation, fn: (dirfd: number, name: string) => T): T {
  // a single-file mount's point is its one name in the host directory
  if (loc.mount.file !== null) return fn(loc.mount.rootFd, loc.mount.file);
  const name = loc.trailingSlash && loc.name !== '.' ? `${loc.name}/` : loc.name;
  if (loc.dirRel === '') return fn(loc.mount.rootFd, name);
  if (loc.mount.known) return fn(loc.mount.known.directory(loc.dirRel, loc.vpath), name);
  const dirfd = openMountDirectory(loc.mount.rootFd, loc.dirRel, loc.vpath);
  try {
    return fn(dirfd, name);
  } finally {
    host.close(dirfd);
  }
}

/** Run a host call on the location and check its result. */
export function onLocation(loc: HostLocation, what: string, fn: (dirfd: number, name: string) => number): number {
  return atLocation(loc, (d, n) => check(fn(d, n), `${what} ${loc.vpath}`));
}

/** Does something exist at the location (without following a final symlink)? */
export function exists(loc: HostLocation): boolean {
  return atLocation(loc, fileTypeAt) >= 0;
}

/**
 * A change to a read-only mount fails as Linux decides: the lookup's error first (ENOENT for a
 * missing file, EEXIST for one to be created that exists), then EROFS.
 */
export function checkWritable(loc: HostLocation, what: string, mustExist: boolean): void {
  if (!loc.mount.readOnly) return;
  const there = exists(loc);
  if (mustExist && !there) throw new SyscallError(Errno.ENOENT, `${what} ${loc.vpath}`);
  if (!mustExist && there) throw new SyscallError(Errno.EEXIST, `${what} ${loc.vpath}`);
  throw new SyscallError(Errno.EROFS, `${what} ${loc.vpath}: read-only mount`);
}

/** The host path of a location (for the trusted-files check and its log lines). */
export function hostPathOf(loc: HostLocation): string {
  const root = loc.mount.hostRoot === '/' ? '' : loc.mount.hostRoot;
  const dir = loc.dirRel === '' ? root : `${root}/${loc.dirRel}`;
  const name = loc.mount.file ?? loc.name;
  return name === '.' ? dir || '/' : `${dir}/${name}`;
}

/**
 * Open a host location with the app's flags and mode (umask applied): a worker host fd. A
 * read-only mount refuses writes and creation; on a chroot mount with file checks, a regular
 * file is checked (trusted files come back as verified memfds) before the app sees a byte.
 */
export function openHost(proc: { readonly vfs: Vfs; readonly umask: number }, loc: HostLocation, flags: number, mode: number): number {
  const writes = (flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
  if (loc.mount.readOnly && (writes || flags & O_CREAT)) {
    const there = exists(loc);
    if ((flags & O_CREAT) && (flags & O_EXCL) && there) throw new SyscallError(Errno.EEXIST, `open ${loc.vpath}`);
    if (writes || !there) {
      if (!there && !(flags & O_CREAT)) throw new SyscallError(Errno.ENOENT, `open ${loc.vpath}`);
      throw new SyscallError(Errno.EROFS, `open ${loc.vpath}: read-only mount`);
    }
    flags &= ~O_CREAT;
  }
  const creates = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE) === O_TMPFILE;
  const effMode = creates ? mode & ~proc.umask & 0o7777 : 0;
  // an encrypted mount's files are checked by their authentication (encrypted/), not by the manifest
  const checks = loc.mount.type === 'chroot' && loc.mount.encrypted === null ? proc.vfs.fileChecks : null;
  if (checks && !(flags & O_PATH)) {
    // the check sees the file before the app's flags can change it (O_TRUNC)
    const ro = atLocation(loc, (d, n) => host.openat(d, n, O_CLOEXEC | O_NOFOLLOW, 0));
    if (ro >= 0 && fileType(ro) === S_IFREG) {
      const checked = checks.open(hostPathOf(loc), ro, flags);
      if (checked !== ro || (flags & ~PLAIN_READ_FLAGS) === 0) return checked;
    }
    if (ro >= 0) host.close(ro);
    else if (creates && ro === -Errno.ENOENT) checks.checkCreate(hostPathOf(loc));
  }
  const fd = onLocation(loc, 'open', (d, n) => host.openat(d, n, flags | O_CLOEXEC | (n === '.' ? 0 : O_NOFOLLOW), effMode));
  if (loc.mount.flat && loc.name !== '.' && fileType(fd) === S_IFDIR) {
    host.close(fd);
    throw new SyscallError(Errno.EACCES, `open ${loc.vpath}: a sub-directory of a shared-memory mount`);
  }
  return flags & O_PATH ? fd : withMountPoints(proc, loc, fd, flags);
}

/**
 * A directory with mount points in it lists them, as on Linux, even where the host directory
 * has no such entry: the app then reads a stand-in holding both. Other files are as opened.
 */
function withMountPoints(proc: { readonly vfs: Vfs }, loc: HostLocation, fd: number, flags: number): number {
  const points = proc.vfs.mounts.mountPointsIn(loc.vpath);
  if (points.length === 0 || fileType(fd) !== S_IFDIR) return fd;
  try {
    const entries = hostEntries(fd);
    if (points.every((p) => entries.has(p))) {
      // the listing read the app's fd: back to its start
      check(host.lseek(fd, 0, SEEK_SET), `rewind ${loc.vpath}`);
      return fd;
    }
    const standIn = openStandIn(proc.vfs, loc.vpath, entries, flags);
    host.close(fd);
    return standIn;
  } catch (e) {
    host.close(fd);
    throw e;
  }
}
