// A protected file's storage on a host fd (PfStorage): the PF code does no host I/O of its own.
import { host } from '../../../pal/host.js';
import { AT_EMPTY_PATH } from '../../../pal/linux-abi.js';
import { errnoName } from '../../errno.js';
import type { PfStorage } from '../../../protected-files/index.js';

/** A host call's failure as the PF code reports it (PfStorageError takes `code` as the errno). */
function failed(what: string, r: number): never {
  const e = new Error(`${what}: ${errnoName(-r)}`) as NodeJS.ErrnoException;
  e.code = errnoName(-r);
  throw e;
}

function ok(what: string, r: number): number {
  return r < 0 ? failed(what, r) : r;
}

const statBuf = Buffer.alloc(144);

export class FdStorage implements PfStorage {
  /** `fd` stays the caller's to close. */
  constructor(private readonly fd: number) {}

  read(position: number, target: Uint8Array): number {
    let done = 0;
    while (done < target.length) {
      const n = ok('pread', host.pread(this.fd, target.subarray(done), position + done));
      if (n === 0) break;
      done += n;
    }
    return done;
  }

  write(position: number, data: Uint8Array): void {
    for (let done = 0; done < data.length;) done += ok('pwrite', host.pwrite(this.fd, data.subarray(done), position + done));
  }

  size(): number {
    ok('fstat', host.fstatat(this.fd, '', statBuf, AT_EMPTY_PATH));
    return Number(statBuf.readBigInt64LE(48));
  }

  truncate(size: number): void {
    ok('ftruncate', host.ftruncate(this.fd, size));
  }

  sync(): void {
    ok('fsync', host.fsync(this.fd));
  }
}
