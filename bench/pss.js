// Section 3 of `npm run bench` (bench/run.js): the memory of an idle instance. A shell with four
// children that sleep (five app processes) runs natively and under gramine-ts; once all five are
// up and the instance has settled, the PSS (/proc/PID/smaps_rollup: each shared page counted
// once, split among its users) of every process of the tree is summed: the leader, the workers
// and the app processes. Issue 15's target is at most 30 MiB per app process.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const PSS_TARGET_MIB = 30;
const APPS = 5;
const SCRIPT = 'for i in 1 2 3 4; do sleep 60 & done; wait';
const SETTLE_MS = 1500; // after the last app process appears: the workers' boots end
const TIMEOUT_MS = 30_000;

function childrenOf(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

/** `pid` and all its descendants. */
function tree(pid) {
  const out = [pid];
  for (let i = 0; i < out.length; i++) out.push(...childrenOf(out[i]));
  return out;
}

function comm(pid) {
  try {
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return null;
  }
}

/** PSS in KiB, or 0 if the process is gone. */
function pssKib(pid) {
  try {
    return Number(/^Pss:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    return 0;
  }
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** Start `argv`, wait until `isApp` matches APPS processes of its tree, settle, measure, end it. */
async function measureTree(argv, isApp) {
  const child = spawn(argv[0], argv.slice(1), { stdio: 'ignore', detached: true });
  try {
    const deadline = Date.now() + TIMEOUT_MS;
    while (tree(child.pid).filter((p) => isApp(p)).length < APPS) {
      if (Date.now() > deadline || child.exitCode !== null) return { error: `${argv.join(' ')}: ${APPS} app processes did not appear` };
      await sleep(100);
    }
    await sleep(SETTLE_MS);
    const byRole = { leader: 0, workers: 0, apps: 0 };
    let workers = 0;
    for (const pid of tree(child.pid)) {
      const kib = pssKib(pid);
      if (isApp(pid)) byRole.apps += kib;
      else if (pid === child.pid) byRole.leader += kib;
      else {
        byRole.workers += kib;
        workers++;
      }
    }
    const total = byRole.leader + byRole.workers + byRole.apps;
    return { apps: APPS, workers, pss_kib: { ...byRole, total }, per_app_mib: total / 1024 / APPS };
  } finally {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

/** Native and gramine-ts PSS of the idle shell and its children. */
export async function measurePss(gramine) {
  const native = await measureTree(['/bin/sh', '-c', SCRIPT], (pid) => ['sh', 'sleep'].includes(comm(pid) ?? ''));
  // the app processes run the stub's image (the launcher, the leader and the workers are node)
  const gramineTs = await measureTree([gramine, 'run', '/bin/sh', '-c', SCRIPT], (pid) => comm(pid) === 'gramine-ts-stub');
  return { native, 'gramine-ts': gramineTs };
}
