// The process as a whole: its identity (virtual pid 1, ppid 0), how it ends (exit status,
// death by signal as 128+N), `#!` scripts, and programs that cannot be executed.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, program, removeTempDir, runBoth, runGramine, runNative, VARIANTS } from '../helpers/run.js';

let dir: string;

beforeAll(() => {
  dir = makeTempDir();
});

afterAll(() => removeTempDir(dir));

function writeScript(name: string, text: string, mode = 0o755): string {
  const p = path.join(dir, name);
  writeFileSync(p, text);
  chmodSync(p, mode);
  return p;
}

describe.each(VARIANTS)('process identity ($name)', ({ suffix }) => {
  it('getpid 1, getppid 0, gettid 1 under gramine-ts; the real ids natively', async () => {
    const argv = [program('getpid', suffix)];
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv)]);
    // natively: its own session (the helper spawns it detached), child of this process
    const pid = native.pid;
    expect(native.stdout).toBe(
      `getpid ${pid}\ngetppid ${process.pid}\ngettid ${pid}\ngetpgrp ${pid}\ngetsid ${pid}\n`,
    );
    expect(native.status).toBe(0);
    expect(gramine.stdout).toBe('getpid 1\ngetppid 0\ngettid 1\ngetpgrp 1\ngetsid 1\n');
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
  });
});

describe.each(VARIANTS)('exit status and death by signal ($name)', ({ suffix }) => {
  const sig = program('sys_signals', suffix);

  it.each([
    ['exit(0)', ['exit', '0'], 0],
    ['exit(42)', ['exit', '42'], 42],
    ['exit(300) is 300 & 255', ['exit', '300'], 44],
    ['exit of the only thread (SYS_exit, not exit_group)', ['exit-thread', '7'], 7],
    ['kill(getpid(), SIGTERM)', ['die', '15'], 128 + 15],
    ['kill(getpid(), SIGUSR2)', ['die', '12'], 128 + 12],
    ['kill(getpid(), SIGKILL)', ['die', '9'], 128 + 9],
    ['kill(getpid(), SIGSYS)', ['die', '31'], 128 + 31],
    ['abort()', ['abort'], 128 + 6],
    ['a NULL pointer write (SIGSEGV)', ['segv'], 128 + 11],
    ['a write to a pipe without reader (SIGPIPE at its default)', ['sigpipe'], 128 + 13],
  ])('%s', async (_what, args, expected) => {
    const { native, gramine } = await runBoth([sig, ...args]);
    expect(native.status).toBe(expected);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe(native.stderr);
    expect(gramine.status).toBe(native.status);
  });
});

describe('#! scripts', () => {
  it('a #!/bin/sh script run directly by its path, with arguments and an exit status', async () => {
    const script = writeScript('hello.sh', '#!/bin/sh\necho "script $0 has $# args: $*"\necho "to stderr" >&2\nexit 5\n');
    const { native, gramine } = await runBoth([script, 'a b', 'c']);
    expect(native.stdout).toBe(`script ${script} has 2 args: a b c\n`);
    expect(native.status).toBe(5);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe(native.stderr);
    expect(gramine.status).toBe(native.status);
  });

  it('a script run by a relative path from its directory', async () => {
    writeScript('rel.sh', '#!/bin/sh\necho "$0"; pwd\n');
    const { native, gramine } = await runBoth(['./rel.sh'], { cwd: dir });
    expect(native.stdout).toBe(`./rel.sh\n${dir}\n`);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(native.status);
  });

  it('the optional #! argument reaches the interpreter (#!/bin/sh -e)', async () => {
    const script = writeScript('strict.sh', '#!/bin/sh -e\necho before\nfalse\necho after\n');
    const { native, gramine } = await runBoth([script]);
    expect(native.stdout).toBe('before\n');
    expect(native.status).toBe(1);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stderr).toBe(native.stderr);
    expect(gramine.status).toBe(native.status);
  });

  it('spaces and tabs around the interpreter are ignored', async () => {
    const script = writeScript('spaced.sh', '#! \t/bin/sh  \necho spaced "$@"\n');
    const { native, gramine } = await runBoth([script, 'x']);
    expect(native.stdout).toBe('spaced x\n');
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(native.status);
  });

  it('a script whose interpreter is itself a script', async () => {
    const inner = writeScript('inner.sh', '#!/bin/sh\necho "inner got: $*"\n');
    const outer = writeScript('outer', `#!${inner}\nthis line is never run by sh\n`);
    const { native, gramine } = await runBoth([outer, 'arg']);
    expect(native.stdout).toBe(`inner got: ${outer} arg\n`);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(native.status);
  });

  it('a #! script with a static interpreter (busybox)', async () => {
    const script = writeScript('bb.sh', '#!/bin/busybox sh\necho "busybox script $1"; exit 9\n');
    const { native, gramine } = await runBoth([script, 'ok']);
    expect(native.stdout).toBe('busybox script ok\n');
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(native.status);
  });
});

describe('programs that cannot be executed', () => {
  /** The status a shell gives: `exec` of the same path natively. */
  const shellStatus = async (p: string) => (await runNative(['/bin/sh', '-c', 'exec "$0"', p])).status;

  it('a missing program: status 127 and a message naming it', async () => {
    const missing = path.join(dir, 'nonexistent');
    expect(await shellStatus(missing)).toBe(127);
    const g = await runGramine(['/nonexistent']);
    expect(g.status).toBe(127);
    expect(g.stdout).toBe('');
    expect(g.stderr).toContain('/nonexistent');
    const g2 = await runGramine([missing]);
    expect(g2.status).toBe(127);
    expect(g2.stderr).toContain(missing);
  });

  it('a program name not found in PATH: status 127', async () => {
    const name = 'gts-no-such-command-anywhere';
    expect(await shellStatus(name)).toBe(127);
    const g = await runGramine([name]);
    expect(g.status).toBe(127);
    expect(g.stderr).toContain(name);
  });

  it('a file without execute permission: status 126 and a message naming it', async () => {
    const file = writeScript('not-executable.sh', '#!/bin/sh\necho should not run\n', 0o644);
    expect(await shellStatus(file)).toBe(126);
    const g = await runGramine([file]);
    expect(g.status).toBe(126);
    expect(g.stdout).toBe('');
    expect(g.stderr).toContain(file);
  });

  it('a directory: status 126', async () => {
    const sub = path.join(dir, 'a-directory');
    mkdirSync(sub);
    expect(await shellStatus(sub)).toBe(126);
    const g = await runGramine([sub]);
    expect(g.status).toBe(126);
    expect(g.stdout).toBe('');
    expect(g.stderr).toContain(sub);
  });

  it('a script whose interpreter is missing: status 127 natively and under gramine-ts', async () => {
    const script = writeScript('no-interp.sh', '#!/nonexistent/interpreter\necho never\n');
    expect(await shellStatus(script)).toBe(127);
    const g = await runGramine([script]);
    expect(g.status).toBe(127);
    expect(g.stdout).toBe('');
  });
});
