// The user-facing command, bin/gramine-ts: the native launcher starts the leader and the first
// worker together. The instance must behave exactly as one started by the Node CLI alone, leak
// nothing into the app, and leave nothing behind when the leader is killed.
import { spawn, type StdioOptions } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, runNative } from '../helpers/run.js';
import { descendants, waitGone } from '../helpers/processes.js';

const BIN = path.join(REPO_ROOT, 'bin', 'gramine-ts');

function run(args: string[], env?: NodeJS.ProcessEnv): Promise<{ stdout: string; stderr: string; status: number }> {
  return new Promise((resolve) => {
    const child = spawn(BIN, args, env ? { env } : {});
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.once('close', (code, signal) => resolve({ stdout, stderr, status: code ?? 128 + (signal ? 9 : 0) }));
  });
}

describe('bin/gramine-ts (the launcher)', () => {
  it('runs a program as the Node CLI does', async () => {
    expect(await run(['run', '/bin/echo', 'hello'])).toEqual({ stdout: 'hello\n', stderr: '', status: 0 });
    expect(await run(['run', '/bin/sh', '-c', 'echo $$; exit 7'])).toEqual({ stdout: '1\n', stderr: '', status: 7 });
  });

  it('passes the environment through untouched (nothing of the launcher leaks in, nothing a shell would drop or fix is lost)', async () => {
    const env = { ...process.env, 'odd-name': '1', 'x.y': '2', PWD: '/not/the/cwd' };
    const gramine = await run(['run', '/usr/bin/env'], env);
    const native = await runNative(['/usr/bin/env'], { env });
    expect(gramine.stdout.split('\n')).toEqual(expect.arrayContaining(['odd-name=1', 'x.y=2', 'PWD=/not/the/cwd']));
    expect(gramine.stdout.split('\n').sort()).toEqual(String(native.stdout).split('\n').sort());
  });

  it('keeps NODE_EXTRA_CA_CERTS from its own Node processes (each would read the certificates as it starts) and gives it to the app, in its place', async () => {
    // a file that is not there: a Node that reads the variable says so on stderr
    const env = { ...process.env, NODE_EXTRA_CA_CERTS: '/nonexistent/extra-ca.pem' };
    const warning = /Ignoring extra certs/;
    const gramine = await run(['run', '/usr/bin/env'], env);
    const native = await runNative(['/usr/bin/env'], { env });
    expect(gramine.stdout.split('\n')).toContain('NODE_EXTRA_CA_CERTS=/nonexistent/extra-ca.pem');
    expect(gramine.stdout).toBe(String(native.stdout));
    expect(gramine.stderr).toBe('');
    // a child that reads /proc asks a worker the leader starts: that Node does not read them either
    const script = 'cat /proc/self/status | head -1';
    const forked = await run(['run', '--cpu-report', '/bin/sh', '-c', script], env);
    expect(forked.stdout).toBe('Name:\tcat\n');
    expect(forked.stderr).toMatch(/workers started 2;/);
    expect(forked.stderr).not.toMatch(warning);
    // the Node CLI itself was started with it (and says so, once): not the workers it starts
    const cli = await runNative([process.execPath, path.join(REPO_ROOT, 'bin', 'gramine-ts.js'), 'run', '--cpu-report', '/bin/sh', '-c', script], { env });
    expect(String(cli.stderr)).toMatch(/workers started 2;/);
    expect(String(cli.stderr).split('\n').filter((l) => warning.test(l))).toHaveLength(1);
  });

  it('passes arguments and environment values that are not UTF-8 through byte for byte', async () => {
    // Node would replace such bytes: the test's shell makes them, the app prints them back
    const app = `/bin/sh -c 'printf "%s|%s|%s" "$A" "$B" "$1"' sh "$(printf 'a\\351b')"`;
    const expected = Buffer.from([0xff, 0xfe, 0x78, 0x7c, 0x6f, 0x6b, 0x7c, 0x61, 0xe9, 0x62]);
    for (const cli of [BIN, `node ${path.join(REPO_ROOT, 'bin', 'gramine-ts.js')}`]) {
      const out = await new Promise<Buffer>((resolve) => {
        const child = spawn('/bin/sh', ['-c', `A="$(printf '\\377\\376x')" B=ok exec ${cli} run ${app}`]);
        const chunks: Buffer[] = [];
        child.stdout.on('data', (d: Buffer) => chunks.push(d));
        child.once('close', () => resolve(Buffer.concat(chunks)));
      });
      expect(out.toString('hex')).toBe(expected.toString('hex'));
    }
  });

  it('gives the app only its own fds', async () => {
    const r = await run(['run', '/bin/ls', '/proc/self/fd']);
    // stdin, stdout and stderr, and the directory ls reads: not the stub's channel and lifeline
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['0', '1', '2', '3']);
  });

  it('keeps the fds the caller left open (not close-on-exec) from the app: stdin, stdout and stderr alone', async () => {
    const leaked = openSync('/dev/null', 'r');
    try {
      // fds 3 and 20 in the launcher, as a shell's `exec 3<file 20<file` would leave them
      const stdio: StdioOptions = ['ignore', 'pipe', 'pipe', leaked, ...Array<'ignore'>(16).fill('ignore'), leaked];
      const child = spawn(BIN, ['run', '/bin/ls', '/proc/self/fd'], { stdio });
      let out = '';
      child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
      const status = await new Promise<number | null>((resolve) => child.once('close', resolve));
      expect(status).toBe(0);
      // 0, 1, 2 and the directory ls reads (3): no 20
      expect(out.split('\n').filter(Boolean)).toEqual(['0', '1', '2', '3']);
    } finally {
      closeSync(leaked);
    }
  });

  it('other commands go to the CLI', async () => {
    const r = await run(['--help']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/usage: gramine-ts run/);
  });

  it('kill -9 of the leader leaves no process of the instance', async () => {
    const leader = spawn(BIN, ['run', '/bin/sh', '-c', 'echo ready; read line']);
    await new Promise<void>((resolve) => leader.stdout.once('data', () => resolve()));
    const pids = descendants(leader.pid!);
    expect(pids.length).toBeGreaterThanOrEqual(3); // leader, first worker, app
    leader.kill('SIGKILL');
    for (const pid of pids) expect(waitGone(pid, 10_000)).toBe(true);
  });
});
