// Process identity and credentials: virtual pids and ids (the `sys_identity.go` of this LibOS).
import { SyscallError, Errno } from '../errno.js';
import type { SyscallHandler } from './types.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';

const sys_getppid: SyscallHandler = (proc) => proc.currentPpid();
const sys_getpgrp: SyscallHandler = (proc) => proc.id.pgid;
const sys_getpgid: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  if (pid < 0) throw new SyscallError(Errno.ESRCH, `getpgid ${pid}`);
  return pid === 0 || pid === proc.id.vpid ? proc.id.pgid : proc.instance.pgrp(proc, 'getpgid', pid, 0).then((r) => r.value);
};
const sys_getsid: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  if (pid < 0) throw new SyscallError(Errno.ESRCH, `getsid ${pid}`);
  return pid === 0 || pid === proc.id.vpid ? proc.id.sid : proc.instance.pgrp(proc, 'getsid', pid, 0).then((r) => r.value);
};
/** setpgid through the leader; the stub then moves the host process alike (HostPgrp), where it can. */
const sys_setpgid: SyscallHandler = async (proc, a) => {
  const pid = a.int(0);
  const { hostPgid } = await proc.instance.pgrp(proc, 'setpgid', pid, a.int(1));
  const self = pid === 0 || pid === proc.id.vpid;
  // Linux lets only the process itself and its parent do it: a child's host pid is known here
  const hostPid = self ? 0 : (proc.children.get(pid) ?? -1);
  return hostPgid < 0 || hostPid < 0 ? 0 : { kind: 'host-pgrp', ret: 0, hostPid, hostPgid };
};
const sys_setsid: SyscallHandler = async (proc) => {
  const { value } = await proc.instance.pgrp(proc, 'setsid', 0, 0);
  return { kind: 'host-pgrp', ret: value, hostPid: -1, hostPgid: 0 };
};
const sys_getuid: SyscallHandler = (proc) => proc.creds.uid;
const sys_geteuid: SyscallHandler = (proc) => proc.creds.euid;
const sys_getgid: SyscallHandler = (proc) => proc.creds.gid;
const sys_getegid: SyscallHandler = (proc) => proc.creds.egid;

const sys_getresuid: SyscallHandler = (proc, a) => {
  const { uid, euid, suid } = proc.creds;
  [uid, euid, suid].forEach((v, i) => proc.mem.writeU32s(a.ptr(i), [v]));
  return 0;
};

const sys_getresgid: SyscallHandler = (proc, a) => {
  const { gid, egid, sgid } = proc.creds;
  [gid, egid, sgid].forEach((v, i) => proc.mem.writeU32s(a.ptr(i), [v]));
  return 0;
};

const sys_getgroups: SyscallHandler = (proc, a) => {
  const size = a.int(0);
  const groups = proc.creds.groups;
  if (size < 0) throw new SyscallError(Errno.EINVAL, 'getgroups size');
  if (size === 0) return groups.length;
  if (size < groups.length) throw new SyscallError(Errno.EINVAL, 'getgroups buffer too small');
  proc.mem.writeU32s(a.ptr(1), groups);
  return groups.length;
};

// ---------------------------------------------------------------------------------------------
// Changing credentials (kernel/sys.c's rules). The ids are the LibOS's: the host process keeps
// the instance's, so files are still made and checked as the instance's user. Root -- an
// effective uid (or gid) of 0 -- stands for CAP_SETUID (CAP_SETGID).

const NO_CHANGE = 0xffffffff;
const NGROUPS_MAX = 65536;

/** An id argument: -1 (as u32) means "unchanged" where allowed; other ids as u32. */
const id = (a: SyscallArgs, i: number) => a.uint(i);

type IdSet = 'uid' | 'gid';

function ids(proc: LibosProcess, set: IdSet) {
  const c = proc.creds;
  return set === 'uid' ? { r: c.uid, e: c.euid, s: c.suid, fs: c.fsuid } : { r: c.gid, e: c.egid, s: c.sgid, fs: c.fsgid };
}

/** Root's capabilities (CAP_SETUID, CAP_SETGID) come with an effective uid of 0, as for Linux's root. */
function privileged(proc: LibosProcess): boolean {
  return proc.creds.euid === 0;
}

/** 0, once the leader (and, for a new real uid, the parent's worker) knows */
type Stored = number | Promise<number>;

/** Store new real, effective, saved ids (the filesystem id follows the effective one). */
function store(proc: LibosProcess, set: IdSet, r: number, e: number, s: number): Stored {
  const c = proc.creds;
  const before = set === 'uid' ? [c.uid, c.euid, c.suid] : [c.gid, c.egid, c.sgid];
  if (set === 'uid') Object.assign(c, { uid: r, euid: e, suid: s, fsuid: e });
  else Object.assign(c, { gid: r, egid: e, sgid: s, fsgid: e });
  // the leader knows them (kill's permissions, a socket peer's credentials)
  if (before[0] === r && before[1] === e && before[2] === s) return 0;
  return proc.instance.credsChanged(proc).then(() => 0);
}

function setId(proc: LibosProcess, set: IdSet, value: number): Stored {
  if (value === NO_CHANGE) throw new SyscallError(Errno.EINVAL, `set${set} -1`);
  const cur = ids(proc, set);
  if (privileged(proc)) return store(proc, set, value, value, value);
  if (value !== cur.r && value !== cur.s) throw new SyscallError(Errno.EPERM, `set${set} ${value}`);
  return store(proc, set, cur.r, value, cur.s);
}

function setReId(proc: LibosProcess, set: IdSet, r: number, e: number): Stored {
  const cur = ids(proc, set);
  const nr = r === NO_CHANGE ? cur.r : r;
  const ne = e === NO_CHANGE ? cur.e : e;
  if (!privileged(proc)) {
    if (r !== NO_CHANGE && r !== cur.r && r !== cur.e) throw new SyscallError(Errno.EPERM, `setre${set} ${r}`);
    if (e !== NO_CHANGE && e !== cur.r && e !== cur.e && e !== cur.s) throw new SyscallError(Errno.EPERM, `setre${set} ${e}`);
  }
  // the saved id follows the new effective one when the real one is set or the effective changes from it
  const ns = r !== NO_CHANGE || (e !== NO_CHANGE && e !== cur.r) ? ne : cur.s;
  return store(proc, set, nr, ne, ns);
}

function setResId(proc: LibosProcess, set: IdSet, r: number, e: number, s: number): Stored {
  const cur = ids(proc, set);
  if (!privileged(proc)) {
    for (const v of [r, e, s])
      if (v !== NO_CHANGE && v !== cur.r && v !== cur.e && v !== cur.s) throw new SyscallError(Errno.EPERM, `setres${set} ${v}`);
  }
  const pick = (v: number, old: number) => (v === NO_CHANGE ? old : v);
  return store(proc, set, pick(r, cur.r), pick(e, cur.e), pick(s, cur.s));
}

/** setfsuid/setfsgid: the old value back, whether or not the change is allowed (as Linux). */
function setFsId(proc: LibosProcess, set: IdSet, value: number): number {
  const cur = ids(proc, set);
  const allowed = privileged(proc) || [cur.r, cur.e, cur.s, cur.fs].includes(value);
  if (allowed && value !== NO_CHANGE) {
    if (set === 'uid') proc.creds.fsuid = value;
    else proc.creds.fsgid = value;
  }
  return cur.fs;
}

const sys_setuid: SyscallHandler = (proc, a) => setId(proc, 'uid', id(a, 0));
const sys_setgid: SyscallHandler = (proc, a) => setId(proc, 'gid', id(a, 0));
const sys_setreuid: SyscallHandler = (proc, a) => setReId(proc, 'uid', id(a, 0), id(a, 1));
const sys_setregid: SyscallHandler = (proc, a) => setReId(proc, 'gid', id(a, 0), id(a, 1));
const sys_setresuid: SyscallHandler = (proc, a) => setResId(proc, 'uid', id(a, 0), id(a, 1), id(a, 2));
const sys_setresgid: SyscallHandler = (proc, a) => setResId(proc, 'gid', id(a, 0), id(a, 1), id(a, 2));
const sys_setfsuid: SyscallHandler = (proc, a) => setFsId(proc, 'uid', id(a, 0));
const sys_setfsgid: SyscallHandler = (proc, a) => setFsId(proc, 'gid', id(a, 0));

const sys_setgroups: SyscallHandler = (proc, a) => {
  const size = a.int(0);
  if (size < 0 || size > NGROUPS_MAX) throw new SyscallError(Errno.EINVAL, `setgroups ${size}`);
  if (!privileged(proc)) throw new SyscallError(Errno.EPERM, 'setgroups');
  const list = size === 0 ? Buffer.alloc(0) : proc.mem.read(a.ptr(1), 4 * size);
  proc.creds.groups = Array.from({ length: size }, (_, i) => list.readUInt32LE(4 * i));
  return 0;
};

/*
 * Capabilities follow the virtual ids, as Linux's do for a root that never calls capset: a
 * process with a uid of 0 among its real, effective and saved ones keeps every capability
 * permitted (once all three are not 0, it cannot become 0 again), and has them in effect while
 * its effective uid is 0. None are inheritable.
 */
const CAP_VERSION_1 = 0x19980330;
const CAP_VERSION_2 = 0x20071026;
const CAP_VERSION_3 = 0x20080522;
/** The kernel's CAP_LAST_CAP (Linux 6.x: CAP_CHECKPOINT_RESTORE). */
const CAP_LAST_CAP = 40;
const ALL_CAPS = (1n << BigInt(CAP_LAST_CAP + 1)) - 1n;

function capabilitySets(ids: { uid: number; euid: number; suid?: number }): { effective: bigint; permitted: bigint } {
  const permitted = ids.uid === 0 || ids.euid === 0 || ids.suid === 0 ? ALL_CAPS : 0n;
  return { permitted, effective: ids.euid === 0 ? permitted : 0n };
}

const sys_capget: SyscallHandler = async (proc, a) => {
  const header = proc.mem.read(a.ptr(0), 8);
  const version = header.readUInt32LE(0);
  const words = version === CAP_VERSION_1 ? 1 : version === CAP_VERSION_2 || version === CAP_VERSION_3 ? 2 : 0;
  if (words === 0) {
    // an unknown version: the kernel says which it prefers
    proc.mem.writeU32s(a.ptr(0), [CAP_VERSION_3]);
    if (a.ptr(1) === 0) return 0;
    throw new SyscallError(Errno.EINVAL, `capget version ${version.toString(16)}`);
  }
  const pid = header.readInt32LE(4);
  if (pid < 0) throw new SyscallError(Errno.EINVAL, `capget pid ${pid}`);
  let ids: { uid: number; euid: number; suid?: number } = proc.creds;
  if (pid !== 0 && pid !== proc.id.vpid) {
    const other = (await proc.instance.processList(proc)).find((p) => p.vpid === pid);
    const creds = other ? await proc.instance.peerCreds(proc, other.hostPid) : null;
    if (!creds) throw new SyscallError(Errno.ESRCH, `capget pid ${pid}`);
    ids = creds;
  }
  if (a.ptr(1) === 0) return 0;
  const { effective, permitted } = capabilitySets(ids);
  // struct __user_cap_data_struct { effective, permitted, inheritable } per 32 capabilities
  const data: number[] = [];
  for (let w = 0; w < words; w++) data.push(Number((effective >> BigInt(32 * w)) & 0xffffffffn), Number((permitted >> BigInt(32 * w)) & 0xffffffffn), 0);
  proc.mem.writeU32s(a.ptr(1), data);
  return 0;
};

export const identityHandlers = {
  capget: sys_capget,
  getppid: sys_getppid, getpgrp: sys_getpgrp, getpgid: sys_getpgid, getsid: sys_getsid,
  setpgid: sys_setpgid, setsid: sys_setsid,
  getuid: sys_getuid, geteuid: sys_geteuid, getgid: sys_getgid, getegid: sys_getegid,
  getresuid: sys_getresuid, getresgid: sys_getresgid, getgroups: sys_getgroups,
  setuid: sys_setuid, setgid: sys_setgid, setreuid: sys_setreuid, setregid: sys_setregid,
  setresuid: sys_setresuid, setresgid: sys_setresgid, setfsuid: sys_setfsuid, setfsgid: sys_setfsgid,
  setgroups: sys_setgroups,
} satisfies Record<string, SyscallHandler>;
