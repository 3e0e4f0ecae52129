// Section 3 of `npm run bench` (bench/run.js): where the CPU of a fork goes, by process. Each
// fork-cost mode runs at N and at 2N iterations, natively (the CPU bash's `times` reports of its
// children) and under `gramine-ts run --cpu-report` (the leader, each worker and the app
// processes: src/leader/cpu-report.ts). The difference between the two runs over N is the CPU
// of one iteration, without what starting the instance costs (its Node boots, the first
// worker's attestation). Also from the 2N run: the forks that found no standby ready and waited
// for a worker (the pool's misses) and the workers started.
//
// Times are in the host's clock ticks (10 ms): with N = 200 a role's figure is good to about
// 0.1 ms an iteration.

/** The CPU (ms, user + sys) of a `--cpu-report` line, by role, or null without one. */
export function parseCpuReport(stderr) {
  const line = /^gramine-ts: cpu \(ms, user\+sys\): (.*)$/m.exec(stderr)?.[1];
  if (!line) return null;
  const out = { leader: 0, parentWorker: 0, childWorkers: 0, apps: 0, workersStarted: 0, forksThatWaited: 0 };
  for (const part of line.split('; ')) {
    let m;
    if ((m = /^leader (\d+)\+(\d+)$/.exec(part))) out.leader = Number(m[1]) + Number(m[2]);
    else if ((m = /^worker \d+ \(first\) (\d+)\+(\d+) reaped (\d+)\+(\d+)$/.exec(part))) {
      out.parentWorker = Number(m[1]) + Number(m[2]);
      out.apps = Number(m[3]) + Number(m[4]);
    } else if ((m = /^worker \d+ (\d+)\+(\d+)$/.exec(part))) out.childWorkers += Number(m[1]) + Number(m[2]);
    else if ((m = /^workers started (\d+)$/.exec(part))) out.workersStarted = Number(m[1]);
    else if ((m = /^forks that waited for a worker (\d+)$/.exec(part))) out.forksThatWaited = Number(m[1]);
  }
  return out;
}

/** bash's `times`: the CPU (ms) of the children it has reaped. */
function parseTimes(stdout) {
  const lines = stdout.trim().split('\n');
  const m = /^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/.exec(lines[lines.length - 1] ?? '');
  if (!m) return null;
  return (Number(m[1]) * 60 + Number(m[2]) + Number(m[3]) * 60 + Number(m[4])) * 1000;
}

const ROLES = ['leader', 'parentWorker', 'childWorkers', 'apps'];

/**
 * For each fork-cost mode: the CPU of one iteration natively and under gramine-ts by role
 * (ms), and the pool's misses. `run(argv)` is bench/run.js's timedRun.
 */
export function measureForkCpu({ gramine, forkProg, modes, iterations, run, describeFailure }) {
  const results = {};
  for (const mode of modes) {
    const native = [iterations, 2 * iterations].map((n) => {
      const argv = ['/bin/bash', '-c', `"$0" ${mode} ${n} >/dev/null && times`, forkProg];
      const { r } = run(argv);
      return r.status === 0 ? parseTimes(r.stdout ?? '') : null;
    });
    const under = [iterations, 2 * iterations].map((n) => {
      const argv = [gramine, 'run', '--cpu-report', forkProg, mode, String(n)];
      const { r } = run(argv);
      if (r.status !== 0) return { error: describeFailure(argv, r) };
      return parseCpuReport(r.stderr ?? '') ?? { error: `no --cpu-report line from ${argv.join(' ')}` };
    });
    const bad = under.find((u) => u.error);
    if (native.includes(null) || bad) {
      results[mode] = { error: bad?.error ?? `native ${mode}: no times` };
      continue;
    }
    const perIter = (a, b) => (b - a) / iterations;
    const roles = Object.fromEntries(ROLES.map((k) => [k, perIter(under[0][k], under[1][k])]));
    const total = ROLES.reduce((s, k) => s + roles[k], 0);
    results[mode] = {
      iterations: [iterations, 2 * iterations],
      native_ms: perIter(native[0], native[1]),
      gramine_ms: { ...roles, total },
      forks: 2 * iterations + 1,
      forks_that_waited: under[1].forksThatWaited,
      workers_started: under[1].workersStarted,
    };
  }
  return results;
}

/** The rows of the report's table. */
export function forkCpuRows(results, fmt) {
  return Object.entries(results).map(([mode, c]) => (c.error ? [mode, 'FAILED', '-', '-', '-', '-', '-', '-', '-'] : [
    mode, fmt(c.native_ms), ...ROLES.map((k) => fmt(c.gramine_ms[k])), fmt(c.gramine_ms.total),
    `${(c.gramine_ms.total / c.native_ms).toFixed(2)}x`, `${c.forks_that_waited} / ${c.forks} (${c.workers_started} started)`,
  ]));
}

export const FORK_CPU_HEADERS = ['mode', 'native', 'leader', 'parent\'s worker', 'child\'s worker', 'app processes', 'gramine-ts', 'ratio', 'forks that waited / forks'];
