// The file-system layer (issue 4), family by family: each C program under test/programs/fs
// works in a scratch directory of its own (argv[1], under /tmp, which the default instance
// mounts read-write at the same path) and prints one line per operation; its output and exit
// status under gramine-ts must be exactly the native ones. The programs print paths under the
// scratch directory as "$S/..." and never inode numbers, times they did not set, or pids, so
// that nothing differs by design.
import { describe, expect, it } from 'vitest';
import { makeTempDir, program, removeTempDir, runGramine, runNative, type RunResult } from '../helpers/run.js';

type Runs = { native: RunResult<string>; gramine: RunResult<string> };

/** Run test/programs/fs/NAME natively and under gramine-ts, each in a fresh scratch dir of its own. */
async function runInScratch(name: string): Promise<Runs> {
  const dirs = [makeTempDir('gts-fs-'), makeTempDir('gts-fs-')];
  try {
    const argv = (d: string) => [program(`fs/${name}`), d];
    const [native, gramine] = await Promise.all([
      runNative(argv(dirs[0]!), { encoding: 'utf8' }),
      runGramine(argv(dirs[1]!), { encoding: 'utf8' }),
    ]);
    return { native, gramine };
  } finally {
    dirs.forEach(removeTempDir);
  }
}

/** The native run completed cleanly; gramine-ts printed the same lines and exited the same way. */
function expectSameOutput({ native, gramine }: Runs): void {
  expect(native.stderr).toBe('');
  expect(native.status).toBe(0);
  expect(native.stdout.endsWith('done\n')).toBe(true);
  // the whole output at once: a diff shows every line that differs
  expect(gramine.stdout).toBe(native.stdout);
  expect(gramine.stderr).toBe('');
  expect(gramine.status).toBe(native.status);
}

describe('file systems: the same as natively, in a scratch dir under /tmp', () => {
  it('open/openat/openat2/creat/close: O_CREAT|O_EXCL, O_TRUNC, O_APPEND, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_TMPFILE, O_CLOEXEC, RESOLVE_*', async () => {
    expectSameOutput(await runInScratch('fs_open'));
  });

  it('read/write, seek and tell (SEEK_DATA/SEEK_HOLE on a sparse file), O_APPEND with two fds, truncate, copy, fallocate, the fsync family', async () => {
    expectSameOutput(await runInScratch('fs_rw'));
  });

  it('stat/lstat/fstat/statx, chmod/fchmod/umask, chown, access/faccessat2, utimensat, statfs, mknod', async () => {
    expectSameOutput(await runInScratch('fs_meta'));
  });

  it('mkdir (-p), rmdir, unlink, rename/renameat2, getdents64, chdir/getcwd/fchdir, `..` walks', async () => {
    expectSameOutput(await runInScratch('fs_dirs'));
  });

  it('hard links, symlinks (relative, absolute, dangling, loops, 40-link limit), readlink, /proc/self links', async () => {
    expectSameOutput(await runInScratch('fs_links'));
  });

  it('mmap MAP_SHARED/MAP_PRIVATE of files, sendfile, copy_file_range', async () => {
    expectSameOutput(await runInScratch('fs_mmap_copy'));
  });

  it('a program under gramine-ts changes nothing next to its scratch dir', async () => {
    // each program works inside argv[1] only: nothing may appear beside it (in a parent of our own)
    const parent = makeTempDir('gts-fs-parent-');
    try {
      const dir = `${parent}/scratch`;
      await runNative(['/bin/mkdir', dir]);
      const r = await runGramine([program('fs/fs_dirs'), dir], { encoding: 'utf8' });
      expect(r.status).toBe(0);
      const ls = await runNative(['/bin/ls', '-A', parent], { encoding: 'utf8' });
      expect(ls.stdout).toBe('scratch\n');
    } finally {
      removeTempDir(parent);
    }
  });

  it('stat of absolute paths: the stub answers plain ones, the walk the rest, both as Linux', async () => {
    const dir = makeTempDir('gts-fs-abs-');
    try {
      const setup = `cd ${dir} && echo abc > f && mkdir -p d/e && ln -s f link && ln -s d dlink && ln -s ${dir}/f abslink` +
        ' && ln -s nowhere dangling && ln -s loop loop && ln -s ../.. up';
      expect((await runNative(['/bin/sh', '-c', setup])).status).toBe(0);
      const paths = [
        'f', 'd', 'd/e', 'link', 'dlink', 'abslink', 'dangling', 'loop', 'd/../f', 'dlink/../f', 'dlink/e/../../f',
        './f', '/f', 'f/', 'link/', 'd/', 'f/x', 'nothing', 'nothing/x',
      ].map((p) => `${dir}/${p}`).concat(['/', '/etc/hostname', '/bin/sh', '/usr/bin/../bin/sh', '/lib64', '//etc', '/etc/.']);
      // across mounts: /tmp changes size and links while other tests run, so type and mode only
      const crossing = ['up', 'up/tmp', 'up/tmp/..', 'd/../../..'].map((p) => `${dir}/${p}`).concat(['/tmp', '/proc/self/..']);
      for (const [format, list] of [['%n|%F|%s|%a|%h', paths], ['%n|%F|%a', crossing]] as const) {
        for (const follow of [[], ['-L']]) {
          const argv = ['/usr/bin/stat', ...follow, '-c', format, ...list];
          const [native, gramine] = [await runNative(argv, { encoding: 'utf8' }), await runGramine(argv, { encoding: 'utf8' })];
          expect(native.stdout.split('\n').length).toBeGreaterThan(list.length / 2);
          expect(gramine.stdout).toBe(native.stdout);
          expect(gramine.stderr).toBe(native.stderr);
          expect(gramine.status).toBe(native.status);
        }
      }
    } finally {
      removeTempDir(dir);
    }
  });

  it('a directory with mount points in it lists as natively: the root of the built-in manifest', async () => {
    for (const argv of [['/bin/ls', '-a', '/'], ['/bin/sh', '-c', 'cd / && ls -a . && ls -a /tmp/.. | wc -l']]) {
      const [native, gramine] = [await runNative(argv, { encoding: 'utf8' }), await runGramine(argv, { encoding: 'utf8' })];
      expect(native.stdout).toContain('\ntmp\n');
      expect(gramine.stdout).toBe(native.stdout);
    }
  });
});
