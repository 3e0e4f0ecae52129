// The protected-files format (src/protected-files/): round trips at every layout boundary, random
// access against a plain Buffer, truncation both ways, each tamper case, the crypto against
// published vectors, and a cross-check with a second, minimal reader and writer written here
// straight from the layout of Gramine's protected_files_format.h (not from the module). The
// file-level suites run with each node cipher: node:crypto (the default) and the addon's.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';

import { addonNodeCipher } from '../../src/pal/gcm.js';
import {
  aesCmac, deriveMetadataKey, kdfInput, layoutForSize, MemoryStorage, nodeCryptoCipher, normalizeBoundName, PfArgumentError,
  PfMetadataAuthError, PfNameMismatchError, PfNodeAuthError, PfNotProtectedError, PfPendingWriteError, PfTruncatedError, PfVersionError,
  ProtectedFile, ProtectedFileError, type NodeCipher, type PfCreateOptions, type PfOpenOptions, type PfStorage,
} from '../../src/protected-files/index.js';

/** The key Gramine's own encrypted-files tests use (libos/test/fs/test_enc.py). */
const KEY = Buffer.from('ffeeddccbbaa99887766554433221100', 'hex');
const NAME = 'enc/file.bin';
const NODE = 4096;

const CIPHERS: Array<[string, NodeCipher]> = [
  ['node:crypto', nodeCryptoCipher],
  ['addon', addonNodeCipher],
];
/** The node cipher of the suite that runs now (each sets it in its beforeAll). */
let cipher: NodeCipher = nodeCryptoCipher;
const createFile = (storage: PfStorage, opts: PfCreateOptions) => ProtectedFile.create(storage, { ...opts, cipher });
const openFile = (storage: PfStorage, opts: PfOpenOptions) => ProtectedFile.open(storage, { ...opts, cipher });

/** A seeded generator (mulberry32): the same "random" operations on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function seededBytes(n: number, seed: number): Buffer {
  const next = seeded(seed);
  const b = Buffer.alloc(n);
  for (let i = 0; i < n; i++) b[i] = (next() * 256) | 0;
  return b;
}

/** `data` as a protected file written through the module, in writes of `chunk` bytes. */
function encrypted(data: Buffer, opts: { chunk?: number; version?: 1 | 2; cacheNodes?: number } = {}): MemoryStorage {
  const storage = new MemoryStorage();
  const file = createFile(storage, { key: KEY, name: NAME, formatVersion: opts.version, cacheNodes: opts.cacheNodes });
  const chunk = opts.chunk ?? 65_537;
  for (let at = 0; at < data.length; at += chunk) file.write(at, data.subarray(at, at + chunk));
  file.close();
  return storage;
}

function decrypted(storage: PfStorage, name: string | null = NAME): Buffer {
  const file = openFile(storage, { key: KEY, name });
  const out = file.read(0, file.size);
  file.close();
  return out;
}

function thrown(f: () => unknown): ProtectedFileError {
  try {
    f();
  } catch (e) {
    if (e instanceof ProtectedFileError) return e;
    throw e;
  }
  throw new Error('expected a ProtectedFileError');
}

// -----------------------------------------------------------------------------------------------
// A second implementation, from the C structs alone: AES-CMAC by RFC 4493 over AES-ECB, and the
// metadata node, MHT and node numbering as protected_files_format.h lays them out.

function aesBlock(key: Uint8Array, block: Uint8Array): Buffer {
  const c = createCipheriv('aes-128-ecb', key, null).setAutoPadding(false);
  return Buffer.concat([c.update(block), c.final()]);
}

function cmacByRfc(key: Uint8Array, message: Uint8Array): Buffer {
  const double = (b: Buffer) => {
    const out = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) out[i] = ((b[i]! << 1) | (i < 15 ? b[i + 1]! >> 7 : 0)) & 0xff;
    if (b[0]! & 0x80) out[15]! ^= 0x87;
    return out;
  };
  const k1 = double(aesBlock(key, Buffer.alloc(16)));
  const k2 = double(k1);
  const blocks = Math.max(1, Math.ceil(message.length / 16));
  const last = Buffer.alloc(16);
  const lastLen = message.length - (blocks - 1) * 16;
  last.set(message.subarray((blocks - 1) * 16));
  if (lastLen === 16) for (let i = 0; i < 16; i++) last[i]! ^= k1[i]!;
  else {
    last[lastLen] = 0x80;
    for (let i = 0; i < 16; i++) last[i]! ^= k2[i]!;
  }
  let x: Buffer = Buffer.alloc(16);
  for (let b = 0; b < blocks; b++) {
    const m = b === blocks - 1 ? last : message.subarray(b * 16, b * 16 + 16);
    const y = Buffer.alloc(16);
    for (let i = 0; i < 16; i++) y[i] = x[i]! ^ m[i]!;
    x = aesBlock(key, y);
  }
  return x;
}

const IV0 = Buffer.alloc(12);
function specSeal(key: Uint8Array, plain: Uint8Array): { sealed: Buffer; mac: Buffer } {
  const c = createCipheriv('aes-128-gcm', key, IV0);
  const sealed = Buffer.concat([c.update(plain), c.final()]);
  return { sealed, mac: c.getAuthTag() };
}
function specOpen(key: Uint8Array, sealed: Uint8Array, mac: Uint8Array): Buffer {
  const d = createDecipheriv('aes-128-gcm', key, IV0);
  d.setAuthTag(mac);
  return Buffer.concat([d.update(sealed), d.final()]);
}

/** kdf_input_t: u32 counter 1, char label[64], nonce[32], u32 output bits 128; AES-CMAC of it. */
function specMetadataKey(key: Uint8Array, nonce: Uint8Array): Buffer {
  const label = Buffer.alloc(64);
  label.write('SGX-PROTECTED-FS-METADATA-KEY', 'latin1');
  const counter = Buffer.alloc(4);
  counter.writeUInt32LE(1);
  const bits = Buffer.alloc(4);
  bits.writeUInt32LE(128);
  return cmacByRfc(key, Buffer.concat([counter, label, nonce, bits]));
}

// metadata_plaintext_t: u64 file_id, u8 major, u8 minor, nonce[32], mac[16] (, u8 flags in v2);
// metadata_decrypted_t: char path[772], u64 size, root key[16], root mac[16], data[3072]
const PLAIN_V1 = 8 + 1 + 1 + 32 + 16;
const DECRYPTED = 772 + 8 + 16 + 16 + 3072;

function specRead(file: Buffer, key: Uint8Array): { name: string; data: Buffer; version: number } {
  const node = (n: number) => file.subarray(n * NODE, (n + 1) * NODE);
  const meta = node(0);
  expect(meta.readBigUInt64LE(0)).toBe(0x46505f5346415247n);
  const version = meta[8]!;
  const encAt = version === 1 ? PLAIN_V1 : PLAIN_V1 + 1;
  const dec = specOpen(specMetadataKey(key, meta.subarray(10, 42)), meta.subarray(encAt, encAt + DECRYPTED), meta.subarray(42, 58));
  const name = dec.subarray(0, dec.indexOf(0)).toString('utf8');
  const size = Number(dec.readBigUInt64LE(772));
  const out = Buffer.alloc(size);
  dec.copy(out, 0, 812, 812 + Math.min(size, 3072));
  if (size > 3072) {
    const mhts = new Map<number, Buffer>([[0, specOpen(dec.subarray(780, 796), node(1), dec.subarray(796, 812))]]);
    const mht = (m: number): Buffer => {
      let plain = mhts.get(m);
      if (plain === undefined) {
        const parent = mht(Math.floor((m - 1) / 32));
        const e = 96 * 32 + ((m - 1) % 32) * 32;
        plain = specOpen(parent.subarray(e, e + 16), node(1 + 97 * m), parent.subarray(e + 16, e + 32));
        mhts.set(m, plain);
      }
      return plain;
    };
    for (let d = 0; 3072 + d * NODE < size; d++) {
      const m = Math.floor(d / 96);
      const e = (d % 96) * 32;
      const plain = specOpen(mht(m).subarray(e, e + 16), node(d + 2 + m), mht(m).subarray(e + 16, e + 32));
      plain.copy(out, 3072 + d * NODE, 0, Math.min(NODE, size - 3072 - d * NODE));
    }
  }
  return { name, data: out, version };
}

/** A protected file of `data`, laid out by hand; `tail` fills each node past the size (Gramine leaves old bytes there after shrinking). */
function specWrite(data: Buffer, name: string, key: Uint8Array, version: 1 | 2, tail = 0): Buffer {
  const size = data.length;
  const dataNodes = size > 3072 ? Math.ceil((size - 3072) / NODE) : 0;
  const mhtCount = dataNodes > 0 ? Math.floor((dataNodes - 1) / 96) + 1 : 0;
  const nodes = dataNodes > 0 ? dataNodes + 1 + mhtCount : 1;
  const file = Buffer.alloc(nodes * NODE);
  const mhts = Array.from({ length: mhtCount }, () => Buffer.alloc(NODE));
  for (let d = 0; d < dataNodes; d++) {
    const plain = Buffer.alloc(NODE, tail);
    data.copy(plain, 0, 3072 + d * NODE, Math.min(size, 3072 + (d + 1) * NODE));
    const k = randomBytes(16);
    const { sealed, mac } = specSeal(k, plain);
    const m = Math.floor(d / 96);
    sealed.copy(file, (d + 2 + m) * NODE);
    k.copy(mhts[m]!, (d % 96) * 32);
    mac.copy(mhts[m]!, (d % 96) * 32 + 16);
  }
  for (let m = mhtCount - 1; m >= 1; m--) {
    const k = randomBytes(16);
    const { sealed, mac } = specSeal(k, mhts[m]!);
    sealed.copy(file, (1 + 97 * m) * NODE);
    const parent = mhts[Math.floor((m - 1) / 32)]!;
    k.copy(parent, 3072 + ((m - 1) % 32) * 32);
    mac.copy(parent, 3072 + ((m - 1) % 32) * 32 + 16);
  }
  const dec = Buffer.alloc(DECRYPTED);
  dec.write(name, 0, 'utf8');
  dec.writeBigUInt64LE(BigInt(size), 772);
  dec.fill(tail, 812);
  data.copy(dec, 812, 0, Math.min(size, 3072));
  if (mhtCount > 0) {
    const rootKey = randomBytes(16);
    const { sealed, mac } = specSeal(rootKey, mhts[0]!);
    sealed.copy(file, NODE);
    rootKey.copy(dec, 780);
    mac.copy(dec, 796);
  }
  const nonce = randomBytes(32);
  const { sealed, mac } = specSeal(specMetadataKey(key, nonce), dec);
  file.writeBigUInt64LE(0x46505f5346415247n, 0);
  file[8] = version;
  nonce.copy(file, 10);
  mac.copy(file, 42);
  sealed.copy(file, version === 1 ? PLAIN_V1 : PLAIN_V1 + 1);
  return file;
}

// -----------------------------------------------------------------------------------------------

describe('crypto', () => {
  // RFC 4493, section 4
  const rfcKey = Buffer.from('2b7e151628aed2a6abf7158809cf4f3c', 'hex');
  const rfcMessage = Buffer.from(
    '6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710',
    'hex',
  );
  const rfcVectors: Array<[number, string]> = [
    [0, 'bb1d6929e95937287fa37d129b756746'],
    [16, '070a16b46b4d4144f79bdd9dd04a287c'],
    [40, 'dfa66747de9ae63030ca32611497c827'],
    [64, '51f0bebf7e3b9d92fc49741779363cfe'],
  ];

  it('AES-CMAC gives the RFC 4493 vectors (the module and the test own)', () => {
    for (const [len, mac] of rfcVectors) {
      expect(Buffer.from(aesCmac(rfcKey, rfcMessage.subarray(0, len))).toString('hex')).toBe(mac);
      expect(cmacByRfc(rfcKey, rfcMessage.subarray(0, len)).toString('hex')).toBe(mac);
    }
  });

  it('lays out the SP 800-108 KDF input as kdf_input_t and derives the metadata key from it', () => {
    const nonce = Buffer.from(Array.from({ length: 32 }, (_, i) => i));
    const input = kdfInput(nonce);
    expect(input.length).toBe(104);
    expect(input.subarray(0, 4).toString('hex')).toBe('01000000');
    expect(input.subarray(4, 68).toString('latin1')).toBe('SGX-PROTECTED-FS-METADATA-KEY'.padEnd(64, '\0'));
    expect(input.subarray(68, 100).equals(nonce)).toBe(true);
    expect(input.subarray(100).toString('hex')).toBe('80000000');
    // computed with `openssl mac -cipher AES-128-CBC -macopt hexkey:ffee..00 CMAC` over those 104 bytes
    expect(deriveMetadataKey(KEY, nonce).toString('hex')).toBe('13023cb37e5faf2da6ea64ba7c79cc62');
    const other = randomBytes(32);
    expect(deriveMetadataKey(KEY, other).equals(specMetadataKey(KEY, other))).toBe(true);
  });
});

describe('layout', () => {
  it('puts the MHT boundaries where the format says', () => {
    // the root MHT node holds data nodes 0..95: bytes up to 3072 + 96 * 4096
    expect(layoutForSize(3072)).toEqual({ nodes: 1, dataNodes: 0, mhtNodes: 0 });
    expect(layoutForSize(3073)).toEqual({ nodes: 3, dataNodes: 1, mhtNodes: 1 });
    expect(layoutForSize(396_288)).toEqual({ nodes: 98, dataNodes: 96, mhtNodes: 1 });
    expect(layoutForSize(396_289)).toEqual({ nodes: 100, dataNodes: 97, mhtNodes: 2 });
    // MHT nodes 1..32 are the root's children; MHT node 33 (data nodes from 3168) is the first grandchild
    expect(layoutForSize(12_979_200)).toEqual({ nodes: 3202, dataNodes: 3168, mhtNodes: 33 });
    expect(layoutForSize(12_979_201)).toEqual({ nodes: 3204, dataNodes: 3169, mhtNodes: 34 });
  });

  it('normalizes bound names as Gramine\'s get_norm_path does', () => {
    const cases: Array<[string, string]> = [
      ['enc/a.txt', 'enc/a.txt'],
      ['./enc//a.txt', 'enc/a.txt'],
      ['enc/./x/../a.txt', 'enc/a.txt'],
      ['/abs/dir/../f', '/abs/f'],
      ['/../f', '/f'],
      ['../f', '../f'],
      ['a/../../f', '../f'],
      ['../../x/..', '../..'],
      ['dir/', 'dir'],
      ['.', ''],
    ];
    for (const [given, normalized] of cases) expect(normalizeBoundName(given)).toBe(normalized);
  });
});

const BOUNDARY_SIZES = [0, 1, 3071, 3072, 3073, 4096, 7168, 7169, 396_288, 396_289, 12_979_200, 12_979_201];

describe.each(CIPHERS)('with the %s node cipher', (_name, nodeCipher) => {
  beforeAll(() => {
    cipher = nodeCipher;
  });

  describe('round trips', () => {
    it.each(BOUNDARY_SIZES)('%i bytes: written here, read here and by the spec reader', (size) => {
      const data = seededBytes(size, size + 1);
      const storage = encrypted(data, { chunk: size > 1_000_000 ? 1 << 20 : 4099 });
      const bytes = storage.contents();
      expect(bytes.length).toBe(layoutForSize(size).nodes * NODE);
      expect(decrypted(storage).equals(data)).toBe(true);
      const spec = specRead(bytes, KEY);
      expect(spec.name).toBe(NAME);
      expect(spec.version).toBe(2);
      expect(spec.data.equals(data)).toBe(true);
    });

    it.each([0, 3072, 3073, 396_289, 12_979_201])('%i bytes: written by the spec writer (versions 1 and 2), read here', (size) => {
      const data = seededBytes(size, size + 7);
      for (const version of [1, 2] as const) {
        const storage = new MemoryStorage(specWrite(data, NAME, KEY, version));
        const file = openFile(storage, { key: KEY, name: NAME });
        expect(file.formatVersion).toBe(version);
        expect(file.size).toBe(size);
        expect(file.read(0, size).equals(data)).toBe(true);
      }
    });

    it.each(BOUNDARY_SIZES)('%i bytes: made whole (createWhole, a write-back), read here and by the spec reader', (size) => {
      const data = seededBytes(size, size + 3);
      const storage = new MemoryStorage();
      const asked: number[] = [];
      const file = ProtectedFile.createWhole(storage, { key: KEY, name: NAME, cipher }, size, (target, at) => {
        asked.push(at, target.length);
        data.copy(target, 0, at, at + target.length);
      });
      expect(file.size).toBe(size);
      file.close();
      // every byte of the file asked for once, in order
      let next = 0;
      for (let i = 0; i < asked.length; i += 2) {
        expect(asked[i]).toBe(next);
        next += asked[i + 1]!;
      }
      expect(next).toBe(size);
      expect(storage.contents().length).toBe(layoutForSize(size).nodes * NODE);
      expect(decrypted(storage).equals(data)).toBe(true);
      expect(specRead(storage.contents(), KEY).data.equals(data)).toBe(true);
    });

    it('a few MiB of random data, written and read in odd pieces', () => {
      const data = randomBytes(3 * 1024 * 1024 + 1234);
      const storage = encrypted(data, { chunk: 12_345, cacheNodes: 16 });
      const file = openFile(storage, { key: KEY, name: NAME, cacheNodes: 16 });
      const back = Buffer.alloc(data.length);
      for (let at = 0; at < data.length; at += 9999) file.readInto(back.subarray(at, at + 9999), at);
      expect(back.equals(data)).toBe(true);
      expect(specRead(storage.contents(), KEY).data.equals(data)).toBe(true);
    });

    it('keeps a version-1 file at version 1 when it is changed', () => {
      const storage = encrypted(seededBytes(10_000, 3), { version: 1 });
      expect(storage.contents()[8]).toBe(1);
      const file = openFile(storage, { key: KEY, name: NAME });
      file.write(5000, Buffer.from('changed'));
      file.close();
      const spec = specRead(storage.contents(), KEY);
      expect(spec.version).toBe(1);
      expect(spec.data.subarray(5000, 5007).toString()).toBe('changed');
    });

    it('binds a new name on rename', () => {
      const storage = encrypted(Buffer.from('hello'));
      const file = openFile(storage, { key: KEY, name: NAME });
      file.rename('enc/other.bin');
      file.close();
      expect(decrypted(storage, 'enc/other.bin').toString()).toBe('hello');
      expect(thrown(() => decrypted(storage))).toBeInstanceOf(PfNameMismatchError);
    });
  });

  describe('random access', () => {
    it.each([1, 2, 3])('seeded random writes, reads, truncates and reopens match a plain Buffer (seed %i)', (seed) => {
      const next = seeded(seed);
      const int = (n: number) => Math.floor(next() * n);
      const storage = new MemoryStorage();
      let file = createFile(storage, { key: KEY, name: NAME, cacheNodes: 6 });
      let model = Buffer.alloc(0);
      const span = 900_000; // past the first MHT boundary (396,288)
      for (let op = 0; op < 300; op++) {
        const kind = int(10);
        if (kind < 5) {
          const at = int(span);
          const data = seededBytes(1 + int(kind === 0 ? 40_000 : 5000), seed * 1000 + op);
          file.write(at, data);
          if (at + data.length > model.length) model = Buffer.concat([model, Buffer.alloc(at + data.length - model.length)]);
          data.copy(model, at);
        } else if (kind < 8) {
          const at = int(model.length + 100);
          const n = int(20_000);
          expect(file.read(at, n).equals(model.subarray(at, at + n))).toBe(true);
        } else if (kind === 8) {
          const size = int(span);
          file.truncate(size);
          model = size <= model.length ? Buffer.from(model.subarray(0, size)) : Buffer.concat([model, Buffer.alloc(size - model.length)]);
        } else {
          file.close();
          file = openFile(storage, { key: KEY, name: NAME, cacheNodes: 6 });
        }
        expect(file.size).toBe(model.length);
      }
      file.close();
      expect(storage.size()).toBeGreaterThanOrEqual(layoutForSize(model.length).nodes * NODE);
      expect(decrypted(storage).equals(model)).toBe(true);
      expect(specRead(storage.contents(), KEY).data.equals(model)).toBe(true);
    });

    it('writes past the end fill the hole with zeros, in every node', () => {
      const storage = new MemoryStorage();
      const file = createFile(storage, { key: KEY, name: NAME, cacheNodes: 4 });
      file.write(10, Buffer.from('a'));
      file.write(500_000, Buffer.from('z'));
      file.close();
      const expected = Buffer.alloc(500_001);
      expected[10] = 'a'.charCodeAt(0);
      expected[500_000] = 'z'.charCodeAt(0);
      expect(specRead(storage.contents(), KEY).data.equals(expected)).toBe(true);
    });

    it('a long read mixes cached, changed and stored nodes, across MHT boundaries, in one piece', () => {
      const model = seededBytes(1_300_000, 11); // data nodes 0..316: MHT nodes 0..3
      const storage = encrypted(model);
      const file = openFile(storage, { key: KEY, name: NAME, cacheNodes: 64 });
      for (const at of [10_000, 400_000, 401_000, 790_000, 1_200_000]) {
        const change = seededBytes(3000, at);
        file.write(at, change);
        change.copy(model, at);
      }
      expect(file.read(5_000, 1_000_000).equals(model.subarray(5_000, 1_005_000))).toBe(true);
      expect(file.read(0, model.length).equals(model)).toBe(true);
      file.close();
      expect(decrypted(storage).equals(model)).toBe(true);
    });

    it('keeps the node cache within its size', () => {
      const storage = new MemoryStorage();
      const file = createFile(storage, { key: KEY, name: NAME, cacheNodes: 8 });
      const cacheSize = () => (file as unknown as { cache: { size: number } }).cache.size;
      file.write(0, randomBytes(2_000_000));
      expect(cacheSize()).toBeLessThanOrEqual(8);
      file.read(0, 2_000_000);
      expect(cacheSize()).toBeLessThanOrEqual(8);
    });
  });

  describe('truncate', () => {
    const SHRINK_TO = [0, 1, 3071, 3072, 3073, 4096, 7168, 7169, 396_288, 396_289, 400_000];

    it.each(SHRINK_TO)('shrinks to %i: nodes past the end go, the rest of the last node is zeroed, then grows back with zeros', (size) => {
      const data = seededBytes(800_000, size);
      const storage = encrypted(data);
      const file = openFile(storage, { key: KEY, name: NAME });
      file.truncate(size);
      expect(storage.size()).toBe(layoutForSize(size).nodes * NODE);
      expect(specRead(storage.contents(), KEY).data.equals(data.subarray(0, size))).toBe(true);
      file.truncate(size + 10_000);
      file.close();
      const grown = Buffer.concat([data.subarray(0, size), Buffer.alloc(10_000)]);
      expect(decrypted(storage).equals(grown)).toBe(true);
      expect(specRead(storage.contents(), KEY).data.equals(grown)).toBe(true);
    });

    it.each([0, 100, 3072, 3073, 396_288, 396_289])('grows from %i with zeros across MHT boundaries', (size) => {
      const data = seededBytes(size, 99);
      const storage = encrypted(data);
      const file = openFile(storage, { key: KEY, name: NAME, cacheNodes: 5 });
      file.truncate(13_000_000);
      file.close();
      const expected = Buffer.concat([data, Buffer.alloc(13_000_000 - size)]);
      expect(specRead(storage.contents(), KEY).data.equals(expected)).toBe(true);
    });

    it('grows a file Gramine shrank (old bytes left past its end) with zeros, not the old bytes', () => {
      for (const size of [100, 5000]) {
        const storage = new MemoryStorage(specWrite(seededBytes(size, 5), NAME, KEY, 2, 0xaa));
        const file = openFile(storage, { key: KEY, name: NAME });
        file.write(size + 2000, Buffer.from('x'));
        expect(file.read(size, 2000).equals(Buffer.alloc(2000))).toBe(true);
        file.truncate(size + 3000);
        file.close();
        expect(specRead(storage.contents(), KEY).data.subarray(size).equals(Buffer.concat([Buffer.alloc(2000), Buffer.from('x'), Buffer.alloc(999)]))).toBe(true);
      }
    });
  });

  describe('flush', () => {
    /** Records each write's position; can be copied as it stands. */
    class RecordingStorage extends MemoryStorage {
      writes: number[] = [];
      override write(position: number, data: Uint8Array): void {
        this.writes.push(position);
        super.write(position, data);
      }
    }

    it('writes the data and MHT nodes, then the root, then the metadata node last', () => {
      const storage = new RecordingStorage();
      const file = createFile(storage, { key: KEY, name: NAME });
      storage.writes = [];
      file.write(0, randomBytes(1_000_000));
      file.flush();
      expect(storage.writes.at(-1)).toBe(0);
      expect(storage.writes.at(-2)).toBe(NODE);
      expect(storage.writes.slice(0, -2).every((p) => p >= 2 * NODE)).toBe(true);
    });

    it('leaves, after a flush, a file that opens with everything flushed', () => {
      const storage = new MemoryStorage();
      const file = createFile(storage, { key: KEY, name: NAME, cacheNodes: 64 });
      const flushed = randomBytes(150_000);
      file.write(0, flushed);
      file.flush();
      const atFlush = storage.contents(); // a crash here
      file.write(500_000, randomBytes(10)); // not flushed (the cache holds it)
      expect(decrypted(new MemoryStorage(atFlush)).equals(flushed)).toBe(true);
    });
  });

  describe('tampering', () => {
    const data = seededBytes(500_000, 42); // two MHT nodes, so an MHT node can be hit
    const fresh = () => encrypted(data).contents();
    const openBytes = (bytes: Buffer, opts: { key?: Buffer; name?: string | null } = {}) =>
      openFile(new MemoryStorage(bytes), { key: opts.key ?? KEY, name: opts.name === undefined ? NAME : opts.name, label: 'the-file' });
    const readAll = (bytes: Buffer) => {
      const file = openBytes(bytes);
      return file.read(0, file.size);
    };

    it('a changed byte in a data node: PfNodeAuthError naming the file and the node', () => {
      const bytes = fresh();
      bytes[5 * NODE + 123]! ^= 1; // physical node 5: data node 3
      const e = thrown(() => readAll(bytes));
      expect(e).toBeInstanceOf(PfNodeAuthError);
      expect(e).toMatchObject({ code: 'NODE_AUTH', errno: 'EACCES', file: 'the-file', node: { physical: 5, kind: 'data', logical: 3 } });
      expect(e.message).toMatch(/^the-file: node 5 \(data node 3\) fails authentication/);
    });

    it('a changed byte in an MHT node or in the root: PfNodeAuthError for that node', () => {
      const mht = fresh();
      mht[98 * NODE]! ^= 0x80; // MHT node 1
      expect(thrown(() => readAll(mht))).toMatchObject({ code: 'NODE_AUTH', node: { physical: 98, kind: 'mht', logical: 1 } });
      const root = fresh();
      root[NODE + 7]! ^= 1;
      expect(thrown(() => openBytes(root))).toMatchObject({ code: 'NODE_AUTH', node: { physical: 1, kind: 'mht', logical: 0 } });
    });

    it('a changed byte in the metadata node, or a wrong key: PfMetadataAuthError (EACCES)', () => {
      const bytes = fresh();
      bytes[1000]! ^= 1;
      expect(thrown(() => openBytes(bytes))).toBeInstanceOf(PfMetadataAuthError);
      const nonce = fresh();
      nonce[20]! ^= 1;
      expect(thrown(() => openBytes(nonce))).toBeInstanceOf(PfMetadataAuthError);
      const e = thrown(() => openBytes(fresh(), { key: Buffer.alloc(16, 7) }));
      expect(e).toBeInstanceOf(PfMetadataAuthError);
      expect(e).toMatchObject({ code: 'METADATA_AUTH', errno: 'EACCES', file: 'the-file' });
    });

    it('nodes swapped within the file, or taken from another file with the same key and name', () => {
      const swapped = fresh();
      const third = Buffer.from(swapped.subarray(4 * NODE, 5 * NODE));
      swapped.copy(swapped, 4 * NODE, 5 * NODE, 6 * NODE);
      third.copy(swapped, 5 * NODE);
      expect(thrown(() => readAll(swapped))).toMatchObject({ code: 'NODE_AUTH', node: { physical: 4 } });
      const mixed = fresh();
      fresh().copy(mixed, 10 * NODE, 10 * NODE, 11 * NODE);
      expect(thrown(() => readAll(mixed))).toMatchObject({ code: 'NODE_AUTH', node: { physical: 10 } });
    });

    it('a file renamed on the host: PfNameMismatchError (EACCES) with both names', () => {
      const e = thrown(() => openBytes(fresh(), { name: 'enc/other.bin' }));
      expect(e).toBeInstanceOf(PfNameMismatchError);
      expect(e).toMatchObject({ code: 'NAME_MISMATCH', errno: 'EACCES' });
      expect(e.message).toContain('"enc/file.bin"');
      expect(openBytes(fresh(), { name: null }).size).toBe(data.length); // no name given: not checked
    });

    it('a truncated file: PfTruncatedError naming the first missing node', () => {
      const bytes = fresh();
      for (const cut of [50 * NODE, 50 * NODE + 100]) {
        const e = thrown(() => openBytes(bytes.subarray(0, cut)));
        expect(e).toBeInstanceOf(PfTruncatedError);
        expect(e).toMatchObject({ code: 'TRUNCATED', errno: 'EACCES', node: { physical: 50 } });
      }
      expect(thrown(() => openBytes(bytes.subarray(0, 100)))).toBeInstanceOf(PfTruncatedError);
      expect(thrown(() => openBytes(Buffer.alloc(0)))).toBeInstanceOf(PfNotProtectedError);
    });

    it('not a protected file, another version, or a pending write', () => {
      expect(thrown(() => openBytes(Buffer.alloc(NODE, 1)))).toBeInstanceOf(PfNotProtectedError);
      const version = fresh();
      version[8] = 3;
      expect(thrown(() => openBytes(version))).toBeInstanceOf(PfVersionError);
      const pending = fresh();
      pending[58]! |= 1;
      expect(thrown(() => openBytes(pending))).toBeInstanceOf(PfPendingWriteError);
      const file = openFile(new MemoryStorage(pending), { key: KEY, name: NAME, allowPendingWrite: true });
      expect(file.read(0, data.length).equals(data)).toBe(true);
      const odd = Buffer.concat([fresh(), Buffer.alloc(1)]);
      expect(thrown(() => openBytes(odd))).toBeInstanceOf(PfNotProtectedError);
    });

    it('a failed read writes nothing, and the file stays usable', () => {
      const bytes = fresh();
      bytes[30 * NODE]! ^= 1;
      let writes = 0;
      const storage = new MemoryStorage(bytes);
      const counting: PfStorage = {
        read: (p, t) => storage.read(p, t),
        write: (p, d) => {
          writes++;
          storage.write(p, d);
        },
        size: () => storage.size(),
        truncate: (s) => storage.truncate(s),
        sync: () => {},
      };
      const file = openFile(counting, { key: KEY, name: NAME, cacheNodes: 4 });
      file.write(100, Buffer.from('dirty'));
      file.write(200_000, Buffer.from('dirty too'));
      expect(thrown(() => file.read(0, 400_000))).toBeInstanceOf(PfNodeAuthError);
      expect(writes).toBe(0);
      expect(file.read(190_000, 20_000).subarray(10_000, 10_009).toString()).toBe('dirty too');
    });

    it('refuses bad keys and names', () => {
      expect(thrown(() => createFile(new MemoryStorage(), { key: Buffer.alloc(15), name: NAME }))).toBeInstanceOf(PfArgumentError);
      expect(thrown(() => createFile(new MemoryStorage(), { key: KEY, name: 'x'.repeat(772) }))).toMatchObject({ errno: 'ENAMETOOLONG' });
      expect(createFile(new MemoryStorage(), { key: KEY, name: 'x'.repeat(771) }).boundName.length).toBe(771);
    });
  });
});
