// Linux's numbers for System V IPC (x86-64): the one copy of them that the LibOS and the
// leader share.

export const IPC_PRIVATE = 0;
export const IPC_CREAT = 0o1000;
export const IPC_EXCL = 0o2000;
export const IPC_NOWAIT = 0o4000;
/** or'ed into a *ctl command by some C libraries: the 64-bit structures, the only ones here */
export const IPC_64 = 0x100;

export const IPC_RMID = 0;
export const IPC_SET = 1;
export const IPC_STAT = 2;
export const IPC_INFO = 3;

export const SHM_LOCK = 11;
export const SHM_UNLOCK = 12;
export const SHM_STAT = 13;
export const SHM_INFO = 14;
export const SHM_STAT_ANY = 15;
export const SHM_RDONLY = 0o10000;
export const SHM_DEST = 0o1000;

export const GETPID = 11;
export const GETVAL = 12;
export const GETALL = 13;
export const GETNCNT = 14;
export const GETZCNT = 15;
export const SETVAL = 16;
export const SETALL = 17;
export const SEM_STAT = 18;
export const SEM_INFO = 19;
export const SEM_STAT_ANY = 20;
export const SEM_UNDO = 0x1000;

export const MSG_STAT = 11;
export const MSG_INFO = 12;
export const MSG_STAT_ANY = 13;
export const MSG_NOERROR = 0o10000;
export const MSG_EXCEPT = 0o20000;
export const MSG_COPY = 0o40000;

/** an id is seq * IPC_ID_SEQ + index */
export const IPC_ID_SEQ = 32768;

/** Linux's default limits */
export const SHMMNI = 4096;
export const SEMMSL = 32000;
export const SEMMNI = 32000;
export const SEMVMX = 32767;
export const SEMOPM = 500;
export const MSGMAX = 8192;
export const MSGMNB = 16384;
export const MSGMNI = 32000;
