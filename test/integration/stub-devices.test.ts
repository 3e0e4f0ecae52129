// The host devices the stub opens itself (the path table's device entries, native/stub/paths.c):
// /dev/null, when the instance's is the host's. Each open must be what the walk's would be and
// what Linux gives (the open file's mode and flags, its name in /proc/self/fd, errors for flags
// and paths that are not a plain open of it), a chroot must take it away with the rest of the
// instance's root, and a script's `> /dev/null` must no longer hand its child to a worker.
import { describe, expect, it } from 'vitest';
import { leaderLogForks, program, runGramine, runNative } from '../helpers/run.js';

describe.each(['', 'GRAMINE_TS_INSECURE_NO_SANDBOX'])('/dev/null opened by the stub %s', (insecure) => {
  const env = insecure ? { ...process.env, [insecure]: '1' } : process.env;

  it('is the open file Linux gives, for every way of opening it', async () => {
    const native = await runNative([program('dev_null')], { encoding: 'utf8' });
    const gramine = await runGramine([program('dev_null')], { encoding: 'utf8', env });
    expect(native.stdout).toContain('O_WRONLY|O_CREAT|O_TRUNC: ok\n  accmode 1 append 0 cloexec 0 chr 1 rdev 1:3 link /dev/null');
    expect(native.stdout).toContain('O_WRONLY|O_CREAT|O_EXCL: File exists\n');
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
  });

  it('is the new root\'s after a chroot (none there: ENOENT)', async () => {
    const native = await runNative([program('dev_null'), '/usr/share'], { encoding: 'utf8' });
    const gramine = await runGramine([program('dev_null'), '/usr/share'], { encoding: 'utf8', env });
    expect(native.stdout).toContain('O_RDONLY|O_NOFOLLOW|O_CLOEXEC: No such file or directory\n');
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(0);
  });
});

// in the C locale and in a UTF-8 one, which has a program read its locale's files at start (a
// symlink to an absolute path, /usr/share/locale/locale.alias, and a directory, LC_MESSAGES)
describe.each(['C', 'C.UTF-8'])('a redirection to /dev/null (LC_ALL=%s)', (locale) => {
  it('hands no forked child to a worker: the stub opens it, then execs alone', async () => {
    // (the closing cd asks the worker, which has told the leader of every fork, even one its stub made alone, before it answers)
    const r = await runGramine(['/bin/sh', '-c', 'for i in 1 2 3 4; do echo x > /dev/null; /bin/echo y > /dev/null; done; /bin/true < /dev/null && echo done; cd /'], {
      encoding: 'utf8',
      gramineArgs: ['--leader-log'],
      env: { ...process.env, LC_ALL: locale },
    });
    expect(r.stdout).toBe('done\n');
    expect(r.status).toBe(0);
    const { forked, adopted } = leaderLogForks(r.stderr);
    expect(forked).toHaveLength(5);
    expect(adopted).toEqual([]);
  });
});
