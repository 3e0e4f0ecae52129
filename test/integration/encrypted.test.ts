// Encrypted mounts (libos/fs/encrypted/): files kept on the host as Gramine protected files,
// read and written by the app as plain files -- from C and from bash, across processes, with
// fsync and a kill -9, against `gramine-ts pf`, and with the host files tampered with.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, readlinkSync, renameSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { Running } from '../helpers/running.js';
import { GRAMINE_TS, hostRootManifest, makeTempDir, PROGRAMS_BUILD, removeTempDir, runGramine, runNative } from '../helpers/run.js';

const KEY = '00112233445566778899aabbccddeeff';
const PROGRAM = path.join(PROGRAMS_BUILD, 'encrypted_files');

let dir: string;
let enc: string;
let keyFile: string;
beforeAll(() => {
  dir = makeTempDir('gts-encrypted-');
  enc = path.join(dir, 'enc');
  mkdirSync(enc);
  keyFile = path.join(dir, 'key.hex');
  writeFileSync(keyFile, `${KEY}\n`);
});
afterAll(() => removeTempDir(dir));

let n = 0;
/** A manifest running `argv` with the encrypted mount /enc of `enc` (and /raw: the same host directory, as it is). */
const manifest = (argv: string[], ...lines: string[]): string => hostRootManifest(dir, argv,
  `fs.mounts = [{ type = "encrypted", path = "/enc", uri = "file:${enc}", key_name = "k" }, { path = "/raw", uri = "file:${enc}" }]`,
  `fs.insecure__keys.k = "${KEY}"`,
  ...lines);

const bash = (script: string) => manifest(['/bin/bash', '-c', script]);

/** `gramine-ts pf ARGS...` on the host: its stdout. */
function pf(...args: string[]): string {
  const r = spawnSync(process.execPath, [GRAMINE_TS, 'pf', ...args, '--no-progress'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`gramine-ts pf ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The plaintext of host file `file`, checked to be bound to its own path (as the mount binds it). */
function decrypt(file: string, bound = file): string {
  const out = path.join(dir, `plain-${n++}`);
  pf('decrypt', '--key', keyFile, '--wrap-name', bound, file, out);
  return readFileSync(out, 'latin1');
}

describe('encrypted mounts', () => {
  it.each(['encrypted_files', 'encrypted_files-static'])('%s: regular-file semantics as on a plain directory, across processes', async (program) => {
    const plain = path.join(dir, `plain-dir-${program}`);
    mkdirSync(plain);
    const native = await runNative([PROGRAM, plain]);
    expect(native.status).toBe(0);
    const r = await runGramine([manifest([path.join(PROGRAMS_BUILD, program), '/enc'])]);
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    // what stays is a valid protected file, bound to its host path
    expect(decrypt(path.join(enc, 'shared'))).toBe(`from the parent${'\0'.repeat(85)}child`);
  });

  it('from bash: written, read back and listed with its plaintext size; the host file decrypts with gramine-ts pf', async () => {
    const r = await runGramine([bash("echo hello > /enc/a; cat /enc/a; ls -l /enc/a | awk '{print $5, $9}'")]);
    expect(r.stdout).toBe('hello\n6 /enc/a\n');
    expect(r.status).toBe(0);
    expect(decrypt(path.join(enc, 'a'))).toBe('hello\n');
  });

  it('a file encrypted with gramine-ts pf for its place in the mount reads back inside', async () => {
    const plain = path.join(dir, 'outside.txt');
    writeFileSync(plain, 'made outside\n');
    pf('encrypt', '--key', keyFile, plain, path.join(enc, 'outside'));
    const r = await runGramine([bash('cat /enc/outside; stat -c %s /enc/outside')]);
    expect(r.stdout).toBe('made outside\n13\n');
  });

  it('a file changed, renamed, swapped or truncated on the host: EACCES and a line naming it; the instance goes on', async () => {
    const made = await runGramine([bash('for f in byte data moved s1 s2 cut; do head -c 10000 /dev/zero | tr "\\0" "$f" > /enc/$f; done')]);
    expect(made.status).toBe(0);
    const flip = (file: string, at: number) => {
      const b = readFileSync(file);
      b[at]! ^= 1;
      writeFileSync(file, b);
    };
    flip(path.join(enc, 'byte'), 100); // the metadata node
    flip(path.join(enc, 'data'), 2 * 4096 + 10); // a data node
    renameSync(path.join(enc, 'moved'), path.join(enc, 'moved-on-host'));
    renameSync(path.join(enc, 's1'), path.join(enc, 'tmp'));
    renameSync(path.join(enc, 's2'), path.join(enc, 's1'));
    renameSync(path.join(enc, 'tmp'), path.join(enc, 's2'));
    truncateSync(path.join(enc, 'cut'), 4096);
    const names = ['byte', 'data', 'moved-on-host', 's1', 's2', 'cut'];
    const r = await runGramine(
      [bash(`for f in ${names.join(' ')}; do cat /enc/$f > /dev/null 2> /tmp/err-$$ && echo "$f read" || echo "$f: $(sed 's/.*: //' /tmp/err-$$)"; done; rm -f /tmp/err-$$; echo still running`)],
      { gramineArgs: ['--log-level', 'warn'] },
    );
    expect(r.stdout).toBe(`${names.map((f) => `${f}: Permission denied\n`).join('')}still running\n`);
    expect(r.status).toBe(0);
    const refusals = String(r.stderr).split('\n').filter((l) => l.includes('encrypted file refused'));
    for (const f of names) expect(refusals.some((l) => l.includes(`/enc/${f} (host file ${enc}/${f})`))).toBe(true);
    // an open that truncates decrypts nothing, but is refused alike (the data node changed is
    // not read: its bytes are dropped, as with Gramine)
    const truncating = names.filter((f) => f !== 'data');
    const t = await runGramine([bash(`for f in ${truncating.join(' ')}; do : 2> /dev/null > /enc/$f && echo "$f opened" || echo "$f refused"; done`)]);
    expect(t.stdout).toBe(truncating.map((f) => `${f} refused\n`).join(''));
  });

  it('kill -9 after fsync: the fsynced data is in the host file; an exit without fsync writes back too', async () => {
    const r = await runGramine([bash(
      `${PROGRAM} /enc/killed die; echo "status $?"; ${PROGRAM} /enc/exited write; cp /raw/exited /raw/exited.snapshot; echo done`,
    )]);
    expect(r.stdout).toBe('status 137\ndone\n');
    expect(decrypt(path.join(enc, 'killed')).startsWith('synced\n')).toBe(true);
    // the copy of the host file made right after the writer's exit, before the instance ended
    expect(decrypt(path.join(enc, 'exited.snapshot'), path.join(enc, 'exited'))).toBe('written at exit\n');
  });

  it('a file only read is not written back: its host file stays the same one, bytes and inode', async () => {
    expect((await runGramine([bash('echo kept > /enc/ro')])).status).toBe(0);
    const host = path.join(enc, 'ro');
    const before = { stat: statSync(host), bytes: readFileSync(host) };
    // two readers, one after the other, each a process that opened the copy and ended
    const r = await runGramine([bash('cat /enc/ro; cat /enc/ro; head -c 2 /enc/ro; echo')]);
    expect(r.stdout).toBe('kept\nkept\nke\n');
    const after = statSync(host);
    expect([after.ino, after.mtimeMs]).toEqual([before.stat.ino, before.stat.mtimeMs]);
    expect(readFileSync(host).equals(before.bytes)).toBe(true);
    // a writer's open does write it back (a new PF file renamed over: another inode)
    expect((await runGramine([bash('echo more >> /enc/ro')])).status).toBe(0);
    expect(statSync(host).ino).not.toBe(before.stat.ino);
    expect(decrypt(host)).toBe('kept\nmore\n');
  });

  it('locks (flock, record locks) on an encrypted file hold across the instance\'s processes, as natively', async () => {
    // the parent holds both kinds; its child, with a description of its own, finds them taken
    const script = path.join(dir, 'locks.py');
    writeFileSync(script, [
      'import fcntl, os, sys',
      "with open(sys.argv[1], 'w') as f: f.write('x' * 100)",
      "a = open(sys.argv[1], 'r+')",
      'fcntl.flock(a, fcntl.LOCK_EX)',
      'fcntl.lockf(a, fcntl.LOCK_EX, 10, 0)',
      'if os.fork() == 0:',
      "    b = open(sys.argv[1], 'r+')",
      "    for name, take in [('flock', lambda: fcntl.flock(b, fcntl.LOCK_EX | fcntl.LOCK_NB)),",
      "                       ('record lock', lambda: fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 0)),",
      "                       ('record lock of other bytes', lambda: fcntl.lockf(b, fcntl.LOCK_EX | fcntl.LOCK_NB, 10, 50))]:",
      '        try:',
      "            take(); print(name, 'taken', flush=True)",
      '        except OSError as e:',
      "            print(name, 'busy' if e.errno == 11 else e, flush=True)",
      '    os._exit(0)',
      'os.wait()',
      '',
    ].join('\n'));
    const plain = path.join(dir, 'locks-plain');
    mkdirSync(plain);
    const native = await runNative(['python3', script, path.join(plain, 'f')], { encoding: 'utf8' });
    expect(native.stdout).toBe('flock busy\nrecord lock busy\nrecord lock of other bytes taken\n');
    const r = await runGramine([manifest(['/usr/bin/python3', script, '/enc/locked'])], { encoding: 'utf8' });
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
  });

  it('1 GiB written sequentially, then read back by another instance (decrypted whole; throughput: bench/encrypted-io.js)', async () => {
    const written = await runGramine([manifest([PROGRAM, '/enc', 'big', '1024', 'write'])], { timeout: 120_000 });
    expect(written.stdout).toBe('size 1073741824\n');
    expect(statSync(path.join(enc, 'big')).size).toBeGreaterThan(1 << 30); // nodes, MHT nodes and the metadata node
    const read = await runGramine([manifest([PROGRAM, '/enc', 'big', '1024', 'read'])], { timeout: 120_000 });
    expect(read.stdout).toBe('1024 MiB read back\n');
    expect(existsSync(path.join(enc, 'big'))).toBe(false);
  });

  it('the leader lets a copy go when no process of the instance holds the file any more (written back first)', async () => {
    // r2: written and read by processes that have ended; r1: opened by a subshell that has
    // ended, whose background child still holds the fd it inherited; r3: held by the shell
    const script = [
      'for f in r1 r2 r3; do (echo $f > /enc/$f); done',
      'cat /enc/r2 > /dev/null',
      '(exec 5< /enc/r1; sleep 60 <&5 > /dev/null 2>&1 &)',
      'exec 4< /enc/r3',
      'echo ready',
      'read line',
      'cat /enc/r1 /enc/r2 /enc/r3',
    ].join('\n');
    const running = Running.gramine([bash(script)]);
    try {
      await running.waitFor('out', /^ready$/);
      const copies = readdirSync(`/proc/${running.child.pid}/fd`).map((fd) => {
        try {
          return readlinkSync(`/proc/${running.child.pid}/fd/${fd}`);
        } catch {
          return '';
        }
      }).filter((l) => l.startsWith('/memfd:encrypted:')).map((l) => path.basename(l.replace(/ \(deleted\)$/, ''))).sort();
      expect(copies).toEqual(['r1', 'r3']);
      running.child.stdin.write('go\n');
      expect(await running.exited).toBe(0);
      expect(running.out.slice(-3)).toEqual(['r1', 'r2', 'r3']);
      for (const f of ['r1', 'r2', 'r3']) expect(decrypt(path.join(enc, f))).toBe(`${f}\n`);
    } finally {
      running.kill();
    }
  });

  it("a mount of one encrypted file (Gramine's single-file mount): read and appended to, not removable; bound to the uri's path", async () => {
    const plain = path.join(dir, 'single-plain');
    const secret = path.join(dir, 'single-secret');
    writeFileSync(plain, 'top secret\n');
    pf('encrypt', '--key', keyFile, '--wrap-name', secret, plain, secret);
    const m = hostRootManifest(dir, ['/bin/bash', '-c', 'cat /secret; echo more >> /secret; cat /secret; wc -c < /secret; rm /secret 2>&1 | sed "s/.*: //"'],
      `fs.mounts = [{ type = "encrypted", path = "/secret", uri = "file:${secret}", key_name = "k" }]`,
      `fs.insecure__keys.k = "${KEY}"`);
    const r = await runGramine([m]);
    expect(r.stdout).toBe('top secret\ntop secret\nmore\n16\nDevice or resource busy\n');
    expect(decrypt(secret)).toBe('top secret\nmore\n');
  });

  it('no key set: EACCES for the files of the mount', async () => {
    const m = manifest(['/bin/bash', '-c', 'cat /enc/a 2>/dev/null || echo refused; ls /enc > /dev/null && echo listed']);
    writeFileSync(m, readFileSync(m, 'utf8').replace(`fs.insecure__keys.k = "${KEY}"\n`, ''));
    const r = await runGramine([m]);
    expect(r.stdout).toBe('refused\nlisted\n');
  });
});

