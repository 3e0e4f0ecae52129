// The leader's handle on one worker process: its attested TLS channel and message connection.
import { MessageConnection, type ConnectionEvents } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { watchProcessExit } from '../pal/host.js';
import { ClosedDuringAttestation, leaderSecureChannel } from '../tls-psk/channel.js';
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
  /** the vpid it serves now, or is set aside for (a held child), or null when free */
  vpid: number | null = null;
  /**
   * the CPU its processes were last placed on (undefined: never placed): a worker that comes
   * free stays there, as a migration costs more than the spread it would buy
   */
  cpu: number | null | undefined = undefined;
  /** the leader killed it (refused, dropped, the instance's end): its death is no news */
  killed = false;
  /** handed out as it started (WorkerPool.acquire with `booting`): its first worker-ready is its taker's */
  promised = false;
  /** its process has exited (its pidfd said so) */
  dead = false;
  /** its connection ended while it lived (garbage or a broken channel): it has been killed */
  lost: string | null = null;
  private closed = false;
  /** the worker closed its end while attesting: it is dying, and closes when its pidfd says so */
  private closedEarly = false;
  private readonly exitWatch: ReturnType<typeof watchProcessExit>;

  constructor(
    private readonly worker: WorkerProcess,
    secrets: InstanceSecrets,
    private readonly events: WorkerEvents,
  ) {
    const socket = worker.socket;
    socket.pause();
    // errors of the raw socket under TLS (garbage where records should be; ECONNRESET of a
    // dying worker) show as its close
    socket.on('error', (err: NodeJS.ErrnoException) => this.connectionFailed(err));
    // a dead worker is noticed by its pidfd, even if something else holds its socket open
    this.exitWatch = worker.pid > 0 ? watchProcessExit(worker.pid, () => this.onExit()) : null;
    if (this.exitWatch === null) this.dead = true;
    leaderSecureChannel(socket, { ...secrets, identity: 'gramine-ts worker' }).then(
        (tls) => {
          if (this.closed) tls.destroy();
          else {
            tls.on('error', (err: NodeJS.ErrnoException) => this.connectionFailed(err));
            this.conn = new MessageConnection(tls, {
              ...events,
              protocolError: (err) => {
                this.lost ??= `malformed message: ${err.message}`;
                events.protocolError(err);
              },
              close: () => this.close(),
            });
          }
        },
        (e: unknown) => {
          // a worker that died booting was not refused: its death is reported as one (its
          // socket closes as it exits, a moment before its pidfd says it has)
          if (this.exitWatch?.exited()) this.dead = true;
          if (!this.dead && e instanceof ClosedDuringAttestation) {
            this.closedEarly = true;
            return;
          }
          if (!this.dead && !this.closed) {
            this.kill();
            events.refused(e instanceof Error ? e.message : String(e));
          }
          socket.destroy();
          this.close();
        },
      );
    if (this.dead) socket.destroy();
  }

  /** Garbage on its connection ends it (a dying worker's ECONNRESET is its death, said as one). */
  private connectionFailed(err: NodeJS.ErrnoException): void {
    if (this.conn && err.code !== 'ECONNRESET' && err.code !== 'EPIPE') this.lost ??= err.message;
  }

  private onExit(): void {
    this.dead = true;
    this.worker.socket.destroy();
    if (this.conn) this.conn.close();
    else if (this.closedEarly) this.close();
    // during the handshake: its failure closes
  }

  /** Its connection has closed: it tells the leader nothing more (and the leader has said so: onWorkerGone). */
  get gone(): boolean {
    return this.closed;
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    // a worker the leader cannot talk to any more is of no use, alive: it goes (its app with it)
    if (this.conn && !this.dead && !this.exitWatch?.exited()) {
      this.lost ??= 'its connection closed';
      this.worker.kill();
    }
    this.exitWatch?.stop();
    this.events.close();
  }

  /** How its process ended, once known (see WorkerProcess.onEnd). */
  onEnd(cb: (how: string) => void): void {
    this.worker.onEnd(cb);
  }

  /** how it looks while stuck making its threads as it starts, or null (WorkerProcess.startStuck) */
  startStuck(): string | null {
    return this.worker.startStuck();
  }

  get pid(): number {
    return this.worker.pid;
  }

  send(m: Message): void {
    this.conn?.send(m);
  }

  kill(): void {
    this.killed = true;
    this.worker.kill();
  }
}
