// File-system system calls: paths, metadata, directories (the `sys_file.go` of this LibOS).
import { fileType, host, S_IFDIR } from '../../pal/host.js';
import { check, Errno, SyscallError } from '../errno.js';
import { PATH_MAX } from '../memory.js';
import {
  AT_EMPTY_PATH, AT_FDCWD, AT_REMOVEDIR, AT_SYMLINK_NOFOLLOW, pathOnly, withHostPath, type HostPath,
} from '../fs/path.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { NewFd, SyscallHandler } from './types.js';

export const O_CREAT = 0o100;
export const O_DIRECTORY = 0o200000;
export const O_CLOEXEC = 0o2000000;
export const O_PATH = 0o10000000;
const O_TMPFILE_BIT = 0o20000000;
const O_TRUNC_CREAT_WRONLY = 0o1000 | O_CREAT | 0o1;

const STAT_SIZE = 144;
const STATX_SIZE = 256;

function path(proc: LibosProcess, a: SyscallArgs, i: number): string {
  return proc.mem.readCString(a.ptr(i));
}

/** Run a host call on the resolved path and return its (checked) result. */
function onPath(
  proc: LibosProcess, dirfd: number, p: string, what: string, fn: (hp: HostPath) => number, flags = 0,
): number {
  return withHostPath(proc, dirfd, p, (hp) => check(fn(hp), `${what} ${p}`), flags);
}

function openAt(proc: LibosProcess, dirfd: number, p: string, flags: number, mode: number): NewFd {
  const creates = (flags & O_CREAT) !== 0 || (flags & O_TMPFILE_BIT) !== 0;
  const effMode = creates ? mode & ~proc.umask & 0o7777 : 0;
  const hostFd = onPath(proc, dirfd, p, 'open', (hp) =>
    host.openat(hp.dirfd, hp.path, flags | O_CLOEXEC, effMode),
  );
  return { kind: 'fd', hostFd, cloexec: (flags & O_CLOEXEC) !== 0 };
}

const sys_open: SyscallHandler = (proc, a) => openAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), a.uint(2));
const sys_openat: SyscallHandler = (proc, a) =>
  openAt(proc, a.int(0), path(proc, a, 1), a.int(2), a.uint(3));
const sys_creat: SyscallHandler = (proc, a) =>
  openAt(proc, AT_FDCWD, path(proc, a, 0), O_TRUNC_CREAT_WRONLY, a.uint(1));

function statAt(proc: LibosProcess, dirfd: number, p: string, flags: number, out: number): number {
  const buf = Buffer.alloc(STAT_SIZE);
  onPath(proc, dirfd, p, 'stat', (hp) => host.fstatat(hp.dirfd, hp.path, buf, flags), flags);
  proc.mem.write(out, buf);
  return 0;
}

const sys_stat: SyscallHandler = (proc, a) => statAt(proc, AT_FDCWD, path(proc, a, 0), 0, a.ptr(1));
const sys_lstat: SyscallHandler = (proc, a) =>
  statAt(proc, AT_FDCWD, path(proc, a, 0), AT_SYMLINK_NOFOLLOW, a.ptr(1));
const sys_newfstatat: SyscallHandler = (proc, a) =>
  statAt(proc, a.int(0), path(proc, a, 1), a.int(3), a.ptr(2));

const sys_statx: SyscallHandler = (proc, a) => {
  const buf = Buffer.alloc(STATX_SIZE);
  const flags = a.int(2);
  const p = path(proc, a, 1);
  onPath(proc, a.int(0), p, 'statx', (hp) => host.statx(hp.dirfd, hp.path, flags, a.uint(3), buf), flags);
  proc.mem.write(a.ptr(4), buf);
  return 0;
};

function accessAt(proc: LibosProcess, dirfd: number, p: string, mode: number, flags: number): number {
  if (mode & ~7) throw new SyscallError(Errno.EINVAL, `access mode ${mode}`);
  return onPath(proc, dirfd, p, 'access', (hp) => host.faccessat2(hp.dirfd, hp.path, mode, flags), flags);
}

const sys_access: SyscallHandler = (proc, a) => accessAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), 0);
const sys_faccessat: SyscallHandler = (proc, a) => accessAt(proc, a.int(0), path(proc, a, 1), a.int(2), 0);
const sys_faccessat2: SyscallHandler = (proc, a) =>
  accessAt(proc, a.int(0), path(proc, a, 1), a.int(2), a.int(3));

function readlinkAt(proc: LibosProcess, dirfd: number, p: string, out: number, size: number): number {
  if (size <= 0) throw new SyscallError(Errno.EINVAL, 'readlink buffer size');
  const buf = Buffer.alloc(Math.min(size, PATH_MAX));
  const n = onPath(proc, dirfd, p, 'readlink', (hp) => host.readlinkat(hp.dirfd, hp.path, buf), AT_EMPTY_PATH);
  proc.mem.write(out, buf.subarray(0, n));
  return n;
}

const sys_readlink: SyscallHandler = (proc, a) =>
  readlinkAt(proc, AT_FDCWD, path(proc, a, 0), a.ptr(1), a.long(2));
const sys_readlinkat: SyscallHandler = (proc, a) =>
  readlinkAt(proc, a.int(0), path(proc, a, 1), a.ptr(2), a.long(3));

const sys_getcwd: SyscallHandler = (proc, a) => {
  const bytes = Buffer.from(`${proc.cwdPath()}\0`, 'latin1');
  if (a.long(1) < bytes.length) throw new SyscallError(Errno.ERANGE, 'getcwd buffer');
  proc.mem.write(a.ptr(0), bytes);
  return bytes.length;
};

const X_OK = 1;

function changeDirectory(proc: LibosProcess, hostFd: number): number {
  const r = host.faccessat2(hostFd, '', X_OK, AT_EMPTY_PATH);
  if (r < 0) {
    host.close(hostFd);
    throw new SyscallError(-r, 'chdir: search permission');
  }
  proc.setCwd(hostFd);
  return 0;
}

const sys_chdir: SyscallHandler = (proc, a) => {
  const p = path(proc, a, 0);
  const fd = onPath(proc, AT_FDCWD, p, 'chdir', (hp) =>
    host.openat(hp.dirfd, hp.path, O_PATH | O_DIRECTORY | O_CLOEXEC, 0),
  );
  return changeDirectory(proc, fd);
};

const sys_fchdir: SyscallHandler = (proc, a) => {
  const fd = proc.hostFdFor(a.int(0));
  const type = fileType(fd);
  if (type !== S_IFDIR) {
    host.close(fd);
    throw new SyscallError(type < 0 ? -type : Errno.ENOTDIR, 'fchdir');
  }
  return changeDirectory(proc, fd);
};

function mkdirAt(proc: LibosProcess, dirfd: number, p: string, mode: number): number {
  const eff = mode & ~proc.umask & 0o1777;
  return onPath(proc, dirfd, p, 'mkdir', (hp) => host.mkdirat(hp.dirfd, hp.path, eff));
}

const sys_mkdir: SyscallHandler = (proc, a) => mkdirAt(proc, AT_FDCWD, path(proc, a, 0), a.uint(1));
const sys_mkdirat: SyscallHandler = (proc, a) => mkdirAt(proc, a.int(0), path(proc, a, 1), a.uint(2));

function unlinkAt(proc: LibosProcess, dirfd: number, p: string, flags: number): number {
  if (flags & ~AT_REMOVEDIR) throw new SyscallError(Errno.EINVAL, `unlinkat flags ${flags}`);
  return onPath(proc, dirfd, p, 'unlink', (hp) => host.unlinkat(hp.dirfd, hp.path, flags));
}

const sys_unlink: SyscallHandler = (proc, a) => unlinkAt(proc, AT_FDCWD, path(proc, a, 0), 0);
const sys_rmdir: SyscallHandler = (proc, a) => unlinkAt(proc, AT_FDCWD, path(proc, a, 0), AT_REMOVEDIR);
const sys_unlinkat: SyscallHandler = (proc, a) => unlinkAt(proc, a.int(0), path(proc, a, 1), a.int(2));

/** Two-path calls (rename, link): resolve both, then run the host call. */
function twoPaths(
  proc: LibosProcess, olddir: number, oldp: string, newdir: number, newp: string, what: string,
  fn: (o: HostPath, n: HostPath) => number, oldFlags = 0,
): number {
  return withHostPath(proc, olddir, oldp, (o) =>
    withHostPath(proc, newdir, newp, (n) => check(fn(o, n), `${what} ${oldp} ${newp}`)), oldFlags);
}

function renameAt(proc: LibosProcess, od: number, op: string, nd: number, np: string, flags: number): number {
  return twoPaths(proc, od, op, nd, np, 'rename', (o, n) => host.renameat2(o.dirfd, o.path, n.dirfd, n.path, flags));
}

const sys_rename: SyscallHandler = (proc, a) =>
  renameAt(proc, AT_FDCWD, path(proc, a, 0), AT_FDCWD, path(proc, a, 1), 0);
const sys_renameat: SyscallHandler = (proc, a) =>
  renameAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), 0);
const sys_renameat2: SyscallHandler = (proc, a) =>
  renameAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), a.uint(4));

function linkAt(proc: LibosProcess, od: number, op: string, nd: number, np: string, flags: number): number {
  return twoPaths(proc, od, op, nd, np, 'link', (o, n) => host.linkat(o.dirfd, o.path, n.dirfd, n.path, flags), flags);
}

const sys_link: SyscallHandler = (proc, a) => linkAt(proc, AT_FDCWD, path(proc, a, 0), AT_FDCWD, path(proc, a, 1), 0);
const sys_linkat: SyscallHandler = (proc, a) =>
  linkAt(proc, a.int(0), path(proc, a, 1), a.int(2), path(proc, a, 3), a.int(4));

function symlinkAt(proc: LibosProcess, target: string, dirfd: number, p: string): number {
  return onPath(proc, dirfd, p, 'symlink', (hp) => host.symlinkat(target, hp.dirfd, hp.path));
}

const sys_symlink: SyscallHandler = (proc, a) => symlinkAt(proc, path(proc, a, 0), AT_FDCWD, path(proc, a, 1));
const sys_symlinkat: SyscallHandler = (proc, a) => symlinkAt(proc, path(proc, a, 0), a.int(1), path(proc, a, 2));

const sys_chmod: SyscallHandler = (proc, a) =>
  onPath(proc, AT_FDCWD, path(proc, a, 0), 'chmod', (hp) => host.fchmodat(hp.dirfd, hp.path, a.uint(1)));
const sys_fchmodat: SyscallHandler = (proc, a) =>
  onPath(proc, a.int(0), path(proc, a, 1), 'chmod', (hp) => host.fchmodat(hp.dirfd, hp.path, a.uint(2)));

function chownAt(proc: LibosProcess, dirfd: number, p: string, uid: number, gid: number, flags: number): number {
  return onPath(proc, dirfd, p, 'chown', (hp) => host.fchownat(hp.dirfd, hp.path, uid, gid, flags), flags);
}

const sys_chown: SyscallHandler = (proc, a) => chownAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), a.int(2), 0);
const sys_lchown: SyscallHandler = (proc, a) =>
  chownAt(proc, AT_FDCWD, path(proc, a, 0), a.int(1), a.int(2), AT_SYMLINK_NOFOLLOW);
const sys_fchownat: SyscallHandler = (proc, a) =>
  chownAt(proc, a.int(0), path(proc, a, 1), a.int(2), a.int(3), a.int(4));

const sys_truncate: SyscallHandler = (proc, a) =>
  onPath(proc, AT_FDCWD, path(proc, a, 0), 'truncate', (hp) =>
    host.truncate(pathOnly(hp), a.long(1)));

const sys_umask: SyscallHandler = (proc, a) => {
  const old = proc.umask;
  proc.umask = a.uint(0) & 0o777;
  return old;
};

const sys_statfs: SyscallHandler = (proc, a) => {
  const buf = Buffer.alloc(120);
  onPath(proc, AT_FDCWD, path(proc, a, 0), 'statfs', (hp) =>
    host.statfs(pathOnly(hp), buf));
  proc.mem.write(a.ptr(1), buf);
  return 0;
};

const sys_utimensat: SyscallHandler = (proc, a) => {
  const times = a.ptr(2) === 0 ? null : proc.mem.read(a.ptr(2), 32);
  const flags = a.int(3);
  if (flags & ~(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH)) throw new SyscallError(Errno.EINVAL, `utimensat flags ${flags}`);
  if (a.ptr(1) === 0) {
    // utimensat(fd, NULL, ...) is futimens on the fd itself: no flags, and not AT_FDCWD
    if (a.int(0) === AT_FDCWD) throw new SyscallError(Errno.EFAULT, 'utimensat(AT_FDCWD, NULL)');
    if (flags) throw new SyscallError(Errno.EINVAL, 'futimens with flags');
    const fd = proc.hostFdFor(a.int(0));
    try {
      return check(host.utimensat(fd, null, times, 0), 'futimens');
    } finally {
      host.close(fd);
    }
  }
  return onPath(proc, a.int(0), path(proc, a, 1), 'utimensat', (hp) =>
    host.utimensat(hp.dirfd, hp.path, times, flags), flags);
};

const XATTR_SIZE_MAX = 65536;

/** A path-based xattr read: size 0 asks for the needed size, as Linux. */
function xattrRead(proc: LibosProcess, a: SyscallArgs, bufArg: number, what: string,
  fn: (path: string, buf: Buffer) => number): number {
  const size = Math.min(a.long(bufArg + 1), XATTR_SIZE_MAX);
  if (size < 0) throw new SyscallError(Errno.EINVAL, `${what} size`);
  const buf = Buffer.alloc(size);
  const n = onPath(proc, AT_FDCWD, path(proc, a, 0), what, (hp) => fn(pathOnly(hp), buf));
  if (size > 0) proc.mem.write(a.ptr(bufArg), buf.subarray(0, n));
  return n;
}

const XATTR_NAME_MAX = 255;
/** An xattr name: empty or longer than XATTR_NAME_MAX is ERANGE, as Linux says. */
const xattrName = (proc: LibosProcess, a: SyscallArgs) => {
  let name: string;
  try {
    name = proc.mem.readCString(a.ptr(1), XATTR_NAME_MAX + 1);
  } catch (e) {
    if (e instanceof SyscallError && e.errno === Errno.ENAMETOOLONG) throw new SyscallError(Errno.ERANGE, 'xattr name length');
    throw e;
  }
  if (name.length === 0) throw new SyscallError(Errno.ERANGE, 'empty xattr name');
  return name;
};
const sys_getxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 2, 'getxattr', (p, buf) => host.getxattr(p, xattrName(proc, a), buf, true));
const sys_lgetxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 2, 'lgetxattr', (p, buf) => host.getxattr(p, xattrName(proc, a), buf, false));
const sys_listxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 1, 'listxattr', (p, buf) => host.listxattr(p, buf, true));
const sys_llistxattr: SyscallHandler = (proc, a) =>
  xattrRead(proc, a, 1, 'llistxattr', (p, buf) => host.listxattr(p, buf, false));

export const fsHandlers = {
  open: sys_open, openat: sys_openat, creat: sys_creat,
  stat: sys_stat, lstat: sys_lstat, newfstatat: sys_newfstatat, statx: sys_statx,
  access: sys_access, faccessat: sys_faccessat, faccessat2: sys_faccessat2,
  readlink: sys_readlink, readlinkat: sys_readlinkat,
  getcwd: sys_getcwd, chdir: sys_chdir, fchdir: sys_fchdir,
  mkdir: sys_mkdir, mkdirat: sys_mkdirat, unlink: sys_unlink, rmdir: sys_rmdir, unlinkat: sys_unlinkat,
  rename: sys_rename, renameat: sys_renameat, renameat2: sys_renameat2,
  link: sys_link, linkat: sys_linkat, symlink: sys_symlink, symlinkat: sys_symlinkat,
  chmod: sys_chmod, fchmodat: sys_fchmodat, chown: sys_chown, lchown: sys_lchown, fchownat: sys_fchownat,
  truncate: sys_truncate, umask: sys_umask, statfs: sys_statfs, utimensat: sys_utimensat,
  getxattr: sys_getxattr, lgetxattr: sys_lgetxattr, listxattr: sys_listxattr, llistxattr: sys_llistxattr,
} satisfies Record<string, SyscallHandler>;
