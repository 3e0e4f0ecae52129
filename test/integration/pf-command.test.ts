// `gramine-ts pf encrypt|decrypt|inspect` from the command line: round trips of files and
// directory trees, both key-file forms, and the one-line errors and exit statuses for a wrong
// key, a tampered or renamed file, a bad key file and bad usage.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRAMINE_TS, makeTempDir, removeTempDir, runNative } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-pf-');
  writeFileSync(path.join(dir, 'hex.key'), 'ffeeddccbbaa99887766554433221100\n');
  writeFileSync(path.join(dir, 'raw.key'), Buffer.from('ffeeddccbbaa99887766554433221100', 'hex'));
  writeFileSync(path.join(dir, 'other.key'), '00112233445566778899aabbccddeeff');
});
afterAll(() => removeTempDir(dir));

/** `gramine-ts pf ARGS...` in the temp dir. */
const pf = (...args: string[]) => runNative([process.execPath, GRAMINE_TS, 'pf', ...args], { cwd: dir });
const at = (...p: string[]) => path.join(dir, ...p);

/** A user's error: one line on stderr, no stack trace. */
function expectOneLineError(stderr: string, pattern: RegExp): void {
  expect(stderr).toMatch(pattern);
  expect(stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(stderr).not.toMatch(/^\s+at /m);
}

describe('round trips', () => {
  it('encrypts, inspects and decrypts a file; the bound name is OUT as given, normalized', async () => {
    const data = randomBytes(500_000);
    writeFileSync(at('plain.bin'), data);
    const enc = await pf('encrypt', '--key', 'hex.key', 'plain.bin', './enc//plain.pf');
    expect(enc.stderr).toBe('');
    expect(enc.status).toBe(0);
    expect(enc.stdout).toBe('encrypted plain.bin -> ./enc//plain.pf, bound to "enc/plain.pf"\n');

    const header = await pf('inspect', 'enc/plain.pf');
    expect(header.status).toBe(0);
    expect(header.stdout).toMatch(/^file: +enc\/plain\.pf\nhost size: +512000 bytes, 125 nodes\nformat: +GRAFS_PF version 2\.0\nflags: +0x00\nnonce: +[0-9a-f]{64}\nmetadata MAC: +[0-9a-f]{32}\n$/);

    const full = await pf('inspect', '--key', 'raw.key', 'enc/plain.pf');
    expect(full.stderr).toBe('');
    expect(full.status).toBe(0);
    expect(full.stdout).toContain('bound name:   "enc/plain.pf"\nsize:         500000 bytes\nnodes:        1 metadata, 2 MHT, 122 data\nverified:     all 125 nodes authenticate\n');

    const dec = await pf('decrypt', '--key', 'raw.key', '--verify', 'enc/plain.pf', 'back.bin');
    expect(dec.stderr).toBe('');
    expect(dec.status).toBe(0);
    expect(readFileSync(at('back.bin')).equals(data)).toBe(true);
  });

  it('round-trips a file larger than the node cache (nodes are flushed and reread on the way)', async () => {
    const data = randomBytes(6_000_000);
    writeFileSync(at('large.bin'), data);
    expect((await pf('encrypt', '--key', 'hex.key', 'large.bin', 'large.pf')).stderr).toBe('');
    const dec = await pf('decrypt', '--key', 'hex.key', 'large.pf', 'large.out');
    expect(dec.stderr).toBe('');
    expect(readFileSync(at('large.out')).equals(data)).toBe(true);
  });

  it('--wrap-name binds another name, which decrypt --wrap-name then requires', async () => {
    writeFileSync(at('small.txt'), 'hello\n');
    expect((await pf('encrypt', '--key', 'hex.key', '--wrap-name', 'mnt/small.txt', 'small.txt', 'small.pf')).status).toBe(0);
    const ok = await pf('decrypt', '--key', 'hex.key', '--wrap-name', 'mnt/small.txt', 'small.pf', 'small.out');
    expect(ok.status).toBe(0);
    expect(readFileSync(at('small.out'), 'utf8')).toBe('hello\n');
    const r = await pf('decrypt', '--key', 'hex.key', '--verify', 'small.pf', 'small.out2');
    expect(r.status).toBe(1);
    expectOneLineError(r.stderr, /^gramine-ts pf: small\.pf: bound to the name "mnt\/small\.txt", not "small\.pf" \(renamed or swapped on the host\?\)\n$/);
    expect(existsSync(at('small.out2'))).toBe(false);
  });

  it('converts a directory tree recursively, each file bound to its own path', async () => {
    mkdirSync(at('tree', 'sub'), { recursive: true });
    writeFileSync(at('tree', 'a.txt'), 'a');
    writeFileSync(at('tree', 'sub', 'b.bin'), randomBytes(10_000));
    writeFileSync(at('tree', 'empty'), '');
    const enc = await pf('encrypt', '--key', 'hex.key', 'tree', 'enc-tree');
    expect(enc.status).toBe(0);
    expect(enc.stdout).toContain('tree/sub/b.bin -> enc-tree/sub/b.bin, bound to "enc-tree/sub/b.bin"');
    const dec = await pf('decrypt', '--key', 'hex.key', '--verify', 'enc-tree', 'dec-tree');
    expect(dec.stderr).toBe('');
    expect(dec.status).toBe(0);
    for (const f of ['a.txt', 'sub/b.bin', 'empty']) expect(readFileSync(at('dec-tree', f)).equals(readFileSync(at('tree', f)))).toBe(true);
    expect(readFileSync(at('enc-tree', 'empty')).length).toBe(4096);
  });
});

describe('failures', () => {
  beforeAll(async () => {
    writeFileSync(at('victim.bin'), randomBytes(100_000));
    expect((await pf('encrypt', '--key', 'hex.key', 'victim.bin', 'victim.pf')).status).toBe(0);
  });

  it('a wrong key: exit status 1, one line naming the file, no output file', async () => {
    const r = await pf('decrypt', '--key', 'other.key', 'victim.pf', 'victim.out');
    expect(r.status).toBe(1);
    expectOneLineError(r.stderr, /^gramine-ts pf: victim\.pf: wrong key, or the metadata node was modified \(it fails authentication\)\n$/);
    expect(readdirSync(dir).filter((f) => f.startsWith('victim.out'))).toEqual([]);
  });

  it('a tampered file: exit status 1, naming the file and the node; inspect finds it too', async () => {
    const bytes = readFileSync(at('victim.pf'));
    bytes[7 * 4096 + 99]! ^= 1;
    writeFileSync(at('tampered.pf'), bytes);
    const r = await pf('decrypt', '--key', 'hex.key', 'tampered.pf', 'tampered.out');
    expect(r.status).toBe(1);
    expectOneLineError(r.stderr, /^gramine-ts pf: tampered\.pf: node 7 \(data node 5\) fails authentication \(modified, moved, or from another file\)\n$/);
    expect(readdirSync(dir).filter((f) => f.startsWith('tampered.out'))).toEqual([]);
    const i = await pf('inspect', '--key', 'hex.key', 'tampered.pf');
    expect(i.status).toBe(1);
    expect(i.stdout).toContain('bound name:   "victim.pf"');
    expectOneLineError(i.stderr, /node 7 \(data node 5\) fails authentication/);
  });

  it('a truncated file and a file that is not protected', async () => {
    writeFileSync(at('cut.pf'), readFileSync(at('victim.pf')).subarray(0, 10 * 4096));
    const r = await pf('inspect', '--key', 'hex.key', 'cut.pf');
    expect(r.status).toBe(1);
    expectOneLineError(r.stderr, /^gramine-ts pf: cut\.pf: truncated: its size \(100000 bytes\) needs 26 nodes, the host file has 40960 bytes\n$/);
    const n = await pf('inspect', 'victim.bin');
    expect(n.status).toBe(1);
    expectOneLineError(n.stderr, /^gramine-ts pf: victim\.bin: not a protected file: it does not start with the "GRAFS_PF" header\n$/);
  });

  it('a bad key file: exit status 1, naming the key file and what is wrong with it', async () => {
    writeFileSync(at('short.key'), 'abcd\n');
    writeFileSync(at('nothex.key'), 'zz'.repeat(16));
    const cases: Array<[string, RegExp]> = [
      ['short.key', /^gramine-ts pf: key file short\.key: it has 5 bytes; a key file holds exactly 16 bytes, or 32 hex digits and an optional newline\n$/],
      ['nothex.key', /^gramine-ts pf: key file nothex\.key: it has 32 characters that are not all hex digits;/],
      ['missing.key', /^gramine-ts pf: cannot read key file missing\.key: ENOENT \(no such file or directory\)\n$/],
    ];
    for (const [keyFile, message] of cases) {
      const r = await pf('decrypt', '--key', keyFile, 'victim.pf', 'x.out');
      expect(r.status).toBe(1);
      expectOneLineError(r.stderr, message);
    }
  });

  it('usage errors: exit status 2 with the usage text', async () => {
    for (const args of [[], ['frobnicate'], ['encrypt', 'a', 'b'], ['decrypt', '--key'], ['inspect', '--wrap-name', 'x', 'f'], ['encrypt', '--key', 'k', 'only-one']]) {
      const r = await pf(...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^gramine-ts pf: .*\nusage: gramine-ts pf encrypt/);
    }
    const help = await pf('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toContain('32 hex digits');
  });
});
