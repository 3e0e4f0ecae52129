// The worker's side of the instance: requests to the leader with their replies matched by id,
// the standby child its process forks into, and the InstanceServices the LibOS of this worker's
// process uses.
import { appendFileSync, openSync, writeSync } from 'node:fs';
import { host } from '../pal/host.js';
import { STUB_PATH } from '../paths.js';
import type { MessageConnection } from '../ipc/protocol/connection.js';
import { warmSealing } from '../ipc/protocol/checkpoint.js';
import { STANDBYS_IN_A_BURST, STANDBYS_PER_PROCESS, validateMessage, type AttestationOp, type Message } from '../ipc/protocol/messages.js';
import { PIN_AMONG, PREFETCH_MAX } from '../pal/channel-abi.js';
import { Errno, SyscallError } from '../libos/errno.js';
import { hostSigcontInfo, siginfoFromHex, type QueuedSignal } from '../libos/signals.js';
import type { ForkedChild, InstanceServices, KeyFile, KillTarget, PgrpOp, PidLookup, Prefetch, ProcessInfo, SysvOp, SysvAnswer } from '../libos/instance.js';
const EFD_CLOEXEC = 0o2000000;
const WAIT_PENDING = -1;
const WAIT_WOKEN = -2;
import type { LibosProcess } from '../libos/process.js';
import type { FdsLimit } from '../manifest/schema.js';
import { releaseOffer, sendCheckpoint, takeOffer, type NextChild } from './standby.js';
import { O_CLOEXEC, O_PATH } from '../pal/linux-abi.js';

type Reply = Extract<
  Message,
  {
    type: 'kill-reply' | 'pgrp-reply' | 'pid-lookup-reply' | 'group-children-reply' | 'process-list-reply' | 'creds-reply' |
      'peer-creds-reply' | 'tids-reply' | 'sysv-reply' | 'mq-reply' | 'pdeath-signal-reply' | 'socket-directory-reply' |
      'attestation-reply' | 'encrypted-reply';
  }
>;
type ReplyTo<T extends Reply['type']> = Extract<Reply, { type: T }>;


/**
 * Signals sent to the host process itself rather than raised by its stub: a stopped process
 * cannot ring its doorbell (SIGCONT), and nothing of the app sees SIGKILL or SIGSTOP arrive.
 */
const SIGCONT = 18;
/** thread ids asked of the leader at once (a process that makes one thread often makes more) */
const TIDS_PER_REQUEST = 8;
const HOST_DELIVERED = new Set([9 /* SIGKILL */, SIGCONT, 19 /* SIGSTOP */]);

export class LeaderClient {
  private nextReqId = 1;
  private readonly pending = new Map<number, (m: Reply) => void>();
  private stubFd = -1;
  /** the process this worker serves now (for re-parenting notices) */
  current: LibosProcess | null = null;
  /** the manifest's sys.disallow_subprocesses: a fork fails with EAGAIN, as in Gramine */
  disallowSubprocesses = false;
  /** the manifest's sys.fds.limit: the first process's RLIMIT_NOFILE, or null */
  fdsLimit: FdsLimit | null = null;
  /** the manifest's sys.stack.size: the first process's RLIMIT_STACK, or null */
  stackSize: number | null = null;
  /** uname's nodename, or null: the host's */
  hostname: string | null = null;
  private forkRefusalLogged = false;
  /** the standby children of the current process, as offered, and forks waiting for one */
  private nextChildren: NextChild[] = [];
  private standbyWaiters: { resolve: (c: NextChild) => void; reject: (e: Error) => void }[] = [];
  /** standbys offered before the first process began (its own: begin takes them) */
  private offeredEarly: { parentVpid: number; child: NextChild }[] = [];
  /** the standbys the current process's stub holds for its next forks (prefetches), with the worker's copies of their fds */
  private stubHolds: NextChild[] = [];
  /** standbys asked for and not offered yet */
  private standbysAsked = 0;
  /** how many standby children the current process may hold (more once its forks come in bursts) */
  private standbysHeld = STANDBYS_PER_PROCESS;

  /** semaphore waits of this worker's stub: wait id -> the worker's copy of the eventfd, or WAIT_PENDING / WAIT_WOKEN before it has one */
  private readonly sysvWaits = new Map<number, number>();
  private nextWaitId = 1;

  constructor(readonly conn: MessageConnection) {}

  /** A reply from the leader to one of our requests. */
  onReply(m: Reply): void {
    const resolve = this.pending.get(m.reqId);
    this.pending.delete(m.reqId);
    resolve?.(m);
  }

  private request<T extends Reply['type']>(send: (reqId: number) => Message): Promise<ReplyTo<T>> {
    const reqId = this.nextReqId++;
    return new Promise((resolve, reject) => {
      try {
        this.toLeader(send(reqId));
      } catch (e) {
        reject(e);
        return;
      }
      this.pending.set(reqId, resolve as (m: Reply) => void);
    });
  }

  /** children reaped since the last message: the leader hears of them with the next one */
  private reaped: number[] = [];
  /** thread ids the leader gave the current process and no thread has yet */
  private spareTids: number[] = [];
  /** tids of threads that exited: the leader hears of them with the next message */
  private releasedTids: number[] = [];
  /** the strace file, once opened */
  private straceFd: number | null = null;

  /**
   * Every message to the leader goes through here. Reaped children ride along with the next
   * message (a fork-heavy process reaps as often as it forks: one write fewer per fork), and
   * before anything that could name them (kill, setpgid, a group wait, the process's end).
   * `m` is checked as the leader will check it: what the app gave (a size of 2^63, say) that
   * the leader's schema refuses is EINVAL for that call, not a malformed message that ends the
   * worker's connection.
   */
  toLeader(m: Message): void {
    try {
      validateMessage(m);
    } catch (e) {
      throw new SyscallError(Errno.EINVAL, `${m.type}: ${e instanceof Error ? e.message : String(e)}`);
    }
    this.flushReaped();
    this.conn.send(m);
  }

  /** Lines to the strace file, appended (one write a line: the instance's workers share the file). */
  private straceWriter(file: string): (line: string) => void {
    this.straceFd ??= openSync(file, 'a');
    const fd = this.straceFd;
    return (line) => void writeSync(fd, line);
  }

  /**
   * Told at once, before the call returns to the app: the leader must have it before anything
   * the app does next (its exit, and its parent's) can end the instance and the report with it.
   */
  private noteUnsupported(proc: LibosProcess, feature: string): void {
    // written before the reply reaches the stub (a batch of this turn would go after it)
    this.conn.sendNow({ type: 'unsupported', v: 1, vpid: proc.id.vpid, counts: { [feature]: 1 } });
  }

  private flushReaped(): void {
    for (const vpid of this.reaped) this.conn.send({ type: 'reaped', v: 1, vpid });
    this.reaped = [];
    if (this.releasedTids.length && this.current) {
      this.conn.send({ type: 'tids-released', v: 1, vpid: this.current.id.vpid, tids: this.releasedTids });
    }
    this.releasedTids = [];
  }

  /** A tid for a new thread: one of the spares, which are asked for a few at a time. */
  private async allocateTid(proc: LibosProcess): Promise<number> {
    if (!this.spareTids.length) {
      const r = await this.request<'tids-reply'>((reqId) => ({ type: 'tids-request', v: 1, reqId, vpid: proc.id.vpid, count: TIDS_PER_REQUEST }));
      this.spareTids.push(...r.tids);
    }
    const tid = this.spareTids.shift();
    if (tid === undefined) throw new SyscallError(Errno.EAGAIN, 'clone: no thread id');
    return tid;
  }

  reparent(vpid: number, ppid: number): void {
    if (this.current?.id.vpid === vpid) this.current.id.ppid = ppid;
  }

  /**
   * Start serving `proc`. It gets standby children at its first fork, and from then on spare
   * ones: most processes exec or exit without forking. The instance's first process has them
   * from the start (a shell, a server: it most likely forks), so its first fork waits for no
   * one (the leader sets no worker aside for a standby unless the host's limits are near, and
   * then only one that is free: no Node starts for it).
   */
  begin(proc: LibosProcess): void {
    this.current = proc;
    for (const { parentVpid, child } of this.offeredEarly) {
      if (parentVpid === proc.id.vpid) this.nextChildren.push(child);
      else releaseOffer(child);
    }
    this.offeredEarly = [];
    // the first process: the leader learns its host pid here (a forked child's comes with its fork)
    if (proc.app.hostPid > 0) this.toLeader({ type: 'host-pid', v: 1, vpid: proc.id.vpid, hostPid: proc.app.hostPid });
    if (proc.id.vpid === 1) {
      this.askForStandbys(false);
      setImmediate(warmSealing); // (the first fork's sealing would pay for the cipher's start-up)
    }
  }

  /** The current process is gone: its unused standbys go back (the leader frees their workers). */
  end(): void {
    this.flushReaped();
    this.prefetchGone();
    for (const c of this.nextChildren) releaseOffer(c);
    this.nextChildren = [];
    this.standbyWaiters = [];
    this.standbysAsked = 0;
    this.standbysHeld = STANDBYS_PER_PROCESS;
    this.spareTids = []; // the leader frees them with the process
    this.releasedTids = [];
    this.current = null;
  }

  /**
   * Ask for as many standby children as the process may hold; `urgent` when a fork waits for
   * one (a spare asked for before is urgent from then on: the leader starts a Node for it).
   */
  private askForStandbys(urgent: boolean): void {
    if (!this.current) return;
    const vpid = this.current.id.vpid;
    const holds = this.standbysHeld;
    let asked = false;
    for (let n = this.standbysOnHand() + this.standbysAsked; n < holds; n++) {
      this.standbysAsked++;
      asked = true;
      this.toLeader({ type: 'standby-request', v: 1, vpid, urgent, holds });
    }
    if (urgent && !asked) this.toLeader({ type: 'standby-request', v: 1, vpid, urgent, holds });
  }

  /** the standbys offered and not forked into: ready here, or held by the stub */
  private standbysOnHand(): number {
    return this.nextChildren.length + this.stubHolds.length;
  }

  /** Whether the process may hold one more standby than it has and has asked for: then it is asked for (counted). */
  private takeSpareSlot(): boolean {
    if (!this.current || this.standbysOnHand() + this.standbysAsked >= this.standbysHeld) return false;
    this.standbysAsked++;
    return true;
  }

  /** The leader offers a standby child of our process. */
  onStandbyOffer(m: Extract<Message, { type: 'standby-offer' }>): void {
    if (this.current === null) {
      // the instance's first process has its standbys before it starts (begin takes them)
      const child = takeOffer(m);
      if (child) this.offeredEarly.push({ parentVpid: m.parentVpid, child });
      return;
    }
    if (this.current.id.vpid !== m.parentVpid) return; // for a process that is gone: the leader cancels it
    this.standbysAsked = Math.max(0, this.standbysAsked - 1);
    const child = takeOffer(m);
    if (!child) {
      this.askForStandbys(this.standbyWaiters.length > 0); // that standby died: another one
      return;
    }
    const waiter = this.standbyWaiters.shift();
    if (waiter) waiter.resolve(child);
    else this.nextChildren.push(child);
  }

  /** No standby child could be had: the fork waiting for one fails as a host fork would. */
  onStandbyRefused(m: Extract<Message, { type: 'standby-refused' }>): void {
    if (this.current?.id.vpid !== m.parentVpid) return;
    this.standbysAsked = Math.max(0, this.standbysAsked - 1);
    this.standbyWaiters.shift()?.reject(new SyscallError(Errno.EAGAIN, 'fork: no worker could start for the child'));
  }

  private takeStandby(): Promise<NextChild> {
    const ready = this.nextChildren.shift();
    if (ready) return Promise.resolve(ready);
    // it forks faster than offers come one by one: it holds more from now on
    this.standbysHeld = STANDBYS_IN_A_BURST;
    this.askForStandbys(true);
    return new Promise((resolve, reject) => this.standbyWaiters.push({ resolve, reject }));
  }

  /** The services for one process of this worker. */
  servicesFor(traceFile: string | null, straceFile: string | null): InstanceServices {
    return {
      hostname: this.hostname,
      fork: (proc) => this.fork(proc),
      prefetch: () => this.prefetch(),
      forkedLocally: (proc, vpid) => this.forkedLocally(proc, vpid),
      prefetchGone: () => this.prefetchGone(),
      kill: (proc, target, sig, code, info) => this.kill(proc, target, sig, code, info),
      pgrp: (proc, op, pid, pgid) => this.pgrp(proc, op, pid, pgid),
      lookupPid: (proc, direction, id) => this.lookupPid(proc, direction, id),
      groupChildren: (proc, pgid) => this.groupChildren(proc, pgid),
      processList: () => this.processList(),
      // before any request of the child: the leader must know it runs (setpgid, kill...)
      running: (proc) => this.toLeader({ type: 'standby-taken', v: 1, vpid: proc.id.vpid, hostPid: proc.app.hostPid }),
      credsChanged: async (proc) => {
        const { uid, euid, suid, gid, egid } = proc.creds;
        await this.request<'creds-reply'>((reqId) => ({ type: 'creds-changed', v: 1, reqId, vpid: proc.id.vpid, uid, euid, suid, gid, egid }));
      },
      peerCreds: async (_proc, hostPid) => {
        const r = await this.request<'peer-creds-reply'>((reqId) => ({ type: 'peer-creds', v: 1, reqId, hostPid }));
        return r.vpid > 0 ? { vpid: r.vpid, uid: r.uid, euid: r.euid, gid: r.gid, egid: r.egid } : null;
      },
      childUid: (proc, vpid) => this.childUid(proc, vpid),
      sysv: (proc, op, args, data) => this.sysv(proc, op, args, data),
      posixMq: async (proc, op, name, flags, mode, attr) => {
        const r = await this.request<'mq-reply'>((reqId) => ({
          type: 'mq-request', v: 1, reqId, caller: proc.id.vpid, euid: proc.creds.euid, egid: proc.creds.egid, op, name, flags, mode, attr,
        }));
        if (r.value < 0) throw new SyscallError(-r.value, `mq_${op} ${name}`);
        return r.path;
      },
      socketDirectory: async (_proc, fd) => {
        const r = await this.request<'socket-directory-reply'>((reqId) => ({ type: 'socket-directory', v: 1, reqId, fd }));
        if (r.errno) throw new SyscallError(r.errno, 'the directory of a UNIX socket');
        return r.path;
      },
      encryptedCopy: async (_proc, op, mount, rel, to, fd, writable = false) => {
        const r = await this.request<'encrypted-reply'>((reqId) => ({ type: 'encrypted-request', v: 1, reqId, op, mount, rel, to, fd, writable }));
        if (r.errno) throw new SyscallError(r.errno, `${op} the plaintext copy of ${mount}/${rel}`);
        return r.path;
      },
      keyFiles: () => (this.keyFiles ??= this.attestationRequest('key-files', '', null).then((r) => r.keyFiles)),
      attestation: async (_proc, op, name, data) => (await this.attestationRequest(op, name, data)).data ?? Buffer.alloc(0),
      pdeathSignal: async (proc, sig) => {
        await this.request<'pdeath-signal-reply'>((reqId) => ({ type: 'pdeath-signal', v: 1, reqId, vpid: proc.id.vpid, sig }));
      },
      parentThreadExited: (proc, children) => {
        if (children.length) this.toLeader({ type: 'parent-thread-exited', v: 1, vpid: proc.id.vpid, children });
      },
      sysvTell: (proc, op, args) => this.toLeader(this.sysvMessage(proc, op, args, 0)),
      sysvWaitId: () => this.sysvWaitId(),
      sysvWaitFd: (_proc, waitId) => this.sysvWaitFd(waitId),
      sysvWaitDone: (_proc, waitId) => this.sysvWaitDone(waitId),
      childReaped: (proc, vpid) => {
        proc.children.delete(vpid);
        proc.parentThreadOf.delete(vpid);
        this.reaped.push(vpid);
      },
      stubBinaryFd: () => this.stubBinaryFd(),
      allocateTid: (proc) => this.allocateTid(proc),
      releaseTid: (_proc, tid) => void this.releasedTids.push(tid),
      childStarted: (proc, vpid, hostPid, checked, alone) => {
        if (hostPid > 0 && checked) {
          proc.children.set(vpid, hostPid);
          // the child's real uid is its parent's at the fork -- unless the leader has already
          // told of a setuid the child made since (its notice can come first)
          if (proc.childUid(vpid) === undefined) proc.noteChildUid(vpid, proc.creds.uid);
        }
        // with a spare standby asked for the next fork (the leader has let this one go by then)
        this.toLeader({
          type: 'forked', v: 1, parentVpid: proc.id.vpid, vpid, hostPid, checked, channelFd: proc.reservedFdBase, alone, spare: this.takeSpareSlot(),
        });
      },
      unsupported: (proc, feature) => this.noteUnsupported(proc, feature),
      strace: straceFile ? this.straceWriter(straceFile) : null,
      trace: traceFile ? (names) => appendFileSync(traceFile, names.map((n) => `${n}\n`).join('')) : null,
    };
  }

  private async fork(proc: LibosProcess): Promise<ForkedChild> {
    if (this.disallowSubprocesses) {
      // the program's fallback runs (Python, for one, has some); said once, as Gramine does
      if (!this.forkRefusalLogged) proc.log.warn('a new process was refused: the manifest sets sys.disallow_subprocesses');
      this.forkRefusalLogged = true;
      throw new SyscallError(Errno.EAGAIN, 'fork: sys.disallow_subprocesses');
    }
    const child = await this.takeStandby();
    try {
      this.sealForkInto(proc, child);
    } catch (e) {
      // the standby is gone with its channel; the leader hears of it and offers another
      releaseOffer(child);
      throw e;
    }
    // Pinned at the fork only in a burst (PIN_AMONG other children of its parent running: they
    // spread over the CPUs). A lone child (a fork that exits or execs and is waited for) or a
    // pipeline's is better left where the host starts it: most never have a worker to be beside,
    // and a child that pins itself to another CPU waits for that CPU (ms, for an idle vCPU); the
    // worker that adopts one pins it.
    const cpu = proc.children.size >= PIN_AMONG ? child.cpu : null;
    return { vpid: child.vpid, channelFd: child.stubFd, lifelineFd: child.lifelineFd, cpu };
  }

  /**
   * A ready standby for the stub to hold for its next fork (not with sys.disallow_subprocesses,
   * whose forks fail): the worker keeps its fds until the stub says it forked into it.
   */
  private prefetch(): Prefetch | null {
    if (this.disallowSubprocesses || this.stubHolds.length >= PREFETCH_MAX) return null;
    // (only one without a worker set aside: near the host's limits a process holds one standby)
    const at = this.nextChildren.findIndex((c) => c.lazy);
    if (at < 0) return null;
    const [child] = this.nextChildren.splice(at, 1) as [NextChild];
    this.stubHolds.push(child);
    return { vpid: child.vpid, channelFd: child.stubFd, lifelineFd: child.lifelineFd, cpu: child.cpu };
  }

  /** The stub forked into the standby it held: the state it forked with goes into the child's lifeline. */
  private forkedLocally(proc: LibosProcess, vpid: number): () => void {
    const at = this.stubHolds.findIndex((c) => c.vpid === vpid);
    if (at < 0) throw new SyscallError(Errno.EINVAL, `forked alone into vm${vpid}, which the stub does not hold`);
    const [child] = this.stubHolds.splice(at, 1) as [NextChild];
    return () => {
      try {
        this.sealForkInto(proc, child);
      } finally {
        releaseOffer(child); // (the child and its parent's stub have theirs)
      }
    };
  }

  /** The stub holds no standby: those it was given are this worker's to use again. */
  private prefetchGone(): void {
    this.nextChildren.unshift(...this.stubHolds);
    this.stubHolds = [];
  }

  /**
   * Seal `proc`'s state for standby `child` into its lifeline, with the cwd as an fd, before
   * the child can ask anything of a worker: the leader reads it when the fork is told. Throws
   * EAGAIN if the lifeline refused it (the caller lets the standby go).
   */
  private sealForkInto(proc: LibosProcess, child: NextChild): void {
    const nofile = proc.nofileLimit;
    const cwdFd = host.dupCloexec(proc.cwdDirFd);
    const sent = cwdFd < 0 ? cwdFd : sendCheckpoint(child, {
      vpid: child.vpid, ppid: proc.id.vpid, pgid: proc.id.pgid, sid: proc.id.sid, parentHostPid: proc.app.hostPid,
      umask: proc.umask, utsNames: proc.utsNames, rootPath: proc.rootPath, exePath: proc.exePath, creds: proc.creds,
      nofileCur: nofile ? String(nofile.cur) : null, nofileMax: nofile ? String(nofile.max) : null,
      hostNofileMax: proc.hostNofileMax === null ? null : String(proc.hostNofileMax), appHostIdentity: proc.appHostIdentity,
      reservedFdBase: proc.reservedFdBase, logLevel: proc.log.level, traceFile: proc.traceFile, straceFile: proc.straceFile,
    }, cwdFd);
    if (cwdFd >= 0) host.close(cwdFd);
    if (sent < 0) throw new SyscallError(Errno.EAGAIN, `fork: checkpoint to vm${child.vpid}: errno ${-sent}`);
  }

  /** the instance's key files, asked of the leader once */
  private keyFiles: Promise<KeyFile[]> | null = null;

  private async attestationRequest(op: AttestationOp, name: string, data: Buffer | null): Promise<ReplyTo<'attestation-reply'>> {
    const r = await this.request<'attestation-reply'>((reqId) => ({ type: 'attestation-request', v: 1, reqId, op, name, data }));
    if (r.errno) throw new SyscallError(r.errno, `/dev/attestation: ${op} ${name}`.trimEnd());
    return r;
  }

  private async lookupPid(proc: LibosProcess, direction: PidLookup, id: number): Promise<number> {
    for (const [vpid, hostPid] of direction === 'host-of-vpid' || direction === 'vpid-of-host' ? proc.children : []) {
      if (direction === 'host-of-vpid' && vpid === id) return hostPid;
      if (direction === 'vpid-of-host' && hostPid === id) return vpid;
    }
    // an orphan re-parented to vpid 1, or a child forked before an exec
    const r = await this.request<'pid-lookup-reply'>((reqId) => ({ type: 'pid-lookup', v: 1, reqId, direction, id }));
    return r.value;
  }

  /** A child's real uid: known here since its fork (the leader says when it changes), else the leader's. */
  private async childUid(proc: LibosProcess, vpid: number): Promise<number> {
    const known = proc.childUid(vpid);
    if (known !== undefined) return known;
    const r = await this.request<'pid-lookup-reply'>((reqId) => ({ type: 'pid-lookup', v: 1, reqId, direction: 'uid-of-vpid', id: vpid }));
    return r.value;
  }

  /** Child `m.child` of our process has a new real uid: noted before its setuid returns. */
  childCreds(m: Extract<Message, { type: 'child-creds' }>): void {
    if (this.current?.id.vpid === m.vpid) this.current.noteChildUid(m.child, m.uid);
    this.toLeader({ type: 'applied', v: 1, ackId: m.ackId, refused: false });
  }

  private async groupChildren(proc: LibosProcess, pgid: number): Promise<number[]> {
    const r = await this.request<'group-children-reply'>((reqId) => ({
      type: 'group-children', v: 1, reqId, parent: proc.id.vpid, pgid: pgid === 0 ? proc.id.pgid : pgid,
    }));
    return r.hostPids;
  }

  /** The running processes of the instance, as the leader knows them (for /proc). */
  private async processList(): Promise<ProcessInfo[]> {
    const r = await this.request<'process-list-reply'>((reqId) => ({ type: 'process-list', v: 1, reqId }));
    return r.processes;
  }

  private async kill(proc: LibosProcess, target: KillTarget, sig: number, code: number, info?: Buffer): Promise<void> {
    const id = target.kind === 'pid' ? target.vpid : target.kind === 'pgid' ? target.pgid : 0;
    const r = await this.request<'kill-reply'>((reqId) => ({
      type: 'kill-request', v: 1, reqId, sender: proc.id.vpid, target: target.kind, id, sig, code,
      info: info ? info.toString('hex') : null, tid: target.kind === 'pid' ? (target.tid ?? null) : null,
    }));
    if (r.errno) throw new SyscallError(r.errno, `kill ${target.kind} ${id}`);
  }

  /**
   * Waits for a message queue to change. An id is taken before the msg-send or msg-recv is sent (the wake may
   * follow its reply at once); if the leader says wait, the stub gets an eventfd that the wake
   * makes readable, and waits on it with its signals open.
   */
  private sysvWaitId(): number {
    const waitId = this.nextWaitId++;
    this.sysvWaits.set(waitId, WAIT_PENDING);
    return waitId;
  }

  /** The eventfd for the stub to wait on (the worker keeps a copy for the wake); -errno. */
  private sysvWaitFd(waitId: number): number {
    const state = this.sysvWaits.get(waitId);
    const woken = state === WAIT_WOKEN;
    if (woken || state === undefined) this.sysvWaits.delete(waitId);
    const fd = host.eventfd(woken ? 1 : 0, EFD_CLOEXEC);
    if (fd < 0 || woken || state === undefined) return fd;
    const kept = host.dupCloexec(fd);
    if (kept < 0) {
      host.close(fd);
      return kept;
    }
    this.sysvWaits.set(waitId, kept);
    return fd;
  }

  private sysvWaitDone(waitId: number): void {
    this.sysvWaits.delete(waitId);
  }

  /** The leader says a wait may be over: wake its stub (an id not ours, or gone already, is ignored). */
  sysvWake(waitId: number): void {
    const fd = this.sysvWaits.get(waitId);
    if (fd === undefined) return;
    if (fd === WAIT_PENDING) {
      this.sysvWaits.set(waitId, WAIT_WOKEN);
      return;
    }
    if (fd < 0) return;
    this.sysvWaits.delete(waitId);
    const one = Buffer.alloc(8);
    one.writeBigUInt64LE(1n);
    host.write(fd, one);
    host.close(fd);
  }

  private sysvMessage(proc: LibosProcess, op: SysvOp, args: number[], reqId: number, data: Buffer | null = null): Message {
    return { type: 'sysv-request', v: 1, reqId, caller: proc.id.vpid, euid: proc.creds.euid, egid: proc.creds.egid, op, args, data };
  }

  private async sysv(proc: LibosProcess, op: SysvOp, args: number[], data?: Buffer): Promise<SysvAnswer> {
    const r = await this.request<'sysv-reply'>((reqId) => this.sysvMessage(proc, op, args, reqId, data ?? null));
    if (r.value < 0) throw new SyscallError(-r.value, `${op} ${args.join(' ')}`);
    return { value: r.value, path: r.path, stats: r.stats, values: r.values, data: r.data };
  }

  private async pgrp(proc: LibosProcess, op: PgrpOp, pid: number, pgid: number): Promise<{ value: number; hostPgid: number }> {
    const r = await this.request<'pgrp-reply'>((reqId) => ({
      type: 'pgrp-request', v: 1, reqId, caller: proc.id.vpid, op, pid, pgid,
    }));
    if (r.errno) throw new SyscallError(r.errno, `${op} ${pid} ${pgid}`);
    return { value: r.value, hostPgid: r.hostPgid };
  }

  /** The leader changed our process's group or session. */
  pgrpChanged(m: Extract<Message, { type: 'pgrp-changed' }>): void {
    const refused = m.byParent && this.current?.id.vpid === m.vpid && this.current.execed;
    if (refused) {
      // the leader puts the group back and the parent gets EACCES
    } else if (this.current?.id.vpid === m.vpid) {
      this.current.id.pgid = m.pgid;
      this.current.id.sid = m.sid;
    }
    if (m.ackId !== null) this.toLeader({ type: 'applied', v: 1, ackId: m.ackId, refused });
  }

  /** A signal the leader routed to our process. */
  deliver(m: Extract<Message, { type: 'signal' }>): void {
    // a forked child may not have said who it is yet: the leader knows (its parent's stub told)
    if (this.current?.id.vpid === m.vpid && m.hostPid !== null) this.current.attach(m.hostPid);
    const signal: QueuedSignal = {
      signo: m.signo, code: m.code, pid: m.pid, uid: m.uid, ...(m.status !== null ? { status: m.status } : {}),
      ...(m.info !== null ? { raw: siginfoFromHex(m.info) } : {}),
    };
    const served = this.current?.id.vpid === m.vpid ? this.current : null;
    if (served && HOST_DELIVERED.has(m.signo) && served.app.hostPid > 0) {
      // SIGCONT with its sender's virtual pid and uid; SIGKILL and SIGSTOP show nothing to the app
      const hostPid = served.app.hostPid;
      if (m.signo !== SIGCONT || host.sigqueueinfo(hostPid, SIGCONT, hostSigcontInfo(signal)) < 0) host.kill(hostPid, m.signo);
    } else if (served) {
      // one for a thread that has exited since is lost, as on Linux
      if (m.tid === null) served.signals.queue(signal);
      else if (served.hasThread(m.tid)) served.signals.queue(signal, m.tid);
    }
    // (one for a process served here no more has come after it ended: lost, as natively)
    // the doorbell has rung: the signal is pending on the host process, as kill(2) promises
    if (m.ackId !== null) this.toLeader({ type: 'applied', v: 1, ackId: m.ackId, refused: false });
  }

  private stubBinaryFd(): number {
    if (this.stubFd < 0) this.stubFd = host.openat(-100, STUB_PATH, O_CLOEXEC | O_PATH, 0);
    if (this.stubFd < 0) throw new SyscallError(-this.stubFd, `open ${STUB_PATH}`);
    return this.stubFd;
  }
}
