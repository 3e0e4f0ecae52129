// Program resolution for a new process image: `#!` scripts, ELF checks and PT_INTERP, all
// through the instance's path resolution. The stub maps what this hands it.
import { fileType, host } from '../pal/host.js';
import { check, Errno, SyscallError } from './errno.js';
import { AT_EMPTY_PATH, S_IFREG } from '../pal/linux-abi.js';

const MAX_SCRIPT_NESTING = 4; // as Linux's binfmt recursion limit
const HEADER_BYTES = 256;
const X_OK = 1;

export interface ExecPlan {
  /** argv after `#!` rewriting */
  argv: string[];
  /** what `#!` put before the original argv[1...] (the interpreter chain and the script), or null */
  scriptPrefix: string[] | null;
  /** AT_EXECFN: the file name as given */
  execfn: string;
  /** worker host fds: the ELF to map and, for a dynamic program, its interpreter */
  exeFd: number;
  interpFd: number | null;
}

/** Opens an app path (read-only, close-on-exec) as the process resolves it; throws on failure. */
export type OpenForExec = (path: string) => number;

function openExecutable(open: OpenForExec, path: string): number {
  const fd = open(path);
  if (fileType(fd) !== S_IFREG || host.faccessat2(fd, '', X_OK, AT_EMPTY_PATH) < 0) {
    host.close(fd);
    throw new SyscallError(Errno.EACCES, `exec ${path}: not an executable regular file`);
  }
  return fd;
}

/** e_machine values of programs built for another architecture, as `file` names them */
const ELF_MACHINES: Readonly<Record<number, string>> = {
  3: 'i386', 8: 'MIPS', 20: 'PowerPC', 21: 'PowerPC 64', 22: 'S/390', 40: 'ARM', 183: 'ARM aarch64', 243: 'RISC-V', 258: 'LoongArch',
};

/** The PT_INTERP path of an ELF file, or null for a static program. */
function elfInterpreter(fd: number, header: Buffer): string | null {
  const phoff = Number(header.readBigUInt64LE(32));
  const phentsize = header.readUInt16LE(54);
  const phnum = header.readUInt16LE(56);
  if (header[4] !== 2 || header.readUInt16LE(18) !== 62 || phentsize !== 56 || phnum > 64) {
    const machine = ELF_MACHINES[header.readUInt16LE(18)];
    throw new SyscallError(Errno.ENOEXEC, `not an x86-64 ELF64 executable${header[4] !== 2 ? ' (32-bit)' : machine ? ` (${machine})` : ''}`);
  }
  const phdrs = Buffer.alloc(phentsize * phnum);
  if (host.pread(fd, phdrs, phoff) !== phdrs.length) throw new SyscallError(Errno.ENOEXEC, 'short program headers');
  for (let i = 0; i < phnum; i++) {
    const ph = phdrs.subarray(i * phentsize);
    if (ph.readUInt32LE(0) !== 3 /* PT_INTERP */) continue;
    const off = Number(ph.readBigUInt64LE(8));
    const size = Number(ph.readBigUInt64LE(32));
    if (size <= 1 || size > 4096) throw new SyscallError(Errno.ENOEXEC, 'bad PT_INTERP');
    const buf = Buffer.alloc(size);
    if (host.pread(fd, buf, off) !== size) throw new SyscallError(Errno.ENOEXEC, 'short PT_INTERP');
    return buf.toString('latin1', 0, size - 1);
  }
  return null;
}

/**
 * Where Gramine's loader looks for an ELF interpreter (by its file name): the entries of the
 * first process's LD_LIBRARY_PATH, in order, or /lib and /lib64 when it has none.
 */
export function interpreterSearchDirs(env: Readonly<Record<string, string>>): string[] {
  const paths = env.LD_LIBRARY_PATH;
  if (paths === undefined) return ['/lib', '/lib64'];
  return paths === '' ? [] : paths.split(':');
}

/**
 * The program's PT_INTERP as Linux opens it; where the instance has no such file, the same
 * file name in `searchDirs`, as Gramine's loader finds it (a manifest mounts the runtime's
 * libraries at /lib, while programs name /lib64/ld-linux-x86-64.so.2).
 */
function openElfInterpreter(open: OpenForExec, interpPath: string, searchDirs: readonly string[]): number {
  try {
    return openExecutable(open, interpPath);
  } catch (e) {
    if (!(e instanceof SyscallError) || e.errno !== Errno.ENOENT) throw e;
    const name = interpPath.slice(interpPath.lastIndexOf('/') + 1);
    for (const dir of searchDirs) {
      try {
        return openExecutable(open, `${dir}/${name}`);
      } catch {
        // not there: the next one
      }
    }
    throw new SyscallError(e.errno, `the program's ELF interpreter ${interpPath} is not in the instance, nor ${name} in ` +
      `${searchDirs.join(', ') || '(no directory)'} (the C runtime must be mounted: at /lib, or where LD_LIBRARY_PATH says)`);
  }
}

/** A `#!` line's interpreter, with a failure that names it. */
function openScriptInterpreter(open: OpenForExec, path: string): number {
  try {
    return openExecutable(open, path);
  } catch (e) {
    if (!(e instanceof SyscallError)) throw e;
    throw new SyscallError(e.errno, `its #! interpreter ${path} cannot be run in the instance (${e.message})`);
  }
}

/** `#!interpreter [one optional argument]`, as Linux splits it. */
function parseShebang(header: Buffer, len: number): string[] {
  let end = header.indexOf(0x0a);
  if (end < 0 || end > len) end = len;
  const line = header.toString('latin1', 2, end).replace(/[ \t]+$/, '').replace(/^[ \t]+/, '');
  if (line === '') throw new SyscallError(Errno.ENOEXEC, 'empty #! line');
  const m = /^(\S+)(?:[ \t]+(.*))?$/.exec(line);
  if (!m) throw new SyscallError(Errno.ENOEXEC, 'bad #! line');
  return m[2] !== undefined && m[2] !== '' ? [m[1]!, m[2]] : [m[1]!];
}

/**
 * Plan the exec of `filename` with `argv`: follow `#!` lines (the script path replaces argv[0]
 * after the interpreter and its optional argument), then find the ELF's interpreter (in
 * `interpDirs` by its file name when its path is not in the instance).
 * Paths are byte strings, opened with `open`.
 */
export function planExec(filename: string, argv: string[], open: OpenForExec, interpDirs: readonly string[] = []): ExecPlan {
  let path = filename;
  let args = argv;
  for (let depth = 0; ; depth++) {
    const fd = depth === 0 ? openExecutable(open, path) : openScriptInterpreter(open, path);
    try {
      const header = Buffer.alloc(HEADER_BYTES);
      const n = check(host.pread(fd, header, 0), `exec ${path}`);
      if (n >= 2 && header[0] === 0x23 && header[1] === 0x21) {
        if (depth >= MAX_SCRIPT_NESTING) throw new SyscallError(Errno.ELOOP, `exec ${filename}: #! nesting`);
        const interp = parseShebang(header, n);
        args = [...interp, path, ...args.slice(1)];
        path = interp[0]!;
        host.close(fd);
        continue;
      }
      if (n < 64 || header.readUInt32BE(0) !== 0x7f454c46) throw new SyscallError(Errno.ENOEXEC, `exec ${path}`);
      const interpPath = elfInterpreter(fd, header);
      const interpFd = interpPath === null ? null : openElfInterpreter(open, interpPath, interpDirs);
      const scriptPrefix = depth === 0 ? null : args.slice(0, args.length - Math.max(0, argv.length - 1));
      return { argv: args, scriptPrefix, execfn: filename, exeFd: fd, interpFd };
    } catch (e) {
      host.close(fd);
      throw e;
    }
  }
}

export function releasePlan(plan: ExecPlan): void {
  host.close(plan.exeFd);
  if (plan.interpFd !== null) host.close(plan.interpFd);
}
