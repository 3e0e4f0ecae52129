// The plain copies of a protected file's data and MHT nodes that are in memory, by physical
// node number, least recently used first (a Map keeps insertion order; a use re-inserts).
import { NODE_SIZE } from './format.js';

export interface CachedNode {
  physical: number;
  kind: 'data' | 'mht';
  /** logical data node or MHT node number */
  logical: number;
  plain: Buffer;
  /** changed since it was last written */
  dirty: boolean;
}

export class NodeCache {
  private readonly nodes = new Map<number, CachedNode>();
  private readonly spares: Buffer[] = [];

  /**
   * `spareBuffers`: how many buffers of dropped nodes are kept for new ones, at most (saves
   * allocating and collecting them). A sequential write drops a whole cache's worth of nodes
   * after each flush, so its owner passes the cache's size.
   */
  constructor(private readonly spareBuffers: number) {}

  get size(): number {
    return this.nodes.size;
  }

  /** The node, now the most recently used. */
  use(physical: number): CachedNode | undefined {
    const node = this.nodes.get(physical);
    if (node !== undefined) {
      this.nodes.delete(physical);
      this.nodes.set(physical, node);
    }
    return node;
  }

  has(physical: number): boolean {
    return this.nodes.has(physical);
  }

  add(node: CachedNode): void {
    this.nodes.delete(node.physical);
    this.nodes.set(node.physical, node);
  }

  leastRecent(): CachedNode | undefined {
    return this.nodes.values().next().value;
  }

  drop(node: CachedNode): void {
    node.plain.fill(0);
    this.nodes.delete(node.physical);
    if (this.spares.length < this.spareBuffers && node.plain.length === NODE_SIZE && node.plain.byteOffset === 0) this.spares.push(node.plain);
  }

  /** A node-sized buffer for a new node, contents unspecified. */
  spareBuffer(): Buffer {
    return this.spares.pop() ?? Buffer.allocUnsafe(NODE_SIZE);
  }

  /** Drops (and wipes) every node `drop` picks. */
  dropWhere(drop: (node: CachedNode) => boolean): void {
    for (const node of [...this.nodes.values()]) if (drop(node)) this.drop(node);
  }

  dirty(): CachedNode[] {
    return [...this.nodes.values()].filter((n) => n.dirty);
  }

  hasDirty(): boolean {
    for (const n of this.nodes.values()) if (n.dirty) return true;
    return false;
  }

  clear(): void {
    this.dropWhere(() => true);
    this.spares.length = 0;
  }
}
