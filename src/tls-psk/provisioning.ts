// Key provisioning: turns a verified attestation report into the instance's pre-shared key (PSK)
// on the worker, which then uses it for every TLS channel of the instance (tls.ts).
//
//   leader                                      worker
//   nonce = leaderChallenge()       ─ nonce ─▶
//                                               (report, secret) = workerRespond(pk, meas, nonce)
//                                   ◀─ report ─   report binds the worker's X25519 public key + nonce
//   leaderProvision(pk, meas, nonce, report, psk)
//     verify report; ephemeral X25519 pair;
//     KEK = HKDF-SHA256(X25519(l, W), salt = nonce,
//                       info = LABEL || W || L)
//     message = MAGIC || L || AEAD_KEK(psk)   ─ message ─▶
//                                               psk = workerReceive(secret, nonce, message)
//
// Message layout: "GTP1" (4) || leader public key (32) || ChaCha20-Poly1305(psk) (len(psk) + 16).
// The AEAD nonce is all zeroes: every KEK is used exactly once (both key pairs are ephemeral).
// The associated data binds the header, the worker's public key and the challenge nonce.
//
// These are pure functions over bytes; the leader and worker carry the bytes in their own IPC
// messages. Only the worker that made the report holds the X25519 secret that opens the PSK, so
// a report copied by someone else and replayed (even against the same challenge) gains nothing.
import { randomBytes } from 'node:crypto';
import { hkdfSync } from 'node:crypto';
import { aeadOpen, aeadSeal } from './aead.js';
import * as x25519 from './x25519.js';
import {
  NONCE_SIZE,
  PUBLIC_KEY_SIZE,
  createReport,
  encodeReport,
  makeReportData,
  splitReportData,
  decodeReport,
  verifyReport,
  type VerifyFailure,
} from './attestation.js';

export const PSK_SIZE = 32;
export const MIN_PSK_SIZE = 16;
export const MAX_PSK_SIZE = 256;
const TAG_SIZE = 16;
const MAGIC = new TextEncoder().encode('GTP1');
const KEK_INFO_LABEL = new TextEncoder().encode('gramine-ts tls-psk provisioning v1: KEK for worker||leader public keys\0');
const HEADER_SIZE = MAGIC.length + PUBLIC_KEY_SIZE; // 36
const AEAD_NONCE = new Uint8Array(12);

/** A malformed provisioning message, a tampered one, or a bad argument. */
export class ProvisioningError extends Error {
  override name = 'ProvisioningError';
}

/** The worker's ephemeral X25519 key pair, kept between workerRespond and workerReceive. */
export interface WorkerSecret {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export type ProvisionResult =
  | { ok: true; message: Uint8Array }
  | { ok: false; reason: string; code: VerifyFailure['code'] | 'bad-public-key' };

function need(what: string, b: unknown, n: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new ProvisioningError(`${what} must be a Uint8Array`);
  if (b.length !== n) throw new ProvisioningError(`${what} must be ${n} bytes, got ${b.length}`);
}

function checkPsk(psk: unknown): asserts psk is Uint8Array {
  if (!(psk instanceof Uint8Array)) throw new ProvisioningError('PSK must be a Uint8Array');
  if (psk.length < MIN_PSK_SIZE || psk.length > MAX_PSK_SIZE) {
    throw new ProvisioningError(`PSK must be ${MIN_PSK_SIZE}..${MAX_PSK_SIZE} bytes, got ${psk.length}`);
  }
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

function deriveKek(shared: Uint8Array, nonce: Uint8Array, workerPub: Uint8Array, leaderPub: Uint8Array): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', shared, nonce, concat(KEK_INFO_LABEL, workerPub, leaderPub), 32));
}

function aad(leaderPub: Uint8Array, workerPub: Uint8Array, nonce: Uint8Array): Uint8Array {
  return concat(MAGIC, leaderPub, workerPub, nonce);
}

/** The instance's pre-shared key: 32 random bytes, created once by the leader. */
export function createInstancePsk(): Buffer {
  return randomBytes(PSK_SIZE);
}

/** Leader, step 1: a fresh 32-byte challenge nonce. Use each one for one worker, once. */
export function leaderChallenge(): Uint8Array {
  return new Uint8Array(randomBytes(NONCE_SIZE));
}

/**
 * Worker, before step 2 (while the leader's challenge is on its way): its ephemeral X25519 key
 * pair, for workerRespond; and what steps 2 and 4 compute done once on throwaway input, as the
 * first use of each in a new process costs a millisecond or more (OpenSSL's key decoders, the
 * key derivation, the cipher) and a worker's attestation is on the path of an instance's start.
 */
export function workerPrepare(): WorkerSecret {
  const keys = x25519.keygen();
  const throwaway = x25519.keygen();
  const shared = x25519.getSharedSecret(throwaway.secretKey, keys.publicKey);
  const kek = deriveKek(shared, new Uint8Array(NONCE_SIZE), keys.publicKey, throwaway.publicKey);
  aeadOpen(kek, AEAD_NONCE, new Uint8Array(0), aeadSeal(kek, AEAD_NONCE, new Uint8Array(0), new Uint8Array(MIN_PSK_SIZE)));
  for (const secret of [throwaway.secretKey, shared, kek]) secret.fill(0);
  return keys;
}

/**
 * Worker, step 2: a report binding its ephemeral X25519 public key (workerPrepare's, or a new
 * one) and the leader's nonce. Send `report` (128 bytes) to the leader; keep `workerSecret` for
 * workerReceive.
 */
export function workerRespond(
  platformKey: Uint8Array,
  measurement: Uint8Array,
  nonce: Uint8Array,
  keys: WorkerSecret = x25519.keygen(),
): { report: Uint8Array; workerSecret: WorkerSecret } {
  need('nonce', nonce, NONCE_SIZE);
  const { secretKey, publicKey } = keys;
  const report = encodeReport(createReport(platformKey, measurement, makeReportData(publicKey, nonce)));
  return { report, workerSecret: { secretKey, publicKey } };
}

/**
 * Leader, step 3: verifies the worker's report against the platform key, the expected
 * measurement and this worker's nonce; if it passes, seals the instance PSK to the worker's
 * public key. Never throws on bad input from the worker (it is refused with a reason); throws
 * ProvisioningError only on a bad argument of the leader's own.
 */
export function leaderProvision(
  platformKey: Uint8Array,
  expectedMeasurement: Uint8Array,
  nonce: Uint8Array,
  reportBytes: Uint8Array,
  instancePsk: Uint8Array,
): ProvisionResult {
  checkPsk(instancePsk);
  need('nonce', nonce, NONCE_SIZE);
  const verdict = verifyReport(platformKey, reportBytes, expectedMeasurement, nonce);
  if (!verdict.ok) return { ok: false, code: verdict.code, reason: verdict.reason };
  const workerPub = splitReportData(decodeReport(reportBytes).reportData).publicKey;
  const leader = x25519.keygen();
  let shared: Uint8Array;
  try {
    shared = x25519.getSharedSecret(leader.secretKey, workerPub);
  } catch (e) {
    leader.secretKey.fill(0);
    return { ok: false, code: 'bad-public-key', reason: `bad worker public key: ${(e as Error).message}` };
  }
  const kek = deriveKek(shared, nonce, workerPub, leader.publicKey);
  const sealed = aeadSeal(kek, AEAD_NONCE, aad(leader.publicKey, workerPub, nonce), instancePsk);
  shared.fill(0);
  kek.fill(0);
  leader.secretKey.fill(0);
  return { ok: true, message: concat(MAGIC, leader.publicKey, sealed) };
}

/**
 * Worker, step 4: opens the PSK from the leader's message. Throws ProvisioningError if the
 * message is malformed, was tampered with, or was not made for this worker's key and nonce.
 * The worker's X25519 secret is wiped afterwards, whatever the outcome: it is single-use.
 */
export function workerReceive(workerSecret: WorkerSecret, nonce: Uint8Array, messageBytes: Uint8Array): Buffer {
  need('worker secret key', workerSecret?.secretKey, 32);
  need('worker public key', workerSecret?.publicKey, PUBLIC_KEY_SIZE);
  need('nonce', nonce, NONCE_SIZE);
  try {
    if (!(messageBytes instanceof Uint8Array)) throw new ProvisioningError('provisioning message must be a Uint8Array');
    const pskLen = messageBytes.length - HEADER_SIZE - TAG_SIZE;
    if (pskLen < MIN_PSK_SIZE || pskLen > MAX_PSK_SIZE) {
      throw new ProvisioningError(
        `provisioning message has a bad length (${messageBytes.length} bytes; expected ` +
          `${HEADER_SIZE + TAG_SIZE + MIN_PSK_SIZE}..${HEADER_SIZE + TAG_SIZE + MAX_PSK_SIZE})`,
      );
    }
    for (let i = 0; i < MAGIC.length; i++) {
      if (messageBytes[i] !== MAGIC[i]) throw new ProvisioningError('provisioning message has a bad magic/version');
    }
    const leaderPub = messageBytes.slice(MAGIC.length, HEADER_SIZE);
    let shared: Uint8Array;
    try {
      shared = x25519.getSharedSecret(workerSecret.secretKey, leaderPub);
    } catch (e) {
      throw new ProvisioningError(`provisioning message has a bad leader public key: ${(e as Error).message}`);
    }
    const kek = deriveKek(shared, nonce, workerSecret.publicKey, leaderPub);
    shared.fill(0);
    let psk: Uint8Array;
    try {
      psk = aeadOpen(kek, AEAD_NONCE, aad(leaderPub, workerSecret.publicKey, nonce), messageBytes.subarray(HEADER_SIZE));
    } catch {
      throw new ProvisioningError(
        'provisioning message does not authenticate: tampered, or not made for this worker\'s key and nonce',
      );
    } finally {
      kek.fill(0);
    }
    const out = Buffer.from(psk);
    psk.fill(0);
    return out;
  } finally {
    workerSecret.secretKey.fill(0);
  }
}
