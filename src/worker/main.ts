// A worker: one Node process per app process. It boots, says it is ready, and runs the LibOS for
// the process the leader hands it. The channel to the leader is fd 3 (a host socket).
import net from 'node:net';
import { constants } from 'node:os';
import { host } from '../pal/host.js';
import { MessageConnection } from '../ipc/protocol/connection.js';
import type { Message } from '../ipc/protocol/messages.js';
import { runProcess } from './run-process.js';

const LEADER_FD = 3;

function main(): void {
  // The LibOS applies the app's umask itself; the worker creates files on the app's behalf.
  host.umask(0);
  // No process of the instance outlives the leader, even a worker stuck in a host call.
  if (host.dieWithParent(constants.signals.SIGKILL, process.ppid) < 0) process.exit(1);
  const socket = new net.Socket({ fd: LEADER_FD, readable: true, writable: true });
  let started = false;
  const conn = new MessageConnection(socket, {
    message(msg: Message) {
      if (msg.type !== 'start-process' || started) {
        process.stderr.write(`gramine-ts worker: unexpected ${msg.type} from the leader\n`);
        return;
      }
      started = true;
      runProcess(msg, conn).then(
        () => conn.end(),
        (e: unknown) => {
          process.stderr.write(`gramine-ts worker: ${e instanceof Error ? e.stack : String(e)}\n`);
          process.exit(70);
        },
      );
    },
    protocolError(err) {
      process.stderr.write(`gramine-ts worker: bad message from the leader: ${err.message}\n`);
    },
    close() {
      // Without its leader a worker has nothing to do; its app dies with it (PDEATHSIG).
      process.exit(started ? 0 : 1);
    },
  });
  conn.send({ type: 'worker-ready', v: 1, workerPid: process.pid });
}

main();
