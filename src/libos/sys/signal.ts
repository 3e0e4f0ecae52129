// Signals sent by the app. A single-process instance for now: only the app itself is a target.
import { check, Errno, SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { SyscallHandler } from './types.js';

const MAX_SIGNAL = 64;

function checkSignal(sig: number): void {
  if (sig < 0 || sig > MAX_SIGNAL) throw new SyscallError(Errno.EINVAL, `signal ${sig}`);
}

function isSelf(proc: LibosProcess, pid: number): boolean {
  return pid === proc.id.vpid || pid === 0 || pid === -1 || pid === -proc.id.pgid;
}

const sys_kill: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  const sig = a.int(1);
  checkSignal(sig);
  if (!isSelf(proc, pid)) throw new SyscallError(Errno.ESRCH, `kill ${pid}`);
  return sig === 0 ? 0 : check(proc.app.kill(sig), `kill ${pid}`);
};

function threadKill(proc: LibosProcess, tgid: number, tid: number, sig: number): number {
  checkSignal(sig);
  if (tid <= 0 || (tgid !== -1 && tgid <= 0)) throw new SyscallError(Errno.EINVAL, `tgkill ${tgid} ${tid}`);
  if ((tgid !== -1 && tgid !== proc.id.vpid) || tid !== proc.id.vpid)
    throw new SyscallError(Errno.ESRCH, `tgkill ${tgid} ${tid}`);
  return sig === 0 ? 0 : check(proc.app.tgkill(proc.mainHostTid, sig), `tgkill ${tid}`);
}

const sys_tgkill: SyscallHandler = (proc, a) => threadKill(proc, a.int(0), a.int(1), a.int(2));
const sys_tkill: SyscallHandler = (proc, a) => threadKill(proc, -1, a.int(0), a.int(1));

export const signalHandlers = {
  kill: sys_kill, tgkill: sys_tgkill, tkill: sys_tkill,
} satisfies Record<string, SyscallHandler>;
