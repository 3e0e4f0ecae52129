// Multi-process instances: shells forking, piping and exec'ing; fork/wait/exec corner cases in
// C (test/programs/mp_*.c); virtual pids (1 with ppid 0, orphans re-parented to vpid 1); the end
// of an instance (vpid 1 exits, or the leader is killed) leaving no host process behind; and the
// leader's worker pool being recycled rather than growing with every fork.
//
// Not covered here, as not implemented yet: threads, signals between processes (kill of another
// process), process groups other than the inherited one (setpgid/setsid), SIGCHLD delivery.
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync, readlinkSync, realpathSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { descendants, waitGone } from '../helpers/processes.js';
import { addon } from '../../src/pal/addon.js';
import {
  GRAMINE_TS, leaderLogForks, makeTempDir, program, removeTempDir, runBoth, runGramine, runNative, sha256, splitLines,
  type RunOptions, type RunResult,
} from '../helpers/run.js';

let dir: string;
let loopScript: string;

beforeAll(() => {
  dir = makeTempDir('gts-mp-');
  loopScript = path.join(dir, 'loop200.sh');
  writeFileSync(loopScript, LOOP_SCRIPT);
});

afterAll(() => removeTempDir(dir));

/** Run natively and under gramine-ts; stdout, stderr and the exit status must agree. */
async function expectSame(argv: string[], opts?: RunOptions) {
  const { native, gramine } = await runBoth(argv, { ...opts, encoding: 'utf8' });
  expect(gramine.stdout).toBe(native.stdout);
  expect(gramine.stderr).toBe(native.stderr);
  expect(gramine.status).toBe(native.status);
  return { native, gramine };
}

// ---------------------------------------------------------------------------------------------
// Shells

/** The output of the 200-iteration script: digits mapped to letters, one line each, hashed. */
const LOOP_SCRIPT =
  'for i in $(seq 1 200); do x=$(echo "$i" | tr 0-9 a-j); echo "$x" | cat; done | sha256sum\n';
const LOOP_OUTPUT = `${sha256(
  Array.from({ length: 200 }, (_, i) => `${String(i + 1).replace(/\d/g, (d) => 'abcdefghij'[Number(d)]!)}\n`).join(''),
)}  -\n`;
/*
 * The forks it takes bash: the pipeline into sha256sum (2: the loop's subshell and sha256sum),
 * $(seq) (1), and per iteration the $(...) subshell (1) with its pipeline's two commands (2),
 * and `echo | cat` (2). `strace -f` counts the same 1003 clone calls natively (bash 5.2).
 */
const LOOP_FORKS = 2 + 1 + 200 * (1 + 2 + 2);

/**
 * Time allowed to a run of the 200-iteration script: a guard against a hang, not a check of speed
 * (bench/ measures that). About 7 s on 2 idle cores; in the suite, which runs these tests
 * concurrently with other files' on the same 2 cores, it has taken 40-55 s.
 */
const LOOP_TIMEOUT = 150_000;

describe.concurrent('shells: pipelines, command substitutions, background jobs', () => {
  it('bash: a loop of pipelines and a command substitution', async () => {
    const { native } = await expectSame([
      '/bin/bash', '-c', 'for i in 1 2 3; do echo $i | cat; done; echo $(echo ab | tr a b)',
    ]);
    expect(native.stdout).toBe('1\n2\n3\nbb\n');
    expect(native.status).toBe(0);
  });

  it('bash: a subshell exit status, a background job and wait $!', async () => {
    const { native } = await expectSame(['/bin/bash', '-c', '(exit 3); echo $?; sleep 0.1 & wait $!; echo done']);
    expect(native.stdout).toBe('3\ndone\n');
    expect(native.status).toBe(0);
  });

  it('sh: $$ and $PPID are 1 and 0 under gramine-ts, and a child shell sees $PPID 1', async () => {
    const argv = ['/bin/sh', '-c', 'echo $$ $PPID; sh -c "echo \\$PPID"'];
    const { native, gramine } = await runBoth(argv);
    // natively: the real pids (the shell is spawned by this process, and forks the inner one)
    expect(native.stdout).toBe(`${native.pid} ${process.pid}\n${native.pid}\n`);
    expect(native.status).toBe(0);
    expect(gramine.stdout).toBe('1 0\n1\n');
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
  });

  it('bash: 200 iterations of pipelines and command substitutions (1003 forks)', async () => {
    const { native } = await expectSame(['/bin/bash', loopScript], { timeout: LOOP_TIMEOUT });
    expect(native.stdout).toBe(LOOP_OUTPUT);
    expect(native.stderr).toBe('');
  }, LOOP_TIMEOUT + 10_000);

  it.each([
    ['a child shell exit status', 'sh -c "exit 5"; echo $?', '5\n'],
    ['a pipeline has the status of its last command', 'false | true; echo $?', '0\n'],
    ['a child killed by SIGKILL (it signals itself) is 128+9', 'sh -c "kill -9 \\$\\$"; echo $?', '137\n'],
    ['a child\'s exit status passed on as the instance\'s', 'sh -c "exit 7"; exit $?', ''],
  ])('sh: %s', async (_what, script, stdout) => {
    const { native } = await expectSame(['/bin/sh', '-c', script]);
    expect(native.stdout).toBe(stdout);
  });
});

// ---------------------------------------------------------------------------------------------
// C programs: fork, wait and exec corner cases

type Runs = { native: RunResult<string>; gramine: RunResult<string> };

/**
 * Run test/programs/build/NAME natively and under gramine-ts, each with a scratch directory of
 * its own in place of every 'DIR' argument; both outputs say DIR for their directory.
 */
async function runInScratch(name: string, suffix: string, args: string[]): Promise<Runs> {
  const dirs = [makeTempDir('gts-mp-n-'), makeTempDir('gts-mp-g-')];
  try {
    const argvFor = (d: string) => [program(name, suffix), ...args.map((x) => (x === 'DIR' ? d : x))];
    const [native, gramine] = await Promise.all([
      runNative(argvFor(dirs[0]!), { encoding: 'utf8' }),
      runGramine(argvFor(dirs[1]!), { encoding: 'utf8' }),
    ]);
    const norm = (r: RunResult<string>, d: string) => ({
      ...r,
      stdout: r.stdout.replaceAll(d, 'DIR'),
      stderr: r.stderr.replaceAll(d, 'DIR'),
    });
    return { native: norm(native, dirs[0]!), gramine: norm(gramine, dirs[1]!) };
  } finally {
    dirs.forEach(removeTempDir);
  }
}

/**
 * Both runs completed ("done", status 0) with the same stderr and the same stdout but for the
 * "raw:" lines, which are returned for the caller to check.
 */
function expectSameOutput({ native, gramine }: Runs): { native: string[]; gramine: string[] } {
  expect(native.status, native.stderr).toBe(0);
  expect(native.stdout.endsWith('done\n')).toBe(true);
  const n = splitLines(native.stdout, ['raw:']);
  const g = splitLines(gramine.stdout, ['raw:']);
  expect(g.rest).toBe(n.rest);
  expect(gramine.stderr).toBe(native.stderr);
  expect(gramine.status).toBe(0);
  return { native: n.special, gramine: g.special };
}

const C_VARIANTS = [
  { name: 'dynamic', suffix: '' },
  { name: 'static', suffix: '-static' },
] as const;

describe.concurrent.each(C_VARIANTS)('fork and wait ($name)', ({ suffix }) => {
  const fork = (scenario: string) => runInScratch('mp_fork', suffix, [scenario]);

  it('double fork: the grandchild outlives the child and is re-parented (to vpid 1, which can wait for it)', async () => {
    const runs = await fork('doublefork');
    const raw = expectSameOutput(runs);
    expect(runs.native.stdout).toContain(
      'grandchild: getppid() before its parent exited was the child yes\n' +
        'grandchild: getppid() after its parent exited and was reaped is still the child no\n',
    );
    // natively: adopted by init or a subreaper, never this process (it is not a subreaper)
    const m = /^raw: getpid (\d+), child (\d+), grandchild (\d+), grandchild getppid after (\d+)$/.exec(raw.native[1]!);
    expect(m).not.toBeNull();
    expect(Number(m![1])).toBe(runs.native.pid);
    expect(m![4]).not.toBe(m![2]);
    expect(raw.native[0]).toBe('raw: grandchild getppid() after is this process no');
    // gramine-ts: vpid 1 and two more (vpids are reserved ahead, for standby children, so not
    // necessarily 2 and 3); the orphan goes to vpid 1, which waits for it like a child
    expect(raw.gramine[0]).toBe('raw: grandchild getppid() after is this process yes');
    const g = /^raw: getpid 1, child (\d+), grandchild (\d+), grandchild getppid after 1$/.exec(raw.gramine[1]!);
    expect(g, raw.gramine[1]).not.toBeNull();
    expect(new Set([1, Number(g![1]), Number(g![2])]).size).toBe(3);
    expect(raw.gramine[2]).toBe('raw: wait4(-1) for the re-parented grandchild: returned the grandchild yes, exited 7');
    expect(raw.gramine).toHaveLength(3);
  });

  it('a zombie grandchild left by its exiting parent goes to vpid 1, which reaps it with its status', async () => {
    const runs = await fork('zombie-orphan');
    const raw = expectSameOutput(runs);
    expect(runs.native.stdout).toContain(
      'wait4(child) (0: it saw its child as a zombie with WNOWAIT): returned the child yes, exited 0\n',
    );
    expect(raw.gramine).toEqual([
      'raw: wait4(grandchild, WNOHANG) after the child was reaped: returned the grandchild yes, exited 9',
    ]);
  });

  it('waitpid(0), waitpid(-pgid) and waitid(P_PGID) with the inherited process group', async () => {
    const runs = await fork('pgrp');
    const raw = expectSameOutput(runs);
    expect(runs.native.stdout).toContain('waitpid(0) after the first child ends: returned the child yes, exited 21\n');
    expect(runs.native.stdout).toContain('waitpid(-pgid) after the second child ends: returned the child yes, exited 22\n');
    // natively the program leads its own group (spawned detached); under gramine-ts, group 1
    expect(raw.native).toEqual([`raw: getpgrp ${runs.native.pid}, getpid ${runs.native.pid}`]);
    expect(raw.gramine).toEqual(['raw: getpgrp 1, getpid 1']);
  });

  it('WNOHANG before and after the child exits', async () => {
    const runs = await fork('wnohang');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain('wait4(child, WNOHANG) while it runs = 0\n');
    expect(runs.native.stdout).toContain('wait4(child, WNOHANG) once it exited: returned the child yes, exited 33\n');
  });

  it('waitid with WNOWAIT leaves the child to a later wait', async () => {
    const runs = await fork('nowait');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain('wait4(child) after the WNOWAITs: returned the child yes, exited 42\n');
  });

  it('the wait status of a child that exits, aborts, raises SIGTERM or SIGUSR1, or dies of SIGKILL or SIGSEGV', async () => {
    const runs = await fork('status');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain(
      'abort(): wait4 status 0x6: WIFEXITED 0 WEXITSTATUS 0 WIFSIGNALED 1 WTERMSIG 6 WCOREDUMP 0 WIFSTOPPED 0\n',
    );
    expect(runs.native.stdout).toContain(
      'raise(SIGTERM): waitid: si_signo SIGCHLD, si_code CLD_KILLED, si_pid is the child yes, si_uid is ours yes, si_status 15\n',
    );
  });

  it('vfork + exec (/bin/echo, /bin/sh), vfork + _exit, vfork + a failed exec', async () => {
    const runs = await fork('vfork');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain(
      'before vfork\necho from the vfork child:  two  spaces last\nvfork + exec /bin/echo: returned the child yes, exited 0\n',
    );
  });

  it('16 children at once, each reaped once with its own status', async () => {
    const runs = await fork('many');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain('reaped 16, each pid once with its own status: yes, then ECHILD\n');
  });

  it('a chain of 6 processes, each waiting for the next', async () => {
    const runs = await fork('chain');
    expectSameOutput(runs);
    expect(runs.native.stdout).toBe('a chain of 6 processes returns 6\ndone\n');
  });
});

describe.concurrent.each(C_VARIANTS)('exec ($name)', ({ suffix }) => {
  const exec = (scenario: string) => runInScratch('mp_exec', suffix, [scenario, 'DIR', program('mp_show', suffix)]);

  it('failures: ENOENT, ENOTDIR, EACCES, ENOEXEC (and the exec*p fallback to sh), E2BIG', async () => {
    const runs = await exec('errors');
    expectSameOutput(runs);
    for (const line of [
      'execve(missing file) = -1 ENOENT',
      'execve("") = -1 ENOENT',
      'execve(non-executable file) = -1 EACCES',
      'execve(garbage bytes) = -1 ENOEXEC',
      'execve(text without #!) = -1 ENOEXEC',
      'execvpe(./text without #!): exec\'d, exited 4',
      'execve(/bin/true, one 200000-byte argument) = -1 E2BIG',
      'execve after two failed ones: exited 3',
    ]) {
      expect(runs.native.stdout).toContain(`${line}\n`);
    }
  });

  it('#! scripts: the #! argument (one, trimmed), the script path and argv reach the interpreter', async () => {
    const runs = await exec('script');
    expectSameOutput(runs);
    const show = program('mp_show', suffix);
    expect(runs.native.stdout).toContain(
      `argc = 8\nargv[0] = "${show}"\nargv[1] = "-x  y\\tz"\nargv[2] = "DIR/with-arg"\nargv[3] = "outer-arg"\n` +
        'argv[4] = "nested"\nargv[5] = "a"\nargv[6] = ""\nargv[7] = "b c"\n',
    );
    expect(runs.native.stdout).toContain('sh script: $0=./sh-script $#=3 [a] [] [b c]\n');
  });

  it('close-on-exec: those fds are gone in the exec\'d program, the others stay with their offsets', async () => {
    const runs = await exec('cloexec');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain('expected in the exec\'d program: 3 5 6 10 21 31 11\n');
    expect(runs.native.stdout).toContain(
      'open fds above 2: 3(file,offset 10,rest "abcdef") 5(pipe) 6(pipe) 10(file,offset 0,rest "0123456789abcdef") ' +
        '11(dir) 21(file,offset 0,rest "0123456789abcdef") 31(file,offset 17,rest "")\n',
    );
  });

  it('argv and envp arrive exactly: empty strings, odd bytes, no argv at all, 5002 arguments, 3000 variables', async () => {
    const runs = await exec('argv');
    expectSameOutput(runs);
    expect(runs.native.stdout).toContain(
      'argc = 10\nargv[0] = "first"\nargv[1] = ""\nargv[2] = "a b"\nargv[3] = "tab\\there"\nargv[4] = "new\\nline"\n' +
        'argv[5] = ""\nargv[6] = "\\xc3\\xbc\\xe2\\x82\\xac"\nargv[7] = "-"\nargv[8] = "--"\nargv[9] = "last"\n' +
        'argv[argc] is NULL: yes\nenvc = 7\nenv[0] = "A=1"\nenv[1] = "EMPTY="\nenv[2] = ""\nenv[3] = "NOEQUALS"\n' +
        'env[4] = "A=2"\nenv[5] = "SPACE=x y"\nenv[6] = "=starts-with-equals"\n',
    );
    expect(runs.native.stdout).toContain('argc = 5002\nargv: 271402 bytes');
    expect(runs.native.stdout).toContain('envc = 3000\n');
  });

  it('exec keeps the pid and the parent: 1 and 0 under gramine-ts', async () => {
    const runs = await exec('self');
    const raw = expectSameOutput(runs);
    const ids = `pid ${runs.native.pid}, ppid ${process.pid}`;
    expect(raw.native).toEqual([`raw: before exec: ${ids}`, `raw: after exec: ${ids}`]);
    expect(raw.gramine).toEqual(['raw: before exec: pid 1, ppid 0', 'raw: after exec: pid 1, ppid 0']);
  });
});

// ---------------------------------------------------------------------------------------------
// Worker recycling

describe.concurrent('worker recycling', () => {
  it('1003 forks of a bash script take a handful of workers, not one each', async () => {
    const r = await runGramine(['/bin/bash', loopScript], { gramineArgs: ['--leader-log'], timeout: LOOP_TIMEOUT });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(LOOP_OUTPUT);
    const lines = r.stderr.trimEnd().split('\n');
    const forks = lines.filter((l) => /→ leader +FORKED\b/.test(l)).length;
    expect(forks).toBe(LOOP_FORKS);
    // the $(...) subshells ask nothing but their pipelines' forks: the leader grants those, and
    // they need no worker at all (test/integration/held-forks.test.ts)
    expect(lines.filter((l) => /→ leader +FORKED .* by=leader$/.test(l)).length).toBeGreaterThanOrEqual(400);
    const last = /\((\d+) workers started\)$/.exec(lines.at(-1)!);
    expect(last, lines.at(-1)).not.toBeNull();
    expect(Number(last![1])).toBeGreaterThanOrEqual(1);
    expect(Number(last![1])).toBeLessThanOrEqual(10);
  }, LOOP_TIMEOUT + 10_000);

  it('a process that forks once starts one Node for its child, none for a spare it never uses', async () => {
    // the child runs a while: a spare started for the parent's next fork would start meanwhile
    // (and it asks its worker something, a chdir: a child that asks nothing needs none)
    const r = await runGramine(['/bin/sh', '-c', '(cd / && sleep 0.5) & wait; echo done'], { gramineArgs: ['--leader-log'] });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    const lines = r.stderr.trimEnd().split('\n');
    // standbys asked for ahead (vpid 1 has them from the start) and as spares (with the fork's
    // report), and no Node started for them: the first worker and the child's alone
    const spares = lines.filter((l) => /→ leader +STANDBY_REQUEST vpid=1 urgent=false/.test(l) || /→ leader +FORKED parentVpid=1 .*spare=true/.test(l));
    expect(spares.length).toBeGreaterThanOrEqual(1);
    expect(lines.at(-1)).toMatch(/\(2 workers started\)$/);
  });
});

describe('held children', () => {
  it('a child that ends before it asks anything is handed to no worker; one signalled first is, and gets the signal', async () => {
    const native = await runNative([program('held_child')]);
    const r = await runGramine([program('held_child')], { gramineArgs: ['--leader-log'] });
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    const lines = r.stderr.split('\n');
    const { forked, adopted } = leaderLogForks(r.stderr);
    expect(forked).toHaveLength(3);
    // the first exits at once; the second is signalled in a host read; the third asks getpgrp
    expect(adopted).toEqual(forked.slice(1));
    expect(lines.filter((l) => / ADOPTED vpid=\d+ ok=true$/.test(l))).toHaveLength(2);
  });
});

describe('the worker pool after a burst', () => {
  it('stops the workers beyond two that have been free for 5 s', async () => {
    // six children at once (each its own worker), then 7 s without a fork (a read that times out
    // on a FIFO)
    const dir = makeTempDir('gts-pool-');
    try {
      // (each child asks its worker something, a chdir: one that asks nothing needs none)
      const script = `mkfifo ${dir}/f; for i in 1 2 3 4 5 6; do (cd / && sleep 2) & done; wait; exec 3<>${dir}/f; read -t 7 x <&3; echo done`;
      const r = await runGramine(['/bin/bash', '-c', script], { gramineArgs: ['--cpu-report'], timeout: 30_000 });
      expect(r.status).toBe(0);
      expect(r.stdout).toBe('done\n');
      const started = Number(/workers started (\d+)/.exec(r.stderr)?.[1]);
      const stopped = Number(/free workers stopped (\d+)/.exec(r.stderr)?.[1]);
      const alive = r.stderr.match(/; worker \d+/g)?.length ?? 0;
      expect(started).toBeGreaterThanOrEqual(6);
      // left: the first worker and two free ones (bash's standby children have none set aside)
      expect(alive, r.stderr).toBe(3);
      expect(stopped).toBe(started - alive);
    } finally {
      removeTempDir(dir);
    }
  }, 40_000);
});

describe('gramine-ts run --cpu-report', () => {
  it('names the CPU of the leader, each worker and the app processes, as the host counts it', async () => {
    // a shell loop that takes ~0.1 s of CPU natively, then a child
    const loop = 'i=0; while [ $i -lt 100000 ]; do i=$((i+1)); done';
    // natively, the least of three runs: on a busy machine one run's CPU time can be twice another's
    const nativeRuns: number[] = [];
    for (let i = 0; i < 3; i++) {
      const native = await runNative(['/bin/bash', '-c', `/bin/sh -c '${loop}'; times`]);
      const nativeMs = (/^(\d+)m([\d.]+)s (\d+)m([\d.]+)s$/m.exec(native.stdout.trim().split('\n').at(-1)!) ?? []).slice(1).map(Number);
      expect(nativeMs).toHaveLength(4);
      nativeRuns.push((nativeMs[0]! * 60 + nativeMs[1]! + nativeMs[2]! * 60 + nativeMs[3]!) * 1000);
    }
    const loopMs = Math.min(...nativeRuns);
    // (a child that asks its worker something: one that asks nothing needs none, and its worker may not have booted yet)
    const r = await runGramine(['/bin/sh', '-c', `${loop}; (cd /tmp); echo done`], { gramineArgs: ['--cpu-report'] });
    expect(r.status).toBe(0);
    expect(r.stdout).toBe('done\n');
    const m = /^gramine-ts: cpu \(ms, user\+sys\): leader (\d+)\+(\d+); worker \d+ \(first\) (\d+)\+(\d+) reaped (\d+)\+(\d+); worker \d+ (\d+)\+(\d+); workers started 2; forks that waited for a worker 1; free workers stopped 0\n$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    const [leader, first, reaped, second] = [1, 3, 5, 7].map((i) => Number(m![i]) + Number(m![i + 1]));
    // every process of it used CPU; the app's loop is where the host counts it, within 10 ms ticks
    for (const ms of [leader, first, second]) expect(ms).toBeGreaterThan(0);
    expect(reaped).toBeGreaterThanOrEqual(loopMs * 0.5);
  });
});

// ---------------------------------------------------------------------------------------------
// The end of an instance

const CLI = GRAMINE_TS;

function exe(pid: number): string {
  try {
    return readlinkSync(`/proc/${pid}/exe`);
  } catch {
    return '';
  }
}

function cmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    return '';
  }
}


/**
 * Every live process of the instance marked `mark`: the leader, its workers and every app
 * process inherit the leader's environment, so a variable of their own finds them all, however
 * they were re-parented. (A zombie's environ reads empty: it is not alive.)
 */
function markedProcesses(mark: string): number[] {
  const found: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      if (readFileSync(`/proc/${name}/environ`, 'latin1').split('\0').includes(mark)) found.push(Number(name));
    } catch {
      // gone meanwhile, or not ours
    }
  }
  return found;
}

/**
 * No process of the instance survives: each of `pids`, and each process found marked, is gone
 * within the timeout. (Marked processes are looked for again until none is left: one may have
 * been forked after a look.)
 */
function expectAllGone(pids: number[], mark: string): void {
  const alive = pids.filter((p) => !waitGone(p, 10_000)).map((p) => `${p} ${cmdline(p)}`);
  expect(alive, 'processes of the instance still alive').toEqual([]);
  for (let round = 0; round < 5; round++) {
    const left = markedProcesses(mark);
    if (left.length === 0) return;
    const survivors = left.filter((p) => !waitGone(p, 10_000)).map((p) => `${p} ${cmdline(p)}`);
    expect(survivors, 'marked processes of the instance still alive').toEqual([]);
  }
  expect(markedProcesses(mark)).toEqual([]);
}

/** Start an instance marked `mark` (NAME=VALUE in its environment), killed if the test fails. */
function startLeader(args: string[], mark: string) {
  const [k, v] = mark.split('=');
  const leader = spawn(process.execPath, [CLI, 'run', ...args], {
    env: { ...process.env, [k!]: v },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  onTestFinished(() => {
    if (leader.exitCode === null && leader.signalCode === null) leader.kill('SIGKILL');
  });
  return leader;
}

function exitOf(child: ReturnType<typeof spawn>): Promise<number> {
  return new Promise((resolve) =>
    child.once('exit', (code, signal) => resolve(code ?? 128 + (signal === 'SIGKILL' ? 9 : 0))),
  );
}

describe('the end of an instance', () => {
  it('vpid 1 exiting with a child still running: the instance exits with its status at once, nothing left', async () => {
    const mark = `GTS_MP_INSTANCE=${randomUUID()}`;
    const t0 = Date.now();
    const leader = startLeader(['/bin/sh', '-c', 'sleep 30 & exit 4'], mark);
    const status = await exitOf(leader);
    expect(status).toBe(4);
    // not after the sleep
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectAllGone([leader.pid!], mark);
  });

  it('the same, with every process of the instance listed before vpid 1 exits', async () => {
    const mark = `GTS_MP_INSTANCE=${randomUUID()}`;
    const leader = startLeader(['/bin/sh', '-c', 'sleep 30 & echo started; read line; exit 4'], mark);
    const status = exitOf(leader);
    await new Promise<void>((resolve, reject) => {
      leader.stdout!.once('data', (d: Buffer) => (d.toString() === 'started\n' ? resolve() : reject(new Error(d.toString()))));
      leader.once('exit', () => reject(new Error('instance ended early')));
    });
    const pids = descendants(leader.pid!);
    // the leader, the worker of vpid 1 (vpid 2 has one only once it asks something), and two app
    // processes (host processes of the stub): the shell and its background child (sleep)
    const nodes = pids.filter((p) => exe(p) === realpathSync(process.execPath));
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    const apps = pids.filter((p) => path.basename(exe(p)) === 'gramine-ts-stub');
    expect(apps).toHaveLength(2);
    const shell = apps.filter((p) => cmdline(p) === '/bin/sh -c sleep 30 & echo started; read line; exit 4');
    expect(shell.length).toBeGreaterThanOrEqual(1);
    // the environment variable finds them too (those not possibly in the middle of an exec)
    expect(markedProcesses(mark)).toEqual(expect.arrayContaining([...nodes, shell[0]!]));
    const t0 = Date.now();
    leader.stdin!.end('go\n');
    expect(await status).toBe(4);
    expect(Date.now() - t0).toBeLessThan(10_000);
    expectAllGone(pids, mark);
  });

  it('kill -9 of the leader during a bash fork loop leaves no process of the instance', async () => {
    const mark = `GTS_MP_INSTANCE=${randomUUID()}`;
    const leader = startLeader(
      ['--leader-log', '/bin/bash', '-c', 'while true; do echo x | cat >/dev/null; done'],
      mark,
    );
    const exited = exitOf(leader);
    // the loop is under way once the leader has handled a few forks
    await new Promise<void>((resolve, reject) => {
      let log = '';
      const onData = (d: Buffer) => {
        log += d.toString();
        if ((log.match(/FORKED/g) ?? []).length >= 10) {
          leader.stderr!.off('data', onData);
          leader.stderr!.resume();
          resolve();
        }
      };
      leader.stderr!.on('data', onData);
      leader.once('exit', () => reject(new Error(`instance ended early:\n${log.slice(-2000)}`)));
    });
    const pids = descendants(leader.pid!);
    expect(pids.map(cmdline).some((c) => c === '/bin/bash -c while true; do echo x | cat >/dev/null; done')).toBe(true);
    leader.kill('SIGKILL');
    expect(await exited).toBe(128 + 9);
    expectAllGone(pids, mark);
  });
});
