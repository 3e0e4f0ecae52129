// A thread of an app process other than its main one, as the worker sees it: its virtual tid,
// and its host tid once its parent has made it. Each has a channel of its own (a block of the
// stub's, which the next thread takes over when it exits: see SyscallDispatcher).
import { host } from '../pal/host.js';
import type { LibosProcess } from './process.js';

export class LibosThread {
  /** 0 until the stub reports the host thread it made */
  hostTid = 0;
  private startWaiters: (() => void)[] = [];

  constructor(readonly vtid: number) {}

  /** Its host thread is known now (the stub of the thread that made it says so). */
  started(hostTid: number): void {
    this.hostTid = hostTid;
    for (const resolve of this.startWaiters.splice(0)) resolve();
  }

  /** Resolves once its host tid is known. */
  whenStarted(): Promise<void> {
    return this.hostTid ? Promise.resolve() : new Promise((resolve) => this.startWaiters.push(resolve));
  }
}

/**
 * Let the process run on all of the instance's CPUs, not only its worker's (where a process
 * that asks its worker often is best: each round trip stays on one CPU). Its threads inherit it
 * from the thread that makes them; those it has already get it too.
 */
export function spreadOverCpus(proc: LibosProcess): void {
  if (proc.threadsSpread || proc.app.hostPid <= 0) return;
  proc.threadsSpread = true;
  host.setAffinity(proc.mainHostTid > 0 ? proc.mainHostTid : proc.app.hostPid, proc.cpuAffinity);
  for (const t of proc.threads.values()) if (t.hostTid > 0) host.setAffinity(t.hostTid, proc.cpuAffinity);
}

/**
 * Put a process that has come to ask its worker often back on its worker's CPU `cpu`: one
 * thread only, which has not chosen its CPUs itself (sched_setaffinity), and may run there.
 */
export function pinBesideWorker(proc: LibosProcess, cpu: number): void {
  if (!proc.threadsSpread || proc.threads.size > 0 || proc.threadAffinity.size > 0 || proc.app.hostPid <= 0) return;
  if (!((proc.cpuAffinity[cpu >> 3] ?? 0) & (1 << (cpu & 7)))) return;
  if (host.pinTaskToCpu(proc.mainHostTid > 0 ? proc.mainHostTid : proc.app.hostPid, cpu) === 0) proc.threadsSpread = false;
}

/** A new thread of `proc`: its tid, from the instance's pid space. Threads run on every CPU. */
export async function grantThread(proc: LibosProcess): Promise<LibosThread> {
  const vtid = await proc.instance.allocateTid(proc);
  spreadOverCpus(proc);
  return new LibosThread(vtid);
}
