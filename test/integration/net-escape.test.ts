// UNIX sockets and the instance's walls (issue 11): a program confined to SCRATCH/root by its
// manifest tries every spelling we know of a socket outside (test/programs/net/net_escape.c):
// the host path, "..", symlinks planted in the root, /proc/self/root and /proc/self/cwd, a
// relative path -- to connect, to send a datagram (sendto, sendmsg, sendmmsg), to bind a socket
// file -- and the host's own abstract names. Natively, with the same layout, each is a real way out (the control); under
// gramine-ts every one fails, nothing arrives, nothing is created outside. And two instances
// do not see each other's abstract names or private paths, nor does the host see theirs; a
// socket on a host directory both mount is the same file for all, as on Linux. A bind races a
// directory of its path swapped for a symlink to the host (natively, a socket file is made
// there): each bind is made in the directory the walk opened, none outside.
import { randomBytes } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';
import { Running } from '../helpers/running.js';

const SECRET = `SOCKSECRET-${randomBytes(8).toString('hex')}`;
const PROGRAM = program('net/net_escape');

/** Attempts that reach the outside natively (the control) and must fail under gramine-ts. */
const CONNECTS = [
  'host-path', 'dotdot', 'dotdots-to-host-path', 'abs-symlink', 'rel-symlink', 'updir-symlink', 'hostdir-symlink',
  'proc-root-host-path', 'proc-cwd-dotdot', 'relative-dotdot',
];
const SENDS = ['host-path', 'dotdot', 'dotdots-to-host-path', 'updir-symlink', 'hostdir-symlink', 'proc-root-host-path', 'proc-cwd-dotdot', 'relative-dotdot'];
const SEND_CALLS = ['sendto', 'sendmsg', 'sendmmsg'];
const BINDS = ['bind-dotdot', 'bind-updir-symlink', 'bind-hostdir-symlink', 'bind-host-path'];
/** binds of the bind race: natively, hundreds of them meet the symlink */
const RACE_BINDS = 2000;

let scratch: string;
const running: Running[] = [];

/** A host program of the test's, running until the test ends, once it says it is ready. */
async function helper(...args: string[]): Promise<Running> {
  const r = new Running([PROGRAM, ...args]);
  running.push(r);
  await r.waitFor('out', /^ready$/);
  return r;
}

beforeAll(() => {
  scratch = makeTempDir('gts-net-escape-');
});
afterAll(() => removeTempDir(scratch));
afterEach(() => {
  for (const r of running.splice(0)) r.kill();
});

describe('UNIX sockets stay inside the instance', () => {
  it('no spelling connects, sends or binds outside the mounts; host abstract names are out of reach', async () => {
    const root = path.join(scratch, 'root');
    const outside = path.join(scratch, 'outside');
    for (const d of [root, outside]) mkdirSync(d, { recursive: true });
    copyFileSync(PROGRAM, path.join(root, 'net_escape'));
    for (const [link, target] of [
      ['bin', 'usr/bin'], ['lib', 'usr/lib'], ['lib64', 'usr/lib64'],
      ['abs-sock', path.join(outside, 'secret.sock')], ['rel-sock', '../outside/secret.sock'], ['updir', '..'], ['hostdir', scratch],
    ] as const) symlinkSync(target, path.join(root, link));
    const abstract = `gts-escape-${randomBytes(6).toString('hex')}`;
    // the host's: a socket outside the instance's tree, and an abstract name, that answer with the secret
    await helper('answer', path.join(outside, 'secret.sock'), SECRET);
    await helper('answer', `@${abstract}`, SECRET);
    const manifest = path.join(scratch, 'escape.manifest.toml');
    writeFileSync(manifest, [
      'libos.entrypoint = "/net_escape"',
      'loader.insecure__use_cmdline_argv = true',
      `fs.root = { uri = "file:${root}" }`,
      'fs.start_dir = "/"',
      'fs.mounts = [{ path = "/usr", uri = "file:/usr" }]',
      'sgx.file_check_policy = "allow_all_but_log"',
      '',
    ].join('\n'));

    /** One run with a datagram sink at outside/dgram.sock: the lines, and how many datagrams arrived. */
    const attempt = async (argv: string[], asGramine: boolean) => {
      const sink = await helper('sink', path.join(outside, 'dgram.sock'));
      const r = asGramine ? await runGramine(argv) : await runNative(argv);
      sink.child.stdin.end();
      const [got] = await sink.waitFor('out', /^datagrams \d+$/);
      const lines = new Map(r.stdout.trim().split('\n').map((l) => l.split(': ', 2) as [string, string]));
      return { r, lines, datagrams: Number(got!.split(' ')[1]) };
    };

    const native = await attempt([path.join(root, 'net_escape'), 'attempts', root, scratch, abstract], false);
    for (const w of CONNECTS) expect(native.lines.get(`connect-${w}`), `natively, connect-${w}`).toBe(`reached=${SECRET}`);
    for (const how of SEND_CALLS) for (const w of SENDS) expect(native.lines.get(`${how}-${w}`), `natively, ${how}-${w}`).toBe('sent');
    for (const b of BINDS) expect(native.lines.get(b), `natively, ${b}`).toBe('bound');
    expect(native.lines.get('connect-abstract-of-the-host')).toBe(`reached=${SECRET}`);
    expect(native.datagrams).toBe(SEND_CALLS.length * SENDS.length);
    const created = readdirSync(outside).filter((f) => f.startsWith('created-'));
    expect(created.length).toBe(BINDS.length);
    for (const f of [...created.map((c) => path.join(outside, c)), path.join(root, 'inside.sock')]) removeTempDir(f);

    const gramine = await attempt([manifest, 'attempts', '/', scratch, abstract], true);
    expect(gramine.r.stderr).toBe('');
    expect(gramine.r.stdout).not.toContain(SECRET);
    for (const [name, result] of gramine.lines) {
      if (name === 'bind-inside') expect(result).toBe('bound');
      else expect(result, name).toMatch(/^E[A-Z]+$/);
    }
    expect(gramine.lines.size).toBe(native.lines.size);
    expect(gramine.datagrams).toBe(0);
    expect(readdirSync(outside).filter((f) => f.startsWith('created-'))).toEqual([]);
    expect(existsSync(path.join(root, 'inside.sock'))).toBe(true);
  });

  it('a directory swapped for a symlink to the host while binds name a socket in it: no socket file is made outside', async () => {
    // the built-in manifest: /tmp is the host's, writable; TARGET (in /var/tmp) is read-only
    const dir = path.join(scratch, 'bind-race');
    mkdirSync(dir);
    const target = mkdtempSync('/var/tmp/gts-bind-race-');
    try {
      const r = await runGramine([PROGRAM, 'bind-race', dir, target, String(RACE_BINDS)], { timeout: 120_000 });
      expect(r.stderr).toBe('');
      const [bound, refused] = (/^bind-race: (\d+) bound, (\d+) refused\n$/.exec(r.stdout) ?? []).slice(1).map(Number);
      // both states were met: binds in the directory, and refusals through the symlink
      expect(bound).toBeGreaterThan(0);
      expect(refused).toBeGreaterThan(0);
      expect(readdirSync(target)).toEqual([]);
      const made = [path.join(dir, 'a'), path.join(dir, 'a.dir')].filter(existsSync).flatMap((d) => readdirSync(d));
      expect(made.length).toBe(bound);
    } finally {
      rmSync(target, { recursive: true, force: true });
    }
  }, 150_000);

  it('the control: natively, the binds that meet the symlink make their files outside', async () => {
    const dir = path.join(scratch, 'native-bind-race');
    const target = path.join(scratch, 'native-bind-race-target');
    for (const d of [dir, target]) mkdirSync(d);
    await runNative([PROGRAM, 'bind-race', dir, target, String(RACE_BINDS)], { timeout: 120_000 });
    expect(readdirSync(target).length).toBeGreaterThan(0);
  }, 150_000);

  it("another instance and the host reach neither an instance's abstract names nor its private paths; a shared host directory is shared", async () => {
    const shared = makeTempDir('gts-net-shared-');
    const name = `gts-shared-${randomBytes(6).toString('hex')}`;
    const manifest = path.join(scratch, 'two.manifest.toml');
    writeFileSync(manifest, [
      `libos.entrypoint = "${PROGRAM}"`,
      'loader.insecure__use_cmdline_argv = true',
      'fs.root.uri = "file:/"',
      `fs.mounts = [{ type = "tmpfs", path = "/private" }, { path = "${shared}", uri = "file:${shared}" }]`,
      'sgx.file_check_policy = "allow_all_but_log"',
      '',
    ].join('\n'));
    try {
      const a = Running.gramine([manifest, 'serve', shared, name]);
      running.push(a);
      await a.waitFor('out', /^ready$/);
      // inside the instance, all three are there
      expect(a.out.filter((l) => l.startsWith('same instance: '))).toEqual([
        'same instance: abstract: reached=A', 'same instance: private: reached=A', 'same instance: shared: reached=A',
      ]);
      const other = await runGramine([manifest, 'probe', shared, name]);
      expect(other.stdout).toBe('abstract: ECONNREFUSED\nprivate: ENOENT\nshared: reached=A\n');
      const host = await runNative([PROGRAM, 'probe', shared, name]);
      expect(host.stdout).toBe('abstract: ECONNREFUSED\nprivate: ENOENT\nshared: reached=A\n');
      a.child.stdin.end();
      expect(await a.exited).toBe(0);
    } finally {
      removeTempDir(shared);
    }
  });
});
