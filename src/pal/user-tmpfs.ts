// A tmpfs with a size for a leader not run as root: native/launcher/sized-tmpfs.c makes one in a
// user namespace of its own (its files are this user's) and hands its fd over a socket. Mounted
// nowhere, it is reached through that fd alone, and ends with the last one.
import { SIZED_TMPFS_PATH } from '../paths.js';
import { fdFromHelper } from './helper-fd.js';

/** An O_PATH-like fd of the root of a new tmpfs of at most `size` bytes, or why there is none. */
export function userTmpfs(size: number): { fd: number } | { error: string } {
  return fdFromHelper(SIZED_TMPFS_PATH, [String(size)]);
}
