// Direct calls (native/stub/patch.c): after a call the stub answers alone has trapped once, its
// site in glibc jumps to the stub without a trap. The answers must stay those of a trap, and of
// Linux: from a loop, from handlers interrupting one, with bad pointers, with SIGSEGV handled
// or blocked, in a forked child and from threads; and a symlink swapped in under them stays the
// instance's (the opens of the path table refuse to follow one: the worker's walk does).
import { chmodSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRAMS_BUILD, VARIANTS, hostRootManifest, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

describe.each(VARIANTS)('direct calls ($name)', ({ suffix }) => {
  it('patch glibc\'s site and answer as Linux does', async () => {
    const native = await runNative([program(`direct_calls${suffix}`)]);
    const gramine = await runGramine([program(`direct_calls${suffix}`)]);
    // the line that says whether the sites were patched differs, by design; the rest is Linux's
    const isSite = (line: string): boolean => line.startsWith('site: ');
    const nativeLines = String(native.stdout).split('\n');
    const gramineLines = String(gramine.stdout).split('\n');
    const [nativeSite, nativeRest] = [nativeLines.find(isSite), nativeLines.filter((l) => !isSite(l))];
    const [gramineSite, gramineRest] = [gramineLines.find(isSite), gramineLines.filter((l) => !isSite(l))];
    expect(nativeSite).toBe("site: mov, open pattern's site: mov, getuid's: mov, access's: mov, dup3's: mov");
    expect(gramineSite).toBe("site: jmp, open pattern's site: jmp, getuid's: jmp, access's: jmp, dup3's: jmp");
    expect(gramineRest.join('\n')).toBe(nativeRest.join('\n'));
    expect(gramineRest).toContain('interrupted loop: ok, handler: ok, handler ran: yes');
    expect(gramineRest).toContain('another number at the pattern: that call');
    expect(gramineRest).toContain('open pattern: ok');
    expect(gramineRest).toContain('lookups in a loop: the same');
    expect(gramineRest).toContain('dups in a loop: ok');
    expect(gramine.status).toBe(0);
  });
});

describe('direct calls stay inside a jail', () => {
  let scratch = '';
  afterAll(() => {
    if (scratch) removeTempDir(scratch);
  });

  // relative: from a working directory the stub resolves relative paths below (a tmpfs of the
  // jail); below-cwd: an absolute path there, below a directory of mode 0700 (a root instance's
  // app identity may not search it: the stub resolves it from the working directory)
  it.each<[string, string, string[]]>([
    ['absolute', '/tmp/race', []],
    ['relative', '/tmp/race', ['relative']],
    ['below-cwd', '/tmp/locked/race', ['below-cwd']],
  ])('a symlink swapped in under a patched open or stat is the instance\'s, never followed on the host (%s path)', async (how, dir, extra) => {
    scratch ||= makeTempDir('gts-direct-race-');
    mkdirSync(path.join(scratch, 'root'), { recursive: true });
    const manifest = path.join(scratch, 'race.manifest.toml');
    writeFileSync(
      manifest,
      [
        'libos.entrypoint = "/prog/direct_race-static"',
        'loader.insecure__use_cmdline_argv = true',
        'loader.log_level = "error"',
        `fs.root = { uri = "file:${scratch}/root" }`,
        'fs.mounts = [',
        `  { path = "/prog", uri = "file:${PROGRAMS_BUILD}" },`,
        '  { type = "tmpfs", path = "/tmp" },',
        ']',
        'sgx.file_check_policy = "allow_all_but_log"',
        '',
      ].join('\n'),
    );
    const host = statSync('/etc/hostname');
    const hostFile = [String(host.dev), String(host.ino)];
    const gramine = await runGramine([dir, '20000', ...hostFile, ...extra], {
      encoding: 'utf8',
      gramineArgs: ['--manifest', manifest],
      timeout: 120_000,
    });
    expect(gramine.stdout).toBe(
      "read the instance's file: yes\nfound the symlink's target missing: yes\nreached the host's file: 0\n",
    );
    // the control: natively the symlink is followed to the host's file
    mkdirSync(path.join(scratch, `native-${how}`), { recursive: true });
    const native = await runNative([program('direct_race-static'), path.join(scratch, `native-${how}`, 'race'), '20000', ...hostFile, ...extra], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(native.stdout).toMatch(/reached the host's file: [1-9]/);
  });
});

describe('relative paths the stub resolves itself', () => {
  // without the kernel boundary too: Landlock leaves out what the instance mounts over, and would
  // hide a wrong answer of the stub's
  it.each(['', 'GRAMINE_TS_INSECURE_NO_SANDBOX'])('only below a working directory with no mount point under it: a tmpfs mounted over a host directory hides its files (%s)', async (insecure) => {
    const dir = makeTempDir('gts-relative-');
    try {
      chmodSync(dir, 0o755);
      mkdirSync(path.join(dir, 'hidden'));
      writeFileSync(path.join(dir, 'hidden', 'f'), "the host's\n");
      writeFileSync(path.join(dir, 'seen'), 'seen\n');
      // from DIR (a mount point below it: the walk's), then from DIR/hidden (the tmpfs: the stub's)
      const script = `cd ${dir} && cat seen && cat hidden/f 2>&1 | sed 's/.*: //'; echo made > hidden/f; cat hidden/f; cd hidden && cat f ./f ${dir}/hidden/f`;
      const m = hostRootManifest(dir, ['/bin/bash', '-c', script], `fs.mounts = [{ type = "tmpfs", path = "${dir}/hidden" }]`);
      const r = await runGramine([m], { encoding: 'utf8', env: insecure ? { ...process.env, [insecure]: '1' } : process.env });
      expect(r.stdout).toBe('seen\nNo such file or directory\nmade\nmade\nmade\nmade\n');
      expect(readFileSync(path.join(dir, 'hidden', 'f'), 'utf8')).toBe("the host's\n");
    } finally {
      removeTempDir(dir);
    }
  });

  // Below a directory of mode 0700 (root's home, what mkdtemp makes), a root instance's app
  // identity cannot walk from the root: an absolute path naming the working directory is resolved
  // from it. Only one naming it: a sibling whose name starts with the cwd's, "..", the cwd itself.
  it('absolute paths below a working directory under a directory of mode 0700', async () => {
    const dir = makeTempDir('gts-below-cwd-');
    try {
      chmodSync(dir, 0o700);
      for (const d of ['work', 'work/sub', 'work/subx']) mkdirSync(path.join(dir, d), { mode: 0o755 });
      writeFileSync(path.join(dir, 'work', 'sub', 'f'), 'sub\n');
      writeFileSync(path.join(dir, 'work', 'subx', 'f'), 'subx\n');
      const w = `${dir}/work`;
      const script = [
        `cd ${w}/sub`, `rm -f ${w}/sub/g ${w}/sub/l`, `cat ${w}/sub/f ${w}/subx/f ${w}/sub/../subx/f ${w}/sub/./f ${w}/sub//f`, `ls ${w}/sub ${w}/sub/`,
        `stat -c '%s %F' ${w}/sub ${w}/sub/f ${w}/subx`, `cat ${w}/sub/missing 2>&1 | sed 's/.*: //'`,
        `echo new > ${w}/sub/g`, `cat ${w}/sub/g g`, `ln -s f ${w}/sub/l`, `cat ${w}/sub/l`,
      ].join(' && ');
      const m = hostRootManifest(dir, ['/bin/sh', '-c', script]);
      const r = await runGramine([m], { encoding: 'utf8' });
      const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(native.stdout);
      expect(r.stdout).toMatch(/^sub\nsubx\nsubx\nsub\nsub\n.*No such file or directory\nnew\nnew\nsub\n$/s);
    } finally {
      removeTempDir(dir);
    }
  });
});
