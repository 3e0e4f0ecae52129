// The pseudo-terminals the instance made (/dev/ptmx: openpty, script): their slaves are in its
// /dev/pts beside the terminal it started on; no other host terminal is. The processes of the
// instance share the list through the scratch tmpfs (a file per pty, made before the open of
// /dev/ptmx returns to the app). A pty number the host has given to someone else since is no
// longer the instance's: each entry keeps its slave's inode and change time, which a new pty of
// that number does not have.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { host } from '../../../pal/host.js';

const TIOCGPTN = 0x80045430;
const PTYS_DIR = 'ptys';

/** The slave of pty `n` as it is now: inode, device and change time; null if there is none. */
function slaveIdentity(n: string): string | null {
  const st = Buffer.alloc(144);
  if (!/^\d+$/.test(n) || host.fstatat(-100, `/dev/pts/${n}`, st, 0) < 0) return null;
  return [8, 40, 104, 112].map((at) => st.readBigUInt64LE(at)).join(':');
}

export class InstancePtys {
  private readonly dir: string;

  /** `scratch`: a path of the instance's scratch tmpfs that every worker of the instance opens alike. */
  constructor(scratch: string) {
    this.dir = `${scratch}/${PTYS_DIR}`;
  }

  /** The app opened /dev/ptmx as worker host fd `master`: its slave is the instance's. */
  opened(master: number): void {
    const n = Buffer.alloc(4);
    if (host.ioctl(master, TIOCGPTN, n) < 0) return;
    const name = String(n.readUInt32LE(0));
    const id = slaveIdentity(name);
    if (id === null) return;
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    writeFileSync(`${this.dir}/${name}`, id);
  }

  /** Is /dev/pts/`name` a pty the instance made, and still the same one? */
  has(name: string): boolean {
    try {
      return slaveIdentity(name) === readFileSync(`${this.dir}/${name}`, 'latin1');
    } catch {
      return false;
    }
  }

  /** The instance's ptys that are still there. */
  names(): string[] {
    try {
      return readdirSync(this.dir).filter((n) => this.has(n));
    } catch {
      return [];
    }
  }
}
