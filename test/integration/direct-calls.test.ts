// Direct calls (native/stub/patch.c): after a call the stub answers alone has trapped once, its
// site in glibc jumps to the stub without a trap. The answers must stay those of a trap, and of
// Linux: from a loop, from handlers interrupting one, with bad pointers, with SIGSEGV handled
// or blocked, in a forked child and from threads.
import { describe, expect, it } from 'vitest';
import { VARIANTS, program, runGramine, runNative } from '../helpers/run.js';

describe.each(VARIANTS)('direct calls ($name)', ({ suffix }) => {
  it('patch glibc\'s site and answer as Linux does', async () => {
    const native = await runNative([program(`direct_calls${suffix}`)]);
    const gramine = await runGramine([program(`direct_calls${suffix}`)]);
    const [nativeSite, ...nativeRest] = String(native.stdout).split('\n');
    const [gramineSite, ...gramineRest] = String(gramine.stdout).split('\n');
    expect(nativeSite).toBe('site: mov');
    expect(gramineSite).toBe('site: jmp');
    expect(gramineRest.join('\n')).toBe(nativeRest.join('\n'));
    expect(gramineRest).toContain('interrupted loop: ok, handler: ok, handler ran: yes');
    expect(gramine.status).toBe(0);
  });
});
