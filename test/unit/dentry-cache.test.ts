// The walk's cache of names on read-only mounts: asked once there, always asked on writable ones.
import { mkdtempSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { host } from '../../src/pal/host.js';
import { DentryCache } from '../../src/libos/fs/dentry-cache.js';
import type { HostMount } from '../../src/libos/fs/mount.js';

const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-dentry-'));
const rootFd = host.openat(-100, dir, 0o10000000 | 0o200000 | 0o2000000, 0);
const mount = (readOnly: boolean): HostMount => ({
  kind: 'host', path: readOnly ? '/ro' : '/rw', type: 'chroot', rootFd, hostRoot: dir, dev: null, readOnly, source: dir,
});

afterAll(() => {
  host.close(rootFd);
  rmSync(dir, { recursive: true, force: true });
});

describe('the dentry cache', () => {
  it('answers as readlinkat: a target, null for a file, -errno for nothing there', () => {
    writeFileSync(path.join(dir, 'f'), 'x');
    symlinkSync('f', path.join(dir, 'l'));
    const cache = new DentryCache();
    const buf = Buffer.alloc(4096);
    expect(cache.readlink(mount(false), 'l', buf)).toBe('f');
    expect(cache.readlink(mount(false), 'f', buf)).toBeNull();
    expect(cache.readlink(mount(false), 'none', buf)).toBe(-2);
    expect(cache.readlink(mount(false), 'f/x', buf)).toBe(-20);
  });

  it('keeps what it learned of a read-only mount, and asks a writable one again', () => {
    symlinkSync('f', path.join(dir, 'changing'));
    const cache = new DentryCache();
    const buf = Buffer.alloc(4096);
    expect(cache.readlink(mount(true), 'changing', buf)).toBe('f');
    expect(cache.readlink(mount(false), 'changing', buf)).toBe('f');
    unlinkSync(path.join(dir, 'changing'));
    symlinkSync('g', path.join(dir, 'changing'));
    // the app cannot change a read-only mount: what was learned there stands
    expect(cache.readlink(mount(true), 'changing', buf)).toBe('f');
    expect(cache.readlink(mount(false), 'changing', buf)).toBe('g');
  });
});
