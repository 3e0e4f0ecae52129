// Loads the native half of the PAL (native/addon). Only src/pal/ imports this module.
import { createRequire } from 'node:module';
import { ADDON_PATH } from '../paths.js';

/** Raw addon functions. Each returns a host error as a negative errno number. */
export interface PalAddon {
  syscall(nr: number, ...args: (number | bigint | Uint8Array | Int32Array | string | null)[]): number;
  seqpacketPair(): [number, number] | number;
  readMemory(pid: number, addr: number, buf: Uint8Array, len?: number): number;
  writeMemory(pid: number, addr: number, buf: Uint8Array, len?: number): number;
  readCString(pid: number, addr: number, max: number): string | number;
  watchChannel(fd: number, buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle;
  watchReadableOnce(fd: number, onReadable: () => void): ChannelWatchHandle;
  sendPacket(fd: number, bytes: Uint8Array, fds?: number[]): number;
  receivePacket(fd: number, buf: Uint8Array): [number, ...number[]] | number;
  mapShared(fd: number, length: number): ArrayBuffer | number;
  /** one sendmsg of `bytes` with control messages `control`, without waiting or SIGPIPE: bytes sent, or -errno */
  sendMessage(fd: number, bytes: Uint8Array, control: Uint8Array, flags: number): number;
  /** posix_spawn of the stub: argv and envp as byte strings, `channelFd` as its fd 3; the pid, or -errno */
  spawnStub(path: string, argv: string[], envp: string[], cwdFd: number, channelFd: number): number;
}

export interface ChannelWatchHandle {
  stop(): void;
}

const require = createRequire(import.meta.url);
export const addon: PalAddon = require(ADDON_PATH) as PalAddon;
