// /dev/attestation of the simulated type (docs/attestation.md), from a C program
// (test/programs/attestation.c): local attestation between two processes of an instance, a quote
// that `gramine-ts quote verify` accepts and a changed one it refuses, the manifest's keys
// (instance-wide, writable, wrong sizes refused), and the sealing keys, stable across runs of a
// manifest and different for another one.
import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRAMINE_TS, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

let dir: string;
/** the tests' own platform secret (made by the first run that needs it) */
let env: NodeJS.ProcessEnv;
let signer: string;
const at = (...p: string[]) => path.join(dir, ...p);

/** `gramine-ts ARGS...` (not run), in the temp dir. */
const cli = (...args: string[]) => runNative([process.execPath, GRAMINE_TS, ...args], { cwd: dir, env });

/** A manifest running test/programs/attestation (the arguments from the command line), with `extra` lines. */
function manifest(name: string, variant: string, ...extra: string[]): string {
  const file = at(`${name}.manifest.toml`);
  writeFileSync(file, [
    `libos.entrypoint = "${program('attestation', variant)}"`, 'loader.insecure__use_cmdline_argv = true', 'fs.root.uri = "file:/"',
    'sgx.file_check_policy = "allow_all_but_log"',
    'fs.insecure__keys.default = "00112233445566778899aabbccddeeff"', 'fs.insecure__keys.other = "ffeeddccbbaa99887766554433221100"',
    ...extra, '',
  ].join('\n'));
  return file;
}

/** Sign `file` with the tests' key: its measurement, as the .sig says. */
async function sign(file: string): Promise<string> {
  const r = await cli('sign', '--no-progress', '--key', 'signer.key', file);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return (JSON.parse(readFileSync(`${file}.sig`, 'utf8')) as { measurement: string }).measurement;
}

/** Run the program of `file` with `args`: its stdout, as lines; it must succeed. */
async function run(file: string, ...args: string[]): Promise<string[]> {
  const r = await runGramine([file, ...args], { cwd: dir, env });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return r.stdout.trimEnd().split('\n');
}

/** The `key NAME: N bytes HEX` lines of a `keys` run, as NAME -> "N HEX". */
function keysListed(lines: string[]): Map<string, string> {
  return new Map(lines.flatMap((l) => {
    const m = /^key (\S+): (\d+) bytes (\w*)$/.exec(l);
    return m ? [[m[1]!, `${m[2]} ${m[3]}`] as const] : [];
  }));
}

beforeAll(async () => {
  dir = makeTempDir('gts-attestation-');
  env = { ...process.env, GRAMINE_TS_PLATFORM_SECRET: at('state', 'platform-secret') };
  const gen = await cli('sign', '--gen-key', 'signer.key');
  expect(gen.status).toBe(0);
  signer = /public: (\w+)/.exec(readFileSync(at('signer.key.pub'), 'utf8'))![1]!;
});
afterAll(() => removeTempDir(dir));

describe('local attestation and quotes', () => {
  const userData = Buffer.from('gramine-ts attestation test 42').toString('hex');
  let measurement: string;
  let mrsigner: string;
  let lines: string[];

  beforeAll(async () => {
    const file = manifest('report', '');
    measurement = await sign(file);
    mrsigner = createHash('sha256').update(Buffer.from(signer, 'hex')).digest('hex');
    lines = await run(file, 'report', at('quote.bin'));
  });

  it('a report carries the user data, the measurement and the signer; another process of the instance checks it', () => {
    expect(lines).toEqual([
      'attestation_type simulated',
      'report_data is user_report_data',
      "mrenclave is my_target_info's",
      `mrenclave ${measurement}`,
      `mrsigner ${mrsigner}`,
      'child: the report checks',
      'child: a changed report does not check',
      'child: a report for another enclave does not check',
      'short report data zero-padded',
      'quote 496 bytes',
    ]);
    // the platform secret was made by that run, for its user alone
    expect(statSync(at('state', 'platform-secret')).mode & 0o777).toBe(0o600);
  });

  it('gramine-ts quote verify accepts the quote: with this machine\'s key, or the one `quote platform-key` prints', async () => {
    const ok = await cli('quote', 'verify', 'quote.bin', '--measurement', measurement, '--signer', 'signer.key.pub', '--report-data', userData);
    expect(ok.stderr).toBe('');
    expect(ok.stdout).toBe(`quote verified: measurement ${measurement} signer ${mrsigner}\n`);
    expect(ok.status).toBe(0);
    const key = await cli('quote', 'platform-key');
    expect(key.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    writeFileSync(at('platform.pub'), key.stdout);
    expect((await cli('quote', 'verify', 'quote.bin', '--measurement', measurement, '--platform-key', 'platform.pub')).status).toBe(0);
  });

  /** A user's error: one line on stderr, no stack trace, exit 1. */
  function expectRefused(r: { stderr: string; status: number }, pattern: RegExp): void {
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.status).toBe(1);
  }

  it('refuses a quote with a byte changed, another measurement, signer or report data, or from another platform', async () => {
    const quote = readFileSync(at('quote.bin'));
    // in the header, the MRENCLAVE, the report data, the signature
    for (const offset of [20, 48 + 64, 48 + 320, quote.length - 1]) {
      const changed = Buffer.from(quote);
      changed[offset]! ^= 1;
      writeFileSync(at('changed.bin'), changed);
      expectRefused(await cli('quote', 'verify', 'changed.bin', '--measurement', measurement), /^gramine-ts quote: changed\.bin: refused: bad signature/);
    }
    const other = measurement.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    expectRefused(await cli('quote', 'verify', 'quote.bin', '--measurement', other), /refused: measurement [0-9a-f]{64}, not the expected /);
    expectRefused(await cli('quote', 'verify', 'quote.bin', '--measurement', measurement, '--signer', '11'.repeat(32)), /refused: signer /);
    expectRefused(await cli('quote', 'verify', 'quote.bin', '--measurement', measurement, '--report-data', '00'), /refused: report data /);
    expectRefused(await cli('quote', 'verify', 'quote.bin', '--measurement', measurement, '--platform-key-hex', 'ab'.repeat(32)), /refused: bad signature/);
    expectRefused(await cli('quote', 'verify', 'missing.bin', '--measurement', measurement), /cannot read quote missing\.bin: ENOENT/);
  });

  it('says how it is used, with exit status 2, for a usage error', async () => {
    for (const args of [['quote.bin'], ['quote.bin', '--measurement', 'abc'], ['--measurement', measurement], ['quote.bin', '--measurement', measurement, '--bogus', 'x']]) {
      const r = await cli('quote', 'verify', ...args);
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(/^gramine-ts quote: .*\nusage: /);
    }
  });

  it('works the same from a static program', async () => {
    const file = manifest('report-static', '-static');
    const staticMeasurement = await sign(file);
    const out = await run(file, 'report', at('quote-static.bin'));
    expect(out).toContain(`mrenclave ${staticMeasurement}`);
    expect(out).toContain('child: the report checks');
    expect((await cli('quote', 'verify', 'quote-static.bin', '--measurement', staticMeasurement, '--signer', signer)).status).toBe(0);
  });

  it('a platform secret others may read is refused: reports fail with EACCES, and the leader says why', async () => {
    const loose = at('loose-secret');
    writeFileSync(loose, Buffer.alloc(32, 7), { mode: 0o644 });
    const r = await runGramine([manifest('loose', ''), 'report', at('quote-loose.bin')], { cwd: dir, env: { ...env, GRAMINE_TS_PLATFORM_SECRET: loose } });
    expect(r.stdout).toContain('FAIL read /dev/attestation/report: EACCES');
    expect(r.stderr).toBe(`gramine-ts: /dev/attestation: platform secret ${loose}: mode 0644 lets others use it: chmod 600 it (or remove it: a new secret changes every sealing key)\n`);
    expect(r.status).toBe(1);
  });
});

describe('the platform secret', () => {
  it('is not the instance\'s to read, though a mount holds it: the app\'s opens and the stub gadget\'s are EACCES', async () => {
    // the built-in manifest mounts the host's /: the secret (in this test's directory under /tmp) is in it
    const secret = at('state', 'platform-secret');
    mkdirSync(path.dirname(secret), { recursive: true, mode: 0o700 });
    if (!existsSync(secret)) writeFileSync(secret, randomBytes(32), { mode: 0o600 });
    const bytes = readFileSync(secret);
    const cat = await runGramine(['/bin/cat', secret], { env, encoding: 'utf8' });
    expect(cat.stdout).toBe('');
    expect(cat.stderr).toBe(`/bin/cat: ${secret}: Permission denied\n`);
    expect(cat.status).toBe(1);
    // its directory shows as empty
    const ls = await runGramine(['/bin/ls', '-A', path.dirname(secret)], { env, encoding: 'utf8' });
    expect([ls.stdout, ls.stderr, ls.status]).toEqual(['', '', 0]);
    const gadget = await runGramine([program('gadget-static'), 'read', secret], { env, encoding: 'utf8' });
    expect(gadget.stdout).toBe('read: EACCES\n');
    expect(readFileSync(secret).equals(bytes)).toBe(true);
  });
});

describe('keys', () => {
  const newKey = '000102030405060708090a0b0c0d0e0f';

  it("lists the manifest's and the derived keys (16 bytes each); a key written is the instance's; wrong sizes are refused", async () => {
    const lines = await run(manifest('keys', ''), 'keys', 'default', newKey);
    const keys = keysListed(lines);
    expect([...keys.keys()].sort()).toEqual(['_sgx_mrenclave', '_sgx_mrsigner', '_sgx_report_key', 'default', 'other']);
    for (const v of keys.values()) expect(v).toMatch(/^16 [0-9a-f]{32}$/);
    expect(keys.get('default')).toBe('16 00112233445566778899aabbccddeeff');
    expect(keys.get('other')).toBe('16 ffeeddccbbaa99887766554433221100');
    expect(lines.filter((l) => !l.startsWith('key '))).toEqual([
      // Gramine says EACCES; here the key file is a host file sealed at 16 bytes (the write is native)
      'write 17 bytes = -1 EPERM',
      'write 32 bytes = -1 EPERM',
      'after the wrong-size writes: the key is unchanged',
      'open _sgx_mrenclave for writing = -1 EACCES',
      'open protected_files_key for writing = -1 EACCES',
      // the parent's write, seen by its child (another process, another worker)
      `child reads ${newKey}`,
      `child: protected_files_key ${newKey}`,
    ]);
  });

  const SETPRIV = ['/usr/bin/setpriv', '/bin/setpriv'].find((p) => existsSync(p));
  const UID = 200_000 + (process.pid % 50_000);
  it.runIf(process.getuid?.() === 0 && SETPRIV)('run by a user that is not root: the same files, and the platform secret made in its ~/.local/state', async () => {
    const home = at('home');
    mkdirSync(home);
    chownSync(home, UID, UID);
    chmodSync(dir, 0o755);
    const r = await runNative([SETPRIV!, `--reuid=${UID}`, `--regid=${UID}`, '--clear-groups', process.execPath, GRAMINE_TS, 'run', manifest('user', ''), 'keys', 'default', newKey], {
      cwd: '/', env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: home },
    });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect([...keysListed(String(r.stdout).trimEnd().split('\n')).keys()].sort()).toEqual(['_sgx_mrenclave', '_sgx_mrsigner', '_sgx_report_key', 'default', 'other']);
    expect(r.stdout).toContain(`child reads ${newKey}\n`);
    const secret = statSync(path.join(home, '.local', 'state', 'gramine-ts', 'platform-secret'));
    expect([secret.uid, secret.mode & 0o777, secret.size]).toEqual([UID, 0o600, 32]);
  });

  it('the sealing keys are the same in each run of a manifest, and differ for another manifest (the signer key: for another signer)', async () => {
    const keysOf = async (file: string) => keysListed(await run(file, 'keys', 'other', newKey));
    const file = manifest('sealing', '');
    await sign(file);
    const [first, second] = [await keysOf(file), await keysOf(file)];
    expect(second).toEqual(first);
    // the write of the first run was that instance's alone
    expect(second.get('other')).toBe('16 ffeeddccbbaa99887766554433221100');

    // another manifest, same signer
    const changed = manifest('sealing-changed', '', '# another manifest');
    await sign(changed);
    const third = await keysOf(changed);
    expect(third.get('_sgx_mrenclave')).not.toBe(first.get('_sgx_mrenclave'));
    expect(third.get('_sgx_report_key')).not.toBe(first.get('_sgx_report_key'));
    expect(third.get('_sgx_mrsigner')).toBe(first.get('_sgx_mrsigner'));

    // the same manifest unsigned: the signer is all zeros, its key another
    copyFileSync(file, at('unsigned.manifest.toml'));
    const unsigned = await keysOf(at('unsigned.manifest.toml'));
    expect(unsigned.get('_sgx_mrsigner')).not.toBe(first.get('_sgx_mrsigner'));
  });
});
