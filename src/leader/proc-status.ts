// Fields of /proc/PID/status, which the leader reads for its own identity and the host's limits.
import { readFileSync } from 'node:fs';

/** A field of a status file ("Uid", "Threads", "Groups"...), trimmed; '' if it has none. Default: this process's. */
export function statusField(name: string, status: string = readFileSync('/proc/self/status', 'utf8')): string {
  const line = status.split('\n').find((l) => l.startsWith(`${name}:`));
  return line === undefined ? '' : line.slice(name.length + 1).trim();
}
