// The instance's file-system view as the leader sets it up: the scratch tmpfs (tmpfs mounts and
// the stand-ins of pseudo directories live there) and the mount list every worker gets.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { HOST_RESOLV_CONF } from '../manifest/index.js';
import { platformSecretPath } from '../attestation/platform-secret.js';
import os from 'node:os';
import path from 'node:path';
import { host } from '../pal/host.js';
import { instanceTree } from '../pal/instance-tree.js';
import { userTmpfs } from '../pal/user-tmpfs.js';
import { ABSTRACT_PREFIX_LEN } from '../pal/channel-abi.js';
import type { Manifest } from '../manifest/index.js';
import type { Message } from '../ipc/protocol/messages.js';
import { AT_EMPTY_PATH, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDONLY } from '../pal/linux-abi.js';
import { PSEUDO_DIR, TRUSTED_COPIES_DIR, TRUSTED_MEMFD_PREFIX } from '../libos/fs/scratch-names.js';

const F_SEAL_WRITE = 0x8;
import { Errno, errnoName } from '../libos/errno.js';


type MountMessage = Message<'instance-config'>['mounts'][number];

/**
 * A tmpfs for the instance alone. A detached mount (fsopen/fsmount; root here) is reachable
 * only through its fds, so nothing is left behind even if the leader is killed; without the
 * privilege for that, a directory in /dev/shm (a tmpfs too), /dev/shm/gramine-ts-<leader
 * pid>-XXXXXX, removed when the instance ends -- by the leader, or, if the leader is killed, by
 * a small process that outlives it (its cleaner: a shell waiting for the leader's end of a pipe
 * to close).
 */
export class InstanceScratch {
  /** what a worker opens to reach the scratch root */
  readonly path: string;
  private readonly fd: number;
  private readonly dir: string | null;
  /** name -> the leader's fd of a trusted file's verified copy, kept for the instance (keepTrustedCopy) */
  private readonly trustedCopies = new Map<string, number>();
  private readonly cleaner: ChildProcess | null = null;

  constructor() {
    const mnt = host.detachedTmpfs();
    if (mnt >= 0) {
      this.fd = mnt;
      this.dir = null;
      this.path = `/proc/${process.pid}/fd/${mnt}`;
    } else {
      const base = path.join(process.platform === 'linux' ? '/dev/shm' : os.tmpdir(), `gramine-ts-${process.pid}-`);
      this.dir = mkdtempSync(base);
      this.fd = host.openat(-100, this.dir, O_DIRECTORY | O_CLOEXEC, 0);
      if (this.fd < 0) throw new Error(`scratch directory ${this.dir}: errno ${-this.fd}`);
      this.path = this.dir;
      // in a session of its own: a terminal's Ctrl-C or a kill of the leader's group leaves it
      // (its output is the leader's: 'ignore' opens /dev/null, which not every user may read)
      const cleaner = spawn('/bin/sh', ['-c', 'read _; exec rm -rf -- "$0"', this.dir], { stdio: ['pipe', 'inherit', 'inherit'], detached: true });
      cleaner.on('error', () => {}); // no cleaner (the host's process limits): the leader's own removal remains
      cleaner.stdin?.on('error', () => {});
      cleaner.unref();
      this.cleaner = cleaner;
    }
    this.mkdir(PSEUDO_DIR);
    this.mkdir(TRUSTED_COPIES_DIR);
    this.mkdir('mounts');
  }

  /** An O_PATH fd of a directory of the scratch tmpfs (the caller closes it). */
  open(name: string): number {
    return host.openat(this.fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  }

  /**
   * A tmpfs of at most `size` bytes for directory `name` of the scratch tmpfs (made already):
   * the path the workers reach it by, or why there is none. As root, a tmpfs of its own mounted
   * there; otherwise (the scratch is a directory of the host's /dev/shm) one made in a user
   * namespace of this user's (src/pal/user-tmpfs.ts), reached through an fd `roots` holds.
   */
  sizedTmpfs(name: string, size: number, roots: HeldDirectories): string | { error: string } {
    if (this.dir !== null) {
      const made = userTmpfs(size);
      return 'error' in made ? made : roots.hold(made.fd, `tmpfs of ${size} bytes`);
    }
    const mnt = host.detachedTmpfs(size);
    if (mnt < 0) return { error: errnoName(-mnt) };
    const r = host.moveMount(mnt, this.fd, name);
    host.close(mnt);
    return r < 0 ? { error: errnoName(-r) } : name;
  }

  /** Make a directory of the scratch tmpfs (for a tmpfs mount); its name there. */
  mkdir(name: string): string {
    const r = host.mkdirat(this.fd, name, 0o1777);
    if (r < 0) throw new Error(`scratch tmpfs: mkdir ${name}: errno ${-r}`);
    return name;
  }

  /**
   * Keep worker `workerPid`'s verified copy (its fd `fd`) of trusted file `hostPath` (`size`
   * bytes) for the instance under `name`, unless one is kept already. The worker's word is
   * checked against the kernel's: its fd may have been closed and its number given to another
   * file since it spoke.
   */
  keepTrustedCopy(workerPid: number, fd: number, name: string, hostPath: string, size: number): void {
    if (!/^[0-9a-f]{64}$/.test(name) || this.trustedCopies.has(name)) return;
    const copy = host.openat(-100, `/proc/${workerPid}/fd/${fd}`, O_RDONLY | O_CLOEXEC, 0);
    if (copy < 0) return;
    const st = Buffer.alloc(144);
    const link = Buffer.alloc(4096);
    const n = host.readlinkat(-100, `/proc/self/fd/${copy}`, link);
    const seals = host.getSeals(copy);
    const same = n > 0 && link.toString('latin1', 0, n) === `/memfd:${TRUSTED_MEMFD_PREFIX}${hostPath} (deleted)` &&
      host.fstatat(copy, '', st, AT_EMPTY_PATH) === 0 && Number(st.readBigInt64LE(48)) === size &&
      seals >= 0 && (seals & F_SEAL_WRITE) !== 0;
    if (!same || host.symlinkat(`/proc/${process.pid}/fd/${copy}`, this.fd, `${TRUSTED_COPIES_DIR}/${name}`) < 0) {
      host.close(copy);
      return;
    }
    this.trustedCopies.set(name, copy);
  }

  dispose(): void {
    for (const fd of this.trustedCopies.values()) host.close(fd);
    host.close(this.fd);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
    this.cleaner?.stdin?.end(); // nothing left for it to do
  }
}

/**
 * Directories the leader holds open for the instance's life, so that each has a host path that
 * is the same in every process (/proc/<leader>/fd/<n>): the roots of the instance's host mounts,
 * and each directory a UNIX socket was bound in below one. A bind names its socket through
 * such a path (a directory the walk opened, never a path resolved again: sys/net.ts), and the
 * workers know the instance path of such an address again by it.
 */
export class HeldDirectories {
  private readonly fds: number[] = [];
  /** "dev:ino" -> the held fd of a socket's directory */
  private readonly byIdentity = new Map<string, number>();

  /** Hold `fd` (an O_PATH fd of a mount's root, or -errno); its path for every process. */
  hold(fd: number, what: string): string {
    if (fd < 0) throw new MountError(`${what}: errno ${errnoName(-fd)}`);
    this.fds.push(fd);
    return heldPath(fd);
  }

  /**
   * Hold the directory that worker `workerPid` has open as its fd `fd` (one its walk opened):
   * its path for every process, or -errno. One fd a directory; at most SOCKET_DIRECTORIES_MAX.
   */
  holdSocketDirectory(workerPid: number, fd: number): string | number {
    if (!Number.isSafeInteger(fd) || fd < 0) return -Errno.EBADF;
    const dir = host.openat(-100, `/proc/${workerPid}/fd/${fd}`, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (dir < 0) return dir;
    const st = Buffer.alloc(144);
    const r = host.fstatat(dir, '', st, AT_EMPTY_PATH);
    const key = `${st.readBigUInt64LE(0)}:${st.readBigUInt64LE(8)}`;
    const held = this.byIdentity.get(key);
    if (r < 0 || held !== undefined || this.byIdentity.size >= SOCKET_DIRECTORIES_MAX) {
      host.close(dir);
      if (r < 0) return r;
      return held === undefined ? -Errno.ENOBUFS : heldPath(held);
    }
    this.byIdentity.set(key, dir);
    return this.hold(dir, 'socket directory');
  }

  dispose(): void {
    for (const fd of this.fds.splice(0)) host.close(fd);
    this.byIdentity.clear();
  }
}

function heldPath(fd: number): string {
  return `/proc/${process.pid}/fd/${fd}`;
}

/** The directories UNIX sockets may be bound in below a mount's root, per instance (each an fd of the leader's). */
export const SOCKET_DIRECTORIES_MAX = 4096;

/**
 * The instance's abstract UNIX socket names carry this prefix on the host (the stub adds and
 * removes it): random, so that two instances, or an instance and the host, never meet.
 */
export function abstractSocketPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(ABSTRACT_PREFIX_LEN), (b) => alphabet[b % alphabet.length]).join('');
}

/** A mount the manifest asks for that the host cannot give. */
export class MountError extends Error {}

/** The host directory of a chroot mount (or the one file it mounts), held by the leader. */
function hostMount(
  manifest: Manifest, m: { type?: string; path: string; uri: string; hostPath: string; readOnly: boolean }, roots: HeldDirectories,
): MountMessage {
  const where = `${manifest.sourcePath ?? 'the built-in manifest'}: mount of ${m.uri} at ${m.path}`;
  let real: string;
  let isDir: boolean;
  try {
    // host symlinks in the URI are the host's to follow, once, here
    real = realpathSync.native(m.hostPath);
    isDir = statSync(real).isDirectory();
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code ?? 'EIO';
    throw new MountError(`${where}: ${m.hostPath} is not a file or directory the host can open (${code})`);
  }
  if (isDir) {
    const fd = host.openat(-100, real, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) throw new MountError(`${where}: ${m.hostPath} is not a directory the host can open (${errnoName(-fd)})`);
    return {
      // as Gramine: a shared-memory directory holds files only
      ...NOT_SPECIAL, flat: m.type === 'untrusted_shm', type: 'chroot', path: m.path, source: real, readOnly: m.readOnly,
      socketRoot: roots.hold(fd, `mount at ${m.path}`),
    };
  }
  if (m.path === '/') throw new MountError(`${where}: ${m.hostPath} is not a directory (the root must be one)`);
  // a single file: the worker reaches it as this one name in its host directory, nothing else there
  const dir = path.dirname(real);
  const fd = host.openat(-100, dir, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) throw new MountError(`${where}: the directory of ${real} cannot be opened (${errnoName(-fd)})`);
  return {
    ...NOT_SPECIAL, type: 'chroot', path: m.path, source: dir, file: path.basename(real), readOnly: m.readOnly,
    socketRoot: roots.hold(fd, `mount at ${m.path}`),
  };
}

/**
 * An encrypted mount: a chroot mount of a host directory of protected files (libos/fs/encrypted/
 * gives it its meaning); its files are bound to the uri's path joined with their own, as Gramine
 * binds them (protected-files/names.ts).
 */
function encryptedMount(
  manifest: Manifest, m: Extract<Manifest['mounts'][number], { type: 'encrypted' }>, scratch: InstanceScratch, roots: HeldDirectories, index: number,
): MountMessage {
  // nothing is made on the host for it: a missing directory is a mount below which nothing opens
  if (!existsSync(m.hostPath)) {
    return tmpfsMount(m.path, scratch, roots, index, { refusal: `the encrypted mount of ${m.uri} at ${m.path} (its host directory does not exist)` });
  }
  const mount = hostMount(manifest, { ...m, readOnly: false }, roots);
  const uriPath = m.uri.replace(/^file:/, '');
  // a file's bound name is the uri's path joined with its path in the mount: for a mount of one
  // file, the uri's own path (its directory joined with the file's name)
  return { ...mount, encrypted: { keyName: m.keyName, boundRoot: mount.file === '' ? uriPath : path.posix.dirname(uriPath) } };
}

type Special = Pick<MountMessage, 'file' | 'refusal' | 'hidden' | 'synthesized' | 'flat' | 'encrypted'>;
const NOT_SPECIAL: Special = { file: '', refusal: '', hidden: false, synthesized: false, flat: false, encrypted: null };

/**
 * A tmpfs mount: a new directory of the scratch tmpfs (an empty read-only one for the other uses
 * of it), with a tmpfs of its own mounted there when it has a size.
 */
function tmpfsMount(
  path: string, scratch: InstanceScratch, roots: HeldDirectories, index: number, special: Partial<Special> = {}, size: number | null = null,
): MountMessage {
  let source = scratch.mkdir(`mounts/${index}`);
  const sized = size === null ? source : scratch.sizedTmpfs(source, size, roots);
  if (typeof sized !== 'string') {
    process.stderr.write(`gramine-ts: warning: the tmpfs at ${path} is not limited to ${size} bytes (${sized.error}): the host's /dev/shm limit holds\n`);
  } else source = sized;
  const readOnly = special.refusal !== undefined || special.synthesized === true;
  return {
    ...NOT_SPECIAL, ...special, type: 'tmpfs', path, source, readOnly, socketRoot: roots.hold(scratch.open(source), `tmpfs at ${path}`),
  };
}

/** The mount of `out` that holds instance path `p` (the last one at the longest mount point). */
function holderOf(out: readonly MountMessage[], p: string): MountMessage | undefined {
  let best: MountMessage | undefined;
  for (const m of out) {
    const under = m.path === '/' || p === m.path || p.startsWith(`${m.path}/`);
    if (under && (!best || m.path.length >= best.path.length)) best = m;
  }
  return best;
}

/**
 * Whether host path `p` is there, or behind a directory the leader may not search (a user's
 * instance with HOME=/root): the instance's walk meets the same refusal, nothing to make.
 */
function presentOrUnreachable(p: string): boolean {
  try {
    return lstatSync(p, { throwIfNoEntry: false }) !== undefined;
  } catch {
    return true;
  }
}

/**
 * Makes the parent directories of mount point `p` that the tree does not have: each an empty
 * read-only directory mounted there, as Gramine makes them up (below a pseudo tree, the walk
 * makes them up itself).
 */
function synthesizeParents(p: string, out: MountMessage[], scratch: InstanceScratch, roots: HeldDirectories): void {
  const parts = p.split('/').filter((c) => c !== '');
  for (let n = 1; n < parts.length; n++) {
    const dir = `/${parts.slice(0, n).join('/')}`;
    const holder = holderOf(out, dir);
    if (!holder || holder.path === dir || holder.file !== '' || holder.refusal !== '') continue;
    if (holder.type === 'chroot') {
      const rel = dir.slice(holder.path === '/' ? 1 : holder.path.length + 1);
      if (presentOrUnreachable(path.join(holder.source, rel))) continue;
    } else if (holder.type !== 'tmpfs') {
      continue;
    }
    out.push(tmpfsMount(dir, scratch, roots, out.length, { synthesized: true }));
  }
}

/** The mounts of `manifest` as workers get them (the tmpfs ones made in `scratch`, every root held in `roots`). */
/**
 * As root, within the kernel boundary: the file tree the app processes are rooted in (the host
 * paths of the host mounts, each at its own path: src/pal/instance-tree.ts), held for the
 * instance's life; its path for every process. Null when there is none: not root (no
 * privilege to build it), the boundary left out, or the host refused (a warning says so).
 */
export function instanceTreeFor(mounts: readonly MountMessage[], sandbox: boolean, roots: HeldDirectories): string | null {
  if (!sandbox || process.getuid?.() !== 0) return null;
  const granted = mounts.filter((m) => m.type === 'chroot').map((m) => (m.file ? `${m.source}/${m.file}` : m.source));
  if (granted.length === 0) granted.push('/proc'); // nothing of the host's: the tree holds a /proc alone
  const made = instanceTree(granted);
  if ('error' in made) {
    process.stderr.write(`gramine-ts: warning: ${made.error}: a program that bypasses the trap names host paths outside the mounts (the weaker mode of docs/security.md)\n`);
    return null;
  }
  return roots.hold(made.fd, 'the instance tree');
}

export function mountMessages(manifest: Manifest, scratch: InstanceScratch, roots: HeldDirectories): MountMessage[] {
  const out: MountMessage[] = [];
  for (const m of [manifest.root, ...manifest.mounts]) {
    synthesizeParents(m.path, out, scratch, roots);
    switch (m.type) {
      case 'chroot':
      case 'untrusted_shm':
        // shared memory is the host's own here: every app fd is a host fd, MAP_SHARED included
        out.push(hostMount(manifest, m, roots));
        break;
      case 'tmpfs':
        out.push(tmpfsMount(m.path, scratch, roots, out.length, {}, m.size));
        break;
      case 'encrypted':
        out.push(encryptedMount(manifest, m, scratch, roots, out.length));
        break;
      default:
        out.push({ ...NOT_SPECIAL, type: m.type, path: m.path, source: m.type, readOnly: false, socketRoot: '' });
        // /dev/shm is a tmpfs of the instance's, shared by its processes
        if (m.type === 'dev') out.push(tmpfsMount(`${m.path === '/' ? '' : m.path}/shm`, scratch, roots, out.length));
    }
  }
  // sys.enable_extra_runtime_domain_names_conf: the host's resolver configuration, over the mounts' (as Gramine)
  if (manifest.extraRuntimeDomainNames && manifest.sourcePath !== null && existsSync(HOST_RESOLV_CONF)) {
    const resolv = { path: HOST_RESOLV_CONF, uri: `file:${HOST_RESOLV_CONF}`, hostPath: HOST_RESOLV_CONF, readOnly: true };
    synthesizeParents(resolv.path, out, scratch, roots);
    out.push(hostMount(manifest, resolv, roots));
  }
  hideHostDirectories(out, scratch, roots);
  return out;
}

/**
 * Host directories no mount shows, whatever it grants: the platform secret's
 * (src/attestation/platform-secret.ts), whose reader could make any report, quote or sealing
 * key. Made here if missing (as its first use would), so that its real path is known.
 */
function hiddenHostDirectories(): string[] {
  const dir = path.dirname(platformSecretPath());
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch {
    // made at its first use, or never: hidden by this path
  }
  try {
    return [realpathSync.native(dir)];
  } catch {
    return [dir];
  }
}

/**
 * Where a host mount of `out` reaches a hidden directory, a mount over it whose contents are
 * refused (EACCES): the walk finds nothing below it, and the kernel boundary's read rules stop
 * there (sandbox.c: a mount's rights end where the instance mounts something else).
 */
function hideHostDirectories(out: MountMessage[], scratch: InstanceScratch, roots: HeldDirectories): void {
  for (const hidden of hiddenHostDirectories()) {
    for (const m of [...out]) {
      if (m.type !== 'chroot' || m.file || !(hidden === m.source || hidden.startsWith(m.source === '/' ? '/' : `${m.source}/`))) continue;
      const p = path.posix.join(m.path, path.posix.relative(m.source, hidden));
      if (holderOf(out, p) !== m) continue; // a later mount shows something else there
      synthesizeParents(p, out, scratch, roots);
      out.push(tmpfsMount(p, scratch, roots, out.length, { refusal: `the platform secret of gramine-ts (${hidden})`, hidden: true }));
    }
  }
}
