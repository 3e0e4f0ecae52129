// Run one app process in this worker -- the first process of the instance, spawned here, or a
// forked child whose channel end comes from its parent's worker -- until its app is gone.
import { saveCodeCache } from '../code-cache.js';
import { AppProcess } from '../pal/app.js';
import { host, toByteString } from '../pal/host.js';
import type { Message } from '../ipc/protocol/messages.js';
import { createLogger } from '../log.js';
import { isLogLevel } from '../log-levels.js';
import { Errno, SyscallError } from '../libos/errno.js';
import { openDirectory } from '../libos/fs/ops.js';
import type { Vfs } from '../libos/fs/vfs.js';
import type { WalkContext } from '../libos/fs/walk.js';
import { execedByStub, openForExec, planExecOf } from '../libos/sys/proc.js';
import { LibosProcess } from '../libos/process.js';
import type { AdoptedChild } from './standby.js';
import { SyscallDispatcher } from '../libos/dispatcher.js';
import { pinBesideWorker, spreadOverCpus } from '../libos/thread.js';
import type { LeaderClient } from './leader-client.js';

type StartProcess = Extract<Message, { type: 'start-process' }>;
/** What the worker says with its next worker-ready: the process it served is gone (ran: it did run). */
export type ProcessGone = { vpid: number; ran: boolean };

const logLevel = (l: string) => (isLogLevel(l) ? l : 'error');

/**
 * Where a process runs follows how often it asks its worker (requests it waits on, per second):
 * beside it while it asks often (each round trip is cheapest on one CPU), on any of the
 * instance's CPUs while it asks seldom -- a server, a stream of data, a loop of forks made
 * alone: the host's work, and its children's, spread as natively. Looked at soon after the
 * start (most processes make their calls stub-local or never ask), then now and then; the
 * gap between the two rates keeps a process near one from moving to and fro.
 */
const PLACE_FIRST_CHECK_MS = 20;
const PLACE_CHECK_MS = 200;
const SPREAD_BELOW_PER_S = 500;
const PIN_FROM_PER_S = 1000;

function placeByTraffic(proc: LibosProcess, spreadNow: boolean): () => void {
  if (spreadNow) spreadOverCpus(proc);
  let last = proc.requests;
  let lastAt = performance.now();
  let timer: NodeJS.Timeout;
  const check = () => {
    const now = performance.now();
    const perSecond = ((proc.requests - last) * 1000) / Math.max(now - lastAt, 1);
    last = proc.requests;
    lastAt = now;
    const cpu = host.pinnedCpu();
    if (perSecond < SPREAD_BELOW_PER_S) spreadOverCpus(proc);
    else if (perSecond >= PIN_FROM_PER_S && cpu >= 0) pinBesideWorker(proc, cpu);
    timer = setTimeout(check, PLACE_CHECK_MS);
    timer.unref();
  };
  timer = setTimeout(check, PLACE_FIRST_CHECK_MS);
  timer.unref();
  return () => clearTimeout(timer);
}

/** Serve the process's syscalls until its app is gone. */
async function serve(proc: LibosProcess, leader: LeaderClient, spreadNow: boolean): Promise<void> {
  leader.begin(proc);
  const dispatcher = new SyscallDispatcher(proc);
  dispatcher.start();
  const stopPlacing = placeByTraffic(proc, spreadNow);
  await proc.app.gone;
  stopPlacing();
  dispatcher.stop();
  proc.app.release();
  proc.release();
  leader.end();
}

/** The first process's program, opened; a failure to find it says where it was looked for. */
function programFd(start: WalkContext, filename: string): ReturnType<typeof openForExec> {
  try {
    return openForExec(start, filename);
  } catch (e) {
    if (!(e instanceof SyscallError) || e.errno !== Errno.ENOENT) throw e;
    throw new SyscallError(e.errno, `not found in the instance's file tree (without a manifest: the host's; with one: its fs.root and fs.mounts): ${e.message}`);
  }
}

/** The first process: plan the exec, spawn the stub, report how it ended. */
export async function runFirstProcess(msg: StartProcess, leader: LeaderClient, vfs: Vfs): Promise<void> {
  const log = createLogger(`vm${msg.vpid}`, logLevel(msg.logLevel));
  const conn = leader.conn;
  let plan;
  let cwdFd = -1;
  try {
    // paths are byte strings in the LibOS; what the user typed is UTF-8; both are instance paths
    const cwd = toByteString(msg.cwd);
    const start: WalkContext = {
      vfs, rootPath: '/', cwdInstancePath: () => cwd, cwdDirFd: -1,
      hostFdFor: (fd) => { throw new SyscallError(Errno.EBADF, `fd ${fd} before the process runs`); },
    };
    cwdFd = openDirectory(start, cwd);
    const filename = toByteString(msg.filename);
    const fd = programFd(start, filename);
    if (fd instanceof Promise) {
      fd.then(host.close, () => undefined);
      throw new SyscallError(Errno.EACCES, `${msg.filename}: not a file of a host mount`);
    }
    plan = planExecOf(start, filename, msg.argv, fd);
  } catch (e) {
    if (cwdFd >= 0) host.close(cwdFd);
    const errno = e instanceof SyscallError ? e.errno : 5;
    conn.send({ type: 'start-failed', v: 1, vpid: msg.vpid, errno, message: e instanceof Error ? e.message : String(e) });
    return;
  }
  if (msg.cpu !== null) host.pinToCpu(msg.cpu);
  // the app's host cwd mirrors the LibOS's (for /proc of other processes); paths are the LibOS's
  const app = AppProcess.spawn({ argv: plan.argv, env: msg.env, cwdFd });
  const proc = new LibosProcess(
    { vpid: msg.vpid, ppid: msg.ppid, pgid: msg.pgid, sid: msg.sid },
    { uid: msg.uid, euid: msg.uid, suid: msg.uid, fsuid: msg.uid, gid: msg.gid, egid: msg.gid, sgid: msg.gid, fsgid: msg.gid, groups: msg.groups },
    app, cwdFd, log, leader.servicesFor(msg.traceFile, msg.straceFile), vfs,
  );
  proc.pendingExec = plan;
  proc.pendingNofile = leader.fdsLimit;
  proc.pendingStack = leader.stackSize;
  proc.exePath = vfs.virtualPathOfHostFd(plan.exeFd) ?? toByteString(msg.filename);
  proc.traceFile = msg.traceFile;
  proc.straceFile = msg.straceFile;
  proc.sandbox = msg.sandbox;
  proc.takesTerminal = msg.foreground;
  proc.umask = msg.umask;
  // (spread from the start: its worker's first, cold answers -- a fork loop's first fork --
  // then run beside it, not in its way; the first look puts a process that asks often back)
  const serving = serve(proc, leader, true);
  const stops = msg.foreground ? relayStops(app.hostPid, leader) : null;
  const exit = await app.spawnedExit!;
  stops?.();
  await serving;
  log.debug(`app exited: code ${exit.code} signal ${exit.signal}`);
  saveCodeCache(); // (a build's run: before the instance ends, and this worker with it)
  leader.toLeader({ type: 'process-exited', v: 1, vpid: msg.vpid, code: exit.code, signal: exit.signal });
}

/**
 * The first process took the terminal's foreground: its stops (Ctrl-Z) and continues are the
 * leader's to know, which stops the instance as a whole. Returns the end of the watch.
 */
function relayStops(hostPid: number, leader: LeaderClient): () => void {
  const onChild = () => {
    const change = host.stopChange(hostPid);
    if (change) leader.toLeader({ type: 'first-process-stopped', v: 1, stopped: change === 'stopped' });
  };
  process.on('SIGCHLD', onChild);
  return () => process.off('SIGCHLD', onChild);
}

/** A forked child the leader has handed over (it has asked something, or is signalled): serve it. */
export async function runForkedProcess(child: AdoptedChild, leader: LeaderClient, vfs: Vfs): Promise<ProcessGone> {
  const cp = child.checkpoint;
  const log = createLogger(`vm${cp.vpid}`, logLevel(cp.logLevel));
  const proc = new LibosProcess(
    { vpid: cp.vpid, ppid: cp.ppid, pgid: cp.pgid, sid: cp.sid },
    { ...cp.creds, groups: [...cp.creds.groups] },
    AppProcess.adopt(child.channelFd, child.lifelineFd, child.appEndInode), child.cwdFd, log, leader.servicesFor(cp.traceFile, cp.straceFile), vfs,
  );
  proc.rootPath = cp.rootPath;
  proc.exePath = cp.exePath;
  if (!child.reparented) proc.watchParent(cp.parentHostPid);
  proc.umask = child.umask ?? cp.umask;
  proc.utsNames = { ...cp.utsNames };
  proc.reservedFdBase = cp.reservedFdBase;
  proc.freshSignals = false;
  proc.traceFile = cp.traceFile;
  proc.straceFile = cp.straceFile;
  if (cp.nofileCur !== null && cp.nofileMax !== null) proc.nofileLimit = { cur: BigInt(cp.nofileCur), max: BigInt(cp.nofileMax) };
  if (cp.hostNofileMax !== null) proc.hostNofileMax = BigInt(cp.hostNofileMax);
  proc.appHostIdentity = cp.appHostIdentity;
  for (const { vpid, hostPid } of child.children) {
    // forked while it was held, the leader granting it: as if this worker had
    if (hostPid > 0) proc.children.set(vpid, hostPid);
    else proc.forksInFlight.add(vpid);
    proc.noteChildUid(vpid, proc.creds.uid);
    proc.parentThreadOf.set(vpid, proc.id.vpid);
  }
  if (child.announced) {
    // its FORKED, which the leader took and checked (or its parent's word, which its worker checked)
    proc.attach(child.announced.hostPid);
    proc.mainHostTid = child.announced.hostTid;
    // an exec its stub made while the leader held it, or its parent's that its state is from before
    const x = child.execed;
    if (x) execedByStub(proc, x.addr, x.len, x.hostTid, x.own);
  }
  await serve(proc, leader, false); // (pinned beside its worker when adopted: it has asked)
  return { vpid: cp.vpid, ran: true };
}
