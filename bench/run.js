#!/usr/bin/env node
// `npm run bench`: the cost of running under gramine-ts, as ratios to native measured in the same
// run. Two benchmarks (see bench/README.md):
//   1. syscall cost: bench/programs/syscall-cost.c, one mode per kind of call (worker round trip,
//      stub-local trapped call, native data call), run natively, under gramine-ts and under the
//      peers (proot, gVisor runsc) that are installed;
//   2. startup-to-exit time of /bin/true, natively, under gramine-ts and the peers, against
//      `node -e 0` (with hyperfine when it is installed, else a spawnSync timing loop).
// Prints a table to stdout and writes the raw figures to bench/results/latest.json.
//
// Options: --quick          fewer repetitions and runs (a smoke run, not for the record)
//          --no-peers       skip proot and runsc
//          --no-pinned      skip the gramine-ts-1cpu column (gramine-ts under `taskset -c CPU`)
//          --cpu N          the CPU for gramine-ts-1cpu (default 0)
//          --no-hyperfine   time startup with the built-in loop even if hyperfine is installed
//          --runs N         startup runs per command (default 20)
//          --reps N         runs of syscall-cost per mode and environment (default 5)
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PROG_SRC = path.join(BENCH, 'programs', 'syscall-cost.c');
const PROG = path.join(BENCH, 'programs', 'build', 'syscall-cost');
const RESULTS = path.join(BENCH, 'results', 'latest.json');
const GRAMINE = path.join(ROOT, 'bin', 'gramine-ts.js');
const NODE = process.execPath;
const TRUE = '/bin/true';
const PINNED = 'gramine-ts-1cpu';

const MODES = [
  { mode: 'getppid', what: 'trapped, worker round trip' },
  { mode: 'stubcall', what: 'trapped, answered by the stub (getpid)' },
  { mode: 'read', what: 'native data call (4 KiB read of /dev/zero)' },
];
const BATCH = 1000; // calls per timed batch
const MIN_BATCHES = 21;
const MAX_BATCHES = 1001;
const BUDGET_MS = 1000; // aimed-at time per syscall-cost run, from a short pilot run
const TIMEOUT_MS = 60_000; // any single child run

const TARGETS = {
  readRatio: 1.2, // native data call under gramine-ts, ratio to native
  stubcallNs: 5_000, // stub-local trapped call, median ns
  getppidNs: 30_000, // worker round trip, median ns
  startupExtraMs: 150, // gramine-ts /bin/true <= node -e 0 + this
};

// ---------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = { quick: false, peers: true, pinned: true, cpu: 0, hyperfine: true, runs: 20, reps: 5 };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min = 1) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < min) die(`${a} wants an integer >= ${min}`);
      return v;
    };
    if (a === '--quick') Object.assign(opts, { quick: true, runs: 8, reps: 1 });
    else if (a === '--no-peers') opts.peers = false;
    else if (a === '--no-pinned') opts.pinned = false;
    else if (a === '--cpu') opts.cpu = num(0);
    else if (a === '--no-hyperfine') opts.hyperfine = false;
    else if (a === '--runs') opts.runs = num();
    else if (a === '--reps') opts.reps = num();
    else die(`unknown option ${a} (see the top of bench/run.js)`);
  }
  return opts;
}

function die(msg) {
  console.error(`bench: ${msg}`);
  process.exit(2);
}

// ---------------------------------------------------------------------------------- helpers

function which(cmd) {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (!dir) continue;
    const p = path.join(dir, cmd);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return null;
}

function median(xs) {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function run(argv, timeout = TIMEOUT_MS) {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 20,
  });
  return r;
}

function describeFailure(argv, r) {
  const how = r.error ? r.error.message
    : r.signal ? `killed by ${r.signal}` : `exit status ${r.status}`;
  const err = (r.stderr ?? '').trim().split('\n').slice(-3).join(' | ');
  return `${argv.join(' ')}: ${how}${err ? `: ${err}` : ''}`;
}

// The environments a program can run in: native, gramine-ts, and the installed peers.
function environments(opts) {
  const envs = [
    { name: 'native', wrap: (p) => p },
    { name: 'gramine-ts', wrap: (p) => [NODE, GRAMINE, 'run', ...p] },
  ];
  const notes = [];
  // The same, with leader, worker and app confined to one CPU: a worker round trip then costs
  // a context switch instead of a cross-CPU wake-up, which is much slower on some (virtual)
  // machines. For information; the targets are checked on the unpinned run.
  const taskset = opts.pinned ? which('taskset') : null;
  if (taskset) {
    envs.push({ name: PINNED, wrap: (p) => [taskset, '-c', String(opts.cpu), NODE, GRAMINE, 'run', ...p] });
  } else notes.push(opts.pinned ? 'taskset not on PATH: gramine-ts on one CPU skipped' : 'gramine-ts on one CPU skipped (--no-pinned)');
  if (opts.peers) {
    const proot = which('proot');
    if (proot) envs.push({ name: 'proot', peer: true, wrap: (p) => [proot, ...p] });
    else notes.push('proot not on PATH: skipped');
    const runsc = which('runsc');
    if (runsc) {
      envs.push({
        name: 'runsc', peer: true,
        wrap: (p) => [runsc, '--rootless', '--network=host', '--platform=ptrace', 'do', ...p],
      });
    } else notes.push('runsc (gVisor) not on PATH: skipped');
  } else notes.push('peers skipped (--no-peers)');
  return { envs, notes };
}

// ---------------------------------------------------------------------------------- build

function checkGramineBuilt() {
  const need = [
    path.join(ROOT, 'dist', 'cli', 'main.js'),
    path.join(ROOT, 'native', 'stub', 'build', 'gramine-ts-stub'),
  ];
  const missing = need.filter((p) => !fs.existsSync(p));
  if (missing.length) {
    console.error(`bench: gramine-ts is not built (missing ${missing.map((p) => path.relative(ROOT, p)).join(', ')}); run \`npm run build\` first`);
    process.exit(1);
  }
}

// A note when sources are newer than what was built from them (the figures would be stale).
function staleBuildNote() {
  const newest = (dir, re) => {
    let t = 0;
    const walk = (d) => {
      for (const e of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, e.name);
        if (e.isDirectory()) {
          if (e.name !== 'build' && e.name !== 'node_modules') walk(p);
        } else if (re.test(e.name)) t = Math.max(t, fs.statSync(p).mtimeMs);
      }
    };
    walk(dir);
    return t;
  };
  const built = (p) => (fs.existsSync(p) ? fs.statSync(p).mtimeMs : 0);
  const stale = [];
  if (newest(path.join(ROOT, 'src'), /\.ts$/) > built(path.join(ROOT, 'dist', 'cli', 'main.js'))) stale.push('src/');
  if (newest(path.join(ROOT, 'native', 'stub'), /\.[ch]$/) > built(path.join(ROOT, 'native', 'stub', 'build', 'gramine-ts-stub'))) stale.push('native/stub/');
  if (newest(path.join(ROOT, 'native', 'addon'), /\.(cc|h|gyp)$/) > built(path.join(ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node'))) stale.push('native/addon/');
  return stale.length ? `sources in ${stale.join(', ')} are newer than their build: run \`npm run build\` for current figures` : null;
}

function buildProgram() {
  const fresh = fs.existsSync(PROG) && fs.statSync(PROG).mtimeMs >= fs.statSync(PROG_SRC).mtimeMs;
  if (fresh) return;
  fs.mkdirSync(path.dirname(PROG), { recursive: true });
  const argv = ['gcc', '-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', PROG_SRC, '-o', PROG];
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: building ${path.relative(ROOT, PROG)} failed: ${argv.join(' ')}`);
    process.exit(1);
  }
}

// ---------------------------------------------------------------------------------- syscall cost

function parseCost(stdout) {
  const line = stdout.split('\n').find((l) => l.includes('median_ns='));
  if (!line) return null;
  const kv = Object.fromEntries(line.trim().split(/\s+/).map((f) => f.split('=')));
  const out = {};
  for (const [k, v] of Object.entries(kv)) out[k] = k === 'mode' ? v : Number(v);
  return out;
}

function costRun(env, mode, iterations) {
  const argv = env.wrap([PROG, mode, String(iterations), String(BATCH)]);
  const r = run(argv);
  const parsed = r.status === 0 ? parseCost(r.stdout) : null;
  if (!parsed) return { error: describeFailure(argv, r), command: argv };
  return { ...parsed, command: argv };
}

// One mode in every environment. A short pilot run per environment sizes its batch count to
// about BUDGET_MS; then `reps` rounds, each running every environment once, so that drift of
// the machine hits all environments alike. A cell's figure is the median of its runs' medians.
function measureMode(envs, mode, reps) {
  const cells = new Map();
  for (const env of envs) {
    const pilot = costRun(env, mode, 3 * BATCH);
    if (pilot.error) {
      cells.set(env.name, { error: pilot.error });
      continue;
    }
    const fit = Math.floor((BUDGET_MS * 1e6) / (pilot.median_ns * BATCH));
    cells.set(env.name, { batches: Math.max(MIN_BATCHES, Math.min(MAX_BATCHES, fit)), runs: [] });
  }
  for (let i = 0; i < reps; i++) {
    for (const env of envs) {
      const cell = cells.get(env.name);
      if (cell.error) continue;
      const r = costRun(env, mode, cell.batches * BATCH);
      if (r.error) cell.error = r.error;
      else cell.runs.push(r);
    }
  }
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    out[env.name] = c.error ? { error: c.error, runs: c.runs } : {
      median_ns: median(c.runs.map((r) => r.median_ns)),
      min_ns: Math.min(...c.runs.map((r) => r.min_ns)),
      batches: c.batches, batch: BATCH,
      runs: c.runs.map(({ command, ...rest }) => rest),
      command: c.runs[0].command.join(' '),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------- startup

function startupCommands(envs) {
  const cmds = [{ name: 'node -e 0', argv: [NODE, '-e', '0'] }];
  for (const env of envs) cmds.push({ name: env.name, argv: env.wrap([TRUE]) });
  return cmds;
}

// Quotes for hyperfine's --shell=none word splitting (POSIX-shell-like).
function shellQuote(s) {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

function startupHyperfine(hyperfine, cmds, runs) {
  const tmp = path.join(os.tmpdir(), `gramine-ts-bench-${process.pid}.json`);
  const argv = [
    hyperfine, '--shell=none', '--style=none', '--warmup', '3', '--runs', String(runs),
    '--export-json', tmp, ...cmds.map((c) => c.argv.map(shellQuote).join(' ')),
  ];
  const r = spawnSync(argv[0], argv.slice(1), { encoding: 'utf8', timeout: 10 * TIMEOUT_MS });
  try {
    if (r.status !== 0) return { error: describeFailure(argv.slice(0, 8), r) };
    const json = JSON.parse(fs.readFileSync(tmp, 'utf8'));
    return {
      tool: 'hyperfine',
      results: cmds.map((c, i) => {
        const h = json.results[i];
        return { name: c.name, command: c.argv.join(' '), times_ms: h.times.map((t) => t * 1e3) };
      }),
    };
  } catch (e) {
    return { error: `reading hyperfine output: ${e.message}` };
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

// Without hyperfine: spawnSync in a loop, timed with process.hrtime (the spawn overhead of the
// harness is in every figure alike). Commands are interleaved run by run.
function startupLoop(cmds, runs) {
  const results = cmds.map((c) => ({ name: c.name, command: c.argv.join(' '), times_ms: [] }));
  const warmup = 3;
  for (let i = 0; i < warmup + runs; i++) {
    cmds.forEach((c, j) => {
      if (results[j].error) return;
      const t0 = process.hrtime.bigint();
      const r = spawnSync(c.argv[0], c.argv.slice(1), { stdio: 'ignore', timeout: TIMEOUT_MS });
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (r.status !== 0) results[j].error = describeFailure(c.argv, r);
      else if (i >= warmup) results[j].times_ms.push(ms);
    });
  }
  return { tool: 'spawnSync loop', results };
}

function measureStartup(envs, opts) {
  const cmds = startupCommands(envs);
  // hyperfine aborts on the first failing command: check each once first, keep the good ones
  const failed = new Map();
  for (const c of cmds) {
    const r = run(c.argv);
    if (r.status !== 0) failed.set(c.name, describeFailure(c.argv, r));
  }
  const ok = cmds.filter((c) => !failed.has(c.name));
  const hyperfine = opts.hyperfine ? which('hyperfine') : null;
  let res = hyperfine ? startupHyperfine(hyperfine, ok, opts.runs) : null;
  let note = hyperfine ? null : 'hyperfine not used: timed with a spawnSync loop (includes Node spawn overhead)';
  if (res?.error) {
    note = `hyperfine failed (${res.error}); timed with a spawnSync loop instead`;
    res = null;
  }
  if (!res) res = startupLoop(ok, opts.runs);
  const byName = new Map(res.results.map((r) => [r.name, r]));
  return {
    tool: res.tool, note, runs: opts.runs,
    results: cmds.map((c) => {
      const r = byName.get(c.name);
      if (!r || r.error) return { name: c.name, command: c.argv.join(' '), error: failed.get(c.name) ?? r?.error };
      return { ...r, median_ms: median(r.times_ms), min_ms: Math.min(...r.times_ms) };
    }),
  };
}

// ---------------------------------------------------------------------------------- report

function fmtNs(ns) {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e6) return `${(ns / 1e6).toFixed(2)} ms`;
  if (ns >= 1e4) return `${(ns / 1e3).toFixed(1)} us`;
  if (ns >= 1e3) return `${(ns / 1e3).toFixed(2)} us`;
  return `${ns.toFixed(0)} ns`;
}

function fmtRatio(x) {
  if (!Number.isFinite(x)) return '-';
  return x >= 100 ? `${x.toFixed(0)}x` : x >= 10 ? `${x.toFixed(1)}x` : `${x.toFixed(2)}x`;
}

// A plain-text table: the first `left` columns left-aligned, the rest (figures) right-aligned.
function table(headers, rows, left = 1) {
  const w = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => cells.map((c, i) => (i < left ? String(c).padEnd(w[i]) : String(c).padStart(w[i]))).join('  ').trimEnd();
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...rows.map(line)].join('\n');
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  checkGramineBuilt();
  buildProgram();
  const { envs, notes } = environments(opts);
  const stale = staleBuildNote();
  if (stale) {
    notes.unshift(stale);
    process.stderr.write(`bench: warning: ${stale}\n`);
  }

  // 1. syscall cost
  const syscalls = {};
  for (const { mode } of MODES) {
    process.stderr.write(`bench: syscall-cost ${mode} (${envs.map((e) => e.name).join(', ')}) ...\n`);
    syscalls[mode] = measureMode(envs, mode, opts.reps);
  }

  // 2. startup-to-exit
  process.stderr.write(`bench: startup-to-exit of ${TRUE} (${opts.runs} runs each) ...\n`);
  const startup = measureStartup(envs, opts);

  // tables
  const names = envs.map((e) => e.name);
  const others = names.filter((n) => n !== 'native');
  const out = [];
  out.push(`gramine-ts benchmarks  (${new Date().toISOString()}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, node ${process.version})`);
  out.push('');
  out.push(`1. Per-call cost: median over batches of ${BATCH} calls (median of ${opts.reps} run(s)); ratio = env / native`);
  const costRows = MODES.map(({ mode, what }) => {
    const nat = syscalls[mode].native?.median_ns;
    const row = [mode, what];
    for (const n of names) row.push(syscalls[mode][n].error ? 'FAILED' : fmtNs(syscalls[mode][n].median_ns));
    for (const n of others) row.push(syscalls[mode][n].error ? '-' : fmtRatio(syscalls[mode][n].median_ns / nat));
    return row;
  });
  out.push(table(['mode', 'kind of call', ...names, ...others.map((n) => `${n}/nat`)], costRows, 2));
  out.push('');

  out.push(`2. Startup-to-exit of ${TRUE}: median of ${opts.runs} runs (${startup.tool}); ratio = / native`);
  const natStart = startup.results.find((r) => r.name === 'native')?.median_ms;
  const nodeStart = startup.results.find((r) => r.name === 'node -e 0')?.median_ms;
  out.push(table(['command', 'median', 'min', '/native', 'vs node -e 0'], startup.results.map((r) => (r.error
    ? [r.name, 'FAILED', '-', '-', '-']
    : [r.name, `${r.median_ms.toFixed(1)} ms`, `${r.min_ms.toFixed(1)} ms`, fmtRatio(r.median_ms / natStart),
      `${r.median_ms - nodeStart >= 0 ? '+' : ''}${(r.median_ms - nodeStart).toFixed(1)} ms`]))));
  out.push('');

  // targets: checked on gramine-ts as it runs by default; the one-CPU figures are for information
  const nativeNs = (mode) => syscalls[mode].native?.median_ns;
  const check = (env) => {
    const c = (mode) => (syscalls[mode][env] && !syscalls[mode][env].error ? syscalls[mode][env].median_ns : null);
    const st = startup.results.find((r) => r.name === env);
    const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`;
    return [
      {
        id: 'read_ratio', name: `read under gramine-ts <= ${TARGETS.readRatio}x native`,
        value: c('read') === null ? null : c('read') / nativeNs('read'), limit: TARGETS.readRatio, show: fmtRatio,
      },
      {
        id: 'stubcall_ns', name: `stub-local trapped call (stubcall) < ${TARGETS.stubcallNs / 1e3} us`,
        value: c('stubcall'), limit: TARGETS.stubcallNs, strict: true, show: fmtNs,
      },
      {
        id: 'getppid_ns', name: `worker round trip (getppid) < ${TARGETS.getppidNs / 1e3} us`,
        value: c('getppid'), limit: TARGETS.getppidNs, strict: true, show: fmtNs,
      },
      {
        id: 'startup_minus_node_ms', name: `gramine-ts ${TRUE} <= node -e 0 + ${TARGETS.startupExtraMs} ms`,
        value: !st || st.error || !Number.isFinite(nodeStart) ? null : st.median_ms - nodeStart,
        limit: TARGETS.startupExtraMs, show: signed,
      },
    ].map((t) => ({ ...t, pass: t.value === null ? null : t.strict ? t.value < t.limit : t.value <= t.limit }));
  };
  const verdict = (t) => (t.pass === null ? 'NO DATA' : t.pass ? 'PASS' : 'FAIL');
  const targets = check('gramine-ts');
  const pinned = names.includes(PINNED) ? check(PINNED) : null;
  out.push(`3. Targets, checked on gramine-ts${pinned ? ` (${PINNED}: the same on one CPU, for information)` : ''}`);
  out.push(table(['target', 'measured', 'result', ...(pinned ? [PINNED, ''] : [])], targets.map((t, i) => [
    t.name, t.value === null ? '-' : t.show(t.value), verdict(t),
    ...(pinned ? [pinned[i].value === null ? '-' : pinned[i].show(pinned[i].value), `(${verdict(pinned[i])})`] : []),
  ])));

  const failures = [];
  for (const { mode } of MODES) {
    for (const n of names) if (syscalls[mode][n].error) failures.push(`syscall-cost ${mode} under ${n}: ${syscalls[mode][n].error}`);
  }
  for (const r of startup.results) if (r.error) failures.push(`startup ${r.name}: ${r.error}`);
  const allNotes = [...notes, ...(startup.note ? [startup.note] : []), ...failures];
  if (opts.quick) allNotes.unshift('--quick: fewer runs, figures are rough');
  if (allNotes.length) {
    out.push('');
    out.push('Notes');
    for (const n of allNotes) out.push(`  * ${n}`);
  }
  const elapsed = (Date.now() - started) / 1e3;
  out.push('');
  out.push(`(${elapsed.toFixed(1)} s; raw figures in ${path.relative(process.cwd(), RESULTS) || RESULTS})`);
  console.log(out.join('\n'));

  fs.mkdirSync(path.dirname(RESULTS), { recursive: true });
  fs.writeFileSync(RESULTS, `${JSON.stringify({
    date: new Date().toISOString(),
    host: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model, kernel: os.release(), node: process.version },
    options: opts,
    elapsed_s: elapsed,
    syscall_cost: { batch: BATCH, modes: MODES, results: syscalls },
    startup,
    targets: targets.map(({ show, ...t }) => t),
    targets_one_cpu: pinned ? pinned.map(({ show, ...t }) => t) : null,
    notes: allNotes,
  }, null, 2)}\n`);

  // a broken measurement of native or gramine-ts means the benchmark itself is broken; missed
  // targets and failing peers are reported, not errors
  const broken = failures.some((f) => / under (native|gramine-ts[\w-]*):|^startup (native|gramine-ts[\w-]*|node -e 0):/.test(f));
  process.exitCode = broken ? 1 : 0;
}

main();
