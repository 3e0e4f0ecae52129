// Where the installed package keeps its parts (dist/paths.js -> the package root).
import { fileURLToPath } from 'node:url';
import path from 'node:path';

export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const DIST_DIR = path.join(PACKAGE_ROOT, 'dist');
/**
 * What a worker runs: dist/worker/main.js and all it imports, bundled into one file by
 * scripts/bundle.mjs (a worker starts far faster from one file than from a module graph).
 * It sits in dist/ itself, so that PACKAGE_ROOT above is the same from it.
 */
export const WORKER_PATH = path.join(DIST_DIR, 'worker-bundle.js');
export const STUB_PATH = path.join(PACKAGE_ROOT, 'native', 'stub', 'build', 'gramine-ts-stub');
/** Makes a tmpfs with a size for a leader not run as root (native/launcher/sized-tmpfs.c). */
export const SIZED_TMPFS_PATH = path.join(PACKAGE_ROOT, 'native', 'launcher', 'build', 'sized-tmpfs');
export const INSTANCE_TREE_PATH = path.join(PACKAGE_ROOT, 'native', 'launcher', 'build', 'instance-tree');
export const ADDON_PATH = path.join(PACKAGE_ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node');
