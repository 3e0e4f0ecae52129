// The instance's process tree: virtual pids, parents, process groups and sessions, with Linux's
// PID-namespace rules (orphans go to vpid 1). Zombies and exit statuses are the host's: a
// parent app is the host parent of its children and waits for them itself.
import type { WorkerHandle } from './worker-handle.js';

/**
 * reserved: the vpid of a standby child, not forked yet; running; exited: gone but not reaped
 * by its parent yet (a zombie, for kill(2) and process-group waits).
 */
export type ProcessState = 'reserved' | 'running' | 'exited';

export interface ProcessEntry {
  readonly vpid: number;
  ppid: number;
  pgid: number;
  sid: number;
  /** real, effective and saved user ids (for kill's permission check) */
  uid: number;
  euid: number;
  suid: number;
  /** real and effective group ids (a socket peer's credentials) */
  gid: number;
  egid: number;
  state: ProcessState;
  hostPid: number | null;
  /** the worker serving it (null while the leader holds it: reserved, or forked and not asking yet) */
  worker: WorkerHandle | null;
}

export type KillTargetKind = 'pid' | 'pgid' | 'all';

const PID_MAX = 4194304;
/** reaped processes whose host pid the table still answers for */
const GONE_KEPT = 1024;
const SIGCONT = 18;

export class ProcessTable {
  private readonly byVpid = new Map<number, ProcessEntry>();
  private readonly byHostPid = new Map<number, number>();
  /** host pid -> vpid of the processes reaped last (the oldest dropped first) */
  private readonly gone = new Map<number, number>();
  private lastPid = 0;
  /** thread ids handed to a process (its threads but the main one): tid -> vpid */
  private readonly tidOwner = new Map<number, number>();
  private readonly tidsOf = new Map<number, Set<number>>();

  /** Allocate the next free vpid, as Linux does (increasing, wrapping, skipping used ones). */
  allocatePid(): number {
    for (let i = 0; i < PID_MAX; i++) {
      this.lastPid = this.lastPid >= PID_MAX - 1 ? 2 : this.lastPid + 1;
      if (!this.byVpid.has(this.lastPid) && !this.tidOwner.has(this.lastPid)) return this.lastPid;
    }
    throw new Error('out of pids');
  }

  add(e: ProcessEntry): ProcessEntry {
    const entry: ProcessEntry = { ...e };
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

  /** A reserved child now runs as host process `hostPid` (its fork is done). */
  started(vpid: number, hostPid: number): void {
    const e = this.byVpid.get(vpid);
    if (!e || e.state !== 'reserved') return;
    e.state = 'running';
    if (hostPid <= 0) return;
    e.hostPid = hostPid;
    this.byHostPid.set(hostPid, vpid);
  }

  /** A running process whose host pid was not known (the first process) runs as `hostPid`. */
  learnHostPid(vpid: number, hostPid: number): void {
    const e = this.byVpid.get(vpid);
    if (!e || e.state !== 'running' || e.hostPid !== null || hostPid <= 0) return;
    e.hostPid = hostPid;
    this.byHostPid.set(hostPid, vpid);
  }

  /** `count` thread ids for process `vpid`, out of the pid space. */
  reserveTids(vpid: number, count: number): number[] {
    if (!this.byVpid.has(vpid)) return [];
    let owned = this.tidsOf.get(vpid);
    if (!owned) this.tidsOf.set(vpid, (owned = new Set()));
    const tids: number[] = [];
    for (let i = 0; i < count; i++) {
      const tid = this.allocatePid();
      this.tidOwner.set(tid, vpid);
      owned.add(tid);
      tids.push(tid);
    }
    return tids;
  }

  /** Thread ids of `vpid` it no longer uses (its threads exited). */
  releaseTids(vpid: number, tids: readonly number[]): void {
    const owned = this.tidsOf.get(vpid);
    for (const tid of tids) {
      if (this.tidOwner.get(tid) !== vpid) continue;
      this.tidOwner.delete(tid);
      owned?.delete(tid);
    }
  }

  /** The process a thread id belongs to (its own vpid for a process), if any. */
  tidOwnerOf(tid: number): number | undefined {
    return this.byVpid.has(tid) ? tid : this.tidOwner.get(tid);
  }

  /** Drop a process: reaped, or never forked. */
  remove(vpid: number): void {
    const e = this.byVpid.get(vpid);
    if (!e) return;
    this.releaseTids(vpid, [...(this.tidsOf.get(vpid) ?? [])]);
    this.tidsOf.delete(vpid);
    this.byVpid.delete(vpid);
    if (e.hostPid !== null && this.byHostPid.get(e.hostPid) === vpid) {
      this.byHostPid.delete(e.hostPid);
      this.gone.delete(e.hostPid);
      this.gone.set(e.hostPid, vpid);
      if (this.gone.size > GONE_KEPT) this.gone.delete(this.gone.keys().next().value!);
    }
  }

  /**
   * The vpid a host pid had, if it belonged to a process reaped a moment ago (a SIGCHLD naming
   * it may still be on its way to the parent when another wait has reaped it).
   */
  goneVpid(hostPid: number): number | undefined {
    return this.byHostPid.has(hostPid) ? undefined : this.gone.get(hostPid);
  }

  /**
   * The process ended: a zombie until its parent reaps it; its children are re-parented to
   * vpid 1 (as the host does: vpid 1 is a subreaper). Returns the re-parented children.
   */
  exited(vpid: number): ProcessEntry[] {
    const e = this.byVpid.get(vpid);
    // a reserved vpid has run too: a child may live and die before its fork is reported
    if (!e || e.state === 'exited') return [];
    e.state = 'exited';
    e.worker = null;
    const orphans = [...this.byVpid.values()].filter((c) => c.ppid === vpid && c.state !== 'reserved');
    for (const c of orphans) c.ppid = 1;
    return orphans;
  }

  /** The host pids of the children of `parent` in group `pgid` (for a process-group wait). */
  groupChildren(parent: number, pgid: number): number[] {
    const out: number[] = [];
    for (const c of this.byVpid.values())
      if (c.ppid === parent && c.pgid === pgid && c.state !== 'reserved' && c.hostPid !== null) out.push(c.hostPid);
    return out;
  }

  /** The processes kill(2) from `sender` reaches: a pid, a group, or all but vpid 1 and itself. */
  killTargets(sender: number, target: KillTargetKind, id: number): ProcessEntry[] {
    const all = [...this.byVpid.values()].filter((e) => e.state !== 'reserved');
    if (target === 'pid') return all.filter((e) => e.vpid === id);
    if (target === 'pgid') return all.filter((e) => e.pgid === id && e.state === 'running');
    return all.filter((e) => e.vpid !== 1 && e.vpid !== sender && e.state === 'running');
  }

  /**
   * May `sender` signal `target`? As Linux's kill_ok_by_cred: one of the sender's real and
   * effective uids is the target's real or saved uid, or the sender is root (CAP_KILL); SIGCONT
   * within a session always.
   */
  maySignal(sender: ProcessEntry, target: ProcessEntry, sig: number): boolean {
    if (sender.euid === 0) return true;
    if ([sender.uid, sender.euid].some((u) => u === target.uid || u === target.suid)) return true;
    return sig === SIGCONT && sender.sid === target.sid;
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
    if (group !== target.vpid && ![...this.byVpid.values()].some((e) => e.pgid === group && e.sid === self.sid && e.state !== 'reserved'))
      return EPERM;
    target.pgid = group;
    return target;
  }

  /** setsid(2): a new session and group led by `caller`, unless it leads a group already. */
  setsid(caller: number): ProcessEntry | number {
    const self = this.byVpid.get(caller);
    if (!self) return 3;
    if ([...this.byVpid.values()].some((e) => e.pgid === caller && e.state !== 'reserved')) return 1; // EPERM
    self.pgid = caller;
    self.sid = caller;
    return self;
  }

  /** The processes whose parent is `vpid` (reserved ones too). */
  children(vpid: number): ProcessEntry[] {
    return [...this.byVpid.values()].filter((e) => e.ppid === vpid);
  }

  running(): ProcessEntry[] {
    return [...this.byVpid.values()].filter((e) => e.state === 'running');
  }
}
