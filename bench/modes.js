// A benchmark program run in several modes, each printing `ns_per_op=X`: every environment once
// per round, `reps` rounds (so that drift of the machine hits them alike), the median kept.
import { median } from './stats.js';

/**
 * `prog` in each of `modes` ([mode, iterations] pairs). `run(env, argv)` returns the program's
 * stdout or { error }. The result: { [mode]: { iterations, results: { [env]: { runs, median } | { error } } } }.
 */
export function measureModes(envs, prog, modes, { reps, run, log }) {
  const out = {};
  const name = prog.slice(prog.lastIndexOf('/') + 1);
  for (const [mode, iterations] of modes) {
    const cells = Object.fromEntries(envs.map((e) => [e.name, { runs: [] }]));
    for (let i = 0; i < reps; i++) {
      for (const env of envs) {
        const cell = cells[env.name];
        if (cell.error) continue;
        log(`${name} ${mode}, ${env.name} (${i + 1}/${reps})`);
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

/** gramine-ts's median over native's for `mode`, or null when either has no figure. */
export function ratioToNative(measured, mode) {
  const c = measured[mode].results;
  const g = c['gramine-ts'];
  const n = c.native;
  return g && !g.error && n && !n.error ? g.median / n.median : null;
}
