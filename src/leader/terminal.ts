// The terminal the instance runs on. When the instance starts in its foreground (the leader's
// group is the terminal's foreground group), its first process takes a host group of its own and
// the terminal's foreground (the stub: HELLO_FOREGROUND), so that Ctrl-C, Ctrl-Z and a background
// read's SIGTTIN reach the groups the app makes, as a shell's jobs. When the instance ends, the
// leader gives the terminal back to its own group, with the modes it had at the start: an app
// killed in raw mode, or one that left a job in the foreground, leaves the user's shell sane.
// When the first process itself is stopped (Ctrl-Z of `gramine-ts run make`), the instance stops
// as one job of the user's shell: the terminal goes back, the leader's group stops, and the
// shell's `fg` (or `bg`) continues it all.
import { host } from '../pal/host.js';

const TCGETS = 0x5401;
const TCSETSW = 0x5403;
const TIOCGPGRP = 0x540f;
const TIOCSPGRP = 0x5410;
/** struct termios as the kernel's TCGETS has it (36 bytes), with room */
const TERMIOS_SIZE = 64;
const SIG_BLOCK = 0;
const SIG_SETMASK = 2;
const SIGTTOU = 22;
const SIGTSTP = 20;
const SIGCONT = 18;

export class InstanceTerminal {
  private constructor(
    private readonly fd: number,
    private readonly modes: Buffer,
    private readonly pgrp: number,
  ) {}

  /** The terminal among stdin, stdout and stderr whose foreground the leader's group holds, or null. */
  static foreground(): InstanceTerminal | null {
    const pgrp = host.getpgrp();
    for (const fd of [0, 1, 2]) {
      const fg = Buffer.alloc(4);
      if (host.ioctl(fd, TIOCGPGRP, fg) < 0 || fg.readInt32LE(0) !== pgrp) continue;
      const modes = Buffer.alloc(TERMIOS_SIZE);
      if (host.ioctl(fd, TCGETS, modes) < 0) continue;
      return new InstanceTerminal(fd, modes, pgrp);
    }
    return null;
  }

  /** the foreground group and modes the app had when it stopped (suspend), until it goes on */
  private held: { pgrp: number; modes: Buffer } | null = null;

  /** The foreground back to the leader's group, and the modes as they were. */
  restore(): void {
    this.withTtouHeld(() => {
      this.setForeground(this.pgrp);
      host.ioctl(this.fd, TCSETSW, this.modes);
    });
  }

  /** The first process stopped: the terminal back to the user's shell, and the leader's group stops too. */
  suspend(): void {
    const fg = Buffer.alloc(4);
    const modes = Buffer.alloc(TERMIOS_SIZE);
    if (this.held || host.ioctl(this.fd, TIOCGPGRP, fg) < 0 || host.ioctl(this.fd, TCGETS, modes) < 0) return;
    this.held = { pgrp: fg.readInt32LE(0), modes };
    this.restore();
    host.kill(0, SIGTSTP);
  }

  /**
   * The leader's group was continued (the shell's `fg` or `bg`): in the foreground, the app's
   * group gets the terminal back with its modes; either way it goes on.
   */
  resume(): void {
    const held = this.held;
    if (!held) return;
    this.held = null;
    const fg = Buffer.alloc(4);
    if (host.ioctl(this.fd, TIOCGPGRP, fg) === 0 && fg.readInt32LE(0) === this.pgrp) {
      this.withTtouHeld(() => {
        host.ioctl(this.fd, TCSETSW, held.modes);
        this.setForeground(held.pgrp);
      });
    }
    host.kill(-held.pgrp, SIGCONT);
  }

  private setForeground(pgrp: number): void {
    const id = Buffer.alloc(4);
    id.writeInt32LE(pgrp);
    host.ioctl(this.fd, TIOCSPGRP, id);
  }

  /** fn with SIGTTOU blocked: a group in the background may then set the terminal (as shells do). */
  private withTtouHeld(fn: () => void): void {
    const ttou = Buffer.alloc(8);
    ttou.writeBigUInt64LE(1n << BigInt(SIGTTOU - 1));
    const old = Buffer.alloc(8);
    host.sigprocmask(SIG_BLOCK, ttou, old);
    try {
      fn();
    } finally {
      host.sigprocmask(SIG_SETMASK, old, null);
    }
  }
}
