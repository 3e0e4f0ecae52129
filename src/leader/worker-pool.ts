// Workers waiting for a process. Starting Node costs a lot of CPU here, so a worker whose app
// has exited comes back to the pool.
import type { Message } from '../ipc/protocol/messages.js';
import type { ProtocolError } from '../ipc/protocol/schema.js';
import type { InstanceSecrets } from './instance-secrets.js';
import { WorkerHandle } from './worker-handle.js';
import { hostTaskRoom, spawnWorkerProcess, type TaskRoom, type WorkerProcess } from './worker-process.js';

export interface PoolEvents {
  message(worker: WorkerHandle, m: Message): void;
  refused(worker: WorkerHandle, reason: string): void;
  /** a worker it started has not booted, and will not (`why`): the pool has stopped it */
  stalled(worker: WorkerHandle, why: string): void;
  protocolError(worker: WorkerHandle, err: ProtocolError): void;
  gone(worker: WorkerHandle): void;
}

/**
 * A request for a worker. An urgent one (a process waits for it: a fork) starts a Node when no
 * worker is free or on its way; a spare one (a standby for a later fork) only takes a worker
 * that becomes free, so that a process forking once costs one Node start, not two: the start
 * of a spare's Node (~250 ms of CPU here) would take the CPU from the app, and the workers of
 * exited processes come back to the pool anyway.
 */
export interface WorkerRequest {
  urgent: boolean;
}

/**
 * Free workers kept beyond this many are stopped once they have been free this long: a burst
 * of forks leaves as many workers as it had children (~20 MiB each), and a server that forked
 * 32 children once should not keep 32 Node processes for good.
 */
const FREE_WORKERS_KEPT = 2;
const FREE_WORKER_RETIRE_MS = 5_000;

/**
 * A worker the pool started that has not booted (said worker-ready) this long after is stopped,
 * and a fork waiting for it fails with EAGAIN. The leader's GRAMINE_TS_WORKER_BOOT_DEADLINE_MS
 * sets another (the tests' way to reach it).
 */
const BOOT_DEADLINE_MS = Number(process.env.GRAMINE_TS_WORKER_BOOT_DEADLINE_MS) || 30_000;
/**
 * How often a starting worker is looked at for a Node stuck making its threads (startStuck):
 * one that looks the same at two looks is stopped then, not at the deadline.
 */
const STUCK_PROBE_MS = 1_000;

/**
 * A fork may be granted before its child's worker has booted (the leader's lazy standbys, a
 * worker handed out as it starts: acquire with `booting`) only while the host's process limits
 * leave room for this many more tasks (four Nodes' threads): near a limit, a Node that starts
 * may not finish booting, and the fork waits for a booted one, or is refused (EAGAIN), rather
 * than granted with a child that could not be served.
 */
const SPARE_TASKS = 64;
/** ...and while the leader may open this many more fds (a worker takes a handful) */
const SPARE_FDS = 64;
/** how long a look at the host's room holds (it reads /proc) */
const ROOM_TTL_MS = 500;

function hasRoomToSpare(room: TaskRoom): boolean {
  return Math.min(room.pids, room.nproc) >= SPARE_TASKS && room.fds >= SPARE_FDS;
}

interface Waiter {
  request: WorkerRequest;
  resolve: (w: WorkerHandle | null) => void;
  /** it takes a worker as it starts (acquire with `booting`) */
  booting: boolean;
}

export class WorkerPool {
  /** free workers, the most recently freed last, with when each was freed (Date.now()) */
  private readonly idle: { worker: WorkerHandle; freedAt: number }[] = [];
  /** the boot watches of the workers the pool started, until they boot: each stops its timers */
  private readonly bootWatches = new Map<WorkerHandle, () => void>();
  private retireTimer: NodeJS.Timeout | null = null;
  /** workers stopped for having been free too long */
  retired = 0;
  private readonly waiting: Waiter[] = [];
  private readonly all = new Set<WorkerHandle>();
  /** Workers whose process has ended: each says worker-ready soon and comes back. */
  private readonly returning = new Set<WorkerHandle>();
  private booting = 0;
  started = 0;
  /** urgent requests: forks that found no standby ready, and waited for a worker */
  urgentRequests = 0;

  constructor(
    private readonly secrets: InstanceSecrets,
    private readonly events: PoolEvents,
  ) {}

  /** Wrap a worker process (spawned now, or early by the CLI) with its connection. */
  add(early?: WorkerProcess, room?: TaskRoom): WorkerHandle {
    const child = early ?? spawnWorkerProcess(this.secrets.platformKey, room);
    this.started++;
    this.booting++;
    const w: WorkerHandle = new WorkerHandle(child, this.secrets, {
      message: (m) => this.events.message(w, m),
      refused: (reason) => this.events.refused(w, reason),
      protocolError: (err) => this.events.protocolError(w, err),
      close: () => {
        if (!this.all.has(w)) return;
        this.all.delete(w);
        this.unwatchBoot(w);
        const i = this.idle.findIndex((f) => f.worker === w);
        if (i >= 0) this.idle.splice(i, 1);
        const wasComing = (w.booting && !w.promised) || this.returning.delete(w);
        if (w.booting && !w.promised) this.booting--;
        // an urgent request that now has no worker coming fails (a fork then fails with EAGAIN),
        // rather than wait for a worker the host will not run
        const urgent = this.waiting.findIndex((x) => x.request.urgent);
        if (wasComing && urgent >= 0 && this.urgentWaiting() > this.coming()) this.waiting.splice(urgent, 1)[0]!.resolve(null);
        this.events.gone(w);
      },
    });
    this.all.add(w);
    if (!early) this.watchBoot(w);
    return w;
  }

  /** Stop a worker it started that has not booted by the deadline, or is stuck making its threads. */
  private watchBoot(w: WorkerHandle): void {
    const stop = (why: string) => {
      this.unwatchBoot(w);
      if (!w.booting || !this.all.has(w)) return;
      w.kill();
      this.events.stalled(w, why);
    };
    const deadline = setTimeout(() => stop(`did not start within ${BOOT_DEADLINE_MS / 1000} s: stopped`), BOOT_DEADLINE_MS);
    let looked: string | null = null;
    const probe = setInterval(() => {
      const stuck = w.startStuck();
      if (stuck !== null && stuck === looked) stop('could not start: EAGAIN (the host would not make its threads): stopped');
      looked = stuck;
    }, STUCK_PROBE_MS);
    deadline.unref();
    probe.unref();
    this.bootWatches.set(w, () => {
      clearTimeout(deadline);
      clearInterval(probe);
    });
  }

  private unwatchBoot(w: WorkerHandle): void {
    this.bootWatches.get(w)?.();
    this.bootWatches.delete(w);
  }

  /** The worker has booted (it said worker-ready once). */
  booted(w: WorkerHandle): void {
    if (!w.booting) return;
    w.booting = false;
    if (!w.promised) this.booting--;
    this.unwatchBoot(w);
  }

  /**
   * The worker's process has ended: it will say worker-ready. Until then a request waits for it
   * rather than start a Node (and, where the host's process limits are reached, rather than fail:
   * natively a fork works again once the children are reaped).
   */
  returns(w: WorkerHandle): void {
    if (this.all.has(w) && !w.booting && !this.idle.some((f) => f.worker === w)) this.returning.add(w);
  }

  /** Workers that will be free without a new start: idle, booting, or on their way back. */
  private coming(): number {
    return this.idle.length + this.booting + this.returning.size;
  }

  /** The worker said worker-ready: it is free for a process. */
  ready(w: WorkerHandle): void {
    this.returning.delete(w);
    this.booted(w);
    // an urgent request first
    const i = this.waiting.findIndex((x) => x.request.urgent);
    const next = i >= 0 ? this.waiting.splice(i, 1)[0] : this.waiting.shift();
    if (next) next.resolve(w);
    else {
      this.idle.push({ worker: w, freedAt: Date.now() });
      this.retireLater();
    }
  }

  /** A worker its taker no longer wants: free now or, one handed out as it started, once it has booted. */
  giveBack(w: WorkerHandle): void {
    if (w.promised && w.booting) {
      w.promised = false;
      this.booting++; // coming again: its worker-ready makes it free
      return;
    }
    this.ready(w);
  }

  private room: { spare: boolean; at: number } | null = null;

  /** Whether the host's limits leave room to spare for Nodes (SPARE_TASKS, SPARE_FDS): looked at now and then. */
  roomToSpare(): boolean {
    const now = Date.now();
    if (!this.room || now - this.room.at > ROOM_TTL_MS) this.room = { spare: hasRoomToSpare(hostTaskRoom()), at: now };
    return this.room.spare;
  }

  /** Stop the free workers beyond FREE_WORKERS_KEPT that have been free long enough; check again later. */
  private retireLater(): void {
    if (this.retireTimer || this.idle.length <= FREE_WORKERS_KEPT) return;
    const oldest = this.idle[0]!.freedAt;
    this.retireTimer = setTimeout(() => {
      this.retireTimer = null;
      const now = Date.now();
      while (this.idle.length > FREE_WORKERS_KEPT && now - this.idle[0]!.freedAt >= FREE_WORKER_RETIRE_MS) {
        this.retired++;
        this.idle.shift()!.worker.kill();
      }
      this.retireLater();
    }, Math.max(0, oldest + FREE_WORKER_RETIRE_MS - Date.now()));
    this.retireTimer.unref();
  }

  /**
   * A free worker for `request`, now or as soon as one is ready; null if the one started for an
   * urgent request died booting.
   */
  acquire(request: WorkerRequest, opts: { booting?: boolean } = {}): Promise<WorkerHandle | null> {
    if (request.urgent) this.urgentRequests++;
    // the most recently freed: those free longest are the ones to stop
    const free = this.idle.pop();
    if (free) return Promise.resolve(free.worker);
    const got = new Promise<WorkerHandle | null>((resolve) => this.waiting.push({ request, resolve, booting: opts.booting ?? false }));
    this.refill();
    return got;
  }

  /** A process now waits for the worker `request` asks for (a fork came before its standby). */
  hurry(request: WorkerRequest): void {
    if (request.urgent) return;
    request.urgent = true;
    this.urgentRequests++;
    this.refill();
  }

  private urgentWaiting(): number {
    return this.waiting.filter((x) => x.request.urgent).length;
  }

  /**
   * Start a worker for each urgent request that finds none free, counting those already
   * booting or on their way back. No spares beyond: the standby a forking process holds is its spare.
   */
  private refill(): void {
    const want = this.urgentWaiting() - this.coming();
    if (want <= 0) return;
    const room = hostTaskRoom();
    const spare = hasRoomToSpare(room);
    for (let i = 0; i < want; i++) {
      const w = this.add(undefined, room);
      // the host has room to spare: one that takes a worker as it starts has it now (one that
      // then dies booting is replaced, as a worker set aside that dies is)
      const taker = spare && w.pid > 0 ? this.waiting.findIndex((x) => x.booting && x.request.urgent) : -1;
      if (taker < 0) continue;
      w.promised = true;
      this.booting--;
      this.waiting.splice(taker, 1)[0]!.resolve(w);
    }
  }

  /** Every worker the pool holds now. */
  get workers(): readonly WorkerHandle[] {
    return [...this.all];
  }

  killAll(): void {
    if (this.retireTimer) clearTimeout(this.retireTimer);
    for (const w of this.all) w.kill();
  }
}
