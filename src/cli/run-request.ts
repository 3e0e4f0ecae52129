// What the first process of an instance starts with, from its manifest and the command line,
// as Gramine's loader computes it (argv, environment, ids, working directory).
import { ManifestError, type Manifest } from '../manifest/index.js';

export interface FirstProcess {
  /** The program: an instance path (libos.entrypoint). */
  filename: string;
  /** argv[0] included. */
  argv: string[];
  env: Record<string, string>;
  /** An instance path (fs.start_dir). */
  cwd: string;
  uid: number;
  gid: number;
}

/**
 * The first process of an instance running `manifest`, with `cmdlineArgs` the command line's
 * arguments after the program or manifest, and `hostEnv` the launcher's environment.
 *
 * - argv: `loader.argv`, else [entrypoint]; with `loader.insecure__use_cmdline_argv = true`,
 *   [entrypoint, ...cmdlineArgs]. Arguments on the command line without that key are refused
 *   (ManifestError), as Gramine does: the manifest decides what the app sees.
 * - env: the whole host environment with `loader.insecure__use_host_env`, else nothing; then
 *   `loader.env`: a value sets a variable, `{ passthrough = true }` copies the host's if it has one.
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
    argv = manifest.argv !== null ? [...manifest.argv] : [manifest.entrypoint];
  }

  // no prototype: a variable may be called __proto__
  const env = Object.create(null) as Record<string, string>;
  if (manifest.useHostEnv) for (const [k, v] of Object.entries(hostEnv)) if (v !== undefined) env[k] = v;
  for (const [name, setting] of Object.entries(manifest.env)) {
    if ('value' in setting) {
      env[name] = setting.value;
    } else {
      const v = hostEnv[name];
      if (v !== undefined) env[name] = v;
    }
  }

  return { filename: manifest.entrypoint, argv, env, cwd: manifest.startDir, uid: manifest.uid, gid: manifest.gid };
}
