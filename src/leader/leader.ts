// The leader: the `gramine-ts run` process. It owns what no single process owns -- vpids, the
// process tree, zombies and waits, the worker pool -- starts the first process, and exits with
// its status; when the first process exits, the rest of the instance is killed (as in a PID
// namespace).
import { readFileSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import type { Logger } from '../log.js';
import { describeMessage, type Message } from '../ipc/protocol/messages.js';
import type { InstanceSecrets } from './instance-secrets.js';
import { ProcessTable } from './process-table.js';
import { childExitSignal } from '../libos/signals.js';
import type { WorkerHandle } from './worker-handle.js';
import { WorkerPool } from './worker-pool.js';
import { killQuietly, type WorkerProcess } from './worker-process.js';

export interface RunRequest {
  filename: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logLevel: string;
  traceFile: string | null;
}

/** The exit status of `gramine-ts run`: the first process's, signal deaths as 128+N. */
export type ExitStatus = number;

const FIRST_VPID = 1;
const ECHILD = 10;
const EAGAIN = 11;
const ESRCH = 3;

/**
 * A worker and its app share one CPU: each trapped call is a round trip between them, and a
 * wake-up across CPUs costs several times one on the same CPU here. Processes spread out.
 */
function cpuFor(vpid: number): number | null {
  const cpus = availableParallelism();
  return cpus > 1 ? (vpid - 1) % cpus : null;
}

/** A field of the leader's /proc/self/status, as the kernel has it. */
function statusField(name: string): string {
  const line = new RegExp(`^${name}:[ \\t]*(.*)$`, 'm').exec(readFileSync('/proc/self/status', 'utf8'));
  return line?.[1]?.trim() ?? '';
}

/** Supplementary groups (Node's process.getgroups() adds the egid, which getgroups(2) does not). */
function supplementaryGroups(): number[] {
  return statusField('Groups').split(/\s+/).filter(Boolean).map(Number);
}

type Msg<T extends Message['type']> = Extract<Message, { type: T }>;

interface ParkedWait {
  worker: WorkerHandle;
  msg: Msg<'wait-request'>;
}

interface PendingFork {
  parent: WorkerHandle;
  channelFd: number;
  cwdFd: number;
}

export class Leader {
  private readonly table = new ProcessTable();
  private readonly pool: WorkerPool;
  private readonly parkedWaits: ParkedWait[] = [];
  private readonly pendingForks = new Map<number, PendingFork>();
  /** kill requests waiting for the targets' workers to say the signal is pending */
  private readonly pendingAcks = new Map<number, { owing: Set<WorkerHandle>; done: () => void }>();
  private nextAckId = 1;
  private firstWorker: WorkerHandle | null = null;
  private log: Logger | null = null;
  private finish: ((status: ExitStatus, why: string) => void) | null = null;
  private request: RunRequest | null = null;

  constructor(secrets: InstanceSecrets) {
    this.pool = new WorkerPool(secrets, {
      message: (w, m) => this.onMessage(w, m),
      refused: (w, reason) => {
        // attestation failures are always reported, --leader-log or not
        process.stderr.write(`gramine-ts: worker ${w.pid} refused: ${reason}\n`);
        this.log?.error(`worker ${w.pid} refused and killed: ${reason}`);
      },
      protocolError: (w, err) => {
        this.log?.error(`${this.name(w)}: malformed message, worker dropped: ${err.message}`);
        w.kill();
      },
      gone: (w) => this.onWorkerGone(w),
    });
  }

  /** Adopt the first worker (spawned early by the CLI, so its boot overlaps the leader's). */
  adoptFirstWorker(child?: WorkerProcess): void {
    this.firstWorker = this.pool.add(child);
  }

  setLogger(log: Logger | null): void {
    this.log = log;
    this.log?.info(`instance starting, worker pid ${this.firstWorker?.pid}`);
  }

  /** Node processes started so far (for the benchmarks: workers are recycled). */
  get workersStarted(): number {
    return this.pool.started;
  }

  run(req: RunRequest): Promise<ExitStatus> {
    if (!this.firstWorker) this.adoptFirstWorker();
    this.request = req;
    return new Promise((resolve) => {
      let done = false;
      this.finish = (status, why) => {
        if (done) return;
        done = true;
        this.log?.info(`instance ends: ${why}, exit status ${status} (${this.pool.started} workers started)`);
        this.teardown();
        resolve(status);
      };
    });
  }

  private name(w: WorkerHandle): string {
    return w.vpid !== null ? `vm${w.vpid}` : `worker ${w.pid}`;
  }

  private send(w: WorkerHandle, m: Message): void {
    this.log?.info(`leader → ${this.name(w)}  ${describeMessage(m)}`);
    w.send(m);
  }

  private onMessage(w: WorkerHandle, m: Message): void {
    this.log?.info(`${this.name(w)} → leader  ${describeMessage(m)}`);
    switch (m.type) {
      case 'worker-ready':
        return this.onWorkerReady(w);
      case 'start-failed':
        process.stderr.write(`gramine-ts: cannot execute ${this.request?.filename}: ${m.message}\n`);
        return this.finish?.(m.errno === 2 ? 127 : 126, 'exec failed');
      case 'process-exited':
        if (m.vpid === FIRST_VPID) return this.finish?.(m.signal !== null ? 128 + m.signal : (m.code ?? 1), 'vm1 exited');
        return;
      case 'fork-request':
        return void this.onForkRequest(w, m);
      case 'adopt-ack':
        return this.onAdoptAck(w, m);
      case 'fork-adopted': {
        // only the parent's worker speaks for a child, and only once
        const child = this.table.get(m.vpid);
        if (!child || child.forkedBy !== w || child.hostPid !== null) {
          this.log?.warn(`fork-adopted for vm${m.vpid} from ${this.name(w)} ignored`);
          return;
        }
        if (m.hostPid <= 0) {
          // the host fork failed: the child never existed
          this.table.remove(m.vpid);
          return;
        }
        this.table.setHostPid(m.vpid, m.hostPid);
        if (this.firstWorker) this.send(this.firstWorker, { type: 'reap', v: 1, hostPid: m.hostPid });
        return;
      }
      case 'host-exited': {
        const e = this.table.byHost(m.hostPid);
        if (e) this.onProcessExited(e.vpid, m.status);
        return;
      }
      case 'process-gone':
        return this.onProcessGone(w, m.vpid);
      case 'wait-request':
        return this.onWait(w, m);
      case 'kill-request':
        return this.onKill(w, m);
      case 'pgrp-request':
        return this.onPgrp(w, m);
      case 'signal-queued':
        return this.onSignalQueued(m.ackId, w);
      default:
        this.log?.warn(`unexpected ${m.type} from ${this.name(w)}`);
    }
  }

  private onWorkerReady(w: WorkerHandle): void {
    if (w === this.firstWorker && w.vpid === null && this.request) {
      const req = this.request;
      w.vpid = FIRST_VPID;
      this.table.allocatePid();
      this.table.add({
        vpid: FIRST_VPID, ppid: 0, pgid: FIRST_VPID, sid: FIRST_VPID, uid: process.getuid?.() ?? 0, hostPid: null, worker: w,
        forkedBy: null,
      });
      this.send(w, {
        type: 'start-process', v: 1, vpid: FIRST_VPID, ppid: 0, pgid: FIRST_VPID, sid: FIRST_VPID,
        filename: req.filename, argv: req.argv, env: req.env, cwd: req.cwd,
        uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: supplementaryGroups(),
        umask: parseInt(statusField('Umask'), 8), // inherited, as from a shell
        logLevel: req.logLevel, traceFile: req.traceFile, cpu: cpuFor(FIRST_VPID),
      });
      return;
    }
    w.vpid = null;
    this.pool.ready(w);
  }

  private async onForkRequest(parent: WorkerHandle, m: Msg<'fork-request'>): Promise<void> {
    const pe = this.table.get(m.parentVpid);
    if (!pe) {
      this.send(parent, { type: 'fork-reply', v: 1, reqId: m.reqId, childVpid: 0, errno: EAGAIN });
      return;
    }
    this.pool.spares = 1;
    const vpid = this.table.allocatePid();
    this.table.add({ vpid, ppid: pe.vpid, pgid: pe.pgid, sid: pe.sid, uid: pe.uid, hostPid: null, worker: null, forkedBy: parent });
    const child = await this.pool.acquire();
    const entry = this.table.get(vpid);
    if (!entry) return;
    entry.worker = child;
    child.vpid = vpid;
    this.pendingForks.set(vpid, { parent, channelFd: m.channelFd, cwdFd: m.checkpoint.cwdFd });
    this.send(child, {
      type: 'adopt-fork', v: 1, vpid, ppid: pe.vpid, pgid: pe.pgid, sid: pe.sid,
      parentWorkerPid: m.parentWorkerPid, channelFd: m.channelFd, checkpoint: m.checkpoint, cpu: cpuFor(vpid),
    });
    // The parent forks right away: the child's first message waits in its channel until its
    // worker has taken its end (and if that fails, the parent's worker closing the last copy
    // makes the child's stub give up).
    this.send(parent, { type: 'fork-reply', v: 1, reqId: m.reqId, childVpid: vpid, errno: 0 });
  }

  private onAdoptAck(w: WorkerHandle, m: Msg<'adopt-ack'>): void {
    const pending = this.pendingForks.get(m.vpid);
    if (!pending || w.vpid !== m.vpid) return;
    this.pendingForks.delete(m.vpid);
    this.send(pending.parent, { type: 'fork-channel-taken', v: 1, channelFd: pending.channelFd, cwdFd: pending.cwdFd });
  }

  /** The worker's app is gone: the worker is free for another process. */
  private onProcessGone(w: WorkerHandle, vpid: number): void {
    const e = this.table.get(vpid);
    if (e && e.worker === w) e.worker = null;
    w.vpid = null;
    this.pool.ready(w);
  }

  private onProcessExited(vpid: number, status: number): void {
    const orphans = this.table.exited(vpid, status);
    for (const o of orphans) if (o.worker) this.send(o.worker, { type: 'reparent', v: 1, vpid: o.vpid, ppid: o.ppid });
    const e = this.table.get(vpid);
    if (!e) return;
    const parent = this.table.get(e.ppid);
    if (parent?.worker && parent.state === 'running') {
      const s = childExitSignal(vpid, e.uid, status);
      this.send(parent.worker, {
        type: 'signal', v: 1, vpid: parent.vpid, ...s, status: s.status ?? null, ackId: null, hostPid: parent.hostPid,
      });
    }
    this.wakeWaiters(e.ppid);
  }

  /**
   * kill(2) across the instance: the targets' workers queue the signal and ring their stubs;
   * once every one has, the signal is pending everywhere and the sender hears back.
   */
  private onKill(w: WorkerHandle, m: Msg<'kill-request'>): void {
    const sender = this.table.get(m.sender);
    const targets = this.table.killTargets(m.sender, m.target, m.id);
    const reply = () => this.send(w, { type: 'kill-reply', v: 1, reqId: m.reqId, errno: targets.length ? 0 : ESRCH });
    const live = m.sig === 0 || !sender ? [] : targets.filter((t) => t.state === 'running' && t.worker);
    if (!live.length) return reply();
    const ackId = this.nextAckId++;
    this.pendingAcks.set(ackId, { owing: new Set(live.map((t) => t.worker!)), done: reply });
    for (const t of live) {
      this.send(t.worker!, {
        type: 'signal', v: 1, vpid: t.vpid, signo: m.sig, code: m.code, pid: m.sender, uid: sender!.uid, status: null, ackId,
        hostPid: t.hostPid,
      });
    }
  }

  /** Process groups and sessions live here: a change is told to the process's worker first. */
  private onPgrp(w: WorkerHandle, m: Msg<'pgrp-request'>): void {
    const reply = (value: number, errno = 0) => this.send(w, { type: 'pgrp-reply', v: 1, reqId: m.reqId, value, errno });
    const lookup = this.table.get(m.pid === 0 ? m.caller : m.pid);
    if (m.op === 'getpgid' || m.op === 'getsid') {
      if (!lookup) return reply(0, ESRCH);
      return reply(m.op === 'getpgid' ? lookup.pgid : lookup.sid);
    }
    const r = m.op === 'setsid' ? this.table.setsid(m.caller) : this.table.setpgid(m.caller, m.pid, m.pgid);
    if (typeof r === 'number') return reply(0, r);
    if (r.worker) this.send(r.worker, { type: 'pgrp-changed', v: 1, vpid: r.vpid, pgid: r.pgid, sid: r.sid });
    reply(m.op === 'setsid' ? r.sid : 0);
  }

  private onSignalQueued(ackId: number, w: WorkerHandle): void {
    const p = this.pendingAcks.get(ackId);
    if (!p) return;
    p.owing.delete(w);
    if (p.owing.size) return;
    this.pendingAcks.delete(ackId);
    p.done();
  }

  private onWait(w: WorkerHandle, m: Msg<'wait-request'>): void {
    if (!this.answerWait(w, m) && !m.noHang) this.parkedWaits.push({ worker: w, msg: m });
  }

  /** Answer a wait now if it can be; false when it must wait for a child. */
  private answerWait(w: WorkerHandle, m: Msg<'wait-request'>): boolean {
    const found = this.table.findWaitable({ waiter: m.vpid, target: m.target, id: m.id });
    const reply = { type: 'wait-reply' as const, v: 1 as const, reqId: m.reqId, vpid: 0, status: 0, uid: 0, errno: 0 };
    if (found.kind === 'no-children') {
      this.send(w, { ...reply, errno: ECHILD });
      return true;
    }
    if (found.kind === 'ready') {
      const c = found.entry;
      if (!m.noReap) this.table.reap(c.vpid);
      this.send(w, { ...reply, vpid: c.vpid, status: c.status, uid: c.uid });
      return true;
    }
    if (m.noHang) this.send(w, reply);
    return false;
  }

  private wakeWaiters(parentVpid: number): void {
    for (let i = 0; i < this.parkedWaits.length; ) {
      const p = this.parkedWaits[i]!;
      if (p.msg.vpid === parentVpid && this.answerWait(p.worker, p.msg)) this.parkedWaits.splice(i, 1);
      else i++;
    }
  }

  private onWorkerGone(w: WorkerHandle): void {
    // a dead worker owes no acknowledgement (its app is killed with it): the sender goes on
    for (const ackId of [...this.pendingAcks.keys()]) {
      const p = this.pendingAcks.get(ackId)!;
      if (p.owing.has(w)) this.onSignalQueued(ackId, w);
    }
    if (w === this.firstWorker) {
      this.finish?.(128 + constants.signals.SIGKILL, 'worker of vm1 died');
      return;
    }
    // A worker that dies takes its app with it: the parent sees it die of SIGKILL.
    const e = w.vpid !== null ? this.table.get(w.vpid) : undefined;
    if (e && e.state === 'running' && e.hostPid !== null) killQuietly(e.hostPid);
  }

  /** The first process is gone: so is everything else of the instance. */
  private teardown(): void {
    for (const e of this.table.running()) {
      if (e.vpid !== FIRST_VPID && e.hostPid !== null) killQuietly(e.hostPid);
    }
    this.pool.killAll();
  }
}
