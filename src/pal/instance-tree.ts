// The file tree a root instance's app processes are rooted in: native/launcher/instance-tree.c
// builds it in a mount namespace of its own -- each granted host path at its own path, an empty
// read-only tmpfs around them and a /proc -- and hands over its root, mounted nowhere.
import { INSTANCE_TREE_PATH } from '../paths.js';
import { fdFromHelper } from './helper-fd.js';

/** An fd of the root of a tree holding `hostPaths` (absolute: directories and files), or why there is none. */
export function instanceTree(hostPaths: readonly string[]): { fd: number } | { error: string } {
  return fdFromHelper(INSTANCE_TREE_PATH, [...new Set(hostPaths)]);
}
