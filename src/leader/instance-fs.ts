// The instance's file-system view as the leader sets it up: the scratch tmpfs (tmpfs mounts and
// the stand-ins of pseudo directories live there) and the mount list every worker gets.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { host } from '../pal/host.js';
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

/** A mount the manifest asks for that the host cannot give. */
export class MountError extends Error {}

/** A chroot mount's host directory must be there before any worker is told of it. */
function checkHostDirectory(manifest: Manifest, m: { path: string; uri: string; hostPath: string }): void {
  const fd = host.openat(-100, m.hostPath, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) {
    const where = manifest.sourcePath ?? 'the built-in manifest';
    throw new MountError(`${where}: mount of ${m.uri} at ${m.path}: ${m.hostPath} is not a directory the host can open (${errnoName(-fd)})`);
  }
  host.close(fd);
}

/** The mounts of `manifest` as workers get them (the tmpfs ones made in `scratch`). */
export function mountMessages(manifest: Manifest, scratch: InstanceScratch): MountMessage[] {
  const out: MountMessage[] = [];
  for (const m of [manifest.root, ...manifest.mounts]) {
    switch (m.type) {
      case 'chroot':
        checkHostDirectory(manifest, m);
        out.push({ type: 'chroot', path: m.path, source: m.hostPath, readOnly: m.readOnly });
        break;
      case 'tmpfs':
        out.push({ type: 'tmpfs', path: m.path, source: scratch.mkdir(`mounts/${out.length}`), readOnly: false });
        break;
      case 'encrypted':
        throw new MountError(`${manifest.sourcePath ?? 'manifest'}: mount at ${m.path}: encrypted mounts are not supported yet`);
      default:
        out.push({ type: m.type, path: m.path, source: m.type, readOnly: false });
        // /dev/shm is a tmpfs of the instance's, shared by its processes
        if (m.type === 'dev') {
          out.push({ type: 'tmpfs', path: `${m.path === '/' ? '' : m.path}/shm`, source: scratch.mkdir(`mounts/${out.length}`), readOnly: false });
        }
    }
  }
  return out;
}
