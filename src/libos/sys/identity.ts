// Process identity and credentials: virtual pids and ids (the `sys_identity.go` of this LibOS).
import { SyscallError, Errno } from '../errno.js';
import type { SyscallHandler } from './types.js';

const sys_getppid: SyscallHandler = (proc) => proc.currentPpid();
const sys_getpgrp: SyscallHandler = (proc) => proc.id.pgid;
const sys_getpgid: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  if (pid < 0) throw new SyscallError(Errno.ESRCH, `getpgid ${pid}`);
  return pid === 0 || pid === proc.id.vpid ? proc.id.pgid : proc.instance.pgrp(proc, 'getpgid', pid, 0);
};
const sys_getsid: SyscallHandler = (proc, a) => {
  const pid = a.int(0);
  if (pid < 0) throw new SyscallError(Errno.ESRCH, `getsid ${pid}`);
  return pid === 0 || pid === proc.id.vpid ? proc.id.sid : proc.instance.pgrp(proc, 'getsid', pid, 0);
};
const sys_setpgid: SyscallHandler = (proc, a) => proc.instance.pgrp(proc, 'setpgid', a.int(0), a.int(1));
const sys_setsid: SyscallHandler = (proc) => proc.instance.pgrp(proc, 'setsid', 0, 0);
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

export const identityHandlers = {
  getppid: sys_getppid, getpgrp: sys_getpgrp, getpgid: sys_getpgid, getsid: sys_getsid,
  setpgid: sys_setpgid, setsid: sys_setsid,
  getuid: sys_getuid, geteuid: sys_geteuid, getgid: sys_getgid, getegid: sys_getegid,
  getresuid: sys_getresuid, getresgid: sys_getresgid, getgroups: sys_getgroups,
} satisfies Record<string, SyscallHandler>;
