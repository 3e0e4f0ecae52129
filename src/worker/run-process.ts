// Run one app process in this worker: plan the exec, spawn the stub, serve its syscalls, and
// report how it ended.
import { appendFileSync } from 'node:fs';
import { constants } from 'node:os';
import { AppProcess } from '../pal/app.js';
import { host } from '../pal/host.js';
import type { MessageConnection } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { createLogger } from '../log.js';
import { isLogLevel } from '../log-levels.js';
import { SyscallError } from '../libos/errno.js';
import { planExec, type ExecPlan } from '../libos/exec.js';
import { LibosProcess } from '../libos/process.js';
import { SyscallDispatcher } from '../libos/dispatcher.js';

type StartProcess = Extract<Message, { type: 'start-process' }>;

function hostPathOf(cwd: string) {
  return (p: string) => (p.startsWith('/') ? p : cwd === '/' ? `/${p}` : `${cwd}/${p}`);
}

export async function runProcess(msg: StartProcess, conn: MessageConnection): Promise<void> {
  const log = createLogger(`vm${msg.vpid}`, isLogLevel(msg.logLevel) ? msg.logLevel : 'error');

  let plan: ExecPlan;
  try {
    plan = planExec(msg.filename, msg.argv, hostPathOf(msg.cwd));
  } catch (e) {
    const errno = e instanceof SyscallError ? e.errno : 5;
    conn.send({ type: 'start-failed', v: 1, vpid: msg.vpid, errno, message: e instanceof Error ? e.message : String(e) });
    return;
  }

  if (msg.cpu !== null) host.pinToCpu(msg.cpu);
  const app = AppProcess.spawn({ argv: plan.argv, env: msg.env, hostCwd: msg.cwd });
  const proc = new LibosProcess(
    { vpid: msg.vpid, ppid: msg.ppid, pgid: msg.pgid, sid: msg.sid },
    { uid: msg.uid, euid: msg.uid, suid: msg.uid, gid: msg.gid, egid: msg.gid, sgid: msg.gid, groups: msg.groups },
    app,
    msg.cwd,
    log,
  );
  const traceFile = msg.traceFile;
  const trace = traceFile ? (names: string[]) => appendFileSync(traceFile, names.map((n) => `${n}\n`).join('')) : null;
  const dispatcher = new SyscallDispatcher(proc, plan, trace);
  dispatcher.start();
  const exit = await app.exited;
  dispatcher.stop();
  app.release();
  const signal = exit.signal ? constants.signals[exit.signal] : null;
  log.debug(`app exited: code ${exit.code} signal ${exit.signal}`);
  conn.send({ type: 'process-exited', v: 1, vpid: msg.vpid, code: exit.code, signal });
}
