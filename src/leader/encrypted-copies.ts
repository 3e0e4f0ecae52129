// The plaintext copies of the instance's encrypted files (libos/fs/encrypted/): one memfd per
// host file, held here while some process of the instance holds it, so that every process that
// opens the file gets a new open file description of the same copy (/proc/<leader>/fd/N) and
// sees the others' writes at once. The first worker to open a file decrypts it and offers its
// memfd; when the last process that held it has ended, it is written back and let go.
//
// Copies are known by mount and path inside it, not by the host file's dev:ino: a write-back
// replaces the host file by rename (a new inode), and the path is what the file is bound to.
// The leader makes every write-back (fsync, the end of a process that opened the file, the
// end of the instance): they are serialized by being made here, the leader has the key and
// outlives the processes, and a copy is written back even when its last opener was killed.
import { readdirSync, readFileSync } from 'node:fs';
import { host } from '../pal/host.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_DIRECTORY, O_PATH, O_RDWR } from '../pal/linux-abi.js';
import { Errno, errnoName, SyscallError } from '../libos/errno.js';
import type { Message } from '../ipc/protocol/messages.js';
import { boundNameOf, type EncryptedMount } from '../libos/fs/encrypted/mount-info.js';
import { errnoOfSealing, readKeyFile, sealCopy } from '../libos/fs/encrypted/seal.js';
import { ENCRYPTED_MEMFD_PREFIX } from '../libos/fs/scratch-names.js';

type Request = Message<'encrypted-request'>;
type Reply = Message<'encrypted-reply'>;
type MountMessage = Message<'instance-config'>['mounts'][number];

const RESOLVE_BENEATH = 0x08;
const RESOLVE_NO_SYMLINKS = 0x04;
/** the mode of a file written back whose host file has gone */
const DEFAULT_MODE = 0o600;

interface Copy {
  mount: MountMessage & { encrypted: EncryptedMount };
  rel: string;
  /** the leader's fd of the memfd */
  fd: number;
  /** "dev:ino" of the memfd */
  identity: string;
  /** the processes that opened it: each one's end writes it back */
  openers: Set<number>;
  /**
   * some open of it could change it (for writing, or O_TRUNC); until then every description of
   * the memfd is read-only (no write, ftruncate, or shared writable mapping), and a write-back
   * would only encrypt the same bytes again
   */
  written: boolean;
}

const statBuf = Buffer.alloc(144);

function identityIn(stat: Buffer): string {
  return `${stat.readBigUInt64LE(0)}:${stat.readBigUInt64LE(8)}`;
}

function identityOf(fd: number): string | null {
  return host.fstatat(fd, '', statBuf, AT_EMPTY_PATH) < 0 ? null : identityIn(statBuf);
}

/**
 * Whether host process `pid` has the memfd `identity` ("dev:ino") open or mapped (its
 * /proc/PID/fd and /proc/PID/maps; a process gone holds nothing). Only the entries that are
 * copies are looked at.
 */
function holdsFile(pid: number, identity: string): boolean {
  const copyName = `/memfd:${ENCRYPTED_MEMFD_PREFIX}`;
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return false;
  }
  const link = Buffer.alloc(4096);
  for (const fd of fds) {
    const at = `/proc/${pid}/fd/${fd}`;
    const n = host.readlinkat(AT_FDCWD, at, link);
    if (n > 0 && link.toString('latin1', 0, n).startsWith(copyName) && host.fstatat(AT_FDCWD, at, statBuf, 0) === 0 && identityIn(statBuf) === identity) return true;
  }
  const ino = identity.slice(identity.indexOf(':') + 1);
  try {
    // "address perms offset dev inode path": a mapping of a copy names it, with its inode
    return readFileSync(`/proc/${pid}/maps`, 'latin1').split('\n').some((l) => l.includes(copyName) && l.split(/\s+/)[4] === ino);
  } catch {
    return false;
  }
}

/** A path inside a mount as a worker may name it: relative, no "", "." or ".." component, no NUL. */
function validRel(rel: string): boolean {
  return rel !== '' && !rel.includes('\0') && rel.split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

export class EncryptedCopies {
  /** mount point + "\0" + path inside it -> the copy */
  private readonly byName = new Map<string, Copy>();
  /** the copy's "dev:ino" -> the copy (a fsync names the copy by a worker's fd of it) */
  private readonly byIdentity = new Map<string, Copy>();
  private readonly mounts = new Map<string, MountMessage & { encrypted: EncryptedMount }>();

  /** `keyFile`: the leader's fd of key `name` (null: none); `warn`: one line for the user. */
  constructor(
    mounts: readonly MountMessage[],
    private readonly keyFile: (name: string) => number | null,
    private readonly warn: (line: string) => void,
  ) {
    for (const m of mounts) if (m.encrypted !== null) this.mounts.set(m.path, { ...m, encrypted: m.encrypted });
  }

  /** The answer to worker `workerPid` (running process `vpid`); never throws for what a worker sends. */
  answer(workerPid: number, vpid: number, m: Request): Reply {
    const reply = (errno: number, path = ''): Reply => ({ type: 'encrypted-reply', v: 1, reqId: m.reqId, errno, path });
    if (m.op === 'sync') return reply(this.syncByFd(workerPid, m.fd));
    const mount = this.mounts.get(m.mount);
    if (!mount || !validRel(m.rel) || (m.op === 'rename' && !validRel(m.to))) return reply(Errno.EINVAL);
    const key = `${m.mount}\0${m.rel}`;
    const held = this.byName.get(key);
    switch (m.op) {
      case 'find':
        return reply(0, held ? this.pathOf(held) : '');
      case 'open':
        held?.openers.add(vpid);
        if (held && m.writable) held.written = true;
        return reply(0, held ? this.pathOf(held) : '');
      case 'offer': {
        const copy = held ?? this.take(workerPid, m.fd, mount, m.rel);
        if (typeof copy === 'number') return reply(copy);
        copy.openers.add(vpid);
        if (m.writable) copy.written = true;
        return reply(0, this.pathOf(copy));
      }
      case 'remove':
        if (held) this.forget(held);
        return reply(0);
      case 'rename': {
        const replaced = this.byName.get(`${m.mount}\0${m.to}`);
        if (replaced && replaced !== held) this.forget(replaced);
        if (!held) return reply(0);
        this.byName.delete(key);
        held.rel = m.to;
        this.byName.set(`${m.mount}\0${m.to}`, held);
        // the host file was renamed: it is bound to its new name by writing it back
        return reply(this.writeBack(held), this.pathOf(held));
      }
    }
  }

  /**
   * Process `vpid` has ended: the copies it opened are written back. A copy that no process of
   * the instance holds any more (`running`: their host pids) is let go once it is written back:
   * the next open decrypts the host file again. Openers are not all that may hold it: a forked
   * child inherits the fds, an fd can be sent, a mapping outlives its fd. `heirs`: children of
   * `vpid` that may have been forked but do not run yet, which hold what it opened meanwhile
   * (each is gone through here too, run or not).
   */
  exited(vpid: number, heirs: readonly number[], running: () => number[]): void {
    for (const copy of [...this.byName.values()]) {
      if (!copy.openers.delete(vpid)) continue;
      for (const heir of heirs) copy.openers.add(heir);
      const kept = copy.written ? this.writeBack(copy) === 0 : true;
      if (kept && copy.openers.size === 0 && !running().some((pid) => holdsFile(pid, copy.identity))) this.forget(copy);
    }
  }

  /** The instance ends: every copy is written back (before the leader exits). */
  writeBackAll(): void {
    for (const copy of this.byName.values()) if (copy.written) this.writeBack(copy);
  }

  dispose(): void {
    for (const copy of [...this.byName.values()]) this.forget(copy);
  }

  private pathOf(copy: Copy): string {
    return `/proc/${process.pid}/fd/${copy.fd}`;
  }

  /** Keep the worker's fd `fd` as the copy of `rel`, once it is seen to be a copy's memfd; or -errno. */
  private take(workerPid: number, fd: number, mount: Copy['mount'], rel: string): Copy | number {
    if (!Number.isSafeInteger(fd) || fd < 0) return Errno.EBADF;
    const copyFd = host.openat(AT_FDCWD, `/proc/${workerPid}/fd/${fd}`, O_RDWR | O_CLOEXEC, 0);
    if (copyFd < 0) return -copyFd;
    const link = Buffer.alloc(4096);
    const n = host.readlinkat(AT_FDCWD, `/proc/self/fd/${copyFd}`, link);
    const identity = identityOf(copyFd);
    if (n <= 0 || !link.toString('latin1', 0, n).startsWith(`/memfd:${ENCRYPTED_MEMFD_PREFIX}`) || identity === null) {
      host.close(copyFd);
      return Errno.EINVAL;
    }
    const copy: Copy = { mount, rel, fd: copyFd, identity, openers: new Set(), written: false };
    this.byName.set(`${mount.path}\0${rel}`, copy);
    this.byIdentity.set(identity, copy);
    return copy;
  }

  private forget(copy: Copy): void {
    this.byName.delete(`${copy.mount.path}\0${copy.rel}`);
    this.byIdentity.delete(copy.identity);
    host.close(copy.fd);
  }

  /** fsync of the worker's fd `fd`: the copy it is, written back (an unlinked file's: nothing to do); 0 or an errno. */
  private syncByFd(workerPid: number, fd: number): number {
    if (!Number.isSafeInteger(fd) || fd < 0) return Errno.EBADF;
    const probe = host.openat(AT_FDCWD, `/proc/${workerPid}/fd/${fd}`, O_PATH | O_CLOEXEC, 0);
    if (probe < 0) return -probe;
    const identity = identityOf(probe);
    host.close(probe);
    const copy = identity === null ? undefined : this.byIdentity.get(identity);
    return copy?.written ? this.writeBack(copy) : 0;
  }

  /** Encrypts the copy into its host file (seal.ts: a whole new PF file renamed over it); 0 or an errno, said once. */
  private writeBack(copy: Copy): number {
    const { mount, rel } = copy;
    const label = `${mount.path}/${rel} (host file ${mount.source}/${rel})`;
    const keyFd = this.keyFile(mount.encrypted.keyName);
    const key = keyFd === null ? null : readKeyFile(keyFd);
    if (key === null) {
      this.warn(`encrypted file ${label}: not written back: the key ${mount.encrypted.keyName} is not set`);
      return Errno.EACCES;
    }
    const slash = rel.lastIndexOf('/');
    const name = rel.slice(slash + 1);
    const root = host.openat(AT_FDCWD, mount.socketRoot, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    const dir = root < 0 || slash < 0 ? root : host.openat2(root, rel.slice(0, slash), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS);
    if (root >= 0 && dir !== root) host.close(root);
    try {
      if (dir < 0) throw new SyscallError(-dir, `open the directory of ${label}`);
      const mode = host.fstatat(dir, name, statBuf, AT_SYMLINK_NOFOLLOW) === 0 ? statBuf.readUInt32LE(24) : DEFAULT_MODE;
      sealCopy(copy.fd, dir, name, { key, boundName: boundNameOf(mount.encrypted, rel), label }, mode);
      return 0;
    } catch (e) {
      const errno = errnoOfSealing(e);
      this.warn(`encrypted file ${label}: write-back failed (${errnoName(errno)}): ${e instanceof Error ? e.message : String(e)}`);
      return errno;
    } finally {
      key.fill(0);
      if (dir >= 0) host.close(dir);
    }
  }
}
