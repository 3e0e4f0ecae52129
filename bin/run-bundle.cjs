// Runs one of the bundles scripts/bundle.mjs makes (dist/NAME-bundle.cjs: the leader's CLI, a
// worker), compiled with the V8 code cache made beside it when the package was built
// (dist/NAME-bundle.cache), if it is this bundle's and V8 takes it: the bundle then starts
// without compiling the code its start runs (a worker's boot is on the path of an instance's
// start and of a fork that finds no free worker). Without one, or with one V8 refuses (another
// Node), it compiles as usual. A cache begins with the sha-256 of the bundle it was made from
// (V8 checks little more than the source's length); a worker's measurement covers the cache
// and this file (src/tls-psk/measurement.ts).
//
// With GRAMINE_TS_MAKE_CODE_CACHE=1 (scripts/bundle.mjs, once, after bundling) the cache is
// written once the process has run what a run compiles (src/code-cache.ts), and at its exit.
'use strict';
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const vm = require('node:vm');
const { Module, createRequire } = require('node:module');

const HASH_BYTES = 32;

/** Bundle NAME of directory `dist`, compiled: `cached` says whether with its code cache. */
function compile(name, dist = path.join(__dirname, '..', 'dist')) {
  const file = path.join(dist, `${name}-bundle.cjs`);
  const cacheFile = path.join(dist, `${name}-bundle.cache`);
  const source = fs.readFileSync(file, 'utf8');
  const hash = crypto.createHash('sha256').update(source).digest();
  let cachedData;
  try {
    const cache = fs.readFileSync(cacheFile);
    if (cache.length > HASH_BYTES && hash.equals(cache.subarray(0, HASH_BYTES))) cachedData = cache.subarray(HASH_BYTES);
  } catch {
    cachedData = undefined; // none made (a build without one): compiled as usual
  }
  const script = new vm.Script(Module.wrap(source), { filename: file, cachedData });
  /** Write the cache of what has been compiled so far. */
  const saveCache = () => {
    const tmp = `${cacheFile}.${process.pid}`;
    fs.writeFileSync(tmp, Buffer.concat([hash, script.createCachedData()]), { mode: 0o644 }); // (a worker runs with umask 0)
    fs.renameSync(tmp, cacheFile);
  };
  const run = () => {
    const module = { exports: {}, filename: file, id: file };
    script.runInThisContext()(module.exports, createRequire(file), module, file, path.dirname(file));
    return module.exports;
  };
  return { run, saveCache, cached: cachedData !== undefined && !script.cachedDataRejected };
}

function run(name) {
  const bundle = compile(name);
  if (process.env.GRAMINE_TS_MAKE_CODE_CACHE === '1') {
    globalThis.__gramineTsSaveCodeCache = bundle.saveCache;
    process.on('exit', bundle.saveCache);
  }
  bundle.run();
}

module.exports = { run, compile };
