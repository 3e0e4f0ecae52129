// System V semaphore sets of the instance: keys and ids private to it, values, the pid of the
// last operation (a vpid) and SEM_UNDO adjustments kept here. A semop is all or nothing: made
// at once, refused (IPC_NOWAIT: EAGAIN), or left to wait. A waiter is not queued with its
// operations: it is told when the set changes (wake) and its stub tries the whole semop again,
// so a signal or a timeout that ends the wait needs no word to the leader.
import { Errno } from '../libos/errno.js';
import { ipcAccess, isOwner, type IpcCaller, type IpcPerm } from './sysv-perm.js';
import { Waiters } from './sysv-waiters.js';
import { IPC_CREAT, IPC_EXCL, IPC_ID_SEQ as IDX, IPC_NOWAIT, IPC_PRIVATE, SEM_UNDO, SEMMNI, SEMMSL, SEMOPM, SEMVMX } from '../pal/sysv-abi.js';

/** semaphores in all sets at once: the leader's memory, whatever a process asks (Linux's SEMMNS is the same bound) */
const SEMMNS = 1_000_000;

export interface SemOp {
  num: number;
  op: number;
  flg: number;
}

/** Someone waiting for a set to change: told once, then forgotten. */
export interface SemWaiter {
  vpid: number;
  /** the semaphore it waits on, and whether for zero (semzcnt) or for more (semncnt) */
  num: number;
  forZero: boolean;
  wake: () => void;
}

export interface SemSet extends IpcPerm {
  readonly id: number;
  readonly values: number[];
  readonly pids: number[];
  otime: number;
  ctime: number;
  waiters: Waiters<SemWaiter>;
}

/** The outcome of a semop: done, an error, or a wait (the caller is woken at the next change). */
export type SemopResult = { done: true } | { errno: number } | { wait: true };

const now = () => Math.floor(Date.now() / 1000);

export class SysvSem {
  private readonly byId = new Map<number, SemSet>();
  private readonly byKey = new Map<number, SemSet>();
  /** vpid -> set id -> per-semaphore adjustments applied when the process exits */
  private readonly undo = new Map<number, Map<number, Map<number, number>>>();
  private seq = 0;
  /** semaphores in all sets */
  private semaphores = 0;

  get(caller: IpcCaller, key: number, nsems: number, flags: number): number {
    const existing = key === IPC_PRIVATE ? undefined : this.byKey.get(key);
    if (existing) {
      if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return -Errno.EEXIST;
      if (!ipcAccess(existing, caller, flags & 0o777)) return -Errno.EACCES;
      if (nsems > existing.values.length) return -Errno.EINVAL;
      return existing.id;
    }
    if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -Errno.ENOENT;
    if (nsems <= 0 || nsems > SEMMSL) return -Errno.EINVAL;
    if (this.byId.size >= SEMMNI || this.semaphores + nsems > SEMMNS) return -Errno.ENOSPC;
    let id: number;
    do id = Math.floor(this.seq / SEMMNI) % 0x10000 * IDX + (this.seq++ % SEMMNI); while (this.byId.has(id));
    const set: SemSet = {
      id, key, uid: caller.euid, gid: caller.egid, cuid: caller.euid, cgid: caller.egid, mode: flags & 0o777,
      seq: Math.floor(id / IDX), values: new Array<number>(nsems).fill(0), pids: new Array<number>(nsems).fill(0),
      otime: 0, ctime: now(), waiters: new Waiters(),
    };
    this.semaphores += nsems;
    this.byId.set(id, set);
    if (key !== IPC_PRIVATE) this.byKey.set(key, set);
    return id;
  }

  /** semop/semtimedop: all of `ops` at once, or none. `wake` is kept if the caller must wait. */
  op(caller: IpcCaller, id: number, ops: SemOp[], wake: () => void): SemopResult {
    const set = this.byId.get(id);
    if (!set) return { errno: Errno.EINVAL };
    if (ops.length === 0 || ops.length > SEMOPM) return { errno: ops.length ? Errno.E2BIG : Errno.EINVAL };
    if (ops.some((o) => o.num < 0 || o.num >= set.values.length)) return { errno: Errno.EFBIG };
    const alters = ops.some((o) => o.op !== 0);
    if (!ipcAccess(set, caller, alters ? 0o222 : 0o444)) return { errno: Errno.EACCES };
    const values = [...set.values];
    for (const o of ops) {
      const v = values[o.num]!;
      if (o.op === 0 ? v !== 0 : v + o.op < 0) {
        if (o.flg & IPC_NOWAIT) return { errno: Errno.EAGAIN };
        set.waiters.add({ vpid: caller.vpid, num: o.num, forZero: o.op === 0, wake });
        return { wait: true };
      }
      if (v + o.op > SEMVMX) return { errno: Errno.ERANGE };
      values[o.num] = v + o.op;
    }
    for (const o of ops) {
      set.pids[o.num] = caller.vpid;
      if ((o.flg & SEM_UNDO) && o.op !== 0) this.adjust(caller.vpid, id, o.num, -o.op);
    }
    values.forEach((v, i) => (set.values[i] = v));
    set.otime = now();
    if (alters) this.changed(set);
    return { done: true };
  }

  /** The process is gone: its SEM_UNDO adjustments are made (clamped at 0, as Linux's). */
  exited(vpid: number): void {
    const sets = this.undo.get(vpid);
    this.undo.delete(vpid);
    for (const [id, adj] of sets ?? []) {
      const set = this.byId.get(id);
      if (!set) continue;
      for (const [num, d] of adj) {
        set.values[num] = Math.min(SEMVMX, Math.max(0, set.values[num]! + d));
        set.pids[num] = vpid;
      }
      this.changed(set);
    }
  }

  /** GETVAL, GETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT: read access. */
  readable(caller: IpcCaller, id: number, any = false): SemSet | number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    return any || ipcAccess(set, caller, 0o444) ? set : -Errno.EACCES;
  }

  /** SETVAL (num >= 0) or SETALL (num -1): write access; undo adjustments of those semaphores are dropped. */
  setValues(caller: IpcCaller, id: number, num: number, values: number[]): number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (num >= set.values.length || (num < 0 && values.length < set.values.length)) return -Errno.EINVAL;
    if (values.some((v) => v < 0 || v > SEMVMX)) return -Errno.ERANGE;
    if (!ipcAccess(set, caller, 0o222)) return -Errno.EACCES;
    const nums = num >= 0 ? [num] : set.values.map((_, i) => i);
    for (const [i, n] of nums.entries()) {
      set.values[n] = num >= 0 ? values[0]! : values[i]!;
      set.pids[n] = caller.vpid;
      for (const sets of this.undo.values()) sets.get(id)?.delete(n);
    }
    set.ctime = now();
    this.changed(set);
    return 0;
  }

  /** GETNCNT, GETZCNT: the waiters for semaphore `num`. */
  waiting(set: SemSet, num: number, forZero: boolean): number {
    return set.waiters.count((w) => w.num === num && w.forZero === forZero);
  }

  setPerm(caller: IpcCaller, id: number, uid: number, gid: number, mode: number): number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (!isOwner(set, caller)) return -Errno.EPERM;
    set.uid = uid;
    set.gid = gid;
    set.mode = mode & 0o777;
    set.ctime = now();
    return 0;
  }

  /** IPC_RMID: gone at once; its waiters wake to find it gone (EIDRM, as Linux tells a waiter). */
  remove(caller: IpcCaller, id: number): number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (!isOwner(set, caller)) return -Errno.EPERM;
    this.byId.delete(id);
    this.semaphores -= set.values.length;
    if (this.byKey.get(set.key) === set) this.byKey.delete(set.key);
    for (const sets of this.undo.values()) sets.delete(id);
    this.changed(set);
    return 0;
  }

  list(): SemSet[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  private adjust(vpid: number, id: number, num: number, d: number): void {
    let sets = this.undo.get(vpid);
    if (!sets) this.undo.set(vpid, (sets = new Map()));
    let adj = sets.get(id);
    if (!adj) sets.set(id, (adj = new Map()));
    const v = (adj.get(num) ?? 0) + d;
    if (v) adj.set(num, v);
    else adj.delete(num);
  }

  /** The set changed: every waiter tries again. */
  private changed(set: SemSet): void {
    set.waiters.wakeAll();
  }
}
