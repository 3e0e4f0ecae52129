// Reads a Gramine manifest (TOML, already rendered: no {{ }} templates) into a checked, typed
// Manifest. Every error names the file, the line and the dotted key; Gramine keys gramine-ts
// knowingly ignores give a warning instead (Manifest.warnings).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse, TomlError, type TomlTable, type TomlValue } from 'smol-toml';

import {
  FILE_CHECK_POLICIES, GRAMINE_DEFAULTS, IGNORED_KEYS, IGNORED_MOUNT_KEYS, MANIFEST_KEYS, MANIFEST_LOG_LEVELS, MOUNT_TYPES,
  MOUNT_URI_SCHEMES,
  VIRTUAL_MOUNTS, type AllowedFile, type EnvSetting, type Kind, type KindTypes, type Manifest,
  type ManifestKey, type Mount, type TrustedFile,
} from './schema.js';

/** A key's place in the document: table keys and array indices, e.g. ["fs", "mounts", 2, "type"]. */
type KeyPath = readonly (string | number)[];

export class ManifestError extends Error {
  override readonly name = 'ManifestError';

  constructor(
    readonly file: string,
    /** 1-based; null when the problem has no line (unreadable file, missing key). */
    readonly line: number | null,
    /** Dotted, e.g. "fs.mounts[2].type"; null for TOML syntax errors. */
    readonly key: string | null,
    readonly reason: string,
    readonly column: number | null = null,
  ) {
    super(`${where(file, line, column)}: ${key !== null ? `${key}: ` : ''}${reason}`);
  }
}

function where(file: string, line: number | null, column: number | null = null): string {
  return `${file}${line !== null ? `:${line}` : ''}${line !== null && column !== null ? `:${column}` : ''}`;
}

/** Reads and checks the manifest at `file`; messages name the file as given. */
export function loadManifest(file: string): Manifest {
  let bytes: Uint8Array;
  try {
    bytes = new Uint8Array(readFileSync(file));
  } catch (e) {
    throw new ManifestError(file, null, null, `cannot read: ${(e as Error).message}`);
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new ManifestError(file, null, null, 'not UTF-8 text');
  }
  return new ManifestReader(text, file).read(path.resolve(file), bytes);
}

/** Checks manifest text; `fileName` is only for messages. */
export function parseManifest(text: string, fileName: string): Manifest {
  return new ManifestReader(text, fileName).read(null, new TextEncoder().encode(text));
}

export interface HostContext {
  cwd: string;
  uid: number;
  gid: number;
}

/**
 * The manifest of a bare `gramine-ts run PROGRAM ARGS...`: the host root read-only, the host /tmp
 * writable, the virtual /proc /dev /sys, and the caller's environment, ids and working directory,
 * so that programs behave as they do natively. `argv` includes argv[0]; `program` is the path to
 * run (the CLI has already looked it up in PATH).
 */
export function defaultManifest(program: string, argv: string[], host: HostContext = currentHost()): Manifest {
  return {
    entrypoint: program,
    argv: [...argv],
    useCmdlineArgv: false,
    useHostEnv: true,
    env: {},
    uid: host.uid,
    gid: host.gid,
    logLevel: GRAMINE_DEFAULTS.logLevel,
    root: { type: 'chroot', path: '/', uri: 'file:/', hostPath: '/', readOnly: true },
    mounts: [...virtualMounts(), { type: 'chroot', path: '/tmp', uri: 'file:/tmp', hostPath: '/tmp', readOnly: false }],
    startDir: normalAbsPath(host.cwd),
    logFile: null,
    // without a manifest, the host's: its stack limit, host name and resolver configuration
    stackSize: null,
    extraRuntimeDomainNames: true,
    trustedFiles: [],
    allowedFiles: [],
    // there are no trusted or allowed files to check against: every file is allowed
    fileCheckPolicy: 'allow_all_but_log',
    insecureKeys: {},
    enableSigtermInjection: false,
    reportUnsupported: true,
    // eventfd is the host's here, as in a native run
    allowEventfd: true,
    disallowSubprocesses: false,
    fdsLimit: null,
    argvSrcFile: null,
    envSrcFile: null,
    warnings: [],
    sourcePath: null,
    sourceBytes: new Uint8Array(0),
  };
}

function currentHost(): HostContext {
  return { cwd: process.cwd(), uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 };
}

function virtualMounts(): Mount[] {
  return VIRTUAL_MOUNTS.map((m) => ({ ...m }));
}

// ---------------------------------------------------------------------------------------------
// Checking

/** Tables that lead to a known key: the only tables the reader descends into. */
const KNOWN_TABLES = new Set(
  [...Object.keys(MANIFEST_KEYS), ...Object.keys(IGNORED_KEYS)].flatMap((key) => {
    const parts = key.split('.');
    return parts.slice(1).map((_, n) => parts.slice(0, n + 1).join('.'));
  }),
);

const BARE_KEY = /^[A-Za-z0-9_-]+$/;

/** Every key a manifest may have, known or knowingly ignored. */
const ALL_KEYS = [...Object.keys(MANIFEST_KEYS), ...Object.keys(IGNORED_KEYS)];

/** Levenshtein distance (edits of one character). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) row[j] = Math.min(prev[j]! + 1, row[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    prev = row;
  }
  return prev[b.length]!;
}

/** The key a misspelt `key` most likely means (a few typos away, or the same key under another table), or null. */
function nearestKey(key: string): string | null {
  let best: string | null = null;
  let bestDistance = Math.max(2, Math.floor(key.length / 6)) + 1;
  const last = key.slice(key.lastIndexOf('.') + 1);
  for (const known of ALL_KEYS) {
    const d = known.endsWith(`.${last}`) && last.length > 3 ? 1 : editDistance(key, known);
    if (d < bestDistance) {
      best = known;
      bestDistance = d;
    }
  }
  return best;
}

/** "fs.mounts[2].type"; keys that are not bare are quoted, as TOML would need them. */
function dotted(at: KeyPath): string {
  return at
    .map((part, n) => (typeof part === 'number' ? `[${part}]` : `${n ? '.' : ''}${BARE_KEY.test(part) ? part : JSON.stringify(part)}`))
    .join('');
}

/** "/a/./b/../c/" -> "/a/c". */
function normalAbsPath(p: string): string {
  const normal = path.posix.normalize(p);
  return normal.length > 1 && normal.endsWith('/') ? normal.slice(0, -1) : normal;
}

function isTable(v: unknown): v is TomlTable {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function typeName(v: unknown): string {
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'bigint') return 'an integer';
  if (typeof v === 'number') return 'a float';
  if (typeof v === 'boolean') return 'a boolean';
  if (v instanceof Date) return 'a date';
  return Array.isArray(v) ? 'an array' : 'a table';
}

function oneOf(values: readonly string[]): string {
  return values.length < 2 ? values.join('') : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
}

const SIZE = /^(\d+)([KMG]?)$/i;
const SIZE_SHIFT: Record<string, bigint> = { '': 0n, k: 10n, m: 20n, g: 30n };
const SHA256_HEX = /^[0-9a-f]{64}$/i;
const KEY_HEX = /^[0-9a-f]{32}$/i;
const ALLOWED_URI_SCHEMES = ['file', 'dev'] as const;

type Converters = { [K in Kind]: (v: TomlValue, at: KeyPath) => KindTypes[K] };

class ManifestReader {
  private readonly warnings: { line: number; text: string }[] = [];
  private keyLines: KeyLines | null = null;
  private readonly found = new Map<ManifestKey, { value: unknown; at: KeyPath }>();

  constructor(
    private readonly text: string,
    private readonly file: string,
  ) {}

  read(sourcePath: string | null, sourceBytes: Uint8Array): Manifest {
    let doc: TomlTable;
    try {
      doc = parse(this.text, { integersAsBigInt: true, unsafeKeyBehaviour: 'throw' });
    } catch (e) {
      if (!(e instanceof TomlError)) throw e;
      const reason = e.message.split('\n')[0]!.replace(/^Invalid TOML document: /, '');
      throw new ManifestError(this.file, e.line, null, `invalid TOML: ${reason}`, e.column);
    }
    this.collect(doc, []);

    const entrypoint = this.get('libos.entrypoint');
    if (entrypoint === undefined) this.fail(['libos', 'entrypoint'], 'missing (the program to run)');
    const argv = this.get('loader.argv') ?? null;
    const useCmdlineArgv = this.get('loader.insecure__use_cmdline_argv') ?? false;
    if (argv !== null && useCmdlineArgv) {
      this.fail(this.found.get('loader.argv')!.at, 'cannot be combined with loader.insecure__use_cmdline_argv = true');
    }
    // as Gramine: one source of argv
    if (this.found.has('loader.argv_src_file') && (argv !== null || useCmdlineArgv)) {
      this.fail(this.found.get('loader.argv_src_file')!.at,
        'cannot be combined with loader.argv or loader.insecure__use_cmdline_argv = true (one source of argv)');
    }
    return {
      entrypoint,
      argv,
      useCmdlineArgv,
      useHostEnv: this.get('loader.insecure__use_host_env') ?? false,
      env: this.get('loader.env') ?? {},
      uid: this.get('loader.uid') ?? 0,
      gid: this.get('loader.gid') ?? 0,
      logLevel: this.get('loader.log_level') ?? GRAMINE_DEFAULTS.logLevel,
      root: this.get('fs.root') ?? { ...GRAMINE_DEFAULTS.root },
      mounts: [...virtualMounts(), ...(this.get('fs.mounts') ?? [])],
      startDir: this.get('fs.start_dir') ?? GRAMINE_DEFAULTS.startDir,
      logFile: this.get('loader.log_file') ?? null,
      stackSize: this.get('sys.stack.size') ?? GRAMINE_DEFAULTS.stackSize,
      extraRuntimeDomainNames: this.get('sys.enable_extra_runtime_domain_names_conf') ?? false,
      trustedFiles: this.either('sgx.trusted_files', 'trusted_files') ?? [],
      allowedFiles: this.either('sgx.allowed_files', 'allowed_files') ?? [],
      fileCheckPolicy: this.get('sgx.file_check_policy') ?? GRAMINE_DEFAULTS.fileCheckPolicy,
      insecureKeys: this.get('fs.insecure__keys') ?? {},
      enableSigtermInjection: this.get('sys.enable_sigterm_injection') ?? false,
      reportUnsupported: this.get('gramine_ts.report_unsupported') ?? true,
      allowEventfd: this.get('sys.insecure__allow_eventfd') ?? false,
      disallowSubprocesses: this.get('sys.disallow_subprocesses') ?? false,
      fdsLimit: this.fdsLimit(),
      argvSrcFile: this.get('loader.argv_src_file') ?? null,
      envSrcFile: this.get('loader.env_src_file') ?? null,
      // in file order (the walk goes table by table)
      warnings: this.warnings.sort((a, b) => a.line - b.line).map((w) => w.text),
      sourcePath,
      sourceBytes,
    };
  }

  /** Walks the document in order: checks every known key, warns on ignored ones, refuses the rest. */
  private collect(table: TomlTable, at: KeyPath): void {
    for (const [name, value] of Object.entries(table)) {
      const here = [...at, name];
      const key = dotted(here);
      if (Object.hasOwn(MANIFEST_KEYS, key)) {
        const known = key as ManifestKey;
        this.found.set(known, { value: this.convert(MANIFEST_KEYS[known], value, here), at: here });
        if (Object.hasOwn(IGNORED_KEYS, key)) this.warn(here, `ignored (${IGNORED_KEYS[key]})`);
      } else if (Object.hasOwn(IGNORED_KEYS, key)) {
        this.warn(here, `ignored (${IGNORED_KEYS[key]})`);
      } else if (KNOWN_TABLES.has(key)) {
        if (!isTable(value)) this.fail(here, `expected a table, got ${typeName(value)}`);
        this.collect(value, here);
      } else {
        const near = nearestKey(key);
        this.fail(here, near === null ? 'unknown key' : `unknown key (did you mean ${near}?)`);
      }
    }
  }

  /** sys.fds.limit: soft and hard (as gramine-ts has always set it), else Gramine's default soft limit. */
  private fdsLimit(): Manifest['fdsLimit'] {
    const n = this.get('sys.fds.limit');
    return n === undefined ? { ...GRAMINE_DEFAULTS.fdsLimit } : { soft: n, hard: n };
  }

  private get<K extends ManifestKey>(key: K): KindTypes[(typeof MANIFEST_KEYS)[K]] | undefined {
    return this.found.get(key)?.value as KindTypes[(typeof MANIFEST_KEYS)[K]] | undefined;
  }

  /** The same list under two names (with and without "sgx."): one only. */
  private either<K extends ManifestKey>(key: K, alias: ManifestKey): KindTypes[(typeof MANIFEST_KEYS)[K]] | undefined {
    const aliased = this.found.get(alias);
    if (aliased && this.found.has(key)) this.fail(aliased.at, `given twice (also as ${key})`);
    return this.get(key) ?? (aliased?.value as KindTypes[(typeof MANIFEST_KEYS)[K]] | undefined);
  }

  private convert<K extends Kind>(kind: K, v: TomlValue, at: KeyPath): KindTypes[K] {
    return this.converters[kind](v, at);
  }

  private lineOf(at: KeyPath): number | null {
    this.keyLines ??= new KeyLines(this.text);
    return this.keyLines.lineOf(at);
  }

  private fail(at: KeyPath, reason: string): never {
    throw new ManifestError(this.file, this.lineOf(at), dotted(at), reason);
  }

  private warn(at: KeyPath, reason: string): void {
    const line = this.lineOf(at);
    this.warnings.push({ line: line ?? 0, text: `${where(this.file, line)}: ${dotted(at)}: ${reason}` });
  }

  // --- values ----------------------------------------------------------------------------------

  private string(v: unknown, at: KeyPath, what = 'a string'): string {
    if (typeof v !== 'string') this.fail(at, `expected ${what}, got ${typeName(v)}`);
    return v;
  }

  /** A table, with only the given keys if `keys` is given. */
  private table(v: unknown, at: KeyPath, what: string, keys?: readonly string[]): TomlTable {
    if (!isTable(v)) this.fail(at, `expected ${what}, got ${typeName(v)}`);
    for (const k of keys ? Object.keys(v) : []) if (!keys!.includes(k)) this.fail([...at, k], `unknown key (${oneOf(keys!)})`);
    return v;
  }

  private array(v: unknown, at: KeyPath, what: string): TomlValue[] {
    if (!Array.isArray(v)) this.fail(at, `expected ${what}, got ${typeName(v)}`);
    return v;
  }

  private choice<T extends string>(v: unknown, at: KeyPath, what: string, values: readonly T[]): T {
    const s = this.string(v, at);
    if (!(values as readonly string[]).includes(s)) this.fail(at, `unknown ${what} "${s}" (${oneOf(values)})`);
    return s as T;
  }

  private absPath(v: unknown, at: KeyPath): string {
    const s = this.string(v, at, 'an absolute path');
    if (!s.startsWith('/')) this.fail(at, `"${s}" is not an absolute path`);
    return normalAbsPath(s);
  }

  /** A `file:` URI's host path (normalized; relative ones are relative to the launcher's cwd). */
  private fileUri(v: unknown, at: KeyPath): string {
    return this.hostUri(v, at, ['file']);
  }

  /**
   * The host path of a URI with one of `schemes` ("file:", "dev:"), normalized as Linux reads
   * a path ("//" and "/./" are one "/", ".." goes up); a trailing "/" is kept (it says "a
   * directory" where that matters). Relative ones are relative to the launcher's cwd.
   */
  private hostUri(v: unknown, at: KeyPath, schemes: readonly string[]): string {
    const uri = this.string(v, at, `a ${oneOf(schemes.map((s) => `"${s}:"`))} URI`);
    const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(uri);
    if (!scheme) this.fail(at, `"${uri}" is not a URI (write "${schemes[0]}:${uri}")`);
    if (!schemes.includes(scheme[1]!)) {
      this.fail(at, `unsupported URI scheme "${scheme[1]}:" (${schemes.length === 1 ? 'only ' : ''}${oneOf(schemes.map((s) => `${s}:`))})`);
    }
    const rest = uri.slice(scheme[0].length);
    if (rest === '') this.fail(at, `the URI "${uri}" names no file`);
    return path.posix.normalize(rest);
  }

  private mount(v: unknown, at: KeyPath, isRoot: boolean): Mount {
    const keys = [...(isRoot ? [] : ['path']), 'type', 'uri', 'key_name', 'enable_recovery', 'size'];
    const t = this.table(v, at, isRoot ? 'a table { type, uri }' : 'a mount table { path, uri, type }', keys);
    if (isRoot && t.type === undefined && t.uri === undefined) return { ...GRAMINE_DEFAULTS.root };
    const type = t.type === undefined ? 'chroot' : this.choice(t.type, [...at, 'type'], 'mount type', MOUNT_TYPES);
    let mountPath = '/';
    if (!isRoot) {
      if (t.path === undefined) this.fail([...at, 'path'], 'missing (where to mount, an absolute path)');
      mountPath = this.absPath(t.path, [...at, 'path']);
      if (mountPath === '/') this.fail([...at, 'path'], 'cannot be "/" (the root is fs.root)');
    }
    if (t.key_name !== undefined && type !== 'encrypted') this.fail([...at, 'key_name'], 'only for encrypted mounts');
    if (t.enable_recovery !== undefined) {
      this.converters.bool(t.enable_recovery, [...at, 'enable_recovery']);
      this.warn([...at, 'enable_recovery'], `ignored (${IGNORED_MOUNT_KEYS.enable_recovery})`);
    }
    if (t.size !== undefined && type !== 'tmpfs') this.fail([...at, 'size'], 'only for tmpfs mounts');
    if (type === 'tmpfs') {
      const size = t.size === undefined ? null : this.converters.size(t.size, [...at, 'size']);
      if (size === 0) this.fail([...at, 'size'], 'must be more than 0');
      return { type, path: mountPath, size }; // Gramine ignores a tmpfs uri
    }
    const schemes = MOUNT_URI_SCHEMES[type];
    if (t.uri === undefined) this.fail([...at, 'uri'], `missing (${type} mounts need a ${oneOf(schemes.map((s) => `"${s}:"`))} URI)`);
    const hostPath = this.hostUri(t.uri, [...at, 'uri'], schemes);
    const uri = t.uri as string;
    if (type === 'encrypted') {
      const keyName = t.key_name === undefined ? 'default' : this.string(t.key_name, [...at, 'key_name']);
      if (keyName === '') this.fail([...at, 'key_name'], 'empty');
      return { type, path: mountPath, uri, hostPath, keyName };
    }
    if (/^\/(proc|sys)(\/|$)/.test(hostPath) || (/^\/dev(\/|$)/.test(hostPath) && !uri.startsWith('dev:'))) {
      this.warn([...at, 'uri'], `exposes the host's ${hostPath} unfiltered to the app`);
    }
    return { type, path: mountPath, uri, hostPath, readOnly: false };
  }

  private readonly converters: Converters = {
    bool: (v, at) => {
      if (typeof v !== 'boolean') this.fail(at, `expected true or false, got ${typeName(v)}`);
      return v;
    },
    id: (v, at) => {
      if (typeof v !== 'bigint') this.fail(at, `expected a non-negative integer, got ${typeName(v)}`);
      if (v < 0n) this.fail(at, `must not be negative (${v})`);
      if (v > 0xffff_ffffn) this.fail(at, `too large (${v}; at most 4294967295)`);
      return Number(v);
    },
    hostFile: (v, at) => this.fileUri(v, at),
    hostPath: (v, at) => {
      const p = this.string(v, at, 'a path');
      if (p === '') this.fail(at, 'empty');
      return path.resolve(p);
    },
    count: (v, at) => {
      if (typeof v !== 'bigint') this.fail(at, `expected a positive integer, got ${typeName(v)}`);
      if (v < 1n || v > 0x7fff_ffffn) this.fail(at, `out of range (${v}; 1 to 2147483647)`);
      return Number(v);
    },
    size: (v, at) => {
      let bytes: bigint;
      if (typeof v === 'bigint') {
        if (v < 0n) this.fail(at, `must not be negative (${v})`);
        bytes = v;
      } else if (typeof v === 'string') {
        const m = SIZE.exec(v);
        if (!m) this.fail(at, `bad size "${v}" (a number of bytes, optionally followed by K, M or G)`);
        bytes = BigInt(m[1]!) << SIZE_SHIFT[m[2]!.toLowerCase()]!;
      } else {
        this.fail(at, `expected a size such as "256K", "8M" or "1G", got ${typeName(v)}`);
      }
      if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(at, `too large (${v})`);
      return Number(bytes);
    },
    strings: (v, at) => this.array(v, at, 'an array of strings').map((s, n) => this.string(s, [...at, n])),
    entrypoint: (v, at) => {
      const s = this.string(v, at, 'a path');
      if (s === '') this.fail(at, 'empty');
      if (s.startsWith('file:')) this.fail(at, 'is a path inside the instance, not a URI (drop "file:")');
      return s;
    },
    absPath: (v, at) => this.absPath(v, at),
    logLevel: (v, at) => this.choice(v, at, 'log level', MANIFEST_LOG_LEVELS),
    fileCheckPolicy: (v, at) => this.choice(v, at, 'file check policy', FILE_CHECK_POLICIES),
    env: (v, at) => {
      const env: Record<string, EnvSetting> = {};
      for (const [name, setting] of Object.entries(this.table(v, at, 'a table of variables'))) {
        const here = [...at, name];
        if (name === '' || name.includes('=')) this.fail(here, 'not a valid environment variable name');
        if (typeof setting === 'string') {
          env[name] = { value: setting };
          continue;
        }
        const s = this.table(setting, here, 'a string, { value = "..." } or { passthrough = true }', ['value', 'passthrough']);
        if (s.value !== undefined && s.passthrough !== undefined) this.fail(here, 'takes value or passthrough, not both');
        if (s.value !== undefined) env[name] = { value: this.string(s.value, [...here, 'value']) };
        else if (s.passthrough === true) env[name] = { passthrough: true };
        else if (s.passthrough === false) this.fail([...here, 'passthrough'], 'false is not allowed (Gramine refuses deny lists)');
        else if (s.passthrough !== undefined) this.fail([...here, 'passthrough'], `expected true, got ${typeName(s.passthrough)}`);
        else this.fail(here, 'needs value = "..." or passthrough = true');
      }
      return env;
    },
    keys: (v, at) => {
      const keys: Record<string, string> = {};
      for (const [name, hex] of Object.entries(this.table(v, at, 'a table of keys'))) {
        const key = this.string(hex, [...at, name], '32 hex digits');
        if (!KEY_HEX.test(key)) this.fail([...at, name], 'expected 32 hex digits (a 16-byte key)');
        keys[name] = key.toLowerCase();
      }
      return keys;
    },
    root: (v, at) => this.mount(v, at, true),
    mounts: (v, at) => {
      const taken = new Map<string, string>(VIRTUAL_MOUNTS.map((m) => [m.path, `the virtual ${m.path} is always mounted there`]));
      return this.array(v, at, 'an array of mount tables').map((entry, n) => {
        const mount = this.mount(entry, [...at, n], false);
        const other = taken.get(mount.path);
        if (other !== undefined) this.fail([...at, n, 'path'], `duplicate mount path "${mount.path}" (${other})`);
        taken.set(mount.path, `${dotted([...at, n])} mounts it too`);
        return mount;
      });
    },
    trustedFiles: (v, at) =>
      this.array(v, at, 'an array of files').map((entry, n): TrustedFile => {
        const here = [...at, n];
        if (typeof entry === 'string') return { uri: entry, path: this.fileUri(entry, here), sha256: null };
        const t = this.table(entry, here, 'a "file:" URI or a { uri, sha256 } table', ['uri', 'sha256']);
        if (t.uri === undefined) this.fail([...here, 'uri'], 'missing');
        const file = { uri: t.uri as string, path: this.fileUri(t.uri, [...here, 'uri']) };
        if (t.sha256 === undefined) return { ...file, sha256: null };
        const sha256 = this.string(t.sha256, [...here, 'sha256'], '64 hex digits');
        if (!SHA256_HEX.test(sha256)) this.fail([...here, 'sha256'], `expected 64 hex digits (a SHA-256 hash), got "${sha256}"`);
        return { ...file, sha256: sha256.toLowerCase() };
      }),
    allowedFiles: (v, at) =>
      this.array(v, at, 'an array of files').map((entry, n): AllowedFile => {
        const here = [...at, n];
        // files and directories (file:) and devices (dev:), as Gramine
        if (typeof entry === 'string') return { uri: entry, path: this.hostUri(entry, here, ALLOWED_URI_SCHEMES) };
        const t = this.table(entry, here, 'a "file:" URI or a { uri } table', ['uri']);
        if (t.uri === undefined) this.fail([...here, 'uri'], 'missing');
        return { uri: t.uri as string, path: this.hostUri(t.uri, [...here, 'uri'], ALLOWED_URI_SCHEMES) };
      }),

  };
}

// ---------------------------------------------------------------------------------------------
// Lines of keys

/** Ends a scan that met something it does not expect (the text is valid TOML: should not happen). */
const STOP = Symbol('stop');
const BARE_KEY_AT = /[A-Za-z0-9_-]+/y;
const ESCAPES: Record<string, string> = { b: '\b', t: '\t', n: '\n', f: '\f', r: '\r', e: '\x1b', '"': '"', '\\': '\\' };

/**
 * The 1-based line where each key, table and array element of a TOML text is first defined:
 * smol-toml does not say. A structural scan of text that has already parsed; values are skipped,
 * not read. Array-of-tables headers ([[fs.mounts]]) and inline arrays both give element indices.
 */
class KeyLines {
  private readonly lineStarts = [0];
  private readonly lines = new Map<string, number>();
  /** How many [[x]] headers each array of tables has had so far. */
  private readonly tableArrayLengths = new Map<string, number>();
  private pos = 0;

  constructor(private readonly text: string) {
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') this.lineStarts.push(i + 1);
    try {
      this.document();
    } catch {
      // keep the lines found so far: an approximate answer beats none in an error message
    }
  }

  /** The line of `at`, else of the nearest table or array around it that has one. */
  lineOf(at: KeyPath): number | null {
    for (let n = at.length; n > 0; n--) {
      const line = this.lines.get(JSON.stringify(at.slice(0, n)));
      if (line !== undefined) return line;
    }
    return null;
  }

  private note(at: KeyPath, from: number, pos: number): void {
    for (let n = from + 1; n <= at.length; n++) {
      const id = JSON.stringify(at.slice(0, n));
      if (!this.lines.has(id)) this.lines.set(id, this.lineAt(pos));
    }
  }

  private lineAt(pos: number): number {
    let lo = 0;
    let hi = this.lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.lineStarts[mid]! <= pos) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  }

  private document(): void {
    let table: KeyPath = [];
    for (;;) {
      this.skipBlank(true);
      if (this.pos >= this.text.length) return;
      const start = this.pos;
      if (this.text[this.pos] === '[') {
        const isArray = this.text[this.pos + 1] === '[';
        this.pos += isArray ? 2 : 1;
        const keys = this.key();
        this.skipBlank(false);
        this.expect(isArray ? ']]' : ']');
        table = this.header(keys, isArray);
        this.note(table, 0, start);
      } else {
        this.keyValue(table, start);
      }
    }
  }

  /** A header's path, with the current index after every array of tables on the way. */
  private header(keys: string[], isArray: boolean): KeyPath {
    const at: (string | number)[] = [];
    keys.forEach((key, n) => {
      at.push(key);
      const id = JSON.stringify(at);
      const length = this.tableArrayLengths.get(id);
      if (isArray && n === keys.length - 1) {
        this.tableArrayLengths.set(id, (length ?? 0) + 1);
        at.push(length ?? 0);
      } else if (length !== undefined) {
        at.push(length - 1);
      }
    });
    return at;
  }

  private keyValue(table: KeyPath, start: number): void {
    const at = [...table, ...this.key()];
    this.skipBlank(false);
    this.expect('=');
    this.note(at, table.length, start);
    this.skipBlank(false);
    this.value(at);
  }

  private value(at: KeyPath): void {
    const c = this.text[this.pos];
    if (c === '{') {
      this.pos++;
      for (;;) {
        this.skipBlank(true);
        if (this.text[this.pos] === '}') return void this.pos++;
        this.keyValue(at, this.pos);
        this.skipBlank(true);
        if (this.text[this.pos] === ',') this.pos++;
      }
    } else if (c === '[') {
      this.pos++;
      for (let n = 0; ; n++) {
        this.skipBlank(true);
        if (this.text[this.pos] === ']') return void this.pos++;
        this.note([...at, n], at.length, this.pos);
        this.value([...at, n]);
        this.skipBlank(true);
        if (this.text[this.pos] === ',') this.pos++;
      }
    } else if (c === '"' || c === "'") {
      this.string();
    } else {
      // number, boolean or date: runs to a delimiter
      const start = this.pos;
      while (this.pos < this.text.length && !',]}\n#'.includes(this.text[this.pos]!)) this.pos++;
      if (this.pos === start) throw STOP;
    }
  }

  private key(): string[] {
    const keys: string[] = [];
    for (;;) {
      this.skipBlank(false);
      const c = this.text[this.pos];
      if (c === '"' || c === "'") {
        keys.push(this.string());
      } else {
        BARE_KEY_AT.lastIndex = this.pos;
        const bare = BARE_KEY_AT.exec(this.text);
        if (!bare) throw STOP;
        keys.push(bare[0]);
        this.pos = BARE_KEY_AT.lastIndex;
      }
      this.skipBlank(false);
      if (this.text[this.pos] !== '.') return keys;
      this.pos++;
    }
  }

  /** Skips a string; returns its value (escapes decoded only in one-line basic strings: keys). */
  private string(): string {
    const { text } = this;
    const quote = text[this.pos]!;
    const triple = quote.repeat(3);
    if (text.startsWith(triple, this.pos)) {
      let end = this.pos + 3;
      while (!text.startsWith(triple, end)) {
        if (end >= text.length) throw STOP;
        end += quote === '"' && text[end] === '\\' ? 2 : 1;
      }
      while (text[end + 3] === quote) end++; // up to two quotes may end the content
      const raw = text.slice(this.pos + 3, end);
      this.pos = end + 3;
      return raw;
    }
    let end = this.pos + 1;
    while (end < text.length && text[end] !== quote && text[end] !== '\n') end += quote === '"' && text[end] === '\\' ? 2 : 1;
    if (text[end] !== quote) throw STOP;
    const raw = text.slice(this.pos + 1, end);
    this.pos = end + 1;
    if (quote === "'") return raw;
    return raw.replace(/\\(?:u([0-9a-fA-F]{4})|U([0-9a-fA-F]{8})|x([0-9a-fA-F]{2})|(.))/g, (_, u4, u8, x2, c: string | undefined) =>
      c === undefined ? String.fromCodePoint(parseInt(u4 ?? u8 ?? x2, 16)) : (ESCAPES[c] ?? c),
    );
  }

  private skipBlank(newlines: boolean): void {
    for (;;) {
      const c = this.text[this.pos];
      if (c === ' ' || c === '\t' || (newlines && (c === '\n' || c === '\r'))) this.pos++;
      else if (c === '#' && newlines) while (this.pos < this.text.length && this.text[this.pos] !== '\n') this.pos++;
      else return;
    }
  }

  private expect(s: string): void {
    if (!this.text.startsWith(s, this.pos)) throw STOP;
    this.pos += s.length;
  }
}
