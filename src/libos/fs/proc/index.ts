// The instance's /proc: a directory per process of the instance (virtual pids), "self" and
// "thread-self", and the system files -- the host's, restricted to the instance (its CPUs,
// renumbered from 0; its processes; its mounts) and with no host pid or host path in them.
import { Errno, SyscallError } from '../../errno.js';
import type { ProcessInfo } from '../../instance.js';
import type { LibosProcess } from '../../process.js';
import { fixedDir, symlink, textFile, type PseudoDir, type PseudoFile, type PseudoNode } from '../pseudo/node.js';
import { hostToAppCpu } from '../sys/cpus.js';
import { hostUname, readHostText } from './host-files.js';
import { pidDir, remoteTarget, selfTarget } from './pid.js';
import { rewriteCpuinfo, rewriteLoadavg, rewriteLocks, rewriteProcStat } from './rewrite.js';

export { pidDir, selfTarget, remoteTarget } from './pid.js';

/** A host file copied as it is (`fallback` if the host has none). */
function hostFile(path: string, fallback?: string): PseudoFile {
  return textFile(() => {
    const s = readHostText(path);
    if (s !== null) return s;
    if (fallback !== undefined) return fallback;
    throw new SyscallError(Errno.ENOENT, `host ${path}`);
  });
}

const lists = new WeakMap<LibosProcess, Promise<ProcessInfo[]>>();

/**
 * The instance's processes, from the leader. One answer serves every lookup of the same
 * operation (listing /proc looks up each pid): it is dropped once the event loop moves on.
 */
function processList(proc: LibosProcess): Promise<ProcessInfo[]> {
  let list = lists.get(proc);
  if (!list) {
    const asked = proc.instance.processList(proc);
    list = asked;
    lists.set(proc, asked);
    const drop = () => setImmediate(() => lists.get(proc) === asked && lists.delete(proc));
    asked.then(drop, drop);
  }
  return list;
}

/** The processes of the instance now, the caller's own always among them. */
async function instancePids(proc: LibosProcess): Promise<number[]> {
  const list = await processList(proc);
  const pids = new Set(list.map((p) => p.vpid));
  pids.add(proc.id.vpid);
  return [...pids].sort((a, b) => a - b);
}

function procSys(): PseudoDir {
  const k = (path: string, fallback?: string) => hostFile(`/proc/sys/${path}`, fallback);
  return fixedDir({
    kernel: fixedDir({
      pid_max: k('kernel/pid_max', '32768\n'),
      osrelease: textFile(() => `${hostUname().release}\n`),
      ostype: textFile(() => `${hostUname().sysname}\n`),
      version: textFile(() => `${hostUname().version}\n`),
      hostname: textFile((proc) => `${proc.instance.hostname ?? hostUname().nodename}\n`),
      domainname: textFile(() => `${hostUname().domainname}\n`),
      ngroups_max: k('kernel/ngroups_max', '65536\n'),
      cap_last_cap: k('kernel/cap_last_cap', '40\n'),
      random: fixedDir({
        boot_id: k('kernel/random/boot_id'),
        // a fresh one at each read, as on Linux
        uuid: k('kernel/random/uuid'),
        entropy_avail: k('kernel/random/entropy_avail', '256\n'),
        poolsize: k('kernel/random/poolsize', '256\n'),
      }),
    }),
    vm: fixedDir({
      overcommit_memory: k('vm/overcommit_memory', '0\n'),
      max_map_count: k('vm/max_map_count', '65530\n'),
      mmap_min_addr: k('vm/mmap_min_addr', '65536\n'),
    }),
    fs: fixedDir({
      'file-max': k('fs/file-max'),
      nr_open: k('fs/nr_open', '1048576\n'),
      'pipe-max-size': k('fs/pipe-max-size', '1048576\n'),
    }),
  });
}

const pad = (v: number | string, width: number) => String(v).padStart(width);

/** /proc/sysvipc: the instance's System V objects, as Linux prints them (ipc/shm.c, ipc/sem.c, ipc/msg.c). */
function procSysvipc(): PseudoDir {
  return fixedDir({
    shm: textFile(async (proc) => {
      const head = '       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n';
      const { stats } = await proc.instance.sysv(proc, 'shm-list', []);
      return head + stats.map((s) => `${pad(s.key!, 10)} ${pad(s.id!, 10)}  ${pad(s.mode!.toString(8), 4)} ${pad(s.size!, 21)} `
        + `${pad(s.cpid!, 5)} ${pad(s.lpid!, 5)}  ${pad(s.nattch!, 5)} ${pad(s.uid!, 5)} ${pad(s.gid!, 5)} ${pad(s.cuid!, 5)} ${pad(s.cgid!, 5)} `
        + `${pad(s.atime!, 10)} ${pad(s.dtime!, 10)} ${pad(s.ctime!, 10)} ${pad(Math.ceil(s.size! / 4096) * 4096, 21)} ${pad(0, 21)}\n`).join('');
    }),
    sem: textFile(async (proc) => {
      const head = '       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n';
      const { stats } = await proc.instance.sysv(proc, 'sem-list', []);
      return head + stats.map((s) => `${pad(s.key!, 10)} ${pad(s.id!, 10)}  ${pad(s.mode!.toString(8), 4)} ${pad(s.nsems!, 10)} `
        + `${pad(s.uid!, 5)} ${pad(s.gid!, 5)} ${pad(s.cuid!, 5)} ${pad(s.cgid!, 5)} ${pad(s.otime!, 10)} ${pad(s.ctime!, 10)}\n`).join('');
    }),
    msg: textFile(async (proc) => {
      const head = '       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n';
      const { stats } = await proc.instance.sysv(proc, 'msg-list', []);
      return head + stats.map((s) => `${pad(s.key!, 10)} ${pad(s.id!, 10)}  ${pad(s.mode!.toString(8), 4)}  ${pad(s.cbytes!, 10)} `
        + `${pad(s.qnum!, 10)} ${pad(s.lspid!, 5)} ${pad(s.lrpid!, 5)} ${pad(s.uid!, 5)} ${pad(s.gid!, 5)} ${pad(s.cuid!, 5)} `
        + `${pad(s.cgid!, 5)} ${pad(s.stime!, 10)} ${pad(s.rtime!, 10)} ${pad(s.ctime!, 10)}\n`).join('');
    }),
  });
}

export function procRoot(): PseudoDir {
  const entries: Record<string, PseudoNode> = {
    self: symlink((proc) => String(proc.id.vpid)),
    // threads are the main one for now: its tid is the pid
    'thread-self': symlink((proc) => `${proc.id.vpid}/task/${proc.id.vpid}`),
    cpuinfo: textFile(() => rewriteCpuinfo(readHostText('/proc/cpuinfo') ?? '', hostToAppCpu())),
    stat: textFile(() => rewriteProcStat(readHostText('/proc/stat') ?? '', hostToAppCpu())),
    meminfo: hostFile('/proc/meminfo'),
    uptime: hostFile('/proc/uptime'),
    loadavg: textFile(async (proc) => {
      const pids = await instancePids(proc);
      return rewriteLoadavg(readHostText('/proc/loadavg') ?? '0.00 0.00 0.00 1/1 1\n', pids.length, Math.max(...pids));
    }),
    version: hostFile('/proc/version'),
    filesystems: hostFile('/proc/filesystems'),
    mounts: symlink(() => 'self/mounts'),
    sys: procSys(),
    sysvipc: procSysvipc(),
    locks: textFile(async (proc) => {
      const list = await processList(proc);
      const hostToVpid = new Map(list.map((p) => [p.hostPid, p.vpid]));
      if (proc.app.hostPid > 0) hostToVpid.set(proc.app.hostPid, proc.id.vpid);
      return rewriteLocks(readHostText('/proc/locks') ?? '', hostToVpid);
    }),
  };
  return {
    kind: 'dir',
    mode: 0o555,
    names: async (proc) => [...Object.keys(entries), ...(await instancePids(proc)).map(String)],
    lookup: async (proc, name) => {
      if (Object.hasOwn(entries, name)) return entries[name]!;
      if (!/^[1-9]\d*$/.test(name)) return null;
      const vpid = Number(name);
      if (vpid === proc.id.vpid) return pidDir(selfTarget(proc));
      const info = (await processList(proc)).find((p) => p.vpid === vpid);
      return info ? pidDir(remoteTarget(info)) : null;
    },
  };
}
