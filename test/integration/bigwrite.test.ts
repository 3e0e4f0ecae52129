// Large output through a pipe: 64 MiB in large writes, byte for byte what the native run gives.
import { describe, expect, it } from 'vitest';
import { program, runBoth, sha256, VARIANTS } from '../helpers/run.js';

describe.each(VARIANTS)('64 MiB to stdout ($name)', ({ suffix }) => {
  it('same length and sha256 as natively', async () => {
    const { native, gramine } = await runBoth([program('bigwrite', suffix)], { encoding: 'buffer', timeout: 60_000 });
    expect(native.status).toBe(0);
    expect(native.stdout.length).toBe(64 << 20);
    expect(gramine.stderr.toString()).toBe('');
    expect(gramine.status).toBe(0);
    expect(gramine.stdout.length).toBe(native.stdout.length);
    expect(sha256(gramine.stdout)).toBe(sha256(native.stdout));
  });
});
