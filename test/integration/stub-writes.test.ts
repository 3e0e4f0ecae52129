// Writes the stub makes itself (native/stub/paths.c, GTS_PATH_STUB_WRITES): on a writable mount
// whose file check passes every open unseen, an open that writes, creates or truncates a
// regular file, creat, unlink, and access(W_OK) are made in the app process, as its host
// identity, under the host's umask (the process's own), through no symlink and beneath the
// mount's root -- so that a compiler's temporary files, a shell's `> file` and `rm` need no
// round trip to a worker, and a forked child that does only that needs no worker at all. What
// the host refuses the app's identity (a directory of host root's), a FIFO, a device, a
// set-id bit, a dangling symlink's target go to the worker, whose walk is the authority.
// Each run is compared with the same run natively.
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_HOST_ID } from '../../src/pal/channel-abi.js';
import { makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

let scratch: string;
beforeAll(() => {
  scratch = makeTempDir('gts-stub-writes-');
  chmodSync(scratch, 0o755); // (a root instance's app identity searches it, as any user's /tmp directory)
});
afterAll(() => removeTempDir(scratch));

let n = 0;
/** A fresh directory of the scratch one that anyone may write (as /tmp), for one run. */
function openDir(): string {
  const d = path.join(scratch, `d${n++}`);
  mkdirSync(d);
  chmodSync(d, 0o1777);
  return d;
}

/** The calls of an --strace file on paths below `dir` (or relative), each with whether the worker made it. */
function callsBelow(strace: string, dir: string): { line: string; worker: boolean }[] {
  return strace.split('\n').filter((l) => l.includes(`"${dir}/`) || /\(AT_FDCWD, "rel"/.test(l))
    .map((line) => ({ line, worker: line.endsWith('[worker]') }));
}

describe('writes the stub makes itself', () => {
  it('open for writing, O_CREAT, O_EXCL, O_TRUNC, O_APPEND, creat, unlink, access: as Linux says, the file as natively', async () => {
    const native = await runNative([program('stub_writes'), openDir()], { encoding: 'utf8' });
    const dir = openDir();
    const straceFile = path.join(scratch, 'writes.strace');
    const r = await runGramine([program('stub_writes'), dir], { encoding: 'utf8', gramineArgs: ['--strace', straceFile] });
    expect(native.status).toBe(0);
    expect(native.stdout).toContain('create-excl: ok mode=644 size=5 owner=0:0\n');
    expect(native.stdout).toContain('fifo-reader: read 7 "through"\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    // which were the stub's: the plain ones; a set-id bit, a directory, a dangling symlink's
    // target, the FIFO, a directory's unlink, a file of host root's are the worker's
    const calls = callsBelow(readFileSync(straceFile, 'utf8'), dir);
    const stubs = (re: RegExp) => calls.filter((c) => re.test(c.line)).map((c) => c.worker);
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/a", 0xc1,/)).toEqual([false, false]); // create-excl twice (EEXIST)
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/a", 0x(401|41|202|200),/)).toEqual([false, false, false, false]);
    expect(stubs(/creat\("[^"]*\/b"/)).toEqual([false]);
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/c", 0x41,/)).toEqual([false]);
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/g", /)).toEqual([true]);
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/(missing\/x|a\/x|nothere)", /)).toEqual([false, false, false]);
    expect(stubs(/openat\(AT_FDCWD, "[^"]*\/fifo", /)).toEqual([true, true, true]);
    expect(stubs(/access\("[^"]*\/(b|nothere)", 0[26]\)/)).toEqual([false, false]);
    expect(stubs(/^\[pid \d+\] unlink\("[^"]*\/(a|missing\/x)"\)/)).toEqual([false, false, false]);
    expect(stubs(/unlink\("[^"]*\/sub"\)/)).toEqual([true]);
    expect(stubs(/\(AT_FDCWD, "rel", /)).toEqual([false, false]);
  });

  it('a subshell that sets a umask, writes, appends, reads and removes files needs no worker', async () => {
    const run = async (gramine: boolean) => {
      const d = openDir();
      // (the closing cd asks the first worker: every fork has been told by then)
      // (no stat or ls: coreutils' SELinux probe reads /proc, which is a worker's)
      // (its umask too: the stub sets it alone, and a grandchild made after, by the leader, has it)
      const script = `(umask 027; echo one > ${d}/f; echo two >> ${d}/f; cat ${d}/f; wc -c < ${d}/f; ` +
        `: > ${d}/g; (echo three > ${d}/h); rm ${d}/f; test -e ${d}/f || echo removed; wc -c < ${d}/g; umask); umask; cd /`;
      const r = gramine
        ? await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] })
        : await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
      const left = readdirSync(d).sort();
      return { ...r, left, modes: left.map((f) => (statSync(path.join(d, f)).mode & 0o7777).toString(8)) };
    };
    const native = await run(false);
    const r = await run(true);
    expect(native.stdout).toBe('one\ntwo\n8\nremoved\n0\n0027\n0022\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    expect(r.left).toEqual(['g', 'h']);
    expect(r.left).toEqual(native.left);
    expect(r.modes).toEqual(['640', '640']);
    expect(r.modes).toEqual(native.modes);
    // the subshell and its cat, stat and rm were held by the leader to the end: no adoption
    expect(r.stderr).not.toMatch(/ADOPT /);
    expect(r.stderr).toMatch(/FORKED .* by=leader/);
  });

  it('a file it makes in a root instance is the app identity\'s on the host, and the instance\'s root\'s inside', async () => {
    const d = openDir();
    const r = await runGramine(['/bin/sh', '-c', `echo x > ${d}/mine; stat -c '%u %g' ${d}/mine`], { encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('0 0\n');
    const { uid, gid } = statSync(path.join(d, 'mine'));
    expect([uid, gid]).toEqual(process.getuid?.() === 0 ? [APP_HOST_ID, APP_HOST_ID] : [process.getuid?.(), process.getgid?.()]);
  });

  it('a directory of host root\'s (0755) is the worker\'s to write in: the file is made all the same', async () => {
    const d = path.join(scratch, `rootdir${n++}`);
    mkdirSync(d, { mode: 0o755 });
    const script = `echo x > ${d}/f; cat ${d}/f; rm ${d}/f; ls ${d}`;
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(r.stdout).toBe(native.stdout);
    expect(r.stdout).toBe('x\n');
    expect(r.status).toBe(0);
  });
});

describe('a directory swapped for a symlink to the host during the stub\'s writes', () => {
  const run = async (where: 'native' | 'gramine' | 'gramine-no-sandbox') => {
    const dir = openDir();
    // outside every writable mount (the built-in manifest's root is read-only), which anyone may write
    const outside = mkdtempSync('/var/tmp/gts-write-race-');
    try {
      chmodSync(outside, 0o1777);
      writeFileSync(path.join(outside, 'victim'), 'still here\n', { mode: 0o666 });
      chmodSync(path.join(outside, 'victim'), 0o666);
      const argv = [program('write_race'), dir, outside, '3000'];
      const r = where === 'native'
        ? await runNative(argv, { encoding: 'utf8' })
        : await runGramine(argv, {
          encoding: 'utf8', timeout: 120_000,
          env: where === 'gramine-no-sandbox' ? { ...process.env, GRAMINE_TS_INSECURE_NO_SANDBOX: '1' } : process.env,
        });
      return { ...r, outside: readdirSync(outside).sort(), victim: existsSync(path.join(outside, 'victim')) ? readFileSync(path.join(outside, 'victim'), 'utf8') : null };
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  };

  it('makes, writes and removes nothing outside the mount (natively, through the symlink, it does)', async () => {
    const native = await run('native');
    expect(native.stdout).toBe('rounds that made their file: some\n');
    // the control: the race reaches the host directory natively
    expect(native.outside.includes('kept') || native.victim === null).toBe(true);
    for (const where of ['gramine', 'gramine-no-sandbox'] as const) {
      const r = await run(where);
      expect(r.stdout, where).toBe('rounds that made their file: some\n');
      expect(r.status, where).toBe(0);
      expect(r.outside, where).toEqual(['victim']);
      expect(r.victim, where).toBe('still here\n');
    }
  }, 300_000);
});

describe('the stub\'s writes stay in their mount', () => {
  let manifestDir: string;
  let outer: string;
  let inner: string;
  beforeAll(() => {
    manifestDir = makeTempDir('gts-stub-writes-m-');
    chmodSync(manifestDir, 0o755);
    outer = path.join(manifestDir, 'outer');
    inner = path.join(manifestDir, 'inner');
    // the root: the host's /usr mounted in it, and the merged-/usr links
    const root = path.join(manifestDir, 'root');
    mkdirSync(path.join(root, 'usr'), { recursive: true });
    chmodSync(root, 0o755);
    for (const l of ['bin', 'lib', 'lib64']) symlinkSync(`usr/${l}`, path.join(root, l));
    for (const d of [outer, inner, path.join(outer, 'in'), path.join(outer, 't'), path.join(outer, 'sub')]) {
      mkdirSync(d, { recursive: true });
      chmodSync(d, 0o1777);
    }
    // the host's files below the mount points, which the instance mounts over
    writeFileSync(path.join(outer, 'in', 'shadowed'), 'below the mount point\n');
    chmodSync(path.join(outer, 'in', 'shadowed'), 0o666);
  });
  afterAll(() => removeTempDir(manifestDir));

  /**
   * A manifest of a root of its own with the host's /usr, /w (outer), /w/in (inner) and a tmpfs
   * /w/t, running argv: the host files below outer/in and outer/t are in no mount.
   */
  function manifest(argv: string[]): string {
    const file = path.join(manifestDir, `m${n++}.manifest.toml`);
    writeFileSync(file, [
      `libos.entrypoint = ${JSON.stringify(argv[0])}`, `loader.argv = ${JSON.stringify(argv)}`,
      `fs.root.uri = "file:${path.join(manifestDir, 'root')}"`, 'sgx.file_check_policy = "allow_all_but_log"',
      `fs.mounts = [{ path = "/usr", uri = "file:/usr" }, { path = "/w", uri = "file:${outer}" }, { path = "/w/in", uri = "file:${inner}" }, ` +
        '{ type = "tmpfs", path = "/w/t" }]', '',
    ].join('\n'));
    return file;
  }

  it('a path below a mount point is that mount\'s: the host files mounted over are not touched', async () => {
    const script = 'echo a > /w/f; echo b > /w/in/f; echo c > /w/t/f; cat /w/f /w/in/f /w/t/f; rm /w/in/shadowed 2>/dev/null || echo no shadowed; ' +
      'echo d > /w//in/g; echo e > /w/in/../h; cat /w/in/g /w/h; rm /w/t/f; ls /w/t; ls /w/in';
    const r = await runGramine([manifest(['/bin/sh', '-c', script])], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('a\nb\nc\nno shadowed\nd\ne\nf\ng\n');
    expect(r.status).toBe(0);
    expect(readdirSync(path.join(outer, 'in'))).toEqual(['shadowed']);
    expect(readFileSync(path.join(outer, 'in', 'shadowed'), 'utf8')).toBe('below the mount point\n');
    expect(readdirSync(path.join(outer, 't'))).toEqual([]);
    expect(readdirSync(inner).sort()).toEqual(['f', 'g']);
    expect(readdirSync(outer).sort()).toEqual(['f', 'h', 'in', 'sub', 't']);
    expect(readFileSync(path.join(outer, 'h'), 'utf8')).toBe('e\n');
  });

  it('the gadget cannot write, make or remove a host file mounted over, where the mount\'s writes are the stub\'s', async () => {
    const attack = async (...args: string[]) => {
      copyFileSync(program('gadget-static'), path.join(outer, 'gadget'));
      chmodSync(path.join(outer, 'gadget'), 0o755);
      const r = await runGramine([manifest(['/w/gadget', ...args])], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      return r.stdout.trim().split(': ')[1];
    };
    expect(await attack('create', path.join(outer, 'in', 'made'))).toMatch(/^E[A-Z]+$/);
    expect(await attack('write', path.join(outer, 'in', 'shadowed'))).toMatch(/^E[A-Z]+$/);
    expect(await attack('unlink', path.join(outer, 'in', 'shadowed'))).toMatch(/^E[A-Z]+$/);
    expect(await attack('create', path.join(outer, 't', 'made'))).toMatch(/^E[A-Z]+$/);
    // the control: in the mount itself, the host's answer (not in /w itself, which has mount
    // points in it: Landlock's rules there are its other entries', and a new name is the worker's)
    expect(await attack('create', path.join(outer, 'made'))).toMatch(/^E[A-Z]+$/);
    expect(await attack('create', path.join(outer, 'sub', 'made'))).toBe('ok');
    expect(existsSync(path.join(outer, 'sub', 'made'))).toBe(true);
    expect(readdirSync(path.join(outer, 'in'))).toEqual(['shadowed']);
    expect(readFileSync(path.join(outer, 'in', 'shadowed'), 'utf8')).toBe('below the mount point\n');
    expect(readdirSync(path.join(outer, 't'))).toEqual([]);
  });
});
