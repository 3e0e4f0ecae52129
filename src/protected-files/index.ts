// Gramine's protected-files format (the files of an `encrypted` mount): format.ts describes it.
export * from './errors.js';
export * from './format.js';
export { aesCmac, deriveMetadataKey, kdfInput } from './crypto.js';
export { normalizeBoundName } from './names.js';
export { MemoryStorage, type PfStorage } from './storage.js';
export { DEFAULT_CACHE_NODES, ProtectedFile, type PfCreateOptions, type PfHeaderInfo, type PfOpenOptions } from './protected-file.js';
export { nodeBatchShape, nodeCryptoCipher, type NodeCipher } from './node-cipher.js';
