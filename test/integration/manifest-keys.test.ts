// Gramine's manifest keys, each with its effect on a real program (or accepted and listed as
// ignored at --log-level warn); with a manifest, Gramine's defaults, without one, the host's.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { GRAMINE_TS, hostRootManifest, makeTempDir, program, removeTempDir, runGramine, runNative } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-keys-');
});
afterAll(() => removeTempDir(dir));

/** A manifest over the host root (every file allowed) running `argv`, with these extra lines. */
const manifest = (argv: string[], ...lines: string[]): string => hostRootManifest(dir, argv, ...lines);

describe('sys.stack.size', () => {
  const stackSize = program('stack_size');

  it('256K by default with a manifest: RLIMIT_STACK, a new thread\'s stack, and the main stack cannot grow past it', async () => {
    const fits = await runGramine([manifest([stackSize, '100'])]);
    expect(fits.stdout).toBe('RLIMIT_STACK = 256 KiB\nthread stack = 256 KiB\ngrew 100 KiB\n');
    const tooDeep = await runGramine([manifest([stackSize, '1000'])]);
    expect(tooDeep.stdout).toBe('RLIMIT_STACK = 256 KiB\nthread stack = 256 KiB\n');
    expect(tooDeep.status).toBe(128 + 11);
  });

  it('"4M": the same program grows its stack by 1000 KiB', async () => {
    const r = await runGramine([manifest([stackSize, '1000'], 'sys.stack.size = "4M"')]);
    expect(r.stdout).toBe('RLIMIT_STACK = 4096 KiB\nthread stack = 4096 KiB\ngrew 1000 KiB\n');
    expect(r.status).toBe(0);
  });

  it('without a manifest: the host\'s', async () => {
    const native = await runNative([stackSize, '1000']);
    const r = await runGramine([stackSize, '1000']);
    expect(r.stdout).toBe(native.stdout);
  });
});

describe('RLIMIT_NOFILE without sys.fds.limit (without a manifest it is the host\'s: syscalls.test.ts)', () => {
  const script = ['/bin/sh', '-c', 'ulimit -n'];

  it('is Gramine\'s soft limit, 900, with a manifest', async () => {
    const r = await runGramine([manifest(script)]);
    expect(r.stdout).toBe('900\n');
  });
});

describe('the host name', () => {
  const script = ['/bin/sh', '-c', 'uname -n; cat /proc/sys/kernel/hostname'];

  it('is "localhost" with a manifest, as in Gramine', async () => {
    const r = await runGramine([manifest(script)]);
    expect(r.stdout).toBe('localhost\nlocalhost\n');
  });

  it('is the host\'s with sys.enable_extra_runtime_domain_names_conf, which also shows the host\'s /etc/resolv.conf', async () => {
    const hasResolv = existsSync('/etc/resolv.conf');
    const root = makeTempDir('gts-keys-root-');
    try {
      // an empty root: /etc/resolv.conf can come only from the key
      const file = path.join(dir, 'resolv.manifest.toml');
      writeFileSync(file, [
        'libos.entrypoint = "/bin/sh"', 'loader.argv = ["sh", "-c", "uname -n; cat /etc/resolv.conf"]', `fs.root.uri = "file:${root}"`,
        'sgx.file_check_policy = "strict"', 'sgx.allowed_files = ["file:/usr/", "file:/bin/", "file:/lib/", "file:/lib64/"]',
        'fs.mounts = [{ path = "/usr", uri = "file:/usr" }, { path = "/bin", uri = "file:/bin" }, { path = "/lib", uri = "file:/lib" }, ' +
          '{ path = "/lib64", uri = "file:/lib64" }]',
        'sys.enable_extra_runtime_domain_names_conf = true', '',
      ].join('\n'));
      const r = await runGramine([file]);
      expect(r.stdout).toBe(`${os.hostname()}\n${hasResolv ? readFileSync('/etc/resolv.conf', 'utf8') : ''}`);
    } finally {
      removeTempDir(root);
    }
  });

  it('is the host\'s without a manifest', async () => {
    const r = await runGramine(script);
    expect(r.stdout).toBe(`${os.hostname()}\n${os.hostname()}\n`);
  });
});

describe('loader.log_level and loader.log_file', () => {
  it('the workers\' warnings go to the file (appended), not to stderr', async () => {
    const log = path.join(dir, 'gramine.log');
    writeFileSync(log, 'an earlier line\n');
    const m = manifest(['/bin/cat', '/etc/hostname'], 'loader.log_level = "warning"', `loader.log_file = "${log}"`);
    const r = await runGramine([m]);
    expect(r.status).toBe(0);
    expect(r.stderr).toBe('');
    const text = readFileSync(log, 'utf8');
    expect(text.startsWith('an earlier line\n')).toBe(true);
    expect(text).toContain('file /etc/hostname is neither trusted nor allowed: access allowed');
  });

  it('loader.log_level = "error" (the default): no warnings anywhere', async () => {
    const log = path.join(dir, 'quiet.log');
    const r = await runGramine([manifest(['/bin/cat', '/etc/hostname'], `loader.log_file = "${log}"`)]);
    expect(r.stderr).toBe('');
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  });
});

describe('loader.insecure__use_host_env', () => {
  it('passes the host environment unchanged: PWD, names no shell takes, empty values', async () => {
    const env = { PATH: '/usr/bin:/bin', PWD: '/not/the/cwd', 'dashed-name': '1', 'dotted.name': '2', EMPTY: '', 'SP ACE': 'x y' };
    const m = manifest(['/usr/bin/env'], 'loader.insecure__use_host_env = true');
    const native = await runNative(['/usr/bin/env'], { env });
    // the CLI itself, not a shell that would rewrite the environment first
    const r = await runNative([process.execPath, GRAMINE_TS, 'run', m], { env });
    expect(r.stderr).toBe('');
    expect(r.stdout.split('\n').sort()).toEqual(native.stdout.split('\n').sort());
  });
});

describe('loader.uid, loader.gid and fs.start_dir', () => {
  it('are the ids and the working directory the program starts with', async () => {
    const m = manifest(['/bin/sh', '-c', 'id -u; id -g; pwd'], 'loader.uid = 1000', 'loader.gid = 1001', 'fs.start_dir = "/usr/bin"');
    const r = await runGramine([m]);
    expect(r.stdout).toBe('1000\n1001\n/usr/bin\n');
  });
});

describe('keys Gramine has that gramine-ts ignores, and misspelt keys', () => {
  it('are listed as ignored, with the reason, at --log-level warn', async () => {
    const m = manifest(['/bin/true'], 'sys.brk.max_size = "1M"', 'libos.check_invalid_pointers = false', 'sgx.enclave_size = "1G"',
      'sys.experimental__enable_flock = true', 'sys.insecure__allow_eventfd = true', 'sys.debug__mock_syscalls = [{ name = "sched_yield", return = 0 }]',
      'loader.insecure__disable_aslr = true', 'fs.experimental__enable_sysfs_topology = true', 'loader.entrypoint.uri = "file:libsysdb.so"');
    const r = await runGramine(['--log-level', 'warn', m]);
    expect(r.status).toBe(0);
    expect(r.stderr).toContain(`${m}:5: sys.brk.max_size: ignored (brk is the host kernel's`);
    expect(r.stderr).toContain(`${m}:6: libos.check_invalid_pointers: ignored`);
    expect(r.stderr).toContain(`${m}:7: sgx.enclave_size: ignored (an SGX enclave setting`);
    expect(r.stderr).toContain(`${m}:8: sys.experimental__enable_flock: ignored`);
    expect(r.stderr).toContain(`${m}:9: sys.insecure__allow_eventfd: ignored (eventfd is the host's either way`);
    expect(r.stderr).toContain(`${m}:10: sys.debug__mock_syscalls: ignored (not implemented`);
    expect(r.stderr).toContain(`${m}:11: loader.insecure__disable_aslr: ignored (address-space layout is the host kernel's)`);
    expect(r.stderr).toContain(`${m}:12: fs.experimental__enable_sysfs_topology: ignored`);
    expect(r.stderr).toContain(`${m}:13: loader.entrypoint: ignored (gramine-ts's LibOS is built in)`);
  });

  it('a misspelt key is an error naming file, line and key, with the key it most likely means', async () => {
    const m = manifest(['/bin/true'], 'sys.stack.sise = "1M"');
    const r = await runGramine([m]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`${m}:5: sys.stack.sise: unknown key (did you mean sys.stack.size?)`);
  });
});
