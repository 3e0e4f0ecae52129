// File-system system calls: paths, metadata, directories (the `sys_file.go` of this LibOS).
// Every path goes through the VFS walk (fs/walk.ts); the host then works on what it found.
import { fileType, fileTypeAt, host } from '../../pal/host.js';
import { check, Errno, SyscallError } from '../errno.js';
import { PATH_MAX } from '../memory.js';
import { resolve, type HostLocation, type Location, type WalkOptions } from '../fs/walk.js';
import { atLocation, checkWritable, onLocation } from '../fs/host-fs.js';
import { accessLocation, andThen, openHostDirectory, openLocation, readlinkLocation, statLocation } from '../fs/ops.js';
import { openPseudo } from '../fs/pseudo/open.js';
import { showAppHostIdAsRoot } from '../fs/stat.js';
import { isEncrypted, refuseInEncrypted } from '../fs/encrypted/files.js';
import { renameEncrypted, syncAppFd, truncateEncrypted, unlinkedEncrypted } from '../fs/encrypted/changes.js';
import type { Awaitable } from '../fs/pseudo/node.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { CwdChanged, NewFd, SyscallHandler, WaitOn } from './types.js';

import { AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_FOLLOW, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_TMPFILE, O_TRUNC, RESOLVE_BENEATH, RESOLVE_IN_ROOT, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK } from '../../pal/linux-abi.js';

const O_TRUNC_CREAT_WRONLY = 0o1000 | O_CREAT | 0o1;

function path(proc: LibosProcess, a: SyscallArgs, i: number): string {
  return proc.mem.readCString(a.ptr(i));
}

/** Walk (dirfd, path) and do `fn` with what it names. */
function at<R>(proc: LibosProcess, dirfd: number, p: string, opts: WalkOptions, fn: (loc: Location) => Awaitable<R>): Awaitable<R> {
  return andThen(resolve(proc, dirfd, p, opts), fn);
}

/** A change to the tree: only host mounts take one; pseudo trees refuse it. */
function change<R extends Awaitable<number>>(loc: Location, what: string, fn: (loc: HostLocation) => R): R {
  if (loc.kind === 'pseudo') throw new SyscallError(loc.node ? Errno.EACCES : Errno.ENOENT, `${what} ${loc.vpath}`);
  return fn(loc);
}

function openAt(proc: LibosProcess, a: SyscallArgs, dirfd: number, p: string, flags: number, mode: number, resolveFlags = 0): Awaitable<NewFd | WaitOn> {
  const follow = !(flags & O_NOFOLLOW) && (flags & (O_CREAT | O_EXCL)) !== (O_CREAT | O_EXCL);
  return at(proc, dirfd, p, { follow, resolve: resolveFlags }, (loc) =>
    andThen(openLocation(proc, loc, flags, mode, a.caller.hostTid), (r) =>
      typeof r === 'number' ? { kind: 'fd' as const, hostFd: r, cloexec: (flags & O_CLOEXEC) !== 0 } : r));
}

const sys_open: SyscallHandler = (proc, a) => openAt(proc, a, AT_FDCWD, path(proc, a, 0), a.int(1), a.uint(2));
const sys_openat: SyscallHandler = (proc, a) => openAt(proc, a, a.int(0), path(proc, a, 1), a.int(2), a.uint(3));
const sys_creat: SyscallHandler = (proc, a) => openAt(proc, a, AT_FDCWD, path(proc, a, 0), O_TRUNC_CREAT_WRONLY, a.uint(1));

/** open flags openat2 knows (it refuses any other bit, where open ignores them) */
const VALID_OPEN_FLAGS = 0o37777777 & ~0o40; // all O_* up to O_TMPFILE; bit 0o40 is unused
const RESOLVE_ALL = 0x3f;
const RESOLVE_CACHED = 0x20;

/** openat2: open_how's flags, mode and RESOLVE_* walk restrictions, checked as Linux does. */
const sys_openat2: SyscallHandler = (proc, a) => {
  const size = a.long(3);
  if (size < 24 || size > 4096) throw new SyscallError(size < 24 ? Errno.EINVAL : Errno.E2BIG, 'openat2 how size');
  const how = proc.mem.read(a.ptr(2), size);
  if (size > 24 && how.subarray(24).some((b) => b !== 0)) throw new SyscallError(Errno.E2BIG, 'openat2 how: unknown fields');
  const flags = how.readBigUInt64LE(0);
  const mode = how.readBigUInt64LE(8);
  const resolveFlags = Number(how.readBigUInt64LE(16));
  if (flags & ~BigInt(VALID_OPEN_FLAGS)) throw new SyscallError(Errno.EINVAL, 'openat2 flags');
  if (mode & ~0o7777n) throw new SyscallError(Errno.EINVAL, 'openat2 mode');
  const f = Number(flags);
  if (mode && !(f & O_CREAT) && (f & O_TMPFILE) !== O_TMPFILE) throw new SyscallError(Errno.EINVAL, 'openat2 mode without O_CREAT');
  if (resolveFlags & ~RESOLVE_ALL) throw new SyscallError(Errno.EINVAL, 'openat2 resolve flags');
  if ((resolveFlags & RESOLVE_BENEATH) && (resolveFlags & RESOLVE_IN_ROOT))
    throw new SyscallError(Errno.EINVAL, 'openat2: RESOLVE_BENEATH with RESOLVE_IN_ROOT');
  // RESOLVE_CACHED asks to fail rather than block on I/O: our walk never waits on a disk
  if (resolveFlags & RESOLVE_CACHED && f & (O_CREAT | O_TRUNC | O_TMPFILE)) throw new SyscallError(Errno.EAGAIN, 'RESOLVE_CACHED');
  return openAt(proc, a, a.int(0), path(proc, a, 1), f, Number(mode), resolveFlags & ~RESOLVE_CACHED);
};

/** The location of an fd-or-path call: "" with AT_EMPTY_PATH names the dirfd itself. */
function statAt(proc: LibosProcess, dirfd: number, p: string, flags: number, statx: { flags: number; mask: number } | null) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800 /* AT_NO_AUTOMOUNT */ | 0x6000 /* AT_STATX_SYNC_TYPE */))
    throw new SyscallError(Errno.EINVAL, `stat flags ${flags}`);
  if (p === '' && flags & AT_EMPTY_PATH) return fdStat(proc, dirfd, statx);
  return at(proc, dirfd, p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) }, (loc) => statLocation(proc, loc, statx));
}

/** stat of an fd itself (fstatat with AT_EMPTY_PATH that the stub forwarded, e.g. AT_FDCWD). */
function fdStat(proc: LibosProcess, dirfd: number, statx: { flags: number; mask: number } | null): Buffer {
  const buf = Buffer.alloc(statx ? 256 : 144);
  if (dirfd === AT_FDCWD) {
    const r = statx ? host.statx(proc.cwdDirFd, '', AT_EMPTY_PATH, statx.mask, buf) : host.fstatat(proc.cwdDirFd, '', buf, AT_EMPTY_PATH);
    check(r, 'stat of the cwd');
    return buf;
  }
  const fd = proc.hostFdFor(dirfd);
  try {
    check(statx ? host.statx(fd, '', AT_EMPTY_PATH, statx.mask, buf) : host.fstatat(fd, '', buf, AT_EMPTY_PATH), `fstat ${dirfd}`);
    return buf;
  } finally {
    host.close(fd);
  }
}

function writeOut(proc: LibosProcess, out: number, v: Awaitable<Buffer>): Awaitable<number> {
  return andThen(v, (buf) => {
    if (proc.appHostIdentity) showAppHostIdAsRoot(buf);
    proc.mem.write(out, buf);
    return 0;
  });
}

const sys_stat: SyscallHandler = (proc, a) => writeOut(proc, a.ptr(1), statAt(proc, AT_FDCWD, path(proc, a, 0), 0, null));
const sys_lstat: SyscallHandler = (proc, a) =>
  writeOut(proc, a.ptr(1), statAt(proc, AT_FDCWD, path(proc, a, 0), AT_SYMLINK_NOFOLLOW, null));
const sys_newfstatat: SyscallHandler = (proc, a) =>
  writeOut(proc, a.ptr(2), statAt(proc, a.int(0), path(proc, a, 1), a.int(3), null));
const sys_statx: SyscallHandler = (proc, a) =>
  writeOut(proc, a.ptr(4), statAt(proc, a.int(0), path(proc, a, 1), a.int(2), { flags: a.int(2), mask: a.uint(3) }));

function accessAt(proc: LibosProcess, dirfd: number, p: string, mode: number, flags: number) {
  if (mode & ~7) throw new SyscallError(Errno.EINVAL, `access mode ${mode}`);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x200 /* AT_EACCESS */)) throw new SyscallError(Errno.EINVAL, 'access flags');
  if (p === '' && flags & AT_EMPTY_PATH) {
    const fd = dirfd === AT_FDCWD ? host.dupCloexec(proc.cwdDirFd) : proc.hostFdFor(dirfd);
    try {
      return check(host.faccessat2(fd, '', mode, AT_EMPTY_PATH), 'access');
    } finally {
      host.close(fd);
    }
  }
  return at(proc, dirfd, p, { follow: !(flags & AT_SYMLINK_NOFOLLOW) }, (loc) => accessLocation(loc, mode, flags));
}

const sys_access: SyscallHandler = (proc, a) => accessAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), 0);
const sys_faccessat: SyscallHandler = (proc, a) => accessAt(proc, a.int(0), path(proc, a, 1), a.int(2), 0);
const sys_faccessat2: SyscallHandler = (proc, a) => accessAt(proc, a.int(0), path(proc, a, 1), a.int(2), a.int(3));

function readlinkAt(proc: LibosProcess, dirfd: number, p: string, out: number, size: number) {
  if (size <= 0) throw new SyscallError(Errno.EINVAL, 'readlink buffer size');
  const buf = Buffer.alloc(PATH_MAX);
  if (p === '' && dirfd !== AT_FDCWD) {
    // readlinkat(fd, ""): the link an O_PATH|O_NOFOLLOW fd is open on
    const fd = proc.hostFdFor(dirfd);
    try {
      const n = check(host.readlinkat(fd, '', buf), 'readlinkat fd');
      proc.mem.write(out, buf.subarray(0, Math.min(n, size)));
      return Math.min(n, size);
    } finally {
      host.close(fd);
    }
  }
  return at(proc, dirfd, p, { follow: false }, (loc) =>
    andThen(readlinkLocation(proc, loc, buf), (target) => {
      const bytes = Buffer.from(target, 'latin1').subarray(0, size);
      proc.mem.write(out, bytes);
      return bytes.length;
    }));
}

const sys_readlink: SyscallHandler = (proc, a) => readlinkAt(proc, AT_FDCWD, path(proc, a, 0), a.ptr(1), a.long(2));
const sys_readlinkat: SyscallHandler = (proc, a) => readlinkAt(proc, a.int(0), path(proc, a, 1), a.ptr(2), a.long(3));

const sys_getcwd: SyscallHandler = (proc, a) => {
  const bytes = Buffer.from(`${proc.cwdPath()}\0`, 'latin1');
  if (a.long(1) < bytes.length) throw new SyscallError(Errno.ERANGE, 'getcwd buffer');
  proc.mem.write(a.ptr(0), bytes);
  return bytes.length;
};

const X_OK = 1;

function changeDirectory(proc: LibosProcess, hostFd: number): CwdChanged {
  const type = fileType(hostFd);
  const r = type !== S_IFDIR ? -(type < 0 ? -type : Errno.ENOTDIR) : host.faccessat2(hostFd, '', X_OK, AT_EMPTY_PATH);
  if (r < 0) {
    host.close(hostFd);
    throw new SyscallError(-r, 'chdir');
  }
  proc.setCwd(hostFd);
  return { kind: 'cwd', hostFd: check(host.dupCloexec(hostFd), 'chdir'), ...proc.stubCwd() };
}

const sys_chdir: SyscallHandler = (proc, a) =>
  at(proc, AT_FDCWD, path(proc, a, 0), { follow: true }, (loc) => {
    if (loc.kind === 'host') return changeDirectory(proc, openHostDirectory(loc, 'chdir'));
    if (!loc.node) throw new SyscallError(Errno.ENOENT, `chdir ${loc.vpath}`);
    if (loc.node.kind !== 'dir') throw new SyscallError(Errno.ENOTDIR, `chdir ${loc.vpath}`);
    return andThen(openPseudo(proc, loc.node, loc.vpath, O_DIRECTORY), (fd) => changeDirectory(proc, fd));
  });

const sys_fchdir: SyscallHandler = (proc, a) => changeDirectory(proc, proc.hostFdFor(a.int(0)));

/** chroot: the process's root becomes a directory of the tree (root only, as on Linux). */
const sys_chroot: SyscallHandler = (proc, a) =>
  at(proc, AT_FDCWD, path(proc, a, 0), { follow: true }, (loc) => {
    const type = loc.kind === 'host' ? check(atLocation(loc, fileTypeAt), `chroot ${loc.vpath}`) : 0;
    const isDir = loc.kind === 'host' ? type === S_IFDIR : loc.node?.kind === 'dir';
    if (loc.kind === 'pseudo' && !loc.node) throw new SyscallError(Errno.ENOENT, `chroot ${loc.vpath}`);
    if (!isDir) throw new SyscallError(Errno.ENOTDIR, `chroot ${loc.vpath}`);
    if (proc.creds.euid !== 0) throw new SyscallError(Errno.EPERM, 'chroot needs root');
    proc.rootPath = loc.vpath;
    return 0;
  });

function mkdirAt(proc: LibosProcess, dirfd: number, p: string, mode: number) {
  const eff = mode & ~proc.umask & 0o1777;
  return at(proc, dirfd, p, { follow: false }, (loc) => change(loc, 'mkdir', (h) => {
    if (h.name === '.') throw new SyscallError(Errno.EEXIST, `mkdir ${h.vpath}`);
    checkWritable(h, 'mkdir', false);
    if (h.mount.flat) throw new SyscallError(Errno.EPERM, `mkdir ${h.vpath}: a shared-memory mount holds files only`);
    return onLocation(h, 'mkdir', (d, n) => host.mkdirat(d, n, eff));
  }));
}

const sys_mkdir: SyscallHandler = (proc, a) => mkdirAt(proc, AT_FDCWD, path(proc, a, 0), a.uint(1));
const sys_mkdirat: SyscallHandler = (proc, a) => mkdirAt(proc, a.int(0), path(proc, a, 1), a.uint(2));

/** mknod: regular files, FIFOs and sockets (devices are the host's to make, not the app's). */
function mknodAt(proc: LibosProcess, dirfd: number, p: string, mode: number) {
  const type = mode & S_IFMT;
  if (type === S_IFCHR || type === S_IFBLK || type === S_IFDIR) throw new SyscallError(Errno.EPERM, `mknod type 0o${type.toString(8)}`);
  if (type !== 0 && type !== S_IFREG && type !== S_IFIFO && type !== S_IFSOCK) throw new SyscallError(Errno.EINVAL, `mknod type 0o${type.toString(8)}`);
  const eff = (type || S_IFREG) | (mode & ~proc.umask & 0o7777);
  return at(proc, dirfd, p, { follow: false }, (loc) => change(loc, 'mknod', (h) => {
    refuseInEncrypted(h, 'mknod');
    checkWritable(h, 'mknod', false);
    return onLocation(h, 'mknod', (d, n) => host.mknodat(d, n, eff, 0));
  }));
}

const sys_mknod: SyscallHandler = (proc, a) => mknodAt(proc, AT_FDCWD, path(proc, a, 0), a.uint(1));
const sys_mknodat: SyscallHandler = (proc, a) => mknodAt(proc, a.int(0), path(proc, a, 1), a.uint(2));

function unlinkAt(proc: LibosProcess, dirfd: number, p: string, flags: number) {
  if (flags & ~AT_REMOVEDIR) throw new SyscallError(Errno.EINVAL, `unlinkat flags ${flags}`);
  const rmdir = (flags & AT_REMOVEDIR) !== 0;
  return at(proc, dirfd, p, { follow: false, slashKeepsLink: true }, (loc) => change(loc, 'unlink', (h) => {
    // as Linux: "." and ".." are never removed by name, a mount point is busy
    if (h.dots) throw new SyscallError(!rmdir ? Errno.EISDIR : h.dots === '.' ? Errno.EINVAL : Errno.ENOTEMPTY, `remove ${p}`);
    if (h.name === '.') throw new SyscallError(Errno.EBUSY, `remove ${h.vpath}: a mount point`);
    checkWritable(h, 'unlink', true);
    const r = onLocation(h, 'unlink', (d, n) => host.unlinkat(d, n, flags));
    return isEncrypted(h) && !rmdir ? unlinkedEncrypted(proc, h, r) : r;
  }));
}

const sys_unlink: SyscallHandler = (proc, a) => unlinkAt(proc, AT_FDCWD, path(proc, a, 0), 0);
const sys_rmdir: SyscallHandler = (proc, a) => unlinkAt(proc, AT_FDCWD, path(proc, a, 0), AT_REMOVEDIR);
const sys_unlinkat: SyscallHandler = (proc, a) => unlinkAt(proc, a.int(0), path(proc, a, 1), a.int(2));

/** rename and link: both on one host mount, or EXDEV as across Linux mounts. */
function onTwo(
  o: Location, n: Location, what: string, fn: (olddir: number, oldname: string, newdir: number, newname: string) => number,
  inEncrypted: (ho: HostLocation, hn: HostLocation, onHost: () => number) => Awaitable<number> = (_o, _n, onHost) => onHost(),
): Awaitable<number> {
  return change(o, what, (ho) => change(n, what, (hn) => {
    if (ho.mount !== hn.mount) throw new SyscallError(Errno.EXDEV, `${what} ${ho.vpath} ${hn.vpath}: across mounts`);
    if (ho.name === '.' || hn.name === '.') throw new SyscallError(Errno.EBUSY, `${what} ${ho.vpath} ${hn.vpath}`);
    checkWritable(ho, what, true);
    const onHost = () => atLocation(ho, (d1, n1) => atLocation(hn, (d2, n2) => check(fn(d1, n1, d2, n2), `${what} ${ho.vpath} ${hn.vpath}`)));
    return isEncrypted(ho) ? inEncrypted(ho, hn, onHost) : onHost();
  }));
}

function renameAt(proc: LibosProcess, od: number, op: string, nd: number, np: string, flags: number) {
  return at(proc, od, op, { follow: false, slashKeepsLink: true }, (o) => at(proc, nd, np, { follow: false, slashKeepsLink: true }, (n) =>
    onTwo(o, n, 'rename', (d1, n1, d2, n2) => host.renameat2(d1, n1, d2, n2, flags),
      (ho, hn, onHost) => isEncrypted(ho) && isEncrypted(hn) ? renameEncrypted(proc, ho, hn, flags, onHost) : onHost())));
}

const sys_rename: SyscallHandler = (proc, a) => renameAt(proc, AT_FDCWD, path(proc, a, 0), AT_FDCWD, path(proc, a, 1), 0);
const sys_renameat: SyscallHandler = (proc, a) => renameAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), 0);
const sys_renameat2: SyscallHandler = (proc, a) =>
  renameAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), a.uint(4));

function linkAt(proc: LibosProcess, od: number, op: string, nd: number, np: string, flags: number) {
  if (flags & ~(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL, `linkat flags ${flags}`);
  if (op === '' && flags & AT_EMPTY_PATH) return linkObject(proc, proc.hostFdFor(od), nd, np);
  return at(proc, od, op, { follow: (flags & AT_SYMLINK_FOLLOW) !== 0 }, (o) => {
    // /proc/self/fd/N of a file without a name (O_TMPFILE): a name for the object itself
    if (o.kind === 'pseudo' && o.node?.kind === 'symlink' && o.node.openObject && o.follow)
      return andThen(o.node.openObject(proc), (fd) => linkObject(proc, fd, nd, np));
    return at(proc, nd, np, { follow: false }, (n) => onTwo(o, n, 'link', (d1, n1, d2, n2) => host.linkat(d1, n1, d2, n2, 0), (ho) => {
      // a second name would be a second binding of one PF file
      refuseInEncrypted(ho, 'link');
      return 0;
    }));
  });
}

/** A new name for an open file (`hostFd`, a worker fd taken over), on its own mount only. */
function linkObject(proc: LibosProcess, hostFd: number, nd: number, np: string) {
  const release = (r: Awaitable<number>) => {
    if (r instanceof Promise) return r.finally(() => host.close(hostFd));
    host.close(hostFd);
    return r;
  };
  try {
    const vpath = proc.vfs.virtualPathOfHostFd(hostFd)?.replace(/ \(deleted\)$/, '') ?? null;
    return release(at(proc, nd, np, { follow: false }, (n) => change(n, 'link', (hn) => {
      const from = vpath?.startsWith('/') ? proc.vfs.mounts.containing(vpath).mount : null;
      if (from !== hn.mount) throw new SyscallError(Errno.EXDEV, `link to ${hn.vpath}: across mounts`);
      checkWritable(hn, 'link', false);
      return onLocation(hn, 'link', (d, name) => host.linkat(AT_FDCWD, `/proc/self/fd/${hostFd}`, d, name, AT_SYMLINK_FOLLOW));
    })));
  } catch (e) {
    host.close(hostFd);
    throw e;
  }
}

const sys_link: SyscallHandler = (proc, a) => linkAt(proc, AT_FDCWD, path(proc, a, 0), AT_FDCWD, path(proc, a, 1), 0);
const sys_linkat: SyscallHandler = (proc, a) =>
  linkAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), a.int(4));

/** A symlink keeps its target as written: the LibOS's walk interprets it inside the instance. */
function symlinkAt(proc: LibosProcess, target: string, dirfd: number, p: string) {
  return at(proc, dirfd, p, { follow: false }, (loc) => change(loc, 'symlink', (h) => {
    refuseInEncrypted(h, 'symlink');
    checkWritable(h, 'symlink', false);
    return onLocation(h, 'symlink', (d, n) => host.symlinkat(target, d, n));
  }));
}

const sys_symlink: SyscallHandler = (proc, a) => symlinkAt(proc, path(proc, a, 0), AT_FDCWD, path(proc, a, 1));
const sys_symlinkat: SyscallHandler = (proc, a) => symlinkAt(proc, path(proc, a, 0), a.int(1), path(proc, a, 2));

/** A metadata change on an existing file of a host mount. */
function modify(proc: LibosProcess, dirfd: number, p: string, follow: boolean, what: string, fn: (d: number, n: string) => number) {
  return at(proc, dirfd, p, { follow }, (loc) => change(loc, what, (h) => {
    checkWritable(h, what, true);
    return onLocation(h, what, fn);
  }));
}

/**
 * Run `fn` on the very file the walk found: the name is opened without following a symlink,
 * and the call made through /proc/self/fd (which follows to that inode alone), for the calls
 * that take no flag against a final symlink. A symlink the app swapped in since the walk is
 * ELOOP: the host never follows a link of the app's.
 */
function onFileItself(fn: (hostPath: string) => number) {
  return (d: number, n: string): number => {
    const fd = host.openat(d, n, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
    if (fd < 0) return fd;
    try {
      if (fileType(fd) === S_IFLNK) return -Errno.ELOOP;
      return fn(`/proc/self/fd/${fd}`);
    } finally {
      host.close(fd);
    }
  };
}

const sys_chmod: SyscallHandler = (proc, a) =>
  modify(proc, AT_FDCWD, path(proc, a, 0), true, 'chmod', onFileItself((p) => host.fchmodat(AT_FDCWD, p, a.uint(1))));
const sys_fchmodat: SyscallHandler = (proc, a) =>
  modify(proc, a.int(0), path(proc, a, 1), true, 'chmod', onFileItself((p) => host.fchmodat(AT_FDCWD, p, a.uint(2))));

/**
 * A metadata change through the app's fd `appFd` (fchmod, fchown, futimens, attribute ioctls),
 * made on the worker's copy of it: refused as Linux refuses it on a read-only mount (and on
 * what the instance does not own: vfs.metadataChangeRefusal).
 */
function changeThroughFd(proc: LibosProcess, appFd: number, what: string, fn: (fd: number) => number): number {
  const fd = proc.hostFdFor(appFd);
  try {
    const refusal = proc.vfs.metadataChangeRefusal(fd);
    if (refusal) throw new SyscallError(refusal, `${what} on fd ${appFd}`);
    return check(fn(fd), `${what} on fd ${appFd}`);
  } finally {
    host.close(fd);
  }
}

/**
 * The ioctls the seccomp filter sends here (native/stub/seccomp.c, ioctl_trapped; the rest run
 * on the host fd): TIOCSTI, which would type into a terminal the app shares with the world
 * outside, and the attribute setters, which must not change a file of a read-only mount.
 */
export const IOCTLS_TRAPPED = { TIOCSTI: 0x5412, FS_IOC_SETFLAGS: 0x40086602, FS_IOC32_SETFLAGS: 0x40046602, FS_IOC_FSSETXATTR: 0x401c5820 } as const;
const IOCTL_ARG_SIZE: Record<number, number> = {
  [IOCTLS_TRAPPED.FS_IOC_SETFLAGS]: 4, // an int, whatever the name says
  [IOCTLS_TRAPPED.FS_IOC32_SETFLAGS]: 4,
  [IOCTLS_TRAPPED.FS_IOC_FSSETXATTR]: 28, // struct fsxattr
};

const sys_ioctl: SyscallHandler = (proc, a) => {
  const cmd = a.uint(1);
  if (cmd === IOCTLS_TRAPPED.TIOCSTI) {
    host.close(proc.hostFdFor(a.int(0))); // a bad fd is EBADF first, as on Linux
    throw new SyscallError(Errno.EPERM, 'TIOCSTI: it would type into a terminal outside the instance');
  }
  const size = IOCTL_ARG_SIZE[cmd];
  if (size === undefined) throw new SyscallError(Errno.ENOTTY, `ioctl ${cmd.toString(16)}: not one the worker makes`);
  const arg = Buffer.from(proc.mem.read(a.ptr(2), size));
  return changeThroughFd(proc, a.int(0), 'ioctl', (fd) => host.ioctl(fd, cmd, arg));
};

const F_SETLEASE = 1024;
const F_UNLCK = 2;

/**
 * fcntl(F_SETLEASE), the one fcntl the stub sends here (native/stub/trap.c; the rest run on the
 * host fd): a lease holds up every other opener of the file for writing, the host's too, so the
 * instance takes one only on a file it may change (else EACCES, as for a file of another owner);
 * dropping one is always allowed. Made on the worker's copy of the fd (the same open file
 * description), which makes this worker its owner: the app is given it back, as the caller.
 */
const sys_fcntl: SyscallHandler = (proc, a) => {
  if (a.int(1) !== F_SETLEASE) throw new SyscallError(Errno.EINVAL, `fcntl ${a.int(1)}: not one the worker makes`);
  const type = a.int(2);
  const fd = proc.hostFdFor(a.int(0));
  try {
    if (type !== F_UNLCK && proc.vfs.metadataChangeRefusal(fd)) {
      throw new SyscallError(Errno.EACCES, `F_SETLEASE on fd ${a.int(0)}: a file the instance may not change`);
    }
    check(host.setLease(fd, type), `F_SETLEASE on fd ${a.int(0)}`);
    if (type !== F_UNLCK) check(host.setOwner(fd, proc.app.hostPid), `F_SETOWN of fd ${a.int(0)} after its lease`);
    return 0;
  } finally {
    host.close(fd);
  }
};

const sys_fchmod: SyscallHandler = (proc, a) => changeThroughFd(proc, a.int(0), 'fchmod', (fd) => host.fchmod(fd, a.uint(1)));
const sys_fchown: SyscallHandler = (proc, a) => changeThroughFd(proc, a.int(0), 'fchown', (fd) => host.fchown(fd, a.int(1), a.int(2)));

function chownAt(proc: LibosProcess, dirfd: number, p: string, uid: number, gid: number, flags: number) {
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL, `fchownat flags ${flags}`);
  if (p === '' && flags & AT_EMPTY_PATH) return changeThroughFd(proc, dirfd, 'fchownat', (fd) => host.fchownat(fd, '', uid, gid, AT_EMPTY_PATH));
  return modify(proc, dirfd, p, !(flags & AT_SYMLINK_NOFOLLOW), 'chown', (d, n) => host.fchownat(d, n, uid, gid, AT_SYMLINK_NOFOLLOW));
}

const sys_chown: SyscallHandler = (proc, a) => chownAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), a.int(2), 0);
const sys_lchown: SyscallHandler = (proc, a) => chownAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), a.int(2), AT_SYMLINK_NOFOLLOW);
const sys_fchownat: SyscallHandler = (proc, a) => chownAt(proc, a.int(0), path(proc, a, 1), a.int(2), a.int(3), a.int(4));

/** A host path of one verified component below a worker dirfd, for calls that take no dirfd. */
const below = (d: number, n: string) => `/proc/self/fd/${d}/${n}`;

const sys_truncate: SyscallHandler = (proc, a) =>
  at(proc, AT_FDCWD, path(proc, a, 0), { follow: true }, (loc) => change(loc, 'truncate', (h) => {
    if (isEncrypted(h)) return truncateEncrypted(proc, h, a.long(1));
    checkWritable(h, 'truncate', true);
    return onLocation(h, 'truncate', onFileItself((p) => host.truncate(p, a.long(1))));
  }));

const sys_fsync: SyscallHandler = (proc, a) => syncAppFd(proc, a.int(0), false);
const sys_fdatasync: SyscallHandler = (proc, a) => syncAppFd(proc, a.int(0), true);

const sys_umask: SyscallHandler = (proc, a) => {
  const old = proc.umask;
  proc.umask = a.uint(0) & 0o777;
  return old;
};

/** statfs of a path: the host's file system; a pseudo tree's is its scratch stand-in with its magic. */
const PSEUDO_FS_MAGIC = { proc: 0x9fa0, sys: 0x62656572, dev: 0x01021994 } as const;
const sys_statfs: SyscallHandler = (proc, a) =>
  at(proc, AT_FDCWD, path(proc, a, 0), { follow: true }, (loc) => {
    const buf = Buffer.alloc(120);
    if (loc.kind === 'host') onLocation(loc, 'statfs', (d, n) => host.statfs(below(d, n), buf));
    else {
      if (!loc.node) throw new SyscallError(Errno.ENOENT, `statfs ${loc.vpath}`);
      check(host.statfs(`/proc/self/fd/${proc.vfs.scratchFd}`, buf), 'statfs');
      buf.writeBigInt64LE(BigInt(PSEUDO_FS_MAGIC[loc.mount.type]), 0);
    }
    proc.mem.write(a.ptr(1), buf);
    return 0;
  });

const sys_utimensat: SyscallHandler = (proc, a) => {
  const times = a.ptr(2) === 0 ? null : proc.mem.read(a.ptr(2), 32);
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL, `utimensat flags ${flags}`);
  if (a.ptr(1) === 0 || (flags & AT_EMPTY_PATH && path(proc, a, 1) === '')) {
    // utimensat(fd, NULL, ...) is futimens on the fd itself: no flags, and not AT_FDCWD
    if (a.int(0) === AT_FDCWD) throw new SyscallError(Errno.EFAULT, 'utimensat(AT_FDCWD, NULL)');
    if (a.ptr(1) === 0 && flags) throw new SyscallError(Errno.EINVAL, 'futimens with flags');
    return changeThroughFd(proc, a.int(0), 'futimens', (fd) => host.utimensat(fd, null, times, 0));
  }
  return modify(proc, a.int(0), path(proc, a, 1), !(flags & AT_SYMLINK_NOFOLLOW), 'utimensat', (d, n) =>
    host.utimensat(d, n, times, AT_SYMLINK_NOFOLLOW));
};

/** futimesat(dirfd, path, struct timeval[2]): utimensat with microseconds. */
const sys_futimesat: SyscallHandler = (proc, a) => {
  let times: Buffer | null = null;
  if (a.ptr(2) !== 0) {
    const tv = proc.mem.read(a.ptr(2), 32);
    times = Buffer.alloc(32);
    for (const i of [0, 1]) {
      const usec = tv.readBigInt64LE(16 * i + 8);
      if (usec < 0n || usec >= 1_000_000n) throw new SyscallError(Errno.EINVAL, 'futimesat usec');
      times.writeBigInt64LE(tv.readBigInt64LE(16 * i), 16 * i);
      times.writeBigInt64LE(usec * 1000n, 16 * i + 8);
    }
  }
  return modify(proc, a.int(0), path(proc, a, 1), true, 'futimesat', (d, n) => host.utimensat(d, n, times, AT_SYMLINK_NOFOLLOW));
};

const XATTR_SIZE_MAX = 65536;
const XATTR_NAME_MAX = 255;

/** An xattr name: empty or longer than XATTR_NAME_MAX is ERANGE, as Linux says. */
function xattrName(proc: LibosProcess, a: SyscallArgs): string {
  let name: string;
  try {
    name = proc.mem.readCString(a.ptr(1), XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === Errno.ENAMETOOLONG) throw new SyscallError(Errno.ERANGE, 'xattr name length');
    throw e;
  }
  if (name.length === 0) throw new SyscallError(Errno.ERANGE, 'empty xattr name');
  return name;
}

/**
 * An xattr read into the app's buffer a[bufArg] of a[bufArg + 1] bytes: `read` fills a buffer of
 * that size (size 0 asks for the needed size, as Linux) and gives the bytes it holds.
 */
function xattrInto(proc: LibosProcess, a: SyscallArgs, bufArg: number, what: string, read: (buf: Buffer) => Awaitable<number>): Awaitable<number> {
  const size = Math.min(a.long(bufArg + 1), XATTR_SIZE_MAX);
  if (size < 0) throw new SyscallError(Errno.EINVAL, `${what} size`);
  const buf = Buffer.alloc(size);
  return andThen(read(buf), (n) => {
    if (size > 0) proc.mem.write(a.ptr(bufArg), buf.subarray(0, n));
    return n;
  });
}

/** A path-based xattr read. */
function xattrRead(proc: LibosProcess, a: SyscallArgs, bufArg: number, follow: boolean, what: string,
  fn: (path: string, buf: Buffer) => number) {
  return xattrInto(proc, a, bufArg, what, (buf) => at(proc, AT_FDCWD, path(proc, a, 0), { follow }, (loc) => {
    if (loc.kind === 'pseudo') throw new SyscallError(loc.node ? Errno.ENOTSUP : Errno.ENOENT, `${what} ${loc.vpath}`);
    return onLocation(loc, what, (d, name) => fn(below(d, name), buf));
  }));
}

// the walk has followed (or not) the last component: the host must not follow it again
const sys_getxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 2, true, 'getxattr', (p, buf) => host.getxattr(p, xattrName(proc, a), buf, false));
const sys_lgetxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 2, false, 'lgetxattr', (p, buf) => host.getxattr(p, xattrName(proc, a), buf, false));
const sys_listxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 1, true, 'listxattr', (p, buf) => host.listxattr(p, buf, false));
const sys_llistxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 1, false, 'llistxattr', (p, buf) => host.listxattr(p, buf, false));

/**
 * fgetxattr, flistxattr: the worker's, on its copy of the app's fd. The kernel judges a user.*
 * attribute by the caller's host identity, which in a root instance is not the app process's
 * (GTS_HELLO_APP_IDENTITY): a file of mode 0600 is the instance's root's to read, not that
 * identity's.
 */
function fdXattrRead(proc: LibosProcess, a: SyscallArgs, bufArg: number, what: string, fn: (fd: number, buf: Buffer) => number): Awaitable<number> {
  const fd = proc.hostFdFor(a.int(0)); // EBADF first, as on Linux
  try {
    return xattrInto(proc, a, bufArg, what, (buf) => check(fn(fd, buf), `${what} on fd ${a.int(0)}`));
  } finally {
    host.close(fd);
  }
}

const sys_fgetxattr: SyscallHandler = (proc, a) =>
  fdXattrRead(proc, a, 2, 'fgetxattr', (fd, buf) => host.fgetxattr(fd, xattrName(proc, a), buf));
const sys_flistxattr: SyscallHandler = (proc, a) =>
  fdXattrRead(proc, a, 1, 'flistxattr', (fd, buf) => host.flistxattr(fd, buf));

const IN_DONT_FOLLOW = 0x02000000;

/**
 * inotify_add_watch: the path walked as any other; the watch added by the worker to the app's
 * own inotify instance (a copy of its fd: the same instance), on the host file the walk found.
 * Events then name entries as the host does: by the names the instance sees too.
 */
const sys_inotify_add_watch: SyscallHandler = (proc, a) => {
  const appFd = a.int(0);
  if (appFd < 0 || appFd >= proc.reservedFdBase) throw new SyscallError(Errno.EBADF, `inotify_add_watch fd ${appFd}`);
  const mask = a.uint(2);
  const p = path(proc, a, 1);
  const fd = check(proc.app.takeFd(appFd), 'inotify_add_watch fd');
  const close = () => host.close(fd);
  let r: Awaitable<number>;
  try {
    r = at(proc, AT_FDCWD, p, { follow: !(mask & IN_DONT_FOLLOW) }, (loc) => {
      if (loc.kind === 'pseudo') throw new SyscallError(loc.node ? Errno.EACCES : Errno.ENOENT, `inotify_add_watch ${loc.vpath}`);
      return onLocation(loc, 'inotify_add_watch', (d, n) => host.inotifyAddWatch(fd, below(d, n), mask));
    });
  } catch (e) {
    close();
    throw e;
  }
  if (r instanceof Promise) return r.finally(close);
  close();
  return r;
};

export const fsHandlers = {
  inotify_add_watch: sys_inotify_add_watch,
  open: sys_open, openat: sys_openat, creat: sys_creat, openat2: sys_openat2,
  stat: sys_stat, lstat: sys_lstat, newfstatat: sys_newfstatat, statx: sys_statx,
  access: sys_access, faccessat: sys_faccessat, faccessat2: sys_faccessat2,
  readlink: sys_readlink, readlinkat: sys_readlinkat,
  getcwd: sys_getcwd, chdir: sys_chdir, fchdir: sys_fchdir, chroot: sys_chroot,
  mkdir: sys_mkdir, mkdirat: sys_mkdirat, mknod: sys_mknod, mknodat: sys_mknodat,
  unlink: sys_unlink, rmdir: sys_rmdir, unlinkat: sys_unlinkat,
  rename: sys_rename, renameat: sys_renameat, renameat2: sys_renameat2,
  link: sys_link, linkat: sys_linkat, symlink: sys_symlink, symlinkat: sys_symlinkat,
  fgetxattr: sys_fgetxattr, flistxattr: sys_flistxattr,
  chmod: sys_chmod, fchmodat: sys_fchmodat, fchmod: sys_fchmod, fcntl: sys_fcntl, fchown: sys_fchown, ioctl: sys_ioctl, chown: sys_chown, lchown: sys_lchown, fchownat: sys_fchownat,
  truncate: sys_truncate, fsync: sys_fsync, fdatasync: sys_fdatasync, umask: sys_umask, statfs: sys_statfs, utimensat: sys_utimensat, futimesat: sys_futimesat,
  getxattr: sys_getxattr, lgetxattr: sys_lgetxattr, listxattr: sys_listxattr, llistxattr: sys_llistxattr,
} satisfies Record<string, SyscallHandler>;
