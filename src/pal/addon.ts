// Loads the native half of the PAL (native/addon). Only src/pal/ imports this module.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/** Raw addon functions. Each returns a host error as a negative errno number. */
export interface PalAddon {
  syscall(nr: number, ...args: (number | bigint | Uint8Array | string | null)[]): number;
  seqpacketPair(): [number, number] | number;
  readMemory(pid: number, addr: number, buf: Uint8Array, len?: number): number;
  writeMemory(pid: number, addr: number, buf: Uint8Array, len?: number): number;
  readCString(pid: number, addr: number, max: number): string | number;
  watchChannel(fd: number, buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle;
  watchReadableOnce(fd: number, onReadable: () => void): ChannelWatchHandle;
  sendPacket(fd: number, bytes: Uint8Array, fds?: number[]): number;
}

export interface ChannelWatchHandle {
  stop(): void;
  unref(): void;
}

/** Root of the installed package (dist/pal/addon.js -> ../..). */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const STUB_PATH = path.join(PACKAGE_ROOT, 'native', 'stub', 'build', 'gramine-ts-stub');

const require = createRequire(import.meta.url);
export const addon: PalAddon = require(
  path.join(PACKAGE_ROOT, 'native', 'addon', 'build', 'Release', 'gramine_ts_pal.node'),
) as PalAddon;
