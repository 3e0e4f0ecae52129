// No host process of an instance survives its leader or its worker (DESIGN §8): kill -9 either
// one and every process of the instance is gone; a dead worker is reported as SIGKILL.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { addon } from '../../src/pal/addon.js';

const CLI = path.resolve(__dirname, '../../bin/gramine-ts.js');

function children(pid: number): number[] {
  const text = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim();
  return text ? text.split(/\s+/).map(Number) : [];
}

/** Wait (blocking on the process's pidfd, not polling) until `pid` has exited. */
function waitGone(pid: number, timeoutMs: number): boolean {
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

/** Start an instance whose app waits on stdin; resolve once it is running. */
async function startInstance(): Promise<{ leader: ChildProcessWithoutNullStreams; worker: number; app: number }> {
  const leader = spawn(process.execPath, [CLI, 'run', '/bin/sh', '-c', 'echo ready; read line; echo never']);
  await new Promise<void>((resolve, reject) => {
    leader.stdout.once('data', (d: Buffer) => (d.toString() === 'ready\n' ? resolve() : reject(new Error(d.toString()))));
    leader.once('exit', () => reject(new Error('instance ended early')));
  });
  const [worker] = children(leader.pid!);
  const [app] = children(worker!);
  expect(worker).toBeGreaterThan(0);
  expect(app).toBeGreaterThan(0);
  expect(readFileSync(`/proc/${app}/cmdline`, 'utf8')).toBe('/bin/sh\0-c\0echo ready; read line; echo never\0');
  return { leader, worker: worker!, app: app! };
}

describe('instance lifecycle', () => {
  it('kill -9 of the leader leaves no process of the instance', async () => {
    const { leader, worker, app } = await startInstance();
    leader.kill('SIGKILL');
    expect(waitGone(worker, 10_000)).toBe(true);
    expect(waitGone(app, 10_000)).toBe(true);
  });

  it('a worker killed with -9 takes its app with it, and the instance reports SIGKILL', async () => {
    const { leader, worker, app } = await startInstance();
    const status = new Promise<number | null>((resolve) => leader.once('exit', (code) => resolve(code)));
    process.kill(worker, 'SIGKILL');
    expect(await status).toBe(128 + 9);
    expect(waitGone(app, 10_000)).toBe(true);
  });
});
