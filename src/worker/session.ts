// The worker's session with the leader, once attested: it runs the process the leader hands
// it (the first one, or a forked child the leader held until it asked something), and then is
// ready again (workers are recycled).
import { constants } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { host } from '../pal/host.js';
import { MessageConnection } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { LeaderClient } from './leader-client.js';
import { runFirstProcess, runForkedProcess, type ProcessGone } from './run-process.js';
import { takeAdoption } from './standby.js';
import { Vfs } from '../libos/fs/vfs.js';
import { createLogger, logToFile } from '../log.js';
import { isLogLevel } from '../log-levels.js';

function tryOrExit<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    process.stderr.write(`gramine-ts worker: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(70);
  }
}

function fail(e: unknown): never {
  process.stderr.write(`gramine-ts worker: ${e instanceof Error ? e.stack : String(e)}\n`);
  process.exit(70);
}

/** Serve the leader on the attested channel: processes to run, replies, reaping. */
export function runSession(socket: TLSSocket): void {
  // The LibOS applies the app's umask itself; the worker creates files on the app's behalf.
  host.umask(0);
  // No process of the instance outlives the leader, even a worker stuck in a host call.
  if (host.dieWithParent(constants.signals.SIGKILL, process.ppid) < 0) process.exit(1);
  let busy = false;
  let leader: LeaderClient;
  /** the instance's file-system view: the leader sends it before any process */
  let vfs: Vfs | null = null;
  const ready = (gone: ProcessGone | null = null) => {
    leader.conn.send({ type: 'worker-ready', v: 1, workerPid: process.pid, gone });
  };
  // a worker is free again when its process is gone
  const run = (job: Promise<ProcessGone | void>) => {
    busy = true;
    job.then((gone) => {
      busy = false;
      ready(gone ?? null);
    }, fail);
  };
  const conn = new MessageConnection(socket, {
    message(msg: Message) {
      switch (msg.type) {
        case 'instance-config':
          if (vfs) break;
          leader.disallowSubprocesses = msg.disallowSubprocesses;
          leader.fdsLimit = msg.fdsLimit;
          leader.stackSize = msg.stackSize;
          leader.hostname = msg.hostname;
          logToFile(msg.logFile);
          // the leader has checked the mounts; one gone since is this worker's end
          vfs = tryOrExit(() => new Vfs({
            mounts: msg.mounts, scratchPath: msg.scratchPath, instanceTree: msg.instanceTree, abstractPrefix: msg.abstractPrefix,
            fileChecks: msg.fileChecks, interpreterDirs: msg.interpreterDirs, pathDirs: msg.pathDirs, terminals: msg.terminals,
          }, createLogger('fs', isLogLevel(msg.logLevel) ? msg.logLevel : 'error'), (name, path, fd, size) => {
            leader.conn.send({ type: 'trusted-copy', v: 1, name, path, fd, size });
          }));
          return;
        case 'start-process':
          if (busy || !vfs) break;
          // the first process: when it ends, so does the instance
          return run(runFirstProcess(msg, leader, vfs));
        case 'adopt': {
          const view = vfs;
          let child;
          try {
            if (busy || !view) throw new Error('not free to serve it');
            child = takeAdoption(msg);
          } catch (e) {
            process.stderr.write(`gramine-ts worker: vm${msg.vpid}: ${e instanceof Error ? e.message : String(e)}\n`);
            leader.conn.send({ type: 'adopted', v: 1, vpid: msg.vpid, ok: false });
            return;
          }
          leader.conn.send({ type: 'adopted', v: 1, vpid: msg.vpid, ok: true });
          // now, before it runs on: a migration later costs a lot. The child itself runs where
          // the host put it until now (it may never have asked anything): beside its worker from here on
          if (msg.cpu !== null) {
            host.pinToCpu(msg.cpu);
            if (child.announced) host.pinTaskToCpu(child.announced.hostTid, msg.cpu);
          }
          // served from now on (synchronously: what the leader sends next finds it)
          return run(runForkedProcess(child, leader, view));
        }
        case 'standby-offer':
          return leader.onStandbyOffer(msg);
        case 'standby-refused':
          return leader.onStandbyRefused(msg);
        case 'kill-reply':
        case 'pgrp-reply':
        case 'pid-lookup-reply':
        case 'group-children-reply':
        case 'process-list-reply':
        case 'creds-reply':
        case 'peer-creds-reply':
        case 'tids-reply':
        case 'sysv-reply':
        case 'mq-reply':
        case 'pdeath-signal-reply':
        case 'socket-directory-reply':
        case 'attestation-reply':
        case 'encrypted-reply':
          return leader.onReply(msg);
        case 'sysv-wake':
          return leader.sysvWake(msg.waitId);
        case 'child-creds':
          return leader.childCreds(msg);
        case 'signal':
          return leader.deliver(msg);
        case 'pgrp-changed':
          return leader.pgrpChanged(msg);
        case 'reparent':
          leader.reparent(msg.vpid, msg.ppid);
          return;
        default:
          break;
      }
      process.stderr.write(`gramine-ts worker: unexpected ${msg.type} from the leader\n`);
    },
    protocolError(err) {
      process.stderr.write(`gramine-ts worker: bad message from the leader: ${err.message}\n`);
    },
    close() {
      // Without its leader a worker has nothing to do; its app dies with it (lifeline, PDEATHSIG).
      process.exit(0);
    },
  });
  leader = new LeaderClient(conn);
  ready();
}

