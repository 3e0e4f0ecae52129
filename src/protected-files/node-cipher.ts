// How a protected file encrypts its data and MHT nodes: AES-128-GCM, IV all zero, no AAD, a key
// per node (format.ts), many nodes per call. The file takes its NodeCipher as an option, so that
// this module stays pure (no addon): the default here is node:crypto, one cipher object per node;
// src/pal/gcm.ts has the addon's, which sets OpenSSL up once per batch instead (node:crypto's
// set-up costs about 8 µs a node, more than the AES of the node itself).
//
// A node's key and tag travel as its ENTRY_SIZE-byte entry, key then tag, as an MHT node keeps
// them: the entries of neighbouring data nodes are a plain view of their MHT node.
import { gcmOpen, gcmSeal } from './crypto.js';
import { ENTRY_SIZE, KEY_SIZE } from './format.js';

export interface NodeCipher {
  /**
   * Seals n = entries.length / ENTRY_SIZE nodes: node i of `plain` (plain.length / n bytes
   * each) into node i of `sealed` under the key of entry i, whose tag half gets the node's tag.
   * `plain` and `sealed` are the same bytes or do not overlap.
   */
  sealNodes(entries: Uint8Array, plain: Uint8Array, sealed: Uint8Array): void;
  /**
   * Opens the nodes of `sealed` into `plain` in order, each under its entry's key and against
   * its entry's tag: the index of the first node that fails authentication (its plain bytes are
   * zeroed, the nodes after it are not opened), or -1 when all pass.
   */
  openNodes(entries: Uint8Array, sealed: Uint8Array, plain: Uint8Array): number;
}

/** How many nodes of how many bytes a NodeCipher call covers; RangeError when the sizes disagree. */
export function nodeBatchShape(entries: Uint8Array, input: Uint8Array, output: Uint8Array): { count: number; nodeSize: number } {
  const count = entries.length / ENTRY_SIZE;
  const nodeSize = count === 0 ? 0 : input.length / count;
  if (!Number.isInteger(count) || !Number.isInteger(nodeSize) || input.length !== output.length || (count === 0 && input.length !== 0)) {
    throw new RangeError(
      `a node batch needs whole ${ENTRY_SIZE}-byte entries and that many nodes of one size each way ` +
        `(entries ${entries.length}, input ${input.length}, output ${output.length} bytes)`,
    );
  }
  return { count, nodeSize };
}

/** node:crypto, a cipher object per node: needs nothing native. */
export const nodeCryptoCipher: NodeCipher = {
  sealNodes(entries, plain, sealed) {
    const { count, nodeSize } = nodeBatchShape(entries, plain, sealed);
    for (let i = 0; i < count; i++) {
      const entry = entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
      const node = gcmSeal(entry.subarray(0, KEY_SIZE), plain.subarray(i * nodeSize, (i + 1) * nodeSize), entry.subarray(KEY_SIZE));
      sealed.set(node, i * nodeSize);
    }
  },

  openNodes(entries, sealed, plain) {
    const { count, nodeSize } = nodeBatchShape(entries, sealed, plain);
    for (let i = 0; i < count; i++) {
      const entry = entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);
      const node = gcmOpen(entry.subarray(0, KEY_SIZE), sealed.subarray(i * nodeSize, (i + 1) * nodeSize), entry.subarray(KEY_SIZE));
      if (node === null) {
        plain.fill(0, i * nodeSize, (i + 1) * nodeSize);
        return i;
      }
      plain.set(node, i * nodeSize);
      node.fill(0);
    }
    return -1;
  },
};
