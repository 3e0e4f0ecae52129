// The instance's /proc (src/libos/fs/proc), on a fake process: this test process stands for the
// app (its host pid is the "app's"), a `sleep` child for another process of the instance. The
// tree must show virtual pids and instance paths only, and the host's figures for the rest.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import type { ProcessInfo } from '../../src/libos/instance.js';
import { InstancePtys } from '../../src/libos/fs/dev/ptys.js';
import type { LibosProcess } from '../../src/libos/process.js';
import { procRoot } from '../../src/libos/fs/proc/index.js';
import { STUB_COMM, STUB_HOST_PATH } from '../../src/libos/fs/proc/host-files.js';
import {
  formatMountinfo, formatMounts, guessExeFromMaps, rewriteCpuinfo, rewriteLoadavg, rewriteLocks, rewriteMaps, rewriteProcStat,
  rewriteStat, rewriteStatus,
} from '../../src/libos/fs/proc/rewrite.js';
import { formatCpuList, formatCpuMask, instanceCpus, parseCpuList, parseCpuMask } from '../../src/libos/fs/sys/cpus.js';
import type { PseudoDir, PseudoNode } from '../../src/libos/fs/pseudo/node.js';
import { host, hostFdPath } from '../../src/pal/host.js';
import { validateMessage } from '../../src/ipc/protocol/messages.js';

const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gramine-ts-procfs-')));
let child: ChildProcess;

beforeAll(async () => {
  child = spawn('sleep', ['60'], { stdio: 'ignore', cwd: dir });
  await new Promise((resolve) => child.once('spawn', resolve));
  // exec'd: its comm is "sleep" once /proc says so
  for (let i = 0; i < 100 && readFileSync(`/proc/${child.pid}/comm`, 'latin1') !== 'sleep\n'; i++)
    await new Promise((r) => setTimeout(r, 10));
});

afterAll(() => {
  child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** The instance sees the temp dir as /data, /usr as itself, and nothing else of the host. */
function toInstance(hostPath: string): string | null {
  if (hostPath === dir || hostPath.startsWith(`${dir}/`)) return `/data${hostPath.slice(dir.length)}`;
  if (hostPath.startsWith('/usr/')) return hostPath;
  return null;
}

const SELF = 7;
const OTHER = 9;

function fakeProcess(overrides: Record<string, unknown> = {}): LibosProcess {
  const cwdFd = host.openat(-100, dir, 0o10000000 /* O_PATH */ | 0o2000000, 0);
  const list: ProcessInfo[] = [
    { vpid: 1, hostPid: 999999999, ppid: 0, pgid: 1, sid: 1 },
    { vpid: SELF, hostPid: process.pid, ppid: 1, pgid: 3, sid: 1 },
    { vpid: OTHER, hostPid: child.pid!, ppid: SELF, pgid: OTHER, sid: 1 },
  ];
  const p = {
    id: { vpid: SELF, ppid: 1, pgid: 3, sid: 1 },
    currentPpid: () => 1,
    creds: { uid: 1000, euid: 1001, suid: 1002, gid: 2000, egid: 2001, sgid: 2002, groups: [5, 6] },
    umask: 0o027,
    app: { hostPid: process.pid },
    mainHostTid: process.pid,
    threads: new Map(),
    reservedFdBase: 100000,
    exePath: '/usr/bin/prog',
    rootPath: '/',
    cwdDirFd: cwdFd,
    cwdPath: () => '/data',
    hostFdFor: (n: number) => {
      const fd = host.dupCloexec(n);
      if (fd < 0) throw new Error(`dup ${n}`);
      return fd;
    },
    vfs: {
      terminals: [],
      ptys: new InstancePtys('/nonexistent'),
      hostPathToVirtual: toInstance,
      virtualPathOfHostFd: (fd: number) => {
        const text = hostFdPath(fd);
        return text.startsWith('/') ? toInstance(text) : text;
      },
      mountList: () => [
        { path: '/', type: 'chroot', source: '/', readOnly: true },
        { path: '/data', type: 'chroot', source: 'file:my data', readOnly: false },
        { path: '/proc', type: 'proc', source: 'proc', readOnly: false },
      ],
    },
    // no System V objects in this instance
    instance: { processList: async () => list, sysv: async () => ({ value: 0, path: '', stats: [], values: [], data: null }) },
    ...overrides,
  };
  return p as unknown as LibosProcess;
}

async function lookup(proc: LibosProcess, p: string): Promise<PseudoNode | null> {
  let node: PseudoNode | null = procRoot();
  for (const c of p.split('/').filter(Boolean)) {
    if (node?.kind !== 'dir') return null;
    node = await node.lookup(proc, c);
  }
  return node;
}

async function read(proc: LibosProcess, p: string): Promise<string> {
  const node = await lookup(proc, p);
  if (node?.kind !== 'file') throw new Error(`${p} is no file`);
  const c = await node.content(proc);
  return typeof c === 'string' ? c : Buffer.from(c).toString('latin1');
}

async function readlink(proc: LibosProcess, p: string): Promise<string> {
  const node = await lookup(proc, p);
  if (node?.kind !== 'symlink') throw new Error(`${p} is no symlink`);
  return node.target(proc);
}

async function names(proc: LibosProcess, p: string): Promise<string[]> {
  const node = await lookup(proc, p);
  if (node?.kind !== 'dir') throw new Error(`${p} is no dir`);
  return (node as PseudoDir).names(proc);
}

function statFields(line: string): string[] {
  const close = line.lastIndexOf(')');
  return [line.slice(0, line.indexOf(' (')), line.slice(line.indexOf('(') + 1, close), ...line.slice(close + 2).trim().split(' ')];
}

describe('/proc', () => {
  it('lists the fixed entries and the processes of the instance', async () => {
    const proc = fakeProcess();
    const n = await names(proc, '/');
    for (const e of ['self', 'thread-self', 'cpuinfo', 'meminfo', 'stat', 'uptime', 'loadavg', 'version', 'mounts', 'sys'])
      expect(n).toContain(e);
    expect(n.filter((x) => /^\d+$/.test(x))).toEqual(['1', String(SELF), String(OTHER)]);
    expect(await lookup(proc, '/12345')).toBeNull();
    expect(await lookup(proc, '/007')).toBeNull();
    expect(await lookup(proc, '/nonexistent')).toBeNull();
  });

  it('asks the leader once for all the lookups of one listing', async () => {
    let asked = 0;
    const proc = fakeProcess({
      instance: { processList: async () => (asked++, [{ vpid: SELF, hostPid: process.pid, ppid: 1, pgid: 3, sid: 1 }]) },
    });
    const root = procRoot();
    const all = await root.names(proc);
    for (const n of all) await root.lookup(proc, n);
    expect(asked).toBe(1);
    await new Promise((r) => setImmediate(r));
    await new Promise((r) => setImmediate(r));
    await root.names(proc);
    expect(asked).toBe(2);
  });

  it('self and thread-self point at the caller', async () => {
    const proc = fakeProcess();
    expect(await readlink(proc, '/self')).toBe(String(SELF));
    expect(await readlink(proc, '/thread-self')).toBe(`${SELF}/task/${SELF}`);
    expect(await names(proc, `/${SELF}/task`)).toEqual([String(SELF)]);
    expect(await names(proc, `/${SELF}/task/${SELF}`)).not.toContain('task');
  });

  it("/proc/[self]/stat: the host's, with the virtual ids", async () => {
    const proc = fakeProcess();
    const f = statFields(await read(proc, `/${SELF}/stat`));
    const h = statFields(readFileSync('/proc/self/stat', 'latin1'));
    expect(f[0]).toBe(String(SELF));
    expect(f[1]).toBe(readFileSync('/proc/self/comm', 'latin1').trim());
    expect(f.slice(2, 6)).toEqual(['R', '1', '3', '1']); // state ppid pgrp session
    expect(f.length).toBe(h.length);
    expect(f[21]).toBe(h[21]); // starttime
    expect(f[19]).toBe(h[19]); // num_threads
    // the same through the task directory
    expect(statFields(await read(proc, `/${SELF}/task/${SELF}/stat`))[0]).toBe(String(SELF));
  });

  it("/proc/[self]/status: virtual ids and credentials, the instance's CPUs", async () => {
    const proc = fakeProcess();
    const s = await read(proc, `/${SELF}/status`);
    const field = (k: string) => new RegExp(`^${k}:\\t(.*)$`, 'm').exec(s)?.[1];
    expect(field('Pid')).toBe(String(SELF));
    expect(field('Tgid')).toBe(String(SELF));
    expect(field('PPid')).toBe('1');
    expect(field('TracerPid')).toBe('0');
    expect(field('State')).toBe('R (running)');
    expect(field('NSpid')).toBe(String(SELF));
    expect(field('NSpgid')).toBe('3');
    expect(field('NSsid')).toBe('1');
    expect(field('Uid')).toBe('1000\t1001\t1002\t1001');
    expect(field('Gid')).toBe('2000\t2001\t2002\t2001');
    expect(field('Groups')).toBe('5 6 ');
    expect(field('Umask')).toBe('0027');
    expect(field('Seccomp')).toBe('0');
    const n = instanceCpus().length;
    expect(field('Cpus_allowed_list')).toBe(n === 1 ? '0' : `0-${n - 1}`);
    // the rest is the host's
    expect(field('VmPeak')).toMatch(/kB$/);
    expect(s).not.toMatch(new RegExp(`\\b${process.pid}\\b`));
  });

  it('another process: ids from the leader, the rest from its host process', async () => {
    const proc = fakeProcess();
    const f = statFields(await read(proc, `/${OTHER}/stat`));
    expect(f.slice(0, 2)).toEqual([String(OTHER), 'sleep']);
    expect(f.slice(3, 6)).toEqual([String(SELF), String(OTHER), '1']);
    const s = await read(proc, `/${OTHER}/status`);
    expect(s).toMatch(new RegExp(`^Pid:\\t${OTHER}$`, 'm'));
    expect(s).toMatch(new RegExp(`^PPid:\\t${SELF}$`, 'm'));
    expect(s).toMatch(/^Name:\tsleep$/m);
    expect(await read(proc, `/${OTHER}/cmdline`)).toBe('sleep\x0060\x00');
    expect(await read(proc, `/${OTHER}/comm`)).toBe('sleep\n');
    expect(await read(proc, `/${OTHER}/statm`)).toMatch(/^\d+ \d+ \d+ \d+ 0 \d+ 0\n$/);
    // its program, through the instance's names (/usr/bin/sleep is in the tree)
    expect(await readlink(proc, `/${OTHER}/exe`)).toBe(realpathSync('/usr/bin/sleep'));
    expect(await readlink(proc, `/${OTHER}/cwd`)).toBe('/data');
    expect(await readlink(proc, `/${OTHER}/fd/0`)).toBe('/dev/null');
    // a process the host no longer has: its files are gone
    await expect(read(proc, '/1/stat')).rejects.toThrow(/ENOENT/);
  });

  it('cmdline, comm, exe, cwd and root of the caller', async () => {
    const proc = fakeProcess();
    expect(await read(proc, `/${SELF}/cmdline`)).toBe(readFileSync('/proc/self/cmdline', 'latin1'));
    expect(await readlink(proc, `/${SELF}/exe`)).toBe('/usr/bin/prog');
    expect(await readlink(proc, `/${SELF}/cwd`)).toBe('/data');
    expect(await readlink(proc, `/${SELF}/root`)).toBe('/');
    const cwd = await lookup(proc, `/${SELF}/cwd`);
    expect(cwd?.kind === 'symlink' && cwd.openObject).toBeTruthy();
    if (cwd?.kind === 'symlink' && cwd.openObject) {
      const fd = await cwd.openObject(proc);
      expect(hostFdPath(fd)).toBe(dir);
      host.close(fd);
    }
  });

  it('fd/: the app fds with instance paths, pipes as the kernel names them, magic-link opens', async () => {
    const file = path.join(dir, 'opened');
    writeFileSync(file, 'x');
    const fd = openSync(file, 'r');
    const outside = openSync('/etc/hostname', 'r');
    try {
      const proc = fakeProcess();
      const fds = await names(proc, `/${SELF}/fd`);
      expect(fds).toContain(String(fd));
      expect(fds.map(Number)).toEqual([...fds.map(Number)].sort((a, b) => a - b));
      expect(await readlink(proc, `/${SELF}/fd/${fd}`)).toBe('/data/opened');
      expect(await readlink(proc, `/${SELF}/fd/${outside}`)).toBe('(unreachable)');
      // the LibOS's memfds are named after the instance path they stand for
      const memfd = host.memfdCreate('gts:/etc/verified', 1);
      const other = host.memfdCreate('made-by-the-app', 1);
      try {
        expect(await readlink(proc, `/${SELF}/fd/${memfd}`)).toBe('/etc/verified');
        expect(await readlink(proc, `/${SELF}/fd/${other}`)).toBe('/memfd:made-by-the-app (deleted)');
      } finally {
        host.close(memfd);
        host.close(other);
      }
      const link = await lookup(proc, `/${SELF}/fd/${fd}`);
      if (link?.kind !== 'symlink' || !link.openObject) throw new Error('no magic link');
      const obj = await link.openObject(proc);
      expect(hostFdPath(obj)).toBe(file);
      host.close(obj);
      // fds at or above the reserved base are the stub's
      const limited = fakeProcess({ reservedFdBase: fd });
      expect((await names(limited, `/${SELF}/fd`)).map(Number).every((n) => n < fd)).toBe(true);
      expect(await lookup(limited, `/${SELF}/fd/${fd}`)).toBeNull();
    } finally {
      closeSync(fd);
      closeSync(outside);
    }
  });

  it('maps: host paths as instance paths, files outside the tree anonymous', async () => {
    const proc = fakeProcess();
    const m = await read(proc, `/${SELF}/maps`);
    expect(m).toMatch(/ \/usr\/\S+/);
    for (const line of m.trim().split('\n')) {
      const p = line.split(/\s+/)[5];
      if (p !== undefined && p.startsWith('/')) expect(p.startsWith('/usr/') || p.startsWith('/data') || p.startsWith('/memfd:') || p.startsWith('/dev/zero')).toBe(true);
    }
  });

  it('mounts and mountinfo come from the VFS, /proc/mounts is self/mounts', async () => {
    const proc = fakeProcess();
    expect(await read(proc, `/${SELF}/mounts`)).toBe(
      '/ / chroot ro 0 0\nfile:my\\040data /data chroot rw 0 0\nproc /proc proc rw 0 0\n',
    );
    expect(await readlink(proc, '/mounts')).toBe('self/mounts');
    const mi = (await read(proc, `/${SELF}/mountinfo`)).trim().split('\n').map((l) => l.split(' '));
    expect(mi.map((f) => f[4])).toEqual(['/', '/data', '/proc']);
    expect(mi[1]![1]).toBe(mi[0]![0]); // /data is on /
    expect(mi[2]![1]).toBe(mi[0]![0]);
  });

  it("cpuinfo and stat show the instance's CPUs, numbered from 0", async () => {
    const proc = fakeProcess();
    const cpus = instanceCpus();
    const info = await read(proc, '/cpuinfo');
    const numbers = [...info.matchAll(/^processor\s*:\s*(\d+)$/gm)].map((m) => Number(m[1]));
    expect(numbers).toEqual(cpus.map((_, i) => i));
    expect(numbers.length).toBe(os.availableParallelism());
    const st = await read(proc, '/stat');
    expect([...st.matchAll(/^cpu(\d+) /gm)].map((m) => Number(m[1]))).toEqual(cpus.map((_, i) => i));
    expect(st).toMatch(/^cpu  \d+/m);
    expect(st).toMatch(/^btime \d+$/m);
  });

  it('system files: meminfo, uptime, loadavg, version, sys/kernel', async () => {
    const proc = fakeProcess();
    expect(await read(proc, '/meminfo')).toMatch(/^MemTotal:\s+\d+ kB$/m);
    expect(await read(proc, '/uptime')).toMatch(/^\d+\.\d+ \d+\.\d+\n$/);
    expect(await read(proc, '/loadavg')).toMatch(/^\d+\.\d+ \d+\.\d+ \d+\.\d+ [1-3]\/3 9\n$/);
    expect(await read(proc, '/version')).toBe(readFileSync('/proc/version', 'latin1'));
    expect(await read(proc, '/sys/kernel/pid_max')).toBe(readFileSync('/proc/sys/kernel/pid_max', 'latin1'));
    expect(await read(proc, '/sys/kernel/osrelease')).toBe(`${os.release()}\n`);
    expect(await read(proc, '/sys/kernel/hostname')).toBe(`${os.hostname()}\n`);
  });
});

describe('/proc, walked', () => {
  it('every name listed can be looked up, every file read, every link followed', async () => {
    const proc = fakeProcess();
    const seen: string[] = [];
    const visit = async (p: string, depth: number): Promise<void> => {
      if (depth > 6) return;
      const node = await lookup(proc, p);
      // one's own fd/ also lists the directory being read, at the lowest free fd: not open here
      if (node === null && /\/fd\/\d+$/.test(p)) return;
      expect(node, p).not.toBeNull();
      seen.push(p);
      if (node?.kind === 'file') await node.content(proc);
      else if (node?.kind === 'symlink') {
        // this test process's own fds come and go (the listing's own directory fd among them)
        const target = await (async () => node.target(proc))().catch((e: Error) => (/\/fd\/\d+$/.test(p) ? 'gone' : Promise.reject(e)));
        expect(target, p).not.toBe('');
      }
      else if (node?.kind === 'dir') {
        for (const n of await node.names(proc)) {
          if (n === '1') continue; // a fake process with no host process behind it
          await visit(`${p}/${n}`, depth + 1);
        }
      }
    };
    await visit('', 0);
    for (const p of [`/${SELF}/status`, `/${OTHER}/maps`, `/${SELF}/task/${SELF}/fd`, '/sys/kernel/random/uuid', '/sys/vm/overcommit_memory'])
      expect(seen).toContain(p);
  });
});

describe('rewriting host text', () => {
  const stub = { start: 0x5f0000000000n, end: 0x5f000000e000n, path: STUB_HOST_PATH };

  it('stat: pid, comm (with spaces and parentheses), ppid, pgrp, session, tpgid', () => {
    const host = '4242 (a b) c) S 4000 3999 3000 34816 3999 4194560 1 2 3\n';
    expect(rewriteStat(host, { pid: 5, ppid: 1, pgid: 5, sid: 1 }, 'prog')).toBe('5 (prog) S 1 5 1 34816 5 4194560 1 2 3\n');
    // the stub's code and data addresses are hidden
    const full = Array.from({ length: 52 }, (_, i) => String(i + 1));
    full[1] = '(x)';
    const out = rewriteStat(`${full.join(' ')}\n`, { pid: 5, ppid: 1, pgid: 5, sid: 1 }, 'x').trim().split(' ');
    expect([out[25], out[26], out[27], out[44], out[45], out[46]]).toEqual(['0', '0', '28', '0', '0', '47']);
    const bg = '4242 (x) S 4000 3999 3000 34816 1234 0\n';
    expect(rewriteStat(bg, { pid: 5, ppid: 1, pgid: 5, sid: 1 }, 'x')).toBe('5 (x) S 1 5 1 34816 -1 0\n');
    expect(rewriteStat('1 (x) S 0 0 0 0 -1 0\n', { pid: 2, ppid: 1, pgid: 2, sid: 2 }, 'a-name-longer-than-15')).toBe(
      '2 (a-name-longer-t) S 1 2 2 0 -1 0\n',
    );
  });

  it('status: only the named lines change', () => {
    const text = 'Name:\tgramine-ts-stub\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t4242\nPid:\t4242\nPPid:\t1\nNoNewPrivs:\t1\nSeccomp:\t2\n';
    const out = rewriteStatus(text, { name: 'sh', ids: { pid: 3, ppid: 1, pgid: 3, sid: 1 }, cpus: 2 });
    // another process's umask is not known
    expect(out).toBe('Name:\tsh\nState:\tS (sleeping)\nTgid:\t3\nPid:\t3\nPPid:\t1\nNoNewPrivs:\t0\nSeccomp:\t0\n');
  });

  it("the stub's host name is known", () => {
    expect(STUB_COMM).toBe('gramine-ts-stub');
  });

  it("maps: the stub's image goes, its heap stays; paths are mapped", () => {
    const text = [
      `5f0000000000-5f0000001000 r--p 00000000 fe:00 5308505                    ${STUB_HOST_PATH}`,
      `5f0000001000-5f0000006000 r-xp 00001000 fe:00 5308505                    ${STUB_HOST_PATH}`,
      '5f0000007000-5f000000e000 rw-p 00000000 00:00 0 ',
      '5f0005a64000-5f0005a85000 rw-p 00000000 00:00 0                          [heap]',
      '7fd61dbb6000-7fd61dbdc000 r--p 00000000 fe:00 339380                     /host/lib/libc.so.6',
      '7fd61dbe0000-7fd61dbe1000 rw-s 00000000 00:01 1234                       /memfd:gts:/proc/1/stat (deleted)',
      '7fd61dbe1000-7fd61dbe2000 r--p 00000000 fe:00 77                         /secret/file',
      '7fd61ddd8000-7fd61ddda000 r--p 00000000 fe:00 260875                     /host/bin/sleep (deleted)',
      '7ffffe4df000-7ffffe500000 rw-p 00000000 00:00 0                          [stack]',
      '',
    ].join('\n');
    const out = rewriteMaps(text, stub, (p) => (p.startsWith('/host/') ? p.slice(5) : p.startsWith('/memfd:') ? p : null));
    expect(out).toBe([
      '5f0005a64000-5f0005a85000 rw-p 00000000 00:00 0                          [heap]',
      '7fd61dbb6000-7fd61dbdc000 r--p 00000000 fe:00 339380                     /lib/libc.so.6',
      '7fd61dbe0000-7fd61dbe1000 rw-s 00000000 00:01 1234                       /memfd:gts:/proc/1/stat (deleted)',
      '7fd61dbe1000-7fd61dbe2000 r--p 00000000 fe:00 77 ',
      '7fd61ddd8000-7fd61ddda000 r--p 00000000 fe:00 260875                     /bin/sleep (deleted)',
      '7ffffe4df000-7ffffe500000 rw-p 00000000 00:00 0                          [stack]',
      '',
    ].join('\n'));
  });

  it('the program of a process is guessed from its maps', () => {
    const pie = [
      `5f0000000000-5f0000001000 r--p 00000000 fe:00 1 ${STUB_HOST_PATH}`,
      '7f0000001000-7f0000002000 r--p 00000000 fe:00 2 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f0000010000-7f0000011000 r--p 00000000 fe:00 3 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
      '7f0000020000-7f0000021000 r--p 00000000 fe:00 4 /usr/bin/sleep',
      '7f0000021000-7f0000022000 r-xp 00001000 fe:00 4 /usr/bin/sleep',
      '7f0000022000-7f0000023000 r-xp 00001000 fe:00 2 /usr/lib/x86_64-linux-gnu/libc.so.6',
      '7f0000023000-7f0000024000 r-xp 00001000 fe:00 3 /usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2',
    ].join('\n');
    expect(guessExeFromMaps(pie, stub)).toBe('/usr/bin/sleep');
    // no executable mapping told apart: the one the stub mapped first (top-down: the highest)
    expect(guessExeFromMaps(pie.split('\n').filter((l) => !l.includes('xp')).join('\n'), stub)).toBe('/usr/bin/sleep');
    const fixed = `00400000-00401000 r-xp 00000000 fe:00 9 /opt/static-prog\n${pie.replace(/ \/usr\/bin\/sleep/g, ' /usr/lib/plugin.so')}`;
    expect(guessExeFromMaps(fixed, stub)).toBe('/opt/static-prog');
    expect(guessExeFromMaps('5f0000000000-5f0000001000 r--p 00000000 fe:00 1 /x\n', { ...stub, path: '/x' })).toBeNull();
  });

  it('cpuinfo and stat keep the given CPUs and renumber them', () => {
    const info = 'processor\t: 0\nmodel\t: a\n\nprocessor\t: 1\nmodel\t: b\n\nprocessor\t: 2\nmodel\t: c\n\n';
    expect(rewriteCpuinfo(info, new Map([[1, 0], [2, 1]]))).toBe('processor\t: 0\nmodel\t: b\n\nprocessor\t: 1\nmodel\t: c\n\n');
    const st = 'cpu  6 0 6\ncpu0 1 0 1\ncpu1 2 0 2\ncpu2 3 0 3\nintr 5\nbtime 7\n';
    expect(rewriteProcStat(st, new Map([[0, 0], [2, 1]]))).toBe('cpu  4 0 4\ncpu0 1 0 1\ncpu1 3 0 3\nintr 5\nbtime 7\n');
  });

  it('locks: the instance\'s holders and waiters by vpid, renumbered; the host\'s and OFD locks left out', () => {
    const host = [
      '1: POSIX  ADVISORY  WRITE 500 00:2d:11 0 EOF',
      '1: -> POSIX  ADVISORY  WRITE 501 00:2d:11 0 EOF',
      '2: FLOCK  ADVISORY  WRITE 999 00:2d:12 0 EOF',
      '2: -> FLOCK  ADVISORY  WRITE 500 00:2d:12 0 EOF',
      '3: OFDLCK ADVISORY  READ  -1 00:2d:13 0 9',
      '4: FLOCK  ADVISORY  READ  501 00:2d:14 0 EOF',
      '',
    ].join('\n');
    expect(rewriteLocks(host, new Map([[500, 1], [501, 7]]))).toBe(
      '1: POSIX  ADVISORY  WRITE 1 00:2d:11 0 EOF\n1: -> POSIX  ADVISORY  WRITE 7 00:2d:11 0 EOF\n2: FLOCK  ADVISORY  READ  7 00:2d:14 0 EOF\n');
  });

  it('loadavg: the instance\'s process count and last pid', () => {
    expect(rewriteLoadavg('0.13 1.17 2.99 1/84 22092\n', 3, 12)).toBe('0.13 1.17 2.99 1/3 12\n');
    expect(rewriteLoadavg('0.13 1.17 2.99 7/84 22092\n', 3, 12)).toBe('0.13 1.17 2.99 3/3 12\n');
  });

  it('mount tables escape as Linux does', () => {
    const m = [{ path: '/a b', type: 'tmpfs', source: 'tmp\tfs\\', readOnly: true }];
    expect(formatMounts(m)).toBe('tmp\\011fs\\134 /a\\040b tmpfs ro 0 0\n');
    expect(formatMountinfo([{ path: '/', type: 'chroot', source: '/', readOnly: false }, ...m])).toBe(
      '20 19 0:30 / / rw,relatime - chroot / rw\n21 20 0:31 / /a\\040b ro,relatime - tmpfs tmp\\011fs\\134 ro\n',
    );
  });

  it('CPU sets print as Linux prints them', () => {
    expect(formatCpuMask([0, 1], 2)).toBe('3');
    expect(formatCpuMask([0], 8)).toBe('01');
    expect(formatCpuMask([0, 1, 35], 40)).toBe('08,00000003');
    expect(formatCpuMask([31], 64)).toBe('00000000,80000000');
    expect(formatCpuList([0, 1, 2, 4, 6, 7])).toBe('0-2,4,6-7');
    expect(parseCpuMask('08,00000003')).toEqual([0, 1, 35]);
    expect(parseCpuList('0-2,4\n')).toEqual([0, 1, 2, 4]);
  });
});

describe('the process list from the leader', () => {
  it('is checked field by field on receipt', () => {
    const ok = { type: 'process-list-reply', v: 1, reqId: 3, processes: [{ vpid: 1, hostPid: 100, ppid: 0, pgid: 1, sid: 1 }] };
    expect(validateMessage(ok)).toEqual(ok);
    expect(validateMessage({ type: 'process-list', v: 1, reqId: 4 })).toEqual({ type: 'process-list', v: 1, reqId: 4 });
    expect(validateMessage({ type: 'host-pid', v: 1, vpid: 1, hostPid: 100 })).toEqual({ type: 'host-pid', v: 1, vpid: 1, hostPid: 100 });
    expect(() => validateMessage({ ...ok, processes: [{ vpid: 1, hostPid: '100', ppid: 0, pgid: 1, sid: 1 }] })).toThrow(
      /processes\[0\]\.hostPid: expected integer/,
    );
    expect(() => validateMessage({ ...ok, processes: {} })).toThrow(/processes: expected array/);
  });
});
