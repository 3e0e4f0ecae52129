// `gramine-ts` command line.
import { accessSync, constants as fsConstants } from 'node:fs';
import path from 'node:path';
import { launchedFirstWorker, spawnWorkerProcess } from '../leader/worker-process.js';
import { createPlatformKey } from '../tls-psk/platform-key.js';

// Only light modules are imported statically: the first worker is spawned before the rest of
// the leader loads (see run()).
import { isLogLevel, LOG_LEVELS, type LogLevel } from '../log-levels.js';

const USAGE = `usage: gramine-ts run [--leader-log] [--log-level LEVEL] PROGRAM [ARGS...]

  --leader-log        print every lifecycle event and IPC message the leader handles
  --log-level LEVEL   worker log level: ${LOG_LEVELS.join(', ')} (default: error)
  --trace-syscalls FILE
                      development aid: run the app with every syscall trapped and append the
                      names of those it made to FILE
`;

/** Until manifests arrive, every instance runs the built-in default, measured as no bytes. */
const NO_MANIFEST = new Uint8Array(0);

interface RunOptions {
  leaderLog: boolean;
  logLevel: LogLevel;
  traceFile: string | null;
  program: string;
  args: string[];
}

function usageError(msg: string): never {
  process.stderr.write(`gramine-ts: ${msg}\n${USAGE}`);
  process.exit(2);
}

function parseRun(argv: string[]): RunOptions {
  const opts: RunOptions = { leaderLog: false, logLevel: 'error', traceFile: null, program: '', args: [] };
  let i = 0;
  for (; i < argv.length && argv[i]!.startsWith('--'); i++) {
    const a = argv[i]!;
    if (a === '--') {
      i++;
      break;
    } else if (a === '--leader-log') opts.leaderLog = true;
    else if (a === '--log-level' || a.startsWith('--log-level=')) {
      const v = a.includes('=') ? a.slice(a.indexOf('=') + 1) : argv[++i];
      if (!v || !isLogLevel(v)) usageError(`bad --log-level ${v ?? ''}`);
      opts.logLevel = v;
    } else if (a === '--trace-syscalls') {
      const f = argv[++i];
      if (!f) usageError('--trace-syscalls needs a file');
      opts.traceFile = path.resolve(f);
    } else usageError(`unknown option ${a}`);
  }
  if (i >= argv.length) usageError('no program given');
  opts.program = argv[i]!;
  opts.args = argv.slice(i + 1);
  return opts;
}

/** As execvp: a name without a slash is looked up in PATH. */
function findProgram(name: string, env: NodeJS.ProcessEnv): string {
  if (name.includes('/')) return name;
  for (const dir of (env.PATH ?? '/usr/local/bin:/usr/bin:/bin').split(':')) {
    const candidate = path.join(dir || '.', name);
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

async function run(argv: string[]): Promise<number> {
  const opts = parseRun(argv);
  const launched = launchedFirstWorker();
  const platformKey = launched?.platformKey ?? createPlatformKey();
  const firstWorker = launched?.worker ?? spawnWorkerProcess(platformKey);
  const [{ Leader }, { createLogger }, { createInstanceSecrets }] = await Promise.all([
    import('../leader/leader.js'),
    import('../log.js'),
    import('../leader/instance-secrets.js'),
  ]);
  const leader = new Leader(createInstanceSecrets(platformKey, NO_MANIFEST));
  leader.adoptFirstWorker(firstWorker);
  if (opts.leaderLog) leader.setLogger(createLogger('leader', 'info'));
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined) env[k] = v;
  return leader.run({
    filename: findProgram(opts.program, process.env),
    argv: [opts.program, ...opts.args],
    env,
    cwd: process.cwd(),
    logLevel: opts.logLevel,
    traceFile: opts.traceFile,
  });
}

async function main(): Promise<void> {
  const [cmd, ...rest] = process.argv.slice(2);
  switch (cmd) {
    case 'run':
      process.exit(await run(rest));
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
