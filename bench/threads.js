// Section 7 of `npm run bench` (bench/run.js): threads, natively, under gramine-ts and the peers,
// in the same run (see bench/README.md): bench/programs/thread-cost.c times pthread_create +
// pthread_join of a thread that returns at once, and a mutex/condition-variable round trip
// between two threads (all futexes: no trapped call on the way).

import { median } from './stats.js';

const CREATE_ITERS = 2000;
const PINGPONG_ITERS = 20000;

export const THREAD_TARGETS = {
  createRatio: 5, // pthread_create + join under gramine-ts / native, at most
  pingpongRatio: 1.2, // mutex/condvar round trip under gramine-ts / native, at most
};

/**
 * thread-cost in each mode, `reps` rounds (every environment once per round, so that drift of
 * the machine hits them alike). `run(env, argv)` returns the program's stdout or { error }.
 */
export function measureThreads(envs, { reps, build, run, log }) {
  const prog = build('thread-cost.c', 'thread-cost');
  const out = {};
  for (const [mode, iterations] of [['create', CREATE_ITERS], ['pingpong', PINGPONG_ITERS]]) {
    const cells = Object.fromEntries(envs.map((e) => [e.name, { runs: [] }]));
    for (let i = 0; i < reps; i++) {
      for (const env of envs) {
        const cell = cells[env.name];
        if (cell.error) continue;
        log(`thread-cost ${mode}, ${env.name} (${i + 1}/${reps})`);
        const r = run(env, [prog, mode, String(iterations)]);
        const m = typeof r === 'string' ? /ns_per_op=(\d+)/.exec(r) : null;
        if (!m) cell.error = r.error ?? `no ns_per_op in: ${String(r).slice(0, 200)}`;
        else cell.runs.push(Number(m[1]));
      }
    }
    for (const c of Object.values(cells)) if (!c.error) c.median = median(c.runs);
    out[mode] = { iterations, results: cells };
  }
  return out;
}

/** The thread targets, on gramine-ts (null values when there is no figure). */
export function threadTargets(t) {
  const ratio = (mode) => {
    const c = t[mode].results;
    const g = c['gramine-ts'];
    const n = c.native;
    return g && !g.error && n && !n.error ? g.median / n.median : null;
  };
  return [
    {
      id: 'thread_create_ratio', name: `pthread_create + join under gramine-ts <= ${THREAD_TARGETS.createRatio}x native`,
      value: ratio('create'), limit: THREAD_TARGETS.createRatio,
    },
    {
      id: 'thread_pingpong_ratio', name: `mutex/condvar ping-pong under gramine-ts <= ${THREAD_TARGETS.pingpongRatio}x native`,
      value: ratio('pingpong'), limit: THREAD_TARGETS.pingpongRatio,
    },
  ].map((x) => ({ ...x, pass: x.value === null ? null : x.value <= x.limit }));
}
