// Pseudo nodes as real host objects, so that the app's data plane stays native: a file's
// content is a read-only memfd, a directory is a real directory in the instance's scratch
// tmpfs holding one entry per name (getdents64 and fchdir then work as on any directory), a
// host node is the host's own file.
import { host, readDirectory, reopen } from '../../../pal/host.js';
import { check, Errno, SyscallError } from '../../errno.js';
import type { LibosProcess } from '../../process.js';
import { MEMFD_PREFIX, PSEUDO_DIR } from '../scratch-names.js';
import type { PseudoDir, PseudoNode } from './node.js';
import type { Vfs } from '../vfs.js';
import { AT_REMOVEDIR, O_ACCMODE, O_CLOEXEC, O_CREAT, O_DIRECTORY, O_EXCL, O_NOFOLLOW, O_PATH, O_TRUNC } from '../../../pal/linux-abi.js';

const MFD_CLOEXEC = 1;
const DT_DIR = 4;
const DT_LNK = 10;
/**
 * Stand-ins are writable by their owner: each open brings a stand-in's entries up to date, and
 * makes the stand-ins of the directories below it, which a leader that is not root (without
 * CAP_DAC_OVERRIDE) could not do in a directory of mode 0555 (the app sees the pseudo
 * directory's own mode in stat; it has no name by which to change a stand-in).
 */
const STAND_IN_MODE = 0o755;

/** What kind of entry stands for `node` in a directory's stand-in. */
function entryType(node: PseudoNode | null): EntryType {
  if (node?.kind === 'dir') return 'dir';
  if (node?.kind === 'symlink') return 'link';
  return 'file';
}

/** Names and d_types of a host directory (without "." and ".."). */
function entriesOf(fd: number): Map<string, number> {
  const entries = readDirectory(fd);
  if (typeof entries === 'number') throw new SyscallError(-entries, 'getdents64');
  return entries;
}

/** Remove a tree of the scratch tmpfs (a stale stand-in of a directory that is gone). */
function removeTree(dirfd: number, name: string): void {
  if (host.unlinkat(dirfd, name, 0) === 0) return;
  const fd = host.openat(dirfd, name, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) return;
  try {
    for (const child of entriesOf(fd).keys()) removeTree(fd, child);
  } finally {
    host.close(fd);
  }
  host.unlinkat(dirfd, name, AT_REMOVEDIR);
}

/** The stand-in directory of `vpath`, created as needed: a worker fd of it (O_DIRECTORY). */
function standInDirectory(scratchFd: number, vpath: string): number {
  let fd = check(host.openat(scratchFd, PSEUDO_DIR, O_DIRECTORY | O_CLOEXEC, 0), 'scratch pseudo dir');
  for (const c of vpath.split('/').filter(Boolean)) {
    const r = host.mkdirat(fd, c, STAND_IN_MODE);
    if (r < 0 && r !== -Errno.EEXIST) {
      host.close(fd);
      throw new SyscallError(-r, `stand-in of ${vpath}`);
    }
    const next = host.openat(fd, c, O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0);
    host.close(fd);
    fd = check(next, `stand-in of ${vpath}`);
  }
  return fd;
}

type EntryType = 'dir' | 'link' | 'file';

/**
 * A real directory (in the scratch tmpfs) standing for directory `vpath`, with exactly the
 * entries `want` (name -> type) plus the mount points in it: an fd of it opened with `flags`.
 * Entries are brought up to date at every open.
 */
export function openStandIn(vfs: Vfs, vpath: string, want: Map<string, EntryType>, flags: number): number {
  for (const name of vfs.mounts.mountPointsIn(vpath)) want.set(name, 'dir');
  const fd = standInDirectory(vfs.scratchFd, vpath);
  try {
    const have = entriesOf(fd);
    for (const [name, type] of want) {
      const had = have.get(name);
      have.delete(name);
      const haveType = had === undefined ? null : had === DT_DIR ? 'dir' : had === DT_LNK ? 'link' : 'file';
      if (haveType === type) continue;
      if (haveType !== null) removeTree(fd, name);
      if (type === 'dir') host.mkdirat(fd, name, STAND_IN_MODE);
      else if (type === 'link') host.symlinkat('?', fd, name);
      else host.mknodat(fd, name, 0o100444, 0);
    }
    for (const stale of have.keys()) removeTree(fd, stale);
    return check(host.openat(fd, '.', (flags & ~(O_CREAT | O_TRUNC)) | O_DIRECTORY | O_CLOEXEC, 0), `open ${vpath}`);
  } finally {
    host.close(fd);
  }
}

/** The entries of pseudo directory `dir`, as a stand-in lists them. */
async function pseudoEntries(proc: LibosProcess, dir: PseudoDir): Promise<Map<string, EntryType>> {
  const out = new Map<string, EntryType>();
  for (const name of await dir.names(proc)) out.set(name, entryType(await dir.lookup(proc, name)));
  return out;
}

/** The entries of a host directory (`fd`), as a stand-in lists them. */
export function hostEntries(fd: number): Map<string, EntryType> {
  const out = new Map<string, EntryType>();
  for (const [name, type] of entriesOf(fd)) out.set(name, type === DT_DIR ? 'dir' : type === DT_LNK ? 'link' : 'file');
  return out;
}

/** A read-only memfd holding `content`, named after the file's instance path. */
export function contentFd(vpath: string, content: Uint8Array | string): number {
  const bytes = typeof content === 'string' ? Buffer.from(content, 'latin1') : content;
  const memfd = check(host.memfdCreate(`${MEMFD_PREFIX}${vpath}`, MFD_CLOEXEC), `memfd for ${vpath}`);
  try {
    for (let off = 0; off < bytes.byteLength;) off += check(host.pwrite(memfd, bytes.subarray(off), off), `fill ${vpath}`);
    // the app's own read-only open file, with its own offset
    return check(reopen(memfd, 0), `reopen ${vpath}`);
  } finally {
    host.close(memfd);
  }
}

/** Open a pseudo node for the app with `flags`: a worker host fd of what stands for it. */
export async function openPseudo(proc: LibosProcess, node: PseudoNode, vpath: string, flags: number): Promise<number> {
  const writes = (flags & O_ACCMODE) !== 0 || (flags & O_TRUNC) !== 0;
  // every pseudo node is there already (a symlink too: O_EXCL does not follow it)
  if ((flags & (O_CREAT | O_EXCL)) === (O_CREAT | O_EXCL)) throw new SyscallError(Errno.EEXIST, `open ${vpath}`);
  switch (node.kind) {
    case 'dir':
      if (writes) throw new SyscallError(Errno.EISDIR, `open ${vpath} for writing`);
      return openStandIn(proc.vfs, vpath, await pseudoEntries(proc, node), flags);
    case 'file':
      if (flags & O_DIRECTORY) throw new SyscallError(Errno.ENOTDIR, `open ${vpath}`);
      if (writes) throw new SyscallError(Errno.EACCES, `open ${vpath} for writing`);
      if (flags & O_PATH) return contentFd(vpath, '');
      return contentFd(vpath, await node.content(proc));
    case 'host': {
      // the walk has followed the instance's links already: the host path may be a magic link (/proc/self/fd/N)
      const hostFlags = flags & ~(O_CREAT | O_NOFOLLOW | (node.fixedSize ? O_TRUNC : 0));
      const fd = check(host.openat(-100, node.hostPath, hostFlags | O_CLOEXEC, 0), `open ${vpath}`);
      node.opened?.(fd);
      return fd;
    }
    case 'symlink': {
      if (!node.openObject) throw new SyscallError(Errno.ELOOP, `open ${vpath}: a symbolic link`);
      const obj = await node.openObject(proc);
      try {
        // as Linux reopens what /proc/self/fd/N names: a new open file of the same object
        return check(reopen(obj, flags & ~O_CREAT), `open ${vpath}`);
      } finally {
        host.close(obj);
      }
    }
  }
}
