// Ed25519 keys for `gramine-ts sign --key` and `run --signer`. A key file is text:
//
//   # gramine-ts signing key: keep it secret
//   secret: <64 hex: the 32-byte Ed25519 secret key>
//   public: <64 hex: its public key>
//
// written mode 0600; `--gen-key KEYFILE` also writes KEYFILE.pub with the `public:` line only.
// A signer is named by its public key: 64 hex digits, or a file with a `public:` line (a key
// file or its .pub). Only signing and keyed runs load this module (and the Ed25519 code).
import { readFileSync, writeFileSync } from 'node:fs';

import { ed25519 } from '@noble/curves/ed25519.js';

import { SignatureError, SIGNATURE_FORMAT, type Signature } from './signature.js';

const SIGNED_TAG = 'gramine-ts signature v1 ed25519\0';

/**
 * The bytes a keyed signature signs: a domain tag, then the JSON of every field of the file but
 * the signature, in a fixed order (the signer's key included, so a signature cannot be moved
 * to another key's file).
 */
export function signedMessage(sig: Omit<Signature, 'file' | 'signature'> & { signer: string }): Uint8Array {
  const body = [
    SIGNATURE_FORMAT, sig.manifestName ?? null, sig.manifestSha256, sig.measurement, sig.signer,
    sig.trustedFiles.map((f) => [f.uri, f.path, f.size, f.sha256]),
  ];
  return new TextEncoder().encode(SIGNED_TAG + JSON.stringify(body));
}

/** Signs `sig` with an Ed25519 secret key: the signer and signature fields it gets. */
export function signWithKey(sig: Omit<Signature, 'file' | 'signer' | 'signature'>, secretKey: Uint8Array): { signer: string; signature: string } {
  const signer = Buffer.from(ed25519.getPublicKey(secretKey)).toString('hex');
  const signature = Buffer.from(ed25519.sign(signedMessage({ ...sig, signer }), secretKey)).toString('hex');
  return { signer, signature };
}

/**
 * Checks a keyed signature against its own key and, when `requiredSigner` (hex public key) is
 * given, that key against it; an unkeyed file is then refused. Throws SignatureError saying which.
 */
export function verifySigner(sig: Signature, requiredSigner: string | null = null): void {
  if (sig.signer === undefined || sig.signature === undefined) {
    if (requiredSigner !== null) throw new SignatureError(sig.file, `not signed with a key, but --signer ${requiredSigner} was required`);
    return;
  }
  let ok: boolean;
  try {
    ok = ed25519.verify(Buffer.from(sig.signature, 'hex'), signedMessage({ ...sig, signer: sig.signer }), Buffer.from(sig.signer, 'hex'));
  } catch {
    ok = false;
  }
  if (!ok) throw new SignatureError(sig.file, `the signature does not verify: the file was changed after ${sig.signer} signed it`);
  if (requiredSigner !== null && sig.signer !== requiredSigner) {
    throw new SignatureError(sig.file, `signed by ${sig.signer}, not by the required signer ${requiredSigner}`);
  }
}

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

const HEX32 = /^[0-9a-f]{64}$/;

function field(text: string, name: 'secret' | 'public', file: string): string | null {
  const m = text.match(new RegExp(`^${name}:[ \\t]*(\\S*)[ \\t]*$`, 'm'));
  if (m === null) return null;
  if (!HEX32.test(m[1]!)) throw new SigningKeyError(`${file}: ${name}: expected 64 lower-case hex digits`);
  return m[1]!;
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (e) {
    throw new SigningKeyError(`${file}: cannot read: ${(e as Error).message}`);
  }
}

/** Makes a key and writes KEYFILE (0600, never over an existing file) and KEYFILE.pub: the public key, hex. */
export function generateKeyFile(file: string): string {
  const secret = ed25519.utils.randomSecretKey();
  const pub = Buffer.from(ed25519.getPublicKey(secret)).toString('hex');
  const text = `# gramine-ts signing key: keep it secret\nsecret: ${Buffer.from(secret).toString('hex')}\npublic: ${pub}\n`;
  try {
    writeFileSync(file, text, { mode: 0o600, flag: 'wx' });
    writeFileSync(`${file}.pub`, `# gramine-ts signer\npublic: ${pub}\n`, { flag: 'wx' });
  } catch (e) {
    throw new SigningKeyError(`cannot write ${(e as NodeJS.ErrnoException).path ?? file}: ${(e as Error).message}`);
  }
  return pub;
}

/** The secret key of a key file; its `public:` line, if any, must be that key's. */
export function readSecretKey(file: string): Uint8Array {
  const text = readText(file);
  const secret = field(text, 'secret', file);
  if (secret === null) throw new SigningKeyError(`${file}: not a signing key (no "secret:" line; made by \`gramine-ts sign --gen-key\`)`);
  const key = new Uint8Array(Buffer.from(secret, 'hex'));
  const pub = field(text, 'public', file);
  if (pub !== null && pub !== Buffer.from(ed25519.getPublicKey(key)).toString('hex')) {
    throw new SigningKeyError(`${file}: its public key is not its secret key's`);
  }
  return key;
}

/** A signer named on the command line: 64 hex digits, or a file with a `public:` (or `secret:`) line. */
export function signerPublicKey(arg: string): string {
  const hex = arg.toLowerCase();
  if (HEX32.test(hex)) return hex;
  const text = readText(arg);
  const pub = field(text, 'public', arg);
  if (pub !== null) return pub;
  const secret = field(text, 'secret', arg);
  if (secret !== null) return Buffer.from(ed25519.getPublicKey(Buffer.from(secret, 'hex'))).toString('hex');
  throw new SigningKeyError(`${arg}: neither 64 hex digits nor a file with a "public:" line`);
}
