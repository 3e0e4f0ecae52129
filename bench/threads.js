// Section 7 of `npm run bench` (bench/run.js): threads, natively, under gramine-ts and the peers,
// in the same run (see bench/README.md): bench/programs/thread-cost.c times pthread_create +
// pthread_join of a thread that returns at once, and a mutex/condition-variable round trip
// between two threads (all futexes: no trapped call on the way).

import { measureModes, ratioToNative } from './modes.js';

const CREATE_ITERS = 2000;
const PINGPONG_ITERS = 20000;

export const THREAD_TARGETS = {
  createRatio: 5, // pthread_create + join under gramine-ts / native, at most
  pingpongRatio: 1.2, // mutex/condvar round trip under gramine-ts / native, at most
};

/** thread-cost in each mode (see bench/modes.js). */
export function measureThreads(envs, { reps, build, run, log }) {
  const prog = build('thread-cost.c', 'thread-cost');
  return measureModes(envs, prog, [['create', CREATE_ITERS], ['pingpong', PINGPONG_ITERS]], { reps, run, log });
}

/** The thread targets, on gramine-ts (null values when there is no figure). */
export function threadTargets(t) {
  const ratio = (mode) => ratioToNative(t, mode);
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
