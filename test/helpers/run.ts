// Running programs natively and under gramine-ts, the same way, for comparison.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { describeTree } from './processes.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const GRAMINE_TS = path.join(REPO_ROOT, 'bin', 'gramine-ts.js');
export const PROGRAMS_BUILD = path.join(REPO_ROOT, 'test', 'programs', 'build');

export interface RunOptions {
  cwd?: string;
  /** the whole environment of the program (default: this process's) */
  env?: NodeJS.ProcessEnv;
  /** written to the program's stdin, which is then closed (default: nothing, closed at once) */
  input?: string | Buffer;
  /** milliseconds before the run is killed and the promise rejects (default 30 s) */
  timeout?: number;
  /** 'buffer' keeps stdout and stderr as bytes (default: decoded as UTF-8) */
  encoding?: 'utf8' | 'latin1' | 'buffer';
  /** options for `gramine-ts run` before the program (runGramine only) */
  gramineArgs?: string[];
}

export interface RunResult<T extends Buffer | string = Buffer | string> {
  stdout: T;
  stderr: T;
  /** exit code, or 128 + N for a death by signal N */
  status: number;
  /** host pid of the process spawned (the program natively, the leader under gramine-ts) */
  pid: number;
}

type Out<O extends RunOptions | undefined> = O extends { encoding: 'buffer' } ? Buffer : string;

/**
 * Spawn `argv` asynchronously (stdout may be large), feed `input`, collect everything. The
 * child gets a process group of its own, so that on timeout the whole tree is killed and so
 * that a program signalling its own process group reaches nothing else.
 */
function run(argv: string[], opts: RunOptions | undefined): Promise<RunResult> {
  const o: RunOptions = opts ?? {};
  const timeout = o.timeout ?? 30_000;
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: o.cwd ?? REPO_ROOT,
      env: o.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
      detached: true,
    });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    let tree = '';
    const timer = setTimeout(() => {
      timedOut = true;
      tree = describeTree(child.pid!);
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, timeout);
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    // a program that exits without reading its input is not an error
    child.stdin.on('error', () => {});
    child.stdin.end(o.input ?? '');
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const decode = (bufs: Buffer[]) => {
        const b = Buffer.concat(bufs);
        return o.encoding === 'buffer' ? b : b.toString(o.encoding ?? 'utf8');
      };
      const stdout = decode(out);
      const stderr = decode(err);
      if (timedOut) {
        reject(
          new Error(
            `timed out after ${timeout} ms: ${argv.join(' ')}\n--- stdout:\n${String(stdout).slice(-2000)}\n` +
              `--- stderr:\n${String(stderr).slice(-2000)}\n--- its processes when it was killed:\n${tree}`,
          ),
        );
        return;
      }
      const status = code ?? 128 + (signal ? os.constants.signals[signal] : 0);
      resolve({ stdout, stderr, status, pid: child.pid! });
    });
  });
}

/** Run a program natively. */
export function runNative<O extends RunOptions | undefined = undefined>(
  argv: string[],
  opts?: O,
): Promise<RunResult<Out<O>>> {
  return run(argv, opts) as Promise<RunResult<Out<O>>>;
}

/** Run a program under gramine-ts: `node bin/gramine-ts.js run [gramineArgs] ARGV...`. */
export function runGramine<O extends RunOptions | undefined = undefined>(
  argv: string[],
  opts?: O,
): Promise<RunResult<Out<O>>> {
  return run([process.execPath, GRAMINE_TS, 'run', ...(opts?.gramineArgs ?? []), ...argv], opts) as Promise<
    RunResult<Out<O>>
  >;
}

/** Run natively and under gramine-ts at the same time. */
export async function runBoth<O extends RunOptions | undefined = undefined>(
  argv: string[],
  opts?: O,
): Promise<{ native: RunResult<Out<O>>; gramine: RunResult<Out<O>> }> {
  const [native, gramine] = await Promise.all([runNative(argv, opts), runGramine(argv, opts)]);
  return { native, gramine };
}

/**
 * Run `argv` natively and under gramine-ts (as text); the native run must succeed quietly and
 * gramine-ts must give its stdout, stderr and status. Returns the native stdout.
 */
export async function expectSameAsNative(argv: string[], opts: RunOptions = {}): Promise<string> {
  const { native, gramine } = await runBoth(argv, { ...opts, encoding: 'utf8' as const });
  expect(native.stderr).toBe('');
  expect(native.status).toBe(0);
  expect(gramine.stdout).toBe(native.stdout);
  expect(gramine.stderr).toBe('');
  expect(gramine.status).toBe(0);
  return native.stdout;
}

/** The path of a built C test program (test/programs/NAME.c; variant '' | '-static' | '-static-pie'). */
export function program(name: string, variant = ''): string {
  return path.join(PROGRAMS_BUILD, `${name}${variant}`);
}

/** The three builds of every C test program. */
export const VARIANTS = [
  { name: 'dynamic', suffix: '' },
  { name: 'static', suffix: '-static' },
  { name: 'static-pie', suffix: '-static-pie' },
] as const;

/** A fresh directory under os.tmpdir(), by its canonical path. */
let manifestsWritten = 0;

/**
 * A manifest file in `dir` over the host root (every file allowed, as Gramine's
 * allow_all_but_log) that runs `argv`, with these extra lines: its path.
 */
export function hostRootManifest(dir: string, argv: string[], ...lines: string[]): string {
  const file = path.join(dir, `m${manifestsWritten++}.manifest.toml`);
  writeFileSync(file, [
    `libos.entrypoint = ${JSON.stringify(argv[0])}`, `loader.argv = ${JSON.stringify(argv)}`, 'fs.root.uri = "file:/"',
    'sgx.file_check_policy = "allow_all_but_log"', ...lines, '',
  ].join('\n'));
  return file;
}

export function makeTempDir(prefix = 'gts-test-'): string {
  return realpathSync(mkdtempSync(path.join(os.tmpdir(), prefix)));
}

export function removeTempDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export function sha256(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Splits an output into the lines that start with one of `prefixes` (differing by design
 * between a native run and gramine-ts, checked one by one) and the rest (compared exactly).
 */
export function splitLines(out: string, prefixes: readonly string[]): { special: string[]; rest: string } {
  const special: string[] = [];
  const rest: string[] = [];
  for (const line of out.split('\n')) {
    if (prefixes.some((p) => line.startsWith(p))) special.push(line);
    else rest.push(line);
  }
  return { special, rest: rest.join('\n') };
}

/** What `--leader-log` said of the instance's forks: the vpids vpid 1 forked, and the held children handed to a worker. */
export function leaderLogForks(stderr: string): { forked: string[]; adopted: string[] } {
  const lines = stderr.split('\n');
  return {
    forked: lines.flatMap((l) => /→ leader +FORKED parentVpid=1 vpid=(\d+)/.exec(l)?.[1] ?? []),
    adopted: lines.flatMap((l) => /leader → vm\d+ +ADOPT vpid=(\d+)/.exec(l)?.[1] ?? []),
  };
}
