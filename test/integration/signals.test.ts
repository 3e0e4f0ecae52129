// Waiting for signals (sigsuspend in a C program, and the shells' `wait` built on it), and the
// process groups and sessions signals are sent to, against the same programs natively.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectSameAsNative, GRAMINE_TS, makeTempDir, program, removeTempDir, runBoth, runGramine, runNative } from '../helpers/run.js';

async function expectSame(argv: string[], timeout?: number) {
  const { native, gramine } = await runBoth(argv, timeout ? { timeout } : undefined);
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

describe('SIGSEGV and SIGBUS, and bad pointers', () => {
  // the stub reads app memory with plain loads while the app leaves both at their default, and
  // turns a fault there into EFAULT; the app's own faults and these signals stay the app's
  it.each(['', '-static'])('EFAULT whatever the app does with them; its faults and sent signals act as natively (%s)', async (suffix) => {
    const out = await expectSameAsNative([program(`fault_signals${suffix}`)]);
    expect(out).toContain('blocked: open(path into PROT_NONE) = -1 EFAULT\n');
    expect(out).toContain('child dereferences a bad pointer = killed by SEGV\n');
    expect(out).toContain('after exec: raise(SIGSEGV) ignored\n');
  });
});

describe('F_SETOWN and F_GETOWN', () => {
  it.each(['', '-static'])('name the process and thread by the ids the program knows; SIGIO comes with the fd (%s)', async (suffix) => {
    const out = await expectSameAsNative([program(`sigio_owner${suffix}`)]);
    expect(out).toContain('F_GETOWN == getpid(): yes\n');
    expect(out).toContain('owner tid: SIGIO, si_code 1, si_fd is the socket: yes\n');
  });
});

describe('a SIGCHLD for a child already reaped', () => {
  it.each(['', '-static'])('names the child still, and nothing hangs: its handler reaped both children of the round (%s)', async (suffix) => {
    // 600 processes: each fork may wait for a worker to boot when the machine is busy (issue 15)
    const native = await expectSame([program(`sig_reaped${suffix}`)], 90_000);
    expect(native.stdout).toBe('rounds 300, children reaped in the handler, SIGCHLDs naming someone else: 0\nat least one SIGCHLD per round: yes\n');
  }, 120_000);
});

describe('a SIGCHLD handler with a siginfo, under a flood of signals from another process', () => {
  it.each(['', '-static'])('each of 300 children is named right, and nothing hangs (the doorbell rings while the SIGCHLD is made ready) (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_nested${suffix}`)], 90_000);
    expect(native.stdout).toBe('children reaped 300, SIGCHLDs handled, naming another process 0, another uid 0, SIGUSR1 seen: yes\n');
  }, 120_000);
});

describe('a signal from another process interrupts a blocking call as on Linux', () => {
  it.each(['', '-static'])('EINTR without SA_RESTART, restarted with it (pipe read, wait4), a sleep ends with the time left, or goes on after a stop (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_restart${suffix}`)]);
    expect(native.stdout).toContain('no SA_RESTART: read = -1 (EINTR), handler ran 1');
    expect(native.stdout).toContain('SA_RESTART: wait4 = the child (ok), handler ran 1');
    expect(native.stdout).toContain('stopped and continued: nanosleep = ok, slept its time: yes');
  });
});

describe('an open of a FIFO that waits for its other end', () => {
  it.each(['', '-static'])('ends with EINTR for a handler without SA_RESTART, goes on for one with it and for a blocked or ignored signal; given up, wakes no other opener (%s)', async (suffix) => {
    const dirs = [makeTempDir('gts-fifo-n-'), makeTempDir('gts-fifo-g-')];
    try {
      const [native, gramine] = await Promise.all([
        runNative([program(`fifo_eintr${suffix}`), dirs[0]!]), runGramine([program(`fifo_eintr${suffix}`), dirs[1]!]),
      ]);
      expect(gramine.stdout).toEqual(native.stdout);
      expect(gramine.status).toBe(0);
      expect(native.stdout).toContain("own timer, no SA_RESTART: -1 EINTR, handlers run: 1\nanother's signal, no SA_RESTART: -1 EINTR, handlers run: 1\n");
      expect(native.stdout).toContain("another's signal, SA_RESTART: opened, read 1 'w', handlers run: 1\n");
      expect(native.stdout).toContain('made again: opened');
      // an open given up wakes no other opener (the worker's undo did, by opening the other end)
      expect(native.stdout).toContain("given up beside another opener: -1 EINTR, handlers run: 1\nthe other opener still waits for a writer: yes\nthe other opener: read 1 'w'\n");
    } finally {
      for (const d of dirs) removeTempDir(d);
    }
  });

  it('gives the app an fd the worker no longer holds: the writer\'s close is the last, its reader sees end-of-file at once', async () => {
    // (the worker's copy of what it handed over, closed after the app's close, made about a
    // third of these rounds see EAGAIN under load, and a reader open after it not wait)
    const dirs = [makeTempDir('gts-fifo-n-'), makeTempDir('gts-fifo-g-')];
    try {
      const [native, gramine] = await Promise.all([
        runNative([program('fifo_last_close'), dirs[0]!, '200']), runGramine([program('fifo_last_close'), dirs[1]!, '200']),
      ]);
      expect(native.stdout).toBe('rounds 200: end-of-file after the writer\'s close 200, a writer still there 0, other 0\n');
      expect(gramine.stdout).toEqual(native.stdout);
      expect(gramine.status).toBe(0);
    } finally {
      for (const d of dirs) removeTempDir(d);
    }
  });
});

describe('a signal from another process and the waits a signal ends', () => {
  it.each(['', '-static'])('pause, sigsuspend, poll, select and epoll waits go on for a blocked or ignored one, end for a handler, wait with their own masks (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_waits${suffix}`)]);
    expect(native.stdout).toContain('epoll_wait ignored: 1, SIGUSR1 handled 0');
    expect(native.stdout).toContain('ppoll blocks: 1, SIGUSR1 handled 1 (after)');
    expect(native.stdout).toContain('pselect unblocks: -1 EINTR, SIGUSR1 handled 1 (in the call)');
  });
});

describe('a flood of signals from another process', () => {
  it.each(['', '-static'])('3000 signals while the process waits and asks its worker: it survives, and sees only EINTR (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_flood${suffix}`)]);
    expect(native.stdout).toBe('done: SIGUSR1 handled: yes, errors other than EINTR: 0\n');
  });
});

describe('siginfo of a signal from another process', () => {
  it.each(['', '-static'])('kill, sigqueue with a value, rt_tgsigqueueinfo; kernel codes refused to others (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_info${suffix}`)]);
    expect(native.stdout).toContain('sigqueue: signo User defined signal 2, code SI_QUEUE, from the child, uid ours, value 42');
    expect(native.stdout).toContain('child: rt_sigqueueinfo(parent, SI_USER) = EPERM');
  });
});

describe('credentials', () => {
  it.each(['', '-static'])("the set*id rules, and kill's permission check between users (%s)", async (suffix) => {
    const native = await expectSame([program(`creds${suffix}`)]);
    // run as root (as CI is): a child that drops to uid 1000 may no longer signal its parent
    expect(native.stdout).toContain('kill(root parent, SIGUSR1) = EPERM');
  });
});

describe('synchronous signals', () => {
  it.each(['', '-static'])('SIGSEGV, SIGFPE, SIGILL and SIGPIPE handlers get the kernel siginfo, and the program goes on (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_sync${suffix}`)]);
    expect(native.stdout).toContain('SIGSEGV: code SEGV_MAPERR, address 0x8');
    expect(native.stdout).toContain('SIGFPE: code FPE_INTDIV');
    expect(native.stdout).toContain('SIGPIPE: write = -1 (EPIPE), handler saw SIGPIPE, code SI_USER, from itself, uid ours');
  });
});

describe('sigwaitinfo and sigtimedwait', () => {
  it.each(['', '-static'])("a signal from another process and a child's SIGCHLD with its vpid; timeout; EINTR for a handler (%s)", async (suffix) => {
    const native = await expectSame([program(`sig_wait${suffix}`)]);
    expect(native.stdout).toContain('sigtimedwait: Child exited, code CLD_EXITED, from the child, status 5');
  });
});

describe('signalfd', () => {
  it.each(['', '-static'])('reads the signals another process sent and a child\'s SIGCHLD, with sender, value and status (%s)', async (suffix) => {
    const native = await expectSame([program(`sig_fd${suffix}`)]);
    expect(native.stdout).toContain('Terminated: code -1, from the child, uid ours, value 5, status 0');
    expect(native.stdout).toContain('Child exited: code 1, from the child, uid ours, value 0, status 3');
    expect(native.stdout).toContain('Continued: code 0, from the child, uid ours, value 0, status 0');
  });
});

describe('job control', () => {
  it.each(['', '-static'])('a child stopped, continued and killed: WUNTRACED, WCONTINUED (also waiting for the group), SIGCHLDs with the child\'s pid, rusage, SA_NOCLDWAIT (%s)', async (suffix) => {
    const native = await expectSame([program(`wait_states${suffix}`)]);
    expect(native.stdout).toBe(
      'waitpid(WUNTRACED) after SIGSTOP: the child yes, stopped by 19\n' +
        'waitpid(WCONTINUED) after SIGCONT: the child yes, continued\n' +
        'waitpid after SIGTERM: the child yes, killed by 15\n' +
        'SIGCHLD 0: CLD_STOPPED, si_pid is the child yes\n' +
        'SIGCHLD 1: CLD_CONTINUED, si_pid is the child yes\n' +
        'SIGCHLD 2: CLD_KILLED, si_pid is the child yes\n' +
        'waitpid(0, WUNTRACED) as a member stops: the child yes, stopped by 19\n' +
        'waitpid(0, WCONTINUED) after SIGCONT: the child yes, continued\n' +
        'waitpid(0) after SIGTERM: the child yes, killed by 15\n' +
        'waitpid(0, WUNTRACED) with SA_NOCLDSTOP: the child yes, stopped by 19\n' +
        'waitpid(0) after SIGKILL: the child yes, killed by 9\n' +
        'SIGCHLDs with SA_NOCLDSTOP: 1, the kill only\n' +
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

describe('setpgid of a child', () => {
  it.each(['', '-static'])("works before it execs, is EACCES after, as Linux (%s)", async (suffix) => {
    const native = await expectSame([program(`pgrp_exec${suffix}`)]);
    expect(native.stdout).toContain("setpgid(child, child) after it exec'd = EACCES");
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

/**
 * Run `gramine-ts run ARGS` and, once the app has printed "ready", send the leader `signals`
 * in turn; its whole output and how it ended.
 */
function runAndSignal(args: string[], signals: NodeJS.Signals[]): Promise<{ stdout: string; status: number | null; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [GRAMINE_TS, 'run', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    let sent = false;
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`no exit: ${stdout}`));
    }, 20_000);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      if (!sent && stdout.includes('ready\n')) {
        sent = true;
        for (const s of signals) child.kill(s);
      }
    });
    child.on('exit', (status, signal) => {
      clearTimeout(timer);
      resolve({ stdout, status, signal });
    });
  });
}

describe('host signals to gramine-ts run', () => {
  it('SIGTERM ends the instance cleanly: status 143, nothing of it left running', async () => {
    const r = await runAndSignal(['/bin/sh', '-c', 'echo ready; sleep 30 & wait'], ['SIGTERM']);
    expect(r.stdout).toBe('ready\n');
    expect(r.status).toBe(143);
    const left = await runNative(['/usr/bin/pgrep', '-f', 'gramine-ts-stub.*sleep 30']);
    expect(left.stdout).toBe('');
  });

  it('with sys.enable_sigterm_injection, the first SIGTERM goes to vpid 1; SIGHUP, SIGUSR1 are ignored', async () => {
    const dir = makeTempDir();
    try {
      const manifest = path.join(dir, 'inject.manifest.toml');
      writeFileSync(manifest, [
        'libos.entrypoint = "/bin/sh"', 'loader.insecure__use_cmdline_argv = true', 'loader.env.PATH = "/usr/bin:/bin"',
        'fs.root.uri = "file:/"', 'sys.enable_sigterm_injection = true', 'sgx.file_check_policy = "allow_all_but_log"',
      ].join('\n'));
      const script = 'trap "echo got TERM; exit 3" TERM; echo ready; while :; do sleep 0.05; done';
      // were SIGHUP or SIGUSR1 not ignored, the leader would die of it before the SIGTERM
      const r = await runAndSignal([manifest, '-c', script], ['SIGHUP', 'SIGUSR1', 'SIGTERM']);
      expect(r.stdout).toBe('ready\ngot TERM\n');
      expect(r.status).toBe(3);
    } finally {
      removeTempDir(dir);
    }
  });
});
