// Bundles what tsc emitted into dist/ into one file per entry point: a Node process starts far
// faster from one file than from a graph of a hundred ES modules (the worker's boot is on the
// critical path of an instance's start and of a fork that finds no standby). Run after tsc
// (npm run build, and npm install through "prepare"); bin/gramine-ts.js refuses bundles older
// than what tsc emitted last.
//
// The bundles sit in dist/ itself, beside what they were made from, so that the package root
// each derives from its own location (src/paths.ts) is the same. Node's own modules, the native
// addon and what the code loads through createRequire (pino, msgpackr's optional native part)
// are loaded at run time, as before.
import { build } from 'esbuild';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const dist = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'dist');
const ENTRIES = [
  { from: 'worker/main.js', to: 'worker-bundle.js' },
  { from: 'cli/main.js', to: 'cli-bundle.js' },
];

for (const { from, to } of ENTRIES) {
  await build({
    entryPoints: [path.join(dist, from)],
    outfile: path.join(dist, to),
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    external: ['*.node'],
    // the CommonJS packages inside call require(), which an ES module has not got
    banner: { js: "import { createRequire as __bundleRequire } from 'node:module'; const require = __bundleRequire(import.meta.url);" },
    logLevel: 'warning',
  });
}
