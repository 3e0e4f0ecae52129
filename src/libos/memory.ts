// Reads and writes of an app process's memory for pointer arguments. A bad pointer is EFAULT
// for the app, never a crash of the worker.
import type { AppProcess } from '../pal/app.js';
import { Errno, SyscallError } from './errno.js';

export const PATH_MAX = 4096;

export class AppMemory {
  constructor(private readonly app: AppProcess) {}

  read(addr: number, len: number): Buffer {
    const buf = Buffer.allocUnsafe(len);
    if (len === 0) return buf;
    const r = this.app.readMemory(addr, buf);
    if (r !== len) throw new SyscallError(Errno.EFAULT, `read ${len} bytes at 0x${addr.toString(16)}`);
    return buf;
  }

  write(addr: number, bytes: Uint8Array): void {
    if (bytes.byteLength === 0) return;
    const r = this.app.writeMemory(addr, bytes);
    if (r !== bytes.byteLength)
      throw new SyscallError(Errno.EFAULT, `write ${bytes.byteLength} bytes at 0x${addr.toString(16)}`);
  }

  /** A NUL-terminated string (a path: ENAMETOOLONG past PATH_MAX). */
  readCString(addr: number, max = PATH_MAX): string {
    if (addr === 0) throw new SyscallError(Errno.EFAULT, 'NULL string pointer');
    const r = this.app.readCString(addr, max);
    if (typeof r === 'number') throw new SyscallError(-r, `string at 0x${addr.toString(16)}`);
    return r;
  }

  /**
   * A NULL-terminated array of C strings (execve's argv, envp): its strings (or, with `want`
   * false, only checked: the bytes they take with their pointers); EFAULT, or E2BIG past
   * `maxCount` strings or `maxBytes`.
   */
  readStringArray(addr: number, maxCount: number, maxBytes: number, what: string, want = true): string[] {
    const r = this.app.readStringArray(addr, maxCount, maxBytes, want);
    if (typeof r === 'number') {
      if (r < 0) throw new SyscallError(-r, `${what} at 0x${addr.toString(16)}`);
      return [];
    }
    return r;
  }

  readU64(addr: number): bigint {
    return this.read(addr, 8).readBigUInt64LE(0);
  }

  writeU32s(addr: number, values: number[]): void {
    const buf = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => buf.writeUInt32LE(v >>> 0, 4 * i));
    this.write(addr, buf);
  }
}
