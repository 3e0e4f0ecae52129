// The command line and environment gramine-ts was started with, as byte strings: Node decodes
// them as UTF-8 and replaces what is not, but the app must get them unchanged.
import { readFileSync } from 'node:fs';
import { fromByteString, toByteString } from '../pal/byte-strings.js';

/** A file's NUL-terminated strings as byte strings. */
function nulStrings(file: string): string[] {
  const strings = readFileSync(file, 'latin1').split('\0');
  strings.pop();
  return strings;
}

/**
 * The arguments after the script (process.argv.slice(2)) as byte strings, as the kernel gave
 * them: Node's own decoding replaces what is not UTF-8.
 */
export function hostCommandLine(): string[] {
  const args = process.argv.slice(2);
  const raw = nulStrings('/proc/self/cmdline');
  return raw.length >= args.length ? raw.slice(raw.length - args.length) : args.map(toByteString);
}

/**
 * The variables the launcher (native/launcher/launch.c) hides from the leader's and the first
 * worker's Node, under the name it gives each (NODE_EXTRA_CA_CERTS: its certificates cost each
 * Node boot some 90 ms, and no channel of theirs takes one); the app gets them back under their
 * own names.
 */
const HIDDEN_FROM_NODE = new Map([['GRAMINE_TS_HOST_NODE_EXTRA_CA_CERTS', 'NODE_EXTRA_CA_CERTS']]);

/**
 * process.env as byte strings: the values as the process started with them (what Node has
 * removed since, such as the launcher's own variable, stays out; what the launcher hid from
 * Node is given back), in their order.
 */
export function hostEnvironment(): Record<string, string> {
  const env = Object.create(null) as Record<string, string>;
  for (const kv of nulStrings('/proc/self/environ')) {
    const eq = kv.indexOf('=');
    const name = eq < 0 ? kv : kv.slice(0, eq);
    const unhidden = HIDDEN_FROM_NODE.get(name) ?? name;
    // the first of two of the same name is what getenv finds
    if (eq > 0 && !(unhidden in env) && fromByteString(name) in process.env) env[unhidden] = kv.slice(eq + 1);
  }
  return env;
}
