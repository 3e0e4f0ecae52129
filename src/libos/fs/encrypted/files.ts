// The files of an encrypted mount, as the app sees them through a worker. On the host each is a
// protected (PF) file of the same name in plain host directories (as in Gramine, names are not
// hidden). Opening a regular file hands the app a new open file description of its plaintext
// copy, a memfd the leader holds for the whole instance (leader/encrypted-copies.ts): reads,
// writes, seeks, mmap and fstat are then native, and every process of the instance sees the
// others' writes at once. The copy goes back to the host (seal.ts) on fsync, when a process that
// opened it ends, and when the instance ends: the leader writes it back.
//
// Directories are the host's, as on a chroot mount. Symlinks, FIFOs and sockets are refused
// (EACCES): not in this first slice. A regular file that is not a valid PF file, or fails
// authentication (changed, renamed or swapped on the host, truncated, the wrong key) is EACCES
// and one warning naming it.
import { fileTypeAt, host } from '../../../pal/host.js';
import { AT_EMPTY_PATH, AT_FDCWD, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TRUNC, S_IFDIR, S_IFMT, S_IFREG } from '../../../pal/linux-abi.js';
import { check, Errno, SyscallError } from '../../errno.js';
import type { LibosProcess } from '../../process.js';
import { atLocation, hostPathOf, openHost } from '../host-fs.js';
import type { HostMount } from '../mount.js';
import type { Awaitable } from '../pseudo/node.js';
import type { HostLocation } from '../walk.js';
import { boundNameOf, type EncryptedMount } from './mount-info.js';
import { decryptToCopy, errnoOfSealing, newCopy, plaintextSize, readKeyFile, sealCopy, type SealingOf } from './seal.js';

export type EncryptedLocation = HostLocation & { mount: HostMount & { encrypted: EncryptedMount } };

export function isEncrypted(loc: HostLocation): loc is EncryptedLocation {
  return loc.mount.encrypted !== null;
}

/** The location's path inside its mount ("" for the mount's root; a mount of one file: its name in its host directory). */
export function relOf(loc: HostLocation): string {
  if (loc.mount.file !== null) return loc.mount.file;
  if (loc.name === '.') return loc.dirRel;
  return loc.dirRel === '' ? loc.name : `${loc.dirRel}/${loc.name}`;
}

const R_OK = 4;
const W_OK = 2;
const O_WRONLY = 1;
/** how the app's flags are taken to the copy: it exists, and it is the file (no symlink to refuse) */
const NOT_FOR_THE_COPY = O_CREAT | O_EXCL | O_NOFOLLOW | O_DIRECTORY;

/** What this slice does not support in an encrypted mount (symlinks, FIFOs, sockets, hard links). */
export function refuseInEncrypted(loc: HostLocation, what: string): void {
  if (isEncrypted(loc)) throw new SyscallError(Errno.EACCES, `${what} ${loc.vpath}: not supported in an encrypted mount`);
}

/** A file of the mount that is not a valid PF file (or fails authentication): EACCES, and the user is told which. */
function refuseDamaged(proc: LibosProcess, loc: EncryptedLocation, e: unknown): never {
  const errno = errnoOfSealing(e);
  proc.log.warn(`encrypted file refused: ${e instanceof Error ? e.message : String(e)}`);
  throw new SyscallError(errno, `${loc.vpath}: a damaged encrypted file`);
}

/**
 * How the location's file is sealed: the mount's key as it is now (EACCES when the key is not
 * set, as Gramine refuses an encrypted mount without one) and the name the file is bound to.
 */
export async function sealingOf(proc: LibosProcess, loc: EncryptedLocation): Promise<SealingOf> {
  const { keyName } = loc.mount.encrypted;
  const file = (await proc.instance.keyFiles(proc)).find((k) => k.name === keyName);
  const fd = file ? host.openat(AT_FDCWD, file.path, O_RDONLY | O_CLOEXEC, 0) : -Errno.ENOENT;
  const key = fd < 0 ? null : readKeyFile(fd);
  if (fd >= 0) host.close(fd);
  if (key === null) throw new SyscallError(Errno.EACCES, `${loc.vpath}: the key ${keyName} of the encrypted mount at ${loc.mount.path} is not set`);
  const rel = relOf(loc);
  return { key, boundName: boundNameOf(loc.mount.encrypted, rel), label: `${loc.vpath} (host file ${hostPathOf(loc)})` };
}

/** Run `fn` on a read-only host fd of the location's PF file (never through a symlink). */
function withPfFile<T>(loc: EncryptedLocation, flags: number, fn: (fd: number, mode: number) => T): T {
  const fd = atLocation(loc, (d, n) => check(host.openat(d, n, flags | O_NOFOLLOW | O_CLOEXEC, 0), `open ${loc.vpath}`));
  try {
    const st = Buffer.alloc(144);
    check(host.fstatat(fd, '', st, AT_EMPTY_PATH), `fstat ${loc.vpath}`);
    return fn(fd, st.readUInt32LE(24));
  } finally {
    host.close(fd);
  }
}

/**
 * Open a location of an encrypted mount for the app: a directory (or O_PATH) as on a chroot
 * mount, a regular file as a new open file description of its plaintext copy.
 */
export function openEncrypted(proc: LibosProcess, loc: EncryptedLocation, flags: number, mode: number): Awaitable<number> {
  const type = atLocation(loc, fileTypeAt);
  if ((loc.name === '.' && loc.mount.file === null) || type === S_IFDIR || flags & O_PATH || (type === -Errno.ENOENT && flags & O_DIRECTORY)) return openHost(proc, loc, flags, mode);
  if (type >= 0 && type !== S_IFREG) throw new SyscallError(Errno.EACCES, `open ${loc.vpath}: only regular files and directories are supported in an encrypted mount`);
  if (type < 0 && (type !== -Errno.ENOENT || !(flags & O_CREAT))) throw new SyscallError(-type, `open ${loc.vpath}`);
  if (type >= 0 && flags & O_CREAT && flags & O_EXCL) throw new SyscallError(Errno.EEXIST, `open ${loc.vpath}`);
  if (loc.trailingSlash || flags & O_DIRECTORY) throw new SyscallError(type >= 0 ? Errno.ENOTDIR : Errno.EISDIR, `open ${loc.vpath}`);
  if (type >= 0) {
    // the host file's permissions are the file's (the copy is the leader's, readable and writable)
    const access = ((flags & O_ACCMODE) !== O_RDONLY ? W_OK : 0) | ((flags & O_ACCMODE) !== O_WRONLY ? R_OK : 0);
    atLocation(loc, (d, n) => check(host.faccessat2(d, n, access, 0), `open ${loc.vpath}`));
  }
  return openCopy(proc, loc, flags, mode & ~proc.umask & 0o7777, type >= 0);
}

/** A worker fd of the location's plaintext copy, opened with the app's `flags` (made by this worker if the leader has none). */
async function openCopy(proc: LibosProcess, loc: EncryptedLocation, flags: number, mode: number, exists: boolean): Promise<number> {
  const sealing = await sealingOf(proc, loc);
  try {
    const rel = relOf(loc);
    const writable = (flags & O_ACCMODE) !== O_RDONLY || (flags & O_TRUNC) !== 0;
    let path = await proc.instance.encryptedCopy(proc, 'open', loc.mount.path, rel, '', -1, writable);
    if (path === '') {
      const copy = makeCopy(proc, loc, sealing, mode, exists, (flags & O_EXCL) !== 0, (flags & O_TRUNC) !== 0);
      try {
        path = await proc.instance.encryptedCopy(proc, 'offer', loc.mount.path, rel, '', copy, writable);
      } finally {
        host.close(copy);
      }
    }
    return check(host.openat(AT_FDCWD, path, (flags & ~NOT_FOR_THE_COPY) | O_CLOEXEC, 0), `open ${loc.vpath}`);
  } finally {
    sealing.key.fill(0);
  }
}

/**
 * A new plaintext copy: the PF file decrypted, or (`exists` false) an empty one, with an empty PF
 * file made on the host. An open that truncates (`truncating`) gets an empty copy without
 * decrypting the file, once it is authenticated as any open of it is (its metadata and root).
 */
function makeCopy(proc: LibosProcess, loc: EncryptedLocation, sealing: SealingOf, mode: number, exists: boolean, exclusive: boolean, truncating: boolean): number {
  const hostPath = hostPathOf(loc);
  if (!exists) {
    try {
      atLocation(loc, (d, n) => sealCopy(null, d, n, sealing, mode, false));
      return newCopy(hostPath, mode | 0o600);
    } catch (e) {
      // made by another process since the walk: it is opened as it is, unless the app said O_EXCL
      if (!(e instanceof SyscallError && e.errno === Errno.EEXIST) || exclusive) throw e;
    }
  }
  try {
    return withPfFile(loc, O_RDONLY, (fd, fileMode) => {
      const copyMode = (fileMode & 0o7777) | 0o600;
      if (!truncating) return decryptToCopy(fd, sealing, hostPath, copyMode);
      plaintextSize(fd, sealing);
      return newCopy(hostPath, copyMode);
    });
  } catch (e) {
    if (e instanceof SyscallError) throw e;
    return refuseDamaged(proc, loc, e);
  }
}

/**
 * stat of a location of an encrypted mount, after the host's (into `buf`): a regular file's size
 * is its plaintext's (its copy's, if the leader holds one; else its metadata node's).
 */
export async function statEncrypted(proc: LibosProcess, loc: EncryptedLocation, buf: Buffer, statx: boolean): Promise<Buffer> {
  const type = statx ? buf.readUInt16LE(28) & S_IFMT : buf.readUInt32LE(24) & S_IFMT;
  if (type === S_IFDIR) return buf;
  if (type !== S_IFREG) throw new SyscallError(Errno.EACCES, `stat ${loc.vpath}: only regular files and directories are supported in an encrypted mount`);
  const size = await plaintextSizeOf(proc, loc);
  buf.writeBigUInt64LE(BigInt(size), statx ? 40 : 48);
  return buf;
}

async function plaintextSizeOf(proc: LibosProcess, loc: EncryptedLocation): Promise<number> {
  const path = await proc.instance.encryptedCopy(proc, 'find', loc.mount.path, relOf(loc), '', -1);
  if (path !== '') {
    const st = Buffer.alloc(144);
    check(host.fstatat(AT_FDCWD, path, st, 0), `stat the copy of ${loc.vpath}`);
    return Number(st.readBigInt64LE(48));
  }
  const sealing = await sealingOf(proc, loc);
  try {
    return withPfFile(loc, O_RDONLY, (fd) => plaintextSize(fd, sealing));
  } catch (e) {
    if (e instanceof SyscallError) throw e;
    return refuseDamaged(proc, loc, e);
  } finally {
    sealing.key.fill(0);
  }
}
