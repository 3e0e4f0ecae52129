// The syscall table is the one source of truth: the stub's native allow list and its local
// handlers must agree with it, and docs/syscalls.md must be what the table generates.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SYSCALL_TABLE } from '../src/libos/syscall-table.js';
import { renderSyscallDocs } from '../src/tools/gen-syscall-docs.js';
import { IOCTLS_TRAPPED } from '../src/libos/sys/fs.js';

const root = path.resolve(__dirname, '..');
const read = (p: string) => readFileSync(path.join(root, p), 'utf8');
const namesWhere = (where: string) => SYSCALL_TABLE.filter((e) => e.where === where).map((e) => e.name).sort();

describe('syscall table', () => {
  it('has one line per syscall', () => {
    const names = SYSCALL_TABLE.map((e) => e.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('lists exactly the syscalls the seccomp filter lets through natively', () => {
    const src = read('native/stub/seccomp.c');
    const list = /native_syscalls\[\] = \{([\s\S]*?)\};/.exec(src)![1]!;
    const inFilter = [...list.matchAll(/__NR_(\w+)/g)].map((m) => m[1]!).sort();
    expect(inFilter).toEqual(namesWhere('native'));
  });

  it('lists exactly the syscalls the stub answers itself', () => {
    const src = read('native/stub/trap.c');
    const handle = /static long handle\(long nr[\s\S]*?\n\}\n/.exec(src)![0];
    const cases = [...handle.matchAll(/case __NR_(\w+):/g)].map((m) => m[1]!).sort();
    const fastPaths = SYSCALL_TABLE.filter((e) => e.alsoInStub).map((e) => e.name);
    expect(cases).toEqual([...namesWhere('stub'), ...fastPaths].sort());
  });

  it('sends the worker the ioctls it makes, and only those (seccomp.c ioctl_trapped)', () => {
    const src = read('native/stub/seccomp.c');
    const list = /ioctl_trapped\[\] = \{([\s\S]*?)\};/.exec(src)![1]!;
    const inFilter = [...list.matchAll(/0x[0-9a-f]+/g)].map((m) => Number(m[0])).sort();
    expect(inFilter).toEqual(Object.values(IOCTLS_TRAPPED).sort());
  });

  it('gives every libos syscall a handler', () => {
    for (const e of SYSCALL_TABLE.filter((x) => x.where === 'libos')) expect(e.handler, e.name).toBeTypeOf('function');
  });

  it('is what docs/syscalls.md says (run `npm run docs` after changing the table)', () => {
    expect(read('docs/syscalls.md')).toBe(renderSyscallDocs());
  });
});
