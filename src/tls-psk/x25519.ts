// X25519 on node:crypto (OpenSSL), with raw 32-byte keys. @noble/curves does the same in pure
// JavaScript, but costs ~110 ms of JIT warm-up in every freshly started process, and a worker's
// attestation is on the critical path of `gramine-ts run`; OpenSSL takes well under 1 ms.
import { createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';

const PKCS8_PREFIX = Buffer.from('302e020100300506032b656e04220420', 'hex');
const SPKI_PREFIX = Buffer.from('302a300506032b656e032100', 'hex');
const KEY_SIZE = 32;

export interface X25519KeyPair {
  secretKey: Uint8Array;
  publicKey: Uint8Array;
}

export function keygen(): X25519KeyPair {
  const { privateKey, publicKey } = generateKeyPairSync('x25519', {
    privateKeyEncoding: { type: 'pkcs8', format: 'der' },
    publicKeyEncoding: { type: 'spki', format: 'der' },
  });
  return {
    secretKey: new Uint8Array(privateKey.subarray(PKCS8_PREFIX.length)),
    publicKey: new Uint8Array(publicKey.subarray(SPKI_PREFIX.length)),
  };
}

/** The shared secret; throws for a malformed or low-order public key (an all-zero result). */
export function getSharedSecret(secretKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  if (secretKey.length !== KEY_SIZE || publicKey.length !== KEY_SIZE) throw new Error('X25519 keys are 32 bytes');
  const der = Buffer.concat([PKCS8_PREFIX, secretKey]);
  try {
    const shared = diffieHellman({
      privateKey: createPrivateKey({ key: der, format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }),
    });
    if (shared.every((b) => b === 0)) throw new Error('low-order public key');
    return new Uint8Array(shared);
  } finally {
    der.fill(0);
  }
}
