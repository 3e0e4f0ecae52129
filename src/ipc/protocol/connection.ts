// A message connection over a byte stream: 4-byte big-endian length, then a msgpackr body.
// Malformed input is reported to the owner and the connection is dropped on purpose.
import type { Duplex } from 'node:stream';
import { newPackr } from './msgpack.js';
import { ProtocolError } from './schema.js';
import { validateMessage, type Message } from './messages.js';

const MAX_FRAME = 16 * 1024 * 1024;
const packr = newPackr();

export interface ConnectionEvents {
  message(msg: Message): void;
  /** a malformed frame or message: the connection has been closed */
  protocolError(err: ProtocolError): void;
  close(): void;
}

export class MessageConnection {
  private pending: Buffer = Buffer.alloc(0);
  private readonly pendingFrames: Buffer[] = [];
  private closed = false;

  constructor(
    private readonly stream: Duplex,
    private readonly events: ConnectionEvents,
  ) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', () => this.close());
    stream.on('close', () => this.close());
  }

  send(msg: Message): void {
    if (this.closed) return;
    const body = packr.pack(msg);
    const frame = Buffer.allocUnsafe(4 + body.length);
    frame.writeUInt32BE(body.length, 0);
    body.copy(frame, 4);
    this.pendingFrames.push(frame);
    // Messages sent in one turn go out in one write: each write to a TLS socket is costly.
    if (this.pendingFrames.length === 1) queueMicrotask(() => this.flush());
  }

  /**
   * Send now, with what was sent before in this turn: written to the socket before this returns
   * (as far as the host takes it at once), for what must be there before anything that follows
   * on another channel.
   */
  sendNow(msg: Message): void {
    this.send(msg);
    this.flush();
  }

  private flush(): void {
    const frames = this.pendingFrames.splice(0);
    if (this.closed || !frames.length) return;
    this.stream.write(frames.length === 1 ? frames[0]! : Buffer.concat(frames));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.events.close();
  }

  /** Flush what was sent, then close. */
  end(): void {
    if (this.closed) return;
    this.flush();
    this.stream.end();
  }

  private onData(chunk: Buffer): void {
    this.pending = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    while (!this.closed && this.pending.length >= 4) {
      const len = this.pending.readUInt32BE(0);
      if (len > MAX_FRAME) return this.reject(new ProtocolError(`frame of ${len} bytes exceeds ${MAX_FRAME}`));
      if (this.pending.length < 4 + len) return;
      const body = this.pending.subarray(4, 4 + len);
      this.pending = this.pending.subarray(4 + len);
      let msg: Message;
      try {
        msg = validateMessage(packr.unpack(body));
      } catch (e) {
        return this.reject(e instanceof ProtocolError ? e : new ProtocolError(`undecodable frame: ${String(e)}`));
      }
      this.events.message(msg);
    }
  }

  private reject(err: ProtocolError): void {
    this.events.protocolError(err);
    this.close();
  }
}
