// A worker booted for a later fork is background work: a Node start costs ~250 ms of CPU here,
// and on a busy instance that CPU is the app's (a forked server streaming data, say, while its
// parent's next standby boots). So such a worker starts at a lower priority (a higher nice
// value), and gets the leader's back once a process needs it: a fork waits for it, or it serves
// a child. Giving a priority back needs CAP_SYS_NICE: without it, every worker starts at the
// leader's priority, as before.
import { readdirSync, readFileSync } from 'node:fs';
import os from 'node:os';

const BACKGROUND_NICE_STEP = 10;
const CAP_SYS_NICE = 23;

/** May this process lower a nice value (CAP_SYS_NICE in its effective set)? */
function canRaisePriority(): boolean {
  try {
    const m = /^CapEff:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return m !== null && (BigInt(`0x${m[1]}`) & (1n << BigInt(CAP_SYS_NICE))) !== 0n;
  } catch {
    return false;
  }
}

export class WorkerPriority {
  /** the leader's own nice value: the workers' when they serve */
  private readonly base = os.getPriority();
  readonly enabled = this.base < 19 && canRaisePriority();

  /** Run `spawn` so that the process it starts (every thread of it) has the background priority. */
  inBackground<T>(spawn: () => T): T {
    if (!this.enabled) return spawn();
    // a child inherits the nice value of the thread that forks it: this one, for a moment
    os.setPriority(Math.min(this.base + BACKGROUND_NICE_STEP, 19));
    try {
      return spawn();
    } finally {
      os.setPriority(this.base);
    }
  }

  /** Give every thread of process `pid` the leader's priority (a nice value is per thread). */
  toForeground(pid: number): void {
    if (!this.enabled || pid <= 0) return;
    try {
      // the main thread first: a thread it makes from now on inherits its priority
      os.setPriority(pid, this.base);
      for (const tid of readdirSync(`/proc/${pid}/task`)) os.setPriority(Number(tid), this.base);
    } catch {
      // gone meanwhile (its end is heard elsewhere)
    }
  }
}
