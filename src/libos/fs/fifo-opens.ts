// Opens of a FIFO that wait for its other end. Linux ends such a wait with EINTR when a handler
// runs (or restarts it, for SA_RESTART); a worker making the open for the app must let a signal
// end it too. So the worker makes the open on a pool thread and answers "not yet" at once, with
// an eventfd the open's end makes readable: the stub waits on it with the app's own signal mask
// and makes the call again (native/stub/trap.c, forward_waitable), answered with the open's
// result by then. A call given up (a handler ended it) is undone: the open still waiting is
// woken by a reader-and-writer open of the same FIFO the worker holds until it returns (which
// wakes any other opener waiting on that FIFO as well), and what it opened is closed.
import { host, openBlocking } from '../../pal/host.js';
import { AT_FDCWD, O_CLOEXEC, O_NONBLOCK, O_RDWR } from '../../pal/linux-abi.js';
import { SyscallError } from '../errno.js';
import type { LibosProcess } from '../process.js';
import type { WaitOn } from '../sys/types.js';

// eventfd's flags are open's
const EFD_CLOEXEC = O_CLOEXEC;
const EFD_NONBLOCK = O_NONBLOCK;

interface PendingOpen {
  /** the call it is for: the same path and flags made again collect it */
  key: string;
  /** readable once the open has returned */
  eventFd: number;
  /** the FIFO (an O_PATH fd), until the open returns */
  pathFd: number;
  /** the open's fd or -errno, once it returned */
  result: number | null;
  /** given up: what it opens is closed */
  abandoned: boolean;
  /** the reader-and-writer open that wakes it when it is given up */
  wakeFd: number;
}

/** by process, then by the host tid of the thread that made the call */
const pending = new WeakMap<LibosProcess, Map<number, PendingOpen>>();

function pendingOf(proc: LibosProcess): Map<number, PendingOpen> {
  let m = pending.get(proc);
  if (!m) pending.set(proc, (m = new Map()));
  return m;
}

function closeIfOpen(fd: number): void {
  if (fd >= 0) host.close(fd);
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
    if (p.result === null) return waitOn(p);
    mine.delete(hostTid);
    host.close(p.eventFd);
    if (p.result < 0) throw new SyscallError(-p.result, `open ${key}`);
    return p.result;
  }
  const eventFd = host.eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (eventFd < 0) {
    host.close(pathFd);
    throw new SyscallError(-eventFd, 'open: eventfd');
  }
  const started: PendingOpen = { key, eventFd, pathFd, result: null, abandoned: false, wakeFd: -1 };
  mine.set(hostTid, started);
  void openBlocking(`/proc/self/fd/${pathFd}`, flags).then((fd) => {
    host.close(started.pathFd);
    started.pathFd = -1;
    closeIfOpen(started.wakeFd);
    if (started.abandoned) {
      closeIfOpen(fd);
      return;
    }
    started.result = fd;
    host.write(started.eventFd, Buffer.from([1, 0, 0, 0, 0, 0, 0, 0]));
  });
  return waitOn(started);
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
  if (p.result !== null) {
    closeIfOpen(p.result);
    return;
  }
  p.abandoned = true;
  // a reader and a writer at once: the waiting open returns (held until it has)
  if (p.pathFd >= 0) p.wakeFd = host.openat(AT_FDCWD, `/proc/self/fd/${p.pathFd}`, O_RDWR | O_NONBLOCK | O_CLOEXEC, 0);
}

/** The process is gone: every open still waiting for it is given up. */
export function abandonFifoOpens(proc: LibosProcess): void {
  for (const hostTid of [...(pending.get(proc)?.keys() ?? [])]) abandonFifoOpen(proc, hostTid);
}
