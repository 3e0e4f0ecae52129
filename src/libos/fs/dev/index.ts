// The instance's /dev: the host's harmless character devices as themselves (reads and writes
// stay native), the terminals the instance was started on (/dev/pts/N, the host's own: `tty`
// names them), and the links to the process's own fds. /dev/shm is a tmpfs the VFS mounts on
// top; /dev/attestation is Gramine's attestation interface (attestation.ts).
import { fixedDir, symlink, type PseudoDir, type PseudoHostNode, type PseudoNode } from '../pseudo/node.js';
import { attestationDir } from './attestation.js';
import type { InstancePtys } from './ptys.js';

/** The host devices the app opens as themselves: /dev/NAME -> host path. */
export const DEV_HOST_NODES: Readonly<Record<string, string>> = {
  null: '/dev/null',
  zero: '/dev/zero',
  full: '/dev/full',
  random: '/dev/random',
  urandom: '/dev/urandom',
  tty: '/dev/tty',
  // a new pseudo-terminal pair on the host's devpts (openpty, script): glibc opens its slave by
  // name, /dev/pts/N, which the instance's ptys let it (ptys.ts)
  ptmx: '/dev/ptmx',
};

/** The instance path of one of those host devices, of the instance's terminals, or of a pty it made; or null. */
export function devPathOfHost(hostPath: string, terminals: readonly string[], ptys: InstancePtys): string | null {
  for (const [name, p] of Object.entries(DEV_HOST_NODES)) if (p === hostPath) return `/dev/${name}`;
  if (terminals.includes(hostPath)) return hostPath;
  const pty = /^\/dev\/pts\/(\d+)$/.exec(hostPath);
  return pty && ptys.has(pty[1]!) ? hostPath : null;
}

/**
 * /dev. `terminals`: the host pseudo-terminals the instance started on (/dev/pts/N, and the first
 * is /dev/console, as in a container); `ptys`: those it makes (/dev/ptmx), which join /dev/pts.
 */
export function devRoot(terminals: readonly string[], ptys: InstancePtys): PseudoDir {
  const entries: Record<string, PseudoNode> = {};
  for (const [name, hostPath] of Object.entries(DEV_HOST_NODES)) entries[name] = { kind: 'host', hostPath };
  entries.ptmx = { kind: 'host', hostPath: DEV_HOST_NODES.ptmx!, opened: (fd: number) => ptys.opened(fd) };
  const ptsNode = (name: string): PseudoHostNode => ({ kind: 'host', hostPath: `/dev/pts/${name}` });
  const started = terminals.map((p) => p.slice(p.lastIndexOf('/') + 1));
  entries.pts = {
    kind: 'dir',
    mode: 0o755,
    names: () => [...started, ...ptys.names().filter((n) => !started.includes(n))],
    lookup: (_proc, name) => (started.includes(name) || ptys.has(name) ? ptsNode(name) : null),
  };
  if (terminals[0] !== undefined) entries.console = { kind: 'host', hostPath: terminals[0] };
  entries.stdin = symlink(() => '/proc/self/fd/0');
  entries.stdout = symlink(() => '/proc/self/fd/1');
  entries.stderr = symlink(() => '/proc/self/fd/2');
  entries.fd = symlink(() => '/proc/self/fd');
  entries.attestation = attestationDir;
  return fixedDir(entries, 0o755);
}
