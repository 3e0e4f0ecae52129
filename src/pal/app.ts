// An app process: the stub, spawned with its channel, and the host handles the worker keeps
// on it (pid, pidfd, memory access).
import { spawn, type ChildProcess } from 'node:child_process';
import { addon, STUB_PATH, type ChannelWatchHandle } from './addon.js';
import { host } from './host.js';

export interface AppSpawnOptions {
  argv: string[];
  env: Record<string, string>;
  hostCwd: string;
}

export interface AppExit {
  /** exit code, or null when killed by a signal */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class AppProcess {
  readonly hostPid: number;
  readonly pidfd: number;
  readonly channelFd: number;
  readonly exited: Promise<AppExit>;
  private readonly child: ChildProcess;

  private constructor(child: ChildProcess, channelFd: number) {
    this.child = child;
    this.channelFd = channelFd;
    if (child.pid === undefined) throw new Error('spawn of the stub failed');
    this.hostPid = child.pid;
    this.pidfd = host.pidfdOpen(child.pid);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => resolve({ code, signal }));
    });
  }

  /** Start the stub; it will say HELLO on the channel before running anything of the app. */
  static spawn(opts: AppSpawnOptions): AppProcess {
    const pair = addon.seqpacketPair();
    if (typeof pair === 'number') throw new Error(`socketpair: errno ${-pair}`);
    const [workerEnd, stubEnd] = pair;
    const child = spawn(STUB_PATH, opts.argv.slice(1), {
      argv0: opts.argv[0] ?? '',
      env: opts.env,
      cwd: opts.hostCwd,
      stdio: ['inherit', 'inherit', 'inherit', stubEnd],
    });
    host.close(stubEnd);
    return new AppProcess(child, workerEnd);
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

  /** Receive each request packet into `buf`; `onPacket(len)` with len <= 0 when closed. */
  watchChannel(buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle {
    return addon.watchChannel(this.channelFd, buf, onPacket);
  }

  sendReply(bytes: Uint8Array, fds?: number[]): number {
    return addon.sendPacket(this.channelFd, bytes, fds);
  }

  /** A host fd in the worker for the app's fd (the same open file description). */
  takeFd(appFd: number): number {
    return host.pidfdGetfd(this.pidfd, appFd);
  }

  kill(signal: number): number {
    return host.kill(this.hostPid, signal);
  }

  tgkill(hostTid: number, signal: number): number {
    return host.tgkill(this.hostPid, hostTid, signal);
  }

  release(): void {
    host.close(this.channelFd);
    host.close(this.pidfd);
  }
}
