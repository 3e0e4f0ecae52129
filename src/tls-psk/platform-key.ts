// The instance's platform key: the secret workers MAC their attestation reports with. The
// leader makes it and hands it to each worker on a private fd. Kept free of heavy imports:
// both sides need it first thing at start-up.
import { randomBytes } from 'node:crypto';
import { closeSync, readSync } from 'node:fs';

export const PLATFORM_KEY_SIZE = 32;

export class PlatformKeyError extends Error {}

/** A fresh platform key: 32 random bytes, one per instance, kept by the leader. */
export function createPlatformKey(): Uint8Array {
  return new Uint8Array(randomBytes(PLATFORM_KEY_SIZE));
}

/**
 * Worker side: reads exactly 32 bytes of platform key from an inherited fd, then closes it. The
 * leader writes the key as soon as it spawns the worker, so the read does not wait for long.
 */
export function readPlatformKeyFromFd(fd: number): Uint8Array {
  const key = new Uint8Array(PLATFORM_KEY_SIZE);
  let got = 0;
  try {
    while (got < PLATFORM_KEY_SIZE) {
      let n: number;
      try {
        n = readSync(fd, key, got, PLATFORM_KEY_SIZE - got, null);
      } catch (e) {
        throw new PlatformKeyError(`platform key: cannot read fd ${fd}: ${(e as Error).message}`);
      }
      if (n === 0) throw new PlatformKeyError(`platform key: fd ${fd} ended after ${got} of ${PLATFORM_KEY_SIZE} bytes`);
      got += n;
    }
  } catch (e) {
    key.fill(0);
    throw e;
  } finally {
    try {
      closeSync(fd);
    } catch {
      // already closed: nothing to do
    }
  }
  return key;
}
