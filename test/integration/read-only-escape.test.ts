// Files the instance may only read stay as they are (issue 14, items 3 and 4): with the
// built-in manifest, which mounts the host read-only but /tmp, a program changes the metadata
// of a file outside /tmp through an fd it opened read-only (fchmod, fchown, futimens, the
// attribute ioctls) and by name (chmod, truncate, utimensat), and races a symlink swap against
// chmod and truncate by name; and it types into its terminal with TIOCSTI. Each is a real way
// out natively (the controls); under gramine-ts each is refused as Linux refuses it on a
// read-only mount, and the host file is unchanged.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GRAMINE_TS, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

const PROGRAM = program('ro_meta');
const CALLS = ['fchmod', 'fchown', 'fchownat AT_EMPTY_PATH', 'futimens', 'FS_IOC_SETFLAGS', 'FS_IOC_FSSETXATTR', 'chmod', 'truncate', 'utimensat'];

/** A directory outside /tmp: read-only under the built-in manifest. */
let readOnlyDir: string;
let target: string;
let scratch: string;

/** What must not change: type and mode, owner, size, times, attribute flags. */
function fingerprint(file: string) {
  const st = statSync(file, { bigint: true });
  const flags = execFileSync('lsattr', ['-d', file], { encoding: 'utf8' }).split(' ')[0];
  return { mode: st.mode, uid: st.uid, gid: st.gid, size: st.size, mtime: st.mtimeNs, ctime: st.ctimeNs, flags };
}

beforeAll(() => {
  readOnlyDir = mkdtempSync('/var/tmp/gts-ro-escape-');
  target = path.join(readOnlyDir, 'precious');
  writeFileSync(target, 'do not change me\n', { mode: 0o644 });
  scratch = makeTempDir('gts-ro-escape-');
});

afterAll(() => {
  rmSync(readOnlyDir, { recursive: true, force: true });
  removeTempDir(scratch);
});

describe('a file of a read-only mount', () => {
  it('is refused every metadata change (EROFS), through a read-only fd and by name, and stays as it was', async () => {
    const before = fingerprint(target);
    const r = await runGramine([PROGRAM, 'meta', target]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(CALLS.map((c) => `${c}: EROFS\n`).join(''));
    expect(fingerprint(target)).toEqual(before);
  });

  it('a file of a writable mount takes the same calls as natively', async () => {
    const native = path.join(scratch, 'native');
    const gramine = path.join(scratch, 'gramine');
    copyFileSync(target, native);
    copyFileSync(target, gramine);
    const n = await runNative([PROGRAM, 'meta', native]);
    const g = await runGramine([PROGRAM, 'meta', gramine]);
    expect(g.stdout).toBe(n.stdout);
    expect(n.stdout).toContain('fchmod: ok\n'); // the control: the calls change a file that may change
  });

  it('a symlink swapped in by another process while chmod and truncate name the file is not followed', async () => {
    const before = fingerprint(target);
    const dir = path.join(scratch, 'race');
    mkdirSync(dir);
    const r = await runGramine([PROGRAM, 'race', dir, target, '5000'], { timeout: 120_000 });
    expect(r.stdout).toBe(`race: 10000 calls, some changed the file in ${dir}: yes\n`);
    expect(fingerprint(target)).toEqual(before);
  }, 150_000);

  it('the control: natively, the same race changes the symlink\'s target', async () => {
    const victim = path.join(scratch, 'victim');
    writeFileSync(victim, 'natively this changes\n', { mode: 0o644 });
    const dir = path.join(scratch, 'native-race');
    mkdirSync(dir);
    await runNative([PROGRAM, 'race', dir, victim, '5000'], { timeout: 120_000 });
    const after = statSync(victim);
    expect([after.size, after.mode & 0o777]).not.toEqual([22, 0o644]);
  }, 150_000);
});

describe('the terminal', () => {
  // script(1) gives the program a terminal of its own, as a user's shell would
  const inTerminal = (cmd: string) => runNative(['script', '-qec', cmd, '/dev/null']);

  it('TIOCSTI types nothing into it (EPERM); natively it does', async () => {
    const g = await inTerminal(`${process.execPath} ${GRAMINE_TS} run ${PROGRAM} tiocsti`);
    expect(g.stdout.replace(/\r/g, '')).toBe('TIOCSTI: EPERM\ntyped into the terminal: no\n');
    const n = await inTerminal(`${PROGRAM} tiocsti`);
    // the control, on hosts that still allow it (dev.tty.legacy_tiocsti)
    expect(n.stdout.replace(/\r/g, '')).toMatch(/^TIOCSTI: (ok\ntyped into the terminal: yes|EIO\ntyped into the terminal: no)\n$/);
  });
});
