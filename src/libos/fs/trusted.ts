// Trusted and allowed files (Gramine's sgx.trusted_files, sgx.allowed_files and
// sgx.file_check_policy): the check the VFS makes whenever the app opens or executes a regular
// file on a `chroot` mount.
//
// * A trusted file is verified against the SHA-256 `gramine-ts sign` recorded (or the manifest
//   gives) before the app sees a byte, and the app is served exactly the verified bytes: a copy in
//   a sealed memfd, made while hashing, so a change on disk after the check changes nothing. Each
//   worker keeps the memfd of every trusted file it has verified (keyed by the host path and the
//   file's identity and times) and hands the app a fresh read-only open of it each time, so a
//   file is hashed once per worker and every open has its own offset. Trusted files are read-only.
//   The worker that verifies a version first offers its copy to the leader, which keeps it for
//   the instance under a name made of the path and the version (in the scratch tmpfs's
//   TRUSTED_COPIES_DIR, a symlink to its own fd of the copy); a worker finds it there and serves
//   that one, so that the instance's processes open one file, whose locks (flock, record, OFD)
//   meet as those of the file itself do on Linux.
// * An allowed file (or anything under an allowed directory) is passed through unchecked.
// * Anything else: refused with EACCES under 'strict'; allowed, and logged once per path, under
//   'allow_all_but_log'.
//
// The leader makes the FileCheckConfig (src/manifest/file-checks.ts); it is plain data for the
// workers, where FileChecks does the work through the PAL.
import { createHash } from 'node:crypto';

import type { Logger } from '../../log.js';
import type { FileCheckPolicy } from '../../manifest/schema.js';
import { fromByteString, host, hostFdPath, reopen } from '../../pal/host.js';
import { Errno, SyscallError } from '../errno.js';
import { TRUSTED_MEMFD_PREFIX } from './scratch-names.js';
import { AT_EMPTY_PATH, AT_FDCWD, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_RDONLY, O_TRUNC, S_IFMT, S_IFREG } from '../../pal/linux-abi.js';

/**
 * What a worker needs to check files: plain data (it travels from the leader to the workers).
 * Host paths are absolute and canonical ("/a/b", no "." or ".." or "//") and are byte strings,
 * as the LibOS keeps paths (latin1: one char per byte of the host's path).
 */
export interface FileCheckConfig {
  /** false: no checks at all (the built-in manifest of a bare `gramine-ts run PROGRAM`). */
  enabled: boolean;
  policy: FileCheckPolicy;
  /**
   * Trusted files (directories already expanded by sign). A file reached through host symlinks
   * is listed under both its listed path and its real path.
   */
  trusted: TrustedFileCheck[];
  /** Allowed files, and allowed directories with a trailing "/" (everything under them). */
  allowed: string[];
}

export interface TrustedFileCheck {
  path: string;
  /** Lower-case hex. */
  sha256: string;
  /** Bytes, when known (from the signature): a file of another size is refused without hashing. */
  size: number | null;
}

// ---------------------------------------------------------------------------------------------
// The check, in each worker


const MFD_CLOEXEC = 0x1;
const MFD_ALLOW_SEALING = 0x2;
const F_SEAL_SEAL = 0x1;
const F_SEAL_SHRINK = 0x2;
const F_SEAL_GROW = 0x4;
const F_SEAL_WRITE = 0x8;
/** memfd names: at most 249 bytes (the kernel adds "memfd:"). */
const MFD_NAME_MAX = 249;

const CHUNK = 1 << 20;

/** What makes a cached verification valid: the file's identity, size and times. */
interface FileStamp {
  mode: number;
  size: number;
  /** "dev:ino:size:mtime:ctime" (nanoseconds) */
  key: string;
}

interface Verified {
  key: string;
  /** The sealed memfd of the verified bytes, or -1: the file did not match. */
  memfd: number;
  size: number;
  /** the instance's copy (found in TRUSTED_COPIES_DIR), not this worker's own */
  shared: boolean;
}

/** Where verified copies are shared across the instance: the leader's, which workers read. */
export interface TrustedCopies {
  /** an O_PATH fd of the scratch tmpfs's TRUSTED_COPIES_DIR */
  dirFd: number;
  /** Offer the leader this worker's verified copy `memfd` of `hostPath` (`size` bytes) under `name`. */
  offer(name: string, hostPath: string, memfd: number, size: number): void;
}

/** The name of version `key` of trusted file `hostPath` among the instance's copies. */
export function trustedCopyName(hostPath: string, key: string): string {
  return createHash('sha256').update(`${hostPath}\0${key}`, 'latin1').digest('hex');
}

/** Bytes of verified copies a worker keeps by default; beyond, the least recently opened go. */
export const DEFAULT_CACHE_BYTES = 512 << 20;

function fstat(fd: number, what: string): FileStamp {
  const st = Buffer.alloc(144);
  const r = host.fstatat(fd, '', st, AT_EMPTY_PATH);
  if (r < 0) throw new SyscallError(-r, `fstat of ${what}`);
  const dev = st.readBigUInt64LE(0);
  const ino = st.readBigUInt64LE(8);
  const size = st.readBigInt64LE(48);
  const mtime = `${st.readBigInt64LE(88)}.${st.readBigInt64LE(96)}`;
  const ctime = `${st.readBigInt64LE(104)}.${st.readBigInt64LE(112)}`;
  return { mode: st.readUInt32LE(24), size: Number(size), key: `${dev}:${ino}:${size}:${mtime}:${ctime}` };
}

/** The kernel's name of a worker host fd (`fallback` if it has none to give). */
function realPathOf(fd: number, fallback: string): string {
  try {
    return hostFdPath(fd).replace(/ \(deleted\)$/, '');
  } catch {
    return fallback;
  }
}

export class FileChecks {
  private readonly trusted = new Map<string, TrustedFileCheck>();
  private readonly allowedFiles = new Set<string>();
  /** allowed directories, without the trailing "/" ("" for the root) */
  private readonly allowedDirs = new Set<string>();
  /** host path -> the verification of its current version, least recently opened first */
  private readonly verified = new Map<string, Verified>();
  private cachedBytes = 0;
  /** unlisted paths already logged under allow_all_but_log */
  private readonly logged = new Set<string>();
  private buf: Buffer | null = null;

  constructor(
    private readonly cfg: FileCheckConfig,
    private readonly log: Logger,
    /** Bytes of verified copies to keep (the copies live in memory, as tmpfs pages). */
    private readonly cacheBytes: number = DEFAULT_CACHE_BYTES,
    private readonly copies: TrustedCopies | null = null,
  ) {
    for (const t of cfg.trusted) if (!this.trusted.has(t.path)) this.trusted.set(t.path, t);
    for (const a of cfg.allowed) {
      if (a.endsWith('/')) this.allowedDirs.add(a.slice(0, -1));
      else this.allowedFiles.add(a);
    }
  }

  get enabled(): boolean {
    return this.cfg.enabled;
  }

  /**
   * Would every open (for reading or writing) and creation pass unchanged and unseen: no checks,
   * or allow_all_but_log with no trusted file and its log lines not shown? (Then the stub may
   * open and make files itself.)
   */
  get passesUnseen(): boolean {
    return !this.cfg.enabled || (this.cfg.policy === 'allow_all_but_log' && this.trusted.size === 0 && !this.log.enabled('warn'));
  }

  /**
   * The check of an open (or exec) of a regular file. `hostPath`: the absolute host path (a byte
   * string) the VFS opened; `hostFd`: a worker host fd it opened read-only (O_CLOEXEC) on it;
   * `appFlags`: the app's open flags. Takes `hostFd` over: returns the worker host fd the app is
   * to get (`hostFd` itself for an allowed or unchecked file, a new read-only fd of the verified
   * bytes for a trusted one, `hostFd` then closed) or throws SyscallError(EACCES) with `hostFd`
   * closed.
   */
  open(hostPath: string, hostFd: number, appFlags: number): number {
    if (!this.cfg.enabled) return hostFd;
    try {
      const stamp = fstat(hostFd, fromByteString(hostPath));
      if ((stamp.mode & S_IFMT) !== S_IFREG) return hostFd; // only regular files are checked
      // the VFS names the file as it walked to it; the kernel, by its real path
      let real: string | null = null;
      const realPath = (): string => (real ??= realPathOf(hostFd, hostPath));
      const trusted = this.trusted.get(hostPath) ?? this.trusted.get(realPath());
      if (trusted) {
        if (appFlags & (O_ACCMODE | O_CREAT | O_TRUNC | O_APPEND)) {
          this.log.warn(`trusted file ${fromByteString(hostPath)}: opening it for writing refused`);
          throw new SyscallError(Errno.EACCES, `trusted file ${fromByteString(hostPath)} is read-only`);
        }
        const fd = this.serve(trusted, hostFd, stamp);
        host.close(hostFd);
        return fd;
      }
      if (this.isAllowed(hostPath) || this.isAllowed(realPath())) return hostFd;
      if (this.cfg.policy === 'strict') {
        this.log.warn(`file ${fromByteString(hostPath)} is neither trusted nor allowed: access refused (file_check_policy = "strict")`);
        throw new SyscallError(Errno.EACCES, `${fromByteString(hostPath)} is neither trusted nor allowed`);
      }
      if (!this.logged.has(hostPath)) {
        this.logged.add(hostPath);
        this.log.warn(`file ${fromByteString(hostPath)} is neither trusted nor allowed: access allowed (file_check_policy = "allow_all_but_log")`);
      }
      return hostFd;
    } catch (e) {
      host.close(hostFd);
      throw e;
    }
  }

  /**
   * May the app create `hostPath` (O_CREAT of a file that does not exist yet, mknod)? Throws
   * EACCES for a trusted path, and for an unlisted one under 'strict'. For the VFS to call before
   * creating anything.
   */
  checkCreate(hostPath: string): void {
    if (!this.cfg.enabled) return;
    if (this.trusted.has(hostPath)) {
      this.log.warn(`trusted file ${fromByteString(hostPath)}: creating it refused`);
      throw new SyscallError(Errno.EACCES, `trusted file ${fromByteString(hostPath)} is read-only`);
    }
    if (this.isAllowed(hostPath) || this.cfg.policy !== 'strict') return;
    this.log.warn(`file ${fromByteString(hostPath)} is neither trusted nor allowed: creating it refused (file_check_policy = "strict")`);
    throw new SyscallError(Errno.EACCES, `${fromByteString(hostPath)} is neither trusted nor allowed`);
  }

  /** Is `hostPath` trusted, allowed, or neither? (No logging.) */
  classify(hostPath: string): 'trusted' | 'allowed' | 'unlisted' {
    if (this.trusted.has(hostPath)) return 'trusted';
    return this.isAllowed(hostPath) ? 'allowed' : 'unlisted';
  }

  /** Closes every cached memfd (a worker being reset). */
  clear(): void {
    for (const v of this.verified.values()) if (v.memfd >= 0) host.close(v.memfd);
    this.verified.clear();
    this.cachedBytes = 0;
    this.logged.clear();
  }

  private isAllowed(p: string): boolean {
    if (this.allowedFiles.has(p) || this.allowedDirs.has('')) return true;
    for (let i = p.lastIndexOf('/'); i > 0; i = p.lastIndexOf('/', i - 1)) {
      if (this.allowedDirs.has(p.slice(0, i))) return true;
    }
    return false;
  }

  /** A new read-only fd of the verified bytes of `t` (hashing them first if this version is new). */
  private serve(t: TrustedFileCheck, hostFd: number, stamp: FileStamp): number {
    let v = this.verified.get(t.path);
    if (v !== undefined) this.forget(t.path, v);
    const name = this.copies ? trustedCopyName(t.path, stamp.key) : '';
    if (v === undefined || v.key !== stamp.key || (this.copies && !v.shared)) {
      // the instance's copy of this version, if the leader has one (never a worse one: the name says which version)
      const shared = this.copies ? host.openat(this.copies.dirFd, name, O_RDONLY | O_CLOEXEC, 0) : -1;
      if (shared >= 0 || v === undefined || v.key !== stamp.key) {
        if (v !== undefined && v.memfd >= 0) host.close(v.memfd);
        const memfd = shared >= 0 ? shared : this.verify(t, hostFd, stamp);
        v = { key: stamp.key, memfd, size: memfd < 0 ? 0 : stamp.size, shared: shared >= 0 };
        if (shared < 0 && memfd >= 0) this.copies?.offer(name, t.path, memfd, stamp.size);
      }
    }
    // most recently opened last; older copies go when over budget (apps' fds keep theirs)
    this.verified.set(t.path, v);
    this.cachedBytes += v.size;
    for (const [p, old] of this.verified) {
      if (this.cachedBytes <= this.cacheBytes || old === v) break;
      this.forget(p, old);
      if (old.memfd >= 0) host.close(old.memfd);
    }
    if (v.memfd < 0) {
      this.log.error(`trusted file ${fromByteString(t.path)} does not match its SHA-256: access refused`);
      throw new SyscallError(Errno.EACCES, `trusted file ${fromByteString(t.path)} was modified (sign the manifest again if the change is wanted)`);
    }
    // a new open file description (its own offset), not a dup
    const fd = reopen(v.memfd, 0);
    if (fd < 0) throw new SyscallError(-fd, `reopening the verified copy of ${fromByteString(t.path)}`);
    return fd;
  }

  private forget(p: string, v: Verified): void {
    this.verified.delete(p);
    this.cachedBytes -= v.size;
  }

  /** Hashes the file while copying it into a new memfd: the sealed memfd if it matches, else -1. */
  private verify(t: TrustedFileCheck, hostFd: number, stamp: FileStamp): number {
    if (t.size !== null && stamp.size !== t.size) return -1;
    const nameBytes = `${TRUSTED_MEMFD_PREFIX}${t.path}`;
    const memfd = host.memfdCreate(nameBytes.length > MFD_NAME_MAX ? nameBytes.slice(-MFD_NAME_MAX) : nameBytes, MFD_CLOEXEC | MFD_ALLOW_SEALING);
    if (memfd < 0) throw new SyscallError(-memfd, `memfd for trusted file ${fromByteString(t.path)}`);
    try {
      const buf = (this.buf ??= Buffer.allocUnsafe(CHUNK));
      const hash = createHash('sha256');
      let offset = 0;
      for (;;) {
        const n = host.pread(hostFd, buf, offset);
        if (n < 0) throw new SyscallError(-n, `reading trusted file ${fromByteString(t.path)}`);
        if (n === 0) break;
        const chunk = buf.subarray(0, n);
        hash.update(chunk);
        for (let done = 0; done < n; ) {
          const w = host.pwrite(memfd, chunk.subarray(done), offset + done);
          if (w < 0) throw new SyscallError(-w, `copying trusted file ${fromByteString(t.path)}`);
          done += w;
        }
        offset += n;
        if (t.size !== null && offset > t.size) break; // grew while being read: cannot match
      }
      if (hash.digest('hex') !== t.sha256 || (t.size !== null && offset !== t.size)) {
        host.close(memfd);
        return -1;
      }
      const sealed = host.addSeals(memfd, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_SEAL);
      if (sealed < 0) throw new SyscallError(-sealed, `sealing the copy of trusted file ${fromByteString(t.path)}`);
      // the file's permission bits (readable by its owner: the reopen above needs it), for fstat
      host.fchmodat(AT_FDCWD, `/proc/self/fd/${memfd}`, (stamp.mode & 0o7777) | 0o400);
      return memfd;
    } catch (e) {
      host.close(memfd);
      throw e;
    }
  }
}
