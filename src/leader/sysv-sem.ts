// System V semaphore sets of the instance: keys and ids private to it, permissions and SEM_UNDO
// adjustments kept here. The values live in host shared memory (one memfd per set, laid out as
// native/stub/abi.h's struct gts_sem_set), so that the stubs make most semops themselves under
// the set's lock and wait on its seq futex; the leader makes the rest (SEM_UNDO, semctl, a
// process's first semop on a set) under the same lock. The app can write that memory: every
// value read here is clamped, and a lock held by a process that is gone is taken from it. A
// lock a live process holds is held for a few instructions, unless the app is hostile; the
// leader does not wait for it (it must not stop), but tries again a little later, less and
// less often.
import { Errno } from '../libos/errno.js';
import { host } from '../pal/host.js';
import { MFD_CLOEXEC } from '../pal/linux-abi.js';
import { ipcAccess, isOwner, type IpcCaller, type IpcPerm } from './sysv-perm.js';
import {
  SEM_LEADER, SEM_LOCK_WAITED, SEM_MAY_ALTER, SEM_MAY_READ, SEM_OFFSETS, SEM_SET_OFFSETS, SEM_SET_SIZE, SEM_SIZE,
} from '../pal/channel-abi.js';
import { IPC_CREAT, IPC_EXCL, IPC_ID_SEQ as IDX, IPC_NOWAIT, IPC_PRIVATE, SEM_UNDO, SEMMNI, SEMMSL, SEMOPM, SEMVMX } from '../pal/sysv-abi.js';

/** semaphores in all sets at once (Linux's SEMMNS is the same bound) */
const SEMMNS = 1_000_000;
/** Linux's bound on one semaphore's SEM_UNDO adjustment */
const SEMAEM = SEMVMX;
const PAGE = 4096;
/** the leader's tries for a lock a live process holds: again after these many ms, the last repeated */
const RETRY_MS = [0, 1, 2, 5, 10, 20, 50, 100];

const W = (byteOffset: number) => byteOffset / 4;
const LOCK = W(SEM_SET_OFFSETS.lock);
const SEQ = W(SEM_SET_OFFSETS.seq);
const REMOVED = W(SEM_SET_OFFSETS.removed);
const GEN = W(SEM_SET_OFFSETS.gen);
const WAITERS = W(SEM_SET_OFFSETS.waiters);
const HOLDER_MASK = ~SEM_LOCK_WAITED;

export interface SemOp {
  num: number;
  op: number;
  flg: number;
}

export interface SemSet extends IpcPerm {
  readonly id: number;
  readonly nsems: number;
  readonly memfd: number;
  /** the shared memory, as 32-bit words */
  readonly mem: Int32Array;
  ctime: number;
}

/** The outcome of a semop: done, an error, or a wait for the set's seq to change (at operation `blocked`). */
export type SemopResult = { done: true } | { errno: number } | { wait: true; seq: number; blocked: number };

/** What a stub needs to map a set and make semops on it itself. */
export interface SemGrant {
  path: string;
  gen: number;
  access: number;
  nsems: number;
}

const now = () => Math.floor(Date.now() / 1000);
const word = (set: SemSet, n: number, field: keyof typeof SEM_OFFSETS) => W(SEM_SET_SIZE + n * SEM_SIZE + SEM_OFFSETS[field]);
const clamp = (v: number, hi: number) => Math.min(hi, Math.max(0, v));

export class SysvSem {
  private readonly byId = new Map<number, SemSet>();
  private readonly byKey = new Map<number, SemSet>();
  /** vpid -> set id -> per-semaphore adjustments applied when the process exits */
  private readonly undo = new Map<number, Map<number, Map<number, number>>>();
  private seq = 0;
  /** semaphores in all sets */
  private semaphores = 0;

  /** `alive(vpid)`: the process runs (a lock it holds will be let go) */
  constructor(private readonly alive: (vpid: number) => boolean) {}

  get(caller: IpcCaller, key: number, nsems: number, flags: number): number {
    const existing = key === IPC_PRIVATE ? undefined : this.byKey.get(key);
    if (existing) {
      if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return -Errno.EEXIST;
      if (!ipcAccess(existing, caller, flags & 0o777)) return -Errno.EACCES;
      if (nsems > existing.nsems) return -Errno.EINVAL;
      return existing.id;
    }
    if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -Errno.ENOENT;
    if (nsems <= 0 || nsems > SEMMSL) return -Errno.EINVAL;
    if (this.byId.size >= SEMMNI || this.semaphores + nsems > SEMMNS) return -Errno.ENOSPC;
    const mem = this.sharedMemory(nsems);
    if (typeof mem === 'number') return mem === -Errno.EMFILE || mem === -Errno.ENFILE ? -Errno.ENOSPC : mem;
    let id: number;
    do id = Math.floor(this.seq / SEMMNI) % 0x10000 * IDX + (this.seq++ % SEMMNI); while (this.byId.has(id));
    const set: SemSet = {
      id, key, uid: caller.euid, gid: caller.egid, cuid: caller.euid, cgid: caller.egid, mode: flags & 0o777,
      seq: Math.floor(id / IDX), nsems, ...mem, ctime: now(),
    };
    this.semaphores += nsems;
    this.byId.set(id, set);
    if (key !== IPC_PRIVATE) this.byKey.set(key, set);
    return id;
  }

  /** What the caller may do with the set, and the host path its worker opens to map it; or -errno. */
  grant(caller: IpcCaller, id: number): SemGrant | number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    const access = (ipcAccess(set, caller, 0o444) ? SEM_MAY_READ : 0) | (ipcAccess(set, caller, 0o222) ? SEM_MAY_ALTER : 0);
    if (!access) return -Errno.EACCES;
    return { path: `/proc/${process.pid}/fd/${set.memfd}`, gen: Atomics.load(set.mem, GEN), access, nsems: set.nsems };
  }

  /** semop/semtimedop made here: all of `ops` at once, or none, or a wait. */
  op(caller: IpcCaller, id: number, ops: SemOp[]): SemopResult | Promise<SemopResult> {
    const set = this.byId.get(id);
    if (!set) return { errno: Errno.EINVAL };
    if (ops.length === 0 || ops.length > SEMOPM) return { errno: ops.length ? Errno.E2BIG : Errno.EINVAL };
    if (ops.some((o) => o.num < 0 || o.num >= set.nsems)) return { errno: Errno.EFBIG };
    const alters = ops.some((o) => o.op !== 0);
    if (!ipcAccess(set, caller, alters ? 0o222 : 0o444)) return { errno: Errno.EACCES };
    return this.locked(id, { errno: Errno.EIDRM }, (s) => this.opLocked(s, caller.vpid, ops, alters));
  }

  private opLocked(set: SemSet, vpid: number, ops: SemOp[], alters: boolean): SemopResult {
    const values = new Map<number, number>();
    const undo = this.undo.get(vpid)?.get(set.id);
    for (const [i, o] of ops.entries()) {
      const v = values.get(o.num) ?? this.value(set, o.num);
      if (o.op === 0 ? v !== 0 : v + o.op < 0) {
        if (o.flg & IPC_NOWAIT) return { errno: Errno.EAGAIN };
        return { wait: true, seq: Atomics.load(set.mem, SEQ) >>> 0, blocked: i };
      }
      if (v + o.op > SEMVMX) return { errno: Errno.ERANGE };
      const adj = (undo?.get(o.num) ?? 0) - o.op;
      if ((o.flg & SEM_UNDO) && (adj < -SEMAEM - 1 || adj > SEMAEM)) return { errno: Errno.ERANGE };
      values.set(o.num, v + o.op);
    }
    for (const o of ops) {
      Atomics.store(set.mem, word(set, o.num, 'pid'), vpid);
      if ((o.flg & SEM_UNDO) && o.op !== 0) this.adjust(vpid, set.id, o.num, -o.op);
    }
    for (const [num, v] of values) Atomics.store(set.mem, word(set, num, 'value'), v);
    this.setOtime(set, now());
    if (alters) this.changed(set);
    return { done: true };
  }

  /** The process is gone: a lock it held is let go, and its SEM_UNDO adjustments made (clamped at 0, as Linux's). */
  exited(vpid: number): void {
    for (const set of this.byId.values()) {
      const c = Atomics.load(set.mem, LOCK);
      if ((c & HOLDER_MASK) === vpid && Atomics.compareExchange(set.mem, LOCK, c, 0) === c && (c & SEM_LOCK_WAITED)) {
        host.futexWake(set.mem.subarray(LOCK, LOCK + 1), 1);
      }
    }
    const sets = this.undo.get(vpid);
    this.undo.delete(vpid);
    for (const [id, adj] of sets ?? []) {
      void this.locked(id, undefined, (set) => {
        for (const [num, d] of adj) {
          Atomics.store(set.mem, word(set, num, 'value'), clamp(this.value(set, num) + d, SEMVMX));
          Atomics.store(set.mem, word(set, num, 'pid'), vpid);
        }
        this.changed(set);
      });
    }
  }

  /** GETVAL, GETALL, GETPID, GETNCNT, GETZCNT, IPC_STAT: read access. */
  readable(caller: IpcCaller, id: number, any = false): SemSet | number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    return any || ipcAccess(set, caller, 0o444) ? set : -Errno.EACCES;
  }

  value(set: SemSet, num: number): number {
    return clamp(Atomics.load(set.mem, word(set, num, 'value')), SEMVMX);
  }

  values(set: SemSet): number[] {
    return Array.from({ length: set.nsems }, (_, i) => this.value(set, i));
  }

  pid(set: SemSet, num: number): number {
    return clamp(Atomics.load(set.mem, word(set, num, 'pid')), 0x3fffffff);
  }

  otime(set: SemSet): number {
    const lo = set.mem[W(SEM_SET_OFFSETS.otime)]! >>> 0;
    const hi = set.mem[W(SEM_SET_OFFSETS.otime) + 1]!;
    return clamp(hi * 2 ** 32 + lo, Number.MAX_SAFE_INTEGER);
  }

  /** SETVAL (num >= 0) or SETALL (num -1): write access; undo adjustments of those semaphores are dropped. */
  setValues(caller: IpcCaller, id: number, num: number, values: number[]): number | Promise<number> {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (num >= set.nsems || (num < 0 && values.length < set.nsems)) return -Errno.EINVAL;
    if (values.some((v) => v < 0 || v > SEMVMX)) return -Errno.ERANGE;
    if (!ipcAccess(set, caller, 0o222)) return -Errno.EACCES;
    return this.locked(id, -Errno.EIDRM, (s) => {
      const nums = num >= 0 ? [num] : Array.from({ length: s.nsems }, (_, i) => i);
      for (const [i, n] of nums.entries()) {
        Atomics.store(s.mem, word(s, n, 'value'), num >= 0 ? values[0]! : values[i]!);
        Atomics.store(s.mem, word(s, n, 'pid'), caller.vpid);
        for (const sets of this.undo.values()) sets.get(id)?.delete(n);
      }
      s.ctime = now();
      this.changed(s);
      return 0;
    });
  }

  /** GETNCNT, GETZCNT: the threads waiting on semaphore `num` (as the stubs count them). */
  waiting(set: SemSet, num: number, forZero: boolean): number {
    return clamp(Atomics.load(set.mem, word(set, num, forZero ? 'zcnt' : 'ncnt')), 0x7fffffff);
  }

  /** IPC_SET; the stubs' mappings ask again (gen), their rights may have changed. */
  setPerm(caller: IpcCaller, id: number, uid: number, gid: number, mode: number): number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (!isOwner(set, caller)) return -Errno.EPERM;
    set.uid = uid;
    set.gid = gid;
    set.mode = mode & 0o777;
    set.ctime = now();
    Atomics.add(set.mem, GEN, 1);
    return 0;
  }

  /** IPC_RMID: gone at once; its waiters wake to find it removed (EIDRM, as Linux tells a waiter). */
  remove(caller: IpcCaller, id: number): number {
    const set = this.byId.get(id);
    if (!set) return -Errno.EINVAL;
    if (!isOwner(set, caller)) return -Errno.EPERM;
    this.byId.delete(id);
    this.semaphores -= set.nsems;
    if (this.byKey.get(set.key) === set) this.byKey.delete(set.key);
    for (const sets of this.undo.values()) sets.delete(id);
    Atomics.store(set.mem, REMOVED, 1);
    this.changed(set);
    host.close(set.memfd);
    return 0;
  }

  list(): SemSet[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  /** The instance ends: every memfd is let go. */
  dispose(): void {
    for (const set of this.byId.values()) host.close(set.memfd);
    this.byId.clear();
    this.byKey.clear();
  }

  private sharedMemory(nsems: number): { memfd: number; mem: Int32Array } | number {
    const size = Math.ceil((SEM_SET_SIZE + nsems * SEM_SIZE) / PAGE) * PAGE;
    const memfd = host.memfdCreate('gramine-ts SYSV sem', MFD_CLOEXEC);
    if (memfd < 0) return memfd;
    const r = host.ftruncate(memfd, size);
    const buf = r < 0 ? r : host.mapShared(memfd, size);
    if (typeof buf === 'number') {
      host.close(memfd);
      return buf;
    }
    return { memfd, mem: new Int32Array(buf) };
  }

  private setOtime(set: SemSet, t: number): void {
    set.mem[W(SEM_SET_OFFSETS.otime)] = t % 2 ** 32;
    set.mem[W(SEM_SET_OFFSETS.otime) + 1] = Math.floor(t / 2 ** 32);
  }

  /**
   * `fn` made with set `id`'s lock held, now if it is free (or its holder is gone), else a
   * little later; `missing` if the set is gone by then.
   */
  private locked<T>(id: number, missing: T, fn: (set: SemSet) => T): T | Promise<T> {
    const attempt = (): { ok: T } | null => {
      const set = this.byId.get(id);
      if (!set) return { ok: missing };
      if (!this.tryLock(set)) return null;
      try {
        return { ok: fn(set) };
      } finally {
        const old = Atomics.exchange(set.mem, LOCK, 0);
        if (old & SEM_LOCK_WAITED) host.futexWake(set.mem.subarray(LOCK, LOCK + 1), 1);
      }
    };
    const now = attempt();
    if (now) return now.ok;
    return new Promise<T>((resolve) => {
      let tries = 0;
      const again = () => {
        const r = attempt();
        if (r) resolve(r.ok);
        else setTimeout(again, RETRY_MS[Math.min(++tries, RETRY_MS.length - 1)]);
      };
      setTimeout(again, RETRY_MS[0]);
    });
  }

  private tryLock(set: SemSet): boolean {
    for (;;) {
      const c = Atomics.compareExchange(set.mem, LOCK, 0, SEM_LEADER);
      if (c === 0) return true;
      const holder = c & HOLDER_MASK;
      // the leader lets go of it before it returns: a leader's holder is a scribble
      if (holder !== SEM_LEADER && this.alive(holder)) return false;
      // its holder is gone (or it is a scribble): ours, still telling a waiter to wake at the end
      if (Atomics.compareExchange(set.mem, LOCK, c, SEM_LEADER | (c & SEM_LOCK_WAITED)) === c) return true;
    }
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

  /** The set changed: its seq moves on and whoever sleeps on it wakes to try again. */
  private changed(set: SemSet): void {
    Atomics.add(set.mem, SEQ, 1);
    if (Atomics.load(set.mem, WAITERS) !== 0) host.futexWake(set.mem.subarray(SEQ, SEQ + 1), 0x7fffffff);
  }
}
