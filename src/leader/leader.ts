// The leader: the `gramine-ts run` process. It spawns the worker of the first process, hands it
// the process to run, and exits with that process's status.
import { availableParallelism, constants } from 'node:os';
import type { Logger } from '../log.js';
import { describeMessage, type Message } from '../ipc/protocol/messages.js';
import type { ChildProcess } from 'node:child_process';
import { WorkerHandle } from './worker-handle.js';
import { spawnWorkerProcess } from './worker-process.js';

export interface RunRequest {
  filename: string;
  argv: string[];
  env: Record<string, string>;
  cwd: string;
  logLevel: string;
  traceFile: string | null;
}

/** The exit status of `gramine-ts run`: the first process's, signal deaths as 128+N. */
export type ExitStatus = number;

const FIRST_VPID = 1;

/**
 * A worker and its app share one CPU: each trapped call is a round trip between them, and a
 * wake-up across CPUs costs several times one on the same CPU here. Processes spread out.
 */
function cpuFor(vpid: number): number | null {
  const cpus = availableParallelism();
  return cpus > 1 ? (vpid - 1) % cpus : null;
}

export class Leader {
  private worker: WorkerHandle | null = null;
  private readonly buffered: Message[] = [];
  private onMessage: ((m: Message) => void) | null = null;
  private onGone: (() => void) | null = null;
  private log: Logger | null = null;

  /** Adopt the first worker (spawned early by the CLI, so its boot overlaps the leader's). */
  adoptFirstWorker(child: ChildProcess = spawnWorkerProcess()): void {
    this.worker = new WorkerHandle(child, {
      message: (m) => {
        this.trace('vm1 → leader', m);
        if (this.onMessage) this.onMessage(m);
        else this.buffered.push(m);
      },
      protocolError: (err) => {
        this.log?.error(`vm1: malformed message, worker dropped: ${err.message}`);
        this.worker?.kill();
      },
      close: () => this.onGone?.(),
    });
  }

  setLogger(log: Logger | null): void {
    this.log = log;
    this.log?.info(`instance starting, worker pid ${this.worker?.pid}`);
  }

  private trace(dir: string, m: Message): void {
    this.log?.info(`${dir}  ${describeMessage(m)}`);
  }

  run(req: RunRequest): Promise<ExitStatus> {
    if (!this.worker) this.adoptFirstWorker();
    const worker = this.worker!;
    return new Promise((resolve) => {
      let done = false;
      const finish = (status: ExitStatus, why: string) => {
        if (done) return;
        done = true;
        this.log?.info(`instance ends: ${why}, exit status ${status}`);
        resolve(status);
      };
      this.onGone = () => finish(128 + constants.signals.SIGKILL, 'worker of vm1 died');
      this.onMessage = (m) => {
        switch (m.type) {
          case 'worker-ready': {
            const start: Message = {
              type: 'start-process', v: 1, vpid: FIRST_VPID, ppid: 0, pgid: FIRST_VPID, sid: FIRST_VPID,
              filename: req.filename, argv: req.argv, env: req.env, cwd: req.cwd,
              uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0, groups: process.getgroups?.() ?? [],
              logLevel: req.logLevel, traceFile: req.traceFile, cpu: cpuFor(FIRST_VPID),
            };
            this.trace('leader → vm1', start);
            worker.conn.send(start);
            break;
          }
          case 'start-failed':
            process.stderr.write(`gramine-ts: cannot execute ${req.filename}: ${m.message}\n`);
            finish(m.errno === 2 ? 127 : 126, 'exec failed');
            break;
          case 'process-exited':
            finish(m.signal !== null ? 128 + m.signal : (m.code ?? 1), `vm${m.vpid} exited`);
            break;
          default:
            this.log?.warn(`unexpected ${m.type} from vm1`);
        }
      };
      for (const m of this.buffered.splice(0)) this.onMessage(m);
    });
  }
}
