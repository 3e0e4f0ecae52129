// Measurement: the identity of the code a worker runs, the analogue of an SGX MRENCLAVE.
//
// A measurement is a SHA-256 over an ordered list of labelled parts (the PAL stub binary, the
// worker's JavaScript bundle, the addon, the manifest bytes). Every part is framed with its
// label and its length, and the whole is prefixed with a domain tag and the part count, so no
// byte can move from one part (or label) to its neighbour without changing the result:
//
//   SHA-256( TAG || u32be(count) || for each part: u32be(len(label)) label u64be(len(bytes)) bytes )
//
// The leader computes the expected measurement once per instance; a worker computes its own and
// puts it in its attestation report (attestation.ts).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createHash, type Hash } from 'node:crypto';

/** Size of a measurement in bytes. */
export const MEASUREMENT_SIZE = 32;

/** One labelled input of a measurement. */
export interface MeasurementPart {
  label: string;
  bytes: Uint8Array;
}

const TAG = new TextEncoder().encode('gramine-ts measurement v1\0');
const utf8 = new TextEncoder();

function isPart(p: unknown): p is MeasurementPart {
  return (
    typeof p === 'object' &&
    p !== null &&
    !(p instanceof Uint8Array) &&
    typeof (p as MeasurementPart).label === 'string' &&
    (p as MeasurementPart).bytes instanceof Uint8Array
  );
}

/**
 * SHA-256 over labelled, length-prefixed parts. Plain `Uint8Array` parts get the empty label
 * (their position still counts). Order matters: callers that measure sets sort them first.
 */
export function computeMeasurement(parts: readonly Uint8Array[] | readonly MeasurementPart[]): Uint8Array {
  if (!Array.isArray(parts)) throw new TypeError('computeMeasurement: parts must be an array');
  return new Uint8Array(measurementHash(parts, parts.length).digest());
}

/**
 * The measurement of `first` parts followed by one more (the manifest, as measureWithManifest
 * puts it last): the first ones hashed now, so that the last costs nothing when it comes (a
 * worker hashes its code while the leader's challenge is on its way).
 */
function measurementBefore(first: readonly MeasurementPart[]): (last: MeasurementPart) => Uint8Array {
  const h = measurementHash(first, first.length + 1);
  return (last) => {
    const copy = h.copy();
    addPart(copy, last, first.length);
    return new Uint8Array(copy.digest());
  };
}

/** TAG, the part count `count`, and `parts`: the hash as it stands after them. */
function measurementHash(parts: readonly (Uint8Array | MeasurementPart)[], count: number): Hash {
  // node:crypto: the stub and all the worker code are hashed at every worker start (bulk work)
  const h = createHash('sha256');
  h.update(TAG);
  const u32 = new Uint8Array(4);
  new DataView(u32.buffer).setUint32(0, count);
  h.update(u32);
  parts.forEach((p, i) => addPart(h, p, i));
  return h;
}

function addPart(h: Hash, p: Uint8Array | MeasurementPart, i: number): void {
  let label: Uint8Array;
  let bytes: Uint8Array;
  if (p instanceof Uint8Array) {
    label = new Uint8Array(0);
    bytes = p;
  } else if (isPart(p)) {
    label = utf8.encode(p.label);
    bytes = p.bytes;
  } else {
    throw new TypeError(`computeMeasurement: part ${i} is neither a Uint8Array nor {label, bytes}`);
  }
  const u32 = new Uint8Array(4);
  const u64 = new Uint8Array(8);
  new DataView(u32.buffer).setUint32(0, label.length);
  h.update(u32);
  h.update(label);
  new DataView(u64.buffer).setBigUint64(0, BigInt(bytes.length));
  h.update(u64);
  h.update(bytes);
}

function toLabel(root: string, file: string): string {
  const rel = path.relative(root, path.resolve(file));
  if (rel === '') throw new Error(`measureFiles: ${file} is the root directory itself, not a file`);
  return rel.split(path.sep).join('/');
}

/** Longest common directory of absolute paths. */
function commonDir(files: readonly string[]): string {
  const dirs = files.map((f) => path.dirname(path.resolve(f)).split(path.sep));
  let common = dirs[0]!;
  for (const d of dirs.slice(1)) {
    let i = 0;
    while (i < common.length && i < d.length && common[i] === d[i]) i++;
    common = common.slice(0, i);
  }
  return common.join(path.sep) || path.sep;
}

function compareBytewise(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** File `file` as the part `label`. */
function filePart(label: string, file: string): MeasurementPart {
  try {
    return { label, bytes: new Uint8Array(readFileSync(file)) };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    throw new Error(`measureFiles: cannot read ${file}: ${msg}`);
  }
}

/**
 * Reads files into measurement parts labelled by their path relative to `root` ('/'
 * separators), sorted bytewise by label, so the result does not depend on the order of `paths`.
 * `root` defaults to the longest common directory of the paths. A missing file, a directory, or
 * two paths with the same label are errors.
 */
export async function fileParts(paths: readonly string[], root?: string): Promise<MeasurementPart[]> {
  if (paths.length === 0) return [];
  const base = path.resolve(root ?? commonDir(paths));
  const labelled = paths.map((p) => ({ file: path.resolve(p), label: toLabel(base, p) }));
  labelled.sort((a, b) => compareBytewise(a.label, b.label));
  for (let i = 1; i < labelled.length; i++) {
    if (labelled[i]!.label === labelled[i - 1]!.label) {
      throw new Error(`measureFiles: ${labelled[i]!.file} is listed twice`);
    }
  }
  // one file at a time: a few fds, whatever the process's RLIMIT_NOFILE (the user's, inherited);
  // read synchronously: a process measures as it starts, with nothing else to do meanwhile, and
  // a hundred small files read so take a fifth of the time they take through the thread pool
  return labelled.map(({ file, label }) => filePart(label, file));
}

/** The measurement of a set of files (see fileParts for labelling and ordering). */
export async function measureFiles(paths: readonly string[], root?: string): Promise<Uint8Array> {
  return computeMeasurement(await fileParts(paths, root));
}

/** What makes up a worker's identity. */
export interface WorkerCode {
  /** The PAL stub binary. */
  stubPath: string;
  /**
   * The worker's JavaScript: one bundle of all the code it runs (scripts/bundle.mjs), and what
   * runs it (bin/worker.cjs, bin/run-bundle.cjs).
   */
  workerPaths: readonly string[];
  /** The bundle's V8 code cache, if the build made one: code as much as the bundle is. */
  workerCachePath: string;
  /** The native PAL addon it loads. */
  addonPath: string;
  /** The manifest, byte for byte as the leader loaded it. */
  manifest: Uint8Array;
}

/** The code parts of a worker's measurement: the stub, the worker's JavaScript (and its code cache), the addon. */
export async function workerCodeParts(code: Omit<WorkerCode, 'manifest'>): Promise<MeasurementPart[]> {
  const cache = existsSync(code.workerCachePath) ? [filePart('worker-cache', code.workerCachePath)] : [];
  return [
    filePart('stub', code.stubPath), ...code.workerPaths.map((p, i) => filePart(i === 0 ? 'worker' : `worker-${i}`, p)), ...cache,
    filePart('addon', code.addonPath),
  ];
}

/** The measurement of a worker's code parts (workerCodeParts) run with `manifest`. */
export function measureWithManifest(codeParts: readonly MeasurementPart[], manifest: Uint8Array): Uint8Array {
  return measurerWithManifest(codeParts)(manifest);
}

/**
 * measureWithManifest of `codeParts`, their hashing done now, the manifest's when it comes (the
 * one way the leader and the worker both measure).
 */
export function measurerWithManifest(codeParts: readonly MeasurementPart[]): (manifest: Uint8Array) => Uint8Array {
  const withLast = measurementBefore(codeParts);
  return (manifest) => withLast({ label: 'manifest', bytes: manifest });
}

/**
 * The measurement of a worker: the stub, the worker's bundle, what runs it and its code cache,
 * and the addon (labels "stub", "worker", "worker-1", ..., "worker-cache", "addon"), and the
 * manifest (label "manifest"). Leader and worker must call this with
 * the same inputs to agree.
 */
export async function measureWorkerCode(code: WorkerCode): Promise<Uint8Array> {
  return measureWithManifest(await workerCodeParts(code), code.manifest);
}
