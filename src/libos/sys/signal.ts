// Signals sent by the app (the `sys_signal.go` of this LibOS). A signal for the app itself is
// queued here; one for other processes goes through the leader, which knows the process tree
// and groups. Either way it reaches its target with a virtual siginfo (see ../signals.ts).
import { Errno, SyscallError } from '../errno.js';
import type { KillTarget } from '../instance.js';
import type { LibosProcess } from '../process.js';
import { SI_TKILL, SI_USER } from '../signals.js';
import type { SyscallHandler } from './types.js';
import { SIGINFO_SIZE } from '../../pal/channel-abi.js';

const MAX_SIGNAL = 64;
/** the stub's doorbell: not available to apps (sending it is EINVAL) */
const RESERVED_SIGNAL = 64;

function checkSignal(sig: number): void {
  if (sig < 0 || sig > MAX_SIGNAL || sig === RESERVED_SIGNAL) throw new SyscallError(Errno.EINVAL, `signal ${sig}`);
}

async function send(proc: LibosProcess, target: KillTarget, sig: number, code: number, raw?: Buffer): Promise<number> {
  if (target.kind === 'pid' && target.vpid === proc.id.vpid) {
    if (sig !== 0) proc.signals.queue({ signo: sig, code, pid: proc.id.vpid, uid: proc.creds.uid, ...(raw ? { raw } : {}) });
    return 0;
  }
  await proc.instance.kill(proc, target, sig, code, raw);
  return 0;
}

/** A signal for thread `tid` of the calling process itself (tgkill, rt_tgsigqueueinfo). */
function sendToOwnThread(proc: LibosProcess, tid: number, sig: number, code: number, raw?: Buffer): number {
  if (sig !== 0) proc.signals.queue({ signo: sig, code, pid: proc.id.vpid, uid: proc.creds.uid, ...(raw ? { raw } : {}) }, tid);
  return 0;
}

const sys_kill: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  const sig = a.int(1);
  checkSignal(sig);
  if (pid === -0x80000000) throw new SyscallError(Errno.ESRCH, 'kill INT_MIN');
  let target: KillTarget;
  if (pid > 0) target = { kind: 'pid', vpid: pid };
  else if (pid === 0) target = { kind: 'pgid', pgid: proc.id.pgid };
  else if (pid === -1) target = { kind: 'all' };
  else target = { kind: 'pgid', pgid: -pid };
  return send(proc, target, sig, SI_USER);
};

/** tgkill and tkill: one thread, named by its tid; a thread of this process gets it here, another's through the leader. */
function threadKill(proc: LibosProcess, tgid: number | null, tid: number, sig: number): number | Promise<number> {
  checkSignal(sig);
  if (tid <= 0 || (tgid !== null && tgid <= 0)) throw new SyscallError(Errno.EINVAL, `tgkill ${tgid} ${tid}`);
  if ((tgid === null || tgid === proc.id.vpid) && proc.hasThread(tid)) return sendToOwnThread(proc, tid, sig, SI_TKILL);
  if (tgid === proc.id.vpid) throw new SyscallError(Errno.ESRCH, `tgkill ${tgid} ${tid}: no such thread`);
  // another process's thread: the leader knows whose tid it is (tkill: pid 0, whichever process's)
  return send(proc, { kind: 'pid', vpid: tgid ?? 0, tid }, sig, SI_TKILL);
}

const sys_tgkill: SyscallHandler = (proc, a) => threadKill(proc, a.int(0), a.int(1), a.int(2));
const sys_tkill: SyscallHandler = (proc, a) => threadKill(proc, null, a.int(0), a.int(1));

/**
 * rt_sigqueueinfo and rt_tgsigqueueinfo: a signal with the siginfo the caller gives (sigqueue's
 * value), delivered as given. To another process only a negative si_code other than SI_TKILL is
 * allowed, as Linux keeps kernel codes from being forged.
 */
function queueInfo(proc: LibosProcess, tgid: number, tid: number | null, sig: number, infoPtr: number): Promise<number> {
  checkSignal(sig);
  if (tgid <= 0 || (tid !== null && tid <= 0)) throw new SyscallError(Errno.EINVAL, `rt_sigqueueinfo ${tgid} ${tid}`);
  const info = proc.mem.read(infoPtr, SIGINFO_SIZE);
  const code = info.readInt32LE(8);
  if (tgid !== proc.id.vpid && (code >= 0 || code === SI_TKILL))
    throw new SyscallError(Errno.EPERM, `rt_sigqueueinfo to ${tgid} with si_code ${code}`);
  if (tid !== null && tgid === proc.id.vpid) {
    if (!proc.hasThread(tid)) throw new SyscallError(Errno.ESRCH, `rt_tgsigqueueinfo ${tgid} ${tid}: no such thread`);
    return Promise.resolve(sendToOwnThread(proc, tid, sig, code, info));
  }
  return send(proc, { kind: 'pid', vpid: tgid, ...(tid !== null ? { tid } : {}) }, sig, code, info);
}

const sys_rt_sigqueueinfo: SyscallHandler = (proc, a) => queueInfo(proc, a.int(0), null, a.int(1), a.ptr(2));
const sys_rt_tgsigqueueinfo: SyscallHandler = (proc, a) => queueInfo(proc, a.int(0), a.int(1), a.int(2), a.ptr(3));

export const signalHandlers = {
  kill: sys_kill, tgkill: sys_tgkill, tkill: sys_tkill,
  rt_sigqueueinfo: sys_rt_sigqueueinfo, rt_tgsigqueueinfo: sys_rt_tgsigqueueinfo,
} satisfies Record<string, SyscallHandler>;
