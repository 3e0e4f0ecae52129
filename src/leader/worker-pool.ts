// Workers waiting for a process. Starting Node costs a lot of CPU here, so a worker whose app
// has exited comes back to the pool.
import type { Message } from '../ipc/protocol/messages.js';
import type { ProtocolError } from '../ipc/protocol/schema.js';
import type { InstanceSecrets } from './instance-secrets.js';
import { WorkerHandle } from './worker-handle.js';
import { WorkerPriority } from './worker-priority.js';
import { spawnWorkerProcess, type WorkerProcess } from './worker-process.js';

export interface PoolEvents {
  message(worker: WorkerHandle, m: Message): void;
  refused(worker: WorkerHandle, reason: string): void;
  protocolError(worker: WorkerHandle, err: ProtocolError): void;
  gone(worker: WorkerHandle): void;
}

export class WorkerPool {
  private readonly idle: WorkerHandle[] = [];
  private readonly waiting: ((w: WorkerHandle | null) => void)[] = [];
  private readonly all = new Set<WorkerHandle>();
  /** Workers whose process has ended: each says worker-ready soon and comes back. */
  private readonly returning = new Set<WorkerHandle>();
  private booting = 0;
  started = 0;
  private readonly priority = new WorkerPriority();

  constructor(
    private readonly secrets: InstanceSecrets,
    private readonly events: PoolEvents,
  ) {}

  /**
   * Wrap a worker process with its connection: spawned early by the CLI, or now (in the
   * background when no process waits for it).
   */
  add(child?: WorkerProcess, background = false): WorkerHandle {
    const bg = background && this.priority.enabled;
    child ??= bg ? this.priority.inBackground(() => spawnWorkerProcess(this.secrets.platformKey)) : spawnWorkerProcess(this.secrets.platformKey);
    this.started++;
    this.booting++;
    const w: WorkerHandle = new WorkerHandle(child, this.secrets, {
      message: (m) => this.events.message(w, m),
      refused: (reason) => this.events.refused(w, reason),
      protocolError: (err) => this.events.protocolError(w, err),
      close: () => {
        if (!this.all.has(w)) return;
        this.all.delete(w);
        const i = this.idle.indexOf(w);
        if (i >= 0) this.idle.splice(i, 1);
        if (w.booting) this.booting--;
        const wasComing = w.booting || this.returning.delete(w);
        // a request that now has no worker coming fails (a fork then fails with EAGAIN), rather
        // than wait for a worker the host will not run
        if (wasComing && this.waiting.length > this.coming()) this.waiting.shift()!(null);
        this.events.gone(w);
      },
    });
    w.background = bg;
    this.all.add(w);
    return w;
  }

  /** The worker serves a process (or one waits for it): the leader's priority. */
  toForeground(w: WorkerHandle): void {
    if (!w.background) return;
    w.background = false;
    this.priority.toForeground(w.pid);
  }

  /** The worker has booted (it said worker-ready once). */
  booted(w: WorkerHandle): void {
    if (!w.booting) return;
    w.booting = false;
    this.booting--;
  }

  /**
   * The worker's process has ended: it will say worker-ready. Until then a request waits for it
   * rather than start a Node (and, where the host's process limits are reached, rather than fail:
   * natively a fork works again once the children are reaped).
   */
  returns(w: WorkerHandle): void {
    if (this.all.has(w) && !w.booting && !this.idle.includes(w)) this.returning.add(w);
  }

  /** Workers that will be free without a new start: idle, booting, or on their way back. */
  private coming(): number {
    return this.idle.length + this.booting + this.returning.size;
  }

  /** The worker said worker-ready: it is free for a process. */
  ready(w: WorkerHandle): void {
    this.returning.delete(w);
    this.booted(w);
    const next = this.waiting.shift();
    if (next) next(w);
    else this.idle.push(w);
  }

  /**
   * A free worker, now or as soon as one is ready; null if the one started for it died booting.
   * `urgent`: a process waits for it (else one started for it boots in the background).
   */
  acquire(urgent: boolean): Promise<WorkerHandle | null> {
    const w = this.idle.shift();
    const got = w ? Promise.resolve(w) : new Promise<WorkerHandle | null>((resolve) => this.waiting.push(resolve));
    this.refill(urgent);
    if (urgent) this.hurry();
    return got;
  }

  /** A process waits for a worker: those booting in the background get the leader's priority. */
  hurry(): void {
    for (const w of this.all) if (w.booting) this.toForeground(w);
  }

  /**
   * Start a worker for each request that finds none free, counting those already booting. No
   * spares beyond: a Node start costs ~200 ms of CPU here, and the standby a forking process
   * holds is its spare already.
   */
  private refill(urgent: boolean): void {
    const want = this.waiting.length - this.coming();
    for (let i = 0; i < want; i++) this.add(undefined, !urgent);
  }

  killAll(): void {
    for (const w of this.all) w.kill();
  }
}
