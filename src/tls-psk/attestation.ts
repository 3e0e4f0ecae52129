// Local attestation: the analogue of an SGX REPORT between enclaves on one machine.
//
// A report says "code with this measurement produced this report data", and is MAC'd with the
// instance's *platform key*, a 32-byte secret the leader creates per instance and hands to every
// worker it spawns through an inherited file descriptor (never argv or the environment, which
// other processes of the user can read from /proc). Only holders of the platform key can make a
// report the leader accepts.
//
// Wire layout (fixed, 128 bytes):
//
//   offset  0  measurement  32 B  (measurement.ts)
//   offset 32  reportData   64 B  = the worker's ephemeral X25519 public key (32)
//                                   || the leader's challenge nonce (32)
//   offset 96  mac          32 B  = HMAC-SHA256(platformKey, measurement || reportData)
//
// verifyReport checks the MAC first, then the measurement, then the nonce, comparing in
// constant time. The nonce check is what defeats replays: a report made for an earlier challenge
// does not carry the current nonce.
import type { Writable } from 'node:stream';
import { createHmac } from 'node:crypto';
import { MEASUREMENT_SIZE } from './measurement.js';
import { PLATFORM_KEY_SIZE } from './platform-key.js';

export { createPlatformKey, PLATFORM_KEY_SIZE, readPlatformKeyFromFd } from './platform-key.js';

export { MEASUREMENT_SIZE };
export const PUBLIC_KEY_SIZE = 32;
export const NONCE_SIZE = 32;
export const REPORT_DATA_SIZE = PUBLIC_KEY_SIZE + NONCE_SIZE; // 64
export const MAC_SIZE = 32;
export const REPORT_SIZE = MEASUREMENT_SIZE + REPORT_DATA_SIZE + MAC_SIZE; // 128

/** A decoded attestation report. */
export interface Report {
  measurement: Uint8Array; // 32 B
  reportData: Uint8Array; // 64 B
  mac: Uint8Array; // 32 B
}

/** Why a report was refused. `reason` is for people; `code` is for programs. */
export type VerifyFailure =
  | { ok: false; code: 'malformed'; reason: string }
  | { ok: false; code: 'bad-mac'; reason: string }
  | { ok: false; code: 'wrong-measurement'; reason: string }
  | { ok: false; code: 'wrong-nonce'; reason: string };
export type VerifyResult = { ok: true } | VerifyFailure;

/** A malformed report, key or argument. */
export class AttestationError extends Error {
  override name = 'AttestationError';
}

function checkLength(what: string, b: unknown, n: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new AttestationError(`${what} must be a Uint8Array`);
  if (b.length !== n) throw new AttestationError(`${what} must be ${n} bytes, got ${b.length}`);
}

/** Compares two byte strings in time that depends only on their lengths. */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}


/** reportData = workerPublicKey (32) || nonce (32). */
export function makeReportData(workerPublicKey: Uint8Array, nonce: Uint8Array): Uint8Array {
  checkLength('worker public key', workerPublicKey, PUBLIC_KEY_SIZE);
  checkLength('nonce', nonce, NONCE_SIZE);
  const rd = new Uint8Array(REPORT_DATA_SIZE);
  rd.set(workerPublicKey, 0);
  rd.set(nonce, PUBLIC_KEY_SIZE);
  return rd;
}

/** The two halves of reportData (copies). */
export function splitReportData(reportData: Uint8Array): { publicKey: Uint8Array; nonce: Uint8Array } {
  checkLength('report data', reportData, REPORT_DATA_SIZE);
  return {
    publicKey: reportData.slice(0, PUBLIC_KEY_SIZE),
    nonce: reportData.slice(PUBLIC_KEY_SIZE, REPORT_DATA_SIZE),
  };
}

function reportMac(platformKey: Uint8Array, measurement: Uint8Array, reportData: Uint8Array): Uint8Array {
  return createHmac('sha256', platformKey).update(measurement).update(reportData).digest();
}

/** A report over `measurement` and `reportData`, MAC'd with the platform key. */
export function createReport(platformKey: Uint8Array, measurement: Uint8Array, reportData: Uint8Array): Report {
  checkLength('platform key', platformKey, PLATFORM_KEY_SIZE);
  checkLength('measurement', measurement, MEASUREMENT_SIZE);
  checkLength('report data', reportData, REPORT_DATA_SIZE);
  return {
    measurement: measurement.slice(),
    reportData: reportData.slice(),
    mac: reportMac(platformKey, measurement, reportData),
  };
}

/** The fixed 128-byte encoding of a report. */
export function encodeReport(report: Report): Uint8Array {
  checkLength('report measurement', report.measurement, MEASUREMENT_SIZE);
  checkLength('report data', report.reportData, REPORT_DATA_SIZE);
  checkLength('report MAC', report.mac, MAC_SIZE);
  const out = new Uint8Array(REPORT_SIZE);
  out.set(report.measurement, 0);
  out.set(report.reportData, MEASUREMENT_SIZE);
  out.set(report.mac, MEASUREMENT_SIZE + REPORT_DATA_SIZE);
  return out;
}

/** Decodes exactly 128 bytes; throws AttestationError on any other length. */
export function decodeReport(bytes: Uint8Array): Report {
  if (!(bytes instanceof Uint8Array)) throw new AttestationError('report must be a Uint8Array');
  if (bytes.length !== REPORT_SIZE) {
    throw new AttestationError(`report must be exactly ${REPORT_SIZE} bytes, got ${bytes.length}`);
  }
  return {
    measurement: bytes.slice(0, MEASUREMENT_SIZE),
    reportData: bytes.slice(MEASUREMENT_SIZE, MEASUREMENT_SIZE + REPORT_DATA_SIZE),
    mac: bytes.slice(MEASUREMENT_SIZE + REPORT_DATA_SIZE, REPORT_SIZE),
  };
}

/**
 * Checks a report (decoded, or its 128-byte encoding) against the platform key, the measurement
 * the leader expects and the nonce of the current challenge. Never throws on a bad report; a
 * wrong-sized platform key, measurement or nonce is a programming error and throws.
 */
export function verifyReport(
  platformKey: Uint8Array,
  report: Report | Uint8Array,
  expectedMeasurement: Uint8Array,
  expectedNonce: Uint8Array,
): VerifyResult {
  checkLength('platform key', platformKey, PLATFORM_KEY_SIZE);
  checkLength('expected measurement', expectedMeasurement, MEASUREMENT_SIZE);
  checkLength('expected nonce', expectedNonce, NONCE_SIZE);
  let r: Report;
  try {
    r = report instanceof Uint8Array ? decodeReport(report) : report;
    checkLength('report measurement', r.measurement, MEASUREMENT_SIZE);
    checkLength('report data', r.reportData, REPORT_DATA_SIZE);
    checkLength('report MAC', r.mac, MAC_SIZE);
  } catch (e) {
    return { ok: false, code: 'malformed', reason: `malformed report: ${(e as Error).message}` };
  }
  if (!constantTimeEqual(reportMac(platformKey, r.measurement, r.reportData), r.mac)) {
    return { ok: false, code: 'bad-mac', reason: 'bad MAC: the report was altered or not made with this instance\'s platform key' };
  }
  if (!constantTimeEqual(r.measurement, expectedMeasurement)) {
    return { ok: false, code: 'wrong-measurement', reason: 'wrong measurement: the worker does not run the expected code' };
  }
  if (!constantTimeEqual(r.reportData.subarray(PUBLIC_KEY_SIZE), expectedNonce)) {
    return { ok: false, code: 'wrong-nonce', reason: 'wrong nonce: the report answers another challenge (stale or replayed)' };
  }
  return { ok: true };
}

// --- Handing the platform key to a worker over an inherited fd -------------------------------

/**
 * Leader side: writes the platform key to the worker's end of an inherited pipe (for example
 * `child.stdio[4]` of `spawn(..., { stdio: [..., 'pipe'] })`) and closes it.
 */
export function writePlatformKey(stream: Writable, platformKey: Uint8Array): void {
  checkLength('platform key', platformKey, PLATFORM_KEY_SIZE);
  stream.end(Buffer.from(platformKey));
}


