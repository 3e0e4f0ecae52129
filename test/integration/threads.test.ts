// Threads: our own C programs (dynamic, static and static-pie) and the language runtimes that
// use threads (Python, Node.js, Go) give the same output, stderr and exit status under gramine-ts
// as natively (glibc, musl and Go's own runtime each make threads their own way).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PROGRAMS_BUILD, program, runBoth, VARIANTS, type RunOptions } from '../helpers/run.js';

async function expectSame(argv: string[], opts?: RunOptions): Promise<string> {
  const { native, gramine } = await runBoth(argv, opts);
  expect(gramine.stdout).toEqual(native.stdout);
  expect(gramine.stderr).toEqual(native.stderr);
  expect(gramine.status).toBe(native.status);
  expect(native.status).toBe(0);
  return String(native.stdout);
}

describe.each(VARIANTS)('threads ($name)', ({ suffix }) => {
  it('64 threads created and joined: tids, TLS, stacks, clone and clone3, detached threads, pthread_exit, /proc/self/task', async () => {
    const out = await expectSame([program('thr_basic', suffix)]);
    expect(out).toContain('/proc/self/task: 4 threads, the main one among them: 1\n');
    expect(out).toContain('thread 2: name task-2, its stat\'s pid is its tid 1, status Pid 1 Tgid is the pid 1\n');
    expect(out).toContain('joined 64 threads, results sum = 6048\n');
    expect(out).toContain('tids distinct = 1, none is the pid = 1\n');
    expect(out).toContain('clone thread ran = 5, its tid word cleared at exit\n');
  });

  it('mutex, condition variable, barrier and rwlock stress; futex wake, requeue, bitsets and timeouts', async () => {
    const out = await expectSame([program('thr_sync', suffix)]);
    expect(out).toContain('mutex counter = 160000 (expected 160000)\n');
    expect(out).toContain('FUTEX_CMP_REQUEUE (0 woken, 2 moved) = 2\n');
    expect(out).toContain('FUTEX_WAIT timeout = -1 ETIMEDOUT\n');
  });

  it('fork from a thread (the child has that thread only, makes its own and execs), exec from a thread', async () => {
    const out = await expectSame([program('thr_fork', suffix)]);
    expect(out).toContain('forked child: tid is pid = 1, its own thread returned 42\n');
    expect(out).toContain('exec from a thread: pid is the old one = 1\n');
  });

  it('signals: to a chosen thread, to the process, a storm into 16 threads, tgkill from another process, sigwaitinfo, faults', async () => {
    const out = await expectSame([program('thr_signals', suffix)]);
    for (const line of [
      'pthread_kill(thread 5): handled by thread 5 = 1', 'kill(getpid(), SIGUSR2): handled by thread 3 = 1',
      'storm: 640 signals, each thread got its 40 = 1', 'tgkill from another process: the chosen threads got one each = 1',
      'sigwaitinfo in a thread got the process\'s SIGUSR1 from this pid = 1', 'SIGFPE handled in the faulting thread = 1',
      'SIGSEGV handled in the faulting thread = 1',
    ]) expect(out).toContain(`${line}\n`);
  });

  it('scheduling per thread: affinity, nice values, policies, I/O priorities, getcpu, membarrier', async () => {
    const out = await expectSame([program('thr_sched', suffix)]);
    expect(out).toContain('thread: getcpu says CPU 0\n');
    expect(out).toContain('main: getpriority(PRIO_PROCESS, thread) = 3\n');
    expect(out).toContain('sched_getscheduler(0) = 3\n');
  });

  it('how threads end: the main thread first, exit_group beside a blocked thread, a wait beside busy siblings; a process-shared mutex', async () => {
    const out = await expectSame([program('thr_exit', suffix)]);
    expect(out).toContain('main thread leaves first: exit status 7\n');
    expect(out).toContain('exit_group from a thread: exit status 9\n');
    expect(out).toContain('process-shared mutex: counter 40000\n');
  });
});

describe('language runtimes with threads', () => {
  it('python3: threading, ThreadPoolExecutor, multiprocessing.Pool(4), asyncio subprocesses', async () => {
    const script = [
      'import asyncio, concurrent.futures, multiprocessing, threading',
      'def square(x): return x * x',
      'if __name__ == "__main__":',
      '    got = []',
      '    lock = threading.Lock()',
      '    def work(i):',
      '        with lock: got.append(square(i))',
      '    ts = [threading.Thread(target=work, args=(i,)) for i in range(16)]',
      '    [t.start() for t in ts]; [t.join() for t in ts]',
      '    print("threading:", sorted(got))',
      '    with concurrent.futures.ThreadPoolExecutor(4) as ex: print("executor:", list(ex.map(square, range(10))))',
      '    with multiprocessing.Pool(4) as pool: print("pool:", pool.map(square, range(10)))',
      '    async def main():',
      '        p = await asyncio.create_subprocess_exec("/bin/echo", "from a subprocess", stdout=asyncio.subprocess.PIPE)',
      '        out, _ = await p.communicate()',
      '        print("asyncio:", out.decode().strip(), p.returncode)',
      '    asyncio.run(main())',
    ].join('\n');
    const out = await expectSame(['/usr/bin/python3', '-c', script], { timeout: 60_000 });
    expect(out).toContain('pool: [0, 1, 4, 9, 16, 25, 36, 49, 64, 81]\n');
    expect(out).toContain('asyncio: from a subprocess 0\n');
  });

  it('node: a worker_threads Worker and child_process.execSync', async () => {
    const script = [
      'const { Worker } = require("worker_threads");',
      'const { execSync } = require("child_process");',
      'const w = new Worker("require(\'worker_threads\').parentPort.postMessage(6 * 7)", { eval: true });',
      'w.on("message", (m) => {',
      '  console.log("worker says", m);',
      '  console.log(execSync("echo from a child").toString().trim());',
      '  w.terminate();',
      '});',
    ].join('\n');
    const out = await expectSame([process.execPath, '-e', script], { timeout: 45_000 });
    expect(out).toBe('worker says 42\nfrom a child\n');
  });

  it('musl (static): its own clone, TLS, a mutex, a signal to a chosen thread, pthread_exit', async () => {
    const out = await expectSame([path.join(PROGRAMS_BUILD, 'musl', 'thr_musl')]);
    expect(out).toBe('total 36000, thread-local values 836, main\'s 100\n'
      + 'SIGUSR1 handled by the thread it was sent to: 1; pthread_exit value 7\n');
  });

  it('go (static): goroutines, timers, preemption, a channel pipeline, os/exec', async () => {
    const out = await expectSame([path.join(PROGRAMS_BUILD, 'go', 'pipeline')], { timeout: 45_000 });
    expect(out).toContain('sum of squares: 333833500\n');
    expect(out).toContain('os/exec: "from a child\\n" <nil>\n');
  });
});
