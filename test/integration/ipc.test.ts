// The instance's IPC objects: System V IPC private to the instance, kept by its leader, the
// same to the app as the host's are natively; memfds, eventfds and the parent-death signal.
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { program, runBoth, runGramine, runNative, VARIANTS } from '../helpers/run.js';

describe.each(VARIANTS)('System V shared memory ($name)', ({ suffix }) => {
  it('private and keyed segments, across fork and exec, IPC_STAT, IPC_RMID while attached, errors', async () => {
    const { native, gramine } = await runBoth([program('sysv_shm', suffix), 'main'], { encoding: 'utf8' });
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
    expect(native.stdout).toContain('reader replied: hi from the reader\n');
  });
});

describe.each(VARIANTS)('System V semaphores ($name)', ({ suffix }) => {
  it('values, GETPID, ping-pong between processes, waits for zero, timeouts, EINTR, SEM_UNDO after kill -9', async () => {
    const { native, gramine } = await runBoth([program('sysv_sem', suffix)], { encoding: 'utf8', timeout: 60_000 });
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
    expect(native.stdout).toContain('after kill -9: 5 0 0\n');
    expect(native.stdout).toContain('semop interrupted by SIGALRM = -1 EINTR\n');
  });
});

describe('System V keys', () => {
  it('are the instance\'s: two instances using one key each have their own segment, and the host none', async () => {
    const key = String(0x5e000000 | (process.pid & 0xffffff));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-sysv-'));
    const ready = path.join(dir, 'ready');
    const hold = path.join(dir, 'hold');
    try {
      execFileSync('mkfifo', [ready, hold]);
      // the first instance has made its segment (it says so on `ready`) and holds it until `hold` has a byte
      const first = runGramine([program('sysv_shm'), 'excl', key, ready, hold], { encoding: 'utf8' });
      await runNative(['/bin/sh', '-c', `read x < ${ready}`]);
      const second = await runGramine([program('sysv_shm'), 'excl', key], { encoding: 'utf8' });
      const host = await runNative([program('sysv_shm'), 'probe', key], { encoding: 'utf8' });
      await runNative(['/bin/sh', '-c', `echo > ${hold}`]);
      const held = await first;
      expect(held.stdout).toBe('exclusive create = 1\n');
      expect(second.stdout).toBe('exclusive create = 1\n');
      expect(host.stdout).toBe('shmget on the host = -1 ENOENT\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(VARIANTS)('memfd_create, eventfd, PR_SET_PDEATHSIG ($name)', ({ suffix }) => {
  it('as natively', async () => {
    const { native, gramine } = await runBoth([program('proc_misc', suffix)], { encoding: 'utf8' });
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
    expect(native.stdout).toContain('grandchild got signal 10, code 0\n');
    expect(native.stdout).toContain('fd names: /memfd:gts-test-memfd (deleted)\n');
  });
});
