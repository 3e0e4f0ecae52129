// System information and resource limits (uname, prlimit64, getrlimit, setrlimit).
import { RESERVED_FDS, THREAD_CHANNELS_MAX } from '../../pal/channel-abi.js';
import { host } from '../../pal/host.js';
import { check, Errno, SyscallError } from '../errno.js';
import type { LibosProcess, ResourceLimit, UtsNames } from '../process.js';
import type { SyscallHandler, SyscallResult } from './types.js';

const UTSNAME_SIZE = 6 * 65;
const RLIMIT_STACK = 3;
const RLIMIT_NOFILE = 7;
const RLIM_NLIMITS = 16;

const UTS_FIELD = 65;
const UTS_NODENAME = 1;
const UTS_DOMAINNAME = 5;
/** the longest name a field holds (__NEW_UTS_LEN) */
const UTS_NAME_MAX = UTS_FIELD - 1;

/** The host's uname, with the instance's host name (a manifest's "localhost"), or the names the process set. */
const sys_uname: SyscallHandler = (proc, a) => {
  const buf = Buffer.alloc(UTSNAME_SIZE);
  check(host.uname(buf), 'uname');
  const put = (field: number, name: string | null) => {
    if (name === null) return;
    buf.fill(0, field * UTS_FIELD, (field + 1) * UTS_FIELD);
    buf.write(name.slice(0, UTS_NAME_MAX), field * UTS_FIELD, 'latin1');
  };
  put(UTS_NODENAME, proc.utsNames.nodename ?? proc.instance.hostname);
  put(UTS_DOMAINNAME, proc.utsNames.domainname);
  proc.mem.write(a.ptr(0), buf);
  return 0;
};

/**
 * sethostname, setdomainname: for the instance's root, as Linux wants CAP_SYS_ADMIN. The name
 * is the process's, and its descendants' from then on (Linux: its UTS namespace's, all of it);
 * the host's stays as it is.
 */
const setUtsName = (which: keyof UtsNames): SyscallHandler => (proc, a) => {
  if (proc.creds.euid !== 0) throw new SyscallError(Errno.EPERM, `set${which}: not the instance's root`);
  const len = a.int(1);
  if (len < 0 || len > UTS_NAME_MAX) throw new SyscallError(Errno.EINVAL, `set${which}: ${len} bytes`);
  proc.utsNames[which] = proc.mem.read(a.ptr(0), len).toString('latin1');
  return 0;
};

function encodeLimit(l: ResourceLimit): Buffer {
  const buf = Buffer.alloc(16);
  buf.writeBigUInt64LE(l.cur, 0);
  buf.writeBigUInt64LE(l.max, 8);
  return buf;
}

function decodeLimit(buf: Buffer): ResourceLimit {
  return { cur: buf.readBigUInt64LE(0), max: buf.readBigUInt64LE(8) };
}

/**
 * How far up the fds of an instance without sys.fds.limit go (the app's RLIMIT_NOFILE is the
 * host's, at most what the stub's reserved fds and threads' channels leave of this: 3560). The
 * app's fd table reaches the stub's fds, and every fork copies it whole: a table reaching
 * ~19,000 costs a native fork+exit ~80 us more here (a third), one of 64 Ki more again.
 */
export const INSTANCE_FD_TOP = 4096;

/**
 * The top of the fd space for the instance's first process, which it and every later image and
 * child keep (GTS_REQ_PLACE): INSTANCE_FD_TOP, or enough for the manifest's sys.fds.limit (its
 * hard limit, else its soft one) with the stub's fds and a channel for each of 1024 threads
 * above it. The host's hard limit bounds it all the same.
 */
export function instanceFdTop(limit: LibosProcess['pendingNofile']): number {
  const wanted = limit ? Math.max(limit.hard ?? limit.soft, limit.soft) + RESERVED_FDS + THREAD_CHANNELS_MAX : 0;
  return Math.max(INSTANCE_FD_TOP, wanted);
}

/**
 * The app's RLIMIT_NOFILE: the host's, less the stub's reserved fds at the top. Read from the
 * host once, as the instance's first process starts (startLimits: the app process is still
 * the worker's host user then), and inherited from there (the fork checkpoint).
 */
export function nofileLimit(proc: LibosProcess): ResourceLimit {
  if (proc.nofileLimit) return proc.nofileLimit;
  const buf = Buffer.alloc(16);
  check(host.prlimit(proc.app.hostPid, RLIMIT_NOFILE, null, buf), 'prlimit NOFILE');
  const hostLimit = decodeLimit(buf);
  proc.hostNofileMax = hostLimit.max;
  const base = BigInt(proc.reservedFdBase);
  const min = (x: bigint) => (x < base ? x : base);
  proc.nofileLimit = { cur: min(hostLimit.cur), max: min(hostLimit.max) };
  return proc.nofileLimit;
}

/**
 * The app sets its RLIMIT_NOFILE to `newLimit`: the host limit that makes it. The host enforces
 * the soft limit itself (EMFILE, EBADF), never above the reserved fds (the stub's: see
 * place_channel); the hard limit stays, so that the stub can still reach its reserved slots.
 */
function setNofileLimit(proc: LibosProcess, newLimit: ResourceLimit): ResourceLimit {
  const old = nofileLimit(proc);
  if (newLimit.max > old.max) throw new SyscallError(Errno.EPERM, 'raise RLIMIT_NOFILE above its hard limit');
  const base = BigInt(proc.reservedFdBase);
  proc.nofileLimit = newLimit;
  return { cur: newLimit.cur < base ? newLimit.cur : base, max: proc.hostNofileMax ?? old.max };
}

function checkLimit(resource: number, newLimit: ResourceLimit | null): void {
  if (resource < 0 || resource >= RLIM_NLIMITS) throw new SyscallError(Errno.EINVAL, `rlimit ${resource}`);
  if (newLimit && newLimit.cur > newLimit.max) throw new SyscallError(Errno.EINVAL, 'rlimit cur > max');
}

/**
 * A limit of the process, and a new one: RLIMIT_NOFILE is the worker's to judge and the stub's
 * to set on itself (the result says what); the others are the host's, which the stub answers
 * alone (trap.c, own_limit) -- what reaches the worker of them (a forged request) it makes on
 * the app process, if the host lets it.
 */
function limitCall(proc: LibosProcess, resource: number, newLimit: ResourceLimit | null, old: (l: ResourceLimit) => void): SyscallResult {
  checkLimit(resource, newLimit);
  if (resource === RLIMIT_NOFILE) {
    old(nofileLimit(proc));
    if (!newLimit) return 0;
    const hostLimit = setNofileLimit(proc, newLimit);
    return { kind: 'host-nofile', ...hostLimit };
  }
  const oldBuf = Buffer.alloc(16);
  check(host.prlimit(proc.app.hostPid, resource, newLimit ? encodeLimit(newLimit) : null, oldBuf), 'prlimit');
  old(decodeLimit(oldBuf));
  return 0;
}

/**
 * The limits a process starts with, as its first image says HELLO: RLIMIT_NOFILE read from the
 * host; for the instance's first process, those of the manifest (its children inherit them):
 * RLIMIT_NOFILE from sys.fds.limit, soft and hard, at most what the stub's fds leave of the
 * host's; RLIMIT_STACK (soft) from sys.stack.size, each thread's stack as in Gramine (the main
 * thread's growth, and glibc's default for new threads). The worker sets them on the app
 * process itself: it is still the worker's host user (it takes its own, if any, later).
 */
export function startLimits(proc: LibosProcess): void {
  const { pendingNofile, pendingStack } = proc;
  proc.pendingNofile = proc.pendingStack = null;
  try {
    const max = nofileLimit(proc).max;
    if (pendingNofile !== null) {
      const atMost = (x: number) => (BigInt(x) < max ? BigInt(x) : max);
      const hostLimit = setNofileLimit(proc, { cur: atMost(pendingNofile.soft), max: atMost(pendingNofile.hard ?? Number.MAX_SAFE_INTEGER) });
      check(host.prlimit(proc.app.hostPid, RLIMIT_NOFILE, encodeLimit(hostLimit), null), 'prlimit NOFILE');
    }
    if (pendingStack !== null) {
      const oldBuf = Buffer.alloc(16);
      check(host.prlimit(proc.app.hostPid, RLIMIT_STACK, null, oldBuf), 'prlimit STACK');
      const old = decodeLimit(oldBuf);
      const n = BigInt(pendingStack) < old.max ? BigInt(pendingStack) : old.max;
      check(host.prlimit(proc.app.hostPid, RLIMIT_STACK, encodeLimit({ cur: n, max: old.max }), null), 'prlimit STACK');
    }
  } catch (e) {
    proc.log.error({ err: e }, 'the process\'s RLIMIT_NOFILE, or the manifest\'s sys.fds.limit or sys.stack.size, could not be set');
  }
}

const sys_prlimit64: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  if (pid !== 0 && pid !== proc.id.vpid) throw new SyscallError(Errno.ESRCH, `prlimit64 pid ${pid}`);
  const newLimit = a.ptr(2) ? decodeLimit(proc.mem.read(a.ptr(2), 16)) : null;
  return limitCall(proc, a.int(1), newLimit, (old) => {
    if (a.ptr(3)) proc.mem.write(a.ptr(3), encodeLimit(old));
  });
};

const sys_getrlimit: SyscallHandler = (proc, a) =>
  limitCall(proc, a.int(0), null, (old) => proc.mem.write(a.ptr(1), encodeLimit(old)));

const sys_setrlimit: SyscallHandler = (proc, a) =>
  limitCall(proc, a.int(0), decodeLimit(proc.mem.read(a.ptr(1), 16)), () => {});

export const infoHandlers = {
  uname: sys_uname, sethostname: setUtsName('nodename'), setdomainname: setUtsName('domainname'), prlimit64: sys_prlimit64, getrlimit: sys_getrlimit, setrlimit: sys_setrlimit,
} satisfies Record<string, SyscallHandler>;
