// What /proc needs of a LibosProcess beyond its identity: the VFS's reverse maps (host file ->
// instance path), its mount list, and the process's program and root.
import type { LibosProcess } from '../../process.js';

export interface MountInfo {
  /** the mount point, an instance path */
  path: string;
  type: string;
  source: string;
  readOnly: boolean;
}

/** The program the process runs, as an instance path, or null before the VFS has said. */
export function exePathOf(proc: LibosProcess): string | null {
  return proc.exePath || null;
}

export function rootPathOf(proc: LibosProcess): string {
  return proc.rootPath || '/';
}

/** An instance path as `proc` names it: below its root (chroot), as Linux's d_path does. */
export function asSeenBy(proc: LibosProcess, vpath: string): string {
  const root = rootPathOf(proc);
  if (root === '/' || !vpath.startsWith('/')) return vpath;
  if (vpath === root) return '/';
  if (vpath.startsWith(`${root}/`)) return vpath.slice(root.length);
  return `(unreachable)${vpath}`; // outside its root, as getcwd says it
}

/** The instance path of a host path, or null if the file is not in the instance's tree. */
export function hostToInstance(proc: LibosProcess, hostPath: string): string | null {
  return proc.vfs.hostPathToVirtual(hostPath);
}
