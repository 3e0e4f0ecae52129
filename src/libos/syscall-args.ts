// Views on the six raw 64-bit arguments of a trapped system call.
import { REQUEST_OFFSETS } from '../pal/channel-abi.js';

export class SyscallArgs {
  /** the thread making the call: its virtual tid and host tid (set by the dispatcher) */
  readonly caller = { tid: 0, hostTid: 0 };
  private readonly u32: Uint32Array;
  private readonly i32: Int32Array;
  private readonly i64: BigInt64Array;

  /** `packet` is the request buffer (8-byte aligned); the args start at REQUEST_OFFSETS.args. */
  constructor(packet: Uint8Array) {
    const base = packet.byteOffset + REQUEST_OFFSETS.args;
    this.u32 = new Uint32Array(packet.buffer, base, 12);
    this.i32 = new Int32Array(packet.buffer, base, 12);
    this.i64 = new BigInt64Array(packet.buffer, base, 6);
  }

  /** The low 32 bits as a C int (fds, flags, modes, signal numbers). */
  int(i: number): number {
    return this.i32[2 * i]!;
  }

  /** The low 32 bits as an unsigned int. */
  uint(i: number): number {
    return this.u32[2 * i]!;
  }

  /** A user-space address (below 2^47 on x86-64, so exact as a number). */
  ptr(i: number): number {
    return this.u32[2 * i]! + this.u32[2 * i + 1]! * 0x100000000;
  }

  /** A signed 64-bit value (lengths, offsets), as a number. */
  long(i: number): number {
    return Number(this.i64[i]!);
  }

  raw(i: number): bigint {
    return this.i64[i]!;
  }
}
