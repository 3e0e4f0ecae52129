// Section 6 of `npm run bench` (bench/run.js): networking, natively, under gramine-ts and the
// peers, in the same run (see bench/README.md):
//   - nginx (Debian's) with 1 and 4 worker processes (master on, the default static-file setup,
//     a 1 KiB file) under `wrk -t2 -c32` on 127.0.0.1, with keep-alive and with a connection per
//     request: requests/s, p50 and p99 latency, socket errors and non-2xx answers;
//   - bench/programs/tcp-echo.c over the loopback: 64-byte request/response round trips and a
//     1 GiB one-way stream;
//   - bench/programs/unix-connect.c: a connect to a UNIX socket by path (native, gramine-ts).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { median } from './stats.js';

const BENCH = path.dirname(new URL(import.meta.url).pathname);
const PORT = 18190;
const NGINX_CONFIGS = [
  { workers: 1, keepalive: true }, { workers: 1, keepalive: false },
  { workers: 4, keepalive: true }, { workers: 4, keepalive: false },
];
const ECHO_RR_ITERS = 20000;
const UNIX_CONNECT_ITERS = 20000;
const START_TIMEOUT_MS = 30_000;
// Under gramine-ts nginx answers once its first worker does, while the Node workers of the
// others and the master's standby still boot (~0.5 s of CPU each, one after another on a loaded
// machine: 3 to 4 s after the first answer with 4 workers). Measured, that start is a p99 of 2 to
// 7x native; from 6 s on it is over: the figures are those of the running server.
const WARMUP_SECONDS = 6;

export const NET_TARGETS = {
  nginxReqRatio: 0.8, // nginx, 4 workers: requests/s under gramine-ts / native, at least
  nginxP99Ratio: 2, // ... and p99 latency, at most this times native's
  streamRatio: 0.95, // TCP stream throughput under gramine-ts / native, at least
};

/**
 * The nginx configuration of one run: `dir` holds it and html/1k.txt (read-only is enough:
 * gramine-ts's built-in manifest sees the host read-only but /tmp); what nginx writes goes to
 * /tmp, under names of its own (runsc's sandbox has a /tmp of its own, with nothing in it).
 */
function nginxConf(dir, workers) {
  const tmp = `/tmp/gramine-ts-bench-nginx-${process.pid}`;
  return `daemon off;
master_process on;
worker_processes ${workers};
pid ${tmp}.pid;
error_log stderr error;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path ${tmp}-body;
    proxy_temp_path ${tmp}-proxy;
    fastcgi_temp_path ${tmp}-fastcgi;
    uwsgi_temp_path ${tmp}-uwsgi;
    scgi_temp_path ${tmp}-scgi;
    sendfile on;
    keepalive_requests 1000000;
    server {
        listen 127.0.0.1:${PORT};
        root ${dir}/html;
    }
}
`;
}

/** Can a connection to the port be made now? */
function listening() {
  return new Promise((resolve) => {
    const s = net.connect({ host: '127.0.0.1', port: PORT }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

const pause = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Wait (polling every 50 ms) until the port is `up` or not; false on timeout. */
async function waitPort(up, timeoutMs) {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if ((await listening()) === up) return true;
    await pause(50);
  }
  return false;
}

/** wrk's text: requests/s, p50/p99 in ms, socket errors, non-2xx/3xx answers. */
function parseWrk(text) {
  const ms = (v, unit) => Number(v) * { us: 1e-3, ms: 1, s: 1e3 }[unit];
  const pct = (p) => {
    const m = new RegExp(`^\\s*${p}%\\s+([\\d.]+)(us|ms|s)\\s*$`, 'm').exec(text);
    return m ? ms(m[1], m[2]) : NaN;
  };
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(text);
  const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(text);
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(text);
  if (!rps) return null;
  return {
    rps: Number(rps[1]), p50_ms: pct(50), p99_ms: pct(99),
    socket_errors: errors ? errors.slice(1).reduce((a, b) => a + Number(b), 0) : 0,
    non_2xx: non2xx ? Number(non2xx[1]) : 0,
  };
}

/** One nginx configuration in one environment: start it, load it with wrk, stop it. */
async function nginxRun(env, nginx, wrk, dir, cfg, seconds) {
  fs.writeFileSync(path.join(dir, 'nginx.conf'), nginxConf(dir, cfg.workers));
  if (!(await waitPort(false, START_TIMEOUT_MS))) return { error: `port ${PORT} still in use before the run` };
  const argv = env.wrap([nginx, '-p', `${dir}/`, '-c', path.join(dir, 'nginx.conf')]);
  const child = spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
  let stderr = '';
  child.stderr.on('data', (b) => { stderr += b; });
  const stop = async () => {
    for (const sig of ['SIGTERM', 'SIGKILL']) {
      try {
        process.kill(-child.pid, sig);
      } catch {
        // gone
      }
      if (await waitPort(false, 5000)) break;
    }
  };
  try {
    if (!(await waitPort(true, START_TIMEOUT_MS))) return { error: `${argv.join(' ')}: never listened: ${stderr.trim().slice(-300)}`, command: argv.join(' ') };
    const wrkArgs = (secs) => ['-t2', '-c32', `-d${secs}s`, '--latency', ...(cfg.keepalive ? [] : ['-H', 'Connection: close']),
      `http://127.0.0.1:${PORT}/1k.txt`];
    // a warm-up first, not counted: the server is up once its workers are (WARMUP_SECONDS)
    spawnSync(wrk, wrkArgs(WARMUP_SECONDS), { timeout: (WARMUP_SECONDS + 30) * 1000 });
    const r = spawnSync(wrk, wrkArgs(seconds), { encoding: 'utf8', timeout: (seconds + 30) * 1000 });
    const parsed = r.status === 0 ? parseWrk(r.stdout) : null;
    if (!parsed) return { error: `wrk ${wrkArgs(seconds).join(' ')}: ${r.error?.message ?? `status ${r.status}`} ${(r.stderr ?? '').trim()}`, command: argv.join(' ') };
    return { ...parsed, command: argv.join(' '), wrk: `wrk ${wrkArgs(seconds).join(' ')}` };
  } finally {
    await stop();
  }
}

/** key=value pairs of a benchmark program's output line, or null. */
function parseLine(stdout, key) {
  const line = stdout.split('\n').find((l) => l.includes(`${key}=`));
  return line ? Object.fromEntries(line.trim().split(/\s+/).map((f) => f.split('=')).map(([k, v]) => [k, k === 'mode' ? v : Number(v)])) : null;
}

function programRun(env, argv, key) {
  const full = env.wrap(argv);
  const r = spawnSync(full[0], full.slice(1), { encoding: 'utf8', timeout: 300_000 });
  const parsed = r.status === 0 ? parseLine(r.stdout, key) : null;
  if (!parsed) return { error: `${full.join(' ')}: ${r.error?.message ?? `status ${r.status}`} ${(r.stderr ?? '').trim().slice(-300)}` };
  return parsed;
}

/**
 * The network benchmarks in `envs` ({ name, wrap, peer }), `reps` rounds each (every
 * environment once per round). Returns the raw figures per case and environment.
 */
export async function measureNet(envs, { seconds, reps, peerReps, streamMib, build, which, log }) {
  // the peers (slow, and steady) only in the first `peerReps` rounds
  const inRound = (env, i) => !env.peer || i < peerReps;
  const nginx = which('nginx') ?? (fs.existsSync('/usr/sbin/nginx') ? '/usr/sbin/nginx' : null);
  const wrk = which('wrk');
  const out = { notes: [], nginx: null, echo: {}, unixConnect: null };
  const echo = build('tcp-echo.c', 'tcp-echo');
  const unixConnect = build('unix-connect.c', 'unix-connect');
  const scratchRoot = path.join(BENCH, 'results', 'net-scratch');

  if (!nginx || !wrk) {
    out.notes.push(`nginx benchmark skipped: ${!nginx ? 'nginx' : 'wrk'} not installed (apt-get install nginx wrk)`);
  } else {
    // under the repository: runsc's sandbox has a /tmp of its own
    const dir = path.join(scratchRoot, `nginx-${process.pid}`);
    fs.mkdirSync(path.join(dir, 'html'), { recursive: true });
    fs.writeFileSync(path.join(dir, 'html', '1k.txt'), Buffer.alloc(1024, 'x'));
    out.nginx = [];
    try {
      for (const cfg of NGINX_CONFIGS) {
        const cells = Object.fromEntries(envs.map((e) => [e.name, { runs: [] }]));
        for (let i = 0; i < reps; i++) {
          for (const env of envs) {
            const cell = cells[env.name];
            if (cell.error || !inRound(env, i)) continue;
            log(`nginx ${cfg.workers} worker(s), ${cfg.keepalive ? 'keep-alive' : 'a connection per request'}, ${env.name} (${i + 1}/${reps})`);
            const r = await nginxRun(env, nginx, wrk, dir, cfg, seconds);
            if (r.error) cell.error = r.error;
            else cell.runs.push(r);
          }
        }
        for (const c of Object.values(cells)) {
          if (c.error || !c.runs.length) continue;
          Object.assign(c, {
            rps: median(c.runs.map((r) => r.rps)), p50_ms: median(c.runs.map((r) => r.p50_ms)),
            p99_ms: median(c.runs.map((r) => r.p99_ms)),
            socket_errors: c.runs.reduce((a, r) => a + r.socket_errors, 0), non_2xx: c.runs.reduce((a, r) => a + r.non_2xx, 0),
          });
        }
        out.nginx.push({ ...cfg, seconds, results: cells });
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
      for (const f of fs.readdirSync('/tmp')) {
        if (f.startsWith(`gramine-ts-bench-nginx-${process.pid}`)) fs.rmSync(path.join('/tmp', f), { recursive: true, force: true });
      }
    }
  }

  for (const [mode, arg, key] of [['rr', ECHO_RR_ITERS, 'ns_per_rt'], ['stream', streamMib, 'mibs']]) {
    const cells = Object.fromEntries(envs.map((e) => [e.name, { runs: [] }]));
    for (let i = 0; i < reps; i++) {
      for (const env of envs) {
        const cell = cells[env.name];
        if (cell.error || !inRound(env, i)) continue;
        log(`tcp-echo ${mode}, ${env.name} (${i + 1}/${reps})`);
        const r = programRun(env, [echo, mode, String(arg)], key);
        if (r.error) cell.error = r.error;
        else cell.runs.push(r[key]);
      }
    }
    for (const c of Object.values(cells)) if (!c.error) c.median = median(c.runs);
    out.echo[mode] = { arg, key, results: cells };
  }

  // a path under /tmp for native and gramine-ts alike (the peers are not run here)
  const uenvs = envs.filter((e) => e.name === 'native' || e.name === 'gramine-ts');
  const cells = Object.fromEntries(uenvs.map((e) => [e.name, { runs: [] }]));
  for (let i = 0; i < reps; i++) {
    for (const env of uenvs) {
      const cell = cells[env.name];
      if (cell.error) continue;
      const dir = fs.mkdtempSync(path.join('/tmp', 'gramine-ts-bench-'));
      log(`unix-connect, ${env.name} (${i + 1}/${reps})`);
      try {
        const r = programRun(env, [unixConnect, dir, String(UNIX_CONNECT_ITERS)], 'ns_per_connect');
        if (r.error) cell.error = r.error;
        else cell.runs.push(r.ns_per_connect);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  for (const c of Object.values(cells)) if (!c.error) c.median = median(c.runs);
  out.unixConnect = { iterations: UNIX_CONNECT_ITERS, results: cells };
  fs.rmSync(scratchRoot, { recursive: true, force: true });
  return out;
}

/** The network targets, on gramine-ts (null values when there is no figure). */
export function netTargets(net) {
  const g = (cells) => (cells?.['gramine-ts'] && !cells['gramine-ts'].error ? cells['gramine-ts'] : null);
  const n = (cells) => (cells?.native && !cells.native.error ? cells.native : null);
  const four = (net.nginx ?? []).filter((c) => c.workers === 4);
  const ratio = (f) => (four.length && four.every((c) => g(c.results) && n(c.results)) ? Math.min(...four.map(f)) : null);
  const stream = net.echo.stream?.results;
  const peersBehind = four.length && four.every((c) => {
    const gr = g(c.results)?.rps;
    return gr !== undefined && Object.entries(c.results).every(([name, cell]) => !['proot', 'runsc'].includes(name) || cell.error || cell.rps < gr);
  });
  return [
    {
      id: 'nginx4_rps_ratio', name: `nginx, 4 workers: requests/s under gramine-ts >= ${NET_TARGETS.nginxReqRatio}x native (the lower of keep-alive and not)`,
      value: ratio((c) => g(c.results).rps / n(c.results).rps), min: NET_TARGETS.nginxReqRatio,
    },
    {
      id: 'nginx4_p99_ratio', name: `nginx, 4 workers: p99 latency under gramine-ts <= ${NET_TARGETS.nginxP99Ratio}x native (the higher)`,
      value: four.length && four.every((c) => g(c.results) && n(c.results)) ? Math.max(...four.map((c) => g(c.results).p99_ms / n(c.results).p99_ms)) : null,
      max: NET_TARGETS.nginxP99Ratio,
    },
    {
      id: 'nginx4_socket_errors', name: 'nginx, 4 workers: socket errors and non-2xx answers under gramine-ts = 0',
      value: four.length && four.every((c) => g(c.results)) ? four.reduce((a, c) => a + g(c.results).socket_errors + g(c.results).non_2xx, 0) : null,
      max: 0,
    },
    {
      id: 'nginx4_ahead_of_peers', name: 'nginx, 4 workers: gramine-ts ahead of gVisor and proot (requests/s)',
      value: four.length ? (peersBehind ? 1 : 0) : null, min: 1,
    },
    {
      id: 'stream_ratio', name: `TCP stream throughput under gramine-ts >= ${NET_TARGETS.streamRatio}x native`,
      value: g(stream) && n(stream) ? g(stream).median / n(stream).median : null, min: NET_TARGETS.streamRatio,
    },
  ].map((t) => ({ ...t, pass: t.value === null ? null : t.min !== undefined ? t.value >= t.min : t.value <= t.max }));
}
