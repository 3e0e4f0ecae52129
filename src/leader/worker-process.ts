// Spawning a worker process. Kept free of heavy imports: the CLI calls it before it loads the
// rest of the leader, so the worker's Node boot overlaps the leader's own.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import type { Writable } from 'node:stream';
import { DIST_DIR } from '../paths.js';

const WORKER_MAIN = path.join(DIST_DIR, 'worker', 'main.js');

/** fd 3 of a worker: its socket to the leader; fd 4: the platform key, then EOF. */
export const WORKER_LEADER_FD = 3;
export const WORKER_PLATFORM_KEY_FD = 4;

/** A worker with a private socket to the leader and the instance's platform key. */
export function spawnWorkerProcess(platformKey: Uint8Array): ChildProcess {
  const child = spawn(process.execPath, [WORKER_MAIN], { stdio: ['inherit', 'inherit', 'inherit', 'pipe', 'pipe'] });
  (child.stdio[WORKER_PLATFORM_KEY_FD] as Writable).end(Buffer.from(platformKey));
  return child;
}
