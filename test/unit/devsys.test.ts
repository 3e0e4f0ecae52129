// The instance's /dev and /sys (src/libos/fs/dev, src/libos/fs/sys): host devices as themselves,
// links to the process's fds, and the host's CPU topology restricted to the instance's CPUs,
// renumbered from 0.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';
import { describe, expect, it } from 'vitest';

import type { LibosProcess } from '../../src/libos/process.js';
import { devPathOfHost, devRoot } from '../../src/libos/fs/dev/index.js';
import { InstancePtys } from '../../src/libos/fs/dev/ptys.js';
import { sysRoot } from '../../src/libos/fs/sys/index.js';
import { formatCpuList, formatCpuMask, instanceCpus, parseCpuMask } from '../../src/libos/fs/sys/cpus.js';
import type { PseudoDir, PseudoNode } from '../../src/libos/fs/pseudo/node.js';

const proc = { id: { vpid: 1, ppid: 0, pgid: 1, sid: 1 } } as unknown as LibosProcess;

async function lookup(root: PseudoDir, p: string): Promise<PseudoNode | null> {
  let node: PseudoNode | null = root;
  for (const c of p.split('/').filter(Boolean)) {
    if (node?.kind !== 'dir') return null;
    node = await node.lookup(proc, c);
  }
  return node;
}

async function read(root: PseudoDir, p: string): Promise<string> {
  const node = await lookup(root, p);
  if (node?.kind !== 'file') throw new Error(`${p} is no file`);
  const c = await node.content(proc);
  return typeof c === 'string' ? c : Buffer.from(c).toString('latin1');
}

async function names(root: PseudoDir, p: string): Promise<string[]> {
  const node = await lookup(root, p);
  if (node?.kind !== 'dir') throw new Error(`${p} is no dir`);
  return node.names(proc);
}

/** Every path under a pseudo dir, walked as `find` would. */
async function walk(root: PseudoDir, p = ''): Promise<string[]> {
  const out: string[] = [];
  const node = await lookup(root, p);
  if (node?.kind !== 'dir') return out;
  for (const n of await node.names(proc)) {
    const child = `${p}/${n}`;
    expect(await node.lookup(proc, n), child).not.toBeNull();
    out.push(child, ...(await walk(root, child)));
  }
  return out;
}

/** an instance that has made no pty (its scratch has none listed) */
const NO_PTYS = new InstancePtys('/nonexistent');

describe('/dev', () => {
  it('host devices are the host nodes themselves', async () => {
    const dev = devRoot([], NO_PTYS);
    for (const name of ['null', 'zero', 'full', 'random', 'urandom', 'tty']) {
      const node = await lookup(dev, name);
      expect(node).toEqual({ kind: 'host', hostPath: `/dev/${name}` });
      expect(devPathOfHost(`/dev/${name}`, [], NO_PTYS)).toBe(`/dev/${name}`);
    }
    expect(devPathOfHost('/dev/sda', [], NO_PTYS)).toBeNull();
    expect(await lookup(dev, 'sda')).toBeNull();
    expect(await lookup(dev, 'shm')).toBeNull(); // the VFS mounts a tmpfs there
  });

  it('the terminals the instance was started on are in /dev/pts, as the host nodes; no other', async () => {
    const dev = devRoot(['/dev/pts/7'], NO_PTYS);
    const pts = await lookup(dev, 'pts');
    if (pts?.kind !== 'dir') throw new Error('/dev/pts is no directory');
    expect(await pts.names(proc)).toEqual(['7']);
    expect(await pts.lookup(proc, '7')).toEqual({ kind: 'host', hostPath: '/dev/pts/7' });
    expect(await pts.lookup(proc, '8')).toBeNull();
    expect(devPathOfHost('/dev/pts/7', ['/dev/pts/7'], NO_PTYS)).toBe('/dev/pts/7');
    expect(devPathOfHost('/dev/pts/8', ['/dev/pts/7'], NO_PTYS)).toBeNull();
    expect(await lookup(dev, 'console')).toEqual({ kind: 'host', hostPath: '/dev/pts/7' });
    expect(await lookup(devRoot([], NO_PTYS), 'console')).toBeNull();
    const none = await lookup(devRoot([], NO_PTYS), 'pts');
    expect(none?.kind === 'dir' ? await none.names(proc) : null).toEqual([]);
  });

  it('stdin, stdout, stderr and fd link to /proc/self/fd', async () => {
    const dev = devRoot([], NO_PTYS);
    const target = async (n: string) => {
      const node = await lookup(dev, n);
      if (node?.kind !== 'symlink') throw new Error(`${n} is no symlink`);
      expect(node.openObject).toBeUndefined();
      return node.target(proc);
    };
    expect(await target('stdin')).toBe('/proc/self/fd/0');
    expect(await target('stdout')).toBe('/proc/self/fd/1');
    expect(await target('stderr')).toBe('/proc/self/fd/2');
    expect(await target('fd')).toBe('/proc/self/fd');
    expect((await names(dev, '/')).sort()).toEqual(
      ['attestation', 'fd', 'full', 'null', 'ptmx', 'pts', 'random', 'stderr', 'stdin', 'stdout', 'tty', 'urandom', 'zero'],
    );
  });
});

describe('/sys/devices/system', () => {
  const n = instanceCpus().length;
  const all = formatCpuList(Array.from({ length: n }, (_, i) => i));
  const hostCpu = (i: number) => `/sys/devices/system/cpu/cpu${instanceCpus()[i]}`;

  it("online, possible and present list the instance's CPUs from 0", async () => {
    const sys = sysRoot();
    expect(n).toBe(os.availableParallelism());
    for (const f of ['online', 'possible', 'present']) expect(await read(sys, `/devices/system/cpu/${f}`)).toBe(`${all}\n`);
    const cpus = (await names(sys, '/devices/system/cpu')).filter((x) => /^cpu\d+$/.test(x));
    expect(cpus).toEqual(Array.from({ length: n }, (_, i) => `cpu${i}`));
    expect(await lookup(sys, `/devices/system/cpu/cpu${n}`)).toBeNull();
    expect(await lookup(sys, '/devices/system/cpu/cpu01')).toBeNull();
    expect(await read(sys, '/devices/system/cpu/cpu0/online')).toBe('1\n');
  });

  it("topology: the host's ids, sibling sets restricted and renumbered", async () => {
    const sys = sysRoot();
    for (let i = 0; i < n; i++) {
      const t = `/devices/system/cpu/cpu${i}/topology`;
      const h = `${hostCpu(i)}/topology`;
      if (existsSync(`${h}/core_id`)) expect(await read(sys, `${t}/core_id`)).toBe(readFileSync(`${h}/core_id`, 'latin1'));
      if (existsSync(`${h}/physical_package_id`))
        expect(await read(sys, `${t}/physical_package_id`)).toBe(readFileSync(`${h}/physical_package_id`, 'latin1'));
      const threads = parseCpuMask(await read(sys, `${t}/thread_siblings`));
      expect(threads).toContain(i);
      expect(threads.every((c) => c < n)).toBe(true);
      const core = await read(sys, `${t}/core_siblings`);
      expect(core).toMatch(/^[0-9a-f,]+\n$/);
      expect(await read(sys, `${t}/core_siblings_list`)).toBe(`${formatCpuList(parseCpuMask(core))}\n`);
    }
  });

  it("cache: the host's levels, with the shared CPUs renumbered", async () => {
    const sys = sysRoot();
    const hostCache = `${hostCpu(0)}/cache`;
    const indexes = existsSync(hostCache) ? readdirSync(hostCache).filter((x) => /^index\d+$/.test(x)).sort() : [];
    expect((await names(sys, '/devices/system/cpu/cpu0/cache')).sort()).toEqual(indexes);
    for (const idx of indexes) {
      for (const f of ['level', 'type', 'size', 'coherency_line_size', 'number_of_sets', 'physical_line_partition']) {
        if (existsSync(`${hostCache}/${idx}/${f}`))
          expect(await read(sys, `/devices/system/cpu/cpu0/cache/${idx}/${f}`)).toBe(readFileSync(`${hostCache}/${idx}/${f}`, 'latin1'));
      }
      const shared = parseCpuMask(await read(sys, `/devices/system/cpu/cpu0/cache/${idx}/shared_cpu_map`));
      expect(shared).toContain(0);
      expect(shared.every((c) => c < n)).toBe(true);
    }
    expect(await lookup(sys, '/devices/system/cpu/cpu0/cache/index99')).toBeNull();
  });

  it('one NUMA node with every CPU of the instance', async () => {
    const sys = sysRoot();
    const all01 = Array.from({ length: n }, (_, i) => i);
    expect(await read(sys, '/devices/system/node/node0/cpumap')).toBe(`${formatCpuMask(all01, n)}\n`);
    expect(await read(sys, '/devices/system/node/node0/cpulist')).toBe(`${all}\n`);
    expect(await read(sys, '/devices/system/node/node0/distance')).toMatch(/^\d+\n$/);
    expect(await read(sys, '/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages')).toMatch(/^\d+\n$/);
    expect(await read(sys, '/devices/system/node/online')).toBe('0\n');
    if (existsSync('/sys/devices/system/node/node0/meminfo'))
      expect(await read(sys, '/devices/system/node/node0/meminfo')).toMatch(/^Node 0 MemTotal:/);
  });

  it('every name listed can be looked up', async () => {
    const paths = await walk(sysRoot());
    expect(paths).toContain('/devices/system/cpu/cpu0/topology/thread_siblings_list');
    expect(paths).toContain('/devices/system/node/node0/hugepages/hugepages-2048kB/nr_hugepages');
    for (const p of paths) {
      const node = await lookup(sysRoot(), p);
      if (node?.kind === 'file') await expect(read(sysRoot(), p)).resolves.toMatch(/\n$|^$/);
    }
  });
});
