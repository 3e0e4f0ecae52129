// `gramine-ts run --cpu-report`: at the end, one line on stderr with the CPU each process of the
// instance used, for benchmarks that break a workload's cost down by process (bench/cpu.js).
// The app processes are counted where the host counts them: in the first worker's reaped
// children (it reaps vm1, which has reaped its own children as it waited for them).
import { hostStatFields } from '../pal/host.js';

/** USER_HZ: /proc/PID/stat counts in these ticks on every Linux architecture gramine-ts runs on */
const TICK_MS = 10;

export interface HostProcessCpu {
  userMs: number;
  sysMs: number;
  /** of the children it has reaped */
  reapedUserMs: number;
  reapedSysMs: number;
}

/** The CPU times of host process `pid` (/proc/PID/stat), or null if it is gone. */
export function hostProcessCpu(pid: number): HostProcessCpu | null {
  const f = hostStatFields(pid); // f[0] is field 3
  if (!f) return null;
  const ms = (field: number) => Number(f[field - 3]) * TICK_MS;
  return { userMs: ms(14), sysMs: ms(15), reapedUserMs: ms(16), reapedSysMs: ms(17) };
}

export interface CpuReportInput {
  workers: readonly { pid: number; first: boolean }[];
  workersStarted: number;
  /** forks that found no standby ready and waited for a worker */
  forksThatWaited: number;
  /** workers stopped for having been free too long */
  workersRetired: number;
}

/** The report's line: times in ms as user+sys. */
export function cpuReport(input: CpuReportInput): string {
  const own = process.cpuUsage();
  const parts = [`leader ${Math.round(own.user / 1000)}+${Math.round(own.system / 1000)}`];
  for (const w of input.workers) {
    const c = hostProcessCpu(w.pid);
    if (!c) continue;
    const reaped = w.first ? ` reaped ${c.reapedUserMs}+${c.reapedSysMs}` : '';
    parts.push(`worker ${w.pid}${w.first ? ' (first)' : ''} ${c.userMs}+${c.sysMs}${reaped}`);
  }
  return `gramine-ts: cpu (ms, user+sys): ${parts.join('; ')}; workers started ${input.workersStarted}; forks that waited for a worker ${input.forksThatWaited}; free workers stopped ${input.workersRetired}`;
}
