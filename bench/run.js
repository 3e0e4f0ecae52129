#!/usr/bin/env node
// `npm run bench`: the cost of running under gramine-ts, as ratios to native measured in the same
// run. Five benchmarks (see bench/README.md):
//   1. syscall cost: bench/programs/syscall-cost.c, one mode per kind of call (worker round trip,
//      stub-local trapped call, native data call), run natively, under gramine-ts and under the
//      peers (proot, gVisor runsc) that are installed;
//   2. startup-to-exit time of /bin/true, natively, under gramine-ts and the peers, against
//      `node -e 0` (with hyperfine when it is installed, else a spawnSync timing loop);
//   3. process creation: bench/programs/fork-cost.c (fork+_exit+wait, fork+exec+wait, per
//      iteration) and a bash script of pipelines and command substitutions (whole run), natively,
//      under gramine-ts and the peers;
//   4. Node processes (workers) gramine-ts starts per 100 forks, from its --leader-log; the CPU of
//      a fork by process (bench/cpu.js) and the memory of an idle instance (bench/pss.js);
//   5. file systems, natively and under gramine-ts: bench/programs/stat-storm.c (stat() of
//      10,000 files, ns per stat) and bench/programs/bulk-io.c (a 256 MiB file written in 1 MiB
//      writes and fsynced, then read back in 1 MiB reads, MiB/s), each in a scratch directory
//      under the system's temporary directory, removed afterwards;
//   6. networking (bench/net.js): nginx under wrk, a TCP echo (round trips and a 1 GiB stream)
//      and a connect to a UNIX socket by path, natively, under gramine-ts and the peers;
//   7. threads (bench/threads.js): pthread_create + join, and a mutex/condvar ping-pong between
//      two threads, natively, under gramine-ts and the peers;
//   8. locks (bench/locks.js): uncontended flock and F_SETLK lock + unlock, contended flock
//      between two processes, System V semaphore ping-pong, natively, under gramine-ts and the peers.
// Prints a table to stdout and writes the raw figures to bench/results/latest.json.
//
// Options: --quick          fewer repetitions and runs (a smoke run, not for the record)
//          --no-peers       skip proot and runsc
//          --no-pinned      skip the gramine-ts-1cpu column (gramine-ts under `taskset -c CPU`)
//          --cpu N          the CPU for gramine-ts-1cpu (default 0)
//          --sandbox-cost   add a gramine-ts-nosandbox column: gramine-ts with
//                           GRAMINE_TS_INSECURE_NO_SANDBOX=1 (no Landlock, capabilities kept;
//                           docs/security.md), so that the boundary's cost is a same-run ratio
//          --no-hyperfine   time startup with the built-in loop even if hyperfine is installed
//          --runs N         startup runs per command (default 20)
//          --reps N         runs of syscall-cost per mode and environment (default 5)
//          --no-mp          skip the multi-process benchmarks (3 and 4)
//          --fork-reps N    rounds of fork-cost per mode (default 3)
//          --fork-iters N   iterations per fork-cost run (default 100)
//          --script-reps N  rounds of the bash script for native and gramine-ts (default 3)
//          --script-peer-reps N
//                           of those rounds, how many also run the peers (default 1: slow there)
//          --no-fs          skip the file-system benchmarks (5)
//          --stat-files N   files of the stat storm (default 10000)
//          --stat-reps N    runs of stat-storm per environment (default 3)
//          --bulk-mib N     size of the bulk I/O file in MiB (default 256)
//          --bulk-reps N    runs of bulk-io per environment (default 3)
//          --no-net         skip the network benchmarks (6)
//          --net-seconds N  seconds of each wrk run against nginx (default 10; 30 for the targets' record)
//          --net-reps N     rounds of the network benchmarks (default 1)
//          --net-peer-reps N  how many of those rounds also run the peers (default 1)
//          --stream-mib N   MiB of the TCP stream (default 1024)
//          --no-threads     skip the thread benchmarks (7)
//          --thread-reps N  rounds of the thread benchmarks (default 3)
//          --no-locks       skip the lock benchmarks (8)
//          --lock-reps N    rounds of the lock benchmarks (default 3)
//          --only LIST      run only these sections, comma-separated, of: syscall (1), startup (2),
//                           mp (3 and 4), stat, bulk (5), net (6), threads (7), locks (8); e.g. --only stat,bulk
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { measureNet, netTargets } from './net.js';
import { median } from './stats.js';
import { measureThreads, threadTargets } from './threads.js';
import { MAKE_TARGET_RATIO, measureMake } from './make-j2.js';
import { LOCK_MODES, lockTargets, measureLocks } from './locks.js';
import { FORK_CPU_HEADERS, forkCpuRows, measureForkCpu } from './cpu.js';
import { measurePss, PSS_TARGET_MIB } from './pss.js';

const BENCH = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.dirname(BENCH);
const PROG_SRC = path.join(BENCH, 'programs', 'syscall-cost.c');
const PROG = path.join(BENCH, 'programs', 'build', 'syscall-cost');
const FORK_SRC = path.join(BENCH, 'programs', 'fork-cost.c');
const FORK_PROG = path.join(BENCH, 'programs', 'build', 'fork-cost');
const STAT_SRC = path.join(BENCH, 'programs', 'stat-storm.c');
const STAT_PROG = path.join(BENCH, 'programs', 'build', 'stat-storm');
const BULK_SRC = path.join(BENCH, 'programs', 'bulk-io.c');
const BULK_PROG = path.join(BENCH, 'programs', 'build', 'bulk-io');
const RESULTS = path.join(BENCH, 'results', 'latest.json');
// the user-facing command: the native launcher starts the leader and the first worker together
const GRAMINE = path.join(ROOT, 'bin', 'gramine-ts');
const NODE = process.execPath;
const TRUE = '/bin/true';
const PINNED = 'gramine-ts-1cpu';

const MODES = [
  { mode: 'getppid', what: 'trapped, worker round trip' },
  { mode: 'stubcall', what: 'trapped, answered by the stub (getpid)' },
  { mode: 'direct', what: 'a direct call into the stub (getpid at a patched glibc site)' },
  { mode: 'read', what: 'native data call (4 KiB read of /dev/zero)' },
  { mode: 'poll', what: 'a wait a signal can end (poll of a ready fd, 1 ms timeout)' },
];
const BATCH = 1000; // calls per timed batch
const MIN_BATCHES = 21;
const MAX_BATCHES = 1001;
const BUDGET_MS = 1000; // aimed-at time per syscall-cost run, from a short pilot run
const TIMEOUT_MS = 60_000; // any single child run
const SCRIPT_TIMEOUT_MS = 180_000; // one run of the bash script (about 15 s under runsc here)

// 3. process creation
// `share`: the part of --fork-iters a mode runs (a burst is many forks an iteration)
const FORK_MODES = [
  { mode: 'fork-exit', what: 'fork, child _exit(0), parent waitpid', share: 1 },
  { mode: 'fork-exec', what: 'fork, child execl(/bin/true), parent waitpid', share: 1 },
  { mode: 'burst-8', what: '8 forks at once, each execl(/bin/true); wait all', share: 0.2 },
  { mode: 'burst-32', what: '32 forks at once, each execl(/bin/true); wait all', share: 0.1 },
];
const forkIters = (m, opts) => Math.max(5, Math.round(opts.forkIters * m.share));
const BASH = '/bin/bash';
const SCRIPT_ITERS = 200;
// Per iteration: one command substitution (a subshell) running a two-process pipeline, and a
// second two-process pipeline: 5 forks (bash forks every pipeline element), 2 execs (tr and cat;
// echo is a builtin), 1001 forks and 401 execs in all (with seq). The final
// echo lets the harness check that the pipelines really ran (200 -> "caa").
const script = (n) => `for i in $(seq 1 ${n}); do x=$(echo "$i" | tr 0-9 a-j); echo "$x" | cat > /dev/null; done; echo "last=$x"`;
const scriptExpect = (n) => `last=${String(n).replace(/[0-9]/g, (d) => 'abcdefghij'[Number(d)])}`;
const SCRIPT_FORKS = 5 * SCRIPT_ITERS + 1; // as bash 5 makes them
const SCRIPT_WARMUP_ITERS = 10; // an untimed check run of each environment first
// 4. Node processes per fork: workloads run once under `gramine-ts run --leader-log`
const WORKER_COUNT_FORK_ITERS = 300;
const CPU_FORK_ITERS = 200; // fork-cost runs of N and 2N iterations for the CPU by process
const STEADY_AFTER_FORKS = 100; // forks counted as warm-up of the worker pool
// 5. file systems
const STAT_ROUNDS = 5; // timed rounds over all the files per stat-storm run (after a warm-up round)
const FS_TIMEOUT_MS = 300_000; // one stat-storm or bulk-io run (setup included)
const SECTIONS = ['syscall', 'startup', 'mp', 'stat', 'bulk', 'net', 'threads', 'locks'];

const TARGETS = {
  readRatio: 1.2, // native data call under gramine-ts, ratio to native
  stubcallNs: 5_000, // stub-local trapped call, median ns
  getppidNs: 30_000, // worker round trip, median ns
  // issue 15's
  startupExtraMs: 100, // gramine-ts /bin/true <= node -e 0 + this
  forkExitRatio: 2, // fork+exit+wait under gramine-ts, ratio to native (per-iteration medians)
  forkExecRatio: 2, // fork+exec+wait under gramine-ts, ratio to native (per-iteration medians)
  burst32Ratio: 3, // 32 concurrent fork+exec under gramine-ts, ratio to native (per-burst medians)
  scriptRatio: 2.5, // the bash script under gramine-ts, ratio to native (whole-run medians)
  workersPer100Forks: 5, // Node processes started per 100 forks
  statStormRatio: 10, // stat() of 10,000 files under gramine-ts, ratio to native (ns per stat)
  bulkRatio: 1.1, // bulk write (with fsync) and read under gramine-ts, time ratio to native
};

// ---------------------------------------------------------------------------------- options

function parseArgs(argv) {
  const opts = {
    quick: false, peers: true, pinned: true, sandboxCost: false, cpu: 0, hyperfine: true, runs: 20, reps: 5,
    mp: true, forkReps: 3, forkIters: 100, scriptReps: 3, scriptPeerReps: 1,
    fs: true, statFiles: 10000, statReps: 3, bulkMib: 256, bulkReps: 3, only: null,
    net: true, netSeconds: 10, netReps: 1, netPeerReps: 1, streamMib: 1024, threads: true, threadReps: 3, locks: true, lockReps: 3,
    // the sections to run (from --only, --no-mp and --no-fs)
    syscall: true, startup: true, stat: true, bulk: true,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const num = (min = 1) => {
      const v = Number(argv[++i]);
      if (!Number.isInteger(v) || v < min) die(`${a} wants an integer >= ${min}`);
      return v;
    };
    if (a === '--quick') {
      Object.assign(opts, { quick: true, runs: 8, reps: 1, forkReps: 1, forkIters: 50, scriptReps: 1, statReps: 1, bulkReps: 1, netSeconds: 3 });
    }
    else if (a === '--no-peers') opts.peers = false;
    else if (a === '--no-pinned') opts.pinned = false;
    else if (a === '--sandbox-cost') opts.sandboxCost = true;
    else if (a === '--cpu') opts.cpu = num(0);
    else if (a === '--no-hyperfine') opts.hyperfine = false;
    else if (a === '--runs') opts.runs = num();
    else if (a === '--reps') opts.reps = num();
    else if (a === '--no-mp') opts.mp = false;
    else if (a === '--fork-reps') opts.forkReps = num();
    else if (a === '--fork-iters') opts.forkIters = num();
    else if (a === '--script-reps') opts.scriptReps = num();
    else if (a === '--script-peer-reps') opts.scriptPeerReps = num(0);
    else if (a === '--no-fs') opts.fs = false;
    else if (a === '--stat-files') opts.statFiles = num();
    else if (a === '--stat-reps') opts.statReps = num();
    else if (a === '--bulk-mib') opts.bulkMib = num();
    else if (a === '--bulk-reps') opts.bulkReps = num();
    else if (a === '--no-net') opts.net = false;
    else if (a === '--no-threads') opts.threads = false;
    else if (a === '--thread-reps') opts.threadReps = num();
    else if (a === '--no-locks') opts.locks = false;
    else if (a === '--lock-reps') opts.lockReps = num();
    else if (a === '--net-seconds') opts.netSeconds = num();
    else if (a === '--net-reps') opts.netReps = num();
    else if (a === '--net-peer-reps') opts.netPeerReps = num();
    else if (a === '--stream-mib') opts.streamMib = num();
    else if (a === '--only') {
      const list = (argv[++i] ?? '').split(',').filter(Boolean);
      const bad = list.filter((x) => !SECTIONS.includes(x));
      if (!list.length || bad.length) die(`--only wants a comma-separated list of ${SECTIONS.join(', ')}`);
      opts.only = list;
    } else die(`unknown option ${a} (see the top of bench/run.js)`);
  }
  const want = (section) => !opts.only || opts.only.includes(section);
  opts.syscall = want('syscall');
  opts.startup = want('startup');
  opts.mp = opts.mp && want('mp');
  opts.stat = opts.fs && want('stat');
  opts.bulk = opts.fs && want('bulk');
  opts.net = opts.net && want('net');
  opts.threads = opts.threads && want('threads');
  opts.locks = opts.locks && want('locks');
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

function run(argv, timeout = TIMEOUT_MS, maxBuffer = 1 << 20) {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: 'utf8', timeout, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer,
  });
  return r;
}

// As run(), and the wall time from spawn to exit (the harness's spawn overhead, a few ms, is in
// every environment's figure alike).
function timedRun(argv, timeout = TIMEOUT_MS, maxBuffer = undefined) {
  const t0 = process.hrtime.bigint();
  const r = run(argv, timeout, maxBuffer);
  return { r, ms: Number(process.hrtime.bigint() - t0) / 1e6 };
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
    { name: 'gramine-ts', wrap: (p) => [GRAMINE, 'run', ...p] },
  ];
  const notes = [];
  // The same, with leader, worker and app confined to one CPU: a worker round trip then costs
  // a context switch instead of a cross-CPU wake-up, which is much slower on some (virtual)
  // machines. For information; the targets are checked on the unpinned run.
  const taskset = opts.pinned ? which('taskset') : null;
  // insecure, for measurement only: the instance without its kernel boundary
  if (opts.sandboxCost) envs.push({ name: 'gramine-ts-nosandbox', wrap: (p) => ['env', 'GRAMINE_TS_INSECURE_NO_SANDBOX=1', GRAMINE, 'run', ...p] });
  if (taskset) {
    envs.push({ name: PINNED, wrap: (p) => [taskset, '-c', String(opts.cpu), GRAMINE, 'run', ...p] });
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
    path.join(ROOT, 'dist', 'cli-bundle.cjs'),
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
  if (newest(path.join(ROOT, 'src'), /\.ts$/) > built(path.join(ROOT, 'dist', 'cli-bundle.cjs'))) stale.push('src/');
  if (newest(path.join(ROOT, 'native', 'stub'), /\.[ch]$/) > built(path.join(ROOT, 'native', 'stub', 'build', 'gramine-ts-stub'))) stale.push('native/stub/');
  if (newest(path.join(ROOT, 'native', 'addon'), /\.(cc|h|gyp)$/) > built(path.join(ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node'))) stale.push('native/addon/');
  return stale.length ? `sources in ${stale.join(', ')} are newer than their build: run \`npm run build\` for current figures` : null;
}

function buildProgram(src, prog, extra = []) {
  const fresh = fs.existsSync(prog) && fs.statSync(prog).mtimeMs >= fs.statSync(src).mtimeMs;
  if (fresh) return;
  fs.mkdirSync(path.dirname(prog), { recursive: true });
  const argv = ['gcc', '-O2', '-Wall', '-Wextra', '-Werror', '-std=gnu11', ...extra, src, '-o', prog];
  const r = spawnSync(argv[0], argv.slice(1), { stdio: 'inherit' });
  if (r.status !== 0) {
    console.error(`bench: building ${path.relative(ROOT, prog)} failed: ${argv.join(' ')}`);
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

// A Node started with NODE_EXTRA_CA_CERTS reads and parses those certificates first (some
// 90 ms of a system's bundle on these machines); gramine-ts's own Nodes are started without it
// (native/launcher/launch.c). `node -e 0` runs as the user would run it, and also without it.
const NODE_NO_EXTRA_CA = 'node -e 0 (without NODE_EXTRA_CA_CERTS)';

function startupCommands(envs) {
  const cmds = [{ name: 'node -e 0', argv: [NODE, '-e', '0'] }];
  if (process.env.NODE_EXTRA_CA_CERTS) cmds.push({ name: NODE_NO_EXTRA_CA, argv: ['env', '-u', 'NODE_EXTRA_CA_CERTS', NODE, '-e', '0'] });
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

// ---------------------------------------------------------------------------------- processes

// The line of key=value pairs (as syscall-cost and fork-cost print) that has `key`, as numbers.
function parseKv(stdout, key) {
  const line = stdout.split('\n').find((l) => l.includes(`${key}=`));
  if (!line) return null;
  const out = {};
  for (const f of line.trim().split(/\s+/)) {
    const [k, v] = f.split('=');
    out[k] = k === 'mode' ? v : Number(v);
  }
  return out;
}

// The environments for the multi-process benchmarks: gramine-ts-1cpu is left out, since
// gramine-ts pins each forked process to a CPU of its own choosing (vpid 2 to CPU 1, ...), which
// overrides `taskset`: that column would not be a one-CPU run.
function processEnvs(envs) {
  return envs.filter((e) => e.name !== PINNED);
}

// `reps` rounds, each running every environment once (a peer only in the first `peerReps`
// rounds: the slow cases), so that drift of the machine hits all environments alike. `check`,
// when given, is run once per environment first, untimed (a warm-up that also catches a broken
// environment cheaply). An environment that fails is not run again.
function rounds(envs, reps, peerReps, once, check = null) {
  const cells = new Map(envs.map((e) => [e.name, { runs: [] }]));
  if (check) {
    for (const env of envs) {
      const r = check(env);
      if (r.error) cells.get(env.name).error = r.error;
    }
  }
  for (let i = 0; i < reps; i++) {
    for (const env of envs) {
      const cell = cells.get(env.name);
      if (cell.error || (env.peer && i >= peerReps)) continue;
      const r = once(env);
      if (r.error) cell.error = r.error;
      else cell.runs.push(r);
    }
  }
  return cells;
}

function forkRun(env, mode, iterations) {
  const argv = env.wrap([FORK_PROG, mode, String(iterations)]);
  const r = run(argv);
  const parsed = r.status === 0 ? parseKv(r.stdout, 'median_us') : null;
  if (!parsed) return { error: describeFailure(argv, r), command: argv };
  return { ...parsed, command: argv };
}

// One fork-cost mode in every environment; a cell's figure is the median of its runs' medians.
function measureForkMode(envs, m, opts) {
  const { mode } = m;
  const cells = rounds(envs, opts.forkReps, opts.forkReps, (env) => forkRun(env, mode, forkIters(m, opts)));
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    const runs = c.runs.map(({ command, ...rest }) => rest);
    out[env.name] = c.error || !c.runs.length ? { error: c.error ?? 'no runs', runs } : {
      median_us: median(c.runs.map((r) => r.median_us)),
      min_us: Math.min(...c.runs.map((r) => r.min_us)),
      mean_us: c.runs.reduce((a, r) => a + r.mean_us, 0) / c.runs.length,
      // the program's first fork (each run is a fresh instance under gramine-ts)
      first_us: median(c.runs.map((r) => r.first_us)),
      iterations: forkIters(m, opts), runs,
      command: c.runs[0].command.join(' '),
    };
  }
  return out;
}

// Shown in place of the script in error messages and commands printed (the JSON has it in full).
const SCRIPT_SHOWN = `'<script>'`;
const showArgv = (argv) => argv.map((a) => (a.startsWith('for i in') ? SCRIPT_SHOWN : a));

function scriptRun(env, iterations) {
  const argv = env.wrap([BASH, '-c', script(iterations)]);
  const { r, ms } = timedRun(argv, SCRIPT_TIMEOUT_MS);
  const last = (r.stdout ?? '').trim().split('\n').pop();
  if (r.status !== 0) return { error: describeFailure(showArgv(argv), r) };
  if (last !== scriptExpect(iterations)) {
    return { error: `${showArgv(argv).join(' ')}: printed ${JSON.stringify(last)} last, expected ${scriptExpect(iterations)}` };
  }
  return { ms };
}

// The bash script in every environment, whole-run wall time; a cell's figure is the median.
function measureScript(envs, opts) {
  const cells = rounds(envs, opts.scriptReps, opts.scriptPeerReps,
    (env) => scriptRun(env, SCRIPT_ITERS), (env) => scriptRun(env, SCRIPT_WARMUP_ITERS));
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    const times = c.runs.map((r) => r.ms);
    out[env.name] = c.error || !times.length ? { error: c.error ?? 'no runs', times_ms: times } : {
      median_ms: median(times), min_ms: Math.min(...times), times_ms: times,
      command: showArgv(env.wrap([BASH, '-c', script(SCRIPT_ITERS)])).join(' '),
    };
  }
  return out;
}

// One run of `argv` under `gramine-ts run --leader-log`: the forks it made (FORKED lines),
// the Node processes (workers) the leader started (its closing "(N workers started)" line), and
// when each new worker first reported ready (by its pid: a worker says WORKER_READY again each
// time it is free), to tell the pool's warm-up from the steady state.
function countWorkers(workload, argv, expectForks, check) {
  const full = [GRAMINE, 'run', '--leader-log', ...argv];
  const command = showArgv(full).join(' ');
  const { r, ms } = timedRun(full, SCRIPT_TIMEOUT_MS, 256 << 20); // about 1 MB of log per 1000 forks
  if (r.status !== 0) return { workload, command, error: describeFailure(showArgv(full), r) };
  const bad = check(r.stdout ?? '');
  if (bad) return { workload, command, error: `${command}: ${bad}` };
  let forks = 0;
  let started = null;
  const readyAt = []; // for each new worker: the forks requested before it was ready
  const seen = new Set(); // workers that have said WORKER_READY (they say it again when free)
  for (const line of (r.stderr ?? '').split('\n')) {
    if (/→ leader\s+FORKED\b/.test(line)) forks++;
    else {
      const ready = /→ leader\s+WORKER_READY workerPid=(\d+)/.exec(line);
      if (ready && !seen.has(ready[1])) {
        seen.add(ready[1]);
        readyAt.push(forks);
      }
    }
    const m = /\((\d+) workers started\)/.exec(line);
    if (m) started = Number(m[1]);
  }
  if (started === null) return { workload, command, error: `${command}: no "(N workers started)" line in the leader log` };
  if (forks === 0) return { workload, command, error: `${command}: no FORKED lines in the leader log` };
  const steadyForks = forks - STEADY_AFTER_FORKS;
  const steadyWorkers = readyAt.filter((f) => f >= STEADY_AFTER_FORKS).length;
  return {
    workload, command, wall_ms: ms, forks, expected_forks: expectForks,
    ...(forks !== expectForks ? { note: `${workload}: ${forks} FORKED lines in the leader log, ${expectForks} forks expected` } : {}),
    workers_started: started,
    per_100_forks: (100 * started) / forks,
    new_workers_ready_after_forks: readyAt,
    steady: steadyForks > 0 ? {
      after_forks: STEADY_AFTER_FORKS, forks: steadyForks, workers: steadyWorkers,
      per_100_forks: (100 * steadyWorkers) / steadyForks,
    } : null,
  };
}

function measureWorkers() {
  const iters = WORKER_COUNT_FORK_ITERS;
  return [
    countWorkers(`bash script (${SCRIPT_ITERS} iterations)`, [BASH, '-c', script(SCRIPT_ITERS)], SCRIPT_FORKS, (out) => {
      const last = out.trim().split('\n').pop();
      return last === scriptExpect(SCRIPT_ITERS) ? null : `printed ${JSON.stringify(last)} last, expected ${scriptExpect(SCRIPT_ITERS)}`;
    }),
    countWorkers(`fork-cost fork-exit ${iters}`, [FORK_PROG, 'fork-exit', String(iters)], iters + 1, (out) => (
      parseKv(out, 'median_us') ? null : `no figures printed: ${JSON.stringify(out.trim().slice(0, 200))}`)),
  ];
}

// ---------------------------------------------------------------------------------- file systems

// The environments of the file-system benchmarks: native and gramine-ts (the default instance
// mounts the host's temporary directory read-write at the same path, so the same scratch path
// works in both), and gramine-ts without its kernel boundary with --sandbox-cost.
function fsEnvs(envs) {
  return envs.filter((e) => e.name === 'native' || e.name === 'gramine-ts' || e.name === 'gramine-ts-nosandbox');
}

// One run of a file-system benchmark program in a fresh scratch directory, removed afterwards
// (also when the program failed or was killed halfway); the parsed key=value line, or an error.
// The directory's mode is `mode`: 0755 by default, as a project's directory usually is (a
// root instance's app processes are not host root: below a directory only root may search,
// mode 0700 as mkdtemp makes it, every lookup is the worker's -- measured too, apart).
function fsRun(env, prog, args, key, mode = 0o755) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gramine-ts-bench-'));
  fs.chmodSync(dir, mode);
  const argv = env.wrap([prog, dir, ...args.map(String)]);
  try {
    const r = run(argv, FS_TIMEOUT_MS);
    const parsed = r.status === 0 ? parseKv(r.stdout, key) : null;
    if (!parsed) return { error: describeFailure(argv, r), command: argv };
    const left = fs.readdirSync(dir);
    if (left.length) return { error: `${argv.join(' ')}: left ${left.length} file(s) behind in its scratch directory`, command: argv };
    return { ...parsed, command: argv };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

// stat-storm in every environment, `statReps` rounds; a cell's figure is the median of its
// runs' medians (ns per stat).
function measureStat(envs, opts, mode = 0o755) {
  const cells = rounds(envs, opts.statReps, opts.statReps,
    (env) => fsRun(env, STAT_PROG, [opts.statFiles, STAT_ROUNDS], 'median_ns', mode));
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    const runs = c.runs.map(({ command, ...rest }) => rest);
    out[env.name] = c.error || !c.runs.length ? { error: c.error ?? 'no runs', runs } : {
      median_ns: median(c.runs.map((r) => r.median_ns)),
      min_ns: Math.min(...c.runs.map((r) => r.min_ns)),
      files: opts.statFiles, rounds: STAT_ROUNDS, runs,
      command: c.runs[0].command.join(' '),
    };
  }
  return out;
}

// bulk-io in every environment, `bulkReps` rounds; a cell's figures are the medians of its runs'
// write and read throughputs (MiB/s) and times (ms).
function measureBulk(envs, opts) {
  const cells = rounds(envs, opts.bulkReps, opts.bulkReps, (env) => fsRun(env, BULK_PROG, [opts.bulkMib], 'write_mibs'));
  const out = {};
  for (const env of envs) {
    const c = cells.get(env.name);
    const runs = c.runs.map(({ command, ...rest }) => rest);
    const med = (k) => median(c.runs.map((r) => r[k]));
    out[env.name] = c.error || !c.runs.length ? { error: c.error ?? 'no runs', runs } : {
      write_mibs: med('write_mibs'), read_mibs: med('read_mibs'), write_ms: med('write_ms'), read_ms: med('read_ms'),
      mib: opts.bulkMib, runs,
      command: c.runs[0].command.join(' '),
    };
  }
  return out;
}

// ---------------------------------------------------------------------------------- report

/** How bench/modes.js builds a program of bench/programs (with `cflags`), runs it in an environment and logs. */
function modeRunner(cflags = []) {
  return {
    build: (src, name) => {
      const prog = path.join(BENCH, 'programs', 'build', name);
      buildProgram(path.join(BENCH, 'programs', src), prog, cflags);
      return prog;
    },
    run: (env, argv) => {
      const full = env.wrap(argv);
      const r = run(full);
      return r.status === 0 ? r.stdout : { error: describeFailure(full, r) };
    },
    log: (what) => process.stderr.write(`bench:   ${what}\n`),
  };
}

/** Table rows of a bench/modes.js measurement: mode, what, each environment's median, each one's ratio to native. */
function modeRows(measured, modes, names) {
  return modes.map(([mode, what]) => {
    const cells = measured[mode].results;
    return [mode, what, ...names.map((n) => (cells[n].error ? 'FAILED' : fmtNs(cells[n].median))),
      ...names.filter((n) => n !== 'native').map((n) => (cells[n].error || cells.native.error ? '-' : fmtRatio(cells[n].median / cells.native.median)))];
  });
}

function fmtNs(ns) {
  if (!Number.isFinite(ns)) return '-';
  if (ns >= 1e9) return `${(ns / 1e9).toFixed(2)} s`;
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

async function main() {
  const opts = parseArgs(process.argv.slice(2));
  const started = Date.now();
  // progress on stderr, and the seconds each part took (in the JSON: to keep the run short)
  const phases = {};
  let current = null;
  const phase = (name, what = name) => {
    const now = Date.now();
    if (current) phases[current.name] = (now - current.t0) / 1e3;
    current = name ? { name, t0: now } : null;
    if (name) process.stderr.write(`bench: [${((now - started) / 1e3).toFixed(0)} s] ${what} ...\n`);
  };
  checkGramineBuilt();
  buildProgram(PROG_SRC, PROG);
  buildProgram(FORK_SRC, FORK_PROG);
  buildProgram(STAT_SRC, STAT_PROG);
  buildProgram(BULK_SRC, BULK_PROG);
  const { envs, notes } = environments(opts);
  const stale = staleBuildNote();
  if (stale) {
    notes.unshift(stale);
    process.stderr.write(`bench: warning: ${stale}\n`);
  }

  // 1. syscall cost
  const syscalls = {};
  if (opts.syscall) {
    for (const { mode } of MODES) {
      phase(`syscall-cost ${mode}`, `syscall-cost ${mode} (${envs.map((e) => e.name).join(', ')})`);
      syscalls[mode] = measureMode(envs, mode, opts.reps);
    }
  }

  // 2. startup-to-exit
  let startup = null;
  if (opts.startup) {
    phase('startup', `startup-to-exit of ${TRUE} (${opts.runs} runs each)`);
    startup = measureStartup(envs, opts);
  }

  // 3. process creation, 4. Node processes per fork
  const penvs = processEnvs(envs);
  const pnames = penvs.map((e) => e.name);
  let forks = null;
  let bashScript = null;
  let makeJ2 = null;
  let workers = null;
  let forkCpu = null;
  let pss = null;
  if (opts.mp) {
    forks = {};
    for (const m of FORK_MODES) {
      phase(`fork-cost ${m.mode}`, `fork-cost ${m.mode} (${pnames.join(', ')}; ${opts.forkReps} x ${forkIters(m, opts)} iterations)`);
      forks[m.mode] = measureForkMode(penvs, m, opts);
    }
    const peerNote = penvs.some((e) => e.peer) ? `, peers ${Math.min(opts.scriptPeerReps, opts.scriptReps)}` : '';
    phase('bash script', `bash script (${pnames.join(', ')}; ${opts.scriptReps} round(s)${peerNote})`);
    bashScript = measureScript(penvs, opts);
    phase('make -j2', `make -j2 of 20 C files (${pnames.join(', ')}; ${opts.scriptReps} round(s)${peerNote})`);
    makeJ2 = measureMake(penvs, {
      reps: opts.scriptReps, peerReps: opts.scriptPeerReps, rounds, timedRun, describeFailure,
      scratch: (env) => (env.name === 'runsc' ? path.join(BENCH, 'results') : os.tmpdir()),
    });
    phase('workers per fork', 'workers started per fork (gramine-ts --leader-log)');
    workers = measureWorkers();
    phase('cpu by process', `CPU of a fork by process (native, gramine-ts --cpu-report; ${CPU_FORK_ITERS} and ${2 * CPU_FORK_ITERS} iterations)`);
    forkCpu = measureForkCpu({
      gramine: GRAMINE, forkProg: FORK_PROG, modes: ['fork-exit', 'fork-exec'], iterations: CPU_FORK_ITERS,
      run: (argv) => timedRun(argv, SCRIPT_TIMEOUT_MS), describeFailure,
    });
    phase('pss', 'memory of an idle instance (PSS of a shell and four children)');
    pss = await measurePss(GRAMINE);
  }

  // 5. file systems
  const fenvs = fsEnvs(envs);
  const fnames = fenvs.map((e) => e.name);
  let statStorm = null;
  let statStormPrivate = null;
  let bulk = null;
  if (opts.stat) {
    phase('stat storm', `stat storm (${fnames.join(', ')}; ${opts.statReps} run(s) of ${opts.statFiles} files x ${STAT_ROUNDS} rounds)`);
    statStorm = measureStat(fenvs, opts);
    phase('stat storm', 'stat storm in a directory of mode 0700 (the same)');
    statStormPrivate = measureStat(fenvs, opts, 0o700);
  }
  if (opts.bulk) {
    phase('bulk io', `bulk I/O (${fnames.join(', ')}; ${opts.bulkReps} run(s) of ${opts.bulkMib} MiB)`);
    bulk = measureBulk(fenvs, opts);
  }

  // 6. networking
  const nenvs = processEnvs(envs);
  let network = null;
  if (opts.net) {
    phase('net', `networking (${nenvs.map((e) => e.name).join(', ')}; ${opts.netReps} round(s), wrk runs of ${opts.netSeconds} s)`);
    network = await measureNet(nenvs, {
      seconds: opts.netSeconds, reps: opts.netReps, peerReps: opts.netPeerReps, streamMib: opts.streamMib, which,
      build: (src, name) => {
        const prog = path.join(BENCH, 'programs', 'build', name);
        buildProgram(path.join(BENCH, 'programs', src), prog);
        return prog;
      },
      log: (what) => process.stderr.write(`bench:   ${what}\n`),
    });
    notes.push(...network.notes);
  }

  // 7. threads
  let threads = null;
  if (opts.threads) {
    phase('threads', `threads (${nenvs.map((e) => e.name).join(', ')}; ${opts.threadReps} round(s))`);
    threads = measureThreads(nenvs, { reps: opts.threadReps, ...modeRunner(['-pthread']) });
  }

  // 8. locks
  let locks = null;
  if (opts.locks) {
    phase('locks', `locks (${nenvs.map((e) => e.name).join(', ')}; ${opts.lockReps} round(s))`);
    locks = measureLocks(nenvs, { reps: opts.lockReps, ...modeRunner() });
  }
  phase(null);

  // tables
  const names = envs.map((e) => e.name);
  const others = names.filter((n) => n !== 'native');
  const out = [];
  out.push(`gramine-ts benchmarks  (${new Date().toISOString()}, ${os.cpus().length} CPUs, ${os.cpus()[0]?.model ?? '?'}, node ${process.version})`);
  out.push('');
  if (opts.syscall) {
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
  }

  const natStart = startup?.results.find((r) => r.name === 'native')?.median_ms;
  const nodeStart = startup?.results.find((r) => r.name === 'node -e 0')?.median_ms;
  if (opts.startup) {
    out.push(`2. Startup-to-exit of ${TRUE}: median of ${opts.runs} runs (${startup.tool}); ratio = / native`);
    out.push(table(['command', 'median', 'min', '/native', 'vs node -e 0'], startup.results.map((r) => (r.error
      ? [r.name, 'FAILED', '-', '-', '-']
      : [r.name, `${r.median_ms.toFixed(1)} ms`, `${r.min_ms.toFixed(1)} ms`, fmtRatio(r.median_ms / natStart),
        `${r.median_ms - nodeStart >= 0 ? '+' : ''}${(r.median_ms - nodeStart).toFixed(1)} ms`]))));
    out.push('');
  }

  const pothers = pnames.filter((n) => n !== 'native');
  if (opts.mp) {
    const peerRounds = Math.min(opts.scriptPeerReps, opts.scriptReps);
    const hasPeers = penvs.some((e) => e.peer);
    out.push(`3. Process creation: fork-cost per-iteration median (median of ${opts.forkReps} run(s) of ${opts.forkIters}, a burst's of fewer); `
      + `bash script whole-run wall time (median of ${opts.scriptReps} run(s)${hasPeers ? `, peers ${peerRounds}` : ''}); ratio = env / native`);
    const row = (name, what, cells, key, scale) => {
      const nat = cells.native && !cells.native.error ? cells.native[key] : NaN;
      return [name, what,
        ...pnames.map((n) => (cells[n].error ? 'FAILED' : fmtNs(cells[n][key] * scale))),
        ...pothers.map((n) => (cells[n].error ? '-' : fmtRatio(cells[n][key] / nat)))];
    };
    out.push(table(['case', 'what', ...pnames, ...pothers.map((n) => `${n}/nat`)], [
      ...FORK_MODES.map(({ mode, what }) => row(mode, what, forks[mode], 'median_us', 1e3)),
      row('first fork', 'fork-exec: the program\'s first iteration', forks['fork-exec'], 'first_us', 1e3),
      row('bash script', `${SCRIPT_ITERS} x (x=$(echo | tr); echo | cat), whole run`, bashScript, 'median_ms', 1e6),
      row('make -j2', '20 C files compiled (gcc -O1) and linked, whole run', makeJ2, 'median_ms', 1e6),
    ], 2));
    out.push('');

    out.push(`4. Node processes started by gramine-ts per 100 forks (one run each with --leader-log; steady = after the first ${STEADY_AFTER_FORKS} forks)`);
    out.push(table(['workload', 'forks', 'workers started', 'per 100 forks', 'steady: workers / forks', 'steady per 100', 'wall'],
      workers.map((w) => (w.error ? [w.workload, 'FAILED', '-', '-', '-', '-', '-'] : [
        w.workload, String(w.forks), String(w.workers_started), w.per_100_forks.toFixed(2),
        w.steady ? `${w.steady.workers} / ${w.steady.forks}` : '-', w.steady ? w.steady.per_100_forks.toFixed(2) : '-',
        fmtNs(w.wall_ms * 1e6),
      ]))));
    out.push('');

    out.push(`CPU of one iteration by process (ms; runs of ${CPU_FORK_ITERS} and ${2 * CPU_FORK_ITERS} iterations, the difference; natively: all the processes)`);
    out.push(table(FORK_CPU_HEADERS, forkCpuRows(forkCpu, (ms) => ms.toFixed(2))));
    out.push('');
    out.push(`Memory of an idle instance: a shell and four sleeping children (PSS, MiB)`);
    out.push(table(['environment', 'leader', 'workers', 'app processes', 'total', 'per app process'],
      Object.entries(pss).map(([n, c]) => (c.error ? [n, 'FAILED', '-', '-', '-', '-'] : [
        n, (c.pss_kib.leader / 1024).toFixed(1), `${(c.pss_kib.workers / 1024).toFixed(1)} (${c.workers})`,
        (c.pss_kib.apps / 1024).toFixed(1), (c.pss_kib.total / 1024).toFixed(1), c.per_app_mib.toFixed(1),
      ]))));
    out.push('');
  }

  // ratios of the file-system figures: gramine-ts over native, as times (a throughput's inverse)
  const fsRatio = (cells, key, higherIsBetter = false) => {
    const g = cells?.['gramine-ts'];
    const n = cells?.native;
    if (!g || !n || g.error || n.error) return null;
    return higherIsBetter ? n[key] / g[key] : g[key] / n[key];
  };
  if (opts.stat || opts.bulk) {
    const fothers = fnames.filter((n) => n !== 'native');
    const rows = [];
    if (opts.stat) {
      for (const [name, what, cells] of [
        ['stat storm', `stat() of ${opts.statFiles} files (per stat, median of ${opts.statReps} run(s))`, statStorm],
        ['... 0700', 'the same in a directory of mode 0700 (run as root: the worker\'s)', statStormPrivate],
      ]) {
        rows.push([name, what,
          ...fnames.map((n) => (cells[n].error ? 'FAILED' : fmtNs(cells[n].median_ns))),
          ...fothers.map((n) => (cells[n].error || cells.native.error ? '-' : fmtRatio(cells[n].median_ns / cells.native.median_ns)))]);
      }
    }
    if (opts.bulk) {
      const mibs = (v) => `${v.toFixed(0)} MiB/s`;
      for (const [key, what] of [['write_mibs', `write ${opts.bulkMib} MiB in 1 MiB writes + fsync`], ['read_mibs', `read ${opts.bulkMib} MiB back in 1 MiB reads (cached)`]]) {
        rows.push([`bulk ${key.replace('_mibs', '')}`, what,
          ...fnames.map((n) => (bulk[n].error ? 'FAILED' : mibs(bulk[n][key]))),
          ...fothers.map((n) => (bulk[n].error || bulk.native.error ? '-' : fmtRatio(bulk.native[key] / bulk[n][key])))]);
      }
    }
    out.push(`5. File systems, in a scratch dir under ${os.tmpdir()}: stat storm, ns per stat; bulk I/O, MiB/s (median of the runs); `
      + 'ratio = time under env / time native');
    out.push(table(['case', 'what', ...fnames, ...fothers.map((n) => `${n}/nat`)], rows, 2));
    out.push('');
  }

  if (opts.net) {
    const nnames = nenvs.map((e) => e.name);
    const nothers = nnames.filter((n) => n !== 'native');
    const cell = (c, fmt) => (!c || c.error ? (c?.error ? 'FAILED' : '-') : fmt(c));
    const ratio = (cells, key, inverse = false) => (n) => {
      const g = cells[n];
      const nat = cells.native;
      if (!g || g.error || !nat || nat.error) return '-';
      return fmtRatio(inverse ? nat[key] / g[key] : g[key] / nat[key]);
    };
    const rows = [];
    for (const c of network.nginx ?? []) {
      const what = `${c.workers} worker${c.workers > 1 ? 's' : ''}, ${c.keepalive ? 'keep-alive' : 'close'}`;
      rows.push([`nginx ${what}`, 'requests/s', ...nnames.map((n) => cell(c.results[n], (x) => x.rps.toFixed(0))), ...nothers.map(ratio(c.results, 'rps'))]);
      rows.push(['', 'p50 / p99 latency', ...nnames.map((n) => cell(c.results[n], (x) => `${x.p50_ms.toFixed(2)} / ${x.p99_ms.toFixed(2)} ms`)),
        ...nothers.map(ratio(c.results, 'p99_ms'))]);
      rows.push(['', 'socket errors, non-2xx', ...nnames.map((n) => cell(c.results[n], (x) => `${x.socket_errors}, ${x.non_2xx}`)), ...nothers.map(() => '')]);
    }
    const rr = network.echo.rr.results;
    rows.push(['tcp-echo rr', '64 B round trip', ...nnames.map((n) => cell(rr[n], (x) => fmtNs(x.median))), ...nothers.map(ratio(rr, 'median'))]);
    const st = network.echo.stream.results;
    rows.push(['tcp-echo stream', `${opts.streamMib} MiB one way`, ...nnames.map((n) => cell(st[n], (x) => `${x.median.toFixed(0)} MiB/s`)),
      ...nothers.map(ratio(st, 'median'))]);
    const uc = network.unixConnect.results;
    rows.push(['unix-connect', 'connect by path', ...nnames.map((n) => cell(uc[n], (x) => fmtNs(x.median))), ...nothers.map(ratio(uc, 'median'))]);
    out.push(`6. Networking: nginx under wrk -t2 -c32 for ${opts.netSeconds} s (median of ${opts.netReps} round(s), the peers ${Math.min(opts.netPeerReps, opts.netReps)}); tcp-echo; `
      + 'unix-connect (native, gramine-ts); ratio = env / native (requests/s and MiB/s: higher is better)');
    out.push(table(['case', 'figure', ...nnames, ...nothers.map((n) => `${n}/nat`)], rows, 2));
    out.push('');
  }

  if (opts.threads) {
    const tnames = nenvs.map((e) => e.name);
    const tothers = tnames.filter((n) => n !== 'native');
    const rows = modeRows(threads, [['create', 'pthread_create + join'], ['pingpong', 'mutex/condvar round trip']], tnames);
    out.push(`7. Threads: bench/programs/thread-cost.c, median over batches of 100 (median of ${opts.threadReps} round(s)); ratio = env / native`);
    out.push(table(['mode', 'what', ...tnames, ...tothers.map((n) => `${n}/nat`)], rows, 2));
    out.push('');
  }

  if (opts.locks) {
    const lnames = nenvs.map((e) => e.name);
    const lothers = lnames.filter((n) => n !== 'native');
    const rows = modeRows(locks, LOCK_MODES, lnames);
    out.push(`8. Locks: bench/programs/lock-cost.c, median over batches of 100 (median of ${opts.lockReps} round(s)); ratio = env / native`);
    out.push(table(['mode', 'what', ...lnames, ...lothers.map((n) => `${n}/nat`)], rows, 2));
    out.push('');
  }

  // targets: checked on gramine-ts as it runs by default; the one-CPU figures are for information
  const nativeNs = (mode) => syscalls[mode].native?.median_ns;
  const check = (env) => {
    const c = (mode) => (syscalls[mode]?.[env] && !syscalls[mode][env].error ? syscalls[mode][env].median_ns : null);
    const st = startup?.results.find((r) => r.name === env);
    const signed = (v) => `${v >= 0 ? '+' : ''}${v.toFixed(1)} ms`;
    return [
      {
        id: 'read_ratio', section: 'syscall', name: `read under gramine-ts <= ${TARGETS.readRatio}x native`,
        value: c('read') === null ? null : c('read') / nativeNs('read'), limit: TARGETS.readRatio, show: fmtRatio,
      },
      {
        id: 'stubcall_ns', section: 'syscall', name: `stub-local trapped call (stubcall) < ${TARGETS.stubcallNs / 1e3} us`,
        value: c('stubcall'), limit: TARGETS.stubcallNs, strict: true, show: fmtNs,
      },
      {
        id: 'getppid_ns', section: 'syscall', name: `worker round trip (getppid) < ${TARGETS.getppidNs / 1e3} us`,
        value: c('getppid'), limit: TARGETS.getppidNs, strict: true, show: fmtNs,
      },
      {
        id: 'startup_minus_node_ms', section: 'startup', name: `gramine-ts ${TRUE} <= node -e 0 + ${TARGETS.startupExtraMs} ms`,
        value: !st || st.error || !Number.isFinite(nodeStart) ? null : st.median_ms - nodeStart,
        limit: TARGETS.startupExtraMs, show: signed,
      },
    ].filter((t) => opts[t.section]).map(({ section, ...t }) => ({
      ...t, pass: t.value === null ? null : t.strict ? t.value < t.limit : t.value <= t.limit,
    }));
  };
  // the multi-process targets, on gramine-ts only (see processEnvs for why not on one CPU)
  const mpTargets = () => {
    if (!opts.mp) return [];
    const ratio = (cells, key) => (cells['gramine-ts']?.error || cells.native?.error ? null
      : cells['gramine-ts'][key] / cells.native[key]);
    return [
      {
        id: 'fork_exit_ratio', name: `fork+exit+wait under gramine-ts <= ${TARGETS.forkExitRatio}x native`,
        value: ratio(forks['fork-exit'], 'median_us'), limit: TARGETS.forkExitRatio, show: fmtRatio,
      },
      {
        id: 'fork_exec_ratio', name: `fork+exec+wait under gramine-ts <= ${TARGETS.forkExecRatio}x native`,
        value: ratio(forks['fork-exec'], 'median_us'), limit: TARGETS.forkExecRatio, show: fmtRatio,
      },
      {
        id: 'first_fork_ratio', name: 'the first fork+exec+wait under gramine-ts <= a later one (its median)',
        value: forks['fork-exec']['gramine-ts']?.error ? null : forks['fork-exec']['gramine-ts'].first_us / forks['fork-exec']['gramine-ts'].median_us,
        limit: 1, show: fmtRatio,
      },
      {
        id: 'burst32_ratio', name: `32 concurrent fork+exec under gramine-ts <= ${TARGETS.burst32Ratio}x native`,
        value: ratio(forks['burst-32'], 'median_us'), limit: TARGETS.burst32Ratio, show: fmtRatio,
      },
      {
        id: 'bash_script_ratio', name: `bash script under gramine-ts <= ${TARGETS.scriptRatio}x native`,
        value: ratio(bashScript, 'median_ms'), limit: TARGETS.scriptRatio, show: fmtRatio,
      },
      {
        id: 'make_j2_ratio', name: `make -j2 of 20 C files under gramine-ts <= ${MAKE_TARGET_RATIO}x native`,
        value: ratio(makeJ2, 'median_ms'), limit: MAKE_TARGET_RATIO, show: fmtRatio,
      },
      {
        id: 'idle_pss_per_app', name: `PSS of an idle instance per app process <= ${PSS_TARGET_MIB} MiB`,
        value: pss['gramine-ts'].error ? null : pss['gramine-ts'].per_app_mib, limit: PSS_TARGET_MIB, show: (v) => `${v.toFixed(1)} MiB`,
      },
      ...workers.map((w, i) => ({
        id: `workers_per_100_forks_${['bash_script', 'fork_exit'][i]}`,
        name: `workers started per 100 forks <= ${TARGETS.workersPer100Forks}: ${w.workload}`,
        value: w.error ? null : w.per_100_forks, limit: TARGETS.workersPer100Forks, show: (v) => v.toFixed(2),
      })),
    ].map((t) => ({ ...t, pass: t.value === null ? null : t.value <= t.limit }));
  };
  // the file-system targets, on gramine-ts (time ratios: a throughput's inverse)
  const fsTargets = () => [
    ...(opts.stat ? [{
      id: 'stat_storm_ratio', name: `stat storm (${opts.statFiles} files) under gramine-ts <= ${TARGETS.statStormRatio}x native`,
      value: fsRatio(statStorm, 'median_ns'), limit: TARGETS.statStormRatio, show: fmtRatio,
    }] : []),
    ...(opts.bulk ? [{
      id: 'bulk_write_ratio', name: `bulk write (${opts.bulkMib} MiB + fsync) under gramine-ts <= ${TARGETS.bulkRatio}x native time`,
      value: fsRatio(bulk, 'write_mibs', true), limit: TARGETS.bulkRatio, show: fmtRatio,
    }, {
      id: 'bulk_read_ratio', name: `bulk read (${opts.bulkMib} MiB) under gramine-ts <= ${TARGETS.bulkRatio}x native time`,
      value: fsRatio(bulk, 'read_mibs', true), limit: TARGETS.bulkRatio, show: fmtRatio,
    }] : []),
  ].map((t) => ({ ...t, pass: t.value === null ? null : t.value <= t.limit }));
  const verdict = (t) => (t.pass === null ? 'NO DATA' : t.pass ? 'PASS' : 'FAIL');
  const targets = [...check('gramine-ts'), ...mpTargets(), ...fsTargets(),
    ...(opts.net ? netTargets(network).map((t) => ({ ...t, show: t.id === 'nginx4_ahead_of_peers' ? (v) => (v ? 'yes' : 'no') : t.id === 'nginx4_socket_errors' ? String : fmtRatio })) : []),
    ...(opts.threads ? threadTargets(threads).map((t) => ({ ...t, show: fmtRatio })) : []),
    ...(opts.locks ? lockTargets(locks).map((t) => ({ ...t, show: fmtRatio })) : [])];
  const pinned = names.includes(PINNED) && (opts.syscall || opts.startup) ? check(PINNED) : null;
  out.push(`9. Targets, checked on gramine-ts${pinned ? ` (${PINNED}: the same on one CPU, for information)` : ''}`);
  out.push(table(['target', 'measured', 'result', ...(pinned ? [PINNED, ''] : [])], targets.map((t, i) => [
    t.name, t.value === null ? '-' : t.show(t.value), verdict(t),
    ...(pinned ? (pinned[i] ? [pinned[i].value === null ? '-' : pinned[i].show(pinned[i].value), `(${verdict(pinned[i])})`] : ['', '']) : []),
  ])));

  const failures = [];
  if (opts.syscall) {
    for (const { mode } of MODES) {
      for (const n of names) if (syscalls[mode][n].error) failures.push(`syscall-cost ${mode} under ${n}: ${syscalls[mode][n].error}`);
    }
  } else notes.push('per-call cost skipped (--only)');
  if (opts.startup) {
    for (const r of startup.results) if (r.error) failures.push(`startup ${r.name}: ${r.error}`);
    if (process.env.NODE_EXTRA_CA_CERTS) {
      notes.push(`NODE_EXTRA_CA_CERTS is set: \`node -e 0\` reads ${process.env.NODE_EXTRA_CA_CERTS} as it starts (see '${NODE_NO_EXTRA_CA}'); gramine-ts's Nodes do not`);
    }
  } else notes.push('startup-to-exit skipped (--only)');
  if (opts.mp) {
    for (const { mode } of FORK_MODES) {
      for (const n of pnames) if (forks[mode][n].error) failures.push(`fork-cost ${mode} under ${n}: ${forks[mode][n].error}`);
    }
    for (const n of pnames) if (bashScript[n].error) failures.push(`bash script under ${n}: ${bashScript[n].error}`);
    for (const n of pnames) if (makeJ2[n].error) failures.push(`make -j2 under ${n}: ${makeJ2[n].error}`);
    for (const w of workers) {
      if (w.error) failures.push(`workers per fork, ${w.workload}, under gramine-ts: ${w.error}`);
      else if (w.note) notes.push(w.note);
    }
    for (const [mode, c] of Object.entries(forkCpu)) if (c.error) failures.push(`CPU by process, fork-cost ${mode}, under gramine-ts: ${c.error}`);
    for (const [n, c] of Object.entries(pss)) if (c.error) failures.push(`idle PSS under ${n}: ${c.error}`);
  } else notes.push(`multi-process benchmarks skipped (${opts.only ? '--only' : '--no-mp'})`);
  for (const [what, cells, on] of [['stat-storm', statStorm, opts.stat], ['bulk-io', bulk, opts.bulk]]) {
    if (on) {
      for (const n of fnames) if (cells[n].error) failures.push(`${what} under ${n}: ${cells[n].error}`);
    } else notes.push(`${what} skipped (${opts.fs ? '--only' : '--no-fs'})`);
  }
  if (opts.net) {
    for (const c of network.nginx ?? []) {
      for (const n of Object.keys(c.results)) if (c.results[n].error) failures.push(`nginx ${c.workers} worker(s) under ${n}: ${c.results[n].error}`);
    }
    for (const [what, cells] of [['tcp-echo rr', network.echo.rr.results], ['tcp-echo stream', network.echo.stream.results], ['unix-connect', network.unixConnect.results]]) {
      for (const n of Object.keys(cells)) if (cells[n].error) failures.push(`${what} under ${n}: ${cells[n].error}`);
    }
  } else notes.push(`network benchmarks skipped (${opts.only ? '--only' : '--no-net'})`);
  if (opts.threads) {
    for (const mode of ['create', 'pingpong']) {
      for (const [n, c] of Object.entries(threads[mode].results)) if (c.error) failures.push(`thread-cost ${mode} under ${n}: ${c.error}`);
    }
  } else notes.push(`thread benchmarks skipped (${opts.only ? '--only' : '--no-threads'})`);
  if (opts.locks) {
    for (const [mode] of LOCK_MODES) {
      for (const [n, c] of Object.entries(locks[mode].results)) if (c.error) failures.push(`lock-cost ${mode} under ${n}: ${c.error}`);
    }
  } else notes.push(`lock benchmarks skipped (${opts.only ? '--only' : '--no-locks'})`);
  const allNotes = [...notes, ...(startup?.note ? [startup.note] : []), ...failures];
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
    phases_s: phases,
    syscall_cost: opts.syscall ? { batch: BATCH, modes: MODES, results: syscalls } : null,
    startup,
    processes: opts.mp ? {
      note: `${PINNED} is not run here: gramine-ts pins each forked process to a CPU itself`,
      fork_cost: { iterations: opts.forkIters, reps: opts.forkReps, unit: 'us per iteration', modes: FORK_MODES, results: forks },
      bash_script: {
        shell: BASH, script: script(SCRIPT_ITERS), iterations: SCRIPT_ITERS, reps: opts.scriptReps,
        peer_reps: Math.min(opts.scriptPeerReps, opts.scriptReps), warmup_iterations: SCRIPT_WARMUP_ITERS,
        unit: 'ms per whole run', results: bashScript,
      },
      make_j2: { files: 20, reps: opts.scriptReps, unit: 'ms per whole run (a fresh project each run)', results: makeJ2 },
      workers_per_fork: { steady_after_forks: STEADY_AFTER_FORKS, results: workers },
      cpu_by_process: { unit: 'ms of CPU per iteration', results: forkCpu },
      idle_pss: { script: 'a shell and four children sleeping', unit: 'KiB', results: pss },
    } : null,
    file_systems: opts.stat || opts.bulk ? {
      environments: fnames,
      scratch_parent: os.tmpdir(),
      stat_storm: opts.stat ? {
        files: opts.statFiles, rounds: STAT_ROUNDS, reps: opts.statReps, unit: 'ns per stat', results: statStorm, resultsMode0700: statStormPrivate,
      } : null,
      bulk_io: opts.bulk ? {
        mib: opts.bulkMib, chunk: '1 MiB', reps: opts.bulkReps, unit: 'MiB/s (write: writes + fsync; read: from the page cache)',
        results: bulk,
      } : null,
    } : null,
    network,
    threads: threads ? { reps: opts.threadReps, unit: 'ns per operation', ...threads } : null,
    locks: locks ? { reps: opts.lockReps, unit: 'ns per operation', ...locks } : null,
    targets: targets.map(({ show, ...t }) => t),
    targets_one_cpu: pinned ? pinned.map(({ show, ...t }) => t) : null,
    notes: allNotes,
  }, null, 2)}\n`);

  // a broken measurement of native or gramine-ts means the benchmark itself is broken; missed
  // targets and failing peers are reported, not errors
  const broken = failures.some((f) => / under (native|gramine-ts[\w-]*):|^startup (native|gramine-ts[\w-]*|node -e 0):/.test(f));
  process.exitCode = broken ? 1 : 0;
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
