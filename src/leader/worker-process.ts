// Worker processes as the leader holds them. Kept free of heavy imports: the CLI starts the
// first worker before it loads the rest of the leader, so the two Node boots overlap (and the
// native launcher, when used, starts it even before the leader's own Node).
import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { WORKER_ENTRY_PATH } from '../paths.js';
import { statusField } from './proc-status.js';
import { readPlatformKeyFromFd } from '../tls-psk/platform-key.js';

/** fd 3 of a worker: its socket to the leader; fd 4: the platform key, then EOF. */
export const WORKER_LEADER_FD = 3;
export const WORKER_PLATFORM_KEY_FD = 4;
/**
 * fd 5 of a worker the leader spawns: the user's stderr, which the worker makes its fd 2 once
 * its Node runs (src/worker/main.ts). Until then its stderr goes nowhere: a Node that cannot start
 * under the host's limits (no threads) prints a native stack trace, and the leader's one line
 * says that worker died instead.
 */
export const WORKER_STDERR_FD = 5;
export const WORKER_STDERR_ARG = '--stderr-fd=5';

/** Set by native/launcher: the first worker is already running (see launch.c). */
const FIRST_WORKER_ENV = 'GRAMINE_TS_FIRST_WORKER';

/** A worker process: its pid and its socket to the leader. */
export interface WorkerProcess {
  /** -1 when the host refused the new process (RLIMIT_NPROC, a pids cgroup: EAGAIN) */
  readonly pid: number;
  readonly socket: net.Socket;
  kill(): void;
  /**
   * Calls back once with how the process ended ("killed by SIGABRT", "could not start: EAGAIN"),
   * when the leader is its parent; a worker the launcher started tells nothing here.
   */
  onEnd(cb: (how: string) => void): void;
  /** how it looks while stuck making its threads (see startStuck), or null: it is not */
  startStuck(): string | null;
}

/** SIGKILL to a host process of the instance; one that is already gone is no error. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** Tasks (threads) a Node worker makes as it starts, with a margin; see pidsHeadroom. */
const WORKER_TASKS = 16;

/** Tasks a Node has once its platform is up: its main thread, the delayed-task scheduler, 4 of V8's. */
const NODE_PLATFORM_TASKS = 6;

/**
 * Node 20 waits for ever for a V8 platform thread the host refused to make (its count of threads
 * to wait for is not lowered when one fails): a pids cgroup or RLIMIT_NPROC filled between the
 * headroom check and the Node's start, by the app's own forks. Such a Node's main thread sleeps
 * on a futex while it has fewer tasks than any started Node. What it looks like then (its task
 * count and where it sleeps), or null when process `pid` does not look so.
 */
export function startStuck(pid: number): string | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const threads = Number(statusField('Threads', status));
    if (!statusField('State', status).startsWith('S') || !(threads < NODE_PLATFORM_TASKS)) return null;
    const wchan = readFileSync(`/proc/${pid}/wchan`, 'utf8');
    return wchan.includes('futex') ? `${threads} ${wchan}` : null;
  } catch {
    return null; // gone: its end says so
  }
}

/**
 * How many more tasks the pids cgroups of this process allow (the least over it and its
 * ancestors; cgroup v1 or v2), or Infinity when none is limited or none can be read.
 */
export function pidsHeadroom(): number {
  let self: string;
  try {
    self = readFileSync('/proc/self/cgroup', 'utf8');
  } catch {
    return Infinity;
  }
  // "N:pids:/path" (v1), else "0::/path" (v2)
  const v1 = /^\d+:(?:[^:]*,)?pids(?:,[^:]*)?:(.*)$/m.exec(self);
  const v2 = /^0::(.*)$/m.exec(self);
  const [root, rel] = v1 ? ['/sys/fs/cgroup/pids', v1[1]!] : v2 ? ['/sys/fs/cgroup', v2[1]!] : [null, ''];
  if (root === null) return Infinity;
  let headroom = Infinity;
  for (let dir = rel; ; dir = path.posix.dirname(dir)) {
    try {
      const max = readFileSync(path.join(root, dir, 'pids.max'), 'utf8').trim();
      if (max !== 'max') headroom = Math.min(headroom, Number(max) - Number(readFileSync(path.join(root, dir, 'pids.current'), 'utf8')));
    } catch {
      // not limited here, or not visible
    }
    if (dir === '/' || dir === '.' || dir === '') break;
  }
  return headroom;
}

/**
 * How many more tasks RLIMIT_NPROC lets this process's real user make, or Infinity when the
 * limit does not apply (unlimited; root, or CAP_SYS_RESOURCE or CAP_SYS_ADMIN, as the kernel
 * exempts them). The kernel counts the user's threads on the whole host; what this pid
 * namespace shows of them is counted (one read of /proc per worker start, not per fork).
 */
export function nprocHeadroom(limits = ownLimits()): number {
  let self: string;
  try {
    self = readFileSync('/proc/self/status', 'utf8');
  } catch {
    return Infinity;
  }
  const soft = softLimit(limits, 'Max processes');
  const uid = statusField('Uid', self).split(/\s+/)[0];
  const capEff = BigInt(`0x${statusField('CapEff', self) || '0'}`);
  const exempt = (1n << 24n) | (1n << 21n); // CAP_SYS_RESOURCE, CAP_SYS_ADMIN
  if (soft === Infinity || uid === undefined || uid === '0' || (capEff & exempt) !== 0n) return Infinity;
  let tasks = 0;
  for (const pid of readdirSync('/proc')) {
    if (pid < '0' || pid > '9') continue;
    let status: string;
    try {
      status = readFileSync(`/proc/${pid}/status`, 'utf8');
    } catch {
      continue; // gone meanwhile
    }
    if (statusField('Uid', status).split(/\s+/)[0] === uid) tasks += Number(statusField('Threads', status)) || 1;
  }
  return soft - tasks;
}

/** This process's /proc/self/limits, or '' if it cannot be read. */
function ownLimits(): string {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return '';
  }
}

/** The soft limit of a /proc/PID/limits line ("Max processes", "Max open files"): Infinity if unlimited or not there. */
function softLimit(limits: string, name: string): number {
  const soft = new RegExp(`^${name}\\s+(\\S+)`, 'm').exec(limits)?.[1];
  return soft === undefined || soft === 'unlimited' ? Infinity : Number(soft);
}

/**
 * How many more tasks the host lets this process's user make (its pids cgroups', and
 * RLIMIT_NPROC's), and how many more fds this process may open (each worker takes a few).
 */
export interface TaskRoom {
  pids: number;
  nproc: number;
  fds: number;
}

/** The fds this process may still open, under its soft RLIMIT_NOFILE (Infinity if not known). */
function fdRoom(limits: string): number {
  const soft = softLimit(limits, 'Max open files');
  if (soft === Infinity) return Infinity;
  try {
    return soft - readdirSync('/proc/self/fd').length;
  } catch {
    return Infinity;
  }
}

export function hostTaskRoom(): TaskRoom {
  const limits = ownLimits();
  return { pids: pidsHeadroom(), nproc: nprocHeadroom(limits), fds: fdRoom(limits) };
}

/** A worker process that the host would not run: what it says of itself. */
function refusedWorker(why: string): WorkerProcess {
  return { pid: -1, socket: new net.Socket(), kill: () => {}, onEnd: (cb) => cb(`could not start: ${why}`), startStuck: () => null };
}

/**
 * The leader's environment without what Node acts on as it starts for nothing a worker does:
 * NODE_EXTRA_CA_CERTS (its certificates cost each worker's boot some 90 ms; the channels use a
 * pre-shared key). The app's environment is the leader's to give (hostEnvironment), not this.
 */
function workerEnvironment(): NodeJS.ProcessEnv {
  const { NODE_EXTRA_CA_CERTS: _certs, ...env } = process.env;
  return env;
}

/**
 * A worker with a private socket to the leader and the instance's platform key. In a pids
 * cgroup, or under an RLIMIT_NPROC, without room for its threads, none is started (a Node that
 * cannot make its threads hangs or aborts as it starts): that is the host refusing a new
 * process, as EAGAIN.
 */
export function spawnWorkerProcess(platformKey: Uint8Array, room: TaskRoom = hostTaskRoom()): WorkerProcess {
  if (room.pids < WORKER_TASKS) return refusedWorker('EAGAIN (the pids cgroup is full)');
  if (room.nproc < WORKER_TASKS) return refusedWorker('EAGAIN (RLIMIT_NPROC: no room for its threads)');
  // its stderr until then: a pipe whose bytes are dropped ('ignore' opens /dev/null, which
  // some hosts do not let every user open)
  const child = spawn(process.execPath, [WORKER_ENTRY_PATH, WORKER_STDERR_ARG], { stdio: ['inherit', 'inherit', 'pipe', 'pipe', 'pipe', 2], env: workerEnvironment() });
  child.stderr?.resume();
  let how: string | null = null;
  const ended: ((how: string) => void)[] = [];
  const end = (h: string) => {
    if (how !== null) return;
    how = h;
    for (const cb of ended.splice(0)) cb(h);
  };
  // a spawn the host refuses is an 'error' event, not an exception: unheard, it would end the leader
  child.on('error', (e: NodeJS.ErrnoException) => end(`could not start: ${e.code ?? e.message}`));
  child.on('exit', (code, signal) => end(signal ? `killed by ${signal}` : `exited with status ${code}`));
  // (none when the spawn failed at once, out of fds: its 'error' says so)
  const stdio = (child.stdio as (typeof child.stdio | undefined)) ?? [];
  const keyPipe = stdio[WORKER_PLATFORM_KEY_FD] as Writable | null | undefined;
  keyPipe?.on('error', () => {}); // the worker died before reading its key: its end shows as a death
  keyPipe?.end(Buffer.from(platformKey));
  const socket = (stdio[WORKER_LEADER_FD] as net.Socket | null | undefined) ?? new net.Socket();
  return {
    pid: child.pid ?? -1,
    socket,
    kill: () => child.kill('SIGKILL'),
    onEnd: (cb) => (how !== null ? cb(how) : void ended.push(cb)),
    startStuck: () => (how === null && child.pid !== undefined ? startStuck(child.pid) : null),
  };
}

/**
 * The first worker the launcher started alongside this leader, and the platform key it has,
 * or null when the leader was started directly. The variable is removed: the app must not see it.
 */
export function launchedFirstWorker(): { worker: WorkerProcess; platformKey: Uint8Array } | null {
  const spec = process.env[FIRST_WORKER_ENV];
  delete process.env[FIRST_WORKER_ENV];
  const pid = Number(spec);
  if (!spec || !Number.isSafeInteger(pid) || pid <= 0) return null;
  const platformKey = readPlatformKeyFromFd(WORKER_PLATFORM_KEY_FD);
  const socket = new net.Socket({ fd: WORKER_LEADER_FD, readable: true, writable: true });
  return {
    platformKey,
    worker: {
      pid,
      socket,
      kill: () => killQuietly(pid),
      onEnd: (cb) => cb('ended'), // not the leader's child: how is not known here
      startStuck: () => startStuck(pid),
    },
  };
}
