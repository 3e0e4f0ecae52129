// The instance's file-system view as the leader sets it up: the scratch tmpfs (tmpfs mounts and
// the stand-ins of pseudo directories live there) and the mount list every worker gets.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { host } from '../pal/host.js';
import { ABSTRACT_PREFIX_LEN } from '../pal/channel-abi.js';
import type { Manifest } from '../manifest/index.js';
import type { Message } from '../ipc/protocol/messages.js';
import { O_CLOEXEC, O_DIRECTORY, O_PATH } from '../pal/linux-abi.js';
import { errnoName } from '../libos/errno.js';


type MountMessage = Message<'instance-config'>['mounts'][number];

/**
 * A tmpfs for the instance alone. A detached mount (fsopen/fsmount; root here) is reachable
 * only through its fds, so nothing is left behind even if the leader is killed; without the
 * privilege for that, a directory in /dev/shm (a tmpfs too) removed when the instance ends.
 */
export class InstanceScratch {
  /** what a worker opens to reach the scratch root */
  readonly path: string;
  private readonly fd: number;
  private readonly dir: string | null;

  constructor() {
    const mnt = host.detachedTmpfs();
    if (mnt >= 0) {
      this.fd = mnt;
      this.dir = null;
      this.path = `/proc/${process.pid}/fd/${mnt}`;
    } else {
      const base = path.join(process.platform === 'linux' ? '/dev/shm' : os.tmpdir(), 'gramine-ts-');
      this.dir = mkdtempSync(base);
      this.fd = host.openat(-100, this.dir, O_DIRECTORY | O_CLOEXEC, 0);
      if (this.fd < 0) throw new Error(`scratch directory ${this.dir}: errno ${-this.fd}`);
      this.path = this.dir;
    }
    this.mkdir('pseudo');
    this.mkdir('mounts');
  }

  /** An O_PATH fd of a directory of the scratch tmpfs (the caller closes it). */
  open(name: string): number {
    return host.openat(this.fd, name, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  }

  /** Make a directory of the scratch tmpfs (for a tmpfs mount); its name there. */
  mkdir(name: string): string {
    const r = host.mkdirat(this.fd, name, 0o1777);
    if (r < 0) throw new Error(`scratch tmpfs: mkdir ${name}: errno ${-r}`);
    return name;
  }

  dispose(): void {
    host.close(this.fd);
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * The roots of the instance's host mounts, held open by the leader for the instance's life, so
 * that each has a host path that is the same in every process (/proc/<leader>/fd/<n>): the
 * stub binds a UNIX socket through it when the app's own path would not reach the socket's
 * directory on the host, and the workers know such an address again by it.
 */
export class MountRoots {
  private readonly fds: number[] = [];

  /** Hold `fd` (an O_PATH fd of a mount's root, or -errno); its path for every process. */
  hold(fd: number, what: string): string {
    if (fd < 0) throw new MountError(`${what}: errno ${errnoName(-fd)}`);
    this.fds.push(fd);
    return `/proc/${process.pid}/fd/${fd}`;
  }

  dispose(): void {
    for (const fd of this.fds.splice(0)) host.close(fd);
  }
}

/**
 * The instance's abstract UNIX socket names carry this prefix on the host (the stub adds and
 * removes it): random, so that two instances, or an instance and the host, never meet.
 */
export function abstractSocketPrefix(): string {
  const alphabet = 'abcdefghijklmnopqrstuvwxyz0123456789';
  return Array.from(randomBytes(ABSTRACT_PREFIX_LEN), (b) => alphabet[b % alphabet.length]).join('');
}

/** A mount the manifest asks for that the host cannot give. */
export class MountError extends Error {}

/** A chroot mount's host directory must be there before any worker is told of it: its root, held. */
function hostDirectoryRoot(manifest: Manifest, m: { path: string; uri: string; hostPath: string }, roots: MountRoots): string {
  const fd = host.openat(-100, m.hostPath, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) {
    const where = manifest.sourcePath ?? 'the built-in manifest';
    throw new MountError(`${where}: mount of ${m.uri} at ${m.path}: ${m.hostPath} is not a directory the host can open (${errnoName(-fd)})`);
  }
  return roots.hold(fd, `mount at ${m.path}`);
}

/** A tmpfs mount: a new directory of the scratch tmpfs. */
function tmpfsMount(path: string, scratch: InstanceScratch, roots: MountRoots, index: number): MountMessage {
  const source = scratch.mkdir(`mounts/${index}`);
  return { type: 'tmpfs', path, source, readOnly: false, socketRoot: roots.hold(scratch.open(source), `tmpfs at ${path}`) };
}

/** The mounts of `manifest` as workers get them (the tmpfs ones made in `scratch`, every root held in `roots`). */
export function mountMessages(manifest: Manifest, scratch: InstanceScratch, roots: MountRoots): MountMessage[] {
  const out: MountMessage[] = [];
  for (const m of [manifest.root, ...manifest.mounts]) {
    switch (m.type) {
      case 'chroot':
        out.push({ type: 'chroot', path: m.path, source: m.hostPath, readOnly: m.readOnly, socketRoot: hostDirectoryRoot(manifest, m, roots) });
        break;
      case 'tmpfs':
        out.push(tmpfsMount(m.path, scratch, roots, out.length));
        break;
      case 'encrypted':
        throw new MountError(`${manifest.sourcePath ?? 'manifest'}: mount at ${m.path}: encrypted mounts are not supported yet`);
      default:
        out.push({ type: m.type, path: m.path, source: m.type, readOnly: false, socketRoot: '' });
        // /dev/shm is a tmpfs of the instance's, shared by its processes
        if (m.type === 'dev') out.push(tmpfsMount(`${m.path === '/' ? '' : m.path}/shm`, scratch, roots, out.length));
    }
  }
  return out;
}
