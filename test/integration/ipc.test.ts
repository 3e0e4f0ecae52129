// The instance's IPC objects: System V IPC private to the instance, kept by its leader, the
// same to the app as the host's are natively; memfds, eventfds and the parent-death signal.
import { mkdtempSync, rmSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectSameAsNative, program, runGramine, runNative, VARIANTS } from '../helpers/run.js';

describe.each(VARIANTS)('System V shared memory ($name)', ({ suffix }) => {
  it('private and keyed segments, across fork and exec, IPC_STAT, IPC_RMID while attached, errors', async () => {
    const out = await expectSameAsNative([program('sysv_shm', suffix), 'main']);
    expect(out).toContain('reader replied: hi from the reader\n');
  });
});

describe.each(VARIANTS)('System V semaphores ($name)', ({ suffix }) => {
  it('values, GETPID, ping-pong between processes, waits for zero, timeouts, EINTR, SEM_UNDO after kill -9', async () => {
    const out = await expectSameAsNative([program('sysv_sem', suffix)], { timeout: 60_000 });
    expect(out).toContain('after kill -9: 5 0 0\n');
    expect(out).toContain('semop interrupted by SIGALRM = -1 EINTR\n');
  });
});

describe.each(VARIANTS)('System V semaphores removed ($name)', ({ suffix }) => {
  it('wake their waiters with EIDRM, as Linux', async () => {
    const out = await expectSameAsNative([program('sysv_rmid', suffix)], { timeout: 30_000 });
    expect(out).toContain('waiting for a decrement: EIDRM\nwaiting for zero: EIDRM\n');
  });
});

describe('System V semaphore memory written over by the app', () => {
  it('hurts that set alone: the leader reads it clamped and takes the lock from a holder that is gone', async () => {
    const r = await runGramine([program('sem_scribble')], { timeout: 30_000 });
    expect(r.stdout).toBe([
      'semget = 1', 'semop +1 = 0', "the stub's value = 1", 'GETVAL negative = 0', 'GETVAL huge = 32767', 'GETPID = 0',
      'GETNCNT = 0', 'IPC_STAT = 0', 'otime 0', 'SETVAL over a stray lock = 0', 'GETVAL = 4', 'child = 1',
      'semop after the holder died = 0', 'SETVAL after the holder died = 0', 'GETALL = 0', 'values 3 9', 'IPC_RMID = 0', '',
    ].join('\n'));
    expect(r.status).toBe(0);
  });
});

describe.each(VARIANTS)('System V message queues ($name)', ({ suffix }) => {
  it('typed messages, receive by type, MSG_NOERROR, IPC_NOWAIT, a receiver waiting for another process, EINTR', async () => {
    const out = await expectSameAsNative([program('sysv_msg', suffix)]);
    expect(out).toContain('child received: type 7 text hello child\n');
  });
});

describe.each(VARIANTS)('POSIX message queues ($name)', ({ suffix }) => {
  it('private names, priorities, a reader in another process, attributes, mq_notify, mq_unlink', async () => {
    const out = await expectSameAsNative([program('posix_mq', suffix)]);
    expect(out).toContain('child received "high" prio 5\n');
  });
});

describe.each(VARIANTS)('mq_notify with SIGEV_SIGNAL ($name)', ({ suffix }) => {
  it('sends the signal once, with SI_MESGQ, the sender\'s pid and the value, to a sigwaitinfo or a handler', async () => {
    const out = await expectSameAsNative([program('mq_signal', suffix)]);
    expect(out).toContain('si_code SI_MESGQ 1, si_pid is the child 1, si_uid is mine 1, value 42\n');
    expect(out).toContain('handled: SI_MESGQ 1 value 7\n');
  });
});

describe.each(VARIANTS)('PR_SET_PDEATHSIG ($name)', ({ suffix }) => {
  it('is about the parent thread: its exit signals the children it forked, not the main thread\'s', async () => {
    const out = await expectSameAsNative([program('pdeath_thread', suffix)], { timeout: 30_000 });
    expect(out).toBe("the thread's child: got SIGUSR1\nthe main thread's child: nothing\n");
  });
});

describe('/proc/sysvipc', () => {
  it('shows the instance\'s segments, semaphore sets and message queues as Linux prints them', async () => {
    const script = [
      'import ctypes',
      'libc = ctypes.CDLL(None)',
      'libc.shmget(0x1234, 100, 0o1000 | 0o600); libc.semget(0x99, 3, 0o1000 | 0o644); libc.msgget(0x77, 0o1000 | 0o640)',
      'print(open("/proc/sysvipc/shm").read(), end="")',
      'print(open("/proc/sysvipc/sem").read(), end="")',
      'print(open("/proc/sysvipc/msg").read(), end="")',
    ].join('\n');
    const r = await runGramine(['/usr/bin/python3', '-c', script], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^ +key +shmid perms +size +cpid +lpid nattch +uid/);
    expect(lines[1]).toMatch(/^ +4660 +0 +600 +100 +1 +0 +0 /);
    expect(lines[2]).toMatch(/^ +key +semid perms +nsems/);
    expect(lines[3]).toMatch(/^ +153 +0 +644 +3 /);
    expect(lines[4]).toMatch(/^ +key +msqid perms +cbytes +qnum/);
    expect(lines[5]).toMatch(/^ +119 +0 +640 +0 +0 +0 +0 /);
    expect(r.status).toBe(0);
  });
});

describe('System V keys', () => {
  it('are the instance\'s: two instances using one key each have their own segment, and the host none', async () => {
    const key = String(0x5e000000 | (process.pid & 0xffffff));
    const dir = mkdtempSync(path.join(os.tmpdir(), 'gts-sysv-'));
    const ready = path.join(dir, 'ready');
    const hold = path.join(dir, 'hold');
    try {
      execFileSync('mkfifo', [ready, hold]);
      // the first instance has made its segment (it says so on `ready`) and holds it until `hold` has a byte
      const first = runGramine([program('sysv_shm'), 'excl', key, ready, hold], { encoding: 'utf8' });
      await runNative(['/bin/sh', '-c', `read x < ${ready}`]);
      const second = await runGramine([program('sysv_shm'), 'excl', key], { encoding: 'utf8' });
      const host = await runNative([program('sysv_shm'), 'probe', key], { encoding: 'utf8' });
      await runNative(['/bin/sh', '-c', `echo > ${hold}`]);
      const held = await first;
      expect(held.stdout).toBe('exclusive create = 1\n');
      expect(second.stdout).toBe('exclusive create = 1\n');
      expect(host.stdout).toBe('shmget on the host = -1 ENOENT\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe.each(VARIANTS)('memfd_create, eventfd, PR_SET_PDEATHSIG, inotify, sem_open and shm_open ($name)', ({ suffix }) => {
  it('as natively', async () => {
    const out = await expectSameAsNative([program('proc_misc', suffix)]);
    expect(out).toContain('grandchild got signal 10, code 0\n');
    expect(out).toContain('fd names: /memfd:gts-test-memfd (deleted)\n');
    expect(out).toContain('  event mask 0x100 name "created"\n');
    expect(out).toContain('shared memory says: written by the other process\n');
  });
});

describe('python3', () => {
  it('multiprocessing.shared_memory (POSIX shared memory over /dev/shm) and System V calls through ctypes', async () => {
    const script = [
      'import ctypes, ctypes.util, os, sys',
      'from multiprocessing import shared_memory, Process',
      'def child(name):',
      '    s = shared_memory.SharedMemory(name=name)',
      '    s.buf[0:5] = b"child"',
      '    s.close()',
      'if __name__ == "__main__":',
      '    shm = shared_memory.SharedMemory(create=True, size=4096)',
      '    shm.buf[0:6] = b"parent"',
      '    p = Process(target=child, args=(shm.name,)); p.start(); p.join()',
      '    print("shared_memory:", bytes(shm.buf[0:6]), p.exitcode, flush=True)  # not to the forked child too',
      '    shm.close(); shm.unlink()',
      '    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)',
      '    libc.shmat.restype = ctypes.c_void_p',
      '    key = 0x5d000000 | (os.getpid() & 0xffffff)',
      '    sid = libc.shmget(key, 4096, 0o1000 | 0o600)',
      '    addr = libc.shmat(sid, None, 0)',
      '    ctypes.memmove(addr, b"sysv via ctypes\\0", 16)',
      '    pid = os.fork()',
      '    if pid == 0:',
      '        sid2 = libc.shmget(key, 0, 0)',
      '        a2 = libc.shmat(sid2, None, 0)',
      '        print("child reads:", ctypes.string_at(a2).decode(), flush=True)',
      '        os._exit(0)',
      '    os.waitpid(pid, 0)',
      '    sem = libc.semget(0, 1, 0o1000 | 0o600)',
      '    class SB(ctypes.Structure): _fields_ = [("num", ctypes.c_ushort), ("op", ctypes.c_short), ("flg", ctypes.c_short)]',
      '    print("semop +1:", libc.semop(sem, ctypes.byref(SB(0, 1, 0)), 1), "value:", libc.semctl(sem, 0, 12))',
      '    libc.semctl(sem, 0, 0); libc.shmdt(ctypes.c_void_p(addr)); print("rmid:", libc.shmctl(sid, 0, None))',
    ].join('\n');
    const out = await expectSameAsNative(['/usr/bin/python3', '-c', script], { timeout: 60_000 });
    expect(out).toBe("shared_memory: b'childt' 0\nchild reads: sysv via ctypes\nsemop +1: 0 value: 1\nrmid: 0\n");
  });
});
