// Section 8 of `npm run bench` (bench/run.js): locks and System V semaphores, natively, under
// gramine-ts and the peers, in the same run (see bench/README.md): bench/programs/lock-cost.c
// times an uncontended flock and F_SETLK lock + unlock, the same flock pair by two processes at
// once on one file, and a round trip between two processes over System V semaphores.
import { measureModes, ratioToNative } from './modes.js';

const LOCK_ITERS = 20000;
const SEM_ITERS = 1000;

export const LOCK_MODES = [
  ['flock', 'flock LOCK_EX + LOCK_UN, uncontended', LOCK_ITERS],
  ['setlk', 'fcntl F_SETLK lock + unlock, uncontended', LOCK_ITERS],
  ['contended', 'flock LOCK_EX + LOCK_UN, two processes at once', LOCK_ITERS],
  ['semping', 'System V semaphore round trip between two processes', SEM_ITERS],
];

export const LOCK_TARGETS = {
  uncontendedRatio: 3, // flock and F_SETLK lock + unlock under gramine-ts / native, at most
  semRatio: 5, // semaphore ping-pong under gramine-ts / native, at most
};

/** lock-cost in each mode (see bench/modes.js). */
export function measureLocks(envs, { reps, build, run, log }) {
  const prog = build('lock-cost.c', 'lock-cost');
  return measureModes(envs, prog, LOCK_MODES.map(([mode, , iterations]) => [mode, iterations]), { reps, run, log });
}

/** The lock targets, on gramine-ts (null values when there is no figure). */
export function lockTargets(l) {
  const target = (id, mode, what, limit) => {
    const value = ratioToNative(l, mode);
    return { id, name: `${what} under gramine-ts <= ${limit}x native`, value, limit, pass: value === null ? null : value <= limit };
  };
  return [
    target('flock_ratio', 'flock', 'uncontended flock lock + unlock', LOCK_TARGETS.uncontendedRatio),
    target('setlk_ratio', 'setlk', 'uncontended F_SETLK lock + unlock', LOCK_TARGETS.uncontendedRatio),
    target('semping_ratio', 'semping', 'System V semaphore ping-pong', LOCK_TARGETS.semRatio),
  ];
}
