// Host processes of an instance, as the tests see them: children, descendants, and waiting
// for a process to be gone (on its pidfd, not by polling).
import { readdirSync, readFileSync } from 'node:fs';
import { expect } from 'vitest';
import { addon } from '../../src/pal/addon.js';

/** The host children of `pid` (none when it is gone). */
export function children(pid: number): number[] {
  try {
    const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
    return text ? text.split(/\s+/).map(Number) : [];
  } catch {
    return []; // gone meanwhile
  }
}

/** `pid` and all its descendants, as of now. */
export function descendants(pid: number): number[] {
  const all = [pid];
  for (let i = 0; i < all.length; i++) all.push(...children(all[i]!));
  return all;
}

/**
 * One line per thread of `pid` and its descendants: ids, name, state, where it sleeps in the
 * kernel and the system call it is in (`/proc/T/syscall`). Printed when a run hangs, so that a
 * hang seen once on CI says where it was.
 */
export function describeTree(pid: number): string {
  const read = (file: string) => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch {
      return '?';
    }
  };
  const lines: string[] = [];
  for (const p of descendants(pid)) {
    let tids: string[];
    try {
      tids = readdirSync(`/proc/${p}/task`);
    } catch {
      continue; // gone meanwhile
    }
    const cmd = read(`/proc/${p}/cmdline`).replace(/\0/g, ' ').slice(0, 100);
    lines.push(`pid ${p} ppid ${read(`/proc/${p}/stat`).split(') ')[1]?.split(' ')[1] ?? '?'}: ${cmd}`);
    for (const t of tids) {
      // the leader's and workers' helper threads (Node's thread pool, V8's) say nothing about a hang
      if (t !== String(p) && /gramine-ts\.js|dist\/worker/.test(cmd)) continue;
      const dir = `/proc/${p}/task/${t}`;
      const state = read(`${dir}/stat`).split(') ')[1]?.split(' ')[0] ?? '?';
      lines.push(`  tid ${t} ${read(`${dir}/comm`)} ${state} wchan=${read(`${dir}/wchan`)} syscall=${read(`${dir}/syscall`)}`);
    }
  }
  return lines.join('\n');
}

/** Wait (blocking on the process's pidfd, not polling) until `pid` has exited. */
export function waitGone(pid: number, timeoutMs: number): boolean {
  const pidfd = addon.syscall(434 /* pidfd_open */, pid, 0);
  if (pidfd === -3 /* ESRCH */) return true;
  expect(pidfd).toBeGreaterThanOrEqual(0);
  const pollfd = Buffer.alloc(8);
  pollfd.writeInt32LE(pidfd, 0);
  pollfd.writeInt16LE(1 /* POLLIN */, 4);
  const deadline = Date.now() + timeoutMs;
  let r: number;
  do r = addon.syscall(7 /* poll */, pollfd, 1, Math.max(0, deadline - Date.now()));
  while (r === -4 /* EINTR: our own SIGCHLD */);
  addon.syscall(3, pidfd);
  return r === 1;
}
