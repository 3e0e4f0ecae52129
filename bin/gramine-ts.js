#!/usr/bin/env node
// Below this open-file limit Node fails as it loads the rest (with a stack trace): say so
// instead (native/launcher/launch.c checks the same).
import { readFileSync } from 'node:fs';

const MIN_NOFILE = 50;
const soft = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
if (process.argv[2] === 'run' && soft !== undefined && Number(soft) < MIN_NOFILE) {
  process.stderr.write(`gramine-ts: the open-file limit (ulimit -n) is ${soft}; an instance needs at least ${MIN_NOFILE}\n`);
  process.exit(1);
}
await import('../dist/cli/main.js');
