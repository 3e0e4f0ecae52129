// A thread of an app process other than its main one, as the worker sees it: its virtual tid,
// and its host tid once its parent has made it. Each has a channel of its own (a block of the
// stub's, which the next thread takes over when it exits: see SyscallDispatcher).
import { host } from '../pal/host.js';
import type { LibosProcess } from './process.js';

export class LibosThread {
  /** 0 until the stub reports the host thread it made */
  hostTid = 0;

  constructor(readonly vtid: number) {}
}

/** A new thread of `proc`: its tid, from the instance's pid space. */
export async function grantThread(proc: LibosProcess): Promise<LibosThread> {
  const vtid = await proc.instance.allocateTid(proc);
  if (!proc.threadsSpread && proc.app.hostPid > 0) {
    // a single-threaded process runs on its worker's CPU (its round trips are cheapest there);
    // threads get all of the instance's CPUs, inherited from the thread that makes them
    host.setAffinity(proc.mainHostTid > 0 ? proc.mainHostTid : proc.app.hostPid, proc.cpuAffinity);
    proc.threadsSpread = true;
  }
  return new LibosThread(vtid);
}
