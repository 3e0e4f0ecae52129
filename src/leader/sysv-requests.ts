// The leader's answers to the workers' System V IPC requests (the objects live in sysv-*.ts).
import type { Message } from '../ipc/protocol/messages.js';
import { Errno } from '../libos/errno.js';
import type { IpcCaller } from './sysv-perm.js';
import type { MsgQueue, MsgResult, SysvMsg } from './sysv-msg.js';
import type { SemopResult, SemSet, SysvSem } from './sysv-sem.js';
import { SEM_WANT_MAP } from '../pal/channel-abi.js';
import type { ShmStat, SysvShm } from './sysv-shm.js';
import { SYSV_WAIT } from '../ipc/protocol/messages.js';
import {
  GETALL, GETNCNT, GETPID, GETVAL, GETZCNT, IPC_RMID, IPC_SET, IPC_STAT, MSG_STAT_ANY, SEM_STAT_ANY, SETALL, SETVAL,
} from '../pal/sysv-abi.js';

type Request = Extract<Message, { type: 'sysv-request' }>;
type Reply = Extract<Message, { type: 'sysv-reply' }>;



export interface SysvObjects {
  shm: SysvShm;
  sem: SysvSem;
  msg: SysvMsg;
}

function msgStat(q: MsgQueue): Record<string, number> {
  return {
    id: q.id, key: q.key, uid: q.uid, gid: q.gid, cuid: q.cuid, cgid: q.cgid, mode: q.mode, seq: q.seq,
    stime: q.stime, rtime: q.rtime, ctime: q.ctime, cbytes: q.cbytes, qnum: q.messages.length, qbytes: q.qbytes,
    lspid: q.lspid, lrpid: q.lrpid,
  };
}

function semStat(sem: SysvSem, set: SemSet): Record<string, number> {
  return {
    id: set.id, key: set.key, uid: set.uid, gid: set.gid, cuid: set.cuid, cgid: set.cgid, mode: set.mode, seq: set.seq,
    otime: sem.otime(set), ctime: set.ctime, nsems: set.nsems,
  };
}

/**
 * The reply to `m` (null: the request wants none). `m.caller` is the asking worker's own
 * process; `wake` tells that worker a wait of its may be over.
 */
export function answerSysv(ipc: SysvObjects, m: Request, wake: (waitId: number) => void): Reply | Promise<Reply> | null {
  const { shm, sem, msg } = ipc;
  const caller: IpcCaller = { vpid: m.caller, euid: m.euid, egid: m.egid };
  const arg = (i: number) => m.args[i] ?? 0;
  const reply = (
    value: number, path = '', stats: (ShmStat | Record<string, number>)[] = [], values: number[] = [], data: Buffer | null = null,
  ): Reply => ({
    type: 'sysv-reply', v: 1, reqId: m.reqId, value, path, stats: stats.map((s) => ({ ...s })), values, data,
  });
  const waited = (r: MsgResult) =>
    'done' in r ? reply(r.data?.length ?? 0, '', [], r.type === undefined ? [] : [r.type], r.data ?? null) : 'wait' in r ? reply(SYSV_WAIT) : reply(-r.errno);
  switch (m.op) {
    case 'sem-get':
      return reply(sem.get(caller, arg(0), arg(1), arg(2)));
    case 'sem-op': {
      const ops = [];
      for (let i = 2; i + 2 < m.args.length; i += 3) ops.push({ num: arg(i), op: arg(i + 1), flg: arg(i + 2) });
      const answer = (r: SemopResult): Reply => {
        // [wait, seq, blocked] and, when the stub asked for the set's memory, [gen, access, nsems] with its path
        const g = arg(1) === SEM_WANT_MAP && !('errno' in r) ? sem.grant(caller, arg(0)) : null;
        const waits = 'wait' in r ? [1, r.seq, r.blocked] : [0, 0, 0];
        if (g === null || typeof g === 'number') return reply('errno' in r ? -r.errno : 0, '', [], waits);
        return reply(0, g.path, [], [...waits, g.gen, g.access, g.nsems]);
      };
      const r = sem.op(caller, arg(0), ops);
      return r instanceof Promise ? r.then(answer) : answer(r);
    }
    case 'sem-ctl':
      return semctl(sem, caller, arg(0), arg(1), arg(2), m.args.slice(3), reply);
    case 'shm-get':
      return reply(shm.get(caller, arg(0), arg(1), arg(2)));
    case 'shm-attach': {
      const r = shm.attach(caller, arg(0), arg(1) !== 0);
      return typeof r === 'number' ? reply(r) : reply(0, r);
    }
    case 'shm-detach':
      shm.detach(caller.vpid, arg(0));
      // shmdt waits for it; a shmat undone at once only tells it
      return m.reqId === 0 ? null : reply(0);
    case 'shm-stat': {
      const r = shm.stat(caller, arg(0), arg(1) !== 0);
      return typeof r === 'number' ? reply(r) : reply(0, '', [r]);
    }
    case 'shm-set':
      return reply(shm.set(caller, arg(0), arg(1), arg(2), arg(3)));
    case 'shm-remove':
      return reply(shm.remove(caller, arg(0)));
    case 'msg-get':
      return reply(msg.get(caller, arg(0), arg(1)));
    case 'msg-send': {
      const waitId = arg(1);
      return waited(msg.send(caller, arg(0), arg(2), m.data ?? Buffer.alloc(0), arg(3), () => wake(waitId)));
    }
    case 'msg-recv': {
      const waitId = arg(1);
      return waited(msg.receive(caller, arg(0), arg(2), arg(3), arg(4), () => wake(waitId)));
    }
    case 'msg-ctl':
      return msgctl(msg, caller, arg(0), arg(1), m.args.slice(2), reply);
    case 'msg-list':
      return reply(0, '', msg.list().map(msgStat));
    case 'sem-list':
      return reply(0, '', semList(sem));
    case 'shm-list':
      return reply(0, '', shm.list().flatMap(({ seg }) => {
        const s = shm.stat({ vpid: 0, euid: 0, egid: 0 }, seg.id, true);
        return typeof s === 'number' ? [] : [{ ...s, id: seg.id }];
      }));
    default:
      return reply(-Errno.EINVAL);
  }
}

type ReplyOf = (value: number, path?: string, stats?: Record<string, number>[], values?: number[]) => Reply;

function semctl(
  sem: SysvSem, caller: IpcCaller, id: number, num: number, cmd: number, values: number[], reply: ReplyOf,
): Reply | Promise<Reply> {
  switch (cmd) {
    case IPC_RMID:
      return reply(sem.remove(caller, id));
    case IPC_SET:
      return reply(sem.setPerm(caller, id, values[0] ?? 0, values[1] ?? 0, values[2] ?? 0));
    case SETVAL:
    case SETALL: {
      const r = sem.setValues(caller, id, cmd === SETVAL ? num : -1, values);
      return typeof r === 'number' ? reply(r) : r.then((v) => reply(v));
    }
    case IPC_STAT:
    case SEM_STAT_ANY:
    case GETPID:
    case GETVAL:
    case GETALL:
    case GETNCNT:
    case GETZCNT: {
      const set = sem.readable(caller, id, cmd === SEM_STAT_ANY);
      if (typeof set === 'number') return reply(set);
      if (cmd === IPC_STAT || cmd === SEM_STAT_ANY) return reply(0, '', [semStat(sem, set)]);
      if (cmd === GETALL) return reply(0, '', [], sem.values(set));
      if (num < 0 || num >= set.nsems) return reply(-Errno.EINVAL);
      if (cmd === GETPID) return reply(sem.pid(set, num));
      if (cmd === GETVAL) return reply(sem.value(set, num));
      return reply(sem.waiting(set, num, cmd === GETZCNT));
    }
    default:
      return reply(-Errno.EINVAL);
  }
}

/** Every semaphore set's status (for SEM_STAT, SEM_INFO and /proc/sysvipc/sem). */
export function semList(sem: SysvSem): Record<string, number>[] {
  return sem.list().map((s) => semStat(sem, s));
}

function msgctl(msg: SysvMsg, caller: IpcCaller, id: number, cmd: number, values: number[], reply: ReplyOf): Reply {
  switch (cmd) {
    case IPC_RMID:
      return reply(msg.remove(caller, id));
    case IPC_SET:
      return reply(msg.set(caller, id, values[0] ?? 0, values[1] ?? 0, values[2] ?? 0, values[3] ?? 0));
    case IPC_STAT:
    case MSG_STAT_ANY: {
      const q = msg.readable(caller, id, cmd === MSG_STAT_ANY);
      return typeof q === 'number' ? reply(q) : reply(0, '', [msgStat(q)]);
    }
    default:
      return reply(-Errno.EINVAL);
  }
}
