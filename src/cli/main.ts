// `gramine-ts` command line.
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { launchedFirstWorker, spawnWorkerProcess } from '../leader/worker-process.js';
import { createPlatformKey } from '../tls-psk/platform-key.js';

// Only light modules are imported statically: the first worker is spawned before the rest of
// the leader loads (see run()).
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log-levels.js';
import type { Manifest } from '../manifest/index.js';
import type { FileCheckConfig } from '../libos/fs/trusted.js';
import type { FirstProcess } from './run-request.js';
import { hostCommandLine, hostEnvironment } from './host-vectors.js';
import { fromByteString } from '../pal/byte-strings.js';

const USAGE = `usage: gramine-ts run [OPTIONS] PROGRAM [ARGS...]
       gramine-ts run [OPTIONS] [--manifest] FILE.manifest.toml [ARGS...]
       gramine-ts sign [--no-progress] [--key KEYFILE] FILE.manifest.toml
       gramine-ts sign --gen-key KEYFILE
       gramine-ts manifest [--no-check] [-Dkey=value]... TEMPLATE [OUTFILE]
       gramine-ts pf encrypt|decrypt|inspect [--key KEYFILE] ... (see gramine-ts pf --help)
       gramine-ts quote verify|platform-key ... (see gramine-ts quote --help)

run: run PROGRAM, or the entrypoint of a manifest, in a new instance
  --leader-log        print every lifecycle event and IPC message the leader handles
  --cpu-report        print at the end the CPU time the leader and each worker used, and the
                      app processes' (what the first worker reaped)
  --log-level LEVEL   worker log level: ${LOG_LEVELS.join(', ')} (default: error, or the
                      manifest's loader.log_level)
  --manifest FILE     run as the manifest FILE says (no PROGRAM then; ARGS need
                      loader.insecure__use_cmdline_argv = true). A first argument ending in
                      .manifest.toml is a manifest too. Its signature FILE.sig is used when present,
                      and required when it lists trusted files; one that no longer matches
                      (manifest, trusted files' hashes, measurement, key signature) is refused.
  --signer KEY        require FILE.sig to be signed by KEY: 64 hex digits, or a key file or
                      its .pub (gramine-ts sign --gen-key)
  --no-unsupported-report
                      do not name, at the end, what the program used that gramine-ts does not
                      support (also: gramine_ts.report_unsupported = false in the manifest)
  --strace FILE       write each trapped system call of every process of the instance to
                      FILE, one line each, as strace -f does (virtual pids)
  --trace-syscalls FILE
                      development aid: run the app with every syscall trapped and append the
                      names of those it made to FILE
sign: hash the manifest's trusted files and write FILE.sig with them and the measurement,
  signed with --key KEYFILE (see gramine-ts sign --help)
manifest: render a Gramine manifest template (see gramine-ts manifest --help)
`;

/** Measured when there is no manifest file: the built-in default, as no bytes. */
const NO_MANIFEST = new Uint8Array(0);

const MANIFEST_SUFFIX = '.manifest.toml';

interface RunOptions {
  leaderLog: boolean;
  cpuReport: boolean;
  /** false: no line at the end naming what the program used that is unsupported */
  reportUnsupported: boolean;
  /** null: not given (the manifest's loader.log_level, else error) */
  logLevel: LogLevel | null;
  traceFile: string | null;
  straceFile: string | null;
  /** The manifest file, as given; null: the built-in default for `program`. */
  manifest: string | null;
  /** --signer, as given: who must have signed the manifest's signature; null: anyone or no one. */
  signer: string | null;
  /** Without a manifest: the program to run (as Node decoded it, for the PATH look-up); with one: "". */
  program: string;
  /** The program's argv[0] and arguments, as byte strings: what the app gets unchanged. */
  argv0: string;
  args: string[];
}

function usageError(msg: string): never {
  process.stderr.write(`gramine-ts: ${msg}\n${USAGE}`);
  process.exit(2);
}

/** `argv` as Node decoded it; `rawArgv` the same as byte strings (hostCommandLine). */
function parseRun(argv: string[], rawArgv: string[]): RunOptions {
  const opts: RunOptions = {
    leaderLog: false, cpuReport: false, reportUnsupported: true, logLevel: null, traceFile: null, straceFile: null, manifest: null, signer: null,
    program: '', argv0: '', args: [],
  };
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('--'); i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    } else if (a === '--leader-log') opts.leaderLog = true;
    else if (a === '--cpu-report') opts.cpuReport = true;
    else if (a === '--no-unsupported-report') opts.reportUnsupported = false;
    else if (a === '--log-level' || a.startsWith('--log-level=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v || !isLogLevel(v)) usageError(`bad --log-level ${v ?? ''}`);
      opts.logLevel = v;
    } else if (a === '--trace-syscalls') {
      const f = argv[++i];
      if (!f) usageError('--trace-syscalls needs a file');
      opts.traceFile = path.resolve(f);
    } else if (a === '--strace') {
      const f = argv[++i];
      if (!f) usageError('--strace needs a file');
      opts.straceFile = path.resolve(f);
    } else if (a === '--manifest' || a.startsWith('--manifest=')) {
      const f = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!f) usageError('--manifest needs a file');
      opts.manifest = f;
    } else if (a === '--signer' || a.startsWith('--signer=')) {
      const k = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!k) usageError('--signer needs a public key or a key file');
      opts.signer = k;
    } else usageError(`unknown option ${a}`);
  }
  if (opts.manifest !== null) {
    opts.args = rawArgv.slice(i);
    return opts;
  }
  if (i >= argv.length) usageError('no program given');
  if (argv[i]!.endsWith(MANIFEST_SUFFIX)) opts.manifest = argv[i]!;
  else if (opts.signer !== null) usageError('--signer needs a manifest: a program run without one is not signed');
  else opts.program = argv[i]!;
  opts.argv0 = rawArgv[i]!;
  opts.args = rawArgv.slice(i + 1);
  return opts;
}

/** As execvp: a name without a slash is looked up in PATH. */
function findProgram(name: string, env: NodeJS.ProcessEnv): string {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = path.resolve(dir || '.', name);
    try {
      accessSync(candidate, fsConstants.X_OK);
      return candidate;
    } catch {
      // keep looking
    }
  }
  process.stderr.write(`gramine-ts: ${name}: command not found\n`);
  process.exit(127);
}

/** Manifest warnings are printed only at log levels that show warnings. */
function showsWarnings(level: LogLevel): boolean {
  return level === 'warn' || level === 'info' || level === 'debug' || level === 'trace';
}

async function run(argv: string[], rawArgv: string[]): Promise<number> {
  const opts = parseRun(argv, rawArgv);
  const launched = launchedFirstWorker();
  const platformKey = launched?.platformKey ?? createPlatformKey();
  const firstWorker = launched?.worker ?? spawnWorkerProcess(platformKey);
  const [{ Leader }, { createLogger }, { createInstanceSecrets }, manifests, { runRequestFor }] = await Promise.all([
    import('../leader/leader.js'),
    import('../log.js'),
    import('../leader/instance-secrets.js'),
    import('../manifest/index.js'),
    import('./run-request.js'),
  ]);

  const refuse = (e: unknown): number => {
    if (!(e instanceof manifests.ManifestError || e instanceof manifests.SignatureError || (e instanceof Error && e.name === 'SigningKeyError'))) throw e;
    firstWorker.kill();
    process.stderr.write(`gramine-ts: ${e.message}\n`);
    return 2;
  };
  let manifest: Manifest;
  let first: FirstProcess;
  try {
    if (opts.manifest !== null) {
      manifest = manifests.loadManifest(opts.manifest);
      // the Ed25519 code is loaded only for a keyed signature or a required signer
      const keys = opts.signer !== null ? await import('../manifest/signing-key.js') : null;
      const signer = keys?.signerPublicKey(opts.signer!) ?? null;
      const signature = manifests.signatureForRun(manifest, opts.manifest, signer);
      if (signature !== null && (signature.signer !== undefined || signer !== null)) {
        (keys ?? (await import('../manifest/signing-key.js'))).verifySigner(signature, signer);
      }
      manifest.signature = signature;
      first = runRequestFor(manifest, opts.args, hostEnvironment());
    } else {
      manifest = manifests.defaultManifest(findProgram(opts.program, process.env), [opts.program, ...opts.args].map(fromByteString));
      // the command line's own bytes (the manifest's argv is how Node reads them)
      first = { ...runRequestFor(manifest, [], hostEnvironment()), argv: [opts.argv0, ...opts.args] };
    }
  } catch (e) {
    return refuse(e);
  }
  const logLevel = opts.logLevel ?? manifests.workerLogLevel(manifest.logLevel);
  const warn = showsWarnings(logLevel);
  if (warn) for (const w of manifest.warnings) process.stderr.write(`gramine-ts: warning: ${w}\n`);

  // The measurement's manifest part: the manifest's bytes and, when it is signed, the signed
  // trusted files (measuredManifestBytes); nothing for the built-in default.
  const signature = manifest.signature ?? null;
  const measured = manifest.sourcePath === null ? NO_MANIFEST : manifests.measuredManifestBytes(manifest.sourceBytes, signature);
  const secrets = createInstanceSecrets(platformKey, measured);
  // a signature binds the measurement: one this instance does not reproduce (a trusted file's
  // hash edited in the .sig, another build) is refused before the app starts
  if (signature !== null) {
    try {
      manifests.checkSignedMeasurement(signature, Buffer.from(await secrets.expectedMeasurement).toString('hex'), opts.manifest!);
    } catch (e) {
      return refuse(e);
    }
  }
  // what the workers check opened files against; the built-in manifest checks nothing (and a
  // bare run does not load the checks)
  let fileChecks: FileCheckConfig | null = null;
  if (opts.manifest !== null) {
    const { fileCheckConfig } = await import('../manifest/file-checks.js');
    const cfg = fileCheckConfig(manifest, signature);
    fileChecks = cfg.enabled ? cfg : null;
  }
  const leader = new Leader(secrets);
  leader.adoptFirstWorker(firstWorker);
  if (opts.leaderLog) leader.setLogger(createLogger('leader', 'info'));
  return leader.run({
    ...first,
    manifest,
    fileChecks,
    logLevel,
    traceFile: opts.traceFile,
    straceFile: opts.straceFile,
    reportUnsupported: opts.reportUnsupported && manifest.reportUnsupported,
    cpuReport: opts.cpuReport,
  });
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'run':
      process.exit(await run(rest, hostCommandLine().slice(1)));
    case 'manifest': {
      const { manifestCommand, MANIFEST_USAGE } = await import('./manifest-command.js');
      if (rest[0] === '--help' || rest[0] === '-h') {
        process.stdout.write(MANIFEST_USAGE);
        process.exit(0);
      }
      process.exit(manifestCommand(rest));
    }
    case 'sign': {
      const { signCommand } = await import('./sign.js');
      process.exit(await signCommand(rest));
    }
    case 'pf': {
      const { pfCommand } = await import('./pf-command.js');
      process.exit(await pfCommand(rest));
    }
    case 'quote': {
      const { quoteCommand } = await import('./quote-command.js');
      process.exit(quoteCommand(rest));
    }
    case undefined:
    case '-h':
    case '--help':
      process.stdout.write(USAGE);
      process.exit(cmd === undefined ? 2 : 0);
    default:
      usageError(`unknown command ${cmd}`);
  }
}

void main();
