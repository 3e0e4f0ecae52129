// What the walk learned of the names on read-only mounts: each is a symlink (to what) or not.
// The app cannot change a read-only mount, so an answer stays true for the instance (a change
// made on the host under a running instance is not seen, as with Gramine's trusted files).
// Writable mounts are always asked anew: another process may have changed them.
import { host } from '../../pal/host.js';
import type { HostMount } from './mount.js';

/** Entries kept at most; the oldest go first. */
const MAX_ENTRIES = 8192;

/** A name's kind: a symlink's target, or null for anything else that exists. */
type Known = string | null;

export class DentryCache {
  private readonly known = new Map<string, Known>();

  /**
   * readlinkat(mount root, rel) as the walk needs it: the target of a symlink, null for a name
   * that is not one, or -errno.
   */
  readlink(mount: HostMount, rel: string, buf: Buffer): string | null | number {
    const key = mount.readOnly ? `${mount.path}\0${rel}` : null;
    if (key !== null) {
      const hit = this.known.get(key);
      if (hit !== undefined) return hit;
    }
    const n = host.readlinkat(mount.rootFd, rel, buf);
    const answer = n >= 0 ? buf.toString('latin1', 0, n) : n === -22 /* EINVAL: not a link */ ? null : n;
    if (key !== null && typeof answer !== 'number') {
      if (this.known.size >= MAX_ENTRIES) this.known.delete(this.known.keys().next().value!);
      this.known.set(key, answer);
    }
    return answer;
  }
}
