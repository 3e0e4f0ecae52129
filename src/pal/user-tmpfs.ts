// A tmpfs with a size for a leader not run as root: native/launcher/sized-tmpfs.c makes one in a
// user namespace of its own (its files are this user's) and hands its fd over a socket. Mounted
// nowhere, it is reached through that fd alone, and ends with the last one.
import { spawnSync } from 'node:child_process';
import { SIZED_TMPFS_PATH } from '../paths.js';
import { addon } from './addon.js';
import { seqpacketPair } from './app.js';
import { host } from './host.js';

/** An O_PATH-like fd of the root of a new tmpfs of at most `size` bytes, or why there is none. */
export function userTmpfs(size: number): { fd: number } | { error: string } {
  const [mine, theirs] = seqpacketPair();
  try {
    // pipes, not 'ignore': that opens /dev/null, which some hosts do not let every user open
    const r = spawnSync(SIZED_TMPFS_PATH, [String(size)], { stdio: ['pipe', 'pipe', 'pipe', theirs], encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return { error: r.stderr?.trim() || `sized-tmpfs: ${r.error?.message ?? `exit status ${r.status}`}` };
    const got = addon.receivePacket(mine, new Uint8Array(1));
    if (typeof got === 'number') return { error: `sized-tmpfs: receiving its fd: errno ${-got}` };
    const [, fd, ...extra] = got;
    for (const e of extra) host.close(e);
    return fd === undefined ? { error: 'sized-tmpfs: no fd came' } : { fd };
  } finally {
    host.close(mine);
    host.close(theirs);
  }
}
