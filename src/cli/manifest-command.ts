// `gramine-ts manifest TEMPLATE [OUTFILE]`: renders a Gramine manifest template as
// gramine-manifest does (-Dkey=value, env, gramine.*, python.*), checks the TOML it gives and
// writes it to OUTFILE or stdout.
import { readFileSync, writeFileSync } from 'node:fs';

import { ManifestError, parseManifest } from '../manifest/index.js';
import { renderManifestTemplate, TemplateError, type Defines } from '../manifest/template.js';

export const MANIFEST_USAGE = `usage: gramine-ts manifest [--no-check] [-Dkey=value]... TEMPLATE [OUTFILE]
manifest: render a Gramine manifest template (Jinja syntax) to OUTFILE (default: stdout)
  -D key=value, -Dkey=value   a template variable (-Dkey alone: true); arch_libdir and
                              log_level have this host's defaults
  --no-check                  do not check the rendered manifest
`;

interface ManifestOptions {
  template: string;
  out: string | null;
  defines: Defines;
  check: boolean;
}

function parseArgs(argv: string[]): ManifestOptions | string {
  const files: string[] = [];
  const defines: Defines = {};
  let check = true;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--no-check') check = false;
    else if (a === '--check') check = true;
    else if (a.startsWith('-D')) {
      const def = a === '-D' ? argv[++i] : a.slice(2);
      if (!def) return '-D needs key=value';
      const eq = def.indexOf('=');
      if (eq === 0) return `bad -D ${def}`;
      defines[eq < 0 ? def : def.slice(0, eq)] = eq < 0 ? true : def.slice(eq + 1);
    } else if (a.startsWith('-') && a !== '-') return `unknown option ${a}`;
    else files.push(a);
  }
  if (files.length < 1 || files.length > 2) return 'give a TEMPLATE and at most one OUTFILE';
  return { template: files[0]!, out: files[1] === '-' ? null : (files[1] ?? null), defines, check };
}

export function manifestCommand(argv: string[]): number {
  const opts = parseArgs(argv);
  if (typeof opts === 'string') {
    process.stderr.write(`gramine-ts manifest: ${opts}\n${MANIFEST_USAGE}`);
    return 2;
  }
  let text: string;
  try {
    text = readFileSync(opts.template === '-' ? 0 : opts.template, 'utf8');
  } catch (e) {
    process.stderr.write(`gramine-ts manifest: ${opts.template}: ${(e as Error).message}\n`);
    return 1;
  }
  try {
    const rendered = renderManifestTemplate(text, opts.template, opts.defines);
    // as gramine-manifest --check: a mistake is named now, at its line of the rendered text
    if (opts.check) parseManifest(rendered, opts.out ?? `${opts.template} (rendered)`);
    if (opts.out === null) process.stdout.write(rendered);
    else writeFileSync(opts.out, rendered);
    return 0;
  } catch (e) {
    if (!(e instanceof TemplateError || e instanceof ManifestError)) throw e;
    process.stderr.write(`gramine-ts manifest: ${e.message}\n`);
    return 1;
  }
}
