// System V IPC: objects private to the instance, kept by the leader (src/leader/sysv-*.ts).
// Shared memory's data plane is host memory: shmat gives the stub an fd of the segment's memfd,
// which the stub maps and closes (native/stub/shm.c); shmdt is the stub's munmap, told here.
import { Errno, SyscallError, Unsupported } from '../errno.js';
import { host } from '../../pal/host.js';
import { O_CLOEXEC, O_RDONLY, O_RDWR } from '../../pal/linux-abi.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { NewFd, SemAnswer, SyscallHandler } from './types.js';
import type { SysvAnswer, SysvOp } from '../instance.js';
import {
  GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_64, IPC_ID_SEQ, IPC_INFO, IPC_RMID, IPC_SET, IPC_STAT, MSG_COPY, MSG_INFO, MSG_STAT,
  MSG_STAT_ANY, MSGMAX, MSGMNB, MSGMNI, SEM_INFO, SEM_STAT, SEM_STAT_ANY, SEMMNI, SEMMSL, SEMOPM, SEMVMX, SETALL, SETVAL, SHM_INFO, SHM_LOCK,
  SHM_RDONLY, SHM_STAT, SHM_STAT_ANY, SHM_UNLOCK, SHMMNI,
} from '../../pal/sysv-abi.js';
import { SYSV_WAIT } from '../../ipc/protocol/messages.js';
import { SEM_WANT_MAP } from '../../pal/channel-abi.js';


/** an id's index part (Linux: seq * 32768 + index) */
const IDX_MASK = IPC_ID_SEQ - 1;
const PAGE = 4096;
/** Linux's defaults, what IPC_INFO reports */
const SHMMAX = 0xfffffffffeffffffn;
const SHMALL = 0xfffffffffeffffffn;

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

/**
 * shmdt, as the stub tells it once it has unmapped: the segment's id is the second argument. It
 * returns once the leader has it: a process's next step (its exit, which its parent may reap and
 * then IPC_STAT the segment on another worker's socket) must not overtake its lpid and nattch.
 */
const sys_shmdt: SyscallHandler = async (proc, a) => {
  await proc.instance.sysv(proc, 'shm-detach', [a.int(1)]);
  return 0;
};

/** A struct *id64_ds of `size` bytes starting with its struct ipc64_perm, from the leader's record. */
function withIpcPerm(size: number, s: Record<string, number>): Buffer {
  const b = Buffer.alloc(size);
  b.writeInt32LE(s.key ?? 0, 0);
  b.writeUInt32LE(s.uid! >>> 0, 4);
  b.writeUInt32LE(s.gid! >>> 0, 8);
  b.writeUInt32LE(s.cuid! >>> 0, 12);
  b.writeUInt32LE(s.cgid! >>> 0, 16);
  b.writeUInt16LE(s.mode! & 0xffff, 20);
  b.writeUInt16LE(s.seq! & 0xffff, 24);
  return b;
}

/** IPC_SET's new owner and mode, from the app's struct ipc64_perm. */
function newPerm(proc: LibosProcess, buf: number): number[] {
  const perm = proc.mem.read(buf, 24);
  return [perm.readUInt32LE(4), perm.readUInt32LE(8), perm.readUInt16LE(20)];
}

/** struct shmid64_ds of x86-64 (112 bytes). */
function shmidDs(s: Record<string, number>): Buffer {
  const b = withIpcPerm(112, s);
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
    case IPC_SET:
      return (await proc.instance.sysv(proc, 'shm-set', [id, ...newPerm(proc, buf)])).value;
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

// ---------------------------------------------------------------------------------------------
// Semaphores: the values are in memory the leader shares with the stubs, which make most
// semops themselves (native/stub/sem.c); the leader keeps the rest (src/leader/sysv-sem.ts).


const sys_semget: SyscallHandler = async (proc, a) =>
  (await proc.instance.sysv(proc, 'sem-get', [a.int(0), a.int(1), a.int(2)])).value;

/**
 * A call the leader may make wait (msg-send, msg-recv; `args` after the id and before
 * a wait id): its answer, or an eventfd for the stub to wait on before it tries again.
 */
async function waitable(
  proc: LibosProcess, op: SysvOp, id: number, args: number[], data?: Buffer,
): Promise<SysvAnswer | NewFd> {
  const waitId = proc.instance.sysvWaitId();
  let r: SysvAnswer;
  try {
    r = await proc.instance.sysv(proc, op, [id, waitId, ...args], data);
  } catch (e) {
    proc.instance.sysvWaitDone(proc, waitId);
    throw e;
  }
  if (r.value !== SYSV_WAIT) {
    proc.instance.sysvWaitDone(proc, waitId);
    return r;
  }
  const fd = proc.instance.sysvWaitFd(proc, waitId);
  if (fd < 0) throw new SyscallError(-fd, `${op}: eventfd`);
  return { kind: 'fd', hostFd: fd, cloexec: true };
}

const isWait = (r: SysvAnswer | NewFd): r is NewFd => 'kind' in r;

/**
 * semop and semtimedop, when the stub could not make it itself (native/stub/sem.c: its first on
 * a set, SEM_UNDO, a set it holds no mapping of): the leader makes it, or says wait (the stub
 * waits on the set's seq in its memory, with the timeout and the app's signals). args[5] is
 * the stub's: SEM_WANT_MAP when it would map the set, whose memory then rides along.
 */
const sys_semop: SyscallHandler = async (proc, a) => {
  const nsops = a.long(2);
  if (nsops <= 0) throw new SyscallError(Errno.EINVAL, 'semop: no operations');
  if (nsops > SEMOPM) throw new SyscallError(Errno.E2BIG, `semop: ${nsops} operations`);
  const sops = proc.mem.read(a.ptr(1), 6 * nsops); // struct sembuf: u16 num, s16 op, s16 flg
  const ops: number[] = [];
  for (let i = 0; i < nsops; i++) ops.push(sops.readUInt16LE(6 * i), sops.readInt16LE(6 * i + 2), sops.readInt16LE(6 * i + 4));
  const wantMap = a.int(5) === SEM_WANT_MAP ? SEM_WANT_MAP : 0;
  const { value, path, values } = await proc.instance.sysv(proc, 'sem-op', [a.int(0), wantMap, ...ops]);
  const [wait = 0, seq = 0, blocked = 0, gen = 0, access = 0, nsems = 0] = values;
  let map: SemAnswer['map'] = null;
  if (path) {
    const fd = host.openat(-100, path, O_RDWR | O_CLOEXEC, 0);
    if (fd >= 0) map = { hostFd: fd, gen, access, nsems };
    else if (wait) throw new SyscallError(-fd, `semop: reopening set ${a.int(0)}`);
  }
  return { kind: 'sem', ret: value, wait: wait === 1, seq, blocked, map };
};

/** struct semid64_ds of x86-64 (104 bytes). */
function semidDs(s: Record<string, number>): Buffer {
  const b = withIpcPerm(104, s);
  b.writeBigInt64LE(BigInt(s.otime!), 48);
  b.writeBigInt64LE(BigInt(s.ctime!), 64);
  b.writeBigUInt64LE(BigInt(s.nsems!), 80);
  return b;
}

async function semctl(proc: LibosProcess, a: SyscallArgs): Promise<number> {
  const id = a.int(0);
  const num = a.int(1);
  const cmd = a.int(2) & ~IPC_64;
  const arg = a.ptr(3);
  const ctl = async (values: number[] = []) => proc.instance.sysv(proc, 'sem-ctl', [id, num, cmd, ...values]);
  switch (cmd) {
    case IPC_RMID:
    case GETPID:
    case GETVAL:
    case GETNCNT:
    case GETZCNT:
      return (await ctl()).value;
    case SETVAL:
      return (await ctl([a.int(3)])).value;
    case IPC_SET:
      return (await ctl(newPerm(proc, arg))).value;
    case IPC_STAT: {
      proc.mem.write(arg, semidDs((await ctl()).stats[0]!));
      return 0;
    }
    case GETALL: {
      const { values } = await ctl();
      const b = Buffer.alloc(2 * values.length);
      values.forEach((v, i) => b.writeUInt16LE(v, 2 * i));
      proc.mem.write(arg, b);
      return 0;
    }
    case SETALL: {
      // how many the set has: its status first (and EINVAL, EACCES as Linux orders them)
      const nsems = (await proc.instance.sysv(proc, 'sem-ctl', [id, 0, IPC_STAT])).stats[0]!.nsems!;
      const b = proc.mem.read(arg, 2 * nsems);
      return (await ctl(Array.from({ length: nsems }, (_, i) => b.readUInt16LE(2 * i)))).value;
    }
    case SEM_STAT:
    case SEM_STAT_ANY: {
      const list = (await proc.instance.sysv(proc, 'sem-list', [])).stats;
      const set = list.find((s) => (s.id! & IDX_MASK) === id);
      if (!set || id < 0) throw new SyscallError(Errno.EINVAL, `SEM_STAT ${id}`);
      const st = (await proc.instance.sysv(proc, 'sem-ctl', [set.id!, 0, cmd === SEM_STAT_ANY ? SEM_STAT_ANY : IPC_STAT])).stats[0]!;
      proc.mem.write(arg, semidDs(st));
      return set.id!;
    }
    case IPC_INFO:
    case SEM_INFO: {
      const list = (await proc.instance.sysv(proc, 'sem-list', [])).stats;
      const b = Buffer.alloc(40); // struct seminfo: ten ints
      const used = list.reduce((n, s) => n + s.nsems!, 0);
      [SEMMNI, SEMMNI * SEMMSL, SEMMNI * SEMMSL, cmd === SEM_INFO ? list.length : SEMMNI * SEMMSL,
        SEMMSL, SEMOPM, cmd === SEM_INFO ? used : SEMOPM, SEMVMX, 32, SEMVMX].forEach((v, i) => b.writeInt32LE(v, 4 * i));
      proc.mem.write(arg, b);
      return highestIndex(list);
    }
    default:
      throw new SyscallError(Errno.EINVAL, `semctl command ${cmd}`);
  }
}

const sys_semctl: SyscallHandler = (proc, a) => semctl(proc, a);

// ---------------------------------------------------------------------------------------------
// Message queues: the messages are the leader's; a send or receive that must wait does so as a
// semop does.


const sys_msgget: SyscallHandler = async (proc, a) => (await proc.instance.sysv(proc, 'msg-get', [a.int(0), a.int(1)])).value;

/** msgsnd: struct msgbuf is a long type then the text. */
const sys_msgsnd: SyscallHandler = async (proc, a) => {
  const size = a.long(2);
  if (size < 0 || size > MSGMAX) throw new SyscallError(Errno.EINVAL, `msgsnd of ${size} bytes`);
  const msg = proc.mem.read(a.ptr(1), 8 + size);
  const type = Number(msg.readBigInt64LE(0));
  if (type < 1) throw new SyscallError(Errno.EINVAL, `msgsnd type ${type}`);
  const r = await waitable(proc, 'msg-send', a.int(0), [type, a.int(3)], msg.subarray(8));
  return isWait(r) ? r : 0;
};

const sys_msgrcv: SyscallHandler = async (proc, a) => {
  const size = a.long(2);
  if (size < 0) throw new SyscallError(Errno.EINVAL, `msgrcv of ${size} bytes`);
  if (a.int(4) & MSG_COPY) throw new Unsupported(Errno.ENOSYS, 'msgrcv(MSG_COPY)');
  const type = a.long(3);
  if (!Number.isSafeInteger(type)) throw new SyscallError(Errno.EINVAL, 'msgrcv type');
  const r = await waitable(proc, 'msg-recv', a.int(0), [Math.min(size, MSGMAX), type, a.int(4)]);
  if (isWait(r)) return r;
  const out = Buffer.alloc(8 + r.value);
  out.writeBigInt64LE(BigInt(r.values[0] ?? 0), 0);
  r.data?.copy(out, 8);
  proc.mem.write(a.ptr(1), out);
  return r.value;
};

/** struct msqid64_ds of x86-64 (120 bytes). */
function msqidDs(s: Record<string, number>): Buffer {
  const b = withIpcPerm(120, s);
  b.writeBigInt64LE(BigInt(s.stime!), 48);
  b.writeBigInt64LE(BigInt(s.rtime!), 56);
  b.writeBigInt64LE(BigInt(s.ctime!), 64);
  b.writeBigUInt64LE(BigInt(s.cbytes!), 72);
  b.writeBigUInt64LE(BigInt(s.qnum!), 80);
  b.writeBigUInt64LE(BigInt(s.qbytes!), 88);
  b.writeInt32LE(s.lspid!, 96);
  b.writeInt32LE(s.lrpid!, 100);
  return b;
}

async function msgctl(proc: LibosProcess, a: SyscallArgs): Promise<number> {
  const id = a.int(0);
  const cmd = a.int(1) & ~IPC_64;
  const buf = a.ptr(2);
  const ctl = (c: number, values: number[] = [], target = id) => proc.instance.sysv(proc, 'msg-ctl', [target, c, ...values]);
  switch (cmd) {
    case IPC_RMID:
      return (await ctl(IPC_RMID)).value;
    case IPC_SET: {
      const ds = proc.mem.read(buf, 96);
      return (await ctl(IPC_SET, [...newPerm(proc, buf), Number(ds.readBigUInt64LE(88))])).value;
    }
    case IPC_STAT:
      proc.mem.write(buf, msqidDs((await ctl(IPC_STAT)).stats[0]!));
      return 0;
    case MSG_STAT:
    case MSG_STAT_ANY: {
      const q = (await proc.instance.sysv(proc, 'msg-list', [])).stats.find((s) => (s.id! & IDX_MASK) === id);
      if (!q || id < 0) throw new SyscallError(Errno.EINVAL, `MSG_STAT ${id}`);
      proc.mem.write(buf, msqidDs((await ctl(cmd === MSG_STAT_ANY ? MSG_STAT_ANY : IPC_STAT, [], q.id!)).stats[0]!));
      return q.id!;
    }
    case IPC_INFO:
    case MSG_INFO: {
      const list = (await proc.instance.sysv(proc, 'msg-list', [])).stats;
      const b = Buffer.alloc(32); // struct msginfo: msgpool msgmap msgmax msgmnb msgmni msgssz msgtql (ints) msgseg (u16)
      const info = cmd === MSG_INFO;
      [info ? list.length : 0x7ffffff, info ? list.reduce((n, q) => n + q.qnum!, 0) : 0x7ffffff, MSGMAX, MSGMNB, MSGMNI,
        16, info ? list.reduce((n, q) => n + q.cbytes!, 0) : 0x7ffffff].forEach((v, i) => b.writeInt32LE(v, 4 * i));
      b.writeUInt16LE(0xffff, 28);
      proc.mem.write(buf, b);
      return highestIndex(list);
    }
    default:
      throw new SyscallError(Errno.EINVAL, `msgctl command ${cmd}`);
  }
}

const sys_msgctl: SyscallHandler = (proc, a) => msgctl(proc, a);

export const ipcHandlers = {
  shmget: sys_shmget,
  shmat: sys_shmat,
  shmdt: sys_shmdt,
  shmctl: sys_shmctl,
  semget: sys_semget,
  semop: sys_semop,
  semtimedop: sys_semop,
  semctl: sys_semctl,
  msgget: sys_msgget,
  msgsnd: sys_msgsnd,
  msgrcv: sys_msgrcv,
  msgctl: sys_msgctl,
};
