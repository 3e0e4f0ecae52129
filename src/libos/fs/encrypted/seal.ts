// Between a protected (PF) file on the host and its plaintext copy, a memfd: decryption when a
// file is first opened, encryption when it is written back. Both the workers (which decrypt)
// and the leader (which writes back: leader/encrypted-copies.ts) use these.
import { addonNodeCipher } from '../../../pal/gcm.js';
import { fileSize, host } from '../../../pal/host.js';
import { MFD_CLOEXEC, O_CLOEXEC, O_CREAT, O_EXCL, O_NOFOLLOW, O_RDWR } from '../../../pal/linux-abi.js';
import { KEY_SIZE, ProtectedFile, ProtectedFileError } from '../../../protected-files/index.js';
import { check, Errno, SyscallError } from '../../errno.js';
import { ENCRYPTED_MEMFD_PREFIX } from '../scratch-names.js';
import { FdStorage } from '../../../pal/pf-storage.js';

/** How one encrypted file is sealed: the mount's key now, and the name its PF file is bound to. */
export interface SealingOf {
  key: Buffer;
  boundName: string;
  /** the file in error messages */
  label: string;
}

/** Bytes moved between the PF file and the copy at a time. */
const CHUNK = 1 << 20;
/** the kernel's limit on a memfd's name (without its NUL) */
const MEMFD_NAME_MAX = 249;
const RENAME_NOREPLACE = 1;

/** The PF file on host fd `fd`, opened as `sealing` says (its key, its bound name). */
export function openSealed(fd: number, sealing: SealingOf): ProtectedFile {
  return ProtectedFile.open(new FdStorage(fd), { key: sealing.key, name: sealing.boundName, label: sealing.label, cipher: addonNodeCipher });
}

/** The current key in key file `fd` (16 bytes), or null when it holds none (never written). */
export function readKeyFile(fd: number): Buffer | null {
  const key = Buffer.alloc(KEY_SIZE);
  return host.pread(fd, key, 0) === KEY_SIZE ? key : null;
}

/** A new, empty plaintext copy for the PF file at host path `hostPath`, with permission bits `mode`. */
export function newCopy(hostPath: string, mode: number): number {
  const name = Buffer.from(`${ENCRYPTED_MEMFD_PREFIX}${hostPath}`).subarray(0, MEMFD_NAME_MAX).toString('latin1');
  const fd = check(host.memfdCreate(name, MFD_CLOEXEC), `memfd for ${hostPath}`);
  host.fchmod(fd, mode & 0o7777);
  return fd;
}

/**
 * The plaintext of the PF file on host fd `pfFd` in a new copy (newCopy). Throws the PF
 * module's errors (ProtectedFileError: EACCES for what fails authentication) as they come.
 */
export function decryptToCopy(pfFd: number, sealing: SealingOf, hostPath: string, mode: number): number {
  const pf = openSealed(pfFd, sealing);
  const copy = newCopy(hostPath, mode);
  try {
    const chunk = Buffer.allocUnsafe(Math.min(CHUNK, Math.max(pf.size, 1)));
    for (let at = 0; at < pf.size;) {
      const n = pf.readInto(chunk.subarray(0, Math.min(chunk.length, pf.size - at)), at);
      writeAll(copy, chunk.subarray(0, n), at, sealing.label);
      at += n;
    }
    chunk.fill(0);
    return copy;
  } catch (e) {
    host.close(copy);
    throw e;
  } finally {
    pf.close(); // nothing was changed: nothing is written
  }
}

/** The plaintext size of the PF file on host fd `pfFd` (its metadata node, authenticated). */
export function plaintextSize(pfFd: number, sealing: SealingOf): number {
  const pf = openSealed(pfFd, sealing);
  const size = pf.size;
  pf.close();
  return size;
}

function writeAll(fd: number, data: Buffer, at: number, label: string): void {
  for (let done = 0; done < data.length;) done += check(host.pwrite(fd, data.subarray(done), at + done), `write the copy of ${label}`);
}

/** The errno a failure of decryption or sealing means (a ProtectedFileError's, a SyscallError's; EIO else). */
export function errnoOfSealing(e: unknown): number {
  if (e instanceof SyscallError) return e.errno;
  if (e instanceof ProtectedFileError) return Errno[e.errno as keyof typeof Errno] ?? Errno.EIO;
  return Errno.EIO;
}

let sealings = 0;

/**
 * Encrypts copy `copyFd` (or nothing: an empty file) into a new PF file `name` of host directory
 * `dirFd`. It is written whole beside the old one under a scratch name, made durable, then
 * renamed over it: at every moment a crash could happen, `name` is a whole, valid PF file (the
 * old or the new). `replace` false: EEXIST if `name` is there (a create).
 */
export function sealCopy(copyFd: number | null, dirFd: number, name: string, sealing: SealingOf, mode: number, replace = true): void {
  // a dot name: `ls` does not show it while it lives; the pid and count keep writers apart
  const scratchName = `.gramine-ts-sealing-${process.pid}-${++sealings}`;
  const fd = check(host.openat(dirFd, scratchName, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode & 0o7777), `create a scratch file beside ${sealing.label}`);
  let placed = false;
  try {
    // a snapshot: later writes go with the next write-back
    const size = copyFd === null ? 0 : check(fileSize(copyFd), `fstat the copy of ${sealing.label}`);
    const options = { key: sealing.key, name: sealing.boundName, label: sealing.label, cipher: addonNodeCipher };
    ProtectedFile.createWhole(new FdStorage(fd), options, size, (target, at) => readCopy(copyFd!, target, at, sealing.label)).close();
    check(host.fsync(fd), `fsync ${sealing.label}`);
    check(host.renameat2(dirFd, scratchName, dirFd, name, replace ? 0 : RENAME_NOREPLACE), `place ${sealing.label}`);
    placed = true;
  } finally {
    host.close(fd);
    if (!placed) host.unlinkat(dirFd, scratchName, 0);
  }
}

/** Fills `target` from the copy at `at`; what the copy no longer has (cut short since the snapshot) is zeros. */
function readCopy(copyFd: number, target: Buffer, at: number, label: string): void {
  let done = 0;
  while (done < target.length) {
    const n = check(host.pread(copyFd, target.subarray(done), at + done), `read the copy of ${label}`);
    if (n === 0) break;
    done += n;
  }
  target.fill(0, done);
}
