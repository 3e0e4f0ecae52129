// The instance's process tree: virtual pids, parents, process groups, zombies and waits, with
// Linux's PID-namespace rules (orphans go to vpid 1).
import type { WorkerHandle } from './worker-handle.js';

export type ProcessState = 'running' | 'zombie';

export interface ProcessEntry {
  readonly vpid: number;
  ppid: number;
  pgid: number;
  sid: number;
  uid: number;
  state: ProcessState;
  /** wait4-style status, once a zombie */
  status: number;
  hostPid: number | null;
  worker: WorkerHandle | null;
  /** the worker of the process that forked this one: the only one who may report its host pid */
  forkedBy: WorkerHandle | null;
}

export type WaitTargetKind = 'pid' | 'pgid' | 'any';

export interface WaitQuery {
  waiter: number;
  target: WaitTargetKind;
  id: number;
}

export type WaitOutcome = { kind: 'ready'; entry: ProcessEntry } | { kind: 'none-ready' } | { kind: 'no-children' };

const PID_MAX = 4194304;

export class ProcessTable {
  private readonly byVpid = new Map<number, ProcessEntry>();
  private readonly byHostPid = new Map<number, number>();
  private lastPid = 0;

  /** Allocate the next free vpid, as Linux does (increasing, wrapping, skipping used ones). */
  allocatePid(): number {
    for (let i = 0; i < PID_MAX; i++) {
      this.lastPid = this.lastPid >= PID_MAX - 1 ? 2 : this.lastPid + 1;
      if (!this.byVpid.has(this.lastPid)) return this.lastPid;
    }
    throw new Error('out of pids');
  }

  add(e: Omit<ProcessEntry, 'state' | 'status'>): ProcessEntry {
    const entry: ProcessEntry = { ...e, state: 'running', status: 0 };
    this.byVpid.set(entry.vpid, entry);
    if (entry.hostPid !== null) this.byHostPid.set(entry.hostPid, entry.vpid);
    return entry;
  }

  get(vpid: number): ProcessEntry | undefined {
    return this.byVpid.get(vpid);
  }

  byHost(hostPid: number): ProcessEntry | undefined {
    const vpid = this.byHostPid.get(hostPid);
    return vpid === undefined ? undefined : this.byVpid.get(vpid);
  }

  setHostPid(vpid: number, hostPid: number): void {
    const e = this.byVpid.get(vpid);
    if (!e) return;
    e.hostPid = hostPid;
    this.byHostPid.set(hostPid, vpid);
  }

  /** Drop a process that never came to life (its fork failed on the host). */
  remove(vpid: number): void {
    const e = this.byVpid.get(vpid);
    if (!e) return;
    this.byVpid.delete(vpid);
    if (e.hostPid !== null) this.byHostPid.delete(e.hostPid);
  }

  /**
   * The process ended: it becomes a zombie for its parent, and its children are re-parented to
   * vpid 1. Returns the re-parented children.
   */
  exited(vpid: number, status: number): ProcessEntry[] {
    const e = this.byVpid.get(vpid);
    if (!e || e.state === 'zombie') return [];
    e.state = 'zombie';
    e.status = status;
    if (e.hostPid !== null) this.byHostPid.delete(e.hostPid);
    const orphans = [...this.byVpid.values()].filter((c) => c.ppid === vpid);
    for (const c of orphans) c.ppid = 1;
    return orphans;
  }

  /** What a wait by `q.waiter` finds now. */
  findWaitable(q: WaitQuery): WaitOutcome {
    let any = false;
    for (const c of this.byVpid.values()) {
      if (c.ppid !== q.waiter || c.vpid === q.waiter) continue;
      if (q.target === 'pid' && c.vpid !== q.id) continue;
      if (q.target === 'pgid' && c.pgid !== q.id) continue;
      any = true;
      if (c.state === 'zombie') return { kind: 'ready', entry: c };
    }
    return any ? { kind: 'none-ready' } : { kind: 'no-children' };
  }

  /** The processes kill(2) from `sender` reaches: a pid, a group, or all but vpid 1 and itself. */
  killTargets(sender: number, target: WaitTargetKind | 'all', id: number): ProcessEntry[] {
    const all = [...this.byVpid.values()];
    if (target === 'pid') return all.filter((e) => e.vpid === id);
    if (target === 'pgid') return all.filter((e) => e.pgid === id && e.state === 'running');
    return all.filter((e) => e.vpid !== 1 && e.vpid !== sender && e.state === 'running');
  }

  /**
   * setpgid(2) by `caller` on `pid` (0: itself) to `pgid` (0: pid), with Linux's rules; returns
   * the changed entry, or an errno. (A child that has already exec'd is not told apart yet.)
   */
  setpgid(caller: number, pid: number, pgid: number): ProcessEntry | number {
    const EINVAL = 22, ESRCH = 3, EPERM = 1;
    if (pgid < 0) return EINVAL;
    const self = this.byVpid.get(caller);
    const target = this.byVpid.get(pid === 0 ? caller : pid);
    if (!self || !target || target.state !== 'running') return ESRCH;
    if (target.vpid !== caller && target.ppid !== caller) return ESRCH;
    if (target.sid === target.vpid) return EPERM; // a session leader
    if (target.sid !== self.sid) return EPERM;
    const group = pgid === 0 ? target.vpid : pgid;
    if (group !== target.vpid && ![...this.byVpid.values()].some((e) => e.pgid === group && e.sid === self.sid))
      return EPERM;
    target.pgid = group;
    return target;
  }

  /** setsid(2): a new session and group led by `caller`, unless it leads a group already. */
  setsid(caller: number): ProcessEntry | number {
    const self = this.byVpid.get(caller);
    if (!self) return 3;
    if ([...this.byVpid.values()].some((e) => e.pgid === caller)) return 1; // EPERM
    self.pgid = caller;
    self.sid = caller;
    return self;
  }

  reap(vpid: number): void {
    this.remove(vpid);
  }

  running(): ProcessEntry[] {
    return [...this.byVpid.values()].filter((e) => e.state === 'running');
  }
}
