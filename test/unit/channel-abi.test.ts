// The stub <-> worker ABI is written twice, in C (native/stub/abi.h) and in TypeScript
// (src/pal/channel-abi.ts): this compiles abi.h with gcc, prints every GTS_ constant and the
// size and offsets of its structs, and holds the TypeScript mirror to them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import * as abi from '../../src/pal/channel-abi.js';

const root = path.resolve(__dirname, '../..');
const header = path.join(root, 'native', 'stub', 'abi.h');

/** Constants of the stub alone: where it keeps its own fds. */
const STUB_ONLY = new Set([
  'LIFELINE_SLOT', 'LOCAL_HELLO_SLOT', 'PATH_SLOT_FIRST', 'SIGNALFD_SLOTS', 'SIGNALFD_FILTER_SLOT', 'PREFETCH_CHANNEL_SLOT', 'PREFETCH_LIFELINE_SLOT',
]);

/** What the C compiler makes of abi.h: every GTS_ constant, struct sizes and offsets. */
function compiledAbi(): Map<string, number> {
  const names = [...readFileSync(header, 'utf8').matchAll(/^#define GTS_(\w+)\s/gm)].map((m) => m[1]!);
  const layout: [string, string][] = [
    ['REQUEST_SIZE', 'sizeof(struct gts_request)'],
    ...Object.entries({ kind: 'kind', hostTid: 'host_tid', nr: 'nr', args: 'args', ip: 'ip', seq: 'seq' })
      .map(([ts, c]): [string, string] => [`REQUEST_OFFSETS.${ts}`, `offsetof(struct gts_request, ${c})`]),
    ['REPLY_HEADER_SIZE', 'sizeof(struct gts_reply)'],
    ['REPLY_SEQ_OFFSET', 'offsetof(struct gts_reply, seq)'],
    ['HELLO_REPLY_SIZE', 'sizeof(struct gts_hello_reply)'],
    ['HELLO_CWD_DEV_OFFSET', 'offsetof(struct gts_hello_reply, cwd_dev)'],
    ['HELLO_CWD_PATH_LEN_OFFSET', 'offsetof(struct gts_hello_reply, cwd_path_len)'],
    ['HELLO_IDS_OFFSET', 'offsetof(struct gts_hello_reply, ids)'],
    ['HELLO_PREFETCH_OFFSET', 'offsetof(struct gts_hello_reply, prefetch_vpid)'],
    ['HELLO_UMASK_OFFSET', 'offsetof(struct gts_hello_reply, umask)'],
    ['HELLO_NOFILE_OFFSET', 'offsetof(struct gts_hello_reply, nofile_cur)'],
    ['HELLO_PPID_OFFSET', 'offsetof(struct gts_hello_reply, ppid)'],
    ['SIGNALS_REPLY_SIZE', 'sizeof(struct gts_signals_reply)'],
    ['SEM_SET_SIZE', 'sizeof(struct gts_sem_set)'],
    ...Object.entries({ lock: 'lock', seq: 'seq', removed: 'removed', gen: 'gen', waiters: 'waiters', otime: 'otime' })
      .map(([ts, c]): [string, string] => [`SEM_SET_OFFSETS.${ts}`, `offsetof(struct gts_sem_set, ${c})`]),
    ['SEM_SIZE', 'sizeof(struct gts_sem)'],
    ...Object.entries({ value: 'value', pid: 'pid', ncnt: 'ncnt', zcnt: 'zcnt' })
      .map(([ts, c]): [string, string] => [`SEM_OFFSETS.${ts}`, `offsetof(struct gts_sem, ${c})`]),
    ['SEM_REPLY_SIZE', 'sizeof(struct gts_sem_reply)'],
    ['STRACE_RESULT_SIZE', 'sizeof(struct gts_strace_result)'],
    ['PGRP_REPLY_SIZE', 'sizeof(struct gts_pgrp_reply)'],
    ['FORK_REPLY_SIZE', 'sizeof(struct gts_fork_reply)'],
  ];
  const lines = [
    ...names.map((n) => `printf("%s %ld\\n", "${n}", (long)(GTS_${n}));`),
    ...layout.map(([n, e]) => `printf("%s %ld\\n", "${n}", (long)(${e}));`),
  ];
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-abi-'));
  try {
    const src = path.join(dir, 'abi.c');
    writeFileSync(src, `#include <stddef.h>\n#include <stdio.h>\n#include "${header}"\nint main(void) {\n${lines.join('\n')}\nreturn 0;\n}\n`);
    execFileSync('gcc', ['-Wall', '-Werror', src, '-o', path.join(dir, 'abi')]);
    const out = execFileSync(path.join(dir, 'abi'), { encoding: 'utf8' });
    return new Map(out.trim().split('\n').map((l) => {
      const [k, v] = l.split(' ');
      return [k!, Number(v)];
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The TypeScript side, flattened: REQUEST_OFFSETS.seq and the like. */
function mirroredAbi(): Map<string, number> {
  const out = new Map<string, number>();
  for (const [k, v] of Object.entries(abi)) {
    if (typeof v === 'number') out.set(k, v);
    else if (k.endsWith('_OFFSETS')) for (const [f, off] of Object.entries(v)) out.set(`${k}.${f}`, off as number);
  }
  return out;
}

describe('the stub <-> worker ABI', () => {
  it('channel-abi.ts has every constant and layout of abi.h, with the same values', () => {
    const c = compiledAbi();
    const ts = mirroredAbi();
    for (const [name, value] of c) {
      if (STUB_ONLY.has(name)) continue;
      expect(ts.get(name), name).toBe(value);
    }
    // and nothing the C side does not have
    expect([...ts.keys()].filter((k) => !c.has(k))).toEqual([]);
  });
});
