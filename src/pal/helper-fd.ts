// The fd a native helper of native/launcher/ makes and sends back over fd 3 (SCM_RIGHTS): a
// tmpfs with a size (sized-tmpfs.c), the instance's file tree (instance-tree.c). The helper
// works in namespaces of its own and exits; what it made lives on through that fd alone.
import { spawnSync } from 'node:child_process';
import { addon } from './addon.js';
import { seqpacketPair } from './app.js';
import { host } from './host.js';

/** The fd `program args...` sends, or why there is none (its own line on stderr, or the failure). */
export function fdFromHelper(program: string, args: readonly string[]): { fd: number } | { error: string } {
  const name = program.slice(program.lastIndexOf('/') + 1);
  const [mine, theirs] = seqpacketPair();
  try {
    // pipes, not 'ignore': that opens /dev/null, which some hosts do not let every user open
    const r = spawnSync(program, args, { stdio: ['pipe', 'pipe', 'pipe', theirs], encoding: 'utf8', timeout: 10_000 });
    if (r.status !== 0) return { error: r.stderr?.trim() || `${name}: ${r.error?.message ?? `exit status ${r.status}`}` };
    const got = addon.receivePacket(mine, new Uint8Array(1));
    if (typeof got === 'number') return { error: `${name}: receiving its fd: errno ${-got}` };
    const [, fd, ...extra] = got;
    for (const e of extra) host.close(e);
    return fd === undefined ? { error: `${name}: no fd came` } : { fd };
  } finally {
    host.close(mine);
    host.close(theirs);
  }
}
