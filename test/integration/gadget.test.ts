// The stub gadget (issue 14, item 2): the app jumps to the stub's own `syscall` instruction,
// which the seccomp filter allows by instruction pointer, and runs host system calls past the
// trap (test/programs/gadget.c). Under the instance's kernel boundary -- Landlock rules per
// mount, signal and abstract-socket scoping, no capabilities, no namespaces from the stub's
// code -- each attack fails and nothing outside changes: no host file read, made or written
// outside what the manifest grants, the host process still alive, the worker untouched, the
// host's network configuration and abstract sockets unreached. Each attack succeeded before
// the boundary (the commit that added it says so), run as host root as the CI runs.
// With the jail manifest (test/manifests/gadget.manifest.template.toml) only the program's
// directory is mounted; with the built-in one the host is mounted read-only but /tmp.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, chownSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitGone } from '../helpers/processes.js';
import { APP_HOST_ID } from '../../src/pal/channel-abi.js';
import { GRAMINE_TS, makeTempDir, program, REPO_ROOT, removeTempDir, runGramine, runNative } from '../helpers/run.js';

const TEMPLATE = path.join(REPO_ROOT, 'test', 'manifests', 'gadget.manifest.template.toml');
const PROGRAM = program('gadget-static');
const REFUSED = /^E[A-Z0-9]+$/;

let scratch: string;
let manifestPath: string;
/** a host directory outside the jail (and, under the built-in manifest, outside /tmp: read-only) */
let outside: string;

beforeAll(() => {
  scratch = makeTempDir('gts-gadget-');
  mkdirSync(path.join(scratch, 'root', 'hidden'), { recursive: true });
  writeFileSync(path.join(scratch, 'root', 'hidden', 'below'), 'mounted over\n');
  copyFileSync(PROGRAM, path.join(scratch, 'root', 'gadget'));
  manifestPath = path.join(scratch, 'gadget.manifest.toml');
  writeFileSync(manifestPath, readFileSync(TEMPLATE, 'utf8').replaceAll('@SCRATCH@', scratch));
  outside = mkdtempSync('/var/tmp/gts-gadget-');
  writeFileSync(path.join(outside, 'precious'), 'do not change me\n');
});

afterAll(() => {
  removeTempDir(scratch);
  rmSync(outside, { recursive: true, force: true });
});

const INSTANCES = ['jailed', 'built-in'] as const;
type Instance = (typeof INSTANCES)[number];

/** Run one attack; the program's verdict: "ok" (the host did it) or the errno name. */
async function attack(instance: Instance, ...args: string[]): Promise<string> {
  const r =
    instance === 'jailed'
      ? await runGramine(args, { encoding: 'utf8', gramineArgs: ['--manifest', manifestPath] })
      : await runGramine([PROGRAM, ...args], { encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  const m = /^([a-z-]+): (\S+)\n$/.exec(r.stdout);
  expect(m?.[1], r.stdout).toBe(args[0]);
  return m![2]!;
}

const python = (code: string[]) => ['-c', code.join('\n')];

/**
 * A host UNIX listener at `address` (a Python bytes literal: Node pads abstract names; Python
 * binds exactly this one). heardOnlyCheck connects once more itself, sending "check", and
 * says whether that was the first connection it accepted (none of an attack's came before).
 */
async function hostListener(address: string): Promise<{ heardOnlyCheck: () => Promise<boolean>; kill: () => void }> {
  const listener = spawn('python3', python([
    'import socket',
    's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
    `s.bind(${address})`,
    's.listen(8)',
    'print("READY", flush=True)',
    'while True:',
    '    c, _ = s.accept()',
    '    print(c.makefile().readline().strip() or "(nothing)", flush=True)',
    '    c.close()',
  ]), { stdio: ['ignore', 'pipe', 'inherit'] });
  let heard = '';
  const waiting: (() => void)[] = [];
  listener.stdout.on('data', (b: Buffer) => {
    heard += b.toString();
    for (const w of waiting.splice(0)) w();
  });
  const hear = (what: string) => new Promise<void>((resolve) => {
    const check = () => (heard.includes(what) ? resolve() : void waiting.push(check));
    check();
  });
  await hear('READY\n');
  return {
    heardOnlyCheck: async () => {
      execFileSync('python3', python([
        'import socket',
        's = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)',
        `s.connect(${address})`,
        's.sendall(b"check\\n")',
      ]));
      await hear('check\n');
      return heard === 'READY\ncheck\n';
    },
    kill: () => listener.kill('SIGKILL'),
  };
}

describe.each(INSTANCES)('the stub gadget (%s instance)', (instance) => {
  it('runs host calls past the trap (so that the attacks below are real)', async () => {
    const r =
      instance === 'jailed'
        ? await runGramine(['selftest'], { encoding: 'utf8', gramineArgs: ['--manifest', manifestPath] })
        : await runGramine([PROGRAM, 'selftest'], { encoding: 'utf8' });
    expect(r.stdout).toBe('selftest: host pid\n');
  });

  it('cannot make, write or truncate a host file outside what the manifest lets it write', async () => {
    const made = path.join(outside, `made-${randomBytes(4).toString('hex')}`);
    expect(await attack(instance, 'create', made)).toMatch(REFUSED);
    expect(existsSync(made)).toBe(false);
    const precious = path.join(outside, 'precious');
    expect(await attack(instance, 'write', precious)).toMatch(REFUSED);
    expect(readFileSync(precious, 'utf8')).toBe('do not change me\n');
  });

  it('cannot unlink a host file outside what the manifest lets it write, even one its host identity owns', async () => {
    // the filter lets the stub unlink (on writable mounts, native/stub/paths.c): the Landlock
    // domain judges, where the host's permissions would let it (a directory anyone may write,
    // a file of the app's host identity)
    const exposed = mkdtempSync('/var/tmp/gts-gadget-open-');
    try {
      chmodSync(exposed, 0o1777);
      const victim = path.join(exposed, 'victim');
      writeFileSync(victim, 'still here\n');
      if (process.getuid?.() === 0) chownSync(victim, APP_HOST_ID, APP_HOST_ID);
      expect(await attack(instance, 'unlink', victim)).toMatch(REFUSED);
      expect(readFileSync(victim, 'utf8')).toBe('still here\n');
    } finally {
      rmSync(exposed, { recursive: true, force: true });
    }
    // the control: where the instance writes (the built-in manifest's /tmp), the gadget's unlink is the host's
    if (instance === 'built-in') {
      const mine = mkdtempSync('/tmp/gts-gadget-mine-');
      try {
        chmodSync(mine, 0o1777);
        writeFileSync(path.join(mine, 'f'), '');
        if (process.getuid?.() === 0) chownSync(path.join(mine, 'f'), APP_HOST_ID, APP_HOST_ID);
        expect(await attack(instance, 'unlink', path.join(mine, 'f'))).toBe('ok');
        expect(existsSync(path.join(mine, 'f'))).toBe(false);
      } finally {
        rmSync(mine, { recursive: true, force: true });
      }
    }
  });

  it("cannot change a host file's metadata: its mode (by name, through a read-only fd), times, attributes", async () => {
    // the host lets a file's owner make each of these changes (the instance's host user owns
    // this one); Landlock does not judge them. Each attack made its change before the filter
    // refused them from the stub's text -- a set-user-id bit on any file of the host user's
    const precious = path.join(outside, 'precious');
    const attributes = () => execFileSync('python3', ['-c', 'import os, sys; print(os.listxattr(sys.argv[1]))', precious], { encoding: 'utf8' });
    const before = { stat: statSync(precious), attributes: attributes() };
    for (const change of ['chmod', 'fchmod', 'utime', 'xattr']) {
      expect(await attack(instance, change, precious), change).toMatch(REFUSED);
    }
    const after = statSync(precious);
    expect([after.mode, after.mtimeMs, after.ctimeMs, attributes()]).toEqual([before.stat.mode, before.stat.mtimeMs, before.stat.ctimeMs, before.attributes]);
  });

  // a lease holds up every other opener for writing, the host's too (for up to 45 s a break)
  it.each([[''], ['plain-']])('cannot take a lease on a host file it may not change (%s)', async (how) => {
    expect(await attack(instance, `${how}lease`, path.join(outside, 'precious'))).toMatch(REFUSED);
  });

  it('cannot signal a host process', async () => {
    const victim = spawn('sleep', ['120'], { stdio: 'ignore' });
    try {
      expect(await attack(instance, 'kill', String(victim.pid))).toMatch(REFUSED);
      expect(waitGone(victim.pid!, 500)).toBe(false);
    } finally {
      victim.kill('SIGKILL');
    }
  });

  it('has no host capabilities, now or after an exec (run as host root)', async () => {
    // effective|permitted|inheritable, then how many the bounding and ambient sets hold
    expect(await attack(instance, 'caps')).toBe('0/0/0');
  });

  it('is not host root (run as host root): its host ids are an identity no account has, which a root-only file refuses', async () => {
    // before, a root instance's app processes kept host root's uid, the owner of such files
    const id = APP_HOST_ID;
    expect(await attack(instance, 'ids')).toBe(`${id}/${id}/${id}:${id}/${id}/${id}`);
    // past the trap, a path is the host's (in a root instance's tree, each mount's host directory is at its host path)
    const onHost = instance === 'jailed' ? path.join(scratch, 'root', 'root-only') : path.join(outside, 'root-only');
    const inInstance = instance === 'jailed' ? '/root-only' : onHost;
    writeFileSync(onHost, 'for root\n', { mode: 0o600 });
    expect(await attack(instance, 'read', onHost)).toBe('EACCES');
    // the instance's root reads it, through its worker
    const honest = instance === 'jailed'
      ? await runGramine(['plain-read', inInstance], { encoding: 'utf8', gramineArgs: ['--manifest', manifestPath] })
      : await runGramine(['/bin/cat', inInstance], { encoding: 'utf8' });
    expect(honest.stdout).toMatch(instance === 'jailed' ? /^plain-read: ok\n$/ : /^for root\n$/);
  });

  it('cannot trace or write into its worker, nor make a user namespace', async () => {
    expect(await attack(instance, 'ptrace')).toMatch(REFUSED);
    expect(await attack(instance, 'vm-write')).toMatch(REFUSED);
    expect(await attack(instance, 'unshare')).toMatch(REFUSED);
  });

  it('cannot change a host process of its host user: priority, CPUs, policy, I/O class, limits', async () => {
    // a process without capabilities, as the host user's are when it is not root: the kernel's
    // own checks let its owner make each of these changes (each attack did, before the filter
    // refused them from the stub's text); it says "ready" once it has none
    const victim = spawn('setpriv', ['--inh-caps=-all', '--bounding-set=-all', 'sh', '-c', 'echo ready; exec sleep 120'],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((resolve) => victim.stdout.once('data', () => resolve()));
      const pid = victim.pid!;
      const state = () => {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
        const status = readFileSync(`/proc/${pid}/status`, 'utf8');
        return {
          nice: stat[16], policy: stat[38],
          capabilities: /^CapPrm:\s*(\S+)/m.exec(status)?.[1],
          cpus: /^Cpus_allowed_list:\s*(\S+)/m.exec(status)?.[1],
          io: execFileSync('ionice', ['-p', String(pid)], { encoding: 'utf8' }),
          files: /^Max open files.*$/m.exec(readFileSync(`/proc/${pid}/limits`, 'utf8'))?.[0],
        };
      };
      const before = state();
      expect(before.capabilities).toBe('0000000000000000');
      for (const change of ['renice', 'affinity', 'idle', 'ioprio', 'prlimit']) {
        expect(await attack(instance, change, String(pid)), change).toMatch(REFUSED);
      }
      expect(state()).toEqual(before);
    } finally {
      victim.kill('SIGKILL');
    }
  });

  // the host's IPC objects; the app's own calls reach the instance's (the leader's) instead
  it.each([[''], ['plain-']])('cannot remove a host System V object or POSIX message queue (%s)', async (how) => {
    const made = (['-M', '-Q', '-S'] as const).map((kind) => {
      const out = execFileSync('ipcmk', [kind, kind === '-S' ? '1' : '4096'], { encoding: 'utf8' });
      return /(\d+)\s*$/.exec(out)![1]!;
    });
    const [shm, msg, sem] = made as [string, string, string];
    const queue = `gts-gadget-${randomBytes(4).toString('hex')}`; // the kernel's name: no leading slash
    expect((await runNative([PROGRAM, 'plain-mq-create', queue], { encoding: 'utf8' })).stdout).toBe('plain-mq-create: ok\n');
    try {
      expect(await attack(instance, `${how}shm-remove`, shm)).toMatch(REFUSED);
      expect(await attack(instance, `${how}msg-remove`, msg)).toMatch(REFUSED);
      expect(await attack(instance, `${how}sem-remove`, sem)).toMatch(REFUSED);
      expect(await attack(instance, `${how}mq-unlink`, queue)).toMatch(REFUSED);
      for (const [kind, id] of [['-m', shm], ['-q', msg], ['-s', sem]] as const) {
        expect(execFileSync('ipcs', [kind, '-i', id], { encoding: 'utf8' })).toContain(`=${id}`);
      }
    } finally {
      for (const [kind, id] of [['-m', shm], ['-q', msg], ['-s', sem]] as const) spawnSync('ipcrm', [kind, id]);
      // it was still there to remove
      expect((await runNative([PROGRAM, 'plain-mq-unlink', queue], { encoding: 'utf8' })).stdout).toBe('plain-mq-unlink: ok\n');
    }
  });

  // through the gadget, and as the app makes these calls itself (through the trap: natively)
  it.each([[''], ['plain-']])('cannot open a packet socket, nor change the host network through netlink (%s)', async (how) => {
    const attackThus = (name: string, ...args: string[]) => attack(instance, `${how}${name}`, ...args);
    expect(await attackThus('packet')).toMatch(REFUSED);
    const address = `192.0.2.${1 + (randomBytes(1)[0]! % 254)}`;
    const aliasFile = '/sys/class/net/lo/ifalias';
    const aliasBefore = readFileSync(aliasFile, 'utf8');
    const alias = `gts-gadget-${randomBytes(4).toString('hex')}`;
    try {
      expect(await attackThus('netlink-addr', address)).toMatch(REFUSED);
      expect(await attackThus('netlink-alias', alias)).toMatch(REFUSED);
      expect(execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' })).not.toContain(address);
      expect(readFileSync(aliasFile, 'utf8')).toBe(aliasBefore);
    } finally {
      // undo what an attack that got through did to the host
      if (execFileSync('ip', ['-4', '-o', 'addr', 'show', 'dev', 'lo'], { encoding: 'utf8' }).includes(`${address}/`)) {
        execFileSync('ip', ['addr', 'del', `${address}/32`, 'dev', 'lo']);
      }
      if (readFileSync(aliasFile, 'utf8') !== aliasBefore) writeFileSync(aliasFile, aliasBefore);
    }
  });

  it('cannot reach a host abstract socket', async () => {
    const name = `gts-gadget-${randomBytes(6).toString('hex')}`;
    const listener = await hostListener(`b"\\0${name}"`);
    try {
      expect(await attack(instance, 'abstract', name)).toMatch(REFUSED);
      expect(await listener.heardOnlyCheck()).toBe(true);
    } finally {
      listener.kill();
    }
  });
});

describe('the stub gadget (built-in instance, in a terminal)', () => {
  it('cannot type into the terminal (TIOCSTI)', async () => {
    const r = await runNative(['script', '-qec', `${process.execPath} ${GRAMINE_TS} run ${PROGRAM} tiocsti`, '/dev/null']);
    expect(r.stdout.replace(/\r/g, '')).toMatch(/^tiocsti: E[A-Z0-9]+\n$/);
  });
});

describe('the stub gadget (jailed instance)', () => {
  // the built-in manifest grants the host's whole tree: a host socket is the instance's to reach
  it('cannot reach a host UNIX socket by its path outside the mounts', async () => {
    const socketPath = path.join(outside, `sock-${randomBytes(4).toString('hex')}`);
    const listener = await hostListener(JSON.stringify(socketPath));
    try {
      expect(await attack('jailed', 'unix', socketPath)).toMatch(REFUSED);
      expect(await listener.heardOnlyCheck()).toBe(true);
    } finally {
      listener.kill();
      rmSync(socketPath, { force: true });
    }
  });


  it('cannot read a host file outside the mounts', async () => {
    expect(await attack('jailed', 'read', path.join(outside, 'precious'))).toMatch(REFUSED);
    expect(await attack('jailed', 'read', '/etc/passwd')).toMatch(REFUSED);
  });
});

describe('the stub gadget, below a mount of the host', () => {
  // Each was read ("ok") before the Landlock rules left out what the instance mounts over.
  it('cannot read what the instance mounts over: the host\'s /proc, /dev and /sys (built-in)', async () => {
    for (const hidden of ['/proc/1/cmdline', '/proc/self/environ', '/dev/zero', '/sys/kernel/uevent_seqnum'])
      expect(await attack('built-in', 'read', hidden), hidden).toMatch(REFUSED);
    // what the instance shows of the host is read as before
    expect(await attack('built-in', 'read', '/etc/passwd')).toBe('ok');
  });

  it('cannot read the host files below a tmpfs of the jail', async () => {
    expect(await attack('jailed', 'read', path.join(scratch, 'root', 'hidden', 'below'))).toMatch(REFUSED);
    expect(await attack('jailed', 'read', path.join(scratch, 'root', 'gadget'))).toBe('ok');
  });
});

describe('under the boundary, a program that is root in the instance', () => {
  it('takes a lease on a file it may change, as natively, and owns its breaks', async () => {
    const file = path.join(scratch, 'leased');
    writeFileSync(file, 'x');
    const native = await runNative([PROGRAM, 'plain-lease', file], { encoding: 'utf8' });
    expect(native.stdout).toBe('plain-lease: ok\n');
    const r = await runGramine([PROGRAM, 'plain-lease', file], { encoding: 'utf8' });
    expect(r.stdout).toBe(native.stdout);
  });

  it('binds a port below 1024, as root does natively (its worker binds it)', async () => {
    const port = 900 + (randomBytes(1)[0]! % 100);
    const bind = [
      'python3', '-c',
      `import socket; s = socket.socket(); s.bind(("127.0.0.1", ${port})); print("bound", s.getsockname()[1])`,
    ];
    const native = await runNative(bind);
    const gramine = await runGramine(bind);
    expect(native.stdout).toBe(`bound ${port}\n`);
    expect(gramine.stderr).toBe('');
    expect(gramine.stdout).toBe(native.stdout);
  });
});
