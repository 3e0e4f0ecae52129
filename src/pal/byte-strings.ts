// Byte strings: how the LibOS keeps paths, arguments and environment strings -- one JavaScript
// char per byte (latin1), so that bytes that are not UTF-8 pass through unchanged.
import { isUtf8 } from 'node:buffer';

/** A string from the user (UTF-8, as Node decodes argv and TOML) as a byte string. */
export function toByteString(s: string): string {
  return Buffer.from(s, 'utf8').toString('latin1');
}

/** A byte string as a JavaScript string for Node APIs (UTF-8 decoded). */
export function fromByteString(s: string): string {
  return Buffer.from(s, 'latin1').toString('utf8');
}

/** Do a byte string's bytes survive fromByteString (and Node's UTF-8 encoding back) unchanged? */
export function isUtf8ByteString(s: string): boolean {
  return /^[\x00-\x7f]*$/.test(s) || isUtf8(Buffer.from(s, 'latin1'));
}
