// The instance's mount table: what the manifest's fs.root and fs.mounts put where, and the
// reverse map from a host file back to the instance path it is seen at.
import type { PseudoDir } from './pseudo/node.js';
import type { DentryCache } from './dentry-cache.js';
import type { EncryptedMount } from './encrypted/mount-info.js';

/** Files of the host under a host directory: a `chroot` mount, or a tmpfs (a host tmpfs directory). */
export interface HostMount {
  kind: 'host';
  /** the mount point: an instance path, canonical ("/", "/tmp") */
  path: string;
  type: 'chroot' | 'tmpfs';
  /** a worker O_PATH fd of the host directory mounted there */
  rootFd: number;
  /** the host path of that directory, as the kernel names it to this worker (for the reverse map) */
  hostRoot: string;
  /** the host device of `hostRoot` when the mount is told apart by its device (tmpfs), else null */
  dev: bigint | null;
  readOnly: boolean;
  /** what /proc/mounts shows as the source */
  source: string;
  /**
   * a mount of one file: its name in the host directory `rootFd` (the mount point is that
   * file, and nothing else of the directory is in the tree); null for a directory mount
   */
  file: string | null;
  /** why nothing below the mount point may be opened, or null */
  refusal: string | null;
  /** the refusal is the instance's policy (a hidden host directory), not a feature it lacks */
  hidden: boolean;
  /** an empty directory made up for a mount point whose parent is not in the tree (not in /proc/mounts) */
  synthesized: boolean;
  /** its files only: no sub-directory may be entered or made (an untrusted_shm mount, as Gramine's) */
  flat: boolean;
  /** an encrypted mount (its files are protected files on the host: encrypted/), or null */
  encrypted: EncryptedMount | null;
  /** what walks learned of a read-only mount (null: writable, always asked anew) */
  known: DentryCache | null;
  /**
   * a host path of the root that is the same in every process of the instance (an fd the
   * leader holds): a UNIX socket bound here whose app path the host would not resolve alike is
   * bound below it, and known again by it (sys/net.ts)
   */
  socketRoot: string;
}

/** A tree the LibOS synthesizes: /proc, /dev, /sys. */
export interface PseudoMount {
  kind: 'pseudo';
  path: string;
  type: 'proc' | 'dev' | 'sys';
  root: PseudoDir;
}

export type VfsMount = HostMount | PseudoMount;

/** An instance path as components ("/" is []). */
export function components(vpath: string): string[] {
  return vpath.split('/').filter((c) => c !== '');
}

export function joinPath(parts: readonly string[]): string {
  return `/${parts.join('/')}`;
}

const NONE: readonly string[] = [];

export class MountTable {
  private readonly byPath = new Map<string, VfsMount>();
  /** the last components of the mount points: most names are none of them */
  private readonly pointNames = new Set<string>();
  /** directory -> the names of the mount points in it (asked at every open of a directory) */
  private readonly pointsByDir = new Map<string, string[]>();
  /** every directory with a mount point somewhere below it */
  private readonly pointAncestors = new Set<string>();

  /** `mounts` in mount order: a later mount at the same path hides the earlier one. */
  constructor(readonly list: readonly VfsMount[]) {
    for (const m of list) {
      this.byPath.set(m.path, m);
      if (m.path === '/') continue;
      const slash = m.path.lastIndexOf('/');
      const name = m.path.slice(slash + 1);
      const dir = slash === 0 ? '/' : m.path.slice(0, slash);
      this.pointNames.add(name);
      const names = this.pointsByDir.get(dir) ?? [];
      if (!names.includes(name)) names.push(name);
      this.pointsByDir.set(dir, names);
      for (let d = dir; d !== '/'; d = d.slice(0, Math.max(d.lastIndexOf('/'), 1))) this.pointAncestors.add(d);
    }
    if (!this.byPath.has('/')) throw new Error('mount table: nothing is mounted at /');
  }

  /** Could a directory entry called `name` be a mount point? (If not, no need to look.) */
  isMountPointName(name: string): boolean {
    return this.pointNames.has(name);
  }

  /** Is there a mount point below directory `vpath` (then the walk makes it up where it is missing)? */
  hasMountPointBelow(vpath: string): boolean {
    return this.pointAncestors.has(vpath);
  }

  /** The mount whose mount point is exactly `vpath`. */
  at(vpath: string): VfsMount | undefined {
    return this.byPath.get(vpath);
  }

  /** The directories with mount points directly inside them. */
  get mountPointParents(): readonly string[] {
    return [...this.pointsByDir.keys()];
  }

  /** The names of the mount points directly inside directory `vpath`. */
  mountPointsIn(vpath: string): readonly string[] {
    return this.pointsByDir.get(vpath) ?? NONE;
  }

  get root(): VfsMount {
    return this.byPath.get('/')!;
  }

  /** The mount a canonical instance path is on, and the path inside it ("" for its root). */
  containing(vpath: string): { mount: VfsMount; rel: string } {
    for (let p = vpath; ; p = p.slice(0, Math.max(p.lastIndexOf('/'), 1))) {
      const m = this.byPath.get(p);
      if (m) return { mount: m, rel: p === vpath ? '' : vpath.slice(p === '/' ? 1 : p.length + 1) };
      if (p === '/') throw new Error('unreachable: "/" is always mounted');
    }
  }

  /** The instance path of a host path below a mount's socketRoot (a UNIX socket address the stub bound), or null. */
  socketRootToVirtual(hostPath: string): string | null {
    for (const m of this.list) {
      if (m.kind === 'host' && m.socketRoot && isUnder(hostPath, m.socketRoot)) return rebase(hostPath, m.socketRoot, m.path);
    }
    return null;
  }

  /**
   * The instance path of a host path (`dev` is the file's host device), or null if the file is
   * not in the instance's tree. Mounts told apart by device come first; otherwise the mount with
   * the longest host root that holds the path (a host directory mounted twice shows at the
   * deeper mount).
   */
  hostToVirtual(hostPath: string, dev: bigint): string | null {
    let best: HostMount | null = null;
    for (const m of this.list) {
      if (m.kind !== 'host') continue;
      if (m.file !== null) {
        // a single-file mount is that file alone (and the most specific mount of it)
        if (hostPath === `${m.hostRoot === '/' ? '' : m.hostRoot}/${m.file}` && (m.dev === null || m.dev === dev)) return m.path;
        continue;
      }
      if (m.dev !== null && m.dev !== dev) continue;
      if (!isUnder(hostPath, m.hostRoot)) continue;
      if (m.dev !== null) return rebase(hostPath, m.hostRoot, m.path);
      if (!best || m.hostRoot.length > best.hostRoot.length) best = m;
    }
    return best ? rebase(hostPath, best.hostRoot, best.path) : null;
  }

  /**
   * Does a writable mount hold host file `hostPath` (on device `dev`)? A host directory mounted
   * both read-only and writable may be changed: the writable mount lets the app do it anyway.
   */
  writableMountHolds(hostPath: string, dev: bigint): boolean {
    return this.list.some((m) => m.kind === 'host' && !m.readOnly && (m.dev === null || m.dev === dev) && isUnder(hostPath, m.hostRoot));
  }
}

function isUnder(p: string, root: string): boolean {
  return root === '/' || p === root || p.startsWith(`${root}/`);
}

function rebase(p: string, from: string, to: string): string {
  const rest = from === '/' ? p.slice(1) : p.slice(from.length + 1);
  if (rest === '') return to;
  return to === '/' ? `/${rest}` : `${to}/${rest}`;
}
