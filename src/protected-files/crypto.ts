// The cryptography of protected files: AES-128-GCM with an all-zero IV for every node (each node
// has a key of its own, used for one encryption only), the SP 800-108 key derivation of the
// metadata key with AES-CMAC (format.ts describes both), and random keys drawn in batches (one
// getrandom per 4 KiB: 256 keys, or the entries of 128 nodes sealed as a batch, instead of one
// per node). The data and MHT nodes go through a NodeCipher (node-cipher.ts); gcmSeal and
// gcmOpen here serve the metadata node, once per flush or open, and the default NodeCipher.
import { createCipheriv, createDecipheriv, randomFillSync } from 'node:crypto';

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

const BLOCK = 16;

/**
 * AES-128-CMAC (RFC 4493), its CBC chain run here over one AES-ECB object of node:crypto's:
 * every flush derives a metadata key, and this takes about 17 µs where @noble/ciphers' cmac took
 * about 42 (warm; 57 and 115 cold).
 */
export function aesCmac(key: Uint8Array, message: Uint8Array): Buffer {
  const aes = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  const k1 = cmacSubkey(aes.update(Buffer.alloc(BLOCK)));
  const k2 = cmacSubkey(k1);
  const blocks = Math.max(1, Math.ceil(message.length / BLOCK));
  let x = Buffer.alloc(BLOCK);
  for (let b = 0; b < blocks; b++) {
    const m = message.subarray(b * BLOCK, (b + 1) * BLOCK);
    for (let i = 0; i < m.length; i++) x[i]! ^= m[i]!;
    if (b === blocks - 1) {
      // the last block: whole, with K1; else padded with 10..0, with K2
      if (m.length < BLOCK) x[m.length]! ^= 0x80;
      const k = m.length === BLOCK ? k1 : k2;
      for (let i = 0; i < BLOCK; i++) x[i]! ^= k[i]!;
    }
    x = aes.update(x);
  }
  k1.fill(0);
  k2.fill(0);
  return x;
}

/** RFC 4493's subkey step: `block` doubled in GF(2^128). */
function cmacSubkey(block: Buffer): Buffer {
  const out = Buffer.alloc(BLOCK);
  for (let i = 0; i < BLOCK; i++) out[i] = ((block[i]! << 1) | (i < BLOCK - 1 ? block[i + 1]! >> 7 : 0)) & 0xff;
  if (block[0]! & 0x80) out[BLOCK - 1]! ^= 0x87;
  return out;
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
  const key = aesCmac(userKey, input);
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
