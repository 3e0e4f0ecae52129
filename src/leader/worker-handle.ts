// The leader's handle on one worker process and its message connection.
import type { ChildProcess } from 'node:child_process';
import type { Duplex } from 'node:stream';
import { MessageConnection, type ConnectionEvents } from '../ipc/protocol/connection.js';

export class WorkerHandle {
  readonly conn: MessageConnection;
  /** not yet said worker-ready for the first time */
  booting = true;
  /** the vpid it serves now, or null when free */
  vpid: number | null = null;

  constructor(
    readonly child: ChildProcess,
    events: ConnectionEvents,
  ) {
    this.conn = new MessageConnection(child.stdio[3] as Duplex, events);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }
}
