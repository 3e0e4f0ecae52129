// Standby child workers: how a fork avoids a round trip to the leader. The leader gives each
// forking process a free worker in advance (the *standby*) and reserves the child's vpid. The
// standby makes the child's channel and lifeline and keeps their worker ends; the parent's
// worker takes the app ends. At the fork the parent's worker seals its process's state into the
// channel (with the cwd as an fd), hands the app ends to its stub, and the stub forks at once:
// the child's first request finds its worker already listening.
import { addon } from '../pal/addon.js';
import { seqpacketPair, takeFdFrom } from '../pal/app.js';
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
  private settle!: (child: AdoptedChild | null) => void;
  /** the child, once the parent has forked; null when cancelled or the checkpoint is bad */
  readonly adopted: Promise<AdoptedChild | null>;

  constructor(private readonly onBadCheckpoint: (why: string) => void) {
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
    try {
      if (typeof r === 'number' || r[0] <= 0 || fds.length !== 1) throw new Error('no checkpoint in the channel');
      const { key, vpid } = this.assignment!;
      const checkpoint = openCheckpoint(buf.subarray(0, r[0]), key, vpid);
      this.settle({ checkpoint, cwdFd: fds[0]!, channelFd: this.channel[0], lifelineFd: this.lifeline[0], appEndInode: this.appEndInode });
    } catch (e) {
      for (const fd of fds) host.close(fd);
      host.close(this.channel[0]);
      host.close(this.lifeline[0]);
      this.onBadCheckpoint(e instanceof Error ? e.message : String(e));
      this.settle(null);
    }
  }

  /** The parent is gone: unless it forked before it went, this standby is not needed. */
  cancel(): void {
    if (!this.watch) return; // the checkpoint came: too late, the child is ours
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
