// Quotes of the simulated type (the format: formats.ts): the REPORT body of an instance, signed
// with Ed25519 by the platform's quoting key (derive.ts), so that anyone who trusts that key's
// public half (`gramine-ts quote platform-key` prints it) can check, anywhere, which measurement
// and signer produced which report data on that platform.
import { ed25519 } from '@noble/curves/ed25519.js';

import { quotingSecretKey } from './derive.js';
import { parseQuote, quoteSignedPart, QUOTE_SIZE, reportBodyFields, reportBodyOf, USER_REPORT_DATA_SIZE, type Identity } from './formats.js';

export const QUOTING_PUBLIC_KEY_SIZE = 32;

/** The public key that checks this platform's quotes. */
export function quotingPublicKey(secret: Uint8Array): Uint8Array {
  const key = quotingSecretKey(secret);
  try {
    return ed25519.getPublicKey(key);
  } finally {
    key.fill(0);
  }
}

/** A quote of instance `id` carrying `reportData`. */
export function makeQuote(secret: Uint8Array, id: Identity, reportData: Uint8Array): Buffer {
  const signed = quoteSignedPart(reportBodyOf(id, reportData));
  const key = quotingSecretKey(secret);
  try {
    return Buffer.concat([signed, ed25519.sign(signed, key)], QUOTE_SIZE);
  } finally {
    key.fill(0);
  }
}

/** What a verifier requires of a quote. */
export interface QuoteExpectations {
  /** the quoting public key of the platform it must come from */
  platformKey: Uint8Array;
  measurement: Uint8Array;
  /** MRSIGNER (SHA-256 of the manifest signer's public key), or null: any */
  signer: Uint8Array | null;
  /** up to 64 bytes, compared zero-padded to 64 (as a shorter write of user_report_data leaves it), or null: any */
  reportData: Uint8Array | null;
}

export type QuoteVerdict = { ok: true; fields: Identity & { reportData: Uint8Array } } | { ok: false; reason: string };

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Checks a quote: its format, its signature, then each expectation, and says the first that fails. */
export function verifyQuote(bytes: Uint8Array, want: QuoteExpectations): QuoteVerdict {
  const quote = parseQuote(bytes);
  if (typeof quote === 'string') return { ok: false, reason: quote };
  let signed: boolean;
  try {
    // strict RFC 8032 verification: no second encoding of the same signature is accepted
    signed = ed25519.verify(quote.signature, quote.signed, want.platformKey, { zip215: false });
  } catch {
    signed = false;
  }
  if (!signed) return { ok: false, reason: `bad signature: the quote was changed, or not made by the platform whose key is ${hex(want.platformKey)}` };
  const fields = reportBodyFields(quote.body);
  if (Buffer.compare(fields.measurement, want.measurement) !== 0) {
    return { ok: false, reason: `measurement ${hex(fields.measurement)}, not the expected ${hex(want.measurement)}` };
  }
  if (want.signer !== null && Buffer.compare(fields.signer, want.signer) !== 0) {
    return { ok: false, reason: `signer ${hex(fields.signer)}, not the expected ${hex(want.signer)}` };
  }
  if (want.reportData !== null) {
    const padded = new Uint8Array(USER_REPORT_DATA_SIZE);
    padded.set(want.reportData);
    if (Buffer.compare(fields.reportData, padded) !== 0) return { ok: false, reason: `report data ${hex(fields.reportData)}, not the expected ${hex(padded)}` };
  }
  return { ok: true, fields };
}
