// The attested, encrypted leader<->worker channel over one host socket:
//
//   leader -> worker   CHALLENGE  32-byte nonce
//   leader -> worker   MANIFEST   the manifest bytes the instance is measured with (may be empty)
//   worker -> leader   REPORT     128-byte report (measurement, X25519 key + nonce, MAC)
//   leader -> worker   PROVISION  the instance PSK sealed to the worker's key
//   then TLS 1.3 with that PSK (leader = server, worker = client) on the same socket.
//
// Frames before TLS are a 4-byte big-endian length and the bytes. Neither side sends anything
// the other does not wait for, so no plaintext byte is left buffered when TLS takes over.
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { leaderChallenge, leaderProvision, workerPrepare, workerReceive, workerRespond } from './provisioning.js';
import { acceptTlsPsk, connectTlsPsk, warmTls } from './tls.js';

const MAX_FRAME = 4096;
/** a manifest (with its signed file list) may be long */
const MAX_MANIFEST_FRAME = 16 << 20;

export class AttestationRefused extends Error {}

/** The peer closed its end before attestation was done (a worker that died as it started). */
export class ClosedDuringAttestation extends AttestationRefused {}

function writeFrame(socket: Socket, bytes: Uint8Array): void {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(bytes.length);
  socket.write(Buffer.concat([len, bytes]));
}

/** Read exactly `n` bytes from a paused socket. */
function readExactly(socket: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const tryRead = () => {
      const chunk = socket.read(n) as Buffer | null;
      if (chunk === null) return;
      cleanup();
      resolve(chunk);
    };
    const onEnd = () => {
      cleanup();
      reject(new ClosedDuringAttestation('the peer closed the channel during attestation'));
    };
    const cleanup = () => {
      socket.off('readable', tryRead);
      socket.off('end', onEnd);
      socket.off('close', onEnd);
      socket.off('error', onEnd);
    };
    socket.on('readable', tryRead);
    socket.once('end', onEnd);
    socket.once('close', onEnd);
    socket.once('error', onEnd);
    tryRead();
  });
}

async function readFrame(socket: Socket, max = MAX_FRAME): Promise<Buffer> {
  const len = (await readExactly(socket, 4)).readUInt32BE(0);
  if (len > max) throw new AttestationRefused(`attestation frame of ${len} bytes`);
  return len === 0 ? Buffer.alloc(0) : readExactly(socket, len);
}

export interface LeaderSide {
  platformKey: Uint8Array;
  psk: Buffer;
  /** may still be being computed: the challenge goes out first */
  expectedMeasurement: Uint8Array | Promise<Uint8Array>;
  /** the manifest bytes the measurement covers: the worker measures them with its code */
  manifest: Uint8Array;
  identity: string;
}

/** Leader: challenge the worker, verify its report, provision the PSK, accept TLS. */
export async function leaderSecureChannel(socket: Socket, side: LeaderSide): Promise<TLSSocket> {
  const nonce = leaderChallenge();
  writeFrame(socket, nonce);
  writeFrame(socket, side.manifest);
  const report = await readFrame(socket);
  const result = leaderProvision(side.platformKey, await side.expectedMeasurement, nonce, report, side.psk);
  if (!result.ok) throw new AttestationRefused(`${result.code}: ${result.reason}`);
  writeFrame(socket, result.message);
  return acceptTlsPsk(socket, side.psk, side.identity);
}

export interface WorkerSide {
  platformKey: Uint8Array;
  /** the worker's measurement of its code with the manifest the leader runs */
  measure: (manifest: Uint8Array) => Promise<Uint8Array>;
  identity: string;
}

/** Worker: answer the challenge with a report, open the PSK, connect with TLS. */
export async function workerSecureChannel(socket: Socket, side: WorkerSide): Promise<TLSSocket> {
  // what needs nothing of the leader's is made while its challenge is on its way
  const keys = workerPrepare();
  warmTls();
  const nonce = await readFrame(socket);
  const manifest = await readFrame(socket, MAX_MANIFEST_FRAME);
  const { report, workerSecret } = workerRespond(side.platformKey, await side.measure(manifest), nonce, keys);
  writeFrame(socket, report);
  const psk = workerReceive(workerSecret, nonce, await readFrame(socket));
  return connectTlsPsk(socket, psk, side.identity);
}
