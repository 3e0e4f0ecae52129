// The host's pseudo-files as the instance sees them: host pids become vpids, host paths instance
// paths, the host's CPUs the instance's (renumbered from 0), and the stub disappears. Pure text
// functions (byte strings in, byte strings out), so that they are tested on their own.
import { formatCpuList, formatCpuMask } from '../sys/cpus.js';

/** The identity fields of /proc/[pid]/stat and status, virtual. */
export interface VirtualIds {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
}

/** The command name as the kernel keeps it (TASK_COMM_LEN 16, with its NUL). */
export function commOf(name: string): string {
  return name.slice(0, 15);
}

/** The last component of a path. */
export function baseName(path: string): string {
  const p = path.replace(/\/+$/, '');
  return p.slice(p.lastIndexOf('/') + 1) || p;
}

/**
 * /proc/[pid]/stat: "pid (comm) state ppid pgrp session tty_nr tpgid ...". The ids become the
 * virtual ones and comm the program's; the terminal's foreground group is the process's own
 * group when the host's is the process's host group (the instance's groups are its own).
 */
export function rewriteStat(text: string, ids: VirtualIds, comm: string, running = false): string {
  const close = text.lastIndexOf(')');
  if (close < 0) return text;
  const rest = text.slice(close + 2).replace(/\n$/, '').split(' ');
  if (rest.length < 6) return text;
  // the reader itself runs (its host process waits for its worker meanwhile)
  if (running) rest[0] = 'R';
  const hostPgrp = rest[2];
  rest[1] = String(ids.ppid);
  rest[2] = String(ids.pgid);
  rest[3] = String(ids.sid);
  if (rest[5] !== '-1') rest[5] = rest[5] === hostPgrp ? String(ids.pgid) : '-1';
  // startcode, endcode, start_data, end_data are the stub's: 0, as Linux shows them to a reader
  // it does not let see them
  for (const field of [26, 27, 45, 46]) if (rest[field - 3] !== undefined) rest[field - 3] = '0';
  return `${ids.pid} (${commOf(comm)}) ${rest.join(' ')}\n`;
}

export interface StatusOptions {
  name: string;
  ids: VirtualIds;
  /** the thread group (the process's vpid) of a thread's status; its pid otherwise */
  tgid?: number;
  /** the caller's own process: what the LibOS keeps (the host's lines for other processes) */
  umask?: number;
  /** real, effective, saved, filesystem */
  uids?: [number, number, number, number];
  gids?: [number, number, number, number];
  groups?: number[];
  /** the number of the instance's CPUs */
  cpus: number;
  /** the reader itself: it runs (its host process waits for its worker meanwhile) */
  running?: boolean;
}

/** Escape a command name as /proc/[pid]/status does ("\n" and "\\"). */
function escapeName(name: string): string {
  return commOf(name).replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
}

/**
 * /proc/[pid]/status: "Key:\tvalue" lines. Ids become virtual (no tracer, no NUMA group), the
 * name the program's, the credentials and umask the LibOS's for the caller itself; the stub's
 * seccomp filter and no_new_privs are its own; the CPUs allowed are the instance's.
 */
export function rewriteStatus(text: string, o: StatusOptions): string {
  const { ids } = o;
  const set: Record<string, string> = {
    Name: escapeName(o.name),
    Tgid: String(o.tgid ?? ids.pid),
    Ngid: '0',
    Pid: String(ids.pid),
    PPid: String(ids.ppid),
    TracerPid: '0',
    NStgid: String(o.tgid ?? ids.pid),
    NSpid: String(ids.pid),
    NSpgid: String(ids.pgid),
    NSsid: String(ids.sid),
    NoNewPrivs: '0',
    Seccomp: '0',
    Seccomp_filters: '0',
    Cpus_allowed: formatCpuMask(range(o.cpus), o.cpus),
    Cpus_allowed_list: formatCpuList(range(o.cpus)),
  };
  // another process's umask is its LibOS's, not its host process's: not known here
  const drop = new Set(o.umask === undefined ? ['Umask'] : []);
  if (o.running) set.State = 'R (running)';
  if (o.umask !== undefined) set.Umask = (o.umask & 0o777).toString(8).padStart(4, '0');
  if (o.uids) set.Uid = o.uids.join('\t');
  if (o.gids) set.Gid = o.gids.join('\t');
  if (o.groups) set.Groups = `${o.groups.join(' ')} `;
  return text
    .split('\n')
    .filter((line) => !drop.has(line.slice(0, line.indexOf(':'))))
    .map((line) => {
      const colon = line.indexOf(':');
      if (colon < 0) return line;
      const key = line.slice(0, colon);
      return Object.hasOwn(set, key) ? `${key}:\t${set[key]}` : line;
    })
    .join('\n');
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** One line of /proc/[pid]/maps, split. */
export interface MapsLine {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  /** everything before the path, as the kernel printed it (with its padding) */
  head: string;
  /** "" for an anonymous mapping */
  path: string;
}

const MAPS_LINE = /^([0-9a-f]+)-([0-9a-f]+) (\S+) ([0-9a-f]+) \S+ \d+ ?/;

export function parseMapsLine(line: string): MapsLine | null {
  const m = MAPS_LINE.exec(line);
  if (!m) return null;
  let head = m[0];
  let path = line.slice(head.length);
  const pad = /^ */.exec(path)![0];
  head += pad;
  path = path.slice(pad.length);
  return { start: BigInt(`0x${m[1]}`), end: BigInt(`0x${m[2]}`), perms: m[3]!, offset: BigInt(`0x${m[4]}`), head, path };
}

/** Names of mappings that are no files of a file system: kept as they are. */
function isKernelName(path: string): boolean {
  return path.startsWith('[') || path.startsWith('/dev/zero') || path.startsWith('/SYSV');
}

const DELETED = ' (deleted)';

/**
 * /proc/[pid]/maps without the stub's pages (its image at its fixed address; the heap the
 * kernel put after it is the app's) and with file paths as instance paths: `toInstance` gets
 * the kernel's text (maybe " (deleted)", maybe a memfd) and says what to show, null for a file
 * outside the instance's tree, which shows as an anonymous mapping.
 */
export function rewriteMaps(
  text: string,
  stub: { start: bigint; end: bigint; path: string },
  toInstance: (hostPath: string) => string | null,
): string {
  const seen = new Map<string, string | null>();
  const out: string[] = [];
  for (const line of text.split('\n')) {
    if (line === '') continue;
    const l = parseMapsLine(line);
    if (!l) continue;
    if ((l.start < stub.end && l.end > stub.start) || l.path === stub.path) continue;
    if (l.path === '' || isKernelName(l.path)) {
      out.push(line);
      continue;
    }
    if (!seen.has(l.path)) seen.set(l.path, toInstance(l.path));
    const v = seen.get(l.path)!;
    out.push(v === null ? l.head.replace(/ +$/, ' ') : `${l.head}${v}`);
  }
  return out.length ? `${out.join('\n')}\n` : '';
}

/** A shared library or the dynamic loader, by its name. */
function isLibraryName(path: string): boolean {
  const base = baseName(path);
  return /\.so(\.[\d.]+)?$/.test(base) || /^ld-/.test(base);
}

/**
 * The program a process runs, guessed from its host maps (the host's /proc/[pid]/exe is the
 * stub): of the files with executable code mapped, the one that is no shared library; failing
 * that, the file the stub mapped first -- it maps top-down, so the highest one from offset 0
 * (or, for a program linked at a fixed low address, the lowest one below 4 GiB).
 */
export function guessExeFromMaps(text: string, stub: { start: bigint; end: bigint; path: string }): string | null {
  const lines: MapsLine[] = [];
  for (const line of text.split('\n')) {
    const l = parseMapsLine(line);
    if (!l || !l.path.startsWith('/') || isKernelName(l.path)) continue;
    if ((l.start < stub.end && l.end > stub.start) || l.path === stub.path) continue;
    lines.push(l);
  }
  const strip = (p: string) => (p.endsWith(DELETED) ? p.slice(0, -DELETED.length) : p);
  const code = lines.filter((l) => l.perms.includes('x') && !isLibraryName(strip(l.path)));
  if (code.length) return strip(code.reduce((a, b) => (b.start < a.start ? b : a)).path);
  let low: MapsLine | null = null;
  let high: MapsLine | null = null;
  for (const l of lines) {
    if (l.offset !== 0n) continue;
    if (l.start < 0x100000000n) {
      if (!low || l.start < low.start) low = l;
    } else if (!high || l.start > high.start) {
      high = l;
    }
  }
  const pick = low ?? high;
  return pick ? strip(pick.path) : null;
}

/** /proc/cpuinfo: the blocks of the instance's CPUs, numbered from 0. */
export function rewriteCpuinfo(text: string, hostToApp: Map<number, number>): string {
  const out: string[] = [];
  for (const block of text.split('\n\n')) {
    if (block.trim() === '') continue;
    const m = /^processor(\s*:\s*)(\d+)$/m.exec(block);
    if (!m) continue;
    const app = hostToApp.get(Number(m[2]));
    if (app === undefined) continue;
    out.push(`${block.replace(/^processor(\s*:\s*)\d+$/m, `processor$1${app}`)}\n\n`);
  }
  return out.join('');
}

/** /proc/stat: the instance's CPUs, renumbered; the "cpu" line their sum; the rest the host's. */
export function rewriteProcStat(text: string, hostToApp: Map<number, number>): string {
  const lines = text.split('\n');
  const cpuLines: string[] = [];
  const sums: bigint[] = [];
  for (const line of lines) {
    const m = /^cpu(\d+) (.*)$/.exec(line);
    if (!m) continue;
    const app = hostToApp.get(Number(m[1]));
    if (app === undefined) continue;
    const cols = m[2]!.trim().split(/\s+/);
    cols.forEach((c, i) => (sums[i] = (sums[i] ?? 0n) + BigInt(/^\d+$/.test(c) ? c : '0')));
    cpuLines[app] = `cpu${app} ${m[2]}`;
  }
  const out: string[] = [];
  let placed = false;
  for (const line of lines) {
    if (/^cpu /.test(line)) {
      out.push(`cpu  ${sums.join(' ')}`);
      continue;
    }
    if (/^cpu\d+ /.test(line)) {
      if (!placed) out.push(...cpuLines.filter((l) => l !== undefined));
      placed = true;
      continue;
    }
    out.push(line);
  }
  return out.join('\n');
}

/** /proc/loadavg: the host's averages; the instance's process count and latest pid. */
export function rewriteLoadavg(text: string, processes: number, lastPid: number): string {
  const f = text.trim().split(/\s+/);
  if (f.length < 5) return text;
  const running = Math.min(Math.max(1, parseInt(f[3]!.split('/')[0]!, 10) || 1), processes);
  return `${f[0]} ${f[1]} ${f[2]} ${running}/${processes} ${lastPid}\n`;
}

/** Octal escapes of /proc/mounts fields (space, tab, newline, backslash). */
export function escapeMountField(s: string): string {
  return s.replace(/[ \t\n\\]/g, (c) => `\\${c.charCodeAt(0).toString(8).padStart(3, '0')}`);
}

export interface MountEntry {
  path: string;
  type: string;
  source: string;
  readOnly: boolean;
}

/** /proc/mounts: "source path type rw|ro 0 0", the mounts under the reader's root, as it sees them. */
export function formatMounts(mounts: MountEntry[]): string {
  return mounts
    .map((m) => `${escapeMountField(m.source)} ${escapeMountField(m.path)} ${m.type} ${m.readOnly ? 'ro' : 'rw'} 0 0\n`)
    .join('');
}

/**
 * /proc/[pid]/mountinfo: "id parent major:minor root mountpoint options - type source super".
 * Mount ids are made up (in order), the parent is the mount below, devices are 0:N.
 */
export function formatMountinfo(mounts: MountEntry[]): string {
  const firstId = 20;
  const ids = mounts.map((_, i) => firstId + i);
  return mounts
    .map((m, i) => {
      // the mount it is on: the latest earlier one at or above its mount point
      let parent = firstId - 1;
      let best = -1;
      for (let j = 0; j < i; j++) {
        const p = mounts[j]!.path;
        const under = p === m.path || (p === '/' ? true : m.path.startsWith(`${p}/`));
        if (under && p.length >= best) {
          best = p.length;
          parent = ids[j]!;
        }
      }
      const opt = m.readOnly ? 'ro' : 'rw';
      return `${ids[i]} ${parent} 0:${i + 30} / ${escapeMountField(m.path)} ${opt},relatime - ${m.type} ${escapeMountField(m.source)} ${opt}\n`;
    })
    .join('');
}

/**
 * /proc/locks for the instance: the host's locks held (or waited for, "->") by its processes,
 * named by their vpids and numbered anew. OFD locks name no process (-1) and the host's are
 * every process's: they are left out, as are the locks of processes outside the instance.
 */
export function rewriteLocks(text: string, hostToVpid: Map<number, number>): string {
  const out: string[] = [];
  let n = 0;
  let keptHolder = false;
  for (const line of text.split('\n')) {
    const m = /^\d+:( ->)? (\S+)(\s+\S+\s+\S+\s+)(-?\d+)( .*)$/.exec(line);
    if (!m) continue;
    const waiter = m[1] !== undefined;
    const vpid = hostToVpid.get(Number(m[4]));
    if (!waiter) keptHolder = vpid !== undefined;
    if (vpid === undefined || (waiter && !keptHolder)) continue;
    if (!waiter) n++;
    out.push(`${n}:${m[1] ?? ''} ${m[2]}${m[3]}${vpid}${m[5]}`);
  }
  return out.map((l) => `${l}\n`).join('');
}
