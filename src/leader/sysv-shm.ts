// System V shared memory of the instance: keys and ids private to it (another instance, or the
// host, using the same key sees its own segment), permissions by the virtual ids. The data
// plane is host memory: each segment is a memfd the leader holds for as long as the segment
// exists; a worker reopens it (through /proc/<leader>/fd) for its stub, which maps it into
// the app. Attachment counts are the leader's bookkeeping: attach and detach as the stubs tell,
// a fork's child inheriting its parent's, an exit dropping them (an exec's stub tells of each).
import { host } from '../pal/host.js';
import { MFD_CLOEXEC } from '../pal/linux-abi.js';
import { Errno } from '../libos/errno.js';
import { ipcAccess, isOwner, type IpcCaller, type IpcPerm } from './sysv-perm.js';
import { IPC_CREAT, IPC_EXCL, IPC_PRIVATE, SHM_DEST, SHMMNI } from '../pal/sysv-abi.js';

const SHMMIN = 1;
/** as Linux's default SHMMAX (ULONG_MAX - 2^24), cut to what a JS number holds exactly */
const SHMMAX = Number.MAX_SAFE_INTEGER;
/** segments at once (Linux's SHMMNI) */
const IDX_BITS = 15; // Linux's ipc ids: seq * 32768 + index

export interface ShmSegment extends IpcPerm {
  readonly id: number;
  readonly size: number;
  readonly memfd: number;
  cpid: number;
  lpid: number;
  atime: number;
  dtime: number;
  ctime: number;
  /** IPC_RMID was asked while attached: gone at the last detach */
  destroyed: boolean;
}

/** What IPC_STAT reports of a segment (struct shmid64_ds). */
export interface ShmStat {
  key: number; uid: number; gid: number; cuid: number; cgid: number; mode: number; seq: number;
  size: number; atime: number; dtime: number; ctime: number; cpid: number; lpid: number; nattch: number;
}

const now = () => Math.floor(Date.now() / 1000);

export class SysvShm {
  private readonly byId = new Map<number, ShmSegment>();
  private readonly byKey = new Map<number, ShmSegment>();
  /** vpid -> segment id -> attachments */
  private readonly attached = new Map<number, Map<number, number>>();
  private seq = 0;

  /** shmget: the id of the segment of `key` (made if asked), or -errno. */
  get(caller: IpcCaller, key: number, size: number, flags: number): number {
    const existing = key === IPC_PRIVATE ? undefined : this.byKey.get(key);
    if (existing) {
      if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return -Errno.EEXIST;
      if (!ipcAccess(existing, caller, flags & 0o777)) return -Errno.EACCES;
      if (size > existing.size) return -Errno.EINVAL;
      return existing.id;
    }
    if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -Errno.ENOENT;
    if (size < SHMMIN || size > SHMMAX) return -Errno.EINVAL;
    if (this.byId.size >= SHMMNI) return -Errno.ENOSPC;
    const memfd = host.memfdCreate('gramine-ts SYSV shm', MFD_CLOEXEC);
    if (memfd < 0) return memfd;
    const r = host.ftruncate(memfd, size);
    if (r < 0) {
      host.close(memfd);
      return r;
    }
    const id = this.newId();
    const seg: ShmSegment = {
      id, key, size, memfd, uid: caller.euid, gid: caller.egid, cuid: caller.euid, cgid: caller.egid,
      mode: flags & 0o777, seq: id >> IDX_BITS, cpid: caller.vpid, lpid: 0, atime: 0, dtime: 0, ctime: now(), destroyed: false,
    };
    this.byId.set(id, seg);
    if (key !== IPC_PRIVATE) this.byKey.set(key, seg);
    return id;
  }

  /** shmat: the host path of the segment's memfd for the caller's worker to open, or -errno. */
  attach(caller: IpcCaller, id: number, readOnly: boolean): string | number {
    const seg = this.byId.get(id);
    if (!seg) return -Errno.EINVAL;
    if (!ipcAccess(seg, caller, readOnly ? 0o444 : 0o666)) return -Errno.EACCES;
    this.count(caller.vpid, id, 1);
    seg.lpid = caller.vpid;
    seg.atime = now();
    return `/proc/${process.pid}/fd/${seg.memfd}`;
  }

  /** shmdt of a segment the caller's stub had attached. */
  detach(vpid: number, id: number): void {
    const seg = this.byId.get(id);
    if (!seg || !this.count(vpid, id, -1)) return;
    seg.lpid = vpid;
    seg.dtime = now();
    this.collect(seg);
  }

  /** A fork: the child has its parent's attachments. */
  forked(parent: number, child: number): void {
    const of = this.attached.get(parent);
    if (of) this.attached.set(child, new Map(of));
  }

  /** An exit or an exec: the process has nothing attached any more. */
  detachAll(vpid: number): void {
    const of = this.attached.get(vpid);
    this.attached.delete(vpid);
    for (const id of of?.keys() ?? []) {
      const seg = this.byId.get(id);
      if (seg) this.collect(seg);
    }
  }

  stat(caller: IpcCaller, id: number, any: boolean): ShmStat | number {
    const seg = this.byId.get(id);
    if (!seg) return -Errno.EINVAL;
    if (!any && !ipcAccess(seg, caller, 0o444)) return -Errno.EACCES;
    return {
      key: seg.key, uid: seg.uid, gid: seg.gid, cuid: seg.cuid, cgid: seg.cgid, mode: seg.mode | (seg.destroyed ? SHM_DEST : 0),
      seq: seg.seq, size: seg.size, atime: seg.atime, dtime: seg.dtime, ctime: seg.ctime, cpid: seg.cpid, lpid: seg.lpid,
      nattch: this.nattch(id),
    };
  }

  /** IPC_SET: new owner and mode bits, by the owner, the creator or root. */
  set(caller: IpcCaller, id: number, uid: number, gid: number, mode: number): number {
    const seg = this.byId.get(id);
    if (!seg) return -Errno.EINVAL;
    if (!isOwner(seg, caller)) return -Errno.EPERM;
    seg.uid = uid;
    seg.gid = gid;
    seg.mode = mode & 0o777;
    seg.ctime = now();
    return 0;
  }

  /** IPC_RMID: the key is free at once; the memory goes with the last detach. */
  remove(caller: IpcCaller, id: number): number {
    const seg = this.byId.get(id);
    if (!seg) return -Errno.EINVAL;
    if (!isOwner(seg, caller)) return -Errno.EPERM;
    if (this.byKey.get(seg.key) === seg) this.byKey.delete(seg.key);
    seg.destroyed = true;
    seg.key = IPC_PRIVATE;
    seg.ctime = now();
    this.collect(seg);
    return 0;
  }

  /** Every segment (for /proc/sysvipc/shm and SHM_INFO), by id. */
  list(): { seg: ShmSegment; nattch: number }[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id).map((seg) => ({ seg, nattch: this.nattch(seg.id) }));
  }

  /** The instance ends: every memfd is let go. */
  dispose(): void {
    for (const seg of this.byId.values()) host.close(seg.memfd);
    this.byId.clear();
    this.byKey.clear();
  }

  private newId(): number {
    for (;;) {
      const idx = this.seq % SHMMNI;
      const id = (Math.floor(this.seq / SHMMNI) % 0x10000) * (1 << IDX_BITS) + idx;
      this.seq++;
      if (!this.byId.has(id)) return id;
    }
  }

  private nattch(id: number): number {
    let n = 0;
    for (const of of this.attached.values()) n += of.get(id) ?? 0;
    return n;
  }

  /** Add `delta` to the attachments of `vpid` to `id`; false if it had none to take away. */
  private count(vpid: number, id: number, delta: number): boolean {
    let of = this.attached.get(vpid);
    if (!of) this.attached.set(vpid, (of = new Map()));
    const n = (of.get(id) ?? 0) + delta;
    if (n < 0) return false;
    if (n === 0) of.delete(id);
    else of.set(id, n);
    if (!of.size) this.attached.delete(vpid);
    return true;
  }

  /** A removed segment nobody has attached is gone. */
  private collect(seg: ShmSegment): void {
    if (!seg.destroyed || this.nattch(seg.id) > 0 || !this.byId.has(seg.id)) return;
    this.byId.delete(seg.id);
    host.close(seg.memfd);
  }
}
