// One open protected file (format.ts): random-access read, write and truncate to any size over
// a PfStorage, with a bounded cache of plain nodes.
//
// Writing changes nodes in the cache only. A flush encrypts every changed data node under a new
// key, then every MHT node above them (children before parents), then the root, and writes them
// in that order with the metadata node last: when a flush returns, the storage holds a whole,
// consistent file with everything written so far. (Nodes are rewritten in place, as Gramine
// does, so a crash in the middle of a flush can leave nodes that the old metadata node no longer
// authenticates; Gramine's optional recovery journal is not implemented.) The cache is flushed
// whole when its least recently used node is dirty and room is needed: nodes leave the cache only
// clean, and so the storage changes only in flushes. Growing the file writes
// encrypted zeros for every new node (a reader, Gramine's too, expects each node up to the end);
// shrinking it drops the nodes past the new end, zeroes the rest of the last node, writes the
// metadata and only then cuts the host file.
//
// "validExtent": every node that starts below it is in the cache or on the storage under the key
// its parent (or the metadata node) holds; a node that starts at or above it is not part of the
// file yet and starts as zeros. It is the size after a flush and after opening, and shrinks with
// the file.
//
// Nodes go through the NodeCipher (node-cipher.ts) a run of physical neighbours under one MHT
// node at a time, their entries a view of that MHT node: a flush seals each run of dirty data
// nodes in one call and writes it in one storage call; a read opens each run of the nodes it
// needs that are not cached likewise. MHT nodes and the root go one at a time (a few a flush).
import {
  childEntryAt, CURRENT_VERSION, DATA_ENTRIES, dataEntryAt, dataNodeOf, dataNodePhysical, dataNodeStart, decodeContents, describePhysical,
  encodeContents, encryptedPartOf, entriesAt, ENTRY_SIZE, buildMetadataNode, KEY_SIZE, layoutForSize, MAC_SIZE, META_DATA_SIZE,
  MINOR_VERSION, mhtNodePhysical, mhtNodeStart, mhtOfDataNode, mhtParent, NAME_FIELD_SIZE, NODE_SIZE, NONCE_SIZE, parseHeader,
  PENDING_WRITE_FLAG, type FormatVersion, type MetadataContents, type MetadataHeader,
} from './format.js';
import { deriveMetadataKey, gcmOpen, gcmSeal, RandomSource } from './crypto.js';
import {
  PfArgumentError, PfClosedError, PfMetadataAuthError, PfNameMismatchError, PfNodeAuthError, PfNotProtectedError, PfPendingWriteError,
  PfStorageError, PfTruncatedError, PfVersionError, ProtectedFileError,
} from './errors.js';
import { NodeCache, type CachedNode } from './node-cache.js';
import { nodeCryptoCipher, type NodeCipher } from './node-cipher.js';
import { NodeStaging } from './node-staging.js';
import type { PfStorage } from './storage.js';

/** Plain nodes a file keeps in memory by default (1 MiB). */
export const DEFAULT_CACHE_NODES = 256;

export interface PfCommonOptions {
  /** The 16-byte user key (Gramine's wrap key, or the key of the mount). */
  key: Uint8Array;
  /** The file in error messages (default: the bound name). */
  label?: string;
  /** The node cache's size, in 4 KiB nodes (default DEFAULT_CACHE_NODES, at least 4). */
  cacheNodes?: number;
  /** What encrypts the data and MHT nodes (default node:crypto; src/pal/gcm.ts has a faster one). */
  cipher?: NodeCipher;
}

export interface PfCreateOptions extends PfCommonOptions {
  /** The name to bind (a string is UTF-8; see names.ts for what Gramine binds). */
  name: Uint8Array | string;
  /** 2 (Gramine 1.9 on, the default) or 1 (before 1.9). */
  formatVersion?: FormatVersion;
}

export interface PfOpenOptions extends PfCommonOptions {
  /** The name the file must be bound to; null: do not check (Gramine's pf-crypt without -V). */
  name: Uint8Array | string | null;
  /**
   * Open a file whose pending-write flag is set (Gramine's pf-crypt does; its LibOS refuses it
   * without its recovery file). Default false.
   */
  allowPendingWrite?: boolean;
}

/** The metadata node's plain header and the host size: what can be learnt without the key. */
export interface PfHeaderInfo extends MetadataHeader {
  hostSize: number;
}

export class ProtectedFile {
  private readonly cache: NodeCache;
  private readonly random = new RandomSource();
  /** MHT node 0 (physical node 1): always in memory, outside the cache. */
  private readonly root: CachedNode;
  private readonly cacheNodes: number;
  private readonly cipher: NodeCipher;
  /** Where a run of neighbouring nodes is laid out for the cipher and the storage. */
  private readonly staging = new NodeStaging();
  private metadataDirty = false;
  private validExtent: number;
  private closed = false;
  /** Set when a flush failed part-way: until one succeeds, only flush and close are allowed. */
  private flushFailure: ProtectedFileError | null = null;

  private constructor(
    private readonly storage: PfStorage,
    private readonly userKey: Buffer,
    /** the file in error messages */
    readonly label: string,
    opts: PfCommonOptions,
    private readonly header: MetadataHeader,
    private readonly contents: MetadataContents,
    rootPlain: Buffer,
  ) {
    this.cacheNodes = Math.max(4, Math.floor(opts.cacheNodes ?? DEFAULT_CACHE_NODES));
    this.cache = new NodeCache(this.cacheNodes);
    this.cipher = opts.cipher ?? nodeCryptoCipher;
    this.root = { physical: mhtNodePhysical(0), kind: 'mht', logical: 0, plain: rootPlain, dirty: false };
    this.validExtent = contents.size;
  }

  /** Makes `storage` a new, empty protected file bound to `opts.name` (whatever it held is cut). */
  static create(storage: PfStorage, opts: PfCreateOptions): ProtectedFile {
    const label = opts.label ?? nameText(opts.name);
    const name = nameBytes(opts.name, label);
    const key = checkKey(opts.key, label);
    io(label, 'cannot empty the host file', () => storage.truncate(0));
    const header: MetadataHeader = {
      version: opts.formatVersion ?? CURRENT_VERSION,
      minor: MINOR_VERSION,
      flags: 0,
      nonce: Buffer.alloc(NONCE_SIZE),
      mac: Buffer.alloc(MAC_SIZE),
    };
    const contents: MetadataContents = {
      name,
      size: 0,
      rootKey: Buffer.alloc(KEY_SIZE),
      rootMac: Buffer.alloc(MAC_SIZE),
      data: Buffer.alloc(META_DATA_SIZE),
    };
    const file = new ProtectedFile(storage, key, label, opts, header, contents, Buffer.alloc(NODE_SIZE));
    file.metadataDirty = true;
    file.flush();
    return file;
  }

  /**
   * Makes `storage` a new protected file of `size` bytes, whose plain bytes `fill(target, offset)`
   * puts into `target` (all of it, for the file from `offset`), in one pass and without the node
   * cache: the data nodes under each MHT node are filled, sealed and written as one run, then
   * the MHT nodes (children before parents: their entries are whole by then), the metadata node
   * last. What create, write and close would write, for a file written whole (a write-back).
   * The file is returned flushed.
   */
  static createWhole(storage: PfStorage, opts: PfCreateOptions, size: number, fill: (target: Buffer, offset: number) => void): ProtectedFile {
    const file = ProtectedFile.create(storage, opts);
    if (!Number.isSafeInteger(size) || size < 0) throw new PfArgumentError(file.label, `bad size ${size}`);
    fill(file.contents.data.subarray(0, Math.min(size, META_DATA_SIZE)), 0);
    file.contents.size = size;
    const { dataNodes, mhtNodes } = layoutForSize(size);
    const mht = Array.from({ length: mhtNodes }, (_, m) => (m === 0 ? file.root.plain : Buffer.alloc(NODE_SIZE)));
    try {
      for (let m = 0; m < mhtNodes; m++) {
        const first = m * DATA_ENTRIES;
        const nodes = file.staging.nodes(Math.min(DATA_ENTRIES, dataNodes - first));
        const bytes = Math.min(nodes.length, size - dataNodeStart(first));
        fill(nodes.subarray(0, bytes), dataNodeStart(first));
        nodes.fill(0, bytes);
        file.sealAndWrite(entriesAt(mht[m]!, dataEntryAt(first), nodes.length / NODE_SIZE), nodes, nodes, dataNodePhysical(first));
      }
      for (let m = mhtNodes - 1; m > 0; m--) {
        file.sealAndWrite(entriesAt(mht[mhtParent(m)]!, childEntryAt(m), 1), mht[m]!, file.staging.nodes(1), mhtNodePhysical(m));
      }
      if (mhtNodes > 0) file.sealRoot();
      file.metadataDirty = true;
      file.flush();
    } catch (e) {
      file.closed = true;
      throw e;
    } finally {
      for (const node of mht.slice(1)) node.fill(0);
    }
    return file;
  }

  /** The plain header of the protected file in `storage` (PfNotProtectedError, PfVersionError). */
  static readHeader(storage: PfStorage, label: string): PfHeaderInfo {
    return readMetadataNode(storage, label).header;
  }

  /** Opens the protected file in `storage`, checking the key, the name binding and the root node. */
  static open(storage: PfStorage, opts: PfOpenOptions): ProtectedFile {
    const label = opts.label ?? (opts.name === null ? 'protected file' : nameText(opts.name));
    const expected = opts.name === null ? null : nameBytes(opts.name, label);
    const key = checkKey(opts.key, label);
    const { header, node } = readMetadataNode(storage, label);
    if ((header.flags & PENDING_WRITE_FLAG) !== 0 && opts.allowPendingWrite !== true) throw new PfPendingWriteError(label);

    const metadataKey = deriveMetadataKey(key, header.nonce);
    const plain = gcmOpen(metadataKey, encryptedPartOf(node, header.version), header.mac);
    metadataKey.fill(0);
    if (plain === null) throw new PfMetadataAuthError(label);
    const decoded = decodeContents(plain);
    plain.fill(0);
    const size = decoded.size;
    if (size === null) throw new PfNotProtectedError(label, 'its size field is out of range');
    if (expected !== null && !expected.equals(decoded.name)) throw new PfNameMismatchError(label, expected, decoded.name);

    const needed = layoutForSize(size).nodes;
    if (header.hostSize < needed * NODE_SIZE) {
      throw new PfTruncatedError(
        label,
        `its size (${size} bytes) needs ${needed} nodes, the host file has ${header.hostSize} bytes`,
        describePhysical(Math.floor(header.hostSize / NODE_SIZE)),
      );
    }
    if (header.hostSize % NODE_SIZE !== 0) throw new PfNotProtectedError(label, `its host size (${header.hostSize} bytes) is not whole 4096-byte nodes`);

    const rootPlain = Buffer.alloc(NODE_SIZE);
    if (size > META_DATA_SIZE) {
      const entry = Buffer.concat([decoded.rootKey, decoded.rootMac]);
      openNode(storage, label, opts.cipher ?? nodeCryptoCipher, mhtNodePhysical(0), entry, rootPlain);
    }
    // the pending-write flag is cleared by the next write of the metadata node, as Gramine does
    const kept: MetadataHeader = { version: header.version, minor: header.minor, flags: header.flags & ~PENDING_WRITE_FLAG, nonce: header.nonce, mac: header.mac };
    return new ProtectedFile(storage, key, label, opts, kept, { ...decoded, size }, rootPlain);
  }

  get size(): number {
    return this.contents.size;
  }

  /** The name the file is bound to (a copy). */
  get boundName(): Buffer {
    return Buffer.from(this.contents.name);
  }

  get formatVersion(): FormatVersion {
    return this.header.version;
  }

  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Buffer {
    this.checkRange(offset, length);
    const out = Buffer.alloc(Math.max(0, Math.min(length, this.size - offset)));
    this.readInto(out, offset);
    return out;
  }

  /**
   * Reads into `target` from `offset`; returns the bytes read (0 at or past the end). A node that
   * fails authentication throws PfNodeAuthError and nothing is written to the storage; what
   * `target` holds then is unspecified.
   */
  readInto(target: Uint8Array, offset: number): number {
    this.checkOpen();
    this.checkRange(offset, target.length);
    const end = Math.min(this.size, offset + target.length);
    if (offset >= end) return 0;
    let pos = offset;
    if (pos < META_DATA_SIZE) {
      const upTo = Math.min(end, META_DATA_SIZE);
      target.set(this.contents.data.subarray(pos, upTo), 0);
      pos = upTo;
    }
    if (pos < end) this.readDataNodes(target.subarray(pos - offset, end - offset), pos);
    this.evictIfNeeded();
    return end - offset;
  }

  /** Writes `data` at `offset`, extending the file (with zeros across a hole) as needed. */
  write(offset: number, data: Uint8Array): void {
    this.checkOpen();
    this.checkRange(offset, data.length);
    if (data.length === 0) return;
    if (offset > this.size) this.extendTo(offset);
    const end = offset + data.length;
    let pos = offset;
    if (pos < META_DATA_SIZE) {
      const upTo = Math.min(end, META_DATA_SIZE);
      this.contents.data.set(data.subarray(0, upTo - pos), pos);
      pos = upTo;
      this.grewTo(pos);
    }
    let sinceEviction = 0;
    while (pos < end) {
      const d = dataNodeOf(pos);
      const at = pos - dataNodeStart(d);
      const n = Math.min(end - pos, NODE_SIZE - at);
      const node = this.dataNodeForWrite(d, n === NODE_SIZE);
      node.plain.set(data.subarray(pos - offset, pos - offset + n), at);
      node.dirty = true;
      pos += n;
      this.grewTo(pos);
      if (++sinceEviction >= this.cacheNodes) {
        this.evictIfNeeded();
        sinceEviction = 0;
      }
    }
    this.evictIfNeeded();
  }

  /** Sets the size: growing adds zeros, shrinking drops what lies past the new end (then flushes). */
  truncate(size: number): void {
    this.checkOpen();
    this.checkRange(size, 0);
    if (size > this.size) {
      this.extendTo(size);
      this.evictIfNeeded();
      return;
    }
    if (size === this.size) return;
    this.zeroFrom(size); // first: it may read the node, and fail
    const keptNodes = layoutForSize(size).nodes;
    this.cache.dropWhere((node) => node.physical >= keptNodes);
    this.contents.size = size;
    this.validExtent = Math.min(this.validExtent, size);
    this.metadataDirty = true;
    this.flush(); // the metadata node with the new size goes out before the host file is cut
    const hostSize = io(this.label, 'cannot get the host file size', () => this.storage.size());
    if (hostSize > keptNodes * NODE_SIZE) io(this.label, 'cannot truncate the host file', () => this.storage.truncate(keptNodes * NODE_SIZE));
  }

  /**
   * Binds the file to `name` and flushes (Gramine's pf_rename): the caller renames the host file
   * itself, after this.
   */
  rename(name: Uint8Array | string): void {
    this.checkOpen();
    this.contents.name = nameBytes(name, this.label);
    this.metadataDirty = true;
    this.flush();
  }

  /**
   * Writes every changed node, then the metadata node. When it fails part-way, the file takes
   * nothing but flush (which starts over) and close until a flush succeeds.
   */
  flush(): void {
    if (this.closed) throw new PfClosedError(this.label, 'the protected file is closed');
    try {
      this.writeOut();
      this.flushFailure = null;
    } catch (e) {
      this.flushFailure = e instanceof ProtectedFileError ? e : new PfStorageError(this.label, 'flush failed', e);
      throw e;
    }
  }

  private writeOut(): void {
    const dirty = this.cache.dirty().sort((a, b) => a.physical - b.physical);
    if (!this.metadataDirty && dirty.length === 0) return;
    if (this.size > META_DATA_SIZE && dirty.length > 0) this.writeTree(dirty);
    this.writeNode(0, this.sealMetadata());
    for (const node of dirty) node.dirty = false;
    this.metadataDirty = false;
    this.validExtent = this.size;
  }

  /** Flushes and makes it durable (fsync). */
  sync(): void {
    this.flush();
    io(this.label, 'cannot sync the host file', () => this.storage.sync());
  }

  /** Flushes and forgets the plain nodes; the file cannot be used after, even if the flush fails. */
  close(): void {
    if (this.closed) return;
    try {
      this.flush();
    } finally {
      this.closed = true;
      this.cache.clear();
      this.staging.wipe();
      this.root.plain.fill(0);
      this.contents.data.fill(0);
      this.userKey.fill(0);
    }
  }

  // -------------------------------------------------------------------------------------------

  private checkOpen(): void {
    if (this.closed) throw new PfClosedError(this.label, 'the protected file is closed');
    if (this.flushFailure !== null) throw new PfClosedError(this.label, `unusable until a flush succeeds (${this.flushFailure.message})`, 'EIO');
  }

  private checkRange(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < 0) throw new PfArgumentError(this.label, `bad offset ${offset}`);
    if (!Number.isSafeInteger(offset + length)) throw new PfArgumentError(this.label, `offset ${offset} + ${length} bytes is too large`, 'EFBIG');
  }

  private grewTo(end: number): void {
    if (end > this.contents.size) this.contents.size = end;
    this.metadataDirty = true;
  }

  /** Zeroes the file's bytes from `offset` to the end of the node holding it. */
  private zeroFrom(offset: number): void {
    if (offset < META_DATA_SIZE) {
      this.contents.data.fill(0, offset);
      this.metadataDirty = true;
    } else if ((offset - META_DATA_SIZE) % NODE_SIZE !== 0) {
      const d = dataNodeOf(offset);
      const node = this.dataNodeForWrite(d, false);
      node.plain.fill(0, offset - dataNodeStart(d));
      node.dirty = true;
    }
  }

  /**
   * Grows the file to `size` with zeros. Past the old end, the rest of its node is zeroed (a
   * file Gramine shrank keeps old bytes there) and every new node is made, as zeros to encrypt.
   */
  private extendTo(size: number): void {
    const old = this.size;
    this.zeroFrom(old);
    if (size > META_DATA_SIZE) {
      const firstNew = old <= META_DATA_SIZE ? 0 : Math.ceil((old - META_DATA_SIZE) / NODE_SIZE);
      const last = dataNodeOf(size - 1);
      for (let d = firstNew; d <= last; d++) {
        this.dataNodeForWrite(d, false).dirty = true;
        this.grewTo(Math.min(size, dataNodeStart(d + 1)));
        if ((d - firstNew + 1) % this.cacheNodes === 0) this.evictIfNeeded();
      }
    }
    this.grewTo(size);
  }

  /** Data node d to change; `whole`: all of it will be overwritten, so it is not read. */
  private dataNodeForWrite(d: number, whole: boolean): CachedNode {
    const physical = dataNodePhysical(d);
    // its MHT node, if cached, stays in: the next flush needs it
    if (d >= DATA_ENTRIES) this.cache.use(mhtNodePhysical(mhtOfDataNode(d)));
    const cached = this.cache.use(physical);
    if (cached !== undefined) return cached;
    const plain = this.cache.spareBuffer();
    if (!whole) {
      if (dataNodeStart(d) >= this.validExtent) plain.fill(0);
      else this.openDataNodes(d, 1).copy(plain);
    }
    const node: CachedNode = { physical, kind: 'data', logical: d, plain, dirty: false };
    this.cache.add(node);
    return node;
  }

  /**
   * Copies file bytes [from, from + target.length) (past META_DATA_SIZE, below the size) into
   * `target`: from the cache, else read and authenticated a run of uncached neighbours under one
   * MHT node at a time. Nodes the read covers only in part are cached (the next read likely
   * wants the rest); the others are not.
   */
  private readDataNodes(target: Uint8Array, from: number): void {
    const last = dataNodeOf(from + target.length - 1);
    for (let d = dataNodeOf(from); d <= last; ) {
      const cached = this.cache.use(dataNodePhysical(d));
      if (cached !== undefined) {
        copyOverlap(cached.plain, dataNodeStart(d), target, from);
        d++;
        continue;
      }
      let end = d + 1;
      while (end <= last && end % DATA_ENTRIES !== 0 && !this.cache.has(dataNodePhysical(end))) end++;
      this.readRun(d, end, target, from);
      d = end;
    }
  }

  /** Data nodes first..end-1, uncached neighbours under one MHT node, for readDataNodes. */
  private readRun(first: number, end: number, target: Uint8Array, from: number): void {
    const plain = this.openDataNodes(first, end - first);
    copyOverlap(plain, dataNodeStart(first), target, from);
    for (let d = first; d < end; d++) {
      const start = dataNodeStart(d);
      if (start >= from && start + NODE_SIZE <= from + target.length) continue;
      const copy = this.cache.spareBuffer();
      plain.copy(copy, 0, (d - first) * NODE_SIZE, (d - first + 1) * NODE_SIZE);
      this.cache.add({ physical: dataNodePhysical(d), kind: 'data', logical: d, plain: copy, dirty: false });
    }
  }

  /**
   * Data nodes d..d+count-1 (physical neighbours under one MHT node), read and authenticated in
   * one storage call and one cipher call: their plain bytes, in the staging buffer.
   */
  private openDataNodes(d: number, count: number): Buffer {
    const mht = this.mhtNode(mhtOfDataNode(d));
    const nodes = this.staging.nodes(count);
    readNodesInto(this.storage, this.label, dataNodePhysical(d), nodes);
    const failed = this.cipher.openNodes(entriesAt(mht.plain, dataEntryAt(d), count), nodes, nodes);
    if (failed >= 0) throw new PfNodeAuthError(this.label, describePhysical(dataNodePhysical(d + failed)));
    return nodes;
  }

  /** MHT node m, from the cache, else read and authenticated (its ancestors first), else new. */
  private mhtNode(m: number): CachedNode {
    if (m === 0) return this.root;
    const physical = mhtNodePhysical(m);
    const cached = this.cache.use(physical);
    if (cached !== undefined) return cached;
    const plain = this.cache.spareBuffer();
    if (mhtNodeStart(m) >= this.validExtent) {
      plain.fill(0);
    } else {
      const parent = this.mhtNode(mhtParent(m));
      openNode(this.storage, this.label, this.cipher, physical, entriesAt(parent.plain, childEntryAt(m), 1), plain);
    }
    const node: CachedNode = { physical, kind: 'mht', logical: m, plain, dirty: false };
    this.cache.add(node);
    return node;
  }

  /**
   * Seals and writes the dirty data nodes under new keys, then every MHT node above them,
   * children before parents, then the root. Every MHT node involved is read first, while the
   * entries that authenticate it are still the old ones.
   */
  private writeTree(dirty: CachedNode[]): void {
    const changed = new Map<number, CachedNode>();
    for (const node of dirty) {
      for (let m = mhtOfDataNode(node.logical); m !== 0 && !changed.has(m); m = mhtParent(m)) changed.set(m, this.mhtNode(m));
    }
    for (let i = 0; i < dirty.length; ) {
      let j = i + 1;
      while (j < dirty.length && dirty[j]!.logical === dirty[j - 1]!.logical + 1 && dirty[j]!.logical % DATA_ENTRIES !== 0) j++;
      this.writeDataRun(dirty.slice(i, j));
      i = j;
    }
    for (const m of [...changed.keys()].sort((a, b) => b - a)) {
      const node = changed.get(m)!;
      this.sealAndWrite(entriesAt(this.mhtNode(mhtParent(m)).plain, childEntryAt(m), 1), node.plain, this.staging.nodes(1), node.physical);
    }
    this.sealRoot();
  }

  /** Seals and writes the root (MHT node 0) under a new key, which the metadata node keeps with its tag. */
  private sealRoot(): void {
    const rootEntry = Buffer.alloc(ENTRY_SIZE);
    this.sealAndWrite(rootEntry, this.root.plain, this.staging.nodes(1), this.root.physical);
    rootEntry.copy(this.contents.rootKey, 0, 0, KEY_SIZE);
    rootEntry.copy(this.contents.rootMac, 0, KEY_SIZE);
    rootEntry.fill(0);
  }

  /** Dirty data nodes that are neighbours under one MHT node: one cipher call, one storage call. */
  private writeDataRun(run: CachedNode[]): void {
    const first = run[0]!;
    const nodes = this.staging.nodes(run.length);
    run.forEach((node, i) => node.plain.copy(nodes, i * NODE_SIZE));
    const entries = entriesAt(this.mhtNode(mhtOfDataNode(first.logical)).plain, dataEntryAt(first.logical), run.length);
    this.sealAndWrite(entries, nodes, nodes, first.physical); // sealed in place
  }

  /**
   * Seals the nodes of `plain` into `sealed` (the same bytes, or apart) under new keys, kept with
   * their tags in `entries`, and writes them from node `physical`.
   */
  private sealAndWrite(entries: Buffer, plain: Buffer, sealed: Buffer, physical: number): void {
    this.random.fill(entries, 0, entries.length); // the keys; the seal overwrites the tag halves
    this.cipher.sealNodes(entries, plain, sealed);
    this.writeNode(physical, sealed);
  }

  /** The metadata node, sealed under a key derived from a new nonce. */
  private sealMetadata(): Buffer {
    this.header.nonce = this.random.bytes(NONCE_SIZE);
    const key = deriveMetadataKey(this.userKey, this.header.nonce);
    const part = encodeContents(this.contents);
    const sealed = gcmSeal(key, part, this.header.mac);
    part.fill(0);
    key.fill(0);
    return buildMetadataNode(this.header, sealed);
  }

  private writeNode(physical: number, bytes: Uint8Array): void {
    io(this.label, `cannot write node ${physical}`, () => this.storage.write(physical * NODE_SIZE, bytes));
  }

  /** Keeps the cache within its size; when the node to let go is dirty, flushes first. */
  private evictIfNeeded(): void {
    while (this.cache.size > this.cacheNodes) {
      const oldest = this.cache.leastRecent()!;
      if (oldest.dirty) this.flush();
      this.cache.drop(oldest);
    }
  }
}

/** Runs a storage call, turning what it throws into a PfStorageError. */
function io<T>(label: string, what: string, call: () => T): T {
  try {
    return call();
  } catch (e) {
    if (e instanceof ProtectedFileError) throw e;
    throw new PfStorageError(label, what, e);
  }
}

/** The metadata node of the protected file in `storage`, and its plain header. */
function readMetadataNode(storage: PfStorage, label: string): { header: PfHeaderInfo; node: Buffer } {
  const hostSize = io(label, 'cannot get the host file size', () => storage.size());
  if (hostSize === 0) throw new PfNotProtectedError(label, 'the host file is empty');
  if (hostSize < NODE_SIZE) throw new PfTruncatedError(label, `the host file has ${hostSize} bytes, less than its metadata node`, describePhysical(0));
  const node = readNodes(storage, label, 0, 1);
  const header = parseHeader(node);
  if ('problem' in header) {
    if (header.problem === 'badVersion') throw new PfVersionError(label, header.major);
    throw new PfNotProtectedError(label, 'it does not start with the "GRAFS_PF" header');
  }
  return { header: { ...header, hostSize }, node };
}

/** `count` whole nodes from physical node `first`; a short read means the host file was cut. */
function readNodes(storage: PfStorage, label: string, first: number, count: number): Buffer {
  const bytes = Buffer.allocUnsafe(count * NODE_SIZE);
  readNodesInto(storage, label, first, bytes);
  return bytes;
}

/** Fills `target` (whole nodes) from physical node `first` (PfTruncatedError if the file ends first). */
function readNodesInto(storage: PfStorage, label: string, first: number, target: Buffer): void {
  const n = io(label, `cannot read node ${first}`, () => storage.read(first * NODE_SIZE, target));
  if (n < target.length) {
    const missing = first + Math.floor(n / NODE_SIZE);
    throw new PfTruncatedError(label, `the host file ends before node ${missing}`, describePhysical(missing));
  }
}

/** Reads physical node `physical` into `plain`, authenticated under `entry` (else PfNodeAuthError). */
function openNode(storage: PfStorage, label: string, cipher: NodeCipher, physical: number, entry: Buffer, plain: Buffer): void {
  if (cipher.openNodes(entry, readNodes(storage, label, physical, 1), plain) >= 0) throw new PfNodeAuthError(label, describePhysical(physical));
}

/** Copies what `source` (file bytes from `sourceAt`) and `target` (file bytes from `targetAt`) both cover. */
function copyOverlap(source: Uint8Array, sourceAt: number, target: Uint8Array, targetAt: number): void {
  const lo = Math.max(sourceAt, targetAt);
  const hi = Math.min(sourceAt + source.length, targetAt + target.length);
  if (lo < hi) target.set(source.subarray(lo - sourceAt, hi - sourceAt), lo - targetAt);
}

function checkKey(key: Uint8Array, label: string): Buffer {
  if (key.length !== KEY_SIZE) throw new PfArgumentError(label, `the key must be ${KEY_SIZE} bytes, not ${key.length}`);
  return Buffer.from(key);
}

function nameText(name: Uint8Array | string): string {
  return typeof name === 'string' ? name : Buffer.from(name).toString('utf8');
}

/** The bytes of a name to bind: no NUL, and room for the NUL after it. */
function nameBytes(name: Uint8Array | string, label: string): Buffer {
  const bytes = typeof name === 'string' ? Buffer.from(name, 'utf8') : Buffer.from(name);
  if (bytes.includes(0)) throw new PfArgumentError(label, 'a bound name cannot contain a NUL byte');
  if (bytes.length >= NAME_FIELD_SIZE) {
    throw new PfArgumentError(label, `the bound name is ${bytes.length} bytes; at most ${NAME_FIELD_SIZE - 1} fit`, 'ENAMETOOLONG');
  }
  return bytes;
}
