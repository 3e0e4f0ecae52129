// Every syscall the table calls supported (or partially supported) is exercised by the test
// programs: they are run under `gramine-ts run --trace-syscalls`, which records every syscall
// the app makes, and the union must cover the table.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSCALL_TABLE } from '../../src/libos/syscall-table.js';
import { makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

/**
 * What trace mode cannot see: rt_sigreturn is let through by its filter (a signal frame can
 * only be unwound by the real thing); the trace is sent at exit_group, which a process ended by
 * `exit` of its only thread never calls (process.test.ts checks that one); and restart_syscall
 * resumes a call trace mode made from the stub's own text, where the filter lets everything
 * through (signals.test.ts, "goes on after a stop", makes the app's sleep restart natively).
 */
const UNTRACEABLE = new Set(['rt_sigreturn', 'exit', 'restart_syscall']);

/** The invocations of syscalls.test.ts, process.test.ts, fs.test.ts, net.test.ts, threads.test.ts, locks.test.ts and ipc.test.ts ('DIR': a fresh scratch directory). */
const RUNS: string[][] = [
  ['getpid'],
  ['efault', 'DIR'],
  ['enosys'],
  ['sys_files', 'DIR', 'main'],
  ['sys_files', 'DIR', 'cwd'],
  ['sys_files', 'DIR', 'cwd-moved'],
  ['sys_files', 'DIR', 'names'],
  ['sys_xattr', 'DIR', 'check'],
  ['sys_fds', 'DIR'],
  ['sys_mem', 'DIR'],
  ['sys_ident'],
  ['uts'],
  ['sys_signals', 'main'],
  ['sys_process', 'DIR'],
  ['fdlimit'],
  ['fdlimit', 'lowered'],
  ['args', '0'],
  ['bigwrite'],
  ['sigsuspend'],
  ['pgrp'],
  ['timers'],
  ['sig_info'],
  ['sig_restart'],
  ['sig_fd'],
  ['creds'],
  ['sig_wait'],
  ['sig_waits'],
  ['fs/fs_open', 'DIR'],
  ['fs/fs_rw', 'DIR'],
  ['fs/fs_meta', 'DIR'],
  ['fs/fs_dirs', 'DIR'],
  ['fs/fs_links', 'DIR'],
  ['fs/fs_mmap_copy', 'DIR'],
  ['net/net_inet'],
  ['net/net_unix', 'DIR'],
  ['net/net_many', 'shared'],
  ['net/net_names'],
  ['thr_basic'],
  ['thr_sync'],
  ['thr_signals'],
  ['thr_exit'],
  ['thr_sched'],
  ['locks', 'DIR'],
  ['sysv_shm', 'main'],
  ['sysv_sem'],
  ['sysv_msg'],
  ['posix_mq'],
  ['proc_misc'],
];

describe('syscall coverage of the test programs', () => {
  let dir: string;
  let traced: Set<string>;

  beforeAll(async () => {
    dir = makeTempDir();
    const traceFile = path.join(dir, 'trace.txt');
    for (const [i, [name, ...args]] of RUNS.entries()) {
      const scratch = path.join(dir, `run-${i}`);
      const argv = [program(name!), ...args.map((a) => (a === 'DIR' ? scratch : a))];
      await runNative(['/bin/mkdir', scratch]);
      if (name === 'sys_xattr') await runNative([program('sys_xattr'), scratch, 'prepare']);
      const r = await runGramine(argv, { gramineArgs: ['--trace-syscalls', traceFile], encoding: 'buffer' });
      // the programs' own results are checked elsewhere; here they only need to have run
      expect(r.stdout.length, `${name} ${args.join(' ')} printed nothing`).toBeGreaterThan(0);
    }
    traced = new Set(readFileSync(traceFile, 'utf8').split('\n').filter(Boolean));
  }, 240_000);

  afterAll(() => removeTempDir(dir));

  it('exercises every syscall marked supported or partial', () => {
    const missing = SYSCALL_TABLE.filter((e) => e.status !== 'unsupported' && !UNTRACEABLE.has(e.name) && !traced.has(e.name))
      .map((e) => `${e.name} (${e.where})`);
    expect(missing).toEqual([]);
  });
});
