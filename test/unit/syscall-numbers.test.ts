// The syscall numbers are written twice, in the kernel's asm/unistd_64.h (which the stub
// compiles against) and in src/libos/syscall-numbers.ts (which the worker's table uses): this
// asks gcc for every __NR_ constant of the header and holds the TypeScript side to them.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { NR, SYSCALL_NAMES } from '../../src/libos/syscall-numbers.js';

/** name -> number, as the compiler sees asm/unistd_64.h */
function headerNumbers(): Map<string, number> {
  const out = execFileSync('gcc', ['-dM', '-E', '-'], { input: '#include <asm/unistd_64.h>\n', encoding: 'utf8' });
  return new Map([...out.matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
}

describe('syscall numbers', () => {
  it('are the kernel header\'s, both ways (name -> number and number -> name)', () => {
    const header = headerNumbers();
    expect(header.size).toBeGreaterThan(300);
    for (const [name, nr] of Object.entries(NR)) expect([name, header.get(name)]).toEqual([name, nr]);
    for (const [nr, name] of Object.entries(SYSCALL_NAMES)) expect([nr, header.get(name)]).toEqual([nr, Number(nr)]);
    // every syscall the header has below the table's last one is in the table
    const last = Math.max(...Object.keys(SYSCALL_NAMES).map(Number));
    for (const [name, nr] of header) if (nr <= last) expect([name, (NR as Record<string, number>)[name]]).toEqual([name, nr]);
  });
});
