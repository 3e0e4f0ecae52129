// The instance fails safe under the host's limits (issue 14, item 6): a fork the host cannot
// serve (RLIMIT_NPROC of a non-root user, a pids cgroup) fails with EAGAIN in the app as it
// would natively, and the leader lives; a worker that dies is said in one line naming it, and
// noticed by its pidfd even when its socket stays open; app processes are the OOM killer's
// first choice; a small open-file limit is a message, never a Node stack trace, and the app's
// fds stay below the stub's; a non-root instance's scratch directory goes with a killed leader.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startStuck } from '../../src/leader/worker-process.js';
import { addon } from '../../src/pal/addon.js';
import { children, waitGone } from '../helpers/processes.js';
import { GRAMINE_TS, REPO_ROOT, program, runGramine, runNative, type RunResult } from '../helpers/run.js';

const isRoot = process.getuid?.() === 0;
const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
/** a host uid no one else uses: RLIMIT_NPROC counts every process of the user on the host */
const UID = 200_000 + (process.pid % 50_000);

/** A Node stack trace, or Node's native one, anywhere in `text`. */
const STACK = /^\s+at .*\(?.*:\d+:\d+\)?$|Native stack trace|node:internal|Unhandled 'error' event/m;

/**
 * The lines gramine-ts may say when a new worker cannot run: one per worker, naming it (one the
 * host would not give its threads, after the leader's look at its room, is stopped: startStuck).
 */
const WORKER_REFUSED = /^gramine-ts: (worker \d+ \(starting\) died \((killed by SIG[A-Z]+|exited with status \d+)\)|a new worker could not start: .+|worker \d+ could not start: EAGAIN \(the host would not make its threads\): stopped)$/;

/** As another (unprivileged) host user, with a home it may read: `setpriv ... ARGV`. */
const AS_USER = [`--reuid=${UID}`, `--regid=${UID}`, '--clear-groups'];
const USER_ENV = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: '/' };

/** `argv` under gramine-ts as another (unprivileged) host user, with a shell prefix run first. */
function runAsUser(shellPrefix: string, argv: string[], opts: { timeout?: number } = {}): Promise<RunResult<string>> {
  return runNative(
    [SETPRIV!, ...AS_USER, '/bin/bash', '-c', `${shellPrefix}; exec "$@"`, 'bash', process.execPath, GRAMINE_TS, 'run', ...argv],
    { cwd: '/', env: USER_ENV, timeout: opts.timeout ?? 60_000 },
  ) as Promise<RunResult<string>>;
}

function expectForkRefusedAsNatively(r: RunResult<string>): void {
  expect(r.stderr).not.toMatch(STACK);
  for (const line of r.stderr.split('\n').filter(Boolean)) expect(line).toMatch(WORKER_REFUSED);
  expect(r.stdout).toMatch(/^forked (\d+), reaped \1, then Resource temporarily unavailable\nfork after: ok\n$/);
  expect(r.status).toBe(0);
}

describe.runIf(isRoot && SETPRIV)('fork under RLIMIT_NPROC (a non-root user)', () => {
  it('fails with EAGAIN, as natively; the leader lives, the instance ends with the app\'s status, nothing is left in /dev/shm', async () => {
    const native = await runNative([SETPRIV!, ...AS_USER, '/bin/bash', '-c', 'ulimit -u 20; exec "$@"', 'bash', program('fork_limit'), '64'], { env: USER_ENV });
    expect(native.stdout).toMatch(/^forked \d+, reaped \d+, then Resource temporarily unavailable\nfork after: ok\n$/);
    for (const limit of [45, 60]) {
      const r = await runAsUser(`ulimit -u ${limit}`, [program('fork_limit'), '64']);
      expectForkRefusedAsNatively(r);
      // its own scratch directory only (/dev/shm/gramine-ts-<leader pid>-*): others may be running
      expect(readdirSync('/dev/shm').filter((f) => f.startsWith(`gramine-ts-${r.pid}-`))).toEqual([]);
    }
  });
});

describe.runIf(isRoot && SETPRIV)('a starting Node the host will not give its threads', () => {
  it('is seen stuck, the same at two looks (the leader stops such a worker then, not at its deadline); a Node asleep otherwise is not', async () => {
    // room for 5 tasks of a user with no other process: a Node makes 6 before it runs anything
    const asOther = [`--reuid=${UID + 2}`, `--regid=${UID + 2}`, '--clear-groups'];
    const stuck = spawn(SETPRIV!, [...asOther, '/bin/bash', '-c', 'ulimit -u 5; exec "$@"', 'bash', process.execPath, '-e', 'console.log("never")'], { cwd: '/', env: USER_ENV });
    const asleep = spawn(process.execPath, ['-e', 'console.log("ready"); setTimeout(() => {}, 60_000)']);
    try {
      let out = '';
      stuck.stdout.on('data', (d: Buffer) => (out += d.toString()));
      await new Promise((resolve) => asleep.stdout.once('data', resolve));
      expect(startStuck(asleep.pid!)).toBeNull();
      let first: string | null = null;
      for (let waited = 0; first === null && waited < 10_000; waited += 100) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        first = startStuck(stuck.pid!);
      }
      expect(first).toMatch(/^[1-5] .*futex/);
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(startStuck(stuck.pid!)).toBe(first);
      expect(out).toBe('');
    } finally {
      stuck.kill('SIGKILL');
      asleep.kill('SIGKILL');
    }
  });
});

describe.runIf(isRoot && SETPRIV)('the room RLIMIT_NPROC leaves (the leader\'s count before it starts a worker)', () => {
  it('is the limit less the user\'s tasks (a Node has 11), and none for root', async () => {
    const code = `const m = await import(${JSON.stringify(path.join(REPO_ROOT, 'dist', 'leader', 'worker-process.js'))}); console.log(m.nprocHeadroom())`;
    // (another uid than the other tests': their processes would count too)
    const asOther = [`--reuid=${UID + 1}`, `--regid=${UID + 1}`, '--clear-groups'];
    const user = await runNative([SETPRIV!, ...asOther, '/bin/bash', '-c', 'ulimit -u 40; exec "$@"', 'bash', process.execPath, '--input-type=module', '-e', code], {
      cwd: '/', env: USER_ENV, encoding: 'utf8',
    });
    // the Node counting (main thread, V8's, libuv's) is the user's only process
    expect(Number(user.stdout)).toBeGreaterThanOrEqual(40 - 16);
    expect(Number(user.stdout)).toBeLessThanOrEqual(40 - 5);
    const root = await runNative([process.execPath, '--input-type=module', '-e', code], { encoding: 'utf8' });
    expect(root.stdout).toBe('Infinity\n');
  });
});

/** A pids cgroup of our own with `max` tasks (cgroup v1's pids hierarchy, or v2), or null if the host gives none. */
function pidsCgroup(max: number): { procs: string; remove(): void } | null {
  const roots = ['/sys/fs/cgroup/pids', '/sys/fs/cgroup'];
  for (const root of roots) {
    if (!existsSync(path.join(root, 'cgroup.procs'))) continue;
    const dir = path.join(root, `gts-limits-${process.pid}-${Date.now()}`);
    try {
      mkdirSync(dir);
    } catch {
      continue;
    }
    try {
      writeFileSync(path.join(dir, 'pids.max'), String(max));
    } catch {
      rmdirSync(dir);
      continue;
    }
    return { procs: path.join(dir, 'cgroup.procs'), remove: () => rmdirSync(dir) };
  }
  return null;
}

describe.runIf(isRoot)('fork in a pids cgroup', () => {
  it('fails with EAGAIN, as natively, rather than hang; the leader lives', async (ctx) => {
    const cg = pidsCgroup(100);
    if (!cg) return ctx.skip();
    try {
      const inCgroup = (argv: string[]) =>
        runNative(['/bin/sh', '-c', `echo $$ > ${cg.procs}; exec "$@"`, 'sh', ...argv], { timeout: 60_000 }) as Promise<RunResult<string>>;
      const native = await inCgroup([program('fork_limit'), '200']);
      expect(native.stdout).toMatch(/^forked \d+, reaped \d+, then Resource temporarily unavailable\nfork after: ok\n$/);
      const r = await inCgroup([process.execPath, GRAMINE_TS, 'run', program('fork_limit'), '200']);
      expectForkRefusedAsNatively(r);
    } finally {
      // the last of its processes may still be on their way out
      for (const pid of readFileSync(cg.procs, 'utf8').split('\n').filter(Boolean)) expect(waitGone(Number(pid), 10_000)).toBe(true);
      cg.remove();
    }
  });
});

/** An instance whose app says "ready" and waits on stdin; its leader, first worker and app. */
async function startInstance(argv: string[] = ['/bin/sh', '-c', 'echo ready; read line; echo never']) {
  const leader = spawn(process.execPath, [GRAMINE_TS, 'run', ...argv]);
  let stderr = '';
  leader.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    leader.stdout.once('data', (d: Buffer) => (d.toString() === 'ready\n' ? resolve() : reject(new Error(d.toString()))));
    leader.once('exit', () => reject(new Error(`instance ended early: ${stderr}`)));
  });
  const worker = children(leader.pid!).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').includes('bin/worker.cjs'))!;
  const app = children(worker)[0]!;
  const status = new Promise<number | null>((resolve) => leader.once('exit', (code) => resolve(code)));
  return { leader, worker, app, status, stderr: () => stderr };
}

/**
 * With a copy of the first worker's socket to the leader (its fd 3) held here, `act` on the
 * worker and that copy; the instance must then end with 137, its app gone, and the leader's
 * stderr match `said` (given the worker's pid).
 */
async function withWorkerSocket(act: (worker: number, socketCopy: number) => void, said: (worker: number) => RegExp | string): Promise<void> {
  const { worker, app, status, stderr } = await startInstance();
  const pidfd = addon.syscall(434 /* pidfd_open */, worker, 0);
  expect(pidfd).toBeGreaterThanOrEqual(0);
  const socketCopy = addon.syscall(438 /* pidfd_getfd */, pidfd, 3, 0);
  expect(socketCopy).toBeGreaterThanOrEqual(0);
  try {
    act(worker, socketCopy);
    expect(await status).toBe(128 + 9);
    const expected = said(worker);
    if (typeof expected === 'string') expect(stderr()).toBe(expected);
    else expect(stderr()).toMatch(expected);
    expect(waitGone(app, 10_000)).toBe(true);
  } finally {
    addon.syscall(3, socketCopy);
    addon.syscall(3, pidfd);
  }
}

describe('a worker that does not finish starting', () => {
  it('is stopped at its deadline, said in one line; a child that asks nothing lives; one that asks is killed, said in one line, or its fork fails with EAGAIN; the instance goes on', async () => {
    // a deadline no Node meets (the default, 30 s, is for a Node hung by a full pids cgroup).
    // With room to spare under the host's limits a fork need not wait for its child's worker to
    // boot (near a limit it does: the tests above): a child that asks nothing never needs it,
    // one that asks is killed when none can start. A fork that does wait for a Node that never
    // boots (one already on its way: the first child's) fails with EAGAIN
    const fork = [
      'import os, signal',
      'def fork(child):',
      '    try:',
      '        pid = os.fork()',
      '    except OSError as e:',
      '        return print("fork failed:", os.strerror(e.errno))',
      '    if pid == 0:',
      '        child()',
      '        os._exit(0)',
      '    st = os.waitpid(pid, 0)[1]',
      '    print("killed by " + signal.Signals(os.WTERMSIG(st)).name if os.WIFSIGNALED(st) else "exited %d" % os.WEXITSTATUS(st))',
      'fork(lambda: None)',
      'fork(os.getpgrp)',
      'print("went on")',
    ].join('\n');
    const r = await runGramine(['/usr/bin/python3', '-c', fork], { encoding: 'utf8', env: { ...process.env, GRAMINE_TS_WORKER_BOOT_DEADLINE_MS: '1' } });
    expect(r.stdout).toMatch(/^exited 0\n(killed by SIGKILL|fork failed: Resource temporarily unavailable)\nwent on\n$/);
    const lines = r.stderr.split('\n').filter(Boolean);
    for (const line of lines) expect(line).toMatch(/^gramine-ts: (worker \d+ did not start within 0\.001 s: stopped|vm3: no worker could start to serve it: killed)$/);
    expect(lines.includes('gramine-ts: vm3: no worker could start to serve it: killed')).toBe(r.stdout.includes('SIGKILL'));
    expect(lines.some((l) => l.includes('did not start within'))).toBe(true);
    expect(r.status).toBe(0);
  });
});

describe('a worker that dies', () => {
  it('is said in one line naming it, and noticed by its pidfd even when its socket stays open', async () => {
    // the copy held here: the leader never sees the socket close
    await withWorkerSocket(
      (worker) => process.kill(worker, 'SIGKILL'),
      (worker) => `gramine-ts: worker ${worker} of vm1 died (killed by SIGKILL); the instance ends\n`,
    );
  });
});

describe('garbage on a leader socket', () => {
  it('ends that worker\'s connection, with one line naming it, and not the leader', async () => {
    // the worker was vm1's: the instance ends, said in one line naming it (no Node stack
    // trace): killed by the leader, or gone by itself once the leader closed the connection
    await withWorkerSocket(
      (_worker, socketCopy) => {
        const junk = Buffer.alloc(4096, 0x5a);
        expect(addon.syscall(1 /* write */, socketCopy, junk, junk.length)).toBe(junk.length);
      },
      (worker) => new RegExp(`^gramine-ts: worker ${worker} of vm1 (killed: its connection to the leader failed \\(.+\\)|died \\(.+\\)); the instance ends\n$`),
    );
  });
});

describe('the OOM killer', () => {
  it('prefers the app processes: their oom_score_adj is above the leader\'s and the workers\'', async () => {
    const { leader, worker, app, status } = await startInstance();
    const adj = (pid: number) => Number(readFileSync(`/proc/${pid}/oom_score_adj`, 'utf8'));
    expect(adj(app)).toBeGreaterThan(adj(worker));
    expect(adj(app)).toBeGreaterThan(adj(leader.pid!));
    expect(adj(app)).toBe(Math.min(1000, adj(worker) + 500));
    leader.stdin.end('go\n');
    expect(await status).toBe(0);
  });
});

describe('a small open-file limit', () => {
  it('below what an instance needs: one line, no Node stack trace', async () => {
    const r = await runNative(['/bin/bash', '-c', 'ulimit -n 20; exec "$@"', 'bash', process.execPath, GRAMINE_TS, 'run', '/bin/true']);
    expect(r.stderr).toBe('gramine-ts: the open-file limit (ulimit -n) is 20; an instance needs at least 50\n');
    expect(r.status).toBe(1);
  });

  it('the app\'s fds end below the stub\'s reserved ones (its limit), and a fork with a full table works', async () => {
    for (const n of [64, 1024]) {
      const under = (argv: string[]) => runNative(['/bin/bash', '-c', `ulimit -n ${n}; exec "$@"`, 'bash', ...argv]);
      const native = await under([program('fd_fill')]);
      expect(native.stdout).toBe(`limit ${n}, last fd ${n - 1} (Too many open files), child 5\n`);
      const r = await under([process.execPath, GRAMINE_TS, 'run', program('fd_fill')]);
      expect(r.stderr).toBe('');
      const m = /^limit (\d+), last fd (\d+) \(Too many open files\), child 5\n$/.exec(String(r.stdout));
      expect(m, String(r.stdout)).not.toBeNull();
      // every fd the app could open is below its limit, which is below the host's (the stub's are above)
      expect(Number(m![2])).toBe(Number(m![1]) - 1);
      expect(Number(m![1])).toBeLessThan(n);
      expect(r.status).toBe(0);
    }
  });
});

describe.runIf(isRoot && SETPRIV)('a non-root instance\'s scratch directory', () => {
  it('is removed when its leader is killed with -9', async () => {
    const leader = spawn(SETPRIV!, [...AS_USER, process.execPath, GRAMINE_TS, 'run', '/bin/sh', '-c', 'echo ready; read line'], { cwd: '/', env: USER_ENV });
    let stderr = '';
    leader.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    await new Promise<void>((resolve, reject) => {
      leader.stdout.once('data', (d: Buffer) => (d.toString() === 'ready\n' ? resolve() : reject(new Error(d.toString()))));
      leader.once('exit', () => reject(new Error(`instance ended early: ${stderr}`)));
    });
    const mine = () => readdirSync('/dev/shm').filter((f) => f.startsWith(`gramine-ts-${leader.pid}-`));
    expect(mine()).toHaveLength(1);
    const cleaner = children(leader.pid!).find((p) => readFileSync(`/proc/${p}/cmdline`, 'utf8').startsWith('/bin/sh\0-c\0read _'));
    expect(cleaner).toBeGreaterThan(0);
    leader.kill('SIGKILL');
    expect(waitGone(cleaner!, 10_000)).toBe(true);
    expect(mine()).toEqual([]);
  });
});
