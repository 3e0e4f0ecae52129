// What the first process of an instance starts with, from its manifest and the command line,
// as Gramine's loader computes it (argv, environment, ids, working directory).
import { readFileSync } from 'node:fs';
import { ManifestError, type Manifest } from '../manifest/index.js';
import { toByteString } from '../pal/byte-strings.js';

/** A file of NUL-terminated strings (what gramine-argv-serializer writes). */
function nulSeparated(manifest: Manifest, file: string, key: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'latin1');
  } catch (e) {
    throw new ManifestError(manifest.sourcePath ?? '(manifest)', null, key, `cannot read ${file}: ${(e as Error).message}`);
  }
  const strings = text.split('\0');
  if (strings.pop() !== '') throw new ManifestError(manifest.sourcePath ?? '(manifest)', null, key, `${file}: the last string is not NUL-terminated`);
  return strings;
}

export interface FirstProcess {
  /** The program: an instance path (libos.entrypoint). */
  filename: string;
  /** argv[0] included; byte strings (one char per byte), as the environment. */
  argv: string[];
  env: Record<string, string>;
  /** An instance path (fs.start_dir). */
  cwd: string;
  uid: number;
  gid: number;
}

/**
 * The first process of an instance running `manifest`, with `cmdlineArgs` the command line's
 * arguments after the program or manifest, and `hostEnv` the launcher's environment, both as
 * byte strings (hostCommandLine, hostEnvironment): what is not UTF-8 reaches the app unchanged.
 *
 * - argv: `loader.argv`, else [entrypoint]; with `loader.insecure__use_cmdline_argv = true`,
 *   [entrypoint, ...cmdlineArgs]. Arguments on the command line without that key are refused
 *   (ManifestError), as Gramine does: the manifest decides what the app sees.
 *   `loader.argv_src_file` (a file of NUL-terminated strings, argv[0] first) instead of
 *   `loader.argv`.
 * - env: the whole host environment with `loader.insecure__use_host_env`, else nothing; then
 *   `loader.env_src_file` (NUL-terminated KEY=VALUE strings); then `loader.env`: a value sets a
 *   variable, `{ passthrough = true }` copies the host's if it has one.
 */
export function runRequestFor(
  manifest: Manifest,
  cmdlineArgs: readonly string[],
  hostEnv: Readonly<Record<string, string | undefined>>,
): FirstProcess {
  let argv: string[];
  if (manifest.useCmdlineArgv) {
    argv = [manifest.entrypoint, ...cmdlineArgs];
  } else {
    if (cmdlineArgs.length > 0) {
      throw new ManifestError(
        manifest.sourcePath ?? '(manifest)', null, null,
        `command-line arguments given (${cmdlineArgs.length}), but the manifest does not set ` +
          'loader.insecure__use_cmdline_argv = true: the app gets ' +
          (manifest.argv !== null ? 'loader.argv' : 'only its entrypoint as argv'),
      );
    }
    argv = manifest.argv !== null ? manifest.argv.map(toByteString)
      : manifest.argvSrcFile !== null ? nulSeparated(manifest, manifest.argvSrcFile, 'loader.argv_src_file')
      : [toByteString(manifest.entrypoint)];
  }

  // no prototype: a variable may be called __proto__
  const env = Object.create(null) as Record<string, string>;
  if (manifest.useHostEnv) for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined) env[k] = v;
  // then the serialized environment (KEY=VALUE strings), then loader.env on top, as Gramine
  if (manifest.envSrcFile !== null) {
    for (const kv of nulSeparated(manifest, manifest.envSrcFile, 'loader.env_src_file')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
  }
  for (const [utf8Name, setting] of Object.entries(manifest.env)) {
    const name = toByteString(utf8Name);
    if ('value' in setting) {
      env[name] = toByteString(setting.value);
    } else {
      const v = hostEnv[name];
      if (v !== undefined) env[name] = v;
    }
  }
  // a NUL would end the string early in the app (and Node refuses to spawn it)
  for (const [name, value] of [...argv.map((a) => ['loader.argv', a] as const), ...Object.entries(env).map(([k, v]) => [`loader.env.${k}`, v] as const)]) {
    if (value.includes('\0')) throw new ManifestError(manifest.sourcePath ?? '(manifest)', null, name, 'contains a NUL character');
  }

  return { filename: manifest.entrypoint, argv, env, cwd: manifest.startDir, uid: manifest.uid, gid: manifest.gid };
}
