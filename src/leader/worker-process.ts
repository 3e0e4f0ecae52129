// Spawning a worker process. Kept free of heavy imports: the CLI calls it before it loads the
// rest of the leader, so the worker's Node boot overlaps the leader's own.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const WORKER_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'main.js');

/** A worker with a private socket to the leader at its fd 3. */
export function spawnWorkerProcess(): ChildProcess {
  return spawn(process.execPath, [WORKER_MAIN], { stdio: ['inherit', 'inherit', 'inherit', 'pipe'] });
}
