// File locks: record, OFD and flock locks between the instance's processes, as natively (the
// host keeps them; the holder F_GETLK names is a vpid), from C, flock(1) and Python.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  GRAMINE_TS, makeTempDir, program, REPO_ROOT, removeTempDir, runGramine, runNative, VARIANTS, type RunOptions,
} from '../helpers/run.js';

const SHELL_MANIFEST = path.join(REPO_ROOT, 'manifests', 'shell.manifest.toml');

/** expectSameAsNative with a scratch directory of its own for 'DIR' in each run. */
async function expectSameInScratch(argv: string[], opts: RunOptions = {}): Promise<string> {
  const dirs = [makeTempDir(), makeTempDir()];
  try {
    const withDir = (d: string) => argv.map((a) => a.replaceAll('DIR', d));
    const [native, gramine] = await Promise.all([
      runNative(withDir(dirs[0]!), { ...opts, encoding: 'utf8' }),
      runGramine(withDir(dirs[1]!), { ...opts, encoding: 'utf8' }),
    ]);
    expect(native.stderr).toBe('');
    expect(native.status).toBe(0);
    expect({ stdout: gramine.stdout, stderr: gramine.stderr, status: gramine.status }).toEqual({ stdout: native.stdout, stderr: '', status: 0 });
    return native.stdout;
  } finally {
    dirs.forEach(removeTempDir);
  }
}

/**
 * flock(1): a holder in the background keeps the lock until told (fifos fix the order); a
 * second `flock -n` fails with 1 while it holds it, succeeds once it has let go.
 */
const FLOCK_SCRIPT = [
  'cd DIR && mkfifo locked go',
  "(flock -n l -c 'echo > locked; read x < go') &",
  'read x < locked',
  'flock -n l true; echo "while held: $?"',
  'echo > go; wait',
  'flock -n l true; echo "after: $?"',
].join('\n');

describe.each(VARIANTS)('file locks ($name)', ({ suffix }) => {
  it('record locks on byte ranges (F_GETLK names the holder), EDEADLK, OFD locks, lockf, flock across fork, waits and signals', async () => {
    const out = await expectSameInScratch([program('locks', suffix), 'DIR'], { timeout: 60_000 });
    expect(out).toContain('getlk write [0,5) held by A: WRLCK start 0 len 10 pid holder\n');
    expect(out).toContain('child: getlk write [12,13) held by parent: WRLCK start 10 len 10 pid holder\n');
    expect(out).toContain('deadlock: first D then L\n');
    expect(out).toContain('child: flock EX (upgrade of the shared description) = 0\n');
    expect(out).toContain('setlkw interrupted by SIGALRM = -1 EINTR\n');
    expect(out.endsWith('done\n')).toBe(true);
  });
});

describe('file locks from tools', () => {
  it('flock(1) in a shell script on a host directory: 1 while another holds the lock, as natively', async () => {
    const out = await expectSameInScratch(['/bin/sh', '-c', FLOCK_SCRIPT]);
    expect(out).toBe('while held: 1\nafter: 0\n');
  });

  it('flock(1) on the instance\'s tmpfs', async () => {
    const script = FLOCK_SCRIPT.replace('cd DIR', 'cd /tmp');
    const r = await runGramine([SHELL_MANIFEST, '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('while held: 1\nafter: 0\n');
    expect(r.status).toBe(0);
  });

  it('python3: fcntl.flock and fcntl.lockf between processes', async () => {
    const script = [
      'import fcntl, os, sys',
      'p = os.path.join(sys.argv[1], "pylock")',
      'a = open(p, "w"); b = open(p, "w")',
      'fcntl.flock(a, fcntl.LOCK_EX)',
      'try: fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB); print("flock: got it")',
      'except BlockingIOError as e: print("flock: busy", e.errno == 11)',
      'r, w = os.pipe()',
      'sys.stdout.flush()  # what is buffered must not go to the children too',
      'pid = os.fork()',
      'if pid == 0:',
      '    c = open(p, "r+")',
      '    try: fcntl.lockf(c, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0); print("child lockf: got it")',
      '    except OSError as e: print("child lockf:", e.errno)',
      '    sys.stdout.flush(); os.write(w, b"x"); os._exit(0)',
      'os.read(r, 1)',
      'fcntl.lockf(a, fcntl.LOCK_EX, 1, 0)',
      'pid2 = os.fork()',
      'if pid2 == 0:',
      '    c = open(p, "r+")',
      '    try: fcntl.lockf(c, fcntl.LOCK_EX | fcntl.LOCK_NB, 1, 0); print("child lockf: got it")',
      '    except OSError as e: print("child lockf: busy", e.errno in (11, 13))',
      '    sys.stdout.flush(); os._exit(0)',
      'os.waitpid(pid, 0); os.waitpid(pid2, 0)',
      'fcntl.flock(a, fcntl.LOCK_UN)',
      'fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB); print("flock after unlock: got it")',
    ].join('\n');
    const out = await expectSameInScratch(['/usr/bin/python3', '-c', script, 'DIR'], { timeout: 60_000 });
    expect(out).toBe('flock: busy True\nchild lockf: got it\nchild lockf: busy True\nflock after unlock: got it\n');
  });
});

describe.each(VARIANTS)('locks on a trusted file ($name)', ({ suffix }) => {
  it('meet across processes that each open it (one verified copy for the instance), as natively', async () => {
    const dir = makeTempDir();
    try {
      const data = path.join(dir, 'data.txt');
      writeFileSync(data, 'trusted data that processes lock\n');
      const manifest = path.join(dir, 'locks.manifest.toml');
      writeFileSync(manifest, [
        `libos.entrypoint = "${program('trusted_lock', suffix)}"`, `loader.argv = ["trusted_lock", "${data}"]`,
        'fs.root.uri = "file:/"', 'sgx.file_check_policy = "allow_all_but_log"', `sgx.trusted_files = ["file:${data}"]`, '',
      ].join('\n'));
      expect((await runNative([process.execPath, GRAMINE_TS, 'sign', manifest])).status).toBe(0);
      const native = await runNative([program('trusted_lock', suffix), data], { encoding: 'utf8' });
      const gramine = await runGramine([manifest], { encoding: 'utf8', timeout: 30_000 });
      expect(native.status).toBe(0);
      expect(native.stdout).toContain('child flock LOCK_EX|LOCK_NB = -1 EAGAIN\n');
      expect(native.stdout).toContain('held: F_RDLCK by the parent 1, 0-9\n');
      expect(gramine.stdout).toBe(native.stdout);
      expect(gramine.status).toBe(0);
    } finally {
      removeTempDir(dir);
    }
  });
});

describe('/proc/locks', () => {
  it('lists the instance\'s locks with their holders\' vpids, and none of the host\'s', async () => {
    const dir = makeTempDir();
    try {
      const script = [
        `cd ${dir} && mkfifo locked go`,
        // the -c shell's parent is flock, which holds the lock
        "(flock -n l -c 'echo $PPID > locked; read x < go') &",
        'read holder < locked',
        'echo "holder $holder"',
        'cat /proc/locks',
        'echo > go; wait',
        'cat /proc/locks',
      ].join('\n');
      const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8' });
      expect(r.stderr).toBe('');
      const m = /^holder (\d+)\n1: FLOCK  ADVISORY  WRITE (\d+) [0-9a-f]+:[0-9a-f]+:\d+ 0 EOF\n$/.exec(r.stdout);
      expect(m, r.stdout).not.toBeNull();
      expect(m![2]).toBe(m![1]);
      expect(r.status).toBe(0);
    } finally {
      removeTempDir(dir);
    }
  });
});
