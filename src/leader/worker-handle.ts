// The leader's handle on one worker process: spawned with a private socket at fd 3.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { Duplex } from 'node:stream';
import { MessageConnection, type ConnectionEvents } from '../ipc/protocol/connection.js';

const WORKER_MAIN = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'worker', 'main.js');

export class WorkerHandle {
  readonly child: ChildProcess;
  readonly conn: MessageConnection;

  constructor(events: ConnectionEvents) {
    this.child = spawn(process.execPath, [WORKER_MAIN], {
      stdio: ['inherit', 'inherit', 'inherit', 'pipe'],
    });
    this.conn = new MessageConnection(this.child.stdio[3] as Duplex, events);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
