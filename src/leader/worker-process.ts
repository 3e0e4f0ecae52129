// Worker processes as the leader holds them. Kept free of heavy imports: the CLI starts the
// first worker before it loads the rest of the leader, so the two Node boots overlap (and the
// native launcher, when used, starts it even before the leader's own Node).
import { spawn } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { DIST_DIR } from '../paths.js';
import { readPlatformKeyFromFd } from '../tls-psk/platform-key.js';

const WORKER_MAIN = path.join(DIST_DIR, 'worker', 'main.js');

/** fd 3 of a worker: its socket to the leader; fd 4: the platform key, then EOF. */
export const WORKER_LEADER_FD = 3;
export const WORKER_PLATFORM_KEY_FD = 4;

/** Set by native/launcher: the first worker is already running (see launch.c). */
const FIRST_WORKER_ENV = 'GRAMINE_TS_FIRST_WORKER';

/** A worker process: its pid and its socket to the leader. */
export interface WorkerProcess {
  readonly pid: number;
  readonly socket: net.Socket;
  kill(): void;
}

/** SIGKILL to a host process of the instance; one that is already gone is no error. */
export function killQuietly(pid: number): void {
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** A worker with a private socket to the leader and the instance's platform key. */
export function spawnWorkerProcess(platformKey: Uint8Array): WorkerProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], { stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'] });
  (child.stdio[WORKER_PLATFORM_KEY_FD] as Writable).end(Buffer.from(platformKey));
  return { pid: child.pid ?? -1, socket: child.stdio[WORKER_LEADER_FD] as net.Socket, kill: () => child.kill('SIGKILL') };
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
    },
  };
}
