// Socket system calls the worker decides (the `sys_socket.go` of this LibOS). The stub makes
// every socket call on the app's host sockets itself (native/stub/net.c); what it brings here
// is what names something in the instance:
//   - a UNIX socket path, resolved by the VFS walk like every other path (mounts, symlinks,
//     "..", the process's root): bind is made here, on the app's socket (the app process may
//     make no file itself: its Landlock domain only reads), connect (and a send to a path)
//     gets the socket file itself, which the stub reaches through /proc/self/fd;
//   - a UNIX address the host reported that a worker bound (in a directory the leader holds),
//     made an instance path again;
//   - credentials (SCM_CREDENTIALS, SO_PEERCRED): host pids and ids to the instance's, and back.
import { fileType, host } from '../../pal/host.js';
import { AT_EMPTY_PATH, AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, S_IFSOCK } from '../../pal/linux-abi.js';
import { APP_HOST_ID, UCRED_PEER, UCRED_SENT, UCRED_TO_HOST } from '../../pal/channel-abi.js';
import { Errno, errnoName, SyscallError } from '../errno.js';
import { atLocation, checkWritable } from '../fs/host-fs.js';
import { openMountDirectory } from '../fs/dentry-cache.js';
import { andThen } from '../fs/ops.js';
import { resolve, type HostLocation } from '../fs/walk.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { SocketTarget, SyscallHandler } from './types.js';

const AF_UNIX = 1;
/** offsetof(struct sockaddr_un, sun_path), sizeof(struct sockaddr_un) */
const SUN_PATH = 2;
const SOCKADDR_UN = 110;

/** The path of the UNIX address at a[1] (a[2] bytes: the stub's copy of the app's): up to its first NUL. */
function unixPath(proc: LibosProcess, a: SyscallArgs): string {
  const len = a.int(2);
  if (len <= SUN_PATH || len > SOCKADDR_UN) throw new SyscallError(Errno.EINVAL, `UNIX address of ${len} bytes`);
  const addr = proc.mem.read(a.ptr(1), len);
  const bytes = addr.subarray(SUN_PATH);
  const end = bytes.indexOf(0);
  const path = bytes.toString('latin1', 0, end < 0 ? bytes.length : end);
  // abstract names are the stub's to prefix; anything else is no path
  if (addr.readUInt16LE(0) !== AF_UNIX || path === '') throw new SyscallError(Errno.EINVAL, 'not a UNIX socket path');
  return path;
}

/**
 * A UNIX address of a path: the family, the path and, as the kernel reports one, its NUL (one
 * past sizeof(struct sockaddr_un) for a path of 108 bytes); without it, for the host to bind.
 */
function unixAddress(path: string, nul = true): Buffer {
  const out = Buffer.alloc(SUN_PATH + path.length + (nul ? 1 : 0));
  out.writeUInt16LE(AF_UNIX, 0);
  out.write(path, SUN_PATH, 'latin1');
  return out;
}

/**
 * Bind the app's socket `appFd` to the socket file at `loc` (`spelling` is the app's path), as
 * the app would (under its umask), in the directory the walk opened -- never through a path the
 * host would resolve again, where a symlink swapped in meanwhile would place the socket file
 * anywhere on the host. The host address is that directory's path the leader holds for every
 * process (/proc/<leader>/fd/<n>: the mount's root, or this directory), which the workers make
 * the instance path again (appUnixAddress); or, for a name in the working directory (as the app
 * spelled it: Linux reports the spelling) or one too long for that, the name, bound from the
 * directory.
 * Returns bind's result.
 */
async function bindAppSocket(proc: LibosProcess, appFd: number, spelling: string, loc: HostLocation): Promise<number> {
  const dirfd = loc.dirRel === '' ? loc.mount.rootFd : openMountDirectory(loc.mount.rootFd, loc.dirRel, loc.vpath);
  let sock = -1;
  try {
    // a name in the working directory ("x.sock", "./x.sock") passes no directory on the way
    const inCwd = /^(\.\/+)*[^/]+$/.test(spelling);
    const dir = inCwd ? '' : dirfd === loc.mount.rootFd ? loc.mount.socketRoot : await proc.instance.socketDirectory(proc, dirfd);
    const held = `${dir}/${loc.name}`;
    sock = proc.hostFdFor(appFd);
    const r = !inCwd && held.length <= SOCKADDR_UN - SUN_PATH
      ? bindAs(proc, sock, held)
      : inDirectory(dirfd, () => bindAs(proc, sock, inCwd ? spelling : loc.name));
    if (r === 0 && proc.appHostIdentity) giveToAppIdentity(proc, dirfd, loc);
    return r;
  } finally {
    if (sock >= 0) host.close(sock);
    if (dirfd !== loc.mount.rootFd) host.close(dirfd);
  }
}

/**
 * The socket file the worker bound for a process of host identity APP_HOST_ID (a root
 * instance's), made that identity's: whoever connects to a socket file needs write permission
 * on it, which host root has natively and that identity has only as its owner. Its stats show
 * it as root's (showAppHostIdAsRoot), as natively.
 */
function giveToAppIdentity(proc: LibosProcess, dirfd: number, loc: HostLocation): void {
  const fd = host.openat(dirfd, loc.name, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0);
  // another process of the instance may have renamed something else there meanwhile
  const isSocket = fd >= 0 && fileType(fd) === S_IFSOCK;
  const r = fd < 0 ? fd : isSocket ? host.fchownat(fd, '', APP_HOST_ID, APP_HOST_ID, AT_EMPTY_PATH) : 0;
  if (fd >= 0) host.close(fd);
  if (r < 0 || !isSocket) {
    proc.log.error(`bind ${loc.vpath}: the socket file could not be given to the app processes' host identity (${r < 0 ? errnoName(-r) : 'no longer a socket'}): they cannot connect to it`);
  }
}

function bindAs(proc: LibosProcess, sock: number, path: string): number {
  const umask = host.umask(proc.umask);
  try {
    return host.bind(sock, unixAddress(path, false));
  } finally {
    host.umask(umask);
  }
}

/** fn's result, run with the worker's working directory `dirfd` (a host call with a relative path). */
function inDirectory(dirfd: number, fn: () => number): number {
  const home = host.openat(AT_FDCWD, '.', O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (home < 0) return home;
  try {
    const r = host.fchdir(dirfd);
    return r < 0 ? r : fn();
  } finally {
    host.fchdir(home);
    host.close(home);
  }
}

const AF_INET = 2;
const AF_INET6 = 10;

/**
 * bind of an IP socket to a port below 1024, which the app process may not make (it has no
 * CAP_NET_BIND_SERVICE; the stub tried first: EACCES): made here for the instance's root, as
 * Linux lets root.
 */
function bindPrivilegedPort(proc: LibosProcess, a: SyscallArgs): number {
  if (proc.creds.euid !== 0) return -Errno.EACCES;
  const sock = proc.hostFdFor(a.int(0));
  try {
    return host.bind(sock, proc.mem.read(a.ptr(1), a.int(2)));
  } finally {
    host.close(sock);
  }
}

/** bind to a UNIX path: made here, in the directory the walk found (bindAppSocket); or to a privileged port. */
const sys_bind: SyscallHandler = (proc, a) => {
  const len = a.int(2);
  const family = len >= 2 && len <= 128 ? proc.mem.read(a.ptr(1), 2).readUInt16LE(0) : AF_UNIX;
  if (family === AF_INET || family === AF_INET6) return bindPrivilegedPort(proc, a);
  const spelling = unixPath(proc, a);
  return andThen(resolve(proc, AT_FDCWD, spelling, { follow: false }), async (loc): Promise<number> => {
    if (loc.kind === 'pseudo') throw new SyscallError(loc.node ? Errno.EADDRINUSE : Errno.EACCES, `bind ${loc.vpath}`);
    try {
      checkWritable(loc, 'bind', false);
    } catch (e) {
      // as Linux: a name that is there is in use, whatever the mount
      if (e instanceof SyscallError && e.errno === Errno.EEXIST) throw new SyscallError(Errno.EADDRINUSE, `bind ${loc.vpath}`);
      throw e;
    }
    return bindAppSocket(proc, a.int(0), spelling, loc);
  });
};

/**
 * connect (or a send) to a UNIX path: the socket file the walk finds, as an O_PATH fd the stub
 * connects through. As Linux: nothing there is ENOENT, something that is no socket ECONNREFUSED.
 */
const sys_connect: SyscallHandler = (proc, a) =>
  andThen(resolve(proc, AT_FDCWD, unixPath(proc, a), { follow: true }), (loc): SocketTarget => {
    if (loc.kind === 'pseudo') throw new SyscallError(loc.node ? Errno.ECONNREFUSED : Errno.ENOENT, `connect ${loc.vpath}`);
    const fd = atLocation(loc, (d, n) => host.openat(d, n, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0));
    if (fd < 0) throw new SyscallError(-fd, `connect ${loc.vpath}`);
    if (fileType(fd) !== S_IFSOCK) {
      host.close(fd);
      throw new SyscallError(Errno.ECONNREFUSED, `connect ${loc.vpath}: not a socket`);
    }
    return { kind: 'socket-target', hostFd: fd };
  });

const SOL_SOCKET = 1;
const SCM_RIGHTS = 1;
const CMSG_HEADER = 16;
const UIO_MAXIOV = 1024;
/** what a worker sends at once for an app (the kernel's limit on a datagram is about this) */
const MESSAGE_MAX = 1 << 20;

/**
 * sendmsg of a message with credentials the app process may not give, being unprivileged (the
 * stub tried first: EPERM), as Linux lets root give another process's pid, uid or gid. The
 * stub brings its copy of the msghdr (a[1]): no address, the control messages already the
 * host's. The worker sends it on its own copy of the socket, its fds passed as its copies,
 * without waiting. Only for the instance's root: anyone else gets the kernel's EPERM.
 */
const sys_sendmsg: SyscallHandler = (proc, a) => {
  if (proc.creds.euid !== 0) return -Errno.EPERM;
  const hdr = proc.mem.read(a.ptr(1), 56);
  const [iov, iovlen, control, controllen] = [16, 24, 32, 40].map((at) => Number(hdr.readBigUInt64LE(at))) as [number, number, number, number];
  if (hdr.readBigUInt64LE(0) !== 0n || iovlen > UIO_MAXIOV || controllen > 16384) return -Errno.EINVAL;
  const vec = proc.mem.read(iov, 16 * iovlen);
  const parts: Buffer[] = [];
  let total = 0;
  for (let i = 0; i < iovlen; i++) {
    const len = Number(vec.readBigUInt64LE(16 * i + 8));
    if ((total += len) > MESSAGE_MAX) return -Errno.EMSGSIZE;
    parts.push(proc.mem.read(Number(vec.readBigUInt64LE(16 * i)), len));
  }
  const cmsgs = proc.mem.read(control, controllen);
  const ours: number[] = [];
  try {
    for (let at = 0; at + CMSG_HEADER <= cmsgs.length;) {
      const len = Number(cmsgs.readBigUInt64LE(at));
      if (len < CMSG_HEADER || len > cmsgs.length - at) break;
      if (cmsgs.readInt32LE(at + 8) === SOL_SOCKET && cmsgs.readInt32LE(at + 12) === SCM_RIGHTS) {
        for (let f = at + CMSG_HEADER; f + 4 <= at + len; f += 4) {
          const fd = proc.hostFdFor(cmsgs.readInt32LE(f));
          ours.push(fd);
          cmsgs.writeInt32LE(fd, f);
        }
      }
      at += (len + 7) & ~7;
    }
    const sock = proc.hostFdFor(a.int(0));
    ours.push(sock);
    return host.sendMessage(sock, Buffer.concat(parts), cmsgs, a.int(2));
  } finally {
    for (const fd of ours) host.close(fd);
  }
};

export const netHandlers = { bind: sys_bind, connect: sys_connect, sendmsg: sys_sendmsg } satisfies Record<string, SyscallHandler>;

/**
 * A UNIX address the host reported (`addr`, a struct sockaddr_un) as the app sees it: one a
 * worker bound (below a mount's socketRoot, or in a directory the leader holds) is the instance
 * path (below the process's root); anything else is as it is.
 */
export function appUnixAddress(proc: LibosProcess, addr: Buffer): Buffer {
  if (addr.length <= SUN_PATH || addr.readUInt16LE(0) !== AF_UNIX) return addr;
  const bytes = addr.subarray(SUN_PATH);
  const end = bytes.indexOf(0);
  const vpath = boundToVirtual(proc, bytes.toString('latin1', 0, end < 0 ? bytes.length : end));
  if (vpath === null) return addr;
  const root = proc.rootPath;
  const seen = root === '/' ? vpath : vpath === root ? '/' : vpath.startsWith(`${root}/`) ? vpath.slice(root.length) : vpath;
  return unixAddress(seen);
}

/** The instance paths of the socket directories the leader holds, by their held path (as they were first seen). */
const heldSocketDirectories = new Map<string, string | null>();
const HELD_FD_PATH = /^\/proc\/\d+\/fd\/\d+$/;

/** The instance path of the host address of a socket a worker bound (bindAddress), or null. */
function boundToVirtual(proc: LibosProcess, hostPath: string): string | null {
  const mounts = proc.vfs.mounts;
  const below = mounts.socketRootToVirtual(hostPath);
  if (below !== null) return below;
  const slash = hostPath.lastIndexOf('/');
  const dir = hostPath.slice(0, slash);
  // the leader's fds, as every mount's socketRoot is one
  if (!HELD_FD_PATH.test(dir) || !mounts.list.some((m) => m.kind === 'host' && m.socketRoot.startsWith(dir.slice(0, dir.lastIndexOf('/') + 1)))) return null;
  let vdir = heldSocketDirectories.get(dir);
  if (vdir === undefined) {
    const fd = host.openat(AT_FDCWD, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    vdir = fd < 0 ? null : proc.vfs.virtualPathOfHostFd(fd);
    if (fd >= 0) host.close(fd);
    if (vdir?.endsWith(' (deleted)')) vdir = null;
    heldSocketDirectories.set(dir, vdir);
  }
  return vdir === null ? null : `${vdir === '/' ? '' : vdir}/${hostPath.slice(slash + 1)}`;
}

export interface Ucred {
  pid: number;
  uid: number;
  gid: number;
}

/**
 * Credentials between the app and the host: what the app sends in SCM_CREDENTIALS becomes the
 * host's (its own vpid, or any of the instance's for root; ids it holds, or any for root: the
 * host process has the instance's ids), as Linux checks them; what the host reports (a sender
 * or a peer) becomes the instance's: its vpid (0 outside the instance, as outside a PID
 * namespace) and its virtual ids, real ones for a message and effective ones for a peer.
 */
export async function translateUcred(proc: LibosProcess, direction: number, c: Ucred): Promise<Ucred> {
  const cr = proc.creds;
  if (direction === UCRED_TO_HOST) {
    const root = cr.euid === 0;
    let pid = c.pid === proc.id.vpid ? proc.app.hostPid : 0;
    if (!pid && root) pid = await proc.instance.lookupPid(proc, 'host-of-vpid', c.pid);
    if (!pid) throw new SyscallError(Errno.EPERM, `SCM_CREDENTIALS pid ${c.pid}`);
    if (!root && ![cr.uid, cr.euid, cr.suid].includes(c.uid)) throw new SyscallError(Errno.EPERM, `SCM_CREDENTIALS uid ${c.uid}`);
    if (!root && ![cr.gid, cr.egid, cr.sgid].includes(c.gid)) throw new SyscallError(Errno.EPERM, `SCM_CREDENTIALS gid ${c.gid}`);
    return { pid, uid: host.getuid(), gid: host.getgid() };
  }
  if (direction !== UCRED_SENT && direction !== UCRED_PEER) throw new SyscallError(Errno.EINVAL, `ucred direction ${direction}`);
  const effective = direction === UCRED_PEER;
  if (c.pid === proc.app.hostPid) {
    return { pid: proc.id.vpid, uid: effective ? cr.euid : cr.uid, gid: effective ? cr.egid : cr.gid };
  }
  const peer = c.pid > 0 ? await proc.instance.peerCreds(proc, c.pid) : null;
  if (!peer) return { pid: 0, uid: c.uid, gid: c.gid };
  return { pid: peer.vpid, uid: effective ? peer.euid : peer.uid, gid: effective ? peer.egid : peer.gid };
}
