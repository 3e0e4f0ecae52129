// A protected file's storage on a host fd (PfStorage): the PF code does no host I/O of its own.
// The encrypted mounts' (libos/fs/encrypted/) and gramine-ts pf's (cli/pf-command.ts).
import type { PfStorage } from '../protected-files/index.js';
import { fileSize, host, hostErrnoError } from './host.js';

/** `r`, or its failure thrown as the PF code reports it (PfStorageError takes `code` as the errno). */
function ok(what: string, r: number): number {
  if (r < 0) throw hostErrnoError(what, r);
  return r;
}

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
    return ok('fstat', fileSize(this.fd));
  }

  truncate(size: number): void {
    ok('ftruncate', host.ftruncate(this.fd, size));
  }

  sync(): void {
    ok('fsync', host.fsync(this.fd));
  }
}
