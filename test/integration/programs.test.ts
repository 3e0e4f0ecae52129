// Unmodified programs (coreutils, sh, busybox, our own C programs) run natively and under
// gramine-ts: stdout, stderr and the exit status must be the same.
import { createHash } from 'node:crypto';
import { chmodSync, closeSync, mkdirSync, openSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  makeTempDir, program, PROGRAMS_BUILD, removeTempDir, runBoth, runGramine, runNative, sha256, VARIANTS, type RunOptions,
} from '../helpers/run.js';

const BUSYBOX = '/bin/busybox';

let dir: string;
let textFile: string;
let binFile: string;

beforeAll(() => {
  dir = makeTempDir();
  textFile = path.join(dir, 'text.txt');
  const lines = Array.from({ length: 40 }, (_, i) => `line ${i + 1}: ${'abcdefghij'.repeat(i % 7)}`);
  writeFileSync(textFile, `${lines.join('\n')}\n`);
  binFile = path.join(dir, 'bytes.bin');
  writeFileSync(binFile, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 131 + (i >> 8)) & 0xff)));
});

afterAll(() => removeTempDir(dir));

/** Run natively and under gramine-ts; the three observable results must agree. */
async function expectSame(argv: string[], opts?: RunOptions) {
  const { native, gramine } = await runBoth(argv, opts);
  expect(gramine.stdout).toEqual(native.stdout);
  expect(gramine.stderr).toEqual(native.stderr);
  expect(gramine.status).toBe(native.status);
  return native;
}

describe('coreutils and sh', () => {
  it('/bin/echo hello', async () => {
    const native = await expectSame(['/bin/echo', 'hello']);
    expect(native.stdout).toBe('hello\n');
    expect(native.status).toBe(0);
  });

  it('/bin/true', async () => {
    const native = await expectSame(['/bin/true']);
    expect(native.status).toBe(0);
  });

  it('/bin/false', async () => {
    const native = await expectSame(['/bin/false']);
    expect(native.status).toBe(1);
  });

  it('cat of a text file and of a binary file', async () => {
    const text = await expectSame(['/bin/cat', textFile]);
    expect(text.stdout.length).toBeGreaterThan(1000);
    const bin = await expectSame(['/bin/cat', binFile, textFile], { encoding: 'buffer' });
    expect(bin.stdout.length).toBeGreaterThan(4096);
  });

  it('cat of stdin', async () => {
    const native = await expectSame(['/bin/cat'], { input: 'from stdin\nsecond line\n' });
    expect(native.stdout).toBe('from stdin\nsecond line\n');
  });

  it('cat of a missing file fails the same way', async () => {
    const native = await expectSame(['/bin/cat', path.join(dir, 'missing')]);
    expect(native.status).toBe(1);
    expect(native.stderr).toContain('No such file or directory');
  });

  it('ls -la /usr/bin', async () => {
    const native = await expectSame(['/bin/ls', '-la', '/usr/bin']);
    expect(native.stdout.split('\n').length).toBeGreaterThan(50);
  });

  it('ls -la /etc', async () => {
    const native = await expectSame(['/bin/ls', '-la', '/etc']);
    expect(native.stdout).toContain('passwd');
  });

  it('ls -la of a directory with files, links and a subdirectory', async () => {
    // in a parent of its own: '..' must not change while other tests use the temp directory
    const parent = makeTempDir('gts-ls-');
    try {
      const listed = path.join(parent, 'listed');
      mkdirSync(path.join(listed, 'sub'), { recursive: true });
      writeFileSync(path.join(listed, 'text.txt'), 'some text\n');
      symlinkSync('text.txt', path.join(listed, 'link'));
      const native = await expectSame(['/bin/ls', '-la', '--time-style=full-iso', listed]);
      expect(native.stdout).toContain('text.txt');
      expect(native.stdout).toContain('link -> text.txt');
    } finally {
      removeTempDir(parent);
    }
  });

  it('head -n 5 of a file', async () => {
    const native = await expectSame(['/usr/bin/head', '-n', '5', textFile]);
    expect(native.stdout.split('\n')).toHaveLength(6);
  });

  it('wc, sort and tr on stdin', async () => {
    const input = 'pear\napple\nfig\nbanana\n';
    await expectSame(['/usr/bin/wc'], { input });
    const sorted = await expectSame(['/usr/bin/sort'], { input });
    expect(sorted.stdout).toBe('apple\nbanana\nfig\npear\n');
    await expectSame(['/usr/bin/tr', 'a-z', 'A-Z'], { input });
  });

  it("/bin/sh -c 'echo $$; exit 7': pid 1 under gramine-ts, the real pid natively", async () => {
    const argv = ['/bin/sh', '-c', 'echo $$; exit 7'];
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv)]);
    expect(native.stdout).toBe(`${native.pid}\n`);
    expect(native.status).toBe(7);
    expect(gramine.stdout).toBe('1\n');
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(7);
  });

  it('sh builtins, variables and a failing command', async () => {
    const script = 'x=3; y=4; echo "$((x * y))"; printf "%s|" a b c; echo; cd /usr && pwd; ' +
      'test -d /nonexistent || echo "no dir"; exit $((x + y))';
    const native = await expectSame(['/bin/sh', '-c', script]);
    expect(native.status).toBe(7);
  });

  it('a program found in PATH (no slash in its name)', async () => {
    const native = await expectSame(['sh', '-c', 'echo "$0 $1"', 'name', 'arg']);
    expect(native.stdout).toBe('name arg\n');
  });
});

describe('the entry point of a program', () => {
  it('gets the registers Linux gives it: all zero, RFLAGS only IF', async () => {
    const native = await expectSame([path.join(PROGRAMS_BUILD, 'asm', 'entry_regs')]);
    expect(native.stdout).toMatch(/^rflags 0000000000000202\nrax    0000000000000000\n/);
    expect(native.stdout.split('\n').filter((l) => l.endsWith(' 0000000000000000'))).toHaveLength(15);
  });
});

describe('sh running other programs', () => {
  it('a pipeline of three programs', async () => {
    const native = await expectSame(['/bin/sh', '-c', 'ls -a /usr | sort -r | head -n 4']);
    expect(native.stdout.split('\n')).toHaveLength(5);
  });

  it('command substitution, exit statuses of children, a subshell', async () => {
    const script = 'x=$(echo sub); echo "got $x"; /bin/false; echo "false gave $?"; (exit 4); echo "subshell gave $?"; ' +
      'n=$(/bin/cat "$0" | wc -c); echo "bytes $n"; exit 2';
    const native = await expectSame(['/bin/sh', '-c', script, textFile]);
    expect(native.status).toBe(2);
  });

  it('a #! script that runs external commands', async () => {
    const script = path.join(dir, 'external.sh');
    writeFileSync(script, '#!/bin/sh\nstat -c "%a %s" "$0"\nls "$(dirname "$0")" | grep -c .\nexec /bin/echo last\n');
    chmodSync(script, 0o750);
    const native = await expectSame([script]);
    expect(native.stdout.startsWith('750 ')).toBe(true);
  });

  it('busybox sh running busybox applets in a pipeline', async () => {
    await expectSame([BUSYBOX, 'sh', '-c', `${BUSYBOX} cat ${textFile} | ${BUSYBOX} grep -c line; ${BUSYBOX} false || echo failed`]);
  });
});

describe('sha256sum of a 50 MB file', () => {
  let bigFile: string;
  let digest: string;

  beforeAll(() => {
    // deterministic content, written in 1 MiB blocks that all differ; deleted with `dir`
    bigFile = path.join(dir, 'big.bin');
    const fd = openSync(bigFile, 'w');
    const block = Buffer.alloc(1 << 20);
    const hash = createHash('sha256');
    for (let b = 0; b < 50; b++) {
      for (let i = 0; i < block.length; i++) block[i] = ((i * 2654435761 + b * 97 + (i >>> 11)) >>> 13) & 0xff;
      writeSync(fd, block);
      hash.update(block);
    }
    closeSync(fd);
    digest = hash.digest('hex');
  });

  it('sha256sum gives the same digest, and the right one', async () => {
    const native = await expectSame(['/usr/bin/sha256sum', bigFile]);
    expect(native.stdout).toBe(`${digest}  ${bigFile}\n`);
  });

  it('busybox sha256sum of the same file', async () => {
    const native = await expectSame([BUSYBOX, 'sha256sum', bigFile]);
    expect(native.stdout).toBe(`${digest}  ${bigFile}\n`);
  });

  it('cat of it through a pipe is byte-identical', async () => {
    const { native, gramine } = await runBoth(['/bin/cat', bigFile], { encoding: 'buffer' });
    expect(native.stdout.length).toBe(50 << 20);
    expect(gramine.stdout.length).toBe(native.stdout.length);
    expect(sha256(gramine.stdout)).toBe(sha256(native.stdout));
    expect(gramine.status).toBe(0);
  });
});

describe('busybox (static)', () => {
  it('busybox uname -s prints Linux', async () => {
    const native = await expectSame([BUSYBOX, 'uname', '-s']);
    expect(native.stdout).toBe('Linux\n');
  });

  it('busybox uname -a', async () => {
    await expectSame([BUSYBOX, 'uname', '-a']);
  });

  it('busybox echo', async () => {
    const native = await expectSame([BUSYBOX, 'echo', '-n', 'no newline', 'and', 'more']);
    expect(native.stdout).toBe('no newline and more');
  });

  it('busybox cat', async () => {
    const native = await expectSame([BUSYBOX, 'cat', textFile, binFile], { encoding: 'buffer' });
    expect(native.stdout.length).toBeGreaterThan(4096);
  });

  it('busybox wc -c of a file and of stdin', async () => {
    const native = await expectSame([BUSYBOX, 'wc', '-c', binFile]);
    expect(native.stdout).toBe(`4096 ${binFile}\n`);
    await expectSame([BUSYBOX, 'wc', '-c'], { input: 'twelve bytes' });
  });

  it('busybox sha256sum of a file', async () => {
    const native = await expectSame([BUSYBOX, 'sha256sum', binFile]);
    expect(native.stdout).toMatch(/^[0-9a-f]{64} {2}/);
  });

  it('busybox ls /usr', async () => {
    const native = await expectSame([BUSYBOX, 'ls', '/usr']);
    expect(native.stdout).toContain('bin\n');
  });

  it('busybox expr 6 \\* 7', async () => {
    const native = await expectSame([BUSYBOX, 'expr', '6', '*', '7']);
    expect(native.stdout).toBe('42\n');
  });

  it('busybox expr failing (status 1) and in error (status 2)', async () => {
    const zero = await expectSame([BUSYBOX, 'expr', '0', '+', '0']);
    expect(zero.status).toBe(1);
    const bad = await expectSame([BUSYBOX, 'expr', '1', '+']);
    expect(bad.status).toBe(2);
  });

  it('busybox sh -c with a loop', async () => {
    await expectSame([BUSYBOX, 'sh', '-c', 'i=0; while [ $i -lt 5 ]; do echo $i; i=$((i+1)); done; exit 3']);
  });
});

describe.each(VARIANTS)('own C program args.c ($name)', ({ suffix }) => {
  const env = () => ({ ...process.env, GTS_TEST_VAR: 'value with spaces' });

  it('argv, environment, stdin, stderr and exit status', async () => {
    const native = await expectSame([program('args', suffix), '3', 'two words', '', 'ünïcödé'], {
      env: env(),
      input: 'input line',
    });
    expect(native.status).toBe(3);
    expect(native.stdout).toContain('argv[2] = two words\n');
    expect(native.stderr).toBe('to stderr\n');
  });

  it('a thousand arguments and a 100 kB environment variable', async () => {
    const args = Array.from({ length: 1000 }, (_, i) => `arg-${i}`);
    const native = await expectSame([program('args', suffix), '0', ...args], {
      env: { ...env(), GTS_TEST_VAR: 'x'.repeat(100_000) },
    });
    expect(native.stdout.split('\n').length).toBeGreaterThan(1000);
  });

  it('exit status 255', async () => {
    const native = await expectSame([program('args', suffix), '255']);
    expect(native.status).toBe(255);
  });

  it('run from another working directory, by a relative path', async () => {
    const rel = path.relative(dir, program('args', suffix));
    const native = await expectSame([rel, '5'], { cwd: dir });
    expect(native.status).toBe(5);
  });
});
