// Opens of a FIFO that wait for its other end. Linux ends such a wait with EINTR when a handler
// runs (or restarts it, for SA_RESTART); a worker making the open for the app must let a signal
// end it too. So the worker makes the open on a thread of its own (pal/host.ts, WaitingOpen)
// and answers "not yet" at once, with an eventfd the open's end makes readable: the stub waits on
// it with the app's own signal mask and makes the call again (native/stub/trap.c,
// forward_waitable), answered with the open's result by then. A call given up (a handler ended
// it) is ended as a signal ends the app's own open: only that open returns, and what it opened
// is closed; other openers waiting on the FIFO wait on, as natively.
import { host, WaitingOpen } from '../../pal/host.js';
import { O_CLOEXEC, O_NONBLOCK } from '../../pal/linux-abi.js';
import { Errno, SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { WaitOn } from '../sys/types.js';

// eventfd's flags are open's
const EFD_CLOEXEC = O_CLOEXEC;
const EFD_NONBLOCK = O_NONBLOCK;
/**
 * Opens one process may have waiting at once: one per thread that waits, which a forged request
 * could name by any tid. Past this, an open that would wait is EAGAIN.
 */
const MAX_WAITING = 256;

interface PendingOpen {
  /** the call it is for: the same path and flags made again collect it */
  key: string;
  /** readable once the open has returned */
  eventFd: number;
  open: WaitingOpen;
}

/** by process, then by the host tid of the thread that made the call */
const pending = new WeakMap<LibosProcess, Map<number, PendingOpen>>();

function pendingOf(proc: LibosProcess): Map<number, PendingOpen> {
  let m = pending.get(proc);
  if (!m) pending.set(proc, (m = new Map()));
  return m;
}

/**
 * The open of the FIFO `pathFd` (O_PATH, taken over) with `flags`, for the thread `hostTid`:
 * its fd once it has returned, else the eventfd to wait on (a copy, for the stub).
 */
export function openFifoWaiting(proc: LibosProcess, hostTid: number, key: string, pathFd: number, flags: number): number | WaitOn {
  const mine = pendingOf(proc);
  let p = mine.get(hostTid);
  if (p && p.key !== key) {
    // the thread moved on to another call: the one it waited for was given up
    abandonFifoOpen(proc, hostTid);
    p = undefined;
  }
  if (p) {
    host.close(pathFd);
    const result = p.open.result();
    if (result === null) return waitOn(p);
    mine.delete(hostTid);
    host.close(p.eventFd);
    if (result < 0) throw new SyscallError(-result, `open ${key}`);
    return result;
  }
  try {
    if (mine.size >= MAX_WAITING) throw new SyscallError(Errno.EAGAIN, `open ${key}: ${MAX_WAITING} opens of this process wait already`);
    const eventFd = host.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (eventFd < 0) throw new SyscallError(-eventFd, 'open: eventfd');
    const open = WaitingOpen.start(pathFd, flags, eventFd);
    if (typeof open === 'number') {
      host.close(eventFd);
      throw new SyscallError(-open, `open ${key}: its thread`);
    }
    const started: PendingOpen = { key, eventFd, open };
    mine.set(hostTid, started);
    return waitOn(started);
  } finally {
    host.close(pathFd);
  }
}

function waitOn(p: PendingOpen): WaitOn {
  const fd = host.dupCloexec(p.eventFd);
  if (fd < 0) throw new SyscallError(-fd, 'open: dup of its eventfd');
  return { kind: 'wait', hostFd: fd };
}

/** The thread `hostTid` gave up the open it waited for (a handler ended it, or it is gone). */
export function abandonFifoOpen(proc: LibosProcess, hostTid: number): void {
  const mine = pending.get(proc);
  const p = mine?.get(hostTid);
  if (!p || !mine) return;
  mine.delete(hostTid);
  host.close(p.eventFd);
  p.open.end();
}

/** The process is gone: every open still waiting for it is given up. */
export function abandonFifoOpens(proc: LibosProcess): void {
  for (const hostTid of [...(pending.get(proc)?.keys() ?? [])]) abandonFifoOpen(proc, hostTid);
}
