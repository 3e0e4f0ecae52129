// Where a run of neighbouring nodes is laid out end to end, for one NodeCipher call and one
// storage call: a read decrypts the nodes in place here, a flush copies its dirty nodes here and
// encrypts them in place. One buffer per open file, reused by every run (one buffer, not a plain
// and a sealed one, keeps a run's bytes in the CPU's cache from the cipher to the copy) and grown
// on demand: a run stays under one MHT node, DATA_ENTRIES nodes (384 KiB) at most.
import { DATA_ENTRIES, NODE_SIZE } from './format.js';

export class NodeStaging {
  private bytes: Buffer = Buffer.alloc(0);

  /** Room for `count` nodes; contents unspecified, valid until the next call. */
  nodes(count: number): Buffer {
    if (this.bytes.length < count * NODE_SIZE) {
      this.bytes.fill(0); // no plain bytes left behind for the collector
      this.bytes = Buffer.allocUnsafe(Math.max(count, Math.min(DATA_ENTRIES, (2 * this.bytes.length) / NODE_SIZE)) * NODE_SIZE);
    }
    return this.bytes.subarray(0, count * NODE_SIZE);
  }

  /** Zeroes what the last runs left (the file is closing). */
  wipe(): void {
    this.bytes.fill(0);
  }
}
