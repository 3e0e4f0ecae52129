// /proc, /dev and /sys under gramine-ts, read by real programs: virtual pids (the first process
// is 1, its parent 0), instance paths, the instance's CPUs, no trace of the stub or of host pids;
// a process reading another's /proc/[pid] (through the leader); host devices as themselves.
import { describe, expect, it } from 'vitest';
import { runBoth, runGramine, runNative } from '../helpers/run.js';

const utf8 = { encoding: 'utf8' } as const;

/** The fields of a /proc/[pid]/stat line: [pid, comm, state, ppid, pgrp, session, ...]. */
function statFields(line: string): string[] {
  const close = line.lastIndexOf(')');
  return [line.slice(0, line.indexOf(' (')), line.slice(line.indexOf('(') + 1, close), ...line.slice(close + 2).trim().split(' ')];
}

function statusField(text: string, key: string): string | undefined {
  return new RegExp(`^${key}:\\t(.*)$`, 'm').exec(text)?.[1];
}

describe.concurrent('/proc of the process itself', () => {
  it('cat /proc/self/status: vpid 1, parent 0, the real credentials, the program name', async () => {
    const r = await runGramine(['/bin/cat', '/proc/self/status'], utf8);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(statusField(r.stdout, 'Name')).toBe('cat');
    expect(statusField(r.stdout, 'Pid')).toBe('1');
    expect(statusField(r.stdout, 'Tgid')).toBe('1');
    expect(statusField(r.stdout, 'PPid')).toBe('0');
    expect(statusField(r.stdout, 'NSpid')).toBe('1');
    expect(statusField(r.stdout, 'TracerPid')).toBe('0');
    expect(statusField(r.stdout, 'Seccomp')).toBe('0');
    const uid = process.getuid!();
    expect(statusField(r.stdout, 'Uid')).toBe(`${uid}\t${uid}\t${uid}\t${uid}`);
    expect(statusField(r.stdout, 'VmRSS')).toMatch(/^ *\d+ kB$/);
  });

  it('cat /proc/self/stat: pid 1, ppid 0, its own group and session', async () => {
    const r = await runGramine(['/bin/cat', '/proc/self/stat'], utf8);
    expect(r.status).toBe(0);
    const f = statFields(r.stdout);
    expect(f.slice(0, 6)).toEqual(['1', 'cat', 'R', '0', '1', '1']);
  });

  it('ls -l /proc/self/fd: the app fds only, pipes and sockets named as the kernel names them', async () => {
    const { native, gramine } = await runBoth(['/bin/ls', '-l', '/proc/self/fd/'], utf8);
    expect(gramine.stderr).toBe('');
    expect(gramine.status).toBe(0);
    // "N -> target", kernel object numbers left out; natively ls's own directory fd is listed too
    const links = (out: string) =>
      out.split('\n').flatMap((l) => {
        const m = / (\d+ -> .*)$/.exec(l);
        return m && !/-> \/proc\/\d+\/fd$/.test(m[1]!) ? [m[1]!.replace(/\[\d+\]/, '[N]')] : [];
      });
    expect(links(gramine.stdout)).toEqual(links(native.stdout));
    expect(links(gramine.stdout).slice(0, 3)).toEqual(['0 -> socket:[N]', '1 -> socket:[N]', '2 -> socket:[N]']);
    expect(gramine.stdout).not.toMatch(/gramine/);
  });

  it('readlink /proc/self/exe: the program, as natively', async () => {
    const { native, gramine } = await runBoth(['/bin/readlink', '/proc/self/exe'], utf8);
    expect(gramine.stderr).toBe('');
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('readlink /proc/self/cwd and /proc/self/root', async () => {
    const { native, gramine } = await runBoth(['/bin/sh', '-c', 'cd /usr/bin && readlink /proc/self/cwd /proc/self/root'], utf8);
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('/proc/self/maps shows nothing of the stub', async () => {
    const r = await runGramine(['/bin/cat', '/proc/self/maps'], utf8);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\/cat\n/);
    expect(r.stdout).toMatch(/\[stack\]/);
    // the stub's image starts at 0x5f0000000000 (the app's heap follows it at a random distance)
    expect(r.stdout).not.toMatch(/gramine|^5f0000000000-/m);
  });

  it('exec of /proc/self/exe runs the program again, as natively', async () => {
    const argv = ['/bin/sh', '-c', 'exec /proc/self/exe -c "echo again; readlink /proc/self/exe"'];
    const [native, gramine] = [await runNative(argv, utf8), await runGramine(argv, utf8)];
    expect(native.stdout).toMatch(/^again\n/);
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.status).toBe(0);
  });

  it('/proc/self/cmdline is the argv the program got', async () => {
    const r = await runGramine(['/bin/cat', '/proc/self/cmdline'], utf8);
    expect(r.stdout).toBe('/bin/cat\0/proc/self/cmdline\0');
  });

  it('/proc lists the processes and the system files; /proc/mounts lists the mounts', async () => {
    const r = await runGramine(['/bin/sh', '-c', 'ls /proc; echo ---; cat /proc/mounts'], utf8);
    expect(r.status).toBe(0);
    const [list, mounts] = r.stdout.split('---\n');
    const names = list!.trim().split(/\s+/);
    for (const n of ['1', '2', 'self', 'thread-self', 'cpuinfo', 'meminfo', 'stat', 'sys', 'mounts']) expect(names).toContain(n);
    expect(names.filter((n) => /^\d+$/.test(n)).every((n) => Number(n) < 100)).toBe(true);
    expect(mounts).toMatch(/^\S+ \/ \S+ r[ow] 0 0$/m);
    expect(mounts).toMatch(/^\S+ \/proc proc rw 0 0$/m);
  });
});

describe.concurrent('/proc of other processes of the instance', () => {
  it("a child reads its parent's /proc/[pid]/stat with virtual pids", async () => {
    const r = await runGramine(['/bin/sh', '-c', 'cat /proc/$$/stat; sh -c "cat /proc/\\$PPID/stat"'], utf8);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines.length).toBe(2);
    for (const line of lines) expect(statFields(line).slice(0, 6)).toEqual(['1', 'sh', 'S', '0', '1', '1']);
  });

  it("another process's cwd follows its chdir, on a host mount and on the instance's tmpfs", async () => {
    const r = await runGramine(['/bin/sh', '-c',
      'cd /tmp; sleep 60 & a=$!; mkdir -p /dev/shm/w; cd /dev/shm/w; sleep 60 & b=$!; readlink /proc/$a/cwd /proc/$b/cwd; kill $a $b'], utf8);
    expect(r.stdout).toBe('/tmp\n/dev/shm/w\n');
  });

  it('a parent reads its background child: pid, command line, parent', async () => {
    const r = await runGramine(
      ['/bin/sh', '-c', 'sleep 60 & p=$!; until [ "$(cat /proc/$p/comm)" = sleep ]; do sleep 0.01; done; echo $p; cat /proc/$p/stat; echo; tr "\\0" " " < /proc/$p/cmdline; echo; readlink /proc/$p/exe; kill $p'],
      utf8,
    );
    expect(r.stderr).toBe('');
    const [pid, stat, , cmdline, exe] = r.stdout.split('\n');
    const f = statFields(stat!);
    expect(f.slice(0, 2)).toEqual([pid, 'sleep']);
    expect(f[3]).toBe('1');
    expect(cmdline).toBe('sleep 60 ');
    expect(exe).toMatch(/\/sleep$/);
  });
});

describe.concurrent('system files', () => {
  it('/proc/cpuinfo has as many processors as nproc says', async () => {
    const cmd = ['/bin/sh', '-c', 'grep -c ^processor /proc/cpuinfo; nproc'];
    const { native, gramine } = await runBoth(cmd, utf8);
    const [count, nproc] = gramine.stdout.trim().split('\n');
    expect(count).toBe(nproc);
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('/sys/devices/system/cpu/online, as natively', async () => {
    const { native, gramine } = await runBoth(['/bin/cat', '/sys/devices/system/cpu/online'], utf8);
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('/proc/meminfo, /proc/stat, /proc/uptime, /proc/sys/kernel', async () => {
    const r = await runGramine(
      ['/bin/sh', '-c', 'head -1 /proc/meminfo; head -1 /proc/stat; cat /proc/uptime /proc/sys/kernel/pid_max /proc/sys/kernel/osrelease'],
      utf8,
    );
    const native = await runNative(['/bin/cat', '/proc/sys/kernel/osrelease'], utf8);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(/^MemTotal: +\d+ kB$/);
    expect(lines[1]).toMatch(/^cpu {2}\d+ /);
    expect(lines[2]).toMatch(/^\d+\.\d+ \d+\.\d+$/);
    expect(lines[3]).toMatch(/^\d+$/);
    expect(`${lines[4]}\n`).toBe(native.stdout);
  });
});

describe.concurrent('/dev', () => {
  it('head -c 16 /dev/zero | od, as natively', async () => {
    const { native, gramine } = await runBoth(['/bin/sh', '-c', 'head -c 16 /dev/zero | od; head -c 8 /dev/urandom | wc -c; echo x > /dev/null'], utf8);
    expect(gramine.stderr).toBe('');
    expect(gramine.stdout).toBe(native.stdout);
  });

  it('ls /dev shows the devices and the fd links', async () => {
    const r = await runGramine(['/bin/ls', '/dev'], utf8);
    expect(r.status).toBe(0);
    const names = r.stdout.trim().split(/\s+/);
    for (const n of ['null', 'zero', 'full', 'random', 'urandom', 'tty', 'stdin', 'stdout', 'stderr', 'fd']) expect(names).toContain(n);
  });

  it('ls /dev shows the /dev/shm mount point', async () => {
    const r = await runGramine(['/bin/ls', '/dev'], utf8);
    expect(r.stdout.trim().split(/\s+/)).toContain('shm');
  });

  it('/dev/stdout and /dev/stdin: the process fds 1 and 0, as natively', async () => {
    // stdout is a socket here: opening it fails natively too (ENXIO)
    const cmd = ['/bin/sh', '-c', '(echo hello > /dev/stdout) 2>/dev/null; echo $?; readlink /dev/stdin; head -c 5 /dev/stdin 2>/dev/null'];
    const { native, gramine } = await runBoth(cmd, { ...utf8, input: 'input' });
    expect(gramine.stdout).toBe(native.stdout);
    expect(gramine.stdout).toMatch(/^\d+\n\/proc\/self\/fd\/0\n/);
  });
});
