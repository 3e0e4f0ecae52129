// The nodes of a pseudo file system (/proc, /dev, /sys): a tree the LibOS synthesizes on each
// lookup. The VFS walks it (walk.ts) and turns what the app opens into real host fds
// (pseudo/open.ts): a file's content becomes a memfd, a directory's listing a real directory
// (so getdents64 stays native), a host node (/dev/null) is the host's own.
import type { LibosProcess } from '../../process.js';

export type Awaitable<T> = T | Promise<T>;

/** The mode of a pseudo file the app may write (/dev/attestation/user_report_data), as Gramine's. */
export const WRITABLE_FILE_MODE = 0o666;

export interface PseudoDir {
  kind: 'dir';
  /** permission bits (S_IFDIR is added); 0o555 if absent */
  mode?: number;
  /** the names in the directory, without "." and ".." */
  names(proc: LibosProcess): Awaitable<string[]>;
  /** the node called `name`, or null (ENOENT) */
  lookup(proc: LibosProcess, name: string): Awaitable<PseudoNode | null>;
}

export interface PseudoFile {
  kind: 'file';
  /** permission bits (S_IFREG is added); 0o444 if absent */
  mode?: number;
  /** the bytes a reader sees, made when the file is opened (a string is taken as latin1 bytes) */
  content(proc: LibosProcess): Awaitable<Uint8Array | string>;
}

export interface PseudoSymlink {
  kind: 'symlink';
  /** what readlink returns: a path in the instance (or e.g. "pipe:[123]" for an fd) */
  target(proc: LibosProcess): Awaitable<string>;
  /**
   * A "magic link" (/proc/[pid]/fd/N): opening it opens the object itself rather than the path
   * its target names. Returns a worker host fd of that object (the VFS reopens it with the
   * app's flags where that makes sense). Absent: the target path is followed as usual.
   */
  openObject?(proc: LibosProcess): Awaitable<number>;
}

/**
 * A host device or file the app opens as itself, e.g. /dev/null, or a file the LibOS keeps for
 * the instance, e.g. /dev/attestation/keys/NAME, which the leader holds (the data plane stays
 * native: what the app writes is there for the next reader).
 */
export interface PseudoHostNode {
  kind: 'host';
  hostPath: string;
  /** opened without O_TRUNC: its size is fixed (a sealed memfd), a write replaces its bytes */
  fixedSize?: boolean;
  /** told of each worker host fd opened for the app (/dev/ptmx: a pty the instance made) */
  opened?(fd: number): void;
}

export type PseudoNode = PseudoDir | PseudoFile | PseudoSymlink | PseudoHostNode;

/** A directory of fixed entries. */
export function fixedDir(entries: Record<string, PseudoNode>, mode?: number): PseudoDir {
  return {
    kind: 'dir',
    ...(mode === undefined ? {} : { mode }),
    names: () => Object.keys(entries),
    lookup: (_proc, name) => (Object.hasOwn(entries, name) ? entries[name]! : null),
  };
}

/** A read-only file whose content is computed at open. */
export function textFile(content: (proc: LibosProcess) => Awaitable<Uint8Array | string>, mode?: number): PseudoFile {
  return { kind: 'file', content, ...(mode === undefined ? {} : { mode }) };
}

export function symlink(target: (proc: LibosProcess) => Awaitable<string>): PseudoSymlink {
  return { kind: 'symlink', target };
}
