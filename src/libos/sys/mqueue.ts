// POSIX message queues: names private to the instance, kept by the leader (src/leader/posix-mq.ts).
// mq_open gives the app its own descriptor of the host queue; sending, receiving and
// mq_getsetattr are native on it, mq_notify the stub's (native/stub/trap.c: SIGEV_SIGNAL by its doorbell).
import { Errno, SyscallError } from '../errno.js';
import { host } from '../../pal/host.js';
import { O_ACCMODE, O_CLOEXEC, O_CREAT, O_NONBLOCK } from '../../pal/linux-abi.js';
import type { SyscallHandler } from './types.js';

const NAME_MAX = 255;

const sys_mq_open: SyscallHandler = async (proc, a) => {
  const name = proc.mem.readCString(a.ptr(0), NAME_MAX + 1);
  const flags = a.int(1);
  let attr: number[] | null = null;
  if ((flags & O_CREAT) && a.ptr(3)) {
    const b = proc.mem.read(a.ptr(3), 32); // struct mq_attr: flags, maxmsg, msgsize, curmsgs
    const maxmsg = Number(b.readBigInt64LE(8));
    const msgsize = Number(b.readBigInt64LE(16));
    if (maxmsg <= 0 || msgsize <= 0) throw new SyscallError(Errno.EINVAL, `mq_open attributes ${maxmsg} ${msgsize}`);
    attr = [maxmsg, msgsize];
  }
  const path = await proc.instance.posixMq(proc, 'open', name, flags, a.uint(2) & ~proc.umask, attr);
  const fd = host.openat(-100, path, (flags & (O_ACCMODE | O_NONBLOCK)) | O_CLOEXEC, 0);
  if (fd < 0) throw new SyscallError(-fd, `mq_open ${name}: reopening the queue`);
  return { kind: 'fd', hostFd: fd, cloexec: true }; // a queue descriptor is close-on-exec, as Linux's
};

const sys_mq_unlink: SyscallHandler = async (proc, a) => {
  await proc.instance.posixMq(proc, 'unlink', proc.mem.readCString(a.ptr(0), NAME_MAX + 1), 0, 0, null);
  return 0;
};

export const mqueueHandlers = { mq_open: sys_mq_open, mq_unlink: sys_mq_unlink };
