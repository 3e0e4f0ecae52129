// The stub <-> worker channel ABI: the TypeScript mirror of native/stub/abi.h.

export const ABI_VERSION = 13;

export const REQ_HELLO = 1;
export const REQ_SYSCALL = 2;
export const REQ_TRACE = 3;
export const REQ_FORKED = 4;
export const REQ_SIGNALS = 5;
export const REQ_CHILD_STARTED = 6;
export const REQ_PID_LOOKUP = 7;
export const REQ_GROUP_CHILDREN = 8;
export const REQ_CHILD_REAPED = 9;
export const REQ_UNIX_NAME = 10;
export const REQ_UCRED = 11;
export const REQ_THREAD_STARTED = 12;
export const REQ_MAIN_THREAD_EXITS = 13;
export const REQ_NEW_THREAD = 14;
export const REQ_THREAD_EXITS = 15;
export const REQ_STRACE = 16;
/** no reply: the call this thread was told to wait for (REPLY_WAIT) is given up */
export const REQ_ABANDON = 17;
export const REQ_EXECED = 18;
/** the stub forked alone into the standby it held; the reply (which it takes later) may bring the next */
export const REQ_FORKED_LOCALLY = 19;
/** a spawned stub's first request, before it places its channel: how far up the instance's fds go */
export const REQ_PLACE = 20;
/** no reply: the process's umask is args[0] now (its stub set it alone), said before its next word */
export const REQ_UMASK = 21;
/** in a fork request's args[5]: the stub holds no prefetched standby and can take one */
export const FORK_TAKES_PREFETCH = 1;
/** standbys a stub holds at most */
export const PREFETCH_MAX = 2;
/** a forked child is pinned beside its worker-to-be only among this many other running children of its parent (a burst) */
export const PIN_AMONG = 2;
/** struct gts_fork_reply: cpu, prefetches, then PREFETCH_MAX x (vpid, cpu) (int32 each) */
export const FORK_REPLY_SIZE = 24;
/** struct gts_strace_result: ret (int64), returned (uint64), after a REQ_STRACE request */
export const STRACE_RESULT_SIZE = 16;

export const LOOKUP_HOST_OF_VPID = 0;
export const LOOKUP_VPID_OF_HOST = 1;
export const LOOKUP_UID_OF_VPID = 2;
export const LOOKUP_HOST_OF_VPGID = 3;
export const LOOKUP_VPGID_OF_HOST = 4;
export const LOOKUP_VSID_OF_HOST = 5;
export const GROUP_CHILDREN_MAX = 64;
export const UCRED_TO_HOST = 0;
export const UCRED_SENT = 1;
export const UCRED_PEER = 2;

export const DOORBELL_SIGNAL = 64;
export const SIGINFO_SIZE = 128;
export const SIGNALS_MAX = 31;
/** struct gts_signals_reply: count u32, for_thread u32 (then the siginfos). */
export const SIGNALS_REPLY_SIZE = 8;
/** si_value of a SIGCONT the worker sends for a kill (SI_USER), or + 1 for a tkill (SI_TKILL) */
export const SIGCONT_MARK = 0x67747343;
export const TRACE_BITMAP_BYTES = 64;

/** struct gts_request: kind u32, host_tid u32, nr u64, args u64[6], ip u64, seq u64. */
export const REQUEST_SIZE = 80;
export const REQUEST_OFFSETS = { kind: 0, hostTid: 4, nr: 8, args: 16, ip: 64, seq: 72 } as const;

export const REPLY_FD = 0x1;
export const REPLY_FD_CLOEXEC = 0x2;
export const REPLY_FORK = 0x4;
export const REPLY_EXEC = 0x8;
export const REPLY_CWD = 0x10;
export const REPLY_TARGET = 0x40;
export const REPLY_SEM = 0x80;
export const REPLY_PGRP = 0x100;
/** not yet: the fd is an eventfd to wait on before the call is made again */
export const REPLY_WAIT = 0x200;
/** setrlimit of RLIMIT_NOFILE: data = the host limit (cur, max: u64) for the stub to set on itself */
export const REPLY_RLIMIT = 0x400;
/** with REPLY_CWD: the stub resolves relative paths below the new working directory (HELLO_CWD_BENEATH); data: its instance path */
export const REPLY_CWD_BENEATH = 0x800;
/** with REPLY_FD: the worker holds a copy until a REPLY_RELEASED packet of the same seq, which the stub waits for */
export const REPLY_FD_HELD = 0x1000;
export const REPLY_RELEASED = 0x2000;
/** struct gts_pgrp_reply: host_pid i32, host_pgid i32 */
export const PGRP_REPLY_SIZE = 8;
/** struct gts_reply: ret i64, flags u32, data_len u32, seq u64 (the request's). */
export const REPLY_HEADER_SIZE = 24;
export const REPLY_SEQ_OFFSET = 16;

/** A reply's header (struct gts_reply): ret, flags, data length, the request's seq. */
export function replyHeader(ret: number, flags: number, dataLen: number, seq: bigint, into = Buffer.alloc(REPLY_HEADER_SIZE)): Buffer {
  into.writeBigInt64LE(BigInt(ret), 0);
  into.writeUInt32LE(flags, 8);
  into.writeUInt32LE(dataLen, 12);
  into.writeBigUInt64LE(seq, REPLY_SEQ_OFFSET);
  return into;
}

/**
 * A fork's reply (struct gts_fork_reply after the header): the child's vpid (or -errno) as
 * ret, its CPU (-1: anywhere), and the prefetched standbys, each its vpid and CPU (their fds,
 * and the child's, go with the packet).
 */
export function forkReplyPacket(ret: number, seq: bigint, cpu: number | null, prefetches: readonly { vpid: number; cpu: number | null }[]): Buffer {
  const body = Buffer.alloc(FORK_REPLY_SIZE);
  body.writeInt32LE(cpu ?? -1, 0);
  body.writeInt32LE(prefetches.length, 4);
  prefetches.forEach((p, i) => {
    body.writeInt32LE(p.vpid, 8 + 8 * i);
    body.writeInt32LE(p.cpu ?? -1, 12 + 8 * i);
  });
  return Buffer.concat([replyHeader(ret, REPLY_FORK, body.length, seq), body]);
}

export const HELLO_HAS_INTERP = 0x1;
export const HELLO_TRACE = 0x2;
export const HELLO_RESET_SIGNALS = 0x4;
export const HELLO_SUBREAPER = 0x8;
export const HELLO_STRACE = 0x10;
/** the first process does not enter the instance's kernel boundary (insecure: for measuring its cost only) */
export const HELLO_NO_SANDBOX = 0x20;
export const HELLO_FOREGROUND = 0x40;
/** the first process of a root instance: the tree's root and the working directory in it follow the program's fds */
export const HELLO_CHROOT = 0x80;
/** the first process of a root instance takes host uid and gid APP_HOST_ID (not host root) in the kernel boundary */
export const HELLO_APP_IDENTITY = 0x100;
export const APP_HOST_ID = 2147418112;
/** the working directory is below a mount the stub opens files of, with no mount point below it: relative paths are the stub's to resolve */
export const HELLO_CWD_BENEATH = 0x200;
/** made by the stub alone for its own exec: a forked child that has not said FORKED yet (the worker never sets it) */
export const HELLO_FORK_UNTOLD = 0x400;
/** a standby for the image's first fork rides along (fds after the program's and the tree's; prefetch_vpid, prefetch_cpu) */
export const HELLO_PREFETCH = 0x800;
/** nofile_cur and nofile_max are the process's RLIMIT_NOFILE as the LibOS has it: the stub answers gets of it until a set */
export const HELLO_NOFILE = 0x1000;
/** made by the stub alone for its own exec: the umask in it is one the worker has not heard of (the worker never sets it) */
export const HELLO_UMASK_UNTOLD = 0x2000;
/** struct gts_hello_reply: abi_version u32, flags u32, vpid i32, execfn_len u32, abstract_prefix char[8], cwd_dev u64, cwd_ino u64, cwd_path_len u32, umask u32, ids u32[4], prefetch_vpid i32, prefetch_cpu i32, nofile_cur u64, nofile_max u64, ppid i32, parent_host_pid i32. */
export const HELLO_REPLY_SIZE = 96;
export const HELLO_CWD_DEV_OFFSET = 24;
/** u32: the length of the cwd's instance path, which follows AT_EXECFN (HELLO_CWD_BENEATH), or 0 */
export const HELLO_CWD_PATH_LEN_OFFSET = 40;
/** u32[4]: the process's virtual uid, euid, gid, egid */
export const HELLO_IDS_OFFSET = 48;
export const HELLO_PREFETCH_OFFSET = 64;
/** u32: the process's umask, which the stub makes its host one */
export const HELLO_UMASK_OFFSET = 44;
/** u64 cur, u64 max (HELLO_NOFILE) */
export const HELLO_NOFILE_OFFSET = 72;
/** i32 ppid, i32 parent_host_pid: the parent while its host process lives (0: not said), for getppid */
export const HELLO_PPID_OFFSET = 88;
export const ABSTRACT_PREFIX_LEN = 8;

/**
 * A System V semaphore set's shared memory: struct gts_sem_set (lock u32, seq u32, removed u32,
 * gen u32, waiters u32, pad u32, otime i64), then nsems struct gts_sem (value i32, pid i32,
 * ncnt u32, zcnt u32).
 */
export const SEM_SET_SIZE = 32;
export const SEM_SET_OFFSETS = { lock: 0, seq: 4, removed: 8, gen: 12, waiters: 16, otime: 24 } as const;
export const SEM_SIZE = 16;
export const SEM_OFFSETS = { value: 0, pid: 4, ncnt: 8, zcnt: 12 } as const;
export const SEM_LEADER = 0x3fffffff;
export const SEM_LOCK_WAITED = 0x80000000;
/** struct gts_sem_reply: wait, seq, blocked, gen, access, nsems (u32 each). */
export const SEM_REPLY_SIZE = 24;
export const SEM_MAY_READ = 0x1;
export const SEM_MAY_ALTER = 0x2;
export const SEM_WANT_MAP = 1;

/** The path table after the HELLO reply's execfn (struct gts_path_entry: prefix_len u16, zero u16, flags u32). */
export const PATH_TABLE_MAX = 16;
export const PATH_PREFIX_MAX = 255;
/** a mount no file check applies to: the stub opens its files for reading itself */
export const PATH_STUB_OPENS = 0x1;
/** not a mount: a directory with mount points in it, which the worker opens (up to PATH_TABLE_MAX besides the mounts) */
export const PATH_MOUNT_PARENT = 0x2;
/** the mount's root rides along with the HELLO reply as an O_PATH fd, after the program's, in table order */
export const PATH_ROOT_FD = 0x4;
/** not a mount: a top-level symlink of a read-only mount to a directory of it, resolved by the stub as its target (prefix: the link's path, NUL, the target) */
export const PATH_ALIAS = 0x8;
/** not a mount: a host device the instance has at this path as itself (/dev/null), its O_PATH fd riding along like a root; the stub opens it anew */
export const PATH_DEVICE = 0x10;
/** a writable mount no file check applies to (with PATH_STUB_OPENS): the stub also opens its regular files for writing, creates and unlinks them */
export const PATH_STUB_WRITES = 0x20;

/** One mount of the stub's path table: its mount point, the O_PATH fd of its root (null: the worker's), PATH_* flags. */
export interface PathTableEntry {
  prefix: string;
  rootFd: number | null;
  flags: number;
}

/** The path table as the stub reads it, and the fds of the roots that go with it. */
export interface PathTable {
  bytes: Buffer;
  rootFds: readonly number[];
}

const pad8 = (n: number) => (n + 7) & ~7;

/** The path table as the stub reads it: all of it, or nothing if it does not fit. */
export function encodePathTable(entries: readonly PathTableEntry[]): PathTable {
  const parents = entries.filter((e) => e.flags & PATH_MOUNT_PARENT).length;
  const fits = entries.length - parents <= PATH_TABLE_MAX && parents <= PATH_TABLE_MAX &&
    entries.every((e) => e.prefix.length <= PATH_PREFIX_MAX);
  if (!fits) return { bytes: Buffer.alloc(0), rootFds: [] };
  const parts = entries.map((e) => {
    const b = Buffer.alloc(pad8(8 + e.prefix.length + 1));
    b.writeUInt16LE(e.prefix.length, 0);
    b.writeUInt32LE(e.flags | (e.rootFd !== null ? PATH_ROOT_FD : 0), 4);
    b.write(e.prefix, 8, 'latin1');
    return b;
  });
  return { bytes: Buffer.concat(parts), rootFds: entries.flatMap((e) => (e.rootFd !== null ? [e.rootFd] : [])) };
}

/** the stub's window: its image and thread blocks, where the app maps nothing */
export const STUB_WINDOW = 0x5f0000000000;
export const STUB_WINDOW_SIZE = 0x100000000;

export const CHANNEL_FD_AT_SPAWN = 3;
export const RESERVED_FDS = 24;
/** the threads' channels, but the main one's: from reserved base + this on, one each */
export const THREAD_CHANNEL_FIRST = RESERVED_FDS;
export const THREAD_CHANNELS_MAX = 1024;
