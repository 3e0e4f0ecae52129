// A seeded system-call fuzzer (test/programs/fuzz_syscalls.c) run under gramine-ts for a
// bounded time, with the built-in manifest, as host root: the leader and the workers never
// crash (no Node stack trace, no worker death), the instance ends with the fuzzer's status,
// and a canary directory of the host that the fuzzer is handed the paths of (read-only in the
// instance) is exactly as it was. `npm test` runs one seed briefly; `npm run fuzz` runs a random
// seed (or GTS_FUZZ_SEED) for GTS_FUZZ_SECONDS (default 120). The seed is in the test's name.
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { program, runGramine } from '../helpers/run.js';

const SECONDS = Number(process.env.GTS_FUZZ_SECONDS ?? 15);
const SEED = process.env.GTS_FUZZ_SEED === 'random' ? String(Date.now() % 1_000_000_007) : (process.env.GTS_FUZZ_SEED ?? '1');

/** A directory of the host, outside the instance's writable mounts (/var/tmp: read-only in it). */
const CANARY = `/var/tmp/gts-fuzz-canary-${process.pid}`;

/** Everything about the canary tree that a change would show: entries, modes, owners, times, bytes. */
function snapshot(dir: string): string {
  const out: string[] = [];
  const walk = (p: string): void => {
    const st = lstatSync(p);
    out.push(`${path.relative(CANARY, p) || '.'} ${st.mode.toString(8)} ${st.uid}:${st.gid} ${st.size} ${st.mtimeMs} ${st.ctimeMs} ${st.ino} ${st.nlink}`);
    if (st.isSymbolicLink()) out.push(`  -> ${readlinkSync(p)}`);
    else if (st.isFile()) out.push(`  ${readFileSync(p, 'hex')}`);
    else if (st.isDirectory()) for (const name of readdirSync(p).sort()) walk(path.join(p, name));
  };
  walk(dir);
  return out.join('\n');
}

afterAll(() => rmSync(CANARY, { recursive: true, force: true }));

/** A Node stack trace, or Node's native one, anywhere in `text`. */
const STACK = /^\s+at .*\(?.*:\d+:\d+\)?$|Native stack trace|node:internal|Unhandled 'error' event/m;

describe('the syscall fuzzer', () => {
  it(`seed ${SEED}, ${SECONDS} s: the instance survives it and nothing of the host changes`, async () => {
    mkdirSync(path.join(CANARY, 'dir'), { recursive: true });
    writeFileSync(path.join(CANARY, 'file'), 'canary\n', { mode: 0o644 });
    writeFileSync(path.join(CANARY, 'dir', 'inner'), 'inner\n', { mode: 0o600 });
    symlinkSync('file', path.join(CANARY, 'link'));
    const before = snapshot(CANARY);
    // a place the built-in manifest lets it write (below /tmp, never /tmp itself: the app is root
    // in the instance, and chmod or chown of the host's /tmp would be its right, and the host's loss)
    const writable = mkdtempSync('/tmp/gts-fuzz-');
    const targets = [CANARY, `${CANARY}/file`, `${CANARY}/dir`, `${CANARY}/dir/inner`, `${CANARY}/link`, writable, `${writable}/fuzz`, '/proc/self/fd/0'];
    const tmpBefore = statSync('/tmp');
    const r = await runGramine([program('fuzz_syscalls'), SEED, String(SECONDS), ...targets], {
      cwd: '/', encoding: 'utf8', timeout: (SECONDS + 90) * 1000,
    });
    expect(r.stderr).not.toMatch(STACK);
    // no process of the instance (a worker) died under it, and no handler failed; what it used
    // that is unsupported is named in the one line at the end, and nothing else is said
    const said = r.stderr.split('\n').filter((l) => l.startsWith('gramine-ts: '));
    expect(said.filter((l) => !l.startsWith('gramine-ts: the program used what gramine-ts does not support: '))).toEqual([]);
    expect(r.stderr).not.toMatch(/handler failed/);
    expect(r.stdout).toMatch(new RegExp(`^seed ${SEED}: [1-9]\\d* children, \\d+ calls, \\d+ died by a signal.*\\n$`));
    expect(r.status).toBe(0);
    expect(snapshot(CANARY)).toBe(before);
    // the host's /tmp as it was (what the tests after this one need)
    const tmpAfter = statSync('/tmp');
    expect([tmpAfter.mode, tmpAfter.uid, tmpAfter.gid]).toEqual([tmpBefore.mode, tmpBefore.uid, tmpBefore.gid]);
    rmSync(writable, { recursive: true, force: true });
  }, (SECONDS + 120) * 1000);
});
