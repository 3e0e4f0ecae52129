// The directories of the first process's PATH that the app's host identity cannot reach by
// path, for the stub's path table. In a root instance the app process runs as an identity of
// its own (GTS_APP_HOST_ID), which no host account has: a directory below one only its owner
// may search (/root, 0700) refuses its walk (EACCES), though the instance's root may go there.
// A shell looks up each program it runs along PATH, in every subshell (the hash of a command
// it first ran in one is lost with it), so each such directory on PATH sent every lookup's
// stat to the worker, and the process with it. An entry with the directory's own fd (opened by
// the worker, which may search the way) lets the stub resolve names below it, each still
// checked against the app's identity. It shows the app's process nothing the mount does not
// grant the instance: the same directory, at its own path, in a read-only mount.
import { host, modeAt } from '../../pal/host.js';
import { O_CLOEXEC, O_DIRECTORY, O_PATH, RESOLVE_BENEATH, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS } from '../../pal/linux-abi.js';
import type { HostMount, MountTable } from './mount.js';

const S_IXOTH = 0o001;

export interface SearchGrant {
  /** the directory's instance path */
  path: string;
  /** an O_PATH fd of it */
  fd: number;
}

/** Is every component of `path` a plain name (no ".", "..", empty one or NUL)? */
function plainAbsolute(path: string): boolean {
  return path.startsWith('/') && path.length > 1 && !path.includes('\0') &&
    path.slice(1).split('/').every((c) => c !== '' && c !== '.' && c !== '..');
}

/**
 * Grants for the directories `dirs` (PATH's) that lie in a read-only mount the stub resolves
 * paths in (`resolves`), with no mount point at or below them, whose way down from the
 * mount's root passes a directory others may not search, and that others may search
 * themselves (or a grant would not help). At most `room`.
 */
export function stubSearchGrants(dirs: readonly string[], mounts: MountTable, resolves: (m: HostMount) => boolean, room: number): SearchGrant[] {
  const out: SearchGrant[] = [];
  for (const dir of new Set(dirs.map((d) => d.replace(/\/+$/, '')))) {
    if (out.length >= room) break;
    if (!plainAbsolute(dir)) continue;
    const { mount: m, rel: within } = mounts.containing(dir);
    if (m.kind !== 'host' || !resolves(m) || !m.readOnly || within === '' || mounts.hasMountPointBelow(dir)) continue;
    const rel = within.split('/');
    const searchable = (depth: number) => {
      const mode = modeAt(m.rootFd, rel.slice(0, depth).join('/'));
      return mode >= 0 && (mode & S_IXOTH) !== 0;
    };
    let refused = false;
    for (let depth = 0; depth < rel.length && !refused; depth++) refused = !searchable(depth);
    if (!refused || !searchable(rel.length)) continue;
    const fd = host.openat2(m.rootFd, rel.join('/'), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS);
    if (fd >= 0) out.push({ path: dir, fd });
  }
  return out;
}
