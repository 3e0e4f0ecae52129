// System calls, family by family: each C program under test/programs calls them the raw way
// (success and error cases) and prints one line per call; its output under gramine-ts must be
// the native one. The few lines that differ by design are checked one by one.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { SYSCALL_TABLE } from '../../src/libos/syscall-table.js';
import { RESERVED_FDS } from '../../src/pal/channel-abi.js';
import { INSTANCE_FD_TOP } from '../../src/libos/sys/info.js';
import {
  makeTempDir, program, removeTempDir, runGramine, runNative, splitLines, VARIANTS, type RunOptions, type RunResult,
  GRAMINE_TS, expectSameAsNative } from '../helpers/run.js';

type Runs = { native: RunResult<string>; gramine: RunResult<string> };

/**
 * Run `name` natively and under gramine-ts, each with a fresh scratch directory of its own in
 * place of every 'DIR' argument (`prepare` runs natively in each first).
 */
async function runInScratch(
  name: string,
  suffix: string,
  args: string[],
  opts: RunOptions & { prepare?: string[] } = {},
): Promise<Runs> {
  const dirs = [makeTempDir(), makeTempDir()];
  try {
    const argvFor = (d: string, a: string[]) => [program(name, suffix), ...a.map((x) => (x === 'DIR' ? d : x))];
    if (opts.prepare) {
      for (const d of dirs) {
        const prep = await runNative(argvFor(d, opts.prepare));
        expect(prep.status, `prepare: ${prep.stderr}`).toBe(0);
      }
    }
    const [native, gramine] = await Promise.all([
      runNative(argvFor(dirs[0]!, args), { ...opts, encoding: 'utf8' }),
      runGramine(argvFor(dirs[1]!, args), { ...opts, encoding: 'utf8' }),
    ]);
    return { native, gramine };
  } finally {
    dirs.forEach(removeTempDir);
  }
}

/** The native run must have completed; then gramine-ts must match it exactly. */
function expectSameOutput({ native, gramine }: Runs, exceptPrefixes: readonly string[] = []) {
  expect(native.stderr).toBe('');
  expect(native.status).toBe(0);
  expect(native.stdout.endsWith('done\n')).toBe(true);
  const n = splitLines(native.stdout, exceptPrefixes);
  const g = splitLines(gramine.stdout, exceptPrefixes);
  expect(g.rest).toBe(n.rest);
  expect(gramine.stderr).toBe('');
  expect(gramine.status).toBe(0);
  return { native: n.special, gramine: g.special };
}

/** "label = value" for the line starting with `label =` (exactly one). */
function valueOf(lines: string[], label: string): string {
  const found = lines.filter((l) => l.startsWith(`${label} = `));
  expect(found, `one line "${label} = ..." in:\n${lines.join('\n')}`).toHaveLength(1);
  return found[0]!.slice(label.length + 3);
}

/**
 * The app's RLIMIT_NOFILE for a host soft limit (and hard: `ulimit -n` sets both), without a
 * manifest: the instance's fds end at INSTANCE_FD_TOP, and the stub's reserved fds and its
 * threads' channels (an eighth, up to 1024) are above the app's.
 */
const appNofile = (hostSoft: number) => {
  const top = Math.min(hostSoft, 65536, INSTANCE_FD_TOP);
  return top - RESERVED_FDS - Math.min(1024, Math.floor(top / 8));
};

describe.each(VARIANTS)('system calls ($name)', ({ suffix }) => {
  it('access, faccessat, faccessat2 of paths there and not there, with bad modes and flags: as natively', async () => {
    const out = await expectSameAsNative([program('access_paths', suffix)]);
    expect(out).toContain('access missing: ENOENT\n');
    expect(out).toContain('access exists: 0\n');
  });

  // what of access_paths the stub answers alone (no " [worker]" in --strace): as root, may run a
  // file with an execute bit; readlink of what is no symlink, and of a host mount's link; a link,
  // and a chain of links, to an entry of their own directory, or to an absolute path of a host
  // mount (not one of /proc); a directory opened to read; a path with ".." that stays below
  // one mount's point (and not one that passes through another's); getcwd of a directory of a
  // host mount
  it('access_paths: the stub answers access as root, readlink, same-directory and absolute links, ".." within a mount and getcwd itself', async () => {
    const dir = makeTempDir();
    try {
      const out = path.join(dir, 'strace.txt');
      const r = await runGramine([program('access_paths', suffix)], { gramineArgs: ['--strace', out] });
      expect(r.status).toBe(0);
      const lines = readFileSync(out, 'latin1').split('\n');
      for (const re of [
        /^\[pid 1\] access\("\/bin\/true", 01\) = 0$/,
        /^\[pid 1\] readlink\("\/usr", 0x[0-9a-f]+, 64\) = -1 EINVAL$/,
        /^\[pid 1\] newfstatat\(AT_FDCWD, "\/tmp\/access_paths_dir_\w+\/l", 0x[0-9a-f]+, 0x0\) = 0$/,
        /^\[pid 1\] openat\(AT_FDCWD, "\/tmp\/access_paths_dir_\w+\/l2", 0x[0-9a-f]+, 00\) = \d+$/,
        /^\[pid 1\] newfstatat\(AT_FDCWD, "\/tmp\/access_paths_dir_\w+\/a2", 0x[0-9a-f]+, 0x0\) = 0$/,
        /^\[pid 1\] openat\(AT_FDCWD, "\/tmp\/access_paths_dir_\w+\/a4", 0x80000, 00\) = \d+$/,
        /^\[pid 1\] openat\(AT_FDCWD, "\/tmp\/access_paths_dir_\w+\/a8", 0x80000, 00\) = \d+ \[worker\]$/,
        /^\[pid 1\] readlink\("\/tmp\/access_paths_link_\w+", 0x[0-9a-f]+, 6\) = 6$/,
        /^\[pid 1\] newfstatat\(AT_FDCWD, "\/usr\/lib\/\.\.\/bin\/true", 0x[0-9a-f]+, 0x0\) = 0$/,
        /^\[pid 1\] openat\(AT_FDCWD, "\/nonexistent\/\.\.\/etc\/hostname", 0x[0-9a-f]+, 00\) = -1 ENOENT$/,
        /^\[pid 1\] newfstatat\(AT_FDCWD, "\/usr\/\.\.\/tmp", 0x[0-9a-f]+, 0x0\) = 0 \[worker\]$/,
        /^\[pid 1\] getcwd\(0x[0-9a-f]+, 256\) = 11$/,
      ]) expect(lines).toContainEqual(expect.stringMatching(re));
    } finally {
      removeTempDir(dir);
    }
  });

  // an instance run by another user: the stub answers with the kernel's judgement, as the worker's.
  // Its HOME is root's, which it may not search (the leader once died there with a stack trace).
  const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const OTHER_UID = 200_000 + (process.pid % 50_000);
  it.runIf(process.getuid?.() === 0 && SETPRIV)('access, faccessat, faccessat2 run by another user: as natively', async () => {
    const asUser = [SETPRIV!, `--reuid=${OTHER_UID}`, `--regid=${OTHER_UID}`, '--clear-groups'];
    const env = { ...process.env, HOME: '/root' };
    const native = await runNative([...asUser, program('access_paths', suffix)], { encoding: 'utf8', env });
    const gramine = await runNative([...asUser, process.execPath, GRAMINE_TS, 'run', program('access_paths', suffix)], { encoding: 'utf8', env });
    expect(gramine.stderr).toBe('');
    expect(native.stdout).toContain('access shadow R_OK: EACCES\n');
    expect(native.stdout).toContain('access mode 0 R_OK: EACCES\n');
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('bad pointers: EFAULT everywhere, as natively', async () => {
    const runs = await runInScratch('efault', suffix, ['DIR']);
    expectSameOutput(runs);
    // every call fails with EFAULT, but the two on valid paths that end at the end of a mapping
    const lines = runs.native.stdout.trimEnd().split('\n').slice(0, -1);
    const valid = lines.filter((l) => !l.endsWith(' = -1 EFAULT'));
    expect(valid).toEqual(['stat("file" ending at end of mapping) = 0', 'stat("/" ending at end of mapping) = 0']);
    expect(lines.length).toBeGreaterThan(40);
  });

  it('unknown and unsupported syscalls: ENOSYS, logged once at level warn', async () => {
    const argv = [program('enosys', suffix)];
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv, { gramineArgs: ['--log-level', 'warn'] })]);
    const unsupported = ['sched_getattr(0)', 'personality(query)', 'sched_getattr(0) again'];
    const n = splitLines(native.stdout, unsupported);
    const g = splitLines(gramine.stdout, unsupported);
    // syscall numbers no kernel has: ENOSYS natively too, and the rest of the output alike
    expect(native.stdout).toContain('syscall(1000) = -1 ENOSYS\n');
    expect(g.rest).toBe(n.rest);
    expect(native.status).toBe(0);
    expect(gramine.status).toBe(0);
    // real calls gramine-ts does not implement: they work natively, ENOSYS under gramine-ts
    for (const name of ['sched_getattr', 'personality'])
      expect(SYSCALL_TABLE.some((e) => e.name === name && e.status !== 'unsupported'), `${name} is supported now: ` +
        'enosys.c needs another unsupported syscall').toBe(false);
    for (const label of unsupported) {
      expect(valueOf(n.special, label)).not.toMatch(/^-1 /);
      expect(valueOf(g.special, label)).toBe('-1 ENOSYS');
    }
    const warned = gramine.stderr.split('\n').filter((l) => /unsupported: sched_getattr\b/.test(l));
    expect(warned).toHaveLength(1);
    expect(gramine.stderr).toContain(
      '\ngramine-ts: the program used what gramine-ts does not support: sched_getattr (2x), personality (1x) — see docs/syscalls.md\n');
  });

  it('what is unsupported is logged once for the whole instance, counted, and named in one line at the end', async () => {
    // four processes of a script hit the same calls
    const prog = program('enosys', suffix);
    const script = `for i in 1 2 3; do ${prog} >/dev/null; done; ${prog} >/dev/null & wait`;
    const warn = await runGramine(['/bin/sh', '-c', script], { gramineArgs: ['--log-level', 'warn'], encoding: 'utf8' });
    expect(warn.status).toBe(0);
    const lines = warn.stderr.split('\n').filter(Boolean);
    expect(lines.filter((l) => /unsupported: sched_getattr\b/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /unsupported: personality\b/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => l.startsWith('gramine-ts: the program used'))).toEqual([
      'gramine-ts: the program used what gramine-ts does not support: sched_getattr (8x), personality (4x) — see docs/syscalls.md',
    ]);
    // by default: the line alone; with --no-unsupported-report: nothing
    const quiet = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(quiet.stderr).toBe(warn.stderr.split('\n').filter((l) => l.startsWith('gramine-ts: the program used')).join('\n') + '\n');
    const silenced = await runGramine(['/bin/sh', '-c', script], { gramineArgs: ['--no-unsupported-report'], encoding: 'utf8' });
    expect(silenced.stderr).toBe('');
    expect(silenced.status).toBe(0);
  });

  it('paths, metadata and directories', async () => {
    expectSameOutput(await runInScratch('sys_files', suffix, ['DIR', 'main']));
  });

  it('the working directory: chdir, fchdir, getcwd', async () => {
    expectSameOutput(await runInScratch('sys_files', suffix, ['DIR', 'cwd']));
  });

  it('the working directory stays the same directory when it is renamed or removed', async () => {
    expectSameOutput(await runInScratch('sys_files', suffix, ['DIR', 'cwd-moved']));
  });

  it('file names that are not UTF-8', async () => {
    expectSameOutput(await runInScratch('sys_files', suffix, ['DIR', 'names']));
  });

  it('extended attributes (read side)', async () => {
    expectSameOutput(await runInScratch('sys_xattr', suffix, ['DIR', 'check'], { prepare: ['DIR', 'prepare'] }));
  });

  it('file descriptors, I/O, pipes, sockets, polling, time', async () => {
    expectSameOutput(await runInScratch('sys_fds', suffix, ['DIR']));
  });

  it('the vector registers, whole, across native, stub, worker and wait-gadget calls', async () => {
    expectSameOutput(await runInScratch('vector_regs', suffix, []));
  });

  it('memory: mmap, mprotect, mremap, madvise, brk, and faults caught by a handler', async () => {
    expectSameOutput(await runInScratch('sys_mem', suffix, ['DIR']));
  });

  it('host and domain names: set by root, seen by the process and those it makes, refused to others; the host keeps its own', async () => {
    const before = hostname();
    // natively in a UTS namespace of its own: the host's name must not change there either
    const [native, gramine] = await Promise.all([
      runNative(['unshare', '-u', program('uts', suffix)], { encoding: 'utf8' }),
      runGramine([program('uts', suffix)], { encoding: 'utf8' }),
    ]);
    expectSameOutput({ native, gramine });
    expect(gramine.stdout).toContain("exec'd: nodename gts-uts-child, domainname example.org\n");
    expect(hostname()).toBe(before);
  });

  it('identity, credentials, uname, resource limits, rseq', async () => {
    const special = expectSameOutput(await runInScratch('sys_ident', suffix, []), ['RLIMIT_NOFILE', 'RSEQ']);
    for (const label of ['RLIMIT_NOFILE getrlimit(7)', 'RLIMIT_NOFILE prlimit64(0)']) {
      const [nSoft, nHard] = valueOf(special.native, label).split(' ').map(Number) as [number, number];
      const [gSoft, gHard] = valueOf(special.gramine, label).split(' ').map(Number) as [number, number];
      expect(gSoft).toBe(appNofile(nSoft));
      expect(gHard).toBeGreaterThanOrEqual(gSoft);
      expect(gHard).toBeLessThanOrEqual(nHard);
    }
    // gramine-ts answers rseq with ENOSYS, as a kernel without it: glibc then does without
    expect(valueOf(special.gramine, 'RSEQ rseq(register another area)')).toBe('-1 ENOSYS');
    expect(valueOf(special.gramine, 'RSEQ glibc registered rseq')).toBe('no');
    // natively, glibc registered it exactly when the kernel has it
    const nativeRegistered = valueOf(special.native, 'RSEQ glibc registered rseq') === 'yes';
    expect(valueOf(special.native, 'RSEQ rseq(register another area)') === '-1 ENOSYS').toBe(!nativeRegistered);
  });

  it('signals sent to itself, dispositions and the signal mask', async () => {
    const special = expectSameOutput(await runInScratch('sys_signals', suffix, ['main']), ['SIGSYS']);
    expect(special.native).toEqual([
      'SIGSYS disposition at start = SIG_DFL',
      'SIGSYS sigaction(SIGSYS, handler) = 0',
      'SIGSYS sigaction(SIGSYS, SIG_IGN) = 0',
      'SIGSYS blocked after sigprocmask: 1',
    ]);
    // under gramine-ts the host's SIGSYS is the stub's: the app's disposition is its own (and
    // works for a SIGSYS sent to it), but it cannot block it
    expect(special.gramine).toEqual([
      'SIGSYS disposition at start = SIG_DFL',
      'SIGSYS sigaction(SIGSYS, handler) = 0',
      'SIGSYS sigaction(SIGSYS, SIG_IGN) = 0',
      'SIGSYS blocked after sigprocmask: 0',
    ]);
  });

  it("the stub's reserved fds: the app's fd space ends at its RLIMIT_NOFILE", async () => {
    const special = expectSameOutput(await runInScratch('fdlimit', suffix, []), ['NOFILE']);
    const parse = (line: string) => /^NOFILE soft (\d+) hard (\d+)$/.exec(line)!.slice(1).map(Number) as [number, number];
    expect(special.native).toHaveLength(1);
    expect(special.gramine).toHaveLength(1);
    const [nSoft] = parse(special.native[0]!);
    const [gSoft] = parse(special.gramine[0]!);
    expect(gSoft).toBe(appNofile(nSoft));
  });

  it('processes: fork, vfork, clone, execve, execveat, wait4, waitid, SIGCHLD, inheritance', async () => {
    expectSameOutput(await runInScratch('sys_process', suffix, ['DIR']));
  });

  it('a lowered RLIMIT_NOFILE holds', async () => {
    expectSameOutput(await runInScratch('fdlimit', suffix, ['lowered']));
  });
});

describe('a small RLIMIT_NOFILE from the user', () => {
  it('under `ulimit -n 50` programs run, fork and make threads, and see 50 less the stub\'s fds', async () => {
    const script = 'ulimit -n; for i in 1 2 3 4 5; do /bin/true; done; echo $(echo a pipeline | cat)';
    const r = await runNative([
      'bash', '-c', 'ulimit -n 50 && exec "$@"', 'bash', process.execPath, GRAMINE_TS, 'run', '/bin/sh', '-c', script,
    ]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${appNofile(50)}\na pipeline\n`);
    expect(r.status).toBe(0);
    // a few threads: there is a channel fd for an eighth of the fd space (6 here)
    const threads = await runNative(['bash', '-c', 'ulimit -n 50 && exec "$@"', 'bash', process.execPath, GRAMINE_TS, 'run', program('thr_exit')]);
    const native = await runNative([program('thr_exit')]);
    expect(threads.stdout).toBe(native.stdout);
    expect(threads.status).toBe(0);
  });
});
