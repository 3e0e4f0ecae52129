// Builds the PAL addon (native/addon) with node-gyp: `node scripts/build-addon.mjs rebuild|build`.
// Against the headers of the Node that runs it: those installed with it (Debian's nodejs puts
// them in /usr/include/node) when their version is this Node's, so that a machine that cannot
// reach nodejs.org still builds; else node-gyp's own (downloaded once). npm_config_nodedir, when
// set, decides as usual.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** A prefix whose include/node has this Node's headers, or null. */
function installedHeaders() {
  const prefixes = [path.dirname(path.dirname(process.execPath)), '/usr', '/usr/local'];
  for (const prefix of prefixes) {
    let header;
    try {
      header = readFileSync(path.join(prefix, 'include', 'node', 'node_version.h'), 'utf8');
    } catch {
      continue;
    }
    const part = (name) => new RegExp(`^#define\\s+NODE_${name}_VERSION\\s+(\\d+)`, 'm').exec(header)?.[1];
    if (`${part('MAJOR')}.${part('MINOR')}.${part('PATCH')}` === process.versions.node) return prefix;
  }
  return null;
}

const [command = 'rebuild', ...rest] = process.argv.slice(2);
const env = { ...process.env };
if (!env.npm_config_nodedir) {
  const prefix = installedHeaders();
  if (prefix) env.npm_config_nodedir = prefix;
}
const nodeGyp = createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js');
const r = spawnSync(process.execPath, [nodeGyp, command, '--directory', 'native/addon', ...rest], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
