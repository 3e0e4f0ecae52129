// `gramine-ts run --strace FILE`: one line per trapped call of every process of the instance,
// in strace -f's form, with virtual pids: "[pid 3] openat(AT_FDCWD, "/etc/passwd", 0x80000, 0) = 3";
// a call the worker answered (not the stub alone) ends in " [worker]": the slow ones to look for.
import { errnoName } from './errno.js';
import type { LibosProcess } from './process.js';
import { syscallName } from './syscall-table.js';

/**
 * How each argument of a call is shown: d an fd (AT_FDCWD by name), i an int, l a long, u unsigned, x hex,
 * o octal, s a string in app memory, p a pointer. Calls not listed show three arguments in hex.
 */
const ARGS: Readonly<Record<string, string>> = {
  read: 'dpu', write: 'dpu', open: 'sxo', openat: 'dsxo', openat2: 'dspu', close: 'd', creat: 'so',
  stat: 'sp', lstat: 'sp', fstat: 'dp', newfstatat: 'dspx', statx: 'dsxxp', statfs: 'sp', fstatfs: 'dp',
  access: 'so', faccessat: 'dso', faccessat2: 'dsox', readlink: 'spu', readlinkat: 'dspu',
  execve: 'spp', execveat: 'dsppx', chdir: 's', fchdir: 'd', getcwd: 'pu', chroot: 's',
  mkdir: 'so', mkdirat: 'dso', rmdir: 's', unlink: 's', unlinkat: 'dsx', rename: 'ss', renameat: 'dsds',
  renameat2: 'dsdsx', link: 'ss', linkat: 'dsdsx', symlink: 'ss', symlinkat: 'sds', mknod: 'sox', mknodat: 'dsox',
  chmod: 'so', fchmod: 'do', fchmodat: 'dso', chown: 'sii', fchown: 'dii', lchown: 'sii', fchownat: 'dsiix',
  truncate: 'sl', ftruncate: 'dl', utimensat: 'dspx', getdents64: 'dpu', ioctl: 'dxx', fcntl: 'dix',
  dup: 'd', dup2: 'dd', dup3: 'ddx', pipe2: 'px', lseek: 'dli', pread64: 'dpul', pwrite64: 'dpul',
  socket: 'iii', socketpair: 'iiip', bind: 'dpu', connect: 'dpu', listen: 'di', accept: 'dpp', accept4: 'dppx',
  sendto: 'dpuxpu', recvfrom: 'dpuxpp', sendmsg: 'dpx', recvmsg: 'dpx', getsockname: 'dpp', getpeername: 'dpp',
  getsockopt: 'diipp', setsockopt: 'diipu', shutdown: 'di',
  clone: 'xpppx', clone3: 'pu', fork: '', vfork: '', exit: 'i', exit_group: 'i', wait4: 'ipxp', waitid: 'iipxp',
  kill: 'ii', tkill: 'ii', tgkill: 'iii', rt_sigaction: 'ippu', rt_sigprocmask: 'ippu', rt_sigreturn: '',
  rt_sigsuspend: 'pu', rt_sigtimedwait: 'pppu', sigaltstack: 'pp', pause: '',
  getpid: '', getppid: '', gettid: '', getuid: '', geteuid: '', getgid: '', getegid: '', getpgrp: '',
  setpgid: 'ii', getpgid: 'i', setsid: '', getsid: 'i', setuid: 'i', setgid: 'i', umask: 'o',
  mmap: 'puxxdl', munmap: 'pu', mprotect: 'pux', mremap: 'puuxp', madvise: 'pui', brk: 'p',
  poll: 'pui', ppoll: 'pupu', select: 'ipppp', pselect6: 'ipppppp', epoll_wait: 'dpii', epoll_pwait: 'dpiipu',
  epoll_create1: 'x', epoll_ctl: 'didp', nanosleep: 'pp', clock_nanosleep: 'ixpp',
  prctl: 'ixxxx', arch_prctl: 'ix', set_tid_address: 'p', uname: 'p', sysinfo: 'p',
  getrlimit: 'ip', setrlimit: 'ip', prlimit64: 'iipp', capget: 'pp', sched_getattr: 'ipux', personality: 'x',
};

const AT_FDCWD = -100;
const SHOWN_STRING = 64;

/**
 * The line for trapped call `nr` of thread `tid` of `proc`, with its result (or none yet), and
 * " [worker]" when the stub asked the worker for it (the others the stub answered alone).
 */
export function straceLine(proc: LibosProcess, tid: number, nr: number, args: readonly bigint[], ret: bigint | null, viaWorker: boolean): string {
  const name = syscallName(nr);
  const spec = ARGS[name] ?? 'xxx';
  const shown = [...spec].map((kind, i) => showArg(proc, kind, args[i] ?? 0n));
  return `[pid ${tid}] ${name}(${shown.join(', ')}) = ${ret === null ? '?' : showResult(name, ret)}${viaWorker ? ' [worker]' : ''}\n`;
}

function showArg(proc: LibosProcess, kind: string, raw: bigint): string {
  const signed = BigInt.asIntN(64, raw);
  switch (kind) {
    case 'd': {
      const fd = Number(BigInt.asIntN(32, raw));
      return fd === AT_FDCWD ? 'AT_FDCWD' : String(fd);
    }
    case 'i':
      return String(BigInt.asIntN(32, raw));
    case 'l':
      return String(signed);
    case 'u':
      return String(BigInt.asUintN(64, raw));
    case 'o':
      return `0${raw.toString(8)}`;
    case 's':
      return showString(proc, raw);
    case 'p':
      return raw === 0n ? 'NULL' : `0x${raw.toString(16)}`;
    default:
      return `0x${BigInt.asUintN(64, raw).toString(16)}`;
  }
}

function showString(proc: LibosProcess, addr: bigint): string {
  if (addr === 0n) return 'NULL';
  try {
    const s = proc.mem.readCString(Number(addr), SHOWN_STRING + 1);
    const cut = s.length > SHOWN_STRING ? `${s.slice(0, SHOWN_STRING)}` : s;
    // bytes as strace shows them: printable ASCII as is, the rest escaped
    const body = [...cut].map((c) => {
      const b = c.charCodeAt(0);
      if (c === '"' || c === '\\') return `\\${c}`;
      return b >= 0x20 && b < 0x7f ? c : `\\x${b.toString(16).padStart(2, '0')}`;
    }).join('');
    return `"${body}"${s.length > SHOWN_STRING ? '...' : ''}`;
  } catch {
    return `0x${addr.toString(16)}`;
  }
}

function showResult(name: string, ret: bigint): string {
  const r = BigInt.asIntN(64, ret);
  if (r < 0n && r >= -4095n) return `-1 ${errnoName(Number(-r))}`;
  return name === 'mmap' || name === 'brk' || name === 'mremap' ? `0x${r.toString(16)}` : String(r);
}
