// The byte layouts of the simulated attestation type (docs/attestation.md): TARGETINFO, REPORT
// and the quote. TARGETINFO and REPORT are Intel SGX's, field for field, so that an app written
// for Gramine's /dev/attestation finds the measurement, the signer and its report data where SGX
// puts them; the quote is our own format, whose report body sits at the offset an SGX quote's
// does. All integers are little-endian, as SGX's.
import { createHash } from 'node:crypto';

import { MEASUREMENT_SIZE } from '../tls-psk/measurement.js';

/** What /dev/attestation/attestation_type says, and the quote's header names. */
export const ATTESTATION_TYPE = 'simulated';

export { MEASUREMENT_SIZE };
/** MRSIGNER: SHA-256 of the manifest signer's Ed25519 public key (all zeros: unsigned). */
export const SIGNER_SIZE = 32;
export const USER_REPORT_DATA_SIZE = 64;
export const TARGET_INFO_SIZE = 512;
export const REPORT_BODY_SIZE = 384;
export const REPORT_SIZE = 432;
/** Report keys, sealing keys and the report's MAC: 128 bits, as SGX's. */
export const KEY_SIZE = 16;

/** Offsets in TARGETINFO (sgx_target_info_t). */
export const TARGET_INFO = { mrEnclave: 0, attributes: 32, configSvn: 50, miscSelect: 52, configId: 64 } as const;

/** Offsets in a REPORT body (sgx_report_body_t). */
export const REPORT_BODY = {
  cpuSvn: 0, miscSelect: 16, isvExtProdId: 32, attributes: 48, mrEnclave: 64, mrSigner: 128, configId: 192,
  isvProdId: 256, isvSvn: 258, configSvn: 260, isvFamilyId: 304, reportData: 320,
} as const;

/** Offsets in a REPORT (sgx_report_t): the body, the key id, the MAC over the body. */
export const REPORT = { body: 0, keyId: 384, mac: 416 } as const;

/**
 * The ATTRIBUTES of every simulated enclave: flags INITTED | MODE64BIT (not DEBUG), XFRM x87 |
 * SSE. Nothing depends on them; they are there because an SGX verifier reads them.
 */
const ATTRIBUTE_FLAGS = 0x05n;
const ATTRIBUTE_XFRM = 0x03n;

/** Who an instance is: its measurement (MRENCLAVE) and its signer (MRSIGNER). */
export interface Identity {
  measurement: Uint8Array;
  signer: Uint8Array;
}

/** The MRSIGNER of a manifest signed with Ed25519 public key `signer` (hex), or zeros when it is not signed with a key. */
export function mrsignerOf(signer: string | undefined): Uint8Array {
  return signer === undefined ? new Uint8Array(SIGNER_SIZE) : createHash('sha256').update(Buffer.from(signer, 'hex')).digest();
}

function writeAttributes(out: Buffer, at: number): void {
  out.writeBigUInt64LE(ATTRIBUTE_FLAGS, at);
  out.writeBigUInt64LE(ATTRIBUTE_XFRM, at + 8);
}

/** The TARGETINFO of an instance: what another enclave needs to make a report for it. */
export function targetInfoOf(id: Identity): Buffer {
  const out = Buffer.alloc(TARGET_INFO_SIZE);
  out.set(id.measurement, TARGET_INFO.mrEnclave);
  writeAttributes(out, TARGET_INFO.attributes);
  return out;
}

/** The MRENCLAVE a TARGETINFO names: whose report key MACs the report. */
export function targetMeasurement(targetInfo: Uint8Array): Uint8Array {
  return targetInfo.subarray(TARGET_INFO.mrEnclave, TARGET_INFO.mrEnclave + MEASUREMENT_SIZE);
}

/** The REPORT body of an instance, carrying `reportData`. */
export function reportBodyOf(id: Identity, reportData: Uint8Array): Buffer {
  const out = Buffer.alloc(REPORT_BODY_SIZE);
  writeAttributes(out, REPORT_BODY.attributes);
  out.set(id.measurement, REPORT_BODY.mrEnclave);
  out.set(id.signer, REPORT_BODY.mrSigner);
  out.set(reportData, REPORT_BODY.reportData);
  return out;
}

/** The fields of a REPORT body a verifier checks (views into `body`). */
export function reportBodyFields(body: Uint8Array): Identity & { reportData: Uint8Array } {
  return {
    measurement: body.subarray(REPORT_BODY.mrEnclave, REPORT_BODY.mrEnclave + MEASUREMENT_SIZE),
    signer: body.subarray(REPORT_BODY.mrSigner, REPORT_BODY.mrSigner + SIGNER_SIZE),
    reportData: body.subarray(REPORT_BODY.reportData, REPORT_BODY.reportData + USER_REPORT_DATA_SIZE),
  };
}

// --- The quote ----------------------------------------------------------------------------------
//
//   offset  size
//        0     8  magic      "GTSQUOTE"
//        8     2  version    1
//       10     2  algorithm  1: Ed25519
//       12     4  body size  384
//       16    16  type       "simulated", NUL-padded (what attestation_type says)
//       32    16  reserved   zero
//       48   384  the REPORT body (as above: report_data at 368, MRENCLAVE at 112, as in an SGX quote)
//      432    64  signature  Ed25519 over bytes 0..431, by the platform's quoting key

export const QUOTE_MAGIC = 'GTSQUOTE';
export const QUOTE_VERSION = 1;
export const QUOTE_ALGORITHM_ED25519 = 1;
export const QUOTE = { magic: 0, version: 8, algorithm: 10, bodySize: 12, type: 16, body: 48, signature: 432 } as const;
export const QUOTE_SIGNATURE_SIZE = 64;
export const QUOTE_SIZE = QUOTE.signature + QUOTE_SIGNATURE_SIZE;

/** The part of a quote the signature covers: the header and `body`. */
export function quoteSignedPart(body: Uint8Array): Buffer {
  const out = Buffer.alloc(QUOTE.signature);
  out.write(QUOTE_MAGIC, QUOTE.magic, 'latin1');
  out.writeUInt16LE(QUOTE_VERSION, QUOTE.version);
  out.writeUInt16LE(QUOTE_ALGORITHM_ED25519, QUOTE.algorithm);
  out.writeUInt32LE(REPORT_BODY_SIZE, QUOTE.bodySize);
  out.write(ATTESTATION_TYPE, QUOTE.type, 'latin1');
  out.set(body, QUOTE.body);
  return out;
}

/** A quote taken apart (views into its bytes). */
export interface ParsedQuote {
  signed: Uint8Array;
  body: Uint8Array;
  signature: Uint8Array;
}

/** The parts of a quote, or why it is not one of ours. */
export function parseQuote(bytes: Uint8Array): ParsedQuote | string {
  const b = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (b.length < QUOTE.body || b.toString('latin1', QUOTE.magic, QUOTE.magic + QUOTE_MAGIC.length) !== QUOTE_MAGIC) {
    return `not a gramine-ts quote (no "${QUOTE_MAGIC}" header)`;
  }
  const version = b.readUInt16LE(QUOTE.version);
  if (version !== QUOTE_VERSION) return `quote version ${version}: only version ${QUOTE_VERSION} is known`;
  const algorithm = b.readUInt16LE(QUOTE.algorithm);
  if (algorithm !== QUOTE_ALGORITHM_ED25519) return `quote signature algorithm ${algorithm}: only ${QUOTE_ALGORITHM_ED25519} (Ed25519) is known`;
  if (b.readUInt32LE(QUOTE.bodySize) !== REPORT_BODY_SIZE) return `quote body size ${b.readUInt32LE(QUOTE.bodySize)}, not ${REPORT_BODY_SIZE}`;
  if (b.length !== QUOTE_SIZE) return `a version ${QUOTE_VERSION} quote has ${QUOTE_SIZE} bytes, this one ${b.length}`;
  return {
    signed: b.subarray(0, QUOTE.signature),
    body: b.subarray(QUOTE.body, QUOTE.body + REPORT_BODY_SIZE),
    signature: b.subarray(QUOTE.signature, QUOTE_SIZE),
  };
}
