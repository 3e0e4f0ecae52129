// The instance's process groups and sessions on the host. A process group the app makes is made
// on the host too (the stub mirrors setpgid and setsid), so that a terminal's signals (Ctrl-C,
// Ctrl-Z, SIGTTIN) reach the group the app put in its foreground; what a terminal's ioctls name
// (TIOCGPGRP, TIOCSPGRP, TIOCGSID) is translated here, by what /proc says of the members.
import { hostStatFields } from '../pal/host.js';
import type { ProcessEntry } from './process-table.js';

/** A host process's group and session, as /proc/PID/stat has them; null once it is gone. */
function hostGroupOf(hostPid: number): { pgrp: number; session: number } | null {
  const fields = hostStatFields(hostPid); // state ppid pgrp session ...
  return fields && { pgrp: Number(fields[2]), session: Number(fields[3]) };
}

/**
 * The host group of the instance's group `pgid`, other than `except`'s; 0 if none is known. A
 * group the app made is its leader's host pid (the stub makes it so), known before the host's
 * setpgid is made; vpid 1's first group is the one it started in (its own, when it took the
 * terminal: `ownFirstGroup`); for a group whose leader is gone, a member's, as /proc says.
 */
export function hostPgidOf(running: readonly ProcessEntry[], pgid: number, ownFirstGroup: boolean, except = 0): number {
  const leader = running.find((e) => e.vpid === pgid);
  if (leader?.hostPid && (pgid !== 1 || ownFirstGroup)) return leader.hostPid;
  for (const e of running) {
    if (e.pgid !== pgid || e.vpid === except || e.hostPid === null) continue;
    const g = hostGroupOf(e.hostPid);
    if (g) return g.pgrp;
  }
  return 0;
}

/**
 * The instance's group (or, with `session`, session) that host group (session) `hostId` is; 0 if
 * none of its processes is in it. A group or session the app made has its leader's host pid.
 */
export function virtualOfHostGroup(running: readonly ProcessEntry[], hostId: number, session = false): number {
  const leader = running.find((e) => e.hostPid === hostId && (session ? e.sid : e.pgid) === e.vpid);
  if (leader) return leader.vpid;
  for (const e of running) {
    if (e.hostPid === null) continue;
    const g = hostGroupOf(e.hostPid);
    if (g && (session ? g.session : g.pgrp) === hostId) return session ? e.sid : e.pgid;
  }
  return 0;
}
