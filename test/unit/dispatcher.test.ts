// The worker's dispatcher answers whatever the stub sends: malformed requests get an error
// reply (never a crash), unknown syscalls ENOSYS (Linux's own reported to the instance), handler bugs EIO.
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/pal/addon.js';
import type { AppProcess } from '../../src/pal/app.js';
import { REQ_SYSCALL, REQUEST_SIZE } from '../../src/pal/channel-abi.js';
import { SyscallDispatcher } from '../../src/libos/dispatcher.js';
import { Errno } from '../../src/libos/errno.js';
import { LibosProcess } from '../../src/libos/process.js';
import type { Logger } from '../../src/log.js';
import type { InstanceServices } from '../../src/libos/instance.js';
import type { Vfs } from '../../src/libos/fs/vfs.js';

function harness() {
  let deliver: ((len: number) => void) | null = null;
  let packet: Uint8Array | null = null;
  const replies: bigint[] = [];
  const logged: string[] = [];
  const app = {
    hostPid: process.pid,
    watchChannel(buf: Uint8Array, onPacket: (len: number) => void) {
      packet = buf;
      deliver = onPacket;
      return { stop() {} };
    },
    // app memory is this test process's own: address 1 is as bad here as in any app
    readCString: (addr: number, max: number) => addon.readCString(process.pid, addr, max),
    readMemory: (addr: number, buf: Uint8Array) => addon.readMemory(process.pid, addr, buf),
    writeMemory: (addr: number, buf: Uint8Array) => addon.writeMemory(process.pid, addr, buf),
    sendReply(bytes: Uint8Array) {
      replies.push(Buffer.from(bytes).readBigInt64LE(0));
      return bytes.length;
    },
  } as unknown as AppProcess;
  const record = (msg: unknown, text?: string) => logged.push(String(text ?? msg));
  const log = { level: 'debug', enabled: () => true, fatal: record, error: record, warn: record, info: record, debug() {}, trace() {} } as unknown as Logger;
  const unsupported: string[] = [];
  const instance = { unsupported: (_proc: unknown, feature: string) => unsupported.push(feature) } as unknown as InstanceServices;
  const proc = new LibosProcess(
    { vpid: 1, ppid: 0, pgid: 1, sid: 1 }, { uid: 0, euid: 0, suid: 0, gid: 0, egid: 0, sgid: 0, fsuid: 0, fsgid: 0, groups: [] },
    app, -1, log, instance, null as unknown as Vfs,
  );
  new SyscallDispatcher(proc, null).start();
  const send = (bytes: Uint8Array) => {
    packet!.set(bytes);
    deliver!(bytes.length);
  };
  const syscall = (nr: number, args: bigint[] = []) => {
    const req = Buffer.alloc(REQUEST_SIZE);
    req.writeUInt32LE(REQ_SYSCALL, 0);
    req.writeBigUInt64LE(BigInt(nr), 8);
    args.forEach((a, i) => req.writeBigUInt64LE(a, 16 + 8 * i));
    send(req);
  };
  return { send, syscall, replies, logged, unsupported };
}

describe('syscall dispatcher', () => {
  it('answers a request of the wrong size with EINVAL', () => {
    const h = harness();
    h.send(Buffer.alloc(5));
    expect(h.replies).toEqual([BigInt(-Errno.EINVAL)]);
    expect(h.logged.join()).toMatch(/wrong size/);
  });

  it('answers an unknown request kind with EINVAL', () => {
    const h = harness();
    const req = Buffer.alloc(REQUEST_SIZE);
    req.writeUInt32LE(99, 0);
    h.send(req);
    expect(h.replies).toEqual([BigInt(-Errno.EINVAL)]);
  });

  it('answers HELLO without a planned program with EINVAL', () => {
    const h = harness();
    const req = Buffer.alloc(REQUEST_SIZE);
    req.writeUInt32LE(1, 0);
    h.send(req);
    expect(h.replies).toEqual([BigInt(-Errno.EINVAL)]);
  });

  it('answers an unknown syscall with ENOSYS, and reports each call of one Linux has to the instance', () => {
    const h = harness();
    h.syscall(1000);
    h.syscall(315 /* sched_getattr */);
    h.syscall(315);
    expect(h.replies).toEqual([-38n, -38n, -38n]);
    // a number no kernel has is ENOSYS natively too: nothing of gramine-ts's to report
    expect(h.unsupported).toEqual(['sched_getattr', 'sched_getattr']);
  });

  it('answers a bad pointer with EFAULT', () => {
    const h = harness();
    h.syscall(4 /* stat */, [1n, 0n]);
    h.syscall(89 /* readlink */, [0n, 0n, 16n]);
    expect(h.replies).toEqual([BigInt(-Errno.EFAULT), BigInt(-Errno.EFAULT)]);
  });
});
