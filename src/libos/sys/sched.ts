// Scheduling (the `sys_sched.go` of this LibOS): CPU affinity, nice values, policies and I/O
// priorities of a thread or process of the instance, named by its virtual tid or pid. The host
// schedules: each call is made on the host thread the id names, after the checks Linux makes
// with the app's virtual credentials (an unprivileged app cannot raise its priority even where
// its host process could).
import { host } from '../../pal/host.js';
import { Errno, SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { SyscallHandler } from './types.js';

const PRIO_PROCESS = 0;
const IOPRIO_WHO_PROCESS = 1;
const SCHED_OTHER = 0;
const SCHED_BATCH = 3;
const SCHED_IDLE = 5;
const SCHED_RESET_ON_FORK = 0x40000000;

/**
 * The host tid of thread or process `id` of the instance (0: the caller): the caller's own
 * threads from its LibOS, another process's main thread from the leader; ESRCH for none.
 */
async function hostTidOf(proc: LibosProcess, a: SyscallArgs, id: number): Promise<number> {
  if (id < 0) throw new SyscallError(Errno.EINVAL, `pid ${id}`);
  if (id === 0) return a.caller.hostTid;
  if (id === proc.id.vpid) return proc.mainHostTid;
  const thread = proc.threads.get(id);
  if (thread) return thread.hostTid;
  const hostPid = await proc.instance.lookupPid(proc, 'host-of-vpid', id);
  if (hostPid <= 0) throw new SyscallError(Errno.ESRCH, `no process ${id}`);
  return hostPid;
}

/** A host result, or its errno as a SyscallError. */
function check(r: number, what: string): number {
  if (r < 0) throw new SyscallError(-r, what);
  return r;
}

const privileged = (proc: LibosProcess) => proc.creds.euid === 0;

const sys_sched_getaffinity: SyscallHandler = async (proc, a) => {
  const size = a.uint(1);
  const mask = proc.cpuAffinity;
  if (size < mask.length || size % 8) throw new SyscallError(Errno.EINVAL, `sched_getaffinity size ${size}`);
  const tid = a.int(0) === 0 ? a.caller.tid : a.int(0);
  await hostTidOf(proc, a, a.int(0)); // ESRCH for no such thread
  // the app's own choice, else the instance's CPUs (its worker's pinning is not the app's)
  proc.mem.write(a.ptr(2), proc.threadAffinity.get(tid) ?? mask);
  return mask.length;
};

const sys_sched_setaffinity: SyscallHandler = async (proc, a) => {
  const instance = proc.cpuAffinity;
  const size = Math.min(a.uint(1), instance.length);
  const given = proc.mem.read(a.ptr(2), size);
  const mask = Buffer.alloc(instance.length);
  for (let i = 0; i < size; i++) mask[i] = given[i]! & instance[i]!;
  if (mask.every((b) => b === 0)) throw new SyscallError(Errno.EINVAL, 'sched_setaffinity: no CPU of the instance');
  const hostTid = await hostTidOf(proc, a, a.int(0));
  check(host.setAffinity(hostTid, mask), 'sched_setaffinity');
  proc.threadAffinity.set(a.int(0) === 0 ? a.caller.tid : a.int(0), mask);
  return 0;
};

const sys_getpriority: SyscallHandler = async (proc, a) => {
  if (a.int(0) !== PRIO_PROCESS) throw new SyscallError(Errno.EINVAL, 'getpriority: only PRIO_PROCESS');
  return check(host.getpriority(await hostTidOf(proc, a, a.int(1))), 'getpriority');
};

const sys_setpriority: SyscallHandler = async (proc, a) => {
  if (a.int(0) !== PRIO_PROCESS) throw new SyscallError(Errno.EINVAL, 'setpriority: only PRIO_PROCESS');
  const hostTid = await hostTidOf(proc, a, a.int(1));
  const nice = Math.max(-20, Math.min(19, a.int(2)));
  const current = 20 - check(host.getpriority(hostTid), 'getpriority');
  if (nice < current && !privileged(proc)) throw new SyscallError(Errno.EACCES, 'setpriority: raising priority');
  return check(host.setpriority(hostTid, nice), 'setpriority');
};

const sys_sched_getscheduler: SyscallHandler = async (proc, a) =>
  check(host.schedGetscheduler(await hostTidOf(proc, a, a.int(0))), 'sched_getscheduler');

const sys_sched_setscheduler: SyscallHandler = async (proc, a) => {
  const policy = a.int(1) & ~SCHED_RESET_ON_FORK;
  const realtime = policy !== SCHED_OTHER && policy !== SCHED_BATCH && policy !== SCHED_IDLE;
  if (realtime && !privileged(proc)) throw new SyscallError(Errno.EPERM, 'sched_setscheduler: a real-time policy');
  const hostTid = await hostTidOf(proc, a, a.int(0));
  return check(host.schedSetscheduler(hostTid, a.int(1), proc.mem.read(a.ptr(2), 4)), 'sched_setscheduler');
};

/** A host call that fills `size` bytes about the thread args[0] names, copied to the app at args[1]. */
function fillFromHost(size: number, what: string, call: (hostTid: number, out: Uint8Array) => number): SyscallHandler {
  return async (proc, a) => {
    const out = Buffer.alloc(size);
    check(call(await hostTidOf(proc, a, a.int(0)), out), what);
    proc.mem.write(a.ptr(1), out);
    return 0;
  };
}

const sys_sched_getparam = fillFromHost(4, 'sched_getparam', host.schedGetparam);

const sys_sched_setparam: SyscallHandler = async (proc, a) => {
  const param = proc.mem.read(a.ptr(1), 4);
  const hostTid = await hostTidOf(proc, a, a.int(0));
  if (param.readInt32LE(0) !== 0 && !privileged(proc)) throw new SyscallError(Errno.EPERM, 'sched_setparam: a real-time priority');
  return check(host.schedSetparam(hostTid, param), 'sched_setparam');
};

const sys_sched_rr_get_interval = fillFromHost(16, 'sched_rr_get_interval', host.schedRrGetInterval);

const sys_ioprio_get: SyscallHandler = async (proc, a) => {
  if (a.int(0) !== IOPRIO_WHO_PROCESS) throw new SyscallError(Errno.EINVAL, 'ioprio_get: only IOPRIO_WHO_PROCESS');
  return check(host.ioprioGet(await hostTidOf(proc, a, a.int(1))), 'ioprio_get');
};

const sys_ioprio_set: SyscallHandler = async (proc, a) => {
  if (a.int(0) !== IOPRIO_WHO_PROCESS) throw new SyscallError(Errno.EINVAL, 'ioprio_set: only IOPRIO_WHO_PROCESS');
  const ioclass = (a.int(2) >> 13) & 7;
  if (ioclass === 1 /* IOPRIO_CLASS_RT */ && !privileged(proc)) throw new SyscallError(Errno.EPERM, 'ioprio_set: the real-time class');
  return check(host.ioprioSet(await hostTidOf(proc, a, a.int(1)), a.int(2)), 'ioprio_set');
};

export const schedHandlers = {
  sched_getaffinity: sys_sched_getaffinity, sched_setaffinity: sys_sched_setaffinity,
  getpriority: sys_getpriority, setpriority: sys_setpriority,
  sched_getscheduler: sys_sched_getscheduler, sched_setscheduler: sys_sched_setscheduler,
  sched_getparam: sys_sched_getparam, sched_setparam: sys_sched_setparam,
  sched_rr_get_interval: sys_sched_rr_get_interval, ioprio_get: sys_ioprio_get, ioprio_set: sys_ioprio_set,
} satisfies Record<string, SyscallHandler>;
