// ChaCha20-Poly1305 from node:crypto (OpenSSL), sealed as ciphertext || 16-byte tag (the layout
// of @noble/ciphers' chacha20poly1305). Key provisioning and every fork's checkpoint use it: a
// JavaScript cipher costs milliseconds of warm-up in each freshly started Node process, on the
// critical path of an instance's start and of a worker's boot.
import { createCipheriv, createDecipheriv } from 'node:crypto';

const CIPHER = 'chacha20-poly1305';
export const AEAD_TAG_BYTES = 16;

/** `plaintext` sealed under `key` (32 bytes) and `nonce` (12 bytes), authenticating `aad` too. */
export function aeadSeal(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Buffer {
  const cipher = createCipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES });
  cipher.setAAD(aad, { plaintextLength: plaintext.length });
  return Buffer.concat([cipher.update(plaintext), cipher.final(), cipher.getAuthTag()]);
}

/** What aeadSeal sealed; throws if `sealed` or `aad` is not what was sealed under `key` and `nonce`. */
export function aeadOpen(key: Uint8Array, nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Buffer {
  if (sealed.length < AEAD_TAG_BYTES) throw new Error('sealed data shorter than its tag');
  const decipher = createDecipheriv(CIPHER, key, nonce, { authTagLength: AEAD_TAG_BYTES });
  decipher.setAAD(aad, { plaintextLength: sealed.length - AEAD_TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - AEAD_TAG_BYTES));
  return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - AEAD_TAG_BYTES)), decipher.final()]);
}
