// A shell looks each program up along PATH, in every subshell. A directory on the first
// process's PATH below one only its owner may search (as /root/.local/bin is below /root) is
// one the app's host identity cannot reach in a root instance: the stub's walk was refused
// there, and every lookup went to the worker (and a forked child that asked nothing else got
// one for it). The path table now holds such directories by fd (src/libos/fs/stub-search-grants.ts):
// the stub answers those lookups, and whatever it may not open is still the worker's to give.
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runGramine, runNative } from '../helpers/run.js';

let home: string;
let bin: string;

beforeAll(() => {
  // in the instance's read-only root, as /root is (the instance's /tmp is a writable mount of its own)
  home = mkdtempSync('/var/tmp/gts-home-');
  chmodSync(home, 0o700); // as /root: only its owner may search it
  bin = path.join(home, 'bin');
  mkdirSync(bin, { mode: 0o755 });
  writeFileSync(path.join(bin, 'greet'), '#!/bin/sh\necho "greet ran"\n', { mode: 0o755 });
  writeFileSync(path.join(bin, 'secret'), 'only the owner reads this\n', { mode: 0o600 });
});

afterAll(() => rmSync(home, { recursive: true, force: true }));

describe('a PATH directory below one only its owner may search', () => {
  it('has its lookups answered by the stub, and runs what it holds as natively', async () => {
    const env = { PATH: `${bin}:/usr/bin:/bin`, HOME: home, LANG: 'C' };
    const script = `x=$(echo abc | tr a-c x-z); echo "$x"; greet; cat ${bin}/secret; command -v greet`;
    const straceDir = mkdtempSync('/tmp/gts-strace-');
    const strace = path.join(straceDir, 'strace.txt');
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8', env });
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', env, gramineArgs: ['--strace', strace] });
    const lines = readFileSync(strace, 'utf8').split('\n');
    rmSync(straceDir, { recursive: true, force: true });
    expect(native.stdout).toBe(`xyz\ngreet ran\nonly the owner reads this\n${bin}/greet\n`);
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    // the substitution's tr looked for in ${bin} first: not there, said by the stub
    const lookups = lines.filter((l) => l.includes(`"${bin}/tr"`));
    expect(lookups.length).toBeGreaterThanOrEqual(1);
    for (const l of lookups) expect(l).toMatch(/= -1 ENOENT$/);
    // the file only its owner reads: the app's identity may not, the instance's root may (its worker opens it)
    expect(lines.filter((l) => l.includes(`"${bin}/secret"`) && /= \d+ \[worker\]$/.test(l)).length).toBeGreaterThanOrEqual(process.getuid!() === 0 ? 1 : 0);
  });
});
