// The manifest loader: Gramine's keys into typed data; every error names file, line and key.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

import { defaultManifest, loadManifest, ManifestError, parseManifest, type Manifest } from '../../src/manifest/index.js';

/** Manifest text whose line N is the Nth argument, so tests can name exact lines. */
const lines = (...ls: string[]) => ls.join('\n') + '\n';

const VIRTUAL: Manifest['mounts'] = [
  { type: 'proc', path: '/proc' },
  { type: 'dev', path: '/dev' },
  { type: 'sys', path: '/sys' },
];

/** The ManifestError parseManifest throws for `text`. */
function errorFor(text: string): ManifestError {
  try {
    parseManifest(text, 'app.manifest');
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return e as ManifestError;
  }
  throw new Error('no ManifestError');
}

const errorOf = (text: string) => errorFor(text).message;

const SHA = 'ab'.repeat(32);

describe('a valid manifest', () => {
  const text = lines(
    '# nginx, as gramine-manifest would render it',
    'libos.entrypoint = "/usr/sbin/nginx"',
    'loader.argv = ["nginx", "-g", "daemon off;"]',
    'loader.log_level = "warning"',
    'loader.uid = 1000',
    'loader.gid = 1001',
    'loader.env.LD_LIBRARY_PATH = "/lib:/usr/lib"',
    'loader.env.HOME = { value = "/home/app" }',
    'loader.env.TERM = { passthrough = true }',
    '',
    'fs.root = { type = "chroot", uri = "file:/srv/rootfs" }',
    'fs.start_dir = "/var/www/"',
    'fs.insecure__keys.default = "00112233445566778899AABBCCDDEEFF"',
    'fs.mounts = [',
    '  { path = "/lib", uri = "file:/usr/lib/x86_64-linux-gnu" },',
    '  { type = "tmpfs", path = "/tmp" },',
    '  { type = "encrypted", path = "/data/", uri = "file:enc", key_name = "default" },',
    '  { type = "encrypted", path = "/secrets", uri = "file:/srv/secrets" },',
    ']',
    '',
    'sys.stack.size = "8M"',
    'sys.brk.max_size = 1048576',
    'sys.enable_sigterm_injection = true',
    'sys.insecure__allow_eventfd = true',
    'sys.disallow_subprocesses = true',
    'sys.fds.limit = 4096',
    '',
    '[sgx]',
    'file_check_policy = "allow_all_but_log"',
    'trusted_files = [',
    '  "file:/usr/sbin/nginx",',
    `  { uri = "file:/usr/lib/x86_64-linux-gnu/", sha256 = "${SHA.toUpperCase()}" },`,
    ']',
    'allowed_files = ["file:/var/log/nginx/", { uri = "file:/run/nginx.pid" }]',
  );

  it('parses to the expected data', () => {
    const expected: Manifest = {
      entrypoint: '/usr/sbin/nginx',
      argv: ['nginx', '-g', 'daemon off;'],
      useCmdlineArgv: false,
      useHostEnv: false,
      env: { LD_LIBRARY_PATH: { value: '/lib:/usr/lib' }, HOME: { value: '/home/app' }, TERM: { passthrough: true } },
      uid: 1000,
      gid: 1001,
      logLevel: 'warning',
      root: { type: 'chroot', path: '/', uri: 'file:/srv/rootfs', hostPath: '/srv/rootfs', readOnly: false },
      mounts: [
        ...VIRTUAL,
        { type: 'chroot', path: '/lib', uri: 'file:/usr/lib/x86_64-linux-gnu', hostPath: '/usr/lib/x86_64-linux-gnu', readOnly: false },
        { type: 'tmpfs', path: '/tmp', size: null },
        { type: 'encrypted', path: '/data', uri: 'file:enc', hostPath: 'enc', keyName: 'default' },
        { type: 'encrypted', path: '/secrets', uri: 'file:/srv/secrets', hostPath: '/srv/secrets', keyName: 'default' },
      ],
      startDir: '/var/www',
      logFile: null,
      stackSize: 8 << 20,
      extraRuntimeDomainNames: false,
      trustedFiles: [
        { uri: 'file:/usr/sbin/nginx', path: '/usr/sbin/nginx', sha256: null },
        { uri: 'file:/usr/lib/x86_64-linux-gnu/', path: '/usr/lib/x86_64-linux-gnu/', sha256: SHA },
      ],
      allowedFiles: [
        { uri: 'file:/var/log/nginx/', path: '/var/log/nginx/' },
        { uri: 'file:/run/nginx.pid', path: '/run/nginx.pid' },
      ],
      fileCheckPolicy: 'allow_all_but_log',
      insecureKeys: { default: '00112233445566778899aabbccddeeff' },
      enableSigtermInjection: true,
      reportUnsupported: true,
      allowEventfd: true,
      disallowSubprocesses: true,
      fdsLimit: { soft: 4096, hard: 4096 },
      argvSrcFile: null,
      envSrcFile: null,
      warnings: [
        "nginx.manifest:22: sys.brk.max_size: ignored (brk is the host kernel's (a native call): the heap grows as on Linux)",
        "nginx.manifest:24: sys.insecure__allow_eventfd: ignored (eventfd is the host's either way (shared by the instance's processes))",
      ],
      sourcePath: null,
      sourceBytes: new TextEncoder().encode(text),
    };
    expect(parseManifest(text, 'nginx.manifest')).toEqual(expected);
  });

  it('takes Gramine defaults for what it leaves out', () => {
    const m = parseManifest('libos.entrypoint = "hello"\n', 'app.manifest');
    expect(m).toMatchObject({
      entrypoint: 'hello',
      argv: null,
      useCmdlineArgv: false,
      useHostEnv: false,
      env: {},
      uid: 0,
      gid: 0,
      logLevel: 'error',
      // no fs.root: the current directory is the root, as in Gramine
      root: { type: 'chroot', path: '/', uri: 'file:.', hostPath: '.', readOnly: false },
      mounts: VIRTUAL,
      startDir: '/',
      logFile: null,
      stackSize: 256 * 1024,
      extraRuntimeDomainNames: false,
      trustedFiles: [],
      allowedFiles: [],
      fileCheckPolicy: 'strict',
      insecureKeys: {},
      enableSigtermInjection: false,
      reportUnsupported: true,
      allowEventfd: false,
      disallowSubprocesses: false,
      fdsLimit: { soft: 900, hard: null },
      argvSrcFile: null,
      envSrcFile: null,
      warnings: [],
    });
  });

  it('reads [[fs.mounts]] sections, [loader.env] tables and [[sgx.trusted_files]] tables', () => {
    const m = parseManifest(
      lines(
        'libos.entrypoint = "/bin/sh"',
        'loader.insecure__use_cmdline_argv = true',
        'loader.insecure__use_host_env = true',
        '[loader.env]',
        'PATH = "/bin"',
        'USER = { passthrough = true }',
        '"odd.name" = "x"',
        '[[fs.mounts]]',
        'path = "/bin"',
        'uri = "file:/bin"',
        '[[fs.mounts]]',
        'path = "/run/x/../y/"',
        'type = "tmpfs"',
        '[[sgx.trusted_files]]',
        'uri = "file:/bin/sh"',
        `sha256 = "${SHA}"`,
        '[fs.root]',
        'type = "tmpfs"',
      ),
      'sh.manifest',
    );
    expect(m.useCmdlineArgv).toBe(true);
    expect(m.useHostEnv).toBe(true);
    expect(m.env).toEqual({ PATH: { value: '/bin' }, USER: { passthrough: true }, 'odd.name': { value: 'x' } });
    expect(m.root).toEqual({ type: 'tmpfs', path: '/', size: null });
    expect(m.mounts.slice(3)).toEqual([
      { type: 'chroot', path: '/bin', uri: 'file:/bin', hostPath: '/bin', readOnly: false },
      { type: 'tmpfs', path: '/run/y', size: null },
    ]);
    expect(m.trustedFiles).toEqual([{ uri: 'file:/bin/sh', path: '/bin/sh', sha256: SHA }]);
  });

  it('accepts trusted_files and allowed_files without the sgx. prefix', () => {
    const m = parseManifest(
      lines(
        'libos.entrypoint = "/bin/true"',
        `trusted_files = ["file:/bin/true", { uri = "file:/lib/", sha256 = "${SHA}" }]`,
        'allowed_files = ["file:/tmp/"]',
      ),
      'app.manifest',
    );
    expect(m.trustedFiles).toEqual([
      { uri: 'file:/bin/true', path: '/bin/true', sha256: null },
      { uri: 'file:/lib/', path: '/lib/', sha256: SHA },
    ]);
    expect(m.allowedFiles).toEqual([{ uri: 'file:/tmp/', path: '/tmp/' }]);
  });

  it('keeps environment passthrough apart from values', () => {
    const m = parseManifest(
      lines('libos.entrypoint = "/bin/env"', 'loader.env.A = { passthrough = true }', 'loader.env.B = { value = "" }'),
      'app.manifest',
    );
    expect(m.env).toEqual({ A: { passthrough: true }, B: { value: '' } });
  });

  it.each([
    ['"256K"', 256 * 1024],
    ['"256k"', 256 * 1024],
    ['"8M"', 8 * 1024 * 1024],
    ['"1G"', 1024 * 1024 * 1024],
    ['"64g"', 64 * 1024 * 1024 * 1024],
    ['"4096"', 4096],
    ['65536', 65536],
    ['0', 0],
  ])('reads the size %s as %i bytes', (size, bytes) => {
    const m = parseManifest(lines('libos.entrypoint = "/a"', `sys.stack.size = ${size}`, `sys.brk.max_size = ${size}`), 'app.manifest');
    expect(m.stackSize).toBe(bytes);
    expect(m.warnings).toEqual([`app.manifest:3: sys.brk.max_size: ignored (brk is the host kernel's (a native call): the heap grows as on Linux)`]);
  });
});

describe('ignored keys', () => {
  it('warn with file, line and key, and change nothing', () => {
    const text = lines(
      'libos.entrypoint = "/bin/sh"',
      'loader.entrypoint = "file:/usr/lib/x86_64-linux-gnu/gramine/libsysdb.so"',
      'loader.pal_internal_mem_size = "64M"',
      'libos.check_invalid_pointers = false',
      'sys.brk.max_size = "1M"',
      'sys.experimental__enable_flock = true',
      'sys.ioctl_structs.ifconf = [ { size = 8, direction = "out" } ]',
      'sys.allowed_ioctls = [ { request_code = 0x8912, struct = "ifconf" } ]',
      '',
      '[sgx]',
      'debug = true',
      'edmm_enable = false',
      'enclave_size = "512M"',
      'max_threads = 4',
      'isvprodid = 1',
      'isvsvn = 2',
      'remote_attestation = "dcap"',
      '',
      '[sgx.profile]',
      'enable = "main"',
      'mode = "aex"',
    );
    const m = parseManifest(text, 'app.manifest');
    expect(m.warnings).toEqual([
      `app.manifest:2: loader.entrypoint: ignored (gramine-ts's LibOS is built in)`,
      'app.manifest:3: loader.pal_internal_mem_size: ignored (deprecated in Gramine; gramine-ts reserves no PAL memory)',
      'app.manifest:4: libos.check_invalid_pointers: ignored (bad pointers always give EFAULT)',
      'app.manifest:5: sys.brk.max_size: ignored (brk is the host kernel\'s (a native call): the heap grows as on Linux)',
      'app.manifest:6: sys.experimental__enable_flock: ignored (flock always works here: the host\'s locks on host files)',
      'app.manifest:7: sys.ioctl_structs: ignored (ioctls run on the host fd itself: there is no allow-list to describe)',
      'app.manifest:8: sys.allowed_ioctls: ignored (ioctls run on the host fd itself: every one the host allows)',
      'app.manifest:11: sgx.debug: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:12: sgx.edmm_enable: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:13: sgx.enclave_size: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:14: sgx.max_threads: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:15: sgx.isvprodid: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:16: sgx.isvsvn: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:17: sgx.remote_attestation: ignored (an SGX enclave setting; gramine-ts has no enclave)',
      'app.manifest:19: sgx.profile: ignored (an SGX enclave setting; gramine-ts has no enclave)',
    ]);
    expect(m.entrypoint).toBe('/bin/sh');
  });

  it('also cover the newer loader.entrypoint table', () => {
    const m = parseManifest(lines('libos.entrypoint = "/a"', `loader.entrypoint = { uri = "file:/x", sha256 = "${SHA}" }`), 'a.toml');
    expect(m.warnings).toEqual([`a.toml:2: loader.entrypoint: ignored (gramine-ts's LibOS is built in)`]);
  });

  it('include a chroot mount of the host /proc, /sys or /dev, as Gramine warns', () => {
    const m = parseManifest(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/hostproc", uri = "file:/proc/" }]'), 'a.toml');
    expect(m.warnings).toEqual([`a.toml:2: fs.mounts[0].uri: exposes the host's /proc/ unfiltered to the app`]);
  });
});

describe('errors name the file, the line and the key', () => {
  it('for an unknown mount type in the third [[fs.mounts]]', () => {
    expect(
      errorFor(
        lines(
          'libos.entrypoint = "/bin/sh"',
          '',
          '[[fs.mounts]]',
          'path = "/lib"',
          'uri = "file:/lib"',
          '',
          '[[fs.mounts]]',
          'path = "/usr"',
          'uri = "file:/usr"',
          '',
          '[[fs.mounts]]',
          'type = "nfs"',
          'path = "/net"',
        ),
      ),
    ).toMatchObject({
      message: 'app.manifest:12: fs.mounts[2].type: unknown mount type "nfs" (chroot, tmpfs, encrypted or untrusted_shm)',
      file: 'app.manifest',
      line: 12,
      key: 'fs.mounts[2].type',
      reason: 'unknown mount type "nfs" (chroot, tmpfs, encrypted or untrusted_shm)',
    });
  });

  it('for a relative mount path in an inline array', () => {
    expect(
      errorOf(
        lines(
          'libos.entrypoint = "/bin/sh"',
          'fs.mounts = [',
          '  { path = "/lib", uri = "file:/lib" },',
          '  { path = "usr/lib",',
          '    uri = "file:/usr/lib" },',
          ']',
        ),
      ),
    ).toBe('app.manifest:4: fs.mounts[1].path: "usr/lib" is not an absolute path');
  });

  it('for a mount without path or uri, or at "/"', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', '', 'fs.mounts = [{ uri = "file:/x" }]'))).toBe(
      'app.manifest:3: fs.mounts[0].path: missing (where to mount, an absolute path)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', '[[fs.mounts]]', 'path = "/x"', 'type = "encrypted"'))).toBe(
      'app.manifest:2: fs.mounts[0].uri: missing (encrypted mounts need a "file:" URI)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/", uri = "file:/" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].path: cannot be "/" (the root is fs.root)',
    );
  });

  it('for a key a mount does not take', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/x", uri = "file:/x", options = "ro" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].options: unknown key (path, type, uri, key_name, enable_recovery or size)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/x", uri = "file:/x", size = "1M" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].size: only for tmpfs mounts',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', '', 'fs.mounts = [{ type = "tmpfs", path = "/x", size = "1T" }]'))).toBe(
      'app.manifest:3: fs.mounts[0].size: bad size "1T" (a number of bytes, optionally followed by K, M or G)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/x", uri = "file:/x", key_name = "k" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].key_name: only for encrypted mounts',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.root.type = "chroot"'))).toBe(
      'app.manifest:2: fs.root.uri: missing (chroot mounts need a "file:" or "dev:" URI)',
    );
  });

  it('for duplicate mount paths, however spelled', () => {
    expect(
      errorOf(
        lines(
          'libos.entrypoint = "/bin/sh"',
          'fs.mounts = [',
          '  { path = "/lib", uri = "file:/lib" },',
          '  { path = "/usr", uri = "file:/usr" },',
          '  { path = "/lib/", uri = "file:/lib64" },',
          ']',
        ),
      ),
    ).toBe('app.manifest:5: fs.mounts[2].path: duplicate mount path "/lib" (fs.mounts[0] mounts it too)');
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/proc", uri = "file:/proc" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].path: duplicate mount path "/proc" (the virtual /proc is always mounted there)',
    );
  });

  it('for a bad size string', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', '[sys]', 'stack.size = "8MB"'))).toBe(
      'app.manifest:3: sys.stack.size: bad size "8MB" (a number of bytes, optionally followed by K, M or G)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.brk.max_size = "1.5M"'))).toBe(
      'app.manifest:2: sys.brk.max_size: bad size "1.5M" (a number of bytes, optionally followed by K, M or G)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.brk.max_size = 1.5'))).toBe(
      'app.manifest:2: sys.brk.max_size: expected a size such as "256K", "8M" or "1G", got a float',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.brk.max_size = -1'))).toBe(
      'app.manifest:2: sys.brk.max_size: must not be negative (-1)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.stack.size = "99999999999G"'))).toBe(
      'app.manifest:2: sys.stack.size: too large (99999999999G)',
    );
  });

  it('for a bad URI scheme', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/x", uri = "dev:/x", type = "encrypted" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].uri: unsupported URI scheme "dev:" (only file:)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/dev/shm", uri = "file:/dev/shm", type = "untrusted_shm" }]'))).toBe(
      'app.manifest:2: fs.mounts[0].uri: unsupported URI scheme "file:" (only dev:)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.root.uri = "/srv/root"'))).toBe(
      'app.manifest:2: fs.root.uri: "/srv/root" is not a URI (write "file:/srv/root")',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sgx.allowed_files = [', '  "file:/ok",', '  "http://x/y",', ']'))).toBe(
      'app.manifest:4: sgx.allowed_files[1]: unsupported URI scheme "http:" (file: or dev:)',
    );
  });

  it('for a sha256 that is not 64 hex digits', () => {
    expect(
      errorOf(
        lines(
          'libos.entrypoint = "/a"',
          '[[sgx.trusted_files]]',
          'uri = "file:/a"',
          `sha256 = "${SHA}"`,
          '',
          '[[sgx.trusted_files]]',
          'uri = "file:/b"',
          `sha256 = "${'zz'.repeat(32)}"`,
        ),
      ),
    ).toBe(`app.manifest:8: sgx.trusted_files[1].sha256: expected 64 hex digits (a SHA-256 hash), got "${'zz'.repeat(32)}"`);
    expect(errorOf(lines('libos.entrypoint = "/a"', 'trusted_files = [{ uri = "file:/a", sha256 = "abc" }]'))).toBe(
      'app.manifest:2: trusted_files[0].sha256: expected 64 hex digits (a SHA-256 hash), got "abc"',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'allowed_files = [{ uri = "file:/a", sha256 = "abc" }]'))).toBe(
      'app.manifest:2: allowed_files[0].sha256: unknown key (uri)',
    );
  });

  it('for unknown keys', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.argc = 3'))).toBe('app.manifest:2: loader.argc: unknown key (did you mean loader.argv?)');
    expect(errorOf(lines('libos.entrypoint = "/a"', '', '[sgx]', 'debug = true', 'protected_files = []'))).toBe(
      'app.manifest:5: sgx.protected_files: unknown key',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'frobnicate = true'))).toBe('app.manifest:2: frobnicate: unknown key');
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.stack = 5'))).toBe('app.manifest:2: sys.stack: expected a table, got an integer');
  });

  it('for values of the wrong type', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.uid = "0"'))).toBe(
      'app.manifest:2: loader.uid: expected a non-negative integer, got a string',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.gid = -5'))).toBe('app.manifest:2: loader.gid: must not be negative (-5)');
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.uid = 4294967296'))).toBe(
      'app.manifest:2: loader.uid: too large (4294967296; at most 4294967295)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sys.insecure__allow_eventfd = "yes"'))).toBe(
      'app.manifest:2: sys.insecure__allow_eventfd: expected true or false, got a string',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.argv = [', '  "a",', '  1,', ']'))).toBe(
      'app.manifest:4: loader.argv[1]: expected a string, got an integer',
    );
    expect(errorOf(lines('libos.entrypoint = 1979-05-27'))).toBe('app.manifest:1: libos.entrypoint: expected a path, got a date');
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.log_level = "info"'))).toBe(
      'app.manifest:2: loader.log_level: unknown log level "info" (none, error, warning, debug, trace or all)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sgx.file_check_policy = "lax"'))).toBe(
      'app.manifest:2: sgx.file_check_policy: unknown file check policy "lax" (strict or allow_all_but_log)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.start_dir = "www"'))).toBe('app.manifest:2: fs.start_dir: "www" is not an absolute path');
    expect(errorOf(lines('libos.entrypoint = "/a"', 'fs.insecure__keys.k = "0011"'))).toBe(
      'app.manifest:2: fs.insecure__keys.k: expected 32 hex digits (a 16-byte key)',
    );
  });

  it('for environment variables', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', '[loader.env]', 'A = "1"', '"B.C" = 2'))).toBe(
      'app.manifest:4: loader.env."B.C": expected a string, { value = "..." } or { passthrough = true }, got an integer',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.env.X = { passthrough = false }'))).toBe(
      'app.manifest:2: loader.env.X.passthrough: false is not allowed (Gramine refuses deny lists)',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.env.X = { value = "1", passthrough = true }'))).toBe(
      'app.manifest:2: loader.env.X: takes value or passthrough, not both',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.env.X = {}'))).toBe(
      'app.manifest:2: loader.env.X: needs value = "..." or passthrough = true',
    );
  });

  it('for keys that contradict each other', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.insecure__use_cmdline_argv = true', 'loader.argv = ["a"]'))).toBe(
      'app.manifest:3: loader.argv: cannot be combined with loader.insecure__use_cmdline_argv = true',
    );
    expect(errorOf(lines('libos.entrypoint = "/a"', 'sgx.trusted_files = []', 'trusted_files = []'))).toBe(
      'app.manifest:3: trusted_files: given twice (also as sgx.trusted_files)',
    );
  });

  it('for a missing or URI entrypoint', () => {
    expect(errorOf(lines('loader.argv = ["a"]'))).toBe('app.manifest: libos.entrypoint: missing (the program to run)');
    expect(errorOf(lines('[libos]', 'check_invalid_pointers = true'))).toBe(
      'app.manifest:1: libos.entrypoint: missing (the program to run)',
    );
    expect(errorOf(lines('libos.entrypoint = "file:/bin/sh"'))).toBe(
      'app.manifest:1: libos.entrypoint: is a path inside the instance, not a URI (drop "file:")',
    );
  });

  it('for TOML syntax errors, with line and column', () => {
    const e = errorFor(lines('libos.entrypoint = "/a"', 'loader.argv = ["a",', '  "b"', 'fs.start_dir = "/"'));
    expect(e.message).toBe('app.manifest:4:1: invalid TOML: expected comma or end of structure');
    expect([e.file, e.line, e.column, e.key]).toEqual(['app.manifest', 4, 1, null]);
    expect(errorOf(lines('libos.entrypoint = "/a"', 'libos.entrypoint = "/b"'))).toMatch(/^app\.manifest:2:1: invalid TOML: /);
  });

  it('at the right line past comments, multi-line strings and split inline tables', () => {
    const text = lines(
      '# [[fs.mounts]] in a comment is no header',
      'libos.entrypoint = "/bin/sh"',
      'loader.env.MOTD = """',
      '[[fs.mounts]]',
      '"""',
      "loader.env.RAW = '''x = [ { '''",
      'fs.mounts = [',
      '  # { path = "nope" },',
      '  { path = "/a", uri = "file:/a" }, { path = "/b", type = "tmpfs",',
      '    uri = "file:/b" },',
      '  { path = "/c", uri = "ftp:/c" },',
      ']',
    );
    expect(errorOf(text)).toBe('app.manifest:11: fs.mounts[2].uri: unsupported URI scheme "ftp:" (file: or dev:)');
    expect(errorOf(text.replace('type = "tmpfs"', 'type = "bind"'))).toBe(
      'app.manifest:9: fs.mounts[1].type: unknown mount type "bind" (chroot, tmpfs, encrypted or untrusted_shm)',
    );
    expect(errorOf(text.replaceAll('\n', '\r\n'))).toBe('app.manifest:11: fs.mounts[2].uri: unsupported URI scheme "ftp:" (file: or dev:)');
  });

  it('for keys that could reach object prototypes', () => {
    expect(errorOf(lines('libos.entrypoint = "/a"', 'loader.env.__proto__ = "x"'))).toMatch(/^app\.manifest:2:\d+: invalid TOML: .*unsafe/);
  });
});

describe('loadManifest', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'gramine-ts-manifest-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reads the file, keeping its bytes and absolute path', () => {
    const file = path.join(dir, 'app.manifest.toml');
    const text = lines('libos.entrypoint = "/bin/echo"', 'loader.argv = ["echo", "héllo"]');
    writeFileSync(file, text);
    const m = loadManifest(file);
    expect(m.entrypoint).toBe('/bin/echo');
    expect(m.argv).toEqual(['echo', 'héllo']);
    expect(m.sourcePath).toBe(file);
    expect(Buffer.from(m.sourceBytes).equals(Buffer.from(text))).toBe(true);
  });

  it('names the file as given in its messages', () => {
    const file = path.join(dir, 'bad.manifest.toml');
    writeFileSync(file, lines('libos.entrypoint = "/a"', 'fs.mounts = [{ path = "/x", type = "nfs" }]'));
    const relative = path.relative(process.cwd(), file);
    expect(() => loadManifest(relative)).toThrow(
      new ManifestError(relative, 2, 'fs.mounts[0].type', 'unknown mount type "nfs" (chroot, tmpfs, encrypted or untrusted_shm)'),
    );
    expect(() => loadManifest(relative)).toThrow(`${relative}:2: fs.mounts[0].type: unknown mount type "nfs"`);
  });

  it('refuses a missing file and one that is not UTF-8', () => {
    const missing = path.join(dir, 'missing.toml');
    expect(() => loadManifest(missing)).toThrow(new RegExp(`^${missing}: cannot read: ENOENT`));
    const binary = path.join(dir, 'binary.toml');
    writeFileSync(binary, Buffer.from([0x61, 0x20, 0x3d, 0x20, 0x22, 0xff, 0x22, 0x0a]));
    expect(() => loadManifest(binary)).toThrow(`${binary}: not UTF-8 text`);
  });
});

describe('defaultManifest', () => {
  it('mounts the host root read-only, the host /tmp writable and the virtual /proc /dev /sys', () => {
    const m = defaultManifest('/bin/ls', ['ls', '-la'], { cwd: '/home/me/', uid: 1000, gid: 100 });
    expect(m).toEqual({
      entrypoint: '/bin/ls',
      argv: ['ls', '-la'],
      useCmdlineArgv: false,
      useHostEnv: true,
      env: {},
      uid: 1000,
      gid: 100,
      logLevel: 'error',
      root: { type: 'chroot', path: '/', uri: 'file:/', hostPath: '/', readOnly: true },
      mounts: [...VIRTUAL, { type: 'chroot', path: '/tmp', uri: 'file:/tmp', hostPath: '/tmp', readOnly: false }],
      startDir: '/home/me',
      logFile: null,
      stackSize: null,
      extraRuntimeDomainNames: true,
      trustedFiles: [],
      allowedFiles: [],
      fileCheckPolicy: 'allow_all_but_log',
      insecureKeys: {},
      enableSigtermInjection: false,
      reportUnsupported: true,
      allowEventfd: true,
      disallowSubprocesses: false,
      fdsLimit: null,
      argvSrcFile: null,
      envSrcFile: null,
      warnings: [],
      sourcePath: null,
      sourceBytes: new Uint8Array(0),
    } satisfies Manifest);
  });

  it("takes this process's working directory and ids by default", () => {
    const m = defaultManifest('/bin/true', ['true']);
    expect([m.startDir, m.uid, m.gid]).toEqual([process.cwd(), process.getuid!(), process.getgid!()]);
  });

  it('gives every call its own mount objects', () => {
    const a = defaultManifest('/a', ['a']);
    a.mounts[0]!.path = '/changed';
    expect(defaultManifest('/a', ['a']).mounts[0]!.path).toBe('/proc');
  });
});
