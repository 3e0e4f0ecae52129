// Trusted and allowed files at run time (src/libos/fs/trusted.ts), on real files: the app gets
// exactly the verified bytes, a changed file is refused, trusted files are read-only, and the
// file-check policy decides for the rest.
import { createHash } from 'node:crypto';
import {
  closeSync, fstatSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, readSync, realpathSync, rmSync, statSync, symlinkSync,
  utimesSync, writeFileSync, writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';

import { Errno, SyscallError } from '../../src/libos/errno.js';
import { FileChecks, type FileCheckConfig } from '../../src/libos/fs/trusted.js';
import { fileCheckConfig } from '../../src/manifest/file-checks.js';
import type { Logger } from '../../src/log.js';
import { parseManifest } from '../../src/manifest/index.js';
import { addon } from '../../src/pal/addon.js';
import { host } from '../../src/pal/host.js';

const O_RDONLY = 0;
const O_WRONLY = 1;
const O_RDWR = 2;
const O_CREAT = 0o100;
const O_TRUNC = 0o1000;
const O_APPEND = 0o2000;
const O_CLOEXEC = 0o2000000;
const AT_FDCWD = -100;

// realpath: on some hosts the temp dir is reached through a symlink
const dir = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'gramine-ts-trusted-')));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

let n = 0;
/** A new file under the temp dir with `content`. */
function file(content: Buffer | string, name = `f${n++}`): string {
  const p = path.join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** As the VFS does: a worker host fd opened read-only on the file. */
function openHost(p: string): number {
  const fd = host.openat(AT_FDCWD, p, O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) throw new Error(`open ${p}: errno ${-fd}`);
  return fd;
}

interface Logged {
  level: string;
  msg: string;
}

function logger(): Logger & { lines: Logged[] } {
  const lines: Logged[] = [];
  const at = (level: string) => (a: unknown, b?: unknown) => void lines.push({ level, msg: String(typeof a === 'string' ? a : b) });
  return {
    lines, level: 'trace', enabled: () => true,
    fatal: at('fatal'), error: at('error'), warn: at('warn'), info: at('info'), debug: at('debug'), trace: at('trace'),
  } as Logger & { lines: Logged[] };
}

function readAll(fd: number): Buffer {
  const parts: Buffer[] = [];
  const buf = Buffer.alloc(1 << 16);
  for (;;) {
    const got = readSync(fd, buf, 0, buf.length, null);
    if (got === 0) return Buffer.concat(parts);
    parts.push(Buffer.from(buf.subarray(0, got)));
  }
}

const opened: number[] = [];
afterEach(() => {
  for (const fd of opened.splice(0)) host.close(fd);
});

/** checks.open on a fresh host fd; the result is closed after the test. */
function open(checks: FileChecks, p: string, flags = O_RDONLY): number {
  const fd = checks.open(p, openHost(p), flags);
  opened.push(fd);
  return fd;
}

function errnoOf(f: () => unknown): number {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(SyscallError);
    return (e as SyscallError).errno;
  }
  throw new Error('no error');
}

const config = (c: Partial<FileCheckConfig>): FileCheckConfig => ({ enabled: true, policy: 'strict', trusted: [], allowed: [], ...c });

describe('a trusted file', () => {
  it('is served as exactly its verified bytes, from a sealed memfd, read-only', () => {
    const bytes = Buffer.alloc(3 * (1 << 20) + 12345);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + (i >> 11)) & 0xff;
    const p = file(bytes);
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256(bytes), size: bytes.length }] }), logger());
    const fd = open(checks, p);
    expect(readAll(fd).equals(bytes)).toBe(true);
    expect(readlinkSync(`/proc/self/fd/${fd}`)).toMatch(/^\/memfd:trusted:.*f\d+ \(deleted\)$/);
    expect(fstatSync(fd).size).toBe(bytes.length);
    expect(fstatSync(fd).mode & 0o777).toBe(statSync(p).mode & 0o777);
    expect(() => writeSync(fd, 'x')).toThrow(/EBADF/);
    // fcntl(F_GET_SEALS): F_SEAL_SEAL|F_SEAL_SHRINK|F_SEAL_GROW|F_SEAL_WRITE
    expect(addon.syscall(72, fd, 1034)).toBe(0xf);
  });

  it('is hashed once per worker, and each open has its own offset', () => {
    const p = file('0123456789');
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('0123456789'), size: null }] }), logger());
    const a = open(checks, p);
    const b = open(checks, p);
    expect(fstatSync(a).ino).toBe(fstatSync(b).ino); // the same cached memfd
    const buf = Buffer.alloc(4);
    expect(readSync(a, buf, 0, 4, null)).toBe(4);
    expect(buf.toString()).toBe('0123');
    expect(readAll(b).toString()).toBe('0123456789');
    expect(readAll(a).toString()).toBe('456789');
  });

  it('keeps verified copies within its cache budget, least recently opened going first', () => {
    const [a, b] = ['aaaaaaaa', 'bbbbbbbb'].map((c) => file(c));
    const trusted = [a, b].map((p) => ({ path: p!, sha256: sha256(readFileSync(p!)), size: 8 }));
    const checks = new FileChecks(config({ trusted }), logger(), 12);
    const first = fstatSync(open(checks, a!)).ino;
    expect(fstatSync(open(checks, a!)).ino).toBe(first); // cached
    open(checks, b!); // over budget: a's copy goes
    const again = open(checks, a!);
    expect(fstatSync(again).ino).not.toBe(first);
    expect(readAll(again).toString()).toBe('aaaaaaaa');
  });

  it('is refused (EACCES, logged with the path) once its bytes no longer match', () => {
    const p = file('original contents');
    const log = logger();
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('original contents'), size: 17 }] }), log);
    expect(readAll(open(checks, p)).toString()).toBe('original contents');
    writeFileSync(p, 'modified, longer contents');
    expect(errnoOf(() => open(checks, p))).toBe(Errno.EACCES);
    expect(log.lines).toContainEqual({ level: 'error', msg: expect.stringContaining(p) });
  });

  it('modified in place at the same size, with its mtime touched, is refused', () => {
    const p = file('AAAAAAAA');
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('AAAAAAAA'), size: null }] }), logger());
    expect(readAll(open(checks, p)).toString()).toBe('AAAAAAAA');
    writeFileSync(p, 'AAAABAAA');
    const later = new Date(Date.now() + 5000);
    utimesSync(p, later, later);
    expect(errnoOf(() => open(checks, p))).toBe(Errno.EACCES);
  });

  it('modified in place with its old mtime put back is still refused (ctime)', () => {
    const p = file('BBBBBBBB');
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('BBBBBBBB'), size: 8 }] }), logger());
    const before = statSync(p);
    expect(readAll(open(checks, p)).toString()).toBe('BBBBBBBB');
    writeFileSync(p, 'BBBBBBBC');
    utimesSync(p, before.atime, before.mtime);
    expect(errnoOf(() => open(checks, p))).toBe(Errno.EACCES);
  });

  it('that never matched is refused from the first open; restored, it is served again', () => {
    const p = file('tampered');
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('genuine!'), size: 8 }] }), logger());
    expect(errnoOf(() => open(checks, p))).toBe(Errno.EACCES);
    writeFileSync(p, 'genuine!');
    expect(readAll(open(checks, p)).toString()).toBe('genuine!');
  });

  it('cannot be opened for writing, truncated, appended to or created', () => {
    const p = file('read only');
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('read only'), size: 9 }] }), logger());
    for (const flags of [O_WRONLY, O_RDWR, O_RDONLY | O_TRUNC, O_RDONLY | O_APPEND, O_RDONLY | O_CREAT]) {
      const hostFd = openHost(p);
      expect(errnoOf(() => checks.open(p, hostFd, flags))).toBe(Errno.EACCES);
      expect(host.close(hostFd)).toBe(-Errno.EBADF); // taken over and closed
    }
    expect(errnoOf(() => checks.checkCreate(p))).toBe(Errno.EACCES);
    expect(readAll(open(checks, p)).toString()).toBe('read only');
  });

  it('reached through a host symlink is still checked', () => {
    const p = file('through a link');
    const link = path.join(dir, `link${n++}`);
    symlinkSync(p, link);
    const checks = new FileChecks(config({ trusted: [{ path: p, sha256: sha256('through a link'), size: null }] }), logger());
    expect(readlinkSync(`/proc/self/fd/${open(checks, link)}`)).toMatch(/^\/memfd:/);
  });
});

describe('files that are not trusted', () => {
  it('allowed files and everything under allowed directories pass unchecked', () => {
    const f = file('allowed');
    mkdirSync(path.join(dir, 'adir/sub'), { recursive: true });
    const inDir = file('in dir', 'adir/sub/x');
    const checks = new FileChecks(config({ allowed: [f, `${path.join(dir, 'adir')}/`] }), logger());
    for (const p of [f, inDir]) {
      const hostFd = openHost(p);
      expect(checks.open(p, hostFd, O_RDWR)).toBe(hostFd);
      opened.push(hostFd);
    }
    expect(checks.classify(inDir)).toBe('allowed');
    expect(checks.classify(`${path.join(dir, 'adirx')}/y`)).toBe('unlisted');
  });

  it("are refused under 'strict' (EACCES, logged with the path)", () => {
    const p = file('unlisted');
    const log = logger();
    const checks = new FileChecks(config({ policy: 'strict' }), log);
    const hostFd = openHost(p);
    expect(errnoOf(() => checks.open(p, hostFd, O_RDONLY))).toBe(Errno.EACCES);
    expect(host.close(hostFd)).toBe(-Errno.EBADF);
    expect(log.lines.some((l) => l.msg.includes(p))).toBe(true);
    expect(errnoOf(() => checks.checkCreate(path.join(dir, 'new')))).toBe(Errno.EACCES);
  });

  it("pass under 'allow_all_but_log', logged once per path at warn level", () => {
    const p = file('unlisted');
    const log = logger();
    const checks = new FileChecks(config({ policy: 'allow_all_but_log' }), log);
    for (let i = 0; i < 3; i++) {
      const hostFd = openHost(p);
      expect(checks.open(p, hostFd, O_RDWR)).toBe(hostFd);
      opened.push(hostFd);
    }
    expect(log.lines.filter((l) => l.msg.includes(p))).toEqual([{ level: 'warn', msg: expect.stringContaining('allow_all_but_log') }]);
    expect(() => checks.checkCreate(path.join(dir, 'new'))).not.toThrow();
  });

  it('directories and other non-regular files are not checked', () => {
    const checks = new FileChecks(config({ policy: 'strict' }), logger());
    const hostFd = openHost(dir);
    expect(checks.open(dir, hostFd, O_RDONLY)).toBe(hostFd);
    opened.push(hostFd);
  });
});

describe('fileCheckConfig', () => {
  it('resolves the manifest and its signature into host paths, with real paths of symlinks', () => {
    const real = file('lib');
    const link = path.join(dir, `lnk${n++}`);
    symlinkSync(real, link);
    mkdirSync(path.join(dir, 'logs'), { recursive: true });
    const inline = 'cd'.repeat(32);
    const m = parseManifest(
      [
        'libos.entrypoint = "/bin/app"',
        `sgx.trusted_files = ["file:${path.basename(link)}", { uri = "file:/etc/hosts", sha256 = "${inline}" }]`,
        `sgx.allowed_files = ["file:logs", "file:tmp/", "file:/etc/passwd"]`,
      ].join('\n'),
      'app.manifest.toml',
    );
    const sig = {
      file: 'app.manifest.toml.sig', manifestSha256: '0'.repeat(64), measurement: '1'.repeat(64),
      trustedFiles: [{ uri: `file:${path.basename(link)}`, path: link, size: 3, sha256: sha256('lib') }],
    };
    const cfg = fileCheckConfig(m, sig, dir);
    expect(cfg.enabled).toBe(true);
    expect(cfg.policy).toBe('strict');
    expect(cfg.trusted).toEqual(expect.arrayContaining([
      { path: '/etc/hosts', sha256: inline, size: null },
      { path: link, sha256: sha256('lib'), size: 3 },
      { path: real, sha256: sha256('lib'), size: 3 },
    ]));
    expect(cfg.allowed).toEqual(expect.arrayContaining([`${dir}/logs/`, `${dir}/tmp/`, '/etc/passwd']));
    expect(JSON.parse(JSON.stringify(cfg))).toEqual(cfg); // plain data
    expect(() => fileCheckConfig(m, null, dir)).toThrow(/no signature/);
  });

  it('checks nothing for the built-in manifest of a bare run', async () => {
    const { defaultManifest } = await import('../../src/manifest/index.js');
    const cfg = fileCheckConfig(defaultManifest('/bin/true', ['true']));
    expect(cfg.enabled).toBe(false);
    const p = file('x');
    const hostFd = openHost(p);
    expect(new FileChecks(cfg, logger()).open(p, hostFd, O_RDWR)).toBe(hostFd);
    closeSync(hostFd);
  });
});
