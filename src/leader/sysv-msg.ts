// System V message queues of the instance: keys and ids private to it, typed messages kept
// here. A send that finds no room, or a receive that finds no message, waits: the waiter is
// told when the queue changes and its stub tries again.
import { Errno } from '../libos/errno.js';
import { ipcAccess, isOwner, type IpcCaller, type IpcPerm } from './sysv-perm.js';
import { Waiters } from './sysv-waiters.js';
import { IPC_CREAT, IPC_EXCL, IPC_ID_SEQ as IDX, IPC_NOWAIT, IPC_PRIVATE, MSG_EXCEPT, MSG_NOERROR, MSGMAX, MSGMNB, MSGMNI } from '../pal/sysv-abi.js';

/** bytes queued in all queues at once: the leader's memory, whatever root raises msg_qbytes to */
const MSG_BYTES_MAX = 64 * 1024 * 1024;

export interface MsgQueue extends IpcPerm {
  readonly id: number;
  messages: { type: number; data: Buffer }[];
  cbytes: number;
  qbytes: number;
  lspid: number;
  lrpid: number;
  stime: number;
  rtime: number;
  ctime: number;
  waiters: Waiters;
}

/** A send or receive: done (a received message), an error, or a wait until the queue changes. */
export type MsgResult = { done: true; type?: number; data?: Buffer } | { errno: number } | { wait: true };

const now = () => Math.floor(Date.now() / 1000);

export class SysvMsg {
  private readonly byId = new Map<number, MsgQueue>();
  private readonly byKey = new Map<number, MsgQueue>();
  private seq = 0;
  /** bytes in all queues */
  private bytes = 0;

  get(caller: IpcCaller, key: number, flags: number): number {
    const existing = key === IPC_PRIVATE ? undefined : this.byKey.get(key);
    if (existing) {
      if ((flags & IPC_CREAT) && (flags & IPC_EXCL)) return -Errno.EEXIST;
      return ipcAccess(existing, caller, flags & 0o777) ? existing.id : -Errno.EACCES;
    }
    if (key !== IPC_PRIVATE && !(flags & IPC_CREAT)) return -Errno.ENOENT;
    if (this.byId.size >= MSGMNI) return -Errno.ENOSPC;
    let id: number;
    do id = Math.floor(this.seq / MSGMNI) % 0x10000 * IDX + (this.seq++ % MSGMNI); while (this.byId.has(id));
    const q: MsgQueue = {
      id, key, uid: caller.euid, gid: caller.egid, cuid: caller.euid, cgid: caller.egid, mode: flags & 0o777,
      seq: Math.floor(id / IDX), messages: [], cbytes: 0, qbytes: MSGMNB, lspid: 0, lrpid: 0, stime: 0, rtime: 0,
      ctime: now(), waiters: new Waiters(),
    };
    this.byId.set(id, q);
    if (key !== IPC_PRIVATE) this.byKey.set(key, q);
    return id;
  }

  send(caller: IpcCaller, id: number, type: number, data: Buffer, flags: number, wake: () => void): MsgResult {
    const q = this.byId.get(id);
    if (!q) return { errno: Errno.EINVAL };
    if (type < 1 || data.length > MSGMAX) return { errno: Errno.EINVAL };
    if (!ipcAccess(q, caller, 0o222)) return { errno: Errno.EACCES };
    const full = q.cbytes + data.length > q.qbytes || q.messages.length + 1 > q.qbytes || this.bytes + data.length > MSG_BYTES_MAX;
    if (full) {
      if (flags & IPC_NOWAIT) return { errno: Errno.EAGAIN };
      q.waiters.add({ vpid: caller.vpid, wake });
      return { wait: true };
    }
    q.messages.push({ type, data: Buffer.from(data) });
    q.cbytes += data.length;
    this.bytes += data.length;
    q.lspid = caller.vpid;
    q.stime = now();
    this.changed(q);
    return { done: true };
  }

  receive(caller: IpcCaller, id: number, maxSize: number, type: number, flags: number, wake: () => void): MsgResult {
    const q = this.byId.get(id);
    if (!q) return { errno: Errno.EINVAL };
    if (maxSize < 0) return { errno: Errno.EINVAL };
    if (!ipcAccess(q, caller, 0o444)) return { errno: Errno.EACCES };
    const i = pick(q.messages, type, (flags & MSG_EXCEPT) !== 0);
    if (i < 0) {
      if (flags & IPC_NOWAIT) return { errno: Errno.ENOMSG };
      q.waiters.add({ vpid: caller.vpid, wake });
      return { wait: true };
    }
    const msg = q.messages[i]!;
    if (msg.data.length > maxSize && !(flags & MSG_NOERROR)) return { errno: Errno.E2BIG };
    q.messages.splice(i, 1);
    q.cbytes -= msg.data.length;
    this.bytes -= msg.data.length;
    q.lrpid = caller.vpid;
    q.rtime = now();
    this.changed(q);
    return { done: true, type: msg.type, data: msg.data.subarray(0, maxSize) };
  }

  readable(caller: IpcCaller, id: number, any = false): MsgQueue | number {
    const q = this.byId.get(id);
    if (!q) return -Errno.EINVAL;
    return any || ipcAccess(q, caller, 0o444) ? q : -Errno.EACCES;
  }

  /** IPC_SET: owner, mode and the queue's size (raising it past MSGMNB needs root). */
  set(caller: IpcCaller, id: number, uid: number, gid: number, mode: number, qbytes: number): number {
    const q = this.byId.get(id);
    if (!q) return -Errno.EINVAL;
    if (!isOwner(q, caller)) return -Errno.EPERM;
    if (qbytes > MSGMNB && caller.euid !== 0) return -Errno.EPERM;
    q.uid = uid;
    q.gid = gid;
    q.mode = mode & 0o777;
    q.qbytes = qbytes;
    q.ctime = now();
    this.changed(q);
    return 0;
  }

  remove(caller: IpcCaller, id: number): number {
    const q = this.byId.get(id);
    if (!q) return -Errno.EINVAL;
    if (!isOwner(q, caller)) return -Errno.EPERM;
    this.byId.delete(id);
    this.bytes -= q.cbytes;
    if (this.byKey.get(q.key) === q) this.byKey.delete(q.key);
    this.changed(q);
    return 0;
  }

  list(): MsgQueue[] {
    return [...this.byId.values()].sort((a, b) => a.id - b.id);
  }

  private changed(q: MsgQueue): void {
    q.waiters.wakeAll();
  }
}

/** msgrcv's choice: the first message (0), the first of `type` (> 0; or not of it, MSG_EXCEPT), the lowest type up to -type (< 0). */
function pick(messages: { type: number }[], type: number, except: boolean): number {
  if (type === 0) return messages.length ? 0 : -1;
  if (type > 0) return messages.findIndex((m) => (except ? m.type !== type : m.type === type));
  let best = -1;
  messages.forEach((m, i) => {
    if (m.type <= -type && (best < 0 || m.type < messages[best]!.type)) best = i;
  });
  return best;
}
