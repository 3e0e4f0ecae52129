// The simulated platform secret: 32 random bytes per machine (per user, for a leader that is not
// root), made on first use. It stands for what an SGX CPU's fused keys are to EGETKEY: every
// sealing key, report key and the quoting key derive from it (derive.ts), so sealed data opens
// again in a later run of the same manifest on the same machine, and nowhere else.
//
// Where it is: $GRAMINE_TS_PLATFORM_SECRET if set; else /var/lib/gramine-ts/platform-secret for
// root; else $XDG_STATE_HOME/gramine-ts/platform-secret ($XDG_STATE_HOME defaults to
// ~/.local/state). The file must be a regular file of the caller's, 32 bytes, mode 0600 or
// stricter: one others may read is refused (they could make any key of the instance's).
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, fsyncSync, linkSync, mkdirSync, openSync, readSync, unlinkSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export const PLATFORM_SECRET_SIZE = 32;
/** The environment variable that names another file. */
export const PLATFORM_SECRET_ENV = 'GRAMINE_TS_PLATFORM_SECRET';

export class PlatformSecretError extends Error {
  override readonly name = 'PlatformSecretError';

  constructor(readonly file: string, reason: string) {
    super(`platform secret ${file}: ${reason}`);
  }
}

/** Where the platform secret of this user on this machine is. */
export function platformSecretPath(env: NodeJS.ProcessEnv = process.env): string {
  const given = env[PLATFORM_SECRET_ENV];
  if (given) return path.resolve(given);
  if (process.geteuid?.() === 0) return '/var/lib/gramine-ts/platform-secret';
  // the XDG base-directory rules: a relative XDG_STATE_HOME is to be ignored
  const state = env.XDG_STATE_HOME && path.isAbsolute(env.XDG_STATE_HOME) ? env.XDG_STATE_HOME : path.join(env.HOME || os.homedir(), '.local', 'state');
  return path.join(state, 'gramine-ts', 'platform-secret');
}

/** A host error as its errno name (EACCES, ENOSPC...). */
function reason(e: unknown): string {
  return (e as NodeJS.ErrnoException).code ?? String(e);
}

/** The secret in `file`, checked; null if there is no such file. */
function readSecret(file: string): Uint8Array | null {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new PlatformSecretError(file, `cannot open: ${reason(e)}`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new PlatformSecretError(file, 'not a regular file');
    const euid = process.geteuid?.();
    if (euid !== undefined && st.uid !== euid) throw new PlatformSecretError(file, `owned by uid ${st.uid}, not by this user (uid ${euid})`);
    if (st.mode & 0o077) throw new PlatformSecretError(file, `mode ${(st.mode & 0o777).toString(8).padStart(4, '0')} lets others use it: chmod 600 it (or remove it: a new secret changes every sealing key)`);
    if (st.size !== PLATFORM_SECRET_SIZE) throw new PlatformSecretError(file, `${st.size} bytes, not ${PLATFORM_SECRET_SIZE}`);
    const secret = new Uint8Array(PLATFORM_SECRET_SIZE);
    if (readSync(fd, secret, 0, PLATFORM_SECRET_SIZE, 0) !== PLATFORM_SECRET_SIZE) throw new PlatformSecretError(file, 'short read');
    return secret;
  } finally {
    closeSync(fd);
  }
}

/**
 * Makes the secret file: written in full under a temporary name, then linked into place, so that
 * a leader starting at the same moment reads either no file or the whole of one (the first link
 * wins; the loser reads the winner's).
 */
function createSecret(file: string): void {
  const temp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}`;
  try {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const fd = openSync(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    try {
      writeSync(fd, randomBytes(PLATFORM_SECRET_SIZE));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      linkSync(temp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  } catch (e) {
    throw new PlatformSecretError(file, `cannot create: ${reason(e)}`);
  } finally {
    try {
      unlinkSync(temp);
    } catch {
      // not made
    }
  }
}

/**
 * The platform secret in `file` (default: platformSecretPath()), made first when there is none
 * and `create` is true. Throws PlatformSecretError naming the file and what is wrong.
 */
export function loadPlatformSecret(file: string = platformSecretPath(), create = true): Uint8Array {
  try {
    const found = readSecret(file);
    if (found) return found;
    if (!create) throw new PlatformSecretError(file, 'there is none (no instance has used attestation on this machine yet)');
    createSecret(file);
    const made = readSecret(file);
    if (!made) throw new PlatformSecretError(file, 'gone right after it was made');
    return made;
  } catch (e) {
    // a read that fails half-way (EIO) is the file's problem too
    throw e instanceof PlatformSecretError ? e : new PlatformSecretError(file, `cannot read: ${reason(e)}`);
  }
}
