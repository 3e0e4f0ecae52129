// `gramine-ts pf encrypt|decrypt|inspect`: converts files to and from the protected-files format
// of encrypted mounts (src/protected-files/), offline, as Gramine's gramine-sgx-pf-crypt does.
import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, type Stats } from 'node:fs';

import {
  layoutForSize, normalizeBoundName, PENDING_WRITE_FLAG, ProtectedFile, ProtectedFileError,
} from '../protected-files/index.js';
import { addonNodeCipher } from '../pal/gcm.js';
import { FdStorage } from '../pal/pf-storage.js';
import { humanBytes, ProgressBar } from './progress.js';

export const PF_USAGE = `usage: gramine-ts pf encrypt --key KEYFILE [--wrap-name NAME] [--format-version 1|2] [--no-progress] IN OUT
       gramine-ts pf decrypt --key KEYFILE [--wrap-name NAME | --verify] [--no-progress] IN OUT
       gramine-ts pf inspect [--key KEYFILE] [--no-progress] FILE

  Converts files to and from the protected-files format of Gramine's encrypted mounts
  (fs.mounts entries with type = "encrypted"), as gramine-sgx-pf-crypt does. IN may be a
  directory: its files are converted, recursively, into the directory OUT.
  --key KEYFILE      the 16-byte key: a file of exactly 16 bytes (gramine-sgx-pf-crypt gen-key
                     writes those) or of 32 hex digits and an optional newline (the form of
                     fs.insecure__keys in a manifest)
  --wrap-name NAME   encrypt: the name to bind the file to (for a directory, the directory part of
                     each file's name). Default: OUT as given, normalized. An encrypted mount opens
                     a file only under the name Gramine binds: the mount's uri path joined with the
                     file's path in the mount, e.g. "enc/a.txt" for /data/a.txt in the mount
                     { path = "/data", uri = "file:enc", type = "encrypted" }.
                     decrypt: refuse files not bound to NAME (for a directory, NAME/PATH)
  --verify           decrypt: refuse files not bound to IN, normalized (gramine-sgx-pf-crypt -V)
  --format-version V encrypt: 2 (Gramine 1.9 and later; the default) or 1 (Gramine before 1.9)
  --no-progress      no progress bar (otherwise drawn on a TTY for 64 MiB and more)
inspect: print the header of FILE; with --key, also the name it is bound to and its size, and
  check that every node authenticates.
`;

const CHUNK = 1 << 20;
const PROGRESS_FROM_BYTES = 64 << 20;

/** A user's error: one line, exit status 1. */
export class PfCommandError extends Error {
  override readonly name = 'PfCommandError';
}

/** A host fd as the storage of a protected file. */
/** `e` as a short reason: the errno code and its text for a system error. */
function reason(e: unknown): string {
  const err = e as NodeJS.ErrnoException;
  if (typeof err?.code === 'string' && err.syscall !== undefined) return `${err.code} (${err.message.replace(/^[A-Z]+: /, '').replace(/, \w+ '.*'$/, '')})`;
  return e instanceof Error ? e.message : String(e);
}

/** Runs a host file call; a failure becomes a PfCommandError naming `file`. */
function onHost<T>(what: string, file: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    throw new PfCommandError(`cannot ${what} ${file}: ${reason(e)}`);
  }
}

/**
 * The key in `file`: exactly 16 bytes (Gramine's wrap-key file, tools/common/pf_util:
 * load_wrap_key), or 32 hex digits with an optional newline (a manifest's fs.insecure__keys).
 */
export function readKeyFile(file: string): Buffer {
  const bytes = onHost('read key file', file, () => readFileSync(file));
  if (bytes.length === 16) return bytes;
  const text = bytes.toString('latin1').replace(/\r?\n$/, '');
  if (/^[0-9a-fA-F]{32}$/.test(text)) return Buffer.from(text, 'hex');
  const what = text.length === 32 ? '32 characters that are not all hex digits' : `${bytes.length} bytes`;
  throw new PfCommandError(`key file ${file}: it has ${what}; a key file holds exactly 16 bytes, or 32 hex digits and an optional newline`);
}

/** A regular file to convert: where it is, where it goes, and its path below IN ("" for IN itself). */
interface FileToConvert {
  from: string;
  to: string;
  relative: string;
  size: number;
}

/** IN and what is below it: a file, or every regular file under a directory (sorted, no cycles). */
function filesToConvert(givenInput: string, givenOutput: string): FileToConvert[] {
  const trim = (p: string) => (p.length > 1 ? p.replace(/\/+$/, '') : p);
  const input = trim(givenInput);
  const output = trim(givenOutput);
  const st = onHost('read', input, () => statSync(input));
  if (st.isFile()) return [{ from: input, to: output, relative: '', size: st.size }];
  if (!st.isDirectory()) throw new PfCommandError(`${input} is not a regular file or a directory`);
  const out: FileToConvert[] = [];
  const walk = (relative: string, dirsOnPath: Set<string>): void => {
    const dir = relative === '' ? input : `${input}/${relative}`;
    for (const name of onHost('read directory', dir, () => readdirSync(dir)).sort()) {
      const rel = relative === '' ? name : `${relative}/${name}`;
      const from = `${input}/${rel}`;
      const entry: Stats = onHost('read', from, () => statSync(from));
      if (entry.isDirectory()) {
        const id = `${entry.dev}:${entry.ino}`;
        if (!dirsOnPath.has(id)) walk(rel, new Set(dirsOnPath).add(id));
      } else if (entry.isFile()) {
        out.push({ from, to: `${output}/${rel}`, relative: rel, size: entry.size });
      } else {
        process.stderr.write(`gramine-ts pf: skipping ${from}: not a regular file\n`);
      }
    }
  };
  walk('', new Set([`${st.dev}:${st.ino}`]));
  return out;
}

/** Where a converted file is written before it is renamed over its destination. */
function temporaryFor(file: string): string {
  return `${file}.pf-tmp-${process.pid}`;
}

/** Writes `to` through a temporary file, removed when `fill` throws. */
function writeAtomically(to: string, fill: (fd: number) => void): void {
  const slash = to.lastIndexOf('/');
  if (slash > 0) onHost('create directory', to.slice(0, slash), () => mkdirSync(to.slice(0, slash), { recursive: true }));
  const tmp = temporaryFor(to);
  const fd = onHost('create', tmp, () => openSync(tmp, 'w+', 0o664)); // read too: a flush may reread an MHT node
  try {
    fill(fd);
    closeSync(fd);
    onHost('rename into place', to, () => renameSync(tmp, to));
  } catch (e) {
    try {
      closeSync(fd);
    } catch {
      // closed already
    }
    rmSync(tmp, { force: true });
    throw e;
  }
}

/** Reads all of the input file `file` in chunks, calling `take` with each. */
function eachChunk(file: string, take: (chunk: Buffer, offset: number) => void): void {
  const fd = onHost('open', file, () => openSync(file, 'r'));
  try {
    const buf = Buffer.allocUnsafe(CHUNK);
    for (let offset = 0; ; ) {
      const n = onHost('read', file, () => readSync(fd, buf, 0, CHUNK, offset));
      if (n === 0) break;
      take(buf.subarray(0, n), offset);
      offset += n;
    }
  } finally {
    closeSync(fd);
  }
}

/** Opens the protected file `file` read-only; `use` gets it, and it is closed after. */
function withProtectedFile<T>(file: string, key: Buffer, name: string | null, use: (pf: ProtectedFile) => T): T {
  const fd = onHost('open', file, () => openSync(file, 'r'));
  try {
    const pf = ProtectedFile.open(new FdStorage(fd), { key, name, label: file, allowPendingWrite: true, cipher: addonNodeCipher });
    try {
      return use(pf);
    } finally {
      pf.close(); // nothing to write: only read
    }
  } finally {
    closeSync(fd);
  }
}

/** Reads all of `pf` in chunks (each node is authenticated on the way). */
function eachPlainChunk(pf: ProtectedFile, take: (chunk: Buffer, offset: number) => void): void {
  const buf = Buffer.allocUnsafe(CHUNK);
  for (let offset = 0; offset < pf.size; ) {
    const n = pf.readInto(buf, offset);
    take(buf.subarray(0, n), offset);
    offset += n;
  }
}

interface Options {
  key: string | null;
  wrapName: string | null;
  verify: boolean;
  formatVersion: 1 | 2;
  progress: boolean;
  paths: string[];
}

function progressBar(opts: Options, doing: string, files: number, bytes: number): ProgressBar | null {
  return opts.progress && process.stderr.isTTY === true && bytes >= PROGRESS_FROM_BYTES ? new ProgressBar(process.stderr, files, bytes, doing) : null;
}

/**
 * Converts IN (a file, or a tree) to OUT: `convert` does one file and says what it did (the
 * line printed when there is no progress bar), reporting its bytes as it goes.
 */
function convertEach(
  opts: Options,
  doing: string,
  convert: (f: FileToConvert, boundName: (base: string) => string, addBytes: (n: number) => void) => string,
): void {
  const [input, output] = opts.paths as [string, string];
  const files = filesToConvert(input, output);
  const bar = progressBar(opts, doing, files.length, files.reduce((sum, f) => sum + f.size, 0));
  try {
    for (const f of files) {
      // a file's name under a directory's: what Gramine binds for it (names.ts)
      const boundName = (base: string) => normalizeBoundName(f.relative === '' ? base : `${base}/${f.relative}`);
      const done = convert(f, boundName, (n) => bar?.addBytes(n));
      bar?.fileDone();
      if (bar === null) process.stdout.write(`${done}\n`);
    }
  } finally {
    bar?.finish();
  }
}

function encrypt(opts: Options, key: Buffer): void {
  convertEach(opts, 'encrypting', (f, boundName, addBytes) => {
    const name = boundName(opts.wrapName ?? opts.paths[1]!);
    writeAtomically(f.to, (fd) => {
      const pf = ProtectedFile.create(new FdStorage(fd), { key, name, label: f.to, formatVersion: opts.formatVersion, cipher: addonNodeCipher });
      eachChunk(f.from, (chunk, offset) => {
        pf.write(offset, chunk);
        addBytes(chunk.length);
      });
      pf.close();
    });
    return `encrypted ${f.from} -> ${f.to}, bound to "${name}"`;
  });
}

function decrypt(opts: Options, key: Buffer): void {
  convertEach(opts, 'decrypting', (f, boundName, addBytes) => {
    const expected = opts.verify ? boundName(opts.paths[0]!) : opts.wrapName !== null ? boundName(opts.wrapName) : null;
    return withProtectedFile(f.from, key, expected, (pf) => {
      writeAtomically(f.to, (fd) => {
        const out = new FdStorage(fd);
        eachPlainChunk(pf, (chunk, offset) => {
          onHost('write', f.to, () => out.write(offset, chunk));
          addBytes(chunk.length);
        });
      });
      return `decrypted ${f.from} -> ${f.to}, ${humanBytes(pf.size)}, bound to "${pf.boundName.toString('utf8')}"`;
    });
  });
}

function inspect(opts: Options, key: Buffer | null): void {
  const [file] = opts.paths as [string];
  const fd = onHost('open', file, () => openSync(file, 'r'));
  const lines: Array<[string, string]> = [];
  const print = () => {
    for (const [k, v] of lines.splice(0)) process.stdout.write(`${`${k}:`.padEnd(14)}${v}\n`);
  };
  try {
    const header = ProtectedFile.readHeader(new FdStorage(fd), file);
    const pending = (header.flags & PENDING_WRITE_FLAG) !== 0 ? ' (pending write: Gramine must recover the file)' : '';
    lines.push(
      ['file', file],
      ['host size', `${header.hostSize} bytes, ${Math.floor(header.hostSize / 4096)} nodes${header.hostSize % 4096 !== 0 ? ' and a part' : ''}`],
      ['format', `GRAFS_PF version ${header.version}.${header.minor}`],
      ['flags', `0x${header.flags.toString(16).padStart(2, '0')}${pending}`],
      ['nonce', header.nonce.toString('hex')],
      ['metadata MAC', header.mac.toString('hex')],
    );
    print();
  } finally {
    closeSync(fd);
  }
  if (key === null) return;
  withProtectedFile(file, key, null, (pf) => {
    const layout = layoutForSize(pf.size);
    lines.push(
      ['bound name', JSON.stringify(pf.boundName.toString('utf8'))],
      ['size', `${pf.size} bytes`],
      ['nodes', `1 metadata, ${layout.mhtNodes} MHT, ${layout.dataNodes} data`],
    );
    print();
    const bar = progressBar(opts, 'verifying', 1, pf.size);
    try {
      eachPlainChunk(pf, (chunk) => bar?.addBytes(chunk.length));
      bar?.fileDone();
    } finally {
      bar?.finish();
    }
    lines.push(['verified', `all ${layout.nodes} nodes authenticate`]);
    print();
  });
}

const SUBCOMMANDS = { encrypt: 2, decrypt: 2, inspect: 1 } as const;
type Subcommand = keyof typeof SUBCOMMANDS;

/** The options, or a usage error's text. */
function parseOptions(sub: Subcommand, args: string[]): Options | string {
  const opts: Options = { key: null, wrapName: null, verify: false, formatVersion: 2, progress: true, paths: [] };
  const allowed: Record<Subcommand, string[]> = {
    encrypt: ['--key', '--wrap-name', '--format-version', '--no-progress'],
    decrypt: ['--key', '--wrap-name', '--verify', '--no-progress'],
    inspect: ['--key', '--no-progress'],
  };
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (a.startsWith('-') && a !== '-') {
      if (!allowed[sub].includes(a)) return `unknown option ${a} for pf ${sub}`;
      if (a === '--no-progress') opts.progress = false;
      else if (a === '--verify') opts.verify = true;
      else {
        const v = args[++i];
        if (v === undefined) return `${a} needs a value`;
        if (a === '--key') opts.key = v;
        else if (a === '--wrap-name') opts.wrapName = v;
        else if (v === '1' || v === '2') opts.formatVersion = v === '1' ? 1 : 2;
        else return `--format-version is 1 or 2, not ${v}`;
      }
    } else opts.paths.push(a);
  }
  if (opts.paths.length !== SUBCOMMANDS[sub]) return `pf ${sub} takes ${SUBCOMMANDS[sub] === 2 ? 'IN and OUT' : 'one FILE'}`;
  if (sub !== 'inspect' && opts.key === null) return `pf ${sub} needs --key KEYFILE`;
  if (opts.verify && opts.wrapName !== null) return '--verify and --wrap-name both say which name to expect: give one';
  return opts;
}

/** `gramine-ts pf ARGS...`: the exit status. */
export async function pfCommand(args: string[]): Promise<number> {
  const sub = args[0];
  if (sub === '-h' || sub === '--help') {
    process.stdout.write(PF_USAGE);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`gramine-ts pf: ${msg}\n${PF_USAGE}`);
    return 2;
  };
  if (sub === undefined || !(sub in SUBCOMMANDS)) return usage(sub === undefined ? 'no subcommand given' : `unknown subcommand ${sub}`);
  try {
    const opts = parseOptions(sub as Subcommand, args.slice(1));
    if (typeof opts === 'string') return usage(opts);
    const key = opts.key === null ? null : readKeyFile(opts.key);
    try {
      if (sub === 'encrypt') encrypt(opts, key!);
      else if (sub === 'decrypt') decrypt(opts, key!);
      else inspect(opts, key);
    } finally {
      key?.fill(0);
    }
    return 0;
  } catch (e) {
    if (e instanceof PfCommandError || e instanceof ProtectedFileError) {
      process.stderr.write(`gramine-ts pf: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
