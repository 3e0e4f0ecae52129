// No host process of an instance survives its leader or its worker (DESIGN §8): kill -9 either
// one and every process of the instance is gone; a dead worker is reported as SIGKILL.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { children, waitGone } from '../helpers/processes.js';
import { makeTempDir, program, removeTempDir, runGramine } from '../helpers/run.js';

const CLI = path.resolve(__dirname, '../../bin/gramine-ts.js');

/** Start an instance whose app waits on stdin; resolve once it is running. */
async function startInstance(): Promise<{ leader: ChildProcessWithoutNullStreams; worker: number; app: number }> {
  const leader = spawn(process.execPath, [CLI, 'run', '/bin/sh', '-c', 'echo ready; read line; echo never']);
  await new Promise<void>((resolve, reject) => {
    leader.stdout.once('data', (d: Buffer) => (d.toString() === 'ready\n' ? resolve() : reject(new Error(d.toString()))));
    leader.once('exit', () => reject(new Error('instance ended early')));
  });
  const [worker] = children(leader.pid!);
  const [app] = children(worker!);
  expect(worker).toBeGreaterThan(0);
  expect(app).toBeGreaterThan(0);
  expect(readFileSync(`/proc/${app}/cmdline`, 'utf8')).toBe('/bin/sh\0-c\0echo ready; read line; echo never\0');
  return { leader, worker: worker!, app: app! };
}

describe('instance lifecycle', () => {
  it('kill -9 of the leader leaves no process of the instance', async () => {
    const { leader, worker, app } = await startInstance();
    leader.kill('SIGKILL');
    expect(waitGone(worker, 10_000)).toBe(true);
    expect(waitGone(app, 10_000)).toBe(true);
  });

  it('a worker killed with -9 takes its app with it, and the instance reports SIGKILL', async () => {
    const { leader, worker, app } = await startInstance();
    const status = new Promise<number | null>((resolve) => leader.once('exit', (code) => resolve(code)));
    process.kill(worker, 'SIGKILL');
    expect(await status).toBe(128 + 9);
    expect(waitGone(app, 10_000)).toBe(true);
  });
});

describe('a program that cannot start', () => {
  // the message names the cause and what to do; the status is the shell's (127 not found, 126 not runnable)
  const dir = makeTempDir();
  afterAll(() => removeTempDir(dir));
  const file = (name: string, bytes: string | Buffer) => {
    const p = path.join(dir, name);
    writeFileSync(p, bytes, { mode: 0o755 });
    return p;
  };

  it('a #! interpreter that is not there, an ELF of another architecture, a missing ELF interpreter, a path outside the mounts', async () => {
    const script = file('script', '#!/nonexistent/interp\necho hi\n');
    const r1 = await runGramine([script]);
    expect(r1.stderr).toBe(`gramine-ts: cannot execute ${script}: ENOENT: its #! interpreter /nonexistent/interp cannot be run in the instance (ENOENT: lookup /nonexistent)\n`);
    expect(r1.status).toBe(127);

    const elfHeader = Buffer.alloc(64);
    elfHeader.write('\x7fELF\x02\x01\x01', 0, 'latin1');
    elfHeader.writeUInt16LE(2, 16); // ET_EXEC
    elfHeader.writeUInt16LE(183, 18); // EM_AARCH64
    const arm = file('arm', elfHeader);
    const r2 = await runGramine([arm]);
    expect(r2.stderr).toBe(`gramine-ts: cannot execute ${arm}: ENOEXEC: not an x86-64 ELF64 executable (ARM aarch64)\n`);
    expect(r2.status).toBe(126);

    // a copy of a dynamic program whose PT_INTERP names a file no one has (same length: patched in place)
    const elf = readFileSync(program('getpid'));
    const at = elf.indexOf('/lib64/ld-linux-x86-64.so.2');
    expect(at).toBeGreaterThan(0);
    elf.write('/lib64/ld-missing-x86-64.so', at, 'latin1');
    const dyn = file('dyn', elf);
    const r3 = await runGramine([dyn]);
    expect(r3.stderr).toBe(`gramine-ts: cannot execute ${dyn}: ENOENT: the program's ELF interpreter /lib64/ld-missing-x86-64.so is not in ` +
      'the instance, nor ld-missing-x86-64.so in /lib, /lib64 (the C runtime must be mounted: at /lib, or where LD_LIBRARY_PATH says)\n');
    expect(r3.status).toBe(127);

    const root = path.join(dir, 'root');
    mkdirSync(root);
    const manifest = file('m.manifest.toml', `libos.entrypoint = "/usr/bin/true"\nfs.root.uri = "file:${root}"\n`);
    const r4 = await runGramine([manifest]);
    expect(r4.stderr).toBe('gramine-ts: cannot execute /usr/bin/true: ENOENT: not found in the instance\'s file tree ' +
      '(without a manifest: the host\'s; with one: its fs.root and fs.mounts): ENOENT: lookup /usr\n');
    expect(r4.status).toBe(127);
  });

  it('a trusted program modified since the manifest was signed', async () => {
    const prog = file('prog', readFileSync(program('getpid', '-static')));
    const manifest = file('t.manifest.toml', `libos.entrypoint = "${prog}"\nfs.root.uri = "file:/"\nsgx.trusted_files = ["file:${prog}"]\n`);
    execFileSync(process.execPath, [CLI, 'sign', manifest], { stdio: 'ignore' });
    writeFileSync(prog, Buffer.concat([readFileSync(prog), Buffer.from('x')]));
    const r = await runGramine([manifest]);
    expect(r.stderr).toContain(`gramine-ts: cannot execute ${prog}: EACCES: trusted file ${prog} was modified (sign the manifest again if the change is wanted)\n`);
    expect(r.status).toBe(126);
  });
});

describe('--strace FILE', () => {
  it('writes each trapped call of every process, with its arguments, its result, the virtual pid, and whether the worker answered it', async () => {
    const dir = makeTempDir();
    try {
      const out = path.join(dir, 'strace.txt');
      const r = await runGramine(['/bin/sh', '-c', 'cat /etc/hostname >/dev/null; cat /nonexistent 2>/dev/null; head -c0 /proc/self/status; exit 3'], {
        gramineArgs: ['--strace', out],
      });
      expect(r.status).toBe(3);
      const lines = readFileSync(out, 'latin1').split('\n').filter(Boolean);
      // every line as strace -f writes it
      for (const l of lines) expect(l).toMatch(/^\[pid \d+\] [a-z_0-9]+\(.*\) = (-?\d+|0x[0-9a-f]+|-1 E[A-Z0-9]+|\?)( \[worker\])?$/);
      const spawns = lines.filter((l) => /^\[pid 1\] (vfork|fork|clone|clone3)\(/.test(l));
      expect(spawns.map((l) => l.replace(/\(.*\)/, '()'))).toEqual([2, 3, 4].map((n) => expect.stringMatching(new RegExp(`= ${n} \\[worker\\]$`))));
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 2\] execve\("\/(usr\/)?bin\/cat", 0x[0-9a-f]+, 0x[0-9a-f]+\) = \?$/));
      // a plain path of a host mount, found or not: the stub answers alone (no " [worker]")
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 2\] openat\(AT_FDCWD, "\/etc\/hostname", 0x[0-9a-f]+, 00\) = [3-9]$/));
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 3\] openat\(AT_FDCWD, "\/nonexistent", 0x[0-9a-f]+, 00\) = -1 ENOENT$/));
      // a library through /lib, a link to usr/lib at the top of the (read-only) root on this
      // usr-merged Debian: the stub opens it as usr/lib/... itself (the path table's alias)
      expect(readlinkSync('/lib')).toBe('usr/lib');
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 2\] openat\(AT_FDCWD, "\/lib\/x86_64-linux-gnu\/libc\.so\.6", 0x[0-9a-f]+, 00\) = [3-9]$/));
      // the loader's look for a preload list that is not there: the stub's answer (ENOENT)
      expect(existsSync('/etc/ld.so.preload')).toBe(false);
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 2\] access\("\/etc\/ld\.so\.preload", 04\) = -1 ENOENT$/));
      // glibc's look at its stack limit as it starts: the host's, which the stub reads itself
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 2\] prlimit64\(0, 3, NULL, 0x[0-9a-f]+\) = 0$/));
      // a file of the LibOS's /proc: the worker's
      expect(lines).toContainEqual(expect.stringMatching(/^\[pid 4\] openat\(AT_FDCWD, "\/proc\/self\/status", 0x[0-9a-f]+, 00\) = [3-9] \[worker\]$/));
      // the shell's last trapped call, after its children: exit_group itself runs natively, untrapped
      expect(lines.filter((l) => l.startsWith('[pid 1] wait4('))).toContainEqual(expect.stringMatching(/^\[pid 1\] wait4\(-1, 0x[0-9a-f]+, 0x0, NULL\) = 4( \[worker\])?$/));
    } finally {
      removeTempDir(dir);
    }
  });
});
