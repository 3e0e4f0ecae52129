// Bundles what tsc emitted into dist/ into one file per entry point: a Node process starts far
// faster from one file than from a graph of a hundred ES modules (the worker's boot is on the
// critical path of an instance's start and of a fork that finds no free worker). Run after tsc
// (npm run build, and npm install through "prepare"); bin/gramine-ts.js refuses bundles older
// than what tsc emitted last.
//
// The bundles are CommonJS (dist/NAME-bundle.cjs), run by bin/run-bundle.cjs with a V8 code
// cache, which this script then makes by one run of an instance (GRAMINE_TS_MAKE_CODE_CACHE=1:
// the leader and its worker write theirs, dist/NAME-bundle.cache, headed by the sha-256 of the
// bundle they belong to). A build where no instance can run (the native parts missing, a host
// that refuses the sandbox) has no cache: the bundles compile as they start, as before.
//
// The bundles sit in dist/ itself, beside what they were made from, so that the package root
// each derives from its own location (src/paths.ts) is the same. Node's own modules, the native
// addon and what the code loads through createRequire (pino, msgpackr's optional native part)
// are loaded at run time, as before.
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const ENTRIES = [
  { from: 'worker/main.js', name: 'worker' },
  { from: 'cli/main.js', name: 'cli' },
];

for (const { from, name } of ENTRIES) {
  // a cache is for one bundle only (run-bundle.cjs checks): none until this one's is made
  rmSync(path.join(dist, `${name}-bundle.cache`), { force: true });
  rmSync(path.join(dist, `${name}-bundle.js`), { force: true }); // (an ES bundle of an older build)
  await build({
    entryPoints: [path.join(dist, from)],
    outfile: path.join(dist, `${name}-bundle.cjs`),
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['*.node'],
    // the modules' own URL (src/paths.ts, the createRequire of log.ts and addon.ts): the bundle's
    define: { 'import.meta.url': '__bundleUrl' },
    banner: { js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;" },
    logLevel: 'warning',
  });
}

// The code caches: what an instance's start, a fork, an exec and a pipeline compile.
const made = spawnSync(process.execPath, [path.join(root, 'bin', 'gramine-ts.js'), 'run', '/bin/sh', '-c', 'cd /; x=$(echo a | cat); (true); exec /bin/true'], {
  env: { ...process.env, GRAMINE_TS_MAKE_CODE_CACHE: '1' }, stdio: ['ignore', 'ignore', 'pipe'], timeout: 60_000,
});
if (made.status !== 0) {
  const why = made.error?.message ?? `${made.signal ?? `exit status ${made.status}`}: ${String(made.stderr ?? '').trim().split('\n').slice(-2).join(' | ')}`;
  process.stderr.write(`bundle: no code cache made (the bundles compile as they start): ${why}\n`);
  for (const { name } of ENTRIES) rmSync(path.join(dist, `${name}-bundle.cache`), { force: true });
}
