// Where the installed package keeps its parts (dist/paths.js -> the package root).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = path.join(PACKAGE_ROOT, 'dist');
/**
 * What a worker runs: bin/worker.cjs, which runs dist/worker/main.js and all it imports,
 * bundled into one file by scripts/bundle.mjs (a worker starts far faster from one file than
 * from a module graph), through bin/run-bundle.cjs with the code cache made beside it. The
 * bundle sits in dist/ itself, so that PACKAGE_ROOT above is the same from it.
 */
export const WORKER_ENTRY_PATH = path.join(PACKAGE_ROOT, 'bin', 'worker.cjs');
export const WORKER_BUNDLE_PATH = path.join(DIST_DIR, 'worker-bundle.cjs');
export const WORKER_CODE_CACHE_PATH = path.join(DIST_DIR, 'worker-bundle.cache');
export const BUNDLE_LOADER_PATH = path.join(PACKAGE_ROOT, 'bin', 'run-bundle.cjs');
export const STUB_PATH = path.join(PACKAGE_ROOT, 'native', 'stub', 'build', 'gramine-ts-stub');
/** Makes a tmpfs with a size for a leader not run as root (native/launcher/sized-tmpfs.c). */
export const SIZED_TMPFS_PATH = path.join(PACKAGE_ROOT, 'native', 'launcher', 'build', 'sized-tmpfs');
export const INSTANCE_TREE_PATH = path.join(PACKAGE_ROOT, 'native', 'launcher', 'build', 'instance-tree');
export const ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node');

/** What a worker's code is, as its measurement covers it (src/tls-psk/measurement.ts). */
export const WORKER_CODE = {
  stubPath: STUB_PATH, workerPaths: [WORKER_BUNDLE_PATH, WORKER_ENTRY_PATH, BUNDLE_LOADER_PATH], workerCachePath: WORKER_CODE_CACHE_PATH,
  addonPath: ADDON_PATH,
} as const;
