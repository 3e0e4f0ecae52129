// The file-system view of the instance in one worker: the mount table the manifest describes,
// built from the configuration the leader sends, and the instance's scratch tmpfs (tmpfs mounts
// and the directories that stand for pseudo directories live there).
import { host, hostFdPath } from '../../pal/host.js';
import { encodePathTable, PATH_ALIAS, PATH_DEVICE, PATH_MOUNT_PARENT, PATH_STUB_OPENS, PATH_STUB_WRITES, PATH_TABLE_MAX, type PathTable, type PathTableEntry } from '../../pal/channel-abi.js';
import { stubAliases } from './stub-aliases.js';
import { stubSearchGrants } from './stub-search-grants.js';
import { check, Errno, SyscallError, Unsupported } from '../errno.js';
import type { Logger } from '../../log.js';
import { FileChecks, type FileCheckConfig, type TrustedCopies } from './trusted.js';
import { MountTable, type HostMount, type VfsMount } from './mount.js';
import { DentryCache } from './dentry-cache.js';
import type { EncryptedMount } from './encrypted/mount-info.js';
import { DEV_HOST_NODES, devRoot } from './dev/index.js';

const DEV_NULL = '/dev/null';
import { InstancePtys } from './dev/ptys.js';
import { procRoot } from './proc/index.js';
import { sysRoot } from './sys/index.js';
import { ENCRYPTED_MEMFD_PREFIX, MEMFD_PREFIX, PSEUDO_DIR, TRUSTED_COPIES_DIR, TRUSTED_MEMFD_PREFIX } from './scratch-names.js';
import { AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CLOEXEC, O_DIRECTORY, O_PATH, S_IFBLK, S_IFCHR, S_IFMT } from '../../pal/linux-abi.js';


/**
 * Where the manifest mounts what, as the leader sends it to each worker. `source` is the host
 * directory of a chroot mount, the directory in the scratch tmpfs of a tmpfs mount.
 */
export interface MountConfig {
  type: 'chroot' | 'tmpfs' | 'proc' | 'dev' | 'sys';
  path: string;
  source: string;
  readOnly: boolean;
  /** a host path of the root that is the same in every process ("" for a pseudo tree) */
  socketRoot: string;
  /** a mount of one file: its name in `source` ("" for a directory mount) */
  file: string;
  /** why nothing below the mount point may be opened, or "" */
  refusal: string;
  /** the refusal is the instance's policy (a hidden host directory), not a feature it lacks */
  hidden: boolean;
  /** an empty directory made up for a mount point whose parent is not in the tree */
  synthesized: boolean;
  /** its files only: no sub-directory may be entered or made (an untrusted_shm mount) */
  flat: boolean;
  /** an encrypted mount's key name and bound-name root, or null */
  encrypted: EncryptedMount | null;
}

export interface VfsConfig {
  /** fs.root first, then the mounts in order */
  mounts: MountConfig[];
  /** a host path that opens the root of the instance's scratch tmpfs (e.g. /proc/<leader>/fd/<n>) */
  scratchPath: string;
  /** the instance's prefix of abstract UNIX socket names on the host */
  abstractPrefix: string;
  fileChecks: FileCheckConfig | null;
  /** where an ELF interpreter the instance lacks is looked for by its file name (exec.ts) */
  interpreterDirs: string[];
  /** the directories of the first process's PATH (the stub resolves names below some: stub-search-grants.ts) */
  pathDirs?: readonly string[];
  /** the host pseudo-terminals the instance was started on: /dev/pts/N in its /dev */
  terminals: readonly string[];
  /**
   * a host path that opens the root of the file tree the app processes are rooted in (each
   * host mount's directory at its own host path: src/pal/instance-tree.ts), or null: the host's
   */
  instanceTree?: string | null;
}


/** What a file is on the host: its device and inode. */
export interface FileIdentity {
  dev: bigint;
  ino: bigint;
}

const statBuf = Buffer.alloc(144);

/** The identity of a worker host fd's file. */
export function identityOf(fd: number): FileIdentity {
  check(host.fstatat(fd, '', statBuf, AT_EMPTY_PATH), 'fstat');
  return { dev: statBuf.readBigUInt64LE(0), ino: statBuf.readBigUInt64LE(8) };
}

/** The device of a worker host fd (for the reverse map). */
function deviceOf(fd: number): bigint {
  return identityOf(fd).dev;
}

/**
 * What the kernel calls a worker host fd (its /proc/self/fd link): an object without a path
 * ("pipe:[12]", "socket:[34]", "anon_inode:[eventfd]"), a memfd by its name, or a host path
 * (without the " (deleted)" of a removed file).
 */
type KernelName =
  | { kind: 'object'; text: string }
  | { kind: 'memfd'; text: string; name: string }
  | { kind: 'path'; path: string; deleted: boolean };

function kernelNameOf(fd: number): KernelName {
  const text = hostFdPath(fd);
  if (!text.startsWith('/')) return { kind: 'object', text };
  const deleted = text.endsWith(' (deleted)');
  const path = deleted ? text.slice(0, -' (deleted)'.length) : text;
  if (path.startsWith('/memfd:')) return { kind: 'memfd', text, name: path.slice('/memfd:'.length) };
  return { kind: 'path', path, deleted };
}

export class Vfs {
  readonly mounts: MountTable;
  /**
   * the root of the instance's file tree (VfsConfig.instanceTree), or null: the host mounts'
   * roots are opened below it, so that every directory the app is handed lies in the tree
   */
  readonly instanceTreeFd: number | null;
  /** the scratch tmpfs: an O_PATH fd of its root, its device and host path */
  readonly scratchFd: number;
  readonly scratchDev: bigint;
  private readonly scratchHostRoot: string;
  readonly fileChecks: FileChecks | null;
  /**
   * Abstract UNIX socket names: the instance's second namespace of names beside its paths,
   * kept apart on the host by this prefix (the stub adds and removes it).
   */
  readonly abstractPrefix: string;
  readonly interpreterDirs: readonly string[];
  /** the host pseudo-terminals the instance was started on (its /dev/pts) */
  readonly terminals: readonly string[];
  /** the pseudo-terminals the instance made (/dev/ptmx), in its /dev/pts too */
  readonly ptys: InstancePtys;
  /** one buffer for every readlink of a walk */
  readonly linkBuffer = Buffer.alloc(4096);

  /** `offerTrusted`: hand the leader a verified copy of a trusted file (TrustedCopies.offer) */
  constructor(cfg: VfsConfig, log: Logger, offerTrusted: TrustedCopies['offer'] | null = null) {
    this.terminals = cfg.terminals;
    this.ptys = new InstancePtys(cfg.scratchPath);
    this.instanceTreeFd = cfg.instanceTree
      ? check(host.openat(AT_FDCWD, cfg.instanceTree, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), `instance tree ${cfg.instanceTree}`)
      : null;
    this.scratchFd = check(host.openat(AT_FDCWD, cfg.scratchPath, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), `scratch ${cfg.scratchPath}`);
    this.scratchDev = deviceOf(this.scratchFd);
    this.scratchHostRoot = hostFdPath(this.scratchFd);
    this.mounts = new MountTable(cfg.mounts.map((m) => this.mount(m)));
    const copiesDir = offerTrusted ? host.openat(this.scratchFd, TRUSTED_COPIES_DIR, O_PATH | O_DIRECTORY | O_CLOEXEC, 0) : -1;
    const copies = offerTrusted && copiesDir >= 0 ? { dirFd: copiesDir, offer: offerTrusted } : null;
    this.fileChecks = cfg.fileChecks ? new FileChecks(cfg.fileChecks, log, undefined, copies) : null;
    this.abstractPrefix = cfg.abstractPrefix;
    this.interpreterDirs = cfg.interpreterDirs;
    // a host mount's files are the stub's to open for reading when no file check applies to them
    const stubOpens = (m: VfsMount) =>
      m.kind === 'host' && (m.type === 'tmpfs' || !this.fileChecks || this.fileChecks.passesUnseen);
    // the stub resolves paths below a directory it holds; a single file, a refused mount, one
    // of files only (whose sub-directories the walk refuses) or an encrypted one (its files
    // are opened as their plaintext copies) is the worker's
    const stubResolves = (m: VfsMount): m is HostMount =>
      m.kind === 'host' && m.file === null && m.refusal === null && !m.flat && m.encrypted === null;
    this.stubOpensBelow = (m) => stubResolves(m) && stubOpens(m);
    // ...and to write, create and unlink, as the app's host identity, on a writable one
    const stubWrites = (m: VfsMount) => stubResolves(m) && stubOpens(m) && !m.readOnly;
    const visible = this.mounts.list.filter((m) => this.mounts.at(m.path) === m);
    const devices = this.stubDevices();
    const aliases = visible.filter(stubResolves).flatMap((m) => stubAliases(m, this.mounts, this.linkBuffer))
      .slice(0, Math.max(0, PATH_TABLE_MAX - visible.length - devices.length));
    const grants = stubSearchGrants(cfg.pathDirs ?? [], this.mounts, (m) => stubResolves(m) && stubOpens(m),
      PATH_TABLE_MAX - visible.length - devices.length - aliases.length);
    this.stubPathTable = encodePathTable([
      ...visible.map((m) => ({
        prefix: m.path, rootFd: stubResolves(m) ? m.rootFd : null,
        flags: (stubOpens(m) ? PATH_STUB_OPENS : 0) | (stubWrites(m) ? PATH_STUB_WRITES : 0),
      })),
      ...devices,
      ...aliases.map((a) => ({ prefix: `${a.link}\0${a.target}`, rootFd: null, flags: PATH_ALIAS })),
      // (as mounts of their own directory: the stub resolves below them, from their fds)
      ...grants.map((g) => ({ prefix: g.path, rootFd: g.fd, flags: PATH_STUB_OPENS })),
      // their listing is the worker's (the mount points in them are not in the host directory)
      ...this.mounts.mountPointParents.map((dir) => ({ prefix: dir, rootFd: null, flags: PATH_MOUNT_PARENT })),
    ]);
  }

  /**
   * The host devices the stub opens itself, for an open of their instance path: /dev/null, the
   * one a script opens most (`> /dev/null`), when the instance's is the host's (its /dev, not
   * something mounted over it). Its O_PATH fd goes with the path table.
   */
  private stubDevices(): PathTableEntry[] {
    const dev = this.mounts.at('/dev');
    if (dev?.kind !== 'pseudo' || dev.type !== 'dev' || this.mounts.at(DEV_NULL)) return [];
    const fd = host.openat(AT_FDCWD, DEV_HOST_NODES.null!, O_PATH | O_CLOEXEC, 0);
    return fd < 0 ? [] : [{ prefix: DEV_NULL, rootFd: fd, flags: PATH_DEVICE }];
  }

  private mount(m: MountConfig): VfsMount {
    const special = { file: m.file || null, refusal: m.refusal || null, hidden: m.hidden, synthesized: m.synthesized, flat: m.flat, encrypted: m.encrypted };
    switch (m.type) {
      case 'chroot': {
        // in the instance's tree, the host path is the same below its root
        const rootFd = check(this.instanceTreeFd === null
          ? host.openat(AT_FDCWD, m.source, O_PATH | O_DIRECTORY | O_CLOEXEC, 0)
          : host.openat(this.instanceTreeFd, m.source.slice(1) || '.', O_PATH | O_DIRECTORY | O_CLOEXEC, 0), `mount ${m.source} at ${m.path}`);
        return {
          kind: 'host', type: 'chroot', path: m.path, rootFd, hostRoot: hostFdPath(rootFd), dev: null, readOnly: m.readOnly,
          source: m.file ? `${m.source}/${m.file}` : m.source, known: m.readOnly && !m.file ? new DentryCache(rootFd) : null,
          socketRoot: m.socketRoot, ...special,
        };
      }
      case 'tmpfs': {
        const rootFd = check(host.openat(this.scratchFd, m.source, O_PATH | O_DIRECTORY | O_CLOEXEC, 0), `tmpfs at ${m.path}`);
        return {
          // the scratch tmpfs, or a tmpfs of its own mounted there (a mount with a size)
          kind: 'host', type: 'tmpfs', path: m.path, rootFd, hostRoot: hostFdPath(rootFd), dev: deviceOf(rootFd), readOnly: m.readOnly,
          source: 'tmpfs', known: null, socketRoot: m.socketRoot, ...special,
        };
      }
      case 'proc':
        return { kind: 'pseudo', type: 'proc', path: m.path, root: procRoot() };
      case 'dev':
        return { kind: 'pseudo', type: 'dev', path: m.path, root: devRoot(this.terminals, this.ptys) };
      case 'sys':
        return { kind: 'pseudo', type: 'sys', path: m.path, root: sysRoot() };
    }
  }

  /** The instance path of a host path on device `dev`, or null if it is not in the tree. */
  hostToVirtual(hostPath: string, dev: bigint): string | null {
    if (dev === this.scratchDev) {
      const pseudo = `${this.scratchHostRoot === '/' ? '' : this.scratchHostRoot}/${PSEUDO_DIR}`;
      if (hostPath === pseudo) return null;
      if (hostPath.startsWith(`${pseudo}/`)) return hostPath.slice(pseudo.length);
    }
    return this.mounts.hostToVirtual(hostPath, dev);
  }

  /**
   * What a worker host fd is in the instance: its instance path, the kernel's text for objects
   * without one ("pipe:[12]", "socket:[34]", "anon_inode:[eventfd]"), or null for a file
   * outside the instance's tree. A removed file keeps Linux's " (deleted)".
   */
  virtualPathOfHostFd(fd: number): string | null {
    const f = kernelNameOf(fd);
    switch (f.kind) {
      case 'object':
        return f.text;
      case 'memfd':
        // pseudo files and trusted files are memfds named after their instance path
        if (f.name.startsWith(MEMFD_PREFIX)) return f.name.slice(MEMFD_PREFIX.length);
        // a trusted file's verified copy stands for the file (a long path's name is cut: no name)
        if (f.name.startsWith(`${TRUSTED_MEMFD_PREFIX}/`)) return this.hostPathToVirtual(f.name.slice(TRUSTED_MEMFD_PREFIX.length));
        // so does an encrypted file's plaintext copy (named when it was made: a rename since is not seen)
        if (f.name.startsWith(`${ENCRYPTED_MEMFD_PREFIX}/`)) return this.hostPathToVirtual(f.name.slice(ENCRYPTED_MEMFD_PREFIX.length));
        return f.text;
      case 'path': {
        const vpath = this.hostToVirtual(f.path, deviceOf(fd));
        return vpath === null ? null : f.deleted ? `${vpath} (deleted)` : vpath;
      }
    }
  }

  /**
   * May the app change the metadata (mode, owner, times, attribute flags) of worker host fd
   * `fd` through it? 0, or the errno Linux gives: EROFS for a file only read-only mounts hold
   * (or a trusted file's verified copy), EPERM for the pseudo trees and the host's device files
   * (the instance's /dev is not the host's to change). Objects without a path (pipes, sockets,
   * the app's own memfds) are the app's.
   */
  metadataChangeRefusal(fd: number): number {
    const f = kernelNameOf(fd);
    if (f.kind === 'object') return 0;
    if (f.kind === 'memfd') {
      if (f.name.startsWith(MEMFD_PREFIX)) return Errno.EPERM;
      return f.name.startsWith(`${TRUSTED_MEMFD_PREFIX}/`) ? Errno.EROFS : 0;
    }
    check(host.fstatat(fd, '', statBuf, AT_EMPTY_PATH), 'fstat');
    const type = statBuf.readUInt32LE(24) & S_IFMT;
    if (type === S_IFCHR || type === S_IFBLK) return Errno.EPERM;
    const dev = statBuf.readBigUInt64LE(0);
    if (this.mounts.writableMountHolds(f.path, dev)) return 0;
    // the scratch files no tmpfs holds are the pseudo trees'
    return dev === this.scratchDev ? Errno.EPERM : Errno.EROFS;
  }

  /** Does instance path `vpath` (canonical, on a host mount) still name the file `id`? */
  stillNames(vpath: string, id: FileIdentity): boolean {
    const { mount, rel } = this.mounts.containing(vpath);
    if (mount.kind !== 'host') return false;
    const name = rel === '' ? mount.file ?? '' : rel;
    const r = name === '' ? host.fstatat(mount.rootFd, '', statBuf, AT_EMPTY_PATH) : host.fstatat(mount.rootFd, name, statBuf, AT_SYMLINK_NOFOLLOW);
    return r === 0 && statBuf.readBigUInt64LE(0) === id.dev && statBuf.readBigUInt64LE(8) === id.ino;
  }

  /** The instance path of a host path (for /proc of other processes), or null. */
  hostPathToVirtual(hostPath: string): string | null {
    const st = Buffer.alloc(144);
    if (host.fstatat(AT_FDCWD, hostPath, st, AT_SYMLINK_NOFOLLOW) < 0) return null;
    return this.hostToVirtual(hostPath, st.readBigUInt64LE(0));
  }

  /**
   * The stub's path table (sent with every HELLO): the mounts, a host mount's root as this
   * worker's fd of it (it rides along with the HELLO), a pseudo tree as the worker's alone,
   * and whether the stub may open files of the mount itself; then the directories with mount
   * points in them. A mount hidden by a later one at the same place is not in the tree.
   */
  readonly stubPathTable: PathTable;
  private readonly stubOpensBelow: (m: VfsMount) => boolean;

  /**
   * Whether the stub may resolve relative paths below the working directory `cwd` (an instance
   * path, the process's root being the instance's) itself: it lies in a mount of the path table
   * whose files the stub opens, and no mount point of the instance lies below it, so that
   * whatever the host finds beneath it, through no symlink and no "..", is what the walk finds.
   */
  stubResolvesBelow(cwd: string): boolean {
    return !this.mounts.hasMountPointBelow(cwd) && this.stubOpensBelow(this.mounts.containing(cwd).mount);
  }


  /** An access below a mount that refuses every one: EACCES, an unsupported feature of the instance's. */
  refuse(mount: HostMount, vpath: string): never {
    const why = mount.refusal ?? `the mount at ${mount.path} (${vpath})`;
    // a hidden directory is as one the app may not search; anything else the mount is not
    // supported for, the instance logs once and names at the end
    if (mount.hidden) throw new SyscallError(Errno.EACCES, `${vpath}: ${why}`);
    throw new Unsupported(Errno.EACCES, why);
  }

  /** The mounts as /proc/mounts lists them (not the directories made up for mount points). */
  mountList(): { path: string; type: string; source: string; readOnly: boolean }[] {
    return this.mounts.list.filter((m) => m.kind !== 'host' || !m.synthesized).map((m) =>
      m.kind === 'host'
        ? { path: m.path, type: m.type === 'tmpfs' ? 'tmpfs' : 'chroot', source: m.source, readOnly: m.readOnly }
        : { path: m.path, type: m.type === 'dev' ? 'devtmpfs' : m.type === 'sys' ? 'sysfs' : 'proc', source: m.type, readOnly: false });
  }
}


export type { HostMount };
