// Waiting for signals (sigsuspend in a C program, and the shells' `wait` built on it), and the
// process groups and sessions signals are sent to, against the same programs natively.
import { describe, expect, it } from 'vitest';
import { program, runBoth } from '../helpers/run.js';

async function expectSame(argv: string[]) {
  const { native, gramine } = await runBoth(argv);
  expect(gramine.stdout).toEqual(native.stdout);
  expect(gramine.stderr).toEqual(native.stderr);
  expect(gramine.status).toBe(native.status);
  return native;
}

describe('waiting for signals', () => {
  it.each(['', '-static'])('sigsuspend returns after the handlers of a kill and a SIGCHLD ran (%s)', async (suffix) => {
    const native = await expectSame([program(`sigsuspend${suffix}`)]);
    expect(native.stdout).toContain('usr1 handler ran: 1, chld handler ran: 1');
  });

  it("bash's wait for all jobs, and a trapped signal that interrupts it", async () => {
    const native = await expectSame([
      '/bin/bash', '-c',
      'sleep 0.2 & sleep 0.1 & wait; echo waited $?; trap "echo got USR1" USR1; (sleep 0.1; kill -USR1 $$) & wait; echo end',
    ]);
    expect(native.stdout).toBe('waited 0\ngot USR1\nend\n');
  });
});

describe('job control', () => {
  it.each(['', '-static'])('a child stopped, continued and killed: WUNTRACED, WCONTINUED, SIGCHLDs with the child\'s pid, rusage, SA_NOCLDWAIT (%s)', async (suffix) => {
    const native = await expectSame([program(`wait_states${suffix}`)]);
    expect(native.stdout).toBe(
      'waitpid(WUNTRACED) after SIGSTOP: the child yes, stopped by 19\n' +
        'waitpid(WCONTINUED) after SIGCONT: the child yes, continued\n' +
        'waitpid after SIGTERM: the child yes, killed by 15\n' +
        'SIGCHLD 0: CLD_STOPPED, si_pid is the child yes\n' +
        'SIGCHLD 1: CLD_CONTINUED, si_pid is the child yes\n' +
        'SIGCHLD 2: CLD_KILLED, si_pid is the child yes\n' +
        'wait4 with rusage: the child yes, CPU time at least 150 ms: yes\n' +
        'wait with SA_NOCLDWAIT = -1 ECHILD\n' +
        'done\n',
    );
  });

  it('kill -STOP and kill -CONT of a background job: bash sees it stopped, then running (WUNTRACED, WCONTINUED)', async () => {
    // the sleeps give bash time to notice the stop and the continue, natively as here
    const native = await expectSame([
      '/bin/bash', '-c',
      'set -m; sleep 5 & p=$!; kill -STOP $p; sleep 0.5; jobs -l | sed "s/$p/PID/" | tr -s " "; ' +
        'kill -CONT $p; sleep 0.5; jobs -l | sed "s/$p/PID/" | tr -s " "; kill $p; wait $p; echo "status $?"',
    ]);
    expect(native.stdout).toBe('[1]+ PID Stopped (signal) sleep 5\n[1]+ PID Running sleep 5 &\nstatus 143\n');
  });
});

describe('process groups and sessions', () => {
  it.each(['', '-static'])('setpgid, getpgid, getsid and setsid across processes (%s)', async (suffix) => {
    const native = await expectSame([program(`pgrp${suffix}`)]);
    expect(native.stdout).toContain('setpgid(child, child): ok');
  });
});

describe("the process's own timers", () => {
  it.each(['', '-static'])('alarm, itimers with pause, a POSIX timer with sigtimedwait, a timerfd, sigpending (%s)', async (suffix) => {
    const native = await expectSame([program(`timers${suffix}`)]);
    expect(native.stdout).toContain('pause = -1 EINTR, handler ran 1');
    expect(native.stdout).toContain('expirations >= 1: 1');
  });

  it('timeout(1) kills a command that runs too long: status 124', async () => {
    const { native, gramine } = await runBoth(['/usr/bin/timeout', '0.3', '/bin/sleep', '5']);
    expect(native.status).toBe(124);
    expect(gramine.status).toBe(124);
  });
});
