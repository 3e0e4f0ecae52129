// Small reads of the host's own pseudo-files (/proc/<hostpid>/stat, /proc/cpuinfo, /sys/...)
// for the instance's /proc, /dev and /sys. Everything goes through the PAL's host calls; text
// is kept as byte strings (latin1), as the LibOS keeps paths.
import { host, readDirectory } from '../../../pal/host.js';
import { STUB_PATH } from '../../../paths.js';
import { STUB_WINDOW, STUB_WINDOW_SIZE } from '../../../pal/channel-abi.js';
import { AT_FDCWD, O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from '../../../pal/linux-abi.js';

const CHUNK = 64 * 1024;
/** no host pseudo-file we copy comes near this (maps of a big process: a few MiB at most) */
const MAX_BYTES = 64 * 1024 * 1024;

/** The whole of a small host file, or null if it cannot be read. */
export function readHostBytes(path: string): Buffer | null {
  const fd = host.openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW, 0);
  if (fd < 0) return null;
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(CHUNK);
      const n = host.read(fd, buf);
      if (n < 0) return null;
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
      if (total > MAX_BYTES) return null;
    }
    return Buffer.concat(chunks, total);
  } finally {
    host.close(fd);
  }
}

/** A small host file as a byte string, or null. */
export function readHostText(path: string): string | null {
  const b = readHostBytes(path);
  return b === null ? null : b.toString('latin1');
}

/** The target of a host symlink (a byte string), or null. */
export function readHostLink(path: string): string | null {
  const buf = Buffer.alloc(4096);
  const n = host.readlinkat(AT_FDCWD, path, buf);
  return n < 0 ? null : buf.toString('latin1', 0, n);
}

/** The names in a host directory (without "." and ".."), or null. */
export function listHostDir(path: string): string[] | null {
  const fd = host.openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_DIRECTORY, 0);
  if (fd < 0) return null;
  try {
    const entries = readDirectory(fd);
    return typeof entries === 'number' ? null : [...entries.keys()];
  } finally {
    host.close(fd);
  }
}

export interface Utsname {
  sysname: string;
  nodename: string;
  release: string;
  version: string;
  machine: string;
  domainname: string;
}

/** The host's uname(2). */
export function hostUname(): Utsname {
  const buf = Buffer.alloc(6 * 65);
  const r = host.uname(buf);
  const field = (i: number) => {
    if (r < 0) return '';
    const s = buf.subarray(i * 65, (i + 1) * 65);
    const end = s.indexOf(0);
    return s.toString('latin1', 0, end < 0 ? 65 : end);
  };
  return {
    sysname: field(0) || 'Linux', nodename: field(1), release: field(2), version: field(3), machine: field(4),
    domainname: field(5),
  };
}

/** The stub binary, as the host names it (it is every app process's host executable). */
export const STUB_HOST_PATH = STUB_PATH;
/** What the host says the command of an app process is unless the app renamed itself. */
export const STUB_COMM = STUB_PATH.slice(STUB_PATH.lastIndexOf('/') + 1).slice(0, 15);

/**
 * The stub's window in every app process: its image (text, data, bss) and its thread blocks.
 * The app maps nothing there (see native/stub/abi.h).
 */
export function stubImageRange(): { start: bigint; end: bigint } {
  return { start: BigInt(STUB_WINDOW), end: BigInt(STUB_WINDOW) + BigInt(STUB_WINDOW_SIZE) };
}
