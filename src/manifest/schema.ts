// The manifest keys gramine-ts understands (Gramine's syntax, Documentation/manifest-syntax.rst),
// the kind of value each takes, and the typed data a manifest becomes. load.ts does the checking.
import type { LogLevel } from '../log-levels.js';
import type { Signature } from './signature.js';

export const MANIFEST_LOG_LEVELS = ['none', 'error', 'warning', 'debug', 'trace', 'all'] as const;
export type ManifestLogLevel = (typeof MANIFEST_LOG_LEVELS)[number];

export const FILE_CHECK_POLICIES = ['strict', 'allow_all_but_log'] as const;
export type FileCheckPolicy = (typeof FILE_CHECK_POLICIES)[number];

/** The mount types a manifest may name in `fs.root` / `fs.mounts`. */
export const MOUNT_TYPES = ['chroot', 'tmpfs', 'encrypted', 'untrusted_shm'] as const;

/** The URI schemes each mount type takes, as Gramine's file systems accept them. */
export const MOUNT_URI_SCHEMES = {
  chroot: ['file', 'dev'],
  encrypted: ['file'],
  untrusted_shm: ['dev'],
} as const;

/** Mount points the LibOS always provides, as Gramine does; the VFS synthesizes their contents. */
export const VIRTUAL_MOUNTS = [
  { type: 'proc', path: '/proc' },
  { type: 'dev', path: '/dev' },
  { type: 'sys', path: '/sys' },
] as const satisfies readonly Mount[];

export type Mount =
  /**
   * Host files under `hostPath` (a `file:` or `dev:` URI's path, relative ones to the
   * launcher's cwd), or the one host file `hostPath` is. `untrusted_shm`: the same, a host
   * directory or file shared with the host (MAP_SHARED mappings are the host's own).
   */
  | { type: 'chroot' | 'untrusted_shm'; path: string; uri: string; hostPath: string; readOnly: boolean }
  /** Gramine protected files under `hostPath`, sealed with the key named `keyName`. */
  | { type: 'encrypted'; path: string; uri: string; hostPath: string; keyName: string }
  /**
   * In-memory files, empty at start; at most `size` bytes of them (null: as a Linux tmpfs, half
   * of the host's memory), ENOSPC past it.
   */
  | { type: 'tmpfs'; path: string; size: number | null }
  | { type: 'proc' | 'dev' | 'sys'; path: string };

/** An RLIMIT_NOFILE to start with: soft and hard (null: the hard limit stays the host's). */
export interface FdsLimit {
  soft: number;
  hard: number | null;
}

export type EnvSetting = { value: string } | { passthrough: true };

/** `path` is the host path of `uri`; a trailing slash (a directory: everything under it) is kept. */
export interface TrustedFile {
  uri: string;
  path: string;
  /** Lower-case hex; null until `gramine-ts sign` fills it in. */
  sha256: string | null;
}

export interface AllowedFile {
  uri: string;
  path: string;
}

export interface Manifest {
  /** `libos.entrypoint`: the first program, a path inside the instance. */
  entrypoint: string;
  /** `loader.argv`, argv[0] included; null means [entrypoint], or the command line's if `useCmdlineArgv`. */
  argv: string[] | null;
  useCmdlineArgv: boolean;
  /** `loader.insecure__use_host_env`: the whole host environment, before `env` is applied. */
  useHostEnv: boolean;
  env: Record<string, EnvSetting>;
  uid: number;
  gid: number;
  logLevel: ManifestLogLevel;
  /** Mounted at "/" first. */
  root: Mount;
  /** Mounted after the root, in this order: the virtual /proc /dev /sys, then `fs.mounts`. */
  mounts: Mount[];
  startDir: string;
  /** `loader.log_file`: the workers log there (appended) instead of to stderr; null: stderr */
  logFile: string | null;
  /** `sys.stack.size` in bytes: each thread's stack (RLIMIT_STACK); null: the host's (no manifest) */
  stackSize: number | null;
  /** `sys.enable_extra_runtime_domain_names_conf`: the host's host name and /etc/resolv.conf */
  extraRuntimeDomainNames: boolean;
  trustedFiles: TrustedFile[];
  allowedFiles: AllowedFile[];
  fileCheckPolicy: FileCheckPolicy;
  /** `fs.insecure__keys`: key name -> 32 hex digits (16 bytes), for encrypted mounts. */
  insecureKeys: Record<string, string>;
  enableSigtermInjection: boolean;
  /** gramine_ts.report_unsupported: name what the program used that is unsupported, at the end (stderr) */
  reportUnsupported: boolean;
  allowEventfd: boolean;
  /** `sys.disallow_subprocesses`: fork, vfork and clone of a process fail with EAGAIN (as in Gramine) */
  disallowSubprocesses: boolean;
  /** `sys.fds.limit`: the app's RLIMIT_NOFILE (soft and hard), or null for the host's */
  fdsLimit: FdsLimit | null;
  /** `loader.argv_src_file`, `loader.env_src_file`: host files of NUL-terminated strings (argv; KEY=VALUE) */
  argvSrcFile: string | null;
  envSrcFile: string | null;
  /** One line per ignored key: "file:line: key: ignored (why)". */
  warnings: string[];
  /** Absolute path of the file it was loaded from; null if parsed from text or built in. */
  sourcePath: string | null;
  /** The manifest exactly as read (what the instance's measurement covers); empty if built in. */
  sourceBytes: Uint8Array;
  /**
   * Its signature file (MANIFEST.sig), checked against `sourceBytes`, when `gramine-ts run` has
   * loaded one (signatureForRun); the loaders leave it out. fileCheckConfig reads it.
   */
  signature?: Signature | null;
}

/** What each kind of value becomes once checked. */
export interface KindTypes {
  bool: boolean;
  /** uid or gid: 0 ..= 2^32-1. */
  id: number;
  /** a count of things: 1 ..= 2^31-1 */
  count: number;
  /** a `file:` URI: its host path */
  hostFile: string;
  /** a host path, as given (relative ones to the launcher's cwd) */
  hostPath: string;
  /** "256K", "8M", "1G" (binary units) or an integer, in bytes. */
  size: number;
  strings: string[];
  entrypoint: string;
  absPath: string;
  logLevel: ManifestLogLevel;
  fileCheckPolicy: FileCheckPolicy;
  env: Record<string, EnvSetting>;
  root: Mount;
  mounts: Mount[];
  trustedFiles: TrustedFile[];
  allowedFiles: AllowedFile[];
  keys: Record<string, string>;
}
export type Kind = keyof KindTypes;

/**
 * Every key gramine-ts checks; anything else is an error, unless IGNORED_KEYS lists it (a key
 * in both is checked, then ignored with a warning).
 */
export const MANIFEST_KEYS = {
  'libos.entrypoint': 'entrypoint',
  'loader.argv': 'strings',
  'loader.insecure__use_cmdline_argv': 'bool',
  'loader.insecure__use_host_env': 'bool',
  'loader.argv_src_file': 'hostFile',
  'loader.env_src_file': 'hostFile',
  'loader.env': 'env',
  'loader.uid': 'id',
  'loader.gid': 'id',
  'loader.log_level': 'logLevel',
  'loader.log_file': 'hostPath',
  'fs.root': 'root',
  'fs.mounts': 'mounts',
  'fs.start_dir': 'absPath',
  'fs.insecure__keys': 'keys',
  'sys.stack.size': 'size',
  'sys.brk.max_size': 'size',
  'sys.enable_extra_runtime_domain_names_conf': 'bool',
  'sys.enable_sigterm_injection': 'bool',
  'gramine_ts.report_unsupported': 'bool',
  'sys.insecure__allow_eventfd': 'bool',
  'sys.disallow_subprocesses': 'bool',
  'sys.fds.limit': 'count',
  'sgx.trusted_files': 'trustedFiles',
  'sgx.allowed_files': 'allowedFiles',
  // the same lists without the sgx. prefix (DESIGN.md §6); a manifest may use one spelling only
  'trusted_files': 'trustedFiles',
  'allowed_files': 'allowedFiles',
  'sgx.file_check_policy': 'fileCheckPolicy',
} as const satisfies Record<string, Kind>;
export type ManifestKey = keyof typeof MANIFEST_KEYS;

const SGX_ONLY = 'an SGX enclave setting; gramine-ts has no enclave';

/** Gramine keys accepted with a warning and no effect (a key covers everything under it). */
export const IGNORED_KEYS: Record<string, string> = {
  'loader.entrypoint': "gramine-ts's LibOS is built in",
  'loader.pal_internal_mem_size': 'deprecated in Gramine; gramine-ts reserves no PAL memory',
  'loader.insecure__disable_aslr': "address-space layout is the host kernel's",
  'libos.check_invalid_pointers': 'bad pointers always give EFAULT',
  'sys.brk.max_size': "brk is the host kernel's (a native call): the heap grows as on Linux",
  'fs.experimental__enable_sysfs_topology': 'removed from Gramine; /sys always has the topology',
  'sys.experimental__enable_flock': 'flock always works here: the host\'s locks on host files',
  'sys.ioctl_structs': 'ioctls run on the host fd itself: there is no allow-list to describe',
  'sys.allowed_ioctls': 'ioctls run on the host fd itself: every one the host allows',
  'sys.insecure__allow_eventfd': "eventfd is the host's either way (shared by the instance's processes)",
  'sys.debug__mock_syscalls': 'not implemented: every system call runs as it would without the key',
  'sgx.insecure__allow_memfaults_without_exinfo': SGX_ONLY,
  'sgx.enclave_size': SGX_ONLY,
  'sgx.max_threads': SGX_ONLY,
  'sgx.thread_num': SGX_ONLY,
  'sgx.debug': SGX_ONLY,
  'sgx.edmm_enable': SGX_ONLY,
  'sgx.isvprodid': SGX_ONLY,
  'sgx.isvsvn': SGX_ONLY,
  'sgx.remote_attestation': SGX_ONLY,
  'sgx.ra_client_spid': SGX_ONLY,
  'sgx.ra_client_linkable': SGX_ONLY,
  'sgx.require_avx': SGX_ONLY,
  'sgx.require_avx512': SGX_ONLY,
  'sgx.require_mpx': SGX_ONLY,
  'sgx.require_pkru': SGX_ONLY,
  'sgx.require_amx': SGX_ONLY,
  'sgx.require_exinfo': SGX_ONLY,
  'sgx.cpu_features': SGX_ONLY,
  'sgx.use_exinfo': SGX_ONLY,
  'sgx.seal_key': SGX_ONLY,
  'sgx.insecure__rpc_thread_num': SGX_ONLY,
  'sgx.preheat_enclave': SGX_ONLY,
  'sgx.enable_stats': SGX_ONLY,
  'sgx.profile': SGX_ONLY,
  'sgx.vtune_profile': SGX_ONLY,
};

/** Keys of an fs.mounts entry accepted with a warning and no effect. */
export const IGNORED_MOUNT_KEYS = {
  enable_recovery: "Gramine's recovery journal of encrypted files is not implemented (a write-back replaces the whole file instead)",
} as const;

/** Gramine's defaults for keys a manifest leaves out. */
export const GRAMINE_DEFAULTS = {
  stackSize: 256 * 1024,
  // Gramine's soft RLIMIT_NOFILE when sys.fds.limit is not given
  fdsLimit: { soft: 900, hard: null },
  logLevel: 'error',
  fileCheckPolicy: 'strict',
  startDir: '/',
  // no fs.root: the current directory (of the launcher) is the root
  root: { type: 'chroot', path: '/', uri: 'file:.', hostPath: '.', readOnly: false },
} as const satisfies Partial<Manifest>;

/** What sys.enable_extra_runtime_domain_names_conf shows the app, at the same path (read-only, unchecked). */
export const HOST_RESOLV_CONF = '/etc/resolv.conf';

/** The host name a manifest's instance has (Gramine's), unless sys.enable_extra_runtime_domain_names_conf. */
export const GRAMINE_HOSTNAME = 'localhost';

/** The worker log level (pino's names) for a manifest's `loader.log_level`. */
export function workerLogLevel(level: ManifestLogLevel): LogLevel {
  const levels: Record<ManifestLogLevel, LogLevel> = {
    none: 'silent', error: 'error', warning: 'warn', debug: 'debug', trace: 'trace', all: 'trace',
  };
  return levels[level];
}
