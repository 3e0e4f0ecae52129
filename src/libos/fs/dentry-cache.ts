// What walks learned of a read-only mount: each name is a symlink (to what) or not, and an
// O_PATH fd of each directory ops were done in. The app cannot change a read-only mount, so an
// answer stays true for the instance (a change made on the host under a running instance is not
// seen, as with Gramine's trusted files). Writable mounts have no cache: another process may
// have changed them.
import { check } from '../errno.js';
import { host } from '../../pal/host.js';
import { O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from '../../pal/linux-abi.js';

/** Names kept at most, and directory fds; the oldest go first. */
const MAX_NAMES = 8192;
const MAX_DIRS = 64;


/**
 * An O_PATH fd of directory `rel` below a mount's root, opened inside the root with no symlink
 * allowed on the way (the walk has checked each component: a symlink here means the tree
 * changed under us -- ELOOP, never an escape).
 */
export function openMountDirectory(rootFd: number, rel: string, vpath: string): number {
  return check(
    host.openat2(rootFd, rel, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS),
    `lookup ${vpath}`,
  );
}

/** What the walk needs of a name: a symlink's target, null for anything else there, or -errno. */
export type NameLookup = string | null | number;

export class DentryCache {
  private readonly names = new Map<string, string | null>();
  private readonly dirs = new Map<string, number>();

  constructor(private readonly rootFd: number) {}

  /** readlinkat(root, rel) as the walk needs it: learned once. */
  readlink(rel: string, buf: Buffer): NameLookup {
    const hit = this.names.get(rel);
    if (hit !== undefined) return hit;
    const answer = readlinkOf(this.rootFd, rel, buf);
    if (typeof answer !== 'number') remember(this.names, rel, answer, MAX_NAMES);
    return answer;
  }

  /** An O_PATH fd of directory `rel` (kept: the caller must not close it). */
  directory(rel: string, vpath: string): number {
    const hit = this.dirs.get(rel);
    if (hit !== undefined) return hit;
    const fd = openMountDirectory(this.rootFd, rel, vpath);
    const evicted = remember(this.dirs, rel, fd, MAX_DIRS);
    if (evicted !== undefined) host.close(evicted);
    return fd;
  }
}

/** readlinkat as the walk needs it: the target, null for a name that is no symlink, or -errno. */
export function readlinkOf(rootFd: number, rel: string, buf: Buffer): NameLookup {
  const n = host.readlinkat(rootFd, rel, buf);
  return n >= 0 ? buf.toString('latin1', 0, n) : n === -22 /* EINVAL: not a link */ ? null : n;
}

/** Keep `key` -> `value` in a bounded map; the value pushed out, if any. */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): V | undefined {
  let evicted: V | undefined;
  if (map.size >= max) {
    const oldest = map.keys().next().value!;
    evicted = map.get(oldest);
    map.delete(oldest);
  }
  map.set(key, value);
  return evicted;
}
