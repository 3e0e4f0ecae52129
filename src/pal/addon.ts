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
  /** a NULL-terminated array of C strings (argv, envp): the strings, or (want false) the bytes they take; -errno */
  readStringArray(pid: number, addr: number, maxCount: number, maxBytes: number, want: boolean): string[] | number;
  watchChannel(fd: number, buf: Uint8Array, onPacket: (len: number) => void): ChannelWatchHandle;
  watchReadableOnce(fd: number, onReadable: () => void): ChannelWatchHandle;
  sendPacket(fd: number, bytes: Uint8Array, fds?: number[]): number;
  receivePacket(fd: number, buf: Uint8Array): [number, ...number[]] | number;
  mapShared(fd: number, length: number): ArrayBuffer | number;
  /** one sendmsg of `bytes` with control messages `control`, without waiting or SIGPIPE: bytes sent, or -errno */
  sendMessage(fd: number, bytes: Uint8Array, control: Uint8Array, flags: number): number;
  /** posix_spawn of the stub: argv and envp as byte strings, `channelFd` as its fd 3; the pid, or -errno */
  spawnStub(path: string, argv: string[], envp: string[], cwdFd: number, channelFd: number): number;
  /**
   * AES-128-GCM, IV all zero, no AAD, over n = entries.length / 32 nodes of plain.length / n
   * bytes: node i of `plain` sealed into `sealed` under the key in entries[32i, 32i + 16), its tag
   * written to entries[32i + 16, 32i + 32). n, or -errno (an OpenSSL failure).
   */
  gcmSealNodes(entries: Uint8Array, plain: Uint8Array, sealed: Uint8Array): number;
  /**
   * The reverse, in order: how many nodes authenticate before the first that does not (n when all
   * do; that one's plain bytes are zeroed, the later ones not opened), or -errno.
   */
  gcmOpenNodes(entries: Uint8Array, sealed: Uint8Array, plain: Uint8Array): number;
  /** open of the FIFO `pathFd` (O_PATH; copied) with flags | O_CLOEXEC on a thread of its own, which writes 1 to `eventFd` (copied) when it has returned; or -errno */
  fifoOpenStart(pathFd: number, flags: number, eventFd: number): FifoOpenHandle | number;
  /** the open's fd or -errno once it has returned, else null */
  fifoOpenResult(handle: FifoOpenHandle): number | null;
  /** given up: ended with EINTR if it still waits (nothing else is woken), its fd closed if it returned one */
  fifoOpenEnd(handle: FifoOpenHandle): void;
}

/** An open of a FIFO made on a thread of its own (native/addon/fifo-open.cc). */
export interface FifoOpenHandle {
  readonly __fifoOpen: unique symbol;
}

export interface ChannelWatchHandle {
  stop(): void;
}

const require = createRequire(import.meta.url);
export const addon: PalAddon = require(ADDON_PATH) as PalAddon;
