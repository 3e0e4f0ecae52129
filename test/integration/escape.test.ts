// Confinement (issue 4): an instance run from a manifest sees exactly its mounts. A C program
// (test/programs/fs/fs_escape.c) tries every way we know out of the root to a secret file next
// to it on the host -- `..`, absolute and relative host symlinks planted in the root, symlinks and
// hard links it makes, /proc/self/root and /proc/self/cwd, dirfds and O_PATH fds climbed with
// "..", the cwd, a second mount, a chroot climb, file handles, writes and renames out, execve of
// programs outside -- and prints one line per attempt. Under gramine-ts no line (nor stderr)
// may hold the secret, and every attempt must fail; the same program run natively on the same
// layout is the control: there each attempt does reach the secret, so each is a real way to it.
// A file inside the root is readable (so that the test can fail), and the host files around the
// root are invisible.
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, program, REPO_ROOT, removeTempDir, runGramine, runNative, type RunResult } from '../helpers/run.js';

const SECRET = `TOPSECRET-${randomBytes(8).toString('hex')}`;
const TEMPLATE = path.join(REPO_ROOT, 'test', 'manifests', 'escape.manifest.template.toml');
const PROGRAM = program('fs/fs_escape');

/** Attempts that reach the secret natively (the control) and must fail under gramine-ts. */
const REACHING = [
  'dotdot', 'dotdot-from-root', 'dotdots-to-host-path', 'host-path', 'sub-dotdots-to-host-path',
  'abs-symlink', 'rel-symlink', 'rel-symlink-chain', 'dir-symlink-dotdot', 'dir-symlink-host',
  'mount-dotdot', 'mount-dotdots-to-host-path', 'mount-rel-symlink', 'mount-dir-symlink',
  'usr-dotdot-to-host-path',
  'proc-root-host-path', 'proc-cwd-dotdot', 'proc-fd-dotdot',
  'dirfd-root-dotdot', 'dirfd-slash-host-path', 'dirfd-dotdot', 'dirfd-data-dotdot',
  'dirfd-data-dotdots-to-host-path',
  'opath-climb-once', 'opath-climb-to-host-path', 'opath-data-climb-once',
  'cwd-dotdot-once', 'cwd-climbed-host-path', 'fchdir-slash-host-path', 'chdir-data-dotdot-secret',
  'symlink-slash-dotdot-host-path', 'symlink-dotdot-secret', 'symlink-host-path-secret',
  'symlinkat-dotdots-secret',
  'link-host-path-secret', 'link-dotdot-secret', 'linkat-slash-host-path-secret',
  'linkat-follow-abs-symlink-secret',
  'open-by-handle-secret', 'chroot-climb', 'rename-in-dotdot-secret',
];
/** Of those, the ones that need root to reach the secret natively. */
const ROOT_ONLY = ['open-by-handle-secret', 'chroot-climb'];
/** Attempts whose output natively is the secret itself (an exec'ed script prints it). */
const REACHING_EXEC = ['exec-host-path', 'exec-dotdot'];
/** Steps that change something outside the root natively: all must fail under gramine-ts. */
const OUTSIDE_STEPS = [
  'link-host-path', 'link-dotdot', 'linkat-slash-host-path', 'linkat-follow-abs-symlink',
  'create-dotdot', 'create-through-abs-symlink', 'create-through-rel-symlink', 'create-host-path',
  'mkdir-dotdot', 'symlink-into-outside', 'rename-out-dotdot', 'rename-in-dotdot',
];
/** Steps inside the instance that may well succeed (what they lead to is checked separately). */
const INSIDE_STEPS = [
  'fchdir-root', 'chdir-dotdot', 'fchdir-slash', 'fchdir-slash-chdir-dotdot', 'chdir-data-dotdot',
  'symlink-slash-dotdot', 'symlink-dotdot', 'symlink-host-path', 'symlinkat-dotdots', 'name-to-handle-inside',
];
const INVISIBLE = [
  'invisible-scratch', 'invisible-outside', 'invisible-secret', 'invisible-tmp', 'invisible-etc-passwd', 'invisible-home',
];
/** A failure as fs_escape prints it: an errno name, maybe after the step that failed. */
const FAILED = /^((mkdir|chroot|chroot\(\.\)|chdir|opened, read) )?E[A-Z0-9]+$/;

/** The files of the root, as the test lays them out (fs_escape.c describes the layout). */
const ROOT_FILES = [
  'abs', 'bin', 'fs_escape', 'hostdir', 'inside-mine-1', 'inside-mine-2', 'inside-mine-3', 'inside.txt',
  'lib', 'lib64', 'rel', 'sub', 'updir', 'usr', 'wabs', 'wrel',
];

/**
 * The instances the program runs in: the manifest as it is, whose file check logs (a warning
 * shown: every open is the worker's), and the same with the log level of the manifest (its
 * file check passes every open unseen) and directories the app's host identity may write: its
 * opens, creations and unlinks there are the stub's own (native/stub/paths.c,
 * GTS_PATH_STUB_WRITES), and each attempt out goes through them first.
 */
const VARIANTS = [
  { name: 'the worker opens', stub: false },
  { name: 'the stub opens and writes', stub: true },
] as const;

function layout(scratch: string, writable: boolean): void {
  const root = path.join(scratch, 'root');
  const secret = path.join(scratch, 'outside', 'secret');
  for (const d of ['root/sub', 'root/usr', 'data', 'outside']) mkdirSync(path.join(scratch, d), { recursive: true });
  writeFileSync(secret, `${SECRET}\nsecond line\n`);
  writeFileSync(path.join(scratch, 'outside', 'secret-copy'), `${SECRET}\n`);
  writeFileSync(path.join(scratch, 'outside', 'run.sh'), `#!/bin/sh\necho ${SECRET}\n`, { mode: 0o755 });
  writeFileSync(path.join(root, 'inside.txt'), 'inside-ok\n');
  for (const n of [1, 2, 3]) writeFileSync(path.join(root, `inside-mine-${n}`), 'mine\n');
  writeFileSync(path.join(scratch, 'data', 'data.txt'), 'data-ok\n');
  copyFileSync(PROGRAM, path.join(root, 'fs_escape'));
  chmodSync(path.join(root, 'fs_escape'), 0o755);
  const links: [string, string][] = [
    ['root/bin', 'usr/bin'],
    ['root/lib', 'usr/lib'],
    ['root/lib64', 'usr/lib64'],
    ['root/abs', secret],
    ['root/rel', '../outside/secret'],
    ['root/sub/chain', `../../../../../../../..${secret}`],
    ['root/updir', '..'],
    ['root/hostdir', scratch],
    ['root/wabs', path.join(scratch, 'outside', 'created-abs')],
    ['root/wrel', '../outside/created-rel'],
    ['data/up', '../outside/secret'],
    ['data/updir', '..'],
  ];
  for (const [at, target] of links) symlinkSync(target, path.join(scratch, at));
  // (for anyone to write, as /tmp: the instance's root in a root instance is not the host's)
  if (writable) for (const d of ['root', 'root/sub', 'data']) chmodSync(path.join(scratch, d), 0o1777);
}

/** The secret's file handle ("TYPE:HEX"), from fs_escape's helper mode, run natively. */
async function handleOf(file: string): Promise<string> {
  const r = await runNative([PROGRAM, 'handle', file], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stdout.trim();
}

/** "name: value" lines as a map (the value of the first line with that name). */
function attempts(out: string): Map<string, string> {
  const m = new Map<string, string>();
  for (const line of out.split('\n')) {
    const i = line.indexOf(': ');
    if (i > 0 && !m.has(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 2));
  }
  return m;
}

describe.each(VARIANTS)('confinement: nothing outside the mounts is reachable ($name)', ({ stub }) => {
  const scratch = { native: '', gramine: '' };
  let native: RunResult<string>;
  let gramine: RunResult<string>;
  let manifestPath = '';

  beforeAll(async () => {
    scratch.native = makeTempDir('gts-escape-');
    scratch.gramine = makeTempDir('gts-escape-');
    layout(scratch.native, stub);
    layout(scratch.gramine, stub);
    manifestPath = path.join(scratch.gramine, 'escape.manifest.toml');
    const manifest = readFileSync(TEMPLATE, 'utf8').replaceAll('@SCRATCH@', scratch.gramine);
    const logged = manifest.replace(/^loader\.log_level = .*$/m, 'loader.log_level = "warning"');
    expect(logged).not.toBe(manifest);
    writeFileSync(manifestPath, stub ? manifest : logged);
    const [hn, hg] = await Promise.all([
      handleOf(path.join(scratch.native, 'outside', 'secret')),
      handleOf(path.join(scratch.gramine, 'outside', 'secret')),
    ]);
    [native, gramine] = await Promise.all([
      runNative([PROGRAM, path.join(scratch.native, 'root'), path.join(scratch.native, 'data'), scratch.native, hn], {
        encoding: 'utf8',
      }),
      // `gramine-ts run --manifest FILE ARGS...`: argv is [libos.entrypoint, ...ARGS]
      runGramine(['/', '/data', scratch.gramine, hg], { encoding: 'utf8', gramineArgs: ['--manifest', manifestPath] }),
    ]);
  });

  afterAll(() => {
    if (scratch.native) removeTempDir(scratch.native);
    if (scratch.gramine) removeTempDir(scratch.gramine);
  });

  it('the control: natively, every attempt reaches the secret', () => {
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    const a = attempts(native.stdout);
    // file handles and chroot need root natively (CAP_DAC_READ_SEARCH, CAP_SYS_CHROOT)
    const control = process.getuid?.() === 0 ? REACHING : REACHING.filter((n) => !ROOT_ONLY.includes(n));
    for (const name of control) expect(`${name}: ${a.get(name)}`).toBe(`${name}: content=${SECRET}`);
    for (const name of REACHING_EXEC) expect(`${name}: ${a.get(name)}`).toBe(`${name}: ${SECRET}`);
    for (const name of OUTSIDE_STEPS) expect(`${name}: ${a.get(name)}`).toBe(`${name}: ok`);
  });

  it('a dynamic program runs in the confined root (/usr mounted) and reads the instance\'s own files', () => {
    expect(gramine.status, `stdout:\n${gramine.stdout}\nstderr:\n${gramine.stderr}`).toBe(0);
    expect(gramine.stdout.endsWith('\ndone\n')).toBe(true);
    const a = attempts(gramine.stdout);
    expect(a.get('inside')).toBe('content=inside-ok');
    expect(a.get('inside-abs')).toBe('content=inside-ok');
    expect(a.get('inside-via-dotdot')).toBe('content=inside-ok');
    expect(a.get('data-file')).toBe('content=data-ok');
    // "/" lists the root's files and the mount points; "/.." is "/", also from a mount
    const names = (a.get('list-root') ?? '').replace(/^names=/, '').split(' ');
    expect(names).toEqual(expect.arrayContaining([...ROOT_FILES, 'data', 'proc', 'dev', 'sys']));
    expect(names).not.toContain('outside');
    expect(names).not.toContain('root');
    expect(a.get('list-root-dotdot')).toBe(a.get('list-root'));
    expect(a.get('list-data-dotdot')).toBe(a.get('list-root'));
  });

  it('no attempt reaches the secret under gramine-ts', () => {
    expect(gramine.stdout).not.toContain(SECRET);
    expect(gramine.stderr).not.toContain(SECRET);
    expect(gramine.stdout).not.toContain('TOPSECRET');
    const a = attempts(gramine.stdout);
    const failures = [...REACHING, ...REACHING_EXEC, ...OUTSIDE_STEPS, 'rename-out-host-path',
      'rename-out-through-dir-symlink', 'rename-in-host-path', 'rename-in-host-path-secret', 'proc-root-dotdot',
      'proc-1-root-host-path', 'dirfd-slash-dotdot', 'dotdot-twice-from-root', 'slash-dotdot-dotdot'];
    for (const name of failures) expect(`${name}: ${a.get(name)}`).toMatch(new RegExp(`^${name}: ${FAILED.source.slice(1)}`));
    for (const name of INSIDE_STEPS) expect(a.has(name), `a line for ${name}`).toBe(true);
    // only the program's own fds answer openat
    expect(a.get('fd-scan')).toBe('nothing');
  });

  it('nothing is created in, moved to or taken from the host directory outside the root', () => {
    const outside = path.join(scratch.gramine, 'outside');
    expect(readdirSync(outside).sort()).toEqual(['run.sh', 'secret', 'secret-copy']);
    expect(readFileSync(path.join(outside, 'secret'), 'utf8')).toBe(`${SECRET}\nsecond line\n`);
    const root = readdirSync(path.join(scratch.gramine, 'root'));
    expect(root).toEqual(expect.arrayContaining(['inside-mine-1', 'inside-mine-2', 'inside-mine-3']));
    expect(root).not.toContain('stolen');
    expect(root).not.toContain('stolen2');
  });

  it('a file outside the mounts is invisible: the scratch dir, /tmp, /etc/passwd do not exist', () => {
    const a = attempts(gramine.stdout);
    for (const name of INVISIBLE) expect(`${name}: ${a.get(name)}`).toBe(`${name}: ENOENT`);
    // natively they are there
    const n = attempts(native.stdout);
    for (const name of ['invisible-scratch', 'invisible-outside', 'invisible-secret', 'invisible-tmp']) {
      expect(`${name}: ${n.get(name)}`).toBe(`${name}: exists`);
    }
  });
});
