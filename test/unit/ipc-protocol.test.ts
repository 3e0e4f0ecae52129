// The leader/worker protocol rejects what does not match its schemas, by name, and never throws
// out of the connection: a malformed peer is dropped on purpose.
import { PassThrough } from 'node:stream';
import { Packr } from 'msgpackr';
import { describe, expect, it } from 'vitest';
import { MessageConnection } from '../../src/ipc/protocol/connection.js';
import { describeMessage, validateMessage, type Message } from '../../src/ipc/protocol/messages.js';
import type { ProtocolError } from '../../src/ipc/protocol/schema.js';

const packr = new Packr({ useRecords: false, mapsAsObjects: true });

function frame(value: unknown): Buffer {
  const body = packr.pack(value);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

function connect() {
  const stream = new PassThrough();
  const got: Message[] = [];
  const errors: ProtocolError[] = [];
  let closed = false;
  const conn = new MessageConnection(stream, {
    message: (m) => got.push(m),
    protocolError: (e) => errors.push(e),
    close: () => (closed = true),
  });
  return { stream, conn, got, errors, isClosed: () => closed };
}

const exited: Message = { type: 'process-exited', v: 1, vpid: 3, code: null, signal: 9 };

describe('IPC protocol', () => {
  it('round-trips a valid message, also when split across chunks', () => {
    const c = connect();
    const bytes = frame(exited);
    c.stream.write(bytes.subarray(0, 3));
    c.stream.write(bytes.subarray(3));
    expect(c.got).toEqual([exited]);
    expect(c.errors).toEqual([]);
  });

  it('names the field that is wrong', () => {
    expect(() => validateMessage({ ...exited, vpid: 'x' })).toThrow(/field vpid: expected integer, got string/);
    expect(() => validateMessage({ ...exited, v: 2 })).toThrow(/field v: expected 1/);
    expect(() => validateMessage({ type: 'launch-missiles' })).toThrow(/unknown message type/);
    expect(() =>
      validateMessage({ type: 'worker-ready', v: 1, workerPid: 1.5 }),
    ).toThrow(/workerPid/);
  });

  it.each([
    ['garbage bytes', Buffer.from([0, 0, 0, 2, 0xc1, 0xc1])],
    ['a frame too large', Buffer.from([0x7f, 0xff, 0xff, 0xff])],
    ['a non-map message', frame([1, 2, 3])],
    ['a message with a bad field', frame({ ...exited, code: 'zero' })],
  ])('drops a peer that sends %s, without throwing', (_what, bytes) => {
    const c = connect();
    expect(() => c.stream.write(bytes)).not.toThrow();
    expect(c.errors).toHaveLength(1);
    expect(c.isClosed()).toBe(true);
    expect(c.got).toEqual([]);
  });

  it('renders a message as one readable line', () => {
    expect(describeMessage(exited)).toBe('PROCESS_EXITED vpid=3 code=null signal=9');
  });
});
