// `gramine-ts sign` (src/cli/sign.ts), the signature loader run uses (src/manifest/signature.ts),
// and the first process a manifest gives (src/cli/run-request.ts).
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { runRequestFor } from '../../src/cli/run-request.js';
import { signManifest, SignError, trustedFilesToSign } from '../../src/cli/sign.js';
import { expectedMeasurement } from '../../src/leader/instance-secrets.js';
import {
  defaultManifest, loadManifest, loadSignature, ManifestError, measuredManifestBytes, parseManifest, signatureForRun,
  SignatureError, signaturePath,
} from '../../src/manifest/index.js';

const root = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gramine-ts-sign-')));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const hashOf = (p: string) => sha256(readFileSync(p));

let n = 0;
/** A fresh directory with `files` (relative path -> content) and `links` (relative path -> target). */
function tree(files: Record<string, string | Buffer>, links: Record<string, string> = {}): string {
  const dir = path.join(root, `t${n++}`);
  for (const [rel, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), content);
  }
  for (const [rel, target] of Object.entries(links)) symlinkSync(target, path.join(dir, rel));
  return dir;
}

const quiet = { progress: false as const, warn: () => {} };

function signatureError(f: () => unknown): SignatureError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SignatureError);
    return e as SignatureError;
  }
  throw new Error('no SignatureError');
}

describe('gramine-ts sign', () => {
  it('hashes a file and every file of a directory, and writes MANIFEST.sig with the measurement', async () => {
    const big = Buffer.alloc((1 << 20) * 2 + 77, 0x5a);
    const dir = tree(
      {
        'bin/app': '#!/bin/sh\necho hi\n',
        'lib/a.so': 'library a',
        'lib/sub/b.so': big,
        'lib/sub/deeper/c.txt': '',
        'outside.txt': 'reached through a link',
        'inline.txt': 'has its own hash',
      },
      { 'lib/link.txt': '../outside.txt', 'lib/dangling': 'nowhere', 'lib/loop': '.' },
    );
    const manifestPath = path.join(dir, 'app.manifest.toml');
    writeFileSync(
      manifestPath,
      [
        'libos.entrypoint = "/bin/app"',
        'fs.mounts = [{ path = "/bin", uri = "file:bin" }]',
        'sgx.trusted_files = [',
        '  "file:bin/app",',
        '  "file:lib/",',
        `  { uri = "file:${dir}/inline.txt", sha256 = "${'ab'.repeat(32)}" },`,
        ']',
        '',
      ].join('\n'),
    );
    const warnings: string[] = [];
    const { file, signature } = await signManifest(manifestPath, { cwd: dir, progress: false, warn: (w) => warnings.push(w) });
    expect(file).toBe(`${manifestPath}.sig`);
    expect(signaturePath(manifestPath)).toBe(file);

    const expected = [
      ['file:bin/app', 'bin/app'],
      ['file:lib/a.so', 'lib/a.so'],
      ['file:lib/link.txt', 'lib/link.txt'],
      ['file:lib/sub/b.so', 'lib/sub/b.so'],
      ['file:lib/sub/deeper/c.txt', 'lib/sub/deeper/c.txt'],
    ].map(([uri, rel]) => {
      const p = path.join(dir, rel!);
      return { uri, path: p, size: readFileSync(p).length, sha256: hashOf(p) };
    });
    expect(signature.trustedFiles).toEqual(expected);
    expect(signature.trustedFiles[3]!.sha256).toBe(sha256(big));
    expect(warnings).toEqual([expect.stringContaining('lib/dangling')]);

    // the file on disk says the same, and run-time loading reads it back
    const doc = JSON.parse(readFileSync(file, 'utf8'));
    expect(doc.format).toBe('gramine-ts signature v1');
    expect(doc.manifest_sha256).toBe(hashOf(manifestPath));
    expect(doc.trusted_files).toEqual(expected);
    expect(doc.measurement).toMatch(/^[0-9a-f]{64}$/);
    const loaded = loadSignature(manifestPath);
    expect(loaded).toEqual({
      file, manifestName: 'app.manifest.toml', manifestSha256: hashOf(manifestPath), measurement: doc.measurement, trustedFiles: expected,
    });

    // the measurement is what the leader will expect for this manifest and signature
    const manifest = loadManifest(manifestPath);
    const m = await expectedMeasurement(measuredManifestBytes(manifest.sourceBytes, loaded));
    expect(doc.measurement).toBe(Buffer.from(m).toString('hex'));
    // and differs from the unsigned manifest's
    const unsigned = await expectedMeasurement(manifest.sourceBytes);
    expect(Buffer.from(unsigned).toString('hex')).not.toBe(doc.measurement);
  });

  it('names a trusted file it cannot read, and a "dir/" that is not a directory', () => {
    const dir = tree({ 'present': 'x' });
    const m1 = parseManifest('libos.entrypoint = "/a"\ntrusted_files = ["file:present", "file:missing"]\n', 'm');
    expect(() => trustedFilesToSign(m1, { cwd: dir, ...quiet })).toThrow(SignError);
    expect(() => trustedFilesToSign(m1, { cwd: dir, ...quiet })).toThrow(/file:missing \(.*\/missing\): ENOENT/);
    const m2 = parseManifest('libos.entrypoint = "/a"\ntrusted_files = ["file:present/"]\n', 'm');
    expect(() => trustedFilesToSign(m2, { cwd: dir, ...quiet })).toThrow(/ends with "\/" but is not a directory/);
  });

  it('lists each file once, in manifest order', () => {
    const dir = tree({ 'd/x': '1', 'd/y': '2' });
    const m = parseManifest('libos.entrypoint = "/a"\ntrusted_files = ["file:d/y", "file:d", "file:d/x"]\n', 'm');
    expect(trustedFilesToSign(m, { cwd: dir, ...quiet }).map((f) => f.uri)).toEqual(['file:d/y', 'file:d/x']);
  });
});

describe('the signature run uses', () => {
  const setup = () => {
    const dir = tree({ 'f': 'trusted' });
    const manifestPath = path.join(dir, 'app.manifest.toml');
    writeFileSync(manifestPath, `libos.entrypoint = "/f"\ntrusted_files = ["file:${dir}/f"]\n`);
    return manifestPath;
  };

  it('is required when trusted files need hashes: missing, it names the file and says to sign', () => {
    const manifestPath = setup();
    const e = signatureError(() => signatureForRun(loadManifest(manifestPath), manifestPath));
    expect(e.file).toBe(`${manifestPath}.sig`);
    expect(e.message).toContain(`${manifestPath}.sig`);
    expect(e.message).toContain('never signed');
    expect(e.message).toContain(`gramine-ts sign ${manifestPath}`);
  });

  it('is refused when stale (the manifest changed after signing)', async () => {
    const manifestPath = setup();
    await signManifest(manifestPath, quiet);
    expect(signatureForRun(loadManifest(manifestPath), manifestPath)?.trustedFiles).toHaveLength(1);
    writeFileSync(manifestPath, `${readFileSync(manifestPath, 'utf8')}loader.env.X = "1"\n`);
    const e = signatureError(() => signatureForRun(loadManifest(manifestPath), manifestPath));
    expect(e.message).toMatch(/\.sig: stale: .*app\.manifest\.toml has changed since it was signed: run `gramine-ts sign /);
  });

  it('is refused when malformed', async () => {
    const manifestPath = setup();
    await signManifest(manifestPath, quiet);
    const sig = `${manifestPath}.sig`;
    const good = readFileSync(sig, 'utf8');
    const keyed = (extra: string) => good.replace('"trusted_files"', `${extra}, "trusted_files"`);
    const badCases = [
      '{', '[]', good.replace(/"size": ?\d+/, '"size": -1'), good.replace('"measurement"', '"measurment"'),
      keyed(`"signer": "${'a'.repeat(64)}"`), keyed(`"signer": "${'a'.repeat(63)}", "signature": "${'b'.repeat(128)}"`),
      keyed(`"signer": "${'a'.repeat(64)}", "signature": "${'b'.repeat(127)}"`), keyed('"signed_by": "me"'),
    ];
    for (const bad of badCases) {
      writeFileSync(sig, bad);
      expect(signatureError(() => loadSignature(manifestPath)).message).toMatch(/\.sig: malformed signature file: .*run `gramine-ts sign/);
    }
  });

  it('is not needed when every trusted file has its own sha256, but is checked when present', async () => {
    const dir = tree({ 'f': 'x' });
    const manifestPath = path.join(dir, 'app.manifest.toml');
    writeFileSync(manifestPath, `libos.entrypoint = "/f"\ntrusted_files = [{ uri = "file:${dir}/f", sha256 = "${sha256('x')}" }]\n`);
    expect(signatureForRun(loadManifest(manifestPath))).toBeNull();
    await signManifest(manifestPath, quiet);
    expect(signatureForRun(loadManifest(manifestPath))?.trustedFiles).toEqual([]);
    writeFileSync(`${manifestPath}.sig`, 'garbage');
    signatureError(() => signatureForRun(loadManifest(manifestPath)));
  });
});

describe('the first process of a manifest (runRequestFor)', () => {
  const manifest = (text: string) => parseManifest(`libos.entrypoint = "/usr/bin/app"\n${text}`, 'app.manifest.toml');
  const hostEnv = { HOME: '/home/me', TERM: 'xterm', PATH: '/bin' };

  it('argv: loader.argv, else the entrypoint alone', () => {
    expect(runRequestFor(manifest('loader.argv = ["app", "-v"]'), [], hostEnv).argv).toEqual(['app', '-v']);
    expect(runRequestFor(manifest(''), [], hostEnv).argv).toEqual(['/usr/bin/app']);
  });

  it("argv: the command line's with loader.insecure__use_cmdline_argv, refused without it", () => {
    const m = manifest('loader.insecure__use_cmdline_argv = true');
    expect(runRequestFor(m, ['a', 'b c'], hostEnv).argv).toEqual(['/usr/bin/app', 'a', 'b c']);
    expect(runRequestFor(m, [], hostEnv).argv).toEqual(['/usr/bin/app']);
    expect(() => runRequestFor(manifest(''), ['a'], hostEnv)).toThrow(ManifestError);
    expect(() => runRequestFor(manifest(''), ['a'], hostEnv)).toThrow(/loader\.insecure__use_cmdline_argv = true/);
  });

  it('env: values, passthrough of what the host has, the host env only when asked', () => {
    const m = manifest('loader.env.A = "1"\nloader.env.TERM = { passthrough = true }\nloader.env.NOPE = { passthrough = true }\n');
    expect({ ...runRequestFor(m, [], hostEnv).env }).toEqual({ A: '1', TERM: 'xterm' });
    const all = manifest('loader.insecure__use_host_env = true\nloader.env.HOME = "/root"\n');
    expect({ ...runRequestFor(all, [], hostEnv).env }).toEqual({ HOME: '/root', TERM: 'xterm', PATH: '/bin' });
  });

  it('ids and working directory from the manifest', () => {
    const r = runRequestFor(manifest('loader.uid = 1000\nloader.gid = 1001\nfs.start_dir = "/srv/www"\n'), [], hostEnv);
    expect(r).toMatchObject({ filename: '/usr/bin/app', uid: 1000, gid: 1001, cwd: '/srv/www' });
  });

  it('the built-in manifest keeps a bare run as it was', () => {
    const m = defaultManifest('/usr/bin/ls', ['ls', '-l'], { cwd: '/home/me', uid: 5, gid: 6 });
    const r = runRequestFor(m, [], hostEnv);
    expect(r).toMatchObject({ filename: '/usr/bin/ls', argv: ['ls', '-l'], cwd: '/home/me', uid: 5, gid: 6 });
    expect({ ...r.env }).toEqual(hostEnv);
  });
});
