// The node ciphers of protected files: the addon's batch AES-128-GCM (native/addon/gcm.cc through
// src/pal/gcm.ts) and the module's node:crypto one, against AES-128-GCM done here with
// node:crypto one node at a time (IV all zero, no AAD): the same sealed bytes and tags for random
// keys and data, the same bytes back, and a changed tag, key or byte found at the right node.
import { createCipheriv, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';

import { addon } from '../../src/pal/addon.js';
import { addonNodeCipher } from '../../src/pal/gcm.js';
import { ENTRY_SIZE, NODE_SIZE, nodeCryptoCipher, type NodeCipher } from '../../src/protected-files/index.js';

const CIPHERS: Array<[string, NodeCipher]> = [
  ['addon', addonNodeCipher],
  ['node:crypto', nodeCryptoCipher],
];

function referenceSeal(key: Uint8Array, plain: Uint8Array): { sealed: Buffer; tag: Buffer } {
  const c = createCipheriv('aes-128-gcm', key, Buffer.alloc(12));
  const sealed = Buffer.concat([c.update(plain), c.final()]);
  return { sealed, tag: c.getAuthTag() };
}

const entryOf = (entries: Buffer, i: number) => entries.subarray(i * ENTRY_SIZE, (i + 1) * ENTRY_SIZE);

/** `count` nodes of `size` random bytes, sealed by the reference under random keys. */
function sealedByReference(count: number, size = NODE_SIZE): { entries: Buffer; plain: Buffer; sealed: Buffer } {
  const entries = randomBytes(count * ENTRY_SIZE);
  const plain = randomBytes(count * size);
  const sealed = Buffer.alloc(count * size);
  for (let i = 0; i < count; i++) {
    const ref = referenceSeal(entryOf(entries, i).subarray(0, 16), plain.subarray(i * size, (i + 1) * size));
    ref.sealed.copy(sealed, i * size);
    ref.tag.copy(entryOf(entries, i), 16);
  }
  return { entries, plain, sealed };
}

describe.each(CIPHERS)('the %s node cipher', (_name, cipher) => {
  it.each([1, 2, 96, 257])('seals %i random nodes byte for byte as node:crypto does, keeping the keys', (count) => {
    const ref = sealedByReference(count);
    const entries = Buffer.from(ref.entries);
    for (let i = 0; i < count; i++) entryOf(entries, i).fill(0, 16); // the same keys, no tags yet
    const sealed = Buffer.alloc(ref.sealed.length);
    cipher.sealNodes(entries, ref.plain, sealed);
    expect(sealed.equals(ref.sealed)).toBe(true);
    expect(entries.equals(ref.entries)).toBe(true);
  });

  it.each([1, 3, 96])('opens %i nodes node:crypto sealed', (count) => {
    const ref = sealedByReference(count);
    const plain = Buffer.alloc(ref.plain.length);
    expect(cipher.openNodes(ref.entries, ref.sealed, plain)).toBe(-1);
    expect(plain.equals(ref.plain)).toBe(true);
  });

  it('takes nodes of any one size (the metadata node\'s 3884-byte part), none at all, and works in place', () => {
    const ref = sealedByReference(3, 3884);
    const entries = Buffer.from(ref.entries);
    const inPlace = Buffer.from(ref.plain);
    cipher.sealNodes(entries, inPlace, inPlace);
    expect(inPlace.equals(ref.sealed)).toBe(true);
    expect(entries.equals(ref.entries)).toBe(true);
    expect(cipher.openNodes(entries, inPlace, inPlace)).toBe(-1);
    expect(inPlace.equals(ref.plain)).toBe(true);
    const none = Buffer.alloc(0);
    cipher.sealNodes(none, none, none);
    expect(cipher.openNodes(none, none, none)).toBe(-1);
  });

  it('finds a changed tag, key or sealed byte at its node, zeroes that node and opens none after it', () => {
    const count = 8;
    const ref = sealedByReference(count);
    const cases: Array<[string, number, (entries: Buffer, sealed: Buffer) => void]> = [
      ['tag', 5, (entries) => (entries[5 * ENTRY_SIZE + 16 + 3]! ^= 1)],
      ['key', 0, (entries) => (entries[0]! ^= 0x80)],
      ['sealed byte', 2, (_entries, sealed) => (sealed[2 * NODE_SIZE + 4095]! ^= 1)],
      ['last node', count - 1, (entries) => (entries[count * ENTRY_SIZE - 1]! ^= 1)],
    ];
    for (const [what, bad, change] of cases) {
      const entries = Buffer.from(ref.entries);
      const sealed = Buffer.from(ref.sealed);
      change(entries, sealed);
      const plain = Buffer.alloc(ref.plain.length, 0xaa);
      expect(cipher.openNodes(entries, sealed, plain), what).toBe(bad);
      expect(plain.subarray(0, bad * NODE_SIZE).equals(ref.plain.subarray(0, bad * NODE_SIZE)), what).toBe(true);
      expect(plain.subarray(bad * NODE_SIZE, (bad + 1) * NODE_SIZE).every((b) => b === 0), what).toBe(true);
      expect(plain.subarray((bad + 1) * NODE_SIZE).every((b) => b === 0xaa), what).toBe(true);
    }
    // node:crypto, which shares the addon's OpenSSL, still works after the failures
    expect(referenceSeal(ref.entries.subarray(0, 16), ref.plain.subarray(0, NODE_SIZE)).sealed.equals(ref.sealed.subarray(0, NODE_SIZE))).toBe(true);
  });

  it('refuses sizes that do not make whole entries and nodes', () => {
    const entries = Buffer.alloc(2 * ENTRY_SIZE);
    const nodes = Buffer.alloc(2 * NODE_SIZE);
    expect(() => cipher.sealNodes(entries.subarray(1), nodes, Buffer.alloc(2 * NODE_SIZE))).toThrow(RangeError);
    expect(() => cipher.sealNodes(entries, nodes, Buffer.alloc(NODE_SIZE))).toThrow(RangeError);
    expect(() => cipher.openNodes(entries, nodes.subarray(1), Buffer.alloc(2 * NODE_SIZE - 1))).toThrow(RangeError);
    expect(() => cipher.openNodes(Buffer.alloc(0), nodes, Buffer.alloc(2 * NODE_SIZE))).toThrow(RangeError);
  });
});

describe('the addon\'s raw functions', () => {
  it('count the nodes done: all when sealed, those before the first that fails when opened', () => {
    const ref = sealedByReference(4);
    expect(addon.gcmSealNodes(Buffer.from(ref.entries), ref.plain, Buffer.alloc(ref.sealed.length))).toBe(4);
    expect(addon.gcmOpenNodes(ref.entries, ref.sealed, Buffer.alloc(ref.plain.length))).toBe(4);
    ref.entries[3 * ENTRY_SIZE + 20]! ^= 1;
    expect(addon.gcmOpenNodes(ref.entries, ref.sealed, Buffer.alloc(ref.plain.length))).toBe(3);
  });

  it('refuse misuse: not Uint8Arrays, or buffers that overlap without being the same', () => {
    const entries = Buffer.alloc(ENTRY_SIZE);
    const both = Buffer.alloc(2 * NODE_SIZE);
    expect(() => addon.gcmSealNodes(entries, both.subarray(0, NODE_SIZE), both.subarray(100, 100 + NODE_SIZE))).toThrow(/overlap/);
    expect(() => addon.gcmSealNodes(entries, new Int8Array(NODE_SIZE) as unknown as Uint8Array, Buffer.alloc(NODE_SIZE))).toThrow(TypeError);
  });
});
