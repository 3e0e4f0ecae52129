// The top-level symlinks of a read-only mount that the stub may resolve itself: on a usr-merged
// root, /lib -> usr/lib (and bin, sbin, lib64, ...). Every dynamic program opens its libraries
// through /lib, and the stub's opens refuse symlinks (RESOLVE_NO_SYMLINKS), so each went to the
// worker. An alias entry of the path table lets the stub open "/lib/x" as "usr/lib/x" below the
// mount's root, still beneath it and without symlinks. Read-only mounts only: the app cannot
// change such a link (the table is made once, when the worker's instance is configured).
import { host } from '../../pal/host.js';
import type { HostMount, MountTable } from './mount.js';

/** The names usr-merged systems make links of. */
const CANDIDATES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32'];
/** a relative target of plain names, no "." or ".." (the stub has room for 63 bytes) */
const PLAIN_TARGET = /^(?!\.\.?(\/|$))[A-Za-z0-9_+-][A-Za-z0-9._+-]*(\/(?!\.\.?(\/|$))[A-Za-z0-9_+-][A-Za-z0-9._+-]*)*$/;
const TARGET_MAX = 63;

export interface StubAlias {
  /** the link's instance path */
  link: string;
  /** its target, relative to the mount's root */
  target: string;
}

/**
 * Aliases for mount `m` (the stub resolves paths below its root): each link at its top whose
 * target is a plain relative path, where neither the link nor the target has a mount at or
 * below it (those paths are other mounts' or the worker's).
 */
export function stubAliases(m: HostMount, mounts: MountTable, linkBuffer: Buffer): StubAlias[] {
  if (!m.readOnly) return [];
  const base = m.path === '/' ? '' : m.path;
  const hasMountAtOrBelow = (p: string) => mounts.at(p) !== undefined || mounts.hasMountPointBelow(p);
  const out: StubAlias[] = [];
  for (const name of CANDIDATES) {
    const n = host.readlinkat(m.rootFd, name, linkBuffer);
    if (n <= 0) continue; // no such entry, or not a link
    const target = linkBuffer.toString('latin1', 0, n);
    if (target.length > TARGET_MAX || !PLAIN_TARGET.test(target)) continue;
    const link = `${base}/${name}`;
    if (hasMountAtOrBelow(link) || hasMountAtOrBelow(`${base}/${target}`)) continue;
    out.push({ link, target });
  }
  return out;
}
