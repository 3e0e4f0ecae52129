// The manifest: Gramine's TOML syntax read into typed data (see schema.ts for the keys).
export { defaultManifest, loadManifest, ManifestError, parseManifest, type HostContext } from './load.js';
export {
  GRAMINE_HOSTNAME, HOST_RESOLV_CONF, workerLogLevel, type AllowedFile, type EnvSetting, type FileCheckPolicy, type Manifest, type ManifestLogLevel,
  type Mount, type TrustedFile,
} from './schema.js';
export {
  checkSignedMeasurement, loadSignature, measuredManifestBytes, needsSignature, parseSignature, sha256Hex, signatureForRun,
  signaturePath, SignatureError, SIGNATURE_FORMAT, uriHostPath, type Signature, type SignedFile,
} from './signature.js';
