// `gramine-ts run` with a manifest and `gramine-ts sign`, from the command line: errors that
// name the file, line and key; a trusted manifest that was never signed, or changed since, is
// refused with a message that says to sign it; signed, it runs, and its trusted files are
// verified before the app sees a byte.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRAMINE_TS, makeTempDir, program, removeTempDir, runGramine, runNative, sha256 } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-manifest-');
});
afterAll(() => removeTempDir(dir));

/** `gramine-ts sign ARGS...` */
const sign = (...args: string[]) => runNative([process.execPath, GRAMINE_TS, 'sign', ...args], { cwd: dir });

let n = 0;
/** A manifest file in the temp dir with these lines. */
function manifest(...lines: string[]): string {
  const file = path.join(dir, `m${n++}.manifest.toml`);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('run with a manifest: refused before anything starts', () => {
  it('a malformed manifest: file, line and key, exit status 2', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', 'loader.argv = ["true"]', 'loader.nonsense = 1');
    const r = await runGramine([m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}:3: loader.nonsense: unknown key`);
  });

  it('command-line arguments without loader.insecure__use_cmdline_argv', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"');
    const r = await runGramine(['--manifest', m, 'an-arg']);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/command-line arguments given .*loader\.insecure__use_cmdline_argv = true/);
  });

  it('trusted files, never signed: names the signature file and says to sign', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', 'sgx.trusted_files = ["file:/bin/true"]');
    const r = await runGramine(['--manifest', m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}.sig: missing: ${m} was never signed: run \`gramine-ts sign ${m}\``);
  });

  it('a mount of a host directory that is not there: named, exit status 2', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', 'fs.mounts = [{ path = "/data", uri = "file:/nonexistent/gts" }]');
    const r = await runGramine(['--manifest', m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}: mount of file:/nonexistent/gts at /data: /nonexistent/gts is not a file or directory the host can open (ENOENT)`);
  });
});

describe('gramine-ts sign', () => {
  it('writes MANIFEST.sig with the hashes and the measurement; a changed manifest is then stale', async () => {
    const data = path.join(dir, 'data.txt');
    writeFileSync(data, 'some trusted data\n');
    const m = manifest('libos.entrypoint = "/bin/true"', `trusted_files = ["file:${data}", "file:/bin/true"]`);
    const r = await sign(m);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^.*\.sig: 2 trusted files, .*\nmeasurement: [0-9a-f]{64}\n$/);
    const doc = JSON.parse(readFileSync(`${m}.sig`, 'utf8'));
    expect(doc.manifest_sha256).toBe(sha256(readFileSync(m)));
    expect(doc.trusted_files[0]).toEqual({ uri: `file:${data}`, path: data, size: 18, sha256: sha256('some trusted data\n') });
    expect(doc.trusted_files[1].sha256).toBe(sha256(readFileSync('/bin/true')));
    expect(r.stdout).toContain(doc.measurement);

    writeFileSync(m, `${readFileSync(m, 'utf8')}loader.env.A = "1"\n`);
    const stale = await runGramine([m]);
    expect(stale.status).toBe(2);
    expect(stale.stderr).toContain(`${m}.sig: stale: ${m} has changed since it was signed: run \`gramine-ts sign ${m}\``);
  });

  it('a trusted file it cannot read: named, exit status 1, no signature written', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', `trusted_files = ["file:${dir}/not-there"]`);
    const r = await sign(m);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`${dir}/not-there`);
    expect(existsSync(`${m}.sig`)).toBe(false);
  });

  it('usage errors', async () => {
    expect((await sign()).status).toBe(2);
    expect((await sign(path.join(dir, 'nope.manifest.toml'))).stderr).toMatch(/nope\.manifest\.toml: cannot read/);
  });
});

/** The shared libraries a dynamic program loads (ldd), as absolute paths. */
function libsOf(prog: string): string[] {
  const out = execFileSync('ldd', [prog], { encoding: 'utf8' });
  return [...out.matchAll(/(?:=> )?(\/\S+) \(0x/g)].map((m) => m[1]!);
}

describe('a signed manifest runs, with its trusted files verified', () => {
  it('runs a trusted static program, with the manifest argv and env', async () => {
    const prog = path.join(dir, 'args-static');
    copyFileSync(program('args', '-static'), prog);
    const m = manifest(
      `libos.entrypoint = "${prog}"`,
      'loader.argv = ["args", "3"]',
      'loader.env.GTS_TEST_VAR = "from the manifest"',
      'fs.root.uri = "file:/"',
      'sgx.file_check_policy = "strict"',
      `sgx.trusted_files = ["file:${prog}"]`,
    );
    expect((await sign(m)).status).toBe(0);
    const r = await runGramine([m]);
    expect(r.stdout).toContain('argv[0] = args\n');
    expect(r.stdout).toContain('argv[1] = 3\n');
    expect(r.stdout).toContain('GTS_TEST_VAR = from the manifest\n');
    expect(r.status).toBe(3);

    // the same size, one byte changed: refused
    const bytes = readFileSync(prog);
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(prog, bytes);
    const refused = await runGramine([m]);
    expect(refused.status).toBe(126);
    expect(refused.stdout).toBe('');
  });

  it('serves trusted files, refuses writes to them and, under strict, files neither trusted nor allowed', async () => {
    const trusted = path.join(dir, 'trusted.txt');
    const other = path.join(dir, 'other.txt');
    writeFileSync(trusted, 'trusted contents\n');
    writeFileSync(other, 'not listed\n');
    const files = [...new Set(['/bin/sh', '/bin/cat', ...libsOf('/bin/sh'), ...libsOf('/bin/cat'), trusted])];
    const m = manifest(
      'libos.entrypoint = "/bin/sh"',
      `loader.argv = ["sh", "-c", "cat ${trusted}; cat ${other} || echo refused; echo x >> ${trusted} || echo read-only"]`,
      'fs.root.uri = "file:/"',
      'sgx.file_check_policy = "strict"',
      `sgx.trusted_files = [${files.map((f) => `"file:${f}"`).join(', ')}]`,
      'sgx.allowed_files = ["file:/etc/ld.so.cache"]',
    );
    expect((await sign(m)).status).toBe(0);
    const r = await runGramine([m]);
    expect(r.stdout).toBe('trusted contents\nrefused\nread-only\n');
    expect(r.stderr).toMatch(/Permission denied/);
    expect(readFileSync(trusted, 'utf8')).toBe('trusted contents\n');
  });
});

describe('a manifest signed with a key (sign --key, run --signer)', () => {
  /** A manifest that prints a trusted data file, signed with a fresh key; the key files. */
  async function signedCat(): Promise<{ m: string; data: string; key: string; other: string }> {
    const data = path.join(dir, `data${n}.txt`);
    writeFileSync(data, 'signed data\n');
    const key = path.join(dir, `key${n}`);
    const other = path.join(dir, `other${n}`);
    const m = manifest(
      'libos.entrypoint = "/bin/cat"', `loader.argv = ["cat", "${data}"]`, 'fs.root.uri = "file:/"',
      'sgx.file_check_policy = "allow_all_but_log"', `sgx.trusted_files = ["file:${data}"]`,
    );
    for (const k of [key, other]) {
      const g = await sign('--gen-key', k);
      expect(g.stderr).toBe('');
      expect(g.status).toBe(0);
    }
    const r = await sign('--key', key, m);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    return { m, data, key, other };
  }
  const editSig = (m: string, edit: (doc: Record<string, any>) => void) => {
    const doc = JSON.parse(readFileSync(`${m}.sig`, 'utf8'));
    edit(doc);
    writeFileSync(`${m}.sig`, JSON.stringify(doc, null, 2));
  };
  /** The trusted data file replaced, its hash and size in the .sig with it; the run, which must print nothing. */
  const runWithEvilData = async (m: string, data: string) => {
    writeFileSync(data, 'evil data\n');
    editSig(m, (doc) => {
      doc.trusted_files[0].sha256 = sha256('evil data\n');
      doc.trusted_files[0].size = 10;
    });
    const r = await runGramine([m]);
    expect(r.stdout).toBe('');
    return r;
  };

  it('--gen-key writes a secret key file (0600) and its .pub; it never overwrites a key', async () => {
    const key = path.join(dir, 'fresh-key');
    const r = await sign('--gen-key', key);
    expect(r.status).toBe(0);
    const pub = readFileSync(`${key}.pub`, 'utf8').match(/^public: ([0-9a-f]{64})$/m)![1]!;
    expect(r.stdout).toContain(pub);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toMatch(/^secret: [0-9a-f]{64}$/m);
    const again = await sign('--gen-key', key);
    expect(again.status).toBe(1);
    expect(again.stderr).toContain(key);
    expect(readFileSync(`${key}.pub`, 'utf8')).toContain(pub);
  });

  it('runs when signed, by the signer named as a .pub, a key file or the hex key', async () => {
    const { m, key } = await signedCat();
    const doc = JSON.parse(readFileSync(`${m}.sig`, 'utf8'));
    const pub = readFileSync(`${key}.pub`, 'utf8').match(/^public: ([0-9a-f]{64})$/m)![1]!;
    expect(doc.signer).toBe(pub);
    expect(doc.signature).toMatch(/^[0-9a-f]{128}$/);
    for (const args of [[m], ['--signer', `${key}.pub`, m], ['--signer', key, m], [`--signer=${pub}`, m]]) {
      const r = await runGramine(args);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe('signed data\n');
      expect(r.status).toBe(0);
    }
  });

  it('a trusted file changed together with its hash in the .sig: refused before the app runs', async () => {
    const { m, data } = await signedCat();
    const r = await runWithEvilData(m, data);
    expect(r.stderr).toContain(`${m}.sig: the signature does not verify: the file was changed after`);
    expect(r.status).toBe(2);
  });

  it('any byte of the .sig edited by hand (a path, the measurement, the signature): refused', async () => {
    const { m } = await signedCat();
    const good = readFileSync(`${m}.sig`, 'utf8');
    const edits: Array<(doc: Record<string, any>) => void> = [
      (doc) => { doc.trusted_files[0].path = '/elsewhere'; },
      (doc) => { doc.manifest = 'other.manifest.toml'; },
      (doc) => { doc.measurement = `${doc.measurement.slice(0, 63)}${doc.measurement.endsWith('0') ? '1' : '0'}`; },
      (doc) => { doc.signature = `${doc.signature.slice(0, 127)}${doc.signature.endsWith('0') ? '1' : '0'}`; },
    ];
    for (const edit of edits) {
      writeFileSync(`${m}.sig`, good);
      editSig(m, edit);
      const r = await runGramine([m]);
      expect(r.stdout).toBe('');
      expect(r.stderr).toMatch(new RegExp(`${m}\\.sig: (the signature does not verify|malformed)`));
      expect(r.status).toBe(2);
    }
  });

  it('--signer another key, or an unkeyed .sig: refused, naming both keys', async () => {
    const { m, key, other } = await signedCat();
    const pub = (k: string) => readFileSync(`${k}.pub`, 'utf8').match(/^public: ([0-9a-f]{64})$/m)![1]!;
    const wrong = await runGramine(['--signer', `${other}.pub`, m]);
    expect(wrong.stdout).toBe('');
    expect(wrong.stderr).toContain(`${m}.sig: signed by ${pub(key)}, not by the required signer ${pub(other)}`);
    expect(wrong.status).toBe(2);

    // the key stripped off: without --signer it is an unkeyed signature, with it it is refused
    editSig(m, (doc) => { delete doc.signer; delete doc.signature; });
    expect((await runGramine([m])).stdout).toBe('signed data\n');
    const stripped = await runGramine(['--signer', key, m]);
    expect(stripped.stdout).toBe('');
    expect(stripped.stderr).toContain(`${m}.sig: not signed with a key, but --signer ${pub(key)} was required`);
    expect(stripped.status).toBe(2);

    // a program run without a manifest has nothing to sign
    const bare = await runGramine(['--signer', key, '/bin/true']);
    expect(bare.status).toBe(2);
    expect(bare.stderr).toContain('--signer needs a manifest');
  });

  it('unkeyed: a trusted file\'s hash edited in the .sig changes the measurement, and is refused (not a warning)', async () => {
    const { m, data } = await signedCat();
    expect((await sign(m)).status).toBe(0); // unkeyed
    const r = await runWithEvilData(m, data);
    expect(r.stderr).toMatch(new RegExp(`${m}\\.sig: measurement differs: signed [0-9a-f]{64}, but this instance measures [0-9a-f]{64}`));
    expect(r.status).toBe(2);
  });
});

describe('sys.disallow_subprocesses', () => {
  const script = '/bin/true; echo status $?; exec /bin/echo exec works';
  const withKey = (value: boolean) => manifest(
    'libos.entrypoint = "/bin/sh"', `loader.argv = ["sh", "-c", "${script}"]`, 'fs.root.uri = "file:/"',
    'sgx.file_check_policy = "allow_all_but_log"', `sys.disallow_subprocesses = ${value}`,
  );

  it('true: a fork fails (EAGAIN: dash says it cannot fork), said once at level warn', async () => {
    const r = await runGramine(['--log-level', 'warn', withKey(true)]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('sh: 1: Cannot fork\n');
    expect(r.stderr.split('\n').filter((l) => l.includes('a new process was refused: the manifest sets sys.disallow_subprocesses'))).toHaveLength(1);
    expect(r.status).toBe(2);
  });

  it('false (the default): the fork and the exec both run', async () => {
    const r = await runGramine([withKey(false)]);
    expect(r.stdout).toBe('status 0\nexec works\n');
    expect(r.status).toBe(0);
  });
});

describe('sys.fds.limit', () => {
  it('is the RLIMIT_NOFILE the program starts with, soft and hard, and what its children and exec\'d programs keep', async () => {
    const m = manifest(
      'libos.entrypoint = "/bin/sh"', 'loader.argv = ["sh", "-c", "ulimit -n; ulimit -Hn; sh -c \'ulimit -n\'"]',
      'fs.root.uri = "file:/"', 'sgx.file_check_policy = "allow_all_but_log"', 'sys.fds.limit = 100',
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('100\n100\n100\n');
    expect(r.status).toBe(0);
  });

  // above the instance's default top of the fd space (INSTANCE_FD_TOP): the stub's fds go higher
  const hostHard = Number(execFileSync('/bin/sh', ['-c', 'ulimit -Hn'], { encoding: 'utf8' }));
  it.runIf(hostHard >= 6000 + 18 + 1024)('above the default top of the fd space: the app may use every fd below it, in a child and an exec\'d program too', async () => {
    const m = manifest(
      'libos.entrypoint = "/bin/bash"',
      'loader.argv = ["bash", "-c", "ulimit -n; exec 5999>/dev/null && echo 5999; bash -c \'exec 5999>/dev/null && echo child\'; exec bash -c \'ulimit -n\'"]',
      // (bash run with a socket for stdin, its first level, reads ~/.bashrc)
      'loader.env.SHLVL = "1"', 'fs.root.uri = "file:/"', 'sgx.file_check_policy = "allow_all_but_log"', 'sys.fds.limit = 6000',
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('6000\n5999\nchild\n6000\n');
    expect(r.status).toBe(0);
  });

  it('must be a positive count: file, line and key', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', 'sys.fds.limit = 0');
    const r = await runGramine([m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}:2: sys.fds.limit: out of range (0; 1 to 2147483647)`);
  });
});

describe('gramine_ts.report_unsupported', () => {
  it('false: no line at the end naming what the program used that is unsupported; true (the default): the line', async () => {
    const lines = (report: string) => manifest(
      `libos.entrypoint = "${program('enosys')}"`, 'fs.root.uri = "file:/"', 'sgx.file_check_policy = "allow_all_but_log"', report,
    );
    const quiet = await runGramine([lines('gramine_ts.report_unsupported = false')]);
    expect(quiet.status).toBe(0);
    expect(quiet.stderr).toBe('');
    const told = await runGramine([lines('gramine_ts.report_unsupported = true')]);
    expect(told.status).toBe(0);
    expect(told.stderr).toBe('gramine-ts: the program used what gramine-ts does not support: sched_getattr (2x), personality (1x) — see docs/syscalls.md\n');
  });
});

describe('loader.argv_src_file and loader.env_src_file', () => {
  it('argv and the environment from files of NUL-terminated strings (gramine-argv-serializer\'s), loader.env on top', async () => {
    const argvFile = path.join(dir, 'argv.bin');
    const envFile = path.join(dir, 'env.bin');
    writeFileSync(argvFile, ['sh', '-c', 'echo "$0 [$1] $A $B"', 'zéro', 'an arg with spaces', ''].join('\0'));
    writeFileSync(envFile, ['A=from the filé', 'B=overridden', ''].join('\0'));
    const m = manifest(
      'libos.entrypoint = "/bin/sh"', `loader.argv_src_file = "file:${argvFile}"`, `loader.env_src_file = "file:${envFile}"`,
      'loader.env.B = "from loader.énv"', 'fs.root.uri = "file:/"', 'sgx.file_check_policy = "allow_all_but_log"',
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    // the files' bytes as they are, the manifest's strings UTF-8 encoded
    expect(r.stdout).toBe('zéro [an arg with spaces] from the filé from loader.énv\n');
    expect(r.status).toBe(0);
  });

  it('one source of argv: with loader.argv it is refused (file, line and key)', async () => {
    const m = manifest('libos.entrypoint = "/bin/true"', 'loader.argv = ["true"]', 'loader.argv_src_file = "file:/nonexistent"');
    const r = await runGramine([m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}:3: loader.argv_src_file: cannot be combined with loader.argv`);
  });
});
