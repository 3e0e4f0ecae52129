// fs.mounts as Gramine's manifests write them: single-file mounts, mount points whose parents
// the tree lacks (also below /proc), `dev:` URIs, untrusted_shm mounts shared with the host,
// encrypted mounts whose directory is missing, allowed files matched as Gramine matches them.
import { existsSync, mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { makeTempDir, removeTempDir, runGramine } from '../helpers/run.js';

/** The host's C library directory (what gramine.runtimedir() is here). */
const HOST_LIBC_DIR = path.dirname(realpathSync('/lib64/ld-linux-x86-64.so.2'));

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-mounts-');
  writeFileSync(path.join(dir, 'app.txt'), 'the mounted file\n');
  writeFileSync(path.join(dir, 'secret.txt'), 'not mounted\n');
});
afterAll(() => removeTempDir(dir));

let n = 0;
/** A manifest running `sh -c script` over the host root, with these extra lines. */
function shManifest(script: string, ...lines: string[]): string {
  const file = path.join(dir, `m${n++}.manifest.toml`);
  writeFileSync(file, [
    'libos.entrypoint = "/bin/sh"', `loader.argv = ["sh", "-c", ${JSON.stringify(script)}]`, 'fs.root.uri = "file:/"',
    ...lines, '',
  ].join('\n'));
  return file;
}

describe('single-file mounts', () => {
  it('the mount point is the file: read, stat, named by /proc/self/fd; nothing of its directory is reachable', async () => {
    // "/srv-gts/app" does not exist in the root: its parent is made up; "//" and a trailing "/" are normalized
    const m = shManifest(
      'cat /srv-gts/app; wc -c < /srv-gts/app; ls /srv-gts; exec 3< /srv-gts/app; readlink /proc/self/fd/3; ' +
        'cat /srv-gts/app/x 2>/dev/null || echo child ENOTDIR; cat /srv-gts/app/../secret.txt 2>/dev/null || echo up ENOTDIR; ' +
        'test -d /srv-gts/app/ || echo not a directory',
      'sgx.file_check_policy = "allow_all_but_log"',
      `fs.mounts = [{ path = "/srv-gts//app/", uri = "file:${dir}//app.txt" }]`,
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('the mounted file\n17\napp\n/srv-gts/app\nchild ENOTDIR\nup ENOTDIR\nnot a directory\n');
    expect(r.status).toBe(0);
  });

  it('is the root of the file checks: allowed, it reads under strict; its neighbour is refused', async () => {
    const m = shManifest(
      `cat /app.txt; cat ${dir}/secret.txt 2>/dev/null || echo refused`,
      'sgx.file_check_policy = "strict"',
      // the shell and its libraries are allowed as a directory tree; the mounted file on its own
      'sgx.allowed_files = ["file:/usr/", "file:/lib/", "file:/lib64/", "file:/bin/", "file:/etc/", ' +
        `"file:${dir}/app.txt"]`,
      `fs.mounts = [{ path = "/app.txt", uri = "file:${dir}/app.txt" }]`,
    );
    const r = await runGramine([m]);
    expect(r.stdout).toBe('the mounted file\nrefused\n');
    expect(r.status).toBe(0);
  });

  it('cannot be the root: named, exit status 2', async () => {
    const file = path.join(dir, `m${n++}.manifest.toml`);
    writeFileSync(file, `libos.entrypoint = "/app"\nfs.root.uri = "file:${dir}/app.txt"\n`);
    const r = await runGramine([file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${file}: mount of file:${dir}/app.txt at /: ${dir}/app.txt is not a directory (the root must be one)`);
  });

  it('a dev: URI mounts a host device at its point, even inside the virtual /dev', async () => {
    const m = shManifest(
      'echo discarded > /dev/gts-null; wc -c < /dev/gts-null; ls /dev/gts-null',
      'sgx.file_check_policy = "allow_all_but_log"', 'fs.mounts = [{ path = "/dev/gts-null", uri = "dev:/dev/null" }]',
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('0\n/dev/gts-null\n');
  });
});

describe('mount points whose parents the tree does not have', () => {
  it('are reachable: the parents are made up, on a host mount and below /proc', async () => {
    mkdirSync(path.join(dir, 'tree'), { recursive: true });
    writeFileSync(path.join(dir, 'tree', 'f'), 'in the tree\n');
    const m = shManifest(
      'ls /gts-a/b; cat /gts-a/b/c/f; ls /proc/gts; cat /proc/gts/tree/f; test -d /proc/self && echo proc still there',
      'sgx.file_check_policy = "allow_all_but_log"',
      `fs.mounts = [{ path = "/gts-a/b/c", uri = "file:${dir}/tree" }, { path = "/proc/gts/tree", uri = "file:${dir}/tree" }]`,
    );
    const r = await runGramine([m]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('c\nin the tree\ntree\nin the tree\nproc still there\n');
  });
});

describe('untrusted_shm mounts', () => {
  it('share a host directory with the host: a MAP_SHARED write is in the host file', async () => {
    const shm = path.join(dir, 'shm');
    mkdirSync(shm);
    const py = 'import mmap, os; fd = os.open("/shm/seg", os.O_RDWR | os.O_CREAT, 0o600); os.ftruncate(fd, 4096); ' +
      'm = mmap.mmap(fd, 4096, mmap.MAP_SHARED); m[:6] = b"shared"; m.flush()';
    const file = path.join(dir, `m${n++}.manifest.toml`);
    writeFileSync(file, [
      'libos.entrypoint = "/usr/bin/python3"', `loader.argv = ["python3", "-c", ${JSON.stringify(py)}]`, 'fs.root.uri = "file:/"',
      'sgx.file_check_policy = "allow_all_but_log"', `fs.mounts = [{ type = "untrusted_shm", path = "/shm", uri = "dev:${shm}" }]`, '',
    ].join('\n'));
    const r = await runGramine([file]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(path.join(shm, 'seg')).subarray(0, 6).toString()).toBe('shared');
  });
});

describe('untrusted_shm mounts hold files only, as Gramine\'s', () => {
  it('no sub-directory can be made (EPERM) or entered (EACCES)', async () => {
    const shm = path.join(dir, 'shm-flat');
    mkdirSync(path.join(shm, 'sub'), { recursive: true });
    writeFileSync(path.join(shm, 'sub', 'f'), 'below\n');
    writeFileSync(path.join(shm, 'top'), 'top\n');
    const m = shManifest(
      'cat /shm/top; mkdir /shm/new 2>/dev/null || echo mkdir refused; cat /shm/sub/f 2>/dev/null || echo sub refused; ' +
        'ls /shm/sub 2>/dev/null || echo listing refused; cd /shm/sub 2>/dev/null || echo cd refused',
      'sgx.file_check_policy = "allow_all_but_log"', `fs.mounts = [{ type = "untrusted_shm", path = "/shm", uri = "dev:${shm}" }]`,
    );
    const r = await runGramine([m]);
    expect(r.stdout).toBe('top\nmkdir refused\nsub refused\nlisting refused\ncd refused\n');
    expect(existsSync(path.join(shm, 'new'))).toBe(false);
  });
});

describe('encrypted mounts (test/integration/encrypted.test.ts has their files)', () => {
  it('one whose host directory is missing: the run starts, nothing below opens (EACCES, named once); enable_recovery warns', async () => {
    const m = shManifest(
      'echo started; cat /enc/a 2>/dev/null || echo refused; cat /enc/b 2>/dev/null || echo refused',
      'sgx.file_check_policy = "allow_all_but_log"',
      `fs.mounts = [{ type = "encrypted", path = "/enc", uri = "file:${dir}/enc", key_name = "k", enable_recovery = true }]`,
      'fs.insecure__keys.k = "00112233445566778899aabbccddeeff"',
    );
    const quiet = await runGramine([m]);
    expect(quiet.stdout).toBe('started\nrefused\nrefused\n');
    expect(quiet.status).toBe(0);
    expect(existsSync(path.join(dir, 'enc'))).toBe(false);
    const warned = await runGramine(['--log-level', 'warn', m]);
    expect(warned.stderr).toContain(`${m}:5: fs.mounts[0].enable_recovery: ignored (Gramine's recovery journal of encrypted files is not implemented`);
    // logged once for the instance (two processes opened in it), and named in the line at the end
    const feature = `the encrypted mount of file:${dir}/enc at /enc (its host directory does not exist)`;
    expect(warned.stderr.split('\n').filter((l) => l.includes(`unsupported: ${feature}`))).toHaveLength(1);
    expect(warned.stderr).toContain(`gramine-ts: the program used what gramine-ts does not support: ${feature} (2x)`);
  });
});

describe('allowed files as Gramine matches them', () => {
  it('an entry without a trailing slash covers a directory created later, and everything in it', async () => {
    const data = path.join(dir, 'data');
    mkdirSync(data);
    const m = shManifest(
      `mkdir ${data}/later && echo inside > ${data}/later/f && cat ${data}/later/f; echo no > ${data}/other 2>/dev/null || echo other refused`,
      'sgx.file_check_policy = "strict"',
      `sgx.allowed_files = ["file:/usr/", "file:/lib/", "file:/lib64/", "file:/bin/", "file:/etc/", "file:${data}/later"]`,
    );
    const r = await runGramine([m]);
    expect(r.stdout).toBe('inside\nother refused\n');
    expect(r.status).toBe(0);
  });
});

describe('the ELF interpreter, found where Gramine finds it', () => {
  /** /bin/echo (PT_INTERP /lib64/ld-linux-x86-64.so.2) alone in an empty root, with the C library mounted at `libDir`. */
  function runtimeManifest(libDir: string, ...lines: string[]): string {
    const root = path.join(dir, `root${n}`);
    mkdirSync(root);
    const file = path.join(dir, `m${n++}.manifest.toml`);
    writeFileSync(file, [
      'libos.entrypoint = "/echo"', 'loader.argv = ["echo", "found"]', `fs.root.uri = "file:${root}"`,
      'sgx.file_check_policy = "allow_all_but_log"', ...lines,
      `fs.mounts = [{ path = "${libDir}", uri = "file:${HOST_LIBC_DIR}" }, { path = "/echo", uri = "file:/bin/echo" }]`, '',
    ].join('\n'));
    return file;
  }

  it('the runtime mounted at /lib: the interpreter is /lib/ld-linux-x86-64.so.2', async () => {
    const r = await runGramine([runtimeManifest('/lib')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('found\n');
  });

  it('mounted elsewhere: looked for in the directories of LD_LIBRARY_PATH', async () => {
    const r = await runGramine([runtimeManifest('/runtime', 'loader.env.LD_LIBRARY_PATH = "/nowhere:/runtime"')]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('found\n');
  });

  it('nowhere to be found: the exec fails as on Linux (ENOENT)', async () => {
    const r = await runGramine([runtimeManifest('/runtime')]);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('ENOENT');
    expect(r.status).toBe(127);
  });
});
