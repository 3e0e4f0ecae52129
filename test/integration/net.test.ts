// Sockets (issue 11): our own C programs give the same output natively and under gramine-ts --
// TCP and UDP over IPv4 and IPv6 (test/programs/net/net_inet.c), UNIX sockets by path (in a
// directory of the host's /tmp, and in a tmpfs of a manifest, where the host binds them below
// the leader's fd of the mount) and abstract (net_unix.c), epoll over a thousand connections and
// a server that forks per connection (net_many.c), and names that come over sockets: interfaces
// and addresses over netlink (net_names.c, ip, getent).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTempDir, program, removeTempDir, runGramine, runNative, type RunResult } from '../helpers/run.js';

let dir: string;
beforeAll(() => {
  dir = makeTempDir('gts-net-');
});
afterAll(() => removeTempDir(dir));

function expectSame(native: RunResult<string>, gramine: RunResult<string>): void {
  expect(gramine.stderr).toBe(native.stderr);
  expect(gramine.stdout).toBe(native.stdout);
  expect(gramine.status).toBe(native.status);
  expect(native.status).toBe(0);
}

describe('IP sockets, as natively', () => {
  it.each([
    ['tcp', 'TCP echo over v4 and v6, accept with and without an address, non-blocking and refused connects'],
    ['signals', 'a blocking connect ended by its own alarm and by a signal from another process'],
    ['udp', 'UDP request/response, connected UDP, sendmmsg/recvmmsg, sendmsg/recvmsg with addresses'],
    ['options', 'socket options and the errors of bind, connect, getpeername, shutdown'],
  ])('%s: %s', async (part) => {
    const argv = [program('net/net_inet'), part];
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv)]);
    expectSame(native, gramine);
    expect(native.stdout.length).toBeGreaterThan(100);
  });
});

describe('names over netlink and sockets, as natively', () => {
  it.each([
    [[program('net/net_names')], 'getifaddrs, getaddrinfo(AI_ADDRCONFIG), a user by name (the nscd probe), a netlink dump'],
    [['/usr/sbin/ip', '-o', 'link'], 'ip -o link'],
    [['/usr/sbin/ip', '-o', 'addr'], 'ip -o addr'],
    [['/usr/bin/getent', 'hosts', 'localhost'], 'getent hosts localhost'],
  ])('%s: %s', async (argv) => {
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv)]);
    expectSame(native, gramine);
    expect(native.stdout).toContain('lo');
  });
});

describe('many connections, as natively', () => {
  it.each([
    ['epoll', 'a thousand connections through epoll: level-triggered, edge-triggered with an exclusive listener, one-shot'],
    ['shared', 'an epoll set shared across fork, as one set'],
    ['fork', 'a server that forks a child per connection'],
  ])('%s: %s', async (part) => {
    const argv = [program('net/net_many'), part];
    const [native, gramine] = await Promise.all([runNative(argv), runGramine(argv)]);
    expectSame(native, gramine);
  });
});

const UNIX_PARTS = [
  ['path', 'stream, seqpacket and datagrams by path: the names every call reports, relative paths, a symlink'],
  ['errors', 'ENOENT, ECONNREFUSED, EADDRINUSE, EINVAL as Linux gives them'],
  ['abstract', 'abstract names and autobind'],
  ['rights', 'SCM_RIGHTS between two processes: the received fd is like any other'],
  ['creds', 'SO_PEERCRED and SCM_CREDENTIALS name the processes of the instance'],
] as const;

describe('UNIX sockets in a directory of the host /tmp (the built-in manifest), as natively', () => {
  it.each(UNIX_PARTS)('%s: %s', async (part) => {
    const [a, b] = [makeTempDir('gts-unix-'), makeTempDir('gts-unix-')];
    try {
      // the program prints the directory as DIR: each run has its own
      const native = await runNative([program('net/net_unix'), a, part]);
      const gramine = await runGramine([program('net/net_unix'), b, part]);
      expectSame(native, gramine);
    } finally {
      removeTempDir(a);
      removeTempDir(b);
    }
  });
});

describe('UNIX sockets in a tmpfs of a manifest, as natively in a host directory', () => {
  let manifest: string;
  beforeAll(() => {
    manifest = path.join(dir, 'tmpfs.manifest.toml');
    writeFileSync(manifest, [
      `libos.entrypoint = "${program('net/net_unix')}"`,
      'loader.insecure__use_cmdline_argv = true',
      'fs.root.uri = "file:/"',
      'fs.mounts = [{ type = "tmpfs", path = "/sockets" }]',
      'sgx.file_check_policy = "allow_all_but_log"',
      '',
    ].join('\n'));
  });

  it.each(UNIX_PARTS)('%s: %s', async (part) => {
    const a = makeTempDir('gts-unix-');
    try {
      const native = await runNative([program('net/net_unix'), a, part]);
      const gramine = await runGramine([manifest, '/sockets', part]);
      expectSame(native, gramine);
    } finally {
      removeTempDir(a);
    }
  });
});
