// The worker's syscall loop for one app process: receives the stub's requests from its
// channel, runs the handler from the syscall table, and replies (with an fd when there is one).
import { host, mayTraceOtherUsers, processOf } from '../pal/host.js';
import {
  ABI_VERSION, ABSTRACT_PREFIX_LEN, GROUP_CHILDREN_MAX, HELLO_HAS_INTERP, HELLO_REPLY_SIZE, HELLO_CWD_DEV_OFFSET, HELLO_RESET_SIGNALS,
  HELLO_APP_IDENTITY, HELLO_CHROOT, HELLO_CWD_BENEATH, HELLO_NOFILE, HELLO_NOFILE_OFFSET, HELLO_PPID_OFFSET, HELLO_PREFETCH, HELLO_PREFETCH_OFFSET, HELLO_UMASK_OFFSET, HELLO_CWD_PATH_LEN_OFFSET, HELLO_FOREGROUND, HELLO_IDS_OFFSET, HELLO_NO_SANDBOX, HELLO_STRACE, HELLO_SUBREAPER, HELLO_TRACE, LOOKUP_HOST_OF_VPGID, LOOKUP_HOST_OF_VPID, LOOKUP_UID_OF_VPID, LOOKUP_VPGID_OF_HOST, LOOKUP_VPID_OF_HOST, LOOKUP_VSID_OF_HOST, PGRP_REPLY_SIZE, REPLY_PGRP, REPLY_RLIMIT, REPLY_CWD, REPLY_CWD_BENEATH, REPLY_FD, REPLY_WAIT,
  REPLY_FD_CLOEXEC, REPLY_FD_HELD, REPLY_RELEASED, REPLY_EXEC, REPLY_FORK, REPLY_HEADER_SIZE, REPLY_SEM, REPLY_TARGET, REQ_CHILD_REAPED, SEM_REPLY_SIZE, REQ_CHILD_STARTED, REQ_FORKED, REQ_FORKED_LOCALLY, REQ_PLACE, forkReplyPacket, replyHeader,
  REQ_ABANDON, REQ_EXECED, REQ_UMASK, REQ_GROUP_CHILDREN, REQ_HELLO, REQ_PID_LOOKUP, REQ_SIGNALS, REQ_SYSCALL, REQ_MAIN_THREAD_EXITS, REQ_NEW_THREAD, REQ_THREAD_EXITS, REQ_THREAD_STARTED, REQ_STRACE, REQ_TRACE, REQ_UCRED, REQ_UNIX_NAME,
  REQUEST_OFFSETS, SIGNALS_MAX, SIGNALS_REPLY_SIZE, REQUEST_SIZE, REPLY_SEQ_OFFSET, STRACE_RESULT_SIZE, TRACE_BITMAP_BYTES,
} from '../pal/channel-abi.js';
import type { ChannelWatchHandle } from '../pal/addon.js';
import { Errno, errnoName, SyscallError, Unsupported } from './errno.js';
import { releasePlan } from './exec.js';
import { abandonFifoOpen, abandonFifoOpens } from './fs/fifo-opens.js';
import { encodeSiginfo } from './signals.js';
import type { PidLookup, Prefetch } from './instance.js';
import type { LibosProcess } from './process.js';
import { SyscallArgs } from './syscall-args.js';
import { SYSCALLS_BY_NR, syscallName } from './syscall-table.js';
import { SYSCALL_NAMES } from './syscall-numbers.js';
import { straceLine } from './strace.js';
import { appUnixAddress, translateUcred } from './sys/net.js';
import { instanceFdTop, nofileLimit, startLimits } from './sys/info.js';
import { execedByStub } from './sys/proc.js';
import type { SyscallResult } from './sys/types.js';
import { grantThread, type LibosThread } from './thread.js';
import { seqpacketPair } from '../pal/app.js';

/** A thread channel: the stub's block it belongs to, and the worker's end of it. */
interface ThreadChannel {
  slot: number;
  fd: number;
}

/** a bound on the stub's block numbers (it has at most 1024) */
const THREAD_SLOTS_MAX = 4096;
/**
 * Requests of one process the worker may be answering at once (each of its threads has at most
 * one outstanding; the stub makes up to 1024 threads): more can only be an app writing requests
 * on its channel without waiting for the answers, and get EAGAIN at once.
 */
const REQUESTS_IN_FLIGHT_MAX = 2048;

/** The stub's look-ups of a terminal's process group or session (jobs.c), as the leader names them. */
const GROUP_LOOKUPS = new Map<number, PidLookup>([
  [LOOKUP_HOST_OF_VPGID, 'host-of-vpgid'], [LOOKUP_VPGID_OF_HOST, 'vpgid-of-host'], [LOOKUP_VSID_OF_HOST, 'vsid-of-host'],
]);

/**
 * The server of one channel: the main thread's (which makes the process's dispatcher), or that
 * of one of the stub's thread blocks, which serves each thread that takes the block in turn.
 * Each thread's requests are answered on its own channel, so a thread waiting in the worker (a
 * lock, a wait4, a connect) never holds up its siblings.
 */
export class SyscallDispatcher {
  private readonly packet = new Uint8Array(new ArrayBuffer(256));
  private readonly view = new DataView(this.packet.buffer);
  private readonly args = new SyscallArgs(this.packet);
  private readonly reply = Buffer.alloc(REPLY_HEADER_SIZE);
  private watch: ChannelWatchHandle | null = null;
  /** the main channel's dispatcher: the servers of the thread blocks' channels, by block */
  private readonly threadServers = new Map<number, SyscallDispatcher>();
  /** a thread channel's: the thread that has the block now (null between two) */
  private thread: LibosThread | null = null;

  /** `channel`: a thread block's channel, else the main thread's (with `main` the main one's dispatcher) */
  constructor(
    private readonly proc: LibosProcess,
    private readonly channel: ThreadChannel | null = null,
    private readonly main: SyscallDispatcher | null = null,
  ) {}

  /** the virtual tid of the thread this channel serves (-1: none now) */
  private get tid(): number {
    return this.channel ? (this.thread?.vtid ?? -1) : this.proc.id.vpid;
  }

  /** the host tid of the thread this channel serves */
  private callerHostTid(): number {
    return this.channel ? (this.thread?.hostTid ?? 0) : this.proc.mainHostTid;
  }

  start(): void {
    const c = this.channel;
    if (!c) {
      this.watch = this.proc.app.watchChannel(this.packet, (len) => this.onPacket(len));
      return;
    }
    this.watch = this.proc.app.watchThreadChannel(c.fd, this.packet, (len) => (len > 0 ? this.onPacket(len) : this.channelClosed()));
  }

  stop(): void {
    this.watch?.stop();
    this.watch = null;
    if (this.channel) {
      host.close(this.channel.fd);
      return;
    }
    for (const server of this.threadServers.values()) server.stop();
    this.threadServers.clear();
    abandonFifoOpens(this.proc); // the process is gone
    this.proc.threads.clear();
    if (this.proc.pendingExec) releasePlan(this.proc.pendingExec);
    this.proc.pendingExec = null;
  }

  /** A thread block's channel closed: an exec ended its thread, or the stub could not place it. */
  private channelClosed(): void {
    this.threadExited();
    this.stop();
    const main = this.main!;
    if (main.threadServers.get(this.channel!.slot) === this) main.threadServers.delete(this.channel!.slot);
  }

  /** The block's thread is gone: its tid goes back, what was sent to it alone is lost (as on Linux). */
  private threadExited(): void {
    const t = this.thread;
    if (!t) return;
    this.thread = null;
    abandonFifoOpen(this.proc, t.hostTid);
    this.proc.threads.delete(t.vtid);
    this.proc.threadAffinity.delete(t.vtid);
    this.proc.signals.threadGone(t.vtid);
    this.proc.instance.releaseTid(this.proc, t.vtid);
  }

  /** Thread `t` takes this block (the one before it has exited, whether it said so yet or not). */
  private attachThread(t: LibosThread): void {
    this.threadExited();
    this.thread = t;
    this.proc.threads.set(t.vtid, t);
  }

  /**
   * The stub makes a thread with block args[0]: its tid, and the block's channel unless the
   * stub has it open (args[1] 1, from an earlier thread of the block).
   */
  private onNewThread(): void {
    const slot = this.args.int(0);
    const open = this.args.int(1) === 1;
    const seq = this.seq;
    const main = this.main ?? this;
    if (slot < 0 || slot >= THREAD_SLOTS_MAX || (open && !main.threadServers.has(slot))) {
      this.sendResult(-Errno.EINVAL, seq);
      return;
    }
    grantThread(this.proc).then((t) => {
      let server = main.threadServers.get(slot);
      if (open && server) {
        server.attachThread(t);
        this.send(this.header(t.vtid, 0, 0, seq));
        return;
      }
      server?.channelClosed(); // a block the stub made anew: its old channel is gone
      const [workerEnd, stubEnd] = seqpacketPair();
      server = new SyscallDispatcher(this.proc, { slot, fd: workerEnd }, main);
      main.threadServers.set(slot, server);
      server.start();
      server.attachThread(t);
      this.send(this.header(t.vtid, REPLY_FD, 0, seq), [stubEnd]);
      host.close(stubEnd);
    }, (e: unknown) => this.sendResult(this.errorResult('clone', e), seq));
  }

  /** the sequence number of the request being answered (echoed in its reply) */
  private seq = 0n;
  private floodLogged = false;
  /** the stub asked the worker something since its last strace record (the doorbell's asks aside) */
  private askedSinceStrace = false;

  /** Counts `p` as in flight for the process until it settles (REQUESTS_IN_FLIGHT_MAX). */
  private inFlight<T>(p: Promise<T>): Promise<T> {
    this.proc.requestsInFlight++;
    const done = () => void this.proc.requestsInFlight--;
    p.then(done, done);
    return p;
  }

  private onPacket(len: number): void {
    if (len <= 0) return; // the app is gone; its exit is reported by the host
    this.seq = len >= REQUEST_SIZE ? this.view.getBigUint64(REQUEST_OFFSETS.seq, true) : 0n;
    const kind = this.view.getUint32(REQUEST_OFFSETS.kind, true);
    const expected = kind === REQ_TRACE ? REQUEST_SIZE + TRACE_BITMAP_BYTES : kind === REQ_STRACE ? REQUEST_SIZE + STRACE_RESULT_SIZE : REQUEST_SIZE;
    if (len !== expected) {
      this.proc.log.error({ len, kind }, 'malformed request from the stub: wrong size');
      this.sendResult(-Errno.EINVAL);
      return;
    }
    const waits = kind === REQ_SYSCALL || kind === REQ_PID_LOOKUP || kind === REQ_GROUP_CHILDREN || kind === REQ_UCRED;
    // (round trips, which run best beside the worker: a word the stub does not wait on is not one)
    if (waits) this.proc.requests++;
    if (waits && this.proc.requestsInFlight >= REQUESTS_IN_FLIGHT_MAX) {
      if (!this.floodLogged) this.proc.log.error({ kind }, `more than ${REQUESTS_IN_FLIGHT_MAX} requests in flight: refused (EAGAIN)`);
      this.floodLogged = true;
      this.sendResult(-Errno.EAGAIN);
      return;
    }
    // a HELLO starts an image: what was asked before it (the exec) is not its first call's
    if (kind === REQ_HELLO) this.askedSinceStrace = false;
    else if (kind !== REQ_STRACE && kind !== REQ_TRACE && kind !== REQ_SIGNALS) this.askedSinceStrace = true;
    if (kind === REQ_SYSCALL) this.onSyscall();
    else if (kind === REQ_HELLO) this.onHello();
    else if (kind === REQ_TRACE) this.onTrace();
    else if (kind === REQ_STRACE) this.onStrace();
    else if (kind === REQ_FORKED) this.onForked();
    else if (kind === REQ_SIGNALS) this.onSignals();
    else if (kind === REQ_CHILD_STARTED) this.onChildStarted(false);
    else if (kind === REQ_FORKED_LOCALLY) this.onForkedLocally();
    else if (kind === REQ_PLACE) this.sendResult(this.proc.pendingExec && !this.channel ? instanceFdTop(this.proc.pendingNofile) : -Errno.EINVAL);
    else if (kind === REQ_PID_LOOKUP) this.onPidLookup();
    else if (kind === REQ_GROUP_CHILDREN) this.onGroupChildren();
    else if (kind === REQ_CHILD_REAPED) this.proc.instance.childReaped(this.proc, this.args.int(0));
    else if (kind === REQ_UNIX_NAME) this.onUnixName();
    else if (kind === REQ_UCRED) this.onUcred();
    else if (kind === REQ_THREAD_STARTED) this.onThreadStarted();
    else if (kind === REQ_ABANDON) abandonFifoOpen(this.proc, this.callerHostTid());
    else if (kind === REQ_EXECED) this.onExecedByStub();
    else if (kind === REQ_UMASK) {
      if (!this.channel) this.proc.umask = this.args.int(0) & 0o777; // (the main thread's word: one thread)
    }
    else if (kind === REQ_MAIN_THREAD_EXITS) {
      if (!this.channel && !this.proc.mainThreadExited) {
        this.proc.instance.parentThreadExited(this.proc, this.proc.childrenOfExitingThread(this.proc.id.vpid));
        this.proc.mainThreadExited = true;
      }
    }
    else if (kind === REQ_NEW_THREAD) this.onNewThread();
    else if (kind === REQ_THREAD_EXITS) {
      if (this.thread?.vtid === this.args.int(0)) {
        this.proc.instance.parentThreadExited(this.proc, this.proc.childrenOfExitingThread(this.thread.vtid));
        this.threadExited();
      }
    }
    else {
      this.proc.log.error({ kind }, 'malformed request from the stub: unknown kind');
      this.sendResult(-Errno.EINVAL);
    }
  }

  private onSyscall(): void {
    if (this.channel && this.thread && this.thread.hostTid === 0) {
      // a new thread can call before THREAD_STARTED, which its maker sends on another channel,
      // is read: it waits for its host tid (0 would name the worker to the host: setpriority(0))
      void this.thread.whenStarted().then(() => this.onSyscall());
      return;
    }
    const nr = Number(this.view.getBigUint64(REQUEST_OFFSETS.nr, true));
    const entry = SYSCALLS_BY_NR.get(nr);
    if (!entry?.handler) {
      // one Linux has (a number no kernel has is ENOSYS natively too): the instance counts it
      const name = SYSCALL_NAMES[nr];
      if (name) this.proc.instance.unsupported(this.proc, name);
      this.sendResult(-Errno.ENOSYS);
      return;
    }
    let result: SyscallResult | Promise<SyscallResult>;
    this.args.caller.tid = this.tid;
    this.args.caller.hostTid = this.callerHostTid();
    try {
      result = entry.handler(this.proc, this.args);
    } catch (e) {
      this.sendResult(this.errorResult(entry.name, e));
      return;
    }
    if (result instanceof Promise) {
      const seq = this.seq;
      this.inFlight(result).then(
        (r) => this.sendResult(r, seq),
        (e: unknown) => this.sendResult(this.errorResult(entry.name, e), seq),
      );
    } else {
      this.sendResult(result);
    }
  }

  private errorResult(name: string, e: unknown): number {
    if (e instanceof Unsupported) this.proc.instance.unsupported(this.proc, e.feature);
    if (e instanceof SyscallError) {
      this.proc.log.debug(`${name}: ${e.message}`);
      return -e.errno;
    }
    // A bug in a handler must not take the worker down: the app gets EIO, the log says why.
    this.proc.log.error({ err: e }, `${name}: handler failed`);
    return -Errno.EIO;
  }

  private sendResult(result: SyscallResult, seq = this.seq): void {
    if (typeof result === 'number') {
      this.send(this.header(result, 0, 0, seq));
      return;
    }
    switch (result.kind) {
      case 'fd':
        // the app may use it once the worker's copy is closed (REPLY_FD_HELD)
        this.send(this.header(0, REPLY_FD | REPLY_FD_HELD | (result.cloexec ? REPLY_FD_CLOEXEC : 0), 0, seq), [result.hostFd]);
        host.close(result.hostFd);
        this.send(this.header(0, REPLY_RELEASED, 0, seq));
        return;
      case 'cwd':
        this.send(Buffer.concat([this.header(0, REPLY_CWD | (result.beneath ? REPLY_CWD_BENEATH : 0), result.path.length, seq), result.path]), [result.hostFd]);
        host.close(result.hostFd);
        return;
      case 'wait':
        this.send(this.header(0, REPLY_WAIT | REPLY_FD, 0, seq), [result.hostFd]);
        host.close(result.hostFd);
        return;
      case 'sem': {
        // struct gts_sem_reply: wait, seq, blocked, gen, access, nsems
        const body = Buffer.alloc(SEM_REPLY_SIZE);
        [result.wait ? 1 : 0, result.seq, result.blocked, result.map?.gen ?? 0, result.map?.access ?? 0, result.map?.nsems ?? 0]
          .forEach((v, i) => body.writeUInt32LE(v >>> 0, 4 * i));
        const fds = result.map ? [result.map.hostFd] : [];
        this.send(Buffer.concat([this.header(result.ret, REPLY_SEM | (fds.length ? REPLY_FD : 0), body.length, seq), body]), fds);
        if (result.map) host.close(result.map.hostFd);
        return;
      }
      case 'host-pgrp': {
        const body = Buffer.alloc(PGRP_REPLY_SIZE);
        body.writeInt32LE(result.hostPid, 0);
        body.writeInt32LE(result.hostPgid, 4);
        this.send(Buffer.concat([this.header(result.ret, REPLY_PGRP, body.length, seq), body]));
        return;
      }
      case 'host-nofile': {
        // the host limit: cur, max (u64 each)
        const body = Buffer.alloc(16);
        body.writeBigUInt64LE(result.cur, 0);
        body.writeBigUInt64LE(result.max, 8);
        this.send(Buffer.concat([this.header(0, REPLY_RLIMIT, body.length, seq), body]));
        return;
      }
      case 'socket-target':
        this.send(this.header(0, REPLY_TARGET, 0, seq), [result.hostFd]);
        host.close(result.hostFd);
        return;
      case 'fork':
        return this.sendForkReply(result.childVpid, result.childCpu, [result.childChannelFd, result.childLifelineFd], result.prefetches, seq);
      case 'exec': {
        // until the new image says HELLO, its doorbell handler is not there
        this.proc.signals.setReady(false);
        // struct gts_exec_reply: prefix_count u32, app_argv_from u32, then the strings
        const strings = Buffer.from(result.argvPrefix.map((a) => `${a}\0`).join(''), 'latin1');
        const body = Buffer.alloc(8 + strings.length);
        body.writeUInt32LE(result.argvPrefix.length, 0);
        body.writeUInt32LE(result.appArgvFrom, 4);
        strings.copy(body, 8);
        this.send(Buffer.concat([this.header(0, REPLY_EXEC, body.length, seq), body]), [result.stubFd]);
        return;
      }
    }
  }

  /**
   * A fork's reply (struct gts_fork_reply: the child's CPU, -1 for anywhere; the prefetched
   * standbys, each its vpid and CPU): `fds` go along and are closed; the prefetches' go along
   * after them and stay the worker's until the stub forks into them.
   */
  private sendForkReply(ret: number, cpu: number | null, fds: number[], prefetches: Prefetch[], seq: bigint): void {
    this.send(forkReplyPacket(ret, seq, cpu, prefetches), [...fds, ...prefetches.flatMap((p) => [p.channelFd, p.lifelineFd])]);
    for (const fd of fds) host.close(fd);
  }

  private header(ret: number, flags: number, dataLen: number, seq = this.seq): Buffer {
    return replyHeader(ret, flags, dataLen, seq, this.reply);
  }

  private send(bytes: Uint8Array, fds?: number[]): void {
    const n = this.proc.app.sendReply(bytes, fds, this.channel?.fd);
    if (n < 0) this.proc.log.debug(`reply to the stub failed: ${errnoName(n)}`);
  }

  /** Strace mode: a trapped call the stub made or is about to make; the reply says the line is written. */
  private onStrace(): void {
    const write = this.proc.instance.strace;
    if (!write) return this.sendResult(-Errno.EINVAL);
    const nr = Number(this.view.getBigUint64(REQUEST_OFFSETS.nr, true));
    const args = Array.from({ length: 6 }, (_, i) => this.view.getBigUint64(REQUEST_OFFSETS.args + 8 * i, true));
    const returned = this.view.getBigUint64(REQUEST_SIZE + 8, true) !== 0n;
    const ret = returned ? this.view.getBigInt64(REQUEST_SIZE, true) : null;
    // a call made before it is recorded (exit, execve) has no answer to tell of yet
    const viaWorker = returned && this.askedSinceStrace;
    this.askedSinceStrace = false;
    write(straceLine(this.proc, this.tid >= 0 ? this.tid : this.proc.id.vpid, nr, args, ret, viaWorker));
    this.sendResult(0);
  }

  private onTrace(): void {
    const names: string[] = [];
    for (let nr = 0; nr < TRACE_BITMAP_BYTES * 8; nr++) {
      if (this.packet[REQUEST_SIZE + (nr >> 3)]! & (1 << (nr & 7))) names.push(syscallName(nr));
    }
    this.proc.instance.trace?.(names);
    this.sendResult(0);
  }

  /** The stub forked (no reply): only for a fork this worker granted, once. */
  private onChildStarted(alone: boolean): void {
    const vpid = this.args.int(1);
    const hostPid = this.args.int(0);
    if (!this.proc.forksInFlight.delete(vpid)) {
      this.proc.log.error({ vpid }, 'CHILD_STARTED for no fork in flight: ignored');
      return;
    }
    // The kernel must say it is our child: the stub's word could name any host process. One
    // the kernel cannot vouch for -- re-parented already, or reaped already (its pid may be
    // someone else's by now) -- is told as the stub's word alone, for the leader to check (does
    // that process hold the child's channel?).
    const child = hostPid > 0 ? processOf(hostPid) : null;
    this.proc.instance.childStarted(this.proc, vpid, hostPid, child !== null && child.ppid === this.proc.app.hostPid, alone);
  }

  /**
   * The stub forked alone into the standby it held (main channel only: a process with one
   * thread). The reply goes first, with the next standby if one is ready: the stub's next
   * fork (a pipeline's second command) may be waiting for it. Then the state goes into the
   * child's lifeline -- still the state at the fork: nothing the process asked since has been
   * read -- and the leader hears of the fork.
   */
  private onForkedLocally(): void {
    const vpid = this.args.int(1);
    let seal: () => void;
    try {
      if (this.channel) throw new SyscallError(Errno.EINVAL, 'on a thread\'s channel');
      seal = this.proc.instance.forkedLocally(this.proc, vpid);
    } catch (e) {
      this.proc.log.error({ vpid }, `FORKED_LOCALLY refused: ${e instanceof Error ? e.message : String(e)}`);
      this.sendResult(-Errno.EINVAL);
      return;
    }
    const next = this.proc.instance.prefetch(this.proc);
    this.sendForkReply(0, null, [], next ? [next] : [], this.seq);
    try {
      seal();
    } catch (e) {
      // the child is never served: its lifeline ends without its state, and the leader lets it go
      this.proc.log.error({ vpid }, `the state of a fork made alone could not be sealed: ${e instanceof Error ? e.message : String(e)}`);
      return;
    }
    this.proc.forksInFlight.add(vpid);
    this.proc.parentThreadOf.set(vpid, this.proc.id.vpid);
    this.onChildStarted(true);
  }

  /** The stub's wait needs a pid translated (a child it does not know: forked before an exec, or an orphan). */
  private onPidLookup(): void {
    const direction = this.args.int(0);
    const id = this.args.int(1);
    const seq = this.seq;
    const group = GROUP_LOOKUPS.get(direction);
    if (group && id > 0) {
      // a terminal's group or session: 0 for one that is none of the instance's
      this.inFlight(this.proc.instance.lookupPid(this.proc, group, id)).then((v) => this.sendResult(v, seq));
      return;
    }
    if ((direction !== LOOKUP_HOST_OF_VPID && direction !== LOOKUP_VPID_OF_HOST && direction !== LOOKUP_UID_OF_VPID) || id <= 0) {
      this.sendResult(-Errno.ESRCH);
      return;
    }
    if (direction === LOOKUP_UID_OF_VPID) {
      this.inFlight(this.proc.instance.childUid(this.proc, id)).then((uid) => this.sendResult(uid >= 0 ? uid : -Errno.ESRCH, seq));
      return;
    }
    this.inFlight(this.proc.instance.lookupPid(this.proc, direction === LOOKUP_HOST_OF_VPID ? 'host-of-vpid' : 'vpid-of-host', id))
      .then((v) => this.sendResult(v > 0 ? v : -Errno.ESRCH, seq));
  }

  /** A UNIX address the host reported (in the stub's memory), as the app sees it. */
  private onUnixName(): void {
    const len = this.args.int(1);
    let out: Buffer;
    try {
      if (len < 0 || len > 128) throw new SyscallError(Errno.EINVAL, `UNIX address of ${len} bytes`);
      out = appUnixAddress(this.proc, this.proc.mem.read(this.args.ptr(0), len));
    } catch (e) {
      this.sendResult(this.errorResult('unix name', e));
      return;
    }
    this.send(Buffer.concat([this.header(out.length, 0, out.length), out]));
  }

  /** Credentials of SCM_CREDENTIALS or SO_PEERCRED, translated (three int32s: pid, uid, gid). */
  private onUcred(): void {
    const seq = this.seq;
    const a = this.args;
    this.inFlight(translateUcred(this.proc, a.int(0), { pid: a.int(1), uid: a.uint(2), gid: a.uint(3) })).then((c) => {
      const body = Buffer.alloc(12);
      body.writeInt32LE(c.pid, 0);
      body.writeUInt32LE(c.uid >>> 0, 4);
      body.writeUInt32LE(c.gid >>> 0, 8);
      this.send(Buffer.concat([this.header(0, 0, body.length, seq), body]));
    }, (e: unknown) => this.sendResult(this.errorResult('ucred', e), seq));
  }

  /** The stub waits for a process group: which of its children are in it (host pids). */
  private onGroupChildren(): void {
    const seq = this.seq;
    this.inFlight(this.proc.instance.groupChildren(this.proc, this.args.int(0))).then((hostPids) => {
      const pids = hostPids.slice(0, GROUP_CHILDREN_MAX);
      const body = Buffer.alloc(4 * pids.length);
      pids.forEach((p, i) => body.writeInt32LE(p, 4 * i));
      this.send(Buffer.concat([this.header(pids.length, 0, body.length, seq), body]));
    });
  }

  /** The doorbell rang: hand over the queued signals (the stub raises them on itself). */
  private onSignals(): void {
    const { forThread, forProcess } = this.proc.signals.take(SIGNALS_MAX, this.tid);
    // struct gts_signals_reply: count u32, for_thread u32; then the siginfos, the thread's first
    const head = Buffer.alloc(SIGNALS_REPLY_SIZE);
    head.writeUInt32LE(forThread.length + forProcess.length, 0);
    head.writeUInt32LE(forThread.length, 4);
    const body = Buffer.concat([head, ...forThread.map(encodeSiginfo), ...forProcess.map(encodeSiginfo)]);
    this.send(Buffer.concat([this.header(forThread.length + forProcess.length, 0, body.length), body]));
  }

  /** The stub made thread args[1] (no reply): it is host thread args[0]. */
  private onThreadStarted(): void {
    const hostTid = this.args.int(0);
    const t = this.proc.threads.get(this.args.int(1));
    if (!t) {
      // it may have ended already: its channel is not the one this came on
      this.proc.log.debug({ hostTid, vtid: this.args.int(1) }, 'THREAD_STARTED for no thread: ended already?');
      return;
    }
    if (t.hostTid !== 0 || hostTid <= 0) {
      this.proc.log.error({ hostTid, vtid: t.vtid }, 'THREAD_STARTED again, or with no host tid: ignored');
      return;
    }
    t.started(hostTid);
    this.proc.signals.threadStarted(t.vtid);
  }

  /**
   * A forked child's first message on its own channel (no reply): its host pid and tid. The
   * leader may have told us already (the parent's stub reports the child at once).
   */
  private onForked(): void {
    const hostPid = this.args.int(0);
    if (hostPid <= 0 || (this.proc.app.hostPid >= 0 && this.proc.app.hostPid !== hostPid)) {
      this.proc.log.error({ hostPid }, 'unexpected FORKED from the stub');
      return;
    }
    if (this.proc.app.hostPid === hostPid) {
      // known already (the leader checked its parent's word, or this FORKED, before it handed it over)
      this.proc.mainHostTid = this.view.getUint32(REQUEST_OFFSETS.hostTid, true);
      return;
    }
    // the kernel must say it is our process (one that has exited already cannot be told apart)
    if (this.proc.app.hostPid < 0 && this.proc.app.holdsChannelAt(hostPid, this.proc.reservedFdBase) === false) {
      this.proc.log.error({ hostPid }, 'FORKED names a host process that does not hold this channel: ignored');
      return;
    }
    this.proc.attach(hostPid);
    this.proc.mainHostTid = this.view.getUint32(REQUEST_OFFSETS.hostTid, true);
    this.proc.instance.running(this.proc);
  }

  /** An image the stub exec'd alone says so first (GTS_REQ_EXECED): its AT_EXECFN, in the stub's memory. */
  private onExecedByStub(): void {
    if (this.channel) return; // the main thread's word (the process has no other after an exec)
    this.proc.instance.prefetchGone(this.proc); // (the old image's was close-on-exec)
    execedByStub(this.proc, this.args.ptr(0), this.args.int(1), this.view.getUint32(REQUEST_OFFSETS.hostTid, true));
  }

  /**
   * Whether the instance's first process drops host root for an identity of its own
   * (GTS_HELLO_APP_IDENTITY): in a root instance, if the worker can still act on it then.
   */
  private takesAppIdentity(): boolean {
    if (host.getuid() !== 0) return false;
    if (mayTraceOtherUsers()) return true;
    this.proc.log.warn('the app processes keep host root\'s uid: without CAP_SYS_PTRACE the worker could not act on them under another (docs/security.md)');
    return false;
  }

  /** The process's RLIMIT_NOFILE, for the stub to answer gets of; null if the host will not tell it. */
  private knownNofileLimit(): { cur: bigint; max: bigint } | null {
    try {
      return nofileLimit(this.proc);
    } catch {
      return null;
    }
  }

  /** A fresh stub image asks what to run: hand it the planned program and interpreter. */
  private onHello(): void {
    const plan = this.proc.pendingExec;
    const args = this.args;
    if (!plan || args.int(1) !== ABI_VERSION) {
      this.proc.log.error(plan ? `stub speaks ABI ${args.int(1)}, worker ${ABI_VERSION}` : 'HELLO with no program planned');
      this.sendResult(-Errno.EINVAL);
      return;
    }
    this.proc.reservedFdBase = args.int(0);
    this.proc.instance.prefetchGone(this.proc); // (an old image's was close-on-exec)
    this.proc.mainHostTid = this.view.getUint32(REQUEST_OFFSETS.hostTid, true);
    this.proc.mainThreadExited = false; // a new image: the thread that exec'd is the main one
    startLimits(this.proc);
    const execfn = Buffer.from(`${plan.execfn}\0`, 'latin1');
    // the stub answers the stat family itself on the host mounts; not once the root has moved
    const { bytes: table, rootFds } = this.proc.rootPath === '/' ? this.proc.vfs.stubPathTable : { bytes: Buffer.alloc(0), rootFds: [] };
    // the stub resolves paths below the working directory (relative ones, absolute ones naming it)
    const cwd = this.proc.stubCwd();
    const tableAt = (HELLO_REPLY_SIZE + execfn.length + cwd.path.length + 7) & ~7;
    const msg = Buffer.alloc(REPLY_HEADER_SIZE + tableAt + table.length);
    this.header(0, 0, tableAt + table.length).copy(msg);
    msg.writeUInt32LE(ABI_VERSION, REPLY_HEADER_SIZE);
    // a spawned process (the first) takes the root of the instance's tree, and its working directory there
    const tree = this.proc.vfs.instanceTreeFd;
    const chroot = this.proc.freshSignals && this.proc.sandbox && tree !== null;
    const appIdentity = this.proc.freshSignals && this.proc.sandbox && this.takesAppIdentity();
    if (appIdentity) this.proc.appHostIdentity = true;
    // a standby for the image's first fork, which it then makes alone (with one thread: a new image has one; not traced)
    const prefetch = this.proc.instance.trace || this.proc.instance.strace ? null : this.proc.instance.prefetch(this.proc);
    // the stub answers gets of RLIMIT_NOFILE with this until the process sets it (a limit the host will not tell: none)
    const nofile = this.knownNofileLimit();
    const flags =
      (nofile ? HELLO_NOFILE : 0) |
      (this.proc.freshSignals ? HELLO_RESET_SIGNALS : 0) |
      (plan.interpFd !== null ? HELLO_HAS_INTERP : 0) |
      (this.proc.instance.trace ? HELLO_TRACE : 0) |
      (this.proc.instance.strace ? HELLO_STRACE : 0) |
      // once, when the instance starts: PR_SET_CHILD_SUBREAPER stays across exec
      (this.proc.freshSignals && this.proc.id.vpid === 1 ? HELLO_SUBREAPER : 0) |
      (this.proc.freshSignals && this.proc.takesTerminal ? HELLO_FOREGROUND : 0) |
      (this.proc.sandbox ? 0 : HELLO_NO_SANDBOX) |
      (chroot ? HELLO_CHROOT : 0) |
      (appIdentity ? HELLO_APP_IDENTITY : 0) |
      // (the table goes only with the instance's root; the stub drops it at a chroot)
      (cwd.beneath ? HELLO_CWD_BENEATH : 0) |
      (prefetch ? HELLO_PREFETCH : 0);
    this.proc.freshSignals = false;
    msg.writeUInt32LE(flags, REPLY_HEADER_SIZE + 4);
    msg.writeInt32LE(this.proc.id.vpid, REPLY_HEADER_SIZE + 8);
    msg.writeUInt32LE(execfn.length, REPLY_HEADER_SIZE + 12);
    msg.write(this.proc.vfs.abstractPrefix.padEnd(ABSTRACT_PREFIX_LEN, '\0').slice(0, ABSTRACT_PREFIX_LEN), REPLY_HEADER_SIZE + 16, 'latin1');
    // the stub holds to CWD_BENEATH only if its host cwd is this one
    const cwdId = cwd.beneath ? this.proc.cwdIdentity() : { dev: 0n, ino: 0n };
    msg.writeBigUInt64LE(cwdId.dev, REPLY_HEADER_SIZE + HELLO_CWD_DEV_OFFSET);
    msg.writeBigUInt64LE(cwdId.ino, REPLY_HEADER_SIZE + HELLO_CWD_DEV_OFFSET + 8);
    msg.writeUInt32LE(cwd.path.length, REPLY_HEADER_SIZE + HELLO_CWD_PATH_LEN_OFFSET);
    const { uid, euid, gid, egid } = this.proc.creds;
    [uid, euid, gid, egid].forEach((id, i) => msg.writeUInt32LE(id >>> 0, REPLY_HEADER_SIZE + HELLO_IDS_OFFSET + 4 * i));
    msg.writeInt32LE(prefetch?.vpid ?? 0, REPLY_HEADER_SIZE + HELLO_PREFETCH_OFFSET);
    msg.writeInt32LE(prefetch?.cpu ?? -1, REPLY_HEADER_SIZE + HELLO_PREFETCH_OFFSET + 4);
    msg.writeUInt32LE(this.proc.umask, REPLY_HEADER_SIZE + HELLO_UMASK_OFFSET);
    const parent = this.proc.liveParent();
    msg.writeInt32LE(parent?.ppid ?? 0, REPLY_HEADER_SIZE + HELLO_PPID_OFFSET);
    msg.writeInt32LE(parent?.hostPid ?? 0, REPLY_HEADER_SIZE + HELLO_PPID_OFFSET + 4);
    if (nofile) {
      msg.writeBigUInt64LE(nofile.cur, REPLY_HEADER_SIZE + HELLO_NOFILE_OFFSET);
      msg.writeBigUInt64LE(nofile.max, REPLY_HEADER_SIZE + HELLO_NOFILE_OFFSET + 8);
    }
    execfn.copy(msg, REPLY_HEADER_SIZE + HELLO_REPLY_SIZE);
    cwd.path.copy(msg, REPLY_HEADER_SIZE + HELLO_REPLY_SIZE + execfn.length);
    table.copy(msg, REPLY_HEADER_SIZE + tableAt);
    const cwdFd = this.proc.cwdDirFd >= 0 ? this.proc.cwdDirFd : tree;
    const fds = [
      plan.exeFd, ...(plan.interpFd !== null ? [plan.interpFd] : []), ...(chroot ? [tree, cwdFd!] : []),
      ...(prefetch ? [prefetch.channelFd, prefetch.lifelineFd] : []), ...rootFds,
    ];
    this.send(msg, fds);
    releasePlan(plan);
    this.proc.pendingExec = null;
    this.proc.signals.setReady(true);
  }
}
