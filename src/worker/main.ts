// A worker: one Node process per app process at a time (the analogue of one Gramine enclave).
// It attests to the leader over fd 3 (with the platform key from fd 4), opens the TLS-PSK
// channel, and runs its session. Only what attestation needs is loaded up front; the LibOS
// loads while the leader checks the report.
import net from 'node:net';
import type { TLSSocket } from 'node:tls';
import { WORKER_CODE } from '../paths.js';
import { measurerWithManifest, workerCodeParts } from '../tls-psk/measurement.js';
import { readPlatformKeyFromFd } from '../tls-psk/platform-key.js';

const LEADER_FD = 3;
const PLATFORM_KEY_FD = 4;
const STDERR_FD = 5;

/** The leader keeps our stderr until Node runs (src/leader/worker-process.ts): take it now. */
async function takeStderr(): Promise<void> {
  if (!process.argv.includes(`--stderr-fd=${STDERR_FD}`)) return;
  const { host } = await import('../pal/host.js');
  if (host.dup3(STDERR_FD, 2) < 0) process.exit(70);
  host.close(STDERR_FD);
}

/** Attest to the leader and open the TLS-PSK channel on the leader's socket. */
async function connectToLeader(): Promise<TLSSocket> {
  const platformKey = readPlatformKeyFromFd(PLATFORM_KEY_FD);
  const socket = new net.Socket({ fd: LEADER_FD, readable: true, writable: true });
  socket.pause();
  // the code is read and hashed while the crypto code loads; the manifest the leader runs it
  // with comes with the challenge, and its hash then finishes the measurement
  const measurer = workerCodeParts(WORKER_CODE).then(measurerWithManifest);
  const { workerSecureChannel } = await import('../tls-psk/channel.js');
  const measure = async (manifest: Uint8Array) => (await measurer)(manifest);
  return workerSecureChannel(socket, { platformKey, measure, identity: 'gramine-ts worker' });
}

/**
 * Host signals are the leader's to act on (it ends the instance, or injects SIGTERM): a
 * terminal's Ctrl-C reaches every process of its group, the workers too, and must not kill
 * them under their apps. SIGUSR1 would open Node's inspector.
 */
for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGUSR1', 'SIGUSR2', 'SIGALRM'] as const) process.on(sig, () => {});

async function main(): Promise<void> {
  await takeStderr();
  const channel = connectToLeader();
  // the LibOS loads while the leader checks the report and the TLS handshake runs
  const { runSession } = await import('./session.js');
  runSession(await channel);
}

main().catch((e: unknown) => {
  // refused by the leader, or the leader went away: nothing to do without it
  process.stderr.write(`gramine-ts worker: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
