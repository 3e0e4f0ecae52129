// bin/run-bundle.cjs starts a bundle with the V8 code cache made for it, and only for it: V8
// itself checks little more than the source's length, so the cache carries the bundle's hash.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

interface Bundle {
  run(): { value: number };
  saveCache(): void;
  cached: boolean;
}
const { compile } = createRequire(import.meta.url)('../../bin/run-bundle.cjs') as { compile(name: string, dist: string): Bundle };

const dist = mkdtempSync(path.join(os.tmpdir(), 'gts-cache-'));
afterAll(() => rmSync(dist, { recursive: true, force: true }));

const source = (n: number) => `function f(x) { return x * ${n}; }\nmodule.exports = { value: f(2) };\n`;

describe('a bundle\'s code cache', () => {
  it('is used when it was made for the bundle, and not for another bundle of the same length', () => {
    writeFileSync(path.join(dist, 'x-bundle.cjs'), source(3));
    const first = compile('x', dist);
    expect(first.cached).toBe(false); // none made yet
    expect(first.run().value).toBe(6);
    first.saveCache();
    const again = compile('x', dist);
    expect(again.cached).toBe(true);
    expect(again.run().value).toBe(6);
    // another bundle, as long: the cache is not its own
    writeFileSync(path.join(dist, 'x-bundle.cjs'), source(4));
    const other = compile('x', dist);
    expect(other.cached).toBe(false);
    expect(other.run().value).toBe(8);
    // a cache cut short or not a cache: compiled as usual
    writeFileSync(path.join(dist, 'x-bundle.cache'), readFileSync(path.join(dist, 'x-bundle.cache')).subarray(0, 10));
    expect(compile('x', dist).run().value).toBe(8);
  });
});
