// System V IPC: objects private to the instance, kept by the leader (src/leader/sysv-*.ts).
// Shared memory's data plane is host memory: shmat gives the stub an fd of the segment's memfd,
// which the stub maps and closes (native/stub/shm.c); shmdt is the stub's munmap, told here.
import { Errno, SyscallError } from '../errno.js';
import { host } from '../../pal/host.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR } from '../../pal/linux-abi.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { SyscallHandler } from './types.js';

const SHM_RDONLY = 0o10000;
const IPC_64 = 0x100;
const IPC_RMID = 0;
const IPC_SET = 1;
const IPC_STAT = 2;
const IPC_INFO = 3;
const SHM_LOCK = 11;
const SHM_UNLOCK = 12;
const SHM_STAT = 13;
const SHM_INFO = 14;
const SHM_STAT_ANY = 15;
/** an id's index part (Linux: seq * 32768 + index) */
const IDX_MASK = 0x7fff;
const PAGE = 4096;
/** Linux's defaults, what IPC_INFO reports */
const SHMMAX = 0xfffffffffeffffffn;
const SHMALL = 0xfffffffffeffffffn;
const SHMMNI = 4096;

const sys_shmget: SyscallHandler = async (proc, a) => {
  const size = a.raw(1);
  if (size < 0n || size > BigInt(Number.MAX_SAFE_INTEGER)) throw new SyscallError(Errno.EINVAL, `shmget size ${size}`);
  return (await proc.instance.sysv(proc, 'shm-get', [a.int(0), Number(size), a.int(2)])).value;
};

/** shmat, as the stub asks it: an fd of the segment, which the stub maps (the address is its). */
const sys_shmat: SyscallHandler = async (proc, a) => {
  const readOnly = (a.int(2) & SHM_RDONLY) !== 0;
  const { path } = await proc.instance.sysv(proc, 'shm-attach', [a.int(0), readOnly ? 1 : 0]);
  const fd = host.openat(-100, path, (readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0) {
    proc.instance.sysvTell(proc, 'shm-detach', [a.int(0)]);
    throw new SyscallError(-fd, `shmat: reopening segment ${a.int(0)}`);
  }
  return { kind: 'fd', hostFd: fd, cloexec: true };
};

/** shmdt, as the stub tells it once it has unmapped: the segment's id is the second argument. */
const sys_shmdt: SyscallHandler = (proc, a) => {
  proc.instance.sysvTell(proc, 'shm-detach', [a.int(1)]);
  return 0;
};

/** struct shmid64_ds of x86-64 (112 bytes) from the leader's record. */
function shmidDs(s: Record<string, number>): Buffer {
  const b = Buffer.alloc(112);
  b.writeInt32LE(s.key ?? 0, 0);
  b.writeUInt32LE(s.uid! >>> 0, 4);
  b.writeUInt32LE(s.gid! >>> 0, 8);
  b.writeUInt32LE(s.cuid! >>> 0, 12);
  b.writeUInt32LE(s.cgid! >>> 0, 16);
  b.writeUInt16LE(s.mode! & 0xffff, 20);
  b.writeUInt16LE(s.seq! & 0xffff, 24);
  b.writeBigUInt64LE(BigInt(s.size!), 48);
  b.writeBigInt64LE(BigInt(s.atime!), 56);
  b.writeBigInt64LE(BigInt(s.dtime!), 64);
  b.writeBigInt64LE(BigInt(s.ctime!), 72);
  b.writeInt32LE(s.cpid!, 80);
  b.writeInt32LE(s.lpid!, 84);
  b.writeBigUInt64LE(BigInt(s.nattch!), 88);
  return b;
}

async function shmList(proc: LibosProcess): Promise<Record<string, number>[]> {
  return (await proc.instance.sysv(proc, 'shm-list', [])).stats;
}

const highestIndex = (list: Record<string, number>[]) => list.reduce((m, s) => Math.max(m, s.id! & IDX_MASK), 0);

async function shmctl(proc: LibosProcess, a: SyscallArgs): Promise<number> {
  const id = a.int(0);
  const cmd = a.int(1) & ~IPC_64;
  const buf = a.ptr(2);
  switch (cmd) {
    case IPC_STAT: {
      const { stats } = await proc.instance.sysv(proc, 'shm-stat', [id, 0]);
      proc.mem.write(buf, shmidDs(stats[0]!));
      return 0;
    }
    case SHM_STAT:
    case SHM_STAT_ANY: {
      // the argument is an index; the answer is the full id
      const seg = (await shmList(proc)).find((s) => (s.id! & IDX_MASK) === id);
      if (!seg || id < 0) throw new SyscallError(Errno.EINVAL, `SHM_STAT ${id}`);
      const { stats } = await proc.instance.sysv(proc, 'shm-stat', [seg.id!, cmd === SHM_STAT_ANY ? 1 : 0]);
      proc.mem.write(buf, shmidDs(stats[0]!));
      return seg.id!;
    }
    case IPC_SET: {
      const perm = proc.mem.read(buf, 24);
      return (await proc.instance.sysv(proc, 'shm-set', [id, perm.readUInt32LE(4), perm.readUInt32LE(8), perm.readUInt16LE(20)])).value;
    }
    case IPC_RMID:
      return (await proc.instance.sysv(proc, 'shm-remove', [id])).value;
    case IPC_INFO: {
      const b = Buffer.alloc(72); // struct shminfo64
      b.writeBigUInt64LE(SHMMAX, 0);
      b.writeBigUInt64LE(1n, 8);
      b.writeBigUInt64LE(BigInt(SHMMNI), 16);
      b.writeBigUInt64LE(BigInt(SHMMNI), 24);
      b.writeBigUInt64LE(SHMALL, 32);
      proc.mem.write(buf, b);
      return highestIndex(await shmList(proc));
    }
    case SHM_INFO: {
      const list = await shmList(proc);
      const b = Buffer.alloc(48); // struct shm_info
      b.writeInt32LE(list.length, 0);
      const pages = list.reduce((n, s) => n + Math.ceil(s.size! / PAGE), 0);
      b.writeBigUInt64LE(BigInt(pages), 8);
      b.writeBigUInt64LE(BigInt(pages), 16);
      proc.mem.write(buf, b);
      return highestIndex(list);
    }
    case SHM_LOCK:
    case SHM_UNLOCK: {
      // a check that the segment is there and ours to lock; host memory is not pinned
      await proc.instance.sysv(proc, 'shm-stat', [id, 0]);
      return 0;
    }
    default:
      throw new SyscallError(Errno.EINVAL, `shmctl command ${cmd}`);
  }
}

const sys_shmctl: SyscallHandler = (proc, a) => shmctl(proc, a);

export const ipcHandlers = {
  shmget: sys_shmget,
  shmat: sys_shmat,
  shmdt: sys_shmdt,
  shmctl: sys_shmctl,
};
