#!/usr/bin/env node
// Below this open-file limit Node fails as it loads the rest (with a stack trace): say so
// instead (native/launcher/launch.c checks the same).
import { readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';

const MIN_NOFILE = 50;
const soft = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
if (process.argv[2] === 'run' && soft !== undefined && Number(soft) < MIN_NOFILE) {
  process.stderr.write(`gramine-ts: the open-file limit (ulimit -n) is ${soft}; an instance needs at least ${MIN_NOFILE}\n`);
  process.exit(1);
}
// The code runs from the bundles of what tsc emitted (scripts/bundle.mjs): after a tsc of its
// own they would silently run the code before it.
const dist = new URL('../dist/', import.meta.url);
const emitted = ['cli/main.js', 'worker/main.js'].map((f) => statSync(new URL(f, dist)).mtimeMs);
const bundled = ['cli-bundle.cjs', 'worker-bundle.cjs'].map((f) => statSync(new URL(f, dist), { throwIfNoEntry: false })?.mtimeMs ?? 0);
if (Math.min(...bundled) < Math.max(...emitted)) {
  process.stderr.write('gramine-ts: dist/cli-bundle.cjs or dist/worker-bundle.cjs is older than what tsc emitted: run `npm run build`\n');
  process.exit(1);
}
createRequire(import.meta.url)('./run-bundle.cjs').run('cli');
