// What the app cannot do to the stub: unmap, re-protect, replace or remap its pages (its image's
// and its threads' blocks), use its fds (its channels' included), block its
// signal (the app's own disposition of SIGSYS is kept apart), or confuse its channel by writing
// into it.
import { describe, expect, it } from 'vitest';
import { program, runGramine, runNative } from '../helpers/run.js';

describe.each(['', '-static'])('the stub defends itself (%s)', (suffix) => {
  it('refuses to let its pages be unmapped, re-protected, replaced or remapped, and keeps SIGSYS', async () => {
    const native = await runNative([program(`stub_guard${suffix}`)]);
    const gramine = await runGramine([program(`stub_guard${suffix}`)]);
    // natively nothing lives at 0x5f0000000000: every call succeeds (or finds nothing mapped)
    expect(native.stdout).toContain('munmap stub: ok');
    expect(native.stdout).toContain('sigaction SIGSYS: ok');
    expect(native.stdout).toContain('reserved fds reachable: 0');
    expect(gramine.stdout).toBe(
      [
        'munmap stub: EINVAL',
        'munmap range over stub: EINVAL',
        'mprotect stub: ENOMEM',
        'madvise stub: ENOMEM',
        'mmap fixed over stub: ENOMEM',
        'mremap onto stub: EINVAL',
        'munmap thread block: EINVAL',
        'mprotect thread block: ENOMEM',
        'mmap fixed over thread block: ENOMEM',
        'sigaction SIGSYS: ok',
        'SIGSYS blocked: no',
        'reserved fds reachable: 0',
        'getppid after: 1',
        '',
      ].join('\n'),
    );
    expect(gramine.status).toBe(0);
  });

  it('keeps answering right when the app writes garbage into its channel', async () => {
    const native = await runNative([program(`channel_stray${suffix}`)]);
    const gramine = await runGramine([program(`channel_stray${suffix}`)]);
    const rest = (s: string | Buffer) => String(s).split('\n').slice(1).join('\n');
    expect(String(native.stdout)).toMatch(/^stray writes: refused\n/);
    expect(String(gramine.stdout)).toMatch(/^stray writes: accepted\n/);
    expect(rest(gramine.stdout)).toBe(rest(native.stdout));
    expect(gramine.status).toBe(0);
  });
});
