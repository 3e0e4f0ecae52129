// A child the leader holds until it first asks something: how a fork costs no Node work beyond
// its parent's worker. The leader makes the child's channel and lifeline ahead of the fork and
// keeps their worker ends; the parent's worker takes the app ends, seals its process's state
// into the lifeline at the fork (with the cwd as an fd) and hands the app ends to its stub
// (ahead of the fork, when the stub forks alone: then the state comes after it). Who
// the child is on the host its parent's worker says (or the child, in its FORKED, with the first
// thing it asks): either is checked here. A child that ends before it asks anything (a fork
// that exits, a shell's subshell running a builtin) is done with then, having woken the leader
// once; one that asks (or is signalled) is handed to a worker, which takes these fds. Until
// then the leader answers its forks itself (a shell's subshell running a pipeline asks nothing
// else): the grandchild is held here too, with the state its parent was forked with. The state
// is read from the lifeline (or, for a grandchild, derived and sealed) only when a worker or a
// fork of the child's needs it: most children exit or exec without asking anything.
import { addon } from '../pal/addon.js';
import { holdsSocketAt, seqpacketPair } from '../pal/app.js';
import {
  forkReplyPacket, REQ_CHILD_REAPED, REQ_CHILD_STARTED, REQ_EXECED, REQ_FORKED, REQ_SYSCALL, REQ_UMASK, REQUEST_OFFSETS, REQUEST_SIZE,
} from '../pal/channel-abi.js';
import { host, inodeOf } from '../pal/host.js';
import { NR } from '../libos/syscall-numbers.js';
import { Errno } from '../libos/errno.js';
import { clonesProcess } from '../pal/linux-abi.js';

/** packets of one held child read in one turn of the event loop, at most */
const ANSWERS_PER_TURN = 16;

const CHECKPOINT_MAX = 64 * 1024;
/** where each checkpoint is received (and copied out of): one buffer for all held children */
const checkpointBuffer = new Uint8Array(CHECKPOINT_MAX);

export interface HeldChildEvents {
  /** the parent's checkpoint is in: the parent has forked (or tried to) */
  forked(): void;
  /** the child said who it is on the host, and the kernel agrees */
  announced(hostPid: number): void;
  /** the host pid its parent's worker found the child to be (checked with the kernel), if told yet */
  vouched(): number | null;
  /** FORKED named a host process that does not hold the child's channel */
  forged(hostPid: number): void;
  /** a request waits on the channel: the child needs its worker now */
  asks(): void;
  /** it ended before it asked anything */
  left(): void;
  /** the parent's checkpoint did not come as it should: the child cannot be served */
  broken(why: string): void;
  /**
   * It asks to fork, and has asked nothing else yet: its child, held already (the app ends go
   * in the reply, then done() is called), or null for its worker to answer.
   */
  fork(): LeaderFork | null;
  /** its stub forked child `vpid` as host process `hostPid` (or -errno): whether the kernel bears that out */
  childStarted(vpid: number, hostPid: number, channelFd: number): boolean;
  /** its stub reaped child `vpid` */
  childReaped(vpid: number): void;
}

/** A fork of a held child the leader grants: the grandchild's app ends, to hand the stub. */
export interface LeaderFork {
  vpid: number;
  stubFd: number;
  lifelineFd: number;
  cpu: number | null;
  /** the reply has gone (or could not): the grandchild is forked into from here on */
  done(): void;
}

/** What a worker takes to serve the child (fds of the leader's, until it has them). */
export interface Handover {
  sealed: Buffer;
  channelFd: number;
  lifelineFd: number;
  cwdFd: number;
  appEndInode: number;
  hostPid: number;
  hostTid: number;
  /** the children the leader forked for it, not reaped: host pid (0: not told of yet) */
  children: { vpid: number; hostPid: number }[];
  execed: Execed | null;
  /** the umask its stub set alone while it was held (its UMASK), or null */
  umask: number | null;
}

/**
 * An exec the child's stub made alone while it was held (its EXECED: where the new image's
 * AT_EXECFN is in its memory, `own`), or one its parent had made before the leader forked it
 * from the state from before that exec (the same address in its memory, a copy of its parent's)
 */
export interface Execed {
  addr: number;
  len: number;
  hostTid: number;
  own: boolean;
}

export class HeldChild {
  private readonly channel: [number, number];
  private readonly lifeline: [number, number];
  private readonly appEndInode: number;
  private watch: { stop(): void } | null = null;
  /**
   * the parent's checkpoint (sealed; made when first asked for, for a child the leader forked)
   * and cwd, from the fork until a worker takes them
   */
  private received: { sealed: () => Buffer; cwdFd: number } | null = null;
  /** the parent has forked into it (its worker said so, or its checkpoint came, or the leader forked it) */
  private forked = false;
  /** the app ends are the leader's still (until the stub and the child have theirs) */
  private appEndsHeld = true;
  private announced: { hostPid: number; hostTid: number; channelFd: number } | null = null;
  private readonly head = Buffer.alloc(REQUEST_SIZE);
  /** children whose forks the leader granted, not reaped, as their host pids (checked) */
  private readonly children = new Map<number, number>();
  /** the child of the fork granted last, until the stub says it started it */
  private forkInFlight: number | null = null;
  private execed: Execed | null = null;
  /** onChildStirs is answering it (it arms the next watch itself) */
  private stirring = false;
  /** the umask its stub set alone since it was forked (its UMASK), or null: its state's */
  umask: number | null = null;
  private closed = false;

  /**
   * `watchAtOnce`: its channel is watched from now on, not from its parent's word of the fork: a
   * child forked alone may speak before that word (its state in its lifeline is proof enough,
   * and comes sooner). Not near the host's limits, where a child adopted that soon holds a worker
   * while its parent's next standby waits for one.
   */
  constructor(private readonly events: HeldChildEvents, private readonly watchAtOnce: boolean) {
    this.channel = seqpacketPair();
    try {
      this.lifeline = seqpacketPair();
    } catch (e) {
      for (const fd of this.channel) host.close(fd);
      throw e;
    }
    this.appEndInode = inodeOf(this.channel[1]);
    if (watchAtOnce) this.watchChannel();
  }

  private watchChannel(): void {
    this.watch = addon.watchReadableOnce(this.channel[0], () => this.onChildStirs());
  }

  /** The fds (of the leader) the parent's worker takes: the app ends. */
  get appEnds(): { stubFd: number; lifelineFd: number } {
    return { stubFd: this.channel[1], lifelineFd: this.lifeline[1] };
  }

  /**
   * Its parent, a held child, forks into it with the leader's grant: `sealed` makes the state it
   * starts from, sealed, when a worker or a fork of its own first needs it (most such children
   * exec or exit first); `cwdFd` is its working directory (taken). The stub has the app ends now.
   */
  forkedByLeader(sealed: () => Buffer, cwdFd: number, execed: Execed | null): void {
    this.received = { sealed, cwdFd };
    this.execed = execed;
    this.parentForked();
  }

  /**
   * The state it was forked with (sealed for it), a copy of its cwd, and the exec it has made
   * since, for a fork of its own; null if not forked.
   */
  forkSource(): { sealed: () => Buffer; cwdFd: number; execed: Execed | null } | null {
    this.takeCheckpoint();
    if (!this.received || this.closed) return null;
    const cwdFd = host.dupCloexec(this.received.cwdFd);
    return cwdFd < 0 ? null : { sealed: this.received.sealed, cwdFd, execed: this.execed };
  }

  /** Children the leader forked for it that it has not reaped. */
  get childrenUnreaped(): number {
    return this.children.size + (this.forkInFlight !== null ? 1 : 0);
  }

  /** The parent has forked into it (its worker said so, or its checkpoint has come). */
  get isForked(): boolean {
    // (told of it already: its checkpoint stays unread)
    if (!this.forked) this.takeCheckpoint();
    return this.forked;
  }

  /**
   * The parent's worker says its process forked (or tried to): the stub and the child have the
   * app ends, and the checkpoint it wrote (before the fork, or after one its stub made alone)
   * is in the lifeline. That is read only when a worker or a fork of the child's needs it
   * (takeCheckpoint): a child that exits or execs without asking anything never does.
   */
  parentForked(): void {
    if (this.forked || this.closed) return;
    this.forked = true;
    this.closeAppEnds();
    this.events.forked();
    if (!this.closed && !this.watch && !this.stirring) this.watchChannel();
  }

  /** The checkpoint, if it has come and is not read yet: read now (its coming is the fork's proof too). */
  private takeCheckpoint(): void {
    if (!this.received && !this.closed && host.readable(this.lifeline[0]) && this.readCheckpoint()) this.parentForked();
  }

  /** The checkpoint in the lifeline, read: whether it was one (if not, the child is let go, as broken). */
  private readCheckpoint(): boolean {
    const r = addon.receivePacket(this.lifeline[0], checkpointBuffer);
    const fds = typeof r === 'number' ? [] : r.slice(1);
    this.closeAppEnds();
    if (typeof r === 'number' || r[0] <= 0 || fds.length !== 1) {
      for (const fd of fds) host.close(fd);
      this.closeWorkerEnds();
      this.events.broken('no checkpoint in the lifeline');
      return false;
    }
    const sealed = Buffer.from(checkpointBuffer.subarray(0, r[0])); // a copy: the buffer is every child's
    this.received = { sealed: () => sealed, cwdFd: fds[0]! };
    return true;
  }

  /** The parent's worker has its copies of the app ends (and the stub): ours would keep the channel open after the child. */
  private closeAppEnds(): void {
    if (!this.appEndsHeld) return;
    this.appEndsHeld = false;
    host.close(this.channel[1]);
    host.close(this.lifeline[1]);
  }

  /**
   * The child's channel is readable: it asks something (its FORKED first), or it has ended.
   * Its forks, and what its stub says of its children, are answered here; anything else needs
   * its worker.
   */
  private onChildStirs(): void {
    this.watch = null;
    this.stirring = true;
    try {
      this.answerStirs();
    } finally {
      this.stirring = false;
    }
  }

  private answerStirs(): void {
    for (let answered = 0; ; answered++) {
      if (this.closed) return; // (let go meanwhile)
      const n = host.peekPacket(this.channel[0], this.head);
      // Watched from the start, what it asks but who it is (its FORKED) waits for its state: it
      // may speak before its parent's worker has sealed that into its lifeline, right after the
      // fork (the lifeline wakes it then). A child that ends without asking anything never has
      // its state read.
      const early = this.watchAtOnce && n >= REQUEST_SIZE && this.announced !== null;
      if (early && !this.received) this.takeCheckpoint();
      if (this.closed) return; // (what its lifeline held was no checkpoint: let go, as broken)
      if (early && !this.received) {
        this.watch = addon.watchReadableOnce(this.lifeline[0], () => this.onChildStirs());
        return;
      }
      // (a child that writes on and on has the rest read in a later turn: the leader serves others meanwhile)
      if (n === -Errno.EAGAIN || answered === ANSWERS_PER_TURN) {
        this.watchChannel();
        return;
      }
      if (n === 0) {
        // it has ended before it asked anything
        this.close();
        this.events.left();
        return;
      }
      if (!this.took(n >= REQUEST_SIZE ? this.head.readUInt32LE(REQUEST_OFFSETS.kind) : -1, true)) break;
    }
    this.events.asks();
  }

  /**
   * The child is reaped, or the instance ends: what its stub has told and the leader has not
   * read yet (who it is, a child it forked or reaped, an exec, a umask) is read now, so that the
   * leader knows it (and its log has it); a request is left (no fork is granted now).
   */
  drainTold(): void {
    while (!this.closed && this.forked) {
      const n = host.peekPacket(this.channel[0], this.head);
      if (n < REQUEST_SIZE || !this.took(this.head.readUInt32LE(REQUEST_OFFSETS.kind), false)) return;
    }
  }

  /**
   * The packet at the head of the channel, of kind `kind`, taken if it is the leader's: the
   * child's FORKED, and after it what answered() takes (a fork request only if `forks`).
   * Whether it was.
   */
  private took(kind: number, forks: boolean): boolean {
    if (this.announced === null) {
      if (kind !== REQ_FORKED) return false;
      addon.receivePacket(this.channel[0], this.head);
      this.onForked();
      // (after a FORKED the kernel does not bear out, what comes next is its worker's to judge)
      return this.announced !== null;
    }
    return (forks || kind !== REQ_SYSCALL) && this.answered(kind);
  }

  /** Answer the request at the head of the channel if it is the leader's to: whether it was. */
  private answered(kind: number): boolean {
    const arg = (i: number) => Number(this.head.readBigInt64LE(REQUEST_OFFSETS.args + 8 * i));
    if (kind === REQ_SYSCALL) return this.answeredFork();
    if (kind === REQ_UMASK) {
      // a umask its stub set alone: a grandchild's state and its worker take it from here
      addon.receivePacket(this.channel[0], this.head);
      this.umask = arg(0) & 0o777;
      return true;
    }
    if (kind === REQ_EXECED) {
      // an exec its stub made alone: the worker that takes it applies it (its memory has AT_EXECFN)
      addon.receivePacket(this.channel[0], this.head);
      this.execed = { addr: arg(0), len: arg(1), hostTid: this.head.readUInt32LE(REQUEST_OFFSETS.hostTid), own: true };
      return true;
    }
    if (kind === REQ_CHILD_STARTED) {
      const vpid = arg(1);
      if (vpid !== this.forkInFlight) return false;
      addon.receivePacket(this.channel[0], this.head);
      this.forkInFlight = null;
      const hostPid = arg(0);
      // (one the kernel does not bear out is the leader's to settle, not its worker's to know)
      if (this.events.childStarted(vpid, hostPid, this.announced!.channelFd)) this.children.set(vpid, hostPid);
      return true;
    }
    if (kind === REQ_CHILD_REAPED) {
      addon.receivePacket(this.channel[0], this.head);
      const vpid = arg(0);
      this.children.delete(vpid);
      this.events.childReaped(vpid);
      return true;
    }
    return false;
  }

  /** A fork (with none in flight: a held child has one thread) the leader grants; the stub reports the child next. */
  private answeredFork(): boolean {
    const nr = Number(this.head.readBigUInt64LE(REQUEST_OFFSETS.nr));
    const forksProcess = nr === NR.fork || nr === NR.vfork || (nr === NR.clone && clonesProcess(this.head.readBigUInt64LE(REQUEST_OFFSETS.args)));
    if (!forksProcess || this.forkInFlight !== null) return false;
    const grant = this.events.fork();
    if (!grant) return false;
    const seq = this.head.readBigUInt64LE(REQUEST_OFFSETS.seq);
    addon.receivePacket(this.channel[0], this.head);
    this.forkInFlight = grant.vpid;
    const sent = addon.sendPacket(this.channel[0], forkReplyPacket(grant.vpid, seq, grant.cpu, []), [grant.stubFd, grant.lifelineFd]);
    grant.done();
    // (a reply that could not go: the child is ending, and so will the grandchild's channel)
    if (sent < 0) this.forkInFlight = null;
    return sent >= 0;
  }

  /** FORKED: the child's host pid and tid, and the fd it holds the channel at. */
  private onForked(): void {
    const args = REQUEST_OFFSETS.args;
    const hostPid = Number(this.head.readBigInt64LE(args));
    const fd = Number(this.head.readBigInt64LE(args + 8));
    // its parent's worker has checked it already, as a child of its app (most often, by now)
    const vouched = this.events.vouched();
    if (vouched === null || vouched !== hostPid) {
      if (this.holdsChannel(hostPid, fd) === false) return this.events.forged(hostPid);
    }
    this.announced = { hostPid, hostTid: this.head.readUInt32LE(REQUEST_OFFSETS.hostTid), channelFd: fd };
    this.events.announced(hostPid);
  }

  /**
   * Is host process `hostPid` the child: does the kernel show it holding this channel's app end
   * at `fd`? (The stub's word could name any host process.) null: it cannot tell any more (the
   * process is exiting: its fds are gone).
   */
  holdsChannel(hostPid: number, fd: number): boolean | null {
    return hostPid > 0 && hostPid < 2 ** 31 ? holdsSocketAt(hostPid, fd, this.appEndInode) : false;
  }

  /** The system call the child's first request (waiting on its channel, if there yet) asks for, or null. */
  firstSyscall(): number | null {
    if (!this.received || this.closed) return null;
    const n = host.peekPacket(this.channel[0], this.head);
    if (n < REQUEST_SIZE || this.head.readUInt32LE(REQUEST_OFFSETS.kind) !== REQ_SYSCALL) return null;
    return Number(this.head.readBigUInt64LE(REQUEST_OFFSETS.nr));
  }

  /**
   * What a worker takes to serve the child; the fds stay the leader's until release() (the
   * worker says it has them). null if the parent has not forked into it; throws if its state
   * cannot be made (forkedByLeader's `sealed`).
   */
  handOver(): Handover | null {
    // (in the lifeline since the parent's worker told of the fork, which comes before any reason to hand over)
    this.takeCheckpoint();
    if (!this.received || this.closed) return null;
    const sealed = this.received.sealed();
    this.watch?.stop();
    this.watch = null;
    return {
      sealed, channelFd: this.channel[0], lifelineFd: this.lifeline[0], cwdFd: this.received.cwdFd,
      appEndInode: this.appEndInode, hostPid: this.announced?.hostPid ?? 0, hostTid: this.announced?.hostTid ?? 0,
      children: [...this.children, ...(this.forkInFlight !== null ? [[this.forkInFlight, 0] as const] : [])].map(([vpid, hostPid]) => ({ vpid, hostPid })),
      execed: this.execed,
      umask: this.umask,
    };
  }

  /** A worker has the child now (or it is gone): the leader's copies go. */
  release(): void {
    this.close();
  }

  /**
   * The parent is gone: unless it forked before it went, the child will never be. Returns
   * whether it was let go (false: it was forked, and stays held).
   */
  cancel(): boolean {
    // the parent may have forked and exited at once: its checkpoint waits in the lifeline
    if (this.isForked || this.closed) return this.closed;
    this.close();
    return true;
  }

  private closeWorkerEnds(): void {
    this.watch?.stop();
    this.watch = null;
    this.closed = true;
    host.close(this.channel[0]);
    host.close(this.lifeline[0]);
  }

  private close(): void {
    if (this.closed) return;
    // (a checkpoint never read goes with the lifeline, its cwd too)
    this.closeAppEnds();
    if (this.received) host.close(this.received.cwdFd);
    this.closeWorkerEnds();
  }
}
