// The leader's handle on one worker process: its attested TLS channel and message connection.
import { MessageConnection, type ConnectionEvents } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { leaderSecureChannel } from '../tls-psk/channel.js';
import type { InstanceSecrets } from './instance-secrets.js';
import type { WorkerProcess } from './worker-process.js';

export interface WorkerEvents extends ConnectionEvents {
  /** attestation or the TLS handshake failed: the worker has been killed */
  refused(reason: string): void;
}

export class WorkerHandle {
  private conn: MessageConnection | null = null;
  /** not yet said worker-ready for the first time */
  booting = true;
  /** the vpid it serves now, or null when free */
  vpid: number | null = null;
  /** while free: the app ends (fds of the worker) of the child it has made ready to stand by for */
  prepared: { stubFd: number; lifelineFd: number } | null = null;

  constructor(
    private readonly worker: WorkerProcess,
    secrets: InstanceSecrets,
    events: WorkerEvents,
  ) {
    const socket = worker.socket;
    socket.pause();
    leaderSecureChannel(socket, { ...secrets, identity: 'gramine-ts worker' }).then(
        (tls) => (this.conn = new MessageConnection(tls, events)),
        (e: unknown) => {
          this.kill();
          socket.destroy();
          events.refused(e instanceof Error ? e.message : String(e));
          events.close();
        },
      );
  }

  get pid(): number {
    return this.worker.pid;
  }

  send(m: Message): void {
    this.conn?.send(m);
  }

  kill(): void {
    this.worker.kill();
  }
}
