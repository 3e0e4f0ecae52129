// The cryptography of protected files: AES-128-GCM with an all-zero IV for every node (each node
// has a key of its own, used for one encryption only), the SP 800-108 key derivation of the
// metadata key with AES-CMAC (format.ts describes both), and random keys drawn in batches (one
// getrandom per 256 keys instead of one per node).
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';
import { cmac } from '@noble/ciphers/aes.js';

import { KEY_SIZE, NONCE_SIZE } from './format.js';

const GCM = 'aes-128-gcm';
/** Safe only because no key encrypts twice. */
const ZERO_IV = Buffer.alloc(12);

/** Encrypts `plain` under `key`; the tag is written into `macOut`. */
export function gcmSeal(key: Uint8Array, plain: Uint8Array, macOut: Uint8Array): Buffer {
  const cipher = createCipheriv(GCM, key, ZERO_IV);
  const sealed = cipher.update(plain);
  cipher.final();
  macOut.set(cipher.getAuthTag());
  return sealed;
}

/** The plain bytes of `sealed`, or null when the tag does not match (wrong key, changed bytes). */
export function gcmOpen(key: Uint8Array, sealed: Uint8Array, mac: Uint8Array): Buffer | null {
  const decipher = createDecipheriv(GCM, key, ZERO_IV);
  decipher.setAuthTag(mac);
  const plain = decipher.update(sealed);
  try {
    decipher.final();
  } catch {
    plain.fill(0);
    return null;
  }
  return plain;
}

/** AES-128-CMAC (RFC 4493). */
export function aesCmac(key: Uint8Array, message: Uint8Array): Uint8Array {
  return cmac(message, key);
}

const KDF_LABEL = 'SGX-PROTECTED-FS-METADATA-KEY';
const KDF_LABEL_FIELD = 64;
const KDF_OUTPUT_BITS = 128;
export const KDF_INPUT_SIZE = 4 + KDF_LABEL_FIELD + NONCE_SIZE + 4;

/** The one PRF input block of the metadata-key derivation (format.ts). */
export function kdfInput(nonce: Uint8Array): Buffer {
  const input = Buffer.alloc(KDF_INPUT_SIZE);
  input.writeUInt32LE(1, 0);
  input.write(KDF_LABEL, 4, 'latin1');
  input.set(nonce, 4 + KDF_LABEL_FIELD);
  input.writeUInt32LE(KDF_OUTPUT_BITS, 4 + KDF_LABEL_FIELD + NONCE_SIZE);
  return input;
}

/** The key of a metadata node's encrypted part, from the user's key and the node's nonce. */
export function deriveMetadataKey(userKey: Uint8Array, nonce: Uint8Array): Buffer {
  const input = kdfInput(nonce);
  const key = Buffer.from(aesCmac(userKey, input));
  input.fill(0);
  return key;
}

/** Random keys and nonces, drawn from the system's CSPRNG a batch at a time. */
export class RandomSource {
  private readonly pool = Buffer.alloc(256 * KEY_SIZE);
  private used = this.pool.length;

  /** Writes `length` fresh random bytes into `target` at `at`. */
  fill(target: Uint8Array, at: number, length: number): void {
    let done = 0;
    while (done < length) {
      if (this.used === this.pool.length) {
        randomFillSync(this.pool);
        this.used = 0;
      }
      const n = Math.min(length - done, this.pool.length - this.used);
      target.set(this.pool.subarray(this.used, this.used + n), at + done);
      this.pool.fill(0, this.used, this.used + n); // a key handed out is not kept here
      this.used += n;
      done += n;
    }
  }

  bytes(length: number): Buffer {
    const b = Buffer.alloc(length);
    this.fill(b, 0, length);
    return b;
  }
}
