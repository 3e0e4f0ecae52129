// The path walk: an app's (dirfd, path) to a place in the instance's tree, component by
// component as Linux's namei does -- mounts crossed, symlinks (host and pseudo) followed by the
// LibOS itself, ".." kept below the process's root. The host never resolves more than one
// verified component at a time, so no spelling of a path leaves the mounts.
import { fileTypeAt, host } from '../../pal/host.js';
import { Errno, SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { Vfs } from './vfs.js';
import { readlinkOf } from './dentry-cache.js';
import { joinPath, type HostMount, type MountTable, type PseudoMount, type VfsMount } from './mount.js';
import type { Awaitable, PseudoDir, PseudoNode } from './pseudo/node.js';
import {
  AT_FDCWD, RESOLVE_BENEATH, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, RESOLVE_NO_XDEV, S_IFDIR,
} from '../../pal/linux-abi.js';


/** Linux's limit on symlinks followed in one walk. */
const MAX_SYMLINKS = 40;
const NAME_MAX = 255;

/** A place on a host mount: the file `name` in directory `dirRel` of the mount ("." is the directory itself). */
export interface HostLocation {
  kind: 'host';
  mount: HostMount;
  /** the parent directory inside the mount ("" for its root) */
  dirRel: string;
  name: string;
  /** the canonical instance path */
  vpath: string;
  /** the path ended in "/": the kernel must find a directory there */
  trailingSlash: boolean;
  /** the path ended in "." or ".." (the location is then the directory itself) */
  dots: Dots;
}

export type Dots = '.' | '..' | null;

/** A place in a pseudo tree; `node` is null when nothing is there. */
export interface PseudoLocation {
  kind: 'pseudo';
  mount: PseudoMount;
  node: PseudoNode | null;
  name: string;
  vpath: string;
  trailingSlash: boolean;
  dots: Dots;
  /** a final magic link is its object (followed), not the link */
  follow: boolean;
}

export type Location = HostLocation | PseudoLocation;

export interface WalkOptions {
  /** follow a symlink in the last component */
  follow: boolean;
  /** "" names the dirfd itself (AT_EMPTY_PATH) */
  emptyPath?: boolean;
  /** a trailing "/" does not make the last component followed (unlink, rmdir, as Linux) */
  slashKeepsLink?: boolean;
  /** openat2's RESOLVE_* flags */
  resolve?: number;
}


/** What a walk needs of a process (the first one is walked for before it exists). */
export type WalkContext = Pick<LibosProcess, 'rootPath' | 'cwdInstancePath' | 'cwdDirFd' | 'hostFdFor'> & { readonly vfs: Vfs };

/** Where a walk is: the canonical directory reached so far, and what is left to walk. */
interface WalkState {
  proc: WalkContext;
  /** the directory reached, as canonical components */
  dir: string[];
  /** the components still to walk, last first (a stack) */
  todo: string[];
  links: number;
  follow: boolean;
  trailingSlash: boolean;
  /** the walk's root: the process's, or the dirfd's with RESOLVE_IN_ROOT */
  root: string[];
  /** RESOLVE_BENEATH: the walk may not go above this many components (null: no limit) */
  floor: number | null;
  resolve: number;
  /** the last component pushed was found but not yet seen to be a directory */
  unchecked: boolean;
  dots: Dots;
  /** `dir` as a path, its mount and the path inside it (null: to be worked out again) */
  at: Position | null;
}

interface Position {
  path: string;
  mount: VfsMount;
  rel: string;
}

/** Where the walk is, worked out once per change of directory (not once per component). */
function position(st: WalkState): Position {
  if (st.at === null) {
    const path = joinPath(st.dir);
    const { mount, rel } = st.proc.vfs.mounts.containing(path);
    st.at = { path, mount, rel };
  }
  return st.at;
}

/** Set the walk's directory (to be worked out again when asked). */
function moveTo(st: WalkState, dir: string[]): void {
  st.dir = dir;
  st.at = null;
}

/**
 * Components of a path, pushed on the walk's stack (so the first is popped first). A final "."
 * stays: the component before it is then not the last one, and is followed if a symlink.
 */
function pushPath(st: WalkState, path: string): void {
  const parts = path.split('/');
  for (let i = parts.length - 1; i >= 0; i--) {
    const c = parts[i]!;
    if (c === '' || (c === '.' && i !== parts.length - 1)) continue;
    if (c.length > NAME_MAX) throw new SyscallError(Errno.ENAMETOOLONG, `path component of ${path.length} bytes`);
    st.todo.push(c);
  }
}

/** The process's root, as components. */
function rootOf(proc: WalkContext): string[] {
  return proc.rootPath === '/' ? [] : proc.rootPath.slice(1).split('/');
}

/** A walk that would leave where RESOLVE_BENEATH keeps it. */
function notBeneath(what: string): never {
  throw new SyscallError(Errno.EXDEV, `${what}: outside the directory (RESOLVE_BENEATH)`);
}

/**
 * Resolve (dirfd, path) as the app named it. Host mounts are walked synchronously; a walk that
 * enters a pseudo tree (/proc) may wait for the leader and returns a promise.
 */
export function resolve(proc: WalkContext, dirfd: number, path: string, opts: WalkOptions): Awaitable<Location> {
  if (path === '' && !opts.emptyPath) throw new SyscallError(Errno.ENOENT, 'empty path');
  const trailingSlash = path.length > 1 && path.endsWith('/');
  const resolveFlags = opts.resolve ?? 0;
  const st: WalkState = {
    proc, dir: [], todo: [], links: 0, follow: opts.follow || (trailingSlash && !opts.slashKeepsLink), trailingSlash,
    root: rootOf(proc), floor: null, resolve: resolveFlags, unchecked: false, dots: null, at: null,
  };
  if (path.startsWith('/') && !(resolveFlags & RESOLVE_IN_ROOT)) {
    if (resolveFlags & RESOLVE_BENEATH) notBeneath(path);
    moveTo(st, [...st.root]);
  } else {
    try {
      moveTo(st, startDirectory(proc, dirfd));
    } catch (e) {
      // a removed working directory has no path, but "." still names it
      if (dirfd === AT_FDCWD && e instanceof SyscallError && e.errno === Errno.ENOENT && /^(\.\/*)+$/.test(path))
        return removedCwd(proc, trailingSlash);
      throw e;
    }
  }
  if (resolveFlags & RESOLVE_IN_ROOT) st.root = [...st.dir];
  if (resolveFlags & RESOLVE_BENEATH) st.floor = st.dir.length;
  pushPath(st, path);
  return walk(st);
}

/** The working directory after its removal, as "." names it: the directory the cwd fd holds. */
function removedCwd(proc: WalkContext, trailingSlash: boolean): HostLocation {
  const text = proc.vfs.virtualPathOfHostFd(proc.cwdDirFd);
  const vpath = text?.replace(/ \(deleted\)$/, '') ?? '';
  const mount = vpath.startsWith('/') ? proc.vfs.mounts.containing(vpath).mount : null;
  if (mount?.kind !== 'host') throw new SyscallError(Errno.ENOENT, 'the working directory was removed');
  return { kind: 'host', mount: { ...mount, rootFd: proc.cwdDirFd }, dirRel: '', name: '.', vpath, trailingSlash, dots: '.' };
}

/** The canonical components of the directory a relative path starts from. */
function startDirectory(proc: WalkContext, dirfd: number): string[] {
  if (dirfd === AT_FDCWD) return pathComponents(proc.cwdInstancePath());
  const fd = proc.hostFdFor(dirfd);
  try {
    const vpath = proc.vfs.virtualPathOfHostFd(fd);
    // a pipe or a socket is no directory; a file outside the tree cannot be walked from
    if (vpath === null || !vpath.startsWith('/')) throw new SyscallError(Errno.ENOTDIR, `dirfd ${dirfd}`);
    return pathComponents(vpath);
  } finally {
    host.close(fd);
  }
}

function pathComponents(vpath: string): string[] {
  return vpath.split('/').filter((c) => c !== '');
}

function atRoot(st: WalkState): boolean {
  return st.dir.length === st.root.length && st.root.every((c, i) => st.dir[i] === c);
}

/** "." and "..": the directory reached must be one (a file followed by ".." is ENOTDIR). */
function dotComponent(st: WalkState, c: '.' | '..'): void {
  if (st.unchecked) {
    const { path: vpath, mount, rel } = position(st);
    if (mount.kind === 'host') {
      const type = fileTypeAt(mount.rootFd, rel);
      if (type < 0) throw new SyscallError(-type, `lookup ${vpath}`);
      if (type !== S_IFDIR) throw new SyscallError(Errno.ENOTDIR, `lookup ${vpath}/${c}`);
    }
    st.unchecked = false;
  }
  if (st.todo.length === 0) st.dots = c;
  if (c === '..' && !atRoot(st)) {
    if (st.floor !== null && st.dir.length <= st.floor) notBeneath(joinPath(st.dir));
    if (st.resolve & RESOLVE_NO_XDEV && st.proc.vfs.mounts.at(joinPath(st.dir)))
      throw new SyscallError(Errno.EXDEV, `lookup ${joinPath(st.dir)}/..: out of a mount (RESOLVE_NO_XDEV)`);
    st.dir.pop();
    st.at = null;
  }
}

function isLast(st: WalkState): boolean {
  return st.todo.length === 0;
}

/** The directory itself as a location (a path ending in ".", "..", or naming a mount point). */
function directoryItself(st: WalkState): Awaitable<Location> {
  const { path: vpath, mount, rel } = position(st);
  if (mount.kind === 'host') {
    return { kind: 'host', mount, dirRel: rel, name: '.', vpath, trailingSlash: st.trailingSlash, dots: st.dots };
  }
  return pseudoNodeAt(processOf(st), mount, rel).then((node) => ({
    kind: 'pseudo' as const, mount, node, name: '.', vpath, trailingSlash: st.trailingSlash, dots: st.dots, follow: st.follow,
  }));
}

function walk(st: WalkState): Awaitable<Location> {
  const mounts = st.proc.vfs.mounts;
  const buf = st.proc.vfs.linkBuffer;
  for (;;) {
    const c = st.todo.pop();
    if (c === undefined) return directoryItself(st);
    if (c === '.' || c === '..') {
      dotComponent(st, c);
      continue;
    }
    const last = isLast(st);
    const here = position(st);
    const vpath = here.path === '/' ? `/${c}` : `${here.path}/${c}`;
    const point = mounts.isMountPointName(c) ? mounts.at(vpath) : undefined;
    if (point) {
      if (st.resolve & RESOLVE_NO_XDEV) throw new SyscallError(Errno.EXDEV, `lookup ${vpath}: a mount point (RESOLVE_NO_XDEV)`);
      if (point.kind === 'host' && point.file !== null && (!last || st.trailingSlash))
        throw new SyscallError(Errno.ENOTDIR, `lookup ${vpath}: a file`);
      if (point.kind === 'host' && point.refusal !== null && !last) st.proc.vfs.refuse(point, vpath);
      st.unchecked = false;
      st.dir.push(c);
      st.at = { path: vpath, mount: point, rel: '' };
      if (last) return directoryItself(st);
      continue; // a mount point is its mount's root: a directory
    }
    const mount = here.mount;
    if (mount.kind === 'host' && mount.refusal !== null) st.proc.vfs.refuse(mount, vpath);
    const rel = here.rel === '' ? c : `${here.rel}/${c}`;
    if (mount.kind === 'pseudo') {
      st.todo.push(c);
      return walkPseudo(st, mount);
    }
    if (last && !st.follow) return hostLocation(st, mount, rel, c, vpath);
    const link = mount.known ? mount.known.readlink(rel, buf) : readlinkOf(mount.rootFd, rel, buf);
    st.unchecked = false;
    if (typeof link === 'string') {
      if (mount.encrypted !== null) throw new SyscallError(Errno.EACCES, `lookup ${vpath}: a symbolic link in an encrypted mount (not supported)`);
      followLink(st, link);
      continue;
    }
    if (link === null || (link === -Errno.ENOENT && last)) {
      if (last) return hostLocation(st, mount, rel, c, vpath);
      if (mount.flat) throw new SyscallError(Errno.EACCES, `lookup ${vpath}: a sub-directory of a shared-memory mount`);
      st.dir.push(c);
      st.at = { path: vpath, mount, rel };
      st.unchecked = true;
      continue;
    }
    throw new SyscallError(-link, `lookup ${vpath}`);
  }
}

function hostLocation(st: WalkState, mount: HostMount, rel: string, name: string, vpath: string): HostLocation {
  const slash = rel.lastIndexOf('/');
  return {
    kind: 'host', mount, dirRel: slash < 0 ? '' : rel.slice(0, slash), name, vpath, trailingSlash: st.trailingSlash, dots: null,
  };
}

function followLink(st: WalkState, target: string): void {
  if (st.resolve & RESOLVE_NO_SYMLINKS) throw new SyscallError(Errno.ELOOP, 'a symbolic link (RESOLVE_NO_SYMLINKS)');
  if (++st.links > MAX_SYMLINKS) throw new SyscallError(Errno.ELOOP, 'too many symbolic links');
  if (target === '') throw new SyscallError(Errno.ENOENT, 'empty symlink');
  // a last link's target ending in "/" must be a directory, as a path ending in "/" (followed)
  if (st.todo.length === 0 && target.length > 1 && target.endsWith('/')) {
    st.trailingSlash = true;
    st.follow = true;
  }
  if (target.startsWith('/')) {
    if (st.floor !== null) notBeneath(target);
    const mounts = st.proc.vfs.mounts;
    if (st.resolve & RESOLVE_NO_XDEV && position(st).mount !== mounts.containing(joinPath(st.root)).mount)
      throw new SyscallError(Errno.EXDEV, `symlink to ${target}: another mount (RESOLVE_NO_XDEV)`);
    moveTo(st, [...st.root]);
  }
  pushPath(st, target);
}

/** Pseudo trees are synthesized for a process: one that does not run yet cannot see them. */
function processOf(st: WalkState): LibosProcess {
  if (!('app' in st.proc)) throw new SyscallError(Errno.EACCES, 'a pseudo file before the process runs');
  return st.proc as LibosProcess;
}

/** The node at `rel` inside a pseudo tree (null if there is none). */
async function pseudoNodeAt(proc: LibosProcess, mount: PseudoMount, rel: string): Promise<PseudoNode | null> {
  let node: PseudoNode | null = mount.root;
  for (const c of rel === '' ? [] : rel.split('/')) {
    if (node?.kind !== 'dir') return null;
    node = await node.lookup(proc, c);
  }
  return node;
}

/**
 * The instance path of a magic link's object (/proc/self/fd/N, /proc/self/cwd), if it is a
 * file of a host mount that still has that name; null for pipes, sockets, deleted files,
 * pseudo files.
 */
async function magicLinkPath(proc: LibosProcess, open: (proc: LibosProcess) => Awaitable<number>): Promise<string | null> {
  const fd = await open(proc);
  try {
    const vpath = proc.vfs.virtualPathOfHostFd(fd);
    if (vpath === null || !vpath.startsWith('/') || vpath.endsWith(' (deleted)')) return null;
    return proc.vfs.mounts.containing(vpath).mount.kind === 'host' ? vpath : null;
  } finally {
    host.close(fd);
  }
}

/**
 * A directory a pseudo tree does not have but a mount point below it needs (as Gramine makes
 * them up): it lists the mount points in it; null where there is none below.
 */
function madeUpParent(mounts: MountTable, vpath: string): PseudoDir | null {
  if (!mounts.hasMountPointBelow(vpath)) return null;
  return { kind: 'dir', names: () => [...mounts.mountPointsIn(vpath)], lookup: () => null };
}

/** Walk on inside a pseudo tree; leaving it (by ".." or a symlink) goes back to walk(). */
async function walkPseudo(st: WalkState, mount: PseudoMount): Promise<Location> {
  const proc = processOf(st);
  const depth = mount.path === '/' ? 0 : mount.path.split('/').length - 1;
  const start = await pseudoNodeAt(proc, mount, st.dir.slice(depth).join('/'));
  if (start?.kind !== 'dir') throw new SyscallError(Errno.ENOTDIR, `lookup ${joinPath(st.dir)}`);
  let dir: PseudoDir = start;
  for (;;) {
    const c = st.todo.pop();
    if (c === undefined) return directoryItself(st);
    if (c === '.') {
      dotComponent(st, c);
      continue;
    }
    if (c === '..' || proc.vfs.mounts.at(joinPath([...st.dir, c]))) {
      st.todo.push(c);
      return walk(st);
    }
    const last = isLast(st);
    const vpath = joinPath([...st.dir, c]);
    const node = (await dir.lookup(proc, c)) ?? madeUpParent(proc.vfs.mounts, vpath);
    const here = (n: PseudoNode | null): PseudoLocation => ({
      kind: 'pseudo', mount, node: n, name: c, vpath, trailingSlash: st.trailingSlash, dots: null, follow: st.follow,
    });
    if (node === null) {
      if (last) return here(null);
      throw new SyscallError(Errno.ENOENT, `lookup ${vpath}`);
    }
    if (node.kind === 'symlink') {
      if (last && !st.follow) return here(node);
      if (node.openObject) {
        if (st.resolve & (RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS | RESOLVE_BENEATH | RESOLVE_IN_ROOT))
          throw new SyscallError(Errno.ELOOP, `${vpath}: a magic link (RESOLVE_*)`);
        // a magic link names its object: the file's own path, when it has one in the tree
        const path = await magicLinkPath(proc, node.openObject);
        if (path === null) {
          if (last) return here(node); // a pipe, a deleted file: only the object itself
          throw new SyscallError(Errno.ENOTDIR, `lookup ${vpath}`);
        }
        if (++st.links > MAX_SYMLINKS) throw new SyscallError(Errno.ELOOP, 'too many symbolic links');
        moveTo(st, []);
        pushPath(st, path);
        return walk(st);
      }
      followLink(st, await node.target(proc));
      return walk(st);
    }
    if (last) return here(node);
    if (node.kind !== 'dir') throw new SyscallError(Errno.ENOTDIR, `lookup ${vpath}`);
    st.dir.push(c);
    st.at = null;
    dir = node;
  }
}
