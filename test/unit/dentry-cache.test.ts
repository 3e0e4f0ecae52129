// What walks learn of a read-only mount: asked of the host once, and kept.
import { mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { host, hostFdPath } from '../../src/pal/host.js';
import { DentryCache, readlinkOf } from '../../src/libos/fs/dentry-cache.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-dentry-'));
const rootFd = host.openat(-100, dir, 0o10000000 | 0o200000 | 0o2000000, 0);
const buf = Buffer.alloc(4096);

afterAll(() => {
  host.close(rootFd);
  rmSync(dir, { recursive: true, force: true });
});

describe('the dentry cache of a read-only mount', () => {
  it('answers as readlinkat: a target, null for a file, -errno for nothing there', () => {
    writeFileSync(path.join(dir, 'f'), 'x');
    symlinkSync('f', path.join(dir, 'l'));
    const cache = new DentryCache(rootFd);
    expect(cache.readlink('l', buf)).toBe('f');
    expect(cache.readlink('f', buf)).toBeNull();
    expect(cache.readlink('none', buf)).toBe(-2);
    expect(cache.readlink('f/x', buf)).toBe(-20);
  });

  it('keeps what it learned (the app cannot change a read-only mount); an uncached lookup sees the change', () => {
    symlinkSync('f', path.join(dir, 'changing'));
    const cache = new DentryCache(rootFd);
    expect(cache.readlink('changing', buf)).toBe('f');
    unlinkSync(path.join(dir, 'changing'));
    symlinkSync('g', path.join(dir, 'changing'));
    expect(cache.readlink('changing', buf)).toBe('f');
    expect(readlinkOf(rootFd, 'changing', buf)).toBe('g');
  });

  it('keeps one fd per directory, opened below the root without following symlinks', () => {
    mkdirSync(path.join(dir, 'd/e'), { recursive: true });
    symlinkSync('d', path.join(dir, 'dl'));
    const cache = new DentryCache(rootFd);
    const fd = cache.directory('d/e', '/d/e');
    expect(cache.directory('d/e', '/d/e')).toBe(fd);
    expect(hostFdPath(fd)).toBe(path.join(dir, 'd/e'));
    renameSync(path.join(dir, 'd'), path.join(dir, 'moved'));
    expect(hostFdPath(cache.directory('d/e', '/d/e'))).toBe(path.join(dir, 'moved/e'));
    expect(() => cache.directory('dl', '/dl')).toThrow(/ELOOP/);
  });
});
