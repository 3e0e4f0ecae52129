/**
 * The on-disk layout of a protected file (PF), the format of Gramine's encrypted files ("protected
 * files", ported by Gramine from the Intel SGX SDK). Described here from Gramine's
 * common/src/protected_files/ (v1.9); this is an independent implementation.
 *
 * A PF is a whole number of 4 KiB nodes. All integers are little-endian. Three kinds of node:
 *
 * - Node 0, the metadata node. A plain header:
 *     0  file id, 8 bytes: "GRAFS_PF" (the u64 0x46505f5346415247)
 *     8  major version (1 or 2), 9 minor version (0; not checked on read)
 *    10  key-derivation nonce, 32 bytes
 *    42  AES-GCM tag of the encrypted part, 16 bytes
 *    58  feature flags, 1 byte: only in version 2 (Gramine 1.9 on); bit 0 "a write is pending"
 *        (set while Gramine's optional recovery journal is in use; the header is not
 *        authenticated, so the flag only ever makes an open fail)
 *   then the encrypted part, 3884 bytes, at 58 (version 1) or 59 (version 2):
 *     0  the name the file is bound to, 772 bytes, NUL-terminated (at most 771 bytes)
 *   772  the file's size in plain bytes, u64
 *   780  key of the root MHT node, 16 bytes; 796 its AES-GCM tag, 16 bytes
 *   812  the first 3072 bytes of the file's data (the rest of the field is zero)
 *   and zero padding to 4096 (not authenticated, ignored).
 *   The encrypted part is AES-128-GCM encrypted, IV all zero, no AAD, under a key derived from
 *   the user's key and the nonce by NIST SP 800-108 counter mode with AES-128-CMAC as the PRF,
 *   one block: CMAC(userKey, counter || label || nonce || bits) over the 104 bytes
 *     u32 counter = 1, the label "SGX-PROTECTED-FS-METADATA-KEY" NUL-padded to 64 bytes (its NUL
 *     is the spec's separator), the nonce as the context, u32 output length in bits = 128.
 *   A fresh nonce is drawn each time the metadata node is written.
 *
 * - Data nodes: bytes 3072 + 4096·d .. of the file (logical data node d), AES-128-GCM with zero IV
 *   under a key of their own, drawn at random each time the node is written; key and tag are kept
 *   by the node's MHT node.
 *
 * - MHT nodes (a Merkle tree of keys and tags): 96 entries for data nodes, then 32 entries for
 *   child MHT nodes, each entry 16 bytes of key then 16 bytes of GCM tag (4096 bytes). MHT node m
 *   (logical) keeps data nodes 96m .. 96m+95 (entry d mod 96); its children are MHT nodes
 *   32m+1 .. 32m+32 (entry (c-1) mod 32), so MHT node c's parent is (c-1) div 32. MHT node 0, the
 *   root, is encrypted like the others with the key and tag kept in the metadata node. The tree
 *   is present only when the size exceeds 3072.
 *
 * Physical numbering (node n at byte 4096·n): 0 metadata, 1 root MHT, 2..97 data nodes 0..95,
 * 98 MHT node 1, 99..194 data nodes 96..191, and so on: MHT node m at 1 + 97m, data node d at
 * d + 2 + (d div 96). The file holds every node up to the one with its last byte (a hole is
 * stored as encrypted zeros); nodes past that are ignored.
 *
 * Swapping, replaying or copying nodes between files breaks a GCM tag, as each key is random.
 * A whole file moved to another name is caught by the name binding: the opener passes the name
 * it expects (Gramine: the normalized host path, see names.ts) and it must equal the stored one
 * byte for byte; a mismatch is refused (Gramine: PF_STATUS_INVALID_PATH, so EACCES).
 */

export const NODE_SIZE = 4096;
export const KEY_SIZE = 16;
export const MAC_SIZE = 16;
export const NONCE_SIZE = 32;
/** "GRAFS_PF": the little-endian u64 0x46505f5346415247. */
export const FILE_ID = Buffer.from('GRAFS_PF', 'latin1');
export type FormatVersion = 1 | 2;
export const CURRENT_VERSION: FormatVersion = 2;
export const MINOR_VERSION = 0;
export const PENDING_WRITE_FLAG = 0x01;

/** Bytes of the name field (Gramine: 260 + 512), its NUL included. */
export const NAME_FIELD_SIZE = 772;
/** File bytes kept in the metadata node itself. */
export const META_DATA_SIZE = 3072;
/** An MHT entry: a node's key, then its AES-GCM tag (what a NodeCipher takes per node). */
export const ENTRY_SIZE = KEY_SIZE + MAC_SIZE;
export const DATA_ENTRIES = 96;
export const CHILD_ENTRIES = 32;
/** Where an MHT node's child-MHT entries start. */
const CHILD_ENTRIES_AT = DATA_ENTRIES * ENTRY_SIZE;

// the plain header
const ID_AT = 0;
const MAJOR_AT = 8;
const MINOR_AT = 9;
const NONCE_AT = 10;
const META_MAC_AT = 42;
const FLAGS_AT = 58;

// the encrypted part, relative to its start
const NAME_AT = 0;
const SIZE_AT = NAME_FIELD_SIZE;
const ROOT_KEY_AT = SIZE_AT + 8;
const ROOT_MAC_AT = ROOT_KEY_AT + KEY_SIZE;
const DATA_AT = ROOT_MAC_AT + MAC_SIZE;
export const ENCRYPTED_PART_SIZE = DATA_AT + META_DATA_SIZE;

/** Where the encrypted part starts: version 2 added the flags byte before it. */
export function encryptedPartAt(version: FormatVersion): number {
  return version === 1 ? FLAGS_AT : FLAGS_AT + 1;
}

// ---------------------------------------------------------------------------------------------
// Node numbering

/** The data node holding file byte `offset` (offset >= META_DATA_SIZE). */
export function dataNodeOf(offset: number): number {
  return Math.floor((offset - META_DATA_SIZE) / NODE_SIZE);
}

/** The file offset of data node `d`'s first byte. */
export function dataNodeStart(d: number): number {
  return META_DATA_SIZE + d * NODE_SIZE;
}

export function mhtOfDataNode(d: number): number {
  return Math.floor(d / DATA_ENTRIES);
}

export function dataNodePhysical(d: number): number {
  return d + 2 + mhtOfDataNode(d);
}

export function mhtNodePhysical(m: number): number {
  return 1 + m * (DATA_ENTRIES + 1);
}

/** The parent of MHT node m > 0. */
export function mhtParent(m: number): number {
  return Math.floor((m - 1) / CHILD_ENTRIES);
}

/** The file offset of the first byte MHT node m covers. */
export function mhtNodeStart(m: number): number {
  return dataNodeStart(m * DATA_ENTRIES);
}

/** Where data node d's entry sits in its MHT node. */
export function dataEntryAt(d: number): number {
  return (d % DATA_ENTRIES) * ENTRY_SIZE;
}

/** Where MHT node m's entry sits in its parent. */
export function childEntryAt(m: number): number {
  return CHILD_ENTRIES_AT + ((m - 1) % CHILD_ENTRIES) * ENTRY_SIZE;
}

/** Nodes a file of `size` plain bytes occupies. */
export function nodesForSize(size: number): number {
  return layoutForSize(size).nodes;
}

/** What physical node n is: the metadata node, an MHT node or a data node, and its logical number. */
export function describePhysical(n: number): NodeRef {
  if (n === 0) return { physical: 0, kind: 'metadata', logical: 0 };
  const group = Math.floor((n - 1) / (DATA_ENTRIES + 1));
  const inGroup = (n - 1) % (DATA_ENTRIES + 1);
  return inGroup === 0
    ? { physical: n, kind: 'mht', logical: group }
    : { physical: n, kind: 'data', logical: group * DATA_ENTRIES + inGroup - 1 };
}

/** A node, for error messages and callers that report where a file is damaged. */
export interface NodeRef {
  physical: number;
  kind: 'metadata' | 'mht' | 'data';
  logical: number;
}

// ---------------------------------------------------------------------------------------------
// The metadata node

/** The metadata node's plain header. */
export interface MetadataHeader {
  version: FormatVersion;
  minor: number;
  flags: number;
  nonce: Buffer;
  mac: Buffer;
}

/** What the metadata node's encrypted part holds. */
export interface MetadataContents {
  /** The bound name, without its NUL. */
  name: Buffer;
  size: number;
  rootKey: Buffer;
  rootMac: Buffer;
  /** The file's first META_DATA_SIZE bytes (zero past the size). */
  data: Buffer;
}

/** Why a metadata node's header cannot be read: `badId` (not a PF) or `badVersion`. */
export type HeaderProblem = { problem: 'badId' } | { problem: 'badVersion'; major: number };

export function parseHeader(node: Uint8Array): MetadataHeader | HeaderProblem {
  const b = Buffer.from(node.buffer, node.byteOffset, node.byteLength);
  if (!b.subarray(ID_AT, ID_AT + FILE_ID.length).equals(FILE_ID)) return { problem: 'badId' };
  const major = b[MAJOR_AT]!;
  if (major !== 1 && major !== 2) return { problem: 'badVersion', major };
  return {
    version: major,
    minor: b[MINOR_AT]!,
    flags: major === 1 ? 0 : b[FLAGS_AT]!,
    nonce: Buffer.from(b.subarray(NONCE_AT, NONCE_AT + NONCE_SIZE)),
    mac: Buffer.from(b.subarray(META_MAC_AT, META_MAC_AT + MAC_SIZE)),
  };
}

/** The encrypted part of a metadata node, as stored. */
export function encryptedPartOf(node: Uint8Array, version: FormatVersion): Buffer {
  const at = encryptedPartAt(version);
  return Buffer.from(node.buffer, node.byteOffset + at, ENCRYPTED_PART_SIZE);
}

/** A whole metadata node from its header and its encrypted part. */
export function buildMetadataNode(header: MetadataHeader, encryptedPart: Uint8Array): Buffer {
  const node = Buffer.alloc(NODE_SIZE);
  FILE_ID.copy(node, ID_AT);
  node[MAJOR_AT] = header.version;
  node[MINOR_AT] = header.minor;
  header.nonce.copy(node, NONCE_AT);
  header.mac.copy(node, META_MAC_AT);
  if (header.version !== 1) node[FLAGS_AT] = header.flags;
  node.set(encryptedPart, encryptedPartAt(header.version));
  return node;
}

export function encodeContents(c: MetadataContents): Buffer {
  const part = Buffer.alloc(ENCRYPTED_PART_SIZE);
  c.name.copy(part, NAME_AT);
  part.writeBigUInt64LE(BigInt(c.size), SIZE_AT);
  c.rootKey.copy(part, ROOT_KEY_AT);
  c.rootMac.copy(part, ROOT_MAC_AT);
  c.data.copy(part, DATA_AT);
  return part;
}

/** The decrypted part's fields (copies); `size` is null when it does not fit a JS number. */
export function decodeContents(part: Buffer): Omit<MetadataContents, 'size'> & { size: number | null } {
  const nameField = part.subarray(NAME_AT, NAME_AT + NAME_FIELD_SIZE);
  const nul = nameField.indexOf(0);
  const size = part.readBigUInt64LE(SIZE_AT);
  return {
    name: Buffer.from(nameField.subarray(0, nul < 0 ? NAME_FIELD_SIZE : nul)),
    size: size <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(size) : null,
    rootKey: Buffer.from(part.subarray(ROOT_KEY_AT, ROOT_KEY_AT + KEY_SIZE)),
    rootMac: Buffer.from(part.subarray(ROOT_MAC_AT, ROOT_MAC_AT + MAC_SIZE)),
    data: Buffer.from(part.subarray(DATA_AT, DATA_AT + META_DATA_SIZE)),
  };
}

/** Reads (key, tag) of the entry at `at` of an MHT node's plain bytes. */
export function entryKey(mht: Buffer, at: number): Buffer {
  return mht.subarray(at, at + KEY_SIZE);
}

export function entryMac(mht: Buffer, at: number): Buffer {
  return mht.subarray(at + KEY_SIZE, at + ENTRY_SIZE);
}

/** The `count` neighbouring entries from `at` of an MHT node's plain bytes (a view). */
export function entriesAt(mht: Buffer, at: number, count: number): Buffer {
  return mht.subarray(at, at + count * ENTRY_SIZE);
}

/** How many nodes of each kind a file of `size` plain bytes has. */
export function layoutForSize(size: number): { nodes: number; dataNodes: number; mhtNodes: number } {
  if (size <= META_DATA_SIZE) return { nodes: 1, dataNodes: 0, mhtNodes: 0 };
  const lastData = dataNodeOf(size - 1);
  return { nodes: dataNodePhysical(lastData) + 1, dataNodes: lastData + 1, mhtNodes: mhtOfDataNode(lastData) + 1 };
}
