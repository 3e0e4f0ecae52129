// Who waits for a System V object of the instance to change (a semaphore set, a message queue).
// A waiter is woken once, at the next change, and forgotten; its stub tries its call again and
// waits anew if it must. A wait the stub gave up (a signal, semtimedop's timeout) stays until
// then: so that a process cannot pile them up (a loop of short timeouts), each process keeps at
// most WAITERS_PER_PROCESS on one object, its oldest woken early when it asks for one more (a
// spurious wake-up: its stub just tries again).
const WAITERS_PER_PROCESS = 64;

export interface Waiter {
  vpid: number;
  wake: () => void;
}

export class Waiters<W extends Waiter = Waiter> {
  private list: W[] = [];

  add(w: W): void {
    const mine = this.list.filter((x) => x.vpid === w.vpid);
    if (mine.length >= WAITERS_PER_PROCESS) {
      const oldest = mine[0]!;
      this.list = this.list.filter((x) => x !== oldest);
      oldest.wake();
    }
    this.list.push(w);
  }

  /** The object changed: every waiter tries again. */
  wakeAll(): void {
    const woken = this.list;
    this.list = [];
    for (const w of woken) w.wake();
  }

  count(pred: (w: W) => boolean): number {
    return this.list.filter(pred).length;
  }
}
