// Where the instance runs an app process on the host (src/worker/run-process.ts): on every CPU
// of the instance while it asks its worker seldom (the host's work: its children spread with
// it), beside its worker, on that one CPU, once it asks it often (each round trip is cheapest
// there) -- and back again. Watched from the host, in /proc: the CPUs the kernel lets the app,
// its worker and the leader run on.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished, vi } from 'vitest';
import { descendants } from '../helpers/processes.js';
import { GRAMINE_TS, program } from '../helpers/run.js';

const status = (pid: number) => readFileSync(`/proc/${pid}/status`, 'utf8');
const field = (pid: number, name: string) => new RegExp(`^${name}:\\s*(\\S+)`, 'm').exec(status(pid))?.[1];
const cpusOf = (pid: number) => field(pid, 'Cpus_allowed_list');

describe('where an app process runs', () => {
  it('on every CPU of the instance while it asks its worker seldom, beside its worker while it asks often', async () => {
    const leader = spawn(process.execPath, [GRAMINE_TS, 'run', program('placement')], { stdio: ['pipe', 'pipe', 'inherit'] });
    onTestFinished(() => void leader.kill('SIGKILL'));
    const lines: string[] = [];
    leader.stdout.setEncoding('utf8').on('data', (d: string) => lines.push(...d.split('\n').filter(Boolean)));
    const said = (what: string) => vi.waitFor(() => expect(lines.at(-1)).toBe(what), { timeout: 10_000, interval: 20 });

    leader.stdin.write('quiet\n');
    await said('quiet');
    // the app (the stub's image) and its worker, its host parent
    const app = descendants(leader.pid!).find((p) => field(p, 'Name') === 'gramine-ts-stub')!;
    expect(app).toBeGreaterThan(0);
    const worker = Number(field(app, 'PPid'));
    const instanceCpus = cpusOf(leader.pid!);
    const workerCpus = cpusOf(worker);
    expect(workerCpus).toMatch(/^\d+$/); // the worker is pinned to one CPU

    // waiting on its stdin, it asks nothing: it may run anywhere the instance does
    await vi.waitFor(() => expect(cpusOf(app)).toBe(instanceCpus), { timeout: 10_000, interval: 20 });

    // a round trip after another: back beside its worker
    leader.stdin.write('busy\n');
    await said('busy');
    await vi.waitFor(() => expect(cpusOf(app)).toBe(workerCpus), { timeout: 10_000, interval: 20 });

    // quiet again: spread again
    leader.stdin.write('quiet\n');
    await said('quiet');
    await vi.waitFor(() => expect(cpusOf(app)).toBe(instanceCpus), { timeout: 10_000, interval: 20 });

    leader.stdin.write('quit\n');
    const code = await new Promise<number | null>((resolve) => leader.once('exit', resolve));
    expect(code).toBe(0);
  });
});
