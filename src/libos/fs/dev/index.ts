// The instance's /dev: the host's harmless character devices as themselves (reads and writes
// stay native), the terminals the instance was started on (/dev/pts/N, the host's own: `tty`
// names them), and the links to the process's own fds. /dev/shm is a tmpfs the VFS mounts on
// top; /dev/attestation belongs to the attestation interface.
import { fixedDir, symlink, type PseudoDir, type PseudoHostNode, type PseudoNode } from '../pseudo/node.js';

/** The host devices the app opens as themselves: /dev/NAME -> host path. */
export const DEV_HOST_NODES: Readonly<Record<string, string>> = {
  null: '/dev/null',
  zero: '/dev/zero',
  full: '/dev/full',
  random: '/dev/random',
  urandom: '/dev/urandom',
  tty: '/dev/tty',
};

/** The instance path of one of those host devices, or of one of the instance's terminals, or null. */
export function devPathOfHost(hostPath: string, terminals: readonly string[]): string | null {
  for (const [name, p] of Object.entries(DEV_HOST_NODES)) if (p === hostPath) return `/dev/${name}`;
  return terminals.includes(hostPath) ? hostPath : null;
}

export function devRoot(terminals: readonly string[]): PseudoDir {
  const entries: Record<string, PseudoNode> = {};
  for (const [name, hostPath] of Object.entries(DEV_HOST_NODES)) {
    const node: PseudoHostNode = { kind: 'host', hostPath };
    entries[name] = node;
  }
  const pts: Record<string, PseudoNode> = {};
  for (const hostPath of terminals) pts[hostPath.slice(hostPath.lastIndexOf('/') + 1)] = { kind: 'host', hostPath };
  entries.pts = fixedDir(pts, 0o755);
  entries.stdin = symlink(() => '/proc/self/fd/0');
  entries.stdout = symlink(() => '/proc/self/fd/1');
  entries.stderr = symlink(() => '/proc/self/fd/2');
  entries.fd = symlink(() => '/proc/self/fd');
  return fixedDir(entries, 0o755);
}
