// The bundles' V8 code cache (bin/run-bundle.cjs) is made by a run of the package's own build:
// this writes it, when that run asked for it (a no-op otherwise), once the process has run
// what a run of it compiles.
declare global {
  // set by bin/run-bundle.cjs when GRAMINE_TS_MAKE_CODE_CACHE=1
  var __gramineTsSaveCodeCache: (() => void) | undefined;
}

export function saveCodeCache(): void {
  try {
    globalThis.__gramineTsSaveCodeCache?.();
  } catch (e) {
    process.stderr.write(`gramine-ts: the code cache was not written: ${e instanceof Error ? e.message : String(e)}\n`);
  }
}
