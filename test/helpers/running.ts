// A program that keeps running while a test talks to it: its output lines can be waited for,
// its stdin written to, its whole process group killed.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import os from 'node:os';
import { GRAMINE_TS, REPO_ROOT } from './run.js';

/** A running program whose output lines can be waited for. */
export class Running {
  readonly child: ChildProcessWithoutNullStreams;
  readonly out: string[] = [];
  readonly err: string[] = [];
  private waiters: (() => void)[] = [];
  private closed = false;
  readonly exited: Promise<number>;

  /** `gramine-ts run ARGS...`, from the repository's top directory. */
  static gramine(args: string[]): Running {
    return new Running([process.execPath, GRAMINE_TS, 'run', ...args]);
  }

  constructor(argv: string[]) {
    this.child = spawn(argv[0]!, argv.slice(1), { cwd: REPO_ROOT, detached: true });
    const lines = (into: string[]) => {
      let partial = '';
      return (b: Buffer) => {
        const parts = (partial + b.toString()).split('\n');
        partial = parts.pop()!;
        into.push(...parts);
        for (const w of this.waiters.splice(0)) w();
      };
    };
    this.child.stdout.on('data', lines(this.out));
    this.child.stderr.on('data', lines(this.err));
    this.exited = new Promise((resolve) => this.child.on('close', (code, sig) => {
      this.closed = true;
      for (const w of this.waiters.splice(0)) w();
      resolve(code ?? 128 + (sig ? os.constants.signals[sig] : 0));
    }));
  }

  /** Wait until `count` lines of stream `which` match `re` (the whole output so far counts). */
  async waitFor(which: 'out' | 'err', re: RegExp, count = 1): Promise<string[]> {
    const lines = which === 'out' ? this.out : this.err;
    for (;;) {
      const found = lines.filter((l) => re.test(l));
      if (found.length >= count) return found;
      if (this.closed) throw new Error(`the program exited while waiting for ${re}:\n${this.err.join('\n')}`);
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** Send a console command; the lines it prints up to "end". */
  async ask(cmd: string): Promise<string[]> {
    const from = this.out.length;
    this.child.stdin.write(`${cmd}\n`);
    await this.waitFor('out', /^end$/, this.out.slice(0, from).filter((l) => l === 'end').length + 1);
    const reply = this.out.slice(from);
    return reply.slice(0, reply.indexOf('end'));
  }

  kill(): void {
    try {
      process.kill(-this.child.pid!, 'SIGKILL');
    } catch {
      // gone already
    }
  }
}

