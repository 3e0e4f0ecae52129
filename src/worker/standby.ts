// Standby child workers: how a fork avoids a round trip to the leader. The leader gives each
// forking process a free worker in advance (the *standby*) and reserves the child's vpid. The
// standby makes the child's channel and lifeline and keeps their worker ends; the parent's
// worker takes the app ends. At the fork the parent's worker seals its process's state into the
// channel (with the cwd as an fd), hands the app ends to its stub, and the stub forks at once:
// the child's first request finds its worker already listening. The child's first words say
// who it is on the host (FORKED), which the standby checks and tells the leader; it takes the
// child on (opens the state, serves it) only at the child's first request, and a child that
// ends before it asks anything (a fork that exits, or runs on the host's calls and the stub's
// alone) costs it no more than that.
import { addon } from '../pal/addon.js';
import { holdsSocketAt, seqpacketPair, takeFdFrom } from '../pal/app.js';
import { REQ_FORKED, REQUEST_OFFSETS, REQUEST_SIZE } from '../pal/channel-abi.js';
import { host, inodeOf } from '../pal/host.js';
import { openCheckpoint, sealCheckpoint, type Checkpoint } from '../ipc/protocol/checkpoint.js';
import type { Message } from '../ipc/protocol/messages.js';

const CHECKPOINT_MAX = 64 * 1024;

/** What the child's worker starts the child from. */
export interface AdoptedChild {
  checkpoint: Checkpoint;
  cwdFd: number;
  channelFd: number;
  lifelineFd: number;
  /** the inode of the channel's app end (the child proves who it is by holding it) */
  appEndInode: number;
  /** who the child said it is on the host, checked and told to the leader (FORKED), or null */
  announced: { hostPid: number; hostTid: number } | null;
}

/** What a standby tells its worker. */
export interface StandbyEvents {
  badCheckpoint(why: string): void;
  /** the child said who it is on the host, and the kernel agrees: the leader must know */
  announced(vpid: number, hostPid: number): void;
  /** FORKED named a host process that does not hold the child's channel */
  forged(vpid: number, hostPid: number): void;
}

/**
 * The standby's side: the channel and lifeline of a child, made while the worker is free (so
 * that the leader can offer them at once), kept until the parent forks or is gone.
 */
export class StandbyChild {
  private readonly channel: [number, number];
  private readonly lifeline: [number, number];
  private readonly appEndInode: number;
  private assignment: Extract<Message, { type: 'standby-assign' }> | null = null;
  private watch: { stop(): void } | null = null;
  /** the parent's checkpoint (sealed) and cwd, from the fork until the child asks something */
  private received: { sealed: Uint8Array; cwdFd: number } | null = null;
  private announced: { hostPid: number; hostTid: number } | null = null;
  private readonly head = Buffer.alloc(REQUEST_SIZE);
  private settle!: (child: AdoptedChild | 'left' | null) => void;
  /**
   * the child, once the parent has forked and the child has asked something; 'left' when it
   * ended before; null when cancelled or the checkpoint is bad
   */
  readonly adopted: Promise<AdoptedChild | 'left' | null>;

  constructor(private readonly events: StandbyEvents) {
    this.adopted = new Promise((resolve) => (this.settle = resolve));
    this.channel = seqpacketPair();
    this.lifeline = seqpacketPair();
    this.appEndInode = inodeOf(this.channel[1]);
  }

  get vpid(): number | null {
    return this.assignment?.vpid ?? null;
  }

  /** Stand by for this child: the parent's checkpoint is the first packet on the channel. */
  assign(assignment: Extract<Message, { type: 'standby-assign' }>): void {
    this.assignment = assignment;
    // now, while nothing waits: a migration costs a lot
    if (assignment.cpu !== null) host.pinToCpu(assignment.cpu);
    this.watch = addon.watchReadableOnce(this.channel[0], () => this.onCheckpoint());
  }

  /** Not needed after all (the worker runs the first process instead). */
  discard(): void {
    if (this.assignment) return;
    for (const fd of [...this.channel, ...this.lifeline]) host.close(fd);
  }

  /** The fds (of this worker) the parent's worker takes: the app ends. */
  get appEnds(): { stubFd: number; lifelineFd: number } {
    return { stubFd: this.channel[1], lifelineFd: this.lifeline[1] };
  }

  private onCheckpoint(): void {
    this.watch = null;
    const buf = new Uint8Array(CHECKPOINT_MAX);
    const r = addon.receivePacket(this.channel[0], buf);
    const fds = typeof r === 'number' ? [] : r.slice(1);
    // the parent's worker has its copies: ours would keep the channel open after the child
    host.close(this.channel[1]);
    host.close(this.lifeline[1]);
    if (typeof r === 'number' || r[0] <= 0 || fds.length !== 1) {
      for (const fd of fds) host.close(fd);
      this.fail('no checkpoint in the channel');
      return;
    }
    this.received = { sealed: buf.slice(0, r[0]), cwdFd: fds[0]! };
    this.watch = addon.watchReadableOnce(this.channel[0], () => this.onChildStirs());
  }

  /** The child's channel is readable: its first words (FORKED), a request, or its end. */
  private onChildStirs(): void {
    this.watch = null;
    const { sealed, cwdFd } = this.received!;
    const n = host.peekPacket(this.channel[0], this.head);
    if (n === 0) {
      // it has ended before it asked anything: nothing of it is this worker's to serve
      for (const fd of [cwdFd, this.channel[0], this.lifeline[0]]) host.close(fd);
      this.settle('left');
      return;
    }
    if (this.announced === null && n >= REQUEST_SIZE && this.head.readUInt32LE(REQUEST_OFFSETS.kind) === REQ_FORKED) {
      addon.receivePacket(this.channel[0], this.head);
      this.onForked();
      this.watch = addon.watchReadableOnce(this.channel[0], () => this.onChildStirs());
      return;
    }
    try {
      const { key, vpid } = this.assignment!;
      const checkpoint = openCheckpoint(sealed, key, vpid);
      this.settle({
        checkpoint, cwdFd, channelFd: this.channel[0], lifelineFd: this.lifeline[0], appEndInode: this.appEndInode, announced: this.announced,
      });
    } catch (e) {
      host.close(cwdFd);
      this.fail(e instanceof Error ? e.message : String(e));
    }
  }

  /**
   * FORKED: the child's host pid and tid, and the fd it holds the channel at. Believed only if
   * the kernel shows that process holding this channel's app end (the stub's word could name
   * any host process), or cannot tell any more (exiting already: its fds are gone), as the
   * dispatcher's check of a FORKED it reads.
   */
  private onForked(): void {
    const args = REQUEST_OFFSETS.args;
    const hostPid = Number(this.head.readBigInt64LE(args));
    const fd = Number(this.head.readBigInt64LE(args + 8));
    const vpid = this.assignment!.vpid;
    const holds = hostPid > 0 && hostPid < 2 ** 31 ? holdsSocketAt(hostPid, fd, this.appEndInode) : false;
    if (holds === false) {
      this.events.forged(vpid, hostPid);
      return;
    }
    this.announced = { hostPid, hostTid: this.head.readUInt32LE(REQUEST_OFFSETS.hostTid) };
    this.events.announced(vpid, hostPid);
  }

  private fail(why: string): void {
    host.close(this.channel[0]);
    host.close(this.lifeline[0]);
    this.events.badCheckpoint(why);
    this.settle(null);
  }

  /** The parent is gone: unless it forked before it went, this standby is not needed. */
  cancel(): void {
    if (!this.watch || this.received) return; // the checkpoint came: too late, the child is ours
    this.watch.stop();
    // the parent may have forked and exited at once: its checkpoint waits in the channel
    if (host.readable(this.channel[0])) {
      this.onCheckpoint();
      return;
    }
    this.watch = null;
    this.assignment = null;
    for (const fd of [...this.channel, ...this.lifeline]) host.close(fd);
    this.settle(null);
  }
}

/** The parent's side: the standby child the next fork uses, with the app ends taken. */
export interface NextChild {
  vpid: number;
  stubFd: number;
  lifelineFd: number;
  key: string;
  cpu: number | null;
}

/** Take the app ends a standby offers; null if they cannot be taken (the standby died). */
export function takeOffer(m: Extract<Message, { type: 'standby-offer' }>): NextChild | null {
  const stubFd = takeFdFrom(m.workerPid, m.stubFd);
  const lifelineFd = stubFd < 0 ? stubFd : takeFdFrom(m.workerPid, m.lifelineFd);
  if (lifelineFd < 0) {
    if (stubFd >= 0) host.close(stubFd);
    return null;
  }
  return { vpid: m.vpid, stubFd, lifelineFd, key: m.key, cpu: m.cpu };
}

export function releaseOffer(c: NextChild): void {
  host.close(c.stubFd);
  host.close(c.lifelineFd);
}

/**
 * Put the process's state in the child's channel, ahead of anything the child says; the cwd
 * rides along as an fd. Returns a negative errno if the channel refused it.
 */
export function sendCheckpoint(c: NextChild, checkpoint: Checkpoint, cwdFd: number): number {
  const n = addon.sendPacket(c.stubFd, sealCheckpoint(checkpoint, c.key), [cwdFd]);
  return n < 0 ? n : 0;
}
