// No host process of an instance survives its leader or its worker (DESIGN §8): kill -9 either
// one and every process of the instance is gone; a dead worker is reported as SIGKILL.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { children, waitGone } from '../helpers/processes.js';

const CLI = path.resolve(__dirname, '../../bin/gramine-ts.js');

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
