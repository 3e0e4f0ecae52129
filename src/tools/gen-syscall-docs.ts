// Generates docs/syscalls.md from the syscall table (`npm run docs`). A test checks that the
// committed file matches what this produces.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { PACKAGE_ROOT } from '../paths.js';
import { SYSCALL_NAMES } from '../libos/syscall-numbers.js';
import { SYSCALLS_BY_NR, type SyscallEntry } from '../libos/syscall-table.js';

const STATUS_MARK: Record<SyscallEntry['status'], string> = { supported: '☑', partial: '▣', unsupported: '☒' };
const WHERE_TEXT: Record<SyscallEntry['where'], string> = {
  native: 'host kernel (native)',
  stub: 'stub (in the app process)',
  libos: 'LibOS (worker)',
};

export function renderSyscallDocs(): string {
  const rows = Object.entries(SYSCALL_NAMES).map(([nrText, name]) => {
    const entry = SYSCALLS_BY_NR.get(Number(nrText));
    if (!entry) return `| ${nrText} | \`${name}\` | ☒ | — | ENOSYS (logged once) |`;
    return `| ${nrText} | \`${name}\` | ${STATUS_MARK[entry.status]} | ${WHERE_TEXT[entry.where]} | ${entry.note} |`;
  });
  const counts = { supported: 0, partial: 0 };
  for (const e of SYSCALLS_BY_NR.values()) if (e.status !== 'unsupported') counts[e.status]++;
  return [
    '# System calls',
    '',
    'Generated from `src/libos/syscall-table.ts` by `npm run docs`; do not edit by hand.',
    '',
    '☑ supported, ▣ partially supported (see the note), ☒ not supported (ENOSYS, logged once at',
    'level `warn`). *Where* says who answers the call: the host kernel directly (the seccomp filter',
    'lets it through), the stub inside the app process, or the LibOS in the worker.',
    '',
    `${counts.supported} supported, ${counts.partial} partially supported, of ${Object.keys(SYSCALL_NAMES).length}.`,
    'Every syscall marked ☑ or ▣ is exercised by the test suite (`test/syscall-table.test.ts`',
    'checks it with the stub\'s trace mode).',
    '',
    '| nr | name | status | where | note |',
    '|---:|---|:-:|---|---|',
    ...rows,
    '',
  ].join('\n');
}

if (process.argv[1] && import.meta.url.endsWith(path.basename(process.argv[1]))) {
  writeFileSync(path.join(PACKAGE_ROOT, 'docs', 'syscalls.md'), renderSyscallDocs());
}
