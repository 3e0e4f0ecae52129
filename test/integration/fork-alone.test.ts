// A stub with one thread forks alone, into a standby its worker handed it ahead with the fork
// before, or with the HELLO reply (native/stub/process.c, GTS_REQ_FORKED_LOCALLY): no round trip to any Node process,
// and its worker seals the state it forked with into the child's lifeline afterwards. The
// children must be what a fork through the worker gives: the parent's state at the fork
// (not what the parent changed right after it), their exit statuses to their parent, and
// none of this across an exec. `--leader-log` says which forks the stub made alone.
import { describe, expect, it } from 'vitest';
import { makeTempDir, removeTempDir, runGramine, runNative } from '../helpers/run.js';

/** The `forked` lines of parent vpid 1 in --leader-log: whether each fork was the stub's alone. */
function forksOfFirst(stderr: string): boolean[] {
  return stderr.split('\n').flatMap((l) => {
    const m = /→ leader +FORKED parentVpid=1 vpid=\d+ .*alone=(true|false)/.exec(l);
    return m ? [m[1] === 'true'] : [];
  });
}

describe('a fork the stub makes alone', () => {
  it('is most of a shell\'s forks, its first too, and each child exits with its own status to its parent', async () => {
    // (the closing cd asks the worker, which has told the leader of every fork before it answers)
    const script = 'for i in 1 2 3 4 5 6 7 8 9 10 11 12; do (exit $i); echo $?; done; cd /';
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] });
    expect(r.stdout).toBe(native.stdout);
    expect(native.stdout).toBe('1\n2\n3\n4\n5\n6\n7\n8\n9\n10\n11\n12\n');
    expect(r.status).toBe(0);
    const alone = forksOfFirst(r.stderr);
    expect(alone).toHaveLength(12);
    // the first too: the HELLO reply handed the stub a standby, which the leader offered before
    // the process started; a reply that finds no standby ready sends the next fork to the worker
    expect(alone[0]).toBe(true);
    expect(alone.filter((a) => a).length).toBeGreaterThanOrEqual(6);
  });

  it('gives the child the state its parent forked with, not what the parent changes right after', async () => {
    // the subshell waits, then creates a file by a relative name (its worker's cwd and umask);
    // its parent changes directory and umask at once
    const run = async (gramine: boolean) => {
      const a = makeTempDir('gts-alone-a-');
      const b = makeTempDir('gts-alone-b-');
      try {
        const script = `(true); (true); (true); cd ${a}; umask 022; (sleep 0.3; : > f; umask) & cd ${b}; umask 077; wait; ls ${a}; echo --; ls ${b}; stat -c %a ${a}/f`;
        const r = gramine
          ? await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] })
          : await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
        return { ...r, alone: forksOfFirst(r.stderr) };
      } finally {
        removeTempDir(a);
        removeTempDir(b);
      }
    };
    const native = await run(false);
    const r = await run(true);
    expect(native.stdout).toBe('0022\nf\n--\n644\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    expect(r.alone.filter((a) => a).length).toBeGreaterThanOrEqual(1);
  });

  it('outlives a parent that exits right after it: the state comes from the parent\'s worker after the parent is gone', async () => {
    // the inner shell forks its background job alone (after two forks) and exits at once; its
    // parent reaps it, maybe before the inner shell's worker has told of that last fork
    // (cat ends when the last of them has written and gone: they all hold its pipe)
    const script = 'for i in 1 2 3 4 5 6; do sh -c "(true); (true); (sleep 0.2; echo alive \\$0) & exit 0" $i; done | cat';
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8' });
    expect(r.stdout.split('\n').filter((l) => l).sort()).toEqual(['alive 1', 'alive 2', 'alive 3', 'alive 4', 'alive 5', 'alive 6']);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  it('holds no standby across an exec: the new image forks as the old one did', async () => {
    const script = '(exit 1); (exit 2); echo $?; exec /bin/sh -c \'(exit 3); (exit 4); (exit 5); echo $?; cd /\'';
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] });
    expect(r.stdout).toBe('2\n5\n');
    expect(r.status).toBe(0);
    // the new image's first fork asks its worker again: its stub holds none (the stub exec'd
    // /bin/sh alone, local-exec.test.ts, and made its HELLO reply itself, with no standby)
    const alone = forksOfFirst(r.stderr);
    expect(alone).toHaveLength(5);
    expect(alone[2]).toBe(false);
  });
});
