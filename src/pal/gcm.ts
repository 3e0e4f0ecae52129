// The protected files' NodeCipher on the addon (native/addon/gcm.cc): one call per batch of
// nodes, one OpenSSL context rekeyed per node, where node:crypto builds a cipher object per node
// (about 8 µs each, the larger part of sealing or opening a 4 KiB node). What the CLI, the bench
// and the LibOS give a ProtectedFile; src/protected-files/ stays free of the addon.
import { ENTRY_SIZE } from '../protected-files/format.js';
import type { NodeCipher } from '../protected-files/node-cipher.js';
import { addon } from './addon.js';
import { hostErrnoError } from './host.js';

export const addonNodeCipher: NodeCipher = {
  sealNodes(entries, plain, sealed) {
    const sealedNodes = addon.gcmSealNodes(entries, plain, sealed);
    if (sealedNodes < 0) throw cipherError('sealing', entries, sealedNodes);
  },

  openNodes(entries, sealed, plain) {
    const opened = addon.gcmOpenNodes(entries, sealed, plain);
    if (opened < 0) throw cipherError('opening', entries, opened);
    return opened === entries.length / ENTRY_SIZE ? -1 : opened;
  },
};

/** An OpenSSL failure (not a node that fails authentication): an Error with the errno's name as its code. */
function cipherError(doing: string, entries: Uint8Array, negErrno: number): NodeJS.ErrnoException {
  return hostErrnoError(`AES-128-GCM ${doing} of ${entries.length / ENTRY_SIZE} nodes failed in OpenSSL`, negErrno);
}
