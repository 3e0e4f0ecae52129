// Section 3 of `npm run bench` (bench/run.js), a build: `make -j2` of 20 small C files (each
// compiled with gcc -O1, then linked into one program), natively, under gramine-ts and the
// peers, in the same run (see bench/README.md). A fresh copy of the project for every run,
// whole-run wall time of `sh -c 'make -s -j2 -C DIR && DIR/prog'`; the run counts only if it
// exits 0 and the program built prints the sum its 20 functions make.
import fs from 'node:fs';
import path from 'node:path';
import { median } from './stats.js';

const FILES = 20;
const MAKE = '/usr/bin/make';
const TIMEOUT_MS = 300_000;
export const MAKE_TARGET_RATIO = 1.5; // issue 15: make -j2 under gramine-ts, at most this times native

/** The project in `dir`: f0.c .. f19.c, main.c and a Makefile; the program prints the sum. */
function writeProject(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const names = Array.from({ length: FILES }, (_, i) => `f${i}`);
  for (const [i, n] of names.entries()) {
    // some work for the compiler: a loop, a switch, a small table
    fs.writeFileSync(path.join(dir, `${n}.c`), `#include <stdio.h>
static const int table_${n}[8] = {${Array.from({ length: 8 }, (_, k) => (i * 8 + k) % 13).join(', ')}};
int ${n}(int x)
{
    int s = 0;
    for (int k = 0; k < 8; k++)
        switch ((x + k) % 3) {
        case 0: s += table_${n}[k]; break;
        case 1: s -= table_${n}[k] / 2; break;
        default: s ^= table_${n}[k];
        }
    return s + ${i};
}
`);
  }
  fs.writeFileSync(path.join(dir, 'main.c'), `#include <stdio.h>
${names.map((n) => `int ${n}(int);`).join('\n')}
int main(void)
{
    long sum = 0;
${names.map((n) => `    sum += ${n}(7);`).join('\n')}
    printf("sum=%ld\\n", sum);
    return 0;
}
`);
  const objs = [...names, 'main'].map((n) => `${n}.o`).join(' ');
  fs.writeFileSync(path.join(dir, 'Makefile'), `CC := gcc
CFLAGS := -O1
prog: ${objs}
\t$(CC) -o $@ $^
%.o: %.c
\t$(CC) $(CFLAGS) -c -o $@ $<
`);
}

/** What the built program prints: computed here the same way. */
function expectedSum() {
  let sum = 0;
  for (let i = 0; i < FILES; i++) {
    const table = Array.from({ length: 8 }, (_, k) => (i * 8 + k) % 13);
    let s = 0;
    for (let k = 0; k < 8; k++) {
      const c = (7 + k) % 3;
      if (c === 0) s += table[k];
      else if (c === 1) s -= Math.trunc(table[k] / 2);
      else s ^= table[k];
    }
    sum += s + i;
  }
  return `sum=${sum}`;
}

/**
 * make -j2 in every environment of `envs`, `reps` rounds (the peers in the first `peerReps`).
 * `scratch(env)` is the directory a run may build in (runsc's sandbox has a /tmp of its own;
 * gramine-ts's built-in manifest writes only to /tmp).
 */
export function measureMake(envs, { reps, peerReps, rounds, timedRun, describeFailure, scratch }) {
  const expect = expectedSum();
  const once = (env) => {
    const dir = path.join(scratch(env), `make-${process.pid}-${env.name}`);
    fs.rmSync(dir, { recursive: true, force: true });
    writeProject(dir);
    try {
      // the program run in the same invocation: what runsc's sandbox writes stays in it
      const argv = env.wrap(['/bin/sh', '-c', `${MAKE} -s -j2 -C ${dir} && ${dir}/prog`]);
      const { r, ms } = timedRun(argv, TIMEOUT_MS);
      if (r.status !== 0) return { error: describeFailure(argv, r) };
      const printed = (r.stdout ?? '').trim();
      if (printed !== expect) return { error: `${argv.join(' ')}: printed ${JSON.stringify(printed)}, expected ${expect}` };
      return { ms, command: argv.join(' ') };
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  };
  const cells = rounds(envs, reps, peerReps, once);
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    const times = c.runs.map((r) => r.ms);
    out[env.name] = c.error || !times.length ? { error: c.error ?? 'no runs', times_ms: times } : {
      median_ms: median(times), min_ms: Math.min(...times), times_ms: times, command: c.runs[0].command,
    };
  }
  return out;
}
