// The worker's session with the leader, once attested: it runs the process the leader hands
// it, and then is ready again (workers are recycled). The first worker also reaps every app
// process of the instance (it is their host parent).
import { constants } from 'node:os';
import type { TLSSocket } from 'node:tls';
import { host } from '../pal/host.js';
import { reapWhenExited } from '../pal/app.js';
import { MessageConnection } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { LeaderClient } from './leader-client.js';
import { runFirstProcess, runForkedProcess } from './run-process.js';

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
  const ready = () => leader.conn.send({ type: 'worker-ready', v: 1, workerPid: process.pid });
  // a worker is ready again when its process is gone (process-gone says so)
  const run = (job: Promise<void>) => {
    busy = true;
    job.then(() => {
      busy = false;
    }, fail);
  };
  const conn = new MessageConnection(socket, {
    message(msg: Message) {
      switch (msg.type) {
        case 'start-process':
          if (busy) break;
          // the first process: when it ends, so does the instance
          return run(runFirstProcess(msg, leader));
        case 'adopt-fork':
          if (busy) break;
          return run(runForkedProcess(msg, leader));
        case 'fork-reply':
        case 'wait-reply':
        case 'kill-reply':
        case 'pgrp-reply':
          return leader.onReply(msg);
        case 'signal':
          return leader.deliver(msg);
        case 'pgrp-changed':
          return leader.pgrpChanged(msg.vpid, msg.pgid, msg.sid);
        case 'reap':
          // the first worker is the host parent of every app process (CLONE_PARENT)
          if (!reapWhenExited(msg.hostPid, (status) => conn.send({ type: 'host-exited', v: 1, hostPid: msg.hostPid, status })))
            conn.send({ type: 'host-exited', v: 1, hostPid: msg.hostPid, status: constants.signals.SIGKILL });
          return;
        case 'fork-channel-taken':
          host.close(msg.channelFd);
          host.close(msg.cwdFd);
          return;
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
      // Without its leader a worker has nothing to do; its app dies with it (PDEATHSIG).
      process.exit(0);
    },
  });
  leader = new LeaderClient(conn);
  ready();
}

