// Standby children, the workers' side. The leader holds each forking process's next child
// ahead of its fork (src/leader/held-child.ts): the parent's worker takes the app ends of the
// child's channel and lifeline (fds of the leader's), and at the fork seals its process's state
// into the lifeline (with the cwd as an fd) and hands the app ends to its stub, which forks at
// once -- or hands them to the stub ahead, which forks into them alone and tells after. The
// child gets a worker only when it first asks something (or is signalled): the leader hands a
// free worker the worker ends, the cwd and the sealed state to take.
import { addon } from '../pal/addon.js';
import { takeFdFromParent } from '../pal/app.js';
import { host } from '../pal/host.js';
import { openCheckpoint, sealCheckpoint, type Checkpoint } from '../ipc/protocol/checkpoint.js';
import type { Message } from '../ipc/protocol/messages.js';

/** What the child's worker starts the child from. */
export interface AdoptedChild {
  checkpoint: Checkpoint;
  cwdFd: number;
  channelFd: number;
  lifelineFd: number;
  /** the inode of the channel's app end (the child proves who it is by holding it) */
  appEndInode: number;
  /** who the child is on the host (its FORKED, checked by the leader, or its parent's word), or null */
  announced: { hostPid: number; hostTid: number } | null;
  /** its parent has gone since the fork (its host pid may be another process's by now) */
  reparented: boolean;
  /** the children the leader forked for it while it was held: host pid (0: its stub tells next) */
  children: { vpid: number; hostPid: number }[];
  /** an exec of its stub's, or its parent's before the leader forked it, told to the leader (adopt's `execed`) */
  execed: Adopt['execed'];
  /** a umask its stub set alone while the leader held it (adopt's `umask`), or null */
  umask: number | null;
}

type Adopt = Extract<Message, { type: 'adopt' }>;

/**
 * Take the child the leader hands over: its fds (the leader's, which it closes once we say we
 * have them) and its state. Throws if they cannot be taken or the state does not open.
 */
export function takeAdoption(m: Adopt): AdoptedChild {
  const taken: number[] = [];
  try {
    for (const fd of [m.channelFd, m.lifelineFd, m.cwdFd]) {
      const mine = takeFdFromParent(fd);
      if (mine < 0) throw new Error(`cannot take fd ${fd} of the leader: errno ${-mine}`);
      taken.push(mine);
    }
    const checkpoint = openCheckpoint(m.sealed, m.key, m.vpid);
    const reparented = checkpoint.ppid !== m.ppid;
    // the tree as the leader has it now: the parent may have moved it, or gone, since the fork
    checkpoint.ppid = m.ppid;
    checkpoint.pgid = m.pgid;
    checkpoint.sid = m.sid;
    const [channelFd, lifelineFd, cwdFd] = taken as [number, number, number];
    return {
      checkpoint, cwdFd, channelFd, lifelineFd, appEndInode: m.appEndInode, reparented, children: m.children, execed: m.execed, umask: m.umask,
      announced: m.hostPid > 0 ? { hostPid: m.hostPid, hostTid: m.hostTid || m.hostPid } : null, // a new child's main thread: tid = pid
    };
  } catch (e) {
    for (const fd of taken) host.close(fd);
    throw e;
  }
}

/** The parent's side: the standby child the next fork uses, with the app ends taken. */
export interface NextChild {
  vpid: number;
  stubFd: number;
  lifelineFd: number;
  key: string;
  cpu: number | null;
  /** no worker set aside for it: the stub may hold it (a prefetch) */
  lazy: boolean;
}

/** Take the app ends the leader offers; null if they cannot be taken (it has let them go). */
export function takeOffer(m: Extract<Message, { type: 'standby-offer' }>): NextChild | null {
  const stubFd = takeFdFromParent(m.stubFd);
  const lifelineFd = stubFd < 0 ? stubFd : takeFdFromParent(m.lifelineFd);
  if (lifelineFd < 0) {
    if (stubFd >= 0) host.close(stubFd);
    return null;
  }
  return { vpid: m.vpid, stubFd, lifelineFd, key: m.key, cpu: m.cpu, lazy: m.lazy };
}

export function releaseOffer(c: NextChild): void {
  host.close(c.stubFd);
  host.close(c.lifelineFd);
}

/**
 * Put the process's state in the child's lifeline (its channel is the child's to speak on
 * first: a stub that forks alone tells its worker after), for the leader to read when the fork
 * is told; the cwd rides along as an fd. Returns a negative errno if the socket refused it.
 * (The child's lifeline signals it when its own end becomes readable or hangs up, never when
 * what it sent is read: no signal comes of this.)
 */
export function sendCheckpoint(c: NextChild, checkpoint: Checkpoint, cwdFd: number): number {
  const n = addon.sendPacket(c.lifelineFd, sealCheckpoint(checkpoint, c.key), [cwdFd]);
  return n < 0 ? n : 0;
}
