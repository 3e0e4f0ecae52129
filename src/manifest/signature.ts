// The signature file `gramine-ts sign MANIFEST` writes beside a manifest (MANIFEST.sig): the
// manifest's own SHA-256, the SHA-256 and size of every trusted file it lists (directories
// expanded into their files), and the instance measurement that manifest gives. This module
// reads and checks it; src/cli/sign.ts writes it.
//
// The file is JSON:
//
//   {
//     "format": "gramine-ts signature v1",
//     "manifest": "app.manifest.toml",            (the manifest's file name, for people)
//     "manifest_sha256": "<64 hex>",
//     "measurement": "<64 hex>",
//     "trusted_files": [ { "uri": "file:...", "path": "/abs/host/path", "size": 123, "sha256": "<64 hex>" }, ... ],
//     "signer": "<64 hex>",                        (keyed only: the Ed25519 public key)
//     "signature": "<128 hex>"                     (keyed only: Ed25519 over signedMessage())
//   }
//
// Unkeyed (`gramine-ts sign MANIFEST`), the file binds the trusted files' hashes to the manifest
// and to the measurement, but anyone who can write it can rewrite it consistently. Keyed
// (`gramine-ts sign --key KEYFILE MANIFEST`), every field but the signature itself is signed;
// `run --signer KEY` then refuses a file not signed by KEY, an unkeyed one included.
//
// Each trusted file's `uri` is the file's own (for a file found under a listed directory: the
// directory's URI followed by the relative path), resolved at run time as the manifest's URIs
// are (relative ones against the launcher's working directory); `path` is where sign found it.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

import type { Manifest } from './schema.js';

export const SIGNATURE_FORMAT = 'gramine-ts signature v1';

/** One trusted file as signed. */
export interface SignedFile {
  /** The file's own `file:` URI. */
  uri: string;
  /** The absolute host path sign hashed (informational: run resolves `uri`). */
  path: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
}

export interface Signature {
  /** The signature file's path, as it was found. */
  file: string;
  /** Lower-case hex SHA-256 of the manifest's bytes. */
  manifestSha256: string;
  /** Lower-case hex: what the instance's workers attest to (src/tls-psk/measurement.ts). */
  measurement: string;
  trustedFiles: SignedFile[];
  /** The manifest's file name as written at signing (for people; still covered by a key). */
  manifestName?: string;
  /** Keyed: the signer's Ed25519 public key and the signature, lower-case hex; unkeyed: absent. */
  signer?: string;
  signature?: string;
}

export class SignatureError extends Error {
  override readonly name = 'SignatureError';

  constructor(
    /** The signature file concerned. */
    readonly file: string,
    readonly reason: string,
  ) {
    super(`${file}: ${reason}`);
  }
}

/** Where the signature of `manifestPath` lives: beside it, with ".sig" appended. */
export function signaturePath(manifestPath: string): string {
  return `${manifestPath}.sig`;
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const SHA256_HEX = /^[0-9a-f]{64}$/;
const ED25519_SIG_HEX = /^[0-9a-f]{128}$/;
const TOP_KEYS = ['format', 'manifest', 'manifest_sha256', 'measurement', 'trusted_files', 'signer', 'signature'];

/** Checks a signature document; `file` is only for messages. */
export function parseSignature(text: string, file: string): Signature {
  const bad = (why: string): never => {
    throw new SignatureError(file, `malformed signature file: ${why}`);
  };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    return bad(`not JSON (${(e as Error).message})`);
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return bad('not a JSON object');
  const d = doc as Record<string, unknown>;
  if (d.format !== SIGNATURE_FORMAT) return bad(`format is not "${SIGNATURE_FORMAT}"`);
  const hex = (v: unknown, key: string): string =>
    typeof v === 'string' && SHA256_HEX.test(v) ? v : bad(`${key}: expected 64 lower-case hex digits`);
  for (const k of Object.keys(d)) if (!TOP_KEYS.includes(k)) bad(`${k}: unknown key`);
  if (d.manifest !== undefined && typeof d.manifest !== 'string') bad('manifest: expected a file name');
  const manifestSha256 = hex(d.manifest_sha256, 'manifest_sha256');
  const measurement = hex(d.measurement, 'measurement');
  if (!Array.isArray(d.trusted_files)) return bad('trusted_files: expected an array');
  const trustedFiles = d.trusted_files.map((f: unknown, n): SignedFile => {
    const at = `trusted_files[${n}]`;
    if (typeof f !== 'object' || f === null || Array.isArray(f)) return bad(`${at}: expected an object`);
    const e = f as Record<string, unknown>;
    for (const k of Object.keys(e)) if (!['uri', 'path', 'size', 'sha256'].includes(k)) bad(`${at}.${k}: unknown key`);
    if (typeof e.uri !== 'string' || !e.uri.startsWith('file:') || e.uri.length === 5) bad(`${at}.uri: expected a "file:" URI`);
    if (typeof e.path !== 'string' || !e.path.startsWith('/')) bad(`${at}.path: expected an absolute path`);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0) bad(`${at}.size: expected a byte count`);
    return { uri: e.uri as string, path: e.path as string, size: e.size as number, sha256: hex(e.sha256, `${at}.sha256`) };
  });
  const sig: Signature = { file, manifestSha256, measurement, trustedFiles };
  if (typeof d.manifest === 'string') sig.manifestName = d.manifest;
  if ((d.signer === undefined) !== (d.signature === undefined)) bad('signer and signature go together');
  if (d.signer !== undefined) {
    sig.signer = hex(d.signer, 'signer');
    if (typeof d.signature !== 'string' || !ED25519_SIG_HEX.test(d.signature)) bad('signature: expected 128 lower-case hex digits');
    sig.signature = d.signature as string;
  }
  return sig;
}

/**
 * Refuses a signature whose measurement is not the one this instance computes (`actual`, hex):
 * its trusted files' list, or the gramine-ts build, differs from what was signed.
 */
export function checkSignedMeasurement(sig: Signature, actual: string, manifestFile: string): void {
  if (actual === sig.measurement) return;
  throw new SignatureError(
    sig.file,
    `measurement differs: signed ${sig.measurement}, but this instance measures ${actual} ` +
      `(its trusted files' hashes or this gramine-ts build differ from what was signed): ` +
      `run \`gramine-ts sign ${manifestFile}\``,
  );
}

function notSigned(manifestPath: string, why: string): string {
  return `${why}: run \`gramine-ts sign ${manifestPath}\``;
}

/**
 * The signature of the manifest at `manifestPath` (MANIFEST.sig), checked against the
 * manifest's bytes (read from `manifestPath` unless given). Throws SignatureError, naming the
 * signature file and telling the user to sign, when it is missing, malformed or stale.
 */
export function loadSignature(manifestPath: string, manifestBytes?: Uint8Array): Signature {
  const file = signaturePath(manifestPath);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === 'ENOENT' ? `missing: ${manifestPath} was never signed` : `cannot read: ${(e as Error).message}`;
    throw new SignatureError(file, notSigned(manifestPath, why));
  }
  let sig: Signature;
  try {
    sig = parseSignature(text, file);
  } catch (e) {
    if (e instanceof SignatureError) throw new SignatureError(file, notSigned(manifestPath, e.reason));
    throw e;
  }
  let bytes = manifestBytes;
  if (bytes === undefined) {
    try {
      bytes = new Uint8Array(readFileSync(manifestPath));
    } catch (e) {
      throw new SignatureError(file, `cannot read the manifest ${manifestPath}: ${(e as Error).message}`);
    }
  }
  if (sha256Hex(bytes) !== sig.manifestSha256) {
    throw new SignatureError(file, notSigned(manifestPath, `stale: ${manifestPath} has changed since it was signed`));
  }
  return sig;
}

/** Does the manifest list trusted files whose hashes only a signature can give? */
export function needsSignature(manifest: Manifest): boolean {
  return manifest.trustedFiles.some((f) => f.sha256 === null);
}

/**
 * The signature `gramine-ts run` uses for a manifest loaded from a file: required (and checked)
 * when the manifest lists trusted files without their own sha256; otherwise used if present
 * (and then it must be valid), else null. Built-in and in-memory manifests have none.
 * `manifestFile` is the manifest's path as the user gave it (for messages; default: sourcePath).
 * With `requiredSigner` the signature must be there (its key is checked by verifySigner, in
 * signing-key.ts, kept apart so that an unkeyed run does not load the Ed25519 code).
 */
export function signatureForRun(
  manifest: Manifest, manifestFile: string | null = manifest.sourcePath, requiredSigner: string | null = null,
): Signature | null {
  if (manifestFile === null) {
    if (needsSignature(manifest) || requiredSigner !== null) throw new SignatureError('(no file)', 'a manifest not read from a file cannot be signed');
    return null;
  }
  if (!needsSignature(manifest) && requiredSigner === null && !existsSync(signaturePath(manifestFile))) return null;
  return loadSignature(manifestFile, manifest.sourceBytes);
}

const MEASURED_TAG = new TextEncoder().encode('gramine-ts signed manifest v1\0');

/**
 * The bytes an instance's measurement covers as its manifest part (measureWorkerCode's
 * `manifest`): the manifest's bytes as they are when it is not signed; when it is, the manifest's
 * bytes and the signature's content, framed:
 *
 *   "gramine-ts signed manifest v1\0" || u64be(len M) || M || u64be(len L) || L
 *
 * where L is the JSON array [[uri, size, sha256], ...] of the signed trusted files, in the
 * signature's order. The signature's `path` fields (where sign happened to find the files) and
 * its `measurement` (which cannot cover itself) are left out. A manifest has no NUL byte (TOML
 * forbids it), so a signed manifest never measures like an unsigned one.
 */
export function measuredManifestBytes(manifestBytes: Uint8Array, signature: Pick<Signature, 'trustedFiles'> | null): Uint8Array {
  if (signature === null) return manifestBytes;
  const list = new TextEncoder().encode(JSON.stringify(signature.trustedFiles.map((f) => [f.uri, f.size, f.sha256])));
  const out = new Uint8Array(MEASURED_TAG.length + 8 + manifestBytes.length + 8 + list.length);
  const view = new DataView(out.buffer);
  let at = 0;
  out.set(MEASURED_TAG, at);
  at += MEASURED_TAG.length;
  view.setBigUint64(at, BigInt(manifestBytes.length));
  at += 8;
  out.set(manifestBytes, at);
  at += manifestBytes.length;
  view.setBigUint64(at, BigInt(list.length));
  at += 8;
  out.set(list, at);
  return out;
}

/** The host path of a `file:` URI, as the manifest loader reads it, made absolute against `cwd`. */
export function uriHostPath(uri: string, cwd: string = process.cwd()): string {
  return path.resolve(cwd, path.posix.normalize(uri.slice('file:'.length)));
}
