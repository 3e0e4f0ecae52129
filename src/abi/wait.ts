// Linux's two encodings of how a child ended: the wait4 status word and the SIGCHLD/waitid
// siginfo (si_code CLD_*, si_status). Used by the PAL (reaping) and the LibOS (wait, SIGCHLD).

export const SIGCHLD = 17;
export const CLD_EXITED = 1;
export const CLD_KILLED = 2;
export const CLD_DUMPED = 3;

export const WNOHANG = 1;
export const WUNTRACED = 2;
export const WEXITED = 4;
export const WCONTINUED = 8;
export const WNOWAIT = 0x1000000;
export const WNOTHREAD = 0x20000000;
export const WALL = 0x40000000;
export const WCLONE = 0x80000000;

/** wait4's status word from a siginfo's si_code and si_status. */
export function waitStatusOf(code: number, status: number): number {
  if (code === CLD_EXITED) return (status & 0xff) << 8;
  return (status & 0x7f) | (code === CLD_DUMPED ? 0x80 : 0);
}

/** si_code and si_status for a child that ended with wait4 status word `status`. */
export function childSiginfoOf(status: number): { code: number; status: number } {
  const signaled = (status & 0x7f) !== 0;
  if (!signaled) return { code: CLD_EXITED, status: (status >> 8) & 0xff };
  return { code: status & 0x80 ? CLD_DUMPED : CLD_KILLED, status: status & 0x7f };
}
