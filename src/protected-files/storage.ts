// Where a protected file's nodes live. The PF code does no host I/O of its own: the LibOS backs
// this with its host fds, the CLI with node:fs, the tests with memory.

/** Byte storage under one protected file (all calls synchronous; errors are thrown). */
export interface PfStorage {
  /** Reads into `target` from byte `position`; returns the bytes read (fewer only at the end). */
  read(position: number, target: Uint8Array): number;
  /** Writes all of `data` at byte `position`, growing the storage as needed. */
  write(position: number, data: Uint8Array): void;
  size(): number;
  /** Sets the size (cutting off or zero-extending). */
  truncate(size: number): void;
  /** Makes what was written durable (fsync). */
  sync(): void;
}

/** Storage in memory: for tests, and for files that never reach the host. */
export class MemoryStorage implements PfStorage {
  private bytes: Buffer;
  private length: number;

  constructor(initial: Uint8Array = new Uint8Array(0)) {
    this.bytes = Buffer.from(initial);
    this.length = initial.length;
  }

  /** A copy of the stored bytes. */
  contents(): Buffer {
    return Buffer.from(this.bytes.subarray(0, this.length));
  }

  read(position: number, target: Uint8Array): number {
    const n = Math.max(0, Math.min(target.length, this.length - position));
    target.set(this.bytes.subarray(position, position + n));
    return n;
  }

  write(position: number, data: Uint8Array): void {
    this.reserve(position + data.length);
    this.bytes.set(data, position);
    this.length = Math.max(this.length, position + data.length);
  }

  size(): number {
    return this.length;
  }

  truncate(size: number): void {
    this.reserve(size);
    if (size > this.length) this.bytes.fill(0, this.length, size);
    this.length = size;
  }

  sync(): void {}

  private reserve(size: number): void {
    if (size <= this.bytes.length) return;
    const grown = Buffer.alloc(Math.max(size, this.bytes.length * 2));
    this.bytes.copy(grown, 0, 0, this.length);
    this.bytes = grown;
  }
}
