// POSIX message queues of the instance: names private to it. Each queue is a host queue the
// leader made under a random name and unlinked at once: nothing of it is left on the host when
// the leader is gone, whatever ended it. The leader holds one descriptor of it for as long as
// the name exists; a worker reopens that (through /proc/<leader>/fd) for mq_open, with the
// app's flags, and the app then sends and receives natively on its own descriptor.
import { randomBytes } from 'node:crypto';
import { host } from '../pal/host.js';
import { Errno } from '../libos/errno.js';
import { ipcAccess, type IpcCaller } from './sysv-perm.js';

const O_ACCMODE = 3;
const O_CREAT = 0o100;
const O_EXCL = 0o200;
const O_RDWR = 2;
const O_CLOEXEC = 0o2000000;
const NAME_MAX = 255;
/** queues at once (Linux's default queues_max is 256 per user) */
const QUEUES_MAX = 256;

interface Queue {
  fd: number;
  uid: number;
  gid: number;
  mode: number;
}

export class PosixMq {
  private readonly byName = new Map<string, Queue>();

  /**
   * mq_open: the host path of the queue's descriptor for the worker to reopen, or -errno.
   * `attr` is [maxmsg, msgsize] for a new queue, or null for the host's defaults.
   */
  open(caller: IpcCaller, name: string, flags: number, mode: number, attr: number[] | null): string | number {
    const bad = checkName(name);
    if (bad) return bad;
    const q = this.byName.get(name);
    if (q) {
      if ((flags & O_CREAT) && (flags & O_EXCL)) return -Errno.EEXIST;
      const acc = flags & O_ACCMODE;
      const want = acc === 0 ? 0o444 : acc === 1 ? 0o222 : 0o666;
      if (acc === O_ACCMODE || !ipcAccess({ key: 0, uid: q.uid, gid: q.gid, cuid: q.uid, cgid: q.gid, mode: q.mode, seq: 0 }, caller, want)) {
        return acc === O_ACCMODE ? -Errno.EINVAL : -Errno.EACCES;
      }
      return this.path(q);
    }
    if (!(flags & O_CREAT)) return -Errno.ENOENT;
    if (this.byName.size >= QUEUES_MAX) return -Errno.ENOSPC;
    const hostName = `gramine-ts-${process.pid}-${randomBytes(12).toString('hex')}`;
    let attrBuf: Buffer | null = null;
    if (attr) {
      attrBuf = Buffer.alloc(64); // struct mq_attr: flags, maxmsg, msgsize, curmsgs (longs)
      attrBuf.writeBigInt64LE(BigInt(attr[0] ?? 0), 8);
      attrBuf.writeBigInt64LE(BigInt(attr[1] ?? 0), 16);
    }
    const fd = host.mqOpen(hostName, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600, attrBuf);
    if (fd < 0) return fd;
    host.mqUnlink(hostName);
    const created: Queue = { fd, uid: caller.euid, gid: caller.egid, mode: mode & 0o777 };
    this.byName.set(name, created);
    return this.path(created);
  }

  /** mq_unlink: the name is gone at once; the queue lives on while anyone has it open. */
  unlink(caller: IpcCaller, name: string): number {
    const bad = checkName(name);
    if (bad) return bad;
    const q = this.byName.get(name);
    if (!q) return -Errno.ENOENT;
    // the queues' directory is sticky and world-writable, as Linux's mqueue root
    if (caller.euid !== 0 && caller.euid !== q.uid) return -Errno.EACCES;
    this.byName.delete(name);
    host.close(q.fd);
    return 0;
  }

  dispose(): void {
    for (const q of this.byName.values()) host.close(q.fd);
    this.byName.clear();
  }

  private path(q: Queue): string {
    return `/proc/${process.pid}/fd/${q.fd}`;
  }
}

/** Linux's checks of a name (glibc has taken its leading "/" off). */
function checkName(name: string): number {
  if (name.length === 0) return -Errno.ENOENT;
  if (name.includes('/') || name === '.' || name === '..') return -Errno.EACCES;
  if (Buffer.byteLength(name, 'latin1') > NAME_MAX) return -Errno.ENAMETOOLONG;
  return 0;
}
