// Gramine manifest templates (Jinja syntax, as gramine-manifest renders them) rendered with
// nunjucks and the globals Gramine's templates use: the -D definitions, `env`, `gramine.*`,
// `python.*` (the host's python3, asked once when a template first uses it) and `ldd()`.
import { execFileSync } from 'node:child_process';
import { existsSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import nunjucks from 'nunjucks';

import { STUB_PATH } from '../paths.js';

/** Values the -D options give; `-Dname` alone is true, as in gramine-manifest. */
export type Defines = Record<string, string | true>;

/** What Gramine's Makefiles pass with -D, defaulted to this host (a -D overrides it). */
function defaultDefines(): Record<string, string> {
  return { arch_libdir: `/lib/${machineTriplet()}`, log_level: 'error' };
}

function machineTriplet(): string {
  return process.arch === 'arm64' ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
}

/**
 * gramine.runtimedir(): where Gramine keeps its patched C library; here the host's own C
 * library directory (that of the dynamic loader), which programs already run with.
 */
function runtimedir(libc: unknown = 'glibc'): string {
  const name = typeof libc === 'object' && libc !== null ? (libc as { libc?: string }).libc ?? 'glibc' : String(libc);
  if (name === 'musl') return existsSync('/usr/lib/musl/lib') ? '/usr/lib/musl/lib' : '/usr/lib/musl';
  return path.dirname(realpathSync('/lib64/ld-linux-x86-64.so.2'));
}

/** The shared libraries `ldd` names for these binaries (sorted, no vDSO; none for a static one), as Gramine's ldd(). */
function ldd(...binaries: unknown[]): string[] {
  const files = binaries.filter((b): b is string => typeof b === 'string');
  let out: string;
  try {
    out = execFileSync('ldd', files, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (e) {
    // a static program has no libraries (ldd says so and fails)
    const r = e as { stdout?: string; stderr?: string };
    if (!/not a dynamic executable/.test(`${r.stdout}${r.stderr}`)) throw e;
    out = r.stdout ?? '';
  }
  const libs = new Set<string>();
  for (const line of out.split('\n')) {
    const w = line.trim().split(/\s+/);
    if (w[1] === '=>' && w[2]?.startsWith('/')) libs.add(w[2]);
    else if (w[0]?.startsWith('/') && w[1]?.startsWith('(')) libs.add(w[0]);
  }
  return [...libs].sort();
}

/** A host path as templates use Python's pathlib.Path: printed as the path, with is_dir() and exists(). */
class HostPath {
  constructor(private readonly p: string) {}
  toString(): string {
    return this.p;
  }
  is_dir(): boolean {
    return statSync(this.p, { throwIfNoEntry: false })?.isDirectory() ?? false;
  }
  exists(): boolean {
    return existsSync(this.p);
  }
}

/** `env` as templates use os.environ: env.HOME, env['HOME'], env.get('EDMM', '0'). */
function environGlobal(): Record<string, unknown> {
  const environ: Record<string, unknown> = { ...process.env };
  environ.get = (key: string, fallback: unknown = null) => process.env[String(key)] ?? fallback;
  return environ;
}

interface PythonFacts {
  paths: Record<string, string>;
  vars: Record<string, unknown>;
  major: number;
  implementation: { name: string; cache_tag: string };
}

const PYTHON_FACTS = `
import json, sys, sysconfig
print(json.dumps({"paths": sysconfig.get_paths(), "vars": sysconfig.get_config_vars(), "major": sys.version_info[0],
  "implementation": {"name": sys.implementation.name, "cache_tag": sys.implementation.cache_tag}}, default=str))
`;

/** The python.* helpers of gramine-manifest, from the host's python3 (run on first use only). */
function pythonGlobals(): object {
  let facts: PythonFacts | null = null;
  const get = (): PythonFacts => (facts ??= JSON.parse(execFileSync('python3', ['-c', PYTHON_FACTS], { encoding: 'utf8' })) as PythonFacts);
  return {
    get stdlib() { return get().paths.stdlib; },
    get platstdlib() { return get().paths.platstdlib; },
    get purelib() { return get().paths.purelib; },
    // Debian's packages: /usr/lib/python3/dist-packages
    get distlib() { return `${get().paths.stdlib!.replace(/python3\.\d+$/, `python${get().major}`)}/dist-packages`; },
    get ext_suffix() { return get().vars.EXT_SUFFIX; },
    get implementation() { return get().implementation; },
    get_config_var: (name: string) => get().vars[name] ?? null,
    get_path: (name: string) => get().paths[name] ?? null,
    get_paths: () => get().paths,
    /** sys.path of `interpreter`, the entries that exist (all with include_nonexisting=true). */
    get_sys_path: (interpreter: string, includeNonexisting?: unknown) => {
      const all = typeof includeNonexisting === 'object' && includeNonexisting !== null
        ? (includeNonexisting as { include_nonexisting?: boolean }).include_nonexisting === true : includeNonexisting === true;
      const out = execFileSync(String(interpreter), ['-c', "import sys; print('\\0'.join(p for p in sys.path if p), end='')"]);
      return out.toString('utf8').split('\0').filter((p) => p !== '' && (all || existsSync(p))).map((p) => new HostPath(p));
    },
  };
}

/** A template that cannot be rendered: the template's name and line where nunjucks says. */
export class TemplateError extends Error {
  override readonly name = 'TemplateError';
}

/** What an "undefined value" error at line:column of `text` is about: the {{ expression }} there. */
function undefinedValue(text: string, line: number, column: number): string | null {
  const rest = (text.split('\n')[line - 1] ?? '').slice(Math.max(0, column - 2));
  const expr = /\{\{-?\s*(.*?)\s*-?\}\}/.exec(rest)?.[1];
  if (expr === undefined) return null;
  return /^[A-Za-z_]\w*$/.test(expr) ? `"${expr}" is not defined (give it with -D${expr}=...)` : `"${expr}" is undefined`;
}

/**
 * Render manifest template `text` (named `name` in messages) with `defines` over the defaults.
 * Undefined variables are errors, as with gramine-manifest's StrictUndefined.
 */
export function renderManifestTemplate(text: string, name: string, defines: Defines = {}): string {
  // {% include %} and {% extends %} find templates beside this one
  const loader = new nunjucks.FileSystemLoader(path.dirname(path.resolve(name)));
  const env = new nunjucks.Environment(loader, { autoescape: false, throwOnUndefined: true });
  const globals: Record<string, unknown> = {
    env: environGlobal(),
    gramine: { libos: STUB_PATH, pkglibdir: path.dirname(STUB_PATH), runtimedir },
    python: pythonGlobals(),
    ldd,
  };
  for (const [key, value] of Object.entries(globals)) env.addGlobal(key, value);
  try {
    return env.renderString(text, { ...defaultDefines(), ...defines });
  } catch (e) {
    // nunjucks says "(unknown path) [Line 3, Column 5]\n  Template render error: ..."
    const m = /\[Line (\d+), Column (\d+)\]\s*([\s\S]*)$/.exec((e as Error).message);
    const where = m ? `${name}:${m[1]}:${m[2]}` : name;
    let why = (m ? m[3]! : (e as Error).message).replace(/^\s*Template render error:\s*/, '').replace(/\s+/g, ' ').trim();
    if (m && /undefined value/.test(why)) why = undefinedValue(text, Number(m[1]), Number(m[2])) ?? why;
    throw new TemplateError(`${where}: ${why}`);
  }
}
