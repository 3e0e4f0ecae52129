// An app process as the worker sees it: the stub at the other end of a channel, and the host
// handles on it (pid, pidfd, memory). A first process is spawned here; a forked one arrives as a
// channel end taken from its parent's worker and says who it is on its first message.
import { addon, type ChannelWatchHandle } from './addon.js';
import { STUB_PATH } from '../paths.js';
import { toByteString } from './byte-strings.js';
import { host, processOf } from './host.js';
import { AT_FDCWD } from './linux-abi.js';

/** what a link in /proc/PID/fd says of a socket ("socket:[inode]") fits */
const linkBuf = Buffer.alloc(64);

export interface AppSpawnOptions {
  /** byte strings, as the environment */
  argv: string[];
  env: Record<string, string>;
  /** the directory it starts in (an fd of the worker's) */
  cwdFd: number;
}

export interface AppExit {
  /** exit code, or null when killed by a signal */
  code: number | null;
  /** the number of the signal that killed it, or null */
  signal: number | null;
}

export class AppProcess {
  hostPid = -1;
  pidfd = -1;
  /** resolves when the channel closes: every holder of the stub's end (the app) is gone */
  readonly gone: Promise<void>;
  /** how a spawned (first) process ended, as its host parent (this worker) saw it */
  readonly spawnedExit: Promise<AppExit> | null;
  private markGone!: () => void;

  private constructor(
    readonly channelFd: number,
    spawnedExit: Promise<AppExit> | null,
    /** a forked process's lifeline: it is killed when this (the worker's end) closes */
    private readonly lifelineFd = -1,
    /** a forked process's: the inode of the channel's app end, which only that process holds where the stub keeps it */
    private readonly appEndInode = -1,
  ) {
    this.gone = new Promise((resolve) => (this.markGone = resolve));
    this.spawnedExit = spawnedExit;
  }

  /** Start the stub; it will say HELLO on the channel before running anything of the app. */
  static spawn(opts: AppSpawnOptions): AppProcess {
    const [workerEnd, stubEnd] = seqpacketPair();
    const env = Object.entries(opts.env).map(([k, v]) => `${k}=${v}`);
    const pid = addon.spawnStub(toByteString(STUB_PATH), opts.argv, env, opts.cwdFd, stubEnd);
    host.close(stubEnd);
    if (pid < 0) {
      host.close(workerEnd);
      throw new Error(`spawn of the stub: errno ${-pid}`);
    }
    // this worker is its host parent: it reaps it when a pidfd of its own (the process's is
    // released when its channel closes, which may come first) says it has exited
    const exitFd = host.pidfdOpen(pid);
    if (exitFd < 0) throw new Error(`pidfd of the stub ${pid}: errno ${-exitFd}`);
    const exited = new Promise<AppExit>((resolve) => addon.watchReadableOnce(exitFd, () => {
      const how: AppExit = host.reapExited(exitFd) ?? { code: null, signal: null };
      host.close(exitFd);
      resolve(how);
    }));
    const app = new AppProcess(workerEnd, exited);
    app.attach(pid);
    return app;
  }

  /** A forked child, whose channel and lifeline this worker made; attach() follows. */
  static adopt(channelFd: number, lifelineFd: number, appEndInode: number): AppProcess {
    return new AppProcess(channelFd, null, lifelineFd, appEndInode);
  }

  /**
   * Is host process `hostPid` the one at the other end of the channel, as the kernel says: does
   * it hold the channel's app end at `fd` (where the stub keeps it)? A forked child names its
   * host pid itself, and the app may write anything on its channel. null: it is exiting (its
   * fds are going or gone), or gone.
   */
  holdsChannelAt(hostPid: number, fd: number): boolean | null {
    return holdsSocketAt(hostPid, fd, this.appEndInode);
  }

  /** Learn the host pid (a forked child tells it on its first message). */
  attach(hostPid: number): void {
    this.hostPid = hostPid;
    this.pidfd = host.pidfdOpen(hostPid);
  }

  readMemory(addr: number, buf: Uint8Array): number {
    return addon.readMemory(this.hostPid, addr, buf);
  }

  writeMemory(addr: number, buf: Uint8Array): number {
    return addon.writeMemory(this.hostPid, addr, buf);
  }

  readCString(addr: number, max: number): string | number {
    return addon.readCString(this.hostPid, addr, max);
  }

  readStringArray(addr: number, maxCount: number, maxBytes: number, want: boolean): string[] | number {
    return addon.readStringArray(this.hostPid, addr, maxCount, maxBytes, want);
  }

  /** Receive each request packet into `buf`; `onPacket(len)` with len <= 0 when closed. */
  watchChannel(buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle {
    return addon.watchChannel(this.channelFd, buf, (len) => {
      if (len <= 0) this.markGone();
      onPacket(len);
    });
  }

  /** The channel of one of the app's threads (the worker's end): each packet, len <= 0 when closed. */
  watchThreadChannel(fd: number, buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle {
    return addon.watchChannel(fd, buf, onPacket);
  }

  /** A reply on the channel `fd` (the main thread's, or another thread's). */
  sendReply(bytes: Uint8Array, fds?: number[], fd = this.channelFd): number {
    return addon.sendPacket(fd, bytes, fds);
  }

  /** A host fd in the worker for the app's fd (the same open file description). */
  takeFd(appFd: number): number {
    return host.pidfdGetfd(this.pidfd, appFd);
  }

  kill(signal: number): number {
    return host.kill(this.hostPid, signal);
  }

  /** A signal to one thread of the app (its host tid). */
  killThread(hostTid: number, signal: number): number {
    return host.tgkill(this.hostPid, hostTid, signal);
  }

  /** A signal with its siginfo (a code < 0 but SI_TKILL: the host's rule for another process). */
  sigqueue(signal: number, info: Buffer): number {
    return host.sigqueueinfo(this.hostPid, signal, info);
  }

  release(): void {
    host.close(this.channelFd);
    if (this.lifelineFd >= 0) host.close(this.lifelineFd);
    if (this.pidfd >= 0) host.close(this.pidfd);
  }
}

/**
 * Does host process `hostPid` hold the socket of inode `inode` at its fd `fd`, as the kernel says?
 * null: it is exiting (its fds are going or gone), or gone.
 */
export function holdsSocketAt(hostPid: number, fd: number, inode: number): boolean | null {
  if (inode < 0 || hostPid <= 0 || fd < 0) return false;
  // without an exception when it is gone: a quick child has often exited by now (fork-exit)
  const n = host.readlinkat(AT_FDCWD, `/proc/${hostPid}/fd/${fd}`, linkBuf);
  if (n >= 0) return n < linkBuf.length && linkBuf.toString('latin1', 0, n) === `socket:[${inode}]`;
  const p = processOf(hostPid);
  return !p || p.exiting ? null : false;
}

/** A SOCK_SEQPACKET pair for a stub's channel: [worker end, stub end], both close-on-exec. */
export function seqpacketPair(): [number, number] {
  const pair = addon.seqpacketPair();
  if (typeof pair === 'number') throw new Error(`socketpair: errno ${-pair}`);
  return pair;
}

/** A pidfd of this process's parent (a worker's: the leader), opened once: it outlives neither. */
let parentPidfd: number | null = null;

/**
 * Take an fd from this process's parent (a worker taking a channel end the leader offers): the
 * leader offers a standby child for every fork, and a pidfd opened for each would cost two more
 * system calls and a pidfs file every time.
 */
export function takeFdFromParent(fd: number): number {
  if (parentPidfd === null) {
    const pidfd = host.pidfdOpen(process.ppid);
    if (pidfd < 0) return pidfd;
    parentPidfd = pidfd;
  }
  return host.pidfdGetfd(parentPidfd, fd);
}

