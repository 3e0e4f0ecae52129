// Changes to an encrypted mount's files by name (unlink, rename, truncate) and fsync of their
// copies: what the leader's copies and the PF files' name binding need beyond the host's call.
import { fileTypeAt, host, hostFdPath } from '../../../pal/host.js';
import { O_CLOEXEC, O_NOFOLLOW, O_RDWR, S_IFDIR, S_IFREG } from '../../../pal/linux-abi.js';
import type { ProtectedFile } from '../../../protected-files/index.js';
import { check, Errno, SyscallError } from '../../errno.js';
import type { LibosProcess } from '../../process.js';
import { atLocation } from '../host-fs.js';
import { ENCRYPTED_MEMFD_PREFIX } from '../scratch-names.js';
import { openEncrypted, relOf, sealingOf, type EncryptedLocation } from './files.js';
import { boundNameOf } from './mount-info.js';
import { errnoOfSealing, openSealed } from './seal.js';

const RENAME_NOREPLACE = 1;
const O_WRONLY = 1;

/** After the host unlinked file `loc`: the leader's copy of it is dropped (open fds keep theirs). */
export async function unlinkedEncrypted(proc: LibosProcess, loc: EncryptedLocation, result: number): Promise<number> {
  await proc.instance.encryptedCopy(proc, 'remove', loc.mount.path, relOf(loc), '', -1);
  return result;
}

/**
 * rename within an encrypted mount: a PF file is bound to its path, so the file is re-bound to
 * the new one (Gramine re-binds on rename too): by the leader's write-back of its copy when it
 * holds one, else here, by rewriting its metadata node (ProtectedFile.rename) through an fd
 * opened before the host rename. A directory is EXDEV: every file below it would need
 * re-binding (mv then copies, as across mounts); symlinks and the like are refused (EACCES).
 */
export async function renameEncrypted(
  proc: LibosProcess, from: EncryptedLocation, to: EncryptedLocation, flags: number, renameOnHost: () => number,
): Promise<number> {
  if (flags & ~RENAME_NOREPLACE) throw new SyscallError(Errno.EINVAL, `rename ${from.vpath}: flags ${flags} in an encrypted mount`);
  const type = atLocation(from, fileTypeAt);
  if (type === S_IFDIR) throw new SyscallError(Errno.EXDEV, `rename ${from.vpath}: a directory of an encrypted mount (its files are bound to their paths)`);
  if (type >= 0 && type !== S_IFREG) throw new SyscallError(Errno.EACCES, `rename ${from.vpath}: not supported in an encrypted mount`);
  const [rel, toRel] = [relOf(from), relOf(to)];
  const held = type >= 0 && (await proc.instance.encryptedCopy(proc, 'find', from.mount.path, rel, '', -1)) !== '';
  if (type < 0 || held) {
    const r = renameOnHost();
    await proc.instance.encryptedCopy(proc, 'rename', from.mount.path, rel, toRel, -1);
    return r;
  }
  const sealing = await sealingOf(proc, from);
  const fd = atLocation(from, (d, n) => check(host.openat(d, n, O_RDWR | O_NOFOLLOW | O_CLOEXEC, 0), `rename ${from.vpath}`));
  try {
    let pf: ProtectedFile;
    try {
      pf = openSealed(fd, sealing);
    } catch (e) {
      proc.log.warn(`encrypted file refused: ${e instanceof Error ? e.message : String(e)}`);
      throw new SyscallError(errnoOfSealing(e), `rename ${from.vpath}: a damaged encrypted file`);
    }
    try {
      const r = renameOnHost();
      pf.rename(boundNameOf(to.mount.encrypted, toRel));
      // a copy of a file the rename replaced is dropped
      await proc.instance.encryptedCopy(proc, 'rename', from.mount.path, rel, toRel, -1);
      return r;
    } finally {
      pf.close();
    }
  } finally {
    host.close(fd);
    sealing.key.fill(0);
  }
}

/** truncate by path: the file's copy is cut or grown (made if need be) and written back. */
export async function truncateEncrypted(proc: LibosProcess, loc: EncryptedLocation, length: number): Promise<number> {
  if (length < 0) throw new SyscallError(Errno.EINVAL, `truncate ${loc.vpath} to ${length}`);
  const fd = await openEncrypted(proc, loc, O_WRONLY, 0);
  try {
    check(host.ftruncate(fd, length), `truncate ${loc.vpath}`);
    await proc.instance.encryptedCopy(proc, 'sync', '', '', '', fd);
    return 0;
  } finally {
    host.close(fd);
  }
}

/** Is worker fd `fd` an encrypted file's plaintext copy? */
export function isPlaintextCopy(fd: number): boolean {
  return hostFdPath(fd).startsWith(`/memfd:${ENCRYPTED_MEMFD_PREFIX}`);
}

/**
 * fsync and fdatasync (trapped: native/stub/seccomp.c): an encrypted file's copy is written
 * back by the leader; anything else is synced as it would be natively, through the worker's
 * copy of the fd (the same open file description).
 */
export function syncAppFd(proc: LibosProcess, appFd: number, dataOnly: boolean): number | Promise<number> {
  const fd = proc.hostFdFor(appFd);
  if (isPlaintextCopy(fd)) {
    return proc.instance.encryptedCopy(proc, 'sync', '', '', '', fd).then(() => 0).finally(() => host.close(fd));
  }
  try {
    return check(dataOnly ? host.fdatasync(fd) : host.fsync(fd), `${dataOnly ? 'fdatasync' : 'fsync'} ${appFd}`);
  } finally {
    host.close(fd);
  }
}
