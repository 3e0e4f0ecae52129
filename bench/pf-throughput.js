#!/usr/bin/env node
// Sequential throughput of protected (encrypted) files against plain ones, through the
// protected-files module (src/protected-files/) over a host file, in the same run: a file of
// --mib MiB written in --chunk-kib KiB writes and closed, then read back in the same chunks, for
// a plain file (node:fs) and for a protected file (FdStorage + ProtectedFile) with each node
// cipher: node:crypto (the module's default) and the addon's (src/pal/gcm.ts, what the CLI uses).
// Prints MB/s and the protected / plain ratio. Not part of `npm test` or `npm run bench`; run
// after a build:
//   node bench/pf-throughput.js [--mib 1024] [--chunk-kib 1024] [--cache-nodes 256] [--dir /tmp] [--reps 1]
//                               [--cipher node|addon|both]
// The read of each file follows its write, so it comes from the page cache (as the plain one's).
// Each write ends with an fsync: on a disk (the default --dir is os.tmpdir()) that bounds both
// writes; --dir /dev/shm (tmpfs) measures the CPU's part.
import { closeSync, fsyncSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';

import { nodeCryptoCipher, ProtectedFile } from '../dist/protected-files/index.js';
import { FdStorage } from '../dist/pal/pf-storage.js';
import { addonNodeCipher } from '../dist/pal/gcm.js';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const MIB = Number(option('mib', 1024));
const CHUNK = Number(option('chunk-kib', 1024)) * 1024;
const CACHE_NODES = Number(option('cache-nodes', 256));
const REPS = Number(option('reps', 1));
const NODE_CRYPTO = ['node:crypto', nodeCryptoCipher];
const ADDON = ['addon', addonNodeCipher];
const CIPHERS = { node: [NODE_CRYPTO], addon: [ADDON], both: [NODE_CRYPTO, ADDON] }[option('cipher', 'both')];
if (CIPHERS === undefined) {
  console.error('--cipher is node, addon or both');
  process.exit(2);
}
const dir = mkdtempSync(path.join(option('dir', os.tmpdir()), 'pf-throughput-'));
const total = MIB * 1024 * 1024;
const chunk = randomBytes(CHUNK);
const KEY = randomBytes(16);

/** Seconds `f` takes. */
function timed(f) {
  const t = process.hrtime.bigint();
  f();
  return Number(process.hrtime.bigint() - t) / 1e9;
}

function plainWrite(file) {
  const fd = openSync(file, 'w');
  for (let at = 0; at < total; at += CHUNK) writeSync(fd, chunk, 0, Math.min(CHUNK, total - at), at);
  fsyncSync(fd);
  closeSync(fd);
}

function plainRead(file) {
  const fd = openSync(file, 'r');
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let at = 0; at < total; ) at += readSync(fd, buf, 0, CHUNK, at);
  closeSync(fd);
}

function protectedWrite(file, cipher) {
  const fd = openSync(file, 'w+');
  const storage = new FdStorage(fd);
  const pf = ProtectedFile.create(storage, { key: KEY, name: file, cacheNodes: CACHE_NODES, cipher });
  for (let at = 0; at < total; at += CHUNK) pf.write(at, chunk.subarray(0, Math.min(CHUNK, total - at)));
  pf.sync();
  pf.close();
  closeSync(fd);
}

function protectedRead(file, cipher) {
  const fd = openSync(file, 'r');
  const pf = ProtectedFile.open(new FdStorage(fd), { key: KEY, name: file, cacheNodes: CACHE_NODES, cipher });
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let at = 0; at < total; ) at += pf.readInto(buf, at);
  pf.close();
  closeSync(fd);
}

const mbps = (seconds) => (total / 1e6 / seconds).toFixed(0);
try {
  console.log(`${MIB} MiB in ${CHUNK / 1024} KiB pieces, ${CACHE_NODES}-node cache, in ${dir}, load ${os.loadavg()[0].toFixed(2)}`);
  for (let rep = 0; rep < REPS; rep++) {
    const plainFile = path.join(dir, 'plain');
    const pfFile = path.join(dir, 'protected');
    const pw = timed(() => plainWrite(plainFile));
    const pr = timed(() => plainRead(plainFile));
    rmSync(plainFile);
    console.log(`plain: write ${mbps(pw)} MB/s, read ${mbps(pr)} MB/s`);
    for (const [name, cipher] of CIPHERS) {
      const ew = timed(() => protectedWrite(pfFile, cipher));
      const er = timed(() => protectedRead(pfFile, cipher));
      rmSync(pfFile);
      console.log(`protected (${name}): write ${mbps(ew)} MB/s (${(pw / ew).toFixed(2)} of plain), read ${mbps(er)} MB/s (${(pr / er).toFixed(2)} of plain)`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
