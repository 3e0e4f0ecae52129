// The keys of the simulated attestation type, each derived from the machine's platform secret
// (platform-secret.ts) with HKDF-SHA256 under a label of its own, so that no key reveals
// another or the secret:
//
//   key = HKDF-SHA256(ikm = platform secret, salt = none,
//                     info = "gramine-ts attestation v1 " LABEL "\0" CONTEXT, length)
//
//   LABEL               CONTEXT                      length  what for
//   "sealing mrenclave" the measurement (32 B)       16      keys/_sgx_mrenclave
//   "sealing mrsigner"  the signer (32 B)            16      keys/_sgx_mrsigner
//   "report"            the target's measurement     16      the MAC of a REPORT for that target
//   "quoting"           (none)                       32      the Ed25519 secret key quotes are signed with
//
// Only the leader holds the secret; a worker gets the keys its process may have (its own report
// key and sealing keys), as an SGX enclave gets them from EGETKEY.
import { hkdf } from '@noble/hashes/hkdf.js';
import { sha256 } from '@noble/hashes/sha2.js';

import { KEY_SIZE, type Identity } from './formats.js';

const INFO_PREFIX = 'gramine-ts attestation v1 ';
const QUOTING_KEY_SIZE = 32;

function derive(secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const tag = new TextEncoder().encode(`${INFO_PREFIX}${label}\0`);
  const info = new Uint8Array(tag.length + context.length);
  info.set(tag, 0);
  info.set(context, tag.length);
  return hkdf(sha256, secret, undefined, info, length);
}

/** The sealing key of an instance whose MRENCLAVE (or MRSIGNER) is `identity`. */
function sealingKey(secret: Uint8Array, policy: 'mrenclave' | 'mrsigner', identity: Uint8Array): Uint8Array {
  return derive(secret, `sealing ${policy}`, identity, KEY_SIZE);
}

/** The report key of an enclave with measurement `measurement`: it alone can check reports made for it. */
export function reportKey(secret: Uint8Array, measurement: Uint8Array): Uint8Array {
  return derive(secret, 'report', measurement, KEY_SIZE);
}

/**
 * The keys an instance may read in /dev/attestation/keys/ besides those of its manifest:
 * Gramine's names for the SGX sealing keys, and its own report key (what EGETKEY gives an SGX
 * enclave, for checking the reports made for it).
 */
export const DERIVED_KEY_NAMES = ['_sgx_mrenclave', '_sgx_mrsigner', '_sgx_report_key'] as const;
export type DerivedKeyName = (typeof DERIVED_KEY_NAMES)[number];

export function isDerivedKeyName(name: string): name is DerivedKeyName {
  return (DERIVED_KEY_NAMES as readonly string[]).includes(name);
}

/** The derived key `name` of instance `id`. */
export function derivedKey(secret: Uint8Array, name: DerivedKeyName, id: Identity): Uint8Array {
  switch (name) {
    case '_sgx_mrenclave':
      return sealingKey(secret, 'mrenclave', id.measurement);
    case '_sgx_mrsigner':
      return sealingKey(secret, 'mrsigner', id.signer);
    case '_sgx_report_key':
      return reportKey(secret, id.measurement);
  }
}

/** The Ed25519 secret key of this platform's quotes. */
export function quotingSecretKey(secret: Uint8Array): Uint8Array {
  return derive(secret, 'quoting', new Uint8Array(0), QUOTING_KEY_SIZE);
}
