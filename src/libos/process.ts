// The LibOS view of one app process: identity, credentials, cwd and the host handles on it.
import type { AppProcess } from '../pal/app.js';
import type { Logger } from '../log.js';
import type { ExecPlan } from './exec.js';
import type { InstanceServices } from './instance.js';
import { AppMemory } from './memory.js';
import { SignalQueue } from './signals.js';
import { DOORBELL_SIGNAL } from '../pal/channel-abi.js';

export interface Credentials {
  uid: number;
  euid: number;
  suid: number;
  gid: number;
  egid: number;
  sgid: number;
  groups: number[];
}

export interface ProcessIdentity {
  readonly vpid: number;
  /** changes when the parent exits (re-parented to vpid 1) */
  ppid: number;
  pgid: number;
  sid: number;
}

export interface ResourceLimit {
  cur: bigint;
  max: bigint;
}

export class LibosProcess {
  readonly mem: AppMemory;
  readonly signals: SignalQueue;
  /** Absolute, canonical path of the working directory. */
  cwd: string;
  umask = 0o022;
  /** First host fd reserved for the stub (the app's fd space ends below it). */
  reservedFdBase = 0;
  /** The app's view of RLIMIT_NOFILE (the host limit also covers the stub's reserved fds). */
  nofileLimit: ResourceLimit | null = null;
  mainHostTid = 0;
  /** the program the next HELLO of a (re-)executed stub will get */
  pendingExec: ExecPlan | null = null;
  /** a fresh process starts with default signal dispositions; fork and exec keep them */
  freshSignals = true;
  /** trace mode: where the names of the syscalls made go (inherited by children) */
  traceFile: string | null = null;

  /** Learn the host pid of a forked child (from the leader or its own first message). */
  attach(hostPid: number): void {
    if (this.app.hostPid >= 0) return;
    this.app.attach(hostPid);
    this.mainHostTid = hostPid;
    this.signals.setReady(true); // a forked child has its parent's doorbell handler
  }

  constructor(
    readonly id: ProcessIdentity,
    readonly creds: Credentials,
    readonly app: AppProcess,
    cwd: string,
    readonly log: Logger,
    readonly instance: InstanceServices,
  ) {
    this.mem = new AppMemory(app);
    this.signals = new SignalQueue(() => app.kill(DOORBELL_SIGNAL));
    this.cwd = cwd;
  }
}
