// Signals queued for an app process by the LibOS (from another process), with their
// virtual siginfo. Delivery is the host's: the worker rings the stub's doorbell (a reserved host
// signal), and the stub raises each queued signal on itself with rt_tgsigqueueinfo.
import { SIGCONT_MARK, SIGINFO_SIZE } from '../pal/channel-abi.js';

export const SI_USER = 0;
export const SI_QUEUE = -1;
export const SI_TKILL = -6;

export interface QueuedSignal {
  signo: number;
  code: number;
  /** virtual pid and uid of the sender */
  pid: number;
  uid: number;
  /** a SIGCHLD sent with sigqueue: si_status */
  status?: number;
  /** the siginfo the sender gave (rt_sigqueueinfo), delivered as given but for its signal number */
  raw?: Buffer;
}

/** A sender's siginfo as carried in IPC (hex); a malformed one is the empty siginfo. */
export function siginfoFromHex(hex: string): Buffer {
  const b = Buffer.alloc(SIGINFO_SIZE);
  if (/^[0-9a-f]*$/.test(hex) && hex.length === 2 * SIGINFO_SIZE) Buffer.from(hex, 'hex').copy(b);
  return b;
}

/** siginfo_t as x86-64 Linux lays it out (kill and SIGCHLD members). */
export function encodeSiginfo(s: QueuedSignal): Buffer {
  if (s.raw) {
    const b = Buffer.from(s.raw);
    b.writeInt32LE(s.signo, 0);
    return b;
  }
  const b = Buffer.alloc(SIGINFO_SIZE);
  b.writeInt32LE(s.signo, 0);
  b.writeInt32LE(s.code, 8);
  b.writeInt32LE(s.pid, 16);
  b.writeUInt32LE(s.uid, 20);
  if (s.status !== undefined) b.writeInt32LE(s.status, 24);
  return b;
}

/**
 * The siginfo of a SIGCONT sent to the host process itself (a stopped one cannot ring its
 * doorbell). The host takes no kernel code (SI_USER, SI_TKILL) from another process: those go
 * as SI_QUEUE with a marker value, which the stub turns back (native/stub/siginfo.c).
 */
export function hostSigcontInfo(s: QueuedSignal): Buffer {
  const b = encodeSiginfo(s);
  const code = b.readInt32LE(8);
  if (code >= 0 || code === SI_TKILL) {
    b.writeInt32LE(SI_QUEUE, 8);
    b.writeBigUInt64LE(BigInt(SIGCONT_MARK + (code === SI_TKILL ? 1 : 0)), 24);
  }
  return b;
}

/** Signals taken by the stub's doorbell handler: those for the calling thread, and for the process. */
export interface TakenSignals {
  forThread: QueuedSignal[];
  forProcess: QueuedSignal[];
}

/**
 * Signals waiting for the stub to take them: the process's (any thread may take them; the host
 * picks the thread that runs the handler) and each thread's own (tgkill).
 */
export class SignalQueue {
  private pending: QueuedSignal[] = [];
  private readonly pendingFor = new Map<number, QueuedSignal[]>();
  /** the stub has its doorbell handler in place (not between an execve and the new HELLO) */
  private ready = false;

  /** `ring(tid)`: ring the doorbell of thread `tid` (if it can be reached yet), or of the process (null) */
  constructor(private readonly ring: (tid: number | null) => void) {}

  /** Queue `s` for the process, or for its thread `tid`. */
  queue(s: QueuedSignal, tid: number | null = null): void {
    if (tid === null) {
      this.pending.push(s);
      if (this.ready && this.pending.length === 1) this.ring(null);
      return;
    }
    const list = this.pendingFor.get(tid) ?? [];
    list.push(s);
    this.pendingFor.set(tid, list);
    if (this.ready && list.length === 1) this.ring(tid);
  }

  setReady(ready: boolean): void {
    this.ready = ready;
    if (!ready) return;
    if (this.pending.length) this.ring(null);
    for (const tid of this.pendingFor.keys()) this.ring(tid);
  }

  /** Thread `tid` can be reached now (its host tid is known): ring for what waits for it. */
  threadStarted(tid: number): void {
    if (this.ready && this.pendingFor.get(tid)?.length) this.ring(tid);
  }

  /** Thread `tid` exited: what was sent to it alone is lost, as on Linux. */
  threadGone(tid: number): void {
    this.pendingFor.delete(tid);
  }

  /** Up to `max` queued signals for thread `tid` (its own first), oldest first; rings again if more are left. */
  take(max: number, tid: number): TakenSignals {
    const own = this.pendingFor.get(tid) ?? [];
    const forThread = own.splice(0, max);
    if (!own.length) this.pendingFor.delete(tid);
    const forProcess = this.pending.splice(0, max - forThread.length);
    if (this.ready) {
      if (own.length) queueMicrotask(() => this.ring(tid));
      if (this.pending.length) queueMicrotask(() => this.ring(null));
    }
    return { forThread, forProcess };
  }
}
