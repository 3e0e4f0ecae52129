// `gramine-ts sign MANIFEST`: hashes every trusted file the manifest lists (directories expand
// to every regular file under them) and writes MANIFEST.sig beside it with those hashes, the
// manifest's own hash and the instance measurement (format: src/manifest/signature.ts).
// `gramine-ts run` then finds and checks the signature by itself. With `--key KEYFILE` the file
// is signed with an Ed25519 key (`--gen-key KEYFILE` makes one; src/manifest/signing-key.ts).
import { createHash } from 'node:crypto';
import {
  closeSync, fstatSync, openSync, readdirSync, readSync, renameSync, rmSync, statSync, writeFileSync, type Stats,
} from 'node:fs';
import path from 'node:path';

import { expectedMeasurement } from '../leader/instance-secrets.js';
import {
  loadManifest, ManifestError, measuredManifestBytes, sha256Hex, signaturePath, SIGNATURE_FORMAT,
  type Manifest, type Signature, type SignedFile,
} from '../manifest/index.js';
import { humanBytes, ProgressBar } from './progress.js';

/** A trusted file that cannot be signed: names it. */
export class SignError extends Error {
  override readonly name = 'SignError';
}

/** A file to hash: its own URI and absolute host path, and its size when listed. */
export interface TrustedFileToSign {
  uri: string;
  path: string;
  size: number;
}

export interface SignOptions {
  /** Where relative URIs are resolved (default: the current directory, as `run` does). */
  cwd?: string;
  /** Show a progress bar on this stream: 'auto' (the default) when stderr is a TTY and the work is large. */
  progress?: 'auto' | boolean;
  /** Warnings (skipped dangling symlinks); default: stderr. */
  warn?: (msg: string) => void;
  /** Sign with this Ed25519 secret key (a keyed signature); default: unkeyed. */
  secretKey?: Uint8Array;
}

export interface SignResult {
  /** The signature file written. */
  file: string;
  signature: Signature;
  totalBytes: number;
}

const CHUNK = 1 << 20;
/** The progress bar is worth showing from this many files or bytes on. */
const MANY_FILES = 500;
const MANY_BYTES = 64 << 20;

function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

function errorText(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  return err.code ? `${err.code} (${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})` : String(err.message ?? e);
}

/**
 * The files to hash for `manifest`'s trusted files that carry no sha256 of their own, in manifest
 * order (a directory's files sorted by path), each once. A URI ending in "/" must name a
 * directory; a directory expands to every regular file under it, recursively; symlinks are
 * followed as a native open would (a symlinked directory once: no cycles). A listed file that is
 * missing, unreadable or not a regular file is an error naming it; a dangling symlink found
 * inside a directory is skipped with a warning (no app could open it either).
 */
export function trustedFilesToSign(manifest: Manifest, opts: SignOptions = {}): TrustedFileToSign[] {
  const cwd = opts.cwd ?? process.cwd();
  const warn = opts.warn ?? ((msg: string) => process.stderr.write(`gramine-ts sign: warning: ${msg}\n`));
  const out: TrustedFileToSign[] = [];
  const seen = new Set<string>();
  const add = (uri: string, file: string, st: Stats): void => {
    if (seen.has(file)) return;
    seen.add(file);
    out.push({ uri, path: file, size: st.size });
  };

  const walk = (dir: string, uriPrefix: string, dirsOnPath: Set<string>): void => {
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch (e) {
      throw new SignError(`cannot read trusted directory ${dir}: ${errorText(e)}`);
    }
    for (const name of names.sort(compareBytewise)) {
      const file = path.join(dir, name);
      const uri = uriPrefix + name;
      let st: Stats;
      try {
        st = statSync(file);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'ELOOP') {
          warn(`${file}: dangling symlink in a trusted directory, skipped`);
          continue;
        }
        throw new SignError(`cannot read trusted file ${file}: ${errorText(e)}`);
      }
      if (st.isDirectory()) {
        const id = `${st.dev}:${st.ino}`;
        if (dirsOnPath.has(id)) continue; // a symlink back up the tree
        walk(file, `${uri}/`, new Set(dirsOnPath).add(id));
      } else if (st.isFile()) {
        add(uri, file, st);
      }
      // FIFOs, sockets and devices are not files to trust
    }
  };

  for (const entry of manifest.trustedFiles) {
    if (entry.sha256 !== null) continue; // hashed in the manifest itself
    const file = path.resolve(cwd, entry.path);
    let st: Stats;
    try {
      st = statSync(file);
    } catch (e) {
      throw new SignError(`cannot read trusted file ${entry.uri} (${file}): ${errorText(e)}`);
    }
    if (st.isDirectory()) {
      walk(file, entry.uri.endsWith('/') ? entry.uri : `${entry.uri}/`, new Set([`${st.dev}:${st.ino}`]));
    } else if (entry.uri.endsWith('/')) {
      throw new SignError(`trusted ${entry.uri} (${file}) ends with "/" but is not a directory`);
    } else if (st.isFile()) {
      add(entry.uri, file, st);
    } else {
      throw new SignError(`trusted ${entry.uri} (${file}) is not a regular file or a directory`);
    }
  }
  return out;
}

/** SHA-256 and size of a file's bytes, read through one open (symlinks followed). */
export function hashFile(file: string, buf: Buffer = Buffer.allocUnsafe(CHUNK), onBytes?: (n: number) => void): { size: number; sha256: string } {
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new SignError(`cannot read trusted file ${file}: ${errorText(e)}`);
  }
  try {
    if (!fstatSync(fd).isFile()) throw new SignError(`trusted file ${file} is not a regular file`);
    const h = createHash('sha256');
    let size = 0;
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, buf.length, size);
      } catch (e) {
        throw new SignError(`cannot read trusted file ${file}: ${errorText(e)}`);
      }
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
      onBytes?.(n);
    }
    return { size, sha256: h.digest('hex') };
  } finally {
    closeSync(fd);
  }
}

/** The signature document's text: one trusted file per line. */
function signatureText(manifestPath: string, sig: Omit<Signature, 'file'>): string {
  const head = {
    format: SIGNATURE_FORMAT,
    manifest: sig.manifestName ?? path.basename(manifestPath),
    manifest_sha256: sig.manifestSha256,
    measurement: sig.measurement,
    ...(sig.signer !== undefined ? { signer: sig.signer, signature: sig.signature } : {}),
  };
  const lines = Object.entries(head).map(([k, v]) => `  ${JSON.stringify(k)}: ${JSON.stringify(v)},`);
  const files = sig.trustedFiles.map(
    (f, n) => `    ${JSON.stringify({ uri: f.uri, path: f.path, size: f.size, sha256: f.sha256 })}${n < sig.trustedFiles.length - 1 ? ',' : ''}`,
  );
  return ['{', ...lines, `  "trusted_files": [${files.length ? '' : ']'}`, ...(files.length ? [...files, '  ]'] : []), '}', ''].join('\n');
}

/**
 * Signs the manifest at `manifestPath`: loads and checks it (ManifestError), hashes its trusted
 * files (SignError naming a file that cannot be read), computes the measurement the leader will
 * expect, and writes MANIFEST.sig atomically.
 */
export async function signManifest(manifestPath: string, opts: SignOptions = {}): Promise<SignResult> {
  const manifest = loadManifest(manifestPath);
  const files = trustedFilesToSign(manifest, opts);
  const totalBytes = files.reduce((sum, f) => sum + f.size, 0);
  const stderr = process.stderr;
  const showBar = opts.progress === true || ((opts.progress ?? 'auto') === 'auto' && stderr.isTTY === true && (files.length >= MANY_FILES || totalBytes >= MANY_BYTES));
  const bar = showBar ? new ProgressBar(stderr, files.length, totalBytes) : null;

  const buf = Buffer.allocUnsafe(CHUNK);
  const trustedFiles: SignedFile[] = [];
  let hashedBytes = 0;
  try {
    for (const f of files) {
      const { size, sha256 } = hashFile(f.path, buf, bar ? (n) => bar.addBytes(n) : undefined);
      trustedFiles.push({ uri: f.uri, path: f.path, size, sha256 });
      hashedBytes += size;
      bar?.fileDone();
    }
  } finally {
    bar?.finish();
  }

  const manifestSha256 = sha256Hex(manifest.sourceBytes);
  const measurement = Buffer.from(await expectedMeasurement(measuredManifestBytes(manifest.sourceBytes, { trustedFiles }))).toString('hex');
  const file = signaturePath(manifestPath);
  const signature: Signature = { file, manifestSha256, measurement, trustedFiles, manifestName: path.basename(manifestPath) };
  if (opts.secretKey !== undefined) {
    const { signWithKey } = await import('../manifest/signing-key.js');
    Object.assign(signature, signWithKey(signature, opts.secretKey));
  }
  const tmp = `${file}.tmp-${process.pid}`;
  try {
    writeFileSync(tmp, signatureText(manifestPath, signature));
    renameSync(tmp, file);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw new SignError(`cannot write ${file}: ${errorText(e)}`);
  }
  return { file, signature, totalBytes: hashedBytes };
}

export const SIGN_USAGE = `usage: gramine-ts sign [--no-progress] [--key KEYFILE] MANIFEST
       gramine-ts sign --gen-key KEYFILE

  Hashes every trusted file MANIFEST lists (sgx.trusted_files or trusted_files; directories
  expand to every file under them) and writes MANIFEST.sig beside it, with the manifest's hash
  and the instance measurement. \`gramine-ts run MANIFEST\` picks it up by itself and refuses
  it when anything in it no longer matches.
  --key KEYFILE      sign MANIFEST.sig with this Ed25519 key; \`run --signer\` then checks who signed
  --gen-key KEYFILE  make a key: KEYFILE (secret, mode 0600) and KEYFILE.pub (the public key)
`;

/** `gramine-ts sign ARGS...`: the exit status. */
export async function signCommand(args: string[]): Promise<number> {
  let progress: 'auto' | false = 'auto';
  let keyFile: string | null = null;
  let genKeyFile: string | null = null;
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a === '--no-progress') progress = false;
    else if (a === '--key' || a === '--gen-key') {
      const f = args[++i];
      if (f === undefined) {
        process.stderr.write(`gramine-ts sign: ${a} needs a file\n${SIGN_USAGE}`);
        return 2;
      }
      if (a === '--key') keyFile = f;
      else genKeyFile = f;
    } else if (a === '-h' || a === '--help') {
      process.stdout.write(SIGN_USAGE);
      return 0;
    } else if (a.startsWith('-')) {
      process.stderr.write(`gramine-ts sign: unknown option ${a}\n${SIGN_USAGE}`);
      return 2;
    } else files.push(a);
  }
  if (genKeyFile !== null) {
    if (files.length > 0 || keyFile !== null) {
      process.stderr.write(`gramine-ts sign: --gen-key makes a key and signs nothing\n${SIGN_USAGE}`);
      return 2;
    }
    const { generateKeyFile, SigningKeyError } = await import('../manifest/signing-key.js');
    try {
      const pub = generateKeyFile(genKeyFile);
      process.stdout.write(`${genKeyFile}: signing key (secret)\n${genKeyFile}.pub: public key ${pub}\n`);
      return 0;
    } catch (e) {
      if (!(e instanceof SigningKeyError)) throw e;
      process.stderr.write(`gramine-ts sign: ${e.message}\n`);
      return 1;
    }
  }
  if (files.length !== 1) {
    process.stderr.write(`gramine-ts sign: ${files.length ? 'one manifest at a time' : 'no manifest given'}\n${SIGN_USAGE}`);
    return 2;
  }
  try {
    let secretKey: Uint8Array | undefined;
    if (keyFile !== null) secretKey = (await import('../manifest/signing-key.js')).readSecretKey(keyFile);
    const { file, signature, totalBytes } = await signManifest(files[0]!, { progress, secretKey });
    const n = signature.trustedFiles.length;
    process.stdout.write(
      `${file}: ${n} trusted file${n === 1 ? '' : 's'}, ${humanBytes(totalBytes)}\nmeasurement: ${signature.measurement}\n` +
        (signature.signer !== undefined ? `signer: ${signature.signer}\n` : ''),
    );
    return 0;
  } catch (e) {
    if (e instanceof ManifestError) {
      process.stderr.write(`gramine-ts sign: ${e.message}\n`);
      return 2;
    }
    if (e instanceof SignError || (e instanceof Error && e.name === 'SigningKeyError')) {
      process.stderr.write(`gramine-ts sign: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
