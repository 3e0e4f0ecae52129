// The stub's own exec (native/stub/local_exec.c): a program it can open itself runs without a
// word to any worker, so a forked child that execs it and makes only calls the stub answers
// needs no worker at all. What the app then sees is as after the worker's exec (output,
// /proc/self/exe, /proc/PID/comm, against native), and the paths it resolves stay the
// instance's: a symlink to a host path, "..", a mount over a host directory, a chroot, a
// trusted file changed on the host, and a symlink swapped in by another process during the
// exec (tests below, each one a way out natively or a wrong answer if the stub got it wrong).
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAMINE_TS, PROGRAMS_BUILD, leaderLogForks, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

let dir = '';
beforeAll(() => {
  dir = makeTempDir('gts-local-exec-');
});
afterAll(() => removeTempDir(dir));

/** The host's copy of a static program in `at`, with mode 0755. */
function place(at: string, from = program('exec_paths', '-static')): string {
  mkdirSync(path.dirname(at), { recursive: true });
  copyFileSync(from, at);
  return at;
}

describe('a forked child that execs a program the stub opens itself', () => {
  it('gets no worker when it asks nothing: no child of a fork+exec loop is handed to one', async () => {
    // (the closing cd asks the worker, which has told the leader of every fork, even one its stub made alone, before it answers)
    const r = await runGramine(['/bin/sh', '-c', 'for i in 1 2 3 4 5 6 7 8; do /bin/true; done; /bin/true && echo done; cd /'], {
      gramineArgs: ['--leader-log'],
    });
    expect(r.stdout).toBe('done\n');
    expect(r.status).toBe(0);
    const { forked, adopted } = leaderLogForks(r.stderr);
    expect(forked).toHaveLength(9);
    expect(adopted).toEqual([]);
  });

  // a non-root instance: its processes are the host user it runs as, whose X_OK the kernel judges
  const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const OTHER_UID = 200_000 + (process.pid % 50_000);
  it.runIf(process.getuid?.() === 0 && SETPRIV)('in an instance run by another user: none either, and a program that user may not run is refused as natively', async () => {
    const mine = path.join(dir, 'by-user');
    mkdirSync(mine, { mode: 0o755 });
    chmodSync(dir, 0o755);
    // readable by anyone, runnable by its owner (root) alone; and one anyone may run
    const notMine = place(path.join(mine, 'not-mine'), '/bin/true');
    chmodSync(notMine, 0o744);
    chmodSync(place(path.join(mine, 'anyones'), '/bin/true'), 0o755);
    // a PATH whose first directory that user may not search: env's search (execvp) goes past it
    const closed = path.join(dir, 'closed');
    mkdirSync(closed, { mode: 0o700 });
    const script = `for i in 1 2 3; do /bin/true; done; ${mine}/anyones && echo ran; env expr 1 + 1; [ -e ${closed}/expr ]; echo "there $?"; ${notMine}; echo "status $?"; cd /`;
    const asUser = [SETPRIV!, `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'];
    const env = { ...process.env, HOME: '/', PATH: `${closed}:/usr/bin:/bin` };
    const native = await runNative([...asUser, '/bin/sh', '-c', script], { encoding: 'utf8', env });
    const r = await runNative([...asUser, process.execPath, GRAMINE_TS, 'run', '--leader-log', '/bin/sh', '-c', script], { encoding: 'utf8', env });
    expect(native.stdout).toBe('ran\n2\nthere 1\nstatus 126\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    // the refused one asked its worker, which said EACCES; the others asked no one
    const { forked, adopted } = leaderLogForks(r.stderr);
    expect(forked).toHaveLength(6);
    expect(adopted).toEqual([forked[5]]);
  });

  it('refuses a FIFO named as a program, as natively (EACCES), without waiting for a writer', async () => {
    const fifo = path.join(dir, 'fifo-program');
    execFileSync('mkfifo', ['-m', '777', fifo]);
    const script = `${fifo}; echo "status $?"`;
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', timeout: 15_000 });
    expect(native.stdout).toBe('status 126\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
  });

  it('sees what it would after the worker\'s exec: its output, /proc/self/exe, its name to others, as natively', async () => {
    const script = [
      'readlink /proc/self/exe',
      'cd /usr/bin && ./readlink /proc/self/exe',
      'sleep 5 & p=$!; until [ "$(cat /proc/$p/comm)" = sleep ]; do sleep 0.01; done; tr "\\0" " " < /proc/$p/cmdline; echo; readlink /proc/$p/exe; kill $p',
      'exec /usr/bin/env printf "%s\\n" execd',
    ].join('; ');
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
    const gramine = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(native.stdout).toBe("/usr/bin/readlink\n/usr/bin/readlink\nsleep 5 \n/usr/bin/sleep\nexecd\n");
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
  });
});

// without the kernel boundary too: the instance's file tree and Landlock would hide a wrong
// answer of the stub's
describe.each(['', 'GRAMINE_TS_INSECURE_NO_SANDBOX'])('the paths the stub\'s exec resolves stay the instance\'s %s', (insecure) => {
  const env = insecure ? { ...process.env, [insecure]: '1' } : process.env;
  /** A jail: its root a host directory with the static exec_paths as /bin/inside. */
  function jail(name: string, ...extra: string[]): { root: string; manifest: string } {
    const root = path.join(dir, `${name}${insecure ? '-insecure' : ''}`, 'root');
    place(path.join(root, 'bin', 'inside'));
    const manifest = path.join(root, '..', 'jail.manifest.toml');
    writeFileSync(manifest, [
      'libos.entrypoint = "/bin/inside"',
      'loader.insecure__use_cmdline_argv = true',
      'loader.log_level = "error"',
      `fs.root = { uri = "file:${root}" }`,
      ...extra,
      'sgx.file_check_policy = "allow_all_but_log"',
      '',
    ].join('\n'));
    return { root, manifest };
  }

  it('a symlink to a host path, "..", a tmpfs over a host directory: the instance\'s answers, nothing of the host run', async () => {
    const outside = place(path.join(dir, `paths${insecure}`, 'outside', 'prog'), path.join(PROGRAMS_BUILD, 'asm', 'entry_regs'));
    const { root, manifest } = jail('paths', 'fs.mounts = [{ type = "tmpfs", path = "/hidden" }]');
    symlinkSync(outside, path.join(root, 'bin', 'out-abs'));
    symlinkSync('/bin/inside', path.join(root, 'bin', 'in-abs'));
    place(path.join(root, 'hidden', 'prog'));
    const paths = ['/bin/inside', '/bin/in-abs', '/bin/out-abs', '/bin/../../outside/prog', '/hidden/prog', `${outside}`];
    const r = await runGramine(['try', ...paths], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env });
    expect(r.stdout).toBe([
      'inside', 'inside',
      '/bin/out-abs: No such file or directory',
      '/bin/../../outside/prog: No such file or directory',
      '/hidden/prog: No such file or directory',
      `${outside}: No such file or directory`,
      '',
    ].join('\n'));
    expect(r.status).toBe(0);
    // the control: natively the symlink and the host path run the host's program
    const native = await runNative([path.join(root, 'bin', 'inside'), 'try', path.join(root, 'bin', 'out-abs')], { encoding: 'utf8' });
    expect(native.stdout).toMatch(/^rflags /m);
  });

  it('after a chroot: the program of the new root, not the old one\'s', async () => {
    const { root, manifest } = jail('chroot');
    place(path.join(root, 'sub', 'bin', 'only-in-sub'));
    const r1 = await runGramine(['chroot', '/sub', '/bin/only-in-sub'], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env });
    const r2 = await runGramine(['chroot', '/sub', '/bin/inside'], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env });
    expect(r1.stdout).toBe('inside\n');
    expect(r2.stdout).toBe('/bin/inside: No such file or directory\n');
  });

  it('a symlink to a host program swapped in by another process during 300 execs is never followed on the host', async () => {
    const outside = place(path.join(dir, `race${insecure}`, 'outside', 'prog'), path.join(PROGRAMS_BUILD, 'asm', 'entry_regs'));
    const { root, manifest } = jail('race');
    place(path.join(root, 'race', 'inside'));
    const r = await runGramine(['race', '/race', outside, '300'], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env, timeout: 120_000 });
    expect(r.stdout).toBe("ran the instance's program: yes\nran another: 0\n");
    // the control: natively the symlink is followed to the host's program
    place(path.join(dir, `race-native${insecure}`, 'inside'));
    // (more rounds: natively an exec is quick, and the symlink's moments are short)
    const native = await runNative([program('exec_paths', '-static'), 'race', path.join(dir, `race-native${insecure}`), outside, '3000'], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(native.stdout).toMatch(/ran another: [1-9]/);
  }, 150_000);

  it('a trusted program changed on the host after signing is refused, as it is by the worker\'s exec', async () => {
    const d = path.join(dir, `trusted${insecure}`);
    const main = place(path.join(d, 'main'));
    const other = place(path.join(d, 'other'));
    const manifest = path.join(d, 't.manifest.toml');
    writeFileSync(manifest, [
      `libos.entrypoint = "${main}"`,
      'loader.insecure__use_cmdline_argv = true',
      'fs.root.uri = "file:/"',
      'sgx.file_check_policy = "strict"',
      `sgx.trusted_files = ["file:${main}", "file:${other}"]`,
      '',
    ].join('\n'));
    const signed = await runNative([process.execPath, GRAMINE_TS, 'sign', manifest], { cwd: d });
    expect(signed.status).toBe(0);
    const before = await runGramine(['try', other], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env });
    expect(before.stdout).toBe('inside\n');
    const bytes = readFileSync(other);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(other, bytes);
    const after = await runGramine(['try', other], { encoding: 'utf8', gramineArgs: ['--manifest', manifest], env });
    expect(after.stdout).toBe(`${other}: Permission denied\n`);
  });
});
