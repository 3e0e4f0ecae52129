// The worker's side of the instance: requests to the leader (fork, wait) with their replies
// matched by id, and the InstanceServices the LibOS of this worker's process uses.
import { appendFileSync } from 'node:fs';
import { host } from '../pal/host.js';
import { STUB_PATH } from '../paths.js';
import type { MessageConnection } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { SyscallError } from '../libos/errno.js';
import { O_CLOEXEC, O_PATH } from '../libos/sys/fs.js';
import type { InstanceServices, KillTarget, PgrpOp, WaitOptions, WaitResult, WaitTarget } from '../libos/instance.js';
import type { LibosProcess } from '../libos/process.js';

type Reply = Extract<Message, { type: 'fork-reply' | 'wait-reply' | 'kill-reply' | 'pgrp-reply' }>;

export class LeaderClient {
  private nextReqId = 1;
  private readonly pending = new Map<number, (m: Reply) => void>();
  private stubFd = -1;
  /** the process this worker serves now (for re-parenting notices) */
  current: LibosProcess | null = null;

  constructor(readonly conn: MessageConnection) {}

  /** A reply from the leader to one of our requests. */
  onReply(m: Reply): void {
    const resolve = this.pending.get(m.reqId);
    this.pending.delete(m.reqId);
    resolve?.(m);
  }

  private request<T extends Reply>(send: (reqId: number) => Message): Promise<T> {
    const reqId = this.nextReqId++;
    return new Promise((resolve) => {
      this.pending.set(reqId, resolve as (m: Reply) => void);
      this.conn.send(send(reqId));
    });
  }

  reparent(vpid: number, ppid: number): void {
    if (this.current?.id.vpid === vpid) this.current.id.ppid = ppid;
  }

  /** The services for one process of this worker. */
  servicesFor(traceFile: string | null): InstanceServices {
    return {
      fork: (proc, fd) => this.fork(proc, fd),
      wait: (proc, target, options) => this.wait(proc, target, options),
      kill: (proc, target, sig, code) => this.kill(proc, target, sig, code),
      pgrp: (proc, op, pid, pgid) => this.pgrp(proc, op, pid, pgid),
      stubBinaryFd: () => this.stubBinaryFd(),
      childStarted: (vpid, hostPid) => this.conn.send({ type: 'fork-adopted', v: 1, vpid, hostPid }),
      trace: traceFile ? (names) => appendFileSync(traceFile, names.map((n) => `${n}\n`).join('')) : null,
    };
  }

  private async fork(proc: LibosProcess, channelFd: number): Promise<number> {
    const nofile = proc.nofileLimit;
    // a copy the child's worker takes; ours is closed once it has (fork-channel-taken)
    const cwdFd = host.dupCloexec(proc.cwdDirFd);
    if (cwdFd < 0) throw new SyscallError(-cwdFd, 'fork: cwd');
    const r = await this.request<Extract<Reply, { type: 'fork-reply' }>>((reqId) => ({
      type: 'fork-request', v: 1, reqId, parentVpid: proc.id.vpid, parentWorkerPid: process.pid, channelFd,
      checkpoint: {
        cwdFd, umask: proc.umask, uid: proc.creds.uid, gid: proc.creds.gid, groups: proc.creds.groups,
        nofileCur: nofile ? String(nofile.cur) : null, nofileMax: nofile ? String(nofile.max) : null,
        reservedFdBase: proc.reservedFdBase, logLevel: proc.log.level, traceFile: proc.traceFile,
      },
    }));
    if (r.errno) {
      host.close(channelFd);
      host.close(cwdFd);
      throw new SyscallError(r.errno, 'fork');
    }
    return r.childVpid;
  }

  private async wait(proc: LibosProcess, target: WaitTarget, options: WaitOptions): Promise<WaitResult | null> {
    const id = target.kind === 'pid' ? target.vpid : target.kind === 'pgid' ? target.pgid : 0;
    const r = await this.request<Extract<Reply, { type: 'wait-reply' }>>((reqId) => ({
      type: 'wait-request', v: 1, reqId, vpid: proc.id.vpid, target: target.kind, id, ...options,
    }));
    if (r.errno) throw new SyscallError(r.errno, 'wait');
    return r.vpid === 0 ? null : { vpid: r.vpid, status: r.status, uid: r.uid };
  }

  private async kill(proc: LibosProcess, target: KillTarget, sig: number, code: number): Promise<void> {
    const id = target.kind === 'pid' ? target.vpid : target.kind === 'pgid' ? target.pgid : 0;
    const r = await this.request<Extract<Reply, { type: 'kill-reply' }>>((reqId) => ({
      type: 'kill-request', v: 1, reqId, sender: proc.id.vpid, target: target.kind, id, sig, code,
    }));
    if (r.errno) throw new SyscallError(r.errno, `kill ${target.kind} ${id}`);
  }

  private async pgrp(proc: LibosProcess, op: PgrpOp, pid: number, pgid: number): Promise<number> {
    const r = await this.request<Extract<Reply, { type: 'pgrp-reply' }>>((reqId) => ({
      type: 'pgrp-request', v: 1, reqId, caller: proc.id.vpid, op, pid, pgid,
    }));
    if (r.errno) throw new SyscallError(r.errno, `${op} ${pid} ${pgid}`);
    return r.value;
  }

  /** The leader changed our process's group or session. */
  pgrpChanged(vpid: number, pgid: number, sid: number): void {
    if (this.current?.id.vpid !== vpid) return;
    this.current.id.pgid = pgid;
    this.current.id.sid = sid;
  }

  /** A signal the leader routed to our process. */
  deliver(m: Extract<Message, { type: 'signal' }>): void {
    // a forked child may not have said who it is yet: the leader knows (its parent's stub told)
    if (this.current?.id.vpid === m.vpid && m.hostPid !== null) this.current.attach(m.hostPid);
    if (this.current?.id.vpid === m.vpid)
      this.current.signals.queue({ signo: m.signo, code: m.code, pid: m.pid, uid: m.uid, ...(m.status !== null ? { status: m.status } : {}) });
    // the doorbell has rung: the signal is pending on the host process, as kill(2) promises
    if (m.ackId !== null) this.conn.send({ type: 'signal-queued', v: 1, ackId: m.ackId });
  }

  private stubBinaryFd(): number {
    if (this.stubFd < 0) this.stubFd = host.openat(-100, STUB_PATH, O_PATH | O_CLOEXEC, 0);
    if (this.stubFd < 0) throw new SyscallError(-this.stubFd, `open ${STUB_PATH}`);
    return this.stubFd;
  }
}
