// The leader: the `gramine-ts run` process. It owns what no single process owns -- vpids, the
// process tree, groups and sessions, signal routing, the worker pool and the standby child
// workers -- starts the first process, and exits with its status; when the first process exits,
// the rest of the instance is killed (as in a PID namespace). It is off the path of a fork and
// of a wait: those are between a process's worker, its standby and the host.
import { readlinkSync, statSync } from 'node:fs';
import { availableParallelism, constants } from 'node:os';
import { createLogger, type Logger } from '../log.js';
import { isLogLevel } from '../log-levels.js';
import { UnsupportedReport } from './unsupported-report.js';
import { GRAMINE_HOSTNAME, type Manifest } from '../manifest/index.js';
import type { FileCheckConfig } from '../libos/fs/trusted.js';
import { describeMessage, STANDBYS_IN_A_BURST, STANDBYS_PER_PROCESS, type Message } from '../ipc/protocol/messages.js';
import type { InstanceSecrets } from './instance-secrets.js';
import { ProcessTable, type ProcessEntry } from './process-table.js';
import { newCheckpointKey, openCheckpoint, sealCheckpoint, type Checkpoint } from '../ipc/protocol/checkpoint.js';
import type { WorkerHandle } from './worker-handle.js';
import { HeldChild, type Handover, type LeaderFork } from './held-child.js';
import { WorkerPool, type WorkerRequest } from './worker-pool.js';
import { interpreterSearchDirs } from '../libos/exec.js';
import { abstractSocketPrefix, InstanceScratch, HeldDirectories, instanceTreeFor, MountError, mountMessages } from './instance-fs.js';
import { hostPgidOf, virtualOfHostGroup } from './host-groups.js';
import { InstanceTerminal } from './terminal.js';
import { killQuietly, type WorkerProcess } from './worker-process.js';
import { SysvShm } from './sysv-shm.js';
import { SysvSem } from './sysv-sem.js';
import { SysvMsg } from './sysv-msg.js';
import { PosixMq } from './posix-mq.js';
import { answerSysv } from './sysv-requests.js';
import { cpuReport } from './cpu-report.js';
import { InstanceAttestation } from './attestation.js';
import { EncryptedCopies } from './encrypted-copies.js';
import { statusField } from './proc-status.js';
import { Errno } from '../libos/errno.js';
import { NR } from '../libos/syscall-numbers.js';
import { host, processOf } from '../pal/host.js';
import { PIN_AMONG } from '../pal/channel-abi.js';

export interface RunRequest {
  filename: string;
  /** argv and env: byte strings (one char per byte) */
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logLevel: string;
  traceFile: string | null;
  /** --strace: a line for each trapped call of every process to this file */
  straceFile?: string | null;
  /** The instance's manifest (with its checked signature attached, if any: Manifest.signature). */
  manifest: Manifest;
  /** what the workers check each opened file against (null: every file is let through) */
  fileChecks?: FileCheckConfig | null;
  /** The first process's ids (loader.uid / loader.gid; the caller's for the built-in manifest). */
  uid: number;
  gid: number;
  /** Name what the program used that is unsupported in one line on stderr at the end (default true). */
  reportUnsupported?: boolean;
  /** --cpu-report: the CPU each process of the instance used, in one line on stderr at the end */
  cpuReport?: boolean;
}

/** The exit status of `gramine-ts run`: the first process's, signal deaths as 128+N. */
export type ExitStatus = number;

const FIRST_VPID = 1;
/** a held child's first request that is one of these gets its standby children with its adoption (glibc's fork is a clone) */
const FORK_CALLS: ReadonlySet<number> = new Set([NR.fork, NR.vfork, NR.clone]);
const SI_USER = 0;
/** Host signals the leader ignores (SIGINT and SIGTERM end the instance: handleHostSignals). */
const IGNORED_HOST_SIGNALS = ['SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'] as const;
const ESRCH = 3;
const EPERM = 1;
const EACCES = 13;
/** look-ups of one worker that may wait for a fork to be told of (leader.onPidLookup) */
const PARKED_LOOKUPS_PER_WORKER = 256;

/**
 * A worker and its app share one CPU: each trapped call is a round trip between them, and a
 * wake-up across CPUs costs several times one on the same CPU here. Processes spread out.
 */
const CPUS = availableParallelism();
function cpuFor(vpid: number): number | null {
  return CPUS > 1 ? (vpid - 1) % CPUS : null;
}

/** The pseudo-terminals (host /dev/pts/N) among the leader's stdin, stdout and stderr: the app's too. */
function startingTerminals(): string[] {
  const out = new Set<string>();
  for (const fd of [0, 1, 2]) {
    try {
      const p = readlinkSync(`/proc/self/fd/${fd}`);
      if (/^\/dev\/pts\/\d+$/.test(p) && statSync(p).isCharacterDevice()) out.add(p);
    } catch {
      // closed, or not a file: no terminal
    }
  }
  return [...out];
}

/** Supplementary groups (Node's process.getgroups() adds the egid, which getgroups(2) does not). */
function supplementaryGroups(): number[] {
  return statusField('Groups').split(/\s+/).filter(Boolean).map(Number);
}

type Msg<T extends Message['type']> = Extract<Message, { type: T }>;

/** `make`'s value, made at the first call and kept (a call that throws makes nothing). */
function once<T>(make: () => T): () => T {
  let made: { value: T } | null = null;
  return () => (made ??= { value: make() }).value;
}

/**
 * A process's next child, held by the leader from the offer until a worker has it (it asked
 * something, or is signalled) or it is gone. Near the host's limits a free worker is set aside
 * for it before it is offered, so that a fork is granted only when its child can be served: the
 * host's process limits refuse the fork (EAGAIN), as they would natively, rather than a child
 * later. With room to spare (lazy) none is, until the child asks.
 */
interface Standby {
  parentVpid: number;
  held: HeldChild;
  key: string;
  /** the worker set aside for it; null while one is being found */
  worker: WorkerHandle | null;
  /** what the pool is asked for meanwhile: urgent once a fork or the child waits for it */
  request: WorkerRequest;
  /** handed to `worker`, which has not said yet that it took the fds */
  handedOver: boolean;
  /** the child wants its worker (it asked, or is signalled) before one was set aside */
  wanted: boolean;
  /** the parent has forked into it (its worker said so, or its checkpoint came) */
  used: boolean;
  /** the parent's worker has said so (`forked`): who the child is on the host is known, or never will be */
  told: boolean;
  /**
   * none is set aside until it asks something (with room to spare under the host's limits: a
   * fork is granted then without one, as a worker that cannot start is unlikely)
   */
  lazy: boolean;
  /** the CPU the child's worker is pinned to, and the child beside it (from its fork, if forked in a burst; else once adopted) */
  cpu: number | null;
  /** workers found for it after the one set aside first was gone, or (lazy) the first (replaceSetAside) */
  replacements: number;
  /** one is being found */
  replacing: boolean;
  /**
   * the state it was forked with, once the leader has granted it a fork (forkForHeld): opened, or
   * derived from its parent's, when first needed
   */
  state?: () => Checkpoint;
}

export class Leader {
  private readonly table = new ProcessTable();
  /** the app processes enter the kernel boundary: false only with GRAMINE_TS_INSECURE_NO_SANDBOX=1 (insecure; for measuring its cost) */
  private readonly sandbox = process.env.GRAMINE_TS_INSECURE_NO_SANDBOX !== '1';
  private readonly pool: WorkerPool;
  /** by the vpid reserved for the child */
  private readonly standbys = new Map<number, Standby>();
  /** pid translations waiting for a just-forked child to be known */
  private readonly parkedLookups: { worker: WorkerHandle; msg: Msg<'pid-lookup'> }[] = [];
  private ended = false;
  /** ended processes whose standbys wait for their worker's last word (its stub may have forked into one alone) */
  private readonly standbysAwaitWorker = new Map<number, WorkerHandle>();
  /** processes whose worker has said it is done with them (worker-ready), before the leader saw them end */
  private readonly workerDone = new Set<number>();
  /** kill requests for held children whose workers are still booting: made again once those have them (or they are gone) */
  private readonly killsAwaitingWorkers: { w: WorkerHandle; m: Msg<'kill-request'> }[] = [];
  /**
   * Held children that ended before their parent's worker said who they were on the host (a
   * child says it only with what it asks): they end once it has (a zombie's host pid is looked
   * up, by a group wait or a wait's translation).
   */
  private readonly endedUntold = new Set<number>();
  /** how many standby children a process may hold, as its worker last said (a burst of forks: more) */
  private readonly standbysHeld = new Map<number, number>();
  /** kill requests waiting for the targets' workers to say the signal is pending */
  private readonly pendingAcks = new Map<number, { owing: Set<WorkerHandle>; done: (refused: boolean) => void; refused: boolean }>();
  private nextAckId = 1;
  private firstWorker: WorkerHandle | null = null;
  /** the exit status the first worker's end gives the instance, once it has ended */
  private firstWorkerEnded: number | null = null;
  private log: Logger | null = null;
  private finish: ((status: ExitStatus, why: string) => void) | null = null;
  private request: RunRequest | null = null;
  /** what every worker is told first: the instance's file-system view */
  private instanceConfig: Msg<'instance-config'> | null = null;
  private scratch: InstanceScratch | null = null;
  private readonly heldDirectories = new HeldDirectories();
  /** the terminal whose foreground the instance started in (its first process takes it), or null */
  private terminal: InstanceTerminal | null = null;
  /** the instance's POSIX message queues */
  private readonly mq = new PosixMq();
  /** PR_SET_PDEATHSIG of the processes that asked for one: vpid -> signal */
  private readonly pdeathSignals = new Map<number, number>();
  /** the instance's System V IPC objects */
  private readonly sysv = { shm: new SysvShm(), sem: new SysvSem((vpid) => this.table.get(vpid)?.state === 'running'), msg: new SysvMsg() };
  /** what the programs used that is unsupported, and where each is logged the first time */
  private readonly unsupported = new UnsupportedReport();
  private unsupportedLog: Logger | null = null;
  /** what the instance's workers attest to (its /dev/attestation identity) */
  private readonly measurement: Promise<Uint8Array>;
  /** /dev/attestation's keys, reports and quotes: made at the first request */
  private attestation: InstanceAttestation | null = null;
  /** the plaintext copies of the encrypted mounts' files (none until the mounts are made) */
  private encryptedCopies: EncryptedCopies | null = null;

  constructor(secrets: InstanceSecrets) {
    this.measurement = secrets.expectedMeasurement;
    this.pool = new WorkerPool(secrets, {
      message: (w, m) => this.onMessage(w, m),
      refused: (w, reason) => {
        // attestation failures are always reported, --leader-log or not
        process.stderr.write(`gramine-ts: worker ${w.pid} refused: ${reason}\n`);
        this.log?.error(`worker ${w.pid} refused and killed: ${reason}`);
        // without its first worker the instance cannot start (a later one is replaced)
        if (w === this.firstWorker && w.vpid === null) this.finish?.(1, 'the first worker was refused');
      },
      stalled: (w, why) => {
        // (a held child waiting for it gets another, if one can start; a fork waiting for it fails)
        process.stderr.write(`gramine-ts: worker ${w.pid} ${why}\n`);
        this.log?.error(`worker ${w.pid} stalled booting (${why}): killed`);
      },
      // said when the connection closes (onWorkerGone), in one line
      protocolError: () => {},
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
    this.terminal = InstanceTerminal.foreground();
    if (this.terminal) process.on('SIGCONT', () => this.terminal?.resume());
    this.scratch = new InstanceScratch();
    try {
      const mounts = mountMessages(req.manifest, this.scratch, this.heldDirectories);
      this.instanceConfig = {
        type: 'instance-config', v: 1, mounts, scratchPath: this.scratch.path,
        instanceTree: instanceTreeFor(mounts, this.sandbox, this.heldDirectories),
        abstractPrefix: abstractSocketPrefix(),
        logLevel: req.logLevel, fileChecks: req.fileChecks ?? null,
        disallowSubprocesses: req.manifest.disallowSubprocesses, fdsLimit: req.manifest.fdsLimit,
        interpreterDirs: interpreterSearchDirs(req.env), pathDirs: (req.env.PATH ?? '').split(':').filter((d) => d.startsWith('/')),
        terminals: startingTerminals(),
        logFile: req.manifest.logFile, stackSize: req.manifest.stackSize,
        hostname: req.manifest.extraRuntimeDomainNames ? null : GRAMINE_HOSTNAME,
      };
      if (mounts.some((m) => m.encrypted !== null)) {
        const warn = (line: string) => process.stderr.write(`gramine-ts: ${line}\n`);
        this.encryptedCopies = new EncryptedCopies(mounts, (name) => this.instanceAttestation(req).keyFileOf(name), warn);
      }
    } catch (e) {
      if (!(e instanceof MountError)) throw e;
      process.stderr.write(`gramine-ts: ${e.message}\n`);
      this.ended = true;
      this.teardown();
      return Promise.resolve(2);
    }
    this.handleHostSignals(req.manifest.enableSigtermInjection);
    this.unsupportedLog = createLogger('gramine-ts', isLogLevel(req.logLevel) ? req.logLevel : 'error', req.manifest.logFile);
    return new Promise((resolve) => {
      let done = false;
      this.finish = (status, why) => {
        if (done) return;
        done = true;
        // what held children told that is still to be read (a fork's child): the log says it before the end
        if (this.log) for (const s of [...this.standbys.values()]) if (!s.handedOver) s.held.drainTold();
        this.ended = true;
        this.log?.info(`instance ends: ${why}, exit status ${status} (${this.pool.started} workers started)`);
        // what the workers have said already, and is read in this turn of the loop, is counted
        setImmediate(() => {
          const unsupported = req.reportUnsupported === false ? null : this.unsupported.summary();
          if (unsupported) process.stderr.write(`${unsupported}\n`);
          if (req.cpuReport) {
            const workers = this.pool.workers.map((w) => ({ pid: w.pid, first: w === this.firstWorker }));
            process.stderr.write(`${cpuReport({ workers, workersStarted: this.pool.started, forksThatWaited: this.pool.urgentRequests, workersRetired: this.pool.retired })}\n`);
          }
          this.teardown();
          resolve(status);
        });
      };
      if (this.firstWorkerEnded !== null) this.finish(this.firstWorkerEnded, 'worker of vm1 died before the instance started');
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
    // the workers are being killed: nothing they say matters now, but what they used that is unsupported
    if (this.ended && m.type !== 'unsupported') return;
    this.log?.info(`${this.name(w)} → leader  ${describeMessage(m)}`);
    switch (m.type) {
      case 'worker-ready':
        return this.onWorkerReady(w, m);
      case 'start-failed':
        process.stderr.write(`gramine-ts: cannot execute ${this.request?.filename}: ${m.message}\n`);
        return this.finish?.(m.errno === 2 ? 127 : 126, 'exec failed');
      case 'process-exited':
        if (m.vpid === FIRST_VPID) return this.finish?.(m.signal !== null ? 128 + m.signal : (m.code ?? 1), 'vm1 exited');
        return;
      case 'standby-request':
        this.standbysHeld.set(m.vpid, Math.min(Math.max(m.holds, 1), STANDBYS_IN_A_BURST));
        return void this.onStandbyRequest(w, m.vpid, m.urgent);
      case 'forked':
        this.onForked(w, m);
        if (m.spare) void this.onStandbyRequest(w, m.parentVpid, false);
        return;
      case 'reaped':
        if (w.vpid !== null) this.reaped(w.vpid, m.vpid);
        return;
      case 'tids-request': {
        const tids = w.vpid === m.vpid ? this.table.reserveTids(m.vpid, Math.min(Math.max(m.count, 0), 64)) : [];
        return this.send(w, { type: 'tids-reply', v: 1, reqId: m.reqId, tids });
      }
      case 'unsupported':
        return this.unsupported.add(m.counts, (feature) => this.unsupportedLog?.warn(`unsupported: ${feature} (first used by vpid ${m.vpid})`));
      case 'tids-released':
        if (w.vpid === m.vpid) this.table.releaseTids(m.vpid, m.tids);
        return;
      case 'pid-lookup':
        return this.onPidLookup(w, m);
      case 'standby-taken':
        return this.onStandbyTaken(w, m);
      case 'adopted':
        return this.onAdopted(w, m);
      case 'group-children':
        return this.send(w, { type: 'group-children-reply', v: 1, reqId: m.reqId, hostPids: this.table.groupChildren(m.parent, m.pgid) });
      case 'creds-changed':
        return this.onCredsChanged(w, m);
      case 'host-pid':
        if (this.table.get(m.vpid)?.worker === w) this.table.learnHostPid(m.vpid, m.hostPid);
        return;
      case 'process-list':
        return this.onProcessList(w, m);
      case 'peer-creds': {
        const e = this.table.byHost(m.hostPid);
        const ids = e && e.state !== 'reserved' ? e : { vpid: 0, uid: -1, euid: -1, gid: -1, egid: -1 };
        return this.send(w, {
          type: 'peer-creds-reply', v: 1, reqId: m.reqId, vpid: ids.vpid, uid: ids.uid, euid: ids.euid, gid: ids.gid, egid: ids.egid,
        });
      }
      case 'kill-request':
        return this.onKill(w, m);
      case 'pgrp-request':
        return this.onPgrp(w, m);
      case 'applied':
        return this.onApplied(m.ackId, w, m.refused);
      case 'trusted-copy':
        return this.scratch?.keepTrustedCopy(w.pid, m.fd, m.name, m.path, m.size);
      case 'first-process-stopped':
        if (w === this.firstWorker && m.stopped) this.terminal?.suspend();
        return;
      case 'parent-thread-exited': {
        const parent = this.table.get(m.vpid);
        if (w.vpid !== m.vpid || parent?.worker !== w) return;
        for (const vpid of m.children) {
          const child = this.table.get(vpid);
          if (child?.ppid === m.vpid) this.sendPdeathSignal(child, parent);
        }
        return;
      }
      case 'pdeath-signal':
        if (w.vpid === m.vpid && this.table.get(m.vpid)?.worker === w && m.sig > 0 && m.sig <= 64) this.pdeathSignals.set(m.vpid, m.sig);
        else this.pdeathSignals.delete(m.vpid);
        return this.send(w, { type: 'pdeath-signal-reply', v: 1, reqId: m.reqId });
      case 'socket-directory': {
        const r = this.heldDirectories.holdSocketDirectory(w.pid, m.fd);
        return this.send(w, { type: 'socket-directory-reply', v: 1, reqId: m.reqId, ...(typeof r === 'string' ? { path: r, errno: 0 } : { path: '', errno: -r }) });
      }
      case 'mq-request': {
        if (w.vpid !== m.caller || this.table.get(m.caller)?.worker !== w) return;
        const caller = { vpid: m.caller, euid: m.euid, egid: m.egid };
        const r = m.op === 'open' ? this.mq.open(caller, m.name, m.flags, m.mode, m.attr) : this.mq.unlink(caller, m.name);
        return this.send(w, { type: 'mq-reply', v: 1, reqId: m.reqId, value: typeof r === 'number' ? r : 0, path: typeof r === 'string' ? r : '' });
      }
      case 'attestation-request':
        return this.onAttestation(w, m);
      case 'encrypted-request':
        // always answered: the worker waits (an app's own memfd may look like a copy to a fsync)
        if (w.vpid === null || !this.encryptedCopies) return this.send(w, { type: 'encrypted-reply', v: 1, reqId: m.reqId, errno: m.op === 'sync' ? 0 : Errno.EINVAL, path: '' });
        return this.send(w, this.encryptedCopies.answer(w.pid, w.vpid, m));
      case 'sysv-request': {
        // a worker speaks for its own process only
        if (w.vpid !== m.caller || this.table.get(m.caller)?.worker !== w) return;
        const reply = answerSysv(this.sysv, m, (waitId) => this.send(w, { type: 'sysv-wake', v: 1, waitId }));
        if (reply instanceof Promise) void reply.then((r) => this.send(w, r));
        else if (reply) this.send(w, reply);
        return;
      }
      default:
        this.log?.warn(`unexpected ${m.type} from ${this.name(w)}`);
    }
  }

  /** A process asks for its instance's keys, a report or a quote (its worker speaks for it). */
  private onAttestation(w: WorkerHandle, m: Msg<'attestation-request'>): void {
    if (w.vpid === null || !this.request) return;
    void this.instanceAttestation(this.request).answer(m).then((reply) => this.send(w, reply));
  }

  /** The instance's keys and attestation, made when first needed. */
  private instanceAttestation(req: RunRequest): InstanceAttestation {
    return this.attestation ??= new InstanceAttestation(this.measurement, req.manifest, (line) => process.stderr.write(`gramine-ts: ${line}\n`));
  }

  private onWorkerReady(w: WorkerHandle, m: Msg<'worker-ready'>): void {
    if (m.gone) {
      this.onProcessGone(w, m.gone.vpid, m.gone.ran);
      // its last word of that process: all it told of its forks came before
      if (this.standbysAwaitWorker.get(m.gone.vpid) === w || this.table.get(m.gone.vpid)) this.workerDoneWith(m.gone.vpid);
    }
    if (w.booting && this.instanceConfig) this.send(w, this.instanceConfig);
    if (w === this.firstWorker && w.vpid === null && this.request) {
      this.pool.booted(w);
      const req = this.request;
      w.vpid = FIRST_VPID;
      this.table.allocatePid();
      this.table.add({
        vpid: FIRST_VPID, ppid: 0, pgid: FIRST_VPID, sid: FIRST_VPID, uid: req.uid, euid: req.uid, suid: req.uid,
        gid: req.gid, egid: req.gid, hostPid: null, worker: w,
        state: 'running',
      });
      // its standby children first (with room to spare, offered at once): the worker has them for
      // the stub's HELLO, whose reply hands one over, so that even the first fork needs no reply
      for (let i = 0; i < STANDBYS_PER_PROCESS; i++) void this.onStandbyRequest(w, FIRST_VPID, false);
      this.send(w, {
        type: 'start-process', v: 1, vpid: FIRST_VPID, ppid: 0, pgid: FIRST_VPID, sid: FIRST_VPID,
        filename: req.filename, argv: req.argv, env: req.env, cwd: req.cwd,
        uid: req.uid, gid: req.gid, groups: supplementaryGroups(),
        umask: parseInt(statusField('Umask'), 8), // inherited, as from a shell
        logLevel: req.logLevel, traceFile: req.traceFile, straceFile: req.straceFile ?? null, cpu: (w.cpu = cpuFor(FIRST_VPID)),
        sandbox: this.sandbox, foreground: this.terminal !== null,
      });
      return;
    }
    // one started for a standby child: it is that child's, and serves it if it has asked meanwhile
    const held = w.vpid !== null ? this.standbys.get(w.vpid) : undefined;
    if (w.booting && held?.worker === w) {
      this.pool.booted(w);
      if (held.wanted) this.adopt(w.vpid!);
      return;
    }
    w.vpid = null;
    this.pool.ready(w);
  }

  /**
   * A process wants a standby child: reserve the child's vpid and a free worker, make the child's
   * channel and lifeline, and offer the parent's worker their app ends.
   */
  private async onStandbyRequest(parentWorker: WorkerHandle, parentVpid: number, urgent: boolean): Promise<void> {
    const pe = this.table.get(parentVpid);
    // a child may ask before its parent's `forked` has arrived: its worker is the one it was given
    if (!pe || pe.worker !== parentWorker || pe.state === 'exited') return;
    const mine = [...this.standbys.values()].filter((s) => s.parentVpid === parentVpid && !s.used);
    // a fork waits for a standby asked for before, as a spare: it is urgent now
    if (urgent) for (const s of mine) if (!s.worker) this.pool.hurry(s.request);
    // with room to spare the child gets a worker only if it asks something (adopt finds one
    // then); near the host's limits, one standby, with a worker set aside before it is offered
    const lazy = this.pool.roomToSpare();
    if (mine.length >= (lazy ? (this.standbysHeld.get(parentVpid) ?? STANDBYS_PER_PROCESS) : 1)) return;
    const standby = this.newStandby(pe, lazy, urgent);
    if (!standby) {
      if (pe.worker && pe.state === 'running') this.send(pe.worker, { type: 'standby-refused', v: 1, parentVpid });
      return;
    }
    const { vpid, held } = standby;
    const offer: Msg<'standby-offer'> = { type: 'standby-offer', v: 1, parentVpid, vpid, ...held.appEnds, key: standby.key, cpu: standby.cpu, lazy };
    if (lazy) return this.send(pe.worker, offer);
    const worker = await this.pool.acquire(standby.request);
    if (worker === null) {
      // no worker could start (the host's process limits): the fork that waits fails with EAGAIN
      if (this.standbys.get(vpid) === standby) this.dropStandby(vpid, standby);
      if (pe.worker && pe.state === 'running') this.send(pe.worker, { type: 'standby-refused', v: 1, parentVpid });
      return;
    }
    if (this.standbys.get(vpid) !== standby || !this.table.get(vpid) || !pe.worker) {
      // the parent is gone already
      this.pool.giveBack(worker);
      if (this.standbys.get(vpid) === standby) this.dropStandby(vpid, standby);
      return;
    }
    this.setAside(vpid, standby, worker);
    this.send(pe.worker, offer);
  }

  /** A standby child of `pe`: its vpid reserved, its channel and lifeline made (null: they could not be). */
  private newStandby(pe: ProcessEntry, lazy: boolean, urgent: boolean): (Standby & { vpid: number }) | null {
    const vpid = this.table.allocatePid();
    this.table.add({
      vpid, ppid: pe.vpid, pgid: pe.pgid, sid: pe.sid, uid: pe.uid, euid: pe.euid, suid: pe.suid, gid: pe.gid, egid: pe.egid,
      hostPid: null, worker: null,
      state: 'reserved',
    });
    let held: HeldChild;
    try {
      held = new HeldChild(this.heldChildEvents(vpid), lazy);
    } catch (e) {
      this.log?.warn(`vm${vpid}: ${e instanceof Error ? e.message : String(e)}`);
      this.removeUnborn(vpid);
      return null;
    }
    const standby: Standby = {
      parentVpid: pe.vpid, held, key: newCheckpointKey(), worker: null, request: { urgent }, handedOver: false, wanted: false, used: false,
      told: false, lazy, cpu: cpuFor(vpid), replacements: 0, replacing: false,
    };
    this.standbys.set(vpid, standby);
    return Object.assign(standby, { vpid });
  }

  /**
   * A held child forks, having asked nothing else: the leader grants it (no worker is needed
   * for that), with a grandchild held as any standby is, sealed the state its parent was
   * forked with (a held child has changed nothing a worker keeps: that would have asked its
   * worker). Not when a worker must see the fork: tracing, sys.disallow_subprocesses, or near
   * the host's limits (a standby's worker is set aside first there).
   */
  private forkForHeld(parentVpid: number): LeaderFork | null {
    const req = this.request;
    const parent = this.standbys.get(parentVpid);
    const pe = this.table.get(parentVpid);
    if (!req || req.traceFile || req.straceFile || req.manifest.disallowSubprocesses || !this.pool.roomToSpare()) return null;
    if (!parent || parent.handedOver || pe?.state !== 'running' || !pe.hostPid) return null;
    const source = parent.held.forkSource();
    if (!source) return null;
    const standby = this.newStandby(pe, true, false);
    if (!standby) {
      host.close(source.cwdFd);
      return null;
    }
    standby.used = true;
    // The grandchild's state, and its sealing, are made only when a worker takes it or it forks
    // in turn: most such children (a pipeline's commands) exec or exit first. What it differs
    // from its parent's state by is taken now (a umask its parent's stub set alone since its fork).
    const parentState = (parent.state ??= once(() => openCheckpoint(source.sealed(), parent.key, parentVpid)));
    const fork = { vpid: standby.vpid, ppid: parentVpid, parentHostPid: pe.hostPid, umask: parent.held.umask };
    const state = (standby.state = once(() => {
      const from = parentState();
      return { ...from, ...fork, umask: fork.umask ?? from.umask };
    }));
    const sealed = once(() => Buffer.from(sealCheckpoint(state(), standby.key)));
    const { held } = standby;
    return {
      vpid: standby.vpid, ...held.appEnds, cpu: parent.held.childrenUnreaped >= PIN_AMONG ? standby.cpu : null,
      done: () => held.forkedByLeader(sealed, source.cwdFd, source.execed && { ...source.execed, own: false }),
    };
  }

  /** A held child's stub forked the child the leader granted it (its CHILD_STARTED): as a worker's `forked`. */
  private heldForked(parentVpid: number, vpid: number, hostPid: number, channelFd: number): boolean {
    const parentHostPid = this.table.get(parentVpid)?.hostPid;
    const checked = hostPid > 0 && !!parentHostPid && processOf(hostPid)?.ppid === parentHostPid;
    this.log?.info(`vm${parentVpid} → leader  FORKED parentVpid=${parentVpid} vpid=${vpid} hostPid=${hostPid} checked=${checked} alone=false by=leader`);
    this.forkTold({ vpid, hostPid, checked, channelFd });
    return checked;
  }

  /** Process `parentVpid` reaped child `vpid` (only the parent reaps: vpid 1 for orphans, which it is by then). */
  private reaped(parentVpid: number, vpid: number): void {
    const e = this.table.get(vpid);
    if (!e || e.ppid !== parentVpid) return;
    // the parent may reap it before its own worker has said it is gone
    if (e.worker?.vpid === vpid) this.pool.returns(e.worker);
    this.onProcessExited(vpid);
    this.table.remove(vpid);
  }

  /** `worker` is the one held child `vpid` will have: it stays out of the pool meanwhile. */
  private setAside(vpid: number, standby: Standby, worker: WorkerHandle): void {
    standby.worker = worker;
    worker.vpid = vpid;
    worker.cpu = standby.cpu; // beside the child, which pinned itself there
    if (standby.wanted) this.adopt(vpid);
  }

  /** What the leader does as a held child stirs. */
  private heldChildEvents(vpid: number): ConstructorParameters<typeof HeldChild>[0] {
    return {
      forked: () => {
        const standby = this.standbys.get(vpid);
        if (standby) standby.used = true;
      },
      announced: (hostPid) => {
        if (this.table.get(vpid)) this.childRuns(vpid, hostPid);
      },
      vouched: () => this.table.get(vpid)?.hostPid ?? null,
      forged: (hostPid) => this.log?.error(`vm${vpid}: FORKED names host process ${hostPid}, which does not hold the child's channel: ignored`),
      asks: () => this.adopt(vpid),
      left: () => {
        const standby = this.standbys.get(vpid);
        if (!standby) return;
        this.standbys.delete(vpid);
        this.freeSetAside(standby);
        // its parent's worker will still tell of the fork (not if the parent is gone already)
        const untold = !standby.told && this.table.get(standby.parentVpid)?.state === 'running';
        if (this.table.get(vpid)?.state === 'reserved' && untold) this.endedUntold.add(vpid);
        else if (this.table.get(vpid)) this.onProcessExited(vpid);
        this.retryLookups(); // a lookup waiting for it has its answer now
        this.retryKills();
      },
      broken: (why) => {
        const standby = this.standbys.get(vpid);
        if (standby) this.dropBroken(vpid, standby, why);
        else process.stderr.write(`gramine-ts: vm${vpid}: ${why}\n`);
      },
      fork: () => this.forkForHeld(vpid),
      childStarted: (child, hostPid, channelFd) => this.heldForked(vpid, child, hostPid, channelFd),
      childReaped: (child) => this.reaped(vpid, child),
    };
  }

  /** The held child `vpid` needs its worker: hand it over to the one set aside (or the next to come). */
  private adopt(vpid: number): void {
    const standby = this.standbys.get(vpid);
    const e = this.table.get(vpid);
    if (!standby || standby.handedOver || !e) return;
    if (!standby.worker || standby.worker.booting) {
      standby.wanted = true;
      if (!standby.worker && !standby.replacing) this.replaceSetAside(vpid, standby);
      else if (!standby.worker) this.pool.hurry(standby.request);
      return;
    }
    const forks = FORK_CALLS.has(standby.held.firstSyscall() ?? -1);
    let h: Handover | null;
    try {
      h = standby.held.handOver();
    } catch (e) {
      // the state a grandchild was forked with, made now, could not be: its parent's did not open
      return this.dropBroken(vpid, standby, `its state could not be made (${e instanceof Error ? e.message : String(e)}): killed`);
    }
    if (!h) return; // not forked (yet): nothing to serve
    standby.handedOver = true;
    const worker = standby.worker;
    e.worker = worker;
    this.send(worker, {
      type: 'adopt', v: 1, vpid, ppid: e.ppid, pgid: e.pgid, sid: e.sid, key: standby.key, sealed: h.sealed,
      channelFd: h.channelFd, lifelineFd: h.lifelineFd, cwdFd: h.cwdFd, appEndInode: h.appEndInode,
      hostPid: h.hostPid || (e.hostPid ?? 0), hostTid: h.hostTid, cpu: standby.cpu, children: h.children, execed: h.execed, umask: h.umask,
    });
    // it asks to fork first (a shell's subshell running a pipeline): its standby children come
    // with it, as the first process's do, not after its worker has found it must ask for them
    if (forks) for (let i = 0; i < STANDBYS_PER_PROCESS; i++) void this.onStandbyRequest(worker, vpid, true);
    this.retryKills();
  }

  /**
   * The worker set aside for a held child is gone, or (lazy) it asked and has none: another
   * one, once (a Node that does not boot may stand for a host that will not run one). With
   * none, a child not forked yet goes (its parent's fork kills it: its lifeline has no other
   * end), a forked one that has asked is killed, said in one line, and one that has not asked is
   * held on without a worker (one is found for it when it asks).
   */
  private replaceSetAside(vpid: number, standby: Standby): void {
    const again = standby.replacements++ < (standby.lazy ? 2 : 1);
    standby.request = { urgent: standby.wanted };
    standby.replacing = true;
    // one that is still booting may be set aside: only a child that asks waits for it (adopt)
    const next = again ? this.pool.acquire(standby.request, { booting: true }) : Promise.resolve(null);
    void next.then((w) => {
      standby.replacing = false;
      if (this.standbys.get(vpid) !== standby) {
        if (w) this.pool.giveBack(w);
      } else if (w) {
        this.setAside(vpid, standby, w);
      } else if (standby.used && !standby.wanted) {
        // held on: it may end without asking anything
      } else {
        if (standby.used) process.stderr.write(`gramine-ts: vm${vpid}: no worker could start to serve it: killed\n`);
        this.dropStandby(vpid, standby);
      }
    });
  }

  /** The kills that waited for a held child's worker: the child has one now, or is gone. */
  private retryKills(): void {
    for (const k of this.killsAwaitingWorkers.splice(0)) this.onKill(k.w, k.m);
  }

  /** The worker has taken the held child's fds (or could not): the leader's copies go. */
  private onAdopted(w: WorkerHandle, m: Msg<'adopted'>): void {
    const standby = this.standbys.get(m.vpid);
    if (!standby || standby.worker !== w || !standby.handedOver) return;
    this.standbys.delete(m.vpid);
    standby.held.release(); // (its lifeline's last end, if the worker could not take it: the child dies)
    if (m.ok) return;
    const e = this.table.get(m.vpid);
    if (e?.worker === w) e.worker = null;
    w.vpid = null;
    this.pool.ready(w);
    process.stderr.write(`gramine-ts: vm${m.vpid} could not be handed to worker ${w.pid}: killed\n`);
  }

  /** A held child that cannot be served, said in one line (`why`), and let go (dropStandby). */
  private dropBroken(vpid: number, standby: Standby, why: string): void {
    process.stderr.write(`gramine-ts: vm${vpid}: ${why}\n`);
    this.dropStandby(vpid, standby);
  }

  /** A held child that will not be served: its fds go, its worker back to the pool, its vpid if it never ran. */
  private dropStandby(vpid: number, standby: Standby): void {
    this.standbys.delete(vpid);
    standby.held.release();
    this.freeSetAside(standby);
    if (this.table.get(vpid)?.state === 'reserved') this.removeUnborn(vpid);
    this.retryKills();
  }

  private freeSetAside(standby: Standby): void {
    const w = standby.worker;
    standby.worker = null;
    if (!w || standby.handedOver) return;
    w.vpid = null;
    this.pool.giveBack(w);
  }

  /**
   * A parent's stub forked into its standby: the child runs (or the fork failed on the host).
   * The child may have said so first (its FORKED): whichever comes first counts.
   */
  private onForked(w: WorkerHandle, m: Msg<'forked'>): void {
    const parent = this.table.get(m.parentVpid);
    const child = this.table.get(m.vpid);
    const standby = this.standbys.get(m.vpid);
    // a parent that forked alone and was reaped before its worker told of it: that worker still
    // tells (it is the one its standbys wait for), of a child re-parented since
    const parentWorker = parent ? parent.worker : (this.standbysAwaitWorker.get(m.parentVpid) ?? null);
    const itsChild = child?.ppid === m.parentVpid || standby?.parentVpid === m.parentVpid;
    if (!child || parentWorker !== w || !itsChild) {
      this.log?.warn(`forked vm${m.vpid} from ${this.name(w)} ignored`);
      return;
    }
    this.forkTold(m);
  }

  /** Who a forked child is on the host (checked, or to check here), or that the fork failed (a negative host pid). */
  private forkTold(m: { vpid: number; hostPid: number; checked: boolean; channelFd: number }): void {
    const child = this.table.get(m.vpid);
    const standby = this.standbys.get(m.vpid);
    if (!child) return;
    if (standby) {
      standby.told = true;
      standby.used = true;
      standby.held.parentForked();
    }
    if (m.hostPid < 0) {
      // the child never existed; the leader sees its channel close and lets it go
      this.endedUntold.delete(m.vpid);
      if (child.state === 'reserved') this.removeUnborn(m.vpid);
      this.retryLookups();
      return;
    }
    if (m.checked) {
      this.childRuns(child.vpid, m.hostPid);
    } else {
      // its parent's worker could not check the host pid its stub named (the child is gone
      // already, or its parent is): the child is the process that holds its channel
      const holds = standby?.held.holdsChannel(m.hostPid, m.channelFd);
      if (holds) this.childRuns(child.vpid, m.hostPid);
      else if (holds === false) this.log?.error(`vm${m.vpid}: its parent's stub names host process ${m.hostPid}, which does not hold the child's channel: ignored`);
    }
    if (this.endedUntold.delete(m.vpid)) this.endUntold(m.vpid);
  }

  /** A held child that ended before its fork was told of: it ends now. */
  private endUntold(vpid: number): void {
    if (this.table.get(vpid)) this.onProcessExited(vpid);
    this.retryLookups();
  }

  /** The child's worker says the child runs (its first words on its channel). */
  private onStandbyTaken(w: WorkerHandle, m: Msg<'standby-taken'>): void {
    const child = this.table.get(m.vpid);
    if (!child || child.worker !== w || m.hostPid <= 0) return;
    this.childRuns(m.vpid, m.hostPid);
  }

  /** A reserved vpid is a running process from now on, in its parent's group and session. */
  private childRuns(vpid: number, hostPid: number): void {
    const child = this.table.get(vpid);
    const parent = child ? this.table.get(child.ppid) : undefined;
    if (child?.state === 'reserved' && parent) {
      // as the parent is at the fork (its changes came before its word of the fork)
      child.pgid = parent.pgid;
      child.sid = parent.sid;
      child.uid = parent.uid;
      child.euid = parent.euid;
      child.suid = parent.suid;
      child.gid = parent.gid;
      child.egid = parent.egid;
    }
    // its parent forked it and exited before either of them told us: an orphan from birth
    if (child?.state === 'reserved' && parent?.state !== 'running') child.ppid = FIRST_VPID;
    if (child?.state === 'reserved' && parent) this.sysv.shm.forked(parent.vpid, vpid);
    this.table.started(vpid, hostPid);
    this.retryLookups();
  }

  /**
   * Answer a pid translation if it can be now. A child forked a moment ago may not be known yet
   * (its parent's and its own worker tell us after the host fork, and the host is quicker): such
   * a lookup waits for them.
   */
  private answerLookup(w: WorkerHandle, m: Msg<'pid-lookup'>): boolean {
    if (m.direction === 'host-of-vpgid' || m.direction === 'vpgid-of-host' || m.direction === 'vsid-of-host') {
      const running = this.table.running();
      const value = m.direction === 'host-of-vpgid' ? hostPgidOf(running, m.id, this.terminal !== null) : virtualOfHostGroup(running, m.id, m.direction === 'vsid-of-host');
      this.send(w, { type: 'pid-lookup-reply', v: 1, reqId: m.reqId, value });
      return true;
    }
    if (m.direction === 'uid-of-vpid') {
      this.send(w, { type: 'pid-lookup-reply', v: 1, reqId: m.reqId, value: this.table.get(m.id)?.uid ?? -1 });
      return true;
    }
    const e = m.direction === 'host-of-vpid' ? this.table.get(m.id) : this.table.byHost(m.id);
    const gone = m.direction === 'vpid-of-host' && !e ? this.table.goneVpid(m.id) : undefined;
    if (m.direction === 'host-of-vpid' ? e?.state === 'reserved' : !e && gone === undefined) return false;
    const value = gone ?? (!e ? 0 : m.direction === 'host-of-vpid' ? (e.hostPid ?? 0) : e.vpid);
    this.send(w, { type: 'pid-lookup-reply', v: 1, reqId: m.reqId, value });
    return true;
  }

  /**
   * A look-up that cannot be answered yet waits for the fork it names to be told of -- up to
   * PARKED_LOOKUPS_PER_WORKER of one worker's: more can only be an app asking for processes
   * that will never be (it can write anything on its channel), and are not found at once.
   */
  private onPidLookup(w: WorkerHandle, m: Msg<'pid-lookup'>): void {
    if (this.answerLookup(w, m)) return;
    let parked = 0;
    for (const p of this.parkedLookups) if (p.worker === w) parked++;
    if (parked >= PARKED_LOOKUPS_PER_WORKER) {
      this.send(w, { type: 'pid-lookup-reply', v: 1, reqId: m.reqId, value: 0 });
      return;
    }
    this.parkedLookups.push({ worker: w, msg: m });
  }

  private retryLookups(): void {
    const parked = this.parkedLookups.splice(0);
    for (const p of parked) if (!this.answerLookup(p.worker, p.msg)) this.parkedLookups.push(p);
  }

  /** The worker's app is gone (or its standby was never used): it said so with its worker-ready. */
  private onProcessGone(w: WorkerHandle, vpid: number, ran: boolean): void {
    const e = this.table.get(vpid);
    if (e && e.worker === w) {
      if (ran) this.onProcessExited(vpid);
      else this.removeUnborn(vpid);
      this.retryLookups(); // a lookup waiting for it has its answer now
    }
    w.vpid = null;
    this.pool.returns(w);
  }

  /** Its parent-death signal (if it asked for one), as from the parent (SI_USER). */
  private sendPdeathSignal(child: ProcessEntry, parent: { vpid: number; uid: number }): void {
    const sig = this.pdeathSignals.get(child.vpid);
    if (!sig || child.state !== 'running' || !child.worker) return;
    this.send(child.worker, {
      type: 'signal', v: 1, vpid: child.vpid, signo: sig, code: SI_USER, pid: parent.vpid, uid: parent.uid, status: null,
      ackId: null, hostPid: child.hostPid, info: null, tid: null,
    });
  }

  /** The host pids of the running processes but `vpid`. */
  private runningHostPids(vpid: number): number[] {
    return this.table.running().flatMap((e) => (e.hostPid !== null && e.vpid !== vpid ? [e.hostPid] : []));
  }

  /** A reserved vpid that never ran goes (the copies its parent left it as an heir are let go, if no one else holds them). */
  private removeUnborn(vpid: number): void {
    this.table.remove(vpid);
    this.encryptedCopies?.exited(vpid, [], () => this.runningHostPids(vpid));
  }

  /** The process has ended (maybe before its parent's `forked` came in: it is no standby now). */
  private onProcessExited(vpid: number): void {
    this.standbysHeld.delete(vpid);
    const parentWorker = this.table.get(vpid)?.worker ?? null;
    // its children that ended untold: it will not tell of them now
    for (const c of this.endedUntold) {
      if (this.table.get(c)?.ppid !== vpid) continue;
      this.endedUntold.delete(c);
      this.endUntold(c);
    }
    // a child reserved for it may have been forked already, with the fds of its copies
    const heirs = this.table.children(vpid).filter((c) => c.state === 'reserved').map((c) => c.vpid);
    this.encryptedCopies?.exited(vpid, heirs, () => this.runningHostPids(vpid));
    // a held child reaped before the leader saw it end: what it told meanwhile (a child the
    // leader forked for it, one it reaped) is read first, as its channel's stirring would have
    const held = this.standbys.get(vpid);
    if (held?.used && !held.handedOver) {
      held.held.drainTold();
      this.dropStandby(vpid, held);
    }
    this.sysv.shm.detachAll(vpid);
    const parent = this.table.get(vpid);
    const orphans = this.table.exited(vpid);
    this.sysv.sem.exited(vpid);
    this.pdeathSignals.delete(vpid);
    for (const o of orphans) {
      if (!o.worker) continue;
      this.send(o.worker, { type: 'reparent', v: 1, vpid: o.vpid, ppid: o.ppid });
      this.sendPdeathSignal(o, parent ?? { vpid, uid: 0 });
    }
    // Its standby children not forked will never be (a forked one stays held: an orphan). But
    // its stub may have forked into one alone, which its worker tells of after (the state
    // sealed then): not before that worker has said it is done with the process (worker-ready).
    const told = this.workerDone.delete(vpid);
    if (told || !parentWorker || parentWorker.gone || !this.hasUnforkedStandbys(vpid)) this.cancelStandbys(vpid);
    else this.standbysAwaitWorker.set(vpid, parentWorker);
  }

  /** Process `vpid`'s worker has told all it will of it (it said so, or it is gone). */
  private workerDoneWith(vpid: number): void {
    if (this.standbysAwaitWorker.delete(vpid)) this.cancelStandbys(vpid);
    else if (this.table.get(vpid) && this.hasUnforkedStandbys(vpid)) this.workerDone.add(vpid); // (its reaping, which lets them go, comes after)
  }

  /** Has process `vpid` standby children whose checkpoint has not come (not forked into, or not told yet)? */
  private hasUnforkedStandbys(vpid: number): boolean {
    for (const standby of this.standbys.values()) if (standby.parentVpid === vpid && !standby.held.isForked) return true;
    return false;
  }

  /** The standby children of ended process `parentVpid` that it never forked into go. */
  private cancelStandbys(parentVpid: number): void {
    for (const [childVpid, standby] of this.standbys) {
      if (standby.parentVpid === parentVpid && standby.held.cancel()) this.dropStandby(childVpid, standby);
    }
  }

  /**
   * kill(2) across the instance: the targets' workers queue the signal and ring their stubs;
   * once every one has, the signal is pending everywhere and the sender hears back.
   */
  private onKill(w: WorkerHandle, m: Msg<'kill-request'>): void {
    const sender = this.table.get(m.sender);
    // a thread's tid names its process (kill), or that thread of process `id` (tgkill; tkill: id 0, any process's)
    const owner = m.target === 'pid' ? this.table.tidOwnerOf(m.tid ?? m.id) : undefined;
    const id = m.target !== 'pid' ? m.id : m.tid === null ? (owner ?? m.id) : m.id === 0 || owner === m.id ? (owner ?? 0) : 0;
    const targets = id === 0 && m.target === 'pid' ? [] : this.table.killTargets(m.sender, m.target, id);
    const permitted = sender ? targets.filter((t) => this.table.maySignal(sender, t, m.sig)) : [];
    // as Linux: no such process, or none we may signal (kill(-1) passes over those silently)
    const errno = !targets.length ? ESRCH : !permitted.length && m.target !== 'all' ? EPERM : 0;
    const reply = () => this.send(w, { type: 'kill-reply', v: 1, reqId: m.reqId, errno });
    // a held child gets its worker now (it is told of the signal next); one whose worker is
    // still booting hears of it once that worker has it
    if (m.sig !== 0) for (const t of permitted) if (t.state === 'running' && !t.worker) this.adopt(t.vpid);
    if (m.sig !== 0 && permitted.some((t) => t.state === 'running' && !t.worker && this.standbys.get(t.vpid)?.wanted)) {
      this.killsAwaitingWorkers.push({ w, m });
      return;
    }
    const live = m.sig === 0 ? [] : permitted.filter((t) => t.state === 'running' && t.worker);
    if (!live.length) return reply();
    const ackId = this.nextAckId++;
    this.pendingAcks.set(ackId, { owing: new Set(live.map((t) => t.worker!)), done: reply, refused: false });
    for (const t of live) {
      this.send(t.worker!, {
        type: 'signal', v: 1, vpid: t.vpid, signo: m.sig, code: m.code, pid: m.sender, uid: sender!.uid, status: null, ackId,
        info: m.info,
        hostPid: t.hostPid,
        tid: m.tid,
      });
    }
  }

  /** Process groups and sessions live here: a change is told to the process's worker first. */
  private onPgrp(w: WorkerHandle, m: Msg<'pgrp-request'>): void {
    const reply = (value: number, errno = 0, hostPgid = -1) => this.send(w, { type: 'pgrp-reply', v: 1, reqId: m.reqId, value, errno, hostPgid });
    const lookup = this.table.get(m.pid === 0 ? m.caller : m.pid);
    if (m.op === 'getpgid' || m.op === 'getsid') {
      if (!lookup) return reply(0, ESRCH);
      return reply(m.op === 'getpgid' ? lookup.pgid : lookup.sid);
    }
    const before = lookup?.pgid;
    const r = m.op === 'setsid' ? this.table.setsid(m.caller) : this.table.setpgid(m.caller, m.pid, m.pgid);
    if (typeof r === 'number') return reply(0, r);
    // the host group the stub moves the target into: one of its own (0), the group's, or none (-1)
    const hostPgid = m.op !== 'setpgid' || before === r.pgid ? -1 : r.pgid === r.vpid ? 0 : hostPgidOf(this.table.running(), r.pgid, this.terminal !== null, r.vpid) || -1;
    const done = (refused: boolean) => {
      if (!refused) return reply(m.op === 'setsid' ? r.sid : 0, 0, hostPgid);
      // the child had exec'd: its group stays as it was
      if (before !== undefined) r.pgid = before;
      reply(0, EACCES);
    };
    if (!r.worker) return done(false);
    // another worker's process: the caller goes on once that worker has the change (its getpgrp is local)
    const ackId = r.worker === w ? null : this.nextAckId++;
    if (ackId !== null) this.pendingAcks.set(ackId, { owing: new Set([r.worker]), done, refused: false });
    const byParent = m.op === 'setpgid' && r.vpid !== m.caller;
    this.send(r.worker, { type: 'pgrp-changed', v: 1, vpid: r.vpid, pgid: r.pgid, sid: r.sid, ackId, byParent });
    if (ackId === null) done(false);
  }

  /** The running processes whose host pid is known (a child forked a moment ago may not be yet), for /proc. */
  private onProcessList(w: WorkerHandle, m: Msg<'process-list'>): void {
    const processes = this.table.running().flatMap((e) =>
      e.hostPid === null ? [] : [{ vpid: e.vpid, hostPid: e.hostPid, ppid: e.ppid, pgid: e.pgid, sid: e.sid }]);
    this.send(w, { type: 'process-list-reply', v: 1, reqId: m.reqId, processes });
  }

  /**
   * A process's user ids changed. Its parent's worker learns a new real uid before the setuid
   * returns: the SIGCHLDs it translates name it (si_uid), even for an exit right after.
   */
  private onCredsChanged(w: WorkerHandle, m: Msg<'creds-changed'>): void {
    const reply = () => this.send(w, { type: 'creds-reply', v: 1, reqId: m.reqId });
    const e = this.table.get(m.vpid);
    if (e?.worker !== w) return reply();
    const uidChanged = e.uid !== m.uid;
    e.uid = m.uid;
    e.euid = m.euid;
    e.suid = m.suid;
    e.gid = m.gid;
    e.egid = m.egid;
    const parent = this.table.get(e.ppid);
    if (!uidChanged || parent?.state !== 'running' || !parent.worker) return reply();
    const ackId = this.nextAckId++;
    this.pendingAcks.set(ackId, { owing: new Set([parent.worker]), done: reply, refused: false });
    this.send(parent.worker, { type: 'child-creds', v: 1, vpid: parent.vpid, child: e.vpid, uid: m.uid, ackId });
  }

  private onApplied(ackId: number, w: WorkerHandle, refused = false): void {
    const p = this.pendingAcks.get(ackId);
    if (!p) return;
    p.owing.delete(w);
    p.refused ||= refused;
    if (p.owing.size) return;
    this.pendingAcks.delete(ackId);
    p.done(p.refused);
  }

  private onWorkerGone(w: WorkerHandle): void {
    // its look-ups have no one to answer to
    for (let i = this.parkedLookups.length - 1; i >= 0; i--) if (this.parkedLookups[i]!.worker === w) this.parkedLookups.splice(i, 1);
    // a dead worker owes no acknowledgement (its app is killed with it): the sender goes on
    for (const ackId of [...this.pendingAcks.keys()]) {
      const p = this.pendingAcks.get(ackId)!;
      if (p.owing.has(w)) this.onApplied(ackId, w);
    }
    // what it had to tell of its processes it never will now
    for (const [vpid, worker] of this.standbysAwaitWorker) if (worker === w) this.workerDoneWith(vpid);
    // a worker set aside for a held child died: another one is, or the child goes (it dies with its lifeline)
    for (const [childVpid, standby] of this.standbys) {
      if (standby.worker !== w) continue;
      standby.worker = null;
      if (standby.handedOver) {
        this.standbys.delete(childVpid);
        standby.held.release();
        continue;
      }
      this.replaceSetAside(childVpid, standby);
    }
    const unexpected = !this.ended && !w.killed;
    const vpid = w.vpid;
    const role = vpid !== null ? `of vm${vpid}` : w.booting ? '(starting)' : '(free)';
    /** one line naming the process that died, and what follows */
    const report = (how: string, then: string) => {
      const what = w.pid <= 0 ? `a new worker ${how}`
        : w.lost !== null ? `worker ${w.pid} ${role} killed: its connection to the leader failed (${w.lost})`
        : `worker ${w.pid} ${role} died (${how})`;
      process.stderr.write(`gramine-ts: ${what}${then}\n`);
    };
    if (w === this.firstWorker) {
      // said before the instance ends: the exit status alone would not say who died
      w.onEnd((how) => {
        if (unexpected) report(how, '; the instance ends');
        // one that never started: the instance did not either (and run() may not have begun)
        this.firstWorkerEnded = w.pid > 0 ? 128 + constants.signals.SIGKILL : 1;
        this.finish?.(this.firstWorkerEnded, 'worker of vm1 died');
      });
      return;
    }
    // A worker that dies takes its app with it: the parent sees it die of SIGKILL. One only set
    // aside for a held child (not handed it) does not: the child gets another (replaceSetAside),
    // or is let go, said in one line.
    const e = vpid !== null ? this.table.get(vpid) : undefined;
    const serving = e !== undefined && e.worker === w;
    if (unexpected) w.onEnd((how) => this.ended || report(how, serving ? `; vm${vpid} is killed with it` : ''));
    if (serving && e.state === 'running' && e.hostPid !== null) killQuietly(e.hostPid);
  }

  /** The first process is gone: so is everything else of the instance. */
  /**
   * Host signals to `gramine-ts run`: SIGINT (a terminal's Ctrl-C) and SIGTERM end the instance
   * cleanly, unless the manifest asks for SIGTERM to be injected (sys.enable_sigterm_injection:
   * the first one goes to vpid 1 as a signal from outside the instance, as Gramine does); the
   * other signals a shell or a supervisor may send are ignored, as in Gramine (SIGUSR1 would
   * otherwise open Node's inspector on the leader).
   */
  private handleHostSignals(inject: boolean): void {
    let injected = false;
    const end = (sig: 'SIGINT' | 'SIGTERM') => () => {
      if (sig === 'SIGTERM' && inject) {
        if (injected) return;
        injected = true;
        return this.injectSigterm();
      }
      this.finish?.(128 + constants.signals[sig], `${sig} from the host`);
    };
    process.on('SIGINT', end('SIGINT'));
    process.on('SIGTERM', end('SIGTERM'));
    for (const sig of IGNORED_HOST_SIGNALS) process.on(sig, () => this.log?.info(`${sig} from the host: ignored`));
  }

  /** SIGTERM to vpid 1 from outside the instance: si_pid 0, SI_USER. */
  private injectSigterm(): void {
    const first = this.table.get(FIRST_VPID);
    if (!first?.worker || first.state !== 'running') return;
    this.log?.info('SIGTERM from the host: injected into vm1');
    this.send(first.worker, {
      type: 'signal', v: 1, vpid: FIRST_VPID, signo: constants.signals.SIGTERM, code: SI_USER, pid: 0, uid: 0, status: null,
      ackId: null, hostPid: first.hostPid, info: null, tid: null,
    });
  }

  private teardown(): void {
    for (const e of this.table.running()) {
      if (e.vpid !== FIRST_VPID && e.hostPid !== null) killQuietly(e.hostPid);
    }
    this.pool.killAll();
    // the app processes are gone: what they wrote to encrypted files goes to the host
    this.encryptedCopies?.writeBackAll();
    this.encryptedCopies?.dispose();
    this.sysv.shm.dispose();
    this.sysv.sem.dispose();
    this.mq.dispose();
    this.attestation?.dispose();
    this.scratch?.dispose();
    this.heldDirectories.dispose();
    this.terminal?.restore();
  }
}
