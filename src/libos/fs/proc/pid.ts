// /proc/[pid]: one directory per process of the instance. The caller's own is made from what its
// LibOS keeps (credentials, cwd, fds, program); another process's from the leader's process
// table (virtual ids) and the host's view of its host process, rewritten: vpids for host pids,
// instance paths for host paths, and nothing of the stub.
import { host } from '../../../pal/host.js';
import { Errno, SyscallError } from '../../errno.js';
import type { ProcessInfo } from '../../instance.js';
import type { LibosProcess } from '../../process.js';
import { devPathOfHost } from '../dev/index.js';
import { MEMFD_PREFIX } from '../scratch-names.js';
import { fixedDir, symlink, textFile, type PseudoDir, type PseudoNode, type PseudoSymlink } from '../pseudo/node.js';
import { instanceCpus } from '../sys/cpus.js';
import { listHostDir, readHostBytes, readHostLink, readHostText, STUB_COMM, STUB_HOST_PATH, stubImageRange } from './host-files.js';
import {
  baseName, formatMountinfo, formatMounts, guessExeFromMaps, rewriteMaps, rewriteStat, rewriteStatus,
  type MountEntry, type VirtualIds,
} from './rewrite.js';
import { asSeenBy, exePathOf, hostToInstance, rootPathOf } from './view.js';
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_PATH } from '../../../pal/linux-abi.js';

const DELETED = ' (deleted)';
/** what a file the instance cannot name shows as, in place of a host path */
const UNREACHABLE = '(unreachable)';

/** The process a /proc/[pid] directory is about (or one of its threads: /proc/[pid]/task/[tid]). */
export interface PidTarget {
  vpid: number;
  hostPid: number;
  /** a thread of the process: its tid and host tid */
  thread?: { tid: number; hostTid: number };
  /** the caller itself: the LibOS's own state is the truth */
  self: boolean;
  /** its virtual ids now (the caller's are live, another process's as the leader said) */
  ids(proc: LibosProcess): VirtualIds;
}

export function selfTarget(proc: LibosProcess): PidTarget {
  return {
    vpid: proc.id.vpid,
    hostPid: proc.app.hostPid,
    self: true,
    ids: (p) => ({ pid: p.id.vpid, ppid: p.currentPpid(), pgid: p.id.pgid, sid: p.id.sid }),
  };
}

export function remoteTarget(info: ProcessInfo): PidTarget {
  const ids: VirtualIds = { pid: info.vpid, ppid: info.ppid, pgid: info.pgid, sid: info.sid };
  return { vpid: info.vpid, hostPid: info.hostPid, self: false, ids: () => ids };
}

/** The host's /proc directory of the target: its host process's, or its thread's. */
function hostProcDir(t: PidTarget): string {
  return t.thread ? `/proc/${t.hostPid}/task/${t.thread.hostTid}` : `/proc/${t.hostPid}`;
}

/** A host file of the target's host process (or thread); ESRCH-like ENOENT once it is gone. */
function hostProcText(t: PidTarget, file: string): string {
  const s = readHostText(`${hostProcDir(t)}/${file}`);
  if (s === null) throw new SyscallError(Errno.ENOENT, `/proc/${t.vpid}/${file}: the process is gone`);
  return s;
}

/** Thread `tid` of the target process (its host tid `hostTid`). */
function threadTarget(t: PidTarget, tid: number, hostTid: number): PidTarget {
  return {
    ...t, thread: { tid, hostTid },
    ids: (p) => ({ ...t.ids(p), pid: tid }),
  };
}

/** The threads of the target: the caller knows its own; of another process, the main one. */
function threadsOf(proc: LibosProcess, t: PidTarget): Map<number, number> {
  const threads = new Map([[t.vpid, t.hostPid]]);
  if (t.self) for (const th of proc.threads.values()) if (th.hostTid > 0) threads.set(th.vtid, th.hostTid);
  return threads;
}

/** /proc/[pid]/task: a directory per thread, with its own stat, status and comm (the host's, writable as on Linux). */
function taskDir(t: PidTarget): PseudoDir {
  return {
    kind: 'dir',
    mode: 0o555,
    names: (proc) => [...threadsOf(proc, t).keys()].sort((a, b) => a - b).map(String),
    lookup: (proc, name) => {
      const hostTid = /^[1-9]\d*$/.test(name) ? threadsOf(proc, t).get(Number(name)) : undefined;
      return hostTid === undefined ? null : pidDir(threadTarget(t, Number(name), hostTid), false);
    },
  };
}

function stubInfo() {
  return { ...stubImageRange(), path: STUB_HOST_PATH };
}

/**
 * What the kernel says a file is (a host path, maybe " (deleted)", or a memfd) as the caller
 * sees it, or null if the instance has no name for it. The LibOS's memfds (pseudo-files,
 * verified copies of trusted files) are named after their instance path.
 */
function hostPathAsSeen(proc: LibosProcess, text: string): string | null {
  const deleted = text.endsWith(DELETED);
  const hostPath = deleted ? text.slice(0, -DELETED.length) : text;
  if (hostPath.startsWith('/memfd:')) {
    const name = hostPath.slice('/memfd:'.length);
    return name.startsWith(MEMFD_PREFIX) ? asSeenBy(proc, name.slice(MEMFD_PREFIX.length)) : text;
  }
  const v = devPathOfHost(hostPath, proc.vfs.terminals, proc.vfs.ptys) ?? hostToInstance(proc, hostPath);
  return v === null ? null : `${asSeenBy(proc, v)}${deleted ? DELETED : ''}`;
}

/** The program the target runs, as an instance path (the caller's own from its LibOS). */
function exeOf(proc: LibosProcess, t: PidTarget): string | null {
  if (t.self) {
    const exe = exePathOf(proc);
    if (exe !== null) return asSeenBy(proc, exe);
  }
  const maps = readHostText(`/proc/${t.hostPid}/maps`);
  const guess = maps === null ? null : guessExeFromMaps(maps, stubInfo());
  return guess === null ? null : hostPathAsSeen(proc, guess);
}

/**
 * The command name: the host's if the app renamed itself (PR_SET_NAME). Otherwise the host's is
 * the stub's, and Linux's would be the last component of the path given to execve: argv[0]'s
 * is that but for scripts and login shells ("sh", not the "dash" that /bin/sh is), the
 * program's file the fallback.
 */
export function programName(proc: LibosProcess, t: PidTarget): string {
  const comm = readHostText(`/proc/${t.hostPid}/comm`)?.replace(/\n$/, '');
  if (comm && comm !== STUB_COMM) return comm;
  const argv0 = readHostText(`/proc/${t.hostPid}/cmdline`)?.split('\0')[0]?.replace(/^-/, '');
  if (argv0) return baseName(argv0);
  const exe = exeOf(proc, t);
  return exe ? baseName(exe.replace(/ \(deleted\)$/, '')) : comm ?? '';
}

function stat(proc: LibosProcess, t: PidTarget): string {
  const running = t.self && (!t.thread || t.thread.tid === proc.id.vpid);
  return rewriteStat(hostProcText(t, 'stat'), t.ids(proc), threadName(proc, t), running);
}

/** A thread's name: the host's (set with PR_SET_NAME or through its comm), the program's until then. */
function threadName(proc: LibosProcess, t: PidTarget): string {
  if (!t.thread || t.thread.tid === t.vpid) return programName(proc, t);
  const comm = readHostText(`${hostProcDir(t)}/comm`)?.replace(/\n$/, '');
  return comm && comm !== STUB_COMM ? comm : programName(proc, { ...t, thread: undefined });
}

function status(proc: LibosProcess, t: PidTarget): string {
  const text = hostProcText(t, 'status');
  const c = proc.creds;
  return rewriteStatus(text, {
    name: threadName(proc, t),
    ids: t.ids(proc),
    tgid: t.vpid,
    cpus: instanceCpus().length,
    ...(t.self
      ? {
          running: true,
          umask: proc.umask,
          uids: [c.uid, c.euid, c.suid, c.euid],
          gids: [c.gid, c.egid, c.sgid, c.egid],
          groups: c.groups,
        }
      : {}),
  });
}

function maps(proc: LibosProcess, t: PidTarget): string {
  return rewriteMaps(hostProcText(t, 'maps'), stubInfo(), (p) => hostPathAsSeen(proc, p));
}

/** The mounts the caller sees (those under its root), as it names them. */
export function visibleMounts(proc: LibosProcess): MountEntry[] {
  const root = rootPathOf(proc);
  return proc.vfs
    .mountList()
    .filter((m) => root === '/' || m.path === root || m.path.startsWith(`${root}/`))
    .map((m) => ({ ...m, path: asSeenBy(proc, m.path) }));
}

function cwdLink(t: PidTarget): PseudoSymlink {
  if (t.self) {
    return {
      kind: 'symlink',
      // getcwd's answer: already as the process sees it (below its root)
      target: (proc) => proc.cwdPath(),
      openObject: (proc) => {
        const fd = host.dupCloexec(proc.cwdDirFd);
        if (fd < 0) throw new SyscallError(-fd, 'open /proc/self/cwd');
        return fd;
      },
    };
  }
  // another process: its host process's working directory, which its stub keeps the same as
  // the LibOS's (GTS_REPLY_CWD); named through an fd of it, so a tmpfs directory maps too
  const openCwd = (proc: LibosProcess) => {
    const fd = host.openat(AT_FDCWD, `/proc/${t.hostPid}/cwd`, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
    if (fd < 0) throw new SyscallError(-fd, `open /proc/${t.vpid}/cwd`);
    const v = proc.vfs.virtualPathOfHostFd(fd);
    if (v === null || !v.startsWith('/')) {
      host.close(fd);
      throw new SyscallError(Errno.EACCES, `/proc/${t.vpid}/cwd is outside the instance`);
    }
    return { fd, path: asSeenBy(proc, v) };
  };
  return {
    kind: 'symlink',
    target: (proc) => {
      const { fd, path } = openCwd(proc);
      host.close(fd);
      return path;
    },
    openObject: (proc) => openCwd(proc).fd,
  };
}

function exeLink(t: PidTarget): PseudoSymlink {
  return symlink((proc) => {
    const exe = exeOf(proc, t);
    if (exe === null) throw new SyscallError(Errno.ENOENT, `/proc/${t.vpid}/exe`);
    return exe;
  });
}

/** The app's fds (the stub's reserved ones are not the app's), ascending. */
function appFds(proc: LibosProcess, t: PidTarget): number[] {
  const names = listHostDir(`/proc/${t.hostPid}/fd`);
  if (names === null) throw new SyscallError(Errno.ENOENT, `/proc/${t.vpid}/fd`);
  // another process's reserved fds start where ours do (its stub inherited or made them alike)
  const base = proc.reservedFdBase > 0 ? proc.reservedFdBase : Infinity;
  return names.map(Number).filter((n) => Number.isInteger(n) && n >= 0 && n < base).sort((a, b) => a - b);
}

/** What /proc/[pid]/fd/N shows: an instance path, or the kernel's "pipe:[..]", "socket:[..]"... */
function fdTarget(proc: LibosProcess, t: PidTarget, n: number): string {
  const text = readHostLink(`/proc/${t.hostPid}/fd/${n}`);
  if (text === null) throw new SyscallError(Errno.ENOENT, `/proc/${t.vpid}/fd/${n}`);
  if (!text.startsWith('/')) return text;
  if (t.self) {
    // the VFS knows what the app opened (a pseudo-file's memfd, a trusted file's sealed copy)
    const fd = proc.hostFdFor(n);
    try {
      const v = proc.vfs.virtualPathOfHostFd(fd);
      if (v !== null) return v.startsWith('/') ? asSeenBy(proc, v) : v;
    } finally {
      host.close(fd);
    }
  }
  return hostPathAsSeen(proc, text) ?? UNREACHABLE;
}

function fdLink(t: PidTarget, n: number): PseudoSymlink {
  return {
    kind: 'symlink',
    target: (proc) => fdTarget(proc, t, n),
    // the open file itself, as Linux's magic link gives it
    openObject: (proc) => {
      if (t.self) return proc.hostFdFor(n);
      if (fdTarget(proc, t, n) === UNREACHABLE) throw new SyscallError(Errno.EACCES, `/proc/${t.vpid}/fd/${n} is outside the instance`);
      const fd = host.openat(AT_FDCWD, `/proc/${t.hostPid}/fd/${n}`, O_PATH | O_CLOEXEC, 0);
      if (fd < 0) throw new SyscallError(-fd, `open /proc/${t.vpid}/fd/${n}`);
      return fd;
    },
  };
}

function fdDir(t: PidTarget): PseudoDir {
  return {
    kind: 'dir',
    mode: 0o500,
    names: (proc) => {
      const fds = appFds(proc, t);
      // listing its own fds, the app holds one more once it reads them: the directory itself,
      // at the lowest free number (where the kernel puts the fd the stub receives for it)
      if (t.self) {
        let free = 0;
        while (fds.includes(free)) free++;
        if (proc.reservedFdBase <= 0 || free < proc.reservedFdBase) fds.push(free);
        fds.sort((a, b) => a - b);
      }
      return fds.map(String);
    },
    lookup: (proc, name) => {
      if (!/^(0|[1-9]\d*)$/.test(name)) return null;
      const n = Number(name);
      if (!appFds(proc, t).includes(n)) return null;
      return fdLink(t, n);
    },
  };
}

/** The files of /proc/[pid] (and of /proc/[pid]/task/[tid], without "task"). */
export function pidDir(t: PidTarget, withTask = true): PseudoDir {
  const entries: Record<string, PseudoNode> = {
    cmdline: textFile(() => readHostBytes(`/proc/${t.hostPid}/cmdline`) ?? ''),
    comm: textFile((proc) => `${programName(proc, t)}\n`),
    cwd: cwdLink(t),
    environ: textFile(() => readHostBytes(`/proc/${t.hostPid}/environ`) ?? '', 0o400),
    exe: exeLink(t),
    fd: fdDir(t),
    maps: textFile((proc) => maps(proc, t)),
    mountinfo: textFile((proc) => formatMountinfo(visibleMounts(proc))),
    mounts: textFile((proc) => formatMounts(visibleMounts(proc))),
    // another process's root is not known here: the caller's
    root: symlink(() => '/'),
    stat: textFile((proc) => stat(proc, t)),
    statm: textFile(() => hostProcText(t, 'statm')),
    status: textFile((proc) => status(proc, t)),
    // one cgroup-v2 hierarchy, at its root (the instance has no cgroup controls of its own)
    cgroup: textFile(() => '0::/\n'),
  };
  if (withTask) entries.task = taskDir(t);
  else if (t.thread && t.thread.tid !== t.vpid) {
    // a thread's name, which pthread_setname_np writes here: the host thread's own file
    entries.comm = { kind: 'host', hostPath: `${hostProcDir(t)}/comm` };
  }
  return fixedDir(entries, 0o555);
}
