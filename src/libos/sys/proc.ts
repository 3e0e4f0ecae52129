// Process life: fork and exec (the `sys_thread.go` of this LibOS). The worker decides and the
// instance (leader) keeps the process tree; the stub does the host fork and execve, and waits
// for children on the host (native/stub/child_wait.c) with the pid lookups of the dispatcher.
import { host, reopen } from '../../pal/host.js';
import { check, Errno, SyscallError, Unsupported } from '../errno.js';
import { planExec, releasePlan, type ExecPlan } from '../exec.js';
import { andThen } from '../fs/ops.js';
import type { Awaitable } from '../fs/pseudo/node.js';
import { resolve, type WalkContext } from '../fs/walk.js';
import { openHost } from '../fs/host-fs.js';
import type { LibosProcess } from '../process.js';
import type { SyscallArgs } from '../syscall-args.js';
import type { ForkGranted, SyscallHandler } from './types.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_NONBLOCK, clonesProcess } from '../../pal/linux-abi.js';
import { FORK_TAKES_PREFETCH, PREFETCH_MAX } from '../../pal/channel-abi.js';
import type { Prefetch } from '../instance.js';
import { PATH_MAX } from '../memory.js';

const MAX_ARG_STRINGS = 0x7fffffff;
const ARG_MAX = 2 * 1024 * 1024;

/** fork, vfork (a fork here) and clone without CLONE_VM: the stub forks once we say so. */
async function forkProcess(proc: LibosProcess, a: SyscallArgs): Promise<ForkGranted> {
  const child = await proc.instance.fork(proc);
  proc.forksInFlight.add(child.vpid);
  proc.parentThreadOf.set(child.vpid, a.caller.tid);
  // the stub says it holds no standby of its own and can take one (it set the sixth argument)
  const takes = a.raw(5) === BigInt(FORK_TAKES_PREFETCH);
  if (takes) proc.instance.prefetchGone(proc);
  return {
    kind: 'fork', childVpid: child.vpid, childChannelFd: child.channelFd, childLifelineFd: child.lifelineFd,
    childCpu: child.cpu, prefetches: takes ? prefetchAll(proc) : [],
  };
}

/** As many standbys as the stub may hold, of those ready. */
function prefetchAll(proc: LibosProcess): Prefetch[] {
  const out: Prefetch[] = [];
  for (let p = proc.instance.prefetch(proc); p; p = out.length < PREFETCH_MAX ? proc.instance.prefetch(proc) : null) out.push(p);
  return out;
}

const sys_fork: SyscallHandler = (proc, a) => forkProcess(proc, a);
const sys_vfork: SyscallHandler = (proc, a) => forkProcess(proc, a);
/** clone of a process; the stub makes threads itself, with a tid it asks for (GTS_REQ_NEW_THREAD). */
const sys_clone: SyscallHandler = (proc, a) => {
  if (!clonesProcess(a.raw(0)))
    throw new SyscallError(Errno.EINVAL, 'clone: CLONE_VM without CLONE_VFORK (threads are the stub\'s to make)');
  return forkProcess(proc, a);
};

/**
 * Open a program file for exec as the process names it (relative to `dirfd`, or its cwd). A
 * path through a pseudo tree (/proc/self/exe) is walked asynchronously.
 */
export function openForExec(proc: WalkContext, path: string, dirfd = AT_FDCWD, flags = 0): Awaitable<number> {
  if (path === '' && flags & AT_EMPTY_PATH) {
    // the fd itself (fexecve): a new open file of it
    const fd = proc.hostFdFor(dirfd);
    try {
      return check(reopen(fd, 0), 'exec fd');
    } finally {
      host.close(fd);
    }
  }
  return andThen(resolve(proc, dirfd, path, { follow: !(flags & AT_SYMLINK_NOFOLLOW) }), (loc) => {
    if (loc.kind !== 'host') throw new SyscallError(Errno.EACCES, `exec ${path}: not a file of a host mount`);
    // without blocking: a FIFO named as a program would hold the worker until a writer came
    // (it is no regular file: the exec's check refuses it, EACCES, as Linux does)
    return openHost({ vfs: proc.vfs, umask: 0 }, loc, O_NONBLOCK, 0);
  });
}

/** An interpreter named by a program (#! or PT_INTERP): on a host mount, found at once. */
function openInterpreter(proc: WalkContext, path: string): number {
  const fd = openForExec(proc, path);
  if (fd instanceof Promise) {
    fd.then(host.close, () => undefined);
    throw new SyscallError(Errno.EACCES, `exec: interpreter ${path} is not a file of a host mount`);
  }
  return fd;
}

/** Plan an exec of `filename`, whose file is already open as `fd`. */
export function planExecOf(proc: WalkContext, filename: string, argv: string[], fd: number): ExecPlan {
  let first: number | null = fd;
  try {
    return planExec(filename, argv, (p) => {
      if (p === filename && first !== null) {
        const f = first;
        first = null;
        return f;
      }
      return openInterpreter(proc, p);
    }, proc.vfs.interpreterDirs);
  } finally {
    if (first !== null) host.close(first);
  }
}

function execAt(proc: LibosProcess, dirfd: number, a: SyscallArgs, first: number, flags: number) {
  if (flags & ~(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW)) throw new SyscallError(Errno.EINVAL, 'execveat flags');
  const filename = proc.mem.readCString(a.ptr(first));
  const argv = proc.mem.readStringArray(a.ptr(first + 1), MAX_ARG_STRINGS, ARG_MAX, 'argv');
  proc.mem.readStringArray(a.ptr(first + 2), MAX_ARG_STRINGS, ARG_MAX, 'envp', false); // checked here; the stub passes the app's own
  // the program itself is relative to dirfd; an interpreter it names is the process's to resolve
  return andThen(openForExec(proc, filename, dirfd, flags), (fd) => {
    const plan = planExecOf(proc, filename, argv, fd);
    if (proc.pendingExec) releasePlan(proc.pendingExec);
    proc.pendingExec = plan;
    proc.exePath = proc.vfs.virtualPathOfHostFd(plan.exeFd) ?? filename;
    // before the stub execs: a parent that sees the exec happen must find it done here
    proc.execed = true;
    return {
      kind: 'exec' as const,
      stubFd: proc.instance.stubBinaryFd(),
      argvPrefix: plan.scriptPrefix ?? [],
      appArgvFrom: plan.scriptPrefix ? 1 : 0,
    };
  });
}

/**
 * The stub exec'd a program by itself (native/stub/local_exec.c), and says so before anything
 * else the new image asks (GTS_REQ_EXECED: where the new image's AT_EXECFN is in the stub's
 * memory, `execfnAt`, and its length): what execAt and the new image's HELLO would have set.
 * AT_EXECFN is the app's word; the program it names is found as the walk finds it now, for this
 * process's /proc/self/exe alone. Not `own`: its parent's image, which it was forked from (the
 * leader forked it from the state its parent had before that exec): only what it runs.
 */
export function execedByStub(proc: LibosProcess, execfnAt: number, execfnLen: number, mainHostTid: number, own = true): void {
  let execfn: string;
  try {
    execfn = proc.mem.readCString(execfnAt, Math.min(Math.max(execfnLen, 0), PATH_MAX - 1) + 1);
  } catch {
    execfn = '';
  }
  if (own) {
    if (proc.pendingExec) releasePlan(proc.pendingExec);
    proc.pendingExec = null;
    proc.execed = true;
    proc.mainHostTid = mainHostTid;
    proc.mainThreadExited = false;
  }
  proc.exePath = execfn;
  try {
    void Promise.resolve(openForExec(proc, execfn)).then((fd) => {
      proc.exePath = proc.vfs.virtualPathOfHostFd(fd) ?? execfn;
      host.close(fd);
    }, () => undefined);
  } catch {
    // not found now: its name as given
  }
}

const sys_execve: SyscallHandler = (proc, a) => execAt(proc, AT_FDCWD, a, 0, 0);
const sys_execveat: SyscallHandler = (proc, a) => execAt(proc, a.int(0), a, 1, a.int(4));


const PR_SET_PDEATHSIG = 1;
const PR_GET_PDEATHSIG = 2;
const NSIG = 64;

/** prctl as the stub forwards it: the parent-death signal, kept here and told to the leader, which sends it. */
const sys_prctl: SyscallHandler = async (proc, a) => {
  switch (a.int(0)) {
    case PR_SET_PDEATHSIG: {
      const sig = a.long(1);
      if (sig < 0 || sig > NSIG) throw new SyscallError(Errno.EINVAL, `PR_SET_PDEATHSIG ${sig}`);
      proc.pdeathSignal = sig;
      await proc.instance.pdeathSignal(proc, sig);
      return 0;
    }
    case PR_GET_PDEATHSIG:
      proc.mem.writeU32s(a.ptr(1), [proc.pdeathSignal]);
      return 0;
    default: {
      const name = PRCTL_OPTIONS[a.int(0)];
      throw name ? new Unsupported(Errno.EINVAL, `prctl(${name})`) : new SyscallError(Errno.EINVAL, `prctl option ${a.int(0)}`);
    }
  }
};

/** The prctl options Linux has on x86-64 that the stub does not run or forward (the others are EINVAL natively too). */
const PRCTL_OPTIONS: Readonly<Record<number, string>> = {
  13: 'PR_GET_TIMING', 14: 'PR_SET_TIMING', 21: 'PR_GET_SECCOMP', 22: 'PR_SET_SECCOMP',
  24: 'PR_CAPBSET_DROP', 25: 'PR_GET_TSC', 26: 'PR_SET_TSC', 27: 'PR_GET_SECUREBITS', 28: 'PR_SET_SECUREBITS',
  31: 'PR_TASK_PERF_EVENTS_DISABLE', 32: 'PR_TASK_PERF_EVENTS_ENABLE', 33: 'PR_MCE_KILL', 34: 'PR_MCE_KILL_GET',
  35: 'PR_SET_MM', 36: 'PR_SET_CHILD_SUBREAPER', 37: 'PR_GET_CHILD_SUBREAPER',
  40: 'PR_GET_TID_ADDRESS', 47: 'PR_CAP_AMBIENT', 52: 'PR_GET_SPECULATION_CTRL', 53: 'PR_SET_SPECULATION_CTRL',
  57: 'PR_SET_IO_FLUSHER', 58: 'PR_GET_IO_FLUSHER', 59: 'PR_SET_SYSCALL_USER_DISPATCH', 62: 'PR_SCHED_CORE',
  65: 'PR_SET_MDWE', 66: 'PR_GET_MDWE', 67: 'PR_SET_MEMORY_MERGE', 68: 'PR_GET_MEMORY_MERGE',
};

export const procHandlers = {
  fork: sys_fork, vfork: sys_vfork, clone: sys_clone, execve: sys_execve, execveat: sys_execveat, prctl: sys_prctl,
} satisfies Record<string, SyscallHandler>;
