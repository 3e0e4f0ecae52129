// Who may do what to a System V IPC object of the instance: Linux's ipcperms() with the virtual
// ids (an effective uid of 0 stands for CAP_IPC_OWNER and CAP_SYS_ADMIN).

/** The process asking, as its worker says. */
export interface IpcCaller {
  vpid: number;
  euid: number;
  egid: number;
}

/** The permission part of an object (struct ipc64_perm). */
export interface IpcPerm {
  key: number;
  uid: number;
  gid: number;
  cuid: number;
  cgid: number;
  mode: number;
  seq: number;
}

/** May `caller` have the access of `requested` (rwx bits in any of the three classes)? */
export function ipcAccess(p: IpcPerm, caller: IpcCaller, requested: number): boolean {
  if (caller.euid === 0) return true;
  const want = (requested >> 6 | requested >> 3 | requested) & 7;
  const shift = caller.euid === p.cuid || caller.euid === p.uid ? 6 : caller.egid === p.cgid || caller.egid === p.gid ? 3 : 0;
  return (want & ~(p.mode >> shift)) === 0;
}

/** IPC_SET and IPC_RMID: the owner, the creator or root. */
export function isOwner(p: IpcPerm, caller: IpcCaller): boolean {
  return caller.euid === 0 || caller.euid === p.uid || caller.euid === p.cuid;
}
