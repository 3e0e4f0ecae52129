// The leader's answers to the workers' System V IPC requests (the objects live in sysv-*.ts).
import type { Message } from '../ipc/protocol/messages.js';
import { Errno } from '../libos/errno.js';
import type { IpcCaller } from './sysv-perm.js';
import type { ShmStat, SysvShm } from './sysv-shm.js';

type Request = Extract<Message, { type: 'sysv-request' }>;
type Reply = Extract<Message, { type: 'sysv-reply' }>;

/** The reply to `m` (null: the request wants none). `m.caller` is the asking worker's own process. */
export function answerSysv(shm: SysvShm, m: Request): Reply | null {
  const caller: IpcCaller = { vpid: m.caller, euid: m.euid, egid: m.egid };
  const arg = (i: number) => m.args[i] ?? 0;
  const reply = (value: number, path = '', stats: ShmStat[] = []): Reply => ({
    type: 'sysv-reply', v: 1, reqId: m.reqId, value, path, stats: stats.map((s) => ({ ...s })),
  });
  switch (m.op) {
    case 'shm-get':
      return reply(shm.get(caller, arg(0), arg(1), arg(2)));
    case 'shm-attach': {
      const r = shm.attach(caller, arg(0), arg(1) !== 0);
      return typeof r === 'number' ? reply(r) : reply(0, r);
    }
    case 'shm-detach':
      shm.detach(caller.vpid, arg(0));
      return null;
    case 'shm-detach-all':
      shm.detachAll(caller.vpid);
      return null;
    case 'shm-stat': {
      const r = shm.stat(caller, arg(0), arg(1) !== 0);
      return typeof r === 'number' ? reply(r) : reply(0, '', [r]);
    }
    case 'shm-set':
      return reply(shm.set(caller, arg(0), arg(1), arg(2), arg(3)));
    case 'shm-remove':
      return reply(shm.remove(caller, arg(0)));
    case 'shm-list':
      return reply(0, '', shm.list().flatMap(({ seg }) => {
        const s = shm.stat({ vpid: 0, euid: 0, egid: 0 }, seg.id, true);
        return typeof s === 'number' ? [] : [{ ...s, id: seg.id }];
      }));
    default:
      return reply(-Errno.EINVAL);
  }
}
