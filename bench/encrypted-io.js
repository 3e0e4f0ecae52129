#!/usr/bin/env node
// Encrypted mounts' sequential throughput under gramine-ts, as a ratio to a plain host mount in
// the same run (issue 18): bench/programs/bulk-io.c writes a file of MIB MiB in 1 MiB writes and
// fsyncs it (the fsync writes the copy back: every byte encrypted), then a second instance reads
// it back (its open decrypts it). Each phase is timed by the program itself, so the instance's
// start is not in the figures. Not part of `npm test` (a GiB each way).
//
//   node bench/encrypted-io.js [--mib N] [--reps N] [--dir DIR]
//     (default 1024 MiB, 3 rounds, the median; the host directories in DIR, default /tmp: on a
//     disk the fsync bounds both; /dev/shm measures the encryption and copies alone)
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const GRAMINE_TS = path.join(ROOT, 'bin', 'gramine-ts.js');
const SOURCE = path.join(ROOT, 'bench', 'programs', 'bulk-io.c');
const PROGRAM = path.join(ROOT, 'bench', 'programs', 'build', 'bulk-io');

function option(name, fallback) {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
}
const MIB = Number(option('--mib', 1024));
const REPS = Number(option('--reps', 3));
const BASE = option('--dir', '/tmp');

mkdirSync(path.dirname(PROGRAM), { recursive: true });
execFileSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', SOURCE, '-o', PROGRAM]);

const dir = mkdtempSync(path.join(BASE, 'gts-encrypted-io-'));
const key = randomBytes(16).toString('hex');
for (const d of ['plain', 'enc']) mkdirSync(path.join(dir, d));
const manifest = path.join(dir, 'bench.manifest.toml');
writeFileSync(manifest, [
  `libos.entrypoint = ${JSON.stringify(PROGRAM)}`,
  'loader.insecure__use_cmdline_argv = true',
  'fs.root.uri = "file:/"',
  'sgx.file_check_policy = "allow_all_but_log"',
  `fs.mounts = [{ path = "/plain", uri = "file:${dir}/plain" }, { type = "encrypted", path = "/enc", uri = "file:${dir}/enc", key_name = "bench" }]`,
  `fs.insecure__keys.bench = "${key}"`,
  '',
].join('\n'));

/** One phase of bulk-io in `where` under gramine-ts: its MiB/s. */
function phase(where, which) {
  const r = spawnSync(process.execPath, [GRAMINE_TS, 'run', manifest, where, String(MIB), which], { encoding: 'utf8' });
  const m = new RegExp(`${which}_mibs=([\\d.]+)`).exec(r.stdout);
  if (r.status !== 0 || !m) throw new Error(`bulk-io ${where} ${which}: status ${r.status}: ${r.stderr}${r.stdout}`);
  return Number(m[1]);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const runs = { plain: { write: [], read: [] }, enc: { write: [], read: [] } };
try {
  for (let i = 0; i < REPS; i++) {
    for (const where of ['plain', 'enc']) {
      runs[where].write.push(phase(`/${where}`, 'write'));
      runs[where].read.push(phase(`/${where}`, 'read'));
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const MB = 1.048576; // MiB/s -> MB/s
console.log(`encrypted mount vs plain mount under gramine-ts, ${MIB} MiB in ${BASE}, median of ${REPS} (MB/s)`);
for (const which of ['write', 'read']) {
  const plain = median(runs.plain[which]) * MB;
  const enc = median(runs.enc[which]) * MB;
  const each = runs.enc[which].map((x) => (x * MB).toFixed(0)).join(' ');
  console.log(`${which.padEnd(5)}  plain ${plain.toFixed(0).padStart(6)}  encrypted ${enc.toFixed(0).padStart(6)}  encrypted/plain ${(enc / plain).toFixed(2)}  (target >= 500 MB/s: ${enc >= 500 ? 'PASS' : 'FAIL'}; each round ${each})`);
}
