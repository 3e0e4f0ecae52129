// The channel is untrusted input (issue 14, item 3): the app speaks the stub's protocol on its
// own channel, has its worker grant a fork, then names a host process of someone else's as the
// child (test/programs/forge_fork.c) and kills the child's vpid. The worker believes only what
// the kernel says (the child is its process's own, or holds its channel): the host process
// lives on, and so does the instance. And a flood of look-ups for processes that will never
// be does not park without bound at the leader, nor a flood of opens that wait at the worker
// (test/programs/forge_lookups.c).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { waitGone } from '../helpers/processes.js';
import { GRAMINE_TS, makeTempDir, program, removeTempDir, runGramine } from '../helpers/run.js';

/** forge_fork also tells the fork as one its stub made alone (FORKED_LOCALLY), into a standby it was never given */
const ALONE_REFUSED = 'a fork told as made alone, into a standby the stub does not hold: EINVAL\n';

describe('a forged fork report', () => {
  it.each(['', '-static'])('cannot make the instance signal a host process (%s)', async (suffix) => {
    const victim = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      const r = await runGramine([program(`forge_fork${suffix}`), String(victim.pid)]);
      expect(r.stdout).toBe(`the worker granted a fork: yes\n${ALONE_REFUSED}the instance lives on\n`);
      expect(r.status).toBe(0);
      // a SIGKILL the instance sent has ended it by now: its pidfd would be readable at once
      expect(waitGone(victim.pid!, 2000)).toBe(false);
    } finally {
      victim.kill('SIGKILL');
    }
  });
});

describe('a forged fork report of a held child', () => {
  // The forked child, asking nothing but forks yet, is the leader's to answer: it grants the
  // fork the app asks for on its channel, and believes the report naming someone else's host
  // process only if the kernel bears it out (it does not: ignored, as a worker would).
  it('cannot make the instance signal a host process', async () => {
    const victim = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      const r = await runGramine([program('forge_fork'), String(victim.pid), 'held'], { gramineArgs: ['--leader-log'] });
      expect(r.stdout).toBe('the leader granted a held child a fork: yes\nthe instance lives on\n');
      expect(r.status).toBe(0);
      expect(r.stderr).toMatch(new RegExp(`FORKED parentVpid=\\d+ vpid=\\d+ hostPid=${victim.pid} checked=false alone=false by=leader\n`));
      expect(waitGone(victim.pid!, 2000)).toBe(false);
    } finally {
      victim.kill('SIGKILL');
    }
  });
});

describe('a held child writing reports without end', () => {
  it('does not stop the leader serving the instance: its parent\'s kill ends it', async () => {
    const r = await runGramine([program('forge_fork'), 'flood']);
    expect(r.stdout).toBe('the flooding child was killed\n');
    expect(r.status).toBe(0);
  });
});

describe('a forged fork report naming a pid no process has', () => {
  // As a child reaped before its fork's report is read: the kernel cannot vouch for that pid,
  // which the host then gives to a process of someone else's (through ns_last_pid: root).
  // Without the kernel boundary too: its signal scoping would stop the kill anyway, so this
  // checks the worker's own judgement of the channel alone.
  it.each(['', 'GRAMINE_TS_INSECURE_NO_SANDBOX'])('does not make the instance signal the process that takes that pid later (%s)', async (insecure) => {
    const env = insecure ? { ...process.env, [insecure]: '1' } : process.env;
    // another process forking in between may take the pid first (tests run in parallel): the
    // whole scenario again, with another pid
    for (let attempt = 0; ; attempt++) {
      const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
      // a pid no process has, well ahead of the next ones (the host wraps past pid_max to 300)
      let pid = Number(readFileSync('/proc/sys/kernel/ns_last_pid', 'utf8')) + 2000;
      while (pid >= pidMax || existsSync(`/proc/${pid}`)) pid = pid >= pidMax ? 1000 + (pid % 1000) : pid + 1;
      const app = spawn(process.execPath, [GRAMINE_TS, 'run', program('forge_fork'), String(pid), 'later'], { stdio: ['pipe', 'pipe', 'inherit'], env });
      let out = '';
      const reported = new Promise<void>((resolve) => app.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('reported\n')) resolve();
      }));
      const exited = new Promise<number | null>((resolve) => app.once('exit', (code) => resolve(code)));
      await reported;
      const spawnAt = () => {
        writeFileSync('/proc/sys/kernel/ns_last_pid', String(pid - 1));
        return spawn('sleep', ['120'], { stdio: 'ignore' });
      };
      let victim = spawnAt();
      for (let tries = 0; tries < 20 && victim.pid !== pid && !existsSync(`/proc/${pid}`); tries++) {
        victim.kill('SIGKILL');
        victim = spawnAt();
      }
      if (victim.pid !== pid && attempt < 5) {
        victim.kill('SIGKILL');
        app.kill('SIGKILL');
        await exited;
        continue;
      }
      try {
        expect(victim.pid).toBe(pid);
        app.stdin.end('go\n');
        expect(await exited).toBe(0);
        expect(out).toBe(`the worker granted a fork: yes\n${ALONE_REFUSED}reported\nthe instance lives on\n`);
        expect(waitGone(victim.pid!, 2000)).toBe(false);
      } finally {
        victim.kill('SIGKILL');
      }
      return;
    }
  });
});

describe('a flood of pid look-ups on the channel', () => {
  it('waits at the leader only up to a bound: the rest are answered at once', async () => {
    const r = await runGramine([program('forge_lookups')]);
    expect(r.stdout).toBe('answered: at least 344\n');
    expect(r.status).toBe(0);
  });
});

describe('a flood of syscall requests on the channel', () => {
  it('parks none at the worker: 3000 opens of a FIFO without a writer are each answered at once (not yet); the instance lives on', async () => {
    const dir = makeTempDir('gts-flood-');
    try {
      const r = await runGramine([program('forge_lookups'), 'opens', path.join(dir, 'fifo')], { timeout: 60_000 });
      expect(r.stdout).toBe('opens: 3000 answered at once (3000 not yet, 0 refused, 0 opened)\n');
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    } finally {
      removeTempDir(dir);
    }
  });
});
