// The instance's /sys: the CPU and NUMA topology under /sys/devices/system, the host's values
// restricted to the instance's CPUs (renumbered from 0) and folded into one NUMA node.
import { fixedDir, textFile, type PseudoDir, type PseudoFile, type PseudoNode } from '../pseudo/node.js';
import { listHostDir, readHostText } from '../proc/host-files.js';
import { formatCpuList, formatCpuMask, hostMaskToApp, instanceCpus } from './cpus.js';

const HOST_CPU = '/sys/devices/system/cpu';
const HOST_NODE0 = '/sys/devices/system/node/node0';

function allAppCpus(): number[] {
  return instanceCpus().map((_, i) => i);
}

/** A host /sys file as it is, or `fallback` where the host has none. */
function hostValue(path: string, fallback: () => string): PseudoFile {
  return textFile(() => readHostText(path) ?? fallback());
}

/** A host CPU-set file (a mask) as the app's: its mask or list form. */
function cpuSet(hostMaskPath: string, form: 'mask' | 'list', fallback: () => number[]): PseudoFile {
  return textFile(() => {
    const text = readHostText(hostMaskPath);
    const cpus = text === null ? fallback() : hostMaskToApp(text);
    return `${form === 'mask' ? formatCpuMask(cpus, instanceCpus().length) : formatCpuList(cpus)}\n`;
  });
}

function topologyDir(hostCpu: number, appCpu: number): PseudoDir {
  const dir = `${HOST_CPU}/cpu${hostCpu}/topology`;
  const self = () => [appCpu];
  return fixedDir({
    core_id: hostValue(`${dir}/core_id`, () => `${appCpu}\n`),
    physical_package_id: hostValue(`${dir}/physical_package_id`, () => '0\n'),
    core_siblings: cpuSet(`${dir}/core_siblings`, 'mask', allAppCpus),
    core_siblings_list: cpuSet(`${dir}/core_siblings`, 'list', allAppCpus),
    thread_siblings: cpuSet(`${dir}/thread_siblings`, 'mask', self),
    thread_siblings_list: cpuSet(`${dir}/thread_siblings`, 'list', self),
  });
}

const CACHE_FILES = [
  'level', 'type', 'size', 'coherency_line_size', 'number_of_sets', 'physical_line_partition', 'ways_of_associativity',
] as const;

function cacheIndexDir(dir: string, appCpu: number): PseudoDir {
  const entries: Record<string, PseudoNode> = {};
  for (const f of CACHE_FILES) entries[f] = hostValue(`${dir}/${f}`, () => '0\n');
  entries.shared_cpu_map = cpuSet(`${dir}/shared_cpu_map`, 'mask', () => [appCpu]);
  entries.shared_cpu_list = cpuSet(`${dir}/shared_cpu_map`, 'list', () => [appCpu]);
  return fixedDir(entries);
}

/** cpu[N]/cache: the host CPU's cache levels (none where the host's /sys has none). */
function cacheDir(hostCpu: number, appCpu: number): PseudoDir {
  const dir = `${HOST_CPU}/cpu${hostCpu}/cache`;
  const indexes = () => (listHostDir(dir) ?? []).filter((n) => /^index\d+$/.test(n)).sort((a, b) => Number(a.slice(5)) - Number(b.slice(5)));
  return {
    kind: 'dir',
    mode: 0o555,
    names: indexes,
    lookup: (_proc, name) => (indexes().includes(name) ? cacheIndexDir(`${dir}/${name}`, appCpu) : null),
  };
}

function cpuDir(appCpu: number): PseudoDir {
  const hostCpu = instanceCpus()[appCpu]!;
  return fixedDir({
    online: textFile(() => '1\n'),
    topology: topologyDir(hostCpu, appCpu),
    cache: cacheDir(hostCpu, appCpu),
  });
}

function cpusDir(): PseudoDir {
  const all = () => `${formatCpuList(allAppCpus())}\n`;
  const fixed: Record<string, PseudoNode> = {
    online: textFile(all),
    possible: textFile(all),
    present: textFile(all),
    offline: textFile(() => '\n'),
    kernel_max: textFile(() => `${Math.max(0, instanceCpus().length - 1)}\n`),
  };
  const cpuName = /^cpu(0|[1-9]\d*)$/;
  return {
    kind: 'dir',
    mode: 0o555,
    names: () => [...Object.keys(fixed), ...allAppCpus().map((i) => `cpu${i}`)],
    lookup: (_proc, name) => {
      if (Object.hasOwn(fixed, name)) return fixed[name]!;
      const m = cpuName.exec(name);
      if (!m) return null;
      const i = Number(m[1]);
      return i < instanceCpus().length ? cpuDir(i) : null;
    },
  };
}

/** One NUMA node, node0, with every CPU of the instance. */
function nodesDir(): PseudoDir {
  const hugepages = (size: string) =>
    fixedDir({
      nr_hugepages: hostValue(`${HOST_NODE0}/hugepages/${size}/nr_hugepages`, () => '0\n'),
      free_hugepages: hostValue(`${HOST_NODE0}/hugepages/${size}/free_hugepages`, () => '0\n'),
      surplus_hugepages: hostValue(`${HOST_NODE0}/hugepages/${size}/surplus_hugepages`, () => '0\n'),
    });
  const node0 = fixedDir({
    cpumap: textFile(() => `${formatCpuMask(allAppCpus(), instanceCpus().length)}\n`),
    cpulist: textFile(() => `${formatCpuList(allAppCpus())}\n`),
    // one node: its distance to itself only
    distance: textFile(() => `${(readHostText(`${HOST_NODE0}/distance`) ?? '10').trim().split(/\s+/)[0]}\n`),
    meminfo: hostValue(`${HOST_NODE0}/meminfo`, () => ''),
    hugepages: fixedDir({ 'hugepages-2048kB': hugepages('hugepages-2048kB') }),
  });
  return fixedDir({
    online: textFile(() => '0\n'),
    possible: textFile(() => '0\n'),
    has_cpu: textFile(() => '0\n'),
    has_memory: textFile(() => '0\n'),
    has_normal_memory: textFile(() => '0\n'),
    node0,
  });
}

export function sysRoot(): PseudoDir {
  return fixedDir({
    devices: fixedDir({
      system: fixedDir({
        cpu: cpusDir(),
        node: nodesDir(),
      }),
    }),
  });
}
