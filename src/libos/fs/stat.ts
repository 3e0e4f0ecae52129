// struct stat and struct statx (x86-64 layouts) for files the LibOS synthesizes, and the owner
// the host's stats show for the app processes' own host identity.
import { APP_HOST_ID } from '../../pal/channel-abi.js';

export const STAT_SIZE = 144;
export const STATX_SIZE = 256;


export interface StatFields {
  dev: bigint;
  ino: bigint;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  size: number;
  blksize: number;
  /** seconds since the epoch (atime = mtime = ctime) */
  time: number;
}

export function encodeStat(f: StatFields): Buffer {
  const b = Buffer.alloc(STAT_SIZE);
  b.writeBigUInt64LE(f.dev, 0);
  b.writeBigUInt64LE(f.ino, 8);
  b.writeBigUInt64LE(BigInt(f.nlink), 16);
  b.writeUInt32LE(f.mode, 24);
  b.writeUInt32LE(f.uid, 28);
  b.writeUInt32LE(f.gid, 32);
  b.writeBigInt64LE(BigInt(f.size), 48);
  b.writeBigInt64LE(BigInt(f.blksize), 56);
  // synthesized files take no blocks
  b.writeBigInt64LE(0n, 64);
  for (const off of [72, 88, 104]) b.writeBigInt64LE(BigInt(f.time), off);
  return b;
}

const STATX_BASIC_STATS = 0x7ff;

export function encodeStatx(f: StatFields): Buffer {
  const b = Buffer.alloc(STATX_SIZE);
  b.writeUInt32LE(STATX_BASIC_STATS, 0);
  b.writeUInt32LE(f.blksize, 4);
  b.writeUInt32LE(f.nlink, 16);
  b.writeUInt32LE(f.uid, 20);
  b.writeUInt32LE(f.gid, 24);
  b.writeUInt16LE(f.mode, 28);
  b.writeBigUInt64LE(f.ino, 32);
  b.writeBigUInt64LE(BigInt(f.size), 40);
  b.writeBigUInt64LE(0n, 48);
  for (const off of [64, 80, 96, 112]) b.writeBigInt64LE(BigInt(f.time), off);
  // st_dev as major:minor
  b.writeUInt32LE(Number((f.dev >> 8n) & 0xfffn), 136);
  b.writeUInt32LE(Number(f.dev & 0xffn), 140);
  return b;
}

/**
 * A host stat (`buf`: a struct stat, or a struct statx) for a process whose host identity is
 * APP_HOST_ID (a root instance's, LibosProcess.appHostIdentity): a file of that identity (a
 * socket file the worker bound for the app) is shown as the instance's root's, whose it would
 * be natively. The stub does the same with the stats it makes (owner_as_instance_root).
 */
export function showAppHostIdAsRoot(buf: Buffer): void {
  const at = buf.length === STATX_SIZE ? 20 : 28; // stx_uid, stx_gid; st_uid, st_gid
  for (const off of [at, at + 4]) if (buf.readUInt32LE(off) === APP_HOST_ID) buf.writeUInt32LE(0, off);
}

/** A stable inode number for a synthesized file (FNV-1a of its instance path). */
export function inodeOf(vpath: string): bigint {
  let h = 0xcbf29ce484222325n;
  for (let i = 0; i < vpath.length; i++) {
    h ^= BigInt(vpath.charCodeAt(i));
    h = (h * 0x100000001b3n) & 0xffffffffffffffffn;
  }
  return h;
}
