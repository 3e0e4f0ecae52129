// `gramine-ts quote verify|platform-key`: checks a quote read from /dev/attestation/quote
// (src/attestation/quote.ts), and prints the public key that checks this machine's quotes.
import { readFileSync } from 'node:fs';

import { mrsignerOf, MEASUREMENT_SIZE, USER_REPORT_DATA_SIZE } from '../attestation/formats.js';
import { loadPlatformSecret, PlatformSecretError, platformSecretPath, PLATFORM_SECRET_ENV } from '../attestation/platform-secret.js';
import { QUOTING_PUBLIC_KEY_SIZE, quotingPublicKey, verifyQuote } from '../attestation/quote.js';
import { SigningKeyError, signerPublicKey } from '../manifest/signing-key.js';

export const QUOTE_USAGE = `usage: gramine-ts quote verify QUOTE-FILE --measurement HEX [--signer KEY] [--report-data HEX]
                               [--platform-key PUBKEY-FILE | --platform-key-hex HEX]
       gramine-ts quote platform-key

verify: check a quote (what /dev/attestation/quote gave a program) and print one line
  "quote verified: ..." (exit 0), or why it is refused (exit 1)
  --measurement HEX   the instance measurement it must carry (64 hex digits: the "measurement"
                      of the manifest's .sig that \`gramine-ts sign\` wrote)
  --signer KEY        the manifest must be signed by KEY: 64 hex digits, or a key file or its .pub
                      (gramine-ts sign --gen-key); compared as its SHA-256, the quote's MRSIGNER
  --report-data HEX   the report data it must carry: up to 128 hex digits, zero-padded to 64 bytes
  --platform-key FILE, --platform-key-hex HEX
                      the quoting public key of the machine it must come from (what
                      \`gramine-ts quote platform-key\` prints there); default: this machine's
platform-key: print this machine's quoting public key (64 hex digits), derived from its platform
  secret: here ${platformSecretPath()} (${'$'}${PLATFORM_SECRET_ENV} names another; see
  docs/attestation.md)
`;

/** A user's error: one line, exit status 1. */
class QuoteCommandError extends Error {}

/** Exactly `size` bytes in hex (any case), or at most `size` with `upTo`; null if it is not. */
function hexBytes(text: string, size: number, upTo = false): Buffer | null {
  const ok = /^([0-9a-fA-F]{2})*$/.test(text) && (upTo ? text.length <= size * 2 : text.length === size * 2);
  return ok ? Buffer.from(text, 'hex') : null;
}

interface VerifyOptions {
  quote: string;
  measurement: Buffer;
  signer: Buffer | null;
  reportData: Buffer | null;
  platformKeyFile: string | null;
  platformKeyHex: Buffer | null;
}

const OPTIONS_WITH_VALUES = ['--measurement', '--signer', '--report-data', '--platform-key', '--platform-key-hex'] as const;

/** The options of `quote verify`, or a usage error's text. */
function parseVerify(args: string[]): VerifyOptions | string {
  const given = new Map<string, string>();
  const files: string[] = [];
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (!a.startsWith('--')) {
      files.push(a);
      continue;
    }
    const [name, inline] = a.includes('=') ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)] : [a, undefined];
    if (!(OPTIONS_WITH_VALUES as readonly string[]).includes(name)) return `unknown option ${name} for quote verify`;
    const value = inline ?? args[++i];
    if (value === undefined) return `${name} needs a value`;
    given.set(name, value);
  }
  if (files.length !== 1) return 'quote verify takes one QUOTE-FILE';
  const measurementHex = given.get('--measurement');
  if (measurementHex === undefined) return 'quote verify needs --measurement HEX';
  const measurement = hexBytes(measurementHex, MEASUREMENT_SIZE);
  if (!measurement) return `--measurement: expected ${MEASUREMENT_SIZE * 2} hex digits`;
  const reportDataHex = given.get('--report-data');
  const reportData = reportDataHex === undefined ? null : hexBytes(reportDataHex, USER_REPORT_DATA_SIZE, true);
  if (reportDataHex !== undefined && !reportData) return `--report-data: expected at most ${USER_REPORT_DATA_SIZE * 2} hex digits, an even number`;
  if (given.has('--platform-key') && given.has('--platform-key-hex')) return '--platform-key and --platform-key-hex both name the key: give one';
  const keyHex = given.get('--platform-key-hex');
  const platformKeyHex = keyHex === undefined ? null : hexBytes(keyHex, QUOTING_PUBLIC_KEY_SIZE);
  if (keyHex !== undefined && !platformKeyHex) return `--platform-key-hex: expected ${QUOTING_PUBLIC_KEY_SIZE * 2} hex digits`;
  const signer = given.get('--signer');
  return {
    quote: files[0]!, measurement, reportData, platformKeyHex, platformKeyFile: given.get('--platform-key') ?? null,
    signer: signer === undefined ? null : Buffer.from(mrsignerOf(signerPublicKey(signer))),
  };
}

function readFile(what: string, file: string): Buffer {
  try {
    return readFileSync(file);
  } catch (e) {
    throw new QuoteCommandError(`cannot read ${what} ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
}

/** The quoting public key the quote must be signed with: given, or this machine's. */
function platformKey(opts: VerifyOptions): Uint8Array {
  if (opts.platformKeyHex) return opts.platformKeyHex;
  if (opts.platformKeyFile !== null) {
    const key = hexBytes(readFile('platform key', opts.platformKeyFile).toString('latin1').trim(), QUOTING_PUBLIC_KEY_SIZE);
    if (!key) throw new QuoteCommandError(`platform key ${opts.platformKeyFile}: expected ${QUOTING_PUBLIC_KEY_SIZE * 2} hex digits (what \`gramine-ts quote platform-key\` prints)`);
    return key;
  }
  return quotingPublicKey(loadPlatformSecret(platformSecretPath(), false));
}

function verify(args: string[], usage: (msg: string) => number): number {
  const opts = parseVerify(args);
  if (typeof opts === 'string') return usage(opts);
  const verdict = verifyQuote(readFile('quote', opts.quote), {
    platformKey: platformKey(opts), measurement: opts.measurement, signer: opts.signer, reportData: opts.reportData,
  });
  if (!verdict.ok) throw new QuoteCommandError(`${opts.quote}: refused: ${verdict.reason}`);
  const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
  const unsigned = verdict.fields.signer.every((b) => b === 0) ? ' (none: the manifest is not signed with a key)' : '';
  process.stdout.write(`quote verified: measurement ${hex(verdict.fields.measurement)} signer ${hex(verdict.fields.signer)}${unsigned}\n`);
  return 0;
}

/** `gramine-ts quote ARGS...`: the exit status. */
export function quoteCommand(args: string[]): number {
  const [sub, ...rest] = args;
  if (sub === '-h' || sub === '--help') {
    process.stdout.write(QUOTE_USAGE);
    return 0;
  }
  const usage = (msg: string) => {
    process.stderr.write(`gramine-ts quote: ${msg}\n${QUOTE_USAGE}`);
    return 2;
  };
  try {
    if (sub === 'verify') return verify(rest, usage);
    if (sub !== 'platform-key') return usage(sub === undefined ? 'no subcommand given' : `unknown subcommand ${sub}`);
    if (rest.length) return usage('quote platform-key takes no arguments');
    process.stdout.write(`${Buffer.from(quotingPublicKey(loadPlatformSecret())).toString('hex')}\n`);
    return 0;
  } catch (e) {
    if (e instanceof QuoteCommandError || e instanceof PlatformSecretError || e instanceof SigningKeyError) {
      process.stderr.write(`gramine-ts quote: ${e.message}\n`);
      return 1;
    }
    throw e;
  }
}
