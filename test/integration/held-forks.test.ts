// A held child (forked, and asking nothing yet) that forks has the leader grant it
// (src/leader/held-child.ts): no worker is found for it, and the grandchild is held with the
// state its parent was forked with. A shell's subshell running a pipeline, `$(a | b)`, needs no
// worker at all then. The grandchild must start from that state, and a held child that asks
// something later gets a worker that knows the children the leader forked for it.
// `--leader-log` says which forks the leader granted (`by=leader`) and which children were
// handed to a worker (ADOPT).
import { describe, expect, it } from 'vitest';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

/** The forks the leader granted in --leader-log: [parent vpid, child vpid]. */
function leaderForks(stderr: string): [number, number][] {
  return stderr.split('\n').flatMap((l) => {
    const m = /→ leader +FORKED parentVpid=(\d+) vpid=(\d+) .*alone=false by=leader$/.exec(l);
    return m ? [[Number(m[1]), Number(m[2])] as [number, number]] : [];
  });
}

/** The children handed to a worker in --leader-log, with the children the leader forked for each. */
function adoptions(stderr: string): { vpid: number; children: string }[] {
  return stderr.split('\n').flatMap((l) => {
    const m = /leader → vm\d+ +ADOPT vpid=(\d+) .* children=(\[[^\]]*\])/.exec(l);
    return m ? [{ vpid: Number(m[1]), children: m[2]! }] : [];
  });
}

describe('a held child that forks', () => {
  it('runs a command substitution\'s pipeline with no worker: the leader grants both forks', async () => {
    // (the closing cd asks the first worker: every fork of the script is told by then)
    const script = 'x=$(echo abc | tr a-c x-z); echo "$x"; y=$(echo 1 | (read n; echo $((n + 1)))); echo "$y"; cd /';
    const native = await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
    const r = await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] });
    expect(native.stdout).toBe('xyz\n2\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    // each substitution's subshell forks its pipeline's two commands
    const forks = leaderForks(r.stderr);
    expect(forks).toHaveLength(4);
    expect(new Set(forks.map(([parent]) => parent)).size).toBe(2);
    expect(adoptions(r.stderr)).toEqual([]);
  });

  it('gives the grandchild the state its parent was forked with: cwd, umask, ids', async () => {
    const run = async (gramine: boolean) => {
      const dir = makeTempDir('gts-held-');
      try {
        // the outer subshell is held and forks the pipeline; its first command asks umask and
        // getcwd (a worker then, starting from the state the leader sealed), and forks pwd
        const script = `cd ${dir}; umask 027; ( (umask; /bin/pwd; id -u; : > f) | cat ); stat -c %a f`;
        const r = gramine
          ? await runGramine(['/bin/sh', '-c', script], { encoding: 'utf8', gramineArgs: ['--leader-log'] })
          : await runNative(['/bin/sh', '-c', script], { encoding: 'utf8' });
        return { ...r, dir };
      } finally {
        removeTempDir(dir);
      }
    };
    const native = await run(false);
    const r = await run(true);
    expect(native.stdout).toBe(`0027\n${native.dir}\n${process.getuid!()}\n640\n`);
    expect(r.stdout).toBe(native.stdout.replace(native.dir, r.dir));
    expect(r.status).toBe(0);
    expect(leaderForks(r.stderr).length).toBeGreaterThanOrEqual(2);
  });

  it('hands a child that asks later to a worker that knows the grandchild: waitid, getpgrp, a second fork', async () => {
    const native = await runNative([program('held_fork')], { encoding: 'utf8' });
    const r = await runGramine([program('held_fork')], { encoding: 'utf8', gramineArgs: ['--leader-log'] });
    expect(native.stdout).toBe([
      'a grandchild: yes', 'getppid is the parent: yes', 'getpgrp is the parent\'s: yes', 'waitid: pid the grandchild\'s, code CLD_EXITED, status 7, uid ours',
      'second grandchild: reaped, status 3', 'child: status 0', 'done', '',
    ].join('\n'));
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    // the grandchild was the leader's grant; the child, adopted at its getpgrp, was told of it
    const forks = leaderForks(r.stderr);
    expect(forks).toHaveLength(1);
    const [parent, grandchild] = forks[0]!;
    const adopted = adoptions(r.stderr).find((a) => a.vpid === parent);
    expect(adopted?.children).toMatch(new RegExp(`^\\[\\{vpid=${grandchild} hostPid=[1-9]\\d*\\}\\]$`));
  });

  it('that exec\'d alone first: the grandchild\'s worker and the child\'s know what each runs (/proc/self/exe)', async () => {
    // the first process (static) forks a child that execs the dynamic build, which forks: the
    // leader holds both, and their workers, found at their readlink, learn the exec from it
    const argv = [program('held_exec-static'), program('held_exec')];
    const native = await runNative(argv, { encoding: 'utf8' });
    const r = await runGramine(argv, { encoding: 'utf8', gramineArgs: ['--leader-log'] });
    expect(native.stdout).toBe('grandchild runs held_exec\ngrandchild: status 5\nchild runs held_exec\nchild: status 0\ndone\n');
    expect(r.stdout).toBe(native.stdout);
    expect(r.status).toBe(0);
    const forks = leaderForks(r.stderr);
    expect(forks).toHaveLength(1);
    // each handed over with the exec: the child's own, the grandchild's its parent's
    const [child, grandchild] = forks[0]!;
    const execed = (vpid: number) => new RegExp(`leader → vm\\d+ +ADOPT vpid=${vpid} .* execed=\\{addr=\\d+ len=\\d+ hostTid=\\d+ own=(true|false)\\}`).exec(r.stderr)?.[1];
    expect(execed(child)).toBe('true');
    expect(execed(grandchild)).toBe('false');
  });

  it('asks nothing of a worker for what its stub answers: RLIMIT_NOFILE (across the stub\'s exec too), a setresuid that changes nothing', async () => {
    // make's child calls setresuid(-1, euid, -1) and setresgid before it runs each recipe
    // line; the shell it execs and its `ulimit -n` (a get: the HELLO reply's) need no worker
    const dir = makeTempDir('gts-held-make-');
    chmodSync(dir, 0o755); // (a root instance's app identity searches it: a shell stats its working directory)
    try {
      writeFileSync(path.join(dir, 'Makefile'), 'all:\n\t@ulimit -n; echo built\n\t@sh -c "ulimit -n; ulimit -n 64; ulimit -n"\n');
      const argv = ['/usr/bin/make', '-s', '-C', dir];
      const native = await runNative(argv, { encoding: 'utf8' });
      const r = await runGramine(argv, { encoding: 'utf8', gramineArgs: ['--leader-log'] });
      const soft = native.stdout.split('\n')[0];
      expect(native.stdout).toBe(`${soft}\nbuilt\n${soft}\n64\n`);
      // (the instance's is at most what the stub's reserved fds leave: 3560, README)
      const mine = String(Math.min(Number(soft), 3560));
      expect(r.stdout).toBe(`${mine}\nbuilt\n${mine}\n64\n`);
      expect(r.status).toBe(0);
      // the first recipe's child asked no worker anything; the second's set (ulimit -n 64) did
      const adopted = [...r.stderr.matchAll(/leader → vm\d+ +ADOPT vpid=(\d+) /g)].map((m) => Number(m[1]));
      expect(adopted).toHaveLength(1);
    } finally {
      removeTempDir(dir);
    }
  });
});
