// Direct calls (native/stub/patch.c): after a call the stub answers alone has trapped once, its
// site in glibc jumps to the stub without a trap. The answers must stay those of a trap, and of
// Linux: from a loop, from handlers interrupting one, with bad pointers, with SIGSEGV handled
// or blocked, in a forked child and from threads; and a symlink swapped in under them stays the
// instance's (the opens of the path table refuse to follow one: the worker's walk does).
import { mkdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PROGRAMS_BUILD, VARIANTS, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

describe.each(VARIANTS)('direct calls ($name)', ({ suffix }) => {
  it('patch glibc\'s site and answer as Linux does', async () => {
    const native = await runNative([program(`direct_calls${suffix}`)]);
    const gramine = await runGramine([program(`direct_calls${suffix}`)]);
    const [nativeSite, ...nativeRest] = String(native.stdout).split('\n');
    const [gramineSite, ...gramineRest] = String(gramine.stdout).split('\n');
    expect(nativeSite).toBe('site: mov');
    expect(gramineSite).toBe('site: jmp');
    expect(gramineRest.join('\n')).toBe(nativeRest.join('\n'));
    expect(gramineRest).toContain('interrupted loop: ok, handler: ok, handler ran: yes');
    expect(gramine.status).toBe(0);
  });
});

describe('direct calls stay inside a jail', () => {
  let scratch = '';
  afterAll(() => {
    if (scratch) removeTempDir(scratch);
  });

  it('a symlink swapped in under a patched open or stat is the instance\'s, never followed on the host', async () => {
    scratch = makeTempDir('gts-direct-race-');
    mkdirSync(path.join(scratch, 'root'));
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
    const gramine = await runGramine(['/tmp/race', '20000', ...hostFile], {
      encoding: 'utf8',
      gramineArgs: ['--manifest', manifest],
      timeout: 120_000,
    });
    expect(gramine.stdout).toBe(
      "read the instance's file: yes\nfound the symlink's target missing: yes\nreached the host's file: 0\n",
    );
    // the control: natively the symlink is followed to the host's file
    const native = await runNative([program('direct_race-static'), path.join(scratch, 'native'), '20000', ...hostFile], {
      encoding: 'utf8',
      timeout: 120_000,
    });
    expect(native.stdout).toMatch(/reached the host's file: [1-9]/);
  });
});
